// Package policy holds a shop's dispatch rules as plain data: how to choose
// among agents with room (R1), whether sessions queue (Q1) or go straight to
// an agent over its cap (Q4), and what capacity settings the shop's platform
// accepts (C2, C3).
//
// A [Policy] is a value: build it, [Policy.Validate] it (the dispatch engine
// does so in its constructor), hand it to the engine. The zero Policy is
// valid: least-saturated routing, queue on, any capacity allowed.
//
// # Usage
//
//	p := policy.Policy{
//		Strategy: policy.RecentContact, // R1 sticky, falls back to least-saturated
//		NoQueue:  false,                // Q1: queue when everyone is full
//		Capacity: agent.KuaishouBounds(),
//	}
//	if err := p.Validate(); err != nil {
//		var fe *policy.FieldError // names the field at fault
//		...
//	}
package policy
