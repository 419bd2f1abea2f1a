package pointcheckout_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/pointcheckout-go/pointcheckout"
)

func TestErrorMapping(t *testing.T) {
	all := []error{pc.ErrNotFound, pc.ErrUnauthorized, pc.ErrBadRequest, pc.ErrUnavailable, pc.ErrInvalidRequest}
	tests := []struct {
		name       string
		status     int
		body       string
		want       []error
		wantStatus int
		wantMsg    string
	}{
		{"unknown checkout", 400, fail("Checkout not found"), []error{pc.ErrNotFound, pc.ErrBadRequest}, 400, "Checkout not found"},
		{"bad request", 400, fail("Invalid currency"), []error{pc.ErrBadRequest}, 400, "Invalid currency"},
		{"unauthorized", 401, fail("Invalid API key"), []error{pc.ErrUnauthorized}, 401, "Invalid API key"},
		{"forbidden without envelope", 403, "Forbidden", []error{pc.ErrUnauthorized}, 403, ""},
		{"not found status", 404, fail("no such checkout"), []error{pc.ErrNotFound, pc.ErrBadRequest}, 404, "no such checkout"},
		{"refusal with 200", 200, fail("Checkout not found"), []error{pc.ErrNotFound, pc.ErrBadRequest}, 400, "Checkout not found"},
		{"server error envelope", 500, fail("internal error"), []error{pc.ErrUnavailable}, 500, "internal error"},
		{"unavailable", 503, "<html>down for maintenance</html>", []error{pc.ErrUnavailable}, 503, ""},
		{"rate limited", 429, "slow down", []error{pc.ErrUnavailable}, 429, ""},
		{"garbage with 200", 200, "{not json", []error{pc.ErrUnavailable}, 502, "HTTP 200"},
		{"JSON that is no envelope", 200, `{"id":"1"}`, []error{pc.ErrUnavailable}, 502, "HTTP 200"},
		{"proxy page with 404", 404, "<html>not here</html>", []error{pc.ErrUnavailable}, 502, "HTTP 404"},
		{"proxy page with 400", 400, "<html>bad</html>", []error{pc.ErrUnavailable}, 502, "HTTP 400"},
		{"success without result", 200, `{"success":true,"result":null}`, []error{pc.ErrUnavailable}, 502, "without a result"},
		{"checkout without an id", 200, ok(`{"id":null,"amount":1,"currency":"AED"}`), []error{pc.ErrUnavailable}, 502, "result unreadable"},
		{"oversized answer", 200, ok(`{"pad":"` + strings.Repeat("x", 2<<20) + `"}`), []error{pc.ErrUnavailable}, 502, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { writeBody(w, tt.status, tt.body) })
			c := newTestClient(t, customEnv(t, f.base()), func(cfg *pc.ClientConfig) { cfg.MaxRetries = -1 })
			co, err := c.GetCheckout(t.Context(), "1")
			require.Error(t, err)
			assert.Nil(t, co)
			for _, target := range all {
				want := false
				for _, w := range tt.want {
					want = want || w == target
				}
				assert.Equal(t, want, errors.Is(err, target), "errors.Is(%v, %v)", err, target)
			}
			var apiErr *pc.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.wantStatus, apiErr.StatusCode)
			assert.Equal(t, "get checkout", apiErr.Op)
			assert.Contains(t, apiErr.Message, tt.wantMsg)
			assert.Len(t, f.requests(), 1)
		})
	}
}

