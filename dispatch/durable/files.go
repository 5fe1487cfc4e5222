package durable

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/kefu-dev/kefu/dispatch"
)

// Sync says when the file log calls fsync (FilesOptions.Sync).
type Sync uint8

const (
	// SyncGroup (the default): an append returns when an fsync that
	// covers it has returned. Appends that arrive while an fsync runs (and
	// during FilesOptions.GroupDelay) are written together and share the
	// next one, so many shops pay for one fsync.
	SyncGroup Sync = iota
	// SyncEach: every append is written and fsynced on its own, one at a
	// time. The baseline the benchmarks compare group commit with.
	SyncEach
	// SyncNone: appends are written to the operating system and not
	// fsynced. An acknowledged op survives a crash of the process, not of
	// the machine. For tests and throwaway data.
	SyncNone
)

// FilesOptions configure OpenFiles. The zero value is the default.
type FilesOptions struct {
	// Sync is when to fsync; SyncGroup by default.
	Sync Sync
	// GroupDelay, with SyncGroup, makes each commit wait this long for
	// more appends before it writes and fsyncs, trading latency for
	// fewer fsyncs. 0 (the default) waits for nothing: only the appends
	// that arrive while the previous fsync runs share the next.
	GroupDelay time.Duration
	// SegmentSize is the size at which the log starts a new segment file
	// (default 64 MiB, at most 1 GiB). Whole segments are deleted once
	// every op in them is covered by its shop's snapshot.
	SegmentSize int64
	// Logger receives a warning when recovery truncates a torn tail, and
	// errors of the storage. Default zap.NewNop().
	Logger *zap.Logger
}

const (
	defaultSegment = 64 << 20
	maxSegment     = 1 << 30
	segMagic       = "KEFULOG1"
	// segHeader is the segment file header: the magic, the size of the
	// previous segment when this one was started (uint32 LE, 0 for the
	// first), and the CRC-32C of those 12 bytes (uint32 LE). The size
	// seals the previous segment: one cut at a record boundary would
	// otherwise read as whole and lose its last records silently.
	segHeader  = 16
	scanBuffer = 1 << 20
)

// Files is the embedded default [Log] and [SnapshotStore]: files in one
// directory, on one machine.
//
//	dir/LOCK                    held (flock) while the directory is open
//	dir/log/<20 digits>.seg     append-only segments of every shop's ops
//	dir/snap/<shop>.snap        each shop's latest snapshot
//
// # Guarantee
//
// With SyncGroup or SyncEach, an op whose Append returned nil survives a
// crash of the process and of the machine (power loss included, on a
// disk that honours fsync): it is in the log when the directory is
// opened again, exactly once, in its place. With SyncNone it survives a
// crash of the process only.
//
// # Failure modes
//
//   - A crash in the middle of a write leaves a torn tail at the end of
//     the last segment: OpenFiles truncates it at the last whole record
//     (logging how many bytes it dropped). Only unacknowledged appends
//     can be there.
//   - A record that fails its checksum anywhere else, a malformed segment
//     or snapshot header, a segment missing between two others, a sealed
//     segment not of the size it had when the next one was started (cut,
//     even at a record boundary, or grown): OpenFiles (or Read, Get)
//     returns an error wrapping ErrCorrupt naming the file and offset,
//     and changes nothing. A snapshot is checked whole; a corrupt one is
//     refused, never half-restored.
//   - A full disk or another write error: the append returns the error
//     and the segment is truncated back to where the batch started, so
//     nothing of it remains; the log takes appends again when space
//     returns. A failed fsync is different: the kernel may have dropped
//     the pages, so the log refuses every later append (ErrLogFailed)
//     until it is reopened and recovers from the disk.
//   - A read-only directory: OpenFiles fails (it must write the lock).
//   - A second process opening the directory: ErrLocked (flock, released
//     by the kernel when the holder dies, so a crash leaves no stale
//     lock).
//
// Files is safe for concurrent use.
type Files struct {
	dir   string
	opts  FilesOptions
	log   *zap.Logger
	lock  *os.File
	fence Fence

	mu     sync.Mutex
	shops  map[string]*shopLog
	segs   []*segment // oldest first; the last is the head the committer writes
	closed bool
	failed error // sticky ErrLogFailed
	sends  sync.WaitGroup

	reqs chan *appendReq
	done chan struct{} // the committer has exited
	wbuf []byte        // the committer's write buffer

	ioMu sync.RWMutex // readers of segment files (Read) against their deletion

	// fault, in tests, fails an I/O step ("write", "sync", "snap") with
	// the error it returns.
	fault func(step string) error
}

