package dispatch

import (
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
	"github.com/kefu-dev/kefu/queue"
)

// SessionInfo is a copy of an open session's state.
type SessionInfo struct {
	ID       string
	Buyer    string
	Priority int
	// Arrived is when the buyer first asked (or the agent started it).
	Arrived time.Time
	Place   Place
	// Agent holds the session when Place is PlaceAgent, and is offered it
	// when Place is PlaceOffered (E1).
	Agent string
	Flags Flags
	// Deadline is when the session's timer falls due: expiry of an
	// offline message (O3), auto-close (L2, L3), the end of an offer (E1),
	// a reassignment for want of a reply (E3), the next ring of its
	// group's widening (E7), its maximum wait in the queue (E8), or its
	// release as inactive (E9); zero when none.
	Deadline time.Time

	// LastFrom wrote the last message (0: nobody yet, in a started session).
	LastFrom    Sender
	LastMessage time.Time
	// Unreplied: the buyer's latest message has no agent reply after it
	// (L5). WaitingSince is the first such buyer message.
	Unreplied    bool
	WaitingSince time.Time
	// Unread counts buyer messages since the agent last replied or read.
	Unread int
	// Entered is when it entered its current place: an agent's list (M2's
	// clock), the queue, the offline pool (O3's clock) or the bot.
	Entered time.Time
	// FirstReply is the first agent message, zero before it.
	FirstReply time.Time
}

// Session returns the state of an open session; ok is false for an unknown,
// closed, left or expired one. Like every query, it does not fire timers:
// call Advance(now) first to see the state at now.
func (e *Engine) Session(id string) (info SessionInfo, ok bool) {
	s, ok := e.sessions[id]
	if !ok {
		return SessionInfo{}, false
	}
	return e.info(s), true
}

func (e *Engine) info(s *session) SessionInfo {
	info := SessionInfo{
		ID: s.entry.ID, Buyer: s.buyer, Priority: s.entry.Priority, Arrived: e.time(s.entry.Arrived),
		Place: s.place, Flags: s.flags, Deadline: e.time(s.deadline),
		LastFrom: s.lastFrom, LastMessage: e.time(s.lastMsg), Unreplied: s.waitSince != 0,
		WaitingSince: e.time(s.waitSince), Unread: int(s.unread), Entered: e.time(s.entered),
		FirstReply: e.time(e.outreach[s].firstReply),
	}
	if s.agent != nil {
		info.Agent = s.agent.ID()
	}
	return info
}

// Sessions returns the number of open sessions (in reception, queued or
// offline).
func (e *Engine) Sessions() int { return len(e.sessions) }

// AgentInfo is a copy of an agent's state.
type AgentInfo struct {
	ID       string
	Status   agent.Status
	Capacity agent.Capacity
	// Load is the units of capacity it uses: the sessions in its
	// reception list, its pending offers (E1) and its wrap-ups (E5), each
	// one unit, or its weight if its kind is weighted (E10,
	// Policy.Weights). Without weights it is a count of sessions.
	Load int
	// Offers and WrapUps are the numbers of pending offers to the agent
	// (E1) and of its wrap-ups under way (E5), both counted in Load by
	// their units.
	Offers, WrapUps int
	// Saturation is Load / limit, in units: 0 for unlimited, +Inf for
	// suspended.
	Saturation float64
	// IdleSince is when it last received a session (or was added).
	IdleSince time.Time
}

func (e *Engine) infoOf(a *agent.Agent) AgentInfo {
	return AgentInfo{
		ID: a.ID(), Status: a.Status(), Capacity: a.Capacity(), Load: a.Load(),
		Offers: len(e.offered(a)), WrapUps: len(e.wrapping(a)), Saturation: a.Saturation(), IdleSince: a.IdleSince(),
	}
}

// Agent returns the state of an agent.
func (e *Engine) Agent(id string) (AgentInfo, bool) {
	a, ok := e.roster.Get(id)
	if !ok {
		return AgentInfo{}, false
	}
	return e.infoOf(a), true
}

