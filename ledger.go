package pointcheckout

import (
	"errors"
	"fmt"
	"slices"
)

// The refusals of [ApplyUpdate] that are not a [VerificationError].
var (
	// ErrUnknownAttempt: the update names a checkout that no SourcePay
	// update recorded for the order.
	ErrUnknownAttempt = errors.New("pointcheckout: payment attempt not recorded")
	// ErrAttemptRefused: the order may not start another payment attempt,
	// because it took money already or a policy of the shop's ledger says
	// no. It matches ErrInvalidRequest, so Orders may return it (400).
	ErrAttemptRefused = fmt.Errorf("%w: no new payment attempt for this order", ErrInvalidRequest)
)

// Attempt is one checkout attempt of an order, as a ledger keeps it.
type Attempt struct {
	// Ref is the attempt's reference, recorded from its SourcePay update.
	Ref Ref
	// Status is the latest status applied to the attempt.
	Status Status
}

// PaymentState is an order's payment state. It is derived from the order's
// attempts and never kept on its own (as Solidus and Spree derive an order's
// payment_state from its payments); the first matching line decides:
//
//	no attempt                       PaymentNone
//	attempts holding money (AUTHORIZED, PAID, PARTIALLY_REFUNDED):
//	  two or more                    PaymentPaidTwice (refund all but the oldest)
//	  one                            PaymentAuthorized, PaymentPaid, PaymentPartiallyRefunded
//	an attempt CHARGEBACK            PaymentChargeback
//	an attempt REFUNDED              PaymentRefunded
//	an attempt PENDING_CONFIRMATION  PaymentConfirming
//	else the newest attempt's status PaymentPending, PaymentFailed, PaymentCancelled, PaymentExpired
//
// So a newer attempt replaces one that took no money, an older attempt that
// took money wins over newer ones, and an update of another attempt never
// takes a paid order back.
type PaymentState string

// The payment states of an order.
const (
	// PaymentNone: no attempt recorded.
	PaymentNone PaymentState = "none"
	// PaymentPending: the newest attempt waits for the shopper.
	PaymentPending PaymentState = "pending"
	// PaymentConfirming: an attempt awaits the processor's confirmation.
	PaymentConfirming PaymentState = "confirming"
	// PaymentAuthorized: an attempt is authorized, not yet captured.
	PaymentAuthorized PaymentState = "authorized"
	// PaymentPaid: one attempt holds the shopper's money.
	PaymentPaid PaymentState = "paid"
	// PaymentPartiallyRefunded: part of the payment was given back.
	PaymentPartiallyRefunded PaymentState = "partially_refunded"
	// PaymentRefunded: the payment was given back.
	PaymentRefunded PaymentState = "refunded"
	// PaymentChargeback: the card holder disputed the payment.
	PaymentChargeback PaymentState = "chargeback"
	// PaymentPaidTwice: two or more attempts hold money; refund the extra.
	PaymentPaidTwice PaymentState = "paid_twice"
	// PaymentFailed: the newest attempt failed (a decline, say).
	PaymentFailed PaymentState = "failed"
	// PaymentCancelled: the newest attempt was cancelled.
	PaymentCancelled PaymentState = "cancelled"
	// PaymentExpired: the newest attempt expired unpaid.
	PaymentExpired PaymentState = "expired"
)

// TookMoney reports whether the shopper's money was taken for the order (it
// may since have been refunded or disputed): such an order is never offered
// for payment again.
func (s PaymentState) TookMoney() bool {
	switch s {
	case PaymentAuthorized, PaymentPaid, PaymentPartiallyRefunded, PaymentRefunded,
		PaymentChargeback, PaymentPaidTwice:
		return true
	}
	return false
}

// Outcome is what one update does to an order: the result of [ApplyUpdate].
type Outcome struct {
	// Attempts are the order's attempts after the update, oldest first (a
	// new slice; ApplyUpdate never changes its argument).
	Attempts []Attempt
	// Attempt is the attempt the update names, after it; zero when the
	// update is refused.
	Attempt Attempt
	// Before and After are the order's payment state around the update.
	Before, After PaymentState
	// AttemptChanged reports a new attempt or a status change: store it.
	AttemptChanged bool
	// OrderChanged reports Before != After: tell the shop, once.
	OrderChanged bool
	// Cancel lists, once the order took money, its attempts still PENDING:
	// cancel them at the gateway so they cannot be paid too.
	Cancel []Ref
	// Refund lists the attempts holding money besides the oldest one
	// (PaymentPaidTwice): refund them (cancel an AUTHORIZED one).
	Refund []Ref
	// Err is why the update was refused (nothing changed), or nil: it
	// wraps ErrUnknownAttempt, ErrAttemptRefused or ErrInvalidRef, or is
	// a *VerificationError (a security event).
	Err error
}

