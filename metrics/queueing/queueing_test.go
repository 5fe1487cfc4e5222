package queueing_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/metrics/queueing"
)

// logTerm is log(a^n / n!).
func logTerm(n int, a float64) float64 {
	lg, _ := math.Lgamma(float64(n + 1))
	return float64(n)*math.Log(a) - lg
}

// directB is Erlang B from its definition, summed in the log domain: an
// oracle independent of the recursion.
func directB(c int, a float64) float64 {
	top := logTerm(c, a)
	sum := 0.0
	for k := 0; k <= c; k++ {
		sum += math.Exp(logTerm(k, a) - top)
	}
	return 1 / sum
}

// directC is Erlang C from its textbook definition,
// (a^c/c! · c/(c−a)) / (Σ_{k<c} a^k/k! + a^c/c! · c/(c−a)).
func directC(c int, a float64) float64 {
	top := logTerm(c, a)
	tail := float64(c) / (float64(c) - a)
	sum := 0.0
	for k := 0; k < c; k++ {
		sum += math.Exp(logTerm(k, a) - top)
	}
	return tail / (sum + tail)
}

func TestErlangBC(t *testing.T) {
	tests := []struct {
		c       int
		a       float64
		b, want float64 // want: C; b: B, 0 to skip
	}{
		{c: 1, a: 0.5, b: 1.0 / 3, want: 0.5},     // M/M/1: C = ρ
		{c: 2, a: 1, b: 0.2, want: 1.0 / 3},       // textbook
		{c: 10, a: 8, b: 0.121661, want: 0.40918}, // textbook ≈ 0.409
		{c: 5, a: 4, want: 0.554113},
		{c: 20, a: 18, want: 0.550769},
		{c: 1, a: 0, b: 0, want: 0},
		{c: 3, a: 3, want: 1},  // unstable: everyone waits
		{c: 3, a: 10, want: 1}, // unstable
	}
	for i, tt := range tests {
		got, err := queueing.ErlangC(tt.c, tt.a)
		require.NoError(t, err, "case %d", i)
		assert.InDelta(t, tt.want, got, 1e-5, "case %d: C(%d, %v)", i, tt.c, tt.a)
		if tt.b != 0 {
			b, err := queueing.ErlangB(tt.c, tt.a)
			require.NoError(t, err)
			assert.InDelta(t, tt.b, b, 1e-6, "case %d: B(%d, %v)", i, tt.c, tt.a)
		}
	}
}

// TestErlangLargeC: the recursion agrees with the log-domain definition up
// to hundreds of servers, where a^c/c! overflows a float64.
func TestErlangLargeC(t *testing.T) {
	for _, c := range []int{1, 2, 7, 50, 170, 171, 300, 500} {
		for _, rho := range []float64{0.1, 0.5, 0.8, 0.9, 0.99} {
			a := rho * float64(c)
			b, err := queueing.ErlangB(c, a)
			require.NoError(t, err)
			assert.InEpsilon(t, directB(c, a), b, 1e-9, "B(%d, %v)", c, a)
			got, err := queueing.ErlangC(c, a)
			require.NoError(t, err)
			want := directC(c, a)
			if want < 1e-300 {
				assert.InDelta(t, 0, got, 1e-300)
				continue
			}
			assert.InEpsilon(t, want, got, 1e-9, "C(%d, %v)", c, a)
			assert.True(t, got >= b && got <= 1, "C(%d, %v) = %v not in [B, 1]", c, a, got)
		}
	}
}

func TestASAAndServiceLevel(t *testing.T) {
	// M/M/1: ASA = ρ/(μ−λ), P(W ≤ t) = 1 − ρ·e^{−(μ−λ)t}.
	lambda, mu := 0.5, 1.0
	asa, err := queueing.ASA(1, lambda, mu)
	require.NoError(t, err)
	assert.InDelta(t, 1.0, asa, 1e-12)
	sl, err := queueing.ServiceLevel(1, lambda, mu, 2)
	require.NoError(t, err)
	assert.InDelta(t, 1-0.5*math.Exp(-1), sl, 1e-12)
	sl0, err := queueing.ServiceLevel(1, lambda, mu, 0)
	require.NoError(t, err)
	assert.InDelta(t, 0.5, sl0, 1e-12, "SL(0) = 1 − C")

	// c = 10, a = 8, mean service 1: ASA = C/(c−a).
	asa, err = queueing.ASA(10, 8, 1)
	require.NoError(t, err)
	assert.InDelta(t, 0.40918/2, asa, 1e-5)

	// Unstable.
	asa, err = queueing.ASA(2, 3, 1)
	require.NoError(t, err)
	assert.True(t, math.IsInf(asa, 1))
	sl, err = queueing.ServiceLevel(2, 3, 1, 100)
	require.NoError(t, err)
	assert.Equal(t, 0.0, sl)
}

