package kefujs_test

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
	kefujs "github.com/kefu-dev/kefu/dispatch/jetstream"
)

var (
	ownershipRuns = flag.Int("ownership.runs", 0, "runs of TestRandomOwnership (0: 100; 12 with -short; a quarter with -race)")
	ownershipSeed = flag.Uint64("ownership.seed", 0, "run only this seed of TestRandomOwnership (0: seeds from the clock)")
)

// TestRandomOwnership plays random runs of ops on a few shops while
// their partitions move among three members at random: graceful
// handovers (Node.Close, the member restarting later), lapses of a
// lease while its holder is paused (its key deleted, as the server's TTL
// would; the holder notices nothing until its next Tick) with or without
// a takeover, stale writes by members that lost a partition, ownership
// rounds (Tick), snapshots and evictions (Maintain), timers
// (AdvanceDue). Each shop has ONE in-memory oracle engine, fed every
// acknowledged op in log order (the numbers the host gave them must be
// 1, 2, 3, … across owners); the host's answer to each op is the
// oracle's; at checkpoints and at the end, the holder of each shop's
// partition and a fresh Store and Host reading the stream are the
// oracle, byte for byte, and the events published by every member, in
// order, are the oracle's. At the end every timer due has fired.
//
// Every run has its own stream and bucket on one server. A failing run
// names its seed: go test -run TestRandomOwnership -ownership.seed=N.
func TestRandomOwnership(t *testing.T) {
	runs := 100
	switch {
	case *ownershipRuns > 0:
		runs = *ownershipRuns
	case testing.Short():
		runs = 12
	}
	if raceEnabled && *ownershipRuns == 0 {
		runs = max(runs/4, 3)
	}
	base := uint64(time.Now().UnixNano())
	if *ownershipSeed != 0 {
		base, runs = *ownershipSeed, 1
	}
	srv := runServer(t)
	var jss []jetstream.JetStream
	for range 3 {
		_, js := connect(t, srv)
		jss = append(jss, js)
	}
	total := map[string]int{}
	defer func() { t.Logf("%d runs: %v", runs, total) }()
	for i := range runs {
		seed := base + uint64(i)
		ok := t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { ownershipRun(t, seed, jss, total) })
		if !ok {
			t.Fatalf("reproduce with: go test -run TestRandomOwnership -ownership.seed=%d", seed)
		}
	}
}

// world is one run of TestRandomOwnership.
type world struct {
	t       *testing.T
	r       *rand.Rand
	g       *gen
	jss     []jetstream.JetStream
	cfg     kefujs.Config
	shares  []int
	slots   []*member // nil: stopped
	gens    []int     // restarts of each slot
	shops   []string
	rec     *recorder
	oracles map[string]*dispatch.Engine
	expect  map[string][]dispatch.Event // the oracle's events of the acknowledged ops
	now     time.Time
	log     []string // what happened, for a failure's message
	count   map[string]int
}

func ownershipRun(t *testing.T, seed uint64, jss []jetstream.JetStream, count map[string]int) {
	r := rand.New(rand.NewPCG(seed, 0x6f776e))
	w := &world{t: t, r: r, g: newGen(seed, 0), jss: jss, rec: newRecorder(), count: count,
		oracles: map[string]*dispatch.Engine{}, expect: map[string][]dispatch.Event{}, now: t0}
	w.cfg = kefujs.Config{Prefix: fmt.Sprint("R", seed%1_000_000_000), Partitions: 2 + r.IntN(3), LeaseTTL: time.Hour}
	defer w.cleanup()
	defer func() {
		if t.Failed() {
			t.Logf("seed %d, %d partitions, shares %v; the run:\n%s", seed, w.cfg.Partitions, w.shares, joinLines(w.log))
		}
	}()
	for i := range 3 {
		w.shares = append(w.shares, 1+r.IntN(w.cfg.Partitions))
		w.gens = append(w.gens, 0)
		w.slots = append(w.slots, nil)
		w.start(i)
	}
	for i := range 3 + r.IntN(3) {
		shop := fmt.Sprint("shop-", i)
		m := w.target(shop)
		w.note("%s creates %s (partition %d)", m.name, shop, m.st.Partition(shop))
		require.NoError(t, m.h.Create(ctx, shop, pol()))
		w.shops = append(w.shops, shop)
		w.oracles[shop] = newOracle(t)
	}
	steps := 60 + r.IntN(80)
	for range steps {
		w.step()
	}
	w.check()
	w.finish()
}

func joinLines(l []string) string {
	s := ""
	for _, x := range l {
		s += "  " + x + "\n"
	}
	return s
}

func (w *world) note(format string, args ...any) {
	w.log = append(w.log, fmt.Sprintf(format, args...))
}

