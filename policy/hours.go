package policy

import (
	"errors"
	"fmt"
	"time"
)

// MaxOverrides is how many dated overrides a shop's business hours may
// have (E11; Amazon Connect allows 50 per hours of operation).
const MaxOverrides = 50

// ErrTooManyOverrides is the reason of the FieldError for a 51st dated
// override (E11).
var ErrTooManyOverrides = errors.New("more than 50 dated overrides")

// DateLayout is the layout of DayHours.Date: a civil date, "2026-10-01".
const DateLayout = "2006-01-02"

// Hours are a shop's business hours (E11): when it is open, by weekday in
// its time zone (Policy.Location), with dated overrides for holidays and
// special days, and what new sessions do while it is closed.
//
// Times of day are wall-clock times in the shop's zone, as for bot
// windows (B2): a span 09:00-18:00 opens at 09:00 local on every day,
// the days daylight saving time begins or ends included. On the day
// clocks go forward, a time of day that does not exist (02:30 in New
// York on 2026-03-08) is never reached; on the day they go back, one
// that happens twice is open (or closed) both times.
//
// A non-nil Hours with no spans at all is a shop that is always closed
// but on the dates an override opens.
type Hours struct {
	// Week are the opening spans of each weekday, indexed by
	// time.Weekday (Week[time.Monday]). A day without spans is closed
	// all day.
	Week [7][]Span
	// Overrides replace the weekday's spans on the dates they name, in
	// any order, one per date, at most MaxOverrides: a holiday (no spans:
	// closed all day) or special hours.
	Overrides []DayHours
	// Outside is what new sessions do outside the opening spans: the
	// offline path (the zero value) or the bot.
	Outside OutsideHours
}

// Span is an opening span of one day: from Start, included, to End,
// excluded, both offsets from local midnight in wall-clock time; 0 <=
// Start < End <= 24h, so a shop open across midnight writes two spans
// (Friday 20:00-24:00, Saturday 00:00-02:00). A day's spans must not
// overlap; they may touch, and may come in any order.
type Span struct {
	Start, End time.Duration
}

// DayHours are the opening spans of one date, overriding its weekday's
// (E11).
type DayHours struct {
	// Date is the civil date in the shop's time zone, as DateLayout
	// writes it: "2026-10-01".
	Date string
	// Spans are the date's opening spans, as for a weekday; none: closed
	// all day.
	Spans []Span
}

// OutsideHours is what a new session does when it arrives outside the
// shop's business hours (E11).
type OutsideHours uint8

const (
	// OutsideOffline: the offline path (O1): the session waits in the
	// offline pool, where an agent with room takes it as an offline
	// message (O2), or it expires (O3). The zero value.
	OutsideOffline OutsideHours = iota
	// OutsideToBot: the bot takes it (B1).
	OutsideToBot
)

// outsideNames are the OutsideHours' text names, indexed by value.
var outsideNames = [...]string{OutsideOffline: "offline", OutsideToBot: "bot"}

// String returns "offline", "bot", or "OutsideHours(n)" for an unknown
// value.
func (o OutsideHours) String() string {
	if int(o) < len(outsideNames) {
		return outsideNames[o]
	}
	return fmt.Sprintf("OutsideHours(%d)", uint8(o))
}

// MarshalText implements encoding.TextMarshaler: "offline" or "bot". An
// unknown value is an error wrapping ErrInvalid.
func (o OutsideHours) MarshalText() ([]byte, error) {
	return marshalName(outsideNames[:], o, "outside hours")
}

// UnmarshalText implements encoding.TextUnmarshaler: it accepts exactly
// the names MarshalText writes. Other text is an error wrapping
// ErrInvalid and leaves o unchanged.
func (o *OutsideHours) UnmarshalText(text []byte) error {
	return unmarshalName(outsideNames[:], o, text, "outside hours")
}

