package dispatch

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// Ids that are not valid UTF-8 are refused at the door (ErrInvalidID,
// class ErrInvalid): JSON, the format of snapshots and of the op wire
// format, cannot carry them, and "s\xff" and "s\xfe" would both become
// "s\uFFFD" and collide after a restore.
func TestInvalidUTF8IDsRefused(t *testing.T) {
	e, err := New(policy.Policy{})
	require.NoError(t, err)
	_, err = e.AddAgent(t0, "a", AgentConfig{})
	require.NoError(t, err)
	bad := []struct {
		name string
		op   Op
	}{
		{"agent id", Op{Kind: OpAddAgent, Agent: "a\xff"}},
		{"session id", Op{Kind: OpArrive, Arrival: Arrival{Session: "s\xff"}}},
		{"buyer id", Op{Kind: OpArrive, Arrival: Arrival{Session: "s1", Buyer: "b\xfe"}}},
		{"exclusive agent", Op{Kind: OpArrive, Arrival: Arrival{Session: "s1", Exclusive: "\xc3"}}},
		{"crowd", Op{Kind: OpArrive, Arrival: Arrival{Session: "s1", Crowds: []Membership{{Crowd: "\xff"}}}}},
		{"started session", Op{Kind: OpStart, Outbound: Outbound{Session: "s\xff", Agent: "a"}}},
		{"started buyer", Op{Kind: OpStart, Outbound: Outbound{Session: "s1", Buyer: "\xff", Agent: "a"}}},
	}
	for _, c := range bad {
		before, err := e.Snapshot()
		require.NoError(t, err)
		evs, err := e.Apply(t0, c.op)
		assert.ErrorIs(t, err, ErrInvalidID, c.name)
		assert.ErrorIs(t, err, ErrInvalid, c.name)
		assert.Nil(t, evs, c.name)
		after, err := e.Snapshot()
		require.NoError(t, err)
		assert.Equal(t, stateOf(before), stateOf(after), "%s: a refused op changed the state", c.name)
		_, err = c.op.MarshalJSON()
		assert.ErrorIs(t, err, ErrInvalidOp, "%s: the wire format refuses it too", c.name)
	}
	// Valid UTF-8 of any script is an id like any other.
	_, err = e.Arrive(t0, Arrival{Session: "会话-1", Buyer: "买家"})
	require.NoError(t, err)
	data, err := e.Snapshot()
	require.NoError(t, err)
	r, err := Restore(policy.Policy{}, data)
	require.NoError(t, err)
	_, ok := r.Session("会话-1")
	assert.True(t, ok)
}

// A zone whose UTC offset has seconds (a time.FixedZone with seconds, or
// a historical zone such as Amsterdam's +00:19:32 before 1937) keeps them
// through a snapshot: every instant, deadlines included, comes back
// exactly. (RFC 3339, and so time.Time's JSON, writes offsets in minutes.)
func TestSnapshot_OffsetWithSecondsKeepsInstants(t *testing.T) {
	zone := time.FixedZone("LMT", 5*3600+30*60+17) // +05:30:17
	start := time.Date(2026, 3, 1, 9, 0, 0, 123, zone)
	p := policy.Kuaishou()
	p.Location = zone
	e, err := New(p)
	require.NoError(t, err)
	_, err = e.AddAgent(start, "a", AgentConfig{Capacity: agent.Limit(1)})
	require.NoError(t, err)
	_, err = e.Arrive(start, Arrival{Session: "s1", Buyer: "b1"})
	require.NoError(t, err)
	_, err = e.Message(start.Add(time.Minute), Message{Session: "s1", From: FromAgent, Agent: "a"})
	require.NoError(t, err)
	_, err = e.Arrive(start.Add(2*time.Minute), Arrival{Session: "s2", Buyer: "b2"})
	require.NoError(t, err)
	_, err = e.Close(start.Add(3*time.Minute), "nobody") // rejected: nothing held, but the clock moved
	require.Error(t, err)

	data, err := e.Snapshot()
	require.NoError(t, err)
	r, err := Restore(p, data)
	require.NoError(t, err)
	assert.True(t, e.Now().Equal(r.Now()), "clock: %v, restored %v", e.Now(), r.Now())
	_, off := r.Now().Zone()
	assert.Equal(t, 5*3600+30*60+17, off, "the offset's seconds")
	for _, id := range []string{"s1", "s2"} {
		want, _ := e.Session(id)
		got, ok := r.Session(id)
		require.True(t, ok, id)
		for _, pair := range [][2]time.Time{{want.Arrived, got.Arrived}, {want.Deadline, got.Deadline},
			{want.LastMessage, got.LastMessage}, {want.Entered, got.Entered}} {
			assert.True(t, pair[0].Equal(pair[1]), "%s: %v restored as %v", id, pair[0], pair[1])
		}
	}
	again, err := r.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, string(data), string(again), "a restored engine snapshots to the same bytes")
	// And the wire format of events keeps them too.
	evs, err := e.Close(start.Add(4*time.Minute), "s1")
	require.NoError(t, err)
	for _, ev := range evs {
		b, err := ev.MarshalJSON()
		require.NoError(t, err)
		var back Event
		require.NoError(t, back.UnmarshalJSON(b), string(b))
		assert.True(t, back.At.Equal(ev.At), "%s: %v decoded as %v", b, ev.At, back.At)
		_, off := back.At.Zone()
		assert.Equal(t, 5*3600+30*60+17, off)
	}
}

