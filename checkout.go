package pointcheckout

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// PaymentMethod names a payment method the hosted page may offer.
type PaymentMethod string

// Payment methods named by the Merchant API.
const (
	// PaymentMethodCard is a card payment.
	PaymentMethodCard PaymentMethod = "CARD"
	// PaymentMethodPointCheckout is a payment from a PointCheckout wallet.
	PaymentMethodPointCheckout PaymentMethod = "POINTCHECKOUT"
)

// CheckoutRequest is what the shop asks the Merchant API to create: one
// payment attempt for one order. Every amount is in the currency of Amount.
type CheckoutRequest struct {
	// RequestID is unique per attempt; a failed or cancelled checkout's
	// RequestID can never be used again. The handlers fill it in.
	RequestID string
	// OrderID is the shop's order reference; attempts may repeat it.
	OrderID string
	// Amount is what the shopper must pay; it also fixes the currency.
	Amount Money
	// Items are the order lines (at least one).
	Items []Item
	// Totals optionally break Amount down.
	Totals *Totals
	// Customer is who pays.
	Customer Customer
	// BillingAddress is required by the API.
	BillingAddress Address
	// DeliveryAddress is optional.
	DeliveryAddress *Address
	// ReturnURL is where the hosted page sends the shopper back to. The
	// handlers fill it in.
	ReturnURL string
	// BranchID optionally names a PointCheckout branch (0: none).
	BranchID int64
	// AllowedPaymentMethods optionally limits and orders the page's methods.
	AllowedPaymentMethods []PaymentMethod
	// DefaultPaymentMethod optionally preselects one.
	DefaultPaymentMethod PaymentMethod
	// Language is an optional ISO 639-1 code for the hosted page.
	Language string
}

// Item is one order line.
type Item struct {
	// Name is what the shopper bought, shown on the payment page.
	Name string
	// SKU is the shop's optional item code.
	SKU string
	// UnitPrice is optional (leave it the zero Money to omit it).
	UnitPrice Money
	// Quantity is how many; it must be positive.
	Quantity int64
	// LineTotal is the price of the whole line, in the order's currency.
	LineTotal Money
}

// Totals break an order's amount down. Zero Money fields other than
// Subtotal and Tax are omitted.
type Totals struct {
	// Subtotal is the sum of the line totals, before tax and discounts.
	Subtotal Money
	// Tax is the order's tax (zero Money allowed, but required).
	Tax Money
	// Shipping, Handling and Discount are optional parts of the amount.
	Shipping, Handling, Discount Money
	// SkipTotalsValidation asks the API not to check that the parts add
	// up to the amount.
	SkipTotalsValidation bool
}

// Customer is the paying shopper.
type Customer struct {
	// ID is the shop's optional customer reference.
	ID string `json:"id,omitempty"`
	// FirstName, LastName and Email are required by the API.
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Email     string `json:"email"`
	// Phone is optional, with the international calling code (9715...).
	Phone string `json:"phone,omitempty"`
}

// Address is a billing or delivery address. Country is an ISO 3166-1
// alpha-2 or alpha-3 code.
type Address struct {
	// Name, Address1, City and Country are required by the API.
	Name     string `json:"name"`
	Address1 string `json:"address1"`
	// Address2, State and Zip are optional.
	Address2 string `json:"address2,omitempty"`
	City     string `json:"city"`
	State    string `json:"state,omitempty"`
	Zip      string `json:"zip,omitempty"`
	Country  string `json:"country"`
}

