package dispatch

import (
	"fmt"
	"slices"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
	"github.com/kefu-dev/kefu/queue"
)

// The agent side of routing beyond the seeds (E1-E5): offers and who
// declined them, reassignment of unanswered sessions and of an agent's
// sessions when it goes offline, and wrap-up. Each is a policy option,
// off by default; with all of them off, none of this code runs but the
// checks that find them off.
//
// What declining means (E2): an agent declines a session when it rejects
// its offer, lets the offer time out, or leaves it unreplied until
// Policy.ReassignAfter moves it. A session is not offered, assigned or
// reassigned to an agent that declined it while an agent that did not
// could take it; with Policy.OfferRetry it may be when no such agent
// can, else it waits (a person may still assign it, C4). Declines last
// as long as the session is open.

// Accept is an agent's answer to an offer (E1): the session enters its
// reception list, on the units of capacity the offer held (its weight,
// E10). The agent's
// 3-minute reply clock (M2) starts now: the time the session was on
// offer counts for the shop (M3), as queue time does (Q5).
//
// Errors: ErrUnknownSession, ErrUnknownAgent, ErrNotOffered.
func (e *Engine) Accept(now time.Time, session, agentID string) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpAccept, Session: session, Agent: agentID})
}

func (e *Engine) doAccept(now time.Time, id, agentID string) error {
	s, _, err := e.offerOf(id, agentID)
	if err != nil {
		return err
	}
	e.accept(s, now)
	return nil
}

// Reject is an agent's refusal of an offer (E1): the agent's units of
// capacity free, the agent will not be offered the session again while
// another agent could take it (E2), and the session is offered to the
// next agent with room, or goes back where it waited (the queue, or the
// offline pool), in its arrival order. The agent, which now has room,
// then takes the best waiting session it has not declined (C5). Events:
// EventRejected, then the session's (EventOffered, or EventQueued or
// EventOffline), then the agent's.
//
// Errors: ErrUnknownSession, ErrUnknownAgent, ErrNotOffered.
func (e *Engine) Reject(now time.Time, session, agentID string) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpReject, Session: session, Agent: agentID})
}

func (e *Engine) doReject(now time.Time, id, agentID string) error {
	s, a, err := e.offerOf(id, agentID)
	if err != nil {
		return err
	}
	e.unoffer(s, now)
	e.decline(s, a)
	ev := e.sessionEvent(EventRejected, s, now)
	ev.Agent = a.ID()
	e.emit(ev)
	e.reoffer(s, now)
	e.fill(a, now)
	return nil
}

// offerOf returns the session id, offered to agent agentID.
func (e *Engine) offerOf(id, agentID string) (*session, *agent.Agent, error) {
	s, err := e.session(id)
	if err != nil {
		return nil, nil, err
	}
	a, err := e.agent(agentID)
	if err != nil {
		return nil, nil, err
	}
	if s.place != PlaceOffered || s.agent != a {
		return nil, nil, fmt.Errorf("%w: %q is %s, not offered to %q", ErrNotOffered, id, e.where(s), agentID)
	}
	return s, a, nil
}

// offerTimedOut handles an offer not accepted by its deadline at (E1):
// as a rejection, reported as EventOfferTimedOut, and the agent is set
// to Policy.OfferTimeoutStatus if the policy says so (E2).
func (e *Engine) offerTimedOut(s *session, at time.Time) {
	a := s.agent
	e.unoffer(s, at)
	e.decline(s, a)
	ev := e.sessionEvent(EventOfferTimedOut, s, at)
	ev.Agent = a.ID()
	st := e.pol.OfferTimeoutStatus
	change := st != 0 && a.Status() != st
	if change {
		ev.Status = st
	}
	e.emit(ev)
	if change {
		if st == agent.Offline {
			e.goOffline(a, at)
		} else {
			_ = e.roster.SetStatus(a, st) // valid
		}
	}
	e.reoffer(s, at)
	e.fill(a, at)
}

// withdrawOffers takes back the offers pending to a, which went offline
// and cannot accept them: each is reported as EventRejected and offered
// to the next agent or put back (E1). They are not declines: the agent
// did not see them through.
func (e *Engine) withdrawOffers(a *agent.Agent, now time.Time) {
	for len(e.offered(a)) > 0 {
		s := e.offered(a)[0]
		e.unoffer(s, now)
		ev := e.sessionEvent(EventRejected, s, now)
		ev.Agent = a.ID()
		e.emit(ev)
		e.reoffer(s, now)
	}
}

// give places s, in no place, with a, which has room, by an automatic
// assignment of cause c: an offer when the policy makes offers (E1),
// else an assignment. waited says where an offer goes back to (see
// floor.offer); left is the agent a reassigned session left (E3, E4), or
// nil.
func (e *Engine) give(s *session, a *agent.Agent, c Cause, left *agent.Agent, waited Place, now time.Time) {
	if e.pol.OfferTimeout > 0 {
		e.offer(s, a, c, left, waited, now)
		return
	}
	e.assign(s, a, c, now)
	if left != nil {
		e.out[len(e.out)-1].From = left.ID() // the EventAssigned: from left
	}
}

