package pointcheckout

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allStatuses is every named status, in the order the API moves through them.
var allStatuses = []Status{
	StatusPending, StatusPendingConfirmation, StatusAuthorized, StatusPaid,
	StatusFailed, StatusCancelled, StatusExpired,
	StatusRefunded, StatusPartiallyRefunded, StatusChargeback,
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in   string
		want Status
	}{
		// The integration guides, the PHP SDK and the paymennt query enum.
		{"PENDING", StatusPending},
		{"PENDING_CONFIRMATION", StatusPendingConfirmation},
		{"AUTHORIZED", StatusAuthorized},
		{"PAID", StatusPaid},
		{"FAILED", StatusFailed},
		{"CANCELLED", StatusCancelled},
		{"EXPIRED", StatusExpired},
		{"REFUNDED", StatusRefunded},
		{"PARTIALLY_REFUNDED", StatusPartiallyRefunded},
		{"CHARGEBACK", StatusChargeback},
		// The OpenAPI response enums.
		{"Pending", StatusPending},
		{"Authorized", StatusAuthorized},
		{"Pending confirmation", StatusPendingConfirmation},
		{"Paid", StatusPaid},
		{"Failed", StatusFailed},
		{"Cancelled", StatusCancelled},
		{"Expired", StatusExpired},
		{"Refunded", StatusRefunded},
		{"Partially refunded", StatusPartiallyRefunded},
		{"Chargeback", StatusChargeback},
		// Other spellings seen in the wild.
		{"pending", StatusPending},
		{"paid", StatusPaid},
		{"pAiD", StatusPaid},
		{" PAID ", StatusPaid},
		{"PAID\n", StatusPaid},
		{"partially-refunded", StatusPartiallyRefunded},
		{"CANCELED", StatusCancelled},
		{"Canceled", StatusCancelled},
		{"AUTHORISED", StatusAuthorized},
		// Unknown.
		{"", StatusUnknown},
		{"UNKNOWN", StatusUnknown},
		{"PAYED", StatusUnknown},
		{"PAID_OUT", StatusUnknown},
		{"SUCCESS", StatusUnknown},
		{"paid?", StatusUnknown},
		{"P A I D", StatusUnknown},
		{"Partially  refunded", StatusUnknown},
		{"PA\u0130D", StatusUnknown}, // dotted capital I
		{"pa\u0131d", StatusUnknown}, // dotless i: Unicode upper-cases it to I
		{"PAID\x00", StatusUnknown},
		{"\uFF30AID", StatusUnknown}, // full-width P
		{strings.Repeat("PAID", 20), StatusUnknown},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			got := ParseStatus(tt.in)
			assert.Equal(t, tt.want, got)
			if tt.want == StatusUnknown {
				assert.False(t, got.IsPaid(), "unknown is never paid")
				assert.False(t, got.IsFailed(), "unknown is never failed")
				assert.False(t, got.IsFinal(), "unknown is never final")
				assert.False(t, got.Known())
			}
		})
	}
}

func TestStatusPredicates(t *testing.T) {
	tests := []struct {
		s                          Status
		known, paid, failed, final bool
	}{
		{StatusPending, true, false, false, false},
		{StatusPendingConfirmation, true, false, false, false},
		{StatusAuthorized, true, false, false, true},
		{StatusPaid, true, true, false, true},
		{StatusFailed, true, false, true, true},
		{StatusCancelled, true, false, true, true},
		{StatusExpired, true, false, true, true},
		{StatusRefunded, true, false, false, true},
		{StatusPartiallyRefunded, true, false, false, true},
		{StatusChargeback, true, false, false, true},
		{StatusUnknown, false, false, false, false},
		{"", false, false, false, false},
		{"Paid", false, false, false, false}, // a spelling, not a Status: parse it first
		{"paid", false, false, false, false},
		{"BOGUS", false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(string(tt.s)), func(t *testing.T) {
			assert.Equal(t, tt.known, tt.s.Known(), "Known")
			assert.Equal(t, tt.paid, tt.s.IsPaid(), "IsPaid")
			assert.Equal(t, tt.failed, tt.s.IsFailed(), "IsFailed")
			assert.Equal(t, tt.final, tt.s.IsFinal(), "IsFinal")
		})
	}
	assert.Equal(t, "UNKNOWN", Status("").String())
	assert.Equal(t, "PAID", StatusPaid.String())
}

