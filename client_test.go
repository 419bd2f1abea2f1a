package pointcheckout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/pointcheckout-go/pointcheckout/internal/shoptest"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
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

// The client against the sandbox: every call, both header and status
// spellings, and each fault the sandbox injects.

func sandboxRequest(t *testing.T, requestID, orderID, amount, currency string) *pc.CheckoutRequest {
	t.Helper()
	r := validRequest(t, amount, currency)
	r.RequestID, r.OrderID = requestID, orderID
	return r
}

// TestSandboxEveryCall runs every client call against the sandbox, with
// both header spellings and both status spellings.
func TestSandboxEveryCall(t *testing.T) {
	variants := []struct {
		name       string
		opts       []pointcheckouttest.Option
		keyHeader  string
		paidStatus string
	}{
		{"pointcheckout headers", nil, "X-Pointcheckout-Api-Key", "PAID"},
		{"paymennt headers", []pointcheckouttest.Option{pointcheckouttest.WithPaymenntHeaders()}, "X-Paymennt-Api-Key", "PAID"},
		{"enum status spelling", []pointcheckouttest.Option{pointcheckouttest.WithEnumStatusSpelling()}, "X-Pointcheckout-Api-Key", "Paid"},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			srv := shoptest.NewGateway(t, v.opts...)
			c := shoptest.Client(t, srv)
			ctx := t.Context()

			// Two attempts for one order, in a 2- and a 3-digit currency.
			first, err := c.CreateWebCheckout(ctx, sandboxRequest(t, "req-a", "order-7", "100", "AED"))
			require.NoError(t, err)
			assert.Equal(t, pc.StatusPending, first.Status)
			assert.Equal(t, money(t, "100.00", "AED"), first.Amount)
			assert.Equal(t, "req-a", first.RequestID)
			assert.Contains(t, c.Environment().PaymentHosts, hostOf(t, first.RedirectURL))
			second, err := c.CreateWebCheckout(ctx, sandboxRequest(t, "req-b", "order-7", "12.345", "KWD"))
			require.NoError(t, err)
			assert.Equal(t, money(t, "12.345", "KWD"), second.Amount)

			// The sandbox kept exactly what was sent.
			snap, ok := srv.Checkout(second.ID)
			require.True(t, ok)
			assert.Contains(t, string(snap.RequestBody), `"amount":12.345`)
			assert.Contains(t, string(snap.RequestBody), `"linetotal":12.345`)

			got, err := c.GetCheckout(ctx, first.ID)
			require.NoError(t, err)
			assert.Equal(t, first.ID, got.ID)
			assert.Equal(t, first.Amount, got.Amount)

			both, err := c.FindByOrderID(ctx, "order-7")
			require.NoError(t, err)
			require.Len(t, both, 2, "both attempts of the order")

			byReq, err := c.FindByRequestID(ctx, "req-b")
			require.NoError(t, err)
			assert.Equal(t, second.ID, byReq.ID)
			_, err = c.FindByRequestID(ctx, "req-c")
			require.ErrorIs(t, err, pc.ErrNotFound)

			all, err := c.FindByOrderID(ctx, "order-7")
			require.NoError(t, err)
			assert.ElementsMatch(t, []string{first.ID, second.ID}, []string{all[0].ID, all[1].ID})
			none, err := c.FindByOrderID(ctx, "order-8")
			require.NoError(t, err)
			assert.Empty(t, none)

			cancelled, err := c.CancelCheckout(ctx, second.ID)
			require.NoError(t, err)
			assert.Equal(t, pc.StatusCancelled, cancelled.Status)
			_, err = c.CancelCheckout(ctx, second.ID)
			require.ErrorIs(t, err, pc.ErrBadRequest, "a cancelled checkout cannot be cancelled again")

			require.NoError(t, srv.Complete(first.ID, pc.StatusPaid))
			paid, err := c.GetCheckout(ctx, first.ID)
			require.NoError(t, err)
			assert.True(t, paid.Status.IsPaid())
			assert.Equal(t, v.paidStatus, paid.RawStatus)

			part, err := c.RefundCheckout(ctx, first.ID, pc.RefundRequest{Amount: money(t, "40", "AED"), Note: "one item returned", ReferenceID: "RMA-1"})
			require.NoError(t, err)
			assert.Equal(t, pc.StatusPartiallyRefunded, part.Status)
			assert.Equal(t, money(t, "40.00", "AED"), part.TotalRefunded)
			rest, err := c.RefundCheckout(ctx, first.ID, pc.RefundRequest{Amount: money(t, "60", "AED"), Note: "rest"})
			require.NoError(t, err)
			assert.Equal(t, pc.StatusRefunded, rest.Status)
			_, err = c.RefundCheckout(ctx, first.ID, pc.RefundRequest{Amount: money(t, "0.01", "AED"), Note: "too much"})
			require.ErrorIs(t, err, pc.ErrBadRequest)
			snap, _ = srv.Checkout(first.ID)
			require.Len(t, snap.Refunds, 2)
			assert.Equal(t, "RMA-1", snap.Refunds[0].ReferenceID)

			_, err = c.GetCheckout(ctx, "1234567890123456789")
			require.ErrorIs(t, err, pc.ErrNotFound)

			// Every request carried the environment's credential headers.
			for _, r := range srv.Requests() {
				assert.Equal(t, srv.Key, r.Header.Get(v.keyHeader), "%s %s", r.Method, r.Path)
				assert.Equal(t, "application/json", r.Header.Get("Accept"))
			}
		})
	}
}

