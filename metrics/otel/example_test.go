package kefuotel_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	kefuotel "github.com/kefu-dev/kefu/metrics/otel"
	"github.com/kefu-dev/kefu/policy"
)

// A host registers its shops once; every collection then reads them. The
// SDK's ManualReader stands here for the host's exporter.
func ExampleRegister() {
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(context.Background())

	var shops dispatch.Shops
	reg, err := kefuotel.Register(provider.Meter("github.com/kefu-dev/kefu"), &shops,
		kefuotel.WithAttributes(attribute.String("service.instance.id", "node-1")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer reg.Unregister()

	t0 := time.Date(2026, 11, 11, 9, 0, 0, 0, time.UTC)
	shop, _ := shops.Open("shop-1", policy.Kuaishou())
	shop.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})
	shop.Arrive(t0, dispatch.Arrival{Session: "s1"}) // to wang
	shop.Arrive(t0.Add(2*time.Second), dispatch.Arrival{Session: "s2"})
	shop.Message(t0.Add(30*time.Second), dispatch.Message{Session: "s1", From: dispatch.FromAgent, Agent: "wang"})
	shop.Close(t0.Add(time.Minute), "s1") // s2 to wang, after 58 s in the queue

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		fmt.Println(err)
		return
	}
	// Every attribute value is observed, zeros included; print the
	// sessions' points that are not zero, and the wait's count and sum.
	for _, p := range points(&rm) {
		if p.value != 0 && strings.HasPrefix(p.name, "kefu.sessions") || p.name == "kefu.wait.count" || p.name == "kefu.wait.sum" {
			fmt.Println(p)
		}
	}
	// The shop's 3-minute reply rate, from the first reply's buckets.
	fmt.Printf("first replies within 3 minutes: %v of %v\n",
		value(&rm, "kefu.first_reply.bucket", "180"), value(&rm, "kefu.first_reply.count", ""))
	// Output:
	// kefu.sessions.arrived{service.instance.id=node-1} 2 {session}
	// kefu.sessions.assigned{kefu.assign.cause=arrival,service.instance.id=node-1} 1 {session}
	// kefu.sessions.assigned{kefu.assign.cause=freed,service.instance.id=node-1} 1 {session}
	// kefu.sessions.closed{kefu.close.reason=manual,service.instance.id=node-1} 1 {session}
	// kefu.sessions.open{kefu.place=agent,service.instance.id=node-1} 1 {session}
	// kefu.sessions.queued{service.instance.id=node-1} 1 {session}
	// kefu.wait.count{service.instance.id=node-1} 1 {session}
	// kefu.wait.sum{service.instance.id=node-1} 58 s
	// first replies within 3 minutes: 1 of 1
}

// point is one data point of a collection.
type point struct {
	name, attrs, unit string
	le                string
	value             float64
}

func (p point) String() string { return fmt.Sprintf("%s{%s} %v %s", p.name, p.attrs, p.value, p.unit) }

// points returns the data points of the sums in rm, sorted.
func points(rm *metricdata.ResourceMetrics) []point {
	var ps []point
	add := func(m metricdata.Metrics, set attribute.Set, v float64) {
		le, _ := set.Value("le")
		ps = append(ps, point{m.Name, set.Encoded(attribute.DefaultEncoder()), m.Unit, le.AsString(), v})
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					add(m, p.Attributes, float64(p.Value))
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					add(m, p.Attributes, p.Value)
				}
			}
		}
	}
	slices.SortFunc(ps, func(a, b point) int { return strings.Compare(a.String(), b.String()) })
	return ps
}

// value returns the value of the point of name with le (or no le: "").
func value(rm *metricdata.ResourceMetrics, name, le string) float64 {
	for _, p := range points(rm) {
		if p.name == name && p.le == le {
			return p.value
		}
	}
	return -1
}
