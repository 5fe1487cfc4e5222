package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/policy"
)

var china = time.FixedZone("CST", 8*3600)

// scene is a recorder with some of everything in its state: a forget
// boundary, sessions with the bot, queued, offline, held, started, one
// transferred, missed samples of sessions still waiting in a pool, live
// and stale pending samples, ratings and alerts.
func scene(tb testing.TB) *Recorder {
	r, err := New(china)
	require.NoError(tb, err)
	t0 := time.Date(2026, 11, 11, 9, 0, 0, 0, china)
	m := func(d time.Duration) time.Time { return t0.Add(d) }
	old := t0.AddDate(0, 0, -2)
	r.Feed([]dispatch.Event{
		{Kind: dispatch.EventAssigned, At: old, Session: "s0", Buyer: "b0", Agent: "c", Cause: dispatch.CauseArrival, Arrived: old},
		{Kind: dispatch.EventClosed, At: old.Add(time.Minute), Session: "s0", Agent: "c"},
	})
	r.Forget(DateOf(t0, china).AddDays(-1))
	r.Feed([]dispatch.Event{
		{Kind: dispatch.EventAssigned, At: m(0), Session: "s1", Buyer: "b1", Agent: "a", Cause: dispatch.CauseArrival, Arrived: m(0)},
		{Kind: dispatch.EventQueued, At: m(10 * time.Second), Session: "s2", Buyer: "b2", Arrived: m(10 * time.Second)},
		{Kind: dispatch.EventBot, At: m(20 * time.Second), Session: "s3", Buyer: "b3", Arrived: m(20 * time.Second)},
		{Kind: dispatch.EventOffline, At: m(30 * time.Second), Session: "s4", Buyer: "b4", Arrived: m(30 * time.Second)},
		{Kind: dispatch.EventAssigned, At: m(40 * time.Second), Session: "s5", Buyer: "b5", Agent: "b",
			Cause: dispatch.CauseStarted, Flags: dispatch.FlagStarted},
	})
	r.Advance(m(4 * time.Minute))
	r.Feed([]dispatch.Event{
		{Kind: dispatch.EventAssigned, At: m(5 * time.Minute), Session: "s6", Buyer: "b6", Agent: "b", Cause: dispatch.CauseArrival, Arrived: m(5 * time.Minute)},
		{Kind: dispatch.EventMessage, At: m(5 * time.Minute), Session: "s1", Agent: "a", Sender: dispatch.FromAgent},
		{Kind: dispatch.EventTransferred, At: m(5*time.Minute + 10*time.Second), Session: "s6", Agent: "a"},
		{Kind: dispatch.EventMessage, At: m(6 * time.Minute), Session: "s1", Sender: dispatch.FromBuyer},
	})
	require.NoError(tb, r.Rate(Rating{Session: "s1", Buyer: "b1", Agent: "a", Level: Disappointed,
		Reasons: ReasonBadAttitude, Source: Invitation, At: m(6 * time.Minute)}))
	require.NoError(tb, r.Rate(Rating{Buyer: "b9", Bot: true, Level: Satisfied, Source: SystemPush, At: m(6 * time.Minute)}))
	require.NoError(tb, r.verify())
	return r
}

// resign gives a body a valid header, to get past the checksum to the
// content checks.
func resign(body []byte) []byte {
	head := fmt.Sprintf("%s %d %08x\n", snapshotMagic, SnapshotVersion, crc32.ChecksumIEEE(body))
	return append([]byte(head), body...)
}

func decodeBody(tb testing.TB, data []byte) *snapshot {
	body, err := snapshotBody(data)
	require.NoError(tb, err)
	var s snapshot
	require.NoError(tb, json.Unmarshal(body, &s))
	return &s
}

