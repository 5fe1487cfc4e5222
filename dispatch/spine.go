package dispatch

import (
	"slices"
	"time"

	"github.com/google/btree"
	"go.uber.org/zap"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
	"github.com/kefu-dev/kefu/queue"
)

// floor is the spine of the package: it owns where every open session
// is (an agent's list, the queue pool, the offline pool, the bot) and
// every way a session moves, into the engine, between places, and into
// an agent's history or out of the engine, each move with the load,
// timer, statistics and event it brings. The Engine embeds it. The
// Engine's operations decide (which agent, whether to queue, what a rule
// allows, which waiting session a freed place pulls in) and then call
// the floor's moves, which decide nothing; no other code moves a
// session.
//
// The moves, in the order of this file:
//
//   - into the engine: admit (new), restore (from a snapshot);
//   - from no place into one: park (the queue or the offline pool),
//     toBot, assign (an agent's list);
//   - out of a place into none: unpark (a pool, the bot), release (an
//     agent's list);
//   - from one place into another: take (a pool or the bot to a list),
//     transfer (a list to another), requeueList (a list to the queue, S5);
//   - offers (E1): offer (no place to an agent's offer), accept (an
//     offer into the list), unoffer (out of an offer, into no place),
//     back (from no place to the pool an offered session waited in);
//   - within a list: update (a message moves the session and its
//     deadline);
//   - out of the engine: closeOut (a list into its history; a pool or
//     the bot), leave (a pool, Q3), expire (the offline pool, O3);
//   - wrap-ups (E5): wrap (a closed session's units of capacity stay
//     held by a record of its own), unwrap (the units free).
//
// Every move that changes an agent's load changes it by the session's
// weight (E10, session.weight: 1 unless its kind is weighted).
//
// Besides the sessions, the floor holds what its moves share with the
// Engine's decisions: the policy, the roster (the floor keeps each
// agent's load equal to its list) and the operation's events, numbered
// and counted.
type floor struct {
	// The shop's policy, installed by Engine.setPolicy. The floor reads
	// what moves follow (the idle timeouts, GroupFallback, the defaulted
	// validity, bot timeout and history limit); the Engine's decisions
	// read the rest through the embedding.
	pol policy.Policy // as the host gave it: Policy returns it
	eff defaulted     // pol's defaulted fields: read them here

	log *zap.Logger
	loc *time.Location // of the latest time passed in: the times returned are in it

	// roster is the shop's agents; the floor keeps their loads equal to
	// their lists (AddLoad). The Engine's decisions choose from it.
	roster *agent.Roster

	sessions map[string]*session   // every open session, by id
	outreach map[*session]outreach // of sessions an agent replied in or started to a stranger
	pools    []*pools              // pools[0]: anyone's; then one per policy group (R2)
	poolOf   map[string]*pools     // by group id, "" → pools[0]
	timers   *btree.BTreeG[timer]  // every session's deadline, earliest first
	recent   contacts              // buyer → the agent who served them last, for RecentContactTTL (R1)
	desks    []*desk               // each agent's current list and history (L4), by agent.Agent.Slot
	bot      int                   // sessions held by the bot
	offers   int                   // sessions on offer (E1)
	heavy    int                   // open sessions that cost more than one unit of capacity (E10)

	// E2: who declined each session (nil until the first decline); E1,
	// E5: each agent's offers and wrap-ups (nil until the first).
	declined map[*session][]*agent.Agent
	held     map[*agent.Agent]*heldUnits
	// E9: when each listed session's buyer last wrote, kept while
	// Policy.InactiveAfter is set (nil otherwise).
	buyerAt map[*session]int64
	tierBuf []string // tiers' result, reused (nil until a session of a group)
	// Recycled decline lists, so that E2 allocates nothing in steady state.
	spareDeclines [][]*agent.Agent

	// Recycled sessions, so that the dispatch path does not allocate in
	// steady state. (Closed records live by value in the histories.)
	freeSessions []*session

	// The events of the operation under way: the floor's moves and the
	// Engine's own (warnings, prompts, messages) go through emit.
	out   []Event
	evSeq uint64 // the Seq of the latest event (Event.Seq)
	stats Stats  // counters and histograms (Stats); last, being large and little read
}

// Into the engine: a new session (a record from newSession, filled in
// by the caller, then admit) or one from a snapshot (restore).