// segment is one segment file.
type segment struct {
	id   uint32
	name string // its path (f.Name() is the temporary name it was made under)
	f    *os.File
	size int64 // bytes written and (unless SyncNone) fsynced
	live int   // op records in it not yet trimmed
}

// shopLog is the index of one shop's records not yet trimmed. A shop
// with none has no entry: a shop whose ops its snapshot covers costs the
// log no memory.
type shopLog struct {
	last uint64 // number of the last record appended
	recs []pos  // the records, in order
}

// pos is where a record is.
type pos struct {
	n   uint64
	seg uint32
	off uint32
}

// appendReq is one Append (or Trim) waiting for the committer.
type appendReq struct {
	shop string
	buf  []byte   // framed records
	ns   []uint64 // their numbers (none for a trim)
	offs []uint32 // their offsets in buf
	trim uint64   // a trim record through this number
	done chan error
}

var fences atomic.Uint64 // generations of Files in this process

// OpenFiles opens (creating it if needed) the directory dir as a log and
// snapshot store, and recovers it: it locks the directory, reads every
// segment, checks every record's checksum, truncates a torn tail and
// rebuilds the index of the shops' records. Close it when done.
//
// Errors: ErrLocked, ErrCorrupt (nothing changed on disk), or the
// operating system's (a read-only or missing parent directory).
func OpenFiles(dir string, opts FilesOptions) (*Files, error) {
	if opts.SegmentSize == 0 {
		opts.SegmentSize = defaultSegment
	}
	if opts.SegmentSize < 4096 || opts.SegmentSize > maxSegment {
		return nil, fmt.Errorf("durable: segment size %d out of range [4096, %d]", opts.SegmentSize, maxSegment)
	}
	if opts.Sync > SyncNone || opts.GroupDelay < 0 {
		return nil, fmt.Errorf("durable: invalid FilesOptions (Sync %d, GroupDelay %v)", opts.Sync, opts.GroupDelay)
	}
	f := &Files{dir: dir, opts: opts, log: opts.Logger, shops: make(map[string]*shopLog),
		fence: Fence(fences.Add(1))}
	if f.log == nil {
		f.log = zap.NewNop()
	}
	for _, d := range []string{dir, filepath.Join(dir, "log"), filepath.Join(dir, "snap")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("durable: %w", err)
		}
	}
	var err error
	if f.lock, err = lockDir(filepath.Join(dir, "LOCK")); err != nil {
		return nil, err
	}
	if err := f.recover(); err != nil {
		f.closeFiles()
		return nil, err
	}
	f.reqs = make(chan *appendReq, 1024)
	f.done = make(chan struct{})
	go f.commit()
	return f, nil
}

