package durable_test

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
)

// The corruption tests build a small directory (three shops, 40 ops and
// two trims over three segments of at most 4 KiB, a snapshot of each
// shop) and damage one file of it at every byte offset: a byte flipped
// (xor 0xff), a single bit flipped, the file cut there. Whatever the
// damage, OpenFiles, Read, Get and a Host's load never panic, and either
// fail with an error wrapping ErrCorrupt (a sealed segment, a segment
// header, a snapshot), or, for the last segment, whose torn tail a crash
// may leave, keep exactly a prefix of its records: the file is cut at
// the last whole record before the damage, and the shops read, and load,
// as if the records after it had never been written. Nothing is ever
// altered. On an error, no file has changed. With -short or -race they
// damage a sample of the offsets (see offsets).

// corruptShops are the shops of the corruption tests: ids of every size
// and script, so that records differ in length.
var corruptShops = []string{"a", strings.Repeat("long-", 24), "店铺-c"}

// corruptFiles: segments as small as Files allows; no fsync (what is
// tested is what recovery does with the bytes).
var corruptFiles = durable.FilesOptions{Sync: durable.SyncNone, SegmentSize: 4096}

// corruptRec is a record of the small log, as written.
type corruptRec struct {
	shop string
	n    uint64 // the op's number, or the trim's "through"
	trim bool
	at   time.Time
	op   dispatch.Op
	// where it is: the segment (index in corruptLog.segs) and its bytes
	seg, off, end int
}

// corruptLog is the small directory, as bytes, and what it holds.
type corruptLog struct {
	// loaded[k]: a Host loaded the prefix of k records (see expectPrefix).
	loaded map[int]bool
	// readWhole says which files the checks read whole (see watching).
	readWhole func(name string) bool
	segs      []string          // segment file names, oldest first
	files     map[string][]byte // path under dir → bytes
	recs      []corruptRec      // every record, in log order
	snapN     map[string]uint64 // the ops each shop's snapshot covers
	// states[shop][n] is the engine's snapshot after n ops of the shop.
	states map[string][]string
}

// buildCorruptLog writes the small directory through Files and reads it
// back as bytes.
func buildCorruptLog(t testing.TB) *corruptLog {
	t.Helper()
	dir := t.TempDir()
	f, err := durable.OpenFiles(dir, corruptFiles)
	require.NoError(t, err)
	defer f.Close()
	cl := &corruptLog{loaded: map[int]bool{}, files: map[string][]byte{}, snapN: map[string]uint64{}, states: map[string][]string{}}
	engines := map[string]*dispatch.Engine{}
	gens := map[string]*gen{}
	fences := map[string]durable.Fence{}
	put := func(shop string) {
		e := engines[shop]
		data, err := e.Snapshot()
		require.NoError(t, err)
		due, _ := e.NextDeadline()
		require.NoError(t, f.Put(ctx, shop, durable.Snapshot{N: e.Ops(), Due: due, Data: data}))
		cl.snapN[shop] = e.Ops()
	}
	for i, shop := range corruptShops {
		e, err := dispatch.New(pol())
		require.NoError(t, err)
		engines[shop], gens[shop] = e, newGen(uint64(100+i))
		cl.states[shop] = []string{mustSnapshot(t, e)}
		fences[shop], err = f.Claim(ctx, shop)
		require.NoError(t, err)
		put(shop)
	}
	for i := range 40 {
		shop := corruptShops[i%len(corruptShops)]
		e, g := engines[shop], gens[shop]
		at, op := g.next()
		if i%4 == 3 { // a long record the engine rejects: the log grows, the shop does not
			op = dispatch.Op{Kind: dispatch.OpClose, Session: "gone-" + strings.Repeat("x", 400+50*(i%5))}
		}
		n := e.Ops() + 1
		require.NoError(t, f.Append(ctx, shop, fences[shop], []durable.Record{{N: n, At: at, Op: op}}))
		e.Apply(at, op)
		cl.states[shop] = append(cl.states[shop], mustSnapshot(t, e))
		cl.recs = append(cl.recs, corruptRec{shop: shop, n: n, at: at, op: op})
		switch i {
		case 15, 39: // a snapshot of shop a, and the trim of what it covers (at 39, all of it)
			put("a")
			require.NoError(t, f.Trim(ctx, "a", fences["a"], engines["a"].Ops()))
			cl.recs = append(cl.recs, corruptRec{shop: "a", n: engines["a"].Ops(), trim: true})
		case 22: // a snapshot left untrimmed (a crash before the trim)
			put(corruptShops[1])
		}
	}
	require.NoError(t, f.Close())

	// The files, and where each record is.
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "LOCK" {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		require.NoError(t, err)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		cl.files[rel] = b
		if strings.HasSuffix(rel, ".seg") {
			cl.segs = append(cl.segs, rel)
		}
		return nil
	}))
	slices.Sort(cl.segs)
	require.GreaterOrEqual(t, len(cl.segs), 3, "the log must span three segments")
	k := 0
	for si, name := range cl.segs {
		frames, end := segFrames(cl.files[name])
		require.Equal(t, len(cl.files[name]), end, "%s parses to its end", name)
		for _, fr := range frames {
			require.Less(t, k, len(cl.recs), "more records on disk than written")
			r := &cl.recs[k]
			require.Equal(t, r.shop, fr.shop, "record %d", k)
			require.Equal(t, r.n, fr.n, "record %d", k)
			require.Equal(t, r.trim, fr.typ == 2, "record %d", k)
			r.seg, r.off, r.end = si, fr.off, fr.end
			k++
		}
	}
	require.Equal(t, len(cl.recs), k, "every record written is on disk")
	return cl
}