// newSession returns a blank session record, a recycled one if any.
func (f *floor) newSession() *session {
	if n := len(f.freeSessions); n > 0 {
		s := f.freeSessions[n-1]
		f.freeSessions = f.freeSessions[:n-1]
		return s
	}
	// A new peak of open sessions: allocate them a few at a time, one
	// allocation for sessionChunk arrivals, the spares kept free.
	chunk := make([]session, sessionChunk)
	if f.freeSessions == nil {
		f.freeSessions = make([]*session, 0, 2*sessionChunk)
	}
	for i := sessionChunk - 1; i > 0; i-- {
		f.freeSessions = append(f.freeSessions, &chunk[i])
	}
	return &chunk[0]
}

const sessionChunk = 4 // 4×112 B and the allocation header fit the 480-byte size class

// admit records s, a new session in no place yet, as open; the caller
// places it at once.
func (f *floor) admit(s *session) {
	f.sessions[s.entry.ID] = s
	if s.units > 1 {
		f.heavy++
	}
}

// drop forgets s, which leaves the engine, as open.
func (f *floor) drop(s *session) {
	delete(f.sessions, s.entry.ID)
	if s.units > 1 {
		f.heavy--
	}
}

// restore puts s, read from a snapshot with its place (and agent) set,
// back where it was, with the deadline its place calls for; no event.
// An agent's load counts it (its units, E10) without changing the
// agent's idle time.
func (f *floor) restore(s *session) error {
	switch s.place {
	case PlaceAgent:
		if s.flags&FlagInactive == 0 { // E9: an inactive session holds no unit
			f.roster.AddLoad(s.agent, s.weight(), s.agent.IdleSince()) // keeps its idle time
		}
		f.deskOf(s.agent).add(s)
	case PlaceOffered:
		f.roster.AddLoad(s.agent, s.weight(), s.agent.IdleSince())
		f.addOffer(s.agent, s)
		f.offers++
	case PlaceQueue:
		if err := f.poolFor(s).queue.Push(&s.entry); err != nil {
			return err
		}
	case PlaceOffline:
		if err := f.poolFor(s).offline.Push(&s.entry); err != nil {
			return err
		}
	case PlaceBot:
		f.bot++
	}
	f.admit(s)
	f.rearm(s)
	return nil
}

// Between places. Each move keeps the indexes in step (the pools, the
// agent's load and desk, the bot count, the session's timer, the recent
// contacts) and reports itself with its event.

// park puts s, in no place, in the queue pool or the offline pool of its
// group. Its event carries c: why it went there when that is not the
// usual path (CauseReassigned, a diversion's cause), else noCause.
func (f *floor) park(s *session, p Place, c Cause, now time.Time) {
	s.place, s.agent, s.entered, s.ring = p, nil, ns(now), 0
	x, k := f.poolFor(s), EventQueued
	if p == PlaceOffline {
		_ = x.offline.Push(&s.entry) // unique: Seq is fresh
		k = EventOffline
	} else {
		_ = x.queue.Push(&s.entry)
	}
	ev := f.sessionEvent(k, s, now)
	ev.Cause = c
	f.emit(ev)
	f.rearm(s)
	f.debug("parked", s)
}

// toBot hands s, in no place, to the shop's bot (B1, B3: no agent's
// load); its event carries c, a diversion's cause or noCause.
func (f *floor) toBot(s *session, c Cause, now time.Time) {
	s.place, s.agent, s.entered = PlaceBot, nil, ns(now)
	f.bot++
	f.rearm(s)
	ev := f.sessionEvent(EventBot, s, now)
	ev.Cause = c
	f.emit(ev)
	f.debug("bot", s)
}

// assign puts s, in no place, into a's list, reported with cause c.
func (f *floor) assign(s *session, a *agent.Agent, c Cause, now time.Time) {
	f.place(s, a, now)
	ev := f.sessionEvent(EventAssigned, s, now)
	ev.Cause = c
	f.emit(ev)
	f.debug("assigned", s)
}

// place puts s into a's list: load (its units, E10), list order, recent
// contact, deadline.
func (f *floor) place(s *session, a *agent.Agent, now time.Time) {
	f.roster.AddLoad(a, s.weight(), now)
	f.enlist(s, a, now)
}

