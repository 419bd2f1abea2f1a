package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// The external mode (-shop) drives a running demo shop (examples/shop, or
// several instances of it behind a load balancer) through its own pages,
// paying on a running pointcheckout-sandbox (-gateway), and checks the
// shop's records (its password-protected /admin/orders.json) against the
// gateway's (the sandbox's -inspect listing) once the run has settled.

// externalShop is what the external mode knows about the shop and the
// gateway besides their URLs.
type externalShop struct {
	adminPassword string
	inspectURL    string
	settle        time.Duration
	abandonEvery  int
	hc            *http.Client

	mu     sync.Mutex
	orders map[int]string // flow → the shop's order id
}

// Products the shoppers buy, from the demo shop's catalog.
var externalProducts = []string{"coffee", "dates", "saffron", "oud"}

// orderPayPath is where the demo shop sends a card order after checkout;
// orderLink is an order on the shopper's list of orders.
var (
	orderPayPath = regexp.MustCompile(`^/orders/(SO-[A-Z0-9]+)/pay$`)
	orderLink    = regexp.MustCompile(`href="/orders/(SO-[A-Z0-9]+)"`)
)

// externalRetries is how often a shopper tries a step again after the
// shop answered an error (an instance gone, a payment that could not be
// started while the gateway fails), as a person would.
const externalRetries = 10

