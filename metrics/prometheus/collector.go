package kefuprom

import (
	"errors"
	"fmt"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
)

// Source is what a [Collector] reads at each scrape: a shop's live
// numbers, or their sum over many shops. *dispatch.Shops (every shop of
// the process), *dispatch.Shop and *dispatch.Engine are Sources.
//
// Stats is called from the scrape's goroutine, while the host drives its
// shops: *dispatch.Shops and *dispatch.Shop are safe for that, a bare
// *dispatch.Engine is not (it is single-goroutine). Pass an Engine only if
// nothing else calls it while the registry gathers, or wrap it in a
// [SourceFunc] that takes the mutex the host serialises its calls with.
type Source interface {
	Stats() dispatch.Stats
}

// SourceFunc adapts a function to a [Source], for an engine behind the
// host's own mutex or numbers kept elsewhere:
//
//	kefuprom.New(kefuprom.SourceFunc(func() dispatch.Stats {
//		mu.Lock()
//		defer mu.Unlock()
//		return eng.Stats()
//	}))
type SourceFunc func() dispatch.Stats

// Stats calls f.
func (f SourceFunc) Stats() dispatch.Stats { return f() }

// Compile-time checks: the core's types are Sources.
var (
	_ Source = (*dispatch.Shops)(nil)
	_ Source = (*dispatch.Shop)(nil)
	_ Source = (*dispatch.Engine)(nil)
	_ Source = SourceFunc(nil)

	_ shopRanger = (*dispatch.Shops)(nil)

	_ prometheus.Collector = (*Collector)(nil)
)

// shopRanger is a Source that lists its shops, which WithShopLabels needs.
type shopRanger interface {
	Range(f func(id string, s *dispatch.Shop) bool)
}

// Errors that make a Collector invalid; registering it returns them,
// wrapped (errors.Is works).
var (
	// ErrNoShops: WithShopLabels was given with a Source that cannot
	// list its shops (it has no Range method, as *dispatch.Shops has).
	ErrNoShops = errors.New("kefuprom: shop labels need a Source that lists its shops, such as *dispatch.Shops")
	// ErrEmptyShop: WithShopLabels was given the id "", which labels the
	// shops not listed.
	ErrEmptyShop = errors.New(`kefuprom: shop id "" cannot be labelled: shop="" labels the shops not listed`)
	// ErrNoSource: New was given a nil Source.
	ErrNoSource = errors.New("kefuprom: nil Source")
)

// Collector exports a [Source]'s [dispatch.Stats] as Prometheus metrics.
// It is a prometheus.Collector: register it on a registry of your own
// (prometheus.NewRegistry), never the global default one. It keeps no
// numbers: each Collect reads the Source and builds constant metrics, so
// what a scrape shows is the Source at that scrape.
//
// Every label value of every metric is exported, at zero if nothing
// happened, so series do not come and go. Label values are the core's
// stable names (dispatch.Place.String, agent.Status.String,
// dispatch.Cause.String, dispatch.CloseReason.String,
// dispatch.Sender.String, dispatch.Warning.Code).
//
// A misconfigured Collector (a nil Source, or see [WithShopLabels],
// [WithNamespace] and [WithConstLabels]) is not an error of New: Describe reports it, so Registry.Register
// returns it (and MustRegister panics with it), and Collect sends it as
// an invalid metric, so Gather returns it. A valid Collector never fails.
//
// A Collector is safe for concurrent use (two scrapes at once) if its
// Source is; it does not change after New.
type Collector struct {
	src      Source
	shops    shopRanger     // the Source, when it lists its shops
	labelled bool           // WithShopLabels: every series has a shop label
	ids      []string       // the listed shops, sorted, without repeats
	index    map[string]int // id → its index in ids
	err      error          // the configuration error, if any

	sessions, agents                  *prometheus.Desc
	arrived, started, assigned        *prometheus.Desc
	queued, offline, bot, transferred *prometheus.Desc
	offered, accepted, rejected       *prometheus.Desc
	timedOut, reassigned, wrapUps     *prometheus.Desc
	diverted, refused, inactive       *prometheus.Desc
	closed, left, expired             *prometheus.Desc
	messages, warnings, prompts       *prometheus.Desc
	wait, firstReply, handle          *prometheus.Desc
	places, statuses, causes, reasons []string
	senders, warningCodes             []string
	bounds                            [len(dispatch.HistogramBounds)]float64
	invalid                           *prometheus.Desc // describes err
}

