package model

import (
	"errors"
	"time"

	"github.com/kefu-dev/kefu/agent"
)

// The enums below have the numeric values of dispatch's, so that a test
// converts between the two by casting.

// Kind says what an Event reports (dispatch.Kind).
type Kind uint8

const (
	EventAssigned Kind = iota + 1
	EventQueued
	EventOffline
	EventTransferred
	EventClosed
	EventLeft
	EventExpired
	EventWarning
	EventMessage
	EventBot
	EventPrompt
	EventOffered // E1
	EventAccepted
	EventRejected
	EventOfferTimedOut
	EventWrapUp // E5
	EventWrapUpEnded
	EventRefused  // E8
	EventInactive // E9
)

// Cause says why a session was assigned (dispatch.Cause).
type Cause uint8

const (
	CauseArrival Cause = iota + 1
	CauseFreed
	CauseNoQueue
	CauseManual
	CauseStarted
	CausePriority
	CauseExclusive
	CauseHandover
	CauseReassigned // E3, E4
	CauseQueueCap   // E8
	CauseMaxWait
	CauseWidened      // E7
	CauseOutsideHours // E11
)

// Flags are a session's marks (dispatch.Flags).
type Flags uint8

const (
	FlagOffline Flags = 1 << iota
	FlagTransferred
	FlagStarted
	FlagReassigned // E3, E4
	FlagInactive   // E9
)

// Warning is advice for a person (dispatch.Warning).
type Warning uint8

const (
	WarnCapacityLow Warning = iota + 1
	WarnUnlimitedOffline
)

// Sender is who wrote a message (dispatch.Sender).
type Sender uint8

const (
	FromBuyer Sender = iota + 1
	FromAgent
	FromBot
	FromSystem
)

// CloseReason says why a session closed (dispatch.CloseReason).
type CloseReason uint8

const (
	CloseManual CloseReason = iota + 1
	CloseBuyerIdle
	CloseAgentIdle
	CloseBotIdle
)

// Place is where an open session is (dispatch.Place).
type Place uint8

const (
	PlaceAgent Place = iota + 1
	PlaceQueue
	PlaceOffline
	PlaceBot
	PlaceOffered // E1
)

// Entry is where a buyer started asking (dispatch.EntryPoint).
type Entry uint8

const (
	EntryMessageBox Entry = iota
	EntryProduct
	EntryOrder
	EntryShopHome
)

// lit: only the avatar entries show the priority prompt (P7).
func (en Entry) lit() bool { return en == EntryProduct || en == EntryOrder || en == EntryShopHome }

// PriorityBand is added to the priority of a priority buyer waiting at the
// head of the queue (dispatch.PriorityBand).
const PriorityBand = 1 << 30

// PromptCooldown is how long after a prompt the same buyer gets none (P8).
const PromptCooldown = 8 * time.Hour

// Membership is a buyer's membership of a crowd since a time
// (dispatch.Membership).
type Membership struct {
	Crowd string
	Since time.Time
}

// Prompt is what the buyer sees when priority reception succeeds
// (dispatch.Prompt, same fields in the same order).
type Prompt struct {
	Key                          string
	Title, Text, TitleZH, TextZH string
}

// Event is one effect of an operation (dispatch.Event, field by field).
type Event struct {
	Kind    Kind
	At      time.Time
	Session string
	Buyer   string
	Agent   string
	From    string
	Cause   Cause
	Flags   Flags
	Arrived time.Time
	Warning Warning
	Sender  Sender
	Reason  CloseReason
	Prompt  Prompt
	Status  agent.Status // EventOfferTimedOut: the status the agent was set to (E2)
}

// SessionInfo is an open session's state (dispatch.SessionInfo).
type SessionInfo struct {
	ID           string
	Buyer        string
	Priority     int
	Arrived      time.Time
	Place        Place
	Agent        string
	Flags        Flags
	Deadline     time.Time
	LastFrom     Sender
	LastMessage  time.Time
	Unreplied    bool
	WaitingSince time.Time
	Unread       int
	Entered      time.Time
	FirstReply   time.Time
}

// AgentInfo is an agent's state (dispatch.AgentInfo).
type AgentInfo struct {
	ID         string
	Status     agent.Status
	Capacity   agent.Capacity
	Load       int
	Offers     int // E1
	WrapUps    int // E5
	Saturation float64
	IdleSince  time.Time
}

// Closed is a session in an agent's history (dispatch.Closed).
type Closed struct {
	Session     string
	Buyer       string
	Arrived     time.Time
	LastMessage time.Time
	At          time.Time
	Reason      CloseReason
	Flags       Flags

	seq uint64
}

// Page selects part of a list: skip Offset, at most Limit (0: all).
type Page struct{ Offset, Limit int }

// Errors, one for each of dispatch's sentinels, with the same names.
var (
	ErrUnknownSession     = errors.New("model: unknown session")
	ErrDuplicateSession   = errors.New("model: duplicate session")
	ErrEmptySessionID     = errors.New("model: empty session id")
	ErrNotWaiting         = errors.New("model: session is not waiting")
	ErrNotInReception     = errors.New("model: session is not in reception")
	ErrAgentOffline       = errors.New("model: agent is offline")
	ErrSameAgent          = errors.New("model: session is already with this agent")
	ErrNotYourSession     = errors.New("model: session is not in this agent's list")
	ErrBuyerUnreachable   = errors.New("model: buyer cannot be messaged")
	ErrDMLimit            = errors.New("model: message limit to a stranger reached")
	ErrInvalidSender      = errors.New("model: invalid sender")
	ErrInvalidPage        = errors.New("model: invalid page")
	ErrNotWithBot         = errors.New("model: session is not with the bot")
	ErrInvalidTeamLevel   = errors.New("model: invalid team level")
	ErrInvalidPriority    = errors.New("model: invalid priority")
	ErrUnknownGroup       = errors.New("model: unknown group")
	ErrUnknownAgent       = errors.New("model: unknown agent")
	ErrDuplicateAgent     = errors.New("model: duplicate agent")
	ErrEmptyAgentID       = errors.New("model: empty agent id")
	ErrAgentBusy          = errors.New("model: agent has sessions in reception")
	ErrInvalidStatus      = errors.New("model: invalid status")
	ErrCapacityOutOfRange = errors.New("model: capacity out of range")
	ErrCapacityMode       = errors.New("model: capacity mode not allowed")
	ErrNotOffered         = errors.New("model: session is not offered to this agent")
	ErrNoWrapUp           = errors.New("model: agent is not wrapping up")
)
