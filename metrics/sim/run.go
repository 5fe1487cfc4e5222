package sim

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
)

// A future event of the simulation: a service that ends, a buyer whose
// patience runs out. Arrivals and hour boundaries are one at a time and
// kept apart from the agenda.
type event struct {
	t    float64 // seconds since Start
	seq  uint64  // total order among equal times
	slot int32
	gen  uint32 // the slot's generation when scheduled: stale if it changed
	kind eventKind
}

type eventKind uint8

const (
	evDone    eventKind = iota + 1 // the agent finishes: Engine.Close
	evAbandon                      // the buyer gives up waiting: Engine.Leave
)

// agenda is the min-heap of future events, for container/heap. Events are
// added by appending and heap.Fix, and taken by reading [0] and heap.Pop,
// so that no event is boxed in an interface (no allocation per event).
type agenda []event

func (a agenda) Len() int { return len(a) }
func (a agenda) Less(i, j int) bool {
	if a[i].t != a[j].t {
		return a[i].t < a[j].t
	}
	return a[i].seq < a[j].seq
}
func (a agenda) Swap(i, j int) { a[i], a[j] = a[j], a[i] }

// Push is heap.Interface's; the simulator appends and calls heap.Fix.
func (a *agenda) Push(x any) { *a = append(*a, x.(event)) }

// Pop drops the last event; the caller read the minimum before heap.Pop.
func (a *agenda) Pop() any {
	*a = (*a)[:len(*a)-1]
	return nil
}

// slot states
const (
	slotFree uint8 = iota
	slotNew        // arrived, not placed yet (inside Engine.Arrive)
	slotWaiting
	slotServing
	slotBot
)

// slot is one open session. Slots are reused once their session ends; the
// session's id is the slot's number, which is unique among open sessions
// as the engine requires, so ids are built once per slot, not per session.
type slot struct {
	arrived float64 // seconds since Start
	service float64 // seconds, drawn at arrival
	hour    int32   // arrival hour
	gen     uint32
	state   uint8
	counted bool // arrived after the warm-up: in Total
	inQueue bool // slotWaiting in the queue pool, not the offline pool

	queuedAt time.Duration // since Start: when it entered the queue pool
}

type runner struct {
	cfg     Config
	eng     *dispatch.Engine
	rng     *rand.Rand
	cap     int
	horizon float64 // seconds: arrivals stop
	within  float64
	warmup  float64

	now  float64
	seq  uint64
	todo agenda

	slots []slot
	free  []int32
	ids   []string // session id of each slot
	buyer bool     // arrivals need distinct buyer ids (a bot share splits by buyer)
	born  uint64   // sessions so far

	agents  []string
	load    []int
	online  []bool
	nOnline int
	busy    int // Σ over online agents of min(load, cap)
	waiting int // in the queue and offline pools
	queued  int // in the queue pool alone (E8's cap bounds it)

	// time integrals, hour accumulators and the timeline
	last     float64 // time integrated up to
	stepLen  float64
	stepEnd  float64
	stepMax  int
	perHour  int // steps per hour
	step     int // index of the current step
	hours    []Stats
	total    Stats
	timeline []Sample

	lastFCFS  float64 // arrival of the last session served after waiting
	overtakes int     // sessions served from the queue ahead of an earlier arrival
}

