package dispatch

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// Step tables of the rules beyond the seeds (E1-E5): offers, declines,
// reassignment on no reply and on logout, wrap-up. Every step checks
// Verify and the event ledger (run).

func accept(id, a string) op {
	return op{"accept " + id + " " + a, func(e *Engine, now time.Time) ([]Event, error) { return e.Accept(now, id, a) }}
}

func reject(id, a string) op {
	return op{"reject " + id + " " + a, func(e *Engine, now time.Time) ([]Event, error) { return e.Reject(now, id, a) }}
}

func endWrapUp(a string) op {
	return op{"end-wrap-up " + a, func(e *Engine, now time.Time) ([]Event, error) { return e.EndWrapUp(now, a) }}
}

const second = time.Second

// offers is a shop whose automatic assignments are offers to accept
// within 2 minutes (TaskRouter's default reservation timeout is 120 s).
var offers = policy.Policy{OfferTimeout: 2 * minute}

// placeOf returns where the session is: "agent:a", "offered:a", "queue"…
func placeOf(t *testing.T, e *Engine, id string) string {
	t.Helper()
	s, ok := e.Session(id)
	require.True(t, ok, "%s is open", id)
	switch s.Place {
	case PlaceAgent:
		return "agent:" + s.Agent
	case PlaceOffered:
		return "offered:" + s.Agent
	}
	return s.Place.String()
}

// E1: an offer holds a unit of the agent's capacity until the answer; a
// rejection offers the session to the next agent at once; two agents
// decline in turn, the third accepts, and only then is it in a list.
func TestE1_TwoDeclineThenTheThirdAccepts(t *testing.T) {
	run(t, offers, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgent("b", agent.Limit(1))},
		{op: addAgent("c", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"offered s1 a arrival"},
			check: func(t *testing.T, e *Engine) {
				assert.Equal(t, "offered:a", placeOf(t, e, "s1"))
				assert.Equal(t, 1, loadOf(t, e, "a"), "the offer holds a unit")
				info, _ := e.Session("s1")
				assert.Equal(t, t0.Add(2*minute), info.Deadline)
				l, n, err := e.List("a", Page{})
				require.NoError(t, err)
				assert.Zero(t, n, "not in a's list before it accepts: %v", l)
			}},
		{at: 10 * second, op: reject("s1", "a"), want: []string{"rejected s1 a", "offered s1 b freed"}},
		{at: 20 * second, op: reject("s1", "b"), want: []string{"rejected s1 b", "offered s1 c freed"}},
		{at: 30 * second, op: accept("s1", "c"), want: []string{"accepted s1 c"},
			check: func(t *testing.T, e *Engine) {
				assert.Equal(t, "agent:c", placeOf(t, e, "s1"))
				assert.Equal(t, []int{0, 0, 1}, []int{loadOf(t, e, "a"), loadOf(t, e, "b"), loadOf(t, e, "c")})
				info, _ := e.Session("s1")
				assert.Equal(t, t0.Add(30*second), info.Entered, "the agent's clock (M2) starts at the accept")
				assert.Equal(t, t0, info.Arrived, "the shop's (M3) at the arrival")
				st := e.Stats()
				assert.Equal(t, [4]uint64{3, 1, 2, 0}, [4]uint64{st.Offered, st.Accepted, st.Rejected, st.TimedOut})
			}},
		// the answer comes once
		{at: 31 * second, op: accept("s1", "c"), err: ErrNotOffered},
		{at: 31 * second, op: reject("s1", "a"), err: ErrNotOffered},
	})
}

// E1: an offer times out exactly at its deadline, not 1 ns before; the
// session goes to the next agent at that instant.
func TestE1_OfferTimesOutExactlyAtItsDeadline(t *testing.T) {
	run(t, offers, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgent("b", agent.Limit(1))},
		{at: 5 * second, op: arrive("s1", "b1", 0), want: []string{"offered s1 a arrival"}},
		{at: 2*minute + 5*second - time.Nanosecond, op: advance(),
			check: func(t *testing.T, e *Engine) { assert.Equal(t, "offered:a", placeOf(t, e, "s1")) }},
		{at: 2*minute + 5*second, op: advance(), want: []string{"offer-timed-out s1 a", "offered s1 b freed"},
			check: func(t *testing.T, e *Engine) {
				a, _ := e.Agent("a")
				assert.Equal(t, agent.Online, a.Status, "no OfferTimeoutStatus: unchanged")
				info, _ := e.Session("s1")
				assert.Equal(t, t0.Add(4*minute+5*second), info.Deadline, "b's own two minutes")
			}},
		{at: 2*minute + 6*second, op: accept("s1", "a"), err: ErrNotOffered},
	})
}

