package dispatch

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
	"github.com/kefu-dev/kefu/queue"
)

// Errors of [Restore].
var (
	// ErrCorruptSnapshot: the bytes are not a whole, consistent snapshot
	// (truncated, altered, or not one at all), or do not fit the policy.
	ErrCorruptSnapshot = errors.New("dispatch: corrupt snapshot")
	// ErrSnapshotVersion: the snapshot was written by a format version
	// this library does not read.
	ErrSnapshotVersion = errors.New("dispatch: unsupported snapshot version")
)

// SnapshotVersion is the format version Snapshot writes.
const SnapshotVersion = 1

const snapshotMagic = "kefu-snapshot"

// The snapshot body: everything that is state, nothing that is derived.
// Loads, offline counts, the bot count, timers and all indexes are rebuilt
// from it; Verify then checks the result.
type snapshot struct {
	Now      time.Time         `json:"now"`
	Seq      uint64            `json:"seq"`
	Level    policy.TeamLevel  `json:"level"`
	Agents   []snapAgent       `json:"agents"`
	Sessions []snapSession     `json:"sessions"`
	Recent   map[string]string `json:"recent,omitempty"` // buyer → recent-contact agent (R1)
	// RecentAt: when each contact in Recent was made; a contact missing
	// here (a snapshot written before kefu kept it) counts from Now.
	RecentAt map[string]time.Time `json:"recentAt,omitempty"`
	Prompts  []snapPrompt         `json:"prompts,omitempty"`
	Cursors  map[string]string    `json:"cursors,omitempty"`
	Pending  []Event              `json:"pending,omitempty"`
}

type snapAgent struct {
	ID       string       `json:"id"`
	Group    string       `json:"group,omitempty"`
	Status   agent.Status `json:"status"`
	Resume   agent.Status `json:"resume"`
	Capacity string       `json:"capacity"` // "unlimited", "suspended" or the limit
	Idle     time.Time    `json:"idle"`
	History  []Closed     `json:"history,omitempty"`
	Seqs     []uint64     `json:"seqs,omitempty"` // History[i]'s sequence
}

type snapSession struct {
	ID         string    `json:"id"`
	Buyer      string    `json:"buyer,omitempty"`
	Group      string    `json:"group,omitempty"`
	Priority   int       `json:"priority,omitempty"`
	Arrived    time.Time `json:"arrived"`
	Seq        uint64    `json:"seq"`
	Place      Place     `json:"place"`
	Agent      string    `json:"agent,omitempty"`
	Flags      Flags     `json:"flags,omitempty"`
	LastFrom   Sender    `json:"lastFrom,omitempty"`
	LastMsg    time.Time `json:"lastMsg"`
	WaitSince  time.Time `json:"waitSince"`
	Unread     int       `json:"unread,omitempty"`
	Entered    time.Time `json:"entered"`
	FirstReply time.Time `json:"firstReply"`
	Stranger   bool      `json:"stranger,omitempty"`
	DMSent     int       `json:"dmSent,omitempty"`
}

type snapPrompt struct {
	Buyer string    `json:"buyer"`
	At    time.Time `json:"at"`
}

