package agent_test

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
)

// model is the reference roster: a plain map scanned linearly, obviously
// correct and slow. It is the oracle for LeastSaturated, NextRoundRobin and
// ActiveBySaturation.
type model struct {
	agents map[string]*modelAgent
	rr     string // id of the last round-robin pick
}

type modelAgent struct {
	id     string
	status agent.Status
	resume agent.Status
	c      agent.Capacity
	load   int
	idle   time.Time
}

// sat returns the exact saturation as a rational, or nil for "no room at
// any load" (suspended, or a limit below 1), which sorts after every number.
func (m *modelAgent) sat() *big.Rat {
	if m.c.IsUnlimited() {
		return new(big.Rat)
	}
	n, ok := m.c.Limit()
	if !ok || n < 1 {
		return nil
	}
	return big.NewRat(int64(m.load), int64(n))
}

// cmp is the R1 order written out: saturation, idle longest, id.
func (m *modelAgent) cmp(o *modelAgent) int {
	sa, sb := m.sat(), o.sat()
	switch {
	case sa == nil && sb != nil:
		return 1
	case sa != nil && sb == nil:
		return -1
	case sa != nil && sb != nil:
		if c := sa.Cmp(sb); c != 0 {
			return c
		}
	}
	if c := m.idle.Compare(o.idle); c != 0 {
		return c
	}
	return strings.Compare(m.id, o.id)
}

func (m *modelAgent) active() bool {
	return m.status == agent.Online && !m.c.IsSuspended()
}

func (m *modelAgent) hasRoom() bool {
	return m.status == agent.Online && m.c.HasRoom(m.load)
}

func (md *model) online() int {
	n := 0
	for _, a := range md.agents {
		if a.status == agent.Online {
			n++
		}
	}
	return n
}

// bySaturation is a linear scan plus sort of every agent.
func (md *model) bySaturation() []string {
	var act []*modelAgent
	for _, a := range md.agents {
		if a.active() {
			act = append(act, a)
		}
	}
	slices.SortFunc(act, (*modelAgent).cmp)
	var out []string // nil when empty, like ids()
	for _, a := range act {
		out = append(out, a.id)
	}
	return out
}

// least scans every agent for the minimum.
func (md *model) least() string {
	var best *modelAgent
	for _, a := range md.agents {
		if a.active() && (best == nil || a.cmp(best) < 0) {
			best = a
		}
	}
	if best == nil {
		return ""
	}
	return best.id
}

// nextRR scans every agent for the smallest id after the cursor with room,
// else the smallest id with room.
func (md *model) nextRR() string {
	after, first := "", ""
	for _, a := range md.agents {
		if !a.hasRoom() {
			continue
		}
		if first == "" || a.id < first {
			first = a.id
		}
		if a.id > md.rr && (after == "" || a.id < after) {
			after = a.id
		}
	}
	pick := after
	if pick == "" {
		pick = first
	}
	if pick != "" {
		md.rr = pick
	}
	return pick
}

// agentState is what the getters of one agent show.
type agentState struct {
	ID      string
	Status  agent.Status
	Resume  agent.Status
	Cap     agent.Capacity
	Load    int
	Idle    time.Time
	HasRoom bool
}

// snapshot lists the roster's agents as All yields them (id order).
func snapshot(r *agent.Roster) []agentState {
	var out []agentState
	for a := range r.All() {
		out = append(out, agentState{a.ID(), a.Status(), a.Resume(), a.Capacity(), a.Load(), a.IdleSince(), a.HasRoom()})
	}
	return out
}

