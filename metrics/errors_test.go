package metrics_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
	"github.com/kefu-dev/kefu/metrics"
)

// Every exported error of the package belongs to exactly one of
// dispatch's error classes, also when wrapped with its detail, and says
// it is the package's ("metrics: …").
func TestErrors_Classes(t *testing.T) {
	classes := []error{dispatch.ErrNotFound, dispatch.ErrConflict, dispatch.ErrInvalid}
	for _, c := range []struct {
		name  string
		err   error
		class error
	}{
		{"ErrNilLocation", metrics.ErrNilLocation, dispatch.ErrInvalid},
		{"ErrInvalidWindow", metrics.ErrInvalidWindow, dispatch.ErrInvalid},
		{"ErrInvalidHours", metrics.ErrInvalidHours, dispatch.ErrInvalid},
		{"ErrInvalidStandard", metrics.ErrInvalidStandard, dispatch.ErrInvalid},
		{"ErrInvalidTier", metrics.ErrInvalidTier, dispatch.ErrInvalid},
		{"ErrUnknownLevel", metrics.ErrUnknownLevel, dispatch.ErrInvalid},
		{"ErrUnknownSource", metrics.ErrUnknownSource, dispatch.ErrInvalid},
		{"ErrUnknownReason", metrics.ErrUnknownReason, dispatch.ErrInvalid},
		{"ErrEmptyBuyer", metrics.ErrEmptyBuyer, dispatch.ErrInvalid},
		{"ErrEmptyAgent", metrics.ErrEmptyAgent, dispatch.ErrInvalid},
		{"ErrZeroTime", metrics.ErrZeroTime, dispatch.ErrInvalid},
		{"ErrCorruptSnapshot", metrics.ErrCorruptSnapshot, dispatch.ErrInvalid},
		{"ErrSnapshotVersion", metrics.ErrSnapshotVersion, dispatch.ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.NotNil(t, c.err)
			assert.True(t, strings.HasPrefix(c.err.Error(), "metrics: "), "%q", c.err)
			wrapped := fmt.Errorf("%w: detail", c.err)
			for _, e := range []error{c.err, wrapped} {
				n := 0
				for _, class := range classes {
					if errors.Is(e, class) {
						n++
						assert.Equal(t, c.class, class, "%v", e)
					}
				}
				assert.Equal(t, 1, n, "%v: in %d classes", e, n)
				assert.ErrorIs(t, e, c.err)
			}
		})
	}

	// The table above has every exported error variable of the package.
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var declared []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		require.NoError(t, err)
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if n.IsExported() && strings.HasPrefix(n.Name, "Err") {
						declared = append(declared, n.Name)
					}
				}
			}
		}
	}
	sort.Strings(declared)
	assert.Equal(t, []string{"ErrCorruptSnapshot", "ErrEmptyAgent", "ErrEmptyBuyer", "ErrInvalidHours",
		"ErrInvalidStandard", "ErrInvalidTier", "ErrInvalidWindow", "ErrNilLocation", "ErrSnapshotVersion",
		"ErrUnknownLevel", "ErrUnknownReason", "ErrUnknownSource", "ErrZeroTime"}, declared)
}

// The errors the API returns keep their class through the wrapping.
func TestErrors_ReturnedInTheirClass(t *testing.T) {
	_, err := metrics.New(nil)
	assert.ErrorIs(t, err, dispatch.ErrInvalid)
	_, err = metrics.New(cst, metrics.WithWindow(0))
	assert.ErrorIs(t, err, dispatch.ErrInvalid)
	assert.EqualError(t, err, "metrics: invalid duration: window 0s")
	rec, err := metrics.New(cst)
	require.NoError(t, err)
	err = rec.Rate(metrics.Rating{Buyer: "b", Agent: "a", Level: 9, Source: metrics.Invitation, At: time.Now()})
	assert.ErrorIs(t, err, dispatch.ErrInvalid)
	assert.ErrorIs(t, err, metrics.ErrUnknownLevel)
	_, err = metrics.Restore(cst, []byte("nonsense"))
	assert.ErrorIs(t, err, dispatch.ErrInvalid)
	assert.ErrorIs(t, err, metrics.ErrCorruptSnapshot)
}
