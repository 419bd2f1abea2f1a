package pointcheckouttest_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

func newServer(t *testing.T, opts ...pointcheckouttest.Option) (*pointcheckouttest.Server, *pointcheckouttest.Clock) {
	t.Helper()
	clock := pointcheckouttest.NewClock(time.Time{})
	s := pointcheckouttest.NewServer(append([]pointcheckouttest.Option{pointcheckouttest.WithClock(clock.Now)}, opts...)...)
	t.Cleanup(s.Close)
	return s, clock
}

func TestCreateAnswersLikeTheAPI(t *testing.T) {
	s, clock := newServer(t)
	r := do(t, s, http.MethodPost, "checkout/web", jsonBody(t, request("R-1")))
	require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))

	var keys map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.body, &keys))
	assert.ElementsMatch(t, []string{"success", "elapsed", "result"}, mapKeys(keys))

	c := r.checkout(t)
	assert.Regexp(t, `^[1-9][0-9]{18}$`, c.ID)
	assert.Regexp(t, `^[A-Z0-9]{6}$`, c.DisplayID)
	assert.Regexp(t, `^[0-9a-f]{48}$`, c.CheckoutKey)
	assert.Equal(t, "R-1", c.RequestID)
	assert.Equal(t, "ORD-1", c.OrderID)
	assert.Equal(t, "AED", c.Currency)
	assert.Equal(t, "100.00", c.Amount.String())
	assert.Equal(t, "0.00", c.CashAmount.String())
	assert.Equal(t, "0.00", c.TotalRefunded.String())
	assert.Equal(t, "PENDING", c.Status)
	assert.Equal(t, s.URL+"/checkout/"+c.CheckoutKey, c.RedirectURL)
	assert.Empty(t, c.UsedPaymentMethod)
	ts, err := time.Parse(time.RFC3339Nano, c.Timestamp)
	require.NoError(t, err)
	assert.True(t, ts.Equal(clock.Now()), "timestamp %s, clock %s", ts, clock.Now())
	require.NotNil(t, c.Customer)
	assert.Equal(t, "test@example.com", c.Customer.Email)
	require.NotNil(t, c.BillingAddress)
	assert.Equal(t, "Dubai", c.BillingAddress.City)

	snap, ok := s.Checkout(c.ID)
	require.True(t, ok)
	assert.Equal(t, pointcheckout.StatusPending, snap.Status)
	assert.Equal(t, int64(10000), snap.Amount.Minor())
	assert.Equal(t, "https://shop.example.com/pay/return?order=ORD-1&t=abc", snap.ReturnURL)
	assert.Equal(t, clock.Now().Add(pointcheckouttest.DefaultTTL), snap.ExpiresAt)
	assert.JSONEq(t, string(jsonBody(t, request("R-1"))), string(snap.RequestBody))
}

