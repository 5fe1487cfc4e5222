package metrics_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
	_ "time/tzdata" // the DST test's zones, wherever the tests run

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
	"github.com/kefu-dev/kefu/policy"
)

// Rule M5: the hourly report of one day, hand-computed; each count is by
// the hour it happened, the reply rate and first response by the hour the
// shop's clock started; the max queue carries into hours with no event.
func TestM5_Hourly(t *testing.T) {
	_, rec := run(t, policy.Policy{}, nil, []step{
		{"09:00:00", addAgent("a", 1)},
		{"09:10:00", arrive("s1")}, // -> a
		{"09:10:30", reply("s1", "a")},
		{"09:20:00", arrive("s2")}, // queued, length 1
		{"09:25:00", arrive("s3")}, // queued, length 2
		{"09:50:00", leave("s3")},  // Q3: not a consultation any more
		{"10:30:00", closeS("s1")}, // s2 -> a after 70 min; the queue was 1 all along 10h
		{"10:31:00", reply("s2", "a")},
		{"11:00:00", arrive("s4")}, // queued
		{"11:02:00", closeS("s2")}, // s4 -> a
		{"11:03:00", reply("s4", "a")},
	})
	got := rec.Hourly(day0)
	want := map[int]metrics.Hour{
		// s1 30 s in; s2 71 min out.
		9: {Hour: 9, Consultations: 2, Human: 1, Queued: 2, Left: 1, MaxQueue: 2,
			ReplyRate: rate(1, 2), FirstResponse: mean(30*sec, 71*minute)},
		10: {Hour: 10, Human: 1, MaxQueue: 1},
		// s4 3 min from the buyer's first message: in.
		11: {Hour: 11, Consultations: 1, Human: 1, Queued: 1, MaxQueue: 1,
			ReplyRate: rate(1, 1), FirstResponse: mean(3 * minute)},
	}
	for h, row := range got.Hours {
		w, ok := want[h]
		if !ok {
			w = metrics.Hour{Hour: h}
		}
		assert.Equal(t, w, row, "hour %d", h)
	}
	assert.Equal(t, metrics.Hour{Hour: -1, Consultations: 3, Human: 3, Queued: 3, Left: 1, MaxQueue: 2,
		ReplyRate: rate(2, 3), FirstResponse: mean(30*sec, 71*minute, 3*minute)}, got.Total)
	assert.Equal(t, `hourly report 2026-11-11
 hour  consult  human  bot  queued  left  max queue   3-min reply  first response
   09        2      1    0       2     1          2   50.0% (1/2)          35m45s
   10        0      1    0       0     0          1       no data         no data
   11        1      1    0       1     0          1  100.0% (1/1)            3m0s
total        3      3    0       3     1          2   66.7% (2/3)          24m50s
`, got.String())

	b, err := json.Marshal(got)
	require.NoError(t, err)
	var back struct {
		Date  string `json:"date"`
		Hours []struct {
			Hour      int `json:"hour"`
			ReplyRate struct {
				Value *float64 `json:"value"`
			} `json:"reply_rate"`
		} `json:"hours"`
	}
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, "2026-11-11", back.Date)
	require.Len(t, back.Hours, 24)
	assert.Nil(t, back.Hours[10].ReplyRate.Value, "no data is null, not 0")
	assert.InDelta(t, 0.5, *back.Hours[9].ReplyRate.Value, 1e-9)

	assert.Equal(t, metrics.Hour{Hour: 5}, rec.Hourly(day0.AddDays(3)).Hours[5], "a day with no activity")
}

