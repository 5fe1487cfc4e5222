package dispatch

import (
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch/internal/model"
	"github.com/kefu-dev/kefu/policy"
)

// The benchmarks below run the engine and the reference model (package
// model) at the sizes of the project's issue: 1k and 10k agents with caps
// 20..200, each full, and 1e3, 1e5 or 1e6 sessions waiting.
//
// Each operation is timed on its own, with time.Now() around the single
// call; the work that keeps the state steady (undoing an arrival, topping
// the queue up after a close or a leave) is not timed. The engine runs b.N
// operations, the model at most vsModelOps and stops early once it has
// spent vsModelBudget, at least one. A benchmark reports engine-ns/op,
// model-ns/op and speedup (model ÷ engine), and overrides ns/op with the
// engine's, since the wall time of the loop is mostly the model's and the
// untimed work.
//
// Setup is shared: one state per agent count is built once (the engine
// through its API, as loaded does; the model with Preload, with the same
// sessions in the same lists), and grown from 0 to 1e3, 1e5 and 1e6
// waiting, each operation running at each size in turn and leaving as many
// sessions in each place as it found. The sub-benchmarks are named
// <op>/agents=N/waiting=W but run size by size.
//
// The model keeps each agent's load as a counter (counting by a scan made
// one arrival cost agents × open sessions: 100 s at 10k agents); its
// arrivals then scan the open sessions and sort the agents, and its close,
// leave and position sort or scan the open sessions once or twice: a few
// to a few hundred ms each at 10k agents, so it runs at every size.
//
// Memory: the largest state, 10k agents (1.1e6 sessions in lists) and
// 1e6 waiting on both sides, holds about 1.5 GB live; the benchmarks set
// a soft memory limit (benchMemoryLimit) so that the heap stays well
// under 4 GB. Package testing forces a collection before each
// sub-benchmark, a second or two at that size: with -benchtime 1x that and
// the setup are most of the run.

const (
	vsModelOps       = 5               // at most this many model operations per benchmark
	vsModelBudget    = 2 * time.Second // the model stops after this much, having run at least one
	vsRaisedCap      = 500             // arrive→assign: a0's cap while it has room (KuaishouBounds().Max)
	benchMemoryLimit = 3 << 30         // soft limit on the Go heap while the large states live
)

// benchPolicy is loaded's policy.
var benchPolicy = policy.Policy{Capacity: agent.KuaishouBounds()}

// benchCap is the cap loaded gives the i-th agent.
func benchCap(i int) int { return 20 + (i*37)%181 }

// evBrief is what the benchmarks check of an event, on either side.
type evBrief struct {
	kind           Kind
	session, agent string
}

// benchSide is the engine or the model (exactly one of e, m is set) in a
// steady state: every agent full, a known queue. It keeps the ids it needs
// to pick from: sessions in reception to close, oldest first, and the
// waiting ones in queue order (every session has priority 0, so the queue
// is in arrival order), with a flag per entry for those gone.
type benchSide struct {
	e       *Engine
	m       *model.Shop
	inList  []string // in reception; closeAt is the next to close
	closeAt int
	waiting []string // in queue order from head, with gone entries
	gone    []bool
	head    int // waiting[head] is the first not gone (after skip)
	queued  int // how many waiting entries are not gone
	fresh   int // counter of new session ids
	rng     *rand.Rand
}

func (s *benchSide) name() string {
	if s.e != nil {
		return "engine"
	}
	return "model"
}

// newID returns a session id unused on this side.
func (s *benchSide) newID() string {
	s.fresh++
	return fmt.Sprint("n", s.fresh)
}

func briefEngine(evs []Event) []evBrief {
	out := make([]evBrief, len(evs))
	for i, ev := range evs {
		out[i] = evBrief{ev.Kind, ev.Session, ev.Agent}
	}
	return out
}

func briefModel(evs []model.Event) []evBrief {
	out := make([]evBrief, len(evs))
	for i, ev := range evs {
		out[i] = evBrief{Kind(ev.Kind), ev.Session, ev.Agent}
	}
	return out
}

