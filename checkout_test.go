package pointcheckout

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeExact decodes JSON keeping every number's literal text, so that a
// comparison sees 100.00 and 100 as different.
func decodeExact(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	require.NoError(t, d.Decode(&v), "%s", b)
	return v
}

func fullRequest(t *testing.T) CheckoutRequest {
	aed := func(minor int64) Money { return mustMoney(t, minor, "AED") }
	return CheckoutRequest{
		RequestID: "ORD-1234-r1",
		OrderID:   "ORD-1234",
		Amount:    aed(10500),
		Items: []Item{
			{Name: "Dark grey sunglasses", SKU: "1116521", UnitPrice: aed(5000), Quantity: 2, LineTotal: aed(10000)},
		},
		Totals: &Totals{
			Subtotal: aed(10000), Tax: aed(500), Shipping: aed(300), Handling: aed(200), Discount: aed(500),
			SkipTotalsValidation: true,
		},
		Customer: Customer{ID: "123456", FirstName: "Layla", LastName: "Haddad", Email: "layla@example.com", Phone: "971500000000"},
		BillingAddress: Address{
			Name: "Layla Haddad", Address1: "1 Sheikh Zayed Rd", Address2: "Apt 5", City: "Dubai",
			State: "Dubai", Zip: "00000", Country: "AE",
		},
		DeliveryAddress:       &Address{Name: "Omar Haddad", Address1: "2 Al Wasl Rd", City: "Dubai", Country: "ARE"},
		ReturnURL:             "https://shop.example.com/pay/return?t=abc",
		BranchID:              1601731695315563241,
		AllowedPaymentMethods: []PaymentMethod{PaymentMethodCard, PaymentMethodPointCheckout},
		DefaultPaymentMethod:  PaymentMethodCard,
		Language:              "EN",
	}
}

func minimalRequest(t *testing.T, cur string, amount, line int64) CheckoutRequest {
	return CheckoutRequest{
		RequestID:      "R-1",
		OrderID:        "O-1",
		Amount:         mustMoney(t, amount, cur),
		Items:          []Item{{Name: "Coffee", Quantity: 1, LineTotal: mustMoney(t, line, cur)}},
		Customer:       Customer{FirstName: "Sara", LastName: "Ali", Email: "sara@example.com"},
		BillingAddress: Address{Name: "Sara Ali", Address1: "Block 3", City: "Kuwait City", Country: "KW"},
		ReturnURL:      "https://shop.example.com/pay/return",
	}
}

