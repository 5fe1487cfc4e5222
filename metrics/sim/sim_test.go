package sim_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/metrics/queueing"
	"github.com/kefu-dev/kefu/metrics/sim"
	"github.com/kefu-dev/kefu/policy"
)

var t0 = time.Date(2026, 11, 11, 0, 0, 0, 0, policy.ChinaStandardTime())

// day is a small day: nobody online 02:00-06:00 (the offline pool), a peak
// in the evening, cap 3, impatient buyers.
func day() sim.Config {
	return sim.Config{
		Start:    t0,
		Arrivals: []float64{6, 4, 2, 1, 1, 2, 4, 8, 12, 16, 16, 14, 12, 12, 14, 16, 16, 18, 24, 60, 110, 100, 40, 12},
		Staffing: []int{2, 1, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 5, 5, 4, 2},
		Cap:      3,
		Service:  sim.LogNormal(8*time.Minute, 1),
		Patience: sim.Exponential(10 * time.Minute),
		Seed:     42,
		Policy:   policy.Policy{Capacity: agent.DouyinBounds()},
	}
}

func TestRunDay(t *testing.T) {
	rep, err := sim.Run(day())
	require.NoError(t, err)
	require.Len(t, rep.Hours, 24)
	require.Len(t, rep.Timeline, 24*60)

	var sum sim.Stats
	for h, s := range rep.Hours {
		assert.Equal(t, t0.Add(time.Duration(h)*time.Hour), s.Start, "hour %d", h)
		assert.Equal(t, day().Staffing[h], s.Staffed, "hour %d: staffed as planned", h)
		assert.LessOrEqual(t, s.Waited, s.Served, "hour %d", h)
		assert.LessOrEqual(t, s.InTime, s.Served, "hour %d", h)
		assert.LessOrEqual(t, s.Occupancy(), 1.0, "hour %d", h)
		if s.Staffed == 0 {
			assert.Zero(t, s.StaffedSeconds, "hour %d", h)
		}
		sum.Arrivals += s.Arrivals
		sum.Served += s.Served
		sum.Abandoned += s.Abandoned
		sum.Waited += s.Waited
		sum.InTime += s.InTime
		sum.BusySeconds += s.BusySeconds
		sum.StaffedSeconds += s.StaffedSeconds
	}
	// No warm-up: the total is the sum of the hours, and no session is
	// lost (rule: every session ends served, abandoned or still waiting).
	tot := rep.Total
	assert.Equal(t, sum.Arrivals, tot.Arrivals)
	assert.Equal(t, sum.Served, tot.Served)
	assert.Equal(t, sum.Abandoned, tot.Abandoned)
	assert.Equal(t, sum.Waited, tot.Waited)
	assert.Equal(t, sum.InTime, tot.InTime)
	assert.InDelta(t, sum.BusySeconds, tot.BusySeconds, 1e-6)
	assert.InDelta(t, sum.StaffedSeconds, tot.StaffedSeconds, 1e-6)
	assert.Equal(t, rep.Sessions, tot.Arrivals)
	assert.Equal(t, tot.Arrivals, tot.Served+tot.Abandoned+rep.Unfinished)
	agentHours := 0
	for _, n := range day().Staffing {
		agentHours += n
	}
	assert.InDelta(t, float64(agentHours)*3600, tot.StaffedSeconds, 1e-6, "Σ staffing")

	// Nobody online 02:00-06:00: arrivals wait in the offline pool and are
	// served (or leave) after 06:00.
	for h := 2; h < 6; h++ {
		assert.Zero(t, rep.Hours[h].StaffedSeconds)
		assert.Zero(t, rep.Hours[h].BusySeconds)
		if rep.Hours[h].Served > 0 {
			assert.Equal(t, rep.Hours[h].Served, rep.Hours[h].Waited, "hour %d: everyone served waited", h)
		}
	}
	// The evening peak queues, and buyers give up.
	assert.Greater(t, rep.Hours[20].MaxQueue, rep.Hours[9].MaxQueue)
	assert.Greater(t, rep.Hours[20].Abandoned, 0)

	for i, s := range rep.Timeline {
		assert.Equal(t, time.Duration(i)*time.Minute, s.At)
		assert.Equal(t, day().Staffing[i/60], s.Staffed, "minute %d", i)
		assert.LessOrEqual(t, s.MaxQueue, rep.Hours[i/60].MaxQueue)
	}
}

