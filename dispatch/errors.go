package dispatch

import (
	"errors"

	"github.com/kefu-dev/kefu/agent"
)

// Errors returned by the [Engine]. Each is wrapped with the offending id or
// value; test with errors.Is. A rejected operation changes nothing (DESIGN
// property 4).
var (
	// ErrUnknownSession: no open session has this id (it never arrived, or
	// it closed, left or expired).
	ErrUnknownSession = errors.New("dispatch: unknown session")
	// ErrDuplicateSession: a session with this id is already open.
	ErrDuplicateSession = errors.New("dispatch: duplicate session")
	// ErrEmptySessionID: a session id must not be empty.
	ErrEmptySessionID = errors.New("dispatch: empty session id")
	// ErrNotWaiting: the operation needs a session in the queue pool or the
	// offline pool (Leave, manual Assign), and this one is not there.
	ErrNotWaiting = errors.New("dispatch: session is not waiting")
	// ErrNotInReception: the operation needs a session in an agent's list
	// (Transfer), and this one is not there.
	ErrNotInReception = errors.New("dispatch: session is not in reception")
	// ErrAgentOffline: transfers and manual assignments go to online or
	// on-break agents only (S3).
	ErrAgentOffline = errors.New("dispatch: agent is offline")
	// ErrSameAgent: a session cannot be transferred to the agent holding it.
	ErrSameAgent = errors.New("dispatch: session is already with this agent")
	// ErrNotYourSession: an agent may write only in a session in its own
	// list (S4: not to a buyer another agent serves).
	ErrNotYourSession = errors.New("dispatch: session is not in this agent's list")
	// ErrBuyerUnreachable: the buyer blocked the shop or forbids messages
	// (S4, the host's flag).
	ErrBuyerUnreachable = errors.New("dispatch: buyer cannot be messaged")
	// ErrDMLimit: the private-message limit to a buyer who has not followed
	// and never chatted is reached (L6).
	ErrDMLimit = errors.New("dispatch: message limit to a stranger reached")
	// ErrInvalidSender: a Sender other than FromBuyer, FromAgent, FromBot
	// and FromSystem.
	ErrInvalidSender = errors.New("dispatch: invalid sender")
	// ErrInvalidPage: a negative offset or limit.
	ErrInvalidPage = errors.New("dispatch: invalid page")
	// ErrNotWithBot: Handover needs a session held by the bot.
	ErrNotWithBot = errors.New("dispatch: session is not with the bot")
	// ErrInvalidTeamLevel: a team level above policy.LevelGold.
	ErrInvalidTeamLevel = errors.New("dispatch: invalid team level")
	// ErrInvalidPriority: Arrival.Priority outside (-PriorityBand,
	// PriorityBand).
	ErrInvalidPriority = errors.New("dispatch: invalid priority")
	// ErrUnknownGroup: AgentConfig.Group names no group of the policy.
	ErrUnknownGroup = errors.New("dispatch: unknown group")

	// ErrUnknownAgent is agent.ErrUnknownAgent: no agent has this id.
	ErrUnknownAgent = agent.ErrUnknownAgent
	// ErrDuplicateAgent is agent.ErrDuplicateAgent.
	ErrDuplicateAgent = agent.ErrDuplicateAgent
	// ErrEmptyAgentID is agent.ErrEmptyID.
	ErrEmptyAgentID = agent.ErrEmptyID
	// ErrAgentBusy is agent.ErrAgentBusy: an agent with sessions in
	// reception cannot be removed; transfer or close them first.
	ErrAgentBusy = agent.ErrAgentBusy
	// ErrInvalidStatus is agent.ErrInvalidStatus.
	ErrInvalidStatus = agent.ErrInvalidStatus
	// ErrCapacityOutOfRange is agent.ErrCapacityOutOfRange: a limit outside
	// the policy's bounds (C2, C3).
	ErrCapacityOutOfRange = agent.ErrCapacityOutOfRange
	// ErrCapacityMode is agent.ErrCapacityMode: a capacity mode the
	// platform does not offer.
	ErrCapacityMode = agent.ErrCapacityMode
)
