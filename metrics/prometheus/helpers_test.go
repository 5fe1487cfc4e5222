package kefuprom_test

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
)

// gather registers c on a fresh registry (never the default one) and
// gathers it.
func gather(t testing.TB, c prometheus.Collector) []*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	return mfs
}

// samples flattens metric families into the exposition's samples, keyed
// as the text format writes them: name{label="value",…}, with labels in
// name order; a histogram gives its _bucket (cumulative, le in seconds),
// _count and _sum samples.
func samples(mfs []*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	key := func(name string, labels []*dto.LabelPair, extra ...string) string {
		var pairs []string
		for _, l := range labels {
			pairs = append(pairs, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
		}
		pairs = append(pairs, extra...)
		if len(pairs) == 0 {
			return name
		}
		slices.Sort(pairs)
		return name + "{" + strings.Join(pairs, ",") + "}"
	}
	for _, mf := range mfs {
		name := mf.GetName()
		for _, m := range mf.GetMetric() {
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out[key(name, m.GetLabel())] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key(name, m.GetLabel())] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					le := fmt.Sprintf("le=%q", strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64))
					out[key(name+"_bucket", m.GetLabel(), le)] = float64(b.GetCumulativeCount())
				}
				out[key(name+"_bucket", m.GetLabel(), `le="+Inf"`)] = float64(h.GetSampleCount())
				out[key(name+"_count", m.GetLabel())] = float64(h.GetSampleCount())
				out[key(name+"_sum", m.GetLabel())] = h.GetSampleSum()
			}
		}
	}
	return out
}

// withoutShop sums the samples over the shop label.
func withoutShop(s map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range s {
		name, labels, ok := strings.Cut(k, "{")
		if !ok {
			out[k] += v
			continue
		}
		var kept []string
		for _, p := range strings.Split(strings.TrimSuffix(labels, "}"), ",") {
			if !strings.HasPrefix(p, "shop=") {
				kept = append(kept, p)
			}
		}
		if len(kept) > 0 {
			name += "{" + strings.Join(kept, ",") + "}"
		}
		out[name] += v
	}
	return out
}

// assertSamples checks that got has want's samples, histogram sums (float
// seconds, added in another order) to within rounding.
func requireSamples(t testing.TB, want, got map[string]float64, msg string) {
	t.Helper()
	require.Len(t, got, len(want), msg)
	for k, w := range want {
		g, ok := got[k]
		require.True(t, ok, "%s: no sample %s", msg, k)
		require.LessOrEqual(t, math.Abs(g-w), 1e-9*max(1, math.Abs(w)), "%s: %s: got %v want %v", msg, k, g, w)
	}
}
