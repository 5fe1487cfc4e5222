package dispatch

import (
	"fmt"
	"time"

	"github.com/google/btree"
	"go.uber.org/zap"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

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