// New returns a Collector of src's numbers. See [Collector] for what it
// exports and the package doc for the metrics.
func New(src Source, opts ...Option) *Collector {
	cfg := config{namespace: DefaultNamespace}
	for _, o := range opts {
		o.apply(&cfg)
	}
	c := &Collector{src: src, labelled: cfg.labelled}
	if src == nil {
		c.err = ErrNoSource
	}
	if cfg.labelled && c.err == nil {
		c.ids = slices.Compact(slices.Sorted(slices.Values(cfg.shops)))
		c.index = make(map[string]int, len(c.ids))
		for i, id := range c.ids {
			c.index[id] = i
		}
		sr, ok := src.(shopRanger)
		switch {
		case !ok:
			c.err = fmt.Errorf("%w (got %T)", ErrNoShops, src)
		case slices.Contains(c.ids, ""):
			c.err = ErrEmptyShop
		}
		c.shops = sr
	}
	if c.err != nil {
		c.invalid = prometheus.NewInvalidDesc(c.err)
	}

	desc := func(name, help, label string) *prometheus.Desc {
		var labels []string
		if label != "" {
			labels = append(labels, label)
		}
		if c.labelled {
			labels = append(labels, "shop")
		}
		return prometheus.NewDesc(prometheus.BuildFQName(cfg.namespace, "", name), help, labels, cfg.constant)
	}
	c.sessions = desc("sessions", "Open sessions by place: in an agent's reception list (agent), "+
		"waiting in the queue pool (queue, Q1) or the offline pool (offline, O1), held by the shop's bot (bot, B1), "+
		"on offer to an agent that has not accepted it yet (offered, E1).", "place")
	c.agents = desc("agents", "Agents by status: online, break or offline (S1).", "status")
	c.arrived = desc("sessions_arrived_total", "Sessions buyers opened (Arrive accepted).", "")
	c.started = desc("sessions_started_total", `Sessions agents started (Start); each is also an assignment, cause="started".`, "")
	c.assigned = desc("sessions_assigned_total", "Assignments of a session to an agent, by cause: arrival (R1), "+
		"freed (C5, C6, O1), no-queue (Q4), manual (C4), started, priority (P1), exclusive (P10), handover (B1), "+
		"reassigned (E3, E4), widened (E7). A session requeued or handed over by the bot is assigned again; "+
		"an offer (E1) is not an assignment.", "cause")
	c.diverted = desc("sessions_diverted_total", "Buyers diverted to the offline pool, the bot or refused, by cause: "+
		"queue-cap and max-wait (E8), outside-hours (E11); each is counted by where it went too.", "cause")
	c.refused = desc("sessions_refused_total", "Sessions ended unserved because the queue was full or the buyer "+
		"waited the longest the shop allows (E8, refuse).", "")
	c.inactive = desc("sessions_inactive_total", "Sessions that stopped counting toward their agent's load "+
		"because their buyer fell silent (E9).", "")
	c.queued = desc("sessions_queued_total", "Entries into the queue pool (Q1); a requeued session counts again.", "")
	c.offline = desc("sessions_offline_total", "Entries into the offline pool while no agent was online (O1).", "")
	c.bot = desc("sessions_bot_total", "Sessions given to the shop's bot (B1, B2).", "")
	c.transferred = desc("sessions_transferred_total", "Transfers of a session from one agent to another (R3, C4).", "")
	c.offered = desc("sessions_offered_total", "Offers of a session to an agent, which must accept it (E1); "+
		"an offer declined and made to the next agent counts again.", "")
	c.accepted = desc("offers_accepted_total", "Offers the agent accepted: the session entered its list (E1).", "")
	c.rejected = desc("offers_rejected_total", "Offers the agent rejected, or withdrawn when it went offline (E1, E2).", "")
	c.timedOut = desc("offers_timed_out_total", "Offers the agent let time out (E1, E2).", "")
	c.reassigned = desc("sessions_reassigned_total", "Sessions moved from an agent that left them unanswered (E3) "+
		"or went offline (E4), to another agent or the queue.", "")
	c.wrapUps = desc("wrap_ups_total", "Wrap-ups started: a closed session's unit of capacity held for the "+
		"after-contact work (E5).", "")
	c.closed = desc("sessions_closed_total", "Closed sessions by reason: manual (L1), buyer-idle (L2, L3), "+
		"agent-idle (L3), bot-idle (B1).", "reason")
	c.left = desc("sessions_left_total", "Buyers who left the queue or offline pool before an agent took them (Q3).", "")
	c.expired = desc("sessions_expired_total", "Offline messages that expired before an agent took them (O3).", "")
	c.messages = desc("messages_total", "Messages written in sessions, by sender: buyer, agent, bot, system (L5).", "sender")
	c.warnings = desc("warnings_total", "Warnings for a person, by code: capacity-low (C3), unlimited-offline (O5).", "warning")
	c.prompts = desc("prompts_total", "Priority-crowd prompts shown to buyers (P6-P9).", "")
	c.wait = desc("wait_seconds", "Time sessions waited in the queue or offline pool before an agent took them "+
		"(Q1, O1); buyers who left are not observed.", "")
	c.firstReply = desc("first_reply_seconds", "Time from a buyer's arrival to the session's first agent message, "+
		"the clock of the 3-minute reply rate (M3); sessions agents started are not observed.", "")
	c.handle = desc("handle_seconds", "Time from when a session entered the list of the agent who closed it "+
		"to the close (L1).", "")

	// Each array of Stats is indexed by its enum, 1..len-1: the names
	// follow the arrays, so a value the core adds is exported with them.
	var st dispatch.Stats
	c.places = names(len(st.Sessions), dispatch.Place.String)
	c.statuses = names(len(st.Agents), agent.Status.String)
	c.causes = names(len(st.Assigned), dispatch.Cause.String)
	c.reasons = names(len(st.Closed), dispatch.CloseReason.String)
	c.senders = names(len(st.Messages), dispatch.Sender.String)
	c.warningCodes = names(len(st.Warnings), dispatch.Warning.Code)
	for i, b := range dispatch.HistogramBounds {
		c.bounds[i] = b.Seconds()
	}
	return c
}

