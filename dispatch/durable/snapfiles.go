package durable

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The snapshot file format:
//
//	0  magic  "KEFUSNP1"
//	8  n      uint64 LE
//	16 due    int64 LE   Unix ns, 0 for none
//	24 zone   int32 LE   due's UTC offset, seconds
//	28 shop   uint16 LE  length of the shop id
//	30 pad    uint16
//	32 data   uint32 LE  length of the data
//	36 dcrc   uint32 LE  CRC-32C of the data
//	40 hcrc   uint32 LE  CRC-32C of bytes 0–40 and the shop id
//	44 the shop id, then the data
const (
	snapMagic  = "KEFUSNP1"
	snapHeader = 44
)

// snapName is the file name of shop's snapshot: the id itself where it is
// short and plain, else an escape of it (the id is also inside the file).
func snapName(shop string) string {
	var b strings.Builder
	for i := 0; i < len(shop); i++ {
		c := shop[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	if b.Len() > 200 {
		return fmt.Sprintf("~%08x%08x.snap", crc32Sum([]byte(shop)), crc32Update(0x9e3779b9, []byte(shop)))
	}
	return b.String() + ".snap"
}

// Put writes shop's snapshot atomically: a temporary file, fsync, rename
// over the old one, fsync of the directory.
func (f *Files) Put(ctx context.Context, shop string, s Snapshot) error {
	if err := checkShop(shop); err != nil {
		return err
	}
	if len(s.Data) > maxSegment {
		return fmt.Errorf("durable: snapshot of %d bytes", len(s.Data))
	}
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return ErrClosed
	}
	b := make([]byte, snapHeader, snapHeader+len(shop)+len(s.Data))
	copy(b, snapMagic)
	binary.LittleEndian.PutUint64(b[8:], s.N)
	if !s.Due.IsZero() {
		_, off := s.Due.Zone()
		binary.LittleEndian.PutUint64(b[16:], uint64(s.Due.UnixNano()))
		binary.LittleEndian.PutUint32(b[24:], uint32(int32(off)))
	}
	binary.LittleEndian.PutUint16(b[28:], uint16(len(shop)))
	binary.LittleEndian.PutUint32(b[32:], uint32(len(s.Data)))
	binary.LittleEndian.PutUint32(b[36:], crc32Sum(s.Data))
	b = append(b, shop...)
	binary.LittleEndian.PutUint32(b[40:], crc32Update(crc32Sum(b[:40]), []byte(shop)))
	b = append(b, s.Data...)

	dir := filepath.Join(f.dir, "snap")
	name := filepath.Join(dir, snapName(shop))
	tmp := name + ".tmp"
	err := func() error {
		if f.fault != nil {
			if err := f.fault("snap"); err != nil {
				return err
			}
		}
		file, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := file.Write(b); err != nil {
			file.Close()
			return err
		}
		if f.opts.Sync != SyncNone {
			if err := file.Sync(); err != nil {
				file.Close()
				return err
			}
		}
		if err := file.Close(); err != nil {
			return err
		}
		return os.Rename(tmp, name)
	}()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("durable: snapshot of shop %q: %w", shop, err)
	}
	return f.syncDir(dir)
}

// Get returns shop's snapshot, checked whole; ErrNoSnapshot if there is
// none, ErrCorrupt if it fails a check.
func (f *Files) Get(ctx context.Context, shop string) (Snapshot, error) {
	if err := checkShop(shop); err != nil {
		return Snapshot{}, err
	}
	name := filepath.Join(f.dir, "snap", snapName(shop))
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return Snapshot{}, fmt.Errorf("%w: %q", ErrNoSnapshot, shop)
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("durable: %w", err)
	}
	id, s, err := parseSnap(b, true)
	if err == nil && id != shop {
		err = fmt.Errorf("it holds shop %q", id)
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
	}
	return s, nil
}

// parseSnap checks a snapshot file (its header only, unless whole) and
// returns the shop id and the snapshot.
func parseSnap(b []byte, whole bool) (string, Snapshot, error) {
	var s Snapshot
	if len(b) < snapHeader || string(b[:8]) != snapMagic {
		return "", s, errors.New("not a kefu snapshot (bad header)")
	}
	l := int(binary.LittleEndian.Uint16(b[28:]))
	if len(b) < snapHeader+l {
		return "", s, errors.New("cut short")
	}
	shop := b[snapHeader : snapHeader+l]
	if crc32Update(crc32Sum(b[:40]), shop) != binary.LittleEndian.Uint32(b[40:]) {
		return "", s, errors.New("header fails its checksum")
	}
	s.N = binary.LittleEndian.Uint64(b[8:])
	if ns := int64(binary.LittleEndian.Uint64(b[16:])); ns != 0 {
		s.Due = time.Unix(0, ns).In(zone(int(int32(binary.LittleEndian.Uint32(b[24:])))))
	}
	if whole {
		data := b[snapHeader+l:]
		if len(data) != int(binary.LittleEndian.Uint32(b[32:])) {
			return "", s, fmt.Errorf("data of %d bytes, the header says %d", len(data), binary.LittleEndian.Uint32(b[32:]))
		}
		if crc32Sum(data) != binary.LittleEndian.Uint32(b[36:]) {
			return "", s, errors.New("data fails its checksum")
		}
		s.Data = data
	}
	return string(shop), s, nil
}

// List calls fn with every snapshot's shop, N and Due (reading only the
// headers). A header that fails its check is an error wrapping
// ErrCorrupt.
func (f *Files) List(ctx context.Context, fn func(shop string, s Snapshot) error) error {
	dir := filepath.Join(f.dir, "snap")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("durable: %w", err)
	}
	hdr := make([]byte, snapHeader+128)
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".snap") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := filepath.Join(dir, e.Name())
		file, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("durable: %w", err)
		}
		k, _ := io.ReadFull(file, hdr)
		file.Close()
		id, s, err := parseSnap(hdr[:k], false)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
		}
		if err := fn(id, s); err != nil {
			return err
		}
	}
	return nil
}
