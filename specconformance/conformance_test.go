package specconformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/routers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// variant is one way to run the sandbox, checked against one document.
type variant struct {
	name string
	file string
	opts []pointcheckouttest.Option
}

var variants = []variant{
	{"pointcheckout", "pointcheckout-openapi.yaml", nil},
	{"pointcheckout enum spelling", "pointcheckout-openapi.yaml", []pointcheckouttest.Option{pointcheckouttest.WithEnumStatusSpelling()}},
	{"paymennt", "paymennt-openapi.yaml", []pointcheckouttest.Option{pointcheckouttest.WithPaymenntHeaders()}},
	{"paymennt enum spelling", "paymennt-openapi.yaml", []pointcheckouttest.Option{pointcheckouttest.WithPaymenntHeaders(), pointcheckouttest.WithEnumStatusSpelling()}},
	{"paymennt payment host", "paymennt-openapi.yaml", []pointcheckouttest.Option{pointcheckouttest.WithPaymenntHeaders(), pointcheckouttest.WithPaymentPageURL("https://pay.test.paymennt.com")}},
}

// harness is a sandbox, a document, and raw HTTP through the validator.
type harness struct {
	t     *testing.T
	srv   *pointcheckouttest.Server
	clock *pointcheckouttest.Clock
	v     *validator
	hc    *http.Client
}

func newHarness(t *testing.T, vr variant) *harness {
	t.Helper()
	clock := pointcheckouttest.NewClock(time.Time{})
	srv := pointcheckouttest.NewServer(append([]pointcheckouttest.Option{pointcheckouttest.WithClock(clock.Now)}, vr.opts...)...)
	t.Cleanup(srv.Close)
	sp := loadSpec(t, vr.file, srv)
	v := newValidator(t, sp)
	return &harness{t: t, srv: srv, clock: clock, v: v, hc: v.client()}
}

// call sends one API request with the sandbox's credentials (unless a
// modifier changes them) and returns the status, the decoded envelope and
// the request sent.
func (h *harness) call(method, path string, body any, mods ...func(*http.Request)) (int, map[string]any, *http.Request) {
	h.t.Helper()
	var b []byte
	switch x := body.(type) {
	case nil:
	case []byte:
		b = x
	default:
		var err error
		b, err = json.Marshal(x)
		require.NoError(h.t, err)
	}
	req, err := http.NewRequest(method, h.srv.BaseURL()+path, bytes.NewReader(b))
	require.NoError(h.t, err)
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	env := h.srv.Environment()
	req.Header.Set(env.KeyHeader, h.srv.Key)
	req.Header.Set(env.SecretHeader, h.srv.Secret)
	for _, m := range mods {
		m(req)
	}
	res, err := h.hc.Do(req)
	require.NoError(h.t, err)
	defer res.Body.Close()
	var out map[string]any
	dec := json.NewDecoder(res.Body)
	dec.UseNumber() // amounts stay as written
	require.NoError(h.t, dec.Decode(&out))
	return res.StatusCode, out, req
}

// pageURL is where the sandbox serves the payment page of checkout id
// (redirectUrl may name another host; see WithPaymentPageURL).
func (h *harness) pageURL(id string) string {
	h.t.Helper()
	c, ok := h.srv.Checkout(id)
	require.True(h.t, ok, "no checkout %s", id)
	return c.PageURL
}

// ok calls and requires success, returning the result object.
func (h *harness) ok(method, path string, body any) map[string]any {
	h.t.Helper()
	code, env, _ := h.call(method, path, body)
	require.Equal(h.t, http.StatusOK, code, "%s %s: %v", method, path, env)
	require.Equal(h.t, true, env["success"])
	res, _ := env["result"].(map[string]any)
	require.NotNil(h.t, res)
	return res
}

