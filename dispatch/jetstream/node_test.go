package kefujs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
	kefujs "github.com/kefu-dev/kefu/dispatch/jetstream"
)

// A node hands its partitions over at Close; the next node has every
// acknowledged op and numbers events on.
func TestNode_Handover(t *testing.T) {
	srv := runServer(t)
	_, js := connect(t, srv)
	cfg := kefujs.Config{Partitions: 4, LeaseTTL: time.Second, Owner: "a"}
	a, err := kefujs.Start(ctx, js, cfg, durable.HostOptions{}, 0)
	require.NoError(t, err)
	require.Equal(t, []int{0, 1, 2, 3}, a.Store.Owned())
	require.NoError(t, a.Host.Create(ctx, "shop-1", pol()))
	var last []dispatch.Event
	for i, op := range scene() {
		last, err = a.Host.Apply(ctx, "shop-1", t0.Add(time.Duration(i)*time.Second), op)
		require.NoError(t, err)
	}
	require.NoError(t, a.Close(ctx))

	cfg.Owner = "b"
	b, err := kefujs.Start(ctx, js, cfg, durable.HostOptions{}, 0)
	require.NoError(t, err)
	defer b.Close(ctx)
	require.Equal(t, []int{0, 1, 2, 3}, b.Store.Owned())
	evs, err := b.Host.Apply(ctx, "shop-1", t0.Add(time.Minute), dispatch.Op{Kind: dispatch.OpClose, Session: "s1"})
	require.NoError(t, err)
	require.Equal(t, last[len(last)-1].Seq+1, evs[0].Seq)
	require.Equal(t, dispatch.EventClosed, evs[0].Kind)
	require.Equal(t, dispatch.EventAssigned, evs[1].Kind, "s2 comes in")
	require.NoError(t, b.Host.Read(ctx, "shop-1", func(e *dispatch.Engine) { require.NoError(t, e.Verify()) }))
}

// A node cut off (its lease lapses) is fenced: the new owner takes the
// partition, and every later append of the old one fails with
// ErrNotOwner, never acknowledged.
func TestNode_FailoverFencesTheOldOwner(t *testing.T) {
	srv := runServer(t)
	_, jsA := connect(t, srv)
	_, jsB := connect(t, srv)
	cfg := kefujs.Config{Partitions: 2, LeaseTTL: 300 * time.Millisecond}
	cfg.Owner = "a"
	a, err := kefujs.Open(ctx, jsA, cfg)
	require.NoError(t, err)
	ha, err := durable.NewHost(ctx, durable.HostOptions{Log: a, Snapshots: a})
	require.NoError(t, err)
	require.NoError(t, ha.Create(ctx, "shop-1", pol()))
	for i, op := range scene() {
		_, err := ha.Apply(ctx, "shop-1", t0.Add(time.Duration(i)*time.Second), op)
		require.NoError(t, err)
	}
	// a pauses: no renewal, and its leases lapse (deleted here, as the
	// server's TTL would after LeaseTTL). b takes over.
	leases, err := jsB.KeyValue(ctx, "KEFU_LEASES")
	require.NoError(t, err)
	for _, k := range []string{"p0", "p1"} {
		require.NoError(t, leases.Delete(ctx, k))
	}
	cfg.Owner = "b"
	b, err := kefujs.Open(ctx, jsB, cfg)
	require.NoError(t, err)
	_, err = b.Acquire(ctx, 2)
	require.NoError(t, err)
	require.Len(t, b.Owned(), 2)
	hb, err := durable.NewHost(ctx, durable.HostOptions{Log: b, Snapshots: b})
	require.NoError(t, err)
	_, err = hb.Apply(ctx, "shop-1", t0.Add(time.Minute), dispatch.Op{Kind: dispatch.OpClose, Session: "s1"})
	require.NoError(t, err)

	// a wakes up and writes: fenced.
	_, err = ha.Apply(ctx, "shop-1", t0.Add(2*time.Minute), dispatch.Op{Kind: dispatch.OpLeave, Session: "s2"})
	require.ErrorIs(t, err, kefujs.ErrNotOwner)
	require.ErrorIs(t, err, durable.ErrFenced)
	require.ErrorIs(t, err, dispatch.ErrConflict)
	require.Equal(t, []int{0, 1}, b.Owned())

	var ops uint64
	require.NoError(t, hb.Read(ctx, "shop-1", func(e *dispatch.Engine) { ops = e.Ops(); require.NoError(t, e.Verify()) }))
	require.Equal(t, uint64(len(scene())+1), ops, "the stale owner's op is not in the log")
}

