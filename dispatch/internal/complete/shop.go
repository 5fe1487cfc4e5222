package complete

import (
	"cmp"
	"container/heap"
	"slices"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch/internal/model"
	"github.com/kefu-dev/kefu/policy"
)

// Shop is one shop's dispatcher. Create it with [New].
type Shop struct {
	pol      policy.Policy // as given: a zero timeout is none
	def      policy.Policy // pol.WithDefaults(), read for the defaulted fields
	now      time.Time
	seq      uint64
	level    policy.TeamLevel
	agents   []*agentRec             // every agent, in the order added (Preload's index)
	byID     map[string]*agentRec    // every agent by id
	open     map[string]*session     // every open session by id
	queue    [][]*session            // the queue, per pool (see poolOf), each sorted by compareWaiting (Q2)
	offline  [][]*session            // the offline pool (O1), the same way
	in       [model.PlaceBot + 1]int // how many open sessions are in each place
	timers   timers
	recent   map[string]contact   // buyer → the agent who served them last, and when (R1)
	cursor   map[string]string    // round-robin: agent set ("" everyone, or a group) → id picked last
	prompted map[string]time.Time // buyer → time of their last prompt (P8)
	out      []model.Event        // events of the running operation; reused
	carried  bool                 // out holds the timer events of a rejected operation
	free     []*session           // records of closed sessions, reused
}

// agentRec is an agent.
type agentRec struct {
	id, group string
	pool      int // the pool of its group's sessions (groupPool), 0 without a group
	status    agent.Status
	resume    agent.Status // what Login restores (S2)
	capacity  agent.Capacity
	idle      time.Time  // last received a session, or was added
	list      []*session // the open sessions it holds, in no order; its load is len(list)
	history   history
}

// session is an open session (and, once closed, a record to reuse).
type session struct {
	id, buyer  string
	group      string // R2: the group that serves the buyer's crowds; "" none
	pool       int    // the pool it waits in, when it waits (see poolOf)
	priority   int
	arrived    time.Time
	seq        uint64
	place      model.Place // 0 until placed, and once dropped
	agent      *agentRec   // with PlaceAgent
	flags      model.Flags
	lastFrom   model.Sender
	lastMsg    time.Time
	waitSince  time.Time // first buyer message with no agent reply after it (L5)
	unread     int
	entered    time.Time // entered its agent's list (or the bot); Entered in a pool is parked
	parked     time.Time // entered the queue or the offline pool (O3)
	firstReply time.Time
	stranger   bool // L6
	dmSent     int

	listAt   int               // index in agent.list, with PlaceAgent
	heapAt   int               // index in Shop.timers; -1 with no timer
	deadline time.Time         // the timer, while heapAt ≥ 0
	reason   model.CloseReason // what the timer does (0: the O3 expiry)
}

// New returns an empty shop with policy p, which must be valid.
func New(p policy.Policy) (*Shop, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	pools := 1 + len(p.Groups)
	return &Shop{pol: p, def: p.WithDefaults(), level: p.TeamLevel,
		byID: map[string]*agentRec{}, open: map[string]*session{},
		queue: make([][]*session, pools), offline: make([][]*session, pools),
		recent: map[string]contact{}, cursor: map[string]string{}, prompted: map[string]time.Time{}}, nil
}

// begin starts an operation: the clock never runs backwards, and the
// timers due by now fire first, after the timer events a rejected
// operation left.
func (m *Shop) begin(now time.Time) time.Time {
	if now = now.Round(0); now.After(m.now) {
		m.now = now
	}
	if !m.carried {
		clear(m.out) // drop the strings the last operation's events held
		m.out = m.out[:0]
	}
	m.carried = false
	m.fire(m.now)
	return m.now
}

// fail rejects an operation; the timer events it fired wait for the next.
func (m *Shop) fail(err error) ([]model.Event, error) {
	m.carried = true
	return nil, err
}

// done returns the operation's events: the shop's buffer, valid until
// the next call (capped, so that a caller's append copies it).
func (m *Shop) done() ([]model.Event, error) {
	return m.out[:len(m.out):len(m.out)], nil
}

