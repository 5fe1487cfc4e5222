package kefujs_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
	kefujs "github.com/kefu-dev/kefu/dispatch/jetstream"
)

// The benchmarks run NATS servers inside the test process, on the
// loopback interface, storing in b.TempDir() (file storage; JetStream's
// default sync_interval, so no fsync per message): one server (R1)
// unless the name says cluster=3 (three servers, R3). Client and servers
// share the machine's cores, so a figure is the cost of a round trip
// through a server on the same host, not of a network. The shops run
// Kuaishou's policy with no observer. Each benchmark does a fixed amount
// of work per iteration (so -benchtime 1x gives its figures) and
// reports its own: ns/op is the time of one iteration, not of an op.
//
// Measured (go test -run '^$' -bench . -benchtime 1x -count 3, medians;
// 2 shared vCPUs, load ~3 from other work, so ±30%):
//
//	                               server=1 (R1)            cluster=3 (R3)
//	Append, 1 goroutine            69 µs p50, 213 µs p99    207 µs p50, 848 µs p99
//	Append, 32 goroutines          28k ops/s, p99 4.7 ms    20k ops/s, p99 3.3 ms
//	Append, 10 records a call      767 µs p50 a call        2.2 ms p50 a call
//	HostApply, 64 goroutines       30k ops/s, p99 8.5 ms    19k ops/s, p99 15 ms
//	Takeover of 10³ shops, 3 ops pending each: 0.56 s to start (each shop
//	loaded), then 38 ms for an op on each; all snapshotted: 92 ms to
//	start, then 219 ms for an op on each (each shop loaded on first use).

// percentileUs returns the q-quantile of sorted durations, in µs.
func percentileUs(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[int(q*float64(len(sorted)-1))].Nanoseconds()) / 1e3
}

// reportLatency reports ops/s over elapsed and the p50 and p99 of lat.
func reportLatency(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(percentileUs(lat, 0.50), "p50-µs")
	b.ReportMetric(percentileUs(lat, 0.99), "p99-µs")
}

// parallel runs fn(k, i) for i in [0, n) on g goroutines (k is the
// goroutine) and returns the first error.
func parallel(n, g int, fn func(k, i int) error) error {
	var next atomic.Int64
	var first atomic.Pointer[error]
	var wg sync.WaitGroup
	for k := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first.Load() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(k, i); err != nil {
					first.CompareAndSwap(nil, &err)
				}
			}
		}()
	}
	wg.Wait()
	if p := first.Load(); p != nil {
		return *p
	}
	return nil
}

// benchJS returns a JetStream context on one server (servers = 1) or on
// a cluster of three.
func benchJS(b *testing.B, servers int) jetstream.JetStream {
	if servers == 1 {
		_, js := connect(b, runServer(b))
		return js
	}
	_, js := connectCluster(b, runCluster(b, servers))
	return js
}

// benchStore opens a Store owning all its partitions.
func benchStore(b *testing.B, js jetstream.JetStream, cfg kefujs.Config) *kefujs.Store {
	var st *kefujs.Store
	eventually(b, 20*time.Second, "opening the store", func() (err error) {
		st, err = kefujs.Open(ctx, js, cfg)
		return err
	})
	if _, err := st.Acquire(ctx, cfg.Partitions); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close(ctx) })
	return st
}

// BenchmarkAppend measures Store.Append of one op, from the publish to
// its acknowledgement (stored by the stream's leader, replicated to a
// majority on a cluster): one at a time on one shop (goroutines=1), and
// from 32 goroutines over 256 shops in 64 partitions, each call waiting
// for its ack while the others are in flight (goroutines=32); and of 10
// records in one call (records=10, one shop; p50/p99 per call). Each
// iteration appends 1000 ops.
func BenchmarkAppend(b *testing.B) {
	for _, servers := range []int{1, 3} {
		name := "server=1"
		if servers == 3 {
			name = "cluster=3"
		}
		b.Run(name, func(b *testing.B) {
			js := benchJS(b, servers)
			st := benchStore(b, js, kefujs.Config{Partitions: 64, Replicas: servers, Owner: "bench"})
			b.Run("goroutines=1", func(b *testing.B) { benchAppend(b, st, 1, 1, 1) })
			b.Run("goroutines=32", func(b *testing.B) { benchAppend(b, st, 32, 256, 1) })
			b.Run("records=10", func(b *testing.B) { benchAppend(b, st, 1, 1, 10) })
		})
	}
}

