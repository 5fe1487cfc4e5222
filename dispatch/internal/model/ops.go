package model

import (
	"hash/fnv"
	"slices"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// Every operation begins at its time (the clock, then the timers due),
// checks its input in the engine's order, and on the first error changes
// nothing more.

// withAgent runs op on agent id, or fails with ErrUnknownAgent.
func (m *Shop) withAgent(now time.Time, id string, op func(a *agentRec, now time.Time) error) ([]Event, error) {
	now = m.begin(now)
	a := m.findAgent(id)
	if a == nil {
		return m.fail(ErrUnknownAgent)
	}
	if err := op(a, now); err != nil {
		return m.fail(err)
	}
	return m.done()
}

// withSession runs op on open session id, or fails with ErrUnknownSession.
func (m *Shop) withSession(now time.Time, id string, op func(s *session, now time.Time) error) ([]Event, error) {
	now = m.begin(now)
	s := m.findSession(id)
	if s == nil {
		return m.fail(ErrUnknownSession)
	}
	if err := op(s, now); err != nil {
		return m.fail(err)
	}
	return m.done()
}

// Advance fires the timers due by now and returns what they caused.
func (m *Shop) Advance(now time.Time) []Event {
	m.begin(now)
	evs, _ := m.done()
	return evs
}

// checkCapacity is the platform's bounds (C2, C3): a mode it offers, a
// limit in [max(Min, 1), Max].
func checkCapacity(b agent.Bounds, c agent.Capacity) error {
	switch n, isLimit := c.Limit(); {
	case c.IsUnlimited() && b.NoUnlimited, c.IsSuspended() && b.NoSuspend:
		return ErrCapacityMode
	case isLimit && (n < max(b.Min, 1) || (b.Max > 0 && n > b.Max)):
		return ErrCapacityOutOfRange
	}
	return nil
}

// setCapacity sets a valid capacity, warns below WarnBelow (C3), and
// lets the agent take waiting sessions (C6).
func (m *Shop) setCapacity(a *agentRec, c agent.Capacity, now time.Time) {
	a.capacity = c
	if n, isLimit := c.Limit(); isLimit && n < m.pol.Capacity.WarnBelow {
		m.emit(Event{Kind: EventWarning, At: now, Agent: a.id, Warning: WarnCapacityLow})
	}
	m.fill(a, now)
}

func validStatus(s agent.Status) bool {
	return s == agent.Online || s == agent.Break || s == agent.Offline
}

// AddAgent adds an agent: status 0 is online (S2), offline is "not logged
// in yet" (its first Login makes it online). It takes waiting sessions.
func (m *Shop) AddAgent(now time.Time, id string, c agent.Capacity, st agent.Status, group string) ([]Event, error) {
	now = m.begin(now)
	if st == 0 {
		st = agent.Online
	}
	switch {
	case !validStatus(st):
		return m.fail(ErrInvalidStatus)
	case checkCapacity(m.pol.Capacity, c) != nil:
		return m.fail(checkCapacity(m.pol.Capacity, c))
	case group != "" && !m.pol.HasGroup(group):
		return m.fail(ErrUnknownGroup)
	case id == "":
		return m.fail(ErrEmptyAgentID)
	case m.findAgent(id) != nil:
		return m.fail(ErrDuplicateAgent)
	}
	a := &agentRec{id: id, group: group, status: st, resume: st, idle: now}
	if st == agent.Offline {
		a.resume = agent.Online
	}
	m.agents = append(m.agents, a)
	m.setCapacity(a, c, now)
	return m.done()
}

// RemoveAgent removes an agent with an empty list; its history goes too.
func (m *Shop) RemoveAgent(now time.Time, id string) ([]Event, error) {
	return m.withAgent(now, id, func(a *agentRec, _ time.Time) error {
		if m.load(a) > 0 || m.count(func(s *session) bool { return s.agent == a }) > 0 { // E9: inactive ones too
			return ErrAgentBusy
		}
		m.agents = m.agentsIn("", func(x *agentRec) bool { return x != a })
		for _, s := range m.open { // E2: its declines go with it
			s.declined = slices.DeleteFunc(s.declined, func(x *agentRec) bool { return x == a })
		}
		return nil
	})
}

// Login restores the status the agent had at logout (S2).
func (m *Shop) Login(now time.Time, id string) ([]Event, error) {
	return m.withAgent(now, id, func(a *agentRec, now time.Time) error {
		a.status = a.resume
		m.fill(a, now)
		return nil
	})
}

// Logout takes the agent offline (S2, S5, O5).
func (m *Shop) Logout(now time.Time, id string) ([]Event, error) {
	return m.withAgent(now, id, func(a *agentRec, now time.Time) error {
		m.goOffline(a, now)
		return nil
	})
}

func (m *Shop) goOffline(a *agentRec, now time.Time) {
	if a.status == agent.Offline {
		return
	}
	a.resume, a.status = a.status, agent.Offline
	if a.capacity.IsUnlimited() { // O5
		m.emit(Event{Kind: EventWarning, At: now, Agent: a.id, Warning: WarnUnlimitedOffline})
	}
	m.withdrawOffers(a, now)    // E1: an offline agent cannot accept
	if m.pol.RequeueOnOffline { // S5: back in the queue, in L4 order, then served
		for _, s := range m.sessions(func(s *session) bool { return s.place == PlaceAgent && s.agent == a }, compareList) {
			m.park(s, PlaceQueue, now)
			m.out[len(m.out)-1].From = a.id
		}
		m.drain(now)
	} else if m.pol.ReassignOnOffline { // E4
		m.reassignList(a, now)
	} else {
		m.noQueue(now) // withdrawn offers may be back in a no-queue shop's queue (Q4)
	}
}

// SetStatus sets the agent's status (S1); Offline is Logout.
func (m *Shop) SetStatus(now time.Time, id string, st agent.Status) ([]Event, error) {
	return m.withAgent(now, id, func(a *agentRec, now time.Time) error {
		switch {
		case !validStatus(st):
			return ErrInvalidStatus
		case st == agent.Offline:
			m.goOffline(a, now)
		default:
			a.status, a.resume = st, st
			m.fill(a, now)
		}
		return nil
	})
}

// SetCapacity sets the agent's max reception (C1, C2, C3, C6).
func (m *Shop) SetCapacity(now time.Time, id string, c agent.Capacity) ([]Event, error) {
	return m.withAgent(now, id, func(a *agentRec, now time.Time) error {
		if err := checkCapacity(m.pol.Capacity, c); err != nil {
			return err
		}
		m.setCapacity(a, c, now)
		return nil
	})
}

// SetTeamLevel records the shop's team level (P2).
func (m *Shop) SetTeamLevel(now time.Time, l policy.TeamLevel) ([]Event, error) {
	m.begin(now)
	if l > policy.LevelGold {
		return m.fail(ErrInvalidTeamLevel)
	}
	m.level = l
	return m.done()
}

// Arrive takes a buyer's new session and places it: business hours
// (E11), priority crowds (P1, P5), offline diversion (O4), the bot (B1,
// B2), the exclusive agent (P10), then the human path (R1, Q4, Q1, O1).
func (m *Shop) Arrive(now time.Time, id, buyer string, priority int, entry Entry, crowds []Membership, exclusive string) ([]Event, error) {
	return m.ArriveKind(now, id, buyer, priority, entry, crowds, exclusive, "")
}

// ArriveKind is Arrive for a session of a kind, which costs
// Policy.UnitsOf(kind) units of capacity (E10).
func (m *Shop) ArriveKind(now time.Time, id, buyer string, priority int, entry Entry, crowds []Membership, exclusive, kind string) ([]Event, error) {
	now = m.begin(now)
	switch {
	case id == "":
		return m.fail(ErrEmptySessionID)
	case m.findSession(id) != nil:
		return m.fail(ErrDuplicateSession)
	case priority >= PriorityBand || priority <= -PriorityBand:
		return m.fail(ErrInvalidPriority)
	}
	m.seq++
	s := &session{id: id, buyer: buyer, priority: priority, arrived: now, seq: m.seq,
		lastFrom: FromBuyer, lastMsg: now, waitSince: now, unread: 1, buyerAt: now, units: m.pol.UnitsOf(kind)} // L5: the first message
	s.group = m.pol.GroupFor(func(yield func(string) bool) { // R2
		for _, c := range crowds {
			if !yield(c.Crowd) {
				return
			}
		}
	})
	m.open = append(m.open, s)
	nobody := len(m.agentsIn("", online)) == 0
	x := m.findAgent(exclusive)
	if m.pol.Hours != nil && !m.pol.Open(now) { // E11, before everything
		m.closedReception(s, m.pol.Hours.Outside, now)
	} else if member, hit := m.priorityHit(crowds, now); hit {
		m.receivePriority(s, entry, member, now)
	} else if nobody && m.pol.OfflineDiversion == policy.OfflineToBot {
		m.toBot(s, now)
	} else if !nobody && botTakes(m.pol.BotShare(now), s) {
		m.toBot(s, now)
	} else if x != nil && m.hasRoomFor(x, s.weight()) && m.mayTake(x, s) {
		m.give(s, x, CauseExclusive, nil, PlaceQueue, now)
	} else {
		m.route(s, CauseArrival, now)
	}
	return m.done()
}

// priorityHit: the buyer is in a selected crowd, effective from the local
// day after joining (P4), at a qualifying team level (P2).
func (m *Shop) priorityHit(crowds []Membership, now time.Time) (member, hit bool) {
	if m.level != policy.LevelSilver && m.level != policy.LevelGold {
		return false, false
	}
	loc := m.pol.WithDefaults().Location
	for _, mb := range crowds {
		for _, c := range m.pol.Crowds {
			y, mo, d := mb.Since.In(loc).Date()
			if c.ID == mb.Crowd && !now.Before(time.Date(y, mo, d+1, 0, 0, 0, 0, loc)) {
				hit, member = true, member || c.Member
			}
		}
	}
	return member, hit
}

// promptWords are the prompt's parts in English and in the platform's
// words (P6).
var promptWords = map[string][2]string{
	"member":     {"Member exclusive agent", "会员专属客服"},
	"priority":   {"Priority reception in effect", "优先接待生效"},
	"skip-queue": {"Skipped the queue, connected to a human", "已跳过排队直连人工"},
	"skip-bot":   {"Skipped the bot, connected to a human", "已跳过机器人直连人工"},
	"arranged":   {"Priority reception arranged", "已安排优先接待"},
}

// receivePriority: skip the bot and the queue to a human (P1), over the
// cap or at the queue head when all are full, or fail to the bot (P5);
// then the prompt (P6-P9).
func (m *Shop) receivePriority(s *session, entry Entry, member bool, now time.Time) {
	if m.leastActive(s) == nil {
		m.toBot(s, now)
		return
	}
	recent := m.recentOf(s.buyer, now)
	a := m.choose(s, now)
	if a != nil {
		m.give(s, a, CausePriority, nil, PlaceQueue, now) // an offer with E1
	} else if m.pol.PriorityAtQueueHead && !m.pol.NoQueue {
		s.priority += PriorityBand
		m.park(s, PlaceQueue, now)
		return
	} else {
		a = m.leastActive(s) // over the cap: never an offer
		m.assign(s, a, CausePriority, now)
	}
	last, prompted := m.prompted[s.buyer]
	switch {
	case !entry.lit() || s.buyer == "": // P7
		return
	case m.pol.NoQueue && a.id == recent: // P9
		return
	case prompted && now.Before(last.Add(PromptCooldown)): // P8
		return
	}
	m.prompted[s.buyer] = now
	title, text := "priority", "arranged"
	if member {
		title = "member"
	}
	if !m.pol.NoQueue {
		text = "skip-queue"
	} else if m.pol.BotShare(now) > 0 {
		text = "skip-bot"
	}
	ev := m.event(EventPrompt, s, now)
	ev.Prompt = Prompt{Key: title + "/" + text, Title: promptWords[title][0], Text: promptWords[text][0],
		TitleZH: promptWords[title][1], TextZH: promptWords[text][1]}
	m.emit(ev)
}

// botTakes splits by a hash of the buyer (or the session without one), so
// the same buyer always lands on the same side of a window (B2).
func botTakes(share float64, s *session) bool {
	if share <= 0 || share >= 1 {
		return share >= 1
	}
	key := s.buyer
	if key == "" {
		key = s.id
	}
	h := fnv.New64a() // FNV-1a, then the splitmix64 finaliser
	h.Write([]byte(key))
	x := h.Sum64()
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11)/(1<<53) < share
}

