package dispatch

import (
	"bytes"
	"cmp"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
	"github.com/kefu-dev/kefu/queue"
)

// Errors of [Restore].
var (
	// ErrCorruptSnapshot: the bytes are not a whole, consistent snapshot
	// (truncated, altered, or not one at all), or do not fit the policy.
	// Class ErrInvalid.
	ErrCorruptSnapshot = newError(ErrInvalid, "dispatch: corrupt snapshot")
	// ErrSnapshotVersion: the snapshot was written by a format version
	// this library does not read.
	// Class ErrInvalid.
	ErrSnapshotVersion = newError(ErrInvalid, "dispatch: unsupported snapshot version")
)

// SnapshotVersion is the format version Snapshot writes. Restore reads
// it and version 1 (written before snapshots carried the policy, event
// numbers and observers; times then lost the seconds of a UTC offset).
const SnapshotVersion = 2

const snapshotMagic = "kefu-snapshot"

// The snapshot body: everything that is state, nothing that is derived.
// Loads, offline counts, the bot count, timers and all indexes are rebuilt
// from it; Verify then checks the result. Enums are numbers (as version 1
// wrote them); times are RFC 3339 with the offset's seconds when it has
// any (formatTime), "" for none.
type snapshot struct {
	Now      stime          `json:"now"`
	Seq      uint64         `json:"seq"`
	EventSeq uint64         `json:"eventSeq,omitempty"` // v2: the latest Event.Seq
	Ops      uint64         `json:"ops,omitempty"`      // v2: ops applied
	Policy   *policy.Policy `json:"policy,omitempty"`   // v2
	Level    uint8          `json:"level"`
	Agents   []snapAgent    `json:"agents"`
	Sessions []snapSession  `json:"sessions"`
	// Recent: buyer → recent-contact agent (R1).
	Recent map[string]string `json:"recent,omitempty"`
	// RecentAt: when each contact in Recent was made; a contact missing
	// here (a snapshot written before kefu kept it) counts from Now.
	RecentAt  map[string]stime  `json:"recentAt,omitempty"`
	Prompts   []snapPrompt      `json:"prompts,omitempty"`
	Cursors   map[string]string `json:"cursors,omitempty"`
	Pending   []snapEvent       `json:"pending,omitempty"`
	Observers map[string][]byte `json:"observers,omitempty"` // v2: name → MarshalBinary
}

type snapAgent struct {
	ID       string       `json:"id"`
	Group    string       `json:"group,omitempty"`
	Status   uint8        `json:"status"`
	Resume   uint8        `json:"resume"`
	Capacity string       `json:"capacity"` // "unlimited", "suspended" or the limit
	Idle     stime        `json:"idle"`
	History  []snapClosed `json:"history,omitempty"`
	Seqs     []uint64     `json:"seqs,omitempty"`  // History[i]'s sequence
	Wraps    []snapWrap   `json:"wraps,omitempty"` // E5, oldest first
}

// snapWrap is a wrap-up (E5): the closed session's id, buyer and
// sequence, and when the wrap-up ends.
type snapWrap struct {
	Session string `json:"session"`
	Buyer   string `json:"buyer,omitempty"`
	Seq     uint64 `json:"seq"`
	Until   stime  `json:"until"`
	Units   int    `json:"units,omitempty"` // E10: the closed session's weight if above 1
}

// snapClosed is a Closed record with version 1's field names.
type snapClosed struct {
	Session     string
	Buyer       string
	Arrived     stime
	LastMessage stime
	At          stime
	Reason      uint8
	Flags       uint8
}

