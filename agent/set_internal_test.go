package agent

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The index set against a sorted slice: random inserts, replaces, moves
// (Fix) and deletes that cross smallSet both ways, so the set moves between its
// slice and its tree; contents, Min, Get and AscendGreaterOrEqual checked
// after every step.
func TestSet_AgainstSortedSlice(t *testing.T) {
	for seed := range uint64(3) {
		rng := rand.New(rand.NewPCG(seed, 64))
		agents := make([]*Agent, 300)
		for i := range agents {
			agents[i] = &Agent{id: fmt.Sprintf("a%03d", i)}
		}
		s := newSet(cmpID)
		want := []*Agent{}
		for step := range 3000 {
			grow := (step/750)%2 == 0
			a := agents[rng.IntN(len(agents))]
			if (grow && rng.IntN(10) < 7) || (!grow && rng.IntN(10) < 3) {
				s.ReplaceOrInsert(a)
				if i, found := slices.BinarySearchFunc(want, a, cmpID); !found {
					want = slices.Insert(want, i, a)
				}
			} else if i, found := slices.BinarySearchFunc(want, a, cmpID); found && rng.IntN(3) == 0 {
				// Fix: a member moves to the key of a non-member.
				b := agents[rng.IntN(len(agents))]
				if _, in := slices.BinarySearchFunc(want, b, cmpID); !in {
					s.Fix(a, b)
					want = slices.Delete(want, i, i+1)
					j, _ := slices.BinarySearchFunc(want, b, cmpID)
					want = slices.Insert(want, j, b)
				}
			} else {
				s.Delete(a)
				if i, found := slices.BinarySearchFunc(want, a, cmpID); found {
					want = slices.Delete(want, i, i+1)
				}
			}
			require.Equal(t, len(want), s.Len(), "seed %d step %d", seed, step)
			got := make([]*Agent, 0, len(want))
			s.Ascend(func(a *Agent) bool { got = append(got, a); return true })
			require.Equal(t, want, got, "seed %d step %d", seed, step)
			if m, ok := s.Min(); len(want) > 0 {
				require.True(t, ok)
				require.Same(t, want[0], m)
			}
			pivot := agents[rng.IntN(len(agents))]
			from := []*Agent{}
			s.AscendGreaterOrEqual(pivot, func(a *Agent) bool { from = append(from, a); return len(from) < 3 })
			i, found := slices.BinarySearchFunc(want, pivot, cmpID)
			require.Equal(t, want[i:min(i+3, len(want))], from, "seed %d step %d", seed, step)
			g, ok := s.Get(pivot)
			require.Equal(t, found, ok)
			if found {
				require.Same(t, pivot, g)
			}
		}
	}
}