// Checkout is a checkout as the Merchant API reports it.
type Checkout struct {
	// ID is the gateway's checkout id, the key of every later call.
	ID string
	// DisplayID is a short reference the shopper may see.
	DisplayID string
	// RequestID and OrderID are the shop's, as sent at creation.
	RequestID, OrderID string
	// Amount is the exact amount to pay, in its currency; the zero Money
	// (not IsValid) when the answer's amount is missing or not exact in the
	// currency it names. Such a checkout never passes verification.
	Amount Money
	// CashAmount is the part to be collected in cash (zero for cards).
	CashAmount Money
	// Status is the checkout's status in canonical spelling.
	Status Status
	// RawStatus is the status exactly as the API spelled it.
	RawStatus string
	// TotalRefunded is how much was refunded so far.
	TotalRefunded Money
	// RedirectURL is the hosted payment page to send the shopper to.
	RedirectURL string
	// CheckoutKey identifies the checkout in the payment page's URL.
	CheckoutKey string
	// BranchID and BranchName name the merchant branch, if any.
	BranchID, BranchName string
	// UsedPaymentMethod is how the shopper paid ("CARD", ...), once paid.
	UsedPaymentMethod string
	// BillingAddress and DeliveryAddress are echoed from the request.
	BillingAddress, DeliveryAddress *Address
	// Timestamp is when the checkout was created; zero if the API sent a
	// form this package could not read.
	Timestamp time.Time

	// currency is the answer's currency as written when Amount could not
	// be read, for verification.
	currency string
}

// answerCurrency is the currency the API named for c.
func (c *Checkout) answerCurrency() string {
	if c.Amount.IsValid() {
		return c.Amount.Currency()
	}
	return c.currency
}

// checkoutPage is one page of a checkout search.
type checkoutPage struct {
	// Page is this page's number, from 0; Size is the page size.
	Page, Size int
	// TotalPages and TotalElements count the whole result.
	TotalPages    int
	TotalElements int64
	// Checkouts are this page's checkouts.
	Checkouts []Checkout
}

// RefundRequest asks for (part of) a paid checkout back.
type RefundRequest struct {
	// Amount to refund, in the checkout's currency.
	Amount Money
	// Note is required by the API.
	Note string
	// ReferenceID is an optional reference of the shop's (paymennt API).
	ReferenceID string
}

// wireItem and the other wire* types are the exact JSON the API reads and
// writes; amounts pass through them as decimals so no float ever holds one.
type wireItem struct {
	Name      string `json:"name"`
	SKU       string `json:"sku,omitempty"`
	UnitPrice *Money `json:"unitprice,omitempty"`
	Quantity  int64  `json:"quantity"`
	LineTotal Money  `json:"linetotal"`
}

type wireTotals struct {
	Subtotal             Money  `json:"subtotal"`
	Tax                  Money  `json:"tax"`
	Shipping             *Money `json:"shipping,omitempty"`
	Handling             *Money `json:"handling,omitempty"`
	Discount             *Money `json:"discount,omitempty"`
	SkipTotalsValidation bool   `json:"skipTotalsValidation,omitempty"`
}

type wireRequest struct {
	RequestID             string          `json:"requestId"`
	OrderID               string          `json:"orderId"`
	Currency              string          `json:"currency"`
	Amount                Money           `json:"amount"`
	Totals                *wireTotals     `json:"totals,omitempty"`
	Items                 []wireItem      `json:"items"`
	Customer              Customer        `json:"customer"`
	BillingAddress        Address         `json:"billingAddress"`
	DeliveryAddress       *Address        `json:"deliveryAddress,omitempty"`
	ReturnURL             string          `json:"returnUrl"`
	BranchID              int64           `json:"branchId,omitempty"`
	AllowedPaymentMethods []PaymentMethod `json:"allowedPaymentMethods,omitempty"`
	DefaultPaymentMethod  PaymentMethod   `json:"defaultPaymentMethod,omitempty"`
	Language              string          `json:"language,omitempty"`
}

func optMoney(m Money) *Money {
	if !m.IsValid() || m.Minor() == 0 {
		return nil
	}
	return &m
}