// The operations, each timed around the single call; the events are
// converted after the clock stops.

// timedEngine runs one engine call under the clock.
func timedEngine(call func() ([]Event, error)) (time.Duration, []evBrief, error) {
	t := time.Now()
	evs, err := call()
	d := time.Since(t)
	return d, briefEngine(evs), err
}

// timedModel runs one model call under the clock.
func timedModel(call func() ([]model.Event, error)) (time.Duration, []evBrief, error) {
	t := time.Now()
	evs, err := call()
	d := time.Since(t)
	return d, briefModel(evs), err
}

func (s *benchSide) arrive(now time.Time, id string) (time.Duration, []evBrief, error) {
	if s.e != nil {
		return timedEngine(func() ([]Event, error) { return s.e.Arrive(now, Arrival{Session: id, Buyer: id}) })
	}
	return timedModel(func() ([]model.Event, error) {
		return s.m.Arrive(now, id, id, 0, model.EntryMessageBox, nil, "")
	})
}

func (s *benchSide) close(now time.Time, id string) (time.Duration, []evBrief, error) {
	if s.e != nil {
		return timedEngine(func() ([]Event, error) { return s.e.Close(now, id) })
	}
	return timedModel(func() ([]model.Event, error) { return s.m.Close(now, id) })
}

func (s *benchSide) leave(now time.Time, id string) (time.Duration, []evBrief, error) {
	if s.e != nil {
		return timedEngine(func() ([]Event, error) { return s.e.Leave(now, id) })
	}
	return timedModel(func() ([]model.Event, error) { return s.m.Leave(now, id) })
}

func (s *benchSide) position(id string) (d time.Duration, pos, length int, ok bool) {
	t := time.Now()
	if s.e != nil {
		pos, length, ok = s.e.Position(id)
	} else {
		pos, length, ok = s.m.Position(id)
	}
	return time.Since(t), pos, length, ok
}

func (s *benchSide) setCapacity(now time.Time, id string, c int) error {
	if s.e != nil {
		_, err := s.e.SetCapacity(now, id, agent.Limit(c))
		return err
	}
	_, err := s.m.SetCapacity(now, id, agent.Limit(c))
	return err
}

// enqueue adds a waiting session at the back of the queue (untimed): an
// arrival for the engine, Preload for the model, whose Arrive would take
// seconds.
func (s *benchSide) enqueue(now time.Time, id string) error {
	if s.e != nil {
		evs, err := s.e.Arrive(now, Arrival{Session: id, Buyer: id})
		if err != nil {
			return err
		}
		if len(evs) != 1 || evs[0].Kind != EventQueued {
			return fmt.Errorf("engine: %s not queued: %v", id, briefEngine(evs))
		}
	} else {
		s.m.Preload(now, id, id, -1)
	}
	s.waiting = append(s.waiting, id)
	s.gone = append(s.gone, false)
	s.queued++
	return nil
}

// skip moves head past the gone entries.
func (s *benchSide) skip() {
	for s.head < len(s.waiting) && s.gone[s.head] {
		s.head++
	}
}

// waitingAt returns the first waiting entry at or after index i of the
// live part, wrapping to the head.
func (s *benchSide) waitingAt(i int) int {
	s.skip()
	for j := i; j < len(s.waiting); j++ {
		if !s.gone[j] {
			return j
		}
	}
	return s.head
}

// A benchOp is one operation kind: do runs one on a side at now and
// returns the time of the timed call, having restored the state's shape.
type benchOp struct {
	name string
	// waiting0: the operation runs with nothing waiting (arrive→assign);
	// else with waiting > 0.
	waiting0 bool
	do       func(s *benchSide, now time.Time) (time.Duration, error)
}

var benchOps = []benchOp{
	{name: "arrive-assign", waiting0: true, do: opArriveAssign},
	{name: "arrive-queue", do: opArriveQueue},
	{name: "close-pull", do: opClosePull},
	{name: "leave", do: opLeave},
	{name: "position", do: opPosition},
}

