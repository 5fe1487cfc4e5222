package durable

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/policy"
)

// HostOptions configure a Host. Log and Snapshots are required (one
// *Files is both).
type HostOptions struct {
	// Log holds every shop's ops; Snapshots each shop's latest snapshot.
	Log       Log
	Snapshots SnapshotStore
	// Engine returns the options of a shop's engine, given its policy,
	// when the shop is created and every time it is loaded: its observers
	// (a metrics.Recorder per shop in the policy's Location, say; one
	// that implements encoding.BinaryMarshaler is saved in the shop's
	// snapshots and restored with it) and its logger. Nil: none.
	Engine func(shop string, p policy.Policy) []dispatch.Option
	// Publish, if set, receives the events of every op the host applies
	// (Apply and AdvanceDue alike), under the shop's mutex, right after
	// the engine returns them: so a shop's events reach it in Event.Seq
	// order, whichever goroutine applied the op. Never for ops replayed
	// at a load. It must not block (hand the events to a channel or a
	// buffer) nor call the host; evs is valid only during the call.
	Publish func(shop string, evs []dispatch.Event)
	// SnapshotEvery snapshots a shop after this many ops since its last
	// snapshot (default 1000), so that loading it replays at most that
	// many.
	SnapshotEvery int
	// SnapshotAfter snapshots, at Maintain, a shop whose last snapshot is
	// older than this (by the shop's clock) and that has had ops since
	// (default 5 minutes): the log keeps about this much of an active
	// shop.
	SnapshotAfter time.Duration
	// IdleAfter evicts, at Maintain, a shop with no op for this long (by
	// the time passed to Maintain): it is snapshotted and dropped from
	// memory, and loaded again on its next use or timer. Default 10
	// minutes; negative never evicts.
	IdleAfter time.Duration
	// Logger receives the errors the host cannot return to a caller (a
	// failed snapshot, a shop that cannot load for its timer). Default
	// zap.NewNop().
	Logger *zap.Logger
}

// Host runs many shops' engines on a durable log, safe for concurrent
// use (DESIGN properties 8 and 9). Applying an op to a shop is, under the
// shop's own mutex: append it to the log (and wait until it is durable),
// apply it to the engine, and run the engine's observers; so an op the
// host acknowledges is in the log, and the log holds the ops in the order
// the engine applied them. Shops share nothing but the log's group
// commit: calls for different shops run in parallel.
//
// A shop is loaded on first use (its snapshot, then its ops since) and
// evicted when idle (Maintain: snapshot, then dropped from memory), so
// memory follows the active shops; an evicted shop costs its files and,
// if it has a pending timer, one entry in the host's timer heap. One heap
// holds the earliest timer of every shop, loaded or not (NextDeadline,
// AdvanceDue): an Advance is logged only for a shop with a timer due.
//
// # Rejected ops
//
// Every op is logged before it is applied, whatever the engine answers:
// an op the engine rejects still moves its clock and fires its timers
// (see dispatch.Engine.Apply), so replaying the log, rejected ops
// included, rebuilds the shop exactly, events numbered the same. The one
// exception is an op that cannot be encoded (dispatch.ErrInvalidOp from
// Op.MarshalJSON): it is neither logged nor applied.
//
// # Errors
//
// An op whose append fails is not applied and returns the error; the
// host then drops the shop from memory, so its next use rebuilds it from
// what the log holds (the append may have reached the log: a caller that
// got an error must treat the op as maybe applied, as after any
// timeout). ErrFenced says another host owns the shop now.
type Host struct {
	opts HostOptions
	log  *zap.Logger

	mu     sync.Mutex
	shops  map[string]*hosted // loaded (or loading) shops
	due    dueHeap            // the earliest timer of every shop
	closed bool
	stats  HostStats
}