// Policy.MaxClockStep guards a shop's clock against one bad timestamp: a
// time further ahead is refused as invalid input and changes nothing, not
// even the clock (so the shop is not stuck in 2262); Advance, driven by
// the host's own clock, is not bounded.
func TestMaxClockStep_RefusesTimesTooFarAhead(t *testing.T) {
	p := policy.Kuaishou()
	p.MaxClockStep = 24 * time.Hour
	e, err := New(p)
	require.NoError(t, err)
	_, err = e.AddAgent(t0, "a", AgentConfig{Capacity: agent.Limit(1)})
	require.NoError(t, err)
	_, err = e.Arrive(t0, Arrival{Session: "s1", Buyer: "b1"})
	require.NoError(t, err)
	before, err := e.Snapshot()
	require.NoError(t, err)

	far := time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
	evs, err := e.Arrive(far, Arrival{Session: "s2", Buyer: "b2"})
	assert.ErrorIs(t, err, ErrClockStep)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.Nil(t, evs)
	after, err := e.Snapshot()
	require.NoError(t, err)
	// Nothing moved, not even the clock; only the count of ops applied,
	// which numbers every call so that a journal's numbers stay unique.
	assert.Equal(t, stateOf(before), stateOf(after), "a refused time moves nothing, not even the clock")
	assert.Contains(t, string(after), `"ops":3,`)
	assert.True(t, e.Now().Equal(t0))

	// Exactly MaxClockStep ahead is allowed; 1 ns more is not.
	_, err = e.Arrive(t0.Add(24*time.Hour+time.Nanosecond), Arrival{Session: "s2"})
	assert.ErrorIs(t, err, ErrClockStep)
	_, err = e.Arrive(t0.Add(24*time.Hour), Arrival{Session: "s2"})
	assert.NoError(t, err)
	// Advance is the host's clock: not bounded.
	e.Advance(t0.Add(30 * 24 * time.Hour))
	assert.True(t, e.Now().Equal(t0.Add(30*24*time.Hour)))
	// Without the bound (the zero value) far times are taken as before.
	free, err := New(policy.Kuaishou())
	require.NoError(t, err)
	_, err = free.Arrive(far, Arrival{Session: "s"})
	assert.NoError(t, err)
}

// Engine.Now before any operation is the zero time (documented); after a
// restore it is the snapshot's clock.
func TestEngine_NowBeforeAnyOperation(t *testing.T) {
	e, err := New(policy.Policy{})
	require.NoError(t, err)
	assert.True(t, e.Now().IsZero())
	_, ok := e.NextDeadline()
	assert.False(t, ok)
	e.Advance(t0)
	assert.True(t, e.Now().Equal(t0))
}

// A Douyin shop has no "unlimited" capacity, and AgentConfig's zero
// Capacity is unlimited: the error says so and how to fix it.
func TestAddAgent_C3_ZeroCapacityOnDouyinSaysWhy(t *testing.T) {
	e, err := New(policy.Douyin())
	require.NoError(t, err)
	_, err = e.AddAgent(t0, "a", AgentConfig{})
	require.ErrorIs(t, err, ErrCapacityMode)
	require.ErrorIs(t, err, agent.ErrCapacityMode)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "AgentConfig.Capacity is zero")
	assert.Contains(t, err.Error(), "agent.Limit(")
	assert.True(t, strings.HasPrefix(err.Error(), "add agent"), err.Error())
}

