package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics/queueing"
	"github.com/kefu-dev/kefu/policy"
)

// ErrInvalidConfig is wrapped by every error [Run] and [SuggestStaffing]
// return for a Config they cannot simulate; the message names the field.
var ErrInvalidConfig = errors.New("sim: invalid config")

// DefaultAnswerWithin is the service-level threshold when
// Config.AnswerWithin is 0: the platforms' 3 minutes (rule M3).
const DefaultAnswerWithin = 180 * time.Second

// Dist is a distribution of durations: service times, patience. Sample
// draws one value from r (a negative draw counts as 0); Mean is the
// distribution's mean, which [SuggestStaffing] and the Erlang formulas
// read.
type Dist interface {
	Sample(r *rand.Rand) time.Duration
	Mean() time.Duration
}

// Exponential returns the exponential distribution with the given mean:
// memoryless, the assumption of Erlang C and Erlang A.
func Exponential(mean time.Duration) Dist { return exponential{float64(mean)} }

type exponential struct{ mean float64 }

func (d exponential) Sample(r *rand.Rand) time.Duration {
	return time.Duration(r.ExpFloat64() * d.mean)
}
func (d exponential) Mean() time.Duration { return time.Duration(d.mean) }

// Fixed returns the distribution that is always d.
func Fixed(d time.Duration) Dist { return fixed(d) }

type fixed time.Duration

func (d fixed) Sample(*rand.Rand) time.Duration { return time.Duration(d) }
func (d fixed) Mean() time.Duration             { return time.Duration(d) }

// LogNormal returns the log-normal distribution with the given mean and
// coefficient of variation cv (standard deviation / mean): the usual shape
// of chat handling times, skewed to the right. A cv of 0 (or below, or
// NaN) is Fixed(mean).
func LogNormal(mean time.Duration, cv float64) Dist {
	if !(cv > 0) || math.IsInf(cv, 1) {
		return fixed(mean)
	}
	s2 := math.Log1p(cv * cv)
	return logNormal{mean: mean, mu: math.Log(float64(mean)) - s2/2, sigma: math.Sqrt(s2)}
}

type logNormal struct {
	mean      time.Duration
	mu, sigma float64 // of the underlying normal, in nanoseconds
}

func (d logNormal) Sample(r *rand.Rand) time.Duration {
	return time.Duration(math.Exp(d.mu + d.sigma*r.NormFloat64()))
}
func (d logNormal) Mean() time.Duration { return d.mean }

// Config describes one simulation: traffic, staffing, the shop's policy.
// Hour h of the simulation (h = 0, 1, …, Hours−1, starting at
// Start + h hours) takes its arrival rate and staffing from the profiles,
// cyclically: Arrivals[h % len(Arrivals)], Staffing[h % len(Staffing)], so a
// 24-entry profile repeats every day and a 1-entry profile is stationary.
type Config struct {
	// Start is the instant hour 0 begins; its Location names the hours in
	// the report.
	Start time.Time
	// Hours is how many hours buyers arrive; 0 means len(Arrivals). After
	// the last one, the sessions still open run to their end (or their
	// buyers abandon) under the last hour's staffing.
	Hours int
	// Arrivals is the Poisson arrival rate, in sessions per hour, of each
	// hour of the profile. Required, each ≥ 0.
	Arrivals []float64
	// Staffing is the number of agents online in each hour of the
	// profile. Required, each ≥ 0. Agents log in and out at the hour
	// (Engine.Login, Engine.Logout); one who logs out keeps its sessions
	// until they end (rule S5), but takes no new one.
	Staffing []int
	// Cap is each agent's max reception, agent.Limit(Cap) (rule C1): how
	// many sessions it serves at once. 0 means 1, the Erlang setting.
	Cap int
	// Service is how long an agent takes with a session, from when it is
	// assigned to when the simulator closes it. Required, with a positive
	// mean.
	Service Dist
	// Patience is how long a buyer waits in the queue before leaving it
	// (Engine.Leave); nil: buyers never leave.
	Patience Dist
	// Seed seeds the random source (a PCG): the same Config gives the same
	// Report.
	Seed uint64
	// Policy is the shop's dispatch policy. The simulator closes sessions
	// itself, so the policy's idle timeouts (BuyerIdleClose,
	// AgentIdleClose) must be 0, and RequeueOnOffline false; nor are
	// offers, reassignment and wrap-up (E1-E5: OfferTimeout,
	// ReassignAfter, ReassignOnOffline, WrapUp) simulated, nor inactive
	// sessions (E9: InactiveAfter; the simulated sessions have no
	// messages). Queue shaping is: aging (E6, AgingStep), and the queue's
	// cap and maximum wait (E8: QueueCap, MaxWait, Divert), whose
	// diverted buyers go to the offline pool (where their patience still
	// runs), the bot (and stay there), or away (Stats.Refused); and
	// business hours (E11, Hours), outside which buyers go to the bot or
	// the offline pool. Widening and weights (E7, E10) change nothing
	// here: the simulated buyers have no crowds and no kinds. The zero
	// Policy queues and routes to the least saturated agent.
	Policy policy.Policy
	// Warmup leaves the sessions that arrive before Start+Warmup out of
	// Report.Total (not out of the hourly rows): the system starts empty,
	// and a stationary estimate should not count the start.
	Warmup time.Duration
	// AnswerWithin is the service-level threshold; 0 means
	// DefaultAnswerWithin (180 s).
	AnswerWithin time.Duration
	// Step is the resolution of Report.Timeline; 0 means one minute. It
	// must divide an hour.
	Step time.Duration
	// Options are passed to dispatch.New: for example
	// dispatch.WithObserver("metrics", rec) to feed a metrics.Recorder the
	// simulated day's events.
	Options []dispatch.Option
}

