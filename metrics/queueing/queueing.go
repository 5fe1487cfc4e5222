package queueing

import (
	"errors"
	"fmt"
	"math"
)

// ErrInvalidInput is wrapped by every error of the package: no servers, a
// negative, NaN or infinite rate or time, a service or patience rate of 0,
// a service-level target outside [0, 1). The message names the value.
var ErrInvalidInput = errors.New("queueing: invalid input")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidInput}, args...)...)
}

// finite reports whether x is a finite number ≥ 0.
func finite(x float64) bool { return x >= 0 && !math.IsInf(x, 1) }

func checkServers(c int) error {
	if c < 1 {
		return invalid("servers %d < 1", c)
	}
	return nil
}

func checkLoad(a float64) error {
	if !finite(a) {
		return invalid("load %v", a)
	}
	return nil
}

// checkRates checks λ ≥ 0 and μ > 0, both finite.
func checkRates(lambda, mu float64) error {
	if !finite(lambda) {
		return invalid("arrival rate %v", lambda)
	}
	if !finite(mu) || mu == 0 {
		return invalid("service rate %v", mu)
	}
	return nil
}

// ErlangB returns the Erlang B blocking probability of c servers offered a
// Erlangs: the probability that all c are busy in M/M/c/c (no waiting room),
//
//	B(c, a) = (a^c / c!) / Σ_{k=0..c} a^k / k!,
//
// computed by the stable recursion B(0, a) = 1,
// B(k, a) = a·B(k−1, a) / (k + a·B(k−1, a)). Cost O(c).
//
// Errors: ErrInvalidInput for c < 0 or a load that is negative, NaN or
// infinite. B(0, a) is 1.
func ErlangB(c int, a float64) (float64, error) {
	if c < 0 {
		return 0, invalid("servers %d < 0", c)
	}
	if err := checkLoad(a); err != nil {
		return 0, err
	}
	return erlangB(c, a), nil
}

func erlangB(c int, a float64) float64 {
	b := 1.0
	for k := 1; k <= c; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
}

// erlangC is C(c, a) from B = B(c, a), for a < c.
func erlangC(c int, a, b float64) float64 {
	fc := float64(c)
	return fc * b / (fc - a*(1-b))
}

// ErlangC returns the Erlang C probability that an arrival waits (finds all
// c servers busy) in M/M/c with offered load a = λ/μ Erlangs:
//
//	C(c, a) = c·B(c, a) / (c − a·(1 − B(c, a)))    for a < c,
//
// and 1 for a ≥ c, where the queue grows without bound and, in the long
// run, every arrival waits. Examples: C(2, 1) = 1/3; C(10, 8) ≈ 0.4092.
// Cost O(c).
//
// Errors: ErrInvalidInput for c < 1 or a negative, NaN or infinite load.
func ErlangC(c int, a float64) (float64, error) {
	if err := checkServers(c); err != nil {
		return 0, err
	}
	if err := checkLoad(a); err != nil {
		return 0, err
	}
	if a >= float64(c) {
		return 1, nil
	}
	return erlangC(c, a, erlangB(c, a)), nil
}

// ASA returns the average speed of answer of M/M/c with c servers,
// arrival rate λ and service rate μ per server: the mean wait in the queue
// over all arrivals, those answered at once counted with 0,
//
//	ASA = C(c, λ/μ) / (cμ − λ),
//
// in the unit of 1/μ. It is +Inf when λ ≥ cμ.
//
// Errors: ErrInvalidInput for c < 1, λ < 0, μ ≤ 0 or a NaN or infinite
// rate.
func ASA(c int, lambda, mu float64) (float64, error) {
	if err := checkServers(c); err != nil {
		return 0, err
	}
	if err := checkRates(lambda, mu); err != nil {
		return 0, err
	}
	a, fc := lambda/mu, float64(c)
	if a >= fc {
		return math.Inf(1), nil
	}
	return erlangC(c, a, erlangB(c, a)) / (fc*mu - lambda), nil
}