func TestCheckoutRequestMarshalJSON(t *testing.T) {
	tests := []struct {
		name   string
		req    CheckoutRequest
		golden string
	}{
		{
			name: "every field",
			req:  fullRequest(t),
			golden: `{
				"requestId": "ORD-1234-r1",
				"orderId": "ORD-1234",
				"currency": "AED",
				"amount": 105.00,
				"totals": {"subtotal": 100.00, "tax": 5.00, "shipping": 3.00, "handling": 2.00, "discount": 5.00,
					"skipTotalsValidation": true},
				"items": [{"name": "Dark grey sunglasses", "sku": "1116521", "unitprice": 50.00, "quantity": 2, "linetotal": 100.00}],
				"customer": {"id": "123456", "firstName": "Layla", "lastName": "Haddad", "email": "layla@example.com",
					"phone": "971500000000"},
				"billingAddress": {"name": "Layla Haddad", "address1": "1 Sheikh Zayed Rd", "address2": "Apt 5",
					"city": "Dubai", "state": "Dubai", "zip": "00000", "country": "AE"},
				"deliveryAddress": {"name": "Omar Haddad", "address1": "2 Al Wasl Rd", "city": "Dubai", "country": "ARE"},
				"returnUrl": "https://shop.example.com/pay/return?t=abc",
				"branchId": 1601731695315563241,
				"allowedPaymentMethods": ["CARD", "POINTCHECKOUT"],
				"defaultPaymentMethod": "CARD",
				"language": "EN"
			}`,
		},
		{
			name: "optional fields omitted, three-digit currency",
			req:  minimalRequest(t, "KWD", 12345, 12345),
			golden: `{
				"requestId": "R-1",
				"orderId": "O-1",
				"currency": "KWD",
				"amount": 12.345,
				"items": [{"name": "Coffee", "quantity": 1, "linetotal": 12.345}],
				"customer": {"firstName": "Sara", "lastName": "Ali", "email": "sara@example.com"},
				"billingAddress": {"name": "Sara Ali", "address1": "Block 3", "city": "Kuwait City", "country": "KW"},
				"returnUrl": "https://shop.example.com/pay/return"
			}`,
		},
		{
			name: "zero-digit currency",
			req:  minimalRequest(t, "JPY", 500, 500),
			golden: `{
				"requestId": "R-1",
				"orderId": "O-1",
				"currency": "JPY",
				"amount": 500,
				"items": [{"name": "Coffee", "quantity": 1, "linetotal": 500}],
				"customer": {"firstName": "Sara", "lastName": "Ali", "email": "sara@example.com"},
				"billingAddress": {"name": "Sara Ali", "address1": "Block 3", "city": "Kuwait City", "country": "KW"},
				"returnUrl": "https://shop.example.com/pay/return"
			}`,
		},
		{
			name: "zero optional totals omitted, free item keeps its unit price",
			req: func() CheckoutRequest {
				r := minimalRequest(t, "AED", 10000, 10000)
				r.Items = append(r.Items, Item{Name: "Gift wrap", UnitPrice: mustMoney(t, 0, "AED"), Quantity: 1, LineTotal: mustMoney(t, 0, "AED")})
				r.Totals = &Totals{Subtotal: mustMoney(t, 10000, "AED"), Tax: mustMoney(t, 0, "AED"), Shipping: mustMoney(t, 0, "AED")}
				return r
			}(),
			golden: `{
				"requestId": "R-1",
				"orderId": "O-1",
				"currency": "AED",
				"amount": 100.00,
				"totals": {"subtotal": 100.00, "tax": 0.00},
				"items": [{"name": "Coffee", "quantity": 1, "linetotal": 100.00},
					{"name": "Gift wrap", "unitprice": 0.00, "quantity": 1, "linetotal": 0.00}],
				"customer": {"firstName": "Sara", "lastName": "Ali", "email": "sara@example.com"},
				"billingAddress": {"name": "Sara Ali", "address1": "Block 3", "city": "Kuwait City", "country": "KW"},
				"returnUrl": "https://shop.example.com/pay/return"
			}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.req)
			require.NoError(t, err)
			assert.Equal(t, decodeExact(t, []byte(tt.golden)), decodeExact(t, got), "%s", got)
			assert.NotContains(t, string(got), ".0000", "no amount beyond its currency's digits")
		})
	}
}

func TestCheckoutRequestMarshalJSONNeedsAmount(t *testing.T) {
	r := minimalRequest(t, "AED", 100, 100)
	r.Amount = Money{}
	_, err := json.Marshal(r)
	assert.ErrorIs(t, err, ErrInvalidAmount)
}

// guideCheckout is the build guide's example answer, with the fields the
// OpenAPI documents added.
const guideCheckout = `{
	"id": "1653241101733169556",
	"displayId": "QS3IM5",
	"requestId": "EXAMPLE-123.1",
	"orderId": "EXAMPLE-123",
	"currency": "AED",
	"amount": 100.00,
	"cashAmount": 0.0,
	"status": "PENDING",
	"totalRefunded": 0.0,
	"redirectUrl": "https://pay.test.pointcheckout.com/checkout/checkout_key",
	"checkoutKey": "90ed4298f15d46df994fd1cfbbec5aa24390e811295cf8b5",
	"branchId": "1601731695315563241",
	"branchName": "Test store",
	"usedPaymentMethod": "CARD",
	"customer": {},
	"billingAddress": {"name": "Layla Haddad", "address1": "1 Sheikh Zayed Rd", "city": "Dubai", "country": "AE"},
	"firebaseDatabase": "pc-test-734bc",
	"timestamp": "2021-05-10T12:34:56.789+0400"
}`

func TestCheckoutUnmarshalGuideExample(t *testing.T) {
	var c Checkout
	require.NoError(t, json.Unmarshal([]byte(guideCheckout), &c))
	assert.Equal(t, Checkout{
		ID: "1653241101733169556", DisplayID: "QS3IM5", RequestID: "EXAMPLE-123.1", OrderID: "EXAMPLE-123",
		Amount: mustMoney(t, 10000, "AED"), CashAmount: mustMoney(t, 0, "AED"), TotalRefunded: mustMoney(t, 0, "AED"),
		Status: StatusPending, RawStatus: "PENDING",
		RedirectURL: "https://pay.test.pointcheckout.com/checkout/checkout_key",
		CheckoutKey: "90ed4298f15d46df994fd1cfbbec5aa24390e811295cf8b5",
		BranchID:    "1601731695315563241", BranchName: "Test store", UsedPaymentMethod: "CARD",
		BillingAddress: &Address{Name: "Layla Haddad", Address1: "1 Sheikh Zayed Rd", City: "Dubai", Country: "AE"},
		Timestamp:      c.Timestamp, // compared below with Equal: the zone is a fixed offset
	}, c)
	assert.True(t, time.Date(2021, 5, 10, 8, 34, 56, 789e6, time.UTC).Equal(c.Timestamp), c.Timestamp)

	// The shortest form in the guide's first answer.
	var short Checkout
	require.NoError(t, json.Unmarshal([]byte(`{"id":"1","requestId":"EXAMPLE-123.1","orderId":"EXAMPLE-123",
		"currency":"AED","amount":100.00,"status":"PENDING","redirectUrl":"https://pay.test.pointcheckout.com/checkout/k"}`), &short))
	assert.Equal(t, mustMoney(t, 10000, "AED"), short.Amount)
	assert.Equal(t, mustMoney(t, 0, "AED"), short.TotalRefunded, "absent amounts are zero in the currency")
	assert.True(t, short.Timestamp.IsZero())
	assert.Nil(t, short.BillingAddress)
}

// withField returns guideCheckout with one top-level field replaced (or
// removed, for a nil value).
func withField(t *testing.T, key string, raw any) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(guideCheckout), &m))
	if raw == nil {
		delete(m, key)
	} else {
		m[key] = json.RawMessage(raw.(string))
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

func TestCheckoutUnmarshalFields(t *testing.T) {
	type edit struct {
		key string
		raw any // JSON text, or nil to drop the field
	}
	tests := []struct {
		name    string
		edits   []edit
		check   func(t *testing.T, c Checkout)
		wantErr bool
	}{
		{"status upper case", []edit{{"status", `"PAID"`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, StatusPaid, c.Status)
			assert.Equal(t, "PAID", c.RawStatus)
		}, false},
		{"status as the OpenAPI enum", []edit{{"status", `"Paid"`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, StatusPaid, c.Status)
			assert.Equal(t, "Paid", c.RawStatus)
		}, false},
		{"status with a space", []edit{{"status", `"Partially refunded"`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, StatusPartiallyRefunded, c.Status)
		}, false},
		{"unknown status decodes", []edit{{"status", `"ON_HOLD"`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, StatusUnknown, c.Status)
			assert.Equal(t, "ON_HOLD", c.RawStatus)
			assert.False(t, c.Status.IsPaid())
			assert.Equal(t, mustMoney(t, 10000, "AED"), c.Amount, "the rest still decodes")
		}, false},
		{"missing status", []edit{{"status", nil}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, StatusUnknown, c.Status)
		}, false},
		{"amount 100", []edit{{"amount", `100`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, mustMoney(t, 10000, "AED"), c.Amount)
		}, false},
		{"amount 100.0", []edit{{"amount", `100.0`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, mustMoney(t, 10000, "AED"), c.Amount)
		}, false},
		{"amount 100.00", []edit{{"amount", `100.00`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, mustMoney(t, 10000, "AED"), c.Amount)
		}, false},
		{"amount as a Java double", []edit{{"amount", `1.0E7`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, mustMoney(t, 1_000_000_000, "AED"), c.Amount)
		}, false},
		{"amount quoted", []edit{{"amount", `"99.99"`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, mustMoney(t, 9999, "AED"), c.Amount)
		}, false},
		{"three-digit currency", []edit{{"currency", `"KWD"`}, {"amount", `12.345`}, {"totalRefunded", `1.5`}},
			func(t *testing.T, c Checkout) {
				assert.Equal(t, mustMoney(t, 12345, "KWD"), c.Amount)
				assert.Equal(t, mustMoney(t, 1500, "KWD"), c.TotalRefunded)
				assert.Equal(t, mustMoney(t, 0, "KWD"), c.CashAmount)
			}, false},
		// Tolerant reading: the same value written differently is read;
		// a value that cannot be read leaves Amount invalid for the
		// verification to refuse, and never fails the whole checkout.
		{"trailing zeros in AED", []edit{{"amount", `100.000`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, mustMoney(t, 10000, "AED"), c.Amount)
		}, false},
		{"trailing zeros quoted", []edit{{"amount", `"100.0000"`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, mustMoney(t, 10000, "AED"), c.Amount)
		}, false},
		{"whole number for 25.00", []edit{{"amount", `25`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, mustMoney(t, 2500, "AED"), c.Amount)
		}, false},
		{"numeric id", []edit{{"id", `1653241101733169556`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, "1653241101733169556", c.ID)
		}, false},
		{"null optional fields", []edit{{"branchName", `null`}, {"usedPaymentMethod", `null`}, {"displayId", `null`}, {"deliveryAddress", `null`}, {"billingAddress", `null`}},
			func(t *testing.T, c Checkout) {
				assert.Empty(t, c.BranchName)
				assert.Empty(t, c.UsedPaymentMethod)
				assert.Empty(t, c.DisplayID)
				assert.Nil(t, c.DeliveryAddress)
				assert.Nil(t, c.BillingAddress)
				assert.Equal(t, mustMoney(t, 10000, "AED"), c.Amount)
			}, false},
		{"address with a numeric zip", []edit{{"billingAddress", `{"name":"A","address1":"B","city":"C","country":"AE","zip":12345}`}},
			func(t *testing.T, c Checkout) {
				require.NotNil(t, c.BillingAddress)
				assert.Equal(t, "12345", c.BillingAddress.Zip)
			}, false},
		{"address not an object", []edit{{"billingAddress", `"Dubai"`}}, func(t *testing.T, c Checkout) {
			assert.Nil(t, c.BillingAddress)
		}, false},
		{"amount beyond the currency's digits", []edit{{"amount", `100.001`}}, unreadableAmount("AED"), false},
		{"missing amount", []edit{{"amount", nil}}, unreadableAmount("AED"), false},
		{"null amount", []edit{{"amount", `null`}}, unreadableAmount("AED"), false},
		{"negative amount", []edit{{"amount", `-100.00`}}, unreadableAmount("AED"), false},
		{"amount as text", []edit{{"amount", `"one hundred"`}}, unreadableAmount("AED"), false},
		{"amount as a bool", []edit{{"amount", `true`}}, unreadableAmount("AED"), false},
		{"amount beyond int64", []edit{{"amount", `1e300`}}, unreadableAmount("AED"), false},
		{"missing currency", []edit{{"currency", nil}}, unreadableAmount(""), false},
		{"lower-case currency", []edit{{"currency", `"aed"`}}, unreadableAmount("aed"), false},
		{"bad totalRefunded", []edit{{"totalRefunded", `0.001`}}, func(t *testing.T, c Checkout) {
			assert.False(t, c.TotalRefunded.IsValid())
			assert.Equal(t, mustMoney(t, 10000, "AED"), c.Amount)
		}, false},
		{"bad cashAmount", []edit{{"cashAmount", `"x"`}}, func(t *testing.T, c Checkout) {
			assert.False(t, c.CashAmount.IsValid())
			assert.Equal(t, mustMoney(t, 10000, "AED"), c.Amount)
		}, false},
		{"status not a string", []edit{{"status", `1`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, StatusUnknown, c.Status)
		}, false},
		{"status an object", []edit{{"status", `{"s":"PAID"}`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, StatusUnknown, c.Status)
		}, false},
		{"missing id", []edit{{"id", nil}}, nil, true},
		{"null id", []edit{{"id", `null`}}, nil, true},
		{"branchId as a number", []edit{{"branchId", `1601731695315563241`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, "1601731695315563241", c.BranchID)
		}, false},
		{"branchId as a string", []edit{{"branchId", `"1601731695315563241"`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, "1601731695315563241", c.BranchID)
		}, false},
		{"branchId with an escaped quote", []edit{{"branchId", `"b\"1\""`}}, func(t *testing.T, c Checkout) {
			assert.Equal(t, `b"1"`, c.BranchID)
		}, false},
		{"branchId null", []edit{{"branchId", `null`}}, func(t *testing.T, c Checkout) {
			assert.Empty(t, c.BranchID)
		}, false},
		{"branchId an object", []edit{{"branchId", `{"id":1}`}}, func(t *testing.T, c Checkout) {
			assert.Empty(t, c.BranchID)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]json.RawMessage
			require.NoError(t, json.Unmarshal([]byte(guideCheckout), &m))
			for _, e := range tt.edits {
				if e.raw == nil {
					delete(m, e.key)
				} else {
					m[e.key] = json.RawMessage(e.raw.(string))
				}
			}
			b, err := json.Marshal(m)
			require.NoError(t, err)
			var c Checkout
			err = json.Unmarshal(b, &c)
			if tt.wantErr {
				require.Error(t, err)
				assert.Equal(t, Checkout{}, c, "a failed decode leaves nothing behind")
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

// unreadableAmount checks a checkout whose amount could not be read in the
// currency it names: Amount is invalid, the rest is there, and verify
// refuses it against any Ref.
func unreadableAmount(currency string) func(t *testing.T, c Checkout) {
	return func(t *testing.T, c Checkout) {
		t.Helper()
		assert.False(t, c.Amount.IsValid())
		assert.Equal(t, currency, c.answerCurrency())
		assert.Equal(t, "1653241101733169556", c.ID)
		ref := Ref{CheckoutID: c.ID, OrderID: c.OrderID, RequestID: c.RequestID, Amount: mustMoney(t, 10000, "AED")}
		want := []string{"amount"}
		if currency != "AED" {
			want = []string{"currency"}
		}
		var ve *VerificationError
		require.ErrorAs(t, verify(ref, &c), &ve)
		assert.Equal(t, want, ve.Fields)
	}
}

func TestCheckoutUnmarshalTimestamp(t *testing.T) {
	want := time.Date(2021, 5, 10, 8, 34, 56, 789e6, time.UTC)
	tests := []struct {
		raw  any
		want time.Time
	}{
		{`"2021-05-10T12:34:56.789+0400"`, want}, // the documented yyyy-MM-ddTHH:mm:ss.SSSZZ
		{`"2021-05-10T08:34:56.789Z"`, want},
		{`"2021-05-10T08:34:56.789+0000"`, want},
		{`"2021-05-10T12:34:56.789+04:00"`, want}, // RFC 3339
		{`"2021-05-10T08:34:56.789000000Z"`, want},
		{`"2021-05-10T12:34:56+04:00"`, want.Truncate(time.Second)},
		{`"2021-05-10 08:34:56"`, want.Truncate(time.Second)}, // the query parameters' form, as UTC
		{`"2021-05-10T08:34:56.789"`, want},
		{`1620635696789`, want}, // Unix milliseconds
		{`"yesterday"`, time.Time{}},
		{`"2021-13-10T08:34:56Z"`, time.Time{}},
		{`""`, time.Time{}},
		{`null`, time.Time{}},
		{`0`, time.Time{}},
		{`{}`, time.Time{}},
		{nil, time.Time{}},
	}
	for _, tt := range tests {
		name := "absent"
		if tt.raw != nil {
			name = tt.raw.(string)
		}
		t.Run(name, func(t *testing.T) {
			var c Checkout
			require.NoError(t, json.Unmarshal(withField(t, "timestamp", tt.raw), &c), "a timestamp never fails a checkout")
			if tt.want.IsZero() {
				assert.True(t, c.Timestamp.IsZero(), c.Timestamp)
				return
			}
			assert.True(t, tt.want.Equal(c.Timestamp), "got %v, want %v", c.Timestamp, tt.want)
		})
	}
}

func TestCheckoutMarshalRoundTrip(t *testing.T) {
	for _, status := range []string{"PAID", "Paid", "Partially refunded", "NEW_THING"} {
		t.Run(status, func(t *testing.T) {
			var c Checkout
			require.NoError(t, json.Unmarshal(withField(t, "status", `"`+status+`"`), &c))
			b, err := json.Marshal(c)
			require.NoError(t, err)
			var back Checkout
			require.NoError(t, json.Unmarshal(b, &back), "%s", b)
			assert.True(t, c.Timestamp.Equal(back.Timestamp))
			c.Timestamp, back.Timestamp = time.Time{}, time.Time{}
			if !c.Status.Known() {
				assert.Equal(t, "UNKNOWN", back.RawStatus, "an unreadable spelling is not repeated")
				c.RawStatus, back.RawStatus = "", ""
			}
			assert.Equal(t, c, back)
			assert.Contains(t, string(b), `"amount":100.00`)
			assert.Contains(t, string(b), `"timestamp":"2021-05-10T12:34:56.789+0400"`)
		})
	}
	// A checkout whose amount could not be read is written with a null
	// amount, and reads back the same.
	var odd Checkout
	require.NoError(t, json.Unmarshal(withField(t, "amount", `100.001`), &odd))
	b, err := json.Marshal(odd)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"amount":null`)
	assert.Contains(t, string(b), `"currency":"AED"`)
	var back Checkout
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, odd, back)
}

