package pointcheckouttest_test

import (
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// browser drives the hosted page as a shopper's browser would: a cookie
// jar, form posts, and redirects captured instead of followed.
type browser struct {
	t  *testing.T
	hc *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, hc: &http.Client{
		Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

type pageResp struct {
	code     int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(req *http.Request) pageResp {
	b.t.Helper()
	res, err := b.hc.Do(req)
	require.NoError(b.t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(b.t, err)
	return pageResp{code: res.StatusCode, location: res.Header.Get("Location"), body: string(body), header: res.Header}
}

func (b *browser) get(u string) pageResp {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(b.t, err)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values, hdr ...string) pageResp {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// open loads the page and returns a form with its token, ready to fill.
func (b *browser) open(redirectURL string) url.Values {
	b.t.Helper()
	p := b.get(redirectURL)
	require.Equal(b.t, http.StatusOK, p.code, p.body)
	m := csrfField.FindStringSubmatch(p.body)
	require.NotNil(b.t, m, "no form on the page: %s", p.body)
	return url.Values{"csrf": {m[1]}}
}

func card(form url.Values, number, expiry, cvv, name string, terms bool) url.Values {
	form.Set("card_number", number)
	form.Set("expiry", expiry)
	form.Set("cvv", cvv)
	form.Set("card_name", name)
	if terms {
		form.Set("terms", "accepted")
	}
	form.Set("action", "pay")
	return form
}

func status(t *testing.T, s *pointcheckouttest.Server, id string) pointcheckout.Status {
	t.Helper()
	snap, ok := s.Checkout(id)
	require.True(t, ok)
	return snap.Status
}

const returnURL = "https://shop.example.com/pay/return?order=ORD-1&t=abc"

// returnedTo is where the page sends the shopper back from checkout c:
// the return URL with the checkout's id and request id appended.
func returnedTo(c co) string {
	return returnURL + "&checkout=" + c.ID + "&reference=" + c.RequestID
}

func TestPageShowsTheCheckout(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", func(m map[string]any) { m["orderId"] = "ORD-<b>7</b>" })
	p := newBrowser(t).get(c.RedirectURL)
	require.Equal(t, http.StatusOK, p.code)
	assert.Equal(t, "text/html; charset=utf-8", p.header.Get("Content-Type"))
	assert.Equal(t, "no-store", p.header.Get("Cache-Control"))
	assert.Contains(t, p.header.Get("Content-Security-Policy"), "form-action 'self' https://shop.example.com")
	assert.Equal(t, "DENY", p.header.Get("X-Frame-Options"))
	for _, want := range []string{
		`<html lang="en">`,
		`ORD-&lt;b&gt;7&lt;/b&gt;`, // escaped, never markup
		`100.00 AED`,
		`<label for="card-number">`, `name="card_number"`, `autocomplete="cc-number"`,
		`<label for="expiry">`, `placeholder="MM/YY"`,
		`<label for="cvv">`, `autocomplete="cc-csc"`,
		`<label for="card-name">`, `name="card_name"`,
		`type="checkbox" id="terms" name="terms"`, `<label for="terms">`,
		`value="pay">Pay 100.00 AED</button>`, `value="cancel" formnovalidate>Cancel</button>`,
		`method="post" action="/checkout/` + c.CheckoutKey + `"`,
		`4242 4242 4242 4242`,
	} {
		assert.Contains(t, p.body, want)
	}
	assert.NotContains(t, p.body, "<b>7</b>")
	assert.NotContains(t, p.body, s.Secret)
	assert.Equal(t, pointcheckout.StatusPending, status(t, s, c.ID), "looking changes nothing")
}

func TestPagePayments(t *testing.T) {
	tests := []struct {
		name   string
		number string
		want   pointcheckout.Status
	}{
		{"documented test card", "4242 4242 4242 4242", pointcheckout.StatusPaid},
		{"test card without spaces", pointcheckouttest.CardPaid, pointcheckout.StatusPaid},
		{"test card with dashes", "4242-4242-4242-4242", pointcheckout.StatusPaid},
		{"mastercard", pointcheckouttest.CardPaidMastercard, pointcheckout.StatusPaid},
		{"declined", "4000 0000 0000 0002", pointcheckout.StatusFailed},
		{"authorize only", pointcheckouttest.CardAuthorizeOnly, pointcheckout.StatusAuthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t)
			c := create(t, s, "R-1", nil)
			b := newBrowser(t)
			form := card(b.open(c.RedirectURL), tc.number, "12/25", "100", "TEST USER", true)
			p := b.post(c.RedirectURL, form)
			require.Equal(t, http.StatusSeeOther, p.code, p.body)
			assert.Equal(t, returnedTo(c), p.location, "the return URL comes back with checkout and reference appended")
			assert.Equal(t, tc.want, status(t, s, c.ID))
			assert.Equal(t, string(tc.want), get(t, s, c.ID).Status)
			assert.Equal(t, "CARD", get(t, s, c.ID).UsedPaymentMethod)

			// The page now shows the outcome instead of the form, and a
			// second Pay changes nothing.
			again := b.get(c.RedirectURL)
			assert.Equal(t, http.StatusOK, again.code)
			assert.NotContains(t, again.body, `name="card_number"`)
			assert.Contains(t, again.body, `id="state"`)
			assert.Contains(t, again.body, `href="`+html.EscapeString(returnedTo(c))+`"`)
			repost := b.post(c.RedirectURL, card(form, pointcheckouttest.CardDeclined, "12/25", "100", "X", true))
			assert.Equal(t, http.StatusConflict, repost.code)
			assert.Equal(t, tc.want, status(t, s, c.ID))
		})
	}
}

func TestPageAcceptsAnyExpiryForTestCards(t *testing.T) {
	for _, exp := range []string{"12/25", "01/20", "12/99", "06 / 31"} {
		s, _ := newServer(t)
		c := create(t, s, "R-1", nil)
		b := newBrowser(t)
		p := b.post(c.RedirectURL, card(b.open(c.RedirectURL), pointcheckouttest.CardPaid, exp, "100", "TEST USER", true))
		assert.Equal(t, http.StatusSeeOther, p.code, exp)
		assert.Equal(t, pointcheckout.StatusPaid, status(t, s, c.ID), exp)
	}
}

func TestPageCancel(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", nil)
	b := newBrowser(t)
	form := b.open(c.RedirectURL)
	form.Set("action", "cancel")
	p := b.post(c.RedirectURL, form)
	require.Equal(t, http.StatusSeeOther, p.code)
	assert.Equal(t, returnedTo(c), p.location)
	assert.Equal(t, pointcheckout.StatusCancelled, status(t, s, c.ID))
	assert.Contains(t, b.get(c.RedirectURL).body, "cancelled")
}

func TestPageRefusesInvalidInput(t *testing.T) {
	tests := []struct {
		name                       string
		number, expiry, cvv, owner string
		terms                      bool
		message                    string
	}{
		{"bad luhn", "4242 4242 4242 4241", "12/25", "100", "TEST USER", true, "valid card number"},
		{"too short", "4242", "12/25", "100", "TEST USER", true, "valid card number"},
		{"letters", "4242 4242 4242 42ab", "12/25", "100", "TEST USER", true, "valid card number"},
		{"unknown card", "4111 1111 1111 1111", "12/25", "100", "TEST USER", true, "not accepted"},
		{"no terms", pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", false, "terms"},
		{"cvv too short", pointcheckouttest.CardPaid, "12/25", "10", "TEST USER", true, "CVV"},
		{"cvv letters", pointcheckouttest.CardPaid, "12/25", "1a0", "TEST USER", true, "CVV"},
		{"expiry month 13", pointcheckouttest.CardPaid, "13/25", "100", "TEST USER", true, "MM/YY"},
		{"expiry without slash", pointcheckouttest.CardPaid, "1225", "100", "TEST USER", true, "MM/YY"},
		{"expiry empty", pointcheckouttest.CardPaid, "", "100", "TEST USER", true, "MM/YY"},
		{"no name", pointcheckouttest.CardPaid, "12/25", "100", " ", true, "name on the card"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t)
			c := create(t, s, "R-1", nil)
			b := newBrowser(t)
			p := b.post(c.RedirectURL, card(b.open(c.RedirectURL), tc.number, tc.expiry, tc.cvv, tc.owner, tc.terms))
			assert.Equal(t, http.StatusUnprocessableEntity, p.code)
			assert.Empty(t, p.location)
			assert.Contains(t, p.body, `role="alert"`)
			assert.Contains(t, p.body, tc.message)
			assert.Contains(t, p.body, `name="card_number"`, "the form is shown again")
			assert.NotContains(t, p.body, tc.number+`"`, "the card number is not echoed back")
			assert.Equal(t, pointcheckout.StatusPending, status(t, s, c.ID), "nothing changes")

			// The shopper can correct the form and pay.
			m := csrfField.FindStringSubmatch(p.body)
			require.NotNil(t, m)
			ok := b.post(c.RedirectURL, card(url.Values{"csrf": {m[1]}}, pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true))
			assert.Equal(t, http.StatusSeeOther, ok.code)
			assert.Equal(t, pointcheckout.StatusPaid, status(t, s, c.ID))
		})
	}
}

func TestPageRefusesForgedPosts(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", nil)
	other := create(t, s, "R-2", nil)
	b := newBrowser(t)
	form := card(b.open(c.RedirectURL), pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true)

	// A token for another checkout, a missing token, a post from a browser
	// without the cookie, and a cross-site post are all refused.
	otherForm := card(b.open(other.RedirectURL), pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true)
	assert.Equal(t, http.StatusForbidden, b.post(c.RedirectURL, otherForm).code)
	noToken := card(url.Values{}, pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true)
	assert.Equal(t, http.StatusForbidden, b.post(c.RedirectURL, noToken).code)
	assert.Equal(t, http.StatusForbidden, newBrowser(t).post(c.RedirectURL, form).code)
	assert.Equal(t, http.StatusForbidden, b.post(c.RedirectURL, form, "Sec-Fetch-Site", "cross-site").code)
	assert.Equal(t, http.StatusForbidden, b.post(c.RedirectURL, form, "Origin", "https://evil.example").code)
	cancel := url.Values{"action": {"cancel"}}
	assert.Equal(t, http.StatusForbidden, newBrowser(t).post(c.RedirectURL, cancel).code)
	assert.Equal(t, pointcheckout.StatusPending, status(t, s, c.ID))

	// The genuine form still works, also when the browser says same-origin.
	p := b.post(c.RedirectURL, form, "Sec-Fetch-Site", "same-origin", "Origin", s.URL)
	assert.Equal(t, http.StatusSeeOther, p.code)
	assert.Equal(t, pointcheckout.StatusPaid, status(t, s, c.ID))
}

func TestPageUnknownCheckout(t *testing.T) {
	s, _ := newServer(t)
	p := newBrowser(t).get(s.URL + "/checkout/0123456789abcdef")
	assert.Equal(t, http.StatusNotFound, p.code)
	assert.Contains(t, p.body, "not found")
	assert.NotContains(t, p.body, `name="card_number"`)
}

func TestPageUnknownAction(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", nil)
	b := newBrowser(t)
	form := b.open(c.RedirectURL)
	form.Set("action", "refund")
	assert.Equal(t, http.StatusUnprocessableEntity, b.post(c.RedirectURL, form).code)
	assert.Equal(t, pointcheckout.StatusPending, status(t, s, c.ID))
}

func TestPageExpiry(t *testing.T) {
	s, clock := newServer(t, pointcheckouttest.WithTTL(5*time.Minute))
	c := create(t, s, "R-1", nil)
	b := newBrowser(t)
	form := card(b.open(c.RedirectURL), pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true)
	clock.Advance(5 * time.Minute)

	p := b.get(c.RedirectURL)
	assert.Equal(t, http.StatusOK, p.code)
	assert.Contains(t, p.body, "expired")
	assert.NotContains(t, p.body, `name="card_number"`)
	assert.Equal(t, http.StatusConflict, b.post(c.RedirectURL, form).code, "an expired checkout cannot be paid")
	assert.Equal(t, pointcheckout.StatusExpired, status(t, s, c.ID))
	assert.Equal(t, "EXPIRED", get(t, s, c.ID).Status)
}

func TestPagePaidLater(t *testing.T) {
	tests := []struct {
		number string
		want   pointcheckout.Status
	}{
		{pointcheckouttest.CardPaidLater, pointcheckout.StatusPaid},
		{pointcheckouttest.CardFailedLater, pointcheckout.StatusFailed},
	}
	for _, tc := range tests {
		t.Run(string(tc.want), func(t *testing.T) {
			s, clock := newServer(t, pointcheckouttest.WithSettleDelay(time.Minute))
			c := create(t, s, "R-1", nil)
			b := newBrowser(t)
			p := b.post(c.RedirectURL, card(b.open(c.RedirectURL), tc.number, "12/25", "100", "TEST USER", true))
			require.Equal(t, http.StatusSeeOther, p.code)
			assert.Equal(t, returnedTo(c), p.location)
			assert.Equal(t, "PENDING", get(t, s, c.ID).Status)
			page := b.get(c.RedirectURL)
			assert.Contains(t, page.body, "Confirming your payment")
			assert.NotContains(t, page.body, `name="card_number"`, "a submitted payment is not offered again")
			snap, _ := s.Checkout(c.ID)
			assert.Equal(t, clock.Now().Add(time.Minute), snap.SettlesAt)

			clock.Advance(time.Minute - time.Second)
			assert.Equal(t, "PENDING", get(t, s, c.ID).Status)
			clock.Advance(time.Second)
			assert.Equal(t, string(tc.want), get(t, s, c.ID).Status)
		})
	}

	t.Run("Complete settles at once", func(t *testing.T) {
		s, _ := newServer(t)
		c := create(t, s, "R-1", nil)
		b := newBrowser(t)
		b.post(c.RedirectURL, card(b.open(c.RedirectURL), pointcheckouttest.CardPaidLater, "12/25", "100", "TEST USER", true))
		require.NoError(t, s.Complete(c.ID, pointcheckout.StatusPaid))
		assert.Equal(t, "PAID", get(t, s, c.ID).Status)
	})

	t.Run("expiry before settlement", func(t *testing.T) {
		s, clock := newServer(t, pointcheckouttest.WithTTL(time.Minute), pointcheckouttest.WithSettleDelay(time.Hour))
		c := create(t, s, "R-1", nil)
		b := newBrowser(t)
		b.post(c.RedirectURL, card(b.open(c.RedirectURL), pointcheckouttest.CardPaidLater, "12/25", "100", "TEST USER", true))
		clock.Advance(2 * time.Hour)
		assert.Equal(t, "EXPIRED", get(t, s, c.ID).Status)
	})
}

func TestPagePostBack(t *testing.T) {
	s, _ := newServer(t, pointcheckouttest.WithPostBack())
	c := create(t, s, "R-1", nil)
	b := newBrowser(t)
	p := b.post(c.RedirectURL, card(b.open(c.RedirectURL), pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true))
	require.Equal(t, http.StatusOK, p.code)
	assert.Empty(t, p.location)
	assert.Contains(t, p.body, `method="post" action="`+html.EscapeString(returnURL)+`"`)
	assert.Contains(t, p.body, `name="checkoutId" value="`+c.ID+`"`)
	assert.Contains(t, p.body, `name="status" value="PAID"`)
	assert.Contains(t, p.body, `name="checkout" value="`+c.ID+`"`, "the return parameters are form fields")
	assert.Contains(t, p.body, `name="reference" value="R-1"`)
	nonce := regexp.MustCompile(`<script nonce="([0-9a-f]+)">`).FindStringSubmatch(p.body)
	require.NotNil(t, nonce)
	assert.Contains(t, p.header.Get("Content-Security-Policy"), "script-src 'nonce-"+nonce[1]+"'")
	assert.Equal(t, pointcheckout.StatusPaid, status(t, s, c.ID))
}

func TestNotifications(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		if r.Header.Get("Content-Type") == "application/json" && json.NewDecoder(r.Body).Decode(&m) == nil {
			mu.Lock()
			got = append(got, m)
			mu.Unlock()
		}
	}))
	defer hook.Close()
	s, clock := newServer(t, pointcheckouttest.WithNotifyURL(hook.URL+"/pay/notify"))
	c := create(t, s, "R-1", nil)
	b := newBrowser(t)
	b.post(c.RedirectURL, card(b.open(c.RedirectURL), pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true))
	do(t, s, "POST", "checkout/"+c.ID+"/refund?amount=100&currency=AED&note=x", nil).checkout(t)
	e := create(t, s, "R-2", nil)
	clock.Advance(time.Hour)
	get(t, s, e.ID) // expiry is noticed, and notified, on a read

	want := []map[string]string{
		{"checkoutId": c.ID, "status": "PAID"},
		{"checkoutId": c.ID, "status": "REFUNDED"},
		{"checkoutId": e.ID, "status": "EXPIRED"},
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= len(want)
	}, 5*time.Second, 5*time.Millisecond)
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	assert.ElementsMatch(t, want, got)
}

