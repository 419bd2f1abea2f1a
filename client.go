package pointcheckout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Environment says where the Merchant API is and where its payment page
// may send the shopper.
type Environment struct {
	// Name: "paymennt-test", "paymennt-live", "test", "live" or "custom".
	Name string
	// BaseURL ends in "/mer/v2.0/" (or any path with a trailing slash).
	BaseURL string
	// PaymentHosts are the hosts (host or host:port) a checkout's
	// redirectUrl may point to.
	PaymentHosts []string
	// Live is true for environments that move real money.
	Live bool
}

// The credential headers. The PointCheckout spec, the official SDK and
// plugins (also against the paymennt hosts) use the first pair, the paymennt
// spec the second; every request carries both, so either reading works.
const (
	pointCheckoutKeyHeader    = "X-PointCheckout-Api-Key"
	pointCheckoutSecretHeader = "X-PointCheckout-Api-Secret"
	paymenntKeyHeader         = "X-Paymennt-Api-Key"
	paymenntSecretHeader      = "X-Paymennt-Api-Secret"
)

// The payment page hosts of both brands: after the rebrand a checkout
// created on either API host may send the shopper to either page host.
var (
	testPaymentHosts = []string{"pay.test.paymennt.com", "pay.test.pointcheckout.com"}
	livePaymentHosts = []string{"pay.paymennt.com", "pay.pointcheckout.com"}
)

// PaymenntTestEnvironment is the test system at api.test.paymennt.com, the
// API's current home: no real money moves.
func PaymenntTestEnvironment() Environment {
	return Environment{
		Name:         "paymennt-test",
		BaseURL:      "https://api.test.paymennt.com/mer/v2.0/",
		PaymentHosts: slices.Clone(testPaymentHosts),
	}
}

// PaymenntLiveEnvironment is the production system at api.paymennt.com.
func PaymenntLiveEnvironment() Environment {
	return Environment{
		Name:         "paymennt-live",
		BaseURL:      "https://api.paymennt.com/mer/v2.0/",
		PaymentHosts: slices.Clone(livePaymentHosts),
		Live:         true,
	}
}

// TestEnvironment is the test system under its PointCheckout name
// (api.test.pointcheckout.com), for accounts configured with it.
func TestEnvironment() Environment {
	return Environment{
		Name:         "test",
		BaseURL:      "https://api.test.pointcheckout.com/mer/v2.0/",
		PaymentHosts: slices.Clone(testPaymentHosts),
	}
}

// LiveEnvironment is the production system under its PointCheckout name
// (api.pointcheckout.com).
func LiveEnvironment() Environment {
	return Environment{
		Name:         "live",
		BaseURL:      "https://api.pointcheckout.com/mer/v2.0/",
		PaymentHosts: slices.Clone(livePaymentHosts),
		Live:         true,
	}
}

// presetForHost names the preset whose API lives on host, for the advice an
// API redirect gets.
func presetForHost(host string) string {
	for _, env := range []Environment{PaymenntTestEnvironment(), PaymenntLiveEnvironment(), TestEnvironment(), LiveEnvironment()} {
		if u, err := url.Parse(env.BaseURL); err == nil && strings.EqualFold(u.Host, host) {
			return env.Name
		}
	}
	return ""
}

// CustomEnvironment points the client at any Merchant API double, such as
// pointcheckouttest.Server or a recording proxy. baseURL must be an
// absolute http or https URL without user info, query or fragment; a
// trailing slash is added to its path if missing. The base URL's host is
// the only payment host.
func CustomEnvironment(baseURL string) (Environment, error) {
	u, err := parseBaseURL(baseURL)
	if err != nil {
		return Environment{}, err
	}
	return Environment{
		Name:         "custom",
		BaseURL:      u.String(),
		PaymentHosts: []string{u.Host},
	}, nil
}

