package pointcheckout_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/internal/shoptest"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

func TestFlowOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		order   string
		card    string
		action  string
		want    pointcheckout.Status
		landing string
	}{
		{"test card pays", "ORD-1", pointcheckouttest.CardPaid, "pay", pointcheckout.StatusPaid, "/thanks"},
		{"three-digit currency pays exactly", "ORD-KWD", pointcheckouttest.CardPaid, "pay", pointcheckout.StatusPaid, "/thanks"},
		{"declined card fails", "ORD-1", pointcheckouttest.CardDeclined, "pay", pointcheckout.StatusFailed, "/sorry"},
		{"authorize-only card", "ORD-2", pointcheckouttest.CardAuthorizeOnly, "pay", pointcheckout.StatusAuthorized, "/thanks"},
		{"shopper cancels", "ORD-1", "", "cancel", pointcheckout.StatusCancelled, "/sorry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shoptest.New(t, shoptest.Options{})
			b := s.Browser()
			back, id := s.CheckoutAndPay(b, tt.order, tt.card, tt.action)
			require.NotNil(t, s.Cookie(b, "pc_checkout"), "cookie set by /pay")

			done := b.Get(back.Location)
			require.Equal(t, http.StatusSeeOther, done.Status, done.Body)
			assert.Equal(t, tt.landing, done.Location)
			assert.Nil(t, s.Cookie(b, "pc_checkout"), "cookie cleared after a final status")

			landing := b.Follow(s.URL, done)
			want := s.Orders[tt.order].Amount
			assert.Contains(t, landing.Body, "result: order="+tt.order+" status="+string(tt.want)+" amount="+want.String())

			ups := s.Updates.List()
			require.Len(t, ups, 2)
			assert.Equal(t, pointcheckout.StatusPending, ups[0].Status)
			assert.Equal(t, pointcheckout.SourcePay, ups[0].Source)
			assert.Equal(t, tt.want, ups[1].Status)
			assert.Equal(t, pointcheckout.SourceReturn, ups[1].Source)
			for _, u := range ups {
				assert.Equal(t, id, u.CheckoutID)
				assert.Equal(t, want, u.Amount, "exact amount")
				assert.Equal(t, tt.order, u.OrderID)
			}
			assert.Equal(t, ups[0].RequestID, ups[1].RequestID)
		})
	}
}

func TestFreshRequestIDPerAttempt(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	b := s.Browser()
	seen := map[string]bool{}
	for range 3 {
		p := s.Pay(b, "ORD-1")
		require.Equal(t, http.StatusSeeOther, p.Status)
	}
	for _, u := range s.Updates.List() {
		assert.False(t, seen[u.RequestID], "request id %s reused", u.RequestID)
		seen[u.RequestID] = true
		assert.Equal(t, "ORD-1", u.OrderID)
	}
	assert.Len(t, seen, 3)
}

func TestExpiredCheckout(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{Gateway: []pointcheckouttest.Option{pointcheckouttest.WithTTL(15 * time.Minute)}})
	b := s.Browser()
	p := s.Pay(b, "ORD-1")
	id := s.CheckoutIDFor(p.Location)
	s.Clock.Advance(16 * time.Minute)
	done := b.Get(s.ReturnURL(id))
	require.Equal(t, http.StatusSeeOther, done.Status, done.Body)
	assert.Equal(t, "/sorry", done.Location)
	assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusExpired}, s.Updates.Statuses("ORD-1"))
}

