// Command contactcentre plays a shop whose customer-service desk runs like
// a contact centre, on simulated time, and prints what the dispatch engine
// did at each step: offers an agent must accept within 30 seconds (E1),
// an agent rejecting one and another letting one time out and being put
// on break (E2), the session moving on to an agent that has not declined
// it, a session left unanswered for 3 minutes taken from its agent (E3),
// an agent's sessions moving when it logs out (E4), and 45 seconds of
// wrap-up after each close holding the agent's slot, ended early once to
// pull the queue head in the same call (E5).
//
// A second scene, queue shaping, plays another shop whose queue is
// shaped by the options of E6-E11: a buyer who asks at 08:59:40, before
// the shop opens at 09:00, takes the offline path though agents are
// online (E11); an after-sales session, which costs 2 units of capacity,
// waits while one free unit serves a later buyer, and is served when two
// are free (E10); a vip buyer waits 30 seconds for the vip group alone,
// and at that instant an agent of the general group takes it (E7); a
// priority-0 buyer, after a minute's wait, goes ahead of a priority-1
// buyer who asks later (E6); the 4th buyer over a queue cap of 3 is
// refused, and a buyer who waits 3 minutes is refused at that deadline
// (E8); and a session whose buyer stays silent 5 minutes after the
// agent's answer stops counting toward her load, so she takes the queue
// head at that instant, then counts again, over her cap, when the buyer
// writes (E9). Each scene ends with its figures from Engine.Stats. Then
// two hours of seeded random traffic on the first shop's policy, and its
// figures.
//
// The first shop's policy is the zero policy (least-saturated routing,
// queue on) with the five options of E1-E5 set; the second's is the
// zero policy with a vip group (R2) and the six options of E6-E11 set,
// and no offers. The platforms' presets have none of them.
//
// Usage:
//
//	go run ./examples/contactcentre
//
// The clock is a fixed instant, 2026-11-11 09:00 China time (08:59:30
// for the second scene), advanced by the script; the program never reads
// the wall clock or sleeps, and the traffic's random numbers come from a
// fixed seed, so its output is the same on every run.
package main

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
	"github.com/kefu-dev/kefu/policy"
)

var start = time.Date(2026, 11, 11, 9, 0, 0, 0, policy.ChinaStandardTime())

var names = map[string]string{"an": "小安", "bai": "小白", "chen": "小陈", "ding": "小丁", "feng": "小冯", "zhou": "小周"}

// who returns an agent as "小安 (an)".
func who(id string) string {
	if n, ok := names[id]; ok {
		return fmt.Sprintf("%s (%s)", n, id)
	}
	return id
}

// contactCentre is the shop's policy: least-saturated routing and a
// queue (the zero policy), with offers, declines, reassignment and
// wrap-up (E1-E5).
func contactCentre() policy.Policy {
	return policy.Policy{
		Location:           policy.ChinaStandardTime(),
		OfferTimeout:       30 * time.Second, // E1: accept within 30 s
		OfferTimeoutStatus: agent.Break,      // E2: an agent who lets an offer time out goes on break
		ReassignAfter:      3 * time.Minute,  // E3: a session unanswered for 3 minutes moves on (once)
		ReassignOnOffline:  true,             // E4: an agent's sessions move when it logs out
		WrapUp:             45 * time.Second, // E5: 45 s of after-contact work after each close
	}
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	if err := scene(w); err != nil {
		return err
	}
	if err := shaping(w); err != nil {
		return err
	}
	return traffic(w, 1)
}

// stage drives one engine and prints as it goes. The first unexpected
// failure is kept in err; after it every method does nothing.
type stage struct {
	w     io.Writer
	eng   *dispatch.Engine
	start time.Time // the scene's first instant
	now   time.Time
	err   error
	log   []dispatch.Event // every event shown, for the tests
}

