package dispatch

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// Step tables of E10 weighted capacity: an after-sales session costs two
// units of an agent's capacity, a refund three, any other one. Every
// step checks Verify (loads in units, no session waiting while an agent
// has room for its weight) and the event ledger (auto-assignment never
// over the cap in units).

// weights is a shop that weighs after-sales sessions 2 and refunds 3.
var weights = policy.Policy{Weights: []policy.Weight{{Kind: "after-sales", Units: 2}, {Kind: "refund", Units: 3}}}

// arriveKind is arrive with a kind (E10).
func arriveKind(id, buyer, kind string) op {
	return op{"arrive " + id + " " + kind, func(e *Engine, now time.Time) ([]Event, error) {
		return e.Arrive(now, Arrival{Session: id, Buyer: buyer, Kind: kind})
	}}
}

// loads returns the agents' loads, in units.
func loads(e *Engine, ids ...string) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		a, _ := e.Agent(id)
		out[i] = a.Load
	}
	return out
}

// E10, C1, Q2: a weight-2 session does not fit in one free unit: it
// waits, and a weight-1 session behind it takes the unit (it is passed
// over, keeping its place); it is served when two units are free.
func TestE10_HeavySessionWaitsForTwoFreeUnits(t *testing.T) {
	run(t, weights, []step{
		{op: addAgent("a", agent.Limit(2))},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2, op: arrive("s2", "b2", 0), want: []string{"assigned s2 a arrival"}},
		{at: 3, op: arriveKind("h", "bh", "after-sales"), want: []string{"queued h"}},
		{at: 4, op: arrive("s3", "b3", 0), want: []string{"queued s3"}},
		// One unit frees: h does not fit, s3 behind it does.
		{at: 5, op: closeS("s1"), want: []string{"closed s1 a", "assigned s3 a freed"},
			check: func(t *testing.T, e *Engine) {
				assert.Equal(t, []string{"h"}, order(e))
				pos, n, ok := e.Position("h")
				require.True(t, ok)
				assert.Equal(t, [2]int{1, 1}, [2]int{pos, n}, "h keeps its place at the head")
			}},
		// One unit free again: h still does not fit; a new weight-1
		// arrival takes it at once, though h waits.
		{at: 6, op: closeS("s2"), want: []string{"closed s2 a"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []int{1}, loads(e, "a")) }},
		{at: 7, op: arriveKind("s4", "b4", "presale"), want: []string{"assigned s4 a arrival"}},
		{at: 8, op: closeS("s3"), want: []string{"closed s3 a"}},
		// Two units free: h fits.
		{at: 9, op: closeS("s4"), want: []string{"closed s4 a", "assigned h a freed"},
			check: func(t *testing.T, e *Engine) {
				a, _ := e.Agent("a")
				assert.Equal(t, 2, a.Load, "h costs two units")
				assert.Equal(t, 1.0, a.Saturation)
			}},
		// A refund (3) never fits a cap of 2 automatically; a person may
		// assign it over the cap (C4).
		{at: 10, op: arriveKind("r", "br", "refund"), want: []string{"queued r"}},
		{at: 11, op: closeS("h"), want: []string{"closed h a"}},
		{at: 12, op: assignTo("r", "a"), want: []string{"assigned r a manual"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []int{3}, loads(e, "a"), "over the cap by hand") }},
	})
}

// E10, R1: saturation counts units: an agent with one weight-2 session
// and one with two weight-1 sessions are equally saturated (2/4), and
// the tie goes to the one idle longest.
func TestE10_SaturationCountsUnits(t *testing.T) {
	run(t, weights, []step{
		{op: addAgent("a", agent.Limit(4))},
		{op: addAgent("b", agent.Limit(4))},
		{at: 1, op: arriveKind("h", "bh", "after-sales"), want: []string{"assigned h a arrival"}},
		{at: 2, op: arrive("s1", "b1", 0), want: []string{"assigned s1 b arrival"}},
		{at: 3, op: arrive("s2", "b2", 0), want: []string{"assigned s2 b arrival"},
			check: func(t *testing.T, e *Engine) {
				a, _ := e.Agent("a")
				b, _ := e.Agent("b")
				assert.Equal(t, [2]int{2, 2}, [2]int{a.Load, b.Load})
				assert.Equal(t, a.Saturation, b.Saturation)
			}},
		{at: 4, op: arrive("s3", "b3", 0), want: []string{"assigned s3 a arrival"}, // idle since 1, b since 3
			check: func(t *testing.T, e *Engine) {
				targets, err := e.TransferTargets("x")
				require.ErrorIs(t, err, ErrUnknownAgent)
				assert.Nil(t, targets)
				_, err = e.AddAgent(t0, "x", AgentConfig{Capacity: agent.Limit(1)})
				require.NoError(t, err)
				targets, err = e.TransferTargets("x")
				require.NoError(t, err)
				require.Len(t, targets, 2)
				assert.Equal(t, "b", targets[0].ID, "R3: b (2/4) before a (3/4)")
			}},
	})
}

