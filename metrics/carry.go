package metrics

import (
	"math"
	"slices"
	"sort"
	"time"
)

// The max queue length of the hourly report (M5) carries into the hours
// the queue waits through with no event: an hour's MaxQueue is the
// longest the queue was during it, so a queue of 2 from 09:10 to 14:20
// shows 2 in every hour from 09 to 14. The recorder walks the hours
// forward when time moves on (Advance, the next event), from qEnd, the
// end of the last hour that saw the current length.
//
// Hours of days that have a bucket (and of the day time moved to) take
// the length in their rows, as events do. A run of days with no bucket
// is not given buckets, which would cost a day's rows each and let one
// time far ahead (a host's bad clock: year 2262) create a bucket for
// every day in between (~90,000 of them). It is one span of carried
// instead: "the queue was at least n from instant from to instant to",
// whatever its length, and the hourly report of such a day reads its
// hours from the spans (Recorder.Hourly). So the recorder keeps only the
// days that hold data, and walking a gap costs O(kept days), not O(days
// in the gap).

// span says the queue was at least n through the instants [from, to).
type span struct {
	from, to instant
	n        int
}

// spans are disjoint spans in time order; two that touch have different
// lengths (else they are one).
type spans []span

// carry records the queue length, unchanged since qEnd, as the max queue
// of every hour from qEnd through at's hour, and moves qEnd past at.
func (r *Recorder) carry(at instant) {
	atDate, _, atStart, _ := r.hourAt(at)
	for r.queueLen > 0 && at >= r.qEnd {
		date := r.dateOf(r.qEnd)
		if date == atDate || r.days[date] != nil {
			d, h, end := r.locate(r.qEnd)
			r.seeQueue(d, h)
			if end <= r.qEnd { // the end of time (2262)
				break
			}
			r.qEnd = end
			continue
		}
		// Days with no bucket, up to the next day that has one, at's
		// day, or the first day not forgotten.
		next := atDate
		for k := range r.days {
			if date.Before(k) && k.Before(next) {
				next = k
			}
		}
		if date.Before(r.floor) && r.floor.Before(next) {
			next = r.floor
		}
		to := min(r.dayStart(next), atStart)
		if to <= r.qEnd { // a zone whose days do not start as time.Date says: one hour
			_, _, _, to = r.hourAt(r.qEnd)
		}
		if !date.Before(r.floor) {
			r.carried.raise(r.qEnd, to, r.queueLen)
		}
		r.qEnd = to
	}
}

// dateOf returns the local date of t.
func (r *Recorder) dateOf(t instant) Date {
	y, m, d := r.timeOf(t).Date()
	return Date{y, m, d}
}

var endOfTime = time.Unix(0, math.MaxInt64)

// dayStart returns the first instant of day d (of the first day after it,
// if no instant is on d), saturated to the instants' range.
func (r *Recorder) dayStart(d Date) instant {
	t := d.Start(r.loc)
	// time.Date of a midnight that a DST change skips may give an instant
	// of the day before: the day starts at the change.
	for i := 0; i < 4 && DateOf(t, r.loc).Before(d); i++ {
		_, end := t.ZoneBounds()
		if !end.After(t) {
			break
		}
		t = end
	}
	if t.After(endOfTime) {
		return math.MaxInt64
	}
	if t.Before(time.Unix(0, math.MinInt64)) {
		return math.MinInt64
	}
	return inst(t)
}

// raise records that the queue was at least n through [from, to).
func (c *spans) raise(from, to instant, n int) {
	if from >= to || n <= 0 {
		return
	}
	x := *c
	if k := len(x); k == 0 || x[k-1].to <= from { // after the last: the usual case
		if k > 0 && x[k-1].to == from && x[k-1].n == n {
			x[k-1].to = to
			return
		}
		*c = append(x, span{from, to, n})
		return
	}
	// Time went back (an event out of order): rebuild the spans that
	// overlap [from, to).
	i := sort.Search(len(x), func(i int) bool { return x[i].to > from })
	j := sort.Search(len(x), func(i int) bool { return x[i].from >= to })
	var mid []span
	at := from
	for _, s := range x[i:j] {
		if s.from < from {
			mid = append(mid, span{s.from, from, s.n})
		}
		if s.from > at {
			mid = append(mid, span{at, s.from, n})
		}
		lo, hi := max(s.from, from), min(s.to, to)
		mid = append(mid, span{lo, hi, max(s.n, n)})
		at = hi
		if s.to > to {
			mid = append(mid, span{to, s.to, s.n})
		}
	}
	if at < to {
		mid = append(mid, span{at, to, n})
	}
	out := slices.Concat(x[:i], mid, x[j:])
	// Join the spans that touch with the same length.
	k := 0
	for _, s := range out {
		if k > 0 && out[k-1].to == s.from && out[k-1].n == s.n {
			out[k-1].to = s.to
			continue
		}
		out[k] = s
		k++
	}
	*c = out[:k]
}

// forget drops the spans that end by start.
func (c *spans) forget(start instant) {
	i := sort.Search(len(*c), func(i int) bool { return (*c)[i].to > start })
	*c = slices.Delete(*c, 0, i)
	if len(*c) == 0 {
		*c = nil
	}
}

// check reports what is wrong with the spans, if anything.
func (c spans) check() string {
	for i, s := range c {
		switch {
		case s.from >= s.to || s.n <= 0 || s.n > maxCount:
			return "empty, or length out of range"
		case i > 0 && c[i-1].to > s.from:
			return "out of order or overlapping"
		case i > 0 && c[i-1].to == s.from && c[i-1].n == s.n:
			return "touching with the same length: not joined"
		}
	}
	return ""
}

// carriedInto raises the max queue of the hours of report x, of day d,
// to the lengths carried through them.
func (r *Recorder) carriedInto(x *Hourly, d Date) {
	if len(r.carried) == 0 || d.Before(r.floor) {
		return
	}
	start, end := r.dayStart(d), r.dayStart(d.AddDays(1))
	c := r.carried
	for i := sort.Search(len(c), func(i int) bool { return c[i].to > start }); i < len(c) && c[i].from < end; i++ {
		s := c[i]
		for t := max(s.from, start); t < min(s.to, end); {
			date, h, _, e := r.hourAt(t)
			if date == d {
				x.Hours[h].MaxQueue = max(x.Hours[h].MaxQueue, s.n)
				x.Total.MaxQueue = max(x.Total.MaxQueue, s.n)
			}
			if e <= t {
				break
			}
			t = e
		}
	}
}
