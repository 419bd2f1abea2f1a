package pointcheckout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/pointcheckout-go/pointcheckout"
)

const (
	testKey    = "key-1234"
	testSecret = "sEcReT-do-not-print-9f8e7d"
)

// recorded is one request as the fake API saw it.
type recorded struct {
	Method  string
	Path    string // decoded
	RawPath string // as sent
	Query   url.Values
	Header  http.Header
	Body    []byte
}

// fakeAPI records every request and answers through respond, which sees
// the request's position in the sequence (0-based).
type fakeAPI struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []recorded
	respond func(w http.ResponseWriter, r *http.Request, n int)
}

func newFakeAPI(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) *fakeAPI {
	t.Helper()
	return newFakeAPIWith(t, nil, respond)
}

// newFakeAPIWith lets configure adjust the server before it starts.
func newFakeAPIWith(t *testing.T, configure func(*http.Server), respond func(w http.ResponseWriter, r *http.Request, n int)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{respond: respond}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, recorded{
			Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(),
			Query: r.URL.Query(), Header: r.Header.Clone(), Body: body,
		})
		f.mu.Unlock()
		f.respond(w, r, n)
	}))
	if configure != nil {
		configure(f.Config)
	}
	f.Start()
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakeAPI) count(method string) int {
	n := 0
	for _, r := range f.requests() {
		if r.Method == method {
			n++
		}
	}
	return n
}

// base is the fake's Merchant API base URL.
func (f *fakeAPI) base() string { return f.URL + "/mer/v2.0/" }

