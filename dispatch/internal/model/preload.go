package model

import "time"

// Preload opens session id for buyer at now without routing it, for
// benchmarks that need a large state: building one through Arrive costs
// O(agents log agents + open sessions) per session, since every arrival
// scans the open sessions and sorts the agents (10⁶ sessions: hours).
//
// With agentIndex ≥ 0 the session goes straight into the list of the
// agent added agentIndex-th (0 the first AddAgent that succeeded); with
// agentIndex < 0 it joins the queue pool. Every field is set as Arrive
// sets it at now for a session with priority 0, no crowds and no
// exclusive agent that the human path assigns (R1) or queues (Q1): the
// next sequence number, arrival, first buyer message (lastFrom, lastMsg,
// waitSince, one unread), the entry into the list (or the queue), the
// agent's idle time and the buyer's recent contact. The clock moves to
// now if it is later, as in Arrive, but no timer fires and no event is
// emitted.
//
// Preload checks nothing. The caller keeps the state one that Arrive
// could have built: a unique non-empty id, an online agent below its cap
// when agentIndex ≥ 0 (so that no agent goes over it), and a session
// queued only when no online agent that may take it has room (no session
// waits while an agent has room). It panics if agentIndex is not the index of an agent.
func (m *Shop) Preload(now time.Time, id, buyer string, agentIndex int) {
	if now = now.Round(0); now.After(m.now) {
		m.now = now
	}
	now = m.now
	m.seq++
	s := &session{id: id, buyer: buyer, arrived: now, seq: m.seq,
		lastFrom: FromBuyer, lastMsg: now, waitSince: now, unread: 1, buyerAt: now} // L5: the first message
	m.open = append(m.open, s)
	if agentIndex < 0 {
		s.place, s.parked = PlaceQueue, now // as park, without the event
		return
	}
	m.place(s, m.agents[agentIndex], now) // as assign, without the event
}