// step moves the clock to the scene's start+d and prints the narrative
// line.
func (s *stage) step(d time.Duration, format string, args ...any) {
	if s.err != nil {
		return
	}
	s.now = s.start.Add(d)
	fmt.Fprintf(s.w, "%s  %s\n", s.now.Format("15:04:05"), fmt.Sprintf(format, args...))
}

// note prints an indented remark under the current step.
func (s *stage) note(format string, args ...any) {
	if s.err == nil {
		fmt.Fprintf(s.w, "          %s\n", fmt.Sprintf(format, args...))
	}
}

// show prints the events of the call just made (the slice is only valid
// until the next call) and checks the engine's invariants.
func (s *stage) show(evs []dispatch.Event, err error) {
	if s.err != nil {
		return
	}
	if err != nil {
		s.err = fmt.Errorf("%s: unexpected error: %w", s.now.Format("15:04:05"), err)
		return
	}
	for _, ev := range evs {
		s.note("%s", s.describe(ev))
	}
	s.log = append(s.log, evs...)
	if err := s.eng.Verify(); err != nil {
		s.err = fmt.Errorf("%s: engine invariant broken: %w", s.now.Format("15:04:05"), err)
	}
}

// refuse prints an error the script expects; any other outcome is a
// failure.
func (s *stage) refuse(evs []dispatch.Event, err, want error) {
	if s.err != nil {
		return
	}
	if !errors.Is(err, want) || evs != nil {
		s.err = fmt.Errorf("%s: want error %q, got %v (events %v)", s.now.Format("15:04:05"), want, err, evs)
		return
	}
	s.note("refused: %v", err)
}

func label(ev dispatch.Event) string { return fmt.Sprintf("%s (buyer %s)", ev.Session, ev.Buyer) }

// describe renders one event in words; positions and deadlines are read
// now, right after the call that caused the event. An event a timer
// caused happened at its deadline, which may be before the call: its time
// is then put first.
func (s *stage) describe(ev dispatch.Event) string {
	if !ev.At.Equal(s.now) {
		return "at " + ev.At.Format("15:04:05") + ": " + s.what(ev)
	}
	return s.what(ev)
}

func (s *stage) what(ev dispatch.Event) string {
	switch ev.Kind {
	case dispatch.EventOffered:
		line := fmt.Sprintf("offered %s → %s [%s]", label(ev), who(ev.Agent), ev.Cause)
		if ev.From != "" {
			line += ", taken from " + who(ev.From)
		}
		if info, ok := s.eng.Session(ev.Session); ok && info.Place == dispatch.PlaceOffered && info.Agent == ev.Agent {
			line += ", to accept by " + info.Deadline.Format("15:04:05")
		}
		return line
	case dispatch.EventAccepted:
		return fmt.Sprintf("accepted %s by %s: it enters her list", label(ev), who(ev.Agent))
	case dispatch.EventRejected:
		return fmt.Sprintf("rejected %s by %s", label(ev), who(ev.Agent))
	case dispatch.EventOfferTimedOut:
		line := fmt.Sprintf("offer of %s to %s timed out", label(ev), who(ev.Agent))
		if ev.Status != 0 {
			line += fmt.Sprintf("; she is set to %s", ev.Status)
		}
		return line
	case dispatch.EventAssigned:
		line := fmt.Sprintf("assigned %s → %s [%s]", label(ev), who(ev.Agent), ev.Cause)
		if ev.From != "" {
			line += ", taken from " + who(ev.From)
		}
		if ev.Flags&dispatch.FlagOffline != 0 {
			line += ", as an offline message (flag offline, O2)"
		}
		return line
	case dispatch.EventQueued:
		pos, n, _ := s.eng.Position(ev.Session)
		line := fmt.Sprintf("queued %s: number %d of %d", label(ev), pos, n)
		if ev.Cause == dispatch.CauseReassigned {
			line = fmt.Sprintf("%s taken from %s and queued: number %d of %d, ahead of later buyers", label(ev), who(ev.From), pos, n)
		}
		if n != s.eng.QueueLen() { // a group's own pool (R2)
			line += fmt.Sprintf(" in its group's queue (%d waiting in all)", s.eng.QueueLen())
		}
		return line
	case dispatch.EventOffline:
		line := fmt.Sprintf("%s goes to the offline pool (O1)", label(ev))
		if ev.Cause != 0 {
			line += fmt.Sprintf(" [%s]", ev.Cause)
		}
		return line
	case dispatch.EventRefused:
		return fmt.Sprintf("refused %s [%s]: the session ends unserved", label(ev), ev.Cause)
	case dispatch.EventInactive:
		return fmt.Sprintf("%s at %s is inactive (flag inactive): it no longer counts toward her load", label(ev), who(ev.Agent))
	case dispatch.EventClosed:
		return fmt.Sprintf("closed %s at %s", label(ev), who(ev.Agent))
	case dispatch.EventWrapUp:
		return fmt.Sprintf("wrap-up of %s by %s: her slot stays held until %s",
			ev.Session, who(ev.Agent), ev.At.Add(s.eng.Policy().WrapUp).Format("15:04:05"))
	case dispatch.EventWrapUpEnded:
		return fmt.Sprintf("wrap-up of %s by %s ended: her slot is free", ev.Session, who(ev.Agent))
	case dispatch.EventMessage:
		return fmt.Sprintf("message from the %s in %s", ev.Sender, label(ev))
	}
	return ev.String()
}

