package durable_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
	"github.com/kefu-dev/kefu/policy"
)

// A host restarted on the same directory (without Close: as after a
// crash) has every acknowledged op of every shop, and goes on numbering
// events where it stopped.
func TestHost_RestartReplaysTheLog(t *testing.T) {
	dir := t.TempDir()
	f, h := open(t, dir, durable.FilesOptions{}, durable.HostOptions{SnapshotEvery: 37})
	shops := []string{"shop-a", "shop-b", "店铺c"}
	done := map[string][]applied{}
	for i, id := range shops {
		require.NoError(t, h.Create(ctx, id, pol()))
		g := newGen(uint64(i))
		for range 300 {
			at, op := g.next()
			_, err := h.Apply(ctx, id, at, op)
			if err != nil {
				require.False(t, errors.Is(err, durable.ErrClosed), err)
			}
			done[id] = append(done[id], applied{at, op})
		}
	}
	require.NoError(t, f.Close()) // no h.Close: the snapshots are as a crash leaves them

	_, h2 := open(t, dir, durable.FilesOptions{}, durable.HostOptions{SnapshotEvery: 37})
	st := h2.Stats()
	require.Equal(t, len(shops), st.Loaded, "the shops with ops after their snapshot are loaded at start")
	require.Equal(t, uint64(3*(300%37)), st.Replayed)
	for _, id := range shops {
		want := oracle(t, done[id])
		sameAs(t, h2, id, want)
		// Event.Seq goes on without a gap.
		at := want.Now().Add(time.Second)
		op := dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "next", Buyer: "next"}}
		wantEvs, wantErr := want.Apply(at, op)
		gotEvs, gotErr := h2.Apply(ctx, id, at, op)
		require.Equal(t, wantErr, gotErr)
		require.Equal(t, wantEvs, gotEvs)
		require.NotEmpty(t, gotEvs)
	}
}

// Maintain evicts idle shops after a snapshot; the next use loads them
// back exactly, and their timers fire even while they are out of memory,
// across a restart too.
func TestHost_EvictLoadAndTimers(t *testing.T) {
	dir := t.TempDir()
	ho := durable.HostOptions{IdleAfter: 10 * time.Minute}
	f, h := open(t, dir, durable.FilesOptions{}, ho)
	require.NoError(t, h.Create(ctx, "s", pol()))
	var done []applied
	do := func(at time.Time, op dispatch.Op) []dispatch.Event {
		evs, err := h.Apply(ctx, "s", at, op)
		require.NoError(t, err)
		done = append(done, applied{at, op})
		return evs
	}
	do(t0, dispatch.Op{Kind: dispatch.OpAddAgent, Agent: "wang", AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(3)}})
	do(t0, dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "x", Buyer: "bx"}})
	do(t0, dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: "x", From: dispatch.FromAgent, Agent: "wang"}})
	deadline, ok := oracle(t, done).NextDeadline() // Kuaishou closes after 20 minutes of the buyer's silence (L2)
	require.True(t, ok)

	require.NoError(t, h.Maintain(ctx, t0.Add(10*time.Minute-1)))
	require.Equal(t, 1, h.Stats().Loaded, "not idle yet")
	require.NoError(t, h.Maintain(ctx, t0.Add(10*time.Minute)))
	require.Equal(t, durable.HostStats{Evictions: 1, Snapshots: 1, Loaded: 0}, h.Stats())
	next, ok := h.NextDeadline()
	require.True(t, ok)
	require.Equal(t, deadline.UnixNano(), next.UnixNano(), "an evicted shop's timer stays in the host's heap")

	// Restart: the timer is learnt from the snapshot store's list.
	require.NoError(t, h.Close(ctx))
	require.NoError(t, f.Close())
	f, h = open(t, dir, durable.FilesOptions{}, ho)
	defer f.Close()
	require.Equal(t, 0, h.Stats().Loaded, "nothing to replay: nothing loaded")
	next, ok = h.NextDeadline()
	require.True(t, ok)
	require.Equal(t, deadline.UnixNano(), next.UnixNano())

	_, bytes := f.Segments()
	n, err := h.AdvanceDue(ctx, deadline.Add(-1), nil)
	require.NoError(t, err)
	require.Zero(t, n)
	_, after := f.Segments()
	require.Equal(t, bytes, after, "nothing due: nothing logged")

	var got []dispatch.Event
	n, err = h.AdvanceDue(ctx, deadline, func(shop string, evs []dispatch.Event) { got = append(got, evs...) })
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, 1, h.Stats().Loaded, "loaded for its timer")
	want := oracle(t, done)
	wantEvs := want.Advance(deadline)
	require.Equal(t, wantEvs, got)
	require.Equal(t, dispatch.EventClosed, got[0].Kind)
	done = append(done, applied{deadline, dispatch.Op{Kind: dispatch.OpAdvance}})
	sameAs(t, h, "s", oracle(t, done))
}