// E1: a rejected session goes back where it waited, in its arrival
// order: the queue head it was stays the head.
func TestE1_RejectedGoesBackInItsArrivalOrder(t *testing.T) {
	run(t, offers, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgent("b", agent.Limit(1))},
		{op: arrive("x", "bx", 0), want: []string{"offered x a arrival"}},
		{op: accept("x", "a"), want: []string{"accepted x a"}},
		{op: arrive("y", "by", 0), want: []string{"offered y b arrival"}},
		{op: accept("y", "b"), want: []string{"accepted y b"}},
		{at: minute, op: arrive("s1", "b1", 0), want: []string{"queued s1"}},
		{at: 2 * minute, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: 3 * minute, op: closeS("x"), want: []string{"closed x a", "offered s1 a freed"}},
		// a rejects s1: s1 is again the head, before s2; a takes s2.
		{at: 3*minute + 10*second, op: reject("s1", "a"), want: []string{"rejected s1 a", "queued s1", "offered s2 a freed"},
			check: func(t *testing.T, e *Engine) {
				pos, n, ok := e.Position("s1")
				require.True(t, ok)
				assert.Equal(t, [2]int{1, 1}, [2]int{pos, n})
			}},
		// b frees: s1 (which b has not declined) is its next.
		{at: 4 * minute, op: closeS("y"), want: []string{"closed y b", "offered s1 b freed"}},
	})
}

// E1: what an offered session is not: in a list (no message from the
// agent), waiting (no Leave, no manual Assign), in reception (no
// Transfer). Closing it frees the unit, which pulls the queue head.
func TestE1_AnOfferedSessionIsInOnePlace(t *testing.T) {
	run(t, offers, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"offered s1 a arrival"}},
		{op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{op: msg("s1", FromAgent, "a"), err: ErrNotYourSession},
		{op: leave("s1"), err: ErrNotWaiting},
		{op: assignTo("s1", "a"), err: ErrNotWaiting},
		{op: transfer("s1", "a"), err: ErrNotInReception},
		{op: accept("s1", "nobody"), err: ErrUnknownAgent},
		{op: accept("nothing", "a"), err: ErrUnknownSession},
		{op: removeAgent("a"), err: ErrAgentBusy},
		{at: second, op: msg("s1", FromBuyer, ""), want: []string{"message s1 buyer"}},
		{at: 2 * second, op: closeS("s1"), want: []string{"closed s1", "offered s2 a freed"}},
	})
}

// E1: manual assignment, transfer and over-the-cap assignment (Q4) are
// never offers; going offline withdraws the agent's offers (not a
// decline: it may be offered the session again when back).
func TestE1_ManualAndOverTheCapAreDirect_LogoutWithdraws(t *testing.T) {
	p := offers
	p.NoQueue = true
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgent("b", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"offered s1 a arrival"}},
		{op: arrive("s2", "b2", 0), want: []string{"offered s2 b arrival"}},
		{op: arrive("s3", "b3", 0), want: []string{"assigned s3 a no-queue"}},
		{op: start("s4", "b4", "b", false), want: []string{"assigned s4 b started [started]"}},
		{op: transfer("s3", "b"), want: []string{"transferred s3 a>b [transferred]"}},
		{at: second, op: logout("b"), want: []string{"rejected s2 b", "queued s2", "assigned s2 a no-queue"}},
		{at: 2 * second, op: login("b")},
	})
}

// E2: an agent who declined is not offered the session again while
// another agent could take it: the only agent online rejects, and the
// session waits (not offered again) while that agent takes later
// arrivals; it is offered to the next agent who can take it.
func TestE2_TheOnlyDeclinerOnlineLeavesItWaiting(t *testing.T) {
	run(t, offers, []step{
		{op: addAgent("a", agent.Limit(2))},
		{op: arrive("s1", "b1", 0), want: []string{"offered s1 a arrival"}},
		{at: 10 * second, op: reject("s1", "a"), want: []string{"rejected s1 a", "queued s1"}},
		{at: minute, op: arrive("s2", "b2", 0), want: []string{"offered s2 a arrival"}},
		{at: minute, op: accept("s2", "a"), want: []string{"accepted s2 a"}},
		{at: 10 * minute, op: advance(), check: func(t *testing.T, e *Engine) {
			assert.Equal(t, "queue", placeOf(t, e, "s1"), "a has room but declined it")
		}},
		{at: 11 * minute, op: addAgent("b", agent.Limit(1)), want: []string{"offered s1 b freed"}},
	})
}

