package dispatch

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

const minute = time.Minute

var kuaishouClose = policy.Policy{Capacity: agent.KuaishouBounds(), BuyerIdleClose: 20 * minute}

// L2: the agent wrote last; the buyer's silence closes the session exactly
// 20 minutes later, and the freed place pulls the queue head in at that
// instant (C5).
func TestL2_ClosesExactlyTwentyMinutesAfterAgent(t *testing.T) {
	run(t, kuaishouClose, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: minute, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: 2 * minute, op: msg("s1", FromAgent, "a"), want: []string{"message s1 agent"}},
		{at: 22*minute - time.Nanosecond, op: advance()},
		{at: 22 * minute, op: advance(), want: []string{"closed s1 a buyer-idle", "assigned s2 a freed"},
			check: func(t *testing.T, e *Engine) {
				h, n, err := e.History("a", Page{})
				require.NoError(t, err)
				require.Equal(t, 1, n)
				assert.Equal(t, t0.Add(22*minute), h[0].At)
				assert.Equal(t, CloseBuyerIdle, h[0].Reason)
				info, _ := e.Session("s2")
				assert.Equal(t, t0.Add(22*minute), info.Entered)
			}},
	})
}

// L2: a buyer message at 19:59 resets the clock; while the buyer wrote
// last, Kuaishou never closes; the next agent reply starts a new 20 minutes.
func TestL2_BuyerAt1959ResetsTheClock(t *testing.T) {
	run(t, kuaishouClose, []step{
		{op: addAgent("a", agent.Limit(5))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{op: msg("s1", FromAgent, "a"), want: []string{"message s1 agent"}},
		{at: 19*minute + 59*time.Second, op: msg("s1", FromBuyer, ""), want: []string{"message s1 buyer"}},
		{at: 20 * minute, op: advance()},
		{at: 5 * time.Hour, op: advance()}, // the buyer wrote last: no buyer-idle close
		{at: 5*time.Hour + minute, op: msg("s1", FromAgent, "a"), want: []string{"message s1 agent"}},
		{at: 5*time.Hour + 21*minute - time.Nanosecond, op: advance()},
		{at: 5*time.Hour + 21*minute, op: advance(), want: []string{"closed s1 a buyer-idle"}},
	})
}

// L2: a system auto-reply (or the bot) also counts as the shop's last word.
func TestL2_SystemAutoReplyStartsTheClock(t *testing.T) {
	run(t, kuaishouClose, []step{
		{op: addAgent("a", agent.Limit(5))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{op: arrive("s2", "b2", 0), want: []string{"assigned s2 a arrival"}},
		{at: minute, op: msg("s1", FromSystem, ""), want: []string{"message s1 system"}},
		{at: 2 * minute, op: msg("s2", FromBot, ""), want: []string{"message s2 bot"}},
		{at: 21 * minute, op: advance(), want: []string{"closed s1 a buyer-idle"}},
		{at: 22 * minute, op: advance(), want: []string{"closed s2 a buyer-idle"}},
	})
}

var douyinClose = policy.Policy{Capacity: agent.DouyinBounds(), BuyerIdleClose: 10 * minute, AgentIdleClose: 5 * minute}

// L3: Douyin's two timeouts, configured apart: the buyer's silence after
// the shop wrote, and nobody answering the buyer.
func TestL3_DouyinSeparateBuyerAndAgentTimeouts(t *testing.T) {
	run(t, douyinClose, []step{
		{op: addAgent("a", agent.Limit(5))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{op: arrive("s2", "b2", 0), want: []string{"assigned s2 a arrival"}},
		{at: 4 * minute, op: msg("s1", FromAgent, "a"), want: []string{"message s1 agent"}},
		{at: 5*minute - time.Nanosecond, op: advance()},
		{at: 5 * minute, op: advance(), want: []string{"closed s2 a agent-idle"}},
		{at: 14*minute - time.Nanosecond, op: advance()},
		{at: 14 * minute, op: advance(), want: []string{"closed s1 a buyer-idle"}},
	})
}

// L3: the agent's clock starts when the session enters its list, not when
// the buyer wrote: 30 minutes in the queue do not close it on arrival.
func TestL3_AgentIdleCountsFromEnteringTheList(t *testing.T) {
	run(t, douyinClose, []step{
		{op: addAgent("a", agent.Limit(1)), want: []string{"warning a capacity-low"}},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{op: msg("s1", FromAgent, "a"), want: []string{"message s1 agent"}},
		{at: minute, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: 10 * minute, op: advance(), want: []string{"closed s1 a buyer-idle", "assigned s2 a freed"}},
		{at: 15*minute - time.Nanosecond, op: advance()},
		{at: 15 * minute, op: advance(), want: []string{"closed s2 a agent-idle"}},
	})
}

// A session an agent started, in which nobody ever writes, still closes:
// other systems leave those open forever.
func TestL3_SessionNobodyWroteInClosesToo(t *testing.T) {
	run(t, douyinClose, []step{
		{op: addAgent("a", agent.Limit(5))},
		{op: start("o1", "b1", "a", false), want: []string{"assigned o1 a started [started]"}},
		{at: 10 * minute, op: advance(), want: []string{"closed o1 a buyer-idle [started]"}},
	})
}

// Advance over a long gap fires every due timer, of every kind, in
// deadline order, each at its own instant.
func TestAdvance_LongGapFiresEverythingInDeadlineOrder(t *testing.T) {
	p := policy.Policy{BuyerIdleClose: 20 * minute, AgentIdleClose: 10 * minute, OfflineValidity: time.Hour}
	e, err := New(p)
	require.NoError(t, err)
	do := func(evs []Event, err error) { t.Helper(); require.NoError(t, err) }
	do(e.AddAgent(t0, "a", AgentConfig{Capacity: agent.Limit(1)}))
	do(e.Arrive(t0, Arrival{Session: "s1"}))                                           // agent-idle at 10m
	do(e.Message(t0.Add(minute), Message{Session: "s1", From: FromAgent, Agent: "a"})) // buyer-idle at 21m
	do(e.SetStatus(t0.Add(2*minute), "a", agent.Break))
	do(e.Arrive(t0.Add(4*minute), Arrival{Session: "m2"})) // expires at 64m
	do(e.Arrive(t0.Add(3*minute), Arrival{Session: "m1"})) // time never runs back: also 4m, after m2
	evs := e.Advance(t0.Add(10 * time.Hour))
	var got []string
	for _, ev := range evs {
		got = append(got, fmt.Sprintf("%s %s %s", ev.At.Sub(t0), ev.Kind, ev.Session))
	}
	assert.Equal(t, []string{"21m0s closed s1", "1h4m0s expired m2", "1h4m0s expired m1"}, got)
	require.NoError(t, e.Verify())
}

// L4: the current list shows unreplied sessions first, longest waiting
// first, then replied ones, newest last message first; history newest
// last message first; pages cut the same order.
func TestL4_ListAndHistoryOrder(t *testing.T) {
	ids := func(infos []SessionInfo) []string {
		var out []string
		for _, s := range infos {
			out = append(out, s.ID)
		}
		return out
	}
	e := run(t, policy.Policy{}, []step{
		{op: addAgent("a", agent.Unlimited())},
		{at: 1 * minute, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2 * minute, op: arrive("s2", "b2", 0), want: []string{"assigned s2 a arrival"}},
		{at: 3 * minute, op: arrive("s3", "b3", 0), want: []string{"assigned s3 a arrival"}},
		{at: 4 * minute, op: arrive("s4", "b4", 0), want: []string{"assigned s4 a arrival"}},
		{at: 5 * minute, op: arrive("s5", "b5", 0), want: []string{"assigned s5 a arrival"}},
		{at: 6 * minute, op: msg("s2", FromAgent, "a"), want: []string{"message s2 agent"}},
		{at: 7 * minute, op: msg("s4", FromAgent, "a"), want: []string{"message s4 agent"}},
		{at: 8 * minute, op: msg("s5", FromAgent, "a"), want: []string{"message s5 agent"}},
		{at: 9 * minute, op: msg("s2", FromBuyer, ""), want: []string{"message s2 buyer"}},    // waits again, since 9m
		{at: 10 * minute, op: msg("s1", FromBuyer, ""), want: []string{"message s1 buyer"}},   // still waiting since 1m
		{at: 11 * minute, op: msg("s3", FromSystem, ""), want: []string{"message s3 system"}}, // not a reply
		{at: 12 * minute, op: closeS("s5"), want: []string{"closed s5 a"}},
		{at: 13 * minute, op: closeS("s4"), want: []string{"closed s4 a"}},
	})
	list, n, err := e.List("a", Page{})
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, []string{"s1", "s3", "s2"}, ids(list), "unreplied: waiting since 1m, 3m, 9m")
	assert.Equal(t, 2, list[0].Unread)

	page, _, err := e.List("a", Page{Offset: 1, Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, []string{"s3"}, ids(page))
	page, _, err = e.List("a", Page{Offset: 5})
	require.NoError(t, err)
	assert.Empty(t, page)

	hist, n, err := e.History("a", Page{})
	require.NoError(t, err)
	require.Equal(t, 2, n)
	// s5's last message (8m) is newer than s4's (7m), though s4 closed last.
	assert.Equal(t, "s5", hist[0].Session)
	assert.Equal(t, "s4", hist[1].Session)

	_, _, err = e.List("a", Page{Offset: -1})
	assert.ErrorIs(t, err, ErrInvalidPage)
	_, _, err = e.History("a", Page{Limit: -1})
	assert.ErrorIs(t, err, ErrInvalidPage)
	_, _, err = e.List("ghost", Page{})
	assert.ErrorIs(t, err, ErrUnknownAgent)
	_, _, err = e.History("ghost", Page{})
	assert.ErrorIs(t, err, ErrUnknownAgent)
}

// History keeps at most Policy.HistoryLimit closed sessions per agent,
// dropping the oldest last message.
func TestL4_HistoryIsBounded(t *testing.T) {
	e, err := New(policy.Policy{HistoryLimit: 2})
	require.NoError(t, err)
	_, err = e.AddAgent(t0, "a", AgentConfig{})
	require.NoError(t, err)
	for i := 0; i < 4; i++ {
		id := fmt.Sprint("s", i)
		_, err = e.Arrive(t0.Add(time.Duration(i)*minute), Arrival{Session: id})
		require.NoError(t, err)
		_, err = e.Close(t0.Add(time.Duration(i)*minute), id)
		require.NoError(t, err)
	}
	h, n, err := e.History("a", Page{})
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, "s3", h[0].Session)
	assert.Equal(t, "s2", h[1].Session)
}

// L4 against a plain sort: random messages over many sessions; after each,
// the engine's list (from its index) equals a sort of the same sessions by
// the rule written out a second, obvious way.
func TestL4_ListMatchesStraightforwardSort(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		r := rand.New(rand.NewPCG(seed, 4))
		e, err := New(policy.Policy{HistoryLimit: 1000})
		require.NoError(t, err)
		_, err = e.AddAgent(t0, "a", AgentConfig{})
		require.NoError(t, err)
		_, err = e.AddAgent(t0, "b", AgentConfig{})
		require.NoError(t, err)
		now := t0
		open := map[string]bool{}
		for i := 0; i < 1500; i++ {
			now = now.Add(time.Duration(r.IntN(3)) * time.Second) // ties happen
			id := fmt.Sprint("s", r.IntN(120))
			switch {
			case !open[id]:
				_, err = e.Arrive(now, Arrival{Session: id})
				open[id] = true
			case r.IntN(20) == 0:
				_, err = e.Close(now, id)
				delete(open, id)
			default:
				info, _ := e.Session(id)
				from := []Sender{FromBuyer, FromAgent, FromBot, FromSystem}[r.IntN(4)]
				_, err = e.Message(now, Message{Session: id, From: from, Agent: info.Agent})
			}
			require.NoError(t, err, "seed %d step %d", seed, i)
			for _, ag := range []string{"a", "b"} {
				got, _, err := e.List(ag, Page{})
				require.NoError(t, err)
				// Shuffle a copy and sort it back by the rule, written out
				// a second, obvious way; it must give the engine's order.
				want := append([]SessionInfo(nil), got...)
				r.Shuffle(len(want), func(i, j int) { want[i], want[j] = want[j], want[i] })
				sort.SliceStable(want, func(i, j int) bool {
					x, y := want[i], want[j]
					if x.Unreplied != y.Unreplied {
						return x.Unreplied
					}
					if x.Unreplied && !x.WaitingSince.Equal(y.WaitingSince) {
						return x.WaitingSince.Before(y.WaitingSince)
					}
					if !x.Unreplied && !x.LastMessage.Equal(y.LastMessage) {
						return x.LastMessage.After(y.LastMessage)
					}
					return e.sessions[x.ID].entry.Seq < e.sessions[y.ID].entry.Seq
				})
				require.Equal(t, want, got, "seed %d step %d agent %s", seed, i, ag)
			}
			hist, _, err := e.History("a", Page{})
			require.NoError(t, err)
			require.True(t, sort.SliceIsSorted(hist, func(i, j int) bool {
				return hist[i].LastMessage.After(hist[j].LastMessage)
			}) || len(hist) < 2, "seed %d step %d: history order", seed, i)
		}
		require.NoError(t, e.Verify())
	}
}

// L5: buyer messages are unread and make the session unreplied; bot and
// system messages are no reply; reading clears unread only; an agent's
// reply clears both.
func TestL5_UnreadAndUnreplied(t *testing.T) {
	state := func(id string, unreplied bool, unread int) func(*testing.T, *Engine) {
		return func(t *testing.T, e *Engine) {
			info, ok := e.Session(id)
			require.True(t, ok)
			assert.Equal(t, unreplied, info.Unreplied, "unreplied")
			assert.Equal(t, unread, info.Unread, "unread")
		}
	}
	run(t, policy.Policy{}, []step{
		{op: addAgent("a", agent.Limit(5))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}, check: state("s1", true, 1)},
		{at: 1, op: msg("s1", FromBuyer, ""), want: []string{"message s1 buyer"}, check: state("s1", true, 2)},
		{at: 2, op: msg("s1", FromBot, ""), want: []string{"message s1 bot"}, check: state("s1", true, 2)},
		{at: 3, op: msg("s1", FromSystem, ""), want: []string{"message s1 system"}, check: state("s1", true, 2)},
		{at: 4, op: markRead("s1"), check: state("s1", true, 0)},
		{at: 5, op: msg("s1", FromAgent, "a"), want: []string{"message s1 agent"}, check: func(t *testing.T, e *Engine) {
			state("s1", false, 0)(t, e)
			info, _ := e.Session("s1")
			assert.Equal(t, t0.Add(5), info.FirstReply)
		}},
		{at: 6, op: msg("s1", FromBuyer, ""), want: []string{"message s1 buyer"}, check: state("s1", true, 1)},
		{at: 7, op: markRead("nope"), err: ErrUnknownSession},
	})
}

