package metrics

import (
	"fmt"
	"time"
)

// DefaultWindow is the reply window of the 3-minute reply rates (M2, M3):
// 180 s.
const DefaultWindow = 180 * time.Second

// DefaultAttitudeStandard is Kuaishou's bad-attitude standard (M4, 002:
// 不得高于6%): at most 6% of normal-or-disappointed ratings.
const DefaultAttitudeStandard = 0.06

// Option configures a [Recorder]. Options are applied in order; an invalid
// one makes [New] return its error.
type Option interface{ apply(*config) error }

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

type config struct {
	window    time.Duration
	hours     Hours
	slowFirst time.Duration
	slowAny   time.Duration
	standard  float64
	tiers     []Tier
}

func defaults() config {
	return config{window: DefaultWindow, hours: AllHours, standard: DefaultAttitudeStandard}
}

// WithWindow sets the reply window of the 3-minute reply rates (M2, M3);
// the default is [DefaultWindow]. A reply exactly d after the clock
// started is within. d must be positive ([ErrInvalidWindow]).
func WithWindow(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: window %v", ErrInvalidWindow, d)
		}
		c.window = d
		return nil
	})
}

// WithCountedHours limits the reply rates and response times (M2, M3, M5,
// M8) to samples whose clock starts in the given local hours of the shop,
// e.g. HoursBetween(8, 23) for a platform that counts 08:00–23:00. Other
// samples are not counted at all (neither in time nor late). The default
// is [AllHours]; an empty set is [ErrInvalidHours].
func WithCountedHours(h Hours) Option {
	return optionFunc(func(c *config) error {
		h &= AllHours
		if h == 0 {
			return fmt.Errorf("%w: empty set", ErrInvalidHours)
		}
		c.hours = h
		return nil
	})
}

// WithSlowReply sets the thresholds of the alert list (M7): a session
// whose buyer waited longer than first for the first human reply, or
// longer than any for a later one, is listed. Both default to the reply
// window. Each must be positive ([ErrInvalidWindow]).
func WithSlowReply(first, any time.Duration) Option {
	return optionFunc(func(c *config) error {
		if first <= 0 || any <= 0 {
			return fmt.Errorf("%w: slow-reply thresholds %v, %v", ErrInvalidWindow, first, any)
		}
		c.slowFirst, c.slowAny = first, any
		return nil
	})
}

// WithAttitudeStandard sets the highest compliant bad-attitude rate (M4) as
// a fraction; the default is [DefaultAttitudeStandard] (6%). It must be in
// [0, 1) ([ErrInvalidStandard]).
func WithAttitudeStandard(max float64) Option {
	return optionFunc(func(c *config) error {
		if !(max >= 0 && max < 1) {
			return fmt.Errorf("%w: %v", ErrInvalidStandard, max)
		}
		c.standard = max
		return nil
	})
}

// Tier is one consequence tier of a non-compliant month (M4), supplied by
// the host: the platform publishes the consequences (minor: warning,
// training and exam; serious: and 100–300 yuan; very serious: and
// 500–1000 yuan) but not the thresholds.
type Tier struct {
	// Name names the tier, e.g. "minor" (情节轻微).
	Name string `json:"name"`
	// Over: a month whose rate is above Over is in this tier or a higher
	// one. Tiers are given in strictly ascending Over, each at least the
	// standard.
	Over float64 `json:"over"`
	// Consequence is the host's text for it, e.g. "warning, training, exam".
	Consequence string `json:"consequence,omitempty"`
}

// WithTiers sets the consequence tiers of a non-compliant month (M4), in
// ascending order of Over; a month above the standard but not above the
// first tier's Over is non-compliant with no tier. Tiers are checked
// against the standard after all options are applied
// ([ErrInvalidTier]). The default is no tier.
func WithTiers(tiers ...Tier) Option {
	return optionFunc(func(c *config) error {
		c.tiers = append([]Tier(nil), tiers...)
		return nil
	})
}

func (c *config) check() error {
	for i, t := range c.tiers {
		switch {
		case t.Name == "":
			return fmt.Errorf("%w: tier %d has no name", ErrInvalidTier, i)
		case !(t.Over >= c.standard && t.Over < 1):
			return fmt.Errorf("%w: tier %q over %v, outside [standard %v, 1)", ErrInvalidTier, t.Name, t.Over, c.standard)
		case i > 0 && !(t.Over > c.tiers[i-1].Over):
			return fmt.Errorf("%w: tier %q over %v not above %q's %v", ErrInvalidTier, t.Name, t.Over, c.tiers[i-1].Name, c.tiers[i-1].Over)
		}
	}
	if c.slowFirst == 0 {
		c.slowFirst = c.window
	}
	if c.slowAny == 0 {
		c.slowAny = c.window
	}
	return nil
}
