package kefuotel_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	kefuotel "github.com/kefu-dev/kefu/metrics/otel"
	"github.com/kefu-dev/kefu/policy"
)

var t0 = time.Date(2026, 11, 11, 9, 0, 0, 0, time.UTC)

// The stable names the instruments' attributes take, written out here so
// that a renamed enum in the core fails this test.
var (
	places   = []string{"agent", "queue", "offline", "bot", "offered"}
	statuses = []string{"online", "break", "offline"}
	causes   = map[int]string{1: "arrival", 2: "freed", 3: "no-queue", 4: "manual", 5: "started", 6: "priority", 7: "exclusive",
		8: "handover", 9: "reassigned", 12: "widened"} // by value: the assignments' causes
	diverts  = map[int]string{10: "queue-cap", 11: "max-wait", 13: "outside-hours"} // the diversions' (E8, E11)
	reasons  = []string{"manual", "buyer-idle", "agent-idle", "bot-idle"}
	senders  = []string{"buyer", "agent", "bot", "system"}
	warnings = []string{"capacity-low", "unlimited-offline"}
	les      = []string{"5", "15", "30", "60", "120", "180", "300", "600", "1800", "3600", "14400", "86400", "+Inf"}
	bounds   = []time.Duration{5 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute,
		3 * time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour}
)

// kind is how an instrument reaches a reader.
type kind string

const (
	gauge      kind = "int64 non-monotonic sum" // Int64ObservableUpDownCounter
	counter    kind = "int64 monotonic sum"     // Int64ObservableCounter
	floatCount kind = "float64 monotonic sum"   // Float64ObservableCounter
)

type instrument struct {
	unit string
	kind kind
}

// instruments are every instrument Register creates.
var instruments = func() map[string]instrument {
	m := map[string]instrument{
		"kefu.sessions.open":        {"{session}", gauge},
		"kefu.agents":               {"{agent}", gauge},
		"kefu.sessions.arrived":     {"{session}", counter},
		"kefu.sessions.started":     {"{session}", counter},
		"kefu.sessions.assigned":    {"{session}", counter},
		"kefu.sessions.queued":      {"{session}", counter},
		"kefu.sessions.offline":     {"{session}", counter},
		"kefu.sessions.bot":         {"{session}", counter},
		"kefu.sessions.transferred": {"{session}", counter},
		"kefu.sessions.closed":      {"{session}", counter},
		"kefu.sessions.left":        {"{session}", counter},
		"kefu.sessions.expired":     {"{session}", counter},
		"kefu.messages":             {"{message}", counter},
		"kefu.warnings":             {"{warning}", counter},
		"kefu.prompts":              {"{prompt}", counter},
		"kefu.sessions.offered":     {"{session}", counter},
		"kefu.offers.accepted":      {"{offer}", counter},
		"kefu.offers.rejected":      {"{offer}", counter},
		"kefu.offers.timed_out":     {"{offer}", counter},
		"kefu.sessions.reassigned":  {"{session}", counter},
		"kefu.wrap_ups":             {"{wrap_up}", counter},
		"kefu.sessions.diverted":    {"{session}", counter},
		"kefu.sessions.refused":     {"{session}", counter},
		"kefu.sessions.inactive":    {"{session}", counter},
	}
	for _, h := range []string{"kefu.wait", "kefu.first_reply", "kefu.handle"} {
		m[h+".count"] = instrument{"{session}", counter}
		m[h+".sum"] = instrument{"s", floatCount}
		m[h+".bucket"] = instrument{"{session}", counter}
	}
	return m
}()

// series are a collection's data points: "name{k=v,…}" (attributes
// sorted by key) → value.
type series map[string]float64

func key(name string, kv ...string) string {
	var attrs []attribute.KeyValue
	for i := 0; i < len(kv); i += 2 {
		attrs = append(attrs, attribute.String(kv[i], kv[i+1]))
	}
	set := attribute.NewSet(attrs...)
	return name + "{" + set.Encoded(attribute.DefaultEncoder()) + "}"
}