// hosted is one shop in a Host.
type hosted struct {
	mu    sync.Mutex
	id    string
	e     *dispatch.Engine // nil until loaded, and after a failed append
	gone  bool             // evicted: look the shop up again
	fence Fence
	snapN uint64    // ops its last snapshot covers
	since int       // ops since then
	snapT time.Time // the shop's clock at its last snapshot
	used  time.Time // time of its last op
	noted int64     // the deadline (ns) its entry in the due heap has; 0 none
}

// HostStats are a host's counters, for monitoring and tests.
type HostStats struct {
	Loaded    int    // shops in memory now
	Loads     uint64 // shops loaded (snapshot and replay), created ones not counted
	Replayed  uint64 // ops replayed by those loads
	Evictions uint64
	Snapshots uint64
}

// NewHost starts a host on a log and snapshot store, recovering after a
// crash: it loads every shop that has ops in the log after its snapshot
// (their timers are only known by replaying them) and learns the timers
// of the others from the snapshot store's list.
func NewHost(ctx context.Context, opts HostOptions) (*Host, error) {
	if opts.Log == nil || opts.Snapshots == nil {
		return nil, errors.New("durable: HostOptions.Log and Snapshots are required")
	}
	if opts.SnapshotEvery < 0 || opts.SnapshotAfter < 0 {
		return nil, fmt.Errorf("durable: negative SnapshotEvery %d or SnapshotAfter %v", opts.SnapshotEvery, opts.SnapshotAfter)
	}
	if opts.SnapshotEvery == 0 {
		opts.SnapshotEvery = 1000
	}
	if opts.SnapshotAfter == 0 {
		opts.SnapshotAfter = 5 * time.Minute
	}
	if opts.IdleAfter == 0 {
		opts.IdleAfter = 10 * time.Minute
	}
	h := &Host{opts: opts, log: opts.Logger, shops: make(map[string]*hosted)}
	if h.log == nil {
		h.log = zap.NewNop()
	}
	if err := h.Recover(ctx); err != nil {
		return nil, err
	}
	return h, nil
}

