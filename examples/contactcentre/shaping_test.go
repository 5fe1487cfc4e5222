package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
)

// The queue-shaping scene (E6-E11): its printed claims, and the exact
// instants of the events behind them.

// shapingRun plays the scene alone and returns what it printed and its
// stage: the engine at the end and every event it printed.
func shapingRun(t *testing.T) (string, *stage) {
	t.Helper()
	var buf bytes.Buffer
	s, err := playShaping(&buf)
	require.NoError(t, err)
	return buf.String(), s
}

// event returns the first event of kind about session in the log, and its
// index.
func event(t *testing.T, log []dispatch.Event, kind dispatch.Kind, session string) (dispatch.Event, int) {
	t.Helper()
	for i, ev := range log {
		if ev.Kind == kind && ev.Session == session {
			return ev, i
		}
	}
	require.Failf(t, "event not found", "%s %s", kind, session)
	return dispatch.Event{}, -1
}

// stepLine returns the narrative line that contains step.
func stepLine(t *testing.T, out, step string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, " ") && strings.Contains(l, step) {
			return l
		}
	}
	require.Failf(t, "step not printed", "%q", step)
	return ""
}

// at returns the scene's instant hh:mm:ss on its day, in its zone.
func at(h, m, s int) time.Time {
	return time.Date(shapingStart.Year(), shapingStart.Month(), shapingStart.Day(), h, m, s, 0, shapingStart.Location())
}

func TestShapingIsPartOfTheRun(t *testing.T) {
	alone, _ := shapingRun(t)
	assert.Contains(t, output(t), "\n"+alone+"\ntwo hours of traffic", "between the first scene and the traffic")
}

func TestShapingPolicyIsStated(t *testing.T) { // E6-E11
	out, _ := shapingRun(t)
	assert.Equal(t, []string{
		"business hours 09:00-18:00 every day, the offline path outside them (E11); a waiting buyer's priority rises by 1 every 1m0s (E6);",
		"a vip buyer waits 30s for the vip group alone, then for the general group too (E7); at most 3 buyers wait, each at most 3m0s, else refused (E8);",
		"a replied session whose buyer is silent for 5m0s stops counting toward the load (E9); an after-sales session costs 2 units (E10)",
	}, block(t, out, "a second shop: queue shaping (E6-E11)"))
}

// E11: before 09:00 a buyer takes the offline path, with the cause, though
// agents are online (one with room takes the message at once, O2); at
// 09:00:00 exactly the shop is open and a buyer is routed as usual.
func TestBeforeOpeningTheOfflinePath(t *testing.T) { // E11, O2
	out, s := shapingRun(t)
	assert.Equal(t, []string{
		"q1 (buyer c1) goes to the offline pool (O1) [outside-hours]",
		"assigned q1 (buyer c1) → 小丁 (ding) [freed], as an offline message (flag offline, O2)",
		"the cause tells the host to say the shop is closed; 小丁 (ding), with room, took the message at once (O2)",
	}, block(t, out, "buyer c1 asks (session q1) before opening"))
	off, i := event(t, s.log, dispatch.EventOffline, "q1")
	assert.Equal(t, at(8, 59, 40), off.At)
	assert.Equal(t, dispatch.CauseOutsideHours, off.Cause)
	assert.False(t, s.eng.Policy().Open(off.At))
	took := s.log[i+1]
	assert.Equal(t, [3]any{dispatch.EventAssigned, "q1", off.At}, [3]any{took.Kind, took.Session, took.At})
	assert.Equal(t, dispatch.FlagOffline, took.Flags&dispatch.FlagOffline)

	assert.True(t, strings.HasPrefix(stepLine(t, out, "opening time, 09:00 (E11)"), "09:00:00  "))
	assert.Equal(t, []string{"assigned q2 (buyer c2) → 小冯 (feng) [arrival]"}, block(t, out, "opening time, 09:00 (E11)"))
	q2, _ := event(t, s.log, dispatch.EventAssigned, "q2")
	assert.Equal(t, at(9, 0, 0), q2.At)
	assert.Equal(t, uint64(1), s.eng.Stats().Diverted[dispatch.CauseOutsideHours], "only c1 was diverted by the hours")
}

