package pointcheckout

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	// Amount is the exact amount to pay, in its currency.
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
}

// CheckoutPage is one page of a checkout search.
type CheckoutPage struct {
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
	if !m.IsValid() || m.IsZero() {
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

// wireCheckout is the checkout object in API answers. Amounts arrive as
// json.Number and become Money once the currency is known. branchId and
// timestamp are read loosely (see their parsers): they inform, they decide
// nothing, so an unexpected shape must not make the whole checkout unreadable.
type wireCheckout struct {
	ID                string          `json:"id"`
	DisplayID         string          `json:"displayId"`
	RequestID         string          `json:"requestId"`
	OrderID           string          `json:"orderId"`
	Currency          string          `json:"currency"`
	Amount            json.Number     `json:"amount"`
	CashAmount        json.Number     `json:"cashAmount"`
	Status            string          `json:"status"`
	TotalRefunded     json.Number     `json:"totalRefunded"`
	RedirectURL       string          `json:"redirectUrl"`
	CheckoutKey       string          `json:"checkoutKey"`
	BranchID          json.RawMessage `json:"branchId"`
	BranchName        string          `json:"branchName"`
	UsedPaymentMethod string          `json:"usedPaymentMethod"`
	BillingAddress    *Address        `json:"billingAddress"`
	DeliveryAddress   *Address        `json:"deliveryAddress"`
	Timestamp         json.RawMessage `json:"timestamp"`
}

// UnmarshalJSON reads a checkout object from an API answer. The amount must
// be exact in the checkout's currency; a missing or malformed amount or
// currency is an error, because a checkout whose amount cannot be read can
// never be verified. For the same reason JSON null is an error rather than
// the usual no-op. An unknown status decodes as StatusUnknown.
func (c *Checkout) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return fmt.Errorf("%w: checkout is null", ErrInvalidAmount)
	}
	var w wireCheckout
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	return c.fromWire(&w)
}

// fromWire sets c from a decoded wire checkout, checking its amounts.
func (c *Checkout) fromWire(w *wireCheckout) error {
	amount, err := ParseMoney(w.Amount.String(), w.Currency)
	if err != nil {
		return fmt.Errorf("checkout %q: amount: %w", clip(w.ID), err)
	}
	opt := func(n json.Number) (Money, error) {
		if n == "" {
			return NewMoney(0, w.Currency)
		}
		return ParseMoney(n.String(), w.Currency)
	}
	cash, err := opt(w.CashAmount)
	if err != nil {
		return fmt.Errorf("checkout %q: cashAmount: %w", clip(w.ID), err)
	}
	refunded, err := opt(w.TotalRefunded)
	if err != nil {
		return fmt.Errorf("checkout %q: totalRefunded: %w", clip(w.ID), err)
	}
	*c = Checkout{
		ID: w.ID, DisplayID: w.DisplayID, RequestID: w.RequestID, OrderID: w.OrderID,
		Amount: amount, CashAmount: cash, TotalRefunded: refunded,
		Status: ParseStatus(w.Status), RawStatus: w.Status,
		RedirectURL: w.RedirectURL, CheckoutKey: w.CheckoutKey,
		BranchID: scalarText(w.BranchID), BranchName: w.BranchName,
		UsedPaymentMethod: w.UsedPaymentMethod,
		BillingAddress:    w.BillingAddress, DeliveryAddress: w.DeliveryAddress,
		Timestamp: parseTimestamp(w.Timestamp),
	}
	return nil
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
		Amount            Money    `json:"amount"`
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
		Currency: c.Amount.Currency(), Amount: c.Amount, Status: status,
		RedirectURL: c.RedirectURL, CheckoutKey: c.CheckoutKey,
		BranchID: c.BranchID, BranchName: c.BranchName, UsedPaymentMethod: c.UsedPaymentMethod,
		BillingAddress: c.BillingAddress, DeliveryAddress: c.DeliveryAddress,
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
func parseTimestamp(raw json.RawMessage) time.Time {
	var ms int64
	if len(raw) > 0 && raw[0] == '"' {
		// A string: no integer attempt.
	} else if json.Unmarshal(raw, &ms) == nil {
		if ms == 0 {
			return time.Time{}
		}
		return time.UnixMilli(ms).UTC()
	}
	s := scalarText(raw)
	if s == "" {
		return time.Time{}
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
func (p *CheckoutPage) UnmarshalJSON(b []byte) error {
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
	*p = CheckoutPage{Page: w.Page, Size: w.Size, TotalPages: w.TotalPages, TotalElements: w.TotalElements, Checkouts: w.Content}
	return nil
}