// Rule M6: the real-time panel per agent and shop, against the engine's
// own counts; today received excludes started sessions and sessions
// transferred away (004 FAQ 4).
func TestM6_Panel(t *testing.T) {
	eng, rec := run(t, policy.Policy{}, nil, []step{
		{"09:00:00", addAgent("a", 2)},
		{"09:00:00", addAgent("b", 2)},
		{"09:01:00", arrive("s1")}, // -> a
		{"09:02:00", arrive("s2")}, // -> b
		{"09:03:00", arrive("s3")}, // -> a
		{"09:04:00", arrive("s4")}, // -> b
		{"09:05:00", arrive("s5")}, // queued
		{"09:06:00", reply("s2", "b")},
		{"09:07:00", transfer("s1", "b")}, // a frees a place: s5 -> a (C5)
		{"09:08:00", start("s6", "a")},    // a started it
		{"09:09:00", buyer("s2")},         // b's s2 unreplied again
	})
	p := rec.Panel(at("09:10:00"))
	// a: s3, s5, s6 in reception; s3, s5 unreplied; received s3, s5.
	// b: s2, s4, s1; all three unreplied; received s2, s4, s1.
	assert.Equal(t, []metrics.PanelRow{
		{Agent: "a", InReception: 3, Unreplied: 2, TodayReceived: 2},
		{Agent: "b", InReception: 3, Unreplied: 3, TodayReceived: 3},
	}, p.Agents)
	assert.Equal(t, metrics.PanelRow{InReception: 6, Unreplied: 5, TodayReceived: 5}, p.Shop)
	checkPanel(t, eng, rec, at("09:10:00"))
	assert.Equal(t, `panel 2026-11-11 09:10: in reception 6, unreplied 5, queued 0, offline 0, bot 0, today received 5
agent  in reception  unreplied  today received
    a             3          2               2
    b             3          3               3
`, p.String())

	// Tomorrow nothing is received yet; live counts carry on.
	p = rec.Panel(at("+1 08:00:00"))
	assert.Equal(t, 0, p.Shop.TodayReceived)
	assert.Equal(t, 6, p.Shop.InReception)
}

// Rule M6 with the pools: queued buyers and pending offline messages are
// the shop's, shown on every agent's row.
func TestM6_PanelPools(t *testing.T) {
	eng, rec := run(t, policy.Policy{}, nil, []step{
		{"07:00:00", arrive("s1")}, // nobody online: offline pool
		{"07:30:00", arrive("s2")}, // offline pool
		{"08:00:00", addAgent("a", 1)},
		{"08:01:00", arrive("s3")}, // queued: a is full with s1
		{"08:02:00", arrive("s4")}, // queued
	})
	p := rec.Panel(at("08:05:00"))
	assert.Equal(t, metrics.PanelRow{InReception: 1, Unreplied: 1, Queued: 2, Offline: 1, TodayReceived: 1}, p.Shop)
	assert.Equal(t, []metrics.PanelRow{{Agent: "a", InReception: 1, Unreplied: 1, Queued: 2, Offline: 1, TodayReceived: 1}}, p.Agents)
	checkPanel(t, eng, rec, at("08:05:00"))
}

// checkPanel compares the recorder's live counts with the engine's.
func checkPanel(t *testing.T, eng *dispatch.Engine, rec *metrics.Recorder, now time.Time) {
	t.Helper()
	p := rec.Panel(now)
	assert.Equal(t, eng.QueueLen(), p.Shop.Queued, "queued")
	assert.Equal(t, eng.OfflineLen(), p.Shop.Offline, "offline")
	load, unreplied, received, offered := 0, 0, 0, 0
	for a := range eng.Agents() {
		list, n, err := eng.List(a.ID, dispatch.Page{})
		require.NoError(t, err)
		u := 0
		for _, s := range list {
			if s.Unreplied {
				u++
			}
		}
		row, _ := p.Agent(a.ID)
		assert.Equal(t, n, row.InReception, "agent %s in reception", a.ID)
		// The load counts offers and wrap-ups too (E1, E5): the panel's
		// in reception does not.
		assert.Equal(t, a.Load-a.Offers-a.WrapUps, row.InReception, "agent %s load", a.ID)
		assert.Equal(t, a.Offers, row.Offered, "agent %s offered", a.ID)
		offered += a.Offers
		assert.Equal(t, u, row.Unreplied, "agent %s unreplied", a.ID)
		load += n
		unreplied += u
	}
	for _, row := range p.Agents {
		received += row.TodayReceived
	}
	assert.Equal(t, load, p.Shop.InReception)
	assert.Equal(t, unreplied, p.Shop.Unreplied)
	assert.Equal(t, offered, p.Shop.Offered)
	assert.Equal(t, received, p.Shop.TodayReceived)
}

