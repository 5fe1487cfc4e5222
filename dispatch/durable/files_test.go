package durable_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
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

// A sealed segment (one the log went past) must keep the size it had
// when the next one was started: cut at a record boundary, or grown by a
// whole record, it would read as whole and the log would silently lose
// or gain records. The next segment's header holds that size.
func TestFiles_SealedSegmentKeepsItsSize(t *testing.T) {
	dir := t.TempDir()
	f, err := durable.OpenFiles(dir, durable.FilesOptions{Sync: durable.SyncNone, SegmentSize: 4096})
	require.NoError(t, err)
	fence, err := f.Claim(ctx, "a")
	require.NoError(t, err)
	g := newGen(2)
	for n := uint64(1); ; n++ {
		if segs, _ := f.Segments(); segs == 3 {
			break
		}
		at, op := g.next()
		require.NoError(t, f.Append(ctx, "a", fence, []durable.Record{{N: n, At: at, Op: op}}))
	}
	require.NoError(t, f.Close())
	for _, name := range segFiles(t, dir)[:2] {
		path := filepath.Join(dir, "log", name)
		orig, err := os.ReadFile(path)
		require.NoError(t, err)
		frames, end := segFrames(orig)
		require.Equal(t, len(orig), end)
		last := frames[len(frames)-1]
		for what, b := range map[string][]byte{
			"cut before its last record": orig[:last.off],
			"grown by a record":          append(bytes.Clone(orig), orig[last.off:last.end]...),
			"its header's size changed":  fixChecksums(append(append([]byte(nil), orig[:8]...), append([]byte{1, 2, 3, 4}, orig[12:]...)...)),
			"its header flipped":         append(append(bytes.Clone(orig[:9]), orig[9]^0x10), orig[10:]...),
		} {
			if what == "its header's size changed" && name == segFiles(t, dir)[0] {
				continue // the first segment's size field is only read with the one before it
			}
			require.NoError(t, os.WriteFile(path, b, 0o644))
			_, err := durable.OpenFiles(dir, durable.FilesOptions{})
			require.ErrorIs(t, err, durable.ErrCorrupt, "%s %s", name, what)
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, b, got, "%s %s: changed", name, what)
		}
		require.NoError(t, os.WriteFile(path, orig, 0o644))
	}
	f, err = durable.OpenFiles(dir, durable.FilesOptions{})
	require.NoError(t, err, "the directory as written")
	require.NoError(t, f.Close())
}

// Records the writer never writes are refused even with a right
// checksum: a shop id that is not valid UTF-8 (the Host would refuse the
// shop at start with ErrInvalidShop, not ErrCorrupt), numbers not in
// their shortest varint (the record would not be the bytes it re-encodes
// to). In the last segment they are cut as a torn tail; in a sealed one
// they are corruption.
func TestFiles_RefusesRecordsTheWriterNeverWrites(t *testing.T) {
	at := t0
	op, err := dispatch.Op{Kind: dispatch.OpAdvance}.MarshalJSON()
	require.NoError(t, err)
	good := encodeRecord(t, "a", durable.Record{N: 1, At: at, Op: dispatch.Op{Kind: dispatch.OpAdvance}})
	body := func(shop, n []byte) []byte {
		b := append([]byte{1}, shop...)
		b = append(b, n...)
		b = binary.LittleEndian.AppendUint64(b, uint64(at.UnixNano()))
		b = binary.LittleEndian.AppendUint32(b, 8*3600)
		return append(b, op...)
	}
	for what, bad := range map[string][]byte{
		"a shop id of invalid UTF-8":      frameBody(body([]byte{1, 0xff}, []byte{2})),
		"a shop id's length in two bytes": frameBody(body([]byte{0x81, 0x00, 'a'}, []byte{2})),
		"a number in two bytes":           frameBody(body([]byte{1, 'a'}, []byte{0x82, 0x00})),
	} {
		// The last segment: cut before the record.
		dir := t.TempDir()
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "log"), 0o755))
		seg := filepath.Join(dir, "log", "00000000000000000001.seg")
		first := append(segmentHeader(0), good...)
		require.NoError(t, os.WriteFile(seg, append(bytes.Clone(first), bad...), 0o644))
		f, err := durable.OpenFiles(dir, durable.FilesOptions{})
		require.NoError(t, err, what)
		var shops []string
		require.NoError(t, f.Pending(ctx, func(shop string) error { shops = append(shops, shop); return nil }))
		require.Equal(t, []string{"a"}, shops, what)
		var ns []uint64
		require.NoError(t, f.Read(ctx, "a", 0, func(r durable.Record) error { ns = append(ns, r.N); return nil }))
		require.Equal(t, []uint64{1}, ns, what)
		require.NoError(t, f.Close())
		got, err := os.ReadFile(seg)
		require.NoError(t, err)
		require.Equal(t, first, got, "%s: the torn tail is cut", what)

		// A sealed segment: refused.
		sealed := append(bytes.Clone(first), bad...)
		require.NoError(t, os.WriteFile(seg, sealed, 0o644))
		next := filepath.Join(dir, "log", "00000000000000000002.seg")
		require.NoError(t, os.WriteFile(next, segmentHeader(uint32(len(sealed))), 0o644))
		_, err = durable.OpenFiles(dir, durable.FilesOptions{})
		require.ErrorIs(t, err, durable.ErrCorrupt, what)
	}
}

