package kefujs_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/kefu-dev/kefu/dispatch/durable"
	kefujs "github.com/kefu-dev/kefu/dispatch/jetstream"
)

// On a three-server cluster with the stream and the leases replicated
// three times, the server leading the stream dies in the middle of the
// traffic of two nodes: no acknowledged op is lost (every shop, rebuilt
// by a fresh host from the log, is its oracle, byte for byte), the
// hosts go on once a new leader is elected, events number on (each
// acknowledged op's events are the oracle's, Seq included), and Verify
// holds.
func TestCluster_StreamLeaderDies(t *testing.T) {
	if testing.Short() {
		t.Skip("a cluster and a leader election: a few seconds")
	}
	began := time.Now()
	c := runCluster(t, 3)
	t.Logf("cluster up in %v", time.Since(began).Round(time.Millisecond))
	cfg := kefujs.Config{Partitions: 8, Replicas: 3, LeaseTTL: 2 * time.Second}
	var nodes []*kefujs.Node
	for _, owner := range []string{"a", "b"} {
		_, js := connectCluster(t, c)
		cfg.Owner = owner
		cfg.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Named(owner)
		var n *kefujs.Node
		eventually(t, 20*time.Second, "starting node "+owner, func() (err error) {
			n, err = kefujs.Start(ctx, js, cfg, durable.HostOptions{}, cfg.Partitions/2)
			return err
		})
		nodes = append(nodes, n)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			for _, n := range nodes {
				n.Close(ctx)
			}
		}
	})
	// host returns the node that owns shop's partition: a router.
	host := func(shop string) *durable.Host {
		p := nodes[0].Store.Partition(shop)
		for _, n := range nodes {
			if slices.Contains(n.Store.Owned(), p) {
				return n.Host
			}
		}
		return nodes[p%2].Host // none owns it now: one claims it
	}

	// Every shop runs its traffic until the leader is dead and it has
	// had after ops acknowledged since; the leader dies once the shops
	// have had before ops acknowledged in all, while they all run.
	const shops, before, after = 16, 200, 20
	drivers := make([]*shopDriver, shops)
	for i := range drivers {
		d := newShopDriver(t, fmt.Sprintf("shop-%02d", i), uint64(i))
		drivers[i] = d
		eventually(t, 10*time.Second, "creating "+d.shop, func() error { return host(d.shop).Create(ctx, d.shop, pol()) })
	}
	var (
		acked    atomic.Int64
		kill     = make(chan struct{})
		dead     = make(chan struct{})
		wg       sync.WaitGroup
		errs     = make([]error, shops)
		afterAll = make([]int, shops)
	)
	deadline := time.Now().Add(40 * time.Second)
	for i, d := range drivers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			route := func() *durable.Host { return host(d.shop) }
			isDead := false
			for {
				if !isDead {
					select {
					case <-dead:
						isDead = true
					default:
					}
				}
				if isDead && afterAll[i] >= after {
					return
				}
				if err := d.step(context.Background(), route, deadline); err != nil {
					errs[i] = err
					return
				}
				if isDead {
					afterAll[i]++
				}
				if acked.Add(1) == before {
					close(kill)
				}
			}
		}()
	}

	select {
	case <-kill:
	case <-waitChan(&wg):
		for _, err := range errs {
			require.NoError(t, err)
		}
		t.Fatal("the traffic ended before the kill")
	}
	t.Logf("%v: killing the leader", time.Since(began).Round(time.Millisecond))
	_, js := connectCluster(t, c)
	var leader *server.Server
	eventually(t, 20*time.Second, "the stream's leader", func() (err error) {
		leader, err = c.StreamLeader(ctx, js, "KEFU_OPS")
		return err
	})
	start := time.Now()
	leader.Shutdown()
	t.Logf("killed %s, the leader of KEFU_OPS, after %d ops acknowledged, in %v", leader.Name(), acked.Load(), time.Since(start).Round(time.Millisecond))
	close(dead)
	wg.Wait()
	t.Logf("%d more shops' traffic after the kill took %v", shops*after, time.Since(start).Round(time.Millisecond))
	for _, err := range errs {
		require.NoError(t, err)
	}
	total, failed, lost := 0, 0, 0
	for _, d := range drivers {
		total += d.acked
		failed += d.failed
		lost += d.lost
		d.check(t, host(d.shop))
	}
	t.Logf("%d ops acknowledged, %d Apply calls failed in the log (%d of their ops were not in the log, tried again)", total, failed, lost)
	eventually(t, 20*time.Second, "the stream's new leader", func() error {
		leader2, err := c.StreamLeader(ctx, js, "KEFU_OPS")
		if err == nil && leader2.Name() == leader.Name() {
			t.Fatalf("%s still leads the stream", leader.Name())
		}
		return err
	})

	// A fresh host on the surviving servers rebuilds every shop from the
	// log: each is its oracle.
	closed = true
	for _, n := range nodes {
		require.NoError(t, n.Close(ctx))
	}
	cfg.Owner, cfg.Logger = "checker", nil
	t.Logf("%v: checking", time.Since(began).Round(time.Millisecond))
	var fresh *kefujs.Node
	eventually(t, 20*time.Second, "starting a fresh node", func() (err error) {
		fresh, err = kefujs.Start(ctx, js, cfg, durable.HostOptions{}, 0)
		return err
	})
	defer fresh.Close(ctx)
	for _, d := range drivers {
		d.check(t, fresh.Host)
	}
	t.Logf("%v: checked", time.Since(began).Round(time.Millisecond))
}

// waitChan returns a channel closed when wg is done.
func waitChan(wg *sync.WaitGroup) <-chan struct{} {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	return ch
}

// On a replicated stream the leader checks one expected last sequence
// per subject at a time, and refuses a message that checks the same
// subject meanwhile with JSErrCodeStreamWrongLastSequenceConstant
// (nothing stored). Every append of a partition checks its fence
// subject: concurrent appends to shops of one partition must not take
// that for a fence (ErrNotOwner, the partition marked lost).
func TestCluster_ConcurrentAppendsInOnePartition(t *testing.T) {
	if testing.Short() {
		t.Skip("a cluster: ~5 s")
	}
	c := runCluster(t, 3)
	_, js := connectCluster(t, c)
	var st *kefujs.Store
	eventually(t, 20*time.Second, "opening the store", func() (err error) {
		st, err = kefujs.Open(ctx, js, kefujs.Config{Partitions: 1, Replicas: 3, LeaseTTL: 10 * time.Second, Owner: "a"})
		return err
	})
	took, err := st.Acquire(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, []int{0}, took)

	const shops, ops = 8, 20
	var wg sync.WaitGroup
	errs := make([]error, shops)
	for i := range shops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			shop := fmt.Sprintf("shop-%d", i)
			fence, err := st.Claim(ctx, shop)
			if err != nil {
				errs[i] = err
				return
			}
			for n := range ops {
				at, op := cycle(n)
				if err := st.Append(ctx, shop, fence, []durable.Record{{N: uint64(n + 1), At: at, Op: op}}); err != nil {
					errs[i] = fmt.Errorf("%s, op %d: %w", shop, n+1, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, []int{0}, st.Owned())
	for i := range shops {
		var got []uint64
		require.NoError(t, st.Read(ctx, fmt.Sprintf("shop-%d", i), 0, func(r durable.Record) error {
			got = append(got, r.N)
			return nil
		}))
		require.Len(t, got, ops)
	}
}