// loads prints every agent's load/cap, its offers and wrap-ups, and
// status on one line.
func (s *stage) loads() {
	if s.err != nil {
		return
	}
	// With weights (E10) or inactive sessions (E9) a load is not a count
	// of sessions: the sessions in each list are shown too.
	p := s.eng.Policy()
	units := len(p.Weights) > 0 || p.InactiveAfter > 0
	line := "loads:"
	if units {
		line = "loads in units:"
	}
	for _, a := range slices.Collect(s.eng.Agents()) {
		line += fmt.Sprintf(" %s %d/%s", who(a.ID), a.Load, a.Capacity)
		var held []string
		if units {
			list, n, _ := s.eng.List(a.ID, dispatch.Page{})
			held = append(held, plural(n, "session"))
			inactive := 0
			for _, x := range list {
				if x.Flags&dispatch.FlagInactive != 0 {
					inactive++
				}
			}
			if inactive > 0 {
				held = append(held, fmt.Sprintf("%d inactive", inactive))
			}
		}
		if a.Offers > 0 {
			held = append(held, fmt.Sprintf("%d offered", a.Offers))
		}
		if a.WrapUps > 0 {
			held = append(held, fmt.Sprintf("%d wrap-up", a.WrapUps))
		}
		for i, h := range held {
			if i == 0 {
				line += " ("
			} else {
				line += ", "
			}
			line += h
		}
		if len(held) > 0 {
			line += ")"
		}
		line += fmt.Sprintf(" %s ·", a.Status)
	}
	s.note("%s queue %d", line, s.eng.QueueLen())
}

// plural returns "1 session", "2 sessions".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// deadline prints when a session's timer falls due: the end of its offer
// or its reassignment for want of a reply.
func (s *stage) deadline(id, what string) {
	if info, ok := s.eng.Session(id); s.err == nil && ok {
		s.note("%s %s at %s", id, what, info.Deadline.Format("15:04:05"))
	}
}

// arrive is a buyer's first message.
func (s *stage) arrive(id, buyer string) {
	s.show(s.eng.Arrive(s.now, dispatch.Arrival{Session: id, Buyer: buyer}))
}

// answer is an agent's reply in a session it holds.
func (s *stage) answer(id, agentID string) {
	s.show(s.eng.Message(s.now, dispatch.Message{Session: id, From: dispatch.FromAgent, Agent: agentID}))
}

