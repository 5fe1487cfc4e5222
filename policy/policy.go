package policy

import (
	"errors"
	"fmt"
	"time"

	"github.com/kefu-dev/kefu/agent"
)

// ErrInvalid is wrapped by every error [Policy.Validate] returns.
var ErrInvalid = errors.New("policy: invalid")

// FieldError names the Policy field that failed validation and why. It
// wraps ErrInvalid and, where there is one, the cause (for example
// agent.ErrCapacityOutOfRange).
type FieldError struct {
	Field string // e.g. "Strategy", "Capacity.Max"
	Err   error  // the reason
}

// Error returns "policy: invalid Field: reason".
func (e *FieldError) Error() string { return fmt.Sprintf("policy: invalid %s: %v", e.Field, e.Err) }

// Unwrap returns ErrInvalid and the reason, for errors.Is.
func (e *FieldError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// Strategy chooses among several online agents with room (R1).
type Strategy uint8

const (
	// LeastSaturated picks the agent with the lowest load/limit; ties go to
	// the agent idle longest (last received a session earliest), then to the
	// lower id. The zero value. An unlimited agent's saturation is 0.
	LeastSaturated Strategy = iota
	// RoundRobin deals sessions to the agents with room in turn, in id
	// order, starting after the agent served last.
	RoundRobin
	// RecentContact sends a buyer back to the agent who served them last
	// (Taobao 最近联系, 003), if that was within Policy.RecentContactTTL,
	// when that agent is online and below its cap;
	// otherwise it falls back to LeastSaturated. It never routes a
	// returning buyer to an offline, on-break or full agent.
	RecentContact
)

// strategyNames are the strategies' text names, indexed by Strategy.
var strategyNames = [...]string{LeastSaturated: "least-saturated", RoundRobin: "round-robin", RecentContact: "recent-contact"}

// String returns the strategy's name, or "Strategy(n)" for an unknown
// value.
func (s Strategy) String() string {
	if int(s) < len(strategyNames) {
		return strategyNames[s]
	}
	return fmt.Sprintf("Strategy(%d)", uint8(s))
}

// MarshalText implements encoding.TextMarshaler: "least-saturated",
// "round-robin" or "recent-contact". An unknown strategy is an error
// wrapping ErrInvalid.
func (s Strategy) MarshalText() ([]byte, error) { return marshalName(strategyNames[:], s, "strategy") }

// UnmarshalText implements encoding.TextUnmarshaler: it accepts exactly
// the names MarshalText writes. Other text is an error wrapping
// ErrInvalid and leaves s unchanged.
func (s *Strategy) UnmarshalText(text []byte) error {
	return unmarshalName(strategyNames[:], s, text, "strategy")
}

// Policy is one shop's dispatch rules. The zero value is a valid policy:
// least-saturated, queue on, any capacity.
type Policy struct {
	// Strategy chooses among online agents with room (R1).
	Strategy Strategy
	// NoQueue is Douyin's 不排队 (Q4): when every online agent is full, a
	// new session is assigned anyway, over the cap, to the least saturated
	// online, non-suspended agent (ties: idle longest). False: it waits in
	// the queue pool (Q1).
	NoQueue bool
	// Capacity is what the platform accepts as an agent's max reception
	// (C2, C3). Setting a capacity outside it is an error.
	Capacity agent.Bounds
	// OfflineValidity is how long a message left while no agent was online
	// waits in the offline pool for auto-distribution before it expires
	// with an event (O3). 0 means DefaultOfflineValidity.
	OfflineValidity time.Duration

	// BuyerIdleClose closes a session in an agent's list when its last
	// message came from the agent, the bot or the system (an auto-reply),
	// or when nobody wrote since it started, and the buyer then writes
	// nothing for this long: Kuaishou's 20 minutes (L2), Douyin's user
	// timeout (L3). 0 never closes.
	BuyerIdleClose time.Duration
	// AgentIdleClose closes a session in an agent's list when the buyer
	// wrote last and nobody answers for this long: Douyin's agent timeout
	// (L3). 0 never closes.
	AgentIdleClose time.Duration
	// OfflineBatch bounds the flood of O5: an agent holds at most this many
	// open sessions taken from the offline pool at once, so one who comes
	// online with unlimited capacity does not receive the whole backlog;
	// it takes another as it closes one. 0: no bound beyond capacity.
	OfflineBatch int
	// RequeueOnOffline moves an agent's open sessions back to the queue,
	// with their original arrival time (so ahead of later buyers), when the
	// agent goes offline (S5). False: they stay with the agent, as on
	// Kuaishou and Douyin.
	RequeueOnOffline bool
	// DMLimit is Douyin's private-message rule (L6): to a buyer who has
	// not followed the shop and never chatted, at most this many agent
	// messages until the buyer replies or follows. 0: no limit.
	DMLimit int
	// HistoryLimit is how many closed sessions the engine keeps per agent
	// for its history list (L4). 0 means DefaultHistoryLimit.
	HistoryLimit int
	// RecentContactTTL is how long after a buyer's last assignment the
	// engine remembers that agent as the buyer's recent contact (R1
	// RecentContact, P9); a buyer who returns later is routed like a new
	// one. It bounds the memory the strategy needs by the buyers served in
	// the last TTL. 0 means DefaultRecentContactTTL.
	RecentContactTTL time.Duration

	// Location is the shop's time zone, for day boundaries (P4: crowd
	// membership counts from the next local day) and bot windows (B2).
	// nil means UTC.
	Location *time.Location

	// BotFirst sends new sessions to the shop's bot first (机器人优先, B1);
	// the buyer reaches a human when they ask or the bot cannot answer
	// (Engine.Handover).
	BotFirst bool
	// BotWindows divert a share of new sessions to the bot in daily time
	// windows (B2); outside them, BotFirst decides. Windows must not
	// overlap.
	BotWindows []Window
	// BotIdleClose closes a session held by the bot after this much
	// silence; 0 means DefaultBotIdleClose. Bot sessions always time out.
	BotIdleClose time.Duration

	// Crowds are the priority-reception crowds (优先接待人群, P1-P10), at
	// most MaxCrowds.
	Crowds []Crowd
	// TeamLevel is the shop's team level when the engine starts; priority
	// crowds take effect only at silver or gold (P2). Engine.SetTeamLevel
	// changes it when the platform re-rates the shop on the 1st.
	TeamLevel TeamLevel
	// PriorityAtQueueHead: when every agent is full, a priority buyer
	// waits at the head of the queue (a priority band) instead of being
	// assigned over the cap to the least saturated agent (P1).
	PriorityAtQueueHead bool

	// Groups serve buyer crowds (R2).
	Groups []Group
	// GroupFallback lets any agent take a group's buyers when no agent of
	// the group can; without it they wait for the group.
	GroupFallback bool

	// OfflineDiversion is where new sessions go while no agent is online
	// (O4).
	OfflineDiversion OfflineDiversion

	// MaxClockStep bounds how far ahead of the engine's clock the time of
	// an operation may be: an operation (other than Advance, which the
	// host drives from its own clock) whose time is more than
	// MaxClockStep after the latest time the engine has seen is refused
	// as invalid input and changes nothing, so that one bad timestamp (a
	// year 2262 from a broken client) cannot move a shop's clock for
	// good. 0: no bound.
	MaxClockStep time.Duration

	// The agent side of routing beyond the seeds (E1-E5), each off when
	// zero: the seed rules above are unchanged.

	// OfferTimeout makes every automatic assignment to an agent with room
	// an offer the agent must accept within this long (E1; Twilio
	// TaskRouter's reservation timeout is 120 s). The offer holds a unit of
	// the agent's capacity (the session's units with Weights, E10). Accept puts the session in the agent's list;
	// Reject, or the timeout, puts it back where it waited (the queue, or
	// the offline pool it came from), in its arrival order, and offers it
	// to the next agent. Assignments over the cap (Q4, P1 when every agent
	// is full), manual assignments (C4), transfers and sessions an agent
	// starts are never offers. 0: assignments are direct, as on the
	// platforms.
	OfferTimeout time.Duration
	// OfferTimeoutStatus is the status an agent is set to when an offer to
	// it times out (E2: TaskRouter's timeout activity, Genesys' "not
	// responding"), so that one absent agent does not hold the queue:
	// agent.Break or agent.Offline (which withdraws its other offers). 0:
	// the status does not change. Requires OfferTimeout.
	OfferTimeoutStatus agent.Status
	// OfferRetry: when every agent with room that may take a waiting
	// session has declined it (rejected it, let its offer time out, or let
	// it go unanswered, E3), its declines are forgotten and it is offered
	// again in the normal order (E2). False: it waits until an agent that
	// has not declined it has room, or a person assigns it. Requires
	// OfferTimeout or ReassignAfter. Without OfferTimeoutStatus, an
	// absent agent who is the only one with room is offered the session
	// again at every timeout, until someone else can take it.
	OfferRetry bool
	// ReassignAfter moves a session that stays unreplied this long in an
	// agent's list (counted from when it entered the list, or from the
	// buyer's first unanswered message if later) to another agent with
	// room, or back to the queue ahead of later arrivals (E3). The agent
	// it leaves counts as having declined it (E2). 0: never.
	ReassignAfter time.Duration
	// ReassignLimit is how many times one session may be moved by
	// ReassignAfter; 0 means 1 (Rocket.Chat's auto-transfer fires once).
	// At most 255. Requires ReassignAfter.
	ReassignLimit int
	// ReassignOnOffline moves an agent's open sessions, when it goes
	// offline, to other online agents with room (offers, with
	// OfferTimeout), and the rest to the queue at their original arrival
	// order (E4): the third S5 mode, next to keeping them (the default)
	// and RequeueOnOffline. At most one of the two may be set.
	ReassignOnOffline bool
	// WrapUp holds the agent's unit of capacity (the session's units with
	// Weights, E10) for this long after each session it held closes (E5:
	// after-contact work), then frees it and
	// pulls the queue head (C5). Engine.EndWrapUp ends it early. 0: the
	// unit frees at the close.
	WrapUp time.Duration

	// Queue shaping beyond the seeds (E6-E11), each off when zero.

	// AgingStep raises a waiting session's priority by one for every
	// AgingStep it has waited, so that low-priority buyers are not starved
	// (E6); among equal aged priorities, the session that reached its
	// level first is served first. The order never changes as time passes
	// (queue.Order). 0: no aging (Q2).
	AgingStep time.Duration
	// QueueCap bounds the shop's queue, every group's pool counted
	// (dispatch.Engine.QueueLen; E8, Amazon Connect's maximum contacts in
	// queue): a new buyer (an arrival routed to the queue, or a bot's
	// hand-over) who would make it longer is diverted (Divert).
	// Sessions coming back to the queue (S5's requeue, a declined offer,
	// a reassignment) and priority buyers at the queue's head (P1) are
	// not. 0: no cap. A group's QueueCap bounds its own pool (R2, without
	// GroupFallback) too.
	QueueCap int
	// MaxWait bounds how long a session waits in the queue pool (E8): at
	// MaxWait after it entered the queue it is diverted (Divert), at that
	// instant. 0: no bound. A group's MaxWait replaces it for the group's
	// own pool.
	MaxWait time.Duration
	// Divert is where a buyer over QueueCap or MaxWait goes (E8), with
	// the reason as the event's Cause: the offline pool (a message the
	// agents take when they have room, O2; the zero value), the bot, or
	// nowhere (EventRefused: the session ends there). Never dropped
	// silently; the buyer's way out (Leave) stays.
	Divert Diversion
	// InactiveAfter releases the capacity (its unit, or its Weights units)
	// of a replied session in an agent's list whose buyer has written
	// nothing for this long, since the buyer's last message or the
	// session's entry into the list, whichever is later (E9; Zendesk's 10 minutes): it is flagged
	// FlagInactive, stops counting toward the agent's load (EventInactive)
	// and the agent takes the queue head (C5). The buyer's next message
	// makes it count again, over the cap if need be. An unreplied session
	// (the buyer waits for an answer) never goes inactive. 0: never.
	InactiveAfter time.Duration
	// Hours are the shop's business hours (E11): a session that arrives
	// outside them takes the offline path or the bot, by Hours.Outside.
	// nil: always open. Like the policy's slices, the engine shares it
	// with the caller: do not change it after handing the policy over.
	Hours *Hours
	// Weights are the units of an agent's capacity a session costs by its
	// kind (E10 weighted capacity; Omni-Channel's capacity units, e.g.
	// after-sales 2): a session of a listed kind (dispatch.Arrival.Kind)
	// costs its Units, any other 1. An agent's load and saturation count
	// units, and it is auto-assigned a session only if its load plus the
	// session's units is within its cap. A session's weight is fixed when
	// it arrives: a later change of Weights applies to later arrivals. At
	// most MaxWeights kinds, each listed once, each 1..MaxWeightUnits.
	// nil: every session costs 1, as on the platforms.
	Weights []Weight
}

// Diversion is where a buyer over the queue's cap or maximum wait goes
// (E8).
type Diversion uint8

const (
	// DivertOffline: to the offline pool, a message for later. The zero
	// value.
	DivertOffline Diversion = iota
	// DivertBot: to the shop's bot.
	DivertBot
	// DivertRefuse: nowhere: the session ends with EventRefused.
	DivertRefuse
)

// divertNames are the diversions' text names, indexed by Diversion.
var divertNames = [...]string{DivertOffline: "offline", DivertBot: "bot", DivertRefuse: "refuse"}

// String returns "offline", "bot", "refuse", or "Diversion(n)".
func (d Diversion) String() string {
	if int(d) < len(divertNames) {
		return divertNames[d]
	}
	return fmt.Sprintf("Diversion(%d)", uint8(d))
}

// MarshalText implements encoding.TextMarshaler with String's names; an
// unknown diversion is an error wrapping ErrInvalid.
func (d Diversion) MarshalText() ([]byte, error) { return marshalName(divertNames[:], d, "diversion") }

// UnmarshalText implements encoding.TextUnmarshaler: exactly the names
// MarshalText writes.
func (d *Diversion) UnmarshalText(text []byte) error {
	return unmarshalName(divertNames[:], d, text, "diversion")
}

// MaxReassignLimit bounds Policy.ReassignLimit (E3).
const MaxReassignLimit = 255

// DefaultHistoryLimit is the number of closed sessions kept per agent when
// Policy.HistoryLimit is 0: one page of an agent's history list, the
// sessions a buyer who comes back soon, or polls a session that just
// closed, asks about. Each record costs 64 bytes plus its ids, so a
// 20-agent shop's histories stay within about 26 KB (a few times the
// shop's own state) and a million shops within tens of GB less than at
// 200. A host that shows a longer history keeps it from the Closed
// events, which carry every field of the record.
const DefaultHistoryLimit = 20

// DefaultRecentContactTTL is how long a recent contact is remembered when
// Policy.RecentContactTTL is 0: 30 days. The platforms name no window;
// this is kefu's decision (README, "Decisions where the platforms are
// vague").
const DefaultRecentContactTTL = 30 * 24 * time.Hour

// DefaultOfflineValidity is Douyin Feige's validity of a pending offline
// message: 7 days (O3, 004: 待处理留言分配有效期为7天).
const DefaultOfflineValidity = 7 * 24 * time.Hour

// WithDefaults returns a copy of p with every field whose zero means a
// default set to that default: OfflineValidity to DefaultOfflineValidity,
// HistoryLimit to DefaultHistoryLimit, RecentContactTTL to
// DefaultRecentContactTTL, BotIdleClose to DefaultBotIdleClose and a nil
// Location to time.UTC. Other fields, whose zero is a setting of its own
// (0: never, no limit, off), are unchanged. The copy shares p's slices.
//
// Read the effective value of a defaulted field from the result; a caller
// on a hot path computes it once (the dispatch engine does in New).
func (p Policy) WithDefaults() Policy {
	if p.OfflineValidity == 0 {
		p.OfflineValidity = DefaultOfflineValidity
	}
	if p.HistoryLimit == 0 {
		p.HistoryLimit = DefaultHistoryLimit
	}
	if p.RecentContactTTL == 0 {
		p.RecentContactTTL = DefaultRecentContactTTL
	}
	if p.BotIdleClose == 0 {
		p.BotIdleClose = DefaultBotIdleClose
	}
	if p.Location == nil {
		p.Location = time.UTC
	}
	return p
}

// Validate returns nil or a *FieldError naming the first invalid field.
func (p Policy) Validate() error {
	if p.Strategy > RecentContact {
		return &FieldError{Field: "Strategy", Err: fmt.Errorf("unknown strategy %d", uint8(p.Strategy))}
	}
	if err := p.Capacity.Validate(); err != nil {
		return &FieldError{Field: "Capacity", Err: err}
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"OfflineValidity", p.OfflineValidity}, {"BuyerIdleClose", p.BuyerIdleClose}, {"AgentIdleClose", p.AgentIdleClose},
		{"RecentContactTTL", p.RecentContactTTL}, {"MaxClockStep", p.MaxClockStep},
		{"OfferTimeout", p.OfferTimeout}, {"ReassignAfter", p.ReassignAfter}, {"WrapUp", p.WrapUp},
		{"AgingStep", p.AgingStep}, {"MaxWait", p.MaxWait}, {"InactiveAfter", p.InactiveAfter}} {
		if d.v < 0 {
			return &FieldError{Field: d.field, Err: fmt.Errorf("negative duration %v", d.v)}
		}
	}
	if err := p.validateReception(); err != nil {
		return err
	}
	if err := p.validateRouting(); err != nil {
		return err
	}
	if err := p.validateHours(); err != nil {
		return err
	}
	if err := p.validateWeights(); err != nil {
		return err
	}
	for _, n := range []struct {
		field string
		v     int
	}{{"OfflineBatch", p.OfflineBatch}, {"DMLimit", p.DMLimit}, {"HistoryLimit", p.HistoryLimit}, {"QueueCap", p.QueueCap}} {
		if n.v < 0 {
			return &FieldError{Field: n.field, Err: fmt.Errorf("negative count %d", n.v)}
		}
	}
	return nil
}

