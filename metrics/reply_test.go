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

// replyCase is a scene on the engine and its hand-computed 3-minute reply
// rates: the shop's (M3), each agent's (M2), the shop's mean first
// response and each agent's today-received count (M6).
type replyCase struct {
	name     string
	pol      policy.Policy
	opts     []metrics.Option
	steps    []step
	shop     metrics.Rate
	agents   map[string]metrics.Rate
	first    metrics.Mean
	received map[string]int
}

func (c replyCase) check(t *testing.T) {
	t.Helper()
	_, rec := run(t, c.pol, c.opts, c.steps)
	rep := rec.Replies(day0, day0.AddDays(1))
	assert.Equal(t, c.shop, rep.Shop.ReplyRate, "shop 3-minute reply rate (M3)")
	assert.Equal(t, c.first, rep.Shop.FirstResponse, "shop first response")
	for id, want := range c.agents {
		a, _ := rep.Agent(id)
		assert.Equal(t, want, a.ReplyRate, "agent %s 3-minute reply rate (M2)", id)
	}
	for id, want := range c.received {
		a, _ := rep.Agent(id)
		assert.Equal(t, want, a.Received, "agent %s received (M6)", id)
	}
}

// Rule Q5 with M2 and M3: queue time excludes from the agent's rate, not
// from the shop's. The acceptance case: queued 5 minutes, answered 1
// minute after assignment.
func TestM2_M3_QueuedFiveMinutesAnsweredOneMinuteAfterAssignment(t *testing.T) {
	replyCase{
		steps: []step{
			{"09:00:00", addAgent("wang", 1)},
			{"09:00:00", arrive("s0")}, // -> wang
			{"09:00:00", arrive("s1")}, // queued: wang is full
			{"09:00:30", reply("s0", "wang")},
			{"09:05:00", closeS("s0")},        // s1 -> wang after 5 minutes in the queue
			{"09:06:00", reply("s1", "wang")}, // 1 minute after assignment, 6 after asking
		},
		// s0: 30 s (in); s1: 6 min from the buyer's first message (out).
		shop: rate(1, 2),
		// s0: 30 s; s1: 60 s from entering wang's list: both in.
		agents:   map[string]metrics.Rate{"wang": rate(2, 2)},
		first:    mean(30*sec, 6*minute),
		received: map[string]int{"wang": 2},
	}.check(t)
}

// Rule M2 after a transfer (R3): the receiving agent's clock starts when
// the session enters its list; the sender's clock stops there: a miss if
// it already ran past the window, no sample if not. The first response is
// credited to whoever gave it. Today received follows the session (M6).
func TestM2_Transfer(t *testing.T) {
	two := []step{{"09:00:00", addAgent("a", 10)}, {"09:00:00", addAgent("b", 10)}, {"09:00:00", arrive("s")}} // s -> a
	cases := []replyCase{
		{
			name:  "transferred unanswered within the window: b's clock from the transfer",
			steps: []step{{"09:01:00", transfer("s", "b")}, {"09:02:00", reply("s", "b")}},
			// a: left within 3 min, no sample. b: 60 s after the transfer.
			// shop: 120 s after the buyer's first message.
			agents:   map[string]metrics.Rate{"a": rate(0, 0), "b": rate(1, 1)},
			shop:     rate(1, 1),
			first:    mean(2 * minute),
			received: map[string]int{"a": 0, "b": 1},
		},
		{
			name:  "transferred unanswered after the window: a missed",
			steps: []step{{"09:04:00", transfer("s", "b")}, {"09:05:00", reply("s", "b")}},
			// a: 4 min unanswered, a miss. b: 60 s. shop: 5 min.
			agents:   map[string]metrics.Rate{"a": rate(0, 1), "b": rate(1, 1)},
			shop:     rate(0, 1),
			first:    mean(5 * minute),
			received: map[string]int{"a": 0, "b": 1},
		},
		{
			name:  "transferred at exactly the window: no sample for a",
			steps: []step{{"09:03:00", transfer("s", "b")}, {"09:03:10", reply("s", "b")}},
			// a: 180 s is not past the window. b: 10 s. shop: 190 s.
			agents: map[string]metrics.Rate{"a": rate(0, 0), "b": rate(1, 1)},
			shop:   rate(0, 1),
			first:  mean(190 * sec),
		},
		{
			name:   "transferred one second past the window: a missed",
			steps:  []step{{"09:03:01", transfer("s", "b")}, {"09:03:10", reply("s", "b")}},
			agents: map[string]metrics.Rate{"a": rate(0, 1), "b": rate(1, 1)},
			shop:   rate(0, 1),
			first:  mean(190 * sec),
		},
		{
			name: "answered, then transferred: b's clock starts at the buyer's next message",
			steps: []step{
				{"09:00:30", reply("s", "a")},
				{"09:02:00", transfer("s", "b")},
				{"09:03:00", buyer("s")},
				{"09:05:00", reply("s", "b")},
			},
			// a: 30 s. b: 09:03 -> 09:05, 120 s. shop: a's 30 s.
			agents:   map[string]metrics.Rate{"a": rate(1, 1), "b": rate(1, 1)},
			shop:     rate(1, 1),
			first:    mean(30 * sec),
			received: map[string]int{"a": 0, "b": 1},
		},
		{
			name: "answered, transferred, buyer silent: no sample for b",
			steps: []step{
				{"09:00:30", reply("s", "a")},
				{"09:02:00", transfer("s", "b")},
				{"09:10:00", closeS("s")},
			},
			agents: map[string]metrics.Rate{"a": rate(1, 1), "b": rate(0, 0)},
			shop:   rate(1, 1),
			first:  mean(30 * sec),
		},
		{
			name: "transferred back: a receives it again",
			steps: []step{
				{"09:01:00", transfer("s", "b")},
				{"09:02:00", transfer("s", "a")},
				{"09:02:30", reply("s", "a")},
			},
			// a: first stint no sample (60 s), second 30 s. b: 60 s, no
			// sample. shop 150 s.
			agents:   map[string]metrics.Rate{"a": rate(1, 1), "b": rate(0, 0)},
			shop:     rate(1, 1),
			first:    mean(150 * sec),
			received: map[string]int{"a": 1, "b": 0},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.steps = append(append([]step(nil), two...), c.steps...)
			c.check(t)
		})
	}
}

