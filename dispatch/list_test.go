package dispatch

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/btree"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/queue"
)

// sessionList against a sorted slice (L4 order): random inserts and
// deletes that cross smallList both ways, so the list moves between its
// slice and its tree; every entry and the order are checked after every
// step.
func TestSessionList_L4_AgainstSortedSlice(t *testing.T) {
	for seed := range uint64(3) {
		rng := rand.New(rand.NewPCG(seed, 4))
		var l sessionList
		var want []listed
		seq := uint64(0)
		for step := range 4000 {
			// Grow for a while, then shrink, then grow: past the threshold
			// and back below half of it.
			grow := (step/1000)%2 == 0
			if len(want) == 0 || (grow && rng.IntN(10) < 7) || (!grow && rng.IntN(10) < 3) {
				seq++
				s := &session{entry: queue.Entry{Seq: seq}, lastMsg: int64(rng.IntN(50) + 1)}
				if rng.IntN(2) == 0 {
					s.waitSince = int64(rng.IntN(50) + 1)
				}
				x := listKey(s)
				l.Insert(x)
				i, _ := slices.BinarySearchFunc(want, x, cmpInList)
				want = slices.Insert(want, i, x)
			} else {
				i := rng.IntN(len(want))
				l.Delete(want[i])
				want = slices.Delete(want, i, i+1)
			}
			got := make([]listed, 0, len(want))
			l.Ascend(func(x listed) bool { got = append(got, x); return true })
			require.Equal(t, len(want), l.Len(), "seed %d step %d", seed, step)
			require.Equal(t, want, got, "seed %d step %d", seed, step)
			for i := 1; i < len(got); i++ { // L4, read from the sessions
				a, b := got[i-1].s, got[i].s
				ok := a.waitSince != 0 && b.waitSince == 0 ||
					a.waitSince != 0 && b.waitSince != 0 && (a.waitSince < b.waitSince || a.waitSince == b.waitSince && a.entry.Seq < b.entry.Seq) ||
					a.waitSince == 0 && b.waitSince == 0 && (a.lastMsg > b.lastMsg || a.lastMsg == b.lastMsg && a.entry.Seq < b.entry.Seq)
				require.True(t, ok, "seed %d step %d: L4 order at %d", seed, step, i)
			}
			if m, ok := l.Min(); len(want) > 0 {
				require.True(t, ok)
				require.Equal(t, want[0], m)
			}
		}
	}
}

// BenchmarkListInsertDelete: one session leaves an agent's list of n and
// another joins (a close and an assignment, or a message that moves a
// session), in a sorted slice and in a B-tree of degree 16; the crossing
// sets smallList.
func BenchmarkListInsertDelete(b *testing.B) {
	for _, n := range []int{8, 32, 128, 512} {
		keys := make([]listed, 4*n)
		for i := range keys {
			keys[i] = listKey(&session{entry: queue.Entry{Seq: uint64(i + 1)}, lastMsg: int64(rand.IntN(1 << 30))})
		}
		b.Run(fmt.Sprintf("n=%d/slice", n), func(b *testing.B) {
			s := slices.SortedFunc(slices.Values(keys[:n]), cmpInList)
			b.ResetTimer()
			for i := range b.N {
				x, y := keys[i%n], keys[n+i%(3*n)]
				for _, k := range [4]listed{x, y, y, x} { // delete x, insert y, delete y, insert x
					j, found := slices.BinarySearchFunc(s, k, cmpInList)
					if found {
						s = slices.Delete(s, j, j+1)
					} else {
						s = slices.Insert(s, j, k)
					}
				}
			}
		})
		b.Run(fmt.Sprintf("n=%d/btree", n), func(b *testing.B) {
			t := btree.NewG(16, lessInList)
			for _, x := range keys[:n] {
				t.ReplaceOrInsert(x)
			}
			b.ResetTimer()
			for i := range b.N {
				x, y := keys[i%n], keys[n+i%(3*n)]
				t.Delete(x)
				t.ReplaceOrInsert(y)
				t.Delete(y)
				t.ReplaceOrInsert(x)
			}
		})
	}
}
