package policy_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

func TestPolicy_ZeroValueValid(t *testing.T) {
	var p policy.Policy
	require.NoError(t, p.Validate())
	assert.Equal(t, policy.LeastSaturated, p.Strategy, "R1: least-saturated by default")
	assert.False(t, p.NoQueue, "Q1: queue on by default")
	assert.Equal(t, agent.Bounds{}, p.Capacity, "any capacity")
	assert.NoError(t, p.Capacity.Check(agent.Unlimited()))
	assert.NoError(t, p.Capacity.Check(agent.Suspended()))
	assert.NoError(t, p.Capacity.Check(agent.Limit(1000)))
}

func TestPolicy_Valid(t *testing.T) {
	tests := []struct {
		name string
		p    policy.Policy
	}{
		{"round-robin", policy.Policy{Strategy: policy.RoundRobin}},
		{"recent-contact", policy.Policy{Strategy: policy.RecentContact}},
		{"C2 kuaishou", policy.Policy{Capacity: agent.KuaishouBounds()}},
		{"C3 douyin, Q4 no queue", policy.Policy{NoQueue: true, Capacity: agent.DouyinBounds()}},
		{"min=max", policy.Policy{Capacity: agent.Bounds{Min: 3, Max: 3}}},
		{"O3 validity set", policy.Policy{OfflineValidity: 24 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NoError(t, tt.p.Validate())
		})
	}
}

// R1: only the three strategies exist.
func TestPolicy_R1_UnknownStrategy(t *testing.T) {
	for _, s := range []policy.Strategy{policy.RecentContact + 1, 42, 255} {
		p := policy.Policy{Strategy: s, Capacity: agent.KuaishouBounds()}
		err := p.Validate()
		require.Error(t, err, "strategy %d", uint8(s))

		var fe *policy.FieldError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, "Strategy", fe.Field)
		require.Error(t, fe.Err)
		assert.ErrorIs(t, err, policy.ErrInvalid)
		assert.NotErrorIs(t, err, agent.ErrCapacityOutOfRange)
		assert.Contains(t, err.Error(), "policy: invalid Strategy: ")
	}
}

// C2, C3: the platform's capacity bounds must make sense.
func TestPolicy_C2_BadCapacityBounds(t *testing.T) {
	tests := []struct {
		name string
		b    agent.Bounds
	}{
		{"min>max", agent.Bounds{Min: 10, Max: 5}},
		{"min 2 max 1", agent.Bounds{Min: 2, Max: 1}},
		{"negative min", agent.Bounds{Min: -1, Max: 5}},
		{"negative max", agent.Bounds{Max: -200}},
		{"negative warn", agent.Bounds{Max: 200, WarnBelow: -5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := policy.Policy{Capacity: tt.b}.Validate()
			require.Error(t, err)
			var fe *policy.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "Capacity", fe.Field)
			assert.ErrorIs(t, err, policy.ErrInvalid)
			assert.ErrorIs(t, err, agent.ErrCapacityOutOfRange)
			assert.ErrorIs(t, fe.Err, agent.ErrCapacityOutOfRange, "the cause is kept")
			assert.Contains(t, err.Error(), "policy: invalid Capacity: agent: capacity out of range")
		})
	}
}

// The first invalid field is reported.
func TestPolicy_FirstInvalidField(t *testing.T) {
	p := policy.Policy{Strategy: 9, Capacity: agent.Bounds{Min: 10, Max: 5}}
	var fe *policy.FieldError
	require.ErrorAs(t, p.Validate(), &fe)
	assert.Equal(t, "Strategy", fe.Field)
}

// O3: offline messages wait 7 days by default.
func TestPolicy_O3_OfflineValidity(t *testing.T) {
	var p policy.Policy
	assert.Equal(t, 7*24*time.Hour, policy.DefaultOfflineValidity)
	assert.Equal(t, policy.DefaultOfflineValidity, p.WithDefaults().OfflineValidity)
	p.OfflineValidity = 2 * time.Hour
	assert.Equal(t, 2*time.Hour, p.WithDefaults().OfflineValidity)
	require.NoError(t, p.Validate())

	p.OfflineValidity = -time.Second
	err := p.Validate()
	var fe *policy.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "OfflineValidity", fe.Field)
	assert.ErrorIs(t, err, policy.ErrInvalid)
}

