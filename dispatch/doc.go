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
//	// an agent closes a session: the close, then the queue head it pulled in (C5)
//	evs, err = eng.Close(now, "s1")
//
//	// and on a ticker, or when the host's own timer fires:
//	evs = eng.Advance(now) // everything that fell due, in deadline order
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
//   - [Engine.Advance]: O(k log w) for k timers due.
//   - [Engine.Position]: O(position); [Engine.TransferTargets]: O(n log n);
//     [Engine.Verify]: O(n + w). None of these is on the dispatch path.
//
// # Rules
//
// C1–C6 (capacity), S1–S3 and S5 (status; sessions stay with an agent who
// goes offline), Q1–Q4 (queue pool, no-queue mode), O1–O3 (offline pool,
// flag, 7-day validity), R1 and R3 (routing strategies, transfer list) of
// RULES.md. Each operation's doc names the rules it follows.
//
// # Invariants
//
// After every operation, each open session is in exactly one place, each
// agent's load counts its sessions, no session waits while an online agent
// has room, and auto-assignment never takes an agent over its cap (only
// manual assignment, transfer and no-queue mode may). [Engine.Verify] checks
// all of this; the package's tests call it after every step.
//
// # Errors
//
// Bad input returns an error wrapping one of the package's sentinel errors
// (ErrUnknownSession, ErrAgentOffline, …), never a panic, and leaves the
// engine unchanged.
//
// # Concurrency
//
// An Engine is not safe for concurrent use. Shops are independent: run one
// engine per shop, each behind its own mutex or owned by one goroutine, and
// many shops scale across cores with no shared lock.
package dispatch
