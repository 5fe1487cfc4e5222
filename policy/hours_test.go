package policy_test

import (
	"encoding"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/policy"
)

var (
	_ encoding.TextMarshaler   = policy.OutsideHours(0)
	_ encoding.TextUnmarshaler = (*policy.OutsideHours)(nil)
)

// nineToSix is open 09:00-18:00 Monday to Friday.
func nineToSix() *policy.Hours {
	h := &policy.Hours{}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Week[d] = []policy.Span{{Start: 9 * time.Hour, End: 18 * time.Hour}}
	}
	return h
}

// overrides returns n overrides on n consecutive dates from 2026-01-01.
func overrides(n int) []policy.DayHours {
	out := make([]policy.DayHours, n)
	for i := range out {
		out[i].Date = time.Date(2026, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(policy.DateLayout)
	}
	return out
}

// E11: every field of Hours is validated, and an error names it.
func TestE11_ValidateHours(t *testing.T) {
	const h = time.Hour
	week := func(d time.Weekday, spans ...policy.Span) *policy.Hours {
		x := &policy.Hours{}
		x.Week[d] = spans
		return x
	}
	day := func(date string, spans ...policy.Span) *policy.Hours {
		return &policy.Hours{Overrides: []policy.DayHours{{Date: date, Spans: spans}}}
	}
	cases := []struct {
		name  string
		hours *policy.Hours
		field string
		is    error
	}{
		{"inverted span", week(time.Monday, policy.Span{Start: 18 * h, End: 9 * h}), "Hours.Week[1][0]", nil},
		{"empty span", week(time.Monday, policy.Span{Start: 9 * h, End: 9 * h}), "Hours.Week[1][0]", nil},
		{"past midnight", week(time.Friday, policy.Span{Start: 20 * h, End: 26 * h}), "Hours.Week[5][0]", nil},
		{"a nanosecond past midnight", week(time.Friday, policy.Span{Start: 20 * h, End: 24*h + 1}), "Hours.Week[5][0]", nil},
		{"negative start", week(time.Sunday, policy.Span{Start: -h, End: h}), "Hours.Week[0][0]", nil},
		{"overlapping spans", week(time.Tuesday, policy.Span{Start: 9 * h, End: 12 * h}, policy.Span{Start: 11 * h, End: 18 * h}),
			"Hours.Week[2][1]", nil},
		{"overlapping spans out of order", week(time.Tuesday, policy.Span{Start: 13 * h, End: 18 * h}, policy.Span{Start: 9 * h, End: 14 * h}),
			"Hours.Week[2][1]", nil},
		{"a span inside another", week(time.Saturday, policy.Span{Start: 9 * h, End: 18 * h}, policy.Span{Start: 10 * h, End: 11 * h}),
			"Hours.Week[6][1]", nil},
		{"51 overrides", &policy.Hours{Overrides: overrides(51)}, "Hours.Overrides", policy.ErrTooManyOverrides},
		{"duplicate dates", &policy.Hours{Overrides: []policy.DayHours{{Date: "2026-10-01"}, {Date: "2026-12-25"}, {Date: "2026-10-01"}}},
			"Hours.Overrides[2].Date", nil},
		{"empty date", day(""), "Hours.Overrides[0].Date", nil},
		{"date in another layout", day("2026/10/01"), "Hours.Overrides[0].Date", nil},
		{"date without zero padding", day("2026-1-5"), "Hours.Overrides[0].Date", nil},
		{"date with a time", day("2026-10-01T00:00:00Z"), "Hours.Overrides[0].Date", nil},
		{"no such day", day("2026-02-29"), "Hours.Overrides[0].Date", nil},
		{"month 13", day("2026-13-01"), "Hours.Overrides[0].Date", nil},
		{"date text", day("tomorrow"), "Hours.Overrides[0].Date", nil},
		{"inverted override span", day("2026-12-24", policy.Span{Start: 12 * h, End: 9 * h}), "Hours.Overrides[0].Spans[0]", nil},
		{"overlapping override spans", day("2026-12-24", policy.Span{Start: 9 * h, End: 12 * h}, policy.Span{Start: 9 * h, End: 10 * h}),
			"Hours.Overrides[0].Spans[1]", nil},
		{"unknown outside", &policy.Hours{Outside: 7}, "Hours.Outside", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := policy.Policy{Hours: c.hours}.Validate()
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

	ok := []*policy.Hours{
		{},          // always closed
		nineToSix(), // the working week
		week(time.Friday, policy.Span{Start: 20 * h, End: 24 * h}, policy.Span{Start: 0, End: 2 * h}),      // any order
		week(time.Friday, policy.Span{Start: 9 * h, End: 12 * h}, policy.Span{Start: 12 * h, End: 18 * h}), // touching
		week(time.Sunday, policy.Span{Start: 0, End: 24 * h}),                                              // all day
		{Overrides: overrides(policy.MaxOverrides)},                                                        // 50
		day("2028-02-29", policy.Span{Start: 10 * h, End: 12 * h}),                                         // a leap day
		{Outside: policy.OutsideToBot},
	}
	for i, x := range ok {
		assert.NoError(t, policy.Policy{Hours: x}.Validate(), "valid hours #%d", i)
	}
}

// E11: Open reads the wall-clock time of day in the shop's zone: opening
// time included, closing time excluded, the nanosecond before opening
// closed.
func TestE11_Open(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	p := policy.Policy{Location: shanghai, Hours: nineToSix()}
	at := func(d, h, m, s, ns int) time.Time { return time.Date(2026, 11, d, h, m, s, ns, shanghai) } // 11-11: Wednesday
	for _, c := range []struct {
		t    time.Time
		open bool
	}{
		{at(11, 8, 59, 59, 0), false},
		{at(11, 8, 59, 59, 999999999), false},
		{at(11, 9, 0, 0, 0), true},
		{at(11, 17, 59, 59, 999999999), true},
		{at(11, 18, 0, 0, 0), false},
		{at(11, 0, 0, 0, 0), false},
		{at(14, 10, 0, 0, 0), false}, // Saturday
		{at(15, 10, 0, 0, 0), false}, // Sunday
		{at(16, 10, 0, 0, 0), true},  // Monday
	} {
		assert.Equal(t, c.open, p.Open(c.t), "%v", c.t)
		assert.Equal(t, c.open, p.Open(c.t.UTC()), "%v, given in UTC", c.t)
	}
	assert.True(t, policy.Policy{}.Open(at(11, 3, 0, 0, 0)), "no Hours: always open")
	assert.False(t, policy.Policy{Hours: &policy.Hours{}}.Open(at(11, 10, 0, 0, 0)), "no spans: always closed")

	utc := policy.Policy{Hours: nineToSix()} // a nil Location is UTC
	assert.False(t, utc.Open(at(11, 10, 0, 0, 0)), "10:00 in Shanghai is 02:00 UTC")
	assert.True(t, utc.Open(time.Date(2026, 11, 11, 10, 0, 0, 0, time.UTC)))
}

// E11: a dated override replaces its weekday's hours on that date, in the
// shop's zone: a holiday closes, a special day opens, and the days
// around them keep their weekday's hours.
func TestE11_OpenOverrides(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	h := nineToSix()
	h.Overrides = []policy.DayHours{
		{Date: "2026-11-14", Spans: []policy.Span{{Start: 10 * time.Hour, End: 12 * time.Hour}}}, // a Saturday sale
		{Date: "2026-10-01"}, // National Day, a Thursday: closed
	}
	p := policy.Policy{Location: shanghai, Hours: h}
	at := func(mo time.Month, d, hh int) time.Time { return time.Date(2026, mo, d, hh, 0, 0, 0, shanghai) }
	assert.False(t, p.Open(at(10, 1, 10)), "the holiday")
	assert.True(t, p.Open(at(9, 30, 10)), "the day before")
	assert.True(t, p.Open(at(10, 2, 10)), "the day after")
	assert.True(t, p.Open(at(11, 14, 10)), "the special Saturday")
	assert.False(t, p.Open(at(11, 14, 9)), "before its hours")
	assert.False(t, p.Open(at(11, 14, 12)), "at its close")
	assert.False(t, p.Open(at(11, 21, 10)), "the next Saturday")
	// The date is the shop's: 2026-10-01 10:00 in Shanghai is 02:00 UTC
	// the same day, and 2026-09-30 20:00 UTC is already October 1st there.
	assert.False(t, p.Open(time.Date(2026, 9, 30, 17, 0, 0, 0, time.UTC)), "01:00 on the holiday in Shanghai")
}

// E11 across daylight saving time: opening hours are wall-clock times on
// the days clocks change too, so 09:00 local is 13:00 UTC before the
// March change in New York and 13:00 after it, 14:00 UTC in winter.
func TestE11_OpenDaylightSaving(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	h := &policy.Hours{}
	for d := range h.Week {
		h.Week[d] = []policy.Span{{Start: 9 * time.Hour, End: 18 * time.Hour}}
	}
	p := policy.Policy{Location: ny, Hours: h}
	for _, c := range []struct {
		name string
		open time.Time // 09:00 local, in UTC
	}{
		{"the day before clocks go forward (EST)", time.Date(2026, 3, 7, 14, 0, 0, 0, time.UTC)},
		{"the day clocks go forward (EDT from 02:00)", time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC)},
		{"the day after (EDT)", time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC)},
		{"the day clocks go back (EST from 02:00)", time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC)},
		{"the day before that (EDT)", time.Date(2026, 10, 31, 13, 0, 0, 0, time.UTC)},
	} {
		assert.False(t, p.Open(c.open.Add(-time.Nanosecond)), "%s: 1 ns before 09:00", c.name)
		assert.True(t, p.Open(c.open), "%s: 09:00 is %v", c.name, c.open)
		assert.Equal(t, 9, c.open.In(ny).Hour(), c.name)
		// 18:00 local is nine wall-clock hours later, whatever the offset
		closing := time.Date(c.open.In(ny).Year(), c.open.In(ny).Month(), c.open.In(ny).Day(), 18, 0, 0, 0, ny)
		assert.True(t, p.Open(closing.Add(-time.Nanosecond)), "%s: just before 18:00", c.name)
		assert.False(t, p.Open(closing), "%s: 18:00", c.name)
	}
	// A span in the hour that does not exist on March 8 is never open;
	// one in the hour that happens twice on November 1 is open both times.
	night := &policy.Hours{}
	night.Week[time.Sunday] = []policy.Span{{Start: 2 * time.Hour, End: 2*time.Hour + 30*time.Minute}}
	night.Week[time.Sunday] = append(night.Week[time.Sunday], policy.Span{Start: time.Hour, End: time.Hour + 30*time.Minute})
	q := policy.Policy{Location: ny, Hours: night}
	for m := range 24 * 60 {
		at := time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC).Add(time.Duration(m) * time.Minute) // 00:00 EST onwards
		local := at.In(ny)
		want := (local.Hour() == 1 || local.Hour() == 2) && local.Minute() < 30
		assert.Equal(t, want, q.Open(at), "%v", local)
		if local.Hour() == 2 {
			t.Fatalf("02:%02d exists on 2026-03-08 in New York", local.Minute())
		}
	}
	first := time.Date(2026, 11, 1, 5, 15, 0, 0, time.UTC) // 01:15 EDT
	second := first.Add(time.Hour)                         // 01:15 EST
	assert.Equal(t, first.In(ny).Format("15:04"), second.In(ny).Format("15:04"))
	assert.True(t, q.Open(first))
	assert.True(t, q.Open(second))
}

