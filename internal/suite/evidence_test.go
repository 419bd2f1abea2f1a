package suite

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"sync"
	"testing"
)

// Evidence counters. SECURITY.md's table is the sum of these over a run of
// the adversarial, fault and soak suites; scripts/security-report.sh
// produces it.
const (
	evAttacks     = "attacks_tried"
	evFaults      = "faults_injected"
	evFlows       = "concurrent_flows"
	evOrders      = "orders_checked"
	evWrong       = "wrong_updates"
	evLost        = "lost_updates"
	evRegressions = "regressions_accepted"
)

// evidenceEnv names the file the counters are appended to, one
// "counter<TAB>count<TAB>test" line per counter and top-level test.
const evidenceEnv = "SECURITY_REPORT"

// tally counts what one top-level test did. Subtests share their parent's
// tally; it is safe for concurrent use. The counts are logged (go test -v
// shows them) and, when SECURITY_REPORT is set, appended to that file when
// the test ends.
type tally struct {
	mu sync.Mutex
	n  map[string]int
}

func newTally(t *testing.T) *tally {
	c := &tally{n: map[string]int{}}
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		keys := slices.Sorted(maps.Keys(c.n))
		for _, k := range keys {
			t.Logf("evidence: %s=%d", k, c.n[k])
		}
		path := os.Getenv(evidenceEnv)
		if path == "" || t.Failed() {
			return
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			t.Errorf("evidence file: %v", err)
			return
		}
		defer f.Close()
		for _, k := range keys {
			if _, err := fmt.Fprintf(f, "%s\t%d\t%s\n", k, c.n[k], t.Name()); err != nil {
				t.Errorf("evidence file: %v", err)
				return
			}
		}
	})
	return c
}

// add counts n more of key (n may be 0, to make a zero count visible).
func (c *tally) add(key string, n int) {
	c.mu.Lock()
	c.n[key] += n
	c.mu.Unlock()
}
