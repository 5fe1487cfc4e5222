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

// Observer consumes a shop's events as the engine returns them (DESIGN
// property 9): the metrics recorder is one. Register it with
// [WithObserver]. The engine calls Observe for every event of every op
// that is not rejected, in Event.Seq order, before the op returns, on the
// goroutine that called the op (under Shop's mutex, for a Shop). Observe
// must not call the engine.
//
// An observer that also has a method Advance(time.Time) is told the
// engine's time after the events of every op that is not rejected, so it
// sees time pass when no event comes (metrics.Recorder closes its
// 3-minute reply windows so). An observer that also implements
// encoding.BinaryMarshaler and encoding.BinaryUnmarshaler is saved by
// Engine.Snapshot and loaded by Restore together with the engine, so the
// two never disagree about which events were seen.
type Observer interface {
	Observe(Event)
}

// Observer returns the observer registered under name with
// [WithObserver], or nil if there is none: a host reads a shop's
// metrics.Recorder this way, under the shop's mutex (Shop.Read).
func (e *Engine) Observer(name string) Observer {
	for i := range e.observers {
		if e.observers[i].name == name {
			return e.observers[i].o
		}
	}
	return nil
}

type observer struct {
	name  string
	o     Observer
	clock interface{ Advance(time.Time) } // o, if it has Advance
}

// WithObserver registers o under name, which identifies its state in
// snapshots. Names must be unique and non-empty; a nil o is ignored.
func WithObserver(name string, o Observer) Option {
	return optionFunc(func(e *Engine) {
		if o != nil {
			c, _ := o.(interface{ Advance(time.Time) })
			e.observers = append(e.observers, observer{name, o, c})
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
	now time.Time
	seq uint64

	crowds  map[string]bool // priority crowd id → member crowd (P1, P6)
	prompts cooldowns       // P8

	ops       uint64 // ops applied (Ops)
	observers []observer

	level policy.TeamLevel // P2
	carry bool             // out holds timer events of a rejected operation

	// The floor comes last, its counters (Stats) at its end: the fields
	// every operation reads share the first cache lines.
	floor // where the sessions are, and every move between places (spine.go)
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
	e.setPolicy(p)
	e.setPools(groupIDs(p)) // in the policy's order (E6)
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

// setPolicy installs p (valid) and what the engine derives from it.
func (e *Engine) setPolicy(p policy.Policy) {
	e.pol, e.eff = p, defaultsOf(p)
	clear(e.crowds)
	for _, c := range p.Crowds {
		e.crowds[c.ID] = c.Member
	}
}

// groupIDs returns the ids of p's groups, in order.
func groupIDs(p policy.Policy) []string {
	out := make([]string, 0, len(p.Groups))
	for _, g := range p.Groups {
		out = append(out, g.ID)
	}
	return out
}

// agent returns the agent of an id, or ErrUnknownAgent.
func (e *Engine) agent(id string) (*agent.Agent, error) {
	a, ok := e.roster.Get(id)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownAgent, id)
	}
	return a, nil
}

// session returns the open session of an id, or ErrUnknownSession.
func (e *Engine) session(id string) (*session, error) {
	s, ok := e.sessions[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownSession, id)
	}
	return s, nil
}

// Policy returns the shop's policy as it was given to New: a field whose
// zero means a default is still zero (see policy.Policy.WithDefaults).
func (e *Engine) Policy() policy.Policy { return e.pol }

// Now returns the latest time the engine has seen.
func (e *Engine) Now() time.Time { return e.now }
