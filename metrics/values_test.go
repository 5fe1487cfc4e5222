package metrics_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/metrics"
)

func TestRate(t *testing.T) {
	cases := []struct {
		r       metrics.Rate
		str     string
		percent string
		json    string
	}{
		{rate(0, 0), "no data", "no data", `{"num":0,"den":0,"value":null}`},
		{rate(0, 4), "0.0% (0/4)", "0.0%", `{"num":0,"den":4,"value":0}`},
		{rate(19, 20), "95.0% (19/20)", "95.0%", `{"num":19,"den":20,"value":0.95}`},
		{rate(1, 3), "33.3% (1/3)", "33.3%", `{"num":1,"den":3,"value":0.3333333333333333}`},
	}
	for _, c := range cases {
		assert.Equal(t, c.str, c.r.String())
		assert.Equal(t, c.percent, c.r.Percent())
		b, err := json.Marshal(c.r)
		require.NoError(t, err)
		assert.JSONEq(t, c.json, string(b))
		var back metrics.Rate
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, c.r, back)
	}
	assert.Equal(t, rate(3, 7), rate(1, 3).Add(rate(2, 4)))
}

func TestMean(t *testing.T) {
	assert.Equal(t, "no data", metrics.Mean{}.String())
	m := mean(30*sec, 100*sec)
	assert.Equal(t, "1m5s", m.String())
	d, ok := m.Value()
	assert.True(t, ok)
	assert.Equal(t, 65*sec, d)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	assert.JSONEq(t, `{"total_ns":130000000000,"count":2,"seconds":65}`, string(b))
	b, err = json.Marshal(metrics.Mean{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"total_ns":0,"count":0,"seconds":null}`, string(b))
	assert.Equal(t, mean(sec, 2*sec, 3*sec), mean(sec).Add(mean(2*sec, 3*sec)))
}

func TestHoursBetween(t *testing.T) {
	cases := []struct {
		from, to int
		has      []int
		not      []int
		str      string
	}{
		{8, 23, []int{8, 15, 22}, []int{7, 23, 0}, "08-23"},
		{22, 2, []int{22, 23, 0, 1}, []int{2, 21, 12}, "00-02,22-24"},
		{0, 24, []int{0, 23}, nil, "all"},
		{5, 5, []int{0, 5, 23}, nil, "all"},
	}
	for _, c := range cases {
		h, err := metrics.HoursBetween(c.from, c.to)
		require.NoError(t, err)
		for _, x := range c.has {
			assert.True(t, h.Has(x), "%d-%d has %d", c.from, c.to, x)
		}
		for _, x := range c.not {
			assert.False(t, h.Has(x), "%d-%d lacks %d", c.from, c.to, x)
		}
		assert.Equal(t, c.str, h.String())
	}
	for _, bad := range [][2]int{{-1, 5}, {24, 3}, {3, 25}} {
		_, err := metrics.HoursBetween(bad[0], bad[1])
		assert.ErrorIs(t, err, metrics.ErrInvalidHours)
	}
	assert.Equal(t, "none", metrics.Hours(0).String())
}

func TestDate(t *testing.T) {
	// 2026-11-11 23:30 CST is 15:30 UTC: the shop's day is the 11th, and
	// 00:30 CST on the 12th is still the 11th in UTC.
	assert.Equal(t, day0, metrics.DateOf(at("23:30:00"), cst))
	assert.Equal(t, day0.AddDays(1), metrics.DateOf(at("+1 00:30:00"), cst))
	assert.Equal(t, day0, metrics.DateOf(at("+1 00:30:00"), time.UTC))
	assert.Equal(t, metrics.Date{Year: 2027, Month: time.January, Day: 1}, metrics.Date{Year: 2026, Month: time.December, Day: 31}.AddDays(1))
	assert.True(t, day0.Before(day0.AddDays(1)))
	assert.False(t, day0.Before(day0))
	assert.Equal(t, at("00:00:00"), day0.Start(cst))
	b, err := json.Marshal(day0)
	require.NoError(t, err)
	assert.Equal(t, `"2026-11-11"`, string(b))
	var back metrics.Date
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, day0, back)
	assert.Error(t, json.Unmarshal([]byte(`"11/11/2026"`), &back))
}

// New rejects bad configuration with sentinel errors, never a panic.
func TestNew_Errors(t *testing.T) {
	_, err := metrics.New(nil)
	assert.ErrorIs(t, err, metrics.ErrNilLocation)
	cases := []struct {
		name string
		opt  metrics.Option
		want error
	}{
		{"zero window", metrics.WithWindow(0), metrics.ErrInvalidWindow},
		{"negative window", metrics.WithWindow(-time.Second), metrics.ErrInvalidWindow},
		{"no counted hour", metrics.WithCountedHours(0), metrics.ErrInvalidHours},
		{"zero slow threshold", metrics.WithSlowReply(0, time.Minute), metrics.ErrInvalidWindow},
		{"standard 1", metrics.WithAttitudeStandard(1), metrics.ErrInvalidStandard},
		{"standard negative", metrics.WithAttitudeStandard(-0.1), metrics.ErrInvalidStandard},
		{"tier without name", metrics.WithTiers(metrics.Tier{Over: 0.1}), metrics.ErrInvalidTier},
		{"tier below the standard", metrics.WithTiers(metrics.Tier{Name: "x", Over: 0.05}), metrics.ErrInvalidTier},
		{"tiers not ascending", metrics.WithTiers(metrics.Tier{Name: "a", Over: 0.2}, metrics.Tier{Name: "b", Over: 0.1}), metrics.ErrInvalidTier},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := metrics.New(cst, c.opt)
			assert.ErrorIs(t, err, c.want)
			assert.Nil(t, rec)
		})
	}
	rec, err := metrics.New(cst, nil, metrics.WithWindow(time.Minute))
	require.NoError(t, err, "a nil option is skipped")
	assert.Equal(t, time.Minute, rec.Window())
	assert.Equal(t, metrics.AllHours, rec.CountedHours())
	assert.Equal(t, cst, rec.Location())
}

func TestHours_Text(t *testing.T) {
	for _, s := range []string{"all", "none", "08-23", "00-02,22-24", "09-12,14-18"} {
		var h metrics.Hours
		require.NoError(t, h.UnmarshalText([]byte(s)), s)
		b, err := h.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, s, string(b))
	}
	var h metrics.Hours
	for _, bad := range []string{"8", "12-08", "x-y", "00-25"} {
		assert.ErrorIs(t, h.UnmarshalText([]byte(bad)), metrics.ErrInvalidHours, bad)
	}
}
