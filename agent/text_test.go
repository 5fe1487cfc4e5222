package agent_test

import (
	"encoding"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
)

var (
	_ encoding.TextMarshaler   = agent.Status(0)
	_ encoding.TextUnmarshaler = (*agent.Status)(nil)
	_ encoding.TextMarshaler   = agent.Capacity{}
	_ encoding.TextUnmarshaler = (*agent.Capacity)(nil)
)

// S1: each status has one text name, both ways.
func TestStatus_S1_Text(t *testing.T) {
	tests := []struct {
		s    agent.Status
		text string
	}{
		{agent.Online, "online"},
		{agent.Break, "break"},
		{agent.Offline, "offline"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := tt.s.MarshalText()
			require.NoError(t, err)
			assert.Equal(t, tt.text, string(got))
			assert.Equal(t, tt.s.String(), string(got))

			var s agent.Status
			require.NoError(t, s.UnmarshalText([]byte(tt.text)))
			assert.Equal(t, tt.s, s)
		})
	}
}

// An invalid status has no text, and text that is not a name is refused,
// leaving the value as it was.
func TestStatus_S1_BadText(t *testing.T) {
	for _, s := range []agent.Status{0, agent.Offline + 1, 255} {
		got, err := s.MarshalText()
		assert.ErrorIs(t, err, agent.ErrInvalidStatus, "%d", uint8(s))
		assert.Nil(t, got)
	}
	for _, text := range []string{"", "Online", "ONLINE", " online", "online ", "on-line", "away", "1", "0", "Status(1)", "online\x00"} {
		s := agent.Break
		err := s.UnmarshalText([]byte(text))
		assert.ErrorIs(t, err, agent.ErrInvalidStatus, "%q", text)
		assert.Equal(t, agent.Break, s, "%q: unchanged", text)
	}
	var nilText agent.Status
	assert.ErrorIs(t, nilText.UnmarshalText(nil), agent.ErrInvalidStatus)
}

// C2: a capacity's text is its String: "unlimited", "suspended" or the
// limit in decimal, both ways.
func TestCapacity_C2_Text(t *testing.T) {
	tests := []struct {
		c    agent.Capacity
		text string
	}{
		{agent.Capacity{}, "unlimited"},
		{agent.Unlimited(), "unlimited"},
		{agent.Suspended(), "suspended"},
		{agent.Limit(1), "1"},
		{agent.Limit(5), "5"},
		{agent.Limit(10), "10"},
		{agent.Limit(20), "20"},
		{agent.Limit(200), "200"},
		{agent.Limit(500), "500"},
		{agent.Limit(100000), "100000"},
		{agent.Limit(math.MaxInt), strconv.Itoa(math.MaxInt)},
		// Limits no platform accepts still encode, so that an operation
		// the engine refuses can be logged and replayed.
		{agent.Limit(0), "0"},
		{agent.Limit(-3), "-3"},
		{agent.Limit(math.MinInt), strconv.Itoa(math.MinInt)},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := tt.c.MarshalText()
			require.NoError(t, err)
			assert.Equal(t, tt.text, string(got))
			assert.Equal(t, tt.c.String(), string(got))

			c := agent.Limit(7)
			require.NoError(t, c.UnmarshalText([]byte(tt.text)))
			assert.Equal(t, tt.c, c)
		})
	}
}

// Only the canonical text decodes, so decoding then encoding gives the
// same bytes; anything else is ErrInvalidCapacity and changes nothing.
func TestCapacity_C2_BadText(t *testing.T) {
	bad := []string{
		"", " ", "00", "-0", "+0", "020", "007", "+20", "-020", " 20", "20 ", "2 0", "20\n",
		"1e3", "1_000", "0x14", "20.0", "٢٠", "twenty",
		"Unlimited", "UNLIMITED", " unlimited", "unlimited ", "suspend", "Suspended",
		"9223372036854775808", "99999999999999999999999",
	}
	for _, text := range bad {
		c := agent.Limit(7)
		err := c.UnmarshalText([]byte(text))
		assert.ErrorIs(t, err, agent.ErrInvalidCapacity, "%q", text)
		assert.Equal(t, agent.Limit(7), c, "%q: unchanged", text)
	}
}

// Any text that decodes encodes back to the same bytes.
func FuzzCapacityText(f *testing.F) {
	for _, s := range []string{"unlimited", "suspended", "1", "20", "020", "+20", "-1", "0", "9223372036854775807", "9223372036854775808"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		var c agent.Capacity
		if c.UnmarshalText(text) != nil {
			return
		}
		out, err := c.MarshalText()
		require.NoError(t, err)
		require.Equal(t, string(text), string(out))
	})
}
