package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// flowTimeout bounds one flow, so a stuck request cannot hold the run
// past its deadline for long.
const flowTimeout = 30 * time.Second

// dialCounter counts the connections a shopper's browser opens, per
// destination.
type dialCounter struct {
	gatewayHost string
	shop        atomic.Int64
	gateway     atomic.Int64
}

// shopper is one browser: its own keep-alive connection pool, and a fresh
// cookie jar for every flow (a new visitor each time).
type shopper struct {
	env       *environment
	transport *http.Transport
	page      bool
	failEvery int
}

func newShopper(env *environment, dials *dialCounter, page bool, failEvery int) *shopper {
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		Proxy: nil, // loopback only: no proxy may intervene
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == dials.gatewayHost {
				dials.gateway.Add(1)
			} else {
				dials.shop.Add(1)
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     time.Minute,
	}
	return &shopper{env: env, transport: tr, page: page, failEvery: failEvery}
}

// flow runs flow number i: a new order, paid or declined, end to end.
func (s *shopper) flow(ctx context.Context, i int) error {
	if s.env.ext != nil {
		return s.shopFlow(ctx, i)
	}
	ctx, cancel := context.WithTimeout(ctx, flowTimeout)
	defer cancel()
	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	b := &browser{ctx: ctx, hc: &http.Client{
		Transport:     s.transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	order := fmt.Sprintf("%s-%07d", s.env.runID, i)
	amount, err := pointcheckout.NewMoney(int64(1000+i%997), "AED")
	if err != nil {
		return err
	}
	s.env.catalog.add(order, amount)
	declined := declines(i, s.failEvery)

	// 1. The checkout form.
	p, err := b.post(s.env.shopURL+"/pay", url.Values{"order": {order}}, http.Header{"Sec-Fetch-Site": {"same-origin"}})
	if err != nil {
		return fmt.Errorf("pay: %w", err)
	}
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, s.env.gatewayURL+"/checkout/") {
		return fmt.Errorf("pay: got %d to %q: %.200s", p.status, p.location, p.body)
	}

	// 2. The payment.
	var back string
	if s.page {
		back, err = b.payOnPage(p.location, declined)
	} else {
		back, err = s.complete(order, declined)
	}
	if err != nil {
		return fmt.Errorf("payment: %w", err)
	}

	// 3. The return, which must lead back to the shop (and so to loopback)
	// whatever the gateway answered.
	if !strings.HasPrefix(back, s.env.shopURL+"/") {
		return fmt.Errorf("payment: the gateway sent the shopper to %q, not back to the shop", back)
	}
	r, err := b.get(back)
	if err != nil {
		return fmt.Errorf("return: %w", err)
	}
	want := "/thanks"
	if declined {
		want = "/sorry"
	}
	if r.status != http.StatusSeeOther || r.location != want {
		return fmt.Errorf("return: got %d to %q, want 303 to %s: %.200s", r.status, r.location, want, r.body)
	}

	// 4. The landing page.
	l, err := b.get(s.env.shopURL + want)
	if err != nil {
		return fmt.Errorf("landing: %w", err)
	}
	status := pointcheckout.StatusPaid
	if declined {
		status = pointcheckout.StatusFailed
	}
	if wantBody := fmt.Sprintf("%s order=%s status=%s\n", want, order, status); l.status != http.StatusOK || l.body != wantBody {
		return fmt.Errorf("landing: got %d %q, want %q", l.status, l.body, wantBody)
	}
	return nil
}

// declines reports whether flow i pays with a card that is declined: every
// failEvery'th does (none when failEvery is 0).
func declines(i, failEvery int) bool { return failEvery > 0 && i%failEvery == failEvery-1 }

// complete settles the order's checkout through the sandbox's test hook
// and returns the return URL the shop gave the gateway.
func (s *shopper) complete(order string, declined bool) (string, error) {
	o, ok := s.env.book.get(order)
	if !ok || len(o.attempts) == 0 {
		return "", fmt.Errorf("the shop recorded no checkout for %s", order)
	}
	id := o.attempts[len(o.attempts)-1].Ref.CheckoutID
	status := pointcheckout.StatusPaid
	if declined {
		status = pointcheckout.StatusFailed
	}
	if err := s.env.sandbox.Complete(id, status); err != nil {
		return "", err
	}
	co, ok := s.env.sandbox.Checkout(id)
	if !ok {
		return "", fmt.Errorf("checkout %s vanished", id)
	}
	return co.ReturnURL, nil
}

// browser is one visit: a cookie jar over the shopper's connections.
type browser struct {
	ctx context.Context
	hc  *http.Client
	// header is sent with every request to the shop (not to the gateway).
	header http.Header
}

type answer struct {
	status   int
	location string
	body     string
}

// maxPage bounds what is read of any page.
const maxPage = 256 << 10

func (b *browser) do(req *http.Request) (answer, error) {
	if len(b.header) > 0 && !strings.Contains(req.URL.Path, "/checkout/") {
		for k, v := range b.header {
			req.Header[k] = v
		}
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	if err != nil {
		return answer{}, err
	}
	return answer{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}, nil
}

func (b *browser) get(rawURL string) (answer, error) {
	req, err := http.NewRequestWithContext(b.ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return answer{}, err
	}
	return b.do(req)
}

func (b *browser) post(rawURL string, form url.Values, h http.Header) (answer, error) {
	req, err := http.NewRequestWithContext(b.ctx, http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range h {
		req.Header[k] = v
	}
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// payOnPage fills the hosted payment page like a shopper and returns where
// the gateway sends them back to.
func (b *browser) payOnPage(pageURL string, declined bool) (string, error) {
	form, err := b.get(pageURL)
	if err != nil {
		return "", err
	}
	m := csrfField.FindStringSubmatch(form.body)
	if form.status != http.StatusOK || m == nil {
		return "", fmt.Errorf("payment page: got %d without a form", form.status)
	}
	card := pointcheckouttest.CardPaid
	if declined {
		card = pointcheckouttest.CardDeclined
	}
	origin := pageURL[:strings.Index(pageURL, "/checkout/")]
	p, err := b.post(pageURL, url.Values{
		"csrf": {m[1]}, "card_number": {card}, "expiry": {pointcheckouttest.TestExpiry},
		"cvv": {pointcheckouttest.TestCVV}, "card_name": {pointcheckouttest.TestName},
		"terms": {"accepted"}, "action": {"pay"},
	}, http.Header{"Origin": {origin}})
	if err != nil {
		return "", err
	}
	if p.status != http.StatusSeeOther || p.location == "" {
		return "", fmt.Errorf("payment page: got %d: %.200s", p.status, p.body)
	}
	return p.location, nil
}
