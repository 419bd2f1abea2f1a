package pointcheckouttest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

func checkoutRequest(t *testing.T, reqID string) *pointcheckout.CheckoutRequest {
	t.Helper()
	amount, err := pointcheckout.ParseMoney("49.99", "SAR")
	require.NoError(t, err)
	return &pointcheckout.CheckoutRequest{
		RequestID: reqID, OrderID: "ORD-9", Amount: amount,
		Items:          []pointcheckout.Item{{Name: "Book", Quantity: 1, LineTotal: amount}},
		Customer:       pointcheckout.Customer{FirstName: "Test", LastName: "User", Email: "t@example.com"},
		BillingAddress: pointcheckout.Address{Name: "Test User", Address1: "1 Main St", City: "Riyadh", Country: "SA"},
		ReturnURL:      "https://shop.example.com/pay/return",
	}
}

func TestClientIsReadyForTheServer(t *testing.T) {
	for _, opts := range [][]pointcheckouttest.Option{nil, {pointcheckouttest.WithPaymenntHeaders(), pointcheckouttest.WithEnumStatusSpelling()}} {
		s, _ := newServer(t, opts...)
		c := s.Client(func(cfg *pointcheckout.ClientConfig) { cfg.Timeout = 5 * time.Second })
		ctx := t.Context()
		created, err := c.CreateWebCheckout(ctx, checkoutRequest(t, "R-1"))
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.StatusPending, created.Status)
		assert.True(t, strings.HasPrefix(created.RedirectURL, s.URL+"/checkout/"))
		require.NoError(t, s.Complete(created.ID, pointcheckout.StatusPaid))
		got, err := c.GetCheckout(ctx, created.ID)
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.StatusPaid, got.Status)
		assert.Equal(t, created.Amount, got.Amount)
		found, err := c.FindByRequestID(ctx, "R-1")
		require.NoError(t, err)
		assert.Equal(t, created.ID, found.ID)
		_, err = c.GetCheckout(ctx, "1")
		assert.ErrorIs(t, err, pointcheckout.ErrNotFound)

		wrong := pointcheckouttest.NewServer()
		defer wrong.Close()
		bad := s.Client(func(cfg *pointcheckout.ClientConfig) { cfg.Secret = pointcheckout.NewSecret(wrong.Secret) })
		_, err = bad.GetCheckout(ctx, created.ID)
		assert.ErrorIs(t, err, pointcheckout.ErrUnauthorized)
		assert.NotContains(t, err.Error(), wrong.Secret)
	}
}

func TestHandlerServesWithoutTheListener(t *testing.T) {
	s, _ := newServer(t)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/mer/v2.0/checkout/1", nil)
	req.Header.Set(pointcheckouttest.PointCheckoutKeyHeader, s.Key)
	req.Header.Set(pointcheckouttest.PointCheckoutSecretHeader, s.Secret)
	s.Handler().ServeHTTP(rec, req)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	r := resp{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	assert.Equal(t, "Checkout not found for API merchant", r.failure(t, http.StatusBadRequest))
}
