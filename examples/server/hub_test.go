package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
)

// evs returns events numbered first..last, of session "s<n mod 2>".
func evs(first, last uint64) []dispatch.Event {
	var out []dispatch.Event
	for n := first; n <= last; n++ {
		out = append(out, dispatch.Event{Seq: n, Kind: dispatch.EventMessage, Session: []string{"even", "odd"}[n%2]})
	}
	return out
}

func all(dispatch.Event) bool { return true }

// drain returns what is queued for s now, and whether s was dropped.
func drain(s *sub) (got []uint64, dropped bool) {
	for {
		select {
		case ev, ok := <-s.ch:
			if !ok {
				return got, true
			}
			got = append(got, ev.Seq)
		default:
			return got, false
		}
	}
}

// A subscriber that does not read is dropped when its buffer is full;
// publish never waits for it, and the others get everything.
func TestHub_DropsSlowSubscribers(t *testing.T) {
	h := newHub()
	slow, _ := h.subscribe("shop", all, false, 0, 0)
	fast, _ := h.subscribe("shop", all, false, 0, 0)
	var fastGot []uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := uint64(1); n <= 3*subBuffer; n++ {
			h.publish("shop", evs(n, n))
			got, dropped := drain(fast)
			if dropped {
				return
			}
			fastGot = append(fastGot, got...)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("publish blocked on a slow subscriber")
	}
	assert.Equal(t, from(1, 3*subBuffer), fastGot)
	got, dropped := drain(slow)
	assert.True(t, dropped, "the slow one was dropped: its stream ends")
	assert.Equal(t, from(1, subBuffer), got, "after what fitted in its buffer")
	h.unsubscribe("shop", slow) // what its handler does: harmless
}

// A client that reconnects with Last-Event-ID gets the events it missed
// (of those it wants), or is told to reload when the hub cannot know.
func TestHub_Resume(t *testing.T) {
	h := newHub()
	_, ok := h.subscribe("shop", all, true, 5, 5)
	assert.True(t, ok, "the client has the shop's latest event: nothing missed, even in a new process")
	_, ok = h.subscribe("shop", all, true, 5, 7)
	assert.False(t, ok, "a new process has not kept 6 and 7: reset")

	h.publish("shop", evs(1, 10))
	for _, c := range []struct {
		last uint64
		want []uint64
		ok   bool
	}{
		{0, from(1, 10), true},
		{7, []uint64{8, 9, 10}, true},
		{10, nil, true},
		{11, nil, false}, // a sequence this shop never numbered
	} {
		s, ok := h.subscribe("shop", all, true, c.last, 10)
		got, _ := drain(s)
		assert.Equal(t, c.ok, ok, "Last-Event-ID %d", c.last)
		assert.Equal(t, c.want, got, "Last-Event-ID %d", c.last)
	}
	odd := func(ev dispatch.Event) bool { return ev.Session == "odd" }
	s, ok := h.subscribe("shop", odd, true, 4, 10)
	require.True(t, ok)
	got, _ := drain(s)
	assert.Equal(t, []uint64{5, 7, 9}, got, "only the events the stream selects")

	h.publish("shop", evs(11, 10+recentEvents))
	_, ok = h.subscribe("shop", all, true, 10, 10+recentEvents)
	assert.True(t, ok, "11 is the oldest kept")
	_, ok = h.subscribe("shop", all, true, 9, 10+recentEvents)
	assert.False(t, ok, "10 is gone: reset")
}
