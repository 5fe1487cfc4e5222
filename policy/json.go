package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/agent"
)

// policyJSON is the wire form of a Policy (see "Encoding" in the package
// doc). Field order is encoding order; every field is omitted when zero,
// so the zero Policy encodes as {}. Enums and durations are strings here,
// converted by hand, so that an error names the Policy field at fault.
type policyJSON struct {
	Strategy            string       `json:"strategy,omitempty"`
	NoQueue             bool         `json:"noQueue,omitempty"`
	Capacity            *boundsJSON  `json:"capacity,omitempty"`
	OfflineValidity     string       `json:"offlineValidity,omitempty"`
	BuyerIdleClose      string       `json:"buyerIdleClose,omitempty"`
	AgentIdleClose      string       `json:"agentIdleClose,omitempty"`
	OfflineBatch        int          `json:"offlineBatch,omitempty"`
	RequeueOnOffline    bool         `json:"requeueOnOffline,omitempty"`
	DMLimit             int          `json:"dmLimit,omitempty"`
	HistoryLimit        int          `json:"historyLimit,omitempty"`
	RecentContactTTL    string       `json:"recentContactTTL,omitempty"`
	Location            *string      `json:"location,omitempty"`   // nil: no Location
	ZoneOffset          *int         `json:"zoneOffset,omitempty"` // set: a fixed zone
	BotFirst            bool         `json:"botFirst,omitempty"`
	BotWindows          []windowJSON `json:"botWindows,omitempty"`
	BotIdleClose        string       `json:"botIdleClose,omitempty"`
	Crowds              []crowdJSON  `json:"crowds,omitempty"`
	TeamLevel           string       `json:"teamLevel,omitempty"`
	PriorityAtQueueHead bool         `json:"priorityAtQueueHead,omitempty"`
	Groups              []groupJSON  `json:"groups,omitempty"`
	GroupFallback       bool         `json:"groupFallback,omitempty"`
	OfflineDiversion    string       `json:"offlineDiversion,omitempty"`
	MaxClockStep        string       `json:"maxClockStep,omitempty"`
	OfferTimeout        string       `json:"offerTimeout,omitempty"`
	OfferTimeoutStatus  string       `json:"offerTimeoutStatus,omitempty"`
	OfferRetry          bool         `json:"offerRetry,omitempty"`
	ReassignAfter       string       `json:"reassignAfter,omitempty"`
	ReassignLimit       int          `json:"reassignLimit,omitempty"`
	ReassignOnOffline   bool         `json:"reassignOnOffline,omitempty"`
	WrapUp              string       `json:"wrapUp,omitempty"`
	AgingStep           string       `json:"agingStep,omitempty"`
	QueueCap            int          `json:"queueCap,omitempty"`
	MaxWait             string       `json:"maxWait,omitempty"`
	Divert              string       `json:"divert,omitempty"`
	InactiveAfter       string       `json:"inactiveAfter,omitempty"`
	Hours               *hoursJSON   `json:"hours,omitempty"` // nil: no Hours; {}: always closed
	Weights             []weightJSON `json:"weights,omitempty"`
}

type boundsJSON struct {
	Min         int  `json:"min,omitempty"`
	Max         int  `json:"max,omitempty"`
	WarnBelow   int  `json:"warnBelow,omitempty"`
	NoUnlimited bool `json:"noUnlimited,omitempty"`
	NoSuspend   bool `json:"noSuspend,omitempty"`
}

type windowJSON struct {
	Start string  `json:"start,omitempty"`
	End   string  `json:"end,omitempty"`
	Share float64 `json:"share,omitempty"`
}

type crowdJSON struct {
	ID     string `json:"id,omitempty"`
	Member bool   `json:"member,omitempty"`
}

type groupJSON struct {
	ID       string     `json:"id,omitempty"`
	Crowds   []string   `json:"crowds,omitempty"`
	QueueCap int        `json:"queueCap,omitempty"`
	MaxWait  string     `json:"maxWait,omitempty"`
	Rings    []ringJSON `json:"rings,omitempty"`
}

