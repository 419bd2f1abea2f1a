package pointcheckout

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCurrencyExponent(t *testing.T) {
	tests := []struct {
		code   string
		want   int
		wantOK bool
	}{
		{"AED", 2, true},
		{"SAR", 2, true},
		{"USD", 2, true},
		{"EUR", 2, true},
		{"ZWL", 2, true}, // last entry of the two-digit list
		{"BHD", 3, true},
		{"KWD", 3, true},
		{"OMR", 3, true},
		{"JOD", 3, true},
		{"JPY", 0, true},
		{"KRW", 0, true},
		{"CLF", 4, true},
		{"XAU", 0, false}, // gold: no minor unit
		{"XXX", 0, false},
		{"aed", 0, false},
		{"Aed", 0, false},
		{"", 0, false},
		{"AE", 0, false},
		{"ED ", 0, false}, // straddles "AED " in the packed list
		{"D A", 0, false},
		{" AE", 0, false},
		{"AEDSAR", 0, false},
		{"AED ", 0, false},
		{"AED SAR", 0, false},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.code), func(t *testing.T) {
			got, ok := CurrencyExponent(tt.code)
			assert.Equal(t, tt.wantOK, ok)
			if tt.wantOK {
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

// TestCurrencyExponentPackedList checks every code of the packed two-digit
// list is found and nothing between codes is.
func TestCurrencyExponentPackedList(t *testing.T) {
	require.Zero(t, len(twoDigitCurrencies)%4, "every code must be followed by one space")
	for i := 0; i < len(twoDigitCurrencies); i += 4 {
		code := twoDigitCurrencies[i : i+3]
		require.Equal(t, byte(' '), twoDigitCurrencies[i+3], "after %s", code)
		exp, ok := CurrencyExponent(code)
		assert.True(t, ok, code)
		assert.Equal(t, 2, exp, code)
		for j := 1; j < 4 && i+j+3 <= len(twoDigitCurrencies); j++ {
			_, ok := CurrencyExponent(twoDigitCurrencies[i+j : i+j+3])
			assert.False(t, ok, "%q at offset %d", twoDigitCurrencies[i+j:i+j+3], i+j)
		}
	}
}

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		wantErr bool
	}{
		// Two-digit currency.
		{"100", "AED", 10000, false},
		{"100.0", "AED", 10000, false},
		{"100.00", "AED", 10000, false},
		{"0.05", "AED", 5, false},
		{"0", "AED", 0, false},
		{"0.00", "AED", 0, false},
		{"007.50", "AED", 750, false}, // leading zeros are accepted
		{"100.001", "AED", 0, true},
		{"100.000", "AED", 0, true}, // a zero past the minor unit still counts
		{"1499.99", "USD", 149999, false},
		// Three-digit currency.
		{"12.345", "KWD", 12345, false},
		{"12.3", "KWD", 12300, false},
		{"12", "BHD", 12000, false},
		{"12.3456", "KWD", 0, true},
		{"0.001", "OMR", 1, false},
		// Zero-digit currency.
		{"1", "JPY", 1, false},
		{"500", "JPY", 500, false},
		{"1.5", "JPY", 0, true},
		{"1.0", "JPY", 0, true},
		// Four-digit currency.
		{"1.2345", "CLF", 12345, false},
		{"1.23456", "CLF", 0, true},
		// Exponent forms (JSON numbers may carry one): exact or refused.
		{"1e2", "AED", 10000, false},
		{"1E2", "AED", 10000, false},
		{"1.0E7", "AED", 1000000000, false},
		{"1.5e+2", "AED", 15000, false},
		{"1.5e-1", "AED", 15, false},
		{"1.50e-1", "AED", 15, false},
		{"1.5e-3", "AED", 0, true},
		{"1.000e0", "AED", 100, false},
		{"0e-1000", "AED", 0, false},
		{"0e1000", "AED", 0, false},
		{"1e1000", "AED", 0, true},
		{"1e1001", "AED", 0, true},
		{"1e", "AED", 0, true},
		{"1e+", "AED", 0, true},
		{"e2", "AED", 0, true},
		{"1e2e3", "AED", 0, true},
		{"1e2.5", "AED", 0, true},
		// Signs, spaces and partial forms.
		{"-1", "AED", 0, true},
		{"+1", "AED", 0, true},
		{"-0", "AED", 0, true},
		{" 1", "AED", 0, true},
		{"1 ", "AED", 0, true},
		{"1 000", "AED", 0, true},
		{"1,5", "AED", 0, true},
		{"", "AED", 0, true},
		{"1.", "AED", 0, true},
		{".5", "AED", 0, true},
		{".", "AED", 0, true},
		{"1..5", "AED", 0, true},
		{"1.2.3", "AED", 0, true},
		{"0x10", "AED", 0, true},
		{"1_000", "AED", 0, true},
		{"NaN", "AED", 0, true},
		{"Inf", "AED", 0, true},
		{"١", "AED", 0, true}, // Arabic-Indic digit one
		// Range of int64 minor units.
		{"92233720368547758.07", "AED", math.MaxInt64, false},
		{"92233720368547758.08", "AED", 0, true},
		{"9223372036854775807", "JPY", math.MaxInt64, false},
		{"9223372036854775808", "JPY", 0, true},
		{"10000000000000000000", "JPY", 0, true},
		{"9223372036854775.807", "KWD", math.MaxInt64, false},
		{"99999999999999999999999999999", "AED", 0, true},
		{"9.223372036854775807e18", "JPY", math.MaxInt64, false},
		{"9.223372036854775808e18", "JPY", 0, true},
		{"00000000000000000000000000001", "JPY", 1, false},
		// Currency must be known and upper case.
		{"1", "aed", 0, true},
		{"1", "", 0, true},
		{"1", "XAU", 0, true},
		{"1", "ZZZ", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in+"_"+tt.cur, func(t *testing.T) {
			m, err := ParseMoney(tt.in, tt.cur)
			if tt.wantErr {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrInvalidAmount)
				assert.Equal(t, Money{}, m)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, m.Minor())
			assert.Equal(t, tt.cur, m.Currency())
			assert.True(t, m.IsValid())
		})
	}
}

