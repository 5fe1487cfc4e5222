package agent

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Errors returned by [Bounds.Check] and the [Roster]. Test for them with
// errors.Is; the returned error wraps one of them with the offending value.
var (
	// ErrCapacityOutOfRange: a limit outside the platform's bounds (C2, C3).
	// Out-of-range values are an error, never clamped.
	ErrCapacityOutOfRange = errors.New("agent: capacity out of range")
	// ErrCapacityMode: the platform does not offer this capacity mode (for
	// example "unlimited" on Douyin).
	ErrCapacityMode = errors.New("agent: capacity mode not allowed")
	// ErrUnknownAgent: no agent has this id.
	ErrUnknownAgent = errors.New("agent: unknown agent")
	// ErrDuplicateAgent: an agent with this id already exists.
	ErrDuplicateAgent = errors.New("agent: duplicate agent")
	// ErrEmptyID: an agent id must not be empty.
	ErrEmptyID = errors.New("agent: empty id")
	// ErrInvalidStatus: a status other than Online, Break or Offline.
	ErrInvalidStatus = errors.New("agent: invalid status")
	// ErrAgentBusy: the agent still has sessions in reception.
	ErrAgentBusy = errors.New("agent: agent has sessions in reception")
	// ErrInvalidCapacity: text that is not a capacity's text encoding
	// ([Capacity.UnmarshalText]), or a limit below 1, which has none.
	ErrInvalidCapacity = errors.New("agent: invalid capacity")
)

type mode uint8

const (
	modeUnlimited mode = iota // zero value: 不自动挂起
	modeSuspended
	modeLimit
)

// Capacity is an agent's max reception (最大接待量, rules C1, C2): how many
// sessions the system may auto-assign to it at once. Manual assignment and
// transfer may exceed it (C4).
//
// The zero value is Unlimited, Kuaishou's "no auto-suspend" (不自动挂起),
// the default when the feature appears (C2). Capacity is a small value type;
// compare with ==.
type Capacity struct {
	mode  mode
	limit int
}

// Unlimited returns the capacity that never stops auto-assignment
// (不自动挂起). Same as the zero Capacity.
func Unlimited() Capacity { return Capacity{} }

// Suspended returns the capacity that takes no new auto-assigned sessions
// (挂起, C2). A suspended agent still counts as online.
func Suspended() Capacity { return Capacity{mode: modeSuspended} }

// Limit returns the capacity "suspend at n sessions" (n人挂起). It does not
// validate n; [Bounds.Check] does, against a platform's bounds.
func Limit(n int) Capacity { return Capacity{mode: modeLimit, limit: n} }

// KuaishouPresets are the fixed choices of Kuaishou's max-reception menu
// (20/50/100/200人挂起, C2); any integer in [KuaishouBounds] is allowed too.
var KuaishouPresets = [...]int{20, 50, 100, 200}

// IsUnlimited reports whether c never stops auto-assignment.
func (c Capacity) IsUnlimited() bool { return c.mode == modeUnlimited }

// IsSuspended reports whether c takes no new auto-assigned sessions.
func (c Capacity) IsSuspended() bool { return c.mode == modeSuspended }

// Limit returns n and true for Limit(n), 0 and false otherwise.
func (c Capacity) Limit() (int, bool) { return c.limit, c.mode == modeLimit }

// HasRoom reports whether an agent with this capacity and load may be
// auto-assigned one more session.
func (c Capacity) HasRoom(load int) bool {
	switch c.mode {
	case modeUnlimited:
		return true
	case modeLimit:
		return load < c.limit
	}
	return false
}

// HasRoomFor reports whether an agent with this capacity and load may be
// auto-assigned a session that costs units of it (E10 weighted capacity:
// load and limit count units, a plain session costs 1): load + units ≤
// limit, always for Unlimited, never for Suspended. A units below 1 counts
// as 1, so HasRoomFor(load, 1) is HasRoom(load).
func (c Capacity) HasRoomFor(load, units int) bool { return c.Room(load) >= max(units, 1) }

// Room returns how many more sessions may be auto-assigned at this load
// (units of capacity, with E10 weights): math.MaxInt for Unlimited, 0 for
// Suspended or at or over the limit.
func (c Capacity) Room(load int) int {
	switch c.mode {
	case modeUnlimited:
		return math.MaxInt
	case modeLimit:
		if load < c.limit {
			return c.limit - load
		}
	}
	return 0
}

// String returns "unlimited", "suspended" or the limit as a number.
func (c Capacity) String() string {
	switch c.mode {
	case modeUnlimited:
		return "unlimited"
	case modeSuspended:
		return "suspended"
	}
	return strconv.Itoa(c.limit)
}