// enlist puts s into a's list, its units of capacity already counted.
func (f *floor) enlist(s *session, a *agent.Agent, now time.Time) {
	s.place, s.agent, s.entered = PlaceAgent, a, ns(now)
	f.deskOf(a).add(s)
	if s.buyer != "" && f.keepsRecent() {
		f.recent.set(s.buyer, a.ID(), ns(now))
	}
	f.rearm(s)
}

// offer puts s, in no place, on offer to a (E1), reported with cause c
// (and the agent it left, for a reassignment): a's load counts it (its
// units, E10), and
// its deadline is the offer's timeout. waited is where s waits if the
// offer is declined: the queue or the offline pool.
func (f *floor) offer(s *session, a *agent.Agent, c Cause, left *agent.Agent, waited Place, now time.Time) {
	s.place, s.agent, s.entered, s.from = PlaceOffered, a, ns(now), waited
	f.roster.AddLoad(a, s.weight(), now)
	f.addOffer(a, s)
	f.offers++
	f.setTimer(s, later(ns(now), f.pol.OfferTimeout), timerOffer)
	ev := f.sessionEvent(EventOffered, s, now)
	ev.Cause = c
	if left != nil {
		ev.From = left.ID()
	}
	f.emit(ev)
	f.debug("offered", s)
}

// accept moves an offered session into its agent's list (E1); the units
// of capacity the offer held are the session's.
func (f *floor) accept(s *session, now time.Time) {
	a := f.endOffer(s)
	s.from = 0
	f.enlist(s, a, now)
	f.emit(f.sessionEvent(EventAccepted, s, now))
	f.debug("accepted", s)
}

// unoffer takes an offered session out of its offer, into no place: its
// agent's units of capacity free. The caller reports why.
func (f *floor) unoffer(s *session, now time.Time) {
	a := f.endOffer(s)
	f.roster.AddLoad(a, -s.weight(), now)
	s.agent, s.place = nil, 0
}

// endOffer ends s's offer, its units still counted, and returns the agent
// it was offered to.
func (f *floor) endOffer(s *session) *agent.Agent {
	a := s.agent
	f.clearTimer(s)
	f.dropOffer(a, s)
	f.offers--
	return a
}

// back puts a session taken out of its offer into the pool it waited in
// (E1), in its arrival order. An offline message's validity (O3) counts
// again from now: it was distributed, and declined.
func (f *floor) back(s *session, now time.Time) {
	p := s.from
	s.from = 0
	if p != PlaceOffline {
		p = PlaceQueue
	}
	f.park(s, p, noCause, now)
}

// unpark takes s out of its pool or the bot, into no place.
func (f *floor) unpark(s *session) {
	switch s.place {
	case PlaceQueue:
		f.poolFor(s).queue.Delete(&s.entry)
	case PlaceOffline:
		f.poolFor(s).offline.Delete(&s.entry)
	case PlaceBot:
		f.bot--
	}
	f.clearTimer(s)
	s.place, s.ring = 0, 0 // E7: widening counts again if it waits again
}

// release takes s out of its agent's list, into no place; the caller
// then lets the agent pull the next waiting session (C5).
func (f *floor) release(s *session, now time.Time) {
	a := s.agent
	f.clearTimer(s)
	f.deskOf(a).remove(s)
	if s.flags&FlagInactive != 0 { // E9: its units are free already; active wherever it goes
		s.flags &^= FlagInactive
	} else {
		f.roster.AddLoad(a, -s.weight(), now)
	}
	s.agent, s.place = nil, 0
}

// take gives a waiting session (in the queue or offline pool, or held by
// the bot for a manual assignment) to agent a; the time it waited in a
// pool goes to Stats.Wait.
func (f *floor) take(s *session, a *agent.Agent, c Cause, now time.Time) {
	if s.place == PlaceQueue || s.place == PlaceOffline {
		f.stats.Wait.observe(time.Duration(ns(now) - s.entered))
	}
	f.unpark(s)
	f.assign(s, a, c, now)
}

// transfer moves s from its agent's list to b's (R3), flagged
// FlagTransferred; the caller lets the sender pull the next waiting
// session (C5).
func (f *floor) transfer(s *session, b *agent.Agent, now time.Time) {
	from := s.agent
	f.release(s, now)
	s.flags |= FlagTransferred
	f.place(s, b, now)
	ev := f.sessionEvent(EventTransferred, s, now)
	ev.From = from.ID()
	f.emit(ev)
	f.debug("transferred", s)
}

