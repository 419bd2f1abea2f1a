//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cluster every test of the run shares, started on first use (the
// binaries are built once) and stopped by TestMain.
var (
	clusterOnce sync.Once
	shared      *Cluster
	sharedErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// testCluster returns the shared cluster: three instances, sweeping every
// 2 seconds, shop-wide limits raised for the load test, and a quarter of the
// gateway's API requests failing transiently. A missing PostgreSQL or
// HAProxy fails the test.
func testCluster(t *testing.T) *Cluster {
	t.Helper()
	clusterOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		shared, sharedErr = Start(ctx, Options{
			SweepEvery: sweepEvery, RateScale: 50, FaultRate: faultRate,
			Progress: func(format string, a ...any) { fmt.Fprintf(os.Stderr, "cluster: "+format+"\n", a...) },
		})
	})
	require.NoError(t, sharedErr, "start the cluster")
	return shared
}

// The shared cluster's settings.
const (
	sweepEvery = 2 * time.Second
	faultRate  = 0.25
)

// logOf reads an instance's log.
func logOf(t *testing.T, in *Instance) string {
	t.Helper()
	b, err := os.ReadFile(in.Log)
	require.NoError(t, err)
	return string(b)
}

// logLines returns the lines of an instance's log that hold every one of
// subs.
func logLines(t *testing.T, in *Instance, subs ...string) []string {
	t.Helper()
	var out []string
	for line := range strings.SplitSeq(logOf(t, in), "\n") {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(line, s)
		}
		if all {
			out = append(out, line)
		}
	}
	return out
}

func TestHAProxyConfig(t *testing.T) {
	cfg := haproxyConfig("127.0.0.1:8080", filepath.Join("d", "h.sock"), []*Instance{{Name: "shop-1", Addr: "127.0.0.1:1"}, {Name: "shop-2", Addr: "127.0.0.1:2"}})
	for _, want := range []string{"bind 127.0.0.1:8080", "balance roundrobin", "server shop-1 127.0.0.1:1\n", "server shop-2 127.0.0.1:2\n",
		"stats socket d/h.sock", "hdr Host 127.0.0.1:8080"} {
		require.Contains(t, cfg, want)
	}
	for _, sticky := range []string{"cookie", "stick", "balance source", "hash"} {
		require.NotContains(t, cfg, sticky, "no stickiness")
	}
}

// TestRouteWaitsForRoutedInstances: Route returns once HAProxy sees the
// routed instances up, and waitUp names an instance that is not.
func TestRouteWaitsForRoutedInstances(t *testing.T) {
	c := testCluster(t)
	t.Cleanup(func() { _ = c.Route() })
	require.NoError(t, c.Route(c.Instances[0].Name))
	states, err := c.serverStates()
	require.NoError(t, err)
	require.Len(t, states, len(c.Instances))
	assert.True(t, strings.HasPrefix(states[c.Instances[0].Name], "UP"), "%v", states)
	assert.Equal(t, "MAINT", states[c.Instances[1].Name])
	err = c.waitUp([]string{c.Instances[1].Name}, 100*time.Millisecond)
	require.Error(t, err)
	assert.Contains(t, err.Error(), c.Instances[1].Name+" MAINT")
}
