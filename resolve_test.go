package pointcheckout_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/internal/shoptest"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

func TestPollingResolvesWithoutConfirmingPage(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{
		Gateway: []pointcheckouttest.Option{pointcheckouttest.WithSettleDelay(time.Minute)},
		Configure: func(_ *shoptest.Shop, c *pointcheckout.Config) {
			c.PollTimeout = 5 * time.Second
			c.PollInterval = 20 * time.Millisecond
		},
	})
	b := s.Browser()
	back, id := s.CheckoutAndPay(b, "ORD-1", pointcheckouttest.CardPaidLater, "pay")
	go func() {
		// The gateway settles while the return handler is polling.
		time.Sleep(50 * time.Millisecond)
		_ = s.Gateway.Complete(id, pointcheckout.StatusPaid)
	}()
	done := b.Get(back.Location)
	require.Equal(t, http.StatusSeeOther, done.Status, done.Body)
	assert.Equal(t, "/thanks", done.Location)
}

func TestMismatchedGatewayAnswers(t *testing.T) {
	faults := []struct {
		name  string
		fault pointcheckouttest.Fault
	}{
		{"amount", pointcheckouttest.WrongAmount()},
		{"currency", pointcheckouttest.WrongCurrency()},
		{"order id", pointcheckouttest.WrongOrderID()},
		{"request id", pointcheckouttest.WrongRequestID()},
		{"checkout id", pointcheckouttest.WrongCheckoutID()},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			s := shoptest.New(t, shoptest.Options{})
			b := s.Browser()
			back, _ := s.CheckoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
			s.Gateway.InjectFault(pointcheckouttest.EndpointGet, 1, f.fault)
			got := b.Get(back.Location)
			assert.Equal(t, http.StatusBadGateway, got.Status, got.Body)
			assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending}, s.Updates.Statuses("ORD-1"))
			assert.True(t, s.Errors.Has(pointcheckout.ErrVerification))
			assert.NotNil(t, s.Cookie(b, "pc_checkout"), "cookie kept for a retry")

			// The answer was wrong, not the payment: a refresh resolves it.
			again := b.Get(back.Location)
			require.Equal(t, http.StatusSeeOther, again.Status, again.Body)
			assert.Equal(t, pointcheckout.StatusPaid, s.Updates.OrderStatus("ORD-1"))
		})
	}
}

func TestPendingConfirmationReportedOncePerReturn(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{Configure: func(_ *shoptest.Shop, c *pointcheckout.Config) {
		c.PollTimeout = 200 * time.Millisecond
		c.PollInterval = 5 * time.Millisecond
	}})
	b := s.Browser()
	p := s.Pay(b, "ORD-1")
	id := s.CheckoutIDFor(p.Location)
	require.NoError(t, s.Gateway.Complete(id, pointcheckout.StatusPendingConfirmation))
	got := b.Get(s.ReturnURL(id))
	assert.Equal(t, http.StatusOK, got.Status)
	assert.Contains(t, got.Body, "Confirming your payment")
	assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusPendingConfirmation}, s.Updates.Statuses("ORD-1"),
		"the poll loop reports a status once, not on every tick")
}

