package kefuprom_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
	kefuprom "github.com/kefu-dev/kefu/metrics/prometheus"
	"github.com/kefu-dev/kefu/metrics/sim"
	"github.com/kefu-dev/kefu/policy"
)

// simDay is examples/simulate's day: a Douyin shop on Double 11, thin
// staffing at the evening live-stream peak, five chats per agent,
// buyers who give up after 4 minutes on average, and nobody online
// 03:00-06:00 (the offline pool); plus a bot window sending a fifth of
// the buyers to the bot 20:00-22:00 (B2).
func simDay() sim.Config {
	p := policy.Douyin()
	p.BuyerIdleClose, p.AgentIdleClose = 0, 0 // the simulator closes chats
	p.BotWindows = []policy.Window{{Start: 20 * time.Hour, End: 22 * time.Hour, Share: 0.2}}
	return sim.Config{
		Start: time.Date(2026, 11, 11, 0, 0, 0, 0, policy.ChinaStandardTime()),
		Arrivals: []float64{
			60, 30, 15, 10, 8, 10, 20, 40, 80, 120, 150, 160,
			140, 130, 150, 160, 150, 140, 200, 480, 620, 650, 520, 180,
		},
		Staffing: []int{
			3, 2, 1, 0, 0, 0, 1, 2, 4, 6, 7, 7,
			6, 6, 7, 7, 7, 6, 9, 16, 20, 20, 18, 7,
		},
		Cap:      5,
		Service:  sim.LogNormal(10*time.Minute, 0.8),
		Patience: sim.Exponential(4 * time.Minute),
		Seed:     1,
		Policy:   p,
	}
}

// The exposition of a simulated day tells the same story as the metrics
// recorder that watched it (the engine's observer): the counts they both
// have are equal. The exposition is of the engine's Stats at the end of
// the run (sim.Report.Engine); the recorder's hourly reports are summed
// over every date the run touched (sessions still open at midnight end
// the next day).
//
// What corresponds, in this simulation (no session is requeued,
// transferred, started by an agent or handed over by the bot, so each
// session enters an agent's list at most once):
//
//   - kefu_sessions_arrived_total - kefu_sessions_left_total = Σ Hour.Consultations
//     (a buyer who left a pool before any agent received them is not a
//     consultation, Q3);
//   - Σ_cause kefu_sessions_assigned_total = Σ Hour.Human (first
//     receptions);
//   - kefu_sessions_queued_total = Σ Hour.Queued;
//   - kefu_sessions_bot_total = Σ Hour.Bot;
//   - kefu_sessions_left_total = Σ Hour.Left;
//   - kefu_first_reply_seconds_count = Replies.Shop.FirstResponse.Count,
//     and the sums (both 0: the simulator sends no messages);
//   - the gauges kefu_sessions{place=…} = the panel's in reception,
//     queued, offline and bot at the end.
//
// And with the simulator's own report: arrived = Report.Sessions,
// assigned = Σ Served, left + expired = Σ Abandoned, bot = Σ Bot, and
// kefu_wait_seconds_sum = Σ WaitSeconds.
func TestCollector_SimulatedDay(t *testing.T) {
	cfg := simDay()
	loc := cfg.Start.Location()
	rec, err := metrics.New(loc)
	require.NoError(t, err)
	cfg.Options = []dispatch.Option{dispatch.WithObserver("metrics", rec)}
	rep, err := sim.Run(cfg)
	require.NoError(t, err)

	got := samples(gather(t, kefuprom.New(kefuprom.SourceFunc(func() dispatch.Stats { return rep.Engine }))))
	for _, k := range []string{`kefu_sessions_started_total`, `kefu_sessions_transferred_total`,
		`kefu_sessions_assigned_total{cause="handover"}`, `kefu_sessions_assigned_total{cause="manual"}`} {
		require.Zero(t, got[k], "%s: each session enters an agent's list at most once", k)
	}

	var day metrics.Hour
	first := metrics.DateOf(cfg.Start, loc)
	last := rec.DateOf(rec.Now())
	require.False(t, last.Before(first))
	for d := first; !last.Before(d); d = d.AddDays(1) {
		h := rec.Hourly(d).Total
		day.Consultations += h.Consultations
		day.Human += h.Human
		day.Queued += h.Queued
		day.Bot += h.Bot
		day.Left += h.Left
	}
	replies := rec.Replies(first, last)
	panel := rec.Panel(rec.Now())
	t.Logf("%d sessions, %s to %s: %+v", rep.Sessions, first, last, day)

	assigned := 0.0
	for _, c := range []string{"arrival", "freed", "no-queue", "manual", "started", "priority", "exclusive", "handover"} {
		assigned += got[`kefu_sessions_assigned_total{cause="`+c+`"}`]
	}
	for name, c := range map[string]struct{ metric, recorder float64 }{
		"arrived - left = consultations": {got[`kefu_sessions_arrived_total`] - got[`kefu_sessions_left_total`], float64(day.Consultations)},
		"assigned = human receptions":    {assigned, float64(day.Human)},
		"queued":                         {got[`kefu_sessions_queued_total`], float64(day.Queued)},
		"bot":                            {got[`kefu_sessions_bot_total`], float64(day.Bot)},
		"left":                           {got[`kefu_sessions_left_total`], float64(day.Left)},
		"first replies":                  {got[`kefu_first_reply_seconds_count`], float64(replies.Shop.FirstResponse.Count)},
		"first reply time":               {got[`kefu_first_reply_seconds_sum`], replies.Shop.FirstResponse.Total.Seconds()},
		"in reception now":               {got[`kefu_sessions{place="agent"}`], float64(panel.Shop.InReception)},
		"queue now":                      {got[`kefu_sessions{place="queue"}`], float64(panel.Shop.Queued)},
		"offline pool now":               {got[`kefu_sessions{place="offline"}`], float64(panel.Shop.Offline)},
		"bot now":                        {got[`kefu_sessions{place="bot"}`], float64(panel.Bot)},
	} {
		assert.Equal(t, c.recorder, c.metric, name)
	}

	var served, abandoned, bot int
	var wait float64
	for _, h := range rep.Hours {
		served += h.Served
		abandoned += h.Abandoned
		bot += h.Bot
		wait += h.WaitSeconds
	}
	assert.Equal(t, float64(rep.Sessions), got[`kefu_sessions_arrived_total`], "arrived = the simulator's sessions")
	assert.Equal(t, float64(served), assigned, "assigned = served")
	assert.Equal(t, float64(abandoned), got[`kefu_sessions_left_total`]+got[`kefu_sessions_expired_total`], "left + expired = abandoned")
	assert.Equal(t, float64(bot), got[`kefu_sessions_bot_total`], "bot")
	assert.InEpsilon(t, wait, got[`kefu_wait_seconds_sum`], 1e-9, "total wait")

	// A busy day: every count compared is well above zero, but for the
	// messages the simulator does not send.
	for _, k := range []string{`kefu_sessions_arrived_total`, `kefu_sessions_queued_total`, `kefu_sessions_offline_total`,
		`kefu_sessions_bot_total`, `kefu_sessions_left_total`, `kefu_sessions_assigned_total{cause="freed"}`} {
		assert.Greater(t, got[k], 20.0, k)
	}
}