type snapSession struct {
	ID         string `json:"id"`
	Buyer      string `json:"buyer,omitempty"`
	Group      string `json:"group,omitempty"`
	Priority   int    `json:"priority,omitempty"`
	Arrived    stime  `json:"arrived"`
	Seq        uint64 `json:"seq"`
	Place      uint8  `json:"place"`
	Agent      string `json:"agent,omitempty"`
	Flags      uint8  `json:"flags,omitempty"`
	LastFrom   uint8  `json:"lastFrom,omitempty"`
	LastMsg    stime  `json:"lastMsg"`
	WaitSince  stime  `json:"waitSince"`
	Unread     int    `json:"unread,omitempty"`
	Entered    stime  `json:"entered"`
	FirstReply stime  `json:"firstReply"`
	Stranger   bool   `json:"stranger,omitempty"`
	DMSent     int    `json:"dmSent,omitempty"`
	// E1-E3, absent from snapshots without them: an offer's deadline,
	// where the session waited, the agents that declined it, the times it
	// was reassigned.
	Until    *stime   `json:"until,omitempty"`
	From     uint8    `json:"from,omitempty"`
	Declined []string `json:"declined,omitempty"`
	Moves    int      `json:"moves,omitempty"`
	// E9: when the buyer last wrote, kept with Policy.InactiveAfter.
	BuyerAt *stime `json:"buyerAt,omitempty"`
	// E7: the rings of its group's widening open to a waiting session.
	Ring int `json:"ring,omitempty"`
	// E10, absent for a session of weight 1 (so a snapshot without
	// weighted sessions is as before): the units of capacity it costs,
	// fixed at its arrival, not derived again from the policy.
	Units int `json:"units,omitempty"`
}

type snapPrompt struct {
	Buyer string `json:"buyer"`
	At    stime  `json:"at"`
}

// snapEvent is an Event held by a rejected call, with version 1's field
// names (Seq is new in version 2).
type snapEvent struct {
	Seq     uint64 `json:",omitempty"`
	Kind    uint8
	At      stime
	Session string
	Buyer   string
	Agent   string
	From    string
	Cause   uint8
	Flags   uint8
	Arrived stime
	Warning uint8
	Sender  uint8
	Reason  uint8
	Prompt  Prompt
	Status  uint8 `json:",omitempty"` // EventOfferTimedOut (E2)
}

func toSnapEvent(ev Event) snapEvent {
	return snapEvent{Seq: ev.Seq, Kind: uint8(ev.Kind), At: stime(ev.At), Session: ev.Session, Buyer: ev.Buyer,
		Agent: ev.Agent, From: ev.From, Cause: uint8(ev.Cause), Flags: uint8(ev.Flags), Arrived: stime(ev.Arrived),
		Warning: uint8(ev.Warning), Sender: uint8(ev.Sender), Reason: uint8(ev.Reason), Prompt: ev.Prompt,
		Status: uint8(ev.Status)}
}

func (x snapEvent) event() Event {
	return Event{Seq: x.Seq, Kind: Kind(x.Kind), At: time.Time(x.At), Session: x.Session, Buyer: x.Buyer,
		Agent: x.Agent, From: x.From, Cause: Cause(x.Cause), Flags: Flags(x.Flags), Arrived: time.Time(x.Arrived),
		Warning: Warning(x.Warning), Sender: Sender(x.Sender), Reason: CloseReason(x.Reason), Prompt: x.Prompt,
		Status: agent.Status(x.Status)}
}

// stime is a time in a snapshot: formatTime's form, which keeps the
// seconds of a UTC offset (time.Time's JSON drops them); it reads
// version 1's RFC 3339 too.
type stime time.Time

func (t stime) MarshalJSON() ([]byte, error) {
	return json.Marshal(formatTime(time.Time(t)))
}

func (t *stime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	x, err := parseTime(s)
	if err != nil {
		return err
	}
	if x.IsZero() {
		x = time.Time{} // version 1 wrote the zero time in UTC
	}
	*t = stime(x)
	return nil
}

