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

// The engine's offers, declines, reassignment and wrap-up (E1-E5) as the
// recorder counts them: the agent's clock (M2) starts when the session
// enters its list (at the accept, or at the new agent after a
// reassignment), the shop's (M3) at the buyer's first message and never
// restarts.

func accept(s, agentID string) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) { return e.Accept(now, s, agentID) }
}

func reject(s, agentID string) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) { return e.Reject(now, s, agentID) }
}

func endWrapUp(agentID string) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) { return e.EndWrapUp(now, agentID) }
}

// checkAt is a step that runs no engine operation but checks the recorder
// and the engine at its instant.
func checkAt(f func(e *dispatch.Engine, now time.Time)) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) {
		f(e, now)
		return e.Advance(now), nil
	}
}

// Rule E1 with M2 and M3: the offer's time is the shop's, not the
// agent's. Offered at 09:00:00 (the arrival), accepted at 09:01:01,
// answered at 09:04:00: 2m59s after the accept (the agent's: in), 4
// minutes after the buyer asked (the shop's: out).
func TestE1_M2_ClockStartsAtAccept(t *testing.T) {
	offers := policy.Policy{OfferTimeout: 5 * time.Minute}
	base := []step{{"09:00:00", addAgent("wang", 10)}, {"09:00:00", arrive("s")}} // offered to wang
	cases := []replyCase{
		{
			name:     "answered 2m59s after the accept, 4 min after the offer",
			steps:    []step{{"09:01:01", accept("s", "wang")}, {"09:04:00", reply("s", "wang")}},
			shop:     rate(0, 1),
			agents:   map[string]metrics.Rate{"wang": rate(1, 1)},
			first:    mean(4 * minute),
			received: map[string]int{"wang": 1},
		},
		{
			name:   "answered 3m01s after the accept: the agent missed too",
			steps:  []step{{"09:01:01", accept("s", "wang")}, {"09:04:02", reply("s", "wang")}},
			shop:   rate(0, 1),
			agents: map[string]metrics.Rate{"wang": rate(0, 1)},
			first:  mean(4*minute + 2*sec),
		},
		{
			name: "the offer's time is no sample of the agent's, even past the window",
			steps: []step{
				{"09:03:30", checkAt(func(*dispatch.Engine, time.Time) {})}, // 3m30s on offer
				{"09:04:00", accept("s", "wang")},
				{"09:05:00", reply("s", "wang")},
			},
			shop:     rate(0, 1),
			agents:   map[string]metrics.Rate{"wang": rate(1, 1)},
			first:    mean(5 * minute),
			received: map[string]int{"wang": 1},
		},
		{
			name: "closed on offer: the shop missed, the agent has no sample and received nothing",
			steps: []step{
				{"09:01:00", closeS("s")},
			},
			shop:     rate(0, 1),
			agents:   map[string]metrics.Rate{"wang": rate(0, 0)},
			received: map[string]int{"wang": 0},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.pol = offers
			c.steps = append(append([]step(nil), base...), c.steps...)
			c.check(t)
		})
	}

	// M8 from the accept for the agent, from the arrival for the shop;
	// one consultation, one human reception (M5).
	_, rec := run(t, offers, nil, append(append([]step(nil), base...),
		step{"09:01:01", accept("s", "wang")}, step{"09:04:00", reply("s", "wang")}))
	rep := rec.Replies(day0, day0)
	assert.Equal(t, mean(4*minute), rep.Shop.Response)
	assert.Equal(t, mean(2*minute+59*sec), agentRow(rec, "wang").Response)
	h := rec.Hourly(day0).Hours[9]
	assert.Equal(t, 1, h.Consultations)
	assert.Equal(t, 1, h.Human)
	assert.Equal(t, 0, h.Queued)
}