// takeRoom gives a, which has room, the waiting session s (C5, O1): an
// offer when the policy makes offers (E1), else an assignment.
func (e *Engine) takeRoom(s *session, a *agent.Agent, c Cause, now time.Time) {
	if e.pol.OfferTimeout == 0 {
		e.take(s, a, c, now)
		return
	}
	waited := s.place
	e.stats.Wait.observe(time.Duration(ns(now) - s.entered))
	e.unpark(s)
	e.offer(s, a, c, nil, waited, now)
}

// reoffer places a session whose offer ended (rejected, timed out,
// withdrawn): to the next agent with room that may take it (E1, E2), or
// back where it waited.
func (e *Engine) reoffer(s *session, now time.Time) {
	if s.from == PlaceOffline {
		if b := e.chooseOffline(s); b != nil {
			e.give(s, b, CauseFreed, nil, PlaceOffline, now)
			return
		}
		e.back(s, now)
		return
	}
	if b := e.choose(s, now); b != nil {
		e.give(s, b, CauseFreed, nil, PlaceQueue, now)
		return
	}
	e.back(s, now)
}

// chooseOffline returns the agent an offline message goes to when its
// offer ended: the least saturated agent with room that may take it and
// holds fewer than Policy.OfflineBatch offline messages (O2, O5), one
// that has not declined it first (E2); room for its weight (E10).
func (e *Engine) chooseOffline(s *session) *agent.Agent {
	dec := e.declinesOf(s)
	w := s.weight()
	t := e.tiers(s)
	for pass := range 2 {
		if pass == 1 && (!e.pol.OfferRetry || len(dec) == 0) {
			break
		}
		for _, g := range t {
			for a := range e.roster.ActiveIn(g) {
				if !a.HasRoom() {
					break
				}
				if !a.HasRoomFor(w) || e.atOfflineBatch(a) || (pass == 0 && slices.Contains(dec, a)) {
					continue
				}
				return a
			}
		}
	}
	return nil
}

// reassign moves s, unanswered in its agent's list for
// Policy.ReassignAfter, to another agent with room or back to the queue
// (E3) at at; the agent it leaves counts as having declined it (E2) and
// takes the next waiting session (C5).
func (e *Engine) reassign(s *session, at time.Time) {
	a := s.agent
	e.release(s, at)
	s.moves++
	s.flags |= FlagReassigned
	e.decline(s, a)
	e.replace(s, a, at)
	e.fill(a, at)
}

// reassignList moves every session of a's list, a just gone offline, to
// other agents with room, the rest to the queue (E4), in the order the
// queue serves them (Q2: priority, then arrival), so that the free
// places go to the buyers who asked first, as they would after a requeue
// (S5).
func (e *Engine) reassignList(a *agent.Agent, now time.Time) {
	d := e.readDesk(a)
	moving := make([]*session, 0, d.list.Len())
	d.list.Ascend(func(x listed) bool {
		moving = append(moving, x.s)
		return true
	})
	slices.SortFunc(moving, func(x, y *session) int {
		if e.less(&x.entry, &y.entry) {
			return -1
		}
		return 1 // distinct sequences: never equal
	})
	for _, s := range moving {
		e.release(s, now)
		s.flags |= FlagReassigned
		e.replace(s, a, now)
	}
	e.noQueue(now)
}

// replace places s, taken from agent left's list, with another agent
// the policy chooses among those with room that may take it, or in the
// queue pool, reported as from left (E3, E4).
func (e *Engine) replace(s *session, left *agent.Agent, now time.Time) {
	if b := e.choose(s, now); b != nil && b != left {
		e.give(s, b, CauseReassigned, left, PlaceQueue, now)
		return
	}
	e.park(s, PlaceQueue, CauseReassigned, now) // counted in Stats.Reassigned
	e.out[len(e.out)-1].From = left.ID()        // the EventQueued: from left
}

// EndWrapUp ends the agent's wrap-ups early (E5): their units of
// capacity (each its session's weight, E10) free, and the agent takes waiting sessions in the same call
// (C5). Events: an EventWrapUpEnded per wrap-up, then the assignments
// (or offers).
//
// Errors: ErrUnknownAgent, ErrNoWrapUp.
func (e *Engine) EndWrapUp(now time.Time, agentID string) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpEndWrapUp, Agent: agentID})
}

func (e *Engine) doEndWrapUp(now time.Time, id string) error {
	a, err := e.agent(id)
	if err != nil {
		return err
	}
	if len(e.wrapping(a)) == 0 {
		return fmt.Errorf("%w: %q", ErrNoWrapUp, id)
	}
	for len(e.wrapping(a)) > 0 {
		e.unwrap(e.wrapping(a)[0], now)
	}
	e.fill(a, now)
	return nil
}

// endWrap ends the wrap-up w at its deadline at (E5); its agent takes
// waiting sessions (C5).
func (e *Engine) endWrap(w *session, at time.Time) {
	a := w.agent
	e.unwrap(w, at)
	e.fill(a, at)
}

