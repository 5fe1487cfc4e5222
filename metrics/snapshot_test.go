package metrics_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
	"github.com/kefu-dev/kefu/policy"
)

// reports is what every public query of a recorder answers over the days
// and months of a run: what a restored recorder must answer as its
// original did.
type reports struct {
	Now       time.Time
	Open      int
	Loc       string
	Window    time.Duration
	Counted   metrics.Hours
	Hourly    []metrics.Hourly
	Replies   []metrics.Replies
	Reviews   []metrics.Reviews
	Alerts    [][]metrics.Alert
	Attitude  []metrics.Attitude
	Panels    []metrics.Panel
	Overdue   [][]metrics.Alert
	Dashboard string
	Text      []string
}

// collect asks r every query about the days from..to (and the day each
// side), their months, and now.
func collect(r *metrics.Recorder, from, to metrics.Date, now time.Time) reports {
	out := reports{Now: r.Now().In(time.UTC), Open: r.Open(), Loc: r.Location().String(), Window: r.Window(),
		Counted: r.CountedHours()}
	for d := from.AddDays(-1); !to.AddDays(1).Before(d); d = d.AddDays(1) {
		out.Hourly = append(out.Hourly, r.Hourly(d))
		out.Replies = append(out.Replies, r.Replies(d, d))
		out.Reviews = append(out.Reviews, r.Reviews(d, d))
		out.Alerts = append(out.Alerts, r.Alerts(d, d))
		out.Panels = append(out.Panels, r.Panel(d.Start(cst).Add(12*time.Hour)))
		if d.Day == 1 || d == from.AddDays(-1) {
			out.Attitude = append(out.Attitude, r.Attitude(d.Year, d.Month))
		}
		out.Text = append(out.Text, r.Hourly(d).String(), r.Replies(d, d).String(), r.Reviews(d, d).String())
	}
	out.Replies = append(out.Replies, r.Replies(from, to))
	out.Reviews = append(out.Reviews, r.Reviews(from, to))
	out.Alerts = append(out.Alerts, r.Alerts(from, to))
	out.Panels = append(out.Panels, r.Panel(now))
	for _, dt := range []time.Duration{0, 10 * time.Minute, 2 * time.Hour} {
		out.Overdue = append(out.Overdue, r.Overdue(now.Add(dt)))
	}
	out.Dashboard = r.Dashboard(now).String()
	for _, a := range out.Attitude {
		out.Text = append(out.Text, a.String())
	}
	return out
}

// restore snapshots r, restores it with opts and checks that the copy
// snapshots to the same bytes.
func restore(t *testing.T, r *metrics.Recorder, opts ...metrics.Option) *metrics.Recorder {
	t.Helper()
	data, err := r.Snapshot()
	require.NoError(t, err)
	c, err := metrics.Restore(cst, data, opts...)
	require.NoError(t, err)
	again, err := c.Snapshot()
	require.NoError(t, err)
	require.Equal(t, string(data), string(again), "snapshot → restore → snapshot")
	require.NoError(t, metrics.VerifyForTest(c))
	return c
}

// lateRating is a rating given up to 40 days before now: some land on
// earlier days, in last month, or on forgotten days.
func lateRating(rnd *rand.Rand, now time.Time) metrics.Rating {
	x := metrics.Rating{
		Session: fmt.Sprint("late", rnd.IntN(1000)), Buyer: fmt.Sprint("b", rnd.IntN(50)),
		Level: metrics.Level(1 + rnd.IntN(3)), Reasons: metrics.Reason(rnd.IntN(16)),
		Source: metrics.Source(1 + rnd.IntN(3)), At: now.Add(-time.Duration(rnd.Int64N(int64(40 * 24 * time.Hour)))),
	}
	if rnd.IntN(4) == 0 {
		x.Bot = true
	} else {
		x.Agent = shifts[rnd.IntN(len(shifts))].id
	}
	return x
}

