package metrics

import (
	"bytes"
	"cmp"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/kefu-dev/kefu/dispatch"
)

// SnapshotVersion is the format version [Recorder.Snapshot] writes.
const SnapshotVersion = 1

const snapshotMagic = "kefu-metrics-snapshot"

// maxCount bounds every count a snapshot may hold, so that a day's total
// row (the sum of 24 rows) cannot overflow; a recorder reaches it after
// 10¹² events.
const maxCount = 1 << 40

// The snapshot body: everything that is state, nothing that is derived or
// cached. Day totals, the locate and per-agent caches, the free list and
// the stale entries of the pending FIFO are left out; Restore rebuilds or
// resets them. Instants are written in UTC; an instant that is 0 (none)
// is left out. Lists are sorted (sessions, agents and days by id or date,
// ratings by key), so that the same state gives the same bytes.
type snapshot struct {
	Now      time.Time     `json:"now"`
	NextID   uint64        `json:"nextID,omitempty"`
	Floor    *Date         `json:"floor,omitempty"` // Forget's boundary
	Queue    int           `json:"queue,omitempty"`
	Offline  int           `json:"offline,omitempty"`
	Bot      int           `json:"bot,omitempty"`
	QEnd     *time.Time    `json:"qEnd,omitempty"`
	Carried  []snapSpan    `json:"carried,omitempty"` // max queue through days with no bucket
	Agents   []snapAgent   `json:"agents,omitempty"`
	Sessions []snapSession `json:"sessions,omitempty"`
	Pending  []snapPending `json:"pending,omitempty"` // FIFO order
	Days     []snapDay     `json:"days,omitempty"`
}

type snapSpan struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	N    int       `json:"n"`
}

type snapAgent struct {
	ID          string `json:"id"`
	InReception int    `json:"inReception,omitempty"`
	Unreplied   int    `json:"unreplied,omitempty"`
	Offered     int    `json:"offered,omitempty"` // sessions on offer to it (E1)
}

type snapSession struct {
	ID          string      `json:"id"`
	Buyer       string      `json:"buyer,omitempty"`
	Place       string      `json:"place"`
	Agent       string      `json:"agent,omitempty"` // the holder, in place "agent" or "offered"
	Started     bool        `json:"started,omitempty"`
	Shop        bool        `json:"shop,omitempty"`
	Received    bool        `json:"received,omitempty"`
	Replied     bool        `json:"replied,omitempty"`
	Unreplied   bool        `json:"unreplied,omitempty"`
	Arrived     *time.Time  `json:"arrived,omitempty"`
	ShopStart   *time.Time  `json:"shopStart,omitempty"`
	WaitSince   *time.Time  `json:"waitSince,omitempty"`
	Entered     *time.Time  `json:"entered,omitempty"`
	Credit      *snapCredit `json:"credit,omitempty"`  // whose today-received counts it
	Consult     *snapSlot   `json:"consult,omitempty"` // where its consultation counts
	ShopSample  uint64      `json:"shopSample,omitempty"`
	ShopMissed  bool        `json:"shopMissed,omitempty"`
	StintOpen   bool        `json:"stintOpen,omitempty"`
	StintSample uint64      `json:"stintSample,omitempty"`
	StintStart  *time.Time  `json:"stintStart,omitempty"`
}

type snapCredit struct {
	Date  Date   `json:"date"`
	Agent string `json:"agent"`
}

type snapSlot struct {
	Date Date `json:"date"`
	Hour int  `json:"hour"`
}

type snapPending struct {
	Session  string    `json:"session"`
	ID       uint64    `json:"id"`
	Deadline time.Time `json:"deadline"`
	Agent    bool      `json:"agent,omitempty"` // M2 (the holder's), else M3 (the shop's)
}

type snapDay struct {
	Date    Date           `json:"date"`
	Hours   []snapHour     `json:"hours,omitempty"` // rows with data, by hour
	Resp    *snapMean      `json:"resp,omitempty"`
	Agents  []snapAgentDay `json:"agents,omitempty"`
	Ratings []Rating       `json:"ratings,omitempty"`
	Alerts  []snapAlert    `json:"warnings,omitempty"` // in the order found (M7: the warning list)
}

type snapHour struct {
	Hour          int       `json:"hour"`
	Consultations int       `json:"consultations,omitempty"`
	Human         int       `json:"human,omitempty"`
	Bot           int       `json:"bot,omitempty"`
	Queued        int       `json:"queued,omitempty"`
	Left          int       `json:"left,omitempty"`
	MaxQueue      int       `json:"maxQueue,omitempty"`
	ReplyRate     *snapRate `json:"replyRate,omitempty"`
	FirstResponse *snapMean `json:"firstResponse,omitempty"`
}

