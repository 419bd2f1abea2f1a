package pointcheckouttest

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// ErrUnknownCheckout is returned by the test hooks for a checkout id the
// server never issued.
var ErrUnknownCheckout = errors.New("pointcheckouttest: unknown checkout")

// checkout is the server's record of one web checkout.
type checkout struct {
	id, displayID, key string
	requestID, orderID string
	amount, refunded   pointcheckout.Money
	status             pointcheckout.Status
	returnURL          string
	customer           wireCustomer
	billing            wireAddress
	delivery           *wireAddress
	branchID           string
	created, updated   time.Time
	// settleAt and settleTo describe a pending payment that turns final
	// later (CardPaidLater, CardFailedLater); settleAt is zero otherwise.
	settleAt time.Time
	settleTo pointcheckout.Status
	// submitted is set once the shopper pressed Pay, so the page shows
	// "confirming" instead of the form again.
	submitted bool
	method    string
	refunds   []Refund
	body      []byte
}

// Checkout is a snapshot of a checkout as the server holds it, for tests
// to assert on. Changing it changes nothing on the server.
type Checkout struct {
	// ID, DisplayID and CheckoutKey are the server's names for it.
	ID, DisplayID, CheckoutKey string
	// RequestID and OrderID are the shop's, as created.
	RequestID, OrderID string
	// Amount is what is owed; TotalRefunded what was refunded so far.
	Amount, TotalRefunded pointcheckout.Money
	// Status is the current status (expiry and settling applied).
	Status pointcheckout.Status
	// ReturnURL is the shop's return URL; RedirectURL the payment page as
	// the API answers it (see [WithPaymentPageURL]); PageURL where the page
	// is served, on [Server.URL].
	ReturnURL, RedirectURL, PageURL string
	// Created and Updated are on the server's clock; ExpiresAt is when a
	// still PENDING checkout turns EXPIRED.
	Created, Updated, ExpiresAt time.Time
	// SettlesAt is when a payment left pending by CardPaidLater or
	// CardFailedLater turns final; zero otherwise.
	SettlesAt time.Time
	// PaymentMethod is "CARD" once a card was used.
	PaymentMethod string
	// Refunds lists the accepted refunds, oldest first.
	Refunds []Refund
	// RequestBody is the create request exactly as received.
	RequestBody []byte
}

// Refund is one accepted refund of a checkout.
type Refund struct {
	// Amount is the refunded amount.
	Amount pointcheckout.Money
	// Note and ReferenceID are as sent by the shop.
	Note, ReferenceID string
	// At is on the server's clock.
	At time.Time
}

// Request is one API request as the server received it.
type Request struct {
	// Endpoint is which operation the request reached.
	Endpoint Endpoint
	// Method, Path and Query are as received.
	Method string
	Path   string
	Query  url.Values
	// Header holds the request headers, with the value of any credential
	// secret header replaced by "REDACTED".
	Header http.Header
	// Body is the request body as received.
	Body []byte
	// Time is on the server's clock.
	Time time.Time
}

// refresh applies what time did to c since it was last looked at: a
// pending payment settles, an unpaid checkout expires. Whichever was due
// first wins. The caller holds s.mu.
func (s *Server) refresh(c *checkout, now time.Time) {
	if c.status != pointcheckout.StatusPending {
		return
	}
	expiry := c.created.Add(s.cfg.ttl)
	switch {
	case !c.settleAt.IsZero() && !now.Before(c.settleAt) && c.settleAt.Before(expiry):
		s.setStatus(c, c.settleTo, c.settleAt)
	case !now.Before(expiry):
		s.setStatus(c, pointcheckout.StatusExpired, expiry)
	}
}

// setStatus moves c to st and queues a notification. The caller holds s.mu.
func (s *Server) setStatus(c *checkout, st pointcheckout.Status, at time.Time) {
	if st != pointcheckout.StatusPending {
		c.settleAt, c.settleTo = time.Time{}, ""
	}
	if c.status == st {
		return
	}
	s.dirty = true
	c.status, c.updated = st, at
	if s.cfg.logger != nil {
		s.cfg.logger.Info("pointcheckouttest: checkout status", "checkout", c.id, "order", c.orderID, "status", st.String())
	}
	if s.notify != nil {
		s.notes = append(s.notes, note{CheckoutID: c.id, Status: s.spell(st)})
	}
}

// spell writes a status the way this server answers it.
func (s *Server) spell(st pointcheckout.Status) string {
	if !s.cfg.enumSpelling {
		return st.String()
	}
	switch st {
	case pointcheckout.StatusPending:
		return "Pending"
	case pointcheckout.StatusPendingConfirmation:
		return "Pending confirmation"
	case pointcheckout.StatusAuthorized:
		return "Authorized"
	case pointcheckout.StatusPaid:
		return "Paid"
	case pointcheckout.StatusFailed:
		return "Failed"
	case pointcheckout.StatusCancelled:
		return "Cancelled"
	case pointcheckout.StatusExpired:
		return "Expired"
	case pointcheckout.StatusRefunded:
		return "Refunded"
	case pointcheckout.StatusPartiallyRefunded:
		return "Partially refunded"
	case pointcheckout.StatusChargeback:
		return "Chargeback"
	}
	return st.String()
}

