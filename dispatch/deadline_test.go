package dispatch

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// Tests of Engine.NextDeadline and of the Shops deadline heap
// (Shops.NextDeadline, Shops.AdvanceDue).

// wantNext checks Engine.NextDeadline: t0+at, or none when at < 0.
func wantNext(at time.Duration) func(*testing.T, *Engine, []Event) {
	return func(t *testing.T, e *Engine, _ []Event) {
		t.Helper()
		got, ok := e.NextDeadline()
		if at < 0 {
			assert.Falsef(t, ok, "got next deadline %v, want none", got.Sub(t0))
			return
		}
		require.True(t, ok, "got no next deadline, want %v", at)
		assert.Truef(t, got.Equal(t0.Add(at)), "got next deadline %v, want %v", got.Sub(t0), at)
	}
}

// NextDeadline is the earliest pending timer of any kind (offline expiry,
// auto-close, bot silence); a timer cancelled or fired no longer counts;
// false when none is pending.
func TestNextDeadline_EarliestPendingTimer(t *testing.T) {
	m := time.Minute
	p := policy.Policy{BuyerIdleClose: 20 * m, OfflineValidity: 2 * time.Hour, BotIdleClose: 30 * m,
		BotWindows: []policy.Window{{Start: 20*time.Hour + 20*m, End: 20*time.Hour + 30*m, Share: 1}}} // t0 is 20:00
	e := newEngine(t, p)
	runSteps(t, e, []spStep{
		{op: addAgentStatus("a", agent.Limit(1), agent.Offline), check: wantNext(-1)},
		{op: arrive("m1", "b1", 0), want: []string{"offline m1"}, check: wantNext(2 * time.Hour)},
		{at: 10 * m, op: arrive("m2", "b2", 0), want: []string{"offline m2"}, check: wantNext(2 * time.Hour)},
		{at: 20 * m, op: login("a"), want: []string{"assigned m1 a freed [offline]"}, check: wantNext(2*time.Hour + 10*m)},
		{at: 21 * m, op: arrive("s1", "b3", 0), want: []string{"bot s1"}, check: wantNext(51 * m)},
		{at: 22 * m, op: msg("m1", FromAgent, "a"), want: []string{"message m1 agent [offline]"}, check: wantNext(42 * m)},
		{at: 23 * m, op: msg("m1", FromBuyer, ""), want: []string{"message m1 buyer [offline]"}, check: wantNext(51 * m)},
		{at: 51*m - 1, op: advance(), check: wantNext(51 * m)},
		{at: 51 * m, op: advance(), want: []string{"closed s1 bot-idle"}, check: wantNext(2*time.Hour + 10*m)},
		{at: 2*time.Hour + 10*m, op: advance(), want: []string{"expired m2"}, check: wantNext(-1)},
	})
}

// timerPolicies keep timers of every kind pending (auto-close both ways,
// offline expiry, bot silence) for the drive-by-deadline test; the groups
// let actionFromBytes add agents to them.
var timerPolicies = []policy.Policy{
	{BotFirst: true, BuyerIdleClose: 3 * time.Minute, AgentIdleClose: 2 * time.Minute, OfflineValidity: 20 * time.Minute,
		BotIdleClose: 5 * time.Minute, OfflineBatch: 2, Groups: []policy.Group{{ID: "g1"}, {ID: "g2"}}},
	{BotWindows: []policy.Window{{Start: 6 * time.Hour, End: 18 * time.Hour, Share: 0.5}}, BuyerIdleClose: 90 * time.Second,
		AgentIdleClose: 4 * time.Minute, OfflineValidity: 7 * time.Minute, BotIdleClose: 150 * time.Second, NoQueue: true,
		Strategy: policy.RoundRobin, Crowds: []policy.Crowd{{ID: "vip", Member: true}}, TeamLevel: policy.LevelGold},
}

