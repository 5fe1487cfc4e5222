package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
	"github.com/kefu-dev/kefu/policy"
)

// wait bounds every wait of the tests for something the server does; a
// test that reaches it fails.
const wait = 3 * time.Second

// testServer is a server on a data directory behind an httptest server.
type testServer struct {
	t  *testing.T
	s  *server
	ts *httptest.Server
}

// startServer opens dir and serves it; the test stops it (stop), or
// the cleanup does.
func startServer(t *testing.T, dir string) *testServer {
	t.Helper()
	s, err := open(dir, io.Discard, zap.NewNop())
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(s.mux)
	ts.Start()
	x := &testServer{t: t, s: s, ts: ts}
	t.Cleanup(func() {
		if x.s != nil {
			x.stop()
		}
	})
	return x
}

// stop shuts the server down as the program does (streams, HTTP, host,
// files) and fails the test if that does not finish cleanly in time.
func (x *testServer) stop() {
	x.t.Helper()
	s := x.s
	x.s = nil
	require.NoError(x.t, s.shutdown(x.ts.Config, wait))
	x.ts.Close()
}

// call makes a request and returns the status and the body.
func (x *testServer) call(method, path, body string) (int, []byte) {
	x.t.Helper()
	req, err := http.NewRequest(method, x.ts.URL+path, strings.NewReader(body))
	require.NoError(x.t, err)
	resp, err := x.ts.Client().Do(req)
	require.NoError(x.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(x.t, err)
	assert.Equal(x.t, "application/json", resp.Header.Get("Content-Type"), "%s %s", method, path)
	return resp.StatusCode, b
}

// op makes a request that must answer want, and returns its events.
func (x *testServer) op(want int, method, path, body string) []dispatch.Event {
	x.t.Helper()
	status, b := x.call(method, path, body)
	require.Equal(x.t, want, status, "%s %s: %s", method, path, b)
	var res opResult
	require.NoError(x.t, json.Unmarshal(b, &res), "%s", b)
	return res.Events
}

// get makes a GET that must answer 200 and decodes its body into v.
func (x *testServer) get(path string, v any) {
	x.t.Helper()
	status, b := x.call("GET", path, "")
	require.Equal(x.t, http.StatusOK, status, "GET %s: %s", path, b)
	require.NoError(x.t, json.Unmarshal(b, v), "%s", b)
}

// stream is an SSE stream read in the background.
type stream struct {
	t    *testing.T
	msgs chan sseMsg // closed at the stream's end
	err  error       // why it ended (nil: EOF), set before msgs is closed
}

// listen opens an SSE stream (lastID: the Last-Event-ID header, if not
// empty) and returns once the server has subscribed it.
func (x *testServer) listen(path, lastID string) *stream {
	x.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	x.t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", x.ts.URL+path, nil)
	require.NoError(x.t, err)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := x.ts.Client().Do(req)
	require.NoError(x.t, err)
	require.Equal(x.t, http.StatusOK, resp.StatusCode)
	require.Equal(x.t, "text/event-stream", resp.Header.Get("Content-Type"))
	st := &stream{t: x.t, msgs: make(chan sseMsg, 1024)}
	go func() {
		defer resp.Body.Close()
		st.err = readSSE(resp.Body, func(m sseMsg) error { st.msgs <- m; return nil })
		close(st.msgs)
	}()
	return st
}

// next returns the stream's next message; the test fails if none comes
// in time.
func (st *stream) next() sseMsg {
	st.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	select {
	case m, ok := <-st.msgs:
		if !ok {
			st.t.Fatalf("the stream ended (%v) while a message was awaited", st.err)
		}
		return m
	case <-ctx.Done():
		st.t.Fatal("no message on the stream in time")
	}
	return sseMsg{}
}

// events returns the next n messages as events, checking that each
// message's id is its event's Seq.
func (st *stream) events(n int) []dispatch.Event {
	st.t.Helper()
	var out []dispatch.Event
	for range n {
		m := st.next()
		require.Empty(st.t, m.event, "a plain event message")
		var ev dispatch.Event
		require.NoError(st.t, ev.UnmarshalJSON(m.data), "%s", m.data)
		require.Equal(st.t, ev.Seq, m.id, "the SSE id is the event's Seq")
		out = append(out, ev)
	}
	return out
}

// ended waits for the stream's end; the test fails if it goes on.
func (st *stream) ended() {
	st.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	select {
	case m, ok := <-st.msgs:
		if ok {
			st.t.Fatalf("unexpected message %q %s after the last one", m.event, m.data)
		}
		require.NoError(st.t, st.err)
	case <-ctx.Done():
		st.t.Fatal("the stream did not end in time")
	}
}

// seqs returns the events' Seq numbers.
func seqs(evs []dispatch.Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Seq
	}
	return out
}

