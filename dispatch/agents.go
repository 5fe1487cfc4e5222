package dispatch

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/agent"
)

// AgentConfig describes a new agent.
type AgentConfig struct {
	// Capacity is the agent's max reception (C1). The zero value is
	// agent.Unlimited(), which a policy may forbid (Douyin).
	Capacity agent.Capacity
	// Status is the agent's first status; the zero value means
	// agent.Online (S2: a new agent's first status is online).
	// agent.Offline means "not logged in yet": its first Login makes it
	// online.
	Status agent.Status
	// Group is the policy group the agent serves first (R2); "" for none.
	Group string
}

// AddAgent adds an agent. If it is online with room, it takes waiting
// sessions at once (O1, C5). A capacity below the policy's WarnBelow
// returns an EventWarning (C3).
//
// Errors: ErrEmptyAgentID, ErrDuplicateAgent, ErrInvalidStatus,
// ErrCapacityOutOfRange, ErrCapacityMode, ErrUnknownGroup.
func (e *Engine) AddAgent(now time.Time, id string, cfg AgentConfig) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpAddAgent, Agent: id, AgentConfig: cfg})
}

func (e *Engine) doAddAgent(now time.Time, id string, cfg AgentConfig) error {
	if cfg.Status == 0 {
		cfg.Status = agent.Online
	}
	if !cfg.Status.Valid() {
		return fmt.Errorf("%w: %d", ErrInvalidStatus, uint8(cfg.Status))
	}
	if err := e.pol.Capacity.Check(cfg.Capacity); err != nil {
		if cfg.Capacity == (agent.Capacity{}) {
			// The zero Capacity is Unlimited, which some platforms do not
			// offer (Douyin): say where it came from.
			return fmt.Errorf("add agent %q: AgentConfig.Capacity is zero, which means unlimited: %w (set a limit, e.g. agent.Limit(20))", id, fromAgent(err))
		}
		return fmt.Errorf("add agent %q: %w", id, fromAgent(err))
	}
	if cfg.Group != "" && !e.pol.HasGroup(cfg.Group) {
		return fmt.Errorf("%w: %q", ErrUnknownGroup, cfg.Group)
	}
	if !utf8.ValidString(id) {
		return fmt.Errorf("%w: agent %q", ErrInvalidID, id)
	}
	a, err := e.roster.Add(id, cfg.Capacity, now)
	if err != nil {
		return fromAgent(err)
	}
	e.newDesk(a)
	if cfg.Group != "" {
		e.roster.SetGroup(a, cfg.Group)
	}
	switch cfg.Status {
	case agent.Offline:
		e.roster.Logout(a) // remembers online for the first Login (S2)
	case agent.Break:
		_ = e.roster.SetStatus(a, agent.Break) // valid
	}
	e.warnCapacity(a, now)
	e.fill(a, now)
	return nil
}

// RemoveAgent removes an agent with no session in reception.
//
// Errors: ErrUnknownAgent, ErrAgentBusy (transfer or close its sessions
// first).
func (e *Engine) RemoveAgent(now time.Time, id string) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpRemoveAgent, Agent: id})
}

func (e *Engine) doRemoveAgent(now time.Time, id string) error {
	a, ok := e.roster.Get(id)
	if ok && e.readDesk(a).list.Len() > 0 { // inactive sessions hold no unit (E9) but are its
		return fmt.Errorf("%w: %q holds %d sessions", ErrAgentBusy, id, e.readDesk(a).list.Len())
	}
	if err := e.roster.Remove(id); err != nil {
		return fromAgent(err)
	}
	if ok {
		e.dropDesk(a)
		e.forgetDecliner(a)
	}
	return nil
}

// Login gives the agent back the status it had when it logged out (S2); an
// agent that comes back online takes waiting sessions at once (O1, C5).
//
// Errors: ErrUnknownAgent.
func (e *Engine) Login(now time.Time, id string) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpLogin, Agent: id})
}

func (e *Engine) doLogin(now time.Time, id string) error {
	a, err := e.agent(id)
	if err != nil {
		return err
	}
	e.roster.Login(a)
	e.fill(a, now)
	return nil
}

// Logout takes the agent offline and remembers its status for the next
// Login (S2). Its sessions stay in its list, or go back to the queue if the
// policy says so (S5). An agent with unlimited capacity going offline gets
// a WarnUnlimitedOffline (O5).
//
// Errors: ErrUnknownAgent.
func (e *Engine) Logout(now time.Time, id string) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpLogout, Agent: id})
}

func (e *Engine) doLogout(now time.Time, id string) error {
	a, err := e.agent(id)
	if err != nil {
		return err
	}
	e.goOffline(a, now)
	return nil
}

// goOffline is Logout's effect, shared with SetStatus(Offline).
func (e *Engine) goOffline(a *agent.Agent, now time.Time) {
	was := a.Status()
	e.roster.Logout(a)
	if was == agent.Offline {
		return
	}
	if a.Capacity().IsUnlimited() {
		e.emit(Event{Kind: EventWarning, At: now, Agent: a.ID(), Warning: WarnUnlimitedOffline})
	}
	e.withdrawOffers(a, now) // E1: an offline agent cannot accept
	switch {
	case e.pol.RequeueOnOffline: // S5
		e.requeueList(a, now)
		e.drain(now)
	case e.pol.ReassignOnOffline: // E4
		e.reassignList(a, now)
	default:
		e.noQueue(now) // withdrawn offers may have gone back to the queue (Q4)
	}
}

// SetStatus sets the agent's status (S1). Going online pulls waiting
// sessions in at once (O1, C5); going on break or offline keeps the
// agent's sessions (S5). Setting Offline is the same as Logout: the next
// Login restores the status before it (S2).
//
// Errors: ErrUnknownAgent, ErrInvalidStatus.
func (e *Engine) SetStatus(now time.Time, id string, s agent.Status) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpSetStatus, Agent: id, Status: s})
}

func (e *Engine) doSetStatus(now time.Time, id string, s agent.Status) error {
	a, err := e.agent(id)
	if err != nil {
		return err
	}
	if !s.Valid() {
		return fmt.Errorf("%w: %d", ErrInvalidStatus, uint8(s))
	}
	if s == agent.Offline {
		e.goOffline(a, now)
		return nil
	}
	_ = e.roster.SetStatus(a, s) // valid
	e.fill(a, now)
	return nil
}

// SetCapacity sets the agent's max reception (C1, C2, C3). Lowering it below
// the agent's load evicts nothing; raising it pulls waiting sessions in at
// once (C6). A value below the policy's WarnBelow returns an EventWarning
// (C3).
//
// Errors: ErrUnknownAgent, ErrCapacityOutOfRange, ErrCapacityMode.
func (e *Engine) SetCapacity(now time.Time, id string, c agent.Capacity) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpSetCapacity, Agent: id, Capacity: c})
}

func (e *Engine) doSetCapacity(now time.Time, id string, c agent.Capacity) error {
	a, err := e.agent(id)
	if err != nil {
		return err
	}
	if err := e.pol.Capacity.Check(c); err != nil {
		return fmt.Errorf("set capacity of %q: %w", id, fromAgent(err))
	}
	e.roster.SetCapacity(a, c)
	e.warnCapacity(a, now)
	e.fill(a, now)
	return nil
}

func (e *Engine) warnCapacity(a *agent.Agent, now time.Time) {
	if e.pol.Capacity.Low(a.Capacity()) {
		e.emit(Event{Kind: EventWarning, At: now, Agent: a.ID(), Warning: WarnCapacityLow})
	}
}