// Handover passes a bot session to humans with its arrival time (B1).
func (m *Shop) Handover(now time.Time, id string) ([]Event, error) {
	return m.withSession(now, id, func(s *session, now time.Time) error {
		if s.place != PlaceBot {
			return ErrNotWithBot
		}
		if m.pol.Hours != nil && !m.pol.Open(now) { // E11
			m.closedReception(s, policy.OutsideOffline, now)
			return nil
		}
		m.route(s, CauseHandover, now)
		return nil
	})
}

// Close closes an open session wherever it is (L1, C5).
func (m *Shop) Close(now time.Time, id string) ([]Event, error) {
	return m.withSession(now, id, func(s *session, now time.Time) error {
		m.closeSession(s, now, CloseManual)
		return nil
	})
}

// Leave removes a waiting buyer (Q3).
func (m *Shop) Leave(now time.Time, id string) ([]Event, error) {
	return m.withSession(now, id, func(s *session, now time.Time) error {
		if s.place != PlaceQueue && s.place != PlaceOffline {
			return ErrNotWaiting
		}
		m.drop(s)
		m.emit(m.event(EventLeft, s, now))
		return nil
	})
}

// target: an agent that may receive a manual assignment or a transfer,
// or start a session (S3, S4).
func (m *Shop) target(id string) (*agentRec, error) {
	switch a := m.findAgent(id); {
	case a == nil:
		return nil, ErrUnknownAgent
	case a.status == agent.Offline:
		return nil, ErrAgentOffline
	default:
		return a, nil
	}
}