// opArriveAssign: a0 has room (its cap raised by the caller), the arrival
// goes to it (the least saturated); then it closes, untimed.
func opArriveAssign(s *benchSide, now time.Time) (time.Duration, error) {
	id := s.newID()
	d, evs, err := s.arrive(now, id)
	if err != nil {
		return 0, err
	}
	if len(evs) != 1 || evs[0].kind != EventAssigned || evs[0].agent != "a0" {
		return 0, fmt.Errorf("%s: arrival %s not assigned to a0: %v", s.name(), id, evs)
	}
	if _, _, err := s.close(now, id); err != nil {
		return 0, err
	}
	return d, nil
}

// opArriveQueue: every agent is full, the arrival queues at the back; then
// its buyer leaves, untimed.
func opArriveQueue(s *benchSide, now time.Time) (time.Duration, error) {
	id := s.newID()
	d, evs, err := s.arrive(now, id)
	if err != nil {
		return 0, err
	}
	if len(evs) != 1 || evs[0].kind != EventQueued {
		return 0, fmt.Errorf("%s: arrival %s not queued: %v", s.name(), id, evs)
	}
	if _, _, err := s.leave(now, id); err != nil {
		return 0, err
	}
	return d, nil
}

// opClosePull: the oldest session in reception closes and its agent pulls
// the queue head in (C5); untimed, a new arrival tops the queue up.
func opClosePull(s *benchSide, now time.Time) (time.Duration, error) {
	id := s.inList[s.closeAt]
	s.closeAt++
	s.skip()
	want := s.waiting[s.head]
	d, evs, err := s.close(now, id)
	if err != nil {
		return 0, err
	}
	if len(evs) != 2 || evs[0].kind != EventClosed || evs[0].session != id ||
		evs[1].kind != EventAssigned || evs[1].session != want || evs[1].agent != evs[0].agent {
		return 0, fmt.Errorf("%s: close %s, want the head %s pulled in: %v", s.name(), id, want, evs)
	}
	s.gone[s.head] = true
	s.queued--
	s.inList = append(s.inList, want)
	return d, s.enqueue(now, s.newID())
}

// opLeave: the buyer in the middle of the queue leaves; untimed, a new
// arrival tops the queue up.
func opLeave(s *benchSide, now time.Time) (time.Duration, error) {
	s.skip()
	i := s.waitingAt(s.head + (len(s.waiting)-s.head)/2)
	id := s.waiting[i]
	d, evs, err := s.leave(now, id)
	if err != nil {
		return 0, err
	}
	if len(evs) != 1 || evs[0].kind != EventLeft || evs[0].session != id {
		return 0, fmt.Errorf("%s: leave %s: %v", s.name(), id, evs)
	}
	s.gone[i] = true
	s.queued--
	return d, s.enqueue(now, s.newID())
}

// opPosition: the place of a random waiting session.
func opPosition(s *benchSide, _ time.Time) (time.Duration, error) {
	s.skip()
	i := s.waitingAt(s.head + s.rng.IntN(len(s.waiting)-s.head))
	d, pos, n, ok := s.position(s.waiting[i])
	if !ok || n != s.queued || pos < 1 || pos > n {
		return 0, fmt.Errorf("%s: position of %s: %d/%d %v, want of %d", s.name(), s.waiting[i], pos, n, ok, s.queued)
	}
	return d, nil
}

// benchState is the engine and (unless engineOnly) the model in the same
// state: n agents a0.. with benchCap caps, each full, and waiting
// sessions queued. now is the time of the operations.
type benchState struct {
	agents, waiting int
	now             time.Time
	sides           []*benchSide // the engine, then the model
}

