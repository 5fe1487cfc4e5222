package agent_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
)

// C1, C2: a capacity is unlimited (the zero value), suspended or a limit.
func TestCapacity_C2_Modes(t *testing.T) {
	var zero agent.Capacity
	tests := []struct {
		name      string
		c         agent.Capacity
		unlimited bool
		suspended bool
		limit     int
		isLimit   bool
		str       string
	}{
		{"zero", zero, true, false, 0, false, "unlimited"},
		{"Unlimited", agent.Unlimited(), true, false, 0, false, "unlimited"},
		{"Suspended", agent.Suspended(), false, true, 0, false, "suspended"},
		{"Limit20", agent.Limit(20), false, false, 20, true, "20"},
		{"Limit500", agent.Limit(500), false, false, 500, true, "500"},
		{"Limit0", agent.Limit(0), false, false, 0, true, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.unlimited, tt.c.IsUnlimited(), "IsUnlimited")
			assert.Equal(t, tt.suspended, tt.c.IsSuspended(), "IsSuspended")
			n, ok := tt.c.Limit()
			assert.Equal(t, tt.limit, n, "Limit n")
			assert.Equal(t, tt.isLimit, ok, "Limit ok")
			assert.Equal(t, tt.str, tt.c.String())
		})
	}
}

func TestCapacity_C2_ZeroValueIsUnlimited(t *testing.T) {
	var zero agent.Capacity
	assert.Equal(t, agent.Unlimited(), zero)
	assert.True(t, zero == agent.Unlimited(), "Capacity is comparable with ==")
	assert.NotEqual(t, agent.Suspended(), zero)
	assert.NotEqual(t, agent.Limit(0), zero, "Limit(0) is not the zero value")
	assert.Equal(t, agent.Limit(20), agent.Limit(20))
	assert.NotEqual(t, agent.Limit(20), agent.Limit(50))
}

func TestCapacity_C2_KuaishouPresets(t *testing.T) {
	assert.Equal(t, [...]int{20, 50, 100, 200}, agent.KuaishouPresets)
	b := agent.KuaishouBounds()
	for _, n := range agent.KuaishouPresets {
		assert.NoError(t, b.Check(agent.Limit(n)), "preset %d", n)
	}
}

// C1: HasRoom and Room at various loads.
func TestCapacity_C1_HasRoomAndRoom(t *testing.T) {
	tests := []struct {
		name    string
		c       agent.Capacity
		load    int
		hasRoom bool
		room    int
	}{
		{"unlimited/0", agent.Unlimited(), 0, true, math.MaxInt},
		{"unlimited/huge", agent.Unlimited(), math.MaxInt, true, math.MaxInt},
		{"zero/5", agent.Capacity{}, 5, true, math.MaxInt},
		{"suspended/0", agent.Suspended(), 0, false, 0},
		{"suspended/3", agent.Suspended(), 3, false, 0},
		{"limit20/0", agent.Limit(20), 0, true, 20},
		{"limit20/19", agent.Limit(20), 19, true, 1},
		{"limit20/20", agent.Limit(20), 20, false, 0},
		{"limit20/25 over cap (C4, C6)", agent.Limit(20), 25, false, 0},
		{"limit1/0", agent.Limit(1), 0, true, 1},
		{"limit1/1", agent.Limit(1), 1, false, 0},
		{"limit0/0", agent.Limit(0), 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.hasRoom, tt.c.HasRoom(tt.load), "HasRoom")
			assert.Equal(t, tt.room, tt.c.Room(tt.load), "Room")
			assert.Equal(t, tt.room > 0, tt.c.HasRoom(tt.load), "HasRoom agrees with Room > 0")
		})
	}
}

