// Package obvious is a benchmark-only comparator for package dispatch
// (issue #14, DESIGN property 10): the minimal, obvious hand-written
// dispatcher a developer would write for one small shop, against which
// dispatch's per-shop memory and constant factors are measured.
//
// A Shop is a mutex, the agents in a slice scanned linearly (the least
// loaded online agent with room wins; ties go to the lower index), the
// waiting sessions in a slice kept sorted by (priority desc, arrival asc,
// sequence asc) with binary-search insert and delete, a counter of open
// sessions per agent and a map from session id to session. Closed and
// departed session records are reused, and events are appended to the
// caller's slice, so that a steady state does not allocate.
//
// It leaves out everything the engine does beyond that: no agent list
// order or unread counts (L), no history of closed sessions (L4), no
// timers (auto-close, offline validity, bot silence), no policies
// (capacity bounds, no-queue, bot-first, priority crowds, groups, recent
// contact, offline pool), no statuses beyond online, no observers,
// snapshots, op log or verification. It is not a model of the rules
// (that is dispatch/internal/model) and must never be used outside
// benchmarks.
package obvious

import (
	"errors"
	"sort"
	"sync"
	"time"
)

// Errors returned by Shop's methods.
var (
	ErrUnknownSession = errors.New("obvious: unknown session")
	ErrDuplicate      = errors.New("obvious: duplicate id")
	ErrNotWaiting     = errors.New("obvious: session not waiting")
)

// Kind is what an Event says happened.
type Kind uint8

// The event kinds.
const (
	Assigned Kind = iota + 1 // a session went to an agent
	Queued                   // a session joined the queue
	Closed                   // a session with an agent closed
	Left                     // a waiting buyer gave up
)

// Event is one thing that happened in a call.
type Event struct {
	Kind    Kind
	Session string
	Agent   string // Assigned, Closed: the agent
	At      int64  // ns
}

type agent struct {
	id        string
	cap, load int
	online    bool
}

type session struct {
	id, buyer string
	agent     int // index in Shop.agents; -1 while waiting
	prio      int
	arrival   int64 // ns
	seq       uint64
}

// Shop is one shop's dispatcher. Its methods are safe for concurrent use.
// The zero value is an empty shop.
type Shop struct {
	mu       sync.Mutex
	agents   []agent
	waiting  []*session // sorted by before
	sessions map[string]*session
	seq      uint64
	free     []*session // records of ended sessions, reused by Arrive
}

// before orders the queue: higher priority first, then earlier arrival,
// then lower sequence.
func before(a, b *session) bool {
	if a.prio != b.prio {
		return a.prio > b.prio
	}
	if a.arrival != b.arrival {
		return a.arrival < b.arrival
	}
	return a.seq < b.seq
}

// AddAgent adds an online agent with capacity cap, who takes waiting
// sessions at once while it has room.
func (s *Shop) AddAgent(dst []Event, now time.Time, id string, cap int) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.agents {
		if s.agents[i].id == id {
			return dst, ErrDuplicate
		}
	}
	s.agents = append(s.agents, agent{id: id, cap: cap, online: true})
	return s.pull(dst, now.UnixNano()), nil
}

// SetOnline sets an agent online or offline; an agent coming online takes
// waiting sessions while it has room. Sessions stay with an agent who goes
// offline. It reports whether the agent exists.
func (s *Shop) SetOnline(dst []Event, now time.Time, id string, online bool) ([]Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.agents {
		if s.agents[i].id == id {
			s.agents[i].online = online
			return s.pull(dst, now.UnixNano()), true
		}
	}
	return dst, false
}

// Arrive is ArrivePriority with priority 0.
func (s *Shop) Arrive(dst []Event, now time.Time, id, buyer string) ([]Event, error) {
	return s.ArrivePriority(dst, now, id, buyer, 0)
}

// ArrivePriority opens a session: it goes to the least loaded online agent
// with room, or joins the queue. Events are appended to dst.
func (s *Shop) ArrivePriority(dst []Event, now time.Time, id, buyer string, prio int) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sessions[id]; ok {
		return dst, ErrDuplicate
	}
	if s.sessions == nil {
		s.sessions = make(map[string]*session)
	}
	var x *session
	if n := len(s.free); n > 0 {
		x, s.free = s.free[n-1], s.free[:n-1]
	} else {
		x = new(session)
	}
	s.seq++
	at := now.UnixNano()
	*x = session{id: id, buyer: buyer, agent: -1, prio: prio, arrival: at, seq: s.seq}
	s.sessions[id] = x
	if a := s.pick(); a >= 0 {
		return s.assign(dst, x, a, at), nil
	}
	i := sort.Search(len(s.waiting), func(i int) bool { return before(x, s.waiting[i]) })
	s.waiting = append(s.waiting, nil)
	copy(s.waiting[i+1:], s.waiting[i:])
	s.waiting[i] = x
	return append(dst, Event{Kind: Queued, Session: id, At: at}), nil
}

