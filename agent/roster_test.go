package agent_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
)

var (
	t0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Minute)
	t2 = t0.Add(2 * time.Minute)
	t3 = t0.Add(3 * time.Minute)
	t4 = t0.Add(4 * time.Minute)
)

// add adds an agent or fails the test.
func add(t *testing.T, r *agent.Roster, id string, c agent.Capacity, now time.Time) *agent.Agent {
	t.Helper()
	a, err := r.Add(id, c, now)
	require.NoError(t, err, "Add(%q)", id)
	require.NotNil(t, a)
	return a
}

func get(t *testing.T, r *agent.Roster, id string) *agent.Agent {
	t.Helper()
	a, ok := r.Get(id)
	require.True(t, ok, "Get(%q)", id)
	return a
}

func ids(seq func(func(*agent.Agent) bool)) []string {
	var out []string
	for a := range seq {
		out = append(out, a.ID())
	}
	return out
}

func leastID(r *agent.Roster) string {
	a, ok := r.LeastSaturated()
	if !ok {
		return ""
	}
	return a.ID()
}

func rrIDs(r *agent.Roster, n int) []string {
	out := make([]string, 0, n)
	for range n {
		a, ok := r.NextRoundRobin()
		if !ok {
			out = append(out, "")
			continue
		}
		out = append(out, a.ID())
	}
	return out
}

func TestNewRoster_Empty(t *testing.T) {
	r := agent.NewRoster()
	assert.Equal(t, 0, r.Len())
	assert.Equal(t, 0, r.Online())
	_, ok := r.LeastSaturated()
	assert.False(t, ok)
	_, ok = r.NextRoundRobin()
	assert.False(t, ok)
	_, ok = r.Get("alice")
	assert.False(t, ok)
	assert.Empty(t, ids(r.All()))
	assert.Empty(t, ids(r.ActiveBySaturation()))
	assert.NoError(t, r.Verify())
}

// S2: a new agent's first status is online, with no load, idle since now.
func TestRoster_S2_AddStartsOnline(t *testing.T) {
	r := agent.NewRoster()
	a := add(t, r, "alice", agent.Limit(20), t1)
	assert.Equal(t, "alice", a.ID())
	assert.Equal(t, agent.Online, a.Status())
	assert.Equal(t, agent.Online, a.Resume())
	assert.Equal(t, agent.Limit(20), a.Capacity())
	assert.Equal(t, 0, a.Load())
	assert.Equal(t, t1, a.IdleSince())
	assert.True(t, a.HasRoom())
	assert.Equal(t, 1, r.Len())
	assert.Equal(t, 1, r.Online())
	got, ok := r.Get("alice")
	require.True(t, ok)
	assert.Same(t, a, got)
	assert.NoError(t, r.Verify())
}

func TestRoster_AddErrors(t *testing.T) {
	r := agent.NewRoster()
	alice := add(t, r, "alice", agent.Limit(20), t0)
	r.AddLoad(alice, 3, t1)

	tests := []struct {
		name string
		id   string
		want error
	}{
		{"empty id", "", agent.ErrEmptyID},
		{"duplicate", "alice", agent.ErrDuplicateAgent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := r.Add(tt.id, agent.Unlimited(), t2)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.want)
			assert.Nil(t, a)
			// unchanged
			assert.Equal(t, 1, r.Len())
			assert.Equal(t, 1, r.Online())
			got := get(t, r, "alice")
			assert.Same(t, alice, got)
			assert.Equal(t, agent.Limit(20), got.Capacity())
			assert.Equal(t, 3, got.Load())
			assert.Equal(t, t1, got.IdleSince())
			assert.NoError(t, r.Verify())
		})
	}
}

func TestRoster_RemoveErrors(t *testing.T) {
	r := agent.NewRoster()
	alice := add(t, r, "alice", agent.Limit(20), t0)
	add(t, r, "bob", agent.Limit(20), t0)
	r.AddLoad(alice, 1, t1)

	tests := []struct {
		name string
		id   string
		want error
	}{
		{"unknown", "carol", agent.ErrUnknownAgent},
		{"empty", "", agent.ErrUnknownAgent},
		{"busy", "alice", agent.ErrAgentBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Remove(tt.id)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, 2, r.Len())
			assert.Equal(t, 2, r.Online())
			assert.Equal(t, []string{"alice", "bob"}, ids(r.All()))
			assert.Equal(t, []string{"bob", "alice"}, ids(r.ActiveBySaturation()))
			assert.Equal(t, 1, get(t, r, "alice").Load())
			assert.NoError(t, r.Verify())
		})
	}
}

