package kefujs_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/kefu-dev/kefu/dispatch/durable"
	kefujs "github.com/kefu-dev/kefu/dispatch/jetstream"
)

// When the server leading the lease bucket dies, renewals fail for a
// moment (no responders until a new leader is elected): a node must not
// take that for losing its leases, which nobody else holds.
func TestCluster_LeaseLeaderDies(t *testing.T) {
	if testing.Short() {
		t.Skip("a cluster and a leader election: a few seconds")
	}
	c := runCluster(t, 3)
	_, js := connectCluster(t, c)
	cfg := kefujs.Config{Partitions: 4, Replicas: 3, LeaseTTL: 3 * time.Second, Owner: "a", Logger: zaptest.NewLogger(t)}
	var n *kefujs.Node
	eventually(t, 20*time.Second, "starting the node", func() (err error) {
		n, err = kefujs.Start(ctx, js, cfg, durable.HostOptions{}, 0)
		return err
	})
	defer n.Close(ctx)
	require.NoError(t, n.Host.Create(ctx, "shop-1", pol()))
	require.Equal(t, []int{0, 1, 2, 3}, n.Store.Owned())

	var leader *server.Server
	eventually(t, 20*time.Second, "the lease bucket's leader", func() (err error) {
		leader, err = c.StreamLeader(ctx, js, "KV_KEFU_LEASES")
		return err
	})
	leader.Shutdown()
	t.Logf("killed %s, the leader of the lease bucket", leader.Name())
	start := time.Now()
	for time.Since(start) < cfg.LeaseTTL/2 {
		lost := n.Store.Renew(ctx)
		require.Empty(t, lost, "renewals failed %v after the leader died", time.Since(start))
	}
	require.Equal(t, []int{0, 1, 2, 3}, n.Store.Owned())
	eventually(t, 10*time.Second, "an op after the election", func() error {
		_, err := n.Host.Apply(ctx, "shop-1", t0, addAgent)
		return err
	})
	require.Empty(t, n.Store.Renew(ctx))
	require.Equal(t, []int{0, 1, 2, 3}, n.Store.Owned())
}

// A lease taken over while its owner was away is lost at the owner's
// next renewal, and one that lapsed with nobody taking it too.
func TestStore_RenewLosesTakenAndLapsedLeases(t *testing.T) {
	srv := runServer(t)
	_, jsA := connect(t, srv)
	_, jsB := connect(t, srv)
	cfg := kefujs.Config{Partitions: 2, Owner: "a"}
	a, err := kefujs.Open(ctx, jsA, cfg)
	require.NoError(t, err)
	_, err = a.Acquire(ctx, 2)
	require.NoError(t, err)
	require.Empty(t, a.Renew(ctx))
	require.Equal(t, []int{0, 1}, a.Owned())

	// a is away: both leases lapse (deleted here), b takes partition 1.
	leases, err := jsB.KeyValue(ctx, "KEFU_LEASES")
	require.NoError(t, err)
	require.NoError(t, leases.Delete(ctx, "p0"))
	require.NoError(t, leases.Delete(ctx, "p1"))
	cfg.Owner = "b"
	b, err := kefujs.Open(ctx, jsB, cfg)
	require.NoError(t, err)
	_, err = b.Claim(ctx, "shop-1") // partition 1
	require.NoError(t, err)
	require.Equal(t, []int{1}, b.Owned())

	require.ElementsMatch(t, []int{0, 1}, a.Renew(ctx))
	require.Empty(t, a.Owned())
}