// Snapshot returns the engine's whole state as bytes: a header line with
// the format version and a CRC-32 of the body (Frame), then the body
// (JSON): the state, the policy, the number of the latest event, and the
// state of every observer that implements encoding.BinaryMarshaler, under
// its name. Cost O(n + w).
func (e *Engine) Snapshot() ([]byte, error) {
	pol := e.pol
	s := snapshot{Now: stime(e.now), Seq: e.seq, EventSeq: e.evSeq, Ops: e.ops, Policy: &pol, Level: uint8(e.level),
		Cursors: map[string]string{}}
	for x := range e.recent.all {
		// Contacts expired by now are forgotten lazily (at the next
		// assignment); a snapshot leaves them out, as Restore would drop
		// them: the bytes depend on the state, not on when it was swept.
		if ns(e.now)-x.at >= e.recent.ttl {
			continue
		}
		if s.Recent == nil {
			s.Recent, s.RecentAt = map[string]string{}, map[string]stime{}
		}
		s.Recent[x.buyer], s.RecentAt[x.buyer] = x.agent, stime(e.time(x.at))
	}
	for a := range e.roster.All() {
		sa := snapAgent{ID: a.ID(), Group: a.Group(), Status: uint8(a.Status()), Resume: uint8(a.Resume()),
			Capacity: a.Capacity().String(), Idle: stime(a.IdleSince())}
		h := &e.readDesk(a).history
		for i := range h.Len() {
			c := h.shown(i)
			sa.History = append(sa.History, snapClosed{Session: c.session, Buyer: c.buyer, Arrived: stime(e.time(c.arrived)),
				LastMessage: stime(e.time(c.lastMsg)), At: stime(e.time(c.at)), Reason: uint8(c.reason()), Flags: uint8(c.flags())})
			sa.Seqs = append(sa.Seqs, c.seq())
		}
		for _, w := range e.wrapping(a) {
			sa.Wraps = append(sa.Wraps, snapWrap{Session: w.entry.ID, Buyer: w.buyer, Seq: w.entry.Seq, Until: stime(e.time(w.deadline)), Units: int(w.units)})
		}
		s.Agents = append(s.Agents, sa)
	}
	for _, g := range append([]string{""}, e.roster.Groups()...) {
		if c := e.roster.Cursor(g); c != "" {
			s.Cursors[g] = c
		}
	}
	for _, x := range e.sessions {
		o := e.outreach[x]
		ss := snapSession{ID: x.entry.ID, Buyer: x.buyer, Group: e.groupOf(x), Priority: x.entry.Priority,
			Arrived: stime(e.time(x.entry.Arrived)), Seq: x.entry.Seq, Place: uint8(x.place), Flags: uint8(x.flags),
			LastFrom: uint8(x.lastFrom), LastMsg: stime(e.time(x.lastMsg)), WaitSince: stime(e.time(x.waitSince)),
			Unread: int(x.unread), Entered: stime(e.time(x.entered)), FirstReply: stime(e.time(o.firstReply)),
			Stranger: o.stranger, DMSent: int(o.dmSent)}
		if x.agent != nil {
			ss.Agent = x.agent.ID()
		}
		if x.place == PlaceOffered {
			u := stime(e.time(x.deadline))
			ss.Until, ss.From = &u, uint8(x.from)
		}
		for _, a := range e.declinesOf(x) {
			ss.Declined = append(ss.Declined, a.ID())
		}
		ss.Moves, ss.Ring, ss.Units = int(x.moves), int(x.ring), int(x.units)
		if at, ok := e.buyerAt[x]; ok {
			t := stime(e.time(at))
			ss.BuyerAt = &t
		}
		s.Sessions = append(s.Sessions, ss)
	}
	slices.SortFunc(s.Sessions, func(a, b snapSession) int { return cmpUint(a.Seq, b.Seq) })
	for _, p := range e.prompts.order[e.prompts.head:] {
		s.Prompts = append(s.Prompts, snapPrompt{p.buyer, stime(p.at)})
	}
	if e.carry {
		for _, ev := range e.out {
			s.Pending = append(s.Pending, toSnapEvent(ev))
		}
	}
	for _, o := range e.observers {
		if m, ok := o.o.(encoding.BinaryMarshaler); ok {
			b, err := m.MarshalBinary()
			if err != nil {
				return nil, fmt.Errorf("dispatch: snapshot of observer %q: %w", o.name, err)
			}
			if s.Observers == nil {
				s.Observers = map[string][]byte{}
			}
			s.Observers[o.name] = b
		}
	}
	body, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("dispatch: snapshot: %w", err)
	}
	return Frame(snapshotMagic, SnapshotVersion, body), nil
}