// pickUp accepts the offer of a session, whoever it went to, and answers
// the buyer at once.
func (s *stage) pickUp(id string) {
	if s.err != nil {
		return
	}
	info, _ := s.eng.Session(id)
	if info.Place != dispatch.PlaceOffered {
		s.err = fmt.Errorf("%s: %s is %s, not offered", s.now.Format("15:04:05"), id, info.Place)
		return
	}
	s.show(s.eng.Accept(s.now, id, info.Agent))
	s.answer(id, info.Agent)
}

// scene is the scripted morning: every rule of E1-E5 once, at exact
// times.
func scene(w io.Writer) error {
	p := contactCentre()
	eng, err := dispatch.New(p)
	if err != nil {
		return err
	}
	s := &stage{w: w, eng: eng, start: start}
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }

	s.step(0, "the shop opens: least-saturated routing (R1), queue on; every automatic assignment is an offer to accept within %v (E1),", p.OfferTimeout)
	s.note("an agent who lets one time out goes on %s (E2), a session unanswered for %v moves on once (E3),", p.OfferTimeoutStatus, p.ReassignAfter)
	s.note("an agent's sessions move when she logs out (E4), and each close holds her slot for %v of wrap-up (E5)", p.WrapUp)
	for _, id := range []string{"an", "bai", "chen"} {
		s.step(0, "%s logs in with max reception 2", who(id))
		s.show(eng.AddAgent(s.now, id, dispatch.AgentConfig{Capacity: agent.Limit(2)}))
	}

	// E1: an offer, accepted.
	s.step(sec(10), "buyer b1 asks (session s1): all three are idle, so the offer goes to the first by id")
	s.arrive("s1", "b1")
	s.step(sec(15), "小安 (an) accepts s1, but does not answer yet")
	s.show(eng.Accept(s.now, "s1", "an"))
	s.deadline("s1", "moves on if b1 is still unanswered")

	// E1, E2: a rejection, then an offer that times out.
	s.step(sec(20), "buyer b2 asks (session s2): 小白 (bai) and 小陈 (chen) are the least saturated (0/2), equally idle; the lower id wins")
	s.arrive("s2", "b2")
	s.step(sec(25), "小白 (bai) rejects s2; 小陈 (chen) is not at her desk, but her status says online")
	s.show(eng.Reject(s.now, "s2", "bai"))
	s.step(sec(26), "小陈 (chen) tries to accept s1, which was never offered to her")
	evs, err := eng.Accept(s.now, "s1", "chen")
	s.refuse(evs, err, dispatch.ErrNotOffered)
	s.step(sec(60), "the clock is checked (Advance): nobody answered the offer to 小陈 (chen)")
	s.show(eng.Advance(s.now), nil)
	s.note("小白 (bai) has room but rejected s2, so it went to 小安 (an) instead (E2)")
	s.loads()
	s.step(sec(65), "小安 (an) accepts s2 and answers b2; b1 in s1 still has no answer")
	s.show(eng.Accept(s.now, "s2", "an"))
	s.answer("s2", "an")
	s.loads()
	s.step(sec(80), "小陈 (chen) is back at her desk and sets herself online: nobody is waiting")
	s.show(eng.SetStatus(s.now, "chen", agent.Online))

	// The desk fills up and a queue forms.
	for i, at := range []int{90, 100, 110, 120} {
		n := i + 3
		s.step(sec(at), "buyer b%d asks (session s%d); the agent offered it accepts and answers at once", n, n)
		s.arrive(fmt.Sprintf("s%d", n), fmt.Sprintf("b%d", n))
		s.pickUp(fmt.Sprintf("s%d", n))
	}
	s.loads()
	s.step(sec(130), "buyer b7 asks (session s7): everyone is full")
	s.arrive("s7", "b7")
	s.step(sec(140), "buyer b8 asks (session s8)")
	s.arrive("s8", "b8")

	// E5: a close holds the slot.
	s.step(sec(165), "小白 (bai) closes s3: her slot stays held for wrap-up, so b7 keeps waiting")
	s.show(eng.Close(s.now, "s3"))
	s.loads()

	// E3: unanswered for 3 minutes.
	s.step(sec(200), "the clock is checked (Advance): b1 has waited 3 minutes since 小安 (an) accepted s1, with no answer")
	s.show(eng.Advance(s.now), nil)
	s.note("s1 went back to the queue at its arrival, ahead of b7 and b8; 小安 (an) declined it by leaving it,")
	s.note("so her freed slot took the next session she had not declined (E2)")
	s.loads()
	s.step(sec(205), "小安 (an) accepts s7 and answers b7; 小白 (bai) is still wrapping up")
	s.pickUp("s7")

	// E5: the wrap-up ends by itself and pulls the queue head.
	s.step(sec(210), "the clock is checked (Advance): 小白 (bai)'s 45 seconds of wrap-up are over")
	s.show(eng.Advance(s.now), nil)
	s.step(sec(215), "小白 (bai) accepts s1 and answers b1, 3m25s after b1 asked")
	s.pickUp("s1")
	s.loads()

	// E5: a wrap-up ended early.
	s.step(sec(240), "小陈 (chen) closes s4")
	s.show(eng.Close(s.now, "s4"))
	s.step(sec(250), "小陈 (chen) has finished her notes and ends her wrap-up early (EndWrapUp): b8 is offered her slot in the same call")
	s.show(eng.EndWrapUp(s.now, "chen"))
	s.step(sec(255), "小陈 (chen) tries to end a wrap-up again")
	evs, err = eng.EndWrapUp(s.now, "chen")
	s.refuse(evs, err, dispatch.ErrNoWrapUp)
	s.step(sec(260), "小陈 (chen) accepts s8 and answers b8")
	s.pickUp("s8")
	s.loads()

	// E4: an agent logs out; her sessions move.
	s.step(sec(300), "小白 (bai) closes s5 and ends her wrap-up at once")
	s.show(eng.Close(s.now, "s5"))
	s.show(eng.EndWrapUp(s.now, "bai"))
	s.step(sec(310), "小安 (an) logs out at the end of her shift: her two sessions move to agents with room, or to the queue (E4)")
	s.show(eng.Logout(s.now, "an"))
	s.note("her sessions move in the queue's order (s2 asked first): 小白 (bai) rejected s2 earlier (E2), so s2")
	s.note("waits at the head of the queue and her one free slot is offered s7; 小安 (an) declined neither")
	s.loads()
	if s.err != nil {
		return s.err
	}

	st := eng.Stats()
	fmt.Fprintf(w, "\nthe scene in numbers (Engine.Stats) at %s\n", s.now.Format("15:04:05"))
	fmt.Fprintf(w, "  offers %d: accepted %d, rejected %d, timed out %d, pending %d\n",
		st.Offered, st.Accepted, st.Rejected, st.TimedOut, st.Sessions[dispatch.PlaceOffered])
	fmt.Fprintf(w, "  reassigned %d, wrap-ups %d\n", st.Reassigned, st.WrapUps)
	return nil
}

