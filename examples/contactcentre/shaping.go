package main

import (
	"fmt"
	"io"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/policy"
)

// shapingStart is when the second scene begins, on another shop: half a
// minute before its business hours open at 09:00.
var shapingStart = time.Date(2026, 11, 11, 8, 59, 30, 0, policy.ChinaStandardTime())

// queueShaping is the second shop's policy: least-saturated routing and
// a queue (the zero policy) with the options of queue shaping (E6-E11)
// set, and no offers (E1-E5 off): assignments are direct.
func queueShaping() policy.Policy {
	hours := &policy.Hours{Outside: policy.OutsideOffline} // E11: outside them, the offline path
	for day := range hours.Week {
		hours.Week[day] = []policy.Span{{Start: 9 * time.Hour, End: 18 * time.Hour}}
	}
	return policy.Policy{
		Location:  policy.ChinaStandardTime(),
		Hours:     hours,       // E11: open 09:00-18:00 every day
		AgingStep: time.Minute, // E6: a waiting buyer's priority rises by 1 a minute
		Groups: []policy.Group{ // R2: the vip crowd's group; E7: after 30 s the general group too
			{ID: "vip", Crowds: []string{"vip"}, Rings: []policy.Ring{{After: 30 * time.Second, Groups: []string{"general"}}}},
			{ID: "general"},
		},
		QueueCap:      3,                                                // E8: at most 3 buyers waiting
		MaxWait:       3 * time.Minute,                                  // E8: for at most 3 minutes
		Divert:        policy.DivertRefuse,                              // E8: else refused, with the reason
		InactiveAfter: 5 * time.Minute,                                  // E9: a buyer silent 5 minutes frees the unit
		Weights:       []policy.Weight{{Kind: "after-sales", Units: 2}}, // E10
	}
}

// arriveWith is a buyer's first message, with a priority, a crowd or a
// kind.
func (s *stage) arriveWith(a dispatch.Arrival) { s.show(s.eng.Arrive(s.now, a)) }

// shaping is the second scripted scene: every rule of E6-E11 once, at
// exact times, on a second shop.
func shaping(w io.Writer) error {
	_, err := playShaping(w)
	return err
}

