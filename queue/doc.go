// Package queue is the queue pool (排队池) of one shop: the sessions waiting
// for an agent with room, in the order rule Q2 gives them.
//
// A [Pool] orders [Entry] values by priority (higher first), then by the
// time the buyer asked (earlier first), then by a sequence number the caller
// assigns from a counter that only goes up. The sequence makes the order
// total and stable: two buyers who asked in the same nanosecond keep the
// order in which they reached the shop, and google/btree, which treats
// "neither is less" as "equal", never merges them.
//
// The same type serves as the offline pool (离线排队池, O1): entries wait
// there, in the same order, for the first agent to come online.
//
// # Usage
//
//	p := queue.New()
//	var seq uint64
//	seq++
//	e := &queue.Entry{ID: "s1", Priority: 0, Arrived: now.UnixNano(), Seq: seq}
//	if err := p.Push(e); err != nil { ... }   // queue.ErrDuplicate
//	pos, _ := p.Position(e)                    // 1-based (Q3)
//	head, ok := p.Min()                        // the next session to assign
//	p.Delete(head)                             // assigned, or the buyer left
//
// The pool stores the *Entry pointers it is given and reads their key
// fields; the caller must not change Priority, Arrived or Seq of an entry
// while it is in a pool (delete, change, push again).
//
// # Cost
//
// Push, Delete, Min and Contains are O(log n) (google/btree, degree 32).
// Position is O(position): it counts the entries ahead.
//
// # Concurrency
//
// A Pool is not safe for concurrent use.
package queue
