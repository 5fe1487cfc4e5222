// Command taobao plays two scripted days of a Taobao shop's customer-service
// desk on Qianniu (千牛) on simulated time and prints what the dispatch
// engine did at each step, for priority reception crowds (优先接待人群,
// P1-P10): the team-level gate and the monthly re-rating (P2), members
// and big spenders skipping a long queue while ordinary buyers wait (P1),
// the buyer-side prompt by crowd and entry (P6, P7), its 8-hour cool-down
// (P8), T+1 membership (P4), the failure path to the bot (P5) and the
// exclusive agent set aside (P10); then the prompt's text in each diversion
// mode (P6, P9). The rules are policy.Taobao with two crowds.
//
// The clock is a fixed instant, 2026-11-30 14:00 China time, advanced by the
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
	"github.com/kefu-dev/kefu/policy"
)

var (
	start   = time.Date(2026, 11, 30, 14, 0, 0, 0, policy.ChinaStandardTime())
	longAgo = time.Date(2026, 10, 1, 12, 0, 0, 0, policy.ChinaStandardTime())
	// The host's crowd tags: joined long ago, so in effect (P4).
	member = []dispatch.Membership{{Crowd: "members", Since: longAgo}}
	big    = []dispatch.Membership{{Crowd: "big-spenders", Since: longAgo}}
)

const day = 24 * time.Hour

var names = map[string]string{"hua": "阿花", "qiang": "阿强"}

// who returns an agent as "阿花 (hua)".
func who(id string) string { return fmt.Sprintf("%s (%s)", names[id], id) }

var entries = map[dispatch.EntryPoint]string{
	dispatch.EntryProduct:    "a product page (商品详情页, lit)",
	dispatch.EntryOrder:      "an order page (订单详情页, lit)",
	dispatch.EntryShopHome:   "the shop home page (店铺首页, lit)",
	dispatch.EntryMessageBox: "the message box (消息盒子, not lit)",
}

