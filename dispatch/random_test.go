package dispatch

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// actKind names one public operation of the engine.
type actKind uint8

const (
	actAdvance actKind = iota
	actArrive
	actClose
	actLeave
	actAssign
	actTransfer
	actAddAgent
	actRemoveAgent
	actLogin
	actLogout
	actSetStatus
	actSetCapacity
	actMessage
	actStart
	actMarkRead
	actFollow
	actHandover
	actTeamLevel
	actAccept
	actReject
	actEndWrapUp
)

// action is one operation with its arguments, as data: the random tests
// run it on the engine (do) and the differential test also on the
// reference model (see differential_test.go).
type action struct {
	kind     actKind
	dt       time.Duration // time step before it (may be negative)
	session  string
	buyer    string
	agent    string // the agent concerned, or the transfer/assign target
	capacity agent.Capacity
	status   agent.Status
	group    string
	arrival  Arrival
	message  Message
	outbound Outbound
	level    policy.TeamLevel
}

// String names the action for failure messages.
func (a action) String() string {
	switch a.kind {
	case actArrive:
		return fmt.Sprintf("arrive %s buyer=%q prio=%d entry=%d crowds=%v exclusive=%q kind=%q",
			a.arrival.Session, a.arrival.Buyer, a.arrival.Priority, a.arrival.Entry, a.arrival.Crowds, a.arrival.Exclusive, a.arrival.Kind)
	case actClose:
		return "close " + a.session
	case actLeave:
		return "leave " + a.session
	case actAssign:
		return "assign " + a.session + " " + a.agent
	case actTransfer:
		return "transfer " + a.session + " " + a.agent
	case actAddAgent:
		return fmt.Sprintf("add %s cap=%s status=%d group=%q", a.agent, a.capacity, a.status, a.group)
	case actRemoveAgent:
		return "remove " + a.agent
	case actLogin:
		return "login " + a.agent
	case actLogout:
		return "logout " + a.agent
	case actSetStatus:
		return "status " + a.agent + " " + a.status.String()
	case actSetCapacity:
		return "cap " + a.agent + " " + a.capacity.String()
	case actMessage:
		return fmt.Sprintf("message %s from=%s agent=%s unreachable=%v", a.message.Session, a.message.From, a.message.Agent, a.message.Unreachable)
	case actStart:
		return fmt.Sprintf("start %s buyer=%s agent=%s stranger=%v", a.outbound.Session, a.outbound.Buyer, a.outbound.Agent, a.outbound.Stranger)
	case actMarkRead:
		return "read " + a.session
	case actFollow:
		return "follow " + a.session
	case actHandover:
		return "handover " + a.session
	case actTeamLevel:
		return "level " + a.level.String()
	case actAccept:
		return "accept " + a.session + " " + a.agent
	case actReject:
		return "reject " + a.session + " " + a.agent
	case actEndWrapUp:
		return "end-wrap-up " + a.agent
	}
	return "advance"
}

// op returns the action as the engine's Op.
func (a action) op() Op {
	switch a.kind {
	case actArrive:
		return Op{Kind: OpArrive, Arrival: a.arrival}
	case actClose:
		return Op{Kind: OpClose, Session: a.session}
	case actLeave:
		return Op{Kind: OpLeave, Session: a.session}
	case actAssign:
		return Op{Kind: OpAssign, Session: a.session, Agent: a.agent}
	case actTransfer:
		return Op{Kind: OpTransfer, Session: a.session, Agent: a.agent}
	case actAddAgent:
		return Op{Kind: OpAddAgent, Agent: a.agent, AgentConfig: AgentConfig{Capacity: a.capacity, Status: a.status, Group: a.group}}
	case actRemoveAgent:
		return Op{Kind: OpRemoveAgent, Agent: a.agent}
	case actLogin:
		return Op{Kind: OpLogin, Agent: a.agent}
	case actLogout:
		return Op{Kind: OpLogout, Agent: a.agent}
	case actSetStatus:
		return Op{Kind: OpSetStatus, Agent: a.agent, Status: a.status}
	case actSetCapacity:
		return Op{Kind: OpSetCapacity, Agent: a.agent, Capacity: a.capacity}
	case actMessage:
		return Op{Kind: OpMessage, Message: a.message}
	case actStart:
		return Op{Kind: OpStart, Outbound: a.outbound}
	case actMarkRead:
		return Op{Kind: OpMarkRead, Session: a.session}
	case actFollow:
		return Op{Kind: OpFollow, Session: a.session}
	case actHandover:
		return Op{Kind: OpHandover, Session: a.session}
	case actTeamLevel:
		return Op{Kind: OpSetTeamLevel, TeamLevel: a.level}
	case actAccept:
		return Op{Kind: OpAccept, Session: a.session, Agent: a.agent}
	case actReject:
		return Op{Kind: OpReject, Session: a.session, Agent: a.agent}
	case actEndWrapUp:
		return Op{Kind: OpEndWrapUp, Agent: a.agent}
	}
	return Op{Kind: OpAdvance}
}

