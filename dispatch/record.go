package dispatch

import (
	"fmt"
	"math"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/queue"
)

// Place is where an open session is. Every session the engine knows is in
// exactly one place (DESIGN property 3); a closed, left or expired session
// is no longer known, and the event that removed it says so.
type Place uint8

const (
	// PlaceAgent: in an agent's reception list (接待中).
	PlaceAgent Place = iota + 1
	// PlaceQueue: waiting in the queue pool (排队池, Q1).
	PlaceQueue
	// PlaceOffline: waiting in the offline pool (离线留言, O1).
	PlaceOffline
	// PlaceBot: held by the shop's bot (B1, B2, P5, O4).
	PlaceBot
	// PlaceOffered: offered to an agent, which has not accepted it yet
	// (E1, Policy.OfferTimeout). It holds a unit of the agent's capacity
	// but is not in its list.
	PlaceOffered
)

// String returns "agent", "queue", "offline" or "bot".
func (p Place) String() string {
	switch p {
	case PlaceAgent:
		return "agent"
	case PlaceQueue:
		return "queue"
	case PlaceOffline:
		return "offline"
	case PlaceBot:
		return "bot"
	case PlaceOffered:
		return "offered"
	}
	return fmt.Sprintf("Place(%d)", uint8(p))
}

// session is the engine's record of one open session. entry comes first:
// it is what the queue and offline pools hold a pointer to.
//
// It is kept small, 112 bytes, because a sale-day queue holds 1e5-1e6 of
// them: times are Unix nanoseconds (8 bytes, not time.Time's 24, and one
// integer comparison in the indexes), the group is an index, and what only
// replied or agent-started sessions need lives beside it in
// floor.outreach.
type session struct {
	entry queue.Entry  // ID, Priority, Arrived (ns), Seq
	buyer string       //
	agent *agent.Agent // set when place == PlaceAgent

	deadline int64 // the session's one timer (ns); 0 when none

	// Lifecycle (L5): who wrote last and when, since when the buyer has
	// waited for an agent's answer, how many buyer messages are unread.
	lastMsg   int64  // ns; 0: nobody wrote yet
	waitSince int64  // first buyer message with no agent reply after it; 0: replied
	entered   int64  // entered its current place: an agent's list, a pool, the bot
	unread    uint32 //

	group    uint16 // R2: index into floor.pools; 0: none, anyone may take it
	place    Place
	flags    Flags
	timer    timerKind
	lastFrom Sender // 0: nobody wrote yet (a session an agent started)
	from     Place  // E1: where an offered session waited (queue or offline pool), to go back to
	moves    uint8  // E3: times reassigned for want of a reply
	ring     uint8  // E7: rings of its group's widening open to it
	units    uint8  // E10: units of capacity it costs (Policy.Weights), fixed at arrival; 0 reads as 1
}

// weight returns the units of its agent's capacity s takes in a list, an
// offer or a wrap-up (E10): 1 but for an arrival of a weighted kind.
func (s *session) weight() int { return max(int(s.units), 1) }

// outreach is the state few sessions need, kept beside them (L6, and the
// first reply SessionInfo shows).
type outreach struct {
	firstReply int64  // first agent message (ns)
	stranger   bool   // L6: buyer has not followed and never chatted
	dmSent     uint32 // agent messages since the buyer last wrote (L6)
}

// The engine keeps times as Unix nanoseconds. Zero means "none", so the
// engine's clock starts just after the Unix epoch (minTime); it ends where
// int64 nanoseconds end, in 2262 (maxTime).
var (
	minTime = time.Unix(0, 1)
	maxTime = time.Unix(0, math.MaxInt64)
)

// ns converts a time the engine has clamped to [minTime, maxTime].
func ns(t time.Time) int64 { return t.UnixNano() }

// later returns t+d, saturating at maxTime.
func later(t int64, d time.Duration) int64 {
	if d > 0 && t > math.MaxInt64-int64(d) {
		return math.MaxInt64
	}
	return t + int64(d)
}

// timerKind is what a session's deadline does when it falls due.
type timerKind uint8

const (
	timerExpire    timerKind = iota + 1 // offline message leaves auto-distribution (O3)
	timerBuyerIdle                      // auto-close: buyer silent (L2, L3)
	timerAgentIdle                      // auto-close: nobody answered the buyer (L3)
	timerBotIdle                        // a bot session falls silent (B1)
	timerOffer                          // an offer was not accepted in time (E1)
	timerReassign                       // unreplied too long in an agent's list (E3)
	timerWrapUp                         // an agent's wrap-up ends (E5)
	timerMaxWait                        // waited in the queue the longest it may (E8)
	timerInactive                       // the buyer fell silent in a replied session (E9)
	timerWiden                          // the next ring of its group opens to a waiting session (E7)
)

// timer is a session's entry in the timer index, its key copied in so
// that a search reads no session.
type timer struct {
	at  int64 // the session's deadline
	seq uint64
	s   *session
}

// timerOf returns s's entry in the timer index.
func timerOf(s *session) timer { return timer{at: s.deadline, seq: s.entry.Seq, s: s} }

// lessDeadline orders the timer index: deadline, then sequence (total).
func lessDeadline(a, b timer) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// maxFree bounds the recycled records (sessions, recent contacts) kept
// after a peak.
const maxFree = 4096