// E10, R1: among the agents with room for its weight: the least
// saturated agent with one free unit is passed over for a more saturated
// one with four.
func TestE10_LeastSaturatedWithRoomForTheWeight(t *testing.T) {
	steps := []step{
		{op: addAgent("a", agent.Limit(2))},
		{op: addAgent("b", agent.Limit(10))},
		{op: start("o0", "c0", "a", false), want: []string{"assigned o0 a started [started]"}},
	}
	for _, id := range []string{"o1", "o2", "o3", "o4", "o5", "o6"} {
		steps = append(steps, step{op: start(id, "c"+id, "b", false), want: []string{"assigned " + id + " b started [started]"}})
	}
	steps = append(steps,
		step{at: 1, op: arriveKind("h", "bh", "after-sales"), want: []string{"assigned h b arrival"}, // a: 1/2 < b: 6/10, one unit free
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []int{1, 8}, loads(e, "a", "b")) }},
		step{at: 2, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
	)
	run(t, weights, steps)
}

// E10, R1 round-robin: the next agent with room for the weight; the
// cursor moves to it.
func TestE10_RoundRobinSkipsThoseWithoutRoomForTheWeight(t *testing.T) {
	p := weights
	p.Strategy = policy.RoundRobin
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(2))},
		{op: addAgent("b", agent.Limit(2))},
		{op: addAgent("c", agent.Limit(2))},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2, op: start("o", "bo", "b", false), want: []string{"assigned o b started [started]"}},
		{at: 3, op: arriveKind("h", "bh", "after-sales"), want: []string{"assigned h c arrival"}}, // b has one unit
		{at: 4, op: arrive("s2", "b2", 0), want: []string{"assigned s2 a arrival"}},
		{at: 5, op: arriveKind("h2", "bh2", "after-sales"), want: []string{"queued h2"}},
		{at: 6, op: arrive("s3", "b3", 0), want: []string{"assigned s3 b arrival"}},
	})
}

// E10, C5: closing a weight-2 session frees two units, which pull in two
// waiting weight-1 sessions in the same call.
func TestE10_CloseOfHeavyPullsInTwo(t *testing.T) {
	run(t, weights, []step{
		{op: addAgent("a", agent.Limit(2))},
		{at: 1, op: arriveKind("h", "bh", "after-sales"), want: []string{"assigned h a arrival"}},
		{at: 2, op: arrive("s1", "b1", 0), want: []string{"queued s1"}},
		{at: 3, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: 4, op: arrive("s3", "b3", 0), want: []string{"queued s3"}},
		{at: 5, op: closeS("h"), want: []string{"closed h a", "assigned s1 a freed", "assigned s2 a freed"},
			check: func(t *testing.T, e *Engine) {
				assert.Equal(t, []int{2}, loads(e, "a"))
				assert.Equal(t, []string{"s3"}, order(e))
			}},
	})
}

// E10, R3, C4, C5: a transfer moves the session's units: the sender's
// two free units pull in two waiting sessions, and the target may go
// over its cap by the weight.
func TestE10_TransferMovesTheUnits(t *testing.T) {
	run(t, weights, []step{
		{op: addAgent("a", agent.Limit(2))},
		{op: addAgent("b", agent.Limit(1))},
		{at: 1, op: arriveKind("h", "bh", "after-sales"), want: []string{"assigned h a arrival"}},
		{at: 2, op: arrive("s0", "b0", 0), want: []string{"assigned s0 b arrival"}},
		{at: 3, op: arrive("s1", "b1", 0), want: []string{"queued s1"}},
		{at: 4, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: 5, op: transfer("h", "b"), want: []string{"transferred h a>b [transferred]", "assigned s1 a freed", "assigned s2 a freed"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []int{2, 3}, loads(e, "a", "b")) }},
	})
}

