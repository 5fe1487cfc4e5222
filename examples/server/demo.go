package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/kefu-dev/kefu/dispatch"
)

// demo runs the server on 127.0.0.1 in a temporary directory, drives a
// short scene through real HTTP calls, printing each as a curl line with
// its answer, shuts the server down, starts it again on the same
// directory and shows that the state and Event.Seq go on. Any answer
// other than the one expected is an error.
func demo(w io.Writer) (err error) {
	dir, err := os.MkdirTemp("", "kefu-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	in, err := start(dir, "127.0.0.1:0", io.Discard, zap.NewNop())
	if err != nil {
		return startError(dir, err)
	}
	running := in
	defer func() {
		if running != nil { // an error midway: still stop cleanly
			err = errors.Join(err, running.stop(5*time.Second))
		}
	}()
	c := newClient(w, in)
	fmt.Fprintf(w, "# a kefu server on a temporary data directory\nKEFU=%s\n", c.base)

	c.say("a Kuaishou shop, and an agent with room for one buyer")
	c.call(http.StatusCreated, "POST", "/shops", `{"shop":"demo","preset":"kuaishou"}`)
	c.call(http.StatusCreated, "POST", "/shops/demo/agents", `{"agent":"wang","capacity":1}`)

	c.say("wang's event stream, open in the background")
	stream, err := c.listen("/shops/demo/agents/wang/events")
	if err != nil {
		return err
	}

	c.say("two buyers ask: the first goes to wang, the second waits")
	c.call(http.StatusCreated, "POST", "/shops/demo/sessions", `{"session":"s1","buyer":"b1"}`)
	c.call(http.StatusCreated, "POST", "/shops/demo/sessions", `{"session":"s2","buyer":"b2"}`)
	c.call(http.StatusOK, "GET", "/shops/demo/sessions/s2", "")

	c.say("b1 writes, wang answers")
	c.call(http.StatusOK, "POST", "/shops/demo/sessions/s1/messages", "")
	c.call(http.StatusOK, "POST", "/shops/demo/agents/wang/sessions/s1/messages", "")

	c.say("errors come back by class: s2 is not in wang's list (409), no agent li (404), bad JSON (400)")
	c.call(http.StatusConflict, "POST", "/shops/demo/agents/wang/sessions/s2/close", "")
	c.call(http.StatusNotFound, "POST", "/shops/demo/agents/li/login", "")
	c.call(http.StatusBadRequest, "PUT", "/shops/demo/agents/wang/capacity", `{"capacity":`)

	c.say("wang closes s1: the close frees a place and pulls s2 in, in the same op (C5)")
	c.call(http.StatusOK, "POST", "/shops/demo/agents/wang/sessions/s1/close", "")
	c.call(http.StatusOK, "GET", "/shops/demo/agents/wang/sessions", "")
	c.call(http.StatusOK, "GET", "/shops/demo", "")
	if c.err != nil {
		return c.err
	}

	c.say("a second server on the same directory is refused")
	if _, err := start(dir, "127.0.0.1:0", io.Discard, zap.NewNop()); err != nil {
		fmt.Fprintf(w, "server: %v\n", startError(dir, err))
	} else {
		return errors.New("a second server opened a directory in use")
	}

	c.say("SIGTERM: the streams end first, then HTTP stops, then the host snapshots and the directory is released")
	running = nil
	if err := in.stop(5 * time.Second); err != nil {
		return err
	}
	got, err := stream.wait(5 * time.Second)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "wang's stream got %d events, then ended:\n", len(got))
	for _, ev := range got {
		fmt.Fprintf(w, "  id: %d  %s\n", ev.Seq, ev)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq <= got[i-1].Seq {
			return fmt.Errorf("stream ids out of order: %d after %d", got[i].Seq, got[i-1].Seq)
		}
	}

	c.say("start again on the same directory")
	if in, err = start(dir, "127.0.0.1:0", io.Discard, zap.NewNop()); err != nil {
		return startError(dir, err)
	}
	running = in
	before := c.lastSeq
	c = newClient(w, in)
	fmt.Fprintf(w, "KEFU=%s\n", c.base)
	c.call(http.StatusOK, "GET", "/shops/demo/agents/wang/sessions", "")
	c.call(http.StatusCreated, "POST", "/shops/demo/sessions", `{"session":"s3","buyer":"b3"}`)
	if c.err != nil {
		return c.err
	}
	if c.firstSeq != before+1 {
		return fmt.Errorf("after the restart the events start at %d, want %d", c.firstSeq, before+1)
	}
	fmt.Fprintf(w, "\n# Event.Seq went on from %d to %d across the restart\n", before, c.firstSeq)
	running = nil
	return in.stop(5 * time.Second)
}

