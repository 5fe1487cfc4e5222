package rank

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// kv is a test item ordered by k only: two kv with the same k and another
// v are equal, which shows which one the tree kept.
type kv struct{ k, v int }

func kvLess(a, b kv) bool { return a.k < b.k }

// model runs the same operations on a tree and on a sorted slice (the
// oracle) and fails at the first difference or broken invariant.
type model struct {
	t    testing.TB
	tr   *Tree[kv]
	want []kv // sorted by k
	step int
	op   string
}

func newModel(t testing.TB, max int) *model {
	return &model{t: t, tr: newTree(kvLess, max)}
}

func (m *model) fatalf(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf("max %d, step %d, %s: %s", m.tr.max, m.step, m.op, fmt.Sprintf(format, args...))
}

func (m *model) index(k int) (int, bool) {
	return slices.BinarySearchFunc(m.want, k, func(x kv, k int) int { return x.k - k })
}

func (m *model) insert(x kv) {
	m.op = fmt.Sprintf("Insert(%d/%d)", x.k, x.v)
	i, found := m.index(x.k)
	old, ok := m.tr.Insert(x)
	if found {
		if ok || old != m.want[i] {
			m.fatalf("got %v, %v; want %v, false", old, ok, m.want[i])
		}
		return
	}
	if !ok || old != (kv{}) {
		m.fatalf("got %v, %v; want zero, true", old, ok)
	}
	m.want = slices.Insert(m.want, i, x)
}

func (m *model) delete(k int) {
	m.op = fmt.Sprintf("Delete(%d)", k)
	i, found := m.index(k)
	got, ok := m.tr.Delete(kv{k: k})
	if !found {
		if ok || got != (kv{}) {
			m.fatalf("got %v, %v; want zero, false", got, ok)
		}
		return
	}
	if !ok || got != m.want[i] {
		m.fatalf("got %v, %v; want %v, true", got, ok, m.want[i])
	}
	m.want = slices.Delete(m.want, i, i+1)
}

func (m *model) deleteMin() {
	m.op = "DeleteMin"
	got, ok := m.tr.DeleteMin()
	if len(m.want) == 0 {
		if ok || got != (kv{}) {
			m.fatalf("got %v, %v on an empty tree", got, ok)
		}
		return
	}
	if !ok || got != m.want[0] {
		m.fatalf("got %v, %v; want %v", got, ok, m.want[0])
	}
	m.want = m.want[1:]
}

func (m *model) deleteMax() {
	m.op = "DeleteMax"
	got, ok := m.tr.DeleteMax()
	if len(m.want) == 0 {
		if ok || got != (kv{}) {
			m.fatalf("got %v, %v on an empty tree", got, ok)
		}
		return
	}
	if !ok || got != m.want[len(m.want)-1] {
		m.fatalf("got %v, %v; want %v", got, ok, m.want[len(m.want)-1])
	}
	m.want = m.want[:len(m.want)-1]
}

// probe checks the read-only operations for key k and rank r.
func (m *model) probe(k, r int) {
	m.t.Helper()
	i, found := m.index(k)
	var wantItem kv
	if found {
		wantItem = m.want[i]
	}
	if got, ok := m.tr.Get(kv{k: k}); ok != found || got != wantItem {
		m.fatalf("Get(%d) = %v, %v; want %v, %v", k, got, ok, wantItem, found)
	}
	if got, ok := m.tr.Rank(kv{k: k}); ok != found || got != i {
		m.fatalf("Rank(%d) = %d, %v; want %d, %v", k, got, ok, i, found)
	}
	if got, rk, ok := m.tr.Locate(kv{k: k}); ok != found || rk != i || got != wantItem {
		m.fatalf("Locate(%d) = %v, %d, %v; want %v, %d, %v", k, got, rk, ok, wantItem, i, found)
	}
	inRange := r >= 0 && r < len(m.want)
	var wantAt kv
	if inRange {
		wantAt = m.want[r]
	}
	if got, ok := m.tr.At(r); ok != inRange || got != wantAt {
		m.fatalf("At(%d) = %v, %v; want %v, %v", r, got, ok, wantAt, inRange)
	}
	// Ascend stopping after stop items, and AscendLessThan(k).
	stop := max(r+1, 1)
	var got []kv
	m.tr.Ascend(func(x kv) bool { got = append(got, x); return len(got) < stop })
	if w := m.want[:min(len(m.want), stop)]; !slices.Equal(got, w) {
		m.fatalf("Ascend stopping after %d: got %v, want %v", stop, got, w)
	}
	got = got[:0]
	m.tr.AscendLessThan(kv{k: k}, func(x kv) bool { got = append(got, x); return true })
	if !slices.Equal(got, m.want[:i]) {
		m.fatalf("AscendLessThan(%d): got %v, want %v", k, got, m.want[:i])
	}
}

