package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// checkInvariants asserts what every healthy run must show, whatever the
// machine's speed: every flow ended where it should, the shop's records
// agree with the gateway's, each paid order was told once, and connections
// were kept alive.
func checkInvariants(t *testing.T, rep *report, flows, concurrency, failEvery int) {
	t.Helper()
	assert.Equal(t, flows, rep.Flows, "flows started")
	assert.Equal(t, flows, rep.OK, "flows ok; errors: %v", rep.ErrorSamples)
	assert.Zero(t, rep.Errors)
	assert.Equal(t, flows, rep.Checked, "orders checked against the gateway")
	assert.Zero(t, rep.Mismatches, "mismatches: %v", rep.MismatchSamples)
	paid := 0
	for i := range flows {
		if !declines(i, failEvery) {
			paid++
		}
	}
	assert.Equal(t, paid, rep.Paid, "orders paid")
	assert.Equal(t, paid, rep.PaidChanges, "changes to paid told to the shop")
	assert.Positive(t, rep.FlowsPerSecond)
	assert.LessOrEqual(t, rep.P50, rep.P95)
	assert.LessOrEqual(t, rep.P95, rep.P99)
	assert.LessOrEqual(t, rep.P99, rep.Max)
	assert.Positive(t, rep.AllocsPerFlow)
	if processCPU() >= 0 {
		assert.Positive(t, rep.CPUPerFlow)
		assert.Positive(t, rep.CoresBusy)
	}
	assert.Positive(t, rep.PeakHeapInuse)
	assert.GreaterOrEqual(t, rep.PeakSys, rep.PeakHeapInuse)
	// Each shopper keeps its connection to the shop: one each, give or
	// take a dial raced by a returning idle connection.
	assert.GreaterOrEqual(t, rep.ShopConns, int64(1))
	assert.LessOrEqual(t, rep.ShopConns, int64(2*concurrency))
}

func TestRunWithSandboxInProcess(t *testing.T) {
	tests := []struct {
		name      string
		n, c      int
		failEvery int
		page      bool
	}{
		{name: "complete hook", n: 50, c: 8, failEvery: 10},
		{name: "hosted page", n: 50, c: 8, failEvery: 3, page: true},
		{name: "one shopper", n: 20, c: 1, failEvery: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			args := []string{"-n", strconv.Itoa(tt.n), "-c", strconv.Itoa(tt.c), "-fail-every", strconv.Itoa(tt.failEvery), "-json"}
			if tt.page {
				args = append(args, "-page")
			}
			rep, err := run(context.Background(), args, &out, &errs)
			require.NoError(t, err, errs.String())
			c := tt.c
			checkInvariants(t, rep, tt.n, c, tt.failEvery)
			assert.Equal(t, tt.page, rep.Page)
			// Keep-alive: the shop's API client opens about one connection
			// per concurrent shopper, not one per request (4 per flow).
			assert.GreaterOrEqual(t, rep.GatewayConns, int64(1))
			assert.LessOrEqual(t, rep.GatewayConns, int64(2*c+2))
			if tt.page {
				assert.GreaterOrEqual(t, rep.BrowserGatewayConns, int64(1))
			} else {
				assert.Zero(t, rep.BrowserGatewayConns)
			}
			// The JSON printed is the report returned.
			var printed report
			require.NoError(t, json.Unmarshal(out.Bytes(), &printed))
			assert.Equal(t, rep.OK, printed.OK)
			assert.Equal(t, rep.Mismatches, printed.Mismatches)
			assert.Equal(t, rep.PaidChanges, printed.PaidChanges)
			assert.Equal(t, rep.GatewayConns, printed.GatewayConns)
		})
	}
}

