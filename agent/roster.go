package agent

import (
	"cmp"
	"fmt"
	"iter"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/google/btree"
)

// degree is the B-tree degree of the roster's indexes (google/btree's
// advice: start at 32, then measure).
const degree = 32

// Agent is one agent as the roster sees it. Its fields change only through
// [Roster] methods, which keep the indexes in step; read them with the
// getters.
type Agent struct {
	id       string
	group    string // R2: the group it serves first; "" for none
	capacity Capacity
	idle     time.Time // last time the agent received a session, or was added
	roster   *Roster   // the roster it belongs to; nil once removed
	load     int
	slot     int32 // see Slot

	status Status
	resume Status // what Login restores (S2)
	active bool   // in the saturation indexes: online and not suspended
	open   bool   // in the round-robin indexes: active and has room
	held   bool   // out of the indexes between Hold and Settle
}

// ID returns the agent's id.
func (a *Agent) ID() string { return a.id }

// Slot returns a small number that no other agent of the roster has: the
// roster numbers its agents from 0 and gives a removed agent's number to
// the next one added, so the numbers stay below the largest number of
// agents the roster has held at once (Roster.Slots). A dispatcher keeps
// its per-agent state in a slice indexed by it, not in a map.
func (a *Agent) Slot() int { return int(a.slot) }

// Status returns the agent's current status.
func (a *Agent) Status() Status { return a.status }

// Group returns the group the agent belongs to (R2), "" for none.
func (a *Agent) Group() string { return a.group }

// Capacity returns the agent's max reception.
func (a *Agent) Capacity() Capacity { return a.capacity }

// Load returns the agent's load: the number of sessions in its reception
// list, as the caller counts them with AddLoad (a dispatcher with
// weighted capacity, E10, counts units of capacity, not sessions).
func (a *Agent) Load() int { return a.load }

// IdleSince returns when the agent last received a session (or was added, if
// it never did). Among equally saturated agents the one idle longest is
// chosen first (R1, Q4).
func (a *Agent) IdleSince() time.Time { return a.idle }

// HasRoom reports whether the agent may be auto-assigned one more session
// now: it is online and its capacity has room at its load (C1, S1).
func (a *Agent) HasRoom() bool { return a.status == Online && a.capacity.HasRoom(a.load) }

// HasRoomFor reports whether the agent may be auto-assigned a session
// that costs units of its capacity now (E10): it is online and its load
// plus units is within its cap (Capacity.HasRoomFor). HasRoomFor(1) is
// HasRoom.
func (a *Agent) HasRoomFor(units int) bool {
	return a.status == Online && a.capacity.HasRoomFor(a.load, units)
}

// Saturation returns load/limit for display: 0 for an unlimited agent,
// +Inf for a suspended one (it takes nothing). The roster orders agents by
// the exact fraction, not by this float.
func (a *Agent) Saturation() float64 {
	num, den := a.fraction()
	if den == 0 {
		return math.Inf(1)
	}
	return float64(num) / float64(den)
}

// fraction returns saturation as num/den: load/limit for a limit, 0/1 for
// unlimited, 1/0 (+Inf, equal among themselves) for suspended or a limit
// below 1, so that the order stays transitive across modes.
func (a *Agent) fraction() (num, den uint64) {
	switch {
	case a.capacity.mode == modeUnlimited:
		return 0, 1
	case a.capacity.mode == modeLimit && a.capacity.limit > 0:
		return uint64(a.load), uint64(a.capacity.limit)
	}
	return 1, 0
}

// compareSaturation orders a and b by load/limit exactly (128-bit cross
// multiplication, no float rounding).
func compareSaturation(a, b *Agent) int {
	an, ad := a.fraction()
	bn, bd := b.fraction()
	h1, l1 := bits.Mul64(an, bd)
	h2, l2 := bits.Mul64(bn, ad)
	switch {
	case h1 < h2 || (h1 == h2 && l1 < l2):
		return -1
	case h1 > h2 || (h1 == h2 && l1 > l2):
		return 1
	}
	return 0
}

// lessSaturation is the order of the active index (R1 least-saturated, Q4,
// R3): saturation, then idle longest, then id. It is total because ids are
// unique.
func lessSaturation(a, b *Agent) bool {
	if c := compareSaturation(a, b); c != 0 {
		return c < 0
	}
	if !a.idle.Equal(b.idle) {
		return a.idle.Before(b.idle)
	}
	return a.id < b.id
}