// Rule E1 with M6: an offered session is in no agent's list: it counts in
// the panel's Offered, not in InReception or Unreplied, and is not
// received until the accept.
func TestE1_M6_PanelOffers(t *testing.T) {
	offers := policy.Policy{OfferTimeout: 5 * time.Minute}
	_, rec := run(t, offers, nil, []step{
		{"09:00:00", addAgent("wang", 10)},
		{"09:00:00", arrive("s1")},
		{"09:00:00", arrive("s2")},
		{"09:00:30", checkAt(func(e *dispatch.Engine, now time.Time) {})},
	})
	p := rec.Panel(at("09:00:30"))
	assert.Equal(t, metrics.PanelRow{Offered: 2}, p.Shop)
	assert.Equal(t, []metrics.PanelRow{{Agent: "wang", Offered: 2}}, p.Agents)
	assert.Contains(t, p.String(), "offered 2")

	eng, rec := run(t, offers, nil, []step{
		{"09:00:00", addAgent("wang", 10)},
		{"09:00:00", arrive("s1")},
		{"09:00:00", arrive("s2")},
		{"09:00:40", accept("s1", "wang")},
	})
	p = rec.Panel(at("09:00:40"))
	assert.Equal(t, metrics.PanelRow{Agent: "wang", InReception: 1, Unreplied: 1, Offered: 1, TodayReceived: 1}, p.Agents[0])
	checkPanel(t, eng, rec, at("09:00:40"))
	assert.Len(t, rec.Overdue(at("09:10:00")), 2)
	for _, w := range rec.Overdue(at("09:10:00")) {
		if w.Session == "s2" {
			assert.Empty(t, w.Agent, "s2 is on offer, in no agent's list")
		} else {
			assert.Equal(t, "wang", w.Agent)
		}
	}
}

// Rules E1 and E2: a rejected (or timed-out) offer is no sample and no
// reception of the agent that declined; the next agent's clock starts at
// its accept; the shop's clock still runs from the arrival.
func TestE1_E2_DeclinedThenAcceptedByAnother(t *testing.T) {
	offers := policy.Policy{OfferTimeout: 2 * time.Minute}
	base := []step{
		{"09:00:00", addAgent("a", 10)},
		{"09:00:00", arrive("s")}, // offered to a, the only agent
		{"09:00:10", addAgent("b", 10)},
	}
	cases := []replyCase{
		{
			name: "rejected by a at 09:01, accepted by b at 09:02, answered at 09:04:30",
			steps: []step{
				{"09:01:00", reject("s", "a")}, // offered to b
				{"09:02:00", accept("s", "b")},
				{"09:04:30", reply("s", "b")},
			},
			// b: 2m30s after its accept. shop: 4m30s after the arrival.
			shop:     rate(0, 1),
			agents:   map[string]metrics.Rate{"a": rate(0, 0), "b": rate(1, 1)},
			first:    mean(4*minute + 30*sec),
			received: map[string]int{"a": 0, "b": 1},
		},
		{
			name: "timed out at a at 09:02, accepted by b at 09:03, answered at 09:05:59",
			steps: []step{
				{"09:02:00", advance()}, // a's offer times out: offered to b
				{"09:03:00", accept("s", "b")},
				{"09:05:59", reply("s", "b")},
			},
			shop:     rate(0, 1),
			agents:   map[string]metrics.Rate{"a": rate(0, 0), "b": rate(1, 1)},
			first:    mean(5*minute + 59*sec),
			received: map[string]int{"a": 0, "b": 1},
		},
		{
			name: "rejected by a, answered by b within the shop's window",
			steps: []step{
				{"09:00:20", reject("s", "a")},
				{"09:00:30", accept("s", "b")},
				{"09:01:00", reply("s", "b")},
			},
			shop:     rate(1, 1),
			agents:   map[string]metrics.Rate{"a": rate(0, 0), "b": rate(1, 1)},
			first:    mean(1 * minute),
			received: map[string]int{"a": 0, "b": 1},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.pol = offers
			c.steps = append(append([]step(nil), base...), c.steps...)
			c.check(t)
			_, rec := run(t, c.pol, nil, c.steps)
			h := rec.Hourly(day0).Hours[9]
			assert.Equal(t, 1, h.Consultations, "one consultation")
			assert.Equal(t, 1, h.Human, "one human reception: the accept")
		})
	}
}