// dayOps draws the operations of one simulated day: actionFromBytes'
// operations (bad input included) at increasing times, some a fraction of
// a second apart, so that deadlines fall between whole seconds.
func dayOps(seed uint64, day time.Duration) (times []time.Time, acts []action) {
	r := rand.New(rand.NewPCG(seed, 0xdead))
	now := t0
	for {
		now = now.Add(time.Duration(r.IntN(90))*time.Second + time.Duration(r.IntN(3))*time.Duration(r.IntN(1000))*time.Millisecond)
		if now.Sub(t0) >= day {
			return times, acts
		}
		times = append(times, now)
		acts = append(acts, actionFromBytes(byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())))
	}
}

// An engine driven only by Advance at its NextDeadline (asked again after
// every call) returns exactly the events, at the same instants, with the
// same numbers, as one ticked every second of a simulated day, and ends
// in the same state. No timer falls due between two deadlines: each
// Advance at a deadline returns what fell due at that very instant (at
// least the timer's own event), and no op ever fires a timer itself.
func TestNextDeadline_DrivingByDeadlineEqualsTickingEverySecond(t *testing.T) {
	day := 24 * time.Hour
	seeds := 3
	if testing.Short() || raceEnabled {
		day, seeds = 6*time.Hour, 1
	}
	for i, p := range timerPolicies {
		for seed := uint64(1); seed <= uint64(seeds); seed++ {
			times, acts := dayOps(seed, day)
			ticked, byDeadline := newEngine(t, p), newEngine(t, p)
			var want, got []string
			record := func(to *[]string, evs []Event) {
				for _, ev := range evs {
					*to = append(*to, render([]Event{ev}))
				}
			}
			// allAt checks that every event of a call happened at its
			// time: the call fired no timer due before it.
			allAt := func(what string, evs []Event, at time.Time) {
				for _, ev := range evs {
					require.Truef(t, ev.At.Equal(at), "policy %d seed %d: %s at %v: got %s at %v: a timer fired late",
						i, seed, what, at.Sub(t0), brief(ev), ev.At.Sub(t0))
				}
			}
			tick := t0
			advances := 0
			catchUp := func(until time.Time) {
				for ; !tick.After(until); tick = tick.Add(time.Second) {
					record(&want, ticked.Advance(tick))
				}
				for {
					d, ok := byDeadline.NextDeadline()
					if !ok || d.After(until) {
						return
					}
					advances++
					evs := byDeadline.Advance(d)
					require.NotEmptyf(t, evs, "policy %d seed %d: got nothing from Advance at the deadline %v", i, seed, d.Sub(t0))
					allAt("advance", evs, d)
					record(&got, evs)
				}
			}
			for k, a := range acts {
				catchUp(times[k])
				evs, err := a.do(ticked, times[k])
				record(&want, evs)
				evs2, err2 := a.do(byDeadline, times[k])
				allAt(a.String(), evs2, times[k])
				record(&got, evs2)
				require.Equalf(t, err == nil, err2 == nil, "policy %d seed %d op %d (%s): got error %v, want %v", i, seed, k, a, err2, err)
			}
			end := t0.Add(day)
			catchUp(end)
			record(&want, ticked.Advance(end)) // the events a rejected last op held
			record(&got, byDeadline.Advance(end))
			require.Equalf(t, len(want), len(got), "policy %d seed %d: got %d events driving by deadline, want %d", i, seed, len(got), len(want))
			for k := range want {
				require.Equalf(t, want[k], got[k], "policy %d seed %d: event %d: got %s want %s", i, seed, k, got[k], want[k])
			}
			a, err := ticked.Snapshot()
			require.NoError(t, err)
			b, err := byDeadline.Snapshot()
			require.NoError(t, err)
			assert.Equalf(t, stateOf(a), stateOf(b), "policy %d seed %d: got a different end state", i, seed)
			require.NoError(t, byDeadline.Verify())
			require.NotZero(t, advances, "no timer fired: the test proves nothing")
			t.Logf("policy %d seed %d: %d ops, %d events, %d advances by deadline instead of %d ticks",
				i, seed, len(acts), len(want), advances, int(day/time.Second))
		}
	}
}

