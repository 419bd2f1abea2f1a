package minishop

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func aed(t *testing.T, minor int64) pointcheckout.Money {
	t.Helper()
	m, err := pointcheckout.NewMoney(minor, "AED")
	require.NoError(t, err)
	return m
}

// newOrder returns a store and one order in it, of qty mugs at 49.00 AED.
func newOrder(t *testing.T, qty string) (*Store, Order) {
	t.Helper()
	s := NewStore(Product{SKU: "MUG-1", Name: "PointCheckout mug", Price: aed(t, 4900)})
	r := httptest.NewRequest(http.MethodPost, "/pay", strings.NewReader(url.Values{"quantity": {qty}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	cr, err := s.CheckoutFor(r)
	require.NoError(t, err)
	o, ok := s.Order(cr.OrderID)
	require.True(t, ok)
	return s, o
}

func TestCheckoutForPricesFromTheCatalogue(t *testing.T) {
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
			s := NewStore(Product{SKU: "MUG-1", Name: "PointCheckout mug", Price: aed(t, 4900)})
			r := httptest.NewRequest(http.MethodPost, "/pay", strings.NewReader(url.Values{"quantity": {tc.qty}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			cr, err := s.CheckoutFor(r)
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
			o, ok := s.Order(cr.OrderID)
			require.True(t, ok, "the store did not record order %q", cr.OrderID)
			assert.Equal(t, cr.Amount, o.Amount)
			assert.Equal(t, tc.wantQty, o.Quantity)
		})
	}
}

// TestUpdateOrderFollowsTheForwardRule applies a sequence of updates and
// checks where the order ends: repeats and moves back change nothing and
// are not errors.
func TestUpdateOrderFollowsTheForwardRule(t *testing.T) {
	cases := []struct {
		name        string
		updates     []pointcheckout.Status
		want        pointcheckout.Status
		wantHistory int
	}{
		{"pending then paid", []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusPaid}, pointcheckout.StatusPaid, 2},
		{"paid twice", []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusPaid, pointcheckout.StatusPaid}, pointcheckout.StatusPaid, 2},
		{"paid then pending", []pointcheckout.Status{pointcheckout.StatusPaid, pointcheckout.StatusPending}, pointcheckout.StatusPaid, 1},
		{"paid then failed", []pointcheckout.Status{pointcheckout.StatusPaid, pointcheckout.StatusFailed}, pointcheckout.StatusPaid, 1},
		{"paid then refunded", []pointcheckout.Status{pointcheckout.StatusPaid, pointcheckout.StatusRefunded}, pointcheckout.StatusRefunded, 2},
		{"unknown status", []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusUnknown}, pointcheckout.StatusPending, 1},
		{"cancelled then paid", []pointcheckout.Status{pointcheckout.StatusCancelled, pointcheckout.StatusPaid}, pointcheckout.StatusCancelled, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, o := newOrder(t, "2")
			for i, st := range tc.updates {
				require.NoError(t, s.UpdateOrder(context.Background(), pointcheckout.Update{
					OrderID: o.ID, CheckoutID: "chk-1", Status: st, Amount: o.Amount, Source: pointcheckout.SourceReturn,
				}), "update %d (%s)", i, st)
			}
			got, ok := s.Order(o.ID)
			require.True(t, ok)
			assert.Equal(t, tc.want, got.Status)
			assert.Len(t, got.History, tc.wantHistory, "history: %+v", got.History)
			assert.Equal(t, tc.want, got.History[len(got.History)-1].Status)
		})
	}
}

func TestUpdateOrderRefusesWhatItCannotMatch(t *testing.T) {
	s, o := newOrder(t, "2")
	cases := []struct {
		name string
		u    pointcheckout.Update
		is   error
	}{
		{"amount mismatch", pointcheckout.Update{OrderID: o.ID, Status: pointcheckout.StatusPaid, Amount: aed(t, 4900)}, nil},
		{"other currency", pointcheckout.Update{OrderID: o.ID, Status: pointcheckout.StatusPaid, Amount: func() pointcheckout.Money {
			m, err := pointcheckout.NewMoney(9800, "SAR")
			require.NoError(t, err)
			return m
		}()}, nil},
		{"unknown order", pointcheckout.Update{OrderID: "order-nope", Status: pointcheckout.StatusPaid, Amount: o.Amount}, ErrUnknownOrder},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.UpdateOrder(context.Background(), tc.u)
			require.Error(t, err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			got, ok := s.Order(o.ID)
			require.True(t, ok)
			assert.Equal(t, pointcheckout.Status(""), got.Status, "a refused update moved the order")
			assert.Empty(t, got.History)
		})
	}
}