func TestCheckoutPageUnmarshal(t *testing.T) {
	page := `{"page": 0, "size": 20, "totalPages": 1, "totalElements": 2, "content": [` +
		guideCheckout + `, ` + string(withField(t, "status", `"Paid"`)) + `]}`
	var p checkoutPage
	require.NoError(t, json.Unmarshal([]byte(page), &p))
	assert.Equal(t, 20, p.Size)
	assert.Equal(t, 1, p.TotalPages)
	assert.Equal(t, int64(2), p.TotalElements)
	require.Len(t, p.Checkouts, 2)
	assert.Equal(t, StatusPending, p.Checkouts[0].Status)
	assert.Equal(t, StatusPaid, p.Checkouts[1].Status)
	assert.Equal(t, mustMoney(t, 10000, "AED"), p.Checkouts[1].Amount)

	odd := `{"page": 0, "content": [` + string(withField(t, "amount", `1.001`)) + `]}`
	require.NoError(t, json.Unmarshal([]byte(odd), &p), "an unreadable amount is for verification to judge")
	require.Len(t, p.Checkouts, 1)
	assert.False(t, p.Checkouts[0].Amount.IsValid())
	bad := `{"page": 0, "content": [` + string(withField(t, "id", `null`)) + `]}`
	assert.Error(t, json.Unmarshal([]byte(bad), &p), "a checkout without an id fails the page")

	var empty checkoutPage
	require.NoError(t, json.Unmarshal([]byte(`{"page":3,"content":[]}`), &empty))
	assert.Equal(t, 3, empty.Page)
	assert.Empty(t, empty.Checkouts)
}

