package agent

import "fmt"

// statusNames are the statuses' text names, indexed by Status.
var statusNames = [...]string{Online: "online", Break: "break", Offline: "offline"}

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
	if s.Valid() {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// MarshalText implements encoding.TextMarshaler: "online", "break" or
// "offline". An invalid status (the zero value among them) is an error
// wrapping ErrInvalidStatus.
func (s Status) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrInvalidStatus, uint8(s))
	}
	return []byte(statusNames[s]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler: it accepts exactly
// the names MarshalText writes (lower-case, no spaces). Any other text is
// an error wrapping ErrInvalidStatus and leaves s unchanged.
func (s *Status) UnmarshalText(text []byte) error {
	for v := Online; v <= Offline; v++ {
		if string(text) == statusNames[v] {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrInvalidStatus, text)
}