// A rejected op is logged: it moved the clock and fired a timer, and the
// replay returns the same events, numbered the same.
func TestHost_RejectedOpsAreLoggedAndReplayed(t *testing.T) {
	dir := t.TempDir()
	f, h := open(t, dir, durable.FilesOptions{}, durable.HostOptions{})
	require.NoError(t, h.Create(ctx, "s", pol()))
	var done []applied
	do := func(at time.Time, op dispatch.Op) ([]dispatch.Event, error) {
		done = append(done, applied{at, op})
		return h.Apply(ctx, "s", at, op)
	}
	_, err := do(t0, dispatch.Op{Kind: dispatch.OpAddAgent, Agent: "wang", AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(3)}})
	require.NoError(t, err)
	_, err = do(t0, dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "x"}})
	require.NoError(t, err)
	_, err = do(t0, dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: "x", From: dispatch.FromAgent, Agent: "wang"}})
	require.NoError(t, err)
	// An hour later, a close of an unknown session: rejected, but the
	// auto-close of x fired at 09:20 on the way.
	_, err = do(t0.Add(time.Hour), dispatch.Op{Kind: dispatch.OpClose, Session: "nobody"})
	require.ErrorIs(t, err, dispatch.ErrUnknownSession)
	// An op that cannot be encoded is neither logged nor applied.
	_, err = h.Apply(ctx, "s", t0.Add(time.Hour), dispatch.Op{Kind: dispatch.OpClose, Session: "x", Agent: "stray field"})
	require.ErrorIs(t, err, dispatch.ErrInvalidOp)
	require.NoError(t, f.Close())

	_, h = open(t, dir, durable.FilesOptions{}, durable.HostOptions{})
	sameAs(t, h, "s", oracle(t, done))
	evs, err := h.Apply(ctx, "s", t0.Add(time.Hour), dispatch.Op{Kind: dispatch.OpAdvance})
	require.NoError(t, err)
	require.Len(t, evs, 1, "the held event of the rejected op's timer")
	require.Equal(t, dispatch.EventClosed, evs[0].Kind)
	require.Equal(t, t0.Add(20*time.Minute).UnixNano(), evs[0].At.UnixNano())
}

// Create and the errors a caller maps: unknown and duplicate shops, bad
// ids, a closed host.
func TestHost_Errors(t *testing.T) {
	dir := t.TempDir()
	f, h := open(t, dir, durable.FilesOptions{}, durable.HostOptions{})
	defer f.Close()
	_, err := h.Apply(ctx, "nope", t0, dispatch.Op{Kind: dispatch.OpAdvance})
	require.ErrorIs(t, err, dispatch.ErrUnknownShop)
	require.ErrorIs(t, err, dispatch.ErrNotFound)
	require.NoError(t, h.Create(ctx, "s", pol()))
	require.ErrorIs(t, h.Create(ctx, "s", pol()), dispatch.ErrDuplicateShop)
	require.NoError(t, h.Maintain(ctx, t0.Add(time.Hour*24*365)))
	require.Zero(t, h.Stats().Loaded)
	require.ErrorIs(t, h.Create(ctx, "s", pol()), dispatch.ErrDuplicateShop, "evicted, still exists")
	for _, bad := range []string{"", string(make([]byte, 129)), "\xff"} {
		require.ErrorIs(t, h.Create(ctx, bad, pol()), durable.ErrInvalidShop)
		_, err := h.Apply(ctx, bad, t0, dispatch.Op{Kind: dispatch.OpAdvance})
		require.ErrorIs(t, err, dispatch.ErrInvalid)
	}
	bad := pol()
	bad.BuyerIdleClose = -time.Second
	require.ErrorIs(t, h.Create(ctx, "bad-policy", bad), dispatch.ErrInvalidPolicy)
	require.NoError(t, h.Close(ctx))
	_, err = h.Apply(ctx, "s", t0, dispatch.Op{Kind: dispatch.OpAdvance})
	require.ErrorIs(t, err, durable.ErrClosed)
}