// fromStats builds the series Register should report for st, by hand
// from its fields, with extra attributes (k, v, …) on every point (a
// point's own attribute wins over an extra one with its key).
func fromStats(st dispatch.Stats, extra ...string) series {
	s := series{}
	put := func(name string, v float64, kv ...string) { s[key(name, append(slices.Clip(extra), kv...)...)] = v }
	for i, p := range places {
		put("kefu.sessions.open", float64(st.Sessions[i+1]), "kefu.place", p)
	}
	for i, a := range statuses {
		put("kefu.agents", float64(st.Agents[i+1]), "kefu.agent.status", a)
	}
	put("kefu.sessions.arrived", float64(st.Arrived))
	put("kefu.sessions.started", float64(st.Started))
	for i, c := range causes {
		put("kefu.sessions.assigned", float64(st.Assigned[i]), "kefu.assign.cause", c)
	}
	for i, c := range diverts {
		put("kefu.sessions.diverted", float64(st.Diverted[i]), "kefu.divert.cause", c)
	}
	put("kefu.sessions.refused", float64(st.Refused))
	put("kefu.sessions.inactive", float64(st.Inactive))
	put("kefu.sessions.queued", float64(st.Queued))
	put("kefu.sessions.offline", float64(st.Offline))
	put("kefu.sessions.bot", float64(st.Bot))
	put("kefu.sessions.transferred", float64(st.Transferred))
	put("kefu.sessions.offered", float64(st.Offered))
	put("kefu.offers.accepted", float64(st.Accepted))
	put("kefu.offers.rejected", float64(st.Rejected))
	put("kefu.offers.timed_out", float64(st.TimedOut))
	put("kefu.sessions.reassigned", float64(st.Reassigned))
	put("kefu.wrap_ups", float64(st.WrapUps))
	for i, r := range reasons {
		put("kefu.sessions.closed", float64(st.Closed[i+1]), "kefu.close.reason", r)
	}
	put("kefu.sessions.left", float64(st.Left))
	put("kefu.sessions.expired", float64(st.Expired))
	for i, f := range senders {
		put("kefu.messages", float64(st.Messages[i+1]), "kefu.message.sender", f)
	}
	for i, w := range warnings {
		put("kefu.warnings", float64(st.Warnings[i+1]), "kefu.warning", w)
	}
	put("kefu.prompts", float64(st.Prompts))
	for name, h := range map[string]dispatch.Histogram{"kefu.wait": st.Wait, "kefu.first_reply": st.FirstReply, "kefu.handle": st.Handle} {
		put(name+".count", float64(h.Count))
		put(name+".sum", h.Sum.Seconds())
		var cum uint64
		for i, le := range les {
			cum += h.Buckets[i]
			put(name+".bucket", float64(cum), "le", le)
		}
	}
	return s
}

// durations are the series of one histogram holding the durations ds:
// the buckets counted against the bounds one by one.
func durations(name string, ds ...time.Duration) series {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	s := series{key(name + ".count"): float64(len(ds)), key(name + ".sum"): sum.Seconds()}
	for i, le := range les {
		n := 0
		for _, d := range ds {
			if i == len(bounds) || d <= bounds[i] {
				n++
			}
		}
		s[key(name+".bucket", "le", le)] = float64(n)
	}
	return s
}

// collect reads reader once and returns the data points of the kefu
// instruments, checking on the way that each is the instrument it should
// be (unit, kind, description, cumulative) and occurs once.
func collect(t *testing.T, reader *sdkmetric.ManualReader) series {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	got := series{}
	seen := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			want, ok := instruments[m.Name]
			if !assert.True(t, ok, "unexpected instrument %s", m.Name) {
				continue
			}
			assert.False(t, seen[m.Name], "%s twice", m.Name)
			seen[m.Name] = true
			assert.Equal(t, want.unit, m.Unit, m.Name)
			assert.NotEmpty(t, m.Description, m.Name)
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				assert.Equal(t, want.kind, map[bool]kind{true: counter, false: gauge}[d.IsMonotonic], m.Name)
				assert.Equal(t, metricdata.CumulativeTemporality, d.Temporality, m.Name)
				for _, p := range d.DataPoints {
					k := m.Name + "{" + p.Attributes.Encoded(attribute.DefaultEncoder()) + "}"
					assert.NotContains(t, got, k, "observed twice")
					got[k] = float64(p.Value)
				}
			case metricdata.Sum[float64]:
				assert.Equal(t, floatCount, want.kind, m.Name)
				assert.True(t, d.IsMonotonic, m.Name)
				assert.Equal(t, metricdata.CumulativeTemporality, d.Temporality, m.Name)
				for _, p := range d.DataPoints {
					k := m.Name + "{" + p.Attributes.Encoded(attribute.DefaultEncoder()) + "}"
					assert.NotContains(t, got, k, "observed twice")
					got[k] = p.Value
				}
			default:
				t.Errorf("%s: data %T", m.Name, m.Data)
			}
		}
	}
	return got
}