// S4: an offline agent cannot send; an agent cannot write to a buyer in
// another agent's list (or a waiting one); nobody writes to a buyer who
// blocked the shop. Each is an error and changes nothing.
func TestS4_SendRules(t *testing.T) {
	run(t, policy.Policy{}, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgent("b", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{op: arrive("s2", "b2", 0), want: []string{"assigned s2 b arrival"}},
		{op: arrive("s3", "b3", 0), want: []string{"queued s3"}},
		{at: 1, op: msg("s1", FromAgent, "b"), err: ErrNotYourSession},
		{at: 1, op: msg("s3", FromAgent, "b"), err: ErrNotYourSession},
		{at: 1, op: msg("s1", FromAgent, "ghost"), err: ErrUnknownAgent},
		{at: 1, op: msg("nope", FromAgent, "a"), err: ErrUnknownSession},
		{at: 1, op: msg("s1", Sender(0), "a"), err: ErrInvalidSender},
		{at: 1, op: msg("s1", Sender(9), "a"), err: ErrInvalidSender},
		{at: 1, op: msgTo(Message{Session: "s1", From: FromAgent, Agent: "a", Unreachable: true}), err: ErrBuyerUnreachable},
		{at: 1, op: msgTo(Message{Session: "s1", From: FromSystem, Unreachable: true}), err: ErrBuyerUnreachable},
		{at: 1, op: msgTo(Message{Session: "s1", From: FromBuyer, Unreachable: true}), want: []string{"message s1 buyer"}},
		{at: 2, op: logout("a")},
		{at: 3, op: msg("s1", FromAgent, "a"), err: ErrAgentOffline},
		{at: 3, op: start("o1", "b9", "a", false), err: ErrAgentOffline},
		{at: 4, op: setStatus("b", agent.Break)},
		{at: 5, op: msg("s2", FromAgent, "b"), want: []string{"message s2 agent"}}, // on break may still write
	})
}

