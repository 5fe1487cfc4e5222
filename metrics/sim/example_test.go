package sim_test

import (
	"fmt"
	"time"

	"github.com/kefu-dev/kefu/metrics/sim"
	"github.com/kefu-dev/kefu/policy"
)

// A four-hour evening of a small shop: three agents, one chat each, a live
// stream at 20:00 that doubles the traffic, buyers who give up after five
// minutes on average.
func ExampleRun() {
	rep, err := sim.Run(sim.Config{
		Start:    time.Date(2026, 11, 11, 18, 0, 0, 0, policy.ChinaStandardTime()),
		Arrivals: []float64{20, 24, 48, 30}, // per hour
		Staffing: []int{3, 3, 4, 3},         // agents online
		Service:  sim.Exponential(5 * time.Minute),
		Patience: sim.Exponential(5 * time.Minute),
		Seed:     7,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(rep)
	// Output:
	// hour     agents arrivals   served abandoned P(wait)  ASA(s)  SL180s   maxQ occupancy
	// 18:00         3       17       17         0   0.000     0.0   1.000      0     0.406
	// 19:00         3       27       24         3   0.292    29.6   0.815      2     0.594
	// 20:00         4       60       43        17   0.698   103.4   0.567      9     0.874
	// 21:00         3       30       25         5   0.200    21.6   0.800      3     0.661
	// total         4      134      109        25   0.385    52.3   0.724      9     0.652
}

// SuggestStaffing reads the arrival profile and the mean service time and
// asks Erlang C for each hour.
func ExampleSuggestStaffing() {
	plan, err := sim.SuggestStaffing(sim.Config{
		Arrivals: []float64{20, 24, 48, 30},
		Service:  sim.Exponential(5 * time.Minute),
	}, 0.8) // 80% answered within 180 s
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan)
	// Output:
	// [3 4 6 4]
}
