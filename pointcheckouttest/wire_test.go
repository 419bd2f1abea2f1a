package pointcheckouttest_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
)

// result decodes an answer's result as a generic object, so a test sees
// which keys are present and which are null.
func result(t *testing.T, r resp) map[string]any {
	t.Helper()
	var e struct {
		Result map[string]any `json:"result"`
	}
	require.NoError(t, json.Unmarshal(r.body, &e), "body: %s", r.body)
	require.NotNil(t, e.Result, "body: %s", r.body)
	return e.Result
}

// requireNull asserts that each key is present in m with the value null.
func requireNull(t *testing.T, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		v, present := m[k]
		assert.True(t, present, "%s is left out; it must be written as null", k)
		assert.Nil(t, v, "%s", k)
	}
}

func TestEmptyOptionalFieldsAreWrittenAsNull(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", nil)
	for _, r := range []resp{
		do(t, s, http.MethodGet, "checkout/"+c.ID, nil),
		do(t, s, http.MethodPost, "checkout/"+c.ID+"/cancel", nil),
	} {
		m := result(t, r)
		requireNull(t, m, "branchId", "branchName", "usedPaymentMethod", "deliveryAddress")
		cust, _ := m["customer"].(map[string]any)
		require.NotNil(t, cust)
		requireNull(t, cust, "id", "reference", "phone")
		bill, _ := m["billingAddress"].(map[string]any)
		require.NotNil(t, bill)
		requireNull(t, bill, "address2", "state", "zip")
		// Required fields keep their values.
		for _, k := range []string{"id", "displayId", "checkoutKey", "requestId", "orderId", "currency", "amount", "cashAmount", "status", "totalRefunded", "redirectUrl", "timestamp"} {
			assert.NotNil(t, m[k], k)
		}
		for _, k := range []string{"firstName", "lastName", "email"} {
			assert.NotNil(t, cust[k], k)
		}
	}

	p := do(t, s, http.MethodGet, "checkout?requestId=R-1", nil)
	var page struct {
		Result struct {
			Content []map[string]any `json:"content"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal(p.body, &page))
	require.Len(t, page.Result.Content, 1)
	requireNull(t, page.Result.Content[0], "branchId", "branchName", "usedPaymentMethod", "deliveryAddress")
}

func TestFilledOptionalFieldsAreAnswered(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", func(m map[string]any) {
		m["branchId"] = 42
		m["customer"] = map[string]any{"id": "C-1", "reference": "REF-1", "firstName": "T", "lastName": "U", "email": "t@example.com", "phone": "9715"}
		m["deliveryAddress"] = map[string]any{"name": "T U", "address1": "2 Side St", "address2": "Flat 3", "city": "Dubai", "state": "DU", "zip": "000", "country": "AE"}
	})
	require.NoError(t, s.Complete(c.ID, pointcheckout.StatusPaid))
	m := result(t, do(t, s, http.MethodGet, "checkout/"+c.ID, nil))
	assert.Equal(t, "42", m["branchId"])
	assert.NotEmpty(t, m["branchName"])
	assert.Equal(t, "CARD", m["usedPaymentMethod"])
	cust := m["customer"].(map[string]any)
	assert.Equal(t, map[string]any{"id": "C-1", "reference": "REF-1", "firstName": "T", "lastName": "U", "email": "t@example.com", "phone": "9715"}, cust)
	del := m["deliveryAddress"].(map[string]any)
	assert.Equal(t, "Flat 3", del["address2"])
	assert.Equal(t, "DU", del["state"])
	assert.Equal(t, "000", del["zip"])
}

func TestTheClientReadsNullFields(t *testing.T) {
	s, _ := newServer(t)
	c := create(t, s, "R-1", nil)
	got, err := s.Client().GetCheckout(t.Context(), c.ID)
	require.NoError(t, err)
	assert.Equal(t, c.ID, got.ID)
	assert.Equal(t, int64(10000), got.Amount.Minor())
}
