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
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
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
			s := newShop(t, harnessOpts{})
			b := s.browser()
			back, id := s.checkoutAndPay(b, tt.order, tt.card, tt.action)
			require.NotNil(t, s.cookie(b, "pc_checkout"), "cookie set by /pay")

			done := b.get(back.location)
			require.Equal(t, http.StatusSeeOther, done.status, done.body)
			assert.Equal(t, tt.landing, done.location)
			assert.Nil(t, s.cookie(b, "pc_checkout"), "cookie cleared after a final status")

			landing := b.follow(s.shop.URL, done)
			want := s.orders[tt.order].Amount
			assert.Contains(t, landing.body, "result: order="+tt.order+" status="+string(tt.want)+" amount="+want.String())

			ups := s.updates.list()
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
	s := newShop(t, harnessOpts{})
	b := s.browser()
	seen := map[string]bool{}
	for range 3 {
		p := s.pay(b, "ORD-1")
		require.Equal(t, http.StatusSeeOther, p.status)
	}
	for _, u := range s.updates.list() {
		assert.False(t, seen[u.RequestID], "request id %s reused", u.RequestID)
		seen[u.RequestID] = true
		assert.Equal(t, "ORD-1", u.OrderID)
	}
	assert.Len(t, seen, 3)
}

func TestExpiredCheckout(t *testing.T) {
	s := newShop(t, harnessOpts{gwOpts: []pointcheckouttest.Option{pointcheckouttest.WithTTL(15 * time.Minute)}})
	b := s.browser()
	p := s.pay(b, "ORD-1")
	id := s.checkoutIDFor(p.location)
	s.clock.Advance(16 * time.Minute)
	done := b.get(s.returnURL(id))
	require.Equal(t, http.StatusSeeOther, done.status, done.body)
	assert.Equal(t, "/sorry", done.location)
	assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusExpired}, s.updates.statuses("ORD-1"))
}

func TestPendingThenPaid(t *testing.T) {
	s := newShop(t, harnessOpts{gwOpts: []pointcheckouttest.Option{pointcheckouttest.WithSettleDelay(time.Minute)}})
	b := s.browser()
	back, _ := s.checkoutAndPay(b, "ORD-1", pointcheckouttest.CardPaidLater, "pay")

	confirming := b.get(back.location)
	require.Equal(t, http.StatusOK, confirming.status)
	assert.Contains(t, confirming.body, "Confirming your payment")
	assert.Contains(t, confirming.body, `http-equiv="refresh"`)
	assert.NotNil(t, s.cookie(b, "pc_checkout"), "cookie kept while pending")
	assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending}, s.updates.statuses("ORD-1"))

	s.clock.Advance(2 * time.Minute)
	done := b.get(back.location)
	require.Equal(t, http.StatusSeeOther, done.status, done.body)
	assert.Equal(t, "/thanks", done.location)
	assert.Equal(t, pointcheckout.StatusPaid, s.updates.orderStatus("ORD-1"))
}

func TestPollingResolvesWithoutConfirmingPage(t *testing.T) {
	s := newShop(t, harnessOpts{
		gwOpts: []pointcheckouttest.Option{pointcheckouttest.WithSettleDelay(time.Minute)},
		configure: func(c *pointcheckout.Config) {
			c.PollTimeout = 5 * time.Second
			c.PollInterval = 20 * time.Millisecond
		},
	})
	b := s.browser()
	back, id := s.checkoutAndPay(b, "ORD-1", pointcheckouttest.CardPaidLater, "pay")
	go func() {
		// The gateway settles while the return handler is polling.
		time.Sleep(50 * time.Millisecond)
		_ = s.gw.Complete(id, pointcheckout.StatusPaid)
	}()
	done := b.get(back.location)
	require.Equal(t, http.StatusSeeOther, done.status, done.body)
	assert.Equal(t, "/thanks", done.location)
}

func TestReturnWithoutCookieUsesToken(t *testing.T) {
	for _, name := range []string{"cookie lost", "second browser"} {
		t.Run(name, func(t *testing.T) {
			s := newShop(t, harnessOpts{})
			b := s.browser()
			back, _ := s.checkoutAndPay(b, "ORD-2", pointcheckouttest.CardPaid, "pay")
			other := s.browser()
			if name == "cookie lost" {
				other = b
				u, _ := url.Parse(s.shop.URL + "/pay")
				b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "pc_checkout", Path: "/pay", MaxAge: -1}})
				require.Nil(t, s.cookie(b, "pc_checkout"))
			}
			done := other.get(back.location)
			require.Equal(t, http.StatusSeeOther, done.status, done.body)
			assert.Equal(t, "/thanks", done.location)
			assert.Equal(t, pointcheckout.StatusPaid, s.updates.orderStatus("ORD-2"))
		})
	}
}

