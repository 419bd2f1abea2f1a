package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// Config configures a Shop.
type Config struct {
	// DBPath is the SQLite file holding carts and orders (created if
	// missing).
	DBPath string
	// Client talks to PointCheckout (the real API or a sandbox).
	Client *pointcheckout.Client
	// Keys sign and encrypt the payment cookies; the first pair signs.
	Keys []pointcheckout.KeyPair
	// BaseURL is the shop's public URL, such as "http://127.0.0.1:8080":
	// PointCheckout sends the shopper back to it.
	BaseURL string
	// AdminPassword, when set, guards /admin with HTTP basic auth (user
	// "admin"). Without it /admin is open, which is only acceptable when
	// the shop is reachable from this machine only.
	AdminPassword string
	// TrustedProxies are reverse proxies whose X-Forwarded-For names the
	// client, for the rate limits; none by default.
	TrustedProxies []netip.Prefix
	// Limits bound the requests of each client (defaultLimits if zero).
	Limits Limits
	// Location is the time zone of the times pages show (time.Local if
	// nil).
	Location *time.Location
	// ReconcileMinAge is how old a pending checkout must be before a sweep
	// asks the API about it (default 5s): younger ones are most likely a
	// shopper still on the payment page.
	ReconcileMinAge time.Duration
	// PollTimeout and PollInterval tune how long the return page waits for
	// a pending checkout to settle (the payment handler's defaults if zero).
	PollTimeout, PollInterval time.Duration
	// Logger receives the shop's logs (slog.Default() if nil).
	Logger *slog.Logger
	// Now is the clock (time.Now if nil).
	Now func() time.Time
}

// Shop is the demo shop: catalog, cart, checkout, order pages, an admin
// page, and PointCheckout payments through pointcheckout.Handler.
type Shop struct {
	cfg      Config
	log      *slog.Logger
	db       *sql.DB
	catalog  *catalog
	carts    carts
	orders   *orderStore
	sessions sessions
	pay      *pointcheckout.Handler
	pages    *pages
	hosts    *hostCheck
	limits   *routeLimits
	clients  clientAddrs
	handler  http.Handler
}

// Paths the payment handler sends the shopper to once a payment is
// resolved; both land on the same page, which shows the verified status.
const (
	resultPath = "/checkout/result"
	payPath    = "/pay"
)