func (m *Shop) emit(ev model.Event) { m.out = append(m.out, ev) }

// event is an event of kind k about s at time at.
func (m *Shop) event(k model.Kind, s *session, at time.Time) model.Event {
	ev := model.Event{Kind: k, At: at, Session: s.id, Buyer: s.buyer, Flags: s.flags, Arrived: s.arrived}
	if s.agent != nil {
		ev.Agent = s.agent.id
	}
	return ev
}

// --- sessions: records and places ---

// findSession returns open session id, or nil.
func (m *Shop) findSession(id string) *session { return m.open[id] }

// openSession adds v to the open sessions, not placed yet, in a recycled
// record if there is one.
func (m *Shop) openSession(v session) *session {
	var s *session
	if n := len(m.free); n > 0 {
		s = m.free[n-1]
		m.free[n-1] = nil
		m.free = m.free[:n-1]
	} else {
		s = new(session)
	}
	*s = v
	s.place, s.agent, s.heapAt = 0, nil, -1
	m.open[s.id] = s
	return s
}

// recycle keeps the record of a session that is gone for the next one.
func (m *Shop) recycle(s *session) {
	*s = session{}
	m.free = append(m.free, s)
}

// groupPool is the index of group g's pool: 0 for no group, else 1 + its
// index in the policy.
func (m *Shop) groupPool(g string) int {
	if g == "" {
		return 0
	}
	return 1 + slices.IndexFunc(m.pol.Groups, func(x policy.Group) bool { return x.ID == g })
}

// poolOf is the pool a waiting session with group g is in: its group's
// own pool when only the group may take it (R2 without fallback), else
// the common one (0).
func (m *Shop) poolOf(g string) int {
	if m.pol.GroupFallback {
		return 0
	}
	return m.groupPool(g)
}

// pool returns the sorted slice of pool i of place p (queue or offline).
func (m *Shop) pool(p model.Place, i int) *[]*session {
	if p == model.PlaceQueue {
		return &m.queue[i]
	}
	return &m.offline[i]
}

// detach takes s out of its place: its agent's list (the load goes with
// it) or its pool. s.agent stays set for the caller (a close archives
// into its history); the timer is the caller's to update.
func (m *Shop) detach(s *session) {
	switch s.place {
	case model.PlaceAgent:
		l := s.agent.list
		last := len(l) - 1
		l[s.listAt] = l[last]
		l[s.listAt].listAt = s.listAt
		l[last] = nil
		s.agent.list = l[:last]
	case model.PlaceQueue, model.PlaceOffline:
		p := m.pool(s.place, s.pool)
		i, ok := slices.BinarySearchFunc(*p, s, compareWaiting)
		if !ok {
			panic("complete: a waiting session is not in its pool")
		}
		*p = slices.Delete(*p, i, i+1)
	case 0: // not placed yet
		return
	}
	m.in[s.place]--
	s.place = 0
}

// place puts s in a's list at time at, the buyer's recent contact (R1).
func (m *Shop) place(s *session, a *agentRec, at time.Time) {
	m.detach(s)
	s.agent, s.listAt = a, len(a.list)
	a.list = append(a.list, s)
	s.place, s.entered, a.idle = model.PlaceAgent, at, at
	m.in[model.PlaceAgent]++
	if s.buyer != "" {
		m.recent[s.buyer] = contact{a.id, at}
	}
	m.retime(s)
}

// park puts s in the queue or the offline pool and reports it.
func (m *Shop) park(s *session, p model.Place, at time.Time) {
	m.enterPool(s, p, at)
	if p == model.PlaceOffline {
		m.emit(m.event(model.EventOffline, s, at))
	} else {
		m.emit(m.event(model.EventQueued, s, at))
	}
}