// Open reports whether t is within the shop's business hours (E11): its
// date's override in the shop's time zone (Location, UTC when nil) if it
// has one, else its weekday's spans, read at t's wall-clock time of day
// there. Always true without Hours. The policy must be valid.
//
// Cost: O(spans of the day + overrides), without allocating.
func (p Policy) Open(t time.Time) bool {
	if p.Hours == nil {
		return true
	}
	loc := p.Location
	if loc == nil { // WithDefaults' UTC, without copying the policy
		loc = time.UTC
	}
	return p.Hours.open(t.In(loc))
}

// open reports whether local, a time in the shop's zone, is in h.
func (h *Hours) open(local time.Time) bool {
	spans := h.Week[local.Weekday()]
	if len(h.Overrides) > 0 {
		y, m, d := local.Date()
		key := y*10000 + int(m)*100 + d
		for _, o := range h.Overrides {
			if dateKey(o.Date) == key {
				spans = o.Spans
				break
			}
		}
	}
	// Wall-clock time of day, not time elapsed since midnight: on a
	// daylight-saving day they differ by an hour (as in BotShare).
	hh, mm, ss := local.Clock()
	since := time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second +
		time.Duration(local.Nanosecond())
	for _, s := range spans {
		if since >= s.Start && since < s.End {
			return true
		}
	}
	return false
}

// dateKey returns yyyymmdd of a date Validate accepted ("2026-10-01":
// 20261001), without allocating; -1 for text of another shape.
func dateKey(s string) int {
	if len(s) != len(DateLayout) || s[4] != '-' || s[7] != '-' {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if i == 4 || i == 7 {
			continue
		}
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// validateHours checks Hours (E11).
func (p Policy) validateHours() error {
	h := p.Hours
	if h == nil {
		return nil
	}
	for d, spans := range h.Week {
		if err := validateSpans(spans, fmt.Sprintf("Hours.Week[%d]", d)); err != nil {
			return err
		}
	}
	if len(h.Overrides) > MaxOverrides {
		return &FieldError{Field: "Hours.Overrides", Err: fmt.Errorf("%w: %d", ErrTooManyOverrides, len(h.Overrides))}
	}
	for i, o := range h.Overrides {
		f := fmt.Sprintf("Hours.Overrides[%d]", i)
		if d, err := time.Parse(DateLayout, o.Date); err != nil || d.Format(DateLayout) != o.Date {
			return &FieldError{Field: f + ".Date", Err: fmt.Errorf("%q is not a date written as %s", o.Date, DateLayout)}
		}
		for j, q := range h.Overrides[:i] {
			if q.Date == o.Date {
				return &FieldError{Field: f + ".Date", Err: fmt.Errorf("duplicate date %s (Hours.Overrides[%d])", o.Date, j)}
			}
		}
		if err := validateSpans(o.Spans, f+".Spans"); err != nil {
			return err
		}
	}
	if h.Outside > OutsideToBot {
		return &FieldError{Field: "Hours.Outside", Err: fmt.Errorf("unknown value %d", uint8(h.Outside))}
	}
	return nil
}

// validateSpans checks one day's spans; field names the list
// ("Hours.Week[1]"), and an error names the span ("Hours.Week[1][0]").
func validateSpans(spans []Span, field string) error {
	for i, s := range spans {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case s.Start < 0 || s.End > 24*time.Hour:
			return &FieldError{Field: f, Err: fmt.Errorf("span %v-%v outside the day", s.Start, s.End)}
		case s.Start >= s.End:
			return &FieldError{Field: f, Err: fmt.Errorf("inverted or empty span %v-%v: start must be before end (split a span across midnight in two)", s.Start, s.End)}
		}
		for j, v := range spans[:i] {
			if s.Start < v.End && v.Start < s.End {
				return &FieldError{Field: f, Err: fmt.Errorf("span %v-%v overlaps %s[%d] %v-%v", s.Start, s.End, field, j, v.Start, v.End)}
			}
		}
	}
	return nil
}
