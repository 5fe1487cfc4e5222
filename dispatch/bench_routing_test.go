package dispatch

import (
	"fmt"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// benchShop returns an engine with policy p and n agents of caps 1..3,
// each full (its sessions answered, so no E3 timer runs), but a0 (cap
// 500, empty): arrivals go to a0 through the saturation index of n
// agents.
func benchShop(b *testing.B, p policy.Policy, n int) (*Engine, time.Time) {
	b.Helper()
	p.Capacity, p.HistoryLimit = agent.KuaishouBounds(), benchHistory
	e, err := New(p)
	if err != nil {
		b.Fatal(err)
	}
	now := t0
	for i, id := range ids("a", n) {
		if _, err := e.AddAgent(now, id, AgentConfig{Capacity: agent.Limit(1 + i%3)}); err != nil {
			b.Fatal(err)
		}
	}
	var waiting string
	for _, id := range ids("pre", 2*n+n/3+1) {
		evs, err := e.Arrive(now, Arrival{Session: id, Buyer: id})
		if err != nil {
			b.Fatal(err)
		}
		if evs[0].Kind == EventQueued {
			waiting = id
			break
		}
		answer(b, e, now, id, evs[0])
	}
	if e.QueueLen() != 1 {
		b.Fatalf("%d queued, want 1", e.QueueLen())
	}
	// Every agent is full and one session waits. Give a0 room: it takes
	// that one, and has room for the benchmark's.
	evs, err := e.SetCapacity(now, "a0", agent.Limit(500))
	if err != nil || len(evs) != 1 || evs[0].Session != waiting {
		b.Fatalf("a0 took %v (%v)", evs, err)
	}
	answer(b, e, now, waiting, evs[0])
	return e, now
}

// answer accepts the session if ev offers it, and replies in it.
func answer(b *testing.B, e *Engine, now time.Time, id string, ev Event) {
	b.Helper()
	if ev.Kind == EventOffered {
		if _, err := e.Accept(now, id, ev.Agent); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := e.Message(now, Message{Session: id, From: FromAgent, Agent: ev.Agent}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRouting measures the E1-E5 paths against the seed path, each
// op a session's whole life with an agent, over 100 and 10⁴ agents (the
// cost must not grow with n but as log n):
//
//   - assign: Arrive (assigned) + Close, every option off: the seed path;
//   - offer-accept: Arrive (offered) + Accept + Close (E1);
//   - offer-reject: Arrive (offered to a0) + Reject (offered to a1, which
//     has room too) + Accept + Close (E1, E2);
//   - wrap-up: Arrive + Close (a wrap-up) + EndWrapUp (E5);
//   - reassign: Arrive + Advance past ReassignAfter (moved to a1) + Close
//     (E3).
func BenchmarkRouting(b *testing.B) {
	type path struct {
		name string
		p    policy.Policy
		life func(e *Engine, now time.Time, id string) error
	}
	arrive := func(e *Engine, now time.Time, id string) (Event, error) {
		evs, err := e.Arrive(now, Arrival{Session: id})
		if err != nil || len(evs) != 1 {
			return Event{}, fmt.Errorf("arrive %s: %v %v", id, evs, err)
		}
		return evs[0], nil
	}
	closeS := func(e *Engine, now time.Time, id string) error {
		_, err := e.Close(now, id)
		return err
	}
	paths := []path{
		{"assign", policy.Policy{}, func(e *Engine, now time.Time, id string) error {
			if _, err := arrive(e, now, id); err != nil {
				return err
			}
			return closeS(e, now, id)
		}},
		{"offer-accept", policy.Policy{OfferTimeout: time.Minute}, func(e *Engine, now time.Time, id string) error {
			ev, err := arrive(e, now, id)
			if err != nil {
				return err
			}
			if _, err := e.Accept(now, id, ev.Agent); err != nil {
				return err
			}
			return closeS(e, now, id)
		}},
		{"offer-reject", policy.Policy{OfferTimeout: time.Minute}, func(e *Engine, now time.Time, id string) error {
			ev, err := arrive(e, now, id)
			if err != nil {
				return err
			}
			evs, err := e.Reject(now, id, ev.Agent)
			if err != nil || len(evs) < 2 || evs[1].Kind != EventOffered {
				return fmt.Errorf("reject: %v %v", evs, err)
			}
			if _, err := e.Accept(now, id, evs[1].Agent); err != nil {
				return err
			}
			return closeS(e, now, id)
		}},
		{"wrap-up", policy.Policy{WrapUp: time.Minute}, func(e *Engine, now time.Time, id string) error {
			ev, err := arrive(e, now, id)
			if err != nil {
				return err
			}
			if err := closeS(e, now, id); err != nil {
				return err
			}
			_, err = e.EndWrapUp(now, ev.Agent)
			return err
		}},
		{"reassign", policy.Policy{ReassignAfter: time.Minute}, nil},
	}
	for _, pa := range paths {
		for _, n := range []int{100, 10_000} {
			b.Run(fmt.Sprintf("%s/agents=%d", pa.name, n), func(b *testing.B) {
				e, now := benchShop(b, pa.p, n)
				if pa.name == "offer-reject" || pa.name == "reassign" { // a second agent with room
					if _, err := e.SetCapacity(now, "a1", agent.Limit(500)); err != nil {
						b.Fatal(err)
					}
					if evs := e.Advance(now); len(evs) > 0 {
						b.Fatalf("a1 took %v", evs[:min(len(evs), 3)])
					}
				}
				sids := ids("s", 1024)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					id := sids[i%len(sids)]
					if pa.life != nil {
						if err := pa.life(e, now, id); err != nil {
							b.Fatal(err)
						}
						continue
					}
					// reassign: a0 takes it; a minute later it moves to a1.
					if _, err := arrive(e, now, id); err != nil {
						b.Fatal(err)
					}
					now = now.Add(time.Minute)
					if evs := e.Advance(now); len(evs) != 1 || evs[0].Cause != CauseReassigned {
						b.Fatalf("reassign: %v", evs[:min(len(evs), 3)])
					}
					if err := closeS(e, now, id); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