// setup returns a reader and a meter of a provider collected by it.
func setup(t *testing.T) (*sdkmetric.ManualReader, metric.Meter) {
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	return reader, provider.Meter("github.com/kefu-dev/kefu/metrics/otel/test")
}

func must(t *testing.T) func([]dispatch.Event, error) {
	return func(_ []dispatch.Event, err error) {
		t.Helper()
		require.NoError(t, err)
	}
}

// scene plays a small day on two Kuaishou shops; the comments say what
// each step does to the numbers.
func scene(t *testing.T, shops *dispatch.Shops) {
	ok := must(t)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	a, err := shops.Open("a", policy.Kuaishou())
	require.NoError(t, err)
	ok(a.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)}))
	ok(a.AddAgent(t0, "li", dispatch.AgentConfig{Capacity: agent.Limit(1)}))
	ok(a.AddAgent(t0, "zhao", dispatch.AgentConfig{Status: agent.Offline}))
	ok(a.AddAgent(t0, "qian", dispatch.AgentConfig{Capacity: agent.Limit(3), Status: agent.Break}))
	for i := 1; i <= 5; i++ { // s1 and s2 to li and wang; s3, s4, s5 queue
		ok(a.Arrive(at(time.Duration(i)*time.Second), dispatch.Arrival{Session: fmt.Sprint("s", i), Buyer: fmt.Sprint("b", i)}))
	}
	ok(a.Message(at(10*time.Second), dispatch.Message{Session: "s1", From: dispatch.FromBuyer}))
	ok(a.Message(at(12*time.Second), dispatch.Message{Session: "s1", From: dispatch.FromAgent, Agent: "li"})) // first reply 11 s
	ok(a.Leave(at(30*time.Second), "s5"))
	ok(a.Close(at(time.Minute), "s2")) // handled 58 s; s3 to wang, waited 57 s
	// li wrote last in s1: Kuaishou closes it after 20 minutes of buyer
	// silence, at 09:20:12 (handled 20 m 11 s); s4 to li, waited 20 m 8 s.
	a.Advance(at(time.Hour))
	ok(a.Transfer(at(time.Hour), "s3", "qian"))
	ok(a.Start(at(time.Hour), dispatch.Outbound{Session: "o1", Buyer: "b9", Agent: "wang"}))

	b, err := shops.Open("b", policy.Kuaishou())
	require.NoError(t, err)
	ok(b.AddAgent(t0, "w", dispatch.AgentConfig{Status: agent.Offline}))
	ok(b.Arrive(t0, dispatch.Arrival{Session: "m1"})) // nobody online: the offline pool
	ok(b.Login(at(time.Minute), "w"))                 // m1 to w, waited 60 s
	ok(b.Logout(at(2*time.Minute), "w"))              // w has no max reception: unlimited-offline

	// c: every automatic assignment is an offer (E1, 2 min to accept), a
	// session unanswered 3 min in a list moves on (E3), and a close holds
	// the agent's unit for 1 min (E5).
	c, err := shops.Open("c", policy.Policy{OfferTimeout: 2 * time.Minute, ReassignAfter: 3 * time.Minute, WrapUp: time.Minute})
	require.NoError(t, err)
	ok(c.AddAgent(t0, "sun", dispatch.AgentConfig{Capacity: agent.Limit(2)}))
	ok(c.Arrive(t0, dispatch.Arrival{Session: "d1", Buyer: "c1"})) // offered to sun
	// Shop has no Accept or Reject method: Apply takes their ops.
	answer := func(d time.Duration, k dispatch.OpKind, session, agentID string) {
		ok(c.Apply(at(d), dispatch.Op{Kind: k, Session: session, Agent: agentID}))
	}
	answer(30*time.Second, dispatch.OpAccept, "d1", "sun")
	ok(c.Arrive(at(time.Minute), dispatch.Arrival{Session: "d2", Buyer: "c2"}))             // offered to sun
	answer(90*time.Second, dispatch.OpReject, "d2", "sun")                                  // nobody else: queued
	ok(c.AddAgent(at(2*time.Minute), "ma", dispatch.AgentConfig{Capacity: agent.Limit(2)})) // d2 offered to ma, waited 30 s
	// 09:03:30 d1, unanswered since sun accepted it, is reassigned:
	// offered to ma; 09:04 ma lets d2's offer time out: queued again.
	c.Advance(at(4 * time.Minute))
	answer(5*time.Minute, dispatch.OpAccept, "d1", "ma")
	ok(c.Message(at(6*time.Minute), dispatch.Message{Session: "d1", From: dispatch.FromAgent, Agent: "ma"})) // first reply 6 min
	ok(c.Close(at(7*time.Minute), "d1"))                                                                     // handled 2 min; ma wraps up
	ok(c.Arrive(at(7*time.Minute+30*time.Second), dispatch.Arrival{Session: "d3", Buyer: "c3"}))             // offered to sun
}

