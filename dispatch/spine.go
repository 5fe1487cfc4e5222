package dispatch

import (
	"time"

	"github.com/google/btree"
	"go.uber.org/zap"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// floor is the spine of the package: it owns where every open session is
// and every way a session moves between places (an agent's list, the
// queue pool, the offline pool, the bot, an agent's history, or out of
// the engine), with the timers, statistics and events each move brings.
// The Engine embeds it; the Engine's operations decide (which agent,
// whether to queue, what a rule allows) and then call the floor's
// moves, which decide nothing.
type floor struct {
	// The shop's policy, installed by Engine.setPolicy. The floor reads
	// what moves follow (the idle timeouts, GroupFallback, the defaulted
	// validity, bot timeout and history limit); the Engine's decisions
	// read the rest through the embedding.
	pol policy.Policy // as the host gave it: Policy returns it
	eff defaulted     // pol's defaulted fields: read them here

	log *zap.Logger
	loc *time.Location // of the latest time passed in: the times returned are in it

	// roster is the shop's agents; the floor keeps their loads equal to
	// their lists (AddLoad). The Engine's decisions choose from it.
	roster *agent.Roster

	sessions map[string]*session   // every open session, by id
	outreach map[*session]outreach // of sessions an agent replied in or started to a stranger
	pools    []*pools              // pools[0]: anyone's; then one per policy group (R2)
	poolOf   map[string]*pools     // by group id, "" → pools[0]
	timers   *btree.BTreeG[timer]  // every session's deadline, earliest first
	recent   contacts              // buyer → the agent who served them last, for RecentContactTTL (R1)
	desks    []*desk               // each agent's current list and history (L4), by agent.Agent.Slot
	bot      int                   // sessions held by the bot

	// The events of the operation under way: the floor's moves and the
	// Engine's own (warnings, prompts, messages) go through emit.
	out   []Event
	evSeq uint64 // the Seq of the latest event (Event.Seq)
	stats Stats  // counters and histograms (Stats)

	// Recycled sessions, so that the dispatch path does not allocate in
	// steady state. (Closed records live by value in the histories.)
	freeSessions []*session
}

// keepsRecent reports whether the policy reads recent contacts (R1
// recent contact, P9); if not, the floor does not keep them, a map write
// per assignment saved.
func (f *floor) keepsRecent() bool {
	return f.pol.Strategy == policy.RecentContact || (f.pol.NoQueue && len(f.pol.Crowds) > 0)
}