// E10: HasRoomFor counts units: load + units within the limit, always
// for unlimited, never for suspended; units below 1 count as 1.
func TestCapacity_E10_HasRoomFor(t *testing.T) {
	tests := []struct {
		name  string
		c     agent.Capacity
		load  int
		units int
		want  bool
	}{
		{"unlimited/huge", agent.Unlimited(), math.MaxInt, 100, true},
		{"suspended/0/1", agent.Suspended(), 0, 1, false},
		{"limit3/1/2 fits exactly", agent.Limit(3), 1, 2, true},
		{"limit3/2/2 one unit free", agent.Limit(3), 2, 2, false},
		{"limit3/2/1", agent.Limit(3), 2, 1, true},
		{"limit3/3/1 full", agent.Limit(3), 3, 1, false},
		{"limit2/0/3 never fits", agent.Limit(2), 0, 3, false},
		{"limit3/4/1 over the cap (C4)", agent.Limit(3), 4, 1, false},
		{"limit1/0/0 counts as 1", agent.Limit(1), 0, 0, true},
		{"limit1/1/-5 counts as 1", agent.Limit(1), 1, -5, false},
		{"limit0/0/1", agent.Limit(0), 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.c.HasRoomFor(tt.load, tt.units))
		})
	}
	for _, c := range []agent.Capacity{agent.Unlimited(), agent.Suspended(), agent.Limit(0), agent.Limit(1), agent.Limit(20)} {
		for load := range 22 {
			assert.Equal(t, c.HasRoom(load), c.HasRoomFor(load, 1), "%s at %d: HasRoomFor(1) is HasRoom", c, load)
		}
	}
}

type checkCase struct {
	c       agent.Capacity
	wantErr error // nil, ErrCapacityOutOfRange or ErrCapacityMode
	low     bool
}

func runCheck(t *testing.T, b agent.Bounds, tests []checkCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.c.String(), func(t *testing.T) {
			err := b.Check(tt.c)
			if tt.wantErr == nil {
				assert.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				other := agent.ErrCapacityMode
				if tt.wantErr == agent.ErrCapacityMode {
					other = agent.ErrCapacityOutOfRange
				}
				assert.False(t, errors.Is(err, other), "%v must not match %v", err, other)
			}
			assert.Equal(t, tt.low, b.Low(tt.c), "Low")
		})
	}
}

// C2: Kuaishou accepts unlimited, suspended and any limit 1..500; outside is
// an error, not clamped.
func TestBounds_C2_KuaishouRange(t *testing.T) {
	b := agent.KuaishouBounds()
	require.NoError(t, b.Validate())
	runCheck(t, b, []checkCase{
		{agent.Unlimited(), nil, false},
		{agent.Suspended(), nil, false},
		{agent.Limit(-1), agent.ErrCapacityOutOfRange, false},
		{agent.Limit(0), agent.ErrCapacityOutOfRange, false},
		{agent.Limit(1), nil, false},
		{agent.Limit(4), nil, false},
		{agent.Limit(20), nil, false},
		{agent.Limit(499), nil, false},
		{agent.Limit(500), nil, false},
		{agent.Limit(501), agent.ErrCapacityOutOfRange, false},
		{agent.Limit(math.MaxInt), agent.ErrCapacityOutOfRange, false},
	})
}

func TestBounds_C2_ErrorNamesValueAndRange(t *testing.T) {
	err := agent.KuaishouBounds().Check(agent.Limit(501))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "501")
	assert.Contains(t, err.Error(), "1..500")

	err = agent.Bounds{Min: 3}.Check(agent.Limit(2))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "3..", "open upper bound")
}

// C3: Douyin accepts a limit 1..200, warns below 5, and rejects unlimited and
// suspend modes.
func TestBounds_C3_DouyinRange(t *testing.T) {
	b := agent.DouyinBounds()
	require.NoError(t, b.Validate())
	runCheck(t, b, []checkCase{
		{agent.Unlimited(), agent.ErrCapacityMode, false},
		{agent.Capacity{}, agent.ErrCapacityMode, false},
		{agent.Suspended(), agent.ErrCapacityMode, false},
		{agent.Limit(0), agent.ErrCapacityOutOfRange, true},
		{agent.Limit(1), nil, true},
		{agent.Limit(4), nil, true},
		{agent.Limit(5), nil, false},
		{agent.Limit(199), nil, false},
		{agent.Limit(200), nil, false},
		{agent.Limit(201), agent.ErrCapacityOutOfRange, false},
	})
}