func TestPendingThenPaid(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{Gateway: []pointcheckouttest.Option{pointcheckouttest.WithSettleDelay(time.Minute)}})
	b := s.Browser()
	back, _ := s.CheckoutAndPay(b, "ORD-1", pointcheckouttest.CardPaidLater, "pay")

	confirming := b.Get(back.Location)
	require.Equal(t, http.StatusOK, confirming.Status)
	assert.Contains(t, confirming.Body, "Confirming your payment")
	assert.Contains(t, confirming.Body, `http-equiv="refresh"`)
	assert.NotNil(t, s.Cookie(b, "pc_checkout"), "cookie kept while pending")
	assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending}, s.Updates.Statuses("ORD-1"))

	s.Clock.Advance(2 * time.Minute)
	done := b.Get(back.Location)
	require.Equal(t, http.StatusSeeOther, done.Status, done.Body)
	assert.Equal(t, "/thanks", done.Location)
	assert.Equal(t, pointcheckout.StatusPaid, s.Updates.OrderStatus("ORD-1"))
}

func TestReturnWithoutCookieUsesToken(t *testing.T) {
	for _, name := range []string{"cookie lost", "second browser"} {
		t.Run(name, func(t *testing.T) {
			s := shoptest.New(t, shoptest.Options{})
			b := s.Browser()
			back, _ := s.CheckoutAndPay(b, "ORD-2", pointcheckouttest.CardPaid, "pay")
			other := s.Browser()
			if name == "cookie lost" {
				other = b
				u, _ := url.Parse(s.URL + "/pay")
				b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: "pc_checkout", Path: "/pay", MaxAge: -1}})
				require.Nil(t, s.Cookie(b, "pc_checkout"))
			}
			done := other.Get(back.Location)
			require.Equal(t, http.StatusSeeOther, done.Status, done.Body)
			assert.Equal(t, "/thanks", done.Location)
			assert.Equal(t, pointcheckout.StatusPaid, s.Updates.OrderStatus("ORD-2"))
		})
	}
}

