package durable_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
)

// The benchmarks of the durable host write to b.TempDir, that is under
// $TMPDIR (/tmp by default): what they measure is that file system's
// fsync, so set TMPDIR to a directory on the disk to be measured (not a
// tmpfs, where fsync is free). The shops run Kuaishou's policy with no
// observer (HostOptions.Engine nil). Each benchmark builds its shops
// with SyncNone, which the figures do not include.

// openBench opens dir as Files with fo and a Host on it with ho.
func openBench(b *testing.B, dir string, fo durable.FilesOptions, ho durable.HostOptions) (*durable.Files, *durable.Host) {
	b.Helper()
	f, err := durable.OpenFiles(dir, fo)
	if err != nil {
		b.Fatal(err)
	}
	ho.Log, ho.Snapshots = f, f
	h, err := durable.NewHost(ctx, ho)
	if err != nil {
		f.Close()
		b.Fatal(err)
	}
	return f, h
}

// shopIDs returns n shop ids, built before any reading of the heap.
func shopIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("shop-%06d", i)
	}
	return out
}

// parallel runs fn(i) for i in [0, n) on w goroutines and returns the
// first error.
func parallel(n, w int, fn func(i int) error) error {
	var next atomic.Int64
	var first atomic.Pointer[error]
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first.Load() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
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

// percentileUs returns the q-quantile of sorted durations, in µs.
func percentileUs(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[int(q*float64(len(sorted)-1))].Nanoseconds()) / 1e3
}

// liveHeap returns the live heap after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// addAgent is the first op of every benchmark shop: one online agent who
// takes up to 10 sessions.
var addAgent = dispatch.Op{Kind: dispatch.OpAddAgent, Agent: "a1", AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(10)}}

// cycle returns op c (from 0) of a shop's steady traffic, one second
// after the previous: a buyer arrives (and is assigned to a1), writes,
// a1 replies, and the previous session is closed; so every shop has one
// or two sessions open, and each op changes its state.
func cycle(c int) (time.Time, dispatch.Op) {
	at := t0.Add(time.Duration(c+1) * time.Second)
	j := c / 4
	s := "s" + strconv.Itoa(j)
	switch c % 4 {
	case 0:
		return at, dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: s, Buyer: "b" + strconv.Itoa(j%5)}}
	case 1:
		return at, dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: s, From: dispatch.FromBuyer}}
	case 2:
		return at, dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: s, From: dispatch.FromAgent, Agent: "a1"}}
	}
	if j == 0 {
		return at, dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: s, From: dispatch.FromBuyer}}
	}
	return at, dispatch.Op{Kind: dispatch.OpClose, Session: "s" + strconv.Itoa(j-1)}
}

// applyShops is the number of shops BenchmarkApply spreads its ops over.
const applyShops = 10_000

// applyWorld is BenchmarkApply's directory of shops, shared by its
// sub-benchmarks (each reopens it with its Sync), and how far each
// shop's cycle has gone.
type applyWorld struct {
	dir   string
	shops []string
	steps []int
}

