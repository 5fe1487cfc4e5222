package dispatch

import (
	"fmt"
	"strings"
	"time"

	"github.com/kefu-dev/kefu/agent"
)

// Kind says what an [Event] reports.
type Kind uint8

const (
	// EventAssigned: the session entered Agent's reception list; Cause says
	// why (C1, C4, C5, Q4, O1).
	EventAssigned Kind = iota + 1
	// EventQueued: no online agent had room; the session waits in the queue
	// pool (Q1).
	EventQueued
	// EventOffline: no agent was online; the session waits in the offline
	// pool (O1).
	EventOffline
	// EventTransferred: the session moved from From to Agent (R3, C4).
	EventTransferred
	// EventClosed: the session closed; Agent is who held it, if anyone (L1).
	EventClosed
	// EventLeft: the buyer left the queue or offline pool before being
	// served; no session is counted (Q3).
	EventLeft
	// EventExpired: an offline message was not distributed within the
	// policy's validity and left auto-distribution (O3).
	EventExpired
	// EventWarning: the operation went through; Warning says what the host
	// should show a person (C3, O5).
	EventWarning
	// EventMessage: a message was written; Sender says by whom (L5). It
	// feeds reply-time metrics.
	EventMessage
	// EventBot: the session is held by the shop's bot (B1, B2, P5); a later
	// EventAssigned or EventQueued is its hand-over to humans.
	EventBot
	// EventPrompt: show the buyer Prompt (P6-P9).
	EventPrompt
	// EventOffered: the session is offered to Agent, which holds it until
	// it accepts, rejects or lets the offer time out (E1); Cause says why,
	// as for EventAssigned, and From is the agent a reassigned session
	// left (E3, E4).
	EventOffered
	// EventAccepted: Agent accepted the offer; the session entered its
	// reception list (E1).
	EventAccepted
	// EventRejected: Agent rejected the offer, or went offline with it
	// pending; the next events put the session back or offer it to the
	// next agent (E1, E2).
	EventRejected
	// EventOfferTimedOut: Agent let the offer time out (E1); Status is the
	// status the policy then set the agent to, if it did (E2).
	EventOfferTimedOut
	// EventWrapUp: the session Agent held closed, and its unit of capacity
	// stays held for the policy's wrap-up time (E5).
	EventWrapUp
	// EventWrapUpEnded: a wrap-up of Agent ended (its time ran out, or
	// Engine.EndWrapUp): the unit is free (E5).
	EventWrapUpEnded
	// EventRefused: the session ends unserved: the queue was full or the
	// buyer waited the longest the shop allows, and the policy refuses
	// (E8: Policy.Divert); Cause says which.
	EventRefused
	// EventInactive: the buyer of a replied session in Agent's list has
	// been silent for Policy.InactiveAfter: it no longer counts toward the
	// agent's load, and carries FlagInactive (E9). The buyer's next
	// message (its EventMessage, without the flag) makes it count again.
	EventInactive
)

var kindNames = [...]string{"", "assigned", "queued", "offline", "transferred", "closed", "left", "expired", "warning",
	"message", "bot", "prompt", "offered", "accepted", "rejected", "offer-timed-out", "wrap-up", "wrap-up-ended", "refused", "inactive"}

// String returns the kind's name, e.g. "assigned".
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Cause says why a session was assigned, or, on an EventOffline or
// EventBot, why it was diverted there (CauseOutsideHours).
type Cause uint8

const (
	// CauseArrival: routed to an agent with room when it arrived (R1).
	CauseArrival Cause = iota + 1
	// CauseFreed: taken from the queue or offline pool because the agent
	// had room: a session left its list (C5), its cap was raised (C6), or it
	// came online (O1).
	CauseFreed
	// CauseNoQueue: every online agent was full and the shop does not queue
	// (Q4); assigned over the cap to the least saturated.
	CauseNoQueue
	// CauseManual: assigned by a person (shop owner, supervisor, agent); may
	// exceed the cap (C4).
	CauseManual
	// CauseStarted: the agent started the session (Engine.Start).
	CauseStarted
	// CausePriority: a priority-crowd buyer skipped the bot and the queue
	// (P1); over the cap if every agent was full.
	CausePriority
	// CauseExclusive: the buyer's exclusive agent took it (P10).
	CauseExclusive
	// CauseHandover: the bot handed it to a human (B1).
	CauseHandover
	// CauseReassigned: moved from From, which left it unreplied too long
	// (E3) or went offline (E4).
	CauseReassigned
	// CauseQueueCap, CauseMaxWait: on EventOffline, EventBot or
	// EventRefused, why the buyer was diverted from the queue (E8): it was
	// full, or the buyer waited the longest the shop allows.
	CauseQueueCap
	CauseMaxWait
	// CauseWidened: taken by an agent of a ring its group's widening just
	// opened (E7).
	CauseWidened
	// CauseOutsideHours: on an EventOffline or EventBot, the session
	// arrived, or the bot handed it over, outside the shop's business
	// hours (E11, Policy.Hours): the host tells the buyer the shop is
	// closed. Never on an assignment.
	CauseOutsideHours
)