// stamp converts a time read from a snapshot: the zero time is 0 (none);
// others must lie in the engine's range (after 1970, before 2262).
func stamp(t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return 0, fmt.Errorf("time %v out of range", t)
	}
	return ns(t), nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Restore builds an engine from a snapshot taken by [Engine.Snapshot] and
// the shop's policy. The restored engine behaves exactly as the original
// would have from that point on, and numbers its events on from the
// snapshot's (Event.Seq). Corrupt, truncated or inconsistent bytes return
// an error wrapping ErrCorruptSnapshot (or ErrSnapshotVersion), never a
// panic and never a half-built engine.
//
// The snapshot carries the policy it was taken under (version 2): p must
// be equal to it (policy.Policy.Equal), or Restore returns
// ErrPolicyMismatch; read it with [SnapshotPolicy], and change it after
// the restore with SetPolicy, an op like any other, so that a replay of
// the log sees the change at its place. A version 1 snapshot has no
// policy: p is taken as it is, and the snapshot must fit its groups and
// capacity bounds.
//
// Observers given with WithObserver that implement
// encoding.BinaryUnmarshaler are loaded from their state in the snapshot,
// by name; one with no state there is an error (ErrCorruptSnapshot).
// Other observers start empty.
//
// Times come back with their instants and UTC offsets (seconds
// included); time.Location names are not kept, which changes no decision
// (the engine compares instants and uses the policy's zone for days and
// windows).
func Restore(p policy.Policy, data []byte, opts ...Option) (*Engine, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	s, err := decodeSnapshot(data)
	if err != nil {
		return nil, err
	}
	if s.Policy != nil && !s.Policy.Equal(p) {
		return nil, fmt.Errorf("%w: the snapshot's policy is %s", ErrPolicyMismatch, truncate(mustJSON(s.Policy)))
	}
	e, err := New(p, opts...)
	if err != nil {
		return nil, err
	}
	if err := e.load(s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptSnapshot, err)
	}
	if err := e.Verify(); err != nil {
		return nil, fmt.Errorf("%w: restored state is inconsistent: %v", ErrCorruptSnapshot, err)
	}
	for _, o := range e.observers {
		u, ok := o.o.(encoding.BinaryUnmarshaler)
		if !ok {
			continue
		}
		b, ok := s.Observers[o.name]
		if !ok {
			return nil, fmt.Errorf("%w: no state for observer %q", ErrCorruptSnapshot, o.name)
		}
		if err := u.UnmarshalBinary(b); err != nil {
			return nil, fmt.Errorf("%w: observer %q: %w", ErrCorruptSnapshot, o.name, err)
		}
	}
	return e, nil
}

// SnapshotPolicy returns the policy a snapshot was taken under, for
// Restore; ok is false for a version 1 snapshot, which has none.
func SnapshotPolicy(data []byte) (p policy.Policy, ok bool, err error) {
	s, err := decodeSnapshot(data)
	if err != nil || s.Policy == nil {
		return policy.Policy{}, false, err
	}
	return *s.Policy, true, nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// decodeSnapshot checks the frame and decodes the body.
func decodeSnapshot(data []byte) (*snapshot, error) {
	body, err := snapshotBody(data)
	if err != nil {
		return nil, err
	}
	var s snapshot
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptSnapshot, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the body", ErrCorruptSnapshot)
	}
	return &s, nil
}

