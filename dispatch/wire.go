package dispatch

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-dev/kefu/agent"
	"github.com/kefu-dev/kefu/policy"
)

// WireVersion is the version of the wire format of [Op] and [Event]
// (their MarshalJSON). It is written as "v" only when it is not 1, so
// version 1 records carry no version field; a decoder refuses any other
// version with ErrInvalidOp. The format is a compatibility contract: the
// golden files in testdata/wire pin it.
const WireVersion = 1

// The wire format of times: RFC 3339 with nanoseconds (trailing zeros
// dropped), and with the UTC offset's seconds when it has any (a
// time.FixedZone with seconds, or a historical zone), which RFC 3339
// cannot write: "2026-12-06T21:00:00.5+08:00", "1900-01-01T00:00:00+00:05:43".
// Instants and offsets survive; zone names do not.
const timeSecondsLayout = "2006-01-02T15:04:05.999999999Z07:00:00"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if _, off := t.Zone(); off%60 != 0 {
		return t.Format(timeSecondsLayout)
	}
	return t.Format(time.RFC3339Nano)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		var err2 error
		if t, err2 = time.Parse(timeSecondsLayout, s); err2 != nil {
			return time.Time{}, fmt.Errorf("time %q: %v", s, err)
		}
	}
	return t, nil
}

// textEnum implements MarshalText and UnmarshalText for the uint8 enums
// of the wire format: names[0] is the zero value's name, "" when the zero
// value is not valid.
func enumText(what string, names []string, v uint8) ([]byte, error) {
	if int(v) < len(names) && names[v] != "" {
		return []byte(names[v]), nil
	}
	return nil, fmt.Errorf("%w: %s %d", ErrInvalidOp, what, v)
}

func enumParse(what string, names []string, b []byte) (uint8, error) {
	for i, n := range names {
		if n != "" && n == string(b) {
			return uint8(i), nil
		}
	}
	return 0, fmt.Errorf("%w: %s %q", ErrInvalidOp, what, b)
}

// MarshalText returns the kind's name, e.g. "assigned".
func (k Kind) MarshalText() ([]byte, error) { return enumText("event kind", kindNames[:], uint8(k)) }

// UnmarshalText parses a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := enumParse("event kind", kindNames[:], b)
	*k = Kind(v)
	return err
}

// MarshalText returns the cause's name, e.g. "freed".
func (c Cause) MarshalText() ([]byte, error) { return enumText("cause", causeNames[:], uint8(c)) }

// UnmarshalText parses a cause's name.
func (c *Cause) UnmarshalText(b []byte) error {
	v, err := enumParse("cause", causeNames[:], b)
	*c = Cause(v)
	return err
}

// MarshalText returns the sender's name, e.g. "buyer".
func (s Sender) MarshalText() ([]byte, error) { return enumText("sender", senderNames[:], uint8(s)) }

// UnmarshalText parses a sender's name.
func (s *Sender) UnmarshalText(b []byte) error {
	v, err := enumParse("sender", senderNames[:], b)
	*s = Sender(v)
	return err
}

// MarshalText returns the reason's name, e.g. "buyer-idle".
func (r CloseReason) MarshalText() ([]byte, error) {
	return enumText("close reason", closeNames[:], uint8(r))
}

// UnmarshalText parses a close reason's name.
func (r *CloseReason) UnmarshalText(b []byte) error {
	v, err := enumParse("close reason", closeNames[:], b)
	*r = CloseReason(v)
	return err
}

var placeNames = [...]string{"", "agent", "queue", "offline", "bot", "offered"}

// MarshalText returns the place's name, e.g. "queue".
func (p Place) MarshalText() ([]byte, error) { return enumText("place", placeNames[:], uint8(p)) }

// UnmarshalText parses a place's name.
func (p *Place) UnmarshalText(b []byte) error {
	v, err := enumParse("place", placeNames[:], b)
	*p = Place(v)
	return err
}

var entryNames = [...]string{"message-box", "product", "order", "shop-home"}

// String returns the entry point's name, e.g. "product".
func (en EntryPoint) String() string {
	if int(en) < len(entryNames) {
		return entryNames[en]
	}
	return fmt.Sprintf("EntryPoint(%d)", uint8(en))
}

