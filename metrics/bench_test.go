package metrics_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
	"github.com/kefu-dev/kefu/policy"
)

// benchEngine returns an engine with n agents of cap 50, each already
// holding 20 open sessions (so the recorder's maps are of a realistic
// size), and a recorder fed all of it.
func benchEngine(b *testing.B, n int) (*dispatch.Engine, *metrics.Recorder, time.Time) {
	b.Helper()
	eng, err := dispatch.New(policy.Policy{Capacity: agent.KuaishouBounds()})
	if err != nil {
		b.Fatal(err)
	}
	rec, err := metrics.New(cst)
	if err != nil {
		b.Fatal(err)
	}
	now := at("08:00:00")
	for i := 0; i < n; i++ {
		evs, err := eng.AddAgent(now, fmt.Sprintf("a%d", i), dispatch.AgentConfig{Capacity: agent.Limit(50)})
		if err != nil {
			b.Fatal(err)
		}
		rec.Feed(evs)
	}
	for i := 0; i < 20*n; i++ {
		evs, err := eng.Arrive(now, dispatch.Arrival{Session: fmt.Sprintf("pre%d", i), Buyer: fmt.Sprintf("pb%d", i)})
		if err != nil {
			b.Fatal(err)
		}
		rec.Feed(evs)
	}
	return eng, rec, now
}

// workload is the dispatch path of the benchmarks: one op is a buyer who
// arrives and is assigned, the agent's reply and the close — three engine
// calls, three events — on an engine with 100 agents, each holding 20
// other sessions. The clock moves 1 s per op, so reply windows run out,
// hours and days turn over as in production.
type workload struct {
	b      *testing.B
	eng    *dispatch.Engine
	rec    *metrics.Recorder // nil: the engine alone
	now    time.Time
	sids   []string
	buyers []string
	i      int
}

func newWorkload(b *testing.B, withMetrics bool) *workload {
	eng, rec, now := benchEngine(b, 100)
	w := &workload{b: b, eng: eng, now: now, sids: make([]string, 1024), buyers: make([]string, 1024)}
	if withMetrics {
		w.rec = rec
	}
	for i := range w.sids {
		w.sids[i], w.buyers[i] = fmt.Sprintf("s%d", i), fmt.Sprintf("b%d", i)
	}
	return w
}

func (w *workload) feed(evs []dispatch.Event, err error) {
	if err != nil {
		w.b.Fatal(err)
	}
	if w.rec != nil {
		w.rec.Feed(evs)
	}
}

// run plays n ops.
func (w *workload) run(n int) {
	for ; n > 0; n-- {
		w.now = w.now.Add(time.Second)
		id := w.sids[w.i%len(w.sids)]
		evs, err := w.eng.Arrive(w.now, dispatch.Arrival{Session: id, Buyer: w.buyers[w.i%len(w.buyers)]})
		if err != nil {
			w.b.Fatal(err)
		}
		holder := evs[0].Agent
		w.feed(evs, nil)
		w.feed(w.eng.Message(w.now, dispatch.Message{Session: id, From: dispatch.FromAgent, Agent: holder}))
		w.feed(w.eng.Close(w.now, id))
		w.i++
	}
}

// BenchmarkDispatch is the pair that bounds the recorder's cost on the
// dispatch path: the same workload without ("plain") and with feeding
// every returned event to a Recorder ("metrics").
func BenchmarkDispatch(b *testing.B) {
	for _, withMetrics := range []bool{false, true} {
		name := "plain"
		if withMetrics {
			name = "metrics"
		}
		b.Run("agents=100/"+name, func(b *testing.B) {
			w := newWorkload(b, withMetrics)
			b.ReportAllocs()
			b.ResetTimer()
			w.run(b.N)
		})
	}
}

// BenchmarkDispatchOverhead runs both sides of BenchmarkDispatch in
// alternating batches, so that both see the same machine load, and
// reports each side's ns/op and the recorder's overhead in percent (the
// budget is 25%).
func BenchmarkDispatchOverhead(b *testing.B) {
	plain, withMetrics := newWorkload(b, false), newWorkload(b, true)
	const batch = 512
	var tp, tm time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		n := min(batch, b.N-done)
		t := time.Now()
		plain.run(n)
		tp += time.Since(t)
		t = time.Now()
		withMetrics.run(n)
		tm += time.Since(t)
	}
	b.ReportMetric(float64(tp.Nanoseconds())/float64(b.N), "plain-ns/op")
	b.ReportMetric(float64(tm.Nanoseconds())/float64(b.N), "metrics-ns/op")
	b.ReportMetric(100*(float64(tm)/float64(tp)-1), "overhead-%")
}

// BenchmarkObserve is the recorder alone: one op is the three events of
// an arrive, a reply and a close, with 2000 other sessions open.
func BenchmarkObserve(b *testing.B) {
	_, rec, now := benchEngine(b, 100)
	sids := make([]string, 1024)
	for i := range sids {
		sids[i] = fmt.Sprintf("s%d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second)
		id := sids[i%len(sids)]
		rec.Observe(dispatch.Event{Kind: dispatch.EventAssigned, At: now, Session: id, Buyer: id, Agent: "a7",
			Cause: dispatch.CauseArrival, Arrived: now})
		rec.Observe(dispatch.Event{Kind: dispatch.EventMessage, At: now, Session: id, Buyer: id, Agent: "a7",
			Sender: dispatch.FromAgent, Arrived: now})
		rec.Observe(dispatch.Event{Kind: dispatch.EventClosed, At: now, Session: id, Buyer: id, Agent: "a7",
			Reason: dispatch.CloseManual, Arrived: now})
	}
}
