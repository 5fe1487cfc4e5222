//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package durable_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
	"github.com/kefu-dev/kefu/metrics"
)

var (
	crashRounds = flag.Int("crash.rounds", 0, "rounds of TestCrash (0: 20, or 3 with -short)")
	crashSeed   = flag.Uint64("crash.seed", 0, "seed of TestCrash (0: from the clock)")
)

// crashChildEnv makes the test binary act as TestCrash's child:
// "dir seed round".
const crashChildEnv = "KEFU_DURABLE_CRASH_CHILD"

// The setting of the crash test: small segments, so that they roll and
// are deleted; frequent snapshots and evictions, so that trims happen.
const (
	crashShops      = 5
	crashGoroutines = 4
	crashBudget     = 300 // ops a child submits at most (then it waits to be killed)
	crashMaxAcks    = 330 // the kill comes after 0 to this many acks
	crashHang       = 3 * time.Minute
)

var (
	crashFiles = durable.FilesOptions{Sync: durable.SyncGroup, SegmentSize: 8 << 10}
	crashHost  = durable.HostOptions{SnapshotEvery: 23, SnapshotAfter: 30 * time.Minute,
		IdleAfter: 5 * time.Minute, Engine: recorderOpts}
)

func crashShop(i int) string { return fmt.Sprint("shop-", i) }

