package pointcheckouttest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
		pointcheckouttest.Delay(time.Second):                  "delay 1s",
		pointcheckouttest.StatusCode(503):                     "status 503",
		pointcheckouttest.StatusCodeEnvelope(500):             "status 500 (envelope)",
		pointcheckouttest.MalformedJSON():                     "malformed JSON",
		pointcheckouttest.WrongAmount():                       "wrong amount",
		pointcheckouttest.DropConnection():                    "drop connection",
		pointcheckouttest.DropAfterCommit():                   "drop after commit",
		pointcheckouttest.NumericID():                         "numeric id",
		pointcheckouttest.AmountDigits(3):                     "amounts with 3 digits",
		pointcheckouttest.RoundedAmount():                     "amounts rounded to 2 digits",
		pointcheckouttest.Redirect(301, "https://x.example/"): "redirect 301 to https://x.example/",
		pointcheckouttest.Fault{}:                             "no fault",
	} {
		assert.Equal(t, want, f.String())
	}
	assert.Equal(t, "create", pointcheckouttest.EndpointCreate.String())
	assert.Equal(t, "page", pointcheckouttest.EndpointPage.String())
}

// rawResult returns the result object of an answer with its amounts and
// id as written.
func rawResult(t *testing.T, r resp) map[string]json.RawMessage {
	t.Helper()
	var e struct {
		Result map[string]json.RawMessage `json:"result"`
	}
	require.NoError(t, json.Unmarshal(r.body, &e), "body: %s", r.body)
	return e.Result
}

