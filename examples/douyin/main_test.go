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

func TestRunIsDeterministic(t *testing.T) {
	assert.Equal(t, output(t), output(t))
}

func TestCapacityBounds(t *testing.T) { // C3
	out := output(t)
	assert.Equal(t, []string{
		"warning for 小美 (mei): max reception is too low; buyers may be unable to reach an agent (客服接待人数过低,可能会导致用户无法进入)",
	}, block(t, out, "logs in with max reception 4"))
	assert.Empty(t, block(t, out, "logs in with max reception 20"), "5 or more: no warning")
	assert.Equal(t, []string{`rejected: set capacity of "jie": dispatch: capacity out of range: 201 not in 1..200`},
		block(t, out, "tries max reception 201"))
	assert.Equal(t, []string{
		`rejected: set capacity of "jie": dispatch: capacity mode not allowed: unlimited`,
		"not clamped: 小杰 (jie) keeps max reception 20",
	}, block(t, out, "tries no limit at all"))
}

func TestTwoTimeouts(t *testing.T) { // L3
	out := output(t)
	assert.Equal(t, []string{
		"message from the agent in s1 (buyer b1)",
		"s1 auto-closes at 09:12:00 unless the buyer writes (user timeout)",
	}, block(t, out, "09:02:00  小杰 (jie) answers b1"))
	assert.Equal(t, []string{
		"assigned s2 (buyer b2) → 小美 (mei) [arrival]",
		"s2 auto-closes at 09:08:00 unless an agent answers (agent timeout)",
	}, block(t, out, "09:03:00  buyer b2 asks"))
	// Not a second early: the agent timeout closes s2 at exactly 09:08:00.
	assert.Empty(t, block(t, out, "09:07:59  the clock is checked"))
	assert.Equal(t, []string{
		"closed s2 (buyer b2) at 小美 (mei) by auto-close at 09:08:00: nobody answered the buyer for 5m0s (agent timeout, 客服会话超时)",
	}, block(t, out, "09:08:00  the clock is checked"))
	// The user timeout of s1 fell due at 09:12 and fires, at 09:12, in the next call.
	assert.Equal(t, []string{
		"closed s1 (buyer b1) at 小杰 (jie) by auto-close at 09:12:00: the buyer stayed silent 10m0s after the shop's last message (user timeout, 用户会话超时)",
	}, block(t, out, "09:15:00  小美 (mei) takes a break"))
}

func TestCurrentListOrder(t *testing.T) { // L4, L5
	b := block(t, output(t), "09:25:00  小杰 (jie) looks at his list")
	require.GreaterOrEqual(t, len(b), 5)
	assert.Equal(t, []string{
		"current sessions (当前会话) of 小杰 (jie): 4",
		"1. s5 (buyer b5) unreplied (未回复) for 4m0s since 09:21:00, 2 unread; last message from the buyer at 09:23:30",
		"2. s4 (buyer b4) unreplied (未回复) for 2m0s since 09:23:00, 0 unread; last message from the buyer at 09:23:00",
		"3. s6 (buyer b6) replied; last message from the agent at 09:24:00",
		"4. s3 (buyer b3) replied; last message from the agent at 09:22:30",
	}, b[:5])
	assert.Equal(t, []string{
		"s5 auto-closes at 09:26:00 unless an agent answers (agent timeout)",
		"s4 auto-closes at 09:28:00 unless an agent answers (agent timeout)",
	}, b[len(b)-2:])
}

func TestHistoryOrder(t *testing.T) { // L1, L4
	b := block(t, output(t), "09:40:00  the clock is checked")
	assert.Equal(t, []string{
		"closed s3 (buyer b3) at 小杰 (jie) by auto-close at 09:32:30: the buyer stayed silent 10m0s after the shop's last message (user timeout, 用户会话超时)",
		"closed s6 (buyer b6) at 小杰 (jie) by auto-close at 09:34:00: the buyer stayed silent 10m0s after the shop's last message (user timeout, 用户会话超时)",
		"closed s4 (buyer b4) at 小杰 (jie) by auto-close at 09:35:30: the buyer stayed silent 10m0s after the shop's last message (user timeout, 用户会话超时)",
		"history (历史会话) of 小杰 (jie): 5",
		"1. s5 (buyer b5) last message 09:25:45, closed 09:30:00 (manual)",
		"2. s4 (buyer b4) last message 09:25:30, closed 09:35:30 (buyer-idle)",
		"3. s6 (buyer b6) last message 09:24:00, closed 09:34:00 (buyer-idle)",
		"4. s3 (buyer b3) last message 09:22:30, closed 09:32:30 (buyer-idle)",
		"5. s1 (buyer b1) last message 09:02:00, closed 09:12:00 (buyer-idle)",
		"newest last message first, not by closing time: s5 closed first, yet its last message is the newest",
	}, b)
}

