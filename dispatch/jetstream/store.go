package kefujs

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
)

// ErrNotOwner: this process does not own the shop's partition (another
// does, or its lease lapsed and another took it over: its appends are
// fenced). It wraps durable.ErrFenced, so a durable.Host drops the shop
// and a transport answers 409 (class dispatch.ErrConflict); the caller
// retries on the owner (Store.Owner).
var ErrNotOwner = fmt.Errorf("kefujs: not the owner of the shop's partition: %w", durable.ErrFenced)

// Config configures a Store. Only the partition count must be the same
// in every process of a deployment, for the life of the data.
type Config struct {
	// Prefix names the stream ("<Prefix>_OPS"), the lease bucket
	// ("<Prefix>_LEASES") and the subjects ("<Prefix>.ops.…"); default
	// "KEFU".
	Prefix string
	// Partitions is how many partitions shops are hashed onto (FNV-1a of
	// the shop id); a partition is owned by one process at a time.
	// Default 64.
	Partitions int
	// Replicas of the stream and the lease bucket: 1 on a single server,
	// 3 on a cluster (a stream leader lost then loses no acknowledged
	// op). Default 1.
	Replicas int
	// LeaseTTL is how long a partition's lease lives without renewal; a
	// dead owner's partitions are free this long after it died. Renewed
	// every third of it. Default 10 s.
	LeaseTTL time.Duration
	// Owner names this process in the leases (unique per process);
	// default a random id.
	Owner string
	// Logger receives lease losses and renewal errors. Default
	// zap.NewNop().
	Logger *zap.Logger
}

// Store is a durable.Log and durable.SnapshotStore on NATS JetStream,
// shared by many processes, with fenced ownership of shops.
//
// # Design
//
// Shops are hashed onto Config.Partitions partitions. A partition is
// owned through a lease, a key in a key-value bucket with a TTL: created
// by the process that takes the partition, updated by revision every
// LeaseTTL/3, so a process that cannot update it (its revision is stale:
// the lease lapsed and someone else took it) stops. A lease alone is not
// enough: a process paused longer than the TTL (a GC pause, a partition
// of the network) wakes up believing it still owns the partition. So
// the new owner fences: it publishes a message on the partition's fence
// subject, expecting that subject's last sequence, and every op any
// owner appends carries "the fence subject's last sequence is mine"
// (JetStream's expected-last-subject-sequence check, made by the stream
// leader for each message, pipelined ones included). Once the new fence
// is in the stream, no append of the old owner can be accepted. Fencing
// on the stream's predicted sequence instead does not work: a stale
// writer's second in-flight message can be accepted after the fence.
// The leader of a replicated stream checks a subject's last sequence for
// one message at a time, and refuses (storing nothing) the others that
// come while it replicates that one: so a partition's appends, of all
// its shops, are replicated one after the other, each refused one sent
// again (Append does), and a partition's throughput is about one op per
// replication round trip. More partitions, more throughput.
//
// Each op is a message on "<Prefix>.ops.<partition>.<shop>" (the id in
// unpadded base64url) with its number and time in headers and its wire
// form as the body, and a message id "<shop>/<n>" so that a retried
// publish inside the stream's duplicate window is stored once. A
// snapshot is a message on "<Prefix>.snap.<partition>.<shop>", fenced
// the same way, so a stale owner cannot write an old snapshot over a new
// one; older snapshots and the ops a snapshot covers are purged.
// Snapshots are bounded by the servers' max_payload (1 MB by default;
// raise it for shops of thousands of agents).
type Store struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	kv     jetstream.KeyValue
	cfg    Config
	log    *zap.Logger
	name   string // stream name

	mu     sync.Mutex
	owned  map[int]*lease
	seqs   map[string][]noted // shop → its ops not yet trimmed: number and stream sequence
	closed bool
}

// lease is a partition this Store owns.
type lease struct {
	rev     uint64        // the lease key's revision
	renewed time.Time     // when the last successful renewal (or the take) was sent
	fence   durable.Fence // the sequence of this owner's fence message
	lost    bool          // renewal failed, or an append was fenced: the partition is another's
}

type noted struct{ n, seq uint64 }

