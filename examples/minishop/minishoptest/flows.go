package minishoptest

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/examples/minishop"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RunFlows runs, over real HTTP against the sandbox, the flows every shop
// build makes must pass, each as a subtest: paying, cancelling and being
// declined on the payment page; a shopper who never comes back, settled by
// the gateway's notification; and a gateway that sends the shopper back with
// a form POST. framework names the router in failure messages.
func RunFlows(t *testing.T, build minishop.Builder, framework string) {
	t.Run("PayAndReturnFlow", func(t *testing.T) { payAndReturnFlow(t, build, framework) })
	t.Run("ShopperWhoNeverReturns", func(t *testing.T) { shopperWhoNeverReturns(t, build) })
	t.Run("PayWithPostBack", func(t *testing.T) { payWithPostBack(t, build) })
}

func payAndReturnFlow(t *testing.T, build minishop.Builder, framework string) {
	cases := []struct {
		name       string
		form       url.Values // the payment page's form, less the csrf field
		resultPath string
		status     pointcheckout.Status
		payment    pointcheckout.PaymentState
		title      string
	}{
		{
			name:       "paid with the test card",
			form:       PayForm("4242 4242 4242 4242"),
			resultPath: minishop.SuccessPath,
			status:     pointcheckout.StatusPaid,
			payment:    pointcheckout.PaymentPaid,
			title:      "Thank you for your order",
		},
		{
			name:       "cancelled on the payment page",
			form:       url.Values{"action": {"cancel"}},
			resultPath: minishop.FailurePath,
			status:     pointcheckout.StatusCancelled,
			payment:    pointcheckout.PaymentCancelled,
			title:      "Your payment did not go through",
		},
		{
			name:       "declined card",
			form:       PayForm(pointcheckouttest.CardDeclined),
			resultPath: minishop.FailurePath,
			status:     pointcheckout.StatusFailed,
			payment:    pointcheckout.PaymentFailed,
			title:      "Your payment did not go through",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			shop := StartShop(t, build)
			b := NewShopper(t)

			code, _, body := b.Do(http.MethodGet, shop.URL+"/", nil)
			require.Equal(t, http.StatusOK, code)
			assert.Contains(t, body, "49.00 AED")

			// The shop prices the order from its own catalogue: 2 x 49.00.
			code, loc, body := b.Do(http.MethodPost, shop.URL+minishop.PayPrefix, url.Values{"quantity": {"2"}})
			require.Equal(t, http.StatusSeeOther, code, body)
			require.True(t, strings.HasPrefix(loc, shop.Sandbox.URL+"/checkout/"), "redirected to %q", loc)

			code, loc, body = b.Pay(loc, tc.form)
			require.Equal(t, http.StatusSeeOther, code, body)
			require.True(t, strings.HasPrefix(loc, shop.URL+minishop.PayPrefix+"/return"), "sent back to %q", loc)

			code, loc, body = b.Do(http.MethodGet, loc, nil)
			require.Equal(t, http.StatusSeeOther, code, body)
			require.Equal(t, shop.URL+tc.resultPath, loc)

			code, _, body = b.Do(http.MethodGet, loc, nil)
			require.Equal(t, http.StatusOK, code)
			assert.Contains(t, body, tc.title)
			require.NotContains(t, body, `id="no-result"`, "the %s handler saw no payment result", framework)
			assert.Equal(t, tc.status.String(), PageValue(t, body, "status"))
			assert.Equal(t, "98.00 AED", PageValue(t, body, "amount"))

			o := shop.Order(t, PageValue(t, body, "order"))
			want, err := pointcheckout.NewMoney(9800, "AED")
			require.NoError(t, err)
			assert.Equal(t, want, o.Amount)
			assert.Equal(t, tc.status, o.Status)
			assert.Equal(t, tc.payment, o.Payment, "the ledger marked the shop's order")
			changes := Applied(o.History)
			require.Len(t, changes, 2, "history: %+v", o.History)
			assert.Equal(t, pointcheckout.StatusPending, changes[0].Status)
			assert.Equal(t, pointcheckout.SourcePay, changes[0].Source)
			assert.Equal(t, tc.status, changes[1].Status)
			assert.Equal(t, pointcheckout.SourceReturn, changes[1].Source)
			for _, c := range changes {
				assert.Equal(t, want, c.Amount)
				assert.Equal(t, o.CheckoutID, c.CheckoutID)
			}
			sc, ok := shop.Sandbox.Checkout(o.CheckoutID)
			require.True(t, ok, "the sandbox has no checkout %q", o.CheckoutID)
			assert.Equal(t, tc.status, sc.Status)
		})
	}
}

