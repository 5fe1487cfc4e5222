package kefujs_test

import (
	"strconv"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/dispatch"
)

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