// L6: to a stranger, three messages; the fourth is refused until the buyer
// replies or follows.
func TestL6_DMLimitForStrangers(t *testing.T) {
	p := policy.Policy{DMLimit: 3}
	run(t, p, []step{
		{op: addAgent("a", agent.Unlimited())},
		{op: addAgent("b", agent.Unlimited())},
		{op: start("o1", "x", "a", true), want: []string{"assigned o1 a started [started]"}},
		{at: 1, op: msg("o1", FromAgent, "a"), want: []string{"message o1 agent [started]"}},
		{at: 2, op: msg("o1", FromAgent, "a"), want: []string{"message o1 agent [started]"}},
		{at: 3, op: msg("o1", FromAgent, "a"), want: []string{"message o1 agent [started]"}},
		{at: 4, op: msg("o1", FromAgent, "a"), err: ErrDMLimit},
		{at: 5, op: msg("o1", FromBuyer, ""), want: []string{"message o1 buyer [started]"}},
		{at: 6, op: msg("o1", FromAgent, "a"), want: []string{"message o1 agent [started]"}},
		{at: 7, op: msg("o1", FromAgent, "a"), want: []string{"message o1 agent [started]"}},
		{at: 8, op: msg("o1", FromAgent, "a"), want: []string{"message o1 agent [started]"}},
		{at: 9, op: msg("o1", FromAgent, "a"), want: []string{"message o1 agent [started]"}}, // no longer a stranger
		{at: 10, op: start("o2", "y", "b", true), want: []string{"assigned o2 b started [started]"}},
		{at: 11, op: msg("o2", FromAgent, "b"), want: []string{"message o2 agent [started]"}},
		{at: 12, op: msg("o2", FromAgent, "b"), want: []string{"message o2 agent [started]"}},
		{at: 13, op: msg("o2", FromAgent, "b"), want: []string{"message o2 agent [started]"}},
		{at: 14, op: msg("o2", FromAgent, "b"), err: ErrDMLimit},
		{at: 15, op: follow("o2")},
		{at: 16, op: msg("o2", FromAgent, "b"), want: []string{"message o2 agent [started]"}},
		{at: 17, op: start("o3", "z", "b", false), want: []string{"assigned o3 b started [started]"}},
		{at: 18, op: msg("o3", FromAgent, "b"), want: []string{"message o3 agent [started]"}},
		{at: 19, op: msg("o3", FromAgent, "b"), want: []string{"message o3 agent [started]"}},
		{at: 20, op: msg("o3", FromAgent, "b"), want: []string{"message o3 agent [started]"}},
		{at: 21, op: msg("o3", FromAgent, "b"), want: []string{"message o3 agent [started]"}}, // not a stranger
		{at: 22, op: start("o1", "x", "b", false), err: ErrDuplicateSession},
		{at: 22, op: start("", "x", "b", false), err: ErrEmptySessionID},
		{at: 22, op: start("o4", "x", "ghost", false), err: ErrUnknownAgent},
		{at: 22, op: follow("ghost"), err: ErrUnknownSession},
	})
}

