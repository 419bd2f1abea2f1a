package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shopper is a browser without a browser: a cookie jar and redirects.
type shopper struct {
	t    *testing.T
	http *http.Client
}

func newShopper(t *testing.T) *shopper {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &shopper{t: t, http: &http.Client{Jar: jar}}
}

// postPay posts straight to /pay for orderID, as a script would, and
// returns the status of the answer.
func (s *shopper) postPay(shopURL, orderID string) int {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, shopURL+payPath, strings.NewReader(url.Values{"order_id": {orderID}}.Encode()))
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.http.Do(req)
	require.NoError(s.t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// post sends a form like a browser on origin would, follows redirects and
// returns the final URL and body.
func (s *shopper) post(origin, target string, form url.Values) (*url.URL, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return s.do(req)
}

func (s *shopper) get(target string) (*url.URL, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	require.NoError(s.t, err)
	return s.do(req)
}

func (s *shopper) do(req *http.Request) (*url.URL, string) {
	s.t.Helper()
	resp, err := s.http.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	require.Less(s.t, resp.StatusCode, 400, "%s %s: %s", req.Method, req.URL, body)
	return resp.Request.URL, string(body)
}

var (
	csrfField  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	formAction = regexp.MustCompile(`<form method="post" action="(/checkout/[^"]+)"`)
	orderPath  = regexp.MustCompile(`^/orders/(SO-[A-Z0-9]+)/pay$`)
)

// placeCardOrder puts one coffee set in the cart, checks out with the card
// method and returns the order id from the pay step's URL.
func (s *shopper) placeCardOrder(shopURL string) string {
	s.t.Helper()
	s.post(shopURL, shopURL+"/cart/add", url.Values{"product": {"coffee"}, "qty": {"1"}})
	u, body := s.post(shopURL, shopURL+"/checkout", url.Values{
		"first_name": {"Test"}, "last_name": {"User"}, "email": {"test@example.com"},
		"address": {"1 Sheikh Zayed Road"}, "city": {"Dubai"}, "country": {"AE"}, "method": {"card"},
	})
	m := orderPath.FindStringSubmatch(u.Path)
	require.NotNil(s.t, m, "after checkout: %s\n%s", u, body)
	return m[1]
}

func TestFullFlow(t *testing.T) {
	tests := []struct {
		name       string
		form       url.Values
		wantStatus pointcheckout.Status
		wantState  pointcheckout.PaymentState
		wantBadge  string
		wantText   string
	}{
		{
			name: "test card pays",
			form: url.Values{"card_number": {"4242 4242 4242 4242"}, "expiry": {"12/25"}, "cvv": {"100"},
				"card_name": {"TEST USER"}, "terms": {"accepted"}, "action": {"pay"}},
			wantStatus: pointcheckout.StatusPaid, wantState: pointcheckout.PaymentPaid,
			wantBadge: "Paid", wantText: "Your payment of 120.00 AED is confirmed",
		},
		{
			name: "declined card fails",
			form: url.Values{"card_number": {pointcheckouttest.CardDeclined}, "expiry": {"12/25"}, "cvv": {"100"},
				"card_name": {"TEST USER"}, "terms": {"accepted"}, "action": {"pay"}},
			wantStatus: pointcheckout.StatusFailed, wantState: pointcheckout.PaymentFailed,
			wantBadge: "Declined", wantText: "Your card was declined, or the payment could not be completed. No money was taken.",
		},
		{
			name:       "cancel",
			form:       url.Values{"action": {"cancel"}},
			wantStatus: pointcheckout.StatusCancelled, wantState: pointcheckout.PaymentCancelled,
			wantBadge: "Cancelled", wantText: "The payment was cancelled on the payment page. No money was taken.",
		},
	}
	forEachDB(t, func(t *testing.T, onDB func(*Config)) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ts := newTestShopOn(t, onDB, nil)
				s := newShopper(t)
				orderID := s.placeCardOrder(ts.URL)

				// An amount field in the form is ignored: /pay charges the order.
				pageURL, page := s.post(ts.URL, ts.URL+payPath, url.Values{"order_id": {orderID}, "amount": {"0.01"}})
				require.Equal(t, ts.sandbox.URL, pageURL.Scheme+"://"+pageURL.Host, "sent to the payment page")
				assert.Contains(t, page, "120.00 AED")
				o, err := ts.orders.get(context.Background(), orderID)
				require.NoError(t, err)
				assert.Equal(t, pointcheckout.PaymentPending, o.Payment)
				a := o.attempt(t)
				assert.Equal(t, pointcheckout.StatusPending, a.Status)

				csrf, action := csrfField.FindStringSubmatch(page), formAction.FindStringSubmatch(page)
				require.NotNil(t, csrf, page)
				require.NotNil(t, action, page)
				tt.form.Set("csrf", csrf[1])
				landed, body := s.post(ts.sandbox.URL, ts.sandbox.URL+action[1], tt.form)

				assert.Equal(t, ts.URL+resultPath, landed.String(), "back on the shop's result page")
				assert.Contains(t, body, `data-status="`+string(tt.wantState)+`"`)
				assert.Contains(t, body, `id="order-status">`+tt.wantBadge+`<`)
				assert.Contains(t, body, tt.wantText)
				// The shopper reads no developer text: no checkout id, no
				// gateway status, no word about the API.
				assert.NotContains(t, body, a.Ref.CheckoutID)
				assert.NotContains(t, body, ">"+string(tt.wantStatus)+"<")
				assert.NotContains(t, body, "verified with the API")
				o, err = ts.orders.get(context.Background(), orderID)
				require.NoError(t, err)
				assert.Equal(t, tt.wantState, o.Payment)
				assert.Equal(t, tt.wantStatus, o.attempt(t).Status)
				last := o.lastEntry(t)
				assert.Equal(t, tt.wantStatus, last.Status)
				assert.Equal(t, pointcheckout.SourceReturn, last.Source)
				assert.Equal(t, tt.wantState, last.After)

				// The admin page shows the order with its attempt and history.
				_, admin := s.get(ts.URL + "/admin")
				assert.Contains(t, admin, `id="admin-`+orderID+`" data-status="`+string(tt.wantState)+`"`)
				assert.Contains(t, admin, a.Ref.CheckoutID)
				assert.Contains(t, admin, "pending → "+string(tt.wantState))
			})
		}
	})
}

