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
//   - [Engine.Accept], [Engine.Reject], [Engine.EndWrapUp]: as Close
//     (E1, E5).
//   - [Engine.TransferTargets]: O(n log n); [Engine.Verify]: O(n + w).
//     Neither is on the dispatch path.
//
// # Timers
//
// Each open session has at most one deadline, the earliest its place
// calls for: an offline message's expiry (O3); in an agent's list, an
// auto-close, a reassignment (E3) or an inactive release (E9); on offer,
// the offer's end (E1); in the queue, its maximum wait (E8) or its
// group's next ring (E7). For the auto-close: if the shop side (agent,
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
// # Offers, reassignment and wrap-up (E1–E5)
//
// Beyond the platforms' rules, what contact-centre routers do, each a
// policy option off by default (with all of them off, nothing changes):
//
//   - Offers (E1, Policy.OfferTimeout): an automatic assignment to an
//     agent with room becomes an offer ([PlaceOffered], EventOffered) that
//     holds a unit of its capacity until [Engine.Accept] (EventAccepted:
//     into its list), [Engine.Reject] (EventRejected) or the timeout
//     (EventOfferTimedOut, at its deadline exactly). A declined session
//     goes to the next agent with room (EventOffered) or back where it
//     waited, in its arrival order (EventQueued, EventOffline). Over-the-cap,
//     manual assignments, transfers and Start are never offers; an agent
//     going offline has its offers withdrawn (EventRejected).
//   - Declines (E2): an agent that rejected a session, let its offer time
//     out or let it go unanswered (E3) is not offered it again while an
//     agent that did not could take it (Policy.OfferRetry: unless none
//     can); Policy.OfferTimeoutStatus puts an agent whose offer timed out
//     on break (or offline), so one absent agent does not hold the queue.
//   - Reassignment (E3, Policy.ReassignAfter, ReassignLimit): a session
//     unanswered that long in a list moves to another agent with room, or
//     back to the queue ahead of later arrivals (CauseReassigned,
//     FlagReassigned); (E4, Policy.ReassignOnOffline) so do an agent's
//     sessions when it goes offline, the third S5 mode.
//   - Wrap-up (E5, Policy.WrapUp): after a close the agent's unit stays
//     held (EventWrapUp) until the wrap-up ends (EventWrapUpEnded), at its
//     time or by [Engine.EndWrapUp], which pulls the queue head in the
//     same call (C5).
//
// Each is O(log n + log w) like the paths it joins, plus the declines
// passed over: an agent or a waiting session that declined is skipped,
// one by one. Metrics: the agent's 3-minute clock (M2) starts at the
// accept; a reassigned session's shop clock (M3) never restarts.
//
// # Queue shaping (E6–E9, E11)
//
// Also off by default, each a policy option:
//
//   - Aging (E6, Policy.AgingStep): a waiting session's priority rises by
//     one for every step it has waited. The pools are ordered by virtual
//     arrival, arrived − priority·step (compared exactly, in 128 bits),
//     then sequence: the same order as "+1 per step, ties to whoever
//     reached the level first" at every instant, and a key that never
//     changes as time passes, so nothing is re-sorted and every operation
//     keeps its cost.
//   - Widening (E7, Group.Rings): a session of a group waits for the
//     group's agents until the first ring's After since it entered the
//     queue, then also for that ring's groups, and so on, at most six
//     rings, cumulative. At a ring's instant an agent of it with room takes
//     the session (CauseWidened); afterwards the agents of its open rings
//     take it as they free, the group's own agents still preferred, then
//     the inner rings'. One timer per waiting session, for its next ring.
//   - Queue cap and maximum wait (E8, Policy.QueueCap, MaxWait, and per
//     group Group.QueueCap, MaxWait): a new buyer who would make the pool
//     longer than its cap, and a buyer who has waited the maximum (at that
//     instant exactly), is diverted by Policy.Divert: to the offline pool
//     (EventOffline), the bot (EventBot) or refused (EventRefused: the
//     session ends), with CauseQueueCap or CauseMaxWait. Never silently;
//     Engine.Leave stays the buyer's own way out. Sessions coming back to
//     the queue (requeue, a declined offer, a reassignment) and priority
//     buyers at its head are not capped.
//   - Inactive release (E9, Policy.InactiveAfter): a replied session whose
//     buyer has written nothing that long is flagged FlagInactive and stops
//     counting toward its agent's load (EventInactive); the agent takes the
//     queue head at that instant (C5). The buyer's next message makes it
//     count again, over the cap if need be. An unreplied session never
//     goes inactive: its buyer is waiting for an answer.
//   - Business hours (E11, Policy.Hours): opening hours per weekday in
//     the shop's zone (Policy.Location), with up to 50 dated overrides,
//     read by wall-clock time of day, so a daylight-saving change moves
//     nothing. Outside them an arrival, or a bot's hand-over, takes the
//     offline path or the bot (Hours.Outside), with CauseOutsideHours on
//     its event; an agent still online with room takes it as an offline
//     message (O2). Sessions already open are not touched at closing time.
//
// Stats counts the diversions by cause (Stats.Diverted), refusals and
// inactive sessions. Metrics: a diverted or refused buyer counts as a
// consultation (the buyer asked), and a refused one as a miss of the
// shop's 3-minute reply rate (M3); inactivity changes no metric (see
// package metrics).
//
// # Weighted capacity (E10)
//
// With Policy.Weights, a session of a weighted kind ([Arrival.Kind], e.g.
// after-sales 2) costs that many units of an agent's capacity; every
// other session, and every session an agent starts, costs 1. The weight
// is fixed at arrival (a later policy change applies to later arrivals)
// and kept in snapshots. Loads and saturations count units: a session in
// a list, an offer (E1) and the wrap-up after its close (E5) each hold
// the session's weight (so a close changes the load only when the
// wrap-up ends), and AgentInfo.Load is units; an inactive session (E9)
// frees its whole weight and holds it again when the buyer writes, and
// an agent of a ring open to a session (E7) takes it only if its weight
// fits. Automatic assignment takes
// an agent at most to its cap in units (C1): a weight-2 session does not
// fit in one free unit. Among the agents with room for its weight, the
// policy's strategy chooses (R1): the least saturated with room for it,
// round-robin's next with room for it, the recent contact if it has room
// for it. An agent that gets room takes the best waiting session that
// fits it (Q2 among those that fit), passing over heavier ones, which
// keep their place: utilization over strict first come first served, so
// that a free unit never idles while a buyer it fits waits, and the
// invariant below holds as "no session waits while an agent has room for
// its weight". A heavier session waits while only lighter ones fit; it
// is served as soon as an agent has room for it. The paths that may go
// over the cap are unchanged and take a session of any weight: no-queue
// mode (Q4), priority buyers when every agent is full (P1), manual
// assignment and transfer (C4). Metrics are unchanged: they count
// sessions, not units. Choosing an agent for a weighted session, or a
// waiting session for an agent while weighted ones are open, reads past
// those that do not fit, O(k) for k passed over, as for declines (E2);
// with no weighted session open, nothing changes.
//
// # Invariants
//
// After every operation, each open session is in exactly one place (an
// agent's list, an offer to an agent, the queue pool, the offline pool,
// the bot) and a closed one in its agent's history or reported by its
// event; each agent's load counts its list, its offers and its wrap-ups
// (each by its weight, E10), and its list is in L4 order; each session
// has exactly the timer its place and last message call for; no session
// waits while an online agent that may take it (its group, R2, or an
// open ring of it, E7) has room for its weight (E10) (offline messages
// held back by the O5 guard aside, and sessions that agent declined,
// E2); and auto-assignment never takes an agent over its cap (only
// manual assignment, transfer, Start, no-queue mode, a priority buyer
// when every agent is full, P1, and an inactive session's buyer writing
// again, E9, may). [Engine.Verify] checks all of this; the package's
// tests call it after every step.
//
// # Structure
//
// For readers of the code: the package's spine is one unexported type,
// floor (spine.go), which the Engine embeds. It owns where the sessions
// are (the open sessions by id, each group's queue and offline pools,
// each agent's desk with its L4 list and history, the bot's count, the
// timer index, the recycled session records) and every way a session
// moves between those places, each move with its load change, timer,
// statistics and event. The operations only decide (which agent, whether
// to queue, what a rule allows, which waiting session a freed place
// pulls in) and then call the floor's moves: arrivals in reception.go;
// routing, pulls, closes and transfers in sessions.go; agents.go,
// messages.go, setpolicy.go and snapshot.go for the rest. A session's
// record is in record.go and the events in event.go; op.go turns every
// call into an [Op] and runs it.
//
// # Operations as data
//
// Every state-changing call is also a value, [Op], and [Engine.Apply]
// runs it through the same code as the typed method it stands for (the
// typed methods are Apply). An Op has a stable wire format (MarshalJSON,
// pinned by golden files; see WireVersion), so a host logs each op with
// its time, and replays the log on the shop's last snapshot after a
// crash or a move: the same ops at the same times give the same events,
// numbered the same ([Event.Seq], gap-free per shop, across snapshots),
// and the same state, byte for byte. A rejected op moves the clock and
// fires due timers before it is checked, so it is logged and replayed like
// any other (see Engine.Apply for the rule, and Policy.MaxClockStep for
// the one refusal that changes nothing at all). The policy itself is
// changed by an op, [Engine.SetPolicy].
//
// # Errors
//
// Bad input returns an error wrapping one of the package's sentinel errors
// (ErrUnknownSession, ErrAgentOffline, …), never a panic. Each sentinel
// belongs to one class, [ErrNotFound], [ErrConflict] or [ErrInvalid], so
// a transport maps every error in three lines (404, 409, 400); the
// sentinels of package agent and policy that the engine passes on are
// matched too (errors.Is(err, agent.ErrUnknownAgent)).
//
// # Observers
//
// An [Observer] registered with [WithObserver] sees every event of every
// op, in order, before the op returns (under the Shop's mutex, for a
// Shop): metrics.Recorder is one. An observer that implements
// encoding.BinaryMarshaler and BinaryUnmarshaler travels inside the
// engine's snapshot, so the engine and its observers are always saved at
// the same point of the event stream.
//
// # Running in a service
//
// A host keeps one [Shops] registry. Each shop's ops go through
// [Shop.Apply] (or the typed methods, which are Apply), which appends the
// op to the registry's [Journal] under the shop's mutex and then applies
// it, so the journal's order is the shop's order; the observers run under
// the same mutex, and the events come back with their Seq for the
// subscribers, who drop duplicates after a crash. One timer serves every
// shop: sleep until [Shops.NextDeadline], then call [Shops.AdvanceDue].
// To move a shop, [Shop.Detach] snapshots and closes it in one step
// (later calls on it return ErrShopClosed), and [RestoreShop] and
// [Shops.Adopt] take it on elsewhere.
//
// # Concurrency
//
// An Engine is not safe for concurrent use. Shops are independent: [Shop]
// wraps one engine with its own mutex (and returns copies of the events;
// only the shop's journal and observers run under the lock), and [Shops]
// holds many of them in a sync.Map, so finding a shop takes no lock and
// different shops never wait for each other (the registry's deadline heap
// has a mutex of its own, taken only when a shop's earliest deadline moves
// earlier).
//
// # Monitoring
//
// [Engine.Stats] returns a shop's live numbers, kept as events happen:
// sessions by place and agents by status (gauges), counters by cause,
// reason, sender and kind, and histograms of the wait in a pool, the time
// to the first human reply and the handle time. [Shops.Stats] sums a
// registry (and keeps the counters of shops that left it, so the sums
// never go down). The nested modules metrics/prometheus and metrics/otel
// export them.
//
// # Snapshots
//
// [Engine.Snapshot] writes the engine's whole state: a header line
// ([Frame]: "kefu-snapshot", the format version, a CRC-32 of the body) and
// a JSON body with only what cannot be derived — the policy; agents with
// statuses, the status to restore at login, capacities, groups and idle
// times; open sessions with their place, sequence, arrival, lifecycle and
// weight (E10, only when above 1: a snapshot without weighted sessions is
// as before);
// histories; recent contacts; round-robin cursors; prompt cool-downs; the
// team level; the number of the latest event; timer events a rejected
// call has not delivered yet; and the observers' states. Times keep their
// UTC offsets to the second. [Restore] rebuilds loads, indexes, pools and
// timers from it and runs [Engine.Verify]; any truncated, altered or
// inconsistent input returns ErrCorruptSnapshot (or ErrSnapshotVersion)
// and no engine; a policy other than the snapshot's returns
// ErrPolicyMismatch ([SnapshotPolicy] reads it). Version 1 snapshots,
// which had no policy inside, still restore.
package dispatch
