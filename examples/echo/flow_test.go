package main

import (
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testShop is the Echo shop on a real loopback port, paying on a sandbox.
type testShop struct {
	URL     string
	Sandbox *pointcheckouttest.Server
	Orders  *orderStore
}

func startShop(t *testing.T, opts ...pointcheckouttest.Option) *testShop {
	t.Helper()
	sandbox := pointcheckouttest.NewServer(opts...)
	t.Cleanup(sandbox.Close)

	keys, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	shop, orders, err := newShop(shopConfig{
		Client:  sandbox.Client(),
		Keys:    []pointcheckout.KeyPair{keys},
		BaseURL: base,
		Logger:  slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	srv.Config.Handler = shop
	srv.Start()
	t.Cleanup(srv.Close)
	return &testShop{URL: base, Sandbox: sandbox, Orders: orders}
}

// shopper is a browser without a screen: it keeps cookies and lets the test
// see every redirect instead of following it.
type shopper struct {
	t *testing.T
	c *http.Client
}

func newShopper(t *testing.T) *shopper {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &shopper{t: t, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request and returns the status, the Location header resolved
// against the request URL, and the body.
func (s *shopper) do(method, rawURL string, form url.Values) (int, string, string) {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	require.NoError(s.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.c.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	loc := resp.Header.Get("Location")
	if loc != "" {
		u, err := req.URL.Parse(loc)
		require.NoError(s.t, err)
		loc = u.String()
	}
	return resp.StatusCode, loc, string(b)
}

var (
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	csrfField   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	pageValue   = func(id string) *regexp.Regexp { return regexp.MustCompile(`id="` + id + `">([^<]*)<`) }
)

// payingPage opens the hosted payment page and returns where its form posts
// and the form's hidden csrf value.
func (s *shopper) payingPage(pageURL string) (action string, csrf string) {
	s.t.Helper()
	code, _, body := s.do(http.MethodGet, pageURL, nil)
	require.Equal(s.t, http.StatusOK, code, body)
	m := formAction.FindStringSubmatch(body)
	require.NotNil(s.t, m, "payment page has no form: %s", body)
	u, err := url.Parse(pageURL)
	require.NoError(s.t, err)
	a, err := u.Parse(m[1])
	require.NoError(s.t, err)
	c := csrfField.FindStringSubmatch(body)
	require.NotNil(s.t, c, "payment page has no csrf field")
	return a.String(), c[1]
}

func TestPayAndReturnFlow(t *testing.T) {
	cases := []struct {
		name       string
		form       url.Values // the payment page's form, less the csrf field
		resultPath string
		status     pointcheckout.Status
		title      string
	}{
		{
			name: "paid with the test card",
			form: url.Values{
				"card_number": {"4242 4242 4242 4242"},
				"expiry":      {"12/25"},
				"cvv":         {"100"},
				"card_name":   {"TEST USER"},
				"terms":       {"accepted"},
				"action":      {"pay"},
			},
			resultPath: successPath,
			status:     pointcheckout.StatusPaid,
			title:      "Thank you for your order",
		},
		{
			name:       "cancelled on the payment page",
			form:       url.Values{"action": {"cancel"}},
			resultPath: failurePath,
			status:     pointcheckout.StatusCancelled,
			title:      "Your payment did not go through",
		},
		{
			name: "declined card",
			form: url.Values{
				"card_number": {pointcheckouttest.CardDeclined},
				"expiry":      {"12/25"},
				"cvv":         {"100"},
				"card_name":   {"TEST USER"},
				"terms":       {"accepted"},
				"action":      {"pay"},
			},
			resultPath: failurePath,
			status:     pointcheckout.StatusFailed,
			title:      "Your payment did not go through",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			shop := startShop(t)
			b := newShopper(t)

			code, _, body := b.do(http.MethodGet, shop.URL+"/", nil)
			require.Equal(t, http.StatusOK, code)
			assert.Contains(t, body, "49.00 AED")

			// The shop prices the order from its own catalogue: 2 x 49.00.
			code, loc, body := b.do(http.MethodPost, shop.URL+payPrefix, url.Values{"quantity": {"2"}})
			require.Equal(t, http.StatusSeeOther, code, body)
			require.True(t, strings.HasPrefix(loc, shop.Sandbox.URL+"/checkout/"), "redirected to %q", loc)

			action, csrf := b.payingPage(loc)
			form := url.Values{"csrf": {csrf}}
			for k, v := range tc.form {
				form[k] = v
			}
			code, loc, body = b.do(http.MethodPost, action, form)
			require.Equal(t, http.StatusSeeOther, code, body)
			require.True(t, strings.HasPrefix(loc, shop.URL+payPrefix+"/return"), "sent back to %q", loc)

			code, loc, body = b.do(http.MethodGet, loc, nil)
			require.Equal(t, http.StatusSeeOther, code, body)
			require.Equal(t, shop.URL+tc.resultPath, loc)

			code, _, body = b.do(http.MethodGet, loc, nil)
			require.Equal(t, http.StatusOK, code)
			assert.Contains(t, body, tc.title)
			require.NotContains(t, body, `id="no-result"`, "the Echo handler saw no payment result")
			assert.Equal(t, tc.status.String(), pageValue("status").FindStringSubmatch(body)[1])
			assert.Equal(t, "98.00 AED", pageValue("amount").FindStringSubmatch(body)[1])

			orderID := pageValue("order").FindStringSubmatch(body)[1]
			o, ok := shop.Orders.get(orderID)
			require.True(t, ok, "the page names order %q, which the shop never issued", orderID)
			want, err := pointcheckout.NewMoney(9800, "AED")
			require.NoError(t, err)
			assert.Equal(t, tc.status, o.Status)
			require.Len(t, o.History, 2, "history: %+v", o.History)
			assert.Equal(t, pointcheckout.StatusPending, o.History[0].Status)
			assert.Equal(t, pointcheckout.SourcePay, o.History[0].Source)
			assert.Equal(t, tc.status, o.History[1].Status)
			assert.Equal(t, pointcheckout.SourceReturn, o.History[1].Source)
			for _, c := range o.History {
				assert.Equal(t, want, c.Amount)
				assert.Equal(t, o.History[0].CheckoutID, c.CheckoutID)
			}
			sc, ok := shop.Sandbox.Checkout(o.CheckoutID)
			require.True(t, ok, "the sandbox has no checkout %q", o.CheckoutID)
			assert.Equal(t, tc.status, sc.Status)
		})
	}
}

// TestShopperWhoNeverReturns pays and closes the tab: the gateway's
// notification settles the order, and a late return changes nothing.
func TestShopperWhoNeverReturns(t *testing.T) {
	shop := startShop(t)
	b := newShopper(t)

	code, loc, body := b.do(http.MethodPost, shop.URL+payPrefix, url.Values{"quantity": {"1"}})
	require.Equal(t, http.StatusSeeOther, code, body)
	action, csrf := b.payingPage(loc)
	code, returnURL, body := b.do(http.MethodPost, action, url.Values{
		"csrf": {csrf}, "card_number": {pointcheckouttest.CardPaid}, "expiry": {"12/25"},
		"cvv": {"100"}, "card_name": {"TEST USER"}, "terms": {"accepted"}, "action": {"pay"},
	})
	require.Equal(t, http.StatusSeeOther, code, body)

	all := shop.Sandbox.Checkouts()
	require.Len(t, all, 1)
	o, ok := shop.Orders.get(all[0].OrderID)
	require.True(t, ok)
	require.Equal(t, pointcheckout.StatusPending, o.Status, "nothing but the return or a notification may settle the order")

	// The notification is only a hint: the shop asks the API.
	gateway := newShopper(t)
	code, _, body = gateway.do(http.MethodPost, shop.URL+payPrefix+"/notify", url.Values{"checkoutId": {all[0].ID}})
	require.Equal(t, http.StatusOK, code, body)
	o, _ = shop.Orders.get(o.ID)
	assert.Equal(t, pointcheckout.StatusPaid, o.Status)
	require.Len(t, o.History, 2)
	assert.Equal(t, pointcheckout.SourceNotify, o.History[1].Source)

	// The shopper comes back after all: the same answer, no new update.
	code, loc, body = b.do(http.MethodGet, returnURL, nil)
	require.Equal(t, http.StatusSeeOther, code, body)
	assert.Equal(t, shop.URL+successPath, loc)
	o, _ = shop.Orders.get(o.ID)
	assert.Len(t, o.History, 2, "history: %+v", o.History)

	code, _, body = gateway.do(http.MethodPost, shop.URL+payPrefix+"/notify", url.Values{"checkoutId": {"no-such-checkout"}})
	assert.Equal(t, http.StatusNotFound, code, body)
}

// TestPayWithPostBack has the gateway send the shopper back with a form POST
// (as some payment pages do) instead of a redirect: the POST return route
// must reach the library too.
func TestPayWithPostBack(t *testing.T) {
	shop := startShop(t, pointcheckouttest.WithPostBack())
	b := newShopper(t)

	code, loc, body := b.do(http.MethodPost, shop.URL+payPrefix, url.Values{"quantity": {"3"}})
	require.Equal(t, http.StatusSeeOther, code, body)
	action, csrf := b.payingPage(loc)
	code, _, body = b.do(http.MethodPost, action, url.Values{
		"csrf": {csrf}, "card_number": {pointcheckouttest.CardPaid}, "expiry": {"12/25"},
		"cvv": {"100"}, "card_name": {"TEST USER"}, "terms": {"accepted"}, "action": {"pay"},
	})
	require.Equal(t, http.StatusOK, code, body)
	m := formAction.FindStringSubmatch(body)
	require.NotNil(t, m, "no post-back form: %s", body)
	target := html.UnescapeString(m[1])
	require.True(t, strings.HasPrefix(target, shop.URL+payPrefix+"/return"), "posts back to %q", target)
	form := url.Values{}
	for _, f := range hiddenField.FindAllStringSubmatch(body, -1) {
		form.Set(f[1], html.UnescapeString(f[2]))
	}
	require.NotEmpty(t, form.Get("checkoutId"))

	code, loc, body = b.do(http.MethodPost, target, form)
	require.Equal(t, http.StatusSeeOther, code, body)
	require.Equal(t, shop.URL+successPath, loc)
	code, _, body = b.do(http.MethodGet, loc, nil)
	require.Equal(t, http.StatusOK, code)
	require.NotContains(t, body, `id="no-result"`)
	assert.Equal(t, "PAID", pageValue("status").FindStringSubmatch(body)[1])
	assert.Equal(t, "147.00 AED", pageValue("amount").FindStringSubmatch(body)[1])

	o, ok := shop.Orders.get(pageValue("order").FindStringSubmatch(body)[1])
	require.True(t, ok)
	assert.Equal(t, pointcheckout.StatusPaid, o.Status)
	assert.Equal(t, form.Get("checkoutId"), o.CheckoutID)
}
