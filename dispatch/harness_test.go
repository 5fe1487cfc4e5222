package dispatch

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// t0 is the first instant of every step table; steps name offsets from it.
var t0 = time.Date(2026, 11, 11, 20, 0, 0, 0, time.UTC)

// op is one call on the engine at a given time.
type op struct {
	name string
	do   func(e *Engine, now time.Time) ([]Event, error)
}

func arrive(id, buyer string, prio int) op {
	return op{"arrive " + id, func(e *Engine, now time.Time) ([]Event, error) {
		return e.Arrive(now, Arrival{Session: id, Buyer: buyer, Priority: prio})
	}}
}

func closeS(id string) op {
	return op{"close " + id, func(e *Engine, now time.Time) ([]Event, error) { return e.Close(now, id) }}
}

func leave(id string) op {
	return op{"leave " + id, func(e *Engine, now time.Time) ([]Event, error) { return e.Leave(now, id) }}
}

func assignTo(id, a string) op {
	return op{"assign " + id + " " + a, func(e *Engine, now time.Time) ([]Event, error) { return e.Assign(now, id, a) }}
}

func transfer(id, to string) op {
	return op{"transfer " + id + " " + to, func(e *Engine, now time.Time) ([]Event, error) { return e.Transfer(now, id, to) }}
}

func addAgent(id string, c agent.Capacity) op {
	return op{"add " + id, func(e *Engine, now time.Time) ([]Event, error) {
		return e.AddAgent(now, id, AgentConfig{Capacity: c})
	}}
}

func addAgentStatus(id string, c agent.Capacity, s agent.Status) op {
	return op{"add " + id, func(e *Engine, now time.Time) ([]Event, error) {
		return e.AddAgent(now, id, AgentConfig{Capacity: c, Status: s})
	}}
}

func removeAgent(id string) op {
	return op{"remove " + id, func(e *Engine, now time.Time) ([]Event, error) { return e.RemoveAgent(now, id) }}
}

func login(id string) op {
	return op{"login " + id, func(e *Engine, now time.Time) ([]Event, error) { return e.Login(now, id) }}
}

func logout(id string) op {
	return op{"logout " + id, func(e *Engine, now time.Time) ([]Event, error) { return e.Logout(now, id) }}
}

func setStatus(id string, s agent.Status) op {
	return op{"status " + id + " " + s.String(), func(e *Engine, now time.Time) ([]Event, error) { return e.SetStatus(now, id, s) }}
}

func setCap(id string, c agent.Capacity) op {
	return op{"cap " + id + " " + c.String(), func(e *Engine, now time.Time) ([]Event, error) { return e.SetCapacity(now, id, c) }}
}

func msg(id string, from Sender, agentID string) op {
	return op{"message " + id + " " + from.String(), func(e *Engine, now time.Time) ([]Event, error) {
		return e.Message(now, Message{Session: id, From: from, Agent: agentID})
	}}
}

func msgTo(m Message) op {
	return op{"message " + m.Session + " " + m.From.String(), func(e *Engine, now time.Time) ([]Event, error) {
		return e.Message(now, m)
	}}
}

func start(id, buyer, agentID string, stranger bool) op {
	return op{"start " + id, func(e *Engine, now time.Time) ([]Event, error) {
		return e.Start(now, Outbound{Session: id, Buyer: buyer, Agent: agentID, Stranger: stranger})
	}}
}

func markRead(id string) op {
	return op{"read " + id, func(e *Engine, now time.Time) ([]Event, error) { return e.MarkRead(now, id) }}
}

func follow(id string) op {
	return op{"follow " + id, func(e *Engine, now time.Time) ([]Event, error) { return e.Follow(now, id) }}
}

func advance() op {
	return op{"advance", func(e *Engine, now time.Time) ([]Event, error) { return e.Advance(now), nil }}
}

// step is one row of a step table: at t0+at, do op; the events, rendered
// by brief, must equal want; err, if set, must match with errors.Is.
type step struct {
	at    time.Duration
	op    op
	want  []string
	err   error
	check func(t *testing.T, e *Engine)
}