func writeBody(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func ok(result string) string {
	return `{"success":true,"elapsed":3,"error":null,"result":` + result + `}`
}

func fail(msg string) string {
	return fmt.Sprintf(`{"success":false,"elapsed":2,"error":%q,"result":null}`, msg)
}

// checkoutJSON is a checkout object as the API writes it; amount is the
// literal JSON number.
func checkoutJSON(id, requestID, orderID, currency, amount, status string) string {
	return fmt.Sprintf(`{"id":%q,"displayId":"D-%s","requestId":%q,"orderId":%q,"currency":%q,"amount":%s,`+
		`"cashAmount":0,"totalRefunded":0,"status":%q,"redirectUrl":"https://pay.test.pointcheckout.com/checkout/%s",`+
		`"checkoutKey":"ck-%s","timestamp":"2024-05-01T10:00:00.000+0400"}`,
		id, id, requestID, orderID, currency, amount, status, id, id)
}

func pageJSON(page, totalPages int, items ...string) string {
	return fmt.Sprintf(`{"page":%d,"size":%d,"totalPages":%d,"totalElements":%d,"content":[%s]}`,
		page, len(items), totalPages, len(items), strings.Join(items, ","))
}

func money(t testing.TB, amount, currency string) pc.Money {
	t.Helper()
	m, err := pc.ParseMoney(amount, currency)
	require.NoError(t, err)
	return m
}

// validRequest is a complete create-web-checkout request.
func validRequest(t testing.TB, amount, currency string) *pc.CheckoutRequest {
	t.Helper()
	m := money(t, amount, currency)
	return &pc.CheckoutRequest{
		RequestID: "req-1",
		OrderID:   "order-1",
		Amount:    m,
		Items:     []pc.Item{{Name: "Coffee beans", SKU: "CB-1", UnitPrice: m, Quantity: 1, LineTotal: m}},
		Customer:  pc.Customer{FirstName: "Test", LastName: "User", Email: "test@example.com"},
		BillingAddress: pc.Address{
			Name: "Test User", Address1: "1 Main St", City: "Dubai", Country: "AE",
		},
		ReturnURL: "https://shop.example/pay/return?t=abc",
	}
}

// newTestClient builds a client for env with fast retries; mod may adjust
// the config.
func newTestClient(t testing.TB, env pc.Environment, mod func(*pc.ClientConfig)) *pc.Client {
	t.Helper()
	cfg := pc.ClientConfig{
		Key: testKey, Secret: pc.NewSecret(testSecret), Environment: env,
		Timeout: 5 * time.Second, RetryBaseDelay: time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := pc.NewClient(cfg)
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func customEnv(t testing.TB, base string) pc.Environment {
	t.Helper()
	env, err := pc.CustomEnvironment(base)
	require.NoError(t, err)
	return env
}

func TestEnvironmentPresets(t *testing.T) {
	testHosts := []string{"pay.test.paymennt.com", "pay.test.pointcheckout.com"}
	liveHosts := []string{"pay.paymennt.com", "pay.pointcheckout.com"}
	tests := []struct {
		name, base string
		hosts      []string
		env        func() pc.Environment
		live       bool
	}{
		{"paymennt-test", "https://api.test.paymennt.com/mer/v2.0/", testHosts, pc.PaymenntTestEnvironment, false},
		{"paymennt-live", "https://api.paymennt.com/mer/v2.0/", liveHosts, pc.PaymenntLiveEnvironment, true},
		{"test", "https://api.test.pointcheckout.com/mer/v2.0/", testHosts, pc.TestEnvironment, false},
		{"live", "https://api.pointcheckout.com/mer/v2.0/", liveHosts, pc.LiveEnvironment, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := pc.Environment{Name: tt.name, BaseURL: tt.base, PaymentHosts: tt.hosts, Live: tt.live}
			got := tt.env()
			assert.Equal(t, want, got)
			named, err := pc.EnvironmentNamed(tt.name)
			require.NoError(t, err)
			assert.Equal(t, want, named)

			// Each call returns a fresh value: changing one changes no other.
			got.PaymentHosts[0] = "evil.example"
			assert.Equal(t, want, tt.env())
		})
	}
	for _, name := range []string{"", "custom", "TEST", "prod", "sandbox"} {
		_, err := pc.EnvironmentNamed(name)
		assert.Error(t, err, "EnvironmentNamed(%q)", name)
	}
}

func TestCustomEnvironment(t *testing.T) {
	tests := []struct {
		in, base, host string
		wantErr        bool
	}{
		{in: "http://127.0.0.1:8080/mer/v2.0", base: "http://127.0.0.1:8080/mer/v2.0/", host: "127.0.0.1:8080"},
		{in: "http://127.0.0.1:8080/mer/v2.0/", base: "http://127.0.0.1:8080/mer/v2.0/", host: "127.0.0.1:8080"},
		{in: "https://localhost", base: "https://localhost/", host: "localhost"},
		{in: "", wantErr: true},
		{in: "/mer/v2.0/", wantErr: true},
		{in: "localhost:8080/mer", wantErr: true},
		{in: "ftp://localhost/", wantErr: true},
		{in: "http:///path", wantErr: true},
		{in: "http://user:pw@localhost/", wantErr: true},
		{in: "http://localhost/mer?x=1", wantErr: true},
		{in: "http://localhost/mer#frag", wantErr: true},
		{in: "http://local host/", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			env, err := pc.CustomEnvironment(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, pc.Environment{Name: "custom", BaseURL: tt.base, PaymentHosts: []string{tt.host}}, env)
		})
	}
}

func TestNewClientRefusesBadConfig(t *testing.T) {
	env := pc.TestEnvironment()
	tests := []struct {
		name string
		mod  func(*pc.ClientConfig)
	}{
		{"no key", func(c *pc.ClientConfig) { c.Key = "" }},
		{"no secret", func(c *pc.ClientConfig) { c.Secret = pc.Secret{} }},
		{"no base URL", func(c *pc.ClientConfig) { c.Environment = pc.Environment{} }},
		{"relative base URL", func(c *pc.ClientConfig) { c.Environment.BaseURL = "/mer/v2.0/" }},
		{"base URL without scheme", func(c *pc.ClientConfig) { c.Environment.BaseURL = "api.test.pointcheckout.com/mer/v2.0/" }},
		{"control character in secret", func(c *pc.ClientConfig) { c.Secret = pc.NewSecret(testSecret + "\n") }},
		{"negative timeout", func(c *pc.ClientConfig) { c.Timeout = -time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := pc.ClientConfig{Key: testKey, Secret: pc.NewSecret(testSecret), Environment: env}
			tt.mod(&cfg)
			c, err := pc.NewClient(cfg)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.NotContains(t, err.Error(), testSecret)
		})
	}
}

func TestNewClientFillsEnvironmentDefaults(t *testing.T) {
	c := newTestClient(t, pc.Environment{BaseURL: "http://127.0.0.1:9/api"}, nil)
	env := c.Environment()
	assert.Equal(t, pc.Environment{Name: "custom", BaseURL: "http://127.0.0.1:9/api/", PaymentHosts: []string{"127.0.0.1:9"}}, env)
	env.PaymentHosts[0] = "evil.example"
	assert.Equal(t, []string{"127.0.0.1:9"}, c.Environment().PaymentHosts)
}

// answerAll is a fake that answers every operation successfully.
func answerAll(w http.ResponseWriter, r *http.Request, _ int) {
	co := checkoutJSON("1001", "req-1", "order-1", "AED", "100.00", "PENDING")
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/checkout") {
		writeBody(w, 200, ok(pageJSON(0, 1, co)))
		return
	}
	writeBody(w, 200, ok(co))
}

