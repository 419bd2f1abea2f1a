package main

import (
	"encoding/hex"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadCheckout: whatever the form holds, a form without errors yields
// single-line fields of bounded length, a known country and a known method.
func FuzzReadCheckout(f *testing.F) {
	f.Add("first_name=Test&last_name=User&email=test%40example.com&address=1+Main&city=Dubai&country=AE&method=card")
	f.Add("first_name=%00&email=a%40b&country=ZZ&method=cod")
	f.Add("first_name=a&first_name=b&last_name=%E2%80%AE&email=%22x%22%40example.com&address=x&city=y&country=AE&method=cod")
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		c, m, errs := readCheckout(form)
		if len(errs) > 0 {
			return
		}
		for _, v := range []string{c.FirstName, c.LastName, c.Address, c.City} {
			if v == "" || utf8.RuneCountInString(v) > 100 || strings.ContainsAny(v, "\r\n\x00") {
				t.Fatalf("accepted field %q", v)
			}
		}
		known := false
		for _, k := range countries() {
			known = known || k.Code == c.Country
		}
		if !known || (m != methodCard && m != methodCOD) || len(c.Email) > 254 {
			t.Fatalf("accepted %+v, method %q", c, m)
		}
	})
}

// FuzzSessionLookup: any cookie value yields no session or the SHA-256 hex
// of a 32-byte id, never the raw value.
func FuzzSessionLookup(f *testing.F) {
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, value string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", sessionCookie+"="+value)
		got := sessions{}.lookup(r)
		if got == "" {
			return
		}
		if _, err := hex.DecodeString(got); err != nil || len(got) != 64 || got == value {
			t.Fatalf("lookup(%q) = %q", value, got)
		}
	})
}
