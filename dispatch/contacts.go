package dispatch

import (
	"fmt"
	"time"
)

// contacts is the memory of R1 RecentContact (and P9): for each buyer, the
// agent a session of theirs was last assigned to, and when. A contact is
// valid for Policy.RecentContactTTL after that assignment and then
// forgotten, so the memory holds the buyers served in the last TTL, not
// every buyer the shop ever had.
//
// The engine's clock never goes back, so assignment times only grow: a
// list in assignment order is also in expiry order. set moves a buyer to
// the back and forget drops expired contacts from the front, both O(1)
// per contact, with no index to search.
type contacts struct {
	by         map[string]*contact
	head, tail *contact // oldest and newest assignment
	free       *contact // forgotten records, reused by set (linked by next)
	nfree      int      // records in free, at most maxFree
	ttl        int64    // ns
}

type contact struct {
	buyer, agent string
	at           int64 // ns, the engine's clock at the assignment
	prev, next   *contact
}

func newContacts(ttl int64) contacts {
	return contacts{by: make(map[string]*contact), ttl: ttl}
}

// get returns the buyer's recent-contact agent at now, if remembered and
// not expired.
func (c *contacts) get(buyer string, now int64) (string, bool) {
	x, ok := c.by[buyer]
	if !ok || now-x.at >= c.ttl {
		return "", false
	}
	return x.agent, true
}

// set records that buyer's session went to agent at now (now at or after
// every earlier set), then forgets the contacts expired at now.
func (c *contacts) set(buyer, agent string, now int64) {
	x, ok := c.by[buyer]
	if ok {
		c.unlink(x)
	} else {
		if x = c.free; x != nil {
			c.free, c.nfree = x.next, c.nfree-1
		} else {
			x = new(contact)
		}
		*x = contact{buyer: buyer}
		c.by[buyer] = x
	}
	x.agent, x.at = agent, now
	x.prev, x.next = c.tail, nil
	if c.tail != nil {
		c.tail.next = x
	} else {
		c.head = x
	}
	c.tail = x
	c.forget(now)
}

// forget drops the contacts expired at now, oldest first.
func (c *contacts) forget(now int64) {
	for x := c.head; x != nil && now-x.at >= c.ttl; x = c.head {
		c.unlink(x)
		delete(c.by, x.buyer)
		if c.nfree < maxFree {
			*x = contact{next: c.free}
			c.free, c.nfree = x, c.nfree+1
		}
	}
}

func (c *contacts) unlink(x *contact) {
	if x.prev != nil {
		x.prev.next = x.next
	} else {
		c.head = x.next
	}
	if x.next != nil {
		x.next.prev = x.prev
	} else {
		c.tail = x.prev
	}
	x.prev, x.next = nil, nil
}

// all yields the remembered contacts, oldest assignment first.
func (c *contacts) all(yield func(*contact) bool) {
	for x := c.head; x != nil; x = x.next {
		if !yield(x) {
			return
		}
	}
}

// verify checks the list against the map: the same contacts, in
// non-decreasing time, none later than now.
func (c *contacts) verify(now int64) error {
	n := 0
	var prev *contact
	for x := c.head; x != nil; x = x.next {
		if x.prev != prev {
			return fmt.Errorf("dispatch: "+"recent contact %q: broken link", x.buyer)
		}
		if x.at > now || (prev != nil && x.at < prev.at) {
			return fmt.Errorf("dispatch: "+"recent contacts out of order at %q", x.buyer)
		}
		if c.by[x.buyer] != x {
			return fmt.Errorf("dispatch: "+"recent contact %q is listed but not mapped", x.buyer)
		}
		prev = x
		n++
	}
	if prev != c.tail || n != len(c.by) {
		return fmt.Errorf("dispatch: "+"recent contacts: %d listed, %d mapped", n, len(c.by))
	}
	return nil
}

// PromptCooldown is how long after a prompt the same buyer gets none (P8).
const PromptCooldown = 8 * time.Hour

// cooldowns remembers who was prompted in the last PromptCooldown (P8).
// Prompt times only grow, so a FIFO forgets the oldest first: memory stays
// bounded by the buyers prompted in the last 8 hours.
type cooldowns struct {
	last  map[string]time.Time
	order []prompted // FIFO by time
	head  int
}

type prompted struct {
	buyer string
	at    time.Time
}

func newCooldowns() cooldowns { return cooldowns{last: make(map[string]time.Time)} }

// allow reports whether buyer may be prompted at now, and if so records it.
func (c *cooldowns) allow(buyer string, now time.Time) bool {
	c.forget(now)
	if _, recent := c.last[buyer]; recent {
		return false
	}
	c.last[buyer] = now
	c.order = append(c.order, prompted{buyer, now})
	return true
}

// forget drops the prompts older than the cool-down.
func (c *cooldowns) forget(now time.Time) {
	for c.head < len(c.order) && !now.Before(c.order[c.head].at.Add(PromptCooldown)) {
		p := c.order[c.head]
		if c.last[p.buyer].Equal(p.at) {
			delete(c.last, p.buyer)
		}
		c.order[c.head] = prompted{}
		c.head++
	}
	if c.head > 64 && c.head*2 > len(c.order) { // compact
		c.order = append(c.order[:0], c.order[c.head:]...)
		c.head = 0
	}
}
