package kefujs_test

// Helpers of the ownership tests (failover, split brain, random moves):
// members (a Store, a Host and a Node, with a recording Log between the
// Host and the Store), a TCP proxy that cuts a member off the server, a
// random op generator, oracles, an independent reader of the stream, and
// an event ledger.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
	kefujs "github.com/kefu-dev/kefu/dispatch/jetstream"
	"github.com/kefu-dev/kefu/metrics"
	"github.com/kefu-dev/kefu/policy"
)

// outcome is what became of an append, as its writer saw it.
type outcome int

const (
	acked   outcome = iota // Append returned nil: the host applied the op and acknowledged it
	fenced                 // ErrNotOwner: refused, never in the log
	inDoubt                // another error (a timeout, a cut connection): maybe in the log
)

func (o outcome) String() string { return [...]string{"acked", "fenced", "in doubt"}[o] }

// attempt is one record a member's host tried to append.
type attempt struct {
	by   string
	shop string
	rec  durable.Record
	out  outcome
	err  error
}

// key identifies an op's content in a shop's log: its number, time and
// wire form.
func (a attempt) key() string { return recKey(a.shop, a.rec) }

func recKey(shop string, r durable.Record) string {
	body, err := r.Op.MarshalJSON()
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%s/%d/%d/%s", shop, r.N, r.At.UnixNano(), body)
}

// recorder keeps every append of every member and every event their
// hosts published.
type recorder struct {
	mu       sync.Mutex
	attempts []attempt
	drained  int                                    // attempts handed to feed (random test)
	pub      map[string]map[string][]dispatch.Event // member → shop → events published, in order
	pubAll   map[string][]dispatch.Event            // shop → events published by any member, in order
}

func newRecorder() *recorder {
	return &recorder{pub: map[string]map[string][]dispatch.Event{}, pubAll: map[string][]dispatch.Event{}}
}

func (r *recorder) noteAppend(by, shop string, recs []durable.Record, err error) {
	out := acked
	switch {
	case errors.Is(err, kefujs.ErrNotOwner):
		out = fenced
	case err != nil:
		out = inDoubt
	}
	if len(recs) > 1 && err != nil {
		out = inDoubt // a prefix may be in the log (durable.Log.Append)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range recs {
		r.attempts = append(r.attempts, attempt{by: by, shop: shop, rec: rec, out: out, err: err})
	}
}

// publisher is a member's HostOptions.Publish.
func (r *recorder) publisher(by string) func(string, []dispatch.Event) {
	return func(shop string, evs []dispatch.Event) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.pub[by] == nil {
			r.pub[by] = map[string][]dispatch.Event{}
		}
		r.pub[by][shop] = append(r.pub[by][shop], evs...)
		r.pubAll[shop] = append(r.pubAll[shop], evs...)
	}
}

// all returns a copy of every attempt so far.
func (r *recorder) all() []attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.attempts)
}

// drain returns the attempts made since the last drain.
func (r *recorder) drain() []attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	fresh := slices.Clone(r.attempts[r.drained:])
	r.drained = len(r.attempts)
	return fresh
}

// published returns what member by published for shop.
func (r *recorder) published(by, shop string) []dispatch.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.pub[by][shop])
}

// recLog is a member's Store as its Host sees it: appends are recorded
// with their outcome.
type recLog struct {
	*kefujs.Store
	by  string
	rec *recorder
}

func (l recLog) Append(ctx context.Context, shop string, f durable.Fence, recs []durable.Record) error {
	err := l.Store.Append(ctx, shop, f, recs)
	l.rec.noteAppend(l.by, shop, recs, err)
	return err
}

// member is one process of a deployment: a Store, a Host on it (through
// a recLog) and a Node without its background loop (Tick moves
// ownership when the test says).
type member struct {
	name string
	st   *kefujs.Store
	h    *durable.Host
	n    *kefujs.Node
}

