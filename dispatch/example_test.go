package dispatch_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/policy"
)

var t0 = time.Date(2026, 11, 11, 9, 0, 0, 0, time.UTC)

func show(evs []dispatch.Event) {
	for _, ev := range evs {
		fmt.Println(ev)
	}
}

// A session arrives, is assigned, and when the agent is full the next one
// queues.
func ExampleEngine_Arrive() {
	eng, _ := dispatch.New(policy.Policy{Capacity: agent.KuaishouBounds()})
	eng.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})

	evs, _ := eng.Arrive(t0.Add(time.Second), dispatch.Arrival{Session: "s1", Buyer: "b1"})
	show(evs)
	evs, _ = eng.Arrive(t0.Add(2*time.Second), dispatch.Arrival{Session: "s2", Buyer: "b2"})
	show(evs)
	pos, n, _ := eng.Position("s2")
	fmt.Printf("s2 is number %d of %d\n", pos, n)
	// Output:
	// 09:00:01 assigned s1 -> wang (arrival)
	// 09:00:02 queued s2
	// s2 is number 1 of 1
}

// Rule C5, the seed's example: closing one session at the cap frees a place
// and the queue head takes it in the same operation.
func ExampleEngine_Close() {
	eng, _ := dispatch.New(policy.Policy{Capacity: agent.KuaishouBounds()})
	eng.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(20)})
	for i := 1; i <= 21; i++ {
		eng.Arrive(t0, dispatch.Arrival{Session: fmt.Sprint("s", i)})
	}
	a, _ := eng.Agent("wang")
	fmt.Println("load", a.Load, "queued", eng.QueueLen())

	evs, _ := eng.Close(t0.Add(time.Minute), "s7")
	show(evs)
	a, _ = eng.Agent("wang")
	fmt.Println("load", a.Load, "queued", eng.QueueLen())
	// Output:
	// load 20 queued 1
	// 09:01:00 closed s7 at wang
	// 09:01:00 assigned s21 -> wang (freed)
	// load 20 queued 0
}

// Offers (E1): an automatic assignment is an offer the agent accepts or
// rejects; a rejected session goes to the next agent with room, and the
// agent that rejected it is not offered it again while another could take
// it (E2). An offer not answered in time puts the agent on break.
func ExampleEngine_Accept() {
	eng, _ := dispatch.New(policy.Policy{OfferTimeout: 30 * time.Second, OfferTimeoutStatus: agent.Break})
	eng.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(2)})
	eng.AddAgent(t0, "li", dispatch.AgentConfig{Capacity: agent.Limit(2)})

	evs, _ := eng.Arrive(t0, dispatch.Arrival{Session: "s1"})
	show(evs)
	evs, _ = eng.Reject(t0.Add(5*time.Second), "s1", "li")
	show(evs)
	evs, _ = eng.Accept(t0.Add(8*time.Second), "s1", "wang")
	show(evs)
	evs, _ = eng.Arrive(t0.Add(time.Minute), dispatch.Arrival{Session: "s2"})
	show(evs)
	show(eng.Advance(t0.Add(90 * time.Second)))
	// Output:
	// 09:00:00 offered s1 -> li (arrival)
	// 09:00:05 rejected s1 by li
	// 09:00:05 offered s1 -> wang (freed)
	// 09:00:08 accepted s1 by wang
	// 09:01:00 offered s2 -> li (arrival)
	// 09:01:30 offer-timed-out s2 at li, now break
	// 09:01:30 offered s2 -> wang (freed)
}