// The scene's snapshot holds what it should: the live pending samples
// only, in order, and the state of every kind of session.
func TestSnapshot_Scene(t *testing.T) {
	r := scene(t)
	data, err := r.Snapshot()
	require.NoError(t, err)
	s := decodeBody(t, data)
	assert.Equal(t, []snapPending{
		{Session: "s6", ID: 7, Deadline: time.Date(2026, 11, 11, 1, 8, 0, 0, time.UTC)},
		{Session: "s6", ID: 9, Deadline: time.Date(2026, 11, 11, 1, 8, 10, 0, time.UTC), Agent: true},
	}, s.Pending, "s6's stale sample 8 (b's stint, transferred within its window) is left out")
	assert.Equal(t, uint64(9), s.NextID)
	assert.Equal(t, &Date{2026, time.November, 10}, s.Floor)
	assert.Equal(t, []snapAgent{{ID: "a", InReception: 2, Unreplied: 2}, {ID: "b", InReception: 1}}, s.Agents,
		"c served only on the forgotten day: Forget dropped it")
	ids := []string{}
	for _, ss := range s.Sessions {
		ids = append(ids, ss.ID+":"+ss.Place)
	}
	assert.Equal(t, []string{"s1:agent", "s2:queue", "s3:bot", "s4:offline", "s5:agent", "s6:agent"}, ids)
	assert.True(t, s.Sessions[1].ShopMissed && !s.Sessions[1].Received, "s2 missed while queued")
	assert.Equal(t, &snapCredit{Date{2026, time.November, 11}, "a"}, s.Sessions[5].Credit, "s6 credited to a after the transfer")
	assert.Len(t, s.Days, 1)
	assert.Len(t, s.Days[0].Ratings, 2)
	assert.Len(t, s.Days[0].Alerts, 2, "a slow first reply and a disappointed rating")

	c, err := Restore(china, data)
	require.NoError(t, err)
	again, err := c.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, string(data), string(again))
	assert.Nil(t, c.last)
	assert.Nil(t, c.cDay)
	assert.Equal(t, 2, c.pending.n)
}