func TestParseMoneyErrorClipsInput(t *testing.T) {
	long := strings.Repeat("9", 10_000)
	_, err := ParseMoney(long, "AED")
	require.ErrorIs(t, err, ErrInvalidAmount)
	assert.Less(t, len(err.Error()), 200)
}

func TestNewMoney(t *testing.T) {
	m, err := NewMoney(10000, "AED")
	require.NoError(t, err)
	assert.Equal(t, "100.00", m.Decimal())

	_, err = NewMoney(-1, "AED")
	assert.ErrorIs(t, err, ErrInvalidAmount)
	_, err = NewMoney(1, "aed")
	assert.ErrorIs(t, err, ErrInvalidAmount)
	_, err = NewMoney(1, "")
	assert.ErrorIs(t, err, ErrInvalidAmount)
}

func mustMoney(t testing.TB, minor int64, cur string) Money {
	t.Helper()
	m, err := NewMoney(minor, cur)
	require.NoError(t, err)
	return m
}

func TestMoneyFormatting(t *testing.T) {
	tests := []struct {
		minor       int64
		cur         string
		wantDecimal string
	}{
		{5, "AED", "0.05"},
		{0, "AED", "0.00"},
		{10000, "AED", "100.00"},
		{10001, "SAR", "100.01"},
		{12345, "KWD", "12.345"},
		{5, "KWD", "0.005"},
		{500, "JPY", "500"},
		{0, "JPY", "0"},
		{12345, "CLF", "1.2345"},
		{math.MaxInt64, "AED", "92233720368547758.07"},
	}
	for _, tt := range tests {
		t.Run(tt.wantDecimal+"_"+tt.cur, func(t *testing.T) {
			m := mustMoney(t, tt.minor, tt.cur)
			assert.Equal(t, tt.wantDecimal, m.Decimal())
			assert.Equal(t, tt.wantDecimal+" "+tt.cur, m.String())
			assert.Equal(t, tt.wantDecimal+" "+tt.cur, m.LogValue().String())
			b, err := json.Marshal(m)
			require.NoError(t, err)
			assert.Equal(t, tt.wantDecimal, string(b), "a bare JSON number")
		})
	}
	assert.Equal(t, "0 (no currency)", Money{}.String())
	assert.False(t, Money{}.IsValid())
}