// Rule M2 credit: the first response goes to the agent who gave it.
func TestM2_FirstResponseCreditedToWhoGaveIt(t *testing.T) {
	_, rec := run(t, policy.Policy{}, nil, []step{
		{"09:00:00", addAgent("a", 10)}, {"09:00:00", addAgent("b", 10)},
		{"09:00:00", arrive("s")}, // -> a
		{"09:01:00", transfer("s", "b")},
		{"09:01:30", reply("s", "b")},
	})
	assert.Equal(t, 0, agentRow(rec, "a").FirstResponses)
	assert.Equal(t, 1, agentRow(rec, "b").FirstResponses)
}

// Rules M2 and M3 at the window's edge and for a session closed without a
// reply.
func TestM3_Window(t *testing.T) {
	one := []step{{"09:00:00", addAgent("a", 10)}, {"09:00:00", arrive("s")}}
	cases := []replyCase{
		{
			name:   "reply at exactly 180 s is within",
			steps:  []step{{"09:03:00", reply("s", "a")}},
			shop:   rate(1, 1),
			agents: map[string]metrics.Rate{"a": rate(1, 1)},
			first:  mean(3 * minute),
		},
		{
			name:   "reply at 181 s is not",
			steps:  []step{{"09:03:01", reply("s", "a")}},
			shop:   rate(0, 1),
			agents: map[string]metrics.Rate{"a": rate(0, 1)},
			first:  mean(181 * sec),
		},
		{
			name:   "closed within the window without a reply counts as not replied",
			steps:  []step{{"09:01:00", closeS("s")}},
			shop:   rate(0, 1),
			agents: map[string]metrics.Rate{"a": rate(0, 1)},
		},
		{
			name: "a system auto-reply and a bot message are not a human response",
			steps: []step{
				{"09:00:10", message("s", dispatch.FromSystem, "")},
				{"09:01:00", message("s", dispatch.FromBot, "")},
				{"09:04:00", reply("s", "a")},
			},
			shop:   rate(0, 1),
			agents: map[string]metrics.Rate{"a": rate(0, 1)},
			first:  mean(4 * minute),
		},
		{
			name:  "the window ran out while open: missed before the late reply",
			steps: []step{{"09:05:00", reply("s", "a")}},
			shop:  rate(0, 1), agents: map[string]metrics.Rate{"a": rate(0, 1)},
			first: mean(5 * minute),
		},
		{
			name:  "a longer window is a parameter",
			opts:  []metrics.Option{metrics.WithWindow(5 * time.Minute)},
			steps: []step{{"09:05:00", reply("s", "a")}},
			shop:  rate(1, 1), agents: map[string]metrics.Rate{"a": rate(1, 1)},
			first: mean(5 * minute),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.steps = append(append([]step(nil), one...), c.steps...)
			c.check(t)
		})
	}
}