func mapKeys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestCreateValidation(t *testing.T) {
	item := func(m map[string]any) map[string]any { return m["items"].([]any)[0].(map[string]any) }
	sub := func(m map[string]any, k string) map[string]any { return m[k].(map[string]any) }
	tests := []struct {
		name  string
		edit  func(m map[string]any)
		field string // a word the error must name; "" = accepted
	}{
		{"valid", func(map[string]any) {}, ""},
		{"missing requestId", func(m map[string]any) { delete(m, "requestId") }, "requestId"},
		{"requestId spelled requestID", func(m map[string]any) { m["requestID"] = m["requestId"]; delete(m, "requestId") }, "requestId"},
		{"blank orderId", func(m map[string]any) { m["orderId"] = "  " }, "orderId"},
		{"null orderId", func(m map[string]any) { m["orderId"] = nil }, "orderId"},
		{"numeric orderId", func(m map[string]any) { m["orderId"] = 12 }, "orderId"},
		{"missing currency", func(m map[string]any) { delete(m, "currency") }, "currency"},
		{"unknown currency", func(m map[string]any) { m["currency"] = "XYZ" }, "currency"},
		{"lower-case currency", func(m map[string]any) { m["currency"] = "aed" }, "currency"},
		{"missing amount", func(m map[string]any) { delete(m, "amount") }, "amount"},
		{"zero amount", func(m map[string]any) { m["amount"] = 0; item(m)["linetotal"] = 0; delete(item(m), "unitprice") }, "amount"},
		{"negative amount", func(m map[string]any) { m["amount"] = json.Number("-1") }, "amount"},
		{"amount as string", func(m map[string]any) { m["amount"] = "100.00" }, ""},
		{"amounts as strings everywhere", func(m map[string]any) {
			m["amount"], item(m)["linetotal"], item(m)["unitprice"], item(m)["quantity"] = "100.00", "100.00", "50.00", "2"
			m["totals"] = map[string]any{"subtotal": "100.00", "tax": "0", "shipping": 0}
		}, ""},
		{"amount as string too exact", func(m map[string]any) { m["amount"] = "100.001" }, "amount"},
		{"amount as string with a zero past AED digits", func(m map[string]any) { m["amount"] = "100.000" }, "amount"},
		{"amount as a word", func(m map[string]any) { m["amount"] = "ten" }, "amount"},
		{"amount as string with a space", func(m map[string]any) { m["amount"] = " 100.00" }, "amount"},
		{"amount as empty string", func(m map[string]any) { m["amount"] = "" }, "amount"},
		{"amount as negative string", func(m map[string]any) { m["amount"] = "-100.00" }, "amount"},
		{"amount as an object", func(m map[string]any) { m["amount"] = map[string]any{"value": 100} }, "amount"},
		{"linetotal as string too exact", func(m map[string]any) { item(m)["linetotal"] = "1.005" }, "items[0].linetotal"},
		{"quantity as a word", func(m map[string]any) { item(m)["quantity"] = "two" }, "items[0].quantity"},
		{"null optional fields", func(m map[string]any) {
			for _, k := range []string{"totals", "deliveryAddress", "branchId", "allowedPaymentMethods", "defaultPaymentMethod", "language"} {
				m[k] = nil
			}
			item(m)["sku"], item(m)["unitprice"] = nil, nil
			sub(m, "customer")["id"], sub(m, "customer")["reference"], sub(m, "customer")["phone"] = nil, nil, nil
			sub(m, "billingAddress")["address2"], sub(m, "billingAddress")["state"], sub(m, "billingAddress")["zip"] = nil, nil, nil
		}, ""},
		{"null required field", func(m map[string]any) { m["returnUrl"] = nil }, "returnUrl"},
		{"null customer name", func(m map[string]any) { sub(m, "customer")["firstName"] = nil }, "customer.firstName"},
		{"customer reference", func(m map[string]any) { sub(m, "customer")["reference"] = "CUST-7" }, ""},
		{"customer reference not a string", func(m map[string]any) { sub(m, "customer")["reference"] = 7 }, "customer.reference"},
		{"branchId as string", func(m map[string]any) { m["branchId"] = "42" }, ""},
		{"branchId as a word", func(m map[string]any) { m["branchId"] = "main" }, "branchId"},
		{"three decimals in AED", func(m map[string]any) { m["amount"] = json.Number("100.001") }, "amount"},
		{"trailing zero past AED digits", func(m map[string]any) { m["amount"] = json.Number("100.000") }, "amount"},
		{"exact KWD", func(m map[string]any) {
			m["currency"], m["amount"] = "KWD", json.Number("12.345")
			item(m)["linetotal"], item(m)["unitprice"] = json.Number("12.345"), json.Number("6.1725")
		}, "unitprice"},
		{"KWD with four decimals", func(m map[string]any) { m["currency"], m["amount"] = "KWD", json.Number("12.3456") }, "amount"},
		{"JPY with decimals", func(m map[string]any) { m["currency"], m["amount"] = "JPY", json.Number("500.5") }, "amount"},
		{"missing items", func(m map[string]any) { delete(m, "items") }, "items"},
		{"empty items", func(m map[string]any) { m["items"] = []any{} }, "items"},
		{"item not an object", func(m map[string]any) { m["items"] = []any{"x"} }, "items[0]"},
		{"item without name", func(m map[string]any) { delete(item(m), "name") }, "items[0].name"},
		{"item quantity 0", func(m map[string]any) { item(m)["quantity"] = 0 }, "items[0].quantity"},
		{"item without quantity", func(m map[string]any) { delete(item(m), "quantity") }, "items[0].quantity"},
		{"item without linetotal", func(m map[string]any) { delete(item(m), "linetotal") }, "items[0].linetotal"},
		{"linetotal too exact", func(m map[string]any) { item(m)["linetotal"] = json.Number("1.005") }, "items[0].linetotal"},
		{"linetotal spelled lineTotal", func(m map[string]any) { item(m)["lineTotal"] = item(m)["linetotal"]; delete(item(m), "linetotal") }, "items[0].linetotal"},
		{"missing customer", func(m map[string]any) { delete(m, "customer") }, "customer"},
		{"customer without email", func(m map[string]any) { delete(sub(m, "customer"), "email") }, "customer.email"},
		{"customer bad email", func(m map[string]any) { sub(m, "customer")["email"] = "nobody" }, "customer.email"},
		{"customer without lastName", func(m map[string]any) { delete(sub(m, "customer"), "lastName") }, "customer.lastName"},
		{"missing billingAddress", func(m map[string]any) { delete(m, "billingAddress") }, "billingAddress"},
		{"billing without city", func(m map[string]any) { delete(sub(m, "billingAddress"), "city") }, "billingAddress.city"},
		{"billing without address1", func(m map[string]any) { delete(sub(m, "billingAddress"), "address1") }, "billingAddress.address1"},
		{"billing country spelled out", func(m map[string]any) { sub(m, "billingAddress")["country"] = "United Arab Emirates" }, "billingAddress.country"},
		{"delivery address incomplete", func(m map[string]any) { m["deliveryAddress"] = map[string]any{"name": "x"} }, "deliveryAddress.address1"},
		{"missing returnUrl", func(m map[string]any) { delete(m, "returnUrl") }, "returnUrl"},
		{"relative returnUrl", func(m map[string]any) { m["returnUrl"] = "/pay/return" }, "returnUrl"},
		{"javascript returnUrl", func(m map[string]any) { m["returnUrl"] = "javascript:alert(1)" }, "returnUrl"},
		{"language too long", func(m map[string]any) { m["language"] = "english" }, "language"},
		{"unknown payment method", func(m map[string]any) { m["allowedPaymentMethods"] = []string{"CASH"} }, "allowedPaymentMethods"},
		{"known payment methods", func(m map[string]any) {
			m["allowedPaymentMethods"], m["defaultPaymentMethod"], m["language"], m["branchId"] = []string{"CARD", "POINTCHECKOUT"}, "CARD", "EN", 42
		}, ""},
		{"negative branchId", func(m map[string]any) { m["branchId"] = -1 }, "branchId"},
		{"consistent totals", func(m map[string]any) {
			m["amount"] = json.Number("108.00")
			m["totals"] = map[string]any{"subtotal": json.Number("100.00"), "tax": json.Number("5.00"), "shipping": json.Number("3.00")}
		}, ""},
		{"totals not adding up", func(m map[string]any) {
			m["totals"] = map[string]any{"subtotal": json.Number("100.00"), "tax": json.Number("5.00")}
		}, "amount"},
		{"subtotal not the items' sum", func(m map[string]any) {
			m["amount"] = json.Number("90.00")
			m["totals"] = map[string]any{"subtotal": json.Number("90.00"), "tax": json.Number("0")}
		}, "totals.subtotal"},
		{"inconsistent totals with skipTotalsValidation", func(m map[string]any) {
			m["totals"] = map[string]any{"subtotal": json.Number("1.00"), "tax": json.Number("0"), "skipTotalsValidation": true}
		}, ""},
		{"totals without tax", func(m map[string]any) { m["totals"] = map[string]any{"subtotal": json.Number("100.00")} }, "totals.tax"},
		{"many problems at once", func(m map[string]any) { delete(m, "orderId"); delete(m, "returnUrl") }, "orderId is required; returnUrl"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t)
			m := request("R-" + tc.name)
			tc.edit(m)
			r := do(t, s, http.MethodPost, "checkout/web", jsonBody(t, m))
			if tc.field == "" {
				assert.Equal(t, "PENDING", r.checkout(t).Status)
				assert.Len(t, s.Checkouts(), 1)
				return
			}
			contains(t, r.failure(t, http.StatusBadRequest), tc.field)
			assert.Empty(t, s.Checkouts(), "a refused request must create nothing")
		})
	}
}