// playShaping plays the scene and returns its stage: the engine, and the
// events it printed.
func playShaping(w io.Writer) (*stage, error) {
	p := queueShaping()
	eng, err := dispatch.New(p)
	if err != nil {
		return nil, err
	}
	s := &stage{w: w, eng: eng, start: shapingStart}
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	vip := []dispatch.Membership{{Crowd: "vip"}}
	g := p.Groups[0]
	open := p.Hours.Week[shapingStart.Weekday()][0]

	fmt.Fprintln(w)
	s.step(0, "a second shop: queue shaping (E6-E11) on least-saturated routing (R1), queue on, no offers; the vip crowd goes to the vip group first (R2)")
	s.note("business hours %s-%s every day, the offline path outside them (E11); a waiting buyer's priority rises by 1 every %v (E6);",
		clock(open.Start), clock(open.End), p.AgingStep)
	s.note("a vip buyer waits %v for the vip group alone, then for the general group too (E7); at most %d buyers wait, each at most %v, else %s (E8);",
		g.Rings[0].After, p.QueueCap, p.MaxWait, "refused")
	s.note("a replied session whose buyer is silent for %v stops counting toward the load (E9); an %s session costs %d units (E10)",
		p.InactiveAfter, p.Weights[0].Kind, p.Weights[0].Units)
	for _, a := range []struct {
		id, group string
		cap       int
	}{{"ding", "general", 2}, {"feng", "general", 2}, {"zhou", "vip", 1}} {
		s.step(0, "%s logs in to the %s group (R2) with max reception %d", who(a.id), a.group, a.cap)
		s.show(eng.AddAgent(s.now, a.id, dispatch.AgentConfig{Capacity: agent.Limit(a.cap), Group: a.group}))
	}

	// E11: before opening, the offline path, though agents are online.
	s.step(sec(10), "buyer c1 asks (session q1) before opening: the shop is closed, so the offline path, though agents are online (E11)")
	s.arrive("q1", "c1")
	s.note("the cause tells the host to say the shop is closed; 小丁 (ding), with room, took the message at once (O2)")
	s.step(sec(30), "opening time, 09:00 (E11): buyer c2 asks (session q2) and is routed as usual (R1)")
	s.arrive("q2", "c2")
	s.step(sec(35), "小冯 (feng) answers c2, who then stays silent (E9)")
	s.answer("q2", "feng")
	s.note("if c2 is still silent at %s, q2 stops counting toward 小冯 (feng)'s load (E9)", s.due("q2"))

	// E10: a weight-2 session does not fit in one free unit.
	s.step(sec(40), "buyer c3 of the vip crowd asks (session q3): 小周 (zhou) of the vip group has room (R2)")
	s.arriveWith(dispatch.Arrival{Session: "q3", Buyer: "c3", Crowds: vip})
	s.step(sec(50), "buyer c4 asks about a delivered order (session q4, after-sales: 2 units, E10): 小丁 (ding) and 小冯 (feng) have one free unit each")
	s.arriveWith(dispatch.Arrival{Session: "q4", Buyer: "c4", Kind: "after-sales"})
	s.loads()
	s.step(sec(60), "buyer c5 asks (session q5, 1 unit): a free unit fits it, so it is served at once, past q4, which keeps its place (E10)")
	s.arrive("q5", "c5")
	s.loads()

	// E7: a vip buyer waits for the vip group, then the ring widens.
	s.step(sec(70), "buyer c6 of the vip crowd asks (session q6): 小周 (zhou) is full; 小冯 (feng) has a free unit, but is not in the vip group (R2)")
	s.arriveWith(dispatch.Arrival{Session: "q6", Buyer: "c6", Crowds: vip})
	s.note("from %s, the general group may take q6 too (E7)", s.due("q6"))
	s.step(sec(105), "the clock is checked (Advance): q6 has waited for the vip group alone for 30 seconds (E7)")
	s.show(eng.Advance(s.now), nil)
	s.note("the ring opened at its instant, 30s after q6 entered the queue, and 小冯 (feng) of the general group took it (E7)")
	s.loads()

	// E10: one free unit does not serve q4; two do.
	s.step(sec(120), "小丁 (ding) closes q1: one unit frees, but q4 needs two, so it keeps waiting (E10)")
	s.show(eng.Close(s.now, "q1"))
	s.loads()
	s.step(sec(130), "小丁 (ding) closes q5: two units are free, and q4 takes both (E10)")
	s.show(eng.Close(s.now, "q5"))
	s.loads()

	// E6: aging; E8: the queue's cap.
	s.step(sec(210), "buyer c7 asks with priority 0 (session q7): everyone is full, so it waits (Q1)")
	s.arriveWith(dispatch.Arrival{Session: "q7", Buyer: "c7"})
	s.note("if q7 is still waiting at %s, it is refused (E8)", s.due("q7"))
	s.step(sec(230), "buyer c8 asks with priority 1 (session q8): it goes ahead of q7, which has waited 20s, less than its step (E6, Q2)")
	s.arriveWith(dispatch.Arrival{Session: "q8", Buyer: "c8", Priority: 1})
	s.step(sec(280), "buyer c9 asks with priority 1 (session q9): q7 reached priority 1 at %s, after its step, before c9 asked, so q9 goes after q7 (E6)",
		s.start.Add(sec(210)+p.AgingStep).Format("15:04:05"))
	s.arriveWith(dispatch.Arrival{Session: "q9", Buyer: "c9", Priority: 1})
	s.note("if q9 is still waiting at %s, it is refused (E8)", s.due("q9"))
	s.step(sec(290), "buyer c10 asks (session q10): %d buyers wait, the queue's cap (E8)", eng.QueueLen())
	s.arrive("q10", "c10")

	// E9: the silent buyer's session releases its unit, and counts again.
	s.step(sec(335), "the clock is checked (Advance): c2 has written nothing in q2 since asking at 09:00:00, and 小冯 (feng) answered (E9)")
	s.show(eng.Advance(s.now), nil)
	s.note("小冯 (feng)'s released unit took the queue's head, q8, at the same instant (E9, C5); her session q6 and the others")
	s.note("are unreplied (the buyer waits for an answer), and an unreplied session never goes inactive")
	s.loads()
	s.step(sec(350), "c2 writes again in q2: the session counts again, and takes 小冯 (feng) over her cap (E9)")
	s.show(eng.Message(s.now, dispatch.Message{Session: "q2", From: dispatch.FromBuyer}))
	s.loads()

	// E6: the aged q7 is served before q9; E8: q9's maximum wait.
	s.step(sec(360), "小周 (zhou) closes q3: the queue's head, q7, takes her unit: aged to priority 1 before c9 asked, it stays ahead of q9 (E6)")
	s.show(eng.Close(s.now, "q3"))
	s.loads()
	s.step(sec(480), "the clock is checked (Advance): nobody had room for q9 (E8)")
	s.show(eng.Advance(s.now), nil)
	s.note("q9 waited %v, the longest the shop allows, and was refused at its deadline (E8)", p.MaxWait)
	s.loads()
	if s.err != nil {
		return s, s.err
	}

	st := eng.Stats()
	fmt.Fprintf(w, "\nthe queue-shaping scene in numbers (Engine.Stats) at %s\n", s.now.Format("15:04:05"))
	fmt.Fprintf(w, "  buyers %d; assigned %d: at arrival %d, freed %d, widened %d (E7)\n", st.Arrived,
		st.Assigned[dispatch.CauseArrival]+st.Assigned[dispatch.CauseFreed]+st.Assigned[dispatch.CauseWidened],
		st.Assigned[dispatch.CauseArrival], st.Assigned[dispatch.CauseFreed], st.Assigned[dispatch.CauseWidened])
	fmt.Fprintf(w, "  diverted: outside hours %d (E11), queue cap %d, maximum wait %d (E8); to the offline pool %d, refused %d\n",
		st.Diverted[dispatch.CauseOutsideHours], st.Diverted[dispatch.CauseQueueCap], st.Diverted[dispatch.CauseMaxWait],
		st.Offline, st.Refused)
	fmt.Fprintf(w, "  gone inactive %d (E9); in reception %d, waiting %d\n",
		st.Inactive, st.Sessions[dispatch.PlaceAgent], st.Sessions[dispatch.PlaceQueue])
	return s, nil
}

// due returns when a session's timer falls due, as "15:04:05": here the
// end of its wait in a ring (E7) or in the queue (E8), or the instant it
// goes inactive (E9).
func (s *stage) due(id string) string {
	info, ok := s.eng.Session(id)
	if !ok || info.Deadline.IsZero() {
		return "never"
	}
	return info.Deadline.Format("15:04:05")
}

// clock renders an offset from midnight as "09:00".
func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}
