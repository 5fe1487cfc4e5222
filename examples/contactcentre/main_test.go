package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/examples/internal/scenetest"
)

// output runs the scene and the traffic and returns what they printed.
func output(t *testing.T) string { return scenetest.Output(t, run) }

// block returns the indented lines printed under the step's narrative line.
func block(t *testing.T, out, step string) []string { return scenetest.Block(t, out, step) }

func TestRunIsDeterministic(t *testing.T) {
	assert.Equal(t, output(t), output(t))
}

func TestPolicyIsStated(t *testing.T) { // E1-E5
	out := output(t)
	assert.Contains(t, out, "every automatic assignment is an offer to accept within 30s (E1),")
	assert.Equal(t, []string{
		"an agent who lets one time out goes on break (E2), a session unanswered for 3m0s moves on once (E3),",
		"an agent's sessions move when she logs out (E4), and each close holds her slot for 45s of wrap-up (E5)",
	}, block(t, out, "the shop opens"))
}

func TestOfferAccepted(t *testing.T) { // E1, E3's clock from the accept
	out := output(t)
	assert.Equal(t, []string{"offered s1 (buyer b1) → 小安 (an) [arrival], to accept by 09:00:40"},
		block(t, out, "buyer b1 asks"))
	assert.Equal(t, []string{
		"accepted s1 (buyer b1) by 小安 (an): it enters her list",
		"s1 moves on if b1 is still unanswered at 09:03:15",
	}, block(t, out, "小安 (an) accepts s1"))
}

func TestRejectedOfferGoesToTheNextAgent(t *testing.T) { // E1, R1
	out := output(t)
	assert.Equal(t, []string{"offered s2 (buyer b2) → 小白 (bai) [arrival], to accept by 09:00:50"},
		block(t, out, "buyer b2 asks"))
	assert.Equal(t, []string{
		"rejected s2 (buyer b2) by 小白 (bai)",
		"offered s2 (buyer b2) → 小陈 (chen) [freed], to accept by 09:00:55",
	}, block(t, out, "小白 (bai) rejects s2"))
	assert.Equal(t, []string{
		`refused: dispatch: session is not offered to this agent: "s1" is with agent "an", not offered to "chen"`,
	}, block(t, out, "tries to accept s1"))
}

// The absent agent's offer times out at its deadline, she goes on break,
// and the session skips 小白, who has more room but rejected it.
func TestTimedOutAgentGoesOnBreakAndSessionMovesOn(t *testing.T) { // E1, E2
	out := output(t)
	assert.Equal(t, []string{
		"at 09:00:55: offer of s2 (buyer b2) to 小陈 (chen) timed out; she is set to break",
		"at 09:00:55: offered s2 (buyer b2) → 小安 (an) [freed], to accept by 09:01:25",
		"小白 (bai) has room but rejected s2, so it went to 小安 (an) instead (E2)",
		"loads: 小安 (an) 2/2 (1 offered) online · 小白 (bai) 0/2 online · 小陈 (chen) 0/2 break · queue 0",
	}, block(t, out, "nobody answered the offer"))
	// Back online, she is offered the next arrivals again.
	assert.Empty(t, block(t, out, "sets herself online"))
	assert.Contains(t, block(t, out, "buyer b4 asks")[0], "→ 小陈 (chen) [arrival]")
}

func TestQueueFormsWhenFull(t *testing.T) { // Q1
	out := output(t)
	assert.Contains(t, block(t, out, "buyer b6 asks"),
		"loads: 小安 (an) 2/2 online · 小白 (bai) 2/2 online · 小陈 (chen) 2/2 online · queue 0")
	assert.Equal(t, []string{"queued s7 (buyer b7): number 1 of 1"}, block(t, out, "buyer b7 asks"))
	assert.Equal(t, []string{"queued s8 (buyer b8): number 2 of 2"}, block(t, out, "buyer b8 asks"))
}

func TestWrapUpHoldsTheSlot(t *testing.T) { // E5
	assert.Equal(t, []string{
		"closed s3 (buyer b3) at 小白 (bai)",
		"wrap-up of s3 by 小白 (bai): her slot stays held until 09:03:30",
		"loads: 小安 (an) 2/2 online · 小白 (bai) 2/2 (1 wrap-up) online · 小陈 (chen) 2/2 online · queue 2",
	}, block(t, output(t), "小白 (bai) closes s3"))
}

