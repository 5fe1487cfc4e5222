package queue

import (
	"cmp"
	"math/bits"
	"time"
)

// Order is the serving order of a pool. The zero Order is Q2's: higher
// priority first, then earlier arrival, then lower sequence.
//
// With Aging > 0 (rule E6), a waiting entry's priority rises by one for
// every Aging it has waited, and among entries of equal (aged) priority
// the one that reached it first is served first. That is the order of
// the entries' virtual arrival, Arrived − Priority·Aging, then of Seq:
// an entry of priority p that arrived at a has at time t the level
// ⌊(t − v)/Aging⌋ with v = a − p·Aging, reached at level·Aging + v, so
// comparing v compares levels, then the instants they were reached. The
// order never changes as time passes: a pool is never re-sorted, and a
// push stays O(log n). (Comparing p + ⌊wait/Aging⌋ with ties broken by
// arrival is not such an order: two entries would swap places back and
// forth as they age.)
type Order struct {
	Aging time.Duration
}

// Compare returns the order of a and b: negative if a is served first.
// It is a strict total order over entries with distinct Seq. The
// virtual arrival is compared exactly, in 128 bits: Priority·Aging may
// exceed int64.
func (o Order) Compare(a, b *Entry) int {
	if o.Aging <= 0 {
		return cmpEntry(a, b)
	}
	if c := cmpVirtual(a.Arrived-b.Arrived, int64(a.Priority)-int64(b.Priority), int64(o.Aging)); c != 0 {
		return c
	}
	return cmp.Compare(a.Seq, b.Seq)
}

// Less reports whether a is served before b; a nil entry sorts last.
func (o Order) Less(a, b *Entry) bool {
	if a == nil || b == nil {
		return a != nil
	}
	return o.Compare(a, b) < 0
}

// cmpVirtual returns the sign of dA − dP·step (step > 0): of the
// difference of two virtual arrivals, a.Arrived − a.P·step minus
// b.Arrived − b.P·step. dA is a difference of two positive int64 (it
// fits), dP of two ints below 2^31 in magnitude.
func cmpVirtual(dA, dP, step int64) int {
	// dA − dP·step < 0 ⇔ dA < dP·step. Compare signed 128-bit values.
	neg := dP < 0
	m := uint64(dP)
	if neg {
		m = uint64(-dP)
	}
	hi, lo := bits.Mul64(m, uint64(step)) // |dP|·step, nonnegative
	if neg {                              // two's complement of the 128-bit product
		hi, lo = ^hi, ^lo
		var c uint64
		lo, c = bits.Add64(lo, 1, 0)
		hi += c
	}
	ahi := uint64(0) // dA sign-extended to 128 bits
	if dA < 0 {
		ahi = ^uint64(0)
	}
	alo := uint64(dA)
	// compare (ahi, alo) with (hi, lo) as signed 128-bit integers
	if ahi != hi {
		if int64(ahi) < int64(hi) {
			return -1
		}
		return 1
	}
	return cmp.Compare(alo, lo)
}