// Rule M7: the alert list (the warning list): disappointed ratings, a first reply or a
// later reply slower than its threshold, a close with the buyer waiting
// too long; and Overdue for sessions waiting now.
func TestM7_Alerts(t *testing.T) {
	opts := []metrics.Option{metrics.WithSlowReply(2*time.Minute, 5*time.Minute)}
	_, rec := run(t, policy.Policy{}, opts, []step{
		{"09:00:00", addAgent("a", 10)},
		{"09:00:00", arrive("s1")},
		{"09:03:00", reply("s1", "a")}, // first reply after 3 min > 2
		{"09:10:00", buyer("s1")},
		{"09:14:00", reply("s1", "a")}, // 4 min <= 5: fine
		{"09:20:00", buyer("s1")},
		{"09:26:00", reply("s1", "a")}, // 6 min > 5
		{"09:30:00", arrive("s2")},
		{"09:33:00", closeS("s2")}, // closed after 3 min unanswered
		{"09:45:00", arrive("s3")},
		{"09:47:00", buyer("s1")},
	})
	require.NoError(t, rec.Rate(metrics.Rating{Session: "s1", Buyer: "b-s1", Agent: "a", Level: metrics.Disappointed,
		Source: metrics.Invitation, At: at("09:40:00")}))
	require.NoError(t, rec.Rate(metrics.Rating{Session: "s1", Buyer: "b-s1", Agent: "a", Level: metrics.Satisfied,
		Source: metrics.Invitation, At: at("09:41:00")}))
	assert.Equal(t, []metrics.Alert{
		{Kind: metrics.AlertSlowFirstReply, Session: "s1", Buyer: "b-s1", Agent: "a", At: at("09:03:00"), Wait: 3 * minute},
		{Kind: metrics.AlertSlowReply, Session: "s1", Buyer: "b-s1", Agent: "a", At: at("09:26:00"), Wait: 6 * minute},
		{Kind: metrics.AlertSlowFirstReply, Session: "s2", Buyer: "b-s2", Agent: "a", At: at("09:33:00"), Wait: 3 * minute, Unanswered: true},
		// kept though a later rating of the day replaces it for M1
		{Kind: metrics.AlertDisappointed, Session: "s1", Buyer: "b-s1", Agent: "a", At: at("09:40:00")},
	}, rec.Alerts(day0, day0))
	assert.Equal(t, "09:33:00 slow-first-reply s2 a waited 3m0s unanswered", rec.Alerts(day0, day0)[2].String())

	// At 09:50 s3 has waited 5 min for a first reply (> 2); s1's buyer 3
	// min for a later one (<= 5).
	assert.Equal(t, []metrics.Alert{
		{Kind: metrics.AlertSlowFirstReply, Session: "s3", Buyer: "b-s3", Agent: "a", At: at("09:50:00"), Wait: 5 * minute, Unanswered: true},
	}, rec.Overdue(at("09:50:00")))
	assert.Len(t, rec.Overdue(at("09:52:01")), 2, "s1 now over 5 min too")
}

// Forget bounds memory: a forgotten day is gone and is not recreated by a
// late sample of a session that started on it.
func TestForget(t *testing.T) {
	eng, rec := run(t, policy.Policy{}, nil, []step{
		{"23:00:00", addAgent("a", 10)},
		{"23:59:00", arrive("s")},
		{"+1 00:01:00", arrive("t")},
	})
	require.NoError(t, rec.Rate(rating("b1", "a", metrics.Satisfied, "12:00:00")))
	rec.Forget(day0.AddDays(1))
	evs, err := eng.Message(at("+1 00:05:00"), dispatch.Message{Session: "s", From: dispatch.FromAgent, Agent: "a"})
	require.NoError(t, err)
	rec.Feed(evs)
	assert.Equal(t, metrics.Hour{Hour: -1}, rec.Hourly(day0).Total, "day0 is gone")
	assert.Equal(t, metrics.Hour{Hour: 23}, rec.Hourly(day0).Hours[23], "and s's late reply did not bring it back")
	assert.Equal(t, rate(0, 0), rec.Reviews(day0, day0).Shop.Good)
	assert.NoError(t, rec.Rate(rating("b1", "a", metrics.Satisfied, "13:00:00")), "a forgotten day's rating is dropped")
	assert.Equal(t, rate(0, 0), rec.Reviews(day0, day0).Shop.Good)
	assert.Equal(t, 1, rec.Hourly(day0.AddDays(1)).Total.Consultations)
	assert.Equal(t, rate(0, 1), rec.Hourly(day0.AddDays(1)).Total.ReplyRate, "t missed at 00:04")
}

