package minishoptest

import (
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/examples/minishop"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/stretchr/testify/require"
)

// Shop is a shop under test on a real loopback port, paying on a sandbox.
type Shop struct {
	// URL is the shop's base URL, with no trailing slash.
	URL string
	// Sandbox is the gateway the shop pays on.
	Sandbox *pointcheckouttest.Server
	// Orders is the shop's order store.
	Orders *minishop.Store
}

// StartShop builds a shop with build, on a sandbox started with opts, and
// serves it until the test ends.
func StartShop(t testing.TB, build minishop.Builder, opts ...pointcheckouttest.Option) *Shop {
	t.Helper()
	sandbox := pointcheckouttest.NewServer(opts...)
	t.Cleanup(sandbox.Close)

	keys, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	shop, orders, err := build(minishop.Config{
		Client:  sandbox.Client(),
		Keys:    []pointcheckout.KeyPair{keys},
		BaseURL: base,
		Logger:  slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	srv.Config.Handler = shop
	srv.Start()
	t.Cleanup(srv.Close)
	return &Shop{URL: base, Sandbox: sandbox, Orders: orders}
}
