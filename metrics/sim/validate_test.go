package sim

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/metrics/queueing"
)

// The validation: with one session per agent (Cap 1), exponential service
// and Poisson arrivals, the real engine is an M/M/c queue, first come
// first served; with exponential patience, M/M/c+M. The simulated P(wait),
// ASA (and P(abandon), occupancy) must match Erlang C and Erlang A.
//
// TestExactFCFS shows the simulated queue is exactly FCFS M/M/c buyer by
// buyer; what is left between the simulation and the formulas is
// statistical noise. The sizes are set so that each estimate's standard
// error (measured by batch means over long runs) is at most about a third
// of the tolerance: the heavy-traffic cases (c = 20 and c = 50 at ρ = 0.9)
// need millions of sessions for ASA within 5%, as waiting times are
// strongly autocorrelated. (c = 50 at ρ = 0.85, where waiting is rarer,
// would need some 14 million.) Each case runs as independent replications
// (own seed, own warm-up) in parallel and pools them.

const (
	tolPWait   = 0.01 // absolute
	tolAbandon = 0.01 // absolute
	tolASA     = 0.05 // relative
	tolOcc     = 0.01 // absolute
)

type erlangCase struct {
	c        int
	rho      float64 // offered load per agent, λ/(cμ)
	patience float64 // mean patience in mean service times; 0: nobody leaves
	sessions int     // in all, over reps replications
	reps     int
}

func (k erlangCase) String() string {
	s := fmt.Sprintf("c=%d/rho=%.2f", k.c, k.rho)
	if k.patience > 0 {
		s += fmt.Sprintf("/patience=%gx", k.patience)
	}
	return s
}

var erlangCases = []erlangCase{
	{c: 1, rho: 0.5, sessions: 300_000, reps: 1},
	{c: 5, rho: 0.8, sessions: 1_000_000, reps: 2},
	{c: 20, rho: 0.9, sessions: 4_000_000, reps: 4},
	{c: 50, rho: 0.9, sessions: 5_000_000, reps: 5},

	{c: 1, rho: 0.5, patience: 1, sessions: 200_000, reps: 1},
	{c: 5, rho: 0.8, patience: 2, sessions: 300_000, reps: 1},
	{c: 20, rho: 0.9, patience: 2, sessions: 1_000_000, reps: 2},
	{c: 20, rho: 1.2, patience: 1, sessions: 500_000, reps: 1}, // overloaded: only Erlang A is stable
}

// scale shrinks the runs in -short mode and more under the race detector
// (a smoke test there); the tolerances then grow by the square root,
// keeping about the same margin in standard errors.
func scale() float64 {
	switch {
	case raceEnabled:
		return 0.02
	case testing.Short():
		return 0.1
	}
	return 1
}

const meanService = 100 * time.Second

// pooled runs k's replications concurrently and sums their totals.
func pooled(t *testing.T, k erlangCase, f float64) Stats {
	t.Helper()
	mu := 1 / meanService.Seconds()
	lambda := k.rho * float64(k.c) * mu * 3600 // per hour
	per := max(1, int(f*float64(k.sessions)/float64(k.reps)))
	cfg := Config{
		Arrivals: []float64{lambda},
		Staffing: []int{k.c},
		Hours:    max(1, int(math.Ceil(float64(per)/lambda))) + 2,
		Service:  Exponential(meanService),
		Warmup:   2 * time.Hour, // 72 mean service times
		Step:     time.Hour,
	}
	if k.patience > 0 {
		cfg.Patience = Exponential(time.Duration(k.patience * float64(meanService)))
	}
	reports := make([]Report, k.reps)
	errs := make([]error, k.reps)
	var wg sync.WaitGroup
	for i := range k.reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cfg
			c.Seed = uint64(1000*k.c + 10*i + 7)
			reports[i], errs[i] = Run(c)
		}()
	}
	wg.Wait()
	var sum Stats
	for i, rep := range reports {
		require.NoError(t, errs[i])
		assert.Zero(t, rep.overtakes, "rep %d: sessions served out of arrival order", i)
		assert.Zero(t, rep.Unfinished, "rep %d", i)
		s := rep.Total
		sum.Arrivals += s.Arrivals
		sum.Served += s.Served
		sum.Waited += s.Waited
		sum.Abandoned += s.Abandoned
		sum.WaitSeconds += s.WaitSeconds
		sum.BusySeconds += s.BusySeconds
		sum.StaffedSeconds += s.StaffedSeconds
	}
	return sum
}

func TestErlangValidation(t *testing.T) {
	f := scale()
	widen := 1 / math.Sqrt(f)
	for _, k := range erlangCases {
		t.Run(k.String(), func(t *testing.T) {
			t.Parallel()
			got := pooled(t, k, f)
			mu := 1 / meanService.Seconds()
			lambda := k.rho * float64(k.c) * mu
			var want queueing.ErlangAResult // the formulas' values, in the sim's definitions
			if k.patience == 0 {
				pw, err := queueing.ErlangC(k.c, lambda/mu)
				require.NoError(t, err)
				asa, err := queueing.ASA(k.c, lambda, mu)
				require.NoError(t, err)
				want = queueing.ErlangAResult{PWait: pw, PWaitServed: pw, ASA: asa, Occupancy: k.rho}
			} else {
				var err error
				want, err = queueing.ErlangA(k.c, lambda, mu, mu/k.patience)
				require.NoError(t, err)
			}
			t.Logf("%-28s n=%-8d P(wait) %.4f vs %.4f  P(abandon) %.4f vs %.4f  ASA %7.3f s vs %7.3f s (%+.2f%%)  occupancy %.4f vs %.4f",
				k, got.Arrivals, got.PWait(), want.PWaitServed, got.AbandonRate(), want.PAbandon,
				got.ASASeconds(), want.ASA, 100*(got.ASASeconds()/want.ASA-1), got.Occupancy(), want.Occupancy)
			assert.InDelta(t, want.PWaitServed, got.PWait(), tolPWait*widen, "P(wait)")
			assert.InEpsilon(t, want.ASA, got.ASASeconds(), tolASA*widen, "ASA")
			assert.InDelta(t, want.PAbandon, got.AbandonRate(), tolAbandon*widen, "P(abandon)")
			assert.InDelta(t, want.Occupancy, got.Occupancy(), tolOcc*widen, "occupancy")
		})
	}
}