func cmpID(a, b *Agent) int { return strings.Compare(a.id, b.id) }

// ranked is an agent in a saturation index with its sort key copied in,
// so that a search compares keys in the index's own memory instead of
// loading every agent it passes. It holds no pointer (the agent is its
// slot in Roster.bySlot): 32 bytes the garbage collector does not scan
// and a move copies without write barriers.
type ranked struct {
	num, den uint64 // saturation, as Agent.fraction returns it
	sec      int64  // idle since, as Unix seconds and nanoseconds: exact
	nsec     int32  // for any time.Time
	slot     int32
}

func rankOf(a *Agent) ranked {
	num, den := a.fraction()
	return ranked{num: num, den: den, sec: a.idle.Unix(), nsec: int32(a.idle.Nanosecond()), slot: a.slot}
}

// cmpRanked is lessSaturation on the copied keys: saturation, then idle
// longest, then id.
func (r *Roster) cmpRanked(x, y ranked) int {
	h1, l1 := bits.Mul64(x.num, y.den)
	h2, l2 := bits.Mul64(y.num, x.den)
	switch {
	case h1 != h2:
		return cmp.Compare(h1, h2)
	case l1 != l2:
		return cmp.Compare(l1, l2)
	case x.sec != y.sec:
		return cmp.Compare(x.sec, y.sec)
	case x.nsec != y.nsec:
		return cmp.Compare(x.nsec, y.nsec)
	}
	if x.slot == y.slot {
		return 0
	}
	return strings.Compare(r.bySlot[x.slot].id, r.bySlot[y.slot].id)
}

// Roster holds a shop's agents and the indexes the dispatcher asks "who can
// take work?". The zero value is not usable; call [NewRoster].
type Roster struct {
	byID      map[string]*Agent // nil while all is a slice (Get searches it)
	all       set[*Agent]       // every agent, by id
	every     *index            // all agents' work indexes
	groups    map[string]*index // one per group with members (R2)
	byStatus  [Offline + 1]int  // agents by status (index 0 unused)
	slots     int32             // slots handed out (Slots)
	bySlot    []*Agent          // the agent in each slot; nil for a free one
	freeSlots []int32           // of removed agents, for the next ones
	holds     []hold            // the agents held (Hold), usually none or one
	free      *btree.FreeListG[*Agent]
}

// index holds the work indexes of one set of agents: the whole roster, or
// one group.
type index struct {
	r      *Roster
	active set[ranked] // online and not suspended, by saturation (cmpRanked)
	// open holds the active agents with room, by id, for round-robin. It
	// is built by the first round-robin pick (rr.id is set from then on,
	// or restored), so that a shop that never deals round-robin does not
	// keep it: most load changes would move an agent in it.
	open  set[*Agent]
	dealt bool
	rr    Agent // round-robin cursor: id of the last pick
	size  int   // agents in the set
}

func (r *Roster) newIndex() *index {
	return &index{r: r, active: newSet(r.cmpRanked), open: newSet(cmpID)}
}

// NewRoster returns an empty roster.
func NewRoster() *Roster {
	r := &Roster{groups: make(map[string]*index), all: newSet(cmpID)}
	r.every = r.newIndex()
	return r
}

// in returns the index of a group, or of every agent for "". ok is false
// for a group that never had a member.
func (r *Roster) in(group string) (*index, bool) {
	if group == "" {
		return r.every, true
	}
	x, ok := r.groups[group]
	return x, ok
}

// Slots returns one more than the largest Agent.Slot the roster has given:
// a slice of this length has a place for every agent's state.
func (r *Roster) Slots() int { return int(r.slots) }

// Len returns the number of agents.
func (r *Roster) Len() int { return r.all.Len() }

// Online returns the number of agents whose status is Online, suspended or
// not (O1: with none, new sessions go to the offline pool).
func (r *Roster) Online() int { return r.byStatus[Online] }

// Count returns the number of agents with status s (0 for an invalid
// status). O(1).
func (r *Roster) Count(s Status) int {
	if !s.Valid() {
		return 0
	}
	return r.byStatus[s]
}

