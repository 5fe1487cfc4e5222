package metrics_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
	"github.com/kefu-dev/kefu/policy"
)

// The host loop: every event the engine returns goes to the recorder too.
// The acceptance case of Q5: a session queued 5 minutes and answered 1
// minute after assignment is within 3 minutes for the agent (M2), not for
// the shop (M3).
func Example() {
	china := time.FixedZone("CST", 8*3600)
	t0 := time.Date(2026, 11, 11, 9, 0, 0, 0, china)
	eng, _ := dispatch.New(policy.Policy{Capacity: agent.KuaishouBounds()})
	rec, _ := metrics.New(china)
	do := func(evs []dispatch.Event, err error) {
		if err != nil {
			fmt.Println(err)
			return
		}
		rec.Feed(evs) // before the next engine call: the slice is reused
	}

	do(eng.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)}))
	do(eng.Arrive(t0, dispatch.Arrival{Session: "s1", Buyer: "b1"})) // -> wang
	do(eng.Arrive(t0, dispatch.Arrival{Session: "s2", Buyer: "b2"})) // queued
	do(eng.Message(t0.Add(30*time.Second), dispatch.Message{Session: "s1", From: dispatch.FromAgent, Agent: "wang"}))
	do(eng.Close(t0.Add(5*time.Minute), "s1")) // s2 -> wang
	do(eng.Message(t0.Add(6*time.Minute), dispatch.Message{Session: "s2", From: dispatch.FromAgent, Agent: "wang"}))

	today := rec.DateOf(t0)
	rep := rec.Replies(today, today)
	wang, _ := rep.Agent("wang")
	fmt.Println("wang:", wang.ReplyRate)
	fmt.Println("shop:", rep.Shop.ReplyRate)
	// Output:
	// wang: 100.0% (2/2)
	// shop: 50.0% (1/2)
}

// Rule M1a: one buyer rating one agent twice in a day counts once, the
// last rating; across midnight (the shop's) it counts twice.
func ExampleRecorder_Rate() {
	china := time.FixedZone("CST", 8*3600)
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, china) }
	rec, _ := metrics.New(china)
	for _, r := range []metrics.Rating{
		{Buyer: "b1", Agent: "wang", Level: metrics.Disappointed, Source: metrics.Invitation, At: day(11, 9)},
		{Buyer: "b1", Agent: "wang", Level: metrics.Satisfied, Source: metrics.BuyerRated, At: day(11, 21)},
		{Buyer: "b1", Agent: "wang", Level: metrics.Normal, Source: metrics.SystemPush, At: day(12, 0)},
		{Buyer: "b1", Bot: true, Level: metrics.Satisfied, Source: metrics.SystemPush, At: day(12, 1)},
	} {
		if err := rec.Rate(r); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println("11th:", rec.Reviews(rec.DateOf(day(11, 0)), rec.DateOf(day(11, 0))).Shop.Good)
	fmt.Println("11th-12th:", rec.Reviews(rec.DateOf(day(11, 0)), rec.DateOf(day(12, 0))).Shop.Good)
	fmt.Println("13th:", rec.Reviews(rec.DateOf(day(13, 0)), rec.DateOf(day(13, 0))).Shop.Good)
	fmt.Print(rec.Reviews(rec.DateOf(day(11, 0)), rec.DateOf(day(12, 0))))
	err := rec.Rate(metrics.Rating{Buyer: "b1", Agent: "wang", Level: 7, Source: metrics.Invitation, At: day(11, 9)})
	fmt.Println(err)
	// Output:
	// 11th: 100.0% (1/1)
	// 11th-12th: 66.7% (2/3)
	// 13th: no data
	// reviews 2026-11-11 to 2026-11-12: good 66.7% (2/3), bad attitude 0.0% (0/1)
	// rated  satisfied  normal  disappointed    good  bad attitude
	//  wang          1       1             0   50.0%          0.0%
	//   bot          1       0             0  100.0%       no data
	// metrics: unknown rating level: 7
}