// MarshalText returns the entry point's name.
func (en EntryPoint) MarshalText() ([]byte, error) {
	return enumText("entry point", entryNames[:], uint8(en))
}

// UnmarshalText parses an entry point's name.
func (en *EntryPoint) UnmarshalText(b []byte) error {
	v, err := enumParse("entry point", entryNames[:], b)
	*en = EntryPoint(v)
	return err
}

var warningCodes = [...]string{"", "capacity-low", "unlimited-offline"}

// MarshalText returns the warning's Code, e.g. "capacity-low".
func (w Warning) MarshalText() ([]byte, error) { return enumText("warning", warningCodes[:], uint8(w)) }

// UnmarshalText parses a warning's code.
func (w *Warning) UnmarshalText(b []byte) error {
	v, err := enumParse("warning", warningCodes[:], b)
	*w = Warning(v)
	return err
}

var flagNames = [...]string{"offline", "transferred", "started", "reassigned", "inactive"}

// MarshalText returns the flags as String does: names joined by "|", ""
// for none. Unknown bits are an error.
func (f Flags) MarshalText() ([]byte, error) {
	if f >= 1<<len(flagNames) {
		return nil, fmt.Errorf("%w: flags %#x", ErrInvalidOp, uint8(f))
	}
	return []byte(f.String()), nil
}

// UnmarshalText parses flags written by MarshalText.
func (f *Flags) UnmarshalText(b []byte) error {
	*f = 0
	if len(b) == 0 {
		return nil
	}
	for _, part := range strings.Split(string(b), "|") {
		v, err := enumParse("flag", flagNames[:], []byte(part))
		if err != nil {
			return err
		}
		*f |= 1 << v
	}
	return nil
}

// wireOp is an Op on the wire: one flat object, the fields its kind uses.
type wireOp struct {
	V           int              `json:"v,omitempty"`
	Op          OpKind           `json:"op"`
	Session     string           `json:"session,omitempty"`
	Agent       string           `json:"agent,omitempty"`
	Buyer       string           `json:"buyer,omitempty"`
	Status      *wStatus         `json:"status,omitempty"`
	Capacity    *agent.Capacity  `json:"capacity,omitempty"`
	Group       string           `json:"group,omitempty"`
	Priority    int              `json:"priority,omitempty"`
	Entry       wEntry           `json:"entry,omitempty"`
	Crowds      []wireMembership `json:"crowds,omitempty"`
	Exclusive   string           `json:"exclusive,omitempty"`
	Stranger    bool             `json:"stranger,omitempty"`
	From        wSender          `json:"from,omitempty"`
	Unreachable bool             `json:"unreachable,omitempty"`
	Level       *wLevel          `json:"level,omitempty"`
	Policy      *policy.Policy   `json:"policy,omitempty"`
	Kind        string           `json:"kind,omitempty"` // an arrival's kind (E10)
}

type wireMembership struct {
	Crowd string `json:"crowd"`
	Since string `json:"since,omitempty"`
}

// The enums of an op on the wire: by name when the value has one, else
// by number, so that every op a caller can build, the ones the engine
// refuses included, is logged and replayed without loss.
type (
	wStatus agent.Status
	wEntry  EntryPoint
	wSender Sender
	wLevel  policy.TeamLevel
)

func (v wStatus) MarshalJSON() ([]byte, error) { return enumJSON(agent.Status(v), uint8(v)) }
func (v wEntry) MarshalJSON() ([]byte, error)  { return enumJSON(EntryPoint(v), uint8(v)) }
func (v wSender) MarshalJSON() ([]byte, error) { return enumJSON(Sender(v), uint8(v)) }
func (v wLevel) MarshalJSON() ([]byte, error)  { return enumJSON(policy.TeamLevel(v), uint8(v)) }
func (v *wStatus) UnmarshalJSON(b []byte) error {
	return enumFromJSON(b, (*agent.Status)(v), (*uint8)(v))
}
func (v *wEntry) UnmarshalJSON(b []byte) error  { return enumFromJSON(b, (*EntryPoint)(v), (*uint8)(v)) }
func (v *wSender) UnmarshalJSON(b []byte) error { return enumFromJSON(b, (*Sender)(v), (*uint8)(v)) }
func (v *wLevel) UnmarshalJSON(b []byte) error {
	return enumFromJSON(b, (*policy.TeamLevel)(v), (*uint8)(v))
}