// Rule E1 with M5: a session rejected when no one else may take it goes
// back to the queue: a queue entry (Queued, MaxQueue), as the engine's
// Stats.Queued counts it; its consultation and the shop's clock are
// unchanged.
func TestE1_M5_RejectedBackToTheQueue(t *testing.T) {
	offers := policy.Policy{OfferTimeout: 2 * time.Minute}
	eng, rec := run(t, offers, nil, []step{
		{"09:00:00", addAgent("a", 10)},
		{"09:00:00", arrive("s")},
		{"09:00:30", reject("s", "a")}, // nobody else: the queue
		{"09:01:00", checkAt(func(e *dispatch.Engine, now time.Time) {})},
		{"09:02:00", addAgent("b", 10)}, // offered to b
		{"09:02:10", accept("s", "b")},
		{"09:02:40", reply("s", "b")},
	})
	h := rec.Hourly(day0).Hours[9]
	assert.Equal(t, metrics.Hour{Hour: 9, Consultations: 1, Human: 1, Queued: 1, MaxQueue: 1,
		ReplyRate: rate(1, 1), FirstResponse: mean(2*minute + 40*sec)}, h)
	assert.Equal(t, eng.Stats().Queued, uint64(h.Queued))
	assert.Equal(t, rate(1, 1), agentRow(rec, "b").ReplyRate)
	assert.Equal(t, rate(0, 0), agentRow(rec, "a").ReplyRate)
}

// Rule E3 with M2 and M3: the agent a session is taken from is judged as
// for a transfer (no sample if it leaves within the window, a miss if the
// window ran out; at the window's very end, E3's usual setting, a miss);
// the new agent's clock starts when the session enters its list; the
// shop's clock never restarts.
func TestE3_ReassignedOnNoReply(t *testing.T) {
	base := []step{
		{"09:00:00", addAgent("a", 10)},
		{"09:00:00", arrive("s")}, // -> a
		{"09:00:10", addAgent("b", 10)},
	}
	cases := []replyCase{
		{
			name:  "reassigned at 3 min: a missed, b's fresh window from 09:03",
			pol:   policy.Policy{ReassignAfter: 3 * time.Minute},
			steps: []step{{"09:05:59", reply("s", "b")}}, // 2m59s after the reassignment
			// a: the whole window passed unanswered. b: 2m59s. shop:
			// 5m59s from the arrival.
			shop:     rate(0, 1),
			agents:   map[string]metrics.Rate{"a": rate(0, 1), "b": rate(1, 1)},
			first:    mean(5*minute + 59*sec),
			received: map[string]int{"a": 0, "b": 1},
		},
		{
			name:   "reassigned at 3 min, b answers 3m01s later: both missed",
			pol:    policy.Policy{ReassignAfter: 3 * time.Minute},
			steps:  []step{{"09:06:01", reply("s", "b")}},
			shop:   rate(0, 1),
			agents: map[string]metrics.Rate{"a": rate(0, 1), "b": rate(0, 1)},
			first:  mean(6*minute + 1*sec),
		},
		{
			name:     "reassigned at 2 min: a left it within its window, no sample",
			pol:      policy.Policy{ReassignAfter: 2 * time.Minute},
			steps:    []step{{"09:05:00", reply("s", "b")}}, // 3 min after the reassignment: in
			shop:     rate(0, 1),
			agents:   map[string]metrics.Rate{"a": rate(0, 0), "b": rate(1, 1)},
			first:    mean(5 * minute),
			received: map[string]int{"a": 0, "b": 1},
		},
		{
			name:   "reassigned at 4 min: a's window had run out",
			pol:    policy.Policy{ReassignAfter: 4 * time.Minute},
			steps:  []step{{"09:04:30", reply("s", "b")}},
			shop:   rate(0, 1),
			agents: map[string]metrics.Rate{"a": rate(0, 1), "b": rate(1, 1)},
			first:  mean(4*minute + 30*sec),
		},
		{
			name:   "a answers in time: nothing is reassigned",
			pol:    policy.Policy{ReassignAfter: 3 * time.Minute},
			steps:  []step{{"09:02:00", reply("s", "a")}, {"09:10:00", advance()}},
			shop:   rate(1, 1),
			agents: map[string]metrics.Rate{"a": rate(1, 1), "b": rate(0, 0)},
			first:  mean(2 * minute),
		},
		{
			name: "reassigned as an offer: b's clock from its accept",
			pol:  policy.Policy{ReassignAfter: 3 * time.Minute, OfferTimeout: 5 * time.Minute},
			steps: []step{
				{"09:00:05", accept("s", "a")}, // a's offer: a's clock and E3's from 09:00:05
				{"09:03:05", advance()},        // reassigned: offered to b
				{"09:04:00", accept("s", "b")},
				{"09:06:59", reply("s", "b")}, // 2m59s after b's accept
			},
			shop:     rate(0, 1),
			agents:   map[string]metrics.Rate{"a": rate(0, 1), "b": rate(1, 1)},
			first:    mean(6*minute + 59*sec),
			received: map[string]int{"a": 0, "b": 1},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.steps = append(append([]step(nil), base...), c.steps...)
			c.check(t)
			_, rec := run(t, c.pol, nil, c.steps)
			assert.Equal(t, 1, rec.Hourly(day0).Hours[9].Human, "one human reception")
		})
	}
}

