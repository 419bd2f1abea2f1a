package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunWritesDocumentsAndLicenses(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(src, "a-openapi.yaml"), []byte(fixture), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "a-openapi.LICENSE"), []byte("MIT License\n"), 0o644))
	require.NoError(t, run([]string{"-src", src, "-out", out, "a-openapi.yaml"}, io.Discard))

	doc, err := os.ReadFile(filepath.Join(out, "a-openapi.yaml"))
	require.NoError(t, err)
	want, err := reduce([]byte(fixture), "a-openapi.yaml")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(doc))
	license, err := os.ReadFile(filepath.Join(out, "a-openapi.LICENSE"))
	require.NoError(t, err)
	assert.Equal(t, "MIT License\n", string(license))
}

func TestRunRefuses(t *testing.T) {
	src := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(src, "nolicense-openapi.yaml"), []byte(fixture), 0o644))
	for name, args := range map[string][]string{
		"no source":       {"a-openapi.yaml"},
		"no names":        {"-src", src},
		"a path":          {"-src", src, "../a-openapi.yaml"},
		"not yaml":        {"-src", src, "a-openapi.json"},
		"missing file":    {"-src", src, "-out", t.TempDir(), "missing-openapi.yaml"},
		"missing license": {"-src", src, "-out", t.TempDir(), "nolicense-openapi.yaml"},
		"unknown flag":    {"-nope"},
	} {
		err := run(args, io.Discard)
		assert.Error(t, err, name)
		if name == "missing license" {
			assert.True(t, errors.Is(err, errNoLicense), "%v", err)
			assert.True(t, strings.Contains(err.Error(), "nolicense-openapi.yaml"))
		}
	}
}
