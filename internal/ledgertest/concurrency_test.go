package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chains are true histories of one checkout at the gateway. An update may
// carry any status of its checkout's chain, in any order; each chain only
// moves where Status.CanBecome allows from every earlier status to every
// later one, so whatever the order of delivery, the last status delivered
// after /pay is the chain's last (checked in the test).
var chains = [][]pointcheckout.Status{
	{pointcheckout.StatusPending},
	{pointcheckout.StatusPending, pointcheckout.StatusFailed},
	{pointcheckout.StatusPending, pointcheckout.StatusCancelled},
	{pointcheckout.StatusPending, pointcheckout.StatusExpired},
	{pointcheckout.StatusPending, pointcheckout.StatusPaid},
	{pointcheckout.StatusPending, pointcheckout.StatusPendingConfirmation, pointcheckout.StatusPaid},
	{pointcheckout.StatusPending, pointcheckout.StatusPendingConfirmation, pointcheckout.StatusFailed},
	{pointcheckout.StatusPending, pointcheckout.StatusAuthorized},
	{pointcheckout.StatusPending, pointcheckout.StatusAuthorized, pointcheckout.StatusPaid},
	{pointcheckout.StatusPending, pointcheckout.StatusAuthorized, pointcheckout.StatusCancelled},
	{pointcheckout.StatusPending, pointcheckout.StatusPaid, pointcheckout.StatusRefunded},
	{pointcheckout.StatusPending, pointcheckout.StatusPaid, pointcheckout.StatusPartiallyRefunded, pointcheckout.StatusRefunded},
	{pointcheckout.StatusPending, pointcheckout.StatusPaid, pointcheckout.StatusChargeback},
}

// genAttempt is one generated attempt and what the run knows of it.
type genAttempt struct {
	ref   pointcheckout.Ref
	chain []pointcheckout.Status

	// Guarded by the run's mutex.
	paysLeft int                    // pay deliveries not yet applied
	accepted bool                   // a pay delivery was recorded
	parked   []pointcheckout.Update // deliveries waiting for a pay
}

