package dispatch

import (
	"fmt"
	"time"

	"github.com/kefu-dev/kefu/policy"
)

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
		e.toBot(s, now)
		return
	}
	recent, _ := e.recent.get(s.buyer, ns(now))
	ag := e.choose(s, now)
	if ag == nil { // everyone is full
		if e.pol.PriorityAtQueueHead && !e.pol.NoQueue { // a no-queue shop has no queue head (Q4)
			s.entry.Priority += PriorityBand
			e.park(s, PlaceQueue, now)
			return
		}
		ag = e.leastActive(s) // P1: over the cap, the least saturated
	}
	e.assign(s, ag, CausePriority, now)
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
