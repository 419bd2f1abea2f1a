package suite

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/internal/shoptest"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// The adversarial suite attacks the mounted handlers the way a hostile
// shopper would. Every case checks the HTTP answer and what reached the
// OrderUpdater: no update may claim money the gateway did not take, and
// every update must agree with the gateway (assertTruthful).

// scene is a shop with two orders in play: the victim's dear order ORD-2
// (250.50 AED, checkout created, not paid) and the attacker's cheap order
// ORD-CHEAP (1.00 AED, paid at the gateway, not yet returned from).
type scene struct {
	s                       *shoptest.Shop
	victim, attacker        *shoptest.Browser
	dearID, cheapID         string
	dearReturn, cheapReturn string
	dearCookie, cheapCookie string
	dearToken, cheapToken   string
}

func newScene(t *testing.T) *scene {
	t.Helper()
	s := shoptest.New(t, shoptest.Options{})
	sc := &scene{s: s, victim: s.Browser(), attacker: s.Browser()}
	p := s.Pay(sc.victim, "ORD-2")
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	sc.dearID = s.CheckoutIDFor(p.Location)
	p = s.Pay(sc.attacker, "ORD-CHEAP")
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	sc.cheapID = s.CheckoutIDFor(p.Location)
	require.NoError(t, s.Gateway.Complete(sc.cheapID, pointcheckout.StatusPaid))
	sc.dearReturn, sc.cheapReturn = s.ReturnURL(sc.dearID), s.ReturnURL(sc.cheapID)
	sc.dearToken, sc.cheapToken = shoptest.TokenOf(t, sc.dearReturn), shoptest.TokenOf(t, sc.cheapReturn)
	sc.dearCookie = s.Cookie(sc.victim, "pc_checkout").Value
	sc.cheapCookie = s.Cookie(sc.attacker, "pc_checkout").Value
	return sc
}

// returnWith asks GET /pay/return?<query> with exactly the given Cookie
// header ("" for none) from a client with no jar.
func (sc *scene) returnWith(t *testing.T, query, cookie string) shoptest.Exchange {
	h := http.Header{}
	if cookie != "" {
		h.Set("Cookie", cookie)
	}
	return shoptest.Send(t, nil, shoptest.NewRequest(t, http.MethodGet, sc.s.URL+"/pay/return?"+query, "", h))
}

func (sc *scene) notify(t *testing.T, body, ctype string) shoptest.Exchange {
	return shoptest.Send(t, nil, shoptest.NewRequest(t, http.MethodPost, sc.s.URL+"/pay/notify", body, http.Header{"Content-Type": {ctype}}))
}

func q(token string) string { return url.Values{"t": {token}}.Encode() }

func ck(v string) string { return "pc_checkout=" + v }

