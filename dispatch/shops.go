package dispatch

import (
	"errors"
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
	ErrUnknownShop = errors.New("dispatch: unknown shop")
	// ErrDuplicateShop: a shop with this id is already open.
	ErrDuplicateShop = errors.New("dispatch: duplicate shop")
)

// Shop is one shop's [Engine] made safe for concurrent use: each call
// takes the shop's own mutex, runs the engine operation, copies its events
// and releases the mutex before returning them. No host code runs while
// the mutex is held. The returned slices belong to the caller.
//
// Create it with [NewShop]; the zero value is not usable.
type Shop struct {
	mu  sync.Mutex
	e   *Engine
	ops uint64 // operations applied, in the order the mutex admitted them
	// Shops created one after another sit side by side in memory; without
	// the pad two of them share a cache line, and every Lock of one slows
	// the other (false sharing). A line is 64 bytes on amd64/arm64, and
	// their prefetchers fetch lines in pairs: 128.
	_ [128 - 24]byte
}

// NewShop returns a goroutine-safe engine for one shop with policy p.
func NewShop(p policy.Policy, opts ...Option) (*Shop, error) {
	e, err := New(p, opts...)
	if err != nil {
		return nil, err
	}
	return &Shop{e: e}, nil
}

// call runs one engine operation under the shop's mutex and returns a copy
// of its events and its number in the shop's order of operations.
func (s *Shop) call(f func(e *Engine) ([]Event, error)) ([]Event, uint64, error) {
	s.mu.Lock()
	evs, err := f(s.e)
	out := slices.Clone(evs)
	s.ops++
	n := s.ops
	s.mu.Unlock()
	return out, n, err
}

func (s *Shop) do(f func(e *Engine) ([]Event, error)) ([]Event, error) {
	evs, _, err := s.call(f)
	return evs, err
}

// Exec runs op, one engine operation, under the shop's mutex and appends
// its events to dst, which the caller owns: a host that reuses dst (dst[:0]
// of the last result) does not allocate, where the other methods copy the
// events into a new slice on every call, garbage the collector shared by
// all goroutines must then reclaim. op must only call the operation and
// return what it returned.
//
//	buf, err = shop.Exec(buf[:0], func(e *dispatch.Engine) ([]dispatch.Event, error) {
//		return e.Arrive(now, dispatch.Arrival{Session: id, Buyer: buyer})
//	})
func (s *Shop) Exec(dst []Event, op func(e *Engine) ([]Event, error)) ([]Event, error) {
	s.mu.Lock()
	evs, err := op(s.e)
	dst = append(dst, evs...)
	s.ops++
	s.mu.Unlock()
	return dst, err
}

// Read runs f with the shop's mutex held, for queries (Engine.Session,
// List, Agents, …). f must not keep the engine nor call its operations
// from another goroutine; it should only read and return.
func (s *Shop) Read(f func(e *Engine)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.e)
}

// AddAgent is Engine.AddAgent under the shop's mutex.
func (s *Shop) AddAgent(now time.Time, id string, cfg AgentConfig) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.AddAgent(now, id, cfg) })
}

// RemoveAgent is Engine.RemoveAgent under the shop's mutex.
func (s *Shop) RemoveAgent(now time.Time, id string) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.RemoveAgent(now, id) })
}

// Login is Engine.Login under the shop's mutex.
func (s *Shop) Login(now time.Time, id string) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.Login(now, id) })
}

// Logout is Engine.Logout under the shop's mutex.
func (s *Shop) Logout(now time.Time, id string) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.Logout(now, id) })
}

// SetStatus is Engine.SetStatus under the shop's mutex.
func (s *Shop) SetStatus(now time.Time, id string, st agent.Status) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.SetStatus(now, id, st) })
}

// SetCapacity is Engine.SetCapacity under the shop's mutex.
func (s *Shop) SetCapacity(now time.Time, id string, c agent.Capacity) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.SetCapacity(now, id, c) })
}

// Arrive is Engine.Arrive under the shop's mutex.
func (s *Shop) Arrive(now time.Time, a Arrival) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.Arrive(now, a) })
}

// Start is Engine.Start under the shop's mutex.
func (s *Shop) Start(now time.Time, o Outbound) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.Start(now, o) })
}

// Message is Engine.Message under the shop's mutex.
func (s *Shop) Message(now time.Time, m Message) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.Message(now, m) })
}

// MarkRead is Engine.MarkRead under the shop's mutex.
func (s *Shop) MarkRead(now time.Time, id string) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.MarkRead(now, id) })
}

// Follow is Engine.Follow under the shop's mutex.
func (s *Shop) Follow(now time.Time, id string) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.Follow(now, id) })
}

// Close is Engine.Close under the shop's mutex.
func (s *Shop) Close(now time.Time, id string) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.Close(now, id) })
}

// Leave is Engine.Leave under the shop's mutex.
func (s *Shop) Leave(now time.Time, id string) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.Leave(now, id) })
}

// Assign is Engine.Assign under the shop's mutex.
func (s *Shop) Assign(now time.Time, id, agentID string) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.Assign(now, id, agentID) })
}

// Transfer is Engine.Transfer under the shop's mutex.
func (s *Shop) Transfer(now time.Time, id, to string) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.Transfer(now, id, to) })
}

// Handover is Engine.Handover under the shop's mutex.
func (s *Shop) Handover(now time.Time, id string) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.Handover(now, id) })
}

// SetTeamLevel is Engine.SetTeamLevel under the shop's mutex.
func (s *Shop) SetTeamLevel(now time.Time, l policy.TeamLevel) ([]Event, error) {
	return s.do(func(e *Engine) ([]Event, error) { return e.SetTeamLevel(now, l) })
}

// Advance is Engine.Advance under the shop's mutex.
func (s *Shop) Advance(now time.Time) []Event {
	evs, _ := s.do(func(e *Engine) ([]Event, error) { return e.Advance(now), nil })
	return evs
}

// Verify is Engine.Verify under the shop's mutex.
func (s *Shop) Verify() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.e.Verify()
}

// Shops holds many shops' engines in one process, safe for concurrent
// use. Shops share nothing: finding a shop takes no lock (a sync.Map),
// and each shop has its own mutex, so calls for different shops never wait
// for each other and many shops scale across cores.
//
// The zero value is an empty, usable registry.
type Shops struct {
	m sync.Map // id → *Shop
}

// Open creates a shop with policy p.
//
// Errors: ErrDuplicateShop, or the policy's validation error.
func (r *Shops) Open(id string, p policy.Policy, opts ...Option) (*Shop, error) {
	s, err := NewShop(p, opts...)
	if err != nil {
		return nil, err
	}
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
	if _, ok := r.m.LoadAndDelete(id); !ok {
		return fmt.Errorf("%w: %q", ErrUnknownShop, id)
	}
	return nil
}

// Range calls f for each shop, in no particular order, until f returns
// false.
func (r *Shops) Range(f func(id string, s *Shop) bool) {
	r.m.Range(func(k, v any) bool { return f(k.(string), v.(*Shop)) })
}

// Snapshot is Engine.Snapshot under the shop's mutex.
func (s *Shop) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
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
	if _, loaded := r.m.LoadOrStore(id, s); loaded {
		return fmt.Errorf("%w: %q", ErrDuplicateShop, id)
	}
	return nil
}