var causeNames = [...]string{"", "arrival", "freed", "no-queue", "manual", "started", "priority", "exclusive", "handover",
	"reassigned", "queue-cap", "max-wait", "widened", "outside-hours"}

// noCause is the Cause of an event that has none: a session that went
// where it went by the usual path.
const noCause Cause = 0

// Diversion reports whether c is a cause of a diversion (CauseQueueCap,
// CauseMaxWait, CauseOutsideHours: on an EventOffline, EventBot or
// EventRefused) rather than of an assignment. Stats.Diverted counts the
// first, Stats.Assigned the others.
func (c Cause) Diversion() bool {
	return c == CauseQueueCap || c == CauseMaxWait || c == CauseOutsideHours
}

// String returns the cause's name, e.g. "freed".
func (c Cause) String() string {
	if int(c) < len(causeNames) && c != 0 {
		return causeNames[c]
	}
	return fmt.Sprintf("Cause(%d)", uint8(c))
}

// Flags are marks a session carries in the agent's list.
type Flags uint8

const (
	// FlagOffline: the session came from the offline pool, assigned
	// automatically; the UI shows 离线留言自动分配 (O2).
	FlagOffline Flags = 1 << iota
	// FlagTransferred: the session was transferred to its agent (R3).
	FlagTransferred
	// FlagStarted: the agent started the session (M6: not "received").
	FlagStarted
	// FlagReassigned: the session was moved from an agent that left it
	// unreplied too long (E3) or went offline (E4).
	FlagReassigned
	// FlagInactive: the buyer fell silent; the session does not count
	// toward its agent's load until the buyer writes (E9).
	FlagInactive
)

// String returns the flags joined by "|", or "" for none.
func (f Flags) String() string {
	var parts []string
	if f&FlagOffline != 0 {
		parts = append(parts, "offline")
	}
	if f&FlagTransferred != 0 {
		parts = append(parts, "transferred")
	}
	if f&FlagStarted != 0 {
		parts = append(parts, "started")
	}
	if f&FlagReassigned != 0 {
		parts = append(parts, "reassigned")
	}
	if f&FlagInactive != 0 {
		parts = append(parts, "inactive")
	}
	return strings.Join(parts, "|")
}

// Warning is advice for a person; the operation that returned it succeeded.
type Warning uint8

const (
	// WarnCapacityLow: the capacity is allowed but below the platform's
	// WarnBelow (C3, Douyin: below 5).
	WarnCapacityLow Warning = iota + 1
	// WarnUnlimitedOffline: an agent with unlimited capacity (不自动挂起)
	// went offline; when it comes back, the offline backlog may all land
	// in its list (O5, 000). Policy.OfflineBatch bounds that.
	WarnUnlimitedOffline
)

var warnings = [...]struct{ code, text, zh string }{
	{},
	{"capacity-low", "max reception is too low; buyers may be unable to reach an agent",
		"客服接待人数过低,可能会导致用户无法进入"},
	{"unlimited-offline", "agent went offline with no max reception: when it returns, the offline backlog goes to it at once (up to the policy's offline batch, if one is set)",
		"建议客服离线前不要选择「不自动挂起」选项,这样可能会导致离线积压的会话在客服上线后全部进入其接待中会话"},
}

func (w Warning) known() bool { return w != 0 && int(w) < len(warnings) }

// Code returns a stable key for the warning, e.g. "capacity-low".
func (w Warning) Code() string {
	if w.known() {
		return warnings[w].code
	}
	return fmt.Sprintf("Warning(%d)", uint8(w))
}

// Text returns the warning in English.
func (w Warning) Text() string {
	if w.known() {
		return warnings[w].text
	}
	return w.Code()
}

// TextZH returns the platform's own wording (004 for C3, 000 for O5).
func (w Warning) TextZH() string {
	if w.known() {
		return warnings[w].zh
	}
	return w.Code()
}

// Sender is who wrote a message.
type Sender uint8

const (
	// FromBuyer: the buyer.
	FromBuyer Sender = iota + 1
	// FromAgent: a human agent; the only sender whose message is a reply
	// (L5) and who is bound by S4 and L6.
	FromAgent
	// FromBot: the shop's robot.
	FromBot
	// FromSystem: a system auto-reply or notice.
	FromSystem
)

var senderNames = [...]string{"", "buyer", "agent", "bot", "system"}

// String returns "buyer", "agent", "bot" or "system".
func (s Sender) String() string {
	if s != 0 && int(s) < len(senderNames) {
		return senderNames[s]
	}
	return fmt.Sprintf("Sender(%d)", uint8(s))
}

// CloseReason says why a session closed.
type CloseReason uint8

const (
	// CloseManual: the agent (or the host) closed it (L1).
	CloseManual CloseReason = iota + 1
	// CloseBuyerIdle: the shop side wrote last and the buyer stayed silent
	// for Policy.BuyerIdleClose (L2, L3).
	CloseBuyerIdle
	// CloseAgentIdle: the buyer wrote last and nobody answered for
	// Policy.AgentIdleClose (L3).
	CloseAgentIdle
	// CloseBotIdle: a session held by the bot fell silent for
	// Policy.BotIdleClose (B1).
	CloseBotIdle
)