// A recorder restored from a snapshot taken anywhere in a random run (a
// simulated shop on the engine, ratings, late ratings, time jumps, a
// Forget) answers every query as the original, after both are fed the
// rest of the run: the same events, ratings and Advance calls. Some
// copies are restored from copies. Copies restored with other options,
// or corrupted on purpose, answer differently: the comparison is not
// vacuous.
func TestSnapshot_RestoredRecorderAnswersAsTheOriginal(t *testing.T) {
	kuaishou, douyin := busyPolicies()
	hours, _ := metrics.HoursBetween(8, 23)
	optionSets := [][]metrics.Option{
		nil,
		{metrics.WithWindow(2 * time.Minute), metrics.WithSlowReply(5*time.Minute, 4*time.Minute)},
		{metrics.WithCountedHours(hours), metrics.WithTiers(metrics.Tier{Name: "minor", Over: 0.06})},
	}
	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		pol := []policy.Policy{kuaishou, douyin}[seed%2]
		opts := optionSets[seed%uint64(len(optionSets))]
		s := newSim(t, seed, pol, opts...)
		rnd := rand.New(rand.NewPCG(seed, 1111))
		start := at("00:00:00").Add(time.Duration(rnd.IntN(13)) * time.Hour)
		if testing.Short() {
			start = at("18:00:00")
		}
		end, forgetAt, offAt := at("+1 12:00:00"), at("+1 00:05:00"), at("+1 10:00:00")
		var cuts []time.Time // snapshot points, every 40 minutes to 8 hours
		for c := start.Add(time.Duration(rnd.Int64N(int64(2 * time.Hour)))); c.Before(end); c = c.Add(40*time.Minute + time.Duration(rnd.Int64N(int64(7*time.Hour)))) {
			cuts = append(cuts, c)
		}
		var good, off []*metrics.Recorder // copies; copies with other options, or corrupted
		for now := start; now.Before(end); {
			s.step(now)
			if rnd.IntN(100) == 0 {
				s.rate(lateRating(rnd, now))
			}
			if len(cuts) > 0 && !now.Before(cuts[0]) {
				from := s.rec // or a copy: copies of copies
				if len(good) > 0 && rnd.IntN(2) == 0 {
					from = good[rnd.IntN(len(good))]
				}
				c := restore(t, from, opts...)
				good = append(good, c)
				s.twin = append(s.twin, c)
				cuts = cuts[1:]
			}
			if !now.Before(forgetAt) && !forgetAt.IsZero() {
				floor := day0.AddDays(-20)
				if seed%2 == 1 {
					floor = day0.AddDays(1) // open sessions still count on day0: forgotten under them
				}
				for _, r := range append([]*metrics.Recorder{s.rec}, s.twin...) {
					r.Forget(floor)
				}
				forgetAt = time.Time{}
			}
			if !now.Before(offAt) && off == nil && s.rec.Panel(now).Shop.Unreplied > 0 { // a wait to corrupt
				other := append(append([]metrics.Option(nil), opts...), metrics.WithWindow(s.rec.Window()/2))
				off = []*metrics.Recorder{restore(t, s.rec, other...), restore(t, s.rec, opts...), restore(t, s.rec, opts...)}
				metrics.MutateForTest(off[1], "hour")
				metrics.MutateForTest(off[2], "wait")
				s.twin = append(s.twin, off...)
			}
			now = now.Add(tick)
			if rnd.IntN(400) == 0 { // nothing happens until the next hour
				now = now.Truncate(time.Hour).Add(time.Hour)
			}
		}
		last := end.Add(-tick)
		from, to := day0.AddDays(-41), day0.AddDays(1)
		want := collect(s.rec, from, to, last)
		wantBytes, err := s.rec.Snapshot()
		require.NoError(t, err)
		t.Logf("seed %d: %d copies, final snapshot %d bytes, %d open", seed, len(good), len(wantBytes), s.rec.Open())
		require.NotEmpty(t, good)
		require.Len(t, off, 3)
		require.NoError(t, metrics.VerifyForTest(s.rec))
		for i, r := range good {
			require.NoError(t, metrics.VerifyForTest(r), "seed %d copy %d", seed, i)
			require.Equal(t, want, collect(r, from, to, last), "seed %d copy %d", seed, i)
			gotBytes, err := r.Snapshot()
			require.NoError(t, err)
			require.Equal(t, string(wantBytes), string(gotBytes), "seed %d copy %d: final state", seed, i)
		}
		for i, r := range off {
			require.NoError(t, metrics.VerifyForTest(r), "seed %d", seed)
			assert.False(t, reflect.DeepEqual(want, collect(r, from, to, last)),
				"seed %d: the copy %s answers as the original", seed, []string{"with half the window", "with a count changed", "with waits changed"}[i])
		}
		require.NotEmpty(t, want.Attitude)
		require.Positive(t, want.Replies[len(want.Replies)-1].Shop.ReplyRate.Den)
	}
}

// sampleSnapshot is a snapshot of a recorder a short simulated morning
// fed, with open sessions everywhere.
func sampleSnapshot(t *testing.T) []byte {
	t.Helper()
	s := newSim(t, 5, policy.Kuaishou())
	for now := at("06:30:00"); now.Before(at("09:00:00")); now = now.Add(tick) {
		s.step(now)
	}
	require.Positive(t, s.rec.Open())
	data, err := s.rec.Snapshot()
	require.NoError(t, err)
	return data
}

