// Package kefuotel exports kefu's live numbers ([dispatch.Stats]) as
// OpenTelemetry metrics, through the OpenTelemetry metric API only
// (go.opentelemetry.io/otel/metric): the host picks and configures the
// SDK, this package never imports it.
//
// The package is named kefuotel, not otel, because a host that uses it
// also imports go.opentelemetry.io/otel, whose package is named otel:
// the two would clash in every file that wires them.
//
// It is a nested module (github.com/kefu-dev/kefu/metrics/otel), so the
// core module keeps to its few dependencies. It requires the oldest
// OpenTelemetry release (v1.38.0) that supports the core's Go 1.23; a host
// on a newer one gets that one (minimum version selection).
//
// # Usage
//
// Register once, with the meter of the host's MeterProvider and the
// shops' registry; the SDK then collects at its own pace (a periodic
// reader, a Prometheus scrape):
//
//	var shops dispatch.Shops
//	reg, err := kefuotel.Register(provider.Meter("github.com/kefu-dev/kefu"), &shops)
//	if err != nil {
//		return err
//	}
//	defer reg.Unregister()
//
// Register creates observable instruments and one callback. At each
// collection the callback calls Stats once and observes every instrument
// from that read, so the values of one collection agree (the +Inf bucket
// of kefu.wait.bucket is kefu.wait.count, the places of kefu.sessions.open add
// up to the open sessions). Nothing runs between collections: the engine
// counts as events happen and the callback only reads.
//
// A source of many shops is read with [dispatch.Shops.Stats]: the sum of
// each shop's numbers, each read under its own mutex. A [dispatch.Engine] is
// not safe for concurrent use; see [Source].
//
// # Instruments
//
// Names follow the OpenTelemetry conventions (dot-separated namespaces,
// units in UCUM, counts in curly-brace annotations). Every value of an
// attribute is observed at every collection, zero included, so a series
// exists from the first collection on. WithAttributes adds attributes to
// every observation.
//
// Gauges, Int64ObservableUpDownCounter (the state now):
//
//	kefu.sessions.open  {session}  kefu.place     agent, queue, offline, bot, offered
//	kefu.agents     {agent}    kefu.agent.status  online, break, offline
//
// Counters, Int64ObservableCounter (monotonic since the engine was
// created):
//
//	kefu.sessions.arrived      {session}
//	kefu.sessions.started      {session}
//	kefu.sessions.assigned     {session}  kefu.assign.cause    arrival, freed, no-queue, manual, started, priority, exclusive, handover, reassigned, widened
//	kefu.sessions.queued       {session}
//	kefu.sessions.offline      {session}
//	kefu.sessions.bot          {session}
//	kefu.sessions.transferred  {session}
//	kefu.sessions.offered      {session}
//	kefu.offers.accepted       {offer}
//	kefu.offers.rejected       {offer}
//	kefu.offers.timed_out      {offer}
//	kefu.sessions.reassigned   {session}
//	kefu.wrap_ups              {wrap_up}
//	kefu.sessions.diverted     {session}  kefu.divert.cause    queue-cap, max-wait, outside-hours
//	kefu.sessions.refused      {session}
//	kefu.sessions.inactive     {session}
//	kefu.sessions.closed       {session}  kefu.close.reason    manual, buyer-idle, agent-idle, bot-idle
//	kefu.sessions.left         {session}
//	kefu.sessions.expired      {session}
//	kefu.messages              {message}  kefu.message.sender  buyer, agent, bot, system
//	kefu.warnings              {warning}  kefu.warning         capacity-low, unlimited-offline
//	kefu.prompts               {prompt}
//
// The attribute values are the core's stable names (Place.String,
// Cause.String, Warning.Code, …); a value the core adds later is exported
// with the name the core gives it.
//
// # Histograms
//
// Stats has three histograms of durations over the fixed
// [dispatch.HistogramBounds]: Wait (in the queue or offline pool until an
// agent took the session), FirstReply (from arrival to the first agent
// message) and Handle (in the list of the agent who closed it). The
// OpenTelemetry API has no observable histogram: a histogram instrument
// is synchronous and records one value at a time, and the engine keeps
// only bucket counts, not the values. Recording a made-up value per
// bucket would invent data, and leaving the histograms out would lose the
// shop's most graded number (the 3-minute first reply). So each is
// exported as the three counters a Prometheus histogram is made of,
// which hold exactly what the engine knows:
//
//	kefu.wait.count         {session}  Int64ObservableCounter    observations
//	kefu.wait.sum           s          Float64ObservableCounter  their sum, in seconds
//	kefu.wait.bucket        {session}  Int64ObservableCounter    le: observations ≤ le seconds
//
// and the same for kefu.first_reply and kefu.handle. The buckets are
// cumulative, as Prometheus' are (the core's are not): le is the bound in
// seconds ("5", "15", …, "86400") or "+Inf", whose value is the count. A
// backend computes quantiles from them as from a Prometheus histogram, e.g.
// histogram_quantile(0.9, rate(kefu_wait_bucket_total[5m])) after the
// OpenTelemetry Prometheus exporter, and the share answered within 3
// minutes as the le="180" bucket of kefu.first_reply over its count.
//
// # Counter resets
//
// Counters count from zero when an engine is created (by New, or by
// Restore from a snapshot). A Shops source keeps the counters of the
// shops detached or removed from it, so its sums never go down while the
// process lives. Where per-shop series are worth their number (about 80
// a shop), register each shop on its own, with the shop's id as an
// attribute (WithAttributes), and unregister it when the shop leaves the
// process.
package kefuotel