// recover reads the segments and rebuilds the index.
func (f *Files) recover() error {
	logDir := filepath.Join(f.dir, "log")
	ents, err := os.ReadDir(logDir)
	if err != nil {
		return fmt.Errorf("durable: %w", err)
	}
	var ids []uint32
	for _, e := range ents {
		name := e.Name()
		if strings.HasSuffix(name, ".tmp") { // a segment being created when the process died
			if err := os.Remove(filepath.Join(logDir, name)); err != nil {
				return fmt.Errorf("durable: %w", err)
			}
			continue
		}
		id, ok := segID(name)
		if !ok {
			continue
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	br := bufio.NewReaderSize(nil, scanBuffer)
	for i, id := range ids {
		if i > 0 && id != ids[i-1]+1 {
			return fmt.Errorf("%w: segment %s missing (have %s and %s)", ErrCorrupt,
				segName(ids[i-1]+1), segName(ids[i-1]), segName(id))
		}
		if err := f.scan(id, i == len(ids)-1, br); err != nil {
			return err
		}
	}
	if len(f.segs) == 0 {
		return f.roll(1, 0)
	}
	return nil
}

// scan reads segment id into the index; a torn tail is truncated if it is
// the last segment and refused otherwise. It streams the file through br
// (one buffer for every segment) rather than holding it whole.
func (f *Files) scan(id uint32, last bool, br *bufio.Reader) error {
	name := filepath.Join(f.dir, "log", segName(id))
	file, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("durable: %w", err)
	}
	seg := &segment{id: id, name: name, f: file}
	f.segs = append(f.segs, seg)
	st, err := file.Stat()
	if err != nil {
		return fmt.Errorf("durable: %s: %w", name, err)
	}
	size := st.Size()
	br.Reset(file)
	read := func(b []byte) error {
		if _, err := io.ReadFull(br, b); err != nil {
			return fmt.Errorf("durable: %s: %w", name, err)
		}
		return nil
	}
	var hdr [segHeader]byte // a segment's header, then each record's
	if size < segHeader {
		return fmt.Errorf("%w: %s: not a kefu log segment (bad header)", ErrCorrupt, name)
	}
	if err := read(hdr[:]); err != nil {
		return err
	}
	if string(hdr[:len(segMagic)]) != segMagic || binary.LittleEndian.Uint32(hdr[12:]) != crc32Sum(hdr[:12]) {
		return fmt.Errorf("%w: %s: not a kefu log segment (bad header)", ErrCorrupt, name)
	}
	if n := len(f.segs); n > 1 { // the segment before this one is here: it is sealed
		before, prev := f.segs[n-2], binary.LittleEndian.Uint32(hdr[8:])
		if before.size != int64(prev) {
			return fmt.Errorf("%w: %s has %d bytes, %d when %s was started after it", ErrCorrupt,
				segName(before.id), before.size, prev, segName(id))
		}
	}
	off := int64(segHeader)
	var body []byte
	var bad error
	for off < size {
		if size-off < frameHeader {
			bad = fmt.Errorf("a record header cut short (%d bytes)", size-off)
			break
		}
		if err := read(hdr[:frameHeader]); err != nil {
			return err
		}
		n, sum := frame(hdr[:frameHeader])
		if n > maxBody || int64(n) > size-off-frameHeader {
			bad = fmt.Errorf("a record of %d bytes where %d remain", n, size-off-frameHeader)
			break
		}
		body = slices.Grow(body[:0], n)[:n]
		if err := read(body); err != nil {
			return err
		}
		if crc32Sum(body) != sum {
			bad = errors.New("a record fails its checksum")
			break
		}
		e, err := decode(body)
		if err != nil {
			bad = err
			break
		}
		f.index(e, seg, uint32(off)) // copies what it keeps of body
		off += frameHeader + int64(n)
	}
	if bad != nil {
		if !last {
			return fmt.Errorf("%w: %s at offset %d: %v", ErrCorrupt, name, off, bad)
		}
		// The torn tail of the last segment: only appends that were never
		// acknowledged can be there (an acknowledged one was fsynced before
		// anything after it was written).
		f.log.Warn("durable: truncating the torn tail of the log",
			zap.String("segment", name), zap.Int64("offset", off), zap.Int64("dropped", size-off), zap.String("why", bad.Error()))
		if err := file.Truncate(off); err != nil {
			return fmt.Errorf("durable: truncating %s: %w", name, err)
		}
		if err := file.Sync(); err != nil {
			return fmt.Errorf("durable: %s: %w", name, err)
		}
	}
	seg.size = off
	return nil
}

// index applies a record read at recovery to the index.
func (f *Files) index(e entry, seg *segment, off uint32) {
	sl := f.shops[string(e.shop)]
	switch e.typ {
	case recOp:
		if sl == nil {
			sl = &shopLog{}
			f.shops[string(e.shop)] = sl
		}
		sl.recs = append(sl.recs, pos{n: e.n, seg: seg.id, off: off})
		sl.last = e.n
		seg.live++
	case recTrim:
		if sl != nil {
			f.dropThrough(string(e.shop), sl, e.n)
		}
	}
}

// dropThrough removes shop's records numbered through n from the index.
func (f *Files) dropThrough(shop string, sl *shopLog, n uint64) {
	k := 0
	for k < len(sl.recs) && sl.recs[k].n <= n {
		f.seg(sl.recs[k].seg).live--
		k++
	}
	sl.recs = sl.recs[k:]
	if len(sl.recs) == 0 {
		delete(f.shops, shop)
	}
}

// seg returns the segment with this id, which must exist.
func (f *Files) seg(id uint32) *segment { return f.segs[id-f.segs[0].id] }

func segName(id uint32) string { return fmt.Sprintf("%020d.seg", id) }

func segID(name string) (uint32, bool) {
	s, ok := strings.CutSuffix(name, ".seg")
	if !ok || len(s) != 20 {
		return 0, false
	}
	id, err := strconv.ParseUint(s, 10, 32)
	return uint32(id), err == nil && id > 0
}

// roll starts segment id as the new head, after a segment of prev bytes
// (0 for none): it is written whole under a temporary name, fsynced,
// then renamed, so a segment file always has its header.
func (f *Files) roll(id uint32, prev int64) error {
	dir := filepath.Join(f.dir, "log")
	tmp := filepath.Join(dir, segName(id)+".tmp")
	file, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("durable: %w", err)
	}
	hdr := make([]byte, segHeader)
	copy(hdr, segMagic)
	binary.LittleEndian.PutUint32(hdr[8:], uint32(prev))
	binary.LittleEndian.PutUint32(hdr[12:], crc32Sum(hdr[:12]))
	if _, err := file.Write(hdr); err != nil {
		file.Close()
		os.Remove(tmp)
		return fmt.Errorf("durable: %w", err)
	}
	if f.opts.Sync != SyncNone {
		if err := file.Sync(); err != nil {
			file.Close()
			os.Remove(tmp)
			return fmt.Errorf("durable: %w", err)
		}
	}
	if err := os.Rename(tmp, filepath.Join(dir, segName(id))); err != nil {
		file.Close()
		os.Remove(tmp)
		return fmt.Errorf("durable: %w", err)
	}
	if err := f.syncDir(dir); err != nil {
		return err // the file is in place; the next roll or open finds it
	}
	f.mu.Lock()
	f.segs = append(f.segs, &segment{id: id, name: filepath.Join(dir, segName(id)), f: file, size: segHeader})
	f.mu.Unlock()
	return nil
}

