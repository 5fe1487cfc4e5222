package kefujs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
	kefujs "github.com/kefu-dev/kefu/dispatch/jetstream"
)

// driver applies random ops to random shops on a member, from its own
// goroutine, until stop is closed or it has applied max (if max > 0),
// each op with its own timeout, and counts what the host answered.
// Milestones are channels closed when a count reaches a number.
type driver struct {
	m     *member
	shops []string
	g     *gen

	mu        sync.Mutex
	acked     int // nil or an engine's error: the op was logged and applied
	notOwner  int // ErrNotOwner
	failed    int // another storage error (a timeout, a cut connection)
	mileAcked milestone
	mileNot   milestone
	// quitNot: return once mileNot is reached (a stale member that has
	// been refused enough, instead of spinning on local refusals)
	quitNot bool
}

// milestone is a channel closed when a count reaches at.
type milestone struct {
	at int
	ch chan struct{}
}

func newMilestone(at int) milestone { return milestone{at, make(chan struct{})} }

func (m *milestone) reach(n int) {
	if m.ch != nil && n == m.at {
		close(m.ch)
	}
}

func (d *driver) run(stop <-chan struct{}, max int, timeout time.Duration) error {
	for k := 0; max <= 0 || k < max; k++ {
		select {
		case <-stop:
			return nil
		default:
		}
		shop := d.shops[d.g.r.IntN(len(d.shops))]
		at, op := d.g.next()
		c, cancel := context.WithTimeout(ctx, timeout)
		_, err := d.m.h.Apply(c, shop, at, op)
		cancel()
		if errors.Is(err, dispatch.ErrUnknownShop) {
			return err
		}
		d.mu.Lock()
		switch {
		case err == nil || engineErr(err):
			d.acked++
			d.mileAcked.reach(d.acked)
		case errors.Is(err, kefujs.ErrNotOwner):
			d.notOwner++
			d.mileNot.reach(d.notOwner)
			if d.quitNot && d.notOwner >= d.mileNot.at {
				d.mu.Unlock()
				return nil
			}
		default:
			d.failed++
		}
		d.mu.Unlock()
	}
	return nil
}

// expect zeroes the counts and sets milestones on them (0: none); with
// quit, the driver returns once notOwner refusals are reached.
func (d *driver) expect(acked, notOwner int, quit bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.acked, d.notOwner, d.failed = 0, 0, 0
	d.quitNot = quit
	d.mileAcked, d.mileNot = milestone{}, milestone{}
	if acked > 0 {
		d.mileAcked = newMilestone(acked)
	}
	if notOwner > 0 {
		d.mileNot = newMilestone(notOwner)
	}
}

// counts returns the driver's counts, and zeroes them.
func (d *driver) counts() (acked, notOwner, failed int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	acked, notOwner, failed = d.acked, d.notOwner, d.failed
	d.acked, d.notOwner, d.failed = 0, 0, 0
	return
}

// engineErr reports an engine's error: durable.Host logged and applied
// the op (it answers the engine's error then), as opposed to an error of
// the storage (the op was not applied). The engine's errors are of
// dispatch's classes; of the storage's, only ErrFenced is.
func engineErr(err error) bool {
	return err != nil && !errors.Is(err, durable.ErrFenced) && !errors.Is(err, dispatch.ErrUnknownShop) &&
		(errors.Is(err, dispatch.ErrNotFound) || errors.Is(err, dispatch.ErrConflict) || errors.Is(err, dispatch.ErrInvalid))
}

