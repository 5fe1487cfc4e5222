// Command douyin plays a scripted day (and week) of a Douyin creator's
// customer-service desk on Feige (飞鸽) on simulated time and prints what
// the dispatch engine did at each step: max reception up to 200 with a
// warning below 5 (C3), the two session timeouts (L3), the current-session
// and history lists (L4, L5), offline messages with their 7-day validity
// (O1–O3), the 3-message rule for strangers (L6) and a live stream's bot
// share (B1, B2). The rules are policy.Douyin with the shop's own timeouts.
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

const day = 24 * time.Hour

var names = map[string]string{"mei": "小美", "jie": "小杰"}

// who returns an agent as "小美 (mei)".
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

// step moves the clock to start+d and prints the narrative line, after a
// date line when the day changes.
func (s *scene) step(d time.Duration, format string, args ...any) {
	if s.err != nil {
		return
	}
	prev := s.now
	s.now = start.Add(d)
	if prev.IsZero() || prev.YearDay() != s.now.YearDay() {
		fmt.Fprintf(s.w, "-- %s --\n", s.now.Format("Monday 2006-01-02"))
	}
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
		s.err = fmt.Errorf("%s: unexpected error: %w", s.now.Format("01-02 15:04:05"), err)
		return
	}
	s.rec.Feed(evs)
	for _, ev := range evs {
		s.note("%s", s.describe(ev))
	}
	if err := s.eng.Verify(); err != nil {
		s.err = fmt.Errorf("%s: engine invariant broken: %w", s.now.Format("01-02 15:04:05"), err)
	}
}

// reject prints an error the script expects; any other outcome is a failure.
func (s *scene) reject(evs []dispatch.Event, err, want error) {
	if s.err != nil {
		return
	}
	if !errors.Is(err, want) || evs != nil {
		s.err = fmt.Errorf("%s: want error %q, got %v (events %v)", s.now.Format("01-02 15:04:05"), want, err, evs)
		return
	}
	s.note("rejected: %v", err)
}

// clock formats t, with its date when it is not today.
func (s *scene) clock(t time.Time) string {
	if t.YearDay() != s.now.YearDay() {
		return t.Format("01-02 15:04:05")
	}
	return t.Format("15:04:05")
}

func label(ev dispatch.Event) string { return fmt.Sprintf("%s (buyer %s)", ev.Session, ev.Buyer) }

// describe renders one event in words. An event a timer caused happened at
// its deadline, which may be before the call that reports it.
func (s *scene) describe(ev dispatch.Event) string {
	pol := s.eng.Policy()
	switch ev.Kind {
	case dispatch.EventAssigned:
		line := fmt.Sprintf("assigned %s → %s [%s]", label(ev), who(ev.Agent), ev.Cause)
		if ev.Flags&dispatch.FlagOffline != 0 {
			line += ", flagged: offline message auto-assigned (离线留言自动分配)"
		}
		if ev.Flags&dispatch.FlagStarted != 0 {
			line += ", flagged: started by the agent"
		}
		if ev.Cause == dispatch.CauseHandover {
			line += fmt.Sprintf(", with its arrival time kept: asked at %s", s.clock(ev.Arrived))
		}
		return line
	case dispatch.EventBot:
		return fmt.Sprintf("%s goes to the bot (机器人接待); no agent's load grows (B3)", label(ev))
	case dispatch.EventOffline:
		pos, n, _ := s.eng.Position(ev.Session)
		info, _ := s.eng.Session(ev.Session)
		return fmt.Sprintf("no agent online: %s waits in the offline pool (离线留言), number %d of %d, auto-distributed until %s",
			label(ev), pos, n, info.Deadline.Format("2006-01-02 15:04"))
	case dispatch.EventClosed:
		switch ev.Reason {
		case dispatch.CloseBuyerIdle:
			return fmt.Sprintf("closed %s at %s by auto-close at %s: the buyer stayed silent %v after the shop's last message (user timeout, 用户会话超时)",
				label(ev), who(ev.Agent), ev.At.Format("15:04:05"), pol.BuyerIdleClose)
		case dispatch.CloseAgentIdle:
			return fmt.Sprintf("closed %s at %s by auto-close at %s: nobody answered the buyer for %v (agent timeout, 客服会话超时)",
				label(ev), who(ev.Agent), ev.At.Format("15:04:05"), pol.AgentIdleClose)
		case dispatch.CloseBotIdle:
			return fmt.Sprintf("closed %s at the bot at %s: silent for %v (the bot's timeout)", label(ev), ev.At.Format("15:04:05"), pol.WithDefaults().BotIdleClose)
		}
		if ev.Agent == "" {
			return fmt.Sprintf("closed %s at the bot", label(ev))
		}
		return fmt.Sprintf("closed %s at %s", label(ev), who(ev.Agent))
	case dispatch.EventExpired:
		return fmt.Sprintf("%s expired at %s: not distributed within %d days, it leaves auto-distribution (有效期7天)",
			label(ev), s.clock(ev.At), pol.WithDefaults().OfflineValidity/day)
	case dispatch.EventMessage:
		return fmt.Sprintf("message from the %s in %s", ev.Sender, label(ev))
	case dispatch.EventWarning:
		return fmt.Sprintf("warning for %s: %s (%s)", who(ev.Agent), ev.Warning.Text(), ev.Warning.TextZH())
	}
	return ev.String()
}