// scratch is the directory a corruption test lays its cases in, one
// after the other: on tmpfs where there is one (/dev/shm), as each of
// thousands of cases writes and reads a few small files.
type scratch struct {
	dir  string
	laid map[string][]byte // what lay wrote last
}

func newScratch(t testing.TB) *scratch {
	dir := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "kefu-durable-"); err == nil {
			dir = d
			t.Cleanup(func() { os.RemoveAll(d) })
		}
	}
	if dir == "" {
		dir = t.TempDir()
	}
	for _, sub := range []string{"log", "snap"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, sub), 0o755))
	}
	return &scratch{dir: dir, laid: map[string][]byte{}}
}

// lay makes files (path under the directory → bytes) the directory's
// whole content (the lock file aside). It writes the files missing, those
// that differ from what it wrote last, and the last segment, which Files
// cut or appends to; it removes the others.
func (s *scratch) lay(t testing.TB, files map[string][]byte) {
	present := map[string]bool{}
	last := ""
	for name := range files {
		if strings.HasSuffix(name, ".seg") && name > last {
			last = name
		}
	}
	for _, sub := range []string{"log", "snap"} {
		ents, err := os.ReadDir(filepath.Join(s.dir, sub))
		require.NoError(t, err)
		for _, e := range ents {
			name := filepath.Join(sub, e.Name())
			if _, ok := files[name]; !ok {
				require.NoError(t, os.Remove(filepath.Join(s.dir, name)))
				continue
			}
			present[name] = true
		}
	}
	for name, b := range files {
		if prev, ok := s.laid[name]; present[name] && ok && name != last && bytes.Equal(prev, b) {
			continue
		}
		require.NoError(t, os.WriteFile(filepath.Join(s.dir, name), b, 0o644))
		s.laid[name] = b
	}
}

// with returns cl's files with name's bytes replaced by b (or removed,
// for nil).
func (cl *corruptLog) with(name string, b []byte) map[string][]byte {
	files := make(map[string][]byte, len(cl.files))
	for k, v := range cl.files {
		files[k] = v
	}
	if b == nil {
		delete(files, name)
	} else {
		files[name] = b
	}
	return files
}