func TestRequestsPerEnvironment(t *testing.T) {
	envs := []struct{ preset func() pc.Environment }{
		{pc.PaymenntTestEnvironment}, {pc.PaymenntLiveEnvironment}, {pc.TestEnvironment}, {pc.LiveEnvironment},
	}
	ops := []struct {
		name    string
		call    func(ctx context.Context, t *testing.T, c *pc.Client)
		method  string
		rawPath string
		query   url.Values
		body    bool
		// jsonBody is the exact body, when the operation sends a fixed one.
		jsonBody string
	}{
		{
			name: "create",
			call: func(ctx context.Context, t *testing.T, c *pc.Client) {
				co, err := c.CreateWebCheckout(ctx, validRequest(t, "100.00", "AED"))
				require.NoError(t, err)
				assert.Equal(t, "1001", co.ID)
				assert.Equal(t, pc.StatusPending, co.Status)
			},
			method: "POST", rawPath: "/mer/v2.0/checkout/web", query: url.Values{}, body: true,
		},
		{
			name: "get",
			call: func(ctx context.Context, t *testing.T, c *pc.Client) {
				co, err := c.GetCheckout(ctx, "1001")
				require.NoError(t, err)
				assert.Equal(t, money(t, "100.00", "AED"), co.Amount)
			},
			method: "GET", rawPath: "/mer/v2.0/checkout/1001", query: url.Values{},
		},
		{
			name: "get escapes the id",
			call: func(ctx context.Context, t *testing.T, c *pc.Client) {
				_, err := c.GetCheckout(ctx, "a/b?c=d")
				require.NoError(t, err)
			},
			method: "GET", rawPath: "/mer/v2.0/checkout/a%2Fb%3Fc=d", query: url.Values{},
		},
		{
			name: "find escapes the query",
			call: func(ctx context.Context, t *testing.T, c *pc.Client) {
				_, err := c.FindByOrderID(ctx, "order 1&x")
				require.NoError(t, err)
			},
			method: "GET", rawPath: "/mer/v2.0/checkout", query: url.Values{"orderId": {"order 1&x"}, "size": {"50"}},
		},
		{
			name: "find by request id",
			call: func(ctx context.Context, t *testing.T, c *pc.Client) {
				co, err := c.FindByRequestID(ctx, "req-1")
				require.NoError(t, err)
				assert.Equal(t, "1001", co.ID)
			},
			method: "GET", rawPath: "/mer/v2.0/checkout", query: url.Values{"requestId": {"req-1"}},
		},
		{
			name: "find by order id",
			call: func(ctx context.Context, t *testing.T, c *pc.Client) {
				cos, err := c.FindByOrderID(ctx, "order-1")
				require.NoError(t, err)
				require.Len(t, cos, 1)
			},
			method: "GET", rawPath: "/mer/v2.0/checkout", query: url.Values{"orderId": {"order-1"}, "size": {"50"}},
		},
		{
			name: "cancel",
			call: func(ctx context.Context, t *testing.T, c *pc.Client) {
				_, err := c.CancelCheckout(ctx, "1001")
				require.NoError(t, err)
			},
			method: "POST", rawPath: "/mer/v2.0/checkout/1001/cancel", query: url.Values{},
		},
		{
			name: "refund",
			call: func(ctx context.Context, t *testing.T, c *pc.Client) {
				_, err := c.RefundCheckout(ctx, "1001", pc.RefundRequest{Amount: money(t, "100", "AED"), Note: "Out of stock"})
				require.NoError(t, err)
			},
			method: "POST", rawPath: "/mer/v2.0/checkout/1001/refund",
			query: url.Values{"amount": {"100.00"}, "currency": {"AED"}, "note": {"Out of stock"}},
			body:  true, jsonBody: `{"amount":100.00,"currency":"AED"}`,
		},
		{
			name: "refund with reference in 3 decimals",
			call: func(ctx context.Context, t *testing.T, c *pc.Client) {
				_, err := c.RefundCheckout(ctx, "1001", pc.RefundRequest{Amount: money(t, "12.3", "KWD"), Note: "n", ReferenceID: "REF-1"})
				require.NoError(t, err)
			},
			method: "POST", rawPath: "/mer/v2.0/checkout/1001/refund",
			query: url.Values{"amount": {"12.300"}, "currency": {"KWD"}, "note": {"n"}, "referenceId": {"REF-1"}},
			body:  true, jsonBody: `{"amount":12.300,"currency":"KWD"}`,
		},
	}
	for _, e := range envs {
		for _, op := range ops {
			t.Run(e.preset().Name+"/"+op.name, func(t *testing.T) {
				f := newFakeAPI(t, answerAll)
				env := e.preset()
				env.BaseURL = f.base()
				c := newTestClient(t, env, nil)
				op.call(t.Context(), t, c)

				reqs := f.requests()
				require.Len(t, reqs, 1)
				r := reqs[0]
				assert.Equal(t, op.method, r.Method)
				assert.Equal(t, op.rawPath, r.RawPath)
				assert.Equal(t, op.query, r.Query)
				// Both header families, whatever the host: the SDK sends
				// the PointCheckout pair to the paymennt hosts too.
				for _, h := range []string{"X-PointCheckout-Api-Key", "X-Paymennt-Api-Key"} {
					assert.Equal(t, []string{testKey}, r.Header.Values(h))
				}
				for _, h := range []string{"X-PointCheckout-Api-Secret", "X-Paymennt-Api-Secret"} {
					assert.Equal(t, []string{testSecret}, r.Header.Values(h))
				}
				assert.Equal(t, "application/json", r.Header.Get("Accept"))
				if op.body {
					assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
					assert.True(t, json.Valid(r.Body))
					if op.jsonBody != "" {
						assert.JSONEq(t, op.jsonBody, string(r.Body))
					}
				} else {
					assert.Empty(t, r.Body)
					assert.Empty(t, r.Header.Get("Content-Type"))
				}
			})
		}
	}
}

