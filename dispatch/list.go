package dispatch

import (
	"cmp"
	"slices"

	"github.com/google/btree"
)

// listed is a session in a list with its L4 key copied in, so that a
// search compares keys in the node it reads instead of loading every
// session it passes (a cache miss each, with a million sessions open).
//
// The key is 16 bytes: rank is the session's sequence, with the top bit
// set for a replied session (they come after the unreplied ones); at is
// since when an unreplied session has waited, or minus a replied
// session's last message time (the newest first).
type listed struct {
	at   int64
	rank uint64
	s    *session
}

const repliedBit = 1 << 63

// listKey returns s's entry in its agent's list, from its current fields.
func listKey(s *session) listed {
	if s.waitSince != 0 {
		return listed{at: s.waitSince, rank: s.entry.Seq, s: s}
	}
	return listed{at: -s.lastMsg, rank: repliedBit | s.entry.Seq, s: s}
}

// lessInList is the L4 order of the current list (Feige 004, Kuaishou
// "longest wait"): unreplied sessions first, the one waiting longest
// first; then replied sessions, the newest last message first; ties by
// sequence.
func lessInList(a, b listed) bool { return cmpInList(a, b) < 0 }

// cmpInList is lessInList as a three-way comparison.
func cmpInList(a, b listed) int {
	if ar, br := a.rank&repliedBit, b.rank&repliedBit; ar != br {
		return cmp.Compare(ar, br)
	}
	if a.at != b.at {
		return cmp.Compare(a.at, b.at)
	}
	return cmp.Compare(a.rank, b.rank)
}

// smallList is the most sessions an agent's list keeps in a sorted slice;
// a longer list moves to a B-tree, and back when it shrinks to half of
// this. Real agents hold a few to a few tens of sessions (caps of 5-30),
// where a slice is both smaller (32 bytes per session, no nodes) and
// faster (one binary search over contiguous keys, a short memmove) than a
// tree; an unlimited agent on a sale day may hold thousands, where the
// tree's O(log n) wins. BenchmarkListInsertDelete measures the crossing.
const smallList = 128

// sessionList is an agent's current sessions in the L4 order (lessInList):
// a sorted slice while small, a B-tree when large. The zero value is an
// empty list.
type sessionList struct {
	small []listed              // sorted, while big is nil
	big   *btree.BTreeG[listed] //
}

// Len returns the number of sessions listed.
func (l *sessionList) Len() int {
	if l.big != nil {
		return l.big.Len()
	}
	return len(l.small)
}

// search returns where x is or would be in the slice.
func (l *sessionList) search(x listed) (int, bool) {
	return slices.BinarySearchFunc(l.small, x, cmpInList)
}

// Insert adds x, which is not in the list.
func (l *sessionList) Insert(x listed) {
	if l.big != nil {
		l.big.ReplaceOrInsert(x)
		return
	}
	if len(l.small) == smallList {
		l.big = btree.NewG(16, lessInList)
		for _, y := range l.small {
			l.big.ReplaceOrInsert(y)
		}
		l.small = nil
		l.big.ReplaceOrInsert(x)
		return
	}
	i, _ := l.search(x)
	if len(l.small) == cap(l.small) { // grow by a quarter, not double: lists stay near an agent's cap
		l.small = append(make([]listed, 0, len(l.small)+max(4, len(l.small)/4)), l.small...)
	}
	l.small = slices.Insert(l.small, i, x)
}

// Delete removes x, found by its key.
func (l *sessionList) Delete(x listed) {
	if l.big != nil {
		l.big.Delete(x)
		if l.big.Len() <= smallList/2 {
			small := make([]listed, 0, smallList/2+1)
			l.big.Ascend(func(y listed) bool { small = append(small, y); return true })
			l.big, l.small = nil, small
		}
		return
	}
	if i, ok := l.search(x); ok {
		l.small = slices.Delete(l.small, i, i+1)
	}
}

// Min returns the first session in L4 order.
func (l *sessionList) Min() (listed, bool) {
	if l.big != nil {
		return l.big.Min()
	}
	if len(l.small) == 0 {
		return listed{}, false
	}
	return l.small[0], true
}

// Ascend calls f on each session in L4 order until f returns false.
func (l *sessionList) Ascend(f func(listed) bool) {
	if l.big != nil {
		l.big.Ascend(f)
		return
	}
	for _, x := range l.small {
		if !f(x) {
			return
		}
	}
}
