package pointcheckout

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// ErrInvalidAmount reports an amount that is not an exact, non-negative
// decimal with at most as many fraction digits as its currency allows, or a
// currency that is not an ISO 4217 code with a minor unit.
var ErrInvalidAmount = errors.New("pointcheckout: invalid amount")

// Money is an exact amount: a count of the currency's minor units (fils,
// halalas, cents, ...) and the ISO 4217 code of that currency. It never passes
// through a float, so 0.1 + 0.2 is exactly 0.3 and 12.345 KWD stays 12345 fils.
//
// The zero value has no currency and is not a valid amount; build one with
// [NewMoney] or [ParseMoney]. Money is comparable with ==: two values are
// equal when both the currency and the minor units are.
type Money struct {
	minor    int64
	currency string
}

// NewMoney returns minor units of currency, for example NewMoney(10000, "AED")
// for 100.00 AED. The currency must be a known ISO 4217 code (upper case) and
// minor must not be negative.
func NewMoney(minor int64, currency string) (Money, error) {
	if _, ok := CurrencyExponent(currency); !ok {
		return Money{}, fmt.Errorf("%w: unknown currency %q", ErrInvalidAmount, clip(currency))
	}
	if minor < 0 {
		return Money{}, fmt.Errorf("%w: negative amount", ErrInvalidAmount)
	}
	return Money{minor: minor, currency: currency}, nil
}

// ParseMoney parses a decimal string such as "100", "100.5" or "12.345" in the
// given currency, exactly or not at all.
//
// The accepted form is digits, an optional dot followed by at least one
// digit, and an optional exponent ("1.5E2", "1E+7", "2.5e-1"), because JSON
// numbers may carry one. Written without an exponent the amount may have at
// most as many fraction digits as the currency, even zeros: "100.000" AED is
// refused, not rounded. With an exponent the value only has to be exact in
// minor units ("1.50E-1" AED is 0.15). Signs, spaces, "1.", ".5", and values
// beyond the range of int64 minor units are refused. The currency must be an
// upper-case code that [CurrencyExponent] knows.
func ParseMoney(amount, currency string) (Money, error) {
	exp, ok := CurrencyExponent(currency)
	if !ok {
		return Money{}, fmt.Errorf("%w: unknown currency %q", ErrInvalidAmount, clip(currency))
	}
	minor, err := parseMinor(amount, exp)
	if err != nil {
		return Money{}, fmt.Errorf("%w: %q in %s: %s", ErrInvalidAmount, clip(amount), currency, err)
	}
	return Money{minor: minor, currency: currency}, nil
}

// maxExponent bounds the exponent ParseMoney reads: anything larger cannot
// name an int64 count of minor units except zero, and the bound keeps the
// work on hostile input small.
const maxExponent = 1000

// parseMinor turns a non-negative decimal (optionally with an exponent) into
// an integer count of 10^-exp units, exactly or not at all.
func parseMinor(s string, exp int) (int64, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	mant, e10, hasExp := s, 0, false
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, hasExp = s[:i], true
		v, err := strconv.Atoi(s[i+1:])
		if err != nil || v > maxExponent || v < -maxExponent {
			return 0, errors.New("bad exponent")
		}
		e10 = v
	}
	intPart, frac, hasDot := strings.Cut(mant, ".")
	if intPart == "" || (hasDot && frac == "") {
		return 0, errors.New("not a decimal number")
	}
	digits := intPart + frac
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, errors.New("not a decimal number")
		}
	}
	if !hasExp && len(frac) > exp {
		return 0, errors.New("more decimals than the currency allows")
	}
	// value = digits * 10^(e10 - len(frac)); in minor units multiply by 10^exp.
	shift := e10 - len(frac) + exp
	if shift < 0 {
		// Only an exponent gets here: the digits past the minor unit must
		// all be zero for the value to be exact.
		cut := max(len(digits)+shift, 0)
		if strings.Trim(digits[cut:], "0") != "" {
			return 0, errors.New("more decimals than the currency allows")
		}
		digits, shift = digits[:cut], 0
	}
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return 0, nil
	}
	// int64 holds every 18-digit number and some of 19; ParseInt decides
	// the rest.
	if len(digits)+shift > 19 {
		return 0, errors.New("too large")
	}
	v, err := strconv.ParseInt(digits+strings.Repeat("0", shift), 10, 64)
	if err != nil {
		return 0, errors.New("too large")
	}
	return v, nil
}