func TestRunDeterministic(t *testing.T) {
	a, err := sim.Run(day())
	require.NoError(t, err)
	b, err := sim.Run(day())
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.Equal(t, a.String(), b.String())

	other := day()
	other.Seed++
	c, err := sim.Run(other)
	require.NoError(t, err)
	assert.NotEqual(t, a.Total, c.Total, "another seed, another day")
}

// TestRunErlangSmall is a quick Erlang C check (the full validation is
// TestErlangValidation): M/M/3 at ρ = 0.7 over 100k sessions.
func TestRunErlangSmall(t *testing.T) {
	rep, err := sim.Run(stationary(3, 0.7, 100_000, 0, 3))
	require.NoError(t, err)
	pw, _ := queueing.ErlangC(3, 2.1)
	asa, _ := queueing.ASA(3, 0.021, 0.01)
	assert.InDelta(t, pw, rep.Total.PWait(), 0.02)
	assert.InEpsilon(t, asa, rep.Total.ASASeconds(), 0.1)
	assert.InDelta(t, 0.7, rep.Total.Occupancy(), 0.02)
	assert.Zero(t, rep.Total.Abandoned)
	assert.Zero(t, rep.Unfinished)
}

func TestWarmup(t *testing.T) {
	cfg := stationary(2, 0.5, 2000, 0, 1)
	cfg.Hours = 10
	cfg.Warmup = 3 * time.Hour
	rep, err := sim.Run(cfg)
	require.NoError(t, err)
	late := 0
	for _, h := range rep.Hours[3:] {
		late += h.Arrivals
	}
	assert.Equal(t, late, rep.Total.Arrivals)
	assert.InDelta(t, 7*2*3600.0, rep.Total.StaffedSeconds, 1e-6)
	assert.Less(t, rep.Total.Arrivals, rep.Sessions)
}

func TestNoQueueOverCap(t *testing.T) {
	// Douyin's no-queue mode (Q4): nobody waits, agents go over their cap,
	// occupancy (load/cap, at most 1 each) saturates.
	cfg := stationary(2, 3, 20_000, 0, 5)
	cfg.Cap = 1
	cfg.Policy = policy.Policy{NoQueue: true}
	rep, err := sim.Run(cfg)
	require.NoError(t, err)
	assert.Zero(t, rep.Total.Waited)
	assert.Zero(t, rep.Total.MaxQueue)
	assert.Equal(t, rep.Total.Arrivals, rep.Total.Served)
	assert.Greater(t, rep.Total.Occupancy(), 0.95)
}

func TestBotShare(t *testing.T) {
	cfg := stationary(5, 0.5, 20_000, 0, 1)
	cfg.Policy = policy.Policy{BotWindows: []policy.Window{{Start: 0, End: 24 * time.Hour, Share: 0.6}}}
	rep, err := sim.Run(cfg)
	require.NoError(t, err)
	tot := rep.Total
	assert.InDelta(t, 0.6, float64(tot.Bot)/float64(tot.Arrivals), 0.02, "60%% to the bot (B2)")
	assert.Equal(t, tot.Arrivals, tot.Served+tot.Bot)
	assert.Contains(t, rep.String(), "bot")
}

func TestInvalidConfig(t *testing.T) {
	ok := day()
	tests := []struct {
		name string
		edit func(*sim.Config)
		want error
	}{
		{"no arrivals", func(c *sim.Config) { c.Arrivals = nil }, sim.ErrInvalidConfig},
		{"negative rate", func(c *sim.Config) { c.Arrivals = []float64{-1} }, sim.ErrInvalidConfig},
		{"NaN rate", func(c *sim.Config) { c.Arrivals = []float64{math.NaN()} }, sim.ErrInvalidConfig},
		{"no staffing", func(c *sim.Config) { c.Staffing = nil }, sim.ErrInvalidConfig},
		{"negative staffing", func(c *sim.Config) { c.Staffing = []int{1, -1} }, sim.ErrInvalidConfig},
		{"negative hours", func(c *sim.Config) { c.Hours = -1 }, sim.ErrInvalidConfig},
		{"negative cap", func(c *sim.Config) { c.Cap = -1 }, sim.ErrInvalidConfig},
		{"no service", func(c *sim.Config) { c.Service = nil }, sim.ErrInvalidConfig},
		{"zero service", func(c *sim.Config) { c.Service = sim.Fixed(0) }, sim.ErrInvalidConfig},
		{"zero patience", func(c *sim.Config) { c.Patience = sim.Exponential(0) }, sim.ErrInvalidConfig},
		{"negative warm-up", func(c *sim.Config) { c.Warmup = -time.Second }, sim.ErrInvalidConfig},
		{"negative threshold", func(c *sim.Config) { c.AnswerWithin = -time.Second }, sim.ErrInvalidConfig},
		{"step", func(c *sim.Config) { c.Step = 7 * time.Minute }, sim.ErrInvalidConfig},
		{"idle close", func(c *sim.Config) { c.Policy = policy.Douyin() }, sim.ErrInvalidConfig},
		{"requeue", func(c *sim.Config) { c.Policy.RequeueOnOffline = true }, sim.ErrInvalidConfig},
		{"offers", func(c *sim.Config) { c.Policy.OfferTimeout = time.Minute }, sim.ErrInvalidConfig},
		{"reassign", func(c *sim.Config) { c.Policy.ReassignAfter = 3 * time.Minute }, sim.ErrInvalidConfig},
		{"reassign on offline", func(c *sim.Config) { c.Policy.ReassignOnOffline = true }, sim.ErrInvalidConfig},
		{"wrap-up", func(c *sim.Config) { c.Policy.WrapUp = time.Minute }, sim.ErrInvalidConfig},
		{"cap out of bounds", func(c *sim.Config) { c.Cap = 201 }, agent.ErrCapacityOutOfRange},
		{"invalid policy", func(c *sim.Config) { c.Policy.Strategy = 9 }, policy.ErrInvalid},
	}
	for _, tt := range tests {
		cfg := ok
		tt.edit(&cfg)
		_, err := sim.Run(cfg)
		assert.ErrorIs(t, err, tt.want, tt.name)
	}
}

