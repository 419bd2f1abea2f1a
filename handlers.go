package pointcheckout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pointcheckout-go/pointcheckout/internal/codec"
)

// Handler serves the payment routes: POST /pay, GET|POST /pay/return and
// POST /pay/notify (under Config.Prefix). It keeps no state of its own
// between requests, so any number of instances sharing Keys can serve one
// shop. It is safe for concurrent use.
type Handler struct {
	// cfg is the configuration with its defaults filled in.
	cfg Config
	// What New derives from cfg.
	env          Environment
	returnBase   *url.URL
	redirectHost map[string]bool
	// local is set when the gateway is on loopback and not Live (the
	// sandbox): error pages then name the cause, for the developer at the
	// keyboard, and the development shortcuts apply.
	local   bool
	token   *codec.Codec
	result  sealedCookie
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
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, env: cfg.Client.Environment(), cop: http.NewCrossOriginProtection(), now: time.Now}
	// Only a gateway on this machine (the sandbox) earns the development
	// shortcuts: a return URL taken from the request's Host, plain-http
	// payment pages and causes on error pages. Anything else is treated as
	// real, and so is a Live environment reached through a local proxy.
	if u, err := url.Parse(h.env.BaseURL); err == nil {
		h.local = isLoopbackHost(u.Host) && !h.env.Live
	}
	if cfg.ReturnBaseURL != "" {
		u, err := url.Parse(cfg.ReturnBaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return nil, fmt.Errorf("pointcheckout: config: ReturnBaseURL must be an absolute http(s) URL such as https://shop.example.com")
		}
		if h.env.Live && u.Scheme != "https" {
			return nil, fmt.Errorf("pointcheckout: config: ReturnBaseURL must be https in the %s environment", h.env.Name)
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawQuery, u.Fragment = "", ""
		h.returnBase = u
	} else if !h.local {
		return nil, fmt.Errorf("pointcheckout: config: ReturnBaseURL is required with the %s environment (it may be omitted only with a gateway on loopback)", h.env.Name)
	}
	hosts := cfg.AllowedRedirectHosts
	if len(hosts) == 0 {
		hosts = h.env.PaymentHosts
	}
	if len(hosts) == 0 {
		return nil, errors.New("pointcheckout: config: no AllowedRedirectHosts and the environment names no payment hosts")
	}
	h.redirectHost = make(map[string]bool, len(hosts))
	for _, host := range hosts {
		h.redirectHost[strings.ToLower(host)] = true
	}
	// The token travels in a URL: signed, not encrypted (a Ref is no
	// secret), which keeps the return URL short.
	var err error
	if h.token, err = newCodec(cfg.Keys, tokenMaxAge, false); err != nil {
		return nil, fmt.Errorf("pointcheckout: config: %w", err)
	}
	// Behind a proxy that forwards neither TLS nor X-Forwarded-Proto, the
	// request alone cannot tell that the site is https; the return base
	// can.
	secure := h.returnBase != nil && h.returnBase.Scheme == "https"
	if h.result, err = newSealedCookie(cfg.Keys, CookieOptions{Name: resultName, Path: "/", MaxAge: resultTTL, Secure: secure}, true); err != nil {
		return nil, fmt.Errorf("pointcheckout: config: %w", err)
	}
	if h.cfg.Store == nil {
		opts := cfg.Cookie
		if opts.Path == "" {
			opts.Path = cfg.Prefix
		}
		opts.Secure = opts.Secure || secure
		if h.cfg.Store, err = newCookieStore(cfg.Keys, opts); err != nil {
			return nil, fmt.Errorf("pointcheckout: config: %w", err)
		}
	}
	if h.cfg.OnResult == nil {
		h.cfg.OnResult = h.redirectToResult
	}
	// A finished call is kept a few poll intervals: long enough to answer
	// the next poll and to remember what was reported, short enough that
	// a busy shop keeps few.
	h.flights = flights{timeout: flightTimeout, retain: 4 * max(finalFresh, cfg.PollInterval), join: cfg.ReturnTimeout, now: func() time.Time { return h.now() }}
	return h, nil
}