// Wrap-up (E5): after a close the agent's slot stays held for the
// wrap-up time; ending it early pulls the queue head in the same call.
func ExampleEngine_EndWrapUp() {
	eng, _ := dispatch.New(policy.Policy{WrapUp: time.Minute})
	eng.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})
	eng.Arrive(t0, dispatch.Arrival{Session: "s1"})
	eng.Arrive(t0, dispatch.Arrival{Session: "s2"})

	evs, _ := eng.Close(t0.Add(5*time.Minute), "s1")
	show(evs)
	evs, _ = eng.EndWrapUp(t0.Add(5*time.Minute+20*time.Second), "wang")
	show(evs)
	// Output:
	// 09:05:00 closed s1 at wang
	// 09:05:00 wrap-up s1 by wang
	// 09:05:20 wrap-up-ended s1 by wang
	// 09:05:20 assigned s2 -> wang (freed)
}

// Transfers go to online or on-break agents (S3), may exceed the cap (C4),
// and free the sender at once (C5).
func ExampleEngine_Transfer() {
	eng, _ := dispatch.New(policy.Policy{})
	eng.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})
	eng.AddAgent(t0, "li", dispatch.AgentConfig{Capacity: agent.Limit(1), Status: agent.Break})
	eng.AddAgent(t0, "zhang", dispatch.AgentConfig{Status: agent.Offline})
	eng.Arrive(t0, dispatch.Arrival{Session: "s1"})
	eng.Arrive(t0, dispatch.Arrival{Session: "s2"})

	_, err := eng.Transfer(t0.Add(time.Minute), "s1", "zhang")
	fmt.Println(errors.Is(err, dispatch.ErrAgentOffline))
	evs, _ := eng.Transfer(t0.Add(time.Minute), "s1", "li")
	show(evs)
	// Output:
	// true
	// 09:01:00 transferred s1 wang -> li [transferred]
	// 09:01:00 assigned s2 -> wang (freed)
}

// With no agent online, sessions wait in the offline pool (O1); the first
// agent to come online with room receives them, flagged (O2); what no one
// takes within the validity expires with an event (O3).
func ExampleEngine_Advance() {
	eng, _ := dispatch.New(policy.Policy{})
	eng.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1), Status: agent.Offline})
	eng.Arrive(t0, dispatch.Arrival{Session: "m1"})
	eng.Arrive(t0.Add(time.Hour), dispatch.Arrival{Session: "m2"})

	evs, _ := eng.Login(t0.Add(2*time.Hour), "wang")
	show(evs)
	show(eng.Advance(t0.Add(7*24*time.Hour + time.Hour)))
	// Output:
	// 11:00:00 assigned m1 -> wang (freed) [offline]
	// 10:00:00 expired m2
}

// Douyin allows a max reception up to 200 and warns below 5 (C3); an
// out-of-range value is an error, not clamped (C2).
func ExampleEngine_SetCapacity() {
	eng, _ := dispatch.New(policy.Policy{Capacity: agent.DouyinBounds()})
	eng.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(50)})

	_, err := eng.SetCapacity(t0, "wang", agent.Limit(300))
	fmt.Println(err)
	evs, _ := eng.SetCapacity(t0, "wang", agent.Limit(3))
	for _, ev := range evs {
		fmt.Println(ev.Warning.Code(), "—", ev.Warning.TextZH())
	}
	// Output:
	// set capacity of "wang": dispatch: capacity out of range: 300 not in 1..200
	// capacity-low — 客服接待人数过低,可能会导致用户无法进入
}

// In no-queue mode (Douyin 不排队, Q4) a session reaches an agent even when
// everyone is full: the least saturated, over the cap.
func ExampleEngine_Arrive_noQueue() {
	eng, _ := dispatch.New(policy.Policy{NoQueue: true})
	eng.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})
	eng.AddAgent(t0, "li", dispatch.AgentConfig{Capacity: agent.Limit(2)})
	for i := 1; i <= 4; i++ {
		evs, _ := eng.Arrive(t0.Add(time.Duration(i)*time.Second), dispatch.Arrival{Session: fmt.Sprint("s", i)})
		show(evs)
	}
	// Output:
	// 09:00:01 assigned s1 -> li (arrival)
	// 09:00:02 assigned s2 -> wang (arrival)
	// 09:00:03 assigned s3 -> li (arrival)
	// 09:00:04 assigned s4 -> wang (no-queue)
}