// from returns the numbers first, first+1, …, last.
func from(first, last uint64) []uint64 {
	var out []uint64
	for n := first; n <= last; n++ {
		out = append(out, n)
	}
	return out
}

// wire returns the events' wire forms, for comparing events that went
// through JSON (times lose their zone names) with ones that did not.
func wire(evs []dispatch.Event) []string {
	var out []string
	for _, ev := range evs {
		b, err := ev.MarshalJSON()
		if err != nil {
			panic(err)
		}
		out = append(out, string(b))
	}
	return out
}

// kinds describes events as "kind session agent", for comparing scenes.
func kinds(evs []dispatch.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s", ev.Kind, ev.Session, ev.Agent)))
	}
	return out
}

// A scene through the API: a shop, an agent who logs in, buyers who
// arrive and wait, positions, a reply, a close that pulls the queue head
// in, a timer; the shop's stream carries every event the ops returned,
// with consecutive ids. After a clean shutdown a new server on the same
// directory has the same state and numbers its events on.
func TestEndToEnd_SceneStreamsAndRestart(t *testing.T) {
	dir := t.TempDir()
	x := startServer(t, dir)
	x.op(http.StatusCreated, "POST", "/shops", `{"shop":"tmall-1","preset":"kuaishou"}`)
	all := x.listen("/shops/tmall-1/events", "")

	var got []dispatch.Event // every event the ops returned, in order
	do := func(want int, method, path, body string) []dispatch.Event {
		t.Helper()
		evs := x.op(want, method, path, body)
		got = append(got, evs...)
		return evs
	}
	do(http.StatusCreated, "POST", "/shops/tmall-1/agents", `{"agent":"wang","capacity":1,"status":"offline"}`)
	mine := x.listen("/shops/tmall-1/agents/wang/events", "")
	buyer := x.listen("/shops/tmall-1/sessions/s3/events", "")

	evs := do(http.StatusCreated, "POST", "/shops/tmall-1/sessions", `{"session":"s1","buyer":"b1"}`)
	assert.Equal(t, []string{"offline s1"}, kinds(evs), "nobody logged in: the offline pool (O1)")
	evs = do(http.StatusOK, "POST", "/shops/tmall-1/agents/wang/login", "")
	assert.Equal(t, []string{"assigned s1 wang"}, kinds(evs), "login takes the offline message")
	assert.Equal(t, dispatch.FlagOffline, evs[0].Flags)
	do(http.StatusCreated, "POST", "/shops/tmall-1/sessions", `{"session":"s2","buyer":"b2","entry":"product"}`)
	evs = do(http.StatusCreated, "POST", "/shops/tmall-1/sessions", `{"session":"s3","buyer":"b3"}`)
	assert.Equal(t, []string{"queued s3"}, kinds(evs))

	var pos sessionView
	x.get("/shops/tmall-1/sessions/s3", &pos)
	assert.Equal(t, sessionView{Session: "s3", Buyer: "b3", Place: "queue", Position: 2, Length: 2}, clearTimes(pos))

	do(http.StatusOK, "POST", "/shops/tmall-1/sessions/s1/messages", "")
	evs = do(http.StatusOK, "POST", "/shops/tmall-1/agents/wang/sessions/s1/messages", "")
	assert.Equal(t, []string{"message s1 wang"}, kinds(evs))
	assert.Equal(t, dispatch.FromAgent, evs[0].Sender)

	evs = do(http.StatusOK, "POST", "/shops/tmall-1/agents/wang/sessions/s1/close", "")
	assert.Equal(t, []string{"closed s1 wang", "assigned s2 wang"}, kinds(evs), "the close pulls the queue head in (C5)")
	assert.Equal(t, dispatch.CauseFreed, evs[1].Cause)
	x.get("/shops/tmall-1/sessions/s3", &pos)
	assert.Equal(t, 1, pos.Position, "s3 moved up")

	var list, hist listResult
	x.get("/shops/tmall-1/agents/wang/sessions?limit=10", &list)
	require.Len(t, list.Sessions, 1)
	assert.Equal(t, "s2", list.Sessions[0].Session)
	x.get("/shops/tmall-1/agents/wang/history", &hist)
	require.Len(t, hist.Sessions, 1)
	assert.Equal(t, sessionView{Session: "s1", Buyer: "b1", Place: "closed", Flags: "offline", Reason: "manual"},
		clearTimes(hist.Sessions[0]))

	// A timer, from the host's timer loop (here driven with a later
	// clock): wang answered s2, whose buyer then stays silent 20 minutes
	// (L2); the auto-close pulls s3 in.
	do(http.StatusOK, "POST", "/shops/tmall-1/agents/wang/sessions/s2/messages", "")
	var shopNow time.Time
	require.NoError(t, x.s.host.Read(context.Background(), "tmall-1", func(e *dispatch.Engine) { shopNow = e.Now() }))
	var timed []dispatch.Event
	_, err := x.s.host.AdvanceDue(context.Background(), shopNow.Add(21*time.Minute), func(shop string, evs []dispatch.Event) {
		timed = append(timed, evs...) // the hub has them already (HostOptions.Publish)
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"closed s2 wang", "assigned s3 wang"}, kinds(timed))
	got = append(got, timed...)

	var dash dashboardView
	x.get("/shops/tmall-1", &dash)
	assert.Equal(t, 0, dash.Queue)
	assert.Equal(t, []agentView{{Agent: "wang", Status: "online", Capacity: "1", Load: 1}}, clearIdle(dash.Agents))
	assert.Equal(t, uint64(3), dash.Stats.Arrived)
	assert.Equal(t, uint64(1), dash.Stats.Closed["buyer-idle"])
	assert.Equal(t, 1, dash.Metrics.Panel.Shop.InReception, "the recorder saw every event")

	// The shop's stream carried every event, ids consecutive from 1.
	require.Equal(t, from(1, uint64(len(got))), seqs(got), "the ops' events are numbered without gaps")
	assert.Equal(t, wire(got), wire(all.events(len(got))))
	// wang's stream: the events about wang, in order.
	var wangs []dispatch.Event
	for _, ev := range got {
		if ev.Agent == "wang" {
			wangs = append(wangs, ev)
		}
	}
	assert.Equal(t, wire(wangs), wire(mine.events(len(wangs))))
	// The buyer's stream: s3 queued, then assigned by the timer.
	assert.Equal(t, []string{"queued s3", "assigned s3 wang"}, kinds(buyer.events(2)))

	last := got[len(got)-1].Seq
	x.stop()
	all.ended()
	mine.ended()
	buyer.ended()

	// The same directory, a new server.
	y := startServer(t, dir)
	y.get("/shops/tmall-1/agents/wang/sessions", &list)
	require.Len(t, list.Sessions, 1, "the state came back")
	assert.Equal(t, "s3", list.Sessions[0].Session)

	// A client that reconnects with the shop's last id missed nothing
	// (Engine.LastSeq says so) and just goes on; one that is behind
	// learns that this process cannot replay: reload.
	again := y.listen("/shops/tmall-1/events", fmt.Sprint(last))
	behind := y.listen("/shops/tmall-1/events", fmt.Sprint(last-1))
	m := behind.next()
	assert.Equal(t, "reset", m.event)
	assert.JSONEq(t, fmt.Sprintf(`{"last_event_id":%d}`, last-1), string(m.data))

	evs = y.op(http.StatusCreated, "POST", "/shops/tmall-1/sessions", `{"session":"s4","buyer":"b4"}`)
	evs = append(evs, y.op(http.StatusOK, "POST", "/shops/tmall-1/agents/wang/sessions/s3/close", "")...)
	assert.Equal(t, []string{"queued s4", "closed s3 wang", "assigned s4 wang"}, kinds(evs))
	assert.Equal(t, from(last+1, last+3), seqs(evs), "Event.Seq goes on across the restart")
	assert.Equal(t, wire(evs), wire(again.events(3)))

	// Within one process, a reconnecting client gets what it missed.
	resumed := y.listen("/shops/tmall-1/events", fmt.Sprint(last+1))
	assert.Equal(t, wire(evs[1:]), wire(resumed.events(2)))
}

