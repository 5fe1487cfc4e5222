package metrics

import (
	"maps"
	"math"
	"time"

	"github.com/kefu-dev/kefu/dispatch"
)

// Recorder computes a shop's service metrics from the engine's events and
// the ratings the host passes in. Create it with [New]; the zero value is
// not usable.
//
// Feed it every event every engine operation returns, in order, with
// [Recorder.Observe] (or [Recorder.Feed]), and each rating with
// [Recorder.Rate]. Call [Recorder.Advance] with the engine's time when no
// event comes, so that a 3-minute window that ran out counts as missed
// before the next event.
//
// A Recorder is not safe for concurrent use: drive it from the goroutine
// (or under the mutex) that drives its engine. It never reads the clock.
type Recorder struct {
	loc *time.Location
	cfg config

	now      time.Time
	nowN     instant
	sessions map[string]*sess
	last     *sess // the session of the latest event, to skip the map lookup
	free     []*sess
	agents   map[string]*agentState
	pending  fifo
	nextID   uint64

	days  map[Date]*day
	floor Date // days before it are forgotten: writes go to sink
	sink  *day

	// cache: the local hour [cStart, cEnd) that locate saw last.
	cStart, cEnd instant
	cDay         *day
	cHour        int

	queueLen, offlineLen, botLen int
	qEnd                         instant // end of the hour whose MaxQueue saw queueLen
	// carried is the max queue (M5) of the hours of days that have no
	// bucket: the queue waited through them with no event (see carry).
	carried spans
}

// instant is a time as Unix nanoseconds: the recorder's arithmetic on
// event times is integer arithmetic, with no time.Time on the hot path.
type instant int64

func inst(t time.Time) instant { return instant(t.UnixNano()) }

func (n instant) sub(o instant) time.Duration { return time.Duration(n - o) }

func (n instant) add(d time.Duration) instant { return n + instant(d) }

// timeOf returns n as a time in the shop's time zone.
func (r *Recorder) timeOf(n instant) time.Time { return time.Unix(0, int64(n)).In(r.loc) }

func later(a, b instant) instant { return max(a, b) }