// The traffic: two hours of random buyers on a team of six, each agent
// answering offers the way people do.
const (
	trafficSpan   = 2 * time.Hour
	arrivalsPerHr = 100
	teamSize      = 6
	teamCap       = 3
	awayEvery     = time.Hour // mean time at the desk between two absences
)

// action is something a buyer or an agent does at a time.
type action struct {
	at   time.Time
	seq  int // ties: in the order planned
	what string
	id   string // the session, or the agent for "back" and "endwrap"
	by   string // the agent an offer was made to, for "accept" and "reject"
	ver  int    // the session's stint in an agent's list; stale actions do nothing
}

type plan []action

func (p plan) Len() int { return len(p) }
func (p plan) Less(i, j int) bool {
	if !p[i].at.Equal(p[j].at) {
		return p[i].at.Before(p[j].at)
	}
	return p[i].seq < p[j].seq
}
func (p plan) Swap(i, j int) { p[i], p[j] = p[j], p[i] }
func (p *plan) Push(x any)   { *p = append(*p, x.(action)) }
func (p *plan) Pop() any {
	old := *p
	x := old[len(old)-1]
	*p = old[:len(old)-1]
	return x
}

// sim is the traffic's state: the engine, the random source, what is
// planned, and each session's current stint (bumped when it is accepted).
type sim struct {
	eng    *dispatch.Engine
	rng    *rand.Rand
	plan   plan
	seq    int
	ver    map[string]int
	breaks int // agents set on break by a timed-out offer
	// already counts offers that timed out at an agent already on break
	already int
	ended   int // wrap-ups ended early
	moved   int // sessions reassigned (E3) straight to another agent
	// declined are the agents that declined each open session: rejected
	// it, let its offer time out or left it unanswered (E2); repeats
	// counts offers to one of them, which the policy (no OfferRetry)
	// never makes.
	declined map[string][]string
	repeats  int
	// away are the times each agent is away from her desk without
	// telling the system: [from, to) pairs in order.
	away map[string][][2]time.Time
}

