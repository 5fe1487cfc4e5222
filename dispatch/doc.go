// Package dispatch is the engine that places one shop's customer-service
// sessions: with an agent, in the queue pool, or in the offline pool. It
// composes package agent (who can take work), package queue (who waits, in
// what order) and package policy (the shop's rules).
//
// The engine is a deterministic state machine the host drives, in the
// manner of etcd's raft: it never reads the clock, never starts a goroutine,
// never does I/O. Each operation takes the time it happens at and returns
// the events it caused; the host acts on them.
//
// # Usage
//
// Create one [Engine] per shop, then call it on every event of the shop's IM
// backend and act on what it returns:
//
//	eng, err := dispatch.New(policy.Policy{Capacity: agent.KuaishouBounds()})
//	...
//	eng.AddAgent(now, "alice", dispatch.AgentConfig{Capacity: agent.Limit(20)})
//
//	// a buyer asks
//	evs, err := eng.Arrive(now, dispatch.Arrival{Session: "s1", Buyer: "b1"})
//	for _, ev := range evs {
//		switch ev.Kind {
//		case dispatch.EventAssigned: // show ev.Session in ev.Agent's list
//		case dispatch.EventQueued:   // tell the buyer: eng.Position(ev.Session)
//		case dispatch.EventOffline:  // tell the buyer the shop will answer later
//		case dispatch.EventWarning:  // show ev.Warning.Text() to a person
//		}
//	}
//
//	// messages: who wrote, for the list order, unread counts and timers
//	evs, err = eng.Message(now, dispatch.Message{Session: "s1", From: dispatch.FromAgent, Agent: "alice"})
//
//	// an agent closes a session: the close, then the queue head it pulled in (C5)
//	evs, err = eng.Close(now, "s1")
//
//	// and on a ticker, or when the host's own timer fires:
//	evs = eng.Advance(now) // auto-closes and expiries that fell due, in deadline order
//
//	// what an agent sees: its current list in L4 order, a page at a time
//	list, total, err := eng.List("alice", dispatch.Page{Limit: 50})
//
// Time is explicit, so a test drives a whole day in milliseconds with fixed
// instants t0, t1, …, and a production host passes time.Now().
//
// # Operations and their cost
//
// With n agents and w waiting sessions:
//
//   - [Engine.Arrive]: O(log n + log w). The choice among agents (R1) reads
//     the minimum of an ordered index (least-saturated), the next key after
//     a cursor (round-robin) or a map (recent contact); never a scan.
//   - [Engine.Close], [Engine.Transfer]: O(log n + log w) plus O(log n +
//     log w) per waiting session pulled in.
//   - [Engine.Leave], [Engine.Assign]: O(log n + log w).
//   - [Engine.AddAgent], [Engine.Login], [Engine.SetStatus],
//     [Engine.SetCapacity]: O(log n) plus O(log n + log w) per session
//     pulled in.
//   - [Engine.Message]: O(log m + log t) for m sessions in the agent's list
//     and t pending timers: the session moves in the list index and its
//     deadline in the timer index.
//   - [Engine.Advance]: O(k log t) for k timers due, plus what each causes
//     (a close pulling the queue head in). Timers are keys in one ordered
//     index, not goroutines or time.Timer values.
//   - [Engine.List], [Engine.History]: O(log m + offset + limit).
//   - [Engine.Position]: O(log w) (the pools keep subtree counts).
//   - [Engine.TransferTargets]: O(n log n); [Engine.Verify]: O(n + w).
//     Neither is on the dispatch path.
//
// # Timers
//
// Each open session has at most one deadline: an offline message's expiry
// (O3), or, in an agent's list, an auto-close. If the shop side (agent,
// bot, system auto-reply) wrote last, or nobody wrote yet, the buyer's
// silence closes it after Policy.BuyerIdleClose (Kuaishou 20 minutes, L2;
// Douyin's user timeout, L3); if the buyer wrote last, nobody answering
// closes it after Policy.AgentIdleClose (Douyin's agent timeout, L3). The
// clock counts from the last message or from when the session entered the
// agent's list, whichever is later. Every message moves or cancels the
// deadline. A timer acts at its own instant: a session auto-closed at
// 10:20 frees its agent at 10:20, even if the host calls Advance at 11:00.
//
// # Rules
//
// C1–C6 (capacity), S1–S5 (status, send rules, sessions kept or requeued
// when an agent goes offline), Q1–Q4 (queue pool, no-queue mode), O1–O3
// and O5 (offline pool, flag, 7-day validity, backlog guard), R1 and R3
// (routing strategies, transfer list), L1–L6 (close, auto-close,
// timeouts, list and history order, unread and unreplied, the DM limit)
// of the project's rules. Each operation's doc names the rules it follows.
//
// Decisions the platforms leave open: a reply (L5) is an agent's message
// only; bot and system messages never make a session replied, though a
// system auto-reply does start Kuaishou's 20 minutes (L2, as its document
// says). The O5 guard bounds how many offline-pool sessions an agent holds
// open at once (Policy.OfflineBatch), rather than counting per come-online:
// a one-off count would either strand the backlog beside an unlimited
// agent with room or let its first close pull the rest in at once.
//
// # Invariants
//
// After every operation, each open session is in exactly one place (an
// agent's list, the queue pool, the offline pool) and a closed one in its
// agent's history or reported by its event; each agent's load counts its
// list, which is in L4 order; each session has exactly the timer its place
// and last message call for; no session waits while an online agent has
// room (offline messages held back by the O5 guard aside); and
// auto-assignment never takes an agent over its cap (only manual
// assignment, transfer, Start and no-queue mode may). [Engine.Verify]
// checks all of this; the package's tests call it after every step.
//
// # Errors
//
// Bad input returns an error wrapping one of the package's sentinel errors
// (ErrUnknownSession, ErrAgentOffline, …), never a panic, and leaves the
// engine unchanged.
//
// # Concurrency
//
// An Engine is not safe for concurrent use. Shops are independent: [Shop]
// wraps one engine with its own mutex (and returns copies of the events,
// running no host code under the lock), and [Shops] holds many of them in
// a sync.Map, so finding a shop takes no lock and different shops never
// wait for each other.
//
// # Snapshots
//
// [Engine.Snapshot] writes the engine's whole state: a header line
// ("kefu-snapshot", the format version, a CRC-32 of the body) and a JSON
// body with only what cannot be derived — agents with statuses, the status
// to restore at login, capacities, groups and idle times; open sessions
// with their place, sequence, arrival and lifecycle; histories; recent
// contacts; round-robin cursors; prompt cool-downs; the team level; timer
// events a rejected call has not delivered yet. [Restore] rebuilds loads,
// indexes, pools and timers from it and runs [Engine.Verify]; any
// truncated, altered or inconsistent input returns ErrCorruptSnapshot (or
// ErrSnapshotVersion) and no engine. The policy is configuration, not
// state: the host passes it to Restore again.
//
// Because the engine is deterministic, a host makes a shop durable with a
// snapshot now and then plus a log of the operations it applied since:
// restore the snapshot, replay the log, and the engine is where it was,
// having returned the same events. To move a shop to another process,
// snapshot it, [RestoreShop] there and [Shops.Adopt] it.
package dispatch
