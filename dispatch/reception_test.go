package dispatch

import (
	"fmt"
	"testing"
	"time"
	_ "time/tzdata" // P4 is tested in Asia/Shanghai whatever the host's zone database

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

var (
	vip  = policy.Crowd{ID: "vip", Member: true}
	fans = policy.Crowd{ID: "fans"}
	// longAgo: memberships that are long effective (P4).
	longAgo = t0.Add(-30 * 24 * time.Hour)
)

func taobaoLike() policy.Policy {
	return policy.Policy{
		Strategy:  policy.RecentContact,
		Crowds:    []policy.Crowd{vip, fans},
		TeamLevel: policy.LevelGold,
	}
}

func arriveWith(a Arrival) op {
	return op{"arrive " + a.Session, func(e *Engine, now time.Time) ([]Event, error) { return e.Arrive(now, a) }}
}

func handover(id string) op {
	return op{"handover " + id, func(e *Engine, now time.Time) ([]Event, error) { return e.Handover(now, id) }}
}

func teamLevel(l policy.TeamLevel) op {
	return op{"level " + l.String(), func(e *Engine, now time.Time) ([]Event, error) { return e.SetTeamLevel(now, l) }}
}

// TestP6toP9_PromptMatrix walks every combination of queue on/off,
// bot-first on/off, member or other crowd, lit or message-box entry,
// assigned to the recent contact or not, and a previous prompt within or
// after 8 hours. Each case builds the situation for real, then compares
// the prompt with the rule written out independently below.
func TestP6toP9_PromptMatrix(t *testing.T) {
	T := t0.Add(12 * time.Hour)
	for _, queueOn := range []bool{true, false} {
		for _, botFirst := range []bool{true, false} {
			for _, member := range []bool{true, false} {
				for _, lit := range []bool{true, false} {
					for _, recent := range []bool{true, false} {
						for _, within := range []bool{true, false} {
							name := fmt.Sprintf("queue=%v/bot=%v/member=%v/lit=%v/recent=%v/within8h=%v",
								queueOn, botFirst, member, lit, recent, within)
							t.Run(name, func(t *testing.T) {
								p := taobaoLike()
								p.NoQueue, p.BotFirst = !queueOn, botFirst
								e, err := New(p)
								require.NoError(t, err)
								crowd := fans.ID
								if member {
									crowd = vip.ID
								}
								buyer := Arrival{Buyer: "x", Crowds: []Membership{{crowd, longAgo}}}
								must := func(evs []Event, err error) []Event { t.Helper(); require.NoError(t, err); return evs }
								must(e.AddAgent(t0, "a", AgentConfig{Capacity: agent.Limit(10)}))
								must(e.AddAgent(t0, "b", AgentConfig{Capacity: agent.Limit(10)}))

								// An earlier prompt to x, 2 h or 9 h before T; x had no
								// history then, so it was prompted (lit, not recent).
								before := T.Add(-9 * time.Hour)
								if within {
									before = T.Add(-2 * time.Hour)
								}
								first := buyer
								first.Session, first.Entry = "earlier", EntryProduct
								evs := must(e.Arrive(before, first))
								require.Equal(t, EventPrompt, evs[len(evs)-1].Kind, "the earlier visit was prompted")
								require.Equal(t, "a", evs[0].Agent)
								must(e.Close(before.Add(time.Minute), "earlier")) // x's recent contact: a
								if !recent {
									must(e.Logout(T.Add(-time.Minute), "a")) // a cannot take x now
								}

								now := buyer
								now.Session = "s"
								if lit {
									now.Entry = EntryOrder
								}
								evs = must(e.Arrive(T, now))
								require.NotEmpty(t, evs)
								assert.Equal(t, EventAssigned, evs[0].Kind, "P1: skips bot and queue")
								assert.Equal(t, CausePriority, evs[0].Cause)
								assert.Equal(t, recent, evs[0].Agent == "a", "assigned to the recent contact")

								// The rule, written out (P6-P9).
								wantPrompt := lit && !within && !(!queueOn && recent)
								var got *Prompt
								for _, ev := range evs {
									if ev.Kind == EventPrompt {
										got = &ev.Prompt
									}
								}
								require.Equal(t, wantPrompt, got != nil, "prompt sent")
								if got == nil {
									return
								}
								wantTitle := "优先接待生效"
								if member {
									wantTitle = "会员专属客服"
								}
								wantText := "已安排优先接待"
								switch {
								case queueOn:
									wantText = "已跳过排队直连人工"
								case botFirst:
									wantText = "已跳过机器人直连人工"
								}
								assert.Equal(t, wantTitle, got.TitleZH)
								assert.Equal(t, wantText, got.TextZH)
								assert.NotEmpty(t, got.Title)
								assert.NotEmpty(t, got.Text)
							})
						}
					}
				}
			}
		}
	}
}

// P5: with no online, non-suspended agent, priority fails: the bot takes
// the buyer and no prompt is sent, whatever the entry.
func TestP5_PriorityFailsToBotWithoutPrompt(t *testing.T) {
	vipBuyer := func(id string) Arrival {
		return Arrival{Session: id, Buyer: "b-" + id, Entry: EntryProduct, Crowds: []Membership{{"vip", longAgo}}}
	}
	run(t, taobaoLike(), []step{
		{op: addAgent("susp", agent.Suspended())},
		{op: addAgentStatus("brk", agent.Limit(5), agent.Break)},
		{at: 1, op: arriveWith(vipBuyer("s1")), want: []string{"bot s1"}},
		{at: 2, op: arrive("plain", "p", 0), want: []string{"queued plain"}}, // an ordinary buyer queues
		{at: 3, op: setCap("susp", agent.Limit(1)), want: []string{"assigned plain susp freed"}},
		// Now an online, non-suspended agent exists, though full: over the cap (P1).
		{at: 4, op: arriveWith(vipBuyer("s2")), want: []string{"assigned s2 susp priority", "prompt s2 member/skip-queue"}},
		{at: 5, op: handover("s1"), want: []string{"queued s1"}},
	})
}

// P1 option: at the head of the queue instead of over the cap.
func TestP1_PriorityAtQueueHeadOption(t *testing.T) {
	p := taobaoLike()
	p.PriorityAtQueueHead = true
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{at: 1, op: arrive("s0", "p0", 0), want: []string{"assigned s0 a arrival"}},
		{at: 2, op: arrive("s1", "p1", 9), want: []string{"queued s1"}},
		{at: 3, op: arriveWith(Arrival{Session: "v", Buyer: "v", Entry: EntryProduct, Crowds: []Membership{{"fans", longAgo}}}),
			want: []string{"queued v"}},
		{at: 4, op: closeS("s0"), want: []string{"closed s0 a", "assigned v a freed"}}, // ahead of priority 9
	})
}