// idleShopPolicy closes a session 10 minutes after the agent's last word
// (L2): each shop's timer is set by when its agent replies.
var idleShopPolicy = policy.Policy{BuyerIdleClose: 10 * time.Minute}

// openIdleShop opens shop id with one agent and one session the agent
// replied to at t0+replied: its timer is due at t0+replied+10m.
func openIdleShop(t *testing.T, r *Shops, id string, replied time.Duration) *Shop {
	t.Helper()
	s, err := r.Open(id, idleShopPolicy)
	require.NoError(t, err)
	_, err = s.AddAgent(t0, "a", AgentConfig{})
	require.NoError(t, err)
	_, err = s.Arrive(t0, Arrival{Session: "s", Buyer: "b"})
	require.NoError(t, err)
	_, err = s.Message(t0.Add(replied), Message{Session: "s", From: FromAgent, Agent: "a"})
	require.NoError(t, err)
	return s
}

// Shops.NextDeadline is at or before every registered shop's earliest
// timer, whatever the shops did (timers set, moved later, cancelled,
// fired by ops or by Advance), and false only when no shop has one.
func TestShops_NextDeadlineAtOrBeforeEveryShops(t *testing.T) {
	var r Shops
	_, ok := r.NextDeadline()
	assert.False(t, ok, "got a deadline in an empty registry")
	const n = 40
	shops := make([]*Shop, n)
	for i := range shops {
		var err error
		shops[i], err = r.Open(fmt.Sprint("shop", i), timerPolicies[i%len(timerPolicies)])
		require.NoError(t, err)
	}
	_, ok = r.NextDeadline()
	assert.False(t, ok, "got a deadline with no timer in any shop")
	rnd := rand.New(rand.NewPCG(5, 5))
	now := t0
	for step := range 3000 {
		k := rnd.IntN(n)
		a := actionFromBytes(byte(rnd.Uint32()), byte(rnd.Uint32()), byte(rnd.Uint32()))
		now = now.Add(time.Duration(rnd.IntN(40)) * time.Second)
		_, _ = shops[k].Apply(now, a.op())
		if step%10 == 0 {
			r.AdvanceDue(now.Add(-time.Duration(rnd.IntN(600))*time.Second), nil)
		}
		min, any := r.NextDeadline()
		for i, s := range shops {
			d, ok := s.NextDeadline()
			if !ok {
				continue
			}
			require.Truef(t, any, "step %d: got no registry deadline, want at or before shop%d's %v", step, i, d.Sub(t0))
			require.Falsef(t, min.After(d), "step %d: got registry deadline %v, after shop%d's %v", step, min.Sub(t0), i, d.Sub(t0))
		}
	}
}