// Closing a node twice is an error, not a panic.
func TestNode_CloseTwice(t *testing.T) {
	srv := runServer(t)
	_, js := connect(t, srv)
	n, err := kefujs.Start(ctx, js, kefujs.Config{Partitions: 2, LeaseTTL: time.Second}, durable.HostOptions{}, 0)
	require.NoError(t, err)
	require.NoError(t, n.Close(ctx))
	require.ErrorIs(t, n.Close(ctx), durable.ErrClosed)
}

// A node that learns of the loss of a partition from a fenced append,
// not from its renewal, drops the partition's other shops at its next
// Tick (they were loaded with the old fence, and would answer reads from
// a stale state), and takes the partition again once it is free: no
// shop left with the old fence makes it lose the new lease. (Renew
// skipped the leases a fenced append had marked lost and did not report
// them, so Tick never dropped their shops, and an append of such a shop
// after the partition was taken again marked the new lease lost.)
func TestNode_LossFoundByAnAppend(t *testing.T) {
	srv := runServer(t)
	_, jsA := connect(t, srv)
	_, jsB := connect(t, srv)
	cfg := kefujs.Config{Partitions: 1, LeaseTTL: time.Hour, Owner: "a"}
	a, err := kefujs.Start(ctx, jsA, cfg, durable.HostOptions{}, 0)
	require.NoError(t, err)
	defer a.Close(ctx)
	for _, shop := range []string{"x", "y"} {
		require.NoError(t, a.Host.Create(ctx, shop, pol()))
		for i, op := range scene() {
			_, err := a.Host.Apply(ctx, shop, t0.Add(time.Duration(i)*time.Second), op)
			require.NoError(t, err)
		}
	}
	// a pauses; its lease lapses; b takes the partition and writes y.
	kv, err := jsB.KeyValue(ctx, "KEFU_LEASES")
	require.NoError(t, err)
	require.NoError(t, kv.Delete(ctx, "p0"))
	cfg.Owner = "b"
	b, err := kefujs.Start(ctx, jsB, cfg, durable.HostOptions{}, 0)
	require.NoError(t, err)
	_, err = b.Host.Apply(ctx, "y", t0.Add(time.Minute), dispatch.Op{Kind: dispatch.OpClose, Session: "s1"})
	require.NoError(t, err)

	// a wakes up and writes x: fenced. Its next round drops y too.
	_, err = a.Host.Apply(ctx, "x", t0.Add(time.Minute), dispatch.Op{Kind: dispatch.OpClose, Session: "s1"})
	require.ErrorIs(t, err, kefujs.ErrNotOwner)
	require.NoError(t, a.Tick(ctx))
	require.Empty(t, a.Store.Owned())
	require.Zero(t, a.Host.Stats().Loaded, "y, loaded with the old fence, is dropped")
	require.Zero(t, a.Store.Noted(), "and what a noted of its ops: the new owner trims them")
	err = a.Host.Read(ctx, "y", func(*dispatch.Engine) {})
	require.ErrorIs(t, err, kefujs.ErrNotOwner, "no read from a stale state")

	// b hands the partition over; a takes it again and serves both shops.
	require.NoError(t, b.Close(ctx))
	require.NoError(t, a.Tick(ctx))
	require.Equal(t, []int{0}, a.Store.Owned())
	for _, shop := range []string{"x", "y"} {
		_, err := a.Host.Apply(ctx, shop, t0.Add(2*time.Minute), dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "s3", Buyer: "b3"}})
		require.NoError(t, err, shop)
	}
	require.Equal(t, []int{0}, a.Store.Owned())
	var ops uint64
	require.NoError(t, a.Host.Read(ctx, "y", func(e *dispatch.Engine) { ops = e.Ops(); require.NoError(t, e.Verify()) }))
	require.Equal(t, uint64(len(scene())+2), ops, "b's op and a's")
}

