package metrics

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Hour is one row of the hourly report (M5, Feige's 每小时 data), or the
// day's total row. Counts are by the hour the thing happened; the reply
// rate and first response by the hour the shop's clock started.
type Hour struct {
	// Hour is the local hour 0–23; -1 in the total row.
	Hour int `json:"hour"`
	// Consultations counts sessions buyers started (the buyer's first
	// message), excluding agent-started ones and buyers who then left the
	// queue or offline pool (Q3).
	Consultations int `json:"consultations"`
	// Human counts sessions that entered an agent's list for the first
	// time (human receptions); transfers do not count again.
	Human int `json:"human"`
	// Bot counts sessions the bot received.
	Bot int `json:"bot"`
	// Queued counts entries into the queue pool (a session requeued
	// counts again).
	Queued int `json:"queued"`
	// Left counts buyers who gave up waiting in the queue or offline pool
	// (Q3); their sessions are in no other count, unless an agent had
	// received them before a requeue (S5).
	Left int `json:"left"`
	// MaxQueue is the longest the queue pool was during the hour (in the
	// total row: during the day).
	MaxQueue int `json:"max_queue"`
	// ReplyRate is the shop's 3-minute reply rate (M3) of sessions whose
	// clock started in the hour; "no data" for hours not counted.
	ReplyRate Rate `json:"reply_rate"`
	// FirstResponse is the mean delay from the start of the shop's clock
	// to the first human reply, over the sessions replied.
	FirstResponse Mean `json:"first_response"`
}

func (h Hour) empty() bool {
	return h.Consultations == 0 && h.Human == 0 && h.Bot == 0 && h.Queued == 0 && h.Left == 0 &&
		h.MaxQueue == 0 && h.ReplyRate.Den == 0 && h.FirstResponse.Count == 0
}

// Hourly is the hourly report of one day (M5), for staffing.
type Hourly struct {
	Date Date `json:"date"`
	// Hours has 24 rows, hour 0 to 23.
	Hours []Hour `json:"hours"`
	// Total is the day's totals, kept apart from the rows; each count is
	// the sum of the rows, MaxQueue their maximum.
	Total Hour `json:"total"`
}

// Hourly returns the hourly report of day d (M5). A day with no activity
// (or forgotten) has zero rows; one the queue waited through with no
// event has only the max queue length. Cost O(1), plus O(log spans) for
// the max queue of hours passed with no event on days with no other data.
func (r *Recorder) Hourly(d Date) Hourly {
	out := Hourly{Date: d, Hours: make([]Hour, 24), Total: Hour{Hour: -1}}
	if x := r.dayAt(d, false); x != nil {
		copy(out.Hours, x.hours[:])
		out.Total = x.total
	} else {
		for h := range out.Hours {
			out.Hours[h].Hour = h
		}
	}
	r.carriedInto(&out, d)
	return out
}

// String renders the report as a table of the hours with activity and the
// total row.
func (h Hourly) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hourly report %s\n", h.Date)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "hour\tconsult\thuman\tbot\tqueued\tleft\tmax queue\t3-min reply\tfirst response\t")
	row := func(name string, x Hour) {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", name, x.Consultations, x.Human, x.Bot,
			x.Queued, x.Left, x.MaxQueue, x.ReplyRate, x.FirstResponse)
	}
	for _, x := range h.Hours {
		if !x.empty() {
			row(fmt.Sprintf("%02d", x.Hour), x)
		}
	}
	row("total", h.Total)
	w.Flush()
	return trimLines(b.String())
}

// ShopReplies is the shop's responsiveness over a period.
type ShopReplies struct {
	// ReplyRate is the shop's 3-minute reply rate (M3).
	ReplyRate Rate `json:"reply_rate"`
	// FirstResponse is the mean delay from the start of the shop's clock
	// to the first human reply.
	FirstResponse Mean `json:"first_response"`
	// Response is the mean delay from a buyer message to the next agent
	// reply (M8), queue time included.
	Response Mean `json:"response"`
}

// AgentReplies is one agent's responsiveness over a period.
type AgentReplies struct {
	Agent string `json:"agent"`
	// ReplyRate is the agent's 3-minute reply rate (M2).
	ReplyRate Rate `json:"reply_rate"`
	// Response is the mean delay from a buyer message (or the session
	// entering its list, if later) to its next reply (M8).
	Response Mean `json:"response"`
	// FirstResponses counts sessions whose first human reply it gave.
	FirstResponses int `json:"first_responses"`
	// Received counts sessions it received (M6's today received over the
	// period): not started by it, not transferred away.
	Received int `json:"received"`
}