// TestAbandonedPaymentReconciled pays on the gateway without returning to
// the shop; the ledger's sweep settles the order.
func TestAbandonedPaymentReconciled(t *testing.T) {
	forEachDB(t, func(t *testing.T, onDB func(*Config)) {
		ts := newTestShopOn(t, onDB, nil)
		s := newShopper(t)
		orderID := s.placeCardOrder(ts.URL)
		s.post(ts.URL, ts.URL+payPath, url.Values{"order_id": {orderID}})
		ctx := context.Background()
		o, err := ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		require.NoError(t, ts.sandbox.Complete(o.attempt(t).Ref.CheckoutID, pointcheckout.StatusPaid))

		rep, err := ts.Sweep(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, rep.Claimed)
		assert.Equal(t, pointcheckout.ReconcileReport{Checked: 1, Final: 1}, rep.ReconcileReport)
		o, err = ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentPaid, o.Payment)
		assert.Equal(t, pointcheckout.SourceReconcile, o.lastEntry(t).Source)

		open, err := ts.ledger.OpenAttempts(ctx, 10)
		require.NoError(t, err)
		assert.Empty(t, open, "a settled attempt is not swept again")
	})
}

// twoAttempts places a card order and starts two payment attempts for it,
// as a shopper who goes back from the payment page and pays again would.
// It returns the two attempts' checkout ids.
func twoAttempts(t *testing.T, onDB func(*Config)) (ts *testShop, s *shopper, orderID string, a, b string) {
	t.Helper()
	ts, s = newTestShopOn(t, onDB, nil), newShopper(t)
	orderID = s.placeCardOrder(ts.URL)
	attempt := func() string {
		s.post(ts.URL, ts.URL+payPath, url.Values{"order_id": {orderID}})
		o, err := ts.orders.get(context.Background(), orderID)
		require.NoError(t, err)
		return o.attempt(t).Ref.CheckoutID
	}
	a, b = attempt(), attempt()
	require.NotEqual(t, a, b, "the second attempt is a new checkout")
	return ts, s, orderID, a, b
}

// TestPaidOlderAttemptReconciled: the shopper starts attempt A, goes back
// and starts attempt B, then pays A in the tab still open on its page and
// never returns. The sweep looks at replaced attempts too, so A's payment
// settles the order; B is cancelled at the gateway, recorded, and no
// longer swept.
func TestPaidOlderAttemptReconciled(t *testing.T) {
	forEachDB(t, func(t *testing.T, onDB func(*Config)) {
		ts, _, orderID, a, b := twoAttempts(t, onDB)
		ctx := context.Background()
		require.NoError(t, ts.sandbox.Complete(a, pointcheckout.StatusPaid))

		rep, err := ts.Sweep(ctx)
		require.NoError(t, err)
		assert.Equal(t, 2, rep.Checked)
		assert.Zero(t, rep.Errors)
		o, err := ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentPaid, o.Payment, "the order follows the attempt that took the money")
		cb, ok := ts.sandbox.Checkout(b)
		require.True(t, ok)
		assert.Equal(t, pointcheckout.StatusCancelled, cb.Status, "the unpaid attempt can no longer be paid")

		// However the round went, "Reconcile now" records B's end.
		_, err = ts.ReconcileNow(ctx)
		require.NoError(t, err)
		open, err := ts.ledger.OpenAttempts(ctx, 10)
		require.NoError(t, err)
		assert.Empty(t, open, "both attempts are final and recorded")
	})
}

