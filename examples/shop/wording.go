package main

import (
	"fmt"

	"github.com/pointcheckout-go/pointcheckout"
)

// What the shopper reads about a payment. The Merchant API reports a
// checkout's status and no reason for a decline (its checkout object has
// no such field), so the words follow the order's payment state alone; the
// gateway's own detail stays on the admin page.

// statusText is the shopper's word for an order's payment state.
func statusText(s pointcheckout.PaymentState) string {
	switch s {
	case pointcheckout.PaymentNone, "":
		return "Not paid online"
	case pointcheckout.PaymentPending:
		return "Awaiting payment"
	case pointcheckout.PaymentConfirming:
		return "Being confirmed"
	case pointcheckout.PaymentAuthorized:
		return "Authorised"
	case pointcheckout.PaymentPaid, pointcheckout.PaymentPaidTwice:
		return "Paid"
	case pointcheckout.PaymentFailed:
		return "Declined"
	case pointcheckout.PaymentCancelled:
		return "Cancelled"
	case pointcheckout.PaymentExpired:
		return "Timed out"
	case pointcheckout.PaymentRefunded:
		return "Refunded"
	case pointcheckout.PaymentPartiallyRefunded:
		return "Partly refunded"
	case pointcheckout.PaymentChargeback:
		return "Disputed"
	}
	return "Being checked"
}

// adminText is the admin page's word for an order's payment state: the
// state itself, and what to do when someone must act.
func adminText(s pointcheckout.PaymentState) string {
	switch s {
	case pointcheckout.PaymentNone, "":
		return "not paid online"
	case pointcheckout.PaymentPaidTwice:
		return "paid twice — refund"
	case pointcheckout.PaymentPartiallyRefunded:
		return "partially refunded"
	}
	return string(s)
}

// note is a paragraph about an order's payment on its pages.
type note struct {
	ID, Class, Text string
}

// Note says, in the shopper's words, what happened to the order's payment
// and what they can do; nil for an order with nothing to say yet.
func (o order) Note() *note {
	amount := o.Amount.String()
	switch s := o.Payment; {
	case o.Method == methodCOD:
		return &note{"cod-note", "", fmt.Sprintf("You chose cash on delivery: please have %s ready when the courier arrives.", amount)}
	case s == pointcheckout.PaymentNone || s == "":
		return nil
	case s == pointcheckout.PaymentPaid:
		return &note{"paid-note", "ok", fmt.Sprintf("Your payment of %s is confirmed. We are preparing your order.", amount)}
	case s == pointcheckout.PaymentPaidTwice:
		return &note{"paid-note", "ok", fmt.Sprintf("Your payment of %s is confirmed. It was taken twice: we are refunding the extra payment, which takes a few days to reach your card.", amount)}
	case s == pointcheckout.PaymentAuthorized:
		return &note{"paid-note", "ok", fmt.Sprintf("Your card is authorised for %s. The amount is reserved and will be charged when we ship your order.", amount)}
	case s == pointcheckout.PaymentFailed:
		return &note{"failed-note", "bad", "Your card was declined, or the payment could not be completed. No money was taken. You can try again, with another card if you like; your bank can tell you why it declined."}
	case s == pointcheckout.PaymentCancelled:
		return &note{"cancelled-note", "bad", "The payment was cancelled on the payment page. No money was taken. You can pay whenever you are ready."}
	case s == pointcheckout.PaymentExpired:
		return &note{"expired-note", "bad", "The payment was not completed in time and the payment page has closed. No money was taken. You can pay again."}
	case s == pointcheckout.PaymentPending:
		return &note{"pending-note", "", "The payment is not complete yet. If you have just paid, reload this page in a moment; if you left the payment page, you can pay again."}
	case s == pointcheckout.PaymentConfirming:
		return &note{"pending-note", "", "Your bank is confirming the payment. This can take a few minutes; please do not pay again."}
	case s == pointcheckout.PaymentRefunded:
		return &note{"refunded-note", "", fmt.Sprintf("Your payment of %s was refunded in full. Refunds take a few days to reach your card.", amount)}
	case s == pointcheckout.PaymentPartiallyRefunded:
		return &note{"refunded-note", "", "Part of your payment was refunded. Refunds take a few days to reach your card."}
	case s == pointcheckout.PaymentChargeback:
		return &note{"disputed-note", "bad", "The payment is disputed with your bank. Please contact us about this order."}
	}
	return &note{"pending-note", "", "We are checking the status of your payment. Please reload this page in a moment."}
}

// resultTitle is the heading of the page a shopper lands on after paying.
func resultTitle(s pointcheckout.PaymentState) string {
	switch s {
	case pointcheckout.PaymentPaid, pointcheckout.PaymentPaidTwice, pointcheckout.PaymentAuthorized:
		return "Thank you for your order"
	case pointcheckout.PaymentFailed:
		return "Your payment was declined"
	case pointcheckout.PaymentCancelled:
		return "Payment cancelled"
	case pointcheckout.PaymentExpired:
		return "Payment timed out"
	case pointcheckout.PaymentPending, pointcheckout.PaymentConfirming:
		return "Confirming your payment"
	}
	return "Your order"
}