// E11 in JSON: each shape comes back as it was; the zero Outside and
// closed days are omitted; no Hours and always-closed Hours differ.
func TestJSON_Hours(t *testing.T) {
	for _, c := range []struct {
		name  string
		hours *policy.Hours
		want  string
	}{
		{"nil", nil, `{}`},
		{"always closed", &policy.Hours{}, `{"hours":{}}`},
		{"to the bot", &policy.Hours{Outside: policy.OutsideToBot}, `{"hours":{"outside":"bot"}}`},
		{"weekdays", nineToSix(), `{"hours":{"week":{` +
			`"monday":[{"start":"9h0m0s","end":"18h0m0s"}],"tuesday":[{"start":"9h0m0s","end":"18h0m0s"}],` +
			`"wednesday":[{"start":"9h0m0s","end":"18h0m0s"}],"thursday":[{"start":"9h0m0s","end":"18h0m0s"}],` +
			`"friday":[{"start":"9h0m0s","end":"18h0m0s"}]}}}`},
		{"a holiday", &policy.Hours{Overrides: []policy.DayHours{{Date: "2026-10-01"}}}, `{"hours":{"overrides":[{"date":"2026-10-01"}]}}`},
		{"fifty overrides", &policy.Hours{Overrides: overrides(policy.MaxOverrides)}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := policy.Policy{Hours: c.hours}
			b, err := p.MarshalJSON()
			require.NoError(t, err)
			if c.want != "" {
				assert.Equal(t, c.want, string(b))
			}
			var back policy.Policy
			require.NoError(t, back.UnmarshalJSON(b))
			assert.Equal(t, p, back)
			assert.True(t, p.Equal(back))
		})
	}
	assert.False(t, policy.Policy{}.Equal(policy.Policy{Hours: &policy.Hours{}}), "always open is not always closed")

	// [] and null and absent alike; non-canonical input is normalised.
	var p policy.Policy
	require.NoError(t, p.UnmarshalJSON([]byte(`{"hours":{"week":{"monday":[],"friday":[{"start":"9h","end":"18h"}]},`+
		`"overrides":[{"date":"2026-10-01","spans":[]}],"outside":"offline"}}`)))
	want := &policy.Hours{Overrides: []policy.DayHours{{Date: "2026-10-01"}}}
	want.Week[time.Friday] = []policy.Span{{Start: 9 * time.Hour, End: 18 * time.Hour}}
	assert.Equal(t, want, p.Hours)
	b, err := p.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"hours":{"week":{"friday":[{"start":"9h0m0s","end":"18h0m0s"}]},"overrides":[{"date":"2026-10-01"}]}}`, string(b))
}

// E11 in JSON: bad input names the field and leaves the policy as it was.
func TestJSON_HoursBadInput(t *testing.T) {
	var many []string
	for _, o := range overrides(51) {
		many = append(many, fmt.Sprintf(`{"date":%q}`, o.Date))
	}
	for _, c := range []struct{ in, field string }{
		{`{"hours":{"week":{"monday":[{"start":"18h","end":"9h"}]}}}`, "Hours.Week[1][0]"},
		{`{"hours":{"week":{"friday":[{"start":"20h","end":"25h"}]}}}`, "Hours.Week[5][0]"},
		{`{"hours":{"week":{"friday":[{"start":"nine","end":"18h"}]}}}`, "Hours.Week[5][0].Start"},
		{`{"hours":{"overrides":[{"date":"2026-10-01"},{"date":"2026-10-01"}]}}`, "Hours.Overrides[1].Date"},
		{`{"hours":{"overrides":[{"date":"01/10/2026"}]}}`, "Hours.Overrides[0].Date"},
		{`{"hours":{"overrides":[{"date":"2026-10-01","spans":[{"end":"1x"}]}]}}`, "Hours.Overrides[0].Spans[0].End"},
		{`{"hours":{"overrides":[` + strings.Join(many, ",") + `]}}`, "Hours.Overrides"},
		{`{"hours":{"outside":"pool"}}`, "Hours.Outside"},
		{`{"hours":{"week":{"mon":[]}}}`, ""}, // unknown key
		{`{"hours":{"week":[[],[]]}}`, ""},    // not the encoding
		{`{"hours":{"holidays":[]}}`, ""},     // unknown key
		{`{"hours":{"week":{"monday":[{"start":"9h","end":"18h","share":1}]}}}`, ""},
	} {
		p := fullPolicy()
		err := p.UnmarshalJSON([]byte(c.in))
		require.Error(t, err, c.in)
		assert.ErrorIs(t, err, policy.ErrInvalid, c.in)
		if c.field != "" {
			var fe *policy.FieldError
			require.ErrorAs(t, err, &fe, c.in)
			assert.Equal(t, c.field, fe.Field, c.in)
		}
		assert.Equal(t, fullPolicy(), p, "unchanged on error: %s", c.in)
	}
}

// OutsideHours' names, both ways.
func TestE11_OutsideHoursText(t *testing.T) {
	for v, name := range map[policy.OutsideHours]string{policy.OutsideOffline: "offline", policy.OutsideToBot: "bot"} {
		b, err := v.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, name, string(b))
		assert.Equal(t, name, v.String())
		back := policy.OutsideHours(9)
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, v, back)
	}
	_, err := policy.OutsideHours(2).MarshalText()
	assert.ErrorIs(t, err, policy.ErrInvalid)
	assert.Equal(t, "OutsideHours(2)", policy.OutsideHours(2).String())
	v := policy.OutsideToBot
	assert.ErrorIs(t, v.UnmarshalText([]byte("pool")), policy.ErrInvalid)
	assert.Equal(t, policy.OutsideToBot, v, "unchanged")
}