// Rule E3 to the queue: with no other agent, the session goes back to
// the queue (EventQueued from a); a missed at the window's end, and the
// next agent's clock starts when it takes the session.
func TestE3_ReassignedToTheQueue(t *testing.T) {
	replyCase{
		pol: policy.Policy{ReassignAfter: 3 * time.Minute},
		steps: []step{
			{"09:00:00", addAgent("a", 10)},
			{"09:00:00", arrive("s")},       // -> a
			{"09:03:00", advance()},         // reassigned: a declined it, nobody else: the queue
			{"09:04:00", addAgent("b", 10)}, // b takes it
			{"09:07:00", reply("s", "b")},   // 3 min after b took it: in
		},
		shop:     rate(0, 1),
		agents:   map[string]metrics.Rate{"a": rate(0, 1), "b": rate(1, 1)},
		first:    mean(7 * minute),
		received: map[string]int{"a": 0, "b": 1},
	}.check(t)
}

// Rule E4: an agent going offline with ReassignOnOffline hands its
// sessions on as a transfer would: no sample if within its window.
func TestE4_ReassignedOnLogout(t *testing.T) {
	replyCase{
		pol: policy.Policy{ReassignOnOffline: true},
		steps: []step{
			{"09:00:00", addAgent("a", 10)},
			{"09:00:00", arrive("s")}, // -> a
			{"09:00:10", addAgent("b", 10)},
			{"09:01:00", logout("a")},     // s -> b, reassigned
			{"09:03:30", reply("s", "b")}, // 2m30s after it entered b's list
		},
		shop:     rate(0, 1),
		agents:   map[string]metrics.Rate{"a": rate(0, 0), "b": rate(1, 1)},
		first:    mean(3*minute + 30*sec),
		received: map[string]int{"a": 0, "b": 1},
	}.check(t)
}

// stripWrapUps returns evs without the wrap-up events.
func stripWrapUps(evs []dispatch.Event) []dispatch.Event {
	var out []dispatch.Event
	for _, e := range evs {
		if e.Kind != dispatch.EventWrapUp && e.Kind != dispatch.EventWrapUpEnded {
			out = append(out, e)
		}
	}
	return out
}