// s1, accepted at 09:00:15 and never answered, leaves 小安 at 09:03:15:
// everyone is full, so it queues at its arrival, ahead of b7 and b8, and
// 小安's freed slot skips it (she declined it) for b7.
func TestUnansweredSessionIsReassigned(t *testing.T) { // E3, E2
	out := output(t)
	b := block(t, out, "b1 has waited 3 minutes")
	require.Len(t, b, 5)
	assert.Equal(t, []string{
		"at 09:03:15: s1 (buyer b1) taken from 小安 (an) and queued: number 1 of 2, ahead of later buyers",
		"at 09:03:15: offered s7 (buyer b7) → 小安 (an) [freed], to accept by 09:03:45",
	}, b[:2])
	assert.Equal(t, "loads: 小安 (an) 2/2 (1 offered) online · 小白 (bai) 2/2 (1 wrap-up) online · 小陈 (chen) 2/2 online · queue 2", b[4])
	// The wrap-up's end, at its own time, gives 小白 the queue head: s1.
	assert.Equal(t, []string{
		"wrap-up of s3 by 小白 (bai) ended: her slot is free",
		"offered s1 (buyer b1) → 小白 (bai) [freed], to accept by 09:04:00",
	}, block(t, out, "45 seconds of wrap-up are over"))
	assert.Equal(t, []string{
		"accepted s1 (buyer b1) by 小白 (bai): it enters her list",
		"message from the agent in s1 (buyer b1)",
		"loads: 小安 (an) 2/2 online · 小白 (bai) 2/2 online · 小陈 (chen) 2/2 online · queue 1",
	}, block(t, out, "小白 (bai) accepts s1"))
}

func TestEndWrapUpPullsQueueHeadInSameCall(t *testing.T) { // E5, C5
	out := output(t)
	assert.Equal(t, []string{
		"closed s4 (buyer b4) at 小陈 (chen)",
		"wrap-up of s4 by 小陈 (chen): her slot stays held until 09:04:45",
	}, block(t, out, "小陈 (chen) closes s4"))
	// One call: the wrap-up's end, then the offer of the queue head.
	assert.Equal(t, []string{
		"wrap-up of s4 by 小陈 (chen) ended: her slot is free",
		"offered s8 (buyer b8) → 小陈 (chen) [freed], to accept by 09:04:40",
	}, block(t, out, "ends her wrap-up early (EndWrapUp)"))
	assert.Equal(t, []string{`refused: dispatch: agent is not wrapping up: "chen"`},
		block(t, out, "tries to end a wrap-up again"))
	assert.Contains(t, block(t, out, "小陈 (chen) accepts s8"),
		"loads: 小安 (an) 2/2 online · 小白 (bai) 2/2 online · 小陈 (chen) 2/2 online · queue 0")
}

func TestLogoutMovesTheAgentsSessions(t *testing.T) { // E4
	b := block(t, output(t), "logs out at the end of her shift")
	require.Len(t, b, 5)
	assert.Equal(t, []string{ // in the queue's order (s2 first); bai declined s2 (E2)
		"s2 (buyer b2) taken from 小安 (an) and queued: number 1 of 1, ahead of later buyers",
		"offered s7 (buyer b7) → 小白 (bai) [reassigned], taken from 小安 (an), to accept by 09:05:40",
	}, b[:2])
	assert.Equal(t, "loads: 小安 (an) 0/2 offline · 小白 (bai) 2/2 (1 offered) online · 小陈 (chen) 2/2 online · queue 1", b[4])
}

// The scene's counters: 12 offers (s2 three times, s1 and s7 twice),
// 3 reassignments (s1 by E3, s7 and s2 by E4), 3 wrap-ups.
func TestSceneInNumbers(t *testing.T) {
	out := output(t)
	i := strings.Index(out, "\nthe scene in numbers (Engine.Stats) at 09:05:10\n")
	require.NotEqual(t, -1, i)
	assert.Equal(t, `
the scene in numbers (Engine.Stats) at 09:05:10
  offers 12: accepted 9, rejected 1, timed out 1, pending 1
  reassigned 3, wrap-ups 3
`, out[i:i+1+strings.Index(out[i+1:], "\n\n")+1]) // up to the blank line before the next scene
}

