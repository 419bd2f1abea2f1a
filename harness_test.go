package pointcheckout_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// shopHarness is a minimal shop mounted behind the package's Middleware, a
// sandbox gateway, and a recording OrderUpdater: the whole flow over real
// HTTP on loopback.
type shopHarness struct {
	t       testing.TB
	gw      *pointcheckouttest.Server
	clock   *pointcheckouttest.Clock
	h       *pointcheckout.Handler
	shop    *httptest.Server
	keys    []pointcheckout.KeyPair
	updates *updateLog
	logs    *syncBuffer
	errs    *errorLog
	orders  map[string]pointcheckout.CheckoutRequest
}

type harnessOpts struct {
	gwOpts    []pointcheckouttest.Option
	configure func(*pointcheckout.Config)
}

func newShop(t testing.TB, opts harnessOpts) *shopHarness {
	t.Helper()
	clock := pointcheckouttest.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	gw := pointcheckouttest.NewServer(append([]pointcheckouttest.Option{pointcheckouttest.WithClock(clock.Now)}, opts.gwOpts...)...)
	t.Cleanup(gw.Close)
	key, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	s := &shopHarness{
		t: t, gw: gw, clock: clock, keys: []pointcheckout.KeyPair{key},
		updates: &updateLog{}, logs: &syncBuffer{}, errs: &errorLog{},
		orders: map[string]pointcheckout.CheckoutRequest{},
	}
	for _, o := range []struct {
		id     string
		minor  int64
		cur    string
		amount string
	}{{"ORD-1", 10000, "AED", ""}, {"ORD-2", 25050, "AED", ""}, {"ORD-KWD", 12345, "KWD", ""}, {"ORD-CHEAP", 100, "AED", ""}} {
		s.orders[o.id] = testOrder(t, o.id, o.minor, o.cur)
	}
	cfg := s.config()
	if opts.configure != nil {
		opts.configure(&cfg)
	}
	h, err := pointcheckout.New(cfg)
	require.NoError(t, err)
	s.h = h
	landing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if res, ok := pointcheckout.ResultFromContext(r.Context()); ok {
			fmt.Fprintf(w, "%s result: order=%s status=%s amount=%s\n", r.URL.Path, res.OrderID, res.Status, res.Amount)
			return
		}
		fmt.Fprintf(w, "%s no result\n", r.URL.Path)
	})
	s.shop = httptest.NewServer(h.Middleware(landing))
	t.Cleanup(s.shop.Close)
	return s
}

func testOrder(t testing.TB, id string, minor int64, cur string) pointcheckout.CheckoutRequest {
	amount, err := pointcheckout.NewMoney(minor, cur)
	require.NoError(t, err)
	return pointcheckout.CheckoutRequest{
		OrderID: id,
		Amount:  amount,
		Items:   []pointcheckout.Item{{Name: "Dates, 1 kg", Quantity: 1, LineTotal: amount}},
		Customer: pointcheckout.Customer{
			FirstName: "Test", LastName: "Shopper", Email: "shopper@example.com",
		},
		BillingAddress: pointcheckout.Address{Name: "Test Shopper", Address1: "1 Palm St", City: "Dubai", Country: "AE"},
	}
}

// browser is one shopper's browser: a cookie jar, no automatic redirects.
type browser struct {
	t      testing.TB
	client *http.Client
}

func (s *shopHarness) browser() *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(s.t, err)
	return &browser{t: s.t, client: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	status   int
	location string
	body     string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}
}

func (b *browser) get(rawURL string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	require.NoError(b.t, err)
	return b.do(req)
}

func (b *browser) postForm(rawURL string, form url.Values, header http.Header) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	return b.do(req)
}

