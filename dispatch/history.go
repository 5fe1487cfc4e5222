package dispatch

import "fmt"

// closed is a Closed record as the history keeps it, by value, in 64
// bytes (Closed takes 120): times in Unix nanoseconds, like a session's,
// and the session's sequence, close reason and flags packed in one word.
type closed struct {
	session, buyer       string
	arrived, lastMsg, at int64
	// key is seq<<16 | reason<<8 | flags. Sequences are unique, so keys
	// compare as their sequences do; 48 bits number 2.8e14 sessions.
	key uint64
}

func newClosed(session, buyer string, arrived, lastMsg, at int64, seq uint64, r CloseReason, f Flags) closed {
	return closed{session: session, buyer: buyer, arrived: arrived, lastMsg: lastMsg, at: at,
		key: seq<<16 | uint64(r)<<8 | uint64(f)}
}

func (c *closed) seq() uint64         { return c.key >> 16 }
func (c *closed) reason() CloseReason { return CloseReason(c.key >> 8) }
func (c *closed) flags() Flags        { return Flags(c.key) }

// newer is the L4 order of a history (历史会话按照最新消息时间由近及远排序):
// a is shown before b when its last message is later; ties go to the
// session opened later.
func newer(a, b *closed) bool {
	if a.lastMsg != b.lastMsg {
		return a.lastMsg > b.lastMsg
	}
	return a.key > b.key
}

// history is an agent's closed sessions, at most a limit of them, in a
// ring oldest first. A session usually closes with the latest last
// message of the agent's history, or close to it, so adding one writes at
// the tail, shifting the few newer records if any, and dropping the oldest
// moves the head: no search through scattered nodes, no per-record
// allocation. A page reads the ring backwards from the tail.
//
// Cost: add is O(1) when the record is the newest, else O(log n + k) for
// k records newer than it (n at worst); at(i) is O(1).
type history struct {
	buf  []closed // the ring; grows by doubling up to the limit
	head int      // index in buf of the oldest record
	n    int      // records held
}

// Len returns the number of records held.
func (h *history) Len() int { return h.n }

// at returns the i-th record oldest first, 0 <= i < n.
func (h *history) at(i int) *closed {
	i += h.head
	if i >= len(h.buf) {
		i -= len(h.buf)
	}
	return &h.buf[i]
}

// shown returns the i-th record in L4 order (newest first).
func (h *history) shown(i int) closed { return *h.at(h.n - 1 - i) }

// add records c, keeping at most limit (>= 1) records: the oldest beyond
// it is dropped, which may be c itself, and returned.
func (h *history) add(c closed, limit int) (dropped closed, ok bool) {
	// j: the number of records older than c. Usually all of them: one
	// look at the tail, the record the ring wrote last, settles it.
	j := h.n
	if h.n > 0 && !newer(&c, h.at(h.n-1)) {
		lo, hi := 0, h.n-1
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if newer(&c, h.at(m)) {
				lo = m + 1
			} else {
				hi = m
			}
		}
		j = lo
	}
	if h.n >= limit {
		if j == 0 {
			return c, true // older than every record kept: it is the one dropped
		}
		dropped, ok = h.dropOldest(), true
		j--
	}
	if h.n == len(h.buf) {
		h.grow(limit)
	}
	// Shift the records newer than c up one place, walking the ring.
	size := len(h.buf)
	to := h.head + h.n
	if to >= size {
		to -= size
	}
	for k := h.n; k > j; k-- {
		from := to - 1
		if from < 0 {
			from += size
		}
		h.buf[to] = h.buf[from]
		to = from
	}
	h.buf[to] = c
	h.n++
	return dropped, ok
}

// dropOldest removes and returns the oldest record; n > 0.
func (h *history) dropOldest() closed {
	c := *h.at(0)
	*h.at(0) = closed{}
	h.head++
	if h.head == len(h.buf) {
		h.head = 0
	}
	h.n--
	return c
}

// grow makes room for one more record, up to limit, with the records in
// order from index 0.
func (h *history) grow(limit int) {
	size := min(max(4, 2*len(h.buf)), max(limit, h.n+1))
	buf := make([]closed, size)
	for i := range h.n {
		buf[i] = *h.at(i)
	}
	h.buf, h.head = buf, 0
}

// verify checks that the records are in strictly increasing L4 age and at
// most limit.
func (h *history) verify(limit int) error {
	if h.n > limit {
		return fmt.Errorf("keeps %d closed sessions, limit %d", h.n, limit)
	}
	for i := 1; i < h.n; i++ {
		if !newer(h.at(i), h.at(i-1)) {
			return fmt.Errorf("history out of L4 order at %q, %q", h.at(i-1).session, h.at(i).session)
		}
	}
	return nil
}
