package dispatch

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/policy"
	"github.com/kefu-dev/kefu/queue"
)

// Arrival is a buyer's new session.
type Arrival struct {
	// Session is the host's id for the session; required, unique among
	// open sessions.
	Session string
	// Buyer identifies the buyer, for recent-contact routing (R1), the bot
	// split (B2) and the prompt cool-down (P8). It may be empty: such a
	// session is never routed by recent contact and never prompted.
	Buyer string
	// Priority orders the queue: higher first (Q2). Zero for ordinary
	// buyers; it must be below PriorityBand.
	Priority int
	// Entry is where the buyer clicked to ask (P7): only lit entries
	// (product, order, shop home page) show the priority prompt.
	Entry EntryPoint
	// Crowds are the buyer's crowd memberships with the time each began:
	// for priority reception (P1, P4: effective from the next local day)
	// and group routing (R2).
	Crowds []Membership
	// Exclusive is the buyer's exclusive agent (专属客服), if any: tried
	// first unless crowd priority hit (P10).
	Exclusive string
	// Kind is the session's kind ("after-sales", "presale", ...), for
	// weighted capacity (E10): a kind listed in Policy.Weights costs its
	// units of an agent's capacity, any other kind, and none, costs 1.
	// The weight is fixed at arrival, whatever the policy says later.
	Kind string
}

// checkIDs refuses ids that are not valid UTF-8 (ErrInvalidID).
func (a *Arrival) checkIDs() error {
	if err := checkIDs("session", a.Session, "buyer", a.Buyer, "exclusive agent", a.Exclusive, "kind", a.Kind); err != nil {
		return err
	}
	for _, m := range a.Crowds {
		if !utf8.ValidString(m.Crowd) {
			return fmt.Errorf("%w: crowd %q", ErrInvalidID, m.Crowd)
		}
	}
	return nil
}

// PriorityBand is added to the priority of a priority-crowd buyer who
// waits at the head of the queue (Policy.PriorityAtQueueHead, P1).
// Arrival.Priority must stay below it.
const PriorityBand = 1 << 30

// Arrive takes a buyer's new session, at the time of the buyer's first
// message, and places it:
//
//   - outside the shop's business hours (E11, Policy.Hours), before any
//     rule below: by Hours.Outside, to the bot or in the offline pool,
//     with CauseOutsideHours on its EventBot or EventOffline; an agent
//     still online with room then takes it at once as an offline message
//     (O2). It counts as an arrival all the same (Stats.Arrived);
//   - a buyer of a priority crowd (P1-P5) skips the bot and the queue: to
//     an online, non-suspended agent, over the cap if all are full (or at
//     the head of the queue, by policy); with none, to the bot, unprompted;
//   - with no agent online, in the offline pool (O1), where it waits at
//     most the policy's offline validity (O3), or to the bot (O4);
//   - to the bot, by bot-first mode or the time-window share (B1, B2);
//   - to the buyer's exclusive agent if online with room (P10);
//   - to an online agent with room, chosen by the policy's strategy (R1),
//     from the buyer's crowd group first (R2);
//   - with every online agent full: over the cap to the least saturated
//     one if the shop does not queue (Q4), or else in the queue pool (Q1).
//
// Cost O(log n) in agents and waiting sessions.
//
// Errors: ErrEmptySessionID, ErrDuplicateSession, ErrInvalidPriority.
func (e *Engine) Arrive(now time.Time, a Arrival) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpArrive, Arrival: a})
}

func (e *Engine) doArrive(now time.Time, a Arrival) error {
	if a.Session == "" {
		return ErrEmptySessionID
	}
	if err := a.checkIDs(); err != nil {
		return err
	}
	if _, dup := e.sessions[a.Session]; dup {
		return fmt.Errorf("%w: %q", ErrDuplicateSession, a.Session)
	}
	if a.Priority >= PriorityBand || a.Priority <= -PriorityBand {
		return fmt.Errorf("%w: %d", ErrInvalidPriority, a.Priority)
	}
	e.seq++
	e.stats.Arrived++
	s := e.newSession()
	*s = session{
		entry: queue.Entry{ID: a.Session, Priority: a.Priority, Arrived: ns(now), Seq: e.seq},
		buyer: a.Buyer,
		// The buyer's first message opens the session (L5: unreplied).
		lastFrom: FromBuyer, lastMsg: ns(now), waitSince: ns(now), unread: 1,
	}
	if u := e.pol.UnitsOf(a.Kind); u > 1 { // E10: at most policy.MaxWeightUnits
		s.units = uint8(u)
	}
	if len(e.pol.Groups) > 0 { // R2
		g := e.pol.GroupFor(func(yield func(string) bool) {
			for _, m := range a.Crowds {
				if !yield(m.Crowd) {
					return
				}
			}
		})
		s.group = e.poolOf[g].id
	}
	e.admit(s)
	e.buyerWrote(s, now)
	e.reception(s, &a, now)
	return nil
}