// brief renders an event for step tables: "assigned s1 a arrival",
// "queued s3", "transferred s1 a>b", "warning a capacity-low"; marks
// follow in brackets.
func brief(ev Event) string {
	var s string
	switch ev.Kind {
	case EventAssigned, EventOffered:
		s = fmt.Sprintf("%s %s %s %s", ev.Kind, ev.Session, ev.Agent, ev.Cause)
		if ev.From != "" {
			s += " from " + ev.From
		}
	case EventAccepted, EventRejected, EventWrapUp, EventWrapUpEnded:
		s = fmt.Sprintf("%s %s %s", ev.Kind, ev.Session, ev.Agent)
	case EventOfferTimedOut:
		s = fmt.Sprintf("%s %s %s", ev.Kind, ev.Session, ev.Agent)
		if ev.Status != 0 {
			s += " -> " + ev.Status.String()
		}
	case EventTransferred:
		s = fmt.Sprintf("transferred %s %s>%s", ev.Session, ev.From, ev.Agent)
	case EventClosed:
		s = strings.TrimSpace(fmt.Sprintf("closed %s %s", ev.Session, ev.Agent))
		if ev.Reason != CloseManual {
			s += " " + ev.Reason.String()
		}
	case EventQueued:
		s = "queued " + ev.Session
		if ev.From != "" {
			s += " from " + ev.From
		}
	case EventMessage:
		s = fmt.Sprintf("message %s %s", ev.Session, ev.Sender)
	case EventWarning:
		s = fmt.Sprintf("warning %s %s", ev.Agent, ev.Warning.Code())
	case EventPrompt:
		s = fmt.Sprintf("prompt %s %s", ev.Session, ev.Prompt.Key)
	default:
		s = fmt.Sprintf("%s %s", ev.Kind, ev.Session)
		if ev.Cause == CauseQueueCap || ev.Cause == CauseMaxWait { // E8: why it was diverted (E11's tests check theirs)
			s += " " + ev.Cause.String()
		}
	}
	if ev.Flags != 0 {
		s += " [" + ev.Flags.String() + "]"
	}
	return s
}

// ledger is the world as the host sees it from the events alone: where
// each session is. After every step it must equal the engine's state, so
// every change of place is visible in the returned events (property 2) and
// no session is ever lost (property 3).
type ledger struct {
	place map[string]string // session → "agent:ID", "queue", "offline"
	gone  map[string]Kind   // closed, left or expired
	load  map[string]int    // agent → units of its list, offers and wrap-ups
	// units is each session's weight (E10), read from the engine when
	// the ledger first sees the session (it is open then: a session never
	// leaves in the step it arrives); wraps are the units each wrap-up
	// holds, by agent and session id, oldest first (E5).
	units map[string]int
	wraps map[string][]int
	// replay: events are checked after the fact, against the final agent
	// states; statuses may have changed since, so only caps (fixed by the
	// caller) are checked.
	replay bool
	// online and caps: agents online, and every agent's cap, before the
	// step. Timers fire at the start of an operation, before the
	// operation changes a status or a cap, so an agent auto-assigned in a
	// step was online, and had room, under the state before it or after
	// it. (A timer can pull the queue head into an agent whose cap the
	// operation then suspends: FuzzOperations found that false alarm.)
	online map[string]bool
	caps   map[string]agent.Capacity
	// seq is the Seq of the latest event replayed: events are numbered
	// from 1 without gaps (Event.Seq).
	seq uint64
	// inactive: sessions flagged by EventInactive (E9), until the buyer
	// writes or they move.
	inactive map[string]bool
}

// before records the agents online, and the caps, before a step.
func (l *ledger) before(e *Engine) {
	clear(l.online)
	clear(l.caps)
	for a := range e.Agents() {
		if a.Status == agent.Online {
			l.online[a.ID] = true
		}
		l.caps[a.ID] = a.Capacity
	}
}