// Prefix is where the routes live: Prefix, Prefix+"/return" and
// Prefix+"/notify". Framework adapters mount the Handler there.
func (h *Handler) Prefix() string { return h.cfg.Prefix }

// ServeHTTP serves the three routes under Prefix (POST Prefix, GET|HEAD|POST
// Prefix+"/return", POST Prefix+"/notify") and answers 404 to anything else:
// mount it at those paths on any router, or use Middleware to fall through
// to the shop instead. The return route must be Prefix+"/return": that is the
// URL the gateway is given.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.route(w, r) {
		http.NotFound(w, r)
	}
}

// route serves r if its path is one of the package's routes.
func (h *Handler) route(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case h.cfg.Prefix:
		h.servePay(w, r)
	case h.cfg.Prefix + "/return":
		h.serveReturn(w, r)
	case h.cfg.Prefix + "/notify":
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
		h.page(w, r, Page{Status: http.StatusMethodNotAllowed, Message: "Payments start from the shop's checkout form."})
		return
	}
	if err := h.cop.Check(r); err != nil {
		h.security(r, "cross-origin /pay refused", err)
		h.page(w, r, Page{Status: http.StatusForbidden, Message: "This payment request did not come from the shop's own page."})
		return
	}
	// A checkout form is a few hundred bytes; bound what Orders may parse.
	r.Body = http.MaxBytesReader(w, r.Body, maxPayBody)
	ctx := r.Context()
	req, err := h.cfg.Orders(r)
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
		h.cfg.Logger.Log(ctx, level, "pointcheckout: order cannot be paid", "err", err)
		h.page(w, r, Page{Status: status, Message: h.because("This order cannot be paid right now.", err, status)})
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
		h.page(w, r, Page{Status: http.StatusInternalServerError, Message: h.because("The payment could not be started.", err, http.StatusInternalServerError)})
		return
	}
	creq.ReturnURL = returnURL
	co, err := h.cfg.Client.CreateWebCheckout(ctx, &creq)
	if err != nil {
		status := http.StatusBadGateway
		if errors.Is(err, ErrInvalidRequest) {
			// What Orders built does not make a valid checkout: the
			// shop's bug.
			status = http.StatusInternalServerError
		}
		h.fail(r, "pointcheckout: create checkout failed", err, "order_id", ref.OrderID, "request_id", ref.RequestID)
		h.page(w, r, Page{Status: status, Message: h.because("The payment could not be started. Nothing was charged; please try again.", err, status)})
		return
	}
	ref.CheckoutID = co.ID
	if err := verify(ref, co); err != nil {
		h.security(r, "created checkout does not match the request", err)
		h.page(w, r, Page{Status: http.StatusBadGateway, Message: "The payment could not be started. Nothing was charged; please try again."})
		return
	}
	// The create's answer (or, when it was lost, a search) names the
	// checkout; only a get of that id whose answer matches the Ref makes
	// it the attempt's, as on every other path. A wrong id recorded here
	// would leave the real payment unrecorded.
	if err := h.confirm(ctx, ref); err != nil {
		if errors.Is(err, ErrVerification) || errors.Is(err, ErrNotFound) {
			h.security(r, "created checkout not confirmed by the gateway", err, "order_id", ref.OrderID, "checkout_id", co.ID)
		} else {
			h.fail(r, "pointcheckout: confirming the created checkout failed", err, "order_id", ref.OrderID, "checkout_id", co.ID)
		}
		h.page(w, r, Page{Status: http.StatusBadGateway, Message: "The payment could not be started. Nothing was charged; please try again."})
		return
	}
	if err := h.checkRedirect(co.RedirectURL); err != nil {
		h.security(r, "payment page URL refused", err, "order_id", ref.OrderID, "checkout_id", co.ID)
		h.cancelQuietly(ctx, co.ID)
		h.page(w, r, Page{Status: http.StatusBadGateway, Message: "The payment could not be started. Nothing was charged; please try again."})
		return
	}
	u := Update{OrderID: ref.OrderID, CheckoutID: co.ID, RequestID: ref.RequestID, Status: StatusPending, Amount: co.Amount, Ref: ref, Checkout: co, Source: SourcePay}
	if err := h.cfg.Updater.UpdateOrder(ctx, u); err != nil {
		h.fail(r, "pointcheckout: order updater failed at pay", err, "order_id", ref.OrderID, "checkout_id", co.ID)
		h.cancelQuietly(ctx, co.ID)
		h.page(w, r, Page{Status: http.StatusInternalServerError, Message: "The payment could not be started. Nothing was charged; please try again."})
		return
	}
	if err := h.cfg.Store.Save(w, r, ref); err != nil {
		h.fail(r, "pointcheckout: saving the checkout reference failed", err, "order_id", ref.OrderID)
		h.page(w, r, Page{Status: http.StatusInternalServerError, Message: "The payment could not be started."})
		return
	}
	if h.cfg.Logger.Enabled(ctx, slog.LevelInfo) {
		h.cfg.Logger.InfoContext(ctx, "pointcheckout: checkout created", "order_id", ref.OrderID, "checkout_id", co.ID, "request_id", ref.RequestID, "amount", ref.Amount)
	}
	http.Redirect(w, r, co.RedirectURL, http.StatusSeeOther)
}