// S5: by default an agent's sessions stay when it goes offline (tested in
// TestS5_SessionsStayWithAgentWhoGoesOffline); with RequeueOnOffline they
// go back to the queue with their original arrival, ahead of later buyers,
// and agents with room take them at once.
func TestS5_RequeueOnOffline(t *testing.T) {
	p := policy.Policy{RequeueOnOffline: true}
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(2))},
		{op: addAgent("b", agent.Limit(1))},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2, op: arrive("s2", "b2", 0), want: []string{"assigned s2 b arrival"}},
		{at: 3, op: arrive("s3", "b3", 0), want: []string{"assigned s3 a arrival"}},
		{at: 4, op: arrive("s4", "b4", 0), want: []string{"queued s4"}},
		{at: 5, op: logout("a"), want: []string{"queued s1 from a", "queued s3 from a"}},
		// s1 and s3 arrived before s4: they are served first.
		{at: 6, op: closeS("s2"), want: []string{"closed s2 b", "assigned s1 b freed"}},
		{at: 7, op: addAgent("c", agent.Limit(5)), want: []string{"assigned s3 c freed", "assigned s4 c freed"}},
		{at: 8, op: arrive("s5", "b5", 0), want: []string{"assigned s5 c arrival"}},
		// c goes offline while b is full: its sessions wait in the queue.
		{at: 9, op: setStatus("c", agent.Offline), want: []string{"queued s3 from c", "queued s4 from c", "queued s5 from c"}},
	})
}

