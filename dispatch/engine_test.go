package dispatch

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

var kuaishou = policy.Policy{Capacity: agent.KuaishouBounds()}

// The seed's own example (000): agent A at "20人挂起" holds 20 sessions;
// more buyers queue; A closes one, 20 → 19, and the queue head is assigned
// to A in the same operation, 19 → 20.
func TestC5_SeedExample_Cap20CloseOneAssignsQueueHead(t *testing.T) {
	steps := []step{{op: addAgent("A", agent.Limit(20))}}
	for i := 1; i <= 20; i++ {
		id := fmt.Sprintf("s%02d", i)
		steps = append(steps, step{at: time.Duration(i) * time.Second, op: arrive(id, "b"+id, 0),
			want: []string{"assigned " + id + " A arrival"}})
	}
	steps = append(steps,
		step{at: 30 * time.Second, op: arrive("q1", "bq1", 0), want: []string{"queued q1"}},
		step{at: 31 * time.Second, op: arrive("q2", "bq2", 0), want: []string{"queued q2"},
			check: func(t *testing.T, e *Engine) {
				assert.Equal(t, 20, loadOf(t, e, "A"))
				assert.Equal(t, 2, e.QueueLen())
			}},
		step{at: 5 * time.Minute, op: closeS("s07"),
			want: []string{"closed s07 A", "assigned q1 A freed"},
			check: func(t *testing.T, e *Engine) {
				assert.Equal(t, 20, loadOf(t, e, "A"), "19 after the close, 20 after the queue head")
				assert.Equal(t, 1, e.QueueLen())
				pos, n, ok := e.Position("q2")
				assert.True(t, ok)
				assert.Equal(t, [2]int{1, 1}, [2]int{pos, n})
			}},
	)
	run(t, kuaishou, steps)
}

func TestC1_AutoAssignStopsAtCapPerAgent(t *testing.T) {
	run(t, kuaishou, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgent("b", agent.Limit(2))},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}}, // a 0/1 idle longest
		{at: 2, op: arrive("s2", "b2", 0), want: []string{"assigned s2 b arrival"}},
		{at: 3, op: arrive("s3", "b3", 0), want: []string{"assigned s3 b arrival"}},
		{at: 4, op: arrive("s4", "b4", 0), want: []string{"queued s4"}},
	})
}

func TestC2_KuaishouCapacityModes(t *testing.T) {
	run(t, kuaishou, []step{
		{op: addAgent("a", agent.Limit(501)), err: ErrCapacityOutOfRange},
		{op: addAgent("a", agent.Limit(0)), err: ErrCapacityOutOfRange},
		{op: addAgent("a", agent.Unlimited())}, // 不自动挂起, the default
		{op: setCap("a", agent.Limit(500))},
		{op: setCap("a", agent.Limit(501)), err: ErrCapacityOutOfRange},
		{op: setCap("a", agent.Limit(-3)), err: ErrCapacityOutOfRange},
		{op: setCap("a", agent.Suspended())}, // 挂起: online, takes nothing
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"queued s1"}},
		{at: 2, op: setCap("a", agent.Limit(20)), want: []string{"assigned s1 a freed"}},
		{at: 3, op: setCap("a", agent.Unlimited())},
		{at: 4, op: arrive("s2", "b2", 0), want: []string{"assigned s2 a arrival"}},
	})
}

func TestC3_DouyinBoundAndLowWarning(t *testing.T) {
	douyin := policy.Policy{Capacity: agent.DouyinBounds()}
	run(t, douyin, []step{
		{op: addAgent("a", agent.Unlimited()), err: ErrCapacityMode},
		{op: addAgent("a", agent.Limit(201)), err: ErrCapacityOutOfRange},
		{op: addAgent("a", agent.Limit(4)), want: []string{"warning a capacity-low"}},
		{op: setCap("a", agent.Limit(5))},
		{op: setCap("a", agent.Limit(200))},
		{op: setCap("a", agent.Limit(1)), want: []string{"warning a capacity-low"}},
		{op: setCap("a", agent.Suspended()), err: ErrCapacityMode},
	})
}