// deadline prints when a session in reception will close by itself, and why.
func (s *scene) deadline(id string) {
	if info, ok := s.eng.Session(id); s.err == nil && ok {
		if info.LastFrom == dispatch.FromBuyer {
			s.note("%s auto-closes at %s unless an agent answers (agent timeout)", id, s.clock(info.Deadline))
		} else {
			s.note("%s auto-closes at %s unless the buyer writes (user timeout)", id, s.clock(info.Deadline))
		}
	}
}

// list prints an agent's current-session list (当前会话) as Feige shows it.
func (s *scene) list(id string) {
	infos, n, err := s.eng.List(id, dispatch.Page{})
	if s.err != nil || err != nil {
		s.err = errors.Join(s.err, err)
		return
	}
	s.note("current sessions (当前会话) of %s: %d", who(id), n)
	for i, in := range infos {
		line := fmt.Sprintf("  %d. %s (buyer %s) ", i+1, in.ID, in.Buyer)
		if in.Unreplied {
			line += fmt.Sprintf("unreplied (未回复) for %v since %s, %d unread", s.now.Sub(in.WaitingSince), s.clock(in.WaitingSince), in.Unread)
		} else {
			line += "replied"
		}
		line += fmt.Sprintf("; last message from the %s at %s", in.LastFrom, s.clock(in.LastMessage))
		if in.Flags&dispatch.FlagOffline != 0 {
			line += "; offline message auto-assigned (离线留言自动分配)"
		}
		s.note("%s", line)
	}
}

// history prints an agent's history (历史会话).
func (s *scene) history(id string) {
	cs, n, err := s.eng.History(id, dispatch.Page{})
	if s.err != nil || err != nil {
		s.err = errors.Join(s.err, err)
		return
	}
	s.note("history (历史会话) of %s: %d", who(id), n)
	for i, c := range cs {
		s.note("  %d. %s (buyer %s) last message %s, closed %s (%s)", i+1, c.Session, c.Buyer,
			s.clock(c.LastMessage), s.clock(c.At), c.Reason)
	}
}

func (s *scene) arrive(d time.Duration, n int, what string) { s.again(d, n, n, what) }

// again is buyer b<buyer> asking in a new session s<n>.
func (s *scene) again(d time.Duration, n, buyer int, what string) {
	s.step(d, "buyer b%d %s (session s%d)", buyer, what, n)
	s.show(s.eng.Arrive(s.now, dispatch.Arrival{Session: fmt.Sprintf("s%d", n), Buyer: fmt.Sprintf("b%d", buyer)}))
}

