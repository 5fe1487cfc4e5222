package dispatch

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kefu-dev/kefu/agent"
)

// Error classes. Every error this package returns belongs to exactly one
// of them, so that a transport maps errors in three lines:
//
//	switch {
//	case errors.Is(err, dispatch.ErrNotFound): // 404
//	case errors.Is(err, dispatch.ErrConflict): // 409
//	case errors.Is(err, dispatch.ErrInvalid):  // 400
//	}
//
// The sentinels below wrap their class; package metrics' errors do too.
var (
	// ErrNotFound: the operation names a session, agent or shop that does
	// not exist (or no longer does).
	ErrNotFound = errors.New("dispatch: not found")
	// ErrConflict: the input is well formed but the shop's state forbids
	// the operation now (a duplicate id, a session in the wrong place, an
	// offline agent, a closed shop). The same call may succeed later.
	ErrConflict = errors.New("dispatch: conflict")
	// ErrInvalid: the input itself is wrong (an empty or non-UTF-8 id, an
	// out-of-range value, a bad policy, corrupt bytes); it will never
	// succeed as it is.
	ErrInvalid = errors.New("dispatch: invalid input")
)

// sentinel is an error variable of one class; also lists the lower
// package's sentinel it stands for (agent.ErrUnknownAgent, …), so that
// errors.Is finds either.
type sentinel struct {
	msg  string
	also []error
}

func (e *sentinel) Error() string   { return e.msg }
func (e *sentinel) Unwrap() []error { return e.also }

func newError(class error, msg string, also ...error) error {
	return &sentinel{msg: msg, also: append([]error{class}, also...)}
}