func TestGatewayPostsBack(t *testing.T) {
	s := newShop(t, harnessOpts{gwOpts: []pointcheckouttest.Option{pointcheckouttest.WithPostBack()}})
	b := s.browser()
	p := s.pay(b, "ORD-1")
	id := s.checkoutIDFor(p.location)
	autoPost := b.submitCard(p.location, pointcheckouttest.CardPaid, "pay")
	require.Equal(t, http.StatusOK, autoPost.status)
	// A cross-site POST carries no SameSite=Lax cookie: only the token. The
	// browser still keeps one, which the final answer clears.
	req, err := http.NewRequest(http.MethodPost, s.returnURL(id), strings.NewReader(url.Values{"checkoutId": {id}, "status": {"PAID"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.gw.URL)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, pointcheckout.StatusPaid, s.updates.orderStatus("ORD-1"))
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
		attack func(t *testing.T, s *shopHarness, b *browser, returnURL string) page
		status int
		// alarm: the attempt is reported to the error hook as a forged
		// reference (a browser with no payment at all is not an attack).
		alarm bool
	}{
		{"tampered cookie beside a valid token", func(t *testing.T, s *shopHarness, b *browser, ret string) page {
			c := s.cookie(b, "pc_checkout")
			c.Value = flip(c.Value)
			setCookie(s, b, c)
			return b.get(ret)
		}, http.StatusSeeOther, false},
		{"tampered cookie alone", func(t *testing.T, s *shopHarness, b *browser, ret string) page {
			c := s.cookie(b, "pc_checkout")
			c.Value = flip(c.Value)
			setCookie(s, b, c)
			return b.get(s.shop.URL + "/pay/return")
		}, http.StatusBadRequest, true},
		{"foreign cookie from another shop's keys", func(t *testing.T, s *shopHarness, b *browser, ret string) page {
			other := newShop(t, harnessOpts{})
			ob := other.browser()
			other.pay(ob, "ORD-1")
			c := other.cookie(ob, "pc_checkout")
			setCookie(s, b, c)
			return b.get(ret)
		}, http.StatusSeeOther, false},
		{"foreign cookie alone", func(t *testing.T, s *shopHarness, b *browser, ret string) page {
			other := newShop(t, harnessOpts{})
			ob := other.browser()
			other.pay(ob, "ORD-1")
			setCookie(s, b, other.cookie(ob, "pc_checkout"))
			return b.get(s.shop.URL + "/pay/return")
		}, http.StatusBadRequest, true},
		{"token of another order", func(t *testing.T, s *shopHarness, b *browser, ret string) page {
			p := s.pay(s.browser(), "ORD-CHEAP")
			cheap := s.returnURL(s.checkoutIDFor(p.location))
			require.NoError(t, s.gw.Complete(s.checkoutIDFor(p.location), pointcheckout.StatusPaid))
			return b.get(cheap)
		}, http.StatusBadRequest, true},
		{"forged token", func(t *testing.T, s *shopHarness, b *browser, ret string) page {
			u, _ := url.Parse(ret)
			q := u.Query()
			q.Set("t", flip(q.Get("t")))
			u.RawQuery = q.Encode()
			return s.browser().get(u.String())
		}, http.StatusBadRequest, true},
		{"no reference at all", func(t *testing.T, s *shopHarness, b *browser, ret string) page {
			return s.browser().get(s.shop.URL + "/pay/return?status=PAID")
		}, http.StatusBadRequest, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newShop(t, harnessOpts{})
			b := s.browser()
			p := s.pay(b, "ORD-1")
			id := s.checkoutIDFor(p.location)
			require.NoError(t, s.gw.Complete(id, pointcheckout.StatusPaid))
			got := tt.attack(t, s, b, s.returnURL(id))
			assert.Equal(t, tt.status, got.status, got.body)
			for _, u := range s.updates.list() {
				if tt.status == http.StatusSeeOther {
					assert.Equal(t, id, u.CheckoutID, "only the token's own attempt is resolved")
					continue
				}
				assert.NotEqual(t, pointcheckout.StatusPaid, u.Status, "no PAID update may follow a refused return: %+v", u)
			}
			assert.Equal(t, tt.alarm, s.errs.has(pointcheckout.ErrInvalidRef), "reported to the error hook")
		})
	}
}

func TestStatusQueryParameterIgnored(t *testing.T) {
	s := newShop(t, harnessOpts{})
	b := s.browser()
	p := s.pay(b, "ORD-1")
	id := s.checkoutIDFor(p.location)
	forged := s.returnURL(id) + "&status=PAID&amount=1.00"
	got := b.get(forged)
	assert.Equal(t, http.StatusOK, got.status)
	assert.Contains(t, got.body, "Confirming your payment")
	assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending}, s.updates.statuses("ORD-1"))
}

func TestMismatchedGatewayAnswers(t *testing.T) {
	faults := []struct {
		name  string
		fault pointcheckouttest.Fault
	}{
		{"amount", pointcheckouttest.WrongAmount()},
		{"currency", pointcheckouttest.WrongCurrency()},
		{"order id", pointcheckouttest.WrongOrderID()},
		{"request id", pointcheckouttest.WrongRequestID()},
		{"checkout id", pointcheckouttest.WrongCheckoutID()},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			s := newShop(t, harnessOpts{})
			b := s.browser()
			back, _ := s.checkoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
			s.gw.InjectFault(pointcheckouttest.EndpointGet, 1, f.fault)
			got := b.get(back.location)
			assert.Equal(t, http.StatusBadGateway, got.status, got.body)
			assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending}, s.updates.statuses("ORD-1"))
			assert.True(t, s.errs.has(pointcheckout.ErrVerification))
			assert.NotNil(t, s.cookie(b, "pc_checkout"), "cookie kept for a retry")

			// The answer was wrong, not the payment: a refresh resolves it.
			again := b.get(back.location)
			require.Equal(t, http.StatusSeeOther, again.status, again.body)
			assert.Equal(t, pointcheckout.StatusPaid, s.updates.orderStatus("ORD-1"))
		})
	}
}

func TestCreateAnswerMismatchRefused(t *testing.T) {
	s := newShop(t, harnessOpts{})
	s.gw.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.WrongAmount())
	got := s.pay(s.browser(), "ORD-1")
	assert.Equal(t, http.StatusBadGateway, got.status)
	assert.Empty(t, got.location)
	assert.Empty(t, s.updates.list())
	assert.True(t, s.errs.has(pointcheckout.ErrVerification))
}