// pay posts the shop's checkout form for order and returns the answer of
// POST /pay (a 303 to the payment page when all is well).
func (s *shopHarness) pay(b *browser, order string) page {
	s.t.Helper()
	return b.postForm(s.shop.URL+"/pay", url.Values{"order": {order}}, http.Header{"Sec-Fetch-Site": {"same-origin"}})
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// submitCard fills the hosted payment page at pageURL like a shopper and
// returns the gateway's answer (a 303 to the shop's return URL when the
// attempt is over).
func (b *browser) submitCard(pageURL, number, action string) page {
	b.t.Helper()
	form := b.get(pageURL)
	require.Equal(b.t, http.StatusOK, form.status, form.body)
	m := csrfField.FindStringSubmatch(form.body)
	require.NotNil(b.t, m, "payment page has no csrf field")
	origin := pageURL[:strings.Index(pageURL, "/checkout/")]
	return b.postForm(pageURL, url.Values{
		"csrf": {m[1]}, "card_number": {number}, "expiry": {pointcheckouttest.TestExpiry},
		"cvv": {pointcheckouttest.TestCVV}, "card_name": {pointcheckouttest.TestName},
		"terms": {"accepted"}, "action": {action},
	}, http.Header{"Origin": {origin}})
}

// follow GETs a redirect target relative to base.
func (b *browser) follow(base string, p page) page {
	b.t.Helper()
	require.Contains(b.t, []int{http.StatusSeeOther, http.StatusFound}, p.status, p.body)
	u, err := url.Parse(base)
	require.NoError(b.t, err)
	loc, err := u.Parse(p.location)
	require.NoError(b.t, err)
	return b.get(loc.String())
}

// checkoutAndPay runs POST /pay and the payment page with card, and returns
// the gateway's redirect back to the shop plus the checkout id.
func (s *shopHarness) checkoutAndPay(b *browser, order, card, action string) (page, string) {
	s.t.Helper()
	p := s.pay(b, order)
	require.Equal(s.t, http.StatusSeeOther, p.status, p.body)
	require.True(s.t, strings.HasPrefix(p.location, s.gw.URL+"/checkout/"), "redirect %q not to the gateway", p.location)
	id := s.checkoutIDFor(p.location)
	back := b.submitCard(p.location, card, action)
	require.Equal(s.t, http.StatusSeeOther, back.status, back.body)
	require.True(s.t, strings.HasPrefix(back.location, s.shop.URL+"/pay/return?"), "gateway sent the shopper to %q", back.location)
	return back, id
}

// checkoutIDFor finds the checkout whose payment page is pageURL.
func (s *shopHarness) checkoutIDFor(pageURL string) string {
	s.t.Helper()
	for _, c := range s.gw.Checkouts() {
		if c.RedirectURL == pageURL {
			return c.ID
		}
	}
	s.t.Fatalf("no checkout has page %s", pageURL)
	return ""
}

// returnURL is the return URL the shop gave the gateway for checkout id.
func (s *shopHarness) returnURL(id string) string {
	s.t.Helper()
	c, ok := s.gw.Checkout(id)
	require.True(s.t, ok)
	return c.ReturnURL
}

func (s *shopHarness) cookie(b *browser, name string) *http.Cookie {
	u, _ := url.Parse(s.shop.URL + "/pay/return")
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// updateLog is an OrderUpdater that records every update, applies the
// forward rule per order, can be told to fail, and finds Refs for notify.
type updateLog struct {
	mu       sync.Mutex
	all      []pointcheckout.Update
	status   map[string]pointcheckout.Status
	refs     map[string]pointcheckout.Ref
	failNext int
	failWith error
}

func (l *updateLog) UpdateOrder(_ context.Context, u pointcheckout.Update) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failNext > 0 {
		l.failNext--
		if l.failWith != nil {
			return l.failWith
		}
		return errors.New("database is locked")
	}
	if l.status == nil {
		l.status, l.refs = map[string]pointcheckout.Status{}, map[string]pointcheckout.Ref{}
	}
	l.all = append(l.all, u)
	if cur := l.status[u.OrderID]; cur.CanBecome(u.Status) || u.Source == pointcheckout.SourcePay {
		l.status[u.OrderID] = u.Status
	}
	if u.Source == pointcheckout.SourcePay {
		l.refs[u.CheckoutID] = u.Ref
	}
	return nil
}

func (l *updateLog) FindRef(_ context.Context, id string) (pointcheckout.Ref, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ref, ok := l.refs[id]
	if !ok {
		return ref, pointcheckout.ErrNotFound
	}
	return ref, nil
}

// FindRefByRequestID finds a Ref the SourcePay update recorded.
func (l *updateLog) FindRefByRequestID(_ context.Context, requestID string) (pointcheckout.Ref, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ref := range l.refs {
		if ref.RequestID == requestID {
			return ref, nil
		}
	}
	return pointcheckout.Ref{}, pointcheckout.ErrNotFound
}

func (l *updateLog) failTimes(n int) {
	l.mu.Lock()
	l.failNext = n
	l.mu.Unlock()
}

func (l *updateLog) list() []pointcheckout.Update {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]pointcheckout.Update(nil), l.all...)
}

func (l *updateLog) statuses(order string) []pointcheckout.Status {
	var out []pointcheckout.Status
	for _, u := range l.list() {
		if u.OrderID == order {
			out = append(out, u.Status)
		}
	}
	return out
}

func (l *updateLog) orderStatus(order string) pointcheckout.Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status[order]
}

func (l *updateLog) refFor(checkoutID string) pointcheckout.Ref {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refs[checkoutID]
}

// errorLog records what the handler reported to OnError.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (e *errorLog) add(_ *http.Request, err error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

func (e *errorLog) has(target error) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, err := range e.errs {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// syncBuffer is a log sink safe for concurrent handlers.
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
