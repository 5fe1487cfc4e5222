package agent_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
)

// Every exported function and method, with bad input: an error or a
// harmless answer, never a panic, and the roster stays valid.
func TestBadInput_NeverPanics(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	r := agent.NewRoster()
	mine, err := r.Add("a", agent.Limit(2), t0)
	require.NoError(t, err)
	other, err := agent.NewRoster().Add("x", agent.Limit(1), t0)
	require.NoError(t, err)
	removed, err := r.Add("gone", agent.Limit(1), t0)
	require.NoError(t, err)
	require.NoError(t, r.Remove("gone"))

	for _, a := range []*agent.Agent{nil, other, removed} {
		assert.ErrorIs(t, r.SetStatus(a, agent.Online), agent.ErrUnknownAgent)
		assert.ErrorIs(t, r.Logout(a), agent.ErrUnknownAgent)
		assert.ErrorIs(t, r.Login(a), agent.ErrUnknownAgent)
		assert.ErrorIs(t, r.SetCapacity(a, agent.Limit(9)), agent.ErrUnknownAgent)
		assert.ErrorIs(t, r.AddLoad(a, 1, t0), agent.ErrUnknownAgent)
		assert.ErrorIs(t, r.SetGroup(a, "g"), agent.ErrUnknownAgent)
		assert.ErrorIs(t, r.Hold(a), agent.ErrUnknownAgent)
		assert.ErrorIs(t, r.Settle(a), agent.ErrUnknownAgent)
	}
	assert.ErrorIs(t, r.SetStatus(mine, agent.Status(0)), agent.ErrInvalidStatus)
	assert.ErrorIs(t, r.SetStatus(mine, agent.Status(200)), agent.ErrInvalidStatus)
	assert.NoError(t, r.AddLoad(mine, -5, t0), "load never below zero")
	assert.Equal(t, 0, mine.Load())
	assert.NoError(t, r.SetCapacity(mine, agent.Limit(-7)), "the roster does not validate; a limit below 1 takes nothing")
	assert.False(t, mine.HasRoom())
	_, err = r.Add("", agent.Limit(1), t0)
	assert.ErrorIs(t, err, agent.ErrEmptyID)
	assert.ErrorIs(t, r.Remove(""), agent.ErrUnknownAgent)
	_, ok := r.Get("")
	assert.False(t, ok)
	_, ok = r.LeastSaturatedIn("no-such-group")
	assert.False(t, ok)
	_, ok = r.NextRoundRobinIn("no-such-group")
	assert.False(t, ok)
	assert.Equal(t, "", r.Cursor("no-such-group"))
	r.SetCursor("no-such-group", "x")
	assert.False(t, agent.Less(nil, mine))
	assert.True(t, agent.Less(mine, nil))
	assert.False(t, agent.Less(nil, nil))
	assert.Equal(t, math.Inf(1), mine.Saturation())
	require.NoError(t, r.Verify())

	for _, c := range []agent.Capacity{agent.Limit(math.MinInt), agent.Limit(math.MaxInt), {}} {
		_ = c.String()
		_ = c.Room(math.MaxInt)
		_ = c.HasRoom(-1)
	}
	b := agent.Bounds{Min: -1, Max: -1, WarnBelow: -1}
	assert.Error(t, b.Validate())
	assert.Error(t, b.Check(agent.Limit(0)))
	assert.False(t, b.Low(agent.Limit(-5)))
	assert.Equal(t, "Status(9)", agent.Status(9).String())
}
