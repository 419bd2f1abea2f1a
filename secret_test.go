package pointcheckout_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/internal/shoptest"
)

// leaks reports the forms of testSecret found in s: raw, hex or base64.
func leaks(s string) []string {
	var found []string
	for name, form := range map[string]string{
		"raw":    testSecret,
		"hex":    hex.EncodeToString([]byte(testSecret)),
		"HEX":    strings.ToUpper(hex.EncodeToString([]byte(testSecret))),
		"base64": base64.StdEncoding.EncodeToString([]byte(testSecret)),
	} {
		if strings.Contains(s, form) {
			found = append(found, name)
		}
	}
	return found
}

// formats prints v with every verb and flag a log line or error page
// might use.
func formats(v any) map[string]string {
	out := map[string]string{}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%d", "%10s", "%-40v"} {
		out[f] = fmt.Sprintf(f, v)
	}
	out["Sprint"] = fmt.Sprint(v)
	out["Sprintln"] = fmt.Sprintln(v)
	return out
}

// logged renders v through slog's text and JSON handlers.
func logged(v any) string {
	var buf bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	slog.New(slog.NewTextHandler(&buf, opts)).Debug("value", "v", v)
	slog.New(slog.NewJSONHandler(&buf, opts)).Debug("value", "v", v)
	return buf.String()
}

func TestSecretValueNeverShows(t *testing.T) {
	s := pc.NewSecret(testSecret)
	holder := struct {
		S pc.Secret
		P *pc.Secret
		L []pc.Secret
		// Values only: encoding/json writes a string-kinded map key as is,
		// so a Secret must never be a map key.
		Map map[string]pc.Secret
	}{S: s, P: &s, L: []pc.Secret{s}, Map: map[string]pc.Secret{"k": s}}

	// fmt cannot call the redacting methods of unexported fields: the
	// value must not be printable from there either.
	type hidden struct {
		s   pc.Secret
		cfg pc.ClientConfig
	}
	values := map[string]any{"Secret": s, "*Secret": &s, "struct": holder,
		"unexported": hidden{s: s, cfg: pc.ClientConfig{Secret: s}}, "*unexported": &hidden{s: s}}
	for name, v := range values {
		for f, out := range formats(v) {
			assert.Empty(t, leaks(out), "%s with %s: %s", name, f, out)
		}
		assert.Empty(t, leaks(logged(v)), name)
		b, err := json.Marshal(v)
		require.NoError(t, err)
		assert.Empty(t, leaks(string(b)), "%s as JSON: %s", name, b)
	}
	assert.Equal(t, "[REDACTED]", s.String())
	assert.Equal(t, "[REDACTED]", fmt.Sprint(s))

	// The test would notice a format that printed the value.
	assert.NotEmpty(t, leaks(fmt.Sprintf("%v", testSecret)))
}

func TestConfigAndClientNeverShowTheSecret(t *testing.T) {
	cfg := pc.ClientConfig{
		Key: testKey, Secret: pc.NewSecret(testSecret), Environment: pc.TestEnvironment(),
		HTTPClient: &http.Client{}, Logger: slog.New(slog.DiscardHandler),
	}
	c, err := pc.NewClient(cfg)
	require.NoError(t, err)

	type app struct {
		cfg pc.ClientConfig
		c   *pc.Client
	}
	values := map[string]any{"ClientConfig": cfg, "*ClientConfig": &cfg, "*Client": c, "app": app{cfg, c}, "*app": &app{cfg, c}}
	for name, v := range values {
		for f, out := range formats(v) {
			assert.Empty(t, leaks(out), "%s with %s: %s", name, f, out)
		}
		assert.Empty(t, leaks(logged(v)), name)
	}
	assert.Contains(t, fmt.Sprint(c), "test", "the client still says where it points")
}

// TestErrorsAndLogsNeverShowTheSecret drives every kind of failure the
// client reports and checks each error and every log record.
func TestErrorsAndLogsNeverShowTheSecret(t *testing.T) {
	var logBuf shoptest.LogBuffer
	logger := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))

	answers := map[string]func(w http.ResponseWriter, r *http.Request){
		"400":      func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 400, fail("Checkout not found")) },
		"401":      func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 401, fail("Invalid API secret")) },
		"503":      func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 503, "<html>busy</html>") },
		"429":      func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 429, fail("slow down")) },
		"garbage":  func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 200, "{{{") },
		"dropped":  func(w http.ResponseWriter, _ *http.Request) { dropConnection(w) },
		"hang":     hang,
		"redirect": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) },
		"bad amount": func(w http.ResponseWriter, _ *http.Request) {
			writeBody(w, 200, ok(checkoutJSON("1", "req-1", "order-1", "AED", "1.999", "PAID")))
		},
		"empty search": func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 200, ok(pageJSON(0, 0))) },
	}
	var errs []error
	var mu sync.Mutex
	record := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) { answer(w, r) })
			for _, env := range []pc.Environment{customEnv(t, f.base()), func() pc.Environment {
				e := pc.PaymenntTestEnvironment()
				e.BaseURL = f.base()
				return e
			}()} {
				c := newTestClient(t, env, func(cfg *pc.ClientConfig) {
					cfg.Timeout = 100 * time.Millisecond
					cfg.MaxRetries = 1
					cfg.Logger = logger
				})
				ctx := context.Background()
				_, err := c.CreateWebCheckout(ctx, validRequest(t, "100", "AED"))
				record(err)
				_, err = c.GetCheckout(ctx, "1")
				record(err)
				_, err = c.FindByOrderID(ctx, "order-1")
				record(err)
				_, err = c.FindByRequestID(ctx, "req-1")
				record(err)
				_, err = c.FindByOrderID(ctx, "order-1")
				record(err)
				_, err = c.CancelCheckout(ctx, "1")
				record(err)
				_, err = c.RefundCheckout(ctx, "1", pc.RefundRequest{Amount: money(t, "1", "AED"), Note: "n"})
				record(err)
			}
		})
	}
	// Refusals before the network, and a config that cannot make a client.
	c := newTestClient(t, pc.TestEnvironment(), func(cfg *pc.ClientConfig) { cfg.Logger = logger })
	_, err := c.CreateWebCheckout(context.Background(), &pc.CheckoutRequest{})
	record(err)
	_, err = pc.NewClient(pc.ClientConfig{Key: testKey, Secret: pc.NewSecret(testSecret + "\r\n")})
	record(err)
	_, err = pc.NewClient(pc.ClientConfig{Key: testKey, Secret: pc.NewSecret(testSecret), Environment: pc.Environment{BaseURL: "::"}})
	record(err)

	require.Greater(t, len(errs), 50, "the failures must have happened")
	for _, err := range errs {
		for f, out := range formats(err) {
			assert.Empty(t, leaks(out), "error with %s: %s", f, out)
		}
	}
	logs := logBuf.String()
	assert.Contains(t, logs, "level=DEBUG")
	assert.Contains(t, logs, "level=WARN")
	assert.Empty(t, leaks(logs))
}
