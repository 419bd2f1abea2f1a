package pointcheckouttest_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// startWithState starts a server on the state file at path, on clock.
func startWithState(t *testing.T, path string, clock *pointcheckouttest.Clock, opts ...pointcheckouttest.Option) *pointcheckouttest.Server {
	t.Helper()
	s, err := pointcheckouttest.Start("127.0.0.1:0", append([]pointcheckouttest.Option{
		pointcheckouttest.WithClock(clock.Now), pointcheckouttest.WithStateFile(path),
	}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func TestStateFileSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sandbox.json")
	clock := pointcheckouttest.NewClock(time.Time{})

	first := startWithState(t, path, clock, pointcheckouttest.WithSettleDelay(time.Minute))
	info, err := os.Stat(path)
	require.NoError(t, err, "the file is written at start")
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "it holds the secret")

	paid := create(t, first, "R-paid", nil)
	b := newBrowser(t)
	b.post(paid.RedirectURL, card(b.open(paid.RedirectURL), pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true))
	do(t, first, http.MethodPost, "checkout/"+paid.ID+"/refund?amount=10&currency=AED&note=Out+of+stock&referenceId=RF-1", nil).checkout(t)
	pending := create(t, first, "R-pending", func(m map[string]any) {
		m["customer"].(map[string]any)["reference"] = "CUST-9"
		m["deliveryAddress"] = map[string]any{"name": "T", "address1": "2 St", "city": "Dubai", "country": "AE"}
	})
	later := create(t, first, "R-later", nil)
	b = newBrowser(t)
	b.post(later.RedirectURL, card(b.open(later.RedirectURL), pointcheckouttest.CardPaidLater, "12/25", "100", "TEST USER", true))
	before := first.Checkouts()
	key, secret := first.Key, first.Secret
	first.Close()

	file, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(file), pointcheckouttest.CardPaid, "no card data")
	assert.NotContains(t, string(file), pointcheckouttest.TestName)
	matches, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	assert.Equal(t, []string{path}, matches, "no temporary file is left behind")

	second := startWithState(t, path, clock, pointcheckouttest.WithSettleDelay(time.Minute))
	assert.Equal(t, key, second.Key, "generated credentials are kept")
	assert.Equal(t, secret, second.Secret)
	after := second.Checkouts()
	require.Len(t, after, len(before))
	for i := range before {
		w, g := before[i], after[i]
		assert.Equal(t, w.ID, g.ID)
		assert.Equal(t, w.CheckoutKey, g.CheckoutKey)
		assert.Equal(t, w.DisplayID, g.DisplayID)
		assert.Equal(t, w.Status, g.Status)
		assert.Equal(t, w.Amount, g.Amount)
		assert.Equal(t, w.TotalRefunded, g.TotalRefunded)
		assert.Equal(t, w.PaymentMethod, g.PaymentMethod)
		assert.Equal(t, w.RequestBody, g.RequestBody)
		assert.True(t, w.Created.Equal(g.Created))
		assert.True(t, w.SettlesAt.Equal(g.SettlesAt))
		require.Len(t, g.Refunds, len(w.Refunds))
		for j := range w.Refunds {
			assert.Equal(t, w.Refunds[j].Amount, g.Refunds[j].Amount)
			assert.Equal(t, w.Refunds[j].Note, g.Refunds[j].Note)
			assert.Equal(t, w.Refunds[j].ReferenceID, g.Refunds[j].ReferenceID)
		}
	}

	// The API answers as before, the old requestIds stay used, the page
	// works for the pending checkout, and the settling one settles.
	got := get(t, second, paid.ID)
	assert.Equal(t, "PARTIALLY_REFUNDED", got.Status)
	assert.Equal(t, "10.00", got.TotalRefunded.String())
	assert.Equal(t, pending.Customer, get(t, second, pending.ID).Customer)
	assert.Equal(t, "CUST-9", result(t, do(t, second, http.MethodGet, "checkout/"+pending.ID, nil))["customer"].(map[string]any)["reference"])
	do(t, second, http.MethodPost, "checkout/web", jsonBody(t, request("R-paid"))).failure(t, http.StatusBadRequest)
	pendingPage := second.URL + "/checkout/" + pending.CheckoutKey
	b = newBrowser(t)
	p := b.post(pendingPage, card(b.open(pendingPage), pointcheckouttest.CardPaid, "12/25", "100", "TEST USER", true))
	assert.Equal(t, http.StatusSeeOther, p.code)
	assert.Equal(t, "PAID", get(t, second, pending.ID).Status)
	clock.Advance(time.Minute)
	assert.Equal(t, "PAID", get(t, second, later.ID).Status)

	// Changes made after the restart are saved too.
	second.Close()
	third := startWithState(t, path, clock)
	assert.Equal(t, pointcheckout.StatusPaid, status(t, third, pending.ID))
	assert.Equal(t, pointcheckout.StatusPaid, status(t, third, later.ID))
}

