package dispatch

import (
	"fmt"
	"math"
	"time"

	"github.com/kefu-dev/kefu/agent"
)

// Message is a message written in a session. The engine keeps no bodies,
// only what dispatch and the list order need.
type Message struct {
	Session string
	From    Sender
	// Agent is who writes, for FromAgent: the agent holding the session
	// (S4).
	Agent string
	// Unreachable is the host's flag that the buyer blocked the shop or
	// that their privacy setting forbids messages (S4); such a message from
	// the shop side is refused.
	Unreachable bool
}

// Message records a message (L5): a buyer message makes the session
// unreplied (if it was not) and unread; an agent message is a reply and
// clears both; bot and system messages change neither. In an agent's list
// it moves the session to its L4 place and resets the auto-close
// deadline (L2, L3). It returns an EventMessage.
//
// An agent may write only in a session in its own list, never while
// offline, never to an unreachable buyer (S4), and at most
// Policy.DMLimit times to a buyer who has not followed and never chatted,
// until they reply or follow (L6).
//
// Errors: ErrUnknownSession, ErrInvalidSender, ErrUnknownAgent,
// ErrAgentOffline, ErrNotYourSession, ErrBuyerUnreachable, ErrDMLimit.
func (e *Engine) Message(now time.Time, m Message) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpMessage, Message: m})
}

func (e *Engine) doMessage(now time.Time, m Message) error {
	s, err := e.session(m.Session)
	if err != nil {
		return err
	}
	if m.From < FromBuyer || m.From > FromSystem {
		return fmt.Errorf("%w: %d", ErrInvalidSender, uint8(m.From))
	}
	if m.From != FromBuyer && m.Unreachable {
		return fmt.Errorf("%w: session %q", ErrBuyerUnreachable, m.Session)
	}
	if m.From == FromAgent {
		a, err := e.agent(m.Agent)
		if err != nil {
			return err
		}
		if a.Status() == agent.Offline {
			return fmt.Errorf("%w: %q cannot send", ErrAgentOffline, m.Agent)
		}
		if s.agent != a {
			return fmt.Errorf("%w: %q writing in %q", ErrNotYourSession, m.Agent, m.Session)
		}
		if s.place == PlaceOffered {
			return fmt.Errorf("%w: %q is offered to %q, which has not accepted it (E1)", ErrNotYourSession, m.Session, m.Agent)
		}
		if o := e.outreach[s]; e.pol.DMLimit > 0 && o.stranger && int(o.dmSent) >= e.pol.DMLimit {
			return fmt.Errorf("%w: %d sent to a buyer who has not followed or replied", ErrDMLimit, o.dmSent)
		}
	}
	if m.From == FromBuyer {
		e.buyerWrote(s, now)
	}
	e.update(s, func() {
		s.lastFrom, s.lastMsg = m.From, ns(now)
		switch m.From {
		case FromBuyer:
			if s.unread < math.MaxUint32 {
				s.unread++
			}
			if s.waitSince == 0 {
				s.waitSince = ns(now)
			}
			if o, ok := e.outreach[s]; ok && (o.stranger || o.dmSent > 0) {
				o.stranger, o.dmSent = false, 0
				e.outreach[s] = o
			}
		case FromAgent:
			s.unread, s.waitSince = 0, 0
			o := e.outreach[s]
			if o.firstReply == 0 {
				o.firstReply = ns(now)
				if s.flags&FlagStarted == 0 {
					e.stats.FirstReply.observe(time.Duration(ns(now) - s.entry.Arrived))
				}
			}
			if o.dmSent < math.MaxUint32 {
				o.dmSent++
			}
			e.outreach[s] = o
		}
	})
	ev := e.sessionEvent(EventMessage, s, now)
	ev.Sender = m.From
	e.emit(ev)
	return nil
}

// MarkRead records that the agent read the session: its unread count
// becomes 0 (L5). It does not reply: the session stays unreplied.
//
// Errors: ErrUnknownSession.
func (e *Engine) MarkRead(now time.Time, id string) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpMarkRead, Session: id})
}

func (e *Engine) doMarkRead(now time.Time, id string) error {
	s, err := e.session(id)
	if err != nil {
		return err
	}
	s.unread = 0
	return nil
}

// Follow records that the buyer followed the shop: the L6 limit no longer
// applies to the session.
//
// Errors: ErrUnknownSession.
func (e *Engine) Follow(now time.Time, id string) ([]Event, error) {
	return e.apply(now, &Op{Kind: OpFollow, Session: id})
}

func (e *Engine) doFollow(now time.Time, id string) error {
	s, err := e.session(id)
	if err != nil {
		return err
	}
	if o, ok := e.outreach[s]; ok {
		o.stranger = false
		e.outreach[s] = o
	}
	return nil
}