func TestRoster_Remove(t *testing.T) {
	r := agent.NewRoster()
	alice := add(t, r, "alice", agent.Limit(20), t0)
	bob := add(t, r, "bob", agent.Limit(20), t0)
	add(t, r, "carol", agent.Limit(20), t0)
	require.NoError(t, r.SetStatus(bob, agent.Break))
	require.Equal(t, 2, r.Online())

	// A busy agent becomes removable once its load is back to zero.
	r.AddLoad(alice, 1, t1)
	require.ErrorIs(t, r.Remove("alice"), agent.ErrAgentBusy)
	r.AddLoad(alice, -1, t2)
	require.NoError(t, r.Remove("alice"))
	assert.Equal(t, 1, r.Online(), "removing an online agent lowers Online")
	_, ok := r.Get("alice")
	assert.False(t, ok)
	assert.Equal(t, []string{"bob", "carol"}, ids(r.All()))
	assert.Equal(t, []string{"carol"}, ids(r.ActiveBySaturation()))
	assert.Equal(t, "carol", leastID(r))
	require.NoError(t, r.Verify())

	require.NoError(t, r.Remove("bob"))
	assert.Equal(t, 1, r.Online(), "removing an agent on break leaves Online")
	require.ErrorIs(t, r.Remove("bob"), agent.ErrUnknownAgent, "second Remove")
	assert.Equal(t, 1, r.Len())
	require.NoError(t, r.Verify())

	// The id can be reused.
	a := add(t, r, "alice", agent.Unlimited(), t3)
	assert.Equal(t, 0, a.Load())
	assert.Equal(t, t3, a.IdleSince())
	assert.Equal(t, 2, r.Online())
	assert.NoError(t, r.Verify())
}

// S1: only online agents receive auto-assigned sessions; a suspended agent is
// online but takes nothing.
func TestRoster_S1_OnlyOnlineIndexed(t *testing.T) {
	r := agent.NewRoster()
	on := add(t, r, "a-online", agent.Limit(5), t0)
	brk := add(t, r, "b-break", agent.Limit(5), t0)
	off := add(t, r, "c-offline", agent.Limit(5), t0)
	susp := add(t, r, "d-suspended", agent.Suspended(), t0)
	unl := add(t, r, "e-unlimited", agent.Unlimited(), t0)
	require.NoError(t, r.SetStatus(brk, agent.Break))
	require.NoError(t, r.SetStatus(off, agent.Offline))

	assert.Equal(t, 3, r.Online(), "online counts suspended agents too")
	assert.Equal(t, 5, r.Len())
	assert.Equal(t, []string{"a-online", "e-unlimited"}, ids(r.ActiveBySaturation()))
	assert.Equal(t, []string{"a-online", "e-unlimited", "a-online"}, rrIDs(r, 3))

	hasRoom := map[*agent.Agent]bool{on: true, brk: false, off: false, susp: false, unl: true}
	for a, want := range hasRoom {
		assert.Equal(t, want, a.HasRoom(), "%s.HasRoom", a.ID())
	}
	require.NoError(t, r.Verify())

	// Everyone but the suspended agent leaves: none is left to auto-assign
	// to, yet one agent is online (O1 does not apply).
	require.NoError(t, r.SetStatus(on, agent.Break))
	r.Logout(unl)
	assert.Equal(t, 1, r.Online())
	_, ok := r.LeastSaturated()
	assert.False(t, ok)
	_, ok = r.NextRoundRobin()
	assert.False(t, ok)
	assert.Empty(t, ids(r.ActiveBySaturation()))
	assert.NoError(t, r.Verify())
}