func TestStaffingFor(t *testing.T) {
	tests := []struct {
		lambda, mu, target, t float64
		want                  int
	}{
		{lambda: 0, mu: 1, target: 0.8, t: 20, want: 0},
		{lambda: 40.0 / 3600, mu: 1 / 360.0, target: 0.8, t: 180, want: 6},
		{lambda: 0.5, mu: 1, target: 0, t: 0, want: 1},       // the least stable staffing
		{lambda: 8, mu: 1, target: 0, t: 0, want: 9},         // a = 8 needs c > 8
		{lambda: 8, mu: 1, target: 0.59, t: 0, want: 10},     // 1 − C(10, 8) = 0.591
		{lambda: 8, mu: 1, target: 0.6, t: 0, want: 11},      // 1 − C(11, 8) ≈ 0.78
		{lambda: 100, mu: 0.5, target: 0.95, t: 1, want: -1}, // a = 200: minimality below
	}
	for i, tt := range tests {
		got, err := queueing.StaffingFor(tt.lambda, tt.mu, tt.target, tt.t)
		require.NoError(t, err, "case %d", i)
		if tt.want >= 0 {
			assert.Equal(t, tt.want, got, "case %d", i)
		}
		if tt.lambda == 0 {
			continue
		}
		// Minimal: c is stable and reaches the target; c−1 is unstable or
		// does not.
		assert.Greater(t, float64(got), tt.lambda/tt.mu, "case %d: stable", i)
		sl, err := queueing.ServiceLevel(got, tt.lambda, tt.mu, tt.t)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, sl, tt.target, "case %d: SL(%d)", i, got)
		if float64(got-1) > tt.lambda/tt.mu {
			prev, err := queueing.ServiceLevel(got-1, tt.lambda, tt.mu, tt.t)
			require.NoError(t, err)
			assert.Less(t, prev, tt.target, "case %d: SL(%d)", i, got-1)
		}
	}
}

// directA sums the Erlang A chain state by state from its definition, in
// the log domain, to n = c + 20000: the oracle for PWait and PAbandon.
func directA(c int, lambda, mu, theta float64) (pWait, pAb float64) {
	const extra = 20000
	logs := make([]float64, c+extra)
	a := lambda / mu
	for n := 0; n <= c; n++ {
		logs[n] = logTerm(n, a)
	}
	for n := c + 1; n < len(logs); n++ {
		logs[n] = logs[n-1] + math.Log(lambda/(float64(c)*mu+float64(n-c)*theta))
	}
	top := math.Inf(-1)
	for _, l := range logs {
		top = math.Max(top, l)
	}
	var z, w, lq float64
	for n, l := range logs {
		p := math.Exp(l - top)
		z += p
		if n >= c {
			w += p
			lq += float64(n-c) * p
		}
	}
	return w / z, theta * lq / z / lambda
}

