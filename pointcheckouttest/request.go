package pointcheckouttest

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/pointcheckout-go/pointcheckout"
)

// createRequest is a create-web-checkout body that passed validation.
type createRequest struct {
	requestID, orderID string
	amount             pointcheckout.Money
	returnURL          string
	customer           wireCustomer
	billing            wireAddress
	delivery           *wireAddress
	branchID           string
}

// jsonObject is a decoded JSON object whose keys are matched exactly, as
// the API's JSON binding does: "requestID" is not "requestId". (Go's
// encoding/json matches keys case-insensitively, which would hide a
// client's misspelling.)
type jsonObject map[string]json.RawMessage

// problems collects every validation failure of one request.
type problems []string

func (p *problems) add(field, problem string) { *p = append(*p, field+" "+problem) }

func (p problems) message() string { return strings.Join(p, "; ") }

// parseCreate decodes and validates a create-web-checkout body the way the
// API does: every required field of CheckoutWebPaymentRequest, amounts
// exact in the checkout's currency, totals consistent unless
// skipTotalsValidation is set. It returns every problem found.
func parseCreate(body []byte) (*createRequest, problems) {
	var p problems
	root, ok := decodeObject(body)
	if !ok {
		p = append(p, "request body must be a JSON object")
		return nil, p
	}
	r := &createRequest{}
	r.requestID = p.text(root, "", "requestId", true)
	r.orderID = p.text(root, "", "orderId", true)
	cur := p.text(root, "", "currency", true)
	if cur != "" {
		if _, known := pointcheckout.CurrencyExponent(cur); !known {
			p.add("currency", "must be an ISO 4217 currency code")
			cur = ""
		}
	}
	if amt, ok := p.money(root, "", "amount", cur, true); ok {
		if amt.Minor() == 0 {
			p.add("amount", "must be greater than 0")
		}
		r.amount = amt
	}

	var lineSum int64
	sumOK := true
	if items, ok := p.array(root, "items"); ok {
		if len(items) == 0 {
			p.add("items", "must contain at least one item")
		}
		for i, raw := range items {
			path := "items[" + strconv.Itoa(i) + "]."
			it, ok := decodeObject(raw)
			if !ok {
				p = append(p, path[:len(path)-1]+" must be an object")
				sumOK = false
				continue
			}
			p.text(it, path, "name", true)
			p.text(it, path, "sku", false)
			p.quantity(it, path)
			if lt, ok := p.money(it, path, "linetotal", cur, true); ok {
				lineSum += lt.Minor()
			} else {
				sumOK = false
			}
			p.money(it, path, "unitprice", cur, false)
		}
	} else {
		sumOK = false
	}

	if raw, present := field(root, "totals"); present {
		p.totals(raw, cur, r.amount, lineSum, sumOK)
	}

	if raw, present := field(root, "customer"); !present {
		p.add("customer", "is required")
	} else if o, ok := decodeObject(raw); !ok {
		p.add("customer", "must be an object")
	} else {
		r.customer = wireCustomer{
			ID:        optional(p.text(o, "customer.", "id", false)),
			Reference: optional(p.text(o, "customer.", "reference", false)),
			FirstName: p.text(o, "customer.", "firstName", true),
			LastName:  p.text(o, "customer.", "lastName", true),
			Email:     p.text(o, "customer.", "email", true),
			Phone:     optional(p.text(o, "customer.", "phone", false)),
		}
		if e := r.customer.Email; e != "" && (!strings.Contains(e, "@") || strings.ContainsAny(e, " \t")) {
			p.add("customer.email", "is not a valid email address")
		}
	}
	if a, ok := p.address(root, "billingAddress", true); ok {
		r.billing = *a
	}
	if a, ok := p.address(root, "deliveryAddress", false); ok {
		r.delivery = a
	}

	r.returnURL = p.text(root, "", "returnUrl", true)
	if r.returnURL != "" {
		u, err := url.Parse(r.returnURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("returnUrl", "must be an absolute http or https URL")
		}
	}
	if raw, present := field(root, "branchId"); present {
		// An integer in the documents; the PHP SDK types it as a string.
		n, err := strconv.ParseInt(string(unquote(raw)), 10, 64)
		if err != nil || n < 0 {
			p.add("branchId", "must be a non-negative integer")
		} else if n > 0 {
			r.branchID = strconv.FormatInt(n, 10)
		}
	}
	if lang := p.text(root, "", "language", false); lang != "" && (len(lang) < 2 || len(lang) > 3) {
		p.add("language", "must be a 2 letter ISO 639-1 code")
	}
	if raw, present := field(root, "allowedPaymentMethods"); present {
		var ms []string
		if json.Unmarshal(raw, &ms) != nil {
			p.add("allowedPaymentMethods", "must be an array of payment methods")
		}
		for _, m := range ms {
			if !paymentMethod(m) {
				p.add("allowedPaymentMethods", "has an unknown payment method "+strconv.Quote(clip(m)))
			}
		}
	}
	if m := p.text(root, "", "defaultPaymentMethod", false); m != "" && !paymentMethod(m) {
		p.add("defaultPaymentMethod", "is an unknown payment method")
	}
	if len(p) > 0 {
		return nil, p
	}
	return r, nil
}

