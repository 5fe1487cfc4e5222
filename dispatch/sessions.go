package dispatch

import (
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
	"github.com/kefu-dev/kefu/queue"
)

// checkIDs takes pairs of (what, id) and refuses the first id that is not
// valid UTF-8.
func checkIDs(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if !utf8.ValidString(pairs[i+1]) {
			return fmt.Errorf("%w: %s %q", ErrInvalidID, pairs[i], pairs[i+1])
		}
	}
	return nil
}

// route places a session that is in no place yet on the human path:
// an agent with room (R1, R2), over the cap (Q4), the queue (Q1), or the
// offline pool when no agent is online (O1).
func (e *Engine) route(s *session, c Cause, now time.Time) {
	if e.roster.Online() == 0 { // O1
		e.park(s, PlaceOffline, noCause, now)
		return
	}
	if a := e.choose(s, now); a != nil { // R1
		e.give(s, a, c, nil, PlaceQueue, now)
		return
	}
	if e.pol.NoQueue { // Q4: every online agent is full
		if a := e.leastActive(s); a != nil {
			e.assign(s, a, CauseNoQueue, now)
			return
		}
		// Online agents exist but all are suspended: they take nothing,
		// not even over the cap, so the session waits.
	}
	if e.queueFull(s) { // E8
		e.divert(s, CauseQueueCap, now)
		return
	}
	e.park(s, PlaceQueue, noCause, now) // Q1
}

// tiers returns the agent sets that may take s, in order of preference
// (R2): its group, then everyone if the policy falls back; or everyone.
//
// With widening (E7), the groups of the rings open to s follow its own,
// inner rings first. The result is the engine's buffer, valid until the
// next call.
func (e *Engine) tiers(s *session) []string {
	if s.group == 0 {
		return everyone // no write to the buffer on the common path
	}
	t := append(e.tierBuf[:0], e.groupOf(s))
	if e.pol.GroupFallback {
		t = append(t, "") // everyone
	} else {
		for _, r := range e.openRings(s) {
			t = append(t, r.Groups...)
		}
	}
	e.tierBuf = t // grown once, kept: no allocation in steady state
	return t
}

// everyone is the tiers of a session of no group: every agent. Read only.
var everyone = []string{""}

// mayTake reports whether agent a may take session s (R2, E7).
func (e *Engine) mayTake(a *agent.Agent, s *session) bool {
	if s.group == 0 || e.pol.GroupFallback || a.Group() == e.groupOf(s) {
		return true
	}
	for _, r := range e.openRings(s) {
		if slices.Contains(r.Groups, a.Group()) {
			return true
		}
	}
	return false
}

// widen opens the next ring of s's group to it (E7), at its instant at:
// an agent of the groups now open with room takes it (inner first), or it
// waits on, for the next ring.
func (e *Engine) widen(s *session, at time.Time) {
	s.ring++
	if b := e.choose(s, at); b != nil {
		e.takeRoom(s, b, CauseWidened, at)
		return
	}
	e.rearm(s)
}

// choose returns the online agent with room for s the policy picks, or
// nil when no agent that may take it has room for it: room for its
// weight (E10), so that auto-assignment never takes an agent over its
// cap in units (C1). An agent that declined s is passed over (E2), and
// chosen with Policy.OfferRetry only when no other agent has room.
func (e *Engine) choose(s *session, now time.Time) *agent.Agent {
	dec := e.declinesOf(s)
	t := e.tiers(s)
	for _, g := range t {
		if a := e.chooseIn(g, s.buyer, s.weight(), dec, now); a != nil {
			return a
		}
	}
	if len(dec) > 0 && e.pol.OfferRetry {
		for _, g := range t {
			if a := e.chooseIn(g, s.buyer, s.weight(), nil, now); a != nil {
				return a
			}
		}
	}
	return nil
}