// E10, E1: an offer holds the session's units; a rejection frees them
// all, and the agent takes what fits.
func TestE10_OffersHoldTheWeight(t *testing.T) {
	p := weights
	p.OfferTimeout = 2 * minute
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(3))},
		{at: 1, op: arriveKind("h", "bh", "after-sales"), want: []string{"offered h a arrival"},
			check: func(t *testing.T, e *Engine) {
				a, _ := e.Agent("a")
				assert.Equal(t, [2]int{2, 1}, [2]int{a.Load, a.Offers}, "one offer of two units")
			}},
		{at: 2, op: arrive("s1", "b1", 0), want: []string{"offered s1 a arrival"}},
		{at: 3, op: arriveKind("h2", "bh2", "after-sales"), want: []string{"queued h2"}},
		{at: 4, op: arrive("s2", "b2", 0), want: []string{"queued s2"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []int{3}, loads(e, "a")) }},
		// The rejection frees two units: h2 fits and is offered; h
		// waits behind it, declined by a (E2).
		{at: 5, op: reject("h", "a"), want: []string{"rejected h a", "queued h", "offered h2 a freed"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []int{3}, loads(e, "a")) }},
		{at: 6, op: accept("h2", "a"), want: []string{"accepted h2 a"},
			check: func(t *testing.T, e *Engine) {
				assert.Equal(t, []int{3}, loads(e, "a"), "the offer's units are the session's")
			}},
		// The offer of s1 times out: its one unit frees, and s2 (h is
		// declined) takes it.
		{at: 2*minute + 2, op: advance(), want: []string{"offer-timed-out s1 a", "queued s1", "offered s2 a freed"}},
	})
}

// E10, E5: a wrap-up holds the closed session's units until it ends;
// then they free and pull in what fits (C5).
func TestE10_WrapUpHoldsTheWeight(t *testing.T) {
	p := weights
	p.WrapUp = 30 * second
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(2))},
		{at: 1, op: arriveKind("h", "bh", "after-sales"), want: []string{"assigned h a arrival"}},
		{at: 2, op: arrive("s1", "b1", 0), want: []string{"queued s1"}},
		{at: 3, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: 4, op: closeS("h"), want: []string{"closed h a", "wrap-up h a"},
			check: func(t *testing.T, e *Engine) {
				a, _ := e.Agent("a")
				assert.Equal(t, [2]int{2, 1}, [2]int{a.Load, a.WrapUps})
			}},
		{at: 30*second + 4, op: advance(), want: []string{"wrap-up-ended h a", "assigned s1 a freed", "assigned s2 a freed"}},
	})
}

// E10, Q4, P1: the paths that may exceed the cap take a session of any
// weight: no-queue mode assigns it over the cap to the least saturated.
func TestE10_NoQueueGoesOverTheCapByTheWeight(t *testing.T) {
	p := weights
	p.NoQueue = true
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(2))},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2, op: arriveKind("h", "bh", "after-sales"), want: []string{"assigned h a no-queue"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []int{3}, loads(e, "a")) }},
		{at: 3, op: closeS("s1"), want: []string{"closed s1 a"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []int{2}, loads(e, "a")) }},
	})
}

// E10: the weight is fixed at arrival: a policy without weights weighs
// later arrivals 1, and the session already open keeps its two units
// (in the engine and across a snapshot).
func TestE10_WeightFixedAtArrival(t *testing.T) {
	e := run(t, weights, []step{
		{op: addAgent("a", agent.Limit(3))},
		{at: 1, op: arriveKind("h", "bh", "after-sales"), want: []string{"assigned h a arrival"}},
		{at: 2, op: setPolicy(policy.Policy{}), want: []string{},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []int{2}, loads(e, "a")) }},
		{at: 3, op: arriveKind("s1", "b1", "after-sales"), want: []string{"assigned s1 a arrival"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []int{3}, loads(e, "a"), "1 unit now") }},
	})
	snap, err := e.Snapshot()
	require.NoError(t, err)
	back, err := Restore(policy.Policy{}, snap)
	require.NoError(t, err)
	assert.Equal(t, []int{3}, loads(back, "a"))
	again, err := back.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, string(snap), string(again))
	runOn(t, back, []step{
		{at: 4, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: 5, op: arrive("s3", "b3", 0), want: []string{"queued s3"}},
		{at: 6, op: closeS("h"), want: []string{"closed h a", "assigned s2 a freed", "assigned s3 a freed"}},
	})
}