// refused calls, requires a 400 envelope, and returns the request so a
// test can ask whether the document refuses it too.
func (h *harness) refused(method, path string, body any) *http.Request {
	h.t.Helper()
	code, env, req := h.call(method, path, body)
	require.Equal(h.t, http.StatusBadRequest, code, "%s %s: %v", method, path, env)
	require.Equal(h.t, false, env["success"])
	require.NotEmpty(h.t, env["error"])
	return req
}

func fullRequest(reqID string) map[string]any {
	return map[string]any{
		"requestId": reqID,
		"orderId":   "ORD-" + reqID,
		"currency":  "AED",
		"amount":    json.Number("108.50"),
		"totals": map[string]any{
			"subtotal": json.Number("100.00"), "tax": json.Number("5.00"), "shipping": json.Number("3.00"),
			"handling": json.Number("1.50"), "discount": json.Number("1.00"), "skipTotalsValidation": false,
		},
		"items": []any{
			map[string]any{"name": "Dark grey sunglasses", "sku": "1116521", "unitprice": json.Number("50.00"), "quantity": 2, "linetotal": json.Number("100.00")},
		},
		"customer": map[string]any{"id": "123456", "firstName": "Test", "lastName": "User", "email": "test@example.com", "phone": "971500000000"},
		"billingAddress": map[string]any{
			"name": "Test User", "address1": "1 Main St", "address2": "Floor 2", "city": "Dubai", "state": "Dubai", "zip": "12345", "country": "AE",
		},
		"deliveryAddress":       map[string]any{"name": "Test User", "address1": "2 Side St", "city": "Dubai", "country": "ARE"},
		"returnUrl":             "https://shop.example.com/payment-redirect/?order=1",
		"branchId":              1601731695315563241,
		"allowedPaymentMethods": []string{"CARD", "POINTCHECKOUT"},
		"defaultPaymentMethod":  "CARD",
		"language":              "EN",
	}
}

func minimalRequest(reqID string) map[string]any {
	return map[string]any{
		"requestId":      reqID,
		"orderId":        "ORD-1",
		"currency":       "KWD",
		"amount":         json.Number("12.345"),
		"items":          []any{map[string]any{"name": "x", "quantity": 1, "linetotal": json.Number("12.345")}},
		"customer":       map[string]any{"firstName": "A", "lastName": "B", "email": "a@example.com"},
		"billingAddress": map[string]any{"name": "A B", "address1": "1 St", "city": "Kuwait City", "country": "KW"},
		"returnUrl":      "http://127.0.0.1:9/return",
	}
}