// chooseIn is choose among group g (every agent for ""), for a session
// of buyer that costs w units, passing over the agents in skip.
//
// A session of weight w > 1 (E10) goes by the policy's strategy among
// the agents with room for w: recent contact if that agent has room for
// w; round-robin's next agent with room for w; else the least saturated
// agent with room for w, found by reading the saturation order past
// those without (one with less saturation may have fewer free units: 1
// of 2 against 4 of 10), O(k) for k passed over, as for declines.
func (e *Engine) chooseIn(g, buyer string, w int, skip []*agent.Agent, now time.Time) *agent.Agent {
	switch e.pol.Strategy {
	case policy.RecentContact:
		if id, ok := e.recent.get(buyer, ns(now)); ok && buyer != "" {
			if a, ok := e.roster.Get(id); ok && a.HasRoomFor(w) && (g == "" || a.Group() == g) && !slices.Contains(skip, a) {
				return a
			}
		}
	case policy.RoundRobin:
		if len(skip) > 0 || w > 1 {
			a, _ := e.roster.NextRoundRobinSkipping(g, func(a *agent.Agent) bool { return !a.HasRoomFor(w) || slices.Contains(skip, a) })
			return a
		}
		if a, ok := e.roster.NextRoundRobinIn(g); ok {
			return a
		}
		return nil
	}
	if len(skip) == 0 {
		if a, ok := e.roster.LeastSaturatedIn(g); !ok || !a.HasRoom() {
			return nil
		} else if a.HasRoomFor(w) {
			return a
		}
	}
	for a := range e.roster.ActiveIn(g) { // those with room first
		if !a.HasRoom() {
			return nil
		}
		if a.HasRoomFor(w) && !slices.Contains(skip, a) {
			return a
		}
	}
	return nil
}

// leastActive returns the least saturated online, non-suspended agent that
// may take s, full or not, or nil (Q4, P1). An agent that declined s is
// passed over (E2), and returned with Policy.OfferRetry only when no
// other agent is there.
func (e *Engine) leastActive(s *session) *agent.Agent {
	dec := e.declinesOf(s)
	t := e.tiers(s)
	for _, g := range t {
		if len(dec) == 0 {
			if a, ok := e.roster.LeastSaturatedIn(g); ok {
				return a
			}
			continue
		}
		for a := range e.roster.ActiveIn(g) {
			if !slices.Contains(dec, a) {
				return a
			}
		}
	}
	if len(dec) > 0 && e.pol.OfferRetry {
		for _, g := range t {
			if a, ok := e.roster.LeastSaturatedIn(g); ok {
				return a
			}
		}
	}
	return nil
}

// fill gives agent a waiting sessions while it has room, best first across
// the pools it may take from by the order of Q2 (C5, C6, O1, O2, R2).
// Offline messages stop at Policy.OfflineBatch open ones per agent (O5).
// In a no-queue shop it then hands any queue to the least saturated.
//
// With weighted capacity (E10), "best" is the best waiting session that
// fits in a's free units: a heavier one ahead of it in the queue is
// passed over and keeps its place. That is utilization over strict
// first-come-first-served: otherwise a free unit would stay idle while a
// weight-1 buyer waits behind an after-sales session that needs two, and
// the invariant "no session waits while an agent has room for it" would
// not hold. The heavier session is served first as soon as an agent has
// room for it (a freed place goes to the best waiting session that fits,
// and it is the best one). It may wait longer than its order would say
// while light sessions keep an agent's last unit busy; a shop that finds
// that unfair gives such agents larger caps, or ages the queue (E6).
func (e *Engine) fill(a *agent.Agent, now time.Time) {
	e.fillRoom(a, now)
	e.noQueue(now)
}

func (e *Engine) fillRoom(a *agent.Agent, now time.Time) {
	for a.HasRoom() {
		batchFull := e.atOfflineBatch(a)
		var best *queue.Entry
		consider := func(x *pools) {
			if x == nil {
				return
			}
			if q, ok := e.firstFor(x.queue, a); ok && (best == nil || e.less(q, best)) {
				best = q
			}
			if batchFull {
				return
			}
			if o, ok := e.firstFor(x.offline, a); ok && (best == nil || e.less(o, best)) {
				best = o
			}
		}
		consider(e.pools[0])
		if g := a.Group(); g != "" {
			consider(e.poolOf[g])
			e.ringedFor(a, func(x *pools, ring uint8) { // E7: the groups whose rings reach a's
				if q, ok := e.firstRinged(x.queue, a, ring); ok && (best == nil || e.less(q, best)) {
					best = q
				}
			})
		}
		if best == nil {
			return
		}
		s := e.sessions[best.ID]
		if s.place == PlaceOffline {
			s.flags |= FlagOffline // O2: shows as 离线留言自动分配
		}
		e.takeRoom(s, a, CauseFreed, now)
	}
}

