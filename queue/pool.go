package queue

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"slices"

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
	return cmpEntry(a, b) < 0
}

// cmpEntry is the Q2 order of two non-nil entries as a three-way
// comparison: Less and the slice's binary search both use it.
func cmpEntry(a, b *Entry) int {
	switch {
	case a.Priority != b.Priority:
		return cmp.Compare(b.Priority, a.Priority)
	case a.Arrived != b.Arrived:
		return cmp.Compare(a.Arrived, b.Arrived)
	}
	return cmp.Compare(a.Seq, b.Seq)
}

// smallPool is the most entries a pool keeps in a sorted slice; a larger
// pool moves to the counted B-tree, and back when it shrinks to half of
// this. A small shop's queue holds a few buyers: a slice of a few
// pointers instead of a 512-byte tree node, and a position is the index a
// binary search finds.
const smallPool = 64

// Pool is an ordered pool of waiting sessions. The zero value is not
// usable; call [New].
type Pool struct {
	small []*Entry           // sorted, while t is nil
	t     *rank.Tree[*Entry] // a large pool
	order Order              // the serving order (Q2; E6 aging)
}

// New returns an empty pool in Q2's order.
func New() *Pool { return &Pool{} }

// NewOrdered returns an empty pool in order o (E6: aging).
func NewOrdered(o Order) *Pool { return &Pool{order: o} }

// Order returns the pool's serving order.
func (p *Pool) Order() Order { return p.order }

// Len returns the number of waiting entries.
func (p *Pool) Len() int {
	if p.t != nil {
		return p.t.Len()
	}
	return len(p.small)
}

// search returns where x is or would be in the slice.
func (p *Pool) search(e *Entry) (int, bool) {
	if p.order.Aging <= 0 { // Q2: the plain function, which the compiler inlines
		return slices.BinarySearchFunc(p.small, e, cmpEntry)
	}
	return slices.BinarySearchFunc(p.small, e, p.order.Compare)
}

// Push adds e. It returns ErrDuplicate if an entry with the same key
// (priority, arrival, seq) is already there, leaving the pool unchanged.
func (p *Pool) Push(e *Entry) error {
	if e == nil {
		return ErrNilEntry
	}
	x := e
	if p.t != nil {
		if old, ok := p.t.Insert(x); !ok {
			return fmt.Errorf("%w: %q has the key of %q", ErrDuplicate, e.ID, old.ID)
		}
		return nil
	}
	i, found := p.search(x)
	if found {
		return fmt.Errorf("%w: %q has the key of %q", ErrDuplicate, e.ID, p.small[i].ID)
	}
	if len(p.small) == smallPool {
		less := Less // Q2: a plain function, not a method value
		if p.order.Aging > 0 {
			less = p.order.Less
		}
		p.t = rank.New(less)
		for _, y := range p.small { // in order: the tree keeps its nodes full
			p.t.Insert(y)
		}
		p.small = nil
		p.t.Insert(x)
		return nil
	}
	p.small = slices.Insert(p.small, i, x)
	return nil
}

// Delete removes e (found by its key) and reports whether it was there.
func (p *Pool) Delete(e *Entry) bool {
	if e == nil {
		return false
	}
	x := e
	if p.t != nil {
		_, ok := p.t.Delete(x)
		p.shrink()
		return ok
	}
	i, found := p.search(x)
	if found {
		p.small = slices.Delete(p.small, i, i+1)
	}
	return found
}

// shrink moves a large pool that fell to half of smallPool back to a
// slice.
func (p *Pool) shrink() {
	if p.t.Len() > smallPool/2 {
		return
	}
	small := make([]*Entry, 0, smallPool/2+1)
	p.t.Ascend(func(x *Entry) bool { small = append(small, x); return true })
	p.t, p.small = nil, small
}

// Contains reports whether e (this very pointer) is in the pool.
func (p *Pool) Contains(e *Entry) bool {
	if e == nil {
		return false
	}
	if p.t != nil {
		got, ok := p.t.Get(e)
		return ok && got == e
	}
	i, found := p.search(e)
	return found && p.small[i] == e
}

// Min returns the entry to serve next, without removing it.
func (p *Pool) Min() (*Entry, bool) {
	if p.t != nil {
		return p.t.Min()
	}
	if len(p.small) == 0 {
		return nil, false
	}
	return p.small[0], true
}

// PopMin removes and returns the entry to serve next.
func (p *Pool) PopMin() (*Entry, bool) {
	if p.t != nil {
		x, ok := p.t.DeleteMin()
		p.shrink()
		return x, ok
	}
	if len(p.small) == 0 {
		return nil, false
	}
	e := p.small[0]
	p.small = slices.Delete(p.small, 0, 1)
	return e, true
}

// Position returns e's 1-based place in line (Q3: "you are number 3"), and
// false if e (this very pointer) is not in the pool. Cost O(log n): the
// tree counts the entries ahead on its way down.
func (p *Pool) Position(e *Entry) (int, bool) {
	if e == nil {
		return 0, false
	}
	if p.t != nil {
		got, ahead, ok := p.t.Locate(e)
		if !ok || got != e {
			return 0, false
		}
		return ahead + 1, true
	}
	i, found := p.search(e)
	if !found || p.small[i] != e {
		return 0, false
	}
	return i + 1, true
}

// All yields the entries in serving order.
func (p *Pool) All() iter.Seq[*Entry] {
	return func(yield func(*Entry) bool) {
		if p.t != nil {
			p.t.Ascend(yield)
			return
		}
		for _, x := range p.small {
			if !yield(x) {
				return
			}
		}
	}
}

// Verify checks that the pool iterates in strictly increasing Less order.
// It costs O(n) and is meant for tests and restored states.
func (p *Pool) Verify() error {
	if p.t != nil && p.t.Len() <= smallPool/2 {
		return fmt.Errorf("queue: a tree of %d entries, below the slice's %d", p.t.Len(), smallPool/2)
	}
	if p.t == nil && len(p.small) > smallPool {
		return fmt.Errorf("queue: a slice of %d entries, above %d", len(p.small), smallPool)
	}
	var prev *Entry
	var err error
	ascend := func(f func(*Entry) bool) {
		if p.t != nil {
			p.t.Ascend(f)
			return
		}
		for _, x := range p.small {
			if !f(x) {
				return
			}
		}
	}
	ascend(func(e *Entry) bool {
		if e == nil {
			err = errors.New("queue: nil entry in pool")
			return false
		}
		if prev != nil && !p.order.Less(prev, e) {
			err = fmt.Errorf("queue: %q (prio %d, seq %d) is not before %q (prio %d, seq %d)",
				prev.ID, prev.Priority, prev.Seq, e.ID, e.Priority, e.Seq)
			return false
		}
		prev = e
		return true
	})
	return err
}