// enterPool puts s in its pool of the queue or the offline pool, in the
// Q2 order.
func (m *Shop) enterPool(s *session, p model.Place, at time.Time) {
	m.detach(s)
	s.agent = nil
	s.place, s.parked = p, at
	pool := m.pool(p, s.pool)
	i, _ := slices.BinarySearchFunc(*pool, s, compareWaiting)
	*pool = slices.Insert(*pool, i, s)
	m.in[p]++
	m.retime(s)
}

// toBot hands s to the bot (B1).
func (m *Shop) toBot(s *session, at time.Time) {
	m.detach(s)
	s.agent = nil
	s.place, s.entered = model.PlaceBot, at
	m.in[model.PlaceBot]++
	m.retime(s)
	m.emit(m.event(model.EventBot, s, at))
}

// drop removes s from the open sessions and its timer; s.agent stays set
// for the caller (a close archives into its history).
func (m *Shop) drop(s *session) {
	m.detach(s)
	delete(m.open, s.id)
	if s.heapAt >= 0 {
		heap.Remove(&m.timers, s.heapAt)
	}
}

// --- agents ---

// findAgent returns agent id, or nil.
func (m *Shop) findAgent(id string) *agentRec { return m.byID[id] }

func online(a *agentRec) bool { return a.status == agent.Online }

// active: online and not suspended (Q4, P1), full or not.
func active(a *agentRec) bool { return online(a) && !a.capacity.IsSuspended() }

// hasRoom: online and below its cap (C1, S1).
func hasRoom(a *agentRec) bool {
	n, isLimit := a.capacity.Limit()
	return online(a) && (a.capacity.IsUnlimited() || isLimit && len(a.list) < n)
}

// anyOnline reports whether some agent is online.
func (m *Shop) anyOnline() bool { return slices.ContainsFunc(m.agents, online) }

// fraction is the saturation load/limit: unlimited 0/1, suspended 1/0.
func fraction(a *agentRec) (num, den int) {
	if n, isLimit := a.capacity.Limit(); isLimit && n > 0 {
		return len(a.list), n
	} else if a.capacity.IsUnlimited() {
		return 0, 1
	}
	return 1, 0
}

// compareAgents is the least-saturated order (R1, Q4, R3): exact
// saturation, then idle longest, then id.
func compareAgents(a, b *agentRec) int {
	an, ad := fraction(a)
	bn, bd := fraction(b)
	return cmp.Or(cmp.Compare(an*bd, bn*ad), a.idle.Compare(b.idle), cmp.Compare(a.id, b.id))
}

// inSet: a belongs to agent set g ("" everyone, or a group).
func inSet(a *agentRec, g string) bool { return g == "" || a.group == g }

// leastSaturated returns the least saturated agent of set g that passes
// keep, or nil: one scan.
func (m *Shop) leastSaturated(g string, keep func(*agentRec) bool) *agentRec {
	var best *agentRec
	for _, a := range m.agents {
		if inSet(a, g) && keep(a) && (best == nil || compareAgents(a, best) < 0) {
			best = a
		}
	}
	return best
}

// --- orders ---

// compareWaiting is the queue order (Q2): priority desc, arrival, sequence.
func compareWaiting(a, b *session) int {
	return cmp.Or(cmp.Compare(b.priority, a.priority), a.arrived.Compare(b.arrived), cmp.Compare(a.seq, b.seq))
}

// compareList is the L4 order: unreplied first, the longest waiting first;
// then replied, the newest last message first; then sequence.
func compareList(a, b *session) int {
	au, bu := !a.waitSince.IsZero(), !b.waitSince.IsZero()
	switch {
	case au && !bu:
		return -1
	case bu && !au:
		return 1
	case au:
		return cmp.Or(a.waitSince.Compare(b.waitSince), cmp.Compare(a.seq, b.seq))
	}
	return cmp.Or(b.lastMsg.Compare(a.lastMsg), cmp.Compare(a.seq, b.seq)) // replied
}

// tiers are the agent sets that may take s, in order of preference (R2):
// the first n of t (an array, so that it costs no allocation).
func (m *Shop) tiers(s *session) (t [2]string, n int) {
	switch {
	case s.group == "":
		return [2]string{""}, 1
	case m.pol.GroupFallback:
		return [2]string{s.group, ""}, 2
	}
	return [2]string{s.group}, 1
}

