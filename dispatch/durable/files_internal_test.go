package durable

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
)

var bg = context.Background()

var tBase = time.Date(2026, 11, 11, 9, 0, 0, 0, time.FixedZone("", 8*3600))

// rec is op n of a test shop: an arrival, distinct per n.
func rec(n uint64) Record {
	return Record{N: n, At: tBase.Add(time.Duration(n) * time.Second),
		Op: dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: fmt.Sprint("s", n), Buyer: "b"}}}
}

// readAll returns shop's records above after.
func readAll(t *testing.T, f *Files, shop string, after uint64) []Record {
	t.Helper()
	var out []Record
	require.NoError(t, f.Read(bg, shop, after, func(r Record) error { out = append(out, r); return nil }))
	return out
}

func numbers(rs []Record) []uint64 {
	var ns []uint64
	for _, r := range rs {
		ns = append(ns, r.N)
	}
	return ns
}

// appendN appends records from..to of shop one at a time.
func appendN(t *testing.T, f *Files, shop string, from, to uint64) {
	t.Helper()
	fence, err := f.Claim(bg, shop)
	require.NoError(t, err)
	for n := from; n <= to; n++ {
		require.NoError(t, f.Append(bg, shop, fence, []Record{rec(n)}))
	}
}

// What is appended is read back, the same, after a reopen; times keep
// their instants and offsets.
func TestFiles_AppendReadReopen(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenFiles(dir, FilesOptions{})
	require.NoError(t, err)
	appendN(t, f, "a", 1, 5)
	appendN(t, f, "b", 1, 3)
	got := readAll(t, f, "a", 2)
	require.Equal(t, []uint64{3, 4, 5}, numbers(got))
	require.NoError(t, f.Close())

	f, err = OpenFiles(dir, FilesOptions{})
	require.NoError(t, err)
	defer f.Close()
	got = readAll(t, f, "a", 0)
	require.Len(t, got, 5)
	for i, r := range got {
		want := rec(uint64(i + 1))
		require.Equal(t, want.N, r.N)
		require.Equal(t, want.Op, r.Op)
		require.True(t, want.At.Equal(r.At))
		_, off := r.At.Zone()
		require.Equal(t, 8*3600, off)
	}
	var pending []string
	require.NoError(t, f.Pending(bg, func(s string) error { pending = append(pending, s); return nil }))
	require.Equal(t, []string{"a", "b"}, pending)
}

// A retried append of a record the log holds is skipped; a different op
// under a number the log holds is ErrDiverged.
func TestFiles_RetryIsIdempotent(t *testing.T) {
	f, err := OpenFiles(t.TempDir(), FilesOptions{})
	require.NoError(t, err)
	defer f.Close()
	appendN(t, f, "a", 1, 3)
	fence, _ := f.Claim(bg, "a")
	require.NoError(t, f.Append(bg, "a", fence, []Record{rec(2), rec(3), rec(4)}))
	require.Equal(t, []uint64{1, 2, 3, 4}, numbers(readAll(t, f, "a", 0)))
	other := rec(3)
	other.Op.Arrival.Buyer = "someone else"
	require.ErrorIs(t, f.Append(bg, "a", fence, []Record{other}), ErrDiverged)
	require.ErrorIs(t, f.Append(bg, "a", fence+1, []Record{rec(5)}), ErrFenced)
	require.ErrorIs(t, f.Append(bg, "a", fence+1, []Record{rec(5)}), dispatch.ErrConflict)
}

// One process at a time: the directory lock.
func TestFiles_Locked(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenFiles(dir, FilesOptions{})
	require.NoError(t, err)
	_, err = OpenFiles(dir, FilesOptions{})
	require.ErrorIs(t, err, ErrLocked)
	require.NoError(t, f.Close())
	f, err = OpenFiles(dir, FilesOptions{})
	require.NoError(t, err, "released at Close")
	require.NoError(t, f.Close())
	require.ErrorIs(t, f.Close(), ErrClosed)
	require.ErrorIs(t, f.Append(bg, "a", f.fence, []Record{rec(1)}), ErrClosed)
}

