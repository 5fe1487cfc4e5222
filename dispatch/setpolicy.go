package dispatch

import (
	"fmt"
	"slices"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// SetPolicy changes the shop's policy at now, as an operation (OpSetPolicy):
// it is logged and replayed like any other. What is decided stays
// decided; what is pending follows the new rules at once:
//
//   - Capacity bounds: every agent's capacity must fit the new bounds, or
//     the change is refused with ErrPolicyConflict naming the agent (set
//     its capacity first). Nothing is clamped (C2).
//   - Groups (R2): a group may be added; one may be removed only when no
//     agent and no open session belongs to it (ErrPolicyConflict). When
//     the groups or GroupFallback change, waiting sessions move to the
//     pools the new policy puts them in, keeping their order (Q2).
//   - Timers: every pending deadline is computed again from the new
//     durations (BuyerIdleClose, AgentIdleClose, OfflineValidity,
//     BotIdleClose), from the same starting points; a deadline the change
//     puts in the past falls due now, in this call.
//   - Waiting sessions are offered to every agent with room under the new
//     rules (a raised OfflineBatch, a wider group), and with NoQueue
//     turned on the queue goes to the least saturated agents over the cap
//     (Q4), in this call. NoQueue turned off, a lower OfflineBatch or a
//     lower cap moves nothing already placed.
//   - HistoryLimit lowered: each history drops its oldest records beyond
//     the new limit.
//   - Crowds, bot windows, the zone, the strategy, the DM limit,
//     RequeueOnOffline and MaxClockStep apply from the next decision that
//     reads them: a crowd removed no longer gives priority to the next
//     arrival, and a session already at the head of the queue by priority
//     (PriorityAtQueueHead) keeps its place.
//   - Policy.TeamLevel is the level a new engine starts at; the current
//     level is state, changed by SetTeamLevel only.
//   - RecentContactTTL: contacts older than the new TTL are forgotten now.
//
// Errors: ErrInvalidPolicy (with the *policy.FieldError), ErrPolicyConflict.
func (e *Engine) SetPolicy(now time.Time, p policy.Policy) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpSetPolicy, Policy: &p})
}

func (e *Engine) doSetPolicy(now time.Time, p *policy.Policy) error {
	if p == nil {
		return fmt.Errorf("%w: nil policy", ErrInvalidPolicy)
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	if err := e.policyFits(p); err != nil {
		return err
	}
	old := e.pol
	e.setPolicy(*p)
	if !slices.Equal(groupIDs(old), groupIDs(*p)) || old.GroupFallback != p.GroupFallback || old.AgingStep != p.AgingStep {
		e.regroup(groupIDs(*p))
	}
	if limit := e.eff.HistoryLimit; limit < old.WithDefaults().HistoryLimit {
		e.trimHistories(limit)
	}
	e.recent.ttl = int64(e.eff.RecentContactTTL)
	e.recent.forget(ns(now))
	e.retime(ns(now)) // again from the new durations
	e.fire(now)
	// Waiting sessions go to every agent the new rules give room: first
	// by the shop's strategy, as after a requeue, then each agent in id
	// order for what only it may take (its group's pool, the offline
	// pool up to a raised OfflineBatch).
	e.drain(now)
	var room []*agent.Agent
	for a := range e.roster.All() {
		if a.HasRoom() {
			room = append(room, a)
		}
	}
	for _, a := range room {
		e.fillRoom(a, now)
	}
	e.noQueue(now)
	return nil
}

// policyFits refuses a policy the shop's state does not fit: an agent's
// capacity outside its bounds, a removed group still in use.
func (e *Engine) policyFits(p *policy.Policy) error {
	for a := range e.roster.All() { // id order: the same agent is named on replay
		if err := p.Capacity.Check(a.Capacity()); err != nil {
			return fmt.Errorf("%w: agent %q has capacity %v, which the new bounds refuse (%v); set its capacity first",
				ErrPolicyConflict, a.ID(), a.Capacity(), err)
		}
		if g := a.Group(); g != "" && !p.HasGroup(g) {
			return fmt.Errorf("%w: agent %q serves group %q, which the new policy removes", ErrPolicyConflict, a.ID(), g)
		}
	}
	for _, x := range e.pools[1:] {
		if p.HasGroup(x.group) {
			continue
		}
		n := 0
		for _, s := range e.sessions {
			if s.group == x.id {
				n++
			}
		}
		if n > 0 {
			return fmt.Errorf("%w: %d open sessions belong to group %q, which the new policy removes", ErrPolicyConflict, n, x.group)
		}
	}
	return nil
}