// TestCrash kills a process running a Host on Files with SIGKILL at a
// random moment, many times over one directory, and checks after each
// kill that a host restarted on the directory has applied exactly the
// ops it must, and nothing else.
//
// Each round re-executes the test binary as a child (TestCrashChild).
// The child opens the directory (SyncGroup, 8 KiB segments), starts a
// Host (a snapshot every 23 ops, eviction after 5 idle minutes of the
// shops' clocks, a metrics.Recorder per shop) and drives random ops from
// 4 goroutines over 5 shops (any goroutine may pick any shop; the host
// serializes each shop's ops), while a fifth goroutine calls AdvanceDue
// and Maintain after every few ops (timers fire, shops are snapshotted,
// evicted and loaded again, the log is trimmed and its segments deleted).
// The child reports on its stdout, unbuffered, so that what it wrote
// before the kill reaches the parent:
//
//   - S: an op submitted by a goroutine (shop, time, wire form), before
//     Host.Apply;
//   - L: an op the host hands to the log (shop, number, time, wire form),
//     before Files.Append: the child's Log is the Files wrapped to report
//     this, so ops the host applies on its own (AdvanceDue's) are seen
//     too;
//   - D: Files.Append of that op returned nil;
//   - A: Host.Apply returned: the op's number (taken by the wrapper
//     through the call's context), the engine's events and error (a
//     rejected op is logged and acknowledged too); a storage error stops
//     the child and fails the test.
//
// The parent kills the child after a random number of A lines (0 to
// 330, or when it has submitted all its 300 ops) and a random delay,
// then opens the directory itself. A shop's appends are made under its
// lock, so its L lines come in the order of the numbers, each
// followed by its D before the next L; at most the last L of each shop
// lacks its D: that op is in flight, and may or may not have reached the
// log.
//
// "Applied exactly once and nothing else" means, for each shop: let K be
// the number of ops whose D the parent saw (an A comes after its D), over
// all rounds so far, with the outcome of the previous rounds' in-flight
// ops settled;
// then the restarted shop has applied M ops, K <= M <= K+1, and M = K+1
// only if the round has an op in flight for the shop, which then is
// op K+1; and op i, for every i <= M, is the op of the L line numbered
// i (same wire form, same time), applied once. The parent checks it so:
//
//   - the records Files.Read returns (those no trim removed) are
//     numbered without a gap, each holds exactly the op reported at its
//     number, and the shop's snapshot covers the ops before them: M is
//     the last number, or the snapshot's;
//   - the snapshot is byte for byte the oracle's (an in-memory engine fed
//     the ops 1..M in order) after as many ops as it covers;
//   - a Host restarted on the directory has, for every shop, Ops() == M,
//     Verify holds, its snapshot equals the oracle's byte for byte, its
//     metrics recorder's reports equal the oracle's recorder's, and the
//     next ops return the oracle's events, Seq included (no gap);
//   - every A line's events and error are the oracle's for that op
//     number (what the child saw before the crash is what replay gives).
//
// The parent then applies two ops of its own to every shop (they join the
// history), closes the host or not (a clean stop or another abrupt one),
// and starts the next round on the same directory, so the state and the
// log accumulate across kills. A SIGKILL keeps what the process had
// written to the operating system, so this tests a crash of the process,
// not of the machine: fsync is exercised but not proven (the corruption
// tests cover torn tails).
//
// Rounds: -crash.rounds (20 by default, 3 with -short); the seed is
// -crash.seed, or the clock's, and a failure names both. A seed fixes the
// children's random draws and the kill points (in acks), not the
// goroutines' interleaving nor the timing, so a failure may take a few
// runs of its seed to recur.
func TestCrash(t *testing.T) {
	rounds := *crashRounds
	if rounds <= 0 {
		rounds = 20
		if testing.Short() {
			rounds = 3
		}
	}
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(seed, 0xc4a5))
	dir := t.TempDir()

	f, h := open(t, dir, crashFiles, crashHost)
	for i := range crashShops {
		require.NoError(t, h.Create(ctx, crashShop(i), pol()))
	}
	require.NoError(t, h.Close(ctx))
	require.NoError(t, f.Close())

	shops := make([]*crashShopState, crashShops)
	for i := range shops {
		e, err := dispatch.New(pol(), recorderOpts("", pol())...)
		require.NoError(t, err)
		shops[i] = &crashShopState{id: crashShop(i), oracle: e, snaps: map[uint64]string{0: mustSnapshot(t, e)}}
	}
	var st crashStats
	for round := range rounds {
		ok := t.Run(fmt.Sprint("round-", round), func(t *testing.T) {
			crashRound(t, dir, seed, round, rng, shops, &st)
		})
		if !ok {
			t.Fatalf("round %d of seed %d failed; reproduce with: go test ./dispatch/durable -run 'TestCrash$' -crash.seed=%d -crash.rounds=%d",
				round, seed, seed, round+1)
		}
	}
	t.Logf("seed %d, %d rounds: %+v", seed, rounds, st)
	require.Positive(t, st.acked, "no op was acknowledged in any round")
	if rounds >= 10 {
		// The setting must do what it is for, or the test tests little.
		require.Positive(t, st.snapshotted, "no snapshot covered any op")
		require.Greater(t, st.firstSegment, uint64(1), "no segment was ever deleted")
		require.Positive(t, st.inFlight, "no op was ever in flight at a kill")
	}
}

// crashStats counts what the rounds saw.
type crashStats struct {
	acked        int    // A lines
	logged       int    // ops the children made durable (D lines)
	inFlight     int    // ops in flight at a kill
	madeIt       int    // of those, the ones found in the log
	snapshotted  int    // rounds × shops whose snapshot covers ops
	firstSegment uint64 // the oldest segment file left at the last round
	idle         int    // kills after the child had submitted everything
}

// crashShopState is what the parent knows of a shop: its ops in the
// log's order, and the oracle fed them.
type crashShopState struct {
	id     string
	hist   []crashOp        // op i+1
	oracle *dispatch.Engine // fed hist
	// snaps holds the oracle's snapshot after n ops for the n the shop's
	// snapshot may cover at the next check: the one it covered at the
	// last check, and those of the ops the parent applied since (the
	// child's snapshots cover ops of its own round).
	snaps map[uint64]string
}

type crashOp struct {
	at time.Time
	op dispatch.Op
	js string // wire form
}

