package metrics

import "errors"

// Errors returned by [New], [Recorder.Rate] and [Restore], wrapped with
// the offending value where there is one; test with errors.Is. Bad input
// never panics and, for Rate, leaves the recorder unchanged.
var (
	// ErrNilLocation: the shop's time zone is required; day boundaries
	// (M1a, M4, M5, M6) are in it.
	ErrNilLocation = errors.New("metrics: nil time zone")
	// ErrInvalidWindow: a reply window or a slow-reply threshold must be
	// positive.
	ErrInvalidWindow = errors.New("metrics: invalid duration")
	// ErrInvalidHours: counted hours must be 0–23 and not empty.
	ErrInvalidHours = errors.New("metrics: invalid counted hours")
	// ErrInvalidStandard: the bad-attitude standard must be in [0, 1).
	ErrInvalidStandard = errors.New("metrics: invalid standard")
	// ErrInvalidTier: tiers need a name and thresholds in [standard, 1),
	// strictly ascending (M4).
	ErrInvalidTier = errors.New("metrics: invalid tier")

	// ErrUnknownLevel: a rating level other than Satisfied, Normal and
	// Disappointed.
	ErrUnknownLevel = errors.New("metrics: unknown rating level")
	// ErrUnknownSource: a rating source other than Invitation, BuyerRated
	// and SystemPush.
	ErrUnknownSource = errors.New("metrics: unknown rating source")
	// ErrUnknownReason: a rating reason with bits no Reason constant has.
	ErrUnknownReason = errors.New("metrics: unknown rating reason")
	// ErrEmptyBuyer: a rating needs its buyer, for the per-day sample rule
	// (M1a).
	ErrEmptyBuyer = errors.New("metrics: rating without a buyer")
	// ErrEmptyAgent: a rating of a human agent needs the agent's id (a
	// rating of the bot sets Bot).
	ErrEmptyAgent = errors.New("metrics: rating without an agent")
	// ErrZeroTime: a rating needs the time it was given.
	ErrZeroTime = errors.New("metrics: rating without a time")

	// ErrCorruptSnapshot: the bytes given to [Restore] are not a whole,
	// consistent recorder snapshot (truncated, altered, or not one at
	// all), or do not fit the time zone given.
	ErrCorruptSnapshot = errors.New("metrics: corrupt snapshot")
	// ErrSnapshotVersion: the snapshot was written by a format version
	// this library does not read.
	ErrSnapshotVersion = errors.New("metrics: unsupported snapshot version")
)
