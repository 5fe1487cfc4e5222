package metrics

import "github.com/kefu-dev/kefu/dispatch"

// classed is an error variable of one of dispatch's error classes
// (dispatch.ErrNotFound, dispatch.ErrConflict, dispatch.ErrInvalid), as
// dispatch's own sentinels are: errors.Is finds both the variable and its
// class, so a host maps the errors of both packages in one switch.
type classed struct {
	msg   string
	class error
}

// Error returns the text, "metrics: …".
func (e *classed) Error() string { return e.msg }

// Unwrap returns the class, for errors.Is.
func (e *classed) Unwrap() error { return e.class }

func newError(class error, msg string) error { return &classed{msg: msg, class: class} }

// Errors returned by [New], [Recorder.Rate] and [Restore], wrapped with
// the offending value where there is one; test with errors.Is. Bad input
// never panics and, for Rate, leaves the recorder unchanged.
//
// Each belongs to exactly one of dispatch's error classes: all of them
// are bad input that will never succeed as it is, class
// dispatch.ErrInvalid.
var (
	// ErrNilLocation: the shop's time zone is required; day boundaries
	// (M1a, M4, M5, M6) are in it. Class dispatch.ErrInvalid.
	ErrNilLocation = newError(dispatch.ErrInvalid, "metrics: nil time zone")
	// ErrInvalidWindow: a reply window or a slow-reply threshold must be
	// positive. Class dispatch.ErrInvalid.
	ErrInvalidWindow = newError(dispatch.ErrInvalid, "metrics: invalid duration")
	// ErrInvalidHours: counted hours must be 0–23 and not empty. Class
	// dispatch.ErrInvalid.
	ErrInvalidHours = newError(dispatch.ErrInvalid, "metrics: invalid counted hours")
	// ErrInvalidStandard: the bad-attitude standard must be in [0, 1).
	// Class dispatch.ErrInvalid.
	ErrInvalidStandard = newError(dispatch.ErrInvalid, "metrics: invalid standard")
	// ErrInvalidTier: tiers need a name and thresholds in [standard, 1),
	// strictly ascending (M4). Class dispatch.ErrInvalid.
	ErrInvalidTier = newError(dispatch.ErrInvalid, "metrics: invalid tier")

	// ErrUnknownLevel: a rating level other than Satisfied, Normal and
	// Disappointed. Class dispatch.ErrInvalid.
	ErrUnknownLevel = newError(dispatch.ErrInvalid, "metrics: unknown rating level")
	// ErrUnknownSource: a rating source other than Invitation, BuyerRated
	// and SystemPush. Class dispatch.ErrInvalid.
	ErrUnknownSource = newError(dispatch.ErrInvalid, "metrics: unknown rating source")
	// ErrUnknownReason: a rating reason with bits no Reason constant has.
	// Class dispatch.ErrInvalid.
	ErrUnknownReason = newError(dispatch.ErrInvalid, "metrics: unknown rating reason")
	// ErrEmptyBuyer: a rating needs its buyer, for the per-day sample rule
	// (M1a). Class dispatch.ErrInvalid.
	ErrEmptyBuyer = newError(dispatch.ErrInvalid, "metrics: rating without a buyer")
	// ErrEmptyAgent: a rating of a human agent needs the agent's id (a
	// rating of the bot sets Bot). Class dispatch.ErrInvalid.
	ErrEmptyAgent = newError(dispatch.ErrInvalid, "metrics: rating without an agent")
	// ErrZeroTime: a rating needs the time it was given. Class
	// dispatch.ErrInvalid.
	ErrZeroTime = newError(dispatch.ErrInvalid, "metrics: rating without a time")

	// ErrCorruptSnapshot: the bytes given to [Restore] are not a whole,
	// consistent recorder snapshot (truncated, altered, or not one at
	// all), or do not fit the time zone given. Class dispatch.ErrInvalid.
	ErrCorruptSnapshot = newError(dispatch.ErrInvalid, "metrics: corrupt snapshot")
	// ErrSnapshotVersion: the snapshot was written by a format version
	// this library does not read. Class dispatch.ErrInvalid.
	ErrSnapshotVersion = newError(dispatch.ErrInvalid, "metrics: unsupported snapshot version")
)
