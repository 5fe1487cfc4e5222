package dispatch

import (
	"time"

	"github.com/kefu-dev/kefu/agent"
)

// Stats are a shop's live numbers for monitoring, kept by the engine as
// events happen: reading them is O(1) and costs the dispatch path no
// allocation. Exporters (the nested modules metrics/prometheus and
// metrics/otel) read them at scrape time; [Shops.Stats] sums every shop.
//
// Gauges are the state now: Sessions and Agents. Everything else is a
// counter, counted when its event happens (the events of the timers a
// rejected op fired are counted then, and returned with the next op), monotonic from 0 when the engine is created (New, or Restore:
// a restored engine counts from 0 again, which monitoring systems read as
// a counter reset), and histograms are counters too. Arrays are indexed
// by the enum they count (Assigned[CauseFreed], Closed[CloseBuyerIdle]);
// index 0 is unused.
type Stats struct {
	// Sessions are the open sessions by place (gauge).
	Sessions [PlaceOffered + 1]int
	// Agents are the agents by status (gauge).
	Agents [agent.Offline + 1]int

	// Arrived counts the buyers' sessions (Arrive accepted); Started the
	// sessions agents started (Start).
	Arrived, Started uint64
	// Assigned counts assignments to an agent by cause (an assignment is
	// an EventAssigned: a session may be assigned more than once, after a
	// requeue or a bot hand-over). The diversion causes
	// (Cause.Diversion) stay 0 here.
	Assigned [len(causeNames)]uint64
	// Diverted counts buyers diverted by a queue cap or maximum wait (E8)
	// or outside business hours (E11), by cause (CauseQueueCap,
	// CauseMaxWait, CauseOutsideHours; the other causes stay 0), whichever
	// way they went: they are counted in Offline, Bot or Refused too.
	Diverted [len(causeNames)]uint64
	// Refused counts sessions ended unserved by E8 (Policy.Divert is
	// DivertRefuse): EventRefused.
	Refused uint64
	// Inactive counts sessions that stopped counting toward their agent's
	// load because their buyer fell silent (E9): EventInactive.
	Inactive uint64
	// Queued, Offline and Bot count sessions entering the queue pool, the
	// offline pool and the bot.
	Queued, Offline, Bot uint64
	// Transferred counts transfers between agents.
	Transferred uint64
	// Offered, Accepted, Rejected and TimedOut count offers (E1): made,
	// accepted, rejected (or withdrawn from an agent gone offline) and
	// let time out. Reassigned counts sessions moved from an agent that
	// left them unanswered (E3) or went offline (E4); WrapUps the wrap-ups
	// started (E5).
	Offered, Accepted, Rejected, TimedOut, Reassigned, WrapUps uint64
	// Closed counts closes by reason.
	Closed [CloseBotIdle + 1]uint64
	// Left counts buyers who left a pool; Expired offline messages that
	// expired (O3).
	Left, Expired uint64
	// Messages counts messages by sender.
	Messages [FromSystem + 1]uint64
	// Warnings counts warnings by kind; Prompts priority prompts shown.
	Warnings [WarnUnlimitedOffline + 1]uint64
	Prompts  uint64

	// Wait: how long sessions waited in the queue or offline pool before
	// an agent took them (automatically or by hand). Buyers who left are
	// not in it (Left counts them).
	Wait Histogram
	// FirstReply: from a buyer's arrival to the first agent message of the
	// session (the clock of the shop's 3-minute reply rate, M3). Sessions
	// an agent started are not in it.
	FirstReply Histogram
	// Handle: from when a session entered the list of the agent who
	// closed it to the close (after a transfer, at the last agent).
	Handle Histogram
}

// HistogramBounds are the upper bounds of the buckets of every Histogram
// in Stats: around the 3-minute window the platforms grade shops on, and
// up to a day for offline messages. Fixed, so that every shop's
// histograms add up.
var HistogramBounds = [...]time.Duration{
	5 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 3 * time.Minute,
	5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour,
}

// Histogram counts durations in the buckets of HistogramBounds.
type Histogram struct {
	// Buckets[i] counts observations ≤ HistogramBounds[i] and above the
	// bound before it (not cumulative); the last counts the rest (+Inf).
	Buckets [len(HistogramBounds) + 1]uint64
	// Count and Sum are the number and total of observations.
	Count uint64
	Sum   time.Duration
}

