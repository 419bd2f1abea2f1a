package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a log sink tests read while the shop may still write.
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

// changes reads the payment changes OrderChanged recorded for an order,
// as "before→after".
func changes(t *testing.T, ts *testShop, orderID string) []string {
	t.Helper()
	rows, err := ts.db.db.Query(ts.db.sql(`SELECT state_before, state_after FROM payment_changes WHERE order_id = ? ORDER BY at`), orderID)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var before, after string
		require.NoError(t, rows.Scan(&before, &after))
		out = append(out, before+"→"+after)
	}
	require.NoError(t, rows.Err())
	return out
}

// TestOrderChangedInTheLedgersTransaction: the orders row follows the
// ledger's payment state, each change recorded once however often the
// gateway's answer arrives; an update for an order the shop does not have
// is rolled back whole.
func TestOrderChangedInTheLedgersTransaction(t *testing.T) {
	forEachDB(t, func(t *testing.T, onDB func(*Config)) {
		ts := newTestShopOn(t, onDB, nil)
		s := newShopper(t)
		ctx := context.Background()
		orderID := s.placeCardOrder(ts.URL)
		assert.Empty(t, changes(t, ts, orderID), "no payment yet")
		s.post(ts.URL, ts.URL+payPath, url.Values{"order_id": {orderID}})
		o, err := ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		ref := o.attempt(t).Ref
		require.NoError(t, ts.sandbox.Complete(ref.CheckoutID, pointcheckout.StatusPaid))
		c, ok := ts.sandbox.Checkout(ref.CheckoutID)
		require.True(t, ok)

		// The return, a refresh of it and two sweeps all report PAID.
		s.get(c.ReturnURL)
		s.get(c.ReturnURL)
		for range 2 {
			_, err := ts.ReconcileNow(ctx)
			require.NoError(t, err)
		}
		assert.Equal(t, []string{"none→pending", "pending→paid"}, changes(t, ts, orderID))
		o, err = ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		state, err := ts.ledger.State(ctx, orderID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentPaid, state)
		assert.Equal(t, state, o.Payment, "the orders row agrees with the ledger")

		// An attempt for an order the shop never placed: OrderChanged
		// fails, and the ledger keeps nothing of it.
		stray := ref
		stray.OrderID, stray.CheckoutID, stray.RequestID = "SO-NOT-PLACED", "stray-checkout", "stray-request"
		err = ts.ledger.UpdateOrder(ctx, pointcheckout.Update{OrderID: stray.OrderID, CheckoutID: stray.CheckoutID,
			RequestID: stray.RequestID, Status: pointcheckout.StatusPending, Amount: stray.Amount, Ref: stray, Source: pointcheckout.SourcePay})
		require.ErrorIs(t, err, errUnknownOrder)
		history, err := ts.ledger.History(ctx, stray.OrderID)
		require.NoError(t, err)
		assert.Empty(t, history)
		_, err = ts.ledger.FindRef(ctx, stray.CheckoutID)
		assert.ErrorIs(t, err, pointcheckout.ErrNotFound)
	})
}

// TestLedgerNeverCancelsMoneyNorTakesUnrecordedIDs: when an order is paid,
// its other attempts are cancelled at the gateway only while PENDING: one
// the shopper meanwhile authorized is left alone, recorded by the sweep,
// and the order shows "paid twice — refund" to the admin, logged at Error.
// A checkout the shop never recorded at /pay for the order, even one the
// gateway says is paid, never becomes the order's.
func TestLedgerNeverCancelsMoneyNorTakesUnrecordedIDs(t *testing.T) {
	forEachDB(t, func(t *testing.T, onDB func(*Config)) {
		logs := &syncBuffer{}
		ts, s, orderID, a, b := twoAttempts(t, func(c *Config) {
			onDB(c)
			c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
		})
		ctx := context.Background()

		// A checkout made at the gateway for this order, not through the
		// shop's /pay, paid, and announced by a notification.
		o, err := ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		foreign, err := ts.sandbox.Client().CreateWebCheckout(ctx, &pointcheckout.CheckoutRequest{
			RequestID: "not-from-the-shop", OrderID: orderID, Amount: o.Amount,
			Items:          []pointcheckout.Item{{Name: "coffee", UnitPrice: o.Amount, Quantity: 1, LineTotal: o.Amount}},
			Customer:       pointcheckout.Customer{FirstName: "M", LastName: "X", Email: "m@example.com"},
			BillingAddress: pointcheckout.Address{Name: "M X", Address1: "1 Road", City: "Dubai", Country: "AE"},
			ReturnURL:      "http://127.0.0.1:1/",
		})
		require.NoError(t, err)
		require.NoError(t, ts.sandbox.Complete(foreign.ID, pointcheckout.StatusPaid))
		body, err := json.Marshal(map[string]string{"checkoutId": foreign.ID, "status": "PAID"})
		require.NoError(t, err)
		resp, err := http.Post(ts.URL+payPath+"/notify", "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		// The same id claimed for a recorded attempt's request id.
		err = ts.ledger.UpdateOrder(ctx, pointcheckout.Update{OrderID: orderID, CheckoutID: foreign.ID,
			RequestID: o.Attempts[0].Ref.RequestID, Status: pointcheckout.StatusPaid, Amount: o.Amount, Source: pointcheckout.SourceNotify})
		require.ErrorIs(t, err, pointcheckout.ErrVerification)
		o, err = ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentPending, o.Payment, "the unrecorded checkout's payment is not the order's")
		require.Len(t, o.Attempts, 2)
		assert.Equal(t, sqlledger.Refused, o.lastEntry(t).Outcome)

		// The shopper authorizes A in a tab left open, then pays B.
		require.NoError(t, ts.sandbox.Complete(a, pointcheckout.StatusAuthorized))
		require.NoError(t, ts.sandbox.Complete(b, pointcheckout.StatusPaid))
		cb, ok := ts.sandbox.Checkout(b)
		require.True(t, ok)
		s.get(cb.ReturnURL)
		ca, ok := ts.sandbox.Checkout(a)
		require.True(t, ok)
		assert.Equal(t, pointcheckout.StatusAuthorized, ca.Status, "an authorized attempt is never cancelled")

		_, err = ts.ReconcileNow(ctx)
		require.NoError(t, err)
		o, err = ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentPaidTwice, o.Payment)
		_, admin := s.get(ts.URL + "/admin")
		assert.Contains(t, admin, `data-status="paid_twice"`)
		assert.Contains(t, admin, "paid twice — refund")
		_, mine := s.get(ts.URL + "/orders/" + orderID)
		assert.Contains(t, mine, "we are refunding the extra payment")
		assert.Regexp(t, `level=ERROR msg="sqlledger: order paid more than once: refund the extra payment".*order_id=`+orderID, logs.String())
		for _, a := range o.Attempts {
			assert.NotEqual(t, foreign.ID, a.Ref.CheckoutID, "the foreign checkout never became an attempt")
		}
	})
}