func enumJSON(m encoding.TextMarshaler, n uint8) ([]byte, error) {
	if b, err := m.MarshalText(); err == nil {
		return json.Marshal(string(b))
	}
	return strconv.AppendUint(nil, uint64(n), 10), nil
}

// enumFromJSON reads a name into u, or a number into n (canonical form is
// left to the re-encoding check).
func enumFromJSON(b []byte, u encoding.TextUnmarshaler, n *uint8) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return u.UnmarshalText([]byte(s))
	}
	x, err := strconv.ParseUint(string(b), 10, 8)
	if err != nil {
		return fmt.Errorf("%w: enum %s", ErrInvalidOp, b)
	}
	*n = uint8(x)
	return nil
}

// toWire returns the wire form of op, from the fields its kind reads.
func (op *Op) toWire() (wireOp, error) {
	w := wireOp{Op: op.Kind}
	switch op.Kind {
	case OpAddAgent:
		w.Agent, w.Group = op.Agent, op.AgentConfig.Group
		c := op.AgentConfig.Capacity
		w.Capacity = &c
		if st := wStatus(op.AgentConfig.Status); st != 0 {
			w.Status = &st
		}
	case OpRemoveAgent, OpLogin, OpLogout:
		w.Agent = op.Agent
	case OpSetStatus:
		st := wStatus(op.Status)
		w.Agent, w.Status = op.Agent, &st
	case OpSetCapacity:
		c := op.Capacity
		w.Agent, w.Capacity = op.Agent, &c
	case OpArrive:
		a := &op.Arrival
		w.Session, w.Buyer, w.Priority, w.Entry, w.Exclusive, w.Kind = a.Session, a.Buyer, a.Priority, wEntry(a.Entry), a.Exclusive, a.Kind
		for _, m := range a.Crowds {
			w.Crowds = append(w.Crowds, wireMembership{m.Crowd, formatTime(m.Since)})
		}
	case OpStart:
		o := &op.Outbound
		w.Session, w.Buyer, w.Agent, w.Stranger = o.Session, o.Buyer, o.Agent, o.Stranger
	case OpMessage:
		m := &op.Message
		w.Session, w.From, w.Agent, w.Unreachable = m.Session, wSender(m.From), m.Agent, m.Unreachable
	case OpMarkRead, OpFollow, OpClose, OpLeave, OpHandover:
		w.Session = op.Session
	case OpAssign, OpTransfer, OpAccept, OpReject:
		w.Session, w.Agent = op.Session, op.Agent
	case OpEndWrapUp:
		w.Agent = op.Agent
	case OpSetTeamLevel:
		l := wLevel(op.TeamLevel)
		w.Level = &l
	case OpAdvance:
	case OpSetPolicy:
		if op.Policy == nil {
			return w, fmt.Errorf("%w: set-policy without a policy", ErrInvalidOp)
		}
		w.Policy = op.Policy
	default:
		return w, fmt.Errorf("%w: kind %d", ErrInvalidOp, uint8(op.Kind))
	}
	return w, nil
}