// Rule E5: wrap-up events change nothing in the metrics: a recorder fed
// them answers every query as one fed the same events without them, and
// the closed session they name stays closed.
func TestE5_WrapUpChangesNothing(t *testing.T) {
	eng, err := dispatch.New(policy.Policy{WrapUp: time.Minute})
	require.NoError(t, err)
	rec, err := metrics.New(cst)
	require.NoError(t, err)
	bare, err := metrics.New(cst)
	require.NoError(t, err)
	wraps := 0
	for _, s := range []step{
		{"09:00:00", addAgent("a", 1)},
		{"09:00:00", arrive("s1")}, // -> a
		{"09:00:30", reply("s1", "a")},
		{"09:01:00", closeS("s1")},     // a wraps up until 09:02
		{"09:01:10", arrive("s2")},     // queued: a's unit is held
		{"09:02:00", advance()},        // wrap-up over: s2 -> a
		{"09:03:00", reply("s2", "a")}, // 1 min after it entered a's list
		{"09:04:00", closeS("s2")},     // wrap-up
		{"09:04:10", arrive("s1")},     // a new session with the old id: queued
		{"09:04:20", endWrapUp("a")},   // s1 (the new one) -> a
		{"09:09:00", advance()},        // s1 unanswered: missed
		{"09:09:30", closeS("s1")},     // wrap-up of the new s1
		{"09:09:40", arrive("s3")},     // queued
		{"09:10:30", advance()},        // the wrap-up of s1 ends: s3 -> a
		{"09:10:40", reply("s3", "a")},
	} {
		now := at(s.at)
		evs, err := s.op(eng, now)
		require.NoError(t, err, s.at)
		for _, e := range evs {
			if e.Kind == dispatch.EventWrapUp || e.Kind == dispatch.EventWrapUpEnded {
				wraps++
			}
		}
		rec.Feed(evs)
		bare.Feed(stripWrapUps(evs))
		rec.Advance(now)
		bare.Advance(now)
		require.Equal(t, eng.Sessions(), rec.Open(), s.at)
		checkPanel(t, eng, rec, now)
	}
	require.Equal(t, 6, wraps, "three wrap-ups and their ends")
	end := at("09:11:00")
	assert.Equal(t, collect(bare, day0, day0, end), collect(rec, day0, day0, end))
	// s1: 30 s; s2: 1m50s; the new s1: missed; s3: 60 s (10 s after it
	// entered a's list).
	assert.Equal(t, rate(3, 4), rec.Replies(day0, day0).Shop.ReplyRate)
	assert.Equal(t, rate(3, 4), agentRow(rec, "a").ReplyRate)
	// The snapshots are the same bytes: nothing of the wrap-ups is state.
	a, err := rec.Snapshot()
	require.NoError(t, err)
	b, err := bare.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, string(b), string(a))
}

