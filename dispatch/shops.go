package dispatch

import (
	"container/heap"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// Errors of [Shops].
var (
	// ErrUnknownShop: no shop has this id.
	// Class ErrNotFound.
	ErrUnknownShop = newError(ErrNotFound, "dispatch: unknown shop")
	// ErrDuplicateShop: a shop with this id is already open.
	// Class ErrConflict.
	ErrDuplicateShop = newError(ErrConflict, "dispatch: duplicate shop")
	// ErrShopClosed: the *Shop was detached (Shop.Detach), for a move to
	// another process or an eviction; nothing was applied. Find the shop
	// again (Shops.Get) and retry there. Class ErrConflict.
	ErrShopClosed = newError(ErrConflict, "dispatch: shop is closed (detached to move or evict it)")
)

// Shop is one shop's [Engine] made safe for concurrent use: each call
// takes the shop's own mutex, runs the engine operation (and the engine's
// observers, in event order), copies its events and releases the mutex
// before returning them. No other host code runs while the mutex is
// held. The returned slices belong to the caller.
//
// A shop that moves to another process is first detached ([Shop.Detach]):
// from then on every call returns ErrShopClosed, so no call made on the
// old *Shop after its snapshot is lost without an error.
//
// Create it with [NewShop], [RestoreShop] or [Shops.Open]; the zero value
// is not usable.
type Shop struct {
	mu     sync.Mutex
	e      *Engine
	closed bool // Detach: every call returns ErrShopClosed

	// The Shops it is registered in, for its deadline heap: noted is the
	// deadline (ns) the heap holds for it, 0 for none.
	reg     *Shops
	id      string
	noted   int64
	journal Journal // the registry's, when it has one
	final   *Stats  // the counters at Detach (Stats of a detached shop)

	// Shops created one after another sit side by side in memory; without
	// the pad two of them share a cache line, and every Lock of one slows
	// the other (false sharing). A line is 64 bytes on amd64/arm64, and
	// their prefetchers fetch lines in pairs: 128.
	_ [128 - 80]byte
}

// NewShop returns a goroutine-safe engine for one shop with policy p.
func NewShop(p policy.Policy, opts ...Option) (*Shop, error) {
	e, err := New(p, opts...)
	if err != nil {
		return nil, err
	}
	return &Shop{e: e}, nil
}

// after ends a call under the mutex: it tells the registry's deadline
// heap if the shop's earliest timer moved earlier.
func (s *Shop) after() {
	if s.reg == nil {
		return
	}
	if t, ok := s.e.timers.Min(); ok && (s.noted == 0 || t.at < s.noted) {
		s.noted = t.at
		s.reg.note(t.at, s)
	}
}

// Apply is Engine.Apply under the shop's mutex, after the shop's Journal
// (if it has one) has made op durable: the journal's order is the order
// the shop applies ops in. If the journal fails, op is not applied and
// the error (wrapping the journal's) is returned. Every typed method of
// Shop (Arrive, Close, …, Advance) is Apply.
func (s *Shop) Apply(now time.Time, op Op) ([]Event, error) {
	return s.ApplyTo(nil, now, op)
}

// ApplyTo is Apply appending the events to dst, which the caller owns: a
// host that reuses dst (dst[:0] of the last result) does not allocate.
func (s *Shop) ApplyTo(dst []Event, now time.Time, op Op) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return dst, ErrShopClosed
	}
	if s.journal != nil {
		if err := s.journal.Append(s.id, s.e.ops+1, now, op); err != nil {
			return dst, fmt.Errorf("dispatch: journal of shop %q: %w", s.id, err)
		}
	}
	evs, err := s.e.apply(now, &op)
	dst = append(dst, evs...)
	s.after()
	return dst, err
}

// Journal makes a shop's ops durable before they take effect (DESIGN
// properties 8 and 9): a Shop in a registry whose Journal is set calls
// Append under the shop's mutex before it applies each op (Shop.Apply and
// every typed method, and the Advance of Shops.AdvanceDue), so the
// journal holds every op, accepted or rejected, in the order applied, and
// replaying it on the shop's last snapshot rebuilds the shop exactly:
// Restore, then Apply each op numbered above the restored Engine.Ops().
// n is the op's number in the shop, from 1 (Engine.Ops() once it is
// applied). Append must not call the shop. Shop.Exec runs a function, not
// an op, and bypasses the journal.
type Journal interface {
	Append(shop string, n uint64, at time.Time, op Op) error
}