// Agents yields every agent's state in id order. Do not call the engine's
// operations inside the loop: it walks the live index.
func (e *Engine) Agents() iter.Seq[AgentInfo] {
	return func(yield func(AgentInfo) bool) {
		for a := range e.roster.All() {
			if !yield(e.infoOf(a)) {
				return
			}
		}
	}
}

// QueueLen returns the number of sessions in the queue pool (Q3), all
// groups together.
func (e *Engine) QueueLen() int {
	n := 0
	for _, x := range e.pools {
		n += x.queue.Len()
	}
	return n
}

// OfflineLen returns the number of messages waiting in the offline pool
// (O1), all groups together.
func (e *Engine) OfflineLen() int {
	n := 0
	for _, x := range e.pools {
		n += x.offline.Len()
	}
	return n
}

// BotLen returns the number of sessions held by the bot (B1).
func (e *Engine) BotLen() int { return e.bot }

// Position returns a waiting session's 1-based place in its pool and the
// pool's length (Q3: "you are number 3 of 12"). A session waiting for its
// crowd's group (R2) counts within that group's pool. ok is false for a
// session that is not waiting. Cost O(log n): the pools count their
// subtrees.
func (e *Engine) Position(id string) (pos, length int, ok bool) {
	s, found := e.sessions[id]
	if !found {
		return 0, 0, false
	}
	x := e.poolFor(s)
	switch s.place {
	case PlaceQueue:
		pos, ok = x.queue.Position(&s.entry)
		return pos, x.queue.Len(), ok
	case PlaceOffline:
		pos, ok = x.offline.Position(&s.entry)
		return pos, x.offline.Len(), ok
	}
	return 0, 0, false
}

// TransferTargets lists the agents a session held by from may be
// transferred to (R3): online agents first, then agents on break, each
// group from least to most saturated (ties: idle longest, then id).
// Offline agents and from itself are not listed (S3). Cost O(n log n) in
// agents: it lists them all.
//
// Errors: ErrUnknownAgent.
func (e *Engine) TransferTargets(from string) ([]AgentInfo, error) {
	if _, err := e.agent(from); err != nil {
		return nil, err
	}
	var online, onBreak []*agent.Agent
	for a := range e.roster.All() {
		switch {
		case a.ID() == from:
		case a.Status() == agent.Online:
			online = append(online, a)
		case a.Status() == agent.Break:
			onBreak = append(onBreak, a)
		}
	}
	byLoad := func(a, b *agent.Agent) int {
		if agent.Less(a, b) {
			return -1
		}
		if agent.Less(b, a) {
			return 1
		}
		return 0
	}
	slices.SortFunc(online, byLoad)
	slices.SortFunc(onBreak, byLoad)
	out := make([]AgentInfo, 0, len(online)+len(onBreak))
	for _, a := range append(online, onBreak...) {
		out = append(out, e.infoOf(a))
	}
	return out, nil
}

