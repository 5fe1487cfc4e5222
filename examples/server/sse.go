package main

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
)

// sseWriteTimeout bounds one write to an SSE client: a client that stops
// reading has its stream ended instead of holding its handler.
const sseWriteTimeout = 5 * time.Second

// shopEvents: GET /shops/{shop}/events, every event of the shop (a
// supervisor's feed).
func (s *server) shopEvents(w http.ResponseWriter, r *http.Request) {
	shop := r.PathValue("shop")
	if err := s.host.Read(r.Context(), shop, func(*dispatch.Engine) {}); err != nil {
		fail(w, err)
		return
	}
	s.stream(w, r, shop, func(dispatch.Event) bool { return true })
}

// agentEvents: GET /shops/{shop}/agents/{agent}/events, the events about
// the agent: sessions assigned to it, transferred to or from it, closed
// at it, messages in its sessions, warnings about it.
func (s *server) agentEvents(w http.ResponseWriter, r *http.Request) {
	shop, id := r.PathValue("shop"), r.PathValue("agent")
	known := false
	if err := s.host.Read(r.Context(), shop, func(e *dispatch.Engine) { _, known = e.Agent(id) }); err != nil {
		fail(w, err)
		return
	}
	if !known {
		fail(w, fmt.Errorf("%w: %q", dispatch.ErrUnknownAgent, id))
		return
	}
	s.stream(w, r, shop, func(ev dispatch.Event) bool { return ev.Agent == id || ev.From == id })
}

// sessionEvents: GET /shops/{shop}/sessions/{session}/events, the events
// of one session, for its buyer (queued, assigned, transferred, closed,
// messages, prompts). The session need not exist yet.
func (s *server) sessionEvents(w http.ResponseWriter, r *http.Request) {
	shop, sid := r.PathValue("shop"), r.PathValue("session")
	s.stream(w, r, shop, func(ev dispatch.Event) bool { return ev.Session == sid })
}

// stream serves one SSE stream: the shop's events that want selects, each
// as "id: <Event.Seq>" and "data: <the event's JSON wire form>". A client
// that sends Last-Event-ID (or ?last_event_id=) first gets the events it
// missed, or an "event: reset" when the hub no longer has them (see hub).
//
// The stream ends when the client leaves, when the hub drops it for
// falling behind, when a write takes longer than sseWriteTimeout, and at
// shutdown (s.streams), after writing the events already queued for it.
func (s *server) stream(w http.ResponseWriter, r *http.Request, shop string, want func(dispatch.Event) bool) {
	if s.streams.Err() != nil {
		fail(w, durable.ErrClosed) // shutting down: 503
		return
	}
	lastID, resume, err := lastEventID(r)
	if err != nil {
		fail(w, err)
		return
	}
	// Subscribe under the shop's mutex: the host publishes under it too,
	// so the shop's latest Seq and the subscription see the same point.
	var sub *sub
	var ok bool
	if err := s.host.Read(r.Context(), shop, func(e *dispatch.Engine) {
		sub, ok = s.hub.subscribe(shop, want, resume, lastID, e.LastSeq())
	}); err != nil {
		fail(w, err)
		return
	}
	defer s.hub.unsubscribe(shop, sub)

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: pass the stream through unbuffered
	w.WriteHeader(http.StatusOK)
	buf := []byte("retry: 2000\n\n")
	if resume && !ok {
		buf = fmt.Appendf(buf, "event: reset\ndata: {\"last_event_id\":%d}\n\n", lastID)
	}
	if !send(rc, w, buf) {
		return
	}
	ping := time.NewTicker(s.heartbeat)
	defer ping.Stop()
	for {
		select {
		case ev, open := <-sub.ch:
			if !open {
				return // dropped by the hub: too slow
			}
			if !send(rc, w, frame(nil, ev)) {
				return
			}
		case <-ping.C:
			if !send(rc, w, []byte(": ping\n\n")) {
				return
			}
		case <-r.Context().Done():
			return
		case <-s.streams.Done():
			// Shutting down: write what is queued, wait for nothing more.
			buf = buf[:0]
			for more := true; more; {
				select {
				case ev, open := <-sub.ch:
					if more = open; open {
						buf = frame(buf, ev)
					}
				default:
					more = false
				}
			}
			send(rc, w, buf)
			return
		}
	}
}

// frame appends ev as one SSE message.
func frame(buf []byte, ev dispatch.Event) []byte {
	data, err := ev.MarshalJSON()
	if err != nil { // an event the engine returned always encodes
		return buf
	}
	return fmt.Appendf(buf, "id: %d\ndata: %s\n\n", ev.Seq, data)
}

// send writes b and flushes it, within sseWriteTimeout.
func send(rc *http.ResponseController, w http.ResponseWriter, b []byte) bool {
	if len(b) == 0 {
		return true
	}
	_ = rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout)) // best effort: not every ResponseWriter has one
	if _, err := w.Write(b); err != nil {
		return false
	}
	return rc.Flush() == nil
}

// lastEventID reads the Last-Event-ID header, or the last_event_id query
// parameter (for a first connection, where EventSource sends no header).
func lastEventID(r *http.Request) (id uint64, ok bool, err error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("last_event_id")
	}
	if v == "" {
		return 0, false, nil
	}
	id, err = strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, false, invalid(fmt.Sprintf("Last-Event-ID %q is not an event number", v))
	}
	return id, true, nil
}