// snapshotBody checks the header line and the checksum.
func snapshotBody(data []byte) ([]byte, error) {
	version, body, err := Unframe(snapshotMagic, data)
	if version != -1 && version != 1 && version != SnapshotVersion { // another format: its checksum may be too
		return nil, fmt.Errorf("%w: version %d, this library reads 1 and %d", ErrSnapshotVersion, version, SnapshotVersion)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptSnapshot, err)
	}
	return body, nil
}

// Frame wraps body in kefu's framing for persisted state: a header line
// "<magic> <version> <CRC-32 of body, 8 hex digits>\n", then body. The
// engine's snapshots and the metrics recorder's use it; so may a host's
// own records. magic must be one word (no spaces or newlines).
func Frame(magic string, version int, body []byte) []byte {
	head := fmt.Sprintf("%s %d %08x\n", magic, version, crc32.ChecksumIEEE(body))
	return append([]byte(head), body...)
}

// Unframe checks a header written by Frame with this magic and the body's
// checksum, and returns the version and the body. Only the bytes Frame
// writes are accepted ("<magic> <version in decimal> <8 lowercase hex
// digits>\n"), so one state has one byte string. Its error says what is
// wrong and wraps no sentinel: the caller wraps it with its own (as
// Restore does with ErrCorruptSnapshot) and checks the version. The
// version is -1 when the data does not start with a header of this
// magic; otherwise it is returned even with an error, so that a caller
// can tell a format it does not read (whose checksum may differ) from a
// corrupt one.
func Unframe(magic string, data []byte) (version int, body []byte, err error) {
	line, body, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return -1, nil, errors.New("no header line")
	}
	f := strings.Split(string(line), " ")
	if len(f) != 3 || f[0] != magic {
		return -1, nil, fmt.Errorf("bad header %q", truncate(line))
	}
	version, err = strconv.Atoi(f[1])
	if err != nil || version < 0 {
		return -1, nil, fmt.Errorf("bad version in header %q", truncate(line))
	}
	sum, err := strconv.ParseUint(f[2], 16, 32)
	if err != nil || fmt.Sprintf("%08x", sum) != f[2] || strconv.Itoa(version) != f[1] {
		return version, nil, fmt.Errorf("header %q is not as Frame writes it", truncate(line))
	}
	if c := crc32.ChecksumIEEE(body); c != uint32(sum) {
		return version, nil, fmt.Errorf("checksum %08x, header says %08x (truncated or altered)", c, sum)
	}
	return version, body, nil
}