// Get returns the agent with this id. Cost O(log n): a binary search of
// the id index while the roster is small, a map lookup when it is large.
func (r *Roster) Get(id string) (*Agent, bool) {
	if r.byID != nil {
		a, ok := r.byID[id]
		return a, ok
	}
	s := r.all.small
	i, j := 0, len(s)
	for i < j {
		h := int(uint(i+j) >> 1)
		if s[h].id < id {
			i = h + 1
		} else {
			j = h
		}
	}
	if i < len(s) && s[i].id == id {
		return s[i], true
	}
	return nil, false
}

// All yields every agent in id order. Do not change the roster while
// iterating.
func (r *Roster) All() iter.Seq[*Agent] {
	return func(yield func(*Agent) bool) {
		r.all.Ascend(func(a *Agent) bool { return yield(a) })
	}
}

// Add adds an agent with the given capacity, online (S2: a new agent's first
// status is online), with no load, idle since now. It does not check the
// capacity against any bounds; the caller does (see [Bounds.Check]).
func (r *Roster) Add(id string, c Capacity, now time.Time) (*Agent, error) {
	if id == "" {
		return nil, ErrEmptyID
	}
	if _, dup := r.Get(id); dup {
		return nil, fmt.Errorf("%w: %q", ErrDuplicateAgent, id)
	}
	a := &Agent{id: id, status: Online, resume: Online, capacity: c, idle: now, roster: r, slot: r.slots}
	if n := len(r.freeSlots); n > 0 {
		a.slot, r.freeSlots = r.freeSlots[n-1], r.freeSlots[:n-1]
		r.bySlot[a.slot] = a
	} else {
		r.slots++
		r.bySlot = append(roomForOne(r.bySlot), a)
	}
	r.all.ReplaceOrInsert(a)
	switch {
	case r.byID != nil:
		r.byID[id] = a
	case r.all.big != nil: // large now: Get switches to a map
		r.byID = make(map[string]*Agent, r.all.Len())
		r.all.Ascend(func(b *Agent) bool { r.byID[b.id] = b; return true })
	}
	r.every.size++
	r.byStatus[Online]++
	r.index(a)
	return a, nil
}

// own returns nil if a is an agent of this roster, else ErrUnknownAgent:
// a nil agent, or one of another roster, never reaches the indexes.
func (r *Roster) own(a *Agent) error {
	if a == nil {
		return fmt.Errorf("%w: nil", ErrUnknownAgent)
	}
	if a.roster != r {
		return fmt.Errorf("%w: %q is not in this roster", ErrUnknownAgent, a.id)
	}
	return nil
}

// SetGroup moves a into group g (R2); "" takes it out of any group.
//
// Errors: ErrUnknownAgent for an agent not in this roster.
func (r *Roster) SetGroup(a *Agent, g string) error {
	if err := r.own(a); err != nil {
		return err
	}
	r.unindex(a)
	r.leaveGroup(a)
	a.group = g
	if g != "" {
		x, ok := r.groups[g]
		if !ok {
			x = r.newIndex()
			r.groups[g] = x
		}
		x.size++
	}
	r.index(a)
	return nil
}

func (r *Roster) leaveGroup(a *Agent) {
	if a.group == "" {
		return
	}
	if x := r.groups[a.group]; x != nil {
		x.size-- // the index stays, empty, and keeps its round-robin cursor
	}
	a.group = ""
}

// Remove removes an idle agent. An agent with sessions in reception is not
// removed (ErrAgentBusy): transfer or close them first.
func (r *Roster) Remove(id string) error {
	a, ok := r.Get(id)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownAgent, id)
	}
	if a.load > 0 {
		return fmt.Errorf("%w: %q has %d", ErrAgentBusy, id, a.load)
	}
	r.unindex(a)
	if a.held {
		r.heldKey(a)
		a.held = false
	}
	r.leaveGroup(a)
	r.byStatus[a.status]--
	r.all.Delete(a)
	r.every.size--
	if r.byID != nil {
		delete(r.byID, id)
	}
	a.roster = nil
	r.freeSlots = append(r.freeSlots, a.slot)
	r.bySlot[a.slot] = nil
	return nil
}

// SetStatus sets a's status. Login will restore an Online or Break status
// (S2); setting Offline is the same as Logout, so a later Login restores
// the status a had before. It returns ErrInvalidStatus for a value other
// than Online, Break and Offline.
func (r *Roster) SetStatus(a *Agent, s Status) error {
	if err := r.own(a); err != nil {
		return err
	}
	if !s.Valid() {
		return fmt.Errorf("%w: %d", ErrInvalidStatus, uint8(s))
	}
	if s == Offline {
		return r.Logout(a)
	}
	r.setStatus(a, s)
	a.resume = s
	return nil
}

