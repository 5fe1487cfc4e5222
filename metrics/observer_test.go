package metrics_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
	"github.com/kefu-dev/kefu/policy"
)

// The recorder as the engine's observer, saved inside the engine's
// snapshot at random points of a simulated run (across midnight, with
// ratings and Advance calls) and restored with dispatch.Restore into a
// new recorder: at the end, the restored pair answers every query
// (hourly reports, reply rates, reviews, panels, alerts, attitude) as
// the pair that never stopped, and both snapshot to the same bytes.
func TestObserver_RestoredAnywhereAnswersAsTheUninterrupted(t *testing.T) {
	kuaishou, douyin := busyPolicies()
	// The engine's days in UTC: a policy's time zone does not survive the
	// engine's snapshot yet (policy's JSON encoding writes a
	// *time.Location as {}; dispatch's TestShops_MoveAShop fails on it),
	// and the recorder's own zone is not the point here.
	kuaishou.Location, douyin.Location = nil, nil
	hours, _ := metrics.HoursBetween(8, 23)
	optionSets := [][]metrics.Option{
		nil,
		{metrics.WithWindow(2 * time.Minute), metrics.WithSlowReply(5*time.Minute, 4*time.Minute)},
		{metrics.WithCountedHours(hours), metrics.WithTiers(metrics.Tier{Name: "minor", Over: 0.06})},
	}
	seeds, start, end := 4, at("06:00:00"), at("+1 02:00:00")
	if testing.Short() {
		seeds, start = 2, at("20:00:00")
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		pol := []policy.Policy{kuaishou, douyin}[seed%2]
		opts := optionSets[seed%uint64(len(optionSets))]
		plain := newObservedSim(t, seed, pol, opts...)
		restarted := newObservedSim(t, seed, pol, opts...)
		rnd := rand.New(rand.NewPCG(seed, 4242))
		restarts := 0
		for now := start; now.Before(end); now = now.Add(tick) {
			plain.step(now)
			restarted.step(now)
			if rnd.IntN(200) == 0 {
				restarted.restart()
				restarts++
			}
		}
		last := end.Add(-tick)
		require.Positive(t, restarts)
		require.Equal(t, plain.eng.Sessions(), restarted.eng.Sessions(), "seed %d", seed)
		want := collect(plain.rec, day0, day0.AddDays(1), last)
		assert.Equal(t, want, collect(restarted.rec, day0, day0.AddDays(1), last), "seed %d after %d restarts", seed, restarts)
		wantBytes, err := plain.rec.Snapshot()
		require.NoError(t, err)
		gotBytes, err := restarted.rec.Snapshot()
		require.NoError(t, err)
		assert.Equal(t, string(wantBytes), string(gotBytes), "seed %d", seed)
		require.NoError(t, metrics.VerifyForTest(restarted.rec))
		require.Positive(t, want.Replies[len(want.Replies)-1].Shop.ReplyRate.Den)
		require.NotEmpty(t, want.Reviews[len(want.Reviews)-1].Rated)
		t.Logf("seed %d: %d restarts, %d open", seed, restarts, restarted.rec.Open())
	}
}

// UnmarshalBinary replaces the whole state of a recorder made by New, and
// keeps its time zone and options; bad bytes leave it unchanged.
func TestRecorder_UnmarshalBinary(t *testing.T) {
	src := feed(t, nil,
		ev(dispatch.EventAssigned, "09:00:00", "s1", "a", "09:00:00"),
		ev(dispatch.EventQueued, "09:01:00", "s2", "", "09:01:00"),
	)
	data, err := src.MarshalBinary()
	require.NoError(t, err)
	snap, err := src.Snapshot()
	require.NoError(t, err)
	require.Equal(t, string(snap), string(data), "MarshalBinary is Snapshot")

	dst := feed(t, []metrics.Option{metrics.WithWindow(time.Minute)},
		ev(dispatch.EventAssigned, "+1 10:00:00", "x", "b", "+1 10:00:00"))
	before, err := dst.Snapshot()
	require.NoError(t, err)
	for _, bad := range [][]byte{nil, data[:len(data)-1], []byte("kefu-metrics-snapshot 9 00000000\n{}")} {
		assert.Error(t, dst.UnmarshalBinary(bad))
		after, err := dst.Snapshot()
		require.NoError(t, err)
		assert.Equal(t, string(before), string(after), "unchanged after a failed load")
	}

	require.NoError(t, dst.UnmarshalBinary(data))
	assert.Equal(t, 2, dst.Open())
	assert.Equal(t, at("09:01:00"), dst.Now())
	assert.Equal(t, metrics.Hourly{Date: day0.AddDays(1), Hours: src.Hourly(day0.AddDays(1)).Hours, Total: metrics.Hour{Hour: -1}},
		dst.Hourly(day0.AddDays(1)), "the day of its own events is gone")
	assert.Equal(t, src.Hourly(day0), dst.Hourly(day0))
	assert.Equal(t, time.Minute, dst.Window(), "its options are kept")
	dst.Advance(at("09:10:00")) // the running windows go on
	assert.Equal(t, metrics.Rate{Den: 2}, dst.Replies(day0, day0).Shop.ReplyRate)

	var zero metrics.Recorder
	assert.ErrorIs(t, zero.UnmarshalBinary(data), metrics.ErrNilLocation)
}
