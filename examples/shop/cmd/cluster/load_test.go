//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loadReport is the part of pointcheckout-load's -json report the test
// reads.
type loadReport struct {
	Flows, OK, Errors   int
	ErrorSamples        []string `json:"error_samples"`
	FlowsPerSecond      float64  `json:"flows_per_second"`
	Checked, Mismatches int
	MismatchSamples     []string `json:"mismatch_samples"`
	Paid                int
	PaidChanges         int   `json:"paid_changes"`
	Orphans             int   `json:"orphans"`
	SettledNS           int64 `json:"settled_ns"`
	P50NS               int64 `json:"p50_ns"`
	P99NS               int64 `json:"p99_ns"`
	ElapsedNS           int64 `json:"elapsed_ns"`
}

// gatewayStats is the sandbox's /stats.
type gatewayStats struct {
	Requests map[string]int
	Faults   map[string]int
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// buildLoad builds cmd/pointcheckout-load from the repository.
func buildLoad(t *testing.T) string {
	t.Helper()
	dir, err := shopModuleDir(context.Background())
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "pointcheckout-load")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/pointcheckout-load")
	cmd.Dir = filepath.Join(dir, "..", "..")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// TestLoadThroughTheBalancer runs the load generator through HAProxy:
// 3,000 flows by 256 concurrent shoppers through the shop's own pages,
// every 25th leaving at the payment page, a quarter of the gateway's API
// requests failing, and shop-2 killed
// with SIGKILL a third of the way in and restarted a little later. Once
// the run has settled, every order agrees with the gateway (0 wrong, 0
// lost), each paid order's change reached the shop exactly once, and the
// three instances' sweepers claimed each open attempt at most once per
// round.
func TestLoadThroughTheBalancer(t *testing.T) {
	c := testCluster(t)
	require.NoError(t, c.Route())
	load := buildLoad(t)
	statsBefore := readStats(t, c)

	const flows, shoppers = 3000, 256
	cmd := exec.Command(load, "-shop", c.URL, "-gateway", c.GatewayURL, "-gateway-inspect", c.InspectURL,
		"-admin-password", c.AdminPassword, "-c", strconv.Itoa(shoppers), "-n", strconv.Itoa(flows),
		"-abandon-every", "25", "-duration", "5m", "-settle", "90s", "-json", "-progress")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// Kill shop-2 a third of the way in, restart it at half way.
	progress := regexp.MustCompile(`^progress (\d+)/`)
	killed, restarted := false, false
	var killedAt time.Time
	var rest bytes.Buffer
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		m := progress.FindStringSubmatch(lines.Text())
		if m == nil {
			rest.WriteString(lines.Text() + "\n")
			continue
		}
		done, _ := strconv.Atoi(m[1])
		switch {
		case !killed && done >= flows/3:
			require.NoError(t, c.Kill(1))
			killed, killedAt = true, time.Now()
			t.Logf("killed %s with SIGKILL after %d flows", c.Instances[1].Name, done)
		case killed && !restarted && done >= flows/2 && time.Since(killedAt) > 2*time.Second:
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			require.NoError(t, c.Restart(ctx, 1))
			cancel()
			restarted = true
			t.Logf("restarted %s after %d flows", c.Instances[1].Name, done)
		}
	}
	_, _ = io.Copy(&rest, stderr)
	waitErr := cmd.Wait()
	t.Logf("pointcheckout-load stderr:\n%s", tail(rest.String(), 3000))
	require.True(t, killed && restarted, "the kill and the restart happened midway")

	var rep loadReport
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &rep), "report: %s", stdout.String())
	t.Logf("load: %d flows, %d ok, %d errors, %.1f flows/s, p50 %s, p99 %s; %d orders checked, %d mismatches, %d paid, %d paid changes, %d orphans, settled after %s",
		rep.Flows, rep.OK, rep.Errors, rep.FlowsPerSecond, time.Duration(rep.P50NS), time.Duration(rep.P99NS),
		rep.Checked, rep.Mismatches, rep.Paid, rep.PaidChanges, rep.Orphans, time.Duration(rep.SettledNS))
	assert.NoError(t, waitErr, "pointcheckout-load found errors or mismatches")
	assert.Equal(t, flows, rep.Flows)
	assert.Zero(t, rep.Mismatches, "0 wrong, 0 lost: %v", rep.MismatchSamples)
	assert.Zero(t, rep.Errors, "every shopper got through: %v", rep.ErrorSamples)
	assert.GreaterOrEqual(t, rep.Checked, flows-rep.Errors, "every placed order checked")
	assert.Equal(t, rep.Paid, rep.PaidChanges, "each paid order's change delivered once")
	assert.Greater(t, rep.Paid, flows*8/10, "most orders paid")

	// The gateway's faults: at least a fifth of its API requests.
	stats := readStats(t, c)
	requests, faults := sum(stats.Requests)-sum(statsBefore.Requests), sum(stats.Faults)-sum(statsBefore.Faults)
	t.Logf("gateway: %d API requests (%v), %d faults injected (%v), %.2f requests per flow",
		requests, stats.Requests, faults, stats.Faults, float64(requests)/float64(flows))
	assert.GreaterOrEqual(t, float64(faults), 0.2*float64(requests), "at least 20%% of the gateway's API requests failed")

	checkSweeps(t, c)
}

// readStats reads the sandbox's /stats.
func readStats(t *testing.T, c *Cluster) gatewayStats {
	t.Helper()
	resp, err := http.Get(c.InspectURL + "/stats")
	require.NoError(t, err)
	defer resp.Body.Close()
	var st gatewayStats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st
}

// checkSweeps reads every instance's "sweep claimed" lines and checks that
// no attempt was claimed twice within one sweep interval, by one instance
// or by two: each open attempt is checked once per round.
func checkSweeps(t *testing.T, c *Cluster) {
	t.Helper()
	claim := regexp.MustCompile(`msg="sweep claimed" instance=(\S+) round=(\d+) attempts=\d+ checkouts=(\S+)`)
	rounds := map[string][]int64{} // checkout → round times of its claims
	by := map[string]int{}
	for _, in := range c.Instances {
		for line := range strings.SplitSeq(logOf(t, in), "\n") {
			m := claim.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			round, err := strconv.ParseInt(m[2], 10, 64)
			require.NoError(t, err)
			for id := range strings.SplitSeq(m[3], ",") {
				rounds[id] = append(rounds[id], round)
				by[m[1]]++
			}
		}
	}
	claims, most := 0, 0
	for id, rs := range rounds {
		slices.Sort(rs)
		claims += len(rs)
		most = max(most, len(rs))
		for i := 1; i < len(rs); i++ {
			assert.GreaterOrEqual(t, time.Duration(rs[i]-rs[i-1]), sweepEvery, "checkout %s claimed twice within a round", id)
		}
	}
	t.Logf("sweeps: %d claims of %d attempts (at most %d each), by instance %v", claims, len(rounds), most, by)
	assert.NotEmpty(t, rounds, "the sweepers checked open attempts")
	assert.GreaterOrEqual(t, len(by), 2, "several instances swept")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