// Exec runs op, one engine operation, under the shop's mutex and appends
// its events to dst, which the caller owns: a host that reuses dst (dst[:0]
// of the last result) does not allocate, where the other methods copy the
// events into a new slice on every call, garbage the collector shared by
// all goroutines must then reclaim. op must only call the operation and
// return what it returned. The mutex is released even if op panics.
//
//	buf, err = shop.Exec(buf[:0], func(e *dispatch.Engine) ([]dispatch.Event, error) {
//		return e.Arrive(now, dispatch.Arrival{Session: id, Buyer: buyer})
//	})
func (s *Shop) Exec(dst []Event, op func(e *Engine) ([]Event, error)) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return dst, ErrShopClosed
	}
	evs, err := op(s.e)
	dst = append(dst, evs...)
	s.after()
	return dst, err
}

// Read runs f with the shop's mutex held, for queries (Engine.Session,
// List, Agents, …). f must not keep the engine nor call its operations
// from another goroutine; it should only read and return. On a detached
// shop f is not called and Read returns ErrShopClosed.
func (s *Shop) Read(f func(e *Engine)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrShopClosed
	}
	f(s.e)
	return nil
}

// NextDeadline is Engine.NextDeadline under the shop's mutex (false on a
// detached shop).
func (s *Shop) NextDeadline() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return time.Time{}, false
	}
	return s.e.NextDeadline()
}

// Detach snapshots the shop (Engine.Snapshot, its observers included) and
// closes it, in one step under its mutex: every later call on this *Shop
// returns ErrShopClosed (Advance returns nothing), so a call that raced
// with the move fails instead of being lost. This is how a shop moves:
//
//	data, err := shop.Detach()         // on the old process
//	shops.Remove(id)
//	moved, err := dispatch.RestoreShop(p, data, opts...) // on the new one
//	err = shops.Adopt(id, moved)
//
// If the snapshot fails, the shop stays open and the error is returned.
func (s *Shop) Detach() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrShopClosed
	}
	data, err := s.e.Snapshot()
	if err != nil {
		return nil, err
	}
	s.closed = true
	final := s.e.Stats()
	final.Sessions, final.Agents = [len(final.Sessions)]int{}, [len(final.Agents)]int{}
	s.final = &final
	return data, nil
}

// AddAgent is Engine.AddAgent under the shop's mutex.
func (s *Shop) AddAgent(now time.Time, id string, cfg AgentConfig) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpAddAgent, Agent: id, AgentConfig: cfg})
}

// RemoveAgent is Engine.RemoveAgent under the shop's mutex.
func (s *Shop) RemoveAgent(now time.Time, id string) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpRemoveAgent, Agent: id})
}

// Login is Engine.Login under the shop's mutex.
func (s *Shop) Login(now time.Time, id string) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpLogin, Agent: id})
}

// Logout is Engine.Logout under the shop's mutex.
func (s *Shop) Logout(now time.Time, id string) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpLogout, Agent: id})
}

// SetStatus is Engine.SetStatus under the shop's mutex.
func (s *Shop) SetStatus(now time.Time, id string, st agent.Status) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpSetStatus, Agent: id, Status: st})
}

// SetCapacity is Engine.SetCapacity under the shop's mutex.
func (s *Shop) SetCapacity(now time.Time, id string, c agent.Capacity) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpSetCapacity, Agent: id, Capacity: c})
}

// Arrive is Engine.Arrive under the shop's mutex.
func (s *Shop) Arrive(now time.Time, a Arrival) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpArrive, Arrival: a})
}

// Start is Engine.Start under the shop's mutex.
func (s *Shop) Start(now time.Time, o Outbound) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpStart, Outbound: o})
}

// Message is Engine.Message under the shop's mutex.
func (s *Shop) Message(now time.Time, m Message) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpMessage, Message: m})
}

// MarkRead is Engine.MarkRead under the shop's mutex.
func (s *Shop) MarkRead(now time.Time, id string) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpMarkRead, Session: id})
}

// Follow is Engine.Follow under the shop's mutex.
func (s *Shop) Follow(now time.Time, id string) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpFollow, Session: id})
}

// Close is Engine.Close under the shop's mutex.
func (s *Shop) Close(now time.Time, id string) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpClose, Session: id})
}

// Leave is Engine.Leave under the shop's mutex.
func (s *Shop) Leave(now time.Time, id string) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpLeave, Session: id})
}

// Assign is Engine.Assign under the shop's mutex.
func (s *Shop) Assign(now time.Time, id, agentID string) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpAssign, Session: id, Agent: agentID})
}

// Transfer is Engine.Transfer under the shop's mutex.
func (s *Shop) Transfer(now time.Time, id, to string) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpTransfer, Session: id, Agent: to})
}

// Handover is Engine.Handover under the shop's mutex.
func (s *Shop) Handover(now time.Time, id string) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpHandover, Session: id})
}