// New returns a recorder for a shop in time zone loc: day boundaries, the
// hours of the hourly report and the counted hours are in it. loc is
// required ([ErrNilLocation]); options set the reply window, the counted
// hours, the alert thresholds and the bad-attitude standard and tiers.
func New(loc *time.Location, opts ...Option) (*Recorder, error) {
	if loc == nil {
		return nil, ErrNilLocation
	}
	cfg := defaults()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(&cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return newRecorder(loc, cfg), nil
}

// newRecorder returns an empty recorder with a checked configuration.
func newRecorder(loc *time.Location, cfg config) *Recorder {
	return &Recorder{
		loc:      loc,
		cfg:      cfg,
		sessions: make(map[string]*sess),
		agents:   make(map[string]*agentState),
		days:     make(map[Date]*day),
		sink:     newDay(Date{}),
	}
}

// Location returns the shop's time zone.
func (r *Recorder) Location() *time.Location { return r.loc }

// Window returns the reply window of the 3-minute reply rates.
func (r *Recorder) Window() time.Duration { return r.cfg.window }

// CountedHours returns the local hours whose samples count.
func (r *Recorder) CountedHours() Hours { return r.cfg.hours }

// Now returns the latest time the recorder has seen.
func (r *Recorder) Now() time.Time { return r.now }

// Open returns the number of open sessions the recorder tracks; its
// per-session state is bounded by it.
func (r *Recorder) Open() int { return len(r.sessions) }

// DateOf returns the shop's day t falls on.
func (r *Recorder) DateOf(t time.Time) Date { return DateOf(t, r.loc) }

// place is where the recorder believes an open session is.
type place uint8

const (
	placeNone place = iota
	placeBot
	placeQueue
	placeOffline
	placeAgent
	placeOffered // on offer to holder, not in its list (E1)
	placeLast    = placeOffered
)

// sess is the recorder's state of one open session; it is dropped when
// the session closes, leaves or expires.
type sess struct {
	id, buyer string
	place     place
	started   bool // FlagStarted: no buyer first message, no reply-rate sample
	shop      bool // out of the bot's hands: the shop's clock runs (M3)
	received  bool // has entered a human list (M5 human receptions)
	replied   bool // a human replied at least once
	unreplied bool // L5: the buyer's latest message has no agent reply after it

	arrived   instant // buyer's first message
	shopStart instant // M3 clock: arrived, or the bot's hand-over
	waitSince instant // first buyer message not answered yet (L5), if unreplied
	entered   instant // entered the holder's list (M2 clock)

	holder *agentState // whose list holds it, or who it is offered to
	credit *agentDay   // whose "today received" counts this session (M6)

	// consultations bucket, to undo if the buyer leaves a pool (Q3)
	consultDay  *day
	consultHour int

	shopSample  uint64  // pending M3 sample id, 0: none
	shopMissed  bool    // the M3 window ran out: counted as missed
	stintOpen   bool    // the holder's M2 sample is not taken yet
	stintSample uint64  // pending M2 sample id, 0: none
	stintStart  instant // M2 clock start of the pending sample
}

// agentState is one agent's live counts (M6) and a cache of its stats of
// the latest day touched.
type agentState struct {
	id          string
	inReception int
	unreplied   int
	offered     int // sessions on offer to it (E1), not in its list
	cday        *day
	cstats      *agentDay
}

// agentDay is one agent's stats of one day.
type agentDay struct {
	reply    Rate // M2
	resp     Mean // M8, the agent's clock
	first    int  // first responses it gave (M3 credit)
	received int  // M6 today received
}

// day is one local day's aggregates.
type day struct {
	date    Date
	hours   [24]Hour
	total   Hour
	resp    Mean // M8, the shop's clock
	agents  map[string]*agentDay
	ratings map[ratingKey]Rating
	alerts  []Alert
}

func newDay(d Date) *day {
	x := &day{date: d, agents: make(map[string]*agentDay), ratings: make(map[ratingKey]Rating)}
	for h := range x.hours {
		x.hours[h].Hour = h
	}
	x.total.Hour = -1
	return x
}

// locate returns the day bucket and local hour of t, and when that hour
// ends. Days before the forget floor map to a sink that is never
// reported.
func (r *Recorder) locate(t instant) (*day, int, instant) {
	if t >= r.cStart && t < r.cEnd {
		return r.cDay, r.cHour, r.cEnd
	}
	date, h, start, end := r.hourAt(t)
	d := r.dayAt(date, true)
	r.cStart, r.cEnd, r.cDay, r.cHour = start, end, d, h
	return d, h, end
}

// hourAt returns the local date and hour of t, and the bounds [start,
// end) of that hour.
func (r *Recorder) hourAt(t instant) (date Date, hour int, start, end instant) {
	lt := r.timeOf(t)
	y, m, dd := lt.Date()
	h := lt.Hour()
	// The local hour is an hour of UTC at one offset: back from t to the
	// hour's start, cut where a DST change moves the offset. (time.Date
	// of the wall clock hours is wrong there: it names a skipped hour or
	// picks one side of a repeated one.)
	into := time.Duration(lt.Minute())*time.Minute + time.Duration(lt.Second())*time.Second +
		time.Duration(lt.Nanosecond())
	start, end = t-instant(into), t-instant(into)+instant(time.Hour)
	if zs, ze := lt.ZoneBounds(); !zs.IsZero() || !ze.IsZero() {
		if d := zs.Sub(lt); !zs.IsZero() && d > -into {
			start = t + instant(d)
		}
		if d := ze.Sub(lt); !ze.IsZero() && d < time.Hour-into {
			end = t + instant(d)
		}
	}
	if start > t { // wrapped: before 1677
		start = math.MinInt64
	}
	if end <= t { // wrapped: the hour ends after 2262
		end = math.MaxInt64
	}
	return Date{y, m, dd}, h, start, end
}

// dayAt returns the bucket of date d, creating it if create is set; nil
// if it does not exist and create is not set; the sink for a forgotten
// day.
func (r *Recorder) dayAt(d Date, create bool) *day {
	if d.Before(r.floor) {
		if create {
			return r.sink
		}
		return nil
	}
	x := r.days[d]
	if x == nil && create {
		x = newDay(d)
		r.days[d] = x
	}
	return x
}

func (r *Recorder) counted(h int) bool { return r.cfg.hours.Has(h) }

// countedAt reports whether t's local hour is counted.
func (r *Recorder) countedAt(t instant) bool {
	if r.cfg.hours == AllHours {
		return true
	}
	_, h, _ := r.locate(t)
	return r.counted(h)
}

func (r *Recorder) agent(id string) *agentState {
	a := r.agents[id]
	if a == nil {
		a = &agentState{id: id}
		r.agents[id] = a
	}
	return a
}

// stats returns the agent's stats in day d.
func (a *agentState) stats(d *day) *agentDay {
	if a.cday == d {
		return a.cstats
	}
	s := d.agents[a.id]
	if s == nil {
		s = &agentDay{}
		d.agents[a.id] = s
	}
	a.cday, a.cstats = d, s
	return s
}

// A Recorder is an observer of its engine (dispatch.WithObserver): the
// engine feeds it every event of every op, and saves and restores it with
// its own snapshot ([Recorder.MarshalBinary], [Recorder.UnmarshalBinary]).
var _ dispatch.Observer = (*Recorder)(nil)

// Feed observes each event in order.
func (r *Recorder) Feed(evs []dispatch.Event) {
	for i := range evs {
		r.observe(&evs[i])
	}
}

// Observe records one engine event. Events must come in the order the
// engine returned them. Events of sessions the recorder never saw open
// (it was attached to a running engine) are ignored, as are the engine's
// warnings (EventWarning), prompts, wrap-ups (EventWrapUp,
// EventWrapUpEnded: they name a session already closed, E5) and
// inactivity (EventInactive, E9). An EventRefused (E8) ends its session. Cost O(1)
// amortized; no allocation in steady state.
func (r *Recorder) Observe(ev dispatch.Event) { r.observe(&ev) }

func (r *Recorder) observe(ev *dispatch.Event) {
	at := inst(ev.At)
	r.advance(at, ev.At)
	s := r.last
	if s == nil || s.id != ev.Session {
		s = r.sessions[ev.Session]
		r.last = s
	}
	switch ev.Kind {
	case dispatch.EventBot, dispatch.EventQueued, dispatch.EventOffline, dispatch.EventAssigned, dispatch.EventOffered:
		if s == nil {
			if ev.Session == "" {
				return
			}
			s = r.open(ev)
		}
		w := whyMove
		if ev.Cause == dispatch.CauseReassigned {
			w = whyReassign // from ev.From's list (E3, E4)
		}
		switch ev.Kind {
		case dispatch.EventBot:
			r.toBot(s, at)
		case dispatch.EventQueued:
			r.toPool(s, at, placeQueue, w)
		case dispatch.EventOffline:
			r.toPool(s, at, placeOffline, w)
		case dispatch.EventOffered:
			r.leave(s, at, w)
			r.offer(s, ev.Agent)
		default:
			r.leave(s, at, w)
			r.enter(s, at, ev.Agent)
		}
	case dispatch.EventTransferred, dispatch.EventAccepted:
		if s != nil {
			r.leave(s, at, whyMove)
			r.enter(s, at, ev.Agent)
		}
	case dispatch.EventRejected, dispatch.EventOfferTimedOut:
		if s != nil && s.place == placeOffered {
			r.leave(s, at, whyMove) // in no place until the next event (E1)
		}
	case dispatch.EventMessage:
		if s != nil {
			r.message(s, at, ev.Sender, ev.Agent)
		}
	case dispatch.EventClosed, dispatch.EventExpired:
		if s != nil {
			r.end(s, at)
		}
	case dispatch.EventLeft:
		if s != nil {
			r.left(s, at)
		}
	case dispatch.EventRefused:
		// E8 with Policy.Divert refuse: the session ends unserved, a
		// consultation never replied (a miss, M3). A buyer refused at
		// arrival (CauseQueueCap) has no event before this one.
		if s == nil {
			if ev.Session == "" {
				return
			}
			s = r.open(ev)
		}
		if s.place == placeBot {
			// A bot's hand-over refused: the buyer asked for a human, so
			// the shop's clock starts there (and misses at once).
			r.leave(s, at, whyMove)
		}
		r.end(s, at)
	}
	// EventInactive (E9) changes no metric: the session stays in its
	// agent's list (in reception, M6), and the buyer's next message is an
	// ordinary EventMessage.
}

// Advance moves the recorder's clock to now without an event: reply
// windows that ran out by then count as missed, and the queue length
// carries into the hours passed (M5's max queue). Observe does the same
// with each event's time. Call it after feeding the events of the
// engine's own Advance(now). An earlier now does nothing.
func (r *Recorder) Advance(now time.Time) { r.advance(inst(now), now) }

func (r *Recorder) advance(at instant, t time.Time) {
	if at > r.nowN || r.now.IsZero() {
		r.now, r.nowN = t, at
	}
	r.expire(at)
	if r.queueLen > 0 && at >= r.qEnd {
		r.carry(at)
	}
}

// open creates the state of a session seen for the first time. Its first
// event is at the buyer's first message (Arrive) or at the agent's start.
func (r *Recorder) open(ev *dispatch.Event) *sess {
	var s *sess
	if n := len(r.free); n > 0 {
		s, r.free = r.free[n-1], r.free[:n-1]
	} else {
		s = new(sess)
	}
	s.id, s.buyer = ev.Session, ev.Buyer
	s.arrived = inst(ev.Arrived)
	if ev.Arrived.IsZero() {
		s.arrived = inst(ev.At)
	}
	s.started = ev.Flags&dispatch.FlagStarted != 0 || ev.Cause == dispatch.CauseStarted
	if !s.started {
		s.unreplied, s.waitSince = true, s.arrived
		d, h, _ := r.locate(s.arrived)
		d.hours[h].Consultations++
		d.total.Consultations++
		s.consultDay, s.consultHour = d, h
	}
	if ev.Kind != dispatch.EventBot {
		r.toShop(s, s.arrived)
	}
	r.sessions[s.id] = s
	r.last = s
	return s
}

// drop forgets a session that closed, left or expired.
func (r *Recorder) drop(s *sess) {
	delete(r.sessions, s.id)
	if r.last == s {
		r.last = nil
	}
	*s = sess{}
	r.free = append(r.free, s)
}

// toShop starts the shop's clock (M3) at start: the buyer's first message,
// or the bot's hand-over.
func (r *Recorder) toShop(s *sess, start instant) {
	s.shop, s.shopStart = true, start
	if s.started {
		return
	}
	if r.countedAt(start) {
		s.shopSample = r.push(start, s, false)
	}
}

type why uint8

const (
	whyMove     why = iota + 1 // transfer, requeue, hand-over, assignment from a pool, offer ended
	whyClose                   // closed or expired
	whyLeft                    // the buyer left a pool (Q3)
	whyReassign                // moved from an agent's list by the engine (E3, E4)
)

// leave takes s out of its place.
func (r *Recorder) leave(s *sess, at instant, w why) {
	switch s.place {
	case placeBot:
		r.botLen--
		if w == whyMove && !s.shop {
			r.toShop(s, at) // hand-over to humans
		}
	case placeQueue:
		r.queueLen--
	case placeOffline:
		r.offlineLen--
	case placeAgent:
		a := s.holder
		a.inReception--
		if s.unreplied {
			a.unreplied--
		}
		if s.stintSample != 0 {
			switch {
			case w == whyClose:
				r.resolveStint(s, false) // closed without a reply: missed
			case w == whyReassign && at.sub(s.stintStart) >= r.cfg.window:
				// Taken away at the window's very end (E3 with
				// ReassignAfter equal to the window): the agent let it
				// all pass. Later than that expire has counted it.
				r.resolveStint(s, false)
			default:
				s.stintSample = 0 // left within the window: no sample
			}
		}
		s.stintOpen = false
		if (w == whyMove || w == whyReassign) && s.credit != nil {
			s.credit.received-- // transferred away: not "received" (M6)
			s.credit = nil
		}
		s.holder = nil
	case placeOffered:
		s.holder.offered--
		s.holder = nil
	}
	s.place = placeNone
}

// offer puts s on offer to agent id (E1): not in its list, so no clock of
// the agent's runs and it receives nothing until it accepts.
func (r *Recorder) offer(s *sess, id string) {
	a := r.agent(id)
	s.place, s.holder = placeOffered, a
	a.offered++
}

func (r *Recorder) toBot(s *sess, at instant) {
	again := s.place == placeBot // a hand-over diverted back to the bot (E8)
	r.leave(s, at, whyMove)
	s.place = placeBot
	r.botLen++
	if again {
		return // answered by the bot once (M5)
	}
	d, h, _ := r.locate(at)
	d.hours[h].Bot++
	d.total.Bot++
}

func (r *Recorder) toPool(s *sess, at instant, p place, w why) {
	r.leave(s, at, w)
	s.place = p
	if p == placeOffline {
		r.offlineLen++
		return
	}
	r.queueLen++
	d, h, end := r.locate(at)
	d.hours[h].Queued++
	d.total.Queued++
	r.seeQueue(d, h)
	r.qEnd = end
}

// seeQueue raises hour h's max queue length to the current length.
func (r *Recorder) seeQueue(d *day, h int) {
	if r.queueLen > d.hours[h].MaxQueue {
		d.hours[h].MaxQueue = r.queueLen
	}
	if r.queueLen > d.total.MaxQueue {
		d.total.MaxQueue = r.queueLen
	}
}

// enter puts s into agent id's list at at: the agent's clock starts
// (M2), and the session counts as received by it (M6).
func (r *Recorder) enter(s *sess, at instant, id string) {
	a := r.agent(id)
	s.place, s.holder, s.entered = placeAgent, a, at
	a.inReception++
	if s.unreplied {
		a.unreplied++
	}
	if s.started {
		return
	}
	d, h, _ := r.locate(at)
	if !s.received {
		s.received = true
		d.hours[h].Human++
		d.total.Human++
	}
	st := a.stats(d)
	st.received++
	s.credit = st
	s.stintOpen = true
	if s.unreplied {
		r.startStint(s, at)
	}
}

// startStint starts the holder's M2 clock at at: the session is in its
// list and the buyer waits for an answer.
func (r *Recorder) startStint(s *sess, at instant) {
	if !r.countedAt(at) {
		s.stintOpen = false
		return
	}
	s.stintStart = at
	s.stintSample = r.push(at, s, true)
}

// message records a message: a buyer's starts a wait, an agent's answers
// it; bot and system messages are never a human response.
func (r *Recorder) message(s *sess, at instant, from dispatch.Sender, agentID string) {
	switch from {
	case dispatch.FromBuyer:
		if !s.unreplied {
			s.unreplied, s.waitSince = true, at
			if s.place == placeAgent {
				s.holder.unreplied++
			}
		}
		if s.place == placeAgent && s.stintOpen && s.stintSample == 0 {
			r.startStint(s, at)
		}
	case dispatch.FromAgent:
		r.reply(s, at, agentID)
	}
}

// reply records a human reply by agent id (the holder, S4), credited to
// it.
func (r *Recorder) reply(s *sess, at instant, id string) {
	a := s.holder
	if a == nil || a.id != id {
		if id == "" {
			return
		}
		a = r.agent(id)
	}
	if s.unreplied {
		// M8: from the first unanswered buyer message; the shop's clock
		// not before the hand-over, the agent's not before the session
		// entered its list.
		w := later(s.waitSince, s.shopStart)
		if d, h, _ := r.locate(w); r.counted(h) {
			d.resp.add(at.sub(w))
		}
		if s.place == placeAgent {
			aw := later(w, s.entered)
			if d, h, _ := r.locate(aw); r.counted(h) {
				a.stats(d).resp.add(at.sub(aw))
			}
		}
		r.slow(s, at, a.id, at.sub(w), true)
		s.unreplied, s.waitSince = false, 0
		if s.place == placeAgent {
			s.holder.unreplied--
		}
	}
	if !s.replied {
		s.replied = true
		if !s.started && s.shop {
			d, h, _ := r.locate(s.shopStart)
			if r.counted(h) {
				fr := at.sub(s.shopStart)
				d.hours[h].FirstResponse.add(fr)
				d.total.FirstResponse.add(fr)
			}
			a.stats(d).first++ // the first response is credited to who gave it
			if s.shopSample != 0 {
				r.resolveShop(s, at.sub(s.shopStart) <= r.cfg.window)
			}
		}
	}
	if s.stintSample != 0 && s.holder == a {
		r.resolveStint(s, at.sub(s.stintStart) <= r.cfg.window)
		s.stintOpen = false
	}
}

// slow lists a reply that came (or, at a close, never came) after the
// buyer waited longer than the threshold (M7).
func (r *Recorder) slow(s *sess, at instant, agentID string, wait time.Duration, answered bool) {
	kind, limit := AlertSlowReply, r.cfg.slowAny
	if !s.replied {
		kind, limit = AlertSlowFirstReply, r.cfg.slowFirst
	}
	if wait <= limit {
		return
	}
	d, _, _ := r.locate(at)
	d.alerts = append(d.alerts, Alert{
		Kind: kind, Session: s.id, Buyer: s.buyer, Agent: agentID,
		At: r.timeOf(at), Wait: wait, Unanswered: !answered,
	})
}

// end records a session that closed or expired: a shop session never
// replied is a miss (M3); a session handled entirely by the bot is no
// sample.
func (r *Recorder) end(s *sess, at instant) {
	if s.shopSample != 0 {
		r.resolveShop(s, false)
	}
	if s.shop && s.unreplied && s.place != placeBot {
		agentID := ""
		if s.place == placeAgent {
			agentID = s.holder.id
		}
		r.slow(s, at, agentID, at.sub(later(s.waitSince, s.shopStart)), false)
	}
	r.leave(s, at, whyClose)
	r.drop(s)
}

// left records a buyer who left a pool. A session no agent had received
// leaves no trace but the hour's Left count (Q3), even if its window had
// run out. One an agent had received before it was requeued (S5) was a
// session: it ends as a close does.
func (r *Recorder) left(s *sess, at instant) {
	d, h, _ := r.locate(at)
	d.hours[h].Left++
	d.total.Left++
	if s.received {
		r.end(s, at)
		return
	}
	if s.consultDay != nil {
		s.consultDay.hours[s.consultHour].Consultations--
		s.consultDay.total.Consultations--
	}
	s.shopSample = 0
	if s.shopMissed { // the window ran out while it waited: undo the miss
		d, h, _ := r.locate(s.shopStart)
		d.hours[h].ReplyRate.Den--
		d.total.ReplyRate.Den--
	}
	r.leave(s, at, whyLeft)
	r.drop(s)
}

// resolveShop ends the pending M3 sample of s.
func (r *Recorder) resolveShop(s *sess, in bool) {
	s.shopSample, s.shopMissed = 0, !in
	d, h, _ := r.locate(s.shopStart)
	d.hours[h].ReplyRate.hit(in)
	d.total.ReplyRate.hit(in)
}

// resolveStint ends the pending M2 sample of s, for its holder.
func (r *Recorder) resolveStint(s *sess, in bool) {
	s.stintSample = 0
	d, _, _ := r.locate(s.stintStart)
	s.holder.stats(d).reply.hit(in)
}

// expire counts as missed every pending sample whose window ended
// before at.
func (r *Recorder) expire(at instant) {
	for r.pending.n > 0 {
		p := *r.pending.peek()
		if p.deadline >= at {
			return
		}
		r.pending.pop()
		switch {
		case p.agent && p.s.stintSample == p.id:
			r.resolveStint(p.s, false)
			p.s.stintOpen = false
		case !p.agent && p.s.shopSample == p.id:
			r.resolveShop(p.s, false)
		}
	}
}

// push schedules a sample's window end; samples start at event times, so
// deadlines come in order and a ring buffer is the index.
func (r *Recorder) push(start instant, s *sess, agent bool) uint64 {
	r.nextID++
	r.pending.push(pending{deadline: start.add(r.cfg.window), s: s, id: r.nextID, agent: agent})
	return r.nextID
}

// pending is a sample whose window has not ended. It is stale when its
// session's sample id moved on (answered, cancelled, session dropped).
type pending struct {
	deadline instant
	s        *sess
	id       uint64
	agent    bool
}

// fifo is a growable ring buffer of pending samples.
type fifo struct {
	buf     []pending
	head, n int
}

func (q *fifo) push(p pending) {
	if q.n == len(q.buf) {
		nb := make([]pending, max(16, 2*len(q.buf)))
		for i := 0; i < q.n; i++ {
			nb[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = p
	q.n++
}

func (q *fifo) peek() *pending { return &q.buf[q.head] }

func (q *fifo) pop() {
	q.buf[q.head] = pending{}
	q.head = (q.head + 1) % len(q.buf)
	q.n--
}

// Forget drops every day before the given one: its hourly report,
// per-agent stats, ratings and alerts. Samples of open sessions that
// started on a forgotten day are no longer counted anywhere. It also
// drops the state of every agent that holds no open session and has no
// stats in a kept day: nothing reports it any more, and an agent who
// comes back starts afresh. Call it to bound memory (for example keep 62
// days, for this month's and last month's M4 reports): what the recorder
// keeps is then bounded by the kept days and the open sessions, however
// many agents came and went. Cost O(days + agents × kept days).
func (r *Recorder) Forget(before Date) {
	if before.Before(r.floor) {
		return
	}
	r.floor = before
	for d := range r.days {
		if d.Before(before) {
			delete(r.days, d)
		}
	}
	r.carried.forget(r.dayStart(before))
	r.cStart, r.cEnd, r.cDay = 0, 0, nil
	n := len(r.agents)
	for id, a := range r.agents {
		a.cday, a.cstats = nil, nil
		if a.inReception == 0 && a.offered == 0 && !r.hasStats(id) {
			delete(r.agents, id)
		}
	}
	if len(r.agents) < n/2 { // a map does not shrink (nor does maps.Clone's copy)
		m := make(map[string]*agentState, len(r.agents))
		maps.Copy(m, r.agents)
		r.agents = m
	}
	r.sink = newDay(Date{})
}

// hasStats reports whether agent id has stats in a kept day.
func (r *Recorder) hasStats(id string) bool {
	for _, d := range r.days {
		if d.agents[id] != nil {
			return true
		}
	}
	return false
}