func TestC4_ManualAssignAndTransferMayExceedCap(t *testing.T) {
	run(t, kuaishou, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgent("b", agent.Limit(1))},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2, op: arrive("s2", "b2", 0), want: []string{"assigned s2 b arrival"}},
		{at: 3, op: arrive("s3", "b3", 0), want: []string{"queued s3"}},
		{at: 4, op: assignTo("s3", "a"), want: []string{"assigned s3 a manual"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, 2, loadOf(t, e, "a")) }},
		{at: 5, op: transfer("s2", "a"), want: []string{"transferred s2 b>a [transferred]"},
			check: func(t *testing.T, e *Engine) {
				assert.Equal(t, 3, loadOf(t, e, "a"))
				assert.Equal(t, 0, loadOf(t, e, "b"))
			}},
		// a is at 3 of 1: auto-assignment skips it even though b is free.
		{at: 6, op: arrive("s4", "b4", 0), want: []string{"assigned s4 b arrival"}},
		{at: 7, op: arrive("s5", "b5", 0), want: []string{"queued s5"}},
		// a closes one: 3 → 2, still over its cap, so it pulls nothing.
		{at: 8, op: closeS("s1"), want: []string{"closed s1 a"}},
		{at: 9, op: closeS("s3"), want: []string{"closed s3 a"}},
		{at: 10, op: closeS("s2"), want: []string{"closed s2 a [transferred]", "assigned s5 a freed"}},
	})
}

func TestC5_TransferAwayFreesAndPullsHead(t *testing.T) {
	run(t, kuaishou, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgentStatus("b", agent.Limit(1), agent.Break)},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: 3, op: transfer("s1", "b"), want: []string{"transferred s1 a>b [transferred]", "assigned s2 a freed"}},
	})
}

func TestC6_LowerCapNeverEvicts_RaiseCapPulls(t *testing.T) {
	run(t, kuaishou, []step{
		{op: addAgent("a", agent.Limit(3))},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2, op: arrive("s2", "b2", 0), want: []string{"assigned s2 a arrival"}},
		{at: 3, op: arrive("s3", "b3", 0), want: []string{"assigned s3 a arrival"}},
		{at: 4, op: setCap("a", agent.Limit(1)), check: func(t *testing.T, e *Engine) {
			assert.Equal(t, 3, loadOf(t, e, "a"), "lowering the cap evicts nothing")
		}},
		{at: 5, op: arrive("s4", "b4", 0), want: []string{"queued s4"}},
		{at: 6, op: arrive("s5", "b5", 0), want: []string{"queued s5"}},
		{at: 7, op: arrive("s6", "b6", 0), want: []string{"queued s6"}},
		{at: 8, op: closeS("s1"), want: []string{"closed s1 a"}}, // 2 of 1: still full
		{at: 9, op: setCap("a", agent.Limit(4)), want: []string{"assigned s4 a freed", "assigned s5 a freed"}},
	})
}

func TestS1_OnlyOnlineAgentsReceive(t *testing.T) {
	run(t, kuaishou, []step{
		{op: addAgentStatus("brk", agent.Unlimited(), agent.Break)},
		{op: addAgentStatus("off", agent.Unlimited(), agent.Offline)},
		{op: addAgent("on", agent.Limit(1))},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 on arrival"}},
		{at: 2, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: 3, op: setStatus("on", agent.Break)},
		// No agent online: a new session goes to the offline pool (O1),
		// while s2 keeps its place in the queue.
		{at: 4, op: arrive("s3", "b3", 0), want: []string{"offline s3"}},
		{at: 5, op: setStatus("brk", agent.Online), want: []string{"assigned s2 brk freed", "assigned s3 brk freed [offline]"}},
		{at: 6, op: setStatus("x", agent.Online), err: ErrUnknownAgent},
		{at: 6, op: setStatus("brk", agent.Status(0)), err: ErrInvalidStatus},
		{at: 6, op: setStatus("brk", agent.Status(9)), err: ErrInvalidStatus},
	})
}

