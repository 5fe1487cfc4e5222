package policy_test

import (
	"encoding"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/policy"
)

var (
	_ encoding.TextMarshaler   = policy.Strategy(0)
	_ encoding.TextUnmarshaler = (*policy.Strategy)(nil)
	_ encoding.TextMarshaler   = policy.TeamLevel(0)
	_ encoding.TextUnmarshaler = (*policy.TeamLevel)(nil)
	_ encoding.TextMarshaler   = policy.OfflineDiversion(0)
	_ encoding.TextUnmarshaler = (*policy.OfflineDiversion)(nil)
)

// textEnum is one of the policy's enums, seen through its text methods.
type textEnum interface {
	encoding.TextMarshaler
	String() string
}

// Every value of each enum has one name, both ways, and String agrees.
func TestEnums_Text(t *testing.T) {
	tests := []struct {
		v    textEnum
		text string
		// decode decodes text into a fresh value of v's type.
		decode func([]byte) (textEnum, error)
	}{
		{policy.LeastSaturated, "least-saturated", decodeStrategy},
		{policy.RoundRobin, "round-robin", decodeStrategy},
		{policy.RecentContact, "recent-contact", decodeStrategy},
		{policy.LevelNone, "none", decodeLevel},
		{policy.LevelBronze, "bronze", decodeLevel},
		{policy.LevelSilver, "silver", decodeLevel},
		{policy.LevelGold, "gold", decodeLevel},
		{policy.OfflinePool, "pool", decodeDiversion},
		{policy.OfflineToBot, "bot", decodeDiversion},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := tt.v.MarshalText()
			require.NoError(t, err)
			assert.Equal(t, tt.text, string(got))
			assert.Equal(t, tt.v.String(), tt.text)

			back, err := tt.decode([]byte(tt.text))
			require.NoError(t, err)
			assert.Equal(t, tt.v, back)
		})
	}
}

func decodeStrategy(b []byte) (textEnum, error) {
	s := policy.Strategy(99)
	err := s.UnmarshalText(b)
	return s, err
}

func decodeLevel(b []byte) (textEnum, error) {
	l := policy.TeamLevel(99)
	err := l.UnmarshalText(b)
	return l, err
}

func decodeDiversion(b []byte) (textEnum, error) {
	d := policy.OfflineDiversion(99)
	err := d.UnmarshalText(b)
	return d, err
}

// Unknown values have no text; unknown text is ErrInvalid and leaves the
// value as it was.
func TestEnums_BadText(t *testing.T) {
	for _, v := range []textEnum{
		policy.RecentContact + 1, policy.Strategy(255),
		policy.LevelGold + 1, policy.TeamLevel(255),
		policy.OfflineToBot + 1, policy.OfflineDiversion(255),
	} {
		got, err := v.MarshalText()
		assert.ErrorIs(t, err, policy.ErrInvalid, "%v", v)
		assert.Nil(t, got)
	}
	assert.Equal(t, "OfflineDiversion(2)", policy.OfflineDiversion(2).String())

	bad := []string{"", " ", "0", "1", "Strategy(0)", "TeamLevel(1)", "OfflineDiversion(0)", "\x00"}
	cases := map[string][]string{
		"strategy":  append([]string{"Least-Saturated", "least_saturated", "leastsaturated", " round-robin", "round-robin ", "recent", "none"}, bad...),
		"level":     append([]string{"Gold", "GOLD", " gold", "platinum", "pool"}, bad...),
		"diversion": append([]string{"Pool", "BOT", "offline", "queue", "least-saturated"}, bad...),
	}
	decoders := map[string]func([]byte) (textEnum, error){"strategy": decodeStrategy, "level": decodeLevel, "diversion": decodeDiversion}
	for kind, texts := range cases {
		for _, text := range texts {
			v, err := decoders[kind]([]byte(text))
			assert.ErrorIs(t, err, policy.ErrInvalid, "%s %q", kind, text)
			assert.Contains(t, v.String(), "(99)", "%s %q: unchanged", kind, text)
		}
	}
}