type snapAgentDay struct {
	Agent    string    `json:"agent"`
	Reply    *snapRate `json:"reply,omitempty"`
	Resp     *snapMean `json:"resp,omitempty"`
	First    int       `json:"first,omitempty"`
	Received int       `json:"received,omitempty"`
}

type snapRate struct {
	Num int `json:"num"`
	Den int `json:"den"`
}

type snapMean struct {
	Total time.Duration `json:"totalNs"`
	Count int           `json:"count"`
}

type snapAlert struct {
	Kind       string        `json:"kind"`
	Session    string        `json:"session,omitempty"`
	Buyer      string        `json:"buyer,omitempty"`
	Agent      string        `json:"agent,omitempty"`
	Bot        bool          `json:"bot,omitempty"`
	At         time.Time     `json:"at"`
	Wait       time.Duration `json:"waitNs,omitempty"`
	Unanswered bool          `json:"unanswered,omitempty"`
}

var placeNames = [...]string{"", "bot", "queue", "offline", "agent", "offered"}

// Snapshot returns the recorder's whole state as bytes: a header line
// with the format version and a CRC-32 of the body, then the body (JSON;
// kefu's one framing of persisted state, dispatch.Frame, with the magic
// "kefu-metrics-snapshot"):
// the clock, the open sessions with their running reply windows, the
// agents' live counts, the pool lengths, every kept day (hourly rows,
// per-agent stats, ratings, alerts) and the max queue carried through
// days with no data. The time zone and the options are
// not in it: they are the host's configuration, passed again to
// [Restore].
//
// Snapshot the recorder together with its engine
// ([dispatch.Engine.Snapshot]) at the same point of the event stream:
// after feeding the recorder every event of the engine's last call. Days
// before the [Recorder.Forget] boundary are not in it: nothing reports
// them, and what later events write to them is dropped either way. The
// same state gives the same bytes. Cost O(sessions + kept days × agents
// + ratings + alerts).
//
// The error is a JSON encoding failure, possible only for a time the host
// passed that RFC 3339 cannot write (a year after 9999).
func (r *Recorder) Snapshot() ([]byte, error) {
	s := snapshot{Now: r.now.UTC(), NextID: r.nextID, Queue: r.queueLen, Offline: r.offlineLen, Bot: r.botLen,
		QEnd: optTime(r.qEnd)}
	if !r.floor.IsZero() {
		f := r.floor
		s.Floor = &f
	}
	for _, x := range r.carried {
		s.Carried = append(s.Carried, snapSpan{From: utc(x.from), To: utc(x.to), N: x.n})
	}
	for id, a := range r.agents {
		s.Agents = append(s.Agents, snapAgent{ID: id, InReception: a.inReception, Unreplied: a.unreplied, Offered: a.offered})
	}
	slices.SortFunc(s.Agents, func(a, b snapAgent) int { return cmp.Compare(a.ID, b.ID) })

	credits := map[*agentDay]snapCredit{} // the kept days' stats; others are forgotten
	for date, d := range r.days {
		sd := snapDay{Date: date, Resp: optMean(d.resp)}
		for h := range d.hours {
			if x := d.hours[h]; x != (Hour{Hour: h}) {
				sd.Hours = append(sd.Hours, snapHour{Hour: h, Consultations: x.Consultations, Human: x.Human,
					Bot: x.Bot, Queued: x.Queued, Left: x.Left, MaxQueue: x.MaxQueue,
					ReplyRate: optRate(x.ReplyRate), FirstResponse: optMean(x.FirstResponse)})
			}
		}
		for id, st := range d.agents {
			credits[st] = snapCredit{date, id}
			sd.Agents = append(sd.Agents, snapAgentDay{Agent: id, Reply: optRate(st.reply), Resp: optMean(st.resp),
				First: st.first, Received: st.received})
		}
		slices.SortFunc(sd.Agents, func(a, b snapAgentDay) int { return cmp.Compare(a.Agent, b.Agent) })
		for _, x := range d.ratings {
			x.At = x.At.UTC()
			sd.Ratings = append(sd.Ratings, x)
		}
		slices.SortFunc(sd.Ratings, func(a, b Rating) int {
			return cmp.Or(cmp.Compare(a.Buyer, b.Buyer), cmp.Compare(a.Agent, b.Agent), cmpBool(a.Bot, b.Bot))
		})
		for _, w := range d.alerts {
			sd.Alerts = append(sd.Alerts, snapAlert{Kind: w.Kind.String(), Session: w.Session, Buyer: w.Buyer,
				Agent: w.Agent, Bot: w.Bot, At: w.At.UTC(), Wait: w.Wait, Unanswered: w.Unanswered})
		}
		s.Days = append(s.Days, sd)
	}
	slices.SortFunc(s.Days, func(a, b snapDay) int { return cmpDate(a.Date, b.Date) })

	for id, x := range r.sessions {
		ss := snapSession{ID: id, Buyer: x.buyer, Place: placeNames[x.place], Started: x.started, Shop: x.shop,
			Received: x.received, Replied: x.replied, Unreplied: x.unreplied,
			Arrived: optTime(x.arrived), ShopStart: optTime(x.shopStart), WaitSince: optTime(x.waitSince),
			Entered: optTime(x.entered), ShopSample: x.shopSample, ShopMissed: x.shopMissed,
			StintOpen: x.stintOpen, StintSample: x.stintSample, StintStart: optTime(x.stintStart)}
		if x.holder != nil {
			ss.Agent = x.holder.id
		}
		if c, ok := credits[x.credit]; ok && x.credit != nil {
			ss.Credit = &c
		}
		if d := x.consultDay; d != nil && r.days[d.date] == d {
			ss.Consult = &snapSlot{d.date, x.consultHour}
		}
		s.Sessions = append(s.Sessions, ss)
	}
	slices.SortFunc(s.Sessions, func(a, b snapSession) int { return cmp.Compare(a.ID, b.ID) })

	for i := 0; i < r.pending.n; i++ {
		p := r.pending.buf[(r.pending.head+i)%len(r.pending.buf)]
		if r.live(p) {
			s.Pending = append(s.Pending, snapPending{Session: p.s.id, ID: p.id, Deadline: utc(p.deadline), Agent: p.agent})
		}
	}

	body, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("metrics: snapshot: %w", err)
	}
	return dispatch.Frame(snapshotMagic, SnapshotVersion, body), nil
}

