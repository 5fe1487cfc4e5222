package main

import (
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
)

// hub fans each shop's events out to the SSE streams that subscribed to
// them. It is in-process and small on purpose: a server with more than one
// process would put a message bus here.
//
// Order. The host calls publish (durable.HostOptions.Publish) under the
// shop's mutex with the events of every op it applies, its timers' too,
// so a shop's events come in Event.Seq order and the hub only passes
// them on. A stream subscribes under the same mutex (server.subscribe),
// so no event falls between what it is told it missed and what it gets.
//
// Slow subscribers. Publishing never blocks: each subscriber has a buffer
// of subBuffer events, and one whose buffer is full is dropped (its
// channel is closed and its stream ends). The client reconnects with
// Last-Event-ID (EventSource does so by itself) and gets what it missed
// from the shop's last recentEvents events, or, if they no longer reach
// back far enough (or the process restarted since), a "reset" event
// telling it to reload the state through the JSON API.
//
// Memory: a feed per shop that has had events or subscribers in this
// process, each with up to recentEvents events, and each subscriber's
// buffer. One mutex serves every shop: publishing is a few channel sends,
// never a wait.
//
// A hub is safe for concurrent use.
type hub struct {
	mu    sync.Mutex
	feeds map[string]*feed
}

// feed is one shop's side of the hub.
type feed struct {
	recent ring // the latest events
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

// publish delivers shop's events to its subscribers. It never blocks on a
// subscriber. Its signature is durable.HostOptions.Publish's; evs is
// copied.
func (h *hub) publish(shop string, evs []dispatch.Event) {
	if len(evs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.feed(shop)
	for _, ev := range evs {
		f.deliver(ev)
	}
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

// subscribe adds a subscriber to shop's events that want selects; last
// is the Seq of the shop's latest event (Engine.LastSeq), read under the
// shop's mutex, which the caller holds. With resume, it first queues the
// events after lastID that want selects; ok is false when the hub no
// longer has them all (or lastID is not of this shop's sequence): the
// client must reload its state.
func (h *hub) subscribe(shop string, want func(dispatch.Event) bool, resume bool, lastID, last uint64) (s *sub, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.feed(shop)
	var missed []dispatch.Event
	ok = true
	if resume {
		missed, ok = f.since(lastID, last, want)
	}
	s = &sub{ch: make(chan dispatch.Event, subBuffer+len(missed)), want: want}
	for _, ev := range missed {
		s.ch <- ev
	}
	f.subs[s] = struct{}{}
	return s, ok
}

// since returns the events after lastID, up to last, that want selects,
// and whether the ring holds every one of them.
func (f *feed) since(lastID, last uint64, want func(dispatch.Event) bool) ([]dispatch.Event, bool) {
	switch {
	case lastID > last:
		return nil, false // not a Seq this shop has numbered
	case lastID == last:
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