func TestS2_NewAgentOnline_LoginRestoresLastStatus(t *testing.T) {
	status := func(id string, want agent.Status) func(*testing.T, *Engine) {
		return func(t *testing.T, e *Engine) {
			a, ok := e.Agent(id)
			require.True(t, ok)
			assert.Equal(t, want, a.Status)
		}
	}
	run(t, kuaishou, []step{
		{op: addAgent("a", agent.Limit(5)), check: status("a", agent.Online)},
		{at: 1, op: setStatus("a", agent.Break)},
		{at: 2, op: logout("a"), check: status("a", agent.Offline)},
		{at: 3, op: arrive("s1", "b1", 0), want: []string{"offline s1"}},
		{at: 4, op: login("a"), check: status("a", agent.Break)}, // back on break: takes nothing
		{at: 5, op: setStatus("a", agent.Online), want: []string{"assigned s1 a freed [offline]"}},
		{at: 6, op: logout("a")},
		{at: 7, op: logout("a")}, // twice: still remembers online
		{at: 8, op: login("a"), check: status("a", agent.Online)},
		{at: 9, op: login("zz"), err: ErrUnknownAgent},
		{at: 9, op: logout("zz"), err: ErrUnknownAgent},
	})
}

func TestS3_TransferOnlyToOnlineOrBreak(t *testing.T) {
	run(t, kuaishou, []step{
		{op: addAgent("a", agent.Limit(5))},
		{op: addAgentStatus("brk", agent.Limit(5), agent.Break)},
		{op: addAgentStatus("off", agent.Limit(5), agent.Offline)},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2, op: transfer("s1", "off"), err: ErrAgentOffline},
		{at: 2, op: transfer("s1", "a"), err: ErrSameAgent},
		{at: 2, op: transfer("s1", "nobody"), err: ErrUnknownAgent},
		{at: 2, op: transfer("nope", "brk"), err: ErrUnknownSession},
		{at: 3, op: transfer("s1", "brk"), want: []string{"transferred s1 a>brk [transferred]"}},
		{at: 4, op: logout("a")},
		{at: 5, op: arrive("s2", "b2", 0), want: []string{"offline s2"}},
		{at: 6, op: transfer("s2", "brk"), err: ErrNotInReception},
		{at: 6, op: assignTo("s2", "off"), err: ErrAgentOffline},
		{at: 7, op: assignTo("s2", "brk"), want: []string{"assigned s2 brk manual"}},
		{at: 8, op: assignTo("s2", "brk"), err: ErrNotWaiting},
	})
}

func TestS5_SessionsStayWithAgentWhoGoesOffline(t *testing.T) {
	run(t, kuaishou, []step{
		{op: addAgent("a", agent.Limit(5))},
		{op: addAgent("b", agent.Limit(5))},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2, op: logout("a"), check: func(t *testing.T, e *Engine) {
			info, ok := e.Session("s1")
			require.True(t, ok)
			assert.Equal(t, PlaceAgent, info.Place)
			assert.Equal(t, "a", info.Agent)
		}},
		{at: 3, op: removeAgent("a"), err: ErrAgentBusy},
		{at: 4, op: closeS("s1"), want: []string{"closed s1 a"}}, // an offline agent's close pulls nothing
		{at: 5, op: removeAgent("a")},
		{at: 5, op: removeAgent("a"), err: ErrUnknownAgent},
	})
}

func TestQ1_QueueWhenEveryOnlineAgentIsFull(t *testing.T) {
	run(t, kuaishou, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgent("s", agent.Suspended())},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: 3, op: arrive("s3", "b3", 0), want: []string{"queued s3"}},
		{at: 4, op: closeS("s1"), want: []string{"closed s1 a", "assigned s2 a freed"}},
	})
}

func TestQ2_PriorityThenArrivalThenSequence(t *testing.T) {
	run(t, kuaishou, []step{
		{op: addAgent("a", agent.Limit(1))},
		{at: 1, op: arrive("s0", "b0", 0), want: []string{"assigned s0 a arrival"}},
		{at: 2, op: arrive("low1", "b1", 0), want: []string{"queued low1"}},
		{at: 3, op: arrive("low2", "b2", 0), want: []string{"queued low2"}},
		{at: 3, op: arrive("low3", "b3", 0), want: []string{"queued low3"}}, // same instant: by sequence
		{at: 4, op: arrive("high", "b4", 5), want: []string{"queued high"}},
		{at: 5, op: closeS("s0"), want: []string{"closed s0 a", "assigned high a freed"}},
		{at: 6, op: closeS("high"), want: []string{"closed high a", "assigned low1 a freed"}},
		{at: 7, op: closeS("low1"), want: []string{"closed low1 a", "assigned low2 a freed"}},
		{at: 8, op: closeS("low2"), want: []string{"closed low2 a", "assigned low3 a freed"}},
	})
}

