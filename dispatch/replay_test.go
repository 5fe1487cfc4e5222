package dispatch

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// replayPolicies are every policy shape of the random tests and the three
// presets.
func replayPolicies() []policy.Policy {
	return append(append([]policy.Policy{}, randomPolicies...), policy.Kuaishou(), policy.Douyin(), policy.Taobao())
}

// policyVariants are the policies a random SetPolicy switches to from p:
// p itself with one rule changed (timers, no-queue, the O5 batch, the
// history limit, the strategy, groups' fallback, crowds), and some that
// the shop's state may refuse (other capacity bounds, no groups).
func policyVariants(p policy.Policy) []policy.Policy {
	v := func(f func(q *policy.Policy)) policy.Policy {
		q := p
		f(&q)
		return q
	}
	return []policy.Policy{
		v(func(q *policy.Policy) { q.NoQueue = !q.NoQueue }),
		v(func(q *policy.Policy) { q.BuyerIdleClose, q.AgentIdleClose = 7*time.Minute, 3*time.Minute }),
		v(func(q *policy.Policy) { q.BuyerIdleClose, q.AgentIdleClose = 0, 0 }),
		v(func(q *policy.Policy) { q.OfflineValidity, q.BotIdleClose = time.Hour, 5*time.Minute }),
		v(func(q *policy.Policy) { q.OfflineBatch = 1 + q.OfflineBatch%3 }),
		v(func(q *policy.Policy) { q.HistoryLimit = 2 }),
		v(func(q *policy.Policy) { q.Strategy = (q.Strategy + 1) % 3 }),
		v(func(q *policy.Policy) {
			// E7: Validate refuses rings with GroupFallback, and the wire
			// carries no invalid policy: the groups lose their rings.
			if q.GroupFallback = !q.GroupFallback; q.GroupFallback {
				q.Groups = slices.Clone(q.Groups)
				for i := range q.Groups {
					q.Groups[i].Rings = nil
				}
			}
		}),
		v(func(q *policy.Policy) {
			q.Crowds, q.RequeueOnOffline, q.ReassignOnOffline = nil, !q.RequeueOnOffline, false
		}),
		v(func(q *policy.Policy) { // E1-E5 off
			q.OfferTimeout, q.OfferTimeoutStatus, q.OfferRetry, q.ReassignAfter, q.ReassignLimit = 0, 0, false, 0, 0
			q.ReassignOnOffline, q.WrapUp = false, 0
		}),
		v(func(q *policy.Policy) { // E1, E3, E5 on
			q.OfferTimeout, q.ReassignAfter, q.WrapUp = 45*time.Second, 90*time.Second, 20*time.Second
		}),
		v(func(q *policy.Policy) { q.Capacity = agent.DouyinBounds() }),
		v(func(q *policy.Policy) { q.Groups, q.GroupFallback = nil, false }),
		v(func(q *policy.Policy) { q.Location = policy.ChinaStandardTime() }),
		p,
	}
}

// replayStep is one op at one time.
type replayStep struct {
	at time.Time
	op Op
}

// replayScript draws n random steps for policy p: the operations of the
// random tests (valid and invalid, times going back now and then), and a
// SetPolicy now and then.
func replayScript(seed uint64, p policy.Policy, n int) []replayStep {
	r := rand.New(rand.NewPCG(seed, 11))
	variants := policyVariants(p)
	now := t0
	out := make([]replayStep, n)
	for i := range out {
		a := actionFromBytes(byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()))
		now = now.Add(a.dt)
		op := a.op()
		if r.IntN(40) == 0 {
			q := variants[r.IntN(len(variants))]
			op = Op{Kind: OpSetPolicy, Policy: &q}
		}
		out[i] = replayStep{now, op}
	}
	return out
}

// replayResult renders what one step returned, in the wire format: the
// events (Seq included) and the error's text.
func replayResult(evs []Event, err error) string {
	var b strings.Builder
	for _, ev := range evs {
		j, jerr := ev.MarshalJSON()
		if jerr != nil {
			return "unencodable event: " + jerr.Error()
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	if err != nil {
		b.WriteString("error: " + err.Error())
	}
	return b.String()
}

// Replay is exact (Engine.Apply, DESIGN property 8): an engine restored
// from a snapshot taken at a random step, fed the ops logged since
// (accepted and rejected, SetPolicy among them, every preset and policy
// shape), returns byte-identical events (Seq included) and errors at every
// later step, and snapshots to byte-identical bytes wherever the original
// does. The ops also go through the wire format on the way, as a log
// would carry them. 10⁵ ops and more (fewer with -short).
func TestReplay_SnapshotRestoreReplayIsExact(t *testing.T) {
	const steps = 2000
	seeds := 55 // 55 × 2000 = 1.1·10⁵ ops on the originals, 3 replays each
	if testing.Short() {
		seeds = 6
	}
	total := 0
	pols := replayPolicies()
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		p := pols[int(seed)%len(pols)]
		script := replayScript(seed, p, steps)
		// The original: what every step returned, and its snapshots at
		// the checkpoints (every 97 steps).
		orig, err := New(p)
		require.NoError(t, err)
		results := make([]string, steps)
		snaps := map[int]string{}
		for i, s := range script {
			results[i] = replayResult(orig.Apply(s.at, s.op))
			if i%97 == 0 {
				b, err := orig.Snapshot()
				require.NoError(t, err)
				snaps[i] = string(b)
			}
		}
		total += steps
		r := rand.New(rand.NewPCG(seed, 5))
		for range 3 {
			cut := 97 * r.IntN(steps/97) // a checkpoint
			data := []byte(snaps[cut])
			q, ok, err := SnapshotPolicy(data)
			require.NoError(t, err)
			require.True(t, ok)
			copy, err := Restore(q, data)
			require.NoError(t, err, "seed %d: restore at step %d", seed, cut)
			for i := cut + 1; i < steps; i++ {
				s := script[i]
				wire, err := s.op.MarshalJSON()
				require.NoError(t, err, "seed %d step %d: encode %v", seed, i, s.op)
				var op Op
				require.NoError(t, op.UnmarshalJSON(wire), "seed %d step %d: decode %s", seed, i, wire)
				got := replayResult(copy.Apply(s.at, op))
				if got != results[i] {
					t.Fatalf("seed %d, restored at step %d: step %d (%s at %v) returned\n%s\nthe original returned\n%s",
						seed, cut, i, wire, s.at, got, results[i])
				}
				if want, ok := snaps[i]; ok {
					b, err := copy.Snapshot()
					require.NoError(t, err)
					if string(b) != want {
						t.Fatalf("seed %d, restored at step %d: snapshot at step %d differs:\n%s\nwant\n%s", seed, cut, i,
							firstDiff(stateOf(b), stateOf([]byte(want))), firstDiff(stateOf([]byte(want)), stateOf(b)))
					}
				}
				total++
			}
		}
	}
	t.Logf("%d ops applied and compared", total)
}

// firstDiff returns a's text around its first difference from b.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo, hi := max(0, i-80), min(len(a), i+80)
	return fmt.Sprintf("…%s…", a[lo:hi])
}