// do runs the action on the engine through Apply, the path every typed
// method takes (the step-table tests call the typed methods).
func (a action) do(e *Engine, now time.Time) ([]Event, error) { return e.Apply(now, a.resolve(e).op()) }

// resolve names the agent of an accept or reject drawn without one: the
// agent the session is offered to, if it is (E1), so that random runs
// answer offers, not only let them time out; else "a0", refused. The
// differential test resolves against the engine before it runs the
// action on both sides.
func (a action) resolve(e *Engine) action {
	if (a.kind == actAccept || a.kind == actReject) && a.agent == "" {
		a.agent = "a0"
		if s, ok := e.Session(a.session); ok && s.Place == PlaceOffered {
			a.agent = s.Agent
		}
	}
	return a
}

// opFromBytes decodes three bytes into one operation on the engine; see
// actionFromBytes.
func opFromBytes(b0, b1, b2 byte) (time.Duration, op) {
	a := actionFromBytes(b0, b1, b2)
	return a.dt, op{a.String(), a.do}
}

// actionFromBytes decodes three bytes into one operation: every public
// operation, with valid and invalid ids, capacities and statuses, so that
// random sequences also try bad input. Time steps forward by the first
// byte's low bits, and sometimes backwards.
func actionFromBytes(b0, b1, b2 byte) action {
	agentID := fmt.Sprint("a", b1%6) // a5 is never added by most sequences
	sessID := fmt.Sprint("s", b2%24)
	buyer := fmt.Sprint("b", b2%7)
	caps := []agent.Capacity{agent.Unlimited(), agent.Suspended(), agent.Limit(1), agent.Limit(2),
		agent.Limit(3), agent.Limit(0), agent.Limit(501), agent.Limit(4)}
	c := caps[b2%8]
	var dt time.Duration
	switch b0 >> 6 {
	case 0:
		dt = 0
	case 1:
		dt = time.Duration(b0&63) * time.Second
	case 2:
		if b0&1 == 0 {
			dt = time.Duration(b0&63) * time.Minute // crosses idle timeouts
		} else {
			dt = time.Duration(b0&63) * time.Hour * 4 // crosses the offline validity
		}
	case 3:
		dt = -time.Duration(b0&63) * time.Minute // backwards
	}
	a := action{dt: dt, session: sessID, buyer: buyer, agent: agentID, capacity: c}
	switch b1 % 22 {
	case 19:
		a.kind = actHandover
	case 20:
		a.kind, a.level = actTeamLevel, policy.TeamLevel(b2%5) // 4 invalid
	case 21:
		a.kind = actAddAgent
		a.group = []string{"", "g1", "g2", "nogroup"}[b0%4]
		a.status = agent.Status(b0 % 4) // 0: default online
	case 13, 14, 15:
		a.kind = actMessage
		a.message = Message{Session: sessID, From: Sender(b0 % 6), Agent: agentID, Unreachable: b2%11 == 0} // 0, 5 invalid
	case 16:
		a.kind = actStart
		a.outbound = Outbound{Session: sessID, Buyer: buyer, Agent: agentID, Stranger: b0%2 == 0}
	case 17:
		a.kind = actFollow
		if b2%2 == 0 {
			a.kind = actMarkRead
		}
	case 12: // E1, E5
		switch b0 % 4 {
		case 0, 1:
			a.kind, a.agent = actAccept, "" // resolve: the agent it is offered to
		case 2:
			a.kind, a.agent = actReject, ""
		default:
			a.kind = actEndWrapUp
		}
		if b2%5 == 0 { // sometimes the wrong agent
			a.agent = agentID
		}
	case 0, 1, 2:
		a.kind = actArrive
		a.arrival = Arrival{Session: sessID, Buyer: buyer, Priority: int(b0 % 3), Entry: EntryPoint(b2 % 5)} // 4: an unknown entry
		switch b0 % 7 {
		case 1:
			a.arrival.Crowds = []Membership{{"vip", t0.Add(-48 * time.Hour)}}
		case 2:
			a.arrival.Crowds = []Membership{{"fans", t0.Add(-48 * time.Hour)}, {"other", t0}}
		case 3:
			a.arrival.Crowds = []Membership{{"vip", t0.Add(time.Duration(b2) * time.Hour)}} // effective later, or never
		case 4:
			a.arrival.Exclusive = agentID
		}
		// E10: a kind from bits no other field reads (b1/22), so that the
		// other fields decode as before; weighted under policies with
		// Weights, plain (1 unit) under the others.
		a.arrival.Kind = arrivalKinds[(b1/22)%4]
	case 3, 4:
		a.kind = actClose
	case 5:
		a.kind = actLeave
	case 6:
		a.kind = actAssign
	case 7:
		a.kind = actTransfer
	case 8:
		a.kind = actAddAgent
	case 9:
		a.kind = actSetCapacity
	case 10:
		a.kind, a.status = actSetStatus, agent.Status(b2%5) // 0 and 4 invalid
	case 11:
		switch b2 % 3 {
		case 0:
			a.kind = actRemoveAgent
		case 1:
			a.kind = actLogin
		default:
			a.kind = actLogout
		}
	default:
		a.kind = actAdvance
	}
	return a
}