// live reports whether a pending sample still counts: its session is
// open and the sample is the session's current one. The others are
// skipped when they come due.
func (r *Recorder) live(p pending) bool {
	if p.s == nil || r.sessions[p.s.id] != p.s {
		return false
	}
	if p.agent {
		return p.s.stintSample == p.id
	}
	return p.s.shopSample == p.id
}

func utc(n instant) time.Time { return time.Unix(0, int64(n)).UTC() }

func optTime(n instant) *time.Time {
	if n == 0 {
		return nil
	}
	t := utc(n)
	return &t
}

func optRate(x Rate) *snapRate {
	if x == (Rate{}) {
		return nil
	}
	return &snapRate{x.Num, x.Den}
}

func optMean(x Mean) *snapMean {
	if x == (Mean{}) {
		return nil
	}
	return &snapMean{x.Total, x.Count}
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

func cmpDate(a, b Date) int {
	return cmp.Or(cmp.Compare(a.Year, b.Year), cmp.Compare(a.Month, b.Month), cmp.Compare(a.Day, b.Day))
}

// Restore builds a recorder from a snapshot taken by [Recorder.Snapshot],
// with the shop's time zone and options: the ones it was created with
// (other options apply from then on; another time zone may not fit the
// days kept). The restored recorder behaves exactly as the original would
// have from that point on: the same reports, and the same after the same
// further events, ratings and Advance calls. Restore it together with
// the engine snapshotted at the same point ([dispatch.Restore]).
//
// Errors: those of [New] for loc and opts; otherwise corrupt, truncated or
// inconsistent bytes return an error wrapping [ErrCorruptSnapshot] (or
// [ErrSnapshotVersion]), never a panic and never a half-built recorder.
// Every value is checked before use, and the state as a whole: each
// pending sample belongs to an open session, the agents' live counts and
// the pool lengths equal those of the sessions, counts are non-negative,
// and no later event can take one below zero.
//
// [Recorder.Now] comes back in the shop's time zone, ratings' times in
// UTC; no report depends on a time's location.
func Restore(loc *time.Location, data []byte, opts ...Option) (*Recorder, error) {
	r, err := New(loc, opts...)
	if err != nil {
		return nil, err
	}
	if err := r.restore(data); err != nil {
		return nil, err
	}
	return r, nil
}

// restore loads a snapshot into r, a recorder as New returns it; on error
// r is half-built and must be dropped.
func (r *Recorder) restore(data []byte) error {
	body, err := snapshotBody(data)
	if err != nil {
		return err
	}
	var s *snapshot
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return fmt.Errorf("%w: %v", ErrCorruptSnapshot, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the body", ErrCorruptSnapshot)
	}
	if s == nil {
		return fmt.Errorf("%w: null body", ErrCorruptSnapshot)
	}
	if err := r.load(s); err != nil {
		return fmt.Errorf("%w: %v", ErrCorruptSnapshot, err)
	}
	if err := r.verify(); err != nil {
		return fmt.Errorf("%w: restored state is inconsistent: %v", ErrCorruptSnapshot, err)
	}
	return nil
}

// The engine saves and restores a Recorder registered with
// dispatch.WithObserver through these two.
var (
	_ encoding.BinaryMarshaler   = (*Recorder)(nil)
	_ encoding.BinaryUnmarshaler = (*Recorder)(nil)
)

// MarshalBinary returns the recorder's snapshot, the same bytes as
// [Recorder.Snapshot]. With [Recorder.UnmarshalBinary] it lets a recorder
// registered with dispatch.WithObserver travel inside its engine's
// snapshot (Engine.Snapshot, dispatch.Restore), taken at the same point
// of the event stream by construction.
func (r *Recorder) MarshalBinary() ([]byte, error) { return r.Snapshot() }

// UnmarshalBinary loads a snapshot taken by [Recorder.Snapshot] (or
// MarshalBinary) into r, which must come from [New] with the shop's time
// zone and the options the snapshot's recorder had, as for [Restore]:
// r's whole state is replaced, its time zone and options are kept. On
// error r is unchanged; the errors are Restore's ([ErrCorruptSnapshot],
// [ErrSnapshotVersion]), and [ErrNilLocation] for a zero Recorder.
//
// dispatch.Restore calls it for a recorder given with dispatch.WithObserver:
//
//	fresh, err := metrics.New(loc, opts...)
//	eng, err := dispatch.Restore(pol, data, dispatch.WithObserver("metrics", fresh))
func (r *Recorder) UnmarshalBinary(data []byte) error {
	if r.loc == nil {
		return fmt.Errorf("%w: a Recorder not made by New", ErrNilLocation)
	}
	c := newRecorder(r.loc, r.cfg)
	if err := c.restore(data); err != nil {
		return err
	}
	*r = *c
	return nil
}

// snapshotBody checks the frame (dispatch.Unframe: the header line as
// dispatch.Frame writes it, and the checksum) and the version. A header
// of another version is ErrSnapshotVersion even if the checksum fails:
// another format may checksum otherwise.
func snapshotBody(data []byte) ([]byte, error) {
	version, body, err := dispatch.Unframe(snapshotMagic, data)
	if version != -1 && version != SnapshotVersion {
		return nil, fmt.Errorf("%w: version %d, this library reads %d", ErrSnapshotVersion, version, SnapshotVersion)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptSnapshot, err)
	}
	return body, nil
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// instOf converts a time read from a snapshot to an instant; it must be
// one (between 1677 and 2262).
func instOf(t time.Time) (instant, error) {
	n := t.UnixNano()
	if !time.Unix(0, n).Equal(t) {
		return 0, fmt.Errorf("time %v out of range", t)
	}
	return instant(n), nil
}

// optInst converts an optional instant: absent is 0.
func optInst(t *time.Time) (instant, error) {
	if t == nil {
		return 0, nil
	}
	return instOf(*t)
}

func checkCount(name string, n int) error {
	if n < 0 || n > maxCount {
		return fmt.Errorf("%s %d", name, n)
	}
	return nil
}

func loadRate(name string, x *snapRate) (Rate, error) {
	if x == nil {
		return Rate{}, nil
	}
	if !(x.Num >= 0 && x.Num <= x.Den && x.Den <= maxCount) {
		return Rate{}, fmt.Errorf("%s %d/%d", name, x.Num, x.Den)
	}
	return Rate{x.Num, x.Den}, nil
}

func loadMean(name string, x *snapMean) (Mean, error) {
	if x == nil {
		return Mean{}, nil
	}
	if err := checkCount(name+" count", x.Count); err != nil || (x.Count == 0 && x.Total != 0) {
		return Mean{}, fmt.Errorf("%s: %v over %d samples", name, x.Total, x.Count)
	}
	return Mean{x.Total, x.Count}, nil
}

// load fills a new recorder from a decoded snapshot, checking each value
// before it is used; verify then checks the whole.
func (r *Recorder) load(s *snapshot) error {
	if !s.Now.IsZero() {
		r.now, r.nowN = s.Now.In(r.loc), inst(s.Now)
	}
	r.nextID = s.NextID
	if s.Floor != nil {
		r.floor = *s.Floor
	}
	r.queueLen, r.offlineLen, r.botLen = s.Queue, s.Offline, s.Bot
	var err error
	if r.qEnd, err = optInst(s.QEnd); err != nil {
		return fmt.Errorf("qEnd: %v", err)
	}
	for _, x := range s.Carried {
		from, err1 := instOf(x.From)
		to, err2 := instOf(x.To)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("carried max queue: %v", err)
		}
		r.carried = append(r.carried, span{from, to, x.N})
	}
	for _, sa := range s.Agents {
		if _, dup := r.agents[sa.ID]; dup {
			return fmt.Errorf("duplicate agent %q", sa.ID)
		}
		r.agents[sa.ID] = &agentState{id: sa.ID, inReception: sa.InReception, unreplied: sa.Unreplied, offered: sa.Offered}
	}
	for _, sd := range s.Days {
		if err := r.loadDay(sd); err != nil {
			return fmt.Errorf("day %s: %v", sd.Date, err)
		}
	}
	for _, ss := range s.Sessions {
		if err := r.loadSession(ss); err != nil {
			return fmt.Errorf("session %q: %v", ss.ID, err)
		}
	}
	ids := make(map[uint64]bool, len(s.Pending))
	for _, sp := range s.Pending {
		x := r.sessions[sp.Session]
		switch {
		case x == nil:
			return fmt.Errorf("pending sample %d of session %q, not open", sp.ID, sp.Session)
		case sp.ID == 0 || sp.ID > r.nextID:
			return fmt.Errorf("pending sample id %d (next id %d)", sp.ID, r.nextID)
		case ids[sp.ID]:
			return fmt.Errorf("pending sample %d twice", sp.ID)
		case sp.Agent && x.stintSample != sp.ID, !sp.Agent && x.shopSample != sp.ID:
			return fmt.Errorf("pending sample %d is not session %q's", sp.ID, sp.Session)
		}
		ids[sp.ID] = true
		deadline, err := instOf(sp.Deadline)
		if err != nil {
			return fmt.Errorf("pending sample %d: %v", sp.ID, err)
		}
		r.pending.push(pending{deadline: deadline, s: x, id: sp.ID, agent: sp.Agent})
	}
	return nil
}