// Inconsistent content behind a valid checksum: each edit breaks one rule
// and is refused with ErrCorruptSnapshot.
func TestRestore_InconsistentContent(t *testing.T) {
	data, err := scene(t).Snapshot()
	require.NoError(t, err)
	body, err := snapshotBody(data)
	require.NoError(t, err)
	session := func(s *snapshot, id string) *snapSession {
		for i := range s.Sessions {
			if s.Sessions[i].ID == id {
				return &s.Sessions[i]
			}
		}
		panic(id)
	}
	hour := func(s *snapshot, h int) *snapHour {
		for i := range s.Days[0].Hours {
			if s.Days[0].Hours[i].Hour == h {
				return &s.Days[0].Hours[i]
			}
		}
		panic(h)
	}
	agentDay := func(s *snapshot, id string) *snapAgentDay {
		for i := range s.Days[0].Agents {
			if s.Days[0].Agents[i].Agent == id {
				return &s.Days[0].Agents[i]
			}
		}
		panic(id)
	}
	later := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	edits := []struct {
		name string
		f    func(s *snapshot)
	}{
		// Pending samples.
		{"pending sample of a session not open", func(s *snapshot) { s.Pending[0].Session = "gone" }},
		{"pending sample of another session", func(s *snapshot) { s.Pending[0].Session = "s1" }},
		{"pending sample of the other kind", func(s *snapshot) { s.Pending[0].Agent = true }},
		{"pending sample id beyond the next id", func(s *snapshot) { s.NextID = 8 }},
		{"pending sample id 0", func(s *snapshot) { s.Pending[0].ID = 0 }},
		{"pending sample twice", func(s *snapshot) { s.Pending = append(s.Pending, s.Pending[0]) }},
		{"running window not pending", func(s *snapshot) { s.Pending = s.Pending[1:] }},
		{"pending deadline after 2262", func(s *snapshot) { s.Pending[0].Deadline = later }},
		// Live counts.
		{"agent's in reception off", func(s *snapshot) { s.Agents[0].InReception++ }},
		{"agent's unreplied off", func(s *snapshot) { s.Agents[1].Unreplied = 1 }},
		{"negative agent count", func(s *snapshot) { s.Agents = append(s.Agents, snapAgent{ID: "c", InReception: -1}) }},
		{"queue length off", func(s *snapshot) { s.Queue = 2 }},
		{"offline length off", func(s *snapshot) { s.Offline = 0 }},
		{"bot count off", func(s *snapshot) { s.Bot = -1 }},
		{"duplicate agent", func(s *snapshot) { s.Agents = append(s.Agents, s.Agents[0]) }},
		// Sessions.
		{"duplicate session", func(s *snapshot) { s.Sessions = append(s.Sessions, s.Sessions[2]) }},
		{"session without an id", func(s *snapshot) { s.Sessions[2].ID = "" }},
		{"unknown place", func(s *snapshot) { s.Sessions[2].Place = "garden" }},
		{"no place", func(s *snapshot) { s.Sessions[2].Place = "" }},
		{"held by an unknown agent", func(s *snapshot) { s.Sessions[0].Agent = "ghost" }},
		{"queued yet held", func(s *snapshot) { session(s, "s2").Agent = "a" }},
		{"time after 2262", func(s *snapshot) { session(s, "s1").WaitSince = &later }},
		{"credit on a day not kept", func(s *snapshot) { session(s, "s6").Credit.Date = Date{2026, time.November, 12} }},
		{"credit to an agent without stats", func(s *snapshot) { session(s, "s6").Credit.Agent = "c" }},
		{"credit to another agent than the holder", func(s *snapshot) { session(s, "s6").Credit.Agent = "b" }},
		{"credit of a queued session", func(s *snapshot) { session(s, "s2").Credit = session(s, "s6").Credit }},
		{"consultation in hour 24", func(s *snapshot) { session(s, "s2").Consult.Hour = 24 }},
		{"consultation on a day not kept", func(s *snapshot) { session(s, "s2").Consult.Date = Date{2026, time.November, 12} }},
		{"consultation of a started session", func(s *snapshot) { session(s, "s5").Consult = session(s, "s2").Consult }},
		{"agent sample of a queued session", func(s *snapshot) {
			x := session(s, "s2")
			x.StintOpen, x.StintSample = true, 5
		}},
		{"agent sample with the stint closed", func(s *snapshot) { session(s, "s6").StintOpen = false }},
		{"shop sample of a started session", func(s *snapshot) { session(s, "s6").Started = true }},
		{"shop sample of a missed session", func(s *snapshot) { session(s, "s6").ShopMissed = true }},
		{"the bot's session out of the bot's hands", func(s *snapshot) { session(s, "s2").Shop = false }},
		{"received a started session", func(s *snapshot) { session(s, "s5").Received = true }},
		{"waiting since a time, yet replied", func(s *snapshot) { session(s, "s1").Unreplied = false }},
		{"sample id beyond the next id", func(s *snapshot) { session(s, "s1").StintSample, session(s, "s1").StintOpen = 10, true }},
		// Days.
		{"duplicate day", func(s *snapshot) { s.Days = append(s.Days, s.Days[0]) }},
		{"day before the forget boundary", func(s *snapshot) { s.Floor = &Date{2026, time.November, 12} }},
		{"hour 24", func(s *snapshot) { s.Days[0].Hours[0].Hour = 24 }},
		{"hours out of order", func(s *snapshot) { s.Days[0].Hours = append(s.Days[0].Hours, s.Days[0].Hours[0]) }},
		{"negative count", func(s *snapshot) { hour(s, 9).Human = -1 }},
		{"count beyond 2^40", func(s *snapshot) { hour(s, 9).Bot = 1 << 41 }},
		{"more in time than samples", func(s *snapshot) { hour(s, 9).ReplyRate = &snapRate{Num: 3, Den: 2} }},
		{"a mean of no sample", func(s *snapshot) { s.Days[0].Resp = &snapMean{Total: time.Second} }},
		{"fewer consultations than sessions counted there", func(s *snapshot) { hour(s, 9).Consultations = 3 }},
		{"a missed sample not counted", func(s *snapshot) { hour(s, 9).ReplyRate = &snapRate{Num: 0, Den: 1} }},
		{"today received below the sessions credited", func(s *snapshot) { agentDay(s, "a").Received = 0 }},
		{"stats of an unknown agent", func(s *snapshot) { s.Days[0].Agents[0].Agent = "ghost" }},
		{"stats twice", func(s *snapshot) { s.Days[0].Agents = append(s.Days[0].Agents, s.Days[0].Agents[0]) }},
		{"negative first responses", func(s *snapshot) { agentDay(s, "a").First = -1 }},
		{"rating twice", func(s *snapshot) { s.Days[0].Ratings = append(s.Days[0].Ratings, s.Days[0].Ratings[0]) }},
		{"rating without a buyer", func(s *snapshot) { s.Days[0].Ratings[0].Buyer = "" }},
		{"rating of another day", func(s *snapshot) { s.Days[0].Ratings[0].At = s.Days[0].Ratings[0].At.Add(24 * time.Hour) }},
		{"alert of another day", func(s *snapshot) { s.Days[0].Alerts[0].At = s.Days[0].Alerts[0].At.Add(-24 * time.Hour) }},
		{"alert of an unknown kind", func(s *snapshot) { s.Days[0].Alerts[0].Kind = "rude" }},
		{"alert with a negative wait", func(s *snapshot) { s.Days[0].Alerts[0].Wait = -time.Second }},
		{"qEnd after 2262", func(s *snapshot) { s.QEnd = &later }},
		{"a queue and no clock", func(s *snapshot) { s.Now = time.Time{} }},
		{"the queue's hour before the clock", func(s *snapshot) {
			q := s.Now.Add(-time.Hour)
			s.QEnd = &q
		}},
	}
	for _, ed := range edits {
		t.Run(ed.name, func(t *testing.T) { t.Log(requireRefused(t, body, ed.f)) })
	}

	// Edits the typed body cannot make (after a typed one, if any).
	raw := []struct {
		name, old, new string
		pre            func(s *snapshot)
	}{
		{"unknown field", `{"now":`, `{"extra":1,"now":`, nil},
		{"data after the body", `}]}]}`, `}]}]}{}`, nil},
		{"unknown rating level", `"level":"satisfied"`, `"level":"great"`, nil},
		{"invalid date", `"date":"2026-11-11"`, `"date":"2026-02-30"`, nil},
		{"not a date", `"date":"2026-11-11"`, `"date":"yesterday"`, nil},
		{"negative sample id", `"nextID":9`, `"nextID":-9`, nil},
		{"day without a date", `"days":[`, `"days":[{},`, func(s *snapshot) { s.Floor = nil }},
		{"credit without a date", `"credit":{"date":"2026-11-11",`, `"credit":{`, nil},
	}
	for _, ed := range raw {
		t.Run(ed.name, func(t *testing.T) {
			text := body
			if ed.pre != nil {
				var s snapshot
				require.NoError(t, json.Unmarshal(body, &s))
				ed.pre(&s)
				var err error
				text, err = json.Marshal(s)
				require.NoError(t, err)
			}
			require.Contains(t, string(text), ed.old)
			bad := strings.Replace(string(text), ed.old, ed.new, 1)
			r, err := Restore(china, resign([]byte(bad)))
			require.ErrorIs(t, err, ErrCorruptSnapshot)
			require.Nil(t, r)
		})
	}
	for _, b := range []string{"null", "", "[]", "{", `{"now":"2026-11-11T00:00:00Z"} {}`} {
		r, err := Restore(china, resign([]byte(b)))
		require.ErrorIs(t, err, ErrCorruptSnapshot, "%q", b)
		require.Nil(t, r)
	}

	// A time zone the days do not fit: the ratings at 09:06 in China are
	// on the day before at UTC-12.
	r, err := Restore(time.FixedZone("X", -12*3600), data)
	require.ErrorIs(t, err, ErrCorruptSnapshot)
	require.Nil(t, r)
}