// Rule M3: a miss is counted as soon as the window runs out (Advance),
// before any reply or close.
func TestM3_MissCountedWhenWindowRunsOut(t *testing.T) {
	eng, rec := run(t, policy.Policy{}, nil, []step{
		{"09:00:00", addAgent("a", 10)},
		{"09:00:00", arrive("s")},
		{"09:03:00", advance()},
	})
	assert.Equal(t, rate(0, 0), rec.Replies(day0, day0).Shop.ReplyRate, "09:03:00: still within")
	rec.Advance(at("09:03:01"))
	assert.Equal(t, rate(0, 1), rec.Replies(day0, day0).Shop.ReplyRate, "09:03:01: missed")
	assert.Equal(t, rate(0, 1), agentRow(rec, "a").ReplyRate)

	evs, err := eng.Message(at("09:04:00"), dispatch.Message{Session: "s", From: dispatch.FromAgent, Agent: "a"})
	require.NoError(t, err)
	rec.Feed(evs)
	assert.Equal(t, rate(0, 1), rec.Replies(day0, day0).Shop.ReplyRate, "a late reply does not count twice")
	assert.Equal(t, mean(4*minute), rec.Replies(day0, day0).Shop.FirstResponse)
}

// Rule M3 exclusions and pools: agent-started sessions, buyers who left
// (Q3), offline messages (O1, O3).
func TestM3_PoolsAndExclusions(t *testing.T) {
	cases := []replyCase{
		{
			name: "agent-started session: no sample, not received",
			steps: []step{
				{"09:00:00", addAgent("a", 10)},
				{"09:00:00", start("s", "a")},
				{"09:01:00", buyer("s")},
				{"09:05:00", reply("s", "a")},
			},
			shop:     rate(0, 0),
			agents:   map[string]metrics.Rate{"a": rate(0, 0)},
			received: map[string]int{"a": 0},
		},
		{
			name: "a buyer who left the queue is no sample (Q3)",
			steps: []step{
				{"09:00:00", addAgent("a", 1)},
				{"09:00:00", arrive("s0")},
				{"09:00:00", arrive("s1")}, // queued
				{"09:00:30", reply("s0", "a")},
				{"09:05:00", leave("s1")}, // after its window: still not counted
			},
			shop:   rate(1, 1),
			agents: map[string]metrics.Rate{"a": rate(1, 1)},
			first:  mean(30 * sec),
		},
		{
			name: "an offline message that expired is not replied (O3)",
			pol:  policy.Policy{OfflineValidity: time.Hour},
			steps: []step{
				{"09:00:00", arrive("s")}, // nobody online: offline pool
				{"10:00:00", advance()},   // expired
			},
			shop: rate(0, 1),
		},
		{
			name: "an offline message answered at once when an agent comes: in for the agent, out for the shop",
			steps: []step{
				{"09:00:00", arrive("s")},      // offline pool
				{"11:00:00", addAgent("a", 5)}, // takes it (O2)
				{"11:00:30", reply("s", "a")},
			},
			shop:     rate(0, 1),
			agents:   map[string]metrics.Rate{"a": rate(1, 1)},
			first:    mean(2*time.Hour + 30*sec),
			received: map[string]int{"a": 1},
		},
		{
			name: "requeued (S5), then the buyer leaves the queue: a session that ends unanswered",
			pol:  policy.Policy{RequeueOnOffline: true},
			steps: []step{
				{"09:00:00", addAgent("a", 5)},
				{"09:00:00", arrive("s")}, // -> a
				{"09:01:00", logout("a")}, // s requeued; nobody online with room
				{"09:02:00", leave("s")},
			},
			// a: left its list within the window, no sample. shop: ended
			// without a reply, a miss; it stays a consultation.
			shop:     rate(0, 1),
			agents:   map[string]metrics.Rate{"a": rate(0, 0)},
			received: map[string]int{"a": 0},
		},
		{
			name: "requeued when its agent logs out (S5): a's clock stops, no sample",
			pol:  policy.Policy{RequeueOnOffline: true},
			steps: []step{
				{"09:00:00", addAgent("a", 5)},
				{"09:00:00", addAgent("b", 5)},
				{"09:00:00", arrive("s")}, // -> a
				{"09:01:00", logout("a")}, // s requeued, then -> b
				{"09:02:00", reply("s", "b")},
			},
			shop:     rate(1, 1),
			agents:   map[string]metrics.Rate{"a": rate(0, 0), "b": rate(1, 1)},
			first:    mean(2 * minute),
			received: map[string]int{"a": 0, "b": 1},
		},
	}
	for _, c := range cases {
		t.Run(c.name, c.check)
	}
}