func TestDMLimit(t *testing.T) { // L6
	out := output(t)
	assert.Equal(t, []string{"assigned s9 (buyer b9) → 小杰 (jie) [started], flagged: started by the agent"},
		block(t, out, "starts a chat with b9"))
	for _, n := range []string{"1", "2", "3"} {
		assert.Equal(t, []string{"message from the agent in s9 (buyer b9)"}, block(t, out, "sends b9 message "+n))
	}
	assert.Equal(t, []string{
		"rejected: dispatch: message limit to a stranger reached: 3 sent to a buyer who has not followed or replied",
	}, block(t, out, "tries a 4th message"))
	assert.Equal(t, []string{"message from the buyer in s9 (buyer b9)"}, block(t, out, "b9 replies"))
	assert.Equal(t, []string{ // not just 3 more: the limit is gone
		"message from the agent in s9 (buyer b9)",
		"message from the agent in s9 (buyer b9)",
		"message from the agent in s9 (buyer b9)",
		"message from the agent in s9 (buyer b9)",
	}, block(t, out, "writes to b9 four times"))
}

func TestDouyinPresetWithShopSettings(t *testing.T) { // C3, L3, L6, O3, B2
	assert.Equal(t, []string{
		"offline messages valid 7 days (O3); this shop's own settings (L3): user timeout 10 minutes (the preset's is 30), agent timeout 5 minutes (the preset's is off),",
		"and during the evening live stream, 19:00-23:00, 60% of new sessions go to the bot (B2)",
	}, block(t, output(t), "Douyin Feige rules (policy.Douyin)"))
}

func TestLiveStreamBotShare(t *testing.T) { // B2, B3
	out := output(t)
	bot := func(n string) string {
		return "s" + n + " (buyer b" + n + ") goes to the bot (机器人接待); no agent's load grows (B3)"
	}
	// 19:50 is inside the 19:00-23:00 window: some buyers to the bot, the rest to humans.
	assert.Equal(t, []string{
		"closed s9 (buyer b9) at 小杰 (jie) by auto-close at 09:58:00: the buyer stayed silent 10m0s after the shop's last message (user timeout, 用户会话超时)",
		bot("20"),
	}, block(t, out, "buyer b20 asks from the live room"))
	assert.Equal(t, []string{"assigned s21 (buyer b21) → 小美 (mei) [arrival]"}, block(t, out, "buyer b21 asks from the live room"))
	assert.Equal(t, []string{bot("22")}, block(t, out, "buyer b22 asks from the live room"))
	assert.Equal(t, []string{bot("23")}, block(t, out, "buyer b23 asks from the live room"))
	assert.Equal(t, []string{"assigned s24 (buyer b24) → 小杰 (jie) [arrival]"}, block(t, out, "buyer b24 asks from the live room"))
	assert.Equal(t, []string{bot("25")}, block(t, out, "buyer b25 asks from the live room"))
	// Outside the window (the morning) nobody went to the bot.
	i := strings.Index(out, "\n19:50:00  the evening live stream (直播) is on")
	require.NotEqual(t, -1, i)
	assert.NotContains(t, out[:i], "goes to the bot")
	// The same buyer again, within the window: the same side (a hash of the buyer id).
	assert.Equal(t, []string{
		"closed s22 (buyer b22) at the bot",
		"closed s21 (buyer b21) at 小美 (mei)",
	}, block(t, out, "b22 got an answer from the bot"))
	assert.Equal(t, []string{"s26 (buyer b22) goes to the bot (机器人接待); no agent's load grows (B3)"},
		block(t, out, "buyer b22 asks again (session s26)"))
	assert.Equal(t, []string{
		"assigned s27 (buyer b21) → 小美 (mei) [arrival]",
		"each buyer lands on the same side as before: the split is a hash of the buyer id, not a coin toss",
	}, block(t, out, "buyer b21 asks again (session s27)"))
}