func TestCreateRefusesMalformedBodies(t *testing.T) {
	tests := []struct {
		name, body, contentType string
	}{
		{"not JSON", "requestId=1", "application/json"},
		{"JSON array", "[]", "application/json"},
		{"two objects", `{"a":1}{"b":2}`, "application/json"},
		{"empty", "", "application/json"},
		{"form content type", string(jsonBody(t, request("R"))), "application/x-www-form-urlencoded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t)
			r, err := doRaw(t, s, http.MethodPost, "checkout/web", []byte(tc.body), map[string]string{"Content-Type": tc.contentType})
			require.NoError(t, err)
			r.failure(t, http.StatusBadRequest)
			assert.Empty(t, s.Checkouts())
		})
	}
}

func TestCreateAcceptsCharsetInContentType(t *testing.T) {
	s, _ := newServer(t)
	r, err := doRaw(t, s, http.MethodPost, "checkout/web", jsonBody(t, request("R")), map[string]string{"Content-Type": "application/json; charset=utf-8"})
	require.NoError(t, err)
	assert.Equal(t, "PENDING", r.checkout(t).Status)
}

func TestDuplicateRequestID(t *testing.T) {
	s, _ := newServer(t)
	first := create(t, s, "R-1", nil)
	r := do(t, s, http.MethodPost, "checkout/web", jsonBody(t, request("R-1")))
	contains(t, r.failure(t, http.StatusBadRequest), "requestId")

	// A failed attempt's requestId stays used; the order id may repeat.
	require.NoError(t, s.Complete(first.ID, pointcheckout.StatusFailed))
	do(t, s, http.MethodPost, "checkout/web", jsonBody(t, request("R-1"))).failure(t, http.StatusBadRequest)
	second := create(t, s, "R-2", nil)
	assert.Equal(t, first.OrderID, second.OrderID)
	assert.NotEqual(t, first.ID, second.ID)
	assert.Len(t, s.Checkouts(), 2)
}

func TestAuthentication(t *testing.T) {
	pc := map[string]string{}
	tests := []struct {
		name     string
		opts     []pointcheckouttest.Option
		hdr      func(s *pointcheckouttest.Server) map[string]string
		accepted bool
	}{
		{"spec headers", nil, func(*pointcheckouttest.Server) map[string]string { return pc }, true},
		{"header names in lower case", nil, func(s *pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-PointCheckout-Api-Key": "", "X-PointCheckout-Api-Secret": "", "x-pointcheckout-api-key": s.Key, "x-pointcheckout-api-secret": s.Secret}
		}, true},
		{"no credentials", nil, func(*pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-PointCheckout-Api-Key": "", "X-PointCheckout-Api-Secret": ""}
		}, false},
		{"no secret", nil, func(*pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-PointCheckout-Api-Secret": ""}
		}, false},
		{"wrong key", nil, func(*pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-PointCheckout-Api-Key": "nope"}
		}, false},
		{"wrong secret", nil, func(*pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-PointCheckout-Api-Secret": "nope"}
		}, false},
		{"key and secret swapped", nil, func(s *pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-PointCheckout-Api-Key": s.Secret, "X-PointCheckout-Api-Secret": s.Key}
		}, false},
		{"guide's header words", nil, func(s *pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-PointCheckout-Api-Key": "", "X-PointCheckout-Api-Secret": "", "X-POINTCHECKOUT-KEY": s.Key, "X-POINTCHECKOUT-SECRET": s.Secret}
		}, false},
		{"paymennt headers on a PointCheckout server", nil, func(s *pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-PointCheckout-Api-Key": "", "X-PointCheckout-Api-Secret": "", "X-Paymennt-Api-Key": s.Key, "X-Paymennt-Api-Secret": s.Secret}
		}, false},
		{"paymennt headers on a paymennt server", []pointcheckouttest.Option{pointcheckouttest.WithPaymenntHeaders()}, func(s *pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-PointCheckout-Api-Key": "", "X-PointCheckout-Api-Secret": "", "X-Paymennt-Api-Key": s.Key, "X-Paymennt-Api-Secret": s.Secret}
		}, true},
		{"PointCheckout headers on a paymennt server, as the PHP SDK sends them", []pointcheckouttest.Option{pointcheckouttest.WithPaymenntHeaders()}, func(*pointcheckouttest.Server) map[string]string { return pc }, true},
		{"both pairs on a PointCheckout server", nil, func(s *pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-Paymennt-Api-Key": s.Key, "X-Paymennt-Api-Secret": s.Secret}
		}, true},
		{"both pairs on a paymennt server", []pointcheckouttest.Option{pointcheckouttest.WithPaymenntHeaders()}, func(s *pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-Paymennt-Api-Key": s.Key, "X-Paymennt-Api-Secret": s.Secret}
		}, true},
		{"a wrong paymennt pair is ignored on a PointCheckout server", nil, func(*pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-Paymennt-Api-Key": "nope", "X-Paymennt-Api-Secret": "nope"}
		}, true},
		{"a wrong paymennt pair beside a right PointCheckout pair on a paymennt server", []pointcheckouttest.Option{pointcheckouttest.WithPaymenntHeaders()}, func(s *pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-Paymennt-Api-Key": s.Key, "X-Paymennt-Api-Secret": "nope"}
		}, false},
		{"a wrong PointCheckout pair beside a right paymennt pair on a paymennt server", []pointcheckouttest.Option{pointcheckouttest.WithPaymenntHeaders()}, func(s *pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-PointCheckout-Api-Secret": "nope", "X-Paymennt-Api-Key": s.Key, "X-Paymennt-Api-Secret": s.Secret}
		}, false},
		{"no credentials on a paymennt server", []pointcheckouttest.Option{pointcheckouttest.WithPaymenntHeaders()}, func(*pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-PointCheckout-Api-Key": "", "X-PointCheckout-Api-Secret": ""}
		}, false},
		{"paymennt key with PointCheckout secret on a paymennt server", []pointcheckouttest.Option{pointcheckouttest.WithPaymenntHeaders()}, func(s *pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-PointCheckout-Api-Key": "", "X-Paymennt-Api-Key": s.Key}
		}, false},
		{"fixed credentials", []pointcheckouttest.Option{pointcheckouttest.WithCredentials("k1", "s1")}, func(*pointcheckouttest.Server) map[string]string {
			return map[string]string{"X-PointCheckout-Api-Key": "k1", "X-PointCheckout-Api-Secret": "s1"}
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t, tc.opts...)
			for _, op := range []struct{ method, path string }{
				{http.MethodPost, "checkout/web"}, {http.MethodGet, "checkout/1"}, {http.MethodGet, "checkout?requestId=R"},
				{http.MethodPost, "checkout/1/cancel"}, {http.MethodPost, "checkout/1/refund?amount=1&currency=AED&note=x"},
			} {
				r, err := doRaw(t, s, op.method, op.path, jsonBody(t, request("R-"+op.path)), tc.hdr(s))
				require.NoError(t, err)
				if tc.accepted {
					assert.NotEqual(t, http.StatusUnauthorized, r.code, "%s %s: %s", op.method, op.path, r.body)
					continue
				}
				msg := r.failure(t, http.StatusUnauthorized)
				assert.NotContains(t, string(r.body), s.Secret)
				assert.NotContains(t, msg, s.Key)
			}
			if !tc.accepted {
				assert.Empty(t, s.Checkouts())
			}
		})
	}
}

