package policy_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // zones for the DST test, whatever the host has

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

func crowds(n int) []policy.Crowd {
	out := make([]policy.Crowd, n)
	for i := range out {
		out[i] = policy.Crowd{ID: fmt.Sprint("c", i)}
	}
	return out
}

// Each invalid policy names the field at fault and wraps ErrInvalid.
func TestValidate_InvalidPoliciesNameTheField(t *testing.T) {
	h := time.Hour
	cases := []struct {
		name  string
		p     policy.Policy
		field string
		is    error
	}{
		{"P3: an 11th crowd", policy.Policy{Crowds: crowds(11)}, "Crowds", policy.ErrTooManyCrowds},
		{"empty crowd id", policy.Policy{Crowds: []policy.Crowd{{}}}, "Crowds[0].ID", nil},
		{"duplicate crowd", policy.Policy{Crowds: []policy.Crowd{{ID: "a"}, {ID: "a"}}}, "Crowds[1].ID", nil},
		{"two member crowds", policy.Policy{Crowds: []policy.Crowd{{ID: "a", Member: true}, {ID: "b", Member: true}}}, "Crowds", nil},
		{"B2: share above 1", policy.Policy{BotWindows: []policy.Window{{Start: 0, End: h, Share: 1.2}}}, "BotWindows[0].Share", nil},
		{"B2: negative share", policy.Policy{BotWindows: []policy.Window{{Start: 0, End: h, Share: -0.1}}}, "BotWindows[0].Share", nil},
		{"B2: NaN share", policy.Policy{BotWindows: []policy.Window{{Start: 0, End: h, Share: math.NaN()}}}, "BotWindows[0].Share", nil},
		{"B2: inverted window", policy.Policy{BotWindows: []policy.Window{{Start: 23 * h, End: 19 * h, Share: 0.5}}}, "BotWindows[0]", nil},
		{"B2: empty window", policy.Policy{BotWindows: []policy.Window{{Start: h, End: h, Share: 0.5}}}, "BotWindows[0]", nil},
		{"B2: past midnight", policy.Policy{BotWindows: []policy.Window{{Start: 22 * h, End: 26 * h, Share: 0.5}}}, "BotWindows[0]", nil},
		{"B2: overlapping windows", policy.Policy{BotWindows: []policy.Window{
			{Start: 19 * h, End: 23 * h, Share: 0.6}, {Start: 22 * h, End: 24 * h, Share: 0.3}}}, "BotWindows[1]", nil},
		{"C2/C3: Min above Max", policy.Policy{Capacity: agent.Bounds{Min: 300, Max: 200}}, "Capacity", agent.ErrCapacityOutOfRange},
		{"C2/C3: negative bound", policy.Policy{Capacity: agent.Bounds{Max: -1}}, "Capacity", agent.ErrCapacityOutOfRange},
		{"P2: unknown team level", policy.Policy{TeamLevel: 7}, "TeamLevel", nil},
		{"R2: duplicate group", policy.Policy{Groups: []policy.Group{{ID: "g"}, {ID: "g"}}}, "Groups[1].ID", nil},
		{"R2: empty group id", policy.Policy{Groups: []policy.Group{{}}}, "Groups[0].ID", nil},
		{"O4: unknown diversion", policy.Policy{OfflineDiversion: 9}, "OfflineDiversion", nil},
		{"negative bot timeout", policy.Policy{BotIdleClose: -h}, "BotIdleClose", nil},
		{"negative buyer timeout", policy.Policy{BuyerIdleClose: -h}, "BuyerIdleClose", nil},
		{"negative agent timeout", policy.Policy{AgentIdleClose: -h}, "AgentIdleClose", nil},
		{"negative offline batch", policy.Policy{OfflineBatch: -1}, "OfflineBatch", nil},
		{"negative DM limit", policy.Policy{DMLimit: -1}, "DMLimit", nil},
		{"negative history", policy.Policy{HistoryLimit: -1}, "HistoryLimit", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.Validate()
			require.Error(t, err)
			var fe *policy.FieldError
			require.True(t, errors.As(err, &fe), "a *FieldError: %v", err)
			assert.Equal(t, c.field, fe.Field)
			assert.ErrorIs(t, err, policy.ErrInvalid)
			if c.is != nil {
				assert.ErrorIs(t, err, c.is)
			}
			assert.Contains(t, err.Error(), c.field)
		})
	}
	ok := policy.Policy{Crowds: crowds(10), BotWindows: []policy.Window{
		{Start: 0, End: 2 * h, Share: 1}, {Start: 19 * h, End: 23 * h, Share: 0.6}, {Start: 23 * h, End: 24 * h, Share: 0}}}
	assert.NoError(t, ok.Validate(), "10 crowds and adjacent windows are fine")
}