func hostOf(t *testing.T, raw string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, raw, nil)
	require.NoError(t, err)
	return req.URL.Host
}

func TestSandboxRefusesWrongCredentials(t *testing.T) {
	srv := shoptest.NewGateway(t)
	tests := []struct {
		name string
		mod  func(*pc.ClientConfig)
	}{
		{"wrong secret", func(cfg *pc.ClientConfig) { cfg.Secret = pc.NewSecret("nope") }},
		{"wrong key", func(cfg *pc.ClientConfig) { cfg.Key = "nope" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := srv.Client(tt.mod)
			_, err := c.GetCheckout(t.Context(), "1")
			require.ErrorIs(t, err, pc.ErrUnauthorized)
			_, err = c.CreateWebCheckout(t.Context(), validRequest(t, "1", "AED"))
			require.ErrorIs(t, err, pc.ErrUnauthorized)
		})
	}
	assert.Empty(t, srv.Checkouts())
}

// TestSandboxReadsRecover injects each transient fault into reads: the
// client retries and gets the truth.
func TestSandboxReadsRecover(t *testing.T) {
	faults := []struct {
		name  string
		fault pointcheckouttest.Fault
		n     int
	}{
		{"5xx burst", pointcheckouttest.StatusCode(503), 3},
		{"502 from a proxy", pointcheckouttest.StatusCode(502), 2},
		{"5xx envelope", pointcheckouttest.StatusCodeEnvelope(500), 2},
		{"429 burst", pointcheckouttest.StatusCode(429), 3},
		{"429 envelope", pointcheckouttest.StatusCodeEnvelope(429), 1},
		{"malformed JSON", pointcheckouttest.MalformedJSON(), 2},
		{"dropped connection", pointcheckouttest.DropConnection(), 2},
		{"dropped after commit", pointcheckouttest.DropAfterCommit(), 1},
		{"delay past the timeout", pointcheckouttest.Delay(time.Minute), 1},
	}
	reads := []struct {
		ep   pointcheckouttest.Endpoint
		call func(ctx context.Context, c *pc.Client, co *pc.Checkout) (string, error)
	}{
		{pointcheckouttest.EndpointGet, func(ctx context.Context, c *pc.Client, co *pc.Checkout) (string, error) {
			got, err := c.GetCheckout(ctx, co.ID)
			if err != nil {
				return "", err
			}
			return got.ID, nil
		}},
		{pointcheckouttest.EndpointFind, func(ctx context.Context, c *pc.Client, co *pc.Checkout) (string, error) {
			got, err := c.FindByRequestID(ctx, co.RequestID)
			if err != nil {
				return "", err
			}
			return got.ID, nil
		}},
	}
	for _, rd := range reads {
		for _, f := range faults {
			t.Run(rd.ep.String()+"/"+f.name, func(t *testing.T) {
				srv := shoptest.NewGateway(t)
				c := srv.Client(func(cfg *pc.ClientConfig) {
					cfg.Timeout = 200 * time.Millisecond
					cfg.RetryBaseDelay = time.Millisecond
				})
				co, err := c.CreateWebCheckout(t.Context(), validRequest(t, "100", "AED"))
				require.NoError(t, err)
				srv.InjectFault(rd.ep, f.n, f.fault)
				id, err := rd.call(t.Context(), c, co)
				require.NoError(t, err)
				assert.Equal(t, co.ID, id)
				assert.Equal(t, f.n+1, shoptest.EndpointRequests(srv, rd.ep), "one request per fault, then the good one")
				assert.Zero(t, srv.PendingFaults(rd.ep))
			})
		}
	}
}