// AdvanceDue advances exactly the shops with a timer due by now: f gets
// each one's id and events, the count is theirs; every other shop is not
// touched, its snapshot (clock included) unchanged. Stale heap entries
// are skipped without harm: a shop whose timer a message cancelled, a
// shop removed from the registry, a shop detached.
func TestShops_AdvanceDueTouchesOnlyDueShops(t *testing.T) {
	m := time.Minute
	var r Shops
	// shopI: replied at i minutes, due at 10+i minutes.
	for i := range 12 {
		openIdleShop(t, &r, fmt.Sprint("shop", i), time.Duration(i)*m)
	}
	_, err := r.Open("quiet", idleShopPolicy) // never a timer
	require.NoError(t, err)
	cancelled := openIdleShop(t, &r, "cancelled", 0) // due at 10m, until the buyer writes
	_, err = cancelled.Message(t0.Add(m), Message{Session: "s", From: FromBuyer})
	require.NoError(t, err)
	_, ok := cancelled.NextDeadline()
	require.False(t, ok)
	moved := openIdleShop(t, &r, "moved", 0) // due at 10m, until the agent writes again: 19m30s
	_, err = moved.Message(t0.Add(9*m+30*time.Second), Message{Session: "s", From: FromAgent, Agent: "a"})
	require.NoError(t, err)
	removed := openIdleShop(t, &r, "removed", 0)
	require.NoError(t, r.Remove("removed"))
	detached := openIdleShop(t, &r, "detached", 0)
	_, err = detached.Detach()
	require.NoError(t, err)
	var other Shops // a shop removed here and adopted there: the other registry's
	adopted := openIdleShop(t, &r, "adopted", 0)
	require.NoError(t, r.Remove("adopted"))
	require.NoError(t, other.Adopt("adopted", adopted))

	snapshots := func() map[string]string {
		out := map[string]string{}
		r.Range(func(id string, s *Shop) bool {
			if b, err := s.Snapshot(); err == nil {
				out[id] = string(b)
			}
			return true
		})
		for id, s := range map[string]*Shop{"removed": removed, "adopted": adopted} {
			b, err := s.Snapshot()
			require.NoError(t, err)
			out[id] = string(b)
		}
		return out
	}
	type call struct {
		id  string
		evs []string
	}
	var calls []call
	var now time.Time
	f := func(id string, evs []Event) {
		var got []string
		for _, ev := range evs {
			got = append(got, brief(ev))
			assert.Truef(t, !ev.At.After(now), "%s: got an event at %v, after %v", id, ev.At.Sub(t0), now.Sub(t0))
		}
		calls = append(calls, call{id, got})
	}
	for k, step := range []struct {
		at   time.Duration
		want []string // shops advanced, in deadline order
	}{
		{9 * m, nil},
		{15 * m, []string{"shop0", "shop1", "shop2", "shop3", "shop4", "shop5"}},
		{15 * m, nil},
		{16 * m, []string{"shop6"}},
	} {
		before := snapshots()
		calls, now = nil, t0.Add(step.at)
		n := r.AdvanceDue(now, f)
		after := snapshots()
		var ids []string
		for _, c := range calls {
			ids = append(ids, c.id)
			assert.Equalf(t, []string{"closed s a buyer-idle"}, c.evs, "step %d: %s: got events %v", k, c.id, c.evs)
		}
		assert.Equalf(t, step.want, ids, "step %d: got shops %v advanced, want %v", k, ids, step.want)
		assert.Equalf(t, len(step.want), n, "step %d: got count %d, want %d", k, n, len(step.want))
		for id, b := range before {
			if !slices.Contains(step.want, id) {
				assert.Equalf(t, b, after[id], "step %d: got shop %s changed, want it untouched", k, id)
			}
		}
		next, ok := r.NextDeadline()
		require.True(t, ok)
		assert.Truef(t, next.After(t0.Add(step.at)), "step %d: got the registry's next deadline %v, want after %v", k, next.Sub(t0), step.at)
	}
	// The moved shop is due at its new deadline, 19m30s; the cancelled
	// one never.
	calls, now = nil, t0.Add(30*m)
	n := r.AdvanceDue(now, f)
	var ids []string
	for _, c := range calls {
		ids = append(ids, c.id)
	}
	assert.Equal(t, []string{"shop7", "shop8", "shop9", "moved", "shop10", "shop11"}, ids)
	assert.Equal(t, 6, n)
	_, ok = r.NextDeadline()
	assert.False(t, ok, "got a registry deadline with no timer left")
	for _, s := range []*Shop{cancelled, removed, adopted} {
		assert.True(t, s.Read(func(e *Engine) { assert.True(t, e.Now().Before(t0.Add(15*m))) }) == nil)
	}
	calls = nil
	assert.Equal(t, 1, other.AdvanceDue(now, f), "got the adopted shop not advanced by its new registry")
	assert.Equal(t, []call{{"adopted", []string{"closed s a buyer-idle"}}}, calls)
}