// Recover learns the shops the host's Log and SnapshotStore hold now: it
// loads every shop that has ops in the log after its snapshot (their
// timers are only known by replaying them) and puts the timers of the
// others, from the snapshot store's list, in the host's heap. NewHost
// calls it; a host whose Log takes over more shops later (partitions of
// a shared log moving between processes, package dispatch/jetstream)
// calls it again, after the takeover.
func (h *Host) Recover(ctx context.Context) error {
	err := h.opts.Log.Pending(ctx, func(shop string) error {
		s, err := h.lock(ctx, shop)
		if err != nil {
			return fmt.Errorf("durable: recovering shop %q: %w", shop, err)
		}
		s.mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	return h.opts.Snapshots.List(ctx, func(shop string, s Snapshot) error {
		h.mu.Lock()
		_, loaded := h.shops[shop]
		if !loaded && !s.Due.IsZero() {
			heap.Push(&h.due, due{s.Due.UnixNano(), shop})
		}
		h.mu.Unlock()
		return nil
	})
}

// Forget drops from memory, without a snapshot, every loaded shop for
// which match is true, and returns how many: for shops this host no
// longer owns (their Log's appends fail with ErrFenced now), whose state
// the new owner rebuilds from the log. Their timers stay in the heap
// until they come due; AdvanceDue then finds them fenced and drops them.
func (h *Host) Forget(match func(shop string) bool) int {
	n := 0
	for _, s := range h.loaded() {
		if !match(s.id) {
			continue
		}
		s.mu.Lock()
		if !s.gone && s.e != nil {
			h.drop(s)
			n++
		}
		s.mu.Unlock()
	}
	return n
}

func (h *Host) engineOpts(shop string, p policy.Policy) []dispatch.Option {
	if h.opts.Engine == nil {
		return nil
	}
	return h.opts.Engine(shop, p)
}

// Create creates a shop with policy p and makes it durable (a snapshot of
// the new engine), so that it exists for every later host of the log.
//
// Errors: ErrInvalidShop, dispatch.ErrDuplicateShop (it exists, loaded or
// not), the policy's (dispatch.ErrInvalidPolicy), or the storage's.
func (h *Host) Create(ctx context.Context, shop string, p policy.Policy) error {
	if err := checkShop(shop); err != nil {
		return err
	}
	s, err := h.entry(shop)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.e != nil {
		return fmt.Errorf("%w: %q", dispatch.ErrDuplicateShop, shop)
	}
	fail := func(err error) error { h.forget(s); return err }
	if _, err := h.opts.Snapshots.Get(ctx, shop); err == nil {
		return fail(fmt.Errorf("%w: %q", dispatch.ErrDuplicateShop, shop))
	} else if !errors.Is(err, ErrNoSnapshot) {
		return fail(err)
	}
	fence, err := h.opts.Log.Claim(ctx, shop)
	if err != nil {
		return fail(err)
	}
	e, err := dispatch.New(p, h.engineOpts(shop, p)...)
	if err != nil {
		return fail(err)
	}
	data, err := e.Snapshot()
	if err != nil {
		return fail(err)
	}
	if err := h.opts.Snapshots.Put(ctx, shop, Snapshot{Data: data}); err != nil {
		return fail(err)
	}
	s.e, s.fence = e, fence
	h.mu.Lock()
	h.stats.Loaded++
	h.mu.Unlock()
	return nil
}

// entry returns shop's entry, locked, creating an empty one.
func (h *Host) entry(shop string) (*hosted, error) {
	for {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return nil, ErrClosed
		}
		s := h.shops[shop]
		if s == nil {
			s = &hosted{id: shop}
			h.shops[shop] = s
		}
		h.mu.Unlock()
		s.mu.Lock()
		if !s.gone {
			return s, nil
		}
		s.mu.Unlock() // evicted meanwhile: look again
	}
}

// forget drops an entry that holds no engine (s.mu held).
func (h *Host) forget(s *hosted) {
	s.gone = true
	h.mu.Lock()
	if h.shops[s.id] == s {
		delete(h.shops, s.id)
	}
	h.mu.Unlock()
}

// lock returns shop's entry, locked and loaded.
func (h *Host) lock(ctx context.Context, shop string) (*hosted, error) {
	if err := checkShop(shop); err != nil {
		return nil, err
	}
	s, err := h.entry(shop)
	if err != nil {
		return nil, err
	}
	if s.e == nil {
		if err := h.load(ctx, s); err != nil {
			h.forget(s)
			s.mu.Unlock()
			return nil, err
		}
	}
	return s, nil
}

// load rebuilds s from its snapshot and the ops after it (s.mu held).
func (h *Host) load(ctx context.Context, s *hosted) error {
	fence, err := h.opts.Log.Claim(ctx, s.id)
	if err != nil {
		return err
	}
	snap, err := h.opts.Snapshots.Get(ctx, s.id)
	if errors.Is(err, ErrNoSnapshot) {
		return fmt.Errorf("%w: %q", dispatch.ErrUnknownShop, s.id)
	}
	if err != nil {
		return err
	}
	p, _, err := dispatch.SnapshotPolicy(snap.Data)
	if err != nil {
		return fmt.Errorf("durable: shop %q: %w", s.id, err)
	}
	e, err := dispatch.Restore(p, snap.Data, h.engineOpts(s.id, p)...)
	if err != nil {
		return fmt.Errorf("durable: shop %q: %w", s.id, err)
	}
	if e.Ops() != snap.N {
		return fmt.Errorf("%w: the snapshot of shop %q says it covers %d ops, its engine %d", ErrCorrupt, s.id, snap.N, e.Ops())
	}
	replayed := uint64(0)
	err = h.opts.Log.Read(ctx, s.id, snap.N, func(r Record) error {
		switch {
		case r.N <= e.Ops(): // a duplicate (a retried append): applied already
			return nil
		case r.N != e.Ops()+1:
			return fmt.Errorf("%w: the log of shop %q jumps from op %d to %d", ErrCorrupt, s.id, e.Ops(), r.N)
		}
		e.Apply(r.At, r.Op) // rejected ops are part of the history (see Host)
		replayed++
		return nil
	})
	if err != nil {
		return err
	}
	if snap.N > 0 {
		// A crash between a snapshot and its trim leaves ops the snapshot
		// covers in the log: trim them now (nothing to do otherwise).
		if err := h.opts.Log.Trim(ctx, s.id, fence, snap.N); err != nil {
			return err
		}
	}
	s.e, s.fence, s.snapN, s.since, s.snapT, s.noted = e, fence, snap.N, int(replayed), e.Now(), 0
	s.used = e.Now()
	h.mu.Lock()
	h.stats.Loaded++
	h.stats.Loads++
	h.stats.Replayed += replayed
	h.mu.Unlock()
	h.note(s)
	return nil
}

// drop unloads s after a failed append: its next use rebuilds it from the
// log (s.mu held).
func (h *Host) drop(s *hosted) {
	s.e = nil
	h.forget(s)
	h.mu.Lock()
	h.stats.Loaded--
	h.mu.Unlock()
}

// Apply appends op to shop's log and applies it at now (see Host); it
// returns the engine's events (a new slice) and error. The shop is loaded
// first if it is not in memory.
//
// Errors: ErrInvalidShop, dispatch.ErrUnknownShop (never created), the
// engine's (the op was logged and applied: see Host), ErrFenced, or the
// storage's (the op was not applied).
func (h *Host) Apply(ctx context.Context, shop string, now time.Time, op dispatch.Op) ([]dispatch.Event, error) {
	return h.ApplyTo(ctx, nil, shop, now, op)
}

// ApplyTo is Apply appending the events to dst, which the caller owns.
func (h *Host) ApplyTo(ctx context.Context, dst []dispatch.Event, shop string, now time.Time, op dispatch.Op) ([]dispatch.Event, error) {
	s, err := h.lock(ctx, shop)
	if err != nil {
		return dst, err
	}
	defer s.mu.Unlock()
	return h.apply(ctx, s, dst, now, op)
}

// apply runs op on a loaded shop (s.mu held).
func (h *Host) apply(ctx context.Context, s *hosted, dst []dispatch.Event, now time.Time, op dispatch.Op) ([]dispatch.Event, error) {
	if err := ctx.Err(); err != nil {
		return dst, err // nothing was tried: the shop is intact
	}
	n := s.e.Ops() + 1
	if err := h.opts.Log.Append(ctx, s.id, s.fence, []Record{{N: n, At: now, Op: op}}); err != nil {
		if errors.Is(err, dispatch.ErrInvalidOp) {
			return dst, err // refused before anything was written: the shop is intact
		}
		h.drop(s)
		return dst, fmt.Errorf("durable: shop %q, op %d not applied: %w", s.id, n, err)
	}
	evs, err := s.e.Apply(now, op)
	if h.opts.Publish != nil && len(evs) > 0 {
		h.opts.Publish(s.id, evs)
	}
	dst = append(dst, evs...)
	s.since++
	if now.After(s.used) {
		s.used = now
	}
	h.note(s)
	if s.since >= h.opts.SnapshotEvery {
		if err := h.snapshot(ctx, s); err != nil {
			h.log.Error("durable: snapshot failed", zap.String("shop", s.id), zap.Error(err))
		}
	}
	return dst, err
}

// note puts s's earliest timer in the due heap if the heap does not hold
// an earlier one for it (s.mu held).
func (h *Host) note(s *hosted) {
	t, ok := s.e.NextDeadline()
	if !ok {
		return
	}
	at := t.UnixNano()
	if s.noted != 0 && s.noted <= at {
		return
	}
	s.noted = at
	h.mu.Lock()
	heap.Push(&h.due, due{at, s.id})
	h.mu.Unlock()
}

// snapshot writes s's snapshot and trims the log it covers (s.mu held).
func (h *Host) snapshot(ctx context.Context, s *hosted) error {
	data, err := s.e.Snapshot()
	if err != nil {
		return err
	}
	snap := Snapshot{N: s.e.Ops(), Data: data}
	snap.Due, _ = s.e.NextDeadline()
	if err := h.opts.Snapshots.Put(ctx, s.id, snap); err != nil {
		return err
	}
	s.snapN, s.since, s.snapT = snap.N, 0, s.e.Now()
	h.mu.Lock()
	h.stats.Snapshots++
	h.mu.Unlock()
	return h.opts.Log.Trim(ctx, s.id, s.fence, snap.N)
}

// Read runs f on shop's engine under the shop's mutex, loading it first
// if needed, for queries (Session, List, Position, Stats, …). f must only
// read.
func (h *Host) Read(ctx context.Context, shop string, f func(e *dispatch.Engine)) error {
	s, err := h.lock(ctx, shop)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	f(s.e)
	return nil
}

// NextDeadline returns a time at or before the earliest pending timer of
// every shop of the host, loaded or not, and false if none has one: a
// host loop sleeps until then and calls AdvanceDue. It may be earlier
// than any real deadline (a timer cancelled since).
func (h *Host) NextDeadline() (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.due) == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, h.due[0].at), true
}

