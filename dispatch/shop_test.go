package dispatch

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// Tests of Shop: the mutex around one engine, Exec's panic path, Detach.

// A panic inside Exec's func, recovered by the caller, leaves the shop
// usable: its mutex is released, so the next call goes through.
func TestShop_ExecPanicReleasesTheMutex(t *testing.T) {
	s, err := NewShop(policy.Policy{})
	require.NoError(t, err)
	_, err = s.AddAgent(t0, "a", AgentConfig{Capacity: agent.Limit(2)})
	require.NoError(t, err)
	func() {
		defer func() { assert.Equal(t, "boom", recover(), "got no panic out of Exec") }()
		_, _ = s.Exec(nil, func(e *Engine) ([]Event, error) {
			if _, err := e.Arrive(t0, Arrival{Session: "s1"}); err != nil {
				return nil, err
			}
			panic("boom")
		})
	}()
	// Were the mutex still held, this call would block forever. It runs
	// in a goroutine, and the test waits for it at most 10 seconds of
	// wall-clock time: the one place in these tests where a timeout is
	// acceptable, since a deadlock has no other way to fail a test than
	// hanging it (and the call itself takes microseconds).
	done := make(chan error, 1)
	go func() {
		_, err := s.Arrive(t0.Add(time.Second), Arrival{Session: "s2"})
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("got the shop blocked after a panic in Exec: its mutex is still held")
	}
	require.NoError(t, s.Verify())
	var load int
	require.NoError(t, s.Read(func(e *Engine) { load = loadOf(t, e, "a") }))
	assert.Equal(t, 2, load, "got load %d, want s1 (before the panic) and s2", load)
}

// Shop.Apply is Engine.Apply under the mutex: the same random ops on a
// Shop and on an Engine return the same events and errors and leave the
// same state.
func TestShop_ApplyEqualsEngineApply(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		p := randomPolicies[seed%uint64(len(randomPolicies))]
		s, err := NewShop(p)
		require.NoError(t, err)
		e := newEngine(t, p)
		r := rand.New(rand.NewPCG(seed, 0xa991))
		now := t0
		for i := range 300 {
			a := actionFromBytes(byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()))
			now = now.Add(a.dt)
			want, werr := e.Apply(now, a.op())
			got, gerr := s.Apply(now, a.op())
			require.Equalf(t, fmt.Sprint(werr), fmt.Sprint(gerr), "seed %d step %d (%s): got error %v, want %v", seed, i, a, gerr, werr)
			require.Equalf(t, render(want), render(got), "seed %d step %d (%s): events", seed, i, a)
			ws, err := e.Snapshot()
			require.NoError(t, err)
			gs, err := s.Snapshot()
			require.NoError(t, err)
			require.Equalf(t, string(ws), string(gs), "seed %d step %d (%s): got a different state", seed, i, a)
		}
	}
}

