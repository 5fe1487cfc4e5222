package dispatch

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// opFromBytes decodes three bytes into one operation: every public
// operation, with valid and invalid ids, capacities and statuses, so that
// random sequences also try bad input. Time steps forward by the first
// byte's low bits, and sometimes backwards.
func opFromBytes(b0, b1, b2 byte) (time.Duration, op) {
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
	switch b1 % 22 {
	case 19:
		return dt, handover(sessID)
	case 20:
		return dt, teamLevel(policy.TeamLevel(b2 % 5)) // 4 invalid
	case 21:
		g := []string{"", "g1", "g2", "nogroup"}[b0%4]
		st := agent.Status(b0 % 4) // 0: default online
		return dt, op{"add " + agentID + " in " + g, func(e *Engine, now time.Time) ([]Event, error) {
			return e.AddAgent(now, agentID, AgentConfig{Capacity: c, Group: g, Status: st})
		}}
	case 13, 14, 15:
		m := Message{Session: sessID, From: Sender(b0 % 6), Agent: agentID, Unreachable: b2%11 == 0} // 0, 5 invalid
		return dt, op{"message " + sessID + " " + m.From.String(), func(e *Engine, now time.Time) ([]Event, error) {
			return e.Message(now, m)
		}}
	case 16:
		o := Outbound{Session: sessID, Buyer: buyer, Agent: agentID, Stranger: b0%2 == 0}
		return dt, op{"start " + sessID, func(e *Engine, now time.Time) ([]Event, error) { return e.Start(now, o) }}
	case 17:
		if b2%2 == 0 {
			return dt, op{"read " + sessID, func(e *Engine, now time.Time) ([]Event, error) { return e.MarkRead(now, sessID) }}
		}
		return dt, op{"follow " + sessID, func(e *Engine, now time.Time) ([]Event, error) { return e.Follow(now, sessID) }}
	case 0, 1, 2:
		a := Arrival{Session: sessID, Buyer: buyer, Priority: int(b0 % 3), Entry: Entry(b2 % 5)} // 4: an unknown entry
		switch b0 % 7 {
		case 1:
			a.Crowds = []Membership{{"vip", t0.Add(-48 * time.Hour)}}
		case 2:
			a.Crowds = []Membership{{"fans", t0.Add(-48 * time.Hour)}, {"other", t0}}
		case 3:
			a.Crowds = []Membership{{"vip", t0.Add(time.Duration(b2) * time.Hour)}} // effective later, or never
		case 4:
			a.Exclusive = agentID
		}
		return dt, arriveWith(a)
	case 3, 4:
		return dt, closeS(sessID)
	case 5:
		return dt, leave(sessID)
	case 6:
		return dt, assignTo(sessID, agentID)
	case 7:
		return dt, transfer(sessID, agentID)
	case 8:
		return dt, addAgent(agentID, c)
	case 9:
		return dt, setCap(agentID, c)
	case 10:
		return dt, setStatus(agentID, agent.Status(b2%5)) // 0 and 4 invalid
	case 11:
		if b2%3 == 0 {
			return dt, removeAgent(agentID)
		}
		if b2%3 == 1 {
			return dt, login(agentID)
		}
		return dt, logout(agentID)
	}
	return dt, advance()
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
		if s, ok := e.timers.Min(); ok && !s.deadline.After(now) {
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

func knownError(err error) bool {
	for _, s := range []error{ErrUnknownSession, ErrDuplicateSession, ErrEmptySessionID, ErrNotWaiting,
		ErrNotInReception, ErrAgentOffline, ErrSameAgent, ErrUnknownAgent, ErrDuplicateAgent, ErrEmptyAgentID,
		ErrAgentBusy, ErrInvalidStatus, ErrCapacityOutOfRange, ErrCapacityMode, ErrNotYourSession,
		ErrBuyerUnreachable, ErrDMLimit, ErrInvalidSender, ErrInvalidPage, ErrNotWithBot, ErrInvalidTeamLevel,
		ErrInvalidPriority, ErrUnknownGroup} {
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
		TeamLevel: policy.LevelGold, BotFirst: true, BuyerIdleClose: 20 * time.Minute,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans"}}, {ID: "g2", Crowds: []string{"vip"}}}},
	{NoQueue: true, Crowds: []policy.Crowd{{ID: "vip", Member: true}}, TeamLevel: policy.LevelSilver,
		PriorityAtQueueHead: true, OfflineDiversion: policy.OfflineToBot, AgentIdleClose: 5 * time.Minute,
		BotWindows: []policy.Window{{Start: 2 * time.Hour, End: 9 * time.Hour, Share: 0.5}}, RequeueOnOffline: true,
		Groups: []policy.Group{{ID: "g1", Crowds: []string{"vip"}}}, GroupFallback: true, BotIdleClose: time.Hour},
	{Strategy: policy.RoundRobin, Groups: []policy.Group{{ID: "g1", Crowds: []string{"fans", "vip"}}, {ID: "g2"}},
		OfflineBatch: 2, PriorityAtQueueHead: true, Crowds: []policy.Crowd{{ID: "fans"}}, TeamLevel: policy.LevelGold},
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
