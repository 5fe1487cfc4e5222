package metrics_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
)

// waiting returns a recorder with an open session (s1, assigned to a, not
// answered) and two buyers waiting in the queue (s2, s3) since 09:02.
func waiting(t *testing.T) *metrics.Recorder {
	return feed(t, nil,
		ev(dispatch.EventAssigned, "09:00:00", "s1", "a", "09:00:00"),
		ev(dispatch.EventQueued, "09:01:00", "s2", "", "09:01:00"),
		ev(dispatch.EventQueued, "09:02:00", "s3", "", "09:02:00"),
	)
}

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// One event or Advance at a far-future time (a host's bad clock) with
// buyers waiting does not create a bucket for every day in between (it
// was ~200 MB of heap and a 51 MB snapshot for 2262): the days in between
// still report the max queue length carried through them (M5).
func TestRecorder_FarFutureTimeKeepsMemoryBounded(t *testing.T) {
	far := time.Date(2262, 1, 1, 0, 0, 0, 0, cst)
	for _, c := range []struct {
		name string
		do   func(r *metrics.Recorder)
	}{
		{"Advance", func(r *metrics.Recorder) { r.Advance(far) }},
		{"Observe", func(r *metrics.Recorder) {
			r.Observe(dispatch.Event{Kind: dispatch.EventMessage, At: far, Session: "s1", Sender: dispatch.FromBuyer})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := waiting(t)
			before := liveHeap()
			c.do(rec)
			after := liveHeap()
			runtime.KeepAlive(rec)
			grown := int64(after) - int64(before)
			data, err := rec.Snapshot()
			require.NoError(t, err)
			t.Logf("heap %+d B, snapshot %d B, %d days", grown, len(data), metrics.DaysForTest(rec))
			assert.Less(t, grown, int64(1<<20), "live heap growth")
			assert.Less(t, len(data), 64<<10, "snapshot size")
			assert.Equal(t, 2, metrics.DaysForTest(rec), "day0 and the far day")

			farDay := rec.DateOf(far)
			for _, d := range []metrics.Date{day0.AddDays(1), {Year: 2100, Month: time.June, Day: 15}, farDay.AddDays(-1)} {
				h := rec.Hourly(d)
				for _, x := range h.Hours {
					assert.Equal(t, 2, x.MaxQueue, "%s hour %d", d, x.Hour)
					x.MaxQueue = 0
					assert.Equal(t, metrics.Hour{Hour: x.Hour}, x, "%s hour %d: nothing but the queue", d, x.Hour)
				}
				assert.Equal(t, metrics.Hour{Hour: -1, MaxQueue: 2}, h.Total, "%s", d)
			}
			assert.Equal(t, 2, rec.Hourly(farDay).Hours[0].MaxQueue)
			assert.Equal(t, 0, rec.Hourly(farDay).Hours[1].MaxQueue)
			assert.Equal(t, 2, rec.Hourly(day0).Total.MaxQueue)
			assert.Equal(t, metrics.Hour{Hour: -1}, rec.Hourly(farDay.AddDays(1)).Total)

			c2, err := metrics.Restore(cst, data)
			require.NoError(t, err)
			for _, d := range []metrics.Date{day0, day0.AddDays(1), {Year: 2100, Month: time.June, Day: 15}, farDay} {
				assert.Equal(t, rec.Hourly(d), c2.Hourly(d), "%s after a restore", d)
			}
			rec.Forget(metrics.Date{Year: 2200, Month: time.January, Day: 1})
			assert.Equal(t, metrics.Hour{Hour: -1}, rec.Hourly(metrics.Date{Year: 2100, Month: time.June, Day: 15}).Total, "forgotten")
			assert.Equal(t, metrics.Hour{Hour: -1, MaxQueue: 2}, rec.Hourly(metrics.Date{Year: 2200, Month: time.January, Day: 1}).Total, "kept")
			require.NoError(t, metrics.VerifyForTest(rec))
		})
	}
}

// A week with buyers waiting and no event: the reports are what they
// were when every day in between got its bucket, here computed from
// first principles: the queue is 2 from 09:02 on day0 until the recorder
// moves on a week later at 10:30, so every hour from day0 09 to day7 10
// has max queue 2, and nothing else happens in them; the three sessions'
// windows ran out on day0 (M3: 0/3; M2: a's stint missed).
func TestRecorder_WeekGapReportsAsBefore(t *testing.T) {
	end := at("10:30:00").AddDate(0, 0, 7)
	for _, c := range []struct {
		name string
		do   func(r *metrics.Recorder)
	}{
		{"Advance", func(r *metrics.Recorder) { r.Advance(end) }},
		{"Observe", func(r *metrics.Recorder) {
			r.Observe(dispatch.Event{Kind: dispatch.EventMessage, At: end, Session: "s1", Sender: dispatch.FromBuyer})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := waiting(t)
			c.do(rec)
			for i := -1; i <= 8; i++ {
				d := day0.AddDays(i)
				want := metrics.Hourly{Date: d, Hours: make([]metrics.Hour, 24), Total: metrics.Hour{Hour: -1}}
				for h := range want.Hours {
					want.Hours[h].Hour = h
					if (i > 0 || h >= 9) && (i < 7 || h <= 10) && i >= 0 && i <= 7 {
						want.Hours[h].MaxQueue = 2
						want.Total.MaxQueue = 2
					}
				}
				if i == 0 {
					want.Hours[9].Consultations, want.Hours[9].Human, want.Hours[9].Queued = 3, 1, 2
					want.Hours[9].ReplyRate = rate(0, 3)
					want.Total.Consultations, want.Total.Human, want.Total.Queued = 3, 1, 2
					want.Total.ReplyRate = rate(0, 3)
				}
				assert.Equal(t, want, rec.Hourly(d), "day %+d", i)
			}
			week := rec.Replies(day0, day0.AddDays(7))
			assert.Equal(t, rate(0, 3), week.Shop.ReplyRate)
			assert.Equal(t, []metrics.AgentReplies{{Agent: "a", ReplyRate: rate(0, 1), Received: 1}}, week.Agents)
			p := rec.Panel(end)
			assert.Equal(t, metrics.PanelRow{InReception: 1, Unreplied: 1, Queued: 2}, p.Shop)
			assert.Equal(t, 3, rec.Open())
			assert.Equal(t, 2, metrics.DaysForTest(rec), "day0 and day7: the days with data")
			c2 := restore(t, rec)
			for i := 0; i <= 7; i++ {
				assert.Equal(t, rec.Hourly(day0.AddDays(i)), c2.Hourly(day0.AddDays(i)))
			}
		})
	}
}