// Every instrument's every data point after the scene: what the scene
// implies, written by hand, and what Shops.Stats reads.
func TestRegister_Scene(t *testing.T) {
	reader, meter := setup(t)
	var shops dispatch.Shops
	reg, err := kefuotel.Register(meter, &shops)
	require.NoError(t, err)
	defer func() { assert.NoError(t, reg.Unregister()) }()
	scene(t, &shops)

	got := collect(t, reader)

	want := fromStats(dispatch.Stats{}) // every point, zero
	set := func(v float64, name string, kv ...string) {
		k := key(name, kv...)
		require.Contains(t, want, k)
		want[k] = v
	}
	set(4, "kefu.sessions.open", "kefu.place", "agent")   // s3 at qian, s4 at li, o1 at wang, m1 at w
	set(1, "kefu.sessions.open", "kefu.place", "queue")   // d2
	set(1, "kefu.sessions.open", "kefu.place", "offered") // d3
	set(4, "kefu.agents", "kefu.agent.status", "online")
	set(1, "kefu.agents", "kefu.agent.status", "break")
	set(2, "kefu.agents", "kefu.agent.status", "offline")
	set(9, "kefu.sessions.arrived")
	set(1, "kefu.sessions.started")
	set(2, "kefu.sessions.assigned", "kefu.assign.cause", "arrival")
	set(3, "kefu.sessions.assigned", "kefu.assign.cause", "freed")
	set(1, "kefu.sessions.assigned", "kefu.assign.cause", "started")
	set(5, "kefu.sessions.queued") // s3 s4 s5, d2 twice
	set(1, "kefu.sessions.offline")
	set(1, "kefu.sessions.transferred")
	set(5, "kefu.sessions.offered")                               // d1 sun, d2 sun, d2 ma, d1 ma, d3 sun
	set(2, "kefu.offers.accepted")                                // d1 by sun, d1 by ma
	set(1, "kefu.offers.rejected")                                // d2 by sun
	set(1, "kefu.offers.timed_out")                               // d2 at ma
	set(1, "kefu.sessions.reassigned")                            // d1 from sun
	set(1, "kefu.wrap_ups")                                       // ma after d1
	set(2, "kefu.sessions.closed", "kefu.close.reason", "manual") // s2 d1
	set(1, "kefu.sessions.closed", "kefu.close.reason", "buyer-idle")
	set(1, "kefu.sessions.left")
	set(1, "kefu.messages", "kefu.message.sender", "buyer")
	set(2, "kefu.messages", "kefu.message.sender", "agent")
	set(1, "kefu.warnings", "kefu.warning", "unlimited-offline")
	for _, h := range []series{
		durations("kefu.wait", 57*time.Second, 20*time.Minute+8*time.Second, time.Minute, 30*time.Second),
		durations("kefu.first_reply", 11*time.Second, 6*time.Minute),
		durations("kefu.handle", 58*time.Second, 20*time.Minute+11*time.Second, 2*time.Minute),
	} {
		for k, v := range h {
			require.Contains(t, want, k)
			want[k] = v
		}
	}
	assert.Equal(t, want, got)
	assert.Equal(t, fromStats(shops.Stats()), got)
	assert.Len(t, got, 5+3+1+1+10+4+4+1+1+4+2+1+6+3+2+3*(1+1+13))
	assert.Equal(t, 1355.0, got[key("kefu.wait.sum")], "57 s + 20 m 8 s + 60 s + 30 s, in seconds")
	assert.Equal(t, 3.0, got[key("kefu.wait.bucket", "le", "60")], "57 s, 60 s and 30 s: a bound is in its own bucket")
}