func TestBotHandsOverToHuman(t *testing.T) { // B1
	out := output(t)
	assert.Equal(t, []string{
		"assigned s23 (buyer b23) → 小杰 (jie) [handover], with its arrival time kept: asked at 19:50:30",
	}, block(t, out, "19:55:00  b23 asks the bot for a human"))
	assert.Equal(t, []string{"message from the agent in s23 (buyer b23)"}, block(t, out, "小杰 (jie) answers b23"))
	// The agents' live-room chats stay with them after logout (S5) and
	// close by the user timeout; the bot's close by the bot's own timeout.
	assert.Empty(t, block(t, out, "20:00:00  小杰 (jie) and 小美 (mei) log out"))
	assert.Equal(t, []string{
		"closed s24 (buyer b24) at 小杰 (jie) by auto-close at 20:01:00: the buyer stayed silent 10m0s after the shop's last message (user timeout, 用户会话超时)",
		"closed s23 (buyer b23) at 小杰 (jie) by auto-close at 20:06:00: the buyer stayed silent 10m0s after the shop's last message (user timeout, 用户会话超时)",
		"closed s27 (buyer b21) at 小美 (mei) by auto-close at 20:06:10: the buyer stayed silent 10m0s after the shop's last message (user timeout, 用户会话超时)",
		"closed s20 (buyer b20) at the bot at 20:20:00: silent for 30m0s (the bot's timeout)",
		"closed s25 (buyer b25) at the bot at 20:20:50: silent for 30m0s (the bot's timeout)",
		"closed s26 (buyer b22) at the bot at 20:23:00: silent for 30m0s (the bot's timeout)",
	}, block(t, out, "20:25:00  the clock is checked"))
}

func TestOfflineMessages(t *testing.T) { // O1, O2, O3
	out := output(t)
	assert.Equal(t, []string{ // inside the live-stream window, but nobody is online (O1, not B2)
		"no agent online: s10 (buyer b10) waits in the offline pool (离线留言), number 1 of 1, auto-distributed until 2026-11-18 20:30",
		"the live-stream window sends buyers to the bot only while an agent is online; with nobody online, O1 applies",
	}, block(t, out, "buyer b10 leaves a message"))
	assert.Contains(t, out, "\n-- Thursday 2026-11-12 --\n09:00:00  小美 (mei) logs in")
	assert.Equal(t, []string{
		"assigned s10 (buyer b10) → 小美 (mei) [freed], flagged: offline message auto-assigned (离线留言自动分配)",
		"current sessions (当前会话) of 小美 (mei): 1",
		"1. s10 (buyer b10) unreplied (未回复) for 12h30m0s since 11-11 20:30:00, 1 unread; last message from the buyer at 11-11 20:30:00; offline message auto-assigned (离线留言自动分配)",
		"s10 auto-closes at 09:05:00 unless an agent answers (agent timeout)",
	}, block(t, out, "小美 (mei) logs in, online as she left"))
	assert.Equal(t, []string{
		"no agent online: s11 (buyer b11) waits in the offline pool (离线留言), number 1 of 1, auto-distributed until 2026-11-19 22:00",
	}, block(t, out, "buyer b11 leaves a message"))
	// Not a second early: it expires at exactly 7 days.
	assert.Equal(t, []string{"s11 is still number 1 of 1 in the offline pool"},
		block(t, out, "1 second short of 7 days"))
	assert.Equal(t, []string{
		"s11 (buyer b11) expired at 22:00:00: not distributed within 7 days, it leaves auto-distribution (有效期7天)",
	}, block(t, out, "message is 7 days old"))
	assert.Contains(t, out, "\n-- Thursday 2026-11-19 --\n21:59:59  the clock is checked")
	assert.Empty(t, block(t, out, "nothing is left to distribute"))
}

func TestFinalTable(t *testing.T) {
	out := output(t)
	i := strings.Index(out, "\nfinal state at 2026-11-20 09:00:00\n")
	require.NotEqual(t, -1, i)
	assert.Equal(t, `
final state at 2026-11-20 09:00:00
  agent        status   capacity   load
  小杰 (jie)   online   20         0
  小美 (mei)   offline  4          0
  queue pool (排队池): 0 waiting; offline pool (离线留言): 0 waiting; open sessions: 0
`, out[i:i+strings.Index(out[i:], "\n\n2026-11-11 in numbers")+1])
}

// The first day's report (M2, M3, M5): its hourly rows add up to the
// total, and the agent who answered within three minutes shows it.
func TestFirstDayInNumbers(t *testing.T) {
	out := output(t)
	i := strings.Index(out, "\n2026-11-11 in numbers (package metrics)\n")
	require.NotEqual(t, -1, i)
	report := out[i:]
	assert.Contains(t, report, "jie  85.7% (6/7)")
	sum, total := scenetest.HourlySums(report)
	assert.Equal(t, 15, total)
	assert.Equal(t, total, sum, "hourly rows add up to the day")
}
