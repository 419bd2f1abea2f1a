package shoptest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// Exchange is a whole HTTP answer, headers included.
type Exchange struct {
	Status int
	Header http.Header
	Body   string
}

// Location is the answer's Location header.
func (e Exchange) Location() string { return e.Header.Get("Location") }

// NewRequest builds a request with raw header values (a Cookie header is
// sent exactly as given) and body ("" for none).
func NewRequest(t testing.TB, method, rawURL, body string, header http.Header) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return req
}

// Send performs req with client (nil: a client that follows no redirect
// and keeps no cookies).
func Send(t testing.TB, client *http.Client, req *http.Request) Exchange {
	t.Helper()
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Exchange{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

// Serve runs req through h in process, bypassing net/http's own limits on
// header size, so the package's own bounds are what is tested.
func Serve(h http.Handler, req *http.Request) Exchange {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return Exchange{Status: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
}

// TokenOf returns the signed return token in a return URL.
func TokenOf(t testing.TB, returnURL string) string {
	t.Helper()
	u, err := url.Parse(returnURL)
	if err != nil {
		t.Fatal(err)
	}
	tok := u.Query().Get("t")
	if tok == "" {
		t.Fatalf("return URL %s has no token", returnURL)
	}
	return tok
}

// WithoutHints is a return URL without the checkout and reference
// parameters the hosted page appends: a gateway that appends nothing, so
// a return without the cookie must search by request id.
func WithoutHints(t testing.TB, returnURL string) string {
	t.Helper()
	u, err := url.Parse(returnURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("checkout")
	q.Del("reference")
	u.RawQuery = q.Encode()
	return u.String()
}

// Flip changes one character in the middle of an encoded value.
func Flip(v string) string {
	b := []byte(v)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// EndpointRequests counts the requests the sandbox saw for ep.
func EndpointRequests(gw *pointcheckouttest.Server, ep pointcheckouttest.Endpoint) int {
	n := 0
	for _, r := range gw.Requests() {
		if r.Endpoint == ep {
			n++
		}
	}
	return n
}
