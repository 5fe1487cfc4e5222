package dispatch

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/policy"
)

// idleShopPolicy closes a session 10 minutes after the agent's last word
// (L2): each shop's timer is set by when its agent replies.
var idleShopPolicy = policy.Policy{BuyerIdleClose: 10 * time.Minute}

// openIdleShop opens shop id with one agent and one session the agent
// replied to at t0+replied: its timer is due at t0+replied+10m.
func openIdleShop(t *testing.T, r *Shops, id string, replied time.Duration) *Shop {
	t.Helper()
	s, err := r.Open(id, idleShopPolicy)
	require.NoError(t, err)
	_, err = s.AddAgent(t0, "a", AgentConfig{})
	require.NoError(t, err)
	_, err = s.Arrive(t0, Arrival{Session: "s", Buyer: "b"})
	require.NoError(t, err)
	_, err = s.Message(t0.Add(replied), Message{Session: "s", From: FromAgent, Agent: "a"})
	require.NoError(t, err)
	return s
}

// Regression: AdvanceDue called Advance on a shop whose noted timer had
// been cancelled (or moved later) since it was noted, though nothing was
// due: the shop's clock moved to the registry's time, and it was counted
// as advanced.
func TestShops_AdvanceDueSkipsACancelledTimer(t *testing.T) {
	var r Shops
	s := openIdleShop(t, &r, "s", 0) // due at 10m
	_, err := s.Message(t0.Add(time.Minute), Message{Session: "s", From: FromBuyer})
	require.NoError(t, err)
	before, err := s.Snapshot()
	require.NoError(t, err)
	n := r.AdvanceDue(t0.Add(time.Hour), func(id string, evs []Event) { t.Errorf("got events %v for %s", evs, id) })
	assert.Zero(t, n)
	after, err := s.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "got the shop changed by AdvanceDue with nothing due")
	assert.True(t, s.e.Now().Equal(t0.Add(time.Minute)), "got the shop's clock at %v", s.e.Now().Sub(t0))
}