// Goroutines driving their own shops while another evicts every shop it
// can, again and again: every op lands once, in order, whatever the
// interleaving of loads and evictions (run with -race).
func TestHost_ConcurrentApplyAndEviction(t *testing.T) {
	dir := t.TempDir()
	f, h := open(t, dir, durable.FilesOptions{Sync: durable.SyncNone}, durable.HostOptions{IdleAfter: time.Nanosecond, SnapshotEvery: 10})
	const workers, shopsEach, opsEach = 4, 3, 150
	done := make([]map[string][]applied, workers)
	errs := make(chan error, workers)
	stop := make(chan struct{})
	evicted := make(chan error, 1)
	go func() {
		var err error
		for err == nil {
			select {
			case <-stop:
				evicted <- nil
				return
			default:
			}
			err = h.Maintain(ctx, t0.Add(100*24*time.Hour))
		}
		evicted <- err
	}()
	for w := range workers {
		done[w] = map[string][]applied{}
		go func() {
			g := newGen(uint64(100 + w))
			var ids []string
			for i := range shopsEach {
				id := fmt.Sprintf("w%d-%d", w, i)
				if err := h.Create(ctx, id, pol()); err != nil {
					errs <- err
					return
				}
				ids = append(ids, id)
			}
			for k := range opsEach {
				id := ids[k%shopsEach]
				at, op := g.next()
				if _, err := h.Apply(ctx, id, at, op); errors.Is(err, durable.ErrClosed) || errors.Is(err, dispatch.ErrUnknownShop) {
					errs <- err
					return
				}
				done[w][id] = append(done[w][id], applied{at, op})
			}
			errs <- nil
		}()
	}
	for range workers {
		require.NoError(t, <-errs)
	}
	close(stop)
	require.NoError(t, <-evicted)
	require.Greater(t, h.Stats().Evictions, uint64(0))
	for w := range workers {
		for id, ops := range done[w] {
			sameAs(t, h, id, oracle(t, ops))
		}
	}
	require.NoError(t, h.Close(ctx))
	require.NoError(t, f.Close())
}

// A shop that cannot load at its timer (its snapshot is corrupt) makes
// AdvanceDue return the error and try again a second later; the other
// shops' timers fire.
func TestHost_BrokenShopAtItsTimer(t *testing.T) {
	dir := t.TempDir()
	f, h := open(t, dir, durable.FilesOptions{}, durable.HostOptions{})
	defer f.Close()
	for _, id := range []string{"good", "bad"} {
		require.NoError(t, h.Create(ctx, id, pol()))
		for _, op := range []dispatch.Op{
			{Kind: dispatch.OpAddAgent, Agent: "wang"},
			{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "x"}},
			{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: "x", From: dispatch.FromAgent, Agent: "wang"}},
		} {
			_, err := h.Apply(ctx, id, t0, op)
			require.NoError(t, err)
		}
	}
	require.NoError(t, h.Maintain(ctx, t0.Add(time.Hour)))
	require.Zero(t, h.Stats().Loaded)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "snap", "bad.snap"), []byte("garbage"), 0o644))

	due := t0.Add(20 * time.Minute)
	var fired []string
	n, err := h.AdvanceDue(ctx, due, func(shop string, evs []dispatch.Event) { fired = append(fired, shop) })
	require.ErrorIs(t, err, durable.ErrCorrupt)
	require.Equal(t, 1, n)
	require.Equal(t, []string{"good"}, fired)
	next, ok := h.NextDeadline()
	require.True(t, ok)
	require.Equal(t, due.Add(time.Second).UnixNano(), next.UnixNano())
	_, err = h.Apply(ctx, "bad", due, dispatch.Op{Kind: dispatch.OpAdvance})
	require.ErrorIs(t, err, durable.ErrCorrupt, "refused with a clear error, never half-loaded")
}

