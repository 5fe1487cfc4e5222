package kefujs_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch/durable"
	kefujs "github.com/kefu-dev/kefu/dispatch/jetstream"
)

// rawWriter appends to a shop through a Store directly, several records
// per call (pipelined), with the fence it claimed when it started: a
// few calls, then, once go is closed, as many as it can until stop: a
// stale owner that never learns it lost the shop, and whose appends
// race the new owner's fence.
type rawWriter struct {
	m    *member
	shop string
	g    *gen
	rec  *recorder
	pre  int           // calls before go
	go_  chan struct{} // closed at the takeover

	mu      sync.Mutex
	refused int
	mile    milestone
}

func (w *rawWriter) run(stop <-chan struct{}) error {
	fence, err := w.m.st.Claim(ctx, w.shop)
	if err != nil {
		return err
	}
	n, err := lastN(w.m.st, w.shop)
	if err != nil {
		return err
	}
	for k := 0; ; k++ {
		if k == w.pre {
			<-w.go_
		}
		select {
		case <-stop:
			return nil
		default:
		}
		recs := make([]durable.Record, 3)
		for i := range recs {
			at, op := w.g.next()
			recs[i] = durable.Record{N: n + uint64(i) + 1, At: at, Op: op}
		}
		err := w.m.st.Append(ctx, w.shop, fence, recs)
		w.rec.noteAppend(w.m.name, w.shop, recs, err)
		if err == nil {
			n += uint64(len(recs))
			continue
		}
		if !errors.Is(err, kefujs.ErrNotOwner) {
			return err
		}
		w.mu.Lock()
		w.refused++
		w.mile.reach(w.refused)
		enough := w.refused >= w.mile.at
		w.mu.Unlock()
		if enough {
			return nil
		}
		if n, err = lastN(w.m.st, w.shop); err != nil { // some may be in: go on after them
			return err
		}
	}
}

// lastN returns the number of the last op of shop in the stream.
func lastN(st *kefujs.Store, shop string) (uint64, error) {
	var n uint64
	err := st.Read(ctx, shop, 0, func(r durable.Record) error { n = max(n, r.N); return nil })
	return n, err
}

// canary returns a shop id of partition p, new in round r.
func canary(st *kefujs.Store, r, p int) string {
	for i := 0; ; i++ {
		if id := fmt.Sprintf("canary-%d-%d", r, i); st.Partition(id) == p {
			return id
		}
	}
}

