package metrics_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
	"github.com/kefu-dev/kefu/policy"
)

// shift is an agent's working hours on the simulated day.
type shift struct {
	id       string
	cap      int
	from, to int // login at from:00, logout at to:00 (24: stays)
}

var shifts = []shift{
	{"a1", 4, 8, 17}, {"a2", 4, 8, 17}, {"a3", 4, 12, 21},
	{"a4", 3, 13, 22}, {"a5", 5, 17, 24}, {"a6", 2, 0, 7}, // 07:00-08:00 nobody: offline pool
}

// arrivals per hour of the day: a morning, an afternoon and an evening
// live-stream peak.
var arrivals = [24]float64{3, 2, 1, 0, 0, 1, 3, 6, 18, 30, 36, 33, 27, 30, 33, 30, 27, 24, 30, 42, 48, 45, 27, 12}

const tick = 10 * time.Second

// sim drives one engine through day0 with seeded random traffic, feeding
// every event to a recorder and keeping the log.
type sim struct {
	t    *testing.T
	rnd  *rand.Rand
	eng  *dispatch.Engine
	rec  *metrics.Recorder
	twin []*metrics.Recorder // fed what rec is fed, from when they join
	log  []dispatch.Event
	open []string // open sessions, in arrival order
	pos  map[string]int
	next int

	observed bool // rec is the engine's observer: the engine feeds it
	pol      policy.Policy
	opts     []metrics.Option
}

func newSim(t *testing.T, seed uint64, p policy.Policy, opts ...metrics.Option) *sim {
	return startSim(t, seed, p, false, opts)
}

// newObservedSim is newSim with the recorder registered as the engine's
// observer (dispatch.WithObserver) instead of fed by the sim.
func newObservedSim(t *testing.T, seed uint64, p policy.Policy, opts ...metrics.Option) *sim {
	return startSim(t, seed, p, true, opts)
}

func startSim(t *testing.T, seed uint64, p policy.Policy, observed bool, opts []metrics.Option) *sim {
	rec, err := metrics.New(cst, opts...)
	require.NoError(t, err)
	var eng *dispatch.Engine
	if observed {
		eng, err = dispatch.New(p, dispatch.WithObserver("metrics", rec))
	} else {
		eng, err = dispatch.New(p)
	}
	require.NoError(t, err)
	s := &sim{t: t, rnd: rand.New(rand.NewPCG(seed, 2026)), eng: eng, rec: rec, pos: map[string]int{},
		observed: observed, pol: p, opts: opts}
	for _, sh := range shifts {
		s.do(eng.AddAgent(at("00:00:00"), sh.id, dispatch.AgentConfig{Capacity: agent.Limit(sh.cap), Status: agent.Offline}))
	}
	return s
}

// restart snapshots the engine of an observed sim, with its recorder in
// it, and goes on with the engine restored from those bytes and a new
// recorder that dispatch.Restore loads.
func (s *sim) restart() {
	s.t.Helper()
	require.True(s.t, s.observed)
	data, err := s.eng.Snapshot()
	require.NoError(s.t, err)
	rec, err := metrics.New(cst, s.opts...)
	require.NoError(s.t, err)
	eng, err := dispatch.Restore(s.pol, data, dispatch.WithObserver("metrics", rec))
	require.NoError(s.t, err)
	s.eng, s.rec = eng, rec
}

// do feeds the events of one engine call to the recorder and the log.
func (s *sim) do(evs []dispatch.Event, err error) {
	s.t.Helper()
	require.NoError(s.t, err)
	if !s.observed {
		s.rec.Feed(evs)
	}
	for _, r := range s.twin {
		r.Feed(evs)
	}
	for _, e := range evs {
		s.log = append(s.log, e)
		switch e.Kind {
		case dispatch.EventClosed, dispatch.EventLeft, dispatch.EventExpired:
			i := s.pos[e.Session]
			last := s.open[len(s.open)-1]
			s.open[i], s.pos[last] = last, i
			s.open = s.open[:len(s.open)-1]
			delete(s.pos, e.Session)
		default:
			if _, ok := s.pos[e.Session]; !ok && e.Session != "" {
				s.pos[e.Session] = len(s.open)
				s.open = append(s.open, e.Session)
			}
		}
	}
}

func (s *sim) chance(p float64) bool { return s.rnd.Float64() < p }