// P2: below silver the saved crowds have no effect; the monthly re-rating
// turns them on and off.
func TestP2_TeamLevelGate(t *testing.T) {
	p := taobaoLike()
	p.TeamLevel = policy.LevelBronze
	vipBuyer := func(id string) op {
		return arriveWith(Arrival{Session: id, Buyer: id, Entry: EntryProduct, Crowds: []Membership{{"vip", longAgo}}})
	}
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{at: 1, op: arrive("s0", "p0", 0), want: []string{"assigned s0 a arrival"}},
		{at: 2, op: vipBuyer("v1"), want: []string{"queued v1"}}, // bronze: no effect
		{at: 3, op: teamLevel(policy.LevelSilver)},
		{at: 4, op: vipBuyer("v2"), want: []string{"assigned v2 a priority", "prompt v2 member/skip-queue"}},
		{at: 5, op: teamLevel(policy.LevelNone)},
		{at: 6, op: vipBuyer("v3"), want: []string{"queued v3"}},
		{at: 7, op: teamLevel(policy.TeamLevel(9)), err: ErrInvalidTeamLevel},
	})
}

// P4: a buyer who joins on day T counts from day T+1 in the shop's time
// zone — here Asia/Shanghai, while the test's instants are in UTC.
func TestP4_MembershipCountsFromNextLocalDay(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	p := taobaoLike()
	p.Location = sh
	// Joined 2026-11-11 23:30 in Shanghai = 15:30 UTC; effective from
	// 2026-11-12 00:00 Shanghai = 2026-11-11 16:00 UTC.
	joined := time.Date(2026, 11, 11, 15, 30, 0, 0, time.UTC)
	midnight := time.Date(2026, 11, 11, 16, 0, 0, 0, time.UTC)
	e, err := New(p)
	require.NoError(t, err)
	_, err = e.AddAgent(joined, "a", AgentConfig{Capacity: agent.Limit(1)})
	require.NoError(t, err)
	_, err = e.Arrive(joined, Arrival{Session: "busy", Buyer: "o"})
	require.NoError(t, err)
	m := []Membership{{"vip", joined}}
	evs, err := e.Arrive(midnight.Add(-time.Second), Arrival{Session: "early", Buyer: "x", Crowds: m})
	require.NoError(t, err)
	assert.Equal(t, "queued early", brief(evs[0]), "23:59:59 in Shanghai: still day T")
	evs, err = e.Arrive(midnight, Arrival{Session: "ontime", Buyer: "y", Crowds: m})
	require.NoError(t, err)
	assert.Equal(t, "assigned ontime a priority", brief(evs[0]), "00:00 in Shanghai: day T+1")
	// The same instants with the shop in UTC: not yet effective at 16:00 UTC.
	p.Location = time.UTC
	e2, err := New(p)
	require.NoError(t, err)
	_, err = e2.AddAgent(joined, "a", AgentConfig{Capacity: agent.Limit(1)})
	require.NoError(t, err)
	_, err = e2.Arrive(joined, Arrival{Session: "busy", Buyer: "o"})
	require.NoError(t, err)
	evs, err = e2.Arrive(midnight, Arrival{Session: "ontime", Buyer: "y", Crowds: m})
	require.NoError(t, err)
	assert.Equal(t, "queued ontime", brief(evs[0]))
	require.NoError(t, e.Verify())
	require.NoError(t, e2.Verify())
}

