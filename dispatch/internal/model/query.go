package model

import (
	"cmp"
	"slices"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// Queries do not fire timers, like the engine's.

// Now returns the latest time the shop has seen.
func (m *Shop) Now() time.Time { return m.now }

// TeamLevel returns the shop's current team level (P2).
func (m *Shop) TeamLevel() policy.TeamLevel { return m.level }

// Sessions returns the number of open sessions.
func (m *Shop) Sessions() int { return len(m.open) }

// Session returns an open session's state.
func (m *Shop) Session(id string) (SessionInfo, bool) {
	s := m.findSession(id)
	if s == nil {
		return SessionInfo{}, false
	}
	return m.info(s), true
}

func (m *Shop) info(s *session) SessionInfo {
	deadline, _, _ := m.timer(s)
	info := SessionInfo{ID: s.id, Buyer: s.buyer, Priority: s.priority, Arrived: s.arrived,
		Place: s.place, Flags: s.flags, Deadline: deadline, LastFrom: s.lastFrom,
		LastMessage: s.lastMsg, Unreplied: !s.waitSince.IsZero(), WaitingSince: s.waitSince,
		Unread: s.unread, Entered: s.entered, FirstReply: s.firstReply}
	if s.place == PlaceQueue || s.place == PlaceOffline {
		info.Entered = s.parked // when it entered its current place
	}
	if s.agent != nil {
		info.Agent = s.agent.id
	}
	return info
}

// Agent returns an agent's state.
func (m *Shop) Agent(id string) (AgentInfo, bool) {
	a := m.findAgent(id)
	if a == nil {
		return AgentInfo{}, false
	}
	return m.agentInfo(a), true
}

func (m *Shop) agentInfo(a *agentRec) AgentInfo {
	num, den := m.fraction(a)
	sat := float64(num) / float64(den) // 1/0: +Inf for a suspended agent
	wraps := 0
	for _, w := range m.wraps {
		if w.agent == a {
			wraps++
		}
	}
	return AgentInfo{ID: a.id, Status: a.status, Capacity: a.capacity, Load: m.load(a),
		Offers:     m.count(func(s *session) bool { return s.place == PlaceOffered && s.agent == a }),
		WrapUps:    wraps,
		Saturation: sat, IdleSince: a.idle}
}

// Agents returns every agent's state in id order.
func (m *Shop) Agents() []AgentInfo {
	var out []AgentInfo
	for _, a := range m.agents {
		out = append(out, m.agentInfo(a))
	}
	slices.SortFunc(out, func(a, b AgentInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func page[T any](all []T, p Page) ([]T, int, error) {
	if p.Offset < 0 || p.Limit < 0 {
		return nil, 0, ErrInvalidPage
	}
	rest := all[min(p.Offset, len(all)):]
	if p.Limit > 0 && p.Limit < len(rest) {
		rest = rest[:p.Limit]
	}
	return slices.Clone(rest), len(all), nil
}

// List returns a page of the agent's current list in L4 order and its
// length.
func (m *Shop) List(agentID string, p Page) ([]SessionInfo, int, error) {
	a := m.findAgent(agentID)
	if a == nil {
		return nil, 0, ErrUnknownAgent
	}
	var all []SessionInfo
	for _, s := range m.sessions(func(s *session) bool { return s.place == PlaceAgent && s.agent == a }, compareList) {
		all = append(all, m.info(s))
	}
	return page(all, p)
}

// History returns a page of the agent's closed sessions, newest last
// message first (L4), and how many are kept.
func (m *Shop) History(agentID string, p Page) ([]Closed, int, error) {
	a := m.findAgent(agentID)
	if a == nil {
		return nil, 0, ErrUnknownAgent
	}
	return page(a.history, p)
}

func (m *Shop) in(p Place) int { return m.count(func(s *session) bool { return s.place == p }) }

// QueueLen returns the number of sessions in the queue pool (Q3).
func (m *Shop) QueueLen() int { return m.in(PlaceQueue) }

// OfflineLen returns the number of sessions in the offline pool (O1).
func (m *Shop) OfflineLen() int { return m.in(PlaceOffline) }

// BotLen returns the number of sessions held by the bot (B1).
func (m *Shop) BotLen() int { return m.in(PlaceBot) }

// Position returns a waiting session's 1-based place in its pool (its
// group's, R2) and the pool's length (Q3).
func (m *Shop) Position(id string) (pos, length int, ok bool) {
	s := m.findSession(id)
	if s == nil || (s.place != PlaceQueue && s.place != PlaceOffline) {
		return 0, 0, false
	}
	pool := m.sessions(func(x *session) bool { return x.place == s.place && m.poolOf(x) == m.poolOf(s) }, m.compareWaiting)
	return slices.Index(pool, s) + 1, len(pool), true
}

// TransferTargets lists the agents from may transfer to (R3, S3): online
// first, then on break, each least saturated first.
func (m *Shop) TransferTargets(from string) ([]AgentInfo, error) {
	if m.findAgent(from) == nil {
		return nil, ErrUnknownAgent
	}
	var out []AgentInfo
	for _, st := range []agent.Status{agent.Online, agent.Break} {
		group := m.agentsIn("", func(a *agentRec) bool { return a.id != from && a.status == st })
		slices.SortFunc(group, m.compareAgents)
		for _, a := range group {
			out = append(out, m.agentInfo(a))
		}
	}
	return out, nil
}