// verify holds on every recorder: new, and after random runs on the
// engine with Forget calls. (Restore refuses whatever it fails on, so a
// recorder's own snapshot must pass it.)
func TestVerify_HoldsOnRandomRuns(t *testing.T) {
	r, err := New(china)
	require.NoError(t, err)
	require.NoError(t, r.verify())
	n := 8
	if testing.Short() {
		n = 2
	}
	for seed := uint64(1); seed <= uint64(n); seed++ {
		r := randomRecorder(t, seed, 400)
		require.NoError(t, r.verify(), "seed %d", seed)
		data, err := r.Snapshot()
		require.NoError(t, err)
		c, err := Restore(china, data)
		require.NoError(t, err, "seed %d", seed)
		again, err := c.Snapshot()
		require.NoError(t, err)
		require.Equal(t, string(data), string(again))
	}
}

// randomRecorder is a recorder fed n random operations on an engine
// (with the bot taking a share of the sessions), random ratings and a
// Forget.
func randomRecorder(tb testing.TB, seed uint64, n int) *Recorder {
	rnd := rand.New(rand.NewPCG(seed, 3))
	eng, err := dispatch.New(policy.Policy{BotWindows: []policy.Window{{Start: 0, End: 24 * time.Hour, Share: 0.3}}})
	require.NoError(tb, err)
	r, err := New(china, WithWindow(time.Duration(1+rnd.IntN(4))*time.Minute))
	require.NoError(tb, err)
	now := time.Date(2026, 10, 31, 20, 0, 0, 0, china)
	agents := []string{"a", "b", "c"}
	var sessions []string
	do := func(evs []dispatch.Event, err error) {
		if err == nil {
			r.Feed(evs)
		}
	}
	for _, id := range agents {
		do(eng.AddAgent(now, id, dispatch.AgentConfig{Capacity: agent.Limit(2)}))
	}
	for i := 0; i < n; i++ {
		now = now.Add(time.Duration(rnd.IntN(300)) * time.Second)
		s := fmt.Sprint("s", rnd.IntN(len(sessions)+1))
		a := agents[rnd.IntN(len(agents))]
		switch rnd.IntN(12) {
		case 0, 1:
			s = fmt.Sprint("s", len(sessions))
			sessions = append(sessions, s)
			do(eng.Arrive(now, dispatch.Arrival{Session: s, Buyer: fmt.Sprint("b", rnd.IntN(20))}))
		case 2:
			do(eng.Message(now, dispatch.Message{Session: s, From: dispatch.FromBuyer}))
		case 3, 4:
			do(eng.Message(now, dispatch.Message{Session: s, From: dispatch.FromAgent, Agent: a}))
		case 5:
			do(eng.Close(now, s))
		case 6:
			do(eng.Transfer(now, s, a))
		case 7:
			do(eng.Leave(now, s))
		case 8:
			do(eng.Handover(now, s))
		case 9:
			if rnd.IntN(2) == 0 {
				do(eng.Login(now, a))
			} else {
				do(eng.Logout(now, a))
			}
		case 10:
			s = fmt.Sprint("s", len(sessions))
			sessions = append(sessions, s)
			do(eng.Start(now, dispatch.Outbound{Session: s, Buyer: "vip", Agent: a}))
		case 11:
			x := Rating{Session: s, Buyer: fmt.Sprint("b", rnd.IntN(20)), Agent: a, Level: Level(1 + rnd.IntN(3)),
				Reasons: Reason(rnd.IntN(16)), Source: Source(1 + rnd.IntN(3)), At: now.Add(-time.Duration(rnd.IntN(48)) * time.Hour)}
			x.Bot = rnd.IntN(4) == 0
			require.NoError(tb, r.Rate(x))
		}
		do(eng.Advance(now), nil)
		r.Advance(now)
		if i == n/2 {
			r.Forget(DateOf(now, china).AddDays(-1))
		}
	}
	return r
}

