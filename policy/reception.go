package policy

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// MaxCrowds is how many priority-reception crowds a shop may select (P3:
// the member crowd and shop-defined crowds, at most 10).
const MaxCrowds = 10

// ErrTooManyCrowds is the reason of the FieldError for an 11th crowd (P3).
var ErrTooManyCrowds = errors.New("more than 10 priority crowds")

// Crowd is a buyer crowd (人群) selected for priority reception (P1).
type Crowd struct {
	// ID is the host's crowd id, as it tags buyers (Arrival.Crowds).
	ID string
	// Member marks the shop's member crowd (会员人群); its buyers see the
	// title 会员专属客服 (P6).
	Member bool
}

// TeamLevel is the shop's customer-service team level (客服团队等级),
// re-evaluated by the platform on the 1st of each month (P2).
type TeamLevel uint8

const (
	// LevelNone: not rated. The zero value.
	LevelNone TeamLevel = iota
	// LevelBronze (铜牌): priority crowds may be saved but have no effect.
	LevelBronze
	// LevelSilver (银牌): priority crowds take effect.
	LevelSilver
	// LevelGold (金牌): priority crowds take effect.
	LevelGold
)

// levelNames are the team levels' text names, indexed by TeamLevel.
var levelNames = [...]string{LevelNone: "none", LevelBronze: "bronze", LevelSilver: "silver", LevelGold: "gold"}

// String returns the level's name, or "TeamLevel(n)" for an unknown
// value.
func (l TeamLevel) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("TeamLevel(%d)", uint8(l))
}

// MarshalText implements encoding.TextMarshaler: "none", "bronze",
// "silver" or "gold". An unknown level is an error wrapping ErrInvalid.
func (l TeamLevel) MarshalText() ([]byte, error) { return marshalName(levelNames[:], l, "team level") }

// UnmarshalText implements encoding.TextUnmarshaler: it accepts exactly
// the names MarshalText writes. Other text is an error wrapping
// ErrInvalid and leaves l unchanged.
func (l *TeamLevel) UnmarshalText(text []byte) error {
	return unmarshalName(levelNames[:], l, text, "team level")
}

// Qualifies reports whether priority crowds take effect at this level
// (P2: gold or silver only).
func (l TeamLevel) Qualifies() bool { return l == LevelSilver || l == LevelGold }

// Window is a daily time window with the share of new sessions that go to
// the bot in it (B2), e.g. a live stream 19:00-23:00 sending 60% to the
// bot. Start and End are offsets from local midnight in the shop's time
// zone; Start < End, so a window that crosses midnight is written as two.
type Window struct {
	Start, End time.Duration
	// Share of new sessions the bot takes, 0..1. The split is a hash of
	// the buyer's id: the same buyer always lands on the same side.
	Share float64
}

// Group is a group of agents designated to serve buyer crowds (R2,
// 分组的人群接待范围). Agents join a group by AgentConfig.Group.
type Group struct {
	ID string
	// Crowds are the crowds whose buyers this group serves first.
	Crowds []string
	// QueueCap and MaxWait bound the group's own pool (E8; see
	// Policy.QueueCap, Policy.MaxWait): 0 is no cap of the group's own,
	// and the shop's maximum wait.
	QueueCap int
	MaxWait  time.Duration
	// Rings widen the group's reach (E7, Genesys' bullseye): a session of
	// the group waits for the group's agents alone until Rings[0].After
	// since it entered the queue, then for those of Rings[0].Groups too,
	// and so on, cumulative, at most MaxRings rings; the group's own
	// agents are still preferred, then the inner rings'. Not with
	// GroupFallback, which opens every agent at once.
	Rings []Ring
}

// Ring is one ring of a group's widening (E7): from After on, the agents
// of Groups may take the group's waiting sessions too.
type Ring struct {
	After  time.Duration
	Groups []string
}

// MaxRings bounds Group.Rings (E7: Genesys' bullseye has six).
const MaxRings = 6

// OfflineDiversion is what happens to new sessions while no agent is
// online (O4, 离线分流).
type OfflineDiversion uint8

const (
	// OfflinePool: they wait in the offline pool (O1). The zero value.
	OfflinePool OfflineDiversion = iota
	// OfflineToBot: the bot takes them.
	OfflineToBot
)

// diversionNames are the diversions' text names, indexed by
// OfflineDiversion.
var diversionNames = [...]string{OfflinePool: "pool", OfflineToBot: "bot"}

// String returns "pool", "bot", or "OfflineDiversion(n)" for an unknown
// value.
func (d OfflineDiversion) String() string {
	if int(d) < len(diversionNames) {
		return diversionNames[d]
	}
	return fmt.Sprintf("OfflineDiversion(%d)", uint8(d))
}

// MarshalText implements encoding.TextMarshaler: "pool" or "bot". An
// unknown diversion is an error wrapping ErrInvalid.
func (d OfflineDiversion) MarshalText() ([]byte, error) {
	return marshalName(diversionNames[:], d, "offline diversion")
}

// UnmarshalText implements encoding.TextUnmarshaler: it accepts exactly
// the names MarshalText writes. Other text is an error wrapping
// ErrInvalid and leaves d unchanged.
func (d *OfflineDiversion) UnmarshalText(text []byte) error {
	return unmarshalName(diversionNames[:], d, text, "offline diversion")
}