// The R3 transfer list: online agents first, then those on break, each
// from least to most saturated; offline agents are not listed.
func ExampleEngine_TransferTargets() {
	eng, _ := dispatch.New(policy.Policy{})
	eng.AddAgent(t0, "me", dispatch.AgentConfig{})
	eng.AddAgent(t0, "busy", dispatch.AgentConfig{Capacity: agent.Limit(1)})
	eng.AddAgent(t0, "free", dispatch.AgentConfig{Capacity: agent.Limit(4)})
	eng.AddAgent(t0, "resting", dispatch.AgentConfig{Capacity: agent.Limit(4), Status: agent.Break})
	eng.AddAgent(t0, "gone", dispatch.AgentConfig{Status: agent.Offline})
	eng.Arrive(t0, dispatch.Arrival{Session: "s1"}) // all at 0, same idle time: by id, "busy"

	targets, _ := eng.TransferTargets("me")
	for _, a := range targets {
		fmt.Printf("%s %s %d/%s\n", a.ID, a.Status, a.Load, a.Capacity)
	}
	// Output:
	// free online 0/4
	// busy online 1/1
	// resting break 0/4
}

// Kuaishou's auto-close (L2): the agent answered, the buyer stayed silent
// 20 minutes, the session closed by itself at that instant and the freed
// place took the queue head (C5).
func ExampleEngine_Message() {
	eng, _ := dispatch.New(policy.Policy{BuyerIdleClose: 20 * time.Minute})
	eng.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})
	eng.Arrive(t0, dispatch.Arrival{Session: "s1"})
	eng.Arrive(t0, dispatch.Arrival{Session: "s2"}) // queued

	evs, _ := eng.Message(t0.Add(time.Minute), dispatch.Message{Session: "s1", From: dispatch.FromAgent, Agent: "wang"})
	show(evs)
	show(eng.Advance(t0.Add(time.Hour)))
	// Output:
	// 09:01:00 message s1 from agent
	// 09:21:00 closed s1 at wang (buyer-idle)
	// 09:21:00 assigned s2 -> wang (freed)
}

// An agent's current list in Feige's order (L4): unreplied first, longest
// waiting first; then replied, newest last message first.
func ExampleEngine_List() {
	eng, _ := dispatch.New(policy.Policy{})
	eng.AddAgent(t0, "wang", dispatch.AgentConfig{})
	for i, id := range []string{"s1", "s2", "s3"} {
		eng.Arrive(t0.Add(time.Duration(i)*time.Minute), dispatch.Arrival{Session: id})
	}
	eng.Message(t0.Add(5*time.Minute), dispatch.Message{Session: "s1", From: dispatch.FromAgent, Agent: "wang"})

	list, n, _ := eng.List("wang", dispatch.Page{Limit: 10})
	fmt.Println(n, "in reception")
	for _, s := range list {
		if s.Unreplied {
			fmt.Printf("%s unreplied since %s, %d unread\n", s.ID, s.WaitingSince.Format("15:04"), s.Unread)
		} else {
			fmt.Printf("%s replied, last message %s\n", s.ID, s.LastMessage.Format("15:04"))
		}
	}
	// Output:
	// 3 in reception
	// s2 unreplied since 09:01, 1 unread
	// s3 unreplied since 09:02, 1 unread
	// s1 replied, last message 09:05
}

// Douyin's private-message rule (L6): three messages to a buyer who has not
// followed and never chatted, then the buyer must reply or follow.
func ExampleEngine_Start() {
	eng, _ := dispatch.New(policy.Policy{DMLimit: 3})
	eng.AddAgent(t0, "wang", dispatch.AgentConfig{})
	eng.Start(t0, dispatch.Outbound{Session: "dm1", Buyer: "fan", Agent: "wang", Stranger: true})
	for i := 1; i <= 4; i++ {
		_, err := eng.Message(t0.Add(time.Duration(i)*time.Minute),
			dispatch.Message{Session: "dm1", From: dispatch.FromAgent, Agent: "wang"})
		fmt.Println(i, errors.Is(err, dispatch.ErrDMLimit))
	}
	// Output:
	// 1 false
	// 2 false
	// 3 false
	// 4 true
}