// shopFlow runs flow number i through the demo shop's pages: cart,
// checkout form, /pay, the hosted payment page, the return and the
// confirmation page (every -abandon-every'th shopper leaves at the payment
// page instead). Each flow comes from its own client address, as seen
// through the load balancer (X-Forwarded-For), so per-client limits apply
// to it alone.
func (s *shopper) shopFlow(ctx context.Context, i int) error {
	ctx, cancel := context.WithTimeout(ctx, flowTimeout)
	defer cancel()
	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	shop := s.env.shopURL
	b := &browser{ctx: ctx, hc: &http.Client{
		Transport:     s.transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, header: http.Header{
		"X-Forwarded-For": {fmt.Sprintf("10.%d.%d.%d", i>>16&0xff, i>>8&0xff, i&0xff)},
	}}
	same := http.Header{"Origin": {shop}, "Sec-Fetch-Site": {"same-origin"}}
	declined := declines(i, s.failEvery)

	product := externalProducts[i%len(externalProducts)]
	if _, err := b.retry(func() (answer, error) {
		return b.post(shop+"/cart/add", url.Values{"product": {product}, "qty": {"1"}}, same)
	}, http.StatusSeeOther); err != nil {
		return fmt.Errorf("cart: %w", err)
	}
	placed, err := b.retry(func() (answer, error) {
		return b.post(shop+"/checkout", url.Values{
			"first_name": {"Load"}, "last_name": {"Shopper"}, "email": {"shopper@example.com"},
			"address": {"1 Palm St"}, "city": {"Dubai"}, "country": {"AE"}, "method": {"card"},
		}, same)
	}, http.StatusSeeOther)
	if err != nil {
		return fmt.Errorf("checkout: %w", err)
	}
	m := orderPayPath.FindStringSubmatch(placed.location)
	if m == nil && placed.location == "/cart" {
		// An instance placed the order (and emptied the cart) but died
		// before it answered; the retry found an empty cart. The order is
		// on the shopper's list, as a person would find it.
		list, err := b.retry(func() (answer, error) { return b.get(shop + "/orders") }, http.StatusOK)
		if err != nil {
			return fmt.Errorf("orders: %w", err)
		}
		m = orderLink.FindStringSubmatch(list.body)
	}
	if m == nil {
		return fmt.Errorf("checkout: sent to %q, not to an order's payment", placed.location)
	}
	order := m[1]
	s.env.ext.mu.Lock()
	s.env.ext.orders[i] = order
	s.env.ext.mu.Unlock()

	p, err := b.retry(func() (answer, error) {
		return b.post(shop+"/pay", url.Values{"order_id": {order}}, same)
	}, http.StatusSeeOther)
	if err != nil {
		return fmt.Errorf("pay %s: %w", order, err)
	}
	if !strings.HasPrefix(p.location, s.env.gatewayURL+"/checkout/") {
		return fmt.Errorf("pay %s: sent to %q, not to the payment page", order, p.location)
	}
	if declines(i, s.env.ext.abandonEvery) {
		// The shopper looks at the payment page and leaves.
		if _, err := b.retry(func() (answer, error) { return b.get(p.location) }, http.StatusOK); err != nil {
			return fmt.Errorf("payment page %s: %w", order, err)
		}
		return nil
	}
	back, err := b.payOnPage(p.location, declined)
	if err != nil {
		return fmt.Errorf("payment %s: %w", order, err)
	}
	if !strings.HasPrefix(back, shop+"/") {
		return fmt.Errorf("payment %s: the gateway sent the shopper to %q, not back to the shop", order, back)
	}
	// The return: while the shop cannot confirm yet (the gateway is
	// failing), it shows a page that reloads itself; a browser follows.
	var r answer
	for try := 0; ; try++ {
		r, err = b.get(back)
		if err == nil && r.status == http.StatusSeeOther {
			break
		}
		if try == 20 {
			return fmt.Errorf("return %s: got %d, %v: %.200s", order, r.status, err, r.body)
		}
		if !sleepCtx(ctx, time.Second) {
			return ctx.Err()
		}
	}
	if r.location != "/checkout/result" {
		return fmt.Errorf("return %s: sent to %q", order, r.location)
	}
	l, err := b.retry(func() (answer, error) { return b.get(shop + r.location) }, http.StatusOK)
	if err != nil {
		return fmt.Errorf("confirmation %s: %w", order, err)
	}
	want := pointcheckout.PaymentPaid
	if declined {
		want = pointcheckout.PaymentFailed
	}
	if !strings.Contains(l.body, `data-order="`+order+`" data-status="`+string(want)+`"`) {
		return fmt.Errorf("confirmation %s: not %s: %.300s", order, want, l.body)
	}
	return nil
}

// retry runs step until it answers want, at most externalRetries more
// times after an error or a 5xx (a shop instance that went away).
func (b *browser) retry(step func() (answer, error), want int) (answer, error) {
	for try := 0; ; try++ {
		a, err := step()
		if err == nil && a.status == want {
			return a, nil
		}
		if try == externalRetries || (err == nil && a.status < 500) {
			if err != nil {
				return a, err
			}
			return a, fmt.Errorf("got %d, want %d: %.200s", a.status, want, a.body)
		}
		if !sleepCtx(b.ctx, 200*time.Millisecond) {
			return a, b.ctx.Err()
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// exportedOrder is one order of the demo shop's /admin/orders.json.
type exportedOrder struct {
	ID       string
	Payment  pointcheckout.PaymentState
	Attempts []struct {
		CheckoutID string
		Status     pointcheckout.Status
	}
	Changes []struct{ Before, After pointcheckout.PaymentState }
}

// inspectedCheckout is one checkout of the sandbox's /checkouts.
type inspectedCheckout struct {
	ID      string
	OrderID string
	Status  pointcheckout.Status
}

// verifyExternal compares the run's orders in the shop with the gateway's
// checkouts, again and again until they agree or -settle has passed: the
// shop hears of a payment whose return was lost only when a notification
// or a sweep gets through.
func (r *report) verifyExternal(ctx context.Context, e *environment) {
	deadline := time.Now().Add(e.ext.settle)
	for {
		check := &report{orphansAllowed: true}
		if err := check.compareExternal(ctx, e); err != nil {
			check.mismatch("%v", err)
		}
		if check.Mismatches == 0 || time.Now().After(deadline) || !sleepCtx(ctx, 2*time.Second) {
			r.Checked, r.Mismatches, r.MismatchSamples = check.Checked, check.Mismatches, check.MismatchSamples
			r.Paid, r.PaidChanges, r.Orphans = check.Paid, check.PaidChanges, check.Orphans
			r.Settled = e.ext.settle - time.Until(deadline)
			return
		}
	}
}

// compareExternal is one comparison of verifyExternal.
func (r *report) compareExternal(ctx context.Context, e *environment) error {
	var orders []exportedOrder
	if err := e.ext.getJSON(ctx, e.shopURL+"/admin/orders.json", true, &orders); err != nil {
		return fmt.Errorf("the shop's orders: %w", err)
	}
	var checkouts []inspectedCheckout
	if err := e.ext.getJSON(ctx, e.ext.inspectURL+"/checkouts", false, &checkouts); err != nil {
		return fmt.Errorf("the gateway's checkouts: %w", err)
	}
	byID := make(map[string]exportedOrder, len(orders))
	for _, o := range orders {
		byID[o.ID] = o
	}
	gw := map[string][]gatewayView{}
	for _, c := range checkouts {
		gw[c.OrderID] = append(gw[c.OrderID], gatewayView{c.ID, c.Status})
	}
	e.ext.mu.Lock()
	defer e.ext.mu.Unlock()
	for _, id := range e.ext.orders {
		o, ok := byID[id]
		if !ok {
			r.mismatch("%s: placed, but not in the shop's orders", id)
			continue
		}
		book := bookOrder{state: o.Payment}
		for _, a := range o.Attempts {
			book.attempts = append(book.attempts, pointcheckout.Attempt{Ref: pointcheckout.Ref{CheckoutID: a.CheckoutID}, Status: a.Status})
		}
		for _, c := range o.Changes {
			if !c.Before.TookMoney() && c.After.TookMoney() {
				book.paid++
			}
		}
		r.Checked++
		r.checkOrder(id, gw[id], book)
	}
	return nil
}

// getJSON reads a JSON answer, with the admin password if admin.
func (x *externalShop) getJSON(ctx context.Context, u string, admin bool, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if admin {
		req.SetBasicAuth("admin", x.adminPassword)
	}
	resp, err := x.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
