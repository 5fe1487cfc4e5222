// Command demo runs kefu's dispatch on NATS JetStream end to end, in one
// process: a cluster of three NATS servers, three hosts (kefujs Nodes)
// sharing twelve partitions of shops, customer-service traffic on nine
// shops, then one host dies, the others take its partitions over, the
// traffic goes on, and the invariants are checked against an in-memory
// oracle of every acknowledged op. It exits 0 if they hold.
//
//	go -C dispatch/jetstream run ./cmd/demo
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
	kefujs "github.com/kefu-dev/kefu/dispatch/jetstream"
	"github.com/kefu-dev/kefu/dispatch/jetstream/internal/natscluster"
	"github.com/kefu-dev/kefu/policy"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo: FAILED:", err)
		os.Exit(1)
	}
}

const (
	partitions = 12
	leaseTTL   = 2 * time.Second
	opTimeout  = 2 * time.Second
)

var shopNames = []string{"tea-house", "phone-cases", "noodle-bar", "silk-road", "panda-toys",
	"jade-garden", "bike-parts", "lucky-cat", "dumpling-co"}

// host is one process of the deployment: its own connection to the
// cluster and a kefujs Node on it.
type host struct {
	name string
	nc   *nats.Conn
	node *kefujs.Node
	dead bool
}

type demo struct {
	out     io.Writer
	outMu   sync.Mutex
	start   time.Time
	cluster *natscluster.Cluster
	hosts   []*host
	mu      sync.Mutex // hosts' dead flags, killedAt, waiting
	killed  time.Time
	waiting map[int]bool // partitions a shop waited for, after the kill
	shops   []*shop
}

func (d *demo) printf(format string, args ...any) {
	d.outMu.Lock()
	defer d.outMu.Unlock()
	fmt.Fprintf(d.out, format, args...)
}