// requeueList puts every session of a's list back in the queue pool, in
// L4 order (S5), each reported as requeued from a.
func (f *floor) requeueList(a *agent.Agent, now time.Time) {
	d := f.deskOf(a)
	for d.list.Len() > 0 {
		x, _ := d.list.Min()
		s := x.s
		f.release(s, now)
		f.park(s, PlaceQueue, noCause, now)
		f.out[len(f.out)-1].From = a.ID() // the EventQueued: requeued from a
	}
}

// update runs change, which changes s's messages (its list key),
// keeping its agent's list and its deadline in step (delete, change,
// insert).
func (f *floor) update(s *session, change func()) {
	if s.place != PlaceAgent {
		change()
		if s.place == PlaceBot {
			f.rearm(s) // the bot's silence timer
		}
		return
	}
	d := f.deskOf(s.agent)
	d.list.Delete(listKey(s))
	change()
	d.list.Insert(listKey(s))
	f.rearm(s)
}

// Out of the engine; the record is then recycled.

// closeOut takes s out of its place and the engine at time at for reason r:
// from an agent's list into the agent's history (L1, L4); from a pool or
// the bot with no trace but the event. The caller lets the agent pull the
// next waiting session (C5).
func (f *floor) closeOut(s *session, at time.Time, r CloseReason) {
	ev := f.sessionEvent(EventClosed, s, at)
	ev.Reason = r
	f.drop(s)
	if s.place == PlaceAgent {
		c := newClosed(s.entry.ID, s.buyer, s.entry.Arrived, s.lastMsg, ns(at), s.entry.Seq, r, s.flags)
		f.stats.Handle.observe(time.Duration(ns(at) - s.entered))
		a := s.agent
		inactive := s.flags&FlagInactive != 0 // E9: the agent was not at work on it
		f.release(s, at)
		f.archive(a, c)
		if f.pol.WrapUp > 0 && !inactive {
			f.emit(ev)
			f.debug("closed", s)
			f.wrap(a, s, at)
			return
		}
	} else {
		f.unpark(s)
	}
	f.emit(ev)
	f.debug("closed", s)
	f.freeSession(s)
}

// wrap starts a wrap-up of a after s, just closed at at and out of the
// engine, and recycles s (E5): a record of the wrap-up, with s's id,
// sequence and weight, holds as many units of a's capacity as s did (1,
// or its weight, E10) until its deadline: after-contact work on a heavier
// session keeps its units, so a close changes a's load only when the
// wrap-up ends.
func (f *floor) wrap(a *agent.Agent, s *session, at time.Time) {
	id, buyer, seq, units := s.entry.ID, s.buyer, s.entry.Seq, s.units
	f.freeSession(s)
	w := f.newSession()
	w.entry.ID, w.entry.Seq, w.buyer, w.agent, w.place, w.units = id, seq, buyer, a, placeWrap, units
	f.roster.AddLoad(a, w.weight(), a.IdleSince()) // the units stay held; a received nothing
	f.addWrap(a, w)
	f.setTimer(w, later(ns(at), f.pol.WrapUp), timerWrapUp)
	f.emit(f.sessionEvent(EventWrapUp, w, at))
}

// unwrap ends the wrap-up w at at: its agent's units of capacity free
// (E5). The caller lets the agent pull the next waiting session (C5).
func (f *floor) unwrap(w *session, at time.Time) {
	a := w.agent
	f.clearTimer(w)
	f.dropWrap(a, w)
	f.roster.AddLoad(a, -w.weight(), at)
	f.emit(f.sessionEvent(EventWrapUpEnded, w, at))
	f.freeSession(w)
}

// placeWrap is the place of a wrap-up's record (E5): never a session's,
// never in the sessions map.
const placeWrap Place = 0xff

// leave takes s out of its pool and the engine: the buyer gave up
// waiting (Q3). No trace is left but the event.
func (f *floor) leave(s *session, now time.Time) {
	ev := f.sessionEvent(EventLeft, s, now)
	f.unpark(s)
	f.drop(s)
	f.emit(ev)
	f.freeSession(s)
}

// expire takes an offline message not distributed in time (O3) out of
// the offline pool and the engine, reported, never silently.
func (f *floor) expire(s *session, at time.Time) {
	f.poolFor(s).offline.Delete(&s.entry)
	f.drop(s)
	f.emit(f.sessionEvent(EventExpired, s, at))
	f.debug("expired", s)
	f.freeSession(s)
}

