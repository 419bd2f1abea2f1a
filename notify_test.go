package pointcheckout

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"testing"
)

// FuzzParseNotification checks the notification parser on any body and
// content type: it returns a well-formed checkout id or errBadNotification,
// and an id it is given in either supported shape comes back unchanged.
func FuzzParseNotification(f *testing.F) {
	for _, seed := range []struct{ body, ctype string }{
		{`{"checkoutId":"1234567890123456789","status":"PAID"}`, "application/json"},
		{`{"id":1234567890123456789}`, "application/json"},
		{`{"result":{"id":"abc_DEF-1"}}`, ""},
		{`{"checkout":{"id":"x"},"checkoutId":null}`, "text/plain"},
		{"checkoutId=123&status=PAID", "application/x-www-form-urlencoded"},
		{"id=..%2F..%2Fetc", "application/x-www-form-urlencoded; charset=utf-8"},
		{`{"checkoutId":"a\u0000b"}`, "application/json"},
		{"%zz", "application/x-www-form-urlencoded"},
	} {
		f.Add([]byte(seed.body), seed.ctype)
	}
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		id, err := parseNotification(bytes.NewReader(body), ctype)
		if err != nil {
			if !errors.Is(err, errBadNotification) || id != "" {
				t.Fatalf("parseNotification = %q, %v", id, err)
			}
		} else if !validCheckoutID(id) {
			t.Fatalf("parseNotification accepted the id %q", id)
		}

		// Whatever id the body held, a valid one sent alone in each shape
		// is read back exactly.
		if !validCheckoutID(string(body)) {
			return
		}
		want := string(body)
		js, _ := json.Marshal(map[string]string{"checkoutId": want})
		for _, in := range []struct {
			body  []byte
			ctype string
		}{
			{js, "application/json"},
			{[]byte("checkoutId=" + url.QueryEscape(want)), "application/x-www-form-urlencoded"},
		} {
			got, err := parseNotification(bytes.NewReader(in.body), in.ctype)
			if err != nil || got != want {
				t.Fatalf("round trip of %q as %s: %q, %v", want, in.ctype, got, err)
			}
		}
	})
}