// names returns the names of the enum values 1..n-1, indexed by value
// (index 0, unused by the core's enums, is "").
func names[E ~uint8](n int, name func(E) string) []string {
	out := make([]string, n)
	for v := 1; v < n; v++ {
		out[v] = name(E(v))
	}
	return out
}

// Describe sends the descriptors of every metric (or, for a
// misconfigured Collector, one invalid descriptor carrying the error).
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	if c.err != nil {
		ch <- c.invalid
		return
	}
	for _, d := range []*prometheus.Desc{
		c.sessions, c.agents, c.arrived, c.started, c.assigned, c.queued, c.offline, c.bot, c.transferred,
		c.offered, c.accepted, c.rejected, c.timedOut, c.reassigned, c.wrapUps, c.diverted, c.refused, c.inactive, c.closed, c.left, c.expired, c.messages, c.warnings, c.prompts, c.wait, c.firstReply, c.handle,
	} {
		ch <- d
	}
}

// Collect reads the Source and sends its metrics. Without shop labels it
// calls Source.Stats once; with them it reads each shop once (Range),
// adding the shops not listed into the series labelled shop="".
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	if c.err != nil {
		ch <- prometheus.NewInvalidMetric(c.invalid, c.err)
		return
	}
	if !c.labelled {
		st := c.src.Stats()
		c.emit(ch, &st, "")
		return
	}
	var rest dispatch.Stats
	listed := make([]dispatch.Stats, len(c.ids))
	held := make([]bool, len(c.ids))
	c.shops.Range(func(id string, s *dispatch.Shop) bool {
		st := s.Stats()
		if i, ok := c.index[id]; ok {
			listed[i], held[i] = st, true
		} else {
			rest.Add(&st)
		}
		return true
	})
	c.emit(ch, &rest, "")
	for i, id := range c.ids {
		if held[i] {
			c.emit(ch, &listed[i], id)
		}
	}
}

