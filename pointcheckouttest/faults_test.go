package pointcheckouttest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

func TestStatusCodeFaults(t *testing.T) {
	for _, code := range []int{500, 502, 503, 429} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			s, _ := newServer(t)
			s.InjectFault(pointcheckouttest.EndpointCreate, 2, pointcheckouttest.StatusCode(code))
			assert.Equal(t, 2, s.PendingFaults(pointcheckouttest.EndpointCreate))
			for i := range 2 {
				r := do(t, s, http.MethodPost, "checkout/web", jsonBody(t, request("R-1")))
				assert.Equal(t, code, r.code)
				assert.True(t, strings.HasPrefix(r.header.Get("Content-Type"), "text/html"))
				assert.False(t, json.Valid(r.body), "a proxy's answer is not the API's JSON")
				assert.Empty(t, s.Checkouts(), "nothing was created (attempt %d)", i)
			}
			assert.Equal(t, 0, s.PendingFaults(pointcheckouttest.EndpointCreate))
			assert.Equal(t, "PENDING", create(t, s, "R-1", nil).Status, "the third request is served normally")
			assert.Len(t, s.Requests(), 3, "faulty requests are logged too")
		})
	}
}

func TestStatusCodeEnvelopeFault(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", nil)
	s.InjectFault(pointcheckouttest.EndpointCancel, 1, pointcheckouttest.StatusCodeEnvelope(503))
	r := do(t, s, http.MethodPost, "checkout/"+c.ID+"/cancel", nil)
	assert.Equal(t, "Service Unavailable", r.failure(t, http.StatusServiceUnavailable))
	assert.Equal(t, "PENDING", get(t, s, c.ID).Status, "nothing was cancelled")
	assert.Equal(t, "CANCELLED", do(t, s, http.MethodPost, "checkout/"+c.ID+"/cancel", nil).checkout(t).Status)
}

func TestMalformedJSONFault(t *testing.T) {
	s, _ := newServer(t)
	s.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.MalformedJSON())
	r := do(t, s, http.MethodPost, "checkout/web", jsonBody(t, request("R-1")))
	assert.Equal(t, http.StatusOK, r.code)
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	assert.False(t, json.Valid(r.body))
	require.Len(t, s.Checkouts(), 1, "the create ran")
	p := do(t, s, http.MethodGet, "checkout?requestId=R-1", nil).page(t)
	require.Len(t, p.Content, 1)
}

func TestWrongFieldFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault pointcheckouttest.Fault
		check func(t *testing.T, truth, got co)
	}{
		{"amount", pointcheckouttest.WrongAmount(), func(t *testing.T, truth, got co) {
			assert.Equal(t, "100.00", truth.Amount.String())
			assert.Equal(t, "100.01", got.Amount.String())
		}},
		{"order id", pointcheckouttest.WrongOrderID(), func(t *testing.T, truth, got co) {
			assert.NotEqual(t, truth.OrderID, got.OrderID)
			assert.NotEmpty(t, got.OrderID)
		}},
		{"request id", pointcheckouttest.WrongRequestID(), func(t *testing.T, truth, got co) {
			assert.NotEqual(t, truth.RequestID, got.RequestID)
		}},
		{"checkout id", pointcheckouttest.WrongCheckoutID(), func(t *testing.T, truth, got co) {
			assert.NotEqual(t, truth.ID, got.ID)
			assert.Len(t, got.ID, len(truth.ID))
		}},
		{"currency", pointcheckouttest.WrongCurrency(), func(t *testing.T, truth, got co) {
			assert.Equal(t, "AED", truth.Currency)
			assert.Equal(t, "USD", got.Currency)
			assert.Equal(t, truth.Amount, got.Amount)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t)
			c := create(t, s, "R-1", nil)
			for _, ep := range []struct {
				ep   pointcheckouttest.Endpoint
				read func() co
			}{
				{pointcheckouttest.EndpointGet, func() co { return get(t, s, c.ID) }},
				{pointcheckouttest.EndpointFind, func() co {
					p := do(t, s, http.MethodGet, "checkout?requestId=R-1", nil).page(t)
					require.Len(t, p.Content, 1)
					return p.Content[0]
				}},
			} {
				s.InjectFault(ep.ep, 1, tc.fault)
				tc.check(t, c, ep.read())
				assert.Equal(t, c, ep.read(), "the next answer is true again")
			}
			snap, _ := s.Checkout(c.ID)
			assert.Equal(t, int64(10000), snap.Amount.Minor(), "the server's own record is untouched")
		})
	}
}

