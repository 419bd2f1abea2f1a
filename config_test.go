package pointcheckout_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/internal/shoptest"
)

func TestNewRejectsUnsafeConfig(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	key := s.Keys[0]
	live, err := pointcheckout.NewClient(pointcheckout.ClientConfig{Key: "k", Secret: pointcheckout.NewSecret("s"), Environment: pointcheckout.LiveEnvironment()})
	require.NoError(t, err)
	testEnv, err := pointcheckout.NewClient(pointcheckout.ClientConfig{Key: "k", Secret: pointcheckout.NewSecret("s"), Environment: pointcheckout.TestEnvironment()})
	require.NoError(t, err)
	proxyEnv, err := pointcheckout.CustomEnvironment("https://gateway-proxy.internal.example/mer/v2.0/")
	require.NoError(t, err)
	proxied, err := pointcheckout.NewClient(pointcheckout.ClientConfig{Key: "k", Secret: pointcheckout.NewSecret("s"), Environment: proxyEnv})
	require.NoError(t, err)
	// A Live environment reached through a proxy on this machine.
	liveEnv := s.Gateway.Environment()
	liveEnv.Live = true
	liveViaLoopback := s.Gateway.Client(func(c *pointcheckout.ClientConfig) { c.Environment = liveEnv })
	orders := pointcheckout.OrdersFunc(func(*http.Request) (*pointcheckout.CheckoutRequest, error) { return nil, nil })
	valid := func() pointcheckout.Config {
		// Only what New requires.
		return pointcheckout.Config{Client: s.Gateway.Client(), Orders: orders, Updater: s.Updates, Keys: s.Keys}
	}
	tests := []struct {
		name   string
		mutate func(*pointcheckout.Config)
		ok     bool
	}{
		{"valid", func(*pointcheckout.Config) {}, true},
		{"no client", func(c *pointcheckout.Config) { c.Client = nil }, false},
		{"no orders", func(c *pointcheckout.Config) { c.Orders = nil }, false},
		{"no updater", func(c *pointcheckout.Config) { c.Updater = nil }, false},
		{"no keys", func(c *pointcheckout.Config) { c.Keys = nil }, false},
		{"zero key pair", func(c *pointcheckout.Config) { c.Keys = []pointcheckout.KeyPair{{}} }, false},
		{"live without return base", func(c *pointcheckout.Config) { c.Client = live }, false},
		{"real test environment without return base", func(c *pointcheckout.Config) { c.Client = testEnv }, false},
		{"real test environment with http return base", func(c *pointcheckout.Config) { c.Client = testEnv; c.ReturnBaseURL = "http://localhost:8080" }, true},
		{"custom non-loopback gateway without return base", func(c *pointcheckout.Config) { c.Client = proxied }, false},
		{"live gateway through a loopback proxy without return base", func(c *pointcheckout.Config) { c.Client = liveViaLoopback }, false},
		{"live gateway through a loopback proxy with https return base", func(c *pointcheckout.Config) {
			c.Client = liveViaLoopback
			c.ReturnBaseURL = "https://shop.example.com"
		}, true},
		{"live with http return base", func(c *pointcheckout.Config) { c.Client = live; c.ReturnBaseURL = "http://shop.example.com" }, false},
		{"live with https return base", func(c *pointcheckout.Config) { c.Client = live; c.ReturnBaseURL = "https://shop.example.com" }, true},
		{"relative return base", func(c *pointcheckout.Config) { c.ReturnBaseURL = "/shop" }, false},
		{"success URL off site", func(c *pointcheckout.Config) { c.SuccessURL = "//evil.example/" }, false},
		{"failure URL absolute", func(c *pointcheckout.Config) { c.FailureURL = "https://evil.example/" }, false},
		{"success URL with a dot segment and a backslash", func(c *pointcheckout.Config) { c.SuccessURL = `/./\evil.example` }, false},
		{"success URL with a backslash", func(c *pointcheckout.Config) { c.SuccessURL = `/\evil.example` }, false},
		{"success URL with a dot-dot segment", func(c *pointcheckout.Config) { c.SuccessURL = "/shop/../admin" }, false},
		{"success URL with an encoded dot-dot segment", func(c *pointcheckout.Config) { c.SuccessURL = "/%2e%2e/admin" }, false},
		{"success URL with an encoded backslash", func(c *pointcheckout.Config) { c.SuccessURL = "/%5cevil.example" }, false},
		{"success URL with a double slash inside", func(c *pointcheckout.Config) { c.SuccessURL = "/a//b" }, false},
		{"success URL with a fragment", func(c *pointcheckout.Config) { c.SuccessURL = "/thanks#x" }, false},
		{"success URL with a trailing slash and a query", func(c *pointcheckout.Config) { c.SuccessURL = "/order/thanks/?from=pay" }, true},
		{"prefix with a dot segment", func(c *pointcheckout.Config) { c.Prefix = "/./pay" }, false},
		{"prefix with trailing slash", func(c *pointcheckout.Config) { c.Prefix = "/pay/" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.mutate(&cfg)
			h, err := pointcheckout.New(cfg)
			if tt.ok {
				assert.NoError(t, err)
				assert.NotNil(t, h)
				return
			}
			assert.Error(t, err)
			hashKey, _, _ := strings.Cut(key.Encode(), ":")
			assert.NotContains(t, err.Error(), hashKey)
		})
	}
}