// shopIn returns the i-th shop id of partition p.
func shopIn(st *kefujs.Store, p, i int) string {
	for k := 0; ; k++ {
		if id := fmt.Sprintf("shop-%d", k); st.Partition(id) == p {
			if i == 0 {
				return id
			}
			i--
		}
	}
}

// A partition a node takes on demand (a request for one of its shops
// while it is free: Claim takes it) has its other shops' timers learnt
// at the node's next Tick, as a partition its Tick takes does. Tick ran
// Recover only for the partitions it took itself: the timers of the
// other shops of a partition taken on demand never fired on the node.
func TestNode_TimersOfAPartitionTakenOnDemand(t *testing.T) {
	srv := runServer(t)
	_, js := connect(t, srv)
	cfg := kefujs.Config{Partitions: 2, LeaseTTL: time.Hour, Owner: "a"}
	a, err := kefujs.Start(ctx, js, cfg, durable.HostOptions{}, 0)
	require.NoError(t, err)
	quiet, timed := shopIn(a.Store, 0, 0), shopIn(a.Store, 0, 1)
	for _, shop := range []string{quiet, timed} {
		require.NoError(t, a.Host.Create(ctx, shop, pol()))
	}
	for i, op := range scene() {
		_, err := a.Host.Apply(ctx, timed, t0.Add(time.Duration(i)*time.Second), op)
		require.NoError(t, err)
	}
	var deadline time.Time
	require.NoError(t, a.Host.Read(ctx, timed, func(e *dispatch.Engine) { deadline, _ = e.NextDeadline() }))
	require.False(t, deadline.IsZero(), "the agent's reply armed the auto-close")
	require.NoError(t, a.Close(ctx)) // snapshots, with the deadline; releases

	// Partition 0 is held by another process while b starts: b takes 1.
	kv, err := js.KeyValue(ctx, "KEFU_LEASES")
	require.NoError(t, err)
	_, err = kv.Create(ctx, "p0", []byte("c"))
	require.NoError(t, err)
	cfg.Owner = "b"
	b, err := kefujs.Start(ctx, js, cfg, durable.HostOptions{}, 1)
	require.NoError(t, err)
	defer b.Close(ctx)
	require.Equal(t, []int{1}, b.Store.Owned())
	// c dies; a request for the quiet shop reaches b, which takes 0.
	require.NoError(t, kv.Delete(ctx, "p0"))
	_, err = b.Host.Apply(ctx, quiet, t0.Add(time.Minute), dispatch.Op{Kind: dispatch.OpAdvance})
	require.NoError(t, err)
	require.Equal(t, []int{0, 1}, b.Store.Owned())
	require.NoError(t, b.Tick(ctx))

	n, err := b.Host.AdvanceDue(ctx, deadline, nil)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the timed shop's auto-close fired")
	require.NoError(t, b.Host.Read(ctx, timed, func(e *dispatch.Engine) {
		_, ok := e.Session("s1")
		require.False(t, ok, "s1 closed")
	}))
}

