package durable_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
	"github.com/kefu-dev/kefu/metrics"
	"github.com/kefu-dev/kefu/policy"
)

var (
	ctx = context.Background()
	t0  = time.Date(2026, 11, 11, 9, 0, 0, 0, policy.ChinaStandardTime())
)

// gen makes random ops of one shop with times that mostly move forward:
// agents joining and leaving, buyers arriving, writing, leaving, agents
// replying and closing, and some ops the engine rejects.
type gen struct {
	r   *rand.Rand
	now time.Time
	n   int
}

func newGen(seed uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: t0}
}

func (g *gen) next() (time.Time, dispatch.Op) {
	g.n++
	g.now = g.now.Add(time.Duration(g.r.IntN(90)) * time.Second)
	ag := fmt.Sprint("a", g.r.IntN(4))
	ses := fmt.Sprint("s", g.r.IntN(12))
	var op dispatch.Op
	switch k := g.r.IntN(20); {
	case k == 0:
		op = dispatch.Op{Kind: dispatch.OpAddAgent, Agent: ag, AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(1 + g.r.IntN(3))}}
	case k == 1:
		op = dispatch.Op{Kind: dispatch.OpLogout, Agent: ag}
	case k == 2:
		op = dispatch.Op{Kind: dispatch.OpLogin, Agent: ag}
	case k < 9:
		op = dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: ses, Buyer: "b" + ses}}
	case k < 12:
		op = dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: ses, From: dispatch.FromBuyer}}
	case k < 15:
		op = dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: ses, From: dispatch.FromAgent, Agent: ag}}
	case k < 18:
		op = dispatch.Op{Kind: dispatch.OpClose, Session: ses}
	case k == 18:
		op = dispatch.Op{Kind: dispatch.OpLeave, Session: ses}
	default:
		op = dispatch.Op{Kind: dispatch.OpAdvance}
	}
	return g.now, op
}

// applied is an op a host acknowledged, kept to feed the oracle.
type applied struct {
	at time.Time
	op dispatch.Op
}

// pol is the policy of the test shops.
func pol() policy.Policy { return policy.Kuaishou() }

// recorderOpts gives each shop a metrics recorder, saved in its snapshots.
func recorderOpts(_ string, p policy.Policy) []dispatch.Option {
	r, err := metrics.New(p.Location)
	if err != nil {
		panic(err)
	}
	return []dispatch.Option{dispatch.WithObserver("metrics", r)}
}

// oracle is an in-memory engine fed the same ops.
func oracle(t testing.TB, ops []applied) *dispatch.Engine {
	t.Helper()
	e, err := dispatch.New(pol(), recorderOpts("", pol())...)
	require.NoError(t, err)
	for _, a := range ops {
		e.Apply(a.at, a.op)
	}
	return e
}

// sameAs checks that the host's shop is the oracle: the same snapshot,
// byte for byte (the recorder's state included), and Verify holds.
func sameAs(t testing.TB, h *durable.Host, shop string, want *dispatch.Engine) {
	t.Helper()
	wantSnap, err := want.Snapshot()
	require.NoError(t, err)
	require.NoError(t, h.Read(ctx, shop, func(e *dispatch.Engine) {
		require.NoError(t, e.Verify())
		got, err := e.Snapshot()
		require.NoError(t, err)
		require.Equal(t, string(wantSnap), string(got), "shop %s differs from the oracle", shop)
		require.Equal(t, want.Ops(), e.Ops())
	}))
}

// open opens dir as Files and a Host on it.
func open(t testing.TB, dir string, fo durable.FilesOptions, ho durable.HostOptions) (*durable.Files, *durable.Host) {
	t.Helper()
	f, err := durable.OpenFiles(dir, fo)
	require.NoError(t, err)
	ho.Log, ho.Snapshots = f, f
	if ho.Engine == nil {
		ho.Engine = recorderOpts
	}
	h, err := durable.NewHost(ctx, ho)
	require.NoError(t, err)
	return f, h
}
