package pointcheckouttest

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"time"
)

// Endpoint names one operation of the sandbox, for [Server.InjectFault] and
// the request log.
type Endpoint int

// The sandbox's endpoints.
const (
	// EndpointOther is any API path the sandbox does not serve.
	EndpointOther Endpoint = iota
	// EndpointCreate is POST checkout/web.
	EndpointCreate
	// EndpointGet is GET checkout/{id}.
	EndpointGet
	// EndpointFind is GET checkout (search by requestId, orderId, ...).
	EndpointFind
	// EndpointCancel is POST checkout/{id}/cancel.
	EndpointCancel
	// EndpointRefund is POST checkout/{id}/refund.
	EndpointRefund
	// EndpointPage is the hosted payment page, GET and POST /checkout/{key}.
	EndpointPage
	numEndpoints
)

// String names the endpoint.
func (e Endpoint) String() string {
	switch e {
	case EndpointCreate:
		return "create"
	case EndpointGet:
		return "get"
	case EndpointFind:
		return "find"
	case EndpointCancel:
		return "cancel"
	case EndpointRefund:
		return "refund"
	case EndpointPage:
		return "page"
	}
	return "other"
}

type faultKind int

const (
	faultDelay faultKind = iota + 1
	faultStatus
	faultStatusEnvelope
	faultMalformed
	faultWrongAmount
	faultWrongOrderID
	faultWrongCurrency
	faultWrongRequestID
	faultWrongCheckoutID
	faultDrop
	faultDropAfterCommit
	faultNumericID
	faultAmountDigits
	faultRoundedAmount
	faultRedirect
)

// Fault is one way to misbehave; see [Server.InjectFault]. Build one with
// the functions below. Faults that answer before the operation runs
// (StatusCode, StatusCodeEnvelope, DropConnection) change nothing on the
// server; the others let the operation run (a create creates, a cancel
// cancels) and then spoil or withhold the answer, so a client that cannot
// read the answer must find out what happened by asking again.
type Fault struct {
	kind     faultKind
	delay    time.Duration
	code     int
	digits   int
	location string
}

// Delay holds the answer back for d of real time (not the server's clock),
// then serves the request normally. The wait ends early when the client
// gives up or the server closes. Use it to trip client timeouts; a client
// that times out after a create must look the checkout up by its requestId,
// because the create still happens once the wait is over (if the client
// has not hung up by then the answer is normal, otherwise the operation
// still runs).
func Delay(d time.Duration) Fault { return Fault{kind: faultDelay, delay: d} }

// StatusCode answers with the HTTP status code (500, 502, 503, 429, ...) and
// a body that is not the API's JSON (a short text/html error page), as a
// proxy or load balancer in front of the API would. Nothing is created or
// changed.
func StatusCode(code int) Fault { return Fault{kind: faultStatus, code: code} }

// StatusCodeEnvelope answers with the HTTP status code and the API's error
// envelope ({"success":false,"error":"..."}). Nothing is created or changed.
func StatusCodeEnvelope(code int) Fault { return Fault{kind: faultStatusEnvelope, code: code} }

// MalformedJSON runs the operation, then answers 200 with a truncated JSON
// body that no decoder accepts.
func MalformedJSON() Fault { return Fault{kind: faultMalformed} }

// WrongAmount runs the operation, then answers with the checkout amount one
// minor unit higher than the truth (100.00 becomes 100.01), as a tampered or
// buggy answer would. Only successful answers are altered.
func WrongAmount() Fault { return Fault{kind: faultWrongAmount} }

// WrongOrderID runs the operation, then answers with another order id.
func WrongOrderID() Fault { return Fault{kind: faultWrongOrderID} }

// WrongCurrency runs the operation, then answers with another currency (USD,
// or EUR for a USD checkout) and the same digits.
func WrongCurrency() Fault { return Fault{kind: faultWrongCurrency} }

// WrongRequestID runs the operation, then answers with another request id.
func WrongRequestID() Fault { return Fault{kind: faultWrongRequestID} }

// WrongCheckoutID runs the operation, then answers with another checkout id.
func WrongCheckoutID() Fault { return Fault{kind: faultWrongCheckoutID} }

// NumericID runs the operation, then answers the checkout id as a JSON
// number (1653241101733169556) instead of a string, as a loosely typed
// gateway might. The documents say string.
func NumericID() Fault { return Fault{kind: faultNumericID} }

// AmountDigits runs the operation, then writes every amount (amount,
// cashAmount, totalRefunded) with exactly n fraction digits where that
// keeps its value: 100.00 AED as 100.000 with n=3 or 100 with n=0, 12.345
// KWD as 12.3450 with n=4. An amount that n digits cannot hold exactly
// (12.345 with n=2) is written unchanged. A negative n counts as 0.
func AmountDigits(n int) Fault { return Fault{kind: faultAmountDigits, digits: max(n, 0)} }

