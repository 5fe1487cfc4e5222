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

func TestKuaishouPresetWithOneOverride(t *testing.T) { // C2, L2, O5
	assert.Equal(t, []string{
		"auto-close after 20 minutes of buyer silence (L2); overridden for this short scene: at most 3 offline messages per agent at once (O5; the preset's is 20)",
	}, block(t, output(t), "Kuaishou rules (policy.Kuaishou)"))
}

func TestCapacityOutOfRangeIsRejected(t *testing.T) { // C2
	assert.Equal(t, []string{
		`rejected: set capacity of "li": dispatch: capacity out of range: 501 not in 1..500`,
		`not clamped: 小李 (li) keeps max reception 2`,
	}, block(t, output(t), "tries max reception 501"))
}

func TestBurstIsLeastSaturatedThenQueued(t *testing.T) { // R1, Q1, S1
	out := output(t)
	want := []string{"li", "wang", "wang", "li", "wang"}
	for i, id := range want {
		n := string(rune('1' + i))
		b := block(t, out, "buyer b"+n+" asks")
		require.NotEmpty(t, b)
		assert.Equal(t, "assigned s"+n+" (buyer b"+n+") → "+who(id)+" [arrival]", b[0])
	}
	assert.Equal(t, "queued s6 (buyer b6) in the queue pool (排队池): number 1 of 1", block(t, out, "buyer b6 asks")[0])
	b9 := block(t, out, "buyer b9 asks")
	assert.Equal(t, []string{
		"queued s9 (buyer b9) in the queue pool (排队池): number 4 of 4",
		"loads: 小李 (li) 2/2 online · 小王 (wang) 3/3 online · 小张 (zhang) 0/unlimited break · queue 4",
		"小张 (zhang) is on break and got nothing (S1); everyone online is full, so b6..b9 wait (Q1)",
	}, b9)
}

func TestCloseAtCapPullsQueueHeadInSameCall(t *testing.T) { // C5, the seed's example
	b := block(t, output(t), "closes s2")
	require.Len(t, b, 3)
	assert.Equal(t, "closed s2 (buyer b2) at 小王 (wang)", b[0])
	assert.Equal(t, "assigned s6 (buyer b6) → 小王 (wang) [freed]", b[1])
	assert.Contains(t, b[2], "小王 (wang) 3/3 online")
	assert.Contains(t, b[2], "queue 3")
}

func TestAgentOnBreakGetsNothing(t *testing.T) { // S1, then back online
	out := output(t)
	assert.Equal(t, []string{
		"closed s1 (buyer b1) at 小李 (li)",
		"s7 is number 1 of 3 in the queue",
		"s8 is number 2 of 3 in the queue",
		"s9 is number 3 of 3 in the queue",
	}, block(t, out, "closes s1"))
	assert.Equal(t, []string{
		"assigned s7 (buyer b7) → 小李 (li) [freed]",
		"s9 is number 1 of 1 in the queue",
	}, block(t, out, "comes back online"))
}

func TestBuyerLeavesQueue(t *testing.T) { // Q3
	assert.Equal(t, []string{
		"s8 (buyer b8) left the queue; no session is counted",
		"s7 is number 1 of 2 in the queue",
		"s9 is number 2 of 2 in the queue",
	}, block(t, output(t), "gives up waiting"))
}

func TestTransfers(t *testing.T) { // S3, R3, C5
	out := output(t)
	b := block(t, out, "transfers s3")
	require.GreaterOrEqual(t, len(b), 2)
	assert.Equal(t, "transferred s3 (buyer b3) from 小王 (wang) → 小张 (zhang) [transferred]", b[0])
	assert.Equal(t, "assigned s9 (buyer b9) → 小王 (wang) [freed]", b[1])
	assert.Equal(t, []string{ // O5: he has no max reception
		"warning for 小张 (zhang): agent went offline with no max reception: when it returns, the offline backlog goes to it at once (up to the policy's offline batch, if one is set)",
		"s3 is still with 小张 (zhang)",
	}, block(t, out, "小张 (zhang) logs out (离线)"))
	assert.Equal(t, []string{`rejected: dispatch: agent is offline: "zhang"`},
		block(t, out, "tries to transfer s4"))
}

func TestOfflineMessage(t *testing.T) { // O1, O2, S2
	out := output(t)
	b := block(t, out, "buyer b10 asks")
	require.Len(t, b, 1)
	assert.Contains(t, b[0], "s10 (buyer b10) waits in the offline pool (离线留言), number 1 of 1")
	assert.Equal(t, []string{"offline messages go only to agents with room (O2): 1 still waiting"},
		block(t, out, "logs back in, online again"))
	assert.Equal(t, []string{
		"closed s5 (buyer b5) at 小王 (wang)",
		"assigned s10 (buyer b10) → 小王 (wang) [freed], flagged: offline message auto-assigned (离线留言自动分配)",
	}, block(t, out, "closes s5"))
	assert.Equal(t, []string{"小张 (zhang)'s status is break again, so he is given nothing"},
		block(t, out, "小张 (zhang) logs back in"))
}

