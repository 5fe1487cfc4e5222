package main

import (
	"encoding"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
	"github.com/kefu-dev/kefu/policy"
)

// routes registers the handlers (Go 1.22 method and path patterns).
func (s *server) routes() {
	m := http.NewServeMux()
	// shop
	m.HandleFunc("POST /shops", s.createShop)
	m.HandleFunc("GET /shops/{shop}", s.dashboard)
	m.HandleFunc("GET /shops/{shop}/events", s.shopEvents)
	// buyer side
	m.HandleFunc("POST /shops/{shop}/sessions", s.arrive)
	m.HandleFunc("GET /shops/{shop}/sessions/{session}", s.session)
	m.HandleFunc("POST /shops/{shop}/sessions/{session}/messages", s.buyerMessage)
	m.HandleFunc("POST /shops/{shop}/sessions/{session}/leave", s.leave)
	m.HandleFunc("GET /shops/{shop}/sessions/{session}/events", s.sessionEvents)
	// agent side
	m.HandleFunc("POST /shops/{shop}/agents", s.addAgent)
	m.HandleFunc("DELETE /shops/{shop}/agents/{agent}", s.agentOp(dispatch.OpRemoveAgent))
	m.HandleFunc("POST /shops/{shop}/agents/{agent}/login", s.agentOp(dispatch.OpLogin))
	m.HandleFunc("POST /shops/{shop}/agents/{agent}/logout", s.agentOp(dispatch.OpLogout))
	m.HandleFunc("PUT /shops/{shop}/agents/{agent}/status", s.setStatus)
	m.HandleFunc("PUT /shops/{shop}/agents/{agent}/capacity", s.setCapacity)
	m.HandleFunc("GET /shops/{shop}/agents/{agent}/sessions", s.list)
	m.HandleFunc("GET /shops/{shop}/agents/{agent}/history", s.history)
	m.HandleFunc("POST /shops/{shop}/agents/{agent}/sessions/{session}/messages", s.reply)
	m.HandleFunc("POST /shops/{shop}/agents/{agent}/sessions/{session}/close", s.closeSession)
	m.HandleFunc("POST /shops/{shop}/agents/{agent}/sessions/{session}/transfer", s.transfer)
	m.HandleFunc("GET /shops/{shop}/agents/{agent}/events", s.agentEvents)
	// E1, E5: an agent answers an offer, or ends its wrap-up.
	m.HandleFunc("POST /shops/{shop}/agents/{agent}/sessions/{session}/accept", s.answer(dispatch.OpAccept))
	m.HandleFunc("POST /shops/{shop}/agents/{agent}/sessions/{session}/reject", s.answer(dispatch.OpReject))
	m.HandleFunc("POST /shops/{shop}/agents/{agent}/wrap-up/end", s.agentOp(dispatch.OpEndWrapUp))
	s.mux = m
}

// opResult is the answer to every op: the events it caused, in the wire
// form of dispatch.Event (the same objects the SSE streams carry).
type opResult struct {
	Events []dispatch.Event `json:"events"`
}

// op applies op to the request's shop and answers its events with
// status, or the error.
func (s *server) op(w http.ResponseWriter, r *http.Request, status int, op dispatch.Op, check func(*dispatch.Engine) error) {
	evs, err := s.apply(r.Context(), r.PathValue("shop"), op, check)
	if err != nil {
		fail(w, err)
		return
	}
	if evs == nil {
		evs = []dispatch.Event{}
	}
	writeJSON(w, status, opResult{evs})
}

// createShop: POST /shops {"shop": "demo", "preset": "kuaishou"}, or
// {"shop": "demo", "policy": {...}} with a policy in its JSON encoding
// (package policy), e.g. {"offerTimeout": "30s", "wrapUp": "45s"}.
func (s *server) createShop(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Shop   string         `json:"shop"`
		Preset string         `json:"preset,omitempty"`
		Policy *policy.Policy `json:"policy,omitempty"`
	}
	if err := decode(r, &req); err != nil {
		fail(w, err)
		return
	}
	var p policy.Policy
	switch {
	case req.Policy != nil && req.Preset != "":
		fail(w, invalid(`give "preset" or "policy", not both`))
		return
	case req.Policy != nil:
		p = *req.Policy
	default:
		var err error
		if p, err = policy.Preset(req.Preset); err != nil {
			fail(w, invalid(err.Error()))
			return
		}
	}
	if err := s.host.Create(r.Context(), req.Shop, p); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, req)
}

