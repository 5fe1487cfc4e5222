package model

import (
	"cmp"
	"slices"
	"time"

	"github.com/kefu-dev/kefu/agent"
)

// Beyond the seeds (E1-E5): offers, declines, reassignment, wrap-up.

// offer puts s, in no place, on offer to a (E1): a's load counts it, a
// received it now, and the offer ends at now + OfferTimeout.
func (m *Shop) offer(s *session, a *agentRec, c Cause, left *agentRec, waited Place, at time.Time) {
	m.hold(s, a)
	s.place, s.entered, s.from, s.offerEnds = PlaceOffered, at, waited, at.Add(m.pol.OfferTimeout)
	a.idle = at
	ev := m.event(EventOffered, s, at)
	ev.Cause = c
	if left != nil {
		ev.From = left.id
	}
	m.emit(ev)
}

// unoffer takes s out of its offer, into no place, and returns the agent
// it was offered to, whose unit frees.
func (m *Shop) unoffer(s *session) *agentRec {
	a := s.agent
	m.hold(s, nil)
	s.place = 0
	return a
}

// decline records that a declined s (E2).
func (m *Shop) decline(s *session, a *agentRec) {
	if !declinedBy(s, a) {
		s.declined = append(s.declined, a)
	}
}

// reoffer places s, whose offer ended: to the next agent with room, or
// back where it waited, in its arrival order (E1, E2).
func (m *Shop) reoffer(s *session, at time.Time) {
	if s.from == PlaceOffline {
		if b := m.chooseOffline(s); b != nil {
			m.give(s, b, CauseFreed, nil, PlaceOffline, at)
		} else {
			m.park(s, PlaceOffline, at) // O3 counts again from now
		}
		return
	}
	if b := m.choose(s, at); b != nil {
		m.give(s, b, CauseFreed, nil, PlaceQueue, at)
	} else {
		m.park(s, PlaceQueue, at)
	}
}

// chooseOffline: the least saturated agent with room that may take the
// offline message s and is not at its O5 batch, not a decliner (E2; with
// OfferRetry, one if no one else).
func (m *Shop) chooseOffline(s *session) *agentRec {
	for _, skip := range []bool{true, false} {
		if !skip && !m.retry(s) {
			break
		}
		for _, g := range m.tiers(s) {
			if a := m.leastSaturated(m.agentsIn(g, func(a *agentRec) bool {
				return m.hasRoomFor(a, s.weight()) && !m.atOfflineBatch(a) && !(skip && declinedBy(s, a))
			})); a != nil {
				return a
			}
		}
	}
	return nil
}

// offeredTo returns s, offered to agent id (E1).
func (m *Shop) offeredTo(s *session, id string) (*agentRec, error) {
	a := m.findAgent(id)
	switch {
	case a == nil:
		return nil, ErrUnknownAgent
	case s.place != PlaceOffered || s.agent != a:
		return nil, ErrNotOffered
	}
	return a, nil
}

// Accept: the agent takes the session offered to it into its list (E1).
func (m *Shop) Accept(now time.Time, id, agentID string) ([]Event, error) {
	return m.withSession(now, id, func(s *session, now time.Time) error {
		a, err := m.offeredTo(s, agentID)
		if err != nil {
			return err
		}
		s.place, s.entered, s.from = PlaceAgent, now, 0
		if s.buyer != "" {
			m.recent[s.buyer] = contact{a.id, now}
		}
		m.emit(m.event(EventAccepted, s, now))
		return nil
	})
}

// Reject: the agent refuses the offer (E1), declining the session (E2);
// the session goes to the next agent or back, and the agent takes what
// waits (C5).
func (m *Shop) Reject(now time.Time, id, agentID string) ([]Event, error) {
	return m.withSession(now, id, func(s *session, now time.Time) error {
		a, err := m.offeredTo(s, agentID)
		if err != nil {
			return err
		}
		m.unoffer(s)
		m.decline(s, a)
		ev := m.event(EventRejected, s, now)
		ev.Agent = a.id
		m.emit(ev)
		m.reoffer(s, now)
		m.fill(a, now)
		return nil
	})
}