func (f *Files) syncDir(dir string) error {
	if f.opts.Sync == SyncNone {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("durable: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("durable: fsync %s: %w", dir, err)
	}
	return nil
}

// Claim returns the fence of this Files: the directory lock makes it the
// only writer of every shop in the directory while it is open.
func (f *Files) Claim(ctx context.Context, shop string) (Fence, error) {
	if err := checkShop(shop); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, ErrClosed
	}
	return f.fence, nil
}

// Append makes recs durable (see Log.Append and the Files guarantee),
// sharing an fsync with the appends of other shops under SyncGroup.
// Appends of one shop must not run concurrently (a Host never does).
func (f *Files) Append(ctx context.Context, shop string, fence Fence, recs []Record) error {
	if err := checkShop(shop); err != nil {
		return err
	}
	if fence != f.fence {
		return fmt.Errorf("%w: shop %q (fence %d, the directory's is %d)", ErrFenced, shop, fence, f.fence)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &appendReq{shop: shop}
	f.mu.Lock()
	if err := f.usable(); err != nil {
		f.mu.Unlock()
		return err
	}
	sl := f.shops[shop]
	type dup struct {
		at pos
		r  *Record
	}
	var dups []dup
	for i := range recs {
		r := &recs[i]
		if sl != nil && r.N <= sl.last {
			if k, ok := slices.BinarySearchFunc(sl.recs, r.N, func(p pos, n uint64) int { return cmp.Compare(p.n, n) }); ok {
				dups = append(dups, dup{sl.recs[k], r})
			}
			continue
		}
		req.offs = append(req.offs, uint32(len(req.buf)))
		req.ns = append(req.ns, r.N)
		var err error
		if req.buf, err = appendOp(req.buf, shop, r); err != nil {
			f.mu.Unlock()
			return err
		}
	}
	f.sends.Add(1)
	f.mu.Unlock()
	defer f.sends.Done()
	for _, d := range dups { // a retry must carry the op it retries
		if err := f.same(shop, d.at, d.r); err != nil {
			return err
		}
	}
	if len(req.ns) == 0 {
		return nil
	}
	return f.send(req)
}

// same checks that the record at p is r.
func (f *Files) same(shop string, p pos, r *Record) error {
	f.ioMu.RLock()
	defer f.ioMu.RUnlock()
	f.mu.Lock()
	if p.seg < f.segs[0].id { // trimmed and deleted since: nothing to compare
		f.mu.Unlock()
		return nil
	}
	seg := f.seg(p.seg)
	f.mu.Unlock()
	rd := reader{ahead: lone}
	body, err := rd.body(seg, int64(p.off))
	if err != nil {
		return err
	}
	want, err := appendOp(nil, shop, r)
	if err != nil {
		return err
	}
	if !bytes.Equal(body, want[frameHeader:]) {
		return fmt.Errorf("%w: shop %q op %d", ErrDiverged, shop, r.N)
	}
	return nil
}

// usable reports why the log takes no appends (f.mu held).
func (f *Files) usable() error {
	if f.closed {
		return ErrClosed
	}
	return f.failed
}

// send hands req to the committer and waits for its commit.
func (f *Files) send(req *appendReq) error {
	req.done = make(chan error, 1)
	f.reqs <- req
	return <-req.done
}

// commit is the committer goroutine: it writes the appends waiting, in
// the order they came, with one write and one fsync per batch.
func (f *Files) commit() {
	defer close(f.done)
	var batch []*appendReq
	for req := range f.reqs {
		batch = append(batch[:0], req)
		if f.opts.Sync != SyncEach {
			if f.opts.GroupDelay > 0 {
				t := time.NewTimer(f.opts.GroupDelay)
			gather:
				for {
					select {
					case r, ok := <-f.reqs:
						if !ok {
							break gather
						}
						batch = append(batch, r)
					case <-t.C:
						break gather
					}
				}
				t.Stop()
			}
		drain:
			for {
				select {
				case r, ok := <-f.reqs:
					if !ok {
						break drain
					}
					batch = append(batch, r)
				default:
					break drain
				}
			}
		}
		err := f.write(batch)
		for _, r := range batch {
			r.done <- err
		}
		clear(batch)
	}
}

// write writes a batch at the end of the head segment, fsyncs it, and
// indexes its records. On a write error the segment is cut back to where
// the batch started; on an fsync error the log fails for good.
func (f *Files) write(batch []*appendReq) error {
	f.mu.Lock()
	if err := f.usable(); err != nil {
		f.mu.Unlock()
		return err
	}
	head := f.segs[len(f.segs)-1]
	f.mu.Unlock()
	size := 0
	for _, r := range batch {
		size += len(r.buf)
	}
	if head.size > segHeader && head.size+int64(size) > f.opts.SegmentSize {
		if err := f.roll(head.id+1, head.size); err != nil {
			f.log.Error("durable: cannot start a new segment", zap.Error(err))
			return err
		}
		f.mu.Lock()
		head = f.segs[len(f.segs)-1]
		f.mu.Unlock()
	}
	if head.size+int64(size) > maxSegment {
		return fmt.Errorf("durable: a batch of %d bytes does not fit a segment", size)
	}
	buf := f.wbuf[:0]
	for _, r := range batch {
		buf = append(buf, r.buf...)
	}
	f.wbuf = buf
	at := head.size
	if err := f.writeAt(head.f, buf, at); err != nil {
		if terr := head.f.Truncate(at); terr != nil {
			return f.fail(fmt.Errorf("write: %v; cutting it back: %v", err, terr))
		}
		f.log.Error("durable: append failed; nothing of it was kept", zap.Error(err))
		return fmt.Errorf("durable: append: %w", err)
	}
	if f.opts.Sync != SyncNone {
		err := error(nil)
		if f.fault != nil {
			err = f.fault("sync")
		}
		if err == nil {
			err = head.f.Sync()
		}
		if err != nil {
			return f.fail(err)
		}
	}
	f.mu.Lock()
	head.size = at + int64(size)
	off := uint32(at)
	for _, r := range batch {
		switch {
		case len(r.ns) > 0:
			sl := f.shops[r.shop]
			if sl == nil {
				sl = &shopLog{}
				f.shops[r.shop] = sl
			}
			for i, n := range r.ns {
				sl.recs = append(sl.recs, pos{n: n, seg: head.id, off: off + r.offs[i]})
				sl.last = n
			}
			head.live += len(r.ns)
		case r.trim > 0:
			if sl := f.shops[r.shop]; sl != nil {
				f.dropThrough(r.shop, sl, r.trim)
			}
		}
		off += uint32(len(r.buf))
	}
	f.mu.Unlock()
	return nil
}

// writeAt writes buf at off, through the fault hook in tests (which may
// write part of buf before failing, as a full disk does).
func (f *Files) writeAt(file *os.File, buf []byte, off int64) error {
	if f.fault != nil {
		if err := f.fault("write"); err != nil {
			file.WriteAt(buf[:len(buf)/2], off)
			return err
		}
	}
	_, err := file.WriteAt(buf, off)
	return err
}

// fail makes the log refuse appends for good after an fsync error.
func (f *Files) fail(cause error) error {
	err := fmt.Errorf("%w: %v", ErrLogFailed, cause)
	f.log.Error("durable: the log failed; reopen the directory", zap.Error(cause))
	f.mu.Lock()
	f.failed = err
	f.mu.Unlock()
	return err
}

// Read calls fn with each of shop's records numbered above after, in
// order (see Log.Read). A record that fails its checksum is an error
// wrapping ErrCorrupt.
func (f *Files) Read(ctx context.Context, shop string, after uint64, fn func(Record) error) error {
	if err := checkShop(shop); err != nil {
		return err
	}
	f.ioMu.RLock()
	defer f.ioMu.RUnlock()
	type at struct {
		seg *segment
		pos
	}
	var todo []at
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return ErrClosed
	}
	if sl := f.shops[shop]; sl != nil {
		k, _ := slices.BinarySearchFunc(sl.recs, after+1, func(p pos, n uint64) int { return cmp.Compare(p.n, n) })
		for _, p := range sl.recs[k:] {
			todo = append(todo, at{f.seg(p.seg), p})
		}
	}
	f.mu.Unlock()
	var rd reader
	for i, t := range todo {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Read a window only when the shop's next record is in it: in a
		// log that many shops share, a shop's records are far apart, and
		// a window for each would read 64 KiB a record.
		rd.ahead = window
		if next := i + 1; next == len(todo) || todo[next].seg != t.seg ||
			todo[next].off < t.off || todo[next].off-t.off >= window {
			rd.ahead = lone
		}
		body, err := rd.body(t.seg, int64(t.off))
		if err != nil {
			return fmt.Errorf("%w (shop %q, op %d)", err, shop, t.n)
		}
		e, err := decode(body)
		if err != nil || e.typ != recOp || string(e.shop) != shop || e.n != t.n {
			return fmt.Errorf("%w: %s at offset %d: not op %d of shop %q", ErrCorrupt, t.seg.name, t.off, t.n, shop)
		}
		var op dispatch.Op
		if err := op.UnmarshalJSON(e.op); err != nil {
			return fmt.Errorf("%w: %s at offset %d: %v", ErrCorrupt, t.seg.name, t.off, err)
		}
		if err := fn(Record{N: e.n, At: e.at, Op: op}); err != nil {
			return err
		}
	}
	return nil
}

