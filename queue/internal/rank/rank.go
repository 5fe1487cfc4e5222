// Package rank is an order-statistic ("counted") B-tree: an ordered set
// that also answers "how many items are less than x" ([Tree.Rank]) and
// "which item is the i-th" ([Tree.At]) in O(log n).
//
// It is a classic B-tree (items in every node, as in google/btree) in
// which every internal node also keeps the number of items in each child
// subtree. Those counts are what google/btree lacks: without them a rank
// is O(rank), a walk over every item before x.
//
// # Layout and memory
//
// A node holds up to 62 items in a fixed array, its item count and a
// pointer to the child part (nil for a leaf); for pointer items a node is
// 512 bytes, one allocation of an exact Go size class. The child part of
// an internal node (63 children and their subtree counts) is a second
// allocation of 1 KiB; one node in 30 to 62 has one.
//
// A full node on the right spine of the tree (the path from the root to
// the greatest item) that receives an item at its very end splits so that
// the left node keeps all but one item and the new right node gets only
// the new item. Items inserted in increasing order therefore leave nodes
// full, not half full: about 8.5 bytes per pointer item instead of 16 or
// more. Every other split is in the middle. Deletion rebalances (borrows
// from a sibling or merges with it) before it descends, so every node
// off the right spine holds at least 30 items, the tree is O(log n) deep
// and memory stays bounded under any sequence of operations.
//
// # Concurrency
//
// A Tree is not safe for concurrent use.
package rank

// maxItems is the capacity of a node. 62 pointer items, the count and the
// child pointer make 512 bytes.
const maxItems = 62

// node is one B-tree node: n items in items[:n], in increasing order;
// items[n:] are zero. A leaf has in == nil.
type node[T any] struct {
	n     int
	items [maxItems]T
	in    *inner[T]
}

// inner is the child part of an internal node with n items: children
// kids[:n+1], where counts[i] is the number of items in the subtree
// kids[i]. kids[n+1:] are nil and counts[n+1:] zero.
type inner[T any] struct {
	kids   [maxItems + 1]*node[T]
	counts [maxItems + 1]int
}

// Tree is an ordered set of items with O(log n) rank. Create it with
// [New]; the zero value is not usable.
type Tree[T any] struct {
	less   func(a, b T) bool
	root   *node[T]
	length int
	max    int // items per node, 3..maxItems (smaller only in tests)
	min    int // items per node off the root and the right spine
}

// New returns an empty tree ordered by less, which must be a strict weak
// order. Two items neither of which is less than the other are equal: the
// tree holds at most one of them.
func New[T any](less func(a, b T) bool) *Tree[T] {
	return newTree(less, maxItems)
}

// newTree returns a tree whose nodes hold at most max items (3..maxItems).
// Tests use small nodes to get deep trees from few items.
func newTree[T any](less func(a, b T) bool, max int) *Tree[T] {
	if max < 3 || max > maxItems {
		panic("rank: node capacity out of range")
	}
	// Two nodes of min items and the separator between them fit in one
	// node: 2*min+1 <= max.
	return &Tree[T]{less: less, max: max, min: (max - 1) / 2}
}

// Len returns the number of items in the tree.
func (t *Tree[T]) Len() int { return t.length }

