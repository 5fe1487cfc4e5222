package dispatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// randomOps draws n operations from a seeded generator.
func randomOps(seed uint64, n int) ([]time.Duration, []op) {
	r := rand.New(rand.NewPCG(seed, 7))
	dts, ops := make([]time.Duration, n), make([]op, n)
	for i := range ops {
		dts[i], ops[i] = opFromBytes(byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()))
	}
	return dts, ops
}

func render(evs []Event) string {
	var b bytes.Buffer
	for _, ev := range evs {
		fmt.Fprintf(&b, "%+v\n", ev)
	}
	return b.String()
}

// An engine restored from a snapshot taken at any step of a random run
// behaves identically to the original for the rest of the run: the same
// events, the same state, step by step.
func TestSnapshot_RestoredEngineBehavesIdentically(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 10
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		p := randomPolicies[seed%uint64(len(randomPolicies))]
		dts, ops := randomOps(seed, 600)
		orig, err := New(p)
		require.NoError(t, err)
		cut := int(seed*37) % len(ops)
		var copy *Engine
		now := t0
		for i, o := range ops {
			now = now.Add(dts[i])
			if i == cut {
				data, err := orig.Snapshot()
				require.NoError(t, err)
				copy, err = Restore(p, data)
				require.NoError(t, err, "seed %d step %d", seed, i)
				require.Equal(t, dump(orig), dump(copy), "seed %d: restored state", seed)
			}
			evs, err := o.do(orig, now)
			want := render(evs)
			if copy == nil {
				continue
			}
			evs2, err2 := o.do(copy, now)
			require.Equal(t, err == nil, err2 == nil, "seed %d step %d (%s): %v vs %v", seed, i, o.name, err, err2)
			require.Equal(t, want, render(evs2), "seed %d step %d (%s): events", seed, i, o.name)
			require.Equal(t, dump(orig), dump(copy), "seed %d step %d (%s): state", seed, i, o.name)
		}
		require.NotNil(t, copy)
	}
}

func sampleSnapshot(t *testing.T) (policy.Policy, []byte) {
	t.Helper()
	p := randomPolicies[5]
	dts, ops := randomOps(3, 300)
	e, err := New(p)
	require.NoError(t, err)
	now := t0
	for i, o := range ops {
		now = now.Add(dts[i])
		_, _ = o.do(e, now)
	}
	require.Greater(t, e.Sessions(), 0)
	data, err := e.Snapshot()
	require.NoError(t, err)
	return p, data
}

// Truncated at any length, or with any byte altered: a clear error, never
// a panic, never an engine.
func TestRestore_CorruptOrTruncated(t *testing.T) {
	p, data := sampleSnapshot(t)
	_, err := Restore(p, data)
	require.NoError(t, err)
	for n := 0; n < len(data); n++ {
		e, err := Restore(p, data[:n])
		require.ErrorIs(t, err, ErrCorruptSnapshot, "truncated to %d", n)
		require.Nil(t, e)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		bad := bytes.Clone(data)
		j := r.IntN(len(bad))
		bad[j] ^= byte(1 + r.IntN(255))
		e, err := Restore(p, bad)
		if err == nil { // a flip in the header's checksum digits' case, say
			require.NoError(t, e.Verify())
			continue
		}
		require.Nil(t, e)
		assert.True(t, errorsIsAny(err, ErrCorruptSnapshot, ErrSnapshotVersion), "flip at %d: %v", j, err)
	}
	_, err = Restore(p, []byte("kefu-snapshot 3 00000000\n{}"))
	assert.ErrorIs(t, err, ErrSnapshotVersion)
	_, err = Restore(policy.Policy{Strategy: 9}, data)
	assert.ErrorIs(t, err, policy.ErrInvalid)
}

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errorsIs(err, t) {
			return true
		}
	}
	return false
}

// resign gives a body a valid header, to get past the checksum to the
// content checks.
func resign(body []byte) []byte {
	head := fmt.Sprintf("%s %d %08x\n", snapshotMagic, SnapshotVersion, crc32.ChecksumIEEE(body))
	return append([]byte(head), body...)
}

