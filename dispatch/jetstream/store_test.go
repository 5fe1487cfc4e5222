package kefujs_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
	kefujs "github.com/kefu-dev/kefu/dispatch/jetstream"
)

// An append of a record whose number the shop's log holds is a retry if
// it has the same op and time (skipped: stored once), and ErrDiverged
// otherwise (durable.Log.Append): the stream's duplicate detection, by
// message id, answered the second op's publish with the first one's
// acknowledgement, and Append returned nil for an op the log does not
// hold. A host whose append timed out reloads the shop; if its read
// misses the op still on its way, its next op has the same number.
func TestStore_AppendSameNumber(t *testing.T) {
	srv := runServer(t)
	_, js := connect(t, srv)
	st, err := kefujs.Open(ctx, js, kefujs.Config{Partitions: 1, LeaseTTL: time.Hour, Owner: "a"})
	require.NoError(t, err)
	fence, err := st.Claim(ctx, "x")
	require.NoError(t, err)
	ops := scene()
	first := durable.Record{N: 1, At: t0, Op: ops[0]}
	require.NoError(t, st.Append(ctx, "x", fence, []durable.Record{first}))
	require.NoError(t, st.Append(ctx, "x", fence, []durable.Record{first}), "a retry")
	other := durable.Record{N: 1, At: t0, Op: ops[1]}
	require.ErrorIs(t, st.Append(ctx, "x", fence, []durable.Record{other}), durable.ErrDiverged)
	later := durable.Record{N: 1, At: t0.Add(time.Second), Op: ops[0]}
	require.ErrorIs(t, st.Append(ctx, "x", fence, []durable.Record{later}), durable.ErrDiverged, "another time")
	second := durable.Record{N: 2, At: t0, Op: ops[1]}
	require.NoError(t, st.Append(ctx, "x", fence, []durable.Record{first, second}), "a retry, then a new op")

	var got []durable.Record
	require.NoError(t, st.Read(ctx, "x", 0, func(r durable.Record) error { got = append(got, r); return nil }))
	require.Len(t, got, 2)
	for i, want := range []durable.Record{first, second} {
		require.Equal(t, want.N, got[i].N)
		require.True(t, want.At.Equal(got[i].At))
		require.Equal(t, dispatch.OpKind(want.Op.Kind), got[i].Op.Kind)
	}
}

// An append whose acknowledgement never comes (the server's answers are
// lost, then the connection is closed: nats.go fails the pending
// acknowledgements when it starts to reconnect, not when it closes)
// returns an error after the JetStream's DefaultTimeout if its context
// has none: it waited forever, holding the shop's mutex in a Host (a
// Host's timers and maintenance run with a context without deadline).
func TestStore_AppendWithoutAcknowledgement(t *testing.T) {
	srv := runServer(t)
	px := newProxy(t, srv.Addr().String())
	nc, err := nats.Connect(px.url())
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(time.Second))
	require.NoError(t, err)
	st, err := kefujs.Open(ctx, js, kefujs.Config{Partitions: 1, LeaseTTL: time.Hour, Owner: "a"})
	require.NoError(t, err)
	fence, err := st.Claim(ctx, "x")
	require.NoError(t, err)
	// A subscriber of its own sees the op reach the server.
	_, jsW := connect(t, srv)
	watch, err := jsW.Conn().SubscribeSync("KEFU.ops.>")
	require.NoError(t, err)
	require.NoError(t, jsW.Conn().Flush())

	px.Mute()
	done := make(chan error, 1)
	go func() { done <- st.Append(ctx, "x", fence, []durable.Record{{N: 1, At: t0, Op: scene()[0]}}) }()
	_, err = watch.NextMsg(10 * time.Second)
	require.NoError(t, err, "the op reached the server")
	nc.Close()
	select {
	case err := <-done:
		require.Error(t, err, "in doubt: the op is in the stream, unacknowledged")
	case <-time.After(30 * time.Second):
		t.Fatal("Append still waits for its acknowledgement")
	}
}
