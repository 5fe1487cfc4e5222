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

// A node that takes a partition on demand (a request for one of its
// shops, beyond the node's share) learns at its next tick the timers of
// the partition's other shops, as it does for the partitions its loop
// takes: an idle session of a dead node's shop is auto-closed on time.
func TestNode_ClaimOnDemandLearnsThePartitionsTimers(t *testing.T) {
	srv := runServer(t)
	_, jsOld := connect(t, srv)
	_, js := connect(t, srv)
	cfg := kefujs.Config{Partitions: 2, LeaseTTL: time.Minute, Owner: "old"}
	old, err := kefujs.Open(ctx, jsOld, cfg)
	require.NoError(t, err)
	_, err = old.Acquire(ctx, 2)
	require.NoError(t, err)
	oldHost, err := durable.NewHost(ctx, durable.HostOptions{Log: old, Snapshots: old})
	require.NoError(t, err)

	// Two shops of partition p: one with a session in an agent's list
	// (its auto-close pending), one idle.
	p := old.Partition("shop-0")
	var other string
	for i := 1; other == ""; i++ {
		if id := fmt.Sprint("shop-", i); old.Partition(id) == p {
			other = id
		}
	}
	require.NoError(t, oldHost.Create(ctx, "shop-0", pol()))
	require.NoError(t, oldHost.Create(ctx, other, pol()))
	for i, op := range scene() {
		_, err := oldHost.Apply(ctx, "shop-0", t0.Add(time.Duration(i)*time.Second), op)
		require.NoError(t, err)
	}
	var due time.Time
	require.NoError(t, oldHost.Read(ctx, "shop-0", func(e *dispatch.Engine) {
		var ok bool
		due, ok = e.NextDeadline()
		require.True(t, ok)
	}))

	// old dies; its leases lapse (deleted here): first the other
	// partition's, which a new node takes as its share of one, then p's.
	leases, err := js.KeyValue(ctx, "KEFU_LEASES")
	require.NoError(t, err)
	require.NoError(t, leases.Delete(ctx, fmt.Sprint("p", 1-p)))
	cfg.Owner = "new"
	n, err := kefujs.Start(ctx, js, cfg, durable.HostOptions{}, 1)
	require.NoError(t, err)
	defer n.Close(ctx)
	require.Equal(t, []int{1 - p}, n.Store.Owned())
	require.NoError(t, leases.Delete(ctx, fmt.Sprint("p", p)))

	// A request for the idle shop: n takes p on demand.
	_, err = n.Host.Apply(ctx, other, t0.Add(time.Minute), addAgent)
	require.NoError(t, err)
	require.ElementsMatch(t, []int{0, 1}, n.Store.Owned())
	require.NoError(t, n.Tick(ctx))
	next, ok := n.Host.NextDeadline()
	require.True(t, ok, "the new owner knows no timer of partition %d", p)
	require.False(t, next.After(due), "next deadline %v, shop-0's is %v", next, due)
	advanced, err := n.Host.AdvanceDue(ctx, due, nil)
	require.NoError(t, err)
	require.Equal(t, 1, advanced, "shop-0's auto-close")
}