// Regression: AdvanceDue called Advance on a shop whose noted timer had
// been cancelled (or moved later) since it was noted, though nothing was
// due: the shop's clock moved to the registry's time, and it was counted
// as advanced.
func TestShops_AdvanceDueSkipsACancelledTimer(t *testing.T) {
	var r Shops
	s := openIdleShop(t, &r, "s", 0) // due at 10m
	_, err := s.Message(t0.Add(time.Minute), Message{Session: "s", From: FromBuyer})
	require.NoError(t, err)
	before, err := s.Snapshot()
	require.NoError(t, err)
	n := r.AdvanceDue(t0.Add(time.Hour), func(id string, evs []Event) { t.Errorf("got events %v for %s", evs, id) })
	assert.Zero(t, n)
	after, err := s.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "got the shop changed by AdvanceDue with nothing due")
	assert.True(t, s.e.Now().Equal(t0.Add(time.Minute)), "got the shop's clock at %v", s.e.Now().Sub(t0))
}

// Under concurrent use: 8 goroutines apply random ops to 100 shops while
// another calls AdvanceDue with increasing times. Afterwards every shop
// verifies, and after a last AdvanceDue no shop has a timer due by its
// time: no deadline was lost from the heap. Run with -race.
func TestShops_AdvanceDueConcurrentWithOps(t *testing.T) {
	const shops, workers = 100, 8
	perWorker := 3000
	if testing.Short() || raceEnabled {
		perWorker = 600
	}
	var r Shops
	all := make([]*Shop, shops)
	for i := range all {
		var err error
		all[i], err = r.Open(fmt.Sprint("shop", i), timerPolicies[i%len(timerPolicies)])
		require.NoError(t, err)
	}
	var clock atomic.Int64 // simulated ns since t0
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 77))
			for range perWorker {
				now := t0.Add(time.Duration(clock.Add(int64(rnd.IntN(5000)) * int64(time.Millisecond))))
				a := actionFromBytes(byte(rnd.Uint32()), byte(rnd.Uint32()), byte(rnd.Uint32()))
				if _, err := all[rnd.IntN(shops)].Apply(now, a.op()); err != nil && errorClasses(err) != 1 {
					t.Errorf("%s: %v", a, err)
				}
			}
		}()
	}
	done := make(chan struct{})
	var ticks, advanced atomic.Int64
	tickerDone := make(chan struct{})
	go func() {
		defer close(tickerDone)
		for {
			select {
			case <-done:
				return
			default:
			}
			now := t0.Add(time.Duration(clock.Load()))
			advanced.Add(int64(r.AdvanceDue(now, func(id string, evs []Event) {
				if len(evs) == 0 {
					t.Errorf("%s: f called with no events", id)
				}
			})))
			ticks.Add(1)
			runtime.Gosched()
		}
	}()
	wg.Wait()
	close(done)
	<-tickerDone
	end := t0.Add(time.Duration(clock.Load()) + time.Hour)
	r.AdvanceDue(end, nil)
	for i, s := range all {
		require.NoErrorf(t, s.Verify(), "shop%d", i)
		if d, ok := s.NextDeadline(); ok {
			assert.Truef(t, d.After(end), "shop%d: got a timer due at %v still pending after AdvanceDue(%v)", i, d.Sub(t0), end.Sub(t0))
		}
	}
	if d, ok := r.NextDeadline(); ok {
		assert.True(t, d.After(end), "got the registry's next deadline %v, not after %v", d.Sub(t0), end.Sub(t0))
	}
	t.Logf("%d AdvanceDue calls advanced %d shops", ticks.Load(), advanced.Load())
}