// join starts a member named name on js.
func join(t testing.TB, js jetstream.JetStream, cfg kefujs.Config, name string, share int, rec *recorder, ho durable.HostOptions) *member {
	t.Helper()
	cfg.Owner = name
	st, err := kefujs.Open(ctx, js, cfg)
	require.NoError(t, err)
	l := recLog{Store: st, by: name, rec: rec}
	ho.Log, ho.Snapshots = l, l
	ho.Engine = recorderOpts
	ho.Publish = rec.publisher(name)
	h, err := durable.NewHost(ctx, ho)
	require.NoError(t, err)
	return &member{name: name, st: st, h: h, n: kefujs.NewTestNode(st, h, share)}
}

// readOnly is a Store a Host reads through without owning anything: Claim
// takes no partition, Trim purges nothing, Append refuses.
type readOnly struct{ *kefujs.Store }

func (readOnly) Claim(context.Context, string) (durable.Fence, error) { return 0, nil }
func (readOnly) Trim(context.Context, string, durable.Fence, uint64) error {
	return nil
}
func (readOnly) Append(context.Context, string, durable.Fence, []durable.Record) error {
	return errors.New("read only")
}

// reader returns a Host that loads shops from the stream as a new owner
// would (the latest snapshot, then the ops after it) without taking
// their partitions: the state the log holds, whoever owns it.
func reader(t testing.TB, js jetstream.JetStream, cfg kefujs.Config) *durable.Host {
	t.Helper()
	cfg.Owner = "reader"
	st, err := kefujs.Open(ctx, js, cfg)
	require.NoError(t, err)
	l := readOnly{st}
	h, err := durable.NewHost(ctx, durable.HostOptions{Log: l, Snapshots: l, Engine: recorderOpts, IdleAfter: -1})
	require.NoError(t, err)
	return h
}

// proxy is a TCP proxy between clients and a server, to cut them off (a
// partition of the network: their connections drop and new ones are
// refused) and to heal the cut.
type proxy struct {
	ln     net.Listener
	target string
	mute   atomic.Bool // drop what the server sends, keeping the connections
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.Cut() })
	go p.serve()
	return p
}

func (p *proxy) url() string { return "nats://" + p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			s.Close()
			continue
		}
		p.conns[c], p.conns[s] = true, true
		p.mu.Unlock()
		pipe := func(dst, src net.Conn, drop *atomic.Bool) {
			buf := make([]byte, 32<<10)
			for {
				n, err := src.Read(buf)
				if n > 0 && !drop.Load() {
					if _, werr := dst.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			dst.Close()
			src.Close()
		}
		go pipe(c, s, &p.mute)
		go pipe(s, c, new(atomic.Bool))
	}
}

// Cut drops every connection through the proxy and refuses new ones
// until Heal.
func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Mute drops everything the server sends from now on (its answers
// lost in a network that still carries the client's messages), the
// connections staying up.
func (p *proxy) Mute() { p.mute.Store(true) }

func (p *proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// connectVia connects through a proxy, reconnecting forever.
func connectVia(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(10*time.Millisecond),
		nats.ReconnectJitter(0, 0))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return js
}

// gen makes random ops of a shop with times that mostly move forward, as
// package durable's tests do: agents joining and leaving, buyers
// arriving, writing, leaving, agents replying and closing, some ops the
// engine rejects. Its times carry tag in their nanoseconds, so that the
// ops of two generators never have the same time.
type gen struct {
	r   *rand.Rand
	now time.Time
}

func newGen(seed uint64, tag int) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: t0.Add(time.Duration(tag))}
}

func (g *gen) op() dispatch.Op {
	ag := fmt.Sprint("a", g.r.IntN(4))
	ses := fmt.Sprint("s", g.r.IntN(12))
	switch k := g.r.IntN(20); {
	case k == 0:
		return dispatch.Op{Kind: dispatch.OpAddAgent, Agent: ag, AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(1 + g.r.IntN(3))}}
	case k == 1:
		return dispatch.Op{Kind: dispatch.OpLogout, Agent: ag}
	case k == 2:
		return dispatch.Op{Kind: dispatch.OpLogin, Agent: ag}
	case k < 9:
		return dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: ses, Buyer: "b" + ses}}
	case k < 12:
		return dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: ses, From: dispatch.FromBuyer}}
	case k < 15:
		return dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: ses, From: dispatch.FromAgent, Agent: ag}}
	case k < 18:
		return dispatch.Op{Kind: dispatch.OpClose, Session: ses}
	case k == 18:
		return dispatch.Op{Kind: dispatch.OpLeave, Session: ses}
	default:
		return dispatch.Op{Kind: dispatch.OpAdvance}
	}
}

