package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer lets the test read what run writes from another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesAndPrintsCredentials(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-key", "demo", "-secret", "demo-secret", "-ttl", "5m"}, &out, &errs)
	}()

	base := regexp.MustCompile(`base URL:\s+(\S+)`)
	require.Eventually(t, func() bool { return base.MatchString(out.String()) }, 5*time.Second, 5*time.Millisecond)
	url := base.FindStringSubmatch(out.String())[1]
	assert.Contains(t, out.String(), "API key:       demo")
	assert.Contains(t, out.String(), "API secret:    demo-secret")
	assert.Contains(t, out.String(), "4242424242424242")

	req, err := http.NewRequest(http.MethodGet, url+"checkout/1", nil)
	require.NoError(t, err)
	req.Header.Set("X-PointCheckout-Api-Key", "demo")
	req.Header.Set("X-PointCheckout-Api-Secret", "demo-secret")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var env struct {
		Success bool
		Error   string
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&env))
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "Checkout not found for API merchant", env.Error)

	cancel()
	require.NoError(t, <-done)
	assert.True(t, strings.HasSuffix(out.String(), "shutting down\n"))
}

func TestRunRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-addr", "0.0.0.0:0"},
		{"-key", "only-key", "-addr", "127.0.0.1:0"},
		{"-ttl", "0s", "-addr", "127.0.0.1:0"},
		{"-addr", "127.0.0.1:0", "extra"},
		{"-nope"},
	} {
		var out, errs syncBuffer
		err := run(context.Background(), args, &out, &errs)
		assert.Error(t, err, "%v", args)
	}
}