var benchRun atomic.Int64 // distinct shops for each run of a benchmark

func benchAppend(b *testing.B, st *kefujs.Store, g, shops, per int) {
	const ops = 1000
	run := benchRun.Add(1)
	ids := make([]string, shops)
	fences := make([]durable.Fence, shops)
	next := make([]uint64, shops)
	for i := range ids {
		ids[i] = fmt.Sprintf("append-%d-%d", run, i)
		f, err := st.Claim(ctx, ids[i])
		if err != nil {
			b.Fatal(err)
		}
		fences[i] = f
	}
	var locks = make([]sync.Mutex, shops) // one writer per shop at a time, as a Host
	var lat []time.Duration
	var elapsed time.Duration
	for b.Loop() {
		lats := make([][]time.Duration, g)
		start := time.Now()
		err := parallel(ops/per, g, func(k, i int) error {
			s := i % shops
			locks[s].Lock()
			defer locks[s].Unlock()
			recs := make([]durable.Record, per)
			for j := range recs {
				next[s]++
				at, op := cycle(int(next[s]))
				recs[j] = durable.Record{N: next[s], At: at, Op: op}
			}
			t := time.Now()
			err := st.Append(ctx, ids[s], fences[s], recs)
			lats[k] = append(lats[k], time.Since(t))
			return err
		})
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, slices.Concat(lats...)...)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat)*per)/elapsed.Seconds(), "ops/s")
	b.ReportMetric(percentileUs(lat, 0.50), "p50-µs")
	b.ReportMetric(percentileUs(lat, 0.99), "p99-µs")
}

