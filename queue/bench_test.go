package queue_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/google/btree"

	"github.com/kefu-dev/kefu/queue"
)

// The benchmarks run every operation on the pool (impl=rank, the counted
// B-tree of queue/internal/rank) and on a google/btree BTreeG[*Entry] with
// the same Less (impl=btree, what the pool used before), at 1e3, 1e5 and
// 1e6 waiting entries. Run them with -benchmem; -benchtime 1x works (the
// pool is built once per sub-benchmark, not per b.N).
//
//	go test ./queue -run '^$' -bench . -benchmem -benchtime 20000x

// index is the pool interface both implementations offer the benchmarks.
type index interface {
	Push(e *queue.Entry) error
	Delete(e *queue.Entry) bool
	Min() (*queue.Entry, bool)
	PopMin() (*queue.Entry, bool)
	Position(e *queue.Entry) (int, bool)
	Len() int
}

// btreePool is the pool as it was on google/btree (degree 32): Push is
// Get then ReplaceOrInsert, Position counts the entries ahead.
type btreePool struct{ t *btree.BTreeG[*queue.Entry] }

func newBtreePool() *btreePool { return &btreePool{t: btree.NewG(32, queue.Less)} }

func (p *btreePool) Push(e *queue.Entry) error {
	if _, dup := p.t.Get(e); dup {
		return queue.ErrDuplicate
	}
	p.t.ReplaceOrInsert(e)
	return nil
}

func (p *btreePool) Delete(e *queue.Entry) bool {
	_, ok := p.t.Delete(e)
	return ok
}

func (p *btreePool) Min() (*queue.Entry, bool) { return p.t.Min() }

func (p *btreePool) PopMin() (*queue.Entry, bool) { return p.t.DeleteMin() }

func (p *btreePool) Position(e *queue.Entry) (int, bool) {
	if got, ok := p.t.Get(e); !ok || got != e {
		return 0, false
	}
	n := 0
	p.t.AscendLessThan(e, func(*queue.Entry) bool { n++; return true })
	return n + 1, true
}

func (p *btreePool) Len() int { return p.t.Len() }

var impls = []struct {
	name string
	new  func() index
}{
	{"btree", func() index { return newBtreePool() }},
	{"rank", func() index { return queue.New() }},
}

var sizes = []int{1e3, 1e5, 1e6}

// fixture is a pool of n entries pushed in arrival order, as they come in
// a shop: one priority, increasing arrival times and sequence numbers.
type fixture struct {
	p    index
	es   []*queue.Entry // every entry in the pool, in no particular order
	next uint64         // key of the next entry to arrive
}

// entry returns a new entry with key k: it arrives after every entry with
// a lower key.
func entry(k uint64) *queue.Entry {
	return &queue.Entry{ID: "s", Arrived: int64(k) * int64(time.Millisecond), Seq: k}
}

// rekey gives e key k.
func rekey(e *queue.Entry, k uint64) {
	e.Arrived, e.Seq = int64(k)*int64(time.Millisecond), k
}

// cached keeps the last fixture: the testing package calls a benchmark
// function once with b.N = 1 and again with the final b.N, and building a
// million-entry pool twice would dominate the run.
var cached struct {
	name string
	fx   *fixture
}

// getFixture returns the pool of n entries for the calling sub-benchmark,
// built once. Every benchmark leaves it with n entries.
func getFixture(b *testing.B, newIndex func() index, n int) *fixture {
	b.Helper()
	if cached.name == b.Name() {
		return cached.fx
	}
	cached.fx = nil
	runtime.GC()
	fx := &fixture{p: newIndex(), es: make([]*queue.Entry, n)}
	for i := range n {
		fx.es[i] = entry(fx.next)
		fx.next++
		if err := fx.p.Push(fx.es[i]); err != nil {
			b.Fatal(err)
		}
	}
	cached.name, cached.fx = b.Name(), fx
	return fx
}

// forEach runs fn as a sub-benchmark for every implementation and size.
func forEach(b *testing.B, fn func(b *testing.B, fx *fixture)) {
	for _, n := range sizes {
		for _, im := range impls {
			b.Run(fmt.Sprintf("n=%d/impl=%s", n, im.name), func(b *testing.B) {
				fx := getFixture(b, im.new, n)
				b.ReportAllocs()
				b.ResetTimer()
				fn(b, fx)
				b.StopTimer()
				if fx.p.Len() != n {
					b.Fatalf("the benchmark left %d entries, want %d", fx.p.Len(), n)
				}
			})
		}
	}
}

// randomEntries returns k entries of fx drawn at random.
func randomEntries(fx *fixture, k int, seed uint64) []*queue.Entry {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]*queue.Entry, k)
	for i := range out {
		out[i] = fx.es[rng.IntN(len(fx.es))]
	}
	return out
}

