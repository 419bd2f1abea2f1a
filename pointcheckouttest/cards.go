package pointcheckouttest

import (
	"strings"

	"github.com/pointcheckout-go/pointcheckout"
)

// The test card numbers the hosted page knows. Any other number, even a
// valid one, is refused with a form error: the sandbox takes no real cards.
const (
	// CardPaid is the documented PointCheckout test card; it pays (PAID).
	CardPaid = "4242424242424242"
	// CardPaidMastercard pays too (PAID), to try a second brand.
	CardPaidMastercard = "5555555555554444"
	// CardDeclined is declined by the issuer (FAILED).
	CardDeclined = "4000000000000002"
	// CardAuthorizeOnly is authorized but not captured (AUTHORIZED).
	CardAuthorizeOnly = "4000000000000010"
	// CardPaidLater leaves the checkout PENDING after Pay; it reads as PAID
	// once the settle delay ([WithSettleDelay]) has passed on the server's
	// clock, or when [Server.Complete] says so. It drives "we are confirming
	// your payment" pages.
	CardPaidLater = "4000000000000077"
	// CardFailedLater is like CardPaidLater but settles to FAILED.
	CardFailedLater = "4000000000000036"
)

// The rest of the documented test card: any expiry date in MM/YY form is
// accepted (the documented 12/25 is in the past), and any 3 or 4 digit CVV.
const (
	TestExpiry = "12/25"
	TestCVV    = "100"
	TestName   = "TEST USER"
)

// TestCard is one row of the hosted page's test card table.
type TestCard struct {
	// Number is the card number without spaces.
	Number string
	// Expiry, CVV and Name are values the page accepts with it.
	Expiry, CVV, Name string
	// Outcome is the status right after Pay.
	Outcome pointcheckout.Status
	// SettlesTo is the status a PENDING outcome turns into after the
	// settle delay; empty when Outcome is already final.
	SettlesTo pointcheckout.Status
	// Description says what the card is for.
	Description string
}

// TestCards returns the hosted page's test card table, a fresh copy on
// every call.
func TestCards() []TestCard {
	row := func(n string, out, later pointcheckout.Status, d string) TestCard {
		return TestCard{Number: n, Expiry: TestExpiry, CVV: TestCVV, Name: TestName, Outcome: out, SettlesTo: later, Description: d}
	}
	return []TestCard{
		row(CardPaid, pointcheckout.StatusPaid, "", "the documented test card: pays"),
		row(CardPaidMastercard, pointcheckout.StatusPaid, "", "Mastercard: pays"),
		row(CardDeclined, pointcheckout.StatusFailed, "", "declined by the issuer"),
		row(CardAuthorizeOnly, pointcheckout.StatusAuthorized, "", "authorized, not captured"),
		row(CardPaidLater, pointcheckout.StatusPending, pointcheckout.StatusPaid, "stays PENDING, then settles to PAID"),
		row(CardFailedLater, pointcheckout.StatusPending, pointcheckout.StatusFailed, "stays PENDING, then settles to FAILED"),
	}
}

// lookupCard finds a test card by its digits.
func lookupCard(number string) (TestCard, bool) {
	for _, c := range TestCards() {
		if c.Number == number {
			return c, true
		}
	}
	return TestCard{}, false
}

// normalizeCardNumber drops the spaces and dashes people type in card
// numbers and reports whether what remains is 12 to 19 digits passing the
// Luhn check.
func normalizeCardNumber(s string) (string, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
	if len(s) < 12 || len(s) > 19 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return s, luhnValid(s)
}

// luhnValid reports whether a string of digits passes the Luhn check.
func luhnValid(digits string) bool {
	sum, double := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