func (s *scene) say(d time.Duration, from dispatch.Sender, agentID, id, format string, args ...any) {
	s.step(d, format, args...)
	s.show(s.eng.Message(s.now, dispatch.Message{Session: id, From: from, Agent: agentID}))
}

func run(w io.Writer) error {
	// policy.Douyin (C3, L6, O3) with this shop's timeouts (L3) and bot window (B2).
	p := policy.Douyin()
	p.BuyerIdleClose = 10 * time.Minute // user timeout; the preset's is 30m
	p.AgentIdleClose = 5 * time.Minute  // agent timeout; the preset leaves it off
	p.BotWindows = []policy.Window{{Start: 19 * time.Hour, End: 23 * time.Hour, Share: 0.6}}
	eng, err := dispatch.New(p)
	if err != nil {
		return err
	}
	rec, err := metrics.New(eng.Policy().WithDefaults().Location)
	if err != nil {
		return err
	}
	s := &scene{w: w, eng: eng, rec: rec}
	const buyer, staff = dispatch.FromBuyer, dispatch.FromAgent

	s.step(0, "the shop opens: Douyin Feige rules (policy.Douyin), max reception 1..200 (C3), at most 3 messages to a stranger (L6),")
	s.note("offline messages valid 7 days (O3); this shop's own settings (L3): user timeout %d minutes (the preset's is %d), agent timeout %d minutes (the preset's is off),",
		p.BuyerIdleClose/time.Minute, policy.Douyin().BuyerIdleClose/time.Minute, p.AgentIdleClose/time.Minute)
	s.note("and during the evening live stream, 19:00-23:00, 60%% of new sessions go to the bot (B2)")
	s.step(0, "小美 (mei) logs in with max reception 4 (below 5: allowed, with a warning, C3)")
	s.show(eng.AddAgent(s.now, "mei", dispatch.AgentConfig{Capacity: agent.Limit(4)}))
	s.step(0, "小杰 (jie) logs in with max reception 20")
	s.show(eng.AddAgent(s.now, "jie", dispatch.AgentConfig{Capacity: agent.Limit(20)}))
	s.step(0, "小杰 (jie) tries max reception 201 (C3: at most 200)")
	evs, err := eng.SetCapacity(s.now, "jie", agent.Limit(201))
	s.reject(evs, err, agent.ErrCapacityOutOfRange)
	s.step(0, "小杰 (jie) tries no limit at all (Feige has no 不自动挂起)")
	evs, err = eng.SetCapacity(s.now, "jie", agent.Unlimited())
	s.reject(evs, err, agent.ErrCapacityMode)
	if jie, _ := eng.Agent("jie"); s.err == nil {
		s.note("not clamped: 小杰 (jie) keeps max reception %s", jie.Capacity)
	}

	// L3: two separate timeouts.
	s.arrive(time.Minute, 1, "asks")
	s.say(2*time.Minute, staff, "jie", "s1", "小杰 (jie) answers b1; now b1 is expected to write")
	s.deadline("s1")
	s.arrive(3*time.Minute, 2, "asks")
	s.deadline("s2")
	s.step(7*time.Minute+59*time.Second, "the clock is checked (Advance): nobody has answered b2 for 4m59s")
	s.show(eng.Advance(s.now), nil)
	s.step(8*time.Minute, "the clock is checked (Advance): nobody has answered b2 for 5 minutes")
	s.show(eng.Advance(s.now), nil)
	s.step(15*time.Minute, "小美 (mei) takes a break (小休); the call first fires what fell due since, at its own time")
	s.show(eng.SetStatus(s.now, "mei", agent.Break))

	// L4, L5: 小杰's current-session list after a mix of messages.
	s.arrive(20*time.Minute, 3, "asks")
	s.arrive(20*time.Minute+30*time.Second, 4, "asks")
	s.arrive(21*time.Minute, 5, "asks")
	s.say(21*time.Minute+30*time.Second, staff, "jie", "s4", "小杰 (jie) answers b4")
	s.arrive(22*time.Minute, 6, "asks")
	s.say(22*time.Minute+30*time.Second, staff, "jie", "s3", "小杰 (jie) answers b3")
	s.say(23*time.Minute, buyer, "", "s4", "b4 writes again")
	s.say(23*time.Minute+30*time.Second, buyer, "", "s5", "b5 writes again")
	s.say(24*time.Minute, staff, "jie", "s6", "小杰 (jie) answers b6")
	s.step(24*time.Minute+30*time.Second, "小杰 (jie) reads s4 but does not answer yet")
	s.show(eng.MarkRead(s.now, "s4"))
	s.step(25*time.Minute, "小杰 (jie) looks at his list")
	s.list("jie")
	s.note("unreplied first, longest wait first: b5 has waited since 09:21:00; b4 came earlier but was")
	s.note("answered, so its wait only began at 09:23:00 (reading it did not count as a reply, L5);")
	s.note("then replied sessions, newest last message first: s6 (09:24:00) above s3 (09:22:30)")
	s.deadline("s5")
	s.deadline("s4")

	// L1, L4: closing, and the history order.
	s.say(25*time.Minute+30*time.Second, staff, "jie", "s4", "小杰 (jie) answers b4")
	s.say(25*time.Minute+45*time.Second, staff, "jie", "s5", "小杰 (jie) answers b5, just before his 5 minutes run out at 09:26:00")
	s.step(30*time.Minute, "小杰 (jie) closes s5 himself (L1)")
	s.show(eng.Close(s.now, "s5"))
	s.step(40*time.Minute, "the clock is checked (Advance): the other buyers stayed silent")
	s.show(eng.Advance(s.now), nil)
	s.history("jie")
	s.note("newest last message first, not by closing time: s5 closed first, yet its last message is the newest")

	// L6: at most 3 messages to a stranger until they reply.
	s.step(45*time.Minute, "小杰 (jie) starts a chat with b9, who has not followed the shop and never chatted")
	s.show(eng.Start(s.now, dispatch.Outbound{Session: "s9", Buyer: "b9", Agent: "jie", Stranger: true}))
	for i := 1; i <= 3; i++ {
		s.say(45*time.Minute+time.Duration(10*i)*time.Second, staff, "jie", "s9", "小杰 (jie) sends b9 message %d", i)
	}
	s.step(45*time.Minute+40*time.Second, "小杰 (jie) tries a 4th message before b9 answers")
	evs, err = eng.Message(s.now, dispatch.Message{Session: "s9", From: staff, Agent: "jie"})
	s.reject(evs, err, dispatch.ErrDMLimit)
	s.say(47*time.Minute, buyer, "", "s9", "b9 replies")
	s.step(48*time.Minute, "小杰 (jie) writes to b9 four times: no limit now that b9 replied")
	for range 4 {
		s.show(eng.Message(s.now, dispatch.Message{Session: "s9", From: staff, Agent: "jie"}))
	}
	s.step(50*time.Minute, "小美 (mei) is back from her break (online)")
	s.show(eng.SetStatus(s.now, "mei", agent.Online))

	// B2: the live stream's bot window; B1: a hand-over to a human.
	live := 10*time.Hour + 50*time.Minute // 19:50
	s.step(live, "the evening live stream (直播) is on: the bot takes 60%% of new buyers, split by buyer id (B2)")
	for i := 20; i <= 25; i++ {
		s.arrive(live+time.Duration(10*(i-20))*time.Second, i, "asks from the live room")
	}
	s.say(live+time.Minute, staff, "jie", "s24", "小杰 (jie) answers b24")
	s.step(live+2*time.Minute, "b22 got an answer from the bot and ends the chat; 小美 (mei) closes s21 with b21")
	s.show(eng.Close(s.now, "s22"))
	s.show(eng.Close(s.now, "s21"))
	s.again(live+3*time.Minute, 26, 22, "asks again")
	s.again(live+3*time.Minute+10*time.Second, 27, 21, "asks again")
	s.note("each buyer lands on the same side as before: the split is a hash of the buyer id, not a coin toss")
	s.step(live+5*time.Minute, "b23 asks the bot for a human (转人工): the bot hands s23 over (B1)")
	s.show(eng.Handover(s.now, "s23"))
	s.say(live+6*time.Minute, staff, "jie", "s23", "小杰 (jie) answers b23")
	s.say(live+6*time.Minute+10*time.Second, staff, "mei", "s27", "小美 (mei) answers b21")

	// O1–O3: offline messages.
	s.step(11*time.Hour, "小杰 (jie) and 小美 (mei) log out for the night: nobody is online")
	s.show(eng.Logout(s.now, "jie"))
	s.show(eng.Logout(s.now, "mei"))
	s.step(11*time.Hour+25*time.Minute, "the clock is checked (Advance): the live-room chats fell silent, with the agents (S5) and with the bot")
	s.show(eng.Advance(s.now), nil)
	s.arrive(11*time.Hour+30*time.Minute, 10, "leaves a message")
	s.note("the live-stream window sends buyers to the bot only while an agent is online; with nobody online, O1 applies")
	s.step(day, "小美 (mei) logs in, online as she left (S2): the offline message is assigned to her (O2)")
	s.show(eng.Login(s.now, "mei"))
	s.list("mei")
	s.deadline("s10")
	s.say(day+time.Minute, staff, "mei", "s10", "小美 (mei) answers b10")
	s.step(day+3*time.Minute, "小美 (mei) closes s10")
	s.show(eng.Close(s.now, "s10"))
	s.step(day+9*time.Hour, "小美 (mei) logs out; the team is away for a week")
	s.show(eng.Logout(s.now, "mei"))
	s.arrive(day+13*time.Hour, 11, "leaves a message")
	s.step(8*day+13*time.Hour-time.Second, "the clock is checked (Advance): b11's message is 1 second short of 7 days old")
	s.show(eng.Advance(s.now), nil)
	if pos, n, ok := eng.Position("s11"); s.err == nil && ok {
		s.note("s11 is still number %d of %d in the offline pool", pos, n)
	}
	s.step(8*day+13*time.Hour, "the clock is checked (Advance): b11's message is 7 days old")
	s.show(eng.Advance(s.now), nil)
	s.step(9*day, "小杰 (jie) logs in: nothing is left to distribute")
	s.show(eng.Login(s.now, "jie"))
	if s.err != nil {
		return s.err
	}

	fmt.Fprintf(w, "\nfinal state at %s\n", s.now.Format("2006-01-02 15:04:05"))
	fmt.Fprintf(w, "  %-12s %-8s %-10s %s\n", "agent", "status", "capacity", "load")
	for a := range eng.Agents() {
		fmt.Fprintf(w, "  %-10s %-8s %-10s %d\n", who(a.ID), a.Status, a.Capacity, a.Load)
	}
	fmt.Fprintf(w, "  queue pool (排队池): %d waiting; offline pool (离线留言): %d waiting; open sessions: %d\n",
		eng.QueueLen(), eng.OfflineLen(), eng.Sessions())

	// The first day in numbers, computed from the same events (M2, M3, M5).
	s.rec.Advance(s.now)
	first := s.rec.DateOf(start)
	fmt.Fprintf(w, "\n%s in numbers (package metrics)\n%s\n%s", start.Format("2006-01-02"),
		s.rec.Replies(first, first), s.rec.Hourly(first))
	return nil
}
