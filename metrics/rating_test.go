package metrics_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/metrics"
)

// rating is a rating of agent (or "bot") by buyer at clock.
func rating(buyerID, agentID string, l metrics.Level, clock string) metrics.Rating {
	r := metrics.Rating{Buyer: buyerID, Agent: agentID, Level: l, Source: metrics.Invitation, At: at(clock)}
	if agentID == "bot" {
		r.Agent, r.Bot = "", true
	}
	return r
}

func badAttitude(r metrics.Rating) metrics.Rating {
	r.Reasons |= metrics.ReasonBadAttitude
	return r
}

// Rules M1 and M1a: good-review rate = satisfied / all, after the per-day
// sample rule: one buyer rating one agent several times a day counts once
// (the last); N agents are N samples; the bot counts; days are the shop's.
func TestM1a_SampleRule(t *testing.T) {
	S, N, D := metrics.Satisfied, metrics.Normal, metrics.Disappointed
	cases := []struct {
		name    string
		ratings []metrics.Rating
		from    metrics.Date
		to      metrics.Date
		shop    metrics.Rate // good-review rate
		counts  [3]int       // satisfied, normal, disappointed
	}{
		{
			name:    "same agent 09:00 disappointed, 21:00 satisfied: once, satisfied",
			ratings: []metrics.Rating{rating("b1", "wang", D, "09:00:00"), rating("b1", "wang", S, "21:00:00")},
			from:    day0, to: day0,
			shop: rate(1, 1), counts: [3]int{1, 0, 0},
		},
		{
			name:    "the later rating passed in first still wins",
			ratings: []metrics.Rating{rating("b1", "wang", S, "21:00:00"), rating("b1", "wang", D, "09:00:00")},
			from:    day0, to: day0,
			shop: rate(1, 1), counts: [3]int{1, 0, 0},
		},
		{
			name:    "across midnight: twice",
			ratings: []metrics.Rating{rating("b1", "wang", D, "23:30:00"), rating("b1", "wang", S, "+1 00:30:00")},
			from:    day0, to: day0.AddDays(1),
			shop: rate(1, 2), counts: [3]int{1, 0, 1},
		},
		{
			// 23:30 and 00:30 CST are 15:30 and 16:30 UTC, one UTC day:
			// the shop's time zone decides.
			name:    "midnight is the shop's, not UTC's",
			ratings: []metrics.Rating{rating("b1", "wang", N, "23:30:00"), rating("b1", "wang", N, "+1 00:30:00")},
			from:    day0, to: day0.AddDays(1),
			shop: rate(0, 2), counts: [3]int{0, 2, 0},
		},
		{
			name:    "one buyer, two agents: two samples",
			ratings: []metrics.Rating{rating("b1", "wang", S, "09:00:00"), rating("b1", "li", N, "09:05:00")},
			from:    day0, to: day0,
			shop: rate(1, 2), counts: [3]int{1, 1, 0},
		},
		{
			name:    "two buyers, one agent: two samples",
			ratings: []metrics.Rating{rating("b1", "wang", S, "09:00:00"), rating("b2", "wang", D, "09:05:00")},
			from:    day0, to: day0,
			shop: rate(1, 2), counts: [3]int{1, 0, 1},
		},
		{
			name:    "the bot counts, apart from the agents",
			ratings: []metrics.Rating{rating("b1", "bot", S, "09:00:00"), rating("b1", "wang", D, "09:05:00"), rating("b1", "bot", N, "10:00:00")},
			from:    day0, to: day0,
			shop: rate(0, 2), counts: [3]int{0, 1, 1},
		},
		{
			name:    "same time twice: the one passed in last",
			ratings: []metrics.Rating{rating("b1", "wang", D, "09:00:00"), rating("b1", "wang", S, "09:00:00")},
			from:    day0, to: day0,
			shop: rate(1, 1), counts: [3]int{1, 0, 0},
		},
		{
			name: "no rating: no data", from: day0, to: day0,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := feed(t, nil)
			for _, r := range c.ratings {
				require.NoError(t, rec.Rate(r))
			}
			got := rec.Reviews(c.from, c.to)
			assert.Equal(t, c.shop, got.Shop.Good)
			assert.Equal(t, c.counts, [3]int{got.Shop.Satisfied, got.Shop.Normal, got.Shop.Disappointed})
		})
	}
}

