package queue

import (
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// E6: the aged order is the order of virtual arrivals, compared exactly:
// against math/big on random and extreme values.
func TestOrder_E6_VirtualArrivalIsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := []int64{1, 2, 1 << 62, 1<<63 - 1, 1 << 40}
	prios := []int{0, 1, -1, 1<<30 - 1, -(1<<30 - 1), 1<<31 - 1}
	steps := []time.Duration{1, time.Second, time.Minute, 24 * time.Hour, 1<<63 - 1}
	for range 20000 {
		a := &Entry{Arrived: pick(r, vals, r.Int64N(1<<62)+1), Priority: pickInt(r, prios), Seq: 1}
		b := &Entry{Arrived: pick(r, vals, r.Int64N(1<<62)+1), Priority: pickInt(r, prios), Seq: 2}
		s := steps[r.IntN(len(steps))]
		va := new(big.Int).Sub(big.NewInt(a.Arrived), new(big.Int).Mul(big.NewInt(int64(a.Priority)), big.NewInt(int64(s))))
		vb := new(big.Int).Sub(big.NewInt(b.Arrived), new(big.Int).Mul(big.NewInt(int64(b.Priority)), big.NewInt(int64(s))))
		want := va.Cmp(vb)
		if want == 0 {
			want = -1 // Seq 1 < 2
		}
		require.Equal(t, want, Order{Aging: s}.Compare(a, b), "a %+v b %+v step %v", a, b, s)
	}
}

func pick(r *rand.Rand, vals []int64, other int64) int64 {
	if r.IntN(3) == 0 {
		return vals[r.IntN(len(vals))]
	}
	return other
}

func pickInt(r *rand.Rand, vals []int) int {
	if r.IntN(3) == 0 {
		return vals[r.IntN(len(vals))]
	}
	return r.IntN(5) - 2
}

// E6 as levels: at any instant, the aged order agrees with "priority +
// ⌊wait/step⌋, ties to whoever reached that level first", and it is the
// same order at every instant.
func TestOrder_E6_AgedLevelsAtEveryInstant(t *testing.T) {
	const step = int64(time.Minute)
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		a := &Entry{Arrived: 1 + r.Int64N(10*step), Priority: r.IntN(4), Seq: 1}
		b := &Entry{Arrived: 1 + r.Int64N(10*step), Priority: r.IntN(4), Seq: 2}
		o := Order{Aging: time.Duration(step)}
		for t0 := max(a.Arrived, b.Arrived); t0 < 30*step; t0 += 1 + r.Int64N(step) {
			la, lb := int64(a.Priority)+(t0-a.Arrived)/step, int64(b.Priority)+(t0-b.Arrived)/step
			reachA := a.Arrived + (la-int64(a.Priority))*step // when a reached level la
			reachB := b.Arrived + (lb-int64(b.Priority))*step
			var want bool
			switch {
			case la != lb:
				want = la > lb
			case reachA != reachB:
				want = reachA < reachB
			default:
				want = a.Seq < b.Seq
			}
			assert.Equal(t, want, o.Less(a, b), "a %+v b %+v at %d", a, b, t0)
		}
	}
}

// A pool in the aged order (E6) serves, across the slice and the tree,
// by virtual arrival: a low-priority buyer who waited long enough is
// served before higher-priority buyers who came after it reached their
// level, and only those.
func TestPool_E6_AgedOrder(t *testing.T) {
	step := time.Minute
	for _, n := range []int{10, 200} { // a slice, then a tree
		p := NewOrdered(Order{Aging: step})
		var all []*Entry
		for i := range n {
			e := &Entry{ID: string(rune('A' + i%26)), Arrived: int64(i) * int64(20*time.Second), Priority: i % 3, Seq: uint64(i + 1)}
			require.NoError(t, p.Push(e))
			all = append(all, e)
		}
		require.NoError(t, p.Verify())
		prev := (*Entry)(nil)
		for e := range p.All() {
			if prev != nil {
				vp := prev.Arrived - int64(prev.Priority)*int64(step)
				ve := e.Arrived - int64(e.Priority)*int64(step)
				require.True(t, vp < ve || (vp == ve && prev.Seq < e.Seq), "%+v before %+v", prev, e)
			}
			prev = e
		}
		for _, e := range all {
			require.True(t, p.Delete(e))
		}
		require.Zero(t, p.Len())
	}
}