func randomText(t *testing.T, n int) string {
	b := make([]byte, n*3/4+3)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

func TestAttackReferences(t *testing.T) {
	ev := newTally(t)
	const mb = 1 << 20
	tests := []struct {
		name   string
		attack func(t *testing.T, sc *scene) shoptest.Exchange
		status int
		// alarm: reported to OnError as a forged reference.
		alarm bool
		// paid: the orders the attack may resolve, because the gateway
		// really has them paid; every other order must see no final update.
		paid []string
	}{
		{"tampered cookie", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.dearToken), ck(shoptest.Flip(sc.dearCookie)))
		}, http.StatusOK, false, nil}, // the valid token names the attempt
		{"truncated cookie", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.dearToken), ck(sc.dearCookie[:len(sc.dearCookie)/2]))
		}, http.StatusOK, false, nil}, // the valid token names the attempt
		{"dear cookie with a truncated token", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.dearToken[:len(sc.dearToken)/2]), ck(sc.dearCookie))
		}, http.StatusOK, false, nil}, // the valid cookie names the attempt
		{"dear cookie with the cheap token mangled", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(shoptest.Flip(sc.cheapToken)), ck(sc.dearCookie))
		}, http.StatusOK, false, nil},
		{"tampered cookie and tampered token", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(shoptest.Flip(sc.dearToken)), ck(shoptest.Flip(sc.dearCookie)))
		}, http.StatusBadRequest, true, nil},
		{"appended hint naming the cheap paid checkout", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.dearToken)+"&checkout="+sc.cheapID+"&reference=x", "")
		}, http.StatusOK, false, nil}, // the shop's own record of the dear attempt wins: still pending
		{"cookie with a byte appended", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, "", ck(sc.dearCookie+"A"))
		}, http.StatusBadRequest, true, nil},
		{"truncated token", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.cheapToken[:len(sc.cheapToken)-7]), "")
		}, http.StatusBadRequest, true, nil},
		{"tampered token", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(shoptest.Flip(sc.cheapToken)), "")
		}, http.StatusBadRequest, true, nil},
		{"random token", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(randomText(t, len(sc.cheapToken))), "")
		}, http.StatusBadRequest, true, nil},
		{"cookie value used as the token", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.cheapCookie), "")
		}, http.StatusBadRequest, true, nil},
		{"token used as the cookie", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, "", ck(sc.cheapToken))
		}, http.StatusBadRequest, true, nil},
		{"5 KB cookie", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.dearToken), ck(randomText(t, 5<<10)))
		}, http.StatusOK, false, nil}, // the valid token names the attempt
		{"5 KB token", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(randomText(t, 5<<10)), "")
		}, http.StatusBadRequest, true, nil},
		{"1 MB cookie through the server", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.dearToken), ck(randomText(t, mb)))
		}, http.StatusOK, false, nil}, // the valid token names the attempt
		{"1 MB token through the server", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(randomText(t, mb)), "")
		}, http.StatusBadRequest, true, nil},
		{"2 MB cookie, refused by net/http", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.dearToken), ck(randomText(t, 2*mb)))
		}, http.StatusRequestHeaderFieldsTooLarge, false, nil},
		{"2 MB token, refused by net/http", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(randomText(t, 2*mb)), "")
		}, http.StatusRequestHeaderFieldsTooLarge, false, nil},
		{"1 MB cookie straight to the handler", func(t *testing.T, sc *scene) shoptest.Exchange {
			return shoptest.Serve(sc.s.Handler.Middleware(shoptest.LandingPage()), shoptest.NewRequest(t, http.MethodGet, "/pay/return?"+q(sc.dearToken), "", http.Header{"Cookie": {ck(randomText(t, mb))}}))
		}, http.StatusOK, false, nil}, // the valid token names the attempt
		{"1 MB token straight to the handler", func(t *testing.T, sc *scene) shoptest.Exchange {
			return shoptest.Serve(sc.s.Handler.Middleware(shoptest.LandingPage()), shoptest.NewRequest(t, http.MethodGet, "/pay/return?"+q(randomText(t, mb)), "", nil))
		}, http.StatusBadRequest, true, nil},
		{"dear order's cookie with the cheap paid order's token", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.cheapToken), ck(sc.dearCookie))
		}, http.StatusBadRequest, true, nil},
		{"cheap paid order's cookie with the dear order's token", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.dearToken), ck(sc.cheapCookie))
		}, http.StatusBadRequest, true, nil},
		{"cheap paid order's token alone resolves only the cheap order", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.cheapToken), "")
		}, http.StatusSeeOther, false, []string{"ORD-CHEAP"}},
		{"cheap paid order's cookie alone resolves only the cheap order", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, "", ck(sc.cheapCookie))
		}, http.StatusSeeOther, false, []string{"ORD-CHEAP"}},
		{"tossed cheap cookie ahead of the dear one", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.dearToken), ck(sc.cheapCookie)+"; "+ck(sc.dearCookie))
		}, http.StatusBadRequest, true, nil},
		{"tossed cheap cookie behind the dear one", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.dearToken), ck(sc.dearCookie)+"; "+ck(sc.cheapCookie))
		}, http.StatusOK, false, nil},
		{"two tokens, the cheap one first", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.cheapToken)+"&"+q(sc.dearToken), ck(sc.dearCookie))
		}, http.StatusBadRequest, true, nil},
		{"status=PAID in the query", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.returnWith(t, q(sc.dearToken)+"&status=PAID&success=true&result=PAID", ck(sc.dearCookie))
		}, http.StatusOK, false, nil},
		{"amount, currency and ids in the query", func(t *testing.T, sc *scene) shoptest.Exchange {
			extra := url.Values{"amount": {"1.00"}, "currency": {"AED"}, "orderId": {"ORD-CHEAP"}, "checkoutId": {sc.cheapID}, "requestId": {"x"}}
			return sc.returnWith(t, q(sc.dearToken)+"&"+extra.Encode(), ck(sc.dearCookie))
		}, http.StatusOK, false, nil},
		{"post-back claiming the cheap checkout is this one, paid", func(t *testing.T, sc *scene) shoptest.Exchange {
			form := url.Values{"checkoutId": {sc.cheapID}, "status": {"PAID"}, "amount": {"250.50"}}
			return shoptest.Send(t, nil, shoptest.NewRequest(t, http.MethodPost, sc.dearReturn, form.Encode(), http.Header{
				"Content-Type": {"application/x-www-form-urlencoded"}, "Cookie": {ck(sc.dearCookie)}}))
		}, http.StatusOK, false, nil},
		{"PUT on the return route", func(t *testing.T, sc *scene) shoptest.Exchange {
			return shoptest.Send(t, nil, shoptest.NewRequest(t, http.MethodPut, sc.dearReturn, "", http.Header{"Cookie": {ck(sc.dearCookie)}}))
		}, http.StatusMethodNotAllowed, false, nil},
		{"notification claims the dear checkout is paid", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.notify(t, `{"checkoutId":"`+sc.dearID+`","status":"PAID","amount":250.50}`, "application/json")
		}, http.StatusAccepted, false, nil},
		{"notification names the cheap checkout under the dear order", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.notify(t, `{"checkoutId":"`+sc.cheapID+`","orderId":"ORD-2","status":"PAID"}`, "application/json")
		}, http.StatusOK, false, []string{"ORD-CHEAP"}},
		{"notification for a checkout the shop never made", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.notify(t, `{"checkoutId":"1999999999999999999","status":"PAID"}`, "application/json")
		}, http.StatusNotFound, false, nil},
		{"notification with a path in the id", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.notify(t, "checkoutId=..%2F"+sc.dearID+"%2Fcancel", "application/x-www-form-urlencoded")
		}, http.StatusBadRequest, false, nil},
		{"1 MB notification", func(t *testing.T, sc *scene) shoptest.Exchange {
			return sc.notify(t, `{"checkoutId":"`+sc.dearID+`","pad":"`+strings.Repeat("x", mb)+`"}`, "application/json")
		}, http.StatusBadRequest, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev.add(evAttacks, 1)
			sc := newScene(t)
			got := tt.attack(t, sc)
			assert.Equal(t, tt.status, got.Status, got.Body)
			assertSafeHeaders(t, got, nil, sc.dearCookie, sc.cheapCookie)
			if got.Status == http.StatusSeeOther {
				assert.Equal(t, "/thanks", got.Location())
			}
			assert.Equal(t, tt.alarm, sc.s.Errors.Has(pointcheckout.ErrInvalidRef), "reported as a forged reference")
			assertTruthful(t, sc.s)
			assertNoMoneyUpdate(t, sc.s, "ORD-2")
			for _, order := range []string{"ORD-2", "ORD-CHEAP"} {
				want := []pointcheckout.Status{pointcheckout.StatusPending}
				for _, p := range tt.paid {
					if p == order {
						want = append(want, pointcheckout.StatusPaid)
					}
				}
				assert.Equal(t, want, sc.s.Updates.Statuses(order), "updates of %s", order)
			}
			assert.NotContains(t, got.Body, sc.dearCookie)
			assert.NotContains(t, got.Body, sc.cheapCookie)
		})
	}
}