// fencedLog is a Log another writer takes over when lost is set.
type fencedLog struct {
	durable.Log
	lost bool
}

func (l *fencedLog) Claim(c context.Context, shop string) (durable.Fence, error) {
	if l.lost {
		return 0, durable.ErrFenced
	}
	return l.Log.Claim(c, shop)
}

func (l *fencedLog) Append(c context.Context, shop string, f durable.Fence, recs []durable.Record) error {
	if l.lost {
		return durable.ErrFenced
	}
	return l.Log.Append(c, shop, f, recs)
}

// A host fenced off a shop does not apply the op, drops the shop, and
// leaves its timers to the new owner.
func TestHost_FencedOff(t *testing.T) {
	f, err := durable.OpenFiles(t.TempDir(), durable.FilesOptions{})
	require.NoError(t, err)
	defer f.Close()
	l := &fencedLog{Log: f}
	h, err := durable.NewHost(ctx, durable.HostOptions{Log: l, Snapshots: f})
	require.NoError(t, err)
	require.NoError(t, h.Create(ctx, "s", pol()))
	for _, op := range []dispatch.Op{
		{Kind: dispatch.OpAddAgent, Agent: "wang"},
		{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "x"}},
		{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: "x", From: dispatch.FromAgent, Agent: "wang"}},
	} {
		_, err := h.Apply(ctx, "s", t0, op)
		require.NoError(t, err)
	}
	l.lost = true
	evs, err := h.Apply(ctx, "s", t0, dispatch.Op{Kind: dispatch.OpClose, Session: "x"})
	require.ErrorIs(t, err, durable.ErrFenced)
	require.ErrorIs(t, err, dispatch.ErrConflict)
	require.Empty(t, evs)
	require.Zero(t, h.Stats().Loaded, "dropped")
	_, ok := h.NextDeadline()
	require.True(t, ok)
	n, err := h.AdvanceDue(ctx, t0.Add(time.Hour), nil)
	require.NoError(t, err, "another host's timers are not an error")
	require.Zero(t, n)
	_, ok = h.NextDeadline()
	require.False(t, ok, "and not retried")
	err = h.Read(ctx, "s", func(*dispatch.Engine) {})
	require.ErrorIs(t, err, durable.ErrFenced)
}

// dueShop creates shop "s" with an auto-close that fell due an hour ago
// (by the wall clock, which Run uses).
func dueShop(t *testing.T, h *durable.Host) {
	t.Helper()
	at := time.Now().Add(-time.Hour)
	require.NoError(t, h.Create(ctx, "s", pol()))
	for _, op := range []dispatch.Op{
		{Kind: dispatch.OpAddAgent, Agent: "wang", AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(3)}},
		{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "x", Buyer: "bx"}},
		{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: "x", From: dispatch.FromAgent, Agent: "wang"}},
	} {
		_, err := h.Apply(ctx, "s", at, op)
		require.NoError(t, err)
	}
}

// countLogs returns a logger that counts its entries.
func countLogs() (*zap.Logger, *atomic.Int64) {
	var n atomic.Int64
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
		zapcore.AddSync(io.Discard), zap.DebugLevel)
	return zap.New(core, zap.Hooks(func(zapcore.Entry) error { n.Add(1); return nil })), &n
}

// Run returns once the host is closed, even with timers pending; it used
// to retry them every millisecond, logging ErrClosed each time, until its
// context ended.
func TestHost_RunReturnsWhenClosed(t *testing.T) {
	logger, logs := countLogs()
	f, h := open(t, t.TempDir(), durable.FilesOptions{}, durable.HostOptions{Logger: logger})
	defer f.Close()
	dueShop(t, h)
	require.NoError(t, h.Close(ctx))

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Run(runCtx, 0, nil)
	}()
	deadline, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	select {
	case <-done:
	case <-deadline.Done():
		t.Fatalf("Run still running after Close (%d errors logged)", logs.Load())
	}
}

