package ledgertest

import (
	"context"
	"fmt"
	"path"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gets counts the sandbox's GET checkout/{id} requests per checkout.
func gets(gw *pointcheckouttest.Server) map[string]int {
	n := map[string]int{}
	for _, r := range gw.Requests() {
		if r.Endpoint == pointcheckouttest.EndpointGet {
			n[path.Base(r.Path)]++
		}
	}
	return n
}

// TestSweepersClaimEachAttemptOncePerRound runs three instances' sweepers
// at once, round after round, and counts at the gateway how often each
// attempt was asked about: once per round, by one of them.
func TestSweepersClaimEachAttemptOncePerRound(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *db) {
		ctx := context.Background()
		gw := pointcheckouttest.NewServer()
		defer gw.Close()
		clk := newClock()
		const interval = time.Minute
		var (
			ledgers  []*sqlledger.Ledger
			sweepers []*sqlledger.Sweeper
			// What OnClaim reported, across the instances.
			claimMu sync.Mutex
			claims  []string
		)
		onClaim := func(_ context.Context, _ time.Time, claimed []pointcheckout.Attempt) {
			claimMu.Lock()
			defer claimMu.Unlock()
			for _, a := range claimed {
				claims = append(claims, a.Ref.CheckoutID)
			}
		}
		for range 3 {
			l, _ := d.ledger(t, sqlledger.Config{Client: gw.Client(), Now: clk.Now})
			ledgers = append(ledgers, l)
			// Small batches, so the instances' claims interleave.
			sweepers = append(sweepers, l.NewSweeper(handler(t, gw, l), sqlledger.SweeperConfig{Interval: interval, MinAge: time.Minute, Batch: 3, OnClaim: onClaim}))
		}

		var open []string
		for o := range 20 {
			for n := range 2 {
				ref := gatewayAttempt(t, gw, fmt.Sprintf("S-%02d", o), n, money(t, 2500), clk.Now().Add(-5*time.Minute))
				require.NoError(t, ledgers[o%3].UpdateOrder(ctx, pay(ref)))
				open = append(open, ref.CheckoutID)
			}
		}
		// Too young to sweep yet, and too old to sweep again.
		young := gatewayAttempt(t, gw, "S-young", 0, money(t, 2500), clk.Now())
		old := gatewayAttempt(t, gw, "S-old", 0, money(t, 2500), clk.Now().Add(-sqlledger.DefaultCheckoutLifetime-time.Hour))
		for _, ref := range []pointcheckout.Ref{young, old} {
			require.NoError(t, ledgers[0].UpdateOrder(ctx, pay(ref)))
		}

		round := func(name string, want []string) {
			t.Helper()
			gw.ResetRequests()
			claims = nil
			var wg sync.WaitGroup
			reports := make([]sqlledger.SweepReport, len(sweepers))
			for i, sw := range sweepers {
				wg.Go(func() {
					var err error
					reports[i], err = sw.Sweep(ctx)
					assert.NoError(t, err)
				})
			}
			wg.Wait()
			claimed := 0
			var per []int
			for _, r := range reports {
				claimed += r.Claimed
				per = append(per, r.Claimed)
				assert.Equal(t, r.Claimed, r.Checked, "every claimed attempt checked")
			}
			got := gets(gw)
			var ids []string
			for id, n := range got {
				assert.Equal(t, 1, n, "%s: %s asked %d times", name, id, n)
				ids = append(ids, id)
			}
			sort.Strings(ids)
			want = append([]string(nil), want...)
			sort.Strings(want)
			assert.Equal(t, want, ids, "%s: the attempts asked about", name)
			assert.Equal(t, len(want), claimed, "%s: claims", name)
			sort.Strings(claims)
			assert.Equal(t, want, claims, "%s: the attempts OnClaim was told of", name)
			t.Logf("%s %s: %d open attempts claimed %v by the three sweepers", d.name, name, claimed, per)
		}

		round("round 1", open)
		// OpenAttempts lists the same attempts and the young one, least
		// recently checked first (the young one, never checked, though the
		// newest), without the aged-out one.
		refs, err := ledgers[1].OpenAttempts(ctx, 100)
		require.NoError(t, err)
		require.Len(t, refs, 41)
		assert.Equal(t, young.CheckoutID, refs[0].CheckoutID)
		round("round 1 again", nil)
		clk.Add(interval / 2)
		round("half an interval later", nil)

		// Ten attempts end at the gateway; the ledger hears of them in the
		// next round.
		for _, id := range open[:10] {
			require.NoError(t, gw.Complete(id, pointcheckout.StatusFailed))
		}
		clk.Add(interval / 2)
		round("round 2", append(open, young.CheckoutID))
		clk.Add(interval)
		round("round 3", append(open[10:], young.CheckoutID))

		var total sqlledger.Stats
		for _, sw := range sweepers {
			st := sw.Stats()
			assert.Equal(t, 5, st.Rounds)
			total.Claimed += st.Claimed
			total.Final += st.Final
		}
		assert.Equal(t, 40+41+31, total.Claimed)
		assert.Equal(t, 10, total.Final)
		for _, id := range open[:10] {
			ref, err := ledgers[0].FindRef(ctx, id)
			require.NoError(t, err)
			attempts, err := ledgers[0].Attempts(ctx, ref.OrderID)
			require.NoError(t, err)
			for _, a := range attempts {
				if a.Ref.CheckoutID == id {
					assert.Equal(t, pointcheckout.StatusFailed, a.Status)
				}
			}
		}
		refs, err = ledgers[1].OpenAttempts(ctx, 100)
		require.NoError(t, err)
		assert.Len(t, refs, 31)
	})
}

