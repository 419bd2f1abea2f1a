package main

import (
	"context"
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
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
)

// Config configures a Shop.
type Config struct {
	// DBPath is the SQLite file holding carts, orders and the payment
	// ledger (created if missing), unless DatabaseURL is set.
	DBPath string
	// DatabaseURL, a postgres:// URL, keeps them in PostgreSQL instead,
	// which several instances of the shop can share.
	DatabaseURL string
	// Instance names this instance in the X-Shop-Instance header of every
	// answer and in its logs; empty for none.
	Instance string
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
	// SweepEvery is the time between two sweeps of one open attempt, by
	// all instances together (default 1m); every instance must use the
	// same.
	SweepEvery time.Duration
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
	db       database
	catalog  *catalog
	carts    carts
	orders   *orderStore
	ledger   *sqlledger.Ledger
	sweeper  *sqlledger.Sweeper
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
	if cfg.Instance != "" {
		cfg.Logger = cfg.Logger.With("instance", cfg.Instance)
	}
	if cfg.SweepEvery == 0 {
		cfg.SweepEvery = time.Minute
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
	s := &Shop{
		cfg:      cfg,
		log:      cfg.Logger,
		catalog:  cat,
		sessions: sessions{secure: base.Scheme == "https"},
		pages:    pg,
		hosts:    newHostCheck(base, cfg.Logger, cfg.Now),
		limits:   newRouteLimits(cfg.Limits, cfg.Now),
		clients:  clientAddrs{trusted: cfg.TrustedProxies},
	}
	if err := s.openDB(ctx); err != nil {
		return nil, err
	}
	s.carts = carts{database: s.db, catalog: cat}
	s.orders = &orderStore{database: s.db, ledger: s.ledger, now: cfg.Now}
	s.pay, err = pointcheckout.New(pointcheckout.Config{
		Client:        cfg.Client,
		Orders:        pointcheckout.OrdersFunc(s.checkoutFor),
		Updater:       s.ledger,
		Refs:          s.ledger,
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
		s.db.db.Close()
		return nil, fmt.Errorf("shop: payments: %w", err)
	}
	s.sweeper = s.ledger.NewSweeper(s.pay, sqlledger.SweeperConfig{
		Interval: cfg.SweepEvery, MinAge: cfg.ReconcileMinAge, OnClaim: s.logClaims,
	})
	s.handler = s.routes()
	return s, nil
}

// openDB opens the database (PostgreSQL when Config.DatabaseURL is set,
// else SQLite), brings the shop's tables and the ledger's up to date, and
// makes the ledger. A failure is a *dbError.
func (s *Shop) openDB(ctx context.Context) error {
	var err error
	where := s.cfg.DBPath
	if s.cfg.DatabaseURL != "" {
		where = "SHOP_DATABASE_URL"
		if !isPostgresURL(s.cfg.DatabaseURL) {
			return &dbError{path: where, err: errors.New("want a postgres:// URL")}
		}
		s.db, err = openPostgres(s.cfg.DatabaseURL)
	} else {
		s.db, err = openSQLite(s.cfg.DBPath)
	}
	if err != nil {
		return &dbError{path: where, err: err}
	}
	s.ledger, err = sqlledger.New(sqlledger.Config{
		DB: s.db.db, Dialect: s.db.dialect, Client: s.cfg.Client,
		OrderChanged: s.orderChanged, Logger: s.log, Now: s.cfg.Now,
	})
	if err == nil {
		err = s.db.migrate(ctx)
	}
	if err == nil {
		err = s.ledger.Migrate(ctx)
	}
	if err != nil {
		s.db.db.Close()
		return &dbError{path: where, err: err}
	}
	return nil
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
func (s *Shop) Close() error { return s.db.db.Close() }

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
	mux.Handle("GET /admin/orders.json", s.adminOnly(http.HandlerFunc(s.exportOrders)))
	mux.Handle("POST /admin/reconcile", s.adminOnly(http.HandlerFunc(s.reconcileNow)))
	mux.Handle("POST /admin/orders/{id}/close", s.adminOnly(http.HandlerFunc(s.closeOrder)))
	return s.instanceHeader(securityHeaders(s.hosts.wrap(s.limitRequests(s.pay.Middleware(http.NewCrossOriginProtection().Handler(mux))))))
}

// instanceHeader names the instance in every answer (Config.Instance), so
// that behind a load balancer one can see which instance served what.
func (s *Shop) instanceHeader(next http.Handler) http.Handler {
	if s.cfg.Instance == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(instanceHeader, s.cfg.Instance)
		next.ServeHTTP(w, r)
	})
}

// instanceHeader is the response header naming the instance that served a
// request.
const instanceHeader = "X-Shop-Instance"

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
// that placed it. Nothing but the order id is read from the form. The
// ledger has the last word on whether another attempt may start (none
// after money was taken, none while one awaits confirmation, at most a few
// open at once), so a refused one is never created at the gateway.
func (s *Shop) checkoutFor(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
	o, err := s.orders.getFor(r.Context(), r.PostFormValue("order_id"), s.sessions.lookup(r))
	switch {
	case errors.Is(err, errUnknownOrder), errors.Is(err, errNotYourOrder):
		return nil, fmt.Errorf("%w: %w", pointcheckout.ErrNotFound, err)
	case err != nil:
		return nil, err
	case o.TookMoney():
		return nil, fmt.Errorf("%w: order %s: %w", pointcheckout.ErrInvalidRequest, o.ID, errAlreadyPaid)
	case !o.Payable():
		return nil, fmt.Errorf("%w: order %s: %w", pointcheckout.ErrInvalidRequest, o.ID, errNotPayable)
	}
	if err := s.ledger.CanStartAttempt(r.Context(), o.ID); err != nil {
		return nil, err
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
