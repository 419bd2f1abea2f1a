// Package browsertest drives Debian's headless Chromium for the demo shop's
// browser tests: a browser that reaches loopback only, tabs, and steps
// bounded by StepTimeout. A missing browser fails the test, never skips it.
package browsertest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// ChromiumPath is where Debian installs the browser.
const ChromiumPath = "/usr/bin/chromium"

// StepTimeout bounds every browser step: a stuck page fails the test
// instead of hanging it. It is generous because a cold test run compiles
// beside the browser on two cores.
const StepTimeout = 60 * time.Second

// New starts a headless Chromium with a fresh profile, stopped when t ends,
// and returns its first tab. Any host name but loopback resolves to
// nothing, so the test never leaves the machine whatever a page links to.
func New(t *testing.T) context.Context {
	t.Helper()
	_, err := os.Stat(ChromiumPath)
	require.NoError(t, err, "chromium is needed (Debian: apt-get install chromium)")
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests may run as root in a container
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
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	start(t, ctx, cancelAlloc)
	return ctx
}

// NewTab opens a tab in the browser of ctx, closed when t ends.
func NewTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	return openTab(t, browser)
}

// NewStranger opens a tab in a new browser context of the browser of ctx:
// its own cookies, like another person's browser.
func NewStranger(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	return openTab(t, browser, chromedp.WithNewBrowserContext())
}

// openTab opens a tab with opts, closed when t ends.
func openTab(t *testing.T, browser context.Context, opts ...chromedp.ContextOption) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser, opts...)
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
	case <-time.After(StepTimeout):
		abort()
		t.Fatal("chromium did not start in time")
	}
}

// Within runs f with a context of tab that ends after StepTimeout.
func Within(tab context.Context, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(tab, StepTimeout)
	defer cancel()
	return f(ctx)
}

// Do runs browser steps. When one fails, t fails with what, the error and
// the page the tab is on.
func Do(t *testing.T, tab context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	err := Within(tab, func(ctx context.Context) error { return chromedp.Do(ctx, steps...) })
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, describe(tab))
	}
}

// describe says which page the tab is on and the start of its text, for a
// failed step's message.
func describe(tab context.Context) string {
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "the tab's page cannot be read: " + err.Error()
	}
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		return "on " + loc + " (its text cannot be read: " + err.Error() + ")"
	}
	body = strings.Join(strings.Fields(body), " ")
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return "on " + loc + ": " + body
}

// Call sends one protocol command.
func Call[P, R any](t *testing.T, tab context.Context, cmd cdp.Command[P, R], params P) {
	t.Helper()
	err := Within(tab, func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, cmd, params)
		return err
	})
	require.NoError(t, err, cmd.Method)
}

// Text reads the visible text of the element sel, trimmed.
func Text(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	var s string
	err := Within(tab, func(ctx context.Context) (err error) {
		s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
		return err
	})
	require.NoError(t, err, "text of %s", sel)
	return strings.TrimSpace(s)
}

// Location reads the tab's URL.
func Location(t *testing.T, tab context.Context) string {
	t.Helper()
	var s string
	err := Within(tab, func(ctx context.Context) (err error) {
		s, err = chromedp.Run(ctx, chromedp.Location())
		return err
	})
	require.NoError(t, err)
	return s
}