// maxOps bounds one sequence, so the fuzzer explores many short histories
// rather than a few very long ones.
const maxOps = 1000

// playBytes drives an engine with the operations data decodes to and
// checks, after each, the invariants, the event ledger, and that a
// rejected operation changed nothing.
func playBytes(p policy.Policy, data []byte) error {
	e, err := New(p)
	if err != nil {
		return err
	}
	l := newLedger()
	now := t0
	if len(data) > 3*maxOps {
		data = data[:3*maxOps]
	}
	for i := 0; i+2 < len(data); i += 3 {
		dt, o := opFromBytes(data[i], data[i+1], data[i+2])
		now = now.Add(dt)
		before := dump(e)
		l.before(e)
		// A rejected operation changes nothing but time: timers due by
		// now fire anyway and are delivered by the next call.
		timersDue := false
		if t, ok := e.timers.Min(); ok && t.at <= ns(now) {
			timersDue = true
		}
		evs, err := o.do(e, now)
		if err != nil {
			if evs != nil {
				return fmt.Errorf("op %d (%s): rejected with events %v", i/3, o.name, evs)
			}
			if after := dump(e); after != before && !timersDue {
				return fmt.Errorf("op %d (%s): rejected (%v) but changed the state:\n%s\n---\n%s", i/3, o.name, err, before, after)
			}
			if !knownError(err) {
				return fmt.Errorf("op %d (%s): error %v wraps no sentinel", i/3, o.name, err)
			}
			// Timer events of a rejected call come with the next call.
			evs = e.Advance(now)
		}
		if err := checkStep(e, l, evs); err != nil {
			return fmt.Errorf("op %d (%s): %w", i/3, o.name, err)
		}
	}
	return nil
}