// confirm gets ref's checkout and verifies the answer against ref.
func (h *Handler) confirm(ctx context.Context, ref Ref) error {
	co, err := h.cfg.Client.getCreated(ctx, ref.CheckoutID)
	if err != nil {
		return err
	}
	return verify(ref, co)
}

// because adds the cause of a 500 to a page's message when the gateway is
// the sandbox (h.local): a developer trying the shop against the sandbox sees what their
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
	base.Path += h.cfg.Prefix + "/return"
	base.RawQuery = url.Values{tokenParam: {tok}}.Encode()
	return base.String(), nil
}

// checkRedirect accepts only an absolute URL on an allowed payment host.
func (h *Handler) checkRedirect(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("redirectUrl is not a URL")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && h.local) {
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
	if _, err := h.cfg.Client.CancelCheckout(ctx, id); err != nil {
		h.cfg.Logger.WarnContext(ctx, "pointcheckout: cancel of an unused checkout failed", "checkout_id", id, "err", err)
	}
}

// serveReturn verifies the checkout the shopper comes back from.
func (h *Handler) serveReturn(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.page(w, r, Page{Status: http.StatusMethodNotAllowed, Message: "Method not allowed."})
		return
	}
	ret, ok := h.returnRef(w, r)
	if !ok {
		return
	}
	ref := ret.ref
	res, err := h.resolve(r.Context(), ref, SourceReturn, ret.hint, h.cfg.PollTimeout, h.cfg.ReturnTimeout)
	switch {
	case err == nil && res.Status.IsFinal():
		if !ret.otherAttempt {
			// A return with the token of another attempt than the
			// cookie's leaves the cookie to its own attempt.
			h.cfg.Store.Clear(w, r)
		}
		// The result cookie is the Result for the next page, whatever
		// OnResult answers.
		if err := h.setResultCookie(w, r, res); err != nil {
			h.fail(r, "pointcheckout: result cookie", err)
		}
		h.cfg.OnResult(w, r, res)
	case errors.Is(err, ErrUpdateFailed):
		// Checked first: an updater error may wrap a timeout, and a shop
		// that cannot record a payment must hear of it (500, OnError), not
		// be shown a confirming page.
		h.fail(r, "pointcheckout: order updater failed", err, "order_id", ref.OrderID)
		h.page(w, r, Page{Status: http.StatusInternalServerError, Message: "The result of your payment could not be recorded yet. Please reload this page.", RefreshURL: r.URL.RequestURI()})
	case err == nil || errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		// Still pending, or the gateway could not say: never a failure. The
		// cookie stays, and the page asks again by itself.
		if err != nil {
			h.cfg.Logger.WarnContext(r.Context(), "pointcheckout: gateway unavailable on return", "order_id", ref.OrderID, "err", err)
		}
		h.page(w, r, Page{Confirming: true, Status: http.StatusOK, Result: res, RefreshURL: r.URL.RequestURI(), RefreshAfter: h.cfg.RefreshAfter})
	case errors.Is(err, ErrVerification):
		h.security(r, "checkout answer does not match its reference", err)
		h.page(w, r, Page{Status: http.StatusBadGateway, Message: "We could not verify this payment. Your order has not been changed; please reload this page in a moment.", RefreshURL: r.URL.RequestURI()})
	case errors.Is(err, ErrNotFound):
		h.security(r, "returned checkout not found", err, "order_id", ref.OrderID)
		h.page(w, r, Page{Status: http.StatusNotFound, Message: "We could not find this payment."})
	default:
		h.fail(r, "pointcheckout: return could not be resolved", err, "order_id", ref.OrderID)
		h.page(w, r, Page{Status: http.StatusBadGateway, Message: "We could not confirm this payment yet. Your order has not been changed; please reload this page.", RefreshURL: r.URL.RequestURI()})
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
	cookieRef, cerr := h.cfg.Store.Load(r)
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
		h.cfg.Store.Clear(w, r)
	}
	switch {
	case cerr == nil && terr == nil:
		switch {
		case cookieRef.matches(tokenRef):
			return returned{ref: cookieRef, hint: hint}, true
		case cookieRef.OrderID != tokenRef.OrderID:
			h.refuse(w, r, "checkout cookie and return token name different orders",
				fmt.Errorf("%w: cookie order %q, token order %q", ErrInvalidRef, clip(cookieRef.OrderID), clip(tokenRef.OrderID)))
			return returned{}, false
		}
		h.cfg.Logger.InfoContext(r.Context(), "pointcheckout: return from an earlier attempt than the cookie's", "order_id", tokenRef.OrderID, "request_id", tokenRef.RequestID)
		return returned{ref: tokenRef, hint: hint, otherAttempt: true}, true
	case cerr == nil:
		if tokenBad {
			h.cfg.Logger.WarnContext(r.Context(), "pointcheckout: return token unreadable, the checkout cookie names the attempt", "order_id", cookieRef.OrderID, "err", terr)
		}
		return returned{ref: cookieRef, hint: hint}, true
	case terr == nil:
		if cookieBad {
			h.cfg.Logger.WarnContext(r.Context(), "pointcheckout: checkout cookie unreadable, the return token names the attempt", "order_id", tokenRef.OrderID, "err", cerr)
		}
		return returned{ref: tokenRef, hint: hint}, true
	case cookieBad:
		h.refuse(w, r, "checkout cookie refused", cerr)
		return returned{}, false
	case tokenBad:
		h.refuse(w, r, "return token refused", terr)
		return returned{}, false
	}
	h.page(w, r, Page{Status: http.StatusBadRequest, Message: "There is no payment in progress in this browser."})
	return returned{}, false
}

// refuse answers a return whose reference cannot be trusted.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, msg string, err error) {
	h.security(r, msg, err)
	h.page(w, r, Page{Status: http.StatusBadRequest, Message: "This payment link is not valid."})
}

// page renders one of the package's HTML pages.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, p Page) {
	if p.RefreshURL != "" && !isLocalPath(p.RefreshURL) {
		p.RefreshURL = ""
	}
	h.cfg.RenderPage(w, r, p)
}

// security logs and reports an event that may be an attack.
func (h *Handler) security(r *http.Request, msg string, err error, attrs ...any) {
	h.cfg.Logger.ErrorContext(r.Context(), "pointcheckout: security: "+msg, append(attrs, "err", err, "remote", r.RemoteAddr)...)
	if h.cfg.OnError != nil {
		h.cfg.OnError(r, err)
	}
}

// fail logs and reports an operational failure.
func (h *Handler) fail(r *http.Request, msg string, err error, attrs ...any) {
	h.cfg.Logger.ErrorContext(r.Context(), msg, append(attrs, "err", err)...)
	if h.cfg.OnError != nil {
		h.cfg.OnError(r, err)
	}
}