// Hand-made event sequences, for the exact shapes the recorder relies on.
func TestE1_E5_HandMadeEvents(t *testing.T) {
	offered := func(clock, s, agentID, arrived string, c dispatch.Cause, from string) dispatch.Event {
		e := ev(dispatch.EventOffered, clock, s, agentID, arrived)
		e.Cause, e.From = c, from
		return e
	}

	t.Run("an offer opens a session: a consultation, the shop's clock from the arrival", func(t *testing.T) {
		rec := feed(t, nil, offered("09:00:00", "s", "a", "08:58:00", dispatch.CauseArrival, ""))
		require.Equal(t, 1, rec.Open())
		assert.Equal(t, 1, rec.Hourly(day0).Hours[8].Consultations, "the hour of the arrival")
		rec.Advance(at("09:01:01"))
		assert.Equal(t, rate(0, 1), rec.Replies(day0, day0).Shop.ReplyRate, "3m01s since the arrival: missed")
		assert.Equal(t, rate(0, 0), agentRow(rec, "a").ReplyRate)
	})

	t.Run("rejected, timed out, then accepted: one stint, at the accept", func(t *testing.T) {
		rej := ev(dispatch.EventRejected, "09:00:30", "s", "a", "09:00:00")
		off2 := offered("09:00:30", "s", "b", "09:00:00", dispatch.CauseFreed, "")
		tout := ev(dispatch.EventOfferTimedOut, "09:02:30", "s", "b", "09:00:00")
		q := ev(dispatch.EventQueued, "09:02:30", "s", "", "09:00:00")
		off3 := offered("09:05:00", "s", "c", "09:00:00", dispatch.CauseFreed, "")
		acc := ev(dispatch.EventAccepted, "09:05:10", "s", "c", "09:00:00")
		rec := feed(t, nil, offered("09:00:00", "s", "a", "09:00:00", dispatch.CauseArrival, ""), rej, off2, tout, q)
		p := rec.Panel(at("09:02:30"))
		assert.Equal(t, 1, p.Shop.Queued)
		assert.Equal(t, 0, p.Shop.Offered)
		rec.Feed([]dispatch.Event{off3, acc, msgEv("09:08:10", "s", dispatch.FromAgent, "c", "09:00:00")})
		assert.Equal(t, rate(1, 1), agentRow(rec, "c").ReplyRate, "3 min after the accept")
		assert.Equal(t, 1, agentRow(rec, "c").Received)
		for _, id := range []string{"a", "b"} { // offered, never received: no row
			_, ok := rec.Replies(day0, day0).Agent(id)
			assert.False(t, ok, id)
		}
		assert.Equal(t, rate(0, 1), rec.Replies(day0, day0).Shop.ReplyRate)
		assert.Equal(t, metrics.Hour{Hour: 9, Consultations: 1, Human: 1, Queued: 1, MaxQueue: 1,
			ReplyRate: rate(0, 1), FirstResponse: mean(8*minute + 10*sec)}, rec.Hourly(day0).Hours[9])
	})

	t.Run("reassigned at the window's end: a miss; transferred or requeued there: no sample", func(t *testing.T) {
		for _, c := range []struct {
			name string
			move dispatch.Event
			a    metrics.Rate
		}{
			{"assigned, reassigned", func() dispatch.Event {
				e := ev(dispatch.EventAssigned, "09:03:00", "s", "b", "09:00:00")
				e.Cause, e.From = dispatch.CauseReassigned, "a"
				return e
			}(), rate(0, 1)},
			{"offered, reassigned", offered("09:03:00", "s", "b", "09:00:00", dispatch.CauseReassigned, "a"), rate(0, 1)},
			{"queued, reassigned", func() dispatch.Event {
				e := ev(dispatch.EventQueued, "09:03:00", "s", "", "09:00:00")
				e.Cause, e.From = dispatch.CauseReassigned, "a"
				return e
			}(), rate(0, 1)},
			{"queued, requeued (S5)", func() dispatch.Event {
				e := ev(dispatch.EventQueued, "09:03:00", "s", "", "09:00:00")
				e.From = "a"
				return e
			}(), rate(0, 0)},
			{"transferred", func() dispatch.Event {
				e := ev(dispatch.EventTransferred, "09:03:00", "s", "b", "09:00:00")
				e.From = "a"
				return e
			}(), rate(0, 0)},
		} {
			t.Run(c.name, func(t *testing.T) {
				rec := feed(t, nil, ev(dispatch.EventAssigned, "09:00:00", "s", "a", "09:00:00"), c.move)
				assert.Equal(t, c.a, agentRow(rec, "a").ReplyRate)
				assert.Equal(t, 0, agentRow(rec, "a").Received, "moved away: not received by a")
				require.NoError(t, metrics.VerifyForTest(rec))
			})
		}
		// One second earlier, a reassignment is no sample either.
		early := ev(dispatch.EventAssigned, "09:02:59", "s", "b", "09:00:00")
		early.Cause, early.From = dispatch.CauseReassigned, "a"
		rec := feed(t, nil, ev(dispatch.EventAssigned, "09:00:00", "s", "a", "09:00:00"), early)
		assert.Equal(t, rate(0, 0), agentRow(rec, "a").ReplyRate)
	})

	t.Run("wrap-up events of a closed session do not reopen it", func(t *testing.T) {
		wrap := ev(dispatch.EventWrapUp, "09:01:00", "s", "a", "09:00:00")
		wrap.Arrived = time.Time{}
		ended := ev(dispatch.EventWrapUpEnded, "09:02:00", "s", "a", "09:00:00")
		ended.Arrived = time.Time{}
		rec := feed(t, nil, ev(dispatch.EventAssigned, "09:00:00", "s", "a", "09:00:00"),
			msgEv("09:00:30", "s", dispatch.FromAgent, "a", "09:00:00"),
			ev(dispatch.EventClosed, "09:01:00", "s", "a", "09:00:00"), wrap, ended)
		assert.Equal(t, 0, rec.Open())
		assert.Equal(t, 1, rec.Hourly(day0).Hours[9].Consultations)
		assert.Empty(t, rec.Panel(at("09:02:00")).Shop.InReception)

		// Its end, after a new session took the same id: the new one is
		// untouched.
		rec = feed(t, nil, ev(dispatch.EventAssigned, "09:00:00", "s", "a", "09:00:00"),
			ev(dispatch.EventClosed, "09:01:00", "s", "a", "09:00:00"), wrap,
			ev(dispatch.EventAssigned, "09:01:30", "s", "b", "09:01:30"), ended)
		assert.Equal(t, 1, rec.Open())
		row, _ := rec.Panel(at("09:02:00")).Agent("b")
		assert.Equal(t, metrics.PanelRow{Agent: "b", InReception: 1, Unreplied: 1, TodayReceived: 1}, row)
	})
}

