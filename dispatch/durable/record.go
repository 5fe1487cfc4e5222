package durable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/dispatch"
)

// The on-disk form of a log record (segment files):
//
//	length  uint32 LE   length of body
//	crc     uint32 LE   CRC-32C (Castagnoli) of body
//	body:
//	  type  byte        recOp or recTrim
//	  shop  uvarint length, then the id's bytes
//	  n     uvarint     the op's number (recTrim: trimmed through)
//	  recOp only:
//	  at    int64 LE    Unix nanoseconds
//	  zone  int32 LE    the time's UTC offset, seconds
//	  op    the rest    the op's wire form (dispatch.Op.MarshalJSON)
const (
	frameHeader = 8
	recOp       = 1
	recTrim     = 2
	// maxBody bounds a record so that a corrupt length cannot make
	// recovery allocate gigabytes; an op (a policy with its groups
	// included) is far smaller.
	maxBody = 16 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendOp appends the framed record of op n of shop to b.
func appendOp(b []byte, shop string, r *Record) ([]byte, error) {
	js, err := r.Op.MarshalJSON()
	if err != nil {
		return b, err
	}
	start := len(b)
	b = append(b, make([]byte, frameHeader)...)
	b = append(b, recOp)
	b = binary.AppendUvarint(b, uint64(len(shop)))
	b = append(b, shop...)
	b = binary.AppendUvarint(b, r.N)
	_, off := r.At.Zone()
	b = binary.LittleEndian.AppendUint64(b, uint64(r.At.UnixNano()))
	b = binary.LittleEndian.AppendUint32(b, uint32(int32(off)))
	b = append(b, js...)
	return seal(b, start)
}

// appendTrim appends the framed trim record of shop through n to b.
func appendTrim(b []byte, shop string, n uint64) []byte {
	start := len(b)
	b = append(b, make([]byte, frameHeader)...)
	b = append(b, recTrim)
	b = binary.AppendUvarint(b, uint64(len(shop)))
	b = append(b, shop...)
	b = binary.AppendUvarint(b, n)
	b, _ = seal(b, start)
	return b
}

// seal fills in the frame header of the record starting at start.
func seal(b []byte, start int) ([]byte, error) {
	body := b[start+frameHeader:]
	if len(body) > maxBody {
		return b[:start], fmt.Errorf("%w: record of %d bytes (at most %d)", dispatch.ErrInvalidOp, len(body), maxBody)
	}
	binary.LittleEndian.PutUint32(b[start:], uint32(len(body)))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(body, castagnoli))
	return b, nil
}

// frame reads the frame header at the start of b: the body's length and
// checksum.
func frame(b []byte) (n int, sum uint32) {
	return int(binary.LittleEndian.Uint32(b)), binary.LittleEndian.Uint32(b[4:])
}

// entry is a decoded record body.
type entry struct {
	typ  byte
	shop []byte // aliases the body
	n    uint64
	at   time.Time
	op   []byte // the op's wire form (recOp)
}

var errBadBody = errors.New("malformed record")

// decode parses a record body whose checksum has been checked. It takes
// only what appendOp and appendTrim write: shortest varints and a valid
// shop id, so that a record read is the bytes it re-encodes to, and the
// log never names a shop the Host refuses.
func decode(body []byte) (entry, error) {
	var e entry
	if len(body) < 1 {
		return e, errBadBody
	}
	e.typ, body = body[0], body[1:]
	l, k := binary.Uvarint(body)
	if k <= 0 || !shortest(l, k) || l > uint64(len(body)-k) || l == 0 || l > 128 {
		return e, errBadBody
	}
	e.shop = body[k : k+int(l)]
	if !utf8.Valid(e.shop) {
		return e, errBadBody
	}
	body = body[k+int(l):]
	e.n, k = binary.Uvarint(body)
	if k <= 0 || !shortest(e.n, k) || e.n == 0 {
		return e, errBadBody
	}
	body = body[k:]
	switch e.typ {
	case recTrim:
		if len(body) != 0 {
			return e, errBadBody
		}
	case recOp:
		if len(body) < 12 {
			return e, errBadBody
		}
		ns := int64(binary.LittleEndian.Uint64(body))
		off := int32(binary.LittleEndian.Uint32(body[8:]))
		e.at = time.Unix(0, ns).In(zone(int(off)))
		e.op = body[12:]
	default:
		return e, errBadBody
	}
	return e, nil
}

// shortest reports whether k bytes are the shortest uvarint of v.
func shortest(v uint64, k int) bool {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v) == k
}

// zone returns a location with this UTC offset: UTC for 0, and one shared
// fixed zone per offset otherwise (instants and offsets survive the log;
// zone names do not, which changes no decision of the engine).
func zone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if l, ok := zones.Load(off); ok {
		return l.(*time.Location)
	}
	l, _ := zones.LoadOrStore(off, time.FixedZone("", off))
	return l.(*time.Location)
}

var zones sync.Map // offset → *time.Location

func crc32Sum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

func crc32Update(c uint32, b []byte) uint32 { return crc32.Update(c, castagnoli, b) }
