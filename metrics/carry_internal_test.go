package metrics

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// spans.raise, in any order of calls (time going back included), keeps
// the spans disjoint, sorted and joined, and each instant's length the
// largest raised over it; forget drops exactly the spans that end by its
// instant.
func TestSpans_RaiseAgainstAnArray(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		rnd := rand.New(rand.NewPCG(seed, 5))
		var c spans
		var want [64]int
		for i := 0; i < 1+rnd.IntN(12); i++ {
			from := instant(rnd.IntN(64))
			to := from + instant(rnd.IntN(20))
			if rnd.IntN(3) == 0 && len(c) > 0 { // the usual case: after the last one
				from = c[len(c)-1].to + instant(rnd.IntN(2))
				to = from + instant(1+rnd.IntN(8))
			}
			to = min(to, 64)
			n := 1 + rnd.IntN(3)
			c.raise(from, to, n)
			for x := from; x < to; x++ {
				want[x] = max(want[x], n)
			}
			require.Empty(t, c.check(), "seed %d: %v", seed, c)
			var got [64]int
			for _, s := range c {
				for x := s.from; x < s.to; x++ {
					got[x] = s.n
				}
			}
			require.Equal(t, want, got, "seed %d step %d: %v", seed, i, c)
		}
		cut := instant(rnd.IntN(64))
		before := append(spans(nil), c...)
		c.forget(cut)
		require.Empty(t, c.check())
		for _, s := range before {
			require.Equal(t, s.to > cut, containsSpan(c, s), "seed %d: forget(%d) of %v", seed, cut, s)
		}
	}
}

func containsSpan(c spans, s span) bool {
	for _, x := range c {
		if x == s {
			return true
		}
	}
	return false
}

// A snapshot's carried max queue: a recorder's own restores to the same
// bytes and reports; spans that are empty, out of order, overlapping, not
// joined, of a length out of range, out of the time range, or before the
// forget boundary are refused with ErrCorruptSnapshot.
func TestRestore_CarriedMaxQueue(t *testing.T) {
	r := scene(t) // a buyer waits in the queue
	t0 := r.Now()
	r.Advance(t0.AddDate(0, 0, 5))
	require.Len(t, r.carried, 1, "the 4 days in between")
	data, err := r.Snapshot()
	require.NoError(t, err)
	c, err := Restore(china, data)
	require.NoError(t, err)
	again, err := c.Snapshot()
	require.NoError(t, err)
	require.Equal(t, string(data), string(again))
	for i := 0; i <= 5; i++ {
		d := DateOf(t0, china).AddDays(i)
		require.Equal(t, r.Hourly(d), c.Hourly(d))
		require.Equal(t, 1, c.Hourly(d).Total.MaxQueue, "day %+d", i)
	}

	body, err := snapshotBody(data)
	require.NoError(t, err)
	sp := func(from, to time.Time, n int) snapSpan { return snapSpan{From: from.UTC(), To: to.UTC(), N: n} }
	day := func(i int) time.Time { return time.Date(2026, 11, 12+i, 0, 0, 0, 0, china) }
	for _, ed := range []struct {
		name string
		f    func(s *snapshot)
	}{
		{"empty span", func(s *snapshot) { s.Carried[0].To = s.Carried[0].From }},
		{"backwards span", func(s *snapshot) { s.Carried[0].To = s.Carried[0].From.Add(-time.Hour) }},
		{"length 0", func(s *snapshot) { s.Carried[0].N = 0 }},
		{"negative length", func(s *snapshot) { s.Carried[0].N = -1 }},
		{"length too large", func(s *snapshot) { s.Carried[0].N = maxCount + 1 }},
		{"overlapping", func(s *snapshot) { s.Carried = []snapSpan{sp(day(0), day(2), 1), sp(day(1), day(3), 2)} }},
		{"out of order", func(s *snapshot) { s.Carried = []snapSpan{sp(day(2), day(3), 1), sp(day(0), day(1), 2)} }},
		{"not joined", func(s *snapshot) { s.Carried = []snapSpan{sp(day(0), day(1), 1), sp(day(1), day(2), 1)} }},
		{"after 2262", func(s *snapshot) { s.Carried[0].To = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"before the forget boundary", func(s *snapshot) { s.Carried = []snapSpan{sp(day(-5), day(-2), 1)} }},
	} {
		t.Run(ed.name, func(t *testing.T) { requireRefused(t, body, ed.f) })
	}
}
