package pointcheckout

import (
	"net/http"

	"github.com/pointcheckout-go/pointcheckout/internal/codec"
)

// Result is the outcome of a payment as the shopper's next page sees it.
type Result struct {
	// OrderID is the shop's order.
	OrderID string
	// CheckoutID is the gateway's checkout.
	CheckoutID string
	// Status is the verified status.
	Status Status
	// Amount is the exact amount of the checkout.
	Amount Money
	// Source says which step resolved it.
	Source Source
}

// Succeeded reports whether the shopper's payment went through: PAID, or
// AUTHORIZED (the money is reserved and the shop captures it).
func (r Result) Succeeded() bool { return r.Status == StatusPaid || r.Status == StatusAuthorized }

// redirectToResult is the default OnResult: it redirects to the success or
// failure page, which finds the Result in the result cookie.
func (h *Handler) redirectToResult(w http.ResponseWriter, r *http.Request, res Result) {
	target := h.cfg.FailureURL
	if res.Succeeded() {
		target = h.cfg.SuccessURL
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// setResultCookie stores res in the short-lived signed result cookie that
// Middleware and ResultFromRequest read.
func (h *Handler) setResultCookie(w http.ResponseWriter, r *http.Request, res Result) error {
	rec := codec.Record{
		CheckoutID: res.CheckoutID, OrderID: res.OrderID,
		Currency: res.Amount.Currency(), Minor: res.Amount.Minor(),
		Status: string(res.Status), Source: string(res.Source),
	}
	return h.result.save(w, r, &rec)
}

// ResultFromRequest reads the Result the return handler left for this
// browser in the result cookie. It is what Middleware puts into the
// request's context; call it directly where the Middleware is not used.
// A forged, foreign or expired cookie yields false.
func (h *Handler) ResultFromRequest(r *http.Request) (Result, bool) {
	var res Result
	err := h.result.load(r, func(rec *codec.Record) error {
		amount, err := NewMoney(rec.Minor, rec.Currency)
		if err != nil {
			return err
		}
		res = Result{OrderID: rec.OrderID, CheckoutID: rec.CheckoutID, Status: ParseStatus(rec.Status), Amount: amount, Source: Source(rec.Source)}
		return nil
	})
	return res, err == nil
}