// A full disk: the append fails, nothing of it stays (the half written is
// cut back), acknowledged records are intact, and the log takes appends
// again when space returns.
func TestFiles_DiskFull(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenFiles(dir, FilesOptions{})
	require.NoError(t, err)
	appendN(t, f, "a", 1, 3)
	f.fault = func(step string) error {
		if step == "write" {
			return syscall.ENOSPC
		}
		return nil
	}
	fence, _ := f.Claim(bg, "a")
	err = f.Append(bg, "a", fence, []Record{rec(4)})
	require.ErrorIs(t, err, syscall.ENOSPC)
	require.NotErrorIs(t, err, ErrLogFailed)
	f.fault = nil
	require.NoError(t, f.Append(bg, "a", fence, []Record{rec(4)}))
	require.NoError(t, f.Close())
	f, err = OpenFiles(dir, FilesOptions{})
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []uint64{1, 2, 3, 4}, numbers(readAll(t, f, "a", 0)))
}

// A failed fsync: the pages may be lost, so the log refuses every later
// append until reopened; acknowledged records survive the reopen.
func TestFiles_FsyncFailureIsSticky(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenFiles(dir, FilesOptions{})
	require.NoError(t, err)
	appendN(t, f, "a", 1, 2)
	f.fault = func(step string) error {
		if step == "sync" {
			return syscall.EIO
		}
		return nil
	}
	fence, _ := f.Claim(bg, "a")
	require.ErrorIs(t, f.Append(bg, "a", fence, []Record{rec(3)}), ErrLogFailed)
	f.fault = nil
	require.ErrorIs(t, f.Append(bg, "a", fence, []Record{rec(3)}), ErrLogFailed, "sticky")
	require.ErrorIs(t, f.Trim(bg, "a", fence, 1), ErrLogFailed)
	f.Close()
	f, err = OpenFiles(dir, FilesOptions{})
	require.NoError(t, err)
	defer f.Close()
	got := numbers(readAll(t, f, "a", 0))
	require.Subset(t, []uint64{1, 2, 3}, got)
	require.Equal(t, []uint64{1, 2}, got[:2], "the acknowledged records")
}

// A snapshot that cannot be written leaves the old one.
func TestFiles_SnapshotWriteFails(t *testing.T) {
	f, err := OpenFiles(t.TempDir(), FilesOptions{})
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, f.Put(bg, "a", Snapshot{N: 1, Data: []byte("one")}))
	f.fault = func(step string) error {
		if step == "snap" {
			return syscall.EROFS
		}
		return nil
	}
	require.ErrorIs(t, f.Put(bg, "a", Snapshot{N: 2, Data: []byte("two")}), syscall.EROFS)
	f.fault = nil
	s, err := f.Get(bg, "a")
	require.NoError(t, err)
	require.Equal(t, Snapshot{N: 1, Data: []byte("one")}, s)
	_, err = f.Get(bg, "b")
	require.ErrorIs(t, err, ErrNoSnapshot)
}

// A read-only directory cannot be opened (the lock is written), and
// says why.
func TestFiles_ReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes to read-only directories")
	}
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o555))
	defer os.Chmod(dir, 0o755)
	_, err := OpenFiles(filepath.Join(dir, "kefu"), FilesOptions{})
	require.ErrorIs(t, err, os.ErrPermission)
}

// Segments roll at SegmentSize; trimming what snapshots cover deletes the
// oldest segments no shop needs, and a reopen sees only the records left.
func TestFiles_SegmentsRollAndAreDeleted(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenFiles(dir, FilesOptions{SegmentSize: 4096})
	require.NoError(t, err)
	appendN(t, f, "a", 1, 200)
	appendN(t, f, "b", 1, 60)
	n, _ := f.Segments()
	require.Greater(t, n, 3)
	fa, _ := f.Claim(bg, "a")
	require.NoError(t, f.Trim(bg, "a", fa, 200))
	n2, _ := f.Segments()
	require.Less(t, n2, n, "a's segments are gone")
	require.NoError(t, f.Trim(bg, "b", fa, 59))
	n3, _ := f.Segments()
	require.LessOrEqual(t, n3, 2)
	require.Equal(t, []uint64{60}, numbers(readAll(t, f, "b", 0)))
	require.Empty(t, readAll(t, f, "a", 0))
	require.NoError(t, f.Close())
	f, err = OpenFiles(dir, FilesOptions{SegmentSize: 4096})
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []uint64{60}, numbers(readAll(t, f, "b", 0)))
	require.Empty(t, readAll(t, f, "a", 0))
	var pending []string
	require.NoError(t, f.Pending(bg, func(s string) error { pending = append(pending, s); return nil }))
	require.Equal(t, []string{"b"}, pending, "a trimmed shop costs the log nothing")
	appendN(t, f, "b", 61, 62)
	require.Equal(t, []uint64{60, 61, 62}, numbers(readAll(t, f, "b", 0)))
}