func TestCreateWebCheckoutBody(t *testing.T) {
	tests := []struct {
		amount, currency, want string
	}{
		{"100", "AED", "100.00"},
		{"12.345", "KWD", "12.345"},
		{"0.5", "BHD", "0.500"},
		{"1500", "JPY", "1500"},
	}
	for _, tt := range tests {
		t.Run(tt.currency, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				writeBody(w, 200, ok(checkoutJSON("7", "req-1", "order-1", tt.currency, tt.want, "PENDING")))
			})
			c := newTestClient(t, customEnv(t, f.base()), func(cfg *pc.ClientConfig) { cfg.ThreeDecimalAmounts = true })
			req := validRequest(t, tt.amount, tt.currency)
			req.Customer.Phone = "+971500000000"
			co, err := c.CreateWebCheckout(t.Context(), req)
			require.NoError(t, err)
			assert.Equal(t, req.Amount, co.Amount)

			body := f.requests()[0].Body
			// The amounts are bare JSON numbers with the currency's digits.
			assert.Contains(t, string(body), `"amount":`+tt.want+`,`)
			assert.Contains(t, string(body), `"linetotal":`+tt.want)
			assert.Contains(t, string(body), `"unitprice":`+tt.want)

			var got map[string]any
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			require.NoError(t, dec.Decode(&got))
			assert.Equal(t, "req-1", got["requestId"])
			assert.Equal(t, "order-1", got["orderId"])
			assert.Equal(t, tt.currency, got["currency"])
			assert.Equal(t, json.Number(tt.want), got["amount"])
			assert.Equal(t, "https://shop.example/pay/return?t=abc", got["returnUrl"])
			items := got["items"].([]any)
			require.Len(t, items, 1)
			assert.Equal(t, map[string]any{
				"name": "Coffee beans", "sku": "CB-1", "quantity": json.Number("1"),
				"unitprice": json.Number(tt.want), "linetotal": json.Number(tt.want),
			}, items[0])
			assert.Equal(t, map[string]any{
				"firstName": "Test", "lastName": "User", "email": "test@example.com", "phone": "+971500000000",
			}, got["customer"])
			assert.Equal(t, map[string]any{
				"name": "Test User", "address1": "1 Main St", "city": "Dubai", "country": "AE",
			}, got["billingAddress"])
		})
	}
}

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

