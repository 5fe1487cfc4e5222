package kefujs_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch/durable"
	kefujs "github.com/kefu-dev/kefu/dispatch/jetstream"
)

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