// A shop whose timer cannot be advanced (here: its snapshot is corrupt,
// so it cannot load) is retried after a back-off, not in a busy loop.
func TestHost_RunBacksOffAfterErrors(t *testing.T) {
	logger, logs := countLogs()
	dir := t.TempDir()
	f, h := open(t, dir, durable.FilesOptions{}, durable.HostOptions{Logger: logger})
	defer f.Close()
	dueShop(t, h)
	require.NoError(t, h.Maintain(ctx, time.Now())) // idle for an hour: evicted
	require.Zero(t, h.Stats().Loaded)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "snap", "s.snap"), []byte("garbage"), 0o644))

	runCtx, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	defer stop()
	h.Run(runCtx, 100*time.Millisecond, nil) // back-off min(100 ms, 1 s)
	n := logs.Load()
	require.NotZero(t, n, "the failure is logged")
	require.LessOrEqual(t, n, int64(2*4), "about one try (and one maintenance error) per 100 ms, not one per ms")
}

// Publish gets every applied op's events, timers' included, in Seq order
// per shop, whichever goroutine applied them; never the replay's. A
// cancelled context refuses the op before anything is tried, and the
// shop stays loaded.
func TestHost_PublishInSeqOrder(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	seen := map[string][]uint64{}
	publish := func(shop string, evs []dispatch.Event) {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range evs {
			seen[shop] = append(seen[shop], ev.Seq)
		}
	}
	f, h := open(t, dir, durable.FilesOptions{Sync: durable.SyncNone}, durable.HostOptions{Publish: publish})
	shops := []string{"p", "q"}
	for _, id := range shops {
		require.NoError(t, h.Create(ctx, id, pol()))
	}
	errs := make(chan error, 5)
	for w := range 4 {
		go func() {
			g := newGen(uint64(w))
			var err error
			for k := 0; k < 200 && err == nil; k++ {
				at, op := g.next()
				_, err = h.Apply(ctx, shops[k%2], at, op)
				if !errors.Is(err, durable.ErrClosed) {
					err = nil
				}
			}
			errs <- err
		}()
	}
	go func() {
		var err error
		for k := 0; k < 200 && err == nil; k++ {
			_, err = h.AdvanceDue(ctx, t0.Add(time.Duration(k)*time.Hour), nil)
		}
		errs <- err
	}()
	for range 5 {
		require.NoError(t, <-errs)
	}
	for _, id := range shops {
		var last uint64
		require.NoError(t, h.Read(ctx, id, func(e *dispatch.Engine) { last = e.LastSeq() }))
		require.NotZero(t, last)
		want := make([]uint64, last)
		for i := range want {
			want[i] = uint64(i + 1)
		}
		require.Equal(t, want, seen[id], "shop %s: every event once, in Seq order", id)
	}
	require.NoError(t, f.Close())

	seen = map[string][]uint64{}
	_, h = open(t, dir, durable.FilesOptions{}, durable.HostOptions{Publish: publish})
	require.Equal(t, 2, h.Stats().Loaded, "replayed at start")
	require.Empty(t, seen, "the replay publishes nothing")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err := h.Apply(cancelled, "p", t0, dispatch.Op{Kind: dispatch.OpAdvance})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, durable.HostStats{Loaded: 2, Loads: 2, Replayed: h.Stats().Replayed}, h.Stats(), "not dropped")
}

// Forget drops the matching shops without a snapshot; the next use
// rebuilds them from the log, exactly.
func TestHost_Forget(t *testing.T) {
	f, h := open(t, t.TempDir(), durable.FilesOptions{}, durable.HostOptions{})
	defer f.Close()
	done := map[string][]applied{}
	for i, id := range []string{"keep", "drop-1", "drop-2"} {
		require.NoError(t, h.Create(ctx, id, pol()))
		g := newGen(uint64(i))
		for range 40 {
			at, op := g.next()
			h.Apply(ctx, id, at, op)
			done[id] = append(done[id], applied{at, op})
		}
	}
	n := h.Forget(func(shop string) bool { return shop != "keep" })
	require.Equal(t, 2, n)
	st := h.Stats()
	require.Equal(t, 1, st.Loaded)
	require.Zero(t, st.Snapshots, "no snapshot: the shops are no longer ours")
	for id, ops := range done {
		sameAs(t, h, id, oracle(t, ops))
	}
	require.Equal(t, uint64(80), h.Stats().Replayed)
}

