package kefuprom_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	kefuprom "github.com/kefu-dev/kefu/metrics/prometheus"
	"github.com/kefu-dev/kefu/policy"
)

var update = flag.Bool("update", false, "rewrite the golden exposition files in testdata/")

// goldenCases are the collectors compared with testdata/<name>.prom, on
// the scene (names: only these metrics, all if empty).
var goldenCases = []struct {
	name  string
	opts  []kefuprom.Option
	names []string
}{
	{name: "shops"},
	{name: "shop-labels", opts: []kefuprom.Option{kefuprom.WithShopLabels("outlet", "flagship", "gone", "outlet")}},
	{name: "namespace-const-labels", names: []string{"desk_sessions", "desk_sessions_closed_total", "desk_wait_seconds"},
		opts: []kefuprom.Option{kefuprom.WithNamespace("desk"), kefuprom.WithConstLabels(prometheus.Labels{"region": "hz"})}},
}

// The exposition of the scene, byte for byte as Prometheus' text parser
// reads it, against golden files (go test -update rewrites them).
func TestCollector_Golden(t *testing.T) {
	shops := newScene(t)
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			c := kefuprom.New(shops, tc.opts...)
			path := filepath.Join("testdata", tc.name+".prom")
			if *update {
				require.NoError(t, os.WriteFile(path, exposition(t, c, tc.names...), 0o644))
			}
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			require.NoError(t, testutil.CollectAndCompare(c, f, tc.names...))
		})
	}
}

// exposition is c's metrics in the text format (only those named, if
// any names are given). testutil.CollectAndFormat would do, but with no
// names it writes nothing, where CollectAndCompare compares everything.
func exposition(t *testing.T, c prometheus.Collector, names ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range gather(t, c) {
		if len(names) == 0 || slices.Contains(names, mf.GetName()) {
			require.NoError(t, enc.Encode(mf))
		}
	}
	return b.Bytes()
}

