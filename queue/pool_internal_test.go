package queue

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPool_VerifyDetectsMutatedKey shows that Verify fails when the caller
// breaks the rule "do not change an entry's key while it is in a pool".
func TestPool_VerifyDetectsMutatedKey(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	build := func(t *testing.T) (*Pool, []*Entry) {
		t.Helper()
		p := New()
		es := []*Entry{
			{ID: "a", Priority: 1, Arrived: ns(t0), Seq: 1},
			{ID: "b", Arrived: ns(t0), Seq: 2},
			{ID: "c", Arrived: ns(t0), Seq: 3},
			{ID: "d", Arrived: ns(t0.Add(time.Minute)), Seq: 4},
		}
		for _, e := range es {
			require.NoError(t, p.Push(e))
		}
		require.NoError(t, p.Verify(), "healthy pool")
		return p, es
	}
	tests := []struct {
		name   string
		mutate func(es []*Entry)
	}{
		{"seq raised past the next entry", func(es []*Entry) { es[1].Seq = 10 }},
		{"seq equal to the next entry", func(es []*Entry) { es[1].Seq = 3 }},
		{"priority raised", func(es []*Entry) { es[2].Priority = 5 }},
		{"priority lowered", func(es []*Entry) { es[0].Priority = -1 }},
		{"arrival moved later", func(es []*Entry) { es[1].Arrived = ns(t0.Add(time.Hour)) }},
		{"arrival moved earlier", func(es []*Entry) { es[3].Arrived = ns(t0.Add(-time.Hour)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, es := build(t)
			tt.mutate(es)
			err := p.Verify()
			assert.Error(t, err)
			t.Log(err)
		})
	}

	// A key change that keeps the order is harmless, and Verify agrees.
	p, es := build(t)
	es[3].Seq = 100
	assert.NoError(t, p.Verify())
	assert.Equal(t, 4, p.Len())
}

func ns(t time.Time) int64 { return t.UnixNano() }