// Each collection reads the numbers of that moment: a step table, a
// collection after every step.
func TestRegister_ValuesFollow(t *testing.T) {
	reader, meter := setup(t)
	var shops dispatch.Shops
	shop, err := shops.Open("a", policy.Kuaishou())
	require.NoError(t, err)
	_, err = kefuotel.Register(meter, &shops)
	require.NoError(t, err)

	t1, t2, t3 := t0.Add(time.Second), t0.Add(2*time.Second), t0.Add(42*time.Second)
	steps := []struct {
		name string
		op   func() ([]dispatch.Event, error)
		want series // some of the points, after the op
	}{
		{"nothing yet", nil, series{key("kefu.sessions.open", "kefu.place", "agent"): 0, key("kefu.agents", "kefu.agent.status", "online"): 0}},
		{"an agent", func() ([]dispatch.Event, error) {
			return shop.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})
		}, series{key("kefu.agents", "kefu.agent.status", "online"): 1}},
		{"s1 to wang", func() ([]dispatch.Event, error) {
			return shop.Arrive(t1, dispatch.Arrival{Session: "s1"})
		}, series{
			key("kefu.sessions.open", "kefu.place", "agent"): 1, key("kefu.sessions.arrived"): 1,
			key("kefu.sessions.assigned", "kefu.assign.cause", "arrival"): 1,
		}},
		{"s2 queues", func() ([]dispatch.Event, error) {
			return shop.Arrive(t2, dispatch.Arrival{Session: "s2"})
		}, series{
			key("kefu.sessions.open", "kefu.place", "queue"): 1, key("kefu.sessions.arrived"): 2, key("kefu.sessions.queued"): 1,
		}},
		{"s1 closes, s2 to wang", func() ([]dispatch.Event, error) {
			return shop.Close(t3, "s1")
		}, series{
			key("kefu.sessions.open", "kefu.place", "agent"): 1, key("kefu.sessions.open", "kefu.place", "queue"): 0,
			key("kefu.sessions.closed", "kefu.close.reason", "manual"):  1,
			key("kefu.sessions.assigned", "kefu.assign.cause", "freed"): 1,
			key("kefu.wait.count"): 1, key("kefu.wait.sum"): 40, key("kefu.wait.bucket", "le", "30"): 0,
			key("kefu.wait.bucket", "le", "60"): 1, key("kefu.handle.count"): 1, key("kefu.handle.sum"): 41,
		}},
		{"wang on break", func() ([]dispatch.Event, error) {
			return shop.SetStatus(t3, "wang", agent.Break)
		}, series{key("kefu.agents", "kefu.agent.status", "online"): 0, key("kefu.agents", "kefu.agent.status", "break"): 1}},
	}
	for i, step := range steps {
		if step.op != nil {
			_, err := step.op()
			require.NoError(t, err, "step %d (%s)", i, step.name)
		}
		got := collect(t, reader)
		for k, v := range step.want {
			assert.Equal(t, v, got[k], "step %d (%s): %s", i, step.name, k)
		}
		assert.Equal(t, fromStats(shops.Stats()), got, "step %d (%s)", i, step.name)
	}
}

// countingSource counts the reads.
type countingSource struct {
	n   atomic.Int64
	src kefuotel.Source
}

func (c *countingSource) Stats() dispatch.Stats {
	c.n.Add(1)
	return c.src.Stats()
}

// One read of the source per collection, whatever the number of
// instruments.
func TestRegister_OneReadPerCollection(t *testing.T) {
	reader, meter := setup(t)
	shop, err := dispatch.NewShop(policy.Kuaishou())
	require.NoError(t, err)
	src := &countingSource{src: shop}
	_, err = kefuotel.Register(meter, src)
	require.NoError(t, err)
	assert.Equal(t, int64(0), src.n.Load(), "nothing is read before a collection")
	for i := 1; i <= 3; i++ {
		collect(t, reader)
		assert.Equal(t, int64(i), src.n.Load(), "collection %d", i)
	}
}

// fixedStats is a Source that always reads st.
type fixedStats struct{ st dispatch.Stats }

func (f fixedStats) Stats() dispatch.Stats { return f.st }

// Each cause goes to its own instrument: an assignment's to
// kefu.sessions.assigned, a diversion's (E8, E11) to
// kefu.sessions.diverted, neither showing the other's; refusals and
// inactive sessions (E8, E9) to theirs. Every count differs, so a crossed
// wire shows.
func TestRegister_CausesAndShaping(t *testing.T) {
	var st dispatch.Stats
	for i := range st.Assigned {
		if dispatch.Cause(i).Diversion() {
			st.Diverted[i] = uint64(200 + i)
		} else {
			st.Assigned[i] = uint64(100 + i)
		}
	}
	st.Refused, st.Inactive = 301, 302
	reader, meter := setup(t)
	_, err := kefuotel.Register(meter, fixedStats{st})
	require.NoError(t, err)
	got := collect(t, reader)
	assert.Equal(t, fromStats(st), got)
	assert.Equal(t, float64(200+int(dispatch.CauseMaxWait)), got[key("kefu.sessions.diverted", "kefu.divert.cause", "max-wait")])
	assert.Equal(t, float64(100+int(dispatch.CauseWidened)), got[key("kefu.sessions.assigned", "kefu.assign.cause", "widened")])
	assert.NotContains(t, got, key("kefu.sessions.assigned", "kefu.assign.cause", "queue-cap"))
	assert.Equal(t, 301.0, got[key("kefu.sessions.refused")])
	assert.Equal(t, 302.0, got[key("kefu.sessions.inactive")])
}