// Snapshot returns the engine's whole state as bytes: a header line with
// the format version and a CRC-32 of the body, then the body (JSON). The
// policy is not in it: it is the host's configuration, passed again to
// Restore. Cost O(n + w).
func (e *Engine) Snapshot() ([]byte, error) {
	s := snapshot{Now: e.now, Seq: e.seq, Level: e.level, Cursors: map[string]string{}}
	if len(e.recent.by) > 0 {
		s.Recent, s.RecentAt = map[string]string{}, map[string]time.Time{}
		for x := range e.recent.all {
			s.Recent[x.buyer], s.RecentAt[x.buyer] = x.agent, e.time(x.at)
		}
	}
	for a := range e.roster.All() {
		sa := snapAgent{ID: a.ID(), Group: a.Group(), Status: a.Status(), Resume: a.Resume(),
			Capacity: a.Capacity().String(), Idle: a.IdleSince()}
		h := &e.deskOf(a).history
		for i := range h.Len() {
			c := h.shown(i)
			sa.History = append(sa.History, e.record(c))
			sa.Seqs = append(sa.Seqs, c.seq)
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
			Arrived: e.time(x.entry.Arrived), Seq: x.entry.Seq, Place: x.place, Flags: x.flags, LastFrom: x.lastFrom,
			LastMsg: e.time(x.lastMsg), WaitSince: e.time(x.waitSince), Unread: int(x.unread), Entered: e.time(x.entered),
			FirstReply: e.time(o.firstReply), Stranger: o.stranger, DMSent: int(o.dmSent)}
		if x.agent != nil {
			ss.Agent = x.agent.ID()
		}
		s.Sessions = append(s.Sessions, ss)
	}
	slices.SortFunc(s.Sessions, func(a, b snapSession) int { return cmpUint(a.Seq, b.Seq) })
	for _, p := range e.prompts.order[e.prompts.head:] {
		s.Prompts = append(s.Prompts, snapPrompt{p.buyer, p.at})
	}
	if e.carry {
		s.Pending = slices.Clone(e.out)
	}
	body, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("dispatch: snapshot: %w", err)
	}
	head := fmt.Sprintf("%s %d %08x\n", snapshotMagic, SnapshotVersion, crc32.ChecksumIEEE(body))
	return append([]byte(head), body...), nil
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
// the shop's policy (the same one, or a compatible one: the snapshot must
// fit its groups and capacity bounds). The restored engine behaves exactly
// as the original would have from that point on. Corrupt, truncated or
// inconsistent bytes return an error wrapping ErrCorruptSnapshot (or
// ErrSnapshotVersion), never a panic and never a half-built engine.
//
// Times come back with their instants and UTC offsets; time.Location
// names are not kept, which changes no decision (the engine compares
// instants and uses the policy's Location for days and windows).
func Restore(p policy.Policy, data []byte, opts ...Option) (*Engine, error) {
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
	e, err := New(p, opts...)
	if err != nil {
		return nil, err
	}
	if err := e.load(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptSnapshot, err)
	}
	if err := e.Verify(); err != nil {
		return nil, fmt.Errorf("%w: restored state is inconsistent: %v", ErrCorruptSnapshot, err)
	}
	return e, nil
}

// snapshotBody checks the header line and the checksum.
func snapshotBody(data []byte) ([]byte, error) {
	line, body, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return nil, fmt.Errorf("%w: no header line", ErrCorruptSnapshot)
	}
	var magic string
	var version int
	var sum uint32
	if n, err := fmt.Sscanf(string(line), "%s %d %x", &magic, &version, &sum); err != nil || n != 3 || magic != snapshotMagic {
		return nil, fmt.Errorf("%w: bad header %q", ErrCorruptSnapshot, truncate(line))
	}
	if version != SnapshotVersion {
		return nil, fmt.Errorf("%w: version %d, this library reads %d", ErrSnapshotVersion, version, SnapshotVersion)
	}
	if got := crc32.ChecksumIEEE(body); got != sum {
		return nil, fmt.Errorf("%w: checksum %08x, header says %08x (truncated or altered)", ErrCorruptSnapshot, got, sum)
	}
	return body, nil
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

func parseCapacity(s string) (agent.Capacity, error) {
	switch s {
	case "unlimited":
		return agent.Unlimited(), nil
	case "suspended":
		return agent.Suspended(), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return agent.Capacity{}, fmt.Errorf("capacity %q", s)
	}
	return agent.Limit(n), nil
}

