package dispatch

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files of the wire format")

// wireOps is one op of every kind, and of every field each reads, the
// values an engine refuses included (they are logged and replayed too).
func wireOps() []Op {
	cst := policy.ChinaStandardTime()
	since := time.Date(2026, 11, 10, 8, 0, 0, 0, cst)
	p := policy.Douyin()
	return []Op{
		{Kind: OpAddAgent, Agent: "wang", AgentConfig: AgentConfig{Capacity: agent.Limit(20)}},
		{Kind: OpAddAgent, Agent: "li", AgentConfig: AgentConfig{Capacity: agent.Unlimited(), Status: agent.Offline, Group: "vip"}},
		{Kind: OpAddAgent, Agent: "zhao", AgentConfig: AgentConfig{Capacity: agent.Suspended(), Status: agent.Break}},
		{Kind: OpRemoveAgent, Agent: "wang"},
		{Kind: OpLogin, Agent: "wang"},
		{Kind: OpLogout, Agent: "wang"},
		{Kind: OpSetStatus, Agent: "wang", Status: agent.Break},
		{Kind: OpSetStatus, Agent: "wang", Status: 9}, // refused by the engine, still logged
		{Kind: OpSetCapacity, Agent: "wang", Capacity: agent.Limit(0)},
		{Kind: OpArrive, Arrival: Arrival{Session: "s1", Buyer: "b1"}},
		{Kind: OpArrive, Arrival: Arrival{Session: "s2", Buyer: "买家", Priority: -3, Entry: EntryShopHome,
			Crowds: []Membership{{Crowd: "member", Since: since}, {Crowd: "fans"}}, Exclusive: "li"}},
		{Kind: OpArrive, Arrival: Arrival{Session: "s3", Entry: 7}},
		{Kind: OpStart, Outbound: Outbound{Session: "s4", Buyer: "b4", Agent: "wang", Stranger: true}},
		{Kind: OpMessage, Message: Message{Session: "s1", From: FromBuyer}},
		{Kind: OpMessage, Message: Message{Session: "s1", From: FromAgent, Agent: "wang", Unreachable: true}},
		{Kind: OpMessage, Message: Message{Session: "s1"}},
		{Kind: OpMarkRead, Session: "s1"},
		{Kind: OpFollow, Session: "s1"},
		{Kind: OpClose, Session: "s1"},
		{Kind: OpLeave, Session: "s2"},
		{Kind: OpAssign, Session: "s2", Agent: "li"},
		{Kind: OpTransfer, Session: "s1", Agent: "li"},
		{Kind: OpHandover, Session: "s3"},
		{Kind: OpSetTeamLevel, TeamLevel: policy.LevelGold},
		{Kind: OpSetTeamLevel},
		{Kind: OpAdvance},
		{Kind: OpSetPolicy, Policy: &p},
		{Kind: OpAccept, Session: "s1", Agent: "wang"},
		{Kind: OpReject, Session: "s1", Agent: "wang"},
		{Kind: OpEndWrapUp, Agent: "wang"},
		{Kind: OpArrive, Arrival: Arrival{Session: "s5", Buyer: "b5", Kind: "after-sales"}}, // E10
	}
}

