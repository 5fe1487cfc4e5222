package queueing_test

import (
	"fmt"

	"github.com/kefu-dev/kefu/metrics/queueing"
)

func ExampleErlangC() {
	c, _ := queueing.ErlangC(2, 1) // 2 agents, 1 Erlang offered
	fmt.Printf("C(2, 1) = %.4f\n", c)
	c, _ = queueing.ErlangC(10, 8)
	fmt.Printf("C(10, 8) = %.4f\n", c)
	// Output:
	// C(2, 1) = 0.3333
	// C(10, 8) = 0.4092
}

func ExampleASA() {
	// 40 chats an hour, 6 minutes each, 5 agents; rates per second.
	lambda, mu := 40.0/3600, 1/360.0
	asa, _ := queueing.ASA(5, lambda, mu)
	sl, _ := queueing.ServiceLevel(5, lambda, mu, 180)
	fmt.Printf("ASA %.0f s, %.1f%% answered within 180 s\n", asa, 100*sl)
	// Output:
	// ASA 199 s, 66.4% answered within 180 s
}

func ExampleStaffingFor() {
	lambda, mu := 40.0/3600, 1/360.0 // per second
	n, _ := queueing.StaffingFor(lambda, mu, 0.8, 180)
	sl, _ := queueing.ServiceLevel(n, lambda, mu, 180)
	fmt.Printf("%d agents answer %.1f%% within 180 s\n", n, 100*sl)
	// Output:
	// 6 agents answer 89.5% within 180 s
}

func ExampleErlangA() {
	// The same desk with buyers who give up after 4 minutes on average.
	lambda, mu, theta := 40.0/3600, 1/360.0, 1/240.0
	r, _ := queueing.ErlangA(5, lambda, mu, theta)
	fmt.Printf("P(wait) %.3f, P(abandon) %.3f, ASA of the served %.1f s, occupancy %.3f\n",
		r.PWait, r.PAbandon, r.ASA, r.Occupancy)
	// Output:
	// P(wait) 0.345, P(abandon) 0.117, ASA of the served 22.0 s, occupancy 0.706
}