// Replies is the reply-rate and response-time report of a period (M2, M3,
// M8).
type Replies struct {
	From Date `json:"from"`
	To   Date `json:"to"`
	// Window is the reply window (180 s).
	Window time.Duration `json:"window_ns"`
	// Counted is the set of local hours whose samples count.
	Counted Hours          `json:"counted_hours"`
	Shop    ShopReplies    `json:"shop"`
	Agents  []AgentReplies `json:"agents"`
}

// Replies returns the 3-minute reply rates and response times of the days
// from..to (inclusive): the shop's (M3, M8) and each agent's (M2, M8).
// Each sample is in the day its clock started. Samples still inside their
// window at the recorder's time ([Recorder.Now]: the latest event or
// Advance) are not counted yet.
func (r *Recorder) Replies(from, to Date) Replies {
	out := Replies{From: from, To: to, Window: r.cfg.window, Counted: r.cfg.hours}
	agents := map[string]*AgentReplies{}
	for _, d := range r.daysIn(from, to) {
		out.Shop.ReplyRate = out.Shop.ReplyRate.Add(d.total.ReplyRate)
		out.Shop.FirstResponse = out.Shop.FirstResponse.Add(d.total.FirstResponse)
		out.Shop.Response = out.Shop.Response.Add(d.resp)
		for id, s := range d.agents {
			a := agents[id]
			if a == nil {
				a = &AgentReplies{Agent: id}
				agents[id] = a
			}
			a.ReplyRate = a.ReplyRate.Add(s.reply)
			a.Response = a.Response.Add(s.resp)
			a.FirstResponses += s.first
			a.Received += s.received
		}
	}
	for _, a := range agents {
		out.Agents = append(out.Agents, *a)
	}
	slices.SortFunc(out.Agents, func(a, b AgentReplies) int { return cmp.Compare(a.Agent, b.Agent) })
	return out
}

// Agent returns the row of agent id; ok is false if it has none.
func (p Replies) Agent(id string) (AgentReplies, bool) {
	for _, a := range p.Agents {
		if a.Agent == id {
			return a, true
		}
	}
	return AgentReplies{}, false
}

// String renders the shop's line and a table of agents.
func (p Replies) String() string {
	var b strings.Builder
	period := p.From.String()
	if p.To != p.From {
		period += " to " + p.To.String()
	}
	fmt.Fprintf(&b, "replies %s (window %v, hours %s): shop reply %s, first response %s, response %s\n",
		period, p.Window, p.Counted, p.Shop.ReplyRate, p.Shop.FirstResponse, p.Shop.Response)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "agent\t3-min reply\tresponse\tfirst responses\treceived\t")
	for _, a := range p.Agents {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t\n", a.Agent, a.ReplyRate, a.Response, a.FirstResponses, a.Received)
	}
	w.Flush()
	return trimLines(b.String())
}

// PanelRow is one line of the real-time panel (M6, Feige's 顶部实时接待数据).
type PanelRow struct {
	// Agent is the agent, "" in the shop's row.
	Agent string `json:"agent,omitempty"`
	// InReception counts sessions in its list (接待中).
	InReception int `json:"in_reception"`
	// Unreplied counts those whose buyer's latest message has no agent
	// reply after it (L5).
	Unreplied int `json:"unreplied"`
	// Queued and Offline are the shop's queue pool and pending offline
	// messages; every agent sees the shop's numbers.
	Queued  int `json:"queued"`
	Offline int `json:"offline"`
	// Offered counts sessions on offer to the agent, not accepted yet
	// (E1): they are in none of the other counts (not in its list, not
	// queued); an accept moves one into InReception. Always 0 when the
	// policy makes no offers.
	Offered int `json:"offered,omitempty"`
	// TodayReceived counts sessions received today (今日已接待), excluding
	// sessions the agent started and sessions transferred away (004 FAQ
	// 4); the shop's row is the agents' sum.
	TodayReceived int `json:"today_received"`
}