// New opens the shop's database and builds its routes.
func New(ctx context.Context, cfg Config) (*Shop, error) {
	if cfg.Client == nil {
		return nil, errors.New("shop: no PointCheckout client")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("shop: base URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.AdminPassword == "" && (!isLoopback(base.Hostname()) || !gatewayOnLoopback(cfg.Client.Environment())) {
		return nil, errors.New("shop: an admin password is required: the shop is reachable from other machines or takes real payments")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ReconcileMinAge == 0 {
		cfg.ReconcileMinAge = 5 * time.Second
	}
	if cfg.DBPath == "" {
		cfg.DBPath = "shop.db"
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = defaultLimits()
	}
	cat, err := newCatalog()
	if err != nil {
		return nil, err
	}
	pg, err := newPages(cfg.Location)
	if err != nil {
		return nil, err
	}
	db, err := openDB(ctx, cfg.DBPath)
	if err != nil {
		return nil, &dbError{path: cfg.DBPath, err: err}
	}
	s := &Shop{
		cfg:      cfg,
		log:      cfg.Logger,
		db:       db,
		catalog:  cat,
		carts:    carts{db: db, catalog: cat},
		orders:   &orderStore{db: db, log: cfg.Logger, now: cfg.Now},
		sessions: sessions{secure: base.Scheme == "https"},
		pages:    pg,
		hosts:    newHostCheck(base, cfg.Logger, cfg.Now),
		limits:   newRouteLimits(cfg.Limits, cfg.Now),
		clients:  clientAddrs{trusted: cfg.TrustedProxies},
	}
	s.pay, err = pointcheckout.New(pointcheckout.Config{
		Client:        cfg.Client,
		Orders:        pointcheckout.OrdersFunc(s.checkoutFor),
		Updater:       pointcheckout.OrderUpdaterFunc(s.updateOrder),
		Refs:          s.orders,
		Keys:          cfg.Keys,
		ReturnBaseURL: strings.TrimSuffix(cfg.BaseURL, "/"),
		Prefix:        payPath,
		SuccessURL:    resultPath,
		FailureURL:    resultPath,
		OnError:       s.paymentError,
		RenderPage:    s.renderPaymentPage,
		Logger:        cfg.Logger,
		PollTimeout:   cfg.PollTimeout,
		PollInterval:  cfg.PollInterval,
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("shop: payments: %w", err)
	}
	s.handler = s.routes()
	return s, nil
}

// gatewayOnLoopback reports whether env is a gateway on this machine, such
// as the built-in sandbox.
func gatewayOnLoopback(env pointcheckout.Environment) bool {
	u, err := url.Parse(env.BaseURL)
	return err == nil && !env.Live && isLoopback(u.Hostname())
}

// ServeHTTP serves the whole shop, payments included.
func (s *Shop) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Close closes the database.
func (s *Shop) Close() error { return s.db.Close() }

// routes wires the pages. The payment handler sits outside the shop's own
// cross-origin check: PointCheckout may POST the shopper back cross-site,
// and /pay does its own check. Every request must name the shop's host
// (see hostCheck) and the routes that cost a gateway call or a database
// write are rate limited per client before anything else runs.
func (s *Shop) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static") // the directory is embedded: cannot fail
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /cart", s.showCart)
	mux.HandleFunc("POST /cart/add", s.addToCart)
	mux.HandleFunc("POST /cart/update", s.updateCart)
	mux.HandleFunc("GET /checkout", s.checkoutForm)
	mux.HandleFunc("POST /checkout", s.placeOrder)
	mux.HandleFunc("GET "+resultPath, s.result)
	mux.HandleFunc("GET /orders", s.myOrders)
	mux.HandleFunc("GET /orders/{id}", s.showOrder)
	mux.HandleFunc("GET /orders/{id}/pay", s.payOrder)
	mux.Handle("GET /admin", s.adminOnly(http.HandlerFunc(s.admin)))
	mux.Handle("POST /admin/reconcile", s.adminOnly(http.HandlerFunc(s.reconcileNow)))
	mux.Handle("POST /admin/orders/{id}/close", s.adminOnly(http.HandlerFunc(s.closeOrder)))
	return securityHeaders(s.hosts.wrap(s.limitRequests(s.pay.Middleware(http.NewCrossOriginProtection().Handler(mux)))))
}

// securityHeaders sets the headers every page of the shop carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// checkoutFor tells the payment handler what to charge for POST /pay: the
// order named by the form, as the database has it, and only to the session
// that placed it. Nothing but the order id is read from the form.
func (s *Shop) checkoutFor(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
	o, err := s.orders.getFor(r.Context(), r.PostFormValue("order_id"), s.sessions.lookup(r))
	switch {
	case errors.Is(err, errUnknownOrder), errors.Is(err, errNotYourOrder):
		return nil, fmt.Errorf("%w: %w", pointcheckout.ErrNotFound, err)
	case err != nil:
		return nil, err
	case o.Settled():
		return nil, fmt.Errorf("%w: order %s: %w", pointcheckout.ErrInvalidRequest, o.ID, errAlreadyPaid)
	case !o.Payable():
		return nil, fmt.Errorf("%w: order %s: %w", pointcheckout.ErrInvalidRequest, o.ID, errNotPayable)
	}
	req := &pointcheckout.CheckoutRequest{
		OrderID: o.ID,
		Amount:  o.Amount,
		Customer: pointcheckout.Customer{
			FirstName: o.Customer.FirstName,
			LastName:  o.Customer.LastName,
			Email:     o.Customer.Email,
		},
		BillingAddress: pointcheckout.Address{
			Name:     o.Customer.FirstName + " " + o.Customer.LastName,
			Address1: o.Customer.Address,
			City:     o.Customer.City,
			Country:  o.Customer.Country,
		},
	}
	for _, l := range o.Lines {
		req.Items = append(req.Items, pointcheckout.Item{
			Name: l.Name, SKU: l.ProductID, UnitPrice: l.Unit, Quantity: l.Qty, LineTotal: l.LineTotal,
		})
	}
	return req, nil
}

// paymentError logs what the payment handler reports. The handler keeps
// secrets out of its errors; the shop adds only the path.
func (s *Shop) paymentError(r *http.Request, err error) {
	s.log.LogAttrs(r.Context(), slog.LevelError, "payment error",
		slog.String("path", r.URL.Path), slog.String("error", err.Error()))
}

// Sweep asks the API about every attempt older than ReconcileMinAge whose
// final status the shop has not heard, replaced attempts included, and
// applies what it learns: the way a payment whose shopper never came back
// gets settled.
//
// Before asking, it cancels the open attempts of orders another attempt has
// settled (see updateOrder); the sweep then records them as CANCELLED, or,
// if the shopper paid one after all, as a second payment to refund.
func (s *Shop) Sweep(ctx context.Context) (pointcheckout.ReconcileReport, error) {
	refs, err := s.orders.openAttempts(ctx, s.cfg.Now().Add(-s.cfg.ReconcileMinAge), 100)
	if err != nil || len(refs) == 0 {
		return pointcheckout.ReconcileReport{}, err
	}
	seen := map[string]bool{}
	for _, ref := range refs {
		if ctx.Err() != nil {
			break
		}
		if !seen[ref.OrderID] {
			seen[ref.OrderID] = true
			s.cancelOtherAttempts(ctx, ref.OrderID)
		}
	}
	rep, err := s.pay.Reconcile(ctx, refs)
	// Recorded even when ctx has ended, or the same attempts would come
	// first again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if merr := s.orders.markChecked(rctx, refs); merr != nil {
		err = errors.Join(err, fmt.Errorf("shop: record the sweep: %w", merr))
	}
	return rep, err
}

// updateOrder is the shop's OrderUpdater: the order store's rules, and once
// an update settles an order, its other open attempts are cancelled at the
// gateway, so the shopper cannot pay a second time in a tab left open.
func (s *Shop) updateOrder(ctx context.Context, u pointcheckout.Update) error {
	if err := s.orders.UpdateOrder(ctx, u); err != nil {
		return err
	}
	if settled(u.Status) {
		// Not bounded by the shopper's request: the order is paid, and a
		// cancel cut short would leave another attempt payable.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		s.cancelOtherAttempts(cctx, u.OrderID)
	}
	return nil
}

// cancelOtherAttempts cancels the open attempts of a settled order other
// than the one that settled it, within ctx. A cancel that fails (the
// gateway is down, or the shopper has just paid that attempt too) is only
// logged: the next sweep tries again, and records whatever the attempt
// became.
func (s *Shop) cancelOtherAttempts(ctx context.Context, orderID string) {
	o, err := s.orders.get(ctx, orderID)
	if err != nil || !o.Settled() {
		return
	}
	refs, err := s.orders.openAttemptsOf(ctx, orderID)
	if err != nil {
		s.log.Warn("open attempts", "order", orderID, "error", err)
		return
	}
	for _, ref := range refs {
		if ref.CheckoutID == o.CheckoutID || ctx.Err() != nil {
			continue
		}
		if _, err := s.cfg.Client.CancelCheckout(ctx, ref.CheckoutID); err != nil {
			s.log.Warn("cancel of a replaced attempt failed", "order", orderID, "checkout", ref.CheckoutID, "error", err)
			continue
		}
		s.log.Info("replaced attempt cancelled", "order", orderID, "checkout", ref.CheckoutID)
	}
}

// RunReconciler sweeps every interval until ctx ends.
func (s *Shop) RunReconciler(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sweepCtx, cancel := context.WithTimeout(ctx, every)
		rep, err := s.Sweep(sweepCtx)
		cancel()
		switch {
		case errors.Is(err, pointcheckout.ErrNotFound):
			// Not an outage: the gateway has forgotten a checkout (a
			// sandbox whose state was lost, say). Only the admin can
			// close such an order.
			s.log.Warn("reconcile: the gateway no longer knows some checkouts; close their orders on the admin page", "error", err)
		case err != nil:
			s.log.Error("reconcile", "error", err)
		}
		if rep.Checked > 0 {
			s.log.Info("reconcile", "checked", rep.Checked, "final", rep.Final, "pending", rep.Pending, "errors", rep.Errors)
		}
	}
}