// S1, S2: every status transition keeps Online() and the indexes right.
func TestRoster_S1_StatusTransitions(t *testing.T) {
	r := agent.NewRoster()
	a := add(t, r, "alice", agent.Limit(2), t0)
	add(t, r, "bob", agent.Limit(2), t0)

	type op func()
	steps := []struct {
		name      string
		do        op
		status    agent.Status
		resume    agent.Status
		online    int
		indexed   bool
		wantLeast string
	}{
		{"start", func() {}, agent.Online, agent.Online, 2, true, "alice"},
		{"break", func() { require.NoError(t, r.SetStatus(a, agent.Break)) }, agent.Break, agent.Break, 1, false, "bob"},
		{"break again", func() { require.NoError(t, r.SetStatus(a, agent.Break)) }, agent.Break, agent.Break, 1, false, "bob"},
		{"online", func() { require.NoError(t, r.SetStatus(a, agent.Online)) }, agent.Online, agent.Online, 2, true, "alice"},
		{"online again", func() { require.NoError(t, r.SetStatus(a, agent.Online)) }, agent.Online, agent.Online, 2, true, "alice"},
		{"logout", func() { r.Logout(a) }, agent.Offline, agent.Online, 1, false, "bob"},
		{"login", func() { r.Login(a) }, agent.Online, agent.Online, 2, true, "alice"},
		// S2: SetStatus(Offline) is a logout; Login never restores offline.
		{"offline", func() { require.NoError(t, r.SetStatus(a, agent.Offline)) }, agent.Offline, agent.Online, 1, false, "bob"},
		{"offline again", func() { require.NoError(t, r.SetStatus(a, agent.Offline)) }, agent.Offline, agent.Online, 1, false, "bob"},
		{"online from offline", func() { require.NoError(t, r.SetStatus(a, agent.Online)) }, agent.Online, agent.Online, 2, true, "alice"},
		{"break before offline", func() { require.NoError(t, r.SetStatus(a, agent.Break)) }, agent.Break, agent.Break, 1, false, "bob"},
		{"offline from break", func() { require.NoError(t, r.SetStatus(a, agent.Offline)) }, agent.Offline, agent.Break, 1, false, "bob"},
		{"login restores break", func() { r.Login(a) }, agent.Break, agent.Break, 1, false, "bob"},
		{"login on break changes nothing", func() { r.Login(a) }, agent.Break, agent.Break, 1, false, "bob"},
		{"logout from break", func() { r.Logout(a) }, agent.Offline, agent.Break, 1, false, "bob"},
		{"break while offline", func() { require.NoError(t, r.SetStatus(a, agent.Break)) }, agent.Break, agent.Break, 1, false, "bob"},
		{"online", func() { require.NoError(t, r.SetStatus(a, agent.Online)) }, agent.Online, agent.Online, 2, true, "alice"},
	}
	for i, s := range steps {
		s.do()
		assert.Equal(t, s.status, a.Status(), "step %d (%s): status", i, s.name)
		assert.Equal(t, s.resume, a.Resume(), "step %d (%s): resume", i, s.name)
		assert.Equal(t, s.online, r.Online(), "step %d (%s): Online()", i, s.name)
		assert.Equal(t, s.indexed, slices.Contains(ids(r.ActiveBySaturation()), "alice"), "step %d (%s): indexed", i, s.name)
		assert.Equal(t, s.wantLeast, leastID(r), "step %d (%s): LeastSaturated", i, s.name)
		require.NoError(t, r.Verify(), "step %d (%s)", i, s.name)
	}
}

func TestRoster_SetStatusInvalid(t *testing.T) {
	r := agent.NewRoster()
	a := add(t, r, "alice", agent.Limit(2), t0)
	require.NoError(t, r.SetStatus(a, agent.Break))
	for _, s := range []agent.Status{0, 4, 200} {
		err := r.SetStatus(a, s)
		require.Error(t, err, "status %d", uint8(s))
		assert.ErrorIs(t, err, agent.ErrInvalidStatus)
		assert.Equal(t, agent.Break, a.Status(), "unchanged")
		assert.Equal(t, agent.Break, a.Resume(), "unchanged")
		assert.Equal(t, 0, r.Online())
		assert.NoError(t, r.Verify())
	}
}

