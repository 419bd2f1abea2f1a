package pointcheckout_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// sandbox starts a pointcheckouttest.Server and a client for it with fast
// retries and a short per-attempt timeout.
func sandbox(t *testing.T, opts ...pointcheckouttest.Option) (*pointcheckouttest.Server, *pc.Client) {
	t.Helper()
	srv := pointcheckouttest.NewServer(opts...)
	t.Cleanup(srv.Close)
	c := srv.Client(func(cfg *pc.ClientConfig) {
		cfg.Timeout = 2 * time.Second
		cfg.RetryBaseDelay = time.Millisecond
		cfg.ThreeDecimalAmounts = true // 12.345 KWD on purpose
	})
	t.Cleanup(c.CloseIdleConnections)
	return srv, c
}

// endpointCount counts the API requests the sandbox saw for ep.
func endpointCount(srv *pointcheckouttest.Server, ep pointcheckouttest.Endpoint) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Endpoint == ep {
			n++
		}
	}
	return n
}

func sandboxRequest(t *testing.T, requestID, orderID, amount, currency string) *pc.CheckoutRequest {
	t.Helper()
	r := validRequest(t, amount, currency)
	r.RequestID, r.OrderID = requestID, orderID
	return r
}

// TestSandboxEveryCall runs every client call against the sandbox, with
// both header spellings and both status spellings.
func TestSandboxEveryCall(t *testing.T) {
	variants := []struct {
		name       string
		opts       []pointcheckouttest.Option
		keyHeader  string
		paidStatus string
	}{
		{"pointcheckout headers", nil, "X-Pointcheckout-Api-Key", "PAID"},
		{"paymennt headers", []pointcheckouttest.Option{pointcheckouttest.WithPaymenntHeaders()}, "X-Paymennt-Api-Key", "PAID"},
		{"enum status spelling", []pointcheckouttest.Option{pointcheckouttest.WithEnumStatusSpelling()}, "X-Pointcheckout-Api-Key", "Paid"},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			srv, c := sandbox(t, v.opts...)
			ctx := t.Context()

			// Two attempts for one order, in a 2- and a 3-digit currency.
			first, err := c.CreateWebCheckout(ctx, sandboxRequest(t, "req-a", "order-7", "100", "AED"))
			require.NoError(t, err)
			assert.Equal(t, pc.StatusPending, first.Status)
			assert.Equal(t, money(t, "100.00", "AED"), first.Amount)
			assert.Equal(t, "req-a", first.RequestID)
			assert.Contains(t, c.Environment().PaymentHosts, hostOf(t, first.RedirectURL))
			second, err := c.CreateWebCheckout(ctx, sandboxRequest(t, "req-b", "order-7", "12.345", "KWD"))
			require.NoError(t, err)
			assert.Equal(t, money(t, "12.345", "KWD"), second.Amount)

			// The sandbox kept exactly what was sent.
			snap, ok := srv.Checkout(second.ID)
			require.True(t, ok)
			assert.Contains(t, string(snap.RequestBody), `"amount":12.345`)
			assert.Contains(t, string(snap.RequestBody), `"linetotal":12.345`)

			got, err := c.GetCheckout(ctx, first.ID)
			require.NoError(t, err)
			assert.Equal(t, first.ID, got.ID)
			assert.Equal(t, first.Amount, got.Amount)

			both, err := c.FindByOrderID(ctx, "order-7")
			require.NoError(t, err)
			require.Len(t, both, 2, "both attempts of the order")

			byReq, err := c.FindByRequestID(ctx, "req-b")
			require.NoError(t, err)
			assert.Equal(t, second.ID, byReq.ID)
			_, err = c.FindByRequestID(ctx, "req-c")
			require.ErrorIs(t, err, pc.ErrNotFound)

			all, err := c.FindByOrderID(ctx, "order-7")
			require.NoError(t, err)
			assert.ElementsMatch(t, []string{first.ID, second.ID}, []string{all[0].ID, all[1].ID})
			none, err := c.FindByOrderID(ctx, "order-8")
			require.NoError(t, err)
			assert.Empty(t, none)

			cancelled, err := c.CancelCheckout(ctx, second.ID)
			require.NoError(t, err)
			assert.Equal(t, pc.StatusCancelled, cancelled.Status)
			_, err = c.CancelCheckout(ctx, second.ID)
			require.ErrorIs(t, err, pc.ErrBadRequest, "a cancelled checkout cannot be cancelled again")

			require.NoError(t, srv.Complete(first.ID, pc.StatusPaid))
			paid, err := c.GetCheckout(ctx, first.ID)
			require.NoError(t, err)
			assert.True(t, paid.Status.IsPaid())
			assert.Equal(t, v.paidStatus, paid.RawStatus)

			part, err := c.RefundCheckout(ctx, first.ID, pc.RefundRequest{Amount: money(t, "40", "AED"), Note: "one item returned", ReferenceID: "RMA-1"})
			require.NoError(t, err)
			assert.Equal(t, pc.StatusPartiallyRefunded, part.Status)
			assert.Equal(t, money(t, "40.00", "AED"), part.TotalRefunded)
			rest, err := c.RefundCheckout(ctx, first.ID, pc.RefundRequest{Amount: money(t, "60", "AED"), Note: "rest"})
			require.NoError(t, err)
			assert.Equal(t, pc.StatusRefunded, rest.Status)
			_, err = c.RefundCheckout(ctx, first.ID, pc.RefundRequest{Amount: money(t, "0.01", "AED"), Note: "too much"})
			require.ErrorIs(t, err, pc.ErrBadRequest)
			snap, _ = srv.Checkout(first.ID)
			require.Len(t, snap.Refunds, 2)
			assert.Equal(t, "RMA-1", snap.Refunds[0].ReferenceID)

			_, err = c.GetCheckout(ctx, "1234567890123456789")
			require.ErrorIs(t, err, pc.ErrNotFound)

			// Every request carried the environment's credential headers.
			for _, r := range srv.Requests() {
				assert.Equal(t, srv.Key, r.Header.Get(v.keyHeader), "%s %s", r.Method, r.Path)
				assert.Equal(t, "application/json", r.Header.Get("Accept"))
			}
		})
	}
}