// E10 in snapshots: a weighted session and a wrap-up keep their units; a
// snapshot of sessions of weight 1 has no "units" at all.
func TestE10_SnapshotKeepsTheUnits(t *testing.T) {
	p := weights
	p.WrapUp = time.Minute
	e := run(t, p, []step{
		{op: addAgent("a", agent.Limit(5))},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2, op: arriveKind("h", "bh", "after-sales"), want: []string{"assigned h a arrival"}},
		{at: 3, op: arriveKind("r", "br", "refund"), want: []string{"queued r"}},
		{at: 4, op: closeS("s1"), want: []string{"closed s1 a", "wrap-up s1 a"}},
	})
	plain, err := e.Snapshot()
	require.NoError(t, err)
	assert.NotContains(t, string(plain), `"units":1`)
	runOn(t, e, []step{{at: 5, op: closeS("h"), want: []string{"closed h a", "wrap-up h a"}}})
	snap, err := e.Snapshot()
	require.NoError(t, err)
	assert.Contains(t, string(snap), `"units":2`)
	assert.Contains(t, string(snap), `"units":3`)
	back, err := Restore(p, snap)
	require.NoError(t, err)
	a, _ := back.Agent("a")
	assert.Equal(t, [2]int{3, 2}, [2]int{a.Load, a.WrapUps}, "wrap-ups of 1 and 2 units")
	runOn(t, back, []step{
		// s1's wrap-up frees one unit: three free, r (3) fits; h's two
		// units stay held until its own wrap-up ends.
		{at: time.Minute + 4, op: advance(), want: []string{"wrap-up-ended s1 a", "assigned r a freed"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []int{5}, loads(e, "a")) }},
		{at: time.Minute + 5, op: advance(), want: []string{"wrap-up-ended h a"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []int{3}, loads(e, "a")) }},
	})

	e2 := run(t, policy.Policy{}, []step{
		{op: addAgent("a", agent.Limit(5))},
		{at: 1, op: arriveKind("s1", "b1", "after-sales"), want: []string{"assigned s1 a arrival"}},
	})
	snap2, err := e2.Snapshot()
	require.NoError(t, err)
	assert.NotContains(t, string(snap2), `"units"`, "no weights, no field")
}

