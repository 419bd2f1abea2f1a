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
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumPath is where Debian installs the browser the end-to-end test
// drives.
const chromiumPath = "/usr/bin/chromium"

// stepTimeout bounds every browser step; a stuck page fails the test
// instead of hanging it.
const stepTimeout = 20 * time.Second

// newBrowser starts a headless Chromium that talks to loopback only, with
// a fresh profile. In CI a missing browser fails the test; elsewhere it is
// skipped.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skipf("chromium not installed (%v); install it with apt-get install chromium", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // the test may run as root in a container
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("no-proxy-server", true),
		// Any name but loopback resolves to nothing: the test never leaves
		// the machine, whatever a page links to.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	start(t, ctx, cancelAlloc)
	return ctx
}

// newTab opens a tab in the browser of ctx, closed when the test ends.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	start(t, tab, cancel)
	return tab
}

// newStranger opens a tab in a new browser context of the browser of ctx:
// its own cookies, like another person's browser.
func newStranger(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	start(t, tab, cancel)
	return tab
}

// start starts the browser or opens the tab of ctx. The first call on a
// context binds the browser or tab to the context it is given, so it must
// not carry a timeout itself; a watchdog bounds it instead, and abort
// tears it down if it hangs.
func start(t *testing.T, ctx context.Context, abort context.CancelFunc) {
	t.Helper()
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		require.NoError(t, err, "start chromium")
	case <-time.After(stepTimeout):
		abort()
		t.Fatal("chromium did not start in time")
	}
}

// within runs f with a context that ends after stepTimeout.
func within(tab context.Context, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	return f(ctx)
}

// do runs browser steps, bounded by stepTimeout.
func do(t *testing.T, tab context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	err := within(tab, func(ctx context.Context) error { return chromedp.Do(ctx, steps...) })
	require.NoError(t, err, what)
}

// text reads the text of the element sel.
func text(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	var s string
	err := within(tab, func(ctx context.Context) (err error) {
		s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
		return err
	})
	require.NoError(t, err, "text of %s", sel)
	return strings.TrimSpace(s)
}