func TestStatusCanBecome(t *testing.T) {
	tests := []struct {
		from, to Status
		want     bool
	}{
		{"", StatusPending, true},
		{"", StatusPaid, true},
		{"", StatusFailed, true},
		{"", StatusUnknown, false},
		{"", "", false},
		{StatusPending, StatusPaid, true},
		{StatusPending, StatusPendingConfirmation, true},
		{StatusPending, StatusAuthorized, true},
		{StatusPending, StatusFailed, true},
		{StatusPending, StatusCancelled, true},
		{StatusPending, StatusExpired, true},
		{StatusPending, StatusPending, false},
		{StatusPending, StatusUnknown, false},
		{StatusPendingConfirmation, StatusPaid, true},
		{StatusPendingConfirmation, StatusFailed, true},
		{StatusPendingConfirmation, StatusPending, false},
		{StatusAuthorized, StatusPaid, true},
		{StatusAuthorized, StatusCancelled, true},
		{StatusAuthorized, StatusExpired, true},
		{StatusAuthorized, StatusPending, false},
		// Captured (PAID) and then refunded or disputed between two looks:
		// the gateway answers the latest status, never the PAID in between.
		{StatusAuthorized, StatusRefunded, true},
		{StatusAuthorized, StatusPartiallyRefunded, true},
		{StatusAuthorized, StatusChargeback, true},
		{StatusAuthorized, StatusPendingConfirmation, false},
		{StatusPaid, StatusRefunded, true},
		{StatusPaid, StatusPartiallyRefunded, true},
		{StatusPaid, StatusChargeback, true},
		{StatusPaid, StatusPending, false},
		{StatusPaid, StatusFailed, false},
		{StatusPaid, StatusCancelled, false},
		{StatusPaid, StatusExpired, false},
		{StatusPaid, StatusPaid, false},
		{StatusPaid, StatusUnknown, false},
		{StatusPartiallyRefunded, StatusRefunded, true},
		{StatusPartiallyRefunded, StatusChargeback, true},
		{StatusPartiallyRefunded, StatusPaid, false},
		{StatusFailed, StatusPaid, false},
		{StatusFailed, StatusPending, false},
		{StatusCancelled, StatusPaid, false},
		{StatusExpired, StatusPaid, false},
		{StatusRefunded, StatusPaid, false},
		{StatusRefunded, StatusPartiallyRefunded, false},
		{StatusChargeback, StatusPaid, false},
		{StatusUnknown, StatusPaid, false},
		{StatusPending, "Paid", false}, // targets must be canonical
	}
	for _, tt := range tests {
		t.Run(string(tt.from)+"->"+string(tt.to), func(t *testing.T) {
			assert.Equal(t, tt.want, tt.from.CanBecome(tt.to))
		})
	}
}

// TestStatusCanBecomeRules checks the rule's invariants over every pair.
func TestStatusCanBecomeRules(t *testing.T) {
	froms := append([]Status{"", StatusUnknown}, allStatuses...)
	for _, from := range froms {
		assert.False(t, from.CanBecome(StatusUnknown), "%s -> UNKNOWN", from)
		assert.False(t, from.CanBecome(from), "%s -> itself", from)
		for _, to := range allStatuses {
			if from == "" {
				assert.True(t, from.CanBecome(to), "nothing -> %s", to)
				continue
			}
			ok := from.CanBecome(to)
			if to == StatusPending {
				assert.False(t, ok, "%s -> PENDING goes back", from)
			}
			if from.IsFailed() || from == StatusRefunded || from == StatusChargeback || from == StatusUnknown {
				assert.False(t, ok, "%s ends the checkout but may become %s", from, to)
			}
			if ok && to.CanBecome(from) {
				t.Errorf("%s and %s may become each other", from, to)
			}
		}
	}
}

func TestStatusJSON(t *testing.T) {
	for _, s := range append([]Status{StatusUnknown}, allStatuses...) {
		b, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, strconv.Quote(string(s)), string(b))
		var back Status
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, s, back)
	}

	tests := []struct {
		in      string
		want    Status
		wantErr bool
	}{
		{`"Partially refunded"`, StatusPartiallyRefunded, false},
		{`"paid"`, StatusPaid, false},
		{`"SOMETHING_NEW"`, StatusUnknown, false},
		{`null`, StatusUnknown, false},
		{`5`, "", true},
		{`{"status":"PAID"}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var s Status
			err := json.Unmarshal([]byte(tt.in), &s)
			if tt.wantErr {
				assert.Error(t, err)
				assert.False(t, s.IsPaid())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, s)
		})
	}
}

// normalizeASCII is the spelling rule ParseStatus documents, written
// independently: ASCII letters upper-cased, spaces and hyphens to
// underscores, surrounding white space dropped, nothing else allowed.
func normalizeASCII(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, r := range s {
		if r >= 0x80 {
			return "", false
		}
	}
	s = strings.ToUpper(s)
	s = strings.ReplaceAll(s, " ", "_")
	s = strings.ReplaceAll(s, "-", "_")
	return s, true
}

func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{"PAID", "Paid", "paid", "Partially refunded", "PARTIALLY_REFUNDED",
		"Pending confirmation", "CANCELED", "AUTHORISED", "", "UNKNOWN", "pa\u0131d", " PAID "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ParseStatus(s)
		if !got.Known() && got != StatusUnknown {
			t.Fatalf("ParseStatus(%q) = %q: neither known nor StatusUnknown", s, got)
		}
		if ParseStatus(string(got)) != got {
			t.Fatalf("ParseStatus(%q) = %q does not parse as itself", s, got)
		}
		n, ascii := normalizeASCII(s)
		if got.IsPaid() && (!ascii || n != "PAID") {
			t.Fatalf("ParseStatus(%q) is paid but normalizes to %q", s, n)
		}
		if ascii && n == "PAID" && !got.IsPaid() {
			t.Fatalf("ParseStatus(%q) = %q, want PAID", s, got)
		}
		if got == StatusUnknown && (got.IsPaid() || got.IsFinal() || got.IsFailed()) {
			t.Fatalf("StatusUnknown from %q has a meaning", s)
		}
	})
}