func TestQ3_PositionLengthAndLeaving(t *testing.T) {
	pos := func(id string, want, wantLen int) func(*testing.T, *Engine) {
		return func(t *testing.T, e *Engine) {
			p, n, ok := e.Position(id)
			require.Truef(t, ok, "%s waiting", id)
			assert.Equalf(t, [2]int{want, wantLen}, [2]int{p, n}, "position of %s", id)
		}
	}
	run(t, kuaishou, []step{
		{op: addAgent("a", agent.Limit(1))},
		{at: 1, op: arrive("s0", "b0", 0), want: []string{"assigned s0 a arrival"}},
		{at: 2, op: arrive("q1", "b1", 0), want: []string{"queued q1"}},
		{at: 3, op: arrive("q2", "b2", 0), want: []string{"queued q2"}},
		{at: 4, op: arrive("q3", "b3", 0), want: []string{"queued q3"}, check: pos("q3", 3, 3)},
		{at: 5, op: leave("q2"), want: []string{"left q2"}, check: pos("q3", 2, 2)},
		{at: 6, op: leave("q2"), err: ErrUnknownSession},
		{at: 6, op: leave("s0"), err: ErrNotWaiting},
		{at: 7, op: closeS("s0"), want: []string{"closed s0 a", "assigned q1 a freed"}, check: func(t *testing.T, e *Engine) {
			_, _, ok := e.Position("q1")
			assert.False(t, ok, "an assigned session has no queue position")
			pos("q3", 1, 1)(t, e)
		}},
	})
}

func TestQ4_NoQueueAssignsOverCapToLeastSaturated(t *testing.T) {
	p := policy.Policy{NoQueue: true, Capacity: agent.DouyinBounds()}
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(2)), want: []string{"warning a capacity-low"}}, // C3: below 5
		{op: addAgent("b", agent.Limit(4)), want: []string{"warning b capacity-low"}},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}}, // 0/2 = 0/4: a idle longer (added first, same instant → id)
		{at: 2, op: arrive("s2", "b2", 0), want: []string{"assigned s2 b arrival"}}, // b 0/4 < a 1/2
		{at: 3, op: arrive("s3", "b3", 0), want: []string{"assigned s3 b arrival"}}, // 1/4 < 1/2
		{at: 4, op: arrive("s4", "b4", 0), want: []string{"assigned s4 a arrival"}}, // 1/2 = 2/4, a idle since 1 < b since 3
		{at: 5, op: arrive("s5", "b5", 0), want: []string{"assigned s5 b arrival"}},
		{at: 6, op: arrive("s6", "b6", 0), want: []string{"assigned s6 b arrival"}},
		// a 2/2, b 4/4: everyone full. No queue: over the cap, least
		// saturated (1 = 1), idle longest: a (since 4) before b (since 6).
		{at: 7, op: arrive("s7", "b7", 0), want: []string{"assigned s7 a no-queue"}},
		{at: 8, op: arrive("s8", "b8", 0), want: []string{"assigned s8 b no-queue"}}, // a 3/2 > b 4/4
		{at: 9, op: logout("a")},
		{at: 9, op: logout("b")},
		// No online agent at all: the offline path (Q4, O1).
		{at: 10, op: arrive("s9", "b9", 0), want: []string{"offline s9"}},
	})
}

func TestQ4_NoQueueWithOnlySuspendedAgentsQueues(t *testing.T) {
	p := policy.Policy{NoQueue: true, Capacity: agent.KuaishouBounds()}
	run(t, p, []step{
		{op: addAgent("a", agent.Suspended())},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"queued s1"}},
		{at: 2, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		// Unsuspended but already full: the queue still goes to a, over
		// the cap, because the shop does not queue.
		{at: 3, op: setCap("a", agent.Limit(1)), want: []string{"assigned s1 a freed", "assigned s2 a no-queue"}},
	})
}

