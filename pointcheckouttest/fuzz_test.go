package pointcheckouttest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
)

// FuzzParseCreate feeds arbitrary bodies to the create validation: it must
// never panic, and whatever it accepts must be a checkout the API could
// hold (a positive, exact amount in a known currency, an absolute return
// URL, the required names).
func FuzzParseCreate(f *testing.F) {
	f.Add([]byte(`{"requestId":"R","orderId":"O","currency":"AED","amount":100.00,"items":[{"name":"x","quantity":1,"linetotal":100.00}],"customer":{"firstName":"A","lastName":"B","email":"a@b.c"},"billingAddress":{"name":"A","address1":"1","city":"C","country":"AE"},"returnUrl":"https://s.example/r"}`))
	f.Add([]byte(`{"requestId":"R","orderId":"O","currency":"KWD","amount":1.5e-2,"items":[{"name":"x","quantity":0.5,"linetotal":0.015}],"totals":{"subtotal":0.015,"tax":0},"customer":{"firstName":"A","lastName":"B","email":"a@b.c"},"billingAddress":{"name":"A","address1":"1","city":"C","country":"KWT"},"returnUrl":"http://127.0.0.1/r"}`))
	f.Add([]byte(`{"amount":"1","items":{},"customer":[],"requestId":null}`))
	f.Add([]byte(`{"requestId":"R","orderId":"O","currency":"AED","amount":"100.00","branchId":"7","deliveryAddress":null,"items":[{"name":"x","sku":null,"quantity":"1","linetotal":"100.00"}],"customer":{"id":null,"reference":"9","firstName":"A","lastName":"B","email":"a@b.c"},"billingAddress":{"name":"A","address1":"1","city":"C","country":"AE","zip":null},"returnUrl":"https://s.example/r?x=1"}`))
	f.Add([]byte(`{"amount":"1e2","currency":"AED","items":[{"quantity":"\u0031","linetotal":" 1"}]}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, probs := parseCreate(body)
		if len(probs) > 0 {
			if req != nil {
				t.Fatal("problems and a request")
			}
			if probs.message() == "" {
				t.Fatal("empty problem message")
			}
			return
		}
		if req == nil {
			t.Fatal("no request and no problems")
		}
		if !req.amount.IsValid() || req.amount.Minor() == 0 {
			t.Fatalf("accepted amount %v", req.amount)
		}
		if _, err := pointcheckout.ParseMoney(req.amount.Decimal(), req.amount.Currency()); err != nil {
			t.Fatalf("accepted amount does not round-trip: %v", err)
		}
		u, err := url.Parse(req.returnURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			t.Fatalf("accepted return URL %q", req.returnURL)
		}
		for _, s := range []string{req.requestID, req.orderID, req.customer.FirstName, req.customer.LastName, req.billing.Name, req.billing.City} {
			if strings.TrimSpace(s) == "" {
				t.Fatal("accepted a blank required field")
			}
		}
	})
}

// FuzzCheckCard feeds arbitrary form values to the payment form's
// validation: it must never panic, and it accepts only the test cards.
func FuzzCheckCard(f *testing.F) {
	f.Add("4242 4242 4242 4242", "12/25", "100", "TEST USER", "accepted")
	f.Add("4000-0000-0000-0002", "01 / 30", "1234", "x", "on")
	f.Add("4242424242424241", "13/25", "10", "", "")
	f.Add("٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", "12/25", "100", "A", "1")
	f.Fuzz(func(t *testing.T, number, expiry, cvv, name, terms string) {
		form := url.Values{"card_number": {number}, "expiry": {expiry}, "cvv": {cvv}, "card_name": {name}, "terms": {terms}}
		card, errs := checkCard(form)
		if len(errs) > 0 {
			return
		}
		if _, known := lookupCard(card.Number); !known {
			t.Fatalf("accepted unknown card %q", number)
		}
		if !luhnValid(card.Number) {
			t.Fatalf("accepted a card failing Luhn: %q", number)
		}
	})
}

func TestTestCardsPassLuhn(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range TestCards() {
		if !luhnValid(c.Number) {
			t.Errorf("%s fails the Luhn check", c.Number)
		}
		if seen[c.Number] {
			t.Errorf("%s listed twice", c.Number)
		}
		seen[c.Number] = true
		if (c.Outcome == pointcheckout.StatusPending) != (c.SettlesTo != "") {
			t.Errorf("%s: a pending outcome needs a settlement and only then", c.Number)
		}
	}
	if luhnValid("4242424242424241") || !luhnValid("79927398713") {
		t.Error("Luhn check is wrong")
	}
}

// FuzzRefundParams feeds arbitrary refund queries and bodies to the
// refund's reading: it must never panic, and what it accepts has an
// amount, a known currency and a note.
func FuzzRefundParams(f *testing.F) {
	f.Add("amount=10&currency=AED&note=x", []byte(nil))
	f.Add("note=Out%20of%20stock", []byte(`{"amount":"10.50","currency":"AED","note":"Out of stock","checkoutId":"1","items":null}`))
	f.Add("amount=10&currency=AED&note=x", []byte(`{"amount":11}`))
	f.Add("note=1+1", []byte(`[`))
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		vals, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		q, probs := refundParams(vals, body)
		if len(probs) > 0 {
			return
		}
		if q.amount == "" || strings.TrimSpace(q.note) == "" {
			t.Fatalf("accepted %+v", q)
		}
		if _, ok := pointcheckout.CurrencyExponent(q.currency); !ok {
			t.Fatalf("accepted currency %q", q.currency)
		}
	})
}

// FuzzAmountFaults checks the amount rewriting of the AmountDigits and
// RoundedAmount faults on every amount a currency can hold: the first
// never changes the value, the second is off by less than a half cent.
func FuzzAmountFaults(f *testing.F) {
	f.Add(int64(10000), "AED", 3)
	f.Add(int64(12345), "KWD", 2)
	f.Add(int64(9995), "KWD", 0)
	f.Add(int64(500), "JPY", 2)
	f.Add(int64(500), "JPY", 0)
	f.Add(int64(0), "KWD", 1)
	f.Fuzz(func(t *testing.T, minor int64, cur string, n int) {
		m, err := pointcheckout.NewMoney(minor, cur)
		if err != nil || minor < 0 || n < 0 || n > 12 {
			return
		}
		d := m.Decimal()
		out := withDigits(d, n)
		if canonical(out) != canonical(d) {
			t.Fatalf("withDigits(%s, %d) = %s changed the value", d, n, out)
		}
		if _, frac, _ := strings.Cut(out, "."); out != d && len(frac) != n {
			t.Fatalf("withDigits(%s, %d) = %s: not %d digits", d, n, out, n)
		}
		r := roundTwo(d)
		if _, frac, _ := strings.Cut(r, "."); len(frac) > 2 {
			t.Fatalf("roundTwo(%s) = %s", d, r)
		}
		if exponent(m) > 2 {
			cents, err := pointcheckout.ParseMoney(r, cur)
			if err != nil {
				t.Fatalf("roundTwo(%s) = %s unreadable: %v", d, r, err)
			}
			unit := int64(1)
			for range exponent(m) - 2 {
				unit *= 10
			}
			if diff := cents.Minor() - m.Minor(); diff*2 > unit || -diff*2 >= unit {
				t.Fatalf("roundTwo(%s) = %s is not the nearest cent, half up", d, r)
			}
		}
	})
}

// canonical writes a decimal without trailing fraction zeros.
func canonical(d string) string {
	if strings.Contains(d, ".") {
		d = strings.TrimRight(strings.TrimRight(d, "0"), ".")
	}
	return d
}

// exponent is how many fraction digits m's currency has.
func exponent(m pointcheckout.Money) int {
	e, _ := pointcheckout.CurrencyExponent(m.Currency())
	return e
}