// withDefaults returns c with its zero fields filled in, or an error
// naming the first invalid field.
func (c Config) withDefaults() (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	if len(c.Arrivals) == 0 {
		return bad("no Arrivals")
	}
	for i, l := range c.Arrivals {
		if !(l >= 0) || math.IsInf(l, 1) {
			return bad("Arrivals[%d] = %v", i, l)
		}
	}
	if len(c.Staffing) == 0 {
		return bad("no Staffing")
	}
	for i, n := range c.Staffing {
		if n < 0 {
			return bad("Staffing[%d] = %d", i, n)
		}
	}
	if c.Hours < 0 {
		return bad("Hours = %d", c.Hours)
	}
	if c.Hours == 0 {
		c.Hours = len(c.Arrivals)
	}
	if c.Cap < 0 {
		return bad("Cap = %d", c.Cap)
	}
	if c.Cap == 0 {
		c.Cap = 1
	}
	if c.Service == nil || c.Service.Mean() <= 0 {
		return bad("Service needs a positive mean")
	}
	if c.Patience != nil && c.Patience.Mean() <= 0 {
		return bad("Patience needs a positive mean")
	}
	if c.Warmup < 0 {
		return bad("Warmup = %v", c.Warmup)
	}
	if c.AnswerWithin < 0 {
		return bad("AnswerWithin = %v", c.AnswerWithin)
	}
	if c.AnswerWithin == 0 {
		c.AnswerWithin = DefaultAnswerWithin
	}
	if c.Step == 0 {
		c.Step = time.Minute
	}
	if c.Step < 0 || time.Hour%c.Step != 0 {
		return bad("Step %v does not divide an hour", c.Step)
	}
	p := c.Policy
	if p.BuyerIdleClose != 0 || p.AgentIdleClose != 0 {
		return bad("Policy idle timeouts must be 0: the simulator closes sessions itself")
	}
	if p.RequeueOnOffline {
		return bad("Policy.RequeueOnOffline is not simulated")
	}
	// E1-E5: the simulated agents neither accept offers nor wrap up, and
	// a session is served by the agent it was assigned to.
	if p.OfferTimeout != 0 || p.ReassignAfter != 0 || p.ReassignOnOffline || p.WrapUp != 0 {
		return bad("Policy.OfferTimeout, ReassignAfter, ReassignOnOffline and WrapUp (E1-E5) are not simulated")
	}
	// E9: the simulated agents write no messages, so no session is ever
	// replied and none could go inactive: the option would do nothing.
	if p.InactiveAfter != 0 {
		return bad("Policy.InactiveAfter (E9) is not simulated: simulated sessions have no messages")
	}
	return c, nil
}

// SuggestStaffing returns, for each hour of cfg's arrival profile, the
// smallest number of agents that answers the fraction target of buyers
// within cfg.AnswerWithin (180 s by default) by Erlang C
// ([queueing.StaffingFor]), with mean service time cfg.Service.Mean().
//
// Erlang C assumes that each agent serves one buyer at a time and that no
// buyer gives up: for Cap = 1 it is a plan to start from (abandonment only
// makes it safer); for agents who hold several chats at once it is a
// reference, not a plan.
//
// Errors: ErrInvalidConfig for an invalid cfg, or a target outside
// [0, 1).
func SuggestStaffing(cfg Config, target float64) ([]int, error) {
	cfg.Staffing = []int{0} // not needed
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if !(target >= 0 && target < 1) {
		return nil, fmt.Errorf("%w: target %v not in [0, 1)", ErrInvalidConfig, target)
	}
	mu := 1 / c.Service.Mean().Seconds()
	out := make([]int, len(c.Arrivals))
	for h, l := range c.Arrivals {
		n, err := queueing.StaffingFor(l/3600, mu, target, c.AnswerWithin.Seconds())
		if err != nil {
			return nil, fmt.Errorf("%w: hour %d: %w", ErrInvalidConfig, h, err)
		}
		out[h] = n
	}
	return out, nil
}