// The golden numbers, checked by hand against the scene's events, so
// that -update cannot bless a wrong exposition unnoticed.
func TestCollector_SceneCounts(t *testing.T) {
	got := samples(gather(t, kefuprom.New(newScene(t))))
	want := map[string]float64{
		// f1-f8, f10-f13 at flagship (f9 was started), o1-o4, r1-r3, d1-d3
		`kefu_sessions_arrived_total`: 22,
		`kefu_sessions_started_total`: 1,
		// f1 f2 f3 f4 f5 f11 f12; f6 and o1 freed; f8 by hand; f9 started;
		// f10 its exclusive agent; r1 from the bot
		`kefu_sessions_assigned_total{cause="arrival"}`:    7,
		`kefu_sessions_assigned_total{cause="freed"}`:      2,
		`kefu_sessions_assigned_total{cause="manual"}`:     1,
		`kefu_sessions_assigned_total{cause="started"}`:    1,
		`kefu_sessions_assigned_total{cause="exclusive"}`:  1,
		`kefu_sessions_assigned_total{cause="handover"}`:   1,
		`kefu_sessions_assigned_total{cause="priority"}`:   0,
		`kefu_sessions_assigned_total{cause="no-queue"}`:   0,
		`kefu_sessions_assigned_total{cause="reassigned"}`: 0, // d1 was offered
		`kefu_sessions_queued_total`:                       5, // f6 f7 f13, d2 twice
		`kefu_sessions_offline_total`:                      5, // f8 o1 o2 o3 o4
		`kefu_sessions_bot_total`:                          3,
		`kefu_sessions_transferred_total`:                  1,
		`kefu_sessions_offered_total`:                      5, // d1 sun, d2 sun, d2 ma, d1 ma, d3 sun
		`kefu_offers_accepted_total`:                       2, // d1 by sun, d1 by ma
		`kefu_offers_rejected_total`:                       1, // d2 by sun
		`kefu_offers_timed_out_total`:                      1, // d2 at ma
		`kefu_sessions_reassigned_total`:                   1, // d1 from sun
		`kefu_wrap_ups_total`:                              1, // ma after d1
		`kefu_sessions_closed_total{reason="manual"}`:      3, // f1 o1 d1
		`kefu_sessions_closed_total{reason="agent-idle"}`:  5, // f3 f4 f5 f6 f8
		`kefu_sessions_closed_total{reason="buyer-idle"}`:  3, // f2 f9 f10
		`kefu_sessions_closed_total{reason="bot-idle"}`:    1, // r2
		`kefu_sessions_left_total`:                         2, // f7 o2
		`kefu_sessions_expired_total`:                      1, // o3
		`kefu_messages_total{sender="agent"}`:              5,
		`kefu_messages_total{sender="buyer"}`:              1,
		`kefu_messages_total{sender="bot"}`:                1,
		`kefu_messages_total{sender="system"}`:             1,
		`kefu_warnings_total{warning="capacity-low"}`:      2,
		`kefu_warnings_total{warning="unlimited-offline"}`: 1,
		`kefu_prompts_total`:                               0,
		`kefu_sessions{place="agent"}`:                     3, // f11 f12 r1
		`kefu_sessions{place="queue"}`:                     2, // f13 d2
		`kefu_sessions{place="offline"}`:                   1, // o4
		`kefu_sessions{place="bot"}`:                       1, // r3
		`kefu_sessions{place="offered"}`:                   1, // d3
		`kefu_agents{status="online"}`:                     4, // wang zhou sun ma
		`kefu_agents{status="break"}`:                      1, // li
		`kefu_agents{status="offline"}`:                    2, // zhao qian
		`kefu_wait_seconds_count`:                          4, // f6 2 min, f8 1 min, o1 9 min, d2 30 s
		`kefu_wait_seconds_sum`:                            (2+1+9)*60 + 30,
		`kefu_wait_seconds_bucket{le="60"}`:                2,
		`kefu_wait_seconds_bucket{le="120"}`:               3,
		`kefu_wait_seconds_bucket{le="600"}`:               4,
		`kefu_first_reply_seconds_count`:                   5, // f1 40 s, f2 4 min, f10 3 min, r1 3 min, d1 6 min
		`kefu_first_reply_seconds_sum`:                     40 + 240 + 180 + 180 + 360,
		`kefu_first_reply_seconds_bucket{le="180"}`:        3,
		`kefu_handle_seconds_count`:                        11, // the closes at an agent: all but r2
	}
	for k, w := range want {
		assert.Equal(t, w, got[k], k)
	}
}

// The metric names and types are the package doc's.
func TestCollector_Names(t *testing.T) {
	want := map[string]dto.MetricType{
		"kefu_sessions": dto.MetricType_GAUGE, "kefu_agents": dto.MetricType_GAUGE,
		"kefu_wait_seconds": dto.MetricType_HISTOGRAM, "kefu_first_reply_seconds": dto.MetricType_HISTOGRAM,
		"kefu_handle_seconds": dto.MetricType_HISTOGRAM,
	}
	for _, c := range []string{"sessions_arrived", "sessions_started", "sessions_assigned", "sessions_queued",
		"sessions_offline", "sessions_bot", "sessions_transferred", "sessions_closed", "sessions_left",
		"sessions_expired", "messages", "warnings", "prompts", "sessions_offered", "offers_accepted", "offers_rejected",
		"offers_timed_out", "sessions_reassigned", "wrap_ups", "sessions_diverted", "sessions_refused", "sessions_inactive"} {
		want["kefu_"+c+"_total"] = dto.MetricType_COUNTER
	}
	got := map[string]dto.MetricType{}
	for _, mf := range gather(t, kefuprom.New(newScene(t))) {
		got[mf.GetName()] = mf.GetType()
		assert.NotEmpty(t, mf.GetHelp(), mf.GetName())
	}
	assert.Equal(t, want, got)
}

// promlint finds nothing to say about any of the expositions.
func TestCollector_Lint(t *testing.T) {
	shops := newScene(t)
	for _, tc := range goldenCases {
		problems, err := testutil.CollectAndLint(kefuprom.New(shops, tc.opts...))
		require.NoError(t, err, tc.name)
		assert.Empty(t, problems, tc.name)
	}
}