// find returns the index of the first item of nd not less than x, and
// whether that item equals x.
func (t *Tree[T]) find(nd *node[T], x T) (int, bool) {
	lo, hi := 0, nd.n
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if t.less(nd.items[h], x) {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo, lo < nd.n && !t.less(x, nd.items[lo])
}

// Get returns the item equal to x, if any.
func (t *Tree[T]) Get(x T) (T, bool) {
	for nd := t.root; nd != nil; {
		i, found := t.find(nd, x)
		if found {
			return nd.items[i], true
		}
		if nd.in == nil {
			break
		}
		nd = nd.in.kids[i]
	}
	var zero T
	return zero, false
}

// Rank returns the number of items less than x, and whether an item equal
// to x is in the tree. It costs O(log n).
func (t *Tree[T]) Rank(x T) (int, bool) {
	_, r, ok := t.Locate(x)
	return r, ok
}

// Locate returns the item equal to x, the number of items less than x,
// and whether an item equal to x is in the tree: Get and Rank in one
// descent.
func (t *Tree[T]) Locate(x T) (T, int, bool) {
	r, size := 0, t.length // size: items in the subtree of nd
	for nd := t.root; nd != nil; {
		i, found := t.find(nd, x)
		r += i
		if nd.in == nil {
			if found {
				return nd.items[i], r, true
			}
			break
		}
		r += nd.in.before(i, nd.n, size)
		if found {
			return nd.items[i], r + nd.in.counts[i], true
		}
		nd, size = nd.in.kids[i], nd.in.counts[i]
	}
	var zero T
	return zero, r, false
}

// before returns the number of items in the subtrees left of child i of
// a node with n items and size items below it (its own included). It
// adds up whichever side of i is shorter: the counts are 63 words, eight
// cache lines, and a rank reads half of them at most.
func (in *inner[T]) before(i, n, size int) int {
	if i <= n/2 {
		b := 0
		for _, c := range in.counts[:i] {
			b += c
		}
		return b
	}
	after := 0
	for _, c := range in.counts[i+1 : n+1] {
		after += c
	}
	return size - n - in.counts[i] - after
}

// At returns the item of rank i (0 is the least item), and false if i is
// out of range. It costs O(log n).
func (t *Tree[T]) At(i int) (T, bool) {
	var zero T
	if i < 0 || i >= t.length {
		return zero, false
	}
	nd := t.root
	for nd.in != nil {
		j := 0
		for ; j < nd.n; j++ {
			c := nd.in.counts[j]
			if i < c {
				break
			}
			if i == c {
				return nd.items[j], true
			}
			i -= c + 1
		}
		nd = nd.in.kids[j]
	}
	return nd.items[i], true
}

// Min returns the least item, and false if the tree is empty.
func (t *Tree[T]) Min() (T, bool) {
	nd := t.root
	if nd == nil {
		var zero T
		return zero, false
	}
	for nd.in != nil {
		nd = nd.in.kids[0]
	}
	return nd.items[0], true
}

// Max returns the greatest item, and false if the tree is empty.
func (t *Tree[T]) Max() (T, bool) {
	nd := t.root
	if nd == nil {
		var zero T
		return zero, false
	}
	for nd.in != nil {
		nd = nd.in.kids[nd.n]
	}
	return nd.items[nd.n-1], true
}

// Ascend calls fn for every item in increasing order until fn returns
// false.
func (t *Tree[T]) Ascend(fn func(T) bool) {
	if t.root != nil {
		ascend(t.root, fn)
	}
}

// AscendLessThan calls fn for every item less than pivot, in increasing
// order, until fn returns false.
func (t *Tree[T]) AscendLessThan(pivot T, fn func(T) bool) {
	t.Ascend(func(x T) bool { return t.less(x, pivot) && fn(x) })
}

func ascend[T any](nd *node[T], fn func(T) bool) bool {
	for i := 0; i < nd.n; i++ {
		if nd.in != nil && !ascend(nd.in.kids[i], fn) {
			return false
		}
		if !fn(nd.items[i]) {
			return false
		}
	}
	return nd.in == nil || ascend(nd.in.kids[nd.n], fn)
}

// Insert adds x and returns (zero, true), or, if an item equal to x is
// already in the tree, returns that item and false and leaves the tree
// unchanged.
func (t *Tree[T]) Insert(x T) (T, bool) {
	var zero T
	if t.root == nil {
		t.root = &node[T]{n: 1}
		t.root.items[0] = x
		t.length = 1
		return zero, true
	}
	old, dup, up, right, rsize := t.insert(t.root, x, true)
	if dup {
		return old, false
	}
	t.length++
	if right != nil {
		left := t.root
		root := &node[T]{n: 1, in: &inner[T]{}}
		root.items[0] = up
		root.in.kids[0], root.in.kids[1] = left, right
		root.in.counts[0], root.in.counts[1] = t.length-1-rsize, rsize
		t.root = root
	}
	return zero, true
}

// insert adds x to the subtree nd. spine tells whether nd is on the right
// spine. It returns the item equal to x if there is one (dup), or, if nd
// had to split, the separator up and the new right sibling with its
// subtree size rsize; nd keeps the left part.
func (t *Tree[T]) insert(nd *node[T], x T, spine bool) (old T, dup bool, up T, right *node[T], rsize int) {
	i, found := t.find(nd, x)
	if found {
		return nd.items[i], true, up, nil, 0
	}
	spine = spine && i == nd.n
	if nd.in == nil {
		if nd.n < t.max {
			insertAt(nd.items[:nd.n+1], i, x)
			nd.n++
			return
		}
		up, right = t.split(nd, i, x, spine)
		return old, false, up, right, right.n
	}
	old, dup, cup, cright, crsize := t.insert(nd.in.kids[i], x, spine)
	if dup {
		return old, true, up, nil, 0
	}
	if cright == nil {
		nd.in.counts[i]++
		return
	}
	// Child i split into kids[i] (left), cup and cright. Its subtree had
	// counts[i] items and now has one more.
	nd.in.counts[i] -= crsize
	if nd.n < t.max {
		insertAt(nd.items[:nd.n+1], i, cup)
		insertAt(nd.in.kids[:nd.n+2], i+1, cright)
		insertAt(nd.in.counts[:nd.n+2], i+1, crsize)
		nd.n++
		return
	}
	m := t.splitAt(i, spine)
	right = &node[T]{in: &inner[T]{}}
	splitInsert(nd.in.kids[:t.max+1], i+1, cright, m+1, right.in.kids[:t.max+1-m])
	splitInsert(nd.in.counts[:t.max+1], i+1, crsize, m+1, right.in.counts[:t.max+1-m])
	up = t.splitItems(nd, right, i, cup, m)
	rsize = right.n
	for _, c := range right.in.counts[:right.n+1] {
		rsize += c
	}
	return old, false, up, right, rsize
}

// splitAt returns how many items the left node keeps when a full node
// splits to take a new item at index i: all but one at the very end of
// the right spine (items arriving in increasing order), half otherwise.
func (t *Tree[T]) splitAt(i int, spine bool) int {
	if spine && i == t.max {
		return t.max - 1
	}
	return t.max / 2
}

// split splits the full leaf nd to insert x at index i.
func (t *Tree[T]) split(nd *node[T], i int, x T, spine bool) (T, *node[T]) {
	m := t.splitAt(i, spine)
	right := &node[T]{}
	up := t.splitItems(nd, right, i, x, m)
	return up, right
}

// splitItems splits the items of the full node nd, with x inserted at i,
// into m items kept in nd, a separator it returns, and the rest in right.
func (t *Tree[T]) splitItems(nd, right *node[T], i int, x T, m int) T {
	splitInsert(nd.items[:t.max], i, x, m+1, right.items[:t.max-m])
	up := nd.items[m]
	var zero T
	nd.items[m] = zero
	nd.n, right.n = m, t.max-m
	return up
}

// insertAt inserts v at index i of s, shifting s[i:len(s)-1] right by one
// (the last element of s is free).
func insertAt[E any](s []E, i int, v E) {
	copy(s[i+1:], s[i:len(s)-1])
	s[i] = v
}

// removeAt removes s[i], shifting the rest left, and zeroes the last
// element.
func removeAt[E any](s []E, i int) {
	copy(s[i:], s[i+1:])
	var zero E
	s[len(s)-1] = zero
}

// splitInsert views the full slice a with v inserted at index i as one
// sequence s of len(a)+1 elements; it leaves s[:k] in a[:k], copies s[k:]
// to dst (len(dst) == len(a)+1-k) and zeroes a[k:].
func splitInsert[E any](a []E, i int, v E, k int, dst []E) {
	if i < k {
		// v goes left: dst is a[k-1:], then a shifts right from i.
		copy(dst, a[k-1:])
		copy(a[i+1:k], a[i:k-1])
		a[i] = v
	} else {
		// v goes right.
		j := i - k
		copy(dst[:j], a[k:i])
		dst[j] = v
		copy(dst[j+1:], a[i:])
	}
	clear(a[k:])
}

// removal says what remove takes out.
type removal int

const (
	removeItem removal = iota // the item equal to x
	removeMin                 // the least item
	removeMax                 // the greatest item
)

// Delete removes the item equal to x and returns it, and false if there
// is none.
func (t *Tree[T]) Delete(x T) (T, bool) { return t.delete(x, removeItem) }

// DeleteMin removes and returns the least item, and false if the tree is
// empty.
func (t *Tree[T]) DeleteMin() (T, bool) {
	var zero T
	return t.delete(zero, removeMin)
}

// DeleteMax removes and returns the greatest item, and false if the tree
// is empty.
func (t *Tree[T]) DeleteMax() (T, bool) {
	var zero T
	return t.delete(zero, removeMax)
}

func (t *Tree[T]) delete(x T, typ removal) (T, bool) {
	if t.root == nil {
		var zero T
		return zero, false
	}
	out, ok := t.remove(t.root, x, typ)
	if ok {
		t.length--
	}
	if t.root.n == 0 {
		if t.root.in == nil {
			t.root = nil
		} else {
			t.root = t.root.in.kids[0]
		}
	}
	return out, ok
}

// remove takes an item out of the subtree nd. Before it descends into a
// child with only min items it moves an item into that child (grow), so
// the child can lose one.
func (t *Tree[T]) remove(nd *node[T], x T, typ removal) (T, bool) {
	var zero T
	for {
		var i int
		found := false
		switch typ {
		case removeMin:
			i = 0
		case removeMax:
			i = nd.n
		default:
			i, found = t.find(nd, x)
		}
		if nd.in == nil {
			switch typ {
			case removeMax:
				i = nd.n - 1
				found = i >= 0
			case removeMin:
				found = nd.n > 0
			}
			if !found {
				return zero, false
			}
			out := nd.items[i]
			removeAt(nd.items[:nd.n], i)
			nd.n--
			return out, true
		}
		if nd.in.kids[i].n <= t.min {
			t.grow(nd, i)
			continue
		}
		child := nd.in.kids[i]
		if found {
			// x is here: replace it by its predecessor, the greatest
			// item of child i.
			out := nd.items[i]
			nd.items[i], _ = t.remove(child, zero, removeMax)
			nd.in.counts[i]--
			return out, true
		}
		out, ok := t.remove(child, x, typ)
		if ok {
			nd.in.counts[i]--
		}
		return out, ok
	}
}

// grow gives child i of nd, which has min items or fewer, one more: it
// borrows an item through the separator from a sibling with more than
// min items, or else merges the child with a sibling and their separator
// (both have min items or fewer, so they fit in one node).
func (t *Tree[T]) grow(nd *node[T], i int) {
	var zero T
	in := nd.in
	child := in.kids[i]
	if i > 0 && in.kids[i-1].n > t.min {
		// Borrow the greatest item of the left sibling.
		left := in.kids[i-1]
		insertAt(child.items[:child.n+1], 0, nd.items[i-1])
		nd.items[i-1] = left.items[left.n-1]
		left.items[left.n-1] = zero
		moved := 1
		if left.in != nil {
			insertAt(child.in.kids[:child.n+2], 0, left.in.kids[left.n])
			insertAt(child.in.counts[:child.n+2], 0, left.in.counts[left.n])
			moved += left.in.counts[left.n]
			left.in.kids[left.n], left.in.counts[left.n] = nil, 0
		}
		left.n--
		child.n++
		in.counts[i-1] -= moved
		in.counts[i] += moved
		return
	}
	if i < nd.n && in.kids[i+1].n > t.min {
		// Borrow the least item of the right sibling.
		right := in.kids[i+1]
		child.items[child.n] = nd.items[i]
		nd.items[i] = right.items[0]
		removeAt(right.items[:right.n], 0)
		moved := 1
		if right.in != nil {
			child.in.kids[child.n+1] = right.in.kids[0]
			child.in.counts[child.n+1] = right.in.counts[0]
			moved += right.in.counts[0]
			removeAt(right.in.kids[:right.n+1], 0)
			removeAt(right.in.counts[:right.n+1], 0)
		}
		right.n--
		child.n++
		in.counts[i+1] -= moved
		in.counts[i] += moved
		return
	}
	// Merge child i and child i+1 (or i-1 and i for the last child).
	if i == nd.n {
		i--
	}
	left, right := in.kids[i], in.kids[i+1]
	left.items[left.n] = nd.items[i]
	copy(left.items[left.n+1:], right.items[:right.n])
	if left.in != nil {
		copy(left.in.kids[left.n+1:], right.in.kids[:right.n+1])
		copy(left.in.counts[left.n+1:], right.in.counts[:right.n+1])
	}
	left.n += 1 + right.n
	in.counts[i] += 1 + in.counts[i+1]
	removeAt(nd.items[:nd.n], i)
	removeAt(in.kids[:nd.n+1], i+1)
	removeAt(in.counts[:nd.n+1], i+1)
	nd.n--
}
