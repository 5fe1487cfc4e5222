package agent

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRoster_VerifyDetectsCorruption shows that Verify, the invariant
// checker the other tests rely on, does fail: each case changes the roster
// behind its methods' back and Verify must report it.
func TestRoster_VerifyDetectsCorruption(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

	// build returns a healthy roster: a, b, c online with Limit(5) and
	// loads 1, 2, 3 (saturation order a, b, c); d on break; e suspended.
	build := func(t *testing.T) (*Roster, map[string]*Agent) {
		t.Helper()
		r := NewRoster()
		m := map[string]*Agent{}
		for i, id := range []string{"a", "b", "c", "d", "e"} {
			a, err := r.Add(id, Limit(5), t0)
			require.NoError(t, err)
			r.AddLoad(a, i+1, t0.Add(time.Duration(i)*time.Minute))
			m[id] = a
		}
		require.NoError(t, r.SetStatus(m["d"], Break))
		r.SetCapacity(m["e"], Suspended())
		require.Zero(t, r.every.open.Len(), "no round-robin index before the first pick")
		_, ok := r.NextRoundRobin() // builds it
		require.True(t, ok)
		require.Equal(t, 3, r.every.open.Len())
		require.NoError(t, r.Verify(), "healthy roster")
		return r, m
	}

	tests := []struct {
		name    string
		corrupt func(r *Roster, m map[string]*Agent)
	}{
		{"load changed without reindex (order)", func(r *Roster, m map[string]*Agent) { m["a"].load = 4 }},
		{"load changed without reindex (room)", func(r *Roster, m map[string]*Agent) { m["c"].load = 5 }},
		{"load negative", func(r *Roster, m map[string]*Agent) { m["d"].load = -1 }},
		{"idle changed without reindex", func(r *Roster, m map[string]*Agent) {
			r.AddLoad(m["b"], -1, t0) // b 1/5 ties a on saturation; a idle longer
			m["a"].idle = t0.Add(time.Hour)
		}},
		{"open flag flipped off", func(r *Roster, m map[string]*Agent) { m["b"].open = false }},
		{"open flag flipped on", func(r *Roster, m map[string]*Agent) { m["d"].open = true }},
		{"active flag flipped", func(r *Roster, m map[string]*Agent) { m["a"].active = false }},
		{"online count off by one", func(r *Roster, m map[string]*Agent) { r.byStatus[Online]++ }},
		{"online count low", func(r *Roster, m map[string]*Agent) { r.byStatus[Online]-- }},
		{"break count off", func(r *Roster, m map[string]*Agent) { r.byStatus[Break]++ }},
		{"status changed without reindex", func(r *Roster, m map[string]*Agent) { m["a"].status = Break }},
		{"status made online without reindex", func(r *Roster, m map[string]*Agent) { m["d"].status = Online }},
		{"invalid status", func(r *Roster, m map[string]*Agent) { m["d"].status = 0 }},
		{"invalid resume", func(r *Roster, m map[string]*Agent) { m["a"].resume = 9 }},
		{"resume offline (S2: login never restores offline)", func(r *Roster, m map[string]*Agent) { m["a"].resume = Offline }},
		{"capacity changed without reindex", func(r *Roster, m map[string]*Agent) { m["a"].capacity = Suspended() }},
		{"limit lowered without reindex", func(r *Roster, m map[string]*Agent) { m["b"].capacity = Limit(2) }},
		{"missing from saturation index", func(r *Roster, m map[string]*Agent) { r.every.active.Delete(rankOf(m["b"])) }},
		{"missing from round-robin index", func(r *Roster, m map[string]*Agent) { r.every.open.Delete(m["a"]) }},
		{"stranger in saturation index", func(r *Roster, m map[string]*Agent) {
			r.every.active.ReplaceOrInsert(rankOf(&Agent{id: "x", status: Online, resume: Online, capacity: Limit(5)}))
		}},
		{"stranger in round-robin index", func(r *Roster, m map[string]*Agent) {
			r.every.open.ReplaceOrInsert(&Agent{id: "x", status: Online, resume: Online})
		}},
		{"agent on break in saturation index", func(r *Roster, m map[string]*Agent) {
			r.every.active.ReplaceOrInsert(rankOf(m["d"]))
		}},
		{"slot table points elsewhere", func(r *Roster, m map[string]*Agent) { r.bySlot[0] = m["b"] }},
		{"missing from id index", func(r *Roster, m map[string]*Agent) { r.all.Delete(m["c"]) }},
		{"stranger replaces an agent in id index", func(r *Roster, m map[string]*Agent) {
			r.all.Delete(m["c"])
			r.all.ReplaceOrInsert(&Agent{id: "x", status: Online, resume: Online})
		}},
		{"two agents in one slot", func(r *Roster, m map[string]*Agent) { m["b"].slot = m["a"].slot }},
		{"slot out of range", func(r *Roster, m map[string]*Agent) { m["b"].slot = r.slots }},
		{"a taken slot free", func(r *Roster, m map[string]*Agent) { r.freeSlots = append(r.freeSlots, m["c"].slot) }},
		{"missing from map", func(r *Roster, m map[string]*Agent) {
			r.byID = maps.Clone(m) // as a large roster keeps it
			delete(r.byID, "d")
		}},
		{"map key differs from id", func(r *Roster, m map[string]*Agent) {
			r.byID = maps.Clone(m)
			delete(r.byID, "d")
			r.byID["dd"] = m["d"]
		}},
		{"id changed", func(r *Roster, m map[string]*Agent) { m["b"].id = "z" }},
		{"id changed (map)", func(r *Roster, m map[string]*Agent) {
			r.byID = maps.Clone(m)
			m["e"].id = "z"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, m := build(t)
			tt.corrupt(r, m)
			err := r.Verify()
			assert.Error(t, err)
			t.Log(err)
		})
	}
}

