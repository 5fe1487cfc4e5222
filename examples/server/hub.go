package main

import (
	"slices"
	"sync"

	"github.com/kefu-dev/kefu/dispatch"
)

const (
	// subBuffer is how many events a subscriber may fall behind before
	// the hub drops it.
	subBuffer = 64
	// recentEvents is how many of a shop's latest events the hub keeps for
	// clients that reconnect with Last-Event-ID.
	recentEvents = 256
	// maxHeld bounds the events held back behind a gap in Seq; past it the
	// gap is taken as lost and they are delivered.
	maxHeld = 1024
)

// hub fans each shop's events out to the SSE streams that subscribed to
// them. It is in-process and small on purpose: a server with more than one
// process would put a message bus here.
//
// Order. The server publishes a shop's events from two places: the result
// of each op (host.Apply, under the server's lock of the shop, so those
// come in the order the host applied them) and the host's timers
// (host.Run's callback, called after the host released the shop, so a
// timer's events may come after those of an op that followed it). The hub
// delivers each shop's events in Event.Seq order: an event after a gap is
// held until the gap is filled. The first event a process publishes for a
// shop sets where its sequence starts; an event older than that (a timer
// that lost that first race) is delivered late rather than lost.
//
// Slow subscribers. Publishing never blocks: each subscriber has a buffer
// of subBuffer events, and one whose buffer is full is dropped (its
// channel is closed and its stream ends). The client reconnects with
// Last-Event-ID (EventSource does so by itself) and gets what it missed
// from the shop's last recentEvents events, or, if they no longer reach
// back far enough (or the process restarted), a "reset" event telling it
// to reload the state through the JSON API.
//
// Memory: a feed per shop that has had events in this process, each with
// up to recentEvents events, and each subscriber's buffer. One mutex
// serves every shop: publishing is a few channel sends, never a wait.
//
// A hub is safe for concurrent use.
type hub struct {
	mu    sync.Mutex
	feeds map[string]*feed
}

// feed is one shop's side of the hub.
type feed struct {
	next   uint64           // the Seq to deliver next; 0 before the first event
	held   []dispatch.Event // events after a gap, by Seq
	recent ring             // the latest delivered events
	subs   map[*sub]struct{}
}

// sub is one subscriber: a stream and the events it wants.
type sub struct {
	ch   chan dispatch.Event // closed when the hub drops the subscriber
	want func(dispatch.Event) bool
}

func newHub() *hub { return &hub{feeds: make(map[string]*feed)} }

// feed returns shop's feed, creating it (h.mu held).
func (h *hub) feed(shop string) *feed {
	f := h.feeds[shop]
	if f == nil {
		f = &feed{subs: make(map[*sub]struct{})}
		h.feeds[shop] = f
	}
	return f
}

// publish delivers shop's events to its subscribers, in Seq order (see
// hub). It never blocks on a subscriber. Its signature is host.Run's
// callback's.
func (h *hub) publish(shop string, evs []dispatch.Event) {
	if len(evs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.feed(shop)
	for _, ev := range evs {
		switch {
		case f.next == 0 || ev.Seq == f.next:
			f.deliver(ev)
			f.next = ev.Seq + 1
			for len(f.held) > 0 && f.held[0].Seq <= f.next {
				if f.held[0].Seq == f.next {
					f.deliver(f.held[0])
					f.next++
				}
				f.held = f.held[1:]
			}
		case ev.Seq > f.next:
			i, found := slices.BinarySearchFunc(f.held, ev.Seq, func(e dispatch.Event, s uint64) int {
				return cmpSeq(e.Seq, s)
			})
			if !found {
				f.held = slices.Insert(f.held, i, ev)
			}
			if len(f.held) > maxHeld {
				f.flush()
			}
		default: // before the start this process saw: late, not lost
			f.deliver(ev)
		}
	}
}

// resync forgets where shop's sequence is, after an op whose outcome is
// unknown (a storage error: the host reloads the shop from its log, which
// may hold the op, whose events nobody will publish). Held events are
// delivered; the next event published starts the sequence again.
func (h *hub) resync(shop string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.feed(shop).flush()
}

// flush delivers the held events and forgets the expected Seq.
func (f *feed) flush() {
	for _, ev := range f.held {
		f.deliver(ev)
	}
	f.held = nil
	f.next = 0
}

// deliver sends ev to the subscribers that want it, dropping those that
// are full, and keeps it in the recent ring.
func (f *feed) deliver(ev dispatch.Event) {
	f.recent.add(ev)
	for s := range f.subs {
		if !s.want(ev) {
			continue
		}
		select {
		case s.ch <- ev:
		default: // too slow: drop it, its stream ends (see hub)
			close(s.ch)
			delete(f.subs, s)
		}
	}
}

// subscribe adds a subscriber to shop's events that want selects. With
// resume, it first queues the recent events after lastID that want
// selects; ok is false when the hub cannot tell that nothing was missed
// (too old, or a new process): the client must reload its state.
func (h *hub) subscribe(shop string, want func(dispatch.Event) bool, resume bool, lastID uint64) (s *sub, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.feed(shop)
	var missed []dispatch.Event
	ok = true
	if resume {
		missed, ok = f.since(lastID, want)
	}
	s = &sub{ch: make(chan dispatch.Event, subBuffer+len(missed)), want: want}
	for _, ev := range missed {
		s.ch <- ev
	}
	f.subs[s] = struct{}{}
	return s, ok
}

// since returns the delivered events after lastID that want selects, and
// whether the ring holds every event after lastID.
func (f *feed) since(lastID uint64, want func(dispatch.Event) bool) ([]dispatch.Event, bool) {
	switch {
	case f.next == 0 || lastID >= f.next: // unknown, or a sequence this process never saw
		return nil, false
	case lastID+1 == f.next:
		return nil, true
	}
	if first, ok := f.recent.first(); !ok || first.Seq > lastID+1 {
		return nil, false
	}
	var out []dispatch.Event
	f.recent.each(func(ev dispatch.Event) {
		if ev.Seq > lastID && want(ev) {
			out = append(out, ev)
		}
	})
	return out, true
}

// unsubscribe removes s (if the hub has not dropped it already).
func (h *hub) unsubscribe(shop string, s *sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f := h.feeds[shop]; f != nil {
		delete(f.subs, s)
	}
}

// ring holds the last recentEvents events delivered.
type ring struct {
	buf  []dispatch.Event
	head int // index of the oldest once full
}

func (r *ring) add(ev dispatch.Event) {
	if len(r.buf) < recentEvents {
		r.buf = append(r.buf, ev)
		return
	}
	r.buf[r.head] = ev
	r.head = (r.head + 1) % len(r.buf)
}

func (r *ring) first() (dispatch.Event, bool) {
	if len(r.buf) == 0 {
		return dispatch.Event{}, false
	}
	return r.buf[r.head], true
}

func (r *ring) each(f func(dispatch.Event)) {
	for i := range r.buf {
		f(r.buf[(r.head+i)%len(r.buf)])
	}
}

func cmpSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