// Truncated at any length, or with any byte altered: an error, never a
// panic, never a recorder; so are a future version, an engine's snapshot,
// a nil time zone and bad options.
func TestRestore_CorruptOrTruncated(t *testing.T) {
	data := sampleSnapshot(t)
	_, err := metrics.Restore(cst, data)
	require.NoError(t, err)
	step := 1
	if testing.Short() {
		step = 7
	}
	for n := 0; n < len(data); n += step {
		r, err := metrics.Restore(cst, data[:n])
		require.ErrorIs(t, err, metrics.ErrCorruptSnapshot, "truncated to %d", n)
		require.Nil(t, r)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 500; i++ {
		bad := bytes.Clone(data)
		j := rnd.IntN(len(bad))
		bad[j] ^= byte(1 + rnd.IntN(255))
		r, err := metrics.Restore(cst, bad)
		if err == nil { // e.g. the version's digit made a leading zero
			require.NoError(t, metrics.VerifyForTest(r))
			continue
		}
		require.Nil(t, r)
		assert.True(t, errors.Is(err, metrics.ErrCorruptSnapshot) || errors.Is(err, metrics.ErrSnapshotVersion), "flip at %d: %v", j, err)
	}

	_, body, _ := bytes.Cut(data, []byte("\n"))
	for _, c := range []struct {
		name string
		data []byte
		want error
	}{
		{"future version", append([]byte("kefu-metrics-snapshot 2 00000000\n"), body...), metrics.ErrSnapshotVersion},
		{"version 0", append([]byte("kefu-metrics-snapshot 0 00000000\n"), body...), metrics.ErrSnapshotVersion},
		{"wrong magic", append([]byte("kefu-metricz-snapshot 1 00000000\n"), body...), metrics.ErrCorruptSnapshot},
		{"bad checksum", append([]byte("kefu-metrics-snapshot 1 00000000\n"), body...), metrics.ErrCorruptSnapshot},
		{"no header", body, metrics.ErrCorruptSnapshot},
		{"empty", nil, metrics.ErrCorruptSnapshot},
		{"an engine's snapshot", engineSnapshot(t), metrics.ErrCorruptSnapshot},
	} {
		r, err := metrics.Restore(cst, c.data)
		assert.ErrorIs(t, err, c.want, c.name)
		assert.Nil(t, r, c.name)
	}
	r, err := metrics.Restore(nil, data)
	assert.ErrorIs(t, err, metrics.ErrNilLocation)
	assert.Nil(t, r)
	r, err = metrics.Restore(cst, data, metrics.WithWindow(-time.Second))
	assert.ErrorIs(t, err, metrics.ErrInvalidWindow)
	assert.Nil(t, r)
}

func engineSnapshot(t *testing.T) []byte {
	eng, err := dispatch.New(policy.Policy{})
	require.NoError(t, err)
	_, err = eng.AddAgent(at("09:00:00"), "a", dispatch.AgentConfig{Capacity: agent.Limit(3)})
	require.NoError(t, err)
	data, err := eng.Snapshot()
	require.NoError(t, err)
	return data
}

// A new recorder's snapshot restores to an empty recorder; Now stays
// zero until the first event.
func TestSnapshot_Empty(t *testing.T) {
	rec, err := metrics.New(cst)
	require.NoError(t, err)
	c := restore(t, rec)
	assert.True(t, c.Now().IsZero())
	assert.Equal(t, 0, c.Open())
	c.Observe(ev(dispatch.EventAssigned, "09:00:00", "s", "a", "09:00:00"))
	assert.Equal(t, at("09:00:00"), c.Now())
	assert.Equal(t, 1, c.Hourly(day0).Total.Consultations)
}

// Forget under open sessions: a session still open counts its
// consultation and today-received on a forgotten day; the snapshot does
// not keep that day, and the copy behaves as the original when the buyer
// leaves the queue or the session is transferred away.
func TestSnapshot_ForgottenDayUnderOpenSessions(t *testing.T) {
	eng, rec := run(t, policy.Policy{}, nil, []step{
		{"23:00:00", addAgent("a", 1)},
		{"23:58:00", arrive("s1")}, // -> a
		{"23:59:00", arrive("s2")}, // queued
		{"23:59:30", arrive("s3")}, // queued
	})
	rec.Forget(day0.AddDays(1))
	c := restore(t, rec)
	for _, s := range []step{
		{"+1 00:03:00", leave("s2")},         // its window ran out on the forgotten day
		{"+1 00:04:00", addAgent("b", 5)},    // s3 -> b
		{"+1 00:05:00", transfer("s1", "b")}, // a's received was on the forgotten day
		{"+1 00:06:00", reply("s1", "b")},
		{"+1 00:07:00", arrive("s4")},
	} {
		evs, err := s.op(eng, at(s.at))
		require.NoError(t, err)
		rec.Feed(evs)
		c.Feed(evs)
	}
	now := at("+1 00:10:00")
	rec.Advance(now)
	c.Advance(now)
	want := collect(rec, day0, day0.AddDays(1), now)
	require.Equal(t, want, collect(c, day0, day0.AddDays(1), now))
	assert.Equal(t, 1, want.Hourly[2].Total.Left, "the leave counts on the new day")
	require.NoError(t, metrics.VerifyForTest(c))
}