// The max queue of every local hour, in zones with DST changes (New
// York, Berlin, Lord Howe's half hour, Santiago's change at midnight) and
// gaps from minutes to weeks, against a replay of the queue minute by
// minute: an hour's max queue is the longest the queue was at any minute
// of it. Days kept are the days with an event (and the day Advance moved
// to), and a Forget keeps the later days as they were.
func TestM5_MaxQueueThroughGaps(t *testing.T) {
	for _, zone := range []string{"Asia/Shanghai", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Santiago"} {
		loc, err := time.LoadLocation(zone)
		require.NoError(t, err)
		for seed := uint64(1); seed <= 3; seed++ {
			rnd := rand.New(rand.NewPCG(seed, 99))
			rec, err := metrics.New(loc)
			require.NoError(t, err)
			start := time.Date(2026, time.Month(1+rnd.IntN(12)), 1+rnd.IntN(28), rnd.IntN(24), rnd.IntN(60), 0, 0, loc).Truncate(time.Minute)
			type change struct {
				at time.Time
				n  int // the queue length from at on
			}
			var changes []change
			days := map[metrics.Date]bool{}
			now, n, next := start, 0, 0
			var waiting []string
			for i := 0; i < 60; i++ {
				switch g := rnd.IntN(10); {
				case g < 5:
					now = now.Add(time.Duration(1+rnd.IntN(90)) * time.Minute)
				case g < 8:
					now = now.Add(time.Duration(1+rnd.IntN(30)) * time.Hour)
				default:
					now = now.Add(time.Duration(1+rnd.IntN(21*24*60)) * time.Minute)
				}
				switch {
				case rnd.IntN(8) == 0:
					rec.Advance(now)
					if n > 0 {
						days[metrics.DateOf(now, loc)] = true
					}
					continue
				case n > 0 && rnd.IntN(2) == 0:
					k := rnd.IntN(len(waiting))
					rec.Observe(dispatch.Event{Kind: dispatch.EventLeft, At: now, Session: waiting[k]})
					waiting = append(waiting[:k], waiting[k+1:]...)
					n--
				default:
					next++
					id := fmt.Sprint("s", next)
					rec.Observe(dispatch.Event{Kind: dispatch.EventQueued, At: now, Session: id, Buyer: id, Arrived: now})
					waiting = append(waiting, id)
					n++
				}
				days[metrics.DateOf(now, loc)] = true
				changes = append(changes, change{now, n})
			}
			// The replay: a length holds from its change through the next
			// change's instant (an event at 17:00:00 sees the length before
			// it in hour 17 too), the last one through now.
			want := map[metrics.Date]*[24]int{}
			for i, c := range changes {
				until := now
				if i+1 < len(changes) {
					until = changes[i+1].at
				}
				for m := c.at; !m.After(until); m = m.Add(time.Minute) {
					d := metrics.DateOf(m, loc)
					if want[d] == nil {
						want[d] = new([24]int)
					}
					h := m.In(loc).Hour()
					want[d][h] = max(want[d][h], c.n)
				}
			}
			check := func(what string, floor metrics.Date) {
				for d := metrics.DateOf(start, loc).AddDays(-1); !metrics.DateOf(now, loc).AddDays(1).Before(d); d = d.AddDays(1) {
					rep := rec.Hourly(d)
					top := 0
					for h := 0; h < 24; h++ {
						w := 0
						if want[d] != nil && !d.Before(floor) {
							w = want[d][h]
						}
						top = max(top, w)
						require.Equal(t, w, rep.Hours[h].MaxQueue, "%s %s seed %d: %s hour %d", what, zone, seed, d, h)
					}
					require.Equal(t, top, rep.Total.MaxQueue, "%s %s seed %d: %s", what, zone, seed, d)
				}
			}
			check("recorded", metrics.Date{})
			assert.LessOrEqual(t, metrics.DaysForTest(rec), len(days), "%s seed %d: buckets of days with no event", zone, seed)
			data, err := rec.Snapshot()
			require.NoError(t, err)
			rec, err = metrics.Restore(loc, data)
			require.NoError(t, err, "%s seed %d", zone, seed)
			check("restored", metrics.Date{})
			floor := metrics.DateOf(start.Add(now.Sub(start)/2), loc)
			rec.Forget(floor)
			require.NoError(t, metrics.VerifyForTest(rec))
			check("forgotten", floor)
		}
	}
}
