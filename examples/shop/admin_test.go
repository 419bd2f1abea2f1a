package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
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

// TestAdminPasswordThrottled: wrong admin passwords are logged at Warn
// without the password, and after a few of them the client is refused
// even with the right one, until its allowance returns; other clients
// are not affected.
func TestAdminPasswordThrottled(t *testing.T) {
	const password = "correct horse battery"
	var logs bytes.Buffer
	clock := newFakeClock()
	ts := newTestShopWith(t, func(c *Config) {
		c.AdminPassword = password
		c.Now = clock.Now
		c.Limits = defaultLimits()
		c.Limits.AdminFailures = Limit{Every: time.Hour, Burst: 3}
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	admin := func(client, user, pass string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, ts.URL+"/admin", nil)
		require.NoError(t, err)
		req.Header.Set("X-Forwarded-For", client)
		if user != "" || pass != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}

	code, _ := admin("198.51.100.1", "", "")
	assert.Equal(t, http.StatusUnauthorized, code, "no credentials: the challenge")
	assert.Empty(t, logs.String(), "asking for the password is not a failure")

	wrong := []string{"guess-one", "guess-two", "guess-three"}
	for _, w := range wrong {
		code, _ = admin("198.51.100.1", "admin", w)
		assert.Equal(t, http.StatusUnauthorized, code)
	}
	assert.Equal(t, 3, strings.Count(logs.String(), "level=WARN msg=\"admin login failed"), logs.String())
	assert.Contains(t, logs.String(), "client=198.51.100.1")
	for _, w := range append(wrong, password) {
		assert.NotContains(t, logs.String(), w, "no password in the log")
	}

	code, retry := admin("198.51.100.1", "admin", password)
	assert.Equal(t, http.StatusTooManyRequests, code, "throttled, the right password included")
	assert.Equal(t, "3600", retry)
	code, _ = admin("198.51.100.1", "admin", "guess-four")
	assert.Equal(t, http.StatusTooManyRequests, code, "no more guesses")
	code, _ = admin("198.51.100.2", "admin", password)
	assert.Equal(t, http.StatusOK, code, "another client is not throttled")

	clock.Advance(time.Hour)
	code, _ = admin("198.51.100.1", "admin", password)
	assert.Equal(t, http.StatusOK, code, "one try returned")
}

// forgottenOrder places a card order and starts a payment, then makes the
// gateway forget every checkout, as a sandbox restarted without its state
// would.
func forgottenOrder(t *testing.T, onDB func(*Config)) (*testShop, *shopper, string) {
	t.Helper()
	ts := newTestShopOn(t, onDB, nil)
	s := newShopper(t)
	orderID := s.placeCardOrder(ts.URL)
	s.post(ts.URL, ts.URL+payPath, url.Values{"order_id": {orderID}})
	ts.sandbox.Reset()
	return ts, s, orderID
}

// TestAdminClosesForgottenOrder: the sweep cannot settle an order whose
// checkout the gateway no longer knows; the admin closes it through the
// ledger, the history says so, and the sweep stops asking.
func TestAdminClosesForgottenOrder(t *testing.T) {
	forEachDB(t, func(t *testing.T, onDB func(*Config)) {
		ts, s, orderID := forgottenOrder(t, onDB)
		ctx := context.Background()
		rep, err := ts.Sweep(ctx)
		require.ErrorIs(t, err, pointcheckout.ErrNotFound)
		assert.Equal(t, 1, rep.Errors)

		_, page := s.get(ts.URL + "/admin")
		assert.Contains(t, page, `id="close-`+orderID+`"`, "the admin is offered the close")
		landed, page := s.post(ts.URL, ts.URL+"/admin/orders/"+orderID+"/close", nil)
		assert.Equal(t, "/admin", landed.Path)
		assert.Contains(t, page, "Order "+orderID+" closed")
		assert.NotContains(t, page, `id="close-`+orderID+`"`, "nothing left to close")

		o, err := ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentExpired, o.Payment)
		assert.Equal(t, pointcheckout.StatusExpired, o.attempt(t).Status)
		last := o.lastEntry(t)
		assert.Equal(t, sourceAdmin, last.Source)
		assert.Equal(t, sqlledger.Applied, last.Outcome)
		assert.Contains(t, page, "admin: closed, unknown to the gateway", "the admin page shows it in the history")

		open, err := ts.ledger.OpenAttempts(ctx, 10)
		require.NoError(t, err)
		assert.Empty(t, open, "no more sweeping of a closed attempt")
		_, mine := s.get(ts.URL + "/orders/" + orderID)
		assert.Contains(t, mine, "No money was taken. You can pay again.")
		assert.Contains(t, mine, `id="pay-again"`)
	})
}

