// Package complete is comparator (b) of issue #14, the "obvious complete"
// dispatcher: every rule the engine implements (RULES.md: C, S, Q, O, R,
// P, B, L), written the way a competent developer in a hurry writes a
// dispatcher that is fast enough for a shop of tens of agents, with
// nothing slowed on purpose. It is benchmark-only: dispatch's platform
// benchmarks run it side by side with the engine and with the minimal
// comparator (dispatch/internal/obvious), and dispatch's differential
// test requires it to return the engine's events, errors and state after
// every step. It must never be used outside benchmarks and tests.
//
// It is dispatch/internal/model with the slow parts replaced; the rules,
// their order and every tie-break are the model's (see the model's
// package doc), and so is the API: the same methods with the same
// arguments, returning the model's types (model.Event, model.SessionInfo,
// model.AgentInfo, model.Closed) and the model's sentinel errors, so that
// the same code drives either. What changes is the representation:
//
//   - open sessions in a map by id; agents in a slice in the order added
//     plus a map by id, scanned linearly for the least saturated, the
//     round-robin pick or the least saturated active agent (shops have
//     tens of agents);
//   - each agent's sessions in an unordered slice, whose length is its
//     load; its list is sorted into the L4 order only when listed, or
//     when a logout requeues it (S5);
//   - the queue and the offline pool as slices kept sorted in the Q2
//     order, one per pool (the common pool and, when groups do not fall
//     back, one per group, R2), with binary-search insert and delete, so
//     that a pool's head and a buyer's position are cheap;
//   - the timers in a container/heap ordered by (deadline, sequence), with
//     each session's index in the heap, fixed whenever its deadline may
//     have moved;
//   - each agent's history in a container/heap holding at most the
//     policy's limit, the record to drop next on top, sorted into the L4
//     order only when listed;
//   - session records recycled, and the events of an operation appended
//     to a buffer the shop reuses: the slice an operation returns is valid
//     until the next call on the shop (the engine does the same).
//
// It leaves nothing observable out: it is complete. It has no snapshots,
// op log, observers, statistics or verification, which the engine offers
// besides the rules, and no policy changes (neither has the model).
//
// A Shop is not safe for concurrent use.
package complete