var closeNames = [...]string{"", "manual", "buyer-idle", "agent-idle", "bot-idle"}

// String returns the reason's name, e.g. "buyer-idle".
func (r CloseReason) String() string {
	if r != 0 && int(r) < len(closeNames) {
		return closeNames[r]
	}
	return fmt.Sprintf("CloseReason(%d)", uint8(r))
}

// Prompt is what the buyer sees when priority reception succeeds (P6).
type Prompt struct {
	// Key is a stable id: "member/skip-queue", "priority/skip-bot", …
	Key string `json:"key"`
	// Title and Text in English; TitleZH and TextZH are the platform's
	// exact wording (003).
	Title   string `json:"title"`
	Text    string `json:"text"`
	TitleZH string `json:"titleZH"`
	TextZH  string `json:"textZH"`
}

// Event is one effect of an operation (DESIGN property 2). The host acts
// on it: shows the session in the agent's list, tells the buyer they are
// queued, shows the warning. Metrics consume the same events.
type Event struct {
	// Seq numbers the shop's events from 1, without gaps, across calls
	// and across Snapshot and Restore: a consumer that receives events at
	// least once drops those it has seen (see Engine.Apply for the order
	// inside one call).
	Seq  uint64
	Kind Kind
	// At is when it happened: the operation's time, or for a timer the
	// deadline at which it fell due.
	At time.Time
	// Session and Buyer identify the session (empty for agent warnings).
	Session string
	Buyer   string
	// Agent is the agent concerned: assigned to, transferred to, closed at,
	// warned about.
	Agent string
	// From is the agent a transferred session left.
	From string
	// Cause is why an EventAssigned or EventOffered happened; on an
	// EventQueued, CauseReassigned marks a session moved to the queue from
	// From (E3, E4), as opposed to requeued (S5); on an EventOffline or
	// EventBot, CauseOutsideHours marks a session placed there because
	// the shop was closed (E11), zero for the other reasons (O1, O4, B1,
	// B2, P5).
	Cause Cause
	// Flags are the session's marks after the event.
	Flags Flags
	// Arrived is when the buyer first asked (the shop's 3-minute clock, M3).
	Arrived time.Time
	// Warning is set on EventWarning.
	Warning Warning
	// Sender is who wrote, on EventMessage.
	Sender Sender
	// Reason is why an EventClosed happened.
	Reason CloseReason
	// Prompt is what to show the buyer, on EventPrompt (P6).
	Prompt Prompt
	// Status is the status the policy set Agent to when an offer timed
	// out (EventOfferTimedOut, Policy.OfferTimeoutStatus, E2); 0 if it
	// did not.
	Status agent.Status
}

// String renders the event on one line, for logs and examples.
func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", e.At.Format("15:04:05"), e.Kind)
	if e.Session != "" {
		fmt.Fprintf(&b, " %s", e.Session)
	}
	switch e.Kind {
	case EventAssigned, EventOffered:
		fmt.Fprintf(&b, " -> %s (%s", e.Agent, e.Cause)
		if e.From != "" {
			fmt.Fprintf(&b, " from %s", e.From)
		}
		b.WriteString(")")
	case EventAccepted, EventRejected, EventWrapUp, EventWrapUpEnded:
		fmt.Fprintf(&b, " by %s", e.Agent)
	case EventOfferTimedOut:
		fmt.Fprintf(&b, " at %s", e.Agent)
		if e.Status != 0 {
			fmt.Fprintf(&b, ", now %s", e.Status)
		}
	case EventTransferred:
		fmt.Fprintf(&b, " %s -> %s", e.From, e.Agent)
	case EventClosed:
		if e.Agent != "" {
			fmt.Fprintf(&b, " at %s", e.Agent)
		}
		if e.Reason != CloseManual && e.Reason != 0 {
			fmt.Fprintf(&b, " (%s)", e.Reason)
		}
	case EventMessage:
		fmt.Fprintf(&b, " from %s", e.Sender)
	case EventPrompt:
		fmt.Fprintf(&b, " %s「%s」%s", e.Prompt.Key, e.Prompt.TitleZH, e.Prompt.TextZH)
	case EventQueued:
		if e.From != "" {
			fmt.Fprintf(&b, " (requeued from %s)", e.From)
		}
	case EventWarning:
		fmt.Fprintf(&b, " %s: %s", e.Agent, e.Warning.Code())
	case EventOffline, EventBot, EventRefused: // why it was diverted (E8, E11), if it was
		if e.Cause != 0 {
			fmt.Fprintf(&b, " (%s)", e.Cause)
		}
	case EventInactive:
		fmt.Fprintf(&b, " at %s", e.Agent)
	}
	if e.Flags != 0 {
		fmt.Fprintf(&b, " [%s]", e.Flags)
	}
	return b.String()
}