// clearTimes drops a session view's times, which come from the wall clock.
func clearTimes(v sessionView) sessionView {
	v.Arrived, v.Entered, v.Deadline, v.LastMessage, v.WaitingSince, v.FirstReply, v.Closed = "", "", "", "", "", "", ""
	v.LastFrom, v.Unreplied, v.Unread = "", false, 0
	return v
}

func clearIdle(as []agentView) []agentView {
	for i := range as {
		as[i].IdleSince = ""
	}
	return as
}

// Every error answers {"error": …} with the status of its class.
func TestErrorClasses(t *testing.T) {
	x := startServer(t, t.TempDir())
	x.op(http.StatusCreated, "POST", "/shops", `{"shop":"s","preset":"douyin"}`)
	x.op(http.StatusCreated, "POST", "/shops/s/agents", `{"agent":"wang","capacity":5}`)
	x.op(http.StatusCreated, "POST", "/shops/s/agents", `{"agent":"li","capacity":5,"status":"offline"}`)
	x.op(http.StatusCreated, "POST", "/shops/s/sessions", `{"session":"s1","buyer":"b1"}`)

	for _, c := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"unknown shop", "GET", "/shops/nope", "", 404},
		{"op on an unknown shop", "POST", "/shops/nope/sessions", `{"session":"x"}`, 404},
		{"unknown session", "POST", "/shops/s/sessions/nope/leave", "", 404},
		{"unknown session's place", "GET", "/shops/s/sessions/nope", "", 404},
		{"unknown agent", "POST", "/shops/s/agents/nope/login", "", 404},
		{"unknown agent's list", "GET", "/shops/s/agents/nope/sessions", "", 404},
		{"unknown agent's stream", "GET", "/shops/s/agents/nope/events", "", 404},
		{"close by an unknown agent", "POST", "/shops/s/agents/nope/sessions/s1/close", "", 404},

		{"duplicate shop", "POST", "/shops", `{"shop":"s","preset":"taobao"}`, 409},
		{"duplicate agent", "POST", "/shops/s/agents", `{"agent":"wang","capacity":5}`, 409},
		{"duplicate session", "POST", "/shops/s/sessions", `{"session":"s1"}`, 409},
		{"leave while served", "POST", "/shops/s/sessions/s1/leave", "", 409},
		{"transfer to an offline agent", "POST", "/shops/s/agents/wang/sessions/s1/transfer", `{"to":"li"}`, 409},
		{"close another agent's session", "POST", "/shops/s/agents/li/sessions/s1/close", "", 409},
		{"reply in another agent's session", "POST", "/shops/s/agents/li/sessions/s1/messages", "", 409},
		{"remove a busy agent", "DELETE", "/shops/s/agents/wang", "", 409},

		{"bad JSON", "POST", "/shops", `{"shop":`, 400},
		{"unknown field", "POST", "/shops/s/sessions", `{"session":"s2","colour":"red"}`, 400},
		{"two values", "POST", "/shops/s/sessions", `{"session":"s2"} {}`, 400},
		{"unknown preset", "POST", "/shops", `{"shop":"t","preset":"pdd"}`, 400},
		{"invalid shop id", "POST", "/shops", `{"shop":"","preset":"taobao"}`, 400},
		{"capacity above Douyin's 200", "PUT", "/shops/s/agents/wang/capacity", `{"capacity":201}`, 400},
		{"unlimited on Douyin", "PUT", "/shops/s/agents/wang/capacity", `{"capacity":"unlimited"}`, 400},
		{"no capacity", "PUT", "/shops/s/agents/wang/capacity", `{}`, 400},
		{"unknown status", "PUT", "/shops/s/agents/wang/status", `{"status":"asleep"}`, 400},
		{"empty session id", "POST", "/shops/s/sessions", `{"buyer":"b"}`, 400},
		{"agent message on the buyer's route", "POST", "/shops/s/sessions/s1/messages", `{"from":"agent"}`, 400},
		{"negative page", "GET", "/shops/s/agents/wang/sessions?offset=-1", "", 400},
		{"page not a number", "GET", "/shops/s/agents/wang/history?limit=ten", "", 400},
		{"bad Last-Event-ID", "GET", "/shops/s/events?last_event_id=x", "", 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, b := x.call(c.method, c.path, c.body)
			assert.Equal(t, c.want, status, "%s", b)
			var e errorBody
			require.NoError(t, json.Unmarshal(b, &e), "%s", b)
			assert.NotEmpty(t, e.Error)
		})
	}

	// Nothing refused changed the shop: s1 is still wang's, alone.
	var list listResult
	x.get("/shops/s/agents/wang/sessions", &list)
	assert.Equal(t, 1, list.Total)
}