func (g *gen) next() (time.Time, dispatch.Op) {
	g.now = g.now.Add(time.Duration(g.r.IntN(90)) * time.Second)
	return g.now, g.op()
}

// recorderOpts gives each shop a metrics recorder, saved in its
// snapshots, so that comparing snapshots compares the recorders too.
func recorderOpts(_ string, p policy.Policy) []dispatch.Option {
	r, err := metrics.New(p.Location)
	if err != nil {
		panic(err)
	}
	return []dispatch.Option{dispatch.WithObserver("metrics", r)}
}

// newOracle returns an in-memory engine of a new shop.
func newOracle(t testing.TB) *dispatch.Engine {
	t.Helper()
	e, err := dispatch.New(pol(), recorderOpts("", pol())...)
	require.NoError(t, err)
	return e
}

// sameAs checks that h's shop is the oracle: the same snapshot, byte for
// byte (the recorder's state included), and Verify holds.
func sameAs(t testing.TB, h *durable.Host, shop string, want *dispatch.Engine) {
	t.Helper()
	require.NoError(t, sameErr(h, shop, want))
}

// sameErr is sameAs returning the difference as an error.
func sameErr(h *durable.Host, shop string, want *dispatch.Engine) error {
	wantSnap, err := want.Snapshot()
	if err != nil {
		return err
	}
	var diff error
	err = h.Read(ctx, shop, func(e *dispatch.Engine) {
		if err := e.Verify(); err != nil {
			diff = err
			return
		}
		got, err := e.Snapshot()
		if err != nil {
			diff = err
			return
		}
		if e.Ops() != want.Ops() || string(got) != string(wantSnap) {
			diff = fmt.Errorf("shop %s differs from the oracle: %d ops, the oracle %d", shop, e.Ops(), want.Ops())
		}
	})
	if err != nil {
		return fmt.Errorf("shop %s: %w", shop, err)
	}
	return diff
}

// logged is an op message of the stream.
type logged struct {
	seq  uint64
	shop string
	p    int
	rec  durable.Record
}

// fenceMsg is a fence message of the stream: its sequence, and the
// owner that published it (its body).
type fenceMsg struct {
	seq   uint64
	owner string
}

// streamLog is the stream as it is, read message by message by sequence
// and decoded here, independently of Store.Read: every shop's ops and
// every partition's fences, in stream order.
type streamLog struct {
	ops    map[string][]logged // shop → its op messages
	fences map[int][]fenceMsg  // partition → its fences
}

// ownerAt returns the owner whose fence of partition p is the last
// before stream sequence seq.
func (l streamLog) ownerAt(p int, seq uint64) string {
	owner := ""
	for _, f := range l.fences[p] {
		if f.seq < seq {
			owner = f.owner
		}
	}
	return owner
}

func readStream(t testing.TB, js jetstream.JetStream, prefix string) streamLog {
	t.Helper()
	if prefix == "" {
		prefix = "KEFU"
	}
	stream, err := js.Stream(ctx, prefix+"_OPS")
	require.NoError(t, err)
	info, err := stream.Info(ctx)
	require.NoError(t, err)
	l := streamLog{ops: map[string][]logged{}, fences: map[int][]fenceMsg{}}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // purged
		}
		require.NoError(t, err)
		parts := strings.Split(m.Subject, ".")
		require.GreaterOrEqual(t, len(parts), 3, m.Subject)
		p, err := strconv.Atoi(parts[2])
		require.NoError(t, err, m.Subject)
		switch parts[1] {
		case "fence":
			l.fences[p] = append(l.fences[p], fenceMsg{seq, string(m.Data)})
		case "ops":
			require.Len(t, parts, 4, m.Subject)
			shop, err := base64.RawURLEncoding.DecodeString(parts[3])
			require.NoError(t, err, m.Subject)
			n, err := strconv.ParseUint(m.Header.Get("Kefu-N"), 10, 64)
			require.NoError(t, err)
			at, err := time.Parse(time.RFC3339Nano, m.Header.Get("Kefu-At"))
			require.NoError(t, err)
			var op dispatch.Op
			require.NoError(t, op.UnmarshalJSON(m.Data))
			l.ops[string(shop)] = append(l.ops[string(shop)], logged{seq, string(shop), p, durable.Record{N: n, At: at, Op: op}})
		}
	}
	return l
}

