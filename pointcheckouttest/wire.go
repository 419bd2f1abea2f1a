package pointcheckouttest

import (
	"encoding/json"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// The server writes its answers from its own structs, spelled as the
// OpenAPI documents spell them, so it checks a client rather than echoing
// the client's own idea of the wire format.

// envelope is every API answer: {"success","elapsed","error","result"}.
// A success carries no error, a failure no result, as in the API's
// documented examples.
type envelope struct {
	Success bool   `json:"success"`
	Elapsed int64  `json:"elapsed"`
	Error   string `json:"error,omitempty"`
	Result  any    `json:"result,omitempty"`
}

// Optional fields the sandbox has no value for are written as JSON null
// rather than left out: the official PHP SDK reads branchId, branchName,
// usedPaymentMethod, customer.id, customer.reference, customer.phone,
// deliveryAddress and the optional address lines as always present.

type wireCustomer struct {
	ID        *string `json:"id"`
	Reference *string `json:"reference"`
	FirstName string  `json:"firstName"`
	LastName  string  `json:"lastName"`
	Email     string  `json:"email"`
	Phone     *string `json:"phone"`
}

type wireAddress struct {
	Name     string  `json:"name"`
	Address1 string  `json:"address1"`
	Address2 *string `json:"address2"`
	City     string  `json:"city"`
	State    *string `json:"state"`
	Zip      *string `json:"zip"`
	Country  string  `json:"country"`
}

// wireID is a checkout id, written as a JSON string unless the NumericID
// fault asks for a number.
type wireID struct {
	text    string
	numeric bool
}

func (id wireID) MarshalJSON() ([]byte, error) {
	if id.numeric {
		return []byte(id.text), nil
	}
	return json.Marshal(id.text)
}

// wireCheckout is CheckoutResponse and ECommerceCheckoutResponse (the
// create answer has the same fields).
type wireCheckout struct {
	ID                wireID        `json:"id"`
	DisplayID         string        `json:"displayId"`
	CheckoutKey       string        `json:"checkoutKey"`
	RequestID         string        `json:"requestId"`
	OrderID           string        `json:"orderId"`
	Currency          string        `json:"currency"`
	Amount            json.Number   `json:"amount"`
	CashAmount        json.Number   `json:"cashAmount"`
	Status            string        `json:"status"`
	TotalRefunded     json.Number   `json:"totalRefunded"`
	RedirectURL       string        `json:"redirectUrl"`
	UsedPaymentMethod *string       `json:"usedPaymentMethod"`
	Customer          *wireCustomer `json:"customer"`
	BillingAddress    *wireAddress  `json:"billingAddress"`
	DeliveryAddress   *wireAddress  `json:"deliveryAddress"`
	Timestamp         string        `json:"timestamp"`
	BranchID          *string       `json:"branchId"`
	BranchName        *string       `json:"branchName"`
}

// wirePage is PageResponseCheckoutResponse.
type wirePage struct {
	Page          int            `json:"page"`
	Size          int            `json:"size"`
	TotalPages    int            `json:"totalPages"`
	TotalElements int64          `json:"totalElements"`
	Content       []wireCheckout `json:"content"`
}

// timestampLayout is ISO 8601 with milliseconds, as the API documents it,
// in the RFC 3339 form (offset with a colon, "Z" for UTC).
const timestampLayout = "2006-01-02T15:04:05.000Z07:00"

func (s *Server) wire(c *checkout) wireCheckout {
	zero, _ := pointcheckout.NewMoney(0, c.amount.Currency())
	billing := c.billing
	cust := c.customer
	w := wireCheckout{
		ID: wireID{text: c.id}, DisplayID: c.displayID, CheckoutKey: c.key,
		RequestID: c.requestID, OrderID: c.orderID,
		Currency:          c.amount.Currency(),
		Amount:            json.Number(c.amount.Decimal()),
		CashAmount:        json.Number(zero.Decimal()),
		Status:            s.spell(c.status),
		TotalRefunded:     json.Number(c.refunded.Decimal()),
		RedirectURL:       s.redirectURL(c),
		UsedPaymentMethod: optional(s.spellMethod(c.method)),
		Customer:          &cust,
		BillingAddress:    &billing,
		Timestamp:         c.created.UTC().Format(timestampLayout),
		BranchID:          optional(c.branchID),
	}
	if c.branchID != "" {
		// The sandbox has one branch per merchant; a name makes the id real.
		w.BranchName = optional("Sandbox branch " + c.branchID)
	}
	if c.delivery != nil {
		d := *c.delivery
		w.DeliveryAddress = &d
	}
	return w
}

// spellMethod writes the payment method: "CARD" as the API's examples do,
// or "Card" as its enum does when statuses are spelled the enum way too.
func (s *Server) spellMethod(m string) string {
	if m == "CARD" && s.cfg.enumSpelling {
		return "Card"
	}
	return m
}

// optional returns nil for an empty string, so it is written as null.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// elapsedMS is the envelope's elapsed field for a request that started at t.
func elapsedMS(t time.Time) int64 { return time.Since(t).Milliseconds() }