// newBenchState builds n full agents and nothing waiting: the engine with
// loaded, the model with AddAgent and Preload, each session into the list
// of the agent the engine chose, in arrival order; then it compares a few
// sessions and agents of both.
func newBenchState(b *testing.B, n int, engineOnly bool) *benchState {
	b.Helper()
	e, now := loaded(b, n, 0)
	inList := ids("pre", e.Sessions())
	st := &benchState{agents: n, now: now,
		sides: []*benchSide{{e: e, inList: inList, rng: rand.New(rand.NewPCG(1, 2))}}}
	if engineOnly {
		return st
	}
	m, err := model.New(benchPolicy)
	if err != nil {
		b.Fatal(err)
	}
	index := make(map[string]int, n)
	for i, id := range ids("a", n) {
		if _, err := m.AddAgent(t0, id, agent.Limit(benchCap(i)), 0, ""); err != nil {
			b.Fatal(err)
		}
		index[id] = i
	}
	for _, id := range inList {
		info, _ := e.Session(id)
		m.Preload(info.Arrived, id, id, index[info.Agent])
	}
	st.sides = append(st.sides, &benchSide{m: m, inList: slices.Clone(inList), rng: rand.New(rand.NewPCG(1, 2))})
	if err := st.compare(b); err != nil {
		b.Fatal(err)
	}
	return st
}

// compare checks that the engine and the model agree on counts, the
// clock, and a few sessions and agents (the model's queries scan).
func (st *benchState) compare(b *testing.B) error {
	e, m := st.sides[0].e, st.sides[1].m
	if !e.Now().Equal(m.Now()) || e.Sessions() != m.Sessions() || e.QueueLen() != m.QueueLen() {
		return fmt.Errorf("clock, open, queue: engine %v %d %d, model %v %d %d",
			e.Now(), e.Sessions(), e.QueueLen(), m.Now(), m.Sessions(), m.QueueLen())
	}
	in := st.sides[0].inList
	for _, id := range []string{in[0], in[len(in)/2], in[len(in)-1]} {
		got, _ := e.Session(id)
		want, _ := m.Session(id)
		if !sameSession(got, fromModelSession(want)) {
			return fmt.Errorf("session %s: engine %+v, model %+v", id, got, want)
		}
	}
	for _, i := range []int{0, st.agents / 2, st.agents - 1} {
		id := fmt.Sprint("a", i)
		got, _ := e.Agent(id)
		want, _ := m.Agent(id)
		if !sameAgent(got, AgentInfo(want)) {
			return fmt.Errorf("agent %s: engine %+v, model %+v", id, got, want)
		}
	}
	return nil
}

// grow queues new sessions on every side until w wait, one millisecond
// apart, the same ids on each side.
func (st *benchState) grow(b *testing.B, w int) {
	b.Helper()
	for _, id := range ids(fmt.Sprintf("w%d-", w), w-st.waiting) {
		st.now = st.now.Add(time.Millisecond)
		for _, s := range st.sides {
			if err := s.enqueue(st.now, id); err != nil {
				b.Fatal(err)
			}
		}
	}
	st.waiting = w
	for _, s := range st.sides {
		if s.queued != w {
			b.Fatalf("%s: %d waiting, want %d", s.name(), s.queued, w)
		}
	}
	if len(st.sides) > 1 && st.sides[1].m.QueueLen() != w {
		b.Fatalf("model: queue %d, want %d", st.sides[1].m.QueueLen(), w)
	}
	if st.sides[0].e.QueueLen() != w {
		b.Fatalf("engine: queue %d, want %d", st.sides[0].e.QueueLen(), w)
	}
}

// benchStates hands out benchStates, one agent count at a time: the state of
// the last call is grown when more are to wait, rebuilt otherwise.
type benchStates struct {
	engineOnly bool
	cur        *benchState
}

func (ss *benchStates) get(b *testing.B, n, w int) *benchState {
	b.Helper()
	if ss.cur == nil || ss.cur.agents != n || ss.cur.waiting > w {
		ss.cur = nil // let the old one go before building the new
		ss.cur = newBenchState(b, n, ss.engineOnly)
	}
	if ss.cur.waiting < w {
		ss.cur.grow(b, w)
	}
	return ss.cur
}

// benchSizes are the waiting sizes at each agent count, in the order run.
var benchSizes = []int{0, 1000, 100_000, 1_000_000}