// An offered session survives the recorder's snapshot, alone
// (Snapshot/Restore) and inside its engine's (MarshalBinary through
// dispatch.WithObserver): the restored pair goes on as the original.
func TestE1_SnapshotWithOffers(t *testing.T) {
	pol := policy.Policy{OfferTimeout: 2 * time.Minute, ReassignAfter: 3 * time.Minute}
	rec, err := metrics.New(cst)
	require.NoError(t, err)
	eng, err := dispatch.New(pol, dispatch.WithObserver("metrics", rec))
	require.NoError(t, err)
	do := func(e *dispatch.Engine, s step) {
		t.Helper()
		_, err := s.op(e, at(s.at))
		require.NoError(t, err, s.at)
	}
	for _, s := range []step{
		{"09:00:00", addAgent("a", 10)},
		{"09:00:00", addAgent("b", 10)},
		{"09:00:00", arrive("s1")},
		{"09:00:00", arrive("s2")},
		{"09:00:00", arrive("s3")},
	} {
		do(eng, s)
	}
	var offered int
	for _, id := range []string{"s1", "s2", "s3"} {
		if info, _ := eng.Session(id); info.Place == dispatch.PlaceOffered {
			offered++
		}
	}
	require.Equal(t, 3, offered, "three sessions on offer")
	info, _ := eng.Session("s1")
	do(eng, step{"09:00:20", accept("s1", info.Agent)})
	require.Equal(t, 2, rec.Panel(at("09:00:20")).Shop.Offered)

	restored := restore(t, rec) // Snapshot, Restore, same bytes
	require.Equal(t, 2, restored.Panel(at("09:00:20")).Shop.Offered)

	data, err := eng.Snapshot()
	require.NoError(t, err)
	fresh, err := metrics.New(cst)
	require.NoError(t, err)
	eng2, err := dispatch.Restore(pol, data, dispatch.WithObserver("metrics", fresh))
	require.NoError(t, err)
	a, err := rec.MarshalBinary()
	require.NoError(t, err)
	b, err := fresh.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, string(a), string(b))

	info2, _ := eng.Session("s2")
	rest := []step{
		{"09:01:00", accept("s2", info2.Agent)},
		{"09:02:00", advance()}, // s3's offer times out
		{"09:03:20", advance()}, // s1 reassigned
		{"09:03:30", reply("s2", info2.Agent)},
		{"09:30:00", advance()},
	}
	for _, s := range rest {
		do(eng, s)
		do(eng2, s)
		require.NoError(t, metrics.VerifyForTest(rec))
	}
	end := at("09:30:00")
	assert.Equal(t, collect(rec, day0, day0, end), collect(fresh, day0, day0, end))
	assert.Equal(t, eng.Stats().Offered, eng2.Stats().Offered+3, "the restored engine counts from 0")
}