func TestNotificationFailuresAreHarmless(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	s, _ := newServer(t, pointcheckouttest.WithNotifyURL(hook.URL))
	hook.Close() // nobody listens any more
	c := create(t, s, "R-1", nil)
	require.NoError(t, s.Complete(c.ID, pointcheckout.StatusPaid))
	assert.Equal(t, "PAID", get(t, s, c.ID).Status)
	s.Close() // waits for the failed notification without hanging
}

func TestNotificationsFollowNoRedirect(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer hook.Close()
	logs := make(logLines, 64)
	s, _ := newServer(t, pointcheckouttest.WithNotifyURL(hook.URL), pointcheckouttest.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	c := create(t, s, "R-1", nil)
	require.NoError(t, s.Complete(c.ID, pointcheckout.StatusPaid))
	timeout := time.After(10 * time.Second)
	for outcome := ""; outcome == ""; {
		select {
		case line := <-logs:
			if strings.Contains(line, "notification") {
				outcome = line
			}
		case <-timeout:
			t.Fatal("the notification's outcome was never logged")
		}
		if outcome != "" {
			assert.Contains(t, outcome, "notification refused")
			assert.Contains(t, outcome, "http_status=307")
		}
	}
	s.Close()
	assert.Zero(t, elsewhere.Load(), "the redirect was not followed")
}

// logLines is an io.Writer that hands each log line to a reader, and drops
// lines nobody has room for rather than block the logger.
type logLines chan string

func (l logLines) Write(p []byte) (int, error) {
	select {
	case l <- string(p):
	default:
	}
	return len(p), nil
}

func TestReturnParameters(t *testing.T) {
	tests := []struct {
		name, returnURL string
		requestID       string
		want            func(id string) string
	}{
		{"query kept", returnURL, "R-1", func(id string) string { return returnURL + "&checkout=" + id + "&reference=R-1" }},
		{"no query", "https://shop.example.com/pay/return", "R-1", func(id string) string {
			return "https://shop.example.com/pay/return?checkout=" + id + "&reference=R-1"
		}},
		{"a plugin's route query", "https://shop.example.com/index.php?route=extension/paymennt/payment/paymennt&rte=confirm", "R-1", func(id string) string {
			return "https://shop.example.com/index.php?route=extension/paymennt/payment/paymennt&rte=confirm&checkout=" + id + "&reference=R-1"
		}},
		{"empty query", "https://shop.example.com/r?", "R-1", func(id string) string { return "https://shop.example.com/r?checkout=" + id + "&reference=R-1" }},
		{"query ending in &", "https://shop.example.com/r?a=1&", "R-1", func(id string) string {
			return "https://shop.example.com/r?a=1&checkout=" + id + "&reference=R-1"
		}},
		{"fragment stays last", "https://shop.example.com/r?a=1#done", "R-1", func(id string) string {
			return "https://shop.example.com/r?a=1&checkout=" + id + "&reference=R-1#done"
		}},
		{"a checkout parameter already there stays", "https://shop.example.com/r?checkout=mine", "R-1", func(id string) string {
			return "https://shop.example.com/r?checkout=mine&checkout=" + id + "&reference=R-1"
		}},
		{"request id escaped", "https://shop.example.com/r", "R 1&x=#", func(id string) string {
			return "https://shop.example.com/r?checkout=" + id + "&reference=R+1%26x%3D%23"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t)
			c := create(t, s, tc.requestID, func(m map[string]any) { m["returnUrl"] = tc.returnURL })
			b := newBrowser(t)
			p := b.post(c.RedirectURL, card(b.open(c.RedirectURL), pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true))
			require.Equal(t, http.StatusSeeOther, p.code)
			assert.Equal(t, tc.want(c.ID), p.location)
			u, err := url.Parse(p.location)
			require.NoError(t, err)
			got := u.Query()["checkout"]
			assert.Equal(t, c.ID, got[len(got)-1], "the appended id is the last checkout parameter")
			assert.Equal(t, tc.requestID, u.Query().Get("reference"))
			snap, _ := s.Checkout(c.ID)
			assert.Equal(t, tc.returnURL, snap.ReturnURL, "the stored return URL is unchanged")
		})
	}
}