// Every sentinel of the package belongs to exactly one class and reads
// "dispatch: …", so a transport maps errors in three lines.
func TestErrors_EachInExactlyOneClass(t *testing.T) {
	classes := []error{ErrNotFound, ErrConflict, ErrInvalid}
	want := map[error]error{
		ErrUnknownSession: ErrNotFound, ErrUnknownAgent: ErrNotFound, ErrUnknownShop: ErrNotFound,
		ErrDuplicateSession: ErrConflict, ErrNotWaiting: ErrConflict, ErrNotInReception: ErrConflict,
		ErrAgentOffline: ErrConflict, ErrSameAgent: ErrConflict, ErrNotYourSession: ErrConflict,
		ErrBuyerUnreachable: ErrConflict, ErrDMLimit: ErrConflict, ErrNotWithBot: ErrConflict,
		ErrDuplicateAgent: ErrConflict, ErrAgentBusy: ErrConflict, ErrDuplicateShop: ErrConflict,
		ErrShopClosed: ErrConflict, ErrPolicyConflict: ErrConflict,
		ErrEmptySessionID: ErrInvalid, ErrInvalidID: ErrInvalid, ErrInvalidSender: ErrInvalid,
		ErrInvalidPage: ErrInvalid, ErrInvalidTeamLevel: ErrInvalid, ErrInvalidPriority: ErrInvalid,
		ErrUnknownGroup: ErrInvalid, ErrClockStep: ErrInvalid, ErrInvalidPolicy: ErrInvalid,
		ErrPolicyMismatch: ErrInvalid, ErrInvalidOp: ErrInvalid, ErrEmptyAgentID: ErrInvalid,
		ErrInvalidStatus: ErrInvalid, ErrCapacityOutOfRange: ErrInvalid, ErrCapacityMode: ErrInvalid,
		ErrCorruptSnapshot: ErrInvalid, ErrSnapshotVersion: ErrInvalid,
	}
	for sentinel, class := range want {
		assert.True(t, strings.HasPrefix(sentinel.Error(), "dispatch: "), sentinel.Error())
		for _, c := range classes {
			assert.Equal(t, c == class, errors.Is(sentinel, c), "%q in class %q", sentinel, c)
		}
	}
	// The lower packages' sentinels still match.
	_, err := New(policy.Policy{Strategy: 9})
	assert.ErrorIs(t, err, ErrInvalidPolicy)
	assert.ErrorIs(t, err, policy.ErrInvalid)
	e, _ := New(policy.Policy{})
	_, err = e.Login(t0, "ghost")
	assert.ErrorIs(t, err, ErrUnknownAgent)
	assert.ErrorIs(t, err, agent.ErrUnknownAgent)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Equal(t, `dispatch: unknown agent: "ghost"`, err.Error())
}

// A version 1 snapshot (written before this format carried the policy,
// event numbers and observers) still restores, held events and all, and
// the engine goes on as it would have: the continuation recorded when
// the snapshot was written is reproduced step by step.
func TestRestore_Version1Snapshot(t *testing.T) {
	data, err := os.ReadFile("testdata/snapshot/v1.snap")
	require.NoError(t, err)
	want, err := os.ReadFile("testdata/snapshot/v1.continue")
	require.NoError(t, err)
	_, ok, err := SnapshotPolicy(data)
	require.NoError(t, err)
	assert.False(t, ok, "version 1 has no policy inside")
	p := policy.Kuaishou()
	p.BotWindows = []policy.Window{{Start: 0, End: 24 * time.Hour, Share: 0.3}}
	e, err := Restore(p, data)
	require.NoError(t, err)
	t2 := e.Now()
	var got []string
	var seqs []uint64
	do := func(evs []Event, err error) {
		got = append(got, v1Line(evs, err))
		for _, ev := range evs {
			seqs = append(seqs, ev.Seq)
		}
	}
	do(e.Close(t2.Add(time.Minute), "s2"))
	do(e.Message(t2.Add(2*time.Minute), Message{Session: "s6", From: FromBuyer}))
	do(e.SetStatus(t2.Add(3*time.Minute), "a1", agent.Online))
	got = append(got, v1Line(e.Advance(t2.Add(2*time.Hour)), nil))
	do(e.Arrive(t2.Add(3*time.Hour), Arrival{Session: "s20", Buyer: "b20"}))
	assert.Equal(t, string(want), strings.Join(got, "\n")+"\n")
	// Held events of a version 1 snapshot are numbered from 1, and on.
	for i, n := range seqs {
		require.Equal(t, uint64(i+1), n, "event #%d", i)
	}
	data2, err := e.Snapshot()
	require.NoError(t, err)
	_, ok, err = SnapshotPolicy(data2)
	require.NoError(t, err)
	assert.True(t, ok, "a new snapshot has the policy inside")
}