// back returns the first time from t on that agent is at her desk.
func (m *sim) back(agentID string, t time.Time) time.Time {
	for _, a := range m.away[agentID] {
		if !t.Before(a[0]) && t.Before(a[1]) {
			return a[1]
		}
	}
	return t
}

// decline notes that agent declined session.
func (m *sim) decline(session, agentID string) {
	m.declined[session] = append(m.declined[session], agentID)
}

func (m *sim) later(at time.Time, what, id, by string, ver int) {
	m.seq++
	heap.Push(&m.plan, action{at: at, seq: m.seq, what: what, id: id, by: by, ver: ver})
}

// exp draws an exponential duration of the given mean.
func (m *sim) exp(mean time.Duration) time.Duration {
	return time.Duration(m.rng.ExpFloat64() * float64(mean))
}

// react plans what people do about the events of one call.
func (m *sim) react(evs []dispatch.Event) {
	for _, ev := range evs {
		switch ev.Kind {
		case dispatch.EventOffered:
			if ev.Cause == dispatch.CauseReassigned {
				m.moved++
				m.decline(ev.Session, ev.From)
			}
			if slices.Contains(m.declined[ev.Session], ev.Agent) {
				m.repeats++
			}
			// The agent answers the offer within 2-20 s, or when she is
			// back at her desk if that is before the deadline: she
			// rejects one in twenty, accepts the rest.
			at := m.back(ev.Agent, ev.At.Add(time.Duration(2+m.rng.IntN(19))*time.Second))
			what := "accept"
			if m.rng.Float64() < 0.05 {
				what = "reject"
			}
			if at.Before(ev.At.Add(m.eng.Policy().OfferTimeout)) {
				m.later(at, what, ev.Session, ev.Agent, 0)
			}
		case dispatch.EventAccepted:
			m.ver[ev.Session]++
			v := m.ver[ev.Session]
			// First answer: 90% within a minute or so; 10% forget the
			// session for a long while (E3 takes it from them).
			reply := 5*time.Second + m.exp(40*time.Second)
			if m.rng.Float64() < 0.10 {
				reply = 4*time.Minute + m.exp(2*time.Minute)
			}
			m.later(ev.At.Add(reply), "reply", ev.Session, "", v)
		case dispatch.EventRejected: // no agent goes offline here: each is a decline
			m.decline(ev.Session, ev.Agent)
		case dispatch.EventQueued:
			if ev.Cause == dispatch.CauseReassigned {
				m.decline(ev.Session, ev.From)
			}
		case dispatch.EventClosed:
			delete(m.declined, ev.Session)
		case dispatch.EventOfferTimedOut:
			m.decline(ev.Session, ev.Agent)
			if ev.Status == agent.Break {
				m.breaks++
			} else if a, _ := m.eng.Agent(ev.Agent); a.Status == agent.Break {
				m.already++
			}
		case dispatch.EventWrapUp:
			if m.rng.Float64() < 0.4 {
				m.later(ev.At.Add(time.Duration(10+m.rng.IntN(21))*time.Second), "endwrap", ev.Agent, "", 0)
			}
		}
	}
}