// reader reads records from segment files through a window of the file,
// so that a shop's records written close together cost one read.
type reader struct {
	seg   *segment
	off   int64 // of buf[0]
	buf   []byte
	ahead int // bytes to read at a miss, at least those asked for; 0: window
}

const (
	window = 64 << 10
	// lone is the read for a record with no other to read after it: an
	// op's record is far smaller (a longer one costs a second read).
	lone = 512
)

// body returns the checked body of the record at off (valid until the
// next call).
func (r *reader) body(seg *segment, off int64) ([]byte, error) {
	hdr, err := r.at(seg, off, frameHeader)
	if err != nil {
		return nil, err
	}
	n, sum := frame(hdr)
	if n > maxBody {
		return nil, fmt.Errorf("%w: %s at offset %d: record length %d", ErrCorrupt, seg.name, off, n)
	}
	body, err := r.at(seg, off+frameHeader, n)
	if err != nil {
		return nil, err
	}
	if crc32Sum(body) != sum {
		return nil, fmt.Errorf("%w: %s at offset %d: checksum", ErrCorrupt, seg.name, off)
	}
	return body, nil
}

// at returns n bytes of file at off.
func (r *reader) at(seg *segment, off int64, n int) ([]byte, error) {
	if r.seg == seg && off >= r.off && off+int64(n) <= r.off+int64(len(r.buf)) {
		return r.buf[off-r.off : off-r.off+int64(n)], nil
	}
	size := r.ahead
	if size == 0 {
		size = window
	}
	size = max(n, size)
	r.seg, r.off = seg, off
	r.buf = slices.Grow(r.buf[:0], size)[:size]
	k, err := seg.f.ReadAt(r.buf, off)
	r.buf = r.buf[:k]
	if k < n {
		r.seg = nil
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: %s at offset %d: %v", ErrCorrupt, seg.name, off, err)
	}
	return r.buf[:n], nil
}