// Logout makes a offline and remembers its status for the next Login (S2).
// Logging out twice keeps the first remembered status.
//
// Errors: ErrUnknownAgent for an agent not in this roster.
func (r *Roster) Logout(a *Agent) error {
	if err := r.own(a); err != nil {
		return err
	}
	if a.status != Offline {
		a.resume = a.status
	}
	r.setStatus(a, Offline)
	return nil
}

// Login gives a back the status it had when it logged out, online or on
// break (S2: 客服重新登录时自动同步上次登录时的状态); an agent never
// logged out before comes back online. Login never leaves an agent offline.
//
// Errors: ErrUnknownAgent for an agent not in this roster.
func (r *Roster) Login(a *Agent) error {
	if err := r.own(a); err != nil {
		return err
	}
	r.setStatus(a, a.resume)
	return nil
}

// Resume returns the status a would get back at its next Login: Online or
// Break.
func (a *Agent) Resume() Status { return a.resume }

func (r *Roster) setStatus(a *Agent, s Status) {
	r.unindex(a)
	r.byStatus[a.status]--
	a.status = s
	r.byStatus[s]++
	r.index(a)
}

// SetCapacity sets a's capacity. It neither validates it (see
// [Bounds.Check]) nor evicts sessions when the new limit is below the load
// (C6).
//
// Errors: ErrUnknownAgent for an agent not in this roster.
func (r *Roster) SetCapacity(a *Agent, c Capacity) error {
	if err := r.own(a); err != nil {
		return err
	}
	r.unindex(a)
	a.capacity = c
	r.index(a)
	return nil
}

// AddLoad changes a's load by delta (a session entered, +1, or left, -1, its
// reception list; with weighted capacity, E10, the session's units). A positive delta marks a as busy at now (idle since now).
// The load never goes below zero.
//
// Errors: ErrUnknownAgent for an agent not in this roster.
func (r *Roster) AddLoad(a *Agent, delta int, now time.Time) error {
	if err := r.own(a); err != nil {
		return err
	}
	if a.held { // re-indexed once, by Settle
		a.load = max(a.load+delta, 0)
		if delta > 0 {
			a.idle = now
		}
		return nil
	}
	if !a.active { // nothing to move
		a.load = max(a.load+delta, 0)
		if delta > 0 {
			a.idle = now
		}
		r.index(a)
		return nil
	}
	was, wasOpen := rankOf(a), a.open
	a.load = max(a.load+delta, 0)
	if delta > 0 {
		a.idle = now
	}
	a.open = a.capacity.HasRoom(a.load)
	r.every.move(a, was, wasOpen)
	if a.group != "" {
		r.groups[a.group].move(a, was, wasOpen)
	}
	return nil
}

// move moves an active agent, still active, from its key was in x to its
// current one.
func (x *index) move(a *Agent, was ranked, wasOpen bool) {
	x.active.Fix(was, rankOf(a))
	if x.dealt && a.open != wasOpen {
		if a.open {
			x.open.ReplaceOrInsert(a)
		} else {
			x.open.Delete(a)
		}
	}
}

// Hold takes a out of the work indexes while its load changes several
// times in one step, so that the indexes move it once, at [Roster.Settle],
// instead of at every change: a close that frees a place and pulls the
// queue head into it costs one index update, not four. While held, a is
// not offered by LeastSaturated or NextRoundRobin, AddLoad only counts,
// and Verify reports it. Holding a held agent does nothing.
//
// Errors: ErrUnknownAgent for an agent not in this roster.
func (r *Roster) Hold(a *Agent) error {
	if err := r.own(a); err != nil {
		return err
	}
	if !a.held { // it stays in the indexes, at the key it has now, passed over
		a.held = true
		r.holds = append(r.holds, hold{a: a, key: rankOf(a)})
	}
	return nil
}

// hold is a held agent and the key it has in the indexes.
type hold struct {
	a   *Agent
	key ranked
}

// heldKey removes a's hold and returns its key.
func (r *Roster) heldKey(a *Agent) ranked {
	for i, h := range r.holds {
		if h.a == a {
			r.holds = slices.Delete(r.holds, i, i+1)
			return h.key
		}
	}
	panic("agent: held agent without a hold")
}