// ServiceLevel returns the probability that an arrival in M/M/c waits at
// most t (in the unit of 1/μ) before an agent takes it:
//
//	SL(t) = P(W ≤ t) = 1 − C(c, λ/μ)·e^{−(cμ−λ)t}.
//
// It is 0 when λ ≥ cμ.
//
// Errors: ErrInvalidInput for c < 1, λ < 0, μ ≤ 0, t < 0 or a NaN or
// infinite value.
func ServiceLevel(c int, lambda, mu, t float64) (float64, error) {
	if err := checkServers(c); err != nil {
		return 0, err
	}
	if err := checkRates(lambda, mu); err != nil {
		return 0, err
	}
	if !finite(t) {
		return 0, invalid("time %v", t)
	}
	a, fc := lambda/mu, float64(c)
	if a >= fc {
		return 0, nil
	}
	return serviceLevel(c, lambda, mu, t, erlangB(c, a)), nil
}

func serviceLevel(c int, lambda, mu, t, b float64) float64 {
	fc := float64(c)
	return 1 - erlangC(c, lambda/mu, b)*math.Exp(-(fc*mu-lambda)*t)
}

// StaffingFor returns the smallest number of servers c with λ < cμ whose
// Erlang C service level SL(t) (see [ServiceLevel]) reaches target: the
// classic "how many agents for 80% answered within 180 s". It is 0 when
// λ is 0. Cost O(c): Erlang B is carried from one c to the next.
//
// Erlang C assumes each agent serves one buyer at a time; for agents who
// hold several chats at once the answer is a reference, not a plan.
//
// Errors: ErrInvalidInput for λ < 0, μ ≤ 0, t < 0, a target outside
// [0, 1) or a NaN or infinite value.
func StaffingFor(lambda, mu, target, t float64) (int, error) {
	if err := checkRates(lambda, mu); err != nil {
		return 0, err
	}
	if !finite(t) {
		return 0, invalid("time %v", t)
	}
	if !(target >= 0 && target < 1) {
		return 0, invalid("target %v not in [0, 1)", target)
	}
	if lambda == 0 {
		return 0, nil
	}
	a := lambda / mu
	b := 1.0
	for c := 1; ; c++ {
		b = a * b / (float64(c) + a*b) // B(c, a)
		if a < float64(c) && serviceLevel(c, lambda, mu, t, b) >= target {
			return c, nil
		}
	}
}

// ErlangAResult is the steady state of M/M/c+M (Erlang A), seen by
// arrivals (Poisson arrivals see time averages). Times are in the unit of
// the rates.
type ErlangAResult struct {
	// PWait is the probability that an arrival finds every server busy
	// and has to wait (it may then be served or abandon).
	PWait float64
	// PAbandon is the probability that an arrival abandons before being
	// served: θ·Lq/λ, with Lq the mean number waiting.
	PAbandon float64
	// PWaitServed is, among the arrivals that are served, the fraction
	// that waited: P(waited and served) / (1 − PAbandon). Package sim's
	// P(wait) is this.
	PWaitServed float64
	// ASA is the average speed of answer: the mean wait of the served
	// arrivals, the ones answered at once counted with 0. Package sim's
	// ASA is this.
	ASA float64
	// MeanWait is the mean time in queue of all arrivals, until served or
	// until they abandon: Lq/λ (Little's law), so PAbandon = θ·MeanWait.
	MeanWait float64
	// Occupancy is the fraction of time a server is busy:
	// λ·(1 − PAbandon) / (cμ).
	Occupancy float64
}

// maxTailStates bounds the Erlang A sum: an overloaded queue with very
// patient buyers needs about (λ − cμ)/θ states.
const maxTailStates = 10_000_000

