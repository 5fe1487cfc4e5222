package dispatch

import (
	"fmt"
	"math/rand/v2"
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
// B/agent, and a closed session kept in an agent's history, B/closed.
// Ids are built before the first reading, so only the engine's
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

		// Histories (L4): 100 agents each keep their last 200 closed
		// sessions (the default limit), 20,000 records in all.
		const staff, closes = 100, 100 * policy.DefaultHistoryLimit
		e, err = New(policy.Policy{})
		if err != nil {
			b.Fatal(err)
		}
		for _, id := range ids("staff-", staff) {
			if _, err := e.AddAgent(t0, id, AgentConfig{Capacity: agent.Unlimited()}); err != nil {
				b.Fatal(err)
			}
		}
		hids := ids("closed-", closes)
		h3 := heapAlloc()
		for i, id := range hids {
			now := t0.Add(time.Duration(i) * time.Second)
			if _, err := e.Arrive(now, Arrival{Session: id}); err != nil {
				b.Fatal(err)
			}
			if _, err := e.Close(now, id); err != nil {
				b.Fatal(err)
			}
		}
		h4 := heapAlloc()
		if _, n, _ := e.History("staff-0", Page{}); n != policy.DefaultHistoryLimit {
			b.Fatalf("history of %d, want %d", n, policy.DefaultHistoryLimit)
		}
		b.ReportMetric(float64(h4-h3)/closes, "B/closed")
		runtime.KeepAlive(e)
	}
}

// BenchmarkTwoShops: b.N arrive+close operations for one shop on one
// goroutine, then the same b.N for each of two shops on two goroutines;
// "speedup" is how much more work per second two goroutines do. Shops
// share no lock, so on two idle cores it approaches 2. The work is split
// into rounds, single and double alternating, and each side keeps its
// fastest round: a shared machine's noise (another tenant, a collection)
// slows some rounds, never speeds one up.
//
// Sub-benchmarks: engine drives one Engine per goroutine (the host
// serialises each shop itself); shop goes through the goroutine-safe
// Shop, whose every call copies its events (an allocation, so the garbage
// collector, which both goroutines share, takes its part); shop-exec goes
// through Shop.Exec with a reused buffer, which does not allocate.
func BenchmarkTwoShops(b *testing.B) {
	type op func(now time.Time, id string) error
	work := func(do [2]op, sids []string, n int) {
		for i := 0; i < n; i++ {
			id := sids[i%len(sids)]
			if err := do[0](t0, id); err != nil {
				panic(err)
			}
			if err := do[1](t0, id); err != nil {
				panic(err)
			}
		}
	}
	newEngine := func() [2]op {
		e, _ := New(policy.Policy{})
		for _, id := range ids("a", 100) {
			_, _ = e.AddAgent(t0, id, AgentConfig{})
		}
		return [2]op{
			func(now time.Time, id string) error { _, err := e.Arrive(now, Arrival{Session: id}); return err },
			func(now time.Time, id string) error { _, err := e.Close(now, id); return err },
		}
	}
	staffedShop := func() *Shop {
		s, _ := NewShop(policy.Policy{})
		for _, id := range ids("a", 100) {
			_, _ = s.AddAgent(t0, id, AgentConfig{})
		}
		return s
	}
	newShop := func() [2]op {
		s := staffedShop()
		return [2]op{
			func(now time.Time, id string) error { _, err := s.Arrive(now, Arrival{Session: id}); return err },
			func(now time.Time, id string) error { _, err := s.Close(now, id); return err },
		}
	}
	newShopExec := func() [2]op {
		s := staffedShop()
		var buf []Event
		return [2]op{
			func(now time.Time, id string) (err error) {
				buf, err = s.Exec(buf[:0], func(e *Engine) ([]Event, error) { return e.Arrive(now, Arrival{Session: id}) })
				return err
			},
			func(now time.Time, id string) (err error) {
				buf, err = s.Exec(buf[:0], func(e *Engine) ([]Event, error) { return e.Close(now, id) })
				return err
			},
		}
	}
	for _, c := range []struct {
		name string
		make func() [2]op
	}{{"engine", newEngine}, {"shop", newShop}, {"shop-exec", newShopExec}} {
		b.Run(c.name, func(b *testing.B) {
			one, s1, s2 := c.make(), c.make(), c.make()
			x, y0, y1 := ids("x", 1024), ids("y0-", 1024), ids("y1-", 1024)
			const rounds = 5
			n := max(b.N/rounds, 1)
			var single, double time.Duration
			b.ResetTimer()
			for r := 0; r < rounds; r++ {
				t := time.Now()
				work(one, x, n)
				if d := time.Since(t); r == 0 || d < single {
					single = d
				}
				var wg sync.WaitGroup
				t = time.Now()
				for k, s := range [2][2]op{s1, s2} {
					sids := [2][]string{y0, y1}[k]
					wg.Add(1)
					go func() { defer wg.Done(); work(s, sids, n) }()
				}
				wg.Wait()
				if d := time.Since(t); r == 0 || d < double {
					double = d
				}
			}
			b.ReportMetric(2*float64(single)/float64(double), "speedup")
		})
	}
}

// BenchmarkMemoryLatency measures the machine, not the engine: the time of
// one dependent load (a pointer chase through a random cycle) in a block
// of 1 MiB, which stays in cache, and of 128 MiB, which does not, like the
// engine's state at 10⁴ agents × 10⁵ waiting (about 280 MiB). A dispatch
// decision that must read n such cold, dependent places cannot take less
// than n times the second figure; the README's Performance section uses it
// to say where the close → pull target stands. One op is one load.
func BenchmarkMemoryLatency(b *testing.B) {
	for _, mib := range []int{1, 128} {
		b.Run(fmt.Sprintf("block=%dMiB", mib), func(b *testing.B) {
			b.ReportMetric(dependentLoad(mib<<20, b.N), "ns/load")
		})
	}
}

// dependentLoad returns the mean time in ns of n dependent loads (a
// pointer chase through a random cycle) in a block of the given size.
func dependentLoad(size, n int) float64 {
	slots := size / 8
	next := make([]uint32, 2*slots) // 8 bytes per slot: one index, one pad
	perm := rand.New(rand.NewPCG(3, 4)).Perm(slots)
	for i, p := range perm {
		next[2*p] = uint32(perm[(i+1)%slots])
	}
	j := uint32(0)
	for range slots { // warm the TLB and the page tables once
		j = next[2*j]
	}
	t := time.Now()
	for range n {
		j = next[2*j]
	}
	d := time.Since(t)
	if j >= uint32(slots) {
		panic("chase left the block")
	}
	return float64(d.Nanoseconds()) / float64(max(n, 1))
}
