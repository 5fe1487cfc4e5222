package kefujs_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
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

// shopDriver drives one shop's traffic through whichever host owns it,
// and keeps an oracle: an in-memory engine fed every op the log holds,
// that is every op a host acknowledged and every op whose Apply failed
// but that a reload shows in the log.
type shopDriver struct {
	shop   string
	g      *traffic
	oracle *dispatch.Engine
	acked  int // ops acknowledged (Apply returned, nil or the engine's error)
	failed int // Apply calls that failed in the host or the log
	lost   int // of those, ops a reload showed were not in the log
	errs   map[string]int
}

func newShopDriver(t testing.TB, shop string, seed uint64) *shopDriver {
	e, err := dispatch.New(pol())
	require.NoError(t, err)
	return &shopDriver{shop: shop, g: newTraffic(seed), oracle: e}
}

// opTimeout bounds each call of a shopDriver: an op sent to a server
// that dies gets no answer.
const opTimeout = 2 * time.Second

// errUnresolved: an op's fate could not be learnt before the deadline.
var errUnresolved = errors.New("could not learn whether the op is in the log")

// step applies the next op through host(), which returns the host to
// use now (the shop's owner, as a router would pick it). An op whose
// Apply fails is resolved: the shop's op count, read again (the host
// reloads it from the log), says whether it is in the log; if it is
// not, the same op is tried again, until deadline. Every acknowledged
// op's events must be the oracle's, Seq included.
func (d *shopDriver) step(ctx context.Context, host func() *durable.Host, deadline time.Time) error {
	at, op := d.g.next()
	for {
		want := d.oracle.Ops() + 1
		h := host()
		cctx, cancel := context.WithTimeout(ctx, opTimeout)
		evs, err := h.Apply(cctx, d.shop, at, op)
		cancel()
		if err == nil {
			return d.acknowledge(at, op, evs, nil)
		}
		if d.errs == nil {
			d.errs = make(map[string]int)
		}
		d.errs[err.Error()]++
		var ops uint64
		for {
			h = host()
			cctx, cancel := context.WithTimeout(ctx, opTimeout)
			rerr := h.Read(cctx, d.shop, func(e *dispatch.Engine) { ops = e.Ops() })
			cancel()
			if rerr == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("shop %s, op %d (%v): %w: %v (the op's error: %v)", d.shop, want, op, errUnresolved, rerr, err)
			}
		}
		switch ops {
		case want - 1: // not in the log: try again
			d.failed++
			d.lost++
			if time.Now().After(deadline) {
				return fmt.Errorf("shop %s, op %d (%v): not appended before the deadline: %w", d.shop, want, op, err)
			}
			continue
		case want:
			oevs, oerr := d.oracle.Apply(at, op)
			if oerr != nil && err.Error() == oerr.Error() {
				// The engine's error: acknowledged (the op is logged).
				d.acked++
				if len(evs) != 0 || len(oevs) != 0 {
					return fmt.Errorf("shop %s, op %d (%v) rejected with events: host %v, oracle %v", d.shop, want, op, evs, oevs)
				}
				return nil
			}
			d.failed++ // failed in the host or the log, yet in the log
			return nil
		default:
			return fmt.Errorf("shop %s: op %d (%v) failed (%v) and the shop has %d ops", d.shop, want, op, err, ops)
		}
	}
}

// acknowledge feeds an acknowledged op to the oracle and compares the
// events.
func (d *shopDriver) acknowledge(at time.Time, op dispatch.Op, evs []dispatch.Event, err error) error {
	oevs, oerr := d.oracle.Apply(at, op)
	d.acked++
	if fmt.Sprint(oerr) != fmt.Sprint(err) {
		return fmt.Errorf("shop %s, op %d (%v): host error %v, oracle %v", d.shop, d.oracle.Ops(), op, err, oerr)
	}
	if fmt.Sprint(evs) != fmt.Sprint(oevs) {
		return fmt.Errorf("shop %s, op %d (%v): host events %v, oracle %v", d.shop, d.oracle.Ops(), op, evs, oevs)
	}
	return nil
}

// check compares the shop in h with the oracle: the same snapshot, byte
// for byte, and Verify holds.
func (d *shopDriver) check(t testing.TB, h *durable.Host) {
	t.Helper()
	want, err := d.oracle.Snapshot()
	require.NoError(t, err)
	require.NoError(t, h.Read(ctx, d.shop, func(e *dispatch.Engine) {
		require.NoError(t, e.Verify(), "shop %s", d.shop)
		require.Equal(t, d.oracle.Ops(), e.Ops(), "shop %s: ops", d.shop)
		require.Equal(t, d.oracle.LastSeq(), e.LastSeq(), "shop %s: last event", d.shop)
		got, err := e.Snapshot()
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "shop %s differs from the oracle", d.shop)
	}))
}