func TestSandboxReadsGiveUp(t *testing.T) {
	srv := shoptest.NewGateway(t)
	c := shoptest.Client(t, srv)
	srv.InjectFault(pointcheckouttest.EndpointGet, 10, pointcheckouttest.StatusCode(503))
	_, err := c.GetCheckout(t.Context(), "1")
	require.ErrorIs(t, err, pc.ErrUnavailable)
	assert.Equal(t, 4, shoptest.EndpointRequests(srv, pointcheckouttest.EndpointGet), "the first try and 3 retries")

	assert.Equal(t, 6, srv.PendingFaults(pointcheckouttest.EndpointGet))
	srv.ClearFaults()
	srv.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.StatusCodeEnvelope(400))
	_, err = c.GetCheckout(t.Context(), "1")
	require.ErrorIs(t, err, pc.ErrBadRequest)
	assert.Equal(t, 5, shoptest.EndpointRequests(srv, pointcheckouttest.EndpointGet), "a 400 is an answer: not retried")
}

// TestSandboxCreateFaults: create is sent once whatever happens, and an
// unknown outcome is settled by a lookup by requestId.
func TestSandboxCreateFaults(t *testing.T) {
	tests := []struct {
		name        string
		fault       pointcheckouttest.Fault
		wantCreated bool // the sandbox holds the checkout afterwards
		wantErr     error
		wantLookup  bool
	}{
		{"delay past the timeout", pointcheckouttest.Delay(time.Minute), true, nil, true},
		{"dropped after commit", pointcheckouttest.DropAfterCommit(), true, nil, true},
		{"malformed JSON", pointcheckouttest.MalformedJSON(), true, nil, true},
		{"dropped before commit", pointcheckouttest.DropConnection(), false, pc.ErrUnavailable, true},
		{"503 from a proxy", pointcheckouttest.StatusCode(503), false, pc.ErrUnavailable, true},
		{"429", pointcheckouttest.StatusCode(429), false, pc.ErrUnavailable, true},
		{"500 envelope", pointcheckouttest.StatusCodeEnvelope(500), false, pc.ErrUnavailable, true},
		{"400 envelope", pointcheckouttest.StatusCodeEnvelope(400), false, pc.ErrBadRequest, false},
		{"short delay", pointcheckouttest.Delay(10 * time.Millisecond), true, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := shoptest.NewGateway(t)
			c := srv.Client(func(cfg *pc.ClientConfig) {
				cfg.Timeout = 300 * time.Millisecond
				cfg.RetryBaseDelay = 20 * time.Millisecond
			})
			srv.InjectFault(pointcheckouttest.EndpointCreate, 1, tt.fault)
			req := validRequest(t, "100", "AED")
			co, err := c.CreateWebCheckout(t.Context(), req)

			assert.Equal(t, 1, shoptest.EndpointRequests(srv, pointcheckouttest.EndpointCreate), "create is never repeated")
			assert.Equal(t, tt.wantLookup, shoptest.EndpointRequests(srv, pointcheckouttest.EndpointFind) > 0)
			if tt.wantCreated {
				require.Eventually(t, func() bool { return len(srv.Checkouts()) == 1 }, 5*time.Second, 5*time.Millisecond)
			} else {
				assert.Empty(t, srv.Checkouts())
			}
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, co)
				return
			}
			require.NoError(t, err)
			snap := srv.Checkouts()[0]
			assert.Equal(t, snap.ID, co.ID)
			assert.Equal(t, req.RequestID, co.RequestID)
			assert.Equal(t, req.Amount, co.Amount)
		})
	}
}