// A Shop is safe for many goroutines. Exec appends an operation's events
// to a buffer the caller reuses, so that a busy host does not allocate per
// call.
func ExampleShop_Exec() {
	shop, _ := dispatch.NewShop(policy.Policy{})
	shop.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})

	var buf []dispatch.Event
	for _, id := range []string{"s1", "s2"} {
		buf, _ = shop.Exec(buf[:0], func(e *dispatch.Engine) ([]dispatch.Event, error) {
			return e.Arrive(t0, dispatch.Arrival{Session: id})
		})
		show(buf)
	}
	// Output:
	// 09:00:00 assigned s1 -> wang (arrival)
	// 09:00:00 queued s2
}

// Operations are data: a host logs each Op with its time (here as JSON
// lines, the wire format), and replays the log on a new engine, which
// returns the same events, numbered the same (Event.Seq), and ends in the
// same state. A rejected op is logged and replayed like any other.
func ExampleEngine_Apply() {
	p := policy.Kuaishou()
	eng, _ := dispatch.New(p)
	type record struct {
		At time.Time   `json:"at"`
		Op dispatch.Op `json:"op"`
	}
	var log []string
	apply := func(at time.Time, op dispatch.Op) {
		b, _ := json.Marshal(record{at, op}) // append to the log first ...
		log = append(log, string(b))
		evs, err := eng.Apply(at, op) // ... then apply
		for _, ev := range evs {
			fmt.Println(ev.Seq, ev)
		}
		if err != nil {
			fmt.Println("refused:", err)
		}
	}
	apply(t0, dispatch.Op{Kind: dispatch.OpAddAgent, Agent: "wang", AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(1)}})
	apply(t0, dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "s1", Buyer: "b1"}})
	apply(t0, dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: "s2", Buyer: "b2"}})
	apply(t0.Add(time.Minute), dispatch.Op{Kind: dispatch.OpClose, Session: "nope"})
	apply(t0.Add(2*time.Minute), dispatch.Op{Kind: dispatch.OpClose, Session: "s1"})
	fmt.Println(log[1])

	// After a crash: a new engine, the log replayed.
	again, _ := dispatch.New(p)
	for _, line := range log {
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			panic(err)
		}
		again.Apply(r.At, r.Op)
	}
	a, b := mustSnapshot(eng), mustSnapshot(again)
	fmt.Println("same state:", string(a) == string(b))
	// Output:
	// 1 09:00:00 assigned s1 -> wang (arrival)
	// 2 09:00:00 queued s2
	// refused: dispatch: unknown session: "nope"
	// 3 09:02:00 closed s1 at wang
	// 4 09:02:00 assigned s2 -> wang (freed)
	// {"at":"2026-11-11T09:00:00Z","op":{"op":"arrive","session":"s1","buyer":"b1"}}
	// same state: true
}

func mustSnapshot(e *dispatch.Engine) []byte {
	b, err := e.Snapshot()
	if err != nil {
		panic(err)
	}
	return b
}

// counter is an Observer: it sees every event of every op, in order,
// before the op returns.
type counter map[dispatch.Kind]int

func (c counter) Observe(ev dispatch.Event) { c[ev.Kind]++ }

// An observer (the metrics recorder is one) is registered by name and
// called by the engine under the shop's lock, so it can never miss an
// event or see one out of order.
func ExampleWithObserver() {
	seen := counter{}
	shop, _ := dispatch.NewShop(policy.Kuaishou(), dispatch.WithObserver("counter", seen))
	shop.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})
	shop.Arrive(t0, dispatch.Arrival{Session: "s1"})
	shop.Arrive(t0, dispatch.Arrival{Session: "s2"})
	shop.Close(t0.Add(time.Minute), "s1")
	fmt.Println(seen[dispatch.EventAssigned], "assigned,", seen[dispatch.EventQueued], "queued,",
		seen[dispatch.EventClosed], "closed")
	// Output:
	// 2 assigned, 1 queued, 1 closed
}