// reception is the arrival path of rule sections E11, P, O, B and R, in
// that order of precedence.
func (e *Engine) reception(s *session, a *Arrival, now time.Time) {
	if e.pol.Hours != nil && !e.pol.Open(now) { // E11
		e.closedReception(s, e.pol.Hours.Outside, now)
		return
	}
	if member, hit := e.priorityHit(a, now); hit { // P1, P10
		e.receivePriority(s, a, member, now)
		return
	}
	if e.roster.Online() == 0 && e.pol.OfflineDiversion == policy.OfflineToBot { // O4
		e.toBot(s, noCause, now)
		return
	}
	if e.roster.Online() > 0 && e.botTakes(s, now) { // B1, B2
		e.toBot(s, noCause, now)
		return
	}
	if a.Exclusive != "" { // P10: no crowd hit
		if x, ok := e.roster.Get(a.Exclusive); ok && x.HasRoomFor(s.weight()) && e.mayTake(x, s) {
			e.give(s, x, CauseExclusive, nil, PlaceQueue, now)
			return
		}
	}
	e.route(s, CauseArrival, now)
}

// closedReception places s, in no place, which arrived outside the shop's
// business hours (E11), by outside: to the bot, or the offline path. Its
// EventBot or EventOffline carries CauseOutsideHours, so the host can
// tell the buyer the shop is closed.
//
// Decisions:
//
//   - Closed hours come first, before priority crowds (P1-P5), exclusive
//     agents (P10), offline diversion (O4) and the bot's modes and
//     windows (B1, B2): nobody is at work, so nothing that picks a human
//     applies, and the shop's choice for its closed hours overrides its
//     choice for when no agent is online (O4). A priority buyer goes
//     where everyone does; P5 already sends one to the bot when no agent
//     is online, as Outside = bot does. No prompt is shown (P7).
//   - The offline path is O1 and O2 as they are: the session waits in the
//     offline pool, and an agent with room takes it as an offline
//     message (FlagOffline, CauseFreed), subject to the O5 guard. So an
//     agent still online after closing time with room takes it at once,
//     right after its EventOffline: no session waits while an agent
//     with room could take it. Those who come online when the shop opens
//     take the rest, and what nobody takes expires (O3).
//   - Only arrivals and hand-overs (Engine.Handover) are diverted;
//     sessions already open stay where they are when the shop closes,
//     and sessions an agent starts (Engine.Start) or a person assigns
//     are not arrivals.
//   - A diverted buyer still counts as an arrival (Stats.Arrived) and as
//     a consultation in the metrics: the buyer asked.
func (e *Engine) closedReception(s *session, outside policy.OutsideHours, now time.Time) {
	if outside == policy.OutsideToBot {
		e.toBot(s, CauseOutsideHours, now)
		return
	}
	e.park(s, PlaceOffline, CauseOutsideHours, now)
	if a := e.chooseOffline(s); a != nil { // O2: someone is still at work
		s.flags |= FlagOffline
		e.takeRoom(s, a, CauseFreed, now)
	}
}

// EntryPoint is where a buyer started asking (P7).
type EntryPoint uint8

const (
	// EntryMessageBox: the message list (消息盒子). Priority applies but no
	// prompt is shown. The zero value.
	EntryMessageBox EntryPoint = iota
	// EntryProduct: the avatar on a product page (lit, 亮灯).
	EntryProduct
	// EntryOrder: the avatar on an order page (lit).
	EntryOrder
	// EntryShopHome: the avatar on the shop home page (lit).
	EntryShopHome
)

// Lit reports whether the entry is a lit avatar (亮灯分流), the only kind
// that shows the priority prompt (P7).
func (en EntryPoint) Lit() bool { return en >= EntryProduct && en <= EntryShopHome }

// Membership is a buyer's membership of a crowd, from the time it began.
type Membership struct {
	Crowd string
	// Since is when the buyer joined; the membership counts from the next
	// day in the shop's time zone (P4: T+1).
	Since time.Time
}

var (
	titleMember   = [3]string{"member", "Member exclusive agent", "会员专属客服"}
	titlePriority = [3]string{"priority", "Priority reception in effect", "优先接待生效"}
	textQueue     = [3]string{"skip-queue", "Skipped the queue, connected to a human", "已跳过排队直连人工"}
	textBot       = [3]string{"skip-bot", "Skipped the bot, connected to a human", "已跳过机器人直连人工"}
	textArranged  = [3]string{"arranged", "Priority reception arranged", "已安排优先接待"}
)

