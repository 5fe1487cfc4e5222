// Package queue is the queue pool (排队池) of one shop: the sessions waiting
// for an agent with room, in the order rule Q2 gives them.
//
// A [Pool] orders [Entry] values by priority (higher first), then by the
// time the buyer asked (earlier first), then by a sequence number the caller
// assigns from a counter that only goes up. The sequence makes the order
// total and stable: two buyers who asked in the same nanosecond keep the
// order in which they reached the shop, and the pool's B-tree, which treats
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
// Push, Delete, Contains, Min, PopMin and Position are O(log n); All is
// O(n). A pool of up to 64 entries is a sorted slice of its pointers: a
// position is the index a binary search finds, and a small shop's queue
// costs a few words, not a tree node. A larger pool moves to its own
// counted B-tree (queue/internal/rank), not google/btree, because
// google/btree keeps no subtree counts, so a position there is
// O(position): a walk over every entry ahead. Each internal node of the
// counted tree records how many entries each child subtree holds, and
// Position adds those counts up on one descent (about 0.3 µs at 100 000
// entries). A pool that shrinks to 32 entries goes back to a slice.
//
// Tree nodes hold up to 62 entries in a fixed array (512 bytes). A full
// node at the tail that receives a later arrival splits so that the old
// node stays full, so entries pushed in arrival order cost under 9 bytes
// of index each; deletions rebalance, so every node but those at the tail
// keeps at least 30 entries whatever the order of operations.
//
// # Concurrency
//
// A Pool is not safe for concurrent use.
package queue
