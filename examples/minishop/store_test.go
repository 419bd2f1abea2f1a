package minishop

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func aed(t *testing.T, minor int64) pointcheckout.Money {
	t.Helper()
	m, err := pointcheckout.NewMoney(minor, "AED")
	require.NoError(t, err)
	return m
}

// openStore opens a store selling mugs at 49.00 AED in the database at
// path, paying on a sandbox.
func openStore(t *testing.T, path string) *Store {
	t.Helper()
	sandbox := pointcheckouttest.NewServer()
	t.Cleanup(sandbox.Close)
	db, err := OpenDB(t.Context(), path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	s, err := NewStore(t.Context(), db, Product{SKU: "MUG-1", Name: "PointCheckout mug", Price: aed(t, 4900)}, sandbox.Client(), nil)
	require.NoError(t, err)
	return s
}

func newStore(t *testing.T) *Store { return openStore(t, filepath.Join(t.TempDir(), "shop.db")) }

// place posts the /pay form with qty and returns the checkout the store
// asks for.
func place(t *testing.T, s *Store, qty string) (*pointcheckout.CheckoutRequest, error) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/pay", strings.NewReader(url.Values{"quantity": {qty}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.CheckoutFor(r)
}

// newOrder returns a store and one order in it, of qty mugs.
func newOrder(t *testing.T, qty string) (*Store, Order) {
	t.Helper()
	s := newStore(t)
	cr, err := place(t, s, qty)
	require.NoError(t, err)
	o, err := s.Order(t.Context(), cr.OrderID)
	require.NoError(t, err)
	return s, o
}

// update is an update of the order's attempt "chk-1", as the Handler
// delivers it.
func update(o Order, st pointcheckout.Status, src pointcheckout.Source) pointcheckout.Update {
	ref := pointcheckout.Ref{OrderID: o.ID, CheckoutID: "chk-1", RequestID: "req-1", Amount: o.Amount, CreatedAt: time.Now()}
	return pointcheckout.Update{OrderID: o.ID, CheckoutID: ref.CheckoutID, RequestID: ref.RequestID, Status: st, Amount: o.Amount, Ref: ref, Source: src}
}

func TestCheckoutForPricesFromTheCatalogue(t *testing.T) {
	s := newStore(t)
	cases := []struct {
		qty     string
		want    int64 // minor units; 0: refused
		wantQty int64
	}{
		{"", 4900, 1},
		{"1", 4900, 1},
		{"3", 14700, 3},
		{"10", 49000, 10},
		{"0", 0, 0},
		{"11", 0, 0},
		{"-1", 0, 0},
		{"2.5", 0, 0},
		{"9223372036854775807", 0, 0},
		{"two", 0, 0},
	}
	for _, tc := range cases {
		t.Run("quantity "+tc.qty, func(t *testing.T) {
			cr, err := place(t, s, tc.qty)
			if tc.want == 0 {
				require.Error(t, err)
				assert.Nil(t, cr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, aed(t, tc.want), cr.Amount)
			require.Len(t, cr.Items, 1)
			assert.Equal(t, tc.wantQty, cr.Items[0].Quantity)
			assert.Equal(t, cr.Amount, cr.Items[0].LineTotal)
			o, err := s.Order(t.Context(), cr.OrderID)
			require.NoError(t, err, "the store did not record order %q", cr.OrderID)
			assert.Equal(t, cr.Amount, o.Amount)
			assert.Equal(t, tc.wantQty, o.Quantity)
			assert.Equal(t, pointcheckout.PaymentNone, o.Payment)
			assert.Empty(t, o.History)
		})
	}
}

// TestLedgerMarksTheOrder applies a sequence of updates through the ledger
// and checks where the shop's order ends: the ledger sets its payment in
// the update's transaction; repeats and moves back change nothing and are
// not errors.
func TestLedgerMarksTheOrder(t *testing.T) {
	cases := []struct {
		name        string
		updates     []pointcheckout.Status // the first one from /pay
		want        pointcheckout.Status
		wantPayment pointcheckout.PaymentState
		wantApplied int
	}{
		{"pending", []pointcheckout.Status{pointcheckout.StatusPending}, pointcheckout.StatusPending, pointcheckout.PaymentPending, 1},
		{"pending then paid", []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusPaid}, pointcheckout.StatusPaid, pointcheckout.PaymentPaid, 2},
		{"paid twice", []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusPaid, pointcheckout.StatusPaid}, pointcheckout.StatusPaid, pointcheckout.PaymentPaid, 2},
		{"paid then pending", []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusPaid, pointcheckout.StatusPending}, pointcheckout.StatusPaid, pointcheckout.PaymentPaid, 2},
		{"paid then failed", []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusPaid, pointcheckout.StatusFailed}, pointcheckout.StatusPaid, pointcheckout.PaymentPaid, 2},
		{"paid then refunded", []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusPaid, pointcheckout.StatusRefunded}, pointcheckout.StatusRefunded, pointcheckout.PaymentRefunded, 3},
		{"declined", []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusFailed}, pointcheckout.StatusFailed, pointcheckout.PaymentFailed, 2},
		{"cancelled then paid", []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusCancelled, pointcheckout.StatusPaid}, pointcheckout.StatusCancelled, pointcheckout.PaymentCancelled, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, o := newOrder(t, "2")
			for i, st := range tc.updates {
				src := pointcheckout.SourceReturn
				if i == 0 {
					src = pointcheckout.SourcePay
				}
				require.NoError(t, s.Ledger().UpdateOrder(t.Context(), update(o, st, src)), "update %d (%s)", i, st)
			}
			got, err := s.Order(t.Context(), o.ID)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.Status)
			assert.Equal(t, "chk-1", got.CheckoutID)
			assert.Equal(t, tc.wantPayment, got.Payment)
			assert.Len(t, got.History, len(tc.updates), "every update is in the history")
			var applied []pointcheckout.Status
			for _, e := range got.History {
				if e.Outcome == sqlledger.Applied {
					applied = append(applied, e.Status)
				}
			}
			require.Len(t, applied, tc.wantApplied, "history: %+v", got.History)
			assert.Equal(t, tc.want, applied[len(applied)-1])
		})
	}
}

