package policy_test

import (
	"errors"
	"fmt"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// The zero Policy is valid; an invalid one names the field at fault.
func ExamplePolicy_Validate() {
	var zero policy.Policy
	fmt.Println(zero.Validate(), zero.Strategy)

	p := policy.Policy{Capacity: agent.Bounds{Min: 10, Max: 5}}
	err := p.Validate()
	var fe *policy.FieldError
	if errors.As(err, &fe) {
		fmt.Println("field:", fe.Field)
	}
	fmt.Println(errors.Is(err, policy.ErrInvalid), errors.Is(err, agent.ErrCapacityOutOfRange))
	fmt.Println(err)
	// Output:
	// <nil> least-saturated
	// field: Capacity
	// true true
	// policy: invalid Capacity: agent: capacity out of range: Min 10 > Max 5
}

// A Kuaishou-like shop: round-robin among agents with room, capacities
// 1..500 (C2).
func ExamplePolicy() {
	p := policy.Policy{
		Strategy: policy.RoundRobin,
		Capacity: agent.KuaishouBounds(),
	}
	fmt.Println(p.Validate())
	fmt.Println(p.Capacity.Check(agent.Limit(501)))
	// Output:
	// <nil>
	// agent: capacity out of range: 501 not in 1..500
}

func ExampleStrategy_String() {
	for _, s := range []policy.Strategy{policy.LeastSaturated, policy.RoundRobin, policy.RecentContact, 7} {
		fmt.Println(s)
	}
	// Output:
	// least-saturated
	// round-robin
	// recent-contact
	// Strategy(7)
}
