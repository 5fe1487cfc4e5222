package queue

import (
	"errors"
	"fmt"
	"iter"

	"github.com/kefu-dev/kefu/queue/internal/rank"
)

// Errors returned by [Pool.Push].
var (
	// ErrDuplicate: an entry with the same key is already in the pool.
	ErrDuplicate = errors.New("queue: duplicate entry")
	// ErrNilEntry: Push was given a nil entry.
	ErrNilEntry = errors.New("queue: nil entry")
)

// Entry is one waiting session. The pool orders entries by Priority
// (higher first), Arrived (earlier first) and Seq (lower first).
type Entry struct {
	// ID is the session's id; the pool does not index it.
	ID string
	// Priority: higher is served first (Q2, P1 priority band).
	Priority int
	// Arrived is when the buyer asked (first message), the Q2 order, in
	// Unix nanoseconds (time.Time.UnixNano): eight bytes instead of
	// twenty-four, and one integer comparison.
	Arrived int64
	// Seq breaks ties; the caller draws it from an increasing counter.
	Seq uint64
}

// Less reports whether a is served before b (Q2). It is a strict total
// order over entries with distinct Seq. A nil entry sorts last.
func Less(a, b *Entry) bool {
	if a == nil || b == nil {
		return a != nil
	}
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	if a.Arrived != b.Arrived {
		return a.Arrived < b.Arrived
	}
	return a.Seq < b.Seq
}

// Pool is an ordered pool of waiting sessions. The zero value is not
// usable; call [New].
type Pool struct {
	t *rank.Tree[*Entry]
}

// New returns an empty pool.
func New() *Pool { return &Pool{t: rank.New(Less)} }

// Len returns the number of waiting entries.
func (p *Pool) Len() int { return p.t.Len() }

// Push adds e. It returns ErrDuplicate if an entry with the same key
// (priority, arrival, seq) is already there, leaving the pool unchanged.
func (p *Pool) Push(e *Entry) error {
	if e == nil {
		return ErrNilEntry
	}
	if old, ok := p.t.Insert(e); !ok {
		return fmt.Errorf("%w: %q has the key of %q", ErrDuplicate, e.ID, old.ID)
	}
	return nil
}

// Delete removes e (found by its key) and reports whether it was there.
func (p *Pool) Delete(e *Entry) bool {
	if e == nil {
		return false
	}
	_, ok := p.t.Delete(e)
	return ok
}

// Contains reports whether e (this very pointer) is in the pool.
func (p *Pool) Contains(e *Entry) bool {
	if e == nil {
		return false
	}
	got, ok := p.t.Get(e)
	return ok && got == e
}

// Min returns the entry to serve next, without removing it.
func (p *Pool) Min() (*Entry, bool) { return p.t.Min() }

// PopMin removes and returns the entry to serve next.
func (p *Pool) PopMin() (*Entry, bool) { return p.t.DeleteMin() }

// Position returns e's 1-based place in line (Q3: "you are number 3"), and
// false if e (this very pointer) is not in the pool. Cost O(log n): the
// tree counts the entries ahead on its way down.
func (p *Pool) Position(e *Entry) (int, bool) {
	if e == nil {
		return 0, false
	}
	got, ahead, ok := p.t.Locate(e)
	if !ok || got != e {
		return 0, false
	}
	return ahead + 1, true
}

// All yields the entries in serving order.
func (p *Pool) All() iter.Seq[*Entry] {
	return func(yield func(*Entry) bool) {
		p.t.Ascend(func(e *Entry) bool { return yield(e) })
	}
}

// Verify checks that the pool iterates in strictly increasing Less order.
// It costs O(n) and is meant for tests and restored states.
func (p *Pool) Verify() error {
	var prev *Entry
	var err error
	p.t.Ascend(func(e *Entry) bool {
		if e == nil {
			err = errors.New("queue: nil entry in pool")
			return false
		}
		if prev != nil && !Less(prev, e) {
			err = fmt.Errorf("queue: %q (prio %d, seq %d) is not before %q (prio %d, seq %d)",
				prev.ID, prev.Priority, prev.Seq, e.ID, e.Priority, e.Seq)
			return false
		}
		prev = e
		return true
	})
	return err
}