func TestFindRef(t *testing.T) {
	s, o := newOrder(t, "1")
	ref := pointcheckout.Ref{CheckoutID: "chk-9", OrderID: o.ID, RequestID: "req-1"}
	update := func(src pointcheckout.Source, r pointcheckout.Ref) {
		require.NoError(t, s.UpdateOrder(context.Background(), pointcheckout.Update{
			OrderID: o.ID, CheckoutID: r.CheckoutID, Status: pointcheckout.StatusPending, Amount: o.Amount, Source: src, Ref: r,
		}))
	}

	_, err := s.FindRef(context.Background(), "chk-9")
	require.ErrorIs(t, err, pointcheckout.ErrNotFound, "before /pay recorded it")

	// Only the update from /pay records a Ref: the others carry one the
	// library already verified against it.
	update(pointcheckout.SourceReturn, pointcheckout.Ref{CheckoutID: "chk-other", OrderID: o.ID})
	_, err = s.FindRef(context.Background(), "chk-other")
	require.ErrorIs(t, err, pointcheckout.ErrNotFound)

	update(pointcheckout.SourcePay, ref)
	got, err := s.FindRef(context.Background(), "chk-9")
	require.NoError(t, err)
	assert.Equal(t, ref, got)

	_, err = s.FindRef(context.Background(), "chk-unknown")
	assert.ErrorIs(t, err, pointcheckout.ErrNotFound)
}

func TestOrderIsACopy(t *testing.T) {
	s, o := newOrder(t, "1")
	require.NoError(t, s.UpdateOrder(context.Background(), pointcheckout.Update{
		OrderID: o.ID, CheckoutID: "chk-1", Status: pointcheckout.StatusPending, Amount: o.Amount, Source: pointcheckout.SourcePay,
	}))
	got, _ := s.Order(o.ID)
	got.History[0].Status = pointcheckout.StatusPaid
	got.Status = pointcheckout.StatusPaid
	again, _ := s.Order(o.ID)
	assert.Equal(t, pointcheckout.StatusPending, again.Status)
	assert.Equal(t, pointcheckout.StatusPending, again.History[0].Status)
	_, ok := s.Order("order-nope")
	assert.False(t, ok)
}

// TestStoreIsBounded: past its limit the store forgets the oldest order
// that holds no money, never a paid one while another is left.
func TestStoreIsBounded(t *testing.T) {
	s := NewStore(Product{SKU: "MUG-1", Name: "PointCheckout mug", Price: aed(t, 4900)})
	s.limit = 4
	place := func() string {
		r := httptest.NewRequest(http.MethodPost, "/pay", nil)
		cr, err := s.CheckoutFor(r)
		require.NoError(t, err)
		return cr.OrderID
	}
	paid, pending, failed, confirming := place(), place(), place(), place()
	ctx := context.Background()
	for id, st := range map[string]pointcheckout.Status{
		paid: pointcheckout.StatusPaid, pending: pointcheckout.StatusPending,
		failed: pointcheckout.StatusFailed, confirming: pointcheckout.StatusPendingConfirmation,
	} {
		o, _ := s.Order(id)
		require.NoError(t, s.UpdateOrder(ctx, pointcheckout.Update{OrderID: id, CheckoutID: "c-" + id, Status: st, Amount: o.Amount,
			Source: pointcheckout.SourcePay, Ref: pointcheckout.Ref{OrderID: id, CheckoutID: "c-" + id}}))
	}

	fifth := place()
	_, ok := s.Order(pending)
	assert.False(t, ok, "the oldest unpaid order made room")
	_, err := s.FindRef(ctx, "c-"+pending)
	require.ErrorIs(t, err, pointcheckout.ErrNotFound, "and its Ref went with it")
	for _, id := range []string{paid, failed, confirming, fifth} {
		_, ok := s.Order(id)
		assert.True(t, ok, "order %s kept", id)
	}
	for _, gone := range []string{failed, confirming, fifth} {
		place()
		_, ok = s.Order(gone)
		assert.False(t, ok, "then the next unpaid one")
		_, ok = s.Order(paid)
		assert.True(t, ok, "a paid order stays while an unpaid one is left")
	}
}

func TestFullStoreOfPaidOrdersForgetsTheOldest(t *testing.T) {
	s, o := newOrder(t, "1")
	s.limit = 1
	require.NoError(t, s.UpdateOrder(context.Background(), pointcheckout.Update{OrderID: o.ID, CheckoutID: "c1", Status: pointcheckout.StatusPaid, Amount: o.Amount}))
	r := httptest.NewRequest(http.MethodPost, "/pay", nil)
	cr, err := s.CheckoutFor(r)
	require.NoError(t, err)
	_, ok := s.Order(o.ID)
	assert.False(t, ok, "with only paid orders left, the oldest goes")
	_, ok = s.Order(cr.OrderID)
	assert.True(t, ok)
}