// Open creates (or updates) the stream and the lease bucket and returns
// a Store that owns no partition yet (see Acquire; Claim takes a free
// one on demand). Its leases must be renewed every LeaseTTL/3 (Renew; a
// Node does it). Close it to release its partitions.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = "KEFU"
	}
	if cfg.Partitions == 0 {
		cfg.Partitions = 64
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = 10 * time.Second
	}
	if cfg.Owner == "" {
		cfg.Owner = nats.NewInbox()[len(nats.InboxPrefix):]
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Partitions < 1 || cfg.Partitions > 1<<16 || cfg.Replicas < 1 || cfg.Replicas > 5 ||
		cfg.LeaseTTL < 100*time.Millisecond || strings.ContainsAny(cfg.Prefix, ". *>\t\r\n") {
		return nil, fmt.Errorf("kefujs: invalid Config (partitions %d, replicas %d, lease %v, prefix %q)",
			cfg.Partitions, cfg.Replicas, cfg.LeaseTTL, cfg.Prefix)
	}
	s := &Store{js: js, cfg: cfg, log: cfg.Logger, name: cfg.Prefix + "_OPS",
		owned: make(map[int]*lease), seqs: make(map[string][]noted)}
	var err error
	s.stream, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       s.name,
		Subjects:   []string{cfg.Prefix + ".ops.>", cfg.Prefix + ".snap.>", cfg.Prefix + ".fence.>"},
		Storage:    jetstream.FileStorage,
		Replicas:   cfg.Replicas,
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("kefujs: stream %s: %w", s.name, err)
	}
	s.kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:   cfg.Prefix + "_LEASES",
		TTL:      cfg.LeaseTTL,
		Replicas: cfg.Replicas,
		Storage:  jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("kefujs: lease bucket: %w", err)
	}
	return s, nil
}

// Owner returns this Store's owner id (Config.Owner).
func (s *Store) Owner() string { return s.cfg.Owner }

// Partition returns the partition of a shop.
func (s *Store) Partition(shop string) int {
	h := fnv.New32a()
	h.Write([]byte(shop))
	return int(h.Sum32() % uint32(s.cfg.Partitions))
}

func (s *Store) token(shop string) string { return base64.RawURLEncoding.EncodeToString([]byte(shop)) }

func (s *Store) opsSubject(shop string) string {
	return fmt.Sprintf("%s.ops.%d.%s", s.cfg.Prefix, s.Partition(shop), s.token(shop))
}

func (s *Store) snapSubject(shop string) string {
	return fmt.Sprintf("%s.snap.%d.%s", s.cfg.Prefix, s.Partition(shop), s.token(shop))
}

func (s *Store) fenceSubject(p int) string { return fmt.Sprintf("%s.fence.%d", s.cfg.Prefix, p) }

func leaseKey(p int) string { return "p" + strconv.Itoa(p) }