// newApplyWorld creates the shops in dir, each with its agent, with
// SyncNone, and closes the directory without closing the host (as a
// crash would): the agents' ops stay in the log, so a host opened on it
// loads every shop at start.
func newApplyWorld(b *testing.B, dir string) *applyWorld {
	w := &applyWorld{dir: dir, shops: shopIDs(applyShops), steps: make([]int, applyShops)}
	f, h := openBench(b, dir, durable.FilesOptions{Sync: durable.SyncNone}, durable.HostOptions{})
	t := time.Now()
	err := parallel(len(w.shops), 4, func(i int) error {
		if err := h.Create(ctx, w.shops[i], pol()); err != nil {
			return err
		}
		_, err := h.Apply(ctx, w.shops[i], t0, addAgent)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("created %d shops in %v", len(w.shops), time.Since(t).Round(time.Millisecond))
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkApply measures Host.Apply, which returns once the op is
// durable and applied, over 10⁴ shops (all loaded): with an fsync per op
// (sync=each), and with group commit (sync=group: an fsync shared by the
// appends that arrive while the previous one runs; sync=group-1ms: each
// commit also waits 1 ms for more), from 1 and from 16 goroutines, each
// goroutine owning its share of the shops and picking one at random for
// every op. The ops are each shop's cycle (arrive, buyer message, reply,
// close). Reports ops/s (the whole run) and the latency of an Apply,
// p50-µs and p99-µs. ns/op is the inverse of ops/s.
func BenchmarkApply(b *testing.B) {
	dir := b.TempDir()
	var w *applyWorld // built by the first sub-benchmark
	modes := []struct {
		name string
		fo   durable.FilesOptions
	}{
		{"each", durable.FilesOptions{Sync: durable.SyncEach}},
		{"group", durable.FilesOptions{Sync: durable.SyncGroup}},
		{"group-1ms", durable.FilesOptions{Sync: durable.SyncGroup, GroupDelay: time.Millisecond}},
	}
	for _, m := range modes {
		for _, g := range []int{1, 16} {
			b.Run(fmt.Sprintf("sync=%s/goroutines=%d", m.name, g), func(b *testing.B) {
				if w == nil {
					w = newApplyWorld(b, dir)
				}
				benchApply(b, w, m.fo, g)
			})
		}
	}
}

func benchApply(b *testing.B, w *applyWorld, fo durable.FilesOptions, g int) {
	f, h := openBench(b, w.dir, fo, durable.HostOptions{IdleAfter: -1})
	// No h.Close: the next run's host loads the shops from the log.
	defer f.Close()
	for _, id := range w.shops { // NewHost loaded them all; make sure
		if err := h.Read(ctx, id, func(*dispatch.Engine) {}); err != nil {
			b.Fatal(err)
		}
	}
	if st := h.Stats(); st.Loaded != len(w.shops) {
		b.Fatalf("%d shops loaded, want %d", st.Loaded, len(w.shops))
	}
	flushDisk() // the setup's writes are not the benchmark's
	lat := make([][]time.Duration, g)
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for k := range g {
		n := b.N / g
		if k < b.N%g {
			n++
		}
		lat[k] = make([]time.Duration, 0, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(k), uint64(b.N)))
			own := (len(w.shops) - k + g - 1) / g // shops k, k+g, k+2g, …
			for range n {
				i := k + g*rng.IntN(own)
				at, op := cycle(w.steps[i])
				t := time.Now()
				_, err := h.Apply(ctx, w.shops[i], at, op)
				lat[k] = append(lat[k], time.Since(t))
				if err != nil {
					err = fmt.Errorf("shop %s op %d (%v): %w", w.shops[i], w.steps[i], op.Kind, err)
					failed.CompareAndSwap(nil, &err)
					return
				}
				w.steps[i]++
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if p := failed.Load(); p != nil {
		b.Fatal(*p)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	b.ReportMetric(percentileUs(all, 0.50), "p50-µs")
	b.ReportMetric(percentileUs(all, 0.99), "p99-µs")
}

// loadWarm is how many ops a BenchmarkLoad shop has had before its
// snapshot (the gen's mix of 4 agents and 12 sessions).
const loadWarm = 2000

// buildLoad makes the shop of BenchmarkLoad in dir: created, loadWarm ops,
// snapshotted and evicted; then, on a restarted host, n more ops that no
// snapshot covers, the directory closed without closing the host. With
// spread, each of the n ops is followed in the log by 64 KiB of another
// shop's records (trimmed since), as in a log that many busy shops share.
func buildLoad(b *testing.B, dir string, n int, spread bool) {
	t := time.Now()
	f, h := openBench(b, dir, durable.FilesOptions{Sync: durable.SyncNone}, durable.HostOptions{})
	if err := h.Create(ctx, "shop", pol()); err != nil {
		b.Fatal(err)
	}
	g := newGen(1)
	run := func(h *durable.Host, k, want int, after func()) {
		for range k {
			at, op := g.next()
			h.Apply(ctx, "shop", at, op) // the engine rejects some: they are logged all the same
			after()
		}
		var ops uint64
		if err := h.Read(ctx, "shop", func(e *dispatch.Engine) { ops = e.Ops() }); err != nil || ops != uint64(want) {
			b.Fatalf("%d ops (%v), want %d", ops, err, want)
		}
	}
	run(h, loadWarm, loadWarm, func() {})
	if err := h.Maintain(ctx, g.now.Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	if st := h.Stats(); st.Loaded != 0 {
		b.Fatalf("%d shops loaded after Maintain, want 0", st.Loaded)
	}
	if err := h.Close(ctx); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if n == 0 {
		b.Logf("built a shop in %v", time.Since(t).Round(time.Millisecond))
		return
	}
	f, h = openBench(b, dir, durable.FilesOptions{Sync: durable.SyncNone}, durable.HostOptions{SnapshotEvery: n + 1})
	// With spread, another shop's records follow each op: 32 of about
	// 2 KiB (fewer and larger than real ops, for a cheaper setup; the
	// reader sees the same gaps), trimmed at the end.
	fence, err := f.Claim(ctx, "other")
	if err != nil {
		b.Fatal(err)
	}
	fill := dispatch.Op{Kind: dispatch.OpClose, Session: strings.Repeat("x", 2030)}
	var filler []durable.Record
	last := uint64(0)
	run(h, n, loadWarm+n, func() {
		if !spread {
			return
		}
		filler = filler[:0]
		for range 32 {
			last++
			filler = append(filler, durable.Record{N: last, At: t0, Op: fill})
		}
		if err := f.Append(ctx, "other", fence, filler); err != nil {
			b.Fatal(err)
		}
	})
	if spread {
		if err := f.Trim(ctx, "other", fence, last); err != nil {
			b.Fatal(err)
		}
	}
	_, size := f.Segments()
	if err := f.Close(); err != nil { // no h.Close: no snapshot of the n ops
		b.Fatal(err)
	}
	b.Logf("built a shop with %d ops after its snapshot (log %d KiB) in %v", n, size>>10, time.Since(t).Round(time.Millisecond))
}

// BenchmarkLoad measures loading one shop: its snapshot (a shop of 4
// agents that has had 2,000 ops) and then ops=n ops after it in the log,
// replayed. Every iteration restarts: it opens the directory (the log's
// recovery scan, reported apart as open-ms), then times a new Host and
// the shop's first Read: NewHost loads the shop when the log holds ops
// after its snapshot, the Read when not (ops=0). The files are in the
// page cache (they were just written), so the figures are those of a
// warm restart. Reports ms/load, replayed-ops/s, and snap-KB, the
// snapshot's size.
func BenchmarkLoad(b *testing.B) {
	cases := []struct {
		name   string
		n      int
		spread bool
	}{
		{"ops=0", 0, false},
		{"ops=1000", 1000, false},
		{"ops=100000", 100_000, false},
		{"ops=1000/spread=64KiB", 1000, true},
	}
	for _, c := range cases {
		n := c.n
		dir := b.TempDir()
		built := false
		b.Run(c.name, func(b *testing.B) {
			if !built {
				buildLoad(b, dir, n, c.spread)
				built = true
			}
			var load, open time.Duration
			var snapBytes int
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				t := time.Now()
				f, err := durable.OpenFiles(dir, durable.FilesOptions{})
				if err != nil {
					b.Fatal(err)
				}
				open += time.Since(t)
				snap, err := f.Get(ctx, "shop")
				if err != nil {
					b.Fatal(err)
				}
				snapBytes = len(snap.Data)
				b.StartTimer()
				t = time.Now()
				h, err := durable.NewHost(ctx, durable.HostOptions{Log: f, Snapshots: f})
				if err != nil {
					b.Fatal(err)
				}
				var ops uint64
				if err := h.Read(ctx, "shop", func(e *dispatch.Engine) { ops = e.Ops() }); err != nil {
					b.Fatal(err)
				}
				load += time.Since(t)
				b.StopTimer()
				if st := h.Stats(); st.Loads != 1 || st.Replayed != uint64(n) || snap.N != loadWarm || ops != loadWarm+uint64(n) {
					b.Fatalf("stats %+v, snapshot at op %d, %d ops; want 1 load, %d replayed, %d ops", st, snap.N, ops, n, loadWarm+n)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(load.Seconds()*1e3/float64(b.N), "ms/load")
			b.ReportMetric(open.Seconds()*1e3/float64(b.N), "open-ms")
			if n > 0 {
				b.ReportMetric(float64(n)*float64(b.N)/load.Seconds(), "replayed-ops/s")
			}
			b.ReportMetric(float64(snapBytes)/1024, "snap-KB")
		})
	}
}

// BenchmarkHostMemory measures the live heap of a host that knows 10⁵
// shops, each with a little state (an agent, a session it has replied
// to, whose auto-close timer is pending) and out of memory, and has 10³
// of them loaded: heap-MB in all, B/known per shop out of memory, and
// B/active per shop loaded. The known shops are those a restarted host
// learns from the snapshot store (its list of snapshots and their
// timers); B/evicted is what an active shop leaves in the heap once
// Maintain has evicted it again (a second entry for its timer, which
// the load pushed, and its share of the map of loaded shops, which
// keeps the size it grew to). restart-ms is NewHost on the 10⁵
// snapshots, file-B the size of one (what a known shop costs on disk,
// with its file system's block).
//
// One shop is made the host's way (created, its ops, evicted by
// Maintain); the other 99,999 get the same snapshot under their own id
// through Files.Put, the files the host would leave of them (their log
// records trimmed). Making each the host's way costs about 0.45 ms a
// shop on the test machine (two Engine.Snapshot, each paying some 74 µs
// in time.LoadLocation for the policy's zone, and two snapshot files),
// some 45 s for the lot. Ids are built before the first reading. The
// measurement runs once, whatever b.N; ns/op is the whole run, setup
// included (so that one run is enough at any -benchtime of a few
// seconds).
func BenchmarkHostMemory(b *testing.B) {
	const known, active = 100_000, 1_000
	for range min(b.N, 1) {
		dir := b.TempDir()
		ids := shopIDs(known)
		t := time.Now()
		f, h := openBench(b, dir, durable.FilesOptions{Sync: durable.SyncNone}, durable.HostOptions{})
		if err := h.Create(ctx, ids[0], pol()); err != nil {
			b.Fatal(err)
		}
		if _, err := h.Apply(ctx, ids[0], t0, addAgent); err != nil {
			b.Fatal(err)
		}
		for c := range 3 { // arrive, buyer message, reply
			at, op := cycle(c)
			if _, err := h.Apply(ctx, ids[0], at, op); err != nil {
				b.Fatal(err)
			}
		}
		if err := h.Maintain(ctx, t0.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		if st := h.Stats(); st.Loaded != 0 || st.Evictions != 1 {
			b.Fatalf("stats %+v, want the shop evicted", st)
		}
		snap, err := f.Get(ctx, ids[0])
		if err != nil {
			b.Fatal(err)
		}
		if snap.Due.IsZero() {
			b.Fatal("the shop has no timer pending")
		}
		if err := parallel(known-1, 4, func(i int) error { return f.Put(ctx, ids[i+1], snap) }); err != nil {
			b.Fatal(err)
		}
		if err := h.Close(ctx); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		b.Logf("wrote %d snapshots in %v", known, time.Since(t).Round(time.Millisecond))

		h0 := liveHeap()
		t = time.Now()
		f, h = openBench(b, dir, durable.FilesOptions{}, durable.HostOptions{})
		restart := time.Since(t)
		h1 := liveHeap()
		if st := h.Stats(); st.Loaded != 0 {
			b.Fatalf("%d shops loaded at start, want 0", st.Loaded)
		}
		if d, ok := h.NextDeadline(); !ok || !d.Equal(snap.Due) {
			b.Fatalf("next deadline %v, %v; want %v", d, ok, snap.Due)
		}
		for i := range active {
			if err := h.Read(ctx, ids[i*(known/active)], func(*dispatch.Engine) {}); err != nil {
				b.Fatal(err)
			}
		}
		h2 := liveHeap()
		if st := h.Stats(); st.Loaded != active {
			b.Fatalf("%d shops loaded, want %d", st.Loaded, active)
		}
		if err := h.Maintain(ctx, t0.Add(2*time.Hour)); err != nil {
			b.Fatal(err)
		}
		h3 := liveHeap()
		if st := h.Stats(); st.Loaded != 0 || st.Evictions != active {
			b.Fatalf("stats %+v, want the %d evicted", st, active)
		}
		b.ReportMetric(float64(h2-h0)/(1<<20), "heap-MB")
		b.ReportMetric(float64(h1-h0)/known, "B/known")
		b.ReportMetric(float64(h2-h1)/active, "B/active")
		b.ReportMetric((float64(h3)-float64(h1))/active, "B/evicted")
		b.ReportMetric(restart.Seconds()*1e3, "restart-ms")
		b.ReportMetric(float64(44+len(ids[0])+len(snap.Data)), "file-B")
		runtime.KeepAlive(h)
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