// A forged, replayed or foreign result cookie must not make the shop's
// landing page believe in a payment.
func TestAttackResultCookie(t *testing.T) {
	ev := newTally(t)
	s := shoptest.New(t, shoptest.Options{})
	b := s.Browser()
	back, _ := s.CheckoutAndPay(b, "ORD-CHEAP", pointcheckouttest.CardPaid, "pay")
	checkoutCookie := s.Cookie(b, "pc_checkout").Value
	done := b.Get(back.Location)
	require.Equal(t, http.StatusSeeOther, done.Status)
	genuine := s.Cookie(b, "pc_result")
	require.NotNil(t, genuine)
	other := shoptest.New(t, shoptest.Options{})
	ob := other.Browser()
	oback, _ := other.CheckoutAndPay(ob, "ORD-2", pointcheckouttest.CardPaid, "pay")
	ob.Get(oback.Location)
	foreign := other.Cookie(ob, "pc_result")
	require.NotNil(t, foreign)

	for _, tt := range []struct{ name, value string }{
		{"tampered", shoptest.Flip(genuine.Value)},
		{"truncated", genuine.Value[:len(genuine.Value)/2]},
		{"checkout cookie as result", checkoutCookie},
		{"return token as result", shoptest.TokenOf(t, back.Location)},
		{"another shop's result", foreign.Value},
		{"5 KB", randomText(t, 5<<10)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev.add(evAttacks, 1)
			got := shoptest.Send(t, nil, shoptest.NewRequest(t, http.MethodGet, s.URL+"/thanks", "", http.Header{"Cookie": {"pc_result=" + tt.value}}))
			assert.Equal(t, http.StatusOK, got.Status)
			assert.Equal(t, "/thanks no result\n", got.Body)
		})
	}
	t.Run("genuine", func(t *testing.T) {
		got := shoptest.Send(t, nil, shoptest.NewRequest(t, http.MethodGet, s.URL+"/thanks", "", http.Header{"Cookie": {"pc_result=" + genuine.Value}}))
		assert.Contains(t, got.Body, "status=PAID", "the control case: a genuine cookie is read")
	})
}

// A completed checkout's cookie and token used again give the same
// verified answer and nothing that contradicts it.
func TestAttackReplay(t *testing.T) {
	ev := newTally(t)
	s := shoptest.New(t, shoptest.Options{})
	b := s.Browser()
	back, id := s.CheckoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
	cookie := s.Cookie(b, "pc_checkout").Value
	done := b.Get(back.Location)
	require.Equal(t, http.StatusSeeOther, done.Status)
	require.Equal(t, "/thanks", done.Location)
	require.Nil(t, s.Cookie(b, "pc_checkout"), "cleared")

	replays := []struct{ name, query, cookie string }{
		{"cookie and token", q(shoptest.TokenOf(t, back.Location)), ck(cookie)},
		{"cookie alone", "", ck(cookie)},
		{"token alone", q(shoptest.TokenOf(t, back.Location)), ""},
	}
	for _, r := range replays {
		t.Run(r.name, func(t *testing.T) {
			ev.add(evAttacks, 1)
			got := shoptest.Send(t, nil, shoptest.NewRequest(t, http.MethodGet, s.URL+"/pay/return?"+r.query, "", http.Header{"Cookie": {r.cookie}}))
			assert.Equal(t, http.StatusSeeOther, got.Status, got.Body)
			assert.Equal(t, "/thanks", got.Location())
			for _, u := range s.Updates.List() {
				assert.Equal(t, id, u.CheckoutID)
				if u.Source != pointcheckout.SourcePay {
					assert.Equal(t, pointcheckout.StatusPaid, u.Status)
				}
			}
		})
	}

	t.Run("a declined attempt replayed after the order was paid", func(t *testing.T) {
		ev.add(evAttacks, 1)
		s := shoptest.New(t, shoptest.Options{})
		b := s.Browser()
		first, firstID := s.CheckoutAndPay(b, "ORD-1", pointcheckouttest.CardDeclined, "pay")
		require.Equal(t, "/sorry", b.Get(first.Location).Location)
		second, _ := s.CheckoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
		require.Equal(t, "/thanks", b.Get(second.Location).Location)

		before := len(s.Updates.List())
		got := s.Browser().Get(first.Location)
		assert.Equal(t, http.StatusSeeOther, got.Status)
		assert.Equal(t, "/sorry", got.Location, "the old attempt's own, verified answer")
		for _, u := range s.Updates.List()[before:] {
			// Handed over again, or answered from the result of a moment
			// ago: either way only the old checkout's own status.
			assert.Equal(t, firstID, u.CheckoutID, "the update names the old checkout, so the shop can tell")
			assert.Equal(t, pointcheckout.StatusFailed, u.Status)
		}
		assert.Equal(t, pointcheckout.StatusPaid, s.Updates.OrderStatus("ORD-1"), "a forward-only updater keeps the order paid")
		assertTruthful(t, s)
	})
}