type ringJSON struct {
	After  string   `json:"after,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// hoursJSON is Hours (E11): the week by day name, closed days omitted.
type hoursJSON struct {
	Week      *weekJSON `json:"week,omitempty"`
	Overrides []dayJSON `json:"overrides,omitempty"`
	Outside   string    `json:"outside,omitempty"`
}

// weekJSON holds the spans of each weekday, in time.Weekday order.
type weekJSON struct {
	Sunday    []spanJSON `json:"sunday,omitempty"`
	Monday    []spanJSON `json:"monday,omitempty"`
	Tuesday   []spanJSON `json:"tuesday,omitempty"`
	Wednesday []spanJSON `json:"wednesday,omitempty"`
	Thursday  []spanJSON `json:"thursday,omitempty"`
	Friday    []spanJSON `json:"friday,omitempty"`
	Saturday  []spanJSON `json:"saturday,omitempty"`
}

// days returns the fields of w, indexed by time.Weekday.
func (w *weekJSON) days() [7]*[]spanJSON {
	return [7]*[]spanJSON{&w.Sunday, &w.Monday, &w.Tuesday, &w.Wednesday, &w.Thursday, &w.Friday, &w.Saturday}
}

type dayJSON struct {
	Date  string     `json:"date,omitempty"`
	Spans []spanJSON `json:"spans,omitempty"`
}

type spanJSON struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// maxZoneOffset bounds a fixed zone's offset, in seconds east of UTC
// either way: a day. Real zones lie within -12 h..+14 h.
const maxZoneOffset = 24 * 60 * 60

// MarshalJSON implements json.Marshaler with the encoding the package doc
// describes under "Encoding": stable camelCase names, zero fields
// omitted (the zero Policy is {}), enums by name, durations as Go
// duration strings, the time zone by its IANA name or as a fixed zone.
// The bytes are deterministic, and UnmarshalJSON of them returns a policy
// Equal to p.
//
// It validates p first and returns the *FieldError of [Policy.Validate].
// It also returns a *FieldError (wrapping ErrInvalid) for what has no
// faithful encoding: a string that is not valid UTF-8, time.Local (the
// machine's zone, which names no zone elsewhere), a location that is
// neither in the zone database under its name nor a fixed zone, and a
// fixed zone offset a day or more from UTC.
func (p Policy) MarshalJSON() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p.encode()
}

// Equal reports whether p and q have the same encoding (MarshalJSON):
// the same settings, with nil and empty lists alike, and two time zones
// alike when they encode alike (the same IANA name, or the same fixed
// zone name and offset). It does not validate; a policy that has no
// encoding (an enum value without a name, time.Local, ...: see
// MarshalJSON) is Equal to no policy, itself included.
func (p Policy) Equal(q Policy) bool {
	a, err := p.encode()
	if err != nil {
		return false
	}
	b, err := q.encode()
	return err == nil && bytes.Equal(a, b)
}

// encode is MarshalJSON without Validate.
func (p Policy) encode() ([]byte, error) {
	w := policyJSON{
		NoQueue:             p.NoQueue,
		OfflineValidity:     durationText(p.OfflineValidity),
		BuyerIdleClose:      durationText(p.BuyerIdleClose),
		AgentIdleClose:      durationText(p.AgentIdleClose),
		OfflineBatch:        p.OfflineBatch,
		RequeueOnOffline:    p.RequeueOnOffline,
		DMLimit:             p.DMLimit,
		HistoryLimit:        p.HistoryLimit,
		RecentContactTTL:    durationText(p.RecentContactTTL),
		BotFirst:            p.BotFirst,
		BotIdleClose:        durationText(p.BotIdleClose),
		PriorityAtQueueHead: p.PriorityAtQueueHead,
		GroupFallback:       p.GroupFallback,
		MaxClockStep:        durationText(p.MaxClockStep),
		OfferTimeout:        durationText(p.OfferTimeout),
		OfferRetry:          p.OfferRetry,
		ReassignAfter:       durationText(p.ReassignAfter),
		ReassignLimit:       p.ReassignLimit,
		ReassignOnOffline:   p.ReassignOnOffline,
		WrapUp:              durationText(p.WrapUp),
		AgingStep:           durationText(p.AgingStep),
		QueueCap:            p.QueueCap,
		MaxWait:             durationText(p.MaxWait),
		InactiveAfter:       durationText(p.InactiveAfter),
	}
	var err error
	if p.OfferTimeoutStatus != 0 {
		b, err := p.OfferTimeoutStatus.MarshalText()
		if err != nil {
			return nil, &FieldError{Field: "OfferTimeoutStatus", Err: err}
		}
		w.OfferTimeoutStatus = string(b)
	}
	if w.Strategy, err = enumText(p.Strategy, "Strategy"); err != nil {
		return nil, err
	}
	if w.TeamLevel, err = enumText(p.TeamLevel, "TeamLevel"); err != nil {
		return nil, err
	}
	if w.OfflineDiversion, err = enumText(p.OfflineDiversion, "OfflineDiversion"); err != nil {
		return nil, err
	}
	if w.Divert, err = enumText(p.Divert, "Divert"); err != nil {
		return nil, err
	}
	if b := p.Capacity; b != (agent.Bounds{}) {
		w.Capacity = &boundsJSON{b.Min, b.Max, b.WarnBelow, b.NoUnlimited, b.NoSuspend}
	}
	if p.Location != nil {
		name, offset, err := zoneOf(p.Location)
		if err != nil {
			return nil, &FieldError{Field: "Location", Err: err}
		}
		if !utf8.ValidString(name) {
			return nil, &FieldError{Field: "Location", Err: fmt.Errorf("zone name %q is not UTF-8", name)}
		}
		w.Location, w.ZoneOffset = &name, offset
	}
	for i, win := range p.BotWindows {
		if win.Share != win.Share { // NaN has no JSON number
			return nil, &FieldError{Field: fmt.Sprintf("BotWindows[%d].Share", i), Err: fmt.Errorf("share %v", win.Share)}
		}
		w.BotWindows = append(w.BotWindows, windowJSON{durationText(win.Start), durationText(win.End), win.Share})
	}
	for i, c := range p.Crowds {
		if !utf8.ValidString(c.ID) {
			return nil, &FieldError{Field: fmt.Sprintf("Crowds[%d].ID", i), Err: fmt.Errorf("%q is not UTF-8", c.ID)}
		}
		w.Crowds = append(w.Crowds, crowdJSON(c))
	}
	if p.Hours != nil {
		if w.Hours, err = encodeHours(p.Hours); err != nil {
			return nil, err
		}
	}
	for i, g := range p.Groups {
		if !utf8.ValidString(g.ID) {
			return nil, &FieldError{Field: fmt.Sprintf("Groups[%d].ID", i), Err: fmt.Errorf("%q is not UTF-8", g.ID)}
		}
		for j, c := range g.Crowds {
			if !utf8.ValidString(c) {
				return nil, &FieldError{Field: fmt.Sprintf("Groups[%d].Crowds[%d]", i, j), Err: fmt.Errorf("%q is not UTF-8", c)}
			}
		}
		gj := groupJSON{ID: g.ID, Crowds: g.Crowds, QueueCap: g.QueueCap, MaxWait: durationText(g.MaxWait)}
		for _, r := range g.Rings {
			gj.Rings = append(gj.Rings, ringJSON{After: durationText(r.After), Groups: r.Groups})
		}
		w.Groups = append(w.Groups, gj)
	}
	if w.Weights, err = encodeWeights(p.Weights); err != nil {
		return nil, err
	}
	out, err := json.Marshal(w)
	if err != nil { // an infinite share: Validate refuses it, encode alone does not
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return out, nil
}

// UnmarshalJSON implements json.Unmarshaler for the encoding MarshalJSON
// writes. It refuses unknown fields, data after the object, names and
// durations it cannot parse, and any policy [Policy.Validate] refuses;
// every error wraps ErrInvalid, and is a *FieldError where one field is
// at fault. On error p is unchanged. JSON null leaves p unchanged, as
// encoding/json does for other types.
//
// Input need not be canonical (spacing, key order, "20m" for "20m0s",
// zero fields written out): it decodes, and MarshalJSON then writes the
// canonical form. A time zone name is looked up with time.LoadLocation,
// so a host without a zone database on its machine imports time/tzdata.
func (p *Policy) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	var w policyJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("%w JSON: %w", ErrInvalid, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w JSON: data after the policy", ErrInvalid)
	}
	q, err := w.policy()
	if err != nil {
		return err
	}
	if err := q.Validate(); err != nil {
		return err
	}
	*p = q
	return nil
}

// policy converts the wire form, without validating the result.
func (w *policyJSON) policy() (Policy, error) {
	p := Policy{
		NoQueue:             w.NoQueue,
		OfflineBatch:        w.OfflineBatch,
		RequeueOnOffline:    w.RequeueOnOffline,
		DMLimit:             w.DMLimit,
		HistoryLimit:        w.HistoryLimit,
		BotFirst:            w.BotFirst,
		PriorityAtQueueHead: w.PriorityAtQueueHead,
		GroupFallback:       w.GroupFallback,
		OfferRetry:          w.OfferRetry,
		ReassignLimit:       w.ReassignLimit,
		QueueCap:            w.QueueCap,
		ReassignOnOffline:   w.ReassignOnOffline,
	}
	if w.OfferTimeoutStatus != "" {
		if err := p.OfferTimeoutStatus.UnmarshalText([]byte(w.OfferTimeoutStatus)); err != nil {
			return Policy{}, &FieldError{Field: "OfferTimeoutStatus", Err: err}
		}
	}
	errs := []error{
		enumValue(&p.Strategy, w.Strategy, "Strategy"),
		enumValue(&p.TeamLevel, w.TeamLevel, "TeamLevel"),
		enumValue(&p.OfflineDiversion, w.OfflineDiversion, "OfflineDiversion"),
		durationValue(&p.OfflineValidity, w.OfflineValidity, "OfflineValidity"),
		durationValue(&p.BuyerIdleClose, w.BuyerIdleClose, "BuyerIdleClose"),
		durationValue(&p.AgentIdleClose, w.AgentIdleClose, "AgentIdleClose"),
		durationValue(&p.RecentContactTTL, w.RecentContactTTL, "RecentContactTTL"),
		durationValue(&p.BotIdleClose, w.BotIdleClose, "BotIdleClose"),
		durationValue(&p.MaxClockStep, w.MaxClockStep, "MaxClockStep"),
		durationValue(&p.OfferTimeout, w.OfferTimeout, "OfferTimeout"),
		durationValue(&p.ReassignAfter, w.ReassignAfter, "ReassignAfter"),
		durationValue(&p.WrapUp, w.WrapUp, "WrapUp"),
		durationValue(&p.AgingStep, w.AgingStep, "AgingStep"),
		durationValue(&p.MaxWait, w.MaxWait, "MaxWait"),
		durationValue(&p.InactiveAfter, w.InactiveAfter, "InactiveAfter"),
		enumValue(&p.Divert, w.Divert, "Divert"),
	}
	for _, err := range errs {
		if err != nil {
			return Policy{}, err
		}
	}
	if b := w.Capacity; b != nil {
		p.Capacity = agent.Bounds{Min: b.Min, Max: b.Max, WarnBelow: b.WarnBelow, NoUnlimited: b.NoUnlimited, NoSuspend: b.NoSuspend}
	}
	if w.Location != nil || w.ZoneOffset != nil {
		loc, err := location(w.Location, w.ZoneOffset)
		if err != nil {
			return Policy{}, &FieldError{Field: "Location", Err: err}
		}
		p.Location = loc
	}
	for i, win := range w.BotWindows {
		f := fmt.Sprintf("BotWindows[%d]", i)
		v := Window{Share: win.Share}
		if err := durationValue(&v.Start, win.Start, f+".Start"); err != nil {
			return Policy{}, err
		}
		if err := durationValue(&v.End, win.End, f+".End"); err != nil {
			return Policy{}, err
		}
		p.BotWindows = append(p.BotWindows, v)
	}
	for _, c := range w.Crowds {
		p.Crowds = append(p.Crowds, Crowd(c))
	}
	for i, g := range w.Groups {
		if len(g.Crowds) == 0 {
			g.Crowds = nil // [] and null and absent alike
		}
		x := Group{ID: g.ID, Crowds: g.Crowds, QueueCap: g.QueueCap}
		if err := durationValue(&x.MaxWait, g.MaxWait, fmt.Sprintf("Groups[%d].MaxWait", i)); err != nil {
			return Policy{}, err
		}
		for j, r := range g.Rings {
			y := Ring{Groups: r.Groups}
			if err := durationValue(&y.After, r.After, fmt.Sprintf("Groups[%d].Rings[%d].After", i, j)); err != nil {
				return Policy{}, err
			}
			x.Rings = append(x.Rings, y)
		}
		p.Groups = append(p.Groups, x)
	}
	if w.Hours != nil {
		h, err := w.Hours.hours()
		if err != nil {
			return Policy{}, err
		}
		p.Hours = h
	}
	p.Weights = decodeWeights(w.Weights)
	return p, nil
}

// encodeHours returns the wire form of h (E11).
func encodeHours(h *Hours) (*hoursJSON, error) {
	w := &hoursJSON{}
	var err error
	if w.Outside, err = enumText(h.Outside, "Hours.Outside"); err != nil {
		return nil, err
	}
	var week weekJSON
	closed := true
	for d, f := range week.days() {
		*f = spansJSON(h.Week[d])
		closed = closed && len(*f) == 0
	}
	if !closed {
		w.Week = &week
	}
	for i, o := range h.Overrides {
		if !utf8.ValidString(o.Date) {
			return nil, &FieldError{Field: fmt.Sprintf("Hours.Overrides[%d].Date", i), Err: fmt.Errorf("%q is not UTF-8", o.Date)}
		}
		w.Overrides = append(w.Overrides, dayJSON{Date: o.Date, Spans: spansJSON(o.Spans)})
	}
	return w, nil
}

// spansJSON returns the wire form of spans, nil for none.
func spansJSON(spans []Span) []spanJSON {
	var out []spanJSON
	for _, s := range spans {
		out = append(out, spanJSON{durationText(s.Start), durationText(s.End)})
	}
	return out
}

// hours converts the wire form, without validating the result.
func (w *hoursJSON) hours() (*Hours, error) {
	h := &Hours{}
	if err := enumValue(&h.Outside, w.Outside, "Hours.Outside"); err != nil {
		return nil, err
	}
	if w.Week != nil {
		for d, f := range w.Week.days() {
			spans, err := spansValue(*f, fmt.Sprintf("Hours.Week[%d]", d))
			if err != nil {
				return nil, err
			}
			h.Week[d] = spans
		}
	}
	for i, o := range w.Overrides {
		f := fmt.Sprintf("Hours.Overrides[%d]", i)
		spans, err := spansValue(o.Spans, f+".Spans")
		if err != nil {
			return nil, err
		}
		h.Overrides = append(h.Overrides, DayHours{Date: o.Date, Spans: spans})
	}
	return h, nil
}

// spansValue parses the wire form of spans; field names the list. None
// is nil: [] and null and absent alike.
func spansValue(in []spanJSON, field string) ([]Span, error) {
	var out []Span
	for i, s := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		var v Span
		if err := durationValue(&v.Start, s.Start, f+".Start"); err != nil {
			return nil, err
		}
		if err := durationValue(&v.End, s.End, f+".End"); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// zoneOf returns how loc is written: its name alone when time.LoadLocation
// finds the same zone under that name (an IANA zone, UTC), else its name
// and offset when it is a fixed zone (time.FixedZone, like the presets'
// ChinaStandardTime). A fixed zone whose name LoadLocation finds as
// another zone ("UTC" one hour east) keeps its offset, so that decoding
// gives back the same zone.
func zoneOf(loc *time.Location) (string, *int, error) {
	if loc == time.UTC {
		return "UTC", nil, nil
	}
	if loc == time.Local {
		return "", nil, errors.New("time.Local is the machine's zone and has no portable name: use the zone's IANA name (time.LoadLocation)")
	}
	name := loc.String()
	fixed, abbr, offset := zoneShape(loc)
	if name != "" && name != "Local" {
		if db, err := loadZone(name); err == nil {
			dbFixed, dbAbbr, dbOffset := zoneShape(db)
			// A zone with transitions is trusted to be the database's
			// zone of its name; a fixed one must match it exactly.
			if !fixed && !dbFixed || fixed && dbFixed && abbr == dbAbbr && offset == dbOffset {
				return name, nil, nil
			}
		}
	}
	if !fixed {
		return "", nil, fmt.Errorf("zone %q is not in the zone database under its name and is not a fixed zone", name)
	}
	if offset <= -maxZoneOffset || offset >= maxZoneOffset {
		return "", nil, fmt.Errorf("zone %q offset %ds is a day or more from UTC", name, offset)
	}
	return name, &offset, nil
}

// zoneShape reports whether loc is one zone for all time (a fixed zone,
// no transitions), and its abbreviation and offset at the Unix epoch.
func zoneShape(loc *time.Location) (fixed bool, abbr string, offset int) {
	t := time.Unix(0, 0).In(loc)
	start, end := t.ZoneBounds()
	abbr, offset = t.Zone()
	return start.IsZero() && end.IsZero(), abbr, offset
}

// location decodes "location" and "zoneOffset".
func location(name *string, offset *int) (*time.Location, error) {
	switch {
	case name == nil:
		return nil, errors.New("zoneOffset without location")
	case offset != nil:
		if *offset <= -maxZoneOffset || *offset >= maxZoneOffset {
			return nil, fmt.Errorf("zone %q offset %ds is a day or more from UTC", *name, *offset)
		}
		return time.FixedZone(*name, *offset), nil
	case *name == "":
		return nil, errors.New("empty zone name")
	case *name == "Local":
		return nil, errors.New(`"Local" is the machine's zone and names no zone elsewhere`)
	}
	return loadZone(*name)
}