// expectCorrupt checks that dir, laid with files, is refused with
// ErrCorrupt somewhere between OpenFiles and loading every shop in a
// Host, and that OpenFiles, Read and Get changed no file. what names the
// damage.
func (cl *corruptLog) expectCorrupt(t testing.TB, dir string, files map[string][]byte, what string) {
	err := cl.open(t, dir, nil, files, what)
	require.Error(t, err, "%s: accepted", what)
	require.ErrorIs(t, err, durable.ErrCorrupt, "%s", what)
}

// expectPrefix checks that dir, laid with files, is opened with exactly
// the first k records of cl (the last segment cut after them, the other
// files unchanged), and that every shop reads and loads as those records
// say. The load (a Host, the costly part) is checked once for each k:
// the files are then the same bytes whatever the damage was.
func (cl *corruptLog) expectPrefix(t testing.TB, dir string, files map[string][]byte, k int, what string) {
	want := cl.with("", nil)
	last := cl.segs[len(cl.segs)-1]
	cut := 16
	if k > 0 && cl.recs[k-1].seg == len(cl.segs)-1 {
		cut = cl.recs[k-1].end
	}
	want[last] = cl.files[last][:cut]
	for name, b := range files { // snapshots as laid
		if !strings.HasSuffix(name, ".seg") {
			want[name] = b
		}
	}
	require.NoError(t, cl.open(t, dir, cl.recs[:k], want, what), "%s: prefix of %d records", what, k)
	cl.loaded[k] = true
}

// open opens dir and checks what it holds against recs, the records it
// must have kept (nil: any, the caller expects an error): the shops with
// records, each shop's records, and each shop's state in a Host. After
// OpenFiles, Read and Get (before a Host, whose loads may trim), the
// files must be disk, whether they failed or not. It returns the first
// error.
func (cl *corruptLog) open(t testing.TB, dir string, recs []corruptRec, disk map[string][]byte, what string) error {
	f, err := durable.OpenFiles(dir, corruptFiles)
	if err != nil {
		sameFiles(t, dir, disk, what, cl.readWhole)
		return err
	}
	defer f.Close()
	if err := cl.read(t, f, recs, what); err != nil {
		sameFiles(t, dir, disk, what, cl.readWhole)
		return err
	}
	sameFiles(t, dir, disk, what, cl.readWhole)
	if recs != nil && cl.loaded[len(recs)] {
		return nil
	}
	return cl.load(t, f, recs, what)
}

// live returns the records recs leave untrimmed, shop by shop.
func live(recs []corruptRec) map[string][]corruptRec {
	live := map[string][]corruptRec{}
	for _, r := range recs {
		if !r.trim {
			live[r.shop] = append(live[r.shop], r)
			continue
		}
		kept := live[r.shop][:0]
		for _, x := range live[r.shop] {
			if x.n > r.n {
				kept = append(kept, x)
			}
		}
		live[r.shop] = kept
		if len(kept) == 0 {
			delete(live, r.shop)
		}
	}
	return live
}

// read checks the records and snapshots f gives against recs (nil: any).
func (cl *corruptLog) read(t testing.TB, f *durable.Files, recs []corruptRec, what string) error {
	live := live(recs)
	var pending []string
	if err := f.Pending(ctx, func(shop string) error { pending = append(pending, shop); return nil }); err != nil {
		return err
	}
	for _, shop := range corruptShops {
		var got []corruptRec
		err := f.Read(ctx, shop, 0, func(r durable.Record) error {
			got = append(got, corruptRec{shop: shop, n: r.N, at: r.At, op: r.Op})
			return nil
		})
		if err != nil {
			return err
		}
		if recs == nil {
			continue
		}
		want := live[shop]
		require.Len(t, got, len(want), "%s: shop %q: records", what, shop)
		for i := range want {
			require.Equal(t, want[i].n, got[i].n, "%s: shop %q", what, shop)
			require.Equal(t, want[i].op, got[i].op, "%s: shop %q op %d", what, shop, want[i].n)
			require.Equal(t, want[i].at.UnixNano(), got[i].at.UnixNano(), "%s: shop %q op %d", what, shop, want[i].n)
			_, wo := want[i].at.Zone()
			_, go_ := got[i].at.Zone()
			require.Equal(t, wo, go_, "%s: shop %q op %d", what, shop, want[i].n)
		}
	}
	if recs != nil {
		require.ElementsMatch(t, slices.Collect(maps.Keys(live)), pending, "%s: the shops with records", what)
	}
	for _, shop := range corruptShops {
		if _, err := f.Get(ctx, shop); err != nil {
			return err
		}
	}
	return nil
}

