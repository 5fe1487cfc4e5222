//go:build race

package durable_test

// raceEnabled: the race detector is on (go test -race); the corruption
// tests, which damage files in one goroutine, sample their offsets.
const raceEnabled = true