// Errors returned by the [Engine]. Each is wrapped with the offending id or
// value; test with errors.Is. The doc of each operation says what a
// rejected call does (see [Engine.Apply]: it moves the clock and nothing
// else).
var (
	// ErrUnknownSession: no open session has this id (it never arrived, or
	// it closed, left or expired). Class ErrNotFound.
	ErrUnknownSession = newError(ErrNotFound, "dispatch: unknown session")
	// ErrDuplicateSession: a session with this id is already open. Class
	// ErrConflict.
	ErrDuplicateSession = newError(ErrConflict, "dispatch: duplicate session")
	// ErrEmptySessionID: a session id must not be empty. Class ErrInvalid.
	ErrEmptySessionID = newError(ErrInvalid, "dispatch: empty session id")
	// ErrInvalidID: an id (session, buyer, agent, crowd) is not valid
	// UTF-8. Ids travel in snapshots and the op wire format as JSON
	// strings, which cannot hold such bytes without loss; the engine
	// refuses them at the door. Class ErrInvalid.
	ErrInvalidID = newError(ErrInvalid, "dispatch: id is not valid UTF-8")
	// ErrNotWaiting: the operation needs a session in the queue pool or the
	// offline pool (Leave, manual Assign), and this one is not there.
	// Class ErrConflict.
	ErrNotWaiting = newError(ErrConflict, "dispatch: session is not waiting")
	// ErrNotInReception: the operation needs a session in an agent's list
	// (Transfer), and this one is not there. Class ErrConflict.
	ErrNotInReception = newError(ErrConflict, "dispatch: session is not in reception")
	// ErrAgentOffline: transfers and manual assignments go to online or
	// on-break agents only (S3). Class ErrConflict.
	ErrAgentOffline = newError(ErrConflict, "dispatch: agent is offline")
	// ErrSameAgent: a session cannot be transferred to the agent holding
	// it. Class ErrConflict.
	ErrSameAgent = newError(ErrConflict, "dispatch: session is already with this agent")
	// ErrNotYourSession: an agent may write only in a session in its own
	// list (S4: not to a buyer another agent serves). Class ErrConflict.
	ErrNotYourSession = newError(ErrConflict, "dispatch: session is not in this agent's list")
	// ErrBuyerUnreachable: the buyer blocked the shop or forbids messages
	// (S4, the host's flag). Class ErrConflict.
	ErrBuyerUnreachable = newError(ErrConflict, "dispatch: buyer cannot be messaged")
	// ErrDMLimit: the private-message limit to a buyer who has not followed
	// and never chatted is reached (L6). Class ErrConflict.
	ErrDMLimit = newError(ErrConflict, "dispatch: message limit to a stranger reached")
	// ErrInvalidSender: a Sender other than FromBuyer, FromAgent, FromBot
	// and FromSystem. Class ErrInvalid.
	ErrInvalidSender = newError(ErrInvalid, "dispatch: invalid sender")
	// ErrInvalidPage: a negative offset or limit. Class ErrInvalid.
	ErrInvalidPage = newError(ErrInvalid, "dispatch: invalid page")
	// ErrNotWithBot: Handover needs a session held by the bot. Class
	// ErrConflict.
	ErrNotWithBot = newError(ErrConflict, "dispatch: session is not with the bot")
	// ErrInvalidTeamLevel: a team level above policy.LevelGold. Class
	// ErrInvalid.
	ErrInvalidTeamLevel = newError(ErrInvalid, "dispatch: invalid team level")
	// ErrInvalidPriority: Arrival.Priority outside (-PriorityBand,
	// PriorityBand). Class ErrInvalid.
	ErrInvalidPriority = newError(ErrInvalid, "dispatch: invalid priority")
	// ErrUnknownGroup: AgentConfig.Group names no group of the policy.
	// Class ErrInvalid: the groups are the policy's.
	ErrUnknownGroup = newError(ErrInvalid, "dispatch: unknown group")
	// ErrClockStep: the operation's time is further ahead of the engine's
	// clock than Policy.MaxClockStep allows. The operation changed
	// nothing, not even the clock. Class ErrInvalid.
	ErrClockStep = newError(ErrInvalid, "dispatch: time too far ahead of the shop's clock")
	// ErrInvalidPolicy: New, SetPolicy or Restore got a policy that does
	// not validate; the error also wraps the policy's *policy.FieldError.
	// Class ErrInvalid.
	ErrInvalidPolicy = newError(ErrInvalid, "dispatch: invalid policy")
	// ErrPolicyConflict: SetPolicy would leave the shop's state outside
	// the new policy (an agent's capacity outside the new bounds, a group
	// removed that an agent or a waiting session still has); change the
	// state first. Class ErrConflict.
	ErrPolicyConflict = newError(ErrConflict, "dispatch: policy conflicts with the shop's state")
	// ErrPolicyMismatch: Restore got a policy other than the one the
	// snapshot was taken under (see SnapshotPolicy). Class ErrInvalid.
	ErrPolicyMismatch = newError(ErrInvalid, "dispatch: policy differs from the snapshot's")
	// ErrNotOffered: Accept and Reject need a session offered to this
	// agent (E1), and this one is not (it was never offered, the offer
	// timed out, or it is offered to another agent). Class ErrConflict.
	ErrNotOffered = newError(ErrConflict, "dispatch: session is not offered to this agent")
	// ErrNoWrapUp: EndWrapUp needs an agent in wrap-up (E5). Class
	// ErrConflict.
	ErrNoWrapUp = newError(ErrConflict, "dispatch: agent is not wrapping up")
	// ErrInvalidOp: an Op of no known kind, or bytes that are not an
	// encoded Op or Event. Class ErrInvalid.
	ErrInvalidOp = newError(ErrInvalid, "dispatch: invalid op")

	// ErrUnknownAgent: no agent has this id. It also matches
	// agent.ErrUnknownAgent. Class ErrNotFound.
	ErrUnknownAgent = newError(ErrNotFound, "dispatch: unknown agent", agent.ErrUnknownAgent)
	// ErrDuplicateAgent: an agent with this id exists. It also matches
	// agent.ErrDuplicateAgent. Class ErrConflict.
	ErrDuplicateAgent = newError(ErrConflict, "dispatch: duplicate agent", agent.ErrDuplicateAgent)
	// ErrEmptyAgentID: an agent id must not be empty. It also matches
	// agent.ErrEmptyID. Class ErrInvalid.
	ErrEmptyAgentID = newError(ErrInvalid, "dispatch: empty agent id", agent.ErrEmptyID)
	// ErrAgentBusy: an agent with sessions in reception cannot be removed;
	// transfer or close them first. It also matches agent.ErrAgentBusy.
	// Class ErrConflict.
	ErrAgentBusy = newError(ErrConflict, "dispatch: agent has sessions in reception", agent.ErrAgentBusy)
	// ErrInvalidStatus: a status other than Online, Break and Offline. It
	// also matches agent.ErrInvalidStatus. Class ErrInvalid.
	ErrInvalidStatus = newError(ErrInvalid, "dispatch: invalid status", agent.ErrInvalidStatus)
	// ErrCapacityOutOfRange: a limit outside the policy's bounds (C2, C3).
	// It also matches agent.ErrCapacityOutOfRange. Class ErrInvalid.
	ErrCapacityOutOfRange = newError(ErrInvalid, "dispatch: capacity out of range", agent.ErrCapacityOutOfRange)
	// ErrCapacityMode: a capacity mode the platform does not offer (for
	// example unlimited, the zero agent.Capacity, on Douyin). It also
	// matches agent.ErrCapacityMode. Class ErrInvalid.
	ErrCapacityMode = newError(ErrInvalid, "dispatch: capacity mode not allowed", agent.ErrCapacityMode)
)

// fromAgent turns an error of package agent into this package's sentinel,
// keeping its detail ("agent: unknown agent: \"x\"" becomes "dispatch:
// unknown agent: \"x\"").
func fromAgent(err error) error {
	for _, m := range [...]struct{ from, to error }{
		{agent.ErrUnknownAgent, ErrUnknownAgent}, {agent.ErrDuplicateAgent, ErrDuplicateAgent},
		{agent.ErrEmptyID, ErrEmptyAgentID}, {agent.ErrAgentBusy, ErrAgentBusy},
		{agent.ErrInvalidStatus, ErrInvalidStatus}, {agent.ErrCapacityOutOfRange, ErrCapacityOutOfRange},
		{agent.ErrCapacityMode, ErrCapacityMode},
	} {
		if errors.Is(err, m.from) {
			return fmt.Errorf("%w%s", m.to, strings.TrimPrefix(err.Error(), m.from.Error()))
		}
	}
	return err
}