// arrive: POST /shops/{shop}/sessions {"session": "s1", "buyer": "b1",
// "priority": 0, "entry": "product", "exclusive": "", "crowds": [...]}.
func (s *server) arrive(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Session   string              `json:"session"`
		Buyer     string              `json:"buyer"`
		Priority  int                 `json:"priority"`
		Entry     dispatch.EntryPoint `json:"entry"`
		Exclusive string              `json:"exclusive"`
		Crowds    []struct {
			Crowd string    `json:"crowd"`
			Since time.Time `json:"since"`
		} `json:"crowds"`
	}
	if err := decode(r, &req); err != nil {
		fail(w, err)
		return
	}
	a := dispatch.Arrival{Session: req.Session, Buyer: req.Buyer, Priority: req.Priority, Entry: req.Entry,
		Exclusive: req.Exclusive}
	for _, c := range req.Crowds {
		a.Crowds = append(a.Crowds, dispatch.Membership{Crowd: c.Crowd, Since: c.Since})
	}
	s.op(w, r, http.StatusCreated, dispatch.Op{Kind: dispatch.OpArrive, Arrival: a}, nil)
}

// buyerMessage: POST /shops/{shop}/sessions/{session}/messages, body
// optional: {"from": "buyer"} (or "bot", "system"). The text itself goes
// through the IM backend; the engine needs only who wrote.
func (s *server) buyerMessage(w http.ResponseWriter, r *http.Request) {
	req := struct {
		From dispatch.Sender `json:"from"`
	}{From: dispatch.FromBuyer}
	if err := decode(r, &req); err != nil {
		fail(w, err)
		return
	}
	if req.From == dispatch.FromAgent {
		fail(w, invalid("an agent replies through /shops/{shop}/agents/{agent}/sessions/{session}/messages"))
		return
	}
	s.op(w, r, http.StatusOK, dispatch.Op{Kind: dispatch.OpMessage,
		Message: dispatch.Message{Session: r.PathValue("session"), From: req.From}}, nil)
}

// leave: POST /shops/{shop}/sessions/{session}/leave (a waiting buyer
// gives up, Q3).
func (s *server) leave(w http.ResponseWriter, r *http.Request) {
	s.op(w, r, http.StatusOK, dispatch.Op{Kind: dispatch.OpLeave, Session: r.PathValue("session")}, nil)
}

// addAgent: POST /shops/{shop}/agents {"agent": "wang", "capacity": 20,
// "status": "online", "group": ""}; capacity is a number, "unlimited" or
// "suspended" (default unlimited, which Douyin refuses); status "offline"
// means not logged in yet.
func (s *server) addAgent(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Agent    string       `json:"agent"`
		Capacity capacityJSON `json:"capacity"`
		Status   agent.Status `json:"status"`
		Group    string       `json:"group"`
	}
	if err := decode(r, &req); err != nil {
		fail(w, err)
		return
	}
	s.op(w, r, http.StatusCreated, dispatch.Op{Kind: dispatch.OpAddAgent, Agent: req.Agent,
		AgentConfig: dispatch.AgentConfig{Capacity: req.Capacity.c, Status: req.Status, Group: req.Group}}, nil)
}

// agentOp answers an op that names only the agent: login, logout, remove.
func (s *server) agentOp(kind dispatch.OpKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.op(w, r, http.StatusOK, dispatch.Op{Kind: kind, Agent: r.PathValue("agent")}, nil)
	}
}

// answer: POST /shops/{shop}/agents/{agent}/sessions/{session}/accept or
// /reject, an agent's answer to an offer (E1): 409 if the session is not
// offered to this agent.
func (s *server) answer(kind dispatch.OpKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.op(w, r, http.StatusOK, dispatch.Op{Kind: kind, Session: r.PathValue("session"), Agent: r.PathValue("agent")}, nil)
	}
}

