package kefujs_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
	kefujs "github.com/kefu-dev/kefu/dispatch/jetstream"
)

// records reads shop's log.
func records(t *testing.T, st *kefujs.Store, shop string) []durable.Record {
	t.Helper()
	var got []durable.Record
	require.NoError(t, st.Read(ctx, shop, 0, func(r durable.Record) error { got = append(got, r); return nil }))
	return got
}

// A record whose number the log holds is a retry if it is the same op
// (stored once), and ErrDiverged if it is another one: the stream's
// duplicate detection (by message id "<shop>/<n>") acknowledges both
// without storing them, and Append must not take the second for stored.
func TestStore_AppendSameNumberOtherOp(t *testing.T) {
	srv := runServer(t)
	_, js := connect(t, srv)
	st, err := kefujs.Open(ctx, js, kefujs.Config{Partitions: 2, Owner: "a"})
	require.NoError(t, err)
	fence, err := st.Claim(ctx, "shop-1")
	require.NoError(t, err)
	at, op := cycle(0)
	rec := durable.Record{N: 1, At: at, Op: op}
	require.NoError(t, st.Append(ctx, "shop-1", fence, []durable.Record{rec}))
	require.NoError(t, st.Append(ctx, "shop-1", fence, []durable.Record{rec}), "a retry")

	other := rec
	other.Op = dispatch.Op{Kind: dispatch.OpClose, Session: "s9"}
	require.ErrorIs(t, st.Append(ctx, "shop-1", fence, []durable.Record{other}), durable.ErrDiverged)
	later := rec
	later.At = at.Add(1)
	require.ErrorIs(t, st.Append(ctx, "shop-1", fence, []durable.Record{later}), durable.ErrDiverged)

	got := records(t, st, "shop-1")
	require.Len(t, got, 1)
	require.Equal(t, op.String(), got[0].Op.String())
}

// A stale owner's append under a number the new owner has written since
// must fail with ErrNotOwner, not be acknowledged (its op is not in the
// log). A single server checks the fence before the message id; a
// replicated stream's leader checks the message id first, and answers
// "duplicate" to the stale owner.
func TestStore_StaleOwnerAppendOfATakenNumber(t *testing.T) {
	t.Run("server", func(t *testing.T) {
		srv := runServer(t)
		_, jsA := connect(t, srv)
		_, jsB := connect(t, srv)
		staleOwnerAppend(t, jsA, jsB, 1)
	})
	t.Run("cluster", func(t *testing.T) {
		if testing.Short() {
			t.Skip("a cluster: a second or two")
		}
		c := runCluster(t, 3)
		_, jsA := connectCluster(t, c)
		_, jsB := connectCluster(t, c)
		staleOwnerAppend(t, jsA, jsB, 3)
	})
}

func staleOwnerAppend(t *testing.T, jsA, jsB jetstream.JetStream, replicas int) {
	cfg := kefujs.Config{Partitions: 1, Replicas: replicas, Owner: "a"}
	var a *kefujs.Store
	eventually(t, 20*time.Second, "opening the store", func() (err error) {
		a, err = kefujs.Open(ctx, jsA, cfg)
		return err
	})
	fa, err := a.Claim(ctx, "shop-1")
	require.NoError(t, err)
	for n := range 2 {
		at, op := cycle(n)
		require.NoError(t, a.Append(ctx, "shop-1", fa, []durable.Record{{N: uint64(n + 1), At: at, Op: op}}))
	}
	// a pauses; its lease lapses (deleted here) and b takes over.
	// (A fresh cluster on a busy machine may take a while to answer.)
	var leases jetstream.KeyValue
	eventually(t, 20*time.Second, "the lease bucket", func() (err error) {
		leases, err = jsB.KeyValue(ctx, "KEFU_LEASES")
		return err
	})
	require.NoError(t, leases.Delete(ctx, "p0"))
	cfg.Owner = "b"
	var b *kefujs.Store
	eventually(t, 20*time.Second, "opening b's store", func() (err error) {
		b, err = kefujs.Open(ctx, jsB, cfg)
		return err
	})
	fb, err := b.Claim(ctx, "shop-1")
	require.NoError(t, err)
	require.Len(t, records(t, b, "shop-1"), 2)
	at, op := cycle(2)
	require.NoError(t, b.Append(ctx, "shop-1", fb, []durable.Record{{N: 3, At: at, Op: op}}))

	// a wakes up and appends its op 3, another one.
	stale := durable.Record{N: 3, At: at.Add(5), Op: dispatch.Op{Kind: dispatch.OpClose, Session: "s0"}}
	err = a.Append(ctx, "shop-1", fa, []durable.Record{stale})
	require.ErrorIs(t, err, kefujs.ErrNotOwner)
	require.Empty(t, a.Owned())

	got := records(t, b, "shop-1")
	require.Len(t, got, 3)
	require.Equal(t, op.String(), got[2].Op.String(), "b's op 3")
}