func (m *Shop) mayTake(a *agentRec, s *session) bool {
	return s.group == "" || m.pol.GroupFallback || a.group == s.group
}

// --- timers ---

// timer computes the deadline a session's place and messages call for,
// and the reason it closes then (0: the O3 expiry); ok is false for none.
// In a list or the bot, clocks count at the earliest from its entry.
func (m *Shop) timer(s *session) (at time.Time, r model.CloseReason, ok bool) {
	from := func(t time.Time) time.Time {
		if s.entered.After(t) {
			return s.entered
		}
		return t
	}
	switch s.place {
	case model.PlaceOffline: // O3: from entering the pool
		return s.parked.Add(m.def.OfflineValidity), 0, true
	case model.PlaceBot:
		return from(s.lastMsg).Add(m.def.BotIdleClose), model.CloseBotIdle, true
	case model.PlaceAgent:
		if d := m.pol.BuyerIdleClose; d > 0 && s.lastFrom != model.FromBuyer { // L2, L3
			at, r, ok = from(s.lastMsg).Add(d), model.CloseBuyerIdle, true
		}
		if d := m.pol.AgentIdleClose; d > 0 && !s.waitSince.IsZero() { // L3
			if t := from(s.waitSince).Add(d); !ok || t.Before(at) {
				at, r, ok = t, model.CloseAgentIdle, true
			}
		}
	}
	return at, r, ok
}

// retime puts s's timer in the heap, moves it or takes it out, after
// anything timer computes it from changed.
func (m *Shop) retime(s *session) {
	at, r, ok := m.timer(s)
	switch {
	case !ok && s.heapAt >= 0:
		heap.Remove(&m.timers, s.heapAt)
	case !ok:
	case s.heapAt >= 0:
		s.deadline, s.reason = at, r
		heap.Fix(&m.timers, s.heapAt)
	default:
		s.deadline, s.reason = at, r
		heap.Push(&m.timers, s)
	}
}

// fire handles, one at a time, the earliest timer (deadline, then
// sequence) while it is due by now; each acts at its own deadline.
func (m *Shop) fire(now time.Time) {
	for len(m.timers) > 0 && !m.timers[0].deadline.After(now) {
		s := m.timers[0]
		at := s.deadline
		if s.reason == 0 { // O3
			m.drop(s)
			m.emit(m.event(model.EventExpired, s, at))
			m.recycle(s)
			continue
		}
		m.closeSession(s, at, s.reason)
	}
}

// timers is a min-heap of the sessions with a timer, by (deadline,
// sequence), each knowing its index (container/heap.Interface).
type timers []*session

func (h timers) Len() int { return len(h) }

func (h timers) Less(i, j int) bool {
	return cmp.Or(h[i].deadline.Compare(h[j].deadline), cmp.Compare(h[i].seq, h[j].seq)) < 0
}

func (h timers) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapAt, h[j].heapAt = i, j
}

// Push adds a session (heap.Push's end).
func (h *timers) Push(x any) {
	s := x.(*session)
	s.heapAt = len(*h)
	*h = append(*h, s)
}

// Pop removes the last session (heap.Pop's and heap.Remove's end).
func (h *timers) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	s.heapAt = -1
	return s
}

// --- placing sessions ---

// contact is a buyer's recent contact (R1): the agent, and when the
// buyer's session was assigned to it.
type contact struct {
	agent string
	at    time.Time
}

// recentOf returns the id of buyer's recent-contact agent at time at, ""
// when there is none or it is Policy.RecentContactTTL (defaulted) old or
// older. Every contact is kept; its age is checked when it is read.
func (m *Shop) recentOf(buyer string, at time.Time) string {
	c, ok := m.recent[buyer]
	if !ok || at.Sub(c.at) >= m.def.RecentContactTTL {
		return ""
	}
	return c.agent
}