func TestCredentialsAreRandomPerServer(t *testing.T) {
	a, _ := newServer(t)
	b, _ := newServer(t)
	assert.NotEqual(t, a.Secret, b.Secret)
	assert.NotEqual(t, a.Key, b.Key)
	assert.NotEqual(t, a.URL, b.URL)
	assert.GreaterOrEqual(t, len(a.Secret), 32)
}

func TestGetCheckout(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", nil)
	got := get(t, s, c.ID)
	assert.Equal(t, c, got)

	for _, id := range []string{"1234567890123456789", "nope", "web"} {
		msg := do(t, s, http.MethodGet, "checkout/"+id, nil).failure(t, http.StatusBadRequest)
		assert.Equal(t, "Checkout not found for API merchant", msg)
	}
}

func TestUnknownAPIPath(t *testing.T) {
	s, _ := newServer(t)
	do(t, s, http.MethodGet, "subscription", nil).failure(t, http.StatusNotFound)
	reqs := s.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, pointcheckouttest.EndpointOther, reqs[0].Endpoint)
}

func TestFindCheckouts(t *testing.T) {
	s, _ := newServer(t)
	var ids []string
	for i, r := range []string{"A-1", "A-2", "A-3"} {
		c := create(t, s, r, func(m map[string]any) {
			if i == 2 {
				m["orderId"] = "ORD-2"
			}
		})
		ids = append(ids, c.ID)
	}
	require.NoError(t, s.Complete(ids[1], pointcheckout.StatusPaid))

	p := do(t, s, http.MethodGet, "checkout?requestId=A-2", nil).page(t)
	require.Len(t, p.Content, 1)
	assert.Equal(t, ids[1], p.Content[0].ID)
	assert.Equal(t, "PAID", p.Content[0].Status)
	assert.Equal(t, 0, p.Page)
	assert.Equal(t, 20, p.Size)
	assert.Equal(t, int64(1), p.TotalElements)
	assert.Equal(t, 1, p.TotalPages)

	p = do(t, s, http.MethodGet, "checkout?orderId=ORD-1", nil).page(t)
	require.Len(t, p.Content, 2)
	assert.Equal(t, []string{ids[1], ids[0]}, []string{p.Content[0].ID, p.Content[1].ID}, "newest first")

	p = do(t, s, http.MethodGet, "checkout?orderId=ORD-1&status=PENDING", nil).page(t)
	require.Len(t, p.Content, 1)
	assert.Equal(t, ids[0], p.Content[0].ID)

	for _, q := range []string{"status=PENDING,PAID", "status=PENDING&status=PAID", "status=PAID,&status=PENDING"} {
		p = do(t, s, http.MethodGet, "checkout?orderId=ORD-1&"+q, nil).page(t)
		assert.Len(t, p.Content, 2, q)
	}

	p = do(t, s, http.MethodGet, "checkout?requestId=nope", nil).page(t)
	assert.Empty(t, p.Content)
	assert.NotNil(t, p.Content)
	assert.Equal(t, int64(0), p.TotalElements)
	contains(t, string(do(t, s, http.MethodGet, "checkout?requestId=nope", nil).body), `"content":[]`)

	p = do(t, s, http.MethodGet, "checkout?size=2&page=1", nil).page(t)
	assert.Equal(t, int64(3), p.TotalElements)
	assert.Equal(t, 2, p.TotalPages)
	require.Len(t, p.Content, 1)
	assert.Equal(t, ids[0], p.Content[0].ID)

	p = do(t, s, http.MethodGet, "checkout?size=2&page=5", nil).page(t)
	assert.Empty(t, p.Content)

	p = do(t, s, http.MethodGet, "checkout?type=QR", nil).page(t)
	assert.Empty(t, p.Content)

	for _, q := range []string{"size=0", "size=x", "page=-1", "status=SOLD", "type=BOGUS"} {
		do(t, s, http.MethodGet, "checkout?"+q, nil).failure(t, http.StatusBadRequest)
	}
	assert.Equal(t, "page size parameter must be a positive integer",
		do(t, s, http.MethodGet, "checkout?size=0", nil).failure(t, http.StatusBadRequest))
}