// Several goroutines call Arrive and Close on a Shop in a loop while
// another detaches it. Every call either was acknowledged (returned its
// events) or returned ErrShopClosed. The detached bytes, restored, hold
// exactly the acknowledged calls: every acknowledged arrival is there
// (open, or closed by an acknowledged Close), no refused arrival is, and a
// session whose Close was refused is still open. After Detach every call
// on the old Shop is refused.
func TestShop_DetachLosesNoCall(t *testing.T) {
	// Each worker stops at its first refused call, or after maxCalls (so
	// that a Detach that refuses nothing fails the test, not hangs it).
	const workers, maxCalls = 6, 100_000
	p := policy.Policy{}
	s, err := NewShop(p)
	require.NoError(t, err)
	_, err = s.AddAgent(t0, "a", AgentConfig{})
	require.NoError(t, err)

	type record struct {
		arrived, refusedArrive []string
		closed, refusedClose   []string
	}
	records := make([]record, workers)
	var acked atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := &records[w]
			var open []string // acknowledged and not closed, by this worker
			for i := range maxCalls {
				now := t0.Add(time.Duration(i) * time.Millisecond)
				id := fmt.Sprintf("w%d-%d", w, i)
				evs, err := s.Arrive(now, Arrival{Session: id, Buyer: id})
				switch {
				case err == nil && len(evs) > 0:
					rec.arrived = append(rec.arrived, id)
					open = append(open, id)
					acked.Add(1)
				case errors.Is(err, ErrShopClosed) && evs == nil:
					rec.refusedArrive = append(rec.refusedArrive, id)
				default:
					t.Errorf("arrive %s: got events %v and error %v, want events or ErrShopClosed", id, evs, err)
					return
				}
				if len(open) > 0 && (i%2 == 1 || err != nil) {
					id := open[0]
					evs, err := s.Close(now, id)
					switch {
					case err == nil && len(evs) > 0:
						rec.closed = append(rec.closed, id)
						open = open[1:]
						acked.Add(1)
					case errors.Is(err, ErrShopClosed) && evs == nil:
						rec.refusedClose = append(rec.refusedClose, id)
					default:
						t.Errorf("close %s: got events %v and error %v, want events or ErrShopClosed", id, evs, err)
						return
					}
				}
				if err != nil {
					return // the shop is detached
				}
			}
		}()
	}
	for acked.Load() < 2000 { // let the calls race with the detach
		runtime.Gosched()
	}
	data, err := s.Detach()
	require.NoError(t, err)
	wg.Wait()

	restored, err := RestoreShop(p, data)
	require.NoError(t, err)
	require.NoError(t, restored.Verify())
	open, refused := 0, 0
	require.NoError(t, restored.Read(func(e *Engine) {
		for w, rec := range records {
			closedByAck := map[string]bool{}
			for _, id := range rec.closed {
				closedByAck[id] = true
				_, ok := e.Session(id)
				assert.Falsef(t, ok, "worker %d: got %s open, though its Close was acknowledged", w, id)
			}
			for _, id := range rec.arrived {
				_, isOpen := e.Session(id)
				_, isClosed := e.Closed(id)
				assert.Truef(t, isOpen || isClosed || closedByAck[id], "worker %d: acknowledged arrival %s lost", w, id)
				if isOpen {
					open++
				}
			}
			for _, id := range rec.refusedArrive {
				_, isOpen := e.Session(id)
				_, isClosed := e.Closed(id)
				assert.Falsef(t, isOpen || isClosed, "worker %d: refused arrival %s is in the snapshot", w, id)
			}
			for _, id := range rec.refusedClose {
				_, isOpen := e.Session(id)
				assert.Truef(t, isOpen, "worker %d: %s closed, though its Close was refused", w, id)
			}
			assert.NotEmptyf(t, rec.refusedArrive, "worker %d: got no call refused", w)
			refused += len(rec.refusedArrive) + len(rec.refusedClose)
		}
		assert.Equal(t, open, e.Sessions(), "got sessions in the snapshot no acknowledged call opened")
	}))
	t.Logf("%d calls acknowledged, %d refused, %d sessions open in the snapshot", acked.Load(), refused, open)

	// The old Shop refuses everything from now on.
	closed := func(what string, err error) {
		t.Helper()
		assert.ErrorIsf(t, err, ErrShopClosed, "%s on a detached shop", what)
		assert.ErrorIsf(t, err, ErrConflict, "%s on a detached shop", what)
	}
	ran := false
	closed("Read", s.Read(func(*Engine) { ran = true }))
	assert.False(t, ran, "got Read's func run on a detached shop")
	closed("Verify", s.Verify())
	_, err = s.Snapshot()
	closed("Snapshot", err)
	_, err = s.Detach()
	closed("Detach", err)
	evs, err := s.Apply(t0.Add(time.Hour), Op{Kind: OpArrive, Arrival: Arrival{Session: "late"}})
	closed("Apply", err)
	assert.Nil(t, evs)
	ran = false
	buf, err := s.Exec(make([]Event, 0, 4), func(e *Engine) ([]Event, error) { ran = true; return nil, nil })
	closed("Exec", err)
	assert.False(t, ran, "got Exec's func run on a detached shop")
	assert.Empty(t, buf)
	_, err = s.Arrive(t0.Add(time.Hour), Arrival{Session: "late"})
	closed("Arrive", err)
	_, err = s.SetPolicy(t0.Add(time.Hour), p)
	closed("SetPolicy", err)
	assert.Nil(t, s.Advance(t0.Add(time.Hour)), "got events from Advance on a detached shop")
	_, ok := s.NextDeadline()
	assert.False(t, ok)
}

// clockObserver records the events it sees and the times it is told.
type clockObserver struct {
	events int
	times  []time.Time
}

func (c *clockObserver) Observe(Event)         { c.events++ }
func (c *clockObserver) Advance(now time.Time) { c.times = append(c.times, now) }

// An observer with an Advance method is told the engine's time after
// every op that is not rejected, events or none, so it sees time pass
// (the metrics recorder closes its reply windows so); a rejected op tells
// it nothing, and its held events come with the next op.
func TestObserver_ToldTheTimeAfterEveryOp(t *testing.T) {
	obs := &clockObserver{}
	e, err := New(policy.Policy{}, WithObserver("clock", obs))
	require.NoError(t, err)
	_, err = e.AddAgent(t0, "a", AgentConfig{}) // no event
	require.NoError(t, err)
	_, err = e.Close(t0.Add(time.Minute), "ghost") // rejected
	require.Error(t, err)
	e.Advance(t0.Add(2 * time.Minute)) // no event
	_, err = e.Arrive(t0.Add(3*time.Minute), Arrival{Session: "s1"})
	require.NoError(t, err)
	assert.Equal(t, []time.Time{t0, t0.Add(2 * time.Minute), t0.Add(3 * time.Minute)}, obs.times)
	assert.Equal(t, 1, obs.events)
}

