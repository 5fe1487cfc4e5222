package durable_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch/durable"
)

// segFiles returns the names of dir's segment files.
func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "log"))
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// A trim deletes the segments it leaves with no live record, those this
// process rolled included (they were opened under a temporary name), and
// returns no error.
func TestFiles_TrimDeletesRolledSegments(t *testing.T) {
	dir := t.TempDir()
	f, err := durable.OpenFiles(dir, durable.FilesOptions{SegmentSize: 4096})
	require.NoError(t, err)
	defer f.Close()
	fence, err := f.Claim(ctx, "a")
	require.NoError(t, err)
	g := newGen(1)
	n := uint64(0)
	for segs, _ := f.Segments(); segs < 3; segs, _ = f.Segments() {
		n++
		at, op := g.next()
		require.NoError(t, f.Append(ctx, "a", fence, []durable.Record{{N: n, At: at, Op: op}}))
	}
	require.Len(t, segFiles(t, dir), 3)
	require.NoError(t, f.Trim(ctx, "a", fence, n))
	segs, _ := f.Segments()
	require.Equal(t, 1, segs)
	names := segFiles(t, dir)
	require.Len(t, names, 1, "the trimmed segments are deleted: %v", names)
	require.True(t, strings.HasSuffix(names[0], "3.seg"), names)
}
