package minishop

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// env is a process environment for one test.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestListen(t *testing.T) {
	cases := []struct {
		name     string
		vars     map[string]string
		wantBase string // "": the listener's own address; "error": refused
	}{
		{"default loopback", nil, ""},
		{"loopback from SHOP_ADDR", map[string]string{"SHOP_ADDR": "127.0.0.1:0"}, ""},
		{"base URL given", map[string]string{"SHOP_ADDR": "127.0.0.1:0", "SHOP_BASE_URL": "https://shop.example"}, "https://shop.example"},
		{"wildcard without base URL", map[string]string{"SHOP_ADDR": "0.0.0.0:0"}, "error"},
		{"bad address", map[string]string{"SHOP_ADDR": "127.0.0.1:notaport"}, "error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ln, base, err := listen(env(tc.vars), "127.0.0.1:0")
			if tc.wantBase == "error" {
				require.Error(t, err)
				assert.Nil(t, ln)
				return
			}
			require.NoError(t, err)
			defer ln.Close()
			if tc.wantBase == "" {
				assert.Equal(t, "http://"+ln.Addr().String(), base)
			} else {
				assert.Equal(t, tc.wantBase, base)
			}
		})
	}
}

func TestCookieKeys(t *testing.T) {
	k1, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	k2, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	broken := k1.Encode()[:20] + "!"

	cases := []struct {
		name    string
		value   string
		want    int // pairs; 0: refused
		wantLog string
	}{
		{"two pairs", k1.Encode() + "," + k2.Encode(), 2, ""},
		{"unset: one random pair", "", 1, "no POINTCHECKOUT_COOKIE_KEYS"},
		{"not a key pair", broken, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			keys, err := cookieKeys(env(map[string]string{"POINTCHECKOUT_COOKIE_KEYS": tc.value}), slog.New(slog.NewTextHandler(&logs, nil)))
			if tc.want == 0 {
				require.Error(t, err)
				assert.NotContains(t, err.Error(), broken[:10], "the error quotes the keys")
				return
			}
			require.NoError(t, err)
			require.Len(t, keys, tc.want)
			if tc.want == 2 {
				assert.Equal(t, k1.Encode(), keys[0].Encode(), "the sealing pair must stay first")
			}
			if tc.wantLog != "" {
				assert.Contains(t, logs.String(), tc.wantLog)
			}
		})
	}
}

func TestPaymentClient(t *testing.T) {
	cases := []struct {
		name    string
		vars    map[string]string
		wantErr bool
		wantLog string
	}{
		{"no key: the sandbox", nil, false, "paying on the local sandbox"},
		{"key and environment", map[string]string{"POINTCHECKOUT_API_KEY": "k", "POINTCHECKOUT_API_SECRET": "s3cret-value", "POINTCHECKOUT_ENV": "live"}, false, ""},
		{"unknown environment", map[string]string{"POINTCHECKOUT_API_KEY": "k", "POINTCHECKOUT_API_SECRET": "s3cret-value", "POINTCHECKOUT_ENV": "staging"}, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			client, release, err := paymentClient(env(tc.vars), slog.New(slog.NewTextHandler(&logs, nil)))
			if tc.wantErr {
				require.Error(t, err)
				assert.NotContains(t, err.Error(), "s3cret-value")
				return
			}
			require.NoError(t, err)
			require.NotNil(t, client)
			release()
			if tc.wantLog != "" {
				assert.Contains(t, logs.String(), tc.wantLog)
			}
			assert.NotContains(t, logs.String(), "s3cret-value")
		})
	}
}

func TestRun(t *testing.T) {
	errBuild := errors.New("no shop today")
	kept := filepath.Join(t.TempDir(), "kept.db")
	cases := []struct {
		name    string
		vars    map[string]string
		fail    bool // build fails
		wantDB  string
		wantErr error // nil: serves until the context ends, then stops cleanly
	}{
		{name: "serves until cancelled", vars: map[string]string{"SHOP_ADDR": "127.0.0.1:0"}},
		{name: "in SHOP_DB", vars: map[string]string{"SHOP_ADDR": "127.0.0.1:0", "SHOP_DB": kept}, wantDB: kept},
		{name: "build fails", vars: map[string]string{"SHOP_ADDR": "127.0.0.1:0"}, fail: true, wantErr: errBuild},
		{name: "bad SHOP_DB", vars: map[string]string{"SHOP_ADDR": "127.0.0.1:0", "SHOP_DB": "shop.db?mode=ro"}, wantErr: errAny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var dbPath string
			build := func(ctx context.Context, cfg Config) (http.Handler, *Shop, error) {
				if tc.fail {
					return nil, nil, errBuild
				}
				require.NoError(t, cfg.DB.QueryRowContext(ctx, "PRAGMA database_list").Scan(new(int), new(string), &dbPath))
				s, err := New(ctx, cfg)
				// Built: the shop stops as soon as it is serving.
				cancel()
				return http.NotFoundHandler(), s, err
			}
			var logs bytes.Buffer
			err := Run(ctx, slog.New(slog.NewTextHandler(&logs, nil)), env(tc.vars), "127.0.0.1:0", build)
			switch {
			case tc.wantErr == errAny:
				require.Error(t, err)
				return
			case tc.wantErr != nil:
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, strings.Contains(logs.String(), "shop ready"), "logs: %s", logs.String())
			if tc.wantDB != "" {
				assert.Equal(t, tc.wantDB, dbPath)
				assert.FileExists(t, dbPath, "SHOP_DB is kept")
			} else {
				require.NotEmpty(t, dbPath)
				assert.Contains(t, logs.String(), "no SHOP_DB")
				assert.NoFileExists(t, dbPath, "the temporary database is removed")
			}
		})
	}

	err := Run(context.Background(), slog.New(slog.DiscardHandler), env(map[string]string{"SHOP_ADDR": "0.0.0.0:0"}), "", nil)
	assert.ErrorContains(t, err, "SHOP_BASE_URL is required")
}

// errAny stands for any error in a table.
var errAny = errors.New("any error")

func TestNewMountsTheStore(t *testing.T) {
	k, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	client, release, err := paymentClient(env(nil), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer release()
	_, err = New(t.Context(), Config{Client: client, Keys: []pointcheckout.KeyPair{k}, BaseURL: "http://127.0.0.1:1"})
	require.Error(t, err, "no database")

	db, err := OpenDB(t.Context(), filepath.Join(t.TempDir(), "shop.db"))
	require.NoError(t, err)
	defer db.Close()
	s, err := New(t.Context(), Config{Client: client, Keys: []pointcheckout.KeyPair{k}, BaseURL: "http://127.0.0.1:1", DB: db})
	require.NoError(t, err)
	assert.Equal(t, "PointCheckout mug", s.Store.Product().Name)
	assert.Equal(t, "49.00 AED", s.Store.Product().Price.String())
	require.NotNil(t, s.Payments)
	require.NotNil(t, s.Sweeper)
	rep, err := s.Sweeper.Sweep(t.Context())
	require.NoError(t, err)
	assert.Zero(t, rep.Claimed, "nothing to sweep in a new shop")
}