// S2: on re-login an agent gets back the status it had at its last logout.
func TestRoster_S2_LoginRestoresLastStatus(t *testing.T) {
	tests := []struct {
		name   string
		before agent.Status // status at logout
		online int          // Online() after login
	}{
		{"online", agent.Online, 1},
		{"break", agent.Break, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := agent.NewRoster()
			a := add(t, r, "alice", agent.Limit(3), t0)
			require.NoError(t, r.SetStatus(a, tt.before))

			r.Logout(a)
			assert.Equal(t, agent.Offline, a.Status())
			assert.Equal(t, tt.before, a.Resume())
			assert.Equal(t, 0, r.Online())
			require.NoError(t, r.Verify())

			r.Logout(a) // twice: keeps the first remembered status
			assert.Equal(t, tt.before, a.Resume())

			r.Login(a)
			assert.Equal(t, tt.before, a.Status())
			assert.Equal(t, tt.online, r.Online())
			assert.Equal(t, tt.before == agent.Online, a.HasRoom())
			require.NoError(t, r.Verify())

			r.Login(a) // login while logged in changes nothing
			assert.Equal(t, tt.before, a.Status())
			assert.Equal(t, tt.online, r.Online())
			require.NoError(t, r.Verify())
		})
	}
}

// S2: the status remembered is the last online or break status; going
// offline by SetStatus is a logout, and Login never leaves an agent offline.
func TestRoster_S2_ResumeFollowsLastSetStatus(t *testing.T) {
	r := agent.NewRoster()
	a := add(t, r, "alice", agent.Limit(3), t0)
	r.Login(a) // never logged out: stays online
	assert.Equal(t, agent.Online, a.Status())

	require.NoError(t, r.SetStatus(a, agent.Break))
	require.NoError(t, r.SetStatus(a, agent.Online))
	r.Logout(a)
	assert.Equal(t, agent.Online, a.Resume())

	require.NoError(t, r.SetStatus(a, agent.Break)) // back from offline, explicitly
	assert.Equal(t, agent.Break, a.Status())
	require.NoError(t, r.SetStatus(a, agent.Offline))
	assert.Equal(t, agent.Offline, a.Status())
	assert.Equal(t, agent.Break, a.Resume(), "SetStatus(Offline) remembers break")
	r.Login(a)
	assert.Equal(t, agent.Break, a.Status())
	assert.Equal(t, 0, r.Online())

	for _, s := range []agent.Status{agent.Offline, agent.Offline} { // twice
		require.NoError(t, r.SetStatus(a, s))
	}
	r.Logout(a)
	assert.Equal(t, agent.Break, a.Resume(), "never offline")
	r.Login(a)
	assert.Equal(t, agent.Break, a.Status())
	assert.NoError(t, r.Verify())
}

// C5, C6: load changes move the agent in the indexes; load never goes below
// zero; only a positive delta makes the agent busy.
func TestRoster_C5_AddLoad(t *testing.T) {
	r := agent.NewRoster()
	a := add(t, r, "alice", agent.Limit(2), t0)
	b := add(t, r, "bob", agent.Limit(2), t0)

	steps := []struct {
		delta   int
		at      time.Time
		load    int
		idle    time.Time
		hasRoom bool
		rr      []string // two round-robin picks
	}{
		{+1, t1, 1, t1, true, []string{"alice", "bob"}},
		{+1, t2, 2, t2, false, []string{"bob", "bob"}},
		{+1, t3, 3, t3, false, []string{"bob", "bob"}}, // manual assignment over the cap (C4)
		{-1, t4, 2, t3, false, []string{"bob", "bob"}},
		{-1, t4, 1, t3, true, []string{"alice", "bob"}}, // C5: room again at once
		{0, t4, 1, t3, true, []string{"alice", "bob"}},
		{-5, t4, 0, t3, true, []string{"alice", "bob"}}, // clamped at zero
	}
	for i, s := range steps {
		r.AddLoad(a, s.delta, s.at)
		assert.Equal(t, s.load, a.Load(), "step %d: load", i)
		assert.Equal(t, s.idle, a.IdleSince(), "step %d: idle", i)
		assert.Equal(t, s.hasRoom, a.HasRoom(), "step %d: HasRoom", i)
		require.NoError(t, r.Verify(), "step %d", i)
		assert.Equal(t, s.rr, rrIDs(r, 2), "step %d: round-robin", i)
	}
	assert.Equal(t, 0, b.Load())
}

