package suite

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/internal/shoptest"
)

// The checks every suite ends with: what reached the shop agrees with the
// gateway, and no answer can be used to inject or redirect.

// assertSafeHeaders checks an answer cannot be used to inject or redirect:
// no header value holds CR or LF, a Location is a path on this site or a
// URL on one of allowedHosts, and no Set-Cookie exceeds what a browser
// keeps or carries any of the forbidden strings.
func assertSafeHeaders(t testing.TB, e shoptest.Exchange, allowedHosts []string, forbidden ...string) {
	t.Helper()
	for k, vs := range e.Header {
		for _, v := range vs {
			assert.NotContains(t, v, "\r", "header %s", k)
			assert.NotContains(t, v, "\n", "header %s", k)
		}
	}
	if loc := e.Location(); loc != "" {
		u, err := url.Parse(loc)
		require.NoError(t, err, "Location %q", loc)
		switch {
		case u.Scheme == "" && u.Host == "":
			assert.True(t, strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") && !strings.HasPrefix(loc, "/\\"),
				"Location %q is not a path on this site", loc)
		default:
			assert.Contains(t, allowedHosts, u.Host, "Location %q leaves the site", loc)
			assert.Contains(t, []string{"http", "https"}, u.Scheme)
			assert.Nil(t, u.User, "Location %q carries user info", loc)
		}
	}
	for _, c := range e.Header.Values("Set-Cookie") {
		assert.LessOrEqual(t, len(c), 4096, "Set-Cookie too large for a browser")
		for _, f := range forbidden {
			assert.NotContains(t, c, f, "Set-Cookie reflects attacker input")
		}
	}
}

// moneyTaken reports statuses under which goods may ship.
func moneyTaken(st pointcheckout.Status) bool {
	return st == pointcheckout.StatusPaid || st == pointcheckout.StatusAuthorized
}

// assertTruthful checks every update the handlers sent against the
// gateway: the checkout exists, belongs to the update's order, has its
// exact amount, and its status now is the update's status or one it can
// have moved to since. An update that says PAID for a checkout the gateway
// holds PENDING fails here.
func assertTruthful(t testing.TB, s *shoptest.Shop) {
	t.Helper()
	for _, u := range s.Updates.List() {
		c, ok := s.Gateway.Checkout(u.CheckoutID)
		if !assert.True(t, ok, "update for a checkout the gateway does not know: %+v", u) {
			continue
		}
		assert.Equal(t, c.OrderID, u.OrderID, "update names another order")
		assert.Equal(t, c.Amount, u.Amount, "update carries another amount")
		assert.Equal(t, c.RequestID, u.RequestID)
		if u.Source == pointcheckout.SourcePay {
			assert.Equal(t, pointcheckout.StatusPending, u.Status)
			continue
		}
		assert.True(t, u.Status == c.Status || u.Status.CanBecome(c.Status),
			"update says %s for checkout %s the gateway holds %s", u.Status, u.CheckoutID, c.Status)
	}
}

// assertNoMoneyUpdate checks no update ever told the shop that money was
// taken for order.
func assertNoMoneyUpdate(t testing.TB, s *shoptest.Shop, order string) {
	t.Helper()
	for _, st := range s.Updates.Statuses(order) {
		assert.False(t, moneyTaken(st), "order %s was told %s", order, st)
	}
}
