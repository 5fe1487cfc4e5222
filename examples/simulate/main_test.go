package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func output(t *testing.T, args ...string) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, run(&buf, args))
	return buf.String()
}

func TestRun(t *testing.T) {
	out := output(t)
	assert.Equal(t, out, output(t), "deterministic")
	assert.Equal(t, out, output(t, "-seed", "1"), "seed 1 is the default")
	assert.NotEqual(t, out, output(t, "-seed", "2"))

	lines := strings.Split(out, "\n")
	require.Greater(t, len(lines), 30)
	assert.Contains(t, lines[3], "P(wait)")
	assert.True(t, strings.HasPrefix(lines[4], "00:00"), lines[4])
	assert.True(t, strings.HasPrefix(lines[27], "23:00"), lines[27])
	assert.True(t, strings.HasPrefix(lines[28], "total"), lines[28])
	assert.Contains(t, out, "Erlang C staffing for 80% answered within 3m0s")
	assert.NotContains(t, out, "chart written")

	// The evening live stream is the busiest part of the day.
	f := strings.Fields(lines[4+21])
	require.Equal(t, "21:00", f[0])
	assert.Equal(t, "20", f[1], "agents at 21:00")
}

func TestRunSVG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "day.svg")
	out := output(t, "-svg", path)
	assert.Contains(t, out, "chart written to "+path)

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	dec := xml.NewDecoder(bytes.NewReader(b))
	root, elems := "", 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "well-formed XML")
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
				assert.Equal(t, "http://www.w3.org/2000/svg", se.Name.Space)
			}
			elems++
		}
	}
	assert.Equal(t, "svg", root)
	assert.Greater(t, elems, 10)
}

func TestRunErrors(t *testing.T) {
	var buf bytes.Buffer
	assert.Error(t, run(&buf, []string{"-nope"}))
	assert.Error(t, run(&buf, []string{"extra"}))
	assert.Error(t, run(&buf, []string{"-svg", filepath.Join(t.TempDir(), "no", "such", "dir.svg")}))
	require.NoError(t, run(&buf, []string{"-h"}))
	assert.Contains(t, buf.String(), "usage")
}