func TestRedirectOnForeignHostRefused(t *testing.T) {
	s := newShop(t, harnessOpts{configure: func(c *pointcheckout.Config) {
		c.AllowedRedirectHosts = []string{"pay.test.pointcheckout.com"}
	}})
	got := s.pay(s.browser(), "ORD-1")
	assert.Equal(t, http.StatusBadGateway, got.status)
	assert.Empty(t, got.location)
	assert.Empty(t, s.updates.list(), "nothing about the order changes")
	for _, c := range s.gw.Checkouts() {
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
			s := newShop(t, harnessOpts{})
			req, err := http.NewRequest(tt.method, s.shop.URL+"/pay", strings.NewReader(url.Values{"order": {tt.order}}.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.header {
				req.Header[k] = v
			}
			got := s.browser().do(req)
			assert.Equal(t, tt.status, got.status, got.body)
			if tt.status != http.StatusSeeOther {
				assert.Empty(t, s.gw.Checkouts(), "no checkout created")
				assert.Empty(t, s.updates.list())
			}
		})
	}
}

func TestCreateFailureChangesNothing(t *testing.T) {
	s := newShop(t, harnessOpts{})
	s.gw.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.StatusCode(http.StatusServiceUnavailable))
	b := s.browser()
	got := s.pay(b, "ORD-1")
	assert.Equal(t, http.StatusBadGateway, got.status)
	assert.Empty(t, s.updates.list())
	assert.Nil(t, s.cookie(b, "pc_checkout"))
	again := s.pay(b, "ORD-1")
	assert.Equal(t, http.StatusSeeOther, again.status, "the shopper can simply try again")
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
		configure func(*shopHarness, *pointcheckout.Config)
		n         int
		fault     pointcheckouttest.Fault
	}{
		{"503 past every retry", nil, 20, pointcheckouttest.StatusCode(http.StatusServiceUnavailable)},
		{"a gateway that never answers", func(s *shopHarness, c *pointcheckout.Config) {
			// The default timeout and retries.
			c.Client = s.gw.Client(func(cc *pointcheckout.ClientConfig) { cc.ThreeDecimalAmounts = true })
			c.ReturnTimeout = 300 * time.Millisecond
		}, 4, pointcheckouttest.Delay(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newShop(t, harnessOpts{})
			f := s.mount(func(c *pointcheckout.Config) {
				if tt.configure != nil {
					tt.configure(s, c)
				}
			})
			b := s.browser()
			p := payAt(b, f.srv.URL, "ORD-1")
			require.Equal(t, http.StatusSeeOther, p.status, p.body)
			back := b.submitCard(p.location, pointcheckouttest.CardPaid, "pay")
			s.gw.InjectFault(pointcheckouttest.EndpointGet, tt.n, tt.fault)
			got := b.get(back.location)
			assert.Equal(t, http.StatusOK, got.status)
			assert.Contains(t, got.body, "Confirming your payment")
			assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending}, s.updates.statuses("ORD-1"), "gateway trouble is never a failure")
			assert.NotNil(t, s.cookie(b, "pc_checkout"))

			s.gw.ClearFaults()
			done := b.get(back.location)
			require.Equal(t, http.StatusSeeOther, done.status)
			assert.Equal(t, pointcheckout.StatusPaid, s.updates.orderStatus("ORD-1"))
		})
	}
}

func TestUpdaterFailureIsRetriedOnRefresh(t *testing.T) {
	s := newShop(t, harnessOpts{})
	b := s.browser()
	back, _ := s.checkoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
	s.updates.failTimes(1)
	got := b.get(back.location)
	assert.Equal(t, http.StatusInternalServerError, got.status)
	assert.NotNil(t, s.cookie(b, "pc_checkout"), "cookie kept so a refresh retries")
	assert.Equal(t, pointcheckout.StatusPending, s.updates.orderStatus("ORD-1"))

	done := b.get(back.location)
	require.Equal(t, http.StatusSeeOther, done.status)
	assert.Equal(t, pointcheckout.StatusPaid, s.updates.orderStatus("ORD-1"))
}

func TestUpdaterTimeoutIsNotAGatewayOutage(t *testing.T) {
	s := newShop(t, harnessOpts{})
	b := s.browser()
	back, _ := s.checkoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
	s.updates.mu.Lock()
	s.updates.failNext, s.updates.failWith = 1, fmt.Errorf("orders table: %w", context.DeadlineExceeded)
	s.updates.mu.Unlock()
	got := b.get(back.location)
	assert.Equal(t, http.StatusInternalServerError, got.status, "the shop must hear that it could not record the payment")
	assert.True(t, s.errs.has(pointcheckout.ErrUpdateFailed))
	done := b.get(back.location)
	require.Equal(t, http.StatusSeeOther, done.status)
	assert.Equal(t, pointcheckout.StatusPaid, s.updates.orderStatus("ORD-1"))
}

func TestPendingConfirmationReportedOncePerReturn(t *testing.T) {
	s := newShop(t, harnessOpts{configure: func(c *pointcheckout.Config) {
		c.PollTimeout = 200 * time.Millisecond
		c.PollInterval = 5 * time.Millisecond
	}})
	b := s.browser()
	p := s.pay(b, "ORD-1")
	id := s.checkoutIDFor(p.location)
	require.NoError(t, s.gw.Complete(id, pointcheckout.StatusPendingConfirmation))
	got := b.get(s.returnURL(id))
	assert.Equal(t, http.StatusOK, got.status)
	assert.Contains(t, got.body, "Confirming your payment")
	assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusPendingConfirmation}, s.updates.statuses("ORD-1"),
		"the poll loop reports a status once, not on every tick")
}