// Rule M4: a month's bad-attitude rate against the 6% standard, with the
// host's tiers.
func ExampleRecorder_Attitude() {
	china := time.FixedZone("CST", 8*3600)
	rec, _ := metrics.New(china, metrics.WithTiers(
		metrics.Tier{Name: "minor", Over: 0.06, Consequence: "warning, training, exam"},
		metrics.Tier{Name: "serious", Over: 0.10, Consequence: "warning, exam, 100-300 yuan"},
		metrics.Tier{Name: "very serious", Over: 0.20, Consequence: "warning, exam, 500-1000 yuan"},
	))
	fmt.Println(rec.Attitude(2026, time.October))
	for i := 0; i < 12; i++ {
		r := metrics.Rating{Buyer: fmt.Sprint("b", i), Agent: "wang", Level: metrics.Normal,
			Source: metrics.SystemPush, At: time.Date(2026, 11, 1+i, 10, 0, 0, 0, china)}
		if i == 0 {
			r.Level, r.Reasons = metrics.Disappointed, metrics.ReasonBadAttitude
		}
		rec.Rate(r)
	}
	fmt.Println(rec.Attitude(2026, time.November))
	// Output:
	// 2026-10 bad attitude no data, standard 6.0%: no data
	// 2026-11 bad attitude 8.3% (1/12), standard 6.0%: not compliant (minor: warning, training, exam)
}

// A platform that counts 08:00–23:00 only.
func ExampleHoursBetween() {
	h, _ := metrics.HoursBetween(8, 23)
	fmt.Println(h, h.Has(7), h.Has(8), h.Has(22), h.Has(23))
	rec, _ := metrics.New(time.FixedZone("CST", 8*3600), metrics.WithCountedHours(h))
	fmt.Println(rec.CountedHours())
	// Output:
	// 08-23 false true true false
	// 08-23
}

// An empty rate is "no data", never 0% or NaN.
func ExampleRate() {
	fmt.Println(metrics.Rate{})
	fmt.Println(metrics.Rate{Num: 19, Den: 20})
	_, ok := metrics.Rate{}.Value()
	fmt.Println(ok)
	// Output:
	// no data
	// 95.0% (19/20)
	// false
}

// A short morning on the engine, then the supervisor's dashboard: the
// real-time panel (M6), the agents' reply rates (M2, M3, M8) and the
// hourly report (M5). Transfers and agent-started sessions are not
// "today received" (004 FAQ 4).
func ExampleRecorder_Dashboard() {
	china := time.FixedZone("CST", 8*3600)
	t := func(clock string) time.Time {
		c, _ := time.Parse(time.TimeOnly, clock)
		return time.Date(2026, 11, 11, c.Hour(), c.Minute(), c.Second(), 0, china)
	}
	eng, _ := dispatch.New(policy.Policy{Capacity: agent.KuaishouBounds(), BuyerIdleClose: 20 * time.Minute})
	rec, _ := metrics.New(china)
	do := func(evs []dispatch.Event, err error) {
		if err != nil {
			fmt.Println(err)
		}
		rec.Feed(evs)
	}
	agentMsg := func(s, a string) dispatch.Message {
		return dispatch.Message{Session: s, From: dispatch.FromAgent, Agent: a}
	}

	do(eng.AddAgent(t("08:00:00"), "li", dispatch.AgentConfig{Capacity: agent.Limit(2)}))
	do(eng.AddAgent(t("08:00:00"), "wang", dispatch.AgentConfig{Capacity: agent.Limit(2)}))
	do(eng.Arrive(t("08:10:00"), dispatch.Arrival{Session: "s1", Buyer: "b1"})) // -> li
	do(eng.Message(t("08:11:00"), agentMsg("s1", "li")))                        // 60 s
	do(eng.Arrive(t("08:20:00"), dispatch.Arrival{Session: "s2", Buyer: "b2"})) // -> wang
	do(eng.Transfer(t("08:21:00"), "s2", "li"))                                 // wang: no sample
	do(eng.Message(t("08:23:00"), agentMsg("s2", "li")))                        // li 120 s, shop 180 s
	do(eng.Arrive(t("09:00:00"), dispatch.Arrival{Session: "s3", Buyer: "b3"})) // -> wang (s1, s2 auto-closed)
	do(eng.Arrive(t("09:01:00"), dispatch.Arrival{Session: "s4", Buyer: "b4"})) // -> li, never answered
	do(eng.Arrive(t("09:02:00"), dispatch.Arrival{Session: "s5", Buyer: "b5"})) // -> wang, never answered
	do(eng.Message(t("09:02:30"), agentMsg("s3", "wang")))                      // 150 s
	do(eng.Start(t("09:03:00"), dispatch.Outbound{Session: "s6", Buyer: "b6", Agent: "li"}))
	do(eng.Arrive(t("09:04:00"), dispatch.Arrival{Session: "s7", Buyer: "b7"})) // queued
	do(eng.Close(t("09:05:00"), "s3"))                                          // s7 -> wang
	do(eng.Message(t("09:06:00"), agentMsg("s7", "wang")))                      // wang 60 s, shop 120 s
	rec.Advance(t("09:10:00"))

	fmt.Print(rec.Dashboard(t("09:10:00")))
	// Output:
	// panel 2026-11-11 09:10: in reception 4, unreplied 2, queued 0, offline 0, bot 0, today received 6
	// agent  in reception  unreplied  today received
	//    li             2          1               3
	//  wang             2          1               3
	//
	// replies 2026-11-11 (window 3m0s, hours all): shop reply 66.7% (4/6), first response 2m8s, response 2m8s
	// agent  3-min reply  response  first responses  received
	//    li  66.7% (2/3)     1m30s                2         3
	//  wang  66.7% (2/3)     1m45s                2         3
	//
	// hourly report 2026-11-11
	//  hour  consult  human  bot  queued  left  max queue   3-min reply  first response
	//    08        2      2    0       0     0          0  100.0% (2/2)            2m0s
	//    09        4      4    0       1     0          1   50.0% (2/4)           2m15s
	// total        6      6    0       1     0          1   66.7% (4/6)            2m8s
}

