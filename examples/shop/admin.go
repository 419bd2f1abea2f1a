package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// sourceAdmin marks the updates the admin made by hand in an order's
// history.
const sourceAdmin pointcheckout.Source = "admin"

// Why an order could not be closed by hand.
var (
	errNothingOpen  = errors.New("the order has no open payment attempt")
	errGatewayKnows = errors.New("the gateway still knows the checkout")
)

// adminOnly asks for the admin password when one is configured. Wrong
// passwords are logged and throttled per client (Limits.AdminFailures):
// once a client has spent its tries, every admin request it sends is
// refused, the right password included, until a try returns.
func (s *Shop) adminOnly(next http.Handler) http.Handler {
	if s.cfg.AdminPassword == "" {
		return next
	}
	// Hashing first makes the comparison constant-time whatever the
	// lengths.
	want := sha256.Sum256([]byte("admin:" + s.cfg.AdminPassword))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, sent := r.BasicAuth()
		if !sent {
			s.askPassword(w)
			return
		}
		client := s.clients.addr(r)
		if wait := s.limits.adminFailures.wait(client); wait > 0 {
			// Not logged at Warn: the failures that led here were, and a
			// client hammering the page would fill the log.
			s.log.DebugContext(r.Context(), "admin login refused: too many wrong passwords", "client", client.String())
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
			http.Error(w, "too many wrong passwords; try again later", http.StatusTooManyRequests)
			return
		}
		got := sha256.Sum256([]byte(user + ":" + pass))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			s.limits.adminFailures.allow(client)
			s.log.LogAttrs(r.Context(), slog.LevelWarn, "admin login failed: wrong user or password",
				slog.String("client", client.String()), slog.String("user", clip(user)))
			s.askPassword(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// askPassword answers 401 with the basic auth challenge.
func (s *Shop) askPassword(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="shop admin", charset="UTF-8"`)
	http.Error(w, "authorization required", http.StatusUnauthorized)
}

// adminView is the admin page.
type adminView struct {
	Orders []order
	Report *pointcheckout.ReconcileReport
	Failed bool
	// Closed and NotClosed name the order of the last close action;
	// Why says why it was not closed.
	Closed, NotClosed, Why string
}

func (s *Shop) admin(w http.ResponseWriter, r *http.Request) {
	list, err := s.orders.recent(r.Context(), 100)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The orders could not be loaded.", err)
		return
	}
	q := r.URL.Query()
	v := adminView{Failed: q.Get("failed") == "1", Closed: q.Get("closed"), NotClosed: q.Get("notclosed")}
	switch q.Get("why") {
	case "known":
		v.Why = "PointCheckout still knows its checkout: use Reconcile now, or wait for the checkout to expire."
	case "none":
		v.Why = "it has no open payment attempt."
	case "":
	default:
		v.Why = "PointCheckout could not be asked; try again later."
	}
	v.Orders = list
	if q.Has("checked") {
		n := func(k string) int { i, _ := strconv.Atoi(q.Get(k)); return i }
		v.Report = &pointcheckout.ReconcileReport{Checked: n("checked"), Final: n("final"), Pending: n("pending"), Errors: n("errors")}
	}
	s.page(w, r, http.StatusOK, "admin", "Orders", v)
}

func (s *Shop) reconcileNow(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	rep, err := s.ReconcileNow(ctx)
	q := url.Values{}
	q.Set("checked", strconv.Itoa(rep.Checked))
	q.Set("final", strconv.Itoa(rep.Final))
	q.Set("pending", strconv.Itoa(rep.Pending))
	q.Set("errors", strconv.Itoa(rep.Errors))
	if err != nil {
		s.log.ErrorContext(r.Context(), "reconcile", "error", err)
		q.Set("failed", "1")
	}
	http.Redirect(w, r, "/admin?"+q.Encode(), http.StatusSeeOther)
}

// closeOrder is the admin's answer to an order whose checkout the gateway
// has forgotten (a sandbox that lost its state, say): no sweep can settle
// it, so the admin closes it. See Shop.CloseForgotten.
func (s *Shop) closeOrder(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	id := r.PathValue("id")
	err := s.CloseForgotten(ctx, id)
	q := url.Values{}
	switch {
	case err == nil:
		q.Set("closed", id)
	case errors.Is(err, errUnknownOrder):
		s.fail(w, r, http.StatusNotFound, "There is no such order.", nil)
		return
	case errors.Is(err, errGatewayKnows):
		q.Set("notclosed", id)
		q.Set("why", "known")
	case errors.Is(err, errNothingOpen):
		q.Set("notclosed", id)
		q.Set("why", "none")
	default:
		s.log.ErrorContext(r.Context(), "close order", "order", id, "error", err)
		q.Set("notclosed", id)
		q.Set("why", "unavailable")
	}
	http.Redirect(w, r, "/admin?"+q.Encode(), http.StatusSeeOther)
}

// exportOrder is one order in GET /admin/orders.json: what the shop
// recorded, for a load test to check against the gateway.
type exportOrder struct {
	ID       string                     `json:"id"`
	Amount   string                     `json:"amount"`
	Method   string                     `json:"method"`
	Payment  pointcheckout.PaymentState `json:"payment"`
	Attempts []exportAttempt            `json:"attempts"`
	// Changes are the payment state changes OrderChanged delivered, in
	// order, with the instance each reached.
	Changes []exportChange `json:"changes"`
}

type exportAttempt struct {
	CheckoutID string `json:"checkoutId"`
	RequestID  string `json:"requestId"`
	Status     string `json:"status"`
}

type exportChange struct {
	Before   string `json:"before"`
	After    string `json:"after"`
	Instance string `json:"instance"`
}

// exportOrders answers every order with its attempts and payment changes
// as JSON.
func (s *Shop) exportOrders(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	list, err := s.orders.list(ctx, `SELECT `+orderColumns+` FROM orders ORDER BY created_at`)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The orders could not be loaded.", err)
		return
	}
	changes, err := s.orders.changes(ctx)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The orders could not be loaded.", err)
		return
	}
	out := make([]exportOrder, 0, len(list))
	for _, o := range list {
		attempts, err := s.ledger.Attempts(ctx, o.ID)
		if err != nil {
			s.fail(w, r, http.StatusInternalServerError, "The orders could not be loaded.", err)
			return
		}
		e := exportOrder{ID: o.ID, Amount: o.Amount.String(), Method: string(o.Method), Payment: o.Payment,
			Attempts: []exportAttempt{}, Changes: changes[o.ID]}
		if e.Changes == nil {
			e.Changes = []exportChange{}
		}
		for _, a := range attempts {
			e.Attempts = append(e.Attempts, exportAttempt{CheckoutID: a.Ref.CheckoutID, RequestID: a.Ref.RequestID, Status: a.Status.String()})
		}
		out = append(out, e)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := json.NewEncoder(w).Encode(out); err != nil {
		s.log.WarnContext(ctx, "export orders", "error", err)
	}
}
