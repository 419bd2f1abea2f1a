package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// step is one update sent to the store in a scenario.
type step struct {
	checkout string
	status   pointcheckout.Status
	source   pointcheckout.Source
	// created offsets the attempt's Ref.CreatedAt from the scenario start.
	created time.Duration
	// amount overrides the order total when set (minor units).
	amount int64
	// wantErr is the error the update must return, if any.
	wantErr error
	// wantOutcome is a prefix of the history line the update must leave.
	wantOutcome string
}

// pay, back, notify and sweep build steps from each source.
func pay(co string, created time.Duration) step {
	return step{checkout: co, status: pointcheckout.StatusPending, source: pointcheckout.SourcePay, created: created}
}
func back(co string, st pointcheckout.Status) step {
	return step{checkout: co, status: st, source: pointcheckout.SourceReturn}
}
func notify(co string, st pointcheckout.Status) step {
	return step{checkout: co, status: st, source: pointcheckout.SourceNotify}
}

func (s step) want(outcome string) step       { s.wantOutcome = outcome; return s }
func (s step) fails(err error, o string) step { s.wantErr, s.wantOutcome = err, o; return s }

// update builds the pointcheckout.Update a step stands for.
func (s step) update(t *testing.T, o order, start time.Time) pointcheckout.Update {
	amount := o.Amount
	if s.amount != 0 {
		var err error
		amount, err = pointcheckout.NewMoney(s.amount, o.Amount.Currency())
		require.NoError(t, err)
	}
	ref := pointcheckout.Ref{CheckoutID: s.checkout, OrderID: o.ID, RequestID: "req-" + s.checkout, Amount: amount, CreatedAt: start.Add(s.created)}
	return pointcheckout.Update{
		OrderID: o.ID, CheckoutID: s.checkout, RequestID: ref.RequestID,
		Status: s.status, Amount: amount, Ref: ref, Source: s.source,
	}
}

// applySteps applies steps to a new order of a new store, each failing
// only as the step expects, and returns them with the steps' start time.
func applySteps(t *testing.T, steps []step) (*orderStore, order, time.Time) {
	t.Helper()
	store, o := newTestStore(t)
	start := time.Now()
	for i, s := range steps {
		err := store.UpdateOrder(context.Background(), s.update(t, o, start))
		if s.wantErr != nil {
			require.ErrorIs(t, err, s.wantErr, "step %d", i)
		} else {
			require.NoError(t, err, "step %d", i)
		}
	}
	return store, o, start
}