// Run simulates cfg on a real dispatch.Engine and returns what happened.
//
// A discrete-event loop drives the engine on simulated time: Poisson
// arrivals at the current hour's rate (Engine.Arrive), each session's
// service from when the engine assigns it (dispatch.EventAssigned) to its
// close (Engine.Close), buyers who leave the queue when their patience runs
// out before an assignment (Engine.Leave), and the staffing plan applied at
// every hour (Engine.Login, Engine.Logout). Every call's events are
// processed before the next call. Future events wait in a min-heap ordered
// by time; the random source is a PCG seeded with cfg.Seed, so the result
// depends on cfg alone.
//
// The engine decides everything else: who takes a session, who waits, in
// what order (rule Q2: first come first served), and that a close pulls the
// queue head in at once (C5). Run owns the engine and reads none of its
// agents' history lists, so unless cfg.Policy sets HistoryLimit it keeps
// one closed session per agent there, which saves time and changes no
// decision.
//
// Errors: ErrInvalidConfig for a Config it cannot simulate; an engine error
// (for example a Cap outside the policy's capacity bounds) is returned
// wrapped.
func Run(cfg Config) (Report, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return Report{}, err
	}
	p := c.Policy
	if p.HistoryLimit == 0 {
		// The engine is Run's alone and nobody reads its agents' history
		// lists, which change no dispatch decision: keep one closed
		// session per agent rather than the default 200 (a tenth of the
		// run time saved).
		p.HistoryLimit = 1
	}
	eng, err := dispatch.New(p, c.Options...)
	if err != nil {
		return Report{}, fmt.Errorf("sim: %w", err)
	}
	r := &runner{
		cfg:     c,
		eng:     eng,
		rng:     rand.New(rand.NewPCG(c.Seed, 0x6b656675)), // "kefu"
		cap:     c.Cap,
		horizon: float64(c.Hours) * 3600,
		within:  c.AnswerWithin.Seconds(),
		warmup:  c.Warmup.Seconds(),
		stepLen: c.Step.Seconds(),
		perHour: int(time.Hour / c.Step),
		buyer:   c.Policy.BotFirst || len(c.Policy.BotWindows) > 0,
	}
	if err := r.run(); err != nil {
		return Report{}, err
	}
	return r.report(), nil
}

func (r *runner) run() error {
	c := r.cfg
	nAgents := 0
	for _, n := range c.Staffing {
		nAgents = max(nAgents, n)
	}
	r.agents = make([]string, nAgents)
	r.load = make([]int, nAgents)
	r.online = make([]bool, nAgents)
	r.hours = make([]Stats, c.Hours)
	for h := range r.hours {
		r.hours[h].Start = c.Start.Add(time.Duration(h) * time.Hour)
	}
	r.timeline = make([]Sample, 0, c.Hours*r.perHour)
	r.stepEnd = r.stepLen
	if r.perHour*c.Hours == 1 {
		r.stepEnd = r.horizon
	}
	for i := range r.agents {
		r.agents[i] = "a" + strconv.Itoa(i)
		evs, err := r.eng.AddAgent(c.Start, r.agents[i],
			dispatch.AgentConfig{Capacity: agent.Limit(r.cap), Status: agent.Offline})
		if err != nil {
			return fmt.Errorf("sim: %w", err)
		}
		if err := r.handle(evs); err != nil {
			return err
		}
	}

	hour := 0 // next hour boundary to apply
	nextArrival := r.nextArrival(0)
	for {
		// The next thing to happen: an hour boundary, a scheduled event,
		// an arrival; ties in that order.
		t, what := math.Inf(1), 0
		if hour < c.Hours {
			t, what = float64(hour)*3600, 1
		}
		if len(r.todo) > 0 && r.todo[0].t < t {
			t, what = r.todo[0].t, 2
		}
		if nextArrival < t {
			t, what = nextArrival, 3
		}
		// The engine's own timers (E8's maximum wait, an offline
		// message's expiry, a bot's silence) fire at their deadline,
		// before anything else due then.
		dl, ok := r.eng.NextDeadline()
		if ok {
			if td := dl.Sub(c.Start).Seconds(); td <= t {
				t, what = max(td, r.now), 4
			}
		}
		if what == 0 {
			break
		}
		r.advance(t)
		var err error
		switch what {
		case 4:
			err = r.handle(r.eng.Advance(dl))
		case 1:
			err = r.staff(c.Staffing[hour%len(c.Staffing)])
			r.hours[hour].Staffed = r.nOnline
			hour++
		case 2:
			ev := r.todo[0]
			heap.Pop(&r.todo)
			err = r.fire(ev)
		case 3:
			err = r.arrive()
			nextArrival = r.nextArrival(t)
		}
		if err != nil {
			return err
		}
	}
	r.advance(r.horizon) // close the last steps of the timeline
	return nil
}

