package queue_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/queue"
)

var (
	t0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Minute)
	t2 = t0.Add(2 * time.Minute)
	t3 = t0.Add(3 * time.Minute)
)

func idsOf(p *queue.Pool) []string {
	var out []string
	for e := range p.All() {
		out = append(out, e.ID)
	}
	return out
}

func pushAll(t *testing.T, p *queue.Pool, es ...*queue.Entry) {
	t.Helper()
	for _, e := range es {
		require.NoError(t, p.Push(e), "Push(%s)", e.ID)
	}
}

func TestPool_Empty(t *testing.T) {
	p := queue.New()
	assert.Equal(t, 0, p.Len())
	_, ok := p.Min()
	assert.False(t, ok)
	_, ok = p.PopMin()
	assert.False(t, ok)
	assert.Empty(t, idsOf(p))
	e := &queue.Entry{ID: "x", Arrived: ns(t0), Seq: 1}
	assert.False(t, p.Contains(e))
	assert.False(t, p.Delete(e))
	_, ok = p.Position(e)
	assert.False(t, ok)
	assert.NoError(t, p.Verify())
}

// Q2: higher priority first; within one priority, earlier arrival first;
// ties by sequence.
func TestPool_Q2_Order(t *testing.T) {
	tests := []struct {
		name    string
		entries []*queue.Entry // pushed in this order
		want    []string
	}{
		{
			name: "arrival within one priority",
			entries: []*queue.Entry{
				{ID: "c", Arrived: ns(t2), Seq: 1},
				{ID: "a", Arrived: ns(t0), Seq: 2},
				{ID: "b", Arrived: ns(t1), Seq: 3},
			},
			want: []string{"a", "b", "c"},
		},
		{
			name: "priority beats arrival",
			entries: []*queue.Entry{
				{ID: "old", Arrived: ns(t0), Seq: 1},
				{ID: "vip", Priority: 5, Arrived: ns(t3), Seq: 2},
				{ID: "mid", Priority: 1, Arrived: ns(t2), Seq: 3},
				{ID: "neg", Priority: -1, Arrived: ns(t0), Seq: 4},
			},
			want: []string{"vip", "mid", "old", "neg"},
		},
		{
			name: "arrival beats sequence",
			entries: []*queue.Entry{
				{ID: "later", Arrived: ns(t1), Seq: 1},
				{ID: "earlier", Arrived: ns(t0), Seq: 9},
			},
			want: []string{"earlier", "later"},
		},
		{
			name: "same instant: sequence",
			entries: []*queue.Entry{
				{ID: "s3", Arrived: ns(t0), Seq: 3},
				{ID: "s1", Arrived: ns(t0), Seq: 1},
				{ID: "s2", Arrived: ns(t0), Seq: 2},
			},
			want: []string{"s1", "s2", "s3"},
		},
		{
			name: "same instant in different zones: sequence",
			entries: []*queue.Entry{
				{ID: "utc", Arrived: ns(t0), Seq: 2},
				{ID: "cst", Arrived: ns(t0.In(time.FixedZone("CST", 8*3600))), Seq: 1},
			},
			want: []string{"cst", "utc"},
		},
		{
			name: "all three keys",
			entries: []*queue.Entry{
				{ID: "p0-t1-s1", Arrived: ns(t1), Seq: 1},
				{ID: "p1-t1-s2", Priority: 1, Arrived: ns(t1), Seq: 2},
				{ID: "p0-t0-s3", Arrived: ns(t0), Seq: 3},
				{ID: "p1-t0-s5", Priority: 1, Arrived: ns(t0), Seq: 5},
				{ID: "p1-t0-s4", Priority: 1, Arrived: ns(t0), Seq: 4},
				{ID: "p0-t0-s6", Arrived: ns(t0), Seq: 6},
			},
			want: []string{"p1-t0-s4", "p1-t0-s5", "p1-t1-s2", "p0-t0-s3", "p0-t0-s6", "p0-t1-s1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := queue.New()
			pushAll(t, p, tt.entries...)
			require.NoError(t, p.Verify())
			assert.Equal(t, tt.want, idsOf(p))
			assert.Equal(t, len(tt.want), p.Len())
			head, ok := p.Min()
			require.True(t, ok)
			assert.Equal(t, tt.want[0], head.ID)
			for i, id := range tt.want {
				e := byID(t, tt.entries, id)
				pos, ok := p.Position(e)
				require.True(t, ok, id)
				assert.Equal(t, i+1, pos, "Position(%s)", id)
			}
			// Popping yields the same order.
			var popped []string
			for e, ok := p.PopMin(); ok; e, ok = p.PopMin() {
				popped = append(popped, e.ID)
			}
			assert.Equal(t, tt.want, popped)
			assert.Equal(t, 0, p.Len())
		})
	}
}