// load fills a new engine from a decoded snapshot, checking every value
// before it is used.
func (e *Engine) load(s *snapshot) error {
	if policy.TeamLevel(s.Level) > policy.LevelGold {
		return fmt.Errorf("team level %d", s.Level)
	}
	now := time.Time(s.Now)
	if _, err := stamp(now); err != nil {
		return fmt.Errorf("clock: %v", err)
	}
	e.now, e.loc, e.seq, e.level, e.ops = now, now.Location(), s.Seq, policy.TeamLevel(s.Level), s.Ops
	for _, sa := range s.Agents {
		var c agent.Capacity
		if err := c.UnmarshalText([]byte(sa.Capacity)); err != nil {
			return fmt.Errorf("agent %q: %v", sa.ID, err)
		}
		if err := e.pol.Capacity.Check(c); err != nil {
			return fmt.Errorf("agent %q: %v", sa.ID, err)
		}
		status, resume := agent.Status(sa.Status), agent.Status(sa.Resume)
		if !status.Valid() || !resume.Valid() || resume == agent.Offline ||
			(status != agent.Offline && status != resume) {
			return fmt.Errorf("agent %q: status %d, resume %d", sa.ID, sa.Status, sa.Resume)
		}
		if sa.Group != "" && !e.pol.HasGroup(sa.Group) {
			return fmt.Errorf("agent %q: unknown group %q", sa.ID, sa.Group)
		}
		if len(sa.Seqs) != len(sa.History) {
			return fmt.Errorf("agent %q: %d closed sessions, %d sequences", sa.ID, len(sa.History), len(sa.Seqs))
		}
		// A snapshot taken under a higher limit (an older version's
		// default) keeps its newest records: archive drops the oldest
		// beyond the limit, as SetPolicy lowering it would.
		a, err := e.roster.Add(sa.ID, c, time.Time(sa.Idle))
		if err != nil {
			return err
		}
		e.newDesk(a)
		d := e.deskOf(a)
		if sa.Group != "" {
			e.roster.SetGroup(a, sa.Group)
		}
		if status == agent.Offline {
			_ = e.roster.SetStatus(a, resume)
			e.roster.Logout(a)
		} else {
			_ = e.roster.SetStatus(a, status)
		}
		for i, h := range sa.History {
			var errs [4]error
			var arrived, lastMsg, at int64
			arrived, errs[0] = stamp(time.Time(h.Arrived))
			lastMsg, errs[1] = stamp(time.Time(h.LastMessage))
			at, errs[2] = stamp(time.Time(h.At))
			r, f := CloseReason(h.Reason), Flags(h.Flags)
			if r < CloseManual || r > CloseBotIdle || f >= 1<<len(flagNames) || sa.Seqs[i] >= 1<<48 {
				errs[3] = fmt.Errorf("reason %d, flags %d, sequence %d", r, f, sa.Seqs[i])
			}
			if err := errors.Join(errs[:]...); err != nil {
				return fmt.Errorf("agent %q: closed session %q: %v", sa.ID, h.Session, err)
			}
			e.archive(a, newClosed(h.Session, h.Buyer, arrived, lastMsg, at, sa.Seqs[i], r, f))
		}
		if err := d.history.verify(len(sa.History)); err != nil { // a duplicate, or one dropped
			return fmt.Errorf("agent %q: %v", sa.ID, err)
		}
	}
	for g, id := range s.Cursors { // a position in id order; its agent may be gone
		e.roster.SetCursor(g, id)
	}
	seqs := make(map[uint64]bool, len(s.Sessions))
	for _, ss := range s.Sessions {
		if err := e.loadSession(ss, seqs); err != nil {
			return fmt.Errorf("session %q: %v", ss.ID, err)
		}
	}
	for _, sa := range s.Agents { // E5
		for _, sw := range sa.Wraps {
			if err := e.loadWrap(sa.ID, sw, seqs); err != nil {
				return fmt.Errorf("agent %q: wrap-up after %q: %v", sa.ID, sw.Session, err)
			}
		}
	}
	if err := e.loadRecent(s); err != nil {
		return err
	}
	var last time.Time
	for _, p := range s.Prompts {
		at := time.Time(p.At)
		if at.Before(last) {
			return errors.New("prompt cool-downs out of order")
		}
		if _, dup := e.prompts.last[p.Buyer]; dup {
			return fmt.Errorf("buyer %q prompted twice", p.Buyer)
		}
		last = at
		e.prompts.last[p.Buyer] = at
		e.prompts.order = append(e.prompts.order, prompted{p.Buyer, at})
	}
	// Held events keep their numbers, the last of them the latest; a
	// version 1 snapshot numbered none, and its engine numbers from 1.
	e.evSeq = s.EventSeq
	first := e.evSeq - uint64(len(s.Pending)) + 1
	if e.evSeq == 0 {
		first, e.evSeq = 1, uint64(len(s.Pending))
	}
	if len(s.Pending) > 0 {
		e.out, e.carry = e.out[:0], true
		for i, x := range s.Pending {
			ev := x.event()
			switch {
			case x.Seq == 0 && s.EventSeq == 0:
				ev.Seq = first + uint64(i)
			case x.Seq != first+uint64(i) || s.EventSeq < uint64(len(s.Pending)):
				return fmt.Errorf("held event #%d numbered %d, want %d", i, x.Seq, first+uint64(i))
			}
			if ev.Kind == 0 || int(ev.Kind) >= len(kindNames) {
				return fmt.Errorf("held event #%d of kind %d", i, ev.Kind)
			}
			e.out = append(e.out, ev)
		}
	}
	return nil
}