// setStatus: PUT /shops/{shop}/agents/{agent}/status {"status": "break"}.
func (s *server) setStatus(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Status agent.Status `json:"status"`
	}
	if err := decode(r, &req); err != nil {
		fail(w, err)
		return
	}
	s.op(w, r, http.StatusOK, dispatch.Op{Kind: dispatch.OpSetStatus, Agent: r.PathValue("agent"), Status: req.Status}, nil)
}

// setCapacity: PUT /shops/{shop}/agents/{agent}/capacity {"capacity": 20}.
func (s *server) setCapacity(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Capacity *capacityJSON `json:"capacity"`
	}
	if err := decode(r, &req); err != nil {
		fail(w, err)
		return
	}
	if req.Capacity == nil {
		fail(w, invalid(`"capacity" is required: a number, "unlimited" or "suspended"`))
		return
	}
	s.op(w, r, http.StatusOK, dispatch.Op{Kind: dispatch.OpSetCapacity, Agent: r.PathValue("agent"),
		Capacity: req.Capacity.c}, nil)
}

// reply: POST /shops/{shop}/agents/{agent}/sessions/{session}/messages,
// body optional: {"unreachable": true} when the buyer blocked the shop
// (S4).
func (s *server) reply(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Unreachable bool `json:"unreachable"`
	}
	if err := decode(r, &req); err != nil {
		fail(w, err)
		return
	}
	s.op(w, r, http.StatusOK, dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{
		Session: r.PathValue("session"), From: dispatch.FromAgent, Agent: r.PathValue("agent"),
		Unreachable: req.Unreachable}}, nil)
}

// closeSession: POST /shops/{shop}/agents/{agent}/sessions/{session}/close.
// The session must be in the agent's list; the close frees the agent's
// place, which pulls the queue head in (C5).
func (s *server) closeSession(w http.ResponseWriter, r *http.Request) {
	s.op(w, r, http.StatusOK, dispatch.Op{Kind: dispatch.OpClose, Session: r.PathValue("session")}, s.holds(r))
}

// transfer: POST /shops/{shop}/agents/{agent}/sessions/{session}/transfer
// {"to": "li"}, to an online or on-break agent (S3, R3).
func (s *server) transfer(w http.ResponseWriter, r *http.Request) {
	var req struct {
		To string `json:"to"`
	}
	if err := decode(r, &req); err != nil {
		fail(w, err)
		return
	}
	s.op(w, r, http.StatusOK, dispatch.Op{Kind: dispatch.OpTransfer, Session: r.PathValue("session"), Agent: req.To},
		s.holds(r))
}

// holds returns a check that the request's agent holds its session: the
// engine's Close and Transfer take any session, the agent's URL says
// whose it must be.
func (s *server) holds(r *http.Request) func(*dispatch.Engine) error {
	id, sid := r.PathValue("agent"), r.PathValue("session")
	return func(e *dispatch.Engine) error {
		if _, ok := e.Agent(id); !ok {
			return fmt.Errorf("%w: %q", dispatch.ErrUnknownAgent, id)
		}
		info, ok := e.Session(sid)
		switch {
		case !ok:
			return fmt.Errorf("%w: %q", dispatch.ErrUnknownSession, sid)
		case info.Place != dispatch.PlaceAgent:
			return fmt.Errorf("%w: %q is in the %s", dispatch.ErrNotInReception, sid, text(info.Place))
		case info.Agent != id:
			return fmt.Errorf("%w: %q is with %q, not %q", dispatch.ErrNotYourSession, sid, info.Agent, id)
		}
		return nil
	}
}