// Trim lets the log drop shop's records through n: it appends a trim
// record (so that a restart does not bring them back) and deletes the
// oldest segments left with no record any shop needs.
func (f *Files) Trim(ctx context.Context, shop string, fence Fence, through uint64) error {
	if err := checkShop(shop); err != nil {
		return err
	}
	if fence != f.fence {
		return fmt.Errorf("%w: shop %q", ErrFenced, shop)
	}
	f.mu.Lock()
	if err := f.usable(); err != nil {
		f.mu.Unlock()
		return err
	}
	sl := f.shops[shop]
	if sl == nil || sl.recs[0].n > through {
		f.mu.Unlock()
		return nil
	}
	f.sends.Add(1)
	f.mu.Unlock()
	err := f.send(&appendReq{shop: shop, buf: appendTrim(nil, shop, through), trim: through})
	f.sends.Done()
	if err != nil {
		return err
	}
	return f.collect()
}

// collect deletes the oldest segments that hold no live record (never the
// head). Only a prefix is deleted, so a trim record never outlives the
// segments of the records it trims.
func (f *Files) collect() error {
	f.ioMu.Lock()
	defer f.ioMu.Unlock()
	f.mu.Lock()
	var gone []*segment
	for len(f.segs) > 1 && f.segs[0].live == 0 {
		gone = append(gone, f.segs[0])
		f.segs = f.segs[1:]
	}
	f.mu.Unlock()
	for _, s := range gone {
		s.f.Close()
		if err := os.Remove(s.name); err != nil {
			return fmt.Errorf("durable: %w", err)
		}
	}
	return nil
}