// nextArrival returns the first arrival after t of the Poisson process
// whose rate is constant within each hour (memoryless: at an hour boundary
// the draw restarts with the new rate), or +Inf past the horizon.
func (r *runner) nextArrival(t float64) float64 {
	for {
		h := int(t / 3600)
		if h >= r.cfg.Hours {
			return math.Inf(1)
		}
		end := float64(h+1) * 3600
		if l := r.cfg.Arrivals[h%len(r.cfg.Arrivals)] / 3600; l > 0 {
			if next := t + r.rng.ExpFloat64()/l; next < end {
				return next
			}
		}
		t = end
	}
}

// at converts simulated seconds to the engine's time.
func (r *runner) at(t float64) time.Time {
	return r.cfg.Start.Add(time.Duration(t * 1e9))
}

func (r *runner) schedule(t float64, i int32, k eventKind) {
	r.seq++
	r.todo = append(r.todo, event{t: t, seq: r.seq, slot: i, gen: r.slots[i].gen, kind: k})
	heap.Fix(&r.todo, len(r.todo)-1) // sift the new last element up: a push
}

func (r *runner) arrive() error {
	var i int32
	if n := len(r.free); n > 0 {
		i = r.free[n-1]
		r.free = r.free[:n-1]
	} else {
		i = int32(len(r.slots))
		r.slots = append(r.slots, slot{})
		r.ids = append(r.ids, strconv.Itoa(int(i)))
	}
	s := &r.slots[i]
	s.arrived, s.state = r.now, slotNew
	s.hour = int32(r.now / 3600)
	s.counted = r.now >= r.warmup
	s.service = max(r.cfg.Service.Sample(r.rng).Seconds(), 0)
	patience := math.Inf(1)
	if r.cfg.Patience != nil {
		patience = max(r.cfg.Patience.Sample(r.rng).Seconds(), 0)
	}
	r.born++
	h := &r.hours[s.hour]
	h.Arrivals++
	if s.counted {
		r.total.Arrivals++
	}
	a := dispatch.Arrival{Session: r.ids[i]}
	if r.buyer {
		a.Buyer = "b" + strconv.FormatUint(r.born, 10)
	}
	evs, err := r.eng.Arrive(r.at(r.now), a)
	if err != nil {
		return fmt.Errorf("sim: arrive: %w", err)
	}
	if err := r.handle(evs); err != nil {
		return err
	}
	if s = &r.slots[i]; s.state == slotWaiting && !math.IsInf(patience, 1) {
		r.schedule(r.now+patience, i, evAbandon)
	}
	return nil
}

func (r *runner) fire(ev event) error {
	s := &r.slots[ev.slot]
	if s.gen != ev.gen {
		return nil // its session ended: a stale abandonment
	}
	var evs []dispatch.Event
	var err error
	switch ev.kind {
	case evDone:
		evs, err = r.eng.Close(r.at(r.now), r.ids[ev.slot])
	case evAbandon:
		if s.state != slotWaiting {
			return nil // assigned in time
		}
		evs, err = r.eng.Leave(r.at(r.now), r.ids[ev.slot])
	}
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	return r.handle(evs)
}

// staff brings the number of agents online to n: agents log in in index
// order and log out in reverse, so the online ones are always a0…a(n−1).
func (r *runner) staff(n int) error {
	at := r.at(r.now)
	for r.nOnline < n {
		k := r.nOnline
		r.online[k] = true
		r.nOnline++
		r.busy += min(r.load[k], r.cap)
		evs, err := r.eng.Login(at, r.agents[k])
		if err != nil {
			return fmt.Errorf("sim: %w", err)
		}
		if err := r.handle(evs); err != nil {
			return err
		}
	}
	for r.nOnline > n {
		r.nOnline--
		k := r.nOnline
		r.online[k] = false
		r.busy -= min(r.load[k], r.cap)
		evs, err := r.eng.Logout(at, r.agents[k])
		if err != nil {
			return fmt.Errorf("sim: %w", err)
		}
		if err := r.handle(evs); err != nil {
			return err
		}
	}
	return nil
}