func TestGatewayPostsBack(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{Gateway: []pointcheckouttest.Option{pointcheckouttest.WithPostBack()}})
	b := s.Browser()
	p := s.Pay(b, "ORD-1")
	id := s.CheckoutIDFor(p.Location)
	autoPost := b.SubmitCard(p.Location, pointcheckouttest.CardPaid, "pay")
	require.Equal(t, http.StatusOK, autoPost.Status)
	// A cross-site POST carries no SameSite=Lax cookie: only the token. The
	// browser still keeps one, which the final answer clears.
	req, err := http.NewRequest(http.MethodPost, s.ReturnURL(id), strings.NewReader(url.Values{"checkoutId": {id}, "status": {"PAID"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.Gateway.URL)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, pointcheckout.StatusPaid, s.Updates.OrderStatus("ORD-1"))
	cleared := false
	for _, c := range resp.Cookies() {
		cleared = cleared || c.Name == pointcheckout.DefaultCookieName && c.MaxAge < 0
	}
	assert.True(t, cleared, "the checkout cookie is cleared once the payment is final")
}

// TestRefusedReturns: a reference that cannot be trusted is refused. A
// valid return token still names its attempt past a cookie that does not
// open (a stale one the shop cannot clear, another shop's): the payment is
// verified against the token and recorded.
func TestRefusedReturns(t *testing.T) {
	tests := []struct {
		name   string
		attack func(t *testing.T, s *shoptest.Shop, b *shoptest.Browser, returnURL string) shoptest.Page
		status int
		// alarm: the attempt is reported to the error hook as a forged
		// reference (a browser with no payment at all is not an attack).
		alarm bool
	}{
		{"tampered cookie beside a valid token", func(t *testing.T, s *shoptest.Shop, b *shoptest.Browser, ret string) shoptest.Page {
			c := s.Cookie(b, "pc_checkout")
			c.Value = shoptest.Flip(c.Value)
			s.SetCookie(b, c)
			return b.Get(ret)
		}, http.StatusSeeOther, false},
		{"tampered cookie alone", func(t *testing.T, s *shoptest.Shop, b *shoptest.Browser, ret string) shoptest.Page {
			c := s.Cookie(b, "pc_checkout")
			c.Value = shoptest.Flip(c.Value)
			s.SetCookie(b, c)
			return b.Get(s.URL + "/pay/return")
		}, http.StatusBadRequest, true},
		{"foreign cookie from another shop's keys", func(t *testing.T, s *shoptest.Shop, b *shoptest.Browser, ret string) shoptest.Page {
			other := shoptest.New(t, shoptest.Options{})
			ob := other.Browser()
			other.Pay(ob, "ORD-1")
			c := other.Cookie(ob, "pc_checkout")
			s.SetCookie(b, c)
			return b.Get(ret)
		}, http.StatusSeeOther, false},
		{"foreign cookie alone", func(t *testing.T, s *shoptest.Shop, b *shoptest.Browser, ret string) shoptest.Page {
			other := shoptest.New(t, shoptest.Options{})
			ob := other.Browser()
			other.Pay(ob, "ORD-1")
			s.SetCookie(b, other.Cookie(ob, "pc_checkout"))
			return b.Get(s.URL + "/pay/return")
		}, http.StatusBadRequest, true},
		{"token of another order", func(t *testing.T, s *shoptest.Shop, b *shoptest.Browser, ret string) shoptest.Page {
			p := s.Pay(s.Browser(), "ORD-CHEAP")
			cheap := s.ReturnURL(s.CheckoutIDFor(p.Location))
			require.NoError(t, s.Gateway.Complete(s.CheckoutIDFor(p.Location), pointcheckout.StatusPaid))
			return b.Get(cheap)
		}, http.StatusBadRequest, true},
		{"forged token", func(t *testing.T, s *shoptest.Shop, b *shoptest.Browser, ret string) shoptest.Page {
			u, _ := url.Parse(ret)
			q := u.Query()
			q.Set("t", shoptest.Flip(q.Get("t")))
			u.RawQuery = q.Encode()
			return s.Browser().Get(u.String())
		}, http.StatusBadRequest, true},
		{"no reference at all", func(t *testing.T, s *shoptest.Shop, b *shoptest.Browser, ret string) shoptest.Page {
			return s.Browser().Get(s.URL + "/pay/return?status=PAID")
		}, http.StatusBadRequest, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shoptest.New(t, shoptest.Options{})
			b := s.Browser()
			p := s.Pay(b, "ORD-1")
			id := s.CheckoutIDFor(p.Location)
			require.NoError(t, s.Gateway.Complete(id, pointcheckout.StatusPaid))
			got := tt.attack(t, s, b, s.ReturnURL(id))
			assert.Equal(t, tt.status, got.Status, got.Body)
			for _, u := range s.Updates.List() {
				if tt.status == http.StatusSeeOther {
					assert.Equal(t, id, u.CheckoutID, "only the token's own attempt is resolved")
					continue
				}
				assert.NotEqual(t, pointcheckout.StatusPaid, u.Status, "no PAID update may follow a refused return: %+v", u)
			}
			assert.Equal(t, tt.alarm, s.Errors.Has(pointcheckout.ErrInvalidRef), "reported to the error hook")
		})
	}
}

func TestStatusQueryParameterIgnored(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	b := s.Browser()
	p := s.Pay(b, "ORD-1")
	id := s.CheckoutIDFor(p.Location)
	forged := s.ReturnURL(id) + "&status=PAID&amount=1.00"
	got := b.Get(forged)
	assert.Equal(t, http.StatusOK, got.Status)
	assert.Contains(t, got.Body, "Confirming your payment")
	assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending}, s.Updates.Statuses("ORD-1"))
}

func TestCreateAnswerMismatchRefused(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	s.Gateway.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.WrongAmount())
	got := s.Pay(s.Browser(), "ORD-1")
	assert.Equal(t, http.StatusBadGateway, got.Status)
	assert.Empty(t, got.Location)
	assert.Empty(t, s.Updates.List())
	assert.True(t, s.Errors.Has(pointcheckout.ErrVerification))
}

