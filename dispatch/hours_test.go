package dispatch

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// Step tables of E11, business hours: a session that arrives (or is
// handed over by the bot) outside them takes the offline path or the bot,
// with CauseOutsideHours; inside them nothing changes. Every step checks
// Verify and the event ledger (run).

// shut wraps o: every EventOffline and EventBot it returns must carry
// CauseOutsideHours (else the step fails with an error).
func shut(o op) op { return withCause(o, CauseOutsideHours) }

// opened wraps o: no EventOffline or EventBot it returns carries a cause.
func opened(o op) op { return withCause(o, 0) }

func withCause(o op, c Cause) op {
	return op{o.name, func(e *Engine, now time.Time) ([]Event, error) {
		evs, err := o.do(e, now)
		for _, ev := range evs {
			if (ev.Kind == EventOffline || ev.Kind == EventBot) && ev.Cause != c {
				return evs, fmt.Errorf("%s: %s with cause %q, want %q", o.name, brief(ev), ev.Cause, c)
			}
			if (ev.Kind == EventAssigned || ev.Kind == EventOffered) && ev.Cause == CauseOutsideHours {
				return evs, fmt.Errorf("%s: %s with cause %q", o.name, brief(ev), ev.Cause)
			}
		}
		return evs, err
	}}
}

// daily returns business hours open from..to (hours of the day) every
// day of the week.
func daily(from, to time.Duration, outside policy.OutsideHours) *policy.Hours {
	h := &policy.Hours{Outside: outside}
	for d := range h.Week {
		h.Week[d] = []policy.Span{{Start: from * time.Hour, End: to * time.Hour}}
	}
	return h
}

// on returns the step offset of a wall-clock time on 2026-11-{day} in
// loc (t0 is 2026-11-11 20:00 UTC, a Wednesday).
func on(day, h, m, s, ns int, loc *time.Location) time.Duration {
	return time.Date(2026, 11, day, h, m, s, ns, loc).Sub(t0)
}

// E11: around opening time: 1 ns before 09:00 and 08:59:59 the shop is
// closed (offline pool), at 09:00:00 it is open (the queue, as a is
// full); closing time is exclusive: at 17:59:59.999999999 open, at 18:00
// closed. The diverted buyers count as arrivals (they asked).
func TestE11_OpeningAndClosingTime(t *testing.T) {
	p := policy.Policy{Hours: daily(9, 18, policy.OutsideOffline)} // UTC
	at := func(h, m, s, ns int) time.Duration { return on(12, h, m, s, ns, time.UTC) }
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{at: at(7, 0, 0, 0), op: shut(arrive("s0", "b0", 0)),
			want: []string{"offline s0", "assigned s0 a freed [offline]"}}, // a is still online, with room: O2
		{at: at(8, 59, 59, 0), op: shut(arrive("s1", "b1", 0)), want: []string{"offline s1"}},
		{at: at(8, 59, 59, 999999999), op: shut(arrive("s2", "b2", 0)), want: []string{"offline s2"}},
		{at: at(9, 0, 0, 0), op: opened(arrive("s3", "b3", 0)), want: []string{"queued s3"}},
		{at: at(17, 59, 59, 999999999), op: opened(arrive("s4", "b4", 0)), want: []string{"queued s4"}},
		{at: at(18, 0, 0, 0), op: shut(arrive("s5", "b5", 0)), want: []string{"offline s5"},
			check: func(t *testing.T, e *Engine) {
				assert.Equal(t, 2, e.QueueLen())
				assert.Equal(t, 3, e.OfflineLen())
				st := e.Stats()
				assert.Equal(t, uint64(6), st.Arrived, "a buyer diverted by hours still asked")
				assert.Equal(t, uint64(4), st.Offline)
			}},
		// Sessions already waiting are not touched by closing time; a
		// freed place pulls the best waiting session by Q2, offline or not.
		{at: at(18, 1, 0, 0), op: closeS("s0"), want: []string{"closed s0 a [offline]", "assigned s1 a freed [offline]"}},
	})
}