// firstFor returns the first session of pool p, by Q2, that agent a has
// room for (E10: its weight fits in a's free units) and has not declined
// (E2; with Policy.OfferRetry a takes what it declined too: no other
// agent with room may take it, or it would have). While a session is
// weighted or declined, the pool is read on past those that do not
// qualify, O(k) for k passed over.
func (e *Engine) firstFor(p *queue.Pool, a *agent.Agent) (*queue.Entry, bool) {
	declines := len(e.declined) > 0 && !e.pol.OfferRetry
	if !declines && e.heavy == 0 {
		return p.Min()
	}
	for x := range p.All() {
		s := e.sessions[x.ID]
		if a.HasRoomFor(s.weight()) && (!declines || !e.declinedBy(s, a)) {
			return x, true
		}
	}
	return nil, false
}

// atOfflineBatch reports whether a holds Policy.OfflineBatch offline
// messages or more (O5), in its list or on offer to it (E1): it takes no
// more from the offline pool.
func (e *Engine) atOfflineBatch(a *agent.Agent) bool {
	if e.pol.OfflineBatch == 0 {
		return false
	}
	n := e.offlineHeld(a)
	for _, s := range e.offered(a) {
		if s.flags&FlagOffline != 0 {
			n++
		}
	}
	return n >= e.pol.OfflineBatch
}

// noQueue is Q4 after a change: a no-queue shop queues only while every
// online agent that may take a session is suspended; once one is not, the
// queue goes to the least saturated, over the cap. (Offline messages
// still wait for room, O2.)
//
// Across pools, the best head by Q2 goes first: the shop serves its
// buyers in one order, whichever group's pool they wait in.
func (e *Engine) noQueue(now time.Time) {
	if !e.pol.NoQueue {
		return
	}
	for {
		s := e.bestWaiting(func(s *session) bool { return e.leastActive(s) != nil })
		if s == nil {
			return
		}
		b := e.leastActive(s)
		e.take(s, b, CauseNoQueue, now)
	}
}

// bestWaiting returns the best queued session by Q2 across the pools
// among those that servable accepts, or nil. Every session of one pool
// may go to the same agents, so a pool's head tells whether any of them
// can be served; but for declines (E2), which are per session: while
// there are any, each pool is read on past the sessions servable
// refuses. So it is while weighted sessions are open (E10): a session
// that does not fit may have a lighter one behind it that does, but
// one that is refused refuses every session at least as heavy, so the
// pool is read on only past heavier ones, until a session of weight 1
// is refused.
func (e *Engine) bestWaiting(servable func(*session) bool) *session {
	var best *session
	if len(e.declined) == 0 && e.heavy > 0 {
		for _, x := range e.pools {
			refused := policy.MaxWeightUnits + 1 // the lightest weight refused in this pool
			for q := range x.queue.All() {
				if best != nil && !e.less(q, &best.entry) {
					break
				}
				s := e.sessions[q.ID]
				if w := s.weight(); w >= refused {
					continue
				} else if servable(s) {
					best = s
					break
				} else if refused = w; w == 1 {
					break
				}
			}
		}
		return best
	}
	if len(e.declined) == 0 {
		for _, x := range e.pools {
			q, ok := x.queue.Min()
			if !ok || (best != nil && !e.less(q, &best.entry)) {
				continue
			}
			if s := e.sessions[q.ID]; servable(s) {
				best = s
			}
		}
		return best
	}
	for _, x := range e.pools {
		for q := range x.queue.All() {
			if best != nil && !e.less(q, &best.entry) {
				break
			}
			if s := e.sessions[q.ID]; servable(s) {
				best = s
				break
			}
		}
	}
	return best
}

// drain hands the queues to agents with room after sessions were put back
// in them (S5): the best waiting session first, across pools (Q2), each
// routed by the shop's strategy as an arrival would be (R1, R2).
func (e *Engine) drain(now time.Time) {
	// hasRoomFor, not choose, to pick: a round-robin choice moves its cursor.
	for s := e.bestWaiting(e.hasRoomFor); s != nil; s = e.bestWaiting(e.hasRoomFor) {
		e.takeRoom(s, e.choose(s, now), CauseFreed, now)
	}
	e.noQueue(now)
}