func TestRedirectOnForeignHostRefused(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{Configure: func(_ *shoptest.Shop, c *pointcheckout.Config) {
		c.AllowedRedirectHosts = []string{"pay.test.pointcheckout.com"}
	}})
	got := s.Pay(s.Browser(), "ORD-1")
	assert.Equal(t, http.StatusBadGateway, got.Status)
	assert.Empty(t, got.Location)
	assert.Empty(t, s.Updates.List(), "nothing about the order changes")
	for _, c := range s.Gateway.Checkouts() {
		assert.Equal(t, pointcheckout.StatusCancelled, c.Status, "the unused checkout is cancelled")
	}
}

func TestPayRequestChecks(t *testing.T) {
	tests := []struct {
		name   string
		method string
		header http.Header
		order  string
		status int
	}{
		{"GET /pay", http.MethodGet, nil, "ORD-1", http.StatusMethodNotAllowed},
		{"cross-site POST", http.MethodPost, http.Header{"Sec-Fetch-Site": {"cross-site"}}, "ORD-1", http.StatusForbidden},
		{"foreign Origin", http.MethodPost, http.Header{"Origin": {"https://evil.example"}}, "ORD-1", http.StatusForbidden},
		{"unknown order", http.MethodPost, nil, "ORD-404", http.StatusNotFound},
		{"same-origin POST", http.MethodPost, http.Header{"Sec-Fetch-Site": {"same-origin"}}, "ORD-1", http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shoptest.New(t, shoptest.Options{})
			req, err := http.NewRequest(tt.method, s.URL+"/pay", strings.NewReader(url.Values{"order": {tt.order}}.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.header {
				req.Header[k] = v
			}
			got := s.Browser().Do(req)
			assert.Equal(t, tt.status, got.Status, got.Body)
			if tt.status != http.StatusSeeOther {
				assert.Empty(t, s.Gateway.Checkouts(), "no checkout created")
				assert.Empty(t, s.Updates.List())
			}
		})
	}
}

func TestCreateFailureChangesNothing(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	s.Gateway.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.StatusCode(http.StatusServiceUnavailable))
	b := s.Browser()
	got := s.Pay(b, "ORD-1")
	assert.Equal(t, http.StatusBadGateway, got.Status)
	assert.Empty(t, s.Updates.List())
	assert.Nil(t, s.Cookie(b, "pc_checkout"))
	again := s.Pay(b, "ORD-1")
	assert.Equal(t, http.StatusSeeOther, again.Status, "the shopper can simply try again")
}

// TestGatewayTroubleDuringReturn: a gateway that answers 503 past every
// retry, or takes the request and never answers, leaves the order untouched
// and the cookie in place; the shopper sees the confirming page and the
// next refresh resolves the payment. A hung gateway costs the return
// ReturnTimeout, not the client's whole retry schedule (15s per attempt by
// default) that would outlast the shopper's browser (10s here).
func TestGatewayTroubleDuringReturn(t *testing.T) {
	tests := []struct {
		name      string
		configure func(*shoptest.Shop, *pointcheckout.Config)
		n         int
		fault     pointcheckouttest.Fault
	}{
		{"503 past every retry", nil, 20, pointcheckouttest.StatusCode(http.StatusServiceUnavailable)},
		{"a gateway that never answers", func(s *shoptest.Shop, c *pointcheckout.Config) {
			// The default timeout and retries.
			c.Client = s.Gateway.Client(func(cc *pointcheckout.ClientConfig) { cc.ThreeDecimalAmounts = true })
			c.ReturnTimeout = 300 * time.Millisecond
		}, 4, pointcheckouttest.Delay(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shoptest.New(t, shoptest.Options{})
			f := s.Mount(func(c *pointcheckout.Config) {
				if tt.configure != nil {
					tt.configure(s, c)
				}
			})
			b := s.Browser()
			p := shoptest.PayAt(b, f.URL, "ORD-1")
			require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
			back := b.SubmitCard(p.Location, pointcheckouttest.CardPaid, "pay")
			s.Gateway.InjectFault(pointcheckouttest.EndpointGet, tt.n, tt.fault)
			got := b.Get(back.Location)
			assert.Equal(t, http.StatusOK, got.Status)
			assert.Contains(t, got.Body, "Confirming your payment")
			assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending}, s.Updates.Statuses("ORD-1"), "gateway trouble is never a failure")
			assert.NotNil(t, s.Cookie(b, "pc_checkout"))

			s.Gateway.ClearFaults()
			done := b.Get(back.Location)
			require.Equal(t, http.StatusSeeOther, done.Status)
			assert.Equal(t, pointcheckout.StatusPaid, s.Updates.OrderStatus("ORD-1"))
		})
	}
}