// do carries out one planned action, if it still makes sense.
func (m *sim) do(a action) ([]dispatch.Event, error) {
	info, open := m.eng.Session(a.id)
	switch a.what {
	case "arrive":
		return m.eng.Arrive(a.at, dispatch.Arrival{Session: a.id, Buyer: "b" + a.id[1:]})
	case "accept", "reject":
		if !open || info.Place != dispatch.PlaceOffered || info.Agent != a.by {
			return nil, nil
		}
		if a.what == "accept" {
			return m.eng.Accept(a.at, a.id, a.by)
		}
		return m.eng.Reject(a.at, a.id, a.by)
	case "reply":
		if !open || info.Place != dispatch.PlaceAgent || m.ver[a.id] != a.ver {
			return nil, nil
		}
		evs, err := m.eng.Message(a.at, dispatch.Message{Session: a.id, From: dispatch.FromAgent, Agent: info.Agent})
		if err == nil {
			// The chat then lasts a while, and the agent closes it.
			m.later(a.at.Add(time.Minute+m.exp(4*time.Minute)), "close", a.id, "", a.ver)
		}
		return evs, err
	case "close":
		if !open || info.Place != dispatch.PlaceAgent || m.ver[a.id] != a.ver {
			return nil, nil
		}
		return m.eng.Close(a.at, a.id)
	case "back":
		if ag, _ := m.eng.Agent(a.id); ag.Status != agent.Break {
			return nil, nil
		}
		return m.eng.SetStatus(a.at, a.id, agent.Online)
	case "endwrap":
		if ag, _ := m.eng.Agent(a.id); ag.WrapUps == 0 {
			return nil, nil
		}
		m.ended++
		return m.eng.EndWrapUp(a.at, a.id)
	}
	return nil, fmt.Errorf("unknown action %q", a.what)
}

