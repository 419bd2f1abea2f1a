package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunPrintsOneUsablePair(t *testing.T) {
	var first, second bytes.Buffer
	require.NoError(t, run(nil, &first))
	require.NoError(t, run(nil, &second))

	line, ok := strings.CutSuffix(first.String(), "\n")
	require.True(t, ok, "one line: %q", first.String())
	assert.NotContains(t, line, "\n")
	keys, err := pointcheckout.ParseKeyPairs(line)
	require.NoError(t, err, "the line is a value for POINTCHECKOUT_COOKIE_KEYS")
	require.Len(t, keys, 1)
	assert.Equal(t, line, keys[0].Encode())

	assert.NotEqual(t, first.String(), second.String(), "every run makes a new pair")
	gw := pointcheckouttest.NewServer()
	t.Cleanup(gw.Close)
	_, err = pointcheckout.New(pointcheckout.Config{
		Client: gw.Client(), Updater: pointcheckout.OrderUpdaterFunc(nil),
		Orders: func(*http.Request) (*pointcheckout.CheckoutRequest, error) { return nil, nil }, Keys: keys,
	})
	assert.NoError(t, err, "the pair seals cookies")
}

func TestRunRefusesArguments(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"-n", "2"}, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "POINTCHECKOUT_COOKIE_KEYS")
	assert.Empty(t, out.String(), "nothing printed")
}