func TestDoubleAndConcurrentReturns(t *testing.T) {
	s := newShop(t, harnessOpts{})
	b := s.browser()
	back, _ := s.checkoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
	var wg sync.WaitGroup
	results := make([]page, 12)
	for i := range results {
		wg.Go(func() {
			br := b
			if i%2 == 1 {
				br = s.browser() // a second device with only the token
			}
			results[i] = br.get(back.location)
		})
	}
	wg.Wait()
	for _, r := range results {
		if r.status == http.StatusBadRequest {
			// The first return cleared the cookie; a later one from the
			// same browser still has the token and must agree.
			t.Fatalf("return refused: %s", r.body)
		}
		assert.Equal(t, http.StatusSeeOther, r.status, r.body)
		assert.Equal(t, "/thanks", r.location)
	}
	for _, u := range s.updates.list() {
		assert.Contains(t, []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusPaid}, u.Status)
	}
	assert.Equal(t, pointcheckout.StatusPaid, s.updates.orderStatus("ORD-1"))
}

func TestNotify(t *testing.T) {
	s := newShop(t, harnessOpts{})
	b := s.browser()
	p := s.pay(b, "ORD-1")
	id := s.checkoutIDFor(p.location)
	post := func(body, ctype string) int {
		req, err := http.NewRequest(http.MethodPost, s.shop.URL+"/pay/notify", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", ctype)
		return s.browser().do(req).status
	}
	assert.Equal(t, http.StatusAccepted, post(`{"checkoutId":"`+id+`","status":"PAID"}`, "application/json"), "the body's status is not believed")
	assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending}, s.updates.statuses("ORD-1"))

	require.NoError(t, s.gw.Complete(id, pointcheckout.StatusPaid))
	assert.Equal(t, http.StatusOK, post("checkoutId="+id, "application/x-www-form-urlencoded"))
	assert.Equal(t, pointcheckout.StatusPaid, s.updates.orderStatus("ORD-1"))
	last := s.updates.list()[len(s.updates.list())-1]
	assert.Equal(t, pointcheckout.SourceNotify, last.Source)

	assert.Equal(t, http.StatusNotFound, post(`{"id":"123456789"}`, "application/json"))
	assert.Equal(t, http.StatusBadRequest, post(`{"id":"../../etc"}`, "application/json"))
	assert.Equal(t, http.StatusBadRequest, post(`not json`, "application/json"))
	assert.Equal(t, http.StatusMethodNotAllowed, s.browser().get(s.shop.URL+"/pay/notify").status)
}

func TestReconcileResolvesAbandonedCheckouts(t *testing.T) {
	s := newShop(t, harnessOpts{})
	var refs []pointcheckout.Ref
	refOf := map[string]pointcheckout.Ref{}
	outcomes := map[string]pointcheckout.Status{"ORD-1": pointcheckout.StatusPaid, "ORD-2": pointcheckout.StatusFailed, "ORD-KWD": ""}
	for order, st := range outcomes {
		p := s.pay(s.browser(), order)
		id := s.checkoutIDFor(p.location)
		if st != "" {
			require.NoError(t, s.gw.Complete(id, st))
		}
		refs = append(refs, s.updates.refFor(id))
		refOf[order] = s.updates.refFor(id)
	}
	rep, err := s.h.Reconcile(t.Context(), refs)
	require.NoError(t, err)
	assert.Equal(t, pointcheckout.ReconcileReport{Checked: 3, Final: 2, Pending: 1}, rep)
	assert.Equal(t, pointcheckout.StatusPaid, s.updates.orderStatus("ORD-1"))
	assert.Equal(t, pointcheckout.StatusFailed, s.updates.orderStatus("ORD-2"))
	assert.Equal(t, pointcheckout.StatusPending, s.updates.orderStatus("ORD-KWD"))
	for _, u := range s.updates.list() {
		if u.Status != pointcheckout.StatusPending {
			assert.Equal(t, pointcheckout.SourceReconcile, u.Source)
		}
	}

	// The pending one is asked again (a final answer of a moment ago would
	// be reused): the gateway's trouble is reported, not a failure.
	s.gw.InjectFault(pointcheckouttest.EndpointGet, 100, pointcheckouttest.StatusCode(http.StatusBadGateway))
	rep, err = s.h.Reconcile(t.Context(), []pointcheckout.Ref{refOf["ORD-KWD"]})
	assert.ErrorIs(t, err, pointcheckout.ErrUnavailable)
	assert.Equal(t, 1, rep.Errors)
	assert.Equal(t, pointcheckout.StatusPending, s.updates.orderStatus("ORD-KWD"))
}

func TestLogsHoldNoSecrets(t *testing.T) {
	s := newShop(t, harnessOpts{})
	b := s.browser()
	back, _ := s.checkoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
	cookie := s.cookie(b, "pc_checkout").Value
	token, _ := url.Parse(back.location)
	b.get(back.location)
	logs := s.logs.String()
	require.Contains(t, logs, "checkout created", "the logger was used")
	assert.NotContains(t, logs, s.gw.Secret)
	assert.NotContains(t, logs, cookie)
	assert.NotContains(t, logs, token.Query().Get("t"))
}