// history is what the log holds of every shop, checked against what the
// members tried and were told.
type history struct {
	oracles map[string]*dispatch.Engine
	events  map[string][]dispatch.Event // every event of the log's ops, in order
	acked   map[string][]dispatch.Event // the events of the acknowledged ops only
	stored  int                         // in-doubt ops the log holds
	lost    int                         // in-doubt ops it does not
}

// checkHistory reads the stream (nothing trimmed: no snapshot but the
// one Create writes) and checks it against the attempts: every shop's
// ops are numbered 1, 2, 3, … without a gap or a repeat; every
// acknowledged op is there, in its place; no fenced op is; an in-doubt
// op may be; every op was appended by the owner whose fence of the
// shop's partition precedes it (at most one writer's appends are
// accepted at any time). It feeds each shop's ops, in log order, to an
// oracle, and replays the oracle's events into a ledger (no session lost
// or assigned twice).
func checkHistory(t testing.TB, js jetstream.JetStream, shops []string, attempts []attempt) history {
	t.Helper()
	sl := readStream(t, js, "")
	byKey := map[string][]attempt{}
	for _, a := range attempts {
		byKey[a.key()] = append(byKey[a.key()], a)
	}
	inLog := map[string]bool{}
	h := history{oracles: map[string]*dispatch.Engine{}, events: map[string][]dispatch.Event{}, acked: map[string][]dispatch.Event{}}
	for _, shop := range shops {
		e := newOracle(t)
		l := newLedger()
		for i, m := range sl.ops[shop] {
			require.Equal(t, uint64(i+1), m.rec.N, "shop %s: the log's op %d is numbered %d", shop, i+1, m.rec.N)
			k := recKey(shop, m.rec)
			as := byKey[k]
			require.NotEmpty(t, as, "shop %s: op %d in the log (stream sequence %d) was never appended", shop, m.rec.N, m.seq)
			wasAcked := false
			owner := sl.ownerAt(m.p, m.seq)
			for _, a := range as {
				require.NotEqual(t, fenced, a.out, "shop %s: op %d by %s was fenced, yet it is in the log", shop, m.rec.N, a.by)
				require.Equal(t, owner, a.by, "shop %s: op %d (stream sequence %d), by %s, follows %s's fence", shop, m.rec.N, m.seq, a.by, owner)
				wasAcked = wasAcked || a.out == acked
			}
			if !wasAcked {
				h.stored++
			}
			inLog[k] = true
			evs, err := e.Apply(m.rec.At, m.rec.Op)
			for _, ev := range evs {
				require.NoError(t, l.apply(ev), "shop %s, op %d", shop, m.rec.N)
			}
			if err == nil {
				// A rejected op's timers fire, their events held until
				// the next op that goes through (see Engine.Apply).
				require.NoError(t, l.check(e), "shop %s, op %d", shop, m.rec.N)
			}
			h.events[shop] = append(h.events[shop], evs...)
			if wasAcked {
				h.acked[shop] = append(h.acked[shop], evs...)
			}
		}
		require.NoError(t, e.Verify(), "shop %s", shop)
		require.NoError(t, flushed(t, e, l), "shop %s", shop)
		h.oracles[shop] = e
	}
	for _, a := range attempts {
		switch {
		case a.out == acked:
			require.True(t, inLog[a.key()], "shop %s: op %d by %s was acknowledged but is not in the log", a.shop, a.rec.N, a.by)
		case a.out == inDoubt && !inLog[a.key()]:
			h.lost++
		}
	}
	return h
}

