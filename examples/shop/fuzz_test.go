package main

import (
	"encoding/hex"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
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

// FuzzClientAddr: whatever X-Forwarded-For holds, the client is the peer
// unless the peer is a trusted proxy, and otherwise an address that
// appears in the header, never one made up.
func FuzzClientAddr(f *testing.F) {
	f.Add("127.0.0.1:1234", "198.51.100.1")
	f.Add("127.0.0.1:1234", "203.0.113.9, 198.51.100.1, 10.0.0.1")
	f.Add("192.0.2.7:5555", "198.51.100.1")
	f.Add("[::1]:80", "::ffff:10.1.2.3,,  ,2001:db8::1")
	f.Add("127.0.0.1:1", "not-an-ip, 1.2.3.4")
	c := clientAddrs{trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("10.0.0.0/8")}}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got := c.addr(r)
		peer, err := netip.ParseAddrPort(remote)
		if err != nil {
			if got.IsValid() {
				t.Fatalf("unreadable peer %q gave %s", remote, got)
			}
			return
		}
		if p := peer.Addr().Unmap(); !c.isTrusted(p) || got == p {
			if got != p {
				t.Fatalf("peer %s: got %s", p, got)
			}
			return
		}
		for h := range strings.SplitSeq(xff, ",") {
			if a, err := netip.ParseAddr(strings.TrimSpace(h)); err == nil && a.Unmap() == got {
				return
			}
		}
		t.Fatalf("client %s is neither the peer nor in %q", got, xff)
	})
}

// FuzzHostAllows: a Host value is accepted only when it names the base
// URL's host and port or a loopback address.
func FuzzHostAllows(f *testing.F) {
	f.Add("shop.example.com")
	f.Add("SHOP.EXAMPLE.COM.:443")
	f.Add("evil.example")
	f.Add("[::1]:8080")
	f.Add("127.0.0.1.nip.io")
	f.Add("shop.example.com:443:443")
	base, err := url.Parse("https://shop.example.com")
	if err != nil {
		f.Fatal(err)
	}
	h := newHostCheck(base, slog.New(slog.DiscardHandler), time.Now)
	f.Fuzz(func(t *testing.T, host string) {
		if !h.allows(host) {
			return
		}
		name, port := splitHost(host, "https")
		if !isLoopback(name) && (name != "shop.example.com" || port != "443") {
			t.Fatalf("accepted Host %q (%q, %q)", host, name, port)
		}
	})
}
