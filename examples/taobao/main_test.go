package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/examples/internal/scenetest"
)

// output runs the scene and returns what it printed.
func output(t *testing.T) string { return scenetest.Output(t, run) }

// block returns the indented lines printed under the step's narrative line.
func block(t *testing.T, out, step string) []string { return scenetest.Block(t, out, step) }

// The seed's exact buyer-facing wording (003).
const (
	memberSkipQueue   = "「会员专属客服」已跳过排队直连人工 — Member exclusive agent: Skipped the queue, connected to a human"
	prioritySkipQueue = "「优先接待生效」已跳过排队直连人工 — Priority reception in effect: Skipped the queue, connected to a human"
)

func TestRunIsDeterministic(t *testing.T) {
	assert.Equal(t, output(t), output(t))
}

func TestBronzeSavesButHasNoEffect(t *testing.T) { // P2, P3
	out := output(t)
	assert.Equal(t, []string{
		"priority crowds saved: members (会员人群) and big-spenders (a shop-defined crowd), 2 of at most 10 (P3);",
		"team level bronze (铜牌): the setting is saved but has no effect (P2)",
	}, block(t, out, "the shop opens: Taobao rules (policy.Taobao)"))
	assert.Equal(t, []string{
		"queued s8 (buyer m1) in the queue pool (排队池): number 3 of 3",
		"bronze: the member waits like everyone else, and sees no prompt (P2)",
		"loads: 阿花 (hua) 2/2 online · 阿强 (qiang) 3/3 online · queue 3",
	}, block(t, out, "14:03:00  buyer m1 (member) asks from a product page (商品详情页, lit) (session s8)"))
	assert.Equal(t, []string{"closed 8 sessions; 3 waiting buyers came in as places freed (C5)"},
		block(t, out, "the day ends"))
	// The re-rating on the 1st turns it on.
	assert.Contains(t, out, "\n-- Tuesday 2026-12-01 --\n09:00:00  the platform re-rates the shop on the 1st of the month: gold (金牌)\n")
	assert.Equal(t, []string{"team level gold: the saved priority crowds take effect from now (P2)"},
		block(t, out, "the platform re-rates the shop"))
}

func TestMembersSkipTheLongQueue(t *testing.T) { // P1, P6
	out := output(t)
	assert.Equal(t, []string{
		"queued s16 (buyer b15) in the queue pool (排队池): number 3 of 3",
		"loads: 阿花 (hua) 2/2 online · 阿强 (qiang) 3/3 online · queue 3",
		"a long queue: both agents are full (C1), ordinary buyers wait (Q1)",
	}, block(t, out, "(session s16)"))
	b := block(t, out, "(session s17)")
	require.Len(t, b, 3)
	assert.Equal(t, "assigned s17 (buyer m1) → 阿花 (hua) [priority], over the cap: now 3/2", b[0])
	assert.Equal(t, "prompt to m1:"+memberSkipQueue+" [member/skip-queue]", b[1])
	// Ordinary buyers still wait, behind the ones already waiting.
	assert.Equal(t, "queued s18 (buyer b16) in the queue pool (排队池): number 4 of 4", block(t, out, "(session s18)")[0])
	// Another crowd: same skip, the other title.
	b = block(t, out, "09:05:00  buyer v1 (big-spender) asks from an order page (订单详情页, lit) (session s19)")
	require.Len(t, b, 3)
	assert.Equal(t, "assigned s19 (buyer v1) → 阿强 (qiang) [priority], over the cap: now 4/3", b[0])
	assert.Equal(t, "prompt to v1:"+prioritySkipQueue+" [priority/skip-queue]", b[1])
}

func TestMessageBoxGetsPriorityWithoutPrompt(t *testing.T) { // P7
	out := output(t)
	assert.Equal(t, []string{"assigned s20 (buyer m2) → 阿强 (qiang) [priority], over the cap: now 5/3"},
		block(t, out, "buyer m2 (member) asks from the message box (消息盒子, not lit) (session s20)"))
	assert.Equal(t, []string{
		"assigned s21 (buyer v2) → 阿花 (hua) [priority], over the cap: now 4/2",
		"from the message box: priority, but no prompt (P7)",
		"loads: 阿花 (hua) 4/2 online · 阿强 (qiang) 5/3 online · queue 4",
	}, block(t, out, "buyer v2 (big-spender) asks from the message box (消息盒子, not lit) (session s21)"))
	// Over the cap, a close frees no place for the queue (C1).
	assert.Equal(t, []string{
		"closed s17 (buyer m1) at 阿花 (hua)",
		"loads: 阿花 (hua) 3/2 online · 阿强 (qiang) 5/3 online · queue 4",
	}, block(t, out, "09:20:00  阿花 (hua) closes m1's session s17"))
}

func TestPromptCooldownEightHours(t *testing.T) { // P8
	out := output(t)
	assert.Equal(t, []string{
		"assigned s22 (buyer m1) → 阿花 (hua) [priority], over the cap: now 4/2",
		"2 hours after her prompt at 09:03: priority again, but no prompt (P8: once per 8 hours)",
	}, block(t, out, "11:03:00  buyer m1 (member) asks from the shop home page (店铺首页, lit) (session s22)"))
	assert.Equal(t, []string{
		"assigned s26 (buyer m1) → 阿花 (hua) [priority]",
		"prompt to m1:" + memberSkipQueue + " [member/skip-queue]",
		"9 hours after her last prompt: prompted again (P8)",
	}, block(t, out, "18:03:00  buyer m1 (member) asks from a product page (商品详情页, lit) (session s26)"))
}

