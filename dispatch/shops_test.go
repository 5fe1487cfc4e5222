package dispatch

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

func TestShops_OpenGetRemove(t *testing.T) {
	var r Shops
	s, err := r.Open("s1", policy.Kuaishou())
	require.NoError(t, err)
	_, err = r.Open("s1", policy.Kuaishou())
	assert.ErrorIs(t, err, ErrDuplicateShop)
	_, err = r.Open("bad", policy.Policy{Strategy: 9})
	assert.ErrorIs(t, err, policy.ErrInvalid)
	got, err := r.Get("s1")
	require.NoError(t, err)
	assert.Same(t, s, got)
	_, err = r.Get("nope")
	assert.ErrorIs(t, err, ErrUnknownShop)
	assert.ErrorIs(t, r.Remove("nope"), ErrUnknownShop)
	require.NoError(t, r.Remove("s1"))
	_, err = r.Get("s1")
	assert.ErrorIs(t, err, ErrUnknownShop)
}

// The events a Shop returns are the caller's: later calls do not change
// them (the Engine itself reuses its buffer).
func TestShop_ReturnsCopies(t *testing.T) {
	s, err := NewShop(policy.Policy{})
	require.NoError(t, err)
	_, err = s.AddAgent(t0, "a", AgentConfig{Capacity: agent.Limit(1)})
	require.NoError(t, err)
	first, err := s.Arrive(t0, Arrival{Session: "s1"})
	require.NoError(t, err)
	_, err = s.Arrive(t0, Arrival{Session: "s2"})
	require.NoError(t, err)
	assert.Equal(t, "assigned s1 a arrival", brief(first[0]))
	var n int
	s.Read(func(e *Engine) { n = e.QueueLen() })
	assert.Equal(t, 1, n)
	require.NoError(t, s.Verify())
}

// The failure other systems report most, under concurrent callers: an
// agent pushed over its cap by auto-assignment, or one session assigned
// twice. 64 goroutines drive 1,000 shops with 1e6 random operations
// (1e5 with -short); afterwards each shop's events are replayed in the
// order its mutex admitted them, and every shop's invariants must hold
// with every session accounted for.
func TestShops_ConcurrentLoad(t *testing.T) {
	const shops, workers = 1000, 64
	total := 1_000_000
	if testing.Short() {
		total = 100_000
	}
	var r Shops
	type record struct {
		n   uint64
		evs []Event
	}
	logs := make([][]record, shops)
	locks := make([]sync.Mutex, shops)
	caps := []agent.Capacity{agent.Limit(1), agent.Limit(2), agent.Limit(3), agent.Unlimited(), agent.Suspended()}
	for i := 0; i < shops; i++ {
		p := randomPolicies[i%len(randomPolicies)]
		p.Capacity = agent.Bounds{} // caps fixed below, so the replay knows them
		s, err := r.Open(fmt.Sprint("shop", i), p)
		require.NoError(t, err)
		for j := 0; j < 4; j++ {
			_, err := s.AddAgent(t0, fmt.Sprint("a", j), AgentConfig{Capacity: caps[(i+j)%len(caps)]})
			require.NoError(t, err)
		}
	}
	var clock atomic.Int64 // shared simulated time, in seconds since t0
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 99))
			for i := 0; i < total/workers; i++ {
				k := rnd.IntN(shops)
				s, err := r.Get(fmt.Sprint("shop", k))
				if err != nil {
					t.Error(err)
					return
				}
				now := t0.Add(time.Duration(clock.Add(int64(rnd.IntN(3)))) * time.Second)
				o := loadOp(rnd)
				var n uint64 // the op's number in the shop's order (Engine.Ops)
				evs, err := s.Exec(nil, func(e *Engine) ([]Event, error) {
					evs, err := o.do(e, now)
					n = e.Ops()
					return evs, err
				})
				if err != nil && !knownError(err) {
					t.Errorf("shop%d %s: %v", k, o.name, err)
				}
				locks[k].Lock()
				logs[k] = append(logs[k], record{n, evs})
				locks[k].Unlock()
			}
		}(w)
	}
	wg.Wait()

	ops := 0
	end := t0.Add(time.Duration(clock.Load()) * time.Second)
	for k := 0; k < shops; k++ {
		s, _ := r.Get(fmt.Sprint("shop", k))
		require.NoError(t, s.Verify(), "shop%d", k)
		// Timer events held back by a rejected last call come with the
		// next call: make one.
		var n uint64
		evs, _ := s.Exec(nil, func(e *Engine) ([]Event, error) {
			evs := e.Advance(end)
			n = e.Ops()
			return evs, nil
		})
		recs := append(logs[k], record{n, evs})
		slices.SortFunc(recs, func(a, b record) int { return int(a.n) - int(b.n) })
		l := newLedger()
		l.replay = true
		for a := 0; a < 4; a++ {
			l.load[fmt.Sprint("a", a)] = 0
		}
		var err error
		s.Read(func(e *Engine) {
			for _, rec := range recs {
				for _, ev := range rec.evs {
					if err = l.apply(e, ev); err != nil {
						return
					}
				}
			}
			err = errors.Join(err, l.check(e))
		})
		require.NoError(t, err, "shop%d replay", k)
		ops += len(recs) - 1
	}
	assert.Equal(t, total/workers*workers, ops)
}