func (r *Recorder) loadDay(sd snapDay) error {
	if sd.Date.IsZero() {
		return errors.New("no date")
	}
	if sd.Date.Before(r.floor) {
		return fmt.Errorf("before the forget boundary %s", r.floor)
	}
	if _, dup := r.days[sd.Date]; dup {
		return errors.New("duplicate day")
	}
	d := newDay(sd.Date)
	last := -1
	for _, x := range sd.Hours {
		if x.Hour <= last || x.Hour > 23 {
			return fmt.Errorf("hour %d: out of range or order", x.Hour)
		}
		last = x.Hour
		row := Hour{Hour: x.Hour, Consultations: x.Consultations, Human: x.Human, Bot: x.Bot, Queued: x.Queued,
			Left: x.Left, MaxQueue: x.MaxQueue}
		for _, c := range []struct {
			name string
			n    int
		}{{"consultations", x.Consultations}, {"human", x.Human}, {"bot", x.Bot}, {"queued", x.Queued},
			{"left", x.Left}, {"max queue", x.MaxQueue}} {
			if err := checkCount(c.name, c.n); err != nil {
				return fmt.Errorf("hour %d: %v", x.Hour, err)
			}
		}
		var err [2]error
		row.ReplyRate, err[0] = loadRate("reply rate", x.ReplyRate)
		row.FirstResponse, err[1] = loadMean("first response", x.FirstResponse)
		if err := errors.Join(err[:]...); err != nil {
			return fmt.Errorf("hour %d: %v", x.Hour, err)
		}
		d.hours[x.Hour] = row
	}
	d.total = d.rowSum()
	var err error
	if d.resp, err = loadMean("response", sd.Resp); err != nil {
		return err
	}
	for _, sa := range sd.Agents {
		if r.agents[sa.Agent] == nil {
			return fmt.Errorf("stats of unknown agent %q", sa.Agent)
		}
		if _, dup := d.agents[sa.Agent]; dup {
			return fmt.Errorf("duplicate stats of agent %q", sa.Agent)
		}
		st := &agentDay{first: sa.First, received: sa.Received}
		var errs [4]error
		st.reply, errs[0] = loadRate("reply rate", sa.Reply)
		st.resp, errs[1] = loadMean("response", sa.Resp)
		errs[2], errs[3] = checkCount("first responses", sa.First), checkCount("received", sa.Received)
		if err := errors.Join(errs[:]...); err != nil {
			return fmt.Errorf("agent %q: %v", sa.Agent, err)
		}
		d.agents[sa.Agent] = st
	}
	for _, x := range sd.Ratings {
		if err := x.check(); err != nil {
			return fmt.Errorf("rating by %q: %v", x.Buyer, err)
		}
		k := ratingKey{buyer: x.Buyer, agent: x.Agent, bot: x.Bot}
		if _, dup := d.ratings[k]; dup {
			return fmt.Errorf("two ratings by %q of %q", x.Buyer, x.Agent)
		}
		d.ratings[k] = x
	}
	for _, sw := range sd.Alerts {
		w := Alert{Session: sw.Session, Buyer: sw.Buyer, Agent: sw.Agent, Bot: sw.Bot, At: sw.At.In(r.loc),
			Wait: sw.Wait, Unanswered: sw.Unanswered}
		for k := AlertDisappointed; k <= AlertSlowReply; k++ {
			if sw.Kind == k.String() {
				w.Kind = k
			}
		}
		if w.Kind == 0 || w.Wait < 0 || sw.At.IsZero() {
			return fmt.Errorf("alert %q at %v, wait %v", sw.Kind, sw.At, sw.Wait)
		}
		d.alerts = append(d.alerts, w)
	}
	r.days[sd.Date] = d
	return nil
}