func TestUpdaterFailureIsRetriedOnRefresh(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	b := s.Browser()
	back, _ := s.CheckoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
	s.Updates.Fail(1, nil)
	got := b.Get(back.Location)
	assert.Equal(t, http.StatusInternalServerError, got.Status)
	assert.NotNil(t, s.Cookie(b, "pc_checkout"), "cookie kept so a refresh retries")
	assert.Equal(t, pointcheckout.StatusPending, s.Updates.OrderStatus("ORD-1"))

	done := b.Get(back.Location)
	require.Equal(t, http.StatusSeeOther, done.Status)
	assert.Equal(t, pointcheckout.StatusPaid, s.Updates.OrderStatus("ORD-1"))
}

func TestUpdaterTimeoutIsNotAGatewayOutage(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	b := s.Browser()
	back, _ := s.CheckoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
	s.Updates.Fail(1, fmt.Errorf("orders table: %w", context.DeadlineExceeded))
	got := b.Get(back.Location)
	assert.Equal(t, http.StatusInternalServerError, got.Status, "the shop must hear that it could not record the payment")
	assert.True(t, s.Errors.Has(pointcheckout.ErrUpdateFailed))
	done := b.Get(back.Location)
	require.Equal(t, http.StatusSeeOther, done.Status)
	assert.Equal(t, pointcheckout.StatusPaid, s.Updates.OrderStatus("ORD-1"))
}

func TestDoubleAndConcurrentReturns(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	b := s.Browser()
	back, _ := s.CheckoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
	var wg sync.WaitGroup
	results := make([]shoptest.Page, 12)
	for i := range results {
		wg.Go(func() {
			br := b
			if i%2 == 1 {
				br = s.Browser() // a second device with only the token
			}
			results[i] = br.Get(back.Location)
		})
	}
	wg.Wait()
	for _, r := range results {
		if r.Status == http.StatusBadRequest {
			// The first return cleared the cookie; a later one from the
			// same browser still has the token and must agree.
			t.Fatalf("return refused: %s", r.Body)
		}
		assert.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		assert.Equal(t, "/thanks", r.Location)
	}
	for _, u := range s.Updates.List() {
		assert.Contains(t, []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusPaid}, u.Status)
	}
	assert.Equal(t, pointcheckout.StatusPaid, s.Updates.OrderStatus("ORD-1"))
}

func TestNotify(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	b := s.Browser()
	p := s.Pay(b, "ORD-1")
	id := s.CheckoutIDFor(p.Location)
	post := func(body, ctype string) int {
		req, err := http.NewRequest(http.MethodPost, s.URL+"/pay/notify", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", ctype)
		return s.Browser().Do(req).Status
	}
	assert.Equal(t, http.StatusAccepted, post(`{"checkoutId":"`+id+`","status":"PAID"}`, "application/json"), "the body's status is not believed")
	assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending}, s.Updates.Statuses("ORD-1"))

	require.NoError(t, s.Gateway.Complete(id, pointcheckout.StatusPaid))
	assert.Equal(t, http.StatusOK, post("checkoutId="+id, "application/x-www-form-urlencoded"))
	assert.Equal(t, pointcheckout.StatusPaid, s.Updates.OrderStatus("ORD-1"))
	last := s.Updates.List()[len(s.Updates.List())-1]
	assert.Equal(t, pointcheckout.SourceNotify, last.Source)

	assert.Equal(t, http.StatusNotFound, post(`{"id":"123456789"}`, "application/json"))
	assert.Equal(t, http.StatusBadRequest, post(`{"id":"../../etc"}`, "application/json"))
	assert.Equal(t, http.StatusBadRequest, post(`not json`, "application/json"))
	assert.Equal(t, http.StatusMethodNotAllowed, s.Browser().Get(s.URL+"/pay/notify").Status)
}