// TestPaidOrderCancelsOtherAttempts pays one attempt of an order with
// several open: the ledger cancels the PENDING ones at the gateway after
// the commit, never an AUTHORIZED or PAID one; a cancel that fails is done
// by the next sweep; a second payment is flagged for refund and logged.
func TestPaidOrderCancelsOtherAttempts(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *db) {
		ctx := context.Background()
		gw := pointcheckouttest.NewServer()
		defer gw.Close()
		clk := newClock()
		logs := &logBuffer{}
		l, _ := d.ledger(t, sqlledger.Config{Client: gw.Client(), Now: clk.Now, Logger: logs.logger()})
		h := handler(t, gw, l)
		sw := l.NewSweeper(h, sqlledger.SweeperConfig{})
		status := func(id string) pointcheckout.Status {
			c, ok := gw.Checkout(id)
			require.True(t, ok)
			return c.Status
		}
		inLedger := func(order string) map[string]pointcheckout.Status {
			attempts, err := l.Attempts(ctx, order)
			require.NoError(t, err)
			m := map[string]pointcheckout.Status{}
			for _, a := range attempts {
				m[a.Ref.CheckoutID] = a.Status
			}
			return m
		}

		var refs []pointcheckout.Ref
		for n := range 4 {
			ref := gatewayAttempt(t, gw, "P-1", n, money(t, 9900), clk.Now())
			require.NoError(t, l.UpdateOrder(ctx, pay(ref)))
			refs = append(refs, ref)
		}
		a, b, c, e := refs[0], refs[1], refs[2], refs[3]
		// The shopper authorizes b and pays c in two tabs; the ledger hears
		// of c first.
		require.NoError(t, gw.Complete(b.CheckoutID, pointcheckout.StatusAuthorized))
		require.NoError(t, gw.Complete(c.CheckoutID, pointcheckout.StatusPaid))
		paid, err := h.Reconcile(ctx, []pointcheckout.Ref{c})
		require.NoError(t, err)
		require.Equal(t, 1, paid.Final, "c is paid")
		assert.Equal(t, pointcheckout.StatusCancelled, status(a.CheckoutID))
		assert.Equal(t, pointcheckout.StatusAuthorized, status(b.CheckoutID), "never an AUTHORIZED one")
		assert.Equal(t, pointcheckout.StatusPaid, status(c.CheckoutID))
		assert.Equal(t, pointcheckout.StatusCancelled, status(e.CheckoutID))

		// The sweep records what the gateway says: two cancelled, and b's
		// authorization: the order holds money twice.
		clk.Add(2 * sqlledger.DefaultSweepMinAge)
		rep, err := sw.Sweep(ctx)
		require.NoError(t, err)
		assert.Equal(t, 3, rep.Claimed)
		assert.Equal(t, 0, rep.Cancelled, "nothing left to cancel")
		assert.Equal(t, map[string]pointcheckout.Status{
			a.CheckoutID: pointcheckout.StatusCancelled, b.CheckoutID: pointcheckout.StatusAuthorized,
			c.CheckoutID: pointcheckout.StatusPaid, e.CheckoutID: pointcheckout.StatusCancelled,
		}, inLedger("P-1"))
		state, err := l.State(ctx, "P-1")
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentPaidTwice, state)
		require.Len(t, logs.errors(), 1)
		assert.Contains(t, logs.errors()[0], "paid more than once")
		assert.Contains(t, logs.errors()[0], c.CheckoutID, "the newer payment is the one to refund")
		hist, err := l.History(ctx, "P-1")
		require.NoError(t, err)
		last := hist[len(hist)-1]
		assert.Equal(t, pointcheckout.PaymentPaidTwice, last.After)

		// A cancel that fails after the payment is done by the sweep.
		x := gatewayAttempt(t, gw, "P-2", 0, money(t, 9900), clk.Now())
		y := gatewayAttempt(t, gw, "P-2", 1, money(t, 9900), clk.Now())
		require.NoError(t, l.UpdateOrder(ctx, pay(x)))
		require.NoError(t, l.UpdateOrder(ctx, pay(y)))
		require.NoError(t, gw.Complete(y.CheckoutID, pointcheckout.StatusPaid))
		gw.InjectFault(pointcheckouttest.EndpointCancel, 1, pointcheckouttest.StatusCode(503))
		_, err = h.Reconcile(ctx, []pointcheckout.Ref{y})
		require.NoError(t, err, "a failed cancel does not fail the update")
		assert.Equal(t, pointcheckout.StatusPending, status(x.CheckoutID))
		clk.Add(2 * sqlledger.DefaultSweepInterval)
		rep, err = sw.Sweep(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, rep.Claimed)
		assert.Equal(t, 1, rep.Cancelled)
		assert.Equal(t, pointcheckout.StatusCancelled, status(x.CheckoutID))
		assert.Equal(t, pointcheckout.StatusCancelled, inLedger("P-2")[x.CheckoutID])
		state, err = l.State(ctx, "P-2")
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentPaid, state)

		// KeepOtherAttempts leaves them open.
		keep, _ := d.ledger(t, sqlledger.Config{Now: clk.Now, KeepOtherAttempts: true})
		hk := handler(t, gw, keep)
		p := gatewayAttempt(t, gw, "P-3", 0, money(t, 9900), clk.Now())
		q := gatewayAttempt(t, gw, "P-3", 1, money(t, 9900), clk.Now())
		require.NoError(t, keep.UpdateOrder(ctx, pay(p)))
		require.NoError(t, keep.UpdateOrder(ctx, pay(q)))
		require.NoError(t, gw.Complete(q.CheckoutID, pointcheckout.StatusPaid))
		_, err = hk.Reconcile(ctx, []pointcheckout.Ref{q})
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.StatusPending, status(p.CheckoutID))
	})
}

// TestSweeperRunStopsWithItsContext runs a Sweeper until its context ends.
func TestSweeperRunStopsWithItsContext(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *db) {
		gw := pointcheckouttest.NewServer()
		defer gw.Close()
		l, _ := d.ledger(t, sqlledger.Config{Client: gw.Client()})
		ref := gatewayAttempt(t, gw, "R-1", 0, money(t, 100), time.Now().Add(-time.Hour))
		require.NoError(t, l.UpdateOrder(context.Background(), pay(ref)))
		require.NoError(t, gw.Complete(ref.CheckoutID, pointcheckout.StatusPaid))
		sw := l.NewSweeper(handler(t, gw, l), sqlledger.SweeperConfig{Interval: 10 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			sw.Run(ctx)
			close(done)
		}()
		require.Eventually(t, func() bool {
			st, err := l.State(context.Background(), "R-1")
			return err == nil && st == pointcheckout.PaymentPaid
		}, 10*time.Second, 5*time.Millisecond)
		cancel()
		<-done
		assert.GreaterOrEqual(t, sw.Stats().Rounds, 1)
	})
}