// O5: an agent with unlimited capacity coming online receives at most
// OfflineBatch offline messages at once, and one more as it closes one;
// live buyers are not held back. It is warned when it goes offline.
func TestO5_OfflineBacklogGuard(t *testing.T) {
	p := policy.Policy{OfflineBatch: 2}
	run(t, p, []step{
		{op: addAgentStatus("u", agent.Unlimited(), agent.Offline)},
		{at: 1, op: arrive("m1", "b1", 0), want: []string{"offline m1"}},
		{at: 2, op: arrive("m2", "b2", 0), want: []string{"offline m2"}},
		{at: 3, op: arrive("m3", "b3", 0), want: []string{"offline m3"}},
		{at: 4, op: arrive("m4", "b4", 0), want: []string{"offline m4"}},
		{at: 5, op: login("u"), want: []string{"assigned m1 u freed [offline]", "assigned m2 u freed [offline]"}},
		{at: 6, op: arrive("s5", "b5", 0), want: []string{"assigned s5 u arrival"}},
		{at: 7, op: closeS("s5"), want: []string{"closed s5 u"}}, // not an offline one: nothing more
		{at: 8, op: closeS("m1"), want: []string{"closed m1 u [offline]", "assigned m3 u freed [offline]"}},
		{at: 9, op: logout("u"), want: []string{"warning u unlimited-offline"}},
		{at: 10, op: logout("u")}, // already offline: no second warning
		{at: 11, op: addAgent("v", agent.Limit(5)), want: []string{"assigned m4 v freed [offline]"}},
	})
}