// session: GET /shops/{shop}/sessions/{session}: where the session is,
// and, while it waits, its position ("you are number 2 of 5", Q3). A
// session that closed recently answers from its agent's history.
func (s *server) session(w http.ResponseWriter, r *http.Request) {
	sid := r.PathValue("session")
	var out sessionView
	found := false
	err := s.host.Read(r.Context(), r.PathValue("shop"), func(e *dispatch.Engine) {
		if info, ok := e.Session(sid); ok {
			out, found = viewSession(info), true
			out.Position, out.Length, _ = e.Position(sid)
		} else if c, ok := e.Closed(sid); ok {
			out, found = viewClosed(c), true
		}
	})
	if err == nil && !found {
		err = fmt.Errorf("%w: %q", dispatch.ErrUnknownSession, sid)
	}
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// listResult is a page of an agent's list or history.
type listResult struct {
	Agent    string        `json:"agent"`
	Total    int           `json:"total"`
	Offset   int           `json:"offset"`
	Sessions []sessionView `json:"sessions"`
}

// list: GET /shops/{shop}/agents/{agent}/sessions?offset=0&limit=50, the
// agent's current sessions in Feige's order (L4).
func (s *server) list(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, func(e *dispatch.Engine, id string, p dispatch.Page) ([]sessionView, int, error) {
		infos, total, err := e.List(id, p)
		out := make([]sessionView, 0, len(infos))
		for _, info := range infos {
			out = append(out, viewSession(info))
		}
		return out, total, err
	})
}

// history: GET /shops/{shop}/agents/{agent}/history?offset=0&limit=50,
// the agent's closed sessions, newest first (the engine keeps the last
// Policy.HistoryLimit).
func (s *server) history(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, func(e *dispatch.Engine, id string, p dispatch.Page) ([]sessionView, int, error) {
		cs, total, err := e.History(id, p)
		out := make([]sessionView, 0, len(cs))
		for _, c := range cs {
			out = append(out, viewClosed(c))
		}
		return out, total, err
	})
}