// fromWire returns the Op w stands for.
func (w *wireOp) fromWire() (Op, error) {
	op := Op{Kind: w.Op}
	deref := func(p *agent.Capacity) agent.Capacity {
		if p == nil {
			return agent.Capacity{}
		}
		return *p
	}
	switch w.Op {
	case OpAddAgent:
		op.Agent = w.Agent
		op.AgentConfig = AgentConfig{Capacity: deref(w.Capacity), Group: w.Group}
		if w.Status != nil {
			op.AgentConfig.Status = agent.Status(*w.Status)
		}
	case OpRemoveAgent, OpLogin, OpLogout:
		op.Agent = w.Agent
	case OpSetStatus:
		op.Agent = w.Agent
		if w.Status != nil {
			op.Status = agent.Status(*w.Status)
		}
	case OpSetCapacity:
		op.Agent, op.Capacity = w.Agent, deref(w.Capacity)
	case OpArrive:
		op.Arrival = Arrival{Session: w.Session, Buyer: w.Buyer, Priority: w.Priority, Entry: EntryPoint(w.Entry), Exclusive: w.Exclusive, Kind: w.Kind}
		for _, m := range w.Crowds {
			t, err := parseTime(m.Since)
			if err != nil {
				return Op{}, fmt.Errorf("%w: %v", ErrInvalidOp, err)
			}
			op.Arrival.Crowds = append(op.Arrival.Crowds, Membership{Crowd: m.Crowd, Since: t})
		}
	case OpStart:
		op.Outbound = Outbound{Session: w.Session, Buyer: w.Buyer, Agent: w.Agent, Stranger: w.Stranger}
	case OpMessage:
		op.Message = Message{Session: w.Session, From: Sender(w.From), Agent: w.Agent, Unreachable: w.Unreachable}
	case OpMarkRead, OpFollow, OpClose, OpLeave, OpHandover:
		op.Session = w.Session
	case OpAssign, OpTransfer, OpAccept, OpReject:
		op.Session, op.Agent = w.Session, w.Agent
	case OpEndWrapUp:
		op.Agent = w.Agent
	case OpSetTeamLevel:
		if w.Level != nil {
			op.TeamLevel = policy.TeamLevel(*w.Level)
		}
	case OpAdvance:
	case OpSetPolicy:
		if w.Policy == nil {
			return Op{}, fmt.Errorf("%w: set-policy without a policy", ErrInvalidOp)
		}
		p := *w.Policy
		op.Policy = &p
	default:
		return Op{}, fmt.Errorf("%w: kind %d", ErrInvalidOp, uint8(w.Op))
	}
	return op, nil
}

// MarshalJSON writes the op in the wire format: one compact JSON object,
// "op" (the kind's name) first, then the fields the kind uses, by name
// (e.g. {"op":"close","session":"s1"}); enums by name, times as RFC 3339
// (see WireVersion), a policy as policy.Policy's JSON. An op with a field
// set that its kind does not read, an unknown kind, or an id that is not
// valid UTF-8 is an error wrapping ErrInvalidOp: what is written always
// decodes to the same op.
func (op Op) MarshalJSON() ([]byte, error) {
	w, err := op.toWire()
	if err != nil {
		return nil, err
	}
	back, err := w.fromWire()
	if err != nil {
		return nil, err
	}
	if !sameOp(&op, &back) {
		return nil, fmt.Errorf("%w: %s op has fields set that its kind does not read", ErrInvalidOp, op.Kind)
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOp, err)
	}
	return b, nil
}

// UnmarshalJSON reads an op written by MarshalJSON. It accepts exactly
// the bytes MarshalJSON writes for some op (compact, fields in order, no
// field the kind does not use, no unknown field, canonical times): a log
// record that does not re-encode to itself is corrupt or from another
// version, and is refused with ErrInvalidOp rather than half understood.
// It does not validate ids or values: Apply does.
func (op *Op) UnmarshalJSON(b []byte) error {
	var w wireOp
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidOp, err)
	}
	if w.V != 0 && w.V != WireVersion {
		return fmt.Errorf("%w: wire version %d, this library reads %d", ErrInvalidOp, w.V, WireVersion)
	}
	x, err := w.fromWire()
	if err != nil {
		return err
	}
	again, err := x.MarshalJSON()
	if err != nil {
		return err
	}
	if !bytes.Equal(again, b) {
		return fmt.Errorf("%w: not in the canonical form %s", ErrInvalidOp, truncate(again))
	}
	*op = x
	return nil
}

// sameOp reports whether two ops read the same (the fields of their kind
// equal, and every other field zero in both).
func sameOp(a, b *Op) bool {
	if (a.Policy == nil) != (b.Policy == nil) || (a.Policy != nil && !a.Policy.Equal(*b.Policy)) {
		return false
	}
	if len(a.Arrival.Crowds) != len(b.Arrival.Crowds) {
		return false
	}
	for i, m := range a.Arrival.Crowds {
		n := b.Arrival.Crowds[i]
		if m.Crowd != n.Crowd || !m.Since.Equal(n.Since) {
			return false
		}
	}
	x, y := *a, *b
	x.Policy, y.Policy = nil, nil
	x.Arrival.Crowds, y.Arrival.Crowds = nil, nil
	return reflect.DeepEqual(x, y) && validUTF8(a)
}