func TestReadRetries(t *testing.T) {
	okCheckout := ok(checkoutJSON("1", "req-1", "order-1", "AED", "100.00", "PAID"))
	tests := []struct {
		name       string
		maxRetries int
		answers    []func(w http.ResponseWriter) // the last one repeats
		wantErr    error
		wantCalls  int
	}{
		{
			name: "two 503s then success", answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { writeBody(w, 503, fail("busy")) },
				func(w http.ResponseWriter) { writeBody(w, 503, "<html>busy</html>") },
				func(w http.ResponseWriter) { writeBody(w, 200, okCheckout) },
			}, wantCalls: 3,
		},
		{
			name: "429 then garbage then success", answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { writeBody(w, 429, fail("too many requests")) },
				func(w http.ResponseWriter) { writeBody(w, 200, `{"succ`) },
				func(w http.ResponseWriter) { writeBody(w, 200, okCheckout) },
			}, wantCalls: 3,
		},
		{
			name: "dropped connection then success", answers: []func(http.ResponseWriter){
				dropConnection,
				func(w http.ResponseWriter) { writeBody(w, 200, okCheckout) },
			}, wantCalls: 2,
		},
		{
			name: "400 is not retried", answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { writeBody(w, 400, fail("Checkout not found")) },
			}, wantErr: pc.ErrNotFound, wantCalls: 1,
		},
		{
			name: "401 is not retried", answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { writeBody(w, 401, fail("unauthorized")) },
			}, wantErr: pc.ErrUnauthorized, wantCalls: 1,
		},
		{
			name: "retries run out (default 3)", answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { writeBody(w, 502, "bad gateway") },
			}, wantErr: pc.ErrUnavailable, wantCalls: 4,
		},
		{
			name: "MaxRetries 1", maxRetries: 1, answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { writeBody(w, 500, fail("oops")) },
			}, wantErr: pc.ErrUnavailable, wantCalls: 2,
		},
		{
			name: "negative MaxRetries means none", maxRetries: -1, answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { writeBody(w, 500, fail("oops")) },
			}, wantErr: pc.ErrUnavailable, wantCalls: 1,
		},
	}
	reads := []struct {
		name string
		call func(ctx context.Context, c *pc.Client) error
	}{
		{"get", func(ctx context.Context, c *pc.Client) error { _, err := c.GetCheckout(ctx, "1"); return err }},
		{"find", func(ctx context.Context, c *pc.Client) error {
			_, err := c.FindByRequestID(ctx, "req-1")
			return err
		}},
	}
	for _, rd := range reads {
		for _, tt := range tests {
			t.Run(rd.name+"/"+tt.name, func(t *testing.T) {
				f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
					if strings.HasSuffix(r.URL.Path, "/checkout") && n >= len(tt.answers)-1 && tt.wantErr == nil {
						writeBody(w, 200, ok(pageJSON(0, 1, checkoutJSON("1", "req-1", "order-1", "AED", "100.00", "PAID"))))
						return
					}
					tt.answers[min(n, len(tt.answers)-1)](w)
				})
				c := newTestClient(t, customEnv(t, f.base()), func(cfg *pc.ClientConfig) { cfg.MaxRetries = tt.maxRetries })
				err := rd.call(t.Context(), c)
				if tt.wantErr == nil {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, tt.wantErr)
				}
				assert.Len(t, f.requests(), tt.wantCalls)
			})
		}
	}
}

// dropConnection closes the connection without an answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

