package kefuprom_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/policy"
)

// t0 is the scene's first instant: 10:00 on Double 11, China time.
var t0 = time.Date(2026, 11, 11, 10, 0, 0, 0, policy.ChinaStandardTime())

func at(d time.Duration) time.Time { return t0.Add(d) }

// step is one call of the scene on a shop.
type step struct {
	shop string
	at   time.Duration // after t0
	op   dispatch.Op
}

// The scene's shops and their policies: a Douyin shop with a queue, a
// Kuaishou shop whose agents are mostly away (the offline pool, expiry),
// a shop whose bot answers first, and a shop whose agents must accept
// offers, are reassigned sessions left unanswered and wrap up (E1-E5).
func scenePolicies() map[string]policy.Policy {
	outlet := policy.Kuaishou()
	outlet.OfflineValidity = 30 * time.Minute
	bots := policy.Kuaishou()
	bots.BotFirst, bots.BotIdleClose, bots.BuyerIdleClose = true, 10*time.Minute, 0
	flagship := policy.Douyin()
	flagship.AgentIdleClose = 20 * time.Minute
	desk := policy.Policy{OfferTimeout: 2 * time.Minute, ReassignAfter: 3 * time.Minute, WrapUp: time.Minute}
	return map[string]policy.Policy{"flagship": flagship, "outlet": outlet, "bots": bots, "desk": desk}
}

func arrive(shop string, d time.Duration, id string) step {
	return step{shop, d, dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: id, Buyer: "b-" + id}}}
}

func msg(shop string, d time.Duration, id string, from dispatch.Sender, agentID string) step {
	return step{shop, d, dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: id, From: from, Agent: agentID}}}
}

func op(shop string, d time.Duration, k dispatch.OpKind, session, agentID string) step {
	return step{shop, d, dispatch.Op{Kind: k, Session: session, Agent: agentID}}
}

func addAgent(shop string, d time.Duration, id string, c agent.Capacity, st agent.Status) step {
	return step{shop, d, dispatch.Op{Kind: dispatch.OpAddAgent, Agent: id, AgentConfig: dispatch.AgentConfig{Capacity: c, Status: st}}}
}