// knownError reports whether err wraps one of the package's sentinels and
// exactly one error class.
func knownError(err error) bool {
	classes := 0
	for _, c := range []error{ErrNotFound, ErrConflict, ErrInvalid} {
		if errors.Is(err, c) {
			classes++
		}
	}
	if classes != 1 {
		return false
	}
	for _, s := range []error{ErrUnknownSession, ErrDuplicateSession, ErrEmptySessionID, ErrNotWaiting,
		ErrNotInReception, ErrAgentOffline, ErrSameAgent, ErrUnknownAgent, ErrDuplicateAgent, ErrEmptyAgentID,
		ErrAgentBusy, ErrInvalidStatus, ErrCapacityOutOfRange, ErrCapacityMode, ErrNotYourSession,
		ErrBuyerUnreachable, ErrDMLimit, ErrInvalidSender, ErrInvalidPage, ErrNotWithBot, ErrInvalidTeamLevel,
		ErrInvalidPriority, ErrUnknownGroup, ErrInvalidID, ErrClockStep, ErrInvalidPolicy, ErrPolicyConflict,
		ErrInvalidOp, ErrNotOffered, ErrNoWrapUp} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

var randomPolicies = []policy.Policy{
	{Capacity: agent.KuaishouBounds(), BuyerIdleClose: 20 * time.Minute, OfflineBatch: 2},
	{Strategy: policy.RoundRobin, NoQueue: true, RequeueOnOffline: true, HistoryLimit: 3},
	{Strategy: policy.RecentContact, OfflineValidity: 6 * time.Hour, AgentIdleClose: 10 * time.Minute, DMLimit: 3},
	{Capacity: agent.DouyinBounds(), NoQueue: true, BuyerIdleClose: 15 * time.Minute, AgentIdleClose: 5 * time.Minute},
	{RequeueOnOffline: true, OfflineBatch: 1, BuyerIdleClose: time.Hour, DMLimit: 1},
	{Strategy: policy.RecentContact, Crowds: []policy.Crowd{{ID: "vip", Member: true}, {ID: "fans"}},
		TeamLevel: policy.LevelGold, BotFirst: true, BuyerIdleClose: 20 * time.Minute, RecentContactTTL: 2 * time.Hour,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans"}}, {ID: "g2", Crowds: []string{"vip"}}}},
	{NoQueue: true, Crowds: []policy.Crowd{{ID: "vip", Member: true}}, TeamLevel: policy.LevelSilver, RecentContactTTL: 3 * time.Hour,
		PriorityAtQueueHead: true, OfflineDiversion: policy.OfflineToBot, AgentIdleClose: 5 * time.Minute,
		BotWindows: []policy.Window{{Start: 2 * time.Hour, End: 9 * time.Hour, Share: 0.5}}, RequeueOnOffline: true,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"vip"}}}, GroupFallback: true, BotIdleClose: time.Hour},
	{Strategy: policy.RoundRobin, Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans", "vip"}}, {ID: "g2"}},
		OfflineBatch: 2, PriorityAtQueueHead: true, Crowds: []policy.Crowd{{ID: "fans"}}, TeamLevel: policy.LevelGold},
	// E1-E5, with each other and with the seed rules.
	{OfferTimeout: 2 * time.Minute, BuyerIdleClose: 20 * time.Minute, WrapUp: 30 * time.Second},
	{Strategy: policy.RoundRobin, OfferTimeout: 90 * time.Second, OfferTimeoutStatus: agent.Break, OfferRetry: true,
		ReassignAfter: 3 * time.Minute, ReassignLimit: 2, ReassignOnOffline: true, OfflineBatch: 1,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans"}}, {ID: "g2", Crowds: []string{"vip"}}}},
	{Strategy: policy.RecentContact, NoQueue: true, ReassignAfter: 3 * time.Minute, AgentIdleClose: 3 * time.Minute,
		WrapUp: time.Minute, OfferTimeout: time.Minute, OfferTimeoutStatus: agent.Offline,
		Crowds: []policy.Crowd{{ID: "vip", Member: true}}, TeamLevel: policy.LevelGold, PriorityAtQueueHead: true,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"vip"}}}, GroupFallback: true, ReassignOnOffline: true},
	{ReassignAfter: 2 * time.Minute, ReassignLimit: 3, OfferRetry: true, RequeueOnOffline: true,
		OfflineValidity: 6 * time.Hour, WrapUp: 5 * time.Minute, DMLimit: 2},
	{Capacity: agent.KuaishouBounds(), OfferTimeout: 30 * time.Second, ReassignAfter: time.Minute, WrapUp: 10 * time.Second,
		OfflineBatch: 2, Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans", "vip"}}, {ID: "g2"}}},
	// E6-E11 (queue shaping), with each other and with offers.
	{AgingStep: 2 * time.Minute, QueueCap: 4, MaxWait: 20 * time.Minute, Divert: policy.DivertRefuse,
		InactiveAfter: 10 * time.Minute, BuyerIdleClose: 30 * time.Minute},
	{Strategy: policy.RoundRobin, AgingStep: time.Minute, MaxWait: 5 * time.Minute, Divert: policy.DivertBot,
		OfferTimeout: time.Minute, WrapUp: 20 * time.Second, InactiveAfter: 3 * time.Minute,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans"}, QueueCap: 2, MaxWait: 2 * time.Minute}, {ID: "g2", Crowds: []string{"vip"}}}},
	{Groups: []policy.Group{
		{ID: "g1", Crowds: []string{"vip"}, Rings: []policy.Ring{{After: time.Minute, Groups: []string{"g2"}}, {After: 3 * time.Minute, Groups: []string{"nogroup"}}}},
		{ID: "g2", Crowds: []string{"fans"}, MaxWait: 4 * time.Minute, Rings: []policy.Ring{{After: 2 * time.Minute, Groups: []string{"g1"}}}},
		{ID: "nogroup"}},
		Divert: policy.DivertRefuse, QueueCap: 6, AgingStep: 30 * time.Second, OfferTimeout: time.Minute},
	// E10, with offers, declines, wrap-ups, groups, the offline batch and
	// the seed rules (the random arrivals' kinds: arrivalKinds).
	{Weights: weightKinds, OfferTimeout: time.Minute, OfferTimeoutStatus: agent.Break, ReassignAfter: 2 * time.Minute,
		WrapUp: 30 * time.Second, BuyerIdleClose: 20 * time.Minute, OfflineBatch: 2, RequeueOnOffline: true,
		Crowds: []policy.Crowd{{ID: "vip"}}, TeamLevel: policy.LevelGold,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans"}}, {ID: "g2", Crowds: []string{"vip"}}}},
	// E10 with E6-E9: weighted sessions that go inactive (their weight
	// frees), widen (an agent of a ring takes what fits), wait capped and
	// age.
	{Weights: weightKinds, InactiveAfter: 3 * time.Minute, AgingStep: time.Minute, MaxWait: 10 * time.Minute,
		Divert: policy.DivertBot, WrapUp: 20 * time.Second, OfferTimeout: time.Minute, BuyerIdleClose: 30 * time.Minute,
		Groups: []policy.Group{
			{ID: "g1", Crowds: []string{"vip"}, QueueCap: 3, Rings: []policy.Ring{{After: time.Minute, Groups: []string{"g2"}}}},
			{ID: "g2", Crowds: []string{"fans"}, Rings: []policy.Ring{{After: 2 * time.Minute, Groups: []string{"g1", "nogroup"}}}},
			{ID: "nogroup"}}},
}

// arrivalKinds are the kinds random arrivals have (E10): none, two
// weighted under weightKinds, one not listed.
var arrivalKinds = [...]string{"", "after-sales", "presale", "refund"}

// weightKinds weigh the arrival kinds (E10): after-sales 2, refund 3 (a
// random agent's cap is 1 to 4, so some never fit).
var weightKinds = []policy.Weight{{Kind: "after-sales", Units: 2}, {Kind: "refund", Units: 3}}

// shapingAny reports whether p uses any option of E6-E11, which
// comparator (b) does not implement.
func shapingAny(p policy.Policy) bool {
	return len(p.Weights) > 0 || p.AgingStep > 0 || p.Hours != nil || p.QueueCap > 0 || p.MaxWait > 0 || p.InactiveAfter > 0 ||
		slices.ContainsFunc(p.Groups, func(g policy.Group) bool { return g.QueueCap > 0 || g.MaxWait > 0 || len(g.Rings) > 0 })
}

// routing reports whether p uses an option beyond the seeds (E1-E5).
func routing(p policy.Policy) bool {
	return p.OfferTimeout > 0 || p.ReassignAfter > 0 || p.ReassignOnOffline || p.WrapUp > 0
}

// TestRandomSequences plays seeded random operation sequences under every
// policy shape; the seed is in the subtest name for reproduction.
func TestRandomSequences(t *testing.T) {
	runs := 120
	if testing.Short() {
		runs = 40
	}
	for seed := uint64(1); seed <= uint64(runs); seed++ {
		r := rand.New(rand.NewPCG(seed, 0x6b656675))
		data := make([]byte, 3*400)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		p := randomPolicies[seed%uint64(len(randomPolicies))]
		if err := playBytes(p, data); err != nil {
			t.Fatalf("seed %d, policy %+v: %v", seed, p, err)
		}
	}
}

// FuzzOperations is the same check driven by the fuzzer:
//
//	go test ./dispatch -run '^$' -fuzz FuzzOperations
func FuzzOperations(f *testing.F) {
	f.Add(byte(0), []byte{0, 8, 2, 0, 0, 1, 0, 0, 2, 0, 0, 3, 64, 3, 1})
	f.Add(byte(1), []byte{0, 21, 0, 0, 0, 0, 130, 12, 0, 0, 9, 3})
	f.Add(byte(3), []byte{0, 8, 4, 200, 0, 1, 0, 7, 5, 0, 10, 2})
	f.Fuzz(func(t *testing.T, pick byte, data []byte) {
		p := randomPolicies[int(pick)%len(randomPolicies)]
		if err := playBytes(p, data); err != nil {
			t.Fatal(err)
		}
	})
}
