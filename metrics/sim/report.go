package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/kefu-dev/kefu/dispatch"
)

// Stats are the figures of one hour, or of the whole run after the
// warm-up. Sessions count in the hour they arrive in, whenever they end;
// MaxQueue, Staffed and the agent-time count in the hour of the clock.
type Stats struct {
	// Start is when the hour begins (zero in Report.Total).
	Start time.Time
	// Staffed is the number of agents online in the hour (in Total, the
	// most at once).
	Staffed int
	// Arrivals is the number of sessions that arrived.
	Arrivals int
	// Served is how many of them an agent took (at once or from the queue).
	Served int
	// Waited is how many of the served waited in the queue (or the offline
	// pool) first, rather than being assigned on arrival.
	Waited int
	// InTime is how many of the served were assigned within
	// Report.AnswerWithin of arriving.
	InTime int
	// Abandoned is how many left the queue before an agent took them
	// (Engine.Leave, and the offline pool's expiry).
	Abandoned int
	// Bot is how many the engine gave to the shop's bot (bot-first or a
	// bot share, rules B1, B2, or diverted there by E8); they are neither
	// served nor abandoned.
	Bot int
	// Refused is how many the queue's cap or maximum wait turned away
	// (E8, Policy.Divert refuse: dispatch.EventRefused): neither served
	// nor abandoned.
	Refused int
	// Diverted is how many the queue's cap or maximum wait sent to the
	// offline pool or the bot (E8, Cause CauseQueueCap or CauseMaxWait);
	// those sent to the bot count in Bot too, those sent offline end
	// served, abandoned or unfinished.
	Diverted int
	// LongestQueueWait is the longest time a session stayed in the queue
	// pool in one stretch (to its assignment, its buyer leaving, or a
	// diversion), the offline pool not counted: Policy.MaxWait bounds it
	// (E8). Sessions still in the queue at the end are not counted.
	LongestQueueWait time.Duration
	// MaxInQueue is the longest the queue pool alone was, in the hour of
	// the clock: Policy.QueueCap bounds it for new buyers (E8).
	MaxInQueue int
	// WaitSeconds is the total wait of the served, in seconds.
	WaitSeconds float64
	// MaxQueue is the longest the queue (with the offline pool) was.
	MaxQueue int
	// BusySeconds is the agent-time at work, Σ min(load, Cap)/Cap over
	// the online agents, integrated over time; StaffedSeconds is the
	// online agent-time. Agents who logged out and finish their sessions
	// count in neither.
	BusySeconds, StaffedSeconds float64
}

// PWait returns the fraction of served sessions that waited in the queue:
// Waited / Served (Erlang C's C(c, a); Erlang A's PWaitServed).
func (s Stats) PWait() float64 { return ratio(float64(s.Waited), float64(s.Served)) }

// ASA returns the average speed of answer: the mean wait of the served
// sessions, those assigned on arrival counted with 0 (Erlang A's ASA).
func (s Stats) ASA() time.Duration {
	return time.Duration(ratio(s.WaitSeconds, float64(s.Served)) * 1e9)
}

// ASASeconds is ASA in seconds, unrounded.
func (s Stats) ASASeconds() float64 { return ratio(s.WaitSeconds, float64(s.Served)) }

// ServiceLevel returns the fraction of the sessions whose wait ended
// (served or abandoned) that an agent took within Report.AnswerWithin:
// InTime / (Served + Abandoned + Refused). Abandoned and refused sessions
// count as not answered in time, however soon their buyer left or was
// turned away.
func (s Stats) ServiceLevel() float64 {
	return ratio(float64(s.InTime), float64(s.Served+s.Abandoned+s.Refused))
}

// AbandonRate returns Abandoned / (Served + Abandoned).
func (s Stats) AbandonRate() float64 {
	return ratio(float64(s.Abandoned), float64(s.Served+s.Abandoned))
}

// Occupancy returns BusySeconds / StaffedSeconds: with Cap 1, the fraction
// of staffed time the agents were serving; with Cap n, their load / n,
// averaged over time.
func (s Stats) Occupancy() float64 { return ratio(s.BusySeconds, s.StaffedSeconds) }

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Sample is one step of the timeline.
type Sample struct {
	// At is the step's start, after Report.Start.
	At time.Duration
	// MaxQueue is the longest the queue (with the offline pool) was in
	// the step.
	MaxQueue int
	// Staffed is the number of agents online in the step.
	Staffed int
}

// Report is what [Run] returns.
type Report struct {
	// Start, Cap, AnswerWithin, Step and Warmup are the Config's, with
	// defaults filled in.
	Start        time.Time
	Cap          int
	AnswerWithin time.Duration
	Step         time.Duration
	Warmup       time.Duration
	// Hours has one entry per simulated hour.
	Hours []Stats
	// Total sums the sessions that arrived after the warm-up and the
	// agent-time after it; its MaxQueue and Staffed are the highest after
	// it.
	Total Stats
	// Timeline has one sample per Step of the simulated hours.
	Timeline []Sample
	// Sessions is the number of sessions simulated, warm-up included.
	Sessions int
	// Unfinished is the number still waiting when nothing more could
	// happen (no agent online to take them, no patience to end).
	Unfinished int
	// Engine is the engine's own live numbers (dispatch.Stats) at the end
	// of the run.
	Engine dispatch.Stats

	overtakes int // served from the queue before an earlier arrival still waiting
}

// String renders the hourly table and the total, one hour a line: the
// hour, agents online, arrivals, served, abandoned, P(wait), ASA in
// seconds, the service level, the longest queue and the occupancy; a bot
// column when the bot took sessions.
func (r Report) String() string {
	var b strings.Builder
	bot := r.Total.Bot > 0
	for _, h := range r.Hours {
		bot = bot || h.Bot > 0
	}
	sl := fmt.Sprintf("SL%ds", int(r.AnswerWithin.Seconds()))
	fmt.Fprintf(&b, "%-8s %6s %8s %8s %9s", "hour", "agents", "arrivals", "served", "abandoned")
	if bot {
		fmt.Fprintf(&b, " %6s", "bot")
	}
	fmt.Fprintf(&b, " %7s %7s %7s %6s %9s\n", "P(wait)", "ASA(s)", sl, "maxQ", "occupancy")
	multiDay := len(r.Hours) > 24
	row := func(label string, s Stats, agents string) {
		fmt.Fprintf(&b, "%-8s %6s %8d %8d %9d", label, agents, s.Arrivals, s.Served, s.Abandoned)
		if bot {
			fmt.Fprintf(&b, " %6d", s.Bot)
		}
		fmt.Fprintf(&b, " %7.3f %7.1f %7.3f %6d %9.3f\n",
			s.PWait(), s.ASASeconds(), s.ServiceLevel(), s.MaxQueue, s.Occupancy())
	}
	for i, h := range r.Hours {
		label := h.Start.Format("15:04")
		if multiDay {
			label = fmt.Sprintf("d%d %s", i/24+1, label)
		}
		row(label, h, fmt.Sprint(h.Staffed))
	}
	row("total", r.Total, fmt.Sprint(r.Total.Staffed))
	if r.Unfinished > 0 {
		fmt.Fprintf(&b, "unfinished: %d sessions still waiting at the end\n", r.Unfinished)
	}
	return b.String()
}