// Assign manually assigns a waiting or bot session, over the cap if need
// be (C4), never to an offline agent (S3).
func (m *Shop) Assign(now time.Time, id, agentID string) ([]Event, error) {
	return m.withSession(now, id, func(s *session, now time.Time) error {
		if s.place == PlaceAgent || s.place == PlaceOffered {
			return ErrNotWaiting
		}
		a, err := m.target(agentID)
		if err == nil {
			m.assign(s, a, CauseManual, now)
		}
		return err
	})
}

// Transfer moves a session in reception to another agent (R3, C4, C5).
func (m *Shop) Transfer(now time.Time, id, to string) ([]Event, error) {
	return m.withSession(now, id, func(s *session, now time.Time) error {
		if s.place != PlaceAgent {
			return ErrNotInReception
		}
		b, err := m.target(to)
		if err != nil {
			return err
		}
		if b == s.agent {
			return ErrSameAgent
		}
		from := s.agent
		s.flags |= FlagTransferred
		m.place(s, b, now)
		ev := m.event(EventTransferred, s, now)
		ev.From = from.id
		m.emit(ev)
		m.fill(from, now)
		return nil
	})
}

// Start opens a session an agent starts with a buyer (C4, L6).
func (m *Shop) Start(now time.Time, id, buyer, agentID string, stranger bool) ([]Event, error) {
	now = m.begin(now)
	if id == "" {
		return m.fail(ErrEmptySessionID)
	} else if m.findSession(id) != nil {
		return m.fail(ErrDuplicateSession)
	}
	a, err := m.target(agentID)
	if err != nil {
		return m.fail(err)
	}
	m.seq++
	s := &session{id: id, buyer: buyer, arrived: now, seq: m.seq, flags: FlagStarted, lastMsg: now, stranger: stranger}
	m.open = append(m.open, s)
	m.assign(s, a, CauseStarted, now)
	return m.done()
}

