package pointcheckout_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
)

// front is another shop front on a harness's gateway, updater and orders,
// configured differently (other keys, a slower client, another return
// base): what a second instance or a redeployed shop would be.
type front struct {
	h   *pointcheckout.Handler
	srv *httptest.Server
}

// config is the harness's Handler configuration, to be changed by mount.
func (s *shopHarness) config() pointcheckout.Config {
	return pointcheckout.Config{
		Client: s.gw.Client(func(c *pointcheckout.ClientConfig) {
			c.RetryBaseDelay = time.Millisecond
			c.Timeout = 2 * time.Second
			c.ThreeDecimalAmounts = true // ORD-KWD is 12.345 KWD on purpose
		}),
		Orders: pointcheckout.OrdersFunc(func(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
			o, ok := s.orders[r.FormValue("order")]
			if !ok {
				return nil, fmt.Errorf("order %q: %w", r.FormValue("order"), pointcheckout.ErrNotFound)
			}
			return &o, nil
		}),
		Updater:      s.updates,
		Keys:         s.keys,
		SuccessURL:   "/thanks",
		FailureURL:   "/sorry",
		Logger:       slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnError:      s.errs.add,
		PollTimeout:  -1,
		PollInterval: 10 * time.Millisecond,
		RefreshAfter: time.Second,
	}
}

// mount starts a front with the harness's configuration changed by mutate.
func (s *shopHarness) mount(mutate func(*pointcheckout.Config)) *front {
	s.t.Helper()
	cfg := s.config()
	if mutate != nil {
		mutate(&cfg)
	}
	h, err := pointcheckout.New(cfg)
	require.NoError(s.t, err)
	srv := httptest.NewServer(h.Middleware(landingPage()))
	s.t.Cleanup(srv.Close)
	return &front{h: h, srv: srv}
}

// landingPage is the shop's own page behind the Middleware: it shows the
// Result the package put into the context, if any.
func landingPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if res, ok := pointcheckout.ResultFromContext(r.Context()); ok {
			fmt.Fprintf(w, "%s result: order=%s status=%s amount=%s\n", r.URL.Path, res.OrderID, res.Status, res.Amount)
			return
		}
		fmt.Fprintf(w, "%s no result\n", r.URL.Path)
	})
}

// exchange is a whole HTTP answer, headers included.
type exchange struct {
	status int
	header http.Header
	body   string
}

func (e exchange) location() string { return e.header.Get("Location") }

// send performs req with client (nil: a client that follows no redirect
// and keeps no cookies).
func send(t testing.TB, client *http.Client, req *http.Request) exchange {
	t.Helper()
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return exchange{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// request builds a request with raw header values (a Cookie header is sent
// exactly as given).
func request(t testing.TB, method, rawURL string, body string, header http.Header) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, r)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	return req
}

