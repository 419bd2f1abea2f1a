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
	"strconv"
	"strings"
	"time"
)

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
	if !c.log.Enabled(ctx, slog.LevelDebug) {
		return retryAfter, err // no record to build
	}
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
	// Answers are read into pooled buffers: decoding copies out what it
	// keeps, so a buffer is free again once send returns.
	buf, _ := c.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			c.bufs.Put(buf)
		}
	}()
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, maxBody+1))
	raw := buf.Bytes()
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

// The credential headers. The PointCheckout spec, the official SDK and
// plugins (also against the paymennt hosts) use the first pair, the paymennt
// spec the second; every request carries both, so either reading works.
const (
	pointCheckoutKeyHeader    = "X-PointCheckout-Api-Key"
	pointCheckoutSecretHeader = "X-PointCheckout-Api-Secret"
	paymenntKeyHeader         = "X-Paymennt-Api-Key"
	paymenntSecretHeader      = "X-Paymennt-Api-Secret"
)