// crashMsg is a line the child writes: "@crash " then this in JSON.
type crashMsg struct {
	K    string          `json:"k"` // S, L, D, A, E (submitted everything), F (failed)
	ID   int             `json:"id,omitempty"`
	Shop string          `json:"shop,omitempty"`
	N    uint64          `json:"n,omitempty"`
	At   int64           `json:"at,omitempty"` // Unix ns, in the test's zone
	Op   json.RawMessage `json:"op,omitempty"`
	Evs  json.RawMessage `json:"evs,omitempty"`
	Err  string          `json:"err,omitempty"`
}

const crashPrefix = "@crash "

// crashRound runs one child, kills it, and checks the directory.
func crashRound(t *testing.T, dir string, seed uint64, round int, rng *rand.Rand, shops []*crashShopState, st *crashStats) {
	msgs, idle := crashRunChild(t, dir, seed, round, rng.IntN(crashMaxAcks+1), time.Duration(rng.IntN(2000))*time.Microsecond)
	if idle {
		st.idle++
	}

	// What the child reported, shop by shop.
	byShop := map[string]*crashShopState{}
	for _, s := range shops {
		byShop[s.id] = s
	}
	logged := map[string][]crashMsg{} // L lines
	durableN := map[string]int{}      // D lines: how many of the L lines
	subs := map[int]crashMsg{}
	var acks []crashMsg
	for _, m := range msgs {
		switch m.K {
		case "S":
			subs[m.ID] = m
		case "L":
			s := byShop[m.Shop]
			require.NotNil(t, s, "unknown shop %q", m.Shop)
			ls := logged[m.Shop]
			require.Equal(t, uint64(len(s.hist)+len(ls)+1), m.N, "shop %s: the host appended op %d out of order", m.Shop, m.N)
			require.Equal(t, len(ls), durableN[m.Shop], "shop %s: op %d appended before op %d was durable", m.Shop, m.N, m.N-1)
			logged[m.Shop] = append(ls, m)
		case "D":
			ls := logged[m.Shop]
			require.Equal(t, len(ls), durableN[m.Shop]+1, "shop %s: a D line without its L", m.Shop)
			require.Equal(t, ls[len(ls)-1].N, m.N)
			durableN[m.Shop]++
		case "A":
			acks = append(acks, m)
		}
	}

	// The directory as the crash left it: the log and the snapshots.
	f, err := durable.OpenFiles(dir, crashFiles)
	require.NoError(t, err, "opening the directory after the kill")
	defer f.Close()
	evsAt := map[string]map[uint64]crashMsg{} // the oracle's answer to each op of this round
	for _, s := range shops {
		ls := logged[s.id]
		k := len(s.hist) + durableN[s.id] // acknowledged by the log
		inFlight := len(ls) - durableN[s.id]
		base := uint64(len(s.hist))       // ops settled in earlier rounds
		known := func(n uint64) crashOp { // op n as reported
			if n <= base {
				return s.hist[n-1]
			}
			return wireOp(t, ls[n-base-1])
		}
		snap, err := f.Get(ctx, s.id)
		require.NoError(t, err)
		var recs []durable.Record
		require.NoError(t, f.Read(ctx, s.id, 0, func(r durable.Record) error {
			recs = append(recs, r)
			return nil
		}))
		m := snap.N
		for i, r := range recs {
			if i > 0 {
				require.Equal(t, recs[i-1].N+1, r.N, "shop %s: the log jumps from op %d to %d", s.id, recs[i-1].N, r.N)
			} else {
				require.LessOrEqual(t, r.N, snap.N+1, "shop %s: the log starts at op %d, the snapshot covers %d", s.id, r.N, snap.N)
			}
			require.LessOrEqual(t, r.N, uint64(len(s.hist)+len(ls)), "shop %s: op %d in the log was never submitted", s.id, r.N)
			want := known(r.N)
			js, err := r.Op.MarshalJSON()
			require.NoError(t, err)
			require.Equal(t, want.js, string(js), "shop %s: op %d", s.id, r.N)
			require.Equal(t, want.at.UnixNano(), r.At.UnixNano(), "shop %s: the time of op %d", s.id, r.N)
			_, wantOff := want.at.Zone()
			_, gotOff := r.At.Zone()
			require.Equal(t, wantOff, gotOff, "shop %s: the zone of op %d", s.id, r.N)
			m = max(m, r.N)
		}
		require.GreaterOrEqual(t, m, uint64(k), "shop %s: %d ops acknowledged, %d in the log: an acknowledged op was lost", s.id, k, m)
		require.LessOrEqual(t, m, uint64(k+inFlight), "shop %s: %d ops acknowledged and %d in flight, %d in the log", s.id, k, inFlight, m)
		st.logged += durableN[s.id]
		if inFlight > 0 {
			st.inFlight++
			if m > uint64(k) {
				st.madeIt++
			}
		}

		// The history is settled through m: feed the oracle.
		evsAt[s.id] = map[uint64]crashMsg{}
		for n := uint64(len(s.hist)) + 1; n <= m; n++ {
			op := known(n)
			evs, err := s.oracle.Apply(op.at, op.op)
			evsAt[s.id][n] = crashMsg{Evs: eventsJSON(t, evs), Err: errText(err)}
			s.hist = append(s.hist, op)
			if n == snap.N {
				s.snaps[n] = mustSnapshot(t, s.oracle)
			}
		}
		want, ok := s.snaps[snap.N]
		require.True(t, ok, "shop %s: a snapshot of op %d, which no host wrote", s.id, snap.N)
		require.Equal(t, want, string(snap.Data), "shop %s: the snapshot of op %d is not the oracle's", s.id, snap.N)
		if snap.N > 0 {
			st.snapshotted++
		}
		s.snaps = map[uint64]string{snap.N: want}
	}

	// Every acknowledged op: in the log, as submitted, with the oracle's
	// answer.
	for _, a := range acks {
		st.acked++
		require.NotZero(t, a.N, "op %d acknowledged with no number", a.ID)
		sub, ok := subs[a.ID]
		require.True(t, ok, "op %d acknowledged, never submitted", a.ID)
		s := byShop[sub.Shop]
		require.LessOrEqual(t, a.N, uint64(len(s.hist)), "shop %s: op %d acknowledged, not in the log", sub.Shop, a.N)
		op := s.hist[a.N-1]
		require.Equal(t, string(sub.Op), op.js, "shop %s: op %d is not the op submitted", sub.Shop, a.N)
		require.Equal(t, sub.At, op.at.UnixNano(), "shop %s: op %d", sub.Shop, a.N)
		want, ok := evsAt[sub.Shop][a.N]
		require.True(t, ok, "shop %s: op %d acknowledged in this round, logged in an earlier one", sub.Shop, a.N)
		require.Equal(t, want.Err, a.Err, "shop %s: op %d: the error the child got is not the oracle's", sub.Shop, a.N)
		require.Equal(t, string(want.Evs), string(a.Evs), "shop %s: op %d: the events the child got are not the oracle's", sub.Shop, a.N)
	}
	if n, err := firstSegment(dir); err == nil {
		st.firstSegment = n
	}

	// A host restarted on the directory.
	ho := crashHost
	ho.Log, ho.Snapshots = f, f
	h, err := durable.NewHost(ctx, ho)
	require.NoError(t, err)
	for _, s := range shops {
		s.snaps[uint64(len(s.hist))] = mustSnapshot(t, s.oracle)
		sameAs(t, h, s.id, s.oracle)
		sameReports(t, h, s.id, s.oracle)
		// The next ops number their events on without a gap.
		at := s.oracle.Now()
		if at.Before(t0) {
			at = t0
		}
		at = at.Add(time.Second)
		ses := fmt.Sprint("crash-", round)
		for i, op := range []dispatch.Op{
			{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: ses, Buyer: "b" + ses}},
			{Kind: dispatch.OpClose, Session: ses},
		} {
			wantEvs, wantErr := s.oracle.Apply(at, op)
			wantJS := eventsJSON(t, wantEvs)
			gotEvs, gotErr := h.Apply(ctx, s.id, at, op)
			require.Equal(t, errText(wantErr), errText(gotErr), "shop %s", s.id)
			require.Equal(t, string(wantJS), string(eventsJSON(t, gotEvs)), "shop %s: the events after a restart", s.id)
			if i == 0 {
				require.NotEmpty(t, gotEvs, "an arrival has an event")
			}
			js, err := op.MarshalJSON()
			require.NoError(t, err)
			s.hist = append(s.hist, crashOp{at, op, string(js)})
			s.snaps[uint64(len(s.hist))] = mustSnapshot(t, s.oracle)
		}
	}
	if rng.IntN(2) == 0 {
		require.NoError(t, h.Close(ctx)) // a clean stop; the other half stops as a crash does
	}
}