func TestNumericIDFault(t *testing.T) {
	s, _ := newServer(t)
	s.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.NumericID())
	r := do(t, s, http.MethodPost, "checkout/web", jsonBody(t, request("R-1")))
	id := string(rawResult(t, r)["id"])
	assert.Regexp(t, `^[1-9][0-9]{18}$`, id, "the id is a JSON number")
	snap := s.Checkouts()[0]
	assert.Equal(t, snap.ID, id, "the same id, as a number")

	s.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.NumericID())
	assert.Equal(t, id, string(rawResult(t, do(t, s, http.MethodGet, "checkout/"+id, nil))["id"]))
	assert.Equal(t, `"`+id+`"`, string(rawResult(t, do(t, s, http.MethodGet, "checkout/"+id, nil))["id"]), "the next answer is a string again")

	s.InjectFault(pointcheckouttest.EndpointFind, 1, pointcheckouttest.NumericID())
	var page struct {
		Result struct {
			Content []map[string]json.RawMessage `json:"content"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal(do(t, s, http.MethodGet, "checkout?requestId=R-1", nil).body, &page))
	require.Len(t, page.Result.Content, 1)
	assert.Equal(t, id, string(page.Result.Content[0]["id"]))
}

func TestAmountFaults(t *testing.T) {
	tests := []struct {
		name            string
		currency, total string
		refunded        string // refunded before the faulty read, "" for none
		fault           pointcheckouttest.Fault
		amount, cash    string
		totalRefunded   string
	}{
		{"AED with 3 digits", "AED", "100.00", "", pointcheckouttest.AmountDigits(3), "100.000", "0.000", "0.000"},
		{"AED with 0 digits", "AED", "25.00", "", pointcheckouttest.AmountDigits(0), "25", "0", "0"},
		{"AED with 0 digits, not exact", "AED", "100.50", "0.50", pointcheckouttest.AmountDigits(0), "100.50", "0", "0.50"},
		{"AED with 1 digit", "AED", "100.50", "", pointcheckouttest.AmountDigits(1), "100.5", "0.0", "0.0"},
		{"negative digits count as 0", "AED", "25.00", "", pointcheckouttest.AmountDigits(-2), "25", "0", "0"},
		{"KWD with 4 digits", "KWD", "12.345", "", pointcheckouttest.AmountDigits(4), "12.3450", "0.0000", "0.0000"},
		{"KWD with 2 digits, not exact", "KWD", "12.345", "", pointcheckouttest.AmountDigits(2), "12.345", "0.00", "0.00"},
		{"JPY with 2 digits", "JPY", "500", "", pointcheckouttest.AmountDigits(2), "500.00", "0.00", "0.00"},
		{"KWD rounded half up", "KWD", "12.345", "0.005", pointcheckouttest.RoundedAmount(), "12.35", "0.00", "0.01"},
		{"KWD rounded down", "KWD", "12.344", "", pointcheckouttest.RoundedAmount(), "12.34", "0.00", "0.00"},
		{"KWD rounding carries", "KWD", "9.995", "", pointcheckouttest.RoundedAmount(), "10.00", "0.00", "0.00"},
		{"KWD below a cent", "KWD", "0.004", "", pointcheckouttest.RoundedAmount(), "0.00", "0.00", "0.00"},
		{"AED is already rounded", "AED", "100.05", "", pointcheckouttest.RoundedAmount(), "100.05", "0.00", "0.00"},
		{"JPY has no decimals to round", "JPY", "500", "", pointcheckouttest.RoundedAmount(), "500", "0", "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t)
			c := create(t, s, "R-1", func(m map[string]any) {
				m["currency"], m["amount"] = tc.currency, json.Number(tc.total)
				m["items"] = []any{map[string]any{"name": "x", "quantity": 1, "linetotal": json.Number(tc.total)}}
			})
			if tc.refunded != "" {
				require.NoError(t, s.Complete(c.ID, pointcheckout.StatusPaid))
				do(t, s, http.MethodPost, "checkout/"+c.ID+"/refund?amount="+tc.refunded+"&currency="+tc.currency+"&note=x", nil).checkout(t)
			}
			for _, ep := range []struct {
				ep   pointcheckouttest.Endpoint
				read func() map[string]json.RawMessage
			}{
				{pointcheckouttest.EndpointGet, func() map[string]json.RawMessage {
					return rawResult(t, do(t, s, http.MethodGet, "checkout/"+c.ID, nil))
				}},
				{pointcheckouttest.EndpointFind, func() map[string]json.RawMessage {
					var page struct {
						Result struct {
							Content []map[string]json.RawMessage `json:"content"`
						} `json:"result"`
					}
					require.NoError(t, json.Unmarshal(do(t, s, http.MethodGet, "checkout?requestId=R-1", nil).body, &page))
					require.Len(t, page.Result.Content, 1)
					return page.Result.Content[0]
				}},
			} {
				s.InjectFault(ep.ep, 1, tc.fault)
				got := ep.read()
				assert.Equal(t, tc.amount, string(got["amount"]), "%s amount", ep.ep)
				assert.Equal(t, tc.cash, string(got["cashAmount"]), "%s cashAmount", ep.ep)
				assert.Equal(t, tc.totalRefunded, string(got["totalRefunded"]), "%s totalRefunded", ep.ep)
				assert.Equal(t, tc.total, string(ep.read()["amount"]), "the next answer is true again")
			}
		})
	}
}

func TestAmountFaultsOnEveryOperation(t *testing.T) {
	s, _ := newServer(t)
	s.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.AmountDigits(3))
	c := do(t, s, http.MethodPost, "checkout/web", jsonBody(t, request("R-1"))).checkout(t)
	assert.Equal(t, "100.000", c.Amount.String())
	s.InjectFault(pointcheckouttest.EndpointCancel, 1, pointcheckouttest.AmountDigits(0))
	assert.Equal(t, "100", do(t, s, http.MethodPost, "checkout/"+c.ID+"/cancel", nil).checkout(t).Amount.String())

	p := create(t, s, "R-2", nil)
	require.NoError(t, s.Complete(p.ID, pointcheckout.StatusPaid))
	s.InjectFault(pointcheckouttest.EndpointRefund, 1, pointcheckouttest.AmountDigits(3))
	r := do(t, s, http.MethodPost, "checkout/"+p.ID+"/refund?amount=1&currency=AED&note=x", nil).checkout(t)
	assert.Equal(t, "1.000", r.TotalRefunded.String())
}

func TestRedirectFault(t *testing.T) {
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			s, _ := newServer(t)
			const moved = "https://api.test.paymennt.com/mer/v2.0/checkout/web"
			s.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.Redirect(code, moved))
			// doRaw's client follows no redirect off loopback: capture it.
			req, err := http.NewRequest(http.MethodPost, s.BaseURL()+"checkout/web", strings.NewReader(string(jsonBody(t, request("R-1")))))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			// Wrong credentials: the redirect comes first, as from a proxy.
			req.Header.Set(pointcheckouttest.PointCheckoutKeyHeader, "wrong")
			hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := hc.Do(req)
			require.NoError(t, err)
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err)
			assert.Equal(t, code, res.StatusCode)
			assert.Equal(t, moved, res.Header.Get("Location"))
			assert.Empty(t, body, "no envelope")
			assert.Empty(t, s.Checkouts(), "nothing ran")
			assert.Equal(t, "PENDING", create(t, s, "R-1", nil).Status, "the next request is served")
		})
	}
}

func TestFaultsOnTheSearch(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", nil)
	other := create(t, s, "R-2", nil)

	s.InjectFault(pointcheckouttest.EndpointFind, 1, pointcheckouttest.WrongCheckoutID())
	p := do(t, s, http.MethodGet, "checkout?requestId=R-1", nil).page(t)
	require.Len(t, p.Content, 1)
	assert.NotEqual(t, c.ID, p.Content[0].ID, "the search answers another id")
	assert.Equal(t, c.RequestID, p.Content[0].RequestID, "for the same request")
	assert.Equal(t, c.Amount, p.Content[0].Amount)
	_, known := s.Checkout(p.Content[0].ID)
	assert.False(t, known, "an id the server never issued")

	s.InjectFault(pointcheckouttest.EndpointFind, 1, pointcheckouttest.WrongCheckoutID())
	all := do(t, s, http.MethodGet, "checkout?orderId=ORD-1", nil).page(t)
	require.Len(t, all.Content, 2)
	assert.NotEqual(t, other.ID, all.Content[0].ID, "every checkout of the page is spoiled")
	assert.NotEqual(t, c.ID, all.Content[1].ID)

	s.InjectFault(pointcheckouttest.EndpointFind, 1, pointcheckouttest.StatusCode(502))
	r := do(t, s, http.MethodGet, "checkout?requestId=R-1", nil)
	assert.Equal(t, http.StatusBadGateway, r.code)
	assert.False(t, json.Valid(r.body))

	s.InjectFault(pointcheckouttest.EndpointFind, 1, pointcheckouttest.StatusCodeEnvelope(500))
	assert.Equal(t, "Internal Server Error", do(t, s, http.MethodGet, "checkout?requestId=R-1", nil).failure(t, http.StatusInternalServerError))

	s.InjectFault(pointcheckouttest.EndpointFind, 1, pointcheckouttest.StatusCodeEnvelope(400))
	do(t, s, http.MethodGet, "checkout?requestId=R-1", nil).failure(t, http.StatusBadRequest)

	p = do(t, s, http.MethodGet, "checkout?requestId=R-1", nil).page(t)
	require.Len(t, p.Content, 1)
	assert.Equal(t, c.ID, p.Content[0].ID, "after the faults the search is true again")
	assert.Equal(t, "PENDING", get(t, s, c.ID).Status, "and nothing changed")
}

// TestFaultRate: at rate 1 every API request meets one of the transient
// faults, each kind served and counted; the payment page is spared; the
// delayed requests still run. At rate 0 nothing is injected.
func TestFaultRate(t *testing.T) {
	s := pointcheckouttest.NewServer(pointcheckouttest.WithFaultRate(1), pointcheckouttest.WithFaultDelay(time.Millisecond))
	defer s.Close()
	const n = 300
	byCode := map[int]int{}
	dropped := 0
	for i := range n {
		r, err := doRaw(t, s, http.MethodPost, "checkout/web", jsonBody(t, request(fmt.Sprintf("R-%d", i))), nil)
		if err != nil {
			dropped++
			continue
		}
		byCode[r.code]++
	}
	got := s.InjectedFaults()
	want := map[string]int{
		"status 500": byCode[500], "status 502": byCode[502], "status 503": byCode[503], "status 429": byCode[429],
		"drop connection": dropped, "delay 1ms": byCode[200],
	}
	assert.Equal(t, want, got, "what the clients saw is what was counted")
	for kind, count := range got {
		assert.Positive(t, count, kind)
	}
	assert.Len(t, s.Checkouts(), byCode[200], "only the delayed creates ran")
	assert.Len(t, s.Requests(), n)

	// The hosted page is never faulted.
	c := s.Checkouts()[0]
	res, err := http.Get(c.PageURL)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, n, sum(s.InjectedFaults()))

	s.Reset()
	assert.Empty(t, s.InjectedFaults(), "Reset forgets the counts")

	calm := pointcheckouttest.NewServer(pointcheckouttest.WithFaultRate(0))
	defer calm.Close()
	for i := range 20 {
		create(t, calm, fmt.Sprintf("R-%d", i), nil)
	}
	assert.Empty(t, calm.InjectedFaults())
}

func TestFaultRateRefusesNonsense(t *testing.T) {
	for _, rate := range []float64{-0.1, 1.5} {
		_, err := pointcheckouttest.Start("127.0.0.1:0", pointcheckouttest.WithFaultRate(rate))
		assert.ErrorContains(t, err, "fault rate", "%v", rate)
	}
	_, err := pointcheckouttest.Start("127.0.0.1:0", pointcheckouttest.WithFaultDelay(-time.Second))
	assert.ErrorContains(t, err, "negative fault delay")
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
