package dispatch

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// Step tables of queue shaping beyond the seeds (E6-E11).

// order returns the queue's session ids in serving order.
func order(e *Engine) []string {
	var ids []string
	for x := range e.pools[0].queue.All() {
		ids = append(ids, x.ID)
	}
	return ids
}

// E6: a waiting buyer's priority rises by one per AgingStep; x (priority
// 0, at 0 s) overtakes none before its step, and after it exactly the
// priority-1 buyers who reached priority 1 after it did: those who
// arrived after its step (60 s), not 1 ns before it; one arriving at the
// very instant ties and goes after x, which reached the level first.
func TestE6_AgingOvertakesExactlyTheLaterOnes(t *testing.T) {
	p := policy.Policy{AgingStep: time.Minute}
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: arrive("s0", "b0", 0), want: []string{"assigned s0 a arrival"}},
		{op: arrive("x", "bx", 0), want: []string{"queued x"}},
		{at: 30 * second, op: arrive("y", "by", 1), want: []string{"queued y"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []string{"y", "x"}, order(e), "before x's step") }},
		{at: time.Minute - time.Nanosecond, op: arrive("w", "bw", 1), want: []string{"queued w"}},
		{at: time.Minute, op: arrive("u", "bu", 1), want: []string{"queued u"}},
		{at: 90 * second, op: arrive("z", "bz", 1), want: []string{"queued z"},
			check: func(t *testing.T, e *Engine) {
				assert.Equal(t, []string{"y", "w", "x", "u", "z"}, order(e))
				pos, n, ok := e.Position("x")
				require.True(t, ok)
				assert.Equal(t, [2]int{3, 5}, [2]int{pos, n})
			}},
		{at: 2 * time.Minute, op: closeS("s0"), want: []string{"closed s0 a", "assigned y a freed"}},
	})
}

// E8: the queue cap refuses the (cap+1)-th buyer with the configured
// diversion, here a refusal: the session ends with EventRefused, never
// silently; a place freed in the queue admits the next one.
func TestE8_QueueCapRefusesTheNextBuyer(t *testing.T) {
	p := policy.Policy{QueueCap: 2, Divert: policy.DivertRefuse}
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: arrive("s0", "b0", 0), want: []string{"assigned s0 a arrival"}},
		{op: arrive("q1", "b1", 0), want: []string{"queued q1"}},
		{op: arrive("q2", "b2", 0), want: []string{"queued q2"}},
		{op: arrive("q3", "b3", 0), want: []string{"refused q3 queue-cap"},
			check: func(t *testing.T, e *Engine) {
				_, open := e.Session("q3")
				assert.False(t, open)
				assert.Equal(t, 2, e.QueueLen())
			}},
		{at: time.Second, op: leave("q1"), want: []string{"left q1"}},
		{at: time.Second, op: arrive("q3", "b3", 0), want: []string{"queued q3"}},
	})
}

// E8: a buyer over the cap goes to the bot, or to the offline pool, by
// policy, with the reason; a group's own cap bounds its pool (R2).
func TestE8_DivertedToTheBotOrTheOfflinePool(t *testing.T) {
	run(t, policy.Policy{QueueCap: 1, Divert: policy.DivertBot}, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: arrive("s0", "b0", 0), want: []string{"assigned s0 a arrival"}},
		{op: arrive("q1", "b1", 0), want: []string{"queued q1"}},
		{op: arrive("q2", "b2", 0), want: []string{"bot q2 queue-cap"}},
	})
	g := policy.Policy{Groups: []policy.Group{{ID: "vip", Crowds: []string{"vip"}, QueueCap: 1}}}
	run(t, g, []step{
		{op: op{"add a", func(e *Engine, now time.Time) ([]Event, error) {
			return e.AddAgent(now, "a", AgentConfig{Capacity: agent.Limit(1), Group: "vip"})
		}}},
		{op: addAgent("b", agent.Limit(1))},
		{op: arrive("s0", "b0", 0), want: []string{"assigned s0 a arrival"}},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 b arrival"}},
		{op: vipArrive("v1"), want: []string{"queued v1"}},
		{op: vipArrive("v2"), want: []string{"offline v2 queue-cap"}},
		{op: arrive("q1", "bq", 0), want: []string{"queued q1"}}, // the shop has no cap
	})
}

func vipArrive(id string) op {
	return op{"arrive " + id, func(e *Engine, now time.Time) ([]Event, error) {
		return e.Arrive(now, Arrival{Session: id, Buyer: "b-" + id, Crowds: []Membership{{Crowd: "vip"}}})
	}}
}

