// Package kefuprom exports the dispatch engine's live numbers
// ([dispatch.Stats]) as Prometheus metrics: a [Collector] to register on
// a registry of your own.
//
// The package is called kefuprom, not prometheus, so that it does not
// clash with the client's package github.com/prometheus/client_golang/prometheus
// that every user imports beside it (as franz-go's kprom does). It is a
// module of its own (github.com/kefu-dev/kefu/metrics/prometheus), so the
// core module does not depend on the Prometheus client.
//
// # Usage
//
// Register one Collector over every shop of the process on your own
// registry (never prometheus.DefaultRegisterer: a library does not touch
// globals) and serve it:
//
//	var shops dispatch.Shops
//	...
//	registry := prometheus.NewRegistry()
//	registry.MustRegister(kefuprom.New(&shops))
//	http.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
//
// The Collector keeps nothing: each scrape reads the shops
// (dispatch.Shops.Stats, each shop under its own mutex, O(shops)) and
// builds constant metrics, so there is no state to keep in step and no
// cost on the dispatch path beyond the counters the engine keeps anyway.
// A *dispatch.Shop or a *dispatch.Engine can be the Source instead (see
// [Source] for the Engine's goroutine rule).
//
// # Metrics
//
// Names follow the Prometheus conventions: base units (seconds),
// counters end in _total, and labels carry the core's stable enum names.
// With the default namespace "kefu":
//
//	name                             type       labels
//	kefu_sessions                    gauge      place: agent, queue, offline, bot, offered
//	kefu_agents                      gauge      status: online, break, offline
//	kefu_sessions_arrived_total      counter
//	kefu_sessions_started_total      counter
//	kefu_sessions_assigned_total     counter    cause: arrival, freed, no-queue, manual,
//	                                            started, priority, exclusive, handover,
//	                                            reassigned, widened
//	kefu_sessions_queued_total       counter
//	kefu_sessions_offline_total      counter
//	kefu_sessions_bot_total          counter
//	kefu_sessions_transferred_total  counter
//	kefu_sessions_offered_total      counter
//	kefu_offers_accepted_total       counter
//	kefu_offers_rejected_total       counter
//	kefu_offers_timed_out_total      counter
//	kefu_sessions_reassigned_total   counter
//	kefu_wrap_ups_total              counter
//	kefu_sessions_diverted_total     counter    cause: queue-cap, max-wait, outside-hours
//	kefu_sessions_refused_total      counter
//	kefu_sessions_inactive_total     counter
//	kefu_sessions_closed_total       counter    reason: manual, buyer-idle, agent-idle, bot-idle
//	kefu_sessions_left_total         counter
//	kefu_sessions_expired_total      counter
//	kefu_messages_total              counter    sender: buyer, agent, bot, system
//	kefu_warnings_total              counter    warning: capacity-low, unlimited-offline
//	kefu_prompts_total               counter
//	kefu_wait_seconds                histogram
//	kefu_first_reply_seconds         histogram
//	kefu_handle_seconds              histogram
//
// The help texts say what each counts and cite the specification's rule
// ids (Q1, M3, …). Every label value is exported, at zero until something
// happens, so series do not appear and disappear. The histograms' buckets
// are dispatch.HistogramBounds (5 s … 24 h, around the platforms'
// 3-minute reply window), the same for every shop, so they add up.
//
// Counters count from when each engine was created or restored. A
// dispatch.Shops sum keeps the counters of the shops detached or removed
// from it, so it never goes down while the process lives; a shop moved in
// from another process starts its counters at 0 here, which adds to the
// sum. Only a process restart resets the sum, as for any exporter.
//
// # Shops
//
// No metric has a shop label by default: a platform runs millions of
// shops, and one series set per shop would swamp any Prometheus. To
// follow a few shops, list them ([WithShopLabels]): every metric then
// has a shop label, "<id>" for a listed shop and "" for the sum of all
// the others. Prometheus stores an empty label as no label, so sums over
// the shop label stay the totals with each shop counted once — not a
// total series plus per-shop series that sum() would count twice:
//
//	kefuprom.New(&shops, kefuprom.WithShopLabels("flagship", "outlet"))
//	// sum(rate(kefu_sessions_arrived_total[5m]))                  every shop
//	// rate(kefu_sessions_arrived_total{shop="flagship"}[5m])      one shop
//	// histogram_quantile(0.9, sum by (le) (rate(kefu_wait_seconds_bucket[5m])))
//
// A listed shop and the rest are read in one pass over the shops, each
// shop once, so they always add up to the sum.
package kefuprom
