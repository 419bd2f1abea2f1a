package pointcheckout

import (
	"net/url"
	"strconv"
	"strings"
)

// Validate checks r against the create-web-checkout operation's required
// fields and value rules, so that a request the API would refuse fails here
// without a network call. It returns a [*ValidationError] naming every bad
// field, or nil.
func (r *CheckoutRequest) Validate() error { return r.validate(false) }

// validate is Validate; twoDecimals also refuses amounts with a non-zero
// third decimal (see ClientConfig.ThreeDecimalAmounts).
func (r *CheckoutRequest) validate(twoDecimals bool) error {
	v := validator{twoDecimals: twoDecimals}
	v.text("requestId", r.RequestID)
	v.text("orderId", r.OrderID)
	cur := r.Amount.Currency()
	switch {
	case !r.Amount.IsValid():
		v.add("amount", "required (with its currency)")
	case r.Amount.Minor() == 0:
		v.add("amount", "must be greater than zero")
	default:
		v.decimals("amount", r.Amount)
	}
	if len(r.Items) == 0 {
		v.add("items", "at least one item is required")
	}
	for i, it := range r.Items {
		v.within("items", i)
		v.text("name", it.Name)
		v.optional("sku", it.SKU)
		if it.Quantity <= 0 {
			v.add("quantity", "must be greater than zero")
		}
		v.money("linetotal", it.LineTotal, cur, true)
		v.money("unitprice", it.UnitPrice, cur, false)
	}
	v.within("", -1)
	if t := r.Totals; t != nil {
		v.within("totals", -1)
		v.money("subtotal", t.Subtotal, cur, true)
		v.money("tax", t.Tax, cur, true)
		v.money("shipping", t.Shipping, cur, false)
		v.money("handling", t.Handling, cur, false)
		v.money("discount", t.Discount, cur, false)
		v.within("", -1)
	}
	v.within("customer", -1)
	v.text("firstName", r.Customer.FirstName)
	v.text("lastName", r.Customer.LastName)
	if v.text("email", r.Customer.Email) && !strings.Contains(r.Customer.Email, "@") {
		v.add("email", "not an email address")
	}
	v.optional("id", r.Customer.ID)
	v.optional("phone", r.Customer.Phone)
	v.address("billingAddress", &r.BillingAddress)
	if r.DeliveryAddress != nil {
		v.address("deliveryAddress", r.DeliveryAddress)
	}
	v.within("", -1)
	if v.required("returnUrl", r.ReturnURL, maxURLLen) && len(r.ReturnURL) <= maxURLLen {
		u, err := url.Parse(r.ReturnURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.add("returnUrl", "must be an absolute http or https URL")
		}
	}
	if r.BranchID < 0 {
		v.add("branchId", "must not be negative")
	}
	if n := len(r.Language); n != 0 && (n < 2 || n > 3) {
		v.add("language", "must be a 2 or 3 letter code")
	}
	return v.err()
}

// validator collects problems. Field paths are built only for a problem
// found, so validating a good request (every /pay) allocates nothing.
type validator struct {
	fields []FieldError
	// scope and index name the object being checked: "totals" and -1 for
	// totals.x, "items" and 2 for items[2].x, "" for top-level fields.
	scope string
	index int
	// twoDecimals refuses a non-zero third decimal.
	twoDecimals bool
}

func (v *validator) within(scope string, index int) { v.scope, v.index = scope, index }

func (v *validator) add(field, problem string) {
	switch {
	case v.scope == "":
	case v.index >= 0:
		field = v.scope + "[" + strconv.Itoa(v.index) + "]." + field
	default:
		field = v.scope + "." + field
	}
	v.fields = append(v.fields, FieldError{Field: field, Problem: problem})
}

// maxTextLen bounds the shop's text fields (the bound a Ref's ids must meet
// anyway to fit a cookie) and maxURLLen the return URL, which carries a
// signed token. The API's own limits are not published; a value past these
// fails here, as the shop's bug, instead of as a gateway error.
const (
	maxTextLen = maxFieldLen
	maxURLLen  = 2048
)

// text requires a non-blank value within maxTextLen bytes, free of control
// characters, and reports whether it was present.
func (v *validator) text(field, s string) bool { return v.required(field, s, maxTextLen) }

// required is text with another length bound.
func (v *validator) required(field, s string, max int) bool {
	if strings.TrimSpace(s) == "" {
		v.add(field, "required")
		return false
	}
	v.check(field, s, max)
	return true
}

// optional checks a value that may be empty.
func (v *validator) optional(field, s string) { v.check(field, s, maxTextLen) }

// check bounds a value and refuses control characters.
func (v *validator) check(field, s string, max int) {
	if len(s) > max {
		v.add(field, "longer than "+strconv.Itoa(max)+" bytes")
		return
	}
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		v.add(field, "must not contain control characters")
	}
}

// money checks an amount is in the order's currency; required ones must be
// set, optional ones may be the zero Money.
func (v *validator) money(field string, m Money, cur string, required bool) {
	switch {
	case !m.IsValid():
		if required {
			v.add(field, "required")
		}
	case cur != "" && m.Currency() != cur:
		v.add(field, "must be in "+cur+", not "+m.Currency())
	default:
		v.decimals(field, m)
	}
}

// decimals refuses, when asked to, an amount whose third decimal is not
// zero: every known integration of the gateway sends two decimals, and how
// it treats a third is not published.
func (v *validator) decimals(field string, m Money) {
	if exp, _ := CurrencyExponent(m.Currency()); v.twoDecimals && exp == 3 && m.Minor()%10 != 0 {
		v.add(field, m.String()+" has a non-zero third decimal; the gateway is only known to take two (see ClientConfig.ThreeDecimalAmounts)")
	}
}

func (v *validator) address(scope string, a *Address) {
	v.within(scope, -1)
	v.text("name", a.Name)
	v.text("address1", a.Address1)
	v.optional("address2", a.Address2)
	v.text("city", a.City)
	v.optional("state", a.State)
	v.optional("zip", a.Zip)
	if v.text("country", a.Country) && (len(a.Country) < 2 || len(a.Country) > 3) {
		v.add("country", "must be an ISO 3166-1 alpha-2 or alpha-3 code")
	}
}

func (v *validator) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: v.fields}
}