// RoundedAmount runs the operation, then writes every amount rounded half
// up to two decimals (12.345 KWD as 12.35, 0.000 as 0.00), as a gateway
// that keeps only two decimals would. Amounts with two decimals or fewer
// are written unchanged.
func RoundedAmount() Fault { return Fault{kind: faultRoundedAmount} }

// Redirect answers with the HTTP status code (301, 302, 307 or 308 are the
// useful ones) and a Location header, and no body or envelope, as an API
// host that moved would. Nothing runs.
func Redirect(code int, location string) Fault {
	return Fault{kind: faultRedirect, code: code, location: location}
}

// DropConnection closes the connection without answering, before the
// operation runs: nothing is created or changed.
func DropConnection() Fault { return Fault{kind: faultDrop} }

// DropAfterCommit runs the operation (a create creates the checkout, a pay
// on the hosted page pays), then closes the connection without answering:
// the outcome is unknown to the caller, and a lookup by requestId finds the
// checkout.
func DropAfterCommit() Fault { return Fault{kind: faultDropAfterCommit} }

// String describes the fault.
func (f Fault) String() string {
	switch f.kind {
	case faultDelay:
		return "delay " + f.delay.String()
	case faultStatus:
		return fmt.Sprintf("status %d", f.code)
	case faultStatusEnvelope:
		return fmt.Sprintf("status %d (envelope)", f.code)
	case faultMalformed:
		return "malformed JSON"
	case faultWrongAmount:
		return "wrong amount"
	case faultWrongOrderID:
		return "wrong order id"
	case faultWrongCurrency:
		return "wrong currency"
	case faultWrongRequestID:
		return "wrong request id"
	case faultWrongCheckoutID:
		return "wrong checkout id"
	case faultDrop:
		return "drop connection"
	case faultDropAfterCommit:
		return "drop after commit"
	case faultNumericID:
		return "numeric id"
	case faultAmountDigits:
		return fmt.Sprintf("amounts with %d digits", f.digits)
	case faultRoundedAmount:
		return "amounts rounded to 2 digits"
	case faultRedirect:
		return fmt.Sprintf("redirect %d to %s", f.code, f.location)
	}
	return "no fault"
}

type faultSlot struct {
	f Fault
	n int
}

// InjectFault makes the next n requests to ep misbehave as f says. Faults
// queue: a second call for the same endpoint takes effect after the first
// one's n requests. Every request to the endpoint consumes one, whatever
// its outcome. On the hosted page (EndpointPage) only Delay, StatusCode,
// StatusCodeEnvelope (served as an HTML error page), DropConnection and
// DropAfterCommit mean anything; the other kinds are consumed and ignored.
func (s *Server) InjectFault(ep Endpoint, n int, f Fault) {
	if n <= 0 || ep <= EndpointOther || ep >= numEndpoints || f.kind == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[ep] = append(s.faults[ep], faultSlot{f: f, n: n})
}

// ClearFaults forgets every fault not yet served.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = [numEndpoints][]faultSlot{}
}

// PendingFaults reports how many faulty answers ep still has to give.
func (s *Server) PendingFaults(ep Endpoint) int {
	if ep < 0 || ep >= numEndpoints {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sl := range s.faults[ep] {
		n += sl.n
	}
	return n
}

// InjectedFaults counts the faults served since the server started (or
// was Reset), queued and random alike, by their String: "status 503",
// "drop connection", "delay 250ms" and so on.
func (s *Server) InjectedFaults() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.injected)
}

// takeFault consumes the next fault of ep, if any: a queued one, else a
// random one at the configured rate for an API endpoint. The caller holds
// s.mu.
func (s *Server) takeFault(ep Endpoint) (Fault, bool) {
	f, ok := s.nextFault(ep)
	if ok {
		if s.injected == nil {
			s.injected = map[string]int{}
		}
		s.injected[f.String()]++
	}
	return f, ok
}

func (s *Server) nextFault(ep Endpoint) (Fault, bool) {
	q := s.faults[ep]
	if len(q) == 0 {
		if ep == EndpointPage || s.cfg.faultRate == 0 || rand.Float64() >= s.cfg.faultRate {
			return Fault{}, false
		}
		return s.randomFault(), true
	}
	f := q[0].f
	q[0].n--
	if q[0].n == 0 {
		s.faults[ep] = q[1:]
	}
	return f, true
}

// randomFault picks one of the transient faults of WithFaultRate.
func (s *Server) randomFault() Fault {
	switch rand.IntN(6) {
	case 0:
		return StatusCode(http.StatusInternalServerError)
	case 1:
		return StatusCode(http.StatusBadGateway)
	case 2:
		return StatusCode(http.StatusServiceUnavailable)
	case 3:
		return StatusCode(http.StatusTooManyRequests)
	case 4:
		return DropConnection()
	}
	return Delay(s.cfg.faultDelay)
}