func TestWritesAreNeverRetried(t *testing.T) {
	writes := []struct {
		name string
		call func(ctx context.Context, t *testing.T, c *pc.Client) error
	}{
		{"cancel", func(ctx context.Context, _ *testing.T, c *pc.Client) error {
			_, err := c.CancelCheckout(ctx, "1")
			return err
		}},
		{"refund", func(ctx context.Context, t *testing.T, c *pc.Client) error {
			_, err := c.RefundCheckout(ctx, "1", pc.RefundRequest{Amount: money(t, "1", "AED"), Note: "n"})
			return err
		}},
	}
	answers := []struct {
		name    string
		answer  func(w http.ResponseWriter)
		wantErr error
	}{
		{"503", func(w http.ResponseWriter) { writeBody(w, 503, fail("busy")) }, pc.ErrUnavailable},
		{"429", func(w http.ResponseWriter) { writeBody(w, 429, "") }, pc.ErrUnavailable},
		{"dropped", dropConnection, pc.ErrUnavailable},
		{"400", func(w http.ResponseWriter) { writeBody(w, 400, fail("Checkout is not paid")) }, pc.ErrBadRequest},
	}
	for _, wr := range writes {
		for _, a := range answers {
			t.Run(wr.name+"/"+a.name, func(t *testing.T) {
				f := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { a.answer(w) })
				c := newTestClient(t, customEnv(t, f.base()), nil)
				err := wr.call(t.Context(), t, c)
				require.ErrorIs(t, err, a.wantErr)
				assert.Len(t, f.requests(), 1)
			})
		}
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	// A Retry-After longer than the caller's deadline ends the retries at
	// once instead of sleeping past the deadline.
	f := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Retry-After", "5")
		writeBody(w, 429, fail("slow down"))
	})
	c := newTestClient(t, customEnv(t, f.base()), nil)
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err := c.GetCheckout(ctx, "1")
	require.ErrorIs(t, err, pc.ErrUnavailable)
	var apiErr *pc.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 429, apiErr.StatusCode)
	assert.Len(t, f.requests(), 1)
	assert.NoError(t, ctx.Err(), "the client gave up without waiting out the deadline")
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	// A redirect would carry the secret header to another host.
	elsewhere := newFakeAPI(t, answerAll)
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusTemporaryRedirect)
	})
	for _, hc := range []*http.Client{nil, {}} {
		c := newTestClient(t, customEnv(t, f.base()), func(cfg *pc.ClientConfig) { cfg.HTTPClient = hc })
		_, err := c.GetCheckout(t.Context(), "1")
		var apiErr *pc.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusTemporaryRedirect, apiErr.StatusCode)
	}
	assert.Empty(t, elsewhere.requests())
	assert.Len(t, f.requests(), 2, "a redirect is an answer, not an outage: no retry")
}

// TestRedirectNamesTheNewHost: an API host that moved (the legacy
// PointCheckout host redirecting to paymennt's) gives an error that says
// where it went and which environment to use, not "unavailable".
func TestRedirectNamesTheNewHost(t *testing.T) {
	tests := []struct {
		name, location string
		code           int
		want           []string
	}{
		{"legacy live to paymennt", "https://api.paymennt.com/mer/v2.0/checkout/1", 301, []string{"api.paymennt.com", `"paymennt-live"`}},
		{"legacy test to paymennt", "https://api.test.paymennt.com/mer/v2.0/checkout/1", 308, []string{"api.test.paymennt.com", `"paymennt-test"`}},
		{"paymennt to legacy", "https://api.pointcheckout.com/mer/v2.0/checkout/1", 302, []string{"api.pointcheckout.com", `"live"`}},
		{"unknown host", "https://gw.example.net/v2/checkout/1", 307, []string{"gw.example.net", `CustomEnvironment("https://gw.example.net/mer/v2.0/")`}},
		{"relative location", "/elsewhere/checkout/1", 301, []string{"127.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Location", tt.location)
				w.WriteHeader(tt.code)
			})
			c := newTestClient(t, customEnv(t, f.base()), nil)
			for _, call := range []func() error{
				func() error { _, err := c.GetCheckout(t.Context(), "1"); return err },
				func() error { _, err := c.CreateWebCheckout(t.Context(), validRequest(t, "1", "AED")); return err },
			} {
				err := call()
				require.Error(t, err)
				assert.NotErrorIs(t, err, pc.ErrUnavailable)
				var apiErr *pc.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tt.code, apiErr.StatusCode)
				for _, w := range tt.want {
					assert.Contains(t, err.Error(), w)
				}
			}
			assert.Equal(t, 1, f.count(http.MethodGet), "the create's unknown-outcome lookup is not run for a redirect")
		})
	}
}

// TestGatewayTextIsScrubbed: an error envelope that echoes the request's
// credentials does not carry them into the error.
func TestGatewayTextIsScrubbed(t *testing.T) {
	for _, status := range []int{200, 400, 401, 500} {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			writeBody(w, status, fail("bad credentials: key="+r.Header.Get("X-PointCheckout-Api-Key")+
				" secret="+r.Header.Get("X-Paymennt-Api-Secret")))
		})
		c := newTestClient(t, customEnv(t, f.base()), func(cfg *pc.ClientConfig) { cfg.MaxRetries = -1 })
		_, err := c.GetCheckout(t.Context(), "1")
		require.Error(t, err)
		assert.NotContains(t, err.Error(), testSecret, "HTTP %d", status)
		assert.NotContains(t, err.Error(), testKey, "HTTP %d", status)
		assert.Contains(t, err.Error(), "bad credentials: key=[REDACTED]", "HTTP %d", status)
	}
}

