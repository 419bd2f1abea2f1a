package pointcheckout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ClientConfig configures a Client. Only Key, Secret and Environment are
// required.
type ClientConfig struct {
	// Key is the API key.
	Key string
	// Secret is the API secret, sent only in the credential headers.
	Secret Secret
	// Environment says where the API is (see PaymenntTestEnvironment).
	Environment Environment
	// HTTPClient sends the requests if set (redirects are never followed,
	// whatever it says); default a keep-alive tuned transport.
	HTTPClient *http.Client
	// Timeout bounds each attempt (default 15s).
	Timeout time.Duration
	// MaxRetries is how often a read is retried after a network error, a
	// 5xx or a 429, or a just-created checkout's after "not found": 0
	// means 3, negative never. Writes are never retried.
	MaxRetries int
	// RetryBaseDelay is the first backoff step (default 100ms), doubled
	// per attempt up to 2s, with full jitter.
	RetryBaseDelay time.Duration
	// ThreeDecimalAmounts lets amounts in BHD, KWD, OMR or JOD carry a
	// non-zero third decimal; by default they are refused before any call.
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

// checkoutQuery filters a checkout search. Empty fields are not sent.
type checkoutQuery struct {
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
	// maxBody bounds how much of an answer is read; maxPooledBuffer how
	// large a read buffer may be to be reused.
	maxBody         = 1 << 20
	maxPooledBuffer = 64 << 10
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
	// bufs recycles the buffers answers are read into.
	bufs sync.Pool
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

// getCreated gets a checkout the API has just created. An unknown id is
// asked again a few times before it counts: a read may lag the write that
// created the checkout, and refusing then would refuse every payment.
func (c *Client) getCreated(ctx context.Context, checkoutID string) (*Checkout, error) {
	for i := 1; ; i++ {
		co, err := c.GetCheckout(ctx, checkoutID)
		if !errors.Is(err, ErrNotFound) || i > c.maxRetries || !sleep(ctx, max(c.backoff(i, 0), c.baseDelay)) {
			return co, err
		}
	}
}

// findCheckouts searches checkouts. Transient failures are retried.
func (c *Client) findCheckouts(ctx context.Context, q checkoutQuery) (*checkoutPage, error) {
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
	var page checkoutPage
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
	page, err := c.findCheckouts(ctx, checkoutQuery{RequestID: requestID})
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
		page, err := c.findCheckouts(ctx, checkoutQuery{OrderID: orderID, Page: n, Size: orderPageSize})
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
	case r.Amount.Minor() == 0:
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
