package shoptest

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// Options changes the shop New builds.
type Options struct {
	// Gateway holds more options for the sandbox, which always runs on the
	// shop's Clock.
	Gateway []pointcheckouttest.Option
	// Notify has the sandbox post its notifications to the shop's
	// /pay/notify.
	Notify bool
	// Configure changes the Handler's configuration (Shop.Config) before
	// New builds the Handler.
	Configure func(s *Shop, c *pointcheckout.Config)
}

// Shop is a minimal shop mounted behind the Handler's Middleware on a
// loopback server, a sandbox gateway on a test clock, and a recording
// OrderUpdater: the whole flow over real HTTP.
type Shop struct {
	t testing.TB
	// URL is the shop's base URL (Server.URL).
	URL string
	// Server serves the Handler's Middleware around LandingPage.
	Server *httptest.Server
	// Handler is the package's Handler under test.
	Handler *pointcheckout.Handler
	// Gateway is the sandbox; Clock is its time.
	Gateway *pointcheckouttest.Server
	Clock   *pointcheckouttest.Clock
	// Keys are the shop's cookie keys.
	Keys []pointcheckout.KeyPair
	// Orders are the orders /pay sells, by the form's "order" value:
	// ORD-1 (100.00 AED), ORD-2 (250.50 AED), ORD-KWD (12.345 KWD) and
	// ORD-CHEAP (1.00 AED). A test may add more before it pays them.
	Orders map[string]pointcheckout.CheckoutRequest
	// Updates is the Updater; Errors records OnError; Logs holds the
	// Logger's output, at debug level.
	Updates *Updates
	Errors  *Errors
	Logs    *LogBuffer
}

// New starts a shop; the test's end closes it.
func New(t testing.TB, opts Options) *Shop {
	t.Helper()
	// The shop's server exists first, so its URL can be the sandbox's
	// notification target, and is closed last, so the notifications in
	// flight finish before it goes away.
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	base := "http://" + srv.Listener.Addr().String()
	clock := NewClock()
	gwOpts := append([]pointcheckouttest.Option{pointcheckouttest.WithClock(clock.Now)}, opts.Gateway...)
	if opts.Notify {
		gwOpts = append(gwOpts, pointcheckouttest.WithNotifyURL(base+"/pay/notify"))
	}
	key, err := pointcheckout.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	s := &Shop{
		t: t, URL: base, Server: srv,
		Gateway: NewGateway(t, gwOpts...), Clock: clock, Keys: []pointcheckout.KeyPair{key},
		Orders:  map[string]pointcheckout.CheckoutRequest{},
		Updates: &Updates{}, Errors: &Errors{}, Logs: &LogBuffer{},
	}
	for _, o := range []struct {
		id    string
		minor int64
		cur   string
	}{{"ORD-1", 10000, "AED"}, {"ORD-2", 25050, "AED"}, {"ORD-KWD", 12345, "KWD"}, {"ORD-CHEAP", 100, "AED"}} {
		s.Orders[o.id] = Order(o.id, Money(t, o.minor, o.cur))
	}
	cfg := s.Config()
	if opts.Configure != nil {
		opts.Configure(s, &cfg)
	}
	if s.Handler, err = pointcheckout.New(cfg); err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler.Middleware(LandingPage())
	srv.Start()
	return s
}

// Config is the shop's Handler configuration: the fast Client, the shop's
// Orders, Updates, Keys, Logs and Errors, /thanks and /sorry, no polling at
// the return, a confirming page that refreshes after a second.
func (s *Shop) Config() pointcheckout.Config {
	return pointcheckout.Config{
		Client: Client(s.t, s.Gateway),
		Orders: pointcheckout.OrdersFunc(func(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
			o, ok := s.Orders[r.FormValue("order")]
			if !ok {
				return nil, fmt.Errorf("order %q: %w", r.FormValue("order"), pointcheckout.ErrNotFound)
			}
			return &o, nil
		}),
		Updater:      s.Updates,
		Keys:         s.Keys,
		SuccessURL:   "/thanks",
		FailureURL:   "/sorry",
		Logger:       slog.New(slog.NewTextHandler(s.Logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnError:      s.Errors.Report,
		PollTimeout:  -1,
		PollInterval: 10 * time.Millisecond,
		RefreshAfter: time.Second,
	}
}

// Front is another shop front on a shop's gateway, updater and orders,
// configured differently (other keys, a slower client, another return
// base): what a second instance or a redeployed shop would be.
type Front struct {
	// URL is the front's base URL.
	URL string
	// Handler serves the front.
	Handler *pointcheckout.Handler
}

// Mount starts a front with the shop's configuration changed by mutate.
func (s *Shop) Mount(mutate func(*pointcheckout.Config)) *Front {
	s.t.Helper()
	cfg := s.Config()
	if mutate != nil {
		mutate(&cfg)
	}
	h, err := pointcheckout.New(cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	srv := httptest.NewServer(h.Middleware(LandingPage()))
	s.t.Cleanup(srv.Close)
	return &Front{URL: srv.URL, Handler: h}
}

// LandingPage is the shop's own page behind the Middleware: it shows the
// Result the package put into the context, if any.
func LandingPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if res, ok := pointcheckout.ResultFromContext(r.Context()); ok {
			fmt.Fprintf(w, "%s result: order=%s status=%s amount=%s\n", r.URL.Path, res.OrderID, res.Status, res.Amount)
			return
		}
		fmt.Fprintf(w, "%s no result\n", r.URL.Path)
	})
}