// shop is the policy: Taobao's preset with the member crowd and one crowd
// the shop defined, saved while the shop is still bronze (P2, P3).
func shop() policy.Policy {
	p := policy.Taobao()
	p.Crowds = []policy.Crowd{{ID: "members", Member: true}, {ID: "big-spenders"}}
	p.TeamLevel = policy.LevelBronze
	return p
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// scene drives one engine and prints as it goes. The first unexpected
// failure is kept in err; after it every method does nothing.
type scene struct {
	w      io.Writer
	eng    *dispatch.Engine
	now    time.Time
	err    error
	n      int                              // sessions so far: s1, s2, …
	crowds map[string][]dispatch.Membership // the host's crowd tags per buyer
	excl   map[string]string                // and exclusive agents (专属客服)
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
	for _, ev := range evs {
		s.note("%s", s.describe(ev))
	}
	if err := s.eng.Verify(); err != nil {
		s.err = fmt.Errorf("%s: engine invariant broken: %w", s.now.Format("01-02 15:04:05"), err)
	}
}

func label(ev dispatch.Event) string { return fmt.Sprintf("%s (buyer %s)", ev.Session, ev.Buyer) }

// describe renders one event in words; positions are read right after the
// call that caused it.
func (s *scene) describe(ev dispatch.Event) string {
	switch ev.Kind {
	case dispatch.EventAssigned:
		line := fmt.Sprintf("assigned %s → %s [%s]", label(ev), who(ev.Agent), ev.Cause)
		if a, _ := s.eng.Agent(ev.Agent); ev.Cause == dispatch.CausePriority {
			if limit, ok := a.Capacity.Limit(); ok && a.Load > limit {
				line += fmt.Sprintf(", over the cap: now %d/%d", a.Load, limit)
			}
		}
		return line
	case dispatch.EventQueued:
		pos, n, _ := s.eng.Position(ev.Session)
		return fmt.Sprintf("queued %s in the queue pool (排队池): number %d of %d", label(ev), pos, n)
	case dispatch.EventBot:
		return fmt.Sprintf("%s goes to the bot (服务助手)", label(ev))
	case dispatch.EventPrompt:
		p := ev.Prompt
		return fmt.Sprintf("prompt to %s:「%s」%s — %s: %s [%s]", ev.Buyer, p.TitleZH, p.TextZH, p.Title, p.Text, p.Key)
	case dispatch.EventClosed:
		return fmt.Sprintf("closed %s at %s", label(ev), who(ev.Agent))
	case dispatch.EventLeft:
		return fmt.Sprintf("%s left the queue; no session is counted", label(ev))
	}
	return ev.String()
}

// ask is a buyer's new session from an entry, tagged with the buyer's
// crowds as the host knows them; it returns the session id.
func (s *scene) ask(d time.Duration, buyer, kind string, entry dispatch.EntryPoint) string {
	s.n++
	id := fmt.Sprintf("s%d", s.n)
	s.step(d, "buyer %s (%s) asks from %s (session %s)", buyer, kind, entries[entry], id)
	s.show(s.eng.Arrive(s.now, dispatch.Arrival{Session: id, Buyer: buyer, Entry: entry, Crowds: s.crowds[buyer], Exclusive: s.excl[buyer]}))
	return id
}

// rush is n ordinary buyers asking from product pages, 10 seconds apart.
func (s *scene) rush(d time.Duration, first, n int) {
	for i := range n {
		s.ask(d+time.Duration(10*i)*time.Second, fmt.Sprintf("b%d", first+i), "ordinary", dispatch.EntryProduct)
	}
}

// loads prints every agent's load/cap and status on one line.
func (s *scene) loads() {
	line := "loads:"
	for a := range s.eng.Agents() {
		line += fmt.Sprintf(" %s %d/%s %s ·", who(a.ID), a.Load, a.Capacity, a.Status)
	}
	s.note("%s queue %d", line, s.eng.QueueLen())
}

// closeAll closes every session in reception, one at a time, each close
// pulling the queue head in (C5), and sums up.
func (s *scene) closeAll() {
	closed, pulled := 0, 0
	for s.err == nil {
		id := ""
		for a := range s.eng.Agents() {
			if a.Load > 0 {
				id = a.ID
				break
			}
		}
		if id == "" {
			break
		}
		list, _, err := s.eng.List(id, dispatch.Page{Limit: 1})
		if err == nil && len(list) > 0 { // Verify reports a list that does not match the load
			var evs []dispatch.Event
			evs, err = s.eng.Close(s.now, list[0].ID)
			for _, ev := range evs {
				switch {
				case ev.Kind == dispatch.EventClosed:
					closed++
				case ev.Kind == dispatch.EventAssigned && ev.Cause == dispatch.CauseFreed:
					pulled++
				}
			}
		}
		s.err = errors.Join(err, s.eng.Verify())
	}
	s.note("closed %d sessions; %d waiting buyers came in as places freed (C5)", closed, pulled)
}

func run(w io.Writer) error {
	eng, err := dispatch.New(shop())
	if err != nil {
		return err
	}
	s := &scene{w: w, eng: eng, crowds: map[string][]dispatch.Membership{
		"m1": member, "m2": member, "m3": member, "v1": big, "v2": big, "v3": big,
	}, excl: map[string]string{"b30": "qiang", "v3": "qiang"}}

	// P2: saved at bronze, no effect.
	s.step(0, "the shop opens: Taobao rules (policy.Taobao): recent contact first (R1), queue on (Q1), max reception 1..500;")
	s.note("priority crowds saved: members (会员人群) and big-spenders (a shop-defined crowd), 2 of at most %d (P3);", policy.MaxCrowds)
	s.note("team level %s (铜牌): the setting is saved but has no effect (P2)", eng.TeamLevel())
	s.step(0, "阿花 (hua) logs in with max reception 2; 阿强 (qiang) with max reception 3")
	s.show(eng.AddAgent(s.now, "hua", dispatch.AgentConfig{Capacity: agent.Limit(2)}))
	s.show(eng.AddAgent(s.now, "qiang", dispatch.AgentConfig{Capacity: agent.Limit(3)}))
	s.rush(time.Minute, 1, 7)
	s.ask(3*time.Minute, "m1", "member", dispatch.EntryProduct)
	s.note("bronze: the member waits like everyone else, and sees no prompt (P2)")
	s.loads()
	s.step(4*time.Hour, "the day ends: 阿花 (hua) and 阿强 (qiang) close every session, then log out")
	s.closeAll()
	s.show(eng.Logout(s.now, "hua"))
	s.show(eng.Logout(s.now, "qiang"))

	// P2: the monthly re-rating; P1: members skip the long queue.
	s.step(19*time.Hour, "the platform re-rates the shop on the 1st of the month: gold (金牌)")
	s.show(eng.SetTeamLevel(s.now, policy.LevelGold))
	s.note("team level %s: the saved priority crowds take effect from now (P2)", eng.TeamLevel())
	s.step(19*time.Hour, "阿花 (hua) and 阿强 (qiang) log in, online as they left (S2)")
	s.show(eng.Login(s.now, "hua"))
	s.show(eng.Login(s.now, "qiang"))
	s.rush(19*time.Hour+time.Minute, 8, 8)
	s.loads()
	s.note("a long queue: both agents are full (C1), ordinary buyers wait (Q1)")
	m1 := s.ask(19*time.Hour+3*time.Minute, "m1", "member", dispatch.EntryProduct)
	s.note("yesterday m1 queued; today she skips the queue, over the cap, to the least saturated agent (P1, P6; both are full: the one idle longer)")
	s.ask(19*time.Hour+4*time.Minute, "b16", "ordinary", dispatch.EntryProduct)
	s.note("an ordinary buyer still queues behind the others (P1 is for the crowds only)")
	s.ask(19*time.Hour+5*time.Minute, "v1", "big-spender", dispatch.EntryOrder)
	s.note("another crowd: the title is 优先接待生效, not 会员专属客服 (P6)")
	s.ask(19*time.Hour+6*time.Minute, "m2", "member", dispatch.EntryMessageBox)
	s.ask(19*time.Hour+7*time.Minute, "v2", "big-spender", dispatch.EntryMessageBox)
	s.note("from the message box: priority, but no prompt (P7)")
	s.loads()
	s.step(19*time.Hour+20*time.Minute, "阿花 (hua) closes m1's session %s: at 3/2 she is still over her cap and takes no one from the queue (C1)", m1)
	s.show(eng.Close(s.now, m1))
	s.loads()

	// P8: at most one prompt per buyer per 8 hours.
	m1 = s.ask(21*time.Hour+3*time.Minute, "m1", "member", dispatch.EntryShopHome)
	s.note("2 hours after her prompt at 09:03: priority again, but no prompt (P8: once per 8 hours)")
	s.step(21*time.Hour+20*time.Minute, "m1's question is answered; the session %s is closed", m1)
	s.show(eng.Close(s.now, m1))
	s.step(22*time.Hour, "lunch: 阿花 (hua) and 阿强 (qiang) close every session")
	s.closeAll()
	s.loads()

	// P10: crowd priority sets the exclusive agent aside.
	s.ask(23*time.Hour, "b30", "ordinary, with exclusive agent 阿强", dispatch.EntryProduct)
	s.note("no crowd: her exclusive agent (专属客服), who has room, takes b30 first")
	s.ask(23*time.Hour+time.Minute, "v3", "big-spender, with exclusive agent 阿强", dispatch.EntryProduct)
	s.note("crowd priority hit, so the exclusive agent is not applied: the least saturated agent takes v3 (P10)")

	// P5: no online, non-suspended agent: the bot, no prompt.
	s.step(24*time.Hour, "阿花 (hua) goes on break (小休); 阿强 (qiang) sets his max reception to suspended (挂起)")
	s.show(eng.SetStatus(s.now, "hua", agent.Break))
	s.show(eng.SetCapacity(s.now, "qiang", agent.Suspended()))
	m3 := s.ask(24*time.Hour+time.Minute, "m3", "member", dispatch.EntryProduct)
	s.note("no online, non-suspended agent: priority fails, the bot takes her, and no prompt is sent (P5)")
	s.step(24*time.Hour+10*time.Minute, "阿花 (hua) is back (online), 阿强 (qiang) sets his max reception back to 3; m3 asks the bot for a human (转人工)")
	s.show(eng.SetStatus(s.now, "hua", agent.Online))
	s.show(eng.SetCapacity(s.now, "qiang", agent.Limit(3)))
	s.show(eng.Handover(s.now, m3))

	// P8: 9 hours after the prompt, the next one is allowed.
	s.ask(28*time.Hour+3*time.Minute, "m1", "member", dispatch.EntryProduct)
	s.note("9 hours after her last prompt: prompted again (P8)")
	s.step(30*time.Hour, "evening: 阿花 (hua) and 阿强 (qiang) close every session")
	s.closeAll()

	// P4: membership counts from the next local day (T+1).
	s.step(33*time.Hour+30*time.Minute, "buyer n1 joins the shop's membership (入会) today: the host tags her member since 23:30")
	s.crowds["n1"] = []dispatch.Membership{{Crowd: "members", Since: s.now}}
	s.note("the 12.12 warm-up (双12预热) opens at midnight: late buyers rush in")
	s.rush(33*time.Hour+40*time.Minute, 40, 7)
	s.loads()
	n1 := s.ask(33*time.Hour+50*time.Minute, "n1", "member since 23:30 today", dispatch.EntryProduct)
	s.note("day T: her membership does not count yet, so she queues like an ordinary buyer (P4)")
	s.step(33*time.Hour+59*time.Minute+30*time.Second, "n1 gives up waiting (Q3)")
	s.show(eng.Leave(s.now, n1))
	s.ask(34*time.Hour, "n1", "member since yesterday 23:30", dispatch.EntryProduct)
	s.note("00:00, day T+1 in China time: she counts as a member and skips the queue (P4, P1)")
	if s.err != nil {
		return s.err
	}

	fmt.Fprintf(w, "\nfinal state at %s, team level %s\n", s.now.Format("2006-01-02 15:04:05"), eng.TeamLevel())
	fmt.Fprintf(w, "  %-13s %-8s %-10s %s\n", "agent", "status", "capacity", "load")
	for a := range eng.Agents() {
		fmt.Fprintf(w, "  %-11s %-8s %-10s %d\n", who(a.ID), a.Status, a.Capacity, a.Load)
	}
	fmt.Fprintf(w, "  queue pool (排队池): %d waiting; with the bot: %d; open sessions: %d\n", eng.QueueLen(), eng.BotLen(), eng.Sessions())
	return modes(w)
}

// modes shows the prompt's text in each diversion mode (P6) and the
// recent-contact exception without a queue (P9), each in a fresh shop at
// gold with one agent; it prints a table, not the steps.
func modes(w io.Writer) error {
	fmt.Fprintln(w, "\nthe prompt by diversion mode (P6, P9): a fresh shop at gold, one agent 阿花 (hua);")
	fmt.Fprintln(w, "m1 first asks from the message box (no prompt) and is closed, then m1 and v1 ask from a product page")
	for _, m := range []struct {
		name              string
		noQueue, botFirst bool
	}{{"queue on:", false, false}, {"queue off, bot first:", true, true}, {"queue off, no bot:", true, false}} {
		p := shop()
		p.TeamLevel, p.NoQueue, p.BotFirst = policy.LevelGold, m.noQueue, m.botFirst
		eng, err := dispatch.New(p)
		if err != nil {
			return err
		}
		s := &scene{w: io.Discard, eng: eng, now: start.Add(2 * day), crowds: map[string][]dispatch.Membership{"m1": member, "v1": big}}
		s.show(eng.AddAgent(s.now, "hua", dispatch.AgentConfig{Capacity: agent.Limit(5)}))
		first := s.ask(2*day, "m1", "member", dispatch.EntryMessageBox)
		s.show(eng.Close(s.now, first))
		for _, b := range [][2]string{{"m1", "m1, back to her recent contact"}, {"v1", "v1, new to the shop"}} {
			s.n++
			evs, err := eng.Arrive(s.now, dispatch.Arrival{Session: fmt.Sprint("s", s.n), Buyer: b[0], Entry: dispatch.EntryProduct, Crowds: s.crowds[b[0]]})
			line := ", no prompt"
			for _, ev := range evs {
				if p := ev.Prompt; ev.Kind == dispatch.EventPrompt {
					line = fmt.Sprintf(":「%s」%s — %s: %s", p.TitleZH, p.TextZH, p.Title, p.Text)
				}
			}
			if s.show(evs, err); s.err != nil {
				return s.err
			}
			fmt.Fprintf(w, "  %-21s %s → %s [%s]%s\n", m.name, b[1], who(evs[0].Agent), evs[0].Cause, line)
			m.name = ""
		}
	}
	return nil
}