func TestMiddlewarePassesOtherRoutes(t *testing.T) {
	s := newShop(t, harnessOpts{})
	got := s.browser().get(s.shop.URL + "/products/1")
	assert.Equal(t, http.StatusOK, got.status)
	assert.Equal(t, "/products/1 no result\n", got.body)

	rec := s.browser().get(s.shop.URL + "/payments")
	assert.Equal(t, "/payments no result\n", rec.body, "a path that only starts with the prefix is the shop's")
}

func TestNewRejectsUnsafeConfig(t *testing.T) {
	gw := pointcheckouttest.NewServer()
	t.Cleanup(gw.Close)
	key, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	live, err := pointcheckout.NewClient(pointcheckout.ClientConfig{Key: "k", Secret: pointcheckout.NewSecret("s"), Environment: pointcheckout.LiveEnvironment()})
	require.NoError(t, err)
	testEnv, err := pointcheckout.NewClient(pointcheckout.ClientConfig{Key: "k", Secret: pointcheckout.NewSecret("s"), Environment: pointcheckout.TestEnvironment()})
	require.NoError(t, err)
	proxyEnv, err := pointcheckout.CustomEnvironment("https://gateway-proxy.internal.example/mer/v2.0/")
	require.NoError(t, err)
	proxied, err := pointcheckout.NewClient(pointcheckout.ClientConfig{Key: "k", Secret: pointcheckout.NewSecret("s"), Environment: proxyEnv})
	require.NoError(t, err)
	orders := pointcheckout.OrdersFunc(func(*http.Request) (*pointcheckout.CheckoutRequest, error) { return nil, nil })
	up := &updateLog{}
	valid := func() pointcheckout.Config {
		return pointcheckout.Config{Client: gw.Client(), Orders: orders, Updater: up, Keys: []pointcheckout.KeyPair{key}}
	}
	tests := []struct {
		name   string
		mutate func(*pointcheckout.Config)
		ok     bool
	}{
		{"valid", func(*pointcheckout.Config) {}, true},
		{"no client", func(c *pointcheckout.Config) { c.Client = nil }, false},
		{"no orders", func(c *pointcheckout.Config) { c.Orders = nil }, false},
		{"no updater", func(c *pointcheckout.Config) { c.Updater = nil }, false},
		{"no keys", func(c *pointcheckout.Config) { c.Keys = nil }, false},
		{"zero key pair", func(c *pointcheckout.Config) { c.Keys = []pointcheckout.KeyPair{{}} }, false},
		{"live without return base", func(c *pointcheckout.Config) { c.Client = live }, false},
		{"real test environment without return base", func(c *pointcheckout.Config) { c.Client = testEnv }, false},
		{"real test environment with http return base", func(c *pointcheckout.Config) { c.Client = testEnv; c.ReturnBaseURL = "http://localhost:8080" }, true},
		{"custom non-loopback gateway without return base", func(c *pointcheckout.Config) { c.Client = proxied }, false},
		{"live with http return base", func(c *pointcheckout.Config) { c.Client = live; c.ReturnBaseURL = "http://shop.example.com" }, false},
		{"live with https return base", func(c *pointcheckout.Config) { c.Client = live; c.ReturnBaseURL = "https://shop.example.com" }, true},
		{"relative return base", func(c *pointcheckout.Config) { c.ReturnBaseURL = "/shop" }, false},
		{"success URL off site", func(c *pointcheckout.Config) { c.SuccessURL = "//evil.example/" }, false},
		{"failure URL absolute", func(c *pointcheckout.Config) { c.FailureURL = "https://evil.example/" }, false},
		{"success URL with a dot segment and a backslash", func(c *pointcheckout.Config) { c.SuccessURL = `/./\evil.example` }, false},
		{"success URL with a backslash", func(c *pointcheckout.Config) { c.SuccessURL = `/\evil.example` }, false},
		{"success URL with a dot-dot segment", func(c *pointcheckout.Config) { c.SuccessURL = "/shop/../admin" }, false},
		{"success URL with an encoded dot-dot segment", func(c *pointcheckout.Config) { c.SuccessURL = "/%2e%2e/admin" }, false},
		{"success URL with an encoded backslash", func(c *pointcheckout.Config) { c.SuccessURL = "/%5cevil.example" }, false},
		{"success URL with a double slash inside", func(c *pointcheckout.Config) { c.SuccessURL = "/a//b" }, false},
		{"success URL with a fragment", func(c *pointcheckout.Config) { c.SuccessURL = "/thanks#x" }, false},
		{"success URL with a trailing slash and a query", func(c *pointcheckout.Config) { c.SuccessURL = "/order/thanks/?from=pay" }, true},
		{"prefix with a dot segment", func(c *pointcheckout.Config) { c.Prefix = "/./pay" }, false},
		{"prefix with trailing slash", func(c *pointcheckout.Config) { c.Prefix = "/pay/" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.mutate(&cfg)
			h, err := pointcheckout.New(cfg)
			if tt.ok {
				assert.NoError(t, err)
				assert.NotNil(t, h)
				return
			}
			assert.Error(t, err)
			hashKey, _, _ := strings.Cut(key.Encode(), ":")
			assert.NotContains(t, err.Error(), hashKey)
		})
	}
}

