package durable

import (
	"context"
	"time"

	"github.com/kefu-dev/kefu/dispatch"
)

// Record is one op of one shop in its log: the op, the time it was
// applied at, and its number in the shop (dispatch.Engine.Ops once it is
// applied, from 1). The number is the record's identity: appending a
// record whose number the shop's log already holds is a retry, not a
// second op (see Log.Append).
type Record struct {
	N  uint64
	At time.Time
	Op dispatch.Op
}

// Fence is a writer's claim on a shop (Log.Claim): every append carries
// it, and the log refuses an append whose fence an other writer's later
// claim has superseded (ErrFenced). A Kafka log would use the producer
// epoch of a transactional id per partition, a NATS JetStream log the
// sequence of the partition's fence message; the file log, whose
// directory lock already excludes other processes, the generation of
// the open Files.
type Fence uint64

// Log is the durable, ordered log of many shops' ops (DESIGN property
// 9). A [Host] appends each op before it applies it, reads a shop's ops
// back to rebuild it on its last snapshot, and trims the ops a snapshot
// covers. [Files] is the embedded implementation; package
// dispatch/jetstream has one on NATS JetStream.
//
// Implementations are safe for concurrent use by many shops; the Host
// never runs two calls for one shop at the same time.
type Log interface {
	// Claim makes the caller the only writer of shop's log and returns
	// the fence to append with. Appends made with an earlier claim's
	// fence fail with ErrFenced from the moment Claim returns, even ones
	// already in flight.
	Claim(ctx context.Context, shop string) (Fence, error)
	// Append makes recs durable, in order, after the shop's last record;
	// it returns nil only when every one of them is (the durability an
	// implementation promises says what "durable" survives). A record
	// whose number the shop's log already holds with the same op and
	// time is a retry and is skipped; with a different op it is an error
	// (ErrDiverged). On any error the caller must assume that any prefix
	// of recs may or may not be in the log: the Host drops the shop and
	// rebuilds it from the log on its next use.
	Append(ctx context.Context, shop string, f Fence, recs []Record) error
	// Read calls fn with each record of shop numbered above after, in
	// order, until fn returns an error, which Read returns.
	Read(ctx context.Context, shop string, after uint64, fn func(Record) error) error
	// Trim lets the log discard shop's records numbered through n, which
	// a snapshot covers. Reads after it may still return some of them.
	Trim(ctx context.Context, shop string, f Fence, through uint64) error
	// Pending calls fn with every shop that has records not yet
	// trimmed: the shops a restarted host must replay to learn their
	// timers (see SnapshotStore.List for the others).
	Pending(ctx context.Context, fn func(shop string) error) error
}

// Snapshot is a shop's engine state (dispatch.Engine.Snapshot) and what
// the Host needs without restoring it: the number of the last op it
// covers, and the shop's earliest pending timer then (zero for none).
type Snapshot struct {
	N    uint64
	Due  time.Time
	Data []byte
}

// SnapshotStore keeps each shop's latest snapshot (DESIGN property 9).
// [Files] is the embedded implementation.
type SnapshotStore interface {
	// Put replaces shop's snapshot with s, durably (atomically: a crash
	// leaves the old one or the new one).
	Put(ctx context.Context, shop string, s Snapshot) error
	// Get returns shop's snapshot, or an error wrapping ErrNoSnapshot.
	Get(ctx context.Context, shop string) (Snapshot, error)
	// List calls fn with every shop's id and its snapshot's N and Due
	// (Data is nil), until fn returns an error, which List returns. A
	// restarted host learns from it the timers of the shops it does not
	// load.
	List(ctx context.Context, fn func(shop string, s Snapshot) error) error
}