// Registered on a registry of its own, never the default one; the
// metrics are built at each scrape, so a second gather shows what
// happened between the two.
func TestCollector_ScrapeTime(t *testing.T) {
	shops := newScene(t)
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(kefuprom.New(shops)))

	first, err := reg.Gather()
	require.NoError(t, err)
	play(t, shops, []step{
		op("flagship", 50*time.Minute, dispatch.OpClose, "f11", ""), // f13 → wang (freed), waited 4 min
		arrive("flagship", 51*time.Minute, "f14"),                   // queued
		op("outlet", 57*time.Minute, dispatch.OpLogin, "", "zhao"),  // o4 → zhao (freed)
	})
	second, err := reg.Gather()
	require.NoError(t, err)

	a, b := samples(first), samples(second)
	for k, d := range map[string]float64{
		`kefu_sessions_arrived_total`:                   1,
		`kefu_sessions_queued_total`:                    1,
		`kefu_sessions_assigned_total{cause="freed"}`:   2,
		`kefu_sessions_closed_total{reason="manual"}`:   1,
		`kefu_sessions{place="queue"}`:                  0, // f13 out, f14 in
		`kefu_sessions{place="offline"}`:                -1,
		`kefu_sessions{place="agent"}`:                  1,
		`kefu_agents{status="online"}`:                  1,
		`kefu_agents{status="offline"}`:                 -1,
		`kefu_wait_seconds_count`:                       2,
		`kefu_wait_seconds_sum`:                         4*60 + 1*60,
		`kefu_handle_seconds_count`:                     1,
		`kefu_sessions_assigned_total{cause="arrival"}`: 0,
	} {
		assert.Equal(t, d, b[k]-a[k], "%s: %v then %v", k, a[k], b[k])
	}

	// Nothing went to the global registry.
	global, err := prometheus.DefaultGatherer.Gather()
	require.NoError(t, err)
	for _, mf := range global {
		assert.False(t, strings.HasPrefix(mf.GetName(), "kefu_"), mf.GetName())
	}
}

// Every label value of every metric is there at zero before anything
// happens: series do not come and go. 5 places + 3 statuses + 10
// assignment causes + 3 diversion causes + 4 reasons + 4 senders + 2
// warnings + 17 plain counters + 3 histograms.
func TestCollector_EveryLabelValue(t *testing.T) {
	empty := kefuprom.SourceFunc(func() dispatch.Stats { return dispatch.Stats{} })
	assert.Equal(t, 5+3+10+3+4+4+2+17+3, testutil.CollectAndCount(kefuprom.New(empty)))
	for k, v := range samples(gather(t, kefuprom.New(empty))) {
		assert.Zero(t, v, k)
	}
	var shops dispatch.Shops
	n := testutil.CollectAndCount(kefuprom.New(&shops, kefuprom.WithShopLabels("a")))
	assert.Equal(t, 51, n, "an empty registry: the rest's series, none for a shop it does not hold")
}

// Each cause goes to its own metric: an assignment's to
// sessions_assigned_total, a diversion's (E8, E11) to
// sessions_diverted_total, and neither shows the other's; refusals and
// inactive sessions (E8, E9) to their counters. Every count differs, so a
// crossed wire shows.
func TestCollector_CausesAndShaping(t *testing.T) {
	var st dispatch.Stats
	for i := range st.Assigned {
		if dispatch.Cause(i).Diversion() {
			st.Diverted[i] = uint64(200 + i)
		} else {
			st.Assigned[i] = uint64(100 + i)
		}
	}
	st.Refused, st.Inactive = 301, 302
	got := samples(gather(t, kefuprom.New(kefuprom.SourceFunc(func() dispatch.Stats { return st }))))
	want := map[string]float64{`kefu_sessions_refused_total`: 301, `kefu_sessions_inactive_total`: 302}
	for i := 1; i < len(st.Assigned); i++ {
		c := dispatch.Cause(i)
		if c.Diversion() {
			want[fmt.Sprintf(`kefu_sessions_diverted_total{cause=%q}`, c)] = float64(200 + i)
		} else {
			want[fmt.Sprintf(`kefu_sessions_assigned_total{cause=%q}`, c)] = float64(100 + i)
		}
	}
	for k, v := range want {
		assert.Equal(t, v, got[k], k)
	}
	n := 0
	for k := range got {
		if strings.HasPrefix(k, "kefu_sessions_assigned_total") || strings.HasPrefix(k, "kefu_sessions_diverted_total") {
			n++
		}
	}
	assert.Equal(t, 13, n, "ten assignment causes and three diversion causes, each once")
	assert.Equal(t, float64(200+int(dispatch.CauseQueueCap)), got[`kefu_sessions_diverted_total{cause="queue-cap"}`])
	assert.Equal(t, float64(100+int(dispatch.CauseWidened)), got[`kefu_sessions_assigned_total{cause="widened"}`])
}

