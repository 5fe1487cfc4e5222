package model

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

var t0 = time.Date(2026, 11, 11, 20, 0, 0, 0, time.UTC)

// must(t)(op(...)) requires op to succeed and returns its events.
func must(t *testing.T) func([]Event, error) []Event {
	return func(evs []Event, err error) []Event {
		t.Helper()
		require.NoError(t, err)
		return evs
	}
}

// brief renders events as "kind session agent cause/reason @offset".
func brief(evs []Event) []string {
	out := []string{}
	for _, ev := range evs {
		s := fmt.Sprintf("%d %s %s @%v", ev.Kind, ev.Session, ev.Agent, ev.At.Sub(t0))
		switch ev.Kind {
		case EventAssigned:
			s += fmt.Sprintf(" cause %d", ev.Cause)
		case EventClosed:
			s += fmt.Sprintf(" reason %d", ev.Reason)
		}
		out = append(out, s)
	}
	return out
}

// C5 (seed 000's example): cap 20, one close pulls the queue head in, in
// the same operation; Q2 serves priority first, then arrival.
func TestModel_CloseAssignsQueueHead(t *testing.T) {
	m, err := New(policy.Policy{Capacity: agent.KuaishouBounds()})
	require.NoError(t, err)
	must(t)(m.AddAgent(t0, "a", agent.Limit(20), 0, ""))
	for i := range 20 {
		evs := must(t)(m.Arrive(t0, fmt.Sprint("s", i), "b", 0, EntryMessageBox, nil, ""))
		require.Equal(t, EventAssigned, evs[0].Kind)
	}
	must(t)(m.Arrive(t0.Add(time.Second), "late", "x", 0, EntryMessageBox, nil, ""))
	must(t)(m.Arrive(t0.Add(2*time.Second), "vip", "y", 1, EntryMessageBox, nil, ""))
	pos, n, ok := m.Position("late")
	assert.Equal(t, []any{2, 2, true}, []any{pos, n, ok}, "Q2: the higher priority goes first")

	evs := must(t)(m.Close(t0.Add(time.Minute), "s3"))
	assert.Equal(t, []string{"5 s3 a @1m0s reason 1", "1 vip a @1m0s cause 2"}, brief(evs))
	info, _ := m.Agent("a")
	assert.Equal(t, 20, info.Load)
	assert.Equal(t, 1, m.QueueLen())
	hist, total, err := m.History("a", Page{})
	require.NoError(t, err)
	assert.Equal(t, 1, total)
	assert.Equal(t, "s3", hist[0].Session)
}

// A timer acts at its own instant, in deadline order, and what it pulls in
// may fall due in the same Advance (L2, L3, C5).
func TestModel_TimersFireAtTheirOwnInstant(t *testing.T) {
	m, err := New(policy.Policy{BuyerIdleClose: 20 * time.Minute, AgentIdleClose: 10 * time.Minute})
	require.NoError(t, err)
	must(t)(m.AddAgent(t0, "a", agent.Limit(1), 0, ""))
	must(t)(m.Arrive(t0, "s1", "b1", 0, EntryMessageBox, nil, ""))
	must(t)(m.Arrive(t0.Add(time.Minute), "s2", "b2", 0, EntryMessageBox, nil, ""))
	must(t)(m.Message(t0.Add(2*time.Minute), "s1", FromAgent, "a", false))
	info, _ := m.Session("s1")
	assert.Equal(t, t0.Add(22*time.Minute), info.Deadline, "buyer idle counts from the agent's reply")

	evs := m.Advance(t0.Add(3 * time.Hour))
	assert.Equal(t, []string{
		"5 s1 a @22m0s reason 2", // buyer silent 20 minutes
		"1 s2 a @22m0s cause 2",  // the queue head, pulled in at 10:22
		"5 s2 a @32m0s reason 3", // unanswered 10 minutes after entering the list
	}, brief(evs))
	assert.Zero(t, m.Sessions())
}