func TestCrowdPriorityExcludesExclusiveAgent(t *testing.T) { // P10
	out := output(t)
	assert.Equal(t, []string{
		"assigned s23 (buyer b30) → 阿强 (qiang) [exclusive]",
		"no crowd: her exclusive agent (专属客服), who has room, takes b30 first",
	}, block(t, out, "(session s23)"))
	assert.Equal(t, []string{
		"assigned s24 (buyer v3) → 阿花 (hua) [priority]",
		"prompt to v3:" + prioritySkipQueue + " [priority/skip-queue]",
		"crowd priority hit, so the exclusive agent is not applied: the least saturated agent takes v3 (P10)",
	}, block(t, out, "buyer v3 (big-spender, with exclusive agent 阿强)"))
}

func TestPriorityFailsToBotWithoutPrompt(t *testing.T) { // P5, B1
	out := output(t)
	assert.Empty(t, block(t, out, "sets his max reception to suspended (挂起)"))
	assert.Equal(t, []string{
		"s25 (buyer m3) goes to the bot (服务助手)",
		"no online, non-suspended agent: priority fails, the bot takes her, and no prompt is sent (P5)",
	}, block(t, out, "14:01:00  buyer m3 (member) asks from a product page (商品详情页, lit) (session s25)"))
	assert.Equal(t, []string{"assigned s25 (buyer m3) → 阿强 (qiang) [handover]"},
		block(t, out, "m3 asks the bot for a human"))
}

func TestMembershipCountsFromNextDay(t *testing.T) { // P4
	out := output(t)
	assert.Equal(t, []string{
		"loads: 阿花 (hua) 2/2 online · 阿强 (qiang) 3/3 online · queue 2",
	}, block(t, out, "(session s33)")[1:])
	assert.Equal(t, []string{
		"queued s34 (buyer n1) in the queue pool (排队池): number 3 of 3",
		"day T: her membership does not count yet, so she queues like an ordinary buyer (P4)",
	}, block(t, out, "23:50:00  buyer n1 (member since 23:30 today)"))
	assert.Equal(t, []string{"s34 (buyer n1) left the queue; no session is counted"}, block(t, out, "n1 gives up waiting"))
	assert.Equal(t, []string{
		"assigned s35 (buyer n1) → 阿花 (hua) [priority], over the cap: now 3/2",
		"prompt to n1:" + memberSkipQueue + " [member/skip-queue]",
		"00:00, day T+1 in China time: she counts as a member and skips the queue (P4, P1)",
	}, block(t, out, "00:00:00  buyer n1 (member since yesterday 23:30)"))
	assert.Contains(t, out, "\n-- Wednesday 2026-12-02 --\n00:00:00  buyer n1 ")
}

func TestPromptsOnlyWhereTheRulesSay(t *testing.T) { // P6-P9
	out := output(t)
	main := out[:strings.Index(out, "\nfinal state")]
	// m1 at 09:03, v1 at 09:05, v3 at 13:01, m1 at 18:03, n1 at 00:00: no others.
	assert.Equal(t, 5, strings.Count(main, "prompt to "))
	assert.Equal(t, 3, strings.Count(main, "「会员专属客服」"))
	assert.Equal(t, 2, strings.Count(main, "「优先接待生效」"))
}

func TestPromptByDiversionMode(t *testing.T) { // P6, P9
	out := output(t)
	i := strings.Index(out, "\nthe prompt by diversion mode")
	require.NotEqual(t, -1, i)
	assert.Equal(t, `
the prompt by diversion mode (P6, P9): a fresh shop at gold, one agent 阿花 (hua);
m1 first asks from the message box (no prompt) and is closed, then m1 and v1 ask from a product page
  queue on:             m1, back to her recent contact → 阿花 (hua) [priority]:`+memberSkipQueue+`
                        v1, new to the shop → 阿花 (hua) [priority]:`+prioritySkipQueue+`
  queue off, bot first: m1, back to her recent contact → 阿花 (hua) [priority], no prompt
                        v1, new to the shop → 阿花 (hua) [priority]:「优先接待生效」已跳过机器人直连人工 — Priority reception in effect: Skipped the bot, connected to a human
  queue off, no bot:    m1, back to her recent contact → 阿花 (hua) [priority], no prompt
                        v1, new to the shop → 阿花 (hua) [priority]:「优先接待生效」已安排优先接待 — Priority reception in effect: Priority reception arranged
`, out[i:])
}

func TestFinalTable(t *testing.T) {
	out := output(t)
	i := strings.Index(out, "\nfinal state at 2026-12-02 00:00:00, team level gold\n")
	j := strings.Index(out, "\nthe prompt by diversion mode")
	require.NotEqual(t, -1, i)
	require.Greater(t, j, i)
	assert.Equal(t, `
final state at 2026-12-02 00:00:00, team level gold
  agent         status   capacity   load
  阿花 (hua)    online   2          3
  阿强 (qiang)  online   3          3
  queue pool (排队池): 2 waiting; with the bot: 0; open sessions: 8
`, out[i:j])
}
