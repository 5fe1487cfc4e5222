package kefuprom_test

import (
	"bufio"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	kefuprom "github.com/kefu-dev/kefu/metrics/prometheus"
	"github.com/kefu-dev/kefu/policy"
)

// scrape serves the registry's /metrics as promhttp does and prints the
// lines that start with one of the prefixes.
func scrape(registry *prometheus.Registry, prefixes ...string) {
	w := httptest.NewRecorder()
	promhttp.HandlerFor(registry, promhttp.HandlerOpts{}).ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	lines := bufio.NewScanner(w.Body)
	for lines.Scan() {
		for _, p := range prefixes {
			if strings.HasPrefix(lines.Text(), p) {
				fmt.Println(lines.Text())
				break
			}
		}
	}
}

// One Collector over every shop of the process, on a registry of the
// host's own, served at /metrics.
func ExampleNew() {
	var shops dispatch.Shops
	shop, _ := shops.Open("flagship", policy.Kuaishou())
	now := time.Date(2026, 11, 11, 10, 0, 0, 0, policy.ChinaStandardTime())
	shop.AddAgent(now, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})
	shop.Arrive(now, dispatch.Arrival{Session: "s1", Buyer: "b1"}) // to wang
	shop.Arrive(now, dispatch.Arrival{Session: "s2", Buyer: "b2"}) // queued (Q1)
	shop.Close(now.Add(90*time.Second), "s1")                      // s2 to wang (C5), after 90 s

	registry := prometheus.NewRegistry()
	registry.MustRegister(kefuprom.New(&shops))
	// http.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))

	scrape(registry, "kefu_sessions{", "kefu_sessions_arrived_total", `kefu_sessions_assigned_total{cause="arrival"}`,
		`kefu_sessions_assigned_total{cause="freed"}`, "# HELP kefu_sessions_queued_total", "kefu_sessions_queued_total",
		`kefu_wait_seconds_bucket{le="120"}`, "kefu_wait_seconds_sum", "kefu_wait_seconds_count")
	// Output:
	// kefu_sessions{place="agent"} 1
	// kefu_sessions{place="bot"} 0
	// kefu_sessions{place="offered"} 0
	// kefu_sessions{place="offline"} 0
	// kefu_sessions{place="queue"} 0
	// kefu_sessions_arrived_total 2
	// kefu_sessions_assigned_total{cause="arrival"} 1
	// kefu_sessions_assigned_total{cause="freed"} 1
	// # HELP kefu_sessions_queued_total Entries into the queue pool (Q1); a requeued session counts again.
	// kefu_sessions_queued_total 1
	// kefu_wait_seconds_bucket{le="120"} 1
	// kefu_wait_seconds_sum 90
	// kefu_wait_seconds_count 1
}

// Two shops followed by name; every other shop is summed under shop="",
// which Prometheus stores as no label: sum() over the shops still counts
// each once.
func ExampleWithShopLabels() {
	var shops dispatch.Shops
	now := time.Date(2026, 11, 11, 10, 0, 0, 0, policy.ChinaStandardTime())
	for i, id := range []string{"flagship", "outlet", "corner", "kiosk"} {
		shop, _ := shops.Open(id, policy.Kuaishou())
		for n := range i + 1 {
			shop.Arrive(now, dispatch.Arrival{Session: fmt.Sprint("s", n)})
		}
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(kefuprom.New(&shops, kefuprom.WithShopLabels("flagship", "outlet")))
	scrape(registry, "kefu_sessions_arrived_total")
	// Output:
	// kefu_sessions_arrived_total{shop=""} 7
	// kefu_sessions_arrived_total{shop="flagship"} 1
	// kefu_sessions_arrived_total{shop="outlet"} 2
}