// Rule M7: the alert list (a slow first reply, a disappointed rating)
// and, for a supervisor to step in, the sessions waiting too long now.
func ExampleRecorder_Overdue() {
	eng, _ := dispatch.New(policy.Kuaishou())
	rec, _ := metrics.New(eng.Policy().WithDefaults().Location, metrics.WithSlowReply(2*time.Minute, 5*time.Minute))
	t0 := time.Date(2026, 11, 11, 9, 0, 0, 0, eng.Policy().WithDefaults().Location)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	feed := func(evs []dispatch.Event, _ error) { rec.Feed(evs) }

	feed(eng.AddAgent(at(0), "wang", dispatch.AgentConfig{Capacity: agent.Limit(10)}))
	feed(eng.Arrive(at(0), dispatch.Arrival{Session: "s1", Buyer: "b1"}))
	feed(eng.Message(at(4), dispatch.Message{Session: "s1", From: dispatch.FromAgent, Agent: "wang"}))
	feed(eng.Arrive(at(5), dispatch.Arrival{Session: "s2", Buyer: "b2"}))
	rec.Rate(metrics.Rating{Session: "s1", Buyer: "b1", Agent: "wang", Level: metrics.Disappointed,
		Source: metrics.Invitation, At: at(6)})

	today := rec.DateOf(t0)
	for _, w := range rec.Alerts(today, today) {
		fmt.Println(w)
	}
	for _, w := range rec.Overdue(at(10)) {
		fmt.Println(w)
	}
	// Output:
	// 09:04:00 slow-first-reply s1 wang waited 4m0s
	// 09:06:00 disappointed s1 wang
	// 09:10:00 slow-first-reply s2 wang waited 5m0s unanswered
}

