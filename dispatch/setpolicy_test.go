package dispatch

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// Tests of Engine.SetPolicy, one per bullet of its doc comment, named by
// the rule each bullet applies. They run through runSteps, which checks
// the invariants (Verify, the event ledger) after every step and, for a
// refused step, that the shop is unchanged byte for byte.

func setPolicy(p policy.Policy) op {
	return op{"set-policy", func(e *Engine, now time.Time) ([]Event, error) { return e.SetPolicy(now, p) }}
}

func addAgentIn(id string, c agent.Capacity, group string) op {
	return op{"add " + id + " in " + group, func(e *Engine, now time.Time) ([]Event, error) {
		return e.AddAgent(now, id, AgentConfig{Capacity: c, Group: group})
	}}
}

// arriveIn is an arrival of a buyer who has been in the crowds since two
// days before t0 (so the membership counts, P4).
func arriveIn(id string, prio int, crowds ...string) op {
	a := Arrival{Session: id, Buyer: "b-" + id, Priority: prio}
	for _, c := range crowds {
		a.Crowds = append(a.Crowds, Membership{c, t0.Add(-48 * time.Hour)})
	}
	return arriveWith(a)
}

// spStep is a row of the tables below: at t0+at, do op; its events,
// rendered by brief, must equal want. A refused step names its error (err)
// and, in errText, a part of its message. check sees the engine and the
// step's events.
type spStep struct {
	at      time.Duration
	op      op
	want    []string
	err     error
	errText string
	check   func(t *testing.T, e *Engine, evs []Event)
}