// E10: an after-sales session costs 2 units: it does not fit in one free
// unit, a later 1-unit session takes that unit past it, one unit freed
// does not serve it, two do, and then one session fills a cap of 2.
func TestHeavySessionWaitsForTwoFreeUnits(t *testing.T) { // E10
	out, _ := shapingRun(t)
	assert.Equal(t, []string{
		"queued q4 (buyer c4): number 1 of 1",
		"loads in units: 小丁 (ding) 1/2 (1 session) online · 小冯 (feng) 1/2 (1 session) online · 小周 (zhou) 1/1 (1 session) online · queue 1",
	}, block(t, out, "buyer c4 asks about a delivered order"))
	assert.Equal(t, []string{
		"assigned q5 (buyer c5) → 小丁 (ding) [arrival]",
		"loads in units: 小丁 (ding) 2/2 (2 sessions) online · 小冯 (feng) 1/2 (1 session) online · 小周 (zhou) 1/1 (1 session) online · queue 1",
	}, block(t, out, "buyer c5 asks (session q5, 1 unit)"))
	assert.Equal(t, []string{
		"closed q1 (buyer c1) at 小丁 (ding)",
		"loads in units: 小丁 (ding) 1/2 (1 session) online · 小冯 (feng) 2/2 (2 sessions) online · 小周 (zhou) 1/1 (1 session) online · queue 1",
	}, block(t, out, "小丁 (ding) closes q1"))
	assert.Equal(t, []string{
		"closed q5 (buyer c5) at 小丁 (ding)",
		"assigned q4 (buyer c4) → 小丁 (ding) [freed]",
		"loads in units: 小丁 (ding) 2/2 (1 session) online · 小冯 (feng) 2/2 (2 sessions) online · 小周 (zhou) 1/1 (1 session) online · queue 0",
	}, block(t, out, "小丁 (ding) closes q5"))
}

// E7: the vip buyer waits for the vip group alone though 小冯 of the
// general group has a free unit; its ring opens exactly 30 s after it
// entered the queue, and 小冯 takes it at that instant.
func TestWideningAtItsInstant(t *testing.T) { // E7, R2
	out, s := shapingRun(t)
	assert.Equal(t, []string{
		"queued q6 (buyer c6): number 1 of 1 in its group's queue (2 waiting in all)",
		"from 09:01:10, the general group may take q6 too (E7)",
	}, block(t, out, "buyer c6 of the vip crowd asks"))
	assert.Equal(t, "at 09:01:10: assigned q6 (buyer c6) → 小冯 (feng) [widened]",
		block(t, out, "q6 has waited for the vip group alone")[0])
	q, _ := event(t, s.log, dispatch.EventQueued, "q6")
	w, _ := event(t, s.log, dispatch.EventAssigned, "q6")
	assert.Equal(t, q.At.Add(s.eng.Policy().Groups[0].Rings[0].After), w.At, "at the ring's instant exactly")
	assert.Equal(t, [2]any{"feng", dispatch.CauseWidened}, [2]any{w.Agent, w.Cause})
}

// E6: q7 (priority 0) is behind q8 (priority 1), who asked before q7's
// step, and ahead of q9 (priority 1), who asked after it; the queue
// serves q8, then q7, and q9 is left.
func TestAgedBuyerOvertakesALaterHigherPriority(t *testing.T) { // E6, Q2
	out, s := shapingRun(t)
	assert.Equal(t, []string{"queued q7 (buyer c7): number 1 of 1", "if q7 is still waiting at 09:06:00, it is refused (E8)"},
		block(t, out, "buyer c7 asks with priority 0"))
	assert.Equal(t, []string{"queued q8 (buyer c8): number 1 of 2"}, block(t, out, "buyer c8 asks with priority 1"))
	assert.Equal(t, []string{"queued q9 (buyer c9): number 3 of 3", "if q9 is still waiting at 09:07:10, it is refused (E8)"},
		block(t, out, "buyer c9 asks with priority 1"))
	assert.Contains(t, stepLine(t, out, "buyer c9 asks with priority 1"), "q7 reached priority 1 at 09:04:00")

	step := s.eng.Policy().AgingStep
	q7, _ := event(t, s.log, dispatch.EventQueued, "q7")
	q8, _ := event(t, s.log, dispatch.EventQueued, "q8")
	q9, _ := event(t, s.log, dispatch.EventQueued, "q9")
	assert.True(t, q8.At.Before(q7.At.Add(step)), "c8 asked before q7's step")
	assert.True(t, q9.At.After(q7.At.Add(step)), "c9 asked after it")
	_, i8 := event(t, s.log, dispatch.EventAssigned, "q8")
	_, i7 := event(t, s.log, dispatch.EventAssigned, "q7")
	assert.Less(t, i8, i7, "q8 served first, then q7")
	assert.Equal(t, []string{
		"closed q3 (buyer c3) at 小周 (zhou)",
		"assigned q7 (buyer c7) → 小周 (zhou) [freed]",
		"loads in units: 小丁 (ding) 2/2 (1 session) online · 小冯 (feng) 3/2 (3 sessions) online · 小周 (zhou) 1/1 (1 session) online · queue 1",
	}, block(t, out, "小周 (zhou) closes q3"))
}