func run(out io.Writer) error {
	d := &demo{out: out, start: time.Now(), waiting: make(map[int]bool)}
	d.printf("kefu on NATS JetStream: 3 servers, 3 hosts, %d partitions, %d shops\n", partitions, len(shopNames))

	d.printf("\n== 1. a NATS cluster of three servers, in this process\n")
	dir, err := os.MkdirTemp("", "kefu-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	t := time.Now()
	d.cluster, err = natscluster.Start(dir, 3, 30*time.Second)
	if err != nil {
		return err
	}
	defer d.cluster.Shutdown()
	d.printf("   servers n1 n2 n3 up, JetStream meta leader elected, in %v\n", since(t))

	d.printf("\n== 2. three hosts, each a kefujs.Node on its own connection\n")
	d.printf("   Config{Partitions: %d, Replicas: 3, LeaseTTL: %v}: the ops stream and the lease bucket\n", partitions, leaseTTL)
	d.printf("   are replicated on the three servers; each host takes %d partitions (a lease each, and a fence)\n", partitions/3)
	for i := range 3 {
		h, err := d.startHost(fmt.Sprintf("host-%d", i+1))
		if err != nil {
			return err
		}
		d.hosts = append(d.hosts, h)
		d.printf("   %s owns partitions %v\n", h.name, h.node.Store.Owned())
	}
	defer func() {
		for _, h := range d.hosts {
			if !h.dead {
				h.node.Close(context.Background())
			}
			h.nc.Close()
		}
	}()

	d.printf("\n== 3. shops, each hashed onto a partition; a shop is created on the host that owns it\n")
	for i, name := range shopNames {
		s := newShop(name, uint64(i+1))
		d.shops = append(d.shops, s)
		h := d.route(s)
		if err := h.node.Host.Create(context.Background(), name, policy.Kuaishou()); err != nil {
			return fmt.Errorf("creating %s: %w", name, err)
		}
		d.printf("   %-12s partition %2d  on %s\n", name, s.partition(d), h.name)
	}

	d.printf("\n== 4. traffic: one goroutine per shop, random ops (agents, buyers, messages, closes)\n")
	d.printf("   every op is appended to the stream (acknowledged by a majority of servers), then applied;\n")
	d.printf("   a few, as they happen (shop time, shop, op → events, numbered per shop; ops with no\n")
	d.printf("   event not shown; a rejected op is logged too, it moves the shop's clock):\n")
	t = time.Now()
	if err := d.traffic(40, 16); err != nil {
		return err
	}
	n1 := d.acked()
	d.printf("   … %d ops acknowledged in %v\n", n1, since(t))

	victim := d.hosts[1]
	before := victim.node.Store.Owned()
	d.printf("\n== 5. %s dies: its connection is closed, nothing released; its leases lapse after %v\n", victim.name, leaseTTL)
	d.printf("   its partitions %v: the shops there wait until another host can take them\n", before)
	d.mu.Lock()
	victim.dead = true
	d.killed = time.Now()
	d.mu.Unlock()
	victim.nc.Close()

	d.printf("\n== 6. traffic goes on; a request for a shop of a dead host's partition goes to a live host,\n")
	d.printf("   which takes the partition (a new lease, a new fence) once the old lease has lapsed,\n")
	d.printf("   and loads the shop from the stream: its snapshot, then every op after it (the survivors\n")
	d.printf("   hold their share of %d partitions already, so they take the dead host's on demand)\n", partitions/3)
	t = time.Now()
	if err := d.traffic(40, 4); err != nil {
		return err
	}
	d.printf("   … %d more ops acknowledged in %v\n", d.acked()-n1, since(t))
	for _, h := range d.hosts {
		if h.dead {
			continue
		}
		var took []int
		for _, p := range h.node.Store.Owned() {
			if slices.Contains(before, p) {
				took = append(took, p)
			}
		}
		d.printf("   %s now owns %v (took %v from %s)\n", h.name, h.node.Store.Owned(), took, victim.name)
	}

	d.printf("\n== 7. the invariants\n")
	if err := d.check(); err != nil {
		return err
	}
	d.printf("\nOK: every acknowledged op is in the log, every shop verifies, in %v\n", since(d.start))
	return nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

// startHost connects to every server (so it fails over between them)
// and starts a Node; the servers may need a moment after the cluster
// forms before the stream can be created.
func (d *demo) startHost(name string) (*host, error) {
	nc, js, err := d.cluster.Connect(nats.Name(name))
	if err != nil {
		return nil, err
	}
	cfg := kefujs.Config{Partitions: partitions, Replicas: 3, LeaseTTL: leaseTTL, Owner: name}
	deadline := time.Now().Add(20 * time.Second)
	for {
		node, err := kefujs.Start(context.Background(), js, cfg, durable.HostOptions{}, partitions/3)
		if err == nil {
			return &host{name: name, nc: nc, node: node}, nil
		}
		if time.Now().After(deadline) {
			nc.Close()
			return nil, fmt.Errorf("starting %s: %w", name, err)
		}
		time.Sleep(100 * time.Millisecond) // the cluster is still settling: try again
	}
}

// route picks the host for a shop, as a front end would: the live host
// that owns the shop's partition, or else (the partition is free, or
// its owner is dead) a live host chosen by the partition.
func (d *demo) route(s *shop) *host {
	p := s.partition(d)
	d.mu.Lock()
	defer d.mu.Unlock()
	var live []*host
	for _, h := range d.hosts {
		if h.dead {
			continue
		}
		if slices.Contains(h.node.Store.Owned(), p) {
			return h
		}
		live = append(live, h)
	}
	return live[p%len(live)]
}

func (d *demo) acked() int {
	n := 0
	for _, s := range d.shops {
		n += s.acked
	}
	return n
}

// traffic runs ops more ops on every shop, one goroutine each, and
// prints the first show of them.
func (d *demo) traffic(ops, show int) error {
	var wg sync.WaitGroup
	var shown sync.Mutex
	left := show
	errs := make([]error, len(d.shops))
	for i, s := range d.shops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range ops {
				line, err := d.step(s)
				if err != nil {
					errs[i] = err
					return
				}
				shown.Lock()
				if left > 0 && line != "" && !strings.HasSuffix(line, noEvent) {
					left--
					d.printf("   %s\n", line)
				}
				shown.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// step applies s's next op through the host that owns it now. An op
// whose Apply fails (a host or server gone, a partition not ours yet)
// is resolved by reading the shop again: if the op is in the log it
// counts (it goes to the oracle), if not it is sent again.
func (d *demo) step(s *shop) (string, error) {
	at, op := s.next()
	deadline := time.Now().Add(20 * time.Second)
	for {
		want := s.oracle.Ops() + 1
		h := d.route(s)
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		evs, err := h.node.Host.Apply(ctx, s.name, at, op)
		cancel()
		if err == nil || isEngineErr(err) {
			if oerr := s.acknowledge(at, op, evs, err); oerr != nil {
				return "", oerr
			}
			line := fmt.Sprintf("%s %-12s %-28s → %s", at.Format("15:04:05"), s.name, describe(op), describeEvents(evs, err))
			d.noteTakeover(s, h, line)
			return line, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%s: op %d (%s) not applied before the deadline: %w", s.name, want, describe(op), err)
		}
		if errors.Is(err, kefujs.ErrNotOwner) {
			d.noteWait(s)
		}
		ops, rerr := d.opsOf(s)
		switch {
		case rerr != nil: // no host can read the shop yet: try the op again
			pause()
		case ops == want:
			// Failed on the way back, yet in the log: it counts.
			s.oracle.Apply(at, op)
			s.acked++
			s.ambiguous++
			return "", nil
		case ops == want-1:
			s.retried++
		default:
			return "", fmt.Errorf("%s: op %d failed (%v) and the shop has %d ops", s.name, want, err, ops)
		}
	}
}

// pause waits a little before trying again a shop whose partition is
// still leased by a dead host: the lease lapses on the servers' clock.
func pause() { time.Sleep(50 * time.Millisecond) }

// opsOf reads the shop's op count on its host (loading it from the log).
func (d *demo) opsOf(s *shop) (uint64, error) {
	var ops uint64
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	err := d.route(s).node.Host.Read(ctx, s.name, func(e *dispatch.Engine) { ops = e.Ops() })
	return ops, err
}

// noteWait prints, once per partition, that a shop waits for a dead
// host's lease to lapse.
func (d *demo) noteWait(s *shop) {
	p := s.partition(d)
	d.mu.Lock()
	first := !d.killed.IsZero() && !d.waiting[p]
	d.waiting[p] = true
	d.mu.Unlock()
	if first {
		d.printf("   %-12s partition %2d is still leased by the dead host: ErrNotOwner, waiting (%v after the kill)\n",
			s.name, p, since(d.killed))
	}
}

// noteTakeover notes the host of a shop's acknowledged op, and prints
// the first one on another host after the kill.
func (d *demo) noteTakeover(s *shop, h *host, line string) {
	old := s.host
	s.host = h.name
	d.mu.Lock()
	killed := d.killed
	d.mu.Unlock()
	if killed.IsZero() || old == h.name {
		return
	}
	d.printf("   %-12s moved from %s to %s, %v after the kill; its next op there:\n      %s\n",
		s.name, old, h.name, since(killed), line)
}

// check verifies every shop on its host and on a fresh host.
func (d *demo) check() error {
	ctx := context.Background()
	ambiguous, retried := 0, 0
	for _, s := range d.shops {
		ambiguous += s.ambiguous
		retried += s.retried
		h := d.route(s)
		if err := s.check(ctx, h.node.Host); err != nil {
			return err
		}
	}
	d.printf("   on the live hosts, every shop: Verify holds (each open session in exactly one place,\n")
	d.printf("   loads match lists, timers right); no session is in two agents' lists nor lost; and the\n")
	d.printf("   shop is byte for byte the oracle, an engine in memory fed every acknowledged op\n")
	d.printf("   (%d acknowledged; %d failed with a dead host or server and were in the log all the same;\n", d.acked(), ambiguous)
	d.printf("   %d failed and were not, and were sent again)\n", retried)

	// The live hosts hand their partitions over (Close: snapshot, release)
	// and a fresh host takes them all and rebuilds every shop from the log.
	for _, h := range d.hosts {
		if !h.dead {
			if err := h.node.Close(ctx); err != nil {
				return fmt.Errorf("closing %s: %w", h.name, err)
			}
			h.dead = true
		}
	}
	fresh, err := d.startHost("auditor")
	if err != nil {
		return err
	}
	d.hosts = append(d.hosts, fresh)
	fresh.dead = false
	for _, s := range d.shops {
		if err := s.check(ctx, fresh.node.Host); err != nil {
			return fmt.Errorf("on a fresh host: %w", err)
		}
	}
	d.printf("   a fresh host, after the others closed, rebuilt all %d shops from the log: the same\n", len(d.shops))
	var b strings.Builder
	for _, s := range d.shops {
		fresh.node.Host.Read(ctx, s.name, func(e *dispatch.Engine) {
			fmt.Fprintf(&b, "   %-12s %3d ops, %d agents, %2d sessions open (%d queued, %d offline), last event #%d\n",
				s.name, e.Ops(), countAgents(e), e.Sessions(), e.QueueLen(), e.OfflineLen(), e.LastSeq())
		})
	}
	d.printf("%s", b.String())
	return nil
}

func countAgents(e *dispatch.Engine) int {
	n := 0
	for range e.Agents() {
		n++
	}
	return n
}

// shop is one shop's traffic and its oracle.
type shop struct {
	name      string
	r         *rand.Rand
	now       time.Time
	oracle    *dispatch.Engine
	host      string   // the host of its last acknowledged op
	sessions  []string // its latest sessions, open or not
	last      int      // its last session's number
	acked     int
	ambiguous int // failed, yet in the log
	retried   int // failed, not in the log, sent again
}

func newShop(name string, seed uint64) *shop {
	e, err := dispatch.New(policy.Kuaishou())
	if err != nil {
		panic(err)
	}
	return &shop{name: name, r: rand.New(rand.NewPCG(seed, 7)), oracle: e,
		now: time.Date(2026, 11, 11, 9, 0, 0, 0, policy.ChinaStandardTime())}
}

func (s *shop) partition(d *demo) int { return d.hosts[0].node.Store.Partition(s.name) }

// next returns the shop's next op, its clock moving on by up to 90 s:
// its first two ops add agents, then buyers come (each a new session),
// write, are answered by the agent who has them, are closed or leave,
// and agents log out and in; some ops the engine rejects (a session
// closed meanwhile), which are logged all the same.
func (s *shop) next() (time.Time, dispatch.Op) {
	s.now = s.now.Add(time.Duration(s.r.IntN(90)) * time.Second)
	if n := s.oracle.Ops(); n < 2 {
		return s.now, dispatch.Op{Kind: dispatch.OpAddAgent, Agent: fmt.Sprint("a", n+1),
			AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(2)}}
	}
	ag := fmt.Sprint("a", 1+s.r.IntN(3))
	ses := ""
	if len(s.sessions) > 0 {
		ses = s.sessions[s.r.IntN(len(s.sessions))]
		if info, ok := s.oracle.Session(ses); ok && info.Agent != "" {
			ag = info.Agent
		}
	}
	k := s.r.IntN(20)
	if ses == "" {
		k = 5
	}
	switch {
	case k == 0:
		return s.now, dispatch.Op{Kind: dispatch.OpAddAgent, Agent: ag, AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(2)}}
	case k == 1:
		return s.now, dispatch.Op{Kind: dispatch.OpLogout, Agent: ag}
	case k == 2:
		return s.now, dispatch.Op{Kind: dispatch.OpLogin, Agent: ag}
	case k < 8:
		s.last++
		id := fmt.Sprint("s", s.last)
		s.sessions = append(s.sessions, id)
		if len(s.sessions) > 8 {
			s.sessions = s.sessions[1:]
		}
		return s.now, dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: id, Buyer: "buyer-" + id}}
	case k < 11:
		return s.now, dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: ses, From: dispatch.FromBuyer}}
	case k < 15:
		return s.now, dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: ses, From: dispatch.FromAgent, Agent: ag}}
	case k < 19:
		return s.now, dispatch.Op{Kind: dispatch.OpClose, Session: ses}
	default:
		return s.now, dispatch.Op{Kind: dispatch.OpLeave, Session: ses}
	}
}

