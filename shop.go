package pointcheckout

import (
	"context"
	"net/http"
)

// OrdersFunc turns an incoming POST /pay into the checkout to create. It
// reads the order from the shop's own records: the amount, currency and
// items must never come from form fields the shopper controls. RequestID
// and ReturnURL are filled in by the Handler; whatever it puts there is
// replaced.
//
// Return an error wrapping [ErrNotFound] for an unknown order (404) or
// [ErrInvalidRequest] for an order that cannot be paid (400); any other
// error answers 500. The shopper never sees the error's text.
type OrdersFunc func(r *http.Request) (*CheckoutRequest, error)

// Update is a verified change of an order's payment, handed to the
// [OrderUpdater]. Except for the PENDING update sent when a checkout is
// created, Status comes from the Merchant API after the checkout was checked
// against the Ref the shop created it with (id, order, request, currency and
// exact amount), never from anything the shopper sent.
type Update struct {
	// OrderID is the shop's order.
	OrderID string
	// CheckoutID is the gateway's checkout of this attempt.
	CheckoutID string
	// RequestID is unique to this attempt.
	RequestID string
	// Status is the checkout's status.
	Status Status
	// Amount is the checkout's exact amount.
	Amount Money
	// Ref is the whole reference; record it at SourcePay so the order can be
	// resolved later (Reconcile, notifications) if the shopper never returns.
	Ref Ref
	// Checkout is the checkout as the API reported it.
	Checkout *Checkout
	// Source says which step resolved the checkout.
	Source Source
}

// OrderUpdater applies payment updates to the shop's orders. Package
// sqlledger is a ready one on SQLite or PostgreSQL.
//
// Implementations must be idempotent and forward-only: the same update may
// arrive more than once (a refreshed return page, a notification racing the
// return, a reconciliation sweep), and updates of one order may arrive out
// of order. An order may have several checkouts (one per attempt): a newer
// attempt replaces one that took no money, an older attempt that took money
// (paid in a tab left open) wins, and an update of another checkout never
// takes a paid order back. [ApplyUpdate] is that rule as one pure function
// over an order's attempts. Return an error only when the update could not
// be stored; the Handler then answers 500 and keeps the shopper's reference
// so that a refresh delivers the update again.
type OrderUpdater interface {
	UpdateOrder(ctx context.Context, u Update) error
}

// OrderUpdaterFunc adapts a function to OrderUpdater.
type OrderUpdaterFunc func(ctx context.Context, u Update) error

// UpdateOrder calls f(ctx, u).
func (f OrderUpdaterFunc) UpdateOrder(ctx context.Context, u Update) error { return f(ctx, u) }

// RefFinder finds the Ref the shop recorded from an attempt's SourcePay
// update: by checkout id for /pay/notify, and by request id for a return
// that carries only the signed token (no cookie), so that the gateway is
// asked about the checkout the shop recorded rather than one the return
// URL's query names. An OrderUpdater that also implements RefFinder is used
// as one (package sqlledger's does). Return an error wrapping ErrNotFound
// for an unknown attempt.
type RefFinder interface {
	FindRef(ctx context.Context, checkoutID string) (Ref, error)
	FindRefByRequestID(ctx context.Context, requestID string) (Ref, error)
}