func TestCreateUnknownOutcome(t *testing.T) {
	const created = "5005"
	found := func(orderID, amount string) string {
		return ok(pageJSON(0, 1, checkoutJSON(created, "req-1", orderID, "AED", amount, "PENDING")))
	}
	tests := []struct {
		name string
		// create answers the POST; it may block.
		create func(w http.ResponseWriter, r *http.Request)
		// lookup answers the GET by requestId.
		lookup func(w http.ResponseWriter)
		// cancel cancels the caller's context once the POST arrived.
		cancel      bool
		wantID      string
		wantErr     []error
		wantLookups int
	}{
		{
			name:        "server hangs past the timeout, lookup finds it",
			create:      hang,
			lookup:      func(w http.ResponseWriter) { writeBody(w, 200, found("order-1", "100.00")) },
			wantID:      created,
			wantLookups: 1,
		},
		{
			name:        "caller gives up, lookup still finds it",
			create:      hang,
			cancel:      true,
			lookup:      func(w http.ResponseWriter) { writeBody(w, 200, found("order-1", "100.00")) },
			wantID:      created,
			wantLookups: 1,
		},
		{
			name:        "503, lookup finds it",
			create:      func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 503, fail("busy")) },
			lookup:      func(w http.ResponseWriter) { writeBody(w, 200, found("order-1", "100.00")) },
			wantID:      created,
			wantLookups: 1,
		},
		{
			name:        "garbage answer, lookup finds it",
			create:      func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 200, "<html>") },
			lookup:      func(w http.ResponseWriter) { writeBody(w, 200, found("order-1", "100.00")) },
			wantID:      created,
			wantLookups: 1,
		},
		{
			name:        "dropped connection, lookup finds it",
			create:      func(w http.ResponseWriter, _ *http.Request) { dropConnection(w) },
			lookup:      func(w http.ResponseWriter) { writeBody(w, 200, found("order-1", "100.00")) },
			wantID:      created,
			wantLookups: 1,
		},
		{
			name:        "503, lookup finds nothing",
			create:      func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 503, fail("busy")) },
			lookup:      func(w http.ResponseWriter) { writeBody(w, 200, ok(pageJSON(0, 0))) },
			wantErr:     []error{pc.ErrUnavailable},
			wantLookups: 4, // not found is asked again

		},
		{
			name:        "hang, lookup finds nothing",
			create:      hang,
			lookup:      func(w http.ResponseWriter) { writeBody(w, 200, ok(pageJSON(0, 0))) },
			wantErr:     []error{pc.ErrUnavailable, context.DeadlineExceeded},
			wantLookups: 4, // not found is asked again

		},
		{
			name:   "503, lookup finds another request id only",
			create: func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 503, fail("busy")) },
			lookup: func(w http.ResponseWriter) {
				writeBody(w, 200, ok(pageJSON(0, 1, checkoutJSON("9", "req-10", "order-1", "AED", "100.00", "PENDING"))))
			},
			wantErr:     []error{pc.ErrUnavailable},
			wantLookups: 4, // not found is asked again

		},
		{
			name:        "503, lookup finds a different amount",
			create:      func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 503, fail("busy")) },
			lookup:      func(w http.ResponseWriter) { writeBody(w, 200, found("order-1", "1.00")) },
			wantErr:     []error{pc.ErrUnavailable},
			wantLookups: 1,
		},
		{
			name:        "503, lookup finds a different order",
			create:      func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 503, fail("busy")) },
			lookup:      func(w http.ResponseWriter) { writeBody(w, 200, found("order-2", "100.00")) },
			wantErr:     []error{pc.ErrUnavailable},
			wantLookups: 1,
		},
		{
			name:        "503, lookup fails too (and is retried)",
			create:      func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 503, fail("busy")) },
			lookup:      func(w http.ResponseWriter) { writeBody(w, 503, fail("busy")) },
			wantErr:     []error{pc.ErrUnavailable},
			wantLookups: 4,
		},
		{
			name:        "400 is an answer: no lookup",
			create:      func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 400, fail("requestId already used")) },
			lookup:      func(w http.ResponseWriter) { writeBody(w, 200, found("order-1", "100.00")) },
			wantErr:     []error{pc.ErrBadRequest},
			wantLookups: 0,
		},
		{
			name:        "401 is an answer: no lookup",
			create:      func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 401, fail("bad key")) },
			lookup:      func(w http.ResponseWriter) { writeBody(w, 200, found("order-1", "100.00")) },
			wantErr:     []error{pc.ErrUnauthorized},
			wantLookups: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				if r.Method == http.MethodPost {
					if tt.cancel {
						cancel()
					}
					tt.create(w, r)
					return
				}
				assert.Equal(t, url.Values{"requestId": {"req-1"}}, r.URL.Query())
				tt.lookup(w)
			})
			timeout := 5 * time.Second
			if !tt.cancel {
				timeout = 300 * time.Millisecond
			}
			c := newTestClient(t, customEnv(t, f.base()), func(cfg *pc.ClientConfig) { cfg.Timeout = timeout })
			co, err := c.CreateWebCheckout(ctx, validRequest(t, "100", "AED"))
			assert.Equal(t, 1, f.count(http.MethodPost), "create must never be repeated")
			assert.Equal(t, tt.wantLookups, f.count(http.MethodGet))
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.wantID, co.ID)
				return
			}
			assert.Nil(t, co)
			for _, target := range tt.wantErr {
				assert.ErrorIs(t, err, target)
			}
			if tt.wantLookups > 0 {
				assert.Contains(t, err.Error(), "outcome unknown")
				assert.NotErrorIs(t, err, pc.ErrNotFound, "an unknown outcome is not a missing checkout")
			}
		})
	}
}

