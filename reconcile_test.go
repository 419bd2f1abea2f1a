package pointcheckout_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/internal/shoptest"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

func TestReconcileResolvesAbandonedCheckouts(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	var refs []pointcheckout.Ref
	refOf := map[string]pointcheckout.Ref{}
	outcomes := map[string]pointcheckout.Status{"ORD-1": pointcheckout.StatusPaid, "ORD-2": pointcheckout.StatusFailed, "ORD-KWD": ""}
	for order, st := range outcomes {
		p := s.Pay(s.Browser(), order)
		id := s.CheckoutIDFor(p.Location)
		if st != "" {
			require.NoError(t, s.Gateway.Complete(id, st))
		}
		refs = append(refs, s.Updates.RefFor(id))
		refOf[order] = s.Updates.RefFor(id)
	}
	rep, err := s.Handler.Reconcile(t.Context(), refs)
	require.NoError(t, err)
	assert.Equal(t, pointcheckout.ReconcileReport{Checked: 3, Final: 2, Pending: 1}, rep)
	assert.Equal(t, pointcheckout.StatusPaid, s.Updates.OrderStatus("ORD-1"))
	assert.Equal(t, pointcheckout.StatusFailed, s.Updates.OrderStatus("ORD-2"))
	assert.Equal(t, pointcheckout.StatusPending, s.Updates.OrderStatus("ORD-KWD"))
	for _, u := range s.Updates.List() {
		if u.Status != pointcheckout.StatusPending {
			assert.Equal(t, pointcheckout.SourceReconcile, u.Source)
		}
	}

	// The pending one is asked again (a final answer of a moment ago would
	// be reused): the gateway's trouble is reported, not a failure.
	s.Gateway.InjectFault(pointcheckouttest.EndpointGet, 100, pointcheckouttest.StatusCode(http.StatusBadGateway))
	rep, err = s.Handler.Reconcile(t.Context(), []pointcheckout.Ref{refOf["ORD-KWD"]})
	assert.ErrorIs(t, err, pointcheckout.ErrUnavailable)
	assert.Equal(t, 1, rep.Errors)
	assert.Equal(t, pointcheckout.StatusPending, s.Updates.OrderStatus("ORD-KWD"))
}