func TestSuggestStaffing(t *testing.T) {
	cfg := day()
	got, err := sim.SuggestStaffing(cfg, 0.8)
	require.NoError(t, err)
	require.Len(t, got, 24)
	for h, l := range cfg.Arrivals {
		want, err := queueing.StaffingFor(l/3600, 1/(8*time.Minute).Seconds(), 0.8, 180)
		require.NoError(t, err)
		assert.Equal(t, want, got[h], "hour %d", h)
	}
	_, err = sim.SuggestStaffing(cfg, 1)
	assert.ErrorIs(t, err, sim.ErrInvalidConfig)
	cfg.Service = nil
	_, err = sim.SuggestStaffing(cfg, 0.8)
	assert.ErrorIs(t, err, sim.ErrInvalidConfig)
}

func TestDists(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, d := range []sim.Dist{
		sim.Exponential(time.Minute), sim.Fixed(time.Minute),
		sim.LogNormal(time.Minute, 0.5), sim.LogNormal(time.Minute, 2), sim.LogNormal(time.Minute, 0),
	} {
		assert.Equal(t, time.Minute, d.Mean())
		sum, least := 0.0, time.Duration(math.MaxInt64)
		const n = 200_000
		for range n {
			v := d.Sample(r)
			least = min(least, v)
			sum += v.Seconds()
		}
		assert.GreaterOrEqual(t, least, time.Duration(0))
		assert.InEpsilon(t, 60, sum/n, 0.03, "%T", d)
	}
}

func TestString(t *testing.T) {
	rep, err := sim.Run(day())
	require.NoError(t, err)
	s := rep.String()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	require.Len(t, lines, 1+24+1)
	assert.Contains(t, lines[0], "P(wait)")
	assert.Contains(t, lines[0], "SL180s")
	assert.True(t, strings.HasPrefix(lines[1], "00:00"))
	assert.True(t, strings.HasPrefix(lines[25], "total"))
}

// TestWriteSVG: the chart is well-formed XML with an svg root and the two
// series.
func TestWriteSVG(t *testing.T) {
	rep, err := sim.Run(day())
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, rep.WriteSVG(&buf))
	checkSVG(t, buf.Bytes())

	// A long run is merged to at most 2000 points per series.
	long := stationary(2, 0.5, 50_000, 0, 1)
	long.Step = time.Minute
	rep, err = sim.Run(long)
	require.NoError(t, err)
	buf.Reset()
	require.NoError(t, rep.WriteSVG(&buf))
	checkSVG(t, buf.Bytes())

	// Write errors come back.
	assert.Error(t, rep.WriteSVG(failWriter{}))
}

func checkSVG(t *testing.T, b []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	polylines, root := 0, ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			if se.Name.Local == "polyline" {
				polylines++
				for _, a := range se.Attr {
					if a.Name.Local == "points" {
						assert.LessOrEqual(t, len(strings.Fields(a.Value)), 2*2000+2)
					}
				}
			}
		}
	}
	assert.Equal(t, "svg", root)
	assert.Equal(t, 2, polylines)
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
