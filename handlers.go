package pointcheckout

// CONTRACT STUB: bodies follow; the public API is fixed.

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Orders turns an incoming POST /pay into the checkout to create, from the
// shop's own records (never from amounts the shopper sent). RequestID and
// ReturnURL are filled in by the Handler.
type Orders interface {
	CheckoutFor(r *http.Request) (*CheckoutRequest, error)
}

// OrdersFunc adapts a function to Orders.
type OrdersFunc func(r *http.Request) (*CheckoutRequest, error)

// CheckoutFor calls f(r).
func (f OrdersFunc) CheckoutFor(r *http.Request) (*CheckoutRequest, error) { return f(r) }

// Update is a verified change of an order's payment.
type Update struct {
	OrderID    string
	CheckoutID string
	RequestID  string
	Status     Status
	Amount     Money
	Ref        Ref
	Checkout   *Checkout
	Source     Source
}

// OrderUpdater applies updates to the shop's orders. It must be idempotent.
type OrderUpdater interface {
	UpdateOrder(ctx context.Context, u Update) error
}

// OrderUpdaterFunc adapts a function to OrderUpdater.
type OrderUpdaterFunc func(ctx context.Context, u Update) error

// UpdateOrder calls f(ctx, u).
func (f OrderUpdaterFunc) UpdateOrder(ctx context.Context, u Update) error { return f(ctx, u) }

// RefFinder finds the Ref the shop recorded for a checkout id.
type RefFinder interface {
	FindRef(ctx context.Context, checkoutID string) (Ref, error)
}

// Result is the outcome of a payment as the shopper's next page sees it.
type Result struct {
	OrderID    string
	CheckoutID string
	Status     Status
	Amount     Money
	Source     Source
}

// Config configures a Handler.
type Config struct {
	Client               *Client
	Orders               Orders
	Updater              OrderUpdater
	Refs                 RefFinder
	Keys                 []KeyPair
	Store                Store
	ReturnBaseURL        string
	Prefix               string
	SuccessURL           string
	FailureURL           string
	OnResult             func(w http.ResponseWriter, r *http.Request, res Result)
	OnError              func(r *http.Request, err error)
	Logger               *slog.Logger
	PollTimeout          time.Duration
	PollInterval         time.Duration
	RefreshAfter         time.Duration
	AllowedRedirectHosts []string
}

// Handler serves /pay, /pay/return and /pay/notify.
type Handler struct{}

func New(cfg Config) (*Handler, error)                              { return nil, errors.New("stub") }
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {}
func (h *Handler) PayHandler() http.Handler                         { return h }
func (h *Handler) ReturnHandler() http.Handler                      { return h }
func (h *Handler) NotifyHandler() http.Handler                      { return h }
func (h *Handler) Middleware(next http.Handler) http.Handler        { return next }
func (h *Handler) Resolve(ctx context.Context, ref Ref, src Source) (Result, error) {
	return Result{}, errors.New("stub")
}

// ReconcileReport counts what a sweep did.
type ReconcileReport struct{ Checked, Final, Pending, Errors int }

func (h *Handler) Reconcile(ctx context.Context, refs []Ref) (ReconcileReport, error) {
	return ReconcileReport{}, errors.New("stub")
}
func ResultFromContext(ctx context.Context) (Result, bool)          { return Result{}, false }
func (h *Handler) ResultFromRequest(r *http.Request) (Result, bool) { return Result{}, false }