// MarshalJSON writes the request exactly as the create-web-checkout
// operation reads it (field names such as linetotal and unitprice in lower
// case, amounts as decimals with the currency's digits).
func (r CheckoutRequest) MarshalJSON() ([]byte, error) {
	w := wireRequest{
		RequestID:             r.RequestID,
		OrderID:               r.OrderID,
		Currency:              r.Amount.Currency(),
		Amount:                r.Amount,
		Customer:              r.Customer,
		BillingAddress:        r.BillingAddress,
		DeliveryAddress:       r.DeliveryAddress,
		ReturnURL:             r.ReturnURL,
		BranchID:              r.BranchID,
		AllowedPaymentMethods: r.AllowedPaymentMethods,
		DefaultPaymentMethod:  r.DefaultPaymentMethod,
		Language:              r.Language,
		Items:                 make([]wireItem, len(r.Items)),
	}
	for i, it := range r.Items {
		w.Items[i] = wireItem{Name: it.Name, SKU: it.SKU, Quantity: it.Quantity, LineTotal: it.LineTotal}
		if it.UnitPrice.IsValid() {
			w.Items[i].UnitPrice = &r.Items[i].UnitPrice
		}
	}
	if t := r.Totals; t != nil {
		w.Totals = &wireTotals{
			Subtotal: t.Subtotal, Tax: t.Tax,
			Shipping: optMoney(t.Shipping), Handling: optMoney(t.Handling), Discount: optMoney(t.Discount),
			SkipTotalsValidation: t.SkipTotalsValidation,
		}
	}
	return json.Marshal(w)
}

// wireCheckout is the checkout object in API answers, read the way a
// tolerant client reads: every field is taken as text whatever its JSON type
// (a numeric id, an amount written as a string, null for an empty field),
// and a field of an unexpected shape reads as empty instead of making the
// whole checkout unreadable. What decides anything is checked afterwards,
// against the shop's own Ref.
type wireCheckout struct {
	ID                looseText    `json:"id"`
	DisplayID         looseText    `json:"displayId"`
	RequestID         looseText    `json:"requestId"`
	OrderID           looseText    `json:"orderId"`
	Currency          looseText    `json:"currency"`
	Amount            looseText    `json:"amount"`
	CashAmount        looseText    `json:"cashAmount"`
	Status            looseText    `json:"status"`
	TotalRefunded     looseText    `json:"totalRefunded"`
	RedirectURL       looseText    `json:"redirectUrl"`
	CheckoutKey       looseText    `json:"checkoutKey"`
	BranchID          looseText    `json:"branchId"`
	BranchName        looseText    `json:"branchName"`
	UsedPaymentMethod looseText    `json:"usedPaymentMethod"`
	BillingAddress    looseAddress `json:"billingAddress"`
	DeliveryAddress   looseAddress `json:"deliveryAddress"`
	Timestamp         looseText    `json:"timestamp"`
}

// plainCheckout is wireCheckout with plain fields, which encoding/json
// fills much faster; an answer of an unexpected shape makes it fail, and
// the client then reads the answer again as a wireCheckout.
type plainCheckout struct {
	ID                string      `json:"id"`
	DisplayID         string      `json:"displayId"`
	RequestID         string      `json:"requestId"`
	OrderID           string      `json:"orderId"`
	Currency          string      `json:"currency"`
	Amount            json.Number `json:"amount"`
	CashAmount        json.Number `json:"cashAmount"`
	Status            string      `json:"status"`
	TotalRefunded     json.Number `json:"totalRefunded"`
	RedirectURL       string      `json:"redirectUrl"`
	CheckoutKey       string      `json:"checkoutKey"`
	BranchID          json.Number `json:"branchId"`
	BranchName        string      `json:"branchName"`
	UsedPaymentMethod string      `json:"usedPaymentMethod"`
	BillingAddress    *Address    `json:"billingAddress"`
	DeliveryAddress   *Address    `json:"deliveryAddress"`
	Timestamp         string      `json:"timestamp"`
}

// wire converts p to the tolerant form, without copying its strings.
func (p *plainCheckout) wire() wireCheckout {
	return wireCheckout{
		ID: looseText(p.ID), DisplayID: looseText(p.DisplayID), RequestID: looseText(p.RequestID), OrderID: looseText(p.OrderID),
		Currency: looseText(p.Currency), Amount: looseText(p.Amount), CashAmount: looseText(p.CashAmount),
		Status: looseText(p.Status), TotalRefunded: looseText(p.TotalRefunded),
		RedirectURL: looseText(p.RedirectURL), CheckoutKey: looseText(p.CheckoutKey),
		BranchID: looseText(p.BranchID), BranchName: looseText(p.BranchName), UsedPaymentMethod: looseText(p.UsedPaymentMethod),
		BillingAddress: looseAddress{p.BillingAddress}, DeliveryAddress: looseAddress{p.DeliveryAddress},
		Timestamp: looseText(p.Timestamp),
	}
}

