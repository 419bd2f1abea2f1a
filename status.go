package pointcheckout

import (
	"encoding/json"
	"strings"
)

// Status is the state of a checkout as the Merchant API reports it, in one
// canonical upper-case spelling whatever spelling the API used.
//
// Any spelling this package does not know parses as [StatusUnknown], which is
// never paid, never failed and never final: an unknown answer can only leave
// an order where it was.
type Status string

// The checkout statuses. The integration guides spell them in upper case
// (PAID, PARTIALLY_REFUNDED); the OpenAPI enums spell them as words ("Paid",
// "Partially refunded"); the newer API adds "Pending confirmation" and
// "Chargeback". [ParseStatus] accepts all of them.
const (
	// StatusUnknown is any status this package cannot name.
	StatusUnknown Status = "UNKNOWN"
	// StatusPending: created, the shopper has not completed the payment.
	StatusPending Status = "PENDING"
	// StatusPendingConfirmation: submitted, awaiting the processor's word.
	StatusPendingConfirmation Status = "PENDING_CONFIRMATION"
	// StatusAuthorized: authorized; a capture or cancel is expected before
	// the checkout expires. The shopper is done, the money is not yet taken.
	StatusAuthorized Status = "AUTHORIZED"
	// StatusPaid: the shopper paid.
	StatusPaid Status = "PAID"
	// StatusFailed: the payment failed (for example declined).
	StatusFailed Status = "FAILED"
	// StatusCancelled: the shopper cancelled on the payment page.
	StatusCancelled Status = "CANCELLED"
	// StatusExpired: the checkout expired without being paid.
	StatusExpired Status = "EXPIRED"
	// StatusRefunded: fully refunded after being paid.
	StatusRefunded Status = "REFUNDED"
	// StatusPartiallyRefunded: part of a paid amount was refunded.
	StatusPartiallyRefunded Status = "PARTIALLY_REFUNDED"
	// StatusChargeback: the card holder disputed a paid checkout.
	StatusChargeback Status = "CHARGEBACK"
)

// ParseStatus maps any spelling the API uses ("PAID", "Paid", "paid",
// "Partially refunded", "partially-refunded", "CANCELED") to its Status, and
// anything else to StatusUnknown.
//
// Only ASCII letters are case-folded: Unicode folding would read "paıd"
// (with a dotless ı) as PAID, and a status that decides whether goods ship
// must match exactly.
func ParseStatus(s string) Status {
	switch st := Status(s); st {
	case StatusPending, StatusPendingConfirmation, StatusAuthorized, StatusPaid,
		StatusFailed, StatusCancelled, StatusExpired, StatusRefunded,
		StatusPartiallyRefunded, StatusChargeback:
		// The canonical spelling, as the live API answers: no copy.
		return st
	}
	s = strings.TrimSpace(s)
	if len(s) > 32 {
		return StatusUnknown
	}
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z':
			b[i] = c - ('a' - 'A')
		case 'A' <= c && c <= 'Z', c == '_':
			b[i] = c
		case c == ' ', c == '-':
			b[i] = '_'
		default:
			return StatusUnknown
		}
	}
	switch n := Status(b); n {
	case StatusPending, StatusPendingConfirmation, StatusAuthorized, StatusPaid,
		StatusFailed, StatusCancelled, StatusExpired, StatusRefunded,
		StatusPartiallyRefunded, StatusChargeback:
		return n
	case "CANCELED":
		return StatusCancelled
	case "AUTHORISED":
		return StatusAuthorized
	}
	return StatusUnknown
}

// String returns the canonical spelling.
func (s Status) String() string {
	if s == "" {
		return string(StatusUnknown)
	}
	return string(s)
}

// Known reports whether s is one of the named statuses in its canonical
// spelling. StatusUnknown, the empty status and other spellings are not.
func (s Status) Known() bool {
	return s != StatusUnknown && ParseStatus(string(s)) == s
}

// IsPaid reports whether the shopper's money was taken and the checkout
// still stands: PAID. A refunded, partially refunded or disputed checkout was
// paid once, but the shop should look at it before it ships anything, so it
// is not reported as paid here.
func (s Status) IsPaid() bool { return s == StatusPaid }

// IsFailed reports whether the attempt ended without a payment: FAILED,
// CANCELLED or EXPIRED. The order may be retried with a new checkout.
func (s Status) IsFailed() bool {
	return s == StatusFailed || s == StatusCancelled || s == StatusExpired
}

// IsFinal reports whether the shopper's part is over: every known status but
// PENDING and PENDING_CONFIRMATION. A final status is worth telling the shop;
// a non-final one is worth asking again later. AUTHORIZED is final in this
// sense even though a capture may still move it to PAID.
func (s Status) IsFinal() bool {
	return s.Known() && s != StatusPending && s != StatusPendingConfirmation
}

// CanBecome reports whether an order whose checkout is in status s may move
// to status next: the forward-only rule an [OrderUpdater] applies so that
// repeated or out-of-order updates never move an order back. A PAID order may
// become REFUNDED, never PENDING; a FAILED checkout stays FAILED. The same
// status is not a move (false): the update is a repeat and changes nothing.
// The empty status (no checkout recorded yet) may become any known status.
// StatusUnknown is never a legal target.
//
// The rule is about one checkout: an order retried after a decline has a
// new checkout whose PENDING and PAID must not be judged against the old
// one's FAILED. [ApplyUpdate] combines an order's checkouts.
func (s Status) CanBecome(next Status) bool {
	if !next.Known() || s == next {
		return false
	}
	switch s {
	case "":
		return true
	case StatusPending:
		return next != StatusPending
	case StatusPendingConfirmation:
		return next != StatusPending
	case StatusAuthorized:
		// A capture (PAID) followed by a refund or a dispute may all
		// happen between two looks at the checkout.
		return next == StatusPaid || next.IsFailed() ||
			next == StatusRefunded || next == StatusPartiallyRefunded || next == StatusChargeback
	case StatusPaid:
		return next == StatusRefunded || next == StatusPartiallyRefunded || next == StatusChargeback
	case StatusPartiallyRefunded:
		return next == StatusRefunded || next == StatusChargeback
	}
	// FAILED, CANCELLED, EXPIRED, REFUNDED and CHARGEBACK end the checkout;
	// an unknown current status is not moved by this rule.
	return false
}

// UnmarshalJSON accepts any spelling; an unknown one becomes StatusUnknown
// rather than an error, so one new status from the API never breaks decoding
// of the rest of a checkout.
func (s *Status) UnmarshalJSON(b []byte) error {
	var raw string
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = ParseStatus(raw)
	return nil
}