// runOps times b.N operations (n of them, on the model) on side s.
func runOps(b *testing.B, op benchOp, s *benchSide, now time.Time, n int, budget time.Duration) (total time.Duration, done int) {
	total, done, _ = runTimed(b, op, s, now, n, budget)
	return total, done
}

// runTimed is runOps keeping each operation's time, sorted.
func runTimed(b *testing.B, op benchOp, s *benchSide, now time.Time, n int, budget time.Duration) (total time.Duration, done int, each []time.Duration) {
	b.Helper()
	each = make([]time.Duration, 0, min(n, 1<<20))
	for done < n && (budget == 0 || done == 0 || total < budget) {
		d, err := op.do(s, now)
		if err != nil {
			b.Fatal(err)
		}
		total += d
		each = append(each, d)
		done++
	}
	slices.Sort(each)
	return total, done, each
}

// BenchmarkVsModel: each operation on the engine and on the model at 1k
// and 10k agents (each full) and 1e3, 1e5 and 1e6 waiting; arrive→assign
// with none waiting and a0's cap raised so that it has room. Metrics:
// engine-ns/op, engine-p50-ns, engine-p99-ns, model-ns/op, speedup
// (model ÷ engine); ns/op is the engine's.
func BenchmarkVsModel(b *testing.B) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(benchMemoryLimit))
	ss := &benchStates{}
	for _, n := range []int{1000, 10_000} {
		for _, w := range benchSizes {
			for _, op := range benchOps {
				if op.waiting0 != (w == 0) {
					continue
				}
				b.Run(fmt.Sprintf("%s/agents=%d/waiting=%d", op.name, n, w), func(b *testing.B) {
					st := ss.get(b, n, w)
					eng, mod := st.sides[0], st.sides[1]
					if op.waiting0 { // a0 gets room, then back to full
						for _, s := range st.sides {
							if err := s.setCapacity(st.now, "a0", vsRaisedCap); err != nil {
								b.Fatal(err)
							}
							defer func() {
								if err := s.setCapacity(st.now, "a0", benchCap(0)); err != nil {
									b.Fatal(err)
								}
							}()
						}
					}
					b.ResetTimer()
					et, en, each := runTimed(b, op, eng, st.now, b.N, 0)
					b.StopTimer()
					engineNs := float64(et.Nanoseconds()) / float64(en)
					b.ReportMetric(engineNs, "ns/op")
					b.ReportMetric(engineNs, "engine-ns/op")
					b.ReportMetric(percentile(each, 0.50), "engine-p50-ns")
					b.ReportMetric(percentile(each, 0.99), "engine-p99-ns")
					mt, mn := runOps(b, op, mod, st.now, min(b.N, vsModelOps), vsModelBudget)
					modelNs := float64(mt.Nanoseconds()) / float64(mn)
					b.ReportMetric(modelNs, "model-ns/op")
					b.ReportMetric(modelNs/engineNs, "speedup")
				})
			}
		}
	}
}

// BenchmarkScaling: the engine alone at 1k agents (each full) and 1e3,
// 1e5 and 1e6 waiting, each operation timed on its own; ns/op is the
// timed calls' mean, and at 1e5 and 1e6 "growth" is ns/op over that at
// 1e3 waiting in the same run (the target is at most 3).
func BenchmarkScaling(b *testing.B) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(benchMemoryLimit))
	ss := &benchStates{engineOnly: true}
	base := map[string]float64{}
	for _, w := range benchSizes[1:] {
		for _, op := range benchOps {
			if op.waiting0 {
				continue
			}
			b.Run(fmt.Sprintf("%s/waiting=%d", op.name, w), func(b *testing.B) {
				st := ss.get(b, 1000, w)
				b.ResetTimer()
				t, n := runOps(b, op, st.sides[0], st.now, b.N, 0)
				b.StopTimer()
				ns := float64(t.Nanoseconds()) / float64(n)
				b.ReportMetric(ns, "ns/op")
				if w == benchSizes[1] {
					base[op.name] = ns
				} else if base[op.name] > 0 {
					b.ReportMetric(ns/base[op.name], "growth")
				}
			})
		}
	}
}
