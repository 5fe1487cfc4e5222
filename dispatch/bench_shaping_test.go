package dispatch

import (
	"fmt"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// loadedWith is loaded with policy p: n agents of caps 20..200, each
// full, and w sessions waiting, arrived a millisecond apart.
func loadedWith(b *testing.B, p policy.Policy, n, w int) (*Engine, time.Time) {
	b.Helper()
	p.Capacity, p.HistoryLimit = agent.KuaishouBounds(), benchHistory
	e, err := New(p)
	if err != nil {
		b.Fatal(err)
	}
	now := t0
	total := 0
	for i, id := range ids("a", n) {
		c := 20 + (i*37)%181
		if _, err := e.AddAgent(now, id, AgentConfig{Capacity: agent.Limit(c)}); err != nil {
			b.Fatal(err)
		}
		total += c
	}
	for _, id := range ids("pre", total+w) {
		now = now.Add(time.Millisecond)
		if _, err := e.Arrive(now, Arrival{Session: id, Buyer: id}); err != nil {
			b.Fatal(err)
		}
	}
	if e.QueueLen() != w {
		b.Fatalf("queue %d, want %d", e.QueueLen(), w)
	}
	return e, now
}

// BenchmarkShaping measures the E6-E11 paths against the same path with
// every option off, over 100 agents and 10³ waiting, then 10⁴ agents and
// 10⁵ waiting (the cost must grow as log n + log w, not with n or w):
//
//   - queue: Arrive (queued behind w, with priority 1) + Leave; off, with
//     aging (E6: the virtual-arrival key), with a maximum wait (E8: each
//     waiting session's timer);
//   - refused: an Arrive over the queue cap, refused (E8);
//   - agent: Arrive (assigned to a0, the one agent with room) + Close;
//     off, weighted (E10: an after-sales session of 2 units), outside
//     business hours (E11: the offline path, then a0 takes it as an
//     offline message, O2);
//   - inactive: Arrive + agent reply + Advance past InactiveAfter
//     (EventInactive) + buyer message (counts again) + Close (E9).
func BenchmarkShaping(b *testing.B) {
	type path struct {
		name  string
		p     policy.Policy
		agent bool // benchShop (a0 has room) rather than loadedWith (a queue)
		life  func(e *Engine, now time.Time, id string) (time.Time, error)
	}
	queueLeave := func(e *Engine, now time.Time, id string) (time.Time, error) {
		evs, err := e.Arrive(now, Arrival{Session: id, Priority: 1})
		if err != nil || len(evs) != 1 || evs[0].Kind != EventQueued {
			return now, fmt.Errorf("arrive %s: %v %v", id, evs, err)
		}
		_, err = e.Leave(now, id)
		return now, err
	}
	arriveClose := func(kind string) func(e *Engine, now time.Time, id string) (time.Time, error) {
		return func(e *Engine, now time.Time, id string) (time.Time, error) {
			evs, err := e.Arrive(now, Arrival{Session: id, Kind: kind})
			if err != nil || evs[len(evs)-1].Kind != EventAssigned {
				return now, fmt.Errorf("arrive %s: %v %v", id, evs, err)
			}
			_, err = e.Close(now, id)
			return now, err
		}
	}
	closed := &policy.Hours{} // no span on any day: always outside
	paths := []path{
		{"queue/off", policy.Policy{}, false, queueLeave},
		{"queue/aging", policy.Policy{AgingStep: time.Minute}, false, queueLeave},
		{"queue/max-wait", policy.Policy{MaxWait: time.Hour}, false, queueLeave},
		{"refused", policy.Policy{QueueCap: 1, Divert: policy.DivertRefuse}, false, nil},
		{"agent/off", policy.Policy{}, true, arriveClose("")},
		{"agent/weighted", policy.Policy{Weights: []policy.Weight{{Kind: "after-sales", Units: 2}}}, true, arriveClose("after-sales")},
		{"agent/outside-hours", policy.Policy{Hours: closed}, true, arriveClose("")},
		{"inactive", policy.Policy{InactiveAfter: time.Minute}, true, func(e *Engine, now time.Time, id string) (time.Time, error) {
			evs, err := e.Arrive(now, Arrival{Session: id})
			if err != nil || len(evs) != 1 {
				return now, fmt.Errorf("arrive %s: %v %v", id, evs, err)
			}
			if _, err := e.Message(now, Message{Session: id, From: FromAgent, Agent: evs[0].Agent}); err != nil {
				return now, err
			}
			now = now.Add(time.Minute)
			if evs := e.Advance(now); len(evs) != 1 || evs[0].Kind != EventInactive {
				return now, fmt.Errorf("inactive: %v", evs[:min(len(evs), 3)])
			}
			if _, err := e.Message(now, Message{Session: id, From: FromBuyer}); err != nil {
				return now, err
			}
			_, err = e.Close(now, id)
			return now, err
		}},
	}
	for _, pa := range paths {
		for _, c := range []struct{ n, w int }{{100, 1000}, {10_000, 100_000}} {
			name := fmt.Sprintf("%s/agents=%d/waiting=%d", pa.name, c.n, c.w)
			if pa.agent {
				name = fmt.Sprintf("%s/agents=%d", pa.name, c.n)
			}
			b.Run(name, func(b *testing.B) {
				var e *Engine
				var now time.Time
				if pa.agent {
					if pa.p.Hours == nil {
						e, now = benchShop(b, pa.p, c.n)
					} else { // the warm-up runs open; the shop closes then
						e, now = benchShop(b, policy.Policy{}, c.n)
						p := e.Policy()
						p.Hours = pa.p.Hours
						if _, err := e.SetPolicy(now, p); err != nil {
							b.Fatal(err)
						}
					}
					if pa.name == "inactive" { // the warm-up's sessions go inactive now, not in the loop
						now = now.Add(time.Minute)
						e.Advance(now)
					}
				} else {
					p := pa.p
					if pa.name == "refused" {
						p.QueueCap = c.w
					}
					e, now = loadedWith(b, p, c.n, c.w)
				}
				sids := ids("s", 1024)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					id := sids[i%len(sids)]
					if pa.life == nil { // refused
						evs, err := e.Arrive(now, Arrival{Session: id})
						if err != nil || len(evs) != 1 || evs[0].Kind != EventRefused {
							b.Fatalf("arrive %s: %v %v", id, evs, err)
						}
						continue
					}
					var err error
					if now, err = pa.life(e, now, id); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