// keyOf returns a's key in the indexes.
func (r *Roster) keyOf(a *Agent) ranked {
	if a.held {
		for _, h := range r.holds {
			if h.a == a {
				return h.key
			}
		}
	}
	return rankOf(a)
}

// Settle puts a held agent back in the work indexes where its status,
// capacity, load and idle time now place it. Settling an agent not held
// does nothing.
//
// Errors: ErrUnknownAgent for an agent not in this roster.
func (r *Roster) Settle(a *Agent) error {
	if err := r.own(a); err != nil {
		return err
	}
	if !a.held {
		return nil
	}
	key := r.heldKey(a)
	a.held = false
	if !a.active { // taken out while held (a status or capacity change)
		r.index(a)
		return nil
	}
	// Still active (only the load and idle time change while held): one
	// move from the key it had to the one it has.
	wasOpen := a.open
	a.open = a.capacity.HasRoom(a.load)
	r.every.move(a, key, wasOpen)
	if a.group != "" {
		r.groups[a.group].move(a, key, wasOpen)
	}
	return nil
}

// LeastSaturated returns the online, non-suspended agent with the lowest
// load/limit (ties: idle longest, then id). It may be full: if it has no
// room, no online agent has (every agent with room has saturation < 1, every
// full one ≥ 1). ok is false when no agent is online and not suspended.
// Cost O(log n).
func (r *Roster) LeastSaturated() (a *Agent, ok bool) { return r.every.leastSaturated() }

// LeastSaturatedIn is LeastSaturated among the agents of group g (R2);
// g == "" means every agent.
func (r *Roster) LeastSaturatedIn(g string) (a *Agent, ok bool) {
	x, ok := r.in(g)
	if !ok {
		return nil, false
	}
	return x.leastSaturated()
}

func (x *index) leastSaturated() (*Agent, bool) {
	m, ok := x.active.Min()
	if !ok {
		return nil, false
	}
	if a := x.r.bySlot[m.slot]; !a.held {
		return a, true
	}
	var found *Agent // the first is held: the next one that is not
	x.active.Ascend(func(y ranked) bool {
		if a := x.r.bySlot[y.slot]; !a.held {
			found = a
			return false
		}
		return true
	})
	return found, found != nil
}

// NextRoundRobin returns the agent with room whose id follows, in id order,
// the one it returned last (wrapping around), and moves its cursor there
// (R1 round-robin). ok is false when no agent has room. Cost O(log n).
func (r *Roster) NextRoundRobin() (a *Agent, ok bool) { return r.every.next(nil) }

// NextRoundRobinIn is NextRoundRobin among the agents of group g, with a
// cursor of its own; g == "" means every agent.
func (r *Roster) NextRoundRobinIn(g string) (a *Agent, ok bool) {
	x, ok := r.in(g)
	if !ok {
		return nil, false
	}
	return x.next(nil)
}

// NextRoundRobinSkipping is NextRoundRobinIn passing over the agents
// skip reports (E2: those who declined the session), as if they had no
// room. Cost O(log n + k) for k agents passed over.
func (r *Roster) NextRoundRobinSkipping(g string, skip func(*Agent) bool) (a *Agent, ok bool) {
	x, ok := r.in(g)
	if !ok {
		return nil, false
	}
	return x.next(skip)
}

func (x *index) next(skip func(*Agent) bool) (a *Agent, ok bool) {
	if !x.dealt { // the first pick builds the index (see index.open)
		x.dealt = true
		x.active.Ascend(func(y ranked) bool {
			if a := x.r.bySlot[y.slot]; a.open {
				x.open.ReplaceOrInsert(a)
			}
			return true
		})
	}
	x.open.AscendGreaterOrEqual(&x.rr, func(y *Agent) bool {
		if y.id == x.rr.id || y.held || (skip != nil && skip(y)) {
			return true // strictly after the cursor; a held agent is passed over
		}
		a, ok = y, true
		return false
	})
	if !ok {
		x.open.Ascend(func(y *Agent) bool {
			if y.held || (skip != nil && skip(y)) {
				return true
			}
			a, ok = y, true
			return false
		})
	}
	if ok {
		x.rr.id = a.id
	}
	return a, ok
}

// ActiveBySaturation yields the online, non-suspended agents from least to
// most saturated (the order of the R3 transfer list within "online").
func (r *Roster) ActiveBySaturation() iter.Seq[*Agent] {
	return func(yield func(*Agent) bool) {
		r.every.active.Ascend(func(x ranked) bool {
			a := r.bySlot[x.slot]
			return a.held || yield(a)
		})
	}
}