// golden compares lines with a file in testdata/wire, or rewrites it
// with -update.
func golden(t *testing.T, name string, lines []string) {
	t.Helper()
	path := "testdata/wire/" + name
	got := strings.Join(lines, "\n") + "\n"
	if *update {
		require.NoError(t, os.MkdirAll("testdata/wire", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./dispatch -run Wire -update to write it")
	assert.Equal(t, string(want), got, "the wire format changed: it is a compatibility contract (WireVersion)")
}

// The wire format of ops is pinned by testdata/wire/ops.jsonl: every
// kind encodes to those bytes, and the bytes decode to the same op.
func TestWire_OpsGolden(t *testing.T) {
	var lines []string
	for _, op := range wireOps() {
		b, err := op.MarshalJSON()
		require.NoError(t, err, "%s", op.Kind)
		lines = append(lines, string(b))
		var back Op
		require.NoError(t, back.UnmarshalJSON(b), string(b))
		assert.True(t, sameOp(&op, &back), "%s decodes to %+v", b, back)
	}
	golden(t, "ops.jsonl", lines)
	seen := map[OpKind]bool{}
	for _, op := range wireOps() {
		seen[op.Kind] = true
	}
	for k := OpKind(1); int(k) < len(opNames); k++ {
		assert.True(t, seen[k], "no golden op of kind %s", k)
	}
}

// The wire format of events is pinned by testdata/wire/events.jsonl: the
// events of a scene that produces every kind, cause, reason, flag,
// warning and sender.
func TestWire_EventsGolden(t *testing.T) {
	cst := policy.ChinaStandardTime()
	at := func(m int) time.Time { return time.Date(2026, 11, 11, 20, m, 0, 0, cst) }
	p := policy.Taobao()
	p.Crowds, p.TeamLevel = []policy.Crowd{{ID: "member", Member: true}}, policy.LevelGold
	p.BuyerIdleClose, p.AgentIdleClose, p.OfflineValidity = 10*time.Minute, 5*time.Minute, time.Hour
	p.BotWindows = []policy.Window{{Start: 0, End: time.Hour, Share: 1}} // 00:00-01:00 to the bot
	p.Capacity.WarnBelow = 2
	e, err := New(p)
	require.NoError(t, err)
	var all []Event
	do := func(evs []Event, err error) {
		require.NoError(t, err)
		all = append(all, evs...)
	}
	do(e.Arrive(at(0), Arrival{Session: "o1", Buyer: "b0"}))                                   // offline
	do(e.AddAgent(at(1), "wang", AgentConfig{Capacity: agent.Limit(1)}))                       // warning, assigned (freed, offline flag)
	do(e.AddAgent(at(1), "li", AgentConfig{Capacity: agent.Unlimited(), Status: agent.Break})) // nothing
	do(e.Arrive(at(2), Arrival{Session: "s1", Buyer: "b1"}))                                   // queued
	do(e.Arrive(at(2), Arrival{Session: "s2", Buyer: "b2", Entry: EntryProduct,
		Crowds: []Membership{{Crowd: "member", Since: at(0).Add(-48 * time.Hour)}}})) // priority + prompt
	do(e.Message(at(3), Message{Session: "o1", From: FromAgent, Agent: "wang"}))
	do(e.Message(at(3), Message{Session: "s1", From: FromBuyer}))
	do(e.Transfer(at(4), "o1", "li")) // transferred
	do(e.Message(at(4), Message{Session: "o1", From: FromSystem}))
	do(e.Start(at(5), Outbound{Session: "s3", Buyer: "b3", Agent: "li"}))
	do(e.Close(at(6), "s3"))
	do(e.Logout(at(7), "li"))                                // unlimited-offline warning
	do(e.Login(at(8), "li"))                                 // back on break
	do(e.Arrive(at(8), Arrival{Session: "s6", Buyer: "b6"})) // queued: wang is full, li on break
	do(e.Assign(at(8), "s6", "li"))                          // manual
	do(e.SetStatus(at(9), "li", agent.Online))
	do(e.Arrive(at(9), Arrival{Session: "s4", Buyer: "b4"}))                  // arrival
	do(e.Arrive(at(9), Arrival{Session: "s5", Buyer: "b5", Exclusive: "li"})) // exclusive
	all = append(all, e.Advance(at(40))...)                                   // agent-idle and buyer-idle closes
	night := func(h, m int) time.Time { return time.Date(2026, 11, 12, h, m, 0, 0, cst) }
	do(e.Arrive(night(0, 10), Arrival{Session: "bot1", Buyer: "b9"})) // bot
	do(e.Message(night(0, 10), Message{Session: "bot1", From: FromBot}))
	do(e.Handover(night(0, 11), "bot1")) // handover
	do(e.Arrive(night(0, 12), Arrival{Session: "bot2", Buyer: "b8"}))
	do(e.SetCapacity(night(2, 0), "li", agent.Limit(1)))
	do(e.SetCapacity(night(2, 0), "wang", agent.Limit(1)))
	do(e.Arrive(night(2, 0), Arrival{Session: "q0", Buyer: "b13"}))
	do(e.Arrive(night(2, 0), Arrival{Session: "q3", Buyer: "b14"}))
	do(e.Arrive(night(2, 0), Arrival{Session: "q1", Buyer: "b10"}))
	do(e.Arrive(night(2, 0), Arrival{Session: "q2", Buyer: "b11"}))
	do(e.Leave(night(2, 1), "q1")) // left
	q := p
	q.NoQueue = true
	do(e.SetPolicy(night(2, 2), q)) // q2 over the cap (no-queue)
	do(e.Logout(night(3, 0), "wang"))
	do(e.Logout(night(3, 0), "li"))
	do(e.Arrive(night(3, 1), Arrival{Session: "o2", Buyer: "b12"}))
	all = append(all, e.Advance(night(5, 0))...) // bot-idle close, expiry
	// E1-E5, appended: offers, declines, reassignment, wrap-up.
	r := p
	r.OfferTimeout, r.OfferTimeoutStatus, r.ReassignAfter, r.WrapUp = 2*time.Minute, agent.Break, 3*time.Minute, 30*time.Second
	r.ReassignOnOffline = true
	to := func() string { return all[len(all)-1].Agent } // the agent of the latest event
	do(e.SetPolicy(night(6, 0), r))
	do(e.Login(night(6, 0), "wang"))
	do(e.Login(night(6, 0), "li"))
	do(e.Arrive(night(6, 1), Arrival{Session: "e1", Buyer: "b21"})) // offered to x
	x := to()
	do(e.Accept(night(6, 1), "e1", x))                              // accepted
	do(e.Arrive(night(6, 2), Arrival{Session: "e2", Buyer: "b22"})) // offered to y
	y := to()
	do(e.Reject(night(6, 2), "e2", y))                              // rejected; queued: x is full, y declined it
	do(e.Arrive(night(6, 3), Arrival{Session: "e3", Buyer: "b23"})) // offered to y
	do(e.Accept(night(6, 3), "e3", y))
	half := night(6, 3).Add(30 * time.Second)
	do(e.Close(half, "e1"))                        // closed, wrap-up
	do(e.EndWrapUp(half, x))                       // wrap-up-ended; e2 offered to x
	all = append(all, e.Advance(night(6, 10))...)  // 6:05:30 x lets it time out (to break); 6:06 e3 reassigned from y to the queue
	do(e.SetStatus(night(6, 10), x, agent.Online)) // e3 offered to x (y declined it)
	do(e.Accept(night(6, 10), "e3", x))
	do(e.AddAgent(night(6, 11), "chen", AgentConfig{Capacity: agent.Limit(2)})) // e2 offered to chen
	do(e.Accept(night(6, 11), "e2", "chen"))
	do(e.Logout(night(6, 12), x)) // E4: e3 offered to chen, reassigned from x
	// E11, appended: business hours 09:00-18:00; at 06:13 the shop is closed.
	hours := r
	hours.Hours = &policy.Hours{Outside: policy.OutsideToBot}
	for d := range hours.Hours.Week {
		hours.Hours.Week[d] = []policy.Span{{Start: 9 * time.Hour, End: 18 * time.Hour}}
	}
	do(e.SetPolicy(night(6, 13), hours))
	do(e.Arrive(night(6, 13), Arrival{Session: "h1", Buyer: "b31"})) // bot, outside-hours
	require.NoError(t, e.Verify())
	// E6-E9, on a shop of their own (events-shaping.jsonl): together the
	// two scenes show every kind, cause, reason, sender, warning and flag.
	shaping := shapingScene(t)
	seen := map[string]bool{}
	for _, ev := range slices.Concat(all, shaping) {
		seen["kind "+ev.Kind.String()] = true
		seen["cause "+ev.Cause.String()] = ev.Cause != 0 || seen["cause "+ev.Cause.String()]
		seen["reason "+ev.Reason.String()] = ev.Reason != 0 || seen["reason "+ev.Reason.String()]
		seen["sender "+ev.Sender.String()] = ev.Sender != 0 || seen["sender "+ev.Sender.String()]
		seen["warning "+ev.Warning.Code()] = ev.Warning != 0 || seen["warning "+ev.Warning.Code()]
		for _, f := range []Flags{FlagOffline, FlagTransferred, FlagStarted, FlagReassigned, FlagInactive} {
			seen["flag "+f.String()] = ev.Flags&f != 0 || seen["flag "+f.String()]
		}
	}
	for k := Kind(1); int(k) < len(kindNames); k++ {
		assert.True(t, seen["kind "+k.String()], "no %s event", k)
	}
	for c := Cause(1); int(c) < len(causeNames); c++ {
		assert.True(t, seen["cause "+c.String()], "no cause %s", c)
	}
	for r := CloseReason(1); int(r) < len(closeNames); r++ {
		assert.True(t, seen["reason "+r.String()], "no reason %s", r)
	}
	for x := Sender(1); int(x) < len(senderNames); x++ {
		assert.True(t, seen["sender "+x.String()], "no sender %s", x)
	}
	for w := Warning(1); int(w) < len(warningCodes); w++ {
		assert.True(t, seen["warning "+w.Code()], "no warning %s", w.Code())
	}
	for _, f := range []Flags{FlagOffline, FlagTransferred, FlagStarted, FlagReassigned, FlagInactive} {
		assert.True(t, seen["flag "+f.String()], "no flag %s", f)
	}
	var lines []string
	for i, ev := range all {
		b, err := ev.MarshalJSON()
		require.NoError(t, err)
		lines = append(lines, string(b))
		var back Event
		require.NoError(t, back.UnmarshalJSON(b), string(b))
		assert.Equal(t, ev.Seq, back.Seq)
		assert.True(t, back.At.Equal(ev.At) && back.Arrived.Equal(ev.Arrived), string(b))
		back.At, back.Arrived = ev.At, ev.Arrived
		assert.Equal(t, ev, back, string(b))
		assert.Equal(t, uint64(i+1), ev.Seq, "gap-free from 1")
	}
	golden(t, "events.jsonl", lines)
	lines = nil
	for i, ev := range shaping {
		b, err := ev.MarshalJSON()
		require.NoError(t, err)
		lines = append(lines, string(b))
		var back Event
		require.NoError(t, back.UnmarshalJSON(b), string(b))
		back.At, back.Arrived = ev.At, ev.Arrived
		assert.Equal(t, ev, back, string(b))
		assert.Equal(t, uint64(i+1), ev.Seq, "gap-free from 1")
	}
	golden(t, "events-shaping.jsonl", lines)
}

// Encoding refuses what would not decode to the same op: fields the kind
// does not read, unknown kinds, a set-policy without a policy.
func TestWire_OpRefusesWhatItCannotCarry(t *testing.T) {
	for _, op := range []Op{
		{},
		{Kind: 99},
		{Kind: OpClose, Session: "s1", Agent: "stray"},
		{Kind: OpAdvance, Session: "s1"},
		{Kind: OpArrive, Session: "s1"}, // the session of an arrival is Arrival.Session
		{Kind: OpSetPolicy},
		{Kind: OpLogin, Agent: "a", Capacity: agent.Limit(3)},
	} {
		_, err := op.MarshalJSON()
		assert.ErrorIs(t, err, ErrInvalidOp, "%+v", op)
	}
	_, err := Event{Kind: 99}.MarshalJSON()
	assert.ErrorIs(t, err, ErrInvalidOp)
}

// Decoding accepts only the canonical bytes.
func TestWire_OpDecodesOnlyCanonicalBytes(t *testing.T) {
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"op":"close"`, `{"op":"nope"}`, `{"op":"close","session":"s1","extra":1}`,
		`{ "op":"close","session":"s1"}`, `{"session":"s1","op":"close"}`, `{"op":"close","session":"s1","agent":"a"}`,
		`{"op":"close","session":"s1"}x`, `{"v":2,"op":"close","session":"s1"}`, `{"v":1,"op":"close","session":"s1"}`,
		`{"op":"set-status","agent":"a","status":"online "}`, `{"op":"set-status","agent":"a","status":1}`,
		`{"op":"arrive","session":"s","crowds":[{"crowd":"c","since":"2026-01-01T00:00:00.000Z"}]}`,
		`{"op":"set-capacity","agent":"a","capacity":"020"}`,
	} {
		var op Op
		err := op.UnmarshalJSON([]byte(s))
		assert.ErrorIs(t, err, ErrInvalidOp, "%q decoded to %+v", s, op)
		assert.Equal(t, Op{}, op, "%q: unchanged", s)
	}
	var op Op
	require.NoError(t, op.UnmarshalJSON([]byte(`{"op":"set-status","agent":"a","status":9}`)))
	assert.Equal(t, agent.Status(9), op.Status, "an unnamed value travels as its number")
}

// FuzzOpJSON: any bytes decode to an error or to an op that encodes to
// the same bytes; never a panic. Seeded with the golden ops.
func FuzzOpJSON(f *testing.F) {
	seedLines(f, "testdata/wire/ops.jsonl")
	f.Add([]byte(`{"op":"close","session":"\u00ff"}`))
	f.Add([]byte(`{"op":"set-policy","policy":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var op Op
		if err := op.UnmarshalJSON(b); err != nil {
			if !strings.Contains(err.Error(), "dispatch: invalid op") {
				t.Fatalf("error %v does not wrap ErrInvalidOp", err)
			}
			return
		}
		again, err := op.MarshalJSON()
		if err != nil {
			t.Fatalf("%s decoded to an op that does not encode: %v", b, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("%s re-encodes to %s", b, again)
		}
	})
}

// FuzzEventJSON: the same property for events.
func FuzzEventJSON(f *testing.F) {
	seedLines(f, "testdata/wire/events.jsonl")
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev Event
		if err := ev.UnmarshalJSON(b); err != nil {
			return
		}
		again, err := ev.MarshalJSON()
		if err != nil {
			t.Fatalf("%s decoded to an event that does not encode: %v", b, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("%s re-encodes to %s", b, again)
		}
	})
}

func seedLines(f *testing.F, path string) {
	file, err := os.Open(path)
	if err != nil {
		f.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		f.Add(bytes.Clone(sc.Bytes()))
	}
}

// shapingScene is a shop with queue shaping (E6-E9) whose events show
// EventRefused, EventInactive, CauseQueueCap, CauseMaxWait,
// CauseWidened and FlagInactive.
func shapingScene(t *testing.T) []Event {
	t.Helper()
	at := func(m int) time.Time { return time.Date(2026, 11, 12, 9, m, 0, 0, policy.ChinaStandardTime()) }
	p := policy.Policy{AgingStep: time.Minute, QueueCap: 1, MaxWait: 3 * time.Minute, Divert: policy.DivertRefuse,
		InactiveAfter: 10 * time.Minute, Groups: []policy.Group{
			{ID: "vip", Crowds: []string{"vip"}, Rings: []policy.Ring{{After: 2 * time.Minute, Groups: []string{"gen"}}}},
			{ID: "gen"}, {ID: "solo", Crowds: []string{"solo"}}}}
	e, err := New(p)
	require.NoError(t, err)
	var all []Event
	do := func(evs []Event, err error) {
		require.NoError(t, err)
		all = append(all, evs...)
	}
	vip := []Membership{{Crowd: "vip"}}
	do(e.AddAgent(at(0), "v", AgentConfig{Capacity: agent.Limit(1), Group: "vip"}))
	do(e.AddAgent(at(0), "g", AgentConfig{Capacity: agent.Limit(1), Group: "gen"}))
	do(e.Arrive(at(0), Arrival{Session: "s1", Buyer: "b1", Crowds: vip})) // v
	do(e.Arrive(at(0), Arrival{Session: "s2", Buyer: "b2"}))              // g
	do(e.Arrive(at(1), Arrival{Session: "q2", Buyer: "b4", Crowds: vip})) // queued, in the vip pool
	do(e.Arrive(at(1), Arrival{Session: "q3", Buyer: "b5"}))              // refused: queue-cap
	do(e.Close(at(2), "s2"))                                              // g: nothing it may take yet
	all = append(all, e.Advance(at(3))...)                                // q2's ring opens: g takes it, widened
	do(e.Message(at(4), Message{Session: "q2", From: FromAgent, Agent: "g"}))
	all = append(all, e.Advance(at(13))...)                                                          // q2 inactive: 10 min since 9:03
	do(e.Arrive(at(20), Arrival{Session: "q5", Buyer: "b6", Crowds: []Membership{{Crowd: "solo"}}})) // queued: no solo agent
	all = append(all, e.Advance(at(24))...)                                                          // q5 refused: max-wait at 9:23
	do(e.Message(at(30), Message{Session: "q2", From: FromBuyer}))                                   // q2 counts again
	require.NoError(t, e.Verify())
	return all
}
