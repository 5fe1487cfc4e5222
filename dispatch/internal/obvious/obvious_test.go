package obvious

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 11, 20, 0, 0, 0, time.UTC)

func TestShop(t *testing.T) {
	var s Shop
	var evs []Event
	must := func(out []Event, err error) []Event {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	now := t0
	tick := func() time.Time { now = now.Add(time.Second); return now }
	for i := range 3 {
		evs = must(s.AddAgent(evs[:0], tick(), fmt.Sprintf("a%d", i), 2))
	}
	// Six sessions fill three agents of cap 2, spread evenly.
	for i := range 6 {
		evs = must(s.Arrive(evs[:0], tick(), fmt.Sprintf("s%d", i), "b"))
		if len(evs) != 1 || evs[0].Kind != Assigned || evs[0].Agent != fmt.Sprintf("a%d", i%3) {
			t.Fatalf("s%d: %+v", i, evs)
		}
	}
	for i := range 3 {
		if load, c, _ := s.Agent(fmt.Sprintf("a%d", i)); load != 2 || c != 2 {
			t.Fatalf("a%d: load %d cap %d", i, load, c)
		}
	}
	// The rest queue, FIFO, with a priority buyer ahead.
	for i := 6; i < 10; i++ {
		evs = must(s.Arrive(evs[:0], tick(), fmt.Sprintf("s%d", i), "b"))
		if len(evs) != 1 || evs[0].Kind != Queued {
			t.Fatalf("s%d: %+v", i, evs)
		}
	}
	evs = must(s.ArrivePriority(evs[:0], tick(), "vip", "b", 1))
	for i, id := range []string{"vip", "s6", "s7", "s8", "s9"} {
		if pos, n, ok := s.Position(id); !ok || pos != i+1 || n != 5 {
			t.Fatalf("position of %s: %d of %d, %v", id, pos, n, ok)
		}
	}
	if _, _, ok := s.Position("s0"); ok {
		t.Fatal("s0 is not waiting")
	}
	// Leave from the middle.
	evs = must(s.Leave(evs[:0], tick(), "s7"))
	if pos, n, _ := s.Position("s8"); pos != 3 || n != 4 {
		t.Fatalf("s8 at %d of %d", pos, n)
	}
	if _, err := s.Leave(evs[:0], tick(), "s0"); !errors.Is(err, ErrNotWaiting) {
		t.Fatal(err)
	}
	// Closing pulls the head to the freed agent.
	for _, want := range []string{"vip", "s6", "s8"} {
		evs = must(s.Close(evs[:0], tick(), closeNext(&s)))
		if len(evs) != 2 || evs[1].Kind != Assigned || evs[1].Session != want || evs[1].Agent != evs[0].Agent {
			t.Fatalf("want %s pulled: %+v", want, evs)
		}
	}
	for i := range 3 {
		if load, _, _ := s.Agent(fmt.Sprintf("a%d", i)); load > 2 {
			t.Fatalf("a%d over capacity: %d", i, load)
		}
	}
	if open, waiting := s.Lens(); open != 7 || waiting != 1 {
		t.Fatalf("open %d waiting %d", open, waiting)
	}
	if _, err := s.Close(evs[:0], tick(), "nobody"); !errors.Is(err, ErrUnknownSession) {
		t.Fatal(err)
	}
	// A steady state does not allocate.
	evs = evs[:0]
	allocs := testing.AllocsPerRun(100, func() {
		evs, _ = s.Arrive(evs[:0], tick(), "x", "b")
		evs, _ = s.Close(evs[:0], tick(), "x")
		_, _, _ = s.Position("s9")
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per run", allocs)
	}
}

// closeNext returns the id of some session held by an agent.
func closeNext(s *Shop) string {
	for id, x := range s.sessions {
		if x.agent >= 0 {
			return id
		}
	}
	return ""
}