func TestLogsHoldNoSecrets(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	b := s.Browser()
	back, _ := s.CheckoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
	cookie := s.Cookie(b, "pc_checkout").Value
	token, _ := url.Parse(back.Location)
	b.Get(back.Location)
	logs := s.Logs.String()
	require.Contains(t, logs, "checkout created", "the logger was used")
	assert.NotContains(t, logs, s.Gateway.Secret)
	assert.NotContains(t, logs, cookie)
	assert.NotContains(t, logs, token.Query().Get("t"))
}

func TestCookiesSecureWhenTheSiteIsHTTPS(t *testing.T) {
	// Behind a proxy that forwards Host 127.0.0.1 and no X-Forwarded-Proto,
	// only ReturnBaseURL says the site is https.
	s := shoptest.New(t, shoptest.Options{Configure: func(_ *shoptest.Shop, c *pointcheckout.Config) { c.ReturnBaseURL = "https://shop.example" }})
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/pay", strings.NewReader("order=ORD-1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.Handler.ServeHTTP(rec, req)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	assert.True(t, cookies[0].Secure)
	assert.True(t, strings.HasPrefix(s.ReturnURL(s.CheckoutIDFor(rec.Header().Get("Location"))), "https://shop.example/pay/return?t="))

	// The result cookie of the return is Secure too.
	require.NoError(t, s.Gateway.Complete(s.CheckoutIDFor(rec.Header().Get("Location")), pointcheckout.StatusPaid))
	back := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/pay/return", nil)
	back.AddCookie(cookies[0])
	flash := httptest.NewRecorder()
	s.Handler.ServeHTTP(flash, back)
	require.Equal(t, http.StatusSeeOther, flash.Code, flash.Body.String())
	var result *http.Cookie
	for _, c := range flash.Result().Cookies() {
		if c.Name == "pc_result" {
			result = c
		}
	}
	require.NotNil(t, result)
	assert.True(t, result.Secure)
}

func TestPayBodyIsBounded(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	huge := url.Values{"order": {"ORD-1"}, "filler": {strings.Repeat("x", 1<<20)}}
	got := s.Browser().PostForm(s.URL+"/pay", huge, nil)
	assert.NotEqual(t, http.StatusSeeOther, got.Status, "a 1 MiB form is not read")
	assert.Empty(t, s.Gateway.Checkouts())
}

// TestPaymentPageOfEitherBrand: a checkout created on either brand's API
// may send the shopper to either brand's payment page, and every preset
// lets both through.
func TestPaymentPageOfEitherBrand(t *testing.T) {
	for _, preset := range []func() pointcheckout.Environment{pointcheckout.PaymenntTestEnvironment, pointcheckout.TestEnvironment} {
		for _, page := range []string{"https://pay.test.paymennt.com", "https://pay.test.pointcheckout.com"} {
			t.Run(preset().Name+" to "+page, func(t *testing.T) {
				s := shoptest.New(t, shoptest.Options{Gateway: []pointcheckouttest.Option{pointcheckouttest.WithPaymentPageURL(page)}})
				env := preset()
				env.BaseURL = s.Gateway.BaseURL()
				f := s.Mount(func(c *pointcheckout.Config) {
					c.Client = s.Gateway.Client(func(cc *pointcheckout.ClientConfig) { cc.Environment = env })
				})
				got := shoptest.PayAt(s.Browser(), f.URL, "ORD-1")
				require.Equal(t, http.StatusSeeOther, got.Status, got.Body)
				assert.True(t, strings.HasPrefix(got.Location, page+"/checkout/"), got.Location)
				assert.Empty(t, s.Errors.All())
			})
		}
	}
}