// MarshalText implements encoding.TextMarshaler with the text of String:
// "unlimited", "suspended", or the limit in decimal ("20"; also "0" or
// "-3", which no Bounds accepts).
func (c Capacity) MarshalText() ([]byte, error) {
	switch c.mode {
	case modeUnlimited, modeSuspended:
		return []byte(c.String()), nil
	case modeLimit:
		return strconv.AppendInt(nil, int64(c.limit), 10), nil
	}
	return nil, fmt.Errorf("%w: %s", ErrInvalidCapacity, c)
}

// UnmarshalText implements encoding.TextUnmarshaler. It accepts exactly
// what MarshalText writes, so that decoding and encoding again gives the
// same bytes: "unlimited", "suspended", or a limit in canonical decimal
// (strconv.Itoa's form: "20", "0", "-3"; not "+20", "020", "-0" or " 20").
// Any limit is encodable, including those no platform accepts, so that a
// rejected operation can be logged and replayed; [Bounds.Check] judges
// them. Other text, and a limit beyond an int, are errors wrapping
// ErrInvalidCapacity and leave c unchanged.
func (c *Capacity) UnmarshalText(text []byte) error {
	switch string(text) {
	case "unlimited":
		*c = Unlimited()
		return nil
	case "suspended":
		*c = Suspended()
		return nil
	}
	n, err := strconv.Atoi(string(text))
	if err != nil || strconv.Itoa(n) != string(text) {
		return fmt.Errorf("%w: %q", ErrInvalidCapacity, text)
	}
	*c = Limit(n)
	return nil
}

// Bounds is what a platform accepts as a capacity setting (C2, C3). It is a
// property of the shop's platform, carried by the shop's policy.
//
// The zero value accepts every mode and any limit of at least 1, and never
// warns.
type Bounds struct {
	// Min is the smallest allowed limit; values below 1 mean 1 (a limit of
	// 0 is spelled Suspended()).
	Min int
	// Max is the largest allowed limit; 0 means no upper bound.
	Max int
	// WarnBelow makes [Bounds.Low] report limits below it (Douyin: 5, C3).
	// 0 never warns.
	WarnBelow int
	// NoUnlimited rejects Unlimited() with ErrCapacityMode.
	NoUnlimited bool
	// NoSuspend rejects Suspended() with ErrCapacityMode.
	NoSuspend bool
}

// KuaishouBounds returns Kuaishou's bounds (C2): unlimited, suspended and any
// limit 1..500.
func KuaishouBounds() Bounds { return Bounds{Min: 1, Max: 500} }

// DouyinBounds returns Douyin Feige's bounds (C3): a limit 1..200, with a
// warning below 5. Feige offers neither "unlimited" nor "suspend"; an agent
// takes a break instead.
func DouyinBounds() Bounds {
	return Bounds{Min: 1, Max: 200, WarnBelow: 5, NoUnlimited: true, NoSuspend: true}
}

// Check returns nil if c is allowed, or an error wrapping
// ErrCapacityOutOfRange or ErrCapacityMode that names the value and the
// bounds.
func (b Bounds) Check(c Capacity) error {
	switch c.mode {
	case modeUnlimited:
		if b.NoUnlimited {
			return fmt.Errorf("%w: unlimited", ErrCapacityMode)
		}
		return nil
	case modeSuspended:
		if b.NoSuspend {
			return fmt.Errorf("%w: suspended", ErrCapacityMode)
		}
		return nil
	case modeLimit:
		lo := max(b.Min, 1)
		if c.limit < lo || (b.Max > 0 && c.limit > b.Max) {
			return fmt.Errorf("%w: %d not in %s", ErrCapacityOutOfRange, c.limit, b.rangeText())
		}
		return nil
	}
	return fmt.Errorf("%w: mode %d", ErrCapacityMode, c.mode)
}

// Low reports whether c is a limit below WarnBelow: allowed, but the host
// should warn (C3: "客服接待人数过低,可能会导致用户无法进入").
func (b Bounds) Low(c Capacity) bool {
	return b.WarnBelow > 0 && c.mode == modeLimit && c.limit < b.WarnBelow
}

// Validate reports whether the bounds themselves make sense (Min ≤ Max when
// Max is set, no negative values).
func (b Bounds) Validate() error {
	if b.Min < 0 || b.Max < 0 || b.WarnBelow < 0 {
		return fmt.Errorf("%w: negative bound in %+v", ErrCapacityOutOfRange, b)
	}
	if b.Max > 0 && max(b.Min, 1) > b.Max {
		return fmt.Errorf("%w: Min %d > Max %d", ErrCapacityOutOfRange, b.Min, b.Max)
	}
	return nil
}

func (b Bounds) rangeText() string {
	lo := max(b.Min, 1)
	if b.Max == 0 {
		return fmt.Sprintf("%d..", lo)
	}
	return fmt.Sprintf("%d..%d", lo, b.Max)
}