// location reads the tab's URL.
func location(t *testing.T, tab context.Context) string {
	t.Helper()
	var s string
	err := within(tab, func(ctx context.Context) (err error) {
		s, err = chromedp.Run(ctx, chromedp.Location())
		return err
	})
	require.NoError(t, err)
	return s
}

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
	err := within(tab, func(ctx context.Context) (err error) {
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
	do(t, tab, "open the shop", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#product-"+product)))
	if dir != "" {
		shoot(t, tab, dir, "01-shop")
	}
	do(t, tab, "add to cart", chromedp.Click(chromedp.CSS("#add-"+product)), chromedp.WaitVisible(chromedp.CSS("#to-checkout")))
	if dir != "" {
		shoot(t, tab, dir, "02-cart")
	}
	do(t, tab, "fill in the checkout form",
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
	do(t, tab, "place the order and reach the payment page",
		chromedp.Click(chromedp.CSS("#place-order")),
		chromedp.WaitVisible(chromedp.CSS("#card-number")),
	)
	require.True(t, strings.HasPrefix(location(t, tab), ts.sandbox.URL+"/checkout/"), "on the sandbox payment page")
}

// fillCard types a card on the payment page and accepts the terms.
func fillCard(t *testing.T, tab context.Context, c card) {
	t.Helper()
	do(t, tab, "fill in the card",
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
	do(t, tab, "open the admin page", chromedp.Navigate(ts.URL+"/admin"), chromedp.WaitVisible(chromedp.CSS(sel)))
	return text(t, tab, sel+" .badge")
}

func TestBrowser(t *testing.T) {
	browser := newBrowser(t)
	ts := newTestShop(t)
	dir := screenshotDir(t)
	ctx := context.Background()

	t.Run("pay with the test card", func(t *testing.T) {
		tab := newTab(t, browser)
		checkoutToPaymentPage(t, tab, ts, "coffee", dir)
		assert.Equal(t, "120.00 AED", text(t, tab, "#amount"), "the payment page charges the catalog price")
		fillCard(t, tab, testCard)
		shoot(t, tab, dir, "04-payment-page")

		do(t, tab, "pay", chromedp.Click(chromedp.CSS("button.pay")), chromedp.WaitVisible(chromedp.CSS("#order-status")))
		assert.Equal(t, ts.URL+resultPath, location(t, tab))
		assert.Equal(t, "Paid", text(t, tab, "#order-status"))
		assert.Equal(t, "Thank you for your order", text(t, tab, "h1"))
		assert.Contains(t, text(t, tab, "#paid-note"), "Your payment of 120.00 AED is confirmed.")
		shoot(t, tab, dir, "05-confirmation-paid")

		orderID := text(t, tab, "#order-id")
		o, err := ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentPaid, o.Payment)
		checkoutID := o.attempt(t).Ref.CheckoutID
		assert.NotContains(t, text(t, tab, "main"), checkoutID, "no developer detail for the shopper")
		assert.Equal(t, "paid", adminStatus(t, tab, ts, orderID))
		assert.Contains(t, text(t, tab, "#admin-"+orderID), checkoutID, "the admin page has the detail")
		shoot(t, tab, dir, "06-admin-paid")

		// The return URL, copied into another person's browser, shows
		// nothing of the order.
		c, ok := ts.sandbox.Checkout(checkoutID)
		require.True(t, ok)
		stranger := newStranger(t, browser)
		do(t, stranger, "replay the return URL elsewhere", chromedp.Navigate(c.ReturnURL), chromedp.WaitVisible(chromedp.CSS("#elsewhere")))
		page := text(t, stranger, "main")
		for _, secret := range []string{orderID, "Arabic coffee set", "120.00", "Paid"} {
			assert.NotContains(t, page, secret)
		}
		shoot(t, stranger, dir, "07-replayed-elsewhere")
	})

	t.Run("cancel on the payment page", func(t *testing.T) {
		tab := newTab(t, browser)
		checkoutToPaymentPage(t, tab, ts, "dates", "")
		do(t, tab, "cancel", chromedp.Click(chromedp.CSS(`button[value="cancel"]`)), chromedp.WaitVisible(chromedp.CSS("#cancelled-note")))
		assert.Equal(t, "Cancelled", text(t, tab, "#order-status"))
		shoot(t, tab, dir, "08-cancelled")
		orderID := text(t, tab, "#order-id")
		o, err := ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentCancelled, o.Payment)
		assert.False(t, o.TookMoney(), "a cancelled order is not paid")
		assert.Equal(t, "cancelled", adminStatus(t, tab, ts, orderID))
	})

	t.Run("declined card", func(t *testing.T) {
		tab := newTab(t, browser)
		checkoutToPaymentPage(t, tab, ts, "saffron", "")
		declined := testCard
		declined.number = "4000 0000 0000 0002"
		fillCard(t, tab, declined)
		do(t, tab, "pay", chromedp.Click(chromedp.CSS("button.pay")), chromedp.WaitVisible(chromedp.CSS("#failed-note")))
		assert.Equal(t, "Declined", text(t, tab, "#order-status"))
		assert.Contains(t, text(t, tab, "#failed-note"), "Your card was declined")
		shoot(t, tab, dir, "09-declined")
		orderID := text(t, tab, "#order-id")
		o, err := ts.orders.get(ctx, orderID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentFailed, o.Payment)
	})

	t.Run("confirming page in the shop's style", func(t *testing.T) {
		tab := newTab(t, browser)
		checkoutToPaymentPage(t, tab, ts, "coffee", "")
		later := testCard
		later.number = "4000 0000 0000 0077" // pointcheckouttest.CardPaidLater
		fillCard(t, tab, later)
		do(t, tab, "pay with a card the bank confirms later",
			chromedp.Click(chromedp.CSS("button.pay")), chromedp.WaitVisible(chromedp.CSS("#confirming")))
		assert.Equal(t, "Confirming your payment", text(t, tab, "h1"))
		assert.Equal(t, "SoukDemo", text(t, tab, ".brand"), "the shop's own layout")
		assert.Contains(t, text(t, tab, "#confirming"), "Please do not pay again.")
		shoot(t, tab, dir, "12-confirming")
		// The page reloads itself until the sandbox settles the payment.
		do(t, tab, "wait for the confirmation", chromedp.WaitVisible(chromedp.CSS("#paid-note")))
		assert.Equal(t, "Paid", text(t, tab, "#order-status"))
	})

	t.Run("tab closed before returning, settled by the sweep", func(t *testing.T) {
		tab := newTab(t, browser)
		checkoutToPaymentPage(t, tab, ts, "oud", "")
		fillCard(t, tab, testCard)
		// The shopper pays, but the way back to the shop never loads: the
		// browser fails the request for the return URL, then the tab closes.
		returned := blockReturn(t, tab, ts.URL+payPath+"/return*")
		do(t, tab, "pay", chromedp.Click(chromedp.CSS("button.pay")))
		select {
		case u := <-returned:
			assert.Contains(t, u, payPath+"/return?", "the browser was on its way back")
		case <-time.After(stepTimeout):
			t.Fatal("the payment page never sent the shopper back")
		}
		o := waitOrder(t, ts, "oud", func(o order) bool { return len(o.Attempts) > 0 })
		waitSandbox(t, ts.sandbox, o.attempt(t).Ref.CheckoutID, pointcheckout.StatusPaid)
		require.NoError(t, chromedp.Cancel(tab), "close the tab")

		o, err := ts.orders.get(ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, pointcheckout.PaymentPending, o.Payment, "the shop has not heard back")

		admin := newTab(t, browser)
		assert.Equal(t, "pending", adminStatus(t, admin, ts, o.ID))
		shoot(t, admin, dir, "10-admin-pending")
		do(t, admin, "reconcile now",
			chromedp.Click(chromedp.CSS("#reconcile")),
			chromedp.WaitVisible(chromedp.CSS("#reconcile-report")),
		)
		assert.Contains(t, text(t, admin, "#reconcile-report"), "1 settled")
		assert.Equal(t, "paid", text(t, admin, "#admin-"+o.ID+" .badge"))
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
	err := within(tab, func(ctx context.Context) error {
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

// poll calls f until it reports true, fails, or stepTimeout passes.
func poll(f func() (bool, error)) error {
	deadline := time.Now().Add(stepTimeout)
	for time.Now().Before(deadline) {
		done, err := f()
		if err != nil || done {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("timed out")
}