// TestEveryOperation drives the sandbox through every operation it serves
// and every error it answers; the validator checks each exchange.
func TestEveryOperation(t *testing.T) {
	for _, vr := range variants {
		t.Run(vr.name, func(t *testing.T) {
			h := newHarness(t, vr)

			full := h.ok("POST", "checkout/web", fullRequest("R-full"))
			minimal := h.ok("POST", "checkout/web", minimalRequest("R-min"))
			assert.Equal(t, "12.345", numberText(minimal["amount"]))
			id := full["id"].(string)

			h.ok("GET", "checkout/"+id, nil)
			h.ok("GET", "checkout?requestId=R-full", nil)
			h.ok("GET", "checkout?orderId=ORD-1&page=0&size=5", nil)
			h.ok("GET", "checkout?status=PENDING&status=PAID&type=WEB", nil)
			h.ok("GET", "checkout?requestId=nobody", nil)

			h.refused("POST", "checkout/web", fullRequest("R-full")) // duplicate
			h.refused("GET", "checkout/1234567890123456789", nil)
			h.refused("GET", "checkout?size=0", nil)
			h.refused("POST", "checkout/1234567890123456789/cancel", nil)
			h.refused("POST", "checkout/1234567890123456789/refund?amount=1&currency=AED&note=x", nil)

			// Cancel, and the refusal of a second cancel.
			h.ok("POST", "checkout/"+minimal["id"].(string)+"/cancel", nil)
			h.refused("POST", "checkout/"+minimal["id"].(string)+"/cancel", nil)

			// Pay on the hosted page, then refund in two steps.
			payOnPage(t, h.pageURL(id), pointcheckouttest.CardPaid)
			paid := h.ok("GET", "checkout/"+id, nil)
			assert.Equal(t, pointcheckout.StatusPaid, pointcheckout.ParseStatus(paid["status"].(string)))
			h.refused("POST", "checkout/"+id+"/refund?amount=200&currency=AED&note=too+much", nil)
			h.refused("POST", "checkout/"+id+"/refund?amount=1&currency=USD&note=wrong+currency", nil)
			part := h.ok("POST", "checkout/"+id+"/refund?amount=8.50&currency=AED&note=Out+of+stock", nil)
			assert.Equal(t, "8.50", numberText(part["totalRefunded"]))
			rest := h.ok("POST", "checkout/"+id+"/refund?amount=100&currency=AED&note=rest", nil)
			assert.Equal(t, pointcheckout.StatusRefunded, pointcheckout.ParseStatus(rest["status"].(string)))
			h.refused("POST", "checkout/"+id+"/refund?amount=1&currency=AED&note=again", nil)

			// Every other status the document names, as a get answers it.
			for _, st := range []pointcheckout.Status{pointcheckout.StatusAuthorized, pointcheckout.StatusFailed, pointcheckout.StatusCancelled, pointcheckout.StatusPartiallyRefunded} {
				c := h.ok("POST", "checkout/web", minimalRequest("R-"+string(st)))
				require.NoError(t, h.srv.Complete(c["id"].(string), st))
				got := h.ok("GET", "checkout/"+c["id"].(string), nil)
				assert.Equal(t, st, pointcheckout.ParseStatus(got["status"].(string)))
			}
			exp := h.ok("POST", "checkout/web", minimalRequest("R-expire"))
			h.clock.Advance(pointcheckouttest.DefaultTTL)
			got := h.ok("GET", "checkout/"+exp["id"].(string), nil)
			assert.Equal(t, pointcheckout.StatusExpired, pointcheckout.ParseStatus(got["status"].(string)))

			// Wrong credentials: an undocumented 401 with the error envelope.
			code, env, _ := h.call("GET", "checkout/"+id, nil, func(r *http.Request) { r.Header.Set(h.srv.Environment().SecretHeader, "wrong") })
			assert.Equal(t, http.StatusUnauthorized, code)
			assert.Equal(t, false, env["success"])

			// Answers spoiled by faults are still shaped as the API's.
			for _, f := range []pointcheckouttest.Fault{
				pointcheckouttest.WrongAmount(), pointcheckouttest.WrongCurrency(), pointcheckouttest.WrongOrderID(),
				pointcheckouttest.WrongRequestID(), pointcheckouttest.WrongCheckoutID(),
				pointcheckouttest.AmountDigits(3), pointcheckouttest.AmountDigits(0), pointcheckouttest.RoundedAmount(),
			} {
				h.srv.InjectFault(pointcheckouttest.EndpointGet, 1, f)
				h.ok("GET", "checkout/"+id, nil)
				h.srv.InjectFault(pointcheckouttest.EndpointFind, 1, f)
				h.ok("GET", "checkout?requestId=R-full", nil)
			}
			h.srv.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.StatusCodeEnvelope(503))
			code, _, _ = h.call("GET", "checkout/"+id, nil)
			assert.Equal(t, http.StatusServiceUnavailable, code)

			cov := h.v.covered()
			for _, op := range []string{"create-web-checkout", "get-checkout", "search-checkouts", "cancel-checkout", "refund-checkout"} {
				assert.True(t, cov[exchange{op, 200}], "%s never answered 200", op)
				assert.True(t, cov[exchange{op, 400}], "%s never answered 400", op)
			}
		})
	}
}