// Offers and wrap-ups (E1, E5) are durable: an offer's and a wrap-up's
// deadlines survive an eviction and a restart (learnt from the snapshot
// list) and a crash (replayed), and fall due on the restarted host at
// their instants, with the events an in-memory engine fed the same ops
// returns.
func TestHost_OffersAndWrapUpsAcrossRestarts(t *testing.T) {
	p := policy.Policy{OfferTimeout: time.Minute, WrapUp: 30 * time.Second, Location: time.UTC}
	dir := t.TempDir()
	ho := durable.HostOptions{IdleAfter: 10 * time.Minute}
	f, h := open(t, dir, durable.FilesOptions{}, ho)
	require.NoError(t, h.Create(ctx, "cc", p))
	want, err := dispatch.New(p, recorderOpts("", p)...)
	require.NoError(t, err)
	do := func(at time.Time, op dispatch.Op) []dispatch.Event {
		t.Helper()
		wantEvs, wantErr := want.Apply(at, op)
		evs, err := h.Apply(ctx, "cc", at, op)
		require.NoError(t, err)
		require.Equal(t, wantErr, err)
		require.Equal(t, wantEvs, evs)
		return evs
	}
	due := func(at time.Time) []dispatch.Event {
		t.Helper()
		var got []dispatch.Event
		n, err := h.AdvanceDue(ctx, at, func(_ string, evs []dispatch.Event) { got = append(got, evs...) })
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, want.Advance(at), got)
		return got
	}
	do(t0, dispatch.Op{Kind: dispatch.OpAddAgent, Agent: "an", AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(1)}})
	do(t0, dispatch.Op{Kind: dispatch.OpAddAgent, Agent: "bo", AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(1)}})
	evs := do(t0, dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "x", Buyer: "bx"}})
	require.Equal(t, dispatch.EventOffered, evs[0].Kind)
	first := evs[0].Agent

	// Evicted, then a clean restart: the offer's deadline is in the heap.
	require.NoError(t, h.Maintain(ctx, t0.Add(10*time.Minute)))
	require.Zero(t, h.Stats().Loaded)
	require.NoError(t, h.Close(ctx))
	require.NoError(t, f.Close())
	f, h = open(t, dir, durable.FilesOptions{}, ho)
	next, ok := h.NextDeadline()
	require.True(t, ok)
	require.Equal(t, t0.Add(time.Minute).UnixNano(), next.UnixNano(), "the offer's deadline")
	got := due(next)
	require.Equal(t, []dispatch.Kind{dispatch.EventOfferTimedOut, dispatch.EventOffered}, []dispatch.Kind{got[0].Kind, got[1].Kind})
	second := got[1].Agent
	require.NotEqual(t, first, second)

	at := next.Add(time.Second)
	do(at, dispatch.Op{Kind: dispatch.OpAccept, Session: "x", Agent: second})
	evs = do(at, dispatch.Op{Kind: dispatch.OpClose, Session: "x"})
	require.Equal(t, dispatch.EventWrapUp, evs[1].Kind)

	// A crash (no Close): the wrap-up is replayed from the log.
	require.NoError(t, f.Close())
	f, h = open(t, dir, durable.FilesOptions{}, ho)
	defer f.Close()
	next, ok = h.NextDeadline()
	require.True(t, ok)
	require.Equal(t, at.Add(30*time.Second).UnixNano(), next.UnixNano(), "the wrap-up's end")
	got = due(next)
	require.Equal(t, dispatch.EventWrapUpEnded, got[0].Kind)
	sameAs(t, h, "cc", want)
}