// Keys rotate: a pair still listed opens old cookies and tokens; a pair
// removed from Keys opens nothing, even if it once signed a genuine one.
func TestAttackRetiredKeys(t *testing.T) {
	ev := newTally(t)
	s := shoptest.New(t, shoptest.Options{})
	b := s.Browser()
	back, _ := s.CheckoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
	cookie := ck(s.Cookie(b, "pc_checkout").Value)
	token := q(shoptest.TokenOf(t, back.Location))
	old := s.Keys[0]
	fresh, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)

	tests := []struct {
		name          string
		keys          []pointcheckout.KeyPair
		query, cookie string
		status        int
	}{
		{"cookie under a retired key", []pointcheckout.KeyPair{fresh}, "", cookie, http.StatusBadRequest},
		{"token under a retired key", []pointcheckout.KeyPair{fresh}, token, "", http.StatusBadRequest},
		{"both under a retired key", []pointcheckout.KeyPair{fresh}, token, cookie, http.StatusBadRequest},
		{"cookie under a rotated-out key still listed", []pointcheckout.KeyPair{fresh, old}, "", cookie, http.StatusSeeOther},
		{"token under a rotated-out key still listed", []pointcheckout.KeyPair{fresh, old}, token, "", http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev.add(evAttacks, 1)
			before := len(s.Updates.List())
			f := s.Mount(func(c *pointcheckout.Config) { c.Keys = tt.keys })
			got := shoptest.Send(t, nil, shoptest.NewRequest(t, http.MethodGet, f.URL+"/pay/return?"+tt.query, "", http.Header{"Cookie": {tt.cookie}}))
			assert.Equal(t, tt.status, got.Status, got.Body)
			after := s.Updates.List()[before:]
			if tt.status == http.StatusSeeOther {
				assert.Equal(t, "/thanks", got.Location())
				require.Len(t, after, 1)
				assert.Equal(t, pointcheckout.StatusPaid, after[0].Status)
			} else {
				assert.Empty(t, after, "a refused reference changes nothing")
			}
		})
	}
	assertTruthful(t, s)
}

// Every field the shop passes through: control characters are refused
// before any network call, nothing reaches a response header, very long
// values never make an oversized cookie, markup is escaped on the pages.
func TestAttackCheckoutFields(t *testing.T) {
	ev := newTally(t)
	const inject = "\r\nSet-Cookie: pwned=1\r\nLocation: https://evil.example/"
	long := strings.Repeat("A", 10<<10)
	tests := []struct {
		name   string
		mutate func(*pointcheckout.CheckoutRequest)
		// want: 500 refused before any network call; 502 refused by the
		// API (its own length limits), nothing created; 303 created.
		want int
	}{
		{"order id", func(r *pointcheckout.CheckoutRequest) { r.OrderID += inject }, http.StatusInternalServerError},
		{"first name", func(r *pointcheckout.CheckoutRequest) { r.Customer.FirstName += inject }, http.StatusInternalServerError},
		{"last name", func(r *pointcheckout.CheckoutRequest) { r.Customer.LastName += inject }, http.StatusInternalServerError},
		{"email", func(r *pointcheckout.CheckoutRequest) { r.Customer.Email += "\r\nBcc: all@evil.example" }, http.StatusInternalServerError},
		{"billing name", func(r *pointcheckout.CheckoutRequest) { r.BillingAddress.Name += inject }, http.StatusInternalServerError},
		{"billing address", func(r *pointcheckout.CheckoutRequest) { r.BillingAddress.Address1 += inject }, http.StatusInternalServerError},
		{"billing city", func(r *pointcheckout.CheckoutRequest) { r.BillingAddress.City += "\n" }, http.StatusInternalServerError},
		{"billing country", func(r *pointcheckout.CheckoutRequest) { r.BillingAddress.Country = "A\rE" }, http.StatusInternalServerError},
		{"delivery address", func(r *pointcheckout.CheckoutRequest) {
			d := r.BillingAddress
			d.Address1 += inject
			r.DeliveryAddress = &d
		}, http.StatusInternalServerError},
		{"item name", func(r *pointcheckout.CheckoutRequest) { r.Items[0].Name += inject }, http.StatusInternalServerError},
		{"NUL in the order id", func(r *pointcheckout.CheckoutRequest) { r.OrderID += "\x00" }, http.StatusInternalServerError},
		{"DEL in the last name", func(r *pointcheckout.CheckoutRequest) { r.Customer.LastName += "\x7f" }, http.StatusInternalServerError},
		{"order id of 10 KB", func(r *pointcheckout.CheckoutRequest) { r.OrderID = long }, http.StatusInternalServerError},
		{"order id not UTF-8", func(r *pointcheckout.CheckoutRequest) { r.OrderID = "ORD-\xff\xfe" }, http.StatusInternalServerError},
		{"first name of 10 KB", func(r *pointcheckout.CheckoutRequest) { r.Customer.FirstName = long }, http.StatusInternalServerError},
		{"address of 10 KB", func(r *pointcheckout.CheckoutRequest) { r.BillingAddress.Address1 = long }, http.StatusInternalServerError},
		{"order id of 256 bytes", func(r *pointcheckout.CheckoutRequest) { r.OrderID = strings.Repeat("é", 128) }, http.StatusSeeOther},
		{"markup in every text field", func(r *pointcheckout.CheckoutRequest) {
			x := `<script>alert(1)</script>"'`
			r.OrderID = "ORD-" + x
			r.Customer.FirstName, r.Customer.LastName = x, x
			r.BillingAddress.Address1 = x
			r.Items[0].Name = x
		}, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev.add(evAttacks, 1)
			s := shoptest.New(t, shoptest.Options{})
			o := shoptest.Order("ORD-X", shoptest.Money(t, 10000, "AED"))
			tt.mutate(&o)
			s.Orders["x"] = o
			b := s.Browser()
			resp := shoptest.Send(t, b.Client, shoptest.NewRequest(t, http.MethodPost, s.URL+"/pay", url.Values{"order": {"x"}}.Encode(),
				http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"same-origin"}}))
			assertSafeHeaders(t, resp, []string{strings.TrimPrefix(s.Gateway.URL, "http://")}, ": pwned", "evil.example")
			assert.NotContains(t, resp.Body, "pwned")
			assert.NotContains(t, resp.Body, "<script>")
			require.Equal(t, tt.want, resp.Status, resp.Body)
			if tt.want != http.StatusSeeOther {
				if tt.want == http.StatusInternalServerError {
					for _, r := range s.Gateway.Requests() {
						assert.NotEqual(t, pointcheckouttest.EndpointCreate, r.Endpoint, "refused before any network call")
					}
				}
				assert.Empty(t, s.Gateway.Checkouts())
				assert.Empty(t, s.Updates.List())
				assert.Empty(t, resp.Header.Values("Set-Cookie"))
				return
			}
			// The return page shows the order id: it must be escaped.
			id := s.CheckoutIDFor(resp.Location())
			got := shoptest.Send(t, b.Client, shoptest.NewRequest(t, http.MethodGet, s.ReturnURL(id), "", nil))
			assert.Equal(t, http.StatusOK, got.Status)
			assert.Contains(t, got.Body, "Confirming your payment")
			assert.NotContains(t, got.Body, "<script>")
			assertSafeHeaders(t, got, nil, ": pwned")
			assertTruthful(t, s)
		})
	}
}