// EnvironmentNamed returns the preset called name ("paymennt-test",
// "paymennt-live", "test" or "live"), for configuration read from a file or
// the process environment.
func EnvironmentNamed(name string) (Environment, error) {
	switch name {
	case "paymennt-test":
		return PaymenntTestEnvironment(), nil
	case "paymennt-live":
		return PaymenntLiveEnvironment(), nil
	case "test":
		return TestEnvironment(), nil
	case "live":
		return LiveEnvironment(), nil
	}
	return Environment{}, fmt.Errorf("pointcheckout: unknown environment %q (want paymennt-test, paymennt-live, test or live)", clip(name))
}

// parseBaseURL checks a base URL and gives its path a trailing slash, so
// that operation paths can be appended to it.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("pointcheckout: base URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("pointcheckout: base URL must be an absolute http or https URL")
	case u.Host == "":
		return nil, errors.New("pointcheckout: base URL has no host")
	case u.User != nil:
		// Credentials travel in headers only; a URL ends up in logs.
		return nil, errors.New("pointcheckout: base URL must not carry user info")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, errors.New("pointcheckout: base URL must not have a query or fragment")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

// ClientConfig configures a Client. Only Key, Secret and Environment are
// required.
type ClientConfig struct {
	// Key is the API key.
	Key string
	// Secret is the API secret; it is only ever written into the request
	// header that the Environment names.
	Secret Secret
	// Environment says where the API is; see TestEnvironment and
	// CustomEnvironment.
	Environment Environment
	// HTTPClient, if set, sends the requests (its Transport, Jar and
	// Timeout are kept); the client refuses to follow redirects in any
	// case, because the secret travels in a custom header that Go would
	// forward to any host a redirect names. Nil means a dedicated,
	// keep-alive tuned transport.
	HTTPClient *http.Client
	// Timeout bounds each attempt (default 15s).
	Timeout time.Duration
	// MaxRetries is how often a read (get, find) is retried after a
	// network error, a 5xx or a 429: 0 means the default of 3, a negative
	// value means never. Creating, cancelling and refunding are never
	// retried.
	MaxRetries int
	// RetryBaseDelay is the first backoff step (default 100ms); the delay
	// doubles per attempt up to 2s (or RetryBaseDelay if larger), with
	// full jitter.
	RetryBaseDelay time.Duration
	// ThreeDecimalAmounts lets amounts of three-decimal currencies (BHD,
	// KWD, OMR, JOD) carry a non-zero third decimal. Off by default: such an
	// amount is refused before any network call (see SECURITY.md).
	ThreeDecimalAmounts bool
	// Logger receives a Debug record per API call and a Warn record per
	// retry; nil discards them.
	Logger *slog.Logger
}

// LogValue keeps the config loggable without its credentials.
func (c ClientConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("environment", c.Environment.Name),
		slog.String("base_url", c.Environment.BaseURL),
		slog.Bool("key_set", c.Key != ""),
		slog.Bool("secret_set", c.Secret.reveal() != ""),
		slog.Duration("timeout", c.Timeout),
		slog.Int("max_retries", c.MaxRetries),
	)
}

// CheckoutQuery filters a checkout search. Empty fields are not sent.
type CheckoutQuery struct {
	// RequestID matches the requestId a checkout was created with.
	RequestID string
	// OrderID matches the shop's order id.
	OrderID string
	// Page is the zero-based page number.
	Page int
	// Size is the page size (the API's default is 20).
	Size int
}

// Defaults and bounds of the client.
const (
	defaultTimeout        = 15 * time.Second
	defaultMaxRetries     = 3
	defaultRetryBaseDelay = 100 * time.Millisecond
	retryDelayCap         = 2 * time.Second
	// maxRetryAfter bounds how long a 429's Retry-After may hold a read.
	maxRetryAfter = 10 * time.Second
	// maxLookupTimeout bounds the requestId lookup after a create call
	// whose outcome is unknown; it runs even if the caller gave up.
	maxLookupTimeout = 5 * time.Second
	// maxBody bounds how much of an answer is read.
	maxBody = 1 << 20
	// orderPageSize and maxOrderPages bound FindByOrderID.
	orderPageSize = 50
	maxOrderPages = 20
	userAgent     = "pointcheckout-go/2.0"
)

