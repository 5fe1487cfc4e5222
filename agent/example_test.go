package agent_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/kefu-dev/kefu/agent"
)

// Kuaishou accepts any limit 1..500 (rule C2); outside it is an error, never
// clamped. Douyin caps at 200 and warns below 5 (rule C3), and offers neither
// "unlimited" nor "suspend".
func ExampleBounds_Check() {
	k := agent.KuaishouBounds()
	for _, n := range []int{0, 1, 500, 501} {
		fmt.Printf("kuaishou %d: %v\n", n, k.Check(agent.Limit(n)))
	}

	d := agent.DouyinBounds()
	for _, n := range []int{4, 5, 200, 201} {
		c := agent.Limit(n)
		fmt.Printf("douyin %d: err=%v low=%v\n", n, d.Check(c), d.Low(c))
	}
	err := d.Check(agent.Unlimited())
	fmt.Println(errors.Is(err, agent.ErrCapacityMode), err)
	// Output:
	// kuaishou 0: agent: capacity out of range: 0 not in 1..500
	// kuaishou 1: <nil>
	// kuaishou 500: <nil>
	// kuaishou 501: agent: capacity out of range: 501 not in 1..500
	// douyin 4: err=<nil> low=true
	// douyin 5: err=<nil> low=false
	// douyin 200: err=<nil> low=false
	// douyin 201: err=agent: capacity out of range: 201 not in 1..200 low=false
	// true agent: capacity mode not allowed: unlimited
}

// The zero Capacity is unlimited (不自动挂起); a suspended agent takes no
// auto-assigned session; a limit stops at n (rule C1).
func ExampleCapacity_HasRoom() {
	var zero agent.Capacity
	fmt.Println(zero, zero.HasRoom(1000))
	fmt.Println(agent.Suspended(), agent.Suspended().HasRoom(0))
	c := agent.Limit(20)
	fmt.Println(c, c.HasRoom(19), c.HasRoom(20), c.Room(19))
	// Output:
	// unlimited true
	// suspended false
	// 20 true false 1
}

// Among online, non-suspended agents the least saturated (load/limit) comes
// first; ties go to the agent idle longest, then to the lower id (rule R1).
func ExampleRoster_LeastSaturated() {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	r := agent.NewRoster()
	alice, _ := r.Add("alice", agent.Limit(10), t0)
	bob, _ := r.Add("bob", agent.Limit(4), t0)
	carol, _ := r.Add("carol", agent.Limit(8), t0)

	r.AddLoad(alice, 5, t0.Add(1*time.Minute)) // 5/10
	r.AddLoad(bob, 1, t0.Add(2*time.Minute))   // 1/4, idle since 09:02
	r.AddLoad(carol, 2, t0.Add(3*time.Minute)) // 2/8, idle since 09:03

	best, _ := r.LeastSaturated()
	fmt.Println("next:", best.ID())
	for a := range r.ActiveBySaturation() {
		fmt.Printf("%s %d/%v\n", a.ID(), a.Load(), a.Capacity())
	}
	// Output:
	// next: bob
	// bob 1/4
	// carol 2/8
	// alice 5/10
}

// Round-robin deals to the agents with room in id order and wraps around.
func ExampleRoster_NextRoundRobin() {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	r := agent.NewRoster()
	for _, id := range []string{"carol", "alice", "bob"} {
		r.Add(id, agent.Limit(5), t0)
	}
	bob, _ := r.Get("bob")
	r.SetStatus(bob, agent.Break) // no auto-assignment on break (S1)
	for range 4 {
		a, _ := r.NextRoundRobin()
		fmt.Print(a.ID(), " ")
	}
	fmt.Println()
	// Output:
	// alice carol alice carol
}

// A new agent starts online; on re-login it gets back the status it had when
// it logged out (rule S2).
func ExampleRoster_Login() {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	r := agent.NewRoster()
	a, _ := r.Add("alice", agent.Limit(20), t0)
	fmt.Println(a.Status(), r.Online())

	r.SetStatus(a, agent.Break)
	r.Logout(a)
	fmt.Println(a.Status(), "resume:", a.Resume())

	r.Login(a)
	fmt.Println(a.Status(), r.Online())
	// Output:
	// online 1
	// offline resume: break
	// break 0
}

// Weighted capacity (rule E10): load and limit count units, and a session
// may cost more than one. An agent with a limit of 2 and one unit in use
// has room for a 1-unit session, not for a 2-unit one (after-sales, say).
// Units below 1 count as 1; an unlimited agent always has room, a
// suspended one never.
func ExampleCapacity_HasRoomFor() {
	c := agent.Limit(2)
	fmt.Println(c.HasRoomFor(0, 2), c.HasRoomFor(1, 2), c.HasRoomFor(1, 1), c.HasRoomFor(1, 0), c.HasRoomFor(2, 1))
	fmt.Println(agent.Unlimited().HasRoomFor(1000, 100), agent.Suspended().HasRoomFor(0, 1))
	// Output:
	// true false true true false
	// true false
}