func TestSandboxCreateCallerGivesUp(t *testing.T) {
	// The shopper's request is cancelled while the create hangs: the
	// lookup still runs and reports the checkout that exists.
	srv := shoptest.NewGateway(t)
	c := shoptest.Client(t, srv)
	srv.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.Delay(time.Minute))
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	co, err := c.CreateWebCheckout(ctx, validRequest(t, "100", "AED"))
	require.NoError(t, err)
	require.Len(t, srv.Checkouts(), 1)
	assert.Equal(t, srv.Checkouts()[0].ID, co.ID)
}

// TestSandboxWrongAnswersAreDecodedFaithfully: the client reports what the
// API said; comparing it with the shop's records is the handlers' job.
func TestSandboxWrongAnswersAreDecodedFaithfully(t *testing.T) {
	tests := []struct {
		name  string
		fault pointcheckouttest.Fault
		check func(t *testing.T, truth pointcheckouttest.Checkout, got *pc.Checkout)
	}{
		{"wrong amount", pointcheckouttest.WrongAmount(), func(t *testing.T, truth pointcheckouttest.Checkout, got *pc.Checkout) {
			assert.Equal(t, money(t, "100.01", "AED"), got.Amount)
			assert.NotEqual(t, truth.Amount, got.Amount)
		}},
		{"wrong order id", pointcheckouttest.WrongOrderID(), func(t *testing.T, truth pointcheckouttest.Checkout, got *pc.Checkout) {
			assert.Equal(t, truth.OrderID+"-X", got.OrderID)
		}},
		{"wrong request id", pointcheckouttest.WrongRequestID(), func(t *testing.T, truth pointcheckouttest.Checkout, got *pc.Checkout) {
			assert.Equal(t, truth.RequestID+"-X", got.RequestID)
		}},
		{"wrong checkout id", pointcheckouttest.WrongCheckoutID(), func(t *testing.T, truth pointcheckouttest.Checkout, got *pc.Checkout) {
			assert.NotEqual(t, truth.ID, got.ID)
		}},
		{"wrong currency", pointcheckouttest.WrongCurrency(), func(t *testing.T, _ pointcheckouttest.Checkout, got *pc.Checkout) {
			assert.Equal(t, money(t, "100.00", "USD"), got.Amount)
		}},
	}
	for _, tt := range tests {
		for _, ep := range []pointcheckouttest.Endpoint{pointcheckouttest.EndpointCreate, pointcheckouttest.EndpointGet, pointcheckouttest.EndpointCancel} {
			t.Run(tt.name+"/"+ep.String(), func(t *testing.T) {
				srv := shoptest.NewGateway(t)
				c := shoptest.Client(t, srv)
				ctx := t.Context()
				srv.InjectFault(ep, 1, tt.fault)
				co, err := c.CreateWebCheckout(ctx, validRequest(t, "100", "AED"))
				require.NoError(t, err)
				require.Len(t, srv.Checkouts(), 1)
				truth := srv.Checkouts()[0]
				switch ep {
				case pointcheckouttest.EndpointGet:
					co, err = c.GetCheckout(ctx, truth.ID)
				case pointcheckouttest.EndpointCancel:
					co, err = c.CancelCheckout(ctx, truth.ID)
				}
				require.NoError(t, err)
				tt.check(t, truth, co)
				assert.Equal(t, 1, shoptest.EndpointRequests(srv, ep), "a readable answer is not asked again")
			})
		}
	}

	t.Run("a currency the amount cannot be in reads as no amount", func(t *testing.T) {
		srv := shoptest.NewGateway(t)
		c := shoptest.Client(t, srv)
		co, err := c.CreateWebCheckout(t.Context(), validRequest(t, "12.345", "KWD"))
		require.NoError(t, err)
		srv.InjectFault(pointcheckouttest.EndpointGet, 10, pointcheckouttest.WrongCurrency())
		got, err := c.GetCheckout(t.Context(), co.ID)
		require.NoError(t, err, "an answer, not an outage: nothing to retry")
		assert.False(t, got.Amount.IsValid(), "12.345 USD does not exist")
		assert.Equal(t, co.ID, got.ID)
		assert.Equal(t, 1, shoptest.EndpointRequests(srv, pointcheckouttest.EndpointGet))
	})
	t.Run("a search answering another request id finds nothing", func(t *testing.T) {
		srv := shoptest.NewGateway(t)
		c := shoptest.Client(t, srv)
		co, err := c.CreateWebCheckout(t.Context(), validRequest(t, "100", "AED"))
		require.NoError(t, err)
		srv.InjectFault(pointcheckouttest.EndpointFind, 1, pointcheckouttest.WrongRequestID())
		_, err = c.FindByRequestID(t.Context(), co.RequestID)
		require.ErrorIs(t, err, pc.ErrNotFound)
	})
}

