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

// Preload builds the state Arrive builds when it is told where each
// session lands: the same queries answer alike, and the next operations
// return the same events.
func TestPreload_SameAsArrive(t *testing.T) {
	policies := map[string]policy.Policy{
		"least saturated": {Capacity: agent.KuaishouBounds()},
		"recent contact":  {Strategy: policy.RecentContact, BuyerIdleClose: 20 * time.Minute, AgentIdleClose: 10 * time.Minute},
	}
	for name, p := range policies {
		t.Run(name, func(t *testing.T) {
			agents := []struct {
				id  string
				cap int
			}{{"a", 2}, {"b", 1}, {"c", 3}}
			// Where Arrive puts s0..s7, arriving a second apart: the least
			// saturated (ties: idle longest, then id), then the queue.
			places := []int{0, 1, 2, 2, 0, 2, -1, -1}

			arrived, err := New(p)
			require.NoError(t, err)
			preloaded, err := New(p)
			require.NoError(t, err)
			for _, m := range []*Shop{arrived, preloaded} {
				for _, a := range agents {
					must(t)(m.AddAgent(t0, a.id, agent.Limit(a.cap), 0, ""))
				}
			}
			for i, at := range places {
				id, buyer, now := fmt.Sprint("s", i), fmt.Sprint("b", i), t0.Add(time.Duration(i+1)*time.Second)
				evs := must(t)(arrived.Arrive(now, id, buyer, 0, EntryMessageBox, nil, ""))
				require.Len(t, evs, 1)
				if at < 0 {
					require.Equal(t, EventQueued, evs[0].Kind, id)
				} else {
					require.Equal(t, EventAssigned, evs[0].Kind, id)
					require.Equal(t, agents[at].id, evs[0].Agent, id)
				}
				preloaded.Preload(now, id, buyer, at)
			}
			compareShops(t, arrived, preloaded)
			assert.Equal(t, arrived.seq, preloaded.seq)
			assert.Equal(t, arrived.recent, preloaded.recent)

			// The same operations go on alike: a close pulls the head in, a
			// returning buyer finds the agent again (recent contact) or
			// queues, timers fire at the same instants.
			later := t0.Add(time.Minute)
			for _, op := range []func(m *Shop) ([]Event, error){
				func(m *Shop) ([]Event, error) { return m.Close(later, "s0") },
				func(m *Shop) ([]Event, error) { return m.Close(later, "s2") },
				func(m *Shop) ([]Event, error) { return m.Arrive(later, "x", "b3", 0, EntryMessageBox, nil, "") },
				func(m *Shop) ([]Event, error) { return m.Leave(later, "x") },
				func(m *Shop) ([]Event, error) { return m.Close(later, "s5") },
				func(m *Shop) ([]Event, error) { return m.Arrive(later, "y", "b3", 0, EntryMessageBox, nil, "") },
				func(m *Shop) ([]Event, error) { return m.Advance(t0.Add(time.Hour)), nil },
			} {
				want, werr := op(arrived)
				got, gerr := op(preloaded)
				require.Equal(t, werr, gerr)
				assert.Equal(t, brief(want), brief(got))
				compareShops(t, arrived, preloaded)
			}
		})
	}
}

// compareShops requires the same answers from every query of want and got.
func compareShops(t *testing.T, want, got *Shop) {
	t.Helper()
	require.True(t, want.Now().Equal(got.Now()), "now")
	assert.Equal(t, want.Sessions(), got.Sessions(), "sessions")
	assert.Equal(t, want.QueueLen(), got.QueueLen(), "queue")
	assert.Equal(t, want.OfflineLen(), got.OfflineLen(), "offline")
	assert.Equal(t, want.Agents(), got.Agents(), "agents")
	for _, s := range want.open {
		w, _ := want.Session(s.id)
		g, ok := got.Session(s.id)
		assert.True(t, ok, s.id)
		assert.Equal(t, w, g, s.id)
		wp, wn, wok := want.Position(s.id)
		gp, gn, gok := got.Position(s.id)
		assert.Equal(t, []any{wp, wn, wok}, []any{gp, gn, gok}, "position of %s", s.id)
	}
	for _, a := range want.agents {
		w, _ := want.Agent(a.id)
		g, _ := got.Agent(a.id)
		assert.Equal(t, w, g, a.id)
		wl, wn, werr := want.List(a.id, Page{})
		gl, gn, gerr := got.List(a.id, Page{})
		assert.Equal(t, []any{wl, wn, werr}, []any{gl, gn, gerr}, "list of %s", a.id)
		wh, _, _ := want.History(a.id, Page{})
		gh, _, _ := got.History(a.id, Page{})
		assert.Equal(t, wh, gh, "history of %s", a.id)
	}
}