// Operation names, as they appear in errors and logs.
const (
	opCreate = "create web checkout"
	opGet    = "get checkout"
	opFind   = "find checkouts"
	opCancel = "cancel checkout"
	opRefund = "refund checkout"
)

// Client talks to the Merchant API v2.0. It is safe for concurrent use;
// create one per process and share it, so that connections are reused.
type Client struct {
	env  Environment
	base string
	// auth writes the credential headers. The credentials live only in
	// this closure: fmt prints a func as an address whatever the verb and
	// however it reaches it, while a string or a pointer to a struct held
	// in an unexported field is printed raw by %s or %+v of a Client value.
	auth func(http.Header)
	// scrub removes the credentials from gateway text, for the same reason
	// a closure.
	scrub      func(string) string
	hc         *http.Client
	timeout    time.Duration
	maxRetries int
	baseDelay  time.Duration
	maxDelay   time.Duration
	// twoDecimals refuses a non-zero third decimal (not ThreeDecimalAmounts).
	twoDecimals bool
	log         *slog.Logger
}

// NewClient checks cfg and returns a Client. It makes no network call.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Key == "" {
		return nil, errors.New("pointcheckout: API key is required")
	}
	if cfg.Secret.reveal() == "" {
		return nil, errors.New("pointcheckout: API secret is required")
	}
	// A control character in a credential would be refused by net/http on
	// every request; say so once, without quoting the value.
	if hasControl(cfg.Key) || hasControl(cfg.Secret.reveal()) {
		return nil, errors.New("pointcheckout: API key or secret contains control characters")
	}
	if cfg.Timeout < 0 || cfg.RetryBaseDelay < 0 {
		return nil, errors.New("pointcheckout: Timeout and RetryBaseDelay must not be negative")
	}
	env := cfg.Environment
	if env.BaseURL == "" {
		return nil, errors.New("pointcheckout: Environment.BaseURL is required (see TestEnvironment)")
	}
	u, err := parseBaseURL(env.BaseURL)
	if err != nil {
		return nil, err
	}
	env.BaseURL = u.String()
	if env.Name == "" {
		env.Name = "custom"
	}
	if len(env.PaymentHosts) == 0 {
		env.PaymentHosts = []string{u.Host}
	} else {
		env.PaymentHosts = slices.Clone(env.PaymentHosts)
	}

	c := &Client{
		env:         env,
		base:        env.BaseURL,
		auth:        authHeaders(cfg.Key, cfg.Secret.reveal()),
		scrub:       scrubber(cfg.Key, cfg.Secret.reveal()),
		timeout:     cfg.Timeout,
		maxRetries:  cfg.MaxRetries,
		baseDelay:   cfg.RetryBaseDelay,
		log:         cfg.Logger,
		twoDecimals: !cfg.ThreeDecimalAmounts,
	}
	if c.timeout == 0 {
		c.timeout = defaultTimeout
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = defaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.baseDelay == 0 {
		c.baseDelay = defaultRetryBaseDelay
	}
	c.maxDelay = max(retryDelayCap, c.baseDelay)
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient != nil {
		hc := *cfg.HTTPClient
		hc.CheckRedirect = refuseRedirect
		c.hc = &hc
	} else {
		c.hc = &http.Client{Transport: newTransport(), CheckRedirect: refuseRedirect}
	}
	return c, nil
}

// authHeaders captures the credentials in a closure that sets them under
// both header families. The keys are canonicalized once, here, rather than
// on every request.
func authHeaders(key, secret string) func(http.Header) {
	k1, s1 := http.CanonicalHeaderKey(pointCheckoutKeyHeader), http.CanonicalHeaderKey(pointCheckoutSecretHeader)
	k2, s2 := http.CanonicalHeaderKey(paymenntKeyHeader), http.CanonicalHeaderKey(paymenntSecretHeader)
	return func(h http.Header) {
		keys, secrets := []string{key}, []string{secret}
		h[k1], h[s1], h[k2], h[s2] = keys, secrets, keys, secrets
	}
}

