package kefujs_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch/jetstream/internal/natscluster"
)

// runCluster starts n NATS servers routed to each other (JetStream on,
// storage in t.TempDir()) in the test process and waits until the
// cluster has a meta leader; they are shut down at the end of the test.
func runCluster(t testing.TB, n int) *natscluster.Cluster {
	t.Helper()
	c, err := natscluster.Start(t.TempDir(), n, 30*time.Second)
	require.NoError(t, err)
	t.Cleanup(c.Shutdown)
	return c
}

// connectCluster returns a JetStream context on a new connection that
// knows every server of c, so that it fails over when one dies.
func connectCluster(t testing.TB, c *natscluster.Cluster) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, js, err := c.Connect()
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc, js
}

// eventually calls f until it returns nil, polling a server-side state
// (a leader election, a lease lapsing), and fails the test if it still
// errs after d.
func eventually(t testing.TB, d time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %v: %v", what, d, err)
		}
		time.Sleep(20 * time.Millisecond) // polling the servers
	}
}
