package main

import (
	"strings"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOrderNoteInShoppersWords: every status the gateway reports reads as
// a sentence for the shopper, never the gateway's word for it.
func TestOrderNoteInShoppersWords(t *testing.T) {
	amount, err := pointcheckout.NewMoney(12000, "AED")
	require.NoError(t, err)
	tests := []struct {
		status           pointcheckout.Status
		badge, id, words string
	}{
		{pointcheckout.StatusPending, "Awaiting payment", "pending-note", "not complete yet"},
		{pointcheckout.StatusPendingConfirmation, "Being confirmed", "pending-note", "please do not pay again"},
		{pointcheckout.StatusAuthorized, "Authorised", "paid-note", "authorised for 120.00 AED"},
		{pointcheckout.StatusPaid, "Paid", "paid-note", "Your payment of 120.00 AED is confirmed"},
		{pointcheckout.StatusFailed, "Declined", "failed-note", "Your card was declined"},
		{pointcheckout.StatusCancelled, "Cancelled", "cancelled-note", "cancelled on the payment page"},
		{pointcheckout.StatusExpired, "Timed out", "expired-note", "not completed in time"},
		{pointcheckout.StatusRefunded, "Refunded", "refunded-note", "refunded in full"},
		{pointcheckout.StatusPartiallyRefunded, "Partly refunded", "refunded-note", "Part of your payment was refunded"},
		{pointcheckout.StatusChargeback, "Disputed", "disputed-note", "disputed with your bank"},
		{pointcheckout.StatusUnknown, "Being checked", "pending-note", "checking the status"},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			o := order{Method: methodCard, Status: tt.status, Amount: amount}
			n := o.Note()
			require.NotNil(t, n)
			assert.Equal(t, tt.id, n.ID)
			assert.Contains(t, n.Text, tt.words)
			assert.Equal(t, tt.badge, statusText(tt.status))
			raw := strings.ReplaceAll(string(tt.status), "_", " ")
			assert.NotContains(t, n.Text, raw, "no gateway status word")
			assert.NotContains(t, n.Text, "PointCheckout")
			if tt.status.IsFailed() {
				assert.Contains(t, n.Text, "No money was taken.")
			}
		})
	}
	assert.Nil(t, order{Method: methodCard, Amount: amount}.Note(), "nothing to say before a payment")
	assert.Contains(t, order{Method: methodCOD, Amount: amount}.Note().Text, "cash on delivery")
}

func TestResultTitle(t *testing.T) {
	tests := map[pointcheckout.Status]string{
		pointcheckout.StatusPaid:       "Thank you for your order",
		pointcheckout.StatusAuthorized: "Thank you for your order",
		pointcheckout.StatusFailed:     "Your payment was declined",
		pointcheckout.StatusCancelled:  "Payment cancelled",
		pointcheckout.StatusExpired:    "Payment timed out",
		pointcheckout.StatusPending:    "Confirming your payment",
		pointcheckout.StatusRefunded:   "Your order",
	}
	for st, want := range tests {
		assert.Equal(t, want, resultTitle(st), st)
	}
}
