package sim

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// freeAt is a min-heap of the times the servers of a reference queue
// become free.
type freeAt []float64

func (h freeAt) Len() int           { return len(h) }
func (h freeAt) Less(i, j int) bool { return h[i] < h[j] }
func (h freeAt) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *freeAt) Push(x any)        { *h = append(*h, x.(float64)) }
func (h *freeAt) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// reference is an obviously correct M/M/c(+M) FCFS queue, the
// Kiefer–Wolfowitz recursion: buyer n would start at
// max(arrival, earliest time a server frees); it is served if that wait is
// within its patience, and then holds that server for its service time;
// otherwise it leaves and holds nothing. It draws its random numbers in
// the order Run does (inter-arrival, service, patience), so both see the
// same buyers, and returns per-hour served, waited, abandoned and total
// wait of the served.
func reference(cfg Config) (served, waited, abandoned []int, wait []float64) {
	c, _ := cfg.withDefaults()
	r := rand.New(rand.NewPCG(c.Seed, 0x6b656675))
	lambda := c.Arrivals[0] / 3600
	next := func(t float64) float64 {
		for {
			h := int(t / 3600)
			if h >= c.Hours {
				return math.Inf(1)
			}
			end := float64(h+1) * 3600
			if n := t + r.ExpFloat64()/lambda; n < end {
				return n
			}
			t = end
		}
	}
	servers := make(freeAt, c.Staffing[0])
	served, waited, abandoned = make([]int, c.Hours), make([]int, c.Hours), make([]int, c.Hours)
	wait = make([]float64, c.Hours)
	for t := next(0); !math.IsInf(t, 1); t = next(t) {
		s := c.Service.Sample(r).Seconds()
		patience := math.Inf(1)
		if c.Patience != nil {
			patience = c.Patience.Sample(r).Seconds()
		}
		h := int(t / 3600)
		start := max(t, servers[0])
		if start-t > patience {
			abandoned[h]++
			continue
		}
		servers[0] = start + s
		heap.Fix(&servers, 0)
		served[h]++
		if start > t {
			waited[h]++
			wait[h] += start - t
		}
	}
	return served, waited, abandoned, wait
}

// TestExactFCFS: driven by Run, the real engine with one session per
// agent is exactly an FCFS M/M/c queue (and M/M/c+M with patience), buyer
// by buyer: every hour's served, waited, abandoned and total wait equal the
// reference recursion's on the same random numbers. So the engine assigns
// the queue head the moment an agent frees (C5), serves in arrival order
// (Q2) and never leaves an agent idle while a buyer waits.
func TestExactFCFS(t *testing.T) {
	for _, tc := range []struct {
		name     string
		c        int
		rho      float64
		patience time.Duration
	}{
		{"M/M/1", 1, 0.8, 0},
		{"M/M/20", 20, 0.95, 0},
		{"M/M/50", 50, 0.9, 0},
		{"M/M/5+M", 5, 0.9, 3 * time.Minute},
		{"M/M/30+M overloaded", 30, 1.3, 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lambda := tc.rho * float64(tc.c) * 36 // per hour, mean service 100 s
			cfg := Config{
				Arrivals: []float64{lambda},
				Staffing: []int{tc.c},
				Hours:    max(3, int(30_000/lambda)),
				Service:  Exponential(100 * time.Second),
				Seed:     uint64(tc.c),
				Step:     time.Hour,
			}
			if tc.patience > 0 {
				cfg.Patience = Exponential(tc.patience)
			}
			rep, err := Run(cfg)
			require.NoError(t, err)
			served, waited, abandoned, wait := reference(cfg)
			for h, s := range rep.Hours {
				require.Equal(t, served[h], s.Served, "hour %d: served", h)
				require.Equal(t, waited[h], s.Waited, "hour %d: waited", h)
				require.Equal(t, abandoned[h], s.Abandoned, "hour %d: abandoned", h)
				require.InDelta(t, wait[h], s.WaitSeconds, 1e-6*(1+wait[h]), "hour %d: total wait", h)
			}
			assert.Zero(t, rep.overtakes)
			assert.Greater(t, rep.Total.Waited, 0, "the case has a queue")
		})
	}
}