// flip changes one character in the middle of an encoded value.
func flip(v string) string {
	b := []byte(v)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func setCookie(s *shopHarness, b *browser, c *http.Cookie) {
	u, _ := url.Parse(s.shop.URL + "/pay/return")
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/pay"}})
}

func TestCookiesSecureWhenTheSiteIsHTTPS(t *testing.T) {
	// Behind a proxy that forwards Host 127.0.0.1 and no X-Forwarded-Proto,
	// only ReturnBaseURL says the site is https.
	s := newShop(t, harnessOpts{configure: func(c *pointcheckout.Config) { c.ReturnBaseURL = "https://shop.example" }})
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/pay", strings.NewReader("order=ORD-1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	assert.True(t, cookies[0].Secure)
	assert.True(t, strings.HasPrefix(s.returnURL(s.checkoutIDFor(rec.Header().Get("Location"))), "https://shop.example/pay/return?t="))

	// The result cookie of the return is Secure too.
	require.NoError(t, s.gw.Complete(s.checkoutIDFor(rec.Header().Get("Location")), pointcheckout.StatusPaid))
	back := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/pay/return", nil)
	back.AddCookie(cookies[0])
	flash := httptest.NewRecorder()
	s.h.ServeHTTP(flash, back)
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
	s := newShop(t, harnessOpts{})
	huge := url.Values{"order": {"ORD-1"}, "filler": {strings.Repeat("x", 1<<20)}}
	got := s.browser().postForm(s.shop.URL+"/pay", huge, nil)
	assert.NotEqual(t, http.StatusSeeOther, got.status, "a 1 MiB form is not read")
	assert.Empty(t, s.gw.Checkouts())
}

// TestPaymentPageOfEitherBrand: a checkout created on either brand's API
// may send the shopper to either brand's payment page, and every preset
// lets both through.
func TestPaymentPageOfEitherBrand(t *testing.T) {
	for _, preset := range []func() pointcheckout.Environment{pointcheckout.PaymenntTestEnvironment, pointcheckout.TestEnvironment} {
		for _, page := range []string{"https://pay.test.paymennt.com", "https://pay.test.pointcheckout.com"} {
			t.Run(preset().Name+" to "+page, func(t *testing.T) {
				s := newShop(t, harnessOpts{gwOpts: []pointcheckouttest.Option{pointcheckouttest.WithPaymentPageURL(page)}})
				env := preset()
				env.BaseURL = s.gw.BaseURL()
				f := s.mount(func(c *pointcheckout.Config) {
					c.Client = s.gw.Client(func(cc *pointcheckout.ClientConfig) { cc.Environment = env })
				})
				got := payAt(s.browser(), f.srv.URL, "ORD-1")
				require.Equal(t, http.StatusSeeOther, got.status, got.body)
				assert.True(t, strings.HasPrefix(got.location, page+"/checkout/"), got.location)
				assert.Empty(t, s.errs.errs)
			})
		}
	}
}

// TestAPIRedirectNamesTheEnvironment: an API host that moved answers with a
// redirect; /pay reports where it went and which environment to use.
func TestAPIRedirectNamesTheEnvironment(t *testing.T) {
	s := newShop(t, harnessOpts{})
	s.gw.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.Redirect(http.StatusPermanentRedirect, "https://api.paymennt.com/mer/v2.0/checkout/web"))
	got := s.pay(s.browser(), "ORD-1")
	assert.Equal(t, http.StatusBadGateway, got.status)
	var apiErr *pointcheckout.APIError
	require.Len(t, s.errs.errs, 1)
	require.ErrorAs(t, s.errs.errs[0], &apiErr)
	assert.Equal(t, http.StatusPermanentRedirect, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, "api.paymennt.com")
	assert.Contains(t, apiErr.Message, `"paymennt-live"`)
	assert.Contains(t, s.logs.String(), "api.paymennt.com")
	assert.Empty(t, s.updates.list(), "no checkout, no update")
}

// forgetfulRefs finds Refs by checkout id only, as a shop that did not
// record the request id would: a return without the cookie must then use
// what the return URL carries.
type forgetfulRefs struct{ *updateLog }

func (forgetfulRefs) FindRefByRequestID(context.Context, string) (pointcheckout.Ref, error) {
	return pointcheckout.Ref{}, pointcheckout.ErrNotFound
}

// TestTokenOnlyReturnFindsItsCheckout: without the cookie, the checkout to
// ask about comes from the shop's own record of the request id, else from
// the id the hosted page appended, and only then from a search; and the
// return works however the gateway appended its parameters.
func TestTokenOnlyReturnFindsItsCheckout(t *testing.T) {
	tests := []struct {
		name     string
		recorded bool // the shop finds Refs by request id
		url      func(t *testing.T, back, id string) string
		post     url.Values
		searches int
	}{
		{"appended id", false, func(_ *testing.T, back, _ string) string { return back }, nil, 0},
		{"recorded id, nothing appended", true, func(t *testing.T, back, _ string) string { return backWithoutHints(t, back) }, nil, 0},
		{"recorded id wins over a wrong appended one", true, func(t *testing.T, back, id string) string {
			return backWithoutHints(t, back) + "&checkout=1999999999999999999"
		}, nil, 0},
		{"appended naively after the token", false, func(t *testing.T, back, id string) string {
			return backWithoutHints(t, back) + "?checkout=" + id + "&reference=r"
		}, nil, 0},
		{"posted back as form fields", false, func(t *testing.T, back, _ string) string { return backWithoutHints(t, back) }, url.Values{"checkout": nil}, 0},
		{"nothing appended, nothing recorded: a search", false, func(t *testing.T, back, _ string) string { return backWithoutHints(t, back) }, nil, 1},
	}
	t.Run("a wrong appended id, nothing recorded: verification refuses it", func(t *testing.T) {
		s := newShop(t, harnessOpts{})
		f := s.mount(func(c *pointcheckout.Config) { c.Refs = forgetfulRefs{s.updates} })
		back, _ := s.checkoutAndPayAt(s.browser(), f.srv.URL, "ORD-1", pointcheckouttest.CardPaid, "pay")
		cheap := s.pay(s.browser(), "ORD-CHEAP")
		cheapID := s.checkoutIDFor(cheap.location)
		require.NoError(t, s.gw.Complete(cheapID, pointcheckout.StatusPaid))
		got := s.browser().get(backWithoutHints(t, back.location) + "&checkout=" + cheapID)
		assert.Equal(t, http.StatusBadGateway, got.status, got.body)
		assert.True(t, s.errs.has(pointcheckout.ErrVerification))
		for _, u := range s.updates.list() {
			assert.NotEqual(t, pointcheckout.StatusPaid, u.Status)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newShop(t, harnessOpts{})
			f := s.mount(func(c *pointcheckout.Config) {
				if !tt.recorded {
					c.Refs = forgetfulRefs{s.updates}
				}
			})
			back, id := s.checkoutAndPayAt(s.browser(), f.srv.URL, "ORD-1", pointcheckouttest.CardPaid, "pay")
			s.gw.ResetRequests()
			target := tt.url(t, back.location, id)
			b := s.browser() // another browser: no cookie
			var got page
			if tt.post != nil {
				got = b.postForm(target, url.Values{"checkout": {id}, "reference": {"r"}}, nil)
			} else {
				got = b.get(target)
			}
			require.Equal(t, http.StatusSeeOther, got.status, got.body)
			assert.Equal(t, "/thanks", got.location)
			assert.Equal(t, tt.searches, endpointRequests(s.gw, pointcheckouttest.EndpointFind))
			for _, u := range s.updates.list() {
				assert.Equal(t, id, u.CheckoutID)
			}
			assert.Equal(t, pointcheckout.StatusPaid, s.updates.orderStatus("ORD-1"))
		})
	}
}