// TestSandboxWritesAreNotRetried: cancel and refund faults surface once.
func TestSandboxWritesAreNotRetried(t *testing.T) {
	faults := []struct {
		name      string
		fault     pointcheckouttest.Fault
		committed bool
	}{
		{"503", pointcheckouttest.StatusCode(503), false},
		{"429 envelope", pointcheckouttest.StatusCodeEnvelope(429), false},
		{"dropped", pointcheckouttest.DropConnection(), false},
		{"dropped after commit", pointcheckouttest.DropAfterCommit(), true},
		{"malformed JSON", pointcheckouttest.MalformedJSON(), true},
		{"delay past the timeout", pointcheckouttest.Delay(time.Minute), true},
	}
	for _, f := range faults {
		for _, ep := range []pointcheckouttest.Endpoint{pointcheckouttest.EndpointCancel, pointcheckouttest.EndpointRefund} {
			t.Run(ep.String()+"/"+f.name, func(t *testing.T) {
				srv := shoptest.NewGateway(t)
				c := srv.Client(func(cfg *pc.ClientConfig) { cfg.Timeout = 200 * time.Millisecond })
				ctx := t.Context()
				co, err := c.CreateWebCheckout(ctx, validRequest(t, "100", "AED"))
				require.NoError(t, err)
				want := pc.StatusCancelled
				if ep == pointcheckouttest.EndpointRefund {
					require.NoError(t, srv.Complete(co.ID, pc.StatusPaid))
					want = pc.StatusRefunded
				}
				srv.InjectFault(ep, 1, f.fault)
				if ep == pointcheckouttest.EndpointCancel {
					_, err = c.CancelCheckout(ctx, co.ID)
				} else {
					_, err = c.RefundCheckout(ctx, co.ID, pc.RefundRequest{Amount: co.Amount, Note: "n"})
				}
				require.ErrorIs(t, err, pc.ErrUnavailable)
				assert.Equal(t, 1, shoptest.EndpointRequests(srv, ep))

				// The truth is one GET away.
				require.Eventually(t, func() bool {
					got, err := c.GetCheckout(ctx, co.ID)
					return err == nil && (got.Status == want) == f.committed
				}, 5*time.Second, 5*time.Millisecond)
			})
		}
	}
}

func TestSandboxKeepsConnectionsAlive(t *testing.T) {
	srv := shoptest.NewGateway(t)
	c := shoptest.Client(t, srv)
	co, err := c.CreateWebCheckout(t.Context(), validRequest(t, "100", "AED"))
	require.NoError(t, err)
	for range 50 {
		_, err := c.GetCheckout(t.Context(), co.ID)
		require.NoError(t, err)
	}
	// Unknown ids answer 400: error answers keep the connection too.
	for range 10 {
		_, err := c.GetCheckout(t.Context(), "1")
		require.ErrorIs(t, err, pc.ErrNotFound)
	}
	assert.EqualValues(t, 1, srv.ConnectionsOpened(), "sequential calls share one connection")

	// Bursts of concurrent reads: with Go's default of 2 idle connections
	// per host most of each burst would dial again; the client's transport
	// keeps them.
	const workers, rounds = 32, 4
	for range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Go(func() {
				_, err := c.GetCheckout(context.Background(), co.ID)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
	opened := srv.ConnectionsOpened()
	t.Logf("%d connections for %d requests in bursts of %d", opened, workers*rounds, workers)
	assert.LessOrEqual(t, opened, int64(2*workers), fmt.Sprintf("%d connections opened", opened))
}