// P10: once crowd priority hits, the exclusive agent is not applied;
// without a hit, the exclusive agent is tried first.
func TestP10_CrowdPriorityExcludesExclusiveAgent(t *testing.T) {
	run(t, taobaoLike(), []step{
		{op: addAgent("a", agent.Limit(5))},
		{op: addAgent("z", agent.Limit(5))},
		{at: 1, op: arriveWith(Arrival{Session: "s1", Buyer: "x", Exclusive: "z", Crowds: []Membership{{"fans", longAgo}}}),
			want: []string{"assigned s1 a priority"}}, // message box: no prompt
		{at: 2, op: arriveWith(Arrival{Session: "s2", Buyer: "y", Exclusive: "z"}),
			want: []string{"assigned s2 z exclusive"}},
		{at: 3, op: arriveWith(Arrival{Session: "s3", Buyer: "w", Exclusive: "ghost"}),
			want: []string{"assigned s3 a arrival"}}, // unknown exclusive agent: normal path
	})
}

// B1, B3: bot-first sends sessions to the bot, which loads no agent; a
// hand-over takes the human path with the original arrival time, so it is
// served before buyers who asked later.
func TestB1_BotFirstAndHandover(t *testing.T) {
	p := policy.Policy{BotFirst: true, BotIdleClose: 10 * minute}
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"bot s1"}, check: func(t *testing.T, e *Engine) {
			assert.Equal(t, 0, loadOf(t, e, "a"), "B3: the bot's sessions are no agent's load")
			assert.Equal(t, 1, e.BotLen())
		}},
		{at: 2, op: arrive("s2", "b2", 0), want: []string{"bot s2"}},
		{at: 3, op: arrive("s3", "b3", 0), want: []string{"bot s3"}},
		{at: 4, op: handover("s2"), want: []string{"assigned s2 a handover"}},
		{at: 5, op: handover("s3"), want: []string{"queued s3"}},
		{at: 6, op: handover("s1"), want: []string{"queued s1"}},
		{at: 7, op: handover("s1"), err: ErrNotWithBot},
		{at: 7, op: handover("zz"), err: ErrUnknownSession},
		{at: 8, op: closeS("s2"), want: []string{"closed s2 a", "assigned s1 a freed"}}, // s1 asked first
		{at: 9, op: arrive("s4", "b4", 0), want: []string{"bot s4"}},
		{at: 9, op: leave("s4"), err: ErrNotWaiting},
		{at: 10, op: msg("s4", FromBot, ""), want: []string{"message s4 bot"}},
		{at: 10 + 10*minute - 1, op: advance()},
		{at: 10 + 10*minute, op: advance(), want: []string{"closed s4 bot-idle"}}, // bot sessions time out too
		{at: 11 * minute, op: arrive("s5", "b5", 0), want: []string{"bot s5"}},
		{at: 11 * minute, op: assignTo("s5", "a"), want: []string{"assigned s5 a manual"}}, // a supervisor takes over
	})
}