// decline records that a declined s (E2).
func (e *Engine) decline(s *session, a *agent.Agent) {
	if e.declined == nil {
		e.declined = make(map[*session][]*agent.Agent)
	}
	l, ok := e.declined[s]
	if !ok {
		if n := len(e.spareDeclines); n > 0 {
			l, e.spareDeclines = e.spareDeclines[n-1], e.spareDeclines[:n-1]
		}
	}
	if !slices.Contains(l, a) {
		e.declined[s] = append(l, a)
	}
}

// declinesOf returns the agents that declined s (E2), nil for none.
func (e *Engine) declinesOf(s *session) []*agent.Agent {
	if e.declined == nil {
		return nil
	}
	return e.declined[s]
}

// declinedBy reports whether a declined s (E2).
func (e *Engine) declinedBy(s *session, a *agent.Agent) bool {
	return slices.Contains(e.declinesOf(s), a)
}

// forgetDecliner drops a removed agent from every session's declines.
func (e *Engine) forgetDecliner(a *agent.Agent) {
	for s, l := range e.declined {
		if i := slices.Index(l, a); i >= 0 {
			if l = slices.Delete(l, i, i+1); len(l) == 0 {
				delete(e.declined, s)
			} else {
				e.declined[s] = l
			}
		}
	}
}

// queueFull reports whether a new buyer s would take the queue over a
// cap (E8): the shop's, counting every pool, or its group's own pool's.
func (e *Engine) queueFull(s *session) bool {
	if c := e.pol.QueueCap; c > 0 && e.QueueLen() >= c {
		return true
	}
	if x := e.poolFor(s); x.group != "" {
		if c, _ := e.queueLimits(s); c > 0 && x.queue.Len() >= c {
			return true
		}
	}
	return false
}

// divert sends s, in no place, where the policy sends a buyer over the
// queue's cap or maximum wait (E8), reported with cause c: the offline
// pool, the bot, or nowhere (EventRefused, and s leaves the engine).
func (e *Engine) divert(s *session, c Cause, now time.Time) {
	switch e.pol.Divert {
	case policy.DivertBot:
		e.toBot(s, c, now)
	case policy.DivertRefuse:
		ev := e.sessionEvent(EventRefused, s, now)
		ev.Cause = c
		e.drop(s) // E10: a weighted session counts out of floor.heavy
		e.emit(ev)
		e.freeSession(s)
		return
	default:
		e.park(s, PlaceOffline, c, now)
	}
}

// buyerWrote records that s's buyer wrote at now (E9): the time its
// inactivity counts from, and an inactive session counts toward its
// agent's load again, over the cap if need be. Nothing without
// Policy.InactiveAfter.
func (e *Engine) buyerWrote(s *session, now time.Time) {
	if e.pol.InactiveAfter > 0 || s.flags&FlagInactive != 0 { // inlined: nothing to do without E9
		e.noteBuyer(s, now)
	}
}

// noteBuyer is buyerWrote's work.
func (e *Engine) noteBuyer(s *session, now time.Time) {
	if e.pol.InactiveAfter > 0 {
		if e.buyerAt == nil {
			e.buyerAt = make(map[*session]int64)
		}
		e.buyerAt[s] = ns(now)
	}
	if s.flags&FlagInactive != 0 { // even if a policy change turned E9 off since
		s.flags &^= FlagInactive
		e.roster.AddLoad(s.agent, s.weight(), s.agent.IdleSince()) // its units (E10); it received nothing new
	}
}

// goInactive releases the units of s (its weight, E10), whose buyer fell
// silent in a replied session (E9), at its deadline at; its agent takes
// the queue head (C5).
func (e *Engine) goInactive(s *session, at time.Time) {
	a := s.agent
	s.flags |= FlagInactive
	e.roster.AddLoad(a, -s.weight(), at)
	e.emit(e.sessionEvent(EventInactive, s, at))
	e.rearm(s) // the next timer, an auto-close maybe
	e.fill(a, at)
}

// ringedFor calls f with the pool of each group whose widening reaches
// a's group (E7), and the number of rings a session of it must have open
// for a to take it.
func (e *Engine) ringedFor(a *agent.Agent, f func(x *pools, ring uint8)) {
	if e.pol.GroupFallback || a.Group() == "" {
		return
	}
	for i := range e.pol.Groups {
		g := &e.pol.Groups[i]
		for r, ring := range g.Rings {
			if slices.Contains(ring.Groups, a.Group()) {
				f(e.poolOf[g.ID], uint8(r+1))
				break
			}
		}
	}
}

// firstRinged returns the first session of pool p, by the queue's order,
// with at least ring rings open (E7), that a has room for (E10: its
// weight fits in a's free units, as for firstFor) and has not declined
// (E2).
func (e *Engine) firstRinged(p *queue.Pool, a *agent.Agent, ring uint8) (*queue.Entry, bool) {
	for x := range p.All() {
		s := e.sessions[x.ID]
		if s.ring >= ring && a.HasRoomFor(s.weight()) && (e.pol.OfferRetry || !e.declinedBy(s, a)) {
			return x, true
		}
	}
	return nil, false
}
