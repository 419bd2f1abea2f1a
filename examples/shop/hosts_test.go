package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHostCheckAllows(t *testing.T) {
	tests := []struct {
		base  string
		host  string
		allow bool
	}{
		{"https://shop.example.com", "shop.example.com", true},
		{"https://shop.example.com", "SHOP.example.com.", true},
		{"https://shop.example.com", "shop.example.com:443", true},
		{"https://shop.example.com", "shop.example.com:8443", false},
		{"https://shop.example.com", "evil.example", false},
		{"https://shop.example.com", "shop.example.com.evil.example", false},
		{"https://shop.example.com", "", false},
		{"https://shop.example.com", "127.0.0.1:8080", true}, // a proxy that rewrites Host to the upstream
		{"https://shop.example.com", "localhost", true},
		{"https://shop.example.com", "[::1]:8080", true},
		{"http://127.0.0.1:8080", "127.0.0.1:8080", true},
		{"http://127.0.0.1:8080", "localhost:8080", true},
		{"http://127.0.0.1:8080", "rebind.evil.example:8080", false},
		{"http://127.0.0.1:8080", "127.0.0.1.nip.io:8080", false},
		{"http://shop.internal:8080", "shop.internal:8080", true},
		{"http://shop.internal:8080", "shop.internal", false},
	}
	for _, tt := range tests {
		base, err := url.Parse(tt.base)
		require.NoError(t, err)
		h := newHostCheck(base, slog.New(slog.DiscardHandler), time.Now)
		assert.Equal(t, tt.allow, h.allows(tt.host), "base %s, Host %q", tt.base, tt.host)
	}
}

// TestForeignHostRefused: a request naming another host, as a DNS
// rebinding page's would, reaches neither the admin page nor the shop; the
// refusal is logged, once a minute at most.
func TestForeignHostRefused(t *testing.T) {
	var logs bytes.Buffer
	ts := newTestShopWith(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	port := ts.URL[strings.LastIndex(ts.URL, ":")+1:]
	get := func(path, host string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		require.NoError(t, err)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/admin", "/", "/orders"} {
		code, body := get(path, "rebind.evil.example:"+port)
		assert.Equal(t, http.StatusMisdirectedRequest, code, path)
		assert.NotContains(t, body, "Souk", "no page of the shop")
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "request for another host refused"), logs.String())
	assert.Contains(t, logs.String(), "host=rebind.evil.example:"+port)

	code, body := get("/admin", "localhost:"+port)
	assert.Equal(t, http.StatusOK, code, "the loopback names still work")
	assert.Contains(t, body, "Reconcile now")
}