func TestPresets_AreValidAndFollowTheirPlatforms(t *testing.T) {
	for name, p := range map[string]policy.Policy{"kuaishou": policy.Kuaishou(), "douyin": policy.Douyin(), "taobao": policy.Taobao()} {
		assert.NoError(t, p.Validate(), name)
		assert.Equal(t, 8*3600, offset(p.WithDefaults().Location), "%s: China Standard Time", name)
	}
	k := policy.Kuaishou()
	assert.Equal(t, 20*time.Minute, k.BuyerIdleClose, "L2")
	assert.Equal(t, 20, k.OfflineBatch, "O5")
	assert.NoError(t, k.Capacity.Check(agent.Unlimited()), "C2: 不自动挂起")
	assert.ErrorIs(t, k.Capacity.Check(agent.Limit(501)), agent.ErrCapacityOutOfRange, "C2")
	d := policy.Douyin()
	assert.ErrorIs(t, d.Capacity.Check(agent.Limit(201)), agent.ErrCapacityOutOfRange, "C3")
	assert.True(t, d.Capacity.Low(agent.Limit(4)), "C3 warning")
	assert.Equal(t, 3, d.DMLimit, "L6")
	assert.Equal(t, 7*24*time.Hour, d.WithDefaults().OfflineValidity, "O3")
	tb := policy.Taobao()
	assert.Equal(t, policy.RecentContact, tb.Strategy, "P9 recent contact")
	assert.False(t, tb.PriorityAtQueueHead, "P1: over the cap")
}

// Preset knows exactly PresetNames, each the constructor of that name;
// any other name, spelling or case is an error naming the known ones.
func TestPreset_ByName(t *testing.T) {
	names := policy.PresetNames()
	assert.Equal(t, []string{"douyin", "kuaishou", "taobao"}, names)
	assert.True(t, slices.IsSorted(names))
	want := map[string]policy.Policy{"kuaishou": policy.Kuaishou(), "douyin": policy.Douyin(), "taobao": policy.Taobao()}
	for _, n := range names {
		p, err := policy.Preset(n)
		require.NoError(t, err, n)
		assert.Equal(t, want[n], p, n)
		assert.NoError(t, p.Validate(), n)
	}
	names[0] = "changed"
	assert.Equal(t, "douyin", policy.PresetNames()[0], "PresetNames returns a copy")

	for _, n := range []string{"", "Kuaishou", "DOUYIN", " taobao", "taobao ", "qianniu", "feige"} {
		p, err := policy.Preset(n)
		require.Error(t, err, "%q", n)
		assert.ErrorIs(t, err, policy.ErrUnknownPreset)
		assert.Contains(t, err.Error(), "douyin, kuaishou, taobao")
		assert.Equal(t, policy.Policy{}, p)
	}
}

func offset(loc *time.Location) int {
	_, off := time.Date(2026, 1, 1, 0, 0, 0, 0, loc).Zone()
	return off
}

// B2: the share in force at a time of day, in the shop's zone.
func TestBotShare_WindowsInShopTime(t *testing.T) {
	p := policy.Policy{Location: policy.ChinaStandardTime(),
		BotWindows: []policy.Window{{Start: 19 * time.Hour, End: 23 * time.Hour, Share: 0.6}}}
	at := func(h, m int) time.Time { return time.Date(2026, 11, 11, h, m, 0, 0, time.UTC) }
	assert.Equal(t, 0.6, p.BotShare(at(11, 0)), "19:00 CST = 11:00 UTC")
	assert.Equal(t, 0.0, p.BotShare(at(10, 59)))
	assert.Equal(t, 0.0, p.BotShare(at(15, 0)), "23:00 CST: the window is [19:00, 23:00)")
	p.BotFirst = true
	assert.Equal(t, 1.0, p.BotShare(at(3, 0)), "outside windows BotFirst decides")
	assert.Equal(t, 0.6, p.BotShare(at(12, 0)))
}

func TestTeamLevel_Qualifies(t *testing.T) {
	for l, want := range map[policy.TeamLevel]bool{policy.LevelNone: false, policy.LevelBronze: false,
		policy.LevelSilver: true, policy.LevelGold: true} {
		assert.Equal(t, want, l.Qualifies(), l.String())
	}
	assert.Equal(t, "TeamLevel(9)", policy.TeamLevel(9).String())
}

// B2 on a daylight-saving day: windows are wall-clock times of day.
func TestBotShare_DaylightSavingDay(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	p := policy.Policy{Location: ny, BotWindows: []policy.Window{{Start: 19 * time.Hour, End: 23 * time.Hour, Share: 1}}}
	for _, day := range []int{7, 8} { // 2026-03-08: clocks go forward
		assert.Equal(t, 1.0, p.BotShare(time.Date(2026, 3, day, 19, 30, 0, 0, ny)), "19:30 on March %d", day)
		assert.Equal(t, 0.0, p.BotShare(time.Date(2026, 3, day, 23, 30, 0, 0, ny)), "23:30 on March %d", day)
		assert.Equal(t, 0.0, p.BotShare(time.Date(2026, 3, day, 18, 59, 0, 0, ny)), "18:59 on March %d", day)
	}
}

// Bad input to the helpers: harmless answers, never a panic.
func TestBadInput_NeverPanics(t *testing.T) {
	var p policy.Policy
	assert.Equal(t, "", p.GroupFor(nil))
	assert.False(t, p.HasGroup(""))
	assert.Equal(t, 0.0, p.BotShare(time.Time{}))
	assert.Equal(t, time.UTC, p.WithDefaults().Location)
	assert.Equal(t, "Strategy(9)", policy.Strategy(9).String())
	assert.Equal(t, "TeamLevel(9)", policy.TeamLevel(9).String())
	fe := &policy.FieldError{Field: "X", Err: nil}
	assert.Contains(t, fe.Error(), "X")
}