func TestCancel(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", nil)
	r := do(t, s, http.MethodPost, "checkout/"+c.ID+"/cancel", nil).checkout(t)
	assert.Equal(t, "CANCELLED", r.Status)
	assert.Equal(t, "CANCELLED", get(t, s, c.ID).Status)
	contains(t, do(t, s, http.MethodPost, "checkout/"+c.ID+"/cancel", nil).failure(t, http.StatusBadRequest), "CANCELLED")

	a := create(t, s, "R-2", nil)
	require.NoError(t, s.Complete(a.ID, pointcheckout.StatusAuthorized))
	assert.Equal(t, "CANCELLED", do(t, s, http.MethodPost, "checkout/"+a.ID+"/cancel", nil).checkout(t).Status)

	for _, st := range []pointcheckout.Status{pointcheckout.StatusPaid, pointcheckout.StatusFailed, pointcheckout.StatusExpired, pointcheckout.StatusRefunded} {
		p := create(t, s, "R-"+string(st), nil)
		require.NoError(t, s.Complete(p.ID, st))
		do(t, s, http.MethodPost, "checkout/"+p.ID+"/cancel", nil).failure(t, http.StatusBadRequest)
		assert.Equal(t, string(st), get(t, s, p.ID).Status)
	}
	assert.Equal(t, "Checkout not found for API merchant", do(t, s, http.MethodPost, "checkout/1/cancel", nil).failure(t, http.StatusBadRequest))
}

func TestRefund(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", nil)
	path := "checkout/" + c.ID + "/refund?"

	contains(t, do(t, s, http.MethodPost, path+"amount=10&currency=AED&note=x", nil).failure(t, http.StatusBadRequest), "PENDING")
	require.NoError(t, s.Complete(c.ID, pointcheckout.StatusPaid))

	bad := []struct{ query, word string }{
		{"currency=AED&note=x", "amount"},
		{"amount=10&note=x", "currency"},
		{"amount=10&currency=AED", "note"},
		{"amount=10&currency=USD&note=x", "currency"},
		{"amount=10&currency=XYZ&note=x", "currency"},
		{"amount=0&currency=AED&note=x", "amount"},
		{"amount=-5&currency=AED&note=x", "amount"},
		{"amount=1.001&currency=AED&note=x", "amount"},
		{"amount=ten&currency=AED&note=x", "amount"},
		{"amount=100.01&currency=AED&note=x", "exceeds"},
	}
	for _, b := range bad {
		contains(t, do(t, s, http.MethodPost, path+b.query, nil).failure(t, http.StatusBadRequest), b.word)
	}
	assert.Equal(t, "PAID", get(t, s, c.ID).Status, "refused refunds change nothing")

	r := do(t, s, http.MethodPost, path+"amount=40.10&currency=AED&note=Out+of+stock&referenceId=RF-1", nil).checkout(t)
	assert.Equal(t, "PARTIALLY_REFUNDED", r.Status)
	assert.Equal(t, "40.10", r.TotalRefunded.String())
	assert.Equal(t, "100.00", r.Amount.String())

	contains(t, do(t, s, http.MethodPost, path+"amount=59.91&currency=AED&note=x", nil).failure(t, http.StatusBadRequest), "exceeds")
	r = do(t, s, http.MethodPost, path+"amount=59.90&currency=AED&note=rest", nil).checkout(t)
	assert.Equal(t, "REFUNDED", r.Status)
	assert.Equal(t, "100.00", r.TotalRefunded.String())
	do(t, s, http.MethodPost, path+"amount=0.01&currency=AED&note=x", nil).failure(t, http.StatusBadRequest)

	snap, _ := s.Checkout(c.ID)
	require.Len(t, snap.Refunds, 2)
	assert.Equal(t, int64(4010), snap.Refunds[0].Amount.Minor())
	assert.Equal(t, "Out of stock", snap.Refunds[0].Note)
	assert.Equal(t, "RF-1", snap.Refunds[0].ReferenceID)
	assert.Equal(t, int64(10000), snap.TotalRefunded.Minor())

	do(t, s, http.MethodPost, "checkout/1/refund?amount=1&currency=AED&note=x", nil).failure(t, http.StatusBadRequest)
}

func TestRefundIsExactInThreeDigitCurrencies(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", func(m map[string]any) {
		m["currency"], m["amount"] = "KWD", json.Number("0.003")
		m["items"] = []any{map[string]any{"name": "x", "quantity": 1, "linetotal": json.Number("0.003")}}
	})
	require.NoError(t, s.Complete(c.ID, pointcheckout.StatusPaid))
	for i, want := range []string{"0.001", "0.002", "0.003"} {
		r := do(t, s, http.MethodPost, "checkout/"+c.ID+"/refund?amount=0.001&currency=KWD&note=n", nil).checkout(t)
		assert.Equal(t, want, r.TotalRefunded.String())
		if i < 2 {
			assert.Equal(t, "PARTIALLY_REFUNDED", r.Status)
		} else {
			assert.Equal(t, "REFUNDED", r.Status)
		}
	}
}