// Events of sessions the recorder never saw open (attached mid-stream)
// and events without a session are ignored, never a panic.
func TestObserve_UnknownSessions(t *testing.T) {
	rec := feed(t, nil,
		msgEv("09:00:00", "x", dispatch.FromAgent, "a", "08:00:00"),
		ev(dispatch.EventTransferred, "09:01:00", "x", "b", "08:00:00"),
		ev(dispatch.EventClosed, "09:02:00", "x", "b", "08:00:00"),
		ev(dispatch.EventLeft, "09:02:00", "y", "", "08:00:00"),
		dispatch.Event{Kind: dispatch.EventWarning, At: at("09:03:00"), Agent: "a", Warning: dispatch.WarnCapacityLow},
		dispatch.Event{Kind: dispatch.EventAssigned, At: at("09:04:00"), Agent: "a"}, // no session id
		dispatch.Event{Kind: dispatch.EventPrompt, At: at("09:05:00"), Session: "z"},
	)
	assert.Equal(t, 0, rec.Open())
	assert.Equal(t, metrics.Hour{Hour: -1}, rec.Hourly(day0).Total)
	assert.Empty(t, rec.Panel(at("09:10:00")).Agents)
	assert.Equal(t, at("09:05:00"), rec.Now())
}

// Hours and days are the shop's local ones, also at a half-hour offset
// (India, +05:30): 10:45 local is hour 10; 23:50 and 00:10 are two days.
func TestM5_LocalHoursAtHalfHourOffset(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	rec, err := metrics.New(ist)
	require.NoError(t, err)
	t1 := time.Date(2026, 11, 11, 10, 45, 0, 0, ist)
	rec.Feed([]dispatch.Event{
		{Kind: dispatch.EventAssigned, At: t1, Session: "s", Buyer: "b", Agent: "a", Cause: dispatch.CauseArrival, Arrived: t1},
		{Kind: dispatch.EventMessage, At: t1.Add(20 * time.Minute), Session: "s", Agent: "a", Sender: dispatch.FromAgent, Arrived: t1},
	})
	d := metrics.DateOf(t1, ist)
	h := rec.Hourly(d)
	assert.Equal(t, 1, h.Hours[10].Consultations)
	assert.Equal(t, rate(0, 1), h.Hours[10].ReplyRate)
	assert.Equal(t, 0, h.Hours[11].Consultations)

	late := time.Date(2026, 11, 11, 23, 50, 0, 0, ist)
	require.NoError(t, rec.Rate(metrics.Rating{Buyer: "b", Agent: "a", Level: metrics.Normal, Source: metrics.BuyerRated, At: late}))
	require.NoError(t, rec.Rate(metrics.Rating{Buyer: "b", Agent: "a", Level: metrics.Satisfied, Source: metrics.BuyerRated, At: late.Add(20 * time.Minute)}))
	assert.Equal(t, rate(1, 2), rec.Reviews(d, d.AddDays(1)).Shop.Good)
}

// Sessions the bot holds (B1) show on the panel as the bot's, never as an
// agent's load (B3), and are not overdue: nobody human owes them an
// answer until the hand-over.
func TestM6_M7_Bot(t *testing.T) {
	B, A := dispatch.EventBot, dispatch.EventAssigned
	rec := feed(t, nil,
		ev(B, "09:00:00", "s1", "", "09:00:00"),
		ev(B, "09:01:00", "s2", "", "09:01:00"),
		msgEv("09:01:05", "s2", dispatch.FromBot, "", "09:01:00"),
		ev(A, "09:05:00", "s2", "a", "09:01:00"), // hand-over
	)
	p := rec.Panel(at("09:30:00"))
	assert.Equal(t, 1, p.Bot)
	assert.Equal(t, []metrics.PanelRow{{Agent: "a", InReception: 1, Unreplied: 1, TodayReceived: 1}}, p.Agents)
	assert.Equal(t, []metrics.Alert{
		{Kind: metrics.AlertSlowFirstReply, Session: "s2", Buyer: "b-s2", Agent: "a", At: at("09:30:00"), Wait: 25 * minute, Unanswered: true},
	}, rec.Overdue(at("09:30:00")))
	rec.Advance(at("09:30:00"))
	h := rec.Hourly(day0).Hours[9]
	assert.Equal(t, [3]int{2, 1, 2}, [3]int{h.Consultations, h.Human, h.Bot})
	assert.Equal(t, rate(0, 1), h.ReplyRate, "s2 missed from its hand-over; s1 is the bot's")
}