// E2 with OfferRetry: when every agent with room declined the session,
// it is offered again (to the decliner), not left waiting.
func TestE2_OfferRetryOffersTheDeclinerAgain(t *testing.T) {
	p := offers
	p.OfferRetry = true
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(2))},
		{op: addAgent("b", agent.Limit(1))},
		{op: arrive("x", "bx", 0), want: []string{"offered x a arrival"}},
		{op: arrive("s1", "b1", 0), want: []string{"offered s1 b arrival"}},
		{op: reject("s1", "b"), want: []string{"rejected s1 b", "offered s1 a freed"}}, // a first: it has not declined
		{op: reject("s1", "a"), want: []string{"rejected s1 a", "offered s1 b freed"}}, // both declined: retry, the least saturated
	})
}

// E2: an offer that times out sets the agent's status by policy (on
// break), so one absent agent does not hold the queue; the session goes
// to the next agent at that instant, and nothing more to the absent one.
func TestE2_TimeoutPutsTheAbsentAgentOnBreak(t *testing.T) {
	p := offers
	p.OfferTimeoutStatus = agent.Break
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(3))},
		{op: addAgent("b", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"offered s1 a arrival"}},
		{op: arrive("s2", "b2", 0), want: []string{"offered s2 b arrival"}},
		{at: minute, op: accept("s2", "b"), want: []string{"accepted s2 b"}},
		{at: 2 * minute, op: advance(), want: []string{"offer-timed-out s1 a -> break", "queued s1"}},
		{at: 2 * minute, op: arrive("s3", "b3", 0), want: []string{"queued s3"}, check: func(t *testing.T, e *Engine) {
			a, _ := e.Agent("a")
			assert.Equal(t, agent.Break, a.Status)
			assert.Zero(t, a.Load)
		}},
		{at: 4 * minute, op: closeS("s2"), want: []string{"closed s2 b", "offered s1 b freed"}},
	})
}

// E2 with OfferTimeoutStatus offline: the agent goes offline at the
// deadline, which withdraws its other offers too (not declines); with no
// agent online they wait in the queue, where they waited, as sessions
// requeued by S5 do, for the next agent to log in.
func TestE2_TimeoutToOfflineWithdrawsTheOtherOffers(t *testing.T) {
	p := offers
	p.OfferTimeoutStatus = agent.Offline
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(2))},
		{op: arrive("s1", "b1", 0), want: []string{"offered s1 a arrival"}},
		{at: minute, op: arrive("s2", "b2", 0), want: []string{"offered s2 a arrival"}},
		{at: 2 * minute, op: advance(), want: []string{"offer-timed-out s1 a -> offline", "rejected s2 a", "queued s2", "queued s1"}},
		{at: 3 * minute, op: login("a"), want: []string{"offered s2 a freed"}}, // s2: a did not decline it; s1: a did
	})
}

// reassign is a shop that moves a session unanswered for 3 minutes (the
// window the platforms grade) to another agent, once (E3).
var reassign = policy.Policy{ReassignAfter: 3 * minute}

// E3: a session unreplied 3 minutes after it entered the list moves at
// that instant, not 1 ns before, to another agent with room; at most
// ReassignLimit times.
func TestE3_ReassignedAtThreeMinutesOnce(t *testing.T) {
	run(t, reassign, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgent("b", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 3*minute - time.Nanosecond, op: advance()},
		{at: 3 * minute, op: advance(), want: []string{"assigned s1 b reassigned from a [reassigned]"},
			check: func(t *testing.T, e *Engine) {
				info, _ := e.Session("s1")
				assert.True(t, info.Deadline.IsZero(), "the limit (1) is reached: b keeps it")
				assert.Equal(t, uint64(1), e.Stats().Reassigned)
			}},
		{at: time.Hour, op: advance()},
	})
}

// E3: a reply stops the clock; a new buyer message starts it again, from
// that message.
func TestE3_AReplyStopsTheClock(t *testing.T) {
	run(t, reassign, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgent("b", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: 2*minute + 59*second, op: msg("s1", FromAgent, "a"), want: []string{"message s1 agent"}},
		{at: 10 * minute, op: msg("s1", FromBuyer, ""), want: []string{"message s1 buyer"}},
		{at: 13*minute - time.Nanosecond, op: advance()},
		{at: 13 * minute, op: advance(), want: []string{"assigned s1 b reassigned from a [reassigned]"}},
	})
}

