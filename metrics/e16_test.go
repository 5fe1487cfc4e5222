package metrics_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
	"github.com/kefu-dev/kefu/policy"
)

// The engine's queue shaping (E8 queue cap and maximum wait, E9 inactive
// sessions) as the recorder counts it, on a real engine: wang serves one
// session at a time; s0 takes him at 09:00:00 and is answered at
// 09:00:30, s1 waits in the queue from 09:00:00.

// events is a step that records the events of op in *out.
func events(out *[]dispatch.Event, o op) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) {
		evs, err := o(e, now)
		*out = append(*out, evs...)
		return evs, err
	}
}

func kinds(evs []dispatch.Event, k dispatch.Kind) []dispatch.Event {
	var out []dispatch.Event
	for _, e := range evs {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func e16Base() []step {
	return []step{
		{"09:00:00", addAgent("wang", 1)},
		{"09:00:00", arrive("s0")}, // -> wang
		{"09:00:00", arrive("s1")}, // queued
		{"09:00:30", reply("s0", "wang")},
	}
}

// Rule E8, refused at arrival (CauseQueueCap): s2 would make the queue
// longer than its cap of 1. It is a consultation, a miss of the shop's
// rate at its arrival (09:00:10, before its window ran out), no agent's
// sample, and the recorder forgets it (run checks its open sessions
// against the engine's after every step).
func TestE8_M3_RefusedAtArrival(t *testing.T) {
	p := policy.Policy{QueueCap: 1, Divert: policy.DivertRefuse}
	var evs []dispatch.Event
	steps := append(e16Base(), step{"09:00:10", events(&evs, arrive("s2"))})
	_, rec := run(t, p, nil, steps)
	ref := kinds(evs, dispatch.EventRefused)
	require.Len(t, ref, 1)
	assert.Equal(t, dispatch.CauseQueueCap, ref[0].Cause)
	assert.Equal(t, 2, rec.Open(), "s2 is not open")
	// At 09:00:30 only s0 (in) and s2 (refused: out) are decided.
	assert.Equal(t, rate(1, 2), rec.Replies(day0, day0).Shop.ReplyRate)

	_, rec = run(t, p, nil, append(steps,
		step{"09:01:00", closeS("s0")},        // s1 -> wang
		step{"09:02:00", reply("s1", "wang")}, // 2 min after it asked: in
	))
	rep := rec.Replies(day0, day0)
	assert.Equal(t, rate(2, 3), rep.Shop.ReplyRate)
	assert.Equal(t, rate(2, 2), agentRow(rec, "wang").ReplyRate)
	h := rec.Hourly(day0).Hours[9]
	assert.Equal(t, 3, h.Consultations, "the refused buyer asked")
	assert.Equal(t, 2, h.Human)
	assert.Equal(t, 1, h.Queued, "s2 never entered the queue")
	assert.Equal(t, 1, h.MaxQueue)
	assert.Empty(t, rec.Alerts(day0, day0), "s2 waited 0 s")
}

// Rule E8, refused at the maximum wait (CauseMaxWait): s1 leaves the
// queue at 09:02:00 (MaxWait 2 min), a miss at once although its window
// runs to 09:03:00; with MaxWait 5 min it is refused at 09:05:00, after
// its window ran out at 09:03:00: one miss, not two, and an unanswered
// slow-first-reply alert (it waited 5 min, over the 3-minute threshold).
func TestE8_M3_RefusedAtMaxWait(t *testing.T) {
	for _, c := range []struct {
		name    string
		maxWait time.Duration
		refused string
		alerts  int
	}{
		{"before its window ran out", 2 * minute, "09:02:00", 0},
		{"after its window ran out", 5 * minute, "09:05:00", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := policy.Policy{MaxWait: c.maxWait, Divert: policy.DivertRefuse}
			var evs []dispatch.Event
			eng, rec := run(t, p, nil, append(e16Base(), step{c.refused, events(&evs, advance())}))
			ref := kinds(evs, dispatch.EventRefused)
			require.Len(t, ref, 1)
			assert.Equal(t, dispatch.CauseMaxWait, ref[0].Cause)
			assert.Equal(t, at(c.refused), ref[0].At)
			assert.Equal(t, 1, rec.Open())
			assert.Equal(t, rate(1, 2), rec.Replies(day0, day0).Shop.ReplyRate)
			assert.Equal(t, rate(1, 1), agentRow(rec, "wang").ReplyRate, "s1 was no agent's")
			h := rec.Hourly(day0).Hours[9]
			assert.Equal(t, 2, h.Consultations)
			assert.Equal(t, 1, h.Queued)
			assert.Equal(t, 0, rec.Panel(at(c.refused)).Shop.Queued)
			checkPanel(t, eng, rec, at(c.refused))
			alerts := rec.Alerts(day0, day0)
			require.Len(t, alerts, c.alerts)
			if c.alerts > 0 {
				assert.Equal(t, metrics.AlertSlowFirstReply, alerts[0].Kind)
				assert.True(t, alerts[0].Unanswered)
				assert.Equal(t, 5*minute, alerts[0].Wait)
			}
		})
	}
}

// Rule E8, diverted to the bot at the maximum wait: s1 counts once in the
// bot column, but is no bot-only session: the shop's clock ran from
// 09:00:00 and runs out at 09:03:00 (a miss), and a human reply after
// the bot's hand-over does not change it.
func TestE8_M3_DivertedToBotAtMaxWait(t *testing.T) {
	p := policy.Policy{MaxWait: 2 * minute, Divert: policy.DivertBot}
	var evs []dispatch.Event
	eng, rec := run(t, p, nil, append(e16Base(),
		step{"09:02:00", events(&evs, advance())},
		step{"09:02:59", advance()},
	))
	bot := kinds(evs, dispatch.EventBot)
	require.Len(t, bot, 1)
	assert.Equal(t, dispatch.CauseMaxWait, bot[0].Cause)
	assert.Equal(t, rate(1, 1), rec.Replies(day0, day0).Shop.ReplyRate, "s1's window still runs")
	h := rec.Hourly(day0).Hours[9]
	assert.Equal(t, 2, h.Consultations)
	assert.Equal(t, 1, h.Bot)
	assert.Equal(t, 1, h.Queued)
	checkPanel(t, eng, rec, at("09:02:59"))

	_, rec = run(t, p, nil, append(e16Base(),
		step{"09:02:00", advance()},
		step{"09:03:01", advance()},
	))
	assert.Equal(t, rate(1, 2), rec.Replies(day0, day0).Shop.ReplyRate, "s1 missed at 09:03:00")
}

// Rule E8, diverted to the offline pool at arrival: s2 is a consultation
// waiting in the offline pool; its shop clock runs from its arrival.
func TestE8_M5_DivertedOfflineAtArrival(t *testing.T) {
	p := policy.Policy{QueueCap: 1}
	var evs []dispatch.Event
	eng, rec := run(t, p, nil, append(e16Base(),
		step{"09:00:10", events(&evs, arrive("s2"))},
		step{"09:04:00", advance()},
	))
	off := kinds(evs, dispatch.EventOffline)
	require.Len(t, off, 1)
	assert.Equal(t, dispatch.CauseQueueCap, off[0].Cause)
	h := rec.Hourly(day0).Hours[9]
	assert.Equal(t, 3, h.Consultations)
	assert.Equal(t, 1, h.Queued)
	// s1 and s2 missed at 09:03:00 and 09:03:10.
	assert.Equal(t, rate(1, 3), rec.Replies(day0, day0).Shop.ReplyRate)
	p2 := rec.Panel(at("09:04:00"))
	assert.Equal(t, 1, p2.Shop.Offline)
	assert.Equal(t, 1, p2.Shop.Queued)
	checkPanel(t, eng, rec, at("09:04:00"))
}

// Rule E9: inactivity changes no metric. s0, answered at 09:00:30, goes
// inactive at 09:10:00 (InactiveAfter 10 min from its entry into wang's
// list, later than the buyer's last message) and wang takes s1 from the
// queue; s0 stays in wang's list and in the panel's in reception, though
// the engine's load no longer counts it. The buyer writes at 09:12:00 (a
// new wait, not a new sample of wang's M2: one per stint) and wang
// answers at 09:13:00: response time 1 min (M8).
func TestE9_M2_M6_InactiveChangesNoMetric(t *testing.T) {
	p := policy.Policy{InactiveAfter: 10 * minute}
	var evs []dispatch.Event
	steps := append(e16Base(), step{"09:10:00", events(&evs, advance())})
	eng, rec := run(t, p, nil, steps)
	inactive := kinds(evs, dispatch.EventInactive)
	require.Len(t, inactive, 1)
	assert.Equal(t, "s0", inactive[0].Session)
	assert.Equal(t, at("09:10:00"), inactive[0].At)
	row := rec.Panel(at("09:10:00")).Agents[0]
	assert.Equal(t, 2, row.InReception, "s0 (inactive) and s1 (from the queue)")
	assert.Equal(t, 1, row.Unreplied, "s1")
	assert.Equal(t, 2, row.TodayReceived)
	_, n, err := eng.List("wang", dispatch.Page{})
	require.NoError(t, err)
	assert.Equal(t, n, row.InReception, "the panel counts the engine's list")
	info, _ := eng.Agent("wang")
	assert.Equal(t, 1, info.Load, "the engine's load does not count s0")

	_, rec = run(t, p, nil, append(steps,
		step{"09:11:00", reply("s1", "wang")}, // 1 min after it entered
		step{"09:12:00", buyer("s0")},         // active again
		step{"09:13:00", reply("s0", "wang")},
	))
	a := agentRow(rec, "wang")
	assert.Equal(t, rate(2, 2), a.ReplyRate)
	assert.Equal(t, mean(30*sec, minute, minute), a.Response)
	assert.Equal(t, rate(1, 2), rec.Replies(day0, day0).Shop.ReplyRate, "s1 waited 11 min")
	assert.Equal(t, 0, rec.Panel(at("09:13:00")).Shop.Unreplied)
}

// Rule E8 with a bot first (B1): s2's hand-over at 09:01:00 would make
// the queue longer than its cap of 1. Diverted back to the bot, it counts
// once in the bot column, and its shop clock starts at the hand-over (a
// miss at 09:04:00); refused, it ends there, a miss at once.
func TestE8_M3_HandoverOverTheCap(t *testing.T) {
	base := []step{
		{"09:00:00", addAgent("wang", 1)},
		{"09:00:00", arrive("s0")}, {"09:00:00", handover("s0")}, // -> wang
		{"09:00:00", arrive("s1")}, {"09:00:00", handover("s1")}, // queued
		{"09:00:00", arrive("s2")}, // the bot
	}
	for _, c := range []struct {
		divert policy.Diversion
		kind   dispatch.Kind
		open   int
	}{{policy.DivertBot, dispatch.EventBot, 3}, {policy.DivertRefuse, dispatch.EventRefused, 2}} {
		t.Run(c.kind.String(), func(t *testing.T) {
			p := policy.Policy{BotFirst: true, QueueCap: 1, Divert: c.divert}
			var evs []dispatch.Event
			_, rec := run(t, p, nil, append(base,
				step{"09:01:00", events(&evs, handover("s2"))},
				step{"09:04:01", advance()},
			))
			d := kinds(evs, c.kind)
			require.Len(t, d, 1)
			assert.Equal(t, dispatch.CauseQueueCap, d[0].Cause)
			assert.Equal(t, c.open, rec.Open())
			h := rec.Hourly(day0).Hours[9]
			assert.Equal(t, 3, h.Consultations)
			assert.Equal(t, 3, h.Bot, "each session once")
			// s0 unanswered: all three missed.
			assert.Equal(t, rate(0, 3), rec.Replies(day0, day0).Shop.ReplyRate)
		})
	}
}
