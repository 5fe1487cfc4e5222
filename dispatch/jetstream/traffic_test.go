package kefujs_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
)

// gen makes random ops of one shop, times moving forward: agents
// joining, logging out and in, buyers arriving, writing, leaving, agents
// replying and closing, timers, and some ops the engine rejects.
type traffic struct {
	r   *rand.Rand
	now time.Time
}

func newTraffic(seed uint64) *traffic {
	return &traffic{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: t0}
}

func (g *traffic) next() (time.Time, dispatch.Op) {
	g.now = g.now.Add(time.Duration(g.r.IntN(90)) * time.Second)
	ag := fmt.Sprint("a", g.r.IntN(4))
	ses := fmt.Sprint("s", g.r.IntN(12))
	var op dispatch.Op
	switch k := g.r.IntN(20); {
	case k == 0:
		op = dispatch.Op{Kind: dispatch.OpAddAgent, Agent: ag, AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(1 + g.r.IntN(3))}}
	case k == 1:
		op = dispatch.Op{Kind: dispatch.OpLogout, Agent: ag}
	case k == 2:
		op = dispatch.Op{Kind: dispatch.OpLogin, Agent: ag}
	case k < 9:
		op = dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: ses, Buyer: "b" + ses}}
	case k < 12:
		op = dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: ses, From: dispatch.FromBuyer}}
	case k < 15:
		op = dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: ses, From: dispatch.FromAgent, Agent: ag}}
	case k < 18:
		op = dispatch.Op{Kind: dispatch.OpClose, Session: ses}
	case k == 18:
		op = dispatch.Op{Kind: dispatch.OpLeave, Session: ses}
	default:
		op = dispatch.Op{Kind: dispatch.OpAdvance}
	}
	return g.now, op
}

// addAgent is the first op of the benchmarks' shops: one online agent
// who takes up to 10 sessions.
var addAgent = dispatch.Op{Kind: dispatch.OpAddAgent, Agent: "a1", AgentConfig: dispatch.AgentConfig{Capacity: agent.Limit(10)}}

// cycle returns op c (from 0) of a shop's steady traffic, one second
// after the previous: a buyer arrives (and is assigned to a1, if the
// shop has it), writes, a1 replies, and the previous session is closed.
func cycle(c int) (time.Time, dispatch.Op) {
	at := t0.Add(time.Duration(c+1) * time.Second)
	j := c / 4
	s := "s" + strconv.Itoa(j)
	switch c % 4 {
	case 0:
		return at, dispatch.Op{Kind: dispatch.OpArrive, Arrival: dispatch.Arrival{Session: s, Buyer: "b" + strconv.Itoa(j%5)}}
	case 1:
		return at, dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: s, From: dispatch.FromBuyer}}
	case 2:
		return at, dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: s, From: dispatch.FromAgent, Agent: "a1"}}
	}
	if j == 0 {
		return at, dispatch.Op{Kind: dispatch.OpMessage, Message: dispatch.Message{Session: s, From: dispatch.FromBuyer}}
	}
	return at, dispatch.Op{Kind: dispatch.OpClose, Session: "s" + strconv.Itoa(j-1)}
}