// C6: lowering the cap below the load evicts nothing; the agent just has no
// room until its load drops below the new cap. Raising it gives room at once.
// E10: an agent's room for a session of several units: online, and its
// load (in units) plus the session's within its cap.
func TestAgent_E10_HasRoomFor(t *testing.T) {
	r := agent.NewRoster()
	a := add(t, r, "a", agent.Limit(3), t0)
	require.NoError(t, r.AddLoad(a, 2, t1)) // a weight-2 session
	assert.True(t, a.HasRoom())
	assert.True(t, a.HasRoomFor(1))
	assert.False(t, a.HasRoomFor(2), "one unit free")
	assert.Equal(t, 2.0/3, a.Saturation(), "saturation counts units")
	require.NoError(t, r.AddLoad(a, -2, t2))
	assert.True(t, a.HasRoomFor(3))
	assert.False(t, a.HasRoomFor(4))
	require.NoError(t, r.SetStatus(a, agent.Break))
	assert.False(t, a.HasRoomFor(1), "not online")
	u := add(t, r, "u", agent.Unlimited(), t0)
	assert.True(t, u.HasRoomFor(100))
	s := add(t, r, "s", agent.Suspended(), t0)
	assert.False(t, s.HasRoomFor(1))
	require.NoError(t, r.Verify())
}

func TestRoster_C6_SetCapacityBelowLoad(t *testing.T) {
	r := agent.NewRoster()
	a := add(t, r, "alice", agent.Limit(10), t0)
	b := add(t, r, "bob", agent.Limit(10), t0)
	r.AddLoad(a, 5, t1)
	require.True(t, a.HasRoom())
	require.Equal(t, []string{"alice", "bob"}, rrIDs(r, 2))

	r.SetCapacity(a, agent.Limit(3))
	assert.Equal(t, 5, a.Load(), "load unchanged")
	assert.Equal(t, t1, a.IdleSince(), "idle unchanged")
	assert.Equal(t, agent.Limit(3), a.Capacity())
	assert.False(t, a.HasRoom())
	assert.Equal(t, []string{"bob", "bob", "bob"}, rrIDs(r, 3), "no longer in the room index")
	assert.Equal(t, []string{"bob", "alice"}, ids(r.ActiveBySaturation()), "still online and active")
	require.NoError(t, r.Verify())

	r.AddLoad(a, -2, t2) // 3/3: still full
	assert.False(t, a.HasRoom())
	r.AddLoad(a, -1, t2) // 2/3: room
	assert.True(t, a.HasRoom())
	require.NoError(t, r.Verify())

	r.SetCapacity(a, agent.Limit(1)) // 2/1
	assert.False(t, a.HasRoom())
	r.SetCapacity(a, agent.Limit(50)) // raise: room at once
	assert.True(t, a.HasRoom())
	assert.Equal(t, 2, a.Load())
	require.NoError(t, r.Verify())

	r.SetCapacity(a, agent.Suspended())
	assert.False(t, a.HasRoom())
	assert.Equal(t, []string{"bob"}, ids(r.ActiveBySaturation()), "suspended leaves the active index")
	assert.Equal(t, 2, r.Online(), "suspended still counts online")
	require.NoError(t, r.Verify())

	r.AddLoad(b, 1, t3) // bob 1/10
	r.SetCapacity(a, agent.Unlimited())
	assert.True(t, a.HasRoom())
	assert.Equal(t, []string{"alice", "bob"}, ids(r.ActiveBySaturation()), "unlimited has saturation 0")
	assert.Equal(t, 2, a.Load())
	require.NoError(t, r.Verify())
}

func TestAgent_Saturation(t *testing.T) {
	r := agent.NewRoster()
	tests := []struct {
		id   string
		c    agent.Capacity
		load int
		want float64
	}{
		{"unlimited-0", agent.Unlimited(), 0, 0},
		{"unlimited-7", agent.Unlimited(), 7, 0},
		{"suspended-0", agent.Suspended(), 0, math.Inf(1)},
		{"limit-0", agent.Limit(0), 0, math.Inf(1)},
		{"suspended-2", agent.Suspended(), 2, math.Inf(1)},
		{"limit-4-1", agent.Limit(4), 1, 0.25},
		{"limit-4-4", agent.Limit(4), 4, 1},
		{"limit-4-6", agent.Limit(4), 6, 1.5},
	}
	for _, tt := range tests {
		a := add(t, r, tt.id, tt.c, t0)
		r.AddLoad(a, tt.load, t1)
		assert.Equal(t, tt.want, a.Saturation(), tt.id)
	}
	require.NoError(t, r.Verify())
}