// Inconsistent content behind a valid checksum: each edit breaks one rule
// and is refused by name.
func TestRestore_InconsistentContent(t *testing.T) {
	p, data := sampleSnapshot(t)
	body, err := snapshotBody(data)
	require.NoError(t, err)
	edits := []struct {
		name string
		f    func(s *snapshot)
	}{
		{"session held by an unknown agent", func(s *snapshot) {
			for i := range s.Sessions {
				s.Sessions[i].Place, s.Sessions[i].Agent = uint8(PlaceAgent), "ghost"
			}
		}},
		{"duplicate session", func(s *snapshot) { s.Sessions = append(s.Sessions, s.Sessions[0]) }},
		{"sequence beyond the counter", func(s *snapshot) { s.Seq = 0 }},
		{"unknown place", func(s *snapshot) { s.Sessions[0].Place = 9 }},
		{"unknown group", func(s *snapshot) { s.Agents[0].Group = "nowhere" }},
		{"capacity outside the bounds", func(s *snapshot) { s.Agents[0].Capacity = "-4" }},
		{"capacity not a number", func(s *snapshot) { s.Agents[0].Capacity = "lots" }},
		{"offline resume", func(s *snapshot) { s.Agents[0].Resume = uint8(agent.Offline) }},
		{"duplicate agent", func(s *snapshot) { s.Agents = append(s.Agents, s.Agents[0]) }},
		{"team level", func(s *snapshot) { s.Level = 40 }},
		{"negative unread", func(s *snapshot) { s.Sessions[0].Unread = -1 }},
		{"closed session before 1970", func(s *snapshot) {
			s.Agents[0].History = append(s.Agents[0].History, snapClosed{Session: "old", At: stime(time.Unix(-1, 0))})
			s.Agents[0].Seqs = append(s.Agents[0].Seqs, 1<<40)
		}},
		{"recent contact after the snapshot", func(s *snapshot) {
			s.Recent = map[string]string{"alice": s.Agents[0].ID}
			s.RecentAt = map[string]stime{"alice": stime(time.Time(s.Now).Add(time.Second))}
		}},
		{"recent contact time without an agent", func(s *snapshot) {
			s.Recent, s.RecentAt = nil, map[string]stime{"alice": s.Now}
		}},
		{"recent contact before 1970", func(s *snapshot) {
			s.Recent = map[string]string{"alice": s.Agents[0].ID}
			s.RecentAt = map[string]stime{"alice": stime(time.Unix(-5, 0))}
		}},
		// E1-E5
		{"offer without a deadline", func(s *snapshot) {
			s.Sessions[0].Place, s.Sessions[0].Agent, s.Sessions[0].From = uint8(PlaceOffered), s.Agents[0].ID, uint8(PlaceQueue)
		}},
		{"offer from the bot", func(s *snapshot) {
			u := s.Now
			s.Sessions[0].Place, s.Sessions[0].Agent, s.Sessions[0].From, s.Sessions[0].Until = uint8(PlaceOffered), s.Agents[0].ID, uint8(PlaceBot), &u
		}},
		{"offer to an unknown agent", func(s *snapshot) {
			u := s.Now
			s.Sessions[0].Place, s.Sessions[0].Agent, s.Sessions[0].From, s.Sessions[0].Until = uint8(PlaceOffered), "ghost", uint8(PlaceQueue), &u
		}},
		{"an offer's deadline on another place", func(s *snapshot) { u := s.Now; s.Sessions[0].Until = &u }},
		{"declined by an unknown agent", func(s *snapshot) { s.Sessions[0].Declined = []string{"ghost"} }},
		{"declined twice", func(s *snapshot) { s.Sessions[0].Declined = []string{s.Agents[0].ID, s.Agents[0].ID} }},
		{"reassigned too often", func(s *snapshot) { s.Sessions[0].Moves = 256 }},
		{"wrap-up with a session's sequence", func(s *snapshot) {
			s.Agents[0].Wraps = []snapWrap{{Session: "w", Seq: s.Sessions[0].Seq, Until: s.Now}}
		}},
		{"wrap-up with a sequence beyond the counter", func(s *snapshot) {
			s.Agents[0].Wraps = []snapWrap{{Session: "w", Seq: 1 << 40, Until: s.Now}}
		}},
		{"wrap-up without a deadline", func(s *snapshot) { s.Agents[0].Wraps = []snapWrap{{Session: "w", Seq: s.Seq}} }},
		{"waiting while an agent has room", func(s *snapshot) {
			s.Sessions[0].Place, s.Sessions[0].Agent = uint8(PlaceQueue), ""
			for i := range s.Agents {
				s.Agents[i].Capacity, s.Agents[i].Status, s.Agents[i].Resume = "unlimited", uint8(agent.Online), uint8(agent.Online)
			}
		}},
	}
	for _, ed := range edits {
		t.Run(ed.name, func(t *testing.T) {
			var s snapshot
			require.NoError(t, json.Unmarshal(body, &s))
			require.NotEmpty(t, s.Sessions)
			require.NotEmpty(t, s.Agents)
			ed.f(&s)
			bad, err := json.Marshal(s)
			require.NoError(t, err)
			e, err := Restore(p, resign(bad))
			require.ErrorIs(t, err, ErrCorruptSnapshot)
			require.Nil(t, e)
		})
	}
	// A policy other than the snapshot's: refused by name, not as corrupt.
	q := p
	q.Groups, q.GroupFallback = nil, false
	_, err = Restore(q, data)
	assert.ErrorIs(t, err, ErrPolicyMismatch)
	assert.NotErrorIs(t, err, ErrCorruptSnapshot)
	// A version 1 snapshot (no policy inside) the policy does not fit.
	var s snapshot
	require.NoError(t, json.Unmarshal(body, &s))
	s.Policy, s.EventSeq = nil, 0
	v1, err := json.Marshal(s)
	require.NoError(t, err)
	_, err = Restore(q, Frame(snapshotMagic, 1, v1))
	assert.ErrorIs(t, err, ErrCorruptSnapshot)
}