// emit sends the metrics of st, labelled shop=shop if the Collector has
// shop labels.
func (c *Collector) emit(ch chan<- prometheus.Metric, st *dispatch.Stats, shop string) {
	var buf [2]string
	lv := func(v string) []string { // the label values: v (if any), then the shop
		out := buf[:0]
		if v != "" {
			out = append(out, v)
		}
		if c.labelled {
			out = append(out, shop)
		}
		return out
	}
	gauge := func(d *prometheus.Desc, x int, v string) {
		m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, float64(x), lv(v)...)
		send(ch, d, m, err)
	}
	counter := func(d *prometheus.Desc, x uint64, v string) {
		m, err := prometheus.NewConstMetric(d, prometheus.CounterValue, float64(x), lv(v)...)
		send(ch, d, m, err)
	}
	for p := 1; p < len(st.Sessions); p++ {
		gauge(c.sessions, st.Sessions[p], c.places[p])
	}
	for s := 1; s < len(st.Agents); s++ {
		gauge(c.agents, st.Agents[s], c.statuses[s])
	}
	counter(c.arrived, st.Arrived, "")
	counter(c.started, st.Started, "")
	for k := 1; k < len(st.Assigned); k++ {
		if !dispatch.Cause(k).Diversion() {
			counter(c.assigned, st.Assigned[k], c.causes[k])
		}
	}
	counter(c.queued, st.Queued, "")
	counter(c.offline, st.Offline, "")
	counter(c.bot, st.Bot, "")
	counter(c.transferred, st.Transferred, "")
	counter(c.offered, st.Offered, "")
	counter(c.accepted, st.Accepted, "")
	counter(c.rejected, st.Rejected, "")
	counter(c.timedOut, st.TimedOut, "")
	counter(c.reassigned, st.Reassigned, "")
	counter(c.wrapUps, st.WrapUps, "")
	for k := 1; k < len(st.Diverted); k++ {
		if dispatch.Cause(k).Diversion() {
			counter(c.diverted, st.Diverted[k], c.causes[k])
		}
	}
	counter(c.refused, st.Refused, "")
	counter(c.inactive, st.Inactive, "")
	for r := 1; r < len(st.Closed); r++ {
		counter(c.closed, st.Closed[r], c.reasons[r])
	}
	counter(c.left, st.Left, "")
	counter(c.expired, st.Expired, "")
	for s := 1; s < len(st.Messages); s++ {
		counter(c.messages, st.Messages[s], c.senders[s])
	}
	for w := 1; w < len(st.Warnings); w++ {
		counter(c.warnings, st.Warnings[w], c.warningCodes[w])
	}
	counter(c.prompts, st.Prompts, "")
	c.histogram(ch, c.wait, &st.Wait, lv(""))
	c.histogram(ch, c.firstReply, &st.FirstReply, lv(""))
	c.histogram(ch, c.handle, &st.Handle, lv(""))
}

// histogram sends h as a Prometheus histogram: cumulative buckets with
// upper bounds in seconds (dispatch.HistogramBounds), the count (the +Inf
// bucket) and the sum in seconds.
func (c *Collector) histogram(ch chan<- prometheus.Metric, d *prometheus.Desc, h *dispatch.Histogram, lv []string) {
	buckets := make(map[float64]uint64, len(c.bounds))
	var cum uint64
	for i, b := range c.bounds {
		cum += h.Buckets[i]
		buckets[b] = cum
	}
	m, err := prometheus.NewConstHistogram(d, h.Count, h.Sum.Seconds(), buckets, lv...)
	send(ch, d, m, err)
}

// send sends m, or an invalid metric carrying err (a descriptor made
// invalid by the options: the registry has refused it already, but
// Collect may be called without one).
func send(ch chan<- prometheus.Metric, d *prometheus.Desc, m prometheus.Metric, err error) {
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	ch <- m
}