// Message records a message (L5) under the send rules (S4, L6).
func (m *Shop) Message(now time.Time, id string, from Sender, agentID string, unreachable bool) ([]Event, error) {
	return m.withSession(now, id, func(s *session, now time.Time) error {
		a := m.findAgent(agentID)
		switch {
		case from < FromBuyer || from > FromSystem:
			return ErrInvalidSender
		case from != FromBuyer && unreachable:
			return ErrBuyerUnreachable
		case from != FromAgent: // the rules below bind agents only
		case a == nil:
			return ErrUnknownAgent
		case a.status == agent.Offline:
			return ErrAgentOffline
		case s.agent != a || s.place != PlaceAgent: // E1: an offer is not yet its
			return ErrNotYourSession
		case m.pol.DMLimit > 0 && s.stranger && s.dmSent >= m.pol.DMLimit:
			return ErrDMLimit
		}
		s.lastFrom, s.lastMsg = from, now
		switch from {
		case FromBuyer: // unreplied, unread; no longer a stranger; active again (E9), over the cap if need be
			s.buyerAt = now
			if s.flags&FlagInactive != 0 {
				s.flags &^= FlagInactive
				s.agent.load += s.weight()
			}
			s.unread++
			if s.waitSince.IsZero() {
				s.waitSince = now
			}
			s.stranger, s.dmSent = false, 0
		case FromAgent: // a reply
			s.unread, s.waitSince, s.dmSent = 0, time.Time{}, s.dmSent+1
			if s.firstReply.IsZero() {
				s.firstReply = now
			}
		}
		ev := m.event(EventMessage, s, now)
		ev.Sender = from
		m.emit(ev)
		return nil
	})
}

// MarkRead: the agent read the session (L5).
func (m *Shop) MarkRead(now time.Time, id string) ([]Event, error) {
	return m.withSession(now, id, func(s *session, _ time.Time) error { s.unread = 0; return nil })
}

// Follow: the buyer followed the shop (L6).
func (m *Shop) Follow(now time.Time, id string) ([]Event, error) {
	return m.withSession(now, id, func(s *session, _ time.Time) error { s.stranger = false; return nil })
}