func TestMoneyJSON(t *testing.T) {
	_, err := json.Marshal(Money{})
	assert.ErrorIs(t, err, ErrInvalidAmount, "the zero Money has no currency to format in")

	var bare Money
	err = json.Unmarshal([]byte(`100.00`), &bare)
	assert.ErrorIs(t, err, ErrInvalidAmount, "decoding needs the currency preset")

	tests := []struct {
		cur, in string
		want    int64
		wantErr bool
	}{
		{"AED", `100`, 10000, false},
		{"AED", `100.0`, 10000, false},
		{"AED", `100.00`, 10000, false},
		{"AED", `"100.50"`, 10050, false}, // a quoted decimal
		{"AED", `100.001`, 0, true},
		{"AED", `-1`, 0, true},
		{"AED", `"abc"`, 0, true},
		{"AED", `"\u0031"`, 0, true}, // escapes are not digits
		{"AED", `true`, 0, true},
		{"KWD", `12.345`, 12345, false},
		{"JPY", `1.5`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.cur+"_"+tt.in, func(t *testing.T) {
			m := mustMoney(t, 0, tt.cur)
			err := m.UnmarshalJSON([]byte(tt.in))
			if tt.wantErr {
				assert.ErrorIs(t, err, ErrInvalidAmount)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, mustMoney(t, tt.want, tt.cur), m)
		})
	}

	t.Run("inside a struct", func(t *testing.T) {
		v := struct {
			Amount Money `json:"amount"`
		}{Amount: mustMoney(t, 0, "BHD")}
		require.NoError(t, json.Unmarshal([]byte(`{"amount": 1.5}`), &v))
		assert.Equal(t, mustMoney(t, 1500, "BHD"), v.Amount)
		b, err := json.Marshal(v)
		require.NoError(t, err)
		assert.Equal(t, `{"amount":1.500}`, string(b))
	})

	t.Run("null leaves the value", func(t *testing.T) {
		m := mustMoney(t, 700, "AED")
		require.NoError(t, json.Unmarshal([]byte(`null`), &m))
		assert.Equal(t, mustMoney(t, 700, "AED"), m)
	})
}

// testCurrencies covers every exponent the package knows.
var testCurrencies = []string{"JPY", "AED", "SAR", "USD", "KWD", "BHD", "OMR", "JOD", "CLF"}

func TestMoneyRoundTrip(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	minors := []int64{0, 1, 9, 10, 99, 100, 999, 1000, 1e17, 1e18 - 1, 1e18, math.MaxInt64 - 1, math.MaxInt64}
	for range 2000 {
		// Spread over every magnitude, not only the huge values a uniform
		// draw gives.
		minors = append(minors, r.Int64N(int64(math.Pow10(1+r.IntN(18)))))
	}
	for _, cur := range testCurrencies {
		for _, minor := range minors {
			m := mustMoney(t, minor, cur)
			got, err := ParseMoney(m.Decimal(), cur)
			require.NoError(t, err, "%d %s as %q", minor, cur, m.Decimal())
			require.Equal(t, m, got, "%q", m.Decimal())

			b, err := json.Marshal(m)
			require.NoError(t, err)
			back := mustMoney(t, 0, cur)
			require.NoError(t, json.Unmarshal(b, &back))
			require.Equal(t, m, back, "JSON %s", b)
		}
	}
}

func TestMoneyAdd(t *testing.T) {
	sum, err := mustMoney(t, 10, "AED").Add(mustMoney(t, 5, "AED"))
	require.NoError(t, err)
	assert.Equal(t, mustMoney(t, 15, "AED"), sum)

	sum, err = mustMoney(t, math.MaxInt64-1, "AED").Add(mustMoney(t, 1, "AED"))
	require.NoError(t, err)
	assert.Equal(t, int64(math.MaxInt64), sum.Minor())

	_, err = mustMoney(t, math.MaxInt64, "AED").Add(mustMoney(t, 1, "AED"))
	assert.ErrorIs(t, err, ErrInvalidAmount, "overflow")

	_, err = mustMoney(t, 1, "AED").Add(mustMoney(t, 1, "SAR"))
	assert.ErrorIs(t, err, ErrInvalidAmount, "currency mismatch")

	_, err = Money{}.Add(Money{})
	assert.ErrorIs(t, err, ErrInvalidAmount, "no currency")
	_, err = mustMoney(t, 1, "AED").Add(Money{})
	assert.ErrorIs(t, err, ErrInvalidAmount)
}