// TestCompareSaturation_Total checks the comparator's contract directly:
// antisymmetric and transitive over every capacity mode, including those
// with no room at any load.
func TestCompareSaturation_Total(t *testing.T) {
	caps := []Capacity{Unlimited(), Suspended(), Limit(0), Limit(-2), Limit(1), Limit(2), Limit(3), Limit(1 << 62)}
	var as []*Agent
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i, c := range caps {
		for load := range 4 {
			// Idle ties between some, and ids to break them.
			as = append(as, &Agent{id: string(rune('a' + 4*i + load)), capacity: c, load: load,
				idle: t0.Add(time.Duration(load%2) * time.Nanosecond), slot: int32(len(as))})
		}
	}
	r := &Roster{bySlot: as} // for the index's tie-break by id
	for _, x := range as {
		for _, y := range as {
			require.Equal(t, compareSaturation(x, y), -compareSaturation(y, x), "%d/%v vs %d/%v", x.load, x.capacity, y.load, y.capacity)
			for _, z := range as {
				if compareSaturation(x, y) <= 0 && compareSaturation(y, z) <= 0 {
					require.LessOrEqual(t, compareSaturation(x, z), 0, "transitivity: %d/%v ≤ %d/%v ≤ %d/%v",
						x.load, x.capacity, y.load, y.capacity, z.load, z.capacity)
				}
			}
			// The index's copied keys order as the agents do.
			rx, ry := rankOf(x), rankOf(y)
			require.Equal(t, compareSaturation(x, y) < 0 || (compareSaturation(x, y) == 0 && lessSaturation(x, y)),
				r.cmpRanked(rx, ry) < 0, "%s %d/%v vs %s %d/%v", x.id, x.load, x.capacity, y.id, y.load, y.capacity)
			// Room implies strictly less saturated than any full agent.
			if x.capacity.HasRoom(x.load) && !y.capacity.HasRoom(y.load) {
				require.Equal(t, -1, compareSaturation(x, y), "%d/%v has room, %d/%v does not", x.load, x.capacity, y.load, y.capacity)
			}
		}
	}
}

// Slot numbers the agents from 0; a removed agent's slot goes to the next
// agent added, so Slots stays at the most agents held at once.
func TestRoster_SlotsAreReused(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	r := NewRoster()
	for i, id := range []string{"a", "b", "c"} {
		a, err := r.Add(id, Limit(5), t0)
		require.NoError(t, err)
		assert.Equal(t, i, a.Slot())
	}
	require.NoError(t, r.Remove("b"))
	d, err := r.Add("d", Limit(5), t0)
	require.NoError(t, err)
	assert.Equal(t, 1, d.Slot(), "b's slot")
	e, err := r.Add("e", Limit(5), t0)
	require.NoError(t, err)
	assert.Equal(t, 3, e.Slot())
	assert.Equal(t, 4, r.Slots())
	require.NoError(t, r.Verify())
}

// A roster finds its agents by binary search while small and by a map
// once it grows past smallSet; Get, Add's duplicate check and Remove work
// on both sides of the switch.
func TestRoster_GetSmallAndLarge(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	r := NewRoster()
	id := func(i int) string { return fmt.Sprintf("a%03d", i) }
	for i := range 3 * smallSet {
		if i == smallSet {
			assert.Nil(t, r.byID, "no map while small")
		}
		_, err := r.Add(id(i), Limit(5), t0)
		require.NoError(t, err)
		_, err = r.Add(id(i/2), Limit(5), t0)
		require.ErrorIs(t, err, ErrDuplicateAgent)
	}
	require.NotNil(t, r.byID)
	for i := range 3 * smallSet {
		a, ok := r.Get(id(i))
		require.True(t, ok)
		require.Equal(t, id(i), a.ID())
		if i%2 == 0 {
			require.NoError(t, r.Remove(id(i)))
			_, ok = r.Get(id(i))
			require.False(t, ok)
		}
	}
	_, ok := r.Get("nobody")
	assert.False(t, ok)
	assert.Equal(t, 3*smallSet/2, r.Len())
	require.NoError(t, r.Verify())
}