// Optional fields the API takes but does not require (phone, second
// address line, state, zip, SKU, customer id) travel only inside the
// JSON body: a control character in them can reach no header.
func TestAttackOptionalFieldsStayInTheBody(t *testing.T) {
	ev := newTally(t)
	const inject = "\r\nX-Injected: 1"
	tests := []struct {
		name   string
		mutate func(*pointcheckout.CheckoutRequest)
	}{
		{"phone", func(r *pointcheckout.CheckoutRequest) { r.Customer.Phone = "+971" + inject }},
		{"customer id", func(r *pointcheckout.CheckoutRequest) { r.Customer.ID = "c1" + inject }},
		{"address line 2", func(r *pointcheckout.CheckoutRequest) { r.BillingAddress.Address2 = "x" + inject }},
		{"state", func(r *pointcheckout.CheckoutRequest) { r.BillingAddress.State = "x" + inject }},
		{"zip", func(r *pointcheckout.CheckoutRequest) { r.BillingAddress.Zip = "0" + inject }},
		{"sku", func(r *pointcheckout.CheckoutRequest) { r.Items[0].SKU = "s" + inject }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev.add(evAttacks, 1)
			s := shoptest.New(t, shoptest.Options{})
			o := shoptest.Order("ORD-X", shoptest.Money(t, 10000, "AED"))
			tt.mutate(&o)
			s.Orders["x"] = o
			resp := s.Pay(s.Browser(), "x")
			for _, r := range s.Gateway.Requests() {
				for k := range r.Header {
					assert.NotEqual(t, "X-Injected", k)
				}
				assert.NotContains(t, string(r.Body), "\r\n", "raw CR/LF in the JSON body")
			}
			switch resp.Status {
			case http.StatusSeeOther:
				assert.True(t, strings.HasPrefix(resp.Location, s.Gateway.URL+"/checkout/"))
			case http.StatusInternalServerError:
				assert.Empty(t, s.Gateway.Checkouts(), "refused before the network")
			default:
				t.Fatalf("unexpected answer %d: %s", resp.Status, resp.Body)
			}
		})
	}
}