// Money is minor units of cur.
func Money(t testing.TB, minor int64, cur string) pointcheckout.Money {
	t.Helper()
	m, err := pointcheckout.NewMoney(minor, cur)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Order is a valid checkout request for order id over amount: one item,
// a customer and a billing address.
func Order(id string, amount pointcheckout.Money) pointcheckout.CheckoutRequest {
	return pointcheckout.CheckoutRequest{
		OrderID:        id,
		Amount:         amount,
		Items:          []pointcheckout.Item{{Name: "Dates, 1 kg", Quantity: 1, LineTotal: amount}},
		Customer:       pointcheckout.Customer{FirstName: "Test", LastName: "Shopper", Email: "shopper@example.com"},
		BillingAddress: pointcheckout.Address{Name: "Test Shopper", Address1: "1 Palm St", City: "Dubai", Country: "AE"},
	}
}

// Pay posts the shop's checkout form for order and returns the answer of
// POST /pay (a 303 to the payment page when all is well).
func (s *Shop) Pay(b *Browser, order string) Page {
	s.t.Helper()
	return PayAt(b, s.URL, order)
}

// PayAt posts the checkout form for order to the shop front at base.
func PayAt(b *Browser, base, order string) Page {
	b.t.Helper()
	return b.PostForm(base+"/pay", url.Values{"order": {order}}, http.Header{"Sec-Fetch-Site": {"same-origin"}})
}

// CheckoutAndPay runs POST /pay and the payment page with card, and
// returns the gateway's redirect back to the shop plus the checkout id.
func (s *Shop) CheckoutAndPay(b *Browser, order, card, action string) (Page, string) {
	s.t.Helper()
	return s.CheckoutAndPayAt(b, s.URL, order, card, action)
}

// CheckoutAndPayAt is CheckoutAndPay against the shop front at base.
func (s *Shop) CheckoutAndPayAt(b *Browser, base, order, card, action string) (Page, string) {
	s.t.Helper()
	p := PayAt(b, base, order)
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, s.Gateway.URL+"/checkout/") {
		s.t.Fatalf("pay answered %d to %q, not a 303 to the gateway: %s", p.Status, p.Location, p.Body)
	}
	id := s.CheckoutIDFor(p.Location)
	back := b.SubmitCard(p.Location, card, action)
	if back.Status != http.StatusSeeOther || !strings.HasPrefix(back.Location, base+"/pay/return?") {
		s.t.Fatalf("the gateway answered %d to %q, not a 303 to the return: %s", back.Status, back.Location, back.Body)
	}
	return back, id
}

// CheckoutIDFor finds the checkout whose payment page is pageURL.
func (s *Shop) CheckoutIDFor(pageURL string) string {
	s.t.Helper()
	for _, c := range s.Gateway.Checkouts() {
		if c.RedirectURL == pageURL {
			return c.ID
		}
	}
	s.t.Fatalf("no checkout has page %s", pageURL)
	return ""
}

// ReturnURL is the return URL the shop gave the gateway for checkout id.
func (s *Shop) ReturnURL(id string) string {
	s.t.Helper()
	c, ok := s.Gateway.Checkout(id)
	if !ok {
		s.t.Fatalf("the gateway has no checkout %s", id)
	}
	return c.ReturnURL
}

// Cookie returns the cookie b holds for the shop's return route, or nil.
func (s *Shop) Cookie(b *Browser, name string) *http.Cookie {
	return b.Cookie(s.URL+"/pay/return", name)
}

// SetCookie puts c's name and value into b's jar for the shop's payment
// routes, as a browser given a foreign or edited cookie would hold it.
func (s *Shop) SetCookie(b *Browser, c *http.Cookie) {
	s.t.Helper()
	u, err := url.Parse(s.URL + "/pay/return")
	if err != nil {
		s.t.Fatal(err)
	}
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/pay"}})
}

// Sweep reconciles every checkout the shop recorded at /pay whose order is
// not final yet, as a shop's periodic job would, through h.
func (s *Shop) Sweep(ctx context.Context, h *pointcheckout.Handler) (pointcheckout.ReconcileReport, error) {
	var refs []pointcheckout.Ref
	for _, u := range s.Updates.List() {
		if u.Source == pointcheckout.SourcePay && !s.Updates.OrderStatus(u.OrderID).IsFinal() {
			refs = append(refs, u.Ref)
		}
	}
	return h.Reconcile(ctx, refs)
}