// TestTokenOnlyReturnFindsItsCheckout: without the cookie, the checkout to
// ask about comes from the shop's own record of the request id, else from
// the id the hosted page appended, and only then from a search; and the
// return works however the gateway appended its parameters.
func TestTokenOnlyReturnFindsItsCheckout(t *testing.T) {
	tests := []struct {
		name     string
		recorded bool // the shop finds Refs by request id
		url      func(t *testing.T, back, id string) string
		post     url.Values
		searches int
	}{
		{"appended id", false, func(_ *testing.T, back, _ string) string { return back }, nil, 0},
		{"recorded id, nothing appended", true, func(t *testing.T, back, _ string) string { return shoptest.WithoutHints(t, back) }, nil, 0},
		{"recorded id wins over a wrong appended one", true, func(t *testing.T, back, id string) string {
			return shoptest.WithoutHints(t, back) + "&checkout=1999999999999999999"
		}, nil, 0},
		{"appended naively after the token", false, func(t *testing.T, back, id string) string {
			return shoptest.WithoutHints(t, back) + "?checkout=" + id + "&reference=r"
		}, nil, 0},
		{"posted back as form fields", false, func(t *testing.T, back, _ string) string { return shoptest.WithoutHints(t, back) }, url.Values{"checkout": nil}, 0},
		{"nothing appended, nothing recorded: a search", false, func(t *testing.T, back, _ string) string { return shoptest.WithoutHints(t, back) }, nil, 1},
	}
	t.Run("a wrong appended id, nothing recorded: verification refuses it", func(t *testing.T) {
		s := shoptest.New(t, shoptest.Options{})
		f := s.Mount(func(c *pointcheckout.Config) { c.Refs = shoptest.ForgetfulRefs{Updates: s.Updates} })
		back, _ := s.CheckoutAndPayAt(s.Browser(), f.URL, "ORD-1", pointcheckouttest.CardPaid, "pay")
		cheap := s.Pay(s.Browser(), "ORD-CHEAP")
		cheapID := s.CheckoutIDFor(cheap.Location)
		require.NoError(t, s.Gateway.Complete(cheapID, pointcheckout.StatusPaid))
		got := s.Browser().Get(shoptest.WithoutHints(t, back.Location) + "&checkout=" + cheapID)
		assert.Equal(t, http.StatusBadGateway, got.Status, got.Body)
		assert.True(t, s.Errors.Has(pointcheckout.ErrVerification))
		for _, u := range s.Updates.List() {
			assert.NotEqual(t, pointcheckout.StatusPaid, u.Status)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shoptest.New(t, shoptest.Options{})
			f := s.Mount(func(c *pointcheckout.Config) {
				if !tt.recorded {
					c.Refs = shoptest.ForgetfulRefs{Updates: s.Updates}
				}
			})
			back, id := s.CheckoutAndPayAt(s.Browser(), f.URL, "ORD-1", pointcheckouttest.CardPaid, "pay")
			s.Gateway.ResetRequests()
			target := tt.url(t, back.Location, id)
			b := s.Browser() // another browser: no cookie
			var got shoptest.Page
			if tt.post != nil {
				got = b.PostForm(target, url.Values{"checkout": {id}, "reference": {"r"}}, nil)
			} else {
				got = b.Get(target)
			}
			require.Equal(t, http.StatusSeeOther, got.Status, got.Body)
			assert.Equal(t, "/thanks", got.Location)
			assert.Equal(t, tt.searches, shoptest.EndpointRequests(s.Gateway, pointcheckouttest.EndpointFind))
			for _, u := range s.Updates.List() {
				assert.Equal(t, id, u.CheckoutID)
			}
			assert.Equal(t, pointcheckout.StatusPaid, s.Updates.OrderStatus("ORD-1"))
		})
	}
}

// TestAnswersReadTolerantlyVerifiedStrictly: the same value written
// differently is read; an answer that differs, or whose amount cannot be
// read in the currency it names, is a reported verification failure, never
// an outage retried for ever.
func TestAnswersReadTolerantlyVerifiedStrictly(t *testing.T) {
	tests := []struct {
		name   string
		order  string
		fault  pointcheckouttest.Fault
		status int
	}{
		{"numeric id", "ORD-1", pointcheckouttest.NumericID(), http.StatusSeeOther},
		{"three decimals for AED", "ORD-1", pointcheckouttest.AmountDigits(3), http.StatusSeeOther},
		{"no decimals for 100.00", "ORD-1", pointcheckouttest.AmountDigits(0), http.StatusSeeOther},
		{"12.345 KWD answered as 12.35", "ORD-KWD", pointcheckouttest.RoundedAmount(), http.StatusBadGateway},
		{"12.345 answered in USD", "ORD-KWD", pointcheckouttest.WrongCurrency(), http.StatusBadGateway},
		{"another currency, same digits", "ORD-1", pointcheckouttest.WrongCurrency(), http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shoptest.New(t, shoptest.Options{})
			b := s.Browser()
			back, _ := s.CheckoutAndPay(b, tt.order, pointcheckouttest.CardPaid, "pay")
			s.Gateway.ResetRequests()
			s.Gateway.InjectFault(pointcheckouttest.EndpointGet, 1, tt.fault)
			got := b.Get(back.Location)
			require.Equal(t, tt.status, got.Status, got.Body)
			if tt.status == http.StatusSeeOther {
				assert.Equal(t, pointcheckout.StatusPaid, s.Updates.OrderStatus(tt.order))
				return
			}
			assert.True(t, s.Errors.Has(pointcheckout.ErrVerification), "reported to OnError")
			assert.Equal(t, pointcheckout.StatusPending, s.Updates.OrderStatus(tt.order))
			assert.Equal(t, 1, shoptest.EndpointRequests(s.Gateway, pointcheckouttest.EndpointGet), "one get for the return, none retried")
			// The next answer is true again: the refresh records it.
			assert.Equal(t, http.StatusSeeOther, b.Get(back.Location).Status)
		})
	}
	t.Run("create answered with a numeric id and trailing zeros", func(t *testing.T) {
		s := shoptest.New(t, shoptest.Options{})
		s.Gateway.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.NumericID())
		s.Gateway.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.AmountDigits(4))
		b := s.Browser()
		back, _ := s.CheckoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
		assert.Equal(t, "/thanks", b.Get(back.Location).Location)
	})
}