// Rule M3 for bot sessions (B1, B3): a session handled entirely by the bot
// is no sample; one handed over to humans is measured from the hand-over.
// The events are written by hand, in the shape the engine gives them
// (TestM3_BotOnEngine drives the engine).
func TestM3_Bot(t *testing.T) {
	A, Q, B, C := dispatch.EventAssigned, dispatch.EventQueued, dispatch.EventBot, dispatch.EventClosed
	cases := []struct {
		name   string
		evs    []dispatch.Event
		shop   metrics.Rate
		agent  metrics.Rate
		first  metrics.Mean
		hour9  metrics.Hour // consult, human, bot
		noOpen bool
	}{
		{
			name: "handled entirely by the bot: excluded",
			evs: []dispatch.Event{
				ev(B, "09:00:00", "s", "", "09:00:00"),
				msgEv("09:00:05", "s", dispatch.FromBot, "", "09:00:00"),
				msgEv("09:01:00", "s", dispatch.FromBuyer, "", "09:00:00"),
				ev(C, "09:10:00", "s", "", "09:00:00"),
			},
			hour9: metrics.Hour{Hour: 9, Consultations: 1, Bot: 1},
		},
		{
			name: "handed over to a: the shop's clock starts at the hand-over",
			evs: []dispatch.Event{
				ev(B, "09:00:00", "s", "", "09:00:00"),
				ev(A, "09:10:00", "s", "a", "09:00:00"),
				msgEv("09:11:00", "s", dispatch.FromAgent, "a", "09:00:00"),
			},
			// 60 s from the hand-over, for the shop and for a.
			shop: rate(1, 1), agent: rate(1, 1), first: mean(time.Minute),
			hour9: metrics.Hour{Hour: 9, Consultations: 1, Human: 1, Bot: 1,
				ReplyRate: rate(1, 1), FirstResponse: mean(time.Minute)},
		},
		{
			name: "handed over into the queue: queue time counts for the shop only",
			evs: []dispatch.Event{
				ev(B, "09:00:00", "s", "", "09:00:00"),
				ev(Q, "09:10:00", "s", "", "09:00:00"),
				ev(A, "09:12:00", "s", "a", "09:00:00"),
				msgEv("09:14:00", "s", dispatch.FromAgent, "a", "09:00:00"),
			},
			// shop: 09:10 -> 09:14, 4 min, out. a: 09:12 -> 09:14, in.
			shop: rate(0, 1), agent: rate(1, 1), first: mean(4 * time.Minute),
			hour9: metrics.Hour{Hour: 9, Consultations: 1, Human: 1, Bot: 1, Queued: 1, MaxQueue: 1,
				ReplyRate: rate(0, 1), FirstResponse: mean(4 * time.Minute)},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := feed(t, nil, c.evs...)
			rep := rec.Replies(day0, day0)
			assert.Equal(t, c.shop, rep.Shop.ReplyRate)
			assert.Equal(t, c.first, rep.Shop.FirstResponse)
			a, _ := rep.Agent("a")
			assert.Equal(t, c.agent, a.ReplyRate)
			assert.Equal(t, c.hour9, rec.Hourly(day0).Hours[9])
		})
	}
}

// Counted hours are a parameter: a platform that counts 08:00–23:00 counts
// a sample by the local hour its clock started.
func TestM3_CountedHours(t *testing.T) {
	hours, err := metrics.HoursBetween(8, 23)
	require.NoError(t, err)
	replyCase{
		opts: []metrics.Option{metrics.WithCountedHours(hours)},
		steps: []step{
			{"07:00:00", addAgent("a", 10)},
			{"07:59:00", arrive("s1")}, {"07:59:30", reply("s1", "a")}, // 07h: not counted
			{"08:00:00", arrive("s2")}, {"08:01:00", reply("s2", "a")}, // 60 s, in
			{"22:59:59", arrive("s3")}, {"23:05:00", reply("s3", "a")}, // 22h: 5m01s, out
			{"23:00:00", arrive("s4")}, {"23:00:10", reply("s4", "a")}, // 23h: not counted
		},
		shop:     rate(1, 2),
		agents:   map[string]metrics.Rate{"a": rate(1, 2)},
		first:    mean(time.Minute, 5*time.Minute+sec),
		received: map[string]int{"a": 4}, // receptions count at any hour
	}.check(t)
}