// R1: least saturated first, by load/limit.
func TestRoster_R1_LeastSaturatedOrder(t *testing.T) {
	r := agent.NewRoster()
	loads := []struct {
		id   string
		c    agent.Capacity
		load int
		idle time.Time
	}{
		{"a", agent.Limit(10), 5, t1},   // 0.5
		{"b", agent.Limit(3), 1, t1},    // 0.333
		{"c", agent.Limit(4), 2, t1},    // 0.5, same idle as a → id
		{"d", agent.Limit(2), 3, t1},    // 1.5, over the cap
		{"e", agent.Unlimited(), 9, t4}, // 0
		{"f", agent.Limit(100), 1, t2},  // 0.01
		{"g", agent.Limit(1), 1, t1},    // 1.0
	}
	for _, l := range loads {
		a := add(t, r, l.id, l.c, t0)
		r.AddLoad(a, l.load, l.idle)
	}
	require.NoError(t, r.Verify())
	want := []string{"e", "f", "b", "a", "c", "g", "d"}
	assert.Equal(t, want, ids(r.ActiveBySaturation()))
	assert.Equal(t, "e", leastID(r))

	// Less agrees with the index order.
	var all []*agent.Agent
	for _, id := range []string{"d", "c", "g", "a", "b", "f", "e"} {
		all = append(all, get(t, r, id))
	}
	slices.SortFunc(all, func(x, y *agent.Agent) int {
		switch {
		case agent.Less(x, y):
			return -1
		case agent.Less(y, x):
			return 1
		}
		return 0
	})
	assert.Equal(t, want, ids(slices.Values(all)))
	for _, x := range all {
		assert.False(t, agent.Less(x, x), "Less(%s, %s) must be false", x.ID(), x.ID())
	}
}

// R1, Q4: equal saturation → the agent idle longest; equal idle → lower id.
func TestRoster_R1_LeastSaturatedTiesIdleThenID(t *testing.T) {
	r := agent.NewRoster()
	// All at 1/2. carol idle since t1, alice and bob since t2, dave since t3.
	dave := add(t, r, "dave", agent.Limit(2), t0)
	bob := add(t, r, "bob", agent.Limit(2), t0)
	alice := add(t, r, "alice", agent.Limit(2), t0)
	carol := add(t, r, "carol", agent.Limit(2), t0)
	r.AddLoad(dave, 1, t3)
	r.AddLoad(bob, 1, t2)
	r.AddLoad(alice, 1, t2)
	r.AddLoad(carol, 1, t1)
	require.NoError(t, r.Verify())
	assert.Equal(t, []string{"carol", "alice", "bob", "dave"}, ids(r.ActiveBySaturation()))

	steps := []struct {
		who  *agent.Agent
		at   time.Time
		want string
	}{
		// carol gets a session at t4: 2/2, falls behind everyone.
		{carol, t4, "alice"},
		// alice gets one: 2/2 at t4, ties carol on saturation and idle → id.
		{alice, t4, "bob"},
		{bob, t4, "dave"},
		{dave, t4, "alice"}, // all 2/2 at t4: lowest id
	}
	for i, s := range steps {
		r.AddLoad(s.who, 1, s.at)
		assert.Equal(t, s.want, leastID(r), "step %d", i)
		require.NoError(t, r.Verify(), "step %d", i)
	}
	assert.Equal(t, []string{"alice", "bob", "carol", "dave"}, ids(r.ActiveBySaturation()))

	// Times are compared as instants, not by location.
	r2 := agent.NewRoster()
	shanghai := time.FixedZone("CST", 8*3600)
	add(t, r2, "b", agent.Limit(2), t1)
	add(t, r2, "a", agent.Limit(2), t1.In(shanghai))
	assert.Equal(t, "a", leastID(r2), "same instant in another zone ties → id")
}

