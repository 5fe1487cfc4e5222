package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/metrics/sim"
	"github.com/kefu-dev/kefu/policy"
)

// Rule E8 on the simulated day: with a queue cap of 8 and a maximum wait
// of 4 minutes, no buyer stays in the queue pool longer than 4 minutes
// and the queue pool never holds more than 8, whatever the diversion;
// the same day without them exceeds both in the evening peak (11 buyers,
// 5m42s), so the bounds are the options', not the day's. The cap bounds new buyers
// only: a session coming back to the queue (S5's requeue, a declined
// offer, a reassignment, E1-E4) or a priority buyer put at its head (P1)
// may exceed it, but the simulator has none of those (its validation
// refuses RequeueOnOffline and E1-E5, and its buyers have no priority).
func TestE8_QueueCapAndMaxWait(t *testing.T) {
	const (
		queueCap = 8
		maxWait  = 4 * time.Minute
	)
	free, err := sim.Run(day())
	require.NoError(t, err)
	assert.Greater(t, free.Total.MaxInQueue, queueCap, "without a cap")
	assert.Greater(t, free.Total.LongestQueueWait, maxWait, "without a maximum wait")
	assert.Zero(t, free.Total.Refused+free.Total.Diverted)

	for _, d := range []policy.Diversion{policy.DivertOffline, policy.DivertBot, policy.DivertRefuse} {
		t.Run(d.String(), func(t *testing.T) {
			cfg := day()
			cfg.Policy.QueueCap, cfg.Policy.MaxWait, cfg.Policy.Divert = queueCap, maxWait, d
			cfg.Policy.AgingStep = 2 * time.Minute // E6: no effect without priorities, allowed
			rep, err := sim.Run(cfg)
			require.NoError(t, err)
			tot := rep.Total
			assert.LessOrEqual(t, tot.MaxInQueue, queueCap)
			assert.Equal(t, queueCap, rep.Hours[20].MaxInQueue, "the peak fills the queue")
			assert.LessOrEqual(t, tot.LongestQueueWait, maxWait)
			for h, s := range rep.Hours {
				assert.LessOrEqual(t, s.MaxInQueue, queueCap, "hour %d", h)
				assert.LessOrEqual(t, s.LongestQueueWait, maxWait, "hour %d", h)
			}
			// Every buyer ends served, abandoned, with the bot, refused
			// or still waiting.
			assert.Equal(t, tot.Arrivals, tot.Served+tot.Abandoned+tot.Bot+tot.Refused+rep.Unfinished)
			assert.Equal(t, rep.Sessions, tot.Arrivals)
			assert.Positive(t, rep.Hours[20].Diverted+rep.Hours[20].Refused)
			switch d {
			case policy.DivertRefuse:
				assert.Positive(t, tot.Refused)
				assert.Zero(t, tot.Diverted)
				assert.Zero(t, tot.Bot)
				assert.Less(t, tot.ServiceLevel(), float64(tot.InTime)/float64(tot.Served+tot.Abandoned),
					"refused buyers count against the service level")
			case policy.DivertBot:
				assert.Equal(t, tot.Diverted, tot.Bot)
				assert.Zero(t, tot.Refused)
			default:
				assert.Positive(t, tot.Diverted)
				assert.Zero(t, tot.Refused+tot.Bot)
				// The offline pool is not bounded: with it, the longest
				// waiting line exceeds the cap.
				assert.Greater(t, tot.MaxQueue, tot.MaxInQueue)
			}
		})
	}
}

// Rule E8's maximum wait alone: the diversion comes at its deadline (the
// simulator advances the engine to each of its timers), so the longest
// wait is the maximum to the nanosecond.
func TestE8_MaxWaitExact(t *testing.T) {
	cfg := day()
	cfg.Policy.MaxWait, cfg.Policy.Divert = 4*time.Minute, policy.DivertRefuse
	rep, err := sim.Run(cfg)
	require.NoError(t, err)
	assert.Equal(t, 4*time.Minute, rep.Total.LongestQueueWait)
	assert.Positive(t, rep.Total.Refused)
	assert.Greater(t, rep.Total.MaxInQueue, 8, "no cap")
}

func TestE9_NotSimulated(t *testing.T) {
	cfg := day()
	cfg.Policy.InactiveAfter = 10 * time.Minute
	_, err := sim.Run(cfg)
	assert.ErrorIs(t, err, sim.ErrInvalidConfig)
}

// Rule E11 on the simulated day: with business hours 09:00-21:00 every
// day and the bot outside them, every buyer who asks before 09:00 or from
// 21:00 on goes to the bot and none is served; inside the hours the bot
// takes nobody (the policy has no bot-first or bot windows). The hours
// are the shop's wall-clock hours in its zone (the day starts at midnight
// China time).
func TestE11_BusinessHoursOnTheSimulatedDay(t *testing.T) {
	cfg := day()
	cfg.Policy.Location = policy.ChinaStandardTime()
	h := &policy.Hours{Outside: policy.OutsideToBot}
	for d := range h.Week {
		h.Week[d] = []policy.Span{{Start: 9 * time.Hour, End: 21 * time.Hour}}
	}
	cfg.Policy.Hours = h
	rep, err := sim.Run(cfg)
	require.NoError(t, err)
	inside, outside := 0, 0
	for hour, s := range rep.Hours {
		if hour < 9 || hour >= 21 {
			assert.Equal(t, s.Arrivals, s.Bot, "hour %d: closed, every buyer to the bot", hour)
			assert.Zero(t, s.Served+s.Abandoned, "hour %d", hour)
			outside += s.Arrivals
		} else {
			assert.Zero(t, s.Bot, "hour %d: open", hour)
			inside += s.Arrivals
		}
	}
	require.Positive(t, outside, "the day has buyers outside the hours")
	require.Positive(t, inside)
	require.Zero(t, cfg.Warmup)
	assert.Equal(t, outside, rep.Total.Bot, "the day's bot sessions are those outside the hours")
}