func hostOf(t *testing.T, raw string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, raw, nil)
	require.NoError(t, err)
	return req.URL.Host
}

func TestSandboxRefusesWrongCredentials(t *testing.T) {
	srv, _ := sandbox(t)
	tests := []struct {
		name string
		mod  func(*pc.ClientConfig)
	}{
		{"wrong secret", func(cfg *pc.ClientConfig) { cfg.Secret = pc.NewSecret("nope") }},
		{"wrong key", func(cfg *pc.ClientConfig) { cfg.Key = "nope" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := srv.Client(tt.mod)
			_, err := c.GetCheckout(t.Context(), "1")
			require.ErrorIs(t, err, pc.ErrUnauthorized)
			_, err = c.CreateWebCheckout(t.Context(), validRequest(t, "1", "AED"))
			require.ErrorIs(t, err, pc.ErrUnauthorized)
		})
	}
	assert.Empty(t, srv.Checkouts())
}

// TestSandboxReadsRecover injects each transient fault into reads: the
// client retries and gets the truth.
func TestSandboxReadsRecover(t *testing.T) {
	faults := []struct {
		name  string
		fault pointcheckouttest.Fault
		n     int
	}{
		{"5xx burst", pointcheckouttest.StatusCode(503), 3},
		{"502 from a proxy", pointcheckouttest.StatusCode(502), 2},
		{"5xx envelope", pointcheckouttest.StatusCodeEnvelope(500), 2},
		{"429 burst", pointcheckouttest.StatusCode(429), 3},
		{"429 envelope", pointcheckouttest.StatusCodeEnvelope(429), 1},
		{"malformed JSON", pointcheckouttest.MalformedJSON(), 2},
		{"dropped connection", pointcheckouttest.DropConnection(), 2},
		{"dropped after commit", pointcheckouttest.DropAfterCommit(), 1},
		{"delay past the timeout", pointcheckouttest.Delay(time.Minute), 1},
	}
	reads := []struct {
		ep   pointcheckouttest.Endpoint
		call func(ctx context.Context, c *pc.Client, co *pc.Checkout) (string, error)
	}{
		{pointcheckouttest.EndpointGet, func(ctx context.Context, c *pc.Client, co *pc.Checkout) (string, error) {
			got, err := c.GetCheckout(ctx, co.ID)
			if err != nil {
				return "", err
			}
			return got.ID, nil
		}},
		{pointcheckouttest.EndpointFind, func(ctx context.Context, c *pc.Client, co *pc.Checkout) (string, error) {
			got, err := c.FindByRequestID(ctx, co.RequestID)
			if err != nil {
				return "", err
			}
			return got.ID, nil
		}},
	}
	for _, rd := range reads {
		for _, f := range faults {
			t.Run(rd.ep.String()+"/"+f.name, func(t *testing.T) {
				srv, _ := sandbox(t)
				c := srv.Client(func(cfg *pc.ClientConfig) {
					cfg.Timeout = 200 * time.Millisecond
					cfg.RetryBaseDelay = time.Millisecond
				})
				co, err := c.CreateWebCheckout(t.Context(), validRequest(t, "100", "AED"))
				require.NoError(t, err)
				srv.InjectFault(rd.ep, f.n, f.fault)
				id, err := rd.call(t.Context(), c, co)
				require.NoError(t, err)
				assert.Equal(t, co.ID, id)
				assert.Equal(t, f.n+1, endpointCount(srv, rd.ep), "one request per fault, then the good one")
				assert.Zero(t, srv.PendingFaults(rd.ep))
			})
		}
	}
}