// Observe does not allocate in steady state (DESIGN property 5).
func TestObserve_NoAllocation(t *testing.T) {
	rec := feed(t, nil)
	now := at("09:00:00")
	cycle := func() {
		now = now.Add(time.Second)
		rec.Observe(dispatch.Event{Kind: dispatch.EventAssigned, At: now, Session: "s", Buyer: "b", Agent: "a", Cause: dispatch.CauseArrival, Arrived: now})
		rec.Observe(dispatch.Event{Kind: dispatch.EventMessage, At: now.Add(time.Second), Session: "s", Agent: "a", Sender: dispatch.FromBuyer, Arrived: now})
		rec.Observe(dispatch.Event{Kind: dispatch.EventMessage, At: now.Add(2 * time.Second), Session: "s", Agent: "a", Sender: dispatch.FromAgent, Arrived: now})
		rec.Observe(dispatch.Event{Kind: dispatch.EventClosed, At: now.Add(3 * time.Second), Session: "s", Agent: "a", Arrived: now})
	}
	for i := 0; i < 100; i++ {
		cycle()
	}
	assert.Zero(t, testing.AllocsPerRun(200, cycle))
	assert.Equal(t, 0, rec.Open())
}

// Hours are local clock hours across a DST change: the recorder's cached
// hour never spans two local hours, nor stops short. In Berlin on
// 2026-10-25 the clocks go from 03:00 CEST back to 02:00 CET: 01:30 CEST
// is hour 1, 02:15 CEST and 02:15 CET are hour 2 (the cache once counted
// 02:15 CEST in hour 1). In New York on 2026-03-08 02:00 is skipped: the
// max queue's carry into the next hours once crawled through 01:00 EST a
// nanosecond at a time. Lord Howe Island moves by 30 minutes.
func TestM5_LocalHoursAcrossDST(t *testing.T) {
	for _, c := range []struct {
		zone string
		day  time.Time // a day with a DST change, 00:00 UTC
	}{
		{"Europe/Berlin", time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC)},
		{"Europe/Berlin", time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)},
		{"America/New_York", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{"America/New_York", time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)},
		{"Australia/Lord_Howe", time.Date(2026, 4, 4, 0, 0, 0, 0, time.UTC)},
		{"Australia/Lord_Howe", time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC)},
	} {
		loc, err := time.LoadLocation(c.zone)
		require.NoError(t, err)
		rec, err := metrics.New(loc)
		require.NoError(t, err)
		want := map[metrics.Date]*[24]int{}
		// An arrival every 7 minutes for a day and a half.
		for i := 0; i < 36*60/7; i++ {
			at := c.day.Add(time.Duration(i) * 7 * time.Minute)
			id := fmt.Sprint("s", i)
			rec.Observe(dispatch.Event{Kind: dispatch.EventQueued, At: at, Session: id, Buyer: id, Arrived: at})
			d := metrics.DateOf(at, loc)
			if want[d] == nil {
				want[d] = new([24]int)
			}
			want[d][at.In(loc).Hour()]++
		}
		for d, w := range want {
			rep := rec.Hourly(d)
			for h := range w {
				assert.Equal(t, w[h], rep.Hours[h].Consultations, "%s %s hour %d", c.zone, d, h)
			}
		}
	}
}

// At the end of the recorder's time range (2262, where int64 nanoseconds
// end) the max queue's carry stops instead of wrapping round to 1677 and
// walking every hour since.
func TestM5_QueueAtTheEndOfTime(t *testing.T) {
	rec, err := metrics.New(cst)
	require.NoError(t, err)
	end := time.Unix(0, 1<<63-1)
	t0 := end.Add(-40 * time.Minute)
	rec.Observe(dispatch.Event{Kind: dispatch.EventQueued, At: t0, Session: "s", Buyer: "b", Arrived: t0})
	rec.Advance(t0.Add(20 * time.Minute))
	rec.Advance(end)
	d := rec.DateOf(end)
	assert.Equal(t, 1, rec.Hourly(d).Total.MaxQueue)
	assert.Equal(t, 1, rec.Hourly(d).Hours[end.In(cst).Hour()].MaxQueue)
	assert.Equal(t, metrics.Hour{Hour: -1}, rec.Hourly(metrics.Date{Year: 1677, Month: time.September, Day: 21}).Total)
	data, err := rec.Snapshot()
	require.NoError(t, err)
	c, err := metrics.Restore(cst, data)
	require.NoError(t, err)
	c.Advance(end)
	assert.Equal(t, rec.Hourly(d), c.Hourly(d))
}