func TestWrongFieldFaultsOnCreate(t *testing.T) {
	s, _ := newServer(t)
	s.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.WrongAmount())
	c := do(t, s, http.MethodPost, "checkout/web", jsonBody(t, request("R-1"))).checkout(t)
	assert.Equal(t, "100.01", c.Amount.String())
	assert.Equal(t, "100.00", get(t, s, c.ID).Amount.String())
}

func TestWrongAmountInThreeDigitCurrency(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", func(m map[string]any) {
		m["currency"], m["amount"] = "KWD", json.Number("12.345")
		m["items"] = []any{map[string]any{"name": "x", "quantity": 1, "linetotal": json.Number("12.345")}}
	})
	s.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.WrongAmount())
	assert.Equal(t, "12.346", get(t, s, c.ID).Amount.String())
}

func TestWrongFaultsLeaveErrorsAlone(t *testing.T) {
	s, _ := newServer(t)
	s.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.WrongAmount())
	msg := do(t, s, http.MethodGet, "checkout/1", nil).failure(t, http.StatusBadRequest)
	assert.Equal(t, "Checkout not found for API merchant", msg)
	assert.Equal(t, 0, s.PendingFaults(pointcheckouttest.EndpointGet), "the request consumed the fault")
}

func TestDropConnectionFault(t *testing.T) {
	s, _ := newServer(t)
	s.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.DropConnection())
	_, err := doRaw(t, s, http.MethodPost, "checkout/web", jsonBody(t, request("R-1")), nil)
	require.Error(t, err)
	assert.True(t, errors.Is(err, io.EOF) || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "reset"), "%v", err)
	assert.Empty(t, s.Checkouts(), "dropped before the create ran")
	do(t, s, http.MethodGet, "checkout?requestId=R-1", nil).page(t)
	assert.Empty(t, do(t, s, http.MethodGet, "checkout?requestId=R-1", nil).page(t).Content)
}

func TestDropAfterCommitFault(t *testing.T) {
	s, _ := newServer(t)
	s.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.DropAfterCommit())
	_, err := doRaw(t, s, http.MethodPost, "checkout/web", jsonBody(t, request("R-1")), nil)
	require.Error(t, err)
	require.Len(t, s.Checkouts(), 1, "the create ran before the drop")
	p := do(t, s, http.MethodGet, "checkout?requestId=R-1", nil).page(t)
	require.Len(t, p.Content, 1, "a lookup by requestId finds it")
	assert.Equal(t, s.Checkouts()[0].ID, p.Content[0].ID)

	c := p.Content[0]
	s.InjectFault(pointcheckouttest.EndpointCancel, 1, pointcheckouttest.DropAfterCommit())
	_, err = doRaw(t, s, http.MethodPost, "checkout/"+c.ID+"/cancel", nil, nil)
	require.Error(t, err)
	assert.Equal(t, "CANCELLED", get(t, s, c.ID).Status)
}

func TestDelayFault(t *testing.T) {
	s, _ := newServer(t)
	s.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.Delay(time.Millisecond))
	c := create(t, s, "R-1", nil)
	assert.Equal(t, c, get(t, s, c.ID), "after the delay the answer is normal")

	// A client that gives up during a create does not stop it: a lookup
	// by requestId finds the checkout once the server has caught up.
	s.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.Delay(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.BaseURL()+"checkout/web", strings.NewReader(string(jsonBody(t, request("R-2")))))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(pointcheckouttest.PointCheckoutKeyHeader, s.Key)
	req.Header.Set(pointcheckouttest.PointCheckoutSecretHeader, s.Secret)
	_, err = http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Eventually(t, func() bool {
		return len(do(t, s, http.MethodGet, "checkout?requestId=R-2", nil).page(t).Content) == 1
	}, 5*time.Second, 5*time.Millisecond)
}

func TestDelayEndsWhenTheServerCloses(t *testing.T) {
	s, _ := newServer(t)
	s.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.Delay(time.Hour))
	done := make(chan error, 1)
	go func() {
		_, err := doRaw(t, s, http.MethodGet, "checkout/1", nil, nil)
		done <- err
	}()
	require.Eventually(t, func() bool { return len(s.Requests()) == 1 }, 5*time.Second, time.Millisecond)
	s.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close left a delayed request hanging")
	}
}