func TestReturnParametersOnCancel(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", nil)
	b := newBrowser(t)
	form := b.open(c.RedirectURL)
	form.Set("action", "cancel")
	assert.Equal(t, returnedTo(c), b.post(c.RedirectURL, form).location)
}

func TestWithoutReturnParams(t *testing.T) {
	s, _ := newServer(t, pointcheckouttest.WithoutReturnParams())
	c := create(t, s, "R-1", nil)
	b := newBrowser(t)
	p := b.post(c.RedirectURL, card(b.open(c.RedirectURL), pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true))
	require.Equal(t, http.StatusSeeOther, p.code)
	assert.Equal(t, returnURL, p.location, "the return URL comes back unchanged")
	assert.Contains(t, b.get(c.RedirectURL).body, `href="`+html.EscapeString(returnURL)+`"`)

	pb, _ := newServer(t, pointcheckouttest.WithoutReturnParams(), pointcheckouttest.WithPostBack())
	c = create(t, pb, "R-1", nil)
	b = newBrowser(t)
	p = b.post(c.RedirectURL, card(b.open(c.RedirectURL), pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true))
	assert.Contains(t, p.body, `name="checkoutId" value="`+c.ID+`"`)
	assert.NotContains(t, p.body, `name="checkout"`)
	assert.NotContains(t, p.body, `name="reference"`)
}