// Close ends a session held by an agent and gives the freed slot to the
// queue's head; a waiting session closes as if it left.
func (s *Shop) Close(dst []Event, now time.Time, id string) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.sessions[id]
	if !ok {
		return dst, ErrUnknownSession
	}
	at := now.UnixNano()
	if x.agent < 0 {
		return s.leave(dst, x, at), nil
	}
	a := &s.agents[x.agent]
	a.load--
	dst = append(dst, Event{Kind: Closed, Session: id, Agent: a.id, At: at})
	s.drop(x)
	return s.pull(dst, at), nil
}

// Leave removes a waiting buyer who gave up.
func (s *Shop) Leave(dst []Event, now time.Time, id string) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.sessions[id]
	if !ok {
		return dst, ErrUnknownSession
	}
	if x.agent >= 0 {
		return dst, ErrNotWaiting
	}
	return s.leave(dst, x, now.UnixNano()), nil
}

// Position returns a waiting session's 1-based place in the queue and the
// queue's length; ok is false for a session that is not waiting.
func (s *Shop) Position(id string) (pos, length int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, found := s.sessions[id]
	if !found || x.agent >= 0 {
		return 0, 0, false
	}
	return s.index(x) + 1, len(s.waiting), true
}

// Agent returns an agent's load and capacity.
func (s *Shop) Agent(id string) (load, cap int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.agents {
		if s.agents[i].id == id {
			return s.agents[i].load, s.agents[i].cap, true
		}
	}
	return 0, 0, false
}

// Lens returns the number of open sessions and of waiting ones.
func (s *Shop) Lens() (open, waiting int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions), len(s.waiting)
}

// index finds a waiting session in the sorted queue.
func (s *Shop) index(x *session) int {
	return sort.Search(len(s.waiting), func(i int) bool { return !before(s.waiting[i], x) })
}

// pick returns the least loaded online agent with room, or -1.
func (s *Shop) pick() int {
	best := -1
	for i := range s.agents {
		a := &s.agents[i]
		if a.online && a.load < a.cap && (best < 0 || a.load < s.agents[best].load) {
			best = i
		}
	}
	return best
}

func (s *Shop) assign(dst []Event, x *session, a int, at int64) []Event {
	x.agent = a
	s.agents[a].load++
	return append(dst, Event{Kind: Assigned, Session: x.id, Agent: s.agents[a].id, At: at})
}

// pull gives the queue's head to agents with room while both remain.
func (s *Shop) pull(dst []Event, at int64) []Event {
	for len(s.waiting) > 0 {
		a := s.pick()
		if a < 0 {
			break
		}
		x := s.waiting[0]
		copy(s.waiting, s.waiting[1:])
		s.waiting[len(s.waiting)-1] = nil
		s.waiting = s.waiting[:len(s.waiting)-1]
		dst = s.assign(dst, x, a, at)
	}
	return dst
}

func (s *Shop) leave(dst []Event, x *session, at int64) []Event {
	i := s.index(x)
	copy(s.waiting[i:], s.waiting[i+1:])
	s.waiting[len(s.waiting)-1] = nil
	s.waiting = s.waiting[:len(s.waiting)-1]
	dst = append(dst, Event{Kind: Left, Session: x.id, At: at})
	s.drop(x)
	return dst
}

// drop forgets an ended session and keeps its record for reuse.
func (s *Shop) drop(x *session) {
	delete(s.sessions, x.id)
	*x = session{}
	s.free = append(s.free, x)
}

// Preload places a new session with the i-th agent added, as an arrival
// assigned to it would, without the search: for benchmarks that start
// from a shop with a million sessions in reception. The agent's capacity
// is not checked.
func (s *Shop) Preload(now time.Time, id, buyer string, i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions == nil {
		s.sessions = make(map[string]*session)
	}
	s.seq++
	x := &session{id: id, buyer: buyer, agent: i, arrival: now.UnixNano(), seq: s.seq}
	s.sessions[id] = x
	s.agents[i].load++
}