// choose returns the agent with room the strategy picks for s at time at
// (R1, R2): per tier, one scan of the agents.
func (m *Shop) choose(s *session, at time.Time) *agentRec {
	tiers, n := m.tiers(s)
	for _, g := range tiers[:n] {
		switch m.pol.Strategy {
		case policy.RecentContact:
			if s.buyer == "" {
				break
			}
			if a := m.findAgent(m.recentOf(s.buyer, at)); a != nil && inSet(a, g) && hasRoom(a) {
				return a
			}
		case policy.RoundRobin: // the first id after the cursor, wrapping
			var first, next *agentRec
			for _, a := range m.agents {
				if !inSet(a, g) || !hasRoom(a) {
					continue
				}
				if first == nil || a.id < first.id {
					first = a
				}
				if a.id > m.cursor[g] && (next == nil || a.id < next.id) {
					next = a
				}
			}
			if first == nil {
				continue
			}
			pick := cmp.Or(next, first)
			m.cursor[g] = pick.id
			return pick
		}
		if a := m.leastSaturated(g, hasRoom); a != nil {
			return a
		}
	}
	return nil
}

// leastActive returns the least saturated online, non-suspended agent
// that may take s, full or not (Q4, P1, P5).
func (m *Shop) leastActive(s *session) *agentRec {
	tiers, n := m.tiers(s)
	for _, g := range tiers[:n] {
		if a := m.leastSaturated(g, active); a != nil {
			return a
		}
	}
	return nil
}

// noQueueAgent is the agent a no-queue shop gives s to over the cap
// (Q4), nil in a shop with a queue.
func (m *Shop) noQueueAgent(s *session) *agentRec {
	if !m.pol.NoQueue {
		return nil
	}
	return m.leastActive(s)
}

func (m *Shop) assign(s *session, a *agentRec, c model.Cause, at time.Time) {
	m.place(s, a, at)
	ev := m.event(model.EventAssigned, s, at)
	ev.Cause = c
	m.emit(ev)
}

// route places a session on the human path: an agent with room (R1), over
// the cap (Q4), the queue (Q1), or the offline pool (O1).
func (m *Shop) route(s *session, c model.Cause, at time.Time) {
	if !m.anyOnline() {
		m.park(s, model.PlaceOffline, at)
	} else if a := m.choose(s, at); a != nil {
		m.assign(s, a, c, at)
	} else if a := m.noQueueAgent(s); a != nil {
		m.assign(s, a, model.CauseNoQueue, at)
	} else {
		m.park(s, model.PlaceQueue, at)
	}
}

// fill: agent a, which may have room now, takes the best waiting sessions
// it may take while it has room (C5, C6, O1, O2), offline messages up to
// Policy.OfflineBatch held at once (O5); then the no-queue rule.
func (m *Shop) fill(a *agentRec, at time.Time) {
	m.fillRoom(a, at)
	m.noQueue(at)
}

// fillRoom compares the heads of the pools a may take from: the common
// ones and, when groups do not fall back, its group's.
func (m *Shop) fillRoom(a *agentRec, at time.Time) {
	pools := [2]int{0, 0}
	n := 1
	if !m.pol.GroupFallback && a.pool != 0 {
		pools[1], n = a.pool, 2
	}
	for hasRoom(a) {
		held := 0
		for _, s := range a.list {
			if s.flags&model.FlagOffline != 0 {
				held++
			}
		}
		batchFull := m.pol.OfflineBatch > 0 && held >= m.pol.OfflineBatch
		var best *session
		for _, i := range pools[:n] {
			if q := m.queue[i]; len(q) > 0 && (best == nil || compareWaiting(q[0], best) < 0) {
				best = q[0]
			}
			if o := m.offline[i]; !batchFull && len(o) > 0 && (best == nil || compareWaiting(o[0], best) < 0) {
				best = o[0]
			}
		}
		if best == nil {
			return
		}
		if best.place == model.PlaceOffline {
			best.flags |= model.FlagOffline // O2
		}
		m.assign(best, a, model.CauseFreed, at)
	}
}