// scrubber captures the credentials in a closure that blanks them out of
// text the gateway wrote: an error envelope that echoes the request's
// headers must not carry them into errors and logs.
func scrubber(key, secret string) func(string) string {
	r := strings.NewReplacer(secret, redacted, key, redacted)
	return func(s string) string {
		if !strings.Contains(s, key) && !strings.Contains(s, secret) {
			return s
		}
		return r.Replace(s)
	}
}

// newTransport is a dedicated transport sized for a busy shop: the default
// of 2 idle connections per host would make concurrent checkouts open and
// close TLS connections all the time.
func newTransport() *http.Transport {
	var t *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
	} else {
		t = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	t.ForceAttemptHTTP2 = true
	return t
}

// refuseRedirect stops the client at a redirect instead of resending the
// credential headers to wherever it points.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Environment returns the environment the client talks to (with its
// defaults filled in), for example to check a redirectUrl's host.
func (c *Client) Environment() Environment {
	env := c.env
	env.PaymentHosts = slices.Clone(c.env.PaymentHosts)
	return env
}

// CloseIdleConnections closes the transport's idle keep-alive connections,
// for a clean shutdown or after a network change.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// CreateWebCheckout creates a checkout for the hosted payment page. The
// request is validated first (a *ValidationError, no network call). The call
// is never repeated blindly: when its outcome is unknown (no answer, a
// timeout, a 5xx, an unreadable answer) the client looks the checkout up by
// req.RequestID, even if ctx is already cancelled, and returns it if it
// exists with the request's order id and amount. Otherwise the error matches
// ErrUnavailable: the checkout may or may not exist, and a later
// FindByRequestID will tell. A refusal by the API is an *APIError.
func (c *Client) CreateWebCheckout(ctx context.Context, req *CheckoutRequest) (*Checkout, error) {
	if req == nil {
		return nil, fmt.Errorf("pointcheckout: %s: %w: no request", opCreate, ErrInvalidRequest)
	}
	if err := req.validate(c.twoDecimals); err != nil {
		return nil, err
	}
	body, err := req.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("pointcheckout: %s: %w: %w", opCreate, ErrInvalidRequest, err)
	}
	if err := ctx.Err(); err != nil {
		// Nothing was sent, so the outcome is known: no checkout.
		return nil, fmt.Errorf("pointcheckout: %s: %w", opCreate, err)
	}
	var co Checkout
	err = c.do(ctx, &call{op: opCreate, method: http.MethodPost, path: "checkout/web", body: body}, &co)
	if err == nil {
		return &co, nil
	}
	if !errors.Is(err, ErrUnavailable) {
		return nil, err
	}
	return c.recoverCreate(ctx, req, err)
}

// recoverCreate asks the API whether a create call whose outcome is unknown
// went through. It runs detached from ctx's cancellation, under its own
// short deadline, so that a shopper who closed the tab does not leave the
// shop ignorant of a checkout that exists.
func (c *Client) recoverCreate(ctx context.Context, req *CheckoutRequest, cause error) (*Checkout, error) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), min(c.timeout, maxLookupTimeout))
	defer cancel()
	c.log.LogAttrs(lctx, slog.LevelWarn, "pointcheckout: create outcome unknown, looking the checkout up by request id",
		slog.String("request_id", req.RequestID), slog.String("order_id", req.OrderID), slog.String("error", cause.Error()))
	var co *Checkout
	var err error
	for i := 1; ; i++ {
		co, err = c.FindByRequestID(lctx, req.RequestID)
		// Not found is not conclusive at once: after a timeout the API may
		// still be working on the create, so ask again a few times.
		if !errors.Is(err, ErrNotFound) || i > c.maxRetries || !sleep(lctx, max(c.backoff(i, 0), c.baseDelay)) {
			break
		}
	}
	if err != nil {
		return nil, &unknownOutcomeError{cause: cause, detail: "lookup by request id: " + err.Error()}
	}
	if co.OrderID != req.OrderID || co.Amount != req.Amount {
		c.log.LogAttrs(lctx, slog.LevelError, "pointcheckout: checkout found by request id does not match the request",
			slog.String("request_id", req.RequestID), slog.String("checkout_id", co.ID),
			slog.String("order_id", req.OrderID), slog.String("found_order_id", co.OrderID),
			slog.Any("amount", req.Amount), slog.Any("found_amount", co.Amount))
		return nil, &unknownOutcomeError{cause: cause, detail: fmt.Sprintf(
			"checkout %q found by request id has order %q and amount %s, not the request's", clip(co.ID), clip(co.OrderID), co.Amount)}
	}
	c.log.LogAttrs(lctx, slog.LevelInfo, "pointcheckout: checkout created despite the failed call",
		slog.String("request_id", req.RequestID), slog.String("checkout_id", co.ID))
	return co, nil
}