// The classes of the errors no request above reaches.
func TestStatusOf(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{fmt.Errorf("op: %w", dispatch.ErrUnknownShop), 404},
		{durable.ErrFenced, 409},
		{durable.ErrInvalidShop, 400},
		{invalid("bad"), 400},
		{durable.ErrClosed, 503},
		{durable.ErrLogFailed, 500},
		{errors.New("disk on fire"), 500},
	} {
		assert.Equal(t, c.want, statusOf(c.err), "%v", c.err)
	}
}

// Shutdown ends an open SSE stream at once: without that, Shutdown would
// wait for the stream until its timeout, serving all the while, with the
// directory still locked. Here it must finish, cleanly, well before.
func TestShutdownEndsOpenStreams(t *testing.T) {
	dir := t.TempDir()
	x := startServer(t, dir)
	x.op(http.StatusCreated, "POST", "/shops", `{"shop":"s","preset":"kuaishou"}`)
	x.op(http.StatusCreated, "POST", "/shops/s/agents", `{"agent":"wang"}`)
	streams := []*stream{
		x.listen("/shops/s/events", ""),
		x.listen("/shops/s/agents/wang/events", ""),
		x.listen("/shops/s/sessions/s9/events", ""),
	}
	x.op(http.StatusCreated, "POST", "/shops/s/sessions", `{"session":"s9"}`)

	s, ts := x.s, x.ts
	x.s = nil
	done := make(chan error, 1)
	go func() { done <- s.shutdown(ts.Config, 2*wait) }() // its own timeout is longer than this test's wait
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "shutdown did not have to give up on a request")
	case <-ctx.Done():
		t.Fatal("shutdown is still waiting: an open stream holds it")
	}
	for _, st := range streams {
		assert.Equal(t, []string{"assigned s9 wang"}, kinds(st.events(1)), "the queued event is written before the end")
		st.ended()
	}
	ts.Close()

	_, err := http.Get(ts.URL + "/shops/s")
	require.Error(t, err, "the old server no longer answers")
	f, err := durable.OpenFiles(dir, durable.FilesOptions{})
	require.NoError(t, err, "the directory is released")
	require.NoError(t, f.Close())
}

