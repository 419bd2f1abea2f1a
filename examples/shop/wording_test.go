package main

import (
	"strings"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOrderNoteInShoppersWords: every payment state reads as a sentence
// for the shopper, never the gateway's word for it.
func TestOrderNoteInShoppersWords(t *testing.T) {
	amount, err := pointcheckout.NewMoney(12000, "AED")
	require.NoError(t, err)
	tests := []struct {
		status           pointcheckout.PaymentState
		badge, id, words string
	}{
		{pointcheckout.PaymentPending, "Awaiting payment", "pending-note", "not complete yet"},
		{pointcheckout.PaymentConfirming, "Being confirmed", "pending-note", "please do not pay again"},
		{pointcheckout.PaymentAuthorized, "Authorised", "paid-note", "authorised for 120.00 AED"},
		{pointcheckout.PaymentPaid, "Paid", "paid-note", "Your payment of 120.00 AED is confirmed"},
		{pointcheckout.PaymentPaidTwice, "Paid", "paid-note", "we are refunding the extra payment"},
		{pointcheckout.PaymentFailed, "Declined", "failed-note", "Your card was declined"},
		{pointcheckout.PaymentCancelled, "Cancelled", "cancelled-note", "cancelled on the payment page"},
		{pointcheckout.PaymentExpired, "Timed out", "expired-note", "not completed in time"},
		{pointcheckout.PaymentRefunded, "Refunded", "refunded-note", "refunded in full"},
		{pointcheckout.PaymentPartiallyRefunded, "Partly refunded", "refunded-note", "Part of your payment was refunded"},
		{pointcheckout.PaymentChargeback, "Disputed", "disputed-note", "disputed with your bank"},
		{"something_new", "Being checked", "pending-note", "checking the status"},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			o := order{Method: methodCard, Payment: tt.status, Amount: amount}
			n := o.Note()
			require.NotNil(t, n)
			assert.Equal(t, tt.id, n.ID)
			assert.Contains(t, n.Text, tt.words)
			assert.Equal(t, tt.badge, statusText(tt.status))
			raw := strings.ReplaceAll(string(tt.status), "_", " ")
			assert.NotContains(t, n.Text, strings.ToUpper(raw), "no gateway status word")
			assert.NotContains(t, n.Text, "PointCheckout")
			switch tt.status {
			case pointcheckout.PaymentFailed, pointcheckout.PaymentCancelled, pointcheckout.PaymentExpired:
				assert.Contains(t, n.Text, "No money was taken.")
			}
		})
	}
	assert.Nil(t, order{Method: methodCard, Amount: amount, Payment: pointcheckout.PaymentNone}.Note(), "nothing to say before a payment")
	assert.Contains(t, order{Method: methodCOD, Amount: amount}.Note().Text, "cash on delivery")
}

func TestResultTitle(t *testing.T) {
	tests := map[pointcheckout.PaymentState]string{
		pointcheckout.PaymentPaid:       "Thank you for your order",
		pointcheckout.PaymentPaidTwice:  "Thank you for your order",
		pointcheckout.PaymentAuthorized: "Thank you for your order",
		pointcheckout.PaymentFailed:     "Your payment was declined",
		pointcheckout.PaymentCancelled:  "Payment cancelled",
		pointcheckout.PaymentExpired:    "Payment timed out",
		pointcheckout.PaymentPending:    "Confirming your payment",
		pointcheckout.PaymentConfirming: "Confirming your payment",
		pointcheckout.PaymentRefunded:   "Your order",
	}
	for st, want := range tests {
		assert.Equal(t, want, resultTitle(st), st)
	}
}
