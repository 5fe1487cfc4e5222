package kefuotel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
)

// Source is what Register reads: a shop's, or many shops', live numbers.
// *dispatch.Shops (the sum over its shops), *dispatch.Shop and
// *dispatch.Engine satisfy it.
//
// Stats is called once per collection, from whatever goroutine the
// OpenTelemetry SDK collects on (a periodic reader's own goroutine, an
// exporter's HTTP handler), while the host keeps calling the shops: it
// must be safe for concurrent use. Shops and Shop are; an Engine is not
// (DESIGN property 6), so register an Engine only if every collection
// runs on the goroutine that drives it (a ManualReader collected there),
// or wrap it in a Source whose Stats takes the lock the host already
// holds around the engine.
type Source interface {
	Stats() dispatch.Stats
}

var (
	_ Source = (*dispatch.Shops)(nil)
	_ Source = (*dispatch.Shop)(nil)
	_ Source = (*dispatch.Engine)(nil)
)

// ErrNilArgument is returned by Register for a nil meter or a nil Source;
// nothing is registered.
var ErrNilArgument = errors.New("kefuotel: nil meter or source")

// Option configures Register.
type Option interface {
	apply(*config)
}

type config struct {
	attrs []attribute.KeyValue
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithAttributes adds attributes to every observation of every
// instrument, e.g. attribute.String("service.instance.id", host) when
// several processes export the same instruments. Several WithAttributes
// add up; of attributes with the same key the last wins, and the
// instruments' own attributes (kefu.place, le, …) win over these. The
// slice is copied.
func WithAttributes(attrs ...attribute.KeyValue) Option {
	attrs = slices.Clone(attrs)
	return optionFunc(func(c *config) { c.attrs = append(c.attrs, attrs...) })
}

// Register creates the kefu instruments on meter (see the package
// documentation for their names, units and attributes) and registers one
// callback that, at each collection, calls src.Stats once and observes
// every instrument from that one read, so that all the values of a
// collection agree with each other.
//
// Unregister the returned Registration to stop observing; the
// instruments stay created (an OpenTelemetry meter cannot delete them)
// but report nothing more. Register twice on one meter (one Registration
// per shop) and the callbacks observe the same instruments: give each its
// own attributes (WithAttributes), as the API leaves two observations of
// one attribute set in one collection to the SDK (the Go SDK adds them
// up).
//
// Errors: ErrNilArgument; otherwise the meter's own error, wrapped, from
// creating an instrument or registering the callback (then nothing is
// registered).
func Register(meter metric.Meter, src Source, opts ...Option) (metric.Registration, error) {
	if meter == nil || src == nil {
		return nil, ErrNilArgument
	}
	var c config
	for _, o := range opts {
		o.apply(&c)
	}
	x := &exporter{src: src}
	b := builder{meter: meter}
	x.build(&b, c.attrs)
	if b.err != nil {
		return nil, b.err
	}
	reg, err := meter.RegisterCallback(x.observe, b.insts...)
	if err != nil {
		return nil, fmt.Errorf("kefuotel: register callback: %w", err)
	}
	return reg, nil
}

// points are an instrument's attribute sets, one per value of the enum it
// is counted by (index 0, which no enum uses, is nil and not observed).
type points struct {
	inst metric.Int64Observable
	opts [][]metric.ObserveOption
}

// histogram is the three counters a dispatch.Histogram is exported as.
type histogram struct {
	count, bucket metric.Int64ObservableCounter
	sum           metric.Float64ObservableCounter
}

// exporter holds the instruments and every observation's options, built
// once by Register so that a collection allocates nothing of its own.
type exporter struct {
	src Source

	common []metric.ObserveOption // the WithAttributes set alone

	sessions, agents                   points
	assigned, closed, messages, warned points

	arrived, started, queued, offline, bot, transferred, left, expired, prompts metric.Int64ObservableCounter
	offered, accepted, rejected, timedOut, reassigned, wrapUps                  metric.Int64ObservableCounter
	diverted                                                                    points
	refused, inactive                                                           metric.Int64ObservableCounter

	wait, firstReply, handle histogram
	le                       [][]metric.ObserveOption // by bucket, +Inf last
}

func (x *exporter) build(b *builder, common []attribute.KeyValue) {
	x.common = options(common)
	var st dispatch.Stats // for the arrays' lengths: every enum value is exported
	x.sessions = points{
		inst: b.upDownCounter("kefu.sessions.open", "{session}",
			"Open sessions by place: in an agent's list, in the queue pool, in the offline pool, held by the bot, on offer to an agent."),
		opts: byEnum(common, "kefu.place", len(st.Sessions), func(i int) string { return dispatch.Place(i).String() }),
	}
	x.agents = points{
		inst: b.upDownCounter("kefu.agents", "{agent}", "Agents by status: online, on break, offline."),
		opts: byEnum(common, "kefu.agent.status", len(st.Agents), func(i int) string { return agent.Status(i).String() }),
	}
	x.arrived = b.counter("kefu.sessions.arrived", "{session}", "Sessions buyers opened (accepted arrivals).")
	x.started = b.counter("kefu.sessions.started", "{session}", "Sessions agents started.")
	x.assigned = points{
		inst: b.counter("kefu.sessions.assigned", "{session}",
			"Assignments of a session to an agent, by cause; a session may be assigned more than once (after a requeue, a bot hand-over or a reassignment); an offer is not an assignment."),
		opts: byEnum(common, "kefu.assign.cause", len(st.Assigned), func(i int) string {
			if dispatch.Cause(i).Diversion() {
				return "" // not an assignment's cause
			}
			return dispatch.Cause(i).String()
		}),
	}
	x.queued = b.counter("kefu.sessions.queued", "{session}", "Sessions that entered the queue pool.")
	x.offline = b.counter("kefu.sessions.offline", "{session}", "Sessions that entered the offline pool.")
	x.bot = b.counter("kefu.sessions.bot", "{session}", "Sessions the bot took.")
	x.transferred = b.counter("kefu.sessions.transferred", "{session}", "Transfers of a session from one agent to another.")
	x.offered = b.counter("kefu.sessions.offered", "{session}",
		"Offers of a session to an agent, which must accept it; an offer declined and made to the next agent counts again.")
	x.accepted = b.counter("kefu.offers.accepted", "{offer}", "Offers the agent accepted: the session entered its list.")
	x.rejected = b.counter("kefu.offers.rejected", "{offer}", "Offers the agent rejected, or withdrawn when it went offline.")
	x.timedOut = b.counter("kefu.offers.timed_out", "{offer}", "Offers the agent let time out.")
	x.reassigned = b.counter("kefu.sessions.reassigned", "{session}",
		"Sessions moved from an agent that left them unanswered or went offline, to another agent or the queue.")
	x.wrapUps = b.counter("kefu.wrap_ups", "{wrap_up}", "Wrap-ups started: a closed session's unit of capacity held for after-contact work.")
	x.diverted = points{
		inst: b.counter("kefu.sessions.diverted", "{session}",
			"Buyers diverted to the offline pool, the bot or refused, by cause: a queue cap or maximum wait, outside business hours."),
		opts: byEnum(common, "kefu.divert.cause", len(st.Diverted), func(i int) string {
			if !dispatch.Cause(i).Diversion() {
				return ""
			}
			return dispatch.Cause(i).String()
		}),
	}
	x.refused = b.counter("kefu.sessions.refused", "{session}",
		"Sessions ended unserved because the queue was full or the buyer waited the longest the shop allows.")
	x.inactive = b.counter("kefu.sessions.inactive", "{session}",
		"Sessions that stopped counting toward their agent's load because their buyer fell silent.")
	x.closed = points{
		inst: b.counter("kefu.sessions.closed", "{session}", "Sessions closed, by reason."),
		opts: byEnum(common, "kefu.close.reason", len(st.Closed), func(i int) string { return dispatch.CloseReason(i).String() }),
	}
	x.left = b.counter("kefu.sessions.left", "{session}", "Buyers who left the queue or offline pool before an agent took them.")
	x.expired = b.counter("kefu.sessions.expired", "{session}", "Offline messages that expired untaken.")
	x.messages = points{
		inst: b.counter("kefu.messages", "{message}", "Messages written, by sender."),
		opts: byEnum(common, "kefu.message.sender", len(st.Messages), func(i int) string { return dispatch.Sender(i).String() }),
	}
	x.warned = points{
		inst: b.counter("kefu.warnings", "{warning}", "Warnings shown to a person, by kind."),
		opts: byEnum(common, "kefu.warning", len(st.Warnings), func(i int) string { return dispatch.Warning(i).Code() }),
	}
	x.prompts = b.counter("kefu.prompts", "{prompt}", "Priority-reception prompts shown to buyers.")

	x.wait = b.histogram("kefu.wait",
		"the wait in the queue or offline pool until an agent took the session (buyers who left are not in it)")
	x.firstReply = b.histogram("kefu.first_reply",
		"the time from a buyer's arrival to the first agent message of the session (sessions agents started are not in it)")
	x.handle = b.histogram("kefu.handle",
		"the time from a session entering the list of the agent who closed it to the close")
	x.le = make([][]metric.ObserveOption, len(st.Wait.Buckets))
	for i := range x.le {
		le := "+Inf"
		if i < len(dispatch.HistogramBounds) {
			le = strconv.FormatFloat(dispatch.HistogramBounds[i].Seconds(), 'g', -1, 64)
		}
		x.le[i] = options(common, attribute.String("le", le))
	}
}

// observe is the callback: one read of the source, every instrument
// observed from it, every attribute value even when zero.
func (x *exporter) observe(_ context.Context, o metric.Observer) error {
	st := x.src.Stats()
	observeAll(o, &x.sessions, st.Sessions[:])
	observeAll(o, &x.agents, st.Agents[:])
	o.ObserveInt64(x.arrived, toInt64(st.Arrived), x.common...)
	o.ObserveInt64(x.started, toInt64(st.Started), x.common...)
	observeAll(o, &x.assigned, st.Assigned[:])
	o.ObserveInt64(x.queued, toInt64(st.Queued), x.common...)
	o.ObserveInt64(x.offline, toInt64(st.Offline), x.common...)
	o.ObserveInt64(x.bot, toInt64(st.Bot), x.common...)
	o.ObserveInt64(x.transferred, toInt64(st.Transferred), x.common...)
	o.ObserveInt64(x.offered, toInt64(st.Offered), x.common...)
	o.ObserveInt64(x.accepted, toInt64(st.Accepted), x.common...)
	o.ObserveInt64(x.rejected, toInt64(st.Rejected), x.common...)
	o.ObserveInt64(x.timedOut, toInt64(st.TimedOut), x.common...)
	o.ObserveInt64(x.reassigned, toInt64(st.Reassigned), x.common...)
	o.ObserveInt64(x.wrapUps, toInt64(st.WrapUps), x.common...)
	observeAll(o, &x.diverted, st.Diverted[:])
	o.ObserveInt64(x.refused, toInt64(st.Refused), x.common...)
	o.ObserveInt64(x.inactive, toInt64(st.Inactive), x.common...)
	observeAll(o, &x.closed, st.Closed[:])
	o.ObserveInt64(x.left, toInt64(st.Left), x.common...)
	o.ObserveInt64(x.expired, toInt64(st.Expired), x.common...)
	observeAll(o, &x.messages, st.Messages[:])
	observeAll(o, &x.warned, st.Warnings[:])
	o.ObserveInt64(x.prompts, toInt64(st.Prompts), x.common...)
	x.observeHistogram(o, &x.wait, &st.Wait)
	x.observeHistogram(o, &x.firstReply, &st.FirstReply)
	x.observeHistogram(o, &x.handle, &st.Handle)
	return nil
}

// observeHistogram observes h's count, sum (in seconds) and cumulative
// buckets (le: at most the bound; the +Inf bucket equals the count).
func (x *exporter) observeHistogram(o metric.Observer, inst *histogram, h *dispatch.Histogram) {
	o.ObserveInt64(inst.count, toInt64(h.Count), x.common...)
	o.ObserveFloat64(inst.sum, h.Sum.Seconds(), x.common...)
	var cum uint64
	for i, n := range h.Buckets {
		cum += n
		o.ObserveInt64(inst.bucket, toInt64(cum), x.le[i]...)
	}
}

func observeAll[T int | uint64](o metric.Observer, p *points, counts []T) {
	for i := 1; i < len(counts); i++ {
		if p.opts[i] != nil { // nil: a value this instrument does not export
			o.ObserveInt64(p.inst, toInt64(counts[i]), p.opts[i]...)
		}
	}
}

// toInt64 converts a count; a uint64 beyond int64 (which no engine reaches)
// saturates instead of turning negative.
func toInt64[T int | uint64](v T) int64 {
	if uint64(v) > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// options returns the observe options of one attribute set: common, then
// own (which wins over a common attribute of the same key).
func options(common []attribute.KeyValue, own ...attribute.KeyValue) []metric.ObserveOption {
	kv := append(slices.Clip(common), own...)
	return []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
}

// byEnum returns the options of each value 1..n-1 of an enum, the value
// named by name(i) under key; a value named "" is not exported (nil).
func byEnum(common []attribute.KeyValue, key string, n int, name func(int) string) [][]metric.ObserveOption {
	opts := make([][]metric.ObserveOption, n)
	for i := 1; i < n; i++ {
		if v := name(i); v != "" { // "": not exported (observeAll skips it)
			opts[i] = options(common, attribute.String(key, v))
		}
	}
	return opts
}

// builder creates instruments, collecting them for RegisterCallback and
// their errors for Register.
type builder struct {
	meter metric.Meter
	insts []metric.Observable
	err   error
}

func (b *builder) add(name string, inst metric.Observable, err error) {
	if err != nil {
		b.err = errors.Join(b.err, fmt.Errorf("kefuotel: instrument %s: %w", name, err))
		return
	}
	b.insts = append(b.insts, inst)
}

func (b *builder) counter(name, unit, desc string) metric.Int64ObservableCounter {
	c, err := b.meter.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
	b.add(name, c, err)
	return c
}

func (b *builder) upDownCounter(name, unit, desc string) metric.Int64ObservableUpDownCounter {
	c, err := b.meter.Int64ObservableUpDownCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
	b.add(name, c, err)
	return c
}

// histogram creates the three counters of one dispatch.Histogram of
// durations; what says what it measures.
func (b *builder) histogram(name, what string) histogram {
	var h histogram
	h.count = b.counter(name+".count", "{session}", "Observations of "+what+".")
	sum, err := b.meter.Float64ObservableCounter(name+".sum", metric.WithUnit("s"),
		metric.WithDescription("Sum of "+what+"."))
	b.add(name+".sum", sum, err)
	h.sum = sum
	h.bucket = b.counter(name+".bucket", "{session}",
		"Observations of "+what+" of at most le seconds (cumulative buckets; le=+Inf counts them all).")
	return h
}