// E11: Outside = bot: a closed shop's arrivals go to the bot, with the
// cause; an open shop's to a human. Closed hours come before priority
// crowds (P1: no human, no prompt), the exclusive agent (P10) and the
// bot windows (B2: a window with share 0 does not keep a buyer from the
// bot).
func TestE11_OutsideToTheBot(t *testing.T) {
	p := policy.Policy{Hours: daily(9, 18, policy.OutsideToBot),
		Crowds: []policy.Crowd{{ID: "vip"}}, TeamLevel: policy.LevelGold,
		BotWindows:   []policy.Window{{Start: 18 * time.Hour, End: 24 * time.Hour, Share: 0}},
		BotIdleClose: 24 * time.Hour}
	longAgo := t0.Add(-30 * 24 * time.Hour)
	at := func(h, m int) time.Duration { return on(12, h, m, 0, 0, time.UTC) }
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(5))},
		{at: at(8, 0), op: shut(arrive("s1", "b1", 0)), want: []string{"bot s1"}},
		{at: at(8, 1), op: shut(arriveWith(Arrival{Session: "s2", Buyer: "b2", Entry: EntryProduct,
			Crowds: []Membership{{"vip", longAgo}}})), want: []string{"bot s2"}},
		{at: at(8, 2), op: shut(arriveWith(Arrival{Session: "s3", Buyer: "b3", Exclusive: "a"})), want: []string{"bot s3"}},
		{at: at(9, 0), op: opened(arriveWith(Arrival{Session: "s4", Buyer: "b4", Entry: EntryProduct,
			Crowds: []Membership{{"vip", longAgo}}})), want: []string{"assigned s4 a priority", "prompt s4 priority/skip-queue"}},
		{at: at(9, 1), op: opened(arriveWith(Arrival{Session: "s5", Buyer: "b5", Exclusive: "a"})),
			want: []string{"assigned s5 a exclusive"}},
		{at: at(18, 0), op: shut(arrive("s6", "b6", 0)), want: []string{"bot s6"},
			check: func(t *testing.T, e *Engine) {
				assert.Equal(t, 4, e.Stats().Sessions[PlaceBot])
				assert.Equal(t, uint64(6), e.Stats().Arrived)
			}},
	})
}

// E11: Outside = offline comes before the shop's bot-first mode (B1) and
// offline diversion (O4): the closed shop's choice wins. Open, they apply
// as before.
func TestE11_OutsideOfflineBeforeBotFirstAndO4(t *testing.T) {
	p := policy.Policy{Hours: daily(9, 18, policy.OutsideOffline), BotFirst: true, OfflineDiversion: policy.OfflineToBot,
		BotIdleClose: 24 * time.Hour}
	at := func(h, m int) time.Duration { return on(12, h, m, 0, 0, time.UTC) }
	run(t, p, []step{
		{at: at(8, 0), op: shut(arrive("s1", "b1", 0)), want: []string{"offline s1"}}, // nobody online: not O4's bot
		{at: at(9, 0), op: opened(arrive("s2", "b2", 0)), want: []string{"bot s2"}},   // O4
		{at: at(9, 1), op: addAgent("a", agent.Limit(1)), want: []string{"assigned s1 a freed [offline]"}},
		{at: at(9, 2), op: opened(arrive("s3", "b3", 0)), want: []string{"bot s3"}}, // B1
		{at: at(20, 0), op: shut(arrive("s4", "b4", 0)), want: []string{"offline s4"}},
	})
}

// E11: priority buyers (P1) wait in the offline pool with everyone
// outside hours, rather than be assigned over the cap; the P5 path (the
// bot, when no agent is online) does not apply either.
func TestE11_PriorityOutsideHours(t *testing.T) {
	p := policy.Policy{Hours: daily(9, 18, policy.OutsideOffline),
		Crowds: []policy.Crowd{{ID: "vip"}}, TeamLevel: policy.LevelGold}
	longAgo := t0.Add(-30 * 24 * time.Hour)
	vip := func(id string) op {
		return arriveWith(Arrival{Session: id, Buyer: "b-" + id, Entry: EntryProduct, Crowds: []Membership{{"vip", longAgo}}})
	}
	at := func(h, m int) time.Duration { return on(12, h, m, 0, 0, time.UTC) }
	run(t, p, []step{
		{at: at(7, 0), op: shut(vip("v0")), want: []string{"offline v0"}}, // not P5's bot
		{at: at(7, 1), op: addAgent("a", agent.Limit(1)), want: []string{"assigned v0 a freed [offline]"}},
		{at: at(7, 2), op: shut(vip("v1")), want: []string{"offline v1"}}, // not over the cap (P1)
		{at: at(9, 0), op: opened(vip("v2")), want: []string{"assigned v2 a priority", "prompt v2 priority/skip-queue"}},
	})
}