func TestBounds_C3_DouyinLowWarning(t *testing.T) {
	b := agent.DouyinBounds()
	for n := 1; n <= 200; n++ {
		c := agent.Limit(n)
		require.NoError(t, b.Check(c), "limit %d is allowed", n)
		assert.Equal(t, n < 5, b.Low(c), "limit %d: Low", n)
	}
	// Low concerns limits only, and Kuaishou never warns.
	assert.False(t, b.Low(agent.Unlimited()))
	assert.False(t, b.Low(agent.Suspended()))
	for _, n := range []int{1, 4, 5} {
		assert.False(t, agent.KuaishouBounds().Low(agent.Limit(n)), "kuaishou %d", n)
	}
}

func TestBounds_ZeroValue(t *testing.T) {
	var b agent.Bounds
	require.NoError(t, b.Validate())
	runCheck(t, b, []checkCase{
		{agent.Unlimited(), nil, false},
		{agent.Suspended(), nil, false},
		{agent.Limit(0), agent.ErrCapacityOutOfRange, false},
		{agent.Limit(1), nil, false},
		{agent.Limit(100000), nil, false},
		{agent.Limit(math.MaxInt), nil, false},
	})
}

func TestBounds_ModeFlagsAndMin(t *testing.T) {
	noU := agent.Bounds{NoUnlimited: true}
	assert.ErrorIs(t, noU.Check(agent.Unlimited()), agent.ErrCapacityMode)
	assert.NoError(t, noU.Check(agent.Suspended()))

	noS := agent.Bounds{NoSuspend: true}
	assert.ErrorIs(t, noS.Check(agent.Suspended()), agent.ErrCapacityMode)
	assert.NoError(t, noS.Check(agent.Unlimited()))

	// Min below 1 means 1.
	assert.ErrorIs(t, agent.Bounds{Min: 0, Max: 10}.Check(agent.Limit(0)), agent.ErrCapacityOutOfRange)
	assert.NoError(t, agent.Bounds{Min: 0, Max: 10}.Check(agent.Limit(1)))
	// Min above 1.
	assert.ErrorIs(t, agent.Bounds{Min: 5, Max: 10}.Check(agent.Limit(4)), agent.ErrCapacityOutOfRange)
	assert.NoError(t, agent.Bounds{Min: 5, Max: 10}.Check(agent.Limit(5)))
	assert.NoError(t, agent.Bounds{Min: 5, Max: 10}.Check(agent.Limit(10)))
	assert.ErrorIs(t, agent.Bounds{Min: 5, Max: 10}.Check(agent.Limit(11)), agent.ErrCapacityOutOfRange)
}

func TestBounds_Validate(t *testing.T) {
	tests := []struct {
		name string
		b    agent.Bounds
		ok   bool
	}{
		{"zero", agent.Bounds{}, true},
		{"kuaishou", agent.KuaishouBounds(), true},
		{"douyin", agent.DouyinBounds(), true},
		{"min only", agent.Bounds{Min: 7}, true},
		{"min=max", agent.Bounds{Min: 7, Max: 7}, true},
		{"min 0 max 1", agent.Bounds{Max: 1}, true},
		{"min>max", agent.Bounds{Min: 10, Max: 5}, false},
		{"min 2 max 1", agent.Bounds{Min: 2, Max: 1}, false},
		{"negative min", agent.Bounds{Min: -1}, false},
		{"negative max", agent.Bounds{Max: -1}, false},
		{"negative warn", agent.Bounds{WarnBelow: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.b.Validate()
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, agent.ErrCapacityOutOfRange)
		})
	}
}

// S1: three statuses; zero is invalid.
func TestStatus_S1_ValidAndString(t *testing.T) {
	tests := []struct {
		s     agent.Status
		valid bool
		str   string
	}{
		{0, false, "Status(0)"},
		{agent.Online, true, "online"},
		{agent.Break, true, "break"},
		{agent.Offline, true, "offline"},
		{4, false, "Status(4)"},
		{255, false, "Status(255)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.valid, tt.s.Valid(), "%d.Valid", uint8(tt.s))
		assert.Equal(t, tt.str, tt.s.String(), "%d.String", uint8(tt.s))
	}
}