// freeSession recycles a session that has left the engine: no index, pool,
// timer or list holds it any more.
func (f *floor) freeSession(s *session) {
	if len(f.outreach) > 0 {
		delete(f.outreach, s)
	}
	delete(f.buyerAt, s)            // a nil map but with E9
	if l, ok := f.declined[s]; ok { // a nil map but with E2
		delete(f.declined, s)
		if len(f.spareDeclines) < maxFree {
			f.spareDeclines = append(f.spareDeclines, l[:0])
		}
	}
	*s = session{}
	if len(f.freeSessions) < maxFree {
		f.freeSessions = append(f.freeSessions, s)
	}
}

// Timers: each open session has at most one deadline, in one index
// ordered by (deadline, sequence); the moves rearm it, Engine.fire pops
// what fell due (due) and decides what each does.

// setTimer gives s the deadline at, of kind k, in place of any other.
func (f *floor) setTimer(s *session, at int64, k timerKind) {
	f.clearTimer(s)
	s.deadline, s.timer = at, k
	f.timers.ReplaceOrInsert(timerOf(s))
}

// clearTimer takes s's deadline, if any, out of the timer index.
func (f *floor) clearTimer(s *session) {
	if s.deadline != 0 {
		f.timers.Delete(timerOf(s))
		s.deadline, s.timer = 0, 0
	}
}

// rearm sets the deadline a session's place and messages call for.
//
// In an agent's list two conditions may close a session (L2, L3), and the
// earlier deadline wins: the buyer's silence (Policy.BuyerIdleClose) when
// the shop side (agent, bot, system auto-reply) wrote last or nobody wrote
// yet, counted from that last message; and nobody answering
// (Policy.AgentIdleClose) while the session is unreplied, counted from the
// buyer's first unanswered message, so a buyer who keeps writing does not
// keep an unanswered session open, and a system welcome message does not
// switch the agent timeout off. Both clocks count at the earliest from
// when the session entered this agent's list: an agent is never closed on
// for the time before it had the session.
//
// A session held by the bot closes after Policy.BotIdleClose of silence,
// whoever wrote last: bot sessions never stay open forever.
func (f *floor) rearm(s *session) {
	k, at := f.wantTimer(s)
	if k == 0 {
		f.clearTimer(s)
		return
	}
	f.setTimer(s, at, k)
}

// wantTimer returns the timer s should have in its place, if any.
func (f *floor) wantTimer(s *session) (timerKind, int64) {
	since := func(t int64) int64 { return max(t, s.entered) } // never before it got here
	switch s.place {
	case PlaceOffline: // O3: counted from entering the offline pool
		return timerExpire, later(s.entered, f.eff.OfflineValidity)
	case PlaceBot:
		return timerBotIdle, later(since(s.lastMsg), f.eff.BotIdleClose)
	case PlaceAgent:
		var k timerKind
		var at int64
		if d := f.pol.BuyerIdleClose; d > 0 && s.lastFrom != FromBuyer {
			k, at = timerBuyerIdle, later(since(s.lastMsg), d)
		}
		if d := f.pol.AgentIdleClose; d > 0 && s.waitSince != 0 {
			if t := later(since(s.waitSince), d); k == 0 || t < at {
				k, at = timerAgentIdle, t
			}
		}
		// E3: reassign an unanswered session, at most the policy's limit
		// of times; at the same instant as an auto-close, the close wins.
		if d := f.pol.ReassignAfter; d > 0 && s.waitSince != 0 && int(s.moves) < f.reassignLimit() {
			if t := later(since(s.waitSince), d); k == 0 || t < at {
				k, at = timerReassign, t
			}
		}
		// E9: a replied session whose buyer fell silent releases its unit;
		// after the timers above at the same instant.
		if d := f.pol.InactiveAfter; d > 0 && s.waitSince == 0 && s.flags&FlagInactive == 0 {
			if t := later(since(f.buyerAt[s]), d); k == 0 || t < at {
				k, at = timerInactive, t
			}
		}
		return k, at
	case PlaceOffered: // E1: set when offered; a policy change does not move it
		return timerOffer, s.deadline
	case PlaceQueue: // E8: the longest a buyer may wait in the queue; E7: its group's next ring
		var k timerKind
		var at int64
		if _, wait := f.queueLimits(s); wait > 0 {
			k, at = timerMaxWait, later(s.entered, wait)
		}
		if rings := f.ringsOf(s); int(s.ring) < len(rings) {
			if t := later(s.entered, rings[s.ring].After); k == 0 || t <= at { // at one instant, widen first
				k, at = timerWiden, t
			}
		}
		return k, at
	}
	return 0, 0
}