// Rule M8: mean delay from a buyer message (the first unanswered one) to
// the next agent reply; the shop's clock counts the queue, the agent's
// starts when the session entered its list.
func TestM8_ResponseTime(t *testing.T) {
	cases := []struct {
		name        string
		steps       []step
		shop, agent metrics.Mean
	}{
		{
			name: "three waits in one session",
			steps: []step{
				{"09:00:00", addAgent("a", 10)},
				{"09:00:00", arrive("s")},
				{"09:01:00", reply("s", "a")}, // 60 s
				{"09:02:00", buyer("s")},
				{"09:03:00", buyer("s")},      // same wait
				{"09:05:00", reply("s", "a")}, // 180 s from 09:02
				{"09:05:10", reply("s", "a")}, // nobody waiting: no sample
				{"09:06:00", buyer("s")},
				{"09:06:30", reply("s", "a")}, // 30 s
			},
			shop:  mean(60*sec, 180*sec, 30*sec), // 90 s
			agent: mean(60*sec, 180*sec, 30*sec),
		},
		{
			name: "queue time: the shop's, not the agent's",
			steps: []step{
				{"09:00:00", addAgent("a", 1)},
				{"09:00:00", arrive("s0")},
				{"09:00:00", arrive("s1")}, // queued
				{"09:00:10", reply("s0", "a")},
				{"09:02:00", closeS("s0")},     // s1 -> a
				{"09:02:20", reply("s1", "a")}, // shop 140 s, agent 20 s
			},
			shop:  mean(10*sec, 140*sec),
			agent: mean(10*sec, 20*sec),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, rec := run(t, policy.Policy{}, nil, c.steps)
			rep := rec.Replies(day0, day0)
			assert.Equal(t, c.shop, rep.Shop.Response)
			a, _ := rep.Agent("a")
			assert.Equal(t, c.agent, a.Response)
		})
	}
}

// Samples go to the day their clock started (shop's time zone): a
// session that arrives at 23:59 and is answered at 00:01 is a sample of
// the first day.
func TestM3_DayOfTheClockStart(t *testing.T) {
	_, rec := run(t, policy.Policy{}, nil, []step{
		{"23:00:00", addAgent("a", 10)},
		{"23:59:00", arrive("s")},
		{"+1 00:01:00", reply("s", "a")},
	})
	assert.Equal(t, rate(1, 1), rec.Replies(day0, day0).Shop.ReplyRate)
	assert.Equal(t, rate(0, 0), rec.Replies(day0.AddDays(1), day0.AddDays(1)).Shop.ReplyRate)
	assert.Equal(t, rate(1, 1), rec.Hourly(day0).Hours[23].ReplyRate)
}

func handover(s string) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) { return e.Handover(now, s) }
}

// Rule M3 with the engine's bot (B1): the bot-only session is no sample
// and the hand-over starts the shop's clock; the bot's load is nobody's
// (B3).
func TestM3_BotOnEngine(t *testing.T) {
	eng, rec := run(t, policy.Policy{BotFirst: true, BotIdleClose: 10 * time.Minute}, nil, []step{
		{"09:00:00", addAgent("a", 5)},
		{"09:00:00", arrive("s1")}, // -> bot
		{"09:00:05", message("s1", dispatch.FromBot, "")},
		{"09:01:00", arrive("s2")}, // -> bot
		{"09:05:00", handover("s2")},
		{"09:06:00", reply("s2", "a")}, // 60 s after the hand-over
	})
	p := rec.Panel(at("09:06:00"))
	assert.Equal(t, 1, p.Bot, "s1 with the bot")
	assert.Equal(t, metrics.PanelRow{InReception: 1, TodayReceived: 1}, p.Shop)
	checkPanel(t, eng, rec, at("09:06:00"))

	evs := eng.Advance(at("09:11:00")) // s1: 10 min of silence with the bot
	rec.Feed(evs)
	rec.Advance(at("09:11:00"))
	require.Len(t, evs, 1)
	assert.Equal(t, dispatch.EventClosed, evs[0].Kind)
	assert.Equal(t, eng.Sessions(), rec.Open())
	assert.Equal(t, 0, rec.Panel(at("09:11:00")).Bot)

	h := rec.Hourly(day0).Hours[9]
	assert.Equal(t, metrics.Hour{Hour: 9, Consultations: 2, Human: 1, Bot: 2,
		ReplyRate: rate(1, 1), FirstResponse: mean(time.Minute)}, h)
	assert.Equal(t, rate(1, 1), agentRow(rec, "a").ReplyRate)
}
