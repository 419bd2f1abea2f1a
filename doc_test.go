package pointcheckout_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeQuickStartIsCompiledCode: the README's Quick start is the body
// of sqlledger's Example, which the test command compiles; a change to one
// without the other fails here.
func TestReadmeQuickStartIsCompiledCode(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, quick, ok := strings.Cut(string(readme), "\n## Quick start\n")
	require.True(t, ok, "README.md has a Quick start section")
	_, code, ok := strings.Cut(quick, "```go\n")
	require.True(t, ok, "the Quick start holds a Go block")
	code, _, ok = strings.Cut(code, "```")
	require.True(t, ok)

	const file = "sqlledger/example_test.go"
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, 0)
	require.NoError(t, err)
	var body string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "Example" {
			body = string(src[fset.Position(fn.Body.Lbrace).Offset+1 : fset.Position(fn.Body.Rbrace).Offset])
		}
	}
	require.NotEmpty(t, body, "%s has func Example", file)
	assert.Equal(t, lines(body), lines(code), "README.md's Quick start must be the body of Example in %s", file)
}

// lines is s's non-blank lines, trimmed.
func lines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