// A second server on a directory in use is refused with a clear message.
func TestSecondServerOnTheSameDirectory(t *testing.T) {
	dir := t.TempDir()
	startServer(t, dir)
	_, err := open(dir, io.Discard, zap.NewNop())
	require.ErrorIs(t, err, durable.ErrLocked)

	var stderr bytes.Buffer
	err = run(context.Background(), []string{"-addr", "127.0.0.1:0", "-data", dir}, io.Discard, &stderr)
	require.ErrorIs(t, err, durable.ErrLocked)
	assert.Contains(t, err.Error(), "is in use by another process")
}

// With -addr the program serves until its context ends, then stops
// cleanly and releases the directory.
func TestServeUntilSignal(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &logWatch{ready: make(chan string, 1)}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data", dir}, io.Discard, logs) }()
	waitCtx, waitCancel := context.WithTimeout(context.Background(), wait)
	defer waitCancel()
	var base string
	select {
	case base = <-logs.ready:
	case err := <-done:
		t.Fatalf("the server stopped at once: %v", err)
	case <-waitCtx.Done():
		t.Fatal("the server did not start")
	}
	resp, err := http.Post(base+"/shops", "application/json", strings.NewReader(`{"shop":"s","preset":"taobao"}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	_, err = durable.OpenFiles(dir, durable.FilesOptions{})
	require.ErrorIs(t, err, durable.ErrLocked, "serving: the directory is locked")

	cancel() // as SIGTERM does
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-waitCtx.Done():
		t.Fatal("the server did not stop")
	}
	f, err := durable.OpenFiles(dir, durable.FilesOptions{})
	require.NoError(t, err, "stopped: the directory is released")
	require.NoError(t, f.Close())
}

// logWatch is the server's log; it sends the address the server says it
// serves on.
type logWatch struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	sent  bool
	ready chan string
}

func (l *logWatch) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if m := regexp.MustCompile(`serving (http://\S+)`).FindStringSubmatch(l.buf.String()); m != nil && !l.sent {
		l.ready <- m[1]
		l.sent = true
	}
	return len(p), nil
}

// The demo runs, and shows the numbers going on across its restart.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), nil, &out, io.Discard))
	assert.Contains(t, out.String(), "# Event.Seq went on from 6 to 7 across the restart")
	assert.Contains(t, out.String(), "durable: directory is locked by another process")
	assert.Contains(t, out.String(), "wang's stream got 5 events, then ended:")
}

func TestFlags(t *testing.T) {
	err := run(context.Background(), []string{"-data", t.TempDir()}, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "-data needs -addr")
	err = run(context.Background(), []string{"extra"}, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "unexpected arguments")
}

// The dashboard's stats name every counter of dispatch.Stats, the offers,
// reassignments and wrap-ups (E1-E5) too, and the offered place.
func TestViewStats_OffersReassignmentsWrapUps(t *testing.T) {
	t0 := time.Date(2026, 11, 11, 9, 0, 0, 0, time.UTC)
	eng, err := dispatch.New(policy.Policy{OfferTimeout: 2 * time.Minute, ReassignAfter: 3 * time.Minute, WrapUp: time.Minute})
	require.NoError(t, err)
	step := func(_ []dispatch.Event, err error) { t.Helper(); require.NoError(t, err) }
	step(eng.AddAgent(t0, "sun", dispatch.AgentConfig{Capacity: agent.Limit(2)}))
	step(eng.Arrive(t0, dispatch.Arrival{Session: "d1", Buyer: "b1"}))                  // offered to sun
	step(eng.Accept(t0.Add(30*time.Second), "d1", "sun"))                               // accepted
	step(eng.Arrive(t0.Add(time.Minute), dispatch.Arrival{Session: "d2", Buyer: "b2"})) // offered to sun
	step(eng.Reject(t0.Add(90*time.Second), "d2", "sun"))                               // rejected: queued
	step(eng.AddAgent(t0.Add(2*time.Minute), "ma", dispatch.AgentConfig{Capacity: agent.Limit(2)}))
	// d2 offered to ma; 09:03:30 d1 reassigned from sun, offered to ma;
	// 09:04 d2's offer to ma times out.
	eng.Advance(t0.Add(4 * time.Minute))
	step(eng.Accept(t0.Add(5*time.Minute), "d1", "ma"))
	step(eng.Close(t0.Add(6*time.Minute), "d1")) // ma wraps up
	step(eng.Arrive(t0.Add(7*time.Minute), dispatch.Arrival{Session: "d3", Buyer: "b3"}))

	b, err := json.Marshal(viewStats(eng.Stats()))
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	for k, want := range map[string]float64{"offered": 5, "accepted": 2, "rejected": 1, "timed_out": 1,
		"reassigned": 1, "wrap_ups": 1, "queued": 2, "arrived": 3} {
		assert.Equal(t, want, got[k], k)
	}
	assert.Equal(t, 1.0, got["sessions"].(map[string]any)["offered"], "d3 on offer")
	assert.Equal(t, 1.0, got["sessions"].(map[string]any)["queue"], "d2")
	assert.Contains(t, got["assigned"], "reassigned")
}

// A shop created with a policy of its own (offers, wrap-up: E1, E5): an
// agent accepts or rejects an offer and ends its wrap-up through the API;
// an answer to an offer made to someone else is a conflict.
func TestOffersAndWrapUpThroughTheAPI(t *testing.T) {
	x := startServer(t, t.TempDir())
	x.op(http.StatusCreated, "POST", "/shops", `{"shop":"cc","policy":{"offerTimeout":"30s","wrapUp":"45s"}}`)
	status, _ := x.call("POST", "/shops", `{"shop":"cc2","preset":"kuaishou","policy":{}}`)
	assert.Equal(t, http.StatusBadRequest, status, "preset and policy")
	x.op(http.StatusCreated, "POST", "/shops/cc/agents", `{"agent":"an","capacity":1}`)
	x.op(http.StatusCreated, "POST", "/shops/cc/agents", `{"agent":"bo","capacity":1}`)

	evs := x.op(http.StatusCreated, "POST", "/shops/cc/sessions", `{"session":"s1","buyer":"b1"}`)
	require.Len(t, evs, 1)
	require.Equal(t, dispatch.EventOffered, evs[0].Kind)
	first, other := evs[0].Agent, map[string]string{"an": "bo", "bo": "an"}[evs[0].Agent]
	status, b := x.call("POST", "/shops/cc/agents/"+other+"/sessions/s1/accept", "")
	assert.Equal(t, http.StatusConflict, status, "%s", b)

	evs = x.op(http.StatusOK, "POST", "/shops/cc/agents/"+first+"/sessions/s1/reject", "")
	assert.Equal(t, []dispatch.Kind{dispatch.EventRejected, dispatch.EventOffered}, eventKinds(evs))
	assert.Equal(t, other, evs[1].Agent)
	evs = x.op(http.StatusOK, "POST", "/shops/cc/agents/"+other+"/sessions/s1/accept", "")
	assert.Equal(t, []dispatch.Kind{dispatch.EventAccepted}, eventKinds(evs))

	x.op(http.StatusCreated, "POST", "/shops/cc/sessions", `{"session":"s2","buyer":"b2"}`) // offered to first
	x.op(http.StatusOK, "POST", "/shops/cc/agents/"+first+"/sessions/s2/accept", "")
	evs = x.op(http.StatusCreated, "POST", "/shops/cc/sessions", `{"session":"s3","buyer":"b3"}`)
	assert.Equal(t, []dispatch.Kind{dispatch.EventQueued}, eventKinds(evs))
	evs = x.op(http.StatusOK, "POST", "/shops/cc/agents/"+other+"/sessions/s1/close", "")
	assert.Equal(t, []dispatch.Kind{dispatch.EventClosed, dispatch.EventWrapUp}, eventKinds(evs))
	evs = x.op(http.StatusOK, "POST", "/shops/cc/agents/"+other+"/wrap-up/end", "")
	assert.Equal(t, []dispatch.Kind{dispatch.EventWrapUpEnded, dispatch.EventOffered}, eventKinds(evs), "the queue head, in the same call")
	status, b = x.call("POST", "/shops/cc/agents/"+other+"/wrap-up/end", "")
	assert.Equal(t, http.StatusConflict, status, "%s", b)
}

func eventKinds(evs []dispatch.Event) []dispatch.Kind {
	var out []dispatch.Kind
	for _, ev := range evs {
		out = append(out, ev.Kind)
	}
	return out
}
