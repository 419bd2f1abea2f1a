package pointcheckout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/pointcheckout-go/pointcheckout/internal/codec"
)

// Orders turns an incoming POST /pay into the checkout to create. It reads
// the order from the shop's own records: the amount, currency and items must
// never come from form fields the shopper controls. RequestID and ReturnURL
// are filled in by the Handler; whatever Orders puts there is replaced.
//
// Return an error wrapping [ErrNotFound] for an unknown order (404) or
// [ErrInvalidRequest] for an order that cannot be paid (400); any other
// error answers 500. The shopper never sees the error's text.
type Orders interface {
	CheckoutFor(r *http.Request) (*CheckoutRequest, error)
}

// OrdersFunc adapts a function to Orders.
type OrdersFunc func(r *http.Request) (*CheckoutRequest, error)

// CheckoutFor calls f(r).
func (f OrdersFunc) CheckoutFor(r *http.Request) (*CheckoutRequest, error) { return f(r) }

// Update is a verified change of an order's payment, handed to the
// [OrderUpdater]. Except for the PENDING update sent when a checkout is
// created, Status comes from the Merchant API after the checkout was checked
// against the Ref the shop created it with (id, order, request, currency and
// exact amount), never from anything the shopper sent.
type Update struct {
	// OrderID is the shop's order.
	OrderID string
	// CheckoutID is the gateway's checkout of this attempt.
	CheckoutID string
	// RequestID is unique to this attempt.
	RequestID string
	// Status is the checkout's status.
	Status Status
	// Amount is the checkout's exact amount.
	Amount Money
	// Ref is the whole reference; record it at SourcePay so the order can be
	// resolved later (Reconcile, notifications) if the shopper never returns.
	Ref Ref
	// Checkout is the checkout as the API reported it.
	Checkout *Checkout
	// Source says which step resolved the checkout.
	Source Source
}

// OrderUpdater applies payment updates to the shop's orders.
//
// Implementations must be idempotent and forward-only: the same update may
// arrive more than once (a refreshed return page, a notification racing the
// return, a reconciliation sweep), and updates of one order may arrive out
// of order. Apply an update only when the recorded status of that checkout
// (not of the order: see [Status.CanBecome]) can move to it; treat the same
// status as done. An order may have several checkouts (one per attempt): a
// newer attempt replaces one that took no money, an older attempt that took
// money (paid in a tab left open) wins, and an update of another checkout
// never takes a paid order back (see ExampleOrderUpdater_retryAfterDecline). Return an error only when the update could not be
// stored; the Handler then answers 500 and keeps the shopper's reference so
// that a refresh delivers the update again.
type OrderUpdater interface {
	UpdateOrder(ctx context.Context, u Update) error
}

// OrderUpdaterFunc adapts a function to OrderUpdater.
type OrderUpdaterFunc func(ctx context.Context, u Update) error

// UpdateOrder calls f(ctx, u).
func (f OrderUpdaterFunc) UpdateOrder(ctx context.Context, u Update) error { return f(ctx, u) }

// RefFinder finds the Ref the shop recorded (from the SourcePay update) for a
// checkout id. The notify handler needs it; an OrderUpdater that also
// implements RefFinder is used as one. Return an error wrapping ErrNotFound
// for an unknown checkout.
type RefFinder interface {
	FindRef(ctx context.Context, checkoutID string) (Ref, error)
}

// RequestRefFinder is a RefFinder that also finds a Ref by its request id.
// When a shopper comes back with the signed return token but without the
// cookie, the Handler then asks the gateway about the checkout id the shop
// recorded at /pay, rather than the one the return URL's query names.
type RequestRefFinder interface {
	FindRefByRequestID(ctx context.Context, requestID string) (Ref, error)
}

// ErrVerification reports a checkout whose API answer does not match the Ref
// the shop created it with. It is a security event: the order is not updated.
var ErrVerification = errors.New("pointcheckout: checkout does not match its reference")

// VerificationError names the fields of a checkout that differ from its Ref.
// It matches ErrVerification under errors.Is.
type VerificationError struct {
	// OrderID is the order of the Ref the checkout was checked against.
	OrderID string
	// CheckoutID is the id in the API's answer.
	CheckoutID string
	// Fields lists what differs: "id", "orderId", "requestId", "amount",
	// "currency".
	Fields []string
}

// Error lists the fields without their values.
func (e *VerificationError) Error() string {
	return fmt.Sprintf("pointcheckout: checkout %q of order %q does not match its reference: %s",
		clip(e.CheckoutID), clip(e.OrderID), strings.Join(e.Fields, ", "))
}

// Is matches ErrVerification.
func (e *VerificationError) Is(target error) bool { return target == ErrVerification }