func TestUserHTTPClientIsUsed(t *testing.T) {
	f := newFakeAPI(t, answerAll)
	var used int
	var mu sync.Mutex
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		used++
		mu.Unlock()
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := newTestClient(t, customEnv(t, f.base()), func(cfg *pc.ClientConfig) { cfg.HTTPClient = hc })
	_, err := c.GetCheckout(t.Context(), "1")
	require.NoError(t, err)
	assert.Equal(t, 1, used)
	assert.Nil(t, hc.CheckRedirect, "the caller's client is not modified")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestConnectionsAreReused(t *testing.T) {
	// Error answers too must leave the connection reusable: the client
	// reads and closes every body.
	var mu sync.Mutex
	conns := 0
	countConns := func(s *http.Server) {
		s.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				mu.Lock()
				conns++
				mu.Unlock()
			}
		}
	}
	f := newFakeAPIWith(t, countConns, func(w http.ResponseWriter, _ *http.Request, n int) {
		switch n % 3 {
		case 0:
			writeBody(w, 200, ok(checkoutJSON("1", "r", "o", "AED", "1.00", "PAID")))
		case 1:
			writeBody(w, 400, fail("Checkout not found"))
		default:
			writeBody(w, 200, ok(`{"pad":"`+strings.Repeat("x", 100<<10)+`"}`))
		}
	})
	c := newTestClient(t, customEnv(t, f.base()), func(cfg *pc.ClientConfig) { cfg.MaxRetries = -1 })
	for range 30 {
		_, _ = c.GetCheckout(t.Context(), "1")
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, f.requests(), 30)
	assert.Equal(t, 1, conns)
}

// FuzzClientAnswer feeds arbitrary answers to every read: the client must
// never panic, must return either a checkout with an exact amount or an
// error that matches one of the package's sentinels, and must never quote
// the secret.
func FuzzClientAnswer(f *testing.F) {
	f.Add(200, []byte(ok(checkoutJSON("1", "r", "o", "AED", "100.00", "PAID"))))
	f.Add(200, []byte(ok(pageJSON(0, 1, checkoutJSON("1", "r", "o", "KWD", "12.345", "Paid")))))
	f.Add(400, []byte(fail("Checkout not found for API merchant")))
	f.Add(401, []byte(fail("Unauthorized")))
	f.Add(503, []byte("<html>503</html>"))
	f.Add(200, []byte(`{"success":true,"elapsed":1,"result":{"id":"`))
	f.Add(200, []byte(`{"success":true,"result":{"amount":1e400,"currency":"AED"}}`))
	f.Add(302, []byte(``))
	env, err := pc.CustomEnvironment("http://127.0.0.1:1/mer/v2.0/")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			status = 200
		}
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{
				StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(bytes.NewReader(body)), Request: r,
			}, nil
		})}
		c, err := pc.NewClient(pc.ClientConfig{Key: testKey, Secret: pc.NewSecret(testSecret), Environment: env, HTTPClient: hc, MaxRetries: -1})
		require.NoError(t, err)
		check := func(co *pc.Checkout, err error) {
			if err != nil {
				var apiErr *pc.APIError
				classified := errors.Is(err, pc.ErrUnavailable) || errors.Is(err, pc.ErrBadRequest) ||
					errors.Is(err, pc.ErrNotFound) || errors.Is(err, pc.ErrUnauthorized)
				// A refusal with a 4xx the API does not document (409, 410,
				// ...) is an *APIError that errors.go maps to no sentinel.
				other4xx := errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500
				assert.True(t, classified || other4xx, "unclassified error: %v", err)
				assert.NotContains(t, err.Error(), testSecret)
				return
			}
			if co != nil {
				assert.NotEmpty(t, co.ID, "a checkout without an id")
			}
		}
		check(c.GetCheckout(context.Background(), "1"))
		check(c.FindByRequestID(context.Background(), "r"))
		check(c.CancelCheckout(context.Background(), "1"))
	})
}
