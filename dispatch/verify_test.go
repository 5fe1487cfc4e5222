package dispatch

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// scene builds a valid engine: agent a (cap 2) holds s1 and s2; q1 and q2
// queue. offlineScene has one message, m1, in the offline pool.
func scene(t *testing.T) *Engine {
	t.Helper()
	e, err := New(policy.Policy{})
	require.NoError(t, err)
	_, err = e.AddAgent(t0, "a", AgentConfig{Capacity: agent.Limit(2)})
	require.NoError(t, err)
	for _, id := range []string{"s1", "s2", "q1", "q2"} {
		_, err = e.Arrive(t0.Add(time.Second), Arrival{Session: id, Buyer: "b-" + id})
		require.NoError(t, err)
	}
	require.NoError(t, e.Verify())
	return e
}

func offlineScene(t *testing.T) *Engine {
	t.Helper()
	e, err := New(policy.Policy{})
	require.NoError(t, err)
	_, err = e.AddAgent(t0, "a", AgentConfig{Capacity: agent.Limit(2), Status: agent.Offline})
	require.NoError(t, err)
	_, err = e.Arrive(t0, Arrival{Session: "m1", Buyer: "b"})
	require.NoError(t, err)
	require.NoError(t, e.Verify())
	return e
}

// The checker itself must fail on a broken state: each case breaks one
// invariant behind the engine's back.
func TestVerify_DetectsBrokenState(t *testing.T) {
	cases := []struct {
		name   string
		build  func(*testing.T) *Engine
		break_ func(e *Engine)
		want   string // part of the error: the invariant named
	}{
		{"session in the queue and with an agent", scene, func(e *Engine) {
			_ = e.pools[0].queue.Push(&e.sessions["s1"].entry)
		}, "also waiting"},
		{"queued session missing from the queue", scene, func(e *Engine) {
			e.pools[0].queue.Delete(&e.sessions["q1"].entry)
		}, "in the queue place"},
		{"session lost from the map while queued", scene, func(e *Engine) {
			delete(e.sessions, "q2")
		}, "pools of"},
		{"agent load does not count its sessions", scene, func(e *Engine) {
			a, _ := e.roster.Get("a")
			e.roster.AddLoad(a, -1, t0) // load 1, holds 2
		}, "holds 2 sessions"},
		{"session with no place", scene, func(e *Engine) {
			e.sessions["s2"].place = 0
		}, "no place"},
		{"queue out of Q2 order", scene, func(e *Engine) {
			e.sessions["q2"].entry.Priority = 9 // key changed in place, not re-inserted
		}, "is not before"},
		{"waiting while an agent has room", scene, func(e *Engine) {
			a, _ := e.roster.Get("a")
			e.roster.SetCapacity(a, agent.Limit(5))
		}, "has room"},
		{"session held by a removed agent", scene, func(e *Engine) {
			s := e.sessions["s1"]
			ghost, _ := agent.NewRoster().Add("a", agent.Limit(1), t0)
			s.agent = ghost
		}, "unknown agent"},
		{"offline message without its timer", offlineScene, func(e *Engine) {
			e.clearTimer(e.sessions["m1"])
		}, "has timer"},
		{"timer left behind", offlineScene, func(e *Engine) {
			s := e.sessions["m1"]
			e.unpark(s)
			_ = e.pools[0].queue.Push(&s.entry)
			s.place = PlaceQueue
			s.deadline = ns(t0.Add(time.Hour))
			e.timers.ReplaceOrInsert(timerOf(s))
		}, "has timer"},
		{"no-queue shop queues while an agent is online", scene, func(e *Engine) {
			e.pol.NoQueue = true
		}, "no-queue shop"},
		{"list key changed in place", scene, func(e *Engine) {
			e.sessions["s2"].waitSince = ns(t0.Add(-time.Hour)) // not through update
		}, "stale key"},
		{"session missing from its agent's list", scene, func(e *Engine) {
			a, _ := e.roster.Get("a")
			e.deskOf(a).list.Delete(listKey(e.sessions["s1"]))
		}, "lists 1 sessions"},
		{"auto-close deadline not where the last message puts it", scene, func(e *Engine) {
			e.pol.AgentIdleClose = time.Minute // s1 and s2 (buyer wrote last) now lack their timers
		}, "has timer"},
		{"offline-message count off (O5)", scene, func(e *Engine) {
			a, _ := e.roster.Get("a")
			e.deskOf(a).offline = 1
		}, "offline sessions"},
		{"history over its bound", scene, func(e *Engine) {
			a, _ := e.roster.Get("a")
			e.eff.HistoryLimit = 1 // the engine reads the defaulted limit
			e.deskOf(a).history.add(closed{session: "x", key: 1 << 16}, 10)
			e.deskOf(a).history.add(closed{session: "y", key: 2 << 16}, 10)
		}, "closed sessions, limit"},
		{"history out of L4 order", scene, func(e *Engine) {
			a, _ := e.roster.Get("a")
			h := &e.deskOf(a).history
			h.add(closed{session: "x", lastMsg: 1, key: 1 << 16}, 10)
			h.add(closed{session: "y", lastMsg: 2, key: 2 << 16}, 10)
			*h.at(0), *h.at(1) = *h.at(1), *h.at(0)
		}, "out of L4 order"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := c.build(t)
			c.break_(e)
			err := e.Verify()
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// The ledger itself: an auto-assignment (C1) beyond the cap in force both
// before and after the step is caught; one within the cap before the step
// (a timer pulled the queue head in, then the step suspended the agent)
// is not a false alarm.
func TestLedger_C1_AutoAssignmentOverTheCap(t *testing.T) {
	e, err := New(policy.Policy{})
	require.NoError(t, err)
	_, err = e.AddAgent(t0, "a", AgentConfig{Capacity: agent.Limit(1)})
	require.NoError(t, err)
	var seq uint64
	assigned := func(s string) Event {
		seq++
		return Event{Seq: seq, Kind: EventAssigned, Session: s, Agent: "a", Cause: CauseFreed, At: t0}
	}

	l := newLedger()
	l.before(e) // a: cap 1
	require.NoError(t, l.apply(e, assigned("s1")))
	assert.ErrorContains(t, l.apply(e, assigned("s2")), "over its cap")

	l, seq = newLedger(), 0
	l.before(e) // cap 1 before the step
	_, err = e.SetCapacity(t0, "a", agent.Suspended())
	require.NoError(t, err)
	assert.NoError(t, l.apply(e, assigned("s1")), "within the cap before the step")
	assert.ErrorContains(t, l.apply(e, assigned("s2")), "over its cap")
}