// L3: the agent timeout counts from the buyer's first unanswered message:
// a buyer who keeps writing does not keep an unanswered session open.
func TestL3_AgentTimeoutCountsFromFirstUnansweredMessage(t *testing.T) {
	run(t, douyinClose, []step{
		{op: addAgent("a", agent.Limit(5))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 4 * minute, op: msg("s1", FromBuyer, ""), want: []string{"message s1 buyer"}},
		{at: 5*minute - time.Nanosecond, op: advance()},
		{at: 5 * minute, op: advance(), want: []string{"closed s1 a agent-idle"}},
	})
}

// L2, L3: a system welcome message does not switch the agent timeout off:
// both conditions hold (the shop wrote last; nobody answered) and the
// earlier deadline closes the session.
func TestL3_SystemMessageKeepsTheAgentTimeout(t *testing.T) {
	run(t, douyinClose, []step{
		{op: addAgent("a", agent.Limit(5))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: time.Second, op: msg("s1", FromSystem, ""), want: []string{"message s1 system"}},
		{at: 5 * minute, op: advance(), want: []string{"closed s1 a agent-idle"}}, // not buyer-idle at 10m0s+1s
	})
	// With a longer agent timeout, the buyer's silence comes first.
	p := douyinClose
	p.AgentIdleClose = time.Hour
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(5))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: time.Second, op: msg("s1", FromSystem, ""), want: []string{"message s1 system"}},
		{at: 10*minute + time.Second, op: advance(), want: []string{"closed s1 a buyer-idle"}},
	})
}
