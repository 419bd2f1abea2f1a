package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestClientLimiter(t *testing.T) {
	clock := newFakeClock()
	l := newClientLimiter(Limit{Every: 10 * time.Second, Burst: 2}, clock.Now)
	alice, bob := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	v6a, v6b, v6other := netip.MustParseAddr("2001:db8:1:2::1"), netip.MustParseAddr("2001:db8:1:2::ffff"), netip.MustParseAddr("2001:db8:1:3::1")

	steps := []struct {
		client   netip.Addr
		advance  time.Duration
		wantOK   bool
		wantWait time.Duration
	}{
		{client: alice, wantOK: true},
		{client: alice, wantOK: true},
		{client: alice, wantOK: false, wantWait: 10 * time.Second},
		{client: bob, wantOK: true}, // another client has its own bucket
		{client: alice, advance: 4 * time.Second, wantOK: false, wantWait: 6 * time.Second},
		{client: alice, advance: 6 * time.Second, wantOK: true},
		{client: netip.MustParseAddr("::ffff:192.0.2.1"), wantOK: false, wantWait: 10 * time.Second}, // the same IPv4 client
		{client: v6a, wantOK: true},
		{client: v6b, wantOK: true},
		{client: v6a, wantOK: false, wantWait: 10 * time.Second}, // one /64 is one client
		{client: v6other, wantOK: true},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		ok, wait := l.allow(s.client)
		assert.Equal(t, s.wantOK, ok, "step %d (%s)", i, s.client)
		assert.Equal(t, s.wantWait, wait, "step %d (%s)", i, s.client)
	}
	assert.Zero(t, l.wait(bob), "bob still has a token")
	assert.Equal(t, 10*time.Second, l.wait(alice), "wait takes no token")
	assert.Equal(t, 10*time.Second, l.wait(alice))
}

// TestClientLimiterBounded: past maxClients, idle clients are forgotten
// and new ones share the overflow bucket, so memory stays bounded.
func TestClientLimiterBounded(t *testing.T) {
	clock := newFakeClock()
	l := newClientLimiter(Limit{Every: time.Second, Burst: 1}, clock.Now)
	for i := range maxClients {
		ok, _ := l.allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
		require.True(t, ok)
	}
	newcomer, other := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	ok, _ := l.allow(newcomer)
	assert.True(t, ok, "the overflow bucket's token")
	ok, _ = l.allow(other)
	assert.False(t, ok, "newcomers share the overflow bucket while every known client is recent")
	assert.Len(t, l.clients, maxClients)

	clock.Advance(2 * time.Second)
	ok, _ = l.allow(newcomer)
	assert.True(t, ok)
	assert.Len(t, l.clients, 1, "clients whose buckets refilled are forgotten")
}

func TestClientAddr(t *testing.T) {
	trusted := clientAddrs{trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}}
	tests := []struct {
		name   string
		c      clientAddrs
		remote string
		xff    []string
		want   string
	}{
		{"direct client", trusted, "192.0.2.7:5555", nil, "192.0.2.7"},
		{"direct client's forwarded header is ignored", trusted, "192.0.2.7:5555", []string{"198.51.100.1"}, "192.0.2.7"},
		{"no trusted proxy: the peer", clientAddrs{}, "127.0.0.1:5555", []string{"198.51.100.1"}, "127.0.0.1"},
		{"through the proxy", trusted, "127.0.0.1:5555", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a client-written hop left of the real one is ignored", trusted, "127.0.0.1:5555", []string{"203.0.113.9, 198.51.100.1"}, "198.51.100.1"},
		{"two proxies", trusted, "127.0.0.1:5555", []string{"198.51.100.1", "10.1.2.3"}, "198.51.100.1"},
		{"garbage hop: the last proxy", trusted, "127.0.0.1:5555", []string{"not-an-ip"}, "127.0.0.1"},
		{"only proxies", trusted, "127.0.0.1:5555", []string{"10.0.0.1"}, "10.0.0.1"},
		{"IPv4-mapped peer", clientAddrs{}, "[::ffff:192.0.2.7]:5555", nil, "192.0.2.7"},
		{"IPv6 peer", clientAddrs{}, "[2001:db8::1]:5555", nil, "2001:db8::1"},
		{"unreadable peer", clientAddrs{}, "pipe", nil, "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			assert.Equal(t, tt.want, tt.c.addr(r).String())
		})
	}
}