func TestUpdatesTheOrderCannotTake(t *testing.T) {
	s, o := newOrder(t, "2")
	require.NoError(t, s.Ledger().UpdateOrder(t.Context(), update(o, pointcheckout.StatusPending, pointcheckout.SourcePay)))
	sar, err := pointcheckout.NewMoney(9800, "SAR")
	require.NoError(t, err)
	cases := []struct {
		name string
		u    func() pointcheckout.Update
		is   error
	}{
		{"another amount", func() pointcheckout.Update {
			u := update(o, pointcheckout.StatusPaid, pointcheckout.SourceReturn)
			u.Amount = aed(t, 4900)
			return u
		}, pointcheckout.ErrVerification},
		{"another currency", func() pointcheckout.Update {
			u := update(o, pointcheckout.StatusPaid, pointcheckout.SourceReturn)
			u.Amount = sar
			return u
		}, pointcheckout.ErrVerification},
		{"a checkout never recorded", func() pointcheckout.Update {
			u := update(o, pointcheckout.StatusPaid, pointcheckout.SourceNotify)
			u.CheckoutID, u.RequestID = "chk-2", "req-2"
			return u
		}, pointcheckout.ErrUnknownAttempt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, s.Ledger().UpdateOrder(t.Context(), tc.u()), tc.is)
			got, err := s.Order(t.Context(), o.ID)
			require.NoError(t, err)
			assert.Equal(t, pointcheckout.StatusPending, got.Status, "a refused update moved the order")
			assert.Equal(t, pointcheckout.PaymentPending, got.Payment)
			assert.Equal(t, sqlledger.Refused, got.History[len(got.History)-1].Outcome)
		})
	}

	t.Run("an order the shop never issued", func(t *testing.T) {
		u := update(Order{ID: "order-nope", Amount: o.Amount}, pointcheckout.StatusPending, pointcheckout.SourcePay)
		u.CheckoutID, u.RequestID = "chk-9", "req-9"
		u.Ref.CheckoutID, u.Ref.RequestID = u.CheckoutID, u.RequestID
		require.ErrorIs(t, s.Ledger().UpdateOrder(t.Context(), u), ErrUnknownOrder)
		_, err := s.Ledger().FindRef(t.Context(), "chk-9")
		require.ErrorIs(t, err, pointcheckout.ErrNotFound, "its attempt was not recorded")
		history, err := s.Ledger().History(t.Context(), "order-nope")
		require.NoError(t, err)
		assert.Empty(t, history, "nothing of the update was kept")
		_, err = s.Order(t.Context(), "order-nope")
		assert.ErrorIs(t, err, ErrUnknownOrder)
	})
}

// TestOrdersOutliveTheStore: a shop restarted on its database finds its
// orders and their payments, and preparing the tables again changes
// nothing.
func TestOrdersOutliveTheStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	s := openStore(t, path)
	cr, err := place(t, s, "1")
	require.NoError(t, err)
	o, err := s.Order(t.Context(), cr.OrderID)
	require.NoError(t, err)
	require.NoError(t, s.Ledger().UpdateOrder(t.Context(), update(o, pointcheckout.StatusPending, pointcheckout.SourcePay)))
	require.NoError(t, s.Ledger().UpdateOrder(t.Context(), update(o, pointcheckout.StatusPaid, pointcheckout.SourceReturn)))

	again := openStore(t, path)
	got, err := again.Order(context.Background(), o.ID)
	require.NoError(t, err)
	assert.Equal(t, pointcheckout.PaymentPaid, got.Payment)
	assert.Equal(t, pointcheckout.StatusPaid, got.Status)
	ref, err := again.Ledger().FindRef(t.Context(), "chk-1")
	require.NoError(t, err)
	assert.Equal(t, o.ID, ref.OrderID)
}

func TestOpenDBRefusesAPathItCannotName(t *testing.T) {
	for _, path := range []string{"", "shop.db?mode=ro", "shop#1.db"} {
		_, err := OpenDB(t.Context(), path)
		assert.Error(t, err, "%q", path)
	}
}
