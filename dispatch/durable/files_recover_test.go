package durable_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
)

// writeLog appends n records of shop "s", of a few sizes, to a new
// directory with small segments, and returns the directory and the
// segment files, oldest first.
func writeLog(t *testing.T, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	f, err := durable.OpenFiles(dir, durable.FilesOptions{Sync: durable.SyncNone, SegmentSize: 4096})
	require.NoError(t, err)
	fence, err := f.Claim(ctx, "s")
	require.NoError(t, err)
	for i := 1; i <= n; i++ {
		op := dispatch.Op{Kind: dispatch.OpClose, Session: strings.Repeat("x", 1+i%7*40)}
		require.NoError(t, f.Append(ctx, "s", fence, []durable.Record{{N: uint64(i), At: t0, Op: op}}))
	}
	require.NoError(t, f.Close())
	segs, err := filepath.Glob(filepath.Join(dir, "log", "*.seg"))
	require.NoError(t, err)
	require.Greater(t, len(segs), 2)
	return dir, segs
}

// readAll opens dir and returns the numbers of the records of "s".
func readAll(t *testing.T, dir string) ([]uint64, error) {
	t.Helper()
	f, err := durable.OpenFiles(dir, durable.FilesOptions{Sync: durable.SyncNone, SegmentSize: 4096})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ns []uint64
	err = f.Read(ctx, "s", 0, func(r durable.Record) error { ns = append(ns, r.N); return nil })
	return ns, err
}

func upTo(n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}

// Recovery truncates a torn tail of the last segment at the last whole
// record (a cut header, a cut body, a record failing its checksum), and
// refuses, changing nothing, a bad record or header elsewhere.
func TestFiles_RecoverTornTailAndCorruption(t *testing.T) {
	const n = 60
	dir, segs := writeLog(t, n)
	lastSeg := segs[len(segs)-1]
	full, err := os.ReadFile(lastSeg)
	require.NoError(t, err)
	before, err := readAll(t, dir) // the same directory, reopened: unchanged
	require.NoError(t, err)
	require.Equal(t, upTo(n), before)

	cases := []struct {
		name string
		edit func(b []byte) []byte
		keep int // records left
	}{
		{"header cut short", func(b []byte) []byte { return append(b, 1, 2, 3) }, n},
		{"body cut short", func(b []byte) []byte { return append(b, 200, 0, 0, 0, 9, 9, 9, 9, 1, 2) }, n},
		{"last record cut", func(b []byte) []byte { return b[:len(b)-3] }, n - 1},
		{"last record fails its checksum", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, n - 1},
		{"zeros after the last record", func(b []byte) []byte { return append(b, make([]byte, 100)...) }, n},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, segs := writeLog(t, n)
			last := segs[len(segs)-1]
			b, err := os.ReadFile(last)
			require.NoError(t, err)
			require.Equal(t, full, b)
			require.NoError(t, os.WriteFile(last, c.edit(b), 0o644))
			got, err := readAll(t, dir)
			require.NoError(t, err)
			require.Equal(t, upTo(c.keep), got)
			b, err = os.ReadFile(last)
			require.NoError(t, err)
			require.Equal(t, full[:len(b)], b, "truncated at a record's end")
			// It takes appends again, and a second recovery finds them.
			f, err := durable.OpenFiles(dir, durable.FilesOptions{Sync: durable.SyncNone, SegmentSize: 4096})
			require.NoError(t, err)
			fence, err := f.Claim(ctx, "s")
			require.NoError(t, err)
			require.NoError(t, f.Append(ctx, "s", fence, []durable.Record{{N: uint64(c.keep + 1), At: t0, Op: dispatch.Op{Kind: dispatch.OpAdvance}}}))
			require.NoError(t, f.Close())
			got, err = readAll(t, dir)
			require.NoError(t, err)
			require.Equal(t, upTo(c.keep+1), got)
		})
	}

	bad := []struct {
		name string
		seg  int // index in segs
		edit func(b []byte) []byte
	}{
		{"a record fails its checksum in an older segment", 0, func(b []byte) []byte { b[len(b)-2] ^= 0x40; return b }},
		{"an older segment cut short", 1, func(b []byte) []byte { return b[:len(b)-5] }},
		{"an older segment with a header cut short", 0, func(b []byte) []byte { return append(b, 7) }},
		{"a bad segment header", 0, func(b []byte) []byte { b[0] = 'X'; return b }},
		{"a bad header on the last segment", -1, func(b []byte) []byte { b[3] = 'X'; return b }},
		{"an empty last segment", -1, func(b []byte) []byte { return b[:0] }},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			dir, segs := writeLog(t, n)
			name := segs[(c.seg+len(segs))%len(segs)]
			b, err := os.ReadFile(name)
			require.NoError(t, err)
			edited := c.edit(b)
			require.NoError(t, os.WriteFile(name, edited, 0o644))
			_, err = readAll(t, dir)
			require.ErrorIs(t, err, durable.ErrCorrupt)
			require.Contains(t, err.Error(), filepath.Base(name))
			after, err := os.ReadFile(name)
			require.NoError(t, err)
			require.Equal(t, edited, after, "nothing changed on disk")
		})
	}
}
