package queue_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kefu-dev/kefu/queue"
)

// TestPool_PositionLarge checks Position for every entry of a pool deep
// enough for several B-tree levels, pushed in random order with three
// priorities, then again after half of them left from anywhere in line.
func TestPool_PositionLarge(t *testing.T) {
	const n = 20_000
	rng := rand.New(rand.NewPCG(11, 12))
	es := make([]*queue.Entry, n)
	for i := range es {
		es[i] = &queue.Entry{ID: "s", Priority: rng.IntN(3), Arrived: int64(rng.IntN(n / 4)), Seq: uint64(i)}
	}
	p := queue.New()
	for _, e := range es {
		if err := p.Push(e); err != nil {
			t.Fatal(err)
		}
	}
	checkAll := func(want []*queue.Entry) {
		t.Helper()
		if p.Len() != len(want) {
			t.Fatalf("Len %d, want %d", p.Len(), len(want))
		}
		for i, e := range want {
			if pos, ok := p.Position(e); !ok || pos != i+1 {
				t.Fatalf("Position = %d, %v; want %d", pos, ok, i+1)
			}
		}
		if err := p.Verify(); err != nil {
			t.Fatal(err)
		}
	}
	want := slices.Clone(es)
	slices.SortFunc(want, oracleCmp)
	checkAll(want)

	rng.Shuffle(n, func(i, j int) { es[i], es[j] = es[j], es[i] })
	for _, e := range es[:n/2] {
		if !p.Delete(e) {
			t.Fatal("Delete failed")
		}
		if _, ok := p.Position(e); ok {
			t.Fatal("a deleted entry has a position")
		}
	}
	want = slices.Clone(es[n/2:])
	slices.SortFunc(want, oracleCmp)
	checkAll(want)
}
