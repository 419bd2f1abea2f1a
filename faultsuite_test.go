package pointcheckout_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// The fault suite breaks the gateway (and the shop's own updater) in every
// way the sandbox can, in the middle of real flows. Every case ends with
// the shopper's refresh or a reconciliation sweep, and then the order must
// hold exactly what the gateway holds: nothing lost, nothing marked paid
// that is not.

// faultRig is one case: a shop, a front whose client gives up quickly, and
// the faults injected so far.
type faultRig struct {
	t     *testing.T
	s     *shopHarness
	f     *front
	base  string
	b     *browser
	count map[pointcheckouttest.Endpoint]int
	// updaterFaults counts the updater failures asked for.
	updaterFaults int
}

func newFaultRig(t *testing.T) *faultRig {
	s := newShop(t, harnessOpts{})
	f := s.mount(func(c *pointcheckout.Config) {
		// A client that gives up after 150ms per attempt, retries reads
		// three times, and backs off from 20ms: a slow API costs the test
		// well under a second.
		c.Client = s.gw.Client(func(cc *pointcheckout.ClientConfig) {
			cc.Timeout = 150 * time.Millisecond
			cc.RetryBaseDelay = 20 * time.Millisecond
			cc.ThreeDecimalAmounts = true
		})
		// Returns without the cookie go by what the return URL carries
		// (the appended id, else a search), which these faults exercise.
		c.Refs = forgetfulRefs{s.updates}
	})
	return &faultRig{t: t, s: s, f: f, base: f.srv.URL, b: s.browser(), count: map[pointcheckouttest.Endpoint]int{}}
}

func (r *faultRig) inject(ep pointcheckouttest.Endpoint, n int, f pointcheckouttest.Fault) {
	r.s.gw.InjectFault(ep, n, f)
	r.count[ep] += n
}

// checkoutCookie is the value of the checkout cookie the rig's browser
// holds for the shop, or "".
func (r *faultRig) checkoutCookie() string {
	u, err := url.Parse(r.base + "/pay/return")
	require.NoError(r.t, err)
	for _, c := range r.b.client.Jar.Cookies(u) {
		if c.Name == pointcheckout.DefaultCookieName {
			return c.Value
		}
	}
	return ""
}

// failUpdater makes the shop's next n updates fail, as a locked or
// unreachable database would.
func (r *faultRig) failUpdater(n int) {
	r.s.updates.failTimes(n)
	r.updaterFaults += n
}

// clearFaults drops the faults not served yet; they are not counted.
func (r *faultRig) clearFaults() {
	for ep := range r.count {
		r.count[ep] -= r.s.gw.PendingFaults(ep)
	}
	r.s.gw.ClearFaults()
}

// served counts the faulty answers the gateway actually gave and the
// updater failures.
func (r *faultRig) served() int {
	n := r.updaterFaults
	for ep, c := range r.count {
		n += c - r.s.gw.PendingFaults(ep)
	}
	return n
}

func (r *faultRig) pay(order, card string) (page, string) {
	return r.s.checkoutAndPayAt(r.b, r.base, order, card, "pay")
}

// settled checks the end state: the order's status in the updater is
// want, the gateway agrees, and every update was true when it was sent.
func (r *faultRig) settled(order string, want pointcheckout.Status) {
	r.t.Helper()
	assert.Equal(r.t, want, r.s.updates.orderStatus(order), "order %s", order)
	found := false
	for _, c := range r.s.gw.Checkouts() {
		if c.OrderID != order {
			continue
		}
		if c.Status == want {
			found = true
		}
		if moneyTaken(c.Status) {
			assert.Equal(r.t, c.Status, want, "the gateway took money for checkout %s", c.ID)
		}
	}
	assert.True(r.t, found, "no checkout of %s has status %s at the gateway", order, want)
	if !moneyTaken(want) {
		assertNoMoneyUpdate(r.t, r.s, order)
	}
	assertTruthful(r.t, r.s)
}

// refreshUntil reloads the return page until it redirects (at most n
// times) and returns the last answer.
func (r *faultRig) refreshUntil(returnURL string, n int) page {
	var p page
	for range n {
		p = r.b.get(returnURL)
		if p.status == http.StatusSeeOther {
			break
		}
	}
	return p
}