// loadOp draws an operation for the load test: every session operation,
// status changes and time passing, over fixed agents and capacities.
func loadOp(r *rand.Rand) op {
	sess := fmt.Sprint("s", r.IntN(30))
	ag := fmt.Sprint("a", r.IntN(5)) // a4 does not exist
	switch r.IntN(12) {
	case 0, 1, 2, 3:
		return arriveWith(Arrival{Session: sess, Buyer: fmt.Sprint("b", r.IntN(9)),
			Crowds: []Membership{{"vip", t0.Add(-48 * time.Hour)}}[:r.IntN(2)]})
	case 4, 5:
		return closeS(sess)
	case 6:
		return leave(sess)
	case 7:
		return transfer(sess, ag)
	case 8:
		return assignTo(sess, ag)
	case 9:
		return msg(sess, Sender(1+r.IntN(4)), ag)
	case 10:
		return setStatus(ag, agent.Status(1+r.IntN(3)))
	}
	return advance()
}

// A shop moves between processes: snapshot, restore, adopt.
func TestShops_MoveAShop(t *testing.T) {
	var a, b Shops
	s, err := a.Open("s", policy.Kuaishou())
	require.NoError(t, err)
	_, err = s.AddAgent(t0, "w", AgentConfig{Capacity: agent.Limit(1)})
	require.NoError(t, err)
	_, err = s.Arrive(t0, Arrival{Session: "s1"})
	require.NoError(t, err)
	_, err = s.Arrive(t0, Arrival{Session: "s2"})
	require.NoError(t, err)
	data, err := s.Snapshot()
	require.NoError(t, err)
	moved, err := RestoreShop(policy.Kuaishou(), data)
	require.NoError(t, err)
	require.NoError(t, b.Adopt("s", moved))
	assert.ErrorIs(t, b.Adopt("s", moved), ErrDuplicateShop)
	require.NoError(t, a.Remove("s"))
	evs, err := moved.Close(t0.Add(time.Minute), "s1")
	require.NoError(t, err)
	require.Len(t, evs, 2)
	assert.Equal(t, "assigned s2 w freed", brief(evs[1]))
	_, err = RestoreShop(policy.Kuaishou(), data[:10])
	assert.ErrorIs(t, err, ErrCorruptSnapshot)
}

// Exec appends the operation's events to the caller's buffer, reuses it,
// passes errors through, and counts the operation like the other methods.
func TestShop_ExecAppendsToTheCallersBuffer(t *testing.T) {
	s, err := NewShop(policy.Policy{})
	require.NoError(t, err)
	_, err = s.AddAgent(t0, "a", AgentConfig{Capacity: agent.Limit(1)})
	require.NoError(t, err)
	buf := make([]Event, 0, 8)
	buf, err = s.Exec(buf, func(e *Engine) ([]Event, error) { return e.Arrive(t0, Arrival{Session: "s1"}) })
	require.NoError(t, err)
	require.Len(t, buf, 1)
	assert.Equal(t, "assigned s1 a arrival", brief(buf[0]))
	kept := &buf[0]
	buf, err = s.Exec(buf[:0], func(e *Engine) ([]Event, error) { return e.Arrive(t0, Arrival{Session: "s2"}) })
	require.NoError(t, err)
	assert.Same(t, kept, &buf[0], "the buffer is reused, not reallocated")
	assert.Equal(t, "queued s2", brief(buf[0]))
	buf, err = s.Exec(buf, func(e *Engine) ([]Event, error) { return e.Close(t0, "nope") })
	assert.ErrorIs(t, err, ErrUnknownSession)
	assert.Len(t, buf, 1, "a rejected operation appends nothing")
	allocs := testing.AllocsPerRun(100, func() { // queue and leave: steady state
		buf, _ = s.Exec(buf[:0], func(e *Engine) ([]Event, error) { return e.Arrive(t0, Arrival{Session: "s3"}) })
		buf, _ = s.Exec(buf[:0], func(e *Engine) ([]Event, error) { return e.Leave(t0, "s3") })
	})
	assert.Zero(t, allocs)
	require.NoError(t, s.Verify())
}

// Every op kind has its typed method on Shop, as on Engine, named after
// its wire name ("end-wrap-up" → EndWrapUp): a kind added to the engine
// without its Shop method fails here.
func TestShop_AMethodPerOpKind(t *testing.T) {
	shop, engine := reflect.TypeOf(&Shop{}), reflect.TypeOf(&Engine{})
	for k := OpKind(1); int(k) < len(opNames); k++ {
		name := ""
		for _, part := range strings.Split(k.String(), "-") {
			name += strings.ToUpper(part[:1]) + part[1:]
		}
		_, onEngine := engine.MethodByName(name)
		_, onShop := shop.MethodByName(name)
		assert.True(t, onEngine && onShop, "op %s: Engine.%s %v, Shop.%s %v", k, name, onEngine, name, onShop)
	}
}