// snapshot lists the model's agents in id order.
func (md *model) snapshot() []agentState {
	var out []agentState
	for _, m := range md.agents {
		out = append(out, agentState{m.id, m.status, m.resume, m.c, m.load, m.idle, m.hasRoom()})
	}
	slices.SortFunc(out, func(a, b agentState) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func randCapacity(rng *rand.Rand) agent.Capacity {
	switch x := rng.IntN(100); {
	case x < 15:
		return agent.Unlimited()
	case x < 25:
		return agent.Suspended()
	case x < 30:
		return agent.Limit(0) // not valid for any Bounds; the roster must cope
	case x < 85:
		return agent.Limit(1 + rng.IntN(5))
	default:
		return agent.Limit(1<<53 + rng.IntN(4)) // float64 cannot tell these apart
	}
}

func randDelta(rng *rand.Rand) int {
	switch x := rng.IntN(100); {
	case x < 5:
		return 1<<53 - 1 + rng.IntN(3)
	case x < 10:
		return -(1 << 53)
	default:
		return rng.IntN(7) - 3
	}
}

// TestRoster_Random runs random operations against the roster and the model
// side by side. After every step Verify must pass, every agent must match,
// and LeastSaturated, ActiveBySaturation and NextRoundRobin must agree with
// the model's linear scans. A failure names its seed; rerun one with
// go test -run 'TestRoster_Random/seed=N$'.
func TestRoster_Random(t *testing.T) {
	steps := 3000
	if testing.Short() {
		steps = 500
	}
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x6b656675))
			// A small shop; and past smallSet, where the indexes move from
			// slices to trees and back.
			nIDs := 20
			if seed > 4 {
				nIDs = 200
			}
			r := agent.NewRoster()
			md := &model{agents: map[string]*modelAgent{}}
			now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

			for step := range steps {
				if rng.IntN(3) == 0 { // often several steps at one instant: idle ties
					now = now.Add(time.Minute)
				}
				id := fmt.Sprintf("a%02d", rng.IntN(nIDs))
				a, _ := r.Get(id)
				ma := md.agents[id]
				var op string
				at := func() string { return fmt.Sprintf("seed %d step %d: %s", seed, step, op) }

				switch x := rng.IntN(100); {
				case x < 15:
					c := randCapacity(rng)
					op = fmt.Sprintf("Add(%s, %v)", id, c)
					got, err := r.Add(id, c, now)
					if ma != nil {
						require.ErrorIs(t, err, agent.ErrDuplicateAgent, at())
						require.Nil(t, got, at())
						break
					}
					require.NoError(t, err, at())
					md.agents[id] = &modelAgent{id: id, status: agent.Online, resume: agent.Online, c: c, idle: now}
				case x < 22:
					op = fmt.Sprintf("Remove(%s)", id)
					err := r.Remove(id)
					switch {
					case ma == nil:
						require.ErrorIs(t, err, agent.ErrUnknownAgent, at())
					case ma.load > 0:
						require.ErrorIs(t, err, agent.ErrAgentBusy, at())
					default:
						require.NoError(t, err, at())
						delete(md.agents, id)
					}
				case x < 32:
					if ma == nil {
						continue
					}
					s := agent.Status(rng.IntN(5)) // 0 and 4 are invalid
					op = fmt.Sprintf("SetStatus(%s, %v)", id, s)
					err := r.SetStatus(a, s)
					if !s.Valid() {
						require.ErrorIs(t, err, agent.ErrInvalidStatus, at())
						break
					}
					require.NoError(t, err, at())
					if s == agent.Offline { // S2: the same as Logout
						if ma.status != agent.Offline {
							ma.resume = ma.status
						}
						ma.status = agent.Offline
						break
					}
					ma.status, ma.resume = s, s
				case x < 40:
					if ma == nil {
						continue
					}
					op = fmt.Sprintf("Logout(%s)", id)
					r.Logout(a)
					if ma.status != agent.Offline {
						ma.resume = ma.status
					}
					ma.status = agent.Offline
				case x < 48:
					if ma == nil {
						continue
					}
					op = fmt.Sprintf("Login(%s)", id)
					r.Login(a)
					ma.status = ma.resume
				case x < 58:
					if ma == nil {
						continue
					}
					c := randCapacity(rng)
					op = fmt.Sprintf("SetCapacity(%s, %v)", id, c)
					r.SetCapacity(a, c)
					ma.c = c
				case x < 80:
					if ma == nil {
						continue
					}
					// Half the time, several changes between Hold and
					// Settle (a close that pulls the queue head): the
					// indexes must end where single changes put them.
					held := rng.IntN(2) == 0
					op = fmt.Sprintf("AddLoad(%s)", id)
					if held {
						op = fmt.Sprintf("Hold(%s) AddLoad", id)
						require.NoError(t, r.Hold(a))
						require.Error(t, r.Verify(), "a held agent is out of the indexes")
					}
					for k := 0; k < 1+rng.IntN(3) && (k == 0 || held); k++ {
						d := randDelta(rng)
						op += fmt.Sprintf(" %+d", d)
						require.NoError(t, r.AddLoad(a, d, now))
						ma.load = max(ma.load+d, 0)
						if d > 0 {
							ma.idle = now
						}
					}
					if held && rng.IntN(4) == 0 { // a capacity change while held
						c := randCapacity(rng)
						op += fmt.Sprintf(" SetCapacity(%v)", c)
						require.NoError(t, r.SetCapacity(a, c))
						ma.c = c
					}
					if held {
						if got, ok := r.LeastSaturated(); ok {
							require.NotEqual(t, a, got, "a held agent is not offered")
						}
						for b := range r.ActiveBySaturation() {
							require.NotEqual(t, a, b, "a held agent is not listed")
						}
						require.NoError(t, r.Settle(a))
						op += " Settle"
					}
				default:
					op = "NextRoundRobin"
					want := md.nextRR()
					got, ok := r.NextRoundRobin()
					require.Equal(t, want != "", ok, at())
					if ok {
						require.Equal(t, want, got.ID(), at())
						require.True(t, got.HasRoom(), at())
					}
				}

				msg := at()
				require.NoError(t, r.Verify(), msg)
				if a, ok := r.Get(id); ok {
					require.NotEqual(t, agent.Offline, a.Resume(), "%s: S2 Login never restores offline", msg)
				}
				require.Equal(t, len(md.agents), r.Len(), msg)
				require.Equal(t, md.online(), r.Online(), msg)
				require.Equal(t, md.snapshot(), snapshot(r), msg)

				want := md.least()
				got, ok := r.LeastSaturated()
				require.Equal(t, want != "", ok, "%s: LeastSaturated ok", msg)
				if ok {
					require.Equal(t, want, got.ID(), "%s: LeastSaturated", msg)
					// C1: if the least saturated agent is full, nobody active has room.
					if !got.HasRoom() {
						for _, m := range md.agents {
							require.False(t, m.active() && m.hasRoom(), "%s: %s has room but %s was chosen", msg, m.id, got.ID())
						}
					}
				}
				require.Equal(t, md.bySaturation(), ids(r.ActiveBySaturation()), "%s: ActiveBySaturation", msg)
			}
		})
	}
}