// page answers a paged query of the request's agent.
func (s *server) page(w http.ResponseWriter, r *http.Request, f func(*dispatch.Engine, string, dispatch.Page) ([]sessionView, int, error)) {
	p := dispatch.Page{Limit: 50}
	for name, v := range map[string]*int{"offset": &p.Offset, "limit": &p.Limit} {
		if q := r.URL.Query().Get(name); q != "" {
			n, err := strconv.Atoi(q)
			if err != nil {
				fail(w, invalid(fmt.Sprintf("%s=%q is not a number", name, q)))
				return
			}
			*v = n
		}
	}
	out := listResult{Agent: r.PathValue("agent"), Offset: p.Offset}
	var qerr error
	err := s.host.Read(r.Context(), r.PathValue("shop"), func(e *dispatch.Engine) {
		out.Sessions, out.Total, qerr = f(e, out.Agent, p)
	})
	if err == nil {
		err = qerr
	}
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// dashboardView is a shop's screen for a supervisor.
type dashboardView struct {
	Shop    string      `json:"shop"`
	At      string      `json:"at"`
	Queue   int         `json:"queue"`
	Offline int         `json:"offline"`
	Bot     int         `json:"bot"`
	Agents  []agentView `json:"agents"`
	Stats   statsView   `json:"stats"`
	Metrics metricsView `json:"metrics"`
}

// metricsView is the metrics recorder's figures for today: the real-time
// panel (M6), the reply rates (M2, M3, M8) and the hours of the hourly
// report (M5) that had activity, with the day's total. They are as of
// the shop's last op (AsOf): a query does not move the recorder's clock.
type metricsView struct {
	AsOf    string          `json:"as_of"`
	Panel   metrics.Panel   `json:"panel"`
	Replies metrics.Replies `json:"replies"`
	Hours   []metrics.Hour  `json:"hours"`
	Today   metrics.Hour    `json:"today"`
}

// dashboard: GET /shops/{shop}.
func (s *server) dashboard(w http.ResponseWriter, r *http.Request) {
	shop := r.PathValue("shop")
	now := s.now()
	out := dashboardView{Shop: shop, At: timeText(now), Agents: []agentView{}}
	err := s.host.Read(r.Context(), shop, func(e *dispatch.Engine) {
		out.Queue, out.Offline, out.Bot = e.QueueLen(), e.OfflineLen(), e.BotLen()
		for a := range e.Agents() {
			out.Agents = append(out.Agents, viewAgent(a))
		}
		out.Stats = viewStats(e.Stats())
		if rec, ok := e.Observer("metrics").(*metrics.Recorder); ok {
			d := rec.Dashboard(now)
			out.Metrics = metricsView{AsOf: timeText(rec.Now()), Panel: d.Panel, Replies: d.Replies,
				Hours: []metrics.Hour{}, Today: d.Hourly.Total}
			for _, h := range d.Hourly.Hours {
				if h != (metrics.Hour{Hour: h.Hour}) {
					out.Metrics.Hours = append(out.Metrics.Hours, h)
				}
			}
		}
	})
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// sessionView is a session in a response: open (its place, and its
// position while it waits) or closed (from its agent's history).
type sessionView struct {
	Session      string `json:"session"`
	Buyer        string `json:"buyer,omitempty"`
	Place        string `json:"place"` // agent, queue, offline, bot, or closed
	Agent        string `json:"agent,omitempty"`
	Position     int    `json:"position,omitempty"`
	Length       int    `json:"length,omitempty"`
	Priority     int    `json:"priority,omitempty"`
	Flags        string `json:"flags,omitempty"`
	Arrived      string `json:"arrived,omitempty"`
	Entered      string `json:"entered,omitempty"`
	Deadline     string `json:"deadline,omitempty"`
	LastFrom     string `json:"last_from,omitempty"`
	LastMessage  string `json:"last_message,omitempty"`
	Unreplied    bool   `json:"unreplied,omitempty"`
	WaitingSince string `json:"waiting_since,omitempty"`
	Unread       int    `json:"unread,omitempty"`
	FirstReply   string `json:"first_reply,omitempty"`
	Closed       string `json:"closed,omitempty"`
	Reason       string `json:"reason,omitempty"`
}

func viewSession(i dispatch.SessionInfo) sessionView {
	return sessionView{Session: i.ID, Buyer: i.Buyer, Place: text(i.Place), Agent: i.Agent, Priority: i.Priority,
		Flags: i.Flags.String(), Arrived: timeText(i.Arrived), Entered: timeText(i.Entered),
		Deadline: timeText(i.Deadline), LastFrom: text(i.LastFrom), LastMessage: timeText(i.LastMessage),
		Unreplied: i.Unreplied, WaitingSince: timeText(i.WaitingSince), Unread: i.Unread,
		FirstReply: timeText(i.FirstReply)}
}

func viewClosed(c dispatch.Closed) sessionView {
	return sessionView{Session: c.Session, Buyer: c.Buyer, Place: "closed", Agent: c.Agent, Flags: c.Flags.String(),
		Arrived: timeText(c.Arrived), LastMessage: timeText(c.LastMessage), Closed: timeText(c.At),
		Reason: text(c.Reason)}
}

// agentView is an agent in a response.
type agentView struct {
	Agent     string `json:"agent"`
	Status    string `json:"status"`
	Capacity  string `json:"capacity"`
	Load      int    `json:"load"`
	IdleSince string `json:"idle_since,omitempty"`
}

func viewAgent(a dispatch.AgentInfo) agentView {
	return agentView{Agent: a.ID, Status: a.Status.String(), Capacity: a.Capacity.String(), Load: a.Load,
		IdleSince: timeText(a.IdleSince)}
}

// statsView is dispatch.Stats with its arrays keyed by name.
type statsView struct {
	Sessions    map[string]int    `json:"sessions"` // by place (gauge)
	Agents      map[string]int    `json:"agents"`   // by status (gauge)
	Arrived     uint64            `json:"arrived"`
	Started     uint64            `json:"started"`
	Assigned    map[string]uint64 `json:"assigned"` // by cause
	Queued      uint64            `json:"queued"`
	Offline     uint64            `json:"offline"`
	Bot         uint64            `json:"bot"`
	Transferred uint64            `json:"transferred"`
	Offered     uint64            `json:"offered"`    // offers made (E1)
	Accepted    uint64            `json:"accepted"`   // offers accepted
	Rejected    uint64            `json:"rejected"`   // offers rejected, or withdrawn from an agent gone offline
	TimedOut    uint64            `json:"timed_out"`  // offers let time out
	Reassigned  uint64            `json:"reassigned"` // sessions moved on (E3, E4)
	WrapUps     uint64            `json:"wrap_ups"`   // wrap-ups started (E5)
	Diverted    map[string]uint64 `json:"diverted"`   // by cause: queue cap, maximum wait (E8), outside hours (E11)
	Refused     uint64            `json:"refused"`    // sessions refused (E8)
	Inactive    uint64            `json:"inactive"`   // sessions gone inactive (E9)
	Closed      map[string]uint64 `json:"closed"`     // by reason
	Left        uint64            `json:"left"`
	Expired     uint64            `json:"expired"`
	Messages    map[string]uint64 `json:"messages"` // by sender
	Warnings    map[string]uint64 `json:"warnings"` // by code
	Prompts     uint64            `json:"prompts"`
	Wait        histView          `json:"wait"`
	FirstReply  histView          `json:"first_reply"`
	Handle      histView          `json:"handle"`
}

// histView is a histogram's count and mean, in seconds.
type histView struct {
	Count       uint64  `json:"count"`
	MeanSeconds float64 `json:"mean_seconds"`
}

func viewHist(h dispatch.Histogram) histView {
	v := histView{Count: h.Count}
	if h.Count > 0 {
		v.MeanSeconds = h.Sum.Seconds() / float64(h.Count)
	}
	return v
}

func viewStats(st dispatch.Stats) statsView {
	v := statsView{Sessions: map[string]int{}, Agents: map[string]int{}, Assigned: map[string]uint64{},
		Diverted: map[string]uint64{}, Closed: map[string]uint64{}, Messages: map[string]uint64{}, Warnings: map[string]uint64{},
		Arrived: st.Arrived, Started: st.Started, Queued: st.Queued, Offline: st.Offline, Bot: st.Bot,
		Transferred: st.Transferred, Offered: st.Offered, Accepted: st.Accepted, Rejected: st.Rejected,
		TimedOut: st.TimedOut, Reassigned: st.Reassigned, WrapUps: st.WrapUps, Refused: st.Refused, Inactive: st.Inactive,
		Left: st.Left, Expired: st.Expired, Prompts: st.Prompts,
		Wait: viewHist(st.Wait), FirstReply: viewHist(st.FirstReply), Handle: viewHist(st.Handle)}
	for i := 1; i < len(st.Sessions); i++ {
		v.Sessions[text(dispatch.Place(i))] = st.Sessions[i]
	}
	for i := 1; i < len(st.Agents); i++ {
		v.Agents[agent.Status(i).String()] = st.Agents[i]
	}
	for i := 1; i < len(st.Assigned); i++ {
		if c := dispatch.Cause(i); c.Diversion() {
			v.Diverted[c.String()] = st.Diverted[i]
		} else {
			v.Assigned[c.String()] = st.Assigned[i]
		}
	}
	for i := 1; i < len(st.Closed); i++ {
		v.Closed[dispatch.CloseReason(i).String()] = st.Closed[i]
	}
	for i := 1; i < len(st.Messages); i++ {
		v.Messages[dispatch.Sender(i).String()] = st.Messages[i]
	}
	for i := 1; i < len(st.Warnings); i++ {
		v.Warnings[dispatch.Warning(i).Code()] = st.Warnings[i]
	}
	return v
}

// capacityJSON is a capacity in a request: 20, "20", "unlimited" or
// "suspended".
type capacityJSON struct{ c agent.Capacity }

// UnmarshalJSON reads a number or agent.Capacity's text.
func (c *capacityJSON) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	return c.c.UnmarshalText([]byte(s))
}

// text returns an enum's wire name, "" for none.
func text(v encoding.TextMarshaler) string {
	b, err := v.MarshalText()
	if err != nil {
		return ""
	}
	return string(b)
}

// timeText formats t as RFC 3339, "" for the zero time.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}