// retime sets every session's deadline again from the policy, from the
// same starting points (after SetPolicy); one that is now past falls due
// at now.
func (f *floor) retime(now int64) {
	for _, s := range f.sessions {
		k, at := f.wantTimer(s)
		if k == 0 {
			f.clearTimer(s)
			continue
		}
		at = max(at, now)
		if k != s.timer || at != s.deadline {
			f.setTimer(s, at, k)
		}
	}
}

// due takes the earliest timer off the index if it falls due by now, and
// returns its session, which keeps no timer, with the deadline and its
// kind; kind 0 when none is due.
func (f *floor) due(now int64) (*session, int64, timerKind) {
	t, ok := f.timers.Min()
	if !ok || t.at > now {
		return nil, 0, 0
	}
	s := t.s
	f.timers.DeleteMin()
	at, kind := s.deadline, s.timer
	s.deadline, s.timer = 0, 0
	return s, at, kind
}

// Events: every move is reported in the operation's event buffer, which
// the Engine's own events share.

// time returns n as a time in the location of the times the host passes
// in (the zero time for 0).
func (f *floor) time(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).In(f.loc)
}

// emit adds an event to the operation's result, numbered (Event.Seq).
func (f *floor) emit(ev Event) {
	f.evSeq++
	ev.Seq = f.evSeq
	f.stats.count(&ev)
	f.out = append(f.out, ev)
}

// sessionEvent returns an event of kind k about s at time at.
func (f *floor) sessionEvent(k Kind, s *session, at time.Time) Event {
	ev := Event{Kind: k, At: at, Session: s.entry.ID, Buyer: s.buyer, Flags: s.flags, Arrived: f.time(s.entry.Arrived)}
	if s.agent != nil {
		ev.Agent = s.agent.ID()
	}
	return ev
}

// debug logs a move of s at debug level.
func (f *floor) debug(msg string, s *session) {
	if ce := f.log.Check(zap.DebugLevel, msg); ce != nil {
		fields := []zap.Field{zap.String("session", s.entry.ID), zap.Stringer("place", s.place)}
		if s.agent != nil {
			fields = append(fields, zap.String("agent", s.agent.ID()))
		}
		ce.Write(fields...)
	}
}

// Desks: each agent's current list and history, by roster slot.

// desk is one agent's current-session list and history, each an ordered
// index in the order rule L4 shows them, so a page of either is read
// without sorting.
type desk struct {
	list    sessionList // lessInList
	history history     // at most Policy.HistoryLimit (defaulted), L4 order
	offline int         // open sessions in list taken from the offline pool (O5)
}

// heldUnits are the units of an agent's capacity held by something else
// than a session in its list: pending offers (E1) and wrap-ups (E5). The
// floor keeps them by agent (floor.held) from the agent's first offer or
// wrap-up until it is removed, so that a shop without E1 and E5 pays
// nothing for them, and one with them allocates nothing in steady state.
type heldUnits struct {
	offers []*session // pending offers to the agent, by sequence
	wraps  []*session // wrap-ups of the agent, oldest first
}

// offered returns the pending offers to a, by sequence (the order a
// logout withdraws them in, the same after a Restore).
func (f *floor) offered(a *agent.Agent) []*session {
	if h := f.held[a]; h != nil {
		return h.offers
	}
	return nil
}

// wrapping returns a's wrap-ups, oldest first.
func (f *floor) wrapping(a *agent.Agent) []*session {
	if h := f.held[a]; h != nil {
		return h.wraps
	}
	return nil
}

// hold returns a's held units, made on first use.
func (f *floor) hold(a *agent.Agent) *heldUnits {
	h := f.held[a]
	if h == nil {
		if f.held == nil {
			f.held = make(map[*agent.Agent]*heldUnits)
		}
		h = new(heldUnits)
		f.held[a] = h
	}
	return h
}