// Panel is the real-time panel (M6).
type Panel struct {
	At   time.Time `json:"at"`
	Date Date      `json:"date"`
	// Bot counts sessions the bot holds now.
	Bot  int      `json:"bot"`
	Shop PanelRow `json:"shop"`
	// Agents has a row for each agent that holds a session now (in its
	// list or on offer) or has stats today, by id.
	Agents []PanelRow `json:"agents"`
}

// Panel returns the live counts, computed from the events observed, and
// today's received counts, today being now's day in the shop's time zone.
// Cost O(agents log agents).
func (r *Recorder) Panel(now time.Time) Panel {
	date := r.DateOf(now)
	today := r.dayAt(date, false)
	out := Panel{At: now, Date: date, Bot: r.botLen}
	out.Shop = PanelRow{Queued: r.queueLen, Offline: r.offlineLen}
	for id, a := range r.agents {
		row := PanelRow{Agent: id, InReception: a.inReception, Unreplied: a.unreplied, Queued: r.queueLen, Offline: r.offlineLen,
			Offered: a.offered}
		var st *agentDay
		if today != nil {
			st = today.agents[id]
		}
		if st != nil {
			row.TodayReceived = st.received
		}
		if st == nil && a.inReception == 0 && a.offered == 0 {
			continue
		}
		out.Shop.InReception += row.InReception
		out.Shop.Offered += row.Offered
		out.Shop.Unreplied += row.Unreplied
		out.Shop.TodayReceived += row.TodayReceived
		out.Agents = append(out.Agents, row)
	}
	slices.SortFunc(out.Agents, func(a, b PanelRow) int { return cmp.Compare(a.Agent, b.Agent) })
	return out
}

// Agent returns the row of agent id; ok is false if it has none.
func (p Panel) Agent(id string) (PanelRow, bool) {
	for _, a := range p.Agents {
		if a.Agent == id {
			return a, true
		}
	}
	return PanelRow{}, false
}

// String renders the shop's line and a table of agents.
func (p Panel) String() string {
	var b strings.Builder
	offers := "" // the offered column only when there are offers (E1)
	if p.Shop.Offered > 0 {
		offers = fmt.Sprintf(", offered %d", p.Shop.Offered)
	}
	fmt.Fprintf(&b, "panel %s: in reception %d, unreplied %d%s, queued %d, offline %d, bot %d, today received %d\n",
		p.At.Format("2006-01-02 15:04"), p.Shop.InReception, p.Shop.Unreplied, offers, p.Shop.Queued, p.Shop.Offline, p.Bot,
		p.Shop.TodayReceived)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	if offers == "" {
		fmt.Fprintln(w, "agent\tin reception\tunreplied\ttoday received\t")
		for _, a := range p.Agents {
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t\n", a.Agent, a.InReception, a.Unreplied, a.TodayReceived)
		}
	} else {
		fmt.Fprintln(w, "agent\tin reception\tunreplied\toffered\ttoday received\t")
		for _, a := range p.Agents {
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t\n", a.Agent, a.InReception, a.Unreplied, a.Offered, a.TodayReceived)
		}
	}
	w.Flush()
	return trimLines(b.String())
}

// AlertKind says why a session is on the alert list (M7).
type AlertKind uint8

const (
	// AlertDisappointed: the buyer rated the service disappointed (失望).
	AlertDisappointed AlertKind = iota + 1
	// AlertSlowFirstReply: the buyer waited longer than the first-reply
	// threshold for the first human reply.
	AlertSlowFirstReply
	// AlertSlowReply: the buyer waited longer than the reply threshold for
	// a later reply.
	AlertSlowReply
)

var alertNames = [...]string{"", "disappointed", "slow-first-reply", "slow-reply"}

// String returns "disappointed", "slow-first-reply" or "slow-reply".
func (k AlertKind) String() string {
	if k != 0 && int(k) < len(alertNames) {
		return alertNames[k]
	}
	return fmt.Sprintf("AlertKind(%d)", uint8(k))
}