// E11: a dated override: closed all day on a holiday (a Thursday), open
// on a special Saturday, and the weekday's hours on the days around.
func TestE11_DatedOverrides(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	h := &policy.Hours{Overrides: []policy.DayHours{
		{Date: "2026-11-14", Spans: []policy.Span{{Start: 10 * time.Hour, End: 12 * time.Hour}}}, // Saturday
		{Date: "2026-11-12"}, // Thursday: a holiday
	}}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Week[d] = []policy.Span{{Start: 9 * time.Hour, End: 18 * time.Hour}}
	}
	p := policy.Policy{Location: shanghai, Hours: h}
	at := func(day, hh int) time.Duration { return on(day, hh, 0, 0, 0, shanghai) }
	run(t, p, []step{
		{at: at(12, 6), op: addAgent("a", agent.Limit(1))},
		{at: at(12, 6), op: start("busy", "x", "a", false), want: []string{"assigned busy a started [started]"}}, // a is full all along
		{at: at(12, 10), op: shut(arrive("s1", "b1", 0)), want: []string{"offline s1"}},                          // the holiday
		{at: at(13, 10), op: opened(arrive("s2", "b2", 0)), want: []string{"queued s2"}},                         // Friday
		{at: at(14, 9), op: shut(arrive("s3", "b3", 0)), want: []string{"offline s3"}},                           // before the special hours
		{at: at(14, 10), op: opened(arrive("s4", "b4", 0)), want: []string{"queued s4"}},                         // the special Saturday
		{at: at(14, 12), op: shut(arrive("s5", "b5", 0)), want: []string{"offline s5"}},                          // its close
		{at: at(15, 10), op: shut(arrive("s6", "b6", 0)), want: []string{"offline s6"}},                          // Sunday
		{at: at(16, 10), op: opened(arrive("s7", "b7", 0)), want: []string{"queued s7"}},                         // Monday
	})
}

// E11: the bot hands a buyer over outside hours: the offline path, with
// the cause, whatever Outside says (the bot is where it comes from); an
// agent still online with room takes it as an offline message. Inside
// hours, the normal path (CauseHandover).
func TestE11_HandoverOutsideHours(t *testing.T) {
	for _, outside := range []policy.OutsideHours{policy.OutsideOffline, policy.OutsideToBot} {
		t.Run(outside.String(), func(t *testing.T) {
			p := policy.Policy{Hours: daily(9, 18, outside), BotFirst: true}
			at := func(h, m int) time.Duration { return on(12, h, m, 0, 0, time.UTC) }
			run(t, p, []step{
				{at: at(17, 50), op: addAgent("a", agent.Limit(1))},
				{at: at(17, 50), op: opened(arrive("s1", "b1", 0)), want: []string{"bot s1"}}, // B1
				{at: at(17, 51), op: opened(arrive("s2", "b2", 0)), want: []string{"bot s2"}},
				{at: at(17, 59), op: opened(handover("s1")), want: []string{"assigned s1 a handover"}},
				{at: at(18, 5), op: shut(handover("s2")), want: []string{"offline s2"}}, // a is full
				{at: at(18, 6), op: closeS("s1"), want: []string{"closed s1 a", "assigned s2 a freed [offline]"}},
				{at: at(18, 7), op: shut(arrive("s3", "b3", 0)), want: map[policy.OutsideHours][]string{
					policy.OutsideOffline: {"offline s3"}, policy.OutsideToBot: {"bot s3"}}[outside]},
				{at: at(18, 8), op: closeS("s2"), want: map[policy.OutsideHours][]string{
					policy.OutsideOffline: {"closed s2 a [offline]", "assigned s3 a freed [offline]"}, policy.OutsideToBot: {"closed s2 a [offline]"}}[outside]},
				{at: at(18, 9), op: shut(handover("s3")), want: map[policy.OutsideHours][]string{
					policy.OutsideOffline: nil, policy.OutsideToBot: {"offline s3", "assigned s3 a freed [offline]"}}[outside],
					err: map[policy.OutsideHours]error{policy.OutsideOffline: ErrNotWithBot}[outside]},
			})
		})
	}
}