// Config configures a Handler. Client, Orders, Updater and Keys are required.
type Config struct {
	// Client talks to the Merchant API.
	Client *Client
	// Orders builds the checkout for a /pay request.
	Orders Orders
	// Updater receives every verified update.
	Updater OrderUpdater
	// Refs finds recorded Refs for /pay/notify (and, if it is a
	// RequestRefFinder, for returns without the cookie). If nil and Updater
	// implements RefFinder, Updater is used; with neither, /pay/notify
	// answers 501.
	Refs RefFinder
	// Keys sign and encrypt the checkout cookie, the return token and the
	// result cookie. The first pair encodes; all pairs decode, so a new pair
	// can be put first without logging anyone out. Every instance behind a
	// load balancer needs the same keys.
	Keys []KeyPair
	// Store keeps the shopper's Ref between /pay and /pay/return. The
	// default is a CookieStore with Keys, scoped to Prefix.
	Store Store
	// ReturnBaseURL is the shop's public origin, such as
	// "https://shop.example.com", used to build the return URL. It is
	// required (and must be https for a live environment) unless the
	// gateway is on loopback, as the sandbox is; then it defaults to the
	// origin of each /pay request.
	ReturnBaseURL string
	// Prefix is where the routes live: Prefix, Prefix+"/return" and
	// Prefix+"/notify". Default "/pay".
	Prefix string
	// SuccessURL and FailureURL are where the default OnResult sends the
	// shopper (paths on this site). Default "/".
	SuccessURL, FailureURL string
	// OnResult answers the shopper once a final status is recorded. The
	// default stores the Result in a short-lived signed cookie (see
	// ResultFromContext) and redirects (303) to SuccessURL when
	// Result.Succeeded, else to FailureURL.
	OnResult func(w http.ResponseWriter, r *http.Request, res Result)
	// OnError is told of failures worth an alert: verification mismatches
	// (ErrVerification), tampered references (ErrInvalidRef), refused
	// redirects and updater errors. It must not write to the response.
	OnError func(r *http.Request, err error)
	// RenderPage replaces the default HTML pages (confirming, error). It
	// must write the status code it is given.
	RenderPage func(w http.ResponseWriter, r *http.Request, p Page)
	// Logger receives structured logs; nil means slog.Default(). Logs never
	// hold credentials, cookie values or tokens.
	Logger *slog.Logger
	// PollTimeout is how long /pay/return waits for a PENDING checkout to
	// settle before showing the confirming page (default 3s; negative: no
	// waiting). PollInterval is the pause between polls (default 500ms).
	PollTimeout, PollInterval time.Duration
	// ReturnTimeout bounds the time /pay/return spends asking the gateway,
	// the client's retries and the polling included. When it passes, the
	// shopper sees the self-refreshing confirming page and the order is
	// left as it is: a hung gateway never keeps the shopper staring at a
	// blank tab until a proxy in front of the shop gives up. Default 10s;
	// never shorter than PollTimeout.
	ReturnTimeout time.Duration
	// RefreshAfter is how soon the confirming page reloads itself
	// (default 3s).
	RefreshAfter time.Duration
	// AllowedRedirectHosts are the hosts a checkout's redirectUrl may point
	// to. Default: the Client environment's PaymentHosts.
	AllowedRedirectHosts []string
}

// Handler serves the payment routes: POST /pay, GET|POST /pay/return and
// POST /pay/notify (under Config.Prefix). It keeps no state of its own
// between requests, so any number of instances sharing Keys can serve one
// shop. It is safe for concurrent use.
type Handler struct {
	client       *Client
	orders       Orders
	updater      OrderUpdater
	refs         RefFinder
	store        Store
	token        *codec.Codec
	result       sealedCookie
	returnBase   *url.URL
	prefix       string
	successURL   string
	failureURL   string
	onResult     func(http.ResponseWriter, *http.Request, Result)
	onError      func(*http.Request, error)
	render       func(http.ResponseWriter, *http.Request, Page)
	log          *slog.Logger
	pollTimeout  time.Duration
	pollInterval time.Duration
	returnBudget time.Duration
	refreshAfter time.Duration
	redirectHost map[string]bool
	allowHTTP    bool
	// local is set when the gateway is on loopback (the sandbox): error
	// pages then name the cause, for the developer at the keyboard.
	local   bool
	cop     *http.CrossOriginProtection
	flights flights
	now     func() time.Time
}

const (
	maxPayBody = 64 << 10
	tokenParam = "t"
	tokenName  = "pc_return"
	resultName = "pc_result"
	// tokenMaxAge is how long a return URL stays valid: as long as the
	// checkout cookie, which is long enough to pay.
	tokenMaxAge = DefaultCookieMaxAge
	resultTTL   = 10 * time.Minute
	// The query parameters the hosted page appends to the return URL.
	checkoutParam  = "checkout"
	referenceParam = "reference"
	// flightTimeout bounds a shared gateway call, which no single caller's
	// context bounds.
	flightTimeout = 2 * time.Minute
	// finalFresh is how long a final status answers later callers (a
	// notification right after the return) without a new gateway call.
	finalFresh = time.Second
)