func TestBuyerIdleAutoCloseAtTwentyMinutes(t *testing.T) { // L2, C5
	out := output(t)
	assert.Equal(t, []string{"queued s11 (buyer b11) in the queue pool (排队池): number 1 of 1"},
		block(t, out, "09:33:00  buyer b11 asks"))
	assert.Equal(t, []string{
		"message from the agent in s9 (buyer b9)",
		"message from the agent in s6 (buyer b6)",
		"s9 auto-closes at 10:00:00 unless the buyer writes",
		"s6 auto-closes at 10:00:00 unless the buyer writes",
	}, block(t, out, "09:40:00  小王 (wang) answers b9"))
	// At 19m59s of silence nothing closes.
	assert.Equal(t, []string{"s9 auto-closes at 10:00:00 unless the buyer writes"},
		block(t, out, "09:59:59  the clock is checked"))
	// At 20m it closes, at exactly 10:00:00, and the queue head takes the place.
	assert.Equal(t, []string{
		"closed s9 (buyer b9) at 小王 (wang) by auto-close (自动关闭) at 10:00:00: the buyer stayed silent 20m0s after the shop's last message (buyer-idle)",
		"assigned s11 (buyer b11) → 小王 (wang) [freed]",
		"loads: 小李 (li) 2/2 offline · 小王 (wang) 3/3 online · 小张 (zhang) 1/unlimited break · queue 0",
	}, block(t, out, "10:00:00  the clock is checked"))
}

func TestBuyerWhoWritesKeepsSessionOpen(t *testing.T) { // L2: the clock restarts from the next reply
	out := output(t)
	assert.Equal(t, []string{
		"message from the buyer in s6 (buyer b6)",
		"s6 has no auto-close deadline: the buyer wrote last, so it waits for an answer",
	}, block(t, out, "09:59:59  b6 writes again"))
	assert.NotContains(t, out, "closed s6 (buyer b6) at 小王 (wang) by auto-close (自动关闭) at 10:00:00")
	assert.Equal(t, []string{
		"message from the agent in s6 (buyer b6)",
		"s6 auto-closes at 10:21:00 unless the buyer writes",
	}, block(t, out, "10:01:00  小王 (wang) answers b6"))
	// The timer fell due at 10:21 and fires, at 10:21, in the next call (10:30).
	assert.Equal(t, []string{
		"closed s6 (buyer b6) at 小王 (wang) by auto-close (自动关闭) at 10:21:00: the buyer stayed silent 20m0s after the shop's last message (buyer-idle)",
	}, block(t, out, "10:30:00  小王 (wang) logs out"))
}

func TestOfflineBacklogGuard(t *testing.T) { // O1, O2, O5
	out := output(t)
	assert.Equal(t, []string{
		"warning for 小张 (zhang): agent went offline with no max reception: when it returns, the offline backlog goes to it at once (up to the policy's offline batch, if one is set)",
	}, block(t, out, "logs out for lunch"))
	for i, n := range []string{"12", "13", "14", "15", "16"} {
		assert.Equal(t, []string{"no agent online: s" + n + " (buyer b" + n + ") waits in the offline pool (离线留言), number " +
			string(rune('1'+i)) + " of " + string(rune('1'+i)) + ", auto-distributed until 2026-11-18 10:3" + string(rune('1'+i))},
			block(t, out, "buyer b"+n+" leaves a message"))
	}
	const flag = " [freed], flagged: offline message auto-assigned (离线留言自动分配)"
	assert.Equal(t, []string{
		"assigned s12 (buyer b12) → 小张 (zhang)" + flag,
		"assigned s13 (buyer b13) → 小张 (zhang)" + flag,
		"assigned s14 (buyer b14) → 小张 (zhang)" + flag,
		"loads: 小李 (li) 2/2 offline · 小王 (wang) 2/3 offline · 小张 (zhang) 4/unlimited online · queue 0",
		"offline messages still waiting: 2",
	}, block(t, out, "11:00:00  小张 (zhang) logs in"))
	assert.Equal(t, []string{"closed s3 (buyer b3) at 小张 (zhang)"}, block(t, out, "closes s3, which"))
	assert.Equal(t, []string{
		"closed s12 (buyer b12) at 小张 (zhang)",
		"assigned s15 (buyer b15) → 小张 (zhang)" + flag,
		"offline messages still waiting: 1",
	}, block(t, out, "closes the offline message s12"))
	assert.Equal(t, []string{
		"warning for 小张 (zhang): agent went offline with no max reception: when it returns, the offline backlog goes to it at once (up to the policy's offline batch, if one is set)",
	}, block(t, out, "logs out again"))
}

func TestFinalTable(t *testing.T) {
	out := output(t)
	i := strings.Index(out, "\nfinal state at 11:10:00\n")
	require.NotEqual(t, -1, i)
	assert.Equal(t, `
final state at 11:10:00
  agent          status   capacity   load
  小李 (li)      offline  2          2
  小王 (wang)    offline  3          2
  小张 (zhang)   offline  unlimited  3
  queue pool (排队池): 0 waiting; offline pool (离线留言): 1 waiting
`, out[i:i+strings.Index(out[i:], "\n\nthe morning in numbers")+1])
}

// The morning's report (M5, M6) agrees with the scene: 15 buyers asked,
// the hourly rows add up to the total, and the panel shows what the final
// table shows.
func TestMorningInNumbers(t *testing.T) {
	out := output(t)
	i := strings.Index(out, "\nthe morning in numbers (package metrics)\n")
	require.NotEqual(t, -1, i)
	report := out[i:]
	assert.Contains(t, report, "queued 0, offline 1")
	assert.Contains(t, report, "in reception 7")
	sum, total := scenetest.HourlySums(report)
	assert.Equal(t, 15, total, "consultations: s1..s16 but for s8, who left the queue")
	assert.Equal(t, total, sum, "hourly rows add up to the day")
}