// R1: a recent contact is remembered 30 days by default; a negative TTL
// is refused.
func TestPolicy_R1_RecentContactTTL(t *testing.T) {
	var p policy.Policy
	assert.Equal(t, 30*24*time.Hour, policy.DefaultRecentContactTTL)
	assert.Equal(t, policy.DefaultRecentContactTTL, p.WithDefaults().RecentContactTTL)
	p.RecentContactTTL = time.Hour
	assert.Equal(t, time.Hour, p.WithDefaults().RecentContactTTL)
	require.NoError(t, p.Validate())

	p.RecentContactTTL = -time.Nanosecond
	err := p.Validate()
	var fe *policy.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "RecentContactTTL", fe.Field)
	assert.ErrorIs(t, err, policy.ErrInvalid)
}

func TestFieldError(t *testing.T) {
	cause := errors.New("boom")
	fe := &policy.FieldError{Field: "Capacity.Max", Err: cause}
	assert.Equal(t, "policy: invalid Capacity.Max: boom", fe.Error())
	assert.ErrorIs(t, fe, policy.ErrInvalid)
	assert.ErrorIs(t, fe, cause)
	assert.Equal(t, []error{policy.ErrInvalid, cause}, fe.Unwrap())
}

func TestStrategy_String(t *testing.T) {
	tests := []struct {
		s    policy.Strategy
		want string
	}{
		{policy.LeastSaturated, "least-saturated"},
		{policy.RoundRobin, "round-robin"},
		{policy.RecentContact, "recent-contact"},
		{3, "Strategy(3)"},
		{255, "Strategy(255)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.s.String())
	}
	assert.Equal(t, policy.Strategy(0), policy.LeastSaturated, "LeastSaturated is the zero value")
}

// MaxClockStep: 0 is no bound, a positive step is a bound, a negative one
// is refused.
func TestPolicy_MaxClockStep(t *testing.T) {
	for _, d := range []time.Duration{0, time.Nanosecond, time.Hour, 366 * 24 * time.Hour} {
		assert.NoError(t, policy.Policy{MaxClockStep: d}.Validate(), "%v", d)
	}
	for _, d := range []time.Duration{-time.Nanosecond, -time.Hour} {
		err := policy.Policy{MaxClockStep: d}.Validate()
		var fe *policy.FieldError
		require.ErrorAs(t, err, &fe, "%v", d)
		assert.Equal(t, "MaxClockStep", fe.Field)
		assert.ErrorIs(t, err, policy.ErrInvalid)
	}
	assert.Zero(t, policy.Policy{}.WithDefaults().MaxClockStep, "0 is no bound, not a default")
}

// WithDefaults fills exactly the fields whose zero means a default, keeps
// every set value, and leaves the receiver as it was.
func TestPolicy_WithDefaults(t *testing.T) {
	var zero policy.Policy
	d := zero.WithDefaults()
	assert.Equal(t, policy.Policy{
		OfflineValidity:  policy.DefaultOfflineValidity,  // O3
		HistoryLimit:     policy.DefaultHistoryLimit,     // L4
		RecentContactTTL: policy.DefaultRecentContactTTL, // R1
		BotIdleClose:     policy.DefaultBotIdleClose,     // B1
		Location:         time.UTC,
	}, d)
	assert.Equal(t, policy.Policy{}, zero, "the receiver is a copy")
	require.NoError(t, d.Validate())
	assert.Equal(t, d, d.WithDefaults(), "idempotent")

	cst := policy.ChinaStandardTime()
	set := policy.Policy{OfflineValidity: time.Hour, HistoryLimit: 3, RecentContactTTL: 2 * time.Hour,
		BotIdleClose: time.Minute, Location: cst, DMLimit: 0, BuyerIdleClose: 0}
	assert.Equal(t, set, set.WithDefaults(), "set values stay; zeros that mean never or off stay zero")
}