// hasRoomFor reports whether an online agent that may take s has room
// for it (for its weight, E10), without choosing one: one that has not
// declined s (E2), or any with Policy.OfferRetry.
func (e *Engine) hasRoomFor(s *session) bool {
	dec := e.declinesOf(s)
	if e.pol.OfferRetry {
		dec = nil
	}
	w := s.weight()
	t := e.tiers(s)
	for _, g := range t {
		if len(dec) == 0 {
			if a, ok := e.roster.LeastSaturatedIn(g); ok && a.HasRoomFor(w) {
				return true
			} else if !ok || !a.HasRoom() || w == 1 {
				continue
			}
		}
		for a := range e.roster.ActiveIn(g) {
			if !a.HasRoom() {
				break
			}
			if a.HasRoomFor(w) && !slices.Contains(dec, a) {
				return true
			}
		}
	}
	return false
}

// fire handles every timer whose deadline is at or before now, in
// deadline order. What a timer does happens at its deadline: a session
// auto-closed at 10:20 frees its agent at 10:20, and the queue head it
// pulls in may itself time out before now, in the same loop.
func (e *Engine) fire(now time.Time) {
	for {
		s, at, kind := e.due(ns(now))
		switch kind {
		case 0:
			return
		case timerExpire:
			e.expire(s, e.time(at))
		case timerBuyerIdle:
			e.closeSession(s, e.time(at), CloseBuyerIdle)
		case timerAgentIdle:
			e.closeSession(s, e.time(at), CloseAgentIdle)
		case timerBotIdle:
			e.closeSession(s, e.time(at), CloseBotIdle)
		case timerOffer:
			e.offerTimedOut(s, e.time(at))
		case timerReassign:
			e.reassign(s, e.time(at))
		case timerWrapUp:
			e.endWrap(s, e.time(at))
		case timerMaxWait:
			e.unpark(s)
			e.divert(s, CauseMaxWait, e.time(at))
		case timerInactive:
			e.goInactive(s, e.time(at))
		case timerWiden:
			e.widen(s, e.time(at))
		}
	}
}

// closeSession closes an open session at time at for the given reason:
// into its agent's history, and the agent pulls the next waiting session
// (C5).
func (e *Engine) closeSession(s *session, at time.Time, r CloseReason) {
	if s.place == PlaceOffered { // E1: the offer ends with the session
		a := s.agent
		e.unoffer(s, at)
		e.closeOut(s, at, r)
		e.fill(a, at)
		return
	}
	if s.place != PlaceAgent {
		e.closeOut(s, at, r)
		return
	}
	a := s.agent
	e.roster.Hold(a) // the freed place and the session pulled into it: one index update
	e.closeOut(s, at, r)
	e.fillRoom(a, at)
	e.roster.Settle(a)
	e.noQueue(at)
}

// Close closes an open session wherever it is (L1). If an agent held it,
// it goes to the agent's history, the agent's capacity frees and it takes
// the next waiting session in the same operation (C5): the events are the
// close, then that assignment.
//
// Errors: ErrUnknownSession.
func (e *Engine) Close(now time.Time, id string) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpClose, Session: id})
}

func (e *Engine) doClose(now time.Time, id string) error {
	s, err := e.session(id)
	if err != nil {
		return err
	}
	e.closeSession(s, now, CloseManual)
	return nil
}

// Leave removes a buyer who gave up waiting from the queue or offline pool
// (Q3). The session leaves no trace but the EventLeft.
//
// Errors: ErrUnknownSession, ErrNotWaiting.
func (e *Engine) Leave(now time.Time, id string) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpLeave, Session: id})
}

func (e *Engine) doLeave(now time.Time, id string) error {
	s, err := e.session(id)
	if err != nil {
		return err
	}
	if s.place != PlaceQueue && s.place != PlaceOffline {
		return fmt.Errorf("%w: %q is %s", ErrNotWaiting, id, e.where(s))
	}
	e.leave(s, now)
	return nil
}

// Assign is a manual assignment of a waiting session, or one held by the
// bot, by the shop owner, a supervisor or an agent. It may exceed the agent's cap (C4) and may target
// an agent on break, never an offline one (S3).
//
// Errors: ErrUnknownSession, ErrNotWaiting, ErrUnknownAgent,
// ErrAgentOffline.
func (e *Engine) Assign(now time.Time, id, agentID string) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpAssign, Session: id, Agent: agentID})
}