func TestSandboxReadsGiveUp(t *testing.T) {
	srv, c := sandbox(t)
	srv.InjectFault(pointcheckouttest.EndpointGet, 10, pointcheckouttest.StatusCode(503))
	_, err := c.GetCheckout(t.Context(), "1")
	require.ErrorIs(t, err, pc.ErrUnavailable)
	assert.Equal(t, 4, endpointCount(srv, pointcheckouttest.EndpointGet), "the first try and 3 retries")

	assert.Equal(t, 6, srv.PendingFaults(pointcheckouttest.EndpointGet))
	srv.ClearFaults()
	srv.InjectFault(pointcheckouttest.EndpointGet, 1, pointcheckouttest.StatusCodeEnvelope(400))
	_, err = c.GetCheckout(t.Context(), "1")
	require.ErrorIs(t, err, pc.ErrBadRequest)
	assert.Equal(t, 5, endpointCount(srv, pointcheckouttest.EndpointGet), "a 400 is an answer: not retried")
}

// TestSandboxCreateFaults: create is sent once whatever happens, and an
// unknown outcome is settled by a lookup by requestId.
func TestSandboxCreateFaults(t *testing.T) {
	tests := []struct {
		name        string
		fault       pointcheckouttest.Fault
		wantCreated bool // the sandbox holds the checkout afterwards
		wantErr     error
		wantLookup  bool
	}{
		{"delay past the timeout", pointcheckouttest.Delay(time.Minute), true, nil, true},
		{"dropped after commit", pointcheckouttest.DropAfterCommit(), true, nil, true},
		{"malformed JSON", pointcheckouttest.MalformedJSON(), true, nil, true},
		{"dropped before commit", pointcheckouttest.DropConnection(), false, pc.ErrUnavailable, true},
		{"503 from a proxy", pointcheckouttest.StatusCode(503), false, pc.ErrUnavailable, true},
		{"429", pointcheckouttest.StatusCode(429), false, pc.ErrUnavailable, true},
		{"500 envelope", pointcheckouttest.StatusCodeEnvelope(500), false, pc.ErrUnavailable, true},
		{"400 envelope", pointcheckouttest.StatusCodeEnvelope(400), false, pc.ErrBadRequest, false},
		{"short delay", pointcheckouttest.Delay(10 * time.Millisecond), true, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := sandbox(t)
			c := srv.Client(func(cfg *pc.ClientConfig) {
				cfg.Timeout = 300 * time.Millisecond
				cfg.RetryBaseDelay = 20 * time.Millisecond
			})
			srv.InjectFault(pointcheckouttest.EndpointCreate, 1, tt.fault)
			req := validRequest(t, "100", "AED")
			co, err := c.CreateWebCheckout(t.Context(), req)

			assert.Equal(t, 1, endpointCount(srv, pointcheckouttest.EndpointCreate), "create is never repeated")
			assert.Equal(t, tt.wantLookup, endpointCount(srv, pointcheckouttest.EndpointFind) > 0)
			if tt.wantCreated {
				require.Eventually(t, func() bool { return len(srv.Checkouts()) == 1 }, 5*time.Second, 5*time.Millisecond)
			} else {
				assert.Empty(t, srv.Checkouts())
			}
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, co)
				return
			}
			require.NoError(t, err)
			snap := srv.Checkouts()[0]
			assert.Equal(t, snap.ID, co.ID)
			assert.Equal(t, req.RequestID, co.RequestID)
			assert.Equal(t, req.Amount, co.Amount)
		})
	}
}