// Pending calls fn with every shop that has records not yet trimmed.
func (f *Files) Pending(ctx context.Context, fn func(shop string) error) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return ErrClosed
	}
	ids := make([]string, 0, len(f.shops))
	for id := range f.shops {
		ids = append(ids, id)
	}
	f.mu.Unlock()
	slices.Sort(ids)
	for _, id := range ids {
		if err := fn(id); err != nil {
			return err
		}
	}
	return nil
}

// Segments returns the number of segment files and their total size in
// bytes, for monitoring.
func (f *Files) Segments() (n int, bytes int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.segs {
		bytes += s.size
	}
	return len(f.segs), bytes
}

// Close waits for the appends in flight, fsyncs the head segment, closes
// the files and releases the directory lock. Later calls return
// ErrClosed.
func (f *Files) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return ErrClosed
	}
	f.closed = true
	f.mu.Unlock()
	f.sends.Wait()
	close(f.reqs)
	<-f.done
	var err error
	if f.failed == nil && f.opts.Sync != SyncNone {
		err = f.segs[len(f.segs)-1].f.Sync()
	}
	f.closeFiles()
	return err
}

func (f *Files) closeFiles() {
	for _, s := range f.segs {
		s.f.Close()
	}
	if f.lock != nil {
		f.lock.Close() // releases the flock
	}
}
