package dispatch

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"

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
			c := closed{session: "s", lastMsg: last, key: uint64(i+1) << 16}
			h.add(c, limit)
			want = append(want, c)
			slices.SortFunc(want, func(a, b closed) int {
				if newer(&a, &b) {
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

// A history record stays 64 bytes: histories hold most of a busy shop's
// memory (issue #14).
func TestHistory_RecordIs64Bytes(t *testing.T) {
	assert.Equal(t, uintptr(64), unsafe.Sizeof(closed{}))
	c := newClosed("s", "b", 1, 2, 3, 1<<48-1, CloseBotIdle, FlagOffline|FlagStarted)
	assert.Equal(t, uint64(1<<48-1), c.seq())
	assert.Equal(t, CloseBotIdle, c.reason())
	assert.Equal(t, FlagOffline|FlagStarted, c.flags())
}

// An open session's record stays 112 bytes (a size class): 205 of them
// are most of a loaded shop (BenchmarkShopMemory's records-B/shop).
func TestRecord_SessionIs112Bytes(t *testing.T) {
	assert.Equal(t, uintptr(112), unsafe.Sizeof(session{}))
}