// Unregistering stops the observations: the next collection has no data
// point (the SDK reports no attribute set an instrument was not observed
// with), and the source is not read.
func TestRegister_Unregister(t *testing.T) {
	reader, meter := setup(t)
	shop, err := dispatch.NewShop(policy.Kuaishou())
	require.NoError(t, err)
	must(t)(shop.Arrive(t0, dispatch.Arrival{Session: "s1"}))
	src := &countingSource{src: shop}
	reg, err := kefuotel.Register(meter, src)
	require.NoError(t, err)
	require.Equal(t, 1.0, collect(t, reader)[key("kefu.sessions.arrived")])

	require.NoError(t, reg.Unregister())
	assert.Empty(t, collect(t, reader))
	assert.Equal(t, int64(1), src.n.Load())

	// Registering again on the same meter observes again.
	reg, err = kefuotel.Register(meter, src)
	require.NoError(t, err)
	assert.Equal(t, fromStats(shop.Stats()), collect(t, reader))
	require.NoError(t, reg.Unregister())
}

// WithAttributes adds its attributes to every point; several add up; an
// instrument's own attribute keeps its value.
func TestRegister_WithAttributes(t *testing.T) {
	reader, meter := setup(t)
	var shops dispatch.Shops
	scene(t, &shops)
	_, err := kefuotel.Register(meter, &shops,
		kefuotel.WithAttributes(attribute.String("service.instance.id", "node-1"), attribute.String("kefu.place", "mine")),
		kefuotel.WithAttributes(attribute.String("region", "cn-east")))
	require.NoError(t, err)

	got := collect(t, reader)
	// Points without an attribute of their own carry kefu.place=mine;
	// kefu.sessions keeps its places.
	assert.Equal(t, fromStats(shops.Stats(), "service.instance.id", "node-1", "kefu.place", "mine", "region", "cn-east"), got)
	assert.Contains(t, got, "kefu.sessions.open{kefu.place=agent,region=cn-east,service.instance.id=node-1}")
	assert.Contains(t, got, "kefu.sessions.arrived{kefu.place=mine,region=cn-east,service.instance.id=node-1}")
}

// The option copies its slice: changing it afterwards changes nothing.
func TestWithAttributes_Copies(t *testing.T) {
	reader, meter := setup(t)
	shop, err := dispatch.NewShop(policy.Kuaishou())
	require.NoError(t, err)
	attrs := []attribute.KeyValue{attribute.String("shop", "a")}
	opt := kefuotel.WithAttributes(attrs...)
	attrs[0] = attribute.String("shop", "changed")
	_, err = kefuotel.Register(meter, shop, opt)
	require.NoError(t, err)
	assert.Equal(t, fromStats(shop.Stats(), "shop", "a"), collect(t, reader))
}

// One Registration per shop on one meter, each with the shop's id: each
// shop's own series.
func TestRegister_PerShop(t *testing.T) {
	reader, meter := setup(t)
	var shops dispatch.Shops
	scene(t, &shops)
	want := series{}
	shops.Range(func(id string, s *dispatch.Shop) bool {
		_, err := kefuotel.Register(meter, s, kefuotel.WithAttributes(attribute.String("kefu.shop", id)))
		require.NoError(t, err)
		maps.Copy(want, fromStats(s.Stats(), "kefu.shop", id))
		return true
	})
	require.Len(t, want, 3*len(fromStats(dispatch.Stats{}))) // shops a, b, c
	assert.Equal(t, want, collect(t, reader))
}