// load checks each shop's state in a Host on f against recs (nil: any).
func (cl *corruptLog) load(t testing.TB, f *durable.Files, recs []corruptRec, what string) error {
	live := live(recs)
	h, err := durable.NewHost(ctx, durable.HostOptions{Log: f, Snapshots: f})
	if err != nil {
		return err
	}
	for _, shop := range corruptShops {
		var ops uint64
		var state string
		err := h.Read(ctx, shop, func(e *dispatch.Engine) {
			require.NoError(t, e.Verify(), what)
			ops, state = e.Ops(), mustSnapshot(t, e)
		})
		if err != nil {
			return err
		}
		if recs == nil {
			continue
		}
		want := cl.snapN[shop]
		if l := live[shop]; len(l) > 0 {
			want = max(want, l[len(l)-1].n)
		}
		require.Equal(t, want, ops, "%s: shop %q: ops applied", what, shop)
		require.Equal(t, cl.states[shop][want], state, "%s: shop %q: the state after %d ops", what, shop, want)
	}
	return nil
}

// sameFiles checks that dir holds exactly files (LOCK aside): the names
// and sizes of all, the bytes of those read says (all, for nil).
func sameFiles(t testing.TB, dir string, files map[string][]byte, what string, read func(name string) bool) {
	n := 0
	for _, sub := range []string{"log", "snap"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		require.NoError(t, err)
		for _, e := range ents {
			name := filepath.Join(sub, e.Name())
			want, ok := files[name]
			require.True(t, ok, "%s: a file %s appeared", what, name)
			if read == nil || read(name) {
				got, err := os.ReadFile(filepath.Join(dir, name))
				require.NoError(t, err)
				require.True(t, bytes.Equal(want, got), "%s: %s changed (%d bytes, was %d)", what, name, len(got), len(want))
			} else {
				info, err := e.Info()
				require.NoError(t, err)
				require.Equal(t, int64(len(want)), info.Size(), "%s: %s changed size", what, name)
			}
			n++
		}
	}
	require.Equal(t, len(files), n, "%s: a file is gone", what)
}

// watching makes the checks of each case read the bytes of name and of
// the last segment (the files a case damages, or Files may change), and
// only the size of the others; done checks the bytes of the others once
// the cases are over: a change made by any case is still there.
func (cl *corruptLog) watching(t testing.TB, dir, name string) (done func()) {
	last := cl.segs[len(cl.segs)-1]
	cl.readWhole = func(n string) bool { return n == name || n == last }
	return func() {
		cl.readWhole = nil
		for n, want := range cl.files {
			if n != name && n != last {
				got, err := os.ReadFile(filepath.Join(dir, n))
				require.NoError(t, err)
				require.Equal(t, want, got, "%s changed in the cases that damaged %s", n, name)
			}
		}
	}
}

// offsets returns the offsets of a file of size n to damage: every one,
// or, with -short or -race, the header's (the first 16), those of each
// record's frame header and first body byte and the byte before each
// record (bounds are their offsets), and one in 29 of the others.
func offsets(n int, bounds []int) []int {
	near := map[int]bool{}
	for _, b := range bounds {
		for d := -1; d <= 8; d++ {
			near[b+d] = true
		}
	}
	var out []int
	for x := range n {
		if !testing.Short() && !raceEnabled || x < 16 || near[x] || x%29 == 0 {
			out = append(out, x)
		}
	}
	return out
}

// flips are the damages of a byte: all of it, and one bit.
func flips(x int) []byte { return []byte{0xff, 1 << (x % 8)} }

func (cl *corruptLog) bounds(seg int) []int {
	var b []int
	for _, r := range cl.recs {
		if r.seg == seg {
			b = append(b, r.off)
		}
	}
	return b
}