func (e *Engine) loadSession(ss snapSession, seqs map[uint64]bool) error {
	if ss.ID == "" {
		return ErrEmptySessionID
	}
	if _, dup := e.sessions[ss.ID]; dup {
		return ErrDuplicateSession
	}
	if ss.Seq == 0 || ss.Seq > e.seq || seqs[ss.Seq] {
		return fmt.Errorf("sequence %d (engine at %d)", ss.Seq, e.seq)
	}
	seqs[ss.Seq] = true
	if ss.Group != "" && !e.pol.HasGroup(ss.Group) {
		return fmt.Errorf("unknown group %q", ss.Group)
	}
	if Sender(ss.LastFrom) > FromSystem || ss.Flags >= 1<<len(flagNames) ||
		ss.Unread < 0 || ss.Unread > math.MaxUint32 || ss.DMSent < 0 || ss.DMSent > math.MaxUint32 ||
		ss.Moves < 0 || ss.Moves > policy.MaxReassignLimit || !validUnits(ss.Units) {
		return errors.New("field out of range")
	}
	var t [5]int64
	for i, v := range [...]stime{ss.Arrived, ss.LastMsg, ss.WaitSince, ss.Entered, ss.FirstReply} {
		var err error
		if t[i], err = stamp(time.Time(v)); err != nil {
			return err
		}
	}
	if t[0] == 0 {
		return errors.New("no arrival time")
	}
	if ss.Priority >= 2*PriorityBand || ss.Priority <= -PriorityBand {
		return fmt.Errorf("priority %d", ss.Priority)
	}
	x := &session{
		entry: queue.Entry{ID: ss.ID, Priority: ss.Priority, Arrived: t[0], Seq: ss.Seq},
		buyer: ss.Buyer, group: e.poolOf[ss.Group].id, flags: Flags(ss.Flags),
		lastFrom: Sender(ss.LastFrom), lastMsg: t[1], waitSince: t[2], unread: uint32(ss.Unread), entered: t[3],
	}
	if o := (outreach{firstReply: t[4], stranger: ss.Stranger, dmSent: uint32(ss.DMSent)}); o != (outreach{}) {
		e.outreach[x] = o
	}
	x.moves, x.units = uint8(ss.Moves), unitsOf(ss.Units)
	if ss.Ring < 0 || ss.Ring > policy.MaxRings || (ss.Ring > 0 && Place(ss.Place) != PlaceQueue) {
		return fmt.Errorf("ring %d in the %s", ss.Ring, Place(ss.Place))
	}
	x.ring = uint8(ss.Ring)
	if ss.BuyerAt != nil { // E9
		at, err := stamp(time.Time(*ss.BuyerAt))
		if err != nil || at == 0 {
			return fmt.Errorf("buyer's last message: %v", err)
		}
		if e.buyerAt == nil {
			e.buyerAt = make(map[*session]int64)
		}
		e.buyerAt[x] = at
	}
	if x.flags&FlagInactive != 0 && (Place(ss.Place) != PlaceAgent || ss.WaitSince != stime{}) {
		return errors.New("inactive but not a replied session in a list")
	}
	switch x.place = Place(ss.Place); x.place {
	case PlaceAgent, PlaceOffered:
		a, ok := e.roster.Get(ss.Agent)
		if !ok {
			return fmt.Errorf("held by unknown agent %q", ss.Agent)
		}
		x.agent = a
	case PlaceQueue, PlaceOffline, PlaceBot:
		if ss.Agent != "" {
			return fmt.Errorf("in the %s but held by %q", x.place, ss.Agent)
		}
	default:
		return fmt.Errorf("place %d", ss.Place)
	}
	if err := e.loadOffer(x, ss); err != nil {
		return err
	}
	for _, id := range ss.Declined {
		a, ok := e.roster.Get(id)
		if !ok || e.declinedBy(x, a) {
			return fmt.Errorf("declined by unknown or repeated agent %q", id)
		}
		e.decline(x, a)
	}
	return e.restore(x)
}