// shopOf parses a subject "<Prefix>.<kind>.<partition>.<token>".
func (s *Store) shopOf(subject string) (shop string, p int, ok bool) {
	parts := strings.Split(subject, ".")
	if len(parts) != 4 {
		return "", 0, false
	}
	p, err := strconv.Atoi(parts[2])
	if err != nil {
		return "", 0, false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil {
		return "", 0, false
	}
	return string(b), p, true
}

// OwnerOf returns the owner id holding shop's partition, and false if
// none does: a front end routes the shop's requests there.
func (s *Store) OwnerOf(ctx context.Context, shop string) (string, bool, error) {
	e, err := s.kv.Get(ctx, leaseKey(s.Partition(shop)))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(e.Value()), true, nil
}

// Owned returns the partitions this Store holds a live lease on, sorted.
func (s *Store) Owned() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ps []int
	for p, l := range s.owned {
		if !l.lost {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	return ps
}

// Acquire takes free partitions until this Store owns want of them (or
// none is free), in an order of its own (so that processes starting
// together spread out), and returns the partitions it took.
func (s *Store) Acquire(ctx context.Context, want int) ([]int, error) {
	order := make([]int, s.cfg.Partitions)
	h := fnv.New32a()
	h.Write([]byte(s.cfg.Owner))
	start := int(h.Sum32() % uint32(s.cfg.Partitions))
	for i := range order {
		order[i] = (start + i) % s.cfg.Partitions
	}
	var took []int
	for _, p := range order {
		if len(s.Owned()) >= want {
			break
		}
		ok, err := s.take(ctx, p)
		if err != nil {
			return took, err
		}
		if ok {
			took = append(took, p)
		}
	}
	return took, nil
}

// Free returns the partitions no process holds a lease on, sorted.
func (s *Store) Free(ctx context.Context) ([]int, error) {
	keys, err := s.kv.Keys(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, fmt.Errorf("kefujs: leases: %w", err)
	}
	held := make(map[string]bool, len(keys))
	for _, k := range keys {
		held[k] = true
	}
	var free []int
	for p := range s.cfg.Partitions {
		if !held[leaseKey(p)] {
			free = append(free, p)
		}
	}
	return free, nil
}

// take tries to acquire partition p: create its lease, then publish the
// fence. It returns false if another process holds the lease, and while
// p's lease is lost but not yet forgotten (Renew reported it, and a Node
// drops the partition's shops before it forgets it): a host may still
// hold shops of p loaded under the old fence.
func (s *Store) take(ctx context.Context, p int) (bool, error) {
	s.mu.Lock()
	if l := s.owned[p]; l != nil {
		ours := !l.lost
		s.mu.Unlock()
		return ours, nil
	}
	if s.closed {
		s.mu.Unlock()
		return false, durable.ErrClosed
	}
	s.mu.Unlock()
	start := time.Now()
	rev, err := s.kv.Create(ctx, leaseKey(p), []byte(s.cfg.Owner))
	if errors.Is(err, jetstream.ErrKeyExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("kefujs: lease of partition %d: %w", p, err)
	}
	// The fence: after the previous fence of p, and the last one.
	subj := s.fenceSubject(p)
	var last uint64
	m, err := s.stream.GetLastMsgForSubject(ctx, subj)
	switch {
	case err == nil:
		last = m.Sequence
	case !errors.Is(err, jetstream.ErrMsgNotFound):
		return false, fmt.Errorf("kefujs: fence of partition %d: %w", p, err)
	}
	ack, err := s.publishFenced(ctx, func() *nats.Msg { return &nats.Msg{Subject: subj, Data: []byte(s.cfg.Owner)} },
		jetstream.WithExpectLastSequencePerSubject(last))
	if err != nil {
		// Someone fenced in between: the lease lapsed and was taken. Not ours.
		s.kv.Delete(ctx, leaseKey(p), jetstream.LastRevision(rev))
		if wrongLast(err) {
			return false, nil
		}
		return false, fmt.Errorf("kefujs: fence of partition %d: %w", p, err)
	}
	s.mu.Lock()
	s.owned[p] = &lease{rev: rev, renewed: start, fence: durable.Fence(ack.Sequence)}
	s.mu.Unlock()
	s.log.Info("kefujs: took partition", zap.Int("partition", p), zap.Uint64("fence", ack.Sequence))
	return true, nil
}

// publishFenced publishes the message msg builds, with opts (an
// expected last sequence of a fence subject among them), and waits for
// its acknowledgement. The leader of a replicated stream checks one
// expected last sequence per subject at a time: a message that checks
// a subject while another one checking it is being replicated is
// refused with JSErrCodeStreamWrongLastSequenceConstant, nothing
// stored. Every append of a partition checks its fence subject, so
// concurrent appends to shops of one partition meet that often: the
// message is sent again, after a short pause, until ctx is done.
func (s *Store) publishFenced(ctx context.Context, msg func() *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	pause := 100 * time.Microsecond
	for {
		ack, err := s.js.PublishMsg(ctx, msg(), opts...)
		if !busy(err) {
			return ack, err
		}
		t := time.NewTimer(pause/2 + rand.N(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		pause = min(2*pause, 20*time.Millisecond)
	}
}

// busy reports a message refused because another one checking the same
// subject's last sequence was being replicated: nothing was stored.
func busy(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

// fenced reports a failed fence check: the expected subject's last
// sequence is not the fence (another owner fenced the partition since).
func fenced(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// wrongLast reports a failed expected-last-sequence check.
func wrongLast(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
	}
	return false
}

// Renew renews every lease (call it every LeaseTTL/3: a Node does) and
// returns the partitions lost: their leases were taken over, or expired,
// while this process was away (the renewal fails, or an append was
// fenced). They stay lost, and are returned again, until they are
// released (Release, or a Node's next step): only then may they be taken
// again. A renewal that fails for want of an answer (a timeout, no
// responders while the bucket's servers elect a leader) is tried again
// at the next call: the lease is lost only when the key is gone or holds
// another owner, or when no renewal has succeeded for LeaseTTL (it may
// have lapsed, and been taken). A renewal refused for a stale revision
// is checked too: one whose answer was lost may have been stored, and
// the key then holds this owner at a revision this Store has not seen.
func (s *Store) Renew(ctx context.Context) []int {
	s.mu.Lock()
	type todo struct {
		p   int
		rev uint64
	}
	var ls []todo
	var lost []int
	for p, l := range s.owned {
		if l.lost {
			lost = append(lost, p)
		} else {
			ls = append(ls, todo{p, l.rev})
		}
	}
	s.mu.Unlock()
	for _, l := range ls {
		start := time.Now()
		ctx, cancel := context.WithTimeout(ctx, s.cfg.LeaseTTL/3)
		rev, err := s.kv.Update(ctx, leaseKey(l.p), []byte(s.cfg.Owner), l.rev)
		gone := false
		if err != nil && wrongLast(err) {
			e, gerr := s.kv.Get(ctx, leaseKey(l.p))
			switch {
			case gerr == nil && string(e.Value()) == s.cfg.Owner: // ours, at another revision
				rev, err = s.kv.Update(ctx, leaseKey(l.p), []byte(s.cfg.Owner), e.Revision())
			case gerr == nil, errors.Is(gerr, jetstream.ErrKeyNotFound), errors.Is(gerr, jetstream.ErrKeyDeleted):
				gone = true // another owner's, or lapsed
			}
		}
		cancel()
		s.mu.Lock()
		if ow := s.owned[l.p]; ow != nil && !ow.lost {
			switch {
			case err == nil:
				ow.rev, ow.renewed = rev, start
			case gone || time.Since(ow.renewed) >= s.cfg.LeaseTTL:
				ow.lost = true
			}
		}
		if ow := s.owned[l.p]; ow != nil && ow.lost {
			lost = append(lost, l.p)
		}
		s.mu.Unlock()
		if err != nil {
			s.log.Warn("kefujs: lease renewal failed", zap.Int("partition", l.p), zap.Bool("lost", gone), zap.Error(err))
		}
	}
	slices.Sort(lost)
	return lost
}

// forgetLost drops the partitions whose leases were lost, so that they
// may be taken again when free, and what it noted of their shops' ops.
func (s *Store) forgetLost() {
	s.mu.Lock()
	defer s.mu.Unlock()
	lost := map[int]bool{}
	for p, l := range s.owned {
		if l.lost {
			delete(s.owned, p)
			lost[p] = true
		}
	}
	for shop := range s.seqs { // the new owner trims them; this Store never will
		if lost[s.Partition(shop)] {
			delete(s.seqs, shop)
		}
	}
}

// Release gives up partition p: the lease is deleted (if still this
// Store's), so another process can take it at once.
func (s *Store) Release(ctx context.Context, p int) error {
	s.mu.Lock()
	l := s.owned[p]
	delete(s.owned, p)
	if l == nil || l.lost {
		s.mu.Unlock()
		return nil
	}
	rev := l.rev
	s.mu.Unlock()
	err := s.kv.Delete(ctx, leaseKey(p), jetstream.LastRevision(rev))
	if err != nil && !wrongLast(err) {
		return err
	}
	return nil
}

// Close releases every partition. Appends after it fail.
func (s *Store) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return durable.ErrClosed
	}
	s.closed = true
	ps := make([]int, 0, len(s.owned))
	for p := range s.owned {
		ps = append(ps, p)
	}
	s.mu.Unlock()
	var errs []error
	for _, p := range ps {
		errs = append(errs, s.Release(ctx, p))
	}
	return errors.Join(errs...)
}

// fenceOf returns the fence of shop's partition, taking the partition if
// it is free; ErrNotOwner if another process holds it.
func (s *Store) fenceOf(ctx context.Context, shop string) (durable.Fence, error) {
	p := s.Partition(shop)
	s.mu.Lock()
	if l := s.owned[p]; l != nil && !l.lost {
		s.mu.Unlock()
		return l.fence, nil
	}
	s.mu.Unlock()
	ok, err := s.take(ctx, p)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("%w: shop %q (partition %d)", ErrNotOwner, shop, p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.owned[p].fence, nil
}

// Claim returns the fence of shop's partition: this Store owns it, or
// takes it now if it is free. ErrNotOwner if another process holds it.
func (s *Store) Claim(ctx context.Context, shop string) (durable.Fence, error) {
	if err := checkShop(shop); err != nil {
		return 0, err
	}
	return s.fenceOf(ctx, shop)
}

func checkShop(shop string) error {
	if shop == "" || len(shop) > 128 {
		return fmt.Errorf("%w: %q", durable.ErrInvalidShop, shop)
	}
	return nil
}

// Headers of an op's message.
const (
	hdrN   = "Kefu-N"
	hdrAt  = "Kefu-At"
	hdrDue = "Kefu-Due"
)

// Append publishes recs one after the other, each expecting the
// partition's fence to be the last (so a stale owner's appends fail with
// ErrNotOwner), and returns when every one is acknowledged. One at a
// time, so that what the stream holds after a failure is a prefix of
// recs: pipelined, a record refused (or lost with a connection) could
// be followed by the next one stored. A retry of a record the stream
// stored within its duplicate window is acknowledged as a duplicate and
// stored once; another op under a number stored within the window is
// durable.ErrDiverged (or ErrNotOwner: see duplicate).
func (s *Store) Append(ctx context.Context, shop string, fence durable.Fence, recs []durable.Record) error {
	if err := checkShop(shop); err != nil {
		return err
	}
	p := s.Partition(shop)
	subj, fsubj := s.opsSubject(shop), s.fenceSubject(p)
	for i := range recs {
		r := &recs[i]
		body, err := r.Op.MarshalJSON()
		if err != nil {
			return err
		}
		at := r.At.Format(time.RFC3339Nano)
		ack, err := s.publishFenced(ctx, func() *nats.Msg {
			m := nats.NewMsg(subj)
			m.Data = body
			m.Header.Set(hdrN, strconv.FormatUint(r.N, 10))
			m.Header.Set(hdrAt, at)
			return m
		}, jetstream.WithMsgID(shop+"/"+strconv.FormatUint(r.N, 10)),
			jetstream.WithExpectLastSequenceForSubject(uint64(fence), fsubj))
		if err != nil {
			return s.appendErr(shop, p, fence, err)
		}
		if ack.Duplicate {
			if err := s.duplicate(ctx, shop, p, fence, r.N, at, body, ack.Sequence); err != nil {
				return err
			}
		}
		s.note(shop, noted{r.N, ack.Sequence})
	}
	return nil
}

// note records that shop's op x.n is at stream sequence x.seq, for Trim
// (a retry's duplicate may be noted already, or missing: a read may
// have come before it was stored).
func (s *Store) note(shop string, x noted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.seqs[shop]
	i, found := slices.BinarySearchFunc(rs, x.n, func(r noted, n uint64) int { return cmp.Compare(r.n, n) })
	if !found {
		s.seqs[shop] = slices.Insert(rs, i, x)
	}
}

// duplicate checks a record the stream acknowledged as a duplicate (its
// message id, "<shop>/<n>", is in the duplicate window): the message
// stored under it at seq must be this record, a retry. Otherwise the
// number holds another op, which this Append must not report stored:
// ErrNotOwner if the partition's fence has moved (a stale owner, whose
// number the new owner has used since: a replicated stream's leader
// checks the message id before the fence, so the duplicate answer comes
// first), else durable.ErrDiverged.
func (s *Store) duplicate(ctx context.Context, shop string, p int, fence durable.Fence, n uint64, at string, body []byte, seq uint64) error {
	m, err := s.stream.GetMsg(ctx, seq)
	switch {
	case err == nil:
		if m.Subject == s.opsSubject(shop) && m.Header.Get(hdrN) == strconv.FormatUint(n, 10) &&
			m.Header.Get(hdrAt) == at && string(m.Data) == string(body) {
			return nil
		}
	case !errors.Is(err, jetstream.ErrMsgNotFound): // not found: trimmed since
		return fmt.Errorf("kefujs: append to shop %q: checking a duplicate: %w", shop, err)
	}
	last, err := s.stream.GetLastMsgForSubject(ctx, s.fenceSubject(p))
	if err != nil {
		return fmt.Errorf("kefujs: append to shop %q: checking the fence: %w", shop, err)
	}
	if last.Sequence != uint64(fence) {
		s.mu.Lock()
		if l := s.owned[p]; l != nil && l.fence == fence {
			l.lost = true
		}
		s.mu.Unlock()
		return fmt.Errorf("%w: shop %q (partition %d was fenced by another owner, whose op %d this is not)", ErrNotOwner, shop, p, n)
	}
	return fmt.Errorf("%w: shop %q op %d (stream sequence %d)", durable.ErrDiverged, shop, n, seq)
}

// appendErr maps a failed publish made with fence: a failed fence check
// is ErrNotOwner, and marks the partition lost if fence is its lease's
// (an append with an older fence, of a shop loaded before the partition
// was lost and taken again, says nothing of the lease in force).
func (s *Store) appendErr(shop string, p int, fence durable.Fence, err error) error {
	if fenced(err) {
		s.mu.Lock()
		if l := s.owned[p]; l != nil && l.fence == fence {
			l.lost = true
		}
		s.mu.Unlock()
		return fmt.Errorf("%w: shop %q (partition %d was fenced by another owner)", ErrNotOwner, shop, p)
	}
	return fmt.Errorf("kefujs: append to shop %q: %w", shop, err)
}

// Read calls fn with shop's ops numbered above after, in order: the
// messages still in the shop's subject.
func (s *Store) Read(ctx context.Context, shop string, after uint64, fn func(durable.Record) error) error {
	if err := checkShop(shop); err != nil {
		return err
	}
	subj := s.opsSubject(shop)
	var seen []noted
	for seq := uint64(1); ; {
		m, err := s.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subj))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return fmt.Errorf("kefujs: read shop %q: %w", shop, err)
		}
		seq = m.Sequence + 1
		r, err := record(m)
		if err != nil {
			return fmt.Errorf("%w: shop %q, stream sequence %d: %v", durable.ErrCorrupt, shop, m.Sequence, err)
		}
		seen = append(seen, noted{r.N, m.Sequence})
		if r.N <= after {
			continue
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.seqs[shop] = seen
	s.mu.Unlock()
	return nil
}

// record decodes an op's message.
func record(m *jetstream.RawStreamMsg) (durable.Record, error) {
	var r durable.Record
	n, err := strconv.ParseUint(m.Header.Get(hdrN), 10, 64)
	if err != nil || n == 0 {
		return r, fmt.Errorf("bad %s header %q", hdrN, m.Header.Get(hdrN))
	}
	at, err := time.Parse(time.RFC3339Nano, m.Header.Get(hdrAt))
	if err != nil {
		return r, fmt.Errorf("bad %s header: %v", hdrAt, err)
	}
	var op dispatch.Op
	if err := op.UnmarshalJSON(m.Data); err != nil {
		return r, err
	}
	return durable.Record{N: n, At: at, Op: op}, nil
}

// Trim purges shop's ops numbered through n from the stream.
func (s *Store) Trim(ctx context.Context, shop string, fence durable.Fence, through uint64) error {
	if err := checkShop(shop); err != nil {
		return err
	}
	s.mu.Lock()
	recs := s.seqs[shop]
	k := 0
	for k < len(recs) && recs[k].n <= through {
		k++
	}
	if k == 0 {
		s.mu.Unlock()
		return nil
	}
	opts := []jetstream.StreamPurgeOpt{jetstream.WithPurgeSubject(s.opsSubject(shop))}
	if k < len(recs) {
		opts = append(opts, jetstream.WithPurgeSequence(recs[k].seq))
	}
	s.mu.Unlock()
	if err := s.stream.Purge(ctx, opts...); err != nil {
		return fmt.Errorf("kefujs: trim shop %q: %w", shop, err)
	}
	s.mu.Lock()
	if rest := s.seqs[shop][k:]; len(rest) > 0 {
		s.seqs[shop] = slices.Clone(rest)
	} else {
		delete(s.seqs, shop)
	}
	s.mu.Unlock()
	return nil
}

// Pending calls fn with every shop of the partitions this Store owns that
// has ops in the stream.
func (s *Store) Pending(ctx context.Context, fn func(shop string) error) error {
	return s.subjects(ctx, "ops", fn)
}

// subjects calls fn with the shop of every subject of this kind in the
// partitions this Store owns.
func (s *Store) subjects(ctx context.Context, kind string, fn func(shop string) error) error {
	owned := s.Owned()
	if len(owned) == 0 {
		return nil
	}
	info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(s.cfg.Prefix+"."+kind+".>"))
	if err != nil {
		return fmt.Errorf("kefujs: %w", err)
	}
	var shops []string
	for subj, n := range info.State.Subjects {
		shop, p, ok := s.shopOf(subj)
		if ok && n > 0 && slices.Contains(owned, p) {
			shops = append(shops, shop)
		}
	}
	slices.Sort(shops)
	for _, shop := range shops {
		if err := fn(shop); err != nil {
			return err
		}
	}
	return nil
}

// Put publishes shop's snapshot, fenced like an op (a stale owner's
// fails with ErrNotOwner), then purges the older ones.
func (s *Store) Put(ctx context.Context, shop string, snap durable.Snapshot) error {
	if err := checkShop(shop); err != nil {
		return err
	}
	fence, err := s.fenceOf(ctx, shop)
	if err != nil {
		return err
	}
	p, subj := s.Partition(shop), s.snapSubject(shop)
	ack, err := s.publishFenced(ctx, func() *nats.Msg {
		m := nats.NewMsg(subj)
		m.Data = snap.Data
		m.Header.Set(hdrN, strconv.FormatUint(snap.N, 10))
		if !snap.Due.IsZero() {
			m.Header.Set(hdrDue, snap.Due.Format(time.RFC3339Nano))
		}
		return m
	}, jetstream.WithExpectLastSequenceForSubject(uint64(fence), s.fenceSubject(p)))
	if err != nil {
		return s.appendErr(shop, p, fence, err)
	}
	if err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(subj), jetstream.WithPurgeSequence(ack.Sequence)); err != nil {
		s.log.Warn("kefujs: purging old snapshots", zap.String("shop", shop), zap.Error(err))
	}
	return nil
}

// Get returns shop's latest snapshot, or durable.ErrNoSnapshot.
func (s *Store) Get(ctx context.Context, shop string) (durable.Snapshot, error) {
	if err := checkShop(shop); err != nil {
		return durable.Snapshot{}, err
	}
	m, err := s.stream.GetLastMsgForSubject(ctx, s.snapSubject(shop))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return durable.Snapshot{}, fmt.Errorf("%w: %q", durable.ErrNoSnapshot, shop)
	}
	if err != nil {
		return durable.Snapshot{}, fmt.Errorf("kefujs: snapshot of shop %q: %w", shop, err)
	}
	snap, err := snapshotOf(m)
	if err != nil {
		return snap, fmt.Errorf("%w: snapshot of shop %q: %v", durable.ErrCorrupt, shop, err)
	}
	snap.Data = m.Data
	return snap, nil
}