func TestO1_O2_OfflinePoolDistributedToAgentsWithRoom(t *testing.T) {
	run(t, kuaishou, []step{
		{op: addAgentStatus("a", agent.Limit(2), agent.Offline)},
		{op: addAgentStatus("b", agent.Limit(1), agent.Offline)},
		{at: 1, op: arrive("m1", "b1", 0), want: []string{"offline m1"}},
		{at: 2, op: arrive("m2", "b2", 0), want: []string{"offline m2"}},
		{at: 3, op: arrive("m3", "b3", 0), want: []string{"offline m3"}},
		{at: 4, op: arrive("m4", "b4", 0), want: []string{"offline m4"}, check: func(t *testing.T, e *Engine) {
			assert.Equal(t, 4, e.OfflineLen())
			p, n, ok := e.Position("m2")
			require.True(t, ok)
			assert.Equal(t, [2]int{2, 4}, [2]int{p, n})
		}},
		// O2: only to agents with room; flagged 离线留言自动分配.
		{at: 5, op: login("a"), want: []string{"assigned m1 a freed [offline]", "assigned m2 a freed [offline]"}},
		// m3, m4 wait while a is full; a new buyer now queues (an agent is online).
		{at: 6, op: arrive("s5", "b5", 0), want: []string{"queued s5"}},
		{at: 7, op: login("b"), want: []string{"assigned m3 b freed [offline]"}},
		// Oldest first across both pools (Q2): m4 (t4) before s5 (t6).
		{at: 8, op: closeS("m1"), want: []string{"closed m1 a [offline]", "assigned m4 a freed [offline]"}},
		{at: 9, op: closeS("m2"), want: []string{"closed m2 a [offline]", "assigned s5 a freed"}},
	})
}

func TestO3_OfflineMessageExpiresAtSevenDaysNotBefore(t *testing.T) {
	day := 24 * time.Hour
	run(t, kuaishou, []step{
		{op: addAgentStatus("a", agent.Limit(5), agent.Offline)},
		{at: 0, op: arrive("m1", "b1", 0), want: []string{"offline m1"}, check: func(t *testing.T, e *Engine) {
			info, _ := e.Session("m1")
			assert.Equal(t, t0.Add(7*day), info.Deadline)
		}},
		{at: time.Hour, op: arrive("m2", "b2", 0), want: []string{"offline m2"}},
		{at: 7*day - time.Nanosecond, op: advance()},
		{at: 7 * day, op: advance(), want: []string{"expired m1"}},
		// m2 expires at 7d+1h; an operation past it fires the timer first,
		// and the event is the deadline's, not the operation's.
		{at: 8 * day, op: login("a"), want: []string{"expired m2"}, check: func(t *testing.T, e *Engine) {
			assert.Equal(t, 0, e.OfflineLen())
		}},
	})
}

func TestO3_AdvanceOverLongGapFiresInDeadlineOrder(t *testing.T) {
	e, err := New(policy.Policy{OfflineValidity: time.Hour})
	require.NoError(t, err)
	// Arrive in an order that differs from the deadline order is impossible
	// with one validity, so check order and instants over a long gap.
	for i := 0; i < 5; i++ {
		_, err := e.Arrive(t0.Add(time.Duration(i)*time.Minute), Arrival{Session: fmt.Sprint("m", i)})
		require.NoError(t, err)
	}
	evs := e.Advance(t0.Add(30 * 24 * time.Hour))
	require.Len(t, evs, 5)
	for i, ev := range evs {
		assert.Equal(t, EventExpired, ev.Kind)
		assert.Equal(t, fmt.Sprint("m", i), ev.Session)
		assert.Equal(t, t0.Add(time.Hour+time.Duration(i)*time.Minute), ev.At, "the deadline, not the Advance time")
	}
	require.NoError(t, e.Verify())
}

func TestO3_LeavingOrAssignedOfflineMessageCancelsItsTimer(t *testing.T) {
	run(t, kuaishou, []step{
		{op: addAgentStatus("a", agent.Limit(5), agent.Offline)},
		{op: arrive("m1", "b1", 0), want: []string{"offline m1"}},
		{op: arrive("m2", "b2", 0), want: []string{"offline m2"}},
		{at: time.Hour, op: leave("m1"), want: []string{"left m1"}},
		{at: 2 * time.Hour, op: login("a"), want: []string{"assigned m2 a freed [offline]"}},
		{at: 30 * 24 * time.Hour, op: advance()}, // nothing left to expire
	})
}