// TestRefusalsTheDocumentAgreesWith cross-checks the sandbox's create and
// refund validation: whatever the document itself can express (a required
// field, a minimum) the sandbox refuses too. Refusals the document cannot
// express (exact decimals, ISO codes, absolute URLs) are the sandbox's
// stricter reading of the field descriptions.
func TestRefusalsTheDocumentAgreesWith(t *testing.T) {
	drop := func(keys ...string) func(m map[string]any) {
		return func(m map[string]any) {
			for _, k := range keys {
				parts := strings.Split(k, ".")
				target := m
				for _, p := range parts[:len(parts)-1] {
					if p == "items" {
						target = target["items"].([]any)[0].(map[string]any)
						continue
					}
					target = target[p].(map[string]any)
				}
				delete(target, parts[len(parts)-1])
			}
		}
	}
	set := func(k string, v any) func(m map[string]any) {
		return func(m map[string]any) {
			if strings.HasPrefix(k, "items.") {
				m["items"].([]any)[0].(map[string]any)[strings.TrimPrefix(k, "items.")] = v
				return
			}
			m[k] = v
		}
	}
	cases := []struct {
		name      string
		edit      func(m map[string]any)
		specAgree bool // the document refuses it as well
	}{
		{"no requestId", drop("requestId"), true},
		{"no orderId", drop("orderId"), true},
		{"no currency", drop("currency"), true},
		{"no amount", drop("amount"), true},
		{"no items", drop("items"), true},
		{"no customer", drop("customer"), true},
		{"no billingAddress", drop("billingAddress"), true},
		{"no returnUrl", drop("returnUrl"), true},
		{"customer without email", drop("customer.email"), true},
		{"billing without name", drop("billingAddress.name"), true},
		{"billing without country", drop("billingAddress.country"), true},
		{"item without linetotal", drop("items.linetotal"), true},
		{"item without name", drop("items.name"), true},
		{"zero amount", set("amount", 0), true},
		{"zero quantity", set("items.quantity", 0), true},
		{"amount as a word", set("amount", "twelve"), true},
		{"language too long", set("language", "english"), true},
		{"unknown payment method", set("defaultPaymentMethod", "CASH"), true},
		{"too many decimals", set("amount", json.Number("12.3456")), false},
		{"unknown currency", set("currency", "XYZ"), false},
		{"relative returnUrl", set("returnUrl", "/return"), false},
	}
	for _, vr := range variants[:3] {
		t.Run(vr.name, func(t *testing.T) {
			h := newHarness(t, vr)
			for _, tc := range cases {
				m := minimalRequest("R-" + tc.name)
				tc.edit(m)
				req := h.refused("POST", "checkout/web", m)
				assert.Equal(t, tc.specAgree, h.v.specRefuses(req), "%s: does the document refuse it too?", tc.name)
			}
			c := h.ok("POST", "checkout/web", minimalRequest("R-paid"))
			require.NoError(t, h.srv.Complete(c["id"].(string), pointcheckout.StatusPaid))
			for q, specAgrees := range map[string]bool{
				"currency=KWD&note=x": true, "amount=1&note=x": true, "amount=1&currency=KWD": true,
				"amount=1&currency=KWDX&note=x": true,
				// "exclusiveMinimum: true" without a minimum bounds nothing
				// in OpenAPI 3.0, so the document lets a zero refund through.
				"amount=0&currency=KWD&note=x":      false,
				"amount=0.0001&currency=KWD&note=x": false,
			} {
				req := h.refused("POST", "checkout/"+c["id"].(string)+"/refund?"+q, nil)
				assert.Equal(t, specAgrees, h.v.specRefuses(req), "refund %s: does the document refuse it too?", q)
			}
			assert.Empty(t, h.srv.Checkouts()[len(h.srv.Checkouts())-1].Refunds)
		})
	}
}

