package metrics_test

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
)

// Agent churn: 10⁴ agents, each serving one session on one of 100 days
// (100 a day). Forget of the first 90 days drops the state of their
// agents, but of the ones that still hold an open session (from a
// forgotten day); the kept days' reports, the panel and the open
// sessions' later events are as if nothing had been dropped.
func TestRecorder_ForgetDropsAgents(t *testing.T) {
	const days, perDay = 100, 100
	agentID := func(d, i int) string { return fmt.Sprintf("a%03d-%02d", d, i) }
	build := func() *metrics.Recorder {
		rec, err := metrics.New(cst)
		require.NoError(t, err)
		for d := 0; d < days; d++ {
			t0 := day0.AddDays(d).Start(cst).Add(9 * time.Hour)
			for i := 0; i < perDay; i++ {
				s, a := fmt.Sprintf("s%03d-%02d", d, i), agentID(d, i)
				at := t0.Add(time.Duration(i) * time.Minute)
				rec.Observe(dispatch.Event{Kind: dispatch.EventAssigned, At: at, Session: s, Buyer: "b" + s, Agent: a,
					Cause: dispatch.CauseArrival, Arrived: at})
				rec.Observe(dispatch.Event{Kind: dispatch.EventMessage, At: at.Add(time.Minute), Session: s, Agent: a,
					Sender: dispatch.FromAgent})
				if i%50 == 7 && d%10 == 3 { // left open: its agent holds it
					continue
				}
				rec.Observe(dispatch.Event{Kind: dispatch.EventClosed, At: at.Add(2 * time.Minute), Session: s, Agent: a})
			}
		}
		return rec
	}
	keepFrom := day0.AddDays(90)
	end := day0.AddDays(days).Start(cst)

	rec, ref := build(), build() // ref: never forgets
	rec.Advance(end)
	ref.Advance(end)
	before := liveHeap()
	rec.Forget(keepFrom)
	after := liveHeap()
	runtime.KeepAlive(rec)
	runtime.KeepAlive(ref)

	var want []string
	for d := 0; d < days; d++ {
		for i := 0; i < perDay; i++ {
			if d >= 90 || i%50 == 7 && d%10 == 3 {
				want = append(want, agentID(d, i))
			}
		}
	}
	slices.Sort(want)
	got := metrics.AgentsForTest(rec)
	assert.Equal(t, want, got, "the kept days' agents and those holding a session")
	dropped := days*perDay - len(got)
	t.Logf("%d of %d agents dropped; Forget freed %d B of live heap (90 day buckets and the agents), %.0f B per dropped agent",
		dropped, days*perDay, int64(before)-int64(after), float64(int64(before)-int64(after))/float64(dropped))
	require.NoError(t, metrics.VerifyForTest(rec))

	check := func(what string) {
		for d := keepFrom; d.Before(day0.AddDays(days)); d = d.AddDays(1) {
			require.Equal(t, ref.Hourly(d), rec.Hourly(d), "%s: %s", what, d)
			require.Equal(t, ref.Replies(d, d), rec.Replies(d, d), "%s: %s", what, d)
			require.Equal(t, ref.Reviews(d, d), rec.Reviews(d, d), "%s: %s", what, d)
			require.Equal(t, ref.Alerts(d, d), rec.Alerts(d, d), "%s: %s", what, d)
		}
		require.Equal(t, ref.Replies(keepFrom, day0.AddDays(days)), rec.Replies(keepFrom, day0.AddDays(days)), what)
		for _, at := range []time.Time{end, end.Add(-12 * time.Hour)} {
			p, q := ref.Panel(at), rec.Panel(at)
			require.Equal(t, p.Shop, q.Shop, "%s: panel at %v", what, at)
			require.Equal(t, p.Agents, q.Agents, "%s: panel at %v", what, at)
		}
		require.Equal(t, ref.Overdue(end), rec.Overdue(end), what)
	}
	check("after Forget")

	// The open sessions go on: their agents' state was kept; a dropped
	// agent who comes back starts afresh.
	later := end.Add(time.Hour)
	for _, r := range []*metrics.Recorder{rec, ref} {
		r.Observe(dispatch.Event{Kind: dispatch.EventMessage, At: later, Session: "s003-07", Sender: dispatch.FromBuyer})
		r.Observe(dispatch.Event{Kind: dispatch.EventTransferred, At: later, Session: "s003-07", Agent: agentID(0, 0)})
		r.Observe(dispatch.Event{Kind: dispatch.EventMessage, At: later.Add(time.Minute), Session: "s003-07",
			Agent: agentID(0, 0), Sender: dispatch.FromAgent})
		r.Observe(dispatch.Event{Kind: dispatch.EventClosed, At: later.Add(2 * time.Minute), Session: "s013-57"})
		r.Advance(later.Add(time.Hour))
	}
	check("after further events")
	require.NoError(t, metrics.VerifyForTest(rec))
	assert.Contains(t, metrics.AgentsForTest(rec), agentID(0, 0))
	assert.Contains(t, metrics.AgentsForTest(rec), agentID(13, 57), "its session closed: kept until the next Forget")
	rec.Forget(keepFrom.AddDays(1))
	assert.NotContains(t, metrics.AgentsForTest(rec), agentID(13, 57))
	assert.NotContains(t, metrics.AgentsForTest(rec), agentID(3, 7), "transferred its session away")
	assert.NotContains(t, metrics.AgentsForTest(rec), agentID(90, 0))
	assert.Contains(t, metrics.AgentsForTest(rec), agentID(91, 0))
	restore(t, rec)
}
