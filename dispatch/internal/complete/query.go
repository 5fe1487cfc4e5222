package complete

import (
	"cmp"
	"slices"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch/internal/model"
	"github.com/kefu-dev/kefu/policy"
)

// Queries do not fire timers, like the engine's. Those that list sort
// when asked (the Agents' ids, a list, a history, the transfer targets).

// Now returns the latest time the shop has seen.
func (m *Shop) Now() time.Time { return m.now }

// TeamLevel returns the shop's current team level (P2).
func (m *Shop) TeamLevel() policy.TeamLevel { return m.level }

// Sessions returns the number of open sessions.
func (m *Shop) Sessions() int { return len(m.open) }

// Session returns an open session's state.
func (m *Shop) Session(id string) (model.SessionInfo, bool) {
	s := m.findSession(id)
	if s == nil {
		return model.SessionInfo{}, false
	}
	return m.info(s), true
}

// info is s's state as the queries report it.
func (m *Shop) info(s *session) model.SessionInfo {
	deadline, _, _ := m.timer(s)
	info := model.SessionInfo{ID: s.id, Buyer: s.buyer, Priority: s.priority, Arrived: s.arrived,
		Place: s.place, Flags: s.flags, Deadline: deadline, LastFrom: s.lastFrom,
		LastMessage: s.lastMsg, Unreplied: !s.waitSince.IsZero(), WaitingSince: s.waitSince,
		Unread: s.unread, Entered: s.entered, FirstReply: s.firstReply}
	if s.place == model.PlaceQueue || s.place == model.PlaceOffline {
		info.Entered = s.parked // when it entered its current place
	}
	if s.agent != nil {
		info.Agent = s.agent.id
	}
	return info
}

// Agent returns an agent's state.
func (m *Shop) Agent(id string) (model.AgentInfo, bool) {
	a := m.findAgent(id)
	if a == nil {
		return model.AgentInfo{}, false
	}
	return agentInfo(a), true
}

// agentInfo is a's state as the queries report it.
func agentInfo(a *agentRec) model.AgentInfo {
	num, den := fraction(a)
	sat := float64(num) / float64(den) // 1/0: +Inf for a suspended agent
	return model.AgentInfo{ID: a.id, Status: a.status, Capacity: a.capacity, Load: len(a.list),
		Saturation: sat, IdleSince: a.idle}
}

// Agents returns every agent's state in id order.
func (m *Shop) Agents() []model.AgentInfo {
	var out []model.AgentInfo // nil when empty, as the model's
	for _, a := range m.agents {
		out = append(out, agentInfo(a))
	}
	slices.SortFunc(out, func(a, b model.AgentInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// page returns page p of all (a copy) and the length of all.
func page[T any](all []T, p model.Page) ([]T, int, error) {
	if p.Offset < 0 || p.Limit < 0 {
		return nil, 0, model.ErrInvalidPage
	}
	rest := all[min(p.Offset, len(all)):]
	if p.Limit > 0 && p.Limit < len(rest) {
		rest = rest[:p.Limit]
	}
	return slices.Clone(rest), len(all), nil
}

// List returns a page of the agent's current list in L4 order and its
// length.
func (m *Shop) List(agentID string, p model.Page) ([]model.SessionInfo, int, error) {
	a := m.findAgent(agentID)
	if a == nil {
		return nil, 0, model.ErrUnknownAgent
	}
	if p.Offset < 0 || p.Limit < 0 {
		return nil, 0, model.ErrInvalidPage
	}
	list := slices.Clone(a.list)
	slices.SortFunc(list, compareList)
	list, n, _ := page(list, p)
	var out []model.SessionInfo // nil when empty, as the model's
	for _, s := range list {
		out = append(out, m.info(s))
	}
	return out, n, nil
}

// History returns a page of the agent's closed sessions, newest last
// message first (L4), and how many are kept.
func (m *Shop) History(agentID string, p model.Page) ([]model.Closed, int, error) {
	a := m.findAgent(agentID)
	if a == nil {
		return nil, 0, model.ErrUnknownAgent
	}
	return page(a.history.sorted(), p)
}

// QueueLen returns the number of sessions in the queue pool (Q3).
func (m *Shop) QueueLen() int { return m.in[model.PlaceQueue] }

// OfflineLen returns the number of sessions in the offline pool (O1).
func (m *Shop) OfflineLen() int { return m.in[model.PlaceOffline] }

// BotLen returns the number of sessions held by the bot (B1).
func (m *Shop) BotLen() int { return m.in[model.PlaceBot] }

// Position returns a waiting session's 1-based place in its pool (its
// group's, R2) and the pool's length (Q3): a binary search.
func (m *Shop) Position(id string) (pos, length int, ok bool) {
	s := m.findSession(id)
	if s == nil || (s.place != model.PlaceQueue && s.place != model.PlaceOffline) {
		return 0, 0, false
	}
	pool := *m.pool(s.place, s.pool)
	i, _ := slices.BinarySearchFunc(pool, s, compareWaiting)
	return i + 1, len(pool), true
}

// TransferTargets lists the agents from may transfer to (R3, S3): online
// first, then on break, each least saturated first.
func (m *Shop) TransferTargets(from string) ([]model.AgentInfo, error) {
	if m.findAgent(from) == nil {
		return nil, model.ErrUnknownAgent
	}
	var out []model.AgentInfo
	for _, st := range []agent.Status{agent.Online, agent.Break} {
		var group []*agentRec
		for _, a := range m.agents {
			if a.id != from && a.status == st {
				group = append(group, a)
			}
		}
		slices.SortFunc(group, compareAgents)
		for _, a := range group {
			out = append(out, agentInfo(a))
		}
	}
	return out, nil
}