// step plays one tick at now.
func (s *sim) step(now time.Time) {
	e := s.eng
	s.do(e.Advance(now), nil)
	if now.Minute() == 0 && now.Second() == 0 {
		for _, sh := range shifts {
			if now.Hour() == sh.from {
				s.do(e.Login(now, sh.id))
			}
			if now.Hour() == sh.to {
				s.do(e.Logout(now, sh.id))
			}
		}
	}
	if s.chance(arrivals[now.Hour()] * tick.Hours()) {
		s.next++
		id := fmt.Sprintf("s%04d", s.next)
		s.do(e.Arrive(now, dispatch.Arrival{Session: id, Buyer: fmt.Sprintf("b%d", s.rnd.IntN(400))}))
	}
	var online []string
	for a := range e.Agents() {
		if a.Status == agent.Online {
			online = append(online, a.ID)
		}
	}
	for _, a := range online {
		if s.chance(0.0005) {
			s.next++
			s.do(e.Start(now, dispatch.Outbound{Session: fmt.Sprintf("s%04d", s.next), Buyer: "vip", Agent: a}))
		}
		list, _, err := e.List(a, dispatch.Page{})
		require.NoError(s.t, err)
		for _, ss := range list {
			switch {
			case ss.Unreplied && s.chance(0.1):
				s.do(e.Message(now, dispatch.Message{Session: ss.ID, From: dispatch.FromAgent, Agent: a}))
			case ss.Unreplied && s.chance(0.005):
				s.do(e.Message(now, dispatch.Message{Session: ss.ID, From: dispatch.FromSystem}))
			case !ss.Unreplied && s.chance(0.01):
				s.do(e.Message(now, dispatch.Message{Session: ss.ID, From: dispatch.FromBuyer}))
			case !ss.Unreplied && s.chance(0.015):
				s.do(e.Close(now, ss.ID))
				if s.chance(0.3) && ss.Buyer != "" {
					l := metrics.Level(1 + s.rnd.IntN(3))
					r := metrics.Rating{Session: ss.ID, Buyer: ss.Buyer, Agent: a, Level: l, Source: metrics.Invitation, At: now}
					if l != metrics.Satisfied && s.chance(0.2) {
						r.Reasons = metrics.ReasonBadAttitude
					}
					s.rate(r)
				}
			case s.chance(0.002) && len(online) > 1:
				to := online[s.rnd.IntN(len(online))]
				if to != a {
					s.do(e.Transfer(now, ss.ID, to))
				}
			}
		}
	}
	for _, id := range append([]string(nil), s.open...) {
		info, ok := e.Session(id)
		switch {
		case !ok:
		case (info.Place == dispatch.PlaceQueue || info.Place == dispatch.PlaceOffline) && s.chance(0.004):
			s.do(e.Leave(now, id))
		case info.Place == dispatch.PlaceBot && s.chance(0.02):
			s.do(e.Message(now, dispatch.Message{Session: id, From: dispatch.FromBot}))
		case info.Place == dispatch.PlaceBot && s.chance(0.01):
			s.do(e.Handover(now, id)) // the buyer asks for a human (B1)
		}
	}
	s.advance(now)
}

// rate passes a rating to the recorder and its twins.
func (s *sim) rate(x metrics.Rating) {
	s.t.Helper()
	require.NoError(s.t, s.rec.Rate(x))
	for _, r := range s.twin {
		require.NoError(s.t, r.Rate(x))
	}
}

// advance moves the recorder and its twins to now.
func (s *sim) advance(now time.Time) {
	s.rec.Advance(now)
	for _, r := range s.twin {
		r.Advance(now)
	}
}

// oracle computes the hourly report of day0 from the event log the plain
// way: replaying each session and the queue.
func oracle(log []dispatch.Event, end time.Time, window time.Duration) [24]metrics.Hour {
	var out [24]metrics.Hour
	for h := range out {
		out[h].Hour = h
	}
	hour := func(t time.Time) (int, bool) {
		lt := t.In(cst)
		return lt.Hour(), metrics.DateOf(t, cst) == day0
	}
	type life struct {
		arrived, reply, end time.Time
		started, left       bool
		assigned            bool
		bot                 bool      // arrived into the bot
		handover            time.Time // left the bot for humans
	}
	lives := map[string]*life{}
	var order []string
	queued := map[string]bool{}
	qlen, qhour := 0, 0
	for _, e := range log {
		if h, ok := hour(e.At); ok {
			for ; qhour < h; qhour++ { // the length carries into the next hours
				out[qhour+1].MaxQueue = max(out[qhour+1].MaxQueue, qlen)
			}
		}
		l := lives[e.Session]
		if l == nil && e.Session != "" {
			l = &life{arrived: e.Arrived, started: e.Flags&dispatch.FlagStarted != 0}
			lives[e.Session] = l
			order = append(order, e.Session)
		}
		if queued[e.Session] && (e.Kind == dispatch.EventAssigned || e.Kind == dispatch.EventLeft || e.Kind == dispatch.EventClosed) {
			delete(queued, e.Session)
			qlen--
		}
		h, today := hour(e.At)
		if l != nil && l.bot && l.handover.IsZero() &&
			(e.Kind == dispatch.EventAssigned || e.Kind == dispatch.EventQueued || e.Kind == dispatch.EventOffline) {
			l.handover = e.At
		}
		switch e.Kind {
		case dispatch.EventBot:
			l.bot = true
			if today {
				out[h].Bot++
			}
		case dispatch.EventQueued:
			queued[e.Session] = true
			qlen++
			if today {
				out[h].Queued++
				out[h].MaxQueue = max(out[h].MaxQueue, qlen)
			}
		case dispatch.EventAssigned:
			if !l.assigned && !l.started && today {
				out[h].Human++
			}
			l.assigned = true
		case dispatch.EventLeft:
			l.left = true
			if today {
				out[h].Left++
			}
		case dispatch.EventMessage:
			if e.Sender == dispatch.FromAgent && l.reply.IsZero() {
				l.reply = e.At
			}
		case dispatch.EventClosed, dispatch.EventExpired:
			l.end = e.At
		}
	}
	for _, id := range order {
		l := lives[id]
		h, today := hour(l.arrived)
		if l.started || l.left || !today {
			continue
		}
		out[h].Consultations++
		if l.bot {
			if l.handover.IsZero() {
				continue // handled entirely by the bot: no M3 sample
			}
			l.arrived = l.handover // the shop's clock starts at the hand-over
			h, _ = hour(l.arrived)
		}
		switch {
		case !l.reply.IsZero():
			d := l.reply.Sub(l.arrived)
			out[h].ReplyRate.Den++
			if d <= window {
				out[h].ReplyRate.Num++
			}
			out[h].FirstResponse.Total += d
			out[h].FirstResponse.Count++
		case !l.end.IsZero() || l.arrived.Add(window).Before(end):
			out[h].ReplyRate.Den++
		}
	}
	return out
}