// ActiveIn yields the online, non-suspended agents of group g (every
// agent for "") from least to most saturated: those with room first
// (see LeastSaturated). Do not change the roster while iterating.
func (r *Roster) ActiveIn(g string) iter.Seq[*Agent] {
	return func(yield func(*Agent) bool) {
		x, ok := r.in(g)
		if !ok {
			return
		}
		x.active.Ascend(func(y ranked) bool {
			a := r.bySlot[y.slot]
			return a.held || yield(a)
		})
	}
}

// Less reports whether a comes before b in the least-saturated order
// (saturation, then idle longest, then id). Callers that list agents of
// several statuses (R3) sort with it. A nil agent sorts last.
func Less(a, b *Agent) bool {
	if a == nil || b == nil {
		return a != nil
	}
	return lessSaturation(a, b)
}

func (r *Roster) unindex(a *Agent) {
	if !a.active {
		return
	}
	key := r.keyOf(a)
	r.every.remove(a, key)
	if a.group != "" {
		r.groups[a.group].remove(a, key)
	}
	a.active, a.open = false, false
}

func (x *index) remove(a *Agent, key ranked) {
	x.active.Delete(key)
	if a.open && x.dealt {
		x.open.Delete(a)
	}
}

func (r *Roster) index(a *Agent) {
	if a.held || a.status != Online || a.capacity.IsSuspended() {
		return
	}
	a.active = true
	a.open = a.capacity.HasRoom(a.load)
	r.every.insert(a)
	if a.group != "" {
		r.groups[a.group].insert(a)
	}
}

func (x *index) insert(a *Agent) {
	x.active.ReplaceOrInsert(rankOf(a))
	if a.open && x.dealt {
		x.open.ReplaceOrInsert(a)
	}
}