// recsBefore returns how many records end at or before offset x of
// segment seg (those of the segments before it included).
func (cl *corruptLog) recsBefore(seg, x int) int {
	k := 0
	for _, r := range cl.recs {
		if r.seg < seg || r.seg == seg && r.end <= x {
			k++
		}
	}
	return k
}

// A flip in the last segment cuts the log before the damaged record
// (its header: refused); a cut of it keeps the whole records before the
// cut, and appends go on after them.
func TestCorrupt_LastSegment(t *testing.T) {
	cl := buildCorruptLog(t)
	sc := newScratch(t)
	dir := sc.dir
	li := len(cl.segs) - 1
	name := cl.segs[li]
	orig := cl.files[name]
	defer cl.watching(t, dir, name)()
	for _, x := range offsets(len(orig), cl.bounds(li)) {
		for _, m := range flips(x) {
			b := bytes.Clone(orig)
			b[x] ^= m
			files := cl.with(name, b)
			sc.lay(t, files)
			what := fmt.Sprintf("%s: byte %d ^ %#x", name, x, m)
			switch {
			case x < 16: // the header: a crash never tears it (roll writes it whole, then renames)
				cl.expectCorrupt(t, dir, files, what)
			default: // the records: cut before the damaged one
				var k int
				for k = 0; k < len(cl.recs); k++ {
					if r := cl.recs[k]; r.seg == li && r.end > x {
						break
					}
				}
				cl.expectPrefix(t, dir, files, k, what)
			}
		}
	}
	for _, x := range offsets(len(orig), cl.bounds(li)) {
		files := cl.with(name, orig[:x])
		sc.lay(t, files)
		what := fmt.Sprintf("%s cut at %d", name, x)
		if x < 16 {
			cl.expectCorrupt(t, dir, files, what)
			continue
		}
		k := cl.recsBefore(li, x)
		cl.expectPrefix(t, dir, files, k, what)
		cl.appendAfter(t, dir, k, what)
	}
}

// appendAfter appends an op to a shop of the first k records, reopens the
// directory and checks that the op follows them.
func (cl *corruptLog) appendAfter(t testing.TB, dir string, k int, what string) {
	f, err := durable.OpenFiles(dir, corruptFiles)
	require.NoError(t, err, what)
	shop := corruptShops[2]
	n := cl.snapN[shop]
	for _, r := range cl.recs[:k] {
		if r.shop == shop && !r.trim {
			n = r.n
		}
	}
	fence, err := f.Claim(ctx, shop)
	require.NoError(t, err)
	op := dispatch.Op{Kind: dispatch.OpAdvance}
	at := t0.Add(time.Duration(k) * time.Hour)
	require.NoError(t, f.Append(ctx, shop, fence, []durable.Record{{N: n + 1, At: at, Op: op}}), what)
	require.NoError(t, f.Close())
	f, err = durable.OpenFiles(dir, corruptFiles)
	require.NoError(t, err, what)
	defer f.Close()
	var got []uint64
	require.NoError(t, f.Read(ctx, shop, 0, func(r durable.Record) error {
		got = append(got, r.N)
		if r.N == n+1 {
			require.Equal(t, at.UnixNano(), r.At.UnixNano(), what)
			require.Equal(t, op, r.Op, what)
		}
		return nil
	}), what)
	require.NotEmpty(t, got, what)
	require.Equal(t, n+1, got[len(got)-1], "%s: the appended op is last", what)
	for i := 1; i < len(got); i++ {
		require.Equal(t, got[i-1]+1, got[i], "%s: ops without a gap", what)
	}
}