func TestR1_LeastSaturatedTiesGoToIdleLongestThenID(t *testing.T) {
	run(t, kuaishou, []step{
		{op: addAgent("c", agent.Limit(10))},
		{op: addAgent("b", agent.Limit(10))},
		{op: addAgent("a", agent.Limit(5))},
		{at: 1, op: arrive("s1", "x1", 0), want: []string{"assigned s1 a arrival"}}, // all 0, same idle: id
		{at: 2, op: arrive("s2", "x2", 0), want: []string{"assigned s2 b arrival"}}, // b, c 0 < a 1/5
		{at: 3, op: arrive("s3", "x3", 0), want: []string{"assigned s3 c arrival"}},
		// a 1/5 = b 1/10·2? no: a 0.2, b 0.1, c 0.1; b idle since 2 < c since 3.
		{at: 4, op: arrive("s4", "x4", 0), want: []string{"assigned s4 b arrival"}},
		{at: 5, op: arrive("s5", "x5", 0), want: []string{"assigned s5 c arrival"}},
		// a 1/5 = b 2/10 = c 2/10: idle longest is a (since 1).
		{at: 6, op: arrive("s6", "x6", 0), want: []string{"assigned s6 a arrival"}},
	})
}

func TestR1_RoundRobinDealsInIDOrderSkippingFull(t *testing.T) {
	p := policy.Policy{Strategy: policy.RoundRobin}
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgent("b", agent.Limit(5))},
		{op: addAgent("c", agent.Limit(5))},
		{at: 1, op: arrive("s1", "", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2, op: arrive("s2", "", 0), want: []string{"assigned s2 b arrival"}},
		{at: 3, op: arrive("s3", "", 0), want: []string{"assigned s3 c arrival"}},
		{at: 4, op: arrive("s4", "", 0), want: []string{"assigned s4 b arrival"}}, // a is full
		{at: 5, op: setStatus("c", agent.Break)},
		{at: 6, op: arrive("s5", "", 0), want: []string{"assigned s5 b arrival"}}, // wraps, c on break
		{at: 7, op: closeS("s1"), want: []string{"closed s1 a"}},
		{at: 8, op: arrive("s6", "", 0), want: []string{"assigned s6 a arrival"}},
	})
}

func TestR1_RecentContactOnlyWhenOnlineBelowCap(t *testing.T) {
	p := policy.Policy{Strategy: policy.RecentContact}
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(2))},
		{op: addAgent("b", agent.Limit(10))},
		{op: addAgent("c", agent.Limit(10))},
		{at: 1, op: arrive("s1", "alice", 0), want: []string{"assigned s1 a arrival"}}, // all 0, same idle: id
		{at: 2, op: closeS("s1"), want: []string{"closed s1 a"}},
		{at: 3, op: arrive("x1", "bob", 0), want: []string{"assigned x1 b arrival"}}, // b, c idle since t0
		// Sticky: a (0/2), where least-saturated would pick c (0/10, idle since t0).
		{at: 4, op: arrive("s2", "alice", 0), want: []string{"assigned s2 a arrival"}},
		{at: 5, op: arrive("y1", "carol", 0), want: []string{"assigned y1 c arrival"}},
		// a on break: never there; least-saturated b 1/10 (idle since 3) over c 1/10 (since 5).
		{at: 6, op: setStatus("a", agent.Break)},
		{at: 7, op: arrive("s3", "alice", 0), want: []string{"assigned s3 b arrival"}},
		{at: 8, op: closeS("s3"), want: []string{"closed s3 b"}},
		{at: 9, op: setStatus("a", agent.Online)},
		// Alice's last agent is now b: sticky b 1/10, where least-saturated
		// would pick c 1/10 (idle since 5, b since 7).
		{at: 10, op: arrive("s4", "alice", 0), want: []string{"assigned s4 b arrival"}},
		// b full (2/2): bob's recent agent is skipped; least-saturated c 1/10.
		{at: 11, op: setCap("b", agent.Limit(2))},
		{at: 12, op: arrive("x2", "bob", 0), want: []string{"assigned x2 c arrival"}},
		// b offline: never there either.
		{at: 13, op: closeS("s4"), want: []string{"closed s4 b"}},
		{at: 14, op: logout("b")},
		{at: 15, op: arrive("x3", "bob", 0), want: []string{"assigned x3 c arrival"}}, // c 2/10 < a 1/2
		// A buyer with no id is never sticky.
		{at: 16, op: arrive("anon", "", 0), want: []string{"assigned anon c arrival"}},
	})
}