// MarshalText encodes String.
func (k AlertKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Alert is one entry of the alert list: rule M7's warning list (预警管理),
// a session a supervisor may want to step into. (It is not a
// dispatch.Warning, the engine's advice to a person about a setting.)
type Alert struct {
	Kind    AlertKind `json:"kind"`
	Session string    `json:"session,omitempty"`
	Buyer   string    `json:"buyer,omitempty"`
	// Agent replied late, held the session unanswered, or was rated.
	Agent string `json:"agent,omitempty"`
	// Bot: the bot was rated.
	Bot bool `json:"bot,omitempty"`
	// At is when it was found: the rating, the late reply, the close of
	// a session never answered, or the report time for one still waiting.
	At time.Time `json:"at"`
	// Wait is how long the buyer waited (slow replies).
	Wait time.Duration `json:"wait_ns,omitempty"`
	// Unanswered: the wait had no reply: the session closed, or (from
	// Overdue) still waits.
	Unanswered bool `json:"unanswered,omitempty"`
}

// String renders the alert on one line.
func (a Alert) String() string {
	s := fmt.Sprintf("%s %s %s", a.At.Format("15:04:05"), a.Kind, a.Session)
	who := a.Agent
	if a.Bot {
		who = "bot"
		if a.Agent != "" {
			who += ":" + a.Agent
		}
	}
	if who != "" {
		s += " " + who
	}
	if a.Wait > 0 {
		s += " waited " + a.Wait.Round(time.Second).String()
	}
	if a.Unanswered {
		s += " unanswered"
	}
	return s
}

// Alerts returns the alert list of the days from..to (M7, the warning
// list): every
// disappointed rating, and every reply that came after the buyer waited
// over the threshold, or a close with the buyer waiting that long, in
// time order. See [Recorder.Overdue] for sessions waiting now.
func (r *Recorder) Alerts(from, to Date) []Alert {
	var out []Alert
	for _, d := range r.daysIn(from, to) {
		out = append(out, d.alerts...)
	}
	slices.SortStableFunc(out, func(a, b Alert) int { return a.At.Compare(b.At) })
	return out
}

// Overdue returns, as alerts, the open sessions whose buyer has waited,
// at now, longer than the threshold with no reply (M7), longest wait first: the
// ones a supervisor can still step into. Sessions the bot holds are not
// listed. Cost O(open sessions).
func (r *Recorder) Overdue(now time.Time) []Alert {
	var out []Alert
	for _, s := range r.sessions {
		if !s.shop || !s.unreplied || s.place == placeBot {
			continue
		}
		wait := inst(now).sub(later(s.waitSince, s.shopStart))
		kind, limit := AlertSlowReply, r.cfg.slowAny
		if !s.replied {
			kind, limit = AlertSlowFirstReply, r.cfg.slowFirst
		}
		if wait <= limit {
			continue
		}
		w := Alert{Kind: kind, Session: s.id, Buyer: s.buyer, At: now, Wait: wait, Unanswered: true}
		if s.place == placeAgent { // not the agent it is offered to (E1): not in its list

			w.Agent = s.holder.id
		}
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b Alert) int {
		if c := cmp.Compare(b.Wait, a.Wait); c != 0 {
			return c
		}
		return cmp.Compare(a.Session, b.Session)
	})
	return out
}

// Dashboard is what a supervisor's screen shows at one moment: the
// real-time panel, today's hourly report and today's reply rates.
type Dashboard struct {
	Panel   Panel   `json:"panel"`
	Hourly  Hourly  `json:"hourly"`
	Replies Replies `json:"replies"`
}

// Dashboard returns the panel at now and today's hourly report and reply
// rates, today being now's day in the shop's time zone. Reports read the
// recorder as it is: call [Recorder.Advance](now) first so that windows
// that ran out since the last event count.
func (r *Recorder) Dashboard(now time.Time) Dashboard {
	d := r.DateOf(now)
	return Dashboard{Panel: r.Panel(now), Hourly: r.Hourly(d), Replies: r.Replies(d, d)}
}

// String renders the panel, the agents' reply rates and the hourly
// report, separated by blank lines.
func (d Dashboard) String() string {
	return d.Panel.String() + "\n" + d.Replies.String() + "\n" + d.Hourly.String()
}

// trimLines drops the spaces tabwriter leaves at line ends and the
// indentation its right alignment gives every line of a table (all but
// the first line, a title).
func trimLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	indent := -1
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
		if n := len(lines[i]) - len(strings.TrimLeft(lines[i], " ")); i > 0 && (indent < 0 || n < indent) {
			indent = n
		}
	}
	for i := 1; i < len(lines); i++ {
		lines[i] = lines[i][max(indent, 0):]
	}
	return strings.Join(lines, "\n") + "\n"
}
