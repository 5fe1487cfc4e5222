package dispatch

import (
	"fmt"
	"math"
	"time"

	"github.com/google/btree"
	"go.uber.org/zap"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
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
// Engine.outreach.
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

	group    uint16 // R2: index into Engine.pools; 0: none, anyone may take it
	place    Place
	flags    Flags
	timer    timerKind
	lastFrom Sender // 0: nobody wrote yet (a session an agent started)
}

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
)

// timer is a session's entry in the timer index, its key copied in so
// that a search reads no session.
type timer struct {
	at  int64 // the session's deadline
	seq uint64
	s   *session
}

func timerOf(s *session) timer { return timer{at: s.deadline, seq: s.entry.Seq, s: s} }

// lessDeadline orders the timer index: deadline, then sequence (total).
func lessDeadline(a, b timer) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// defaulted holds the fields of a policy whose zero means a default, as
// policy.Policy.WithDefaults gives them: 40 bytes, not a second Policy.
type defaulted struct {
	OfflineValidity, RecentContactTTL, BotIdleClose time.Duration
	HistoryLimit                                    int
	Location                                        *time.Location
}

func defaultsOf(p policy.Policy) defaulted {
	d := p.WithDefaults()
	return defaulted{OfflineValidity: d.OfflineValidity, RecentContactTTL: d.RecentContactTTL,
		BotIdleClose: d.BotIdleClose, HistoryLimit: d.HistoryLimit, Location: d.Location}
}

// Option configures an [Engine].
type Option interface{ apply(*Engine) }

type optionFunc func(*Engine)

func (f optionFunc) apply(e *Engine) { f(e) }

// nopLogger is every engine's default logger: one, not one per shop.
var nopLogger = zap.NewNop()

// WithLogger makes the engine log its decisions at debug level to l. The
// default is zap.NewNop(). A nil l keeps the default.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(e *Engine) {
		if l != nil {
			e.log = l
		}
	})
}

// Engine dispatches the sessions of one shop. Create it with [New]; the
// zero value is not usable.
//
// Every operation takes the time it happens at. Time inside the engine
// never runs backwards: a time before the latest one seen is taken as the
// latest. Before doing what it was asked, every operation fires the timers
// that fell due by its time, as [Engine.Advance] would, so the outcome does
// not depend on how often the host calls Advance. The engine keeps times
// as Unix nanoseconds, exact from 1970 to 2262 (a time outside is taken as
// the nearest end), and returns them in the location of the latest time
// passed in.
//
// Operations return the events they caused, in order. The returned slice is
// owned by the engine and is valid until the next call of an operation;
// copy it to keep it (the engine reuses the buffer so that the dispatch
// path does not allocate). A rejected operation returns a nil slice and an
// error and changes nothing but the engine's clock: time passed, and the
// timers due by then fired; their events are kept and returned, first, by
// the next operation that succeeds (Advance always does).
//
// An Engine is not safe for concurrent use: one goroutine drives it, or the
// host serialises calls with its own mutex (one per shop; shops share
// nothing).
type Engine struct {
	floor // where the sessions are, and every move between places (spine.go)

	now time.Time
	seq uint64

	crowds  map[string]bool // priority crowd id → member crowd (P1, P6)
	prompts cooldowns       // P8

	ops       uint64 // ops applied (Ops)
	observers []observer

	level policy.TeamLevel // P2
	carry bool             // out holds timer events of a rejected operation
}

// New returns an engine for one shop with policy p, which must be valid.
// The error wraps policy.ErrInvalid and names the field.
func New(p policy.Policy, opts ...Option) (*Engine, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	e := &Engine{
		floor: floor{
			log:      nopLogger,
			roster:   agent.NewRoster(),
			sessions: make(map[string]*session),
			loc:      time.UTC,
			outreach: make(map[*session]outreach),
			timers:   btree.NewWithFreeListG(32, lessDeadline, btree.NewFreeListG[timer](0)), // a free list costs 256 B
			recent:   newContacts(int64(p.WithDefaults().RecentContactTTL)),
		},
		level:   p.TeamLevel,
		crowds:  make(map[string]bool),
		prompts: newCooldowns(),
	}
	e.setPools(groupIDs(p))
	e.setPolicy(p)
	for _, o := range opts {
		o.apply(e)
	}
	names := make(map[string]bool, len(e.observers))
	for _, o := range e.observers {
		if o.name == "" || names[o.name] {
			return nil, fmt.Errorf("%w: observer name %q is empty or taken", ErrInvalid, o.name)
		}
		names[o.name] = true
	}
	return e, nil
}

// Policy returns the shop's policy as it was given to New: a field whose
// zero means a default is still zero (see policy.Policy.WithDefaults).
func (e *Engine) Policy() policy.Policy { return e.pol }

// Now returns the latest time the engine has seen.
func (e *Engine) Now() time.Time { return e.now }

// begin starts an operation at now: it clamps the time, clears the event
// buffer (unless it holds events a rejected call could not deliver) and
// fires the timers due by then. It returns the time to use.
func (e *Engine) begin(now time.Time) time.Time {
	now = now.Round(0) // drop the monotonic reading: times compare and persist exactly
	e.loc = now.Location()
	switch {
	case now.Before(e.now):
		now = e.now.In(e.loc)
	case now.Before(minTime):
		now = minTime.In(e.loc)
	case now.After(maxTime):
		now = maxTime.In(e.loc)
	}
	if !e.carry {
		e.out = e.out[:0]
	}
	e.carry = false
	e.now = now
	e.fire(now)
	return now
}

// fail ends a rejected operation: the timer events already in the buffer
// are kept for the next call.
func (e *Engine) fail(err error) ([]Event, error) {
	e.carry = len(e.out) > 0
	return nil, err
}

// Advance fires every timer due by now, in deadline order, and returns
// what they caused. Cost O(k log n) for k timers due. It never fails, and
// Policy.MaxClockStep does not bound it: the host drives it from its own
// clock.
func (e *Engine) Advance(now time.Time) []Event {
	evs, _ := e.apply(now, &Op{Kind: OpAdvance})
	return evs
}

// fire handles every timer whose deadline is at or before now, in
// deadline order. What a timer does happens at its deadline: a session
// auto-closed at 10:20 frees its agent at 10:20, and the queue head it
// pulls in may itself time out before now, in the same loop.
func (e *Engine) fire(now time.Time) {
	for {
		s, at, kind := e.due(ns(now))
		switch kind {
		case 0:
			return
		case timerExpire:
			e.expire(s, e.time(at))
		case timerBuyerIdle:
			e.closeSession(s, e.time(at), CloseBuyerIdle)
		case timerAgentIdle:
			e.closeSession(s, e.time(at), CloseAgentIdle)
		case timerBotIdle:
			e.closeSession(s, e.time(at), CloseBotIdle)
		}
	}
}