// validateRouting checks the options of E1-E5.
func (p Policy) validateRouting() error {
	switch p.OfferTimeoutStatus {
	case 0:
	case agent.Break, agent.Offline:
		if p.OfferTimeout == 0 {
			return &FieldError{Field: "OfferTimeoutStatus", Err: errors.New("set, but OfferTimeout is 0 (offers are off)")}
		}
	default:
		return &FieldError{Field: "OfferTimeoutStatus", Err: fmt.Errorf("%v: only break or offline", p.OfferTimeoutStatus)}
	}
	if p.OfferRetry && p.OfferTimeout == 0 && p.ReassignAfter == 0 {
		return &FieldError{Field: "OfferRetry", Err: errors.New("set, but neither OfferTimeout nor ReassignAfter is, so no agent ever declines")}
	}
	switch {
	case p.ReassignLimit < 0 || p.ReassignLimit > MaxReassignLimit:
		return &FieldError{Field: "ReassignLimit", Err: fmt.Errorf("%d outside 0..%d", p.ReassignLimit, MaxReassignLimit)}
	case p.ReassignLimit > 0 && p.ReassignAfter == 0:
		return &FieldError{Field: "ReassignLimit", Err: errors.New("set, but ReassignAfter is 0 (reassignment is off)")}
	}
	if p.Divert > DivertRefuse {
		return &FieldError{Field: "Divert", Err: fmt.Errorf("unknown diversion %d", uint8(p.Divert))}
	}
	for i, g := range p.Groups {
		if g.QueueCap < 0 || g.MaxWait < 0 {
			return &FieldError{Field: fmt.Sprintf("Groups[%d]", i), Err: fmt.Errorf("negative queue cap %d or maximum wait %v", g.QueueCap, g.MaxWait)}
		}
	}
	if p.RequeueOnOffline && p.ReassignOnOffline {
		return &FieldError{Field: "ReassignOnOffline", Err: errors.New("and RequeueOnOffline both set: an agent's sessions go one way when it goes offline (S5, E4)")}
	}
	return nil
}
