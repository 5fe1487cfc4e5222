package rank

import (
	"fmt"
	"math"
	"reflect"
)

// check verifies every invariant of t and returns the first violation:
//   - length is the number of items; an empty tree has no root;
//   - every node holds 1..max items, in strictly increasing order, between
//     the separators around it; unused item slots are zero;
//   - every node other than the root and those on the right spine holds at
//     least min items;
//   - every internal node has n+1 children, counts[i] is the size of
//     subtree i, unused child slots are nil and zero;
//   - all leaves are at the same depth, and the depth is O(log n).
func (t *Tree[T]) check() error {
	if t.min != (t.max-1)/2 || 2*t.min+1 > t.max {
		return fmt.Errorf("max %d, min %d", t.max, t.min)
	}
	if t.root == nil {
		if t.length != 0 {
			return fmt.Errorf("no root, length %d", t.length)
		}
		return nil
	}
	size, height, err := t.checkNode(t.root, nodePath{}, true, true, nil, nil)
	if err != nil {
		return err
	}
	if size != t.length {
		return fmt.Errorf("length %d, counted %d items", t.length, size)
	}
	// Off the right spine every node has at least min+1 children, and the
	// first child of the root is off the spine.
	bound := 2 + int(math.Ceil(math.Log(float64(size+1))/math.Log(float64(t.min+1))))
	if height > bound {
		return fmt.Errorf("height %d for %d items exceeds %d", height, size, bound)
	}
	return nil
}

// checkNode checks the subtree nd, whose items must lie strictly between
// *lo and *hi (nil: unbounded), and returns its size and height.
func (t *Tree[T]) checkNode(nd *node[T], path nodePath, root, spine bool, lo, hi *T) (size, height int, err error) {
	if nd.n < 1 || nd.n > t.max {
		return 0, 0, fmt.Errorf("%s: %d items (max %d)", path, nd.n, t.max)
	}
	if !root && !spine && nd.n < t.min {
		return 0, 0, fmt.Errorf("%s: %d items, fewer than min %d off the right spine", path, nd.n, t.min)
	}
	for k := 0; k < nd.n; k++ {
		if k > 0 && !t.less(nd.items[k-1], nd.items[k]) {
			return 0, 0, fmt.Errorf("%s: items %d and %d out of order", path, k-1, k)
		}
	}
	if lo != nil && !t.less(*lo, nd.items[0]) {
		return 0, 0, fmt.Errorf("%s: first item not above the separator", path)
	}
	if hi != nil && !t.less(nd.items[nd.n-1], *hi) {
		return 0, 0, fmt.Errorf("%s: last item not below the separator", path)
	}
	for k := nd.n; k < t.max; k++ { // slots from max on are never written
		if !reflect.ValueOf(&nd.items[k]).Elem().IsZero() {
			return 0, 0, fmt.Errorf("%s: unused item slot %d not zero", path, k)
		}
	}
	if nd.in == nil {
		return nd.n, 1, nil
	}
	size = nd.n
	for j := 0; j <= nd.n; j++ {
		kid := nd.in.kids[j]
		kp := append(path[:len(path):len(path)], j)
		if kid == nil {
			return 0, 0, fmt.Errorf("%s: nil child", kp)
		}
		klo, khi := lo, hi
		if j > 0 {
			klo = &nd.items[j-1]
		}
		if j < nd.n {
			khi = &nd.items[j]
		}
		s, h, err := t.checkNode(kid, kp, false, spine && j == nd.n, klo, khi)
		if err != nil {
			return 0, 0, err
		}
		if s != nd.in.counts[j] {
			return 0, 0, fmt.Errorf("%s: count %d, subtree has %d items", kp, nd.in.counts[j], s)
		}
		if j > 0 && h != height {
			return 0, 0, fmt.Errorf("%s: height %d, sibling's %d", kp, h, height)
		}
		height = h
		size += s
	}
	for j := nd.n + 1; j <= maxItems; j++ {
		if nd.in.kids[j] != nil || nd.in.counts[j] != 0 {
			return 0, 0, fmt.Errorf("%s: unused child slot %d not empty", path, j)
		}
	}
	return size, height + 1, nil
}

// nodePath is the child indexes from the root to a node.
type nodePath []int

func (p nodePath) String() string {
	s := "root"
	for _, j := range p {
		s += fmt.Sprintf("/%d", j)
	}
	return s
}

// fill returns the number of nodes off the root and the right spine and
// how many of them hold fewer than k items.
func (t *Tree[T]) fill(k int) (nodes, below int) {
	var walk func(nd *node[T], root, spine bool)
	walk = func(nd *node[T], root, spine bool) {
		if !root && !spine {
			nodes++
			if nd.n < k {
				below++
			}
		}
		if nd.in != nil {
			for j := 0; j <= nd.n; j++ {
				walk(nd.in.kids[j], false, spine && j == nd.n)
			}
		}
	}
	if t.root != nil {
		walk(t.root, true, true)
	}
	return nodes, below
}