// Every collection agrees with itself while other goroutines run the
// shops (run it with -race): the places of the open sessions add up to
// the sessions opened minus those gone, and each histogram's +Inf bucket
// is its count. Each shop is read under its mutex, so each shop's part
// of the sum is one instant of it.
func TestRegister_ConcurrentCollections(t *testing.T) {
	reader, meter := setup(t)
	var shops dispatch.Shops
	_, err := kefuotel.Register(meter, &shops)
	require.NoError(t, err)
	const nShops, nOps, nCollections = 4, 1000, 50
	for i := range nShops {
		s, err := shops.Open(fmt.Sprint("shop", i), policy.Kuaishou())
		require.NoError(t, err)
		must(t)(s.AddAgent(t0, "w", dispatch.AgentConfig{Capacity: agent.Limit(2)}))
	}
	var (
		wg          sync.WaitGroup
		arrived     atomic.Int64
		collections atomic.Int64
	)
	for i := range nShops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, _ := shops.Get(fmt.Sprint("shop", i))
			// At least nOps each, and on until nCollections ran.
			for j := 0; j < nOps || collections.Load() < nCollections; j++ {
				now := t0.Add(time.Duration(j) * time.Second)
				if _, err := s.Arrive(now, dispatch.Arrival{Session: fmt.Sprint("s", j)}); err == nil {
					arrived.Add(1)
				}
				if j%3 == 2 {
					_, _ = s.Message(now, dispatch.Message{Session: fmt.Sprint("s", j-2), From: dispatch.FromAgent, Agent: "w"})
					_, _ = s.Close(now, fmt.Sprint("s", j-2))
					_, _ = s.Leave(now, fmt.Sprint("s", j-1)) // if it queued
				}
				runtime.Gosched() // let the collections in, on few cores too
			}
		}()
	}
	check := func(got series) {
		open := 0.0
		for _, p := range places {
			open += got[key("kefu.sessions.open", "kefu.place", p)]
		}
		gone := got[key("kefu.sessions.left")] + got[key("kefu.sessions.expired")]
		for _, r := range reasons {
			gone += got[key("kefu.sessions.closed", "kefu.close.reason", r)]
		}
		opened := got[key("kefu.sessions.arrived")] + got[key("kefu.sessions.started")]
		assert.Equal(t, opened-gone, open, "open sessions")
		for _, h := range []string{"kefu.wait", "kefu.first_reply", "kefu.handle"} {
			assert.Equal(t, got[key(h+".count")], got[key(h+".bucket", "le", "+Inf")], h)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; collections.Add(1) {
		select {
		case <-done:
			running = false
		default:
		}
		check(collect(t, reader))
	}
	got := collect(t, reader)
	assert.Equal(t, fromStats(shops.Stats()), got)
	assert.Equal(t, float64(arrived.Load()), got[key("kefu.sessions.arrived")])
	assert.Positive(t, got[key("kefu.handle.count")])
	t.Logf("%d collections, %d arrivals", collections.Load(), arrived.Load())
}

// An Engine is a Source too, read on its own goroutine here.
func TestRegister_Engine(t *testing.T) {
	reader, meter := setup(t)
	e, err := dispatch.New(policy.Kuaishou())
	require.NoError(t, err)
	must(t)(e.Arrive(t0, dispatch.Arrival{Session: "s1"}))
	_, err = kefuotel.Register(meter, e)
	require.NoError(t, err)
	got := collect(t, reader)
	assert.Equal(t, fromStats(e.Stats()), got)
	assert.Equal(t, 1.0, got[key("kefu.sessions.open", "kefu.place", "offline")])
}

var errBoom = errors.New("boom")

// failingMeter fails to create the instruments named in fail, and to
// register callbacks if failCallback.
type failingMeter struct {
	metric.Meter
	fail         map[string]bool
	failCallback bool
}

func (m failingMeter) Int64ObservableCounter(name string, opts ...metric.Int64ObservableCounterOption) (metric.Int64ObservableCounter, error) {
	c, _ := m.Meter.Int64ObservableCounter(name, opts...)
	if m.fail[name] {
		return c, errBoom
	}
	return c, nil
}

func (m failingMeter) Float64ObservableCounter(name string, opts ...metric.Float64ObservableCounterOption) (metric.Float64ObservableCounter, error) {
	c, _ := m.Meter.Float64ObservableCounter(name, opts...)
	if m.fail[name] {
		return c, errBoom
	}
	return c, nil
}

func (m failingMeter) RegisterCallback(f metric.Callback, insts ...metric.Observable) (metric.Registration, error) {
	if m.failCallback {
		return nil, errBoom
	}
	return m.Meter.RegisterCallback(f, insts...)
}

// Bad input is an error, never a panic; the meter's errors come back
// wrapped, naming the instrument.
func TestRegister_Errors(t *testing.T) {
	shop, err := dispatch.NewShop(policy.Kuaishou())
	require.NoError(t, err)
	meter := noop.NewMeterProvider().Meter("test")

	_, err = kefuotel.Register(nil, shop)
	assert.ErrorIs(t, err, kefuotel.ErrNilArgument)
	_, err = kefuotel.Register(meter, nil)
	assert.ErrorIs(t, err, kefuotel.ErrNilArgument)

	_, err = kefuotel.Register(failingMeter{Meter: meter, fail: map[string]bool{"kefu.prompts": true, "kefu.wait.sum": true}}, shop)
	assert.ErrorIs(t, err, errBoom)
	assert.ErrorContains(t, err, "kefuotel: instrument kefu.prompts: boom")
	assert.ErrorContains(t, err, "kefuotel: instrument kefu.wait.sum: boom")

	_, err = kefuotel.Register(failingMeter{Meter: meter, failCallback: true}, shop)
	assert.ErrorIs(t, err, errBoom)
	assert.ErrorContains(t, err, "kefuotel: register callback")

	reg, err := kefuotel.Register(failingMeter{Meter: meter}, shop)
	require.NoError(t, err)
	assert.NoError(t, reg.Unregister())
}

// The instruments are exactly the documented ones: the package doc names
// each (a histogram's three counters by the histogram's name).
func TestInstruments_Documented(t *testing.T) {
	reader, meter := setup(t)
	_, err := kefuotel.Register(meter, &dispatch.Shops{})
	require.NoError(t, err)
	names := map[string]bool{}
	for k := range collect(t, reader) {
		names[k[:strings.IndexByte(k, '{')]] = true
	}
	assert.ElementsMatch(t, slices.Collect(maps.Keys(instruments)), slices.Collect(maps.Keys(names)))

	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	for name := range instruments {
		base := name
		for _, suffix := range []string{".count", ".sum", ".bucket"} {
			if b, ok := strings.CutSuffix(name, suffix); ok && strings.Count(b, ".") == 1 && b != "kefu.sessions.open" {
				base = b
			}
		}
		assert.Contains(t, string(doc), base, "the package doc does not name %s", name)
	}
}

// BenchmarkCollect is one collection of every instrument from a Shops of
// 100 shops by the SDK's ManualReader (the SDK's own cost included).
func BenchmarkCollect(b *testing.B) {
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	var shops dispatch.Shops
	for i := range 100 {
		s, err := shops.Open(fmt.Sprint("shop", i), policy.Kuaishou())
		require.NoError(b, err)
		_, err = s.Arrive(t0, dispatch.Arrival{Session: "s1"})
		require.NoError(b, err)
	}
	_, err := kefuotel.Register(provider.Meter("bench"), &shops)
	require.NoError(b, err)
	var rm metricdata.ResourceMetrics
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := reader.Collect(context.Background(), &rm); err != nil {
			b.Fatal(err)
		}
	}
}