// Failover: member a owns every partition and serves traffic from three
// goroutines over six shops when its connection to the server is cut (a
// TCP proxy drops it and refuses new ones: a partition of the network).
// Its leases lapse (their keys are deleted, as the server's TTL deletes
// them when they are not renewed: deterministic, without waiting), b
// takes every partition over (Tick: Acquire fences them, Recover loads
// the shops), and the cut heals. Then a keeps applying ops while b
// serves its own traffic: none of a's appends is acknowledged after b's
// fence; every op a acknowledged is in the log, in its place, and b's
// state is an oracle's fed the log's ops in order (byte for byte, the
// metrics recorder included); the events published by a then b are the
// oracle's, Event.Seq going on without a gap on b (but where an op
// whose append timed out during the cut reached the log: the log has
// it, nobody published its events, as durable.Host documents); a ledger
// of every event finds no session lost or assigned twice.
func TestFailover(t *testing.T) {
	srv := runServer(t)
	px := newProxy(t, srv.Addr().String())
	jsA := connectVia(t, px.url())
	_, jsB := connect(t, srv)
	// Leases never lapse on their own here: the test deletes them.
	cfg := kefujs.Config{Partitions: 4, LeaseTTL: time.Hour}
	rec := newRecorder()
	a := join(t, jsA, cfg, "a", 0, rec, durable.HostOptions{})
	require.NoError(t, a.n.Tick(ctx))
	require.Equal(t, []int{0, 1, 2, 3}, a.st.Owned())
	shops := make([]string, 6)
	for i := range shops {
		shops[i] = fmt.Sprint("shop-", i)
		require.NoError(t, a.h.Create(ctx, shops[i], pol()))
	}
	warmOps := 100 // each of a's drivers
	bOps := 120    // each of b's
	if testing.Short() {
		warmOps, bOps = 20, 25
	}

	// a serves traffic.
	var wg sync.WaitGroup
	stopA := make(chan struct{})
	errs := make(chan error, 6)
	var da []*driver
	for i := range 3 {
		d := &driver{m: a, shops: shops, g: newGen(uint64(i), i+1)}
		d.expect(warmOps, 0, false)
		da = append(da, d)
		wg.Add(1)
		go func() { defer wg.Done(); errs <- d.run(stopA, 0, 500*time.Millisecond) }()
	}
	for _, d := range da {
		<-d.mileAcked.ch
	}

	// The cut, mid-traffic; a's leases lapse; b takes over.
	px.Cut()
	ackedBeforeCut := 0
	for _, d := range da {
		n, _, _ := d.counts()
		ackedBeforeCut += n
	}
	deleteLeases(t, jsB, "", 0, 1, 2, 3)
	b := join(t, jsB, cfg, "b", 0, rec, durable.HostOptions{})
	require.NoError(t, b.n.Tick(ctx))
	require.Equal(t, []int{0, 1, 2, 3}, b.st.Owned())
	require.Equal(t, len(shops), b.h.Stats().Loaded, "every shop has ops after its snapshot: Recover loads them")
	// Nothing a does from now on can reach the log: b's state is the
	// log's already.
	takeover := readStream(t, jsB, "")
	for _, shop := range shops {
		e := newOracle(t)
		for _, m := range takeover.ops[shop] {
			e.Apply(m.rec.At, m.rec.Op)
		}
		sameAs(t, b.h, shop, e)
	}

	// The cut heals: a, which noticed nothing, goes on; b serves too.
	for _, d := range da {
		d.expect(0, 3, false)
	}
	px.Heal()
	stopB := make(chan struct{}) // never closed: b's drivers stop after bOps
	var db []*driver
	for i := range 3 {
		d := &driver{m: b, shops: shops, g: newGen(uint64(10+i), 10+i)}
		d.g.now = d.g.now.Add(24 * time.Hour) // after a's ops
		db = append(db, d)
		wg.Add(1)
		go func() { defer wg.Done(); errs <- d.run(stopB, bOps, 10*time.Second) }()
	}
	for range 3 {
		require.NoError(t, <-errs) // b's, or a's on an unexpected error
	}
	for _, d := range da {
		<-d.mileNot.ch
	}
	close(stopA)
	wg.Wait()
	for range 3 {
		require.NoError(t, <-errs)
	}
	for i, d := range db {
		acked, notOwner, failed := d.counts()
		require.Equal(t, bOps, acked, "b's driver %d: every op acknowledged (%d not owner, %d failed)", i, notOwner, failed)
	}
	for i, d := range da {
		acked, _, _ := d.counts()
		require.Zero(t, acked, "a's driver %d: an op acknowledged after the takeover", i)
	}

	// a's next round notices: its leases are gone, its shops dropped.
	require.NoError(t, a.n.Tick(ctx))
	require.Empty(t, a.st.Owned())
	require.Zero(t, a.h.Stats().Loaded)

	attempts := rec.all()
	h := checkHistory(t, jsB, shops, attempts)
	var byA, byB, fencedA int
	for _, at := range attempts {
		p := b.st.Partition(at.shop)
		fence := takeover.fences[p][len(takeover.fences[p])-1].seq // b's
		switch {
		case at.by == "a" && at.out == acked:
			byA++
			require.Less(t, seqOf(t, takeover, at), fence, "a's acknowledged op after b's fence")
		case at.by == "a" && at.out == fenced:
			fencedA++
		case at.by == "b":
			require.Equal(t, acked, at.out, "b's append: %v", at.err)
			byB++
		}
	}
	require.Greater(t, fencedA, 0, "a's stale appends reached the server and were refused")
	t.Logf("a: %d acknowledged before the cut, %d appends fenced after; b: %d acknowledged; in doubt at the cut: %d in the log, %d not",
		byA, fencedA, byB, h.stored, h.lost)
	require.GreaterOrEqual(t, byA, ackedBeforeCut)
	for _, shop := range shops {
		sameAs(t, b.h, shop, h.oracles[shop])
		pub := append(rec.published("a", shop), rec.published("b", shop)...)
		require.Equal(t, wire(t, h.acked[shop]), wire(t, pub), "shop %s: the events published are the oracle's", shop)
		if h.stored == 0 {
			require.Equal(t, seqs(h.events[shop]), seqs(pub), "shop %s: Event.Seq without a gap", shop)
		}
	}
}

// seqOf returns the stream sequence of an op that is in l.
func seqOf(t testing.TB, l streamLog, a attempt) uint64 {
	t.Helper()
	for _, m := range l.ops[a.shop] {
		if recKey(a.shop, m.rec) == a.key() {
			return m.seq
		}
	}
	t.Fatalf("shop %s: op %d not in the log", a.shop, a.rec.N)
	return 0
}