func (e *Engine) doAssign(now time.Time, id, agentID string) error {
	s, err := e.session(id)
	if err != nil {
		return err
	}
	if s.place == PlaceAgent {
		return fmt.Errorf("%w: %q is %s; use Transfer", ErrNotWaiting, id, e.where(s))
	}
	if s.place == PlaceOffered {
		return fmt.Errorf("%w: %q is %s: wait for the answer", ErrNotWaiting, id, e.where(s))
	}
	a, err := e.target(agentID)
	if err != nil {
		return err
	}
	e.take(s, a, CauseManual, now)
	return nil
}

// Transfer moves a session in reception to another agent (R3). The target
// must be online or on break, never offline (S3), and may be over its cap
// (C4). The session carries FlagTransferred; the sending agent's capacity
// frees at once and it takes the next waiting session (C5).
//
// Errors: ErrUnknownSession, ErrNotInReception, ErrUnknownAgent,
// ErrAgentOffline, ErrSameAgent.
func (e *Engine) Transfer(now time.Time, id, to string) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpTransfer, Session: id, Agent: to})
}

func (e *Engine) doTransfer(now time.Time, id, to string) error {
	s, err := e.session(id)
	if err != nil {
		return err
	}
	if s.place != PlaceAgent {
		return fmt.Errorf("%w: %q is %s", ErrNotInReception, id, e.where(s))
	}
	b, err := e.target(to)
	if err != nil {
		return err
	}
	if b == s.agent {
		return fmt.Errorf("%w: %q, %q", ErrSameAgent, id, to)
	}
	from := s.agent
	e.roster.Hold(from) // the freed place and the session pulled into it: one index update
	e.transfer(s, b, now)
	e.fillRoom(from, now)
	e.roster.Settle(from)
	e.noQueue(now)
	return nil
}

// target returns an agent that may receive a manual assignment or a
// transfer: any agent not offline (S3).
func (e *Engine) target(id string) (*agent.Agent, error) {
	a, err := e.agent(id)
	if err != nil {
		return nil, err
	}
	if a.Status() == agent.Offline {
		return nil, fmt.Errorf("%w: %q", ErrAgentOffline, id)
	}
	return a, nil
}

// Outbound is a session an agent starts with a buyer (a private message).
type Outbound struct {
	// Session is the host's id for it; required, unique among open
	// sessions.
	Session string
	Buyer   string
	// Agent starts it and holds it.
	Agent string
	// Stranger: the buyer has not followed the shop and never chatted
	// with it, so Policy.DMLimit applies (L6).
	Stranger bool
}

// Start opens a session an agent starts (M6 counts it apart). It enters
// the agent's list at once, like a manual assignment, so it may exceed the
// cap (C4); it carries FlagStarted. Until someone writes, the buyer-idle
// deadline counts from now, so a session in which the buyer never writes
// still closes (L2, L3).
//
// Errors: ErrEmptySessionID, ErrDuplicateSession, ErrUnknownAgent,
// ErrAgentOffline (an offline agent cannot send, S4).
func (e *Engine) Start(now time.Time, o Outbound) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpStart, Outbound: o})
}

func (e *Engine) doStart(now time.Time, o Outbound) error {
	if o.Session == "" {
		return ErrEmptySessionID
	}
	if err := checkIDs("session", o.Session, "buyer", o.Buyer); err != nil {
		return err
	}
	if _, dup := e.sessions[o.Session]; dup {
		return fmt.Errorf("%w: %q", ErrDuplicateSession, o.Session)
	}
	a, err := e.target(o.Agent)
	if err != nil {
		return err
	}
	e.seq++
	s := e.newSession()
	*s = session{
		entry:   queue.Entry{ID: o.Session, Arrived: ns(now), Seq: e.seq},
		buyer:   o.Buyer,
		flags:   FlagStarted,
		lastMsg: ns(now),
	}
	if o.Stranger {
		e.outreach[s] = outreach{stranger: true}
	}
	e.admit(s)
	e.assign(s, a, CauseStarted, now)
	return nil
}

// where describes a session's place for error messages.
func (e *Engine) where(s *session) string {
	switch s.place {
	case PlaceAgent:
		return fmt.Sprintf("with agent %q", s.agent.ID())
	case PlaceOffered:
		return fmt.Sprintf("offered to agent %q", s.agent.ID())
	}
	return "in the " + s.place.String()
}