func FuzzCheckoutUnmarshal(f *testing.F) {
	f.Add([]byte(guideCheckout))
	f.Add([]byte(`{"currency":"KWD","amount":12.345,"status":"Paid","branchId":5,"timestamp":1620635696789}`))
	f.Add([]byte(`{"currency":"JPY","amount":"500","status":"Partially refunded","totalRefunded":1e2}`))
	f.Add([]byte(`{"currency":"AED","amount":100.001}`))
	f.Add([]byte(`{"currency":"AED","amount":1.0E7,"timestamp":"2021-05-10 08:34:56"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Checkout
		if err := json.Unmarshal(b, &c); err != nil {
			return
		}
		if c.ID == "" {
			t.Fatalf("decoded a checkout without an id from %q", b)
		}
		cur := c.answerCurrency()
		if c.Amount.IsValid() {
			if _, ok := CurrencyExponent(cur); !ok || c.Amount.Minor() < 0 {
				t.Fatalf("decoded an invalid amount %v from %q", c.Amount, b)
			}
		} else if err := verify(Ref{CheckoutID: c.ID, OrderID: c.OrderID, RequestID: c.RequestID, Amount: Money{minor: 1, currency: "AED"}}, &c); err == nil {
			t.Fatalf("a checkout without an amount verified: %q", b)
		}
		for i, m := range []*Money{&c.CashAmount, &c.TotalRefunded} {
			if m.IsValid() && (m.Currency() != cur || m.Minor() < 0) {
				t.Fatalf("secondary amount %d %v not a valid %s amount", i, m, cur)
			}
			if !m.IsValid() && c.Amount.IsValid() {
				// Written as absent, read back as zero.
				*m = Money{currency: cur}
			}
		}
		if !c.Status.Known() && c.Status != StatusUnknown {
			t.Fatalf("status %q is neither known nor unknown", c.Status)
		}
		if c.Status.IsPaid() && ParseStatus(c.RawStatus) != StatusPaid {
			t.Fatalf("paid from raw status %q", c.RawStatus)
		}

		// What the package writes, it reads back unchanged.
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", c, err)
		}
		var back Checkout
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if y := c.Timestamp.Year(); y >= 1 && y <= 9999 && !c.Timestamp.Truncate(time.Millisecond).Equal(back.Timestamp) {
			t.Fatalf("timestamp %v came back as %v", c.Timestamp, back.Timestamp)
		}
		c.Timestamp, back.Timestamp = time.Time{}, time.Time{}
		if !c.Status.Known() {
			c.RawStatus, back.RawStatus = "", ""
		}
		if !reflect.DeepEqual(c, back) {
			t.Fatalf("round trip changed the checkout:\n%+v\n%+v\nvia %s", c, back, out)
		}
	})
}

// TestCheckoutUnmarshalErrorsAreNotPanics feeds shapes a hostile or broken
// gateway could send.
func TestCheckoutUnmarshalErrorsAreNotPanics(t *testing.T) {
	for _, in := range []string{``, `null`, `[]`, `"x"`, `{"amount":{}}`, `{"currency":1}`,
		`{"currency":"AED","amount":` + strings.Repeat("9", 5000) + `}`} {
		var c Checkout
		assert.Error(t, json.Unmarshal([]byte(in), &c), in)
		assert.Equal(t, Checkout{}, c)
	}
	// Inside a struct, a null checkout is refused too: it is no checkout.
	var v struct{ Result Checkout }
	assert.Error(t, json.Unmarshal([]byte(`{"Result":null}`), &v))
	// A pointer stays the caller's way to allow one.
	var p struct{ Result *Checkout }
	require.NoError(t, json.Unmarshal([]byte(`{"Result":null}`), &p))
	assert.Nil(t, p.Result)
}
