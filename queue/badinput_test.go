package queue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/queue"
)

// Every exported function and method, with bad input: an error or a
// harmless answer, never a panic.
func TestBadInput_NeverPanics(t *testing.T) {
	p := queue.New()
	assert.ErrorIs(t, p.Push(nil), queue.ErrNilEntry)
	assert.False(t, p.Delete(nil))
	assert.False(t, p.Contains(nil))
	_, ok := p.Position(nil)
	assert.False(t, ok)
	_, ok = p.Min()
	assert.False(t, ok)
	_, ok = p.PopMin()
	assert.False(t, ok)
	stranger := &queue.Entry{ID: "x", Arrived: ns(time.Unix(0, 0)), Seq: 1}
	assert.False(t, p.Delete(stranger))
	_, ok = p.Position(stranger)
	assert.False(t, ok)
	assert.False(t, queue.Less(nil, stranger))
	assert.True(t, queue.Less(stranger, nil))
	assert.False(t, queue.Less(nil, nil))
	require.NoError(t, p.Push(stranger))
	assert.ErrorIs(t, p.Push(&queue.Entry{ID: "y", Arrived: ns(time.Unix(0, 0)), Seq: 1}), queue.ErrDuplicate)
	require.NoError(t, p.Verify())
}
