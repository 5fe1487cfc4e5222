package agent_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/agent"
)

// BenchmarkHoldSettle: a full agent frees a place and takes the next
// session (the roster's part of a close that pulls the queue head, C5),
// among 10² and 10⁴ full agents with caps 20–200. One op = Hold, two
// AddLoads and Settle: the agent leaves the saturation index and returns
// at its new place (same saturation, idle since now).
func BenchmarkHoldSettle(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			r := agent.NewRoster()
			t0 := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
			as := make([]*agent.Agent, n)
			for i := range as {
				c := 20 + (i*37)%181
				a, err := r.Add(fmt.Sprintf("a%d", i), agent.Limit(c), t0)
				if err != nil {
					b.Fatal(err)
				}
				for j := 0; j < c; j++ {
					if err := r.AddLoad(a, 1, t0.Add(time.Duration(i*200+j))); err != nil {
						b.Fatal(err)
					}
				}
				as[i] = a
			}
			now := t0.Add(time.Hour)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				a := as[(i*7919)%n]
				now = now.Add(time.Millisecond)
				if err := r.Hold(a); err != nil {
					b.Fatal(err)
				}
				if err := r.AddLoad(a, -1, now); err != nil {
					b.Fatal(err)
				}
				if err := r.AddLoad(a, 1, now); err != nil {
					b.Fatal(err)
				}
				if err := r.Settle(a); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := r.Verify(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
