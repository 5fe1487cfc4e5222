// Package scenetest holds the helpers the example programs' tests share:
// run a scene, find the lines printed under one narrative line, add up an
// hourly report.
//
// # Usage
//
//	func output(t *testing.T) string { return scenetest.Output(t, run) }
//
//	lines := scenetest.Block(t, out, "closes s2") // the indented lines under that step
package scenetest

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Output runs a scene and returns what it printed; the scene must not fail.
func Output(t *testing.T, run func(io.Writer) error) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, run(&buf))
	return buf.String()
}

// Block returns the indented lines printed under the one narrative line
// that contains step, up to the next narrative, date or blank line. The
// step must be printed exactly once.
func Block(t *testing.T, out, step string) []string {
	t.Helper()
	lines := strings.Split(out, "\n")
	at := -1
	for i, l := range lines {
		if !strings.HasPrefix(l, " ") && strings.Contains(l, step) {
			require.Equal(t, -1, at, "step %q printed twice", step)
			at = i
		}
	}
	require.NotEqual(t, -1, at, "step %q not printed", step)
	var got []string
	for _, l := range lines[at+1:] {
		if !strings.HasPrefix(l, "          ") {
			break
		}
		got = append(got, strings.TrimSpace(l))
	}
	return got
}

// HourlySums reads a metrics hourly report (rows "HH n …" and a row
// "total n …") and returns the sum of the hours' first column and the
// total row's.
func HourlySums(report string) (sum, total int) {
	for _, line := range strings.Split(report, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		var n int
		if _, err := fmt.Sscan(f[1], &n); err != nil {
			continue
		}
		switch {
		case f[0] == "total":
			total = n
		case len(f[0]) == 2 && f[0] >= "00" && f[0] <= "23":
			sum += n
		}
	}
	return sum, total
}
