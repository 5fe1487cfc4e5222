// Package agent models one customer-service agent (客服) of a shop: its
// status, its capacity (max reception, 最大接待量) and the roster that indexes
// which agents can take work.
//
// The package knows nothing about sessions or queues; the dispatch engine
// composes it with package queue and package policy. It is useful on its own
// to validate capacity settings at the edge of a host application.
//
// # Rules
//
//   - S1: three statuses, [Online], [Break] and [Offline]; only online agents
//     receive auto-assigned sessions.
//   - S2: a new agent starts online; [Roster.Logout] remembers the status and
//     [Roster.Login] restores it.
//   - C1, C2: a [Capacity] is unlimited (不自动挂起, the zero value),
//     suspended (挂起) or a limit n (n人挂起); the Kuaishou presets are
//     [KuaishouPresets].
//   - C2, C3: what a platform accepts is a [Bounds] value (Kuaishou 1..500,
//     Douyin at most 200 with a warning below 5), not hard-wired: see
//     [KuaishouBounds] and [DouyinBounds].
//
// # Encoding
//
// [Status] and [Capacity] are encoding.TextMarshaler and
// encoding.TextUnmarshaler, so they appear by name in JSON, YAML and
// flags: a status as "online", "break" or "offline"; a capacity as
// "unlimited", "suspended" or its limit in decimal ("20"). Decoding accepts
// exactly the text encoding writes ("20", never "+20", "020" or " 20"),
// so decoding and encoding again gives the same bytes. Other text is an
// error wrapping [ErrInvalidStatus] or [ErrInvalidCapacity]; so is
// encoding an invalid status or a limit below 1.
//
// # Usage
//
//	b := agent.KuaishouBounds()
//	c := agent.Limit(20)
//	if err := b.Check(c); err != nil { // errors.Is(err, agent.ErrCapacityOutOfRange)
//		return err
//	}
//	r := agent.NewRoster()
//	a, err := r.Add("alice", c, now) // online, 0 sessions
//	...
//	if best, ok := r.LeastSaturated(); ok && best.HasRoom() {
//		r.AddLoad(best, 1, now) // best took a session
//	}
//
// # Cost
//
// The roster keeps two ordered indexes: agents that are online and not
// suspended, by (saturation, idle since, id), each with its key copied in
// so a search reads no agent; and those of them with room, by id, built by
// the first round-robin pick. Each is a sorted slice up to 64 agents (a
// shop's size: a binary search and a short memmove, no nodes) and a
// google/btree above. A change of load moves the agent from its old key to
// its new one, O(log n); [Roster.LeastSaturated] and
// [Roster.NextRoundRobin] are O(log n). Nothing scans the agents. Each
// agent has a [Agent.Slot], a dense number a dispatcher indexes its own
// per-agent state by.
//
// A step that changes one agent's load several times (a close that frees a
// place and pulls the queue head into it) brackets the changes with
// [Roster.Hold] and [Roster.Settle]: the agent stays in the indexes at its
// old key, passed over, and moves once, where its final load and idle time
// put it.
//
//	r.Hold(a)
//	r.AddLoad(a, -1, now) // a session closed
//	r.AddLoad(a, +1, now) // the queue head took its place
//	r.Settle(a)
//
// # Concurrency
//
// A [Roster] is not safe for concurrent use; the dispatch engine serialises
// access to it.
package agent