// Verify checks the engine's invariants (DESIGN property 3) and returns the
// first violation:
//
//   - every open session is in exactly one place: an agent's list, the
//     queue pool or the offline pool of its group, or the bot, and that
//     place holds it;
//   - each agent's load is the units of capacity of the sessions in its
//     list, its offers (E1) and its wrap-ups (E5), each its weight (E10:
//     1 unless its kind is weighted); its list is in L4 order; the pools
//     are in Q2 order; the roster's indexes match its agents;
//   - no session waits while an online agent that may take it has room
//     for it, for its weight (C5, C6, O1, R2, E10; offline messages held
//     back by the O5 guard aside, and sessions the agent declined, E2),
//     and in no-queue mode (Q4) none queues while such an agent is online
//     and not suspended;
//   - every session has exactly the timer its place and last message call
//     for (O3, L2, L3, B1), and every timer belongs to one.
//
// It costs O(n + w) and is meant for tests and for hosts checking a
// restored state.
func (e *Engine) Verify() error {
	if err := e.roster.Verify(); err != nil {
		return err
	}
	if err := e.recent.verify(ns(e.now)); err != nil {
		return err
	}
	for _, x := range e.pools {
		if err := x.queue.Verify(); err != nil {
			return err
		}
		if err := x.offline.Verify(); err != nil {
			return err
		}
	}
	loads := make(map[*agent.Agent]int)
	queued := make(map[string]int)
	offline := make(map[string]int)
	timed, bot, heavy := 0, 0, 0
	for id, s := range e.sessions {
		if s.units > 1 {
			heavy++
		}
		if s.entry.ID != id {
			return fmt.Errorf("dispatch: session map has %q under %q", s.entry.ID, id)
		}
		if int(s.group) >= len(e.pools) {
			return fmt.Errorf("dispatch: session %q of unknown group #%d", id, s.group)
		}
		x := e.poolFor(s)
		inQueue, inOffline := x.queue.Contains(&s.entry), x.offline.Contains(&s.entry)
		switch s.place {
		case PlaceAgent:
			if s.agent == nil {
				return fmt.Errorf("dispatch: session %q in reception without an agent", id)
			}
			if a, ok := e.roster.Get(s.agent.ID()); !ok || a != s.agent {
				return fmt.Errorf("dispatch: session %q held by unknown agent %q", id, s.agent.ID())
			}
			if inQueue || inOffline {
				return fmt.Errorf("dispatch: session %q is with %q and also waiting", id, s.agent.ID())
			}
			if s.flags&FlagInactive == 0 { // E9: an inactive session holds no unit (nor units, E10)
				loads[s.agent] += s.weight()
			} else if s.waitSince != 0 {
				return fmt.Errorf("dispatch: session %q is inactive while its buyer waits for an answer", id)
			}
		case PlaceOffered: // E1
			if s.agent == nil {
				return fmt.Errorf("dispatch: session %q offered to no agent", id)
			}
			if a, ok := e.roster.Get(s.agent.ID()); !ok || a != s.agent {
				return fmt.Errorf("dispatch: session %q offered to unknown agent %q", id, s.agent.ID())
			}
			if inQueue || inOffline {
				return fmt.Errorf("dispatch: session %q is offered to %q and also waiting", id, s.agent.ID())
			}
			if s.agent.Status() == agent.Offline {
				return fmt.Errorf("dispatch: session %q offered to offline agent %q", id, s.agent.ID())
			}
			if !slices.Contains(e.offered(s.agent), s) {
				return fmt.Errorf("dispatch: session %q offered to %q is not among its offers", id, s.agent.ID())
			}
			if (s.from != PlaceQueue && s.from != PlaceOffline) || s.deadline == 0 {
				return fmt.Errorf("dispatch: session %q offered from the %s, deadline %v", id, s.from, e.time(s.deadline))
			}
			loads[s.agent] += s.weight()
		case PlaceQueue, PlaceOffline, PlaceBot:
			if s.agent != nil {
				return fmt.Errorf("dispatch: session %q in the %s points at agent %q", id, s.place, s.agent.ID())
			}
			if inQueue != (s.place == PlaceQueue) || inOffline != (s.place == PlaceOffline) {
				return fmt.Errorf("dispatch: session %q in the %s place: in queue %v, in offline pool %v", id, s.place, inQueue, inOffline)
			}
			switch s.place {
			case PlaceQueue:
				queued[x.group]++
			case PlaceOffline:
				offline[x.group]++
			default:
				bot++
			}
		default:
			return fmt.Errorf("dispatch: session %q has no place (%v)", id, s.place)
		}
		if k, at := e.wantTimer(s); s.timer != k || s.deadline != at {
			return fmt.Errorf("dispatch: session %q in the %s place has timer %d at %v, want %d at %v",
				id, s.place, s.timer, e.time(s.deadline), k, e.time(at))
		}
		if s.deadline != 0 {
			timed++
			if got, ok := e.timers.Get(timerOf(s)); !ok || got.s != s {
				return fmt.Errorf("dispatch: session %q's timer is not indexed", id)
			}
		}
	}
	for _, x := range e.pools {
		if queued[x.group] != x.queue.Len() || offline[x.group] != x.offline.Len() {
			return fmt.Errorf("dispatch: pools of %q hold %d queued, %d offline; sessions say %d, %d",
				x.group, x.queue.Len(), x.offline.Len(), queued[x.group], offline[x.group])
		}
	}
	if bot != e.bot {
		return fmt.Errorf("dispatch: %d sessions with the bot, counted %d", bot, e.bot)
	}
	if heavy != e.heavy {
		return fmt.Errorf("dispatch: %d weighted sessions open, counted %d", heavy, e.heavy)
	}
	for s, l := range e.declined { // E2
		if e.sessions[s.entry.ID] != s || len(l) == 0 {
			return fmt.Errorf("dispatch: declines kept for %q, not open (or none)", s.entry.ID)
		}
		for _, a := range l {
			if b, ok := e.roster.Get(a.ID()); !ok || b != a {
				return fmt.Errorf("dispatch: session %q declined by unknown agent %q", s.entry.ID, a.ID())
			}
		}
	}
	for a := range e.roster.All() { // E5
		for _, w := range e.wrapping(a) {
			if w.agent != a || w.place != placeWrap || w.timer != timerWrapUp || w.deadline == 0 {
				return fmt.Errorf("dispatch: agent %q has a bad wrap-up after %q", a.ID(), w.entry.ID)
			}
			if got, ok := e.timers.Get(timerOf(w)); !ok || got.s != w {
				return fmt.Errorf("dispatch: wrap-up of %q after %q is not timed", a.ID(), w.entry.ID)
			}
			loads[a] += w.weight()
			timed++
		}
	}
	if timed != e.timers.Len() {
		return fmt.Errorf("dispatch: %d timers indexed, %d sessions have one", e.timers.Len(), timed)
	}
	held := 0
	for _, d := range e.desks {
		if d != nil {
			held++
		}
	}
	if held > e.roster.Len() || len(e.desks) < e.roster.Slots() {
		return fmt.Errorf("dispatch: %d desks in %d slots for %d agents in %d", held, len(e.desks), e.roster.Len(), e.roster.Slots())
	}
	// lightest returns the least weight waiting in a pool (E10), read
	// once per pool; 1 without weighted sessions.
	light := make(map[*queue.Pool]int)
	lightest := func(p *queue.Pool) int {
		if e.heavy == 0 {
			return 1
		}
		if w, ok := light[p]; ok {
			return w
		}
		w := policy.MaxWeightUnits
		for x := range p.All() {
			if w = min(w, e.sessions[x.ID].weight()); w == 1 {
				break
			}
		}
		light[p] = w
		return w
	}
	for a := range e.roster.All() {
		if a.Load() != loads[a] {
			return fmt.Errorf("dispatch: agent %q has load %d but holds %d sessions (in units, E10)", a.ID(), a.Load(), loads[a])
		}
		if a.Group() != "" && !e.pol.HasGroup(a.Group()) {
			return fmt.Errorf("dispatch: agent %q in unknown group %q", a.ID(), a.Group())
		}
		if err := e.verifyDesk(a); err != nil {
			return err
		}
		if !a.HasRoom() {
			continue
		}
		// No session waits while an online agent that may take it has
		// room for it (C5, C6, O1, R2; E10: for its weight), but for
		// offline messages held back by the O5 guard, and sessions the
		// agent declined (E2) unless the policy offers those again.
		groups := []string{""}
		if a.Group() != "" {
			groups = append(groups, a.Group())
		}
		for _, g := range groups {
			x := e.poolOf[g]
			if x == nil {
				continue
			}
			for _, p := range []*queue.Pool{x.queue, x.offline} {
				if p == x.offline && e.atOfflineBatch(a) {
					continue
				}
				if (len(e.declined) == 0 || e.pol.OfferRetry) && !a.HasRoomFor(lightest(p)) {
					continue // E10: nothing waiting there fits a (O(w) once per pool, not per agent)
				}
				for w := range p.All() {
					if s := e.sessions[w.ID]; a.HasRoomFor(s.weight()) && (e.pol.OfferRetry || !e.declinedBy(s, a)) {
						return fmt.Errorf("dispatch: %q (%d units) waits in the %s for %q while agent %q has room for it", w.ID, s.weight(), s.place, g, a.ID())
					}
				}
			}
		}
		var err error
		e.ringedFor(a, func(x *pools, ring uint8) { // E7: sessions whose widening reached a's group
			if w, ok := e.firstRinged(x.queue, a, ring); ok && err == nil {
				err = fmt.Errorf("dispatch: %q (%d units) of %q waits with %d rings open while agent %q of a ring has room for it", w.ID, e.sessions[w.ID].weight(), x.group, e.sessions[w.ID].ring, a.ID())
			}
		})
		if err != nil {
			return err
		}
	}
	if e.pol.NoQueue {
		for g, q := range queued {
			if q == 0 {
				continue
			}
			for _, x := range e.pools {
				if x.group != g {
					continue
				}
				for entry := range x.queue.All() { // the head, or every session while there are declines (E2)
					if a := e.leastActive(e.sessions[entry.ID]); a != nil {
						return fmt.Errorf("dispatch: no-queue shop has %d queued for %q while agent %q is online", q, g, a.ID())
					}
					if len(e.declined) == 0 {
						break
					}
				}
			}
		}
	}
	return nil
}