// serve runs req through h in process, bypassing net/http's own limits on
// header size, so the package's own bounds are what is tested.
func serve(h http.Handler, req *http.Request) exchange {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return exchange{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

// payAt posts the checkout form for order to a shop front at base.
func payAt(b *browser, base, order string) page {
	b.t.Helper()
	return b.postForm(base+"/pay", url.Values{"order": {order}}, http.Header{"Sec-Fetch-Site": {"same-origin"}})
}

// tokenOf returns the signed return token in a return URL.
func tokenOf(t testing.TB, returnURL string) string {
	t.Helper()
	u, err := url.Parse(returnURL)
	require.NoError(t, err)
	tok := u.Query().Get("t")
	require.NotEmpty(t, tok, "return URL %s has no token", returnURL)
	return tok
}

// assertSafeHeaders checks an answer cannot be used to inject or redirect:
// no header value holds CR or LF, a Location is a path on this site or a
// URL on one of allowedHosts, and no Set-Cookie exceeds what a browser
// keeps or carries any of the forbidden strings.
func assertSafeHeaders(t testing.TB, e exchange, allowedHosts []string, forbidden ...string) {
	t.Helper()
	for k, vs := range e.header {
		for _, v := range vs {
			assert.NotContains(t, v, "\r", "header %s", k)
			assert.NotContains(t, v, "\n", "header %s", k)
		}
	}
	if loc := e.location(); loc != "" {
		u, err := url.Parse(loc)
		require.NoError(t, err, "Location %q", loc)
		switch {
		case u.Scheme == "" && u.Host == "":
			assert.True(t, strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") && !strings.HasPrefix(loc, "/\\"),
				"Location %q is not a path on this site", loc)
		default:
			assert.Contains(t, allowedHosts, u.Host, "Location %q leaves the site", loc)
			assert.Contains(t, []string{"http", "https"}, u.Scheme)
			assert.Nil(t, u.User, "Location %q carries user info", loc)
		}
	}
	for _, c := range e.header.Values("Set-Cookie") {
		assert.LessOrEqual(t, len(c), 4096, "Set-Cookie too large for a browser")
		for _, f := range forbidden {
			assert.NotContains(t, c, f, "Set-Cookie reflects attacker input")
		}
	}
}

// moneyTaken reports statuses under which goods may ship.
func moneyTaken(st pointcheckout.Status) bool {
	return st == pointcheckout.StatusPaid || st == pointcheckout.StatusAuthorized
}

// assertTruthful checks every update the handlers sent against the
// gateway: the checkout exists, belongs to the update's order, has its
// exact amount, and its status now is the update's status or one it can
// have moved to since. An update that says PAID for a checkout the gateway
// holds PENDING fails here.
func assertTruthful(t testing.TB, s *shopHarness) {
	t.Helper()
	for _, u := range s.updates.list() {
		c, ok := s.gw.Checkout(u.CheckoutID)
		if !assert.True(t, ok, "update for a checkout the gateway does not know: %+v", u) {
			continue
		}
		assert.Equal(t, c.OrderID, u.OrderID, "update names another order")
		assert.Equal(t, c.Amount, u.Amount, "update carries another amount")
		assert.Equal(t, c.RequestID, u.RequestID)
		if u.Source == pointcheckout.SourcePay {
			assert.Equal(t, pointcheckout.StatusPending, u.Status)
			continue
		}
		assert.True(t, u.Status == c.Status || u.Status.CanBecome(c.Status),
			"update says %s for checkout %s the gateway holds %s", u.Status, u.CheckoutID, c.Status)
	}
}

// assertNoMoneyUpdate checks no update ever told the shop that money was
// taken for order.
func assertNoMoneyUpdate(t testing.TB, s *shopHarness, order string) {
	t.Helper()
	for _, st := range s.updates.statuses(order) {
		assert.False(t, moneyTaken(st), "order %s was told %s", order, st)
	}
}

// sweep reconciles every checkout the shop recorded at /pay whose order is
// not final yet, as a shop's periodic job would.
func (s *shopHarness) sweep(ctx context.Context, h *pointcheckout.Handler) (pointcheckout.ReconcileReport, error) {
	var refs []pointcheckout.Ref
	for _, u := range s.updates.list() {
		if u.Source == pointcheckout.SourcePay && !s.updates.orderStatus(u.OrderID).IsFinal() {
			refs = append(refs, u.Ref)
		}
	}
	return h.Reconcile(ctx, refs)
}

// checkoutAndPayAt is checkoutAndPay against the shop front at base.
func (s *shopHarness) checkoutAndPayAt(b *browser, base, order, card, action string) (page, string) {
	s.t.Helper()
	p := payAt(b, base, order)
	require.Equal(s.t, http.StatusSeeOther, p.status, p.body)
	require.True(s.t, strings.HasPrefix(p.location, s.gw.URL+"/checkout/"), "redirect %q not to the gateway", p.location)
	id := s.checkoutIDFor(p.location)
	back := b.submitCard(p.location, card, action)
	require.Equal(s.t, http.StatusSeeOther, back.status, back.body)
	require.True(s.t, strings.HasPrefix(back.location, base+"/pay/return?"), "gateway sent the shopper to %q", back.location)
	return back, id
}

// backWithoutHints is a return URL without the checkout and reference
// parameters the hosted page appends: a gateway that appends nothing, so
// a return without the cookie must search by request id.
func backWithoutHints(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("checkout")
	q.Del("reference")
	u.RawQuery = q.Encode()
	return u.String()
}