func TestRunAgainstRunningSandbox(t *testing.T) {
	gw := pointcheckouttest.NewServer(pointcheckouttest.WithCredentials("load-key", "load-secret"))
	defer gw.Close()
	var out bytes.Buffer
	rep, err := run(context.Background(), []string{"-n", "30", "-c", "4", "-gateway", gw.URL, "-key", "load-key", "-secret", "load-secret"}, &out, io.Discard)
	require.NoError(t, err, out.String())
	checkInvariants(t, rep, 30, 4, 10)
	assert.True(t, rep.Page, "-gateway pays through the hosted page")
	assert.Equal(t, int64(-1), rep.GatewayConns, "connections of another process's gateway are not known")
	// The gateway's own count covers the shop's API client and the
	// shoppers' page visits together.
	assert.LessOrEqual(t, gw.ConnectionsOpened(), rep.BrowserGatewayConns+2*4+2)
	assert.Contains(t, out.String(), "30 ok, 0 errors")
	assert.Contains(t, out.String(), "30 checked against the gateway, 0 mismatches")
	assert.Contains(t, out.String(), "27 orders paid at the gateway, 27 changes to paid delivered to the shop")
}

func TestRunFailsOnErrors(t *testing.T) {
	// A gateway whose credentials the shop does not have: every /pay fails,
	// and no order can be checked either; the run must say so and fail.
	gw := pointcheckouttest.NewServer(pointcheckouttest.WithCredentials("right", "right-secret"))
	defer gw.Close()
	rep, err := run(context.Background(), []string{"-n", "5", "-c", "2", "-gateway", gw.URL, "-key", "right", "-secret", "wrong"}, io.Discard, io.Discard)
	require.ErrorIs(t, err, errFailed)
	assert.Equal(t, 5, rep.Errors)
	assert.Zero(t, rep.OK)
	assert.Equal(t, 5, rep.Mismatches, "an order that cannot be checked is not taken as agreeing")
	require.NotEmpty(t, rep.MismatchSamples)
	assert.Contains(t, rep.MismatchSamples[0], "could not be asked")
}

func TestVerifyFindsDisagreement(t *testing.T) {
	// Run a clean load, then change one checkout at the gateway behind the
	// shop's back: the check must see it.
	o, err := parseOptions([]string{"-n", "6", "-c", "2"}, io.Discard)
	require.NoError(t, err)
	env, err := newEnvironment(o, io.Discard)
	require.NoError(t, err)
	defer env.close()
	rep := env.drive(context.Background(), o)
	require.Equal(t, 6, rep.OK, rep.ErrorSamples)
	st, ok := env.book.get(env.runID + "-0000000")
	require.True(t, ok)
	require.Len(t, st.attempts, 1)
	require.NoError(t, env.sandbox.Complete(st.attempts[0].Ref.CheckoutID, "REFUNDED"))
	rep.verify(context.Background(), env, o)
	assert.Equal(t, 6, rep.Checked)
	assert.Equal(t, 1, rep.Mismatches)
	require.Len(t, rep.MismatchSamples, 1)
	assert.Contains(t, rep.MismatchSamples[0], "REFUNDED")
}

