package pointcheckouttest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// env is the API envelope as a test reads it: Result stays raw so a test
// can check it key by key.
type env struct {
	Success bool            `json:"success"`
	Elapsed *int64          `json:"elapsed"`
	Error   string          `json:"error"`
	Result  json.RawMessage `json:"result"`
}

// co is a checkout in an answer; amounts stay decimal strings.
type co struct {
	ID                string      `json:"id"`
	DisplayID         string      `json:"displayId"`
	CheckoutKey       string      `json:"checkoutKey"`
	RequestID         string      `json:"requestId"`
	OrderID           string      `json:"orderId"`
	Currency          string      `json:"currency"`
	Amount            json.Number `json:"amount"`
	CashAmount        json.Number `json:"cashAmount"`
	Status            string      `json:"status"`
	TotalRefunded     json.Number `json:"totalRefunded"`
	RedirectURL       string      `json:"redirectUrl"`
	UsedPaymentMethod string      `json:"usedPaymentMethod"`
	Timestamp         string      `json:"timestamp"`
	Customer          *struct {
		FirstName string `json:"firstName"`
		Email     string `json:"email"`
	} `json:"customer"`
	BillingAddress *struct {
		City    string `json:"city"`
		Country string `json:"country"`
	} `json:"billingAddress"`
}

type page struct {
	Page          int   `json:"page"`
	Size          int   `json:"size"`
	TotalPages    int   `json:"totalPages"`
	TotalElements int64 `json:"totalElements"`
	Content       []co  `json:"content"`
}

// resp is one raw API exchange.
type resp struct {
	code   int
	header http.Header
	body   []byte
}

func (r resp) env(t *testing.T) env {
	t.Helper()
	var e env
	require.NoError(t, json.Unmarshal(r.body, &e), "body: %s", r.body)
	require.NotNil(t, e.Elapsed, "envelope without elapsed: %s", r.body)
	return e
}

func (r resp) checkout(t *testing.T) co {
	t.Helper()
	e := r.env(t)
	require.True(t, e.Success, "answer %d: %s", r.code, r.body)
	var c co
	require.NoError(t, json.Unmarshal(e.Result, &c))
	return c
}

func (r resp) page(t *testing.T) page {
	t.Helper()
	e := r.env(t)
	require.True(t, e.Success, "answer %d: %s", r.code, r.body)
	var p page
	require.NoError(t, json.Unmarshal(e.Result, &p))
	return p
}

// failure asserts an error envelope with the given HTTP status and returns
// its message.
func (r resp) failure(t *testing.T, code int) string {
	t.Helper()
	require.Equal(t, code, r.code, "body: %s", r.body)
	e := r.env(t)
	require.False(t, e.Success)
	require.NotEmpty(t, e.Error)
	require.Nil(t, e.Result)
	return e.Error
}

// doRaw sends one API request with the server's credentials.
func doRaw(t testing.TB, s *pointcheckouttest.Server, method, path string, body []byte, hdr map[string]string) (resp, error) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.BaseURL()+path, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(pointcheckouttest.PointCheckoutKeyHeader, s.Key)
	req.Header.Set(pointcheckouttest.PointCheckoutSecretHeader, s.Secret)
	// Deletions first, then the values under the exact names given, so a
	// test can send a header name in any case.
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		}
	}
	for k, v := range hdr {
		if v != "" {
			req.Header.Del(k)
			req.Header[k] = []string{v}
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, err
	}
	return resp{code: res.StatusCode, header: res.Header, body: b}, nil
}

func do(t *testing.T, s *pointcheckouttest.Server, method, path string, body []byte) resp {
	t.Helper()
	r, err := doRaw(t, s, method, path, body, nil)
	require.NoError(t, err)
	return r
}

// request returns a valid create-web-checkout body as a map a test can
// change before sending.
func request(reqID string) map[string]any {
	return map[string]any{
		"requestId": reqID,
		"orderId":   "ORD-1",
		"currency":  "AED",
		"amount":    json.Number("100.00"),
		"items": []any{
			map[string]any{"name": "Sunglasses", "sku": "SG-1", "unitprice": json.Number("50.00"), "quantity": 2, "linetotal": json.Number("100.00")},
		},
		"customer":       map[string]any{"firstName": "Test", "lastName": "User", "email": "test@example.com"},
		"billingAddress": map[string]any{"name": "Test User", "address1": "1 Main St", "city": "Dubai", "country": "AE"},
		"returnUrl":      "https://shop.example.com/pay/return?order=ORD-1&t=abc",
	}
}

func jsonBody(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// create makes a checkout and returns it.
func create(t *testing.T, s *pointcheckouttest.Server, reqID string, edit func(map[string]any)) co {
	t.Helper()
	m := request(reqID)
	if edit != nil {
		edit(m)
	}
	r := do(t, s, http.MethodPost, "checkout/web", jsonBody(t, m))
	require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
	return r.checkout(t)
}

func get(t *testing.T, s *pointcheckouttest.Server, id string) co {
	t.Helper()
	return do(t, s, http.MethodGet, "checkout/"+url.PathEscape(id), nil).checkout(t)
}

func contains(t *testing.T, s, sub string) {
	t.Helper()
	require.True(t, strings.Contains(s, sub), "%q does not contain %q", s, sub)
}
