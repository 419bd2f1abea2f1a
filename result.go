package pointcheckout

import (
	"net/http"
	"time"
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

// redirectToResult is the default OnResult: it carries the Result to the
// next page in a signed, short-lived cookie and redirects there.
func (h *Handler) redirectToResult(w http.ResponseWriter, r *http.Request, res Result) {
	if err := h.SetResultCookie(w, r, res); err != nil {
		h.fail(r, "pointcheckout: result cookie", err)
	}
	target := h.failureURL
	if res.Succeeded() {
		target = h.successURL
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// SetResultCookie stores res in the short-lived signed result cookie that
// Middleware and ResultFromRequest read. A custom OnResult can call it before
// answering.
func (h *Handler) SetResultCookie(w http.ResponseWriter, r *http.Request, res Result) error {
	v, err := h.codec.encode(resultName, &record{
		Ref:    Ref{CheckoutID: res.CheckoutID, OrderID: res.OrderID, Amount: res.Amount, CreatedAt: h.now().UTC().Truncate(time.Second)},
		Status: res.Status, Source: res.Source,
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: resultName, Value: v, Path: "/", MaxAge: int(resultTTL / time.Second),
		HttpOnly: true, Secure: h.alwaysSecure || secureCookie(r, false), SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// ResultFromRequest reads the Result the return handler left for this
// browser in the result cookie. It is what Middleware puts into the
// request's context; call it directly where the Middleware is not used.
// A forged, foreign or expired cookie yields false.
func (h *Handler) ResultFromRequest(r *http.Request) (Result, bool) {
	c, err := r.Cookie(resultName)
	if err != nil {
		return Result{}, false
	}
	rec, err := h.codec.decode(resultName, c.Value)
	if err != nil || h.now().Sub(rec.Ref.CreatedAt) > resultTTL {
		return Result{}, false
	}
	return Result{OrderID: rec.Ref.OrderID, CheckoutID: rec.Ref.CheckoutID, Status: rec.Status, Amount: rec.Ref.Amount, Source: rec.Source}, true
}
