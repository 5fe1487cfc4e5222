package metrics

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// NoData is how a [Rate] or a [Mean] with nothing to count renders: a
// month with no rating, an hour with no reply, is "no data", never 0% or
// NaN.
const NoData = "no data"

// Rate is a ratio kept as its two counts, so that rates of days, hours and
// agents add up exactly and an empty one is told apart from 0%. The zero
// value is an empty rate ("no data").
type Rate struct {
	// Num counts the samples that met the criterion (replied within the
	// window, satisfied, bad attitude).
	Num int `json:"num"`
	// Den counts all samples.
	Den int `json:"den"`
}

// Valid reports whether the rate has data (Den > 0).
func (r Rate) Valid() bool { return r.Den > 0 }

// Value returns Num/Den in [0, 1]; ok is false when there is no data.
func (r Rate) Value() (v float64, ok bool) {
	if r.Den <= 0 {
		return 0, false
	}
	return float64(r.Num) / float64(r.Den), true
}

// Add returns the rate of both samples together.
func (r Rate) Add(o Rate) Rate { return Rate{Num: r.Num + o.Num, Den: r.Den + o.Den} }

// String renders "95.0% (19/20)", or "no data".
func (r Rate) String() string {
	v, ok := r.Value()
	if !ok {
		return NoData
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*v, r.Num, r.Den)
}

// Percent renders the rate as "95.0%", or "no data"; for tables.
func (r Rate) Percent() string {
	v, ok := r.Value()
	if !ok {
		return NoData
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

// MarshalJSON encodes {"num":19,"den":20,"value":0.95}; value is null when
// there is no data.
func (r Rate) MarshalJSON() ([]byte, error) {
	type plain struct {
		Num   int      `json:"num"`
		Den   int      `json:"den"`
		Value *float64 `json:"value"`
	}
	p := plain{Num: r.Num, Den: r.Den}
	if v, ok := r.Value(); ok {
		p.Value = &v
	}
	return json.Marshal(p)
}

// hit adds one sample, counted in Num when ok.
func (r *Rate) hit(ok bool) {
	r.Den++
	if ok {
		r.Num++
	}
}

// Mean is an average duration kept as its sum and count, so that means of
// hours, days and agents combine exactly. The zero value has no data.
type Mean struct {
	// Total is the sum of the samples.
	Total time.Duration `json:"total_ns"`
	// Count is the number of samples.
	Count int `json:"count"`
}

// Valid reports whether the mean has data (Count > 0).
func (m Mean) Valid() bool { return m.Count > 0 }

// Value returns Total/Count; ok is false when there is no data.
func (m Mean) Value() (d time.Duration, ok bool) {
	if m.Count <= 0 {
		return 0, false
	}
	return m.Total / time.Duration(m.Count), true
}

// Add returns the mean of both samples together.
func (m Mean) Add(o Mean) Mean { return Mean{Total: m.Total + o.Total, Count: m.Count + o.Count} }

// String renders the mean rounded to the second, e.g. "1m5s", or "no data".
func (m Mean) String() string {
	d, ok := m.Value()
	if !ok {
		return NoData
	}
	return d.Round(time.Second).String()
}

// MarshalJSON encodes {"total_ns":…,"count":3,"seconds":65}; seconds is
// null when there is no data.
func (m Mean) MarshalJSON() ([]byte, error) {
	type plain struct {
		Total   time.Duration `json:"total_ns"`
		Count   int           `json:"count"`
		Seconds *float64      `json:"seconds"`
	}
	p := plain{Total: m.Total, Count: m.Count}
	if d, ok := m.Value(); ok {
		s := d.Seconds()
		p.Seconds = &s
	}
	return json.Marshal(p)
}

func (m *Mean) add(d time.Duration) {
	m.Total += d
	m.Count++
}

// Hours is a set of local clock hours (0–23) of the shop's day: the hours
// a platform counts for reply rates and response times. Bit h stands for
// the hour h:00–h:59. The zero value is the empty set, which [New]
// rejects; [AllHours] counts every hour.
type Hours uint32

// AllHours counts all 24 hours (the default).
const AllHours Hours = 1<<24 - 1

// HoursBetween returns the hours from from:00 up to, not including,
// to:00, wrapping past midnight when to < from: HoursBetween(8, 23) is
// 08:00–22:59, a platform that counts 08:00–23:00; HoursBetween(22, 2) is
// 22:00–01:59. from == to is every hour. Hours outside 0–24 return an
// error wrapping [ErrInvalidHours].
func HoursBetween(from, to int) (Hours, error) {
	if from < 0 || from > 23 || to < 0 || to > 24 {
		return 0, fmt.Errorf("%w: %d–%d", ErrInvalidHours, from, to)
	}
	to %= 24
	if from == to {
		return AllHours, nil
	}
	var h Hours
	for i := from; i != to; i = (i + 1) % 24 {
		h |= 1 << i
	}
	return h, nil
}

// Has reports whether hour (0–23) is in the set.
func (h Hours) Has(hour int) bool { return hour >= 0 && hour < 24 && h&(1<<hour) != 0 }

// String renders the set as ranges, e.g. "08-23" for 08:00–22:59,
// "all" for every hour and "none" for the empty set.
func (h Hours) String() string {
	h &= AllHours
	switch h {
	case AllHours:
		return "all"
	case 0:
		return "none"
	}
	var parts []string
	for i := 0; i < 24; {
		if !h.Has(i) {
			i++
			continue
		}
		j := i
		for j < 24 && h.Has(j) {
			j++
		}
		parts = append(parts, fmt.Sprintf("%02d-%02d", i, j))
		i = j
	}
	return strings.Join(parts, ",")
}

// MarshalText encodes the set as String does (also in JSON).
func (h Hours) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses what MarshalText produces: "all", "none" or
// ranges "08-23,22-24".
func (h *Hours) UnmarshalText(b []byte) error {
	switch s := string(b); s {
	case "all":
		*h = AllHours
		return nil
	case "none":
		*h = 0
		return nil
	}
	var out Hours
	for _, part := range strings.Split(string(b), ",") {
		var from, to int
		if _, err := fmt.Sscanf(part, "%d-%d", &from, &to); err != nil || from >= to {
			return fmt.Errorf("%w: %q", ErrInvalidHours, part)
		}
		x, err := HoursBetween(from, to)
		if err != nil {
			return err
		}
		out |= x
	}
	*h = out
	return nil
}

// Date is a calendar day in the shop's time zone: the unit of the day
// buckets (M1a's "in a day", M5's hourly report, M6's "today").
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the day t falls on in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// Start returns the instant the day begins in loc.
func (d Date) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns the date n days later (earlier for n < 0).
func (d Date) AddDays(n int) Date {
	y, m, dd := time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC).Date()
	return Date{y, m, dd}
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool {
	if d.Year != o.Year {
		return d.Year < o.Year
	}
	if d.Month != o.Month {
		return d.Month < o.Month
	}
	return d.Day < o.Day
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String renders "2006-01-02".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// MarshalText encodes the date as "2006-01-02" (also in JSON).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses "2006-01-02".
func (d *Date) UnmarshalText(b []byte) error {
	t, err := time.Parse(time.DateOnly, string(b))
	if err != nil {
		return fmt.Errorf("metrics: date %s: %w", strconv.Quote(string(b)), err)
	}
	*d = Date{t.Year(), t.Month(), t.Day()}
	return nil
}

// within reports whether d is in [from, to].
func (d Date) within(from, to Date) bool { return !d.Before(from) && !to.Before(d) }