// E8: with 3 buyers waiting, the cap, the 4th is refused at once, with
// the reason; q9, whom nobody takes, is refused at its maximum wait
// exactly.
func TestQueueCapAndMaximumWait(t *testing.T) { // E8
	out, s := shapingRun(t)
	assert.Contains(t, stepLine(t, out, "buyer c10 asks (session q10)"), "3 buyers wait, the queue's cap (E8)")
	assert.Equal(t, []string{"refused q10 (buyer c10) [queue-cap]: the session ends unserved"},
		block(t, out, "buyer c10 asks (session q10)"))
	// Replay the queue from the events: it held the cap when c10 asked.
	waiting := map[string]bool{}
	for _, ev := range s.log {
		if ev.Kind == dispatch.EventRefused && ev.Session == "q10" {
			assert.Len(t, waiting, s.eng.Policy().QueueCap)
			assert.Equal(t, dispatch.CauseQueueCap, ev.Cause)
			break
		}
		switch ev.Kind {
		case dispatch.EventQueued:
			waiting[ev.Session] = true
		case dispatch.EventAssigned, dispatch.EventRefused:
			delete(waiting, ev.Session)
		}
	}

	assert.Equal(t, []string{
		"at 09:07:10: refused q9 (buyer c9) [max-wait]: the session ends unserved",
		"q9 waited 3m0s, the longest the shop allows, and was refused at its deadline (E8)",
		"loads in units: 小丁 (ding) 2/2 (1 session) online · 小冯 (feng) 3/2 (3 sessions) online · 小周 (zhou) 1/1 (1 session) online · queue 0",
	}, block(t, out, "nobody had room for q9"))
	q, _ := event(t, s.log, dispatch.EventQueued, "q9")
	r, _ := event(t, s.log, dispatch.EventRefused, "q9")
	assert.Equal(t, q.At.Add(s.eng.Policy().MaxWait), r.At, "at its deadline exactly")
	assert.Equal(t, dispatch.CauseMaxWait, r.Cause)
	_, open := s.eng.Session("q9")
	assert.False(t, open, "a refused session ends")
}

// E9: q2, answered at 09:00:05, whose buyer has been silent since asking
// at 09:00:00, stops counting at 09:05:00 exactly, and its agent takes
// the queue head at that instant; when the buyer writes, it counts
// again, taking her over her cap.
func TestInactiveSessionReleasesItsUnit(t *testing.T) { // E9, C5
	out, s := shapingRun(t)
	assert.Equal(t, []string{
		"message from the agent in q2 (buyer c2)",
		"if c2 is still silent at 09:05:00, q2 stops counting toward 小冯 (feng)'s load (E9)",
	}, block(t, out, "小冯 (feng) answers c2"))
	b := block(t, out, "c2 has written nothing in q2")
	require.Len(t, b, 5)
	assert.Equal(t, []string{
		"at 09:05:00: q2 (buyer c2) at 小冯 (feng) is inactive (flag inactive): it no longer counts toward her load",
		"at 09:05:00: assigned q8 (buyer c8) → 小冯 (feng) [freed]",
	}, b[:2])
	assert.Equal(t, "loads in units: 小丁 (ding) 2/2 (1 session) online · 小冯 (feng) 2/2 (3 sessions, 1 inactive) online · 小周 (zhou) 1/1 (1 session) online · queue 2", b[4])

	asked, _ := event(t, s.log, dispatch.EventAssigned, "q2")
	in, i := event(t, s.log, dispatch.EventInactive, "q2")
	assert.Equal(t, asked.At.Add(s.eng.Policy().InactiveAfter), in.At, "at its instant exactly")
	assert.Equal(t, dispatch.FlagInactive, in.Flags&dispatch.FlagInactive)
	head := s.log[i+1]
	assert.Equal(t, [5]any{dispatch.EventAssigned, "q8", "feng", dispatch.CauseFreed, in.At},
		[5]any{head.Kind, head.Session, head.Agent, head.Cause, head.At}, "the queue head, at the same instant")

	assert.Equal(t, []string{
		"message from the buyer in q2 (buyer c2)",
		"loads in units: 小丁 (ding) 2/2 (1 session) online · 小冯 (feng) 3/2 (3 sessions) online · 小周 (zhou) 1/1 (1 session) online · queue 2",
	}, block(t, out, "c2 writes again in q2"))
	feng, _ := s.eng.Agent("feng")
	limit, _ := feng.Capacity.Limit()
	assert.Greater(t, feng.Load, limit, "over the cap at the end of the scene")
}

func TestShapingInNumbers(t *testing.T) { // Stats.Diverted, Refused, Inactive
	out, _ := shapingRun(t)
	i := strings.Index(out, "\nthe queue-shaping scene in numbers (Engine.Stats) at 09:07:30\n")
	require.NotEqual(t, -1, i)
	assert.Equal(t, `
the queue-shaping scene in numbers (Engine.Stats) at 09:07:30
  buyers 10; assigned 8: at arrival 3, freed 4, widened 1 (E7)
  diverted: outside hours 1 (E11), queue cap 1, maximum wait 1 (E8); to the offline pool 1, refused 2
  gone inactive 1 (E9); in reception 5, waiting 0
`, out[i:])
}
