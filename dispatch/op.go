package dispatch

import (
	"fmt"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// OpKind says which operation an [Op] is.
type OpKind uint8

// The operation kinds, one per state-changing method of [Engine]. Their
// text names (OpKind.String, the "op" field of the wire format) are part
// of the wire format and never change.
const (
	OpAddAgent     OpKind = iota + 1 // Engine.AddAgent: Agent, AgentConfig
	OpRemoveAgent                    // Engine.RemoveAgent: Agent
	OpLogin                          // Engine.Login: Agent
	OpLogout                         // Engine.Logout: Agent
	OpSetStatus                      // Engine.SetStatus: Agent, Status
	OpSetCapacity                    // Engine.SetCapacity: Agent, Capacity
	OpArrive                         // Engine.Arrive: Arrival
	OpStart                          // Engine.Start: Outbound
	OpMessage                        // Engine.Message: Message
	OpMarkRead                       // Engine.MarkRead: Session
	OpFollow                         // Engine.Follow: Session
	OpClose                          // Engine.Close: Session
	OpLeave                          // Engine.Leave: Session
	OpAssign                         // Engine.Assign: Session, Agent
	OpTransfer                       // Engine.Transfer: Session, Agent (the target)
	OpHandover                       // Engine.Handover: Session
	OpSetTeamLevel                   // Engine.SetTeamLevel: TeamLevel
	OpAdvance                        // Engine.Advance: nothing
	OpSetPolicy                      // Engine.SetPolicy: Policy
	OpAccept                         // Engine.Accept: Session, Agent
	OpReject                         // Engine.Reject: Session, Agent
	OpEndWrapUp                      // Engine.EndWrapUp: Agent
)

var opNames = [...]string{"", "add-agent", "remove-agent", "login", "logout", "set-status", "set-capacity",
	"arrive", "start", "message", "mark-read", "follow", "close", "leave", "assign", "transfer", "handover",
	"set-team-level", "advance", "set-policy", "accept", "reject", "end-wrap-up"}

// String returns the kind's wire name, e.g. "arrive".
func (k OpKind) String() string {
	if k != 0 && int(k) < len(opNames) {
		return opNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", uint8(k))
}

// MarshalText returns the kind's wire name; an unknown kind is an error
// wrapping ErrInvalidOp.
func (k OpKind) MarshalText() ([]byte, error) {
	if k == 0 || int(k) >= len(opNames) {
		return nil, fmt.Errorf("%w: kind %d", ErrInvalidOp, uint8(k))
	}
	return []byte(opNames[k]), nil
}

// UnmarshalText parses a wire name; an unknown one is an error wrapping
// ErrInvalidOp.
func (k *OpKind) UnmarshalText(b []byte) error {
	for i := 1; i < len(opNames); i++ {
		if opNames[i] == string(b) {
			*k = OpKind(i)
			return nil
		}
	}
	return fmt.Errorf("%w: kind %q", ErrInvalidOp, b)
}

// Op is one state-changing operation of the engine as a value (DESIGN
// property 8): a host logs it, ships it, and replays it with
// [Engine.Apply], which runs it through the same code as the typed method
// it stands for (Engine.Close(now, id) is Apply(now, Op{Kind: OpClose,
// Session: id})). Kind says which fields are read; the others are
// ignored and must be zero for the op to encode (see MarshalJSON).
type Op struct {
	Kind OpKind
	// Session is the session of OpMarkRead, OpFollow, OpClose, OpLeave,
	// OpAssign, OpTransfer, OpHandover, OpAccept and OpReject.
	Session string
	// Agent is the agent of OpAddAgent, OpRemoveAgent, OpLogin, OpLogout,
	// OpSetStatus, OpSetCapacity and OpEndWrapUp, the target of OpAssign
	// and OpTransfer, and who answers an offer in OpAccept and OpReject.
	Agent string
	// AgentConfig is the new agent of OpAddAgent.
	AgentConfig AgentConfig
	// Status is the status of OpSetStatus.
	Status agent.Status
	// Capacity is the capacity of OpSetCapacity.
	Capacity agent.Capacity
	// Arrival is the new session of OpArrive.
	Arrival Arrival
	// Outbound is the session an agent starts, OpStart.
	Outbound Outbound
	// Message is the message of OpMessage.
	Message Message
	// TeamLevel is the level of OpSetTeamLevel.
	TeamLevel policy.TeamLevel
	// Policy is the new policy of OpSetPolicy (nil is invalid).
	Policy *policy.Policy
}

// Apply runs op at now, exactly as the typed method it stands for
// (Engine.Arrive for OpArrive, …), and returns the same events and error.
// It is the engine's one path: every typed method calls it.
//
// # Replay
//
// The engine is deterministic: the same ops at the same times, applied to
// the same state (a new engine, or one restored from a snapshot), return
// the same events and errors and leave the same state, byte for byte in
// Snapshot. Rejected ops are part of that history, by this rule:
//
//   - An op whose time is more than Policy.MaxClockStep ahead of the
//     engine's clock is refused with ErrClockStep and changes nothing at
//     all (Advance is exempt).
//   - Any other op first moves the engine's clock to its time and fires
//     the timers due by then; only then is it checked. A rejected op
//     (any error) changes nothing else, but time has passed: the events of
//     the timers it fired are held, and returned first by the next op that
//     is not rejected (Advance never is). Their Seq numbers are taken when
//     they fire.
//
// So a host that logs every op it applies, accepted or rejected (or at
// least an Advance at the time of each rejected one), replays a shop
// exactly; one that logs only accepted ops may see timer events at other
// times after a restore.
//
// Events are numbered by Event.Seq, per engine, from 1, without gaps, and
// across Snapshot and Restore. Inside one call they come in causal order:
// first the held events of rejected calls, then the timers due by now in
// deadline order (each timer's own effects, such as the queue head its
// close pulled in, right after it), then what the op itself did, in the
// order it did it (an assignment before the prompt it shows, a close
// before the queue head it pulls in).
//
// Cost: that of the method it stands for. Unknown kinds return an error
// wrapping ErrInvalidOp.
func (e *Engine) Apply(now time.Time, op Op) ([]Event, error) { return e.apply(now, &op) }

func (e *Engine) apply(now time.Time, op *Op) ([]Event, error) {
	e.ops++
	if err := e.checkStep(now, op.Kind); err != nil {
		return nil, err
	}
	now = e.begin(now)
	var err error
	switch op.Kind {
	case OpAddAgent:
		err = e.doAddAgent(now, op.Agent, op.AgentConfig)
	case OpRemoveAgent:
		err = e.doRemoveAgent(now, op.Agent)
	case OpLogin:
		err = e.doLogin(now, op.Agent)
	case OpLogout:
		err = e.doLogout(now, op.Agent)
	case OpSetStatus:
		err = e.doSetStatus(now, op.Agent, op.Status)
	case OpSetCapacity:
		err = e.doSetCapacity(now, op.Agent, op.Capacity)
	case OpArrive:
		err = e.doArrive(now, op.Arrival)
	case OpStart:
		err = e.doStart(now, op.Outbound)
	case OpMessage:
		err = e.doMessage(now, op.Message)
	case OpMarkRead:
		err = e.doMarkRead(now, op.Session)
	case OpFollow:
		err = e.doFollow(now, op.Session)
	case OpClose:
		err = e.doClose(now, op.Session)
	case OpLeave:
		err = e.doLeave(now, op.Session)
	case OpAssign:
		err = e.doAssign(now, op.Session, op.Agent)
	case OpTransfer:
		err = e.doTransfer(now, op.Session, op.Agent)
	case OpHandover:
		err = e.doHandover(now, op.Session)
	case OpSetTeamLevel:
		err = e.doSetTeamLevel(now, op.TeamLevel)
	case OpAdvance:
	case OpSetPolicy:
		err = e.doSetPolicy(now, op.Policy)
	case OpAccept:
		err = e.doAccept(now, op.Session, op.Agent)
	case OpReject:
		err = e.doReject(now, op.Session, op.Agent)
	case OpEndWrapUp:
		err = e.doEndWrapUp(now, op.Agent)
	default:
		err = fmt.Errorf("%w: kind %d", ErrInvalidOp, uint8(op.Kind))
	}
	if err != nil {
		return e.fail(err)
	}
	for i := range e.observers {
		o := &e.observers[i]
		for j := range e.out {
			o.o.Observe(e.out[j])
		}
		if o.clock != nil {
			o.clock.Advance(now)
		}
	}
	return e.out, nil
}

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

// Ops returns the number of ops the engine has applied, accepted or
// rejected (every call of Apply, which every typed method is), counted
// across Snapshot and Restore. A host that numbers a shop's logged ops
// from 1 replays, after a Restore, exactly those numbered above Ops().
func (e *Engine) Ops() uint64 { return e.ops }

// LastSeq returns the Seq of the latest event the engine has numbered,
// 0 before any, counted across Snapshot and Restore: a host that tells a
// reconnecting subscriber "nothing after Seq n" compares n with it.
// Events a rejected op held back (see Apply) are numbered already.
func (e *Engine) LastSeq() uint64 { return e.evSeq }

// checkStep is the MaxClockStep guard: it runs before anything else, so a
// refused op changes nothing, not even the clock.
func (e *Engine) checkStep(now time.Time, k OpKind) error {
	step := e.pol.MaxClockStep
	if step <= 0 || k == OpAdvance || e.now.IsZero() {
		return nil
	}
	if d := now.Sub(e.now); d > step {
		return fmt.Errorf("%w: %v is %v after the shop's clock %v (Policy.MaxClockStep %v)", ErrClockStep,
			now, d, e.now, step)
	}
	return nil
}

// NextDeadline returns the earliest pending timer of the shop (an
// auto-close, an offline message's expiry, a bot session's silence), and
// false when none is pending. A host that calls Advance at that time, and
// again whenever an op returns, needs no ticker: no timer falls due in
// between. Events held by a rejected op are not a deadline: they come with
// the next op.
func (e *Engine) NextDeadline() (time.Time, bool) {
	t, ok := e.timers.Min()
	if !ok {
		return time.Time{}, false
	}
	return e.time(t.at), true
}