// Split brain: the owner of every partition, serving traffic, pauses
// (it neither renews nor notices anything: the test deletes its lease
// keys, as the server's TTL would); another member takes the partitions
// over (Tick: fence, Recover) while the paused owner's goroutines go on
// appending, unaware: two through its host, and for each partition a
// raw writer that pipelines three records per Append with the fence it
// claimed at the start. The new owner then serves its own traffic,
// concurrently with the stale owner's attempts. Four rounds, the roles
// swapping each time (two with -short). After each: the stream has, in
// each interval between two fences of a partition, ops of the fence's
// owner only (after the new owner's fence, none of the old one's); every
// acknowledged op is in the log in its place; the new owner's engines,
// and those of a fresh Store and Host that read the stream without
// owning anything, are an oracle's fed the log's ops, byte for byte; the
// stale owner's next Tick drops everything.
func TestSplitBrain(t *testing.T) {
	srv := runServer(t)
	_, jsA := connect(t, srv)
	_, jsB := connect(t, srv)
	_, jsR := connect(t, srv)
	// Leases never lapse on their own here: the test deletes them.
	cfg := kefujs.Config{Partitions: 2, LeaseTTL: time.Hour}
	rec := newRecorder()
	a := join(t, jsA, cfg, "a", 0, rec, durable.HostOptions{})
	require.NoError(t, a.n.Tick(ctx))
	require.Equal(t, []int{0, 1}, a.st.Owned())
	b := join(t, jsB, cfg, "b", 0, rec, durable.HostOptions{})
	require.NoError(t, b.n.Tick(ctx))
	require.Empty(t, b.st.Owned())
	shops := []string{"shop-0", "shop-1", "shop-2", "shop-3"}
	for _, id := range shops {
		require.NoError(t, a.h.Create(ctx, id, pol()))
	}
	all := slices.Clone(shops)
	rounds, warm, ops := 4, 20, 30
	if testing.Short() {
		rounds, warm, ops = 2, 10, 15
	}

	old, succ := a, b
	for r := range rounds {
		// The raw writers' shops, unknown to the old owner's host.
		var canaries []string
		for p := range cfg.Partitions {
			id := canary(old.st, r, p)
			require.NoError(t, old.h.Create(ctx, id, pol()))
			canaries = append(canaries, id)
		}
		old.h.Forget(func(shop string) bool { return slices.Contains(canaries, shop) })
		all = append(all, canaries...)

		// The old owner serves traffic.
		var wg sync.WaitGroup
		stopOld, takeover := make(chan struct{}), make(chan struct{})
		from := len(rec.all())
		errs := make(chan error, 8)
		var drivers []*driver
		for i := range 2 {
			d := &driver{m: old, shops: shops, g: newGen(uint64(100*r+i), 10*r+i+1)}
			d.g.now = d.g.now.Add(time.Duration(r) * 24 * time.Hour)
			d.expect(warm, 0, false)
			drivers = append(drivers, d)
			wg.Add(1)
			go func() { defer wg.Done(); errs <- d.run(stopOld, 0, 10*time.Second) }()
		}
		var raws []*rawWriter
		for i, id := range canaries {
			w := &rawWriter{m: old, shop: id, g: newGen(uint64(100*r+50+i), 10*r+i+5), rec: rec,
				pre: 5, go_: takeover, mile: newMilestone(5)}
			w.g.now = w.g.now.Add(time.Duration(r) * 24 * time.Hour)
			raws = append(raws, w)
			wg.Add(1)
			go func() { defer wg.Done(); errs <- w.run(stopOld) }()
		}
		for _, d := range drivers {
			<-d.mileAcked.ch
		}

		// It pauses: its leases lapse, the other takes over, while its
		// goroutines go on.
		for _, d := range drivers {
			d.expect(0, 3, true)
		}
		close(takeover)
		deleteLeases(t, jsR, "", 0, 1)
		require.NoError(t, succ.n.Tick(ctx))
		require.Equal(t, []int{0, 1}, succ.st.Owned(), "round %d", r)
		var succDrivers []*driver
		for i := range 2 {
			d := &driver{m: succ, shops: shops, g: newGen(uint64(100*r+20+i), 10*r+i+3)}
			d.g.now = d.g.now.Add(time.Duration(r)*24*time.Hour + 12*time.Hour)
			d.expect(ops, 0, false)
			succDrivers = append(succDrivers, d)
			wg.Add(1)
			go func() { defer wg.Done(); errs <- d.run(nil, ops, 10*time.Second) }()
		}
		for _, d := range succDrivers {
			<-d.mileAcked.ch
		}
		for _, d := range drivers {
			<-d.mileNot.ch
		}
		for _, w := range raws {
			<-w.mile.ch
		}
		close(stopOld)
		wg.Wait()
		for range len(drivers) + len(succDrivers) + len(raws) {
			require.NoError(t, <-errs)
		}
		for _, d := range drivers {
			// Acknowledged ops may be the old owner's until the new fence:
			// checkHistory checks the order.
			_, _, failed := d.counts()
			require.Zero(t, failed, "round %d", r)
		}
		for _, d := range succDrivers {
			acked, notOwner, failed := d.counts()
			require.Equal(t, ops, acked, "round %d: %d not owner, %d failed", r, notOwner, failed)
		}

		// The stale owner's next round notices.
		require.NoError(t, old.n.Tick(ctx))
		require.Empty(t, old.st.Owned())
		require.Zero(t, old.h.Stats().Loaded)

		h := checkHistory(t, jsR, all, rec.all())
		rd := reader(t, jsR, cfg)
		for _, shop := range all {
			sameAs(t, succ.h, shop, h.oracles[shop])
			sameAs(t, rd, shop, h.oracles[shop])
		}
		var byOld, refused int
		for _, at := range rec.all()[from:] {
			if at.by == old.name && at.out == acked {
				byOld++
			}
			if at.by == old.name && at.out != acked {
				refused++
			}
		}
		t.Logf("round %d: %s → %s; %s's appends: %d acknowledged, %d refused or in doubt (%d of those in the log)",
			r, old.name, succ.name, old.name, byOld, refused, h.stored)
		old, succ = succ, old
	}
}