// E3: with no other agent with room, the session goes back to the queue
// ahead of later arrivals; the agent it left (a decliner) takes the next
// one instead; the next agent with room takes it first.
func TestE3_BackToTheQueueAheadOfLaterArrivals(t *testing.T) {
	p := reassign
	p.ReassignLimit = 2
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: minute, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: 3 * minute, op: advance(), want: []string{"queued s1 from a [reassigned]", "assigned s2 a freed"}},
		{at: 3*minute + second, op: msg("s2", FromAgent, "a"), want: []string{"message s2 agent"}},
		{at: 3*minute + 30*second, op: arrive("s3", "b3", 0), want: []string{"queued s3"}},
		{at: 4 * minute, op: addAgent("b", agent.Limit(1)), want: []string{"assigned s1 b freed [reassigned]"}},
		// b lets it wait 3 minutes too: a and b both declined it; back to the queue, the head.
		{at: 7 * minute, op: advance(), want: []string{"queued s1 from b [reassigned]", "assigned s3 b freed"},
			check: func(t *testing.T, e *Engine) {
				pos, _, _ := e.Position("s1")
				assert.Equal(t, 1, pos)
			}},
	})
}

// E3 with offers: the move is an offer to the next agent, from the one it
// left.
func TestE3_ReassignmentIsAnOfferWhenOffersAreOn(t *testing.T) {
	p := reassign
	p.OfferTimeout = time.Minute
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: addAgent("b", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"offered s1 a arrival"}},
		{at: 10 * second, op: accept("s1", "a"), want: []string{"accepted s1 a"}},
		{at: 3*minute + 10*second, op: advance(), want: []string{"offered s1 b reassigned from a [reassigned]"}},
	})
}

// E4: the third S5 mode: an agent going offline has its sessions moved
// to agents with room, the rest queued, in the order the queue serves
// (Q2: arrival, whatever the list order): the free places go to the
// buyers who asked first.
func TestE4_ReassignWhenAnAgentLeaves(t *testing.T) {
	p := policy.Policy{ReassignOnOffline: true}
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(3))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: minute, op: arrive("s2", "b2", 0), want: []string{"assigned s2 a arrival"}},
		{at: 2 * minute, op: arrive("s3", "b3", 0), want: []string{"assigned s3 a arrival"}},
		{at: 3 * minute, op: addAgent("b", agent.Limit(1))},
		{at: 3 * minute, op: arrive("s4", "b4", 0), want: []string{"assigned s4 b arrival"}},
		{at: 4 * minute, op: addAgent("c", agent.Limit(2))},
		// s1 answered: last in a's list (L4), still first to move (Q2).
		{at: 4 * minute, op: msg("s1", FromAgent, "a"), want: []string{"message s1 agent"}},
		{at: 5 * minute, op: logout("a"), want: []string{
			"assigned s1 c reassigned from a [reassigned]",
			"assigned s2 c reassigned from a [reassigned]",
			"queued s3 from a [reassigned]"}},
		{at: 6 * minute, op: arrive("s5", "b5", 0), want: []string{"queued s5"}},
		{at: 7 * minute, op: closeS("s4"), want: []string{"closed s4 b", "assigned s3 b freed [reassigned]"}},
	})
}

// wrap is a shop with 30 seconds of after-contact work (E5).
var wrap = policy.Policy{WrapUp: 30 * second}

// E5: after a close the agent's slot stays held for the wrap-up time,
// exactly; then it frees and pulls the queue head at that instant (C5).
func TestE5_WrapUpHoldsTheSlotThenPullsTheHead(t *testing.T) {
	run(t, wrap, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: second, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: minute, op: closeS("s1"), want: []string{"closed s1 a", "wrap-up s1 a"},
			check: func(t *testing.T, e *Engine) {
				a, _ := e.Agent("a")
				assert.Equal(t, [3]int{1, 0, 1}, [3]int{a.Load, a.Offers, a.WrapUps})
				h, n, _ := e.History("a", Page{})
				require.Equal(t, 1, n, "in the history at once")
				assert.Equal(t, "s1", h[0].Session)
				_, open := e.Session("s1")
				assert.False(t, open)
			}},
		{at: minute + 30*second - time.Nanosecond, op: advance()},
		{at: minute + 30*second, op: advance(), want: []string{"wrap-up-ended s1 a", "assigned s2 a freed"}},
	})
}