// POST /pay changes state, so it must come from the shop's own pages.
func TestAttackCrossSitePay(t *testing.T) {
	ev := newTally(t)
	tests := []struct {
		name   string
		method string
		header http.Header
		status int
	}{
		{"Sec-Fetch-Site cross-site", http.MethodPost, http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"Sec-Fetch-Site same-site (a sibling subdomain)", http.MethodPost, http.Header{"Sec-Fetch-Site": {"same-site"}}, http.StatusForbidden},
		{"cross-site despite a matching Origin", http.MethodPost, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"SHOP"}}, http.StatusForbidden},
		{"foreign Origin", http.MethodPost, http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
		{"null Origin (sandboxed frame, data: URL)", http.MethodPost, http.Header{"Origin": {"null"}}, http.StatusForbidden},
		{"Origin on a look-alike host", http.MethodPost, http.Header{"Origin": {"http://SHOP.evil.example"}}, http.StatusForbidden},
		{"GET with the form in the query", http.MethodGet, nil, http.StatusMethodNotAllowed},
		{"HEAD", http.MethodHead, nil, http.StatusMethodNotAllowed},
		{"PUT", http.MethodPut, nil, http.StatusMethodNotAllowed},
		{"same-origin control", http.MethodPost, http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {"SHOP"}}, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shoptest.New(t, shoptest.Options{})
			host := strings.TrimPrefix(s.URL, "http://")
			h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
			for k, vs := range tt.header {
				for _, v := range vs {
					h.Add(k, strings.ReplaceAll(strings.ReplaceAll(v, "SHOP.", host+"."), "SHOP", s.URL))
				}
			}
			body := url.Values{"order": {"ORD-1"}}.Encode()
			target := s.URL + "/pay"
			if tt.method == http.MethodGet {
				target += "?" + body
			}
			got := shoptest.Send(t, nil, shoptest.NewRequest(t, tt.method, target, body, h))
			assert.Equal(t, tt.status, got.Status, got.Body)
			if tt.status == http.StatusSeeOther {
				return
			}
			ev.add(evAttacks, 1)
			assert.Empty(t, s.Gateway.Checkouts(), "no checkout created")
			assert.Empty(t, s.Updates.List())
			assert.Empty(t, got.Header.Values("Set-Cookie"))
			assert.Empty(t, got.Location())
		})
	}
}