// A rejected operation changes nothing but the clock; the timer events it
// fired come first with the next successful call. Time never runs back.
func TestModel_RejectedOperationCarriesTimerEvents(t *testing.T) {
	m, err := New(policy.Policy{BuyerIdleClose: time.Minute})
	require.NoError(t, err)
	must(t)(m.AddAgent(t0, "a", agent.Unlimited(), 0, ""))
	must(t)(m.Start(t0, "s1", "b", "a", false))

	evs, err := m.Transfer(t0.Add(time.Hour), "nope", "a")
	assert.ErrorIs(t, err, ErrUnknownSession)
	assert.Nil(t, evs)
	assert.Equal(t, t0.Add(time.Hour), m.Now())

	evs, err = m.Arrive(t0, "", "b", 0, EntryProduct, nil, "") // back in time, and rejected again
	assert.ErrorIs(t, err, ErrEmptySessionID)
	assert.Nil(t, evs)
	_, err = m.Arrive(t0, "s2", "b", PriorityBand, EntryProduct, nil, "")
	assert.ErrorIs(t, err, ErrInvalidPriority)
	_, err = m.AddAgent(t0, "", agent.Unlimited(), 0, "")
	assert.ErrorIs(t, err, ErrEmptyAgentID)
	_, _, err = m.List("a", Page{Offset: -1})
	assert.ErrorIs(t, err, ErrInvalidPage)

	evs = must(t)(m.Arrive(t0, "s2", "b", 0, EntryMessageBox, nil, ""))
	assert.Equal(t, []string{"5 s1 a @1m0s reason 2", "1 s2 a @1h0m0s cause 1"}, brief(evs),
		"the carried close first, then the arrival at the latest time")
}

// R3: online agents first, then agents on break, each by exact saturation,
// then idle longest, then id; offline agents and the sender are not listed.
func TestModel_TransferTargets(t *testing.T) {
	m, err := New(policy.Policy{})
	require.NoError(t, err)
	must(t)(m.AddAgent(t0, "from", agent.Unlimited(), 0, ""))
	must(t)(m.AddAgent(t0, "susp", agent.Suspended(), 0, ""))
	must(t)(m.AddAgent(t0, "third", agent.Limit(3), 0, ""))
	must(t)(m.AddAgent(t0, "half", agent.Limit(2), 0, ""))
	must(t)(m.AddAgent(t0, "rest", agent.Limit(9), agent.Break, ""))
	must(t)(m.AddAgent(t0, "gone", agent.Limit(9), agent.Offline, ""))
	for _, id := range []string{"x1", "x2"} {
		must(t)(m.Start(t0.Add(time.Second), id, "b", "half", false))
	}
	must(t)(m.Start(t0.Add(2*time.Second), "y", "b", "third", false))
	targets, err := m.TransferTargets("from")
	require.NoError(t, err)
	var ids []string
	for _, a := range targets {
		ids = append(ids, a.ID)
	}
	assert.Equal(t, []string{"third", "half", "susp", "rest"}, ids, "1/3 < 2/2 < suspended, then break")
	_, err = m.TransferTargets("nobody")
	assert.ErrorIs(t, err, ErrUnknownAgent)
}

// S5 with requeue: each requeued session is routed as R1 picks, so two
// empty agents of cap 4 share four sessions 2 and 2.
func TestModel_RequeueRoutesEachSession(t *testing.T) {
	m, err := New(policy.Policy{RequeueOnOffline: true})
	require.NoError(t, err)
	must(t)(m.AddAgent(t0, "x", agent.Limit(4), 0, ""))
	for _, id := range []string{"s1", "s2", "s3", "s4"} {
		must(t)(m.Arrive(t0.Add(time.Second), id, "b"+id, 0, EntryMessageBox, nil, ""))
	}
	must(t)(m.AddAgent(t0.Add(2*time.Second), "b", agent.Limit(4), 0, ""))
	must(t)(m.AddAgent(t0.Add(2*time.Second), "c", agent.Limit(4), 0, ""))
	must(t)(m.Logout(t0.Add(3*time.Second), "x"))
	b, _ := m.Agent("b")
	c, _ := m.Agent("c")
	assert.Equal(t, []int{2, 2}, []int{b.Load, c.Load})
}