// acknowledge feeds an acknowledged op to the oracle, whose answer must
// be the host's, events (Seq included) and error alike.
func (s *shop) acknowledge(at time.Time, op dispatch.Op, evs []dispatch.Event, err error) error {
	oevs, oerr := s.oracle.Apply(at, op)
	s.acked++
	if fmt.Sprint(err) != fmt.Sprint(oerr) || fmt.Sprint(evs) != fmt.Sprint(oevs) {
		return fmt.Errorf("%s: op %d (%s): the host answered %v %v, the oracle %v %v",
			s.name, s.oracle.Ops(), describe(op), evs, err, oevs, oerr)
	}
	return nil
}

// check compares the shop on h with the oracle and checks that every
// open session is in exactly one place.
func (s *shop) check(ctx context.Context, h *durable.Host) error {
	want, err := s.oracle.Snapshot()
	if err != nil {
		return err
	}
	var cerr error
	err = h.Read(ctx, s.name, func(e *dispatch.Engine) {
		if err := e.Verify(); err != nil {
			cerr = fmt.Errorf("%s: Verify: %w", s.name, err)
			return
		}
		seen := make(map[string]string)
		listed := 0
		for a := range e.Agents() {
			list, _, err := e.List(a.ID, dispatch.Page{})
			if err != nil {
				cerr = err
				return
			}
			for _, si := range list {
				if other, dup := seen[si.ID]; dup {
					cerr = fmt.Errorf("%s: session %s is with %s and with %s", s.name, si.ID, other, a.ID)
					return
				}
				seen[si.ID] = a.ID
			}
			listed += len(list)
		}
		if placed := listed + e.QueueLen() + e.OfflineLen() + e.BotLen(); placed != e.Sessions() {
			cerr = fmt.Errorf("%s: %d sessions open, %d placed", s.name, e.Sessions(), placed)
			return
		}
		got, err := e.Snapshot()
		if err != nil {
			cerr = err
			return
		}
		if e.Ops() != s.oracle.Ops() || string(got) != string(want) {
			cerr = fmt.Errorf("%s: %d ops, the oracle %d; state differs: %v", s.name, e.Ops(), s.oracle.Ops(), string(got) != string(want))
		}
	})
	return errors.Join(err, cerr)
}