// ApplyUpdate applies u to an order's attempts, given oldest first (in the
// order their SourcePay updates were recorded), and says what changed. It is
// the OrderUpdater contract as one pure function: a ledger keeps each order's
// attempts, applies this under the order's lock, stores Outcome.Attempt when
// AttemptChanged and tells the shop when OrderChanged (package sqlledger does
// it all on SQLite and PostgreSQL). The rule:
//
//   - A SourcePay update records a new attempt with its whole Ref, unless
//     the order took money already (ErrAttemptRefused).
//   - Any other update must name a recorded attempt by its checkout id and
//     request id: neither recorded is ErrUnknownAttempt; one recorded and
//     the other missing or another attempt's, or another order or amount
//     than recorded, is a *VerificationError. So no id the shop did not
//     record at /pay ever becomes the order's.
//   - The attempt's status moves only where Status.CanBecome allows: a
//     repeat or a move back changes nothing and is no error.
//   - The order's state follows from all its attempts (see PaymentState).
//
// Applying the same update twice changes nothing the second time.
func ApplyUpdate(attempts []Attempt, u Update) Outcome {
	o := Outcome{Attempts: slices.Clone(attempts), Before: paymentState(attempts)}
	i, err := matchAttempt(attempts, u)
	switch {
	case err != nil:
		o.Err = err
	case i < 0 && o.Before.TookMoney():
		o.Err = fmt.Errorf("%w: order %q is %s", ErrAttemptRefused, clip(u.OrderID), o.Before)
	case i < 0:
		ref := u.Ref
		ref.CheckoutID = u.CheckoutID
		o.Attempts = append(o.Attempts, Attempt{Ref: ref, Status: u.Status})
		i, o.AttemptChanged = len(o.Attempts)-1, true
	case o.Attempts[i].Status.CanBecome(u.Status):
		o.Attempts[i].Status, o.AttemptChanged = u.Status, true
	}
	if i >= 0 {
		o.Attempt = o.Attempts[i]
	}
	o.After = paymentState(o.Attempts)
	o.OrderChanged = o.Before != o.After
	o.Cancel, o.Refund = followUps(o.Attempts, o.After)
	return o
}

// matchAttempt returns the index of the recorded attempt u names, -1 for a
// valid SourcePay update of a new attempt, or why u is refused.
func matchAttempt(attempts []Attempt, u Update) (int, error) {
	if u.OrderID == "" || u.CheckoutID == "" || u.RequestID == "" {
		return -1, fmt.Errorf("%w: update without an order, checkout or request id", ErrInvalidRef)
	}
	byCheckout, byRequest := -1, -1
	for i, a := range attempts {
		if a.Ref.CheckoutID == u.CheckoutID {
			byCheckout = i
		}
		if a.Ref.RequestID == u.RequestID {
			byRequest = i
		}
	}
	mismatch := func(fields ...string) error {
		return &VerificationError{OrderID: u.OrderID, CheckoutID: u.CheckoutID, Fields: fields}
	}
	switch {
	case byCheckout >= 0 && byCheckout == byRequest:
		rec := attempts[byCheckout].Ref
		switch {
		case rec.OrderID != u.OrderID:
			return -1, mismatch("orderId")
		case rec.Amount.Currency() != u.Amount.Currency():
			return -1, mismatch("currency")
		case rec.Amount != u.Amount:
			return -1, mismatch("amount")
		}
		return byCheckout, nil
	case byCheckout >= 0:
		// A recorded checkout under another request id.
		return -1, mismatch("requestId")
	case byRequest >= 0:
		// The recorded request names another checkout: the gateway, or
		// someone, offers a checkout the shop never recorded for it.
		return -1, mismatch("id")
	case u.Source != SourcePay:
		return -1, fmt.Errorf("%w: order %q has no attempt with checkout %q", ErrUnknownAttempt, clip(u.OrderID), clip(u.CheckoutID))
	}
	ref := u.Ref
	if err := ref.Validate(); err != nil {
		return -1, err
	}
	switch {
	case ref.OrderID != u.OrderID || ref.RequestID != u.RequestID || ref.CheckoutID != u.CheckoutID:
		return -1, fmt.Errorf("%w: the update's Ref names another attempt", ErrInvalidRef)
	case ref.Amount != u.Amount:
		return -1, mismatch("amount")
	case !u.Status.Known():
		return -1, fmt.Errorf("%w: new attempt with status %s", ErrInvalidRef, u.Status)
	}
	return -1, nil
}

// holdsMoney reports whether a checkout in status s holds the shopper's
// money now (refunded and charged-back checkouts held it once).
func holdsMoney(s Status) bool {
	return s == StatusAuthorized || s == StatusPaid || s == StatusPartiallyRefunded
}

// paymentState derives an order's state from its attempts (see
// PaymentState for the table).
func paymentState(attempts []Attempt) PaymentState {
	if len(attempts) == 0 {
		return PaymentNone
	}
	holding, first := 0, Attempt{}
	var refunded, chargeback, confirming bool
	for _, a := range attempts {
		switch {
		case holdsMoney(a.Status):
			if holding == 0 {
				first = a
			}
			holding++
		case a.Status == StatusChargeback:
			chargeback = true
		case a.Status == StatusRefunded:
			refunded = true
		case a.Status == StatusPendingConfirmation:
			confirming = true
		}
	}
	switch {
	case holding > 1:
		return PaymentPaidTwice
	case holding == 1 && first.Status == StatusAuthorized:
		return PaymentAuthorized
	case holding == 1 && first.Status == StatusPaid:
		return PaymentPaid
	case holding == 1:
		return PaymentPartiallyRefunded
	case chargeback:
		return PaymentChargeback
	case refunded:
		return PaymentRefunded
	case confirming:
		return PaymentConfirming
	}
	switch attempts[len(attempts)-1].Status {
	case StatusFailed:
		return PaymentFailed
	case StatusCancelled:
		return PaymentCancelled
	case StatusExpired:
		return PaymentExpired
	}
	return PaymentPending
}

// followUps lists the attempts to cancel (PENDING ones of an order that took
// money) and to refund (those holding money besides the oldest).
func followUps(attempts []Attempt, state PaymentState) (cancel, refund []Ref) {
	if !state.TookMoney() {
		return nil, nil
	}
	holding := 0
	for _, a := range attempts {
		switch {
		case a.Status == StatusPending:
			cancel = append(cancel, a.Ref)
		case holdsMoney(a.Status):
			if holding > 0 {
				refund = append(refund, a.Ref)
			}
			holding++
		}
	}
	return cancel, refund
}