// priorityHit reports whether the arriving buyer is in an effective
// priority crowd (P1-P4), and whether in the member crowd (P6).
func (e *Engine) priorityHit(a *Arrival, now time.Time) (member, hit bool) {
	if len(e.crowds) == 0 || !e.level.Qualifies() { // P2
		return false, false
	}
	loc := e.eff.Location
	for _, m := range a.Crowds {
		isMember, selected := e.crowds[m.Crowd]
		if !selected {
			continue
		}
		// P4: T+1 — from local midnight after the day the buyer joined.
		y, mo, d := m.Since.In(loc).Date()
		if now.Before(time.Date(y, mo, d+1, 0, 0, 0, 0, loc)) {
			continue
		}
		hit = true
		member = member || isMember
	}
	return member, hit
}

// receivePriority is the priority path (P1, P5, P6-P9): skip the bot and
// the queue to a human, or fail to the bot.
func (e *Engine) receivePriority(s *session, a *Arrival, member bool, now time.Time) {
	if e.leastActive(s) == nil { // P5: no online, non-suspended agent
		e.toBot(s, noCause, now)
		return
	}
	recent, _ := e.recent.get(s.buyer, ns(now))
	ag := e.choose(s, now)
	if ag != nil {
		e.give(s, ag, CausePriority, nil, PlaceQueue, now) // an offer with E1
	} else { // everyone is full
		if e.pol.PriorityAtQueueHead && !e.pol.NoQueue { // a no-queue shop has no queue head (Q4)
			s.entry.Priority += PriorityBand
			e.park(s, PlaceQueue, noCause, now)
			return
		}
		ag = e.leastActive(s) // P1: over the cap, the least saturated
		e.assign(s, ag, CausePriority, now)
	}
	if !a.Entry.Lit() || s.buyer == "" { // P7
		return
	}
	if e.pol.NoQueue && ag.ID() == recent { // P9: queue off, recent contact
		return
	}
	if !e.prompts.allow(s.buyer, now) { // P8
		return
	}
	title, text := titlePriority, textArranged
	if member {
		title = titleMember
	}
	switch {
	case !e.pol.NoQueue:
		text = textQueue
	case e.pol.BotShare(now) > 0:
		text = textBot
	}
	ev := e.sessionEvent(EventPrompt, s, now)
	ev.Prompt = Prompt{Key: title[0] + "/" + text[0], Title: title[1], Text: text[1], TitleZH: title[2], TextZH: text[2]}
	e.emit(ev)
}

// botTakes decides the bot-first / time-window split for s at now (B1,
// B2): deterministic per buyer, so the same buyer always lands on the same
// side within a window.
func (e *Engine) botTakes(s *session, now time.Time) bool {
	if !e.pol.BotFirst && len(e.pol.BotWindows) == 0 {
		return false // no bot: and no copy of the policy for BotShare's receiver
	}
	share := e.pol.BotShare(now)
	switch {
	case share <= 0:
		return false
	case share >= 1:
		return true
	}
	key := s.buyer
	if key == "" {
		key = s.entry.ID
	}
	return splitPoint(key) < share
}

// splitPoint maps a buyer id to [0, 1), uniformly (FNV-1a, then a
// splitmix64 finaliser so that ids differing in one digit spread out). It
// has no seed: the split is the same in every process and after a restore.
func splitPoint(id string) float64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return float64(h>>11) / (1 << 53)
}

// Handover passes a session from the bot to humans, because the buyer
// asked for one or the bot could not answer (B1). It takes the normal path
// (an agent with room, the queue, the offline pool) with its original
// arrival time, so it keeps its place among buyers by when they asked.
// Outside the shop's business hours (E11) it takes the offline path,
// whatever Hours.Outside says (the bot is where it comes from): an
// EventOffline with CauseOutsideHours, then, if an agent with room is
// still online, its assignment as an offline message.
//
// Errors: ErrUnknownSession, ErrNotWithBot.
func (e *Engine) Handover(now time.Time, id string) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpHandover, Session: id})
}

func (e *Engine) doHandover(now time.Time, id string) error {
	s, err := e.session(id)
	if err != nil {
		return err
	}
	if s.place != PlaceBot {
		return fmt.Errorf("%w: %q is %s", ErrNotWithBot, id, e.where(s))
	}
	e.unpark(s)
	if e.pol.Hours != nil && !e.pol.Open(now) { // E11
		e.closedReception(s, policy.OutsideOffline, now)
		return nil
	}
	e.route(s, CauseHandover, now)
	return nil
}

// SetTeamLevel records the shop's team level, as the platform re-rates it
// on the 1st of each month (P2): priority crowds take effect at silver or
// gold and stop below.
//
// Errors: ErrInvalidTeamLevel.
func (e *Engine) SetTeamLevel(now time.Time, l policy.TeamLevel) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpSetTeamLevel, TeamLevel: l})
}

func (e *Engine) doSetTeamLevel(now time.Time, l policy.TeamLevel) error {
	if l > policy.LevelGold {
		return fmt.Errorf("%w: %d", ErrInvalidTeamLevel, uint8(l))
	}
	e.level = l
	return nil
}

// TeamLevel returns the shop's current team level (P2).
func (e *Engine) TeamLevel() policy.TeamLevel { return e.level }