// A restart: the engine and the recorder are snapshotted at the same
// point of the event stream and restored together, with the same
// configuration; the restored recorder counts what comes next as the
// original would have.
func ExampleRestore() {
	china := time.FixedZone("CST", 8*3600)
	t0 := time.Date(2026, 11, 11, 9, 0, 0, 0, china)
	pol := policy.Policy{Capacity: agent.KuaishouBounds()}
	eng, _ := dispatch.New(pol)
	rec, _ := metrics.New(china)
	feed := func(evs []dispatch.Event, err error) {
		if err != nil {
			fmt.Println(err)
		}
		rec.Feed(evs)
	}
	reply := func(s string) dispatch.Message {
		return dispatch.Message{Session: s, From: dispatch.FromAgent, Agent: "wang"}
	}

	feed(eng.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(5)}))
	feed(eng.Arrive(t0, dispatch.Arrival{Session: "s1", Buyer: "b1"}))
	feed(eng.Message(t0.Add(time.Minute), reply("s1")))
	feed(eng.Arrive(t0.Add(2*time.Minute), dispatch.Arrival{Session: "s2", Buyer: "b2"}))

	// Shutting down: both snapshots, after the same call.
	engData, err := eng.Snapshot()
	if err != nil {
		fmt.Println(err)
	}
	recData, err := rec.Snapshot()
	if err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%s\n", bytes.Join(bytes.Fields(recData)[:2], []byte(" ")))

	// Starting again: s2's reply window is still running.
	eng, _ = dispatch.Restore(pol, engData)
	rec, err = metrics.Restore(china, recData)
	if err != nil {
		fmt.Println(err)
	}
	feed(eng.Message(t0.Add(4*time.Minute), reply("s2")))
	today := rec.DateOf(t0)
	wang, _ := rec.Replies(today, today).Agent("wang")
	fmt.Println("open:", rec.Open(), "wang:", wang.ReplyRate)
	// Output:
	// kefu-metrics-snapshot 1
	// open: 2 wang: 100.0% (2/2)
}

// The recorder as the engine's observer (dispatch.WithObserver): the
// engine feeds it every event, and its state travels inside the engine's
// snapshot, so the two are always saved at the same point of the event
// stream. A restart in the middle of the run: the restored recorder (a
// new one, loaded by dispatch.Restore) counts the rest of the run exactly
// as the recorder that never stopped.
func ExampleRecorder_observer() {
	china := time.FixedZone("CST", 8*3600)
	t0 := time.Date(2026, 11, 11, 9, 0, 0, 0, china)
	m := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	pol := policy.Policy{Capacity: agent.KuaishouBounds()}
	reply := func(s string) dispatch.Message {
		return dispatch.Message{Session: s, From: dispatch.FromAgent, Agent: "wang"}
	}

	rec, _ := metrics.New(china)
	eng, _ := dispatch.New(pol, dispatch.WithObserver("metrics", rec))
	eng.AddAgent(m(0), "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})
	eng.Arrive(m(0), dispatch.Arrival{Session: "s1", Buyer: "b1"}) // -> wang
	eng.Arrive(m(1), dispatch.Arrival{Session: "s2", Buyer: "b2"}) // queued
	eng.Message(m(2), reply("s1"))

	// A restart: one snapshot holds the engine and its recorder.
	data, err := eng.Snapshot()
	if err != nil {
		fmt.Println(err)
	}
	fresh, _ := metrics.New(china) // the same time zone and options
	restored, err := dispatch.Restore(pol, data, dispatch.WithObserver("metrics", fresh))
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("restored, open:", fresh.Open())

	// The rest of the run, on the original and on the restored pair.
	for _, e := range []*dispatch.Engine{eng, restored} {
		e.Close(m(6), "s1") // s2 -> wang, 5 minutes after it asked
		e.Message(m(7), reply("s2"))
		e.Arrive(m(8), dispatch.Arrival{Session: "s3", Buyer: "b3"}) // never answered
		e.Advance(m(20))                                             // the engine tells its recorder the time: s3's window ran out
	}

	today := fresh.DateOf(t0)
	fmt.Print(fresh.Replies(today, today))
	fmt.Print(fresh.Hourly(today))
	fmt.Println("as the original:", fresh.Replies(today, today).String() == rec.Replies(today, today).String() &&
		fresh.Hourly(today).String() == rec.Hourly(today).String())
	// Output:
	// restored, open: 2
	// replies 2026-11-11 (window 3m0s, hours all): shop reply 33.3% (1/3), first response 4m0s, response 4m0s
	// agent   3-min reply  response  first responses  received
	//  wang  100.0% (2/2)     1m30s                2         2
	// hourly report 2026-11-11
	//  hour  consult  human  bot  queued  left  max queue  3-min reply  first response
	//    09        3      2    0       2     0          1  33.3% (1/3)            4m0s
	// total        3      2    0       2     0          1  33.3% (1/3)            4m0s
	// as the original: true
}