// client makes the demo's calls and prints them. The first unexpected
// answer is kept in err; after it every call does nothing.
type client struct {
	w    io.Writer
	base string
	http *http.Client
	err  error
	// firstSeq and lastSeq are the first and last Event.Seq the calls
	// got back.
	firstSeq, lastSeq uint64
}

func newClient(w io.Writer, in *instance) *client {
	return &client{w: w, base: "http://" + in.addr.String(), http: &http.Client{Timeout: 5 * time.Second}}
}

// say prints a comment line.
func (c *client) say(s string) {
	if c.err == nil {
		fmt.Fprintf(c.w, "\n# %s\n", s)
	}
}

// call makes one request, prints it as curl would be called and the
// answer, and checks its status.
func (c *client) call(want int, method, path, body string) {
	if c.err != nil {
		return
	}
	line := "curl -s"
	if method != "GET" {
		line += " -X " + method
	}
	line += " $KEFU" + path
	if body != "" {
		line += " -d '" + body + "'"
	}
	fmt.Fprintf(c.w, "$ %s\n", line)
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.err = err
		return
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.err = err
		return
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.err = err
		return
	}
	b = bytes.TrimSpace(b)
	var res opResult
	if json.Unmarshal(b, &res) == nil {
		for _, ev := range res.Events {
			if c.firstSeq == 0 {
				c.firstSeq = ev.Seq
			}
			c.lastSeq = ev.Seq
		}
	}
	if len(b) > 200 { // the dashboard: one field a line
		var out bytes.Buffer
		if json.Indent(&out, b, "", "  ") == nil {
			b = out.Bytes()
		}
	}
	fmt.Fprintf(c.w, "%d %s\n", resp.StatusCode, b)
	if resp.StatusCode != want {
		c.err = fmt.Errorf("%s %s: status %d, want %d", method, path, resp.StatusCode, want)
	}
}

// sseReader reads an SSE stream in the background.
type sseReader struct {
	events chan dispatch.Event // closed at the end of the stream
	errc   chan error          // its error, if it ended on one
	got    []dispatch.Event
}

// listen opens an SSE stream; it returns once the server has subscribed
// it (the response's headers are in).
func (c *client) listen(path string) (*sseReader, error) {
	fmt.Fprintf(c.w, "$ curl -N $KEFU%s &\n", path)
	resp, err := (&http.Client{}).Get(c.base + path) // no timeout: a stream lasts
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	r := &sseReader{events: make(chan dispatch.Event, 1024), errc: make(chan error, 1)}
	go func() {
		defer resp.Body.Close()
		defer close(r.events)
		r.errc <- readSSE(resp.Body, func(m sseMsg) error {
			if m.event != "" {
				return fmt.Errorf("unexpected %q message", m.event)
			}
			var ev dispatch.Event
			if err := ev.UnmarshalJSON(m.data); err != nil {
				return err
			}
			if ev.Seq != m.id {
				return fmt.Errorf("id %d carries event %d", m.id, ev.Seq)
			}
			r.events <- ev
			return nil
		})
	}()
	return r, nil
}

// wait returns the stream's events once it has ended, or an error if it
// has not ended within d.
func (r *sseReader) wait(d time.Duration) ([]dispatch.Event, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		select {
		case ev, ok := <-r.events:
			if !ok {
				return r.got, <-r.errc
			}
			r.got = append(r.got, ev)
		case <-ctx.Done():
			return r.got, errors.New("the event stream did not end at shutdown")
		}
	}
}

// sseMsg is one message of an SSE stream.
type sseMsg struct {
	event string // "" for a plain message (an event of the shop)
	id    uint64
	data  []byte
}

// readSSE calls f with each message of an SSE stream until it ends;
// comments and retry fields are skipped.
func readSSE(body io.Reader, f func(sseMsg) error) error {
	sc := bufio.NewScanner(body)
	var m sseMsg
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if m.data != nil {
				if err := f(m); err != nil {
					return err
				}
			}
			m.event, m.data = "", nil
		case strings.HasPrefix(line, "event: "):
			m.event = line[7:]
		case strings.HasPrefix(line, "id: "):
			if _, err := fmt.Sscan(line[4:], &m.id); err != nil {
				return fmt.Errorf("bad id line %q", line)
			}
		case strings.HasPrefix(line, "data: "):
			m.data = []byte(line[6:])
		}
	}
	return sc.Err()
}