func (r *Recorder) loadSession(ss snapSession) error {
	if ss.ID == "" {
		return errors.New("no id")
	}
	if _, dup := r.sessions[ss.ID]; dup {
		return errors.New("duplicate session")
	}
	x := &sess{id: ss.ID, buyer: ss.Buyer, started: ss.Started, shop: ss.Shop, received: ss.Received,
		replied: ss.Replied, unreplied: ss.Unreplied, shopSample: ss.ShopSample, shopMissed: ss.ShopMissed,
		stintOpen: ss.StintOpen, stintSample: ss.StintSample}
	x.place = placeNone
	for p := placeBot; p <= placeLast; p++ {
		if ss.Place == placeNames[p] {
			x.place = p
		}
	}
	if x.place == placeNone {
		return fmt.Errorf("place %q", ss.Place)
	}
	if x.place == placeAgent || x.place == placeOffered {
		if x.holder = r.agents[ss.Agent]; x.holder == nil {
			return fmt.Errorf("held by unknown agent %q", ss.Agent)
		}
	} else if ss.Agent != "" {
		return fmt.Errorf("in the %s but held by %q", ss.Place, ss.Agent)
	}
	var errs [5]error
	x.arrived, errs[0] = optInst(ss.Arrived)
	x.shopStart, errs[1] = optInst(ss.ShopStart)
	x.waitSince, errs[2] = optInst(ss.WaitSince)
	x.entered, errs[3] = optInst(ss.Entered)
	x.stintStart, errs[4] = optInst(ss.StintStart)
	if err := errors.Join(errs[:]...); err != nil {
		return err
	}
	if c := ss.Credit; c != nil {
		d := r.days[c.Date]
		if d == nil || d.agents[c.Agent] == nil || x.holder == nil || x.holder.id != c.Agent {
			return fmt.Errorf("credited to %q on %s: no such stats, or not its holder", c.Agent, c.Date)
		}
		x.credit = d.agents[c.Agent]
	}
	if c := ss.Consult; c != nil {
		d := r.days[c.Date]
		if d == nil || c.Hour < 0 || c.Hour > 23 {
			return fmt.Errorf("consultation in %s hour %d: no such day or hour", c.Date, c.Hour)
		}
		x.consultDay, x.consultHour = d, c.Hour
	}
	r.sessions[x.id] = x
	return nil
}

