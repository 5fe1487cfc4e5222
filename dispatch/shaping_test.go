package dispatch

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// Step tables of queue shaping beyond the seeds (E6-E11).

// order returns the queue's session ids in serving order.
func order(e *Engine) []string {
	var ids []string
	for x := range e.pools[0].queue.All() {
		ids = append(ids, x.ID)
	}
	return ids
}

// E6: a waiting buyer's priority rises by one per AgingStep; x (priority
// 0, at 0 s) overtakes none before its step, and after it exactly the
// priority-1 buyers who reached priority 1 after it did: those who
// arrived after its step (60 s), not 1 ns before it; one arriving at the
// very instant ties and goes after x, which reached the level first.
func TestE6_AgingOvertakesExactlyTheLaterOnes(t *testing.T) {
	p := policy.Policy{AgingStep: time.Minute}
	run(t, p, []step{
		{op: addAgent("a", agent.Limit(1))},
		{op: arrive("s0", "b0", 0), want: []string{"assigned s0 a arrival"}},
		{op: arrive("x", "bx", 0), want: []string{"queued x"}},
		{at: 30 * second, op: arrive("y", "by", 1), want: []string{"queued y"},
			check: func(t *testing.T, e *Engine) { assert.Equal(t, []string{"y", "x"}, order(e), "before x's step") }},
		{at: time.Minute - time.Nanosecond, op: arrive("w", "bw", 1), want: []string{"queued w"}},
		{at: time.Minute, op: arrive("u", "bu", 1), want: []string{"queued u"}},
		{at: 90 * second, op: arrive("z", "bz", 1), want: []string{"queued z"},
			check: func(t *testing.T, e *Engine) {
				assert.Equal(t, []string{"y", "w", "x", "u", "z"}, order(e))
				pos, n, ok := e.Position("x")
				require.True(t, ok)
				assert.Equal(t, [2]int{3, 5}, [2]int{pos, n})
			}},
		{at: 2 * time.Minute, op: closeS("s0"), want: []string{"closed s0 a", "assigned y a freed"}},
	})
}