func TestEnumStatusSpelling(t *testing.T) {
	s, _ := newServer(t, pointcheckouttest.WithEnumStatusSpelling())
	c := create(t, s, "R-1", nil)
	assert.Equal(t, "Pending", c.Status)
	require.NoError(t, s.Complete(c.ID, pointcheckout.StatusPaid))
	got := get(t, s, c.ID)
	assert.Equal(t, "Paid", got.Status)
	assert.Equal(t, "Card", got.UsedPaymentMethod)
	r := do(t, s, http.MethodPost, "checkout/"+c.ID+"/refund?amount=1&currency=AED&note=x", nil).checkout(t)
	assert.Equal(t, "Partially refunded", r.Status)
	assert.Equal(t, pointcheckout.StatusPartiallyRefunded, pointcheckout.ParseStatus(r.Status))

	u, _ := newServer(t)
	c = create(t, u, "R-1", nil)
	require.NoError(t, u.Complete(c.ID, pointcheckout.StatusPaid))
	assert.Equal(t, "CARD", get(t, u, c.ID).UsedPaymentMethod)
}

func TestExpiryOnTheServerClock(t *testing.T) {
	s, clock := newServer(t, pointcheckouttest.WithTTL(10*time.Minute))
	c := create(t, s, "R-1", nil)
	paid := create(t, s, "R-2", nil)
	require.NoError(t, s.Complete(paid.ID, pointcheckout.StatusPaid))

	clock.Advance(10*time.Minute - time.Second)
	assert.Equal(t, "PENDING", get(t, s, c.ID).Status)
	clock.Advance(time.Second)
	assert.Equal(t, "EXPIRED", get(t, s, c.ID).Status)
	assert.Equal(t, "PAID", get(t, s, paid.ID).Status, "only unpaid checkouts expire")

	do(t, s, http.MethodPost, "checkout/"+c.ID+"/cancel", nil).failure(t, http.StatusBadRequest)
	snap, _ := s.Checkout(c.ID)
	assert.Equal(t, pointcheckout.StatusExpired, snap.Status)
	assert.Equal(t, snap.ExpiresAt, snap.Updated)
}

func TestExpiryIsSeenByEveryRead(t *testing.T) {
	reads := map[string]func(t *testing.T, s *pointcheckouttest.Server, c co) string{
		"get": func(t *testing.T, s *pointcheckouttest.Server, c co) string { return get(t, s, c.ID).Status },
		"find": func(t *testing.T, s *pointcheckouttest.Server, c co) string {
			p := do(t, s, http.MethodGet, "checkout?requestId="+c.RequestID, nil).page(t)
			require.Len(t, p.Content, 1)
			return p.Content[0].Status
		},
		"snapshot": func(_ *testing.T, s *pointcheckouttest.Server, c co) string {
			snap, _ := s.Checkout(c.ID)
			return string(snap.Status)
		},
		"snapshots": func(_ *testing.T, s *pointcheckouttest.Server, _ co) string { return string(s.Checkouts()[0].Status) },
	}
	for name, read := range reads {
		t.Run(name, func(t *testing.T) {
			s, clock := newServer(t)
			c := create(t, s, "R-1", nil)
			assert.Equal(t, "PENDING", read(t, s, c))
			clock.Advance(pointcheckouttest.DefaultTTL)
			assert.Equal(t, "EXPIRED", read(t, s, c))
		})
	}
}

func TestComplete(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", nil)
	for _, st := range []pointcheckout.Status{
		pointcheckout.StatusPendingConfirmation, pointcheckout.StatusAuthorized, pointcheckout.StatusPaid,
		pointcheckout.StatusPartiallyRefunded, pointcheckout.StatusRefunded, pointcheckout.StatusChargeback,
		pointcheckout.StatusFailed, pointcheckout.StatusCancelled, pointcheckout.StatusExpired, pointcheckout.StatusPending,
	} {
		require.NoError(t, s.Complete(c.ID, st))
		assert.Equal(t, string(st), get(t, s, c.ID).Status)
	}
	require.NoError(t, s.Complete(c.ID, pointcheckout.StatusRefunded))
	assert.Equal(t, "100.00", get(t, s, c.ID).TotalRefunded.String())

	assert.ErrorIs(t, s.Complete("nope", pointcheckout.StatusPaid), pointcheckouttest.ErrUnknownCheckout)
	assert.Error(t, s.Complete(c.ID, pointcheckout.StatusUnknown))
	assert.Error(t, s.Complete(c.ID, "SOLD"))
	assert.Equal(t, "REFUNDED", get(t, s, c.ID).Status)
}

func TestRequestLog(t *testing.T) {
	s, _ := newServer(t)
	body := jsonBody(t, request("R-1"))
	c := do(t, s, http.MethodPost, "checkout/web", body).checkout(t)
	get(t, s, c.ID)
	do(t, s, http.MethodGet, "checkout?requestId=R-1", nil)

	reqs := s.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, pointcheckouttest.EndpointCreate, reqs[0].Endpoint)
	assert.Equal(t, http.MethodPost, reqs[0].Method)
	assert.Equal(t, "/mer/v2.0/checkout/web", reqs[0].Path)
	assert.Equal(t, body, reqs[0].Body)
	assert.Equal(t, s.Key, reqs[0].Header.Get(pointcheckouttest.PointCheckoutKeyHeader))
	assert.Equal(t, "REDACTED", reqs[0].Header.Get(pointcheckouttest.PointCheckoutSecretHeader))
	assert.Equal(t, pointcheckouttest.EndpointGet, reqs[1].Endpoint)
	assert.Equal(t, pointcheckouttest.EndpointFind, reqs[2].Endpoint)
	assert.Equal(t, "R-1", reqs[2].Query.Get("requestId"))
	for _, r := range reqs {
		for _, vs := range r.Header {
			for _, v := range vs {
				assert.NotContains(t, v, s.Secret)
			}
		}
	}

	reqs[0].Header.Set("X-Changed", "1")
	assert.Empty(t, s.Requests()[0].Header.Get("X-Changed"), "the log hands out copies")

	s.ResetRequests()
	assert.Empty(t, s.Requests())
	assert.Len(t, s.Checkouts(), 1)
	s.Reset()
	assert.Empty(t, s.Checkouts())
	do(t, s, http.MethodGet, "checkout/"+c.ID, nil).failure(t, http.StatusBadRequest)
}