// verify checks the recorder's state as a whole: what load cannot see
// value by value, and what every later event relies on. It holds for
// every recorder New returns, after any events, ratings, Advance and
// Forget calls; Restore refuses a snapshot it fails on.
func (r *Recorder) verify() error {
	for date, d := range r.days {
		if err := r.verifyDay(date, d); err != nil {
			return fmt.Errorf("day %s: %v", date, err)
		}
	}
	type counts struct{ in, unreplied, offered int }
	loads := map[*agentState]counts{}
	var pools [placeLast + 1]int
	for id, x := range r.sessions {
		if x == nil || x.id != id || id == "" {
			return fmt.Errorf("session %q: filed under another id", id)
		}
		if err := r.verifySession(x); err != nil {
			return fmt.Errorf("session %q: %v", id, err)
		}
		pools[x.place]++
		if x.place == placeAgent {
			l := loads[x.holder]
			l.in++
			if x.unreplied {
				l.unreplied++
			}
			loads[x.holder] = l
		}
		if x.place == placeOffered {
			l := loads[x.holder]
			l.offered++
			loads[x.holder] = l
		}
	}
	// Events come in time order, so the max queue's carry is ahead of the
	// clock (but at the end of time): the next event walks it forward an
	// hour at a time.
	if r.queueLen > 0 && (r.now.IsZero() || r.qEnd <= r.nowN && r.qEnd != math.MaxInt64) {
		return fmt.Errorf("queue %d: its hour carry at %v is not ahead of the clock (%v)", r.queueLen, r.timeOf(r.qEnd), r.now)
	}
	if what := r.carried.check(); what != "" {
		return fmt.Errorf("carried max queue: %s", what)
	}
	if len(r.carried) > 0 && !r.floor.IsZero() && r.carried[0].to <= r.dayStart(r.floor) {
		return fmt.Errorf("carried max queue: a span before the forget boundary %s", r.floor)
	}
	if pools[placeQueue] != r.queueLen || pools[placeOffline] != r.offlineLen || pools[placeBot] != r.botLen {
		return fmt.Errorf("queue %d, offline %d, bot %d: the sessions say %d, %d, %d", r.queueLen, r.offlineLen, r.botLen,
			pools[placeQueue], pools[placeOffline], pools[placeBot])
	}
	for id, a := range r.agents {
		if a == nil || a.id != id {
			return fmt.Errorf("agent %q: filed under another id", id)
		}
		if l := loads[a]; a.inReception != l.in || a.unreplied != l.unreplied || a.offered != l.offered {
			return fmt.Errorf("agent %q: in reception %d, unreplied %d, offered %d; its sessions say %d, %d, %d", id,
				a.inReception, a.unreplied, a.offered, l.in, l.unreplied, l.offered)
		}
	}

	// Each running window is in the FIFO once.
	type due struct{ shop, stint int }
	dues := map[*sess]due{}
	for i := 0; i < r.pending.n; i++ {
		p := r.pending.buf[(r.pending.head+i)%len(r.pending.buf)]
		if !r.live(p) {
			continue
		}
		c := dues[p.s]
		if p.agent {
			c.stint++
		} else {
			c.shop++
		}
		dues[p.s] = c
	}
	for id, x := range r.sessions {
		c := dues[x]
		if c.shop != b2i(x.shopSample != 0) || c.stint != b2i(x.stintSample != 0) {
			return fmt.Errorf("session %q: samples %d, %d; %d and %d pending", id, x.shopSample, x.stintSample, c.shop, c.stint)
		}
	}

	// What later events take back is there: a buyer leaving a pool takes
	// back its consultation and its missed reply sample; a transfer takes
	// back the agent's today-received.
	type slot struct {
		d *day
		h int
	}
	consults, misses := map[slot]int{}, map[slot]int{}
	credits := map[*agentDay]int{}
	for _, x := range r.sessions {
		if x.consultDay != nil {
			consults[slot{x.consultDay, x.consultHour}]++
		}
		if x.credit != nil {
			credits[x.credit]++
		}
		if x.shopMissed && !x.received {
			lt := r.timeOf(x.shopStart)
			y, m, dd := lt.Date()
			date := Date{y, m, dd}
			if date.Before(r.floor) {
				continue // counted in a forgotten day
			}
			d := r.days[date]
			if d == nil {
				return fmt.Errorf("session %q: its missed sample's day %s is not kept", x.id, date)
			}
			misses[slot{d, lt.Hour()}]++
		}
	}
	for k, n := range consults {
		if k.d.hours[k.h].Consultations < n {
			return fmt.Errorf("%s hour %d: %d consultations, %d sessions in it", k.d.date, k.h, k.d.hours[k.h].Consultations, n)
		}
	}
	for k, n := range misses {
		if x := k.d.hours[k.h].ReplyRate; x.Den-x.Num < n {
			return fmt.Errorf("%s hour %d: reply rate %d/%d, %d missed sessions in it", k.d.date, k.h, x.Num, x.Den, n)
		}
	}
	for st, n := range credits {
		if st.received < n {
			return fmt.Errorf("today received %d, %d sessions credited", st.received, n)
		}
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (r *Recorder) verifyDay(date Date, d *day) error {
	if d == nil || d.date != date || date.IsZero() || date.Before(r.floor) {
		return errors.New("misfiled, undated or before the forget boundary")
	}
	for h, x := range d.hours {
		if x.Hour != h || !validCounts(x) {
			return fmt.Errorf("hour %d: %+v", h, x)
		}
	}
	if sum := d.rowSum(); d.total != sum {
		return fmt.Errorf("total %+v, the hours add up to %+v", d.total, sum)
	}
	if !validMean(d.resp) {
		return fmt.Errorf("response %+v", d.resp)
	}
	for id, st := range d.agents {
		if r.agents[id] == nil || st == nil || !validRate(st.reply) || !validMean(st.resp) || st.first < 0 || st.received < 0 {
			return fmt.Errorf("agent %q: unknown or bad stats", id)
		}
	}
	for k, x := range d.ratings {
		if k != (ratingKey{buyer: x.Buyer, agent: x.Agent, bot: x.Bot}) || x.check() != nil || DateOf(x.At, r.loc) != date {
			return fmt.Errorf("rating by %q of %q at %v: misfiled or bad", x.Buyer, x.Agent, x.At)
		}
	}
	for _, w := range d.alerts {
		if w.Kind < AlertDisappointed || w.Kind > AlertSlowReply || w.Wait < 0 || DateOf(w.At, r.loc) != date {
			return fmt.Errorf("alert %v at %v: misfiled or bad", w.Kind, w.At)
		}
	}
	return nil
}

func validRate(x Rate) bool { return x.Num >= 0 && x.Num <= x.Den }

func validMean(x Mean) bool { return x.Count > 0 || x == Mean{} }

func validCounts(x Hour) bool {
	return x.Consultations >= 0 && x.Human >= 0 && x.Bot >= 0 && x.Queued >= 0 && x.Left >= 0 && x.MaxQueue >= 0 &&
		validRate(x.ReplyRate) && validMean(x.FirstResponse)
}

// verifySession checks one session's fields against each other.
func (r *Recorder) verifySession(x *sess) error {
	held := x.place == placeAgent
	switch {
	case x.place < placeBot || x.place > placeLast:
		return fmt.Errorf("place %d", x.place)
	case (held || x.place == placeOffered) != (x.holder != nil):
		return errors.New("held by an agent outside an agent's list or offer, or the reverse")
	case held && r.agents[x.holder.id] != x.holder:
		return fmt.Errorf("held by agent %q, not on the roster", x.holder.id)
	case !x.shop && (x.place != placeBot || x.shopSample != 0 || x.shopMissed):
		return errors.New("the shop's clock is not running, yet it is out of the bot's hands or has a sample")
	case x.shopSample != 0 && (x.started || x.shopMissed):
		return errors.New("a shop sample of a started or missed session")
	case x.shopMissed && x.started:
		return errors.New("a started session missed")
	case x.stintSample != 0 && !x.stintOpen:
		return errors.New("an agent sample with the stint closed")
	case x.stintOpen && (!held || x.started):
		return errors.New("an agent's stint open outside an agent's list, or of a started session")
	case x.received && x.started:
		return errors.New("a started session received")
	case x.credit != nil && (!held || x.started):
		return errors.New("credited outside an agent's list, or started")
	case x.consultDay != nil && (x.started || x.consultHour < 0 || x.consultHour > 23):
		return errors.New("a consultation of a started session, or hour out of range")
	case !x.unreplied && x.waitSince != 0:
		return errors.New("waiting since a time, yet replied")
	case x.shopSample > r.nextID || x.stintSample > r.nextID:
		return fmt.Errorf("sample ids %d, %d beyond the next id %d", x.shopSample, x.stintSample, r.nextID)
	}
	return nil
}

// rowSum returns the day's total row as the sum of its hourly rows (the
// maximum for MaxQueue): what Restore sets and verify expects.
func (d *day) rowSum() Hour {
	sum := Hour{Hour: -1}
	for _, x := range d.hours {
		sum.Consultations += x.Consultations
		sum.Human += x.Human
		sum.Bot += x.Bot
		sum.Queued += x.Queued
		sum.Left += x.Left
		sum.MaxQueue = max(sum.MaxQueue, x.MaxQueue)
		sum.ReplyRate = sum.ReplyRate.Add(x.ReplyRate)
		sum.FirstResponse = sum.FirstResponse.Add(x.FirstResponse)
	}
	return sum
}
