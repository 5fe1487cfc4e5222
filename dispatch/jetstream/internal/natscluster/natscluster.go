// Package natscluster runs a NATS cluster with JetStream inside the
// calling process, on the loopback interface: for the tests, benchmarks
// and demo of package kefujs, which need servers that can be killed.
package natscluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is n servers routed to each other, JetStream on, each storing
// in its own directory. Servers are named "n1", "n2", ….
type Cluster struct {
	Servers []*server.Server
}

// Start starts n servers (n = 1: a lone server, not clustered) storing
// under dir, and waits until JetStream answers: a meta leader is
// elected and every server is a member. It fails after timeout.
func Start(dir string, n int, timeout time.Duration) (*Cluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("natscluster: %d servers", n)
	}
	// A clustered JetStream server needs its routes configured at start:
	// the cluster ports are picked first (free now, and very likely still
	// free a moment later), and every server routes to all of them.
	var routes []*url.URL
	var ports []int
	if n > 1 {
		for range n {
			port, err := freePort()
			if err != nil {
				return nil, err
			}
			ports = append(ports, port)
			routes = append(routes, &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", port)})
		}
	}
	c := &Cluster{}
	for i := range n {
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
			NoLog:      true,
			NoSigs:     true,
		}
		if n > 1 {
			o.Cluster = server.ClusterOpts{Name: "kefu", Host: "127.0.0.1", Port: ports[i]}
			o.Routes = routes
		}
		s, err := server.NewServer(o)
		if err != nil {
			c.Shutdown()
			return nil, fmt.Errorf("natscluster: server n%d: %w", i+1, err)
		}
		go s.Start()
		c.Servers = append(c.Servers, s)
	}
	for _, s := range c.Servers {
		if !s.ReadyForConnections(timeout) {
			c.Shutdown()
			return nil, fmt.Errorf("natscluster: server %s did not start", s.Name())
		}
	}
	if err := c.waitReady(timeout); err != nil {
		c.Shutdown()
		return nil, err
	}
	return c, nil
}

// waitReady polls until every server sees a meta leader and n peers.
func (c *Cluster) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := c.ready()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("natscluster: not ready after %v: %w", timeout, err)
		}
		time.Sleep(50 * time.Millisecond) // polling the servers' state
	}
}

func (c *Cluster) ready() error {
	if len(c.Servers) == 1 {
		if !c.Servers[0].JetStreamEnabled() {
			return errors.New("JetStream not enabled")
		}
		return nil
	}
	var leader *server.Server
	for _, s := range c.Servers {
		if !s.JetStreamIsCurrent() {
			return fmt.Errorf("server %s is not current", s.Name())
		}
		if s.JetStreamIsLeader() {
			if leader != nil {
				return errors.New("two meta leaders")
			}
			leader = s
		}
	}
	if leader == nil {
		return errors.New("no meta leader")
	}
	// The leader lists the peers it has current statistics of.
	if p := leader.JetStreamClusterPeers(); len(p) != len(c.Servers) {
		return fmt.Errorf("the meta leader %s sees %d peers", leader.Name(), len(p))
	}
	return nil
}

// URLs returns the client URLs of the servers still running, comma
// separated (nats.Connect's form): a client fails over between them.
func (c *Cluster) URLs() string {
	var us []string
	for _, s := range c.Servers {
		if s.Running() {
			us = append(us, s.ClientURL())
		}
	}
	return strings.Join(us, ",")
}

// Connect returns a connection to every running server (it reconnects
// forever, to whichever is up) and its JetStream context. The
// connection's asynchronous errors (a write to a server that died) are
// dropped, not printed, unless opts set an ErrorHandler.
func (c *Cluster) Connect(opts ...nats.Option) (*nats.Conn, jetstream.JetStream, error) {
	opts = append([]nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(50 * time.Millisecond),
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})}, opts...)
	nc, err := nats.Connect(c.URLs(), opts...)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// Server returns the running server named name, or nil.
func (c *Cluster) Server(name string) *server.Server {
	for _, s := range c.Servers {
		if s.Name() == name && s.Running() {
			return s
		}
	}
	return nil
}

// StreamLeader returns the server that leads stream (its name in the
// stream's info), asked through js.
func (c *Cluster) StreamLeader(ctx context.Context, js jetstream.JetStream, stream string) (*server.Server, error) {
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	if info.Cluster == nil || info.Cluster.Leader == "" {
		return nil, fmt.Errorf("natscluster: stream %s has no leader", stream)
	}
	s := c.Server(info.Cluster.Leader)
	if s == nil {
		return nil, fmt.Errorf("natscluster: stream %s's leader %s is not running", stream, info.Cluster.Leader)
	}
	return s, nil
}

// freePort returns a TCP port of the loopback interface that was free.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Shutdown stops every server still running.
func (c *Cluster) Shutdown() {
	for _, s := range c.Servers {
		s.Shutdown()
	}
}