// observe adds one duration (negative ones count as 0).
func (h *Histogram) observe(d time.Duration) {
	d = max(d, 0)
	i := 0
	for i < len(HistogramBounds) && d > HistogramBounds[i] {
		i++
	}
	h.Buckets[i]++
	h.Count++
	h.Sum += d
}

// add adds o's observations to h.
func (h *Histogram) add(o *Histogram) {
	for i := range h.Buckets {
		h.Buckets[i] += o.Buckets[i]
	}
	h.Count += o.Count
	h.Sum += o.Sum
}

// Add adds o to s: the gauges and the counters (for a sum over shops).
func (s *Stats) Add(o *Stats) {
	for i := range s.Sessions {
		s.Sessions[i] += o.Sessions[i]
	}
	for i := range s.Agents {
		s.Agents[i] += o.Agents[i]
	}
	s.Arrived += o.Arrived
	s.Started += o.Started
	for i := range s.Assigned {
		s.Assigned[i] += o.Assigned[i]
		s.Diverted[i] += o.Diverted[i]
	}
	s.Refused += o.Refused
	s.Inactive += o.Inactive
	s.Queued += o.Queued
	s.Offline += o.Offline
	s.Bot += o.Bot
	s.Transferred += o.Transferred
	s.Offered += o.Offered
	s.Accepted += o.Accepted
	s.Rejected += o.Rejected
	s.TimedOut += o.TimedOut
	s.Reassigned += o.Reassigned
	s.WrapUps += o.WrapUps
	for i := range s.Closed {
		s.Closed[i] += o.Closed[i]
	}
	s.Left += o.Left
	s.Expired += o.Expired
	for i := range s.Messages {
		s.Messages[i] += o.Messages[i]
	}
	for i := range s.Warnings {
		s.Warnings[i] += o.Warnings[i]
	}
	s.Prompts += o.Prompts
	s.Wait.add(&o.Wait)
	s.FirstReply.add(&o.FirstReply)
	s.Handle.add(&o.Handle)
}

// Stats returns the shop's live numbers. O(g) for g policy groups.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.Sessions[PlaceQueue], s.Sessions[PlaceOffline], s.Sessions[PlaceBot] = e.QueueLen(), e.OfflineLen(), e.bot
	s.Sessions[PlaceOffered] = e.offers
	s.Sessions[PlaceAgent] = len(e.sessions) - s.Sessions[PlaceQueue] - s.Sessions[PlaceOffline] - e.bot - e.offers
	for st := agent.Online; st <= agent.Offline; st++ {
		s.Agents[st] = e.roster.Count(st)
	}
	return s
}

// count adds one event to the counters (from emit: a few ns, no
// allocation). Values outside an array's range cannot occur: the engine
// emits only its own constants.
func (st *Stats) count(ev *Event) {
	switch ev.Kind {
	case EventAssigned:
		st.Assigned[ev.Cause]++
		if ev.Cause == CauseReassigned {
			st.Reassigned++
		}
		if ev.Cause == CauseStarted {
			st.Started++
		}
	case EventQueued:
		st.Queued++
		if ev.Cause == CauseReassigned { // E3, E4: to the queue
			st.Reassigned++
		}
	case EventOffline:
		st.Offline++
	case EventBot:
		st.Bot++
	case EventRefused:
		st.Refused++
	case EventInactive:
		st.Inactive++
	case EventTransferred:
		st.Transferred++
	case EventClosed:
		st.Closed[ev.Reason]++
	case EventLeft:
		st.Left++
	case EventExpired:
		st.Expired++
	case EventMessage:
		st.Messages[ev.Sender]++
	case EventWarning:
		st.Warnings[ev.Warning]++
	case EventPrompt:
		st.Prompts++
	case EventOffered:
		st.Offered++
		if ev.Cause == CauseReassigned {
			st.Reassigned++
		}
	case EventAccepted:
		st.Accepted++
	case EventRejected:
		st.Rejected++
	case EventOfferTimedOut:
		st.TimedOut++
	case EventWrapUp:
		st.WrapUps++
	}
	if ev.Cause.Diversion() { // E8, E11: only on an EventOffline, EventBot or EventRefused
		st.Diverted[ev.Cause]++
	}
}