// AdvanceDue applies an Advance op at now to every shop with a timer due
// by then (loading it if needed), logged like any op, and calls f with
// each shop's events, if any (with no lock held). Shops with nothing due
// are not touched and nothing is logged for them. It returns how many
// shops it advanced, and the first error: a shop that cannot load or
// append is tried again a second later (its deadline in the heap moves
// to now + 1s); the others go on.
func (h *Host) AdvanceDue(ctx context.Context, now time.Time, f func(shop string, evs []dispatch.Event)) (int, error) {
	n := 0
	var first error
	var retry []due
	var evs []dispatch.Event
	for {
		h.mu.Lock()
		if len(h.due) == 0 || h.due[0].at > now.UnixNano() {
			for _, d := range retry { // not before a second from now: no busy loop on a broken shop
				d.at = now.Add(retryAfter).UnixNano()
				heap.Push(&h.due, d)
			}
			h.mu.Unlock()
			return n, first
		}
		x := heap.Pop(&h.due).(due)
		h.mu.Unlock()
		s, err := h.lock(ctx, x.id)
		if errors.Is(err, dispatch.ErrUnknownShop) || errors.Is(err, ErrFenced) {
			continue // gone, or another host's now: its timers are that host's
		}
		if err != nil {
			first = firstOf(first, err)
			retry = append(retry, x)
			continue
		}
		if s.noted == x.at {
			s.noted = 0 // this entry is gone from the heap
		}
		if t, ok := s.e.NextDeadline(); !ok || t.After(now) {
			h.note(s) // nothing due: the heap learns the real deadline
			s.mu.Unlock()
			continue
		}
		evs, err = h.apply(ctx, s, evs[:0], now, dispatch.Op{Kind: dispatch.OpAdvance})
		if errors.Is(err, ErrFenced) {
			s.mu.Unlock()
			continue
		}
		if err != nil {
			s.mu.Unlock()
			first = firstOf(first, err)
			retry = append(retry, x)
			continue
		}
		s.mu.Unlock()
		n++
		if len(evs) > 0 && f != nil {
			f(x.id, slices.Clone(evs))
		}
	}
}

