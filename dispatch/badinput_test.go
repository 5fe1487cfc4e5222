package dispatch

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// Every exported function and method of the package, with bad input: a
// sentinel error or a harmless answer, never a panic, and a rejected
// operation changes nothing. (The random sequences and FuzzOperations try
// the operations with bad input at scale; this table names each one.)
func TestBadInput_EveryOperationAndQuery(t *testing.T) {
	run(t, policy.Policy{}, []step{
		{op: addAgent("", agent.Limit(1)), err: ErrEmptyAgentID},
		{op: addAgentStatus("a", agent.Limit(1), agent.Status(9)), err: ErrInvalidStatus},
		{op: op{"add bad group", func(e *Engine, now time.Time) ([]Event, error) {
			return e.AddAgent(now, "a", AgentConfig{Group: "none"})
		}}, err: ErrUnknownGroup},
		{op: removeAgent(""), err: ErrUnknownAgent},
		{op: login(""), err: ErrUnknownAgent},
		{op: logout("x"), err: ErrUnknownAgent},
		{op: setStatus("x", agent.Online), err: ErrUnknownAgent},
		{op: setCap("x", agent.Limit(1)), err: ErrUnknownAgent},
		{op: arrive("", "", 0), err: ErrEmptySessionID},
		{op: arrive("s", "", math.MaxInt), err: ErrInvalidPriority},
		{op: arrive("s", "", math.MinInt), err: ErrInvalidPriority},
		{op: start("", "", "a", false), err: ErrEmptySessionID},
		{op: start("o", "", "", false), err: ErrUnknownAgent},
		{op: closeS(""), err: ErrUnknownSession},
		{op: leave(""), err: ErrUnknownSession},
		{op: assignTo("", ""), err: ErrUnknownSession},
		{op: transfer("", ""), err: ErrUnknownSession},
		{op: handover(""), err: ErrUnknownSession},
		{op: msg("", FromBuyer, ""), err: ErrUnknownSession},
		{op: markRead(""), err: ErrUnknownSession},
		{op: follow(""), err: ErrUnknownSession},
		{op: teamLevel(policy.TeamLevel(255)), err: ErrInvalidTeamLevel},
		{at: -time.Hour, op: advance()}, // the past is the latest time seen
		{op: arriveWith(Arrival{Session: "s", Entry: EntryPoint(99), Crowds: []Membership{{}, {Crowd: "x"}}}),
			want: []string{"offline s"}}, // unknown entry and crowds are ordinary
	})
	e, err := New(policy.Policy{})
	require.NoError(t, err)
	_, ok := e.Session("")
	assert.False(t, ok)
	_, ok = e.Agent("")
	assert.False(t, ok)
	_, _, ok = e.Position("")
	assert.False(t, ok)
	_, err = e.TransferTargets("")
	assert.ErrorIs(t, err, ErrUnknownAgent)
	_, _, err = e.List("", Page{})
	assert.ErrorIs(t, err, ErrUnknownAgent)
	_, _, err = e.History("", Page{})
	assert.ErrorIs(t, err, ErrUnknownAgent)
	_, err = Restore(policy.Policy{}, nil)
	assert.ErrorIs(t, err, ErrCorruptSnapshot)
	_, err = RestoreShop(policy.Policy{}, []byte("x\n"))
	assert.ErrorIs(t, err, ErrCorruptSnapshot)
	_, err = NewShop(policy.Policy{Strategy: 99})
	assert.ErrorIs(t, err, policy.ErrInvalid)
	_, err = New(policy.Policy{}, WithLogger(nil)) // nil keeps the no-op logger
	assert.NoError(t, err)
	for _, s := range []string{Kind(99).String(), Cause(99).String(), Place(99).String(), Sender(99).String(),
		CloseReason(99).String(), Warning(99).Code(), Warning(99).Text(), Warning(99).TextZH(), Flags(255).String(),
		Event{}.String()} {
		assert.NotEmpty(t, s)
	}
	assert.False(t, EntryPoint(99).Lit())
	var r Shops
	_, err = r.Get("")
	assert.ErrorIs(t, err, ErrUnknownShop)
	assert.ErrorIs(t, r.Remove(""), ErrUnknownShop)
	r.Range(func(string, *Shop) bool { t.Fatal("empty"); return false })
}