// TestAdminCloseRefused: an order is closed only when the gateway answers
// "not found" for every open attempt; a known checkout, gateway trouble or
// nothing open leaves it as it is.
func TestAdminCloseRefused(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(ts *testShop)
		orderOf func(t *testing.T, ts *testShop, s *shopper) string
		wantWhy string
	}{
		{
			name: "the gateway knows the checkout",
			orderOf: func(t *testing.T, ts *testShop, s *shopper) string {
				id := s.placeCardOrder(ts.URL)
				s.post(ts.URL, ts.URL+payPath, url.Values{"order_id": {id}})
				return id
			},
			wantWhy: "PointCheckout still knows its checkout",
		},
		{
			name: "the gateway cannot answer",
			orderOf: func(t *testing.T, ts *testShop, s *shopper) string {
				id := s.placeCardOrder(ts.URL)
				s.post(ts.URL, ts.URL+payPath, url.Values{"order_id": {id}})
				ts.sandbox.Reset()
				ts.sandbox.InjectFault(pointcheckouttest.EndpointGet, 10, pointcheckouttest.StatusCode(http.StatusServiceUnavailable))
				return id
			},
			wantWhy: "PointCheckout could not be asked",
		},
		{
			name: "nothing open",
			orderOf: func(t *testing.T, ts *testShop, s *shopper) string {
				return s.placeCardOrder(ts.URL)
			},
			wantWhy: "it has no open payment attempt",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, s := newTestShop(t), newShopper(t)
			orderID := tt.orderOf(t, ts, s)
			before, err := ts.orders.get(context.Background(), orderID)
			require.NoError(t, err)
			_, page := s.post(ts.URL, ts.URL+"/admin/orders/"+orderID+"/close", nil)
			assert.Contains(t, page, "Order "+orderID+" was not closed: "+tt.wantWhy)
			after, err := ts.orders.get(context.Background(), orderID)
			require.NoError(t, err)
			assert.Equal(t, before.Payment, after.Payment)
			assert.Equal(t, before.Attempts, after.Attempts)
			assert.Len(t, after.History, len(before.History), "nothing recorded")
		})
	}
}

// TestNewRefusesAnOpenAdmin: a Shop reachable from other machines, or
// paying through a real gateway, does not start without an admin password.
func TestNewRefusesAnOpenAdmin(t *testing.T) {
	sb, err := pointcheckouttest.Start("127.0.0.1:0")
	require.NoError(t, err)
	defer sb.Close()
	live, err := pointcheckout.NewClient(pointcheckout.ClientConfig{Key: "k", Secret: pointcheckout.NewSecret("s"), Environment: pointcheckout.TestEnvironment()})
	require.NoError(t, err)
	keys, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	tests := []struct {
		name     string
		client   *pointcheckout.Client
		base     string
		password string
		wantErr  bool
	}{
		{"sandbox on loopback", sb.Client(), "http://127.0.0.1:8080", "", false},
		{"public base URL", sb.Client(), "https://shop.example.com", "", true},
		{"real gateway", live, "http://127.0.0.1:8080", "", true},
		{"real gateway with a password", live, "https://shop.example.com", "pw", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shop, err := New(context.Background(), Config{
				DBPath: filepath.Join(t.TempDir(), "shop.db"), Client: tt.client, Keys: []pointcheckout.KeyPair{keys},
				BaseURL: tt.base, AdminPassword: tt.password, Logger: slog.New(slog.DiscardHandler),
			})
			if tt.wantErr {
				require.ErrorContains(t, err, "admin password is required")
				return
			}
			require.NoError(t, err)
			shop.Close()
		})
	}
}

// TestAdminExportsOrders: /admin/orders.json lists every order with its
// attempts and the payment changes the shop received, behind the admin
// password.
func TestAdminExportsOrders(t *testing.T) {
	ts := newTestShopWith(t, func(c *Config) { c.AdminPassword = "pw"; c.Instance = "i-1" })
	s := newShopper(t)
	orderID := s.placeCardOrder(ts.URL)
	s.post(ts.URL, ts.URL+payPath, url.Values{"order_id": {orderID}})
	co := ts.sandbox.Checkouts()
	require.Len(t, co, 1)
	require.NoError(t, ts.sandbox.Complete(co[0].ID, pointcheckout.StatusPaid))
	s.get(co[0].ReturnURL)

	get := func(pass string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, ts.URL+"/admin/orders.json", nil)
		require.NoError(t, err)
		req.SetBasicAuth("admin", pass)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		return resp
	}
	resp := get("wrong")
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp = get("pw")
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var got []exportOrder
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	assert.Equal(t, []exportOrder{{
		ID: orderID, Amount: "120.00 AED", Method: "card", Payment: pointcheckout.PaymentPaid,
		Attempts: []exportAttempt{{CheckoutID: co[0].ID, RequestID: co[0].RequestID, Status: "PAID"}},
		Changes:  []exportChange{{Before: "none", After: "pending", Instance: "i-1"}, {Before: "pending", After: "paid", Instance: "i-1"}},
	}}, got)
}