// retryAfter is how long AdvanceDue waits before it tries a failed shop
// again.
const retryAfter = time.Second

// firstOf returns first, or err if first is nil.
func firstOf(first, err error) error {
	if first == nil {
		return err
	}
	return first
}

// Maintain snapshots every loaded shop whose last snapshot is older than
// SnapshotAfter (by its clock) and that has had ops since, and evicts
// every shop idle for IdleAfter by now (snapshotting it first if it had
// ops since its last snapshot). O(loaded shops). It returns the first
// error; a shop whose snapshot fails stays loaded.
func (h *Host) Maintain(ctx context.Context, now time.Time) error {
	var first error
	for _, s := range h.loaded() {
		s.mu.Lock()
		if s.gone || s.e == nil {
			s.mu.Unlock()
			continue
		}
		idle := h.opts.IdleAfter > 0 && now.Sub(s.used) >= h.opts.IdleAfter
		if s.since > 0 && (idle || s.e.Now().Sub(s.snapT) >= h.opts.SnapshotAfter) {
			if err := h.snapshot(ctx, s); err != nil {
				first = firstOf(first, fmt.Errorf("durable: snapshot of shop %q: %w", s.id, err))
				s.mu.Unlock()
				continue
			}
		}
		if idle {
			h.evict(s)
		}
		s.mu.Unlock()
	}
	return first
}