// Rule M1 per rated agent, and a period with no rating says "no data".
func TestM1_PerAgentAndNoData(t *testing.T) {
	rec := feed(t, nil)
	for _, r := range []metrics.Rating{
		rating("b1", "wang", metrics.Satisfied, "09:00:00"),
		rating("b2", "wang", metrics.Normal, "09:10:00"),
		rating("b3", "li", metrics.Satisfied, "10:00:00"),
		rating("b4", "bot", metrics.Satisfied, "11:00:00"),
	} {
		require.NoError(t, rec.Rate(r))
	}
	got := rec.Reviews(day0, day0)
	assert.Equal(t, rate(3, 4), got.Shop.Good)
	require.Len(t, got.Rated, 3)
	assert.Equal(t, "li", got.Rated[0].Agent)
	assert.Equal(t, rate(1, 1), got.Rated[0].Good)
	assert.Equal(t, "wang", got.Rated[1].Agent)
	assert.Equal(t, rate(1, 2), got.Rated[1].Good)
	assert.True(t, got.Rated[2].Bot)
	assert.Equal(t, rate(1, 1), got.Rated[2].Good)

	empty := rec.Reviews(day0.AddDays(1), day0.AddDays(30))
	assert.False(t, empty.Shop.Good.Valid())
	assert.Equal(t, "no data", empty.Shop.Good.String())
	_, ok := empty.Shop.Good.Value()
	assert.False(t, ok, "no NaN: Value says there is none")
}

// Rule M4: bad-attitude rate per natural month = bad-attitude normal or
// disappointed / all normal or disappointed; standard 6%; host tiers.
func TestM4_Attitude(t *testing.T) {
	tiers := []metrics.Tier{
		{Name: "minor", Over: 0.06, Consequence: "warning, training, exam"},
		{Name: "serious", Over: 0.10, Consequence: "+ 100-300 yuan"},
		{Name: "very serious", Over: 0.20, Consequence: "+ 500-1000 yuan"},
	}
	// month builds n normal ratings of November by distinct buyers, bad of
	// them for bad attitude, plus sat satisfied ones.
	month := func(n, bad, sat int) []metrics.Rating {
		var out []metrics.Rating
		for i := 0; i < n+sat; i++ {
			l := metrics.Normal
			if i >= n {
				l = metrics.Satisfied
			}
			r := metrics.Rating{Buyer: "b" + string(rune('A'+i%26)) + string(rune('a'+i/26)), Agent: "wang",
				Level: l, Source: metrics.SystemPush, At: at("10:00:00").AddDate(0, 0, i%19)}
			if i < bad {
				r = badAttitude(r)
			}
			out = append(out, r)
		}
		return out
	}
	cases := []struct {
		name    string
		ratings []metrics.Rating
		rate    metrics.Rate
		status  metrics.Compliance
		tier    string
		text    string
	}{
		{name: "no rating at all: no data", rate: rate(0, 0), status: metrics.NoRatings,
			text: "2026-11 bad attitude no data, standard 6.0%: no data"},
		{name: "only satisfied: compliant, rate no data", ratings: month(0, 0, 5), rate: rate(0, 0), status: metrics.Compliant},
		{name: "3 of 50 = 6.0%: at the standard, compliant", ratings: month(50, 3, 10), rate: rate(3, 50), status: metrics.Compliant},
		{name: "4 of 50 = 8%: minor", ratings: month(50, 4, 0), rate: rate(4, 50), status: metrics.NotCompliant, tier: "minor",
			text: "2026-11 bad attitude 8.0% (4/50), standard 6.0%: not compliant (minor: warning, training, exam)"},
		{name: "6 of 50 = 12%: serious", ratings: month(50, 6, 0), rate: rate(6, 50), status: metrics.NotCompliant, tier: "serious"},
		{name: "1 of 4 = 25%: very serious", ratings: month(4, 1, 0), rate: rate(1, 4), status: metrics.NotCompliant, tier: "very serious"},
		{
			name: "disappointed counts too; the last of a buyer's day counts (M1a)",
			ratings: []metrics.Rating{
				badAttitude(rating("b1", "wang", metrics.Disappointed, "09:00:00")),
				rating("b1", "wang", metrics.Normal, "21:00:00"), // replaces the bad-attitude one
				rating("b2", "bot", metrics.Disappointed, "10:00:00"),
				badAttitude(rating("b3", "bot", metrics.Disappointed, "11:00:00")), // the bot counts
			},
			rate: rate(1, 3), status: metrics.NotCompliant, tier: "very serious",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := feed(t, []metrics.Option{metrics.WithTiers(tiers...)})
			for _, r := range c.ratings {
				require.NoError(t, rec.Rate(r))
			}
			// A December rating does not count in November.
			dec := badAttitude(rating("z", "wang", metrics.Normal, "00:00:00"))
			dec.At = time.Date(2026, time.December, 1, 0, 0, 0, 0, cst)
			require.NoError(t, rec.Rate(dec))
			got := rec.Attitude(2026, time.November)
			assert.Equal(t, c.rate, got.Rate)
			assert.Equal(t, c.status, got.Status)
			if c.tier == "" {
				assert.Nil(t, got.Tier)
			} else if assert.NotNil(t, got.Tier) {
				assert.Equal(t, c.tier, got.Tier.Name)
			}
			if c.text != "" {
				assert.Equal(t, c.text, got.String())
			}
		})
	}
}