// tickShops opens n shops for the tick benchmarks: one agent with three
// sessions and no timer, and a bot session whose silence timer (one hour)
// falls due at a time of its own, spread over the hour after t0: a sparse
// timer each. A tick handles what it fires by starting the bot session
// again, so every hour each shop fires once, forever.
func tickShops(b *testing.B, n int) *Shops {
	b.Helper()
	p := policy.Policy{BotFirst: true, BotIdleClose: time.Hour}
	r := new(Shops)
	for i := range n {
		s, err := r.Open(fmt.Sprint("shop", i), p)
		require.NoError(b, err)
		at := t0.Add(-time.Hour + time.Duration(i)*time.Hour/time.Duration(n))
		_, err = s.AddAgent(at, "a", AgentConfig{})
		require.NoError(b, err)
		for j := range 3 {
			id := fmt.Sprint("s", j)
			_, err = s.Arrive(at, Arrival{Session: id, Buyer: id})
			require.NoError(b, err)
			_, err = s.Handover(at, id)
			require.NoError(b, err)
		}
		_, err = s.Arrive(at, Arrival{Session: "bot", Buyer: "bot"})
		require.NoError(b, err)
	}
	return r
}

// restart starts again each bot session a tick closed.
func restart(b *testing.B, s *Shop, now time.Time, evs []Event) int {
	n := 0
	for _, ev := range evs {
		if ev.Kind == EventClosed && ev.Reason == CloseBotIdle {
			if _, err := s.Arrive(now, Arrival{Session: ev.Session, Buyer: ev.Buyer}); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	return n
}

const tickShopCount = 10_000

// BenchmarkShops_TickByDeadline: one op is one tick (a simulated second)
// of a registry of 10^4 shops with sparse timers, driven by its deadline
// heap: AdvanceDue touches the few shops due.
func BenchmarkShops_TickByDeadline(b *testing.B) {
	r := tickShops(b, tickShopCount)
	now, fired := t0, 0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		now = now.Add(time.Second)
		r.AdvanceDue(now, func(id string, evs []Event) {
			s, err := r.Get(id)
			if err != nil {
				b.Fatal(err)
			}
			fired += restart(b, s, now, evs)
		})
	}
	b.ReportMetric(float64(fired)/float64(b.N), "fired/op")
}

// BenchmarkShops_TickAll: the same ticks by calling Advance on every
// shop (Range), the ticker a host needs without the heap.
func BenchmarkShops_TickAll(b *testing.B) {
	r := tickShops(b, tickShopCount)
	now, fired := t0, 0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		now = now.Add(time.Second)
		r.Range(func(_ string, s *Shop) bool {
			fired += restart(b, s, now, s.Advance(now))
			return true
		})
	}
	b.ReportMetric(float64(fired)/float64(b.N), "fired/op")
}

// The two tick benchmarks do the same work: over the same simulated
// time, AdvanceDue fires exactly the timers Range + Advance fires.
func TestShops_TickByDeadlineFiresWhatTickAllFires(t *testing.T) {
	count := func(byDeadline bool) []string {
		p := policy.Policy{BotFirst: true, BotIdleClose: time.Hour}
		r := new(Shops)
		for i := range 200 {
			s, err := r.Open(fmt.Sprint("shop", i), p)
			require.NoError(t, err)
			_, err = s.AddAgent(t0.Add(-time.Hour), "a", AgentConfig{})
			require.NoError(t, err)
			_, err = s.Arrive(t0.Add(-time.Hour+time.Duration(i)*18*time.Second), Arrival{Session: "bot", Buyer: "bot"})
			require.NoError(t, err)
		}
		var got []string
		now := t0
		for range 2 * 3600 / 60 {
			now = now.Add(time.Minute)
			note := func(id string, evs []Event) {
				for _, ev := range evs {
					got = append(got, fmt.Sprintf("%s %s %v", id, brief(ev), ev.At.Sub(t0)))
				}
			}
			if byDeadline {
				r.AdvanceDue(now, note)
			} else {
				r.Range(func(id string, s *Shop) bool { note(id, s.Advance(now)); return true })
			}
		}
		slices.Sort(got)
		return got
	}
	want := count(false)
	assert.Len(t, want, 200)
	assert.Equal(t, want, count(true))
}