// verify checks the invariants and the whole content.
func (m *model) verify() {
	m.t.Helper()
	if err := m.tr.check(); err != nil {
		m.fatalf("check: %v", err)
	}
	if m.tr.Len() != len(m.want) {
		m.fatalf("Len %d, want %d", m.tr.Len(), len(m.want))
	}
	lo, okLo := m.tr.Min()
	hi, okHi := m.tr.Max()
	if n := len(m.want); n == 0 {
		if okLo || okHi || lo != (kv{}) || hi != (kv{}) {
			m.fatalf("Min/Max of an empty tree: %v %v %v %v", lo, okLo, hi, okHi)
		}
	} else if !okLo || !okHi || lo != m.want[0] || hi != m.want[n-1] {
		m.fatalf("Min/Max = %v %v, %v %v; want %v, %v", lo, okLo, hi, okHi, m.want[0], m.want[n-1])
	}
	all := make([]kv, 0, len(m.want))
	m.tr.Ascend(func(x kv) bool { all = append(all, x); return true })
	if !slices.Equal(all, m.want) {
		m.fatalf("Ascend: got %v, want %v", all, m.want)
	}
}

// TestTree_Random runs random operations against a sorted slice, with
// node capacities from the smallest (3: deep trees from few items) to the
// real one, and checks every invariant after every operation. Growing and
// shrinking phases alternate so the tree gets deep and empties again.
func TestTree_Random(t *testing.T) {
	steps := 6000
	if testing.Short() {
		steps = 1500
	}
	for _, max := range []int{3, 4, 5, 6, 7, 10, maxItems} {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("max=%d/seed=%d", max, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, uint64(max)))
				m := newModel(t, max)
				keys := 4 * steps
				next := keys // increasing keys for appends, above the random ones
				v := 0
				randKey := func() int {
					if len(m.want) > 0 && rng.IntN(2) == 0 {
						return m.want[rng.IntN(len(m.want))].k // present
					}
					return rng.IntN(keys)
				}
				deepest := 0
				for m.step = 0; m.step < steps; m.step++ {
					grow := m.step/(steps/6)%2 == 0
					x := rng.IntN(100)
					if !grow {
						x = 30 + rng.IntN(70)
					}
					v++
					switch {
					case x < 30:
						m.insert(kv{rng.IntN(keys), v})
					case x < 45:
						next++
						m.insert(kv{next, v})
					case x < 50:
						m.insert(kv{randKey(), v}) // often a duplicate
					case x < 75:
						m.delete(randKey())
					case x < 85:
						m.deleteMin()
					case x < 90:
						m.deleteMax()
					default:
						m.op = "probe"
					}
					m.verify()
					for range 3 {
						m.probe(randKey(), rng.IntN(len(m.want)+2)-1)
					}
					deepest = maxDepth(m.tr, deepest)
				}
				want := 2 // levels the tree must reach at least once
				switch {
				case max <= 7:
					want = 4
				case max < maxItems:
					want = 3
				}
				if testing.Short() { // a quarter of the steps: one level less
					want--
				}
				if deepest < want {
					t.Errorf("the tree never got deeper than %d levels", deepest)
				}
			})
		}
	}
}

