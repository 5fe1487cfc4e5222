package dispatch

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch/internal/complete"
	"github.com/kefu-dev/kefu/dispatch/internal/model"
	"github.com/kefu-dev/kefu/policy"
)

// The differential test plays the same random operations on the engine
// and on the reference model (package model: the same rules, written the
// obvious way) and requires, after every step, the same error, the same
// events and the same observable state. TestDifferential_Complete does the
// same with comparator (b) of issue #14 (package complete: the same rules
// written the way a developer in a hurry would) in the model's place.

// refShop is the side the engine is compared with: *model.Shop or
// *complete.Shop, which have the same methods on the model's types.
type refShop interface {
	Advance(now time.Time) []model.Event
	AddAgent(now time.Time, id string, c agent.Capacity, st agent.Status, group string) ([]model.Event, error)
	RemoveAgent(now time.Time, id string) ([]model.Event, error)
	Login(now time.Time, id string) ([]model.Event, error)
	Logout(now time.Time, id string) ([]model.Event, error)
	SetStatus(now time.Time, id string, st agent.Status) ([]model.Event, error)
	SetCapacity(now time.Time, id string, c agent.Capacity) ([]model.Event, error)
	SetTeamLevel(now time.Time, l policy.TeamLevel) ([]model.Event, error)
	Arrive(now time.Time, id, buyer string, priority int, entry model.Entry, crowds []model.Membership, exclusive string) ([]model.Event, error)
	Handover(now time.Time, id string) ([]model.Event, error)
	Close(now time.Time, id string) ([]model.Event, error)
	Leave(now time.Time, id string) ([]model.Event, error)
	Assign(now time.Time, id, agentID string) ([]model.Event, error)
	Transfer(now time.Time, id, to string) ([]model.Event, error)
	Start(now time.Time, id, buyer, agentID string, stranger bool) ([]model.Event, error)
	Message(now time.Time, id string, from model.Sender, agentID string, unreachable bool) ([]model.Event, error)
	MarkRead(now time.Time, id string) ([]model.Event, error)
	Follow(now time.Time, id string) ([]model.Event, error)

	Now() time.Time
	TeamLevel() policy.TeamLevel
	Sessions() int
	Session(id string) (model.SessionInfo, bool)
	Agent(id string) (model.AgentInfo, bool)
	Agents() []model.AgentInfo
	List(agentID string, p model.Page) ([]model.SessionInfo, int, error)
	History(agentID string, p model.Page) ([]model.Closed, int, error)
	QueueLen() int
	OfflineLen() int
	BotLen() int
	Position(id string) (pos, length int, ok bool)
	TransferTargets(from string) ([]model.AgentInfo, error)
}

// routingShop is a refShop that implements E1-E5 too: the model.
// Comparator (b) does not, and is compared under the policies that leave
// them off (see ref.policies).
type routingShop interface {
	refShop
	Accept(now time.Time, id, agentID string) ([]model.Event, error)
	Reject(now time.Time, id, agentID string) ([]model.Event, error)
	EndWrapUp(now time.Time, agentID string) ([]model.Event, error)
}

// weightedShop is a refShop that weighs sessions by kind (E10): the
// model. Comparator (b) does not; its policies weigh nothing.
type weightedShop interface {
	refShop
	ArriveKind(now time.Time, id, buyer string, priority int, entry model.Entry, crowds []model.Membership, exclusive, kind string) ([]model.Event, error)
}

var (
	_ routingShop  = (*model.Shop)(nil)
	_ weightedShop = (*model.Shop)(nil)
	_ refShop      = (*complete.Shop)(nil)
)

// ref names a refShop implementation and makes one.
type ref struct {
	name    string
	new     func(policy.Policy) (refShop, error)
	routing bool // it implements E1-E11 (a routingShop and a weightedShop)
}

// policies returns the policies of diffPolicies r is compared under: all
// of them, or those that leave E1-E11 off.
func (r ref) policies() []policy.Policy {
	if r.routing {
		return diffPolicies
	}
	return slices.DeleteFunc(slices.Clone(diffPolicies), func(p policy.Policy) bool { return routing(p) || shapingAny(p) })
}

// The two sides the engine is compared with.
var (
	refModel = ref{"model", func(p policy.Policy) (refShop, error) {
		m, err := model.New(p)
		if err != nil {
			return nil, err
		}
		return m, nil
	}, true}
	refComplete = ref{"complete", func(p policy.Policy) (refShop, error) {
		c, err := complete.New(p)
		if err != nil {
			return nil, err
		}
		return c, nil
	}, false}
)

