package durable_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
)

// Read returns a shop's records whatever their size and however far
// apart they are in the log: next to each other, a few bytes apart, or
// separated by more than a read's window of other shops' records, across
// segments too.
func TestFiles_ReadNearFarShortAndLong(t *testing.T) {
	f, err := durable.OpenFiles(t.TempDir(), durable.FilesOptions{Sync: durable.SyncNone, SegmentSize: 1 << 20})
	require.NoError(t, err)
	defer f.Close()
	fence, err := f.Claim(ctx, "shop")
	require.NoError(t, err)
	other, err := f.Claim(ctx, "other")
	require.NoError(t, err)
	sizes := []int{1, 300, 505, 506, 600, 3000, 70_000, 10, 2}
	gaps := []int{0, 0, 1, 3, 40, 0, 2, 80, 0, 1} // other shop's 2 KiB records after each
	var want []durable.Record
	n, m := uint64(0), uint64(0)
	for round := range 6 {
		for i, size := range sizes {
			n++
			r := durable.Record{N: n, At: t0, Op: dispatch.Op{Kind: dispatch.OpClose, Session: strings.Repeat(string(rune('a'+i)), size)}}
			want = append(want, r)
			require.NoError(t, f.Append(ctx, "shop", fence, []durable.Record{r}))
			for range gaps[(i+round)%len(gaps)] {
				m++
				require.NoError(t, f.Append(ctx, "other", other, []durable.Record{{N: m, At: t0, Op: dispatch.Op{Kind: dispatch.OpClose, Session: strings.Repeat("x", 2048)}}}))
			}
		}
	}
	segs, _ := f.Segments()
	require.Greater(t, segs, 1)
	for _, after := range []uint64{0, 1, 7, n - 1, n} {
		var got []durable.Record
		require.NoError(t, f.Read(ctx, "shop", after, func(r durable.Record) error {
			got = append(got, r)
			return nil
		}))
		require.Len(t, got, int(n-after))
		for i, r := range got {
			w := want[int(after)+i]
			require.Equal(t, w.N, r.N)
			require.True(t, w.At.Equal(r.At))
			require.Equal(t, w.Op, r.Op)
		}
	}
}
