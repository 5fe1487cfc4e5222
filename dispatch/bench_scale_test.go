package dispatch

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// percentile returns the q-quantile of sorted durations, in ns.
func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)-1))
	return float64(sorted[i].Nanoseconds())
}

// BenchmarkLatency times single dispatch decisions at 1e4 agents and 1e5
// waiting sessions, one goroutine, and reports the distribution as custom
// metrics (p50-ns, p99-ns, p99.9-ns) per operation kind. Each op of the
// loop is one close→pull-head, one arrive→queue and one leave (with its
// replacement arrival), each timed on its own.
func BenchmarkLatency(b *testing.B) {
	e, now := loaded(b, 10_000, 100_000)
	inList := ids("pre", e.Sessions()) // oldest first: in reception, then waiting
	waiting := make([]string, 0, 100_000)
	for _, id := range inList {
		if info, _ := e.Session(id); info.Place == PlaceQueue {
			waiting = append(waiting, id)
		}
	}
	fresh := ids("n", 2*b.N+2)
	kinds := []string{"close-pull", "arrive-queue", "leave"}
	lat := make([][]time.Duration, len(kinds))
	for i := range lat {
		lat[i] = make([]time.Duration, 0, b.N)
	}
	next, closeAt, leaveAt := 0, 0, 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// close→pull head: the oldest session still in reception.
		for {
			if info, ok := e.Session(inList[closeAt]); ok && info.Place == PlaceAgent {
				break
			}
			closeAt++
		}
		t := time.Now()
		if _, err := e.Close(now, inList[closeAt]); err != nil {
			b.Fatal(err)
		}
		lat[0] = append(lat[0], time.Since(t))
		closeAt++
		// arrive→queue: everyone is full again.
		t = time.Now()
		if _, err := e.Arrive(now, Arrival{Session: fresh[next]}); err != nil {
			b.Fatal(err)
		}
		lat[1] = append(lat[1], time.Since(t))
		waiting = append(waiting, fresh[next])
		next++
		// leave: a buyer from the middle of the queue gives up.
		for {
			leaveAt = (leaveAt + 7919) % len(waiting)
			if info, ok := e.Session(waiting[leaveAt]); ok && info.Place == PlaceQueue {
				break
			}
		}
		t = time.Now()
		if _, err := e.Leave(now, waiting[leaveAt]); err != nil {
			b.Fatal(err)
		}
		lat[2] = append(lat[2], time.Since(t))
		if _, err := e.Arrive(now, Arrival{Session: fresh[next]}); err != nil { // keep 1e5 waiting
			b.Fatal(err)
		}
		waiting[leaveAt] = fresh[next]
		next++
	}
	b.StopTimer()
	for k, name := range kinds {
		slices.Sort(lat[k])
		b.ReportMetric(percentile(lat[k], 0.50), name+"-p50-ns")
		b.ReportMetric(percentile(lat[k], 0.99), name+"-p99-ns")
		b.ReportMetric(percentile(lat[k], 0.999), name+"-p99.9-ns")
	}
}

// heapAlloc returns the live heap after a full collection.
func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkMemory measures the live heap per waiting session and per
// agent (with nothing in its list), as custom metrics B/waiting and
// B/agent. Ids are built before the first reading, so only the engine's
// own memory counts. The measurement runs once, whatever b.N.
func BenchmarkMemory(b *testing.B) {
	for i := 0; i < min(b.N, 1); i++ {
		const agents, waiting = 10_000, 100_000
		aids, sids := ids("agent-", agents), ids("session-", waiting)
		e, err := New(policy.Policy{})
		if err != nil {
			b.Fatal(err)
		}
		h0 := heapAlloc()
		for _, id := range aids {
			if _, err := e.AddAgent(t0, id, AgentConfig{Capacity: agent.Suspended()}); err != nil {
				b.Fatal(err)
			}
		}
		h1 := heapAlloc()
		for _, id := range sids {
			if _, err := e.Arrive(t0, Arrival{Session: id}); err != nil {
				b.Fatal(err)
			}
		}
		h2 := heapAlloc()
		if e.QueueLen() != waiting {
			b.Fatalf("queue %d", e.QueueLen())
		}
		b.ReportMetric(float64(h1-h0)/agents, "B/agent")
		b.ReportMetric(float64(h2-h1)/waiting, "B/waiting")
		runtime.KeepAlive(e)
	}
}

// BenchmarkTwoShops: b.N arrive+close operations for one shop on one
// goroutine, then the same b.N for each of two shops on two goroutines;
// "speedup" is how much more work per second two goroutines do. Shops
// share no lock, so on two idle cores it approaches 2.
func BenchmarkTwoShops(b *testing.B) {
	work := func(s *Shop, prefix string, n int) {
		sids := ids(prefix, 1024)
		for i := 0; i < n; i++ {
			id := sids[i%len(sids)]
			if _, err := s.Arrive(t0, Arrival{Session: id}); err != nil {
				panic(err)
			}
			if _, err := s.Close(t0, id); err != nil {
				panic(err)
			}
		}
	}
	shop := func() *Shop {
		s, _ := NewShop(policy.Policy{})
		for _, id := range ids("a", 100) {
			_, _ = s.AddAgent(t0, id, AgentConfig{})
		}
		return s
	}
	one, s1, s2 := shop(), shop(), shop()
	b.ResetTimer()
	t := time.Now()
	work(one, "x", b.N)
	single := time.Since(t)
	var wg sync.WaitGroup
	t = time.Now()
	for k, s := range []*Shop{s1, s2} {
		wg.Add(1)
		go func() { defer wg.Done(); work(s, fmt.Sprint("y", k), b.N) }()
	}
	wg.Wait()
	double := time.Since(t)
	b.ReportMetric(2*float64(single)/float64(double), "speedup")
}