func TestStateFileCredentials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	clock := pointcheckouttest.NewClock(time.Time{})
	s := startWithState(t, path, clock, pointcheckouttest.WithCredentials("k1", "s1"))
	create(t, s, "R-1", nil)
	s.Close()
	s = startWithState(t, path, clock, pointcheckouttest.WithCredentials("k2", "s2"))
	assert.Equal(t, "k2", s.Key, "WithCredentials wins over the file")
	assert.Len(t, s.Checkouts(), 1)
	s.Close()
	s = startWithState(t, path, clock)
	assert.Equal(t, "k2", s.Key, "the last credentials are kept")
	assert.Equal(t, "s2", s.Secret)
}

func TestStateFileReset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	clock := pointcheckouttest.NewClock(time.Time{})
	s := startWithState(t, path, clock)
	create(t, s, "R-1", nil)
	s.Reset()
	s.Close()
	assert.Empty(t, startWithState(t, path, clock).Checkouts())
}

func TestStateFileExpiryIsSaved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	clock := pointcheckouttest.NewClock(time.Time{})
	s := startWithState(t, path, clock, pointcheckouttest.WithTTL(time.Minute))
	c := create(t, s, "R-1", nil)
	clock.Advance(time.Minute)
	assert.Equal(t, "EXPIRED", get(t, s, c.ID).Status)
	s.Close()
	file, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(file), `"status": "EXPIRED"`)
}

func TestStateFileRefusesWhatItCannotRead(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":         "{",
		"another version":  `{"version":2,"checkouts":[]}`,
		"bad amount":       `{"version":1,"checkouts":[{"id":"1","checkoutKey":"k","requestId":"r","currency":"AED","amount":"1.001","totalRefunded":"0","status":"PENDING"}]}`,
		"unknown status":   `{"version":1,"checkouts":[{"id":"1","checkoutKey":"k","requestId":"r","currency":"AED","amount":"1","totalRefunded":"0","status":"SOLD"}]}`,
		"missing id":       `{"version":1,"checkouts":[{"checkoutKey":"k","requestId":"r","currency":"AED","amount":"1","totalRefunded":"0","status":"PENDING"}]}`,
		"repeated id":      `{"version":1,"checkouts":[{"id":"1","checkoutKey":"k","requestId":"r","currency":"AED","amount":"1","totalRefunded":"0","status":"PENDING"},{"id":"1","checkoutKey":"k2","requestId":"r2","currency":"AED","amount":"1","totalRefunded":"0","status":"PENDING"}]}`,
		"bad refund":       `{"version":1,"checkouts":[{"id":"1","checkoutKey":"k","requestId":"r","currency":"AED","amount":"1","totalRefunded":"0","status":"PAID","refunds":[{"amount":"x"}]}]}`,
		"bad settle state": `{"version":1,"checkouts":[{"id":"1","checkoutKey":"k","requestId":"r","currency":"AED","amount":"1","totalRefunded":"0","status":"PENDING","settleTo":"LATER"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sandbox.json")
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
			_, err := pointcheckouttest.Start("127.0.0.1:0", pointcheckouttest.WithStateFile(path))
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), "state file"), "%v", err)
			kept, _ := os.ReadFile(path)
			assert.Equal(t, content, string(kept), "a file the server cannot read is left alone")
		})
	}
}