// handle processes one engine call's events at once: the slice is the
// engine's and the next call reuses it.
func (r *runner) handle(evs []dispatch.Event) error {
	for k := range evs {
		ev := &evs[k]
		switch ev.Kind {
		case dispatch.EventAssigned:
			i, err := r.slotOf(ev.Session)
			if err != nil {
				return err
			}
			a, err := r.agentOf(ev.Agent)
			if err != nil {
				return err
			}
			r.unqueue(i, ev.At)
			r.assigned(i, a)
		case dispatch.EventQueued, dispatch.EventOffline:
			i, err := r.slotOf(ev.Session)
			if err != nil {
				return err
			}
			s := &r.slots[i]
			if s.state != slotWaiting { // not a move between the pools
				s.state = slotWaiting
				r.waiting++
				r.stepMax = max(r.stepMax, r.waiting)
			}
			if ev.Kind == dispatch.EventQueued {
				r.enqueue(i, ev.At)
			} else {
				r.unqueue(i, ev.At)
				r.diverted(s, ev.Cause)
			}
		case dispatch.EventClosed:
			i, err := r.slotOf(ev.Session)
			if err != nil {
				return err
			}
			if r.slots[i].state == slotServing {
				a, err := r.agentOf(ev.Agent)
				if err != nil {
					return err
				}
				if r.online[a] && r.load[a] <= r.cap {
					r.busy--
				}
				r.load[a]--
			}
			r.release(i)
		case dispatch.EventLeft, dispatch.EventExpired:
			i, err := r.slotOf(ev.Session)
			if err != nil {
				return err
			}
			s := &r.slots[i]
			r.unqueue(i, ev.At)
			r.waiting--
			r.hours[s.hour].Abandoned++
			if s.counted {
				r.total.Abandoned++
			}
			r.release(i)
		case dispatch.EventBot:
			i, err := r.slotOf(ev.Session)
			if err != nil {
				return err
			}
			s := &r.slots[i]
			if s.state == slotWaiting { // diverted from the queue (E8)
				r.unqueue(i, ev.At)
				r.waiting--
			}
			s.state = slotBot
			r.hours[s.hour].Bot++
			if s.counted {
				r.total.Bot++
			}
			r.diverted(s, ev.Cause)
		case dispatch.EventRefused:
			i, err := r.slotOf(ev.Session)
			if err != nil {
				return err
			}
			s := &r.slots[i]
			if s.state == slotWaiting {
				r.unqueue(i, ev.At)
				r.waiting--
			}
			r.hours[s.hour].Refused++
			if s.counted {
				r.total.Refused++
			}
			r.release(i)
		}
	}
	return nil
}

// enqueue records that slot i's session entered the queue pool at t.
func (r *runner) enqueue(i int32, t time.Time) {
	s := &r.slots[i]
	if s.inQueue {
		return
	}
	s.inQueue, s.queuedAt = true, t.Sub(r.cfg.Start)
	r.queued++
	if h := int(r.now / 3600); h < len(r.hours) {
		r.hours[h].MaxInQueue = max(r.hours[h].MaxInQueue, r.queued)
	}
	if r.now >= r.warmup {
		r.total.MaxInQueue = max(r.total.MaxInQueue, r.queued)
	}
}

// unqueue records that slot i's session left the queue pool at t, if it
// was there: its stretch in the queue counts toward its arrival hour's
// LongestQueueWait. t is the event's time, the deadline for a diversion
// at the maximum wait (E8).
func (r *runner) unqueue(i int32, t time.Time) {
	s := &r.slots[i]
	if !s.inQueue {
		return
	}
	s.inQueue = false
	r.queued--
	w := t.Sub(r.cfg.Start) - s.queuedAt
	h := &r.hours[s.hour]
	h.LongestQueueWait = max(h.LongestQueueWait, w)
	if s.counted {
		r.total.LongestQueueWait = max(r.total.LongestQueueWait, w)
	}
}

// diverted counts a session the queue's cap or maximum wait sent to the
// offline pool or the bot (E8).
func (r *runner) diverted(s *slot, c dispatch.Cause) {
	if c != dispatch.CauseQueueCap && c != dispatch.CauseMaxWait {
		return
	}
	r.hours[s.hour].Diverted++
	if s.counted {
		r.total.Diverted++
	}
}