// BenchmarkHostApply measures a host's throughput: Host.Apply (append,
// acknowledgement, apply) from 64 goroutines over 1000 shops of one
// Node owning the 64 partitions, each op a step of its shop's cycle
// (arrive, buyer message, reply, close), each goroutine picking the
// next shop in turn. Each iteration applies 5000 ops. Reports ops/s and
// the latency of an Apply.
func BenchmarkHostApply(b *testing.B) {
	for _, servers := range []int{1, 3} {
		name := "server=1"
		if servers == 3 {
			name = "cluster=3"
		}
		b.Run(name, func(b *testing.B) {
			const shops, g, ops = 1000, 64, 5000
			js := benchJS(b, servers)
			var n *kefujs.Node
			eventually(b, 20*time.Second, "starting the node", func() (err error) {
				n, err = kefujs.Start(ctx, js, kefujs.Config{Partitions: 64, Replicas: servers, Owner: "bench"},
					durable.HostOptions{IdleAfter: -1}, 0)
				return err
			})
			defer n.Close(ctx)
			ids := make([]string, shops)
			steps := make([]int, shops)
			locks := make([]sync.Mutex, shops)
			t := time.Now()
			err := parallel(shops, g, func(_, i int) error {
				ids[i] = fmt.Sprintf("shop-%04d", i)
				if err := n.Host.Create(ctx, ids[i], pol()); err != nil {
					return err
				}
				_, err := n.Host.Apply(ctx, ids[i], t0, addAgent)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("created %d shops in %v", shops, time.Since(t).Round(time.Millisecond))
			var lat []time.Duration
			var elapsed time.Duration
			for b.Loop() {
				lats := make([][]time.Duration, g)
				start := time.Now()
				err := parallel(ops, g, func(k, i int) error {
					s := i % shops
					locks[s].Lock() // the shop's cycle goes in order
					defer locks[s].Unlock()
					at, op := cycle(steps[s])
					steps[s]++
					t := time.Now()
					_, err := n.Host.Apply(ctx, ids[s], at, op)
					lats[k] = append(lats[k], time.Since(t))
					return err
				})
				elapsed += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, slices.Concat(lats...)...)
			}
			reportLatency(b, lat, elapsed)
		})
	}
}

// BenchmarkTakeover measures a node taking over a partition of 10³ shops
// whose owner died: each shop created (a snapshot) and given 3 ops (an
// agent, a buyer who arrives and writes), the owner gone without
// releasing its lease (deleted here, as the servers' TTL would after
// LeaseTTL). With pending=3 the owner died at once: every shop has 3 ops
// after its snapshot; with pending=0 it had closed its host first (each
// shop snapshotted, its ops trimmed). Timed: a new Node starting (Open,
// Acquire, Host.Recover, which loads every shop that has ops after its
// snapshot and lists the others' timers), reported as takeover-ms; then
// one op applied to every shop, from 32 goroutines (a shop not loaded
// yet loads first), as first-ops-ms. The new node must have every
// acknowledged op: each shop's events number on from the old host's.
func BenchmarkTakeover(b *testing.B) {
	js := benchJS(b, 1)
	b.Run("pending=3", func(b *testing.B) { benchTakeover(b, js, false) })
	b.Run("pending=0", func(b *testing.B) { benchTakeover(b, js, true) })
}

func benchTakeover(b *testing.B, js jetstream.JetStream, snapshotted bool) {
	const shops, g = 1000, 32
	var takeover, first time.Duration
	for b.Loop() {
		b.StopTimer()
		run := benchRun.Add(1)
		cfg := kefujs.Config{Prefix: fmt.Sprintf("T%d", run), Partitions: 1, Owner: "old"}
		old, err := kefujs.Start(ctx, js, cfg, durable.HostOptions{}, 0)
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]string, shops)
		lastSeq := make([]uint64, shops)
		t := time.Now()
		err = parallel(shops, g, func(_, i int) error {
			ids[i] = fmt.Sprintf("shop-%04d", i)
			if err := old.Host.Create(ctx, ids[i], pol()); err != nil {
				return err
			}
			if _, err := old.Host.Apply(ctx, ids[i], t0, addAgent); err != nil {
				return err
			}
			for c := range 2 { // a buyer arrives (assigned to a1) and writes
				at, op := cycle(c)
				if _, err := old.Host.Apply(ctx, ids[i], at, op); err != nil {
					return err
				}
			}
			return old.Host.Read(ctx, ids[i], func(e *dispatch.Engine) { lastSeq[i] = e.LastSeq() })
		})
		if err != nil {
			b.Fatal(err)
		}
		if snapshotted {
			if err := old.Host.Close(ctx); err != nil {
				b.Fatal(err)
			}
		}
		// The old node dies: its lease lapses.
		kv, err := js.KeyValue(ctx, cfg.Prefix+"_LEASES")
		if err != nil {
			b.Fatal(err)
		}
		if err := kv.Delete(ctx, "p0"); err != nil {
			b.Fatal(err)
		}
		b.Logf("built a partition of %d shops in %v", shops, time.Since(t).Round(time.Millisecond))

		b.StartTimer()
		start := time.Now()
		cfg.Owner = "new"
		n, err := kefujs.Start(ctx, js, cfg, durable.HostOptions{}, 0)
		if err != nil {
			b.Fatal(err)
		}
		takeover += time.Since(start)
		want := shops
		if snapshotted {
			want = 0
		}
		if st := n.Host.Stats(); st.Loaded != want || st.Replayed != uint64(3*want) {
			b.Fatalf("the new node loaded %d shops and replayed %d ops, want %d and %d", st.Loaded, st.Replayed, want, 3*want)
		}
		start = time.Now()
		err = parallel(shops, g, func(_, i int) error {
			at, op := cycle(2) // a1 replies
			evs, err := n.Host.Apply(ctx, ids[i], at, op)
			if err == nil && (len(evs) == 0 || evs[0].Seq != lastSeq[i]+1) {
				err = fmt.Errorf("shop %s: events %v, want Seq %d on", ids[i], evs, lastSeq[i]+1)
			}
			return err
		})
		first += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		n.Close(ctx)
		old.Close(ctx) // stops its loop; what it would write is fenced
		b.StartTimer()
	}
	b.ReportMetric(float64(takeover.Milliseconds())/float64(b.N), "takeover-ms")
	b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "first-ops-ms")
}