// unknownOutcomeError says a create call may or may not have created a
// checkout. It wraps the call's own failure, which matches ErrUnavailable.
type unknownOutcomeError struct {
	cause  error
	detail string
}

func (e *unknownOutcomeError) Error() string {
	return e.cause.Error() + " (outcome unknown: " + e.detail + ")"
}

func (e *unknownOutcomeError) Unwrap() error { return e.cause }

// GetCheckout returns the checkout with the given id. An unknown id matches
// ErrNotFound. Transient failures are retried.
func (c *Client) GetCheckout(ctx context.Context, checkoutID string) (*Checkout, error) {
	p, err := checkoutPath(opGet, checkoutID, "")
	if err != nil {
		return nil, err
	}
	var co Checkout
	if err := c.do(ctx, &call{op: opGet, method: http.MethodGet, path: p, checkoutID: checkoutID, retry: true}, &co); err != nil {
		return nil, err
	}
	return &co, nil
}

// FindCheckouts searches checkouts. Transient failures are retried.
func (c *Client) FindCheckouts(ctx context.Context, q CheckoutQuery) (*CheckoutPage, error) {
	if q.Page < 0 || q.Size < 0 {
		return nil, fmt.Errorf("pointcheckout: %s: %w: negative page or size", opFind, ErrInvalidRequest)
	}
	v := url.Values{}
	if q.RequestID != "" {
		v.Set("requestId", q.RequestID)
	}
	if q.OrderID != "" {
		v.Set("orderId", q.OrderID)
	}
	if q.Page > 0 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if q.Size > 0 {
		v.Set("size", strconv.Itoa(q.Size))
	}
	var page CheckoutPage
	if err := c.do(ctx, &call{op: opFind, method: http.MethodGet, path: "checkout", query: v, retry: true}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// FindByRequestID returns the checkout created with requestID, or an error
// matching ErrNotFound. Only an exact match counts, whatever the search
// returns.
func (c *Client) FindByRequestID(ctx context.Context, requestID string) (*Checkout, error) {
	if strings.TrimSpace(requestID) == "" {
		return nil, fmt.Errorf("pointcheckout: %s: %w: empty request id", opFind, ErrInvalidRequest)
	}
	page, err := c.FindCheckouts(ctx, CheckoutQuery{RequestID: requestID})
	if err != nil {
		return nil, err
	}
	for i := range page.Checkouts {
		if page.Checkouts[i].RequestID == requestID {
			co := page.Checkouts[i]
			return &co, nil
		}
	}
	return nil, fmt.Errorf("pointcheckout: %s: request id %q: %w", opFind, clip(requestID), ErrNotFound)
}

// FindByOrderID returns every checkout of the order (every attempt), in the
// API's order, following the search's pages. An order without checkouts
// gives an empty slice and no error.
func (c *Client) FindByOrderID(ctx context.Context, orderID string) ([]Checkout, error) {
	if strings.TrimSpace(orderID) == "" {
		return nil, fmt.Errorf("pointcheckout: %s: %w: empty order id", opFind, ErrInvalidRequest)
	}
	out := []Checkout{}
	for n := 0; ; n++ {
		if n == maxOrderPages {
			return nil, fmt.Errorf("pointcheckout: %s: order %q has more than %d pages of checkouts", opFind, clip(orderID), maxOrderPages)
		}
		page, err := c.FindCheckouts(ctx, CheckoutQuery{OrderID: orderID, Page: n, Size: orderPageSize})
		if errors.Is(err, ErrNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		for _, co := range page.Checkouts {
			if co.OrderID == orderID {
				out = append(out, co)
			}
		}
		if len(page.Checkouts) == 0 || n+1 >= page.TotalPages {
			return out, nil
		}
	}
}

// CancelCheckout cancels a pending checkout. It is not retried: a cancel
// whose outcome is unknown shows in a later GetCheckout.
func (c *Client) CancelCheckout(ctx context.Context, checkoutID string) (*Checkout, error) {
	p, err := checkoutPath(opCancel, checkoutID, "/cancel")
	if err != nil {
		return nil, err
	}
	var co Checkout
	if err := c.do(ctx, &call{op: opCancel, method: http.MethodPost, path: p, checkoutID: checkoutID}, &co); err != nil {
		return nil, err
	}
	return &co, nil
}

// RefundCheckout refunds (part of) a paid checkout. Amount must be positive
// and Note set; a bad request is a *ValidationError, with no network call.
// It is not retried: a refund whose outcome is unknown shows in the
// checkout's totalRefunded, which GetCheckout reports.
func (c *Client) RefundCheckout(ctx context.Context, checkoutID string, r RefundRequest) (*Checkout, error) {
	p, err := checkoutPath(opRefund, checkoutID, "/refund")
	if err != nil {
		return nil, err
	}
	v := validator{twoDecimals: c.twoDecimals}
	switch {
	case !r.Amount.IsValid():
		v.add("amount", "required (with its currency)")
	case r.Amount.IsZero():
		v.add("amount", "must be greater than zero")
	default:
		v.decimals("amount", r.Amount)
	}
	v.text("note", r.Note)
	if r.ReferenceID != "" {
		v.text("referenceId", r.ReferenceID)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("amount", r.Amount.Decimal())
	q.Set("currency", r.Amount.Currency())
	q.Set("note", r.Note)
	if r.ReferenceID != "" {
		q.Set("referenceId", r.ReferenceID)
	}
	// The spec reads the refund from the query, the official SDK sends the
	// amount in a JSON body: both carry the same values.
	body, err := json.Marshal(struct {
		Amount   Money  `json:"amount"`
		Currency string `json:"currency"`
	}{r.Amount, r.Amount.Currency()})
	if err != nil {
		return nil, fmt.Errorf("pointcheckout: %s: %w: %w", opRefund, ErrInvalidRequest, err)
	}
	var co Checkout
	if err := c.do(ctx, &call{op: opRefund, method: http.MethodPost, path: p, query: q, body: body, checkoutID: checkoutID}, &co); err != nil {
		return nil, err
	}
	return &co, nil
}

// checkoutPath builds "checkout/{id}{suffix}", refusing ids that would
// change the path's meaning.
func checkoutPath(op, id, suffix string) (string, error) {
	switch {
	case strings.TrimSpace(id) == "":
		return "", fmt.Errorf("pointcheckout: %s: %w: empty checkout id", op, ErrInvalidRequest)
	case id == "." || id == ".." || hasControl(id) || len(id) > 256:
		return "", fmt.Errorf("pointcheckout: %s: %w: malformed checkout id %q", op, ErrInvalidRequest, clip(id))
	}
	return "checkout/" + url.PathEscape(id) + suffix, nil
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0
}

// call is one operation: what to send and whether it may be repeated.
type call struct {
	op, method, path string
	query            url.Values
	body             []byte
	checkoutID       string // for logs only
	retry            bool
}

// do runs c, retrying reads on failures that match ErrUnavailable, and
// decodes the envelope's result into out.
func (c *Client) do(ctx context.Context, cl *call, out any) error {
	for attempt := 1; ; attempt++ {
		retryAfter, err := c.attempt(ctx, cl, attempt, out)
		if err == nil {
			return nil
		}
		if !cl.retry || attempt > c.maxRetries || !errors.Is(err, ErrUnavailable) || ctx.Err() != nil {
			return err
		}
		delay := c.backoff(attempt, retryAfter)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
			return err // the caller's deadline would pass while waiting
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "pointcheckout: retrying",
			slog.String("op", cl.op), slog.String("checkout_id", cl.checkoutID),
			slog.Int("attempt", attempt), slog.Duration("delay", delay), slog.String("error", err.Error()))
		if !sleep(ctx, delay) {
			return err
		}
	}
}

// sleep waits d unless ctx ends first or its deadline would pass during
// the wait (then at once), and reports whether it waited the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// backoff is exponential with full jitter, so that many clients hit by the
// same outage do not come back in step; a 429's Retry-After is a floor.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	ceil := c.baseDelay
	for i := 1; i < attempt && ceil < c.maxDelay; i++ {
		ceil *= 2
	}
	ceil = min(ceil, c.maxDelay)
	d := rand.N(ceil + 1)
	return max(d, min(retryAfter, maxRetryAfter))
}

// attempt sends the request once. It returns a Retry-After hint for 429s.
func (c *Client) attempt(ctx context.Context, cl *call, n int, out any) (time.Duration, error) {
	start := time.Now()
	status, retryAfter, err := c.send(ctx, cl, out)
	attrs := []slog.Attr{
		slog.String("op", cl.op), slog.String("checkout_id", cl.checkoutID),
		slog.Int("status", status), slog.Int("attempt", n), slog.Duration("duration", time.Since(start)),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "pointcheckout: api call", attrs...)
	return retryAfter, err
}

// envelope is the frame of every Merchant API answer.
type envelope struct {
	Success *bool  `json:"success"`
	Error   string `json:"error"`
	// Result is set to the destination before decoding.
	Result any `json:"result"`
}

// send performs one HTTP exchange under the per-attempt timeout.
func (c *Client) send(ctx context.Context, cl *call, out any) (status int, retryAfter time.Duration, err error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := c.base + cl.path
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, u, body)
	if err != nil {
		return 0, 0, fmt.Errorf("pointcheckout: %s: %w: %w", cl.op, ErrInvalidRequest, err)
	}
	c.auth(req.Header)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, 0, &transportError{api: APIError{Op: cl.op, Message: "no answer"}, cause: err}
	}
	defer func() {
		// Drain what is left (bounded) so the connection goes back to the
		// pool instead of being torn down.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
	}()
	status = resp.StatusCode
	if status >= 300 && status < 400 && resp.Header.Get("Location") != "" {
		return status, 0, redirected(cl.op, status, req.URL, resp.Header.Get("Location"))
	}
	if status == http.StatusTooManyRequests {
		retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return status, retryAfter, &transportError{api: APIError{Op: cl.op, Message: fmt.Sprintf("answer (HTTP %d) cut short", status)}, cause: err}
	}
	if len(raw) > maxBody {
		return status, retryAfter, unreadable(cl.op, status, "larger than 1 MiB")
	}
	// The result is decoded straight into its destination while the
	// envelope is read: one pass over the answer. A checkout goes through its
	// plain wire form, whose amounts need the currency beside them; an
	// answer of another shape (a numeric id, an address with a numeric zip)
	// is read a second time, tolerantly.
	into, plain := out, (*plainCheckout)(nil)
	if _, ok := out.(*Checkout); ok {
		plain = new(plainCheckout)
		into = plain
	}
	env := envelope{Result: into}
	err = json.Unmarshal(raw, &env)
	var wire *wireCheckout
	if plain != nil {
		if err == nil {
			w := plain.wire()
			wire = &w
		} else {
			wire = new(wireCheckout)
			env = envelope{Result: wire}
			err = json.Unmarshal(raw, &env)
		}
	}
	var typeErr *json.UnmarshalTypeError
	if (err != nil && !errors.As(err, &typeErr)) || env.Success == nil {
		return status, retryAfter, unreadable(cl.op, status, "not the API's JSON envelope")
	}
	ok2xx := status >= 200 && status < 300
	switch {
	case !ok2xx && status < 400:
		// A redirect or an informational status is no answer of the API's.
		return status, retryAfter, unreadable(cl.op, status, "with an envelope outside 2xx, 4xx and 5xx")
	case !ok2xx:
		return status, retryAfter, &APIError{Op: cl.op, StatusCode: status, Message: clipMessage(c.scrub(env.Error))}
	case !*env.Success:
		// The API refuses with HTTP 400; a refusal that came with a 2xx
		// status is reported as the 400 it means.
		return status, 0, &APIError{Op: cl.op, StatusCode: http.StatusBadRequest, Message: clipMessage(c.scrub(env.Error))}
	case env.Result == nil:
		// JSON null empties the preset destination.
		return status, 0, unreadable(cl.op, status, "success without a result")
	case err != nil:
		return status, 0, unreadable(cl.op, status, "result unreadable: "+clipMessage(c.scrub(err.Error())))
	}
	if wire != nil {
		if err := out.(*Checkout).fromWire(wire); err != nil {
			return status, 0, unreadable(cl.op, status, "result unreadable: "+clipMessage(c.scrub(err.Error())))
		}
	}
	return status, 0, nil
}