// hang keeps a request open until the client gives up on it.
func hang(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

func TestValidationBeforeAnyNetworkCall(t *testing.T) {
	f := newFakeAPI(t, answerAll)
	c := newTestClient(t, customEnv(t, f.base()), nil)
	ctx := t.Context()
	aed := money(t, "1", "AED")
	tests := []struct {
		name   string
		call   func() error
		fields []string // for *ValidationError, the fields named
	}{
		{"nil request", func() error { _, err := c.CreateWebCheckout(ctx, nil); return err }, nil},
		{"missing order id", func() error {
			r := validRequest(t, "1", "AED")
			r.OrderID = ""
			_, err := c.CreateWebCheckout(ctx, r)
			return err
		}, []string{"orderId"}},
		{"zero amount and no items", func() error {
			r := validRequest(t, "0", "AED")
			r.Items = nil
			_, err := c.CreateWebCheckout(ctx, r)
			return err
		}, []string{"amount", "items"}},
		{"line in another currency", func() error {
			r := validRequest(t, "1", "AED")
			r.Items[0].LineTotal = money(t, "1", "SAR")
			_, err := c.CreateWebCheckout(ctx, r)
			return err
		}, []string{"items[0].linetotal"}},
		{"relative return URL", func() error {
			r := validRequest(t, "1", "AED")
			r.ReturnURL = "/pay/return"
			_, err := c.CreateWebCheckout(ctx, r)
			return err
		}, []string{"returnUrl"}},
		{"refund without note", func() error {
			_, err := c.RefundCheckout(ctx, "1", pc.RefundRequest{Amount: aed})
			return err
		}, []string{"note"}},
		{"refund of nothing", func() error {
			_, err := c.RefundCheckout(ctx, "1", pc.RefundRequest{Note: "n"})
			return err
		}, []string{"amount"}},
		{"get empty id", func() error { _, err := c.GetCheckout(ctx, ""); return err }, nil},
		{"get dot-dot id", func() error { _, err := c.GetCheckout(ctx, ".."); return err }, nil},
		{"cancel empty id", func() error { _, err := c.CancelCheckout(ctx, " "); return err }, nil},
		{"refund empty id", func() error {
			_, err := c.RefundCheckout(ctx, "", pc.RefundRequest{Amount: aed, Note: "n"})
			return err
		}, nil},
		{"find by empty request id", func() error { _, err := c.FindByRequestID(ctx, ""); return err }, nil},
		{"find by empty order id", func() error { _, err := c.FindByOrderID(ctx, ""); return err }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			require.ErrorIs(t, err, pc.ErrInvalidRequest)
			assert.NotErrorIs(t, err, pc.ErrUnavailable)
			if tt.fields != nil {
				var ve *pc.ValidationError
				require.ErrorAs(t, err, &ve)
				var got []string
				for _, fe := range ve.Fields {
					got = append(got, fe.Field)
				}
				assert.Equal(t, tt.fields, got)
			}
		})
	}
	assert.Empty(t, f.requests(), "no request may reach the API")
}