// The timers of queue shaping survive an eviction, a clean restart and a
// crash, and fall due at their instants on the restarted host: a ring
// opening (E7), a maximum wait (E8) and an inactive release (E9).
func TestHost_ShapingTimersAcrossRestarts(t *testing.T) {
	p := policy.Policy{Location: time.UTC, MaxWait: 5 * time.Minute, Divert: policy.DivertRefuse, InactiveAfter: 10 * time.Minute,
		Crowds: []policy.Crowd{{ID: "vip"}},
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"vip"}, Rings: []policy.Ring{{After: 2 * time.Minute, Groups: []string{"g2"}}}},
			{ID: "g2"}}}
	dir := t.TempDir()
	ho := durable.HostOptions{IdleAfter: 10 * time.Minute}
	f, h := open(t, dir, durable.FilesOptions{}, ho)
	require.NoError(t, h.Create(ctx, "cc", p))
	want, err := dispatch.New(p, recorderOpts("", p)...)
	require.NoError(t, err)
	do := func(at time.Time, op dispatch.Op) []dispatch.Event {
		t.Helper()
		wantEvs, wantErr := want.Apply(at, op)
		evs, err := h.Apply(ctx, "cc", at, op)
		require.NoError(t, err)
		require.Equal(t, wantErr, err)
		require.Equal(t, wantEvs, evs)
		return evs
	}
	// next checks the host's next deadline, advances it there, and returns
	// what fell due, which the engine that never stopped also returns.
	next := func(when time.Time) []dispatch.Event {
		t.Helper()
		at, ok := h.NextDeadline()
		require.True(t, ok)
		require.Equal(t, when.UnixNano(), at.UnixNano())
		var got []dispatch.Event
		_, err := h.AdvanceDue(ctx, at, func(_ string, evs []dispatch.Event) { got = append(got, evs...) })
		require.NoError(t, err)
		wantEvs := want.Advance(at)
		require.Equal(t, len(wantEvs), len(got))
		if len(got) > 0 {
			require.Equal(t, wantEvs, got)
		}
		return got
	}
	vip := []dispatch.Membership{{Crowd: "vip"}}
	do(t0, dispatch.Op{Kind: dispatch.OpAddAgent, Agent: "v", AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(1), Group: "g1"}})
	do(t0, dispatch.Op{Kind: dispatch.OpAddAgent, Agent: "w", AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(1), Group: "g2"}})
	do(t0, dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "s1", Buyer: "b1", Crowds: vip}})
	do(t0, dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: "s1", From: dispatch.FromAgent, Agent: "v"}})
	evs := do(t0, dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "s2", Buyer: "b2", Crowds: vip}})
	require.Equal(t, dispatch.EventQueued, evs[0].Kind, "v is full, w is not in g1's reach yet")

	// Evicted, then a clean restart: the ring's instant is in the heap.
	require.NoError(t, h.Maintain(ctx, t0.Add(10*time.Minute)))
	require.Zero(t, h.Stats().Loaded)
	require.NoError(t, h.Close(ctx))
	require.NoError(t, f.Close())
	f, h = open(t, dir, durable.FilesOptions{}, ho)
	got := next(t0.Add(2 * time.Minute))
	require.Len(t, got, 1)
	require.Equal(t, "w", got[0].Agent)
	require.Equal(t, dispatch.CauseWidened, got[0].Cause)

	at := t0.Add(3 * time.Minute)
	evs = do(at, dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "s3", Buyer: "b3", Crowds: vip}})
	require.Equal(t, dispatch.EventQueued, evs[0].Kind)

	// A crash (no Close): the timers are replayed from the log.
	require.NoError(t, f.Close())
	f, h = open(t, dir, durable.FilesOptions{}, ho)
	defer f.Close()
	require.Empty(t, next(at.Add(2*time.Minute)), "s3's ring opens; w is full")
	got = next(at.Add(5 * time.Minute))
	require.Len(t, got, 1)
	require.Equal(t, dispatch.EventRefused, got[0].Kind)
	require.Equal(t, dispatch.CauseMaxWait, got[0].Cause)
	got = next(t0.Add(10 * time.Minute))
	require.Len(t, got, 1)
	require.Equal(t, dispatch.EventInactive, got[0].Kind)
	require.Equal(t, "s1", got[0].Session)
	do(t0.Add(11*time.Minute), dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: "s1", From: dispatch.FromBuyer}})
	sameAs(t, h, "cc", want)
}
