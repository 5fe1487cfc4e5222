// Command server is a reference HTTP server for kefu: a JSON API for
// shops, buyers and agents, and server-sent event streams, on a durable
// host (package dispatch/durable) that logs every op in a data directory
// before it applies it. It uses net/http and the standard library (and zap
// for the host's log); copy it and put your authentication, IM backend and
// message texts around it.
//
// Without -addr it runs a demo and exits: it starts the server on
// 127.0.0.1 in a temporary directory, drives a short scene through real
// HTTP calls (printed as curl lines with their answers), shuts it down,
// starts it again on the same directory and shows that the state and the
// event numbers (Event.Seq) go on. With -addr it serves until SIGINT or
// SIGTERM:
//
//	go run ./examples/server                                  # the demo
//	go run ./examples/server -addr :8080 -data ./kefu-data    # serve
//
// # Endpoints
//
// Shop:
//
//	POST   /shops                          {"shop":"demo","preset":"kuaishou"}   (douyin, taobao)
//	                                       or {"shop":"cc","policy":{"offerTimeout":"30s","wrapUp":"45s"}}   (package policy's JSON)
//	GET    /shops/{shop}                   dashboard: engine stats, queue, agents and loads, today's metrics
//	GET    /shops/{shop}/events            SSE: every event of the shop
//
// Buyer side:
//
//	POST   /shops/{shop}/sessions                    {"session":"s1","buyer":"b1"}   arrive (priority, entry, exclusive, crowds optional)
//	GET    /shops/{shop}/sessions/{session}          where it is; position and queue length while it waits
//	POST   /shops/{shop}/sessions/{session}/messages a buyer message ({"from":"bot"} or "system" also)
//	POST   /shops/{shop}/sessions/{session}/leave    the buyer gives up waiting
//	GET    /shops/{shop}/sessions/{session}/events   SSE: the session's events
//
// Agent side:
//
//	POST   /shops/{shop}/agents                      {"agent":"wang","capacity":20}   ("unlimited", "suspended"; "status":"offline" = not logged in yet)
//	DELETE /shops/{shop}/agents/{agent}
//	POST   /shops/{shop}/agents/{agent}/login
//	POST   /shops/{shop}/agents/{agent}/logout
//	PUT    /shops/{shop}/agents/{agent}/status       {"status":"break"}   (online, break, offline)
//	PUT    /shops/{shop}/agents/{agent}/capacity     {"capacity":20}
//	GET    /shops/{shop}/agents/{agent}/sessions     current sessions, Feige's order; ?offset=0&limit=50
//	GET    /shops/{shop}/agents/{agent}/history      closed sessions, newest first; ?offset=0&limit=50
//	POST   /shops/{shop}/agents/{agent}/sessions/{session}/messages   the agent's reply
//	POST   /shops/{shop}/agents/{agent}/sessions/{session}/close      frees a place: the queue head comes in
//	POST   /shops/{shop}/agents/{agent}/sessions/{session}/transfer   {"to":"li"}
//	POST   /shops/{shop}/agents/{agent}/sessions/{session}/accept     an offer (E1, policy "offerTimeout")
//	POST   /shops/{shop}/agents/{agent}/sessions/{session}/reject     it goes to the next agent
//	POST   /shops/{shop}/agents/{agent}/wrap-up/end                   ends wrap-ups early (E5): the queue head comes in
//	GET    /shops/{shop}/agents/{agent}/events       SSE: the agent's events
//
// Every op answers {"events":[...]}, the events it caused in their JSON
// wire form ({"seq":3,"kind":"assigned","session":"s1","agent":"wang",…}).
// Errors answer {"error":"..."} with a status by class: not found 404,
// conflict 409 (a duplicate id, a session in the wrong place, an offline
// agent), invalid input 400 (bad JSON too), 503 while shutting down, and
// 500 for a failure of the storage.
//
// A few calls:
//
//	curl -s -X POST localhost:8080/shops -d '{"shop":"demo","preset":"kuaishou"}'
//	curl -s -X POST localhost:8080/shops/demo/agents -d '{"agent":"wang","capacity":1}'
//	curl -N localhost:8080/shops/demo/agents/wang/events &
//	curl -s -X POST localhost:8080/shops/demo/sessions -d '{"session":"s1","buyer":"b1"}'
//	curl -s -X POST localhost:8080/shops/demo/sessions -d '{"session":"s2","buyer":"b2"}'
//	curl -s localhost:8080/shops/demo/sessions/s2
//	curl -s -X POST localhost:8080/shops/demo/agents/wang/sessions/s1/close
//	curl -s localhost:8080/shops/demo
//
// # Events
//
// The streams carry the events of the ops (as their answers do) and of
// the host's timers (auto-closes, offline messages expiring), in Seq
// order. Each SSE message is one event: "id: <Event.Seq>" and "data: <its
// JSON wire form>". Seq numbers a shop's events without gaps, across
// restarts too. A client that reconnects with Last-Event-ID (or
// ?last_event_id=N) gets the events it missed while the server still holds
// them, else an "event: reset": reload the state through the API. A
// client that falls 64 events behind is disconnected, never waited for
// (see hub).
//
// # Durability and shutdown
//
// Every state change goes through host.Apply, which appends the op to
// the log in -data (fsynced) before the engine applies it; queries go
// through host.Read. On SIGINT or SIGTERM the server ends the SSE streams
// first, then stops the HTTP server (waiting up to 10 s for requests in
// flight), then closes the host (a snapshot of every shop changed since
// its last one) and the files, which releases the directory's lock. A
// second server on a directory in use refuses to start.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kefu-dev/kefu/dispatch/durable"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal kills the process
	}()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// run parses the flags and runs the demo, or serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "serve on this address (e.g. :8080); without it, run the demo and exit")
	data := fs.String("data", "kefu-data", "the data directory (with -addr)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *addr == "" {
		dataSet := false
		fs.Visit(func(f *flag.Flag) { dataSet = dataSet || f.Name == "data" })
		if dataSet {
			return errors.New("-data needs -addr (without -addr the program runs its demo in a temporary directory)")
		}
		return demo(stdout)
	}
	return serve(ctx, *addr, *data, stderr)
}

// serve serves the data directory dir on addr until ctx is done, then
// shuts down gracefully (see server.shutdown).
func serve(ctx context.Context, addr, dir string, logw io.Writer) error {
	zl := zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()),
		zapcore.AddSync(logw), zap.InfoLevel))
	in, err := start(dir, addr, logw, zl)
	if err != nil {
		return startError(dir, err)
	}
	in.log.Printf("serving http://%s with data in %s; SIGINT or SIGTERM stops it", in.addr, dir)
	select {
	case <-ctx.Done():
		in.log.Printf("shutting down: streams, then HTTP, then the host and the data directory")
	case <-in.served: // the listener failed
	}
	err = in.stop(10 * time.Second)
	if err == nil {
		in.log.Printf("stopped; %s is released", dir)
	}
	return err
}

// startError explains why a server could not start on dir.
func startError(dir string, err error) error {
	if errors.Is(err, durable.ErrLocked) {
		return fmt.Errorf("data directory %s is in use by another process (is another kefu server running on it?): %w", dir, err)
	}
	return fmt.Errorf("starting on %s: %w", dir, err)
}
