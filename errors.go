package pointcheckout

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors, for errors.Is. Errors from a [Client] wrap one of these
// (through [*APIError] or directly) whenever the cause is known.
var (
	// ErrNotFound: the API has no such checkout (or a search found none).
	ErrNotFound = errors.New("pointcheckout: checkout not found")
	// ErrUnauthorized: the API refused the key or secret.
	ErrUnauthorized = errors.New("pointcheckout: unauthorized")
	// ErrBadRequest: the API refused the request as invalid.
	ErrBadRequest = errors.New("pointcheckout: bad request")
	// ErrUnavailable: the gateway could not answer (network error, timeout,
	// 5xx, 429, a body that is not the API's JSON). The operation's outcome
	// is unknown and it is worth asking again later; it never means the
	// payment failed.
	ErrUnavailable = errors.New("pointcheckout: gateway unavailable")
	// ErrInvalidRequest: the request was refused before any network call
	// because it lacks a required field or holds an invalid value.
	ErrInvalidRequest = errors.New("pointcheckout: invalid request")
)

// APIError is an answer of the Merchant API that is not a success: its HTTP
// status and the API's own error message. It matches ErrNotFound,
// ErrUnauthorized, ErrBadRequest or ErrUnavailable under errors.Is.
type APIError struct {
	// Op is the operation, such as "create web checkout".
	Op string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Message is the API's "error" text, or a short description of an
	// answer that was not the API's JSON.
	Message string
}

// Error describes the failure. It never contains a credential: the API's
// text is scrubbed of the configured key and secret, which a gateway may
// echo.
func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if msg == "" {
		msg = "no answer"
	}
	return fmt.Sprintf("pointcheckout: %s: HTTP %d: %s", e.Op, e.StatusCode, msg)
}

// Is maps the answer onto the package's sentinel errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrUnavailable:
		return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests || e.StatusCode == 0
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound ||
			(e.StatusCode == http.StatusBadRequest && strings.Contains(strings.ToLower(e.Message), "not found"))
	case ErrBadRequest:
		// Any other refusal (400, 405, 409, 422, ...) is the request's
		// fault; credentials and rate limits have their own sentinels.
		return e.StatusCode >= 400 && e.StatusCode < 500 && e.StatusCode != http.StatusUnauthorized &&
			e.StatusCode != http.StatusForbidden && e.StatusCode != http.StatusTooManyRequests
	}
	return false
}

// FieldError names one invalid field of a request.
type FieldError struct {
	// Field is the JSON path of the field, such as "items[0].linetotal".
	Field string
	// Problem says what is wrong with it.
	Problem string
}

// ValidationError lists every problem found in a request before it was sent.
// It matches ErrInvalidRequest under errors.Is.
type ValidationError struct {
	// Fields lists every problem found, in the request's field order.
	Fields []FieldError
}

// Error lists the fields.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("pointcheckout: invalid request: ")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Problem)
	}
	return b.String()
}

// Is matches ErrInvalidRequest.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidRequest }

// ErrVerification reports a checkout whose API answer does not match the Ref
// the shop created it with. It is a security event: the order is not updated.
var ErrVerification = errors.New("pointcheckout: checkout does not match its reference")

// VerificationError names the fields of a checkout that differ from its Ref.
// It matches ErrVerification under errors.Is.
type VerificationError struct {
	// OrderID is the order of the Ref the checkout was checked against.
	OrderID string
	// CheckoutID is the id in the API's answer.
	CheckoutID string
	// Fields lists what differs: "id", "orderId", "requestId", "amount",
	// "currency".
	Fields []string
}

// Error lists the fields without their values.
func (e *VerificationError) Error() string {
	return fmt.Sprintf("pointcheckout: checkout %q of order %q does not match its reference: %s",
		clip(e.CheckoutID), clip(e.OrderID), strings.Join(e.Fields, ", "))
}

// Is matches ErrVerification.
func (e *VerificationError) Is(target error) bool { return target == ErrVerification }

// ErrUpdateFailed wraps an error returned by the OrderUpdater, so callers of
// Reconcile can tell "the shop could not store the update" from
// gateway trouble.
var ErrUpdateFailed = errors.New("pointcheckout: order updater failed")
