package policy_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

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

// The platform presets encode each platform's documented defaults; adjust
// fields for one shop.
func ExampleDouyin() {
	p := policy.Douyin()
	p.BotWindows = []policy.Window{{Start: 19 * time.Hour, End: 23 * time.Hour, Share: 0.6}} // live stream (B2)
	fmt.Println(p.Validate())
	fmt.Println(p.Capacity.Max, p.DMLimit, p.WithDefaults().OfflineValidity)
	live := time.Date(2026, 11, 11, 20, 30, 0, 0, policy.ChinaStandardTime())
	fmt.Println(p.BotShare(live), p.BotShare(live.Add(-3*time.Hour)))
	// Output:
	// <nil>
	// 200 3 168h0m0s
	// 0.6 0
}

// A host names each shop's platform in its configuration; Preset turns the
// name into the platform's policy.
func ExamplePreset() {
	fmt.Println(policy.PresetNames())
	p, err := policy.Preset("douyin")
	fmt.Println(err, p.Capacity.Max, p.DMLimit)
	_, err = policy.Preset("Douyin")
	fmt.Println(errors.Is(err, policy.ErrUnknownPreset))
	fmt.Println(err)
	// Output:
	// [douyin kuaishou taobao]
	// <nil> 200 3
	// true
	// policy: unknown preset "Douyin" (known: douyin, kuaishou, taobao)
}

// Taobao's priority crowds: at most 10 (P3), effective at silver or gold
// team level only (P2).
func ExampleTaobao() {
	p := policy.Taobao()
	p.Crowds = []policy.Crowd{{ID: "members", Member: true}, {ID: "big-spenders"}}
	p.TeamLevel = policy.LevelGold
	fmt.Println(p.Validate(), p.TeamLevel.Qualifies())
	for i := 0; i < 9; i++ {
		p.Crowds = append(p.Crowds, policy.Crowd{ID: fmt.Sprint("c", i)})
	}
	fmt.Println(p.Validate())
	// Output:
	// <nil> true
	// policy: invalid Crowds: more than 10 priority crowds: 11
}

// A policy is data: it encodes to stable JSON (see "Encoding" in the
// package doc) and decodes, validated, to an Equal policy.
func ExamplePolicy_MarshalJSON() {
	p := policy.Kuaishou()
	p.BotWindows = []policy.Window{{Start: 19 * time.Hour, End: 23 * time.Hour, Share: 0.6}} // B2
	b, err := json.Marshal(p)
	fmt.Println(string(b), err)

	var q policy.Policy
	err = json.Unmarshal(b, &q)
	fmt.Println(err, q.Equal(p), q.Location, q.BotWindows[0].End)

	err = json.Unmarshal([]byte(`{"strategy":"fastest"}`), &q)
	fmt.Println(err)
	err = json.Unmarshal([]byte(`{"offlineValidity":"-1h"}`), &q)
	fmt.Println(err, errors.Is(err, policy.ErrInvalid))
	// Output:
	// {"capacity":{"min":1,"max":500},"buyerIdleClose":"20m0s","offlineBatch":20,"location":"CST","zoneOffset":28800,"botWindows":[{"start":"19h0m0s","end":"23h0m0s","share":0.6}]} <nil>
	// <nil> true CST 23h0m0s
	// policy: invalid Strategy: unknown name "fastest"
	// policy: invalid OfflineValidity: negative duration -1h0m0s true
}

// Business hours (E11): Monday to Friday 09:00-18:00 in the shop's time
// zone, with a dated override closing National Day (Thursday
// 2026-10-01). Opening is inclusive, closing exclusive; the date and the
// time of day are read in the shop's zone, whatever zone t is given in.
func ExamplePolicy_Open() {
	cst := policy.ChinaStandardTime()
	h := &policy.Hours{Overrides: []policy.DayHours{{Date: "2026-10-01"}}} // no spans: closed all day
	for d := time.Monday; d <= time.Friday; d++ {
		h.Week[d] = []policy.Span{{Start: 9 * time.Hour, End: 18 * time.Hour}}
	}
	p := policy.Policy{Location: cst, Hours: h}
	fmt.Println(p.Validate())
	for _, t := range []time.Time{
		time.Date(2026, 11, 11, 8, 59, 59, 0, cst), // Wednesday
		time.Date(2026, 11, 11, 9, 0, 0, 0, cst),
		time.Date(2026, 11, 11, 1, 0, 0, 0, time.UTC), // 09:00 in China
		time.Date(2026, 11, 11, 17, 59, 59, 0, cst),
		time.Date(2026, 11, 11, 18, 0, 0, 0, cst),
		time.Date(2026, 11, 14, 10, 0, 0, 0, cst), // Saturday
		time.Date(2026, 10, 1, 10, 0, 0, 0, cst),  // the holiday, a Thursday
		time.Date(2026, 10, 2, 10, 0, 0, 0, cst),  // the day after
	} {
		fmt.Println(t.Format("Mon 2006-01-02 15:04:05 MST"), p.Open(t))
	}
	// Output:
	// <nil>
	// Wed 2026-11-11 08:59:59 CST false
	// Wed 2026-11-11 09:00:00 CST true
	// Wed 2026-11-11 01:00:00 UTC true
	// Wed 2026-11-11 17:59:59 CST true
	// Wed 2026-11-11 18:00:00 CST false
	// Sat 2026-11-14 10:00:00 CST false
	// Thu 2026-10-01 10:00:00 CST false
	// Fri 2026-10-02 10:00:00 CST true
}