// runSteps plays steps on e. After every step it checks the invariants
// (Verify, and the ledger of the events: no session lost, none
// auto-assigned over its cap). A refused step must return no events and
// leave the snapshot exactly as it was; since a refused op still moves the
// clock, the snapshot before it is taken after an Advance to its instant.
func runSteps(t *testing.T, e *Engine, steps []spStep) {
	t.Helper()
	l := newLedger()
	l.adopt(e) // an engine handed over mid-scene
	l.seq = e.evSeq
	for i, st := range steps {
		now := t0.Add(st.at)
		var before []byte
		if st.err != nil {
			evs := e.Advance(now)
			require.NoErrorf(t, checkStep(e, l, evs), "step %d (%s): advance before it", i, st.op.name)
			var err error
			before, err = e.Snapshot()
			require.NoError(t, err)
		}
		l.before(e)
		evs, err := st.op.do(e, now)
		if st.err != nil {
			require.Errorf(t, err, "step %d (%s): got no error, want %v", i, st.op.name, st.err)
			assert.Truef(t, errors.Is(err, st.err), "step %d (%s): got error %v, want %v", i, st.op.name, err, st.err)
			assert.Containsf(t, err.Error(), st.errText, "step %d (%s): got error %q, want it to say %q", i, st.op.name, err, st.errText)
			assert.Nilf(t, evs, "step %d (%s): got events %v from a refused op, want none", i, st.op.name, evs)
			after, serr := e.Snapshot()
			require.NoError(t, serr)
			assert.Equalf(t, stateOf(before), stateOf(after), "step %d (%s): got a changed snapshot after a refused op, want it unchanged", i, st.op.name)
		} else {
			require.NoErrorf(t, err, "step %d (%s)", i, st.op.name)
		}
		got := make([]string, 0, len(evs))
		for _, ev := range evs {
			got = append(got, brief(ev))
		}
		want := st.want
		if want == nil {
			want = []string{}
		}
		assert.Equalf(t, want, got, "step %d (%s): got events %q, want %q", i, st.op.name, got, want)
		require.NoErrorf(t, checkStep(e, l, evs), "step %d (%s): invariant", i, st.op.name)
		if st.check != nil {
			st.check(t, e, evs)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
}

func newEngine(t *testing.T, p policy.Policy) *Engine {
	t.Helper()
	e, err := New(p)
	require.NoError(t, err)
	return e
}

// wantPos checks waiting sessions' places in their pools: id → {pos, len}.
func wantPos(t *testing.T, e *Engine, step string, want map[string][2]int) {
	t.Helper()
	for id, w := range want {
		pos, n, ok := e.Position(id)
		assert.Truef(t, ok, "%s: %s is not waiting", step, id)
		assert.Equalf(t, w, [2]int{pos, n}, "%s: got %s at %d of %d, want %d of %d", step, id, pos, n, w[0], w[1])
	}
}

// wantLoads checks agents' loads: id → load.
func wantLoads(t *testing.T, e *Engine, step string, want map[string]int) {
	t.Helper()
	for id, w := range want {
		got := loadOf(t, e, id)
		assert.Equalf(t, w, got, "%s: got load %d for %s, want %d", step, got, id, w)
	}
}

// wantDeadline checks an open session's timer (zero: none).
func wantDeadline(t *testing.T, e *Engine, step, id string, want time.Duration) {
	t.Helper()
	info, ok := e.Session(id)
	require.Truef(t, ok, "%s: %s is not open", step, id)
	w := time.Time{}
	if want != 0 {
		w = t0.Add(want)
	}
	assert.Truef(t, info.Deadline.Equal(w), "%s: got %s's deadline %v, want %v", step, id, info.Deadline, w)
}

// wantAt checks that every event of a step happened at t0+at.
func wantAt(t *testing.T, evs []Event, at time.Duration) {
	t.Helper()
	for i, ev := range evs {
		assert.Truef(t, ev.At.Equal(t0.Add(at)), "event %d (%s): got At %v, want %v", i, brief(ev), ev.At.Sub(t0), at)
	}
}

// Q4: with buyers queued, turning NoQueue on hands the queue, in Q2 order,
// to the least saturated online agents over their caps, in the SetPolicy
// call itself; an agent on break and a suspended one take nothing.
// Turning it off again moves nothing.
func TestSetPolicy_Q4_NoQueueTurnedOnWhileBuyersWait(t *testing.T) {
	s := time.Second
	e := newEngine(t, policy.Policy{})
	runSteps(t, e, []spStep{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgent("b", agent.Limit(2))},
		{op: addAgentStatus("c", agent.Limit(5), agent.Break)},
		{op: addAgent("d", agent.Suspended())},
		{at: 1 * s, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2 * s, op: arrive("s2", "b2", 0), want: []string{"assigned s2 b arrival"}},
		{at: 3 * s, op: arrive("s3", "b3", 0), want: []string{"assigned s3 b arrival"}},
		{at: 4 * s, op: arrive("q1", "bq1", 0), want: []string{"queued q1"}},
		{at: 5 * s, op: arrive("q2", "bq2", 0), want: []string{"queued q2"}},
		{at: 6 * s, op: arrive("q3", "bq3", 1), want: []string{"queued q3"}},
		// q3 first (priority, Q2): a and b are both at 1.0, a idle since
		// 1s, b since 3s → a. Then a is at 2.0, b at 1.0 → b, twice.
		{at: 10 * s, op: setPolicy(policy.Policy{NoQueue: true}),
			want: []string{"assigned q3 a no-queue", "assigned q1 b no-queue", "assigned q2 b no-queue"},
			check: func(t *testing.T, e *Engine, evs []Event) {
				wantAt(t, evs, 10*s)
				assert.Zero(t, e.QueueLen(), "got a queue, want none")
				wantLoads(t, e, "set-policy", map[string]int{"a": 2, "b": 4, "c": 0, "d": 0})
				assert.True(t, e.Policy().NoQueue)
			}},
		// Both at 2.0, both last received at 10s: the lower id.
		{at: 11 * s, op: arrive("s4", "b4", 0), want: []string{"assigned s4 a no-queue"}},
		{at: 12 * s, op: setPolicy(policy.Policy{}),
			check: func(t *testing.T, e *Engine, _ []Event) {
				wantLoads(t, e, "no-queue off", map[string]int{"a": 3, "b": 4})
			}},
		{at: 13 * s, op: arrive("s5", "b5", 0), want: []string{"queued s5"}},
	})
}

// C2: new capacity bounds that some agent's capacity does not fit are
// refused, naming the first such agent in id order; nothing is clamped and
// nothing changes. Once the capacities fit, the bounds apply to later
// settings.
func TestSetPolicy_C2_BoundsThatMakeACapInvalid(t *testing.T) {
	s := time.Second
	douyin := policy.Policy{Capacity: agent.DouyinBounds()}
	e := newEngine(t, policy.Policy{})
	conflict := func(t *testing.T, e *Engine, _ []Event) {
		_, err := e.SetPolicy(e.Now(), douyin)
		assert.ErrorIs(t, err, ErrConflict)
		assert.NotErrorIs(t, err, ErrInvalid)
		assert.NotErrorIs(t, err, ErrNotFound)
		assert.Equal(t, policy.Policy{}, e.Policy(), "got the refused policy installed")
	}
	runSteps(t, e, []spStep{
		{op: addAgent("a", agent.Limit(10))},
		{op: addAgent("b", agent.Unlimited())},
		{op: addAgent("c", agent.Limit(300))},
		{at: 1 * s, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2 * s, op: arrive("s2", "b2", 0), want: []string{"assigned s2 b arrival"}},
		{at: 3 * s, op: setPolicy(douyin), err: ErrPolicyConflict, errText: `agent "b"`, check: conflict},
		{at: 4 * s, op: setCap("b", agent.Limit(50))},
		{at: 5 * s, op: setPolicy(douyin), err: ErrPolicyConflict, errText: `agent "c"`},
		{at: 6 * s, op: setCap("c", agent.Limit(200))},
		{at: 7 * s, op: setPolicy(policy.Policy{Capacity: agent.Bounds{Min: 20, Max: 500}}), err: ErrPolicyConflict, errText: `agent "a"`},
		{at: 8 * s, op: setPolicy(douyin), check: func(t *testing.T, e *Engine, _ []Event) {
			assert.Equal(t, douyin, e.Policy())
			wantLoads(t, e, "douyin", map[string]int{"a": 1, "b": 1, "c": 0})
		}},
		{at: 9 * s, op: setCap("a", agent.Unlimited()), err: ErrCapacityMode},
		{at: 10 * s, op: setCap("a", agent.Limit(201)), err: ErrCapacityOutOfRange},
	})
}

// P1: a crowd removed from the policy gives no priority to the next
// arrival of that crowd; a session it already put at the head of the
// queue (PriorityAtQueueHead) keeps its place and is served first.
func TestSetPolicy_P1_CrowdRemoved(t *testing.T) {
	s := time.Second
	both := policy.Policy{Crowds: []policy.Crowd{{ID: "vip", Member: true}, {ID: "fans"}},
		TeamLevel: policy.LevelGold, PriorityAtQueueHead: true}
	vipOnly := both
	vipOnly.Crowds = []policy.Crowd{{ID: "vip", Member: true}}
	e := newEngine(t, both)
	runSteps(t, e, []spStep{
		{op: addAgent("a", agent.Limit(1))},
		{at: 1 * s, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2 * s, op: arriveIn("q1", 0), want: []string{"queued q1"}},
		{at: 3 * s, op: arriveIn("p1", 0, "fans"), want: []string{"queued p1"},
			check: func(t *testing.T, e *Engine, _ []Event) {
				wantPos(t, e, "p1", map[string][2]int{"p1": {1, 2}, "q1": {2, 2}})
			}},
		{at: 4 * s, op: setPolicy(vipOnly), check: func(t *testing.T, e *Engine, _ []Event) {
			wantPos(t, e, "crowd removed", map[string][2]int{"p1": {1, 2}, "q1": {2, 2}})
			info, _ := e.Session("p1")
			assert.Equal(t, PriorityBand, info.Priority, "got p1's priority band taken away")
		}},
		{at: 5 * s, op: arriveIn("p2", 0, "fans"), want: []string{"queued p2"},
			check: func(t *testing.T, e *Engine, _ []Event) {
				wantPos(t, e, "p2", map[string][2]int{"p1": {1, 3}, "q1": {2, 3}, "p2": {3, 3}})
				info, _ := e.Session("p2")
				assert.Zero(t, info.Priority, "got priority for a crowd no longer selected")
			}},
		{at: 6 * s, op: arriveIn("v1", 0, "vip"), want: []string{"queued v1"},
			check: func(t *testing.T, e *Engine, _ []Event) {
				wantPos(t, e, "v1", map[string][2]int{"p1": {1, 4}, "v1": {2, 4}, "q1": {3, 4}, "p2": {4, 4}})
			}},
		{at: 7 * s, op: closeS("s1"), want: []string{"closed s1 a", "assigned p1 a freed"}},
	})
}

// P2: Policy.TeamLevel is where a new engine starts; SetPolicy does not
// change the current level, which SetTeamLevel alone does.
func TestSetPolicy_P2_TeamLevelIsState(t *testing.T) {
	s := time.Second
	gold := policy.Policy{Crowds: []policy.Crowd{{ID: "vip"}}, TeamLevel: policy.LevelGold}
	none := gold
	none.TeamLevel = policy.LevelNone
	e := newEngine(t, gold)
	runSteps(t, e, []spStep{
		{op: addAgent("a", agent.Limit(1))},
		{at: 1 * s, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2 * s, op: setPolicy(none), check: func(t *testing.T, e *Engine, _ []Event) {
			assert.Equal(t, policy.LevelGold, e.TeamLevel())
		}},
		{at: 3 * s, op: arriveIn("v1", 0, "vip"), want: []string{"assigned v1 a priority"}},
		{at: 4 * s, op: teamLevel(policy.LevelBronze)},
		{at: 5 * s, op: setPolicy(gold), check: func(t *testing.T, e *Engine, _ []Event) {
			assert.Equal(t, policy.LevelBronze, e.TeamLevel())
		}},
		{at: 6 * s, op: arriveIn("v2", 0, "vip"), want: []string{"queued v2"}},
	})
}

// L2, L3: changing the auto-close durations re-arms every pending
// deadline from the same starting point. A later deadline closes at the
// new instant, not a nanosecond before (nor at the old one); one the
// change puts in the past closes at the SetPolicy instant, in that call,
// and the capacity it frees pulls the queue head in the same call. A
// duration set to 0 cancels its timers.
func TestSetPolicy_L2_AutoCloseChangedWithDeadlinesPending(t *testing.T) {
	m := time.Minute
	p := policy.Policy{BuyerIdleClose: 20 * m}
	e := newEngine(t, p)
	closedAt := func(id string, at time.Duration, r CloseReason) func(*testing.T, *Engine, []Event) {
		return func(t *testing.T, e *Engine, evs []Event) {
			wantAt(t, evs, at)
			c, ok := e.Closed(id)
			require.Truef(t, ok, "got %s not closed", id)
			assert.Truef(t, c.At.Equal(t0.Add(at)), "got %s closed at %v, want %v", id, c.At.Sub(t0), at)
			assert.Equal(t, r, c.Reason)
		}
	}
	runSteps(t, e, []spStep{
		{op: addAgent("a", agent.Limit(3))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 1 * m, op: msg("s1", FromAgent, "a"), want: []string{"message s1 agent"}}, // closes at 21m
		{at: 2 * m, op: arrive("s2", "b2", 0), want: []string{"assigned s2 a arrival"}},
		{at: 5 * m, op: msg("s2", FromAgent, "a"), want: []string{"message s2 agent"}}, // closes at 25m
		{at: 6 * m, op: arrive("s3", "b3", 0), want: []string{"assigned s3 a arrival"}},
		{at: 7 * m, op: msg("s3", FromAgent, "a"), want: []string{"message s3 agent"}}, // closes at 27m
		{at: 8 * m, op: arrive("q1", "bq1", 0), want: []string{"queued q1"}},
		{at: 9 * m, op: arrive("q2", "bq2", 0), want: []string{"queued q2"}},
		{at: 10 * m, op: setPolicy(policy.Policy{BuyerIdleClose: 30 * m}), check: func(t *testing.T, e *Engine, _ []Event) {
			wantDeadline(t, e, "30m", "s1", 31*m)
			wantDeadline(t, e, "30m", "s2", 35*m)
			wantDeadline(t, e, "30m", "s3", 37*m)
			at, ok := e.NextDeadline()
			assert.True(t, ok)
			assert.Equal(t, t0.Add(31*m), at)
		}},
		{at: 21 * m, op: advance()}, // the old deadline: nothing
		{at: 31*m - 1, op: advance()},
		{at: 31 * m, op: advance(), want: []string{"closed s1 a buyer-idle", "assigned q1 a freed"},
			check: closedAt("s1", 31*m, CloseBuyerIdle)},
		// s2's deadline becomes 5m+5m = 10m, past: it closes now, in this
		// call, and q2 takes its place; s3's becomes 12m, past too, but
		// fires after s2's (deadline order), its close pulling nothing.
		{at: 32 * m, op: setPolicy(policy.Policy{BuyerIdleClose: 5 * m}),
			want:  []string{"closed s2 a buyer-idle", "assigned q2 a freed", "closed s3 a buyer-idle"},
			check: closedAt("s2", 32*m, CloseBuyerIdle)},
		{at: 33 * m, op: msg("q1", FromAgent, "a"), want: []string{"message q1 agent"}}, // closes at 38m
		// q2 is unreplied since 9m, in a's list since 32m: the agent
		// timeout counts from 32m (L3), 42m.
		{at: 34 * m, op: setPolicy(policy.Policy{BuyerIdleClose: 10 * m, AgentIdleClose: 10 * m}),
			check: func(t *testing.T, e *Engine, _ []Event) {
				wantDeadline(t, e, "agent timeout on", "q1", 43*m)
				wantDeadline(t, e, "agent timeout on", "q2", 42*m)
			}},
		{at: 35 * m, op: setPolicy(policy.Policy{AgentIdleClose: 10 * m}), check: func(t *testing.T, e *Engine, _ []Event) {
			wantDeadline(t, e, "buyer timeout off", "q1", 0)
			wantDeadline(t, e, "buyer timeout off", "q2", 42*m)
		}},
		{at: 42 * m, op: advance(), want: []string{"closed q2 a agent-idle"}, check: closedAt("q2", 42*m, CloseAgentIdle)},
		{at: 43 * m, op: setPolicy(policy.Policy{}), check: func(t *testing.T, e *Engine, _ []Event) {
			wantDeadline(t, e, "both off", "q1", 0)
			_, ok := e.NextDeadline()
			assert.False(t, ok, "got a pending timer with both timeouts off")
		}},
		{at: 48 * time.Hour, op: advance(), check: func(t *testing.T, e *Engine, _ []Event) {
			_, ok := e.Session("q1")
			assert.True(t, ok, "got q1 closed with no timeout set")
		}},
	})
}

// O3: the offline validity shortened re-arms every pending expiry from
// when the message entered the pool: one already past expires at the
// SetPolicy instant, in that call; the others at their new instant, not
// before. Lengthened, a message lives until its new instant.
func TestSetPolicy_O3_OfflineValidityShortened(t *testing.T) {
	h := time.Hour
	e := newEngine(t, policy.Policy{OfflineValidity: 6 * h})
	runSteps(t, e, []spStep{
		{op: addAgentStatus("a", agent.Limit(5), agent.Offline)},
		{op: arrive("m1", "b1", 0), want: []string{"offline m1"}},            // expires at 6h
		{at: 2 * h, op: arrive("m2", "b2", 0), want: []string{"offline m2"}}, // 8h
		{at: 3 * h, op: setPolicy(policy.Policy{OfflineValidity: 2 * h}), want: []string{"expired m1"},
			check: func(t *testing.T, e *Engine, evs []Event) {
				wantAt(t, evs, 3*h)
				wantDeadline(t, e, "2h", "m2", 4*h)
			}},
		{at: 4*h - 1, op: advance()},
		{at: 4 * h, op: advance(), want: []string{"expired m2"}, check: func(t *testing.T, e *Engine, evs []Event) {
			wantAt(t, evs, 4*h)
		}},
		{at: 5 * h, op: arrive("m3", "b3", 0), want: []string{"offline m3"}}, // 7h
		{at: 6 * h, op: setPolicy(policy.Policy{OfflineValidity: 6 * h}), check: func(t *testing.T, e *Engine, _ []Event) {
			wantDeadline(t, e, "6h again", "m3", 11*h)
		}},
		{at: 7 * h, op: advance()},
		{at: 8 * h, op: login("a"), want: []string{"assigned m3 a freed [offline]"}},
	})
}

// splitBuyers returns a buyer the B2 split sends to the bot at a share of
// one half, and one it does not.
func splitBuyers() (bot, human string) {
	for i := 0; bot == "" || human == ""; i++ {
		id := fmt.Sprint("b", i)
		if splitPoint(id) < 0.5 {
			bot = cmpOr(bot, id)
		} else {
			human = cmpOr(human, id)
		}
	}
	return bot, human
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// B2: bot windows and the shop's zone changed apply from the next
// arrival: the split follows the new windows read in the new zone. A
// session the bot already holds stays with it.
func TestSetPolicy_B2_BotWindowsAndZoneChanged(t *testing.T) {
	m := time.Minute
	cst := time.FixedZone("UTC+8", 8*3600) // t0 is 20:00 UTC, 04:00 in UTC+8
	evening := []policy.Window{{Start: 19 * time.Hour, End: 23 * time.Hour, Share: 1}}
	night := []policy.Window{{Start: 3 * time.Hour, End: 5 * time.Hour, Share: 1}}
	half := []policy.Window{{Start: 3 * time.Hour, End: 5 * time.Hour, Share: 0.5}}
	botBuyer, humanBuyer := splitBuyers()
	e := newEngine(t, policy.Policy{BotWindows: evening})
	runSteps(t, e, []spStep{
		{op: addAgent("a", agent.Unlimited())},
		{op: arrive("s1", "b1", 0), want: []string{"bot s1"}}, // 20:00 UTC, in the window
		{at: 1 * m, op: setPolicy(policy.Policy{BotWindows: evening, Location: cst})},
		{at: 2 * m, op: arrive("s2", "b2", 0), want: []string{"assigned s2 a arrival"}, // 04:02 in UTC+8
			check: func(t *testing.T, e *Engine, _ []Event) {
				info, _ := e.Session("s1")
				assert.Equal(t, PlaceBot, info.Place, "got s1 moved from the bot by a window change")
			}},
		{at: 3 * m, op: setPolicy(policy.Policy{BotWindows: night, Location: cst})},
		{at: 4 * m, op: arrive("s3", "b3", 0), want: []string{"bot s3"}},
		{at: 5 * m, op: setPolicy(policy.Policy{BotWindows: half, Location: cst})},
		{at: 6 * m, op: arrive("s4", botBuyer, 0), want: []string{"bot s4"}},
		{at: 6 * m, op: arrive("s5", humanBuyer, 0), want: []string{"assigned s5 a arrival"}},
		{at: 7 * m, op: setPolicy(policy.Policy{BotWindows: half})}, // back to UTC: 20:07, no window
		{at: 8 * m, op: arrive("s6", botBuyer, 0), want: []string{"assigned s6 a arrival"},
			check: func(t *testing.T, e *Engine, _ []Event) { assert.Equal(t, 3, e.BotLen()) }},
	})
}

// R2: a group may be added; one an agent serves, or an open session
// belongs to, may not be removed (ErrPolicyConflict, nothing changed).
// GroupFallback toggled moves the waiting sessions between their group's
// pool and the common one, keeping the Q2 order; turned on while an agent
// outside the group has room, it hands it the best waiting session in the
// same call.
func TestSetPolicy_R2_GroupsAddedAndRemoved(t *testing.T) {
	s := time.Second
	g1 := policy.Group{ID: "g1", Crowds: []string{"vip"}}
	g2 := policy.Group{ID: "g2", Crowds: []string{"fans"}}
	both := policy.Policy{Groups: []policy.Group{g1, g2}}
	fallback := both
	fallback.GroupFallback = true
	e := newEngine(t, policy.Policy{Groups: []policy.Group{g1}})
	separate := map[string][2]int{"v3": {1, 2}, "v2": {2, 2}, "n2": {1, 1}, "f1": {1, 1}}
	runSteps(t, e, []spStep{
		{op: addAgentIn("c", agent.Limit(1), "g2"), err: ErrUnknownGroup},
		{op: setPolicy(both)},
		{op: addAgentIn("a", agent.Limit(1), "g1")},
		{op: addAgent("b", agent.Limit(1))},
		{at: 1 * s, op: arriveIn("v1", 0, "vip"), want: []string{"assigned v1 a arrival"}},
		{at: 2 * s, op: arriveIn("n1", 0), want: []string{"assigned n1 b arrival"}},
		{at: 3 * s, op: arriveIn("v2", 0, "vip"), want: []string{"queued v2"}},
		{at: 4 * s, op: arriveIn("n2", 0), want: []string{"queued n2"}},
		{at: 5 * s, op: arriveIn("f1", 0, "fans"), want: []string{"queued f1"}},
		{at: 6 * s, op: arriveIn("v3", 1, "vip"), want: []string{"queued v3"},
			check: func(t *testing.T, e *Engine, _ []Event) { wantPos(t, e, "own pools", separate) }},
		{at: 7 * s, op: setPolicy(policy.Policy{Groups: []policy.Group{g2}}), err: ErrPolicyConflict, errText: `agent "a"`},
		{at: 8 * s, op: setPolicy(policy.Policy{Groups: []policy.Group{g1}}), err: ErrPolicyConflict, errText: `group "g2"`},
		{at: 9 * s, op: setPolicy(fallback), check: func(t *testing.T, e *Engine, _ []Event) {
			wantPos(t, e, "fallback on", map[string][2]int{"v3": {1, 4}, "v2": {2, 4}, "n2": {3, 4}, "f1": {4, 4}})
		}},
		{at: 10 * s, op: setPolicy(both), check: func(t *testing.T, e *Engine, _ []Event) {
			wantPos(t, e, "fallback off", separate)
		}},
		// b frees: only the common pool is b's.
		{at: 11 * s, op: closeS("n1"), want: []string{"closed n1 b", "assigned n2 b freed"}},
		{at: 12 * s, op: closeS("n2"), want: []string{"closed n2 b"}},
		{at: 13 * s, op: setPolicy(fallback), want: []string{"assigned v3 b freed"},
			check: func(t *testing.T, e *Engine, _ []Event) {
				wantPos(t, e, "fallback with room", map[string][2]int{"v2": {1, 2}, "f1": {2, 2}})
			}},
		{at: 14 * s, op: leave("f1"), want: []string{"left f1"}},
		{at: 15 * s, op: setPolicy(policy.Policy{Groups: []policy.Group{g1}, GroupFallback: true}),
			check: func(t *testing.T, e *Engine, _ []Event) {
				wantPos(t, e, "g2 removed", map[string][2]int{"v2": {1, 1}})
			}},
		{at: 16 * s, op: addAgentIn("c", agent.Limit(1), "g2"), err: ErrUnknownGroup},
		{at: 17 * s, op: closeS("v1"), want: []string{"closed v1 a", "assigned v2 a freed"}},
	})
}

// L4: a lower HistoryLimit trims every history at once, dropping the
// records with the oldest last message (not the first closed), and
// Engine.Closed forgets the dropped ones. Raising it again brings nothing
// back.
func TestSetPolicy_L4_HistoryLimitLowered(t *testing.T) {
	s := time.Second
	e := newEngine(t, policy.Policy{HistoryLimit: 4})
	history := func(t *testing.T, e *Engine, id string, want ...string) {
		t.Helper()
		h, n, err := e.History(id, Page{})
		require.NoError(t, err)
		var got []string
		for _, c := range h {
			got = append(got, c.Session)
		}
		assert.Equalf(t, want, got, "got %s's history %v, want %v", id, got, want)
		assert.Equal(t, len(want), n)
	}
	runSteps(t, e, []spStep{
		{op: addAgent("a", agent.Unlimited())},
		{op: addAgentStatus("b", agent.Unlimited(), agent.Break)},
		{at: 1 * s, op: arrive("h1", "b1", 0), want: []string{"assigned h1 a arrival"}},
		{at: 2 * s, op: arrive("h2", "b2", 0), want: []string{"assigned h2 a arrival"}},
		{at: 3 * s, op: arrive("h3", "b3", 0), want: []string{"assigned h3 a arrival"}},
		{at: 4 * s, op: arrive("h4", "b4", 0), want: []string{"assigned h4 a arrival"}},
		{at: 5 * s, op: msg("h1", FromBuyer, ""), want: []string{"message h1 buyer"}}, // h1's last message is the newest
		{at: 6 * s, op: transfer("h4", "b"), want: []string{"transferred h4 a>b [transferred]"}},
		{at: 7 * s, op: closeS("h1"), want: []string{"closed h1 a"}},
		{at: 8 * s, op: closeS("h2"), want: []string{"closed h2 a"}},
		{at: 9 * s, op: closeS("h3"), want: []string{"closed h3 a"}},
		{at: 10 * s, op: closeS("h4"), want: []string{"closed h4 b [transferred]"},
			check: func(t *testing.T, e *Engine, _ []Event) {
				history(t, e, "a", "h1", "h3", "h2")
				history(t, e, "b", "h4")
			}},
		{at: 11 * s, op: setPolicy(policy.Policy{HistoryLimit: 1}), check: func(t *testing.T, e *Engine, _ []Event) {
			history(t, e, "a", "h1")
			history(t, e, "b", "h4")
			for _, id := range []string{"h2", "h3"} {
				_, ok := e.Closed(id)
				assert.Falsef(t, ok, "got %s found by Closed after it left the history", id)
			}
			c, ok := e.Closed("h1")
			assert.True(t, ok)
			assert.Equal(t, "a", c.Agent)
		}},
		{at: 12 * s, op: setPolicy(policy.Policy{HistoryLimit: 4}), check: func(t *testing.T, e *Engine, _ []Event) {
			history(t, e, "a", "h1")
		}},
		{at: 13 * s, op: arrive("h5", "b5", 0), want: []string{"assigned h5 a arrival"}},
		{at: 14 * s, op: closeS("h5"), want: []string{"closed h5 a"}, check: func(t *testing.T, e *Engine, _ []Event) {
			history(t, e, "a", "h5", "h1")
		}},
	})
}

// R2, R1: GroupFallback turned on while agents outside the group have
// room hands them the group's waiting sessions in the SetPolicy call,
// each routed by the shop's strategy (least saturated, then idle
// longest), as an arrival would be, not simply to the first agent by id.
func TestSetPolicy_R2_FallbackOnRoutesByStrategy(t *testing.T) {
	s := time.Second
	g1 := policy.Group{ID: "g1", Crowds: []string{"vip"}}
	e := newEngine(t, policy.Policy{Groups: []policy.Group{g1}})
	runSteps(t, e, []spStep{
		{op: addAgentIn("a", agent.Limit(1), "g1")},
		{op: addAgent("b", agent.Limit(2))},
		{op: addAgent("c", agent.Limit(2))},
		{at: 1 * s, op: arriveIn("v1", 0, "vip"), want: []string{"assigned v1 a arrival"}},
		{at: 2 * s, op: arriveIn("n1", 0), want: []string{"assigned n1 b arrival"}},
		{at: 3 * s, op: arriveIn("v2", 0, "vip"), want: []string{"queued v2"}},
		{at: 4 * s, op: arriveIn("v3", 0, "vip"), want: []string{"queued v3"}},
		// v2: c (0/2) is less saturated than b (1/2). v3: both at 1/2,
		// b idle since 2s, c since now → b.
		{at: 5 * s, op: setPolicy(policy.Policy{Groups: []policy.Group{g1}, GroupFallback: true}),
			want: []string{"assigned v2 c freed", "assigned v3 b freed"}},
	})
}

// R1: a shorter RecentContactTTL forgets the contacts older than it at
// once (the memory it bounds is given back in the SetPolicy call), and the
// buyer who returns is routed like a new one.
func TestSetPolicy_R1_RecentContactTTLShortened(t *testing.T) {
	m := time.Minute
	p := policy.Policy{Strategy: policy.RecentContact, RecentContactTTL: 2 * time.Hour}
	short := p
	short.RecentContactTTL = 20 * m
	e := newEngine(t, p)
	runSteps(t, e, []spStep{
		{op: addAgent("b", agent.Unlimited())},
		{at: 1 * m, op: arrive("x1", "bx", 0), want: []string{"assigned x1 b arrival"}},
		{at: 2 * m, op: addAgent("a", agent.Unlimited())},
		{at: 3 * m, op: closeS("x1"), want: []string{"closed x1 b"}},
		// a is idle longest, but bx's recent contact is b.
		{at: 10 * m, op: arrive("x2", "bx", 0), want: []string{"assigned x2 b arrival"}},
		{at: 11 * m, op: closeS("x2"), want: []string{"closed x2 b"}},
		{at: 40 * m, op: setPolicy(short), check: func(t *testing.T, e *Engine, _ []Event) {
			_, kept := e.recent.by["bx"]
			assert.False(t, kept, "got bx's 30-minute-old contact kept under a 20-minute TTL")
		}},
		{at: 41 * m, op: arrive("x3", "bx", 0), want: []string{"assigned x3 a arrival"}},
	})
}

// The rules read at each decision (the DM limit, RequeueOnOffline,
// MaxClockStep) apply from the next operation after SetPolicy, to
// sessions already open too.
func TestSetPolicy_NextDecisionReadsTheNewRules(t *testing.T) {
	s := time.Second
	e := newEngine(t, policy.Policy{})
	agentSays := func(id, a string) op { return msg(id, FromAgent, a) }
	runSteps(t, e, []spStep{
		{op: addAgent("a", agent.Unlimited())},
		{op: addAgent("b", agent.Unlimited())},
		{at: 1 * s, op: start("o1", "stranger", "a", true), want: []string{"assigned o1 a started [started]"}},
		{at: 2 * s, op: agentSays("o1", "a"), want: []string{"message o1 agent [started]"}},
		{at: 3 * s, op: setPolicy(policy.Policy{DMLimit: 1})},
		{at: 4 * s, op: agentSays("o1", "a"), err: ErrDMLimit},
		{at: 5 * s, op: setPolicy(policy.Policy{RequeueOnOffline: true})},
		{at: 6 * s, op: agentSays("o1", "a"), want: []string{"message o1 agent [started]"}}, // no limit now
		{at: 7 * s, op: setStatus("a", agent.Offline),
			want: []string{"warning a unlimited-offline", "queued o1 from a [started]", "assigned o1 b freed [started]"}},
		{at: 8 * s, op: setPolicy(policy.Policy{MaxClockStep: time.Hour})},
	})
	_, err := e.Arrive(t0.Add(8*s+2*time.Hour), Arrival{Session: "late"})
	assert.ErrorIs(t, err, ErrClockStep)
	_, err = e.Arrive(t0.Add(8*s+time.Hour), Arrival{Session: "on-time"})
	assert.NoError(t, err)
	require.NoError(t, e.Verify())
}

// O5: a raised OfflineBatch lets an online agent with room take more of
// the offline backlog in the SetPolicy call; a lower one moves nothing.
func TestSetPolicy_O5_OfflineBatchRaised(t *testing.T) {
	s := time.Second
	e := newEngine(t, policy.Policy{OfflineBatch: 1})
	runSteps(t, e, []spStep{
		{op: addAgentStatus("a", agent.Limit(10), agent.Offline)},
		{op: arrive("m1", "b1", 0), want: []string{"offline m1"}},
		{at: 1 * s, op: arrive("m2", "b2", 0), want: []string{"offline m2"}},
		{at: 2 * s, op: arrive("m3", "b3", 0), want: []string{"offline m3"}},
		{at: 3 * s, op: arrive("m4", "b4", 0), want: []string{"offline m4"}},
		{at: 4 * s, op: login("a"), want: []string{"assigned m1 a freed [offline]"}},
		{at: 5 * s, op: setPolicy(policy.Policy{OfflineBatch: 3}),
			want: []string{"assigned m2 a freed [offline]", "assigned m3 a freed [offline]"}},
		{at: 6 * s, op: setPolicy(policy.Policy{OfflineBatch: 1}), check: func(t *testing.T, e *Engine, _ []Event) {
			wantLoads(t, e, "lowered", map[string]int{"a": 3})
			assert.Equal(t, 1, e.OfflineLen())
		}},
		{at: 7 * s, op: closeS("m1"), want: []string{"closed m1 a [offline]"}}, // 2 offline sessions held, batch 1: m4 waits
		{at: 8 * s, op: setPolicy(policy.Policy{}), want: []string{"assigned m4 a freed [offline]"}},
	})
}

// A policy that does not validate is refused as invalid input, with the
// policy's FieldError, and changes nothing; so is an OpSetPolicy without
// a policy.
func TestSetPolicy_InvalidPolicy(t *testing.T) {
	e := newEngine(t, policy.Policy{BuyerIdleClose: time.Minute})
	nilPolicy := op{"set-policy nil", func(e *Engine, now time.Time) ([]Event, error) {
		return e.Apply(now, Op{Kind: OpSetPolicy})
	}}
	classes := func(field string) func(*testing.T, *Engine, []Event) {
		return func(t *testing.T, e *Engine, _ []Event) {
			bad := policy.Policy{Strategy: 9}
			if field == "BuyerIdleClose" {
				bad = policy.Policy{BuyerIdleClose: -1}
			}
			_, err := e.SetPolicy(e.Now(), bad)
			assert.ErrorIs(t, err, policy.ErrInvalid)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.NotErrorIs(t, err, ErrConflict)
			var fe *policy.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, field, fe.Field)
			assert.Equal(t, time.Minute, e.Policy().BuyerIdleClose)
		}
	}
	runSteps(t, e, []spStep{
		{op: addAgent("a", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{op: msg("s1", FromAgent, "a"), want: []string{"message s1 agent"}},
		{at: time.Second, op: setPolicy(policy.Policy{Strategy: 9}), err: ErrInvalidPolicy, errText: "Strategy",
			check: classes("Strategy")},
		{at: 2 * time.Second, op: setPolicy(policy.Policy{BuyerIdleClose: -1}), err: ErrInvalidPolicy,
			errText: "BuyerIdleClose", check: classes("BuyerIdleClose")},
		{at: 3 * time.Second, op: nilPolicy, err: ErrInvalidPolicy},
		{at: time.Minute, op: advance(), want: []string{"closed s1 a buyer-idle"}},
	})
}

// errorClasses returns how many of the three error classes err wraps.
func errorClasses(err error) int {
	n := 0
	for _, c := range []error{ErrNotFound, ErrConflict, ErrInvalid} {
		if errors.Is(err, c) {
			n++
		}
	}
	return n
}

// Random operations (actionFromBytes) interleaved with SetPolicy among the
// random-test policies: after every step the invariants and the event
// ledger hold, a refused op changed nothing, every error wraps exactly one
// class, and after every accepted change of policy a snapshot restores
// under the new policy to the same state.
func TestSetPolicy_RandomWithPolicyChanges(t *testing.T) {
	runs, steps := 60, 400
	if testing.Short() || raceEnabled {
		runs = 15
	}
	changed, refused := 0, 0
	for seed := uint64(1); seed <= uint64(runs); seed++ {
		r := rand.New(rand.NewPCG(seed, 0x5e7901))
		e := newEngine(t, randomPolicies[seed%uint64(len(randomPolicies))])
		l := newLedger()
		now := t0
		for i := range steps {
			var o Op
			var name string
			if r.IntN(8) == 0 {
				p := randomPolicies[r.IntN(len(randomPolicies))]
				o, name = Op{Kind: OpSetPolicy, Policy: &p}, fmt.Sprintf("set-policy %+v", p)
				now = now.Add(time.Duration(r.IntN(3600)) * time.Second)
			} else {
				a := actionFromBytes(byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()))
				o, name = a.op(), a.String()
				now = now.Add(a.dt)
			}
			where := fmt.Sprintf("seed %d step %d (%s)", seed, i, name)
			before := dump(e)
			l.before(e)
			next, pending := e.timers.Min()
			timersDue := pending && next.at <= ns(now)
			evs, err := e.Apply(now, o)
			if err != nil {
				require.Nilf(t, evs, "%s: got events %v with error %v, want none", where, evs, err)
				require.Equalf(t, 1, errorClasses(err), "%s: got error %v in %d classes, want exactly one", where, err, errorClasses(err))
				if !timersDue {
					require.Equalf(t, before, dump(e), "%s: got the state changed by a refused op (%v)", where, err)
				}
				if o.Kind == OpSetPolicy {
					refused++
					require.Truef(t, errors.Is(err, ErrPolicyConflict), "%s: got %v, want ErrPolicyConflict", where, err)
				}
				evs = e.Advance(now) // the timer events it held
			}
			require.NoErrorf(t, checkStep(e, l, evs), "%s: invariant", where)
			if err == nil && o.Kind == OpSetPolicy {
				changed++
				require.Equalf(t, *o.Policy, e.Policy(), "%s: got policy %+v", where, e.Policy())
				data, err := e.Snapshot()
				require.NoError(t, err)
				restored, err := Restore(*o.Policy, data)
				require.NoErrorf(t, err, "%s: restore", where)
				require.Equalf(t, dump(e), dump(restored), "%s: got a restored state unlike the original", where)
			}
		}
	}
	t.Logf("%d policy changes accepted, %d refused", changed, refused)
	assert.NotZero(t, changed)
	assert.NotZero(t, refused)
}

// Engine.Closed, which the history limit bounds (L4).

// wantClosed checks Engine.Closed for id: found, held by agentID, closed
// for r at t0+at, by buyer; or, with agentID "", not found.
func wantClosed(t *testing.T, e *Engine, id, agentID string, r CloseReason, at time.Duration, buyer string) {
	t.Helper()
	c, ok := e.Closed(id)
	if agentID == "" {
		assert.Falsef(t, ok, "got %s found by Closed (%+v), want not found", id, c)
		return
	}
	require.Truef(t, ok, "got %s not found by Closed, want it in %s's history", id, agentID)
	assert.Equalf(t, id, c.Session, "%s: got session %q", id, c.Session)
	assert.Equalf(t, agentID, c.Agent, "%s: got agent %q, want %q", id, c.Agent, agentID)
	assert.Equalf(t, r, c.Reason, "%s: got reason %v, want %v", id, c.Reason, r)
	assert.Truef(t, c.At.Equal(t0.Add(at)), "%s: got At %v, want %v", id, c.At.Sub(t0), at)
	assert.Equalf(t, buyer, c.Buyer, "%s: got buyer %q, want %q", id, c.Buyer, buyer)
}

// restoredAgrees checks that an engine restored from e's snapshot answers
// Closed and Session for ids exactly as e does.
func restoredAgrees(t *testing.T, e *Engine, ids ...string) {
	t.Helper()
	data, err := e.Snapshot()
	require.NoError(t, err)
	r, err := Restore(e.Policy(), data)
	require.NoError(t, err)
	for _, id := range ids {
		c, ok := e.Closed(id)
		rc, rok := r.Closed(id)
		assert.Equalf(t, ok, rok, "%s: got found %v after restore, want %v", id, rok, ok)
		assert.Equalf(t, render2(c), render2(rc), "%s: got %+v after restore, want %+v", id, rc, c)
		s, ok := e.Session(id)
		rs, rok := r.Session(id)
		assert.Equalf(t, ok, rok, "%s: got open %v after restore, want %v", id, rok, ok)
		assert.Truef(t, s.Arrived.Equal(rs.Arrived), "%s: got the open session arrived %v after restore, want %v", id, rs.Arrived, s.Arrived)
	}
}

// render2 renders a Closed with its times as instants (a restore keeps
// instants and offsets, not Location names).
func render2(c Closed) string {
	return fmt.Sprintf("%s %s %s %d %d %d %v %v", c.Session, c.Buyer, c.Agent, c.Arrived.UnixNano(), c.LastMessage.UnixNano(),
		c.At.UnixNano(), c.Reason, c.Flags)
}

// A closed session is found by id, with its agent, reason and time, while
// it is in its agent's history; not once it drops out of it (HistoryLimit)
// nor once its agent is removed. An id reused by a later session: Session
// finds the open one, Closed the earlier closed one; once the later one
// closes too, Closed finds it, and keeps finding it when the earlier one
// drops out of the history. Each answer survives Snapshot and Restore.
func TestClosed_FoundWhileInHistory(t *testing.T) {
	m := time.Minute
	e := newEngine(t, policy.Policy{HistoryLimit: 2, BuyerIdleClose: 10 * m})
	all := []string{"x1", "y1", "z1", "x2", "r", "q"}
	check := func(f func(t *testing.T, e *Engine)) func(*testing.T, *Engine, []Event) {
		return func(t *testing.T, e *Engine, _ []Event) {
			f(t, e)
			restoredAgrees(t, e, all...)
		}
	}
	runSteps(t, e, []spStep{
		{op: addAgent("a", agent.Unlimited())},
		{op: addAgentStatus("b", agent.Unlimited(), agent.Break)},
		{at: 1 * m, op: arrive("x1", "bx1", 0), want: []string{"assigned x1 a arrival"}},
		{at: 2 * m, op: closeS("x1"), want: []string{"closed x1 a"}, check: check(func(t *testing.T, e *Engine) {
			wantClosed(t, e, "x1", "a", CloseManual, 2*m, "bx1")
			c, _ := e.Closed("x1")
			assert.True(t, c.Arrived.Equal(t0.Add(1*m)))
		})},
		{at: 3 * m, op: arrive("y1", "by1", 0), want: []string{"assigned y1 a arrival"}},
		{at: 4 * m, op: msg("y1", FromAgent, "a"), want: []string{"message y1 agent"}},
		{at: 14 * m, op: advance(), want: []string{"closed y1 a buyer-idle"}, check: check(func(t *testing.T, e *Engine) {
			wantClosed(t, e, "y1", "a", CloseBuyerIdle, 14*m, "by1")
		})},
		{at: 15 * m, op: arrive("z1", "bz1", 0), want: []string{"assigned z1 a arrival"}},
		{at: 16 * m, op: transfer("z1", "b"), want: []string{"transferred z1 a>b [transferred]"}},
		{at: 17 * m, op: closeS("z1"), want: []string{"closed z1 b [transferred]"}, check: check(func(t *testing.T, e *Engine) {
			wantClosed(t, e, "z1", "b", CloseManual, 17*m, "bz1")
			c, _ := e.Closed("z1")
			assert.Equal(t, FlagTransferred, c.Flags)
		})},
		{at: 18 * m, op: arrive("x2", "bx2", 0), want: []string{"assigned x2 a arrival"}},
		{at: 19 * m, op: closeS("x2"), want: []string{"closed x2 a"}, check: check(func(t *testing.T, e *Engine) {
			wantClosed(t, e, "x1", "", 0, 0, "") // dropped: a keeps x2, y1
			wantClosed(t, e, "y1", "a", CloseBuyerIdle, 14*m, "by1")
			wantClosed(t, e, "x2", "a", CloseManual, 19*m, "bx2")
		})},
		{at: 20 * m, op: removeAgent("b"), check: check(func(t *testing.T, e *Engine) {
			wantClosed(t, e, "z1", "", 0, 0, "")
		})},
		{at: 21 * m, op: arrive("r", "br1", 0), want: []string{"assigned r a arrival"}},
		{at: 22 * m, op: closeS("r"), want: []string{"closed r a"}},
		{at: 23 * m, op: arrive("r", "br2", 0), want: []string{"assigned r a arrival"}, check: check(func(t *testing.T, e *Engine) {
			s, ok := e.Session("r")
			require.True(t, ok)
			assert.True(t, s.Arrived.Equal(t0.Add(23*m)), "got Session(r) arrived %v, want the open one's 23m", s.Arrived.Sub(t0))
			wantClosed(t, e, "r", "a", CloseManual, 22*m, "br1")
		})},
		{at: 24 * m, op: closeS("r"), want: []string{"closed r a"}, check: check(func(t *testing.T, e *Engine) {
			wantClosed(t, e, "r", "a", CloseManual, 24*m, "br2") // both r in a's history, the later found
			_, open := e.Session("r")
			assert.False(t, open)
		})},
		{at: 25 * m, op: arrive("q", "bq", 0), want: []string{"assigned q a arrival"}},
		{at: 26 * m, op: closeS("q"), want: []string{"closed q a"}, check: check(func(t *testing.T, e *Engine) {
			wantClosed(t, e, "r", "a", CloseManual, 24*m, "br2") // the earlier r dropped, the later kept
			wantClosed(t, e, "q", "a", CloseManual, 26*m, "bq")
		})},
		{at: 27 * m, op: arrive("q2", "bq2", 0), want: []string{"assigned q2 a arrival"}},
		{at: 28 * m, op: closeS("q2"), want: []string{"closed q2 a"}, check: check(func(t *testing.T, e *Engine) {
			wantClosed(t, e, "r", "", 0, 0, "")
		})},
	})
}

// Regression: Restore rebuilt the index of closed ids from each agent's
// history newest first, and across agents in id order, so an id closed
// twice was indexed to its earlier record: after a restore, Closed
// returned how the first session of the id ended, not the latest.
func TestClosed_ReusedIDSurvivesRestore(t *testing.T) {
	m := time.Minute
	for _, by := range [][2]string{{"a", "a"}, {"b", "a"}, {"a", "b"}} {
		firstBy, secondBy := by[0], by[1]
		t.Run("closed by "+firstBy+" then "+secondBy, func(t *testing.T) {
			e := newEngine(t, policy.Policy{})
			runSteps(t, e, []spStep{
				{op: addAgentStatus("a", agent.Unlimited(), agent.Break)},
				{op: addAgentStatus("b", agent.Unlimited(), agent.Break)},
				{at: 1 * m, op: arrive("r", "first", 0), want: []string{"offline r"}},
				{at: 2 * m, op: assignTo("r", firstBy), want: []string{"assigned r " + firstBy + " manual"}},
				{at: 3 * m, op: closeS("r"), want: []string{"closed r " + firstBy}},
				{at: 4 * m, op: arrive("r", "second", 0), want: []string{"offline r"}},
				{at: 5 * m, op: assignTo("r", secondBy), want: []string{"assigned r " + secondBy + " manual"}},
				{at: 6 * m, op: closeS("r"), want: []string{"closed r " + secondBy}, check: func(t *testing.T, e *Engine, _ []Event) {
					wantClosed(t, e, "r", secondBy, CloseManual, 6*m, "second")
					data, err := e.Snapshot()
					require.NoError(t, err)
					restored, err := Restore(e.Policy(), data)
					require.NoError(t, err)
					wantClosed(t, restored, "r", secondBy, CloseManual, 6*m, "second")
				}},
			})
		})
	}
}
