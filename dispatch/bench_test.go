package dispatch

import (
	"fmt"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// ids returns n distinct ids with a prefix, built before the timer starts.
func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// benchHistory is the history each agent keeps in the benchmarks: small,
// so that a warm-up fills every agent's and closes then recycle the
// records they drop, the steady state of a shop that has run a while.
const benchHistory = 16

// loaded returns an engine with n agents of caps 20..200, each filled to
// its cap, and w sessions waiting in the queue (loadedWith the zero
// policy).
func loaded(b *testing.B, n, w int) (*Engine, time.Time) {
	b.Helper()
	return loadedWith(b, policy.Policy{}, n, w)
}

// BenchmarkArriveAssign: a session arrives and goes to the least saturated
// agent with room, then closes (so the load stays steady). One op = one
// Arrive + one Close.
func BenchmarkArriveAssign(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			e, now := loaded(b, n, 0)
			// Every agent is full; raise a0's cap so that arrivals have
			// room, and the choice still reads the saturation index.
			if _, err := e.SetCapacity(now, "a0", agent.Limit(500)); err != nil {
				b.Fatal(err)
			}
			sids := ids("s", 1024)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				id := sids[i%len(sids)]
				if _, err := e.Arrive(now, Arrival{Session: id}); err != nil {
					b.Fatal(err)
				}
				if _, err := e.Close(now, id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkArriveQueueLeave: every agent is full; a session arrives, queues
// behind w others, and its buyer leaves. One op = Arrive + Leave.
func BenchmarkArriveQueueLeave(b *testing.B) {
	for _, c := range []struct{ n, w int }{{100, 1000}, {10_000, 100_000}} {
		b.Run(fmt.Sprintf("agents=%d/waiting=%d", c.n, c.w), func(b *testing.B) {
			e, now := loaded(b, c.n, c.w)
			sids := ids("s", 1024)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				id := sids[i%len(sids)]
				if _, err := e.Arrive(now, Arrival{Session: id}); err != nil {
					b.Fatal(err)
				}
				if _, err := e.Leave(now, id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClosePullHead: every agent is full and w sessions wait; closing
// a session pulls the queue head into the freed place (C5), and a new
// arrival joins the back of the queue. One op = Close + Arrive.
func BenchmarkClosePullHead(b *testing.B) {
	for _, c := range []struct{ n, w int }{{100, 1000}, {10_000, 100_000}} {
		b.Run(fmt.Sprintf("agents=%d/waiting=%d", c.n, c.w), func(b *testing.B) {
			e, now := loaded(b, c.n, c.w)
			// Sessions to close, oldest first: those assigned at setup,
			// then those pulled in, in arrival order. A warm-up of
			// (benchHistory+1)·n closes first fills the agents' histories,
			// so that the timed closes run in steady state.
			order := ids("pre", e.Sessions())
			warm := (benchHistory + 1) * c.n
			fresh := ids("s", warm+b.N)
			for i := 0; i < warm+b.N; i++ {
				if i == warm {
					b.ReportAllocs()
					b.ResetTimer()
				}
				var id string
				if i < len(order) {
					id = order[i]
				} else {
					id = fresh[i-len(order)]
				}
				if _, err := e.Close(now, id); err != nil {
					b.Fatal(err)
				}
				if _, err := e.Arrive(now, Arrival{Session: fresh[i]}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAdvance: 100k sessions in agents' lists, each with an
// auto-close deadline; every op advances the clock past the next one, so
// one timer fires (a close) and a new arrival takes the freed place. The
// cost is O(log n) per timer due, whatever the number pending.
func BenchmarkAdvance(b *testing.B) {
	for _, pending := range []int{1000, 100_000} {
		b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) {
			e, err := New(policy.Policy{AgentIdleClose: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			now := t0
			for _, id := range ids("a", 100) {
				if _, err := e.AddAgent(now, id, AgentConfig{}); err != nil {
					b.Fatal(err)
				}
			}
			step := time.Hour / time.Duration(pending) // one deadline per step
			for _, id := range ids("pre", pending) {
				now = now.Add(step)
				if _, err := e.Arrive(now, Arrival{Session: id}); err != nil {
					b.Fatal(err)
				}
			}
			fresh := ids("s", b.N)
			clock := now
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				clock = clock.Add(step)
				if evs := e.Advance(clock); len(evs) != 1 {
					b.Fatalf("%d events, want one close", len(evs))
				}
				if _, err := e.Arrive(clock, Arrival{Session: fresh[i]}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHistoryArchive: closes go into agents' full histories (the
// default 200 records, L4), each into a different agent's than the last,
// as they come in a shop of n agents; the newest last message each time.
// One op = one archive (drop the oldest, add the newest).
func BenchmarkHistoryArchive(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			const limit = policy.DefaultHistoryLimit
			ds := make([]*desk, n)
			for i := range ds {
				ds[i] = new(desk)
			}
			rec := func(i int) closed { return closed{session: "s", lastMsg: int64(i + 1), key: uint64(i+1) << 16} }
			for i := 0; i < limit*n; i++ {
				ds[i%n].history.add(rec(i), limit)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ds[(i*7919)%n].history.add(rec(limit*n+i), limit)
			}
			b.StopTimer()
			if err := ds[0].history.verify(limit); err != nil || ds[0].history.Len() != limit {
				b.Fatalf("history of %d: %v", ds[0].history.Len(), err)
			}
		})
	}
}
