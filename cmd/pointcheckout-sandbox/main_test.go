package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout/internal/shoptest"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

func TestRunServesAndPrintsCredentials(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs shoptest.LogBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-key", "demo", "-secret", "demo-secret", "-ttl", "5m"}, &out, &errs)
	}()

	base := regexp.MustCompile(`base URL:\s+(\S+)`)
	require.Eventually(t, func() bool { return base.MatchString(out.String()) }, 5*time.Second, 5*time.Millisecond)
	url := base.FindStringSubmatch(out.String())[1]
	assert.Contains(t, out.String(), "API key:       demo")
	assert.Contains(t, out.String(), "API secret:    demo-secret")
	assert.Contains(t, out.String(), "4242424242424242")

	req, err := http.NewRequest(http.MethodGet, url+"checkout/1", nil)
	require.NoError(t, err)
	req.Header.Set("X-PointCheckout-Api-Key", "demo")
	req.Header.Set("X-PointCheckout-Api-Secret", "demo-secret")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var env struct {
		Success bool
		Error   string
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&env))
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "Checkout not found for API merchant", env.Error)

	cancel()
	require.NoError(t, <-done)
	assert.True(t, strings.HasSuffix(out.String(), "shutting down\n"))
}

// sandbox runs the command with args until the test ends and returns its
// base URL and output.
func sandbox(t *testing.T, args ...string) (base string, out *shoptest.LogBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &shoptest.LogBuffer{}
	var errs shoptest.LogBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), out, &errs) }()
	re := regexp.MustCompile(`base URL:\s+(\S+)`)
	require.Eventually(t, func() bool {
		select {
		case err := <-done:
			done <- err
			return true
		default:
		}
		// The whole banner: the state file's line comes after the URL.
		return strings.Contains(out.String(), "test cards")
	}, 5*time.Second, 5*time.Millisecond)
	m := re.FindStringSubmatch(out.String())
	require.NotNil(t, m, "the sandbox did not start: %s", errs.String())
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
		})
	}
	t.Cleanup(stop)
	return m[1], out, stop
}

// call sends one API request with the demo credentials and decodes the
// envelope.
func call(t *testing.T, method, u string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-PointCheckout-Api-Key", "demo")
	req.Header.Set("X-PointCheckout-Api-Secret", "demo-secret")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var env struct {
		Result map[string]any
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&env))
	return res.StatusCode, env.Result
}

func createBody(reqID string) map[string]any {
	return map[string]any{
		"requestId": reqID, "orderId": "ORD-1", "currency": "AED", "amount": "10.00",
		"items":          []any{map[string]any{"name": "x", "quantity": 1, "linetotal": "10.00"}},
		"customer":       map[string]any{"firstName": "T", "lastName": "U", "email": "t@example.com"},
		"billingAddress": map[string]any{"name": "T U", "address1": "1 St", "city": "Dubai", "country": "AE"},
		"returnUrl":      "http://127.0.0.1:9/return?order=1",
	}
}

// payBack pays the checkout on its page and returns where the shopper is
// sent back to.
func payBack(t *testing.T, pageURL string) string {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(pageURL)
	require.NoError(t, err)
	page, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindSubmatch(page)
	require.NotNil(t, m)
	res, err = hc.PostForm(pageURL, url.Values{
		"csrf": {string(m[1])}, "card_number": {pointcheckouttest.CardPaid}, "expiry": {"12/25"},
		"cvv": {"100"}, "card_name": {"TEST USER"}, "terms": {"accepted"}, "action": {"pay"},
	})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	return res.Header.Get("Location")
}

func TestRunKeepsStateAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	base, out, stop := sandbox(t, "-key", "demo", "-secret", "demo-secret", "-state", path)
	assert.Contains(t, out.String(), "state file:    "+path+" (checkouts kept: 0)")
	code, c := call(t, http.MethodPost, base+"checkout/web", createBody("R-1"))
	require.Equal(t, http.StatusOK, code)
	id := c["id"].(string)
	stop()

	base, out, _ = sandbox(t, "-key", "demo", "-secret", "demo-secret", "-state", path)
	assert.Contains(t, out.String(), "(checkouts kept: 1)")
	code, got := call(t, http.MethodGet, base+"checkout/"+id, nil)
	require.Equal(t, http.StatusOK, code, "the restarted sandbox knows the checkout")
	assert.Equal(t, "R-1", got["requestId"])
}