// redirectRewriter is a proxy in front of the sandbox that replaces the
// redirectUrl of every created checkout, as a compromised or spoofed API
// answer would.
func redirectRewriter(t *testing.T, gw *pointcheckouttest.Server, redirect string) *pointcheckout.Client {
	t.Helper()
	target, err := url.Parse(gw.URL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method != http.MethodPost || !strings.HasSuffix(resp.Request.URL.Path, "/checkout/web") {
			return nil
		}
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		var env map[string]any
		if err := json.Unmarshal(raw, &env); err != nil {
			return err
		}
		if res, ok := env["result"].(map[string]any); ok {
			res["redirectUrl"] = redirect
		}
		out, err := json.Marshal(env)
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(strings.NewReader(string(out)))
		resp.ContentLength = int64(len(out))
		resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
		return nil
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	env := gw.Environment()
	env.BaseURL = srv.URL + "/mer/v2.0/"
	c, err := pointcheckout.NewClient(pointcheckout.ClientConfig{
		Key: gw.Key, Secret: pointcheckout.NewSecret(gw.Secret), Environment: env, RetryBaseDelay: time.Millisecond,
	})
	require.NoError(t, err)
	return c
}

// Open redirects through every URL the package builds or follows.
func TestAttackOpenRedirects(t *testing.T) {
	ev := newTally(t)

	t.Run("payment page URL from the API", func(t *testing.T) {
		probe := shoptest.New(t, shoptest.Options{})
		gwHost := strings.TrimPrefix(probe.Gateway.URL, "http://")
		for _, tt := range []struct{ name, redirect string }{
			{"foreign host", "https://evil.example/checkout/abc"},
			{"foreign host, plain http", "http://evil.example/checkout/abc"},
			{"userinfo trick", "http://" + gwHost + "@evil.example/checkout/abc"},
			{"userinfo on the payment host", "http://user:pw@" + gwHost + "/checkout/abc"},
			{"javascript scheme", "javascript:alert(document.cookie)"},
			{"data scheme", "data:text/html,<script>alert(1)</script>"},
			{"protocol-relative", "//evil.example/checkout/abc"},
			{"backslashes", `/\evil.example/checkout/abc`},
			{"scheme with backslashes", `http:\\evil.example\checkout`},
			{"relative path", "/checkout/abc"},
			{"empty", ""},
			{"look-alike host", "http://" + gwHost + ".evil.example/checkout/abc"},
			{"host with a trailing dot", "http://" + strings.Replace(gwHost, ":", ".:", 1) + "/checkout/abc"},
			{"CR/LF in the URL", "http://" + gwHost + "/checkout/abc\r\nSet-Cookie: pwned=1"},
			{"encoded host", "http://%65vil.example/checkout/abc"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				ev.add(evAttacks, 1)
				s := shoptest.New(t, shoptest.Options{})
				f := s.Mount(func(c *pointcheckout.Config) { c.Client = redirectRewriter(t, s.Gateway, tt.redirect) })
				got := shoptest.PayAt(s.Browser(), f.URL, "ORD-1")
				assert.Equal(t, http.StatusBadGateway, got.Status, got.Body)
				assert.Empty(t, got.Location)
				assert.Empty(t, s.Updates.List(), "the order is not touched")
				cos := s.Gateway.Checkouts()
				require.Len(t, cos, 1)
				assert.Equal(t, pointcheckout.StatusCancelled, cos[0].Status, "the checkout nobody will see is cancelled")
				assert.Contains(t, s.Logs.String(), "payment page URL refused")
			})
		}
	})

	t.Run("plain-http payment page in a live environment", func(t *testing.T) {
		ev.add(evAttacks, 1)
		s := shoptest.New(t, shoptest.Options{})
		env := s.Gateway.Environment()
		env.Live = true
		live, err := pointcheckout.NewClient(pointcheckout.ClientConfig{Key: s.Gateway.Key, Secret: pointcheckout.NewSecret(s.Gateway.Secret), Environment: env})
		require.NoError(t, err)
		f := s.Mount(func(c *pointcheckout.Config) { c.Client = live; c.ReturnBaseURL = "https://shop.example" })
		got := shoptest.PayAt(s.Browser(), f.URL, "ORD-1")
		assert.Equal(t, http.StatusBadGateway, got.Status)
		assert.Empty(t, got.Location)
		assert.Empty(t, s.Updates.List())
	})

	t.Run("success and failure URLs", func(t *testing.T) {
		for _, u := range []string{
			"//evil.example/", `/\evil.example/`, `\\evil.example`, "https://evil.example/",
			"http://evil.example", "javascript:alert(1)", "evil.example/path", "/ok\r\nSet-Cookie: pwned=1",
			"/ok\tx", `/./\evil.example`, "/%2e/%5cevil.example", `/a/../\evil.example`, "/%2F%2Fevil.example", "/.%2e//evil.example",
			"",
		} {
			for _, field := range []string{"SuccessURL", "FailureURL"} {
				t.Run(field+" "+u, func(t *testing.T) {
					s := shoptest.New(t, shoptest.Options{})
					cfg := s.Config()
					if field == "SuccessURL" {
						cfg.SuccessURL = u
					} else {
						cfg.FailureURL = u
					}
					_, err := pointcheckout.New(cfg)
					if u == "" {
						assert.NoError(t, err, "empty means the default, /")
						return
					}
					ev.add(evAttacks, 1)
					assert.Error(t, err)
				})
			}
		}
	})

	t.Run("prefix that is not a path on this site", func(t *testing.T) {
		for _, p := range []string{"//evil.example", `/\evil.example`, "pay", "/pay?x", "/pay#x", "/pay\r\n"} {
			t.Run(p, func(t *testing.T) {
				ev.add(evAttacks, 1)
				s := shoptest.New(t, shoptest.Options{})
				cfg := s.Config()
				cfg.Prefix = p
				_, err := pointcheckout.New(cfg)
				assert.Error(t, err)
			})
		}
	})

	t.Run("confirming page refresh URL", func(t *testing.T) {
		var (
			mu   sync.Mutex
			seen []string
		)
		s := shoptest.New(t, shoptest.Options{})
		f := s.Mount(func(c *pointcheckout.Config) {
			c.RenderPage = func(w http.ResponseWriter, r *http.Request, p pointcheckout.Page) {
				mu.Lock()
				seen = append(seen, p.RefreshURL)
				mu.Unlock()
				w.WriteHeader(p.Status)
				_, _ = io.WriteString(w, "refresh="+p.RefreshURL)
			}
		})
		b := s.Browser()
		p := shoptest.PayAt(b, f.URL, "ORD-1")
		require.Equal(t, http.StatusSeeOther, p.Status)
		ret := s.ReturnURL(s.CheckoutIDFor(p.Location))
		tok := shoptest.TokenOf(t, ret)
		host := strings.TrimPrefix(f.URL, "http://")
		raw := []string{
			"GET http://evil.example/pay/return?t=" + tok + " HTTP/1.1\r\nHost: evil.example\r\n",
			"GET /pay/return?t=" + tok + "&next=//evil.example HTTP/1.1\r\nHost: " + host + "\r\n",
			"GET /pay/return?t=" + tok + "&x=%0d%0aSet-Cookie:+pwned=1 HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-Host: evil.example\r\n",
			"GET /pay/return?t=" + tok + "&x=;url=https://evil.example HTTP/1.1\r\nHost: " + host + "\r\n",
		}
		for _, r := range raw {
			ev.add(evAttacks, 1)
			status, header := rawExchange(t, host, r+"Connection: close\r\n\r\n")
			assert.Equal(t, http.StatusOK, status, r)
			assert.NotContains(t, header, "pwned")
		}
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, seen, len(raw))
		for _, u := range seen {
			assert.True(t, strings.HasPrefix(u, "/pay/return?"), "refresh URL %q leaves the return route", u)
		}

		// The default page: the refresh target is the escaped local path.
		ev.add(evAttacks, 1)
		got := shoptest.Send(t, nil, shoptest.NewRequest(t, http.MethodGet, s.URL+"/pay/return?t="+tok+`&x="><script>alert(1)</script>;url=https://evil.example`, "", nil))
		require.Equal(t, http.StatusOK, got.Status)
		assert.Contains(t, got.Body, `content="1;url=/pay/return?t=`)
		assert.NotContains(t, got.Body, "<script>alert")
		assert.Equal(t, "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'", got.Header.Get("Content-Security-Policy"))
		assertNoMoneyUpdate(t, s, "ORD-1")
	})

	t.Run("return URL host comes from ReturnBaseURL, not the Host header", func(t *testing.T) {
		for _, hdr := range []http.Header{
			{"Host": {"evil.example"}},
			{"Host": {"evil.example"}, "X-Forwarded-Host": {"evil.example"}, "X-Forwarded-Proto": {"http"}},
			{"X-Forwarded-Host": {"evil.example"}, "Forwarded": {"host=evil.example"}},
		} {
			ev.add(evAttacks, 1)
			s := shoptest.New(t, shoptest.Options{})
			f := s.Mount(func(c *pointcheckout.Config) { c.ReturnBaseURL = "https://shop.example/store" })
			req := shoptest.NewRequest(t, http.MethodPost, f.URL+"/pay", "order=ORD-1", http.Header{
				"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"same-origin"}})
			for k, v := range hdr {
				if k == "Host" {
					req.Host = v[0]
					continue
				}
				req.Header[k] = v
			}
			got := shoptest.Send(t, nil, req)
			require.Equal(t, http.StatusSeeOther, got.Status, got.Body)
			ret, err := url.Parse(s.ReturnURL(s.CheckoutIDFor(got.Location())))
			require.NoError(t, err)
			assert.Equal(t, "https", ret.Scheme)
			assert.Equal(t, "shop.example", ret.Host)
			assert.Equal(t, "/store/pay/return", ret.Path)
		}
	})

	t.Run("return URL without ReturnBaseURL ignores forwarded-host headers", func(t *testing.T) {
		ev.add(evAttacks, 1)
		s := shoptest.New(t, shoptest.Options{})
		got := shoptest.Send(t, nil, shoptest.NewRequest(t, http.MethodPost, s.URL+"/pay", "order=ORD-1", http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"same-origin"},
			"X-Forwarded-Host": {"evil.example"}, "Forwarded": {"host=evil.example"}}))
		require.Equal(t, http.StatusSeeOther, got.Status)
		ret, err := url.Parse(s.ReturnURL(s.CheckoutIDFor(got.Location())))
		require.NoError(t, err)
		assert.Equal(t, strings.TrimPrefix(s.URL, "http://"), ret.Host)
	})
}