// TestStatusesTheOlderDocumentLacks shows the widening is not a blank
// cheque: PENDING_CONFIRMATION and CHARGEBACK exist only in the paymennt
// document, and only there does the sandbox's answer validate.
func TestStatusesTheOlderDocumentLacks(t *testing.T) {
	for _, st := range []pointcheckout.Status{pointcheckout.StatusPendingConfirmation, pointcheckout.StatusChargeback} {
		h := newHarness(t, variants[2])
		c := h.ok("POST", "checkout/web", minimalRequest("R-1"))
		require.NoError(t, h.srv.Complete(c["id"].(string), st))
		h.ok("GET", "checkout/"+c["id"].(string), nil)

		older := newHarness(t, variants[0])
		c = older.ok("POST", "checkout/web", minimalRequest("R-1"))
		require.NoError(t, older.srv.Complete(c["id"].(string), st))
		var mismatches []string
		older.v.errorf = func(format string, args ...any) { mismatches = append(mismatches, fmt.Sprintf(format, args...)) }
		older.call("GET", "checkout/"+c["id"].(string), nil)
		require.Len(t, mismatches, 1, "%s validated against the PointCheckout document", st)
		assert.Contains(t, mismatches[0], "status")
	}
}

// TestTheClientSpeaksTheDocument runs the library's own client against the
// sandbox through the validator, so the client's requests are checked
// against the document too.
func TestTheClientSpeaksTheDocument(t *testing.T) {
	for _, vr := range variants {
		t.Run(vr.name, func(t *testing.T) {
			h := newHarness(t, vr)
			client := h.srv.Client(func(cfg *pointcheckout.ClientConfig) {
				cfg.HTTPClient = h.hc
				cfg.RetryBaseDelay = time.Millisecond
			})
			ctx := t.Context()
			amount, err := pointcheckout.ParseMoney("250.75", "AED")
			require.NoError(t, err)
			unit, err := pointcheckout.ParseMoney("250.75", "AED")
			require.NoError(t, err)
			req := &pointcheckout.CheckoutRequest{
				RequestID: "R-client", OrderID: "ORD-client", Amount: amount,
				Items:          []pointcheckout.Item{{Name: "Thing", SKU: "T-1", UnitPrice: unit, Quantity: 1, LineTotal: amount}},
				Customer:       pointcheckout.Customer{FirstName: "Test", LastName: "User", Email: "t@example.com"},
				BillingAddress: pointcheckout.Address{Name: "Test User", Address1: "1 Main St", City: "Dubai", Country: "AE"},
				ReturnURL:      "https://shop.example.com/pay/return",
				Language:       "EN",
			}
			c, err := client.CreateWebCheckout(ctx, req)
			require.NoError(t, err)
			assert.Equal(t, amount, c.Amount)
			_, err = client.GetCheckout(ctx, c.ID)
			require.NoError(t, err)
			found, err := client.FindByRequestID(ctx, "R-client")
			require.NoError(t, err)
			assert.Equal(t, c.ID, found.ID)
			_, err = client.FindByOrderID(ctx, "ORD-client")
			require.NoError(t, err)
			_, err = client.GetCheckout(ctx, "1234567890123456789")
			assert.ErrorIs(t, err, pointcheckout.ErrNotFound)

			payOnPage(t, h.pageURL(c.ID), pointcheckouttest.CardPaid)
			half, err := pointcheckout.ParseMoney("100.75", "AED")
			require.NoError(t, err)
			r, err := client.RefundCheckout(ctx, c.ID, pointcheckout.RefundRequest{Amount: half, Note: "partial"})
			require.NoError(t, err)
			assert.Equal(t, pointcheckout.StatusPartiallyRefunded, r.Status)
			assert.Equal(t, half, r.TotalRefunded)

			other := *req
			other.RequestID = "R-client-2"
			c2, err := client.CreateWebCheckout(ctx, &other)
			require.NoError(t, err)
			cancelled, err := client.CancelCheckout(ctx, c2.ID)
			require.NoError(t, err)
			assert.Equal(t, pointcheckout.StatusCancelled, cancelled.Status)
			_, err = client.CancelCheckout(ctx, c2.ID)
			assert.ErrorIs(t, err, pointcheckout.ErrBadRequest)

			cov := h.v.covered()
			for _, op := range []string{"create-web-checkout", "get-checkout", "search-checkouts", "cancel-checkout", "refund-checkout"} {
				assert.True(t, cov[exchange{op, 200}], "the client never called %s", op)
			}
		})
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// payOnPage pays a checkout on the hosted page as a browser would.
func payOnPage(t *testing.T, redirectURL, number string) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(redirectURL)
	require.NoError(t, err)
	var page bytes.Buffer
	_, _ = page.ReadFrom(res.Body)
	res.Body.Close()
	m := csrfField.FindStringSubmatch(page.String())
	require.NotNil(t, m, "no form on %s", redirectURL)
	res, err = hc.PostForm(redirectURL, url.Values{
		"csrf": {m[1]}, "card_number": {number}, "expiry": {pointcheckouttest.TestExpiry},
		"cvv": {pointcheckouttest.TestCVV}, "card_name": {pointcheckouttest.TestName}, "terms": {"accepted"}, "action": {"pay"},
	})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
}

// numberText prints a decoded JSON number as it was written.
func numberText(v any) string {
	switch n := v.(type) {
	case json.Number:
		return n.String()
	case float64:
		b, _ := json.Marshal(n)
		return string(b)
	}
	return ""
}

// TestNullsOnlyWhereAllowed shows what the answers' nullable adjustment
// does and does not allow: the sandbox's real answer (with its null
// optional fields) is refused by the document as published and accepted by
// the copy for answers, while a null anywhere else is refused by both.
func TestNullsOnlyWhereAllowed(t *testing.T) {
	for _, vr := range []variant{variants[0], variants[2]} {
		t.Run(vr.name, func(t *testing.T) {
			h := newHarness(t, vr)
			c := h.ok("POST", "checkout/web", minimalRequest("R-1"))
			req, err := http.NewRequest(http.MethodGet, h.srv.BaseURL()+"checkout/"+c["id"].(string), nil)
			require.NoError(t, err)
			env := h.srv.Environment()
			req.Header.Set(env.KeyHeader, h.srv.Key)
			req.Header.Set(env.SecretHeader, h.srv.Secret)
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err)
			require.Contains(t, string(body), `"branchId":null`)

			answer := func(router routers.Router, b []byte) error {
				return validateResponse(router, req, nil, http.StatusOK, res.Header, b)
			}
			assert.NoError(t, answer(h.v.spec.answers, body), "the copy for answers allows the sandbox's nulls")
			err = answer(h.v.spec.router, body)
			require.Error(t, err, "the published document marks nothing nullable")
			assert.Contains(t, err.Error(), "null")

			for _, field := range []string{"id", "amount", "status", "currency", "redirectUrl", "timestamp"} {
				var m map[string]any
				dec := json.NewDecoder(bytes.NewReader(body))
				dec.UseNumber()
				require.NoError(t, dec.Decode(&m))
				m["result"].(map[string]any)[field] = nil
				b, err := json.Marshal(m)
				require.NoError(t, err)
				assert.Error(t, answer(h.v.spec.answers, b), "%s: null is still refused", field)
			}
		})
	}
}

