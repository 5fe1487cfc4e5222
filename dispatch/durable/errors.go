package durable

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/kefu-dev/kefu/dispatch"
)

// classed is an error of one of dispatch's classes (dispatch.ErrNotFound,
// ErrConflict, ErrInvalid), as dispatch's own sentinels are, so that a
// transport maps both packages' errors in one switch.
type classed struct {
	msg   string
	class error
}

// Error returns the text, "durable: …".
func (e *classed) Error() string { return e.msg }

// Unwrap returns the class, for errors.Is.
func (e *classed) Unwrap() error { return e.class }

// Errors of the package, wrapped with the shop, file or offset at fault;
// test with errors.Is. Those of a class (ErrFenced, ErrInvalidShop) say
// so; the others are failures of the storage, not of the request (a
// transport answers them 500 or 503).
var (
	// ErrFenced: another writer has claimed the shop since this one did
	// (Log.Claim); the op was not appended and not applied, and the Host
	// has dropped the shop. Class dispatch.ErrConflict: the caller retries
	// on the shop's new owner.
	ErrFenced error = &classed{"durable: another writer owns the shop (fenced)", dispatch.ErrConflict}
	// ErrInvalidShop: a shop id must be 1 to 128 bytes of valid UTF-8.
	// Class dispatch.ErrInvalid.
	ErrInvalidShop error = &classed{"durable: invalid shop id", dispatch.ErrInvalid}

	// ErrNoSnapshot: the store has no snapshot of this shop
	// (SnapshotStore.Get).
	ErrNoSnapshot = errors.New("durable: no snapshot of this shop")
	// ErrCorrupt: a segment or snapshot file fails its checksum or does
	// not parse, somewhere a crash cannot have left it so (the torn tail
	// of the last segment is truncated, not refused). Nothing is changed
	// on disk; the error names the file and the offset.
	ErrCorrupt = errors.New("durable: corrupt data")
	// ErrLocked: another process (or another Files in this one) holds the
	// directory (OpenFiles).
	ErrLocked = errors.New("durable: directory is locked by another process")
	// ErrLogFailed: an fsync of the log failed. What reached the disk is
	// unknown (the kernel may have dropped the dirty pages), so the Files
	// refuses every later append; reopen the directory to recover from
	// what is on disk. No op it acknowledged is lost.
	ErrLogFailed = errors.New("durable: log failed (fsync error); reopen to recover")
	// ErrClosed: the Files or Host was closed.
	ErrClosed = errors.New("durable: closed")
	// ErrDiverged: a record's number is already in the shop's log with
	// another op or time (Log.Append): two writers wrote the shop, or the
	// caller reused a number.
	ErrDiverged = errors.New("durable: record number already holds another op")
)

// checkShop validates a shop id.
func checkShop(id string) error {
	if id == "" || len(id) > 128 || !utf8.ValidString(id) {
		return fmt.Errorf("%w: %q", ErrInvalidShop, id)
	}
	return nil
}