// loadOffer reads an offered session's deadline and origin (E1); other
// sessions must have none.
func (e *Engine) loadOffer(x *session, ss snapSession) error {
	if x.place != PlaceOffered {
		if ss.Until != nil || ss.From != 0 {
			return fmt.Errorf("in the %s with an offer's fields", x.place)
		}
		return nil
	}
	if ss.Until == nil {
		return errors.New("offered without a deadline")
	}
	until, err := stamp(time.Time(*ss.Until))
	if err != nil || until == 0 {
		return fmt.Errorf("offer deadline: %v", err)
	}
	if x.from = Place(ss.From); x.from != PlaceQueue && x.from != PlaceOffline {
		return fmt.Errorf("offered from place %d", ss.From)
	}
	x.deadline, x.timer = until, timerOffer // restore's rearm indexes it
	return nil
}

// loadWrap restores a wrap-up of agent id (E5).
func (e *Engine) loadWrap(id string, sw snapWrap, seqs map[uint64]bool) error {
	a, _ := e.roster.Get(id)
	if sw.Seq == 0 || sw.Seq > e.seq || seqs[sw.Seq] {
		return fmt.Errorf("sequence %d (engine at %d)", sw.Seq, e.seq)
	}
	seqs[sw.Seq] = true
	until, err := stamp(time.Time(sw.Until))
	if err != nil || until == 0 {
		return fmt.Errorf("deadline: %v", err)
	}
	if !validUnits(sw.Units) {
		return fmt.Errorf("units %d", sw.Units)
	}
	w := e.newSession()
	w.entry.ID, w.entry.Seq, w.buyer, w.agent, w.place, w.units = sw.Session, sw.Seq, sw.Buyer, a, placeWrap, unitsOf(sw.Units)
	e.roster.AddLoad(a, w.weight(), a.IdleSince())
	e.addWrap(a, w)
	e.setTimer(w, until, timerWrapUp)
	return nil
}

// validUnits reports whether n is a session's weight in a snapshot (E10):
// absent (0), or 1..policy.MaxWeightUnits.
func validUnits(n int) bool { return n >= 0 && n <= policy.MaxWeightUnits }

// unitsOf returns the record's units field for a weight read from a
// snapshot: 0 for weight 1, as an arrival sets it.
func unitsOf(n int) uint8 {
	if n <= 1 {
		return 0
	}
	return uint8(n)
}

// loadRecent rebuilds the recent contacts (R1) in the order they were
// made, and forgets those expired at the snapshot's time.
func (e *Engine) loadRecent(s *snapshot) error {
	type made struct {
		buyer, agent string
		at           int64
	}
	all := make([]made, 0, len(s.Recent))
	for buyer, id := range s.Recent {
		st, ok := s.RecentAt[buyer]
		if !ok {
			st = s.Now
		}
		at := time.Time(st)
		n, err := stamp(at)
		if err != nil || at.After(time.Time(s.Now)) {
			return fmt.Errorf("recent contact of %q: time %v (snapshot at %v)", buyer, at, s.Now)
		}
		all = append(all, made{buyer, id, n})
	}
	for buyer := range s.RecentAt {
		if _, ok := s.Recent[buyer]; !ok {
			return fmt.Errorf("recent contact time for %q without an agent", buyer)
		}
	}
	slices.SortFunc(all, func(a, b made) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.buyer, b.buyer))
	})
	for _, m := range all {
		e.recent.set(m.buyer, m.agent, m.at)
	}
	e.recent.forget(ns(time.Time(s.Now)))
	return nil
}
