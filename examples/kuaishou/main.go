// Command kuaishou plays a short scripted morning of a Kuaishou shop's
// customer-service desk on simulated time and prints what the dispatch
// engine did at each step: max reception (最大接待量, C1–C5), agent status
// (S1–S3), the queue pool (排队池, Q1, Q3), offline messages (O1, O2), the
// 20-minute auto-close (L2) and the offline backlog guard (O5). The rules
// are Kuaishou's preset, policy.Kuaishou, with the backlog guard lowered to
// 3 so that its scene stays short.
//
// The clock is a fixed instant, 2026-11-11 09:00 China time, advanced by the
// script; the program never reads the wall clock, so its output is the same
// on every run.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
	"github.com/kefu-dev/kefu/policy"
)

var start = time.Date(2026, 11, 11, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

var names = map[string]string{"wang": "小王", "li": "小李", "zhang": "小张"}

// who returns an agent as "小王 (wang)".
func who(id string) string { return fmt.Sprintf("%s (%s)", names[id], id) }

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// scene drives one engine and prints as it goes. The first unexpected
// failure is kept in err; after it every method does nothing.
type scene struct {
	w   io.Writer
	eng *dispatch.Engine
	rec *metrics.Recorder // fed every event, for the report at the end (M1-M8)
	now time.Time
	err error
}

// step moves the clock to start+d and prints the narrative line.
func (s *scene) step(d time.Duration, format string, args ...any) {
	if s.err != nil {
		return
	}
	s.now = start.Add(d)
	fmt.Fprintf(s.w, "%s  %s\n", s.now.Format("15:04:05"), fmt.Sprintf(format, args...))
}

// note prints an indented remark under the current step.
func (s *scene) note(format string, args ...any) {
	if s.err == nil {
		fmt.Fprintf(s.w, "          %s\n", fmt.Sprintf(format, args...))
	}
}

// show prints the events of the call just made (the slice is only valid
// until the next call) and checks the engine's invariants.
func (s *scene) show(evs []dispatch.Event, err error) {
	if s.err != nil {
		return
	}
	if err != nil {
		s.err = fmt.Errorf("%s: unexpected error: %w", s.now.Format("15:04:05"), err)
		return
	}
	s.rec.Feed(evs)
	for _, ev := range evs {
		s.note("%s", s.describe(ev))
	}
	if err := s.eng.Verify(); err != nil {
		s.err = fmt.Errorf("%s: engine invariant broken: %w", s.now.Format("15:04:05"), err)
	}
}

// reject prints an error the script expects; any other outcome is a failure.
func (s *scene) reject(evs []dispatch.Event, err, want error) {
	if s.err != nil {
		return
	}
	if !errors.Is(err, want) || evs != nil {
		s.err = fmt.Errorf("%s: want error %q, got %v (events %v)", s.now.Format("15:04:05"), want, err, evs)
		return
	}
	s.note("rejected: %v", err)
}

func label(ev dispatch.Event) string { return fmt.Sprintf("%s (buyer %s)", ev.Session, ev.Buyer) }

// describe renders one event in words; positions are read now, right after
// the call that caused the event. An event a timer caused happened at its
// deadline, which may be before the call: its time is then added.
func (s *scene) describe(ev dispatch.Event) string {
	line := s.what(ev)
	if !ev.At.Equal(s.now) && ev.Kind != dispatch.EventClosed {
		line += " at " + ev.At.Format("15:04:05")
	}
	return line
}

func (s *scene) what(ev dispatch.Event) string {
	switch ev.Kind {
	case dispatch.EventAssigned:
		line := fmt.Sprintf("assigned %s → %s [%s]", label(ev), who(ev.Agent), ev.Cause)
		if ev.Flags&dispatch.FlagOffline != 0 {
			line += ", flagged: offline message auto-assigned (离线留言自动分配)"
		}
		return line
	case dispatch.EventQueued:
		pos, n, _ := s.eng.Position(ev.Session)
		return fmt.Sprintf("queued %s in the queue pool (排队池): number %d of %d", label(ev), pos, n)
	case dispatch.EventOffline:
		pos, n, _ := s.eng.Position(ev.Session)
		info, _ := s.eng.Session(ev.Session)
		return fmt.Sprintf("no agent online: %s waits in the offline pool (离线留言), number %d of %d, auto-distributed until %s",
			label(ev), pos, n, info.Deadline.Format("2006-01-02 15:04"))
	case dispatch.EventTransferred:
		return fmt.Sprintf("transferred %s from %s → %s [%s]", label(ev), who(ev.From), who(ev.Agent), ev.Flags)
	case dispatch.EventClosed:
		if ev.Reason == dispatch.CloseBuyerIdle {
			return fmt.Sprintf("closed %s at %s by auto-close (自动关闭) at %s: the buyer stayed silent %v after the shop's last message (%s)",
				label(ev), who(ev.Agent), ev.At.Format("15:04:05"), s.eng.Policy().BuyerIdleClose, ev.Reason)
		}
		return fmt.Sprintf("closed %s at %s", label(ev), who(ev.Agent))
	case dispatch.EventMessage:
		return fmt.Sprintf("message from the %s in %s", ev.Sender, label(ev))
	case dispatch.EventLeft:
		return fmt.Sprintf("%s left the queue; no session is counted", label(ev))
	case dispatch.EventExpired:
		return fmt.Sprintf("%s expired from the offline pool", label(ev))
	case dispatch.EventWarning:
		return fmt.Sprintf("warning for %s: %s", who(ev.Agent), ev.Warning.Text())
	}
	return ev.String()
}

// loads prints every agent's load/cap and status on one line.
func (s *scene) loads() {
	line := "loads:"
	for a := range s.eng.Agents() {
		line += fmt.Sprintf(" %s %d/%s %s ·", who(a.ID), a.Load, a.Capacity, a.Status)
	}
	s.note("%s queue %d", line, s.eng.QueueLen())
}

// deadline prints when a session in reception will close by itself.
func (s *scene) deadline(id string) {
	if info, ok := s.eng.Session(id); s.err == nil && ok {
		if info.Deadline.IsZero() {
			s.note("%s has no auto-close deadline: the buyer wrote last, so it waits for an answer", id)
		} else {
			s.note("%s auto-closes at %s unless the buyer writes", id, info.Deadline.Format("15:04:05"))
		}
	}
}

// waiting prints the queue position of each session still waiting.
func (s *scene) waiting(ids ...string) {
	for _, id := range ids {
		if pos, n, ok := s.eng.Position(id); ok {
			s.note("%s is number %d of %d in the queue", id, pos, n)
		}
	}
}

func run(w io.Writer) error {
	// Kuaishou's own rules (policy.Kuaishou: C2 bounds 1..500, least
	// saturated, L2's 20 minutes, O5's 20), with one override: at most 3
	// offline messages per agent at once, so the O5 scene stays short.
	p := policy.Kuaishou()
	p.OfflineBatch = 3
	eng, err := dispatch.New(p)
	if err != nil {
		return err
	}
	rec, err := metrics.New(eng.Policy().WithDefaults().Location)
	if err != nil {
		return err
	}
	s := &scene{w: w, eng: eng, rec: rec}

	s.step(0, "the shop opens: Kuaishou rules (policy.Kuaishou), max reception 1..500 (C2), least-saturated routing (R1), queue on,")
	s.note("auto-close after %d minutes of buyer silence (L2); overridden for this short scene: at most %d offline messages per agent at once (O5; the preset's is %d)",
		int(p.BuyerIdleClose/time.Minute), p.OfflineBatch, policy.Kuaishou().OfflineBatch)
	s.step(0, "小王 (wang) logs in with max reception 3 (custom: 3人挂起)")
	s.show(eng.AddAgent(s.now, "wang", dispatch.AgentConfig{Capacity: agent.Limit(3)}))
	s.step(0, "小李 (li) logs in with max reception 2")
	s.show(eng.AddAgent(s.now, "li", dispatch.AgentConfig{Capacity: agent.Limit(2)}))
	s.step(0, "小张 (zhang) logs in with no auto-suspend (不自动挂起, unlimited)")
	s.show(eng.AddAgent(s.now, "zhang", dispatch.AgentConfig{Capacity: agent.Unlimited()}))
	s.step(0, "小李 (li) tries max reception 501 (C2: custom values are 1..500)")
	evs, err := eng.SetCapacity(s.now, "li", agent.Limit(501))
	s.reject(evs, err, agent.ErrCapacityOutOfRange)
	if li, _ := eng.Agent("li"); s.err == nil {
		s.note("not clamped: 小李 (li) keeps max reception %s", li.Capacity)
	}
	s.step(0, "小张 (zhang) goes on break (小休) just before the rush")
	s.show(eng.SetStatus(s.now, "zhang", agent.Break))

	for i := 1; i <= 9; i++ {
		s.step(time.Duration(5*i)*time.Second, "buyer b%d asks (session s%d)", i, i)
		s.show(eng.Arrive(s.now, dispatch.Arrival{Session: fmt.Sprintf("s%d", i), Buyer: fmt.Sprintf("b%d", i)}))
		s.loads()
	}
	s.note("小张 (zhang) is on break and got nothing (S1); everyone online is full, so b6..b9 wait (Q1)")

	s.step(60*time.Second, "小王 (wang), at his cap 3/3, closes s2 — the seed's example: one closed, the queue head comes in at once (C5)")
	s.show(eng.Close(s.now, "s2"))
	s.loads()

	s.step(70*time.Second, "小李 (li) goes on break (小休)")
	s.show(eng.SetStatus(s.now, "li", agent.Break))
	s.step(75*time.Second, "小李 (li), on break, closes s1: her slot frees but she gets nothing (S1)")
	s.show(eng.Close(s.now, "s1"))
	s.waiting("s7", "s8", "s9")

	s.step(80*time.Second, "buyer b8 gives up waiting (Q3)")
	s.show(eng.Leave(s.now, "s8"))
	s.waiting("s7", "s9")

	s.step(90*time.Second, "小李 (li) comes back online: she pulls the queue head in at once")
	s.show(eng.SetStatus(s.now, "li", agent.Online))
	s.waiting("s9")

	s.step(100*time.Second, "小王 (wang) transfers s3 to 小张 (zhang), who is on break (S3 allows it); wang's slot frees (C5)")
	s.show(eng.Transfer(s.now, "s3", "zhang"))
	s.loads()

	s.step(120*time.Second, "小张 (zhang) logs out (离线); his session s3 stays with him (S5)")
	s.show(eng.Logout(s.now, "zhang"))
	if s3, _ := eng.Session("s3"); s.err == nil {
		s.note("s3 is still with %s", who(s3.Agent))
	}
	s.step(130*time.Second, "小李 (li) tries to transfer s4 to 小张 (zhang), who is offline")
	evs, err = eng.Transfer(s.now, "s4", "zhang")
	s.reject(evs, err, dispatch.ErrAgentOffline)

	s.step(5*time.Minute, "小王 (wang) and 小李 (li) log out for a meeting: nobody is online")
	s.show(eng.Logout(s.now, "wang"))
	s.show(eng.Logout(s.now, "li"))
	s.step(10*time.Minute, "buyer b10 asks (session s10)")
	s.show(eng.Arrive(s.now, dispatch.Arrival{Session: "s10", Buyer: "b10"}))

	s.step(30*time.Minute, "小王 (wang) logs back in, online again (S2), but he is at his cap 3/3")
	s.show(eng.Login(s.now, "wang"))
	s.note("offline messages go only to agents with room (O2): %d still waiting", eng.OfflineLen())
	s.step(31*time.Minute, "小王 (wang) closes s5: the freed slot takes the offline message (C5, O2)")
	s.show(eng.Close(s.now, "s5"))
	s.step(32*time.Minute, "小张 (zhang) logs back in and gets back the status he left with (S2)")
	s.show(eng.Login(s.now, "zhang"))
	if zhang, _ := eng.Agent("zhang"); s.err == nil {
		s.note("小张 (zhang)'s status is %s again, so he is given nothing", zhang.Status)
	}

	// L2: the 20-minute auto-close, and the queue head taking the freed place (C5).
	s.step(33*time.Minute, "buyer b11 asks (session s11); only 小王 (wang) is online, and he is full")
	s.show(eng.Arrive(s.now, dispatch.Arrival{Session: "s11", Buyer: "b11"}))
	s.step(40*time.Minute, "小王 (wang) answers b9 in s9, then b6 in s6; both buyers are now expected to write (L2)")
	s.show(eng.Message(s.now, dispatch.Message{Session: "s9", From: dispatch.FromAgent, Agent: "wang"}))
	s.show(eng.Message(s.now, dispatch.Message{Session: "s6", From: dispatch.FromAgent, Agent: "wang"}))
	s.deadline("s9")
	s.deadline("s6")
	s.step(59*time.Minute+59*time.Second, "b6 writes again in s6, one second before its deadline")
	s.show(eng.Message(s.now, dispatch.Message{Session: "s6", From: dispatch.FromBuyer}))
	s.deadline("s6")
	s.step(59*time.Minute+59*time.Second, "the clock is checked (Advance): b9 has been silent 19m59s")
	s.show(eng.Advance(s.now), nil)
	s.deadline("s9")
	s.step(60*time.Minute, "the clock is checked (Advance): b9 has been silent 20 minutes")
	s.show(eng.Advance(s.now), nil)
	s.loads()
	s.step(61*time.Minute, "小王 (wang) answers b6 in s6: the 20 minutes start again from his reply")
	s.show(eng.Message(s.now, dispatch.Message{Session: "s6", From: dispatch.FromAgent, Agent: "wang"}))
	s.deadline("s6")

	// O5: the offline backlog and the guard that spreads it.
	s.step(90*time.Minute, "小王 (wang) logs out; the next call fires any timer that fell due, at its own time")
	s.show(eng.Logout(s.now, "wang"))
	s.step(90*time.Minute, "小张 (zhang) returns from his break (online), then logs out for lunch, still with no auto-suspend (O5 warns)")
	s.show(eng.SetStatus(s.now, "zhang", agent.Online))
	s.show(eng.Logout(s.now, "zhang"))
	for i := 12; i <= 16; i++ {
		s.step(time.Duration(90+i-11)*time.Minute, "buyer b%d leaves a message (session s%d)", i, i)
		s.show(eng.Arrive(s.now, dispatch.Arrival{Session: fmt.Sprintf("s%d", i), Buyer: fmt.Sprintf("b%d", i)}))
	}
	s.step(2*time.Hour, "小张 (zhang) logs in, online, with no auto-suspend: the guard gives him 3 of the 5, not all (O5)")
	s.show(eng.Login(s.now, "zhang"))
	s.loads()
	s.note("offline messages still waiting: %d", eng.OfflineLen())
	s.step(2*time.Hour+5*time.Minute, "小张 (zhang) closes s3, which was not an offline message: the guard still holds")
	s.show(eng.Close(s.now, "s3"))
	s.step(2*time.Hour+6*time.Minute, "小张 (zhang) closes the offline message s12: he takes the next one")
	s.show(eng.Close(s.now, "s12"))
	s.note("offline messages still waiting: %d", eng.OfflineLen())
	s.step(2*time.Hour+10*time.Minute, "小张 (zhang) logs out again with no auto-suspend")
	s.show(eng.Logout(s.now, "zhang"))
	if s.err != nil {
		return s.err
	}

	fmt.Fprintf(w, "\nfinal state at %s\n", s.now.Format("15:04:05"))
	fmt.Fprintf(w, "  %-14s %-8s %-10s %s\n", "agent", "status", "capacity", "load")
	for a := range eng.Agents() {
		fmt.Fprintf(w, "  %-12s %-8s %-10s %d\n", who(a.ID), a.Status, a.Capacity, a.Load)
	}
	fmt.Fprintf(w, "  queue pool (排队池): %d waiting; offline pool (离线留言): %d waiting\n", eng.QueueLen(), eng.OfflineLen())

	// The morning's numbers, computed from the same events (M2, M3, M5, M6).
	s.rec.Advance(s.now)
	fmt.Fprintf(w, "\nthe morning in numbers (package metrics)\n%s", s.rec.Dashboard(s.now))
	return nil
}
