package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/examples/shop/internal/browsertest"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// screenshotDir is where the test writes its screenshots: SHOP_SCREENSHOTS,
// or screenshots/ beside the test.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SHOP_SCREENSHOTS")
	if dir == "" {
		dir = "screenshots"
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// shoot writes a full-page PNG of the tab.
func shoot(t *testing.T, tab context.Context, dir, name string) {
	t.Helper()
	var png []byte
	err := browsertest.Within(tab, func(ctx context.Context) (err error) {
		png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
		return err
	})
	require.NoError(t, err, "screenshot %s", name)
	path := filepath.Join(dir, name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
}

// card is what a shopper types on the payment page.
type card struct{ number, expiry, cvv, name string }

// testCard is the documented PointCheckout test card, as printed.
var testCard = card{"4242 4242 4242 4242", "12/25", "100", "TEST USER"}

// checkoutToPaymentPage adds a product from the home page, checks out with
// the card method and waits for the sandbox's payment page. With a dir it
// takes screenshots on the way.
func checkoutToPaymentPage(t *testing.T, tab context.Context, ts *testShop, product, dir string) {
	t.Helper()
	browsertest.Do(t, tab, "open the shop", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#product-"+product)))
	if dir != "" {
		shoot(t, tab, dir, "01-shop")
	}
	browsertest.Do(t, tab, "add to cart", chromedp.Click(chromedp.CSS("#add-"+product)), chromedp.WaitVisible(chromedp.CSS("#to-checkout")))
	if dir != "" {
		shoot(t, tab, dir, "02-cart")
	}
	browsertest.Do(t, tab, "fill in the checkout form",
		chromedp.Click(chromedp.CSS("#to-checkout")),
		chromedp.WaitVisible(chromedp.CSS("#checkout-form")),
		chromedp.SendKeys(chromedp.CSS("#first_name"), "Test"),
		chromedp.SendKeys(chromedp.CSS("#last_name"), "User"),
		chromedp.SendKeys(chromedp.CSS("#email"), "test.user@example.com"),
		chromedp.SendKeys(chromedp.CSS("#address"), "1 Sheikh Zayed Road"),
		chromedp.SendKeys(chromedp.CSS("#city"), "Dubai"),
		chromedp.SetValue(chromedp.CSS("#country"), "AE"),
		chromedp.Click(chromedp.CSS("#method-card")),
	)
	if dir != "" {
		shoot(t, tab, dir, "03-checkout")
	}
	browsertest.Do(t, tab, "place the order and reach the payment page",
		chromedp.Click(chromedp.CSS("#place-order")),
		chromedp.WaitVisible(chromedp.CSS("#card-number")),
	)
	require.True(t, strings.HasPrefix(browsertest.Location(t, tab), ts.sandbox.URL+"/checkout/"), "on the sandbox payment page")
}

// fillCard types a card on the payment page and accepts the terms.
func fillCard(t *testing.T, tab context.Context, c card) {
	t.Helper()
	browsertest.Do(t, tab, "fill in the card",
		chromedp.SendKeys(chromedp.CSS("#card-number"), c.number),
		chromedp.SendKeys(chromedp.CSS("#expiry"), c.expiry),
		chromedp.SendKeys(chromedp.CSS("#cvv"), c.cvv),
		chromedp.SendKeys(chromedp.CSS("#card-name"), c.name),
		chromedp.Click(chromedp.CSS("#terms")),
	)
}

// adminStatus waits for the order's row on the admin page and returns the
// status it shows.
func adminStatus(t *testing.T, tab context.Context, ts *testShop, orderID string) string {
	t.Helper()
	sel := "#admin-" + orderID
	browsertest.Do(t, tab, "open the admin page", chromedp.Navigate(ts.URL+"/admin"), chromedp.WaitVisible(chromedp.CSS(sel)))
	return browsertest.Text(t, tab, sel+" .badge")
}

func TestBrowser(t *testing.T) {
	browser := browsertest.New(t)
	ts := newTestShop(t)
	dir := screenshotDir(t)
	ctx := context.Background()

	t.Run("pay with the test card", func(t *testing.T) {
		tab := browsertest.NewTab(t, browser)
		checkoutToPaymentPage(t, tab, ts, "coffee", dir)
		assert.Equal(t, "120.00 AED", browsertest.Text(t, tab, "#amount"), "the payment page charges the catalog price")
		fillCard(t, tab, testCard)
		shoot(t, tab, dir, "04-payment-page")

		browsertest.Do(t, tab, "pay", chromedp.Click(chromedp.CSS("button.pay")), chromedp.WaitVisible(chromedp.CSS("#order-status")))
		assert.Equal(t, ts.URL+resultPath, browsertest.Location(t, tab))
		assert.Equal(t, "Paid", browsertest.Text(t, tab, "#order-status"))
		assert.Equal(t, "Thank you for your order", browsertest.Text(t, tab, "h1"))
		assert.Contains(t, browsertest.Text(t, tab, "#paid-note"), "Your payment of 120.00 AED is confirmed.")
		shoot(t, tab, dir, "05-confirmation-paid")

		orderID := browsertest.Text(t, tab, "#order-id")
		o, err := ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentPaid, o.Payment)
		checkoutID := o.attempt(t).Ref.CheckoutID
		assert.NotContains(t, browsertest.Text(t, tab, "main"), checkoutID, "no developer detail for the shopper")
		assert.Equal(t, "paid", adminStatus(t, tab, ts, orderID))
		assert.Contains(t, browsertest.Text(t, tab, "#admin-"+orderID), checkoutID, "the admin page has the detail")
		shoot(t, tab, dir, "06-admin-paid")

		// The return URL, copied into another person's browser, shows
		// nothing of the order.
		c, ok := ts.sandbox.Checkout(checkoutID)
		require.True(t, ok)
		stranger := browsertest.NewStranger(t, browser)
		browsertest.Do(t, stranger, "replay the return URL elsewhere", chromedp.Navigate(c.ReturnURL), chromedp.WaitVisible(chromedp.CSS("#elsewhere")))
		page := browsertest.Text(t, stranger, "main")
		for _, secret := range []string{orderID, "Arabic coffee set", "120.00", "Paid"} {
			assert.NotContains(t, page, secret)
		}
		shoot(t, stranger, dir, "07-replayed-elsewhere")
	})

	t.Run("cancel on the payment page", func(t *testing.T) {
		tab := browsertest.NewTab(t, browser)
		checkoutToPaymentPage(t, tab, ts, "dates", "")
		browsertest.Do(t, tab, "cancel", chromedp.Click(chromedp.CSS(`button[value="cancel"]`)), chromedp.WaitVisible(chromedp.CSS("#cancelled-note")))
		assert.Equal(t, "Cancelled", browsertest.Text(t, tab, "#order-status"))
		shoot(t, tab, dir, "08-cancelled")
		orderID := browsertest.Text(t, tab, "#order-id")
		o, err := ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentCancelled, o.Payment)
		assert.False(t, o.TookMoney(), "a cancelled order is not paid")
		assert.Equal(t, "cancelled", adminStatus(t, tab, ts, orderID))
	})

	t.Run("declined card", func(t *testing.T) {
		tab := browsertest.NewTab(t, browser)
		checkoutToPaymentPage(t, tab, ts, "saffron", "")
		declined := testCard
		declined.number = "4000 0000 0000 0002"
		fillCard(t, tab, declined)
		browsertest.Do(t, tab, "pay", chromedp.Click(chromedp.CSS("button.pay")), chromedp.WaitVisible(chromedp.CSS("#failed-note")))
		assert.Equal(t, "Declined", browsertest.Text(t, tab, "#order-status"))
		assert.Contains(t, browsertest.Text(t, tab, "#failed-note"), "Your card was declined")
		shoot(t, tab, dir, "09-declined")
		orderID := browsertest.Text(t, tab, "#order-id")
		o, err := ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentFailed, o.Payment)
	})

	t.Run("confirming page in the shop's style", func(t *testing.T) {
		tab := browsertest.NewTab(t, browser)
		checkoutToPaymentPage(t, tab, ts, "coffee", "")
		later := testCard
		later.number = "4000 0000 0000 0077" // pointcheckouttest.CardPaidLater
		fillCard(t, tab, later)
		browsertest.Do(t, tab, "pay with a card the bank confirms later",
			chromedp.Click(chromedp.CSS("button.pay")), chromedp.WaitVisible(chromedp.CSS("#confirming")))
		assert.Equal(t, "Confirming your payment", browsertest.Text(t, tab, "h1"))
		assert.Equal(t, "SoukDemo", browsertest.Text(t, tab, ".brand"), "the shop's own layout")
		assert.Contains(t, browsertest.Text(t, tab, "#confirming"), "Please do not pay again.")
		shoot(t, tab, dir, "12-confirming")
		// The page reloads itself until the sandbox settles the payment.
		browsertest.Do(t, tab, "wait for the confirmation", chromedp.WaitVisible(chromedp.CSS("#paid-note")))
		assert.Equal(t, "Paid", browsertest.Text(t, tab, "#order-status"))
	})

	t.Run("tab closed before returning, settled by the sweep", func(t *testing.T) {
		tab := browsertest.NewTab(t, browser)
		checkoutToPaymentPage(t, tab, ts, "oud", "")
		fillCard(t, tab, testCard)
		// The shopper pays, but the way back to the shop never loads: the
		// browser fails the request for the return URL, then the tab closes.
		returned := blockReturn(t, tab, ts.URL+payPath+"/return*")
		browsertest.Do(t, tab, "pay", chromedp.Click(chromedp.CSS("button.pay")))
		select {
		case u := <-returned:
			assert.Contains(t, u, payPath+"/return?", "the browser was on its way back")
		case <-time.After(browsertest.StepTimeout):
			t.Fatal("the payment page never sent the shopper back")
		}
		o := waitOrder(t, ts, "oud", func(o order) bool { return len(o.Attempts) > 0 })
		waitSandbox(t, ts.sandbox, o.attempt(t).Ref.CheckoutID, pointcheckout.StatusPaid)
		require.NoError(t, chromedp.Cancel(tab), "close the tab")

		o, err := ts.orders.get(ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, pointcheckout.PaymentPending, o.Payment, "the shop has not heard back")

		admin := browsertest.NewTab(t, browser)
		assert.Equal(t, "pending", adminStatus(t, admin, ts, o.ID))
		shoot(t, admin, dir, "10-admin-pending")
		browsertest.Do(t, admin, "reconcile now",
			chromedp.Click(chromedp.CSS("#reconcile")),
			chromedp.WaitVisible(chromedp.CSS("#reconcile-report")),
		)
		assert.Contains(t, browsertest.Text(t, admin, "#reconcile-report"), "1 settled")
		assert.Equal(t, "paid", browsertest.Text(t, admin, "#admin-"+o.ID+" .badge"))
		shoot(t, admin, dir, "11-admin-reconciled")
		o, err = ts.orders.get(ctx, o.ID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentPaid, o.Payment)
		assert.Equal(t, pointcheckout.SourceReconcile, o.lastEntry(t).Source)
	})
}