// queued returns every session in the queue, all pools, in the Q2 order:
// a copy, since serving them changes the pools.
func (m *Shop) queued() []*session {
	if m.in[model.PlaceQueue] == 0 {
		return nil
	}
	out := make([]*session, 0, m.in[model.PlaceQueue])
	for _, q := range m.queue {
		out = append(out, q...)
	}
	slices.SortFunc(out, compareWaiting)
	return out
}

// noQueue (Q4): in a no-queue shop, a queued session goes over the cap to
// the least saturated active agent that may take it, as soon as one exists.
func (m *Shop) noQueue(at time.Time) {
	if !m.pol.NoQueue {
		return
	}
	for _, s := range m.queued() {
		if a := m.leastActive(s); a != nil {
			m.assign(s, a, model.CauseNoQueue, at)
		}
	}
}

// drain hands the queue to agents with room after sessions were put back
// in it (S5): each waiting session, best first, as R1 picks.
func (m *Shop) drain(at time.Time) {
	for _, s := range m.queued() {
		if a := m.choose(s, at); a != nil {
			m.assign(s, a, model.CauseFreed, at)
		}
	}
	m.noQueue(at)
}

// closeSession closes s at time at: into its agent's history (L1, L4),
// and the agent takes the next waiting session (C5). The record is
// recycled.
func (m *Shop) closeSession(s *session, at time.Time, r model.CloseReason) {
	ev := m.event(model.EventClosed, s, at)
	ev.Reason = r
	m.drop(s)
	if a := s.agent; a != nil {
		a.history.add(closed{Closed: model.Closed{Session: s.id, Buyer: s.buyer, Arrived: s.arrived,
			LastMessage: s.lastMsg, At: at, Reason: r, Flags: s.flags}, seq: s.seq}, m.def.HistoryLimit)
		m.emit(ev)
		m.recycle(s)
		m.fill(a, at)
		return
	}
	m.emit(ev)
	m.recycle(s)
}

// --- history ---

// closed is a history record: the Closed the queries return, and the
// sequence of its session, the L4 order's tie-break.
type closed struct {
	model.Closed
	seq uint64
}

// compareHistory (L4): newest last message first, then the latest opened.
func compareHistory(a, b closed) int {
	return cmp.Or(b.LastMessage.Compare(a.LastMessage), cmp.Compare(b.seq, a.seq))
}

// history is an agent's closed sessions, at most the policy's limit: a
// heap whose top is the record the L4 order puts last, the one a new
// record pushes out (container/heap.Interface). Listing sorts a copy.
type history []closed

func (h history) Len() int           { return len(h) }
func (h history) Less(i, j int) bool { return compareHistory(h[i], h[j]) > 0 }
func (h history) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }

// Push adds a record (heap.Push's end).
func (h *history) Push(x any) { *h = append(*h, x.(closed)) }

// Pop removes the last record (heap.Pop's end).
func (h *history) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = closed{}
	*h = old[:len(old)-1]
	return c
}

// add keeps c if it is among the limit first in the L4 order, pushing
// out the last. It appends and fixes rather than calling heap.Push, which
// would box the record (an allocation per close); the slice grows by
// doubling up to the limit, not past it as append would.
func (h *history) add(c closed, limit int) {
	switch {
	case len(*h) < limit:
		if len(*h) == cap(*h) {
			grown := make(history, len(*h), min(max(2*len(*h), 1), limit))
			copy(grown, *h)
			*h = grown
		}
		*h = append(*h, c)
		heap.Fix(h, len(*h)-1)
	case compareHistory(c, (*h)[0]) < 0:
		(*h)[0] = c
		heap.Fix(h, 0)
	}
}

// sorted returns the records in the L4 order (nil when empty, as the
// model's).
func (h history) sorted() []model.Closed {
	if len(h) == 0 {
		return nil
	}
	all := slices.Clone(h)
	slices.SortFunc(all, compareHistory)
	out := make([]model.Closed, len(all))
	for i, c := range all {
		out[i] = c.Closed
	}
	return out
}