// shopperWhoNeverReturns pays and closes the tab: the gateway's
// notification settles the order, and a late return changes nothing.
func shopperWhoNeverReturns(t *testing.T, build minishop.Builder) {
	shop := StartShop(t, build)
	b := NewShopper(t)

	code, loc, body := b.Do(http.MethodPost, shop.URL+minishop.PayPrefix, url.Values{"quantity": {"1"}})
	require.Equal(t, http.StatusSeeOther, code, body)
	code, returnURL, body := b.Pay(loc, PayForm(pointcheckouttest.CardPaid))
	require.Equal(t, http.StatusSeeOther, code, body)

	all := shop.Sandbox.Checkouts()
	require.Len(t, all, 1)
	o := shop.Order(t, all[0].OrderID)
	require.Equal(t, pointcheckout.StatusPending, o.Status, "nothing but the return or a notification may settle the order")
	require.Equal(t, pointcheckout.PaymentPending, o.Payment)

	// The notification is only a hint: the shop asks the API.
	gateway := NewShopper(t)
	code, _, body = gateway.Do(http.MethodPost, shop.URL+minishop.PayPrefix+"/notify", url.Values{"checkoutId": {all[0].ID}})
	require.Equal(t, http.StatusOK, code, body)
	o = shop.Order(t, o.ID)
	assert.Equal(t, pointcheckout.StatusPaid, o.Status)
	assert.Equal(t, pointcheckout.PaymentPaid, o.Payment)
	changes := Applied(o.History)
	require.Len(t, changes, 2)
	assert.Equal(t, pointcheckout.SourceNotify, changes[1].Source)

	// The shopper comes back after all: the same answer, no new update.
	code, loc, body = b.Do(http.MethodGet, returnURL, nil)
	require.Equal(t, http.StatusSeeOther, code, body)
	assert.Equal(t, shop.URL+minishop.SuccessPath, loc)
	o = shop.Order(t, o.ID)
	assert.Len(t, Applied(o.History), 2, "history: %+v", o.History)
	assert.Equal(t, pointcheckout.PaymentPaid, o.Payment)

	code, _, body = gateway.Do(http.MethodPost, shop.URL+minishop.PayPrefix+"/notify", url.Values{"checkoutId": {"no-such-checkout"}})
	assert.Equal(t, http.StatusNotFound, code, body)
}

// payWithPostBack has the gateway send the shopper back with a form POST
// (as some payment pages do) instead of a redirect: the POST return route
// must reach the library too.
func payWithPostBack(t *testing.T, build minishop.Builder) {
	shop := StartShop(t, build, pointcheckouttest.WithPostBack())
	b := NewShopper(t)

	code, loc, body := b.Do(http.MethodPost, shop.URL+minishop.PayPrefix, url.Values{"quantity": {"3"}})
	require.Equal(t, http.StatusSeeOther, code, body)
	code, _, body = b.Pay(loc, PayForm(pointcheckouttest.CardPaid))
	require.Equal(t, http.StatusOK, code, body)
	m := formAction.FindStringSubmatch(body)
	require.NotNil(t, m, "no post-back form: %s", body)
	target := html.UnescapeString(m[1])
	require.True(t, strings.HasPrefix(target, shop.URL+minishop.PayPrefix+"/return"), "posts back to %q", target)
	form := url.Values{}
	for _, f := range hiddenField.FindAllStringSubmatch(body, -1) {
		form.Set(f[1], html.UnescapeString(f[2]))
	}
	require.NotEmpty(t, form.Get("checkoutId"))

	code, loc, body = b.Do(http.MethodPost, target, form)
	require.Equal(t, http.StatusSeeOther, code, body)
	require.Equal(t, shop.URL+minishop.SuccessPath, loc)
	code, _, body = b.Do(http.MethodGet, loc, nil)
	require.Equal(t, http.StatusOK, code)
	require.NotContains(t, body, `id="no-result"`)
	assert.Equal(t, "PAID", PageValue(t, body, "status"))
	assert.Equal(t, "147.00 AED", PageValue(t, body, "amount"))

	o := shop.Order(t, PageValue(t, body, "order"))
	assert.Equal(t, pointcheckout.StatusPaid, o.Status)
	assert.Equal(t, pointcheckout.PaymentPaid, o.Payment)
	assert.Equal(t, form.Get("checkoutId"), o.CheckoutID)
}
