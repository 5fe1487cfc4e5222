package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/dispatch/durable"
	"github.com/kefu-dev/kefu/metrics"
	"github.com/kefu-dev/kefu/policy"
)

// server is the HTTP front of one durable host: its handlers turn requests
// into ops, which the host logs and applies, and publish the events to the
// hub, which feeds the SSE streams.
type server struct {
	files *durable.Files
	host  *durable.Host
	hub   *hub
	mux   *http.ServeMux
	log   *log.Logger

	// now is the time of every op a request makes: time.Now, or a test's
	// clock. (The host's timers run on the wall clock, in host.Run.)
	now func() time.Time
	// heartbeat is how often an idle SSE stream gets a comment line, so
	// that proxies keep it open.
	heartbeat time.Duration

	// streams is cancelled first at shutdown: every SSE handler returns,
	// so that http.Server.Shutdown has only short requests to wait for.
	streams    context.Context
	endStreams context.CancelFunc

	stopRun context.CancelFunc // ends host.Run
	runDone chan struct{}      // closed when it has

	locks [256]sync.Mutex // per shop, striped: see server.apply
}

// open opens the data directory dir (durable.ErrLocked if another process
// has it), starts a host on it and its timers, and returns the server.
// Close it with shutdown, or close if no HTTP server was started.
func open(dir string, logw io.Writer, zl *zap.Logger) (*server, error) {
	files, err := durable.OpenFiles(dir, durable.FilesOptions{Logger: zl})
	if err != nil {
		return nil, err
	}
	hb := newHub()
	host, err := durable.NewHost(context.Background(), durable.HostOptions{
		Log: files, Snapshots: files, Logger: zl,
		Engine: func(shop string, p policy.Policy) []dispatch.Option {
			rec, err := metrics.New(p.WithDefaults().Location) // the shop's days, in its zone
			if err != nil {
				panic(err) // cannot fail: a zone and no options
			}
			return []dispatch.Option{dispatch.WithObserver("metrics", rec)}
		},
		Publish: hb.publish, // every op's events, timers' too, in Seq order
	})
	if err != nil {
		files.Close()
		return nil, err
	}
	s := &server{files: files, host: host, hub: hb, log: log.New(logw, "kefu: ", log.LstdFlags),
		now: time.Now, heartbeat: 15 * time.Second}
	s.streams, s.endStreams = context.WithCancel(context.Background())
	var run context.Context
	run, s.stopRun = context.WithCancel(context.Background())
	s.runDone = make(chan struct{})
	go func() {
		defer close(s.runDone)
		host.Run(run, 0, nil) // auto-closes and expiries, on the wall clock (Publish delivers their events)
	}()
	s.routes()
	return s, nil
}

// close ends the SSE streams and the timers, then closes the host (which
// snapshots every shop with ops since its last snapshot, so the next start
// replays little) and the files, which releases the directory lock. Call
// it once no request can reach the host any more.
func (s *server) close(ctx context.Context) error {
	s.endStreams()
	s.stopRun()
	<-s.runDone
	err := s.host.Close(ctx)
	return errors.Join(err, s.files.Close())
}

// shutdown stops srv, which serves s, and then s, in this order:
//
//  1. end the SSE streams (each handler returns at once), so that no open
//     stream holds Shutdown while the process keeps serving;
//  2. srv.Shutdown: close the listeners and wait for the requests in
//     flight, for at most timeout (then srv.Close cuts the rest);
//  3. stop the timers, host.Close, files.Close (the directory lock is
//     released only now, so a successor cannot open it while this
//     process could still apply an op).
func (s *server) shutdown(srv *http.Server, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s.endStreams()
	err := srv.Shutdown(ctx)
	if err != nil {
		srv.Close()
		err = fmt.Errorf("http shutdown: %w", err)
	}
	return errors.Join(err, s.close(context.Background()))
}

// instance is a server listening on an address.
type instance struct {
	*server
	http     *http.Server
	addr     net.Addr
	served   chan struct{} // closed when Serve has returned
	serveErr error         // what it returned
}

// start opens dir and serves it on addr ("127.0.0.1:0" for any port).
func start(dir, addr string, logw io.Writer, zl *zap.Logger) (*instance, error) {
	s, err := open(dir, logw, zl)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, errors.Join(err, s.close(context.Background()))
	}
	in := &instance{server: s, addr: ln.Addr(), served: make(chan struct{}),
		http: &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		defer close(in.served)
		in.serveErr = in.http.Serve(ln)
	}()
	return in, nil
}

// stop shuts the instance down (see server.shutdown).
func (in *instance) stop(timeout time.Duration) error {
	err := in.shutdown(in.http, timeout)
	<-in.served
	if !errors.Is(in.serveErr, http.ErrServerClosed) {
		err = errors.Join(err, in.serveErr)
	}
	return err
}

// lock locks shop's stripe and returns its unlock.
func (s *server) lock(shop string) func() {
	h := fnv.New32a()
	h.Write([]byte(shop))
	mu := &s.locks[h.Sum32()%uint32(len(s.locks))]
	mu.Lock()
	return mu.Unlock
}

// apply runs op on shop at s.now(): check, if not nil, reads the engine
// first and may refuse the op; then the host logs the op and applies it
// (host.Apply), and its events go to the hub. Both hold the shop's lock
// here (a stripe of s.locks, so memory stays bounded whatever ids
// clients send), so a check and the op it guards are not split by
// another request's op.
//
// The op is not tied to the request's context: once the server has
// decided to apply it, a client that hangs up does not cancel it half way.
func (s *server) apply(ctx context.Context, shop string, op dispatch.Op, check func(*dispatch.Engine) error) ([]dispatch.Event, error) {
	ctx = context.WithoutCancel(ctx)
	defer s.lock(shop)()
	if check != nil {
		var cerr error
		if err := s.host.Read(ctx, shop, func(e *dispatch.Engine) { cerr = check(e) }); err != nil {
			return nil, err
		}
		if cerr != nil {
			return nil, cerr
		}
	}
	evs, err := s.host.Apply(ctx, shop, s.now(), op) // its events reach the hub by HostOptions.Publish
	if err != nil && statusOf(err) == http.StatusInternalServerError {
		s.log.Printf("shop %q: %s: %v", shop, op, err)
	}
	return evs, err
}

// invalid is a request error of the server's own (bad JSON, an unknown
// preset, a bad page), of dispatch's class ErrInvalid, so that one
// mapping serves every error.
type invalid string

func (e invalid) Error() string { return string(e) }
func (e invalid) Unwrap() error { return dispatch.ErrInvalid }

// statusOf maps an error to its HTTP status by class: dispatch.ErrNotFound
// 404, ErrConflict 409, ErrInvalid 400 (package durable's errors of a
// class, ErrInvalidShop and ErrFenced, are matched too); a closed host
// (shutting down) 503; anything else, a failure of the storage, 500.
func statusOf(err error) int {
	switch {
	case errors.Is(err, dispatch.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, dispatch.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, dispatch.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, durable.ErrClosed):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// fail writes err as {"error": "..."} with its status.
func fail(w http.ResponseWriter, err error) {
	writeJSON(w, statusOf(err), errorBody{err.Error()})
}

type errorBody struct {
	Error string `json:"error"`
}

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding the response failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// decode reads the request's JSON body into v. An empty body leaves v as
// it is (every body field is optional somewhere); unknown fields, bad
// JSON or more than one value are an invalid error (400).
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return invalid("bad JSON body: " + err.Error())
	}
	if dec.More() {
		return invalid("bad JSON body: more than one value")
	}
	return nil
}
