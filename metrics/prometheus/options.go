package kefuprom

import (
	"maps"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultNamespace is the prefix of every metric name unless
// [WithNamespace] sets another: kefu_sessions, kefu_wait_seconds, ….
const DefaultNamespace = "kefu"

// Option configures a [Collector]. Options are applied in order; a later
// one of the same kind replaces an earlier one.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	namespace string
	labelled  bool     // WithShopLabels was given
	shops     []string // its ids, as given
	constant  prometheus.Labels
}

// WithNamespace sets the prefix of the metric names; the default is
// [DefaultNamespace], and "" means no prefix (sessions_arrived_total).
// A namespace that makes the names invalid (not UTF-8) makes the
// Collector invalid (see [Collector]).
func WithNamespace(ns string) Option {
	return optionFunc(func(c *config) { c.namespace = ns })
}

// WithShopLabels gives the listed shops series of their own, labelled
// shop="<id>", in every metric; the series labelled shop="" count every
// other shop together. Prometheus stores a label with an empty value as
// no label, so sum(kefu_sessions_arrived_total) is still the total of all
// shops, each counted once, and kefu_sessions_arrived_total{shop="a"} is
// shop a's alone. Keep the list short: each shop adds about 80 series,
// and a platform has millions of shops, which is why no shop is labelled
// unless listed.
//
// It needs a Source that can list its shops (a *dispatch.Shops, or any
// type with its Range method): each scrape then reads each shop once, so
// a listed shop and the rest always add up to the sum. A listed shop the
// registry does not hold at a scrape has no series in it. With another
// Source, or with "" among the ids ("" labels the shops not listed),
// the Collector is invalid: registering it returns the error (see
// [Collector]). Repeated ids count once.
func WithShopLabels(ids ...string) Option {
	ids = append([]string(nil), ids...) // the caller may reuse its slice
	return optionFunc(func(c *config) { c.labelled, c.shops = true, ids })
}

// WithConstLabels adds labels with fixed values to every series, for
// example {"region": "hz"} when several processes each hold a part of a
// platform's shops. A name that clashes with one of the Collector's own
// labels (place, status, cause, reason, sender, warning, shop) makes the
// Collector invalid (see [Collector]).
func WithConstLabels(l prometheus.Labels) Option {
	l = maps.Clone(l)
	return optionFunc(func(c *config) { c.constant = l })
}