// diffPolicies are randomPolicies, the platform presets, and shapes the
// random policies miss: no-queue with groups that do not fall back, recent
// contact with requeue and offline diversion to the bot; and for E1-E5,
// offers with retry, round-robin offers, no-queue with reassignment.
// With them, the E10 random policies: weighted capacity with E1-E9.
var diffPolicies = slices.Concat(slices.Clone(randomPolicies), []policy.Policy{
	policy.Kuaishou(), policy.Douyin(), policy.Taobao(),
	{Strategy: policy.RoundRobin, NoQueue: true, RequeueOnOffline: true, OfflineBatch: 1,
		Crowds: []policy.Crowd{{ID: "vip"}}, TeamLevel: policy.LevelSilver, BuyerIdleClose: 30 * time.Minute,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans"}}, {ID: "g2", Crowds: []string{"vip"}}}},
	{Strategy: policy.RecentContact, RequeueOnOffline: true, OfflineDiversion: policy.OfflineToBot,
		BuyerIdleClose: 10 * time.Minute, AgentIdleClose: 10 * time.Minute, HistoryLimit: 4, DMLimit: 2,
		RecentContactTTL: 45 * time.Minute,
		Groups:           []policy.Group{{ID: "g1", Crowds: []string{"vip"}}}, GroupFallback: true,
		BotWindows: []policy.Window{{Start: 20 * time.Hour, End: 22 * time.Hour, Share: 0.3}}},
	// (OfferRetry needs a timeout status here: without one, an offer to an
	// absent agent is offered again every minute for ever, and the clock's
	// jumps of days make that millions of timers.)
	{OfferTimeout: time.Minute, OfferRetry: true, OfferTimeoutStatus: agent.Break, WrapUp: 20 * time.Second,
		OfflineBatch: 1, OfflineValidity: time.Hour},
	{Strategy: policy.RoundRobin, OfferTimeout: 45 * time.Second, OfferTimeoutStatus: agent.Offline,
		RequeueOnOffline: true, AgentIdleClose: 5 * time.Minute,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans"}}}},
	{NoQueue: true, ReassignAfter: time.Minute, ReassignLimit: 2, ReassignOnOffline: true, WrapUp: time.Minute,
		Crowds: []policy.Crowd{{ID: "vip"}}, TeamLevel: policy.LevelGold,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans"}}}},
	{Strategy: policy.RecentContact, OfferTimeout: 2 * time.Minute, ReassignAfter: 90 * time.Second,
		OfferRetry: true, OfferTimeoutStatus: agent.Break, BotFirst: true, OfflineBatch: 2},
	// E6 aging, alone and with priority buyers at the queue head, groups,
	// offers, requeue and reassignment.
	{AgingStep: time.Minute, PriorityAtQueueHead: true, Crowds: []policy.Crowd{{ID: "vip"}}, TeamLevel: policy.LevelGold,
		RequeueOnOffline: true, OfflineBatch: 2, Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans"}}}},
	{AgingStep: 30 * time.Second, Strategy: policy.RoundRobin, OfferTimeout: time.Minute, OfferTimeoutStatus: agent.Break,
		ReassignAfter: 2 * time.Minute, ReassignOnOffline: true, WrapUp: 20 * time.Second, GroupFallback: true,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"vip"}}}},
	// E8 queue cap and maximum wait, shop-wide and per group, by each
	// diversion, with aging, offers, requeue, priority at the queue head.
	{QueueCap: 3, MaxWait: 5 * time.Minute, Divert: policy.DivertRefuse, AgingStep: time.Minute,
		OfferTimeout: time.Minute, OfferTimeoutStatus: agent.Break, RequeueOnOffline: true,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans"}, QueueCap: 1, MaxWait: 2 * time.Minute}, {ID: "g2", Crowds: []string{"vip"}}}},
	{MaxWait: 3 * time.Minute, Divert: policy.DivertBot, PriorityAtQueueHead: true, Crowds: []policy.Crowd{{ID: "vip"}},
		TeamLevel: policy.LevelGold, WrapUp: 20 * time.Second, ReassignAfter: 2 * time.Minute, ReassignOnOffline: true,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans"}, MaxWait: time.Minute}}, GroupFallback: true},
	{QueueCap: 2, Divert: policy.DivertOffline, OfflineBatch: 1, OfflineValidity: time.Hour, NoQueue: false,
		Strategy: policy.RecentContact, BuyerIdleClose: 10 * time.Minute,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans"}, QueueCap: 1, MaxWait: 4 * time.Minute}}},
	// E9 inactive release, with no-queue, idle closes, wrap-ups, offers,
	// reassignment and requeue.
	{InactiveAfter: 2 * time.Minute, NoQueue: true, BuyerIdleClose: 15 * time.Minute, AgentIdleClose: 10 * time.Minute,
		WrapUp: 30 * time.Second, RequeueOnOffline: true, Crowds: []policy.Crowd{{ID: "vip"}}, TeamLevel: policy.LevelSilver},
	{InactiveAfter: time.Minute, OfferTimeout: time.Minute, OfferTimeoutStatus: agent.Break, ReassignAfter: 3 * time.Minute,
		ReassignOnOffline: true, WrapUp: 20 * time.Second, OfflineBatch: 1, AgingStep: time.Minute, QueueCap: 4,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans"}}}},
	// E11 business hours, to the offline path (with offers and the batch)
	// and to the bot (with priority crowds, the bot's share and O4).
	{Hours: diffHours(policy.OutsideOffline), OfferTimeout: time.Minute, OfferTimeoutStatus: agent.Break, OfflineBatch: 1,
		OfflineValidity: 2 * time.Hour, Crowds: []policy.Crowd{{ID: "vip"}}, TeamLevel: policy.LevelGold,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans"}}}},
	{Hours: diffHours(policy.OutsideToBot), BotFirst: true, OfflineDiversion: policy.OfflineToBot, MaxWait: 5 * time.Minute,
		Crowds: []policy.Crowd{{ID: "vip"}}, TeamLevel: policy.LevelSilver, InactiveAfter: 2 * time.Minute,
		BotWindows: []policy.Window{{Start: 8 * time.Hour, End: 10 * time.Hour, Share: 0.5}}},
	// E7 widening: no-queue and round-robin over rings; a ring and the
	// maximum wait at one instant, with offers, retry and requeue.
	{Strategy: policy.RoundRobin, NoQueue: true, RequeueOnOffline: true, Crowds: []policy.Crowd{{ID: "vip"}}, TeamLevel: policy.LevelGold,
		Groups: []policy.Group{
			{ID: "g1", Crowds: []string{"fans"}, Rings: []policy.Ring{{After: time.Minute, Groups: []string{"g2"}}}},
			{ID: "g2", Crowds: []string{"vip"}}}},
	{Strategy: policy.RecentContact, OfferTimeout: time.Minute, OfferRetry: true, OfferTimeoutStatus: agent.Break,
		MaxWait: 3 * time.Minute, InactiveAfter: 2 * time.Minute, OfflineBatch: 1, ReassignOnOffline: true,
		Groups: []policy.Group{
			{ID: "g1", Crowds: []string{"vip"}, Rings: []policy.Ring{{After: 30 * time.Second, Groups: []string{"g2"}}, {After: 3 * time.Minute, Groups: []string{"nogroup"}}}},
			{ID: "g2", Crowds: []string{"fans"}, Rings: []policy.Ring{{After: 90 * time.Second, Groups: []string{"g1", "nogroup"}}}},
			{ID: "nogroup"}}},
})

// diffHours are business hours for the differential (E11): 9:00-12:00
// and 13:00-21:00 on weekdays, 10:00-16:00 on Saturdays, closed on
// Sundays, and dated overrides around the harness's start (t0).
func diffHours(outside policy.OutsideHours) *policy.Hours {
	h := &policy.Hours{Outside: outside, Overrides: []policy.DayHours{
		{Date: "2026-11-12", Spans: []policy.Span{{Start: 20 * time.Hour, End: 23 * time.Hour}}},
		{Date: "2026-11-13"}, // closed
		{Date: "2026-11-15", Spans: []policy.Span{{Start: 0, End: 24 * time.Hour}}},
	}}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Week[d] = []policy.Span{{Start: 9 * time.Hour, End: 12 * time.Hour}, {Start: 13 * time.Hour, End: 21 * time.Hour}}
	}
	h.Week[time.Saturday] = []policy.Span{{Start: 10 * time.Hour, End: 16 * time.Hour}}
	return h
}

// onModel runs the action on the model (or on comparator (b)).
func (a action) onModel(m refShop, now time.Time) ([]model.Event, error) {
	switch a.kind {
	case actArrive:
		var crowds []model.Membership
		for _, c := range a.arrival.Crowds {
			crowds = append(crowds, model.Membership{Crowd: c.Crowd, Since: c.Since})
		}
		x := a.arrival
		if w, ok := m.(weightedShop); ok { // E10: the arrival's kind
			return w.ArriveKind(now, x.Session, x.Buyer, x.Priority, model.Entry(x.Entry), crowds, x.Exclusive, x.Kind)
		}
		return m.Arrive(now, x.Session, x.Buyer, x.Priority, model.Entry(x.Entry), crowds, x.Exclusive)
	case actClose:
		return m.Close(now, a.session)
	case actLeave:
		return m.Leave(now, a.session)
	case actAssign:
		return m.Assign(now, a.session, a.agent)
	case actTransfer:
		return m.Transfer(now, a.session, a.agent)
	case actAddAgent:
		return m.AddAgent(now, a.agent, a.capacity, a.status, a.group)
	case actRemoveAgent:
		return m.RemoveAgent(now, a.agent)
	case actLogin:
		return m.Login(now, a.agent)
	case actLogout:
		return m.Logout(now, a.agent)
	case actSetStatus:
		return m.SetStatus(now, a.agent, a.status)
	case actSetCapacity:
		return m.SetCapacity(now, a.agent, a.capacity)
	case actMessage:
		x := a.message
		return m.Message(now, x.Session, model.Sender(x.From), x.Agent, x.Unreachable)
	case actStart:
		x := a.outbound
		return m.Start(now, x.Session, x.Buyer, x.Agent, x.Stranger)
	case actMarkRead:
		return m.MarkRead(now, a.session)
	case actFollow:
		return m.Follow(now, a.session)
	case actHandover:
		return m.Handover(now, a.session)
	case actTeamLevel:
		return m.SetTeamLevel(now, a.level)
	case actAccept:
		return m.(routingShop).Accept(now, a.session, a.agent)
	case actReject:
		return m.(routingShop).Reject(now, a.session, a.agent)
	case actEndWrapUp:
		return m.(routingShop).EndWrapUp(now, a.agent)
	}
	return m.Advance(now), nil
}

// sentinels pairs each engine sentinel with the model's.
var sentinels = []struct{ engine, model error }{
	{ErrUnknownSession, model.ErrUnknownSession}, {ErrDuplicateSession, model.ErrDuplicateSession},
	{ErrEmptySessionID, model.ErrEmptySessionID}, {ErrNotWaiting, model.ErrNotWaiting},
	{ErrNotInReception, model.ErrNotInReception}, {ErrAgentOffline, model.ErrAgentOffline},
	{ErrSameAgent, model.ErrSameAgent}, {ErrNotYourSession, model.ErrNotYourSession},
	{ErrBuyerUnreachable, model.ErrBuyerUnreachable}, {ErrDMLimit, model.ErrDMLimit},
	{ErrInvalidSender, model.ErrInvalidSender}, {ErrInvalidPage, model.ErrInvalidPage},
	{ErrNotWithBot, model.ErrNotWithBot}, {ErrInvalidTeamLevel, model.ErrInvalidTeamLevel},
	{ErrInvalidPriority, model.ErrInvalidPriority}, {ErrUnknownGroup, model.ErrUnknownGroup},
	{ErrUnknownAgent, model.ErrUnknownAgent}, {ErrDuplicateAgent, model.ErrDuplicateAgent},
	{ErrEmptyAgentID, model.ErrEmptyAgentID}, {ErrAgentBusy, model.ErrAgentBusy},
	{ErrInvalidStatus, model.ErrInvalidStatus}, {ErrCapacityOutOfRange, model.ErrCapacityOutOfRange},
	{ErrCapacityMode, model.ErrCapacityMode}, {ErrNotOffered, model.ErrNotOffered},
	{ErrNoWrapUp, model.ErrNoWrapUp},
}

// sameError: both nil, or both wrap the same pair's sentinel.
func sameError(got, want error) error {
	name := func(err error, engine bool) string {
		if err == nil {
			return "nil"
		}
		for i, s := range sentinels {
			if (engine && errors.Is(err, s.engine)) || (!engine && errors.Is(err, s.model)) {
				return fmt.Sprint(i)
			}
		}
		return "unknown"
	}
	if g, w := name(got, true), name(want, false); g != w || g == "unknown" {
		return fmt.Errorf("error: engine %v, model %v", got, want)
	}
	return nil
}

func fromModelEvent(x model.Event) Event {
	return Event{Kind: Kind(x.Kind), At: x.At, Session: x.Session, Buyer: x.Buyer, Agent: x.Agent,
		From: x.From, Cause: Cause(x.Cause), Flags: Flags(x.Flags), Arrived: x.Arrived,
		Warning: Warning(x.Warning), Sender: Sender(x.Sender), Reason: CloseReason(x.Reason), Prompt: Prompt(x.Prompt),
		Status: x.Status}
}

func fromModelSession(x model.SessionInfo) SessionInfo {
	return SessionInfo{ID: x.ID, Buyer: x.Buyer, Priority: x.Priority, Arrived: x.Arrived, Place: Place(x.Place),
		Agent: x.Agent, Flags: Flags(x.Flags), Deadline: x.Deadline, LastFrom: Sender(x.LastFrom),
		LastMessage: x.LastMessage, Unreplied: x.Unreplied, WaitingSince: x.WaitingSince, Unread: x.Unread,
		Entered: x.Entered, FirstReply: x.FirstReply}
}

func fromModelClosed(x model.Closed) Closed {
	return Closed{Session: x.Session, Buyer: x.Buyer, Arrived: x.Arrived, LastMessage: x.LastMessage,
		At: x.At, Reason: CloseReason(x.Reason), Flags: Flags(x.Flags)}
}

func fromModelAgent(x model.AgentInfo) AgentInfo { return AgentInfo(x) }

// sameTimes reports whether the times pair up by Equal, then zeroes them,
// so that the rest of a struct compares with ==.
func sameTimes(pairs ...[2]*time.Time) bool {
	ok := true
	for _, p := range pairs {
		ok = ok && p[0].Equal(*p[1])
		*p[0], *p[1] = time.Time{}, time.Time{}
	}
	return ok
}

func sameEvent(a, b Event) bool {
	a.Seq = 0 // the model does not number events; the harness checks Seq
	return sameTimes([2]*time.Time{&a.At, &b.At}, [2]*time.Time{&a.Arrived, &b.Arrived}) && a == b
}

func sameSession(a, b SessionInfo) bool {
	return sameTimes([2]*time.Time{&a.Arrived, &b.Arrived}, [2]*time.Time{&a.Deadline, &b.Deadline},
		[2]*time.Time{&a.LastMessage, &b.LastMessage}, [2]*time.Time{&a.WaitingSince, &b.WaitingSince},
		[2]*time.Time{&a.Entered, &b.Entered}, [2]*time.Time{&a.FirstReply, &b.FirstReply}) && a == b
}

func sameAgent(a, b AgentInfo) bool {
	return sameTimes([2]*time.Time{&a.IdleSince, &b.IdleSince}) && a == b
}

func sameClosed(a, b Closed) bool {
	return sameTimes([2]*time.Time{&a.Arrived, &b.Arrived}, [2]*time.Time{&a.LastMessage, &b.LastMessage},
		[2]*time.Time{&a.At, &b.At}) && a == b
}

// sameList compares an engine list with the model's, converted.
func sameList[E, M any](what string, got []E, want []M, conv func(M) E, same func(E, E) bool) error {
	if len(got) != len(want) || !slices.EqualFunc(got, want, func(g E, w M) bool { return same(g, conv(w)) }) {
		var b strings.Builder
		fmt.Fprintf(&b, "%s differ\nengine:\n", what)
		for _, g := range got {
			fmt.Fprintf(&b, "  %+v\n", g)
		}
		b.WriteString("model:\n")
		for _, w := range want {
			fmt.Fprintf(&b, "  %+v\n", conv(w))
		}
		return errors.New(b.String())
	}
	return nil
}

// The ids actionFromBytes draws from.
var (
	diffSessions = func() (ids []string) {
		for i := range 24 {
			ids = append(ids, fmt.Sprint("s", i))
		}
		return ids
	}()
	diffAgents = []string{"a0", "a1", "a2", "a3", "a4", "a5"}
)

// compareState compares everything observable: clock, level, counts, every
// session, every agent, each agent's list (whole and one page), history
// and transfer targets, and each waiting session's position. Histories
// (up to Policy.HistoryLimit, defaulted, per agent) are compared whole when fullHistory
// is set, else by length and first page.
func compareState(e *Engine, m refShop, step int, fullHistory bool) error {
	if !e.Now().Equal(m.Now()) || e.TeamLevel() != m.TeamLevel() {
		return fmt.Errorf("clock or level: engine %v %v, model %v %v", e.Now(), e.TeamLevel(), m.Now(), m.TeamLevel())
	}
	if e.Sessions() != m.Sessions() || e.QueueLen() != m.QueueLen() || e.OfflineLen() != m.OfflineLen() || e.BotLen() != m.BotLen() {
		return fmt.Errorf("counts (open, queue, offline, bot): engine %d %d %d %d, model %d %d %d %d",
			e.Sessions(), e.QueueLen(), e.OfflineLen(), e.BotLen(), m.Sessions(), m.QueueLen(), m.OfflineLen(), m.BotLen())
	}
	for _, id := range diffSessions {
		got, ok := e.Session(id)
		want, mok := m.Session(id)
		if ok != mok || !sameSession(got, fromModelSession(want)) {
			return fmt.Errorf("session %s:\nengine %v %+v\nmodel  %v %+v", id, ok, got, mok, fromModelSession(want))
		}
		pos, n, ok := e.Position(id)
		mpos, mn, mok := m.Position(id)
		if pos != mpos || n != mn || ok != mok {
			return fmt.Errorf("position of %s: engine %d/%d %v, model %d/%d %v", id, pos, n, ok, mpos, mn, mok)
		}
	}
	if err := sameList("agents", slices.Collect(e.Agents()), m.Agents(), fromModelAgent, sameAgent); err != nil {
		return err
	}
	for _, id := range diffAgents {
		got, ok := e.Agent(id)
		want, mok := m.Agent(id)
		if ok != mok || !sameAgent(got, AgentInfo(want)) {
			return fmt.Errorf("agent %s: engine %v %+v, model %v %+v", id, ok, got, mok, want)
		}
		targets, err := e.TransferTargets(id)
		mtargets, merr := m.TransferTargets(id)
		if err := sameError(err, merr); err != nil {
			return fmt.Errorf("transfer targets of %s: %w", id, err)
		}
		if err := sameList("transfer targets of "+id, targets, mtargets, fromModelAgent, sameAgent); err != nil {
			return err
		}
		if !ok { // List and History fail alike, by the same lookup
			continue
		}
		pages := []Page{{}, {Offset: step % 3, Limit: step%4 + 1}}
		if step%8 == 0 {
			pages = append(pages, Page{Offset: -1}, Page{Limit: -1}) // ErrInvalidPage
		}
		for _, p := range pages {
			list, n, err := e.List(id, p)
			mlist, mn, merr := m.List(id, model.Page(p))
			if err := sameError(err, merr); err != nil || n != mn {
				return fmt.Errorf("list of %s, page %+v: length %d vs %d, %v", id, p, n, mn, err)
			}
			if err := sameList(fmt.Sprintf("list of %s, page %+v", id, p), list, mlist, fromModelSession, sameSession); err != nil {
				return err
			}
		}
		hp := Page{Limit: 3} // the whole history costs the most: see fullHistory
		if fullHistory {
			hp = Page{}
		}
		hist, n, err := e.History(id, hp)
		mhist, mn, merr := m.History(id, model.Page(hp))
		if err := sameError(err, merr); err != nil || n != mn {
			return fmt.Errorf("history of %s: length %d vs %d, %v", id, n, mn, err)
		}
		if err := sameList("history of "+id, hist, mhist, fromModelClosed, sameClosed); err != nil {
			return err
		}
	}
	return nil
}

// differ drives an engine and a model (or comparator (b)) side by side.
type differ struct {
	e       *Engine
	m       refShop
	ref     string
	routing bool // m implements E1-E5
	now     time.Time
	steps   int
}

func newDiffer(r ref, p policy.Policy) (*differ, error) {
	e, err := New(p)
	if err != nil {
		return nil, err
	}
	m, err := r.new(p)
	if err != nil {
		return nil, err
	}
	return &differ{e: e, m: m, ref: r.name, routing: r.routing, now: t0}, nil
}

// step runs a on both at the next time and compares the error, the events
// and then the state (histories whole if full, or if the step closed a
// session, or every 16 steps).
func (d *differ) step(a action, full bool) error {
	if !d.routing && (a.kind == actAccept || a.kind == actReject || a.kind == actEndWrapUp) {
		a.kind = actAdvance // comparator (b) does not implement E1-E5 (its policies leave them off)
	}
	a = a.resolve(d.e) // accept, reject: the agent it is offered to, on both sides
	d.now = d.now.Add(a.dt)
	evs, err := a.do(d.e, d.now)
	evs = slices.Clone(evs) // the engine reuses its buffer
	// complete's events live in its buffer too, read before its next call
	mevs, merr := a.onModel(d.m, d.now)
	d.steps++
	fail := func(err error) error {
		return fmt.Errorf("step %d (%s at %s), engine vs %s: %w", d.steps-1, a, d.now.Format(time.DateTime), d.ref, err)
	}
	if err := sameError(err, merr); err != nil {
		return fail(err)
	}
	if err != nil && evs != nil {
		return fail(fmt.Errorf("rejected with events %v", evs))
	}
	if err := sameList("events", evs, mevs, fromModelEvent, sameEvent); err != nil {
		return fail(err)
	}
	// A history changes by a close, which both sides report.
	full = full || d.steps%16 == 0 ||
		slices.ContainsFunc(evs, func(ev Event) bool { return ev.Kind == EventClosed }) ||
		slices.ContainsFunc(mevs, func(ev model.Event) bool { return ev.Kind == model.EventClosed })
	if err := compareState(d.e, d.m, d.steps, full); err != nil {
		return fail(err)
	}
	return nil
}

// playDifferential runs the operations data decodes to (three bytes each,
// as in playBytes) on a new engine and a new r (the model, or comparator
// (b)) with policy p, and compares them after every step. It returns the
// number of steps played.
func playDifferential(r ref, p policy.Policy, data []byte) (int, error) {
	d, err := newDiffer(r, p)
	if err != nil {
		return 0, err
	}
	for i := 0; i+2 < len(data); i += 3 {
		if err := d.step(actionFromBytes(data[i], data[i+1], data[i+2]), i+5 >= len(data)); err != nil {
			return d.steps, err
		}
	}
	return d.steps, nil
}

// shrink removes operations from a failing sequence while it still fails,
// for a short reproduction: it cuts after the failing step, then drops
// chunks of halving size, within a time budget.
func shrink(r ref, p policy.Policy, data []byte) []byte {
	if n, err := playDifferential(r, p, data); err != nil {
		data = data[:3*n]
	}
	deadline := time.Now().Add(20 * time.Second)
	for chunk := len(data) / 3 / 2; chunk >= 1 && time.Now().Before(deadline); chunk /= 2 {
		for i := len(data)/3 - chunk; i >= 0 && time.Now().Before(deadline); i -= chunk {
			try := slices.Concat(data[:3*i], data[3*(i+chunk):])
			if n, err := playDifferential(r, p, try); err != nil {
				data = try[:3*n]
				i = min(i, len(data)/3)
			}
		}
	}
	return data
}

// describe renders a sequence as the actions it decodes to.
func describe(data []byte) string {
	var b strings.Builder
	now := t0
	for i := 0; i+2 < len(data); i += 3 {
		a := actionFromBytes(data[i], data[i+1], data[i+2])
		now = now.Add(a.dt)
		fmt.Fprintf(&b, "  %s  %s\n", now.Format(time.DateTime), a)
	}
	return b.String()
}

// randomData draws n operations (three bytes each, see actionFromBytes)
// from a seeded generator: half uniformly; the rest in bursts of up to 12
// operations: any operation on one session and one agent; a conversation
// on one session by one agent (messages, start, read, follow); or a rush
// of arrivals, closes and leaves. Conversations and rushes are seconds
// apart, so that sessions live long enough for the send rules (S4, L6),
// the idle timeouts (L2, L3) and the prompt cool-down (P8) to matter.
func randomData(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x6d6f64656c)) // "model"
	pick := func(keep func(b int) bool) byte {
		for {
			if b := r.IntN(256); keep(b) {
				return byte(b)
			}
		}
	}
	any := func(int) bool { return true }
	data := make([]byte, 0, 3*n)
	for len(data) < 3*n {
		mode := r.IntN(8)
		if mode < 4 {
			data = append(data, byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()))
			continue
		}
		sess, ag := r.IntN(24), r.IntN(6)
		for k := r.IntN(12) + 1; k > 0 && len(data) < 3*n; k-- {
			var b0, b1, b2 byte
			switch mode {
			case 4, 5: // one session, one agent
				b0, b1, b2 = pick(any), pick(func(b int) bool { return b%6 == ag }), pick(func(b int) bool { return b%24 == sess })
			case 6: // a conversation: small steps, senders 1-4, operations 13-17
				b0 = pick(func(b int) bool { return b>>6 != 2 && b%6 >= 1 && b%6 <= 4 })
				b1 = pick(func(b int) bool { return b%6 == ag && b%22 >= 13 && b%22 <= 17 })
				b2 = pick(func(b int) bool { return b%24 == sess })
			default: // a rush: small steps, arrivals (crowds half the time), closes, leaves
				b0 = pick(func(b int) bool { return b>>6 <= 1 && (b%7 == 1 || b%7 == 2 || r.IntN(2) == 0) })
				b1 = pick(func(b int) bool { return b%22 <= 5 })
				b2 = pick(any)
			}
			data = append(data, b0, b1, b2)
		}
	}
	return data
}

func reportDifferential(t *testing.T, r ref, p policy.Policy, data []byte, err error) {
	t.Helper()
	small := shrink(r, p, data)
	_, serr := playDifferential(r, p, small)
	t.Fatalf("%v\npolicy %+v\nshrunk to %d steps, failing with: %v\n%s", err, p, len(small)/3, serr, describe(small))
}

// TestDifferential plays seeded random sequences under every policy of
// diffPolicies on the engine and the model: a million steps in all, fifty
// thousand with -short (half of that with -short -race). Each
// policy plays one long history and many short ones. A failure names the
// policy, the seed and the step, and shows a shrunk reproduction.
func TestDifferential(t *testing.T) { testDifferential(t, refModel) }

// TestDifferential_Complete is TestDifferential, the same seeds and
// policies, with comparator (b) (package complete) in the model's place:
// it returns the engine's errors and events, and shows its state, after
// every step.
func TestDifferential_Complete(t *testing.T) { testDifferential(t, refComplete) }

func testDifferential(t *testing.T, r ref) {
	steps, long, total := 500, 25_000, 1_000_000
	switch {
	case testing.Short() && raceEnabled: // one goroutine: the detector has nothing to find
		long, total = 1_000, 25_000
	case testing.Short():
		long, total = 2_000, 50_000
	}
	policies := r.policies()
	long = min(long, total/len(policies)) // many policies: shorter long histories, the same total
	seeds := max(0, (total/len(policies)-long+steps-1)/steps)
	for pi, p := range policies {
		t.Run(fmt.Sprint("policy", pi), func(t *testing.T) {
			t.Parallel()
			played := 0
			for seed := uint64(0); seed <= uint64(seeds); seed++ {
				n := steps
				if seed == 0 { // one long history: cool-downs, recycled records, full histories
					n = long
				}
				data := randomData(seed*100+uint64(pi), n)
				k, err := playDifferential(r, p, data)
				played += k
				if err != nil {
					reportDifferential(t, r, p, data, fmt.Errorf("policy %d, seed %d: %w", pi, seed, err))
				}
			}
			t.Logf("policy %d: %d steps against %s", pi, played, r.name)
		})
	}
}

// FuzzDifferential is the same comparison driven by the fuzzer, each input
// played against the model and against comparator (b):
//
//	go test ./dispatch -run '^$' -fuzz FuzzDifferential
func FuzzDifferential(f *testing.F) {
	f.Add(byte(0), []byte{0, 8, 2, 0, 0, 1, 0, 0, 2, 0, 0, 3, 64, 3, 1})
	f.Add(byte(1), []byte{0, 21, 0, 0, 0, 0, 130, 12, 0, 0, 9, 3})
	f.Add(byte(4), []byte{0, 8, 0, 0, 9, 0, 0, 0, 1, 0, 0, 2, 0, 11, 2, 0, 0, 3})
	f.Fuzz(func(t *testing.T, pick byte, data []byte) {
		if len(data) > 3*maxOps {
			data = data[:3*maxOps]
		}
		p := diffPolicies[int(pick)%len(diffPolicies)]
		for _, r := range []ref{refModel, refComplete} {
			if !r.routing && (routing(p) || shapingAny(p)) {
				continue // comparator (b) does not implement E1-E11
			}
			if _, err := playDifferential(r, p, data); err != nil {
				reportDifferential(t, r, p, data, err)
			}
		}
	})
}

// The pairs must cover every sentinel knownError accepts.
func TestDifferential_SentinelsPaired(t *testing.T) {
	for _, s := range sentinels {
		if !knownError(s.engine) {
			t.Errorf("%v is not a known engine error", s.engine)
		}
	}
}

// TestDifferential_FixedEngineBugs replays the smallest scene of each
// engine bug the differential test found, on the engine and the model
// (the rules), and on the engine and comparator (b): each must now agree
// step by step.
func TestDifferential_FixedEngineBugs(t *testing.T) {
	fans := []Membership{{"fans", t0.Add(-48 * time.Hour)}}
	g1 := []policy.Group{{ID: "g1", Crowds: []string{"fans"}}}
	for _, c := range []struct {
		name, bug string
		p         policy.Policy
		scene     []action
	}{{
		"DrainFillsOneAgent",
		"S5/R1: x logs out holding four sessions; b and c, empty with cap 4, should share them 2 and 2; the engine gives b all four",
		policy.Policy{RequeueOnOffline: true},
		[]action{
			{kind: actAddAgent, agent: "x", capacity: agent.Limit(4)},
			{kind: actArrive, arrival: Arrival{Session: "s1", Buyer: "b1"}, dt: time.Second},
			{kind: actArrive, arrival: Arrival{Session: "s2", Buyer: "b2"}},
			{kind: actArrive, arrival: Arrival{Session: "s3", Buyer: "b3"}},
			{kind: actArrive, arrival: Arrival{Session: "s4", Buyer: "b4"}},
			{kind: actAddAgent, agent: "b", capacity: agent.Limit(4), dt: time.Second},
			{kind: actAddAgent, agent: "c", capacity: agent.Limit(4)},
			{kind: actLogout, agent: "x", dt: time.Second},
		},
	}, {
		"RoundRobinCursorResets",
		"R1 round-robin: g1's last pick was a3; a3 is removed, a1 and a5 join g1; the next g1 buyer should go to a5 (after a3), the engine restarts at a1",
		policy.Policy{Strategy: policy.RoundRobin, Groups: g1},
		[]action{
			{kind: actAddAgent, agent: "a3", group: "g1"},
			{kind: actArrive, arrival: Arrival{Session: "s1", Buyer: "b", Crowds: fans}, dt: time.Second},
			{kind: actClose, session: "s1", dt: time.Second},
			{kind: actRemoveAgent, agent: "a3"},
			{kind: actAddAgent, agent: "a1", group: "g1"},
			{kind: actAddAgent, agent: "a5", group: "g1"},
			{kind: actArrive, arrival: Arrival{Session: "s2", Buyer: "b", Crowds: fans}, dt: time.Second},
		},
	}, {
		"OfflineExpiryFromArrival",
		"O3: the bot holds s1 from 20:00 while no agent is online; it is handed over at 21:50 into the offline pool (validity 1h); the engine expires it at once, reporting 21:00, before it entered the pool",
		policy.Policy{BotFirst: true, OfflineValidity: time.Hour, BotIdleClose: 2 * time.Hour},
		[]action{
			{kind: actAddAgent, agent: "a"},
			{kind: actArrive, arrival: Arrival{Session: "s1", Buyer: "b"}},
			{kind: actLogout, agent: "a", dt: time.Minute},
			{kind: actMessage, message: Message{Session: "s1", From: FromBuyer}, dt: 49 * time.Minute},
			{kind: actMessage, message: Message{Session: "s1", From: FromBuyer}, dt: 50 * time.Minute},
			{kind: actHandover, session: "s1", dt: 10 * time.Minute},
			{kind: actAdvance, dt: time.Minute},
		},
	}, {
		"OfferedOfflineBatch",
		"O5/E1: three offline messages wait; a comes online with cap 4 under OfflineBatch 2 and offers; it should be offered two, the engine offered all three (offers did not count toward the batch)",
		policy.Policy{OfferTimeout: 30 * time.Second, OfflineBatch: 2},
		[]action{
			{kind: actArrive, arrival: Arrival{Session: "s1", Buyer: "b1"}},
			{kind: actArrive, arrival: Arrival{Session: "s2", Buyer: "b2"}},
			{kind: actArrive, arrival: Arrival{Session: "s3", Buyer: "b3"}},
			{kind: actAddAgent, agent: "a", capacity: agent.Limit(4), dt: time.Second},
			{kind: actReject, session: "s1", agent: "a", dt: time.Second},
		},
	}} {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range []ref{refModel, refComplete} {
				if !r.routing && routing(c.p) {
					continue // comparator (b) does not implement E1-E5
				}
				d, err := newDiffer(r, c.p)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range c.scene {
					if err := d.step(a, true); err != nil {
						t.Fatalf("regression: %s\n%v", c.bug, err)
					}
				}
			}
		})
	}
}
