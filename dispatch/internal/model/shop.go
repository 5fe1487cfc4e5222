package model

import (
	"cmp"
	"math/big"
	"slices"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// Shop is the model of one shop's engine. Create it with [New].
type Shop struct {
	pol      policy.Policy
	now      time.Time
	seq      uint64
	level    policy.TeamLevel
	agents   []*agentRec          // every agent, in the order added
	open     []*session           // every open session, in the order opened
	recent   map[string]contact   // buyer → the agent who served them last, and when (R1)
	cursor   map[string]string    // round-robin: agent set ("" everyone, or a group) → id picked last
	prompted map[string]time.Time // buyer → time of their last prompt (P8)
	wraps    []*wrapUp            // E5: wrap-ups under way, in the order they began
	out      []Event              // events of the running operation
	carried  []Event              // timer events of a rejected operation, for the next one
}

type agentRec struct {
	id, group string
	status    agent.Status
	resume    agent.Status // what Login restores (S2)
	capacity  agent.Capacity
	idle      time.Time // last received a session, or was added
	load      int       // units of capacity its sessions, offers and wrap-ups hold (see Shop.load; E10)
	history   []Closed
}

type session struct {
	id, buyer  string
	group      string // R2: the group that serves the buyer's crowds; "" none
	priority   int
	arrived    time.Time
	seq        uint64
	place      Place
	agent      *agentRec // with PlaceAgent
	flags      Flags
	lastFrom   Sender
	lastMsg    time.Time
	waitSince  time.Time // first buyer message with no agent reply after it (L5)
	unread     int
	entered    time.Time // entered its agent's list (or the bot); Entered in a pool is parked
	parked     time.Time // entered the queue or the offline pool (O3)
	firstReply time.Time
	stranger   bool // L6
	dmSent     int
	from       Place       // E1: offered, where it waited (PlaceQueue or PlaceOffline)
	offerEnds  time.Time   // E1: offered, the offer's deadline
	declined   []*agentRec // E2: the agents that declined it
	moves      int         // E3: times reassigned for want of a reply
	buyerAt    time.Time   // E9: the buyer's last message (zero: none, a started session)
	ring       int         // E7: rings of its group open to it while it waits in the queue
	units      int         // E10: units of capacity it costs, fixed at arrival (0 reads as 1)
}

// weight is the units of capacity s holds in a list or an offer (E10).
func (s *session) weight() int { return max(s.units, 1) }

// wrapUp is an agent's wrap-up after closing a session (E5): it holds one
// unit of the agent's capacity until ends.
type wrapUp struct {
	agent          *agentRec
	session, buyer string
	seq            uint64 // the closed session's
	units          int    // the closed session's weight (E10)
	ends           time.Time
}

// New returns the model of a shop with policy p, which must be valid.
func New(p policy.Policy) (*Shop, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Shop{pol: p, level: p.TeamLevel, recent: map[string]contact{},
		cursor: map[string]string{}, prompted: map[string]time.Time{}}, nil
}

// begin starts an operation: the clock never runs backwards, and the
// timers due by now fire first.
func (m *Shop) begin(now time.Time) time.Time {
	if now = now.Round(0); now.After(m.now) {
		m.now = now
	}
	m.out, m.carried = m.carried, nil
	m.fire(m.now)
	return m.now
}

// fail rejects an operation; the timer events it fired wait for the next.
func (m *Shop) fail(err error) ([]Event, error) {
	m.carried, m.out = m.out, nil
	return nil, err
}

func (m *Shop) done() ([]Event, error) {
	out := append([]Event{}, m.out...)
	m.out = nil
	return out, nil
}

func (m *Shop) emit(ev Event) { m.out = append(m.out, ev) }

func (m *Shop) event(k Kind, s *session, at time.Time) Event {
	ev := Event{Kind: k, At: at, Session: s.id, Buyer: s.buyer, Flags: s.flags, Arrived: s.arrived}
	if s.agent != nil {
		ev.Agent = s.agent.id
	}
	return ev
}

// --- plain scans ---

func find[T any](xs []*T, match func(*T) bool) *T {
	if i := slices.IndexFunc(xs, match); i >= 0 {
		return xs[i]
	}
	return nil
}

func (m *Shop) findAgent(id string) *agentRec {
	return find(m.agents, func(a *agentRec) bool { return a.id == id })
}

func (m *Shop) findSession(id string) *session {
	return find(m.open, func(s *session) bool { return s.id == id })
}

// sessions returns the open sessions that pass keep, sorted by order (nil:
// in the order opened).
func (m *Shop) sessions(keep func(*session) bool, order func(a, b *session) int) []*session {
	var out []*session
	for _, s := range m.open {
		if keep(s) {
			out = append(out, s)
		}
	}
	if order != nil {
		slices.SortFunc(out, order)
	}
	return out
}

// agentsIn returns the agents of set g ("" everyone) that pass keep.
func (m *Shop) agentsIn(g string, keep func(*agentRec) bool) []*agentRec {
	var out []*agentRec
	for _, a := range m.agents {
		if (g == "" || a.group == g) && keep(a) {
			out = append(out, a)
		}
	}
	return out
}

// count returns how many open sessions pass keep.
func (m *Shop) count(keep func(*session) bool) int {
	n := 0
	for _, s := range m.open {
		if keep(s) {
			n++
		}
	}
	return n
}

// load is the number of open sessions a holds. It is a counter kept by
// hold and drop, the model's one concession to speed: counting by a scan
// made every arrival cost agents × open sessions, minutes at 10⁴ agents,
// too slow to benchmark against. The differential test compares it with
// the engine's load after every step.
func (m *Shop) load(a *agentRec) int { return a.load }

// hold makes a (nil: nobody) the holder of s, moving the load; an
// inactive session (E9), which its holder's load does not count, becomes
// active wherever it goes.
func (m *Shop) hold(s *session, a *agentRec) {
	if s.flags&FlagInactive != 0 {
		s.flags &^= FlagInactive
	} else if s.agent != nil {
		s.agent.load -= s.weight()
	}
	if a != nil {
		a.load += s.weight()
	}
	s.agent = a
}

func online(a *agentRec) bool { return a.status == agent.Online }

// active: online and not suspended (Q4, P1), full or not.
func active(a *agentRec) bool { return online(a) && !a.capacity.IsSuspended() }

// hasRoom: online and below its cap (C1, S1).
func (m *Shop) hasRoom(a *agentRec) bool { return m.hasRoomFor(a, 1) }

// hasRoomFor: online, with room for w more units below its cap (E10).
func (m *Shop) hasRoomFor(a *agentRec, w int) bool {
	n, isLimit := a.capacity.Limit()
	return online(a) && (a.capacity.IsUnlimited() || isLimit && n-m.load(a) >= w)
}

// fraction is the saturation load/limit: unlimited 0/1, suspended 1/0.
func (m *Shop) fraction(a *agentRec) (num, den int) {
	if n, isLimit := a.capacity.Limit(); isLimit && n > 0 {
		return m.load(a), n
	} else if a.capacity.IsUnlimited() {
		return 0, 1
	}
	return 1, 0
}

// compareAgents is the least-saturated order (R1, Q4, R3): exact
// saturation, then idle longest, then id.
func (m *Shop) compareAgents(a, b *agentRec) int {
	an, ad := m.fraction(a)
	bn, bd := m.fraction(b)
	return cmp.Or(cmp.Compare(an*bd, bn*ad), a.idle.Compare(b.idle), cmp.Compare(a.id, b.id))
}

func (m *Shop) leastSaturated(agents []*agentRec) *agentRec {
	if len(agents) == 0 {
		return nil
	}
	return slices.MinFunc(agents, m.compareAgents)
}

// compareWaiting is the queue order (Q2): priority desc, arrival,
// sequence; with Policy.AgingStep (E6), the virtual arrival
// arrived − priority·AgingStep (in big integers: it may overflow int64),
// then sequence.
func (m *Shop) compareWaiting(a, b *session) int {
	if step := m.pol.AgingStep; step > 0 {
		virtual := func(s *session) *big.Int {
			v := new(big.Int).Mul(big.NewInt(int64(s.priority)), big.NewInt(int64(step)))
			return v.Sub(big.NewInt(s.arrived.UnixNano()), v)
		}
		return cmp.Or(virtual(a).Cmp(virtual(b)), cmp.Compare(a.seq, b.seq))
	}
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

// compareHistory (L4): newest last message first, then the latest opened.
func compareHistory(a, b Closed) int {
	return cmp.Or(b.LastMessage.Compare(a.LastMessage), cmp.Compare(b.seq, a.seq))
}

// poolOf is the pool a waiting session is in: its group's own pool when
// only the group may take it (R2 without fallback), else the common one.
func (m *Shop) poolOf(s *session) string {
	if m.pol.GroupFallback {
		return ""
	}
	return s.group
}

// tiers are the agent sets that may take s, in order of preference (R2);
// then the groups of the rings open to it, inner first (E7).
func (m *Shop) tiers(s *session) []string {
	switch {
	case s.group == "":
		return []string{""}
	case m.pol.GroupFallback:
		return []string{s.group, ""}
	}
	t := []string{s.group}
	for _, r := range m.openRings(s) {
		t = append(t, r.Groups...)
	}
	return t
}

func (m *Shop) mayTake(a *agentRec, s *session) bool {
	return slices.Contains(m.tiers(s), a.group) || slices.Contains(m.tiers(s), "")
}

// --- timers ---

// timerKind says what a session's timer does.
type timerKind uint8

const (
	timerExpire    timerKind = iota + 1 // O3
	timerBuyerIdle                      // L2, L3
	timerAgentIdle                      // L3
	timerBotIdle                        // B1
	timerReassign                       // E3
	timerOffer                          // E1
	timerMaxWait                        // E8
	timerInactive                       // E9
	timerWiden                          // E7
)

// reasons are the close reasons of the timers that close.
var reasons = map[timerKind]CloseReason{timerBuyerIdle: CloseBuyerIdle, timerAgentIdle: CloseAgentIdle, timerBotIdle: CloseBotIdle}

// timer computes the deadline a session's place and messages call for,
// and what happens then; ok is false for none. In a list or the bot,
// clocks count at the earliest from its entry. In a list, the earliest
// wins; at the same instant the buyer's silence, then the agent's, then
// the reassignment (E3).
func (m *Shop) timer(s *session) (at time.Time, k timerKind, ok bool) {
	from := func(t time.Time) time.Time {
		if s.entered.After(t) {
			return s.entered
		}
		return t
	}
	switch s.place {
	case PlaceOffline: // O3: from entering the pool
		return s.parked.Add(m.pol.WithDefaults().OfflineValidity), timerExpire, true
	case PlaceBot:
		return from(s.lastMsg).Add(m.pol.WithDefaults().BotIdleClose), timerBotIdle, true
	case PlaceOffered: // E1: fixed when offered
		return s.offerEnds, timerOffer, true
	case PlaceQueue: // E8, E7: from entering the queue; at one instant, widen first
		if _, wait := m.queueLimits(s); wait > 0 {
			at, k, ok = s.parked.Add(wait), timerMaxWait, true
		}
		if rings := m.ringsOf(s); s.ring < len(rings) {
			if t := s.parked.Add(rings[s.ring].After); !ok || !t.After(at) {
				at, k, ok = t, timerWiden, true
			}
		}
	case PlaceAgent:
		if d := m.pol.BuyerIdleClose; d > 0 && s.lastFrom != FromBuyer { // L2, L3
			at, k, ok = from(s.lastMsg).Add(d), timerBuyerIdle, true
		}
		if d := m.pol.AgentIdleClose; d > 0 && !s.waitSince.IsZero() { // L3
			if t := from(s.waitSince).Add(d); !ok || t.Before(at) {
				at, k, ok = t, timerAgentIdle, true
			}
		}
		if d := m.pol.ReassignAfter; d > 0 && !s.waitSince.IsZero() && s.moves < max(m.pol.ReassignLimit, 1) { // E3
			if t := from(s.waitSince).Add(d); !ok || t.Before(at) {
				at, k, ok = t, timerReassign, true
			}
		}
		if d := m.pol.InactiveAfter; d > 0 && s.waitSince.IsZero() && s.flags&FlagInactive == 0 { // E9
			if t := from(s.buyerAt).Add(d); !ok || t.Before(at) {
				at, k, ok = t, timerInactive, true
			}
		}
	}
	return at, k, ok
}

// fire handles, one at a time, the earliest timer (deadline, then
// sequence; a wrap-up has its closed session's) while it is due by now;
// each acts at its own deadline.
func (m *Shop) fire(now time.Time) {
	type due struct {
		at  time.Time
		seq uint64
		s   *session
		w   *wrapUp
	}
	for {
		var next *due
		consider := func(d due) {
			if !d.at.After(now) && (next == nil || cmp.Or(d.at.Compare(next.at), cmp.Compare(d.seq, next.seq)) < 0) {
				next = &d
			}
		}
		for _, s := range m.open {
			if at, _, ok := m.timer(s); ok {
				consider(due{at: at, seq: s.seq, s: s})
			}
		}
		for _, w := range m.wraps {
			consider(due{at: w.ends, seq: w.seq, w: w})
		}
		if next == nil {
			return
		}
		if next.w != nil {
			m.endWrap(next.w, next.at)
			continue
		}
		s, at := next.s, next.at
		switch _, k, _ := m.timer(s); k {
		case timerExpire: // O3
			m.drop(s)
			m.emit(m.event(EventExpired, s, at))
		case timerOffer:
			m.offerTimedOut(s, at)
		case timerReassign:
			m.reassign(s, at)
		case timerMaxWait:
			s.place = 0
			m.divert(s, CauseMaxWait, at)
		case timerInactive:
			m.goInactive(s, at)
		case timerWiden:
			m.widen(s, at)
		default:
			m.closeSession(s, at, reasons[k])
		}
	}
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
// older. The model keeps every contact and checks its age when it reads
// it.
func (m *Shop) recentOf(buyer string, at time.Time) string {
	c, ok := m.recent[buyer]
	if !ok || at.Sub(c.at) >= m.pol.WithDefaults().RecentContactTTL {
		return ""
	}
	return c.agent
}

// declinedBy reports whether a declined s (E2).
func declinedBy(s *session, a *agentRec) bool { return slices.Contains(s.declined, a) }

// retry: with Policy.OfferRetry, a session declined by someone may go to
// a decliner when no one else can take it (E2).
func (m *Shop) retry(s *session) bool { return m.pol.OfferRetry && len(s.declined) > 0 }

// choose returns the agent with room the strategy picks for s at time at
// (R1, R2), passing over those that declined it (E2); with OfferRetry, a
// decliner when no one else has room.
func (m *Shop) choose(s *session, at time.Time) *agentRec {
	for _, g := range m.tiers(s) {
		if a := m.chooseIn(g, s, at, true); a != nil {
			return a
		}
	}
	if m.retry(s) {
		for _, g := range m.tiers(s) {
			if a := m.chooseIn(g, s, at, false); a != nil {
				return a
			}
		}
	}
	return nil
}

func (m *Shop) chooseIn(g string, s *session, at time.Time, skipDecliners bool) *agentRec {
	room := m.agentsIn(g, func(a *agentRec) bool { return m.hasRoomFor(a, s.weight()) && !(skipDecliners && declinedBy(s, a)) })
	if len(room) == 0 {
		return nil
	}
	switch m.pol.Strategy {
	case policy.RecentContact:
		if a := find(room, func(a *agentRec) bool { return a.id == m.recentOf(s.buyer, at) }); a != nil && s.buyer != "" {
			return a
		}
	case policy.RoundRobin: // the first id after the cursor, wrapping
		slices.SortFunc(room, func(a, b *agentRec) int { return cmp.Compare(a.id, b.id) })
		pick := cmp.Or(find(room, func(a *agentRec) bool { return a.id > m.cursor[g] }), room[0])
		m.cursor[g] = pick.id
		return pick
	}
	return m.leastSaturated(room)
}

// leastActive returns the least saturated online, non-suspended agent
// that may take s, full or not (Q4, P1, P5), not one that declined it
// (E2; with OfferRetry, one if no one else).
func (m *Shop) leastActive(s *session) *agentRec {
	for _, g := range m.tiers(s) {
		if a := m.leastSaturated(m.agentsIn(g, func(a *agentRec) bool { return active(a) && !declinedBy(s, a) })); a != nil {
			return a
		}
	}
	if m.retry(s) {
		for _, g := range m.tiers(s) {
			if a := m.leastSaturated(m.agentsIn(g, active)); a != nil {
				return a
			}
		}
	}
	return nil
}

// give is an automatic assignment of s to a, which has room: an offer
// when the policy makes offers (E1). waited is where an offer declined
// sends it back; left is the agent a reassigned session left (E3, E4).
func (m *Shop) give(s *session, a *agentRec, c Cause, left *agentRec, waited Place, at time.Time) {
	if m.pol.OfferTimeout > 0 {
		m.offer(s, a, c, left, waited, at)
		return
	}
	m.assign(s, a, c, at)
	if left != nil {
		m.out[len(m.out)-1].From = left.id
	}
}

func (m *Shop) assign(s *session, a *agentRec, c Cause, at time.Time) {
	m.place(s, a, at)
	ev := m.event(EventAssigned, s, at)
	ev.Cause = c
	m.emit(ev)
}

func (m *Shop) place(s *session, a *agentRec, at time.Time) {
	m.hold(s, a)
	s.place, s.entered, a.idle = PlaceAgent, at, at
	if s.buyer != "" {
		m.recent[s.buyer] = contact{a.id, at}
	}
}

func (m *Shop) park(s *session, p Place, at time.Time) {
	m.hold(s, nil)
	s.place, s.parked, s.ring = p, at, 0
	if p == PlaceOffline {
		m.emit(m.event(EventOffline, s, at))
	} else {
		m.emit(m.event(EventQueued, s, at))
	}
}

func (m *Shop) toBot(s *session, at time.Time) {
	m.hold(s, nil)
	s.place, s.entered = PlaceBot, at
	m.emit(m.event(EventBot, s, at))
}

// route places a session on the human path: an agent with room (R1), over
// the cap (Q4), the queue (Q1), or the offline pool (O1).
func (m *Shop) route(s *session, c Cause, at time.Time) {
	if len(m.agentsIn("", online)) == 0 {
		m.park(s, PlaceOffline, at)
	} else if a := m.choose(s, at); a != nil {
		m.give(s, a, c, nil, PlaceQueue, at)
	} else if a := m.leastActive(s); m.pol.NoQueue && a != nil {
		m.assign(s, a, CauseNoQueue, at)
	} else if m.queueFull(s) { // E8
		m.divert(s, CauseQueueCap, at)
	} else {
		m.park(s, PlaceQueue, at)
	}
}

// fill: agent a, which may have room now, takes the best waiting sessions
// it may take while it has room (C5, C6, O1, O2), offline messages up to
// Policy.OfflineBatch held at once (O5); then the no-queue rule.
func (m *Shop) fill(a *agentRec, at time.Time) {
	m.fillRoom(a, at)
	m.noQueue(at)
}

func (m *Shop) fillRoom(a *agentRec, at time.Time) {
	for m.hasRoom(a) {
		batchFull := m.atOfflineBatch(a)
		waiting := m.sessions(func(s *session) bool {
			return m.mayTake(a, s) && (s.place == PlaceQueue || (s.place == PlaceOffline && !batchFull)) && m.hasRoomFor(a, s.weight()) &&
				(m.pol.OfferRetry || !declinedBy(s, a)) // E2
		}, m.compareWaiting)
		if len(waiting) == 0 {
			return
		}
		s := waiting[0]
		if s.place == PlaceOffline {
			s.flags |= FlagOffline // O2
		}
		m.give(s, a, CauseFreed, nil, s.place, at)
	}
}

// atOfflineBatch: a holds Policy.OfflineBatch offline messages or more
// (O5), in its list or on offer to it.
func (m *Shop) atOfflineBatch(a *agentRec) bool {
	held := m.count(func(s *session) bool { return s.agent == a && s.flags&FlagOffline != 0 })
	return m.pol.OfflineBatch > 0 && held >= m.pol.OfflineBatch
}

func (m *Shop) queued(s *session) bool { return s.place == PlaceQueue }

// noQueue (Q4): in a no-queue shop, a queued session goes over the cap to
// the least saturated active agent that may take it, as soon as one exists.
func (m *Shop) noQueue(at time.Time) {
	if !m.pol.NoQueue {
		return
	}
	for _, s := range m.sessions(m.queued, m.compareWaiting) {
		if a := m.leastActive(s); a != nil {
			m.assign(s, a, CauseNoQueue, at)
		}
	}
}

// drain hands the queue to agents with room after sessions were put back
// in it (S5): each waiting session, best first, as R1 picks.
func (m *Shop) drain(at time.Time) {
	for _, s := range m.sessions(m.queued, m.compareWaiting) {
		if a := m.choose(s, at); a != nil {
			m.give(s, a, CauseFreed, nil, PlaceQueue, at)
		}
	}
	m.noQueue(at)
}

// drop removes s from the open sessions; s.agent stays set for the
// caller (a close archives into its history).
func (m *Shop) drop(s *session) {
	m.open = slices.DeleteFunc(m.open, func(x *session) bool { return x == s })
	if s.agent != nil && s.flags&FlagInactive == 0 { // E9: an inactive session holds no unit
		s.agent.load -= s.weight()
	}
}

// closeSession closes s at time at: into its agent's history (L1, L4),
// and the agent takes the next waiting session (C5); or, with a wrap-up
// (E5), the agent's unit stays held. An offer ends with its session.
func (m *Shop) closeSession(s *session, at time.Time, r CloseReason) {
	if s.place == PlaceOffered {
		a := m.unoffer(s)
		m.drop(s)
		ev := m.event(EventClosed, s, at)
		ev.Reason = r
		m.emit(ev)
		m.fill(a, at)
		return
	}
	ev := m.event(EventClosed, s, at)
	ev.Reason = r
	m.drop(s)
	if a := s.agent; s.place == PlaceAgent {
		a.history = append(a.history, Closed{Session: s.id, Buyer: s.buyer, Arrived: s.arrived,
			LastMessage: s.lastMsg, At: at, Reason: r, Flags: s.flags, seq: s.seq})
		slices.SortFunc(a.history, compareHistory)
		a.history = a.history[:min(len(a.history), m.pol.WithDefaults().HistoryLimit)]
		m.emit(ev)
		if m.pol.WrapUp > 0 && s.flags&FlagInactive == 0 { // E5; not after an inactive session (E9)
			a.load += s.weight()
			m.wraps = append(m.wraps, &wrapUp{agent: a, session: s.id, buyer: s.buyer, seq: s.seq, units: s.weight(), ends: at.Add(m.pol.WrapUp)})
			m.emit(Event{Kind: EventWrapUp, At: at, Session: s.id, Buyer: s.buyer, Agent: a.id})
		}
		m.fill(a, at)
		return
	}
	m.emit(ev)
}