func TestFaults(t *testing.T) {
	ev := newTally(t)
	const (
		create = pointcheckouttest.EndpointCreate
		get    = pointcheckouttest.EndpointGet
		find   = pointcheckouttest.EndpointFind
		pg     = pointcheckouttest.EndpointPage
	)
	slow := pointcheckouttest.Delay(2 * time.Second)
	tests := []struct {
		name string
		run  func(t *testing.T, r *faultRig)
	}{
		{"get slower than the client timeout, every attempt", func(t *testing.T, r *faultRig) {
			back, _ := r.pay("ORD-1", pointcheckouttest.CardPaid)
			r.inject(get, 4, slow)
			got := r.b.get(back.location)
			assert.Equal(t, http.StatusOK, got.status)
			assert.Contains(t, got.body, "Confirming your payment", "a slow gateway is never a failure")
			assert.Equal(t, pointcheckout.StatusPending, r.s.updates.orderStatus("ORD-1"))
			assert.Equal(t, "/thanks", r.refreshUntil(back.location, 1).location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"get slower than the client timeout once", func(t *testing.T, r *faultRig) {
			back, _ := r.pay("ORD-1", pointcheckouttest.CardPaid)
			r.inject(get, 1, slow)
			assert.Equal(t, "/thanks", r.b.get(back.location).location, "the retry answers")
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"search slower than the timeout on a token-only return", func(t *testing.T, r *faultRig) {
			back, _ := r.pay("ORD-2", pointcheckouttest.CardPaid)
			other := r.s.browser()
			r.inject(find, 4, slow)
			got := other.get(backWithoutHints(t, back.location))
			assert.Equal(t, http.StatusOK, got.status)
			assert.Equal(t, pointcheckout.StatusPending, r.s.updates.orderStatus("ORD-2"))
			assert.Equal(t, http.StatusSeeOther, other.get(backWithoutHints(t, back.location)).status)
			r.settled("ORD-2", pointcheckout.StatusPaid)
		}},
		{"a failing search does not matter to a token-only return with the appended id", func(t *testing.T, r *faultRig) {
			back, _ := r.pay("ORD-2", pointcheckouttest.CardPaid)
			r.inject(find, 100, pointcheckouttest.StatusCode(http.StatusInternalServerError))
			assert.Equal(t, http.StatusSeeOther, r.s.browser().get(back.location).status)
			assert.Equal(t, 100, r.s.gw.PendingFaults(find), "no search was made")
			r.settled("ORD-2", pointcheckout.StatusPaid)
		}},
		{"create slower than the client timeout: found by request id", func(t *testing.T, r *faultRig) {
			r.inject(create, 1, slow)
			back, id := r.pay("ORD-1", pointcheckouttest.CardPaid)
			assert.Len(t, r.s.gw.Checkouts(), 1, "nothing created twice")
			assert.Equal(t, id, r.s.updates.list()[0].CheckoutID)
			assert.Equal(t, "/thanks", r.b.get(back.location).location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"5xx burst shorter than the retries", func(t *testing.T, r *faultRig) {
			back, _ := r.pay("ORD-1", pointcheckouttest.CardPaid)
			r.inject(get, 3, pointcheckouttest.StatusCode(http.StatusServiceUnavailable))
			assert.Equal(t, "/thanks", r.b.get(back.location).location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"5xx burst longer than two refreshes", func(t *testing.T, r *faultRig) {
			back, _ := r.pay("ORD-1", pointcheckouttest.CardDeclined)
			r.inject(get, 8, pointcheckouttest.StatusCode(http.StatusBadGateway))
			for range 2 {
				got := r.b.get(back.location)
				assert.Equal(t, http.StatusOK, got.status)
				assert.Contains(t, got.body, "Confirming your payment")
			}
			assert.Equal(t, []pointcheckout.Status{pointcheckout.StatusPending}, r.s.updates.statuses("ORD-1"), "an outage is not a decline")
			assert.Equal(t, "/sorry", r.refreshUntil(back.location, 1).location)
			r.settled("ORD-1", pointcheckout.StatusFailed)
		}},
		{"429 burst", func(t *testing.T, r *faultRig) {
			back, _ := r.pay("ORD-1", pointcheckouttest.CardPaid)
			r.inject(get, 2, pointcheckouttest.StatusCode(http.StatusTooManyRequests))
			r.inject(get, 1, pointcheckouttest.StatusCodeEnvelope(http.StatusTooManyRequests))
			assert.Equal(t, "/thanks", r.b.get(back.location).location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"API error envelope 500 on every attempt", func(t *testing.T, r *faultRig) {
			back, _ := r.pay("ORD-1", pointcheckouttest.CardAuthorizeOnly)
			r.inject(get, 4, pointcheckouttest.StatusCodeEnvelope(http.StatusInternalServerError))
			assert.Equal(t, http.StatusOK, r.b.get(back.location).status)
			assert.Equal(t, "/thanks", r.refreshUntil(back.location, 1).location)
			r.settled("ORD-1", pointcheckout.StatusAuthorized)
		}},
		{"API refuses the get with 400 and 401", func(t *testing.T, r *faultRig) {
			back, _ := r.pay("ORD-1", pointcheckouttest.CardPaid)
			r.inject(get, 1, pointcheckouttest.StatusCodeEnvelope(http.StatusBadRequest))
			r.inject(get, 1, pointcheckouttest.StatusCodeEnvelope(http.StatusUnauthorized))
			for range 2 {
				got := r.b.get(back.location)
				assert.Equal(t, http.StatusBadGateway, got.status)
				assert.Contains(t, got.body, "Your order has not been changed")
			}
			assert.Equal(t, pointcheckout.StatusPending, r.s.updates.orderStatus("ORD-1"))
			assert.Equal(t, "/thanks", r.refreshUntil(back.location, 1).location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"malformed JSON on get", func(t *testing.T, r *faultRig) {
			back, _ := r.pay("ORD-1", pointcheckouttest.CardPaid)
			r.inject(get, 2, pointcheckouttest.MalformedJSON())
			assert.Equal(t, "/thanks", r.b.get(back.location).location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"malformed JSON on create: found by request id", func(t *testing.T, r *faultRig) {
			r.inject(create, 1, pointcheckouttest.MalformedJSON())
			back, _ := r.pay("ORD-1", pointcheckouttest.CardPaid)
			assert.Len(t, r.s.gw.Checkouts(), 1)
			assert.Equal(t, "/thanks", r.b.get(back.location).location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"dropped connections on get", func(t *testing.T, r *faultRig) {
			back, _ := r.pay("ORD-1", pointcheckouttest.CardPaid)
			// net/http itself resends an idempotent GET once when a reused
			// connection dies, so one client attempt may use two drops.
			r.inject(get, 8, pointcheckouttest.DropConnection())
			assert.Equal(t, http.StatusOK, r.b.get(back.location).status)
			assert.Equal(t, pointcheckout.StatusPending, r.s.updates.orderStatus("ORD-1"))
			assert.Equal(t, "/thanks", r.refreshUntil(back.location, 5).location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"dropped connection on create: nothing created, the shopper tries again", func(t *testing.T, r *faultRig) {
			r.inject(create, 1, pointcheckouttest.DropConnection())
			got := payAt(r.b, r.base, "ORD-1")
			assert.Equal(t, http.StatusBadGateway, got.status)
			assert.Empty(t, r.s.gw.Checkouts())
			assert.Empty(t, r.s.updates.list())
			back, _ := r.pay("ORD-1", pointcheckouttest.CardPaid)
			assert.Equal(t, "/thanks", r.b.get(back.location).location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"dropped after commit on create: found by request id, not created twice", func(t *testing.T, r *faultRig) {
			r.inject(create, 1, pointcheckouttest.DropAfterCommit())
			back, id := r.pay("ORD-2", pointcheckouttest.CardPaid)
			cos := r.s.gw.Checkouts()
			require.Len(t, cos, 1)
			assert.Equal(t, id, cos[0].ID)
			creates := 0
			for _, req := range r.s.gw.Requests() {
				if req.Endpoint == create {
					creates++
				}
			}
			assert.Equal(t, 1, creates, "a create is never repeated blindly")
			assert.Equal(t, "/thanks", r.b.get(back.location).location)
			r.settled("ORD-2", pointcheckout.StatusPaid)
		}},
		{"5xx on create", func(t *testing.T, r *faultRig) {
			r.inject(create, 1, pointcheckouttest.StatusCode(http.StatusServiceUnavailable))
			assert.Equal(t, http.StatusBadGateway, payAt(r.b, r.base, "ORD-1").status)
			back, _ := r.pay("ORD-1", pointcheckouttest.CardDeclined)
			assert.Equal(t, "/sorry", r.b.get(back.location).location)
			r.settled("ORD-1", pointcheckout.StatusFailed)
		}},
		{"create committed, then the lookup fails too", func(t *testing.T, r *faultRig) {
			r.inject(create, 1, pointcheckouttest.DropAfterCommit())
			r.inject(find, 20, pointcheckouttest.StatusCode(http.StatusServiceUnavailable))
			got := payAt(r.b, r.base, "ORD-1")
			assert.Equal(t, http.StatusBadGateway, got.status, "outcome unknown: the shopper is not sent anywhere")
			assert.Empty(t, r.s.updates.list())
			r.clearFaults()
			back, paid := r.pay("ORD-1", pointcheckouttest.CardPaid)
			assert.Equal(t, "/thanks", r.b.get(back.location).location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
			for _, c := range r.s.gw.Checkouts() {
				if c.ID != paid {
					assert.Equal(t, pointcheckout.StatusPending, c.Status, "the orphan was never shown, so never paid")
				}
			}
		}},
		{"wrong amount on get, then a refresh", func(t *testing.T, r *faultRig) {
			back, _ := r.pay("ORD-1", pointcheckouttest.CardPaid)
			r.inject(get, 1, pointcheckouttest.WrongAmount())
			assert.Equal(t, http.StatusBadGateway, r.b.get(back.location).status)
			assert.Equal(t, pointcheckout.StatusPending, r.s.updates.orderStatus("ORD-1"))
			assert.True(t, r.s.errs.has(pointcheckout.ErrVerification))
			assert.Equal(t, "/thanks", r.refreshUntil(back.location, 1).location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"wrong amount on the search of a token-only return", func(t *testing.T, r *faultRig) {
			// The search only says which checkout to get; the get's own
			// answer is what is verified and recorded.
			back, _ := r.pay("ORD-KWD", pointcheckouttest.CardPaid)
			other := r.s.browser()
			r.inject(find, 1, pointcheckouttest.WrongAmount())
			assert.Equal(t, http.StatusSeeOther, other.get(backWithoutHints(t, back.location)).status)
			r.settled("ORD-KWD", pointcheckout.StatusPaid)
		}},
		{"wrong checkout id on the search of a token-only return", func(t *testing.T, r *faultRig) {
			// The search names a checkout the gateway never issued for this
			// attempt: nothing is recorded under it, ever.
			back, id := r.pay("ORD-1", pointcheckouttest.CardPaid)
			other := r.s.browser()
			r.inject(find, 1, pointcheckouttest.WrongCheckoutID())
			got := other.get(backWithoutHints(t, back.location))
			assert.Contains(t, []int{http.StatusNotFound, http.StatusBadGateway}, got.status, got.body)
			assert.Equal(t, pointcheckout.StatusPending, r.s.updates.orderStatus("ORD-1"))
			for _, u := range r.s.updates.list() {
				assert.Equal(t, id, u.CheckoutID, "no update under an unconfirmed id")
			}
			assert.Equal(t, http.StatusSeeOther, other.get(backWithoutHints(t, back.location)).status)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"wrong amount on create: refused, order untouched", func(t *testing.T, r *faultRig) {
			r.inject(create, 1, pointcheckouttest.WrongAmount())
			got := payAt(r.b, r.base, "ORD-1")
			assert.Equal(t, http.StatusBadGateway, got.status)
			assert.Empty(t, got.location)
			assert.Empty(t, r.s.updates.list())
			back, _ := r.pay("ORD-1", pointcheckouttest.CardPaid)
			assert.Equal(t, "/thanks", r.b.get(back.location).location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"wrong order id and currency on reconcile", func(t *testing.T, r *faultRig) {
			p := payAt(r.b, r.base, "ORD-1")
			id := r.s.checkoutIDFor(p.location)
			require.NoError(t, r.s.gw.Complete(id, pointcheckout.StatusPaid))
			r.inject(get, 1, pointcheckouttest.WrongOrderID())
			r.inject(get, 1, pointcheckouttest.WrongCurrency())
			for range 2 {
				rep, err := r.s.sweep(t.Context(), r.f.h)
				assert.ErrorIs(t, err, pointcheckout.ErrVerification)
				assert.Equal(t, 1, rep.Errors)
			}
			rep, err := r.s.sweep(t.Context(), r.f.h)
			require.NoError(t, err)
			assert.Equal(t, 1, rep.Final)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"updater fails at return, then recovers", func(t *testing.T, r *faultRig) {
			back, _ := r.pay("ORD-1", pointcheckouttest.CardPaid)
			r.failUpdater(2)
			for range 2 {
				got := r.b.get(back.location)
				assert.Equal(t, http.StatusInternalServerError, got.status)
				assert.NotNil(t, r.s.cookie(r.b, "pc_checkout"), "kept so a refresh delivers the update again")
			}
			assert.Equal(t, "/thanks", r.b.get(back.location).location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"updater fails at notify, then recovers", func(t *testing.T, r *faultRig) {
			p := payAt(r.b, r.base, "ORD-1")
			id := r.s.checkoutIDFor(p.location)
			require.NoError(t, r.s.gw.Complete(id, pointcheckout.StatusPaid))
			r.failUpdater(1)
			notify := func() int {
				return send(t, nil, request(t, http.MethodPost, r.base+"/pay/notify", `{"checkoutId":"`+id+`"}`, http.Header{"Content-Type": {"application/json"}})).status
			}
			assert.Equal(t, http.StatusServiceUnavailable, notify(), "the gateway should send it again")
			assert.Equal(t, http.StatusOK, notify())
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"updater fails during a sweep, the next sweep recovers", func(t *testing.T, r *faultRig) {
			p := payAt(r.b, r.base, "ORD-2")
			id := r.s.checkoutIDFor(p.location)
			require.NoError(t, r.s.gw.Complete(id, pointcheckout.StatusCancelled))
			r.failUpdater(1)
			rep, err := r.s.sweep(t.Context(), r.f.h)
			assert.Error(t, err)
			assert.Equal(t, 1, rep.Errors)
			rep, err = r.s.sweep(t.Context(), r.f.h)
			require.NoError(t, err)
			assert.Equal(t, 1, rep.Final)
			r.settled("ORD-2", pointcheckout.StatusCancelled)
		}},
		{"updater fails at pay: the unused checkout is cancelled", func(t *testing.T, r *faultRig) {
			r.failUpdater(1)
			got := payAt(r.b, r.base, "ORD-1")
			assert.Equal(t, http.StatusInternalServerError, got.status)
			cos := r.s.gw.Checkouts()
			require.Len(t, cos, 1)
			assert.Equal(t, pointcheckout.StatusCancelled, cos[0].Status)
			back, _ := r.pay("ORD-1", pointcheckouttest.CardPaid)
			assert.Equal(t, "/thanks", r.b.get(back.location).location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"shopper's way back dropped after paying: the sweep finds it", func(t *testing.T, r *faultRig) {
			p := payAt(r.b, r.base, "ORD-1")
			form := r.b.get(p.location)
			m := csrfField.FindStringSubmatch(form.body)
			require.NotNil(t, m)
			r.inject(pg, 1, pointcheckouttest.DropAfterCommit())
			req := request(t, http.MethodPost, p.location, url.Values{
				"csrf": {m[1]}, "card_number": {pointcheckouttest.CardPaid}, "expiry": {pointcheckouttest.TestExpiry},
				"cvv": {pointcheckouttest.TestCVV}, "card_name": {pointcheckouttest.TestName}, "terms": {"accepted"}, "action": {"pay"},
			}.Encode(), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {r.s.gw.URL}})
			_, err := r.b.client.Do(req)
			require.Error(t, err, "the shopper never sees the way back")
			assert.Equal(t, pointcheckout.StatusPending, r.s.updates.orderStatus("ORD-1"))
			rep, err := r.s.sweep(t.Context(), r.f.h)
			require.NoError(t, err)
			assert.Equal(t, 1, rep.Final)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"gateway down for a whole sweep", func(t *testing.T, r *faultRig) {
			var ids []string
			for _, order := range []string{"ORD-1", "ORD-2", "ORD-KWD"} {
				p := payAt(r.s.browser(), r.base, order)
				ids = append(ids, r.s.checkoutIDFor(p.location))
			}
			require.NoError(t, r.s.gw.Complete(ids[0], pointcheckout.StatusPaid))
			require.NoError(t, r.s.gw.Complete(ids[1], pointcheckout.StatusFailed))
			r.inject(get, 12, pointcheckouttest.StatusCode(http.StatusServiceUnavailable))
			rep, err := r.s.sweep(t.Context(), r.f.h)
			assert.ErrorIs(t, err, pointcheckout.ErrUnavailable)
			assert.Equal(t, 3, rep.Errors)
			for _, order := range []string{"ORD-1", "ORD-2", "ORD-KWD"} {
				assert.Equal(t, pointcheckout.StatusPending, r.s.updates.orderStatus(order), "an outage changes nothing")
			}
			rep, err = r.s.sweep(t.Context(), r.f.h)
			require.NoError(t, err)
			assert.Equal(t, pointcheckout.ReconcileReport{Checked: 3, Final: 2, Pending: 1}, rep)
			r.settled("ORD-1", pointcheckout.StatusPaid)
			r.settled("ORD-2", pointcheckout.StatusFailed)
			r.settled("ORD-KWD", pointcheckout.StatusPending)
		}},
		{"notify while the gateway is down", func(t *testing.T, r *faultRig) {
			p := payAt(r.b, r.base, "ORD-1")
			id := r.s.checkoutIDFor(p.location)
			require.NoError(t, r.s.gw.Complete(id, pointcheckout.StatusPaid))
			r.inject(get, 8, pointcheckouttest.DropConnection())
			notify := func() int {
				return send(t, nil, request(t, http.MethodPost, r.base+"/pay/notify", "checkoutId="+id, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})).status
			}
			assert.Equal(t, http.StatusServiceUnavailable, notify())
			assert.Equal(t, pointcheckout.StatusPending, r.s.updates.orderStatus("ORD-1"))
			status := notify()
			for i := 0; status != http.StatusOK && i < 5; i++ {
				assert.Equal(t, http.StatusServiceUnavailable, status)
				status = notify()
			}
			assert.Equal(t, http.StatusOK, status, "the gateway's next notification is recorded")
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
		{"a stale tab pays an older attempt: the return records it at once", func(t *testing.T, r *faultRig) {
			// Attempt 1 is opened, the shopper starts attempt 2 in another
			// tab (its cookie replaces the first), then pays attempt 1. The
			// gateway returns them with attempt 1's token, which wins over
			// the cookie of the same order's other attempt.
			p1 := payAt(r.b, r.base, "ORD-1")
			p2 := payAt(r.b, r.base, "ORD-1")
			require.Equal(t, http.StatusSeeOther, p2.status)
			second := r.checkoutCookie()
			require.NotEmpty(t, second, "attempt 2 set its cookie")
			back := r.b.submitCard(p1.location, pointcheckouttest.CardPaid, "pay")
			got := r.b.get(back.location)
			assert.Equal(t, http.StatusSeeOther, got.status, got.body)
			assert.Equal(t, "/thanks", got.location)
			r.settled("ORD-1", pointcheckout.StatusPaid)
			// Attempt 1 is over, attempt 2 is not: its cookie stays.
			assert.Equal(t, second, r.checkoutCookie(), "the return of attempt 1 kept attempt 2's cookie")
			rep, err := r.s.sweep(t.Context(), r.f.h)
			require.NoError(t, err)
			assert.Zero(t, rep.Errors)
			r.settled("ORD-1", pointcheckout.StatusPaid)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newFaultRig(t)
			tt.run(t, r)
			ev.add(evFaults, r.served())
		})
	}
}
