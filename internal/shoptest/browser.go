package shoptest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// Browser is one shopper's browser: a cookie jar, no automatic redirects.
// Its methods fail the test on a transport error.
type Browser struct {
	t testing.TB
	// Client is the browser's HTTP client (BrowserClient).
	Client *http.Client
}

// Browser returns a new browser with an empty cookie jar.
func (s *Shop) Browser() *Browser { return NewBrowser(s.t) }

// NewBrowser returns a new browser with an empty cookie jar, for a shop
// this package did not build.
func NewBrowser(t testing.TB) *Browser {
	return &Browser{t: t, Client: BrowserClient(10 * time.Second)}
}

// BrowserClient is an HTTP client with its own cookie jar that follows no
// redirect, as a browser whose every step a test checks.
func BrowserClient(timeout time.Duration) *http.Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &http.Client{
		Jar:           jar,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Page is what a browser got: the status, the Location and the body.
type Page struct {
	Status   int
	Location string
	Body     string
}

// Do sends req.
func (b *Browser) Do(req *http.Request) Page {
	b.t.Helper()
	resp, err := b.Client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return Page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(body)}
}

// Get loads rawURL.
func (b *Browser) Get(rawURL string) Page {
	b.t.Helper()
	return b.Do(NewRequest(b.t, http.MethodGet, rawURL, "", nil))
}

// PostForm posts form to rawURL with the extra header.
func (b *Browser) PostForm(rawURL string, form url.Values, header http.Header) Page {
	b.t.Helper()
	req := NewRequest(b.t, http.MethodPost, rawURL, form.Encode(), header)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(req)
}

// Follow loads the target of the redirect p, relative to base.
func (b *Browser) Follow(base string, p Page) Page {
	b.t.Helper()
	if p.Status != http.StatusSeeOther && p.Status != http.StatusFound {
		b.t.Fatalf("not a redirect: %d %s", p.Status, p.Body)
	}
	u, err := url.Parse(base)
	if err != nil {
		b.t.Fatal(err)
	}
	loc, err := u.Parse(p.Location)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.Get(loc.String())
}

// Cookie returns the cookie named name the browser sends to rawURL, or nil.
func (b *Browser) Cookie(rawURL, name string) *http.Cookie {
	b.t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// CSRFToken finds the csrf field of the sandbox's payment page.
func CSRFToken(page string) (string, bool) {
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// CardForm is the payment page's form filled with the test card number
// (the sandbox's test expiry, CVV and name) and action ("pay" or
// "cancel").
func CardForm(csrf, number, action string) url.Values {
	return url.Values{
		"csrf": {csrf}, "card_number": {number}, "expiry": {pointcheckouttest.TestExpiry},
		"cvv": {pointcheckouttest.TestCVV}, "card_name": {pointcheckouttest.TestName},
		"terms": {"accepted"}, "action": {action},
	}
}

// SubmitCard fills the hosted payment page at pageURL like a shopper and
// returns the gateway's answer (a 303 to the shop's return URL when the
// attempt is over).
func (b *Browser) SubmitCard(pageURL, number, action string) Page {
	b.t.Helper()
	form := b.Get(pageURL)
	if form.Status != http.StatusOK {
		b.t.Fatalf("payment page answered %d: %s", form.Status, form.Body)
	}
	csrf, ok := CSRFToken(form.Body)
	if !ok {
		b.t.Fatal("payment page has no csrf field")
	}
	origin := pageURL[:strings.Index(pageURL, "/checkout/")]
	return b.PostForm(pageURL, CardForm(csrf, number, action), http.Header{"Origin": {origin}})
}
