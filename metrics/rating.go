package metrics

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Level is a buyer's rating of a service (评价).
type Level uint8

const (
	// Satisfied: 满意, the good review of M1.
	Satisfied Level = iota + 1
	// Normal: 一般.
	Normal
	// Disappointed: 失望, the bad review; listed as an alert (M7).
	Disappointed
)

var levelNames = [...]struct{ en, zh string }{{}, {"satisfied", "满意"}, {"normal", "一般"}, {"disappointed", "失望"}}

func (l Level) valid() bool { return l >= Satisfied && l <= Disappointed }

// String returns "satisfied", "normal" or "disappointed".
func (l Level) String() string {
	if l.valid() {
		return levelNames[l].en
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// TextZH returns the platforms' word: 满意, 一般 or 失望.
func (l Level) TextZH() string {
	if l.valid() {
		return levelNames[l].zh
	}
	return l.String()
}

// MarshalText encodes the level's name; an unknown level is an error.
func (l Level) MarshalText() ([]byte, error) {
	if !l.valid() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownLevel, uint8(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText parses a level's name.
func (l *Level) UnmarshalText(b []byte) error {
	for i := Satisfied; i <= Disappointed; i++ {
		if string(b) == levelNames[i].en {
			*l = i
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrUnknownLevel, b)
}

// Source is how a rating was collected (M1, 002): all three count.
type Source uint8

const (
	// Invitation: the agent invited the buyer to rate (商家邀请评价).
	Invitation Source = iota + 1
	// BuyerRated: the buyer rated on their own (用户主动评价).
	BuyerRated
	// SystemPush: the platform pushed the rating card (系统推送评价).
	SystemPush
)

var sourceNames = [...]string{"", "invitation", "buyer", "system-push"}

func (s Source) valid() bool { return s >= Invitation && s <= SystemPush }

// String returns "invitation", "buyer" or "system-push".
func (s Source) String() string {
	if s.valid() {
		return sourceNames[s]
	}
	return fmt.Sprintf("Source(%d)", uint8(s))
}

// MarshalText encodes the source's name; an unknown source is an error.
func (s Source) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownSource, uint8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText parses a source's name.
func (s *Source) UnmarshalText(b []byte) error {
	for i := Invitation; i <= SystemPush; i++ {
		if string(b) == sourceNames[i] {
			*s = i
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrUnknownSource, b)
}

// Reason is the set of reasons a buyer gave with a rating. Only
// [ReasonBadAttitude] matters to the metrics (M4); the others are kept for
// the host.
type Reason uint8

const (
	// ReasonBadAttitude: 服务态度差, the reason M4 counts.
	ReasonBadAttitude Reason = 1 << iota
	// ReasonSlowReply: the reply was slow.
	ReasonSlowReply
	// ReasonUnsolved: the problem was not solved.
	ReasonUnsolved
	// ReasonOther: any other reason.
	ReasonOther

	reasonAll = ReasonBadAttitude | ReasonSlowReply | ReasonUnsolved | ReasonOther
)

var reasonNames = [...]string{"bad-attitude", "slow-reply", "unsolved", "other"}

// String returns the reasons joined by ",", e.g. "bad-attitude,other", or
// "" for none.
func (r Reason) String() string {
	var parts []string
	for i, n := range reasonNames {
		if r&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if rest := r &^ reasonAll; rest != 0 {
		parts = append(parts, fmt.Sprintf("Reason(%#x)", uint8(rest)))
	}
	return strings.Join(parts, ",")
}

// MarshalText encodes the reasons as String does; unknown bits are an
// error.
func (r Reason) MarshalText() ([]byte, error) {
	if r&^reasonAll != 0 {
		return nil, fmt.Errorf("%w: %#x", ErrUnknownReason, uint8(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText parses reasons joined by ",".
func (r *Reason) UnmarshalText(b []byte) error {
	var out Reason
	for _, p := range strings.Split(string(b), ",") {
		if p == "" {
			continue
		}
		i := slices.Index(reasonNames[:], p)
		if i < 0 {
			return fmt.Errorf("%w: %q", ErrUnknownReason, p)
		}
		out |= 1 << i
	}
	*r = out
	return nil
}

// Rating is one rating record the host passes in (M1, M4): a buyer rated
// an agent, or the shop's bot, after a session.
type Rating struct {
	// Session is the rated session, for the alert list (M7); optional.
	Session string `json:"session,omitempty"`
	// Buyer gave the rating; required (M1a keys on it).
	Buyer string `json:"buyer"`
	// Agent is the rated agent; required unless Bot is set, when it may
	// name the bot (e.g. a third-party robot) or be empty.
	Agent string `json:"agent,omitempty"`
	// Bot: the bot served the session and is rated (B3, 002: bot-served
	// sessions count).
	Bot bool `json:"bot,omitempty"`
	// Level is the rating.
	Level Level `json:"level"`
	// Reasons the buyer gave; ReasonBadAttitude counts for M4.
	Reasons Reason `json:"reasons,omitempty"`
	// Source is how the rating was collected.
	Source Source `json:"source"`
	// At is when the buyer rated; its day in the shop's time zone is the
	// day of the sample rule (M1a).
	At time.Time `json:"at"`
}

func (r Rating) check() error {
	switch {
	case !r.Level.valid():
		return fmt.Errorf("%w: %d", ErrUnknownLevel, uint8(r.Level))
	case !r.Source.valid():
		return fmt.Errorf("%w: %d", ErrUnknownSource, uint8(r.Source))
	case r.Reasons&^reasonAll != 0:
		return fmt.Errorf("%w: %#x", ErrUnknownReason, uint8(r.Reasons))
	case r.Buyer == "":
		return ErrEmptyBuyer
	case r.Agent == "" && !r.Bot:
		return ErrEmptyAgent
	case r.At.IsZero():
		return ErrZeroTime
	}
	return nil
}

// ratingKey is the M1a sample key within a day: one buyer rating one
// agent (or the bot).
type ratingKey struct {
	buyer, agent string
	bot          bool
}

// Rate records a rating (M1, M4). The per-day sample rule (M1a) applies
// at once: of the ratings one buyer gives one agent (or the bot) in one
// day of the shop's time zone, only the latest counts, so a later one
// replaces an earlier one and an earlier one arriving late is kept out;
// ratings of N agents are N samples. Every disappointed rating is listed
// as an alert (M7), even if a later rating of the day replaces it. A
// rating of a forgotten day is dropped.
//
// Errors: ErrUnknownLevel, ErrUnknownSource, ErrUnknownReason,
// ErrEmptyBuyer, ErrEmptyAgent, ErrZeroTime; the recorder is then
// unchanged.
func (r *Recorder) Rate(x Rating) error {
	if err := x.check(); err != nil {
		return err
	}
	x.At = x.At.Round(0)
	d := r.dayAt(r.DateOf(x.At), true)
	if d == r.sink {
		return nil
	}
	k := ratingKey{buyer: x.Buyer, agent: x.Agent, bot: x.Bot}
	if old, ok := d.ratings[k]; !ok || !old.At.After(x.At) {
		d.ratings[k] = x
	}
	if x.Level == Disappointed {
		d.alerts = append(d.alerts, Alert{
			Kind: AlertDisappointed, Session: x.Session, Buyer: x.Buyer,
			Agent: x.Agent, Bot: x.Bot, At: x.At.In(r.loc),
		})
	}
	return nil
}

// ReviewRow counts the ratings of one rated agent (or the bot, or the
// whole shop) after the sample rule, and its good-review rate (M1).
type ReviewRow struct {
	// Agent is the rated agent, "" in the shop's row or for an unnamed bot.
	Agent string `json:"agent,omitempty"`
	// Bot marks the bot's row.
	Bot          bool `json:"bot,omitempty"`
	Satisfied    int  `json:"satisfied"`
	Normal       int  `json:"normal"`
	Disappointed int  `json:"disappointed"`
	// Good is satisfied / all ratings (M1).
	Good Rate `json:"good"`
	// BadAttitude is normal-or-disappointed ratings for bad attitude /
	// all normal-or-disappointed ratings (M4).
	BadAttitude Rate `json:"bad_attitude"`
}

func (w *ReviewRow) add(x Rating) {
	switch x.Level {
	case Satisfied:
		w.Satisfied++
	case Normal:
		w.Normal++
	case Disappointed:
		w.Disappointed++
	}
	w.Good.hit(x.Level == Satisfied)
	if x.Level != Satisfied {
		w.BadAttitude.hit(x.Reasons&ReasonBadAttitude != 0)
	}
}

// Reviews is the good-review report of a period (M1).
type Reviews struct {
	From Date `json:"from"`
	To   Date `json:"to"`
	// Shop counts every sample.
	Shop ReviewRow `json:"shop"`
	// Rated has one row per rated agent, then the bot, by id.
	Rated []ReviewRow `json:"rated"`
}

// Reviews returns the good-review rates (M1) of the days from..to
// (inclusive): the shop's and each rated agent's or bot's, after the
// per-day sample rule (M1a). Bot-served sessions count (B3). A period
// with no rating reports "no data".
func (r *Recorder) Reviews(from, to Date) Reviews {
	out := Reviews{From: from, To: to}
	rows := map[ratingKey]*ReviewRow{}
	for _, d := range r.daysIn(from, to) {
		for _, x := range d.ratings {
			out.Shop.add(x)
			k := ratingKey{agent: x.Agent, bot: x.Bot}
			row := rows[k]
			if row == nil {
				row = &ReviewRow{Agent: x.Agent, Bot: x.Bot}
				rows[k] = row
			}
			row.add(x)
		}
	}
	for _, row := range rows {
		out.Rated = append(out.Rated, *row)
	}
	slices.SortFunc(out.Rated, func(a, b ReviewRow) int {
		if a.Bot != b.Bot {
			if a.Bot {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Agent, b.Agent)
	})
	return out
}

// String renders the shop's line and a table of rated agents and the bot.
func (v Reviews) String() string {
	var b strings.Builder
	period := v.From.String()
	if v.To != v.From {
		period += " to " + v.To.String()
	}
	fmt.Fprintf(&b, "reviews %s: good %s, bad attitude %s\n", period, v.Shop.Good, v.Shop.BadAttitude)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "rated\tsatisfied\tnormal\tdisappointed\tgood\tbad attitude\t")
	for _, r := range v.Rated {
		name := r.Agent
		if r.Bot {
			name = "bot"
			if r.Agent != "" {
				name += ":" + r.Agent
			}
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\t%s\t\n", name, r.Satisfied, r.Normal, r.Disappointed, r.Good.Percent(), r.BadAttitude.Percent())
	}
	w.Flush()
	return trimLines(b.String())
}

// Compliance is a month's standing against the bad-attitude standard (M4).
type Compliance uint8

const (
	// NoRatings: the month has no rating at all; nothing to judge.
	NoRatings Compliance = iota
	// Compliant: the rate is at most the standard, or no rating was
	// normal or disappointed.
	Compliant
	// NotCompliant: the rate is above the standard; the report names the
	// tier, if the host supplied tiers.
	NotCompliant
)

var complianceNames = [...]string{NoData, "compliant", "not compliant"}

// String returns "no data", "compliant" or "not compliant".
func (c Compliance) String() string {
	if int(c) < len(complianceNames) {
		return complianceNames[c]
	}
	return fmt.Sprintf("Compliance(%d)", uint8(c))
}

// MarshalText encodes String.
func (c Compliance) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Attitude is the bad-attitude report of one natural month (M4).
type Attitude struct {
	Year  int        `json:"year"`
	Month time.Month `json:"month"`
	// Ratings counts every rating of the month after the sample rule.
	Ratings int `json:"ratings"`
	// Rate is bad-attitude / all normal-or-disappointed ratings; "no
	// data" when none was normal or disappointed.
	Rate Rate `json:"rate"`
	// Standard is the highest compliant rate (6%).
	Standard float64    `json:"standard"`
	Status   Compliance `json:"status"`
	// Tier is the consequence tier of a non-compliant month: the highest
	// host-supplied tier whose Over the rate exceeds; nil when compliant
	// or below every tier.
	Tier *Tier `json:"tier,omitempty"`
	// Rated has each rated agent's (and the bot's) rate, by id.
	Rated []ReviewRow `json:"rated"`
}

// Attitude returns the bad-attitude rate of a natural month in the shop's
// time zone (M4), with its compliance and consequence tier. The same
// samples as [Recorder.Reviews] count (M1a); bot-served sessions count.
func (r *Recorder) Attitude(year int, month time.Month) Attitude {
	first := Date{Year: year, Month: month, Day: 1}.AddDays(0) // normalised
	last := Date{Year: first.Year, Month: first.Month + 1, Day: 1}.AddDays(-1)
	rv := r.Reviews(first, last)
	out := Attitude{
		Year: first.Year, Month: first.Month, Ratings: rv.Shop.Good.Den, Rate: rv.Shop.BadAttitude,
		Standard: r.cfg.standard, Rated: rv.Rated,
	}
	v, ok := out.Rate.Value()
	switch {
	case out.Ratings == 0:
		out.Status = NoRatings
	case !ok || v <= r.cfg.standard:
		out.Status = Compliant
	default:
		out.Status = NotCompliant
		for i := range r.cfg.tiers {
			if v > r.cfg.tiers[i].Over {
				t := r.cfg.tiers[i]
				out.Tier = &t
			}
		}
	}
	return out
}

// String renders the month's rate and standing, e.g. "2026-11 bad
// attitude 8.3% (1/12), standard 6.0%: not compliant (minor: warning,
// training, exam)", or "… no data, standard 6.0%: no data".
func (a Attitude) String() string {
	s := fmt.Sprintf("%04d-%02d bad attitude %s, standard %.1f%%: %s", a.Year, int(a.Month), a.Rate, 100*a.Standard, a.Status)
	if a.Tier != nil {
		s += fmt.Sprintf(" (%s", a.Tier.Name)
		if a.Tier.Consequence != "" {
			s += ": " + a.Tier.Consequence
		}
		s += ")"
	}
	return s
}

// daysIn returns the kept days from..to, in date order.
func (r *Recorder) daysIn(from, to Date) []*day {
	var out []*day
	for k, d := range r.days {
		if k.within(from, to) {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b *day) int {
		switch {
		case a.date.Before(b.date):
			return -1
		case b.date.Before(a.date):
			return 1
		}
		return 0
	})
	return out
}