// assigned records that slot i's session entered agent a's list now, and
// schedules its end.
func (r *runner) assigned(i int32, a int) {
	s := &r.slots[i]
	wait := 0.0
	if s.state == slotWaiting {
		r.waiting--
		wait = r.now - s.arrived
		if s.arrived < r.lastFCFS {
			r.overtakes++
		}
		r.lastFCFS = s.arrived
	}
	s.state = slotServing
	r.load[a]++
	if r.online[a] && r.load[a] <= r.cap {
		r.busy++
	}
	r.hours[s.hour].served(wait, r.within)
	if s.counted {
		r.total.served(wait, r.within)
	}
	r.schedule(r.now+s.service, i, evDone)
}

func (st *Stats) served(wait, within float64) {
	st.Served++
	if wait > 0 {
		st.Waited++
		st.WaitSeconds += wait
	}
	if wait <= within {
		st.InTime++
	}
}

func (r *runner) release(i int32) {
	s := &r.slots[i]
	s.state, s.inQueue = slotFree, false
	s.gen++
	r.free = append(r.free, i)
}

// slotOf parses a session id back to its slot.
func (r *runner) slotOf(id string) (int32, error) {
	n, ok := parseIndex(id, 0)
	if !ok || n >= len(r.slots) || r.ids[n] != id {
		return 0, fmt.Errorf("sim: the engine reported an unknown session %q", id)
	}
	return int32(n), nil
}

// agentOf parses an agent id "a<k>" back to k.
func (r *runner) agentOf(id string) (int, error) {
	n, ok := parseIndex(id, 1)
	if !ok || n >= len(r.agents) || r.agents[n] != id {
		return 0, fmt.Errorf("sim: the engine reported an unknown agent %q", id)
	}
	return n, nil
}

func parseIndex(s string, from int) (int, bool) {
	if len(s) <= from || len(s)-from > 9 {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s[from:]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// advance moves the clock to t, integrating busy and staffed agent-time
// into the hours and closing the timeline's steps on the way. Nothing is
// integrated past the horizon: the hours are the ones buyers arrive in.
func (r *runner) advance(t float64) {
	for r.step < len(r.hours)*r.perHour && r.stepEnd <= t {
		r.integrate(r.stepEnd)
		r.timeline = append(r.timeline, Sample{
			At:       time.Duration(r.step) * r.cfg.Step,
			MaxQueue: r.stepMax,
			Staffed:  r.nOnline,
		})
		h := &r.hours[r.step/r.perHour]
		h.MaxQueue = max(h.MaxQueue, r.stepMax)
		r.step++
		r.stepEnd = float64(r.step+1) * r.stepLen
		if r.step+1 >= len(r.hours)*r.perHour {
			r.stepEnd = r.horizon // exactly, whatever the rounding
		}
		r.stepMax = r.waiting
	}
	r.integrate(min(t, r.horizon))
	r.now = t
}

// integrate adds the agent-time from the last instant integrated to t, in
// the current step's hour and, after the warm-up, in the total.
func (r *runner) integrate(t float64) {
	if r.last < r.warmup && t > r.warmup {
		r.integrate(r.warmup) // split at the warm-up's end
	}
	dt := t - r.last
	if dt <= 0 {
		return
	}
	busy, staffed := dt*float64(r.busy)/float64(r.cap), dt*float64(r.nOnline)
	h := &r.hours[r.step/r.perHour]
	h.BusySeconds += busy
	h.StaffedSeconds += staffed
	if r.last >= r.warmup {
		r.total.BusySeconds += busy
		r.total.StaffedSeconds += staffed
	}
	r.last = t
}

func (r *runner) report() Report {
	rep := Report{
		Start:        r.cfg.Start,
		Cap:          r.cap,
		AnswerWithin: r.cfg.AnswerWithin,
		Step:         r.cfg.Step,
		Warmup:       r.cfg.Warmup,
		Hours:        r.hours,
		Total:        r.total,
		Timeline:     r.timeline,
		Sessions:     int(r.born),
		Unfinished:   r.waiting,
		overtakes:    r.overtakes,
		Engine:       r.eng.Stats(),
	}
	for _, x := range r.timeline {
		if x.At >= r.cfg.Warmup {
			rep.Total.MaxQueue = max(rep.Total.MaxQueue, x.MaxQueue)
			rep.Total.Staffed = max(rep.Total.Staffed, x.Staffed)
		}
	}
	return rep
}