// TestAPIRedirectNamesTheEnvironment: an API host that moved answers with a
// redirect; /pay reports where it went and which environment to use.
func TestAPIRedirectNamesTheEnvironment(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	s.Gateway.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.Redirect(http.StatusPermanentRedirect, "https://api.paymennt.com/mer/v2.0/checkout/web"))
	got := s.Pay(s.Browser(), "ORD-1")
	assert.Equal(t, http.StatusBadGateway, got.Status)
	var apiErr *pointcheckout.APIError
	require.Len(t, s.Errors.All(), 1)
	require.ErrorAs(t, s.Errors.All()[0], &apiErr)
	assert.Equal(t, http.StatusPermanentRedirect, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, "api.paymennt.com")
	assert.Contains(t, apiErr.Message, `"paymennt-live"`)
	assert.Contains(t, s.Logs.String(), "api.paymennt.com")
	assert.Empty(t, s.Updates.List(), "no checkout, no update")
}

// TestThreeDecimalAmountsAtPay: an amount with a non-zero third decimal is
// refused at /pay before any checkout exists, unless the client opts in,
// and a developer on the sandbox reads why on the page.
func TestThreeDecimalAmountsAtPay(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	f := s.Mount(func(c *pointcheckout.Config) { c.Client = s.Gateway.Client() })
	got := shoptest.PayAt(s.Browser(), f.URL, "ORD-KWD")
	assert.Equal(t, http.StatusInternalServerError, got.Status)
	assert.Contains(t, got.Body, "third decimal", "named on the page with a gateway on loopback")
	assert.True(t, s.Errors.Has(pointcheckout.ErrInvalidRequest))
	assert.Empty(t, s.Gateway.Checkouts())
	assert.Equal(t, http.StatusSeeOther, shoptest.PayAt(s.Browser(), f.URL, "ORD-1").Status, "two decimals are fine")
}

// TestReturnURLLength measures the return URL the gateway is given, for a
// typical shop origin; the README quotes the figure.
func TestReturnURLLength(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	f := s.Mount(func(c *pointcheckout.Config) { c.ReturnBaseURL = "https://shop.example.com" })
	got := shoptest.PayAt(s.Browser(), f.URL, "ORD-1")
	require.Equal(t, http.StatusSeeOther, got.Status, got.Body)
	cos := s.Gateway.Checkouts()
	require.Len(t, cos, 1)
	u := cos[0].ReturnURL
	assert.True(t, strings.HasPrefix(u, "https://shop.example.com/pay/return?t="), u)
	assert.LessOrEqual(t, len(u), 200, u)
	t.Logf("return URL: %d characters (%s)", len(u), u)
}

// TestErrorPagesNameTheCauseOnlyOnTheSandbox: a 500 page names the shop's
// own mistake for the developer trying the sandbox, never on a Live
// environment, even one reached through a proxy on this machine.
func TestErrorPagesNameTheCauseOnlyOnTheSandbox(t *testing.T) {
	for _, live := range []bool{false, true} {
		t.Run(fmt.Sprintf("live=%t", live), func(t *testing.T) {
			s := shoptest.New(t, shoptest.Options{})
			f := s.Mount(func(c *pointcheckout.Config) {
				env := s.Gateway.Environment()
				env.Live = live
				c.Client = s.Gateway.Client(func(cc *pointcheckout.ClientConfig) { cc.Environment = env })
				c.ReturnBaseURL = "https://shop.example.com"
				c.Orders = ordersWithoutID(s)
			})
			got := shoptest.PayAt(s.Browser(), f.URL, "ORD-1")
			assert.Equal(t, http.StatusInternalServerError, got.Status)
			assert.Equal(t, !live, strings.Contains(got.Body, "no order id"), got.Body)
		})
	}
}