// BenchmarkPush pushes entries that arrive after every waiting one (the
// common case: the tail of the line). Every 1000 pushes the timer stops
// and the pushed entries are deleted again, so the pool stays between n
// and n+1000 entries.
func BenchmarkPush(b *testing.B) {
	forEach(b, func(b *testing.B, fx *fixture) {
		const chunk = 1000
		batch := make([]*queue.Entry, chunk)
		for i := range batch {
			batch[i] = entry(0)
		}
		b.ResetTimer()
		for done := 0; done < b.N; done += chunk {
			k := min(chunk, b.N-done)
			b.StopTimer()
			for i := range k {
				rekey(batch[i], fx.next+uint64(i))
			}
			b.StartTimer()
			for _, e := range batch[:k] {
				if err := fx.p.Push(e); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			for _, e := range batch[:k] {
				fx.p.Delete(e)
			}
			b.StartTimer()
		}
	})
}

// BenchmarkDeletePush deletes a random waiting entry (a buyer leaves from
// the middle of the line) and pushes it back.
func BenchmarkDeletePush(b *testing.B) {
	forEach(b, func(b *testing.B, fx *fixture) {
		es := randomEntries(fx, min(b.N, 1<<16), 2)
		b.ResetTimer()
		for i := range b.N {
			e := es[i%len(es)]
			if !fx.p.Delete(e) {
				b.Fatal("not found")
			}
			if err := fx.p.Push(e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPopMinPush takes the head of the line and pushes a new arrival
// at the tail (the popped entry, with a new key).
func BenchmarkPopMinPush(b *testing.B) {
	forEach(b, func(b *testing.B, fx *fixture) {
		for range b.N {
			e, ok := fx.p.PopMin()
			if !ok {
				b.Fatal("empty")
			}
			rekey(e, fx.next)
			fx.next++
			if err := fx.p.Push(e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMin reads the head of the line.
func BenchmarkMin(b *testing.B) {
	forEach(b, func(b *testing.B, fx *fixture) {
		for range b.N {
			if _, ok := fx.p.Min(); !ok {
				b.Fatal("empty")
			}
		}
	})
}

// BenchmarkPosition asks the place in line of a random waiting entry. After
// the timed loop it times up to 2000 single calls and reports their median
// and 99th percentile (p50-ns, p99-ns).
func BenchmarkPosition(b *testing.B) {
	forEach(b, func(b *testing.B, fx *fixture) {
		es := randomEntries(fx, min(b.N, 1<<16), 3)
		b.ResetTimer()
		sum := 0
		for i := range b.N {
			pos, ok := fx.p.Position(es[i%len(es)])
			if !ok {
				b.Fatal("not found")
			}
			sum += pos
		}
		b.StopTimer()
		if sum < b.N {
			b.Fatal("positions below 1")
		}
		lat := make([]time.Duration, min(b.N, 2000))
		for i := range lat {
			e := es[i%len(es)]
			t := time.Now()
			fx.p.Position(e)
			lat[i] = time.Since(t)
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	})
}

// BenchmarkMemory reports the heap the index takes per entry (B/entry)
// when 1e5 entries are pushed in arrival order (order=inc, the common
// case) or in random order (order=random). The entries are allocated
// before the first heap reading, so only the index counts. The pool is
// built once whatever b.N; ns/op, B/op and allocs/op are per push of that
// build (B/op counts garbage too: google/btree grows its slices by append).
func BenchmarkMemory(b *testing.B) {
	const n = 100_000
	for _, order := range []string{"inc", "random"} {
		for _, im := range impls {
			b.Run(fmt.Sprintf("order=%s/impl=%s", order, im.name), func(b *testing.B) {
				b.StopTimer()
				es := make([]*queue.Entry, n)
				for i := range es {
					es[i] = entry(uint64(i))
				}
				if order == "random" {
					rand.New(rand.NewPCG(4, 4)).Shuffle(n, func(i, j int) { es[i], es[j] = es[j], es[i] })
				}
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				start := time.Now()
				p := im.new()
				for _, e := range es {
					if err := p.Push(e); err != nil {
						b.Fatal(err)
					}
				}
				elapsed := time.Since(start)
				runtime.GC()
				runtime.ReadMemStats(&after)
				if p.Len() != n {
					b.Fatalf("Len %d", p.Len())
				}
				runtime.KeepAlive(p)
				runtime.KeepAlive(es)
				b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "B/entry")
				b.ReportMetric(float64(elapsed.Nanoseconds())/n, "ns/op")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/op")
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/op")
			})
		}
	}
}
