package kefujs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/kefu-dev/kefu/dispatch/durable"
)

// Node is one process of a deployment: a Store and a durable.Host on it,
// and the loop that keeps the process's share of the partitions. Every
// LeaseTTL/3 it renews its leases; a partition it lost (its lease was
// taken over while it was paused or cut off) has its shops dropped from
// the host (Host.Forget: the new owner rebuilds them from the stream);
// then it takes free partitions up to its share and recovers their
// shops (Host.Recover: those with ops after their snapshot are loaded,
// the others' timers learnt). A dead node's partitions are free a
// LeaseTTL after its last renewal: a request for one of its shops takes
// the partition at once, and a partition that stays free for three
// ticks (another LeaseTTL) is taken by a node beyond its share, so that
// the timers of shops nobody asks for still fire.
type Node struct {
	Store *Store
	Host  *durable.Host
	share int

	stop   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	err    error // the last error of the loop
	closed bool

	tick      sync.Mutex
	recovered []int       // the partitions owned at the last Recover
	orphans   map[int]int // partition → ticks in a row it was seen with no owner
}

// Start opens a Store on js, starts a Host on it (hostOpts' Log and
// Snapshots are set to the Store), takes up to share partitions (share
// <= 0: all of them; with n nodes, Partitions/n rounded up spreads them)
// and starts the ownership loop. Close it to hand its partitions over.
func Start(ctx context.Context, js jetstream.JetStream, cfg Config, hostOpts durable.HostOptions, share int) (*Node, error) {
	st, err := Open(ctx, js, cfg)
	if err != nil {
		return nil, err
	}
	if share <= 0 || share > st.cfg.Partitions {
		share = st.cfg.Partitions
	}
	hostOpts.Log, hostOpts.Snapshots = st, st
	if hostOpts.Logger == nil {
		hostOpts.Logger = st.log
	}
	h, err := durable.NewHost(ctx, hostOpts)
	if err != nil {
		return nil, errors.Join(err, st.Close(ctx))
	}
	n := &Node{Store: st, Host: h, share: share, stop: make(chan struct{}), done: make(chan struct{})}
	if err := n.Tick(ctx); err != nil {
		return nil, errors.Join(err, h.Close(ctx), st.Close(ctx))
	}
	go n.loop()
	return n, nil
}

func (n *Node) loop() {
	defer close(n.done)
	t := time.NewTicker(n.Store.cfg.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), n.Store.cfg.LeaseTTL)
		err := n.Tick(ctx)
		cancel()
		n.mu.Lock()
		n.err = err
		n.mu.Unlock()
		if err != nil {
			n.Store.log.Warn("kefujs: ownership", zap.Error(err))
		}
	}
}

// Tick is one round of the ownership loop (Start runs it every
// LeaseTTL/3; tests call it to move ownership at chosen moments): renew,
// drop the shops of lost partitions, take free partitions up to the
// share, recover the shops of every partition owned since the last
// round: those it took, and those the Store took on demand meanwhile
// (a request for a shop of a free partition, beyond the share), whose
// other shops' timers the host does not know yet.
func (n *Node) Tick(ctx context.Context) error {
	n.tick.Lock()
	defer n.tick.Unlock()
	if lost := n.Store.Renew(ctx); len(lost) > 0 {
		dropped := n.Host.Forget(func(shop string) bool { return slices.Contains(lost, n.Store.Partition(shop)) })
		n.Store.log.Warn("kefujs: lost partitions", zap.Ints("partitions", lost), zap.Int("shops dropped", dropped))
		n.Store.forgetLost()
		// Taken again later, by this round or another, a lost partition
		// is a fresh one: its shops' timers must be learnt again.
		n.recovered = slices.DeleteFunc(n.recovered, func(p int) bool { return slices.Contains(lost, p) })
	}
	_, err := n.Store.Acquire(ctx, n.share)
	err = errors.Join(err, n.adoptOrphans(ctx))
	owned := n.Store.Owned()
	var fresh []int
	for _, p := range owned {
		if !slices.Contains(n.recovered, p) {
			fresh = append(fresh, p)
		}
	}
	if len(fresh) > 0 {
		if rerr := n.Host.Recover(ctx); rerr != nil {
			return errors.Join(err, fmt.Errorf("kefujs: recovering partitions %v: %w", fresh, rerr))
		}
	}
	n.recovered = owned
	return err
}

// orphanTicks is how many ticks in a row a partition must be seen with
// no owner before a node takes it beyond its share: a full LeaseTTL, so
// that nodes starting together first take their shares.
const orphanTicks = 3

// adoptOrphans takes the partitions no process has owned for
// orphanTicks ticks, whatever the share: the partitions of a dead node
// that no request has asked for, whose shops' timers must still fire.
func (n *Node) adoptOrphans(ctx context.Context) error {
	free, err := n.Store.Free(ctx)
	if err != nil {
		return err
	}
	if n.orphans == nil {
		n.orphans = make(map[int]int)
	}
	for p := range n.orphans {
		if !slices.Contains(free, p) {
			delete(n.orphans, p)
		}
	}
	var errs []error
	for _, p := range free {
		n.orphans[p]++
		if n.orphans[p] < orphanTicks {
			continue
		}
		delete(n.orphans, p)
		if _, err := n.Store.take(ctx, p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Err returns the last error of the background loop, if any.
func (n *Node) Err() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.err
}

// Close stops the loop, closes the host (a snapshot of every shop with
// ops since its last one) and releases the partitions, so other nodes
// take them at once instead of after a lease. A second Close returns
// durable.ErrClosed.
func (n *Node) Close(ctx context.Context) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return durable.ErrClosed
	}
	n.closed = true
	n.mu.Unlock()
	close(n.stop)
	<-n.done
	err := n.Host.Close(ctx)
	return errors.Join(err, n.Store.Close(ctx))
}