// TestProgrammerErrorsAreLoggedByDefault: with no Logger, a mistake in the
// shop's Orders reaches slog.Default at Error level.
func TestProgrammerErrorsAreLoggedByDefault(t *testing.T) {
	var buf shoptest.LogBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	s := shoptest.New(t, shoptest.Options{})
	f := s.Mount(func(c *pointcheckout.Config) {
		c.Logger = nil
		c.Orders = ordersWithoutID(s)
	})
	got := shoptest.PayAt(s.Browser(), f.URL, "ORD-1")
	assert.Equal(t, http.StatusInternalServerError, got.Status)
	assert.Contains(t, got.Body, "no order id")
	assert.Contains(t, buf.String(), "level=ERROR")
	assert.Contains(t, buf.String(), "no order id")
}

// ordersWithoutID is a shop's Orders with a bug: its checkout names no order.
func ordersWithoutID(s *shoptest.Shop) pointcheckout.OrdersFunc {
	return pointcheckout.OrdersFunc(func(*http.Request) (*pointcheckout.CheckoutRequest, error) {
		o := s.Orders["ORD-1"]
		o.OrderID = ""
		return &o, nil
	})
}

// TestPayConfirmsTheCreatedCheckout: the checkout id the create's answer
// (or, when it was lost, a search) names becomes the attempt's only when a
// get of that id answers a checkout matching the Ref; otherwise nothing is
// recorded and the shopper is not sent to pay, so no payment can land under
// an id the shop never confirmed.
func TestPayConfirmsTheCreatedCheckout(t *testing.T) {
	tests := []struct {
		name   string
		faults func(gw *pointcheckouttest.Server)
		status int
		gets   int // of a confirmed checkout
	}{
		{"the create answers another id", func(gw *pointcheckouttest.Server) {
			gw.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.WrongCheckoutID())
		}, http.StatusBadGateway, 0},
		{"the create's answer is lost and the search names another id", func(gw *pointcheckouttest.Server) {
			gw.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.DropAfterCommit())
			gw.InjectFault(pointcheckouttest.EndpointFind, 10, pointcheckouttest.WrongCheckoutID())
		}, http.StatusBadGateway, 0},
		{"the confirming get fails", func(gw *pointcheckouttest.Server) {
			gw.InjectFault(pointcheckouttest.EndpointGet, 10, pointcheckouttest.StatusCode(http.StatusServiceUnavailable))
		}, http.StatusBadGateway, 0},
		{"the create's answer is lost and found by the search", func(gw *pointcheckouttest.Server) {
			gw.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.DropAfterCommit())
		}, http.StatusSeeOther, 1},
		{"the gateway's reads lag its writes", func(gw *pointcheckouttest.Server) {
			gw.InjectFault(pointcheckouttest.EndpointGet, 2, pointcheckouttest.StatusCodeEnvelope(http.StatusNotFound))
		}, http.StatusSeeOther, 3},
		{"the created checkout stays unknown", func(gw *pointcheckouttest.Server) {
			gw.InjectFault(pointcheckouttest.EndpointGet, 10, pointcheckouttest.StatusCodeEnvelope(http.StatusNotFound))
		}, http.StatusBadGateway, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shoptest.New(t, shoptest.Options{})
			tt.faults(s.Gateway)
			got := s.Pay(s.Browser(), "ORD-1")
			require.Equal(t, tt.status, got.Status, got.Body)
			created := s.Gateway.Checkouts()
			require.Len(t, created, 1)
			updates := s.Updates.List()
			if tt.status != http.StatusSeeOther {
				assert.Empty(t, updates, "nothing recorded under an unconfirmed id")
				return
			}
			require.Len(t, updates, 1)
			assert.Equal(t, created[0].ID, updates[0].CheckoutID)
			assert.Equal(t, tt.gets, shoptest.EndpointRequests(s.Gateway, pointcheckouttest.EndpointGet), "gets until one confirms the checkout")
		})
	}
}