// Bad input to Rate is a sentinel error, never a panic, and changes
// nothing.
func TestRate_Errors(t *testing.T) {
	ok := rating("b1", "wang", metrics.Satisfied, "09:00:00")
	cases := []struct {
		name string
		edit func(*metrics.Rating)
		want error
	}{
		{"unknown level", func(r *metrics.Rating) { r.Level = 9 }, metrics.ErrUnknownLevel},
		{"zero level", func(r *metrics.Rating) { r.Level = 0 }, metrics.ErrUnknownLevel},
		{"unknown source", func(r *metrics.Rating) { r.Source = 0 }, metrics.ErrUnknownSource},
		{"unknown reason", func(r *metrics.Rating) { r.Reasons = 1 << 7 }, metrics.ErrUnknownReason},
		{"no buyer", func(r *metrics.Rating) { r.Buyer = "" }, metrics.ErrEmptyBuyer},
		{"no agent, not the bot", func(r *metrics.Rating) { r.Agent = "" }, metrics.ErrEmptyAgent},
		{"no time", func(r *metrics.Rating) { r.At = time.Time{} }, metrics.ErrZeroTime},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := feed(t, nil)
			r := ok
			c.edit(&r)
			assert.ErrorIs(t, rec.Rate(r), c.want)
			assert.Equal(t, rate(0, 0), rec.Reviews(day0, day0).Shop.Good, "unchanged")
			assert.Empty(t, rec.Alerts(day0, day0))
		})
	}
}

// Levels, sources and reasons encode as names in JSON and back.
func TestRating_JSON(t *testing.T) {
	r := badAttitude(rating("b1", "wang", metrics.Disappointed, "09:00:00"))
	r.Reasons |= metrics.ReasonOther
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.JSONEq(t, `{"buyer":"b1","agent":"wang","level":"disappointed","reasons":"bad-attitude,other",
		"source":"invitation","at":"2026-11-11T09:00:00+08:00"}`, string(b))
	var back metrics.Rating
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, back.At.Equal(r.At))
	back.At = r.At
	assert.Equal(t, r, back)

	var l metrics.Level
	assert.ErrorIs(t, json.Unmarshal([]byte(`"great"`), &l), metrics.ErrUnknownLevel)
	_, err = json.Marshal(metrics.Rating{Level: 7, Source: metrics.Invitation})
	assert.True(t, errors.Is(err, metrics.ErrUnknownLevel))
	assert.Equal(t, "失望", metrics.Disappointed.TextZH())
}

// Rule M4's natural month is the shop's: 23:30 on 30 November (CST) is
// November, 00:30 on 1 December (CST) is December, though both are 30
// November in UTC.
func TestM4_MonthInShopTimeZone(t *testing.T) {
	rec := feed(t, nil)
	nov := badAttitude(rating("b1", "wang", metrics.Normal, "00:00:00"))
	nov.At = time.Date(2026, time.November, 30, 23, 30, 0, 0, cst)
	dec := rating("b1", "wang", metrics.Normal, "00:00:00")
	dec.At = time.Date(2026, time.December, 1, 0, 30, 0, 0, cst)
	require.NoError(t, rec.Rate(nov))
	require.NoError(t, rec.Rate(dec))
	assert.Equal(t, rate(1, 1), rec.Attitude(2026, time.November).Rate)
	assert.Equal(t, rate(0, 1), rec.Attitude(2026, time.December).Rate)
	assert.Equal(t, rate(0, 0), rec.Attitude(2026, time.October).Rate)
	assert.Equal(t, time.January, rec.Attitude(2026, 13).Month, "month 13 is January of the next year")
}