// exercise feeds a restored recorder further events of its open sessions
// and of unknown ones, ratings, Advance and Forget calls, and asks every
// query: none may panic, and its state stays consistent.
func exercise(t *testing.T, r *Recorder) {
	now := r.Now()
	if now.IsZero() {
		now = time.Date(2026, 11, 11, 9, 0, 0, 0, china)
	}
	ids := make([]string, 0, len(r.sessions))
	for id := range r.sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	agents := []string{"a", "z"}
	for id := range r.agents {
		agents = append(agents, id)
	}
	slices.Sort(agents)
	for i, id := range append(ids, "new1", "new2") {
		at := now.Add(time.Duration(i) * 40 * time.Second)
		a := agents[i%len(agents)]
		ev := dispatch.Event{At: at, Session: id, Buyer: "b", Agent: a, Arrived: at}
		for _, k := range []dispatch.Kind{dispatch.EventMessage, dispatch.EventQueued, dispatch.EventAssigned,
			dispatch.EventMessage, dispatch.EventTransferred, dispatch.EventBot, dispatch.EventOffline,
			dispatch.EventMessage, dispatch.EventLeft, dispatch.EventClosed}[i%10:] {
			ev.Kind, ev.Sender = k, dispatch.Sender(i%4)
			r.Observe(ev)
			ev.At = ev.At.Add(time.Duration(i%7) * time.Minute)
		}
	}
	_ = r.Rate(Rating{Buyer: "b", Agent: "a", Level: Disappointed, Source: Invitation, At: now})
	r.Advance(now.Add(3 * time.Hour))
	d := r.DateOf(now)
	_ = r.Dashboard(now).String()
	_ = r.Replies(d.AddDays(-3), d.AddDays(1)).String()
	_ = r.Reviews(d.AddDays(-3), d.AddDays(1)).String()
	_ = r.Attitude(d.Year, d.Month).String()
	_ = r.Alerts(d.AddDays(-3), d.AddDays(1))
	_ = r.Overdue(now.Add(time.Hour))
	if err := r.verify(); err != nil {
		t.Fatalf("after further events: %v", err)
	}
	r.Forget(d)
	r.Advance(now.Add(50 * time.Hour))
	if err := r.verify(); err != nil {
		t.Fatalf("after Forget: %v", err)
	}
	if _, err := r.Snapshot(); err != nil && !strings.Contains(err.Error(), "Time.MarshalJSON") {
		t.Fatal(err)
	}
}