// One timer for many shops: the registry knows the earliest deadline of
// all of them, and AdvanceDue advances only the shops with a timer due.
func ExampleShops_AdvanceDue() {
	var shops dispatch.Shops
	for _, id := range []string{"shop-a", "shop-b"} {
		s, _ := shops.Open(id, policy.Kuaishou()) // auto-close after 20 minutes of buyer silence (L2)
		s.AddAgent(t0, "wang", dispatch.AgentConfig{Capacity: agent.Limit(5)})
	}
	a, _ := shops.Get("shop-a")
	a.Arrive(t0, dispatch.Arrival{Session: "s1"})
	a.Message(t0.Add(time.Minute), dispatch.Message{Session: "s1", From: dispatch.FromAgent, Agent: "wang"})

	next, _ := shops.NextDeadline()
	fmt.Println("sleep until", next.UTC().Format("15:04"))
	n := shops.AdvanceDue(next, func(id string, evs []dispatch.Event) {
		for _, ev := range evs {
			fmt.Println(id, ev)
		}
	})
	_, more := shops.NextDeadline()
	fmt.Println(n, "shop advanced; more deadlines:", more)
	// Output:
	// sleep until 09:21
	// shop-a 09:21:00 closed s1 at wang (buyer-idle)
	// 1 shop advanced; more deadlines: false
}

// Queue shaping beyond the seeds (E6-E11), in the shop's own time: these
// examples run on the clock of a shop in China.

// nine is 09:00 on Wednesday 2026-11-11 in China; the engine returns
// times in the zone of the times it is given.
var nine = time.Date(2026, 11, 11, 9, 0, 0, 0, policy.ChinaStandardTime())

// Queue cap (E8): with at most two buyers waiting, a third who would
// make the queue longer than that is diverted at once, here refused: the session
// ends with EventRefused and the cause, never dropped silently.
func ExampleEngine_Arrive_queueCap() {
	eng, _ := dispatch.New(policy.Policy{QueueCap: 2, Divert: policy.DivertRefuse})
	eng.AddAgent(nine, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})
	for i := 1; i <= 4; i++ {
		evs, _ := eng.Arrive(nine.Add(time.Duration(i)*time.Second), dispatch.Arrival{Session: fmt.Sprint("s", i)})
		show(evs)
	}
	_, open := eng.Session("s4")
	st := eng.Stats()
	fmt.Println("queued", eng.QueueLen(), "s4 open:", open)
	fmt.Println("refused", st.Refused, "diverted by the cap", st.Diverted[dispatch.CauseQueueCap])
	// Output:
	// 09:00:01 assigned s1 -> wang (arrival)
	// 09:00:02 queued s2
	// 09:00:03 queued s3
	// 09:00:04 refused s4 (queue-cap)
	// queued 2 s4 open: false
	// refused 1 diverted by the cap 1
}

// Maximum wait (E8): a buyer who has waited three minutes in the queue
// goes to the offline pool (policy.DivertOffline, the zero Divert) at
// exactly that instant, not a second before; there it is a message the
// agent takes when it has room (O2).
func ExampleEngine_Advance_maxWait() {
	eng, _ := dispatch.New(policy.Policy{MaxWait: 3 * time.Minute})
	eng.AddAgent(nine, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})
	eng.Arrive(nine, dispatch.Arrival{Session: "s1"})
	evs, _ := eng.Arrive(nine, dispatch.Arrival{Session: "s2"})
	show(evs)

	fmt.Println("at 09:02:59:", len(eng.Advance(nine.Add(3*time.Minute-time.Second))), "events")
	show(eng.Advance(nine.Add(3 * time.Minute)))
	evs, _ = eng.Close(nine.Add(5*time.Minute), "s1")
	show(evs)
	// Output:
	// 09:00:00 queued s2
	// at 09:02:59: 0 events
	// 09:03:00 offline s2 (max-wait)
	// 09:05:00 closed s1 at wang
	// 09:05:00 assigned s2 -> wang (freed) [offline]
}