func TestRunPaymentPageAndReturnFlags(t *testing.T) {
	base, out, _ := sandbox(t, "-key", "demo", "-secret", "demo-secret", "-payment-page-url", "https://pay.test.paymennt.com")
	assert.Contains(t, out.String(), "answered on https://pay.test.paymennt.com")
	code, c := call(t, http.MethodPost, base+"checkout/web", createBody("R-1"))
	require.Equal(t, http.StatusOK, code)
	key := c["checkoutKey"].(string)
	assert.Equal(t, "https://pay.test.paymennt.com/checkout/"+key, c["redirectUrl"])
	page := strings.TrimSuffix(base, "/mer/v2.0/") + "/checkout/" + key
	assert.Equal(t, "http://127.0.0.1:9/return?order=1&checkout="+c["id"].(string)+"&reference=R-1", payBack(t, page),
		"by default the page appends checkout and reference")

	base, _, _ = sandbox(t, "-key", "demo", "-secret", "demo-secret", "-no-return-params")
	code, c = call(t, http.MethodPost, base+"checkout/web", createBody("R-1"))
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "http://127.0.0.1:9/return?order=1", payBack(t, c["redirectUrl"].(string)))
}

func TestRunPaymenntHeadersAcceptBothPairs(t *testing.T) {
	base, out, _ := sandbox(t, "-key", "demo", "-secret", "demo-secret", "-paymennt-headers")
	assert.Contains(t, out.String(), "X-Paymennt-Api-Key, X-Paymennt-Api-Secret, or X-PointCheckout-Api-Key, X-PointCheckout-Api-Secret")
	code, _ := call(t, http.MethodPost, base+"checkout/web", createBody("R-1"))
	assert.Equal(t, http.StatusOK, code, "the PHP SDK's PointCheckout headers are accepted")
}

func TestRunRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-addr", "0.0.0.0:0"},
		{"-key", "only-key", "-addr", "127.0.0.1:0"},
		{"-ttl", "0s", "-addr", "127.0.0.1:0"},
		{"-addr", "127.0.0.1:0", "extra"},
		{"-nope"},
		{"-addr", "127.0.0.1:0", "-payment-page-url", "pay.example.com"},
		{"-addr", "127.0.0.1:0", "-state", "/nonexistent-dir/sandbox.json"},
	} {
		var out, errs shoptest.LogBuffer
		err := run(context.Background(), args, &out, &errs)
		assert.Error(t, err, "%v", args)
	}
}

// TestRunFaultRateAndInspect: with -fault-rate 1 every API request meets a
// transient fault, and -inspect lists the checkouts and counts the
// requests and the faults; it listens on loopback only.
func TestRunFaultRateAndInspect(t *testing.T) {
	base, out, _ := sandbox(t, "-key", "demo", "-secret", "demo-secret", "-fault-rate", "1", "-fault-delay", "1ms", "-inspect", "127.0.0.1:0")
	assert.Contains(t, out.String(), "faults:        100% of API requests fail transiently")
	m := regexp.MustCompile(`inspect:\s+(\S+)/checkouts`).FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	inspect := m[1]

	const n = 60
	served := 0
	for i := range n {
		b, err := json.Marshal(createBody(fmt.Sprintf("R-%d", i)))
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodPost, base+"checkout/web", bytes.NewReader(b))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-PointCheckout-Api-Key", "demo")
		req.Header.Set("X-PointCheckout-Api-Secret", "demo-secret")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			continue // a dropped connection
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			served++ // delayed, then served
		}
	}
	var listed []struct{ ID, RequestID, OrderID, Status, Amount string }
	getJSON(t, inspect+"/checkouts", &listed)
	require.Len(t, listed, served)
	for _, c := range listed {
		assert.Equal(t, "ORD-1", c.OrderID)
		assert.Equal(t, "PENDING", c.Status)
		assert.Equal(t, "10.00 AED", c.Amount)
	}
	var stats struct {
		Requests map[string]int
		Faults   map[string]int
	}
	getJSON(t, inspect+"/stats", &stats)
	assert.Equal(t, map[string]int{"create": n}, stats.Requests)
	total := 0
	for _, v := range stats.Faults {
		total += v
	}
	assert.Equal(t, n, total, "every request met a fault: %v", stats.Faults)
	assert.Equal(t, served, stats.Faults["delay 1ms"])

	var errs shoptest.LogBuffer
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-inspect", "0.0.0.0:0"}, &shoptest.LogBuffer{}, &errs)
	assert.ErrorContains(t, err, "want a loopback address")
	err = run(context.Background(), []string{"-addr", "127.0.0.1:0", "-fault-rate", "2"}, &shoptest.LogBuffer{}, &errs)
	assert.ErrorContains(t, err, "fault rate")
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	res, err := http.Get(u)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.NoError(t, json.NewDecoder(res.Body).Decode(v))
}
