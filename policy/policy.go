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
	// (Taobao 最近联系, 003) when that agent is online and below its cap;
	// otherwise it falls back to LeastSaturated. It never routes a
	// returning buyer to an offline, on-break or full agent.
	RecentContact
)

// String returns the strategy's name.
func (s Strategy) String() string {
	switch s {
	case LeastSaturated:
		return "least-saturated"
	case RoundRobin:
		return "round-robin"
	case RecentContact:
		return "recent-contact"
	}
	return fmt.Sprintf("Strategy(%d)", uint8(s))
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
}

// DefaultOfflineValidity is Douyin Feige's validity of a pending offline
// message: 7 days (O3, 004: 待处理留言分配有效期为7天).
const DefaultOfflineValidity = 7 * 24 * time.Hour

// OfflineTTL returns OfflineValidity, or DefaultOfflineValidity when it is 0.
func (p Policy) OfflineTTL() time.Duration {
	if p.OfflineValidity == 0 {
		return DefaultOfflineValidity
	}
	return p.OfflineValidity
}

// Validate returns nil or a *FieldError naming the first invalid field.
func (p Policy) Validate() error {
	if p.Strategy > RecentContact {
		return &FieldError{Field: "Strategy", Err: fmt.Errorf("unknown strategy %d", uint8(p.Strategy))}
	}
	if err := p.Capacity.Validate(); err != nil {
		return &FieldError{Field: "Capacity", Err: err}
	}
	if p.OfflineValidity < 0 {
		return &FieldError{Field: "OfflineValidity", Err: fmt.Errorf("negative duration %v", p.OfflineValidity)}
	}
	return nil
}
