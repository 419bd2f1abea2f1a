package shoptest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// RouterShop is a payment Handler for a router adapter's tests (pcgin,
// pcecho) to mount in their router: a sandbox of its own, 49.00 AED for any
// order, a recording Updater and /thanks after every payment.
type RouterShop struct {
	t       testing.TB
	Handler *pointcheckout.Handler
	Gateway *pointcheckouttest.Server
	Updates *Updates
}

// NewRouterShop builds a RouterShop whose payment routes are under prefix
// ("" for the default).
func NewRouterShop(t testing.TB, prefix string) *RouterShop {
	t.Helper()
	s := &RouterShop{t: t, Gateway: NewGateway(t), Updates: &Updates{}}
	keys, err := pointcheckout.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	price := Money(t, 4900, "AED")
	s.Handler, err = pointcheckout.New(pointcheckout.Config{
		Client: s.Gateway.Client(),
		Orders: func(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
			o := Order(r.PostFormValue("order"), price)
			return &o, nil
		},
		Updater:    s.Updates,
		Keys:       []pointcheckout.KeyPair{keys},
		Prefix:     prefix,
		SuccessURL: "/thanks",
		FailureURL: "/thanks",
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// PayAndReturn creates a checkout through the router at base, has the
// gateway mark it paid, and follows its return URL as the shopper's browser
// would. It returns the Result the router must hand on and the result
// cookie the browser then sends to /thanks.
func (s *RouterShop) PayAndReturn(b *Browser, base string) (pointcheckout.Result, *http.Cookie) {
	s.t.Helper()
	p := b.PostForm(base+s.Handler.Prefix(), url.Values{"order": {"order-1"}}, nil)
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, s.Gateway.URL+"/checkout/") {
		s.t.Fatalf("pay: %d to %q, want 303 to the gateway: %s", p.Status, p.Location, p.Body)
	}
	all := s.Gateway.Checkouts()
	if len(all) != 1 {
		s.t.Fatalf("%d checkouts at the gateway, want 1", len(all))
	}
	chk := all[0]
	if err := s.Gateway.Complete(chk.ID, pointcheckout.StatusPaid); err != nil {
		s.t.Fatal(err)
	}
	if p := b.Get(chk.ReturnURL); p.Status != http.StatusSeeOther || p.Location != "/thanks" {
		s.t.Fatalf("return: %d to %q, want 303 to /thanks: %s", p.Status, p.Location, p.Body)
	}
	// The checkout cookie lives under the Prefix and is cleared by now:
	// what the browser sends to the page is the result cookie.
	u, err := url.Parse(base + "/thanks")
	if err != nil {
		s.t.Fatal(err)
	}
	cookies := b.Client.Jar.Cookies(u)
	if len(cookies) != 1 {
		s.t.Fatalf("the browser sends the page %v, want the result cookie only", cookies)
	}
	return pointcheckout.Result{OrderID: "order-1", CheckoutID: chk.ID, Status: pointcheckout.StatusPaid,
		Amount: chk.Amount, Source: pointcheckout.SourceReturn}, cookies[0]
}