// addOffer records s among a's offers.
func (f *floor) addOffer(a *agent.Agent, s *session) {
	h := f.hold(a)
	i, _ := slices.BinarySearchFunc(h.offers, s, func(x, y *session) int { return cmpUint(x.entry.Seq, y.entry.Seq) })
	h.offers = slices.Insert(h.offers, i, s)
}

// dropOffer forgets s, an offer to a that ended.
func (f *floor) dropOffer(a *agent.Agent, s *session) {
	if h := f.held[a]; h != nil {
		if i := slices.Index(h.offers, s); i >= 0 {
			h.offers = slices.Delete(h.offers, i, i+1)
		}
	}
}

// addWrap records w, a wrap-up of a.
func (f *floor) addWrap(a *agent.Agent, w *session) {
	h := f.hold(a)
	h.wraps = append(h.wraps, w)
}

// dropWrap forgets w, a wrap-up of a that ended.
func (f *floor) dropWrap(a *agent.Agent, w *session) {
	if h := f.held[a]; h != nil {
		if i := slices.Index(h.wraps, w); i >= 0 {
			h.wraps = slices.Delete(h.wraps, i, i+1)
		}
	}
}

// add puts s, just placed with a, in a's list.
func (d *desk) add(s *session) {
	d.list.Insert(listKey(s))
	if s.flags&FlagOffline != 0 {
		d.offline++
	}
}

// remove takes s out of the list.
func (d *desk) remove(s *session) {
	d.list.Delete(listKey(s))
	if s.flags&FlagOffline != 0 {
		d.offline--
	}
}

// newDesk makes room for a new agent's desk, in its roster slot, made by
// its first use: an agent who has had no session costs a nil pointer.
func (f *floor) newDesk(a *agent.Agent) {
	if n := a.Slot() + 1; n > len(f.desks) {
		f.desks = slices.Grow(f.desks, n-len(f.desks))[:n]
	}
	f.desks[a.Slot()] = nil
}

// dropDesk forgets a removed agent's desk: its history goes with it, and
// the slot is the next agent's; so do its (empty: they count in its
// load) offers and wrap-ups.
func (f *floor) dropDesk(a *agent.Agent) {
	f.desks[a.Slot()] = nil
	delete(f.held, a)
}

// deskOf returns a's desk, made on first use.
func (f *floor) deskOf(a *agent.Agent) *desk {
	d := f.desks[a.Slot()]
	if d == nil {
		d = new(desk)
		f.desks[a.Slot()] = d
	}
	return d
}

// readDesk returns a's desk for reading: the shared empty desk if a has
// none yet, so that a query of an idle agent allocates nothing. Callers
// must not change what it returns (deskOf is for that).
func (f *floor) readDesk(a *agent.Agent) *desk {
	if d := f.desks[a.Slot()]; d != nil {
		return d
	}
	return &noDesk
}

// noDesk is the desk of every agent that has had no session: empty, and
// never written.
var noDesk desk

// offlineHeld returns the number of sessions from the offline pool in a's
// list (O5).
func (f *floor) offlineHeld(a *agent.Agent) int {
	if d := f.desks[a.Slot()]; d != nil {
		return d.offline
	}
	return 0
}

// archive records a session a closed in a's history, dropping the oldest
// beyond the policy's limit.
func (f *floor) archive(a *agent.Agent, c closed) {
	f.deskOf(a).history.add(c, f.eff.HistoryLimit)
}

// trimHistories drops from every history its oldest records beyond limit.
func (f *floor) trimHistories(limit int) {
	for _, d := range f.desks {
		for d != nil && d.history.Len() > limit {
			d.history.dropOldest()
		}
	}
}

// Pools: the queue pool and the offline pool of each group (R2).

// pools are the queue pool and the offline pool of one restriction group
// (R2): pools[""] anyone may take from, pools[g] only agents of group g.
type pools struct {
	id             uint16 // index in floor.pools, the session's group field
	group          string
	queue, offline *queue.Pool
}

// setPools makes the pools of the shop's groups (R2), empty: pools[0]
// for anyone, then one per group in order.
func (f *floor) setPools(groups []string) {
	f.pools, f.poolOf = nil, make(map[string]*pools)
	for _, g := range append([]string{""}, groups...) {
		x := &pools{id: uint16(len(f.pools)), group: g, queue: queue.NewOrdered(f.order()), offline: queue.NewOrdered(f.order())}
		f.pools = append(f.pools, x)
		f.poolOf[g] = x
	}
}