// loaded returns the shops in memory (or loading).
func (h *Host) loaded() []*hosted {
	h.mu.Lock()
	defer h.mu.Unlock()
	all := make([]*hosted, 0, len(h.shops))
	for _, s := range h.shops {
		all = append(all, s)
	}
	return all
}

// evict drops a snapshotted shop from memory; its entry in the due heap
// stays, so its timers still fire (s.mu held).
func (h *Host) evict(s *hosted) {
	s.e = nil
	h.forget(s)
	h.mu.Lock()
	h.stats.Loaded--
	h.stats.Evictions++
	h.mu.Unlock()
}

// Stats returns the host's counters.
func (h *Host) Stats() HostStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stats
}

// Run drives the host's timers and maintenance on the wall clock until
// ctx is done or the host is closed: AdvanceDue at every shop's deadline
// (f gets the events), and Maintain every interval (a quarter of
// SnapshotAfter if 0). Errors are logged (a shop that cannot load or
// append at its timer is tried again a second later: see AdvanceDue).
// Tests drive AdvanceDue and Maintain with their own clock instead.
func (h *Host) Run(ctx context.Context, interval time.Duration, f func(shop string, evs []dispatch.Event)) {
	if interval <= 0 {
		interval = h.opts.SnapshotAfter / 4
	}
	next := time.Now().Add(interval)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if h.isClosed() {
			return
		}
		now := time.Now()
		if _, err := h.AdvanceDue(ctx, now, f); err != nil {
			h.log.Error("durable: timers", zap.Error(err))
		}
		if !now.Before(next) {
			if err := h.Maintain(ctx, now); err != nil {
				h.log.Error("durable: maintenance", zap.Error(err))
			}
			next = now.Add(interval)
		}
		wake := next
		if d, ok := h.NextDeadline(); ok && d.Before(wake) {
			wake = d
		}
		t.Reset(max(time.Until(wake), time.Millisecond))
	}
}

// isClosed reports whether Close was called.
func (h *Host) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// Close snapshots every loaded shop that has had ops since its last
// snapshot (so the next start replays little) and closes the host: later
// calls return ErrClosed. It does not close the Log and SnapshotStore,
// which the caller owns (close them after). It returns the first error.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	h.closed = true
	h.mu.Unlock()
	var first error
	for _, s := range h.loaded() {
		s.mu.Lock() // waits for a call in progress on the shop
		if !s.gone && s.e != nil && s.since > 0 {
			if err := h.snapshot(ctx, s); err != nil {
				first = firstOf(first, fmt.Errorf("durable: snapshot of shop %q: %w", s.id, err))
			}
		}
		s.gone, s.e = true, nil
		s.mu.Unlock()
	}
	return first
}

// due is a shop's entry in the timer heap.
type due struct {
	at int64 // ns
	id string
}

type dueHeap []due

func (d dueHeap) Len() int           { return len(d) }
func (d dueHeap) Less(i, j int) bool { return d[i].at < d[j].at }
func (d dueHeap) Swap(i, j int)      { d[i], d[j] = d[j], d[i] }
func (d *dueHeap) Push(x any)        { *d = append(*d, x.(due)) }
func (d *dueHeap) Pop() any {
	old := *d
	x := old[len(old)-1]
	old[len(old)-1] = due{}
	*d = old[:len(old)-1]
	return x
}