func (s *Server) snapshot(c *checkout) Checkout {
	out := Checkout{
		ID: c.id, DisplayID: c.displayID, CheckoutKey: c.key,
		RequestID: c.requestID, OrderID: c.orderID,
		Amount: c.amount, TotalRefunded: c.refunded, Status: c.status,
		ReturnURL: c.returnURL, RedirectURL: s.redirectURL(c), PageURL: s.URL + pagePrefix + c.key,
		Created: c.created, Updated: c.updated, ExpiresAt: c.created.Add(s.cfg.ttl),
		SettlesAt: c.settleAt, PaymentMethod: c.method,
		Refunds:     slices.Clone(c.refunds),
		RequestBody: slices.Clone(c.body),
	}
	return out
}

// redirectURL is the payment page link the API answers.
func (s *Server) redirectURL(c *checkout) string {
	base := s.URL
	if s.cfg.pageURL != "" {
		base = s.cfg.pageURL
	}
	return base + pagePrefix + c.key
}

// Checkout returns a snapshot of the checkout with the given id, with
// expiry and settlement applied as of the server's clock.
func (s *Server) Checkout(id string) (Checkout, bool) {
	s.mu.Lock()
	defer s.unlock()
	c, ok := s.byID[id]
	if !ok {
		return Checkout{}, false
	}
	s.refresh(c, s.now())
	return s.snapshot(c), true
}

// Checkouts returns snapshots of every checkout, oldest first.
func (s *Server) Checkouts() []Checkout {
	s.mu.Lock()
	defer s.unlock()
	now := s.now()
	out := make([]Checkout, len(s.all))
	for i, c := range s.all {
		s.refresh(c, now)
		out[i] = s.snapshot(c)
	}
	return out
}

// Complete sets a checkout's status as if the shopper or the processor had
// done it, without a browser: PAID, FAILED, AUTHORIZED, CANCELLED, EXPIRED,
// PENDING, PENDING_CONFIRMATION, CHARGEBACK, REFUNDED (which refunds the
// whole amount) or PARTIALLY_REFUNDED (which records one minor unit as
// refunded if nothing was). It ignores the usual transition rules on
// purpose, so tests can also stage impossible histories, and it sends a
// notification like any other change.
func (s *Server) Complete(id string, status pointcheckout.Status) error {
	if !status.Known() {
		return fmt.Errorf("pointcheckouttest: cannot complete a checkout as %q", status)
	}
	s.mu.Lock()
	defer s.unlock()
	c, ok := s.byID[id]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownCheckout, id)
	}
	now := s.now()
	s.dirty = true
	switch status {
	case pointcheckout.StatusRefunded:
		c.refunded = c.amount
	case pointcheckout.StatusPartiallyRefunded:
		if c.refunded.Minor() == 0 {
			if c.amount.Minor() < 2 {
				return fmt.Errorf("pointcheckouttest: %s is too small to refund partially", c.amount)
			}
			c.refunded, _ = pointcheckout.NewMoney(1, c.amount.Currency())
		}
	}
	switch status {
	case pointcheckout.StatusPaid, pointcheckout.StatusAuthorized, pointcheckout.StatusRefunded,
		pointcheckout.StatusPartiallyRefunded, pointcheckout.StatusChargeback:
		if c.method == "" {
			c.method = "CARD"
		}
	}
	s.setStatus(c, status, now)
	if status == pointcheckout.StatusPending {
		// Back to a fresh pending checkout: the form shows again.
		c.submitted, c.settleAt, c.settleTo = false, time.Time{}, ""
	}
	return nil
}

// Requests returns a copy of the API request log, oldest first. Requests
// to the hosted page are not logged: they carry card data.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Query = cloneValues(r.Query)
		r.Header = r.Header.Clone()
		r.Body = slices.Clone(r.Body)
		out[i] = r
	}
	return out
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// Reset forgets every checkout, request and pending fault, as if the
// server had just started (with the same URL and credentials). With
// [WithStateFile] the file is emptied too.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.unlock()
	s.dirty = true
	clear(s.byID)
	clear(s.byKey)
	clear(s.byRequest)
	s.all = nil
	s.requests = nil
	s.faults = [numEndpoints][]faultSlot{}
	s.injected = nil
}

// logRequest records an API request. The caller holds s.mu.
func (s *Server) logRequest(ep Endpoint, r *http.Request, body []byte) {
	h := r.Header.Clone()
	for _, name := range []string{PointCheckoutSecretHeader, PaymenntSecretHeader, "X-Pointcheckout-Secret"} {
		if _, ok := h[http.CanonicalHeaderKey(name)]; ok {
			h.Set(name, "REDACTED")
		}
	}
	s.requests = append(s.requests, Request{
		Endpoint: ep, Method: r.Method, Path: r.URL.Path,
		Query: r.URL.Query(), Header: h, Body: slices.Clone(body), Time: s.now(),
	})
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