// The histograms: cumulative buckets at HistogramBounds in seconds, the
// +Inf bucket is the count, the sum in seconds.
func TestCollector_Histogram(t *testing.T) {
	var st dispatch.Stats
	st.Handle.Buckets[0] = 2                             // ≤ 5 s
	st.Handle.Buckets[5] = 3                             // ≤ 3 min
	st.Handle.Buckets[len(dispatch.HistogramBounds)] = 1 // > 24 h
	st.Handle.Count, st.Handle.Sum = 6, 90*time.Second+25*time.Hour
	got := samples(gather(t, kefuprom.New(kefuprom.SourceFunc(func() dispatch.Stats { return st }))))
	for le, n := range map[string]float64{"5": 2, "15": 2, "30": 2, "60": 2, "120": 2, "180": 5, "300": 5,
		"600": 5, "1800": 5, "3600": 5, "14400": 5, "86400": 5, "+Inf": 6} {
		assert.Equal(t, n, got[`kefu_handle_seconds_bucket{le="`+le+`"}`], "le=%s", le)
	}
	assert.Equal(t, 6.0, got[`kefu_handle_seconds_count`])
	assert.Equal(t, 90.0+25*3600, got[`kefu_handle_seconds_sum`])
}

// Every kind of Source gives the same exposition of one shop.
func TestCollector_Sources(t *testing.T) {
	shops := newScene(t)
	shop, err := shops.Get("flagship")
	require.NoError(t, err)
	var only dispatch.Shops
	data, err := shop.Snapshot()
	require.NoError(t, err)
	eng, err := dispatch.Restore(scenePolicies()["flagship"], data)
	require.NoError(t, err)
	restored, err := dispatch.RestoreShop(scenePolicies()["flagship"], data)
	require.NoError(t, err)
	require.NoError(t, only.Adopt("flagship", restored))

	// A restored engine counts from 0 again; compare the gauges, and the
	// counters of the shop with its own Stats.
	want := samples(gather(t, kefuprom.New(kefuprom.SourceFunc(shop.Stats))))
	requireSamples(t, want, samples(gather(t, kefuprom.New(shop))), "*dispatch.Shop")
	fromEngine := samples(gather(t, kefuprom.New(eng)))
	fromShops := samples(gather(t, kefuprom.New(&only)))
	requireSamples(t, fromEngine, fromShops, "*dispatch.Engine and *dispatch.Shops of the restored shop")
	for _, k := range []string{`kefu_sessions{place="agent"}`, `kefu_sessions{place="queue"}`, `kefu_agents{status="break"}`} {
		assert.Equal(t, want[k], fromEngine[k], k)
	}
}

// With shop labels, the listed shops have their own series and the rest
// are summed under shop="": summed over the label, every sample equals the
// unlabelled exposition's (nothing counted twice, nothing lost); a listed
// shop's series equal a Collector of that shop alone.
func TestCollector_ShopLabels(t *testing.T) {
	shops := newScene(t)
	total := samples(gather(t, kefuprom.New(shops)))
	labelled := samples(gather(t, kefuprom.New(shops, kefuprom.WithShopLabels("flagship", "gone"))))
	requireSamples(t, total, withoutShop(labelled), "summed over shop")

	flagship, err := shops.Get("flagship")
	require.NoError(t, err)
	alone := samples(gather(t, kefuprom.New(flagship)))
	n := 0
	for k, v := range labelled {
		switch {
		case strings.Contains(k, `shop="flagship"`):
			n++
			plain := strings.NewReplacer(`,shop="flagship"`, "", `shop="flagship",`, "", `{shop="flagship"}`, "").Replace(k)
			assert.Equal(t, alone[plain], v, k)
		case strings.Contains(k, `shop="gone"`):
			t.Errorf("%s: a shop the registry does not hold has no series", k)
		default:
			assert.Contains(t, k, `shop=""`)
		}
	}
	assert.Equal(t, len(alone), n)
	assert.Equal(t, 2*len(alone), len(labelled))
}