func TestUpdateOrderRules(t *testing.T) {
	const (
		pending   = pointcheckout.StatusPending
		paid      = pointcheckout.StatusPaid
		failed    = pointcheckout.StatusFailed
		cancelled = pointcheckout.StatusCancelled
		refunded  = pointcheckout.StatusRefunded
		authd     = pointcheckout.StatusAuthorized
	)
	tests := []struct {
		name         string
		steps        []step
		wantStatus   pointcheckout.Status
		wantCheckout string
	}{
		{
			name:       "forward: pending then paid",
			steps:      []step{pay("c1", 0).want("applied: first checkout"), back("c1", paid).want("applied: PENDING → PAID")},
			wantStatus: paid, wantCheckout: "c1",
		},
		{
			name: "idempotent: the same paid update three times",
			steps: []step{
				pay("c1", 0), back("c1", paid),
				notify("c1", paid).want("repeat"), back("c1", paid).want("repeat"),
			},
			wantStatus: paid, wantCheckout: "c1",
		},
		{
			name: "out of order: a late pending or failed never un-pays",
			steps: []step{
				pay("c1", 0), notify("c1", paid),
				back("c1", pending).want("ignored: PAID may not become PENDING"),
				back("c1", failed).want("ignored: PAID may not become FAILED"),
			},
			wantStatus: paid, wantCheckout: "c1",
		},
		{
			name:       "paid arrives before the pay update is recorded",
			steps:      []step{notify("c1", paid).want("applied: first checkout"), pay("c1", 0).want("ignored: PAID may not become PENDING")},
			wantStatus: paid, wantCheckout: "c1",
		},
		{
			name:       "failed stays failed",
			steps:      []step{pay("c1", 0), back("c1", failed), notify("c1", paid).want("ignored: FAILED may not become PAID")},
			wantStatus: failed, wantCheckout: "c1",
		},
		{
			name: "a new attempt replaces a cancelled one and pays",
			steps: []step{
				pay("c1", 0), back("c1", cancelled),
				pay("c2", time.Second).want("applied: new attempt replaces c1 (CANCELLED)"),
				back("c2", paid).want("applied: PENDING → PAID"),
			},
			wantStatus: paid, wantCheckout: "c2",
		},
		{
			name: "a new attempt replaces a pending one",
			steps: []step{
				pay("c1", 0), pay("c2", time.Second).want("applied: new attempt replaces c1 (PENDING)"),
				back("c1", cancelled).want("ignored: not the current checkout"),
			},
			wantStatus: pending, wantCheckout: "c2",
		},
		{
			name: "an older attempt recorded late does not replace a newer one",
			steps: []step{
				pay("c2", time.Second), pay("c1", 0).want("ignored: older than the current attempt"),
			},
			wantStatus: pending, wantCheckout: "c2",
		},
		{
			name: "a stale attempt failing never un-pays the order",
			steps: []step{
				pay("c1", 0), back("c1", cancelled), pay("c2", time.Second), back("c2", paid),
				notify("c1", failed).want("ignored: not the current checkout"),
			},
			wantStatus: paid, wantCheckout: "c2",
		},
		{
			name: "an earlier attempt that took the money is adopted",
			steps: []step{
				pay("c1", 0), pay("c2", time.Second),
				notify("c1", paid).want("applied: earlier attempt took the money"),
				back("c2", paid).want("ignored: order already settled by checkout c1; this checkout took money too"),
			},
			wantStatus: paid, wantCheckout: "c1",
		},
		{
			name: "no new attempt for a paid order",
			steps: []step{
				pay("c1", 0), back("c1", paid),
				pay("c2", time.Second).fails(errAlreadyPaid, "refused: order already settled"),
			},
			wantStatus: paid, wantCheckout: "c1",
		},
		{
			name:       "authorized then paid, then refunded",
			steps:      []step{pay("c1", 0), back("c1", authd), notify("c1", paid).want("applied: AUTHORIZED → PAID"), notify("c1", refunded).want("applied: PAID → REFUNDED")},
			wantStatus: refunded, wantCheckout: "c1",
		},
		{
			name: "a different amount is never applied",
			steps: []step{
				pay("c1", 0),
				{checkout: "c1", status: paid, source: pointcheckout.SourceNotify, amount: 1, wantErr: errAmountMismatch, wantOutcome: "rejected: amount 0.01 AED"},
			},
			wantStatus: pending, wantCheckout: "c1",
		},
		{
			name:       "an unknown status is recorded and ignored",
			steps:      []step{pay("c1", 0), notify("c1", pointcheckout.StatusUnknown).want("ignored: unknown status")},
			wantStatus: pending, wantCheckout: "c1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, o, _ := applySteps(t, tt.steps)
			ctx := context.Background()
			got, err := store.get(ctx, o.ID)
			require.NoError(t, err)
			assert.Equal(t, tt.wantStatus, got.Status)
			assert.Equal(t, tt.wantCheckout, got.CheckoutID)
			// Every update is in the history, applied or not.
			require.Len(t, got.Updates, len(tt.steps))
			for i, s := range tt.steps {
				assert.Equal(t, s.checkout, got.Updates[i].CheckoutID)
				assert.Equal(t, s.source, got.Updates[i].Source)
				if s.wantOutcome != "" {
					assert.True(t, strings.HasPrefix(got.Updates[i].Outcome, s.wantOutcome),
						"step %d outcome %q, want prefix %q", i, got.Updates[i].Outcome, s.wantOutcome)
				}
			}
		})
	}
}

func TestUpdateOrderUnknownOrder(t *testing.T) {
	store, o := newTestStore(t)
	u := pay("c1", 0).update(t, o, time.Now())
	u.OrderID = "SO-NOPE"
	require.ErrorIs(t, store.UpdateOrder(context.Background(), u), errUnknownOrder)
}