// R1: a recent contact lasts Policy.RecentContactTTL after the buyer's
// last assignment; a buyer who returns later is routed like a new one.
func TestR1_RecentContactForgottenAfterTTL(t *testing.T) {
	p := policy.Policy{Strategy: policy.RecentContact, RecentContactTTL: time.Hour}
	m := time.Minute
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(2))},
		{op: addAgent("b", agent.Limit(10))},
		{at: 1 * m, op: arrive("s1", "alice", 0), want: []string{"assigned s1 a arrival"}}, // both 0, same idle: id
		{at: 2 * m, op: closeS("s1"), want: []string{"closed s1 a"}},
		// 59 minutes later: still a (0/2), where least-saturated picks b
		// (0/10, idle longer). The assignment renews the contact.
		{at: 60 * m, op: arrive("s2", "alice", 0), want: []string{"assigned s2 a arrival"}},
		{at: 61 * m, op: closeS("s2"), want: []string{"closed s2 a"}},
		{at: 119*m + 59*time.Second, op: arrive("s3", "alice", 0), want: []string{"assigned s3 a arrival"}},
		{at: 120 * m, op: closeS("s3"), want: []string{"closed s3 a"}},
		// Exactly an hour after the last assignment: forgotten, so b.
		{at: 179*m + 59*time.Second, op: arrive("s4", "alice", 0), want: []string{"assigned s4 b arrival"}},
	})
}

// R1: the engine keeps only the contacts younger than the TTL, so memory
// follows the buyers of the last TTL, not every buyer ever served.
func TestR1_RecentContactMemoryBounded(t *testing.T) {
	e, err := New(policy.Policy{Strategy: policy.RecentContact, RecentContactTTL: time.Hour})
	require.NoError(t, err)
	_, err = e.AddAgent(t0, "a", AgentConfig{Capacity: agent.Unlimited()})
	require.NoError(t, err)
	most := 0
	for i := range 10_000 { // one buyer a minute for a week, each once
		now := t0.Add(time.Duration(i) * time.Minute)
		id := fmt.Sprintf("s%d", i)
		_, err := e.Arrive(now, Arrival{Session: id, Buyer: fmt.Sprintf("b%d", i)})
		require.NoError(t, err)
		_, err = e.Close(now, id)
		require.NoError(t, err)
		most = max(most, len(e.recent.by))
	}
	require.NoError(t, e.Verify())
	assert.Equal(t, 60, most, "contacts of the last hour: 60 buyers")
	assert.LessOrEqual(t, e.recent.nfree, maxFree)
}

func TestR3_TransferTargetsOnlineThenBreakBySaturation(t *testing.T) {
	e := run(t, kuaishou, []step{
		{op: addAgent("from", agent.Unlimited())},
		{op: addAgent("on-busy", agent.Limit(2))},
		{op: addAgent("on-free", agent.Limit(2))},
		{op: addAgentStatus("brk-busy", agent.Limit(2), agent.Break)},
		{op: addAgentStatus("brk-free", agent.Limit(4), agent.Break)},
		{op: addAgentStatus("off", agent.Limit(2), agent.Offline)},
		{op: addAgent("susp", agent.Suspended())},
		{at: 1, op: arrive("s1", "", 0), want: []string{"assigned s1 from arrival"}},
		{at: 2, op: arrive("s2", "", 0), want: []string{"assigned s2 on-busy arrival"}},
		{at: 3, op: transfer("s1", "brk-busy"), want: []string{"transferred s1 from>brk-busy [transferred]"}},
	})
	got, err := e.TransferTargets("from")
	require.NoError(t, err)
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	assert.Equal(t, []string{"on-free", "on-busy", "susp", "brk-free", "brk-busy"}, ids)
	_, err = e.TransferTargets("ghost")
	assert.ErrorIs(t, err, ErrUnknownAgent)
}

