package minishoptest

import (
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/examples/minishop"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
	"github.com/stretchr/testify/require"
)

// Shop is a shop under test on a real loopback port, paying on a sandbox.
type Shop struct {
	// URL is the shop's base URL, with no trailing slash.
	URL string
	// Sandbox is the gateway the shop pays on.
	Sandbox *pointcheckouttest.Server
	// Orders is the shop's order store, in a database of the test's own.
	Orders *minishop.Store
}

// StartShop builds a shop with build, in a database of the test's own and
// on a sandbox started with opts, and serves it until the test ends.
func StartShop(t testing.TB, build minishop.Builder, opts ...pointcheckouttest.Option) *Shop {
	t.Helper()
	sandbox := pointcheckouttest.NewServer(opts...)
	t.Cleanup(sandbox.Close)
	db, err := minishop.OpenDB(t.Context(), filepath.Join(t.TempDir(), "shop.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })

	keys, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	handler, shop, err := build(t.Context(), minishop.Config{
		Client:  sandbox.Client(),
		Keys:    []pointcheckout.KeyPair{keys},
		BaseURL: base,
		DB:      db,
		Logger:  slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	srv.Config.Handler = handler
	srv.Start()
	t.Cleanup(srv.Close)
	return &Shop{URL: base, Sandbox: sandbox, Orders: shop.Store}
}

// Order returns the shop's order id, failing the test when the shop never
// issued it.
func (s *Shop) Order(t testing.TB, id string) minishop.Order {
	t.Helper()
	o, err := s.Orders.Order(t.Context(), id)
	require.NoError(t, err, "the shop has no order %q", id)
	return o
}

// Applied returns the entries of an order's history that changed its
// payment: the repeats and refusals the ledger also records left out.
func Applied(history []sqlledger.Entry) []sqlledger.Entry {
	var out []sqlledger.Entry
	for _, e := range history {
		if e.Outcome == sqlledger.Applied {
			out = append(out, e)
		}
	}
	return out
}