// rawExchange writes a hand-made request (absolute-form targets, odd Host
// headers) and returns the status and the raw header block.
func rawExchange(t *testing.T, hostport, raw string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", hostport, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = io.WriteString(conn, raw)
	require.NoError(t, err)
	resp, err := io.ReadAll(conn)
	require.NoError(t, err)
	text := string(resp)
	head, _, _ := strings.Cut(text, "\r\n\r\n")
	var status int
	_, err = fmt.Sscanf(head, "HTTP/1.1 %d", &status)
	require.NoError(t, err, head)
	return status, head
}

// Secrets never reach a page, a log line or a Location: not the API
// secret when the API refuses it, not the cookie keys, not a reference.
func TestAttackSecretsNeverShown(t *testing.T) {
	ev := newTally(t)
	s := shoptest.New(t, shoptest.Options{})
	const wrongSecret = "wrong-secret-0123456789abcdef"
	bad, err := pointcheckout.NewClient(pointcheckout.ClientConfig{Key: s.Gateway.Key, Secret: pointcheckout.NewSecret(wrongSecret), Environment: s.Gateway.Environment()})
	require.NoError(t, err)
	f := s.Mount(func(c *pointcheckout.Config) { c.Client = bad })

	ev.add(evAttacks, 1)
	got := shoptest.PayAt(s.Browser(), f.URL, "ORD-1")
	assert.Equal(t, http.StatusBadGateway, got.Status)
	assert.NotContains(t, got.Body, wrongSecret)
	assert.NotContains(t, got.Body, "401", "no error details on the page")

	b := s.Browser()
	back, _ := s.CheckoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
	cookie := s.Cookie(b, "pc_checkout").Value
	ev.add(evAttacks, 1)
	tampered := shoptest.Send(t, nil, shoptest.NewRequest(t, http.MethodGet, s.URL+"/pay/return?t="+shoptest.Flip(shoptest.TokenOf(t, back.Location)), "", http.Header{"Cookie": {ck(shoptest.Flip(cookie))}}))
	assert.Equal(t, http.StatusBadRequest, tampered.Status)
	ev.add(evAttacks, 1)
	s.Gateway.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.WrongAmount())
	mismatch := b.Get(back.Location)
	assert.Equal(t, http.StatusBadGateway, mismatch.Status)

	logs := s.Logs.String()
	pages := got.Body + tampered.Body + mismatch.Body
	hashKey, blockKey, _ := strings.Cut(s.Keys[0].Encode(), ":")
	for _, secret := range []string{wrongSecret, s.Gateway.Secret, cookie, shoptest.Flip(cookie), hashKey, blockKey, s.Keys[0].Encode()} {
		assert.NotContains(t, logs, secret)
		assert.NotContains(t, pages, secret)
	}
	// The return token is the shopper's own URL (the retry link repeats
	// it); it never goes to the logs.
	assert.NotContains(t, logs, shoptest.TokenOf(t, back.Location))
	assert.NotContains(t, mismatch.Body, "100.01", "the mismatching amount is not shown to the shopper")
	assert.Contains(t, logs, "does not match")
}

// The return URL's scheme follows the browser's side of a proxy chain:
// "X-Forwarded-Proto: https, http" is https, as the cookie's Secure
// attribute already read it. (Regression: the list was once read whole,
// giving an http return URL behind two proxies.)
func TestReturnURLSchemeBehindProxies(t *testing.T) {
	for _, tt := range []struct{ proto, scheme string }{
		{"", "http"}, {"https", "https"}, {"HTTPS", "https"}, {"https, http", "https"},
		{" https ,http", "https"}, {"http, https", "http"}, {"httpsx", "http"},
	} {
		t.Run(tt.proto, func(t *testing.T) {
			s := shoptest.New(t, shoptest.Options{})
			got := shoptest.Send(t, nil, shoptest.NewRequest(t, http.MethodPost, s.URL+"/pay", "order=ORD-1", http.Header{
				"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"same-origin"},
				"X-Forwarded-Proto": {tt.proto}}))
			require.Equal(t, http.StatusSeeOther, got.Status, got.Body)
			ret, err := url.Parse(s.ReturnURL(s.CheckoutIDFor(got.Location())))
			require.NoError(t, err)
			assert.Equal(t, tt.scheme, ret.Scheme)
			for _, c := range got.Header.Values("Set-Cookie") {
				assert.Equal(t, tt.scheme == "https", strings.Contains(c, "; Secure"), "cookie and return URL agree: %s", c)
			}
		})
	}
}