// Inactive sessions (E9): a replied session whose buyer has been silent
// for ten minutes stops counting toward the agent's load at that instant,
// and the agent takes the queue head; when the buyer writes again it
// counts again, over the cap.
func ExampleEngine_Message_inactive() {
	eng, _ := dispatch.New(policy.Policy{InactiveAfter: 10 * time.Minute})
	eng.AddAgent(nine, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})
	eng.Arrive(nine, dispatch.Arrival{Session: "a", Buyer: "ba"})
	eng.Message(nine.Add(time.Minute), dispatch.Message{Session: "a", From: dispatch.FromAgent, Agent: "wang"})
	evs, _ := eng.Arrive(nine.Add(2*time.Minute), dispatch.Arrival{Session: "b", Buyer: "bb"})
	show(evs)

	fmt.Println("at 09:09:59:", len(eng.Advance(nine.Add(10*time.Minute-time.Second))), "events")
	show(eng.Advance(nine.Add(10 * time.Minute)))
	load := func() {
		w, _ := eng.Agent("wang")
		list, _, _ := eng.List("wang", dispatch.Page{})
		fmt.Printf("wang load %d/%s; list:", w.Load, w.Capacity)
		for i, s := range list {
			if i > 0 {
				fmt.Print(",")
			}
			fmt.Printf(" %s", s.ID)
			if s.Flags != 0 {
				fmt.Printf(" [%s]", s.Flags)
			}
		}
		fmt.Println()
	}
	load()

	evs, _ = eng.Message(nine.Add(20*time.Minute), dispatch.Message{Session: "a", From: dispatch.FromBuyer})
	show(evs)
	load()
	// Output:
	// 09:02:00 queued b
	// at 09:09:59: 0 events
	// 09:10:00 inactive a at wang [inactive]
	// 09:10:00 assigned b -> wang (freed)
	// wang load 1/1; list: b, a [inactive]
	// 09:20:00 message a from buyer
	// wang load 2/1; list: b, a
}

// Weighted capacity (E10): an after-sales session costs two units. An
// agent with a cap of 2 holding one ordinary session has one unit free,
// not enough: the after-sales buyer waits, and takes both units when the
// ordinary session closes.
func ExampleEngine_Arrive_weighted() {
	eng, _ := dispatch.New(policy.Policy{Weights: []policy.Weight{{Kind: "after-sales", Units: 2}}})
	eng.AddAgent(nine, "wang", dispatch.AgentConfig{Capacity: agent.Limit(2)})
	load := func() {
		w, _ := eng.Agent("wang")
		fmt.Printf("wang load %d/%s\n", w.Load, w.Capacity)
	}
	evs, _ := eng.Arrive(nine, dispatch.Arrival{Session: "s1", Kind: "presale"})
	show(evs)
	evs, _ = eng.Arrive(nine.Add(time.Minute), dispatch.Arrival{Session: "h", Kind: "after-sales"})
	show(evs)
	load()
	evs, _ = eng.Close(nine.Add(4*time.Minute), "s1")
	show(evs)
	load()
	// Output:
	// 09:00:00 assigned s1 -> wang (arrival)
	// 09:01:00 queued h
	// wang load 1/2
	// 09:04:00 closed s1 at wang
	// 09:04:00 assigned h -> wang (freed)
	// wang load 2/2
}