// endpointRequests counts the requests the sandbox saw for ep.
func endpointRequests(gw *pointcheckouttest.Server, ep pointcheckouttest.Endpoint) int {
	n := 0
	for _, r := range gw.Requests() {
		if r.Endpoint == ep {
			n++
		}
	}
	return n
}

// TestAnswersReadTolerantlyVerifiedStrictly: the same value written
// differently is read; an answer that differs, or whose amount cannot be
// read in the currency it names, is a reported verification failure, never
// an outage retried for ever.
func TestAnswersReadTolerantlyVerifiedStrictly(t *testing.T) {
	tests := []struct {
		name   string
		order  string
		fault  pointcheckouttest.Fault
		status int
	}{
		{"numeric id", "ORD-1", pointcheckouttest.NumericID(), http.StatusSeeOther},
		{"three decimals for AED", "ORD-1", pointcheckouttest.AmountDigits(3), http.StatusSeeOther},
		{"no decimals for 100.00", "ORD-1", pointcheckouttest.AmountDigits(0), http.StatusSeeOther},
		{"12.345 KWD answered as 12.35", "ORD-KWD", pointcheckouttest.RoundedAmount(), http.StatusBadGateway},
		{"12.345 answered in USD", "ORD-KWD", pointcheckouttest.WrongCurrency(), http.StatusBadGateway},
		{"another currency, same digits", "ORD-1", pointcheckouttest.WrongCurrency(), http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newShop(t, harnessOpts{})
			b := s.browser()
			back, _ := s.checkoutAndPay(b, tt.order, pointcheckouttest.CardPaid, "pay")
			s.gw.InjectFault(pointcheckouttest.EndpointGet, 1, tt.fault)
			got := b.get(back.location)
			require.Equal(t, tt.status, got.status, got.body)
			if tt.status == http.StatusSeeOther {
				assert.Equal(t, pointcheckout.StatusPaid, s.updates.orderStatus(tt.order))
				return
			}
			assert.True(t, s.errs.has(pointcheckout.ErrVerification), "reported to OnError")
			assert.Equal(t, pointcheckout.StatusPending, s.updates.orderStatus(tt.order))
			assert.Equal(t, 1, endpointRequests(s.gw, pointcheckouttest.EndpointGet), "one get for the return, none retried")
			// The next answer is true again: the refresh records it.
			assert.Equal(t, http.StatusSeeOther, b.get(back.location).status)
		})
	}
	t.Run("create answered with a numeric id and trailing zeros", func(t *testing.T) {
		s := newShop(t, harnessOpts{})
		s.gw.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.NumericID())
		s.gw.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.AmountDigits(4))
		b := s.browser()
		back, _ := s.checkoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
		assert.Equal(t, "/thanks", b.get(back.location).location)
	})
}

// TestThreeDecimalAmountsAtPay: an amount with a non-zero third decimal is
// refused at /pay before any checkout exists, unless the client opts in,
// and a developer on the sandbox reads why on the page.
func TestThreeDecimalAmountsAtPay(t *testing.T) {
	s := newShop(t, harnessOpts{})
	f := s.mount(func(c *pointcheckout.Config) { c.Client = s.gw.Client() })
	got := payAt(s.browser(), f.srv.URL, "ORD-KWD")
	assert.Equal(t, http.StatusInternalServerError, got.status)
	assert.Contains(t, got.body, "third decimal", "named on the page with a gateway on loopback")
	assert.True(t, s.errs.has(pointcheckout.ErrInvalidRequest))
	assert.Empty(t, s.gw.Checkouts())
	assert.Equal(t, http.StatusSeeOther, payAt(s.browser(), f.srv.URL, "ORD-1").status, "two decimals are fine")
}