// sceneSteps is a small morning of three shops that touches most
// counters: arrivals routed and queued, replies, closes pulling the queue
// head in, a buyer leaving the queue, a transfer, a manual assignment, a
// session an agent starts, an exclusive agent, the offline pool and its
// expiry, the bot and its hand-over, both warnings and every close
// reason, offers accepted, rejected and timed out, a reassignment and a
// wrap-up. It ends with a session in each place.
var sceneSteps = []step{
	// flagship (Douyin): wang takes 2, li 3 (both below 5: capacity-low,
	// C3); ties go to li (idle since, then id).
	addAgent("flagship", 0, "wang", agent.Limit(2), 0),
	addAgent("flagship", 0, "li", agent.Limit(3), 0),
	arrive("flagship", 0, "f1"), // li (arrival)
	arrive("flagship", 0, "f2"), // wang
	arrive("flagship", 0, "f3"), // li
	arrive("flagship", 0, "f4"), // wang
	arrive("flagship", 0, "f5"), // li
	arrive("flagship", 0, "f6"), // queued (Q1)
	arrive("flagship", 0, "f7"), // queued
	msg("flagship", 40*time.Second, "f1", dispatch.FromAgent, "li"),
	msg("flagship", 50*time.Second, "f1", dispatch.FromBuyer, ""),
	op("flagship", 2*time.Minute, dispatch.OpClose, "f1", ""), // f6 → li (freed, C5), waited 2 min
	op("flagship", 3*time.Minute, dispatch.OpLeave, "f7", ""), // Q3
	msg("flagship", 4*time.Minute, "f2", dispatch.FromAgent, "wang"),
	msg("flagship", 4*time.Minute, "f3", dispatch.FromSystem, ""),
	op("flagship", 5*time.Minute, dispatch.OpTransfer, "f2", "li"), // over li's cap (C4)
	{"flagship", 6 * time.Minute, dispatch.Op{Kind: dispatch.OpSetStatus, Agent: "li", Status: agent.Break}},
	{"flagship", 6 * time.Minute, dispatch.Op{Kind: dispatch.OpSetStatus, Agent: "wang", Status: agent.Break}},
	arrive("flagship", 7*time.Minute, "f8"),                      // offline pool: nobody online (O1)
	op("flagship", 8*time.Minute, dispatch.OpAssign, "f8", "li"), // manual (C4)
	{"flagship", 8 * time.Minute, dispatch.Op{Kind: dispatch.OpSetStatus, Agent: "wang", Status: agent.Online}},
	{"flagship", 9 * time.Minute, dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "f10", Buyer: "fan", Exclusive: "wang"}}},
	{"flagship", 9 * time.Minute, dispatch.Op{Kind: dispatch.OpStart, Outbound: dispatch.Outbound{Session: "f9", Buyer: "vip", Agent: "wang"}}},
	msg("flagship", 12*time.Minute, "f10", dispatch.FromAgent, "wang"),
	// Buyers silent 30 min after the shop wrote, and buyers unanswered
	// for 20 min, are closed (L3).
	{"flagship", 45 * time.Minute, dispatch.Op{Kind: dispatch.OpAdvance}},
	arrive("flagship", 46*time.Minute, "f11"), // wang
	arrive("flagship", 46*time.Minute, "f12"), // wang
	arrive("flagship", 46*time.Minute, "f13"), // queued: li still on break

	// outlet (Kuaishou): nobody online at first; qian has no cap
	// (不自动挂起) and goes offline: unlimited-offline (O5).
	addAgent("outlet", 0, "zhao", agent.Limit(5), agent.Offline),
	addAgent("outlet", 0, "qian", agent.Unlimited(), agent.Offline),
	arrive("outlet", time.Minute, "o1"), // offline pool (O1)
	arrive("outlet", time.Minute, "o2"),
	op("outlet", 2*time.Minute, dispatch.OpLeave, "o2", ""),
	op("outlet", 10*time.Minute, dispatch.OpLogin, "", "zhao"), // o1 → zhao (freed), waited 9 min
	op("outlet", 11*time.Minute, dispatch.OpLogin, "", "qian"),
	op("outlet", 12*time.Minute, dispatch.OpLogout, "", "qian"),
	op("outlet", 14*time.Minute, dispatch.OpClose, "o1", ""),
	op("outlet", 15*time.Minute, dispatch.OpLogout, "", "zhao"),
	arrive("outlet", 20*time.Minute, "o3"),                                  // offline pool
	step{"outlet", 55 * time.Minute, dispatch.Op{Kind: dispatch.OpAdvance}}, // o3 expires (O3)
	arrive("outlet", 56*time.Minute, "o4"),                                  // offline pool

	// bots: the bot answers first (B1), hands one buyer over, and closes
	// the other after 10 silent minutes.
	addAgent("bots", 0, "zhou", agent.Limit(4), 0),
	arrive("bots", 0, "r1"),
	arrive("bots", 0, "r2"),
	msg("bots", 10*time.Second, "r1", dispatch.FromBot, ""),
	op("bots", time.Minute, dispatch.OpHandover, "r1", ""), // → zhou (handover)
	msg("bots", 3*time.Minute, "r1", dispatch.FromAgent, "zhou"),
	step{"bots", 15 * time.Minute, dispatch.Op{Kind: dispatch.OpAdvance}}, // r2: bot-idle
	arrive("bots", 16*time.Minute, "r3"),

	// desk: every automatic assignment is an offer (E1, 2 min to
	// accept), a session unanswered 3 min in a list moves on (E3), and a
	// close holds the agent's unit for 1 min (E5).
	addAgent("desk", 0, "sun", agent.Limit(2), 0),
	arrive("desk", 0, "d1"), // offered to sun
	op("desk", 30*time.Second, dispatch.OpAccept, "d1", "sun"),
	arrive("desk", time.Minute, "d2"),                          // offered to sun
	op("desk", 90*time.Second, dispatch.OpReject, "d2", "sun"), // nobody else: queued
	addAgent("desk", 2*time.Minute, "ma", agent.Limit(2), 0),   // d2 offered to ma, waited 30 s
	// 03:30 d1, unanswered since sun accepted it, is reassigned: offered
	// to ma; 04:00 ma lets d2's offer time out: queued again.
	step{"desk", 4 * time.Minute, dispatch.Op{Kind: dispatch.OpAdvance}},
	op("desk", 5*time.Minute, dispatch.OpAccept, "d1", "ma"),
	msg("desk", 6*time.Minute, "d1", dispatch.FromAgent, "ma"), // first reply 6 min after d1 arrived
	op("desk", 7*time.Minute, dispatch.OpClose, "d1", ""),      // handled 2 min by ma; ma wraps up
	arrive("desk", 7*time.Minute+30*time.Second, "d3"),         // offered to sun
}

// newScene opens the scene's shops in a registry and plays sceneSteps.
func newScene(t testing.TB) *dispatch.Shops {
	t.Helper()
	shops := new(dispatch.Shops)
	for id, p := range scenePolicies() {
		_, err := shops.Open(id, p)
		require.NoError(t, err)
	}
	play(t, shops, sceneSteps)
	return shops
}

// play applies steps in order; each must be accepted.
func play(t testing.TB, shops *dispatch.Shops, steps []step) {
	t.Helper()
	for i, s := range steps {
		shop, err := shops.Get(s.shop)
		require.NoError(t, err, "step %d", i)
		_, err = shop.Apply(at(s.at), s.op)
		require.NoError(t, err, "step %d: %s %v", i, s.shop, s.op.Kind)
	}
}