// L4: a closed session is found while its record is in a history, the
// latest of an id closed twice; when that one drops out of its agent's
// history, the earlier one, still in another agent's, is found.
func TestClosed_L4_EarlierRecordFoundWhenTheLatestDropsOut(t *testing.T) {
	e, err := New(policy.Policy{HistoryLimit: 1})
	require.NoError(t, err)
	for _, id := range []string{"a", "b"} {
		_, err = e.AddAgent(t0, id, AgentConfig{Capacity: agent.Limit(1)})
		require.NoError(t, err)
	}
	step := func(i int, op Op) {
		_, err := e.Apply(t0.Add(time.Duration(i)*time.Second), op)
		require.NoError(t, err, "step %d", i)
	}
	step(1, Op{Kind: OpArrive, Arrival: Arrival{Session: "x"}}) // → a (idle longest by id)
	step(2, Op{Kind: OpClose, Session: "x"})
	step(3, Op{Kind: OpArrive, Arrival: Arrival{Session: "x"}}) // → b
	step(4, Op{Kind: OpClose, Session: "x"})
	c, ok := e.Closed("x")
	require.True(t, ok)
	assert.Equal(t, "b", c.Agent, "the latest close of x")
	assert.True(t, c.At.Equal(t0.Add(4*time.Second)))
	step(5, Op{Kind: OpArrive, Arrival: Arrival{Session: "y"}}) // → a (idle longest)
	step(6, Op{Kind: OpTransfer, Session: "y", Agent: "b"})
	step(7, Op{Kind: OpClose, Session: "y"}) // b's history: y; x dropped
	c, ok = e.Closed("x")
	require.True(t, ok)
	assert.Equal(t, "a", c.Agent, "the earlier close of x, still in a's history")
	assert.True(t, c.At.Equal(t0.Add(2*time.Second)))
	_, ok = e.Closed("nope")
	assert.False(t, ok)
}

// memJournal is a Journal in memory: the ops of each shop, numbered.
type memJournal struct {
	mu  sync.Mutex
	ops map[string][]journaled
}

type journaled struct {
	n  uint64
	at time.Time
	op Op
}

func (j *memJournal) Append(shop string, n uint64, at time.Time, op Op) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ops[shop] = append(j.ops[shop], journaled{n, at, op})
	return nil
}

// The recipe of the README's "Running kefu in a service": a registry with
// a Journal; a snapshot at some point; after a crash, RestoreShop, replay
// the journal's ops numbered above Shop.Ops, Adopt: the shop is where it
// was, byte for byte, and the journal numbered its ops 1, 2, … without a
// gap (AdvanceDue's Advance included).
func TestJournal_SnapshotPlusJournalRebuildsTheShop(t *testing.T) {
	j := &memJournal{ops: map[string][]journaled{}}
	shops := &Shops{Journal: j}
	p := policy.Kuaishou()
	shop, err := shops.Open("s", p)
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(7, 7))
	now := t0
	var snap []byte
	for i := range 600 {
		a := actionFromBytes(byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()))
		now = now.Add(max(a.dt, 0))
		_, _ = shop.Apply(now, a.op())
		if i%50 == 0 {
			shops.AdvanceDue(now, nil)
		}
		if i == 277 {
			snap, err = shop.Snapshot()
			require.NoError(t, err)
		}
	}
	want, err := shop.Snapshot()
	require.NoError(t, err)
	for i, x := range j.ops["s"] {
		require.Equal(t, uint64(i+1), x.n, "journal entry %d", i)
	}
	// After a crash.
	q, ok, err := SnapshotPolicy(snap)
	require.NoError(t, err)
	require.True(t, ok)
	moved, err := RestoreShop(q, snap)
	require.NoError(t, err)
	from := moved.Ops()
	for _, x := range j.ops["s"] {
		if x.n > from {
			_, _ = moved.Apply(x.at, x.op)
		}
	}
	other := &Shops{}
	require.NoError(t, other.Adopt("s", moved))
	got, err := moved.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

// A Shop fills two cache lines exactly, so that shops allocated side by
// side never share a line (the pad in the struct): a field added without
// shrinking the pad fails here.
func TestShop_SizeIsTwoCacheLines(t *testing.T) {
	assert.Equal(t, uintptr(128), unsafe.Sizeof(Shop{}))
}