// Verify checks the roster's indexes against its agents: membership,
// order and counts. It costs O(n) and is meant for tests and for hosts
// checking a restored state.
func (r *Roster) Verify() error {
	if r.byID != nil && r.all.Len() != len(r.byID) {
		return fmt.Errorf("agent: roster has %d agents in its id index, %d in its map", r.all.Len(), len(r.byID))
	}
	if r.byID == nil && r.all.big != nil {
		return fmt.Errorf("agent: roster of %d agents has no map by id", r.all.Len())
	}
	if err := r.verifySlots(); err != nil { // first: the indexes read agents by slot
		return err
	}
	var byStatus [Offline + 1]int
	active, open := 0, 0
	groupSize, groupActive, groupOpen := map[string]int{}, map[string]int{}, map[string]int{}
	prev := ""
	for a := range r.All() {
		id := a.id
		if a.roster != r {
			return fmt.Errorf("agent: roster holds agent %q of another roster", id)
		}
		if id <= prev {
			return fmt.Errorf("agent: id index out of order at %q, %q", prev, id)
		}
		prev = id
		if r.byID != nil && r.byID[id] != a {
			return fmt.Errorf("agent: roster maps %q to another agent", id)
		}
		if !a.status.Valid() || !a.resume.Valid() || a.resume == Offline {
			return fmt.Errorf("agent: %q has status %v, resume %v", id, a.status, a.resume)
		}
		if a.load < 0 {
			return fmt.Errorf("agent: %q has load %d", id, a.load)
		}
		if a.held {
			return fmt.Errorf("agent: %q is held out of the indexes (Hold without Settle)", id)
		}
		if got, ok := r.Get(id); !ok || got != a {
			return fmt.Errorf("agent: %q not found by its id", id)
		}
		byStatus[a.status]++
		wantActive := a.status == Online && !a.capacity.IsSuspended()
		wantOpen := wantActive && a.capacity.HasRoom(a.load)
		if a.active != wantActive || a.open != wantOpen {
			return fmt.Errorf("agent: %q flagged active=%v open=%v, want %v %v", id, a.active, a.open, wantActive, wantOpen)
		}
		sets := []*index{r.every}
		if a.group != "" {
			x, ok := r.groups[a.group]
			if !ok {
				return fmt.Errorf("agent: %q is in group %q, which has no index", id, a.group)
			}
			sets = append(sets, x)
			groupSize[a.group]++
		}
		for _, x := range sets {
			if got, ok := x.active.Get(rankOf(a)); wantActive != (ok && got == rankOf(a)) {
				return fmt.Errorf("agent: %q in the saturation index: %v, want %v", id, ok, wantActive)
			}
			if got, ok := x.open.Get(a); (wantOpen && x.dealt) != (ok && got == a) {
				return fmt.Errorf("agent: %q in the round-robin index: %v, want %v", id, ok, wantOpen && x.dealt)
			}
		}
		if wantActive {
			active++
			groupActive[a.group]++
		}
		if wantOpen {
			open++
			groupOpen[a.group]++
		}
	}
	if byStatus != r.byStatus {
		return fmt.Errorf("agent: roster counts %v agents by status, has %v", r.byStatus, byStatus)
	}
	if r.every.size != r.all.Len() {
		return fmt.Errorf("agent: roster counts %d agents, has %d", r.every.size, r.all.Len())
	}
	if !r.every.dealt {
		open = 0
	}
	if r.every.active.Len() != active || r.every.open.Len() != open {
		return fmt.Errorf("agent: index sizes %d/%d, want %d/%d", r.every.active.Len(), r.every.open.Len(), active, open)
	}
	for g, x := range r.groups {
		if !x.dealt {
			groupOpen[g] = 0
		}
		if x.size != groupSize[g] || x.active.Len() != groupActive[g] || x.open.Len() != groupOpen[g] {
			return fmt.Errorf("agent: group %q index sizes %d/%d/%d, want %d/%d/%d", g,
				x.size, x.active.Len(), x.open.Len(), groupSize[g], groupActive[g], groupOpen[g])
		}
	}
	for _, x := range append([]*index{r.every}, mapValues(r.groups)...) {
		var prev *Agent
		var err error
		x.active.Ascend(func(y ranked) bool {
			a := r.bySlot[y.slot]
			if a == nil || y != rankOf(a) {
				err = fmt.Errorf("agent: saturation index has a stale key for slot %d", y.slot)
				return false
			}
			if y != rankOf(a) {
				err = fmt.Errorf("agent: saturation index has a stale key for %q", a.id)
				return false
			}
			if prev != nil && !lessSaturation(prev, a) {
				err = fmt.Errorf("agent: saturation index out of order at %q, %q", prev.id, a.id)
				return false
			}
			prev = a
			return true
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// verifySlots checks that every slot below Slots is either one agent's or
// free, never both nor twice.
func (r *Roster) verifySlots() error {
	if len(r.bySlot) != int(r.slots) {
		return fmt.Errorf("agent: %d slots, %d in the table", r.slots, len(r.bySlot))
	}
	owner := make([]string, r.slots)
	for a := range r.All() {
		id := a.id
		if a.slot < 0 || a.slot >= r.slots || owner[a.slot] != "" || r.bySlot[a.slot] != a {
			return fmt.Errorf("agent: %q has slot %d of %d, taken or out of range", id, a.slot, r.slots)
		}
		owner[a.slot] = id
	}
	for _, n := range r.freeSlots {
		if n < 0 || n >= r.slots || owner[n] != "" || r.bySlot[n] != nil {
			return fmt.Errorf("agent: free slot %d of %d is taken or out of range", n, r.slots)
		}
		owner[n] = "(free)"
	}
	if int(r.slots) != r.all.Len()+len(r.freeSlots) {
		return fmt.Errorf("agent: %d slots for %d agents and %d free", r.slots, r.all.Len(), len(r.freeSlots))
	}
	return nil
}

func mapValues(m map[string]*index) []*index {
	out := make([]*index, 0, len(m))
	for _, x := range m {
		out = append(out, x)
	}
	return out
}

// Cursor returns the id the round-robin of group g ("" for every agent)
// picked last, for a snapshot; "" if none.
func (r *Roster) Cursor(g string) string {
	if x, ok := r.in(g); ok {
		return x.rr.id
	}
	return ""
}

// SetCursor sets the round-robin cursor of group g ("" for every agent),
// restoring a snapshot.
func (r *Roster) SetCursor(g, id string) {
	x, ok := r.in(g)
	if !ok {
		x = r.newIndex()
		r.groups[g] = x
	}
	x.rr.id = id
	if id != "" && !x.dealt {
		x.next(nil) // builds the index; the cursor it moves is set back below
		x.rr.id = id
	}
}

// Groups returns the groups that have, or had, members, sorted.
func (r *Roster) Groups() []string {
	out := make([]string, 0, len(r.groups))
	for g := range r.groups {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}
