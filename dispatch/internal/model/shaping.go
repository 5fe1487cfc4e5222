package model

import (
	"time"

	"github.com/kefu-dev/kefu/policy"
)

// Queue shaping beyond E5 (E6-E11).

// queueLimits returns the cap of the pool s waits in, or would, and the
// longest it may wait there (E8): its group's own for a group's pool
// (the group's MaxWait, or the shop's when 0), else the shop's.
func (m *Shop) queueLimits(s *session) (limit int, wait time.Duration) {
	limit, wait = m.pol.QueueCap, m.pol.MaxWait
	if g := m.poolOf(s); g != "" {
		for _, x := range m.pol.Groups {
			if x.ID == g {
				if x.MaxWait > 0 {
					wait = x.MaxWait
				}
				return x.QueueCap, wait
			}
		}
	}
	return limit, wait
}

// queueFull: a new buyer s would take the queue over a cap (E8): the
// shop's, counting every pool, or its group pool's own.
func (m *Shop) queueFull(s *session) bool {
	if c := m.pol.QueueCap; c > 0 && m.QueueLen() >= c {
		return true
	}
	if g := m.poolOf(s); g != "" {
		c, _ := m.queueLimits(s)
		return c > 0 && m.count(func(x *session) bool { return x.place == PlaceQueue && m.poolOf(x) == g }) >= c
	}
	return false
}

// divert sends s, in no place, where Policy.Divert says (E8), the event
// carrying cause c: the offline pool, the bot, or refused (it ends).
func (m *Shop) divert(s *session, c Cause, at time.Time) {
	switch m.pol.Divert {
	case policy.DivertBot:
		m.toBot(s, at)
	case policy.DivertRefuse:
		m.drop(s)
		m.emit(m.event(EventRefused, s, at))
	default:
		m.park(s, PlaceOffline, at)
	}
	m.out[len(m.out)-1].Cause = c
}

// goInactive: the buyer of the replied session s fell silent for
// Policy.InactiveAfter (E9): it stops counting toward its agent's load,
// and the agent takes what waits (C5).
func (m *Shop) goInactive(s *session, at time.Time) {
	s.flags |= FlagInactive
	s.agent.load -= s.weight()
	m.emit(m.event(EventInactive, s, at))
	m.fill(s.agent, at)
}

// closedReception places s, arrived (or handed over) outside business
// hours (E11), by outside: to the bot, or the offline pool, with
// CauseOutsideHours; an agent still online with room takes it from there
// as an offline message (O2).
func (m *Shop) closedReception(s *session, outside policy.OutsideHours, at time.Time) {
	if outside == policy.OutsideToBot {
		m.toBot(s, at)
		m.out[len(m.out)-1].Cause = CauseOutsideHours
		return
	}
	m.park(s, PlaceOffline, at)
	m.out[len(m.out)-1].Cause = CauseOutsideHours
	if a := m.chooseOffline(s); a != nil {
		s.flags |= FlagOffline
		m.give(s, a, CauseFreed, nil, PlaceOffline, at)
	}
}

// ringsOf returns the rings of s's group (E7): none without a group or
// with GroupFallback.
func (m *Shop) ringsOf(s *session) []policy.Ring {
	if s.group == "" || m.pol.GroupFallback {
		return nil
	}
	for _, g := range m.pol.Groups {
		if g.ID == s.group {
			return g.Rings
		}
	}
	return nil
}

// openRings returns the rings open to s: only while it waits in the
// queue, as many as have opened since it entered it (E7).
func (m *Shop) openRings(s *session) []policy.Ring {
	if s.place != PlaceQueue {
		return nil
	}
	r := m.ringsOf(s)
	return r[:min(s.ring, len(r))]
}

// widen opens the next ring of s's group to it (E7): an agent of the
// groups open with room takes it, inner first, or it waits on.
func (m *Shop) widen(s *session, at time.Time) {
	s.ring++
	if b := m.choose(s, at); b != nil {
		m.give(s, b, CauseWidened, nil, PlaceQueue, at)
	}
}