// TestVerifyCountsAnOlderAttemptThatPaid: an order with two attempts, the
// older one paid in a tab left open, is paid, once, in the shop as at the
// gateway. Then the check must see a paid change told twice, or never.
func TestVerifyCountsAnOlderAttemptThatPaid(t *testing.T) {
	o, err := parseOptions([]string{"-n", "1", "-c", "1"}, io.Discard)
	require.NoError(t, err)
	env, err := newEnvironment(o, io.Discard)
	require.NoError(t, err)
	defer env.close()
	order := env.runID + "-0000000"
	amount, err := pointcheckout.NewMoney(4900, "AED")
	require.NoError(t, err)
	env.catalog.add(order, amount)

	// Two tabs each start an attempt; the older one pays and comes back.
	var tabs []*browser
	for range 2 {
		jar, err := cookiejar.New(nil)
		require.NoError(t, err)
		b := &browser{ctx: t.Context(), hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		p, err := b.post(env.shopURL+"/pay", url.Values{"order": {order}}, http.Header{"Sec-Fetch-Site": {"same-origin"}})
		require.NoError(t, err)
		require.Equal(t, http.StatusSeeOther, p.status, p.body)
		tabs = append(tabs, b)
	}
	cos := env.sandbox.Checkouts()
	require.Len(t, cos, 2)
	require.NoError(t, env.sandbox.Complete(cos[0].ID, pointcheckout.StatusPaid))
	back, err := tabs[0].get(cos[0].ReturnURL)
	require.NoError(t, err)
	require.Equal(t, "/thanks", back.location, back.body)

	st, ok := env.book.get(order)
	require.True(t, ok)
	require.Len(t, st.attempts, 2)
	assert.Equal(t, pointcheckout.PaymentPaid, st.state, "the older attempt's payment decides the order")
	rep := &report{Flows: 1}
	rep.verify(t.Context(), env, o)
	assert.Equal(t, 1, rep.Checked)
	assert.Zero(t, rep.Mismatches, rep.MismatchSamples)
	assert.Equal(t, 1, rep.Paid)
	assert.Equal(t, 1, rep.PaidChanges)

	for _, told := range []int{2, 0} {
		env.book.mu.Lock()
		env.book.orders[order].paid = told
		env.book.mu.Unlock()
		rep := &report{Flows: 1}
		rep.verify(t.Context(), env, o)
		assert.Equal(t, 1, rep.Mismatches, "told %d times", told)
		require.Len(t, rep.MismatchSamples, 1)
		assert.Contains(t, rep.MismatchSamples[0], fmt.Sprintf("told %d times", told))
	}
}

func TestOptionsRefuse(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"non-loopback gateway", []string{"-gateway", "http://example.com:8089", "-key", "k", "-secret", "s"}},
		{"gateway on a LAN address", []string{"-gateway", "http://10.0.0.5:8089", "-key", "k", "-secret", "s"}},
		{"https gateway", []string{"-gateway", "https://127.0.0.1:8089", "-key", "k", "-secret", "s"}},
		{"gateway with a path", []string{"-gateway", "http://127.0.0.1:8089/mer/v2.0/", "-key", "k", "-secret", "s"}},
		{"gateway without credentials", []string{"-gateway", "http://127.0.0.1:8089"}},
		{"credentials without gateway", []string{"-key", "k", "-secret", "s"}},
		{"shop on all interfaces", []string{"-addr", "0.0.0.0:0"}},
		{"shop on a public name", []string{"-addr", "example.com:80"}},
		{"duration over the cap", []string{"-duration", (maxDuration + time.Second).String()}},
		{"no duration", []string{"-duration", "0s"}},
		{"no concurrency", []string{"-c", "0"}},
		{"too much concurrency", []string{"-c", "100000"}},
		{"no flows", []string{"-n", "0"}},
		{"negative fail-every", []string{"-fail-every", "-1"}},
		{"stray argument", []string{"now"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := run(context.Background(), tt.args, io.Discard, io.Discard)
			require.Error(t, err)
			assert.False(t, errors.Is(err, errFailed), "refused before running")
			assert.Nil(t, rep)
		})
	}
}

func TestPercentile(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      int
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of four", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p95 of four", ms(1, 2, 3, 4), 95, 4 * time.Millisecond},
		{"p99 of a hundred", ms(hundred...), 99, 99 * time.Millisecond},
		{"p50 of a hundred", ms(hundred...), 50, 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, percentile(tt.sorted, tt.p))
		})
	}
}

func TestShopModeOptions(t *testing.T) {
	base := []string{"-shop", "http://127.0.0.1:8080", "-gateway", "http://127.0.0.1:8089", "-gateway-inspect", "http://127.0.0.1:8090", "-admin-password", "pw"}
	o, err := parseOptions(base, io.Discard)
	require.NoError(t, err)
	assert.True(t, o.page, "the shop mode pays on the hosted page")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"shop off loopback", []string{"-shop", "http://example.com", "-gateway", "http://127.0.0.1:1", "-gateway-inspect", "http://127.0.0.1:2", "-admin-password", "pw"}, "not on a loopback address"},
		{"no inspect", []string{"-shop", "http://127.0.0.1:1", "-gateway", "http://127.0.0.1:2", "-admin-password", "pw"}, "-gateway-inspect must be a URL"},
		{"no password", []string{"-shop", "http://127.0.0.1:1", "-gateway", "http://127.0.0.1:2", "-gateway-inspect", "http://127.0.0.1:3"}, "-admin-password"},
		{"credentials", append(slices.Clone(base), "-key", "k", "-secret", "s"), "-key and -secret"},
		{"negative abandon", append(slices.Clone(base), "-abandon-every", "-1"), "-abandon-every"},
		{"inspect without a shop", []string{"-gateway-inspect", "http://127.0.0.1:3"}, "go with -shop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseOptions(tt.args, io.Discard)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}