func TestContextCancellation(t *testing.T) {
	t.Run("cancelled before the call", func(t *testing.T) {
		f := newFakeAPI(t, answerAll)
		c := newTestClient(t, customEnv(t, f.base()), nil)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := c.GetCheckout(ctx, "1")
		require.ErrorIs(t, err, context.Canceled)
		_, err = c.CreateWebCheckout(ctx, validRequest(t, "1", "AED"))
		require.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, pc.ErrUnavailable, "nothing was sent, so the outcome is known")
		assert.Empty(t, f.requests())
	})
	t.Run("deadline during a hanging read", func(t *testing.T) {
		f := newFakeAPI(t, func(_ http.ResponseWriter, r *http.Request, _ int) { hang(nil, r) })
		c := newTestClient(t, customEnv(t, f.base()), nil)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err := c.GetCheckout(ctx, "1")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorIs(t, err, pc.ErrUnavailable)
		assert.Len(t, f.requests(), 1, "no retry once the caller's deadline passed")
	})
	t.Run("per-attempt timeout is retried", func(t *testing.T) {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 0 {
				hang(w, r)
				return
			}
			writeBody(w, 200, ok(checkoutJSON("1", "r", "o", "AED", "1.00", "PAID")))
		})
		c := newTestClient(t, customEnv(t, f.base()), func(cfg *pc.ClientConfig) { cfg.Timeout = 100 * time.Millisecond })
		co, err := c.GetCheckout(t.Context(), "1")
		require.NoError(t, err)
		assert.Equal(t, pc.StatusPaid, co.Status)
		assert.Len(t, f.requests(), 2)
	})
	t.Run("cancel during backoff stops the retries", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		f := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
			cancel()
			writeBody(w, 503, fail("busy"))
		})
		c := newTestClient(t, customEnv(t, f.base()), func(cfg *pc.ClientConfig) {
			cfg.RetryBaseDelay = time.Hour
			cfg.MaxRetries = 5
		})
		_, err := c.GetCheckout(ctx, "1")
		require.ErrorIs(t, err, pc.ErrUnavailable)
		assert.Len(t, f.requests(), 1)
	})
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

func TestFindByRequestIDExactMatch(t *testing.T) {
	tests := []struct {
		name    string
		page    string
		status  int
		wantID  string
		wantErr error
	}{
		{"exact match among others", ok(pageJSON(0, 1,
			checkoutJSON("1", "req-10", "o", "AED", "1.00", "PENDING"),
			checkoutJSON("2", "req-1", "o", "AED", "1.00", "PENDING"))), 200, "2", nil},
		{"only a prefix match", ok(pageJSON(0, 1, checkoutJSON("1", "req-10", "o", "AED", "1.00", "PENDING"))), 200, "", pc.ErrNotFound},
		{"empty page", ok(pageJSON(0, 0)), 200, "", pc.ErrNotFound},
		{"API says not found", fail("Checkout not found"), 400, "", pc.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { writeBody(w, tt.status, tt.page) })
			c := newTestClient(t, customEnv(t, f.base()), nil)
			co, err := c.FindByRequestID(t.Context(), "req-1")
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.NotErrorIs(t, err, pc.ErrUnavailable)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantID, co.ID)
		})
	}
}