// TestPaidOrderCancelsOtherAttempts: two attempts are open and the shopper
// pays and returns from the second. The first is cancelled at once, so the
// tab still open on it cannot take the money a second time.
func TestPaidOrderCancelsOtherAttempts(t *testing.T) {
	forEachDB(t, func(t *testing.T, onDB func(*Config)) {
		ts, s, orderID, a, b := twoAttempts(t, onDB)
		ctx := context.Background()
		require.NoError(t, ts.sandbox.Complete(b, pointcheckout.StatusPaid))
		cb, ok := ts.sandbox.Checkout(b)
		require.True(t, ok)
		s.get(cb.ReturnURL)

		o, err := ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentPaid, o.Payment)
		ca, ok := ts.sandbox.Checkout(a)
		require.True(t, ok)
		assert.Equal(t, pointcheckout.StatusCancelled, ca.Status, "the other attempt was cancelled when the order was paid")
	})
}

// TestPayRefusesOthersOrders: /pay charges only an order of the shopper's
// own session, and never a paid one.
func TestPayRefusesOthersOrders(t *testing.T) {
	ts := newTestShop(t)
	alice, mallory := newShopper(t), newShopper(t)
	orderID := alice.placeCardOrder(ts.URL)

	assert.Equal(t, http.StatusNotFound, mallory.postPay(ts.URL, orderID))
	assert.Empty(t, ts.sandbox.Checkouts(), "no checkout created")
}

// TestPayAgainAfterCancel: a cancelled attempt can be followed by a new
// one for the same order, which replaces it and pays.
func TestPayAgainAfterCancel(t *testing.T) {
	forEachDB(t, func(t *testing.T, onDB func(*Config)) { payAgainAfterCancel(t, newTestShopOn(t, onDB, nil)) })
}

func payAgainAfterCancel(t *testing.T, ts *testShop) {
	s := newShopper(t)
	orderID := s.placeCardOrder(ts.URL)
	payOnce := func(form url.Values) string {
		_, page := s.post(ts.URL, ts.URL+payPath, url.Values{"order_id": {orderID}})
		csrf, action := csrfField.FindStringSubmatch(page), formAction.FindStringSubmatch(page)
		require.NotNil(t, csrf, page)
		require.NotNil(t, action, page)
		form.Set("csrf", csrf[1])
		_, body := s.post(ts.sandbox.URL, ts.sandbox.URL+action[1], form)
		return body
	}
	body := payOnce(url.Values{"action": {"cancel"}})
	assert.Contains(t, body, `id="pay-again"`, "a cancelled order offers another attempt")
	first, err := ts.orders.get(context.Background(), orderID)
	require.NoError(t, err)

	body = payOnce(url.Values{"card_number": {pointcheckouttest.CardPaid}, "expiry": {"12/25"}, "cvv": {"100"},
		"card_name": {"TEST USER"}, "terms": {"accepted"}, "action": {"pay"}})
	assert.Contains(t, body, `id="order-status">Paid<`)
	assert.NotContains(t, body, `id="pay-again"`, "a paid order is not offered for payment")
	o, err := ts.orders.get(context.Background(), orderID)
	require.NoError(t, err)
	assert.Equal(t, pointcheckout.PaymentPaid, o.Payment)
	require.Len(t, o.Attempts, 2, "the second attempt is a new checkout")
	assert.Equal(t, first.attempt(t), o.Attempts[0])
	assert.Equal(t, pointcheckout.StatusPaid, o.Attempts[1].Status)

	// A third attempt is refused: the order is paid.
	assert.Equal(t, http.StatusBadRequest, s.postPay(ts.URL, orderID))
	assert.Len(t, ts.sandbox.Checkouts(), 2, "no third checkout")
}

// TestCashOnDelivery: the other method places the order without a
// checkout, and /pay refuses it.
func TestCashOnDelivery(t *testing.T) {
	ts := newTestShop(t)
	s := newShopper(t)
	s.post(ts.URL, ts.URL+"/cart/add", url.Values{"product": {"dates"}, "qty": {"2"}})
	u, body := s.post(ts.URL, ts.URL+"/checkout", url.Values{
		"first_name": {"Test"}, "last_name": {"User"}, "email": {"test@example.com"},
		"address": {"1 Sheikh Zayed Road"}, "city": {"Dubai"}, "country": {"AE"}, "method": {"cod"},
	})
	require.True(t, strings.HasPrefix(u.Path, "/orders/SO-"), u.Path)
	assert.Contains(t, body, "please have 90.00 AED ready")
	assert.NotContains(t, body, `id="pay-again"`)
	orderID := strings.TrimPrefix(u.Path, "/orders/")

	assert.Equal(t, http.StatusBadRequest, s.postPay(ts.URL, orderID))
	assert.Empty(t, ts.sandbox.Checkouts())

	_, cart := s.get(ts.URL + "/cart")
	assert.Contains(t, cart, "Your cart is empty", "placing the order empties the cart")
}