// durationText returns d as time.Duration.String writes it, "" for 0.
func durationText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// durationValue parses s (time.ParseDuration; "" is 0) into *d.
func durationValue(d *time.Duration, s, field string) error {
	if s == "" {
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return &FieldError{Field: field, Err: err}
	}
	*d = v
	return nil
}

// enumText returns v's text name, "" for the zero value.
func enumText[T interface {
	~uint8
	MarshalText() ([]byte, error)
}](v T, field string) (string, error) {
	if v == 0 {
		return "", nil
	}
	b, err := v.MarshalText()
	if err != nil {
		return "", &FieldError{Field: field, Err: fmt.Errorf("value %d has no name", uint8(v))}
	}
	return string(b), nil
}

// enumValue parses the text name s ("" is the zero value) into *v.
func enumValue[T any, PT interface {
	*T
	UnmarshalText([]byte) error
}](v PT, s, field string) error {
	if s == "" {
		return nil
	}
	if err := v.UnmarshalText([]byte(s)); err != nil {
		return &FieldError{Field: field, Err: fmt.Errorf("unknown name %q", s)}
	}
	return nil
}

// zones caches time.LoadLocation, which reads the zone database file on
// every call, found or not: a host restoring thousands of shops, each
// snapshot holding its policy (the presets' fixed "CST" zone is looked
// up and not found), would read it thousands of times. Names not found
// are kept too, up to maxZoneMisses, so bad input cannot grow it.
var (
	zones      sync.Map // name → *time.Location, nil if not found
	zoneMisses atomic.Int32
)

const maxZoneMisses = 256

// loadZone is time.LoadLocation, once per name per process.
func loadZone(name string) (*time.Location, error) {
	if z, ok := zones.Load(name); ok {
		if z.(*time.Location) == nil {
			return nil, fmt.Errorf("unknown time zone %s", name)
		}
		return z.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	switch {
	case err == nil:
		zones.Store(name, loc)
	case zoneMisses.Add(1) <= maxZoneMisses:
		zones.Store(name, (*time.Location)(nil))
	}
	return loc, err
}