// paymentMethod reports whether m is a method either API version names.
func paymentMethod(m string) bool {
	switch m {
	case "CARD", "POINTCHECKOUT", "VISA", "MASTERCARD", "AMEX", "UNIONPAY", "TABBY", "CAREEM_PAY":
		return true
	}
	return false
}

// decodeObject decodes a JSON object, refusing anything else (including
// trailing data after it).
func decodeObject(b []byte) (jsonObject, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, false
	}
	var o jsonObject
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&o); err != nil || dec.More() {
		return nil, false
	}
	return o, true
}

// field returns a member of o; JSON null counts as absent.
func field(o jsonObject, key string) (json.RawMessage, bool) {
	raw, ok := o[key]
	if !ok || string(raw) == "null" {
		return nil, false
	}
	return raw, true
}

// text reads a string member; a required one must not be blank.
func (p *problems) text(o jsonObject, path, key string, required bool) string {
	raw, present := field(o, key)
	if !present {
		if required {
			p.add(path+key, "is required")
		}
		return ""
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		p.add(path+key, "must be a string")
		return ""
	}
	if required && strings.TrimSpace(s) == "" {
		p.add(path+key, "must not be blank")
		return ""
	}
	if len(s) > 1024 {
		p.add(path+key, "is too long")
		return ""
	}
	return s
}

// money reads an amount: a JSON number, or a string holding one as the
// official SDK and plugins send it ("100.00"), not negative, with no more
// fraction digits than cur has. With an unknown currency only the form is
// checked.
func (p *problems) money(o jsonObject, path, key, cur string, required bool) (pointcheckout.Money, bool) {
	raw, present := field(o, key)
	if !present {
		if required {
			p.add(path+key, "is required")
		}
		return pointcheckout.Money{}, false
	}
	n, ok := number(raw)
	if !ok {
		p.add(path+key, "must be a number")
		return pointcheckout.Money{}, false
	}
	if strings.HasPrefix(n.String(), "-") {
		p.add(path+key, "must not be negative")
		return pointcheckout.Money{}, false
	}
	if cur == "" {
		return pointcheckout.Money{}, false
	}
	m, err := pointcheckout.ParseMoney(n.String(), cur)
	if err != nil {
		exp, _ := pointcheckout.CurrencyExponent(cur)
		p.add(path+key, "must be an exact amount with at most "+strconv.Itoa(exp)+" decimals in "+cur)
		return pointcheckout.Money{}, false
	}
	return m, true
}

// number reads a JSON number, or a JSON string whose whole content is one.
func number(raw json.RawMessage) (json.Number, bool) {
	raw = unquote(raw)
	if raw == nil {
		return "", false
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return "", false
	}
	return n, true
}