// E8: the maximum wait diverts exactly at its deadline, not 1 ns before,
// counted from when the buyer entered the queue.
func TestE8_MaxWaitDivertsAtItsDeadline(t *testing.T) {
	p := policy.Policy{MaxWait: 5 * time.Minute}
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: arrive("s0", "b0", 0), want: []string{"assigned s0 a arrival"}},
		{at: time.Minute, op: arrive("q1", "b1", 0), want: []string{"queued q1"},
			check: func(t *testing.T, e *Engine) {
				info, _ := e.Session("q1")
				assert.Equal(t, t0.Add(6*time.Minute), info.Deadline)
			}},
		{at: 6*time.Minute - time.Nanosecond, op: advance()},
		{at: 6 * time.Minute, op: advance(), want: []string{"offline q1 max-wait"}},
		// in the offline pool it is a message the agent takes when it has room (O2)
		{at: 7 * time.Minute, op: closeS("s0"), want: []string{"closed s0 a", "assigned q1 a freed [offline]"}},
	})
}

// E9: a replied session whose buyer is silent for InactiveAfter stops
// counting toward the agent's load at that instant, and the agent takes
// the queue head then; the buyer's next message makes it count again,
// over the cap. An unreplied session never goes inactive.
func TestE9_InactiveSessionReleasesItsUnit(t *testing.T) {
	p := policy.Policy{InactiveAfter: 10 * time.Minute}
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: time.Minute, op: msg("s1", FromAgent, "a"), want: []string{"message s1 agent"}},
		{at: 2 * time.Minute, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		// the buyer last wrote at 0: inactive at 10:00, not 1 ns before
		{at: 10*time.Minute - time.Nanosecond, op: advance()},
		{at: 10 * time.Minute, op: advance(), want: []string{"inactive s1 [inactive]", "assigned s2 a freed"},
			check: func(t *testing.T, e *Engine) {
				assert.Equal(t, 1, loadOf(t, e, "a"), "s1 no longer counts")
				l, _, _ := e.List("a", Page{})
				require.Len(t, l, 2)
				info, _ := e.Session("s1")
				assert.Equal(t, FlagInactive, info.Flags&FlagInactive, "flagged in the list")
			}},
		// s2 is unreplied: it never goes inactive
		{at: time.Hour, op: advance()},
		{at: time.Hour, op: msg("s1", FromBuyer, ""), want: []string{"message s1 buyer"},
			check: func(t *testing.T, e *Engine) {
				assert.Equal(t, 2, loadOf(t, e, "a"), "counts again, over the cap of 1")
			}},
	})
}

// E7: a session of a group waits for the group's agents alone until its
// first ring opens, exactly at its instant (not 1 ns before), then for
// the ring's too; rings are cumulative, and an agent of an open ring
// with room takes it as it frees.
func TestE7_WideningAtItsInstant(t *testing.T) {
	p := policy.Policy{Groups: []policy.Group{
		{ID: "vip", Crowds: []string{"vip"}, Rings: []policy.Ring{
			{After: 30 * time.Second, Groups: []string{"gen"}},
			{After: time.Minute, Groups: []string{"other"}}}},
		{ID: "gen"}, {ID: "other"}}}
	add := func(id, g string) op {
		return op{"add " + id, func(e *Engine, now time.Time) ([]Event, error) {
			return e.AddAgent(now, id, AgentConfig{Capacity: agent.Limit(1), Group: g})
		}}
	}
	run(t, p, []step{
		{op: add("v", "vip")},
		{op: add("g", "gen")},
		{op: vipArrive("s0"), want: []string{"assigned s0 v arrival"}},
		{at: second, op: vipArrive("x"), want: []string{"queued x"}},
		{at: 31*second - time.Nanosecond, op: advance()}, // g has room, the ring is not open yet
		{at: 31 * second, op: advance(), want: []string{"assigned x g widened"}},
		{at: 40 * second, op: vipArrive("y"), want: []string{"queued y"}},
		{at: 41 * second, op: add("o", "other")}, // y's second ring opens at 1:40
		// y's first ring opened at 1:10, before the close at that instant: g takes it as it frees
		{at: 70 * second, op: closeS("x"), want: []string{"closed x g", "assigned y g freed"}},
	})
	run(t, p, []step{ // cumulative: the second ring, with the first busy
		{op: add("v", "vip")},
		{op: add("g", "gen")},
		{op: add("o", "other")},
		{op: vipArrive("s0"), want: []string{"assigned s0 v arrival"}},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 g arrival"}},
		{op: vipArrive("x"), want: []string{"queued x"}},
		{at: 30 * second, op: advance()},
		{at: time.Minute, op: advance(), want: []string{"assigned x o widened"}},
	})
}