// crashRunChild runs the child for round and kills it after acks A lines
// and delay, or when it has submitted everything; it returns the child's
// messages, whole lines only, and whether the child had submitted
// everything.
func crashRunChild(t *testing.T, dir string, seed uint64, round, acks int, delay time.Duration) ([]crashMsg, bool) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %d", crashChildEnv, dir, seed, round))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe() // the child exits when it reads EOF: if this process dies
	require.NoError(t, err)
	defer stdin.Close()
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	// A child still running after crashHang is stuck: SIGQUIT makes it
	// exit with its goroutines on stderr, which the failure shows.
	hung := time.AfterFunc(crashHang, func() { cmd.Process.Signal(syscall.SIGQUIT) })
	defer hung.Stop()
	killed := false
	kill := func() {
		if !killed {
			killed = true
			require.NoError(t, cmd.Process.Kill()) // SIGKILL
		}
	}
	defer kill()
	var msgs []crashMsg
	idle := false
	seen := 0
	if acks == 0 {
		time.Sleep(delay) // the kill comes during the child's start, or recovery, or its first ops
		kill()
	}
	rd := bufio.NewReader(out)
	for {
		line, err := rd.ReadString('\n')
		if err != nil { // EOF: the child is dead; a line cut by the kill is dropped
			break
		}
		body, ok := strings.CutPrefix(line, crashPrefix)
		if !ok {
			continue // the testing package's own output
		}
		var m crashMsg
		require.NoError(t, json.Unmarshal([]byte(body), &m), "line %q", line)
		msgs = append(msgs, m)
		switch m.K {
		case "F":
			kill()
			t.Fatalf("the child failed: %s\nits stderr:\n%s", m.Err, stderr.String())
		case "E":
			idle = !killed
			kill()
		case "A":
			if seen++; seen == acks && !killed {
				time.Sleep(delay)
				kill()
			}
		}
	}
	err = cmd.Wait()
	require.True(t, killed, "the child exited by itself (%v); its stderr:\n%s", err, stderr.String())
	var ee *exec.ExitError
	if errors.As(err, &ee) && !ee.Exited() && strings.Contains(ee.String(), "killed") {
		err = nil
	}
	require.NoError(t, err, "the child did not die of the kill; its stderr:\n%s", stderr.String())
	for _, bad := range []string{"DATA RACE", "panic:"} {
		require.NotContains(t, stderr.String(), bad, "the child's stderr:\n%s", stderr.String())
	}
	return msgs, idle
}