// B2: within a window the bot takes a share of buyers, split by buyer id;
// the same buyer always lands on the same side; outside, BotFirst decides.
func TestB2_WindowShareIsDeterministicPerBuyer(t *testing.T) {
	p := policy.Policy{BotWindows: []policy.Window{{Start: 19 * time.Hour, End: 23 * time.Hour, Share: 0.6}}}
	e, err := New(p)
	require.NoError(t, err)
	_, err = e.AddAgent(t0, "a", AgentConfig{})
	require.NoError(t, err)
	day := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	in, out := day.Add(20*time.Hour), day.Add(12*time.Hour)
	const n = 100_000
	bot := 0
	for i := 0; i < n; i++ {
		buyer := fmt.Sprintf("buyer-%06d", i)
		s := &session{buyer: buyer}
		side := e.botTakes(s, in)
		if side {
			bot++
		}
		assert.Equal(t, side, e.botTakes(s, in.Add(2*time.Hour)), "same buyer, same side within the window")
		if e.botTakes(s, out) {
			t.Fatalf("%s went to the bot outside the window", buyer)
		}
	}
	share := float64(bot) / n
	assert.InDelta(t, 0.6, share, 0.01, "bot share over %d buyers", n)

	// Through the engine: a buyer sent to the bot at 20:00 is sent there
	// again at 22:00, and to a human at 12:00.
	for i := 0; i < 50; i++ {
		buyer := fmt.Sprint("b", i)
		id := fmt.Sprint("s", i)
		first, err := e.Arrive(in, Arrival{Session: id, Buyer: buyer})
		require.NoError(t, err)
		k1 := first[0].Kind
		_, err = e.Close(in, id)
		require.NoError(t, err)
		again, err := e.Arrive(in.Add(2*time.Hour), Arrival{Session: id, Buyer: buyer})
		require.NoError(t, err)
		assert.Equal(t, k1, again[0].Kind, "buyer %s", buyer)
		_, err = e.Close(in.Add(2*time.Hour), id)
		require.NoError(t, err)
	}
	require.NoError(t, e.Verify())
}

// R2: a crowd's buyers go to its group first; without fallback they wait
// for the group even while others have room; with fallback anyone takes
// them.
func TestR2_CrowdGroups(t *testing.T) {
	p := policy.Policy{Groups: []policy.Group{{ID: "vipdesk", Crowds: []string{"vip"}}}}
	vipBuyer := func(id string) op {
		return arriveWith(Arrival{Session: id, Buyer: id, Crowds: []Membership{{"vip", longAgo}}})
	}
	addIn := func(id string, c agent.Capacity, g string) op {
		return op{"add " + id, func(e *Engine, now time.Time) ([]Event, error) {
			return e.AddAgent(now, id, AgentConfig{Capacity: c, Group: g})
		}}
	}
	run(t, p, []step{
		{op: addIn("g1", agent.Limit(1), "vipdesk")},
		{op: addAgent("x", agent.Limit(5))},
		{op: addIn("bad", agent.Limit(1), "nodesk"), err: ErrUnknownGroup},
		{at: 1, op: arrive("s0", "p", 0), want: []string{"assigned s0 g1 arrival"}}, // anyone serves ordinary buyers
		{at: 2, op: closeS("s0"), want: []string{"closed s0 g1"}},
		{at: 3, op: arrive("s1", "q", 0), want: []string{"assigned s1 x arrival"}}, // x idle longer
		{at: 4, op: vipBuyer("v1"), want: []string{"assigned v1 g1 arrival"}},      // the group, though x is freer
		{at: 5, op: vipBuyer("v2"), want: []string{"queued v2"}, check: func(t *testing.T, e *Engine) {
			pos, n, ok := e.Position("v2")
			require.True(t, ok)
			assert.Equal(t, [2]int{1, 1}, [2]int{pos, n}, "in the group's own pool")
		}},
		{at: 6, op: arrive("s2", "r", 0), want: []string{"assigned s2 x arrival"}},
		{at: 7, op: closeS("s1"), want: []string{"closed s1 x"}}, // x frees: not for v2
		{at: 8, op: closeS("v1"), want: []string{"closed v1 g1", "assigned v2 g1 freed"}},
	})
	p.GroupFallback = true
	run(t, p, []step{
		{op: addIn("g1", agent.Limit(1), "vipdesk")},
		{op: addAgent("x", agent.Limit(5))},
		{at: 1, op: vipBuyer("v1"), want: []string{"assigned v1 g1 arrival"}},
		{at: 2, op: vipBuyer("v2"), want: []string{"assigned v2 x arrival"}}, // fallback
	})
}