// E11 across daylight saving time in New York: the shop opens at 09:00
// local on the day clocks go forward (2026-03-08, 13:00 UTC), on the day
// before (14:00 UTC) and after (13:00 UTC), and on the day they go back
// (2026-11-01, 14:00 UTC): 1 ns before is closed each time.
func TestE11_DaylightSaving(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	p := policy.Policy{Location: ny, Hours: daily(9, 18, policy.OutsideOffline), OfflineValidity: 365 * 24 * time.Hour}
	utc := func(mo time.Month, d, h int) time.Duration {
		return time.Date(2026, mo, d, h, 0, 0, 0, time.UTC).Sub(t0)
	}
	ns := time.Nanosecond
	var steps []step
	steps = append(steps, step{at: utc(3, 7, 0), op: addAgent("a", agent.Limit(1))}, step{at: utc(3, 7, 0), op: start("busy", "x", "a", false),
		want: []string{"assigned busy a started [started]"}})
	for i, opening := range []time.Duration{utc(3, 7, 14), utc(3, 8, 13), utc(3, 9, 13), utc(11, 1, 14)} {
		before, after := fmt.Sprintf("c%d", i), fmt.Sprintf("o%d", i)
		steps = append(steps,
			step{at: opening - time.Hour, op: shut(arrive(before+"h", "b", 0)), want: []string{"offline " + before + "h"}},
			step{at: opening - ns, op: shut(arrive(before, "b", 0)), want: []string{"offline " + before}},
			step{at: opening, op: opened(arrive(after, "b", 0)), want: []string{"queued " + after},
				check: func(t *testing.T, e *Engine) {
					assert.Equal(t, "09:00", t0.Add(opening).In(ny).Format("15:04"))
				}})
	}
	run(t, p, steps)
}

// E11: setting hours later changes nothing already in place; a policy
// with bad hours is refused by New and SetPolicy; the engine's snapshot
// carries them.
func TestE11_PolicyChangeAndSnapshot(t *testing.T) {
	at := func(h, m int) time.Duration { return on(12, h, m, 0, 0, time.UTC) }
	withHours := policy.Policy{Hours: daily(9, 18, policy.OutsideToBot)}
	e := run(t, policy.Policy{}, []step{
		{at: at(20, 0), op: addAgent("a", agent.Limit(1))},
		{at: at(20, 0), op: opened(arrive("s1", "b1", 0)), want: []string{"assigned s1 a arrival"}},
		{at: at(20, 1), op: opened(arrive("s2", "b2", 0)), want: []string{"queued s2"}},
		{at: at(20, 2), op: setPolicy(withHours)}, // s1 and s2 stay
		{at: at(20, 3), op: shut(arrive("s3", "b3", 0)), want: []string{"bot s3"}},
		{at: at(20, 4), op: setPolicy(policy.Policy{Hours: &policy.Hours{Overrides: make([]policy.DayHours, 51)}}), err: ErrInvalidPolicy},
	})
	_, err := New(policy.Policy{Hours: &policy.Hours{Week: [7][]policy.Span{{{Start: time.Hour, End: 0}}}}})
	require.ErrorIs(t, err, ErrInvalidPolicy)
	require.ErrorIs(t, err, policy.ErrInvalid)

	data, err := e.Snapshot()
	require.NoError(t, err)
	got, ok, err := SnapshotPolicy(data)
	require.NoError(t, err)
	require.True(t, ok)
	assert.True(t, got.Equal(withHours))
	back, err := Restore(withHours, data)
	require.NoError(t, err)
	evs, err := back.Arrive(t0.Add(at(20, 5)), Arrival{Session: "s4", Buyer: "b4"})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "bot s4", brief(evs[0]))
	assert.Equal(t, CauseOutsideHours, evs[0].Cause)
	evs, err = back.Arrive(t0.Add(on(13, 9, 0, 0, 0, time.UTC)), Arrival{Session: "s5", Buyer: "b5"})
	require.NoError(t, err)
	require.NotEmpty(t, evs)
	assert.Equal(t, "queued s5", brief(evs[len(evs)-1]), "open the next morning (after the bot's idle closes)")
	require.NoError(t, back.Verify())
}