func TestFindByOrderIDFollowsPages(t *testing.T) {
	const totalPages = 3
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		var page int
		_, _ = fmt.Sscan(r.URL.Query().Get("page"), &page)
		items := []string{
			checkoutJSON(fmt.Sprintf("%d-a", page), fmt.Sprintf("req-%da", page), "order-1", "AED", "1.00", "FAILED"),
			checkoutJSON(fmt.Sprintf("%d-b", page), fmt.Sprintf("req-%db", page), "order-1", "AED", "1.00", "PAID"),
		}
		if page == 1 {
			// A search is not trusted to filter: other orders are dropped.
			items = append(items, checkoutJSON("x", "req-x", "order-10", "AED", "1.00", "PAID"))
		}
		writeBody(w, 200, ok(pageJSON(page, totalPages, items...)))
	})
	c := newTestClient(t, customEnv(t, f.base()), nil)
	cos, err := c.FindByOrderID(t.Context(), "order-1")
	require.NoError(t, err)
	var ids []string
	for _, co := range cos {
		ids = append(ids, co.ID)
	}
	assert.Equal(t, []string{"0-a", "0-b", "1-a", "1-b", "2-a", "2-b"}, ids)
	reqs := f.requests()
	require.Len(t, reqs, totalPages)
	for i, r := range reqs {
		want := url.Values{"orderId": {"order-1"}, "size": {"50"}}
		if i > 0 {
			want.Set("page", fmt.Sprint(i))
		}
		assert.Equal(t, want, r.Query)
	}

	t.Run("no checkouts", func(t *testing.T) {
		f := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { writeBody(w, 200, ok(pageJSON(0, 0))) })
		c := newTestClient(t, customEnv(t, f.base()), nil)
		cos, err := c.FindByOrderID(t.Context(), "order-1")
		require.NoError(t, err)
		assert.Empty(t, cos)
	})
	t.Run("endless pages are bounded", func(t *testing.T) {
		f := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, n int) {
			writeBody(w, 200, ok(pageJSON(n, 1000, checkoutJSON(fmt.Sprint(n), fmt.Sprint(n), "order-1", "AED", "1.00", "PAID"))))
		})
		c := newTestClient(t, customEnv(t, f.base()), nil)
		_, err := c.FindByOrderID(t.Context(), "order-1")
		require.Error(t, err)
		assert.Less(t, len(f.requests()), 1000)
	})
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

// TestThreeDecimalAmounts: a non-zero third decimal is refused before any
// network call unless the client opts in; two decimals in a three-decimal
// currency are fine.
func TestThreeDecimalAmounts(t *testing.T) {
	tests := []struct {
		amount, currency string
		optIn, wantErr   bool
	}{
		{"12.345", "KWD", false, true},
		{"12.340", "KWD", false, false},
		{"0.001", "BHD", false, true},
		{"5.5", "OMR", false, false},
		{"7.125", "JOD", false, true},
		{"12.345", "KWD", true, false},
		{"12.34", "AED", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.amount+tt.currency, func(t *testing.T) {
			f := newFakeAPI(t, answerAll)
			c := newTestClient(t, customEnv(t, f.base()), func(cfg *pc.ClientConfig) { cfg.ThreeDecimalAmounts = tt.optIn })
			_, createErr := c.CreateWebCheckout(t.Context(), validRequest(t, tt.amount, tt.currency))
			_, refundErr := c.RefundCheckout(t.Context(), "1001", pc.RefundRequest{Amount: money(t, tt.amount, tt.currency), Note: "n"})
			for _, err := range []error{createErr, refundErr} {
				if !tt.wantErr {
					assert.NotErrorIs(t, err, pc.ErrInvalidRequest)
					continue
				}
				require.ErrorIs(t, err, pc.ErrInvalidRequest)
				assert.Contains(t, err.Error(), "third decimal")
			}
			if tt.wantErr {
				assert.Empty(t, f.requests())
			}
		})
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

func TestConcurrentUse(t *testing.T) {
	f := newFakeAPI(t, answerAll)
	c := newTestClient(t, customEnv(t, f.base()), nil)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			_, err := c.GetCheckout(context.Background(), "1001")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Len(t, f.requests(), 64)
}

func TestLogging(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 0 {
			writeBody(w, 503, fail("busy"))
			return
		}
		writeBody(w, 200, ok(checkoutJSON("77", "r", "o", "AED", "1.00", "PAID")))
	})
	c := newTestClient(t, customEnv(t, f.base()), func(cfg *pc.ClientConfig) { cfg.Logger = logger })
	_, err := c.GetCheckout(t.Context(), "77")
	require.NoError(t, err)

	var recs []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		require.NoError(t, json.Unmarshal(line, &m))
		recs = append(recs, m)
	}
	require.Len(t, recs, 3)
	assert.Equal(t, "DEBUG", recs[0]["level"])
	assert.Equal(t, "get checkout", recs[0]["op"])
	assert.Equal(t, "77", recs[0]["checkout_id"])
	assert.EqualValues(t, 503, recs[0]["status"])
	assert.EqualValues(t, 1, recs[0]["attempt"])
	assert.Contains(t, recs[0], "duration")
	assert.Equal(t, "WARN", recs[1]["level"])
	assert.EqualValues(t, 1, recs[1]["attempt"])
	assert.Equal(t, "DEBUG", recs[2]["level"])
	assert.EqualValues(t, 200, recs[2]["status"])
	assert.EqualValues(t, 2, recs[2]["attempt"])
	assert.NotContains(t, buf.String(), `"success"`, "bodies are not logged")
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