// isEngineErr reports an error of the engine (the op was logged and
// applied, and rejected): one of dispatch's classes, not the host's or
// the log's.
func isEngineErr(err error) bool {
	return !errors.Is(err, durable.ErrFenced) && !errors.Is(err, context.DeadlineExceeded) &&
		!strings.HasPrefix(err.Error(), "durable:") && !strings.HasPrefix(err.Error(), "kefujs:") &&
		strings.HasPrefix(err.Error(), "dispatch:")
}

// describe says what an op does, in a few words.
func describe(op dispatch.Op) string {
	switch op.Kind {
	case dispatch.OpAddAgent:
		return "agent " + op.Agent + " joins"
	case dispatch.OpLogout:
		return "agent " + op.Agent + " logs out"
	case dispatch.OpLogin:
		return "agent " + op.Agent + " logs in"
	case dispatch.OpArrive:
		return op.Arrival.Buyer + " asks (" + op.Arrival.Session + ")"
	case dispatch.OpMessage:
		if op.Message.From == dispatch.FromAgent {
			return op.Message.Agent + " replies in " + op.Message.Session
		}
		return "buyer writes in " + op.Message.Session
	case dispatch.OpClose:
		return "close " + op.Session
	case dispatch.OpLeave:
		return "buyer leaves " + op.Session
	}
	return op.String()
}

const noEvent = "(no event)"

// describeEvents says what the engine answered.
func describeEvents(evs []dispatch.Event, err error) string {
	if err != nil {
		return "rejected: " + strings.TrimPrefix(err.Error(), "dispatch: ")
	}
	if len(evs) == 0 {
		return noEvent
	}
	var parts []string
	for _, ev := range evs {
		s := fmt.Sprintf("#%d %s", ev.Seq, ev.Kind)
		switch {
		case ev.Kind == dispatch.EventAssigned:
			s += " " + ev.Session + "→" + ev.Agent
		case ev.Session != "":
			s += " " + ev.Session
		case ev.Agent != "":
			s += " " + ev.Agent
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
