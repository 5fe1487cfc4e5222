package dispatch

import (
	"fmt"
	"time"

	"github.com/kefu-dev/kefu/agent"
)

// record returns c as the API shows it, times in the engine's location.
func (e *Engine) record(c closed) Closed {
	return Closed{Session: c.session, Buyer: c.buyer, Arrived: e.time(c.arrived), LastMessage: e.time(c.lastMsg),
		At: e.time(c.at), Reason: c.reason(), Flags: c.flags()}
}

// Closed is a session in an agent's history (L1, L4).
type Closed struct {
	Session string
	Buyer   string
	// Agent is the agent whose history holds it; set by Engine.Closed
	// (History lists one agent's).
	Agent string
	// Arrived is when the buyer first asked (or the agent started it).
	Arrived time.Time
	// LastMessage orders the history, newest first.
	LastMessage time.Time
	// At is when it closed.
	At     time.Time
	Reason CloseReason
	Flags  Flags
}

// Closed returns a closed session that is still in its agent's history
// (at most Policy.HistoryLimit per agent are kept), so that a buyer who
// polls a session that just closed learns how it ended. If the id was
// closed more than once (ids may be reused after a close), it is the
// latest of them; Session finds an open session of the id. Left and
// expired sessions are not kept.
//
// Cost O(h) for the h records the shop's histories hold (20 agents × 200
// records: a few tens of µs): a query, not on the dispatch path, and
// cheaper there than an index by id that every close would have to keep
// (a cold map write per close, +60% to close → pull at 10⁴ agents).
func (e *Engine) Closed(id string) (Closed, bool) {
	var best *closed
	var at *agent.Agent
	for a := range e.roster.All() {
		h := &e.readDesk(a).history
		for i := range h.Len() {
			if c := h.at(i); c.session == id && (best == nil || c.key > best.key) {
				best, at = c, a
			}
		}
	}
	if best == nil {
		return Closed{}, false
	}
	out := e.record(*best)
	out.Agent = at.ID()
	return out, true
}

// Page selects part of a list: skip Offset entries, return at most Limit
// (0: all the rest).
type Page struct {
	Offset, Limit int
}

func (p Page) check() error {
	if p.Offset < 0 || p.Limit < 0 {
		return fmt.Errorf("%w: offset %d, limit %d", ErrInvalidPage, p.Offset, p.Limit)
	}
	return nil
}

// List returns a page of the agent's current-session list in the order of
// L4 (unreplied first, longest waiting first; then replied, newest last
// message first) and the list's length. Cost O(log m + offset + limit)
// for m sessions in the list; nothing is sorted. Queries do not fire
// timers: call Advance(now) first to list the state at now.
//
// Errors: ErrUnknownAgent, ErrInvalidPage.
func (e *Engine) List(agentID string, p Page) ([]SessionInfo, int, error) {
	a, err := e.agent(agentID)
	if err != nil {
		return nil, 0, err
	}
	if err := p.check(); err != nil {
		return nil, 0, err
	}
	d := e.readDesk(a)
	return page(d.list.Ascend, p, func(x listed) SessionInfo { return e.info(x.s) }), d.list.Len(), nil
}

// page returns the entries ascend yields from p.Offset, at most p.Limit
// of them, converted by f; a walk of O(log n + offset + limit).
func page[T, R any](ascend func(func(T) bool), p Page, f func(T) R) []R {
	var out []R
	i := 0
	ascend(func(x T) bool {
		if i >= p.Offset {
			out = append(out, f(x))
		}
		i++
		return p.Limit == 0 || len(out) < p.Limit
	})
	return out
}

// History returns a page of the agent's closed sessions, newest last
// message first (L4), and how many are kept (at most Policy.HistoryLimit).
// Cost O(limit) for the page: the history is read by index, nothing is
// sorted.
//
// Errors: ErrUnknownAgent, ErrInvalidPage.
func (e *Engine) History(agentID string, p Page) ([]Closed, int, error) {
	a, err := e.agent(agentID)
	if err != nil {
		return nil, 0, err
	}
	if err := p.check(); err != nil {
		return nil, 0, err
	}
	d := e.readDesk(a)
	h := &d.history
	var out []Closed
	for i := p.Offset; i < h.Len() && (p.Limit == 0 || len(out) < p.Limit); i++ {
		out = append(out, e.record(h.shown(i)))
	}
	return out, h.Len(), nil
}