// Misconfigurations are errors of Register (and Gather), never panics.
func TestCollector_Invalid(t *testing.T) {
	shops := newScene(t)
	shop, err := shops.Get("flagship")
	require.NoError(t, err)
	tests := []struct {
		name string
		c    *kefuprom.Collector
		want error
	}{
		{"nil source", kefuprom.New(nil), kefuprom.ErrNoSource},
		{"shop labels on one shop", kefuprom.New(shop, kefuprom.WithShopLabels("flagship")), kefuprom.ErrNoShops},
		{"empty shop id", kefuprom.New(shops, kefuprom.WithShopLabels("flagship", "")), kefuprom.ErrEmptyShop},
		{"const label clash", kefuprom.New(shops, kefuprom.WithShopLabels("flagship"),
			kefuprom.WithConstLabels(prometheus.Labels{"shop": "x"})), nil},
		{"const label clash, place", kefuprom.New(shops, kefuprom.WithConstLabels(prometheus.Labels{"place": "x"})), nil},
		{"invalid namespace", kefuprom.New(shops, kefuprom.WithNamespace("bad\xff")), nil},
	}
	for _, tt := range tests {
		err := prometheus.NewRegistry().Register(tt.c)
		require.Error(t, err, tt.name)
		if tt.want != nil {
			assert.ErrorIs(t, err, tt.want, tt.name)
		}
		ch := make(chan prometheus.Metric, 200)
		assert.NotPanics(t, func() { tt.c.Collect(ch) }, tt.name)
		close(ch)
		bad := 0
		for m := range ch {
			if m.Write(new(dto.Metric)) != nil {
				bad++
			}
		}
		assert.Positive(t, bad, "%s: Collect sends the error", tt.name)
	}
}

// Scrapes while many goroutines drive the shops (run with -race): each
// scrape reads each shop once, so with shops only adding, no counter
// ever goes down, the listed shop's nor the rest's.
func TestCollector_ConcurrentScrapes(t *testing.T) {
	var shops dispatch.Shops
	const nShops = 8
	for i := range nShops {
		s, err := shops.Open(string(rune('a'+i)), policy.Kuaishou())
		require.NoError(t, err)
		_, err = s.AddAgent(t0, "w", dispatch.AgentConfig{Capacity: agent.Limit(2)})
		require.NoError(t, err)
	}
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(kefuprom.New(&shops, kefuprom.WithShopLabels("a"))))

	// Two hosts' goroutines, each driving half the shops, yielding
	// between calls as a host waiting for its IM backend does.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				s, _ := shops.Get(string(rune('a' + g + 2*(n%(nShops/2)))))
				id := "s" + string(rune('0'+n/nShops%10))
				now := at(time.Duration(n) * time.Second)
				if _, err := s.Arrive(now, dispatch.Arrival{Session: id}); err != nil {
					_, _ = s.Close(now, id) // queued, or open since the last round: either is fine
				}
				runtime.Gosched()
			}
		}()
	}
	last := map[string]float64{}
	scrape := func(n int) {
		mfs, err := reg.Gather()
		require.NoError(t, err)
		for k, v := range samples(mfs) {
			if strings.Contains(k, "_total") {
				require.GreaterOrEqual(t, v, last[k], "scrape %d: %s", n, k)
				last[k] = v
			}
		}
	}
	for n := range 20 {
		scrape(n)
	}
	close(stop)
	wg.Wait()
	scrape(20)
	want := shops.Stats()
	assert.Equal(t, float64(want.Arrived), last[`kefu_sessions_arrived_total{shop="a"}`]+last[`kefu_sessions_arrived_total{shop=""}`])
	assert.Positive(t, last[`kefu_sessions_arrived_total{shop="a"}`])
	assert.Positive(t, last[`kefu_sessions_arrived_total{shop=""}`])
}