// BotShare returns the share of new sessions the bot takes at t (B1, B2):
// the share of the window containing t in the shop's time zone (Location,
// UTC when nil), or else 1 with BotFirst
// and 0 without.
func (p Policy) BotShare(t time.Time) float64 {
	if len(p.BotWindows) > 0 {
		// Wall-clock time of day, not time elapsed since midnight: on a
		// daylight-saving day they differ by an hour.
		loc := p.Location
		if loc == nil { // WithDefaults' UTC, without copying the policy
			loc = time.UTC
		}
		h, m, sec := t.In(loc).Clock()
		since := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second +
			time.Duration(t.Nanosecond())
		for _, w := range p.BotWindows {
			if since >= w.Start && since < w.End {
				return w.Share
			}
		}
	}
	if p.BotFirst {
		return 1
	}
	return 0
}

// DefaultBotIdleClose is how long a session held by the bot may stay
// silent before it closes when Policy.BotIdleClose is 0.
const DefaultBotIdleClose = 30 * time.Minute

// GroupFor returns the group serving a buyer of these crowds (R2): the
// first group, in policy order, listing one of them; "" for none.
func (p Policy) GroupFor(crowds func(yield func(string) bool)) string {
	if crowds == nil {
		return ""
	}
	for _, g := range p.Groups {
		for c := range crowds {
			if slices.Contains(g.Crowds, c) {
				return g.ID
			}
		}
	}
	return ""
}

// HasGroup reports whether the policy defines a group with this id.
func (p Policy) HasGroup(id string) bool {
	return slices.ContainsFunc(p.Groups, func(g Group) bool { return g.ID == id })
}

func (p Policy) validateReception() error {
	if len(p.Crowds) > MaxCrowds {
		return &FieldError{Field: "Crowds", Err: fmt.Errorf("%w: %d", ErrTooManyCrowds, len(p.Crowds))}
	}
	seen := map[string]bool{}
	members := 0
	for i, c := range p.Crowds {
		if c.ID == "" {
			return &FieldError{Field: fmt.Sprintf("Crowds[%d].ID", i), Err: errors.New("empty crowd id")}
		}
		if seen[c.ID] {
			return &FieldError{Field: fmt.Sprintf("Crowds[%d].ID", i), Err: fmt.Errorf("duplicate crowd %q", c.ID)}
		}
		seen[c.ID] = true
		if c.Member {
			members++
		}
	}
	if members > 1 {
		return &FieldError{Field: "Crowds", Err: fmt.Errorf("%d member crowds, at most 1", members)}
	}
	if p.TeamLevel > LevelGold {
		return &FieldError{Field: "TeamLevel", Err: fmt.Errorf("unknown level %d", uint8(p.TeamLevel))}
	}
	for i, w := range p.BotWindows {
		f := fmt.Sprintf("BotWindows[%d]", i)
		switch {
		case w.Share < 0 || w.Share > 1 || w.Share != w.Share:
			return &FieldError{Field: f + ".Share", Err: fmt.Errorf("share %v outside 0..1", w.Share)}
		case w.Start < 0 || w.End > 24*time.Hour:
			return &FieldError{Field: f, Err: fmt.Errorf("window %v-%v outside the day", w.Start, w.End)}
		case w.Start >= w.End:
			return &FieldError{Field: f, Err: fmt.Errorf("inverted window %v-%v: start must be before end (split a window across midnight in two)", w.Start, w.End)}
		}
		for j, v := range p.BotWindows[:i] {
			if w.Start < v.End && v.Start < w.End {
				return &FieldError{Field: f, Err: fmt.Errorf("window %v-%v overlaps BotWindows[%d] %v-%v", w.Start, w.End, j, v.Start, v.End)}
			}
		}
	}
	gseen := map[string]bool{}
	for i, g := range p.Groups {
		if g.ID == "" || gseen[g.ID] {
			return &FieldError{Field: fmt.Sprintf("Groups[%d].ID", i), Err: fmt.Errorf("empty or duplicate group id %q", g.ID)}
		}
		gseen[g.ID] = true
	}
	for i, g := range p.Groups { // E7
		f := fmt.Sprintf("Groups[%d].Rings", i)
		if len(g.Rings) == 0 {
			continue
		}
		if len(g.Rings) > MaxRings {
			return &FieldError{Field: f, Err: fmt.Errorf("%d rings, at most %d", len(g.Rings), MaxRings)}
		}
		if p.GroupFallback {
			return &FieldError{Field: f, Err: errors.New("rings with GroupFallback, which opens every agent at once")}
		}
		in := map[string]bool{g.ID: true}
		var prev time.Duration
		for j, r := range g.Rings {
			if r.After <= prev {
				return &FieldError{Field: fmt.Sprintf("%s[%d].After", f, j), Err: fmt.Errorf("%v: after 0 and the ring before (%v)", r.After, prev)}
			}
			prev = r.After
			if len(r.Groups) == 0 {
				return &FieldError{Field: fmt.Sprintf("%s[%d].Groups", f, j), Err: errors.New("no group")}
			}
			for _, id := range r.Groups {
				if !gseen[id] || in[id] {
					return &FieldError{Field: fmt.Sprintf("%s[%d].Groups", f, j), Err: fmt.Errorf("group %q unknown, the group itself, or in an inner ring", id)}
				}
				in[id] = true
			}
		}
	}
	if p.OfflineDiversion > OfflineToBot {
		return &FieldError{Field: "OfflineDiversion", Err: fmt.Errorf("unknown diversion %d", uint8(p.OfflineDiversion))}
	}
	if p.BotIdleClose < 0 {
		return &FieldError{Field: "BotIdleClose", Err: fmt.Errorf("negative duration %v", p.BotIdleClose)}
	}
	return nil
}