func v1Line(evs []Event, err error) string {
	var b strings.Builder
	for _, ev := range evs {
		b.WriteString(ev.At.UTC().Format(time.RFC3339Nano) + " " + ev.Kind.String() + " " + ev.Session + " " +
			ev.Agent + " " + ev.Cause.String() + " " + ev.Flags.String() + " " + ev.Reason.String() + "|")
	}
	if err != nil {
		b.WriteString("error")
	}
	return b.String()
}

// stateOf is a snapshot's body without the count of ops applied (which
// every call, refused or not, moves).
func stateOf(snapshot []byte) string {
	body := snapshot[bytes.IndexByte(snapshot, '\n')+1:]
	return regexp.MustCompile(`"ops":\d+,`).ReplaceAllString(string(body), "")
}

// L4: a snapshot that keeps more closed sessions per agent than the
// policy's limit (taken when the default limit was 200) restores with the
// newest ones, as SetPolicy lowering the limit would keep them.
func TestRestore_L4_HistoryAboveTheLimitKeepsTheNewest(t *testing.T) {
	const kept = 30
	e := newEngine(t, policy.Policy{HistoryLimit: kept})
	_, err := e.AddAgent(t0, "a", AgentConfig{Capacity: agent.Unlimited()})
	require.NoError(t, err)
	for i := range kept {
		id := fmt.Sprintf("s%d", i)
		_, err := e.Arrive(t0.Add(time.Duration(2*i)*time.Second), Arrival{Session: id})
		require.NoError(t, err)
		_, err = e.Close(t0.Add(time.Duration(2*i+1)*time.Second), id)
		require.NoError(t, err)
	}
	data, err := e.Snapshot()
	require.NoError(t, err)
	version, body, err := Unframe(snapshotMagic, data)
	require.NoError(t, err)
	old := strings.Replace(string(body), fmt.Sprintf(`"policy":{"historyLimit":%d}`, kept), `"policy":{}`, 1)
	require.NotEqual(t, string(body), old, "the snapshot names its limit")

	r, err := Restore(policy.Policy{}, Frame(snapshotMagic, version, []byte(old)))
	require.NoError(t, err)
	got, n, err := r.History("a", Page{})
	require.NoError(t, err)
	require.Equal(t, policy.DefaultHistoryLimit, n)
	want, _, err := e.History("a", Page{Limit: policy.DefaultHistoryLimit})
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, fmt.Sprintf("s%d", kept-1), got[0].Session, "newest first")
}

// A version 2 snapshot written before E1-E5 (testdata/snapshot/v2.snap,
// by commit 3c202b3) restores to the same bytes, and the engine goes on
// exactly as that version did: the 300 ops of v2.continue (time, op in
// the wire format, what it returned then) return the same now.
func TestRestore_SnapshotWrittenBeforeE1toE5(t *testing.T) { testOldSnapshot(t, "v2") }

// A version 2 snapshot written before E6-E11 (testdata/snapshot/
// v2-offers.snap, by commit fa0593e, under an E1-E5 policy: sessions on
// offer, declines, wrap-ups) restores to the same bytes and goes on
// exactly as that version did (v2-offers.continue).
func TestRestore_SnapshotWrittenBeforeE6toE11(t *testing.T) { testOldSnapshot(t, "v2-offers") }

// testOldSnapshot restores testdata/snapshot/<name>.snap under the policy
// of <name>.policy.json, checks that it snapshots to the same bytes, and
// plays the 300 ops of <name>.continue (time, op in the wire format, what
// that version returned), which must return the same now.
func testOldSnapshot(t *testing.T, name string) {
	data, err := os.ReadFile("testdata/snapshot/" + name + ".snap")
	require.NoError(t, err)
	pj, err := os.ReadFile("testdata/snapshot/" + name + ".policy.json")
	require.NoError(t, err)
	var p policy.Policy
	require.NoError(t, p.UnmarshalJSON(pj))
	e, err := Restore(p, data)
	require.NoError(t, err)
	again, err := e.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, string(data), string(again), "nothing new is written for a state without the newer rules")
	cont, err := os.ReadFile("testdata/snapshot/" + name + ".continue")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(cont), "\n"), "\n")
	require.Len(t, lines, 300)
	for i, line := range lines {
		f := strings.SplitN(line, "\t", 3)
		require.Len(t, f, 3, "line %d", i)
		at, err := time.Parse(time.RFC3339Nano, f[0])
		require.NoError(t, err)
		var op Op
		require.NoError(t, op.UnmarshalJSON([]byte(f[1])), "line %d", i)
		evs, err := e.Apply(at, op)
		require.Equal(t, f[2], v1Line(evs, err), "line %d: %s", i, f[1])
		require.NoError(t, e.Verify(), "line %d", i)
	}
}