func TestSandboxCreateCallerGivesUp(t *testing.T) {
	// The shopper's request is cancelled while the create hangs: the
	// lookup still runs and reports the checkout that exists.
	srv, c := sandbox(t)
	srv.InjectFault(pointcheckouttest.EndpointCreate, 1, pointcheckouttest.Delay(time.Minute))
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	co, err := c.CreateWebCheckout(ctx, validRequest(t, "100", "AED"))
	require.NoError(t, err)
	require.Len(t, srv.Checkouts(), 1)
	assert.Equal(t, srv.Checkouts()[0].ID, co.ID)
}

// TestSandboxWrongAnswersAreDecodedFaithfully: the client reports what the
// API said; comparing it with the shop's records is the handlers' job.
func TestSandboxWrongAnswersAreDecodedFaithfully(t *testing.T) {
	tests := []struct {
		name  string
		fault pointcheckouttest.Fault
		check func(t *testing.T, truth pointcheckouttest.Checkout, got *pc.Checkout)
	}{
		{"wrong amount", pointcheckouttest.WrongAmount(), func(t *testing.T, truth pointcheckouttest.Checkout, got *pc.Checkout) {
			assert.Equal(t, money(t, "100.01", "AED"), got.Amount)
			assert.NotEqual(t, truth.Amount, got.Amount)
		}},
		{"wrong order id", pointcheckouttest.WrongOrderID(), func(t *testing.T, truth pointcheckouttest.Checkout, got *pc.Checkout) {
			assert.Equal(t, truth.OrderID+"-X", got.OrderID)
		}},
		{"wrong request id", pointcheckouttest.WrongRequestID(), func(t *testing.T, truth pointcheckouttest.Checkout, got *pc.Checkout) {
			assert.Equal(t, truth.RequestID+"-X", got.RequestID)
		}},
		{"wrong checkout id", pointcheckouttest.WrongCheckoutID(), func(t *testing.T, truth pointcheckouttest.Checkout, got *pc.Checkout) {
			assert.NotEqual(t, truth.ID, got.ID)
		}},
		{"wrong currency", pointcheckouttest.WrongCurrency(), func(t *testing.T, _ pointcheckouttest.Checkout, got *pc.Checkout) {
			assert.Equal(t, money(t, "100.00", "USD"), got.Amount)
		}},
	}
	for _, tt := range tests {
		for _, ep := range []pointcheckouttest.Endpoint{pointcheckouttest.EndpointCreate, pointcheckouttest.EndpointGet, pointcheckouttest.EndpointCancel} {
			t.Run(tt.name+"/"+ep.String(), func(t *testing.T) {
				srv, c := sandbox(t)
				ctx := t.Context()
				srv.InjectFault(ep, 1, tt.fault)
				co, err := c.CreateWebCheckout(ctx, validRequest(t, "100", "AED"))
				require.NoError(t, err)
				require.Len(t, srv.Checkouts(), 1)
				truth := srv.Checkouts()[0]
				switch ep {
				case pointcheckouttest.EndpointGet:
					co, err = c.GetCheckout(ctx, truth.ID)
				case pointcheckouttest.EndpointCancel:
					co, err = c.CancelCheckout(ctx, truth.ID)
				}
				require.NoError(t, err)
				tt.check(t, truth, co)
				assert.Equal(t, 1, endpointCount(srv, ep), "a readable answer is not asked again")
			})
		}
	}

	t.Run("a currency the amount cannot be in reads as no amount", func(t *testing.T) {
		srv, c := sandbox(t)
		co, err := c.CreateWebCheckout(t.Context(), validRequest(t, "12.345", "KWD"))
		require.NoError(t, err)
		srv.InjectFault(pointcheckouttest.EndpointGet, 10, pointcheckouttest.WrongCurrency())
		got, err := c.GetCheckout(t.Context(), co.ID)
		require.NoError(t, err, "an answer, not an outage: nothing to retry")
		assert.False(t, got.Amount.IsValid(), "12.345 USD does not exist")
		assert.Equal(t, co.ID, got.ID)
		assert.Equal(t, 1, endpointCount(srv, pointcheckouttest.EndpointGet))
	})
	t.Run("a search answering another request id finds nothing", func(t *testing.T) {
		srv, c := sandbox(t)
		co, err := c.CreateWebCheckout(t.Context(), validRequest(t, "100", "AED"))
		require.NoError(t, err)
		srv.InjectFault(pointcheckouttest.EndpointFind, 1, pointcheckouttest.WrongRequestID())
		_, err = c.FindByRequestID(t.Context(), co.RequestID)
		require.ErrorIs(t, err, pc.ErrNotFound)
	})
}