func newLedger() *ledger {
	return &ledger{place: map[string]string{}, gone: map[string]Kind{}, load: map[string]int{}, online: map[string]bool{},
		caps: map[string]agent.Capacity{}, units: map[string]int{}, wraps: map[string][]int{},
		inactive: map[string]bool{}}
}

// adopt takes on the sessions, offers and wrap-ups of an engine handed
// over mid-scene.
func (l *ledger) adopt(e *Engine) {
	for id, s := range e.sessions {
		info, _ := e.Session(id)
		l.place[id] = info.Place.String()
		l.units[id] = s.weight()
		switch info.Place {
		case PlaceAgent:
			l.place[id] = "agent:" + info.Agent
			if s.flags&FlagInactive != 0 { // E9: holds no units
				l.inactive[id] = true
			} else {
				l.load[info.Agent] += s.weight()
			}
		case PlaceOffered:
			l.place[id] = "offered:" + info.Agent
			l.load[info.Agent] += s.weight()
		}
	}
	for a := range e.roster.All() { // E5
		for _, w := range e.wrapping(a) {
			l.wraps[a.ID()+"/"+w.entry.ID] = append(l.wraps[a.ID()+"/"+w.entry.ID], w.weight())
			l.load[a.ID()] += w.weight()
		}
	}
}

// unitsOf returns the weight of the session of ev (E10): read from the
// engine when the session is new to the ledger (its id may be an old
// one's), else as read then; 1 for one the engine no longer knows (in
// a replay after the fact).
func (l *ledger) unitsOf(e *Engine, ev Event) int {
	if _, known := l.place[ev.Session]; !known && ev.Kind != EventClosed && ev.Kind != EventLeft && ev.Kind != EventExpired &&
		ev.Kind != EventRefused {
		u := 1
		if s := e.sessions[ev.Session]; s != nil {
			u = s.weight()
		}
		l.units[ev.Session] = u
	}
	if u, ok := l.units[ev.Session]; ok {
		return u
	}
	return 1
}