// unreadable reports an answer that is not the API's: a proxy's error page,
// a truncated or malformed body. Such an answer says nothing about the
// operation, so it is reported as 502 Bad Gateway (which matches
// ErrUnavailable) with the real status in the message; only 401, 403 and
// 429 keep their status, since those mean the same whoever wrote the body.
func unreadable(op string, status int, what string) *APIError {
	code := status
	switch {
	case status == http.StatusUnauthorized, status == http.StatusForbidden, status == http.StatusTooManyRequests, status >= 500:
	default:
		code = http.StatusBadGateway
	}
	return &APIError{Op: op, StatusCode: code, Message: fmt.Sprintf("answer (HTTP %d) %s", status, what)}
}

// redirected reports an API answer that is a redirect. The client never
// follows one (the credentials would go along), and it is no outage either:
// the API has moved, so the error names the new host and the environment
// to use instead.
func redirected(op string, status int, from *url.URL, location string) *APIError {
	to, err := from.Parse(location)
	if err != nil || to.Host == "" {
		return &APIError{Op: op, StatusCode: status, Message: "the API answered with a redirect to an unreadable location; check the Environment's BaseURL"}
	}
	advice := fmt.Sprintf("CustomEnvironment(%q)", clip(to.Scheme+"://"+to.Host+"/mer/v2.0/"))
	if name := presetForHost(to.Host); name != "" {
		advice = fmt.Sprintf("the %q environment (EnvironmentNamed(%q))", name, name)
	}
	return &APIError{Op: op, StatusCode: status, Message: fmt.Sprintf(
		"the API at %s redirects to host %s, which this client does not follow; use %s", clip(from.Host), clip(to.Host), advice)}
}

// clipMessage bounds API text quoted in errors and logs.
func clipMessage(s string) string {
	const max = 256
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// parseRetryAfter reads a Retry-After given in seconds (the HTTP-date form
// is ignored: backoff applies instead).
func parseRetryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, maxRetryAfter)
}

// transportError is a failure without a usable answer: the connection
// failed, timed out or was cut. errors.As finds its *APIError (status 0 if
// nothing came back, which matches ErrUnavailable) and errors.Is finds the
// cause, such as context.DeadlineExceeded.
type transportError struct {
	api   APIError
	cause error
}

func (e *transportError) Error() string {
	return fmt.Sprintf("pointcheckout: %s: %s: %v", e.api.Op, e.api.Message, e.cause)
}

func (e *transportError) Unwrap() []error { return []error{&e.api, e.cause} }