// Many goroutines appending share fsyncs and each sees its own records,
// in order.
func TestFiles_GroupCommitConcurrent(t *testing.T) {
	for _, sync := range []Sync{SyncGroup, SyncEach, SyncNone} {
		t.Run(fmt.Sprint(sync), func(t *testing.T) {
			dir := t.TempDir()
			f, err := OpenFiles(dir, FilesOptions{Sync: sync, GroupDelay: time.Duration(sync) * time.Microsecond})
			require.NoError(t, err)
			errs := make(chan error, 8)
			for g := range 8 {
				go func() {
					shop := fmt.Sprint("shop", g)
					fence, err := f.Claim(bg, shop)
					for n := uint64(1); n <= 50 && err == nil; n++ {
						err = f.Append(bg, shop, fence, []Record{rec(n)})
					}
					errs <- err
				}()
			}
			for range 8 {
				require.NoError(t, <-errs)
			}
			require.NoError(t, f.Close())
			f, err = OpenFiles(dir, FilesOptions{})
			require.NoError(t, err)
			defer f.Close()
			for g := range 8 {
				got := readAll(t, f, fmt.Sprint("shop", g), 0)
				require.Len(t, got, 50)
				for i, r := range got {
					require.Equal(t, uint64(i+1), r.N)
				}
			}
		})
	}
}

// Bad options and ids are refused with errors, not panics.
func TestFiles_Validation(t *testing.T) {
	_, err := OpenFiles(t.TempDir(), FilesOptions{SegmentSize: 10})
	require.Error(t, err)
	_, err = OpenFiles(t.TempDir(), FilesOptions{Sync: 9})
	require.Error(t, err)
	f, err := OpenFiles(t.TempDir(), FilesOptions{})
	require.NoError(t, err)
	defer f.Close()
	for _, bad := range []string{"", "\xff\xfe", string(make([]byte, 200))} {
		_, err := f.Claim(bg, bad)
		require.ErrorIs(t, err, ErrInvalidShop)
		require.ErrorIs(t, f.Put(bg, bad, Snapshot{}), dispatch.ErrInvalid)
	}
	require.True(t, errors.Is(f.Append(bg, "a", f.fence, []Record{{N: 1, Op: dispatch.Op{Kind: 250}}}), dispatch.ErrInvalidOp))
}

// Shop ids of any UTF-8 map to distinct snapshot files.
func TestFiles_SnapshotNames(t *testing.T) {
	f, err := OpenFiles(t.TempDir(), FilesOptions{})
	require.NoError(t, err)
	defer f.Close()
	long := string(make([]byte, 0)) + "店" + fmt.Sprintf("%0120d", 7)
	ids := []string{"a", "A", "a.b", "a%2Eb", "../x", "店铺", long, long + "x"[:0] + "y"}
	for i, id := range ids {
		require.NoError(t, f.Put(bg, id, Snapshot{N: uint64(i), Due: tBase, Data: []byte(id)}))
	}
	listed := map[string]uint64{}
	require.NoError(t, f.List(bg, func(shop string, s Snapshot) error {
		listed[shop] = s.N
		require.True(t, s.Due.Equal(tBase))
		require.Nil(t, s.Data)
		return nil
	}))
	for i, id := range ids {
		s, err := f.Get(bg, id)
		require.NoError(t, err)
		require.Equal(t, id, string(s.Data))
		require.Equal(t, uint64(i), listed[id])
	}
	entries, _ := os.ReadDir(filepath.Join(f.dir, "snap"))
	require.Len(t, entries, len(ids))
}
