package kefuotel_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The package's non-test code uses the OpenTelemetry API only: nothing
// from the SDK (its module is required for the tests alone), nothing but
// the standard library, the metric and attribute APIs and kefu itself.
// A host that links kefuotel links no SDK it did not choose.
func TestImports_APIOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	allowed := map[string]bool{"go.opentelemetry.io/otel/metric": true, "go.opentelemetry.io/otel/attribute": true}
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			seen[path] = true
			assert.NotContains(t, path, "/sdk", "%s imports %s", name, path)
			std := !strings.Contains(strings.Split(path, "/")[0], ".")
			ok := std || allowed[path] || strings.HasPrefix(path, "github.com/kefu-dev/kefu/")
			assert.True(t, ok, "%s imports %s", name, path)
		}
	}
	// Not vacuous: the files were found and read.
	assert.True(t, seen["go.opentelemetry.io/otel/metric"], "no file imports the metric API: %v", seen)
	assert.True(t, seen["github.com/kefu-dev/kefu/dispatch"], "no file imports dispatch: %v", seen)
}