// ErlangA returns the steady state of M/M/c+M (the Erlang A or Palm model):
// c servers, Poisson arrivals at rate λ, exponential service at rate μ per
// server, and buyers who abandon the queue after an exponential patience of
// rate θ (mean patience 1/θ), first come first served. Unlike Erlang C it
// is stable at any load.
//
// It sums the birth–death chain: with a = λ/μ, state probabilities
// π_n ∝ a^n/n! for n ≤ c, and π_{c+k} = π_c·Π_{i=1..k} λ/(cμ + iθ) above,
// where Σ_{n≤c} π_n/π_c = 1/B(c, a). The sum over k stops once its
// remainder is below 1e-15 of the total (with rescaling, so that no term
// overflows). An arrival that finds k buyers waiting is served with
// probability cμ/(cμ + (k+1)θ) (the product of its chances at each
// position telescopes), and, if served, waits on average
// Σ_{j=0..k} 1/(cμ + (j+1)θ), the time spent at each position, whatever
// ends it, being exponential with that rate. ASA and PWaitServed follow.
//
// Errors: ErrInvalidInput for c < 1, λ < 0, μ ≤ 0, θ ≤ 0 (use ErlangC for
// buyers who never give up) or a NaN or infinite rate, or when the sum
// needs more than 10 million states (an overloaded queue with buyers
// patient beyond reason).
func ErlangA(c int, lambda, mu, theta float64) (ErlangAResult, error) {
	if err := checkServers(c); err != nil {
		return ErlangAResult{}, err
	}
	if err := checkRates(lambda, mu); err != nil {
		return ErlangAResult{}, err
	}
	if !finite(theta) || theta == 0 {
		return ErlangAResult{}, invalid("abandonment rate %v", theta)
	}
	if lambda == 0 {
		return ErlangAResult{}, nil
	}
	a := lambda / mu
	cmu := float64(c) * mu
	b := erlangB(c, a)
	if b == 0 { // B underflowed: the queue is never reached
		return ErlangAResult{Occupancy: lambda / cmu}, nil
	}

	// Tail sums in units of π_c, divided by scale^shifts so that no term
	// overflows: w_k = π_{c+k}/π_c.
	const scale = 1e280
	var sumW, sumKW, sumServed, sumWaitServed float64
	shifts := 0
	w, h := 1.0, 0.0
	for k := 0; ; k++ {
		if k > maxTailStates {
			return ErlangAResult{}, invalid("Erlang A sum did not converge in %d states (λ=%v μ=%v θ=%v c=%d)",
				maxTailStates, lambda, mu, theta, c)
		}
		rate := cmu + float64(k+1)*theta // leaving position k (k ahead)
		h += 1 / rate
		p := cmu / rate // served, having found k waiting
		sumW += w
		sumKW += float64(k) * w
		sumServed += w * p
		sumWaitServed += w * p * h
		if w > scale {
			w /= scale
			sumW, sumKW, sumServed, sumWaitServed = sumW/scale, sumKW/scale, sumServed/scale, sumWaitServed/scale
			shifts++
		}
		r := lambda / rate // w_{k+1}/w_k
		w *= r
		// After the peak the ratios fall: the remainder of Σ w is below
		// w·r/(1−r) and that of Σ k·w below w·(k+1)/(1−r)².
		if r < 1 && w*float64(k+2)/((1-r)*(1-r)) < 1e-15*sumW {
			break
		}
	}
	// Normalise: D = (1−B)·scale^−shifts + B·Σw.
	low := (1 - b) * math.Pow(scale, -float64(shifts))
	d := low + b*sumW
	pWait := b * sumW / d
	lq := b * sumKW / d
	pAb := theta * lq / lambda
	pServed := 1 - pAb
	res := ErlangAResult{
		PWait:     pWait,
		PAbandon:  pAb,
		MeanWait:  lq / lambda,
		Occupancy: lambda * pServed / cmu,
	}
	if pServed > 0 {
		res.PWaitServed = b * sumServed / d / pServed
		res.ASA = b * sumWaitServed / d / pServed
	}
	return res, nil
}