// load fills a new engine from a decoded snapshot, checking every value
// before it is used.
func (e *Engine) load(s *snapshot) error {
	if s.Level > policy.LevelGold {
		return fmt.Errorf("team level %d", s.Level)
	}
	if _, err := stamp(s.Now); err != nil {
		return fmt.Errorf("clock: %v", err)
	}
	e.now, e.loc, e.seq, e.level = s.Now, s.Now.Location(), s.Seq, s.Level
	for _, sa := range s.Agents {
		c, err := parseCapacity(sa.Capacity)
		if err != nil {
			return err
		}
		if err := e.pol.Capacity.Check(c); err != nil {
			return fmt.Errorf("agent %q: %v", sa.ID, err)
		}
		if !sa.Status.Valid() || !sa.Resume.Valid() || sa.Resume == agent.Offline ||
			(sa.Status != agent.Offline && sa.Status != sa.Resume) {
			return fmt.Errorf("agent %q: status %d, resume %d", sa.ID, sa.Status, sa.Resume)
		}
		if sa.Group != "" && !e.pol.HasGroup(sa.Group) {
			return fmt.Errorf("agent %q: unknown group %q", sa.ID, sa.Group)
		}
		if len(sa.Seqs) != len(sa.History) || len(sa.History) > e.eff.HistoryLimit {
			return fmt.Errorf("agent %q: %d closed sessions, %d sequences", sa.ID, len(sa.History), len(sa.Seqs))
		}
		a, err := e.roster.Add(sa.ID, c, sa.Idle)
		if err != nil {
			return err
		}
		d := newDesk()
		e.desks[a] = d
		if sa.Group != "" {
			e.roster.SetGroup(a, sa.Group)
		}
		if sa.Status == agent.Offline {
			_ = e.roster.SetStatus(a, sa.Resume)
			e.roster.Logout(a)
		} else {
			_ = e.roster.SetStatus(a, sa.Status)
		}
		for i, h := range sa.History {
			c := closed{session: h.Session, buyer: h.Buyer, seq: sa.Seqs[i], reason: h.Reason, flags: h.Flags}
			var errs [3]error
			c.arrived, errs[0] = stamp(h.Arrived)
			c.lastMsg, errs[1] = stamp(h.LastMessage)
			c.at, errs[2] = stamp(h.At)
			if err := errors.Join(errs[:]...); err != nil {
				return fmt.Errorf("agent %q: closed session %q: %v", sa.ID, h.Session, err)
			}
			d.history.add(c, e.eff.HistoryLimit)
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
	if err := e.loadRecent(s); err != nil {
		return err
	}
	var last time.Time
	for _, p := range s.Prompts {
		if p.At.Before(last) {
			return errors.New("prompt cool-downs out of order")
		}
		if _, dup := e.prompts.last[p.Buyer]; dup {
			return fmt.Errorf("buyer %q prompted twice", p.Buyer)
		}
		last = p.At
		e.prompts.last[p.Buyer] = p.At
		e.prompts.order = append(e.prompts.order, prompted{p.Buyer, p.At})
	}
	if len(s.Pending) > 0 {
		e.out, e.carry = append(e.out[:0], s.Pending...), true
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
	if ss.LastFrom > FromSystem || ss.Flags > FlagOffline|FlagTransferred|FlagStarted ||
		ss.Unread < 0 || ss.Unread > math.MaxUint32 || ss.DMSent < 0 || ss.DMSent > math.MaxUint32 {
		return errors.New("field out of range")
	}
	var t [5]int64
	for i, v := range [...]time.Time{ss.Arrived, ss.LastMsg, ss.WaitSince, ss.Entered, ss.FirstReply} {
		var err error
		if t[i], err = stamp(v); err != nil {
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
		buyer: ss.Buyer, group: e.poolOf[ss.Group].id, flags: ss.Flags,
		lastFrom: ss.LastFrom, lastMsg: t[1], waitSince: t[2], unread: uint32(ss.Unread), entered: t[3],
	}
	if o := (outreach{firstReply: t[4], stranger: ss.Stranger, dmSent: uint32(ss.DMSent)}); o != (outreach{}) {
		e.outreach[x] = o
	}
	pools := e.poolFor(x)
	switch ss.Place {
	case PlaceAgent:
		a, ok := e.roster.Get(ss.Agent)
		if !ok {
			return fmt.Errorf("held by unknown agent %q", ss.Agent)
		}
		x.place, x.agent = PlaceAgent, a
		e.roster.AddLoad(a, 1, a.IdleSince()) // keeps its idle time
		e.deskOf(a).add(x)
	case PlaceQueue:
		x.place = PlaceQueue
		if err := pools.queue.Push(&x.entry); err != nil {
			return err
		}
	case PlaceOffline:
		x.place = PlaceOffline
		if err := pools.offline.Push(&x.entry); err != nil {
			return err
		}
	case PlaceBot:
		x.place = PlaceBot
		e.bot++
	default:
		return fmt.Errorf("place %d", ss.Place)
	}
	if ss.Place != PlaceAgent && ss.Agent != "" {
		return fmt.Errorf("in the %s but held by %q", ss.Place, ss.Agent)
	}
	e.sessions[ss.ID] = x
	e.rearm(x)
	return nil
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
		at, ok := s.RecentAt[buyer]
		if !ok {
			at = s.Now
		}
		n, err := stamp(at)
		if err != nil || at.After(s.Now) {
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
	e.recent.forget(ns(s.Now))
	return nil
}
