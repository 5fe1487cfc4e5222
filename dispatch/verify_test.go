package dispatch

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
	"github.com/kefu-dev/kefu/queue"
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

// offerScene builds a valid engine with offers, a decline and a wrap-up
// (E1, E2, E5): agents a and b (cap 1); o1 is offered to b after a
// rejected it; a closed w1 and is wrapping up; q1 waits.
func offerScene(t *testing.T) *Engine {
	t.Helper()
	e, err := New(policy.Policy{OfferTimeout: time.Minute, WrapUp: time.Minute})
	require.NoError(t, err)
	for _, id := range []string{"a", "b"} {
		_, err = e.AddAgent(t0, id, AgentConfig{Capacity: agent.Limit(1)})
		require.NoError(t, err)
	}
	do := func(_ []Event, err error) { require.NoError(t, err) }
	do(e.Arrive(t0, Arrival{Session: "w1"})) // offered to a
	do(e.Accept(t0, "w1", "a"))              //
	do(e.Arrive(t0, Arrival{Session: "o1"})) // offered to b
	do(e.Reject(t0, "o1", "b"))              // queued: a is full, b declined it
	do(e.Close(t0, "w1"))                    // a wraps up
	do(e.Arrive(t0, Arrival{Session: "q1"})) // offered to b
	do(e.EndWrapUp(t0, "a"))                 // o1 offered to a
	do(e.Arrive(t0, Arrival{Session: "q2"})) // queued
	do(e.Close(t0, "q1"))                    // b takes q2 (offered)
	do(e.Arrive(t0, Arrival{Session: "q3"})) // queued
	require.Equal(t, PlaceOffered, e.sessions["o1"].place)
	require.NoError(t, e.Verify())
	return e
}

// shapingState builds a valid engine with queue shaping (E7-E9): agent
// v of group g1 (cap 1) holds s1, replied; s2 of g1 waits, its ring to
// g2 not open yet, so w of g2 (cap 1) has room and does not take it.
func shapingState(t *testing.T) *Engine {
	t.Helper()
	e, err := New(policy.Policy{MaxWait: 5 * time.Minute, InactiveAfter: 10 * time.Minute, Crowds: []policy.Crowd{{ID: "vip"}},
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"vip"}, Rings: []policy.Ring{{After: 2 * time.Minute, Groups: []string{"g2"}}}}, {ID: "g2"}}})
	require.NoError(t, err)
	do := func(_ []Event, err error) { require.NoError(t, err) }
	do(e.AddAgent(t0, "v", AgentConfig{Capacity: agent.Limit(1), Group: "g1"}))
	do(e.AddAgent(t0, "w", AgentConfig{Capacity: agent.Limit(1), Group: "g2"}))
	vip := []Membership{{Crowd: "vip"}}
	do(e.Arrive(t0, Arrival{Session: "s1", Crowds: vip}))
	do(e.Message(t0, Message{Session: "s1", From: FromAgent, Agent: "v"}))
	do(e.Arrive(t0, Arrival{Session: "s2", Crowds: vip}))
	require.Equal(t, PlaceQueue, e.sessions["s2"].place)
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
		{"offered session missing from its agent's offers (E1)", offerScene, func(e *Engine) {
			s := e.sessions["o1"]
			e.dropOffer(s.agent, s)
		}, "not among its offers"},
		{"an offer not counted in the load (E1)", offerScene, func(e *Engine) {
			a, _ := e.roster.Get("a")
			e.roster.AddLoad(a, -1, t0)
		}, "has load 0"},
		{"an offer without its deadline (E1)", offerScene, func(e *Engine) {
			e.clearTimer(e.sessions["o1"])
		}, "deadline"},
		{"offered to an offline agent (E1)", offerScene, func(e *Engine) {
			a, _ := e.roster.Get("a")
			e.roster.Logout(a)
		}, "offline agent"},
		{"waiting while an agent that did not decline it has room (E2)", offerScene, func(e *Engine) {
			s := e.sessions["o1"]
			e.unoffer(s, t0)
			e.back(s, t0) // a has room, did not decline o1; nobody offered it
		}, "has room"},
		{"declines kept for a closed session (E2)", offerScene, func(e *Engine) {
			a, _ := e.roster.Get("a")
			e.declined[&session{entry: queueEntry("gone")}] = []*agent.Agent{a}
		}, "declines kept"},
		{"wrap-up without its timer (E5)", scene, func(e *Engine) {
			a, _ := e.roster.Get("a")
			w := e.newSession()
			w.entry.ID, w.entry.Seq, w.agent, w.place = "x", 99, a, placeWrap
			e.addWrap(a, w)
			e.roster.AddLoad(a, 1, a.IdleSince())
		}, "bad wrap-up"},
		{"an inactive session counted in the load (E9)", shapingState, func(e *Engine) {
			e.sessions["s1"].flags |= FlagInactive
			e.retime(ns(t0)) // its timers as an inactive session's: only the load is wrong
		}, "has load 1"},
		{"inactive while its buyer waits for an answer (E9)", shapingState, func(e *Engine) {
			s := e.sessions["s1"]
			s.flags |= FlagInactive
			s.waitSince = s.entered
			e.roster.AddLoad(s.agent, -1, t0)
		}, "inactive while its buyer waits"},
		{"a waiting session without its ring's timer (E7)", shapingState, func(e *Engine) {
			e.clearTimer(e.sessions["s2"])
		}, "has timer 0"},
		{"waiting while an agent of an open ring has room (E7)", shapingState, func(e *Engine) {
			e.sessions["s2"].ring = 1 // g2's ring open, and w has room
			e.retime(ns(t0))
		}, "has room"},
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

func queueEntry(id string) queue.Entry { return queue.Entry{ID: id, Seq: 1 << 40} }