// regroup rebuilds the pools for the policy's groups and moves every
// waiting session to the pool the policy now puts it in (R2), each
// session keeping its group (which must be among groups). Pool order is
// by key (Q2), so the order of the moves does not matter.
func (f *floor) regroup(groups []string) {
	oldIDs := make([]string, len(f.pools))
	for i, x := range f.pools {
		oldIDs[i] = x.group
	}
	f.setPools(groups)
	for _, s := range f.sessions {
		s.group = f.poolOf[oldIDs[s.group]].id // policyFits: the group exists
		switch s.place {
		case PlaceQueue:
			_ = f.poolFor(s).queue.Push(&s.entry)
		case PlaceOffline:
			_ = f.poolFor(s).offline.Push(&s.entry)
		}
	}
}

// poolFor returns the pools s waits in: its group's own if only the group
// may take it, else the common ones (R2: with fallback, the group is a
// preference at arrival, not a restriction).
func (f *floor) poolFor(s *session) *pools {
	if f.pol.GroupFallback {
		return f.pools[0]
	}
	return f.pools[s.group]
}

// groupOf returns the id of the group that serves s (R2), "" for none.
func (f *floor) groupOf(s *session) string { return f.pools[s.group].group }

// The policy as the floor reads it.

// defaulted holds the fields of a policy whose zero means a default, as
// policy.Policy.WithDefaults gives them: 40 bytes, not a second Policy.
type defaulted struct {
	OfflineValidity, RecentContactTTL, BotIdleClose time.Duration
	HistoryLimit                                    int
	Location                                        *time.Location
}

// defaultsOf returns p's defaulted fields.
func defaultsOf(p policy.Policy) defaulted {
	d := p.WithDefaults()
	return defaulted{OfflineValidity: d.OfflineValidity, RecentContactTTL: d.RecentContactTTL,
		BotIdleClose: d.BotIdleClose, HistoryLimit: d.HistoryLimit, Location: d.Location}
}

// ringsOf returns the rings of s's group (E7); none for a session of no
// group, or with GroupFallback.
func (f *floor) ringsOf(s *session) []policy.Ring {
	if s.group == 0 || f.pol.GroupFallback {
		return nil
	}
	id := f.groupOf(s)
	for i := range f.pol.Groups {
		if f.pol.Groups[i].ID == id {
			return f.pol.Groups[i].Rings
		}
	}
	return nil
}

// openRings returns the rings of s's group open to it (E7).
func (f *floor) openRings(s *session) []policy.Ring {
	r := f.ringsOf(s)
	return r[:min(int(s.ring), len(r))]
}

// queueLimits returns the cap of the queue pool s waits in, or would, and
// the longest it may wait there (E8): its group's own, for a group's
// pool, else the shop's. 0: none.
func (f *floor) queueLimits(s *session) (limit int, wait time.Duration) {
	limit, wait = f.pol.QueueCap, f.pol.MaxWait
	if x := f.poolFor(s); x.group != "" {
		for _, g := range f.pol.Groups {
			if g.ID == x.group {
				if g.MaxWait > 0 {
					wait = g.MaxWait
				}
				return g.QueueCap, wait
			}
		}
	}
	return limit, wait
}

// reassignLimit is Policy.ReassignLimit with 0 read as 1 (E3).
func (f *floor) reassignLimit() int { return max(f.pol.ReassignLimit, 1) }

// order is the serving order of the pools: Q2's, with the policy's aging
// (E6).
func (f *floor) order() queue.Order { return queue.Order{Aging: f.pol.AgingStep} }

// less reports whether waiting entry a is served before b, in the pools'
// order (Q2, E6); without aging, queue.Less itself, which inlines.
func (f *floor) less(a, b *queue.Entry) bool {
	if f.pol.AgingStep <= 0 {
		return queue.Less(a, b)
	}
	return f.order().Less(a, b)
}

// keepsRecent reports whether the policy reads recent contacts (R1
// recent contact, P9); if not, the floor does not keep them, a map write
// per assignment saved.
func (f *floor) keepsRecent() bool {
	return f.pol.Strategy == policy.RecentContact || (f.pol.NoQueue && len(f.pol.Crowds) > 0)
}