// figures are the traffic's printed numbers.
type figures struct {
	buyers, offered, accepted, rejected, timedOut, pending int
	breaks, onBreak, reassigned, moved, repeats            int
	wrapUps, endedEarly, within, answered                  int
	agentWithin, agentAnswered                             int
	inReception, offeredEnd, waiting                       int
}

// parse reads the traffic's figures; every line must be there.
func parse(t *testing.T, out string) figures {
	t.Helper()
	var f figures
	var pct float64
	var wait, at string
	found := 0
	for _, line := range strings.Split(out, "\n") {
		for _, p := range []struct {
			format string
			args   []any
		}{
			{"  buyers %d; offers %d: accepted %d, rejected %d, timed out %d, pending at the end %d",
				[]any{&f.buyers, &f.offered, &f.accepted, &f.rejected, &f.timedOut, &f.pending}},
			{"  agents set on break by a timed-out offer %d (%d more timed out at an agent already on break)",
				[]any{&f.breaks, &f.onBreak}},
			{"  reassigned for want of an answer %d (%d straight to another agent, the rest queued)",
				[]any{&f.reassigned, &f.moved}},
			{"  offers made again to an agent that had declined the session %d (E2)", []any{&f.repeats}},
			{"  wrap-ups %d; agents ended theirs early (EndWrapUp) %d times", []any{&f.wrapUps, &f.endedEarly}},
			{"  3-minute reply rate: the shop's (from the buyer's arrival, M3) %f%% (%d/%d); the agents' (from their accept, M2) %f%% (%d/%d)",
				[]any{&pct, &f.within, &f.answered, &pct, &f.agentWithin, &f.agentAnswered}},
			{"  mean wait in the queue %s", []any{&wait}},
			{"  at %s %d in reception, %d offered, %d waiting in the queue",
				[]any{&at, &f.inReception, &f.offeredEnd, &f.waiting}},
		} {
			if n, err := fmt.Sscanf(line, p.format, p.args...); err == nil && n == len(p.args) {
				found++
			}
		}
	}
	require.Equal(t, 8, found, "every figure line printed once:\n%s", out)
	return f
}

// The traffic's figures agree with each other, for the printed seed and
// others: every offer ended one way or is still pending, every timeout
// put its agent on break unless she already was, no decliner was offered
// the same session again (E2), and the engine's invariants held after
// every step (traffic returns an error otherwise).
func TestTrafficFigures(t *testing.T) {
	out := output(t)
	i := strings.Index(out, "\ntwo hours of traffic, 10:00 to 12:00, seed 1: 6 agents with max reception 3")
	require.NotEqual(t, -1, i)
	f := parse(t, out[i:])
	assert.Greater(t, f.breaks, 0, "the seed shows agents set on break")
	assert.Greater(t, f.rejected, 0, "the seed shows rejections")
	assert.Greater(t, f.reassigned, 0, "the seed shows reassignments")
	assert.Greater(t, f.endedEarly, 0, "the seed shows wrap-ups ended early")
	assert.GreaterOrEqual(t, float64(f.within), 0.8*float64(f.answered), "the team is staffed for 80% within 3 minutes")
	assert.GreaterOrEqual(t, float64(f.agentWithin), 0.8*float64(f.agentAnswered), "and the agents answer within 3 minutes of their accept")
	assert.Positive(t, f.agentAnswered, "the Recorder follows offers (M2 from the accept)")

	for seed := uint64(1); seed <= 20; seed++ {
		var buf bytes.Buffer
		require.NoError(t, traffic(&buf, seed), "seed %d", seed)
		f := parse(t, buf.String())
		assert.Equal(t, f.offered, f.accepted+f.rejected+f.timedOut+f.pending, "seed %d: offers", seed)
		assert.Equal(t, f.pending, f.offeredEnd, "seed %d: pending offers", seed)
		assert.Equal(t, f.timedOut, f.breaks+f.onBreak, "seed %d: timeouts", seed)
		assert.LessOrEqual(t, f.moved, f.reassigned, "seed %d", seed)
		assert.Zero(t, f.repeats, "seed %d: a decliner was offered the session again", seed)
		assert.LessOrEqual(t, f.within, f.answered, "seed %d", seed)
		assert.Greater(t, f.wrapUps, 0, "seed %d", seed)
	}
}