// apply replays one event. An auto-assignment (arrival or freed capacity)
// must leave its agent online and within its cap at that very moment
// (C1, C4): the cap in force before the operation or after it.
func (l *ledger) apply(e *Engine, ev Event) error {
	if ev.Seq != l.seq+1 && !l.replay {
		return fmt.Errorf("event %s numbered %d after %d: a gap or a repeat", brief(ev), ev.Seq, l.seq)
	}
	l.seq = ev.Seq
	switch ev.Kind {
	case EventWarning, EventPrompt:
		return nil // moves nothing
	case EventWrapUp: // E5: the units of a closed session stay held (right after its EventClosed)
		u := l.units[ev.Session]
		k := ev.Agent + "/" + ev.Session
		l.wraps[k] = append(l.wraps[k], u)
		l.load[ev.Agent] += u
		return nil
	case EventWrapUpEnded:
		k := ev.Agent + "/" + ev.Session
		if len(l.wraps[k]) == 0 {
			return fmt.Errorf("wrap-up of %s after %s ended, never started", ev.Agent, ev.Session)
		}
		l.load[ev.Agent] -= l.wraps[k][0]
		if l.wraps[k] = l.wraps[k][1:]; len(l.wraps[k]) == 0 {
			delete(l.wraps, k)
		}
		return nil
	case EventInactive: // E9: its units are free (its weight, E10)
		l.load[ev.Agent] -= l.unitsOf(e, ev)
		l.inactive[ev.Session] = true
		return nil
	case EventMessage:
		if ev.Sender == FromBuyer && l.inactive[ev.Session] { // E9: it counts again, by its weight (E10)
			delete(l.inactive, ev.Session)
			l.load[ev.Agent] += l.unitsOf(e, ev)
		}
		return nil
	}
	u := l.unitsOf(e, ev) // E10: what the session costs its agent
	if p, ok := l.place[ev.Session]; ok {
		if a, held := strings.CutPrefix(p, "agent:"); held && l.inactive[ev.Session] {
			delete(l.inactive, ev.Session) // held no units (E9)
		} else if held {
			l.load[a] -= u
		} else if a, held := strings.CutPrefix(p, "offered:"); held {
			l.load[a] -= u // an offer holds the session's units (E1)
		}
	}
	if ev.Kind == EventAssigned || ev.Kind == EventOffered {
		p := l.place[ev.Session]
		if held := strings.HasPrefix(p, "agent:"); held && (ev.Cause != CauseReassigned || p != "agent:"+ev.From) {
			return fmt.Errorf("session %s assigned to %s while %s holds it", ev.Session, ev.Agent, p)
		}
		if ev.Cause == CauseReassigned && ev.Agent == ev.From {
			return fmt.Errorf("session %s reassigned to the agent it left, %s", ev.Session, ev.From)
		}
	}
	switch ev.Kind {
	case EventAssigned, EventTransferred:
		l.load[ev.Agent] += u
		if ev.Kind == EventAssigned && (ev.Cause == CauseArrival || ev.Cause == CauseFreed) {
			a, ok := e.Agent(ev.Agent)
			if !ok {
				return fmt.Errorf("auto-assigned %s to unknown agent %s", ev.Session, ev.Agent)
			}
			if c, ok := l.caps[ev.Agent]; !a.Capacity.HasRoomFor(l.load[ev.Agent]-u, u) && (!ok || !c.HasRoomFor(l.load[ev.Agent]-u, u)) {
				return fmt.Errorf("auto-assigned %s took %s to %d, over its cap %s", ev.Session, ev.Agent, l.load[ev.Agent], a.Capacity)
			}
			if a.Status != agent.Online && !l.online[ev.Agent] && !l.replay {
				return fmt.Errorf("auto-assigned %s to %s agent %s", ev.Session, a.Status, ev.Agent)
			}
		}
		l.place[ev.Session] = "agent:" + ev.Agent
	case EventOffered: // E1: only to an online agent with room for it
		l.load[ev.Agent] += u
		a, ok := e.Agent(ev.Agent)
		if !ok { // removed later in the step: its offer ended before (a timer)
			l.place[ev.Session] = "offered:" + ev.Agent
			break
		}
		if c, ok := l.caps[ev.Agent]; !a.Capacity.HasRoomFor(l.load[ev.Agent]-u, u) && (!ok || !c.HasRoomFor(l.load[ev.Agent]-u, u)) {
			return fmt.Errorf("offer of %s took %s to %d, over its cap %s", ev.Session, ev.Agent, l.load[ev.Agent], a.Capacity)
		}
		if a.Status != agent.Online && !l.online[ev.Agent] && !l.replay {
			return fmt.Errorf("offered %s to %s agent %s", ev.Session, a.Status, ev.Agent)
		}
		l.place[ev.Session] = "offered:" + ev.Agent
	case EventAccepted:
		if p := l.place[ev.Session]; p != "offered:"+ev.Agent {
			return fmt.Errorf("%s accepted %s, which is at %q", ev.Agent, ev.Session, p)
		}
		l.load[ev.Agent] += u
		l.place[ev.Session] = "agent:" + ev.Agent
	case EventRejected, EventOfferTimedOut: // the next event places it
		l.place[ev.Session] = "nowhere"
	case EventQueued:
		l.place[ev.Session] = "queue"
	case EventOffline:
		l.place[ev.Session] = "offline"
	case EventBot:
		l.place[ev.Session] = "bot"
	case EventClosed, EventLeft, EventExpired, EventRefused:
		delete(l.place, ev.Session)
		l.gone[ev.Session] = ev.Kind
	}
	return nil
}