// TestReturnURLLength measures the return URL the gateway is given, for a
// typical shop origin; the README quotes the figure.
func TestReturnURLLength(t *testing.T) {
	s := newShop(t, harnessOpts{})
	f := s.mount(func(c *pointcheckout.Config) { c.ReturnBaseURL = "https://shop.example.com" })
	got := payAt(s.browser(), f.srv.URL, "ORD-1")
	require.Equal(t, http.StatusSeeOther, got.status, got.body)
	cos := s.gw.Checkouts()
	require.Len(t, cos, 1)
	u := cos[0].ReturnURL
	assert.True(t, strings.HasPrefix(u, "https://shop.example.com/pay/return?t="), u)
	assert.LessOrEqual(t, len(u), 200, u)
	t.Logf("return URL: %d characters (%s)", len(u), u)
}

// TestProgrammerErrorsAreLoggedByDefault: with no Logger, a mistake in the
// shop's Orders reaches slog.Default at Error level.
func TestProgrammerErrorsAreLoggedByDefault(t *testing.T) {
	var buf syncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	s := newShop(t, harnessOpts{})
	f := s.mount(func(c *pointcheckout.Config) {
		c.Logger = nil
		c.Orders = pointcheckout.OrdersFunc(func(*http.Request) (*pointcheckout.CheckoutRequest, error) {
			o := s.orders["ORD-1"]
			o.OrderID = "" // the shop's bug
			return &o, nil
		})
	})
	got := payAt(s.browser(), f.srv.URL, "ORD-1")
	assert.Equal(t, http.StatusInternalServerError, got.status)
	assert.Contains(t, got.body, "no order id")
	assert.Contains(t, buf.String(), "level=ERROR")
	assert.Contains(t, buf.String(), "no order id")
}

// TestConcurrentResolutionsShareGatewayCalls counts, at the sandbox and at
// the updater, what a burst on one checkout costs: concurrent returns and
// notifications share one gateway call and hand the updater one update; a
// pending checkout's polls are shared by everyone waiting on it.
func TestConcurrentResolutionsShareGatewayCalls(t *testing.T) {
	t.Run("50 concurrent returns", func(t *testing.T) {
		s := newShop(t, harnessOpts{})
		back, id := s.checkoutAndPay(s.browser(), "ORD-1", pointcheckouttest.CardPaid, "pay")
		s.gw.ResetRequests()
		before := len(s.updates.list())
		// The first get is slow, so every return arrives while it is in
		// flight.
		s.gw.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.Delay(300*time.Millisecond))
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				got := s.browser().get(back.location)
				assert.Equal(t, "/thanks", got.location)
			})
		}
		wg.Wait()
		gets := endpointRequests(s.gw, pointcheckouttest.EndpointGet)
		assert.Equal(t, 1, gets, "gateway calls")
		updates := s.updates.list()[before:]
		require.Len(t, updates, 1, "updater calls")
		assert.Equal(t, id, updates[0].CheckoutID)
		t.Logf("50 concurrent returns: %d gateway calls, %d updater calls", gets, len(updates))
	})
	t.Run("300 notifications", func(t *testing.T) {
		s := newShop(t, harnessOpts{})
		_, id := s.checkoutAndPay(s.browser(), "ORD-1", pointcheckouttest.CardPaid, "pay")
		s.gw.ResetRequests()
		before := len(s.updates.list())
		s.gw.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.Delay(300*time.Millisecond))
		var wg sync.WaitGroup
		var ok200 atomic.Int32
		for i := range 300 {
			wg.Go(func() {
				if i >= 200 {
					// The last hundred come just after: the answer of a
					// moment ago serves them.
					time.Sleep(400 * time.Millisecond)
				}
				resp, err := http.Post(s.shop.URL+"/pay/notify", "application/json", strings.NewReader(`{"checkoutId":"`+id+`"}`))
				if assert.NoError(t, err) {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						ok200.Add(1)
					}
				}
			})
		}
		wg.Wait()
		gets := endpointRequests(s.gw, pointcheckouttest.EndpointGet)
		assert.LessOrEqual(t, gets, 3, "gateway calls")
		assert.Equal(t, int32(300), ok200.Load())
		updates := len(s.updates.list()) - before
		assert.LessOrEqual(t, updates, gets, "at most one update per gateway call")
		t.Logf("300 notifications: %d gateway calls, %d updater calls", gets, updates)
	})
	t.Run("20 shoppers waiting on a pending checkout", func(t *testing.T) {
		s := newShop(t, harnessOpts{gwOpts: []pointcheckouttest.Option{pointcheckouttest.WithSettleDelay(time.Hour)}})
		const poll, wait = 50 * time.Millisecond, 500 * time.Millisecond
		f := s.mount(func(c *pointcheckout.Config) { c.PollTimeout, c.PollInterval = wait, poll })
		back, _ := s.checkoutAndPayAt(s.browser(), f.srv.URL, "ORD-1", pointcheckouttest.CardPaidLater, "pay")
		s.gw.ResetRequests()
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				got := s.browser().get(back.location)
				assert.Equal(t, http.StatusOK, got.status)
				assert.Contains(t, got.body, "Confirming your payment")
			})
		}
		wg.Wait()
		gets := endpointRequests(s.gw, pointcheckouttest.EndpointGet)
		// One waiter alone polls wait/poll+1 times; twenty share those
		// polls (give or take a straggler's first, fresh question).
		alone := int(wait/poll) + 1
		assert.LessOrEqual(t, gets, 2*alone, "gateway calls")
		assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending}, s.updates.statuses("ORD-1"), "pending is not handed over")
		t.Logf("20 shoppers on a pending checkout for %s, polling every %s: %d gateway calls (one shopper alone: %d)", wait, poll, gets, alone)
	})
}
