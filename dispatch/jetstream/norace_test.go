//go:build !race

package kefujs_test

const raceEnabled = false