func TestEnvironmentDescribesTheServer(t *testing.T) {
	s, _ := newServer(t)
	env := s.Environment()
	assert.Equal(t, s.URL+"/mer/v2.0/", env.BaseURL)
	assert.Equal(t, s.BaseURL(), env.BaseURL)
	assert.Equal(t, "X-PointCheckout-Api-Key", env.KeyHeader)
	assert.Equal(t, "X-PointCheckout-Api-Secret", env.SecretHeader)
	assert.Equal(t, []string{strings.TrimPrefix(s.URL, "http://")}, env.PaymentHosts)
	assert.False(t, env.Live)

	p, _ := newServer(t, pointcheckouttest.WithPaymenntHeaders())
	assert.Equal(t, "X-Paymennt-Api-Key", p.Environment().KeyHeader)
	assert.Equal(t, "X-Paymennt-Api-Secret", p.Environment().SecretHeader)
}

func TestStart(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "10.0.0.1:8089", ":0", "example.com:80", "nonsense"} {
		_, err := pointcheckouttest.Start(addr)
		assert.Error(t, err, addr)
	}
	s, err := pointcheckouttest.Start("localhost:0", pointcheckouttest.WithCredentials("key", "secret"))
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, "key", s.Key)
	assert.Equal(t, "secret", s.Secret)
	assert.Equal(t, "PENDING", create(t, s, "R-1", nil).Status)
	s.Close()
	s.Close() // idempotent
	_, err = doRaw(t, s, http.MethodGet, "checkout/1", nil, nil)
	assert.Error(t, err, "a closed server does not answer")

	for _, o := range []pointcheckouttest.Option{
		pointcheckouttest.WithTTL(0), pointcheckouttest.WithCredentials("", "x"), pointcheckouttest.WithSettleDelay(-1),
		pointcheckouttest.WithNotifyURL("http://example.com/notify"), pointcheckouttest.WithNotifyURL("ftp://127.0.0.1/"),
	} {
		_, err := pointcheckouttest.Start("127.0.0.1:0", o)
		assert.Error(t, err)
	}
	assert.Panics(t, func() { pointcheckouttest.NewServer(pointcheckouttest.WithTTL(-time.Second)) })
}

func TestConnectionsOpened(t *testing.T) {
	s, _ := newServer(t)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	for range 5 {
		res, err := hc.Get(s.URL + "/mer/v2.0/checkout/1")
		require.NoError(t, err)
		_, _ = res.Body.Read(make([]byte, 1024))
		res.Body.Close()
	}
	assert.Equal(t, int64(1), s.ConnectionsOpened(), "keep-alive reuses one connection")

	hc = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for range 3 {
		res, err := hc.Get(s.URL + "/mer/v2.0/checkout/1")
		require.NoError(t, err)
		res.Body.Close()
	}
	assert.Equal(t, int64(4), s.ConnectionsOpened())
}

func TestConcurrentUse(t *testing.T) {
	s, clock := newServer(t)
	var wg sync.WaitGroup
	ids := make([]string, 40)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := doRaw(t, s, http.MethodPost, "checkout/web", jsonBody(t, request("R-"+string(rune('A'+i)))), nil)
			if err != nil || r.code != http.StatusOK {
				return
			}
			var e struct{ Result co }
			_ = json.Unmarshal(r.body, &e)
			ids[i] = e.Result.ID
			_, _ = doRaw(t, s, http.MethodGet, "checkout/"+ids[i], nil, nil)
			_ = s.Complete(ids[i], pointcheckout.StatusPaid)
			_ = s.Checkouts()
			clock.Advance(time.Second)
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range ids {
		require.NotEmpty(t, id)
		assert.False(t, seen[id], "duplicate id %s", id)
		seen[id] = true
	}
	assert.Len(t, s.Checkouts(), len(ids))
	assert.Len(t, s.Requests(), 2*len(ids))
}

func TestIDsLookLikeTheAPIs(t *testing.T) {
	s, _ := newServer(t)
	re := regexp.MustCompile(`^[0-9]{19}$`)
	for i := range 20 {
		c := create(t, s, "R-"+string(rune('a'+i)), nil)
		assert.Regexp(t, re, c.ID)
	}
}

// sdkCreateBody is a create request as the official PHP SDK writes it
// (json_encode of its WebCheckoutRequest): every property present, null
// when unset, amounts as the strings the plugins build, customer.reference
// instead of customer.id, totals with the SDK's integer zeros.
const sdkCreateBody = `{"returnUrl":"https://shop.example.com/index.php?route=extension/paymennt/payment/paymennt&rte=confirm",
"requestId":"1001-1735732800","orderId":"1001","currency":"AED","amount":"100.00",
"totals":{"subtotal":"100.00","tax":0,"shipping":0,"handling":0,"discount":0,"skipTotalsValidation":true},
"branchId":null,"allowedPaymentMethods":null,"defaultPaymentMethod":null,
"customer":{"id":null,"reference":"42","firstName":"Test","lastName":"User","email":"test@example.com","phone":"971500000000"},
"billingAddress":{"name":"Test User","address1":"1 Main St","address2":null,"city":"Dubai","state":null,"zip":null,"country":"ARE"},
"deliveryAddress":null,
"items":[{"name":"Sunglasses","sku":null,"unitprice":"50.00","quantity":2,"linetotal":"100.00"}],
"language":"en"}`