// TestSandboxWritesAreNotRetried: cancel and refund faults surface once.
func TestSandboxWritesAreNotRetried(t *testing.T) {
	faults := []struct {
		name      string
		fault     pointcheckouttest.Fault
		committed bool
	}{
		{"503", pointcheckouttest.StatusCode(503), false},
		{"429 envelope", pointcheckouttest.StatusCodeEnvelope(429), false},
		{"dropped", pointcheckouttest.DropConnection(), false},
		{"dropped after commit", pointcheckouttest.DropAfterCommit(), true},
		{"malformed JSON", pointcheckouttest.MalformedJSON(), true},
		{"delay past the timeout", pointcheckouttest.Delay(time.Minute), true},
	}
	for _, f := range faults {
		for _, ep := range []pointcheckouttest.Endpoint{pointcheckouttest.EndpointCancel, pointcheckouttest.EndpointRefund} {
			t.Run(ep.String()+"/"+f.name, func(t *testing.T) {
				srv, _ := sandbox(t)
				c := srv.Client(func(cfg *pc.ClientConfig) { cfg.Timeout = 200 * time.Millisecond })
				ctx := t.Context()
				co, err := c.CreateWebCheckout(ctx, validRequest(t, "100", "AED"))
				require.NoError(t, err)
				want := pc.StatusCancelled
				if ep == pointcheckouttest.EndpointRefund {
					require.NoError(t, srv.Complete(co.ID, pc.StatusPaid))
					want = pc.StatusRefunded
				}
				srv.InjectFault(ep, 1, f.fault)
				if ep == pointcheckouttest.EndpointCancel {
					_, err = c.CancelCheckout(ctx, co.ID)
				} else {
					_, err = c.RefundCheckout(ctx, co.ID, pc.RefundRequest{Amount: co.Amount, Note: "n"})
				}
				require.ErrorIs(t, err, pc.ErrUnavailable)
				assert.Equal(t, 1, endpointCount(srv, ep))

				// The truth is one GET away.
				require.Eventually(t, func() bool {
					got, err := c.GetCheckout(ctx, co.ID)
					return err == nil && (got.Status == want) == f.committed
				}, 5*time.Second, 5*time.Millisecond)
			})
		}
	}
}

func TestSandboxKeepsConnectionsAlive(t *testing.T) {
	srv, c := sandbox(t)
	co, err := c.CreateWebCheckout(t.Context(), validRequest(t, "100", "AED"))
	require.NoError(t, err)
	for range 50 {
		_, err := c.GetCheckout(t.Context(), co.ID)
		require.NoError(t, err)
	}
	// Unknown ids answer 400: error answers keep the connection too.
	for range 10 {
		_, err := c.GetCheckout(t.Context(), "1")
		require.ErrorIs(t, err, pc.ErrNotFound)
	}
	assert.EqualValues(t, 1, srv.ConnectionsOpened(), "sequential calls share one connection")

	// Bursts of concurrent reads: with Go's default of 2 idle connections
	// per host most of each burst would dial again; the client's transport
	// keeps them.
	const workers, rounds = 32, 4
	for range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Go(func() {
				_, err := c.GetCheckout(context.Background(), co.ID)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
	opened := srv.ConnectionsOpened()
	t.Logf("%d connections for %d requests in bursts of %d", opened, workers*rounds, workers)
	assert.LessOrEqual(t, opened, int64(2*workers), fmt.Sprintf("%d connections opened", opened))
}