// E10: Verify catches a weighted session waiting while an agent has room
// for its weight, a load that does not count a session's units, and a
// wrong count of weighted sessions.
func TestE10_VerifyCatchesBrokenUnits(t *testing.T) {
	scene := func(t *testing.T) *Engine {
		return run(t, weights, []step{
			{op: addAgent("a", agent.Limit(2))},
			{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
			{at: 2, op: arriveKind("h", "bh", "after-sales"), want: []string{"queued h"}}, // one unit free: valid
		})
	}
	t.Run("waits while an agent has room for it", func(t *testing.T) {
		e := scene(t)
		a, _ := e.roster.Get("a")
		require.NoError(t, e.roster.SetCapacity(a, agent.Limit(3))) // behind the engine's back: no fill
		assert.ErrorContains(t, e.Verify(), `"h" (2 units) waits in the queue`)
	})
	t.Run("load not in units", func(t *testing.T) {
		e := scene(t)
		e.sessions["s1"].units = 2
		e.heavy++
		assert.ErrorContains(t, e.Verify(), "has load 1 but holds 2 sessions")
	})
	t.Run("weighted sessions miscounted", func(t *testing.T) {
		e := scene(t)
		e.heavy = 0
		assert.ErrorContains(t, e.Verify(), "1 weighted sessions open, counted 0")
	})
}

// E10 with E9: an inactive session frees its weight, not one unit, and
// counts again by its weight when the buyer writes (over the cap); a
// snapshot restores it holding nothing, and closing it frees nothing
// more.
func TestE10_E9_InactiveFreesTheWeight(t *testing.T) {
	p := weights
	p.InactiveAfter = 10 * time.Minute
	e := run(t, p, []step{
		{op: addAgent("a", agent.Limit(2))},
		{op: arriveKind("h", "bh", "after-sales"), want: []string{"assigned h a arrival"}},
		{at: time.Minute, op: msg("h", FromAgent, "a"), want: []string{"message h agent"}},
		{at: 2 * time.Minute, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: 2 * time.Minute, op: arrive("s3", "b3", 0), want: []string{"queued s3"}},
		// h's two units free at once: both waiting sessions fit
		{at: 10 * time.Minute, op: advance(), want: []string{"inactive h [inactive]", "assigned s2 a freed", "assigned s3 a freed"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []int{2}, loads(e, "a")) }},
	})
	snap, err := e.Snapshot()
	require.NoError(t, err)
	back, err := Restore(p, snap)
	require.NoError(t, err)
	require.NoError(t, back.Verify())
	assert.Equal(t, []int{2}, loads(back, "a"), "restored: the inactive session holds no units")
	for _, e := range []*Engine{e, back} {
		runOn(t, e, []step{
			{at: time.Hour, op: msg("h", FromBuyer, ""), want: []string{"message h buyer"},
				check: func(t *testing.T, e *Engine) {
					assert.Equal(t, []int{4}, loads(e, "a"), "counts again by its weight, over the cap")
				}},
			{at: time.Hour + time.Minute, op: msg("h", FromAgent, "a"), want: []string{"message h agent"}},
			{at: time.Hour + 11*time.Minute, op: advance(), want: []string{"inactive h [inactive]"}},
			{at: time.Hour + 12*time.Minute, op: closeS("h"), want: []string{"closed h a [inactive]"},
				check: func(t *testing.T, e *Engine) {
					assert.Equal(t, []int{2}, loads(e, "a"), "an inactive close frees nothing more")
				}},
		})
	}
}

// E10 with E7: an agent of an open ring takes a waiting session only if
// its weight fits the agent's free units; a lighter one behind it whose
// ring opened is taken instead, and the heavier one when units free.
func TestE10_E7_RingTakesWhatFits(t *testing.T) {
	p := weights
	p.Groups = []policy.Group{
		{ID: "vip", Crowds: []string{"vip"}, Rings: []policy.Ring{{After: 30 * time.Second, Groups: []string{"gen"}}}},
		{ID: "gen"}}
	add := func(id, g string, n int) op {
		return op{"add " + id, func(e *Engine, now time.Time) ([]Event, error) {
			return e.AddAgent(now, id, AgentConfig{Capacity: agent.Limit(n), Group: g})
		}}
	}
	vip := func(id, kind string) op {
		return op{"arrive " + id, func(e *Engine, now time.Time) ([]Event, error) {
			return e.Arrive(now, Arrival{Session: id, Buyer: "b-" + id, Kind: kind, Crowds: []Membership{{Crowd: "vip"}}})
		}}
	}
	run(t, p, []step{
		{op: add("v", "vip", 1)},
		{op: add("g", "gen", 2)},
		{op: vip("s0", ""), want: []string{"assigned s0 v arrival"}},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 g arrival"}},
		{op: vip("h", "after-sales"), want: []string{"queued h"}},
		{at: second, op: vip("x", ""), want: []string{"queued x"}},
		// h's ring opens: g has one free unit, h needs two
		{at: 30 * second, op: advance()},
		// x's ring opens: it fits, and is taken past h
		{at: 31 * second, op: advance(), want: []string{"assigned x g widened"},
			check: func(t *testing.T, e *Engine) {
				info, _ := e.Session("h")
				assert.Equal(t, PlaceQueue, info.Place, "h keeps waiting")
			}},
		{at: time.Minute, op: closeS("s1"), want: []string{"closed s1 g"}},
		{at: 2 * time.Minute, op: closeS("x"), want: []string{"closed x g", "assigned h g freed"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []int{2}, loads(e, "g")) }},
	})
}