// Minor returns the amount in minor units.
func (m Money) Minor() int64 { return m.minor }

// Currency returns the ISO 4217 code, or "" for the zero value.
func (m Money) Currency() string { return m.currency }

// IsValid reports whether m has a currency, that is, was built by NewMoney,
// ParseMoney or a successful decode rather than being the zero value.
func (m Money) IsValid() bool { return m.currency != "" }

// Decimal returns the amount as a decimal string with exactly the currency's
// fraction digits: "100.00", "12.345", "500".
func (m Money) Decimal() string {
	exp, _ := CurrencyExponent(m.currency)
	s := strconv.FormatInt(m.minor, 10)
	if exp == 0 {
		return s
	}
	if len(s) <= exp {
		s = strings.Repeat("0", exp-len(s)+1) + s
	}
	return s[:len(s)-exp] + "." + s[len(s)-exp:]
}

// String returns the amount and its currency, "100.00 AED".
func (m Money) String() string {
	if m.currency == "" {
		return "0 (no currency)"
	}
	return m.Decimal() + " " + m.currency
}

// LogValue makes slog print the amount as "100.00 AED".
func (m Money) LogValue() slog.Value { return slog.StringValue(m.String()) }

// Add returns m + o. Both must be in the same currency.
func (m Money) Add(o Money) (Money, error) {
	if m.currency != o.currency || m.currency == "" {
		return Money{}, fmt.Errorf("%w: cannot add %s to %s", ErrInvalidAmount, o.currency, m.currency)
	}
	s := m.minor + o.minor
	if s < m.minor {
		return Money{}, fmt.Errorf("%w: overflow", ErrInvalidAmount)
	}
	return Money{minor: s, currency: m.currency}, nil
}

// Mul returns m times a non-negative integer quantity, for line totals.
func (m Money) Mul(n int64) (Money, error) {
	if m.currency == "" || n < 0 {
		return Money{}, fmt.Errorf("%w: cannot multiply by %d", ErrInvalidAmount, n)
	}
	if n != 0 && m.minor > (1<<63-1)/n {
		return Money{}, fmt.Errorf("%w: overflow", ErrInvalidAmount)
	}
	return Money{minor: m.minor * n, currency: m.currency}, nil
}

// MarshalJSON writes the amount as a bare JSON number with the currency's
// fraction digits (100.00, 12.345), the form the Merchant API uses. The
// currency travels in its own field.
func (m Money) MarshalJSON() ([]byte, error) {
	if m.currency == "" {
		return nil, fmt.Errorf("%w: amount has no currency", ErrInvalidAmount)
	}
	return []byte(m.Decimal()), nil
}

// UnmarshalJSON reads a JSON number (or a quoted decimal) into m. Because the
// Merchant API carries the currency in a separate field, m must already hold
// the currency (set it with NewMoney(0, cur) first); the types in this
// package that embed amounts do so themselves. The text must satisfy
// [ParseMoney]; JSON null leaves m unchanged.
func (m *Money) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		// encoding/json's convention: null leaves the value as it was.
		return nil
	}
	if m.currency == "" {
		return fmt.Errorf("%w: decoding an amount needs its currency first", ErrInvalidAmount)
	}
	s := string(b)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := ParseMoney(s, m.currency)
	if err != nil {
		return err
	}
	*m = v
	return nil
}