// traffic runs two hours of random buyers on the contact-centre policy
// and prints its figures.
func traffic(w io.Writer, seed uint64) error {
	p := contactCentre()
	rec, err := metrics.New(p.WithDefaults().Location)
	if err != nil {
		return err
	}
	eng, err := dispatch.New(p, dispatch.WithObserver("metrics", rec))
	if err != nil {
		return err
	}
	m := &sim{eng: eng, rng: rand.New(rand.NewPCG(seed, 0xc0ffee)), ver: map[string]int{}, declined: map[string][]string{}, away: map[string][][2]time.Time{}}
	t0 := start.Add(time.Hour) // 10:00, after the scene
	end := t0.Add(trafficSpan)
	for i := 1; i <= teamSize; i++ {
		id := fmt.Sprintf("agent%d", i)
		if _, err := eng.AddAgent(t0, id, dispatch.AgentConfig{Capacity: agent.Limit(teamCap)}); err != nil {
			return err
		}
		// Away from the desk about once an hour for 2-6 minutes, status
		// left online; back, she sets herself online if a timed-out
		// offer put her on break.
		for at := t0.Add(m.exp(awayEvery)); at.Before(end); {
			back := at.Add(2*time.Minute + time.Duration(m.rng.IntN(240))*time.Second)
			m.away[id] = append(m.away[id], [2]time.Time{at, back})
			m.later(back, "back", id, "", 0)
			at = back.Add(m.exp(awayEvery))
		}
	}
	// Poisson arrivals.
	n := 0
	for at := t0; ; {
		at = at.Add(m.exp(time.Hour / arrivalsPerHr))
		if at.After(t0.Add(trafficSpan)) {
			break
		}
		n++
		m.later(at, "arrive", fmt.Sprintf("t%d", n), "", 0)
	}

	for {
		next, ok := time.Time{}, false
		if len(m.plan) > 0 {
			next, ok = m.plan[0].at, true
		}
		// Fire the engine's timers at their own instants, so that people
		// react to an offer's timeout or a wrap-up's end when it happens.
		if d, due := eng.NextDeadline(); due && (!ok || d.Before(next)) && !d.After(end) {
			m.react(eng.Advance(d))
			if err := eng.Verify(); err != nil {
				return fmt.Errorf("%s: engine invariant broken: %w", d.Format("15:04:05"), err)
			}
			continue
		}
		if !ok || next.After(end) {
			break
		}
		a := heap.Pop(&m.plan).(action)
		evs, err := m.do(a)
		if err != nil {
			return fmt.Errorf("%s: %s %s: %w", a.at.Format("15:04:05"), a.what, a.id, err)
		}
		m.react(evs)
		if err := eng.Verify(); err != nil {
			return fmt.Errorf("%s: engine invariant broken: %w", a.at.Format("15:04:05"), err)
		}
	}

	st := eng.Stats()
	fmt.Fprintf(w, "\ntwo hours of traffic, %s to %s, seed %d: %d agents with max reception %d, about %d buyers an hour\n",
		t0.Format("15:04"), end.Format("15:04"), seed, teamSize, teamCap, arrivalsPerHr)
	fmt.Fprintf(w, "  agents answer offers within 2-20 s (one in twenty a rejection), but step away about once an hour\n")
	fmt.Fprintf(w, "  for 2-6 minutes leaving their status online: offers then time out, and back, they set themselves online;\n")
	fmt.Fprintf(w, "  they answer within a minute or so, but forget one session in ten for over 4 minutes; chats last 5 min on average\n")
	fmt.Fprintf(w, "  buyers %d; offers %d: accepted %d, rejected %d, timed out %d, pending at the end %d\n",
		st.Arrived, st.Offered, st.Accepted, st.Rejected, st.TimedOut, st.Sessions[dispatch.PlaceOffered])
	fmt.Fprintf(w, "  agents set on break by a timed-out offer %d (%d more timed out at an agent already on break)\n",
		m.breaks, m.already)
	fmt.Fprintf(w, "  reassigned for want of an answer %d (%d straight to another agent, the rest queued)\n",
		st.Reassigned, m.moved)
	fmt.Fprintf(w, "  offers made again to an agent that had declined the session %d (E2)\n", m.repeats)
	fmt.Fprintf(w, "  wrap-ups %d; agents ended theirs early (EndWrapUp) %d times\n", st.WrapUps, m.ended)
	// The 3-minute reply rates from the metrics Recorder (an observer of
	// the engine): the shop's clock (M3) runs from the buyer's arrival,
	// offer time included; an agent's (M2) from its accept.
	rec.Advance(end)
	day := rec.DateOf(end)
	rep := rec.Replies(day, day)
	fmt.Fprintf(w, "  3-minute reply rate: the shop's (from the buyer's arrival, M3) %v; the agents' (from their accept, M2) %v\n",
		rep.Shop.ReplyRate, agentsRate(rep))
	fmt.Fprintf(w, "  mean wait in the queue %s\n", mean(st.Wait))
	fmt.Fprintf(w, "  at %s: %d in reception, %d offered, %d waiting in the queue\n", end.Format("15:04"),
		st.Sessions[dispatch.PlaceAgent], st.Sessions[dispatch.PlaceOffered], st.Sessions[dispatch.PlaceQueue])
	return nil
}

// agentsRate sums the agents' 3-minute reply rates (M2).
func agentsRate(rep metrics.Replies) metrics.Rate {
	var r metrics.Rate
	for _, a := range rep.Agents {
		r = r.Add(a.ReplyRate)
	}
	return r
}

func mean(h dispatch.Histogram) time.Duration {
	if h.Count == 0 {
		return 0
	}
	return (h.Sum / time.Duration(h.Count)).Round(time.Second)
}