// start starts slot i's member (a new process: a new owner id).
func (w *world) start(i int) {
	w.gens[i]++
	name := fmt.Sprintf("m%d.%d", i, w.gens[i])
	w.count["starts"]++
	w.slots[i] = join(w.t, w.jss[i], w.cfg, name, w.shares[i], w.rec,
		durable.HostOptions{SnapshotEvery: 5 + w.r.IntN(20), IdleAfter: 10 * time.Minute})
	w.note("%s starts (share %d)", name, w.shares[i])
	w.tick(w.slots[i])
}

func (w *world) tick(m *member) {
	before := len(m.st.Owned())
	require.NoError(w.t, m.n.Tick(ctx), "%s: Tick", m.name)
	if len(m.st.Owned()) > before {
		w.count["ticks taking partitions"]++
	}
	w.feed()
	w.note("%s ticks: owns %v", m.name, m.st.Owned())
}

// live returns the running members.
func (w *world) live() []*member {
	var ms []*member
	for _, m := range w.slots {
		if m != nil {
			ms = append(ms, m)
		}
	}
	return ms
}

// holder returns the member holding the lease of shop's partition, or
// nil if it is free.
func (w *world) holder(shop string) *member {
	owner, ok, err := w.live()[0].st.OwnerOf(ctx, shop)
	require.NoError(w.t, err)
	if !ok {
		return nil
	}
	for _, m := range w.live() {
		if m.name == owner {
			return m
		}
	}
	w.t.Fatalf("the lease of %s's partition is held by %s, which is not running", shop, owner)
	return nil
}

// target is where a request for shop goes: its partition's holder, or
// any member if the partition is free (its Claim takes it).
func (w *world) target(shop string) *member {
	if m := w.holder(shop); m != nil {
		return m
	}
	ms := w.live()
	return ms[w.r.IntN(len(ms))]
}

// fed is an acknowledged op and what the oracle answered.
type fed struct {
	shop string
	evs  []dispatch.Event
	err  error
}

// feed gives the oracles the ops acknowledged since the last call, in
// log order: each must be numbered the one after its shop's last.
func (w *world) feed() []fed {
	var out []fed
	for _, a := range w.rec.drain() {
		switch a.out {
		case fenced:
			continue
		case inDoubt:
			w.t.Fatalf("%s: shop %s, op %d: %v", a.by, a.shop, a.rec.N, a.err)
		}
		e := w.oracles[a.shop]
		require.Equal(w.t, e.Ops()+1, a.rec.N, "%s acknowledged op %d of shop %s, whose log has %d ops", a.by, a.rec.N, a.shop, e.Ops())
		evs, err := e.Apply(a.rec.At, a.rec.Op)
		w.expect[a.shop] = append(w.expect[a.shop], evs...)
		out = append(out, fed{a.shop, evs, err})
	}
	return out
}

func (w *world) step() {
	t, r := w.t, w.r
	w.now = w.now.Add(time.Duration(r.IntN(240)) * time.Second)
	ms := w.live()
	m := ms[r.IntN(len(ms))]
	shop := w.shops[r.IntN(len(w.shops))]
	p := m.st.Partition(shop)
	switch k := r.IntN(100); {
	case k < 50: // an op, to the shop's owner
		h := w.holder(shop)
		m := w.target(shop)
		op := w.op(shop)
		evs, err := m.h.Apply(ctx, shop, w.now, op)
		w.note("%s applies %s to %s: %v", m.name, op.Kind, shop, err)
		if h == nil && errors.Is(err, kefujs.ErrNotOwner) {
			// The partition is free, and m, which held it before a
			// lapse, learns only now that another took it since.
			require.Empty(t, w.feed())
			w.count["refused, free partition"]++
			return
		}
		if h == nil {
			w.count["ops to a free partition"]++
		}
		require.True(t, err == nil || engineErr(err), "%s: apply to %s: %v", m.name, shop, err)
		f := w.feed()
		require.Len(t, f, 1)
		require.Equal(t, errString(f[0].err), errString(err))
		require.Equal(t, wire(t, f[0].evs), wire(t, evs))
	case k < 60: // a stale write: to a member that does not hold the shop's partition
		h := w.holder(shop)
		if h == nil || h == m {
			return
		}
		_, err := m.h.Apply(ctx, shop, w.now, w.g.op())
		w.note("%s (not the holder, %s) applies to %s: %v", m.name, h.name, shop, err)
		require.ErrorIs(t, err, kefujs.ErrNotOwner, "%s: a write to %s, held by %s", m.name, shop, h.name)
		require.Empty(t, w.feed())
		w.count["stale writes"]++
	case k < 68: // a lapse: the holder pauses, its lease expires
		h := w.holder(shop)
		if h == nil {
			return
		}
		deleteLeases(t, w.jss[0], w.cfg.Prefix, p)
		w.note("the lease of partition %d (%s's) lapses", p, h.name)
		w.count["lapses"]++
		if r.IntN(2) == 0 {
			others := slices.DeleteFunc(slices.Clone(ms), func(x *member) bool { return x == h })
			if len(others) > 0 {
				w.tick(others[r.IntN(len(others))])
			}
		}
	case k < 80:
		w.tick(m)
	case k < 84: // a graceful handover; the process restarts later
		if len(ms) == 1 {
			return
		}
		err := m.n.Close(ctx)
		w.note("%s closes: %v", m.name, err)
		require.True(t, err == nil || errors.Is(err, kefujs.ErrNotOwner), "%s: Close: %v", m.name, err)
		w.slots[slices.Index(w.slots, m)] = nil
		w.count["handovers"]++
		w.count["snapshots"] += int(m.h.Stats().Snapshots)
		require.Empty(t, w.feed())
	case k < 88: // a restart
		for i, s := range w.slots {
			if s == nil {
				w.start(i)
				return
			}
		}
	case k < 93: // snapshots and evictions
		at := w.now.Add(time.Duration(r.IntN(20)) * time.Minute)
		err := m.h.Maintain(ctx, at)
		w.note("%s maintains: %v", m.name, err)
		require.True(t, err == nil || errors.Is(err, kefujs.ErrNotOwner), "%s: Maintain: %v", m.name, err)
		require.Empty(t, w.feed())
	case k < 97: // timers
		n, err := m.h.AdvanceDue(ctx, w.now, nil)
		w.note("%s advances %d shops: %v", m.name, n, err)
		w.count["timers fired"] += n
		require.NoError(t, err, "%s: AdvanceDue", m.name)
		require.Len(t, w.feed(), n)
	default:
		w.check()
	}
}

