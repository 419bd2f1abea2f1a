package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/internal/pgtest"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
	"github.com/stretchr/testify/require"
)

// The PostgreSQL server the tests of the run share (each test gets a
// database of its own), started on first use and stopped by TestMain.
var (
	pg        pgtest.Shared
	pgDBCount atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// newPostgresDB creates an empty database on the shared server and returns
// its URL, failing t (never skipping) when PostgreSQL is not installed.
func newPostgresDB(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("pgx", pg.URL(t))
	require.NoError(t, err)
	defer admin.Close()
	name := fmt.Sprintf("shop_%d_%d", os.Getpid(), pgDBCount.Add(1))
	_, err = admin.Exec("CREATE DATABASE " + name)
	require.NoError(t, err)
	return pg.Database(t, name)
}

// databases are the databases the shop runs on: every test that runs on
// each goes through forEachDB.
var databases = []string{"SQLite", "PostgreSQL"}

// forEachDB runs f once on each database, with a change to the shop's
// Config that selects it.
func forEachDB(t *testing.T, f func(t *testing.T, onDB func(*Config))) {
	for _, name := range databases {
		t.Run(name, func(t *testing.T) {
			f(t, func(c *Config) {
				if name == "PostgreSQL" {
					c.DatabaseURL = newPostgresDB(t)
				}
			})
		})
	}
}

// testShop is the whole shop on a loopback httptest server, paying on its
// own sandbox.
type testShop struct {
	*Shop
	URL     string
	sandbox *pointcheckouttest.Server
}

// newTestShop starts a sandbox and a shop with a fresh SQLite database.
// Both are closed when the test ends.
func newTestShop(t *testing.T, opts ...pointcheckouttest.Option) *testShop {
	t.Helper()
	return newTestShopWith(t, nil, opts...)
}

// newTestShopWith is newTestShop with changes to the shop's Config.
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

// newTestShopOn is newTestShopWith on the database onDB selects.
func newTestShopOn(t *testing.T, onDB func(*Config), change func(*Config), opts ...pointcheckouttest.Option) *testShop {
	t.Helper()
	return newTestShopWith(t, func(c *Config) {
		onDB(c)
		if change != nil {
			change(c)
		}
	}, opts...)
}

// attempt returns the order's newest attempt, failing t if it has none.
func (o order) attempt(t *testing.T) pointcheckout.Attempt {
	t.Helper()
	require.NotEmpty(t, o.Attempts, "order %s has no payment attempt", o.ID)
	return o.Attempts[len(o.Attempts)-1]
}

// lastEntry returns the newest entry of the order's history.
func (o order) lastEntry(t *testing.T) sqlledger.Entry {
	t.Helper()
	require.NotEmpty(t, o.History, "order %s has no history", o.ID)
	return o.History[len(o.History)-1]
}
