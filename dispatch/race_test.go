//go:build race

package dispatch

// raceEnabled: the race detector is on (go test -race); long single-goroutine
// tests scale down, as the detector finds nothing in them.
const raceEnabled = true