func TestCreateAcceptsWhatThePHPSDKSends(t *testing.T) {
	s, _ := newServer(t, pointcheckouttest.WithPaymenntHeaders())
	r, err := doRaw(t, s, http.MethodPost, "checkout/web", []byte(sdkCreateBody), map[string]string{
		// The SDK sends the PointCheckout header names to every host.
		pointcheckouttest.PointCheckoutKeyHeader: s.Key, pointcheckouttest.PointCheckoutSecretHeader: s.Secret,
	})
	require.NoError(t, err)
	c := r.checkout(t)
	assert.Equal(t, "100.00", c.Amount.String())
	assert.Equal(t, "1001", c.OrderID)

	var raw struct {
		Result struct {
			Customer map[string]any `json:"customer"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal(do(t, s, http.MethodGet, "checkout/"+c.ID, nil).body, &raw))
	assert.Equal(t, "42", raw.Result.Customer["reference"], "customer.reference is kept and answered")
	assert.Nil(t, raw.Result.Customer["id"])
	snap, _ := s.Checkout(c.ID)
	assert.Equal(t, int64(10000), snap.Amount.Minor())

	// The SDK cancels with a POST whose body is its request object.
	cancelBody := `{"requestId":null,"orderId":null,"currency":null,"amount":null,"totals":null,"branchId":null,` +
		`"allowedPaymentMethods":null,"defaultPaymentMethod":null,"customer":null,"billingAddress":null,` +
		`"deliveryAddress":null,"items":null,"language":"en","checkoutId":"` + c.ID + `"}`
	assert.Equal(t, "CANCELLED", do(t, s, http.MethodPost, "checkout/"+c.ID+"/cancel", []byte(cancelBody)).checkout(t).Status)
}

func TestRefundShapes(t *testing.T) {
	// sdkBody is the refund body of the PHP SDK: its request object, with
	// amount and currency (and the note again) among nulls.
	sdkBody := func(amount any, currency, note string) []byte {
		return jsonBody(t, map[string]any{
			"requestId": nil, "orderId": nil, "currency": currency, "amount": amount, "totals": nil,
			"customer": nil, "items": nil, "language": "en", "checkoutId": "1", "note": note,
		})
	}
	tests := []struct {
		name  string
		query string
		body  []byte
		word  string // a word the refusal names; "" = accepted
		minor int64  // refunded amount when accepted
		note  string // recorded note when accepted
		refID string
	}{
		{name: "all in the query (the documents)", query: "amount=10.50&currency=AED&note=Out+of+stock", minor: 1050, note: "Out of stock"},
		{name: "note in the query, amount and currency in the body as a string (the SDK)", query: "note=Out%20of%20stock", body: sdkBody("10.50", "AED", "Out of stock"), minor: 1050, note: "Out of stock"},
		{name: "body amount as a number", query: "note=x", body: sdkBody(json.Number("10.5"), "AED", "x"), minor: 1050, note: "x"},
		{name: "both places, same amount written differently", query: "amount=10.5&currency=AED&note=x", body: sdkBody("10.50", "AED", "x"), minor: 1050, note: "x"},
		{name: "note only in the body", query: "", body: sdkBody("1", "AED", "body note"), minor: 100, note: "body note"},
		{name: "the query's note wins over the SDK's unencoded one", query: "note=1+1", body: sdkBody("1", "AED", "1+1"), minor: 100, note: "1 1"},
		{name: "referenceId in the body", query: "note=x", body: jsonBody(t, map[string]any{"amount": "1", "currency": "AED", "referenceId": "RF-9"}), minor: 100, note: "x", refID: "RF-9"},
		{name: "amounts disagree", query: "amount=10&currency=AED&note=x", body: sdkBody("11", "AED", "x"), word: "disagree"},
		{name: "currencies disagree", query: "amount=10&currency=AED&note=x", body: sdkBody("10", "USD", "x"), word: "disagree"},
		{name: "referenceIds disagree", query: "amount=10&currency=AED&note=x&referenceId=A", body: jsonBody(t, map[string]any{"referenceId": "B"}), word: "disagree"},
		{name: "body amount too exact", query: "note=x", body: sdkBody("10.001", "AED", "x"), word: "amount"},
		{name: "body amount not a number", query: "note=x", body: sdkBody("ten", "AED", "x"), word: "amount"},
		{name: "body amount beside a query amount too exact", query: "amount=10&currency=AED&note=x", body: sdkBody("10.001", "AED", "x"), word: "disagree"},
		{name: "body not a JSON object", query: "amount=10&currency=AED&note=x", body: []byte(`[1]`), word: "body"},
		{name: "no amount anywhere", query: "note=x", body: sdkBody(nil, "AED", "x"), word: "amount"},
		{name: "no note anywhere", query: "", body: sdkBody("1", "AED", ""), word: "note"},
		{name: "no currency anywhere", query: "note=x", body: jsonBody(t, map[string]any{"amount": "1"}), word: "currency"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t)
			c := create(t, s, "R-1", nil)
			require.NoError(t, s.Complete(c.ID, pointcheckout.StatusPaid))
			r := do(t, s, http.MethodPost, "checkout/"+c.ID+"/refund?"+tc.query, tc.body)
			snap, _ := s.Checkout(c.ID)
			if tc.word != "" {
				contains(t, r.failure(t, http.StatusBadRequest), tc.word)
				assert.Empty(t, snap.Refunds, "a refused refund changes nothing")
				return
			}
			got := r.checkout(t)
			assert.Equal(t, "PARTIALLY_REFUNDED", got.Status)
			require.Len(t, snap.Refunds, 1)
			assert.Equal(t, tc.minor, snap.Refunds[0].Amount.Minor())
			assert.Equal(t, tc.note, snap.Refunds[0].Note)
			assert.Equal(t, tc.refID, snap.Refunds[0].ReferenceID)
		})
	}
}