// New checks cfg and builds a Handler. Anything missing or unsafe is an
// error here rather than a surprise in production: no client, orders or
// updater; no keys or short keys; a relative or plain-http return base URL
// for a live environment; success or failure URLs that leave the site.
func New(cfg Config) (*Handler, error) {
	var problems []string
	if cfg.Client == nil {
		problems = append(problems, "Client is required")
	}
	if cfg.Orders == nil {
		problems = append(problems, "Orders is required")
	}
	if cfg.Updater == nil {
		problems = append(problems, "Updater is required")
	}
	if len(cfg.Keys) == 0 {
		problems = append(problems, "Keys is required (see GenerateKeyPair)")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("pointcheckout: config: %s", strings.Join(problems, "; "))
	}
	h := &Handler{
		client:       cfg.Client,
		orders:       cfg.Orders,
		updater:      cfg.Updater,
		refs:         cfg.Refs,
		prefix:       cfg.Prefix,
		successURL:   cfg.SuccessURL,
		failureURL:   cfg.FailureURL,
		onResult:     cfg.OnResult,
		onError:      cfg.OnError,
		render:       cfg.RenderPage,
		log:          cfg.Logger,
		pollTimeout:  cfg.PollTimeout,
		pollInterval: cfg.PollInterval,
		returnBudget: cfg.ReturnTimeout,
		refreshAfter: cfg.RefreshAfter,
		cop:          http.NewCrossOriginProtection(),
		now:          time.Now,
	}
	if h.refs == nil {
		h.refs, _ = cfg.Updater.(RefFinder)
	}
	if h.prefix == "" {
		h.prefix = "/pay"
	}
	// A prefix such as "//host" or "/\host" would be read by browsers as
	// another site wherever it is used as a link (the confirming page's
	// refresh, the cookie path), so only a plain path is accepted.
	if !isSitePath(h.prefix) || strings.HasSuffix(h.prefix, "/") || strings.ContainsAny(h.prefix, "?#") {
		return nil, fmt.Errorf("pointcheckout: config: Prefix %q must be a path on this site: start with a single /, not end with /", clip(h.prefix))
	}
	for _, u := range []*string{&h.successURL, &h.failureURL} {
		if *u == "" {
			*u = "/"
		}
		if !isSitePath(*u) {
			return nil, fmt.Errorf("pointcheckout: config: SuccessURL and FailureURL must be canonical paths on this site (no backslash, no dot segments), got %q", clip(*u))
		}
	}
	env := cfg.Client.Environment()
	// Only a gateway on this machine (the sandbox) earns the development
	// shortcuts: a return URL taken from the request's Host and plain-http
	// payment pages. Anything else is treated as real, whether or not its
	// Environment says Live.
	local := false
	if u, err := url.Parse(env.BaseURL); err == nil {
		local = isLoopbackHost(u.Host)
	}
	if cfg.ReturnBaseURL != "" {
		u, err := url.Parse(cfg.ReturnBaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return nil, fmt.Errorf("pointcheckout: config: ReturnBaseURL must be an absolute http(s) URL such as https://shop.example.com")
		}
		if env.Live && u.Scheme != "https" {
			return nil, fmt.Errorf("pointcheckout: config: ReturnBaseURL must be https in the %s environment", env.Name)
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawQuery, u.Fragment = "", ""
		h.returnBase = u
	} else if !local {
		return nil, fmt.Errorf("pointcheckout: config: ReturnBaseURL is required with the %s environment (it may be omitted only with a gateway on loopback)", env.Name)
	}
	hosts := cfg.AllowedRedirectHosts
	if len(hosts) == 0 {
		hosts = env.PaymentHosts
	}
	if len(hosts) == 0 {
		return nil, errors.New("pointcheckout: config: no AllowedRedirectHosts and the environment names no payment hosts")
	}
	h.redirectHost = make(map[string]bool, len(hosts))
	for _, host := range hosts {
		h.redirectHost[strings.ToLower(host)] = true
	}
	h.allowHTTP = local && !env.Live
	h.local = local
	// The token travels in a URL: signed, not encrypted (a Ref is no
	// secret), which keeps the return URL short.
	tok, err := newCodec(cfg.Keys, tokenMaxAge, false)
	if err != nil {
		return nil, fmt.Errorf("pointcheckout: config: %w", err)
	}
	h.token = tok
	// Behind a proxy that forwards neither TLS nor X-Forwarded-Proto, the
	// request alone cannot tell that the site is https; the return base
	// can.
	secure := h.returnBase != nil && h.returnBase.Scheme == "https"
	h.result, err = newSealedCookie(cfg.Keys, CookieOptions{Name: resultName, Path: "/", MaxAge: resultTTL, Secure: secure}, true)
	if err != nil {
		return nil, fmt.Errorf("pointcheckout: config: %w", err)
	}
	h.store = cfg.Store
	if h.store == nil {
		s, err := NewCookieStore(cfg.Keys, CookieOptions{Path: h.prefix, Secure: secure})
		if err != nil {
			return nil, fmt.Errorf("pointcheckout: config: %w", err)
		}
		h.store = s
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.pollTimeout == 0 {
		h.pollTimeout = 3 * time.Second
	}
	if h.pollInterval <= 0 {
		h.pollInterval = 500 * time.Millisecond
	}
	if h.returnBudget <= 0 {
		h.returnBudget = 10 * time.Second
	}
	h.returnBudget = max(h.returnBudget, h.pollTimeout)
	if h.refreshAfter <= 0 {
		h.refreshAfter = 3 * time.Second
	}
	if h.onResult == nil {
		h.onResult = h.redirectToResult
	}
	if h.render == nil {
		h.render = renderDefaultPage
	}
	// A finished call is kept a few poll intervals: long enough to answer
	// the next poll and to remember what was reported, short enough that
	// a busy shop keeps few.
	h.flights = flights{timeout: flightTimeout, retain: 4 * max(finalFresh, h.pollInterval), join: h.returnBudget, now: func() time.Time { return h.now() }}
	return h, nil
}

// isLocalPath accepts "/x" but not "//host" or "/\host", which browsers read
// as another site.
func isLocalPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\") &&
		!strings.ContainsAny(p, "\r\n\t")
}

// isSitePath accepts only a canonical path on this site, with an optional
// query: no backslash and no dot segment, also once percent-decoded, since a
// browser resolves "/./\evil.example" or "/%2e%2e/" to another place than
// the text suggests. A trailing slash is allowed.
func isSitePath(p string) bool {
	if !isLocalPath(p) || strings.ContainsAny(p, `\#`) {
		return false
	}
	pth, _, _ := strings.Cut(p, "?")
	dec, err := url.PathUnescape(pth)
	if err != nil {
		return false
	}
	for _, s := range []string{pth, dec} {
		if !isLocalPath(s) || strings.Contains(s, `\`) {
			return false
		}
		if c := path.Clean(s); c != s && c+"/" != s {
			return false
		}
	}
	return true
}

// PayHandler returns the POST /pay handler on its own, for routers that
// mount routes one by one.
func (h *Handler) PayHandler() http.Handler { return http.HandlerFunc(h.servePay) }

// ReturnHandler returns the GET|POST /pay/return handler on its own. Its
// route must be Prefix+"/return": that is the URL the gateway is given.
func (h *Handler) ReturnHandler() http.Handler { return http.HandlerFunc(h.serveReturn) }

// NotifyHandler returns the POST /pay/notify handler on its own.
func (h *Handler) NotifyHandler() http.Handler { return http.HandlerFunc(h.serveNotify) }

// ServeHTTP serves the three routes under Prefix and answers 404 to
// anything else; use Middleware to fall through to the shop instead.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.route(w, r) {
		http.NotFound(w, r)
	}
}

// route serves r if its path is one of the package's routes.
func (h *Handler) route(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case h.prefix:
		h.servePay(w, r)
	case h.prefix + "/return":
		h.serveReturn(w, r)
	case h.prefix + "/notify":
		h.serveNotify(w, r)
	default:
		return false
	}
	return true
}

// servePay creates a checkout and sends the shopper to the payment page.
func (h *Handler) servePay(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.page(w, r, Page{Kind: PageError, Status: http.StatusMethodNotAllowed, Message: "Payments start from the shop's checkout form."})
		return
	}
	if err := h.cop.Check(r); err != nil {
		h.security(r, "cross-origin /pay refused", err)
		h.page(w, r, Page{Kind: PageError, Status: http.StatusForbidden, Message: "This payment request did not come from the shop's own page."})
		return
	}
	// A checkout form is a few hundred bytes; bound what Orders may parse.
	r.Body = http.MaxBytesReader(w, r.Body, maxPayBody)
	ctx := r.Context()
	req, err := h.orders.CheckoutFor(r)
	if err != nil || req == nil {
		if err == nil {
			err = errors.New("orders returned no checkout")
		}
		status, level := http.StatusInternalServerError, slog.LevelError
		switch {
		case errors.Is(err, ErrNotFound):
			status, level = http.StatusNotFound, slog.LevelWarn
		case errors.Is(err, ErrInvalidRequest):
			status, level = http.StatusBadRequest, slog.LevelWarn
		}
		// An error that is not one of the two is the shop's own bug or
		// outage: logged at Error, and named on the page in development.
		h.log.Log(ctx, level, "pointcheckout: order cannot be paid", "err", err)
		h.page(w, r, Page{Kind: PageError, Status: status, Message: h.because("This order cannot be paid right now.", err, status)})
		return
	}
	ref := Ref{OrderID: req.OrderID, RequestID: newRequestID(), Amount: req.Amount, CreatedAt: h.now().UTC().Truncate(time.Second)}
	creq := *req
	creq.RequestID = ref.RequestID
	returnURL, err := h.returnURL(r, ref)
	if err != nil {
		// What Orders returned cannot make a Ref (no order id, an id
		// too long): the shop's bug.
		h.fail(r, "pointcheckout: order cannot make a checkout reference", err)
		h.page(w, r, Page{Kind: PageError, Status: http.StatusInternalServerError, Message: h.because("The payment could not be started.", err, http.StatusInternalServerError)})
		return
	}
	creq.ReturnURL = returnURL
	co, err := h.client.CreateWebCheckout(ctx, &creq)
	if err != nil {
		status := http.StatusBadGateway
		if errors.Is(err, ErrInvalidRequest) {
			// What Orders built does not make a valid checkout: the
			// shop's bug.
			status = http.StatusInternalServerError
		}
		h.fail(r, "pointcheckout: create checkout failed", err, "order_id", ref.OrderID, "request_id", ref.RequestID)
		h.page(w, r, Page{Kind: PageError, Status: status, Message: h.because("The payment could not be started. Nothing was charged; please try again.", err, status)})
		return
	}
	ref.CheckoutID = co.ID
	if err := verify(ref, co); err != nil {
		h.security(r, "created checkout does not match the request", err)
		h.page(w, r, Page{Kind: PageError, Status: http.StatusBadGateway, Message: "The payment could not be started. Nothing was charged; please try again."})
		return
	}
	if err := h.checkRedirect(co.RedirectURL); err != nil {
		h.security(r, "payment page URL refused", err, "order_id", ref.OrderID, "checkout_id", co.ID)
		h.cancelQuietly(ctx, co.ID)
		h.page(w, r, Page{Kind: PageError, Status: http.StatusBadGateway, Message: "The payment could not be started. Nothing was charged; please try again."})
		return
	}
	u := Update{OrderID: ref.OrderID, CheckoutID: co.ID, RequestID: ref.RequestID, Status: StatusPending, Amount: co.Amount, Ref: ref, Checkout: co, Source: SourcePay}
	if err := h.updater.UpdateOrder(ctx, u); err != nil {
		h.fail(r, "pointcheckout: order updater failed at pay", err, "order_id", ref.OrderID, "checkout_id", co.ID)
		h.cancelQuietly(ctx, co.ID)
		h.page(w, r, Page{Kind: PageError, Status: http.StatusInternalServerError, Message: "The payment could not be started. Nothing was charged; please try again."})
		return
	}
	if err := h.store.Save(w, r, ref); err != nil {
		h.fail(r, "pointcheckout: saving the checkout reference failed", err, "order_id", ref.OrderID)
		h.page(w, r, Page{Kind: PageError, Status: http.StatusInternalServerError, Message: "The payment could not be started."})
		return
	}
	h.log.InfoContext(ctx, "pointcheckout: checkout created", "order_id", ref.OrderID, "checkout_id", co.ID, "request_id", ref.RequestID, "amount", ref.Amount)
	http.Redirect(w, r, co.RedirectURL, http.StatusSeeOther)
}

// because adds the cause of a 500 to a page's message when the gateway is on
// loopback: a developer trying the shop against the sandbox sees what their
// Orders or configuration got wrong. Shoppers of a real shop never do.
// Errors of this package carry no credentials.
func (h *Handler) because(msg string, err error, status int) string {
	if !h.local || status != http.StatusInternalServerError || err == nil {
		return msg
	}
	return msg + " (Development detail, shown because the gateway is on loopback: " + clipMessage(err.Error()) + ")"
}

// newRequestID returns a fresh, time-ordered request id for one attempt.
func newRequestID() string {
	if id, err := uuid.NewV7(); err == nil {
		return id.String()
	}
	return uuid.NewString()
}

// returnURL builds Prefix+"/return" on the shop's origin, carrying the
// signed Ref so the return works without the cookie.
func (h *Handler) returnURL(r *http.Request, ref Ref) (string, error) {
	if err := ref.Validate(); err != nil {
		return "", err
	}
	rec := refRecord(ref)
	tok, err := h.token.Encode(tokenName, &rec)
	if err != nil {
		return "", err
	}
	var base url.URL
	if h.returnBase != nil {
		base = *h.returnBase
	} else {
		base = url.URL{Scheme: "http", Host: r.Host}
		if requestIsHTTPS(r) {
			base.Scheme = "https"
		}
	}
	base.Path += h.prefix + "/return"
	base.RawQuery = url.Values{tokenParam: {tok}}.Encode()
	return base.String(), nil
}

// checkRedirect accepts only an absolute URL on an allowed payment host.
func (h *Handler) checkRedirect(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("redirectUrl is not a URL")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && h.allowHTTP) {
		return fmt.Errorf("redirectUrl scheme %q not allowed", clip(u.Scheme))
	}
	if u.User != nil || !h.redirectHost[strings.ToLower(u.Host)] {
		return fmt.Errorf("redirectUrl host %q not allowed", clip(u.Host))
	}
	return nil
}

// cancelQuietly cancels a checkout the shopper will never be sent to, so it
// cannot be paid later; failure is only logged (it will expire anyway).
func (h *Handler) cancelQuietly(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := h.client.CancelCheckout(ctx, id); err != nil {
		h.log.WarnContext(ctx, "pointcheckout: cancel of an unused checkout failed", "checkout_id", id, "err", err)
	}
}

// serveReturn verifies the checkout the shopper comes back from.
func (h *Handler) serveReturn(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.page(w, r, Page{Kind: PageError, Status: http.StatusMethodNotAllowed, Message: "Method not allowed."})
		return
	}
	ret, ok := h.returnRef(w, r)
	if !ok {
		return
	}
	ref := ret.ref
	res, err := h.resolve(r.Context(), ref, SourceReturn, ret.hint, h.pollTimeout, h.returnBudget)
	switch {
	case err == nil && res.Status.IsFinal():
		if !ret.otherAttempt {
			// A return with the token of another attempt than the
			// cookie's leaves the cookie to its own attempt.
			h.store.Clear(w, r)
		}
		h.onResult(w, r, res)
	case errors.Is(err, ErrUpdateFailed):
		// Checked first: an updater error may wrap a timeout, and a shop
		// that cannot record a payment must hear of it (500, OnError), not
		// be shown a confirming page.
		h.fail(r, "pointcheckout: order updater failed", err, "order_id", ref.OrderID)
		h.page(w, r, Page{Kind: PageError, Status: http.StatusInternalServerError, Message: "The result of your payment could not be recorded yet. Please reload this page.", RefreshURL: r.URL.RequestURI()})
	case err == nil || errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		// Still pending, or the gateway could not say: never a failure. The
		// cookie stays, and the page asks again by itself.
		if err != nil {
			h.log.WarnContext(r.Context(), "pointcheckout: gateway unavailable on return", "order_id", ref.OrderID, "err", err)
		}
		h.page(w, r, Page{Kind: PageConfirming, Status: http.StatusOK, Result: res, RefreshURL: r.URL.RequestURI(), RefreshAfter: h.refreshAfter})
	case errors.Is(err, ErrVerification):
		h.security(r, "checkout answer does not match its reference", err)
		h.page(w, r, Page{Kind: PageError, Status: http.StatusBadGateway, Message: "We could not verify this payment. Your order has not been changed; please reload this page in a moment.", RefreshURL: r.URL.RequestURI()})
	case errors.Is(err, ErrNotFound):
		h.security(r, "returned checkout not found", err, "order_id", ref.OrderID)
		h.page(w, r, Page{Kind: PageError, Status: http.StatusNotFound, Message: "We could not find this payment."})
	default:
		h.fail(r, "pointcheckout: return could not be resolved", err, "order_id", ref.OrderID)
		h.page(w, r, Page{Kind: PageError, Status: http.StatusBadGateway, Message: "We could not confirm this payment yet. Your order has not been changed; please reload this page.", RefreshURL: r.URL.RequestURI()})
	}
}

// returned is what a return request says about its attempt.
type returned struct {
	ref Ref
	// hint is the checkout id the hosted page appended to the return URL:
	// which checkout to ask about when the Ref has none, never a status.
	hint string
	// otherAttempt: the token names another attempt than the cookie's.
	otherAttempt bool
}

// returnRef finds the Ref of a return: the cookie, else the signed token.
// Whichever opens is used: a token damaged on the way (cut by a proxy,
// mangled by a naive append) does not hide a valid cookie, and a stale
// cookie the shop cannot clear (set under another Path) does not hide a
// valid token. Neither opening is refused, and so is a token of another
// order than the cookie's. A token of another attempt at the same order
// wins: the shopper started a second attempt (a second tab, the back
// button) and then paid the first one, and the gateway sent them back with
// that attempt's token. The cookie is left for the other attempt.
func (h *Handler) returnRef(w http.ResponseWriter, r *http.Request) (returned, bool) {
	q := r.URL.Query()
	tok := q.Get(tokenParam)
	// A gateway that appends "?checkout=…" to a return URL that already has
	// a query leaves its parameters inside the token's value; a token
	// never contains "?".
	if t, extra, found := strings.Cut(tok, "?"); found {
		tok = t
		if more, err := url.ParseQuery(extra); err == nil {
			for k, v := range more {
				if !q.Has(k) {
					q[k] = v
				}
			}
		}
	}
	hint := q.Get(checkoutParam)
	if hint == "" && r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxNotifyBody)
		hint = r.PostFormValue(checkoutParam)
	}
	if !validCheckoutID(hint) {
		hint = ""
	}
	cookieRef, cerr := h.store.Load(r)
	var tokenRef Ref
	terr := ErrNoRef
	if tok != "" {
		var rec codec.Record
		if terr = h.token.Decode(tokenName, tok, &rec); terr == nil {
			tokenRef, terr = recordRef(&rec)
		} else {
			terr = fmt.Errorf("%w: %w", ErrInvalidRef, terr)
		}
	}
	cookieBad := cerr != nil && !errors.Is(cerr, ErrNoRef)
	tokenBad := terr != nil && !errors.Is(terr, ErrNoRef)
	if cookieBad {
		// A cookie that fails its MAC is not this shop's: drop it so it
		// stands in no later return's way.
		h.store.Clear(w, r)
	}
	switch {
	case cerr == nil && terr == nil:
		switch {
		case cookieRef.Matches(tokenRef):
			return returned{ref: cookieRef, hint: hint}, true
		case cookieRef.OrderID != tokenRef.OrderID:
			h.refuse(w, r, "checkout cookie and return token name different orders",
				fmt.Errorf("%w: cookie order %q, token order %q", ErrInvalidRef, clip(cookieRef.OrderID), clip(tokenRef.OrderID)))
			return returned{}, false
		}
		h.log.InfoContext(r.Context(), "pointcheckout: return from an earlier attempt than the cookie's", "order_id", tokenRef.OrderID, "request_id", tokenRef.RequestID)
		return returned{ref: tokenRef, hint: hint, otherAttempt: true}, true
	case cerr == nil:
		if tokenBad {
			h.log.WarnContext(r.Context(), "pointcheckout: return token unreadable, the checkout cookie names the attempt", "order_id", cookieRef.OrderID, "err", terr)
		}
		return returned{ref: cookieRef, hint: hint}, true
	case terr == nil:
		if cookieBad {
			h.log.WarnContext(r.Context(), "pointcheckout: checkout cookie unreadable, the return token names the attempt", "order_id", tokenRef.OrderID, "err", cerr)
		}
		return returned{ref: tokenRef, hint: hint}, true
	case cookieBad:
		h.refuse(w, r, "checkout cookie refused", cerr)
		return returned{}, false
	case tokenBad:
		h.refuse(w, r, "return token refused", terr)
		return returned{}, false
	}
	h.page(w, r, Page{Kind: PageError, Status: http.StatusBadRequest, Message: "There is no payment in progress in this browser."})
	return returned{}, false
}

// refuse answers a return whose reference cannot be trusted.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, msg string, err error) {
	h.security(r, msg, err)
	h.page(w, r, Page{Kind: PageError, Status: http.StatusBadRequest, Message: "This payment link is not valid."})
}

// ErrUpdateFailed wraps an error returned by the OrderUpdater, so callers of
// Resolve and Reconcile can tell "the shop could not store the update" from
// gateway trouble.
var ErrUpdateFailed = errors.New("pointcheckout: order updater failed")

// Resolve fetches the checkout of ref from the API, verifies it against ref
// and hands a final (or newly confirming) status to the OrderUpdater. A
// checkout still PENDING yields a Result with that status and no update. An
// unreachable gateway yields an error matching ErrUnavailable, a mismatch
// ErrVerification; neither changes the order. Concurrent calls for the same
// checkout on one Handler share one gateway call and one update.
func (h *Handler) Resolve(ctx context.Context, ref Ref, src Source) (Result, error) {
	return h.resolve(ctx, ref, src, "", 0, 0)
}

// resolve is Resolve with polling: while the checkout is PENDING it asks
// again every pollInterval until wait has passed. A positive budget bounds
// the time this caller waits on the gateway (fetches and polling): when it
// runs out the result is still pending, or the fetch's error. hint is a
// checkout id to ask about when ref has none.
func (h *Handler) resolve(ctx context.Context, ref Ref, src Source, hint string, wait, budget time.Duration) (Result, error) {
	res := Result{OrderID: ref.OrderID, CheckoutID: ref.CheckoutID, Status: StatusPending, Amount: ref.Amount, Source: src}
	deadline := h.now().Add(wait)
	gctx := ctx
	if budget > 0 {
		var cancel context.CancelFunc
		gctx, cancel = context.WithTimeout(ctx, budget)
		defer cancel()
	}
	if ref.CheckoutID == "" {
		id, err := h.checkoutIDOf(gctx, ref, hint)
		if err != nil {
			return res, err
		}
		// Not yet confirmed: check verifies the answer for this id
		// against every other field of the Ref.
		ref.CheckoutID = id
	}
	// The first answer is fresh (or in flight); a poll may take the
	// answer another waiter got less than a poll interval ago.
	var reuse time.Duration
	for {
		co, err := h.check(gctx, ref, src, reuse)
		if err != nil {
			return res, err
		}
		reuse = h.pollInterval
		res.CheckoutID, res.Status = co.ID, co.Status
		if co.Status.IsFinal() {
			return res, nil
		}
		if co.Status == StatusUnknown {
			res.Status = StatusPending
		}
		if !h.now().Add(h.pollInterval).Before(deadline) {
			return res, nil
		}
		t := time.NewTimer(h.pollInterval)
		select {
		case <-gctx.Done():
			t.Stop()
			return res, nil
		case <-t.C:
		}
	}
}

// check asks the gateway about ref's checkout once, verifies the answer
// against ref and hands a final or newly confirming status to the
// OrderUpdater. Callers asking about the same attempt at once share one
// call (see flights); a final status answers later callers for finalFresh,
// a pending one only callers that accept an answer up to reuse old.
func (h *Handler) check(ctx context.Context, ref Ref, src Source, reuse time.Duration) (*Checkout, error) {
	key := ref.CheckoutID + "\x00" + ref.RequestID + "\x00" + ref.OrderID + "\x00" + ref.Amount.String()
	v, err := h.flights.do(ctx, key, reuse, func(ctx context.Context, reported *Status) (flightValue, error) {
		co, err := h.client.GetCheckout(ctx, ref.CheckoutID)
		if err != nil {
			return flightValue{}, err
		}
		if err := verify(ref, co); err != nil {
			return flightValue{}, err
		}
		fresh := h.pollInterval
		if co.Status.IsFinal() {
			fresh = finalFresh
		}
		if co.Status == StatusUnknown {
			h.log.WarnContext(ctx, "pointcheckout: unknown checkout status, treated as pending", "checkout_id", co.ID, "status", clip(co.RawStatus))
		}
		// A final status goes to the updater once per call; a status that
		// only says "still confirming" once per instance.
		if co.Status.IsFinal() || (co.Status == StatusPendingConfirmation && co.Status != *reported) {
			ref := ref
			u := Update{OrderID: ref.OrderID, CheckoutID: co.ID, RequestID: ref.RequestID, Status: co.Status, Amount: co.Amount, Ref: ref, Checkout: co, Source: src}
			if err := h.updater.UpdateOrder(ctx, u); err != nil {
				return flightValue{}, fmt.Errorf("%w: %w", ErrUpdateFailed, err)
			}
			*reported = co.Status
			h.log.InfoContext(ctx, "pointcheckout: order updated", "order_id", ref.OrderID, "checkout_id", co.ID, "status", co.Status, "source", src)
		}
		return flightValue{co: co, final: co.Status.IsFinal(), fresh: fresh}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.co, nil
}

// checkoutIDOf finds which checkout to ask about for a Ref that has no id
// (the return token's): the one the shop recorded for the request id at
// /pay, else the one the hosted page appended to the return URL, else the
// one a search by request id finds. None of them is trusted before a get of
// that id answers a checkout that matches the Ref.
func (h *Handler) checkoutIDOf(ctx context.Context, ref Ref, hint string) (string, error) {
	if rf, ok := h.refs.(RequestRefFinder); ok {
		rec, err := rf.FindRefByRequestID(ctx, ref.RequestID)
		switch {
		case err == nil && rec.CheckoutID != "" && rec.OrderID == ref.OrderID && rec.RequestID == ref.RequestID && rec.Amount == ref.Amount:
			return rec.CheckoutID, nil
		case err == nil:
			h.log.ErrorContext(ctx, "pointcheckout: security: the Ref recorded for a request id does not match the return token", "order_id", ref.OrderID, "request_id", ref.RequestID)
		case !errors.Is(err, ErrNotFound):
			h.log.WarnContext(ctx, "pointcheckout: finding the recorded Ref of a return failed", "request_id", ref.RequestID, "err", err)
		}
	}
	if hint != "" {
		return hint, nil
	}
	v, err := h.flights.do(ctx, "find\x00"+ref.RequestID, 0, func(ctx context.Context, _ *Status) (flightValue, error) {
		co, err := h.client.FindByRequestID(ctx, ref.RequestID)
		if err != nil {
			return flightValue{}, err
		}
		// Shared while in flight only: what a search names is confirmed
		// by the get that follows, and a wrong answer must not stick.
		return flightValue{co: co}, nil
	})
	if err != nil {
		return "", err
	}
	return v.co.ID, nil
}

// verify compares what the API says with what the shop asked for. The Ref
// always names the checkout asked about, so no answer for another checkout
// ever passes.
func verify(ref Ref, co *Checkout) error {
	var bad []string
	if co.ID != ref.CheckoutID {
		bad = append(bad, "id")
	}
	if co.OrderID != ref.OrderID {
		bad = append(bad, "orderId")
	}
	if co.RequestID != ref.RequestID {
		bad = append(bad, "requestId")
	}
	// An amount that cannot be read in the currency the answer names is a
	// mismatch like any other, never an outage to retry.
	if co.answerCurrency() != ref.Amount.Currency() {
		bad = append(bad, "currency")
	} else if !co.Amount.IsValid() || co.Amount.Minor() != ref.Amount.Minor() {
		bad = append(bad, "amount")
	}
	if len(bad) == 0 {
		return nil
	}
	return &VerificationError{OrderID: ref.OrderID, CheckoutID: co.ID, Fields: bad}
}

// serveNotify resolves the checkout a notification names. The body is only
// a hint: the status always comes from the API.
func (h *Handler) serveNotify(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if h.refs == nil {
		http.Error(w, "notifications are not configured", http.StatusNotImplemented)
		return
	}
	id, err := parseNotification(http.MaxBytesReader(w, r.Body, maxNotifyBody), r.Header.Get("Content-Type"))
	if err != nil {
		http.Error(w, "bad notification", http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	ref, err := h.refs.FindRef(ctx, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			http.Error(w, "unknown checkout", http.StatusNotFound)
			return
		}
		h.fail(r, "pointcheckout: finding the reference of a notification failed", err, "checkout_id", id)
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	if ref.CheckoutID != id {
		h.security(r, "reference found for a notification names another checkout", fmt.Errorf("%w: want %q", ErrInvalidRef, clip(id)))
		http.Error(w, "unknown checkout", http.StatusNotFound)
		return
	}
	res, err := h.Resolve(ctx, ref, SourceNotify)
	switch {
	case err == nil && res.Status.IsFinal():
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ok\n"))
	case err == nil:
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("pending\n"))
	case errors.Is(err, ErrVerification):
		h.security(r, "notified checkout does not match its reference", err)
		http.Error(w, "verification failed", http.StatusConflict)
	default:
		h.fail(r, "pointcheckout: notification could not be resolved", err, "checkout_id", id)
		http.Error(w, "try again later", http.StatusServiceUnavailable)
	}
}

// ReconcileReport counts what a Reconcile sweep did.
type ReconcileReport struct {
	// Checked is how many Refs were looked up.
	Checked int
	// Final is how many reached a final status (and were handed to the
	// OrderUpdater).
	Final int
	// Pending is how many are still waiting for the shopper.
	Pending int
	// Errors is how many could not be resolved this time.
	Errors int
}

// reconcileWorkers bounds the API calls one sweep makes at once.
const reconcileWorkers = 4

// Reconcile resolves every Ref (typically every attempt whose final status
// the shop has not heard a few minutes after /pay, including attempts a
// newer one replaced, since a tab left open can still pay them): a shopper
// who closed the tab never comes back, so the shop asks. Each Ref is
// resolved as by Resolve with SourceReconcile. The error joins the failures
// (nil when every Ref was resolved or is still pending); the report counts
// them.
func (h *Handler) Reconcile(ctx context.Context, refs []Ref) (ReconcileReport, error) {
	var (
		mu   sync.Mutex
		rep  ReconcileReport
		errs []error
		wg   sync.WaitGroup
		next = make(chan Ref)
	)
	for range min(reconcileWorkers, len(refs)) {
		wg.Go(func() {
			for ref := range next {
				res, err := h.Resolve(ctx, ref, SourceReconcile)
				mu.Lock()
				rep.Checked++
				switch {
				case err != nil:
					rep.Errors++
					errs = append(errs, fmt.Errorf("order %q: %w", clip(ref.OrderID), err))
				case res.Status.IsFinal():
					rep.Final++
				default:
					rep.Pending++
				}
				mu.Unlock()
			}
		})
	}
	for _, ref := range refs {
		select {
		case next <- ref:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	return rep, errors.Join(errs...)
}

// page renders one of the package's HTML pages.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, p Page) {
	if p.RefreshURL != "" && !isLocalPath(p.RefreshURL) {
		p.RefreshURL = ""
	}
	h.render(w, r, p)
}

// security logs and reports an event that may be an attack.
func (h *Handler) security(r *http.Request, msg string, err error, attrs ...any) {
	h.log.ErrorContext(r.Context(), "pointcheckout: security: "+msg, append(attrs, "err", err, "remote", r.RemoteAddr)...)
	if h.onError != nil {
		h.onError(r, err)
	}
}

// fail logs and reports an operational failure.
func (h *Handler) fail(r *http.Request, msg string, err error, attrs ...any) {
	h.log.ErrorContext(r.Context(), msg, append(attrs, "err", err)...)
	if h.onError != nil {
		h.onError(r, err)
	}
}

// noStore keeps payment pages out of shared and browser caches.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}