// unquote returns the content of a JSON string that needs no escaping, the
// raw value itself when it is not a string, or nil for a string with
// escapes or spaces (no number or id is written that way).
func unquote(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || raw[0] != '"' {
		return raw
	}
	if len(raw) < 2 || raw[len(raw)-1] != '"' {
		return nil
	}
	in := raw[1 : len(raw)-1]
	if len(in) == 0 || bytes.ContainsAny(in, "\\\" \t\r\n") {
		return nil
	}
	return in
}

// quantity reads an item's quantity: a number greater than zero.
func (p *problems) quantity(o jsonObject, path string) {
	raw, present := field(o, "quantity")
	if !present {
		p.add(path+"quantity", "is required")
		return
	}
	n, ok := number(raw)
	if !ok {
		p.add(path+"quantity", "must be a number")
		return
	}
	if f, err := n.Float64(); err != nil || f <= 0 {
		p.add(path+"quantity", "must be greater than 0")
	}
}

// array reads a required array member.
func (p *problems) array(o jsonObject, key string) ([]json.RawMessage, bool) {
	raw, present := field(o, key)
	if !present {
		p.add(key, "is required")
		return nil, false
	}
	var a []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &a) != nil {
		p.add(key, "must be an array")
		return nil, false
	}
	return a, true
}

// address reads a CheckoutAddress: name, address1, city and country
// required, country an ISO 3166-1 alpha-2 or alpha-3 code.
func (p *problems) address(root jsonObject, key string, required bool) (*wireAddress, bool) {
	raw, present := field(root, key)
	if !present {
		if required {
			p.add(key, "is required")
		}
		return nil, false
	}
	o, ok := decodeObject(raw)
	if !ok {
		p.add(key, "must be an object")
		return nil, false
	}
	path := key + "."
	a := &wireAddress{
		Name:     p.text(o, path, "name", true),
		Address1: p.text(o, path, "address1", true),
		Address2: optional(p.text(o, path, "address2", false)),
		City:     p.text(o, path, "city", true),
		State:    optional(p.text(o, path, "state", false)),
		Zip:      optional(p.text(o, path, "zip", false)),
		Country:  p.text(o, path, "country", true),
	}
	if c := a.Country; c != "" && !countryCode(c) {
		p.add(path+"country", "must be an ISO 3166-1 alpha-2 or alpha-3 code")
	}
	return a, true
}

func countryCode(c string) bool {
	if len(c) < 2 || len(c) > 3 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if (c[i] < 'A' || c[i] > 'Z') && (c[i] < 'a' || c[i] > 'z') {
			return false
		}
	}
	return true
}

// totals checks CheckoutRequestTotals: subtotal and tax required, every
// amount exact, and, unless skipTotalsValidation is true, subtotal equal
// to the sum of the line totals and amount equal to subtotal + tax +
// shipping + handling - discount.
func (p *problems) totals(raw json.RawMessage, cur string, amount pointcheckout.Money, lineSum int64, sumOK bool) {
	o, ok := decodeObject(raw)
	if !ok {
		p.add("totals", "must be an object")
		return
	}
	sub, okSub := p.money(o, "totals.", "subtotal", cur, true)
	tax, okTax := p.money(o, "totals.", "tax", cur, true)
	opt := func(key string) (int64, bool) {
		if _, present := field(o, key); !present {
			return 0, true
		}
		m, ok := p.money(o, "totals.", key, cur, false)
		return m.Minor(), ok
	}
	ship, okShip := opt("shipping")
	hand, okHand := opt("handling")
	disc, okDisc := opt("discount")
	skip := false
	if raw, present := field(o, "skipTotalsValidation"); present {
		if json.Unmarshal(raw, &skip) != nil {
			p.add("totals.skipTotalsValidation", "must be a boolean")
			return
		}
	}
	if skip || !amount.IsValid() || !(okSub && okTax && okShip && okHand && okDisc) {
		return
	}
	if sumOK && sub.Minor() != lineSum {
		p.add("totals.subtotal", "does not match the sum of the items' linetotal")
	}
	if sub.Minor()+tax.Minor()+ship+hand-disc != amount.Minor() {
		p.add("amount", "does not match totals (subtotal + tax + shipping + handling - discount)")
	}
}

// clip bounds untrusted text quoted in error messages.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
