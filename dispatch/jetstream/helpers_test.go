package kefujs_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/policy"
)

var (
	ctx = context.Background()
	t0  = time.Date(2026, 11, 11, 9, 0, 0, 0, policy.ChinaStandardTime())
)

// runServer starts a NATS server with JetStream in the test process,
// its storage in a temporary directory.
func runServer(t testing.TB) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(10*time.Second), "nats-server did not start")
	t.Cleanup(s.Shutdown)
	return s
}

// connect returns a JetStream context on a new connection to s.
func connect(t testing.TB, s *server.Server) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL(), nats.MaxReconnects(-1))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return nc, js
}

func pol() policy.Policy { return policy.Kuaishou() }

// scene returns a few ops of a shop: an agent, buyers, a reply.
func scene() []dispatch.Op {
	return []dispatch.Op{
		{Kind: dispatch.OpAddAgent, Agent: "wang", AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(1)}},
		{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "s1", Buyer: "b1"}},
		{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "s2", Buyer: "b2"}},
		{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: "s1", From: dispatch.FromAgent, Agent: "wang"}},
	}
}