func maxDepth[T any](t *Tree[T], d int) int {
	h := 0
	for nd := t.root; nd != nil; h++ {
		if nd.in == nil {
			break
		}
		nd = nd.in.kids[0]
	}
	if t.root != nil {
		h++
	}
	return max(h, d)
}

func TestTree_Empty(t *testing.T) {
	tr := New(kvLess)
	if err := tr.check(); err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 0 {
		t.Fatal("Len")
	}
	if _, ok := tr.Get(kv{k: 1}); ok {
		t.Error("Get")
	}
	if r, ok := tr.Rank(kv{k: 1}); ok || r != 0 {
		t.Error("Rank", r, ok)
	}
	if _, r, ok := tr.Locate(kv{k: 1}); ok || r != 0 {
		t.Error("Locate", r, ok)
	}
	for _, i := range []int{-1, 0, 1} {
		if _, ok := tr.At(i); ok {
			t.Error("At", i)
		}
	}
	if _, ok := tr.Min(); ok {
		t.Error("Min")
	}
	if _, ok := tr.Max(); ok {
		t.Error("Max")
	}
	if _, ok := tr.Delete(kv{k: 1}); ok {
		t.Error("Delete")
	}
	if _, ok := tr.DeleteMin(); ok {
		t.Error("DeleteMin")
	}
	if _, ok := tr.DeleteMax(); ok {
		t.Error("DeleteMax")
	}
	tr.Ascend(func(kv) bool { t.Error("Ascend called fn"); return true })
	tr.AscendLessThan(kv{k: 9}, func(kv) bool { t.Error("AscendLessThan called fn"); return true })
	if err := tr.check(); err != nil {
		t.Fatal(err)
	}
}

func TestTree_SingleItem(t *testing.T) {
	m := newModel(t, maxItems)
	m.insert(kv{5, 1})
	m.verify()
	m.insert(kv{5, 2}) // duplicate: the first one stays
	m.verify()
	if got, _ := m.tr.Get(kv{k: 5}); got.v != 1 {
		t.Errorf("duplicate replaced the item: %v", got)
	}
	for _, k := range []int{4, 5, 6} {
		for r := -1; r <= 1; r++ {
			m.probe(k, r)
		}
	}
	m.delete(4) // absent
	m.delete(6) // absent
	m.verify()
	m.delete(5)
	m.verify()
	m.delete(5)
	m.verify()
	if m.tr.root != nil {
		t.Error("empty tree keeps a root")
	}
	m.insert(kv{7, 3})
	m.deleteMin()
	m.verify()
	m.insert(kv{8, 4})
	m.deleteMax()
	m.verify()
}

// TestTree_DeleteAbsent deletes keys that are not there, between and
// around the items of a deep tree: nothing changes but the shape.
func TestTree_DeleteAbsent(t *testing.T) {
	for _, max := range []int{3, 4, maxItems} {
		m := newModel(t, max)
		for k := 0; k < 2000; k += 2 {
			m.insert(kv{k, k})
		}
		m.verify()
		for k := -1; k < 2002; k += 2 {
			m.delete(k)
			m.verify()
		}
		if m.tr.Len() != 1000 {
			t.Fatalf("max %d: Len %d", max, m.tr.Len())
		}
	}
}