// capturingMeter keeps the callback Register registers.
type capturingMeter struct {
	metric.Meter
	callback metric.Callback
}

func (m *capturingMeter) RegisterCallback(f metric.Callback, insts ...metric.Observable) (metric.Registration, error) {
	m.callback = f
	return m.Meter.RegisterCallback(f, insts...)
}

// countingObserver counts observations (the embedded interface is nil:
// only the methods below are called).
type countingObserver struct {
	metric.Observer
	n int
}

func (o *countingObserver) ObserveInt64(metric.Int64Observable, int64, ...metric.ObserveOption) {
	o.n++
}
func (o *countingObserver) ObserveFloat64(metric.Float64Observable, float64, ...metric.ObserveOption) {
	o.n++
}

// The callback allocates nothing of its own: the attribute sets and
// options are built once, by Register (the SDK's cost is the SDK's).
func TestRegister_CallbackAllocatesNothing(t *testing.T) {
	shop, err := dispatch.NewShop(policy.Kuaishou())
	require.NoError(t, err)
	m := &capturingMeter{Meter: noop.NewMeterProvider().Meter("test")}
	_, err = kefuotel.Register(m, shop, kefuotel.WithAttributes(attribute.String("shop", "a")))
	require.NoError(t, err)
	require.NotNil(t, m.callback)
	o := &countingObserver{}
	require.NoError(t, m.callback(context.Background(), o))
	assert.Equal(t, len(fromStats(dispatch.Stats{})), o.n, "one observation per data point")
	allocs := testing.AllocsPerRun(100, func() { _ = m.callback(context.Background(), o) })
	assert.Zero(t, allocs)
}