// TestConcurrentResolutionsShareGatewayCalls counts, at the sandbox and at
// the updater, what a burst on one checkout costs: concurrent returns and
// notifications share one gateway call and hand the updater one update; a
// pending checkout's polls are shared by everyone waiting on it.
func TestConcurrentResolutionsShareGatewayCalls(t *testing.T) {
	t.Run("50 concurrent returns", func(t *testing.T) {
		s := shoptest.New(t, shoptest.Options{})
		back, id := s.CheckoutAndPay(s.Browser(), "ORD-1", pointcheckouttest.CardPaid, "pay")
		s.Gateway.ResetRequests()
		before := len(s.Updates.List())
		// The first get is slow, so every return arrives while it is in
		// flight.
		s.Gateway.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.Delay(300*time.Millisecond))
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				got := s.Browser().Get(back.Location)
				assert.Equal(t, "/thanks", got.Location)
			})
		}
		wg.Wait()
		gets := shoptest.EndpointRequests(s.Gateway, pointcheckouttest.EndpointGet)
		assert.Equal(t, 1, gets, "gateway calls")
		updates := s.Updates.List()[before:]
		require.Len(t, updates, 1, "updater calls")
		assert.Equal(t, id, updates[0].CheckoutID)
		t.Logf("50 concurrent returns: %d gateway calls, %d updater calls", gets, len(updates))
	})
	t.Run("300 notifications", func(t *testing.T) {
		s := shoptest.New(t, shoptest.Options{})
		_, id := s.CheckoutAndPay(s.Browser(), "ORD-1", pointcheckouttest.CardPaid, "pay")
		s.Gateway.ResetRequests()
		before := len(s.Updates.List())
		s.Gateway.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.Delay(300*time.Millisecond))
		var wg sync.WaitGroup
		var ok200 atomic.Int32
		for i := range 300 {
			wg.Go(func() {
				if i >= 200 {
					// The last hundred come just after: the answer of a
					// moment ago serves them.
					time.Sleep(400 * time.Millisecond)
				}
				resp, err := http.Post(s.URL+"/pay/notify", "application/json", strings.NewReader(`{"checkoutId":"`+id+`"}`))
				if assert.NoError(t, err) {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						ok200.Add(1)
					}
				}
			})
		}
		wg.Wait()
		gets := shoptest.EndpointRequests(s.Gateway, pointcheckouttest.EndpointGet)
		assert.LessOrEqual(t, gets, 3, "gateway calls")
		assert.Equal(t, int32(300), ok200.Load())
		updates := len(s.Updates.List()) - before
		assert.LessOrEqual(t, updates, gets, "at most one update per gateway call")
		t.Logf("300 notifications: %d gateway calls, %d updater calls", gets, updates)
	})
	t.Run("20 shoppers waiting on a pending checkout", func(t *testing.T) {
		s := shoptest.New(t, shoptest.Options{Gateway: []pointcheckouttest.Option{pointcheckouttest.WithSettleDelay(time.Hour)}})
		const poll, wait = 50 * time.Millisecond, 500 * time.Millisecond
		f := s.Mount(func(c *pointcheckout.Config) { c.PollTimeout, c.PollInterval = wait, poll })
		back, _ := s.CheckoutAndPayAt(s.Browser(), f.URL, "ORD-1", pointcheckouttest.CardPaidLater, "pay")
		s.Gateway.ResetRequests()
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				got := s.Browser().Get(back.Location)
				assert.Equal(t, http.StatusOK, got.Status)
				assert.Contains(t, got.Body, "Confirming your payment")
			})
		}
		wg.Wait()
		gets := shoptest.EndpointRequests(s.Gateway, pointcheckouttest.EndpointGet)
		// One waiter alone polls wait/poll+1 times; twenty share those
		// polls (give or take a straggler's first, fresh question).
		alone := int(wait/poll) + 1
		assert.LessOrEqual(t, gets, 2*alone, "gateway calls")
		assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending}, s.Updates.Statuses("ORD-1"), "pending is not handed over")
		t.Logf("20 shoppers on a pending checkout for %s, polling every %s: %d gateway calls (one shopper alone: %d)", wait, poll, gets, alone)
	})
}
