package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fetch GETs target with the shopper's cookies, following redirects, and
// returns the final status and body whatever the status.
func (s *shopper) fetch(target string) (int, string) {
	s.t.Helper()
	resp, err := s.http.Get(target)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return resp.StatusCode, string(b)
}

// startPayment places a card order for s and creates its checkout; it
// returns the order id and the checkout as the sandbox holds it, whose
// ReturnURL carries the signed return token.
func startPayment(t *testing.T, ts *testShop, s *shopper) (string, string) {
	t.Helper()
	orderID := s.placeCardOrder(ts.URL)
	s.post(ts.URL, ts.URL+payPath, url.Values{"order_id": {orderID}})
	co := ts.sandbox.Checkouts()
	require.NotEmpty(t, co)
	return orderID, co[len(co)-1].ReturnURL
}

// TestReplayedReturnShowsNoOrder: the return URL opened in another
// browser (copied, or leaked through a log or a shared screen) resolves
// the payment but shows nothing of the order: not its items, amount,
// id or status. The shopper's own browser shows the order.
func TestReplayedReturnShowsNoOrder(t *testing.T) {
	ts := newTestShop(t)
	alice, mallory := newShopper(t), newShopper(t)
	orderID, returnURL := startPayment(t, ts, alice)
	o, err := ts.orders.get(t.Context(), orderID)
	require.NoError(t, err)
	require.NoError(t, ts.sandbox.Complete(o.attempt(t).Ref.CheckoutID, pointcheckout.StatusPaid))

	code, page := mallory.fetch(returnURL)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, page, "Order not in this browser")
	for _, secret := range []string{orderID, "Arabic coffee set", "120.00", "Paid", "PAID", o.attempt(t).Ref.CheckoutID, "Thank you"} {
		assert.NotContains(t, page, secret)
	}

	code, page = alice.fetch(returnURL)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, page, "Thank you for your order")
	assert.Contains(t, page, "Arabic coffee set")
	assert.Contains(t, page, orderID)
}

// TestConfirmingPageIsTheShops: the payment handler's confirming page is
// drawn by the shop (RenderPage): its layout, a refresh, and the order's
// amount only for the browser that placed it.
func TestConfirmingPageIsTheShops(t *testing.T) {
	ts := newTestShop(t)
	alice, mallory := newShopper(t), newShopper(t)
	orderID, returnURL := startPayment(t, ts, alice)

	code, page := alice.fetch(returnURL)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, page, `<a class="brand" href="/">Souk`, "the shop's layout")
	assert.Contains(t, page, `id="confirming"`)
	assert.Contains(t, page, `<meta http-equiv="refresh" content="3;url=`+payPath+`/return`)
	assert.Contains(t, page, "Please do not pay again.")
	assert.Contains(t, page, "of <strong>120.00 AED</strong> for order <strong>"+orderID+"</strong>")

	code, page = mallory.fetch(returnURL)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, page, `id="confirming"`)
	assert.NotContains(t, page, orderID)
	assert.NotContains(t, page, "120.00")
}

// TestPaymentErrorPageIsTheShops: the payment handler's error pages are
// the shop's too, with the status the handler chose.
func TestPaymentErrorPageIsTheShops(t *testing.T) {
	ts := newTestShop(t)
	s := newShopper(t)
	code, page := s.fetch(ts.URL + payPath)
	assert.Equal(t, http.StatusMethodNotAllowed, code)
	assert.Contains(t, page, `<a class="brand" href="/">Souk`)
	assert.Contains(t, page, `id="error-message"`)
	assert.Equal(t, 1, strings.Count(page, "<html"), "one page, not the handler's inside the shop's")
}