func TestFaultsQueueAndStayOnTheirEndpoint(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", nil)
	s.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.StatusCode(500))
	s.InjectFault(pointcheckouttest.EndpointGet, 2, pointcheckouttest.StatusCode(502))
	s.InjectFault(pointcheckouttest.EndpointGet, 0, pointcheckouttest.StatusCode(503)) // ignored
	s.InjectFault(pointcheckouttest.EndpointOther, 1, pointcheckouttest.StatusCode(503))
	assert.Equal(t, 3, s.PendingFaults(pointcheckouttest.EndpointGet))

	assert.Equal(t, "PENDING", do(t, s, http.MethodGet, "checkout?requestId=R-1", nil).page(t).Content[0].Status, "find is not affected")
	var codes []int
	for range 4 {
		codes = append(codes, do(t, s, http.MethodGet, "checkout/"+c.ID, nil).code)
	}
	assert.Equal(t, []int{500, 502, 502, 200}, codes)

	s.InjectFault(pointcheckouttest.EndpointGet, 5, pointcheckouttest.StatusCode(500))
	s.ClearFaults()
	assert.Equal(t, 0, s.PendingFaults(pointcheckouttest.EndpointGet))
	assert.Equal(t, http.StatusOK, do(t, s, http.MethodGet, "checkout/"+c.ID, nil).code)
}

func TestFaultsApplyBeforeAuthentication(t *testing.T) {
	s, _ := newServer(t)
	s.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.StatusCode(502))
	r, err := doRaw(t, s, http.MethodGet, "checkout/1", nil, map[string]string{pointcheckouttest.PointCheckoutSecretHeader: "wrong"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadGateway, r.code, "a proxy answers whatever the credentials")
}

func TestPageFaults(t *testing.T) {
	t.Run("status code", func(t *testing.T) {
		s, _ := newServer(t)
		c := create(t, s, "R-1", nil)
		s.InjectFault(pointcheckouttest.EndpointPage, 1, pointcheckouttest.StatusCode(502))
		assert.Equal(t, http.StatusBadGateway, newBrowser(t).get(c.RedirectURL).code)
		assert.Equal(t, http.StatusOK, newBrowser(t).get(c.RedirectURL).code)
	})
	t.Run("drop after a payment", func(t *testing.T) {
		s, _ := newServer(t)
		c := create(t, s, "R-1", nil)
		b := newBrowser(t)
		form := card(b.open(c.RedirectURL), pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true)
		s.InjectFault(pointcheckouttest.EndpointPage, 1, pointcheckouttest.DropAfterCommit())
		_, err := b.hc.PostForm(c.RedirectURL, form)
		require.Error(t, err, "the shopper never sees the way back")
		assert.Equal(t, pointcheckout.StatusPaid, status(t, s, c.ID), "but the payment went through")
	})
	t.Run("drop before a payment", func(t *testing.T) {
		s, _ := newServer(t)
		c := create(t, s, "R-1", nil)
		b := newBrowser(t)
		form := card(b.open(c.RedirectURL), pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true)
		s.InjectFault(pointcheckouttest.EndpointPage, 1, pointcheckouttest.DropConnection())
		_, err := b.hc.PostForm(c.RedirectURL, form)
		require.Error(t, err)
		assert.Equal(t, pointcheckout.StatusPending, status(t, s, c.ID))
	})
	t.Run("API faults do not touch the page", func(t *testing.T) {
		s, _ := newServer(t)
		c := create(t, s, "R-1", nil)
		s.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.StatusCode(500))
		assert.Equal(t, http.StatusOK, newBrowser(t).get(c.RedirectURL).code)
		assert.Equal(t, 1, s.PendingFaults(pointcheckouttest.EndpointGet))
	})
}

func TestFaultStrings(t *testing.T) {
	for f, want := range map[pointcheckouttest.Fault]string{
		pointcheckouttest.Delay(time.Second):      "delay 1s",
		pointcheckouttest.StatusCode(503):         "status 503",
		pointcheckouttest.StatusCodeEnvelope(500): "status 500 (envelope)",
		pointcheckouttest.MalformedJSON():         "malformed JSON",
		pointcheckouttest.WrongAmount():           "wrong amount",
		pointcheckouttest.DropConnection():        "drop connection",
		pointcheckouttest.DropAfterCommit():       "drop after commit",
		pointcheckouttest.Fault{}:                 "no fault",
	} {
		assert.Equal(t, want, f.String())
	}
	assert.Equal(t, "create", pointcheckouttest.EndpointCreate.String())
	assert.Equal(t, "page", pointcheckouttest.EndpointPage.String())
}