// agentOracle replays the log for each agent's 3-minute reply rate (M2)
// and response time (M8), and the shop's response time: a stint per entry
// into an agent's list, its clock from the entry if the buyer waits, else
// from the buyer's next message.
func agentOracle(log []dispatch.Event, end time.Time, window time.Duration) (map[string]metrics.Rate, map[string]metrics.Mean, metrics.Mean) {
	type stint struct {
		agent        string
		entered      time.Time
		start        time.Time
		done         bool
		waitSince    time.Time
		unreplied    bool
		started, has bool
		bot          bool
		handover     time.Time
	}
	rates, means := map[string]metrics.Rate{}, map[string]metrics.Mean{}
	var shop metrics.Mean
	hit := func(agentID string, in bool) {
		r := rates[agentID]
		r.Den++
		if in {
			r.Num++
		}
		rates[agentID] = r
	}
	sessions := map[string]*stint{}
	leaveList := func(st *stint, at time.Time, closing bool) {
		if st.has && !st.done && !st.start.IsZero() && (closing || at.Sub(st.start) > window) {
			hit(st.agent, false)
		}
		st.has, st.done = false, false
	}
	enter := func(st *stint, agentID string, at time.Time) {
		st.agent, st.entered, st.has, st.done, st.start = agentID, at, true, st.started, time.Time{}
		if st.unreplied {
			st.start = at
		}
	}
	for _, e := range log {
		st := sessions[e.Session]
		if st == nil && e.Session != "" {
			st = &stint{started: e.Flags&dispatch.FlagStarted != 0}
			if !st.started {
				st.unreplied, st.waitSince = true, e.Arrived
			}
			sessions[e.Session] = st
		}
		if st != nil && st.bot && st.handover.IsZero() &&
			(e.Kind == dispatch.EventAssigned || e.Kind == dispatch.EventQueued || e.Kind == dispatch.EventOffline) {
			st.handover = e.At
		}
		switch e.Kind {
		case dispatch.EventBot:
			st.bot = true
		case dispatch.EventAssigned:
			enter(st, e.Agent, e.At)
		case dispatch.EventTransferred:
			leaveList(st, e.At, false)
			enter(st, e.Agent, e.At)
		case dispatch.EventQueued:
			leaveList(st, e.At, false)
		case dispatch.EventClosed:
			leaveList(st, e.At, true)
		case dispatch.EventMessage:
			switch e.Sender {
			case dispatch.FromBuyer:
				if !st.unreplied {
					st.unreplied, st.waitSince = true, e.At
				}
				if st.has && !st.done && st.start.IsZero() {
					st.start = e.At
				}
			case dispatch.FromAgent:
				if st.unreplied {
					shop = shop.Add(mean(e.At.Sub(later(st.waitSince, st.handover))))
					means[e.Agent] = means[e.Agent].Add(mean(e.At.Sub(later(st.waitSince, st.entered))))
				}
				st.unreplied = false
				if st.has && !st.done && !st.start.IsZero() {
					hit(st.agent, e.At.Sub(st.start) <= window)
					st.done = true
				}
			}
		}
	}
	for _, st := range sessions {
		if st.has && !st.done && !st.start.IsZero() && st.start.Add(window).Before(end) {
			hit(st.agent, false)
		}
	}
	return rates, means, shop
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// busyPolicies returns the platforms' presets, made busier: Kuaishou with
// an offline backlog guard (O5), Douyin without a queue (Q4), short
// timeouts, and a live stream sending 60% of new sessions to the bot
// 19:00-23:00 (B2).
func busyPolicies() (kuaishou, douyin policy.Policy) {
	douyin = policy.Douyin()
	douyin.NoQueue = true
	douyin.BuyerIdleClose, douyin.AgentIdleClose, douyin.OfflineValidity = 10*time.Minute, 15*time.Minute, 30*time.Minute
	douyin.BotWindows = []policy.Window{{Start: 19 * time.Hour, End: 23 * time.Hour, Share: 0.6}}
	kuaishou = policy.Kuaishou()
	kuaishou.OfflineBatch = 3
	return kuaishou, douyin
}

// A day simulated through the engine: the hourly report matches a
// replay of the event log, hourly counts sum to the day's totals, the
// panel matches the engine's own counts, and the recorder holds no more
// sessions than the engine.
func TestM5_M6_SimulatedDay(t *testing.T) {
	kuaishou, douyin := busyPolicies()
	policies := []struct {
		name string
		pol  policy.Policy
	}{{"kuaishou", kuaishou}, {"douyin", douyin}}
	for _, p := range policies {
		t.Run(p.name, func(t *testing.T) {
			s := newSim(t, 11, p.pol)
			end := at("+1 00:00:00")
			for now := at("00:00:00"); now.Before(end); now = now.Add(tick) {
				s.step(now)
				require.Equal(t, s.eng.Sessions(), s.rec.Open(), "%s: open sessions", now.Format("15:04:05"))
				if now.Minute() == 30 && now.Second() == 0 {
					checkPanel(t, s.eng, s.rec, now)
				}
			}
			last := end.Add(-tick)
			rep := s.rec.Hourly(day0)
			t.Logf("%s\n%s", p.name, s.rec.Dashboard(last))

			// The recorder against a plain replay of the log.
			want := oracle(s.log, last, metrics.DefaultWindow)
			for h := range want {
				assert.Equal(t, want[h], rep.Hours[h], "hour %d", h)
			}

			rates, means, shopResp := agentOracle(s.log, last, metrics.DefaultWindow)
			day := s.rec.Replies(day0, day0)
			require.Len(t, rates, len(shifts))
			require.Len(t, day.Agents, len(shifts))
			for _, a := range day.Agents {
				assert.Equal(t, rates[a.Agent], a.ReplyRate, "agent %s 3-minute reply rate (M2)", a.Agent)
				assert.Equal(t, means[a.Agent], a.Response, "agent %s response time (M8)", a.Agent)
			}
			assert.Equal(t, shopResp, day.Shop.Response, "shop response time (M8)")

			// Hourly rows sum to the day's totals, kept apart.
			var sum metrics.Hour
			for _, x := range rep.Hours {
				sum.Consultations += x.Consultations
				sum.Human += x.Human
				sum.Bot += x.Bot
				sum.Queued += x.Queued
				sum.Left += x.Left
				sum.MaxQueue = max(sum.MaxQueue, x.MaxQueue)
				sum.ReplyRate = sum.ReplyRate.Add(x.ReplyRate)
				sum.FirstResponse = sum.FirstResponse.Add(x.FirstResponse)
			}
			sum.Hour = -1
			assert.Equal(t, rep.Total, sum)
			assert.Greater(t, rep.Total.Consultations, 300, "a busy day")
			assert.Positive(t, rep.Total.Left)
			if !p.pol.NoQueue {
				assert.Positive(t, rep.Total.MaxQueue)
			}
			if len(p.pol.BotWindows) > 0 {
				assert.Positive(t, rep.Total.Bot)
			}
			assert.True(t, rep.Total.ReplyRate.Num > 0 && rep.Total.ReplyRate.Num < rep.Total.ReplyRate.Den, "some in, some out")

			// The day's reply report agrees with the hourly totals, and
			// the agents' first responses add up to the shop's.
			assert.Equal(t, rep.Total.ReplyRate, day.Shop.ReplyRate)
			assert.Equal(t, rep.Total.FirstResponse, day.Shop.FirstResponse)
			first, received := 0, 0
			for _, a := range day.Agents {
				first += a.FirstResponses
				received += a.Received
			}
			assert.Equal(t, rep.Total.FirstResponse.Count, first)
			panel := s.rec.Panel(last)
			assert.Equal(t, received, panel.Shop.TodayReceived)
			checkPanel(t, s.eng, s.rec, last)
			assert.NotEmpty(t, s.rec.Reviews(day0, day0).Rated)
		})
	}
}