// A restored recorder takes further events of every kind, in any order,
// and keeps a consistent state.
func TestRestore_ThenAnything(t *testing.T) {
	for _, r := range []*Recorder{scene(t), randomRecorder(t, 1, 300)} {
		data, err := r.Snapshot()
		require.NoError(t, err)
		c, err := Restore(china, data)
		require.NoError(t, err)
		exercise(t, c)
		exercise(t, r)
	}
}

// FuzzRestore: any bytes, and any body behind a valid header, either
// restore into a recorder whose state is consistent, that snapshots to
// bytes restoring to itself and takes further events and queries; or
// fail with ErrCorruptSnapshot or ErrSnapshotVersion. Never a panic.
//
//	go test ./metrics -run '^$' -fuzz '^FuzzRestore$' -fuzztime 3m -parallel 1
//
// Minimizing a snapshot-sized input the fuzzer finds interesting takes
// its whole default minute (the minimizer is quadratic in the input's
// length): add -fuzzminimizetime 2s for many more executions per run.
func FuzzRestore(f *testing.F) {
	add := func(r *Recorder) {
		data, err := r.Snapshot()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false)
		_, body, _ := bytes.Cut(data, []byte("\n"))
		f.Add(body, true)
	}
	add(scene(f))
	for seed := uint64(1); seed <= 3; seed++ { // small: the fuzzer minimizes what it finds
		add(randomRecorder(f, seed, 60))
	}
	f.Fuzz(checkRestore)
}

// checkRestore is FuzzRestore's property.
func checkRestore(t *testing.T, data []byte, sign bool) {
	if sign {
		data = resign(data)
	}
	r, err := Restore(china, data)
	if err != nil {
		if !errors.Is(err, ErrCorruptSnapshot) && !errors.Is(err, ErrSnapshotVersion) {
			t.Fatalf("unexpected error: %v", err)
		}
		if r != nil {
			t.Fatal("a recorder with an error")
		}
		return
	}
	if err := r.verify(); err != nil {
		t.Fatal(err)
	}
	a, err := r.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Restore(china, a)
	if err != nil {
		t.Fatalf("a restored recorder's snapshot does not restore: %v", err)
	}
	b, err := c.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("snapshot → restore → snapshot differs:\n%s\n%s", a, b)
	}
	exercise(t, r)
}

// requireRefused decodes a snapshot body, edits it, signs it again and
// requires Restore to refuse it as corrupt, with no recorder; it returns
// the error.
func requireRefused(t *testing.T, body []byte, edit func(*snapshot)) error {
	t.Helper()
	var s snapshot
	require.NoError(t, json.Unmarshal(body, &s))
	edit(&s)
	bad, err := json.Marshal(s)
	require.NoError(t, err)
	r, err := Restore(china, resign(bad))
	require.ErrorIs(t, err, ErrCorruptSnapshot)
	require.Nil(t, r)
	return err
}