func TestMoneyMul(t *testing.T) {
	tests := []struct {
		minor, n int64
		want     int64
		wantErr  bool
	}{
		{2500, 3, 7500, false},
		{2500, 0, 0, false},
		{0, math.MaxInt64, 0, false},
		{1, math.MaxInt64, math.MaxInt64, false},
		{math.MaxInt64, 1, math.MaxInt64, false},
		{math.MaxInt64 / 2, 2, math.MaxInt64 - 1, false},
		{math.MaxInt64/2 + 1, 2, 0, true},
		{math.MaxInt64, 2, 0, true},
		{3, math.MaxInt64/3 + 1, 0, true},
		{5, -1, 0, true},
	}
	for _, tt := range tests {
		t.Run(strconv.FormatInt(tt.minor, 10)+"x"+strconv.FormatInt(tt.n, 10), func(t *testing.T) {
			got, err := mustMoney(t, tt.minor, "KWD").Mul(tt.n)
			if tt.wantErr {
				assert.ErrorIs(t, err, ErrInvalidAmount)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, mustMoney(t, tt.want, "KWD"), got)
		})
	}
	_, err := Money{}.Mul(2)
	assert.ErrorIs(t, err, ErrInvalidAmount)
}

// moneyGrammar is the form ParseMoney documents, written independently of
// its hand-rolled scanner.
var moneyGrammar = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$`)

// oracleMinor computes with math/big what ParseMoney must return for s in a
// currency with exp fraction digits, or false where it must refuse.
func oracleMinor(s string, exp int) (int64, bool) {
	m := moneyGrammar.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	intPart, frac, e10Text := m[1], m[2], m[3]
	hasExp := strings.ContainsAny(s, "eE")
	if !hasExp && len(frac) > exp {
		return 0, false
	}
	e10 := new(big.Int)
	if hasExp {
		if _, ok := e10.SetString(e10Text, 10); !ok {
			return 0, false
		}
		if e10.CmpAbs(big.NewInt(maxExponent)) > 0 {
			return 0, false
		}
	}
	digits, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		return 0, false
	}
	// minor = digits * 10^(e10 - len(frac) + exp)
	k := e10.Int64() - int64(len(frac)) + int64(exp)
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(abs(k)), nil)
	v := new(big.Rat).SetInt(digits)
	if k >= 0 {
		v.Mul(v, new(big.Rat).SetInt(pow))
	} else {
		v.Quo(v, new(big.Rat).SetInt(pow))
	}
	if !v.IsInt() || !v.Num().IsInt64() {
		return 0, false
	}
	return v.Num().Int64(), true
}

func abs(k int64) int64 {
	if k < 0 {
		return -k
	}
	return k
}

// fuzzCurrencies are the currencies FuzzParseMoney picks from, invalid
// ones included.
var fuzzCurrencies = []string{"AED", "KWD", "JPY", "CLF", "SAR", "OMR", "XAU", "aed", ""}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"100", "100.0", "100.00", "100.001", "12.345", "1.5", "1e2", "1.5E-1",
		"92233720368547758.07", "92233720368547758.08", "-1", " 1", "1.", ".5", "", "0e-1000"} {
		for i := range fuzzCurrencies {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, s string, pick uint8) {
		cur := fuzzCurrencies[int(pick)%len(fuzzCurrencies)]
		m, err := ParseMoney(s, cur)
		exp, known := CurrencyExponent(cur)
		want, wantOK := oracleMinor(s, exp)
		if !known {
			wantOK = false
		}
		if !wantOK {
			if err == nil {
				t.Fatalf("ParseMoney(%q, %q) = %d, want an error", s, cur, m.Minor())
			}
			if !errors.Is(err, ErrInvalidAmount) {
				t.Fatalf("ParseMoney(%q, %q) error %v does not wrap ErrInvalidAmount", s, cur, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseMoney(%q, %q): %v, want %d", s, cur, err, want)
		}
		if m.Minor() != want || m.Currency() != cur {
			t.Fatalf("ParseMoney(%q, %q) = %d %s, want %d", s, cur, m.Minor(), m.Currency(), want)
		}
		back, err := ParseMoney(m.Decimal(), cur)
		if err != nil || back != m {
			t.Fatalf("Decimal %q of %q does not re-parse: %v, %v", m.Decimal(), s, back, err)
		}
	})
}