// verifyDesk checks an agent's list against its sessions and the L4
// order, its offline count and its history bound.
func (e *Engine) verifyDesk(a *agent.Agent) error {
	if a.Slot() >= len(e.desks) {
		return fmt.Errorf("dispatch: agent %q has no desk slot", a.ID())
	}
	d := e.readDesk(a)
	held := 0 // units of its offers and wrap-ups (E1, E5, E10)
	for _, s := range e.offered(a) {
		if e.sessions[s.entry.ID] != s || s.place != PlaceOffered || s.agent != a {
			return fmt.Errorf("dispatch: agent %q has a stale offer of %q", a.ID(), s.entry.ID)
		}
		held += s.weight()
	}
	for _, w := range e.wrapping(a) {
		held += w.weight()
	}
	var prev *session
	offline, units, inactive := 0, 0, 0 // inactive: listed, holding no units (E9)
	var err error
	d.list.Ascend(func(x listed) bool {
		s := x.s
		switch {
		case s.agent != a || s.place != PlaceAgent:
			err = fmt.Errorf("dispatch: %q's list holds session %q of another place", a.ID(), s.entry.ID)
		case e.sessions[s.entry.ID] != s:
			err = fmt.Errorf("dispatch: %q's list holds closed session %q", a.ID(), s.entry.ID)
		case x != listKey(s):
			err = fmt.Errorf("dispatch: %q's list has a stale key for %q", a.ID(), s.entry.ID)
		case prev != nil && !lessInList(listKey(prev), x):
			err = fmt.Errorf("dispatch: %q's list is out of L4 order at %q, %q", a.ID(), prev.entry.ID, s.entry.ID)
		case s.waitSince != 0 && s.lastFrom == 0:
			err = fmt.Errorf("dispatch: session %q is unreplied with no message", s.entry.ID)
		}
		if s.flags&FlagOffline != 0 {
			offline++
		}
		if s.flags&FlagInactive != 0 { // E9: its units are free
			inactive++
		} else {
			units += s.weight()
		}
		prev = s
		return err == nil
	})
	if err != nil {
		return err
	}
	if units != a.Load()-held {
		return fmt.Errorf("dispatch: agent %q lists %d sessions (%d inactive) of %d units, load %d with %d offers and %d wrap-ups of %d units",
			a.ID(), d.list.Len(), inactive, units, a.Load(), len(e.offered(a)), len(e.wrapping(a)), held)
	}
	if offline != d.offline {
		return fmt.Errorf("dispatch: agent %q counts %d offline sessions, holds %d", a.ID(), d.offline, offline)
	}
	if err := d.history.verify(e.eff.HistoryLimit); err != nil {
		return fmt.Errorf("dispatch: agent %q: %v", a.ID(), err)
	}
	return nil
}
