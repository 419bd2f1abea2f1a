package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/stretchr/testify/require"
)

// testShop is the whole shop on a loopback httptest server, paying on its
// own sandbox.
type testShop struct {
	*Shop
	URL     string
	sandbox *pointcheckouttest.Server
}

// newTestShop starts a sandbox and a shop with a fresh database. Both are
// closed when the test ends.
func newTestShop(t *testing.T, opts ...pointcheckouttest.Option) *testShop {
	t.Helper()
	return newTestShopWith(t, nil, opts...)
}

// newTestShopWith is newTestShop with a change to the shop's Config.
func newTestShopWith(t *testing.T, change func(*Config), opts ...pointcheckouttest.Option) *testShop {
	t.Helper()
	sb, err := pointcheckouttest.Start("127.0.0.1:0", opts...)
	require.NoError(t, err)
	t.Cleanup(sb.Close)

	keys, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	cfg := Config{
		DBPath:  filepath.Join(t.TempDir(), "shop.db"),
		Client:  sb.Client(),
		Keys:    []pointcheckout.KeyPair{keys},
		BaseURL: base,
		Logger:  slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		// Tests sweep right after paying: no age limit.
		ReconcileMinAge: time.Nanosecond,
		PollTimeout:     -1,
	}
	if change != nil {
		change(&cfg)
	}
	shop, err := New(context.Background(), cfg)
	require.NoError(t, err)
	srv.Config.Handler = shop
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, shop.Close())
	})
	return &testShop{Shop: shop, URL: base, sandbox: sb}
}

// newTestStore opens an order store on a fresh database, with one card
// order of 120.00 AED (one Arabic coffee set) placed by session "s1".
func newTestStore(t *testing.T) (*orderStore, order) {
	t.Helper()
	ctx := context.Background()
	db, err := openDB(ctx, filepath.Join(t.TempDir(), "shop.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	cat, err := newCatalog()
	require.NoError(t, err)
	store := &orderStore{db: db, log: slog.New(slog.DiscardHandler), now: time.Now}
	c := carts{db: db, catalog: cat}
	require.NoError(t, c.add(ctx, "s1", "coffee", 1))
	o, err := store.place(ctx, c, "s1", customer{
		FirstName: "Test", LastName: "User", Email: "test@example.com",
		Address: "1 Sheikh Zayed Road", City: "Dubai", Country: "AE",
	}, methodCard)
	require.NoError(t, err)
	return store, o
}
