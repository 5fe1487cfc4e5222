package metrics_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
	"github.com/kefu-dev/kefu/policy"
)

// cst is the shop's time zone in the tests: China, no DST.
var cst = time.FixedZone("CST", 8*3600)

// day0 is the day most tests run on.
var day0 = metrics.Date{Year: 2026, Month: time.November, Day: 11}

// at returns the instant hh:mm:ss of day0 in CST; "+1 hh:mm:ss" is the
// next day.
func at(clock string) time.Time {
	d := day0
	if len(clock) > 3 && clock[0] == '+' {
		d = d.AddDays(int(clock[1] - '0'))
		clock = clock[3:]
	}
	c, err := time.Parse(time.TimeOnly, clock)
	if err != nil {
		panic(err)
	}
	return time.Date(d.Year, d.Month, d.Day, c.Hour(), c.Minute(), c.Second(), 0, cst)
}

// op is one engine operation of a step table.
type op func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error)

// step is {at, op}: the operation runs at the instant and every event it
// returns is fed to the recorder.
type step struct {
	at string
	op op
}

func addAgent(id string, limit int) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) {
		return e.AddAgent(now, id, dispatch.AgentConfig{Capacity: agent.Limit(limit)})
	}
}

func arrive(s string) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) {
		return e.Arrive(now, dispatch.Arrival{Session: s, Buyer: "b-" + s})
	}
}

func buyer(s string) op { return message(s, dispatch.FromBuyer, "") }

func reply(s, agentID string) op { return message(s, dispatch.FromAgent, agentID) }

func message(s string, from dispatch.Sender, agentID string) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) {
		return e.Message(now, dispatch.Message{Session: s, From: from, Agent: agentID})
	}
}

func closeS(s string) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) { return e.Close(now, s) }
}

func transfer(s, to string) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) { return e.Transfer(now, s, to) }
}

func leave(s string) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) { return e.Leave(now, s) }
}

func login(id string) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) { return e.Login(now, id) }
}

func logout(id string) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) { return e.Logout(now, id) }
}

func start(s, agentID string) op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) {
		return e.Start(now, dispatch.Outbound{Session: s, Buyer: "b-" + s, Agent: agentID})
	}
}

func advance() op {
	return func(e *dispatch.Engine, now time.Time) ([]dispatch.Event, error) { return e.Advance(now), nil }
}

// run plays the steps on a fresh engine with policy p and a recorder with
// opts, checks the engine's invariants and that the recorder holds no
// more sessions than the engine after every step, and returns both.
func run(t *testing.T, p policy.Policy, opts []metrics.Option, steps []step) (*dispatch.Engine, *metrics.Recorder) {
	t.Helper()
	eng, err := dispatch.New(p)
	require.NoError(t, err)
	rec, err := metrics.New(cst, opts...)
	require.NoError(t, err)
	for i, s := range steps {
		now := at(s.at)
		evs, err := s.op(eng, now)
		require.NoError(t, err, "step %d at %s", i, s.at)
		rec.Feed(evs)
		rec.Advance(now)
		require.NoError(t, eng.Verify(), "step %d at %s", i, s.at)
		require.Equal(t, eng.Sessions(), rec.Open(), "step %d at %s: open sessions", i, s.at)
	}
	return eng, rec
}

// feed returns a recorder fed the given events, written by hand for exact
// event shapes.
func feed(t *testing.T, opts []metrics.Option, evs ...dispatch.Event) *metrics.Recorder {
	t.Helper()
	rec, err := metrics.New(cst, opts...)
	require.NoError(t, err)
	rec.Feed(evs)
	return rec
}

// ev builds an event of session s at clock; arrived is the session's
// first message.
func ev(k dispatch.Kind, clock, s, agentID, arrived string) dispatch.Event {
	e := dispatch.Event{Kind: k, At: at(clock), Session: s, Buyer: "b-" + s, Agent: agentID, Arrived: at(arrived)}
	if k == dispatch.EventAssigned {
		e.Cause = dispatch.CauseArrival
	}
	return e
}

func msgEv(clock, s string, from dispatch.Sender, agentID, arrived string) dispatch.Event {
	e := ev(dispatch.EventMessage, clock, s, agentID, arrived)
	e.Sender = from
	return e
}

// rate is a Rate literal.
func rate(num, den int) metrics.Rate { return metrics.Rate{Num: num, Den: den} }

// mean is the Mean of the given durations.
func mean(ds ...time.Duration) metrics.Mean {
	var m metrics.Mean
	for _, d := range ds {
		m.Total += d
		m.Count++
	}
	return m
}

// agentRow returns agent id's reply row on day0 (zero row if none).
func agentRow(rec *metrics.Recorder, id string) metrics.AgentReplies {
	a, _ := rec.Replies(day0, day0).Agent(id)
	return a
}

const (
	sec    = time.Second
	minute = time.Minute
)