// Accept is Engine.Accept under the shop's mutex (E1).
func (s *Shop) Accept(now time.Time, id, agentID string) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpAccept, Session: id, Agent: agentID})
}

// Reject is Engine.Reject under the shop's mutex (E1).
func (s *Shop) Reject(now time.Time, id, agentID string) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpReject, Session: id, Agent: agentID})
}

// EndWrapUp is Engine.EndWrapUp under the shop's mutex (E5).
func (s *Shop) EndWrapUp(now time.Time, agentID string) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpEndWrapUp, Agent: agentID})
}

// SetTeamLevel is Engine.SetTeamLevel under the shop's mutex.
func (s *Shop) SetTeamLevel(now time.Time, l policy.TeamLevel) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpSetTeamLevel, TeamLevel: l})
}

// Advance is Engine.Advance under the shop's mutex. On a detached shop it
// does nothing and returns nil.
func (s *Shop) Advance(now time.Time) []Event {
	evs, _ := s.Apply(now, Op{Kind: OpAdvance})
	return evs
}

// SetPolicy is Engine.SetPolicy under the shop's mutex.
func (s *Shop) SetPolicy(now time.Time, p policy.Policy) ([]Event, error) {
	return s.Apply(now, Op{Kind: OpSetPolicy, Policy: &p})
}

// Ops is Engine.Ops under the shop's mutex: after RestoreShop, the ops of
// the shop's journal numbered above it are the ones to replay (with Apply,
// before the shop joins a registry with a Journal, so that the replay is
// not journaled again).
func (s *Shop) Ops() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.e.ops
}

// Stats is Engine.Stats under the shop's mutex. A detached shop keeps
// the counters it had when it was detached, and its gauges are zero: it
// holds no session and no agent any more.
func (s *Shop) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return *s.final
	}
	return s.e.Stats()
}

// Verify is Engine.Verify under the shop's mutex.
func (s *Shop) Verify() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrShopClosed
	}
	return s.e.Verify()
}

// Shops holds many shops' engines in one process, safe for concurrent
// use. Shops share nothing: finding a shop takes no lock (a sync.Map),
// and each shop has its own mutex, so calls for different shops never wait
// for each other and many shops scale across cores.
//
// The zero value is an empty, usable registry.
type Shops struct {
	// Journal, if set, makes every op of every shop opened or adopted
	// afterwards durable before it is applied (see Journal). Set it before
	// the first Open.
	Journal Journal

	m sync.Map // id → *Shop

	// The deadline heap (NextDeadline, AdvanceDue): an entry per shop
	// whose earliest timer moved earlier than the heap knew; entries a
	// shop has since overtaken are skipped when they come up. Its mutex is
	// the one lock shops share, taken only when a shop's earliest
	// deadline moves earlier, never while a shop's mutex waits on it.
	dmu sync.Mutex
	due []dueShop

	smu      sync.Mutex
	departed Stats // the counters of the shops removed (Stats)
}

type dueShop struct {
	at int64
	s  *Shop
}

// Open creates a shop with policy p.
//
// Errors: ErrDuplicateShop, or the policy's error (ErrInvalidPolicy).
func (r *Shops) Open(id string, p policy.Policy, opts ...Option) (*Shop, error) {
	s, err := NewShop(p, opts...)
	if err != nil {
		return nil, err
	}
	s.reg, s.id, s.journal = r, id, r.Journal
	if _, loaded := r.m.LoadOrStore(id, s); loaded {
		return nil, fmt.Errorf("%w: %q", ErrDuplicateShop, id)
	}
	return s, nil
}

// Get returns the shop with this id.
//
// Errors: ErrUnknownShop.
func (r *Shops) Get(id string) (*Shop, error) {
	s, ok := r.m.Load(id)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownShop, id)
	}
	return s.(*Shop), nil
}

// Remove drops a shop from the registry; calls already holding its *Shop
// finish normally.
//
// Errors: ErrUnknownShop.
func (r *Shops) Remove(id string) error {
	v, ok := r.m.LoadAndDelete(id)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownShop, id)
	}
	s := v.(*Shop)
	st := s.Stats()
	st.Sessions, st.Agents = [len(st.Sessions)]int{}, [len(st.Agents)]int{}
	r.smu.Lock()
	r.departed.Add(&st)
	r.smu.Unlock()
	s.mu.Lock()
	s.reg, s.noted, s.journal = nil, 0, nil
	s.mu.Unlock()
	return nil
}