// offerTimedOut: the offer of s ran out at at (E1): a rejection, and the
// agent may be set to Policy.OfferTimeoutStatus (E2).
func (m *Shop) offerTimedOut(s *session, at time.Time) {
	a := m.unoffer(s)
	m.decline(s, a)
	ev := m.event(EventOfferTimedOut, s, at)
	ev.Agent = a.id
	st := m.pol.OfferTimeoutStatus
	change := st != 0 && a.status != st
	if change {
		ev.Status = st
	}
	m.emit(ev)
	if change && st == agent.Offline {
		m.goOffline(a, at)
	} else if change {
		a.status, a.resume = st, st
	}
	m.reoffer(s, at)
	m.fill(a, at)
}

// withdrawOffers takes back a's pending offers, a gone offline, in
// sequence order: not declines (E1).
func (m *Shop) withdrawOffers(a *agentRec, at time.Time) {
	offers := m.sessions(func(s *session) bool { return s.place == PlaceOffered && s.agent == a },
		func(x, y *session) int { return cmp.Compare(x.seq, y.seq) })
	for _, s := range offers {
		m.unoffer(s)
		ev := m.event(EventRejected, s, at)
		ev.Agent = a.id
		m.emit(ev)
		m.reoffer(s, at)
	}
}

// reassign: s stayed unreplied in its agent's list for ReassignAfter
// (E3): it moves, its agent declined it (E2) and takes what waits (C5).
func (m *Shop) reassign(s *session, at time.Time) {
	a := s.agent
	m.hold(s, nil)
	s.place = 0
	s.moves++
	s.flags |= FlagReassigned
	m.decline(s, a)
	m.replace(s, a, at)
	m.fill(a, at)
}

// reassignList: a went offline; its list moves (E4), in L4 order.
func (m *Shop) reassignList(a *agentRec, at time.Time) {
	// In the queue's order (Q2), not the list's: the free places go to the
	// buyers who asked first.
	for _, s := range m.sessions(func(s *session) bool { return s.place == PlaceAgent && s.agent == a }, m.compareWaiting) {
		m.hold(s, nil)
		s.place = 0
		s.flags |= FlagReassigned
		m.replace(s, a, at)
	}
	m.noQueue(at)
}

// replace gives s, taken from left's list, to the agent the strategy
// picks, if not left, else to the queue, reported from left (E3, E4).
func (m *Shop) replace(s *session, left *agentRec, at time.Time) {
	if b := m.choose(s, at); b != nil && b != left {
		m.give(s, b, CauseReassigned, left, PlaceQueue, at)
		return
	}
	m.park(s, PlaceQueue, at)
	m.out[len(m.out)-1].From, m.out[len(m.out)-1].Cause = left.id, CauseReassigned
}

// unwrap ends the wrap-up w at at: its unit frees (E5).
func (m *Shop) unwrap(w *wrapUp, at time.Time) {
	m.wraps = slices.DeleteFunc(m.wraps, func(x *wrapUp) bool { return x == w })
	w.agent.load -= w.units
	m.emit(Event{Kind: EventWrapUpEnded, At: at, Session: w.session, Buyer: w.buyer, Agent: w.agent.id})
}

// endWrap: the wrap-up w ran out at at; its agent takes what waits (C5).
func (m *Shop) endWrap(w *wrapUp, at time.Time) {
	m.unwrap(w, at)
	m.fill(w.agent, at)
}

// EndWrapUp ends the agent's wrap-ups now, oldest first (E5).
func (m *Shop) EndWrapUp(now time.Time, agentID string) ([]Event, error) {
	return m.withAgent(now, agentID, func(a *agentRec, now time.Time) error {
		mine := slices.DeleteFunc(slices.Clone(m.wraps), func(w *wrapUp) bool { return w.agent != a })
		if len(mine) == 0 {
			return ErrNoWrapUp
		}
		for _, w := range mine {
			m.unwrap(w, now)
		}
		m.fill(a, now)
		return nil
	})
}
