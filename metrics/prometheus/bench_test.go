package kefuprom_test

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	kefuprom "github.com/kefu-dev/kefu/metrics/prometheus"
	"github.com/kefu-dev/kefu/policy"
)

// benchShops opens n small shops, each with two agents, two sessions
// with them and one in the queue.
func benchShops(b *testing.B, n int) *dispatch.Shops {
	b.Helper()
	shops := new(dispatch.Shops)
	for i := range n {
		s, err := shops.Open(fmt.Sprint("shop", i), policy.Kuaishou())
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range []string{"a", "b"} {
			if _, err := s.AddAgent(t0, a, dispatch.AgentConfig{Capacity: agent.Limit(1)}); err != nil {
				b.Fatal(err)
			}
		}
		for _, id := range []string{"s1", "s2", "s3"} {
			if _, err := s.Arrive(t0, dispatch.Arrival{Session: id}); err != nil {
				b.Fatal(err)
			}
		}
	}
	return shops
}

// BenchmarkCollect is one scrape's cost over 10⁴ shops: Collect alone
// (the channel drained by another goroutine, as a registry does), and a
// whole Gather; with no shop label, and with 100 shops labelled. The
// baseline is Shops.Stats, the sum Collect starts from.
func BenchmarkCollect(b *testing.B) {
	const n = 10_000
	shops := benchShops(b, n)
	var listed []string
	for i := range 100 {
		listed = append(listed, fmt.Sprint("shop", i*(n/100)))
	}
	b.Run("Shops.Stats", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if shops.Stats().Arrived != 3*n {
				b.Fatal("wrong sum")
			}
		}
	})
	for _, c := range []struct {
		name string
		opts []kefuprom.Option
	}{{"total", nil}, {"labels-100", []kefuprom.Option{kefuprom.WithShopLabels(listed...)}}} {
		col := kefuprom.New(shops, c.opts...)
		b.Run("Collect/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			ch := make(chan prometheus.Metric, 1024)
			done := make(chan int)
			go func() {
				k := 0
				for range ch {
					k++
				}
				done <- k
			}()
			for range b.N {
				col.Collect(ch)
			}
			close(ch)
			if <-done == 0 {
				b.Fatal("no metrics")
			}
		})
		b.Run("Gather/"+c.name, func(b *testing.B) {
			reg := prometheus.NewRegistry()
			reg.MustRegister(col)
			b.ReportAllocs()
			for range b.N {
				if _, err := reg.Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