// ledger is the world as the events alone tell it: where each open
// session is. A session assigned while an agent holds it, or lost (the
// engine has it elsewhere, or not at all), is an error.
type ledger struct {
	place map[string]string // session → "agent:ID", "queue", "offline", "bot"
	seq   uint64
}

func newLedger() *ledger { return &ledger{place: map[string]string{}} }

func (l *ledger) apply(ev dispatch.Event) error {
	if ev.Seq != l.seq+1 {
		return fmt.Errorf("event %d after %d: a gap or a repeat", ev.Seq, l.seq)
	}
	l.seq = ev.Seq
	switch ev.Kind {
	case dispatch.EventAssigned:
		if p := l.place[ev.Session]; strings.HasPrefix(p, "agent:") {
			return fmt.Errorf("session %s assigned to %s while %s holds it", ev.Session, ev.Agent, p)
		}
		l.place[ev.Session] = "agent:" + ev.Agent
	case dispatch.EventTransferred:
		l.place[ev.Session] = "agent:" + ev.Agent
	case dispatch.EventQueued:
		l.place[ev.Session] = "queue"
	case dispatch.EventOffline:
		l.place[ev.Session] = "offline"
	case dispatch.EventBot:
		l.place[ev.Session] = "bot"
	case dispatch.EventClosed, dispatch.EventLeft, dispatch.EventExpired:
		delete(l.place, ev.Session)
	}
	return nil
}

func (l *ledger) check(e *dispatch.Engine) error {
	for id, want := range l.place {
		info, ok := e.Session(id)
		if !ok {
			return fmt.Errorf("session %s lost: the events say %s", id, want)
		}
		got := info.Place.String()
		if info.Place == dispatch.PlaceAgent {
			got = "agent:" + info.Agent
		}
		if got != want {
			return fmt.Errorf("session %s is at %s, the events say %s", id, got, want)
		}
	}
	if e.Sessions() != len(l.place) {
		return fmt.Errorf("the engine has %d open sessions, the events %d", e.Sessions(), len(l.place))
	}
	return nil
}

// flushed checks the ledger against a copy of e that has delivered the
// events it holds (of timers a rejected op fired).
func flushed(t testing.TB, e *dispatch.Engine, l *ledger) error {
	t.Helper()
	snap, err := e.Snapshot()
	require.NoError(t, err)
	c, err := dispatch.Restore(pol(), snap, recorderOpts("", pol())...)
	require.NoError(t, err)
	l2 := &ledger{place: maps.Clone(l.place), seq: l.seq}
	for _, ev := range c.Advance(c.Now()) {
		if err := l2.apply(ev); err != nil {
			return err
		}
	}
	return l2.check(c)
}

// deleteLeases deletes partitions' lease keys, as the server's TTL does
// when their owner stops renewing them (paused, or cut off): the
// deterministic form of a lapse.
func deleteLeases(t testing.TB, js jetstream.JetStream, prefix string, ps ...int) {
	t.Helper()
	if prefix == "" {
		prefix = "KEFU"
	}
	kv, err := js.KeyValue(ctx, prefix+"_LEASES")
	require.NoError(t, err)
	for _, p := range ps {
		require.NoError(t, kv.Delete(ctx, "p"+strconv.Itoa(p)))
	}
}

// wire returns events in their wire form (JSON), to compare them
// whatever the time.Location of their times.
func wire(t testing.TB, evs []dispatch.Event) []string {
	t.Helper()
	w := make([]string, len(evs))
	for i, ev := range evs {
		b, err := ev.MarshalJSON()
		require.NoError(t, err)
		w[i] = string(b)
	}
	return w
}

// seqs returns the Seq of events.
func seqs(evs []dispatch.Event) []uint64 {
	s := make([]uint64, len(evs))
	for i, ev := range evs {
		s[i] = ev.Seq
	}
	return s
}