// looseText is a JSON string or number as text; null, booleans, objects and
// arrays read as "" without an error.
type looseText string

// UnmarshalJSON reads b as text, never failing on its type.
func (t *looseText) UnmarshalJSON(b []byte) error {
	*t = looseText(scalarText(b))
	return nil
}

// looseAddress is an address whose fields are read as looseText; anything
// but an object reads as no address.
type looseAddress struct{ a *Address }

// UnmarshalJSON reads an address object, never failing on its shape.
func (l *looseAddress) UnmarshalJSON(b []byte) error {
	var w struct {
		Name, Address1, Address2, City, State, Zip, Country looseText
	}
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &w) != nil {
		l.a = nil
		return nil
	}
	l.a = &Address{
		Name: string(w.Name), Address1: string(w.Address1), Address2: string(w.Address2),
		City: string(w.City), State: string(w.State), Zip: string(w.Zip), Country: string(w.Country),
	}
	return nil
}

// UnmarshalJSON reads a checkout object from an API answer, tolerantly:
// see [Checkout.Amount] for an amount that cannot be read. Only a value that
// is not a JSON object, or an object without an id, is an error.
func (c *Checkout) UnmarshalJSON(b []byte) error {
	var w wireCheckout
	if len(bytes.TrimSpace(b)) == 0 || bytes.TrimSpace(b)[0] != '{' {
		return errors.New("checkout is not a JSON object")
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	return c.fromWire(&w)
}

// fromWire sets c from a decoded wire checkout. An answer without an id is
// no checkout at all; anything else is kept for verification to judge.
func (c *Checkout) fromWire(w *wireCheckout) error {
	if w.ID == "" {
		return errors.New("checkout has no id")
	}
	cur := string(w.Currency)
	amount, _ := parseAnswerAmount(string(w.Amount), cur)
	opt := func(s looseText) Money {
		if s == "" {
			m, _ := NewMoney(0, cur)
			return m
		}
		m, _ := parseAnswerAmount(string(s), cur)
		return m
	}
	*c = Checkout{
		ID: string(w.ID), DisplayID: string(w.DisplayID), RequestID: string(w.RequestID), OrderID: string(w.OrderID),
		Amount: amount, CashAmount: opt(w.CashAmount), TotalRefunded: opt(w.TotalRefunded),
		Status: ParseStatus(string(w.Status)), RawStatus: string(w.Status),
		RedirectURL: string(w.RedirectURL), CheckoutKey: string(w.CheckoutKey),
		BranchID: string(w.BranchID), BranchName: string(w.BranchName),
		UsedPaymentMethod: string(w.UsedPaymentMethod),
		BillingAddress:    w.BillingAddress.a, DeliveryAddress: w.DeliveryAddress.a,
		Timestamp: parseTimestamp(string(w.Timestamp)),
	}
	if !amount.IsValid() {
		c.currency = cur
	}
	return nil
}

// parseAnswerAmount reads an amount the API wrote, as exactly as
// ParseMoney but tolerant of trailing zeros beyond the currency's digits
// ("100.000" AED is 100.00, "25" is 25.00): the same value written
// differently. A non-zero digit beyond them is still refused.
func parseAnswerAmount(s, currency string) (Money, error) {
	if exp, ok := CurrencyExponent(currency); ok && !strings.ContainsAny(s, "eE") {
		if i := strings.IndexByte(s, '.'); i >= 0 {
			for len(s)-i-1 > exp && s[len(s)-1] == '0' {
				s = s[:len(s)-1]
			}
			s = strings.TrimSuffix(s, ".")
		}
	}
	return ParseMoney(s, currency)
}

// MarshalJSON writes c in the API's own shape, so that a checkout encoded by
// this package (a test double's answer, a cached copy) decodes back to the
// same value. The status is written as the API spelled it when that spelling
// is known, else in its canonical form.
func (c Checkout) MarshalJSON() ([]byte, error) {
	status := c.Status.String()
	if ParseStatus(c.RawStatus) == c.Status && c.Status.Known() {
		status = c.RawStatus
	}
	w := struct {
		ID                string   `json:"id"`
		DisplayID         string   `json:"displayId,omitempty"`
		RequestID         string   `json:"requestId"`
		OrderID           string   `json:"orderId"`
		Currency          string   `json:"currency"`
		Amount            *Money   `json:"amount"`
		CashAmount        *Money   `json:"cashAmount,omitempty"`
		Status            string   `json:"status"`
		TotalRefunded     *Money   `json:"totalRefunded,omitempty"`
		RedirectURL       string   `json:"redirectUrl,omitempty"`
		CheckoutKey       string   `json:"checkoutKey,omitempty"`
		BranchID          string   `json:"branchId,omitempty"`
		BranchName        string   `json:"branchName,omitempty"`
		UsedPaymentMethod string   `json:"usedPaymentMethod,omitempty"`
		BillingAddress    *Address `json:"billingAddress,omitempty"`
		DeliveryAddress   *Address `json:"deliveryAddress,omitempty"`
		Timestamp         string   `json:"timestamp,omitempty"`
	}{
		ID: c.ID, DisplayID: c.DisplayID, RequestID: c.RequestID, OrderID: c.OrderID,
		Currency: c.answerCurrency(), Status: status,
		RedirectURL: c.RedirectURL, CheckoutKey: c.CheckoutKey,
		BranchID: c.BranchID, BranchName: c.BranchName, UsedPaymentMethod: c.UsedPaymentMethod,
		BillingAddress: c.BillingAddress, DeliveryAddress: c.DeliveryAddress,
	}
	if c.Amount.IsValid() {
		w.Amount = &c.Amount
	}
	if c.CashAmount.IsValid() {
		w.CashAmount = &c.CashAmount
	}
	if c.TotalRefunded.IsValid() {
		w.TotalRefunded = &c.TotalRefunded
	}
	if !c.Timestamp.IsZero() {
		w.Timestamp = c.Timestamp.Format("2006-01-02T15:04:05.000Z0700")
	}
	return json.Marshal(w)
}

// scalarText reads a JSON string or number as text: the API documents
// branchId as a string but takes it as an integer in requests, so either may
// come back, and a notification may write a checkout id either way.
// Anything else (null, an object) reads as "".
func scalarText(raw json.RawMessage) string {
	// A plain string or null, as the API sends them, needs no decoder
	// (whose failed attempts allocate errors).
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		if in := raw[1 : n-1]; bytes.IndexByte(in, '\\') < 0 && bytes.IndexByte(in, '"') < 0 && utf8.Valid(in) {
			return string(in)
		}
	}
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// parseTimestamp reads the ISO 8601 forms the API is documented to use
// (yyyy-MM-ddTHH:mm:ss.SSSZZ, RFC 3339, and the query parameters' zone-less
// yyyy-mm-dd HH:MM:SS, read as UTC), and a bare integer as Unix milliseconds,
// which is how a Java date serializes by default. Anything else is the zero
// time: the timestamp is informative and never worth failing a checkout for.
func parseTimestamp(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		if ms == 0 {
			return time.Time{}
		}
		return time.UnixMilli(ms).UTC()
	}
	// Fraction digits after the seconds are accepted by every layout.
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// UnmarshalJSON reads a page of a checkout search.
func (p *checkoutPage) UnmarshalJSON(b []byte) error {
	var w struct {
		Page          int        `json:"page"`
		Size          int        `json:"size"`
		TotalPages    int        `json:"totalPages"`
		TotalElements int64      `json:"totalElements"`
		Content       []Checkout `json:"content"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*p = checkoutPage{Page: w.Page, Size: w.Size, TotalPages: w.TotalPages, TotalElements: w.TotalElements, Checkouts: w.Content}
	return nil
}