// R1: saturation is compared exactly. With limits near 2^53 float64 division
// rounds and would order these two the wrong way.
func TestRoster_R1_ExactSaturationLargeLimits(t *testing.T) {
	const n = 1 << 53
	r := agent.NewRoster()
	// x = n/(n+1) < y = (n+1)/(n+2), but float64(n+1) == float64(n).
	y := add(t, r, "a-y", agent.Limit(n+2), t0)
	x := add(t, r, "b-x", agent.Limit(n+1), t0)
	r.AddLoad(y, n+1, t1) // y idle longer and lower id: wins any tie
	r.AddLoad(x, n, t2)
	require.NoError(t, r.Verify())

	require.GreaterOrEqual(t, x.Saturation(), y.Saturation(), "the float says x is not less saturated")
	assert.True(t, x.HasRoom())
	assert.True(t, y.HasRoom())
	assert.Equal(t, "b-x", leastID(r), "exact order: x is less saturated")
	assert.True(t, agent.Less(x, y))
	assert.False(t, agent.Less(y, x))
	assert.Equal(t, []string{"b-x", "a-y"}, ids(r.ActiveBySaturation()))

	// Products overflowing 64 bits: load and limit near MaxInt.
	r2 := agent.NewRoster()
	p := add(t, r2, "p", agent.Limit(math.MaxInt), t0)
	q := add(t, r2, "q", agent.Limit(math.MaxInt-1), t0)
	r2.AddLoad(p, math.MaxInt-1, t1) // 1 - 1/MaxInt
	r2.AddLoad(q, math.MaxInt-2, t2) // 1 - 1/(MaxInt-1): smaller, though idle less long
	require.NoError(t, r2.Verify())
	assert.Equal(t, "q", leastID(r2))
	r2.AddLoad(q, 1, t3) // q now full at 1
	assert.Equal(t, "p", leastID(r2))
	assert.True(t, p.HasRoom())
	assert.False(t, q.HasRoom())
	assert.NoError(t, r2.Verify())
}

// R1: an unlimited agent has saturation 0, whatever its load.
func TestRoster_R1_UnlimitedSaturationZero(t *testing.T) {
	r := agent.NewRoster()
	u := add(t, r, "zz-unlimited", agent.Unlimited(), t0)
	l := add(t, r, "aa-limit", agent.Limit(100), t0)
	r.AddLoad(u, 1000, t2)
	r.AddLoad(l, 1, t1)
	assert.Equal(t, "zz-unlimited", leastID(r))

	r.AddLoad(l, -1, t3) // 0/100 ties 0: idle longest (l at t1, u at t2)
	assert.Equal(t, "aa-limit", leastID(r))
	r.AddLoad(l, 1, t4)
	r.AddLoad(l, -1, t4) // 0/100, idle since t4
	assert.Equal(t, "zz-unlimited", leastID(r))
	assert.NoError(t, r.Verify())
}

// Q4, C1: when every active agent is full, LeastSaturated still returns the
// least saturated of them (callers check HasRoom), and round-robin has none.
func TestRoster_Q4_LeastSaturatedWhenAllFull(t *testing.T) {
	r := agent.NewRoster()
	a := add(t, r, "alice", agent.Limit(2), t0)
	b := add(t, r, "bob", agent.Limit(3), t0)
	c := add(t, r, "carol", agent.Limit(1), t0)
	r.AddLoad(a, 3, t1) // 1.5
	r.AddLoad(b, 3, t2) // 1.0
	r.AddLoad(c, 2, t1) // 2.0
	require.NoError(t, r.Verify())

	best, ok := r.LeastSaturated()
	require.True(t, ok)
	assert.Equal(t, "bob", best.ID())
	assert.False(t, best.HasRoom())
	_, ok = r.NextRoundRobin()
	assert.False(t, ok)

	r.AddLoad(c, -1, t3) // carol 1/1 ties bob on saturation, idle t1 < t2
	assert.Equal(t, "carol", leastID(r))
	r.AddLoad(c, -1, t3) // carol 0/1: room
	best, ok = r.LeastSaturated()
	require.True(t, ok)
	assert.Equal(t, "carol", best.ID())
	assert.True(t, best.HasRoom(), "an agent with room sorts before every full one")
	assert.Equal(t, []string{"carol", "carol"}, rrIDs(r, 2))
	assert.NoError(t, r.Verify())
}