// A dead node's partitions that no request asks for are taken anyway,
// beyond the survivors' shares, once they have had no owner for a full
// lease (three ticks): their shops' timers fire on the new owner.
func TestNode_AdoptsOrphanedPartitions(t *testing.T) {
	srv := runServer(t)
	_, jsA := connect(t, srv)
	_, jsB := connect(t, srv)
	cfg := kefujs.Config{Partitions: 2, LeaseTTL: time.Hour, Owner: "a"}
	sa, err := kefujs.Open(ctx, jsA, cfg)
	require.NoError(t, err)
	ha, err := durable.NewHost(ctx, durable.HostOptions{Log: sa, Snapshots: sa})
	require.NoError(t, err)
	a := kefujs.NewTestNode(sa, ha, 2)
	require.NoError(t, a.Tick(ctx))
	require.Equal(t, []int{0, 1}, sa.Owned())
	shops := []string{shopIn(sa, 0, 0), shopIn(sa, 1, 0)}
	for _, shop := range shops {
		require.NoError(t, ha.Create(ctx, shop, pol()))
		for _, op := range scene() { // s1's buyer goes silent after wang's reply: closed at 09:20 (L2)
			_, err := ha.Apply(ctx, shop, t0, op)
			require.NoError(t, err)
		}
	}

	// a dies: no more ticks, its leases lapse.
	leases, err := jsB.KeyValue(ctx, "KEFU_LEASES")
	require.NoError(t, err)
	require.NoError(t, leases.Delete(ctx, "p0"))
	require.NoError(t, leases.Delete(ctx, "p1"))

	cfg.Owner = "b"
	sb, err := kefujs.Open(ctx, jsB, cfg)
	require.NoError(t, err)
	hb, err := durable.NewHost(ctx, durable.HostOptions{Log: sb, Snapshots: sb})
	require.NoError(t, err)
	b := kefujs.NewTestNode(sb, hb, 1)
	defer b.Close(ctx)
	require.NoError(t, b.Tick(ctx))
	require.Len(t, sb.Owned(), 1, "its share")
	require.NoError(t, b.Tick(ctx))
	require.Len(t, sb.Owned(), 1, "the other has been free two ticks: not yet")
	require.NoError(t, b.Tick(ctx))
	require.Equal(t, []int{0, 1}, sb.Owned(), "free for three ticks: an orphan, taken")

	closed := map[string]bool{}
	n, err := hb.AdvanceDue(ctx, t0.Add(20*time.Minute), func(shop string, evs []dispatch.Event) {
		for _, ev := range evs {
			if ev.Kind == dispatch.EventClosed && ev.Session == "s1" {
				closed[shop] = true
			}
		}
	})
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, map[string]bool{shops[0]: true, shops[1]: true}, closed, "both shops' timers fired")
}

// A partition lost (found by a fenced append) and taken back by the
// same node in one Tick has its shops' timers learnt again: the node had
// recovered it before, and Tick took "recovered before" for "known now"
// (TestRandomOwnership, seed 1796619161882484508: a timer never fired).
func TestNode_TimersOfAPartitionTakenBack(t *testing.T) {
	srv := runServer(t)
	_, jsA := connect(t, srv)
	_, jsB := connect(t, srv)
	cfg := kefujs.Config{Partitions: 1, LeaseTTL: time.Hour, Owner: "a"}
	a, err := kefujs.Start(ctx, jsA, cfg, durable.HostOptions{}, 1)
	require.NoError(t, err)
	defer a.Close(ctx)
	for _, shop := range []string{"x", "timed"} {
		require.NoError(t, a.Host.Create(ctx, shop, pol()))
	}
	require.NoError(t, a.Tick(ctx))
	// a pauses; its lease lapses; b takes the partition and arms a timer.
	kv, err := jsB.KeyValue(ctx, "KEFU_LEASES")
	require.NoError(t, err)
	require.NoError(t, kv.Delete(ctx, "p0"))
	cfg.Owner = "b"
	b, err := kefujs.Start(ctx, jsB, cfg, durable.HostOptions{}, 1)
	require.NoError(t, err)
	for i, op := range scene() {
		_, err := b.Host.Apply(ctx, "timed", t0.Add(time.Duration(i)*time.Second), op)
		require.NoError(t, err)
	}
	var deadline time.Time
	require.NoError(t, b.Host.Read(ctx, "timed", func(e *dispatch.Engine) { deadline, _ = e.NextDeadline() }))
	require.False(t, deadline.IsZero(), "the agent's reply armed the auto-close")

	// a wakes up, is fenced, and b hands the partition back.
	_, err = a.Host.Apply(ctx, "x", t0.Add(time.Minute), dispatch.Op{Kind: dispatch.OpAdvance})
	require.ErrorIs(t, err, kefujs.ErrNotOwner)
	require.NoError(t, b.Close(ctx))
	require.NoError(t, a.Tick(ctx)) // drops the partition and takes it again
	require.Equal(t, []int{0}, a.Store.Owned())

	n, err := a.Host.AdvanceDue(ctx, deadline, nil)
	require.NoError(t, err)
	require.Equal(t, 1, n, "b's auto-close timer fires on a")
}
