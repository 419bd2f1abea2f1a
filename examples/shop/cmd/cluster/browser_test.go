//go:build linux

package main

import (
	"context"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/pointcheckout-go/pointcheckout/examples/shop/internal/browsertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// servedBy records which instance answered each request of the tab, by
// method and path, from the X-Shop-Instance header (redirects included).
type servedBy struct {
	mu      sync.Mutex
	methods map[network.RequestID]string
	got     map[string][]string
}

func watchInstances(tab context.Context) *servedBy {
	s := &servedBy{methods: map[network.RequestID]string{}, got: map[string][]string{}}
	sent := chromedp.Events(tab, network.RequestWillBeSent) // subscribed before any request
	received := chromedp.Events(tab, network.ResponseReceived)
	go func() {
		for ev, err := range sent {
			if err != nil {
				return
			}
			if ev.RedirectResponse != nil {
				s.record(ev.RequestID, ev.RedirectResponse)
			}
			s.mu.Lock()
			s.methods[ev.RequestID] = ev.Request.Method
			s.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range received {
			if err != nil {
				return
			}
			s.record(ev.RequestID, ev.Response)
		}
	}()
	return s
}

func (s *servedBy) record(id network.RequestID, resp *network.Response) {
	u, err := url.Parse(resp.URL)
	if err != nil {
		return
	}
	// HAProxy sends header names in lower case.
	var name string
	for k, v := range resp.Headers {
		if strings.EqualFold(k, "X-Shop-Instance") {
			name, _ = v.(string)
		}
	}
	if name == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := s.methods[id] + " " + u.Path
	s.got[key] = append(s.got[key], name)
}

// of returns the instances that answered method and path, in order.
func (s *servedBy) of(method, path string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got[method+" "+path]...)
}

// reachPaymentPage waits until the tab, which has just asked to pay, is on
// the gateway's payment page, and says how many times the shopper pressed
// pay. The cluster's gateway fails a quarter of its API requests and a
// create is never retried, so /pay can answer that the payment could not
// be started; the shopper then pays again from the order page, as that
// page invites, a few times at most.
func reachPaymentPage(t *testing.T, tab context.Context, c *Cluster, in *Instance) int {
	t.Helper()
	const most = 6
	for try := 1; ; try++ {
		browsertest.Do(t, tab, "wait for the payment page or the shop's error page",
			chromedp.WaitVisible(chromedp.CSS("#card-number, #error-message")),
		)
		if strings.HasPrefix(browsertest.Location(t, tab), c.GatewayURL+"/checkout/") {
			return try
		}
		require.Less(t, try, most, "the payment could not be started %d times:\n%s", try, logOf(t, in))
		t.Logf("try %d: %s", try, browsertest.Text(t, tab, "#error-message"))
		browsertest.Do(t, tab, "pay again from the order page",
			chromedp.Navigate(c.URL+"/orders"),
			chromedp.Click(chromedp.CSS("table.lines a")),
			chromedp.WaitVisible(chromedp.CSS("#pay-again")),
			chromedp.Click(chromedp.CSS("#pay-again")),
		)
	}
}

// TestBrowserAcrossInstances pays an order through the load balancer with
// the three steps of a payment on three instances: /pay on shop-1, the
// gateway's notification on shop-3, the shopper's return on shop-2. The
// test steers the load balancer by taking instances out of its rotation
// (as a rolling deploy would) and reads the X-Shop-Instance headers and the
// instances' logs to prove where each step ran. The confirmation page and
// the admin page, both served from the shared database, show the order
// paid.
func TestBrowserAcrossInstances(t *testing.T) {
	c := testCluster(t)
	t.Cleanup(func() { _ = c.Route() })
	tab := browsertest.New(t)
	served := watchInstances(tab)
	shop1, shop2, shop3 := c.Instances[0], c.Instances[1], c.Instances[2]

	// 1. Cart, checkout and /pay on shop-1.
	require.NoError(t, c.Route(shop1.Name))
	browsertest.Do(t, tab, "shop and check out",
		chromedp.Navigate(c.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#add-coffee")),
		chromedp.Click(chromedp.CSS("#add-coffee")),
		chromedp.WaitVisible(chromedp.CSS("#to-checkout")),
		chromedp.Click(chromedp.CSS("#to-checkout")),
		chromedp.WaitVisible(chromedp.CSS("#checkout-form")),
		chromedp.SendKeys(chromedp.CSS("#first_name"), "Test"),
		chromedp.SendKeys(chromedp.CSS("#last_name"), "User"),
		chromedp.SendKeys(chromedp.CSS("#email"), "test.user@example.com"),
		chromedp.SendKeys(chromedp.CSS("#address"), "1 Sheikh Zayed Road"),
		chromedp.SendKeys(chromedp.CSS("#city"), "Dubai"),
		chromedp.SetValue(chromedp.CSS("#country"), "AE"),
		chromedp.Click(chromedp.CSS("#method-card")),
		chromedp.Click(chromedp.CSS("#place-order")),
	)
	tries := reachPaymentPage(t, tab, c, shop1)
	page := browsertest.Location(t, tab)
	require.True(t, strings.HasPrefix(page, c.GatewayURL+"/checkout/"), "on the gateway's payment page: %s", page)
	assert.Equal(t, slices.Repeat([]string{shop1.Name}, tries), served.of("POST", "/pay"), "/pay served by shop-1")
	var orderID string
	for _, line := range logLines(t, shop1, "source=pay", "after=pending") {
		if i := strings.Index(line, "order_id="); i >= 0 {
			orderID = strings.Fields(line[i+len("order_id="):])[0]
		}
	}
	require.NotEmpty(t, orderID, "shop-1 recorded the attempt:\n%s", logOf(t, shop1))

	// 2. The shopper pays; the gateway's notification reaches shop-3,
	// while the browser's way back is held.
	require.NoError(t, c.Route(shop3.Name))
	paused := make(chan fetch.RequestID, 1)
	events := chromedp.Events(tab, fetch.RequestPaused) // subscribed before enabling
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			select {
			case paused <- ev.RequestID:
			default:
			}
		}
	}()
	browsertest.Call(t, tab, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: c.URL + "/pay/return*", RequestStage: fetch.RequestStageRequest}},
	})
	browsertest.Do(t, tab, "pay with the test card",
		chromedp.SendKeys(chromedp.CSS("#card-number"), "4242 4242 4242 4242"),
		chromedp.SendKeys(chromedp.CSS("#expiry"), "12/25"),
		chromedp.SendKeys(chromedp.CSS("#cvv"), "100"),
		chromedp.SendKeys(chromedp.CSS("#card-name"), "TEST USER"),
		chromedp.Click(chromedp.CSS("#terms")),
		chromedp.Click(chromedp.CSS("button.pay")),
	)
	var held fetch.RequestID
	select {
	case held = <-paused:
	case <-time.After(browsertest.StepTimeout):
		t.Fatal("the payment page never sent the shopper back")
	}
	require.Eventually(t, func() bool {
		return len(logLines(t, shop3, "source=notify", orderID, "after=paid")) > 0
	}, browsertest.StepTimeout, 50*time.Millisecond, "shop-3 applies the notification")

	// 3. The return, and the confirmation page, on shop-2.
	require.NoError(t, c.Route(shop2.Name))
	browsertest.Call(t, tab, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: held})
	browsertest.Call(t, tab, fetch.Disable, cdp.Empty{})
	browsertest.Do(t, tab, "back on the shop", chromedp.WaitVisible(chromedp.CSS("#order-status")))
	assert.Equal(t, "Paid", browsertest.Text(t, tab, "#order-status"))
	assert.Equal(t, "Thank you for your order", browsertest.Text(t, tab, "h1"))
	assert.Equal(t, orderID, browsertest.Text(t, tab, "#order-id"))
	assert.Equal(t, []string{shop2.Name}, served.of("GET", "/pay/return"), "the return served by shop-2")
	assert.Equal(t, []string{shop2.Name}, served.of("GET", "/checkout/result"), "the confirmation served by shop-2")
	assert.NotEmpty(t, logLines(t, shop2, "source=return", "status=PAID"), "shop-2 verified the return")

	// Each step ran on its own instance only.
	for _, in := range []*Instance{shop2, shop3} {
		assert.Empty(t, logLines(t, in, "source=pay", orderID), "/pay only on shop-1")
	}
	for _, in := range []*Instance{shop1, shop2} {
		assert.Empty(t, logLines(t, in, "source=notify", orderID), "the notification only on shop-3")
	}

	// 4. The admin page, from whichever instance, shows the order paid.
	require.NoError(t, c.Route())
	auth := base64.StdEncoding.EncodeToString([]byte("admin:" + c.AdminPassword))
	browsertest.Call(t, tab, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": "Basic " + auth}})
	browsertest.Do(t, tab, "open the admin page", chromedp.Navigate(c.URL+"/admin"), chromedp.WaitVisible(chromedp.CSS("#admin-"+orderID)))
	assert.Equal(t, "paid", browsertest.Text(t, tab, "#admin-"+orderID+" .badge"))
}