func byID(t *testing.T, es []*queue.Entry, id string) *queue.Entry {
	t.Helper()
	i := slices.IndexFunc(es, func(e *queue.Entry) bool { return e.ID == id })
	require.GreaterOrEqual(t, i, 0, id)
	return es[i]
}

func TestLess_Q2(t *testing.T) {
	tests := []struct {
		name string
		a, b queue.Entry
		want bool
	}{
		{"higher priority first", queue.Entry{Priority: 2, Arrived: ns(t3), Seq: 9}, queue.Entry{Priority: 1, Arrived: ns(t0), Seq: 1}, true},
		{"lower priority later", queue.Entry{Priority: 1, Arrived: ns(t0), Seq: 1}, queue.Entry{Priority: 2, Arrived: ns(t3), Seq: 9}, false},
		{"earlier arrival first", queue.Entry{Arrived: ns(t0), Seq: 9}, queue.Entry{Arrived: ns(t1), Seq: 1}, true},
		{"later arrival later", queue.Entry{Arrived: ns(t1), Seq: 1}, queue.Entry{Arrived: ns(t0), Seq: 9}, false},
		{"lower seq first", queue.Entry{Arrived: ns(t0), Seq: 1}, queue.Entry{Arrived: ns(t0), Seq: 2}, true},
		{"higher seq later", queue.Entry{Arrived: ns(t0), Seq: 2}, queue.Entry{Arrived: ns(t0), Seq: 1}, false},
		{"equal keys: irreflexive", queue.Entry{ID: "x", Arrived: ns(t0), Seq: 1}, queue.Entry{ID: "y", Arrived: ns(t0), Seq: 1}, false},
		{"ID is not a key", queue.Entry{ID: "a", Arrived: ns(t0), Seq: 2}, queue.Entry{ID: "b", Arrived: ns(t0), Seq: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, queue.Less(&tt.a, &tt.b))
			if tt.want {
				assert.False(t, queue.Less(&tt.b, &tt.a), "asymmetric")
			}
		})
	}
}