// op returns a random op for shop, steered so that shops have agents
// online and sessions with a reply of their agent (which arms the
// shop's auto-close timer): without it, timers are rare.
func (w *world) op(shop string) dispatch.Op {
	e := w.oracles[shop]
	online := 0
	for a := range e.Agents() {
		if a.Status == agent.Online {
			online++
		}
	}
	if online == 0 && w.r.IntN(2) == 0 {
		return dispatch.Op{Kind: dispatch.OpAddAgent, Agent: fmt.Sprint("a", w.r.IntN(4)),
			AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(1 + w.r.IntN(3))}}
	}
	if w.r.IntN(5) < 2 {
		for range 12 {
			id := fmt.Sprint("s", w.r.IntN(12))
			if s, ok := e.Session(id); ok && s.Place == dispatch.PlaceAgent {
				return dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: id, From: dispatch.FromAgent, Agent: s.Agent}}
			}
		}
	}
	return w.g.op()
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// check compares every shop's holder, and a reader of the stream, with
// the shop's oracle, and the events published with the oracle's.
func (w *world) check() {
	t := w.t
	w.note("check")
	rd := reader(t, w.jss[0], w.cfg)
	for _, shop := range w.shops {
		want := w.oracles[shop]
		if h := w.holder(shop); h != nil {
			require.NoError(t, sameErr(h.h, shop, want), "the holder %s", h.name)
			require.Empty(t, w.feed())
		}
		require.NoError(t, sameErr(rd, shop, want), "the stream")
		require.Equal(t, wire(t, w.expect[shop]), wire(t, w.rec.pubAll[shop]), "shop %s: the events published", shop)
	}
}

// finish gives every partition an owner (the members' rounds, then any
// member's claim for what their shares leave free, then a round again),
// fires every timer due by an hour from now, and checks that none is
// left: a partition's timers move with it.
func (w *world) finish() {
	t := w.t
	for _, m := range w.live() {
		w.tick(m)
	}
	for _, shop := range w.shops {
		if w.holder(shop) == nil {
			m := w.target(shop)
			require.NoError(t, m.h.Read(ctx, shop, func(*dispatch.Engine) {}), "%s claims %s", m.name, shop)
			w.note("%s claims %s", m.name, shop)
			w.count["claims at the end"]++
		}
	}
	for _, m := range w.live() {
		w.tick(m) // the next round: Recover learns the timers of what the claims took
	}
	end := w.now.Add(time.Hour)
	for _, shop := range w.shops {
		if d, ok := w.oracles[shop].NextDeadline(); ok && !d.After(end) {
			w.count["timers due at the end"]++
		}
	}
	for _, m := range w.live() {
		n, err := m.h.AdvanceDue(ctx, end, nil)
		w.note("%s advances %d shops to the end", m.name, n)
		w.count["timers fired at the end"] += n
		require.NoError(t, err)
		require.Len(t, w.feed(), n)
	}
	for _, shop := range w.shops {
		if d, ok := w.oracles[shop].NextDeadline(); ok {
			require.True(t, d.After(end), "shop %s: a timer due at %v did not fire (held by %s)", shop, d, w.holder(shop).name)
		}
	}
	w.check()
}

func (w *world) cleanup() {
	for _, a := range w.rec.all() {
		w.count["appends "+a.out.String()]++
	}
	for _, m := range w.live() {
		w.count["snapshots"] += int(m.h.Stats().Snapshots)
		m.n.Close(ctx)
	}
	w.jss[0].DeleteStream(ctx, w.cfg.Prefix+"_OPS")
	w.jss[0].DeleteKeyValue(ctx, w.cfg.Prefix+"_LEASES")
}
