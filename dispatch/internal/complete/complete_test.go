package complete

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch/internal/model"
	"github.com/kefu-dev/kefu/policy"
)

// The differential test in package dispatch (TestDifferential_Complete)
// is this package's real test: the engine's events, errors and state after
// every step of random sequences. The tests here cover what it does not
// drive: Preload, and the steady state's allocations.

var t0 = time.Date(2026, 11, 11, 20, 0, 0, 0, time.UTC)

// must(t)(op(...)) requires op to succeed and returns its events.
func must(t *testing.T) func([]model.Event, error) []model.Event {
	return func(evs []model.Event, err error) []model.Event {
		t.Helper()
		require.NoError(t, err)
		return evs
	}
}

// shop is what both the model and a complete Shop answer.
type shop interface {
	Now() time.Time
	Sessions() int
	QueueLen() int
	OfflineLen() int
	Agents() []model.AgentInfo
	Session(id string) (model.SessionInfo, bool)
	Position(id string) (pos, length int, ok bool)
	List(agentID string, p model.Page) ([]model.SessionInfo, int, error)
	History(agentID string, p model.Page) ([]model.Closed, int, error)
}

// compareShops requires the same answers from every query of want (the
// model) and got about the sessions ids and every agent.
func compareShops(t *testing.T, want, got shop, ids []string) {
	t.Helper()
	require.True(t, want.Now().Equal(got.Now()), "now")
	assert.Equal(t, want.Sessions(), got.Sessions(), "sessions")
	assert.Equal(t, want.QueueLen(), got.QueueLen(), "queue")
	assert.Equal(t, want.OfflineLen(), got.OfflineLen(), "offline")
	assert.Equal(t, want.Agents(), got.Agents(), "agents")
	for _, id := range ids {
		w, wok := want.Session(id)
		g, gok := got.Session(id)
		assert.Equal(t, wok, gok, id)
		assert.Equal(t, w, g, id)
		wp, wn, wok := want.Position(id)
		gp, gn, gok := got.Position(id)
		assert.Equal(t, []any{wp, wn, wok}, []any{gp, gn, gok}, "position of %s", id)
	}
	for _, a := range want.Agents() {
		wl, wn, werr := want.List(a.ID, model.Page{})
		gl, gn, gerr := got.List(a.ID, model.Page{})
		assert.Equal(t, []any{wl, wn, werr}, []any{gl, gn, gerr}, "list of %s", a.ID)
		wh, _, _ := want.History(a.ID, model.Page{})
		gh, _, _ := got.History(a.ID, model.Page{})
		assert.Equal(t, exported(wh), exported(gh), "history of %s", a.ID)
	}
}

// exported copies the exported fields of history records (the model's
// keep its sequence in an unexported one).
func exported(cs []model.Closed) []model.Closed {
	out := make([]model.Closed, len(cs))
	for i, c := range cs {
		out[i] = model.Closed{Session: c.Session, Buyer: c.Buyer, Arrived: c.Arrived,
			LastMessage: c.LastMessage, At: c.At, Reason: c.Reason, Flags: c.Flags}
	}
	return out
}

// Preload builds the state the model's Preload builds: the same queries
// answer alike, and the next operations return the same events.
func TestPreload_SameAsModel(t *testing.T) {
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
			// Where Arrive would put s0..s7, arriving a second apart.
			places := []int{0, 1, 2, 2, 0, 2, -1, -1}
			want, err := model.New(p)
			require.NoError(t, err)
			got, err := New(p)
			require.NoError(t, err)
			for _, a := range agents {
				must(t)(want.AddAgent(t0, a.id, agent.Limit(a.cap), 0, ""))
				must(t)(got.AddAgent(t0, a.id, agent.Limit(a.cap), 0, ""))
			}
			var ids []string
			for i, at := range places {
				id, buyer, now := fmt.Sprint("s", i), fmt.Sprint("b", i), t0.Add(time.Duration(i+1)*time.Second)
				want.Preload(now, id, buyer, at)
				got.Preload(now, id, buyer, at)
				ids = append(ids, id)
			}
			ids = append(ids, "x", "y")
			compareShops(t, want, got, ids)

			later := t0.Add(time.Minute)
			for _, op := range []func(m refShop) ([]model.Event, error){
				func(m refShop) ([]model.Event, error) { return m.Close(later, "s0") },
				func(m refShop) ([]model.Event, error) { return m.Close(later, "s2") },
				func(m refShop) ([]model.Event, error) {
					return m.Arrive(later, "x", "b3", 0, model.EntryMessageBox, nil, "")
				},
				func(m refShop) ([]model.Event, error) { return m.Leave(later, "x") },
				func(m refShop) ([]model.Event, error) { return m.Close(later, "s5") },
				func(m refShop) ([]model.Event, error) {
					return m.Arrive(later, "y", "b3", 0, model.EntryMessageBox, nil, "")
				},
				func(m refShop) ([]model.Event, error) { return m.Advance(t0.Add(time.Hour)), nil },
			} {
				w, werr := op(want)
				g, gerr := op(got)
				require.Equal(t, werr, gerr)
				assert.Equal(t, w, g)
				compareShops(t, want, got, ids)
			}
		})
	}
}

// refShop is the part of the API TestPreload_SameAsModel drives.
type refShop interface {
	Close(now time.Time, id string) ([]model.Event, error)
	Leave(now time.Time, id string) ([]model.Event, error)
	Arrive(now time.Time, id, buyer string, priority int, entry model.Entry, crowds []model.Membership, exclusive string) ([]model.Event, error)
	Advance(now time.Time) []model.Event
}

// A shop that has run a while (histories full, records recycled) does
// not allocate for an arrival that queues and a close that pulls the
// queue's head in: the platform benchmarks' steady state.
func TestSteadyState_Allocs(t *testing.T) {
	s, err := New(policy.Kuaishou())
	require.NoError(t, err)
	now := t0
	tick := func() time.Time { now = now.Add(time.Microsecond); return now }
	for i := range 20 {
		must(t)(s.AddAgent(tick(), fmt.Sprint("agent-", i), agent.Limit(10), 0, ""))
	}
	ids := make([]string, 1024) // 205 open at once: a ring of ids
	for i := range ids {
		ids[i] = fmt.Sprint("s", i)
	}
	buyers := []string{"b0", "b1", "b2", "b3", "b4", "b5", "b6"}
	next, oldest := 0, 0
	arrive := func() {
		must(t)(s.Arrive(tick(), ids[next%len(ids)], buyers[next%len(buyers)], 0, model.EntryMessageBox, nil, ""))
		next++
	}
	for range 205 {
		arrive()
	}
	cycle := func() {
		evs := must(t)(s.Close(tick(), ids[oldest%len(ids)]))
		if len(evs) != 2 || evs[1].Kind != model.EventAssigned {
			t.Fatalf("close: %+v", evs)
		}
		oldest++
		arrive()
	}
	for range 20 * policy.DefaultHistoryLimit { // fill the histories
		cycle()
	}
	require.Equal(t, 5, s.QueueLen())
	if allocs := testing.AllocsPerRun(2000, cycle); allocs > 0.01 {
		t.Errorf("%.3f allocations per close and arrival", allocs)
	}
}