// Q2 decision: two buyers who asked at the same instant keep the order in
// which they reached the shop (sequence), and are never merged.
func TestPool_Q2_SameInstantTiesBySeq(t *testing.T) {
	p := queue.New()
	var es []*queue.Entry
	for i := range 100 {
		es = append(es, &queue.Entry{ID: fmt.Sprintf("s%03d", i), Arrived: ns(t0), Seq: uint64(1000 - i*7)})
	}
	pushAll(t, p, es...)
	require.Equal(t, 100, p.Len(), "no entry merged")
	require.NoError(t, p.Verify())
	want := slices.Clone(es)
	slices.SortFunc(want, func(a, b *queue.Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	var got []*queue.Entry
	for e := range p.All() {
		got = append(got, e)
	}
	assert.Equal(t, want, got)
	head, _ := p.Min()
	assert.Same(t, es[99], head, "lowest seq first")
}

func TestPool_ErrDuplicate(t *testing.T) {
	p := queue.New()
	a := &queue.Entry{ID: "a", Priority: 1, Arrived: ns(t0), Seq: 1}
	b := &queue.Entry{ID: "b", Arrived: ns(t1), Seq: 2}
	pushAll(t, p, a, b)

	tests := []struct {
		name string
		e    *queue.Entry
	}{
		{"same pointer", a},
		{"same key, other pointer", &queue.Entry{ID: "a2", Priority: 1, Arrived: ns(t0), Seq: 1}},
		{"same key, other ID", &queue.Entry{ID: "zzz", Arrived: ns(t1), Seq: 2}},
		{"same instant in another zone", &queue.Entry{ID: "b2", Arrived: ns(t1.In(time.FixedZone("CST", 8*3600))), Seq: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Push(tt.e)
			require.Error(t, err)
			assert.ErrorIs(t, err, queue.ErrDuplicate)
			assert.NotErrorIs(t, err, queue.ErrNilEntry)
			// unchanged
			assert.Equal(t, 2, p.Len())
			assert.Equal(t, []string{"a", "b"}, idsOf(p))
			assert.True(t, p.Contains(a))
			assert.True(t, p.Contains(b))
			if tt.e != a {
				assert.False(t, p.Contains(tt.e))
			}
			assert.NoError(t, p.Verify())
		})
	}

	// Differing in any one key field is not a duplicate.
	for i, e := range []*queue.Entry{
		{ID: "p", Priority: 2, Arrived: ns(t0), Seq: 1},
		{ID: "t", Priority: 1, Arrived: ns(t1), Seq: 1},
		{ID: "s", Priority: 1, Arrived: ns(t0), Seq: 3},
	} {
		require.NoError(t, p.Push(e), "case %d", i)
	}
	assert.Equal(t, 5, p.Len())
	assert.NoError(t, p.Verify())
}

func TestPool_ErrNilEntry(t *testing.T) {
	p := queue.New()
	a := &queue.Entry{ID: "a", Arrived: ns(t0), Seq: 1}
	pushAll(t, p, a)
	err := p.Push(nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, queue.ErrNilEntry)
	assert.NotErrorIs(t, err, queue.ErrDuplicate)
	assert.Equal(t, 1, p.Len())
	assert.Equal(t, []string{"a"}, idsOf(p))
	assert.NoError(t, p.Verify())
}

// Q3: a buyer who leaves is removed without trace. Contains is pointer
// identity; Delete finds by key.
func TestPool_Q3_DeleteContains(t *testing.T) {
	p := queue.New()
	a := &queue.Entry{ID: "a", Arrived: ns(t0), Seq: 1}
	b := &queue.Entry{ID: "b", Arrived: ns(t1), Seq: 2}
	c := &queue.Entry{ID: "c", Arrived: ns(t2), Seq: 3}
	pushAll(t, p, a, b, c)

	twin := &queue.Entry{ID: "b", Arrived: ns(t1), Seq: 2} // same key and ID as b
	assert.True(t, p.Contains(b))
	assert.False(t, p.Contains(twin), "Contains is pointer identity")
	assert.False(t, p.Contains(&queue.Entry{ID: "a", Arrived: ns(t0), Seq: 99}), "same ID, other key")

	assert.True(t, p.Delete(b))
	assert.False(t, p.Contains(b))
	assert.Equal(t, []string{"a", "c"}, idsOf(p))
	assert.Equal(t, 2, p.Len())
	assert.False(t, p.Delete(b), "second Delete")
	assert.Equal(t, 2, p.Len())
	require.NoError(t, p.Verify())

	// Delete finds by key: a copy with a's key removes a.
	assert.True(t, p.Delete(&queue.Entry{Arrived: ns(t0), Seq: 1}))
	assert.False(t, p.Contains(a))
	assert.Equal(t, []string{"c"}, idsOf(p))

	// Deleting an entry never pushed changes nothing.
	assert.False(t, p.Delete(&queue.Entry{ID: "c", Arrived: ns(t2), Seq: 4}))
	assert.Equal(t, []string{"c"}, idsOf(p))

	// A deleted entry may be pushed again, with a changed key.
	b.Priority = 3
	require.NoError(t, p.Push(b))
	assert.Equal(t, []string{"b", "c"}, idsOf(p))
	assert.NoError(t, p.Verify())
}

// Q3: Position is 1-based and false for an entry not in the pool.
func TestPool_Q3_Position(t *testing.T) {
	p := queue.New()
	es := []*queue.Entry{
		{ID: "a", Arrived: ns(t0), Seq: 1},
		{ID: "b", Arrived: ns(t1), Seq: 2},
		{ID: "c", Arrived: ns(t2), Seq: 3},
		{ID: "d", Arrived: ns(t3), Seq: 4},
	}
	pushAll(t, p, es...)
	vip := &queue.Entry{ID: "vip", Priority: 1, Arrived: ns(t3), Seq: 5}

	type want map[string]int // id → position; absent: not in the pool
	steps := []struct {
		name string
		do   func()
		want want
	}{
		{"start", func() {}, want{"a": 1, "b": 2, "c": 3, "d": 4}},
		{"vip jumps ahead", func() { require.NoError(t, p.Push(vip)) }, want{"vip": 1, "a": 2, "b": 3, "c": 4, "d": 5}},
		{"c leaves", func() { require.True(t, p.Delete(es[2])) }, want{"vip": 1, "a": 2, "b": 3, "d": 4}},
		{"head served", func() {
			e, ok := p.PopMin()
			require.True(t, ok)
			require.Same(t, vip, e)
		}, want{"a": 1, "b": 2, "d": 3}},
		{"d leaves", func() { require.True(t, p.Delete(es[3])) }, want{"a": 1, "b": 2}},
	}
	all := append(slices.Clone(es), vip)
	for i, s := range steps {
		s.do()
		require.NoError(t, p.Verify(), "step %d (%s)", i, s.name)
		assert.Equal(t, len(s.want), p.Len(), "step %d (%s): Len", i, s.name)
		for _, e := range all {
			pos, ok := p.Position(e)
			wantPos, in := s.want[e.ID]
			assert.Equal(t, in, ok, "step %d (%s): Position(%s) ok", i, s.name, e.ID)
			assert.Equal(t, wantPos, pos, "step %d (%s): Position(%s)", i, s.name, e.ID)
		}
	}
	// A copy of a waiting entry has no position: Position is pointer identity.
	pos, ok := p.Position(&queue.Entry{ID: "a", Arrived: ns(t0), Seq: 1})
	assert.False(t, ok)
	assert.Equal(t, 0, pos)
}

func TestPool_MinPopMin(t *testing.T) {
	p := queue.New()
	a := &queue.Entry{ID: "a", Arrived: ns(t1), Seq: 1}
	b := &queue.Entry{ID: "b", Arrived: ns(t0), Seq: 2}
	pushAll(t, p, a, b)

	head, ok := p.Min()
	require.True(t, ok)
	assert.Same(t, b, head)
	assert.Equal(t, 2, p.Len(), "Min does not remove")

	head, ok = p.PopMin()
	require.True(t, ok)
	assert.Same(t, b, head)
	assert.Equal(t, 1, p.Len())
	assert.False(t, p.Contains(b))

	head, ok = p.PopMin()
	require.True(t, ok)
	assert.Same(t, a, head)
	_, ok = p.PopMin()
	assert.False(t, ok)
	_, ok = p.Min()
	assert.False(t, ok)
	assert.NoError(t, p.Verify())
}

func TestPool_AllEarlyStop(t *testing.T) {
	p := queue.New()
	for i := range 5 {
		require.NoError(t, p.Push(&queue.Entry{ID: fmt.Sprint(i), Arrived: ns(t0), Seq: uint64(i)}))
	}
	var got []string
	for e := range p.All() {
		got = append(got, e.ID)
		if len(got) == 2 {
			break
		}
	}
	assert.Equal(t, []string{"0", "1"}, got)
}

// oracleCmp is Q2 written out independently of queue.Less.
func oracleCmp(a, b *queue.Entry) int {
	if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Arrived, b.Arrived); c != 0 {
		return c
	}
	return cmp.Compare(a.Seq, b.Seq)
}

// TestPool_Random runs random pushes, deletes and pops against a sorted
// slice and checks Min, Len, All and every Position after each step. A
// failure names its seed; rerun with go test -run 'TestPool_Random/seed=N$'.
func TestPool_Random(t *testing.T) {
	steps := 3000
	if testing.Short() {
		steps = 800
	}
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x71756575))
			maxLen := 0
			defer func() {
				// The run must have split B-tree nodes (degree 32: at
				// most 63 entries a node).
				assert.Greater(t, maxLen, 100, "max pool length")
			}()
			p := queue.New()
			var want []*queue.Entry // sorted by oracleCmp
			var gone []*queue.Entry // pushed once, no longer in the pool
			var seq uint64

			randEntry := func(es []*queue.Entry) *queue.Entry { return es[rng.IntN(len(es))] }
			insert := func(e *queue.Entry) {
				i, found := slices.BinarySearchFunc(want, e, oracleCmp)
				require.False(t, found)
				want = slices.Insert(want, i, e)
			}
			remove := func(e *queue.Entry) {
				i := slices.Index(want, e)
				require.GreaterOrEqual(t, i, 0)
				want = slices.Delete(want, i, i+1)
				gone = append(gone, e)
			}

			for step := range steps {
				var op string
				// Alternate growing and shrinking phases so the tree gets
				// several levels deep (degree 32) and empties again.
				pushPct := 70
				if step/400%2 == 1 {
					pushPct = 15
				}
				x := 0 // push; 100..199 picks one of the other operations
				if rng.IntN(100) >= pushPct {
					x = 100 + rng.IntN(100)
				}
				switch {
				case x < 100 || len(want) == 0:
					seq++
					e := &queue.Entry{
						ID:       fmt.Sprintf("s%d", seq),
						Priority: rng.IntN(3),
						Arrived:  ns(t0.Add(time.Duration(rng.IntN(10)) * time.Minute)), // many same instants
						Seq:      seq,
					}
					if rng.IntN(10) == 0 {
						seq-- // reuse a seq number with another key: still distinct
						e.Seq = seq
						e.Priority = 3 + rng.IntN(2)
					}
					op = fmt.Sprintf("Push(%s p%d %v #%d)", e.ID, e.Priority, time.Unix(0, e.Arrived).UTC().Format("15:04"), e.Seq)
					_, dup := slices.BinarySearchFunc(want, e, oracleCmp)
					err := p.Push(e)
					if dup {
						require.ErrorIs(t, err, queue.ErrDuplicate, "seed %d step %d: %s", seed, step, op)
					} else {
						require.NoError(t, err, "seed %d step %d: %s", seed, step, op)
						insert(e)
					}
				case x < 110:
					old := randEntry(want)
					twin := *old
					twin.ID += "-twin"
					op = "Push(twin of " + old.ID + ")"
					require.ErrorIs(t, p.Push(&twin), queue.ErrDuplicate, "seed %d step %d: %s", seed, step, op)
					require.ErrorIs(t, p.Push(old), queue.ErrDuplicate, "seed %d step %d: %s", seed, step, op)
				case x < 115:
					op = "Push(nil)"
					require.ErrorIs(t, p.Push(nil), queue.ErrNilEntry, "seed %d step %d: %s", seed, step, op)
				case x < 150:
					e := randEntry(want)
					op = "Delete(" + e.ID + ")"
					require.True(t, p.Delete(e), "seed %d step %d: %s", seed, step, op)
					remove(e)
				case x < 160:
					if len(gone) == 0 {
						continue
					}
					e := randEntry(gone)
					if _, found := slices.BinarySearchFunc(want, e, oracleCmp); found {
						continue // Delete finds by key: a waiting entry has this key
					}
					op = "Delete(gone " + e.ID + ")"
					require.False(t, p.Delete(e), "seed %d step %d: %s", seed, step, op)
				default:
					op = "PopMin"
					e, ok := p.PopMin()
					require.True(t, ok, "seed %d step %d: %s", seed, step, op)
					require.Same(t, want[0], e, "seed %d step %d: %s", seed, step, op)
					remove(e)
				}

				msg := fmt.Sprintf("seed %d step %d: %s", seed, step, op)
				maxLen = max(maxLen, len(want))
				require.NoError(t, p.Verify(), msg)
				require.Equal(t, len(want), p.Len(), msg)
				head, ok := p.Min()
				require.Equal(t, len(want) > 0, ok, msg)
				if ok {
					require.Same(t, want[0], head, msg)
				}
				got := make([]*queue.Entry, 0, len(want))
				for e := range p.All() {
					got = append(got, e)
				}
				require.Equal(t, len(want), len(got), msg)
				for i := range want {
					if want[i] != got[i] {
						require.Failf(t, "All out of order", "%s: at %d got %s want %s", msg, i, got[i].ID, want[i].ID)
					}
				}
				// Position of the last entry and of a few others (all of
				// them would make the test quadratic per step).
				for k := range min(len(want), 8) {
					i := len(want) - 1
					if k > 0 {
						i = rng.IntN(len(want))
					}
					if pos, ok := p.Position(want[i]); !ok || pos != i+1 {
						require.Failf(t, "Position", "%s: Position(%s) = %d, %v; want %d", msg, want[i].ID, pos, ok, i+1)
					}
				}
				if len(gone) > 0 {
					e := randEntry(gone)
					_, ok := p.Position(e) // gone entries are never pushed again
					require.False(t, ok, "%s: Position(gone %s)", msg, e.ID)
					require.False(t, p.Contains(e), "%s: Contains(gone %s)", msg, e.ID)
				}
			}
		})
	}
}

// ns is t as an Entry.Arrived value.
func ns(t time.Time) int64 { return t.UnixNano() }
