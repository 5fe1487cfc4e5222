package sim_test

import (
	"testing"
	"time"

	"github.com/kefu-dev/kefu/metrics/sim"
	"github.com/kefu-dev/kefu/policy"
)

// stationary returns a Config of about n sessions of M/M/c at utilisation
// rho (mean service 100 s), with exponential patience of the given mean if
// it is positive.
func stationary(c int, rho float64, n int, patience time.Duration, seed uint64) sim.Config {
	svc := 100 * time.Second
	lambda := rho * float64(c) / svc.Seconds() * 3600 // per hour
	cfg := sim.Config{
		Arrivals: []float64{lambda},
		Staffing: []int{c},
		Hours:    max(1, int(float64(n)/lambda+0.5)),
		Service:  sim.Exponential(svc),
		Seed:     seed,
		Step:     time.Hour,
	}
	if patience > 0 {
		cfg.Patience = sim.Exponential(patience)
	}
	return cfg
}

// busyDays is 30 days of a big shop: a daily profile peaking at 3000
// sessions an hour, 40-90 agents of cap 5, log-normal chats, impatient
// buyers, the Douyin policy without timeouts.
func busyDays() sim.Config {
	p := policy.Douyin()
	p.BuyerIdleClose = 0
	return sim.Config{
		Hours: 30 * 24,
		Arrivals: []float64{300, 150, 80, 50, 40, 50, 100, 200, 400, 600, 750, 800,
			700, 650, 750, 800, 750, 700, 1000, 2400, 3000, 3000, 2500, 900},
		Staffing: []int{10, 6, 4, 3, 3, 3, 4, 8, 14, 20, 25, 27,
			24, 22, 25, 27, 25, 24, 34, 80, 95, 95, 85, 30},
		Cap:      5,
		Service:  sim.LogNormal(10*time.Minute, 0.8),
		Patience: sim.Exponential(4 * time.Minute),
		Seed:     1,
		Policy:   p,
	}
}

// BenchmarkRun reports simulated sessions per second of wall time
// ("sessions/s") and per second of the process's CPU time
// ("sessions/cpu-s", which a busy machine does not distort).
func BenchmarkRun(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  sim.Config
	}{
		{"erlangC/c=20/rho=0.9", stationary(20, 0.9, 200_000, 0, 1)},
		{"erlangA/c=20/rho=0.95", stationary(20, 0.95, 200_000, 200*time.Second, 1)},
		{"erlangC/c=1/rho=0.5", stationary(1, 0.5, 200_000, 0, 1)},
		{"erlangC/c=100/rho=0.9", stationary(100, 0.9, 200_000, 0, 1)},
		{"douyin/30days/cap=5", busyDays()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			sessions := 0
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				rep, err := sim.Run(bc.cfg)
				if err != nil {
					b.Fatal(err)
				}
				sessions += rep.Sessions
			}
			b.StopTimer()
			b.ReportMetric(float64(sessions)/b.Elapsed().Seconds(), "sessions/s")
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(sessions)/cpu.Seconds(), "sessions/cpu-s")
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(sessions), "ns/session")
		})
	}
}
