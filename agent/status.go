package agent

import "fmt"

// Status is an agent's presence (rule S1). The zero value is not a valid
// status; APIs that accept an optional status document what zero means.
type Status uint8

const (
	// Online (在线): the agent receives auto-assigned sessions.
	Online Status = iota + 1
	// Break (小休): the agent keeps its sessions and may receive transfers
	// (S3) but no auto-assigned sessions.
	Break
	// Offline (离线): the agent receives nothing and cannot send (S4).
	Offline
)

// Valid reports whether s is one of Online, Break and Offline.
func (s Status) Valid() bool { return s >= Online && s <= Offline }

// String returns "online", "break", "offline", or "Status(n)" for an invalid
// value.
func (s Status) String() string {
	switch s {
	case Online:
		return "online"
	case Break:
		return "break"
	case Offline:
		return "offline"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}