// Any damage of a sealed segment (not the last) is refused, the header
// included, and changes nothing on disk: a crash cannot have made it.
func TestCorrupt_SealedSegments(t *testing.T) {
	cl := buildCorruptLog(t)
	sc := newScratch(t)
	dir := sc.dir
	for si, name := range cl.segs[:len(cl.segs)-1] {
		orig := cl.files[name]
		done := cl.watching(t, dir, name)
		for _, x := range offsets(len(orig), cl.bounds(si)) {
			for _, m := range flips(x) {
				b := bytes.Clone(orig)
				b[x] ^= m
				files := cl.with(name, b)
				sc.lay(t, files)
				cl.expectCorrupt(t, dir, files, fmt.Sprintf("%s: byte %d ^ %#x", name, x, m))
			}
			files := cl.with(name, orig[:x])
			sc.lay(t, files)
			cl.expectCorrupt(t, dir, files, fmt.Sprintf("%s cut at %d", name, x))
		}
		done()
	}
}

// A segment missing between two others is refused.
func TestCorrupt_MissingSegment(t *testing.T) {
	cl := buildCorruptLog(t)
	sc := newScratch(t)
	dir := sc.dir
	for _, name := range cl.segs[1 : len(cl.segs)-1] {
		files := cl.with(name, nil)
		sc.lay(t, files)
		cl.expectCorrupt(t, dir, files, name+" missing")
	}
	// The undamaged directory opens whole (the tests above can fail).
	sc.lay(t, cl.files)
	cl.expectPrefix(t, dir, cl.files, len(cl.recs), "undamaged")
}

// A snapshot with any byte flipped or cut anywhere is refused whole:
// Get fails with ErrCorrupt, and so does the shop's load.
func TestCorrupt_Snapshot(t *testing.T) {
	cl := buildCorruptLog(t)
	sc := newScratch(t)
	dir := sc.dir
	// Shop a's ops are all trimmed (a host loads it on use), the long
	// one's are not (a host loads it at start).
	for _, shop := range []string{"a", corruptShops[1]} {
		name := filepath.Join("snap", shop+".snap")
		orig, ok := cl.files[name]
		require.True(t, ok, name)
		done := cl.watching(t, dir, name)
		check := func(files map[string][]byte, what string) {
			sc.lay(t, files)
			f, err := durable.OpenFiles(dir, corruptFiles)
			require.NoError(t, err, what)
			defer f.Close()
			_, err = f.Get(ctx, shop)
			require.ErrorIs(t, err, durable.ErrCorrupt, "%s: Get", what)
			sameFiles(t, dir, files, what, cl.readWhole)
			h, err := durable.NewHost(ctx, durable.HostOptions{Log: f, Snapshots: f})
			if err == nil {
				err = h.Read(ctx, shop, func(*dispatch.Engine) {})
			}
			require.ErrorIs(t, err, durable.ErrCorrupt, "%s: load", what)
			for _, other := range corruptShops { // the other shops are intact
				if other != shop {
					_, err := f.Get(ctx, other)
					require.NoError(t, err, "%s: Get %q", what, other)
				}
			}
			got, err := os.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err)
			require.Equal(t, files[name], got, "%s: changed", what)
		}
		for _, x := range offsets(len(orig), []int{16, 24, 32, 40, 44, 44 + len(shop)}) { // the header whole, with -short too
			for _, m := range flips(x) {
				b := bytes.Clone(orig)
				b[x] ^= m
				check(cl.with(name, b), fmt.Sprintf("%s: byte %d ^ %#x", name, x, m))
			}
			check(cl.with(name, orig[:x]), fmt.Sprintf("%s cut at %d", name, x))
		}
		done()
	}
}

// segmentFor returns a segment file holding recs, for the fuzz seeds.
func segmentFor(t testing.TB, recs []durable.Record) []byte {
	dir := t.TempDir()
	f, err := durable.OpenFiles(dir, durable.FilesOptions{Sync: durable.SyncNone})
	require.NoError(t, err)
	fence, err := f.Claim(ctx, "s")
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, f.Append(ctx, "s", fence, []durable.Record{r}))
	}
	require.NoError(t, f.Trim(ctx, "s", fence, 1))
	require.NoError(t, f.Close())
	b, err := os.ReadFile(filepath.Join(dir, "log", "00000000000000000001.seg"))
	require.NoError(t, err)
	return b
}