// O4: with offline diversion to the bot, sessions go to the bot while no
// agent is online, instead of the offline pool.
func TestO4_OfflineDiversionToBot(t *testing.T) {
	p := policy.Policy{OfflineDiversion: policy.OfflineToBot}
	run(t, p, []step{
		{op: addAgentStatus("a", agent.Limit(1), agent.Offline)},
		{at: 1, op: arrive("s1", "b1", 0), want: []string{"bot s1"}},
		{at: 2, op: login("a")}, // the bot keeps it: nothing is pulled
		{at: 3, op: arrive("s2", "b2", 0), want: []string{"assigned s2 a arrival"}},
		{at: 4, op: handover("s1"), want: []string{"queued s1"}},
	})
}

func TestArrive_PriorityOutOfBand(t *testing.T) {
	run(t, policy.Policy{}, []step{
		{op: arrive("s1", "b", PriorityBand), err: ErrInvalidPriority},
		{op: arrive("s1", "b", -PriorityBand), err: ErrInvalidPriority},
		{op: arrive("s1", "b", PriorityBand-1), want: []string{"offline s1"}},
	})
}

// Found by the random sequences: a no-queue shop has no queue head, so a
// priority buyer goes over the cap even with PriorityAtQueueHead (Q4, P1).
func TestP1_NoQueueShopIgnoresQueueHeadOption(t *testing.T) {
	p := taobaoLike()
	p.NoQueue, p.PriorityAtQueueHead = true, true
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{at: 1, op: arrive("s0", "p0", 0), want: []string{"assigned s0 a arrival"}},
		{at: 2, op: arriveWith(Arrival{Session: "v", Buyer: "v", Crowds: []Membership{{"fans", longAgo}}}),
			want: []string{"assigned v a priority"}},
	})
}

// Found by the random sequences: with fallback, a group's buyer who had to
// wait may be taken by any agent who frees up (R2).
func TestR2_FallbackBuyersWaitInTheCommonPool(t *testing.T) {
	p := policy.Policy{Groups: []policy.Group{{ID: "vipdesk", Crowds: []string{"vip"}}}, GroupFallback: true}
	run(t, p, []step{
		{op: op{"add g1", func(e *Engine, now time.Time) ([]Event, error) {
			return e.AddAgent(now, "g1", AgentConfig{Capacity: agent.Limit(1), Group: "vipdesk"})
		}}},
		{op: addAgent("x", agent.Limit(1))},
		{at: 1, op: arrive("s1", "p1", 0), want: []string{"assigned s1 g1 arrival"}},
		{at: 2, op: arrive("s2", "p2", 0), want: []string{"assigned s2 x arrival"}},
		{at: 3, op: arriveWith(Arrival{Session: "v", Buyer: "v", Crowds: []Membership{{"vip", longAgo}}}),
			want: []string{"queued v"}},
		{at: 4, op: closeS("s2"), want: []string{"closed s2 x", "assigned v x freed"}},
	})
}
