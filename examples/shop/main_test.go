package main

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startRun starts the program as `go run .` would, with env, and returns
// the shop URL its banner announces, the banner, and a stop that acts as
// Ctrl+C and returns run's error.
func startRun(t *testing.T, env map[string]string) (string, string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) string { return env[k] }, w, slog.New(slog.DiscardHandler))
		w.Close()
	}()
	var shopURL string
	var banner strings.Builder
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		banner.WriteString(lines.Text() + "\n")
		if u, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), "Open the shop:"); ok {
			shopURL = strings.TrimSpace(u)
		}
		if strings.HasPrefix(lines.Text(), "Press Ctrl+C") {
			break
		}
	}
	go io.Copy(io.Discard, out)
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	require.NotEmpty(t, shopURL, banner.String())
	return shopURL, banner.String(), stop
}

// TestRun starts the program on the sandbox, fetches the shop page it
// announces, and stops it the way Ctrl+C does.
func TestRun(t *testing.T) {
	shopURL, banner, stop := startRun(t, map[string]string{"SHOP_ADDR": "127.0.0.1:0", "SHOP_DB": filepath.Join(t.TempDir(), "shop.db")})
	assert.Contains(t, banner, "4242 4242 4242 4242, expiry 12/25, CVV 100, name TEST USER")

	resp, err := http.Get(shopURL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	require.NoError(t, stop(), "a clean shutdown")
	_, err = http.Get(shopURL)
	assert.Error(t, err, "the server is gone")
}

// TestRunOnPostgres: with SHOP_DATABASE_URL the program keeps orders in
// PostgreSQL, names its instance in every answer, and takes an order.
func TestRunOnPostgres(t *testing.T) {
	dbURL := newPostgresDB(t)
	shopURL, _, stop := startRun(t, map[string]string{
		"SHOP_ADDR": "127.0.0.1:0", "SHOP_DB": filepath.Join(t.TempDir(), "shop.db"),
		"SHOP_DATABASE_URL": dbURL, "SHOP_INSTANCE": "pg-1",
	})
	resp, err := http.Get(shopURL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "pg-1", resp.Header.Get(instanceHeader))
	newShopper(t).placeCardOrder(shopURL)
	require.NoError(t, stop())

	db, err := sql.Open("pgx", dbURL)
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&n))
	assert.Equal(t, 1, n, "the order is in PostgreSQL")
}

// TestRunSandboxRemembersAfterRestart: the built-in sandbox keeps its
// checkouts beside shop.db, so after a restart the gateway still knows the
// payment the shop started (a forgetful one would answer "checkout not
// found", and the admin's close would go through).
func TestRunSandboxRemembersAfterRestart(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"SHOP_ADDR": "127.0.0.1:0", "SHOP_DB": filepath.Join(dir, "shop.db")}
	shopURL, _, stop := startRun(t, env)
	s := newShopper(t)
	orderID := s.placeCardOrder(shopURL)
	page, _ := s.post(shopURL, shopURL+payPath, url.Values{"order_id": {orderID}})
	require.NotEqual(t, strings.TrimSuffix(shopURL, "/"), page.Scheme+"://"+page.Host, "on the sandbox's payment page")
	require.NoError(t, stop())
	assert.FileExists(t, filepath.Join(dir, "shop.sandbox.json"))

	shopURL, _, _ = startRun(t, env)
	landed, _ := s.post(shopURL, shopURL+"/admin/orders/"+orderID+"/close", nil)
	assert.Equal(t, "known", landed.Query().Get("why"), "the restarted sandbox knows the checkout: %s", landed)
}

// TestRunStopsOnUnusableSettings: a setting that cannot be used stops the
// shop before it serves, with the variable's name and the likely cause;
// nothing falls back to the sandbox.
func TestRunStopsOnUnusableSettings(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	dir := t.TempDir()
	const secret = "api-s3cret"

	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"live without credentials", map[string]string{"POINTCHECKOUT_ENV": "live"}, "POINTCHECKOUT_ENV=live needs POINTCHECKOUT_API_KEY and POINTCHECKOUT_API_SECRET"},
		{"unknown environment", map[string]string{"POINTCHECKOUT_ENV": "bogus"}, `POINTCHECKOUT_ENV="bogus" is not an environment`},
		{"a secret and no key", map[string]string{"POINTCHECKOUT_API_SECRET": secret}, "POINTCHECKOUT_ENV is required"},
		{"a secret and no key, environment named", map[string]string{"POINTCHECKOUT_API_SECRET": secret, "POINTCHECKOUT_ENV": "test", "SHOP_ADMIN_PASSWORD": "pw"}, "POINTCHECKOUT_ENV=test needs POINTCHECKOUT_API_KEY"},
		{"address in use", map[string]string{"SHOP_ADDR": busy.Addr().String()}, "SHOP_ADDR=" + busy.Addr().String() + ": the address is already in use"},
		{"database in a missing directory", map[string]string{"SHOP_DB": filepath.Join(dir, "gone", "shop.db")}, "SHOP_DB=" + filepath.Join(dir, "gone", "shop.db") + ": the directory"},
		{"database is a directory", map[string]string{"SHOP_DB": dir}, "SHOP_DB=" + dir + ": that is a directory"},
		{"bad cookie keys", map[string]string{"POINTCHECKOUT_COOKIE_KEYS": "c2hvcnQ:c2hvcnQ"}, "POINTCHECKOUT_COOKIE_KEYS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env["SHOP_ADDR"] == "" {
				tt.env["SHOP_ADDR"] = "127.0.0.1:0"
			}
			if tt.env["SHOP_DB"] == "" {
				tt.env["SHOP_DB"] = filepath.Join(t.TempDir(), "shop.db")
			}
			var out strings.Builder
			err := run(context.Background(), func(k string) string { return tt.env[k] }, &out, slog.New(slog.DiscardHandler))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), secret)
			assert.Empty(t, out.String(), "no banner: the shop never served")
		})
	}
}