// TestConcurrentUpdates has 8 workers on 4 instances apply 1,000 shuffled
// updates (pay, return, notify, reconcile; duplicates; any order) to 100
// orders of 2 to 4 attempts each. An update that arrives before its
// attempt's /pay is refused and delivered again later, as the handlers'
// retries would. Then, per order:
//   - replaying the order's history, one update at a time in the order the
//     ledger applied them, through a sequential model written here gives
//     the same verdict, the same states before and after each update, and
//     the same final attempts and state (serializability);
//   - every recorded attempt ends in its chain's last status and every
//     refused /pay left no attempt (order independence);
//   - the shop's callback saw each change of the order's state exactly
//     once, starting from the state it had recorded.
func TestConcurrentUpdates(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *db) {
		const orders, total, workers, instances = 100, 1000, 8, 4
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(2026, uint64(len(d.name))))

		// The attempts, and every delivery: each /pay once, each later
		// status of its chain once, then duplicates up to the total.
		base := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
		byCheckout := map[string]*genAttempt{}
		var deliveries []pointcheckout.Update
		for o := range orders {
			order := fmt.Sprintf("C-%03d", o)
			amount := money(t, 100+rng.Int64N(100000))
			for n := range 2 + rng.IntN(3) {
				a := &genAttempt{ref: attemptRef(order, n, amount, base.Add(time.Duration(n)*time.Second)), chain: chains[rng.IntN(len(chains))]}
				byCheckout[a.ref.CheckoutID] = a
				deliveries = append(deliveries, pay(a.ref))
				for _, st := range a.chain[1:] {
					src := []pointcheckout.Source{pointcheckout.SourceReturn, pointcheckout.SourceNotify, pointcheckout.SourceReconcile}[rng.IntN(3)]
					deliveries = append(deliveries, update(a.ref, st, src))
				}
			}
		}
		require.LessOrEqual(t, len(deliveries), total)
		for n := len(deliveries); n < total; n++ {
			deliveries = append(deliveries, deliveries[rng.IntN(n)])
		}
		rng.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })
		for _, u := range deliveries {
			if u.Source == pointcheckout.SourcePay {
				byCheckout[u.CheckoutID].paysLeft++
			}
		}

		h := d.open(t)
		s := newShop(t, d, h)
		var ledgers []*sqlledger.Ledger
		for range instances {
			l, _ := d.ledger(t, sqlledger.Config{OrderChanged: s.OrderChanged})
			ledgers = append(ledgers, l)
		}

		var (
			mu                                 sync.Mutex
			left                               = total
			queue                              = make(chan pointcheckout.Update, total)
			calls                              = map[string]int{}
			requeued, dropped, refusedPays, ok int
		)
		for _, u := range deliveries {
			queue <- u
		}
		doneOne := func() { // with mu held
			if left--; left == 0 {
				close(queue)
			}
		}
		b0, c0 := d.counts.begins.Load(), d.counts.commits.Load()
		start := time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			l := ledgers[w%instances]
			wg.Go(func() {
				for u := range queue {
					err := l.UpdateOrder(ctx, u)
					mu.Lock()
					calls[u.OrderID]++
					a := byCheckout[u.CheckoutID]
					switch {
					case u.Source == pointcheckout.SourcePay:
						a.paysLeft--
						switch {
						case err == nil:
							a.accepted = true
						case errors.Is(err, pointcheckout.ErrAttemptRefused):
							refusedPays++
						default:
							t.Errorf("pay of %s: %v", u.CheckoutID, err)
						}
						if a.accepted || a.paysLeft == 0 {
							for _, p := range a.parked {
								queue <- p
							}
							a.parked = nil
						}
						doneOne()
					case err == nil:
						ok++
						doneOne()
					case errors.Is(err, pointcheckout.ErrUnknownAttempt) && a.accepted:
						requeued++ // its /pay committed meanwhile
						queue <- u
					case errors.Is(err, pointcheckout.ErrUnknownAttempt) && a.paysLeft > 0:
						requeued++
						a.parked = append(a.parked, u)
					case errors.Is(err, pointcheckout.ErrUnknownAttempt):
						dropped++ // its /pay was refused: never recorded
						doneOne()
					default:
						t.Errorf("%s %s of %s: %v", u.Source, u.Status, u.CheckoutID, err)
						doneOne()
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		applied := total + requeued
		txs := d.counts.begins.Load() - b0
		assert.Equal(t, int64(applied), txs, "one transaction per update")
		assert.Equal(t, int64(applied), d.counts.commits.Load()-c0, "every transaction committed")

		var changes, paidTwice, historyRows int
		for o := range orders {
			order := fmt.Sprintf("C-%03d", o)
			hist, err := ledgers[0].History(ctx, order)
			require.NoError(t, err)
			historyRows += len(hist)
			assert.Len(t, hist, calls[order], "%s: one history entry per update received", order)

			m := &seqOrder{status: map[string]pointcheckout.Status{}}
			modelChanges := 0
			for i, e := range hist {
				before := m.state()
				verdict := m.apply(e.Source, e.CheckoutID, e.Status)
				after := m.state()
				if !assert.Equal(t, [3]string{verdict, string(before), string(after)}, [3]string{e.Outcome, string(e.Before), string(e.After)},
					"%s entry %d: %s %s of %s (%s)", order, i, e.Source, e.Status, e.CheckoutID, e.Detail) {
					break
				}
				if before != after {
					modelChanges++
				}
			}
			attempts, err := ledgers[0].Attempts(ctx, order)
			require.NoError(t, err)
			var got, want []string
			for _, a := range attempts {
				got = append(got, a.Ref.CheckoutID+" "+string(a.Status))
				g := byCheckout[a.Ref.CheckoutID]
				assert.True(t, g.accepted, "%s recorded though every /pay was refused", a.Ref.CheckoutID)
				assert.Equal(t, g.ref, a.Ref)
				assert.Equal(t, g.chain[len(g.chain)-1], a.Status, "%s: the chain's last status", a.Ref.CheckoutID)
			}
			for _, id := range m.order {
				want = append(want, id+" "+string(m.status[id]))
			}
			assert.Equal(t, want, got, "%s: attempts", order)
			for _, g := range byCheckout {
				if g.ref.OrderID == order && g.accepted && !containsAttempt(attempts, g.ref.CheckoutID) {
					t.Errorf("%s: accepted attempt %s missing", order, g.ref.CheckoutID)
				}
			}

			state, err := ledgers[0].State(ctx, order)
			require.NoError(t, err)
			assert.Equal(t, m.state(), state, "%s: state", order)
			shopState, shopChanges := s.row(t, h, order)
			assert.Equal(t, string(state), shopState, "%s: the shop's state", order)
			assert.Equal(t, modelChanges, shopChanges, "%s: changes told to the shop", order)
			n, _ := s.calls.Load(order)
			if n != nil {
				assert.Equal(t, shopChanges, *n.(*int), "%s: callback calls (none rolled back)", order)
			}
			changes += shopChanges
			if state == pointcheckout.PaymentPaidTwice {
				paidTwice++
			}
		}
		assert.Empty(t, s.mismatch)
		t.Logf("%s: %d deliveries + %d redelivered = %d updates by %d workers on %d instances in %s (%.0f updates/s, %d transactions); "+
			"%d applied or repeated, %d /pay refused, %d dropped with their refused /pay; %d history rows; %d order-level changes told once each; %d orders paid twice",
			d.name, total, requeued, applied, workers, instances, elapsed.Round(time.Millisecond), float64(applied)/elapsed.Seconds(), txs,
			ok, refusedPays, dropped, historyRows, changes, paidTwice)
	})
}

func containsAttempt(attempts []pointcheckout.Attempt, checkoutID string) bool {
	for _, a := range attempts {
		if a.Ref.CheckoutID == checkoutID {
			return true
		}
	}
	return false
}

// seqOrder is the sequential model of one order's bookkeeping: attempts in
// the order they were recorded, each with its status, and the ledger's
// default policies for a new attempt.
type seqOrder struct {
	order  []string
	status map[string]pointcheckout.Status
}

// apply takes one update and returns the history's verdict on it.
func (m *seqOrder) apply(src pointcheckout.Source, checkoutID string, st pointcheckout.Status) string {
	cur, known := m.status[checkoutID]
	if !known {
		if src != pointcheckout.SourcePay {
			return sqlledger.Refused // not recorded
		}
		open := 0
		for _, id := range m.order {
			switch m.status[id] {
			case pointcheckout.StatusPendingConfirmation:
				return sqlledger.Refused // awaiting confirmation
			case pointcheckout.StatusPending:
				open++
			}
		}
		if m.state().TookMoney() || open >= sqlledger.DefaultMaxOpenAttempts {
			return sqlledger.Refused
		}
		m.order = append(m.order, checkoutID)
		m.status[checkoutID] = st
		return sqlledger.Applied
	}
	switch {
	case cur == st:
		return sqlledger.Repeat
	case cur.CanBecome(st):
		m.status[checkoutID] = st
		return sqlledger.Applied
	}
	return sqlledger.Ignored
}

// state is the order's payment state, worked out from the attempts.
func (m *seqOrder) state() pointcheckout.PaymentState {
	if len(m.order) == 0 {
		return pointcheckout.PaymentNone
	}
	var holders []pointcheckout.Status
	seen := map[pointcheckout.Status]bool{}
	for _, id := range m.order {
		st := m.status[id]
		seen[st] = true
		if st == pointcheckout.StatusAuthorized || st == pointcheckout.StatusPaid || st == pointcheckout.StatusPartiallyRefunded {
			holders = append(holders, st)
		}
	}
	switch {
	case len(holders) > 1:
		return pointcheckout.PaymentPaidTwice
	case len(holders) == 1:
		return map[pointcheckout.Status]pointcheckout.PaymentState{
			pointcheckout.StatusAuthorized:        pointcheckout.PaymentAuthorized,
			pointcheckout.StatusPaid:              pointcheckout.PaymentPaid,
			pointcheckout.StatusPartiallyRefunded: pointcheckout.PaymentPartiallyRefunded,
		}[holders[0]]
	case seen[pointcheckout.StatusChargeback]:
		return pointcheckout.PaymentChargeback
	case seen[pointcheckout.StatusRefunded]:
		return pointcheckout.PaymentRefunded
	case seen[pointcheckout.StatusPendingConfirmation]:
		return pointcheckout.PaymentConfirming
	}
	return map[pointcheckout.Status]pointcheckout.PaymentState{
		pointcheckout.StatusPending:   pointcheckout.PaymentPending,
		pointcheckout.StatusFailed:    pointcheckout.PaymentFailed,
		pointcheckout.StatusCancelled: pointcheckout.PaymentCancelled,
		pointcheckout.StatusExpired:   pointcheckout.PaymentExpired,
	}[m.status[m.order[len(m.order)-1]]]
}

// TestChainsAreConfluent checks the premise of TestConcurrentUpdates: in
// every chain, each status may become every later one and none earlier.
func TestChainsAreConfluent(t *testing.T) {
	for _, c := range chains {
		for i := range c {
			for j := range c {
				if i < j {
					assert.True(t, c[i].CanBecome(c[j]), "%v: %s → %s", c, c[i], c[j])
				} else {
					assert.False(t, c[i].CanBecome(c[j]), "%v: %s → %s", c, c[i], c[j])
				}
			}
		}
	}
}