func snapshotOf(m *jetstream.RawStreamMsg) (durable.Snapshot, error) {
	var snap durable.Snapshot
	n, err := strconv.ParseUint(m.Header.Get(hdrN), 10, 64)
	if err != nil {
		return snap, fmt.Errorf("bad %s header", hdrN)
	}
	snap.N = n
	if d := m.Header.Get(hdrDue); d != "" {
		if snap.Due, err = time.Parse(time.RFC3339Nano, d); err != nil {
			return snap, fmt.Errorf("bad %s header", hdrDue)
		}
	}
	return snap, nil
}

// List calls fn with the N and Due of the snapshot of every shop of the
// partitions this Store owns.
func (s *Store) List(ctx context.Context, fn func(shop string, snap durable.Snapshot) error) error {
	return s.subjects(ctx, "snap", func(shop string) error {
		m, err := s.stream.GetLastMsgForSubject(ctx, s.snapSubject(shop))
		if err != nil {
			return fmt.Errorf("kefujs: snapshot of shop %q: %w", shop, err)
		}
		snap, err := snapshotOf(m)
		if err != nil {
			return fmt.Errorf("%w: snapshot of shop %q: %v", durable.ErrCorrupt, shop, err)
		}
		return fn(shop, snap)
	})
}

var (
	_ durable.Log           = (*Store)(nil)
	_ durable.SnapshotStore = (*Store)(nil)
)