// A limit below 1 (not accepted by any Bounds, but not rejected by the
// roster, which does not validate) has no room at any load: it must sort
// after every agent with room, and keep the order total.
func TestRoster_R1_ZeroLimitIsFull(t *testing.T) {
	for _, limit := range []int{0, -5} {
		r := agent.NewRoster()
		z := add(t, r, "a-zero", agent.Limit(limit), t0) // idle longest, lowest id
		b := add(t, r, "b", agent.Limit(10), t1)
		c := add(t, r, "c", agent.Limit(10), t2)
		r.AddLoad(b, 5, t3)
		require.NoError(t, r.Verify(), "limit %d", limit)
		assert.False(t, z.HasRoom())
		assert.Equal(t, "c", leastID(r), "limit %d: an agent with room comes first", limit)
		assert.Equal(t, []string{"c", "b", "a-zero"}, ids(r.ActiveBySaturation()), "limit %d", limit)
		assert.True(t, agent.Less(c, z) && agent.Less(b, z), "limit %d", limit)
		assert.False(t, agent.Less(z, b) || agent.Less(z, c), "limit %d", limit)
		r.AddLoad(c, 10, t4) // c full at 10/10 = 1
		assert.Equal(t, "b", leastID(r))
		r.AddLoad(b, 5, t4) // b full too: c (10/10, t4) vs b (10/10, t4) → id
		assert.Equal(t, "b", leastID(r))
		assert.NoError(t, r.Verify())
	}
}

// R1 round-robin: id order, wrap around, agents without room skipped.
func TestRoster_RoundRobin(t *testing.T) {
	r := agent.NewRoster()
	for _, id := range []string{"d", "b", "a", "c"} {
		add(t, r, id, agent.Limit(2), t0)
	}
	assert.Equal(t, []string{"a", "b", "c", "d", "a", "b"}, rrIDs(r, 6))

	b, c, d := get(t, r, "b"), get(t, r, "c"), get(t, r, "d")
	r.AddLoad(c, 2, t1)                             // full
	require.NoError(t, r.SetStatus(d, agent.Break)) // on break
	// cursor is on b
	assert.Equal(t, []string{"a", "b", "a", "b"}, rrIDs(r, 4))

	r.SetCapacity(b, agent.Suspended())
	assert.Equal(t, []string{"a", "a"}, rrIDs(r, 2), "a single agent with room repeats")

	r.SetCapacity(b, agent.Limit(2))
	r.AddLoad(c, -1, t2)
	require.NoError(t, r.SetStatus(d, agent.Online))
	assert.Equal(t, []string{"b", "c", "d", "a"}, rrIDs(r, 4))

	// The cursor survives the removal of the agent it points at: the next
	// pick is the first id after it.
	require.NoError(t, r.Remove("a"))
	add(t, r, "bb", agent.Limit(2), t3)
	assert.Equal(t, []string{"b", "bb", "c", "d", "b"}, rrIDs(r, 5))
	assert.NoError(t, r.Verify())

	r.Logout(b)
	r.Logout(get(t, r, "bb"))
	r.Logout(c)
	r.Logout(d)
	_, ok := r.NextRoundRobin()
	assert.False(t, ok, "nobody online")
	r.Login(d)
	assert.Equal(t, []string{"d", "d"}, rrIDs(r, 2))
	assert.NoError(t, r.Verify())
}

func TestRoster_AllInIDOrder(t *testing.T) {
	r := agent.NewRoster()
	for _, id := range []string{"mia", "bo", "zed", "al"} {
		add(t, r, id, agent.Unlimited(), t0)
	}
	require.NoError(t, r.SetStatus(get(t, r, "bo"), agent.Offline))
	assert.Equal(t, []string{"al", "bo", "mia", "zed"}, ids(r.All()))

	// Early stop is honoured.
	var got []string
	for a := range r.All() {
		got = append(got, a.ID())
		if len(got) == 2 {
			break
		}
	}
	assert.Equal(t, []string{"al", "bo"}, got)
	got = got[:0]
	for a := range r.ActiveBySaturation() {
		got = append(got, a.ID())
		break
	}
	assert.Equal(t, []string{"al"}, got)
}