// send makes one request from a client address (through the trusted
// proxy 127.0.0.1, by X-Forwarded-For) and returns the answer's status,
// Retry-After and body.
func send(t *testing.T, method, target, client string, form url.Values) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if client != "" {
		req.Header.Set("X-Forwarded-For", client)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(b)
}

// TestRateLimits: each limited route refuses a client past its limit with
// the shop's 429 page before the request costs anything, other clients
// keep their own allowance, and the total caps a flood from many clients.
func TestRateLimits(t *testing.T) {
	tight := RouteLimit{PerClient: Limit{Every: time.Hour, Burst: 2}, Total: Limit{Every: time.Hour, Burst: 4}}
	ts := newTestShopWith(t, func(c *Config) {
		c.Limits = defaultLimits()
		c.Limits.Pay, c.Limits.Return, c.Limits.Notify, c.Limits.Order = tight, tight, tight, tight
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	routes := []struct {
		name, method, path string
		form               url.Values
	}{
		{"pay", http.MethodPost, payPath, url.Values{"order_id": {"SO-NONE"}}},
		{"return", http.MethodGet, payPath + "/return?t=x", nil},
		{"notify", http.MethodPost, payPath + "/notify", nil},
		{"place order", http.MethodPost, "/checkout", url.Values{}},
	}
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			for i := range 2 {
				code, _, _ := send(t, rt.method, ts.URL+rt.path, "198.51.100.1", rt.form)
				assert.NotEqual(t, http.StatusTooManyRequests, code, "request %d is within the limit", i)
			}
			before := len(ts.sandbox.Requests())
			code, retry, body := send(t, rt.method, ts.URL+rt.path, "198.51.100.1", rt.form)
			assert.Equal(t, http.StatusTooManyRequests, code)
			assert.Equal(t, "3600", retry)
			assert.Contains(t, body, `<a class="brand" href="/">Souk`, "the shop's own page")
			assert.Contains(t, body, "Please wait a minute and try again.")
			assert.Equal(t, before, len(ts.sandbox.Requests()), "a refused request costs no gateway call")

			for i, client := range []string{"198.51.100.2", "198.51.100.3", "198.51.100.4"} {
				code, _, _ = send(t, rt.method, ts.URL+rt.path, client, rt.form)
				if i < 2 {
					assert.NotEqual(t, http.StatusTooManyRequests, code, "client %s has its own allowance", client)
				} else {
					assert.Equal(t, http.StatusTooManyRequests, code, "the total is spent")
				}
			}
		})
	}
	code, _, _ := send(t, http.MethodGet, ts.URL+"/", "198.51.100.1", nil)
	assert.Equal(t, http.StatusOK, code, "pages that cost nothing are not limited")
}

// TestRateLimitsSpareAShopper: the default limits let one shopper pay,
// retry and wait on the confirming page without a refusal.
func TestRateLimitsSpareAShopper(t *testing.T) {
	ts := newTestShop(t, pointcheckouttest.WithSettleDelay(time.Hour))
	s := newShopper(t)
	orderID := s.placeCardOrder(ts.URL)
	for range 4 {
		assert.Equal(t, http.StatusOK, s.postPay(ts.URL, orderID), "a new attempt")
	}
	o, err := ts.orders.get(context.Background(), orderID)
	require.NoError(t, err)
	c, ok := ts.sandbox.Checkout(o.attempt(t).Ref.CheckoutID)
	require.True(t, ok)
	// The confirming page reloads every 3s: a minute of it is 20 returns.
	for i := range 20 {
		code, _, _ := send(t, http.MethodGet, c.ReturnURL, "", nil)
		require.NotEqual(t, http.StatusTooManyRequests, code, "return %d", i)
	}
}

// TestScaleTotals: a busier shop gets n times the shop-wide allowance; a
// client's own allowance does not change.
func TestScaleTotals(t *testing.T) {
	d := defaultLimits()
	s := d.scaleTotals(20)
	for _, r := range []struct{ def, got RouteLimit }{{d.Pay, s.Pay}, {d.Return, s.Return}, {d.Notify, s.Notify}, {d.Order, s.Order}} {
		assert.Equal(t, r.def.PerClient, r.got.PerClient)
		assert.Equal(t, r.def.Total.Every/20, r.got.Total.Every)
		assert.Equal(t, r.def.Total.Burst*20, r.got.Total.Burst)
	}
	assert.Equal(t, d.AdminFailures, s.AdminFailures)
	assert.Equal(t, d, d.scaleTotals(1))
}