// Widening (E7): a vip buyer waits for the vip group alone, and from two
// minutes after entering the queue for the gen group too (its first
// ring); a gen agent with room takes it at exactly that instant.
func ExampleEngine_Advance_widening() {
	eng, _ := dispatch.New(policy.Policy{Groups: []policy.Group{
		{ID: "vip", Crowds: []string{"vip"}, Rings: []policy.Ring{{After: 2 * time.Minute, Groups: []string{"gen"}}}},
		{ID: "gen"},
	}})
	eng.AddAgent(nine, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1), Group: "vip"})
	eng.AddAgent(nine, "li", dispatch.AgentConfig{Capacity: agent.Limit(1), Group: "gen"})
	vip := []dispatch.Membership{{Crowd: "vip"}}
	for _, id := range []string{"v1", "v2"} {
		evs, _ := eng.Arrive(nine, dispatch.Arrival{Session: id, Buyer: "b" + id, Crowds: vip})
		show(evs)
	}
	fmt.Println("at 09:01:59:", len(eng.Advance(nine.Add(2*time.Minute-time.Second))), "events")
	show(eng.Advance(nine.Add(2 * time.Minute)))
	// Output:
	// 09:00:00 assigned v1 -> wang (arrival)
	// 09:00:00 queued v2
	// at 09:01:59: 0 events
	// 09:02:00 assigned v2 -> li (widened)
}

// Aging (E6): with a step of one minute a waiting buyer gains one
// priority level per minute waited. x (priority 0) has waited two
// minutes, level 2, when y (priority 1) arrives, so x is served before
// y; z (priority 1) arrived when x had not yet waited a minute, and
// stays ahead of x. The agent frees one place at a time. (Without aging,
// Q2 would serve z, y, x.)
func ExampleEngine_Arrive_aging() {
	eng, _ := dispatch.New(policy.Policy{AgingStep: time.Minute})
	eng.AddAgent(nine, "wang", dispatch.AgentConfig{Capacity: agent.Limit(1)})
	eng.Arrive(nine, dispatch.Arrival{Session: "s0"})
	eng.Arrive(nine, dispatch.Arrival{Session: "x", Priority: 0})
	eng.Arrive(nine.Add(30*time.Second), dispatch.Arrival{Session: "z", Priority: 1})
	eng.Arrive(nine.Add(2*time.Minute), dispatch.Arrival{Session: "y", Priority: 1})

	at := nine.Add(3 * time.Minute)
	for _, id := range []string{"s0", "z", "x"} {
		evs, _ := eng.Close(at, id)
		show(evs)
		at = at.Add(time.Minute)
	}
	// Output:
	// 09:03:00 closed s0 at wang
	// 09:03:00 assigned z -> wang (freed)
	// 09:04:00 closed z at wang
	// 09:04:00 assigned x -> wang (freed)
	// 09:05:00 closed x at wang
	// 09:05:00 assigned y -> wang (freed)
}

// Business hours (E11): Monday to Friday 09:00-18:00 in the shop's zone,
// the bot outside them. A buyer at 08:59:59 goes to the bot with the
// cause, though an agent has room; one at 09:00:00 reaches the agent.
func ExampleEngine_Arrive_outsideHours() {
	h := &policy.Hours{Outside: policy.OutsideToBot}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Week[d] = []policy.Span{{Start: 9 * time.Hour, End: 18 * time.Hour}}
	}
	eng, _ := dispatch.New(policy.Policy{Location: policy.ChinaStandardTime(), Hours: h})
	eng.AddAgent(nine.Add(-time.Hour), "wang", dispatch.AgentConfig{Capacity: agent.Limit(5)})

	evs, _ := eng.Arrive(nine.Add(-time.Second), dispatch.Arrival{Session: "s1", Buyer: "b1"})
	show(evs)
	evs, _ = eng.Arrive(nine, dispatch.Arrival{Session: "s2", Buyer: "b2"})
	show(evs)
	fmt.Println("diverted outside hours:", eng.Stats().Diverted[dispatch.CauseOutsideHours])
	// Output:
	// 08:59:59 bot s1 (outside-hours)
	// 09:00:00 assigned s2 -> wang (arrival)
	// diverted outside hours: 1
}