func (l *ledger) check(e *Engine) error {
	if e.Sessions() != len(l.place) {
		return fmt.Errorf("engine has %d open sessions, events say %d", e.Sessions(), len(l.place))
	}
	for id, want := range l.place {
		info, ok := e.Session(id)
		if !ok {
			return fmt.Errorf("session %s lost: events say %s", id, want)
		}
		got := info.Place.String()
		switch info.Place {
		case PlaceAgent:
			got = "agent:" + info.Agent
		case PlaceOffered:
			got = "offered:" + info.Agent
		}
		if got != want {
			return fmt.Errorf("session %s is at %s, events say %s", id, got, want)
		}
	}
	for a := range e.Agents() {
		if a.Load != l.load[a.ID] {
			return fmt.Errorf("agent %s has load %d, events say %d", a.ID, a.Load, l.load[a.ID])
		}
	}
	return nil
}

// checkStep runs every per-step invariant: Verify, the ledger replay of
// the step's events (auto-assignment never over the cap, C1, C4) and the
// ledger against the engine (no session lost, every change returned).
func checkStep(e *Engine, l *ledger, evs []Event) error {
	if err := e.Verify(); err != nil {
		return err
	}
	for _, ev := range evs {
		if err := l.apply(e, ev); err != nil {
			return err
		}
	}
	return l.check(e)
}

// run plays a step table on a new engine with policy p.
func run(t *testing.T, p policy.Policy, steps []step) *Engine {
	t.Helper()
	e, err := New(p)
	require.NoError(t, err)
	runOn(t, e, steps)
	return e
}

func runOn(t *testing.T, e *Engine, steps []step) {
	t.Helper()
	l := newLedger()
	l.adopt(e) // an engine handed over mid-scene
	l.seq = e.evSeq
	for i, st := range steps {
		before := dump(e)
		l.before(e)
		evs, err := st.op.do(e, t0.Add(st.at))
		if st.err != nil {
			require.Errorf(t, err, "step %d (%s): got no error, want %v", i, st.op.name, st.err)
			assert.Truef(t, errors.Is(err, st.err), "step %d (%s): got error %v, want %v", i, st.op.name, err, st.err)
			assert.Nilf(t, evs, "step %d (%s): a rejected operation returns no events", i, st.op.name)
			assert.Equalf(t, before, dump(e), "step %d (%s): a rejected operation changed the state", i, st.op.name)
		} else {
			require.NoErrorf(t, err, "step %d (%s)", i, st.op.name)
		}
		got := make([]string, 0, len(evs))
		for _, ev := range evs {
			got = append(got, brief(ev))
		}
		want := st.want
		if want == nil {
			want = []string{}
		}
		assert.Equalf(t, want, got, "step %d (%s): events", i, st.op.name)
		require.NoErrorf(t, checkStep(e, l, evs), "step %d (%s): invariant", i, st.op.name)
		if st.check != nil {
			st.check(t, e)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
}

// dump renders the whole observable state but the clock, to compare
// before and after a rejected operation (time passes even when an
// operation is rejected).
func dump(e *Engine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "seq %d\n", e.seq)
	for a := range e.Agents() {
		fmt.Fprintf(&b, "agent %+v\n", a)
	}
	ids := make([]string, 0, len(e.sessions))
	for id := range e.sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s, _ := e.Session(id)
		fmt.Fprintf(&b, "session %+v\n", s)
	}
	for _, x := range e.pools {
		for en := range x.queue.All() {
			fmt.Fprintf(&b, "queue %q %s\n", x.group, en.ID)
		}
		for en := range x.offline.All() {
			fmt.Fprintf(&b, "offline %q %s\n", x.group, en.ID)
		}
	}
	fmt.Fprintf(&b, "bot %d level %v\n", e.bot, e.level)
	for a := range e.Agents() {
		list, _, _ := e.List(a.ID, Page{})
		for _, s := range list {
			fmt.Fprintf(&b, "list %s %s\n", a.ID, s.ID)
		}
		hist, _, _ := e.History(a.ID, Page{})
		for _, c := range hist {
			fmt.Fprintf(&b, "history %s %+v\n", a.ID, c)
		}
	}
	return b.String()
}

// loadOf returns an agent's load, failing the test for an unknown agent.
func loadOf(t *testing.T, e *Engine, id string) int {
	t.Helper()
	a, ok := e.Agent(id)
	require.Truef(t, ok, "agent %s", id)
	return a.Load
}
