package dispatch

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The history ring (L4) against a sorted slice: random last-message times
// (mostly the newest, as closes come, some older, some equal), limits
// from 1 to 9, every record and the order checked after every add, across
// the ring's growth and wrap-around.
func TestHistory_L4_RingAgainstSortedSlice(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		limit := 1 + r.IntN(9)
		var h history
		var want []closed // newest first
		clock := int64(100)
		for i := range 300 {
			clock += int64(r.IntN(3))
			last := clock
			if r.IntN(3) == 0 {
				last -= int64(r.IntN(40))
			}
			c := closed{session: "s", lastMsg: last, seq: uint64(i + 1)}
			h.add(c, limit)
			want = append(want, c)
			slices.SortFunc(want, func(a, b closed) int {
				if newer(a, b) {
					return -1
				}
				return 1
			})
			want = want[:min(len(want), limit)]
			require.NoError(t, h.verify(limit), "seed %d, add %d", seed, i)
			got := make([]closed, h.Len())
			for j := range got {
				got[j] = h.shown(j)
			}
			require.Equal(t, want, got, "seed %d, limit %d, add %d", seed, limit, i)
		}
		require.LessOrEqual(t, len(h.buf), limit, "the ring grows to the limit, no further")
	}
}