// TestCrashChild is TestCrash's child process (see TestCrash); it skips
// when run as a test.
func TestCrashChild(t *testing.T) {
	env := os.Getenv(crashChildEnv)
	if env == "" {
		t.Skip("the child process of TestCrash")
	}
	var dir string
	var seed uint64
	var round int
	if _, err := fmt.Sscan(env, &dir, &seed, &round); err != nil {
		crashFail("bad %s %q: %v", crashChildEnv, env, err)
	}
	files, err := durable.OpenFiles(dir, crashFiles)
	if err != nil {
		crashFail("OpenFiles: %v", err)
	}
	ho := crashHost
	ho.Log, ho.Snapshots = reportingLog{files}, files
	h, err := durable.NewHost(context.Background(), ho)
	if err != nil {
		crashFail("NewHost: %v", err)
	}

	// One generator per shop, going on from the shop's clock.
	gens := make([]*crashGen, crashShops)
	for i := range gens {
		now := t0
		if err := h.Read(context.Background(), crashShop(i), func(e *dispatch.Engine) {
			if e.Now().After(now) {
				now = e.Now().In(t0.Location())
			}
		}); err != nil {
			crashFail("loading %s: %v", crashShop(i), err)
		}
		s := seed ^ uint64(round)<<20 ^ uint64(i)<<8
		gens[i] = &crashGen{g: &gen{r: rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15)), now: now}}
	}
	clock := func(r *rand.Rand) time.Time { // a random shop's clock
		g := gens[r.IntN(len(gens))]
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.g.now
	}

	var ids atomic.Int64
	tick := make(chan struct{}, 1)
	var wg sync.WaitGroup
	for w := range crashGoroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(round)<<8|uint64(w)))
			for {
				id := int(ids.Add(1))
				if id > crashBudget {
					return
				}
				i := r.IntN(crashShops)
				g := gens[i]
				g.mu.Lock()
				at, op := g.g.next()
				g.mu.Unlock()
				js, err := op.MarshalJSON()
				if err != nil {
					crashFail("op %v: %v", op, err)
				}
				crashSend(crashMsg{K: "S", ID: id, Shop: crashShop(i), At: at.UnixNano(), Op: js})
				var n uint64
				evs, err := h.Apply(context.WithValue(context.Background(), crashSlot{}, &n), crashShop(i), at, op)
				if n == 0 { // never reached the log: a storage or shop error, not the engine's
					crashFail("op %d (%s of shop %s) not logged: %v", id, js, crashShop(i), err)
				}
				crashSend(crashMsg{K: "A", ID: id, N: n, Evs: eventsJSON(t, evs), Err: errText(err)})
				if id%5 == 0 {
					select {
					case tick <- struct{}{}:
					default:
					}
				}
			}
		}()
	}
	stop := make(chan struct{})
	maintained := make(chan struct{})
	go func() { // timers and maintenance, on a random shop's clock
		defer close(maintained)
		r := rand.New(rand.NewPCG(seed, uint64(round)<<8|0xff))
		for {
			select {
			case <-stop:
				return
			case <-tick:
			}
			if _, err := h.AdvanceDue(context.Background(), clock(r), nil); err != nil {
				crashFail("AdvanceDue: %v", err)
			}
			if err := h.Maintain(context.Background(), clock(r)); err != nil {
				crashFail("Maintain: %v", err)
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-maintained
	crashSend(crashMsg{K: "E"})
	io.Copy(io.Discard, os.Stdin) // wait for the kill (or the parent's death)
	os.Exit(0)
}

// crashGen is a shop's generator, shared by the child's goroutines.
type crashGen struct {
	mu sync.Mutex
	g  *gen
}

// crashSlot is the context key under which the child's Apply gets its
// op's number from reportingLog.
type crashSlot struct{}

// reportingLog is the child's Log: the Files, reporting every op it is
// handed (L) and the success of its append (D).
type reportingLog struct{ *durable.Files }

func (l reportingLog) Append(ctx context.Context, shop string, fence durable.Fence, recs []durable.Record) error {
	for _, r := range recs {
		js, err := r.Op.MarshalJSON()
		if err != nil {
			crashFail("op %d of %s: %v", r.N, shop, err)
		}
		if r.At.Location() != t0.Location() {
			crashFail("op %d of %s at %v: not in the test's zone", r.N, shop, r.At)
		}
		crashSend(crashMsg{K: "L", Shop: shop, N: r.N, At: r.At.UnixNano(), Op: js})
	}
	if n, ok := ctx.Value(crashSlot{}).(*uint64); ok {
		*n = recs[len(recs)-1].N
	}
	if err := l.Files.Append(ctx, shop, fence, recs); err != nil {
		crashFail("Append of %s: %v", shop, err)
	}
	for _, r := range recs {
		crashSend(crashMsg{K: "D", Shop: shop, N: r.N})
	}
	return nil
}

var crashOut sync.Mutex

// crashSend writes m to stdout at once, one whole line per write.
func crashSend(m crashMsg) {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	line := append([]byte(crashPrefix), b...)
	line = append(line, '\n')
	crashOut.Lock()
	defer crashOut.Unlock()
	if _, err := os.Stdout.Write(line); err != nil {
		os.Exit(2) // the parent is gone
	}
}

// crashFail reports a failure of the child to the parent and exits.
func crashFail(format string, args ...any) {
	crashSend(crashMsg{K: "F", Err: fmt.Sprintf(format, args...)})
	os.Exit(3)
}

// wireOp decodes the op of an L line.
func wireOp(t *testing.T, m crashMsg) crashOp {
	t.Helper()
	var op dispatch.Op
	require.NoError(t, op.UnmarshalJSON(m.Op))
	return crashOp{at: time.Unix(0, m.At).In(t0.Location()), op: op, js: string(m.Op)}
}

// eventsJSON is the wire form of evs ("null" for none).
func eventsJSON(t testing.TB, evs []dispatch.Event) json.RawMessage {
	if len(evs) == 0 {
		evs = nil
	}
	b, err := json.Marshal(evs)
	if err != nil {
		panic(err)
	}
	return b
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func mustSnapshot(t testing.TB, e *dispatch.Engine) string {
	b, err := e.Snapshot()
	require.NoError(t, err)
	return string(b)
}

// firstSegment returns the number of the oldest segment file of dir.
func firstSegment(dir string) (uint64, error) {
	ents, err := os.ReadDir(filepath.Join(dir, "log"))
	if err != nil {
		return 0, err
	}
	for _, e := range ents { // sorted by name: the numbers have 20 digits
		if s, ok := strings.CutSuffix(e.Name(), ".seg"); ok {
			return strconv.ParseUint(s, 10, 64)
		}
	}
	return 0, errors.New("no segment")
}

// sameReports checks that the metrics recorder of the host's shop reports
// what the oracle's does, over every day the oracle has seen.
func sameReports(t testing.TB, h *durable.Host, shop string, want *dispatch.Engine) {
	t.Helper()
	w := want.Observer("metrics").(*metrics.Recorder)
	require.NoError(t, h.Read(ctx, shop, func(e *dispatch.Engine) {
		g := e.Observer("metrics").(*metrics.Recorder)
		now := want.Now()
		if now.IsZero() {
			now = t0
		}
		from, to := w.DateOf(t0), w.DateOf(now)
		require.Equal(t, w.Replies(from, to), g.Replies(from, to), "shop %s: replies", shop)
		require.Equal(t, w.Reviews(from, to), g.Reviews(from, to), "shop %s: reviews", shop)
		require.Equal(t, w.Alerts(from, to), g.Alerts(from, to), "shop %s: alerts", shop)
		require.Equal(t, w.Overdue(now), g.Overdue(now), "shop %s: overdue", shop)
		require.Equal(t, w.Dashboard(now), g.Dashboard(now), "shop %s: dashboard", shop)
		require.Equal(t, w.Attitude(now.Year(), now.Month()), g.Attitude(now.Year(), now.Month()), "shop %s: attitude", shop)
		for d := from; !to.Before(d); d = d.AddDays(1) {
			require.Equal(t, w.Hourly(d), g.Hourly(d), "shop %s: hourly report of %s", shop, d)
		}
		require.Equal(t, w.Open(), g.Open(), "shop %s: open sessions", shop)
	}))
}
