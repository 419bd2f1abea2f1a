package minishop

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
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
		{"unset: one random pair", "", 1, "no SHOP_COOKIE_KEYS"},
		{"not a key pair", broken, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			keys, err := cookieKeys(env(map[string]string{"SHOP_COOKIE_KEYS": tc.value}), slog.New(slog.NewTextHandler(&logs, nil)))
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
	cases := []struct {
		name    string
		vars    map[string]string
		build   Builder
		wantErr error // nil: serves until the context ends, then stops cleanly
	}{
		{"serves until cancelled", map[string]string{"SHOP_ADDR": "127.0.0.1:0"}, func(cfg Config) (http.Handler, *Store, error) {
			s, err := New(cfg)
			if err != nil {
				return nil, nil, err
			}
			return http.NotFoundHandler(), s.Store, nil
		}, nil},
		{"build fails", map[string]string{"SHOP_ADDR": "127.0.0.1:0"}, func(Config) (http.Handler, *Store, error) {
			return nil, nil, errBuild
		}, errBuild},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var logs bytes.Buffer
			err := Run(ctx, slog.New(slog.NewTextHandler(&logs, nil)), env(tc.vars), "127.0.0.1:0", tc.build)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, strings.Contains(logs.String(), "shop ready"), "logs: %s", logs.String())
		})
	}

	err := Run(context.Background(), slog.New(slog.DiscardHandler), env(map[string]string{"SHOP_ADDR": "0.0.0.0:0"}), "", nil)
	assert.ErrorContains(t, err, "SHOP_BASE_URL is required")
}

func TestNewMountsTheStore(t *testing.T) {
	k, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	client, release, err := paymentClient(env(nil), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer release()
	s, err := New(Config{Client: client, Keys: []pointcheckout.KeyPair{k}, BaseURL: "http://127.0.0.1:1"})
	require.NoError(t, err)
	assert.Equal(t, "PointCheckout mug", s.Store.Product().Name)
	assert.Equal(t, "49.00 AED", s.Store.Product().Price.String())
	require.NotNil(t, s.Payments)
}
