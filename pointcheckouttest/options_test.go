package pointcheckouttest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

func TestWithPaymentPageURL(t *testing.T) {
	for _, base := range []string{"https://pay.test.paymennt.com", "https://pay.test.paymennt.com/", "http://localhost:9999"} {
		t.Run(base, func(t *testing.T) {
			s, _ := newServer(t, pointcheckouttest.WithPaymentPageURL(base))
			want := strings.TrimSuffix(base, "/") + "/checkout/"
			c := create(t, s, "R-1", nil)
			assert.Equal(t, want+c.CheckoutKey, c.RedirectURL, "create answers the configured host")
			assert.Equal(t, want+c.CheckoutKey, get(t, s, c.ID).RedirectURL)
			p := do(t, s, http.MethodGet, "checkout?requestId=R-1", nil).page(t)
			require.Len(t, p.Content, 1)
			assert.Equal(t, want+c.CheckoutKey, p.Content[0].RedirectURL)

			snap, _ := s.Checkout(c.ID)
			assert.Equal(t, c.RedirectURL, snap.RedirectURL)
			assert.Equal(t, s.URL+"/checkout/"+c.CheckoutKey, snap.PageURL)

			// The page is still served on the server itself.
			b := newBrowser(t)
			pay := b.post(snap.PageURL, card(b.open(snap.PageURL), pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true))
			assert.Equal(t, http.StatusSeeOther, pay.code)
			assert.Equal(t, pointcheckout.StatusPaid, status(t, s, c.ID))

			host := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSuffix(base, "/"), "https://"), "http://")
			assert.Equal(t, []string{host}, s.Environment().PaymentHosts)
		})
	}

	s, _ := newServer(t)
	c := create(t, s, "R-1", nil)
	snap, _ := s.Checkout(c.ID)
	assert.Equal(t, s.URL+"/checkout/"+c.CheckoutKey, c.RedirectURL, "by default the page is the server's")
	assert.Equal(t, c.RedirectURL, snap.PageURL)
}

func TestOptionsRefuseBadValues(t *testing.T) {
	for name, o := range map[string]pointcheckouttest.Option{
		"relative page URL":       pointcheckouttest.WithPaymentPageURL("/pay"),
		"page URL without host":   pointcheckouttest.WithPaymentPageURL("https://"),
		"ftp page URL":            pointcheckouttest.WithPaymentPageURL("ftp://pay.example.com"),
		"page URL with query":     pointcheckouttest.WithPaymentPageURL("https://pay.example.com/?a=1"),
		"page URL with fragment":  pointcheckouttest.WithPaymentPageURL("https://pay.example.com/#x"),
		"page URL with user":      pointcheckouttest.WithPaymentPageURL("https://u:p@pay.example.com"),
		"empty page URL":          pointcheckouttest.WithPaymentPageURL(""),
		"empty state file path":   pointcheckouttest.WithStateFile(""),
		"state file in no folder": pointcheckouttest.WithStateFile(t.TempDir() + "/missing/state.json"),
	} {
		_, err := pointcheckouttest.Start("127.0.0.1:0", o)
		assert.Error(t, err, name)
	}
}