// TestTolerancesBeyondTheDocument records what the sandbox accepts that
// the documents do not describe, because the official PHP SDK and the
// plugins built on it send it to the live service: amounts as strings,
// null for unset fields, the PointCheckout header names on the paymennt
// host, and refunds with amount and currency in a JSON body. For each, the
// sandbox must accept it, the document must refuse it (or the tolerance
// would be no departure), and the sandbox's answer must still validate.
func TestTolerancesBeyondTheDocument(t *testing.T) {
	sdkCreate := func(reqID string) map[string]any {
		return map[string]any{
			"returnUrl": "https://shop.example.com/index.php?route=checkout&rte=confirm",
			"requestId": reqID, "orderId": "1001", "currency": "AED", "amount": "100.00",
			"totals":   map[string]any{"subtotal": "100.00", "tax": 0, "shipping": 0, "handling": 0, "discount": 0, "skipTotalsValidation": true},
			"branchId": nil, "allowedPaymentMethods": nil, "defaultPaymentMethod": nil,
			"customer":        map[string]any{"id": nil, "reference": "42", "firstName": "Test", "lastName": "User", "email": "test@example.com", "phone": nil},
			"billingAddress":  map[string]any{"name": "Test User", "address1": "1 Main St", "address2": nil, "city": "Dubai", "state": nil, "zip": nil, "country": "ARE"},
			"deliveryAddress": nil,
			"items":           []any{map[string]any{"name": "Sunglasses", "sku": nil, "unitprice": "50.00", "quantity": 2, "linetotal": "100.00"}},
			"language":        "en",
		}
	}
	pcHeaders := func(h *harness) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Del(pointcheckouttest.PaymenntKeyHeader)
			r.Header.Del(pointcheckouttest.PaymenntSecretHeader)
			r.Header.Set(pointcheckouttest.PointCheckoutKeyHeader, h.srv.Key)
			r.Header.Set(pointcheckouttest.PointCheckoutSecretHeader, h.srv.Secret)
		}
	}
	for _, vr := range []variant{variants[0], variants[2]} {
		t.Run(vr.name, func(t *testing.T) {
			h := newHarness(t, vr)
			var mismatches []string
			h.v.errorf = func(format string, args ...any) { mismatches = append(mismatches, fmt.Sprintf(format, args...)) }
			expectBeyond := func(what string, code int, want ...string) {
				t.Helper()
				assert.Equal(t, http.StatusOK, code, "%s: the sandbox accepts it", what)
				require.Len(t, mismatches, 1, "%s: exactly one mismatch, the request: %v", what, mismatches)
				assert.Contains(t, mismatches[0], "accepted a request the document refuses", what)
				for _, w := range want {
					assert.Contains(t, mismatches[0], w, what)
				}
				mismatches = nil
			}

			code, env, _ := h.call("POST", "checkout/web", sdkCreate("R-sdk"))
			expectBeyond("the SDK's create body", code, `"/amount": value must be a number`)
			id := env["result"].(map[string]any)["id"].(string)
			if vr.file == "paymennt-openapi.yaml" {
				code, _, _ = h.call("GET", "checkout/"+id, nil, pcHeaders(h))
				expectBeyond("the SDK's headers on the paymennt host", code, pointcheckouttest.PaymenntKeyHeader)
			}
			require.NoError(t, h.srv.Complete(id, pointcheckout.StatusPaid))
			code, _, _ = h.call("POST", "checkout/"+id+"/refund?note=Out%20of%20stock",
				map[string]any{"amount": "10.00", "currency": "AED", "note": "Out of stock", "checkoutId": id, "items": nil})
			expectBeyond("the SDK's refund", code, "amount")

			// What the documents describe stays accepted without a mismatch.
			code, _, _ = h.call("POST", "checkout/"+id+"/refund?amount=1&currency=AED&note=x", nil)
			assert.Equal(t, http.StatusOK, code)
			assert.Empty(t, mismatches)
		})
	}
}

// TestFaultsBeyondTheDocument shows the NumericID fault is a real
// departure from the documents (an id is a string there), which is what a
// client's tolerance for it is tested against.
func TestFaultsBeyondTheDocument(t *testing.T) {
	h := newHarness(t, variants[2])
	c := h.ok("POST", "checkout/web", minimalRequest("R-1"))
	var mismatches []string
	h.v.errorf = func(format string, args ...any) { mismatches = append(mismatches, fmt.Sprintf(format, args...)) }
	h.srv.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.NumericID())
	code, _, _ := h.call("GET", "checkout/"+c["id"].(string), nil)
	assert.Equal(t, http.StatusOK, code)
	require.Len(t, mismatches, 1)
	assert.Contains(t, mismatches[0], `"/result/id": value must be a string`)
}