// blockReturn makes the tab fail every request matching pattern (Fetch
// domain wildcards) and reports the URLs it failed.
func blockReturn(t *testing.T, tab context.Context, pattern string) <-chan string {
	t.Helper()
	paused := chromedp.Events(tab, fetch.RequestPaused) // subscribed before enabling
	err := browsertest.Within(tab, func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{
			Patterns: []*fetch.RequestPattern{{URLPattern: pattern, RequestStage: fetch.RequestStageRequest}},
		})
		return err
	})
	require.NoError(t, err, "intercept %s", pattern)
	blocked := make(chan string, 8)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return // the tab is gone
			}
			_, _ = chromedp.Call(tab, fetch.FailRequest, fetch.FailRequestParams{
				RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient,
			})
			select {
			case blocked <- ev.Request.URL:
			default:
			}
		}
	}()
	return blocked
}

// waitOrder waits for the newest order of a product to satisfy ok.
func waitOrder(t *testing.T, ts *testShop, product string, ok func(order) bool) order {
	t.Helper()
	var last order
	err := poll(func() (bool, error) {
		list, err := ts.orders.recent(context.Background(), 20)
		if err != nil {
			return false, err
		}
		for _, o := range list {
			if len(o.Lines) > 0 && o.Lines[0].ProductID == product {
				last = o
				return ok(o), nil
			}
		}
		return false, nil
	})
	require.NoError(t, err, "order of %s: %+v", product, last)
	return last
}

// waitSandbox waits for the sandbox to report a checkout's status.
func waitSandbox(t *testing.T, sb *pointcheckouttest.Server, id string, want pointcheckout.Status) {
	t.Helper()
	err := poll(func() (bool, error) {
		c, ok := sb.Checkout(id)
		return ok && c.Status == want, nil
	})
	require.NoError(t, err, "sandbox checkout %s never became %s", id, want)
}

// poll calls f until it reports true, fails, or browsertest.StepTimeout passes.
func poll(f func() (bool, error)) error {
	deadline := time.Now().Add(browsertest.StepTimeout)
	for time.Now().Before(deadline) {
		done, err := f()
		if err != nil || done {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("timed out")
}
