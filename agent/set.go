package agent

import (
	"slices"

	"github.com/google/btree"
)

// smallSet is the most agents an index keeps in a sorted slice; a larger
// one moves to a B-tree, and back when it shrinks to half of this. A shop
// has tens of agents, where moving an agent whose load changed is a binary
// search and a short memmove over contiguous pointers, with no node to
// allocate; a call centre of thousands keeps the tree's O(log n).
const smallSet = 64

// set is an ordered set (by cmp, a total order): a sorted slice while
// small, a B-tree when large. The zero value is not usable: make one with
// newSet.
type set[T comparable] struct {
	cmp   func(a, b T) int
	small []T // sorted, while big is nil
	big   *btree.BTreeG[T]
}

func newSet[T comparable](cmp func(a, b T) int) set[T] { return set[T]{cmp: cmp} }

func (s *set[T]) Len() int {
	if s.big != nil {
		return s.big.Len()
	}
	return len(s.small)
}

// search returns the index of the first agent not before a in the slice,
// and whether it is a itself (equal under less).
func (s *set[T]) search(a T) (int, bool) { return slices.BinarySearchFunc(s.small, a, s.cmp) }

// ReplaceOrInsert adds a (replacing an equal agent).
func (s *set[T]) ReplaceOrInsert(a T) {
	if s.big != nil {
		s.big.ReplaceOrInsert(a)
		return
	}
	i, found := s.search(a)
	if found {
		s.small[i] = a
		return
	}
	if len(s.small) == smallSet {
		cmp := s.cmp
		s.big = btree.NewG(degree, func(a, b T) bool { return cmp(a, b) < 0 })
		for _, b := range s.small {
			s.big.ReplaceOrInsert(b)
		}
		s.small = nil
		s.big.ReplaceOrInsert(a)
		return
	}
	s.small = slices.Insert(roomForOne(s.small), i, a)
}

// Fix replaces old, which is in the set, with new, which is not: the move
// of an agent whose load changed. In the slice it is one binary search on
// the side new goes to and one memmove of the items between, not a
// delete and an insert.
func (s *set[T]) Fix(old, new T) {
	if s.big != nil {
		s.big.Delete(old)
		s.big.ReplaceOrInsert(new)
		return
	}
	i, found := s.search(old)
	if !found {
		s.ReplaceOrInsert(new)
		return
	}
	if s.cmp(new, old) > 0 { // later: shift the items after i, up to new's place, down one
		j, _ := slices.BinarySearchFunc(s.small[i+1:], new, s.cmp)
		copy(s.small[i:], s.small[i+1:i+1+j])
		s.small[i+j] = new
		return
	}
	j, _ := slices.BinarySearchFunc(s.small[:i], new, s.cmp)
	copy(s.small[j+1:], s.small[j:i])
	s.small[j] = new
}

// Delete removes the agent equal to a, if any.
func (s *set[T]) Delete(a T) {
	if s.big != nil {
		s.big.Delete(a)
		if s.big.Len() <= smallSet/2 {
			small := make([]T, 0, smallSet/2+1)
			s.big.Ascend(func(b T) bool { small = append(small, b); return true })
			s.big, s.small = nil, small
		}
		return
	}
	if i, found := s.search(a); found {
		s.small = slices.Delete(s.small, i, i+1)
	}
}

// Get returns the agent equal to a.
func (s *set[T]) Get(a T) (T, bool) {
	if s.big != nil {
		return s.big.Get(a)
	}
	if i, found := s.search(a); found {
		return s.small[i], true
	}
	var zero T
	return zero, false
}

// Min returns the first agent.
func (s *set[T]) Min() (T, bool) {
	if s.big != nil {
		return s.big.Min()
	}
	if len(s.small) == 0 {
		var zero T
		return zero, false
	}
	return s.small[0], true
}

// Ascend calls f on each item in order until f returns false.
func (s *set[T]) Ascend(f func(T) bool) {
	if s.big != nil {
		s.big.Ascend(f)
		return
	}
	for _, a := range s.small {
		if !f(a) {
			return
		}
	}
}

// AscendGreaterOrEqual calls f on each item not before pivot, in order,
// until f returns false.
func (s *set[T]) AscendGreaterOrEqual(pivot T, f func(T) bool) {
	if s.big != nil {
		s.big.AscendGreaterOrEqual(pivot, f)
		return
	}
	i, _ := s.search(pivot)
	for _, a := range s.small[i:] {
		if !f(a) {
			return
		}
	}
}

// roomForOne returns s with room for one more element, growing it by a
// quarter rather than append's doubling: a roster's size seldom moves, so
// doubling would leave most of the last growth unused.
func roomForOne[T any](s []T) []T {
	if len(s) < cap(s) {
		return s
	}
	return append(make([]T, 0, len(s)+max(4, len(s)/4)), s...)
}