func TestErlangA(t *testing.T) {
	tests := []struct {
		c                 int
		lambda, mu, theta float64
	}{
		{c: 1, lambda: 0.5, mu: 1, theta: 0.5},
		{c: 5, lambda: 4, mu: 1, theta: 0.5},
		{c: 20, lambda: 18, mu: 1, theta: 0.1},
		{c: 20, lambda: 30, mu: 1, theta: 0.2}, // overloaded: still stable
		{c: 50, lambda: 60, mu: 1, theta: 0.01},
		{c: 300, lambda: 290, mu: 1, theta: 0.05},
		{c: 3, lambda: 2, mu: 1, theta: 1}, // θ = μ: M/M/∞, see below
	}
	for i, tt := range tests {
		r, err := queueing.ErlangA(tt.c, tt.lambda, tt.mu, tt.theta)
		require.NoError(t, err, "case %d", i)
		pw, pab := directA(tt.c, tt.lambda, tt.mu, tt.theta)
		assert.InEpsilon(t, pw, r.PWait, 1e-9, "case %d: PWait", i)
		assert.InEpsilon(t, pab, r.PAbandon, 1e-9, "case %d: PAbandon", i)
		assert.InDelta(t, r.PAbandon, tt.theta*r.MeanWait, 1e-12, "case %d: P(ab) = θ·E[W]", i)
		assert.InDelta(t, tt.lambda*(1-r.PAbandon)/(float64(tt.c)*tt.mu), r.Occupancy, 1e-12, "case %d", i)
		// The served are the ones who found a shorter queue: they waited
		// no more often than arrivals in general.
		assert.True(t, r.PWaitServed <= r.PWait+1e-12, "case %d: the patient are not likelier to wait", i)
		assert.True(t, r.ASA > 0 && r.PWaitServed > 0 && r.PWaitServed <= 1, "case %d: %+v", i, r)
	}

	// θ = μ: every buyer in the system leaves at rate μ, waiting or not,
	// so the number present is Poisson(a): P(wait) = P(N ≥ c),
	// P(abandon) = E[(N−c)+]/a.
	r, err := queueing.ErlangA(5, 4, 1, 1)
	require.NoError(t, err)
	p, below, short := math.Exp(-4.0), 0.0, 0.0
	for n := 0; n < 5; n++ {
		below += p
		short += float64(5-n) * p
		p *= 4 / float64(n+1)
	}
	assert.InDelta(t, 1-below, r.PWait, 1e-12)
	assert.InDelta(t, (4-5+short)/4, r.PAbandon, 1e-12)

	// θ → 0: Erlang C.
	r, err = queueing.ErlangA(10, 8, 1, 1e-9)
	require.NoError(t, err)
	c, _ := queueing.ErlangC(10, 8)
	asa, _ := queueing.ASA(10, 8, 1)
	assert.InDelta(t, c, r.PWait, 1e-6)
	assert.InDelta(t, c, r.PWaitServed, 1e-6)
	assert.InDelta(t, asa, r.ASA, 1e-6)
	assert.InDelta(t, 0, r.PAbandon, 1e-6)

	// No traffic.
	r, err = queueing.ErlangA(3, 0, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, queueing.ErlangAResult{}, r)
}

// TestErlangAServed: the probability of being served computed from the
// positions (Σ π_{c+k}·cμ/(cμ+(k+1)θ) plus no wait) equals 1 − θ·Lq/λ,
// computed from Little's law: two derivations, one number.
func TestErlangAServed(t *testing.T) {
	for _, tt := range []struct {
		c                 int
		lambda, mu, theta float64
	}{{1, 0.9, 1, 0.3}, {5, 4, 1, 2}, {40, 50, 1, 0.05}} {
		r, err := queueing.ErlangA(tt.c, tt.lambda, tt.mu, tt.theta)
		require.NoError(t, err)
		// P(served) = P(no wait) + P(waited and served)
		//           = (1 − PWait) + PWaitServed·(1 − PAbandon).
		served := (1 - r.PWait) + r.PWaitServed*(1-r.PAbandon)
		assert.InDelta(t, 1-r.PAbandon, served, 1e-12, "%+v", tt)
	}
}

func TestInvalidInput(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	errs := []error{}
	add := func(_ any, err error) { errs = append(errs, err) }
	add(queueing.ErlangB(-1, 1))
	add(queueing.ErlangB(1, nan))
	add(queueing.ErlangC(0, 1))
	add(queueing.ErlangC(2, -1))
	add(queueing.ErlangC(2, inf))
	add(queueing.ASA(2, 1, 0))
	add(queueing.ASA(2, -1, 1))
	add(queueing.ServiceLevel(2, 1, 1, -1))
	add(queueing.ServiceLevel(2, 1, 1, nan))
	add(queueing.StaffingFor(1, 1, 1, 10))
	add(queueing.StaffingFor(1, 1, -0.1, 10))
	add(queueing.StaffingFor(1, 1, nan, 10))
	add(queueing.StaffingFor(1, inf, 0.8, 10))
	add(queueing.ErlangA(2, 1, 1, 0))
	add(queueing.ErlangA(2, 1, 1, inf))
	add(queueing.ErlangA(0, 1, 1, 1))
	add(queueing.ErlangA(1, 1e6, 1, 1e-9)) // does not converge in bounds
	for i, err := range errs {
		assert.ErrorIs(t, err, queueing.ErrInvalidInput, "case %d", i)
	}
}
