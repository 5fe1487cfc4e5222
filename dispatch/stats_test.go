package dispatch

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// statsOracle rebuilds Stats from the events alone: every counter by
// counting them, every histogram from the events' instants (when a
// session entered a pool, an agent's list, its first agent message).
type statsOracle struct {
	want    Stats
	place   map[string]Kind      // the event that put each session where it is
	since   map[string]time.Time // ... and when
	replied map[string]bool
	started map[string]bool
}

func newStatsOracle() *statsOracle {
	return &statsOracle{place: map[string]Kind{}, since: map[string]time.Time{}, replied: map[string]bool{},
		started: map[string]bool{}}
}

func (o *statsOracle) see(ev Event) {
	w := &o.want
	id := ev.Session
	switch ev.Kind {
	case EventAssigned, EventOffered:
		if ev.Kind == EventOffered {
			w.Offered++
		} else {
			w.Assigned[ev.Cause]++
		}
		if k := o.place[id]; k == EventQueued || k == EventOffline {
			w.Wait.observe(ev.At.Sub(o.since[id]))
		}
		if ev.Cause == CauseReassigned {
			w.Reassigned++
		}
		if ev.Cause == CauseStarted {
			w.Started++
			o.started[id] = true
		}
	case EventQueued:
		w.Queued++
		if ev.Cause == CauseReassigned {
			w.Reassigned++ // E3, E4 to the queue
		}
	case EventOffline:
		w.Offline++
		if ev.Cause == CauseQueueCap || ev.Cause == CauseMaxWait || ev.Cause == CauseOutsideHours {
			w.Diverted[ev.Cause]++ // E8, E11
		}
	case EventBot:
		w.Bot++
		if ev.Cause == CauseQueueCap || ev.Cause == CauseMaxWait || ev.Cause == CauseOutsideHours {
			w.Diverted[ev.Cause]++
		}
	case EventRefused:
		w.Refused++ // E8: the session ends
		w.Diverted[ev.Cause]++
	case EventInactive:
		w.Inactive++ // E9: it stays where it is
		return
	case EventTransferred:
		w.Transferred++
	case EventAccepted:
		w.Accepted++
	case EventRejected:
		w.Rejected++
	case EventOfferTimedOut:
		w.TimedOut++
	case EventWrapUp:
		w.WrapUps++
		return // of a closed session
	case EventWrapUpEnded:
		return
	case EventClosed:
		w.Closed[ev.Reason]++
		if p := o.place[id]; p == EventAssigned || p == EventTransferred || p == EventAccepted {
			w.Handle.observe(ev.At.Sub(o.since[id]))
		}
	case EventLeft:
		w.Left++
	case EventExpired:
		w.Expired++
	case EventMessage:
		w.Messages[ev.Sender]++
		if ev.Sender == FromAgent && !o.replied[id] {
			o.replied[id] = true
			if !o.started[id] {
				w.FirstReply.observe(ev.At.Sub(ev.Arrived))
			}
		}
		return
	case EventWarning:
		w.Warnings[ev.Warning]++
		return
	case EventPrompt:
		w.Prompts++
		return
	}
	switch ev.Kind {
	case EventClosed, EventLeft, EventExpired, EventRefused:
		delete(o.place, id)
		delete(o.since, id)
		delete(o.replied, id)
		delete(o.started, id)
	default:
		o.place[id], o.since[id] = ev.Kind, ev.At
	}
}