// validUTF8 reports whether every string of op is valid UTF-8: JSON
// strings cannot carry other bytes without loss.
func validUTF8(op *Op) bool {
	err := checkIDs("session", op.Session, "agent", op.Agent, "group", op.AgentConfig.Group,
		"session", op.Arrival.Session, "buyer", op.Arrival.Buyer, "exclusive", op.Arrival.Exclusive, "kind", op.Arrival.Kind,
		"session", op.Outbound.Session, "buyer", op.Outbound.Buyer, "agent", op.Outbound.Agent,
		"session", op.Message.Session, "agent", op.Message.Agent)
	if err != nil {
		return false
	}
	for _, m := range op.Arrival.Crowds {
		if checkIDs("crowd", m.Crowd) != nil {
			return false
		}
	}
	return true
}

// wireEvent is an Event on the wire.
type wireEvent struct {
	V       int          `json:"v,omitempty"`
	Seq     uint64       `json:"seq"`
	Kind    Kind         `json:"kind"`
	At      string       `json:"at"`
	Session string       `json:"session,omitempty"`
	Buyer   string       `json:"buyer,omitempty"`
	Agent   string       `json:"agent,omitempty"`
	From    string       `json:"from,omitempty"`
	Cause   Cause        `json:"cause,omitempty"`
	Flags   Flags        `json:"flags,omitempty"`
	Arrived string       `json:"arrived,omitempty"`
	Warning Warning      `json:"warning,omitempty"`
	Sender  Sender       `json:"sender,omitempty"`
	Reason  CloseReason  `json:"reason,omitempty"`
	Prompt  *Prompt      `json:"prompt,omitempty"`
	Status  agent.Status `json:"status,omitempty"`
}

// MarshalJSON writes the event in the wire format: one compact JSON
// object, {"seq":1,"kind":"assigned","at":"…","session":"s1",…}, zero
// fields left out, enums by name, times as RFC 3339 with the offset's
// seconds when it has any (see WireVersion).
func (ev Event) MarshalJSON() ([]byte, error) {
	w := wireEvent{Seq: ev.Seq, Kind: ev.Kind, At: formatTime(ev.At), Session: ev.Session, Buyer: ev.Buyer,
		Agent: ev.Agent, From: ev.From, Cause: ev.Cause, Flags: ev.Flags, Arrived: formatTime(ev.Arrived),
		Warning: ev.Warning, Sender: ev.Sender, Reason: ev.Reason, Status: ev.Status}
	if ev.Prompt != (Prompt{}) {
		p := ev.Prompt
		w.Prompt = &p
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("%w: event: %v", ErrInvalidOp, err)
	}
	return b, nil
}

// UnmarshalJSON reads an event written by MarshalJSON, and, as Op's,
// only the canonical bytes MarshalJSON writes.
func (ev *Event) UnmarshalJSON(b []byte) error {
	var w wireEvent
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("%w: event: %v", ErrInvalidOp, err)
	}
	if w.V != 0 && w.V != WireVersion {
		return fmt.Errorf("%w: wire version %d, this library reads %d", ErrInvalidOp, w.V, WireVersion)
	}
	x := Event{Seq: w.Seq, Kind: w.Kind, Session: w.Session, Buyer: w.Buyer, Agent: w.Agent, From: w.From,
		Cause: w.Cause, Flags: w.Flags, Warning: w.Warning, Sender: w.Sender, Reason: w.Reason, Status: w.Status}
	var err error
	if x.At, err = parseTime(w.At); err != nil {
		return fmt.Errorf("%w: event: %v", ErrInvalidOp, err)
	}
	if x.Arrived, err = parseTime(w.Arrived); err != nil {
		return fmt.Errorf("%w: event: %v", ErrInvalidOp, err)
	}
	if w.Prompt != nil {
		x.Prompt = *w.Prompt
	}
	again, err := x.MarshalJSON()
	if err != nil {
		return err
	}
	if !bytes.Equal(again, b) {
		return fmt.Errorf("%w: event not in the canonical form %s", ErrInvalidOp, truncate(again))
	}
	*ev = x
	return nil
}

// String renders the op on one line, for logs.
func (op Op) String() string {
	b, err := op.MarshalJSON()
	if err != nil {
		return fmt.Sprintf("%s (%v)", op.Kind, err)
	}
	return string(b)
}

// truncate returns b as a string, cut after 40 bytes, for error messages.
func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}