// Stats returns the sum of every registered shop's Stats, each read
// under its own mutex (so the sum is of each shop at some moment of the
// call, not one instant of all), and the counters of the shops removed
// from the registry: the summed counters never go down while the
// registry lives, so a shop moving away is no counter reset to a
// monitoring system (the process it moves to counts it from 0). O(shops);
// exporters call it at scrape time.
func (r *Shops) Stats() Stats {
	r.smu.Lock()
	sum := r.departed
	r.smu.Unlock()
	r.m.Range(func(_, v any) bool {
		st := v.(*Shop).Stats()
		sum.Add(&st)
		return true
	})
	return sum
}

// Range calls f for each shop, in no particular order, until f returns
// false.
func (r *Shops) Range(f func(id string, s *Shop) bool) {
	r.m.Range(func(k, v any) bool { return f(k.(string), v.(*Shop)) })
}

// Snapshot is Engine.Snapshot under the shop's mutex: the engine and its
// observers at the same point of the event stream. The shop stays open;
// to move it, use Detach.
func (s *Shop) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrShopClosed
	}
	return s.e.Snapshot()
}

// RestoreShop is Restore, wrapped for concurrent use.
func RestoreShop(p policy.Policy, data []byte, opts ...Option) (*Shop, error) {
	e, err := Restore(p, data, opts...)
	if err != nil {
		return nil, err
	}
	return &Shop{e: e}, nil
}

// Adopt registers a shop built elsewhere, for example by RestoreShop when
// a shop moves to this process.
//
// Errors: ErrDuplicateShop.
func (r *Shops) Adopt(id string, s *Shop) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reg != nil {
		return fmt.Errorf("%w: %q is registered already", ErrDuplicateShop, id)
	}
	if _, loaded := r.m.LoadOrStore(id, s); loaded {
		return fmt.Errorf("%w: %q", ErrDuplicateShop, id)
	}
	s.reg, s.id, s.noted, s.journal = r, id, 0, r.Journal
	s.after()
	return nil
}

// note records that shop s's earliest deadline is now at (ns).
func (r *Shops) note(at int64, s *Shop) {
	r.dmu.Lock()
	heap.Push((*dueHeap)(&r.due), dueShop{at, s})
	r.dmu.Unlock()
}

// NextDeadline returns a time at or before the earliest pending timer of
// every shop in the registry, and false when no shop has one: a host
// sleeps until then and calls AdvanceDue, with one timer for all its
// shops instead of a ticker calling Advance on each. It may be earlier
// than any real deadline (a timer cancelled since); AdvanceDue then finds
// nothing to do. O(1).
func (r *Shops) NextDeadline() (time.Time, bool) {
	r.dmu.Lock()
	defer r.dmu.Unlock()
	if len(r.due) == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, r.due[0].at), true
}

// AdvanceDue calls Advance(now) on every registered shop whose earliest
// timer is due by now, and f with the shop's id and the events, for each
// such shop that had any. It returns how many shops it advanced. With a
// Journal, each Advance is appended first; if that fails, AdvanceDue
// stops and the shop stays due, to be tried again at the next call. Shops
// with nothing due are not touched: O((k + s) log h) for k shops due and
// s stale heap entries, whatever the number of shops. f runs with no lock
// held.
func (r *Shops) AdvanceDue(now time.Time, f func(id string, evs []Event)) int {
	n := 0
	for {
		r.dmu.Lock()
		if len(r.due) == 0 || r.due[0].at > now.UnixNano() {
			r.dmu.Unlock()
			return n
		}
		x := heap.Pop((*dueHeap)(&r.due)).(dueShop)
		r.dmu.Unlock()
		s := x.s
		s.mu.Lock()
		if s.reg != r || s.closed || s.noted != x.at { // removed, detached or overtaken
			s.mu.Unlock()
			continue
		}
		if t, ok := s.e.timers.Min(); !ok || t.at > now.UnixNano() {
			// The timer noted was cancelled or moved later: nothing is
			// due, so the shop is not touched (Advance would move its
			// clock); the heap learns its earliest deadline instead.
			s.noted = 0
			if ok {
				s.noted = t.at
				r.note(t.at, s)
			}
			s.mu.Unlock()
			continue
		}
		if s.journal != nil {
			if err := s.journal.Append(s.id, s.e.ops+1, now, Op{Kind: OpAdvance}); err != nil {
				s.mu.Unlock()
				r.note(x.at, s) // still due: tried again at the next AdvanceDue
				return n
			}
		}
		s.noted = 0
		evs := slices.Clone(s.e.Advance(now))
		s.after()
		id := s.id
		s.mu.Unlock()
		n++
		if len(evs) > 0 && f != nil {
			f(id, evs)
		}
	}
}

// dueHeap is a min-heap of shops by deadline (container/heap).
type dueHeap []dueShop

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueShop)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = dueShop{}
	*h = old[:len(old)-1]
	return x
}