func TestErrors_BadSessionInput(t *testing.T) {
	run(t, kuaishou, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgent("", agent.Limit(1)), err: ErrEmptyAgentID},
		{op: addAgent("a", agent.Limit(1)), err: ErrDuplicateAgent},
		{op: addAgentStatus("z", agent.Limit(1), agent.Status(7)), err: ErrInvalidStatus},
		{at: 1, op: arrive("", "b", 0), err: ErrEmptySessionID},
		{at: 1, op: arrive("s1", "b", 0), want: []string{"assigned s1 a arrival"}},
		{at: 1, op: arrive("s1", "b", 0), err: ErrDuplicateSession},
		{at: 2, op: closeS("nope"), err: ErrUnknownSession},
		{at: 2, op: assignTo("nope", "a"), err: ErrUnknownSession},
		{at: 2, op: arrive("s2", "b", 0), want: []string{"queued s2"}},
		{at: 2, op: assignTo("s2", "ghost"), err: ErrUnknownAgent},
		{at: 2, op: setCap("ghost", agent.Limit(3)), err: ErrUnknownAgent},
		{at: 2, op: removeAgent("ghost"), err: ErrUnknownAgent},
		{at: 3, op: closeS("s1"), want: []string{"closed s1 a", "assigned s2 a freed"}},
		{at: 3, op: closeS("s1"), err: ErrUnknownSession},
	})
}

// A rejected operation after a timer fell due changes nothing itself; the
// timer's event is not lost but returned by the next call that succeeds.
func TestTimerEventsOfRejectedOperationAreDeliveredNext(t *testing.T) {
	e, err := New(policy.Policy{OfflineValidity: time.Hour})
	require.NoError(t, err)
	_, err = e.Arrive(t0, Arrival{Session: "m1"})
	require.NoError(t, err)
	evs, err := e.Close(t0.Add(2*time.Hour), "ghost")
	assert.ErrorIs(t, err, ErrUnknownSession)
	assert.Nil(t, evs)
	evs = e.Advance(t0.Add(2 * time.Hour))
	require.Len(t, evs, 1)
	assert.Equal(t, EventExpired, evs[0].Kind)
	assert.Equal(t, t0.Add(time.Hour), evs[0].At)
	assert.Empty(t, e.Advance(t0.Add(3*time.Hour)), "delivered once")
}

func TestTimeNeverRunsBackwards(t *testing.T) {
	e, err := New(kuaishou)
	require.NoError(t, err)
	_, err = e.AddAgent(t0.Add(time.Hour), "a", AgentConfig{Capacity: agent.Limit(1)})
	require.NoError(t, err)
	evs, err := e.Arrive(t0, Arrival{Session: "s1", Buyer: "b"}) // an hour in the past
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, t0.Add(time.Hour), evs[0].At, "a past time is taken as the latest")
	assert.Equal(t, t0.Add(time.Hour), evs[0].Arrived)
	assert.Equal(t, t0.Add(time.Hour), e.Now())
}

func TestNew_RejectsInvalidPolicy(t *testing.T) {
	_, err := New(policy.Policy{Strategy: 42})
	assert.ErrorIs(t, err, policy.ErrInvalid)
	_, err = New(policy.Policy{OfflineValidity: -time.Second})
	assert.ErrorIs(t, err, policy.ErrInvalid)
}

// The engine keeps Unix nanoseconds: times before 1970 or after 2262 are
// taken as the nearest end of that range, and what it returns is in the
// location of the latest time passed in.
func TestEngine_TimeRangeAndLocation(t *testing.T) {
	e, err := New(policy.Policy{})
	require.NoError(t, err)
	_, err = e.AddAgent(time.Time{}, "a", AgentConfig{Capacity: agent.Limit(1)})
	require.NoError(t, err)
	assert.True(t, e.Now().Equal(time.Unix(0, 1)), "zero time clamps to just after the epoch: %v", e.Now())

	cst := time.FixedZone("CST", 8*3600)
	at := t0.In(cst)
	evs, err := e.Arrive(at, Arrival{Session: "s1"})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, at, evs[0].At)
	assert.Equal(t, at, evs[0].Arrived, "returned in the caller's location")
	info, _ := e.Session("s1")
	assert.Equal(t, at, info.Entered)

	far := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	evs, err = e.Arrive(far, Arrival{Session: "s2"})
	require.NoError(t, err)
	assert.True(t, evs[0].At.Equal(time.Unix(0, math.MaxInt64)), "clamped to 2262: %v", evs[0].At)
	assert.True(t, e.Now().Before(far))
	require.NoError(t, e.Verify())
}
