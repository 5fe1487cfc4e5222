//go:build race

package kefujs_test

// raceEnabled: the race detector is on (go test -race); the random
// ownership test runs fewer seeds.
const raceEnabled = true