// FuzzSegment opens a directory whose only segment is arbitrary bytes
// (with fix, the checksums of its header and records are made right
// first, so that the bodies are read), beside a snapshot of shop s after
// its op 1: OpenFiles never panics, and either fails with ErrCorrupt or
// keeps a prefix of the bytes, cut at a whole record, every record of
// which Read returns re-encodes to the bytes of a record of that prefix,
// in order (or Read fails with ErrCorrupt: the op does not parse); a Host
// starts, or fails with ErrCorrupt or for a shop with no snapshot, and
// shop s loads (or fails so) and verifies.
func FuzzSegment(f *testing.F) {
	g := newGen(7)
	var recs []durable.Record
	for i := range 6 {
		at, op := g.next()
		recs = append(recs, durable.Record{N: uint64(i + 1), At: at, Op: op})
	}
	seg := segmentFor(f, recs)
	e, err := dispatch.New(pol())
	require.NoError(f, err)
	e.Apply(recs[0].At, recs[0].Op)
	snap := snapshotFile(f, "s", e)
	f.Add(seg, false)
	f.Add(seg[:len(seg)-3], false)
	f.Add(seg[:40], true)
	f.Add(seg[:16], false)
	f.Add([]byte("KEFULOG1\x00\x00\x00\x00\x00\x00\x00\x00"), true)
	f.Add([]byte{}, false)
	sc := newScratch(f) // one directory for every input a process runs, one after the other
	f.Fuzz(func(t *testing.T, data []byte, fix bool) {
		if fix {
			data = fixChecksums(data)
		}
		name := filepath.Join("log", "00000000000000000001.seg")
		sc.lay(t, map[string][]byte{name: data, filepath.Join("snap", "s.snap"): snap})
		dir := sc.dir
		name = filepath.Join(dir, name)
		fs, err := durable.OpenFiles(dir, durable.FilesOptions{Sync: durable.SyncNone})
		if err != nil {
			require.ErrorIs(t, err, durable.ErrCorrupt)
			return
		}
		defer fs.Close()
		kept, err := os.ReadFile(name)
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(data, kept), "the file is a prefix of what it was")
		frames, end := segFrames(kept)
		require.Equal(t, len(kept), end, "it is cut at a whole record")
		require.NoError(t, fs.Pending(ctx, func(shop string) error {
			i := 0 // the frames of the prefix not yet matched
			err := fs.Read(ctx, shop, 0, func(r durable.Record) error {
				enc := encodeRecord(t, shop, r)
				for ; i < len(frames); i++ {
					if bytes.Equal(kept[frames[i].off:frames[i].end], enc) {
						i++
						return nil
					}
				}
				t.Fatalf("shop %q: op %d re-encodes to %x, no record of the prefix (after the previous one)", shop, r.N, enc)
				return nil
			})
			if err != nil && !errors.Is(err, durable.ErrCorrupt) {
				t.Fatalf("Read of %q: %v", shop, err)
			}
			return nil
		}))
		h, err := durable.NewHost(ctx, durable.HostOptions{Log: fs, Snapshots: fs})
		if err == nil {
			err = h.Read(ctx, "s", func(e *dispatch.Engine) { require.NoError(t, e.Verify()) })
		}
		if err != nil && !errors.Is(err, durable.ErrCorrupt) && !errors.Is(err, dispatch.ErrUnknownShop) {
			t.Fatalf("a host: %v", err)
		}
	})
}

// snapshotFile returns the snapshot file of shop with e's state.
func snapshotFile(t testing.TB, shop string, e *dispatch.Engine) []byte {
	data, err := e.Snapshot()
	require.NoError(t, err)
	dir := t.TempDir()
	f, err := durable.OpenFiles(dir, durable.FilesOptions{Sync: durable.SyncNone})
	require.NoError(t, err)
	require.NoError(t, f.Put(ctx, shop, durable.Snapshot{N: e.Ops(), Data: data}))
	require.NoError(t, f.Close())
	b, err := os.ReadFile(filepath.Join(dir, "snap", shop+".snap"))
	require.NoError(t, err)
	return b
}