// Stats agree with the events: random operations on every policy shape,
// each counter and histogram rebuilt from the events returned, the gauges
// from the engine's queries, after every step that is not rejected (the
// timers a rejected op fired count at once, and their events come with
// the next op).
func TestStats_AgreeWithTheEvents(t *testing.T) {
	seeds := 2 * len(diffPolicies) // every policy shape, E1-E11 among them
	if testing.Short() {
		seeds = len(diffPolicies)
	}
	var total Stats // the counters of every run, to show they were reached
	for seed := range seeds {
		p := diffPolicies[seed%len(diffPolicies)]
		e, err := New(p)
		require.NoError(t, err)
		o := newStatsOracle()
		r := rand.New(rand.NewPCG(uint64(seed), 3))
		now := t0
		for i := range 1500 {
			a := actionFromBytes(byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()))
			now = now.Add(a.dt)
			evs, err := a.do(e, now)
			if err == nil && a.kind == actArrive {
				o.want.Arrived++
			}
			for _, ev := range evs {
				o.see(ev)
			}
			if err != nil {
				continue // the timers it fired count now; their events come with the next op
			}
			got := e.Stats()
			want := o.want
			want.Sessions, want.Agents = got.Sessions, got.Agents // checked below
			require.Equal(t, want, got, "seed %d step %d (%s)", seed, i, a)
			n := 0
			for _, c := range got.Sessions {
				n += c
			}
			require.Equal(t, e.Sessions(), n, "seed %d step %d: sessions by place", seed, i)
			require.Equal(t, e.QueueLen(), got.Sessions[PlaceQueue])
			require.Equal(t, e.OfflineLen(), got.Sessions[PlaceOffline])
			require.Equal(t, e.BotLen(), got.Sessions[PlaceBot])
			var byStatus [agent.Offline + 1]int
			for ag := range e.Agents() {
				byStatus[ag.Status]++
			}
			require.Equal(t, byStatus, got.Agents, "seed %d step %d: agents by status", seed, i)
		}
		st := e.Stats()
		total.Add(&st)
	}
	// The E counters were reached, so the comparison above tested them.
	for _, n := range []uint64{total.Offered, total.Reassigned, total.WrapUps, total.Refused, total.Inactive,
		total.Accepted, total.Diverted[CauseQueueCap], total.Diverted[CauseMaxWait], total.Diverted[CauseOutsideHours]} {
		require.NotZero(t, n, "%+v", total)
	}
}

// The histograms' buckets: an observation on a bound counts in that
// bound's bucket (≤, as Prometheus' le), one past it in the next; beyond
// the last bound, +Inf.
func TestStats_HistogramBuckets(t *testing.T) {
	var h Histogram
	h.observe(3 * time.Minute)
	h.observe(3*time.Minute + time.Nanosecond)
	h.observe(-time.Second)
	h.observe(48 * time.Hour)
	assert.Equal(t, uint64(1), h.Buckets[5], "3m in le=3m")
	assert.Equal(t, uint64(1), h.Buckets[6], "3m+1ns in le=5m")
	assert.Equal(t, uint64(1), h.Buckets[0], "negative as 0")
	assert.Equal(t, uint64(1), h.Buckets[len(HistogramBounds)], "+Inf")
	assert.Equal(t, uint64(4), h.Count)
	assert.Equal(t, 6*time.Minute+time.Nanosecond+48*time.Hour, h.Sum)
}

// Shops.Stats sums the shops; the counters of shops detached or removed
// stay in the sum, their gauges leave it.
func TestStats_ShopsSum(t *testing.T) {
	var shops Shops
	for _, id := range []string{"a", "b", "c"} {
		s, err := shops.Open(id, policy.Kuaishou())
		require.NoError(t, err)
		_, err = s.AddAgent(t0, "w", AgentConfig{Capacity: agent.Limit(1)})
		require.NoError(t, err)
		_, err = s.Arrive(t0, Arrival{Session: "s1"})
		require.NoError(t, err)
		_, err = s.Arrive(t0, Arrival{Session: "s2"})
		require.NoError(t, err)
	}
	sum := shops.Stats()
	assert.Equal(t, uint64(6), sum.Arrived)
	assert.Equal(t, 3, sum.Sessions[PlaceAgent])
	assert.Equal(t, 3, sum.Sessions[PlaceQueue])
	assert.Equal(t, 3, sum.Agents[agent.Online])
	c, err := shops.Get("c")
	require.NoError(t, err)
	_, err = c.Detach()
	require.NoError(t, err)
	// A detached shop keeps its counters, and holds nothing any more; a
	// removed one's counters stay in the sum: the sum never goes down.
	st := shops.Stats()
	assert.Equal(t, uint64(6), st.Arrived)
	assert.Equal(t, 2, st.Sessions[PlaceAgent])
	assert.Equal(t, 2, st.Agents[agent.Online])
	require.NoError(t, shops.Remove("c"))
	require.NoError(t, shops.Remove("b"))
	st = shops.Stats()
	assert.Equal(t, uint64(6), st.Arrived)
	assert.Equal(t, uint64(3), st.Queued)
	assert.Equal(t, 1, st.Sessions[PlaceAgent], "gauges: shop a only")
	assert.Equal(t, 1, st.Agents[agent.Online])
}

// BenchmarkStatsCount is the counters' cost per event, the price every
// event pays for Stats (no allocation).
func BenchmarkStatsCount(b *testing.B) {
	evs := []Event{{Kind: EventAssigned, Cause: CauseArrival}, {Kind: EventMessage, Sender: FromAgent},
		{Kind: EventClosed, Reason: CloseManual}, {Kind: EventQueued}}
	var st Stats
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		st.count(&evs[i&3])
	}
	if st.Queued == 0 && b.N > 4 {
		b.Fatal("nothing counted")
	}
}
