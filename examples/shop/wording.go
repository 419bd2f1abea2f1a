package main

import (
	"fmt"

	"github.com/pointcheckout-go/pointcheckout"
)

// What the shopper reads about a payment. The Merchant API reports a
// checkout's status and no reason for a decline (its checkout object has
// no such field), so the words follow the status alone; the gateway's own
// detail stays on the admin page.

// statusText is the shopper's word for an order's payment status.
func statusText(s pointcheckout.Status) string {
	switch s {
	case "":
		return "Not paid online"
	case pointcheckout.StatusPending:
		return "Awaiting payment"
	case pointcheckout.StatusPendingConfirmation:
		return "Being confirmed"
	case pointcheckout.StatusAuthorized:
		return "Authorised"
	case pointcheckout.StatusPaid:
		return "Paid"
	case pointcheckout.StatusFailed:
		return "Declined"
	case pointcheckout.StatusCancelled:
		return "Cancelled"
	case pointcheckout.StatusExpired:
		return "Timed out"
	case pointcheckout.StatusRefunded:
		return "Refunded"
	case pointcheckout.StatusPartiallyRefunded:
		return "Partly refunded"
	case pointcheckout.StatusChargeback:
		return "Disputed"
	}
	return "Being checked"
}

// note is a paragraph about an order's payment on its pages.
type note struct {
	ID, Class, Text string
}

// Note says, in the shopper's words, what happened to the order's payment
// and what they can do; nil for an order with nothing to say yet.
func (o order) Note() *note {
	amount := o.Amount.String()
	switch s := o.Status; {
	case o.Method == methodCOD:
		return &note{"cod-note", "", fmt.Sprintf("You chose cash on delivery: please have %s ready when the courier arrives.", amount)}
	case s == "":
		return nil
	case s == pointcheckout.StatusPaid:
		return &note{"paid-note", "ok", fmt.Sprintf("Your payment of %s is confirmed. We are preparing your order.", amount)}
	case s == pointcheckout.StatusAuthorized:
		return &note{"paid-note", "ok", fmt.Sprintf("Your card is authorised for %s. The amount is reserved and will be charged when we ship your order.", amount)}
	case s == pointcheckout.StatusFailed:
		return &note{"failed-note", "bad", "Your card was declined, or the payment could not be completed. No money was taken. You can try again, with another card if you like; your bank can tell you why it declined."}
	case s == pointcheckout.StatusCancelled:
		return &note{"cancelled-note", "bad", "The payment was cancelled on the payment page. No money was taken. You can pay whenever you are ready."}
	case s == pointcheckout.StatusExpired:
		return &note{"expired-note", "bad", "The payment was not completed in time and the payment page has closed. No money was taken. You can pay again."}
	case s == pointcheckout.StatusPending:
		return &note{"pending-note", "", "The payment is not complete yet. If you have just paid, reload this page in a moment; if you left the payment page, you can pay again."}
	case s == pointcheckout.StatusPendingConfirmation:
		return &note{"pending-note", "", "Your bank is confirming the payment. This can take a few minutes; please do not pay again."}
	case s == pointcheckout.StatusRefunded:
		return &note{"refunded-note", "", fmt.Sprintf("Your payment of %s was refunded in full. Refunds take a few days to reach your card.", amount)}
	case s == pointcheckout.StatusPartiallyRefunded:
		return &note{"refunded-note", "", "Part of your payment was refunded. Refunds take a few days to reach your card."}
	case s == pointcheckout.StatusChargeback:
		return &note{"disputed-note", "bad", "The payment is disputed with your bank. Please contact us about this order."}
	}
	return &note{"pending-note", "", "We are checking the status of your payment. Please reload this page in a moment."}
}

// resultTitle is the heading of the page a shopper lands on after paying.
func resultTitle(s pointcheckout.Status) string {
	switch {
	case s.IsPaid():
		return "Thank you for your order"
	case s == pointcheckout.StatusAuthorized:
		return "Thank you for your order"
	case s == pointcheckout.StatusFailed:
		return "Your payment was declined"
	case s == pointcheckout.StatusCancelled:
		return "Payment cancelled"
	case s == pointcheckout.StatusExpired:
		return "Payment timed out"
	case s == pointcheckout.StatusPending || s == pointcheckout.StatusPendingConfirmation:
		return "Confirming your payment"
	}
	return "Your order"
}