// TestUpdateOrderConcurrent races many copies of the same updates, as a
// return, notifications and sweeps would: the order ends PAID and exactly
// one update moved it there.
func TestUpdateOrderConcurrent(t *testing.T) {
	store, o := newTestStore(t)
	ctx := context.Background()
	start := time.Now()
	require.NoError(t, store.UpdateOrder(ctx, pay("c1", 0).update(t, o, start)))

	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		s := notify("c1", pointcheckout.StatusPaid)
		switch i % 4 {
		case 1:
			s = back("c1", pointcheckout.StatusPaid)
		case 2:
			s = back("c1", pointcheckout.StatusPending) // a stale read
		case 3:
			s = pay("c1", 0) // a retried /pay update
		}
		u := s.update(t, o, start)
		wg.Go(func() { errs <- store.UpdateOrder(ctx, u) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := store.get(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, pointcheckout.StatusPaid, got.Status)
	require.Len(t, got.Updates, n+1)
	applied := 0
	for _, u := range got.Updates[1:] {
		if strings.HasPrefix(u.Outcome, "applied") {
			applied++
			assert.Equal(t, "applied: PENDING → PAID", u.Outcome)
		}
	}
	assert.Equal(t, 1, applied, "exactly one update moves the order")
}

func TestFindRef(t *testing.T) {
	store, o := newTestStore(t)
	ctx := context.Background()
	start := time.Now().Truncate(time.Second)
	require.NoError(t, store.UpdateOrder(ctx, pay("c1", 0).update(t, o, start)))
	require.NoError(t, store.UpdateOrder(ctx, pay("c2", time.Second).update(t, o, start)))

	tests := []struct {
		checkout string
		want     pointcheckout.Ref
		wantErr  error
	}{
		{"c2", pointcheckout.Ref{CheckoutID: "c2", OrderID: o.ID, RequestID: "req-c2", Amount: o.Amount, CreatedAt: start.Add(time.Second)}, nil},
		{"c1", pointcheckout.Ref{CheckoutID: "c1", OrderID: o.ID, RequestID: "req-c1", Amount: o.Amount, CreatedAt: start}, nil},
		{"c3", pointcheckout.Ref{}, pointcheckout.ErrNotFound},
		{"", pointcheckout.Ref{}, pointcheckout.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("checkout %q", tt.checkout), func(t *testing.T) {
			got, err := store.FindRef(ctx, tt.checkout)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.CreatedAt.Equal(got.CreatedAt), "created %v, want %v", got.CreatedAt, tt.want.CreatedAt)
			got.CreatedAt = tt.want.CreatedAt
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestOpenAttempts(t *testing.T) {
	tests := []struct {
		name   string
		steps  []step
		cutoff time.Duration // after the start
		want   []string      // checkout ids, oldest first
	}{
		{"an attempt younger than the cutoff is left alone", []step{pay("c1", 0)}, -time.Second, nil},
		{"an open attempt", []step{pay("c1", 0)}, time.Second, []string{"c1"}},
		{"confirming is still open", []step{pay("c1", 0), back("c1", pointcheckout.StatusPendingConfirmation)}, time.Second, []string{"c1"}},
		{"a paid attempt is done", []step{pay("c1", 0), back("c1", pointcheckout.StatusPaid)}, time.Second, nil},
		{"an expired attempt is done", []step{pay("c1", 0), back("c1", pointcheckout.StatusExpired)}, time.Second, nil},
		{"a replaced attempt stays open", []step{pay("c1", 0), pay("c2", time.Millisecond)}, time.Second, []string{"c1", "c2"}},
		{"a replaced attempt paid later is done", []step{pay("c1", 0), pay("c2", time.Millisecond), notify("c1", pointcheckout.StatusPaid)}, time.Second, []string{"c2"}},
		{"a declined attempt and its retry", []step{pay("c1", 0), back("c1", pointcheckout.StatusFailed), pay("c2", time.Millisecond)}, time.Second, []string{"c2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, o, start := applySteps(t, tt.steps)
			refs, err := store.openAttempts(context.Background(), start.Add(tt.cutoff), 10)
			require.NoError(t, err)
			var got []string
			for _, ref := range refs {
				got = append(got, ref.CheckoutID)
				assert.Equal(t, o.ID, ref.OrderID)
				assert.Equal(t, "req-"+ref.CheckoutID, ref.RequestID)
				assert.Equal(t, o.Amount, ref.Amount)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestOpenAttemptsRotate: a sweep takes the attempts checked least recently
// first, so attempts the gateway never resolves cannot starve the rest.
func TestOpenAttemptsRotate(t *testing.T) {
	store, _, start := applySteps(t, []step{pay("c1", 0), pay("c2", time.Millisecond), pay("c3", 2*time.Millisecond)})
	ctx := context.Background()
	ids := func(refs []pointcheckout.Ref) []string {
		var out []string
		for _, r := range refs {
			out = append(out, r.CheckoutID)
		}
		return out
	}
	cutoff := start.Add(time.Second)
	first, err := store.openAttempts(ctx, cutoff, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"c1", "c2"}, ids(first), "oldest first while none was checked")
	require.NoError(t, store.markChecked(ctx, first))
	next, err := store.openAttempts(ctx, cutoff, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"c3", "c1"}, ids(next), "the unchecked attempt first, then the longest unchecked")
}

func TestMarkCheckedForgetsFinishedAttempts(t *testing.T) {
	store, o, start := applySteps(t, []step{pay("c1", 0), pay("c2", time.Millisecond)})
	ctx := context.Background()
	refs, err := store.openAttempts(ctx, start.Add(time.Second), 10)
	require.NoError(t, err)
	require.NoError(t, store.markChecked(ctx, refs))
	require.NoError(t, store.UpdateOrder(ctx, notify("c1", pointcheckout.StatusExpired).update(t, o, start)))
	require.NoError(t, store.markChecked(ctx, nil))
	var left []string
	rows, err := store.db.QueryContext(ctx, `SELECT checkout_id FROM attempt_checks ORDER BY checkout_id`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		left = append(left, id)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"c2"}, left, "the expired attempt is forgotten, the open one kept")
}

func TestOpenAttemptsAgeOut(t *testing.T) {
	store, _, start := applySteps(t, []step{pay("c1", -attemptMaxAge-time.Hour), pay("c2", 0)})
	refs, err := store.openAttempts(context.Background(), start.Add(time.Second), 10)
	require.NoError(t, err)
	require.Len(t, refs, 1)
	assert.Equal(t, "c2", refs[0].CheckoutID, "an attempt older than attemptMaxAge is no longer swept")
}

func TestPayable(t *testing.T) {
	tests := []struct {
		method paymentMethod
		status pointcheckout.Status
		want   bool
	}{
		{methodCard, "", true},
		{methodCard, pointcheckout.StatusPending, true},
		{methodCard, pointcheckout.StatusFailed, true},
		{methodCard, pointcheckout.StatusCancelled, true},
		{methodCard, pointcheckout.StatusExpired, true},
		{methodCard, pointcheckout.StatusPendingConfirmation, false},
		{methodCard, pointcheckout.StatusAuthorized, false},
		{methodCard, pointcheckout.StatusPaid, false},
		{methodCard, pointcheckout.StatusRefunded, false},
		{methodCOD, "", false},
	}
	for _, tt := range tests {
		o := order{Method: tt.method, Status: tt.status}
		assert.Equal(t, tt.want, o.Payable(), "%s order in status %q", tt.method, tt.status)
	}
}

func TestFinalStatusesAreIsFinal(t *testing.T) {
	final := map[pointcheckout.Status]bool{}
	for _, st := range finalStatuses() {
		final[st] = true
	}
	for _, st := range []pointcheckout.Status{
		pointcheckout.StatusPending, pointcheckout.StatusPendingConfirmation, pointcheckout.StatusAuthorized,
		pointcheckout.StatusPaid, pointcheckout.StatusFailed, pointcheckout.StatusCancelled,
		pointcheckout.StatusExpired, pointcheckout.StatusRefunded, pointcheckout.StatusPartiallyRefunded,
		pointcheckout.StatusChargeback, pointcheckout.StatusUnknown,
	} {
		assert.Equal(t, st.IsFinal(), final[st], "status %s", st)
	}
}