// R1: recent contacts survive a snapshot with their times, so they expire
// after a restore when they would have without one; a snapshot written
// before kefu kept the times restores its contacts as made at its Now.
func TestSnapshot_R1_RecentContactsKeepTheirAge(t *testing.T) {
	p := policy.Policy{Strategy: policy.RecentContact, RecentContactTTL: time.Hour}
	e, err := New(p)
	require.NoError(t, err)
	for _, id := range []string{"a", "b"} {
		_, err = e.AddAgent(t0, id, AgentConfig{Capacity: agent.Limit(5)})
		require.NoError(t, err)
	}
	at := t0.Add(time.Minute)
	_, err = e.Arrive(at, Arrival{Session: "s1", Buyer: "alice"}) // a: ids break the tie
	require.NoError(t, err)
	_, err = e.Close(at, "s1")
	require.NoError(t, err)
	data, err := e.Snapshot()
	require.NoError(t, err)

	// Alice returns at 59 minutes and at 60: to a, then to b (least
	// saturated, idle longer), on the original and on the restored engine.
	back := func(e *Engine, after time.Duration) string {
		t.Helper()
		evs, err := e.Arrive(at.Add(after), Arrival{Session: "s2", Buyer: "alice"})
		require.NoError(t, err)
		require.Len(t, evs, 1)
		return evs[0].Agent
	}
	for _, c := range []struct {
		after time.Duration
		want  string
	}{{59 * time.Minute, "a"}, {time.Hour, "b"}} {
		r, err := Restore(p, data)
		require.NoError(t, err)
		assert.Equal(t, c.want, back(r, c.after), "restored, back after %v", c.after)
		require.NoError(t, r.Verify())
	}

	// Without recentAt (an older snapshot): the contact counts from Now.
	body, err := snapshotBody(data)
	require.NoError(t, err)
	var s snapshot
	require.NoError(t, json.Unmarshal(body, &s))
	require.Equal(t, map[string]string{"alice": "a"}, s.Recent)
	require.True(t, at.Equal(time.Time(s.RecentAt["alice"])))
	s.RecentAt = nil
	s.Now = stime(at.Add(30 * time.Minute))
	old, err := json.Marshal(s)
	require.NoError(t, err)
	r, err := Restore(p, resign(old))
	require.NoError(t, err)
	assert.Equal(t, "a", back(r, 89*time.Minute), "an hour less a minute after the snapshot")
}

// FuzzRestore: any bytes, and any body behind a valid header, either
// restore into an engine whose invariants hold, or fail with
// ErrCorruptSnapshot, ErrSnapshotVersion or (a body with another policy
// inside) ErrPolicyMismatch; never a panic.
//
//	go test ./dispatch -run '^$' -fuzz FuzzRestore
func FuzzRestore(f *testing.F) {
	p := randomPolicies[5]
	p.OfferTimeout, p.ReassignAfter, p.WrapUp, p.OfferRetry = 2*time.Minute, 3*time.Minute, 30*time.Second, true               // E1-E5
	p.AgingStep, p.QueueCap, p.MaxWait, p.InactiveAfter, p.Weights = time.Minute, 5, 4*time.Minute, 2*time.Minute, weightKinds // E6, E8-E10
	for seed := uint64(1); seed <= 4; seed++ {
		dts, ops := randomOps(seed, 200)
		e, _ := New(p)
		now := t0
		for i, o := range ops {
			now = now.Add(dts[i])
			_, _ = o.do(e, now)
		}
		data, _ := e.Snapshot()
		f.Add(data, false)
		_, body, _ := bytes.Cut(data, []byte("\n"))
		f.Add(body, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, sign bool) {
		if sign {
			data = resign(data)
		}
		e, err := Restore(p, data)
		if err != nil {
			if !errorsIsAny(err, ErrCorruptSnapshot, ErrSnapshotVersion, ErrPolicyMismatch) {
				t.Fatalf("unexpected error: %v", err)
			}
			if e != nil {
				t.Fatal("an engine with an error")
			}
			return
		}
		if err := e.Verify(); err != nil {
			t.Fatal(err)
		}
	})
}

var errorsIs = errors.Is
