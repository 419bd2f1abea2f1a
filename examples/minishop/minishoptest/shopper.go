package minishoptest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Shopper is a browser without a screen: it keeps cookies and lets the test
// see every redirect instead of following it.
type Shopper struct {
	t testing.TB
	c *http.Client
}

// NewShopper returns a shopper with an empty cookie jar.
func NewShopper(t testing.TB) *Shopper {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &Shopper{t: t, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Do sends a request, as a form POST when form is not nil, and returns the
// status, the Location header resolved against the request URL, and the
// body.
func (s *Shopper) Do(method, rawURL string, form url.Values) (code int, location, body string) {
	s.t.Helper()
	var rb io.Reader
	if form != nil {
		rb = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, rb)
	require.NoError(s.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.c.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	loc := resp.Header.Get("Location")
	if loc != "" {
		u, err := req.URL.Parse(loc)
		require.NoError(s.t, err)
		loc = u.String()
	}
	return resp.StatusCode, loc, string(b)
}

var (
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	csrfField   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// PayingPage opens the sandbox's hosted payment page and returns where its
// form posts and the form's hidden csrf value.
func (s *Shopper) PayingPage(pageURL string) (action string, csrf string) {
	s.t.Helper()
	code, _, body := s.Do(http.MethodGet, pageURL, nil)
	require.Equal(s.t, http.StatusOK, code, body)
	m := formAction.FindStringSubmatch(body)
	require.NotNil(s.t, m, "payment page has no form: %s", body)
	u, err := url.Parse(pageURL)
	require.NoError(s.t, err)
	a, err := u.Parse(m[1])
	require.NoError(s.t, err)
	c := csrfField.FindStringSubmatch(body)
	require.NotNil(s.t, c, "payment page has no csrf field")
	return a.String(), c[1]
}

// PayForm is the payment page's form for a card, less the csrf field.
func PayForm(card string) url.Values {
	return url.Values{
		"card_number": {card},
		"expiry":      {"12/25"},
		"cvv":         {"100"},
		"card_name":   {"TEST USER"},
		"terms":       {"accepted"},
		"action":      {"pay"},
	}
}

// Pay submits form on the payment page at pageURL, adding its csrf field,
// and returns what the sandbox answered.
func (s *Shopper) Pay(pageURL string, form url.Values) (code int, location, body string) {
	s.t.Helper()
	action, csrf := s.PayingPage(pageURL)
	f := url.Values{"csrf": {csrf}}
	for k, v := range form {
		f[k] = v
	}
	return s.Do(http.MethodPost, action, f)
}

// PageValue returns the text of the element with the given id on a shop
// page, failing the test when there is none.
func PageValue(t testing.TB, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `">([^<]*)<`).FindStringSubmatch(body)
	require.NotNil(t, m, "the page has no element %q: %s", id, body)
	return m[1]
}