// TestTree_AppendFill inserts increasing keys: every node off the right
// spine must end up full but one (the append-friendly split), not half
// full. Then the queue pattern (take the head, append at the tail, remove
// from the middle) must keep the tree valid and the fill above min.
func TestTree_AppendFill(t *testing.T) {
	for _, tc := range []struct{ max, n int }{{3, 1000}, {4, 1000}, {7, 5000}, {maxItems, 200000}} {
		t.Run(fmt.Sprintf("max=%d", tc.max), func(t *testing.T) {
			tr := newTree(kvLess, tc.max)
			for k := range tc.n {
				if _, ok := tr.Insert(kv{k, k}); !ok {
					t.Fatal("duplicate", k)
				}
			}
			if err := tr.check(); err != nil {
				t.Fatal(err)
			}
			nodes, below := tr.fill(tc.max - 1)
			if nodes == 0 || below != 0 {
				t.Fatalf("%d of %d nodes hold fewer than %d items", below, nodes, tc.max-1)
			}
			for k := range tc.n {
				if r, ok := tr.Rank(kv{k: k}); !ok || r != k {
					t.Fatalf("Rank(%d) = %d, %v", k, r, ok)
				}
				if x, ok := tr.At(k); !ok || x.k != k {
					t.Fatalf("At(%d) = %v, %v", k, x, ok)
				}
			}
			rng := rand.New(rand.NewPCG(7, 7))
			next := tc.n
			for i := range tc.n {
				switch i % 3 {
				case 0:
					tr.DeleteMin()
				case 1:
					tr.Insert(kv{next, next})
					next++
				default:
					x, _ := tr.At(rng.IntN(tr.Len()))
					tr.Delete(x)
					tr.Insert(kv{next, next})
					next++
				}
				if tc.max < maxItems || i%10000 == 0 {
					if err := tr.check(); err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
				}
			}
			if err := tr.check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestTree_Pointers: items are pointers compared through a less function;
// Get and Locate return the stored pointer, not the probe.
func TestTree_Pointers(t *testing.T) {
	type entry struct{ key int }
	tr := New(func(a, b *entry) bool { return a.key < b.key })
	es := make([]*entry, 300)
	for i := range es {
		es[i] = &entry{key: 3 * i}
		tr.Insert(es[i])
	}
	for i, e := range es {
		probe := &entry{key: e.key}
		got, r, ok := tr.Locate(probe)
		if !ok || got != e || r != i {
			t.Fatalf("Locate(%d) = %p, %d, %v; want %p, %d", e.key, got, r, ok, e, i)
		}
	}
	if got, ok := tr.Delete(&entry{key: 30}); !ok || got != es[10] {
		t.Fatalf("Delete returned %p, %v", got, ok)
	}
	if err := tr.check(); err != nil {
		t.Fatal(err)
	}
}

func TestNewTree_BadCapacity(t *testing.T) {
	for _, max := range []int{-1, 0, 1, 2, maxItems + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("newTree(max=%d) did not panic", max)
				}
			}()
			newTree(kvLess, max)
		}()
	}
}

// FuzzTree drives a tree with small nodes from bytes and compares it with
// a sorted slice after every operation. The first byte picks the node
// capacity; then each pair of bytes is an operation and a key.
func FuzzTree(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 3, 2, 4, 0, 5, 0})
	f.Add([]byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 6, 0, 6, 0, 6, 0, 6, 0})
	seq := []byte{2}
	for k := range 120 {
		seq = append(seq, 0, byte(k*37))
	}
	for k := range 60 {
		seq = append(seq, 2, byte(k*37), 3, 0, 4, 0)
	}
	f.Add(seq)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		m := newModel(t, 3+int(data[0])%8)
		next := 256
		data = data[1:min(len(data), 1+2*500)] // at most 500 operations
		for m.step = 0; len(data) >= 2; m.step++ {
			op, k := data[0], int(data[1])
			data = data[2:]
			switch op % 8 {
			case 0:
				m.insert(kv{k, m.step})
			case 1:
				next++
				m.insert(kv{next, m.step})
			case 2:
				m.delete(k)
			case 3:
				m.deleteMin()
			case 4:
				m.deleteMax()
			case 5:
				if len(m.want) > 0 {
					m.delete(m.want[k%len(m.want)].k)
				}
			default:
				m.op = "probe"
			}
			m.verify()
			m.probe(k, k%(len(m.want)+2)-1)
			if len(m.want) > 0 {
				m.probe(m.want[k%len(m.want)].k, k%len(m.want))
			}
		}
	})
}