// TestPayAsksTheLedger: /pay starts no attempt the ledger would refuse:
// none while one awaits confirmation, none past the cap on open attempts,
// and none is created at the gateway.
func TestPayAsksTheLedger(t *testing.T) {
	t.Run("awaiting confirmation", func(t *testing.T) {
		ts, s := newTestShop(t), newShopper(t)
		ctx := context.Background()
		orderID := s.placeCardOrder(ts.URL)
		require.Equal(t, http.StatusOK, s.postPay(ts.URL, orderID))
		o, err := ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		ref := o.attempt(t).Ref
		require.NoError(t, ts.ledger.UpdateOrder(ctx, pointcheckout.Update{OrderID: orderID, CheckoutID: ref.CheckoutID,
			RequestID: ref.RequestID, Status: pointcheckout.StatusPendingConfirmation, Amount: ref.Amount, Ref: ref, Source: pointcheckout.SourceReturn}))
		assert.Equal(t, http.StatusBadRequest, s.postPay(ts.URL, orderID))
		assert.Len(t, ts.sandbox.Checkouts(), 1)
		_, page := s.get(ts.URL + "/orders/" + orderID)
		assert.NotContains(t, page, `id="pay-again"`)
		assert.Contains(t, page, "please do not pay again")
	})
	t.Run("too many open attempts", func(t *testing.T) {
		ts, s := newTestShop(t), newShopper(t)
		orderID := s.placeCardOrder(ts.URL)
		for i := range sqlledger.DefaultMaxOpenAttempts {
			require.Equal(t, http.StatusOK, s.postPay(ts.URL, orderID), "attempt %d", i+1)
		}
		assert.Equal(t, http.StatusBadRequest, s.postPay(ts.URL, orderID))
		assert.Len(t, ts.sandbox.Checkouts(), sqlledger.DefaultMaxOpenAttempts, "the refused attempt was never created")
		err := ts.ledger.CanStartAttempt(context.Background(), orderID)
		assert.ErrorIs(t, err, pointcheckout.ErrAttemptRefused)
	})
}

// TestInstanceHeader: every answer names the instance that served it,
// refusals included, and its logs say so too.
func TestInstanceHeader(t *testing.T) {
	logs := &syncBuffer{}
	ts := newTestShopWith(t, func(c *Config) {
		c.Instance = "shop-2"
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	for _, path := range []string{"/", "/cart", "/nope", payPath} {
		resp, err := http.Get(ts.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, "shop-2", resp.Header.Get(instanceHeader), path)
	}
	s := newShopper(t)
	s.placeCardOrder(ts.URL)
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "instance=shop-2") }, 5*time.Second, 10*time.Millisecond)

	plain := newTestShop(t)
	resp, err := http.Get(plain.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	_, named := resp.Header[instanceHeader]
	assert.False(t, named, "no header without a name")
}

// TestSweepLogsItsClaims: each sweep logs the attempts it claimed with the
// round's time, so the logs of all instances show who checked what.
func TestSweepLogsItsClaims(t *testing.T) {
	logs := &syncBuffer{}
	ts := newTestShopWith(t, func(c *Config) {
		c.Instance = "shop-7"
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	s := newShopper(t)
	orderID := s.placeCardOrder(ts.URL)
	s.post(ts.URL, ts.URL+payPath, url.Values{"order_id": {orderID}})
	o, err := ts.orders.get(context.Background(), orderID)
	require.NoError(t, err)
	rep, err := ts.Sweep(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Claimed)
	assert.Regexp(t, `msg="sweep claimed" instance=shop-7 round=\d+ attempts=1 checkouts=`+o.attempt(t).Ref.CheckoutID, logs.String())
}