// E5: the agent ends its wrap-up early: the queue head comes in the same
// call; the timer is gone.
func TestE5_EndWrapUpEarlyPullsTheHeadInTheSameCall(t *testing.T) {
	run(t, wrap, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{at: second, op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: minute, op: closeS("s1"), want: []string{"closed s1 a", "wrap-up s1 a"}},
		{at: minute + 10*second, op: endWrapUp("a"), want: []string{"wrap-up-ended s1 a", "assigned s2 a freed"}},
		{at: minute + 30*second, op: advance()},
		{at: minute + 40*second, op: endWrapUp("a"), err: ErrNoWrapUp},
		{at: minute + 40*second, op: endWrapUp("nobody"), err: ErrUnknownAgent},
	})
}

// E5: wrap-ups add up (two closes, two held slots); a session id closed
// into wrap-up may arrive again at once; EndWrapUp ends them all.
func TestE5_WrapUpsAddUp(t *testing.T) {
	run(t, wrap, []step{
		{op: addAgent("a", agent.Limit(2))},
		{op: arrive("s1", "b1", 0), want: []string{"assigned s1 a arrival"}},
		{op: arrive("s2", "b2", 0), want: []string{"assigned s2 a arrival"}},
		{at: second, op: closeS("s1"), want: []string{"closed s1 a", "wrap-up s1 a"}},
		{at: 2 * second, op: closeS("s2"), want: []string{"closed s2 a", "wrap-up s2 a"}},
		{at: 3 * second, op: arrive("s1", "b1", 0), want: []string{"queued s1"}},
		{at: 31 * second, op: advance(), want: []string{"wrap-up-ended s1 a", "assigned s1 a freed"}},
		{at: 32 * second, op: advance(), want: []string{"wrap-up-ended s2 a"}},
	})
}

// E5 with offers: the freed slot is offered.
func TestE5_WrapUpEndOffersWhenOffersAreOn(t *testing.T) {
	p := wrap
	p.OfferTimeout = time.Minute
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: arrive("s1", "b1", 0), want: []string{"offered s1 a arrival"}},
		{op: accept("s1", "a"), want: []string{"accepted s1 a"}},
		{op: arrive("s2", "b2", 0), want: []string{"queued s2"}},
		{at: minute, op: closeS("s1"), want: []string{"closed s1 a", "wrap-up s1 a"}},
		{at: minute, op: endWrapUp("a"), want: []string{"wrap-up-ended s1 a", "offered s2 a freed"}},
	})
}

// Every option is off by default, and with all off the seeds' events are
// those of before (the golden wire files and every other test say so);
// policies that set them validate, and the combinations that make no
// sense are refused with the field at fault.
func TestE_PolicyValidation(t *testing.T) {
	for _, c := range []struct {
		p     policy.Policy
		field string
	}{
		{policy.Policy{OfferTimeout: -time.Second}, "OfferTimeout"},
		{policy.Policy{OfferTimeoutStatus: agent.Break}, "OfferTimeoutStatus"},
		{policy.Policy{OfferTimeout: time.Minute, OfferTimeoutStatus: agent.Online}, "OfferTimeoutStatus"},
		{policy.Policy{OfferRetry: true}, "OfferRetry"},
		{policy.Policy{ReassignLimit: 2}, "ReassignLimit"},
		{policy.Policy{ReassignAfter: time.Minute, ReassignLimit: 256}, "ReassignLimit"},
		{policy.Policy{ReassignOnOffline: true, RequeueOnOffline: true}, "ReassignOnOffline"},
		{policy.Policy{WrapUp: -1}, "WrapUp"},
	} {
		_, err := New(c.p)
		var fe *policy.FieldError
		require.ErrorAs(t, err, &fe, "%+v", c.p)
		assert.Equal(t, c.field, fe.Field)
		assert.ErrorIs(t, err, ErrInvalidPolicy)
	}
	for _, p := range []policy.Policy{
		{OfferTimeout: time.Minute, OfferTimeoutStatus: agent.Offline, OfferRetry: true},
		{ReassignAfter: time.Minute, ReassignLimit: 255, OfferRetry: true, ReassignOnOffline: true, WrapUp: time.Second},
	} {
		_, err := New(p)
		assert.NoError(t, err, "%+v", p)
	}
}