// segmentHeader is the header of a segment started after one of prev
// bytes, by the format of files.go.
func segmentHeader(prev uint32) []byte {
	b := binary.LittleEndian.AppendUint32([]byte("KEFULOG1"), prev)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

// frameBody frames a record body: its length and checksum, then it.
func frameBody(body []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(body)))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
	return append(b, body...)
}

// segFrame is a record of a segment file as the test reads it, by the
// format documented in record.go.
type segFrame struct {
	off, end int
	typ      byte
	shop     string
	n        uint64
}

// segFrames reads the whole records of a segment file (with a valid
// header) and returns them and the offset where they stop.
func segFrames(b []byte) ([]segFrame, int) {
	if len(b) < 16 || string(b[:8]) != "KEFULOG1" {
		return nil, 0
	}
	var out []segFrame
	off := 16
	for len(b)-off >= 8 {
		n := int(binary.LittleEndian.Uint32(b[off:]))
		if n > len(b)-off-8 {
			break
		}
		body := b[off+8 : off+8+n]
		if crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)) != binary.LittleEndian.Uint32(b[off+4:]) || len(body) < 3 {
			break
		}
		fr := segFrame{off: off, end: off + 8 + n, typ: body[0]}
		l, k := binary.Uvarint(body[1:])
		if k <= 0 || int(l) > len(body)-1-k {
			break
		}
		fr.shop = string(body[1+k : 1+k+int(l)])
		fr.n, _ = binary.Uvarint(body[1+k+int(l):])
		out = append(out, fr)
		off = fr.end
	}
	return out, off
}

// encodeRecord is the framed record of r, by the format of record.go.
func encodeRecord(t testing.TB, shop string, r durable.Record) []byte {
	js, err := r.Op.MarshalJSON()
	require.NoError(t, err)
	body := []byte{1}
	body = binary.AppendUvarint(body, uint64(len(shop)))
	body = append(body, shop...)
	body = binary.AppendUvarint(body, r.N)
	_, off := r.At.Zone()
	body = binary.LittleEndian.AppendUint64(body, uint64(r.At.UnixNano()))
	body = binary.LittleEndian.AppendUint32(body, uint32(int32(off)))
	body = append(body, js...)
	return frameBody(body)
}

// fixChecksums sets the checksum of the header of a segment file and of
// every record whose length fits.
func fixChecksums(data []byte) []byte {
	data = bytes.Clone(data)
	if len(data) >= 16 {
		binary.LittleEndian.PutUint32(data[12:], crc32.Checksum(data[:12], crc32.MakeTable(crc32.Castagnoli)))
	}
	for off := 16; len(data)-off >= 8; {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		if n > len(data)-off-8 {
			break
		}
		binary.LittleEndian.PutUint32(data[off+4:], crc32.Checksum(data[off+8:off+8+n], crc32.MakeTable(crc32.Castagnoli)))
		off += 8 + n
	}
	return data
}
