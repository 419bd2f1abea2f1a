package main

import (
	"bytes"
	"log/slog"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadSettings(t *testing.T) {
	dubai, err := time.LoadLocation("Asia/Dubai")
	require.NoError(t, err)
	const secret = "s3cr3t-value"
	tests := []struct {
		name    string
		env     map[string]string
		want    settings
		wantErr string
	}{
		{
			name: "defaults run on the sandbox",
			env:  map[string]string{},
			want: settings{Addr: "127.0.0.1:8080", DBPath: "shop.db", ReconcileEvery: time.Minute, RateScale: 1, Env: envSandbox},
		},
		{
			name: "the sandbox by name",
			env:  map[string]string{"POINTCHECKOUT_ENV": "sandbox"},
			want: settings{Addr: "127.0.0.1:8080", DBPath: "shop.db", ReconcileEvery: time.Minute, RateScale: 1, Env: envSandbox},
		},
		{
			name: "real API with an admin password",
			env: map[string]string{
				"POINTCHECKOUT_API_KEY": "k", "POINTCHECKOUT_API_SECRET": "s", "POINTCHECKOUT_ENV": "test",
				"SHOP_RECONCILE_EVERY": "30s", "SHOP_DB": "/var/lib/shop.db", "SHOP_ADMIN_PASSWORD": "pw",
			},
			want: settings{Addr: "127.0.0.1:8080", BaseURL: "http://127.0.0.1:8080", DBPath: "/var/lib/shop.db", ReconcileEvery: 30 * time.Second, RateScale: 1, APIKey: "k", APISecret: "s", Env: "test", AdminPassword: "pw"},
		},
		{
			name: "public address with base URL and admin password",
			env:  map[string]string{"SHOP_ADDR": "0.0.0.0:80", "SHOP_BASE_URL": "https://shop.example.com/", "SHOP_ADMIN_PASSWORD": "pw"},
			want: settings{Addr: "0.0.0.0:80", BaseURL: "https://shop.example.com", DBPath: "shop.db", ReconcileEvery: time.Minute, RateScale: 1, AdminPassword: "pw", Env: envSandbox},
		},
		{
			name: "cookie keys under their one name",
			env:  map[string]string{"POINTCHECKOUT_COOKIE_KEYS": " a:b "},
			want: settings{Addr: "127.0.0.1:8080", DBPath: "shop.db", ReconcileEvery: time.Minute, RateScale: 1, Env: envSandbox, CookieKeys: "a:b"},
		},
		{
			name: "the old cookie key name still works, with a warning",
			env:  map[string]string{"SHOP_COOKIE_KEYS": "a:b"},
			want: settings{Addr: "127.0.0.1:8080", DBPath: "shop.db", ReconcileEvery: time.Minute, RateScale: 1, Env: envSandbox, CookieKeys: "a:b",
				Warnings: []string{"SHOP_COOKIE_KEYS is deprecated: rename it POINTCHECKOUT_COOKIE_KEYS"}},
		},
		{
			name: "the new cookie key name wins",
			env:  map[string]string{"SHOP_COOKIE_KEYS": "a:b", "POINTCHECKOUT_COOKIE_KEYS": "c:d"},
			want: settings{Addr: "127.0.0.1:8080", DBPath: "shop.db", ReconcileEvery: time.Minute, RateScale: 1, Env: envSandbox, CookieKeys: "c:d",
				Warnings: []string{"SHOP_COOKIE_KEYS is ignored: POINTCHECKOUT_COOKIE_KEYS is set"}},
		},
		{
			name: "trusted proxies and a time zone",
			env:  map[string]string{"SHOP_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1", "SHOP_TIMEZONE": "Asia/Dubai"},
			want: settings{Addr: "127.0.0.1:8080", DBPath: "shop.db", ReconcileEvery: time.Minute, RateScale: 1, Env: envSandbox, Location: dubai,
				TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}},
		},
		{
			name: "behind a proxy on loopback: a word about trusted proxies",
			env:  map[string]string{"SHOP_BASE_URL": "https://shop.example.com", "SHOP_ADMIN_PASSWORD": "pw"},
			want: settings{Addr: "127.0.0.1:8080", BaseURL: "https://shop.example.com", DBPath: "shop.db", ReconcileEvery: time.Minute, RateScale: 1, Env: envSandbox, AdminPassword: "pw",
				Warnings: []string{"the shop listens on loopback behind https://shop.example.com: if a reverse proxy forwards to it, set SHOP_TRUSTED_PROXIES=127.0.0.1 so that rate limits apply to each client rather than to the proxy"}},
		},
		{
			name: "PostgreSQL, an instance name and a shared sandbox",
			env: map[string]string{
				"SHOP_DATABASE_URL": "postgres://shop@127.0.0.1:5432/shop", "SHOP_INSTANCE": "shop-1",
				"POINTCHECKOUT_ENV": "custom", "POINTCHECKOUT_BASE_URL": "http://127.0.0.1:8089/mer/v2.0/",
				"POINTCHECKOUT_API_KEY": "k", "POINTCHECKOUT_API_SECRET": "s", "SHOP_ADMIN_PASSWORD": "pw", "SHOP_RATE_LIMIT_SCALE": "20",
			},
			want: settings{Addr: "127.0.0.1:8080", BaseURL: "http://127.0.0.1:8080", DBPath: "shop.db", ReconcileEvery: time.Minute, RateScale: 20,
				DatabaseURL: "postgres://shop@127.0.0.1:5432/shop", Instance: "shop-1", Env: envCustom,
				GatewayURL: "http://127.0.0.1:8089/mer/v2.0/", APIKey: "k", APISecret: "s", AdminPassword: "pw"},
		},
		{name: "a database URL that is not PostgreSQL's", env: map[string]string{"SHOP_DATABASE_URL": "mysql://u:" + secret + "@db/shop"}, wantErr: "SHOP_DATABASE_URL: want a PostgreSQL URL"},
		{name: "an instance name unfit for a header", env: map[string]string{"SHOP_INSTANCE": "shop 1\r\n"}, wantErr: "SHOP_INSTANCE"},
		{name: "a custom gateway without its URL", env: map[string]string{"POINTCHECKOUT_ENV": "custom", "POINTCHECKOUT_API_KEY": "k", "POINTCHECKOUT_API_SECRET": secret}, wantErr: "POINTCHECKOUT_ENV=custom needs POINTCHECKOUT_BASE_URL"},
		{name: "public address needs a base URL", env: map[string]string{"SHOP_ADDR": ":8080", "SHOP_ADMIN_PASSWORD": "pw"}, wantErr: "SHOP_BASE_URL is required"},
		{name: "public address needs an admin password", env: map[string]string{"SHOP_ADDR": "0.0.0.0:80", "SHOP_BASE_URL": "https://shop.example.com"}, wantErr: "SHOP_ADMIN_PASSWORD is required: SHOP_ADDR is not a loopback address"},
		{
			name:    "a public base URL needs an admin password, even on loopback",
			env:     map[string]string{"SHOP_ADDR": "127.0.0.1:8080", "SHOP_BASE_URL": "https://shop.example.com"},
			wantErr: "SHOP_ADMIN_PASSWORD is required: the shop is reachable through SHOP_BASE_URL",
		},
		{
			name:    "a real gateway needs an admin password, even on loopback",
			env:     map[string]string{"POINTCHECKOUT_API_KEY": "k", "POINTCHECKOUT_API_SECRET": secret, "POINTCHECKOUT_ENV": "live"},
			wantErr: "SHOP_ADMIN_PASSWORD is required: the shop takes payments through a real gateway",
		},
		{
			name:    "behind a proxy with a live gateway: both reasons",
			env:     map[string]string{"SHOP_BASE_URL": "https://shop.example.com", "POINTCHECKOUT_API_KEY": "k", "POINTCHECKOUT_API_SECRET": secret, "POINTCHECKOUT_ENV": "live"},
			wantErr: "SHOP_ADMIN_PASSWORD is required: the shop is reachable through SHOP_BASE_URL; the shop takes payments through a real gateway",
		},
		{name: "base URL must be absolute", env: map[string]string{"SHOP_BASE_URL": "shop.example.com"}, wantErr: "SHOP_BASE_URL"},
		{name: "base URL without credentials", env: map[string]string{"SHOP_BASE_URL": "https://u:p@shop.example.com", "SHOP_ADMIN_PASSWORD": "pw"}, wantErr: "SHOP_BASE_URL"},
		{name: "live without a key", env: map[string]string{"POINTCHECKOUT_ENV": "live"}, wantErr: "POINTCHECKOUT_ENV=live needs POINTCHECKOUT_API_KEY and POINTCHECKOUT_API_SECRET"},
		{name: "test without a secret", env: map[string]string{"POINTCHECKOUT_ENV": "test", "POINTCHECKOUT_API_KEY": "k"}, wantErr: "POINTCHECKOUT_ENV=test needs POINTCHECKOUT_API_SECRET"},
		{name: "a misspelt environment", env: map[string]string{"POINTCHECKOUT_ENV": "bogus"}, wantErr: `POINTCHECKOUT_ENV="bogus" is not an environment`},
		{name: "a misspelt environment with credentials", env: map[string]string{"POINTCHECKOUT_ENV": "prod", "POINTCHECKOUT_API_KEY": "k", "POINTCHECKOUT_API_SECRET": secret}, wantErr: `POINTCHECKOUT_ENV="prod" is not an environment`},
		{name: "a secret without a key", env: map[string]string{"POINTCHECKOUT_API_SECRET": secret}, wantErr: "POINTCHECKOUT_ENV is required"},
		{name: "a key without an environment", env: map[string]string{"POINTCHECKOUT_API_KEY": "k", "POINTCHECKOUT_API_SECRET": secret}, wantErr: "POINTCHECKOUT_ENV is required"},
		{name: "a key for the sandbox", env: map[string]string{"POINTCHECKOUT_ENV": "sandbox", "POINTCHECKOUT_API_KEY": "k"}, wantErr: "POINTCHECKOUT_ENV=sandbox uses the built-in sandbox"},
		{name: "a rate limit scale that is not a number", env: map[string]string{"SHOP_RATE_LIMIT_SCALE": "lots"}, wantErr: "SHOP_RATE_LIMIT_SCALE"},
		{name: "a rate limit scale below 1", env: map[string]string{"SHOP_RATE_LIMIT_SCALE": "0"}, wantErr: "SHOP_RATE_LIMIT_SCALE"},
		{name: "bad interval", env: map[string]string{"SHOP_RECONCILE_EVERY": "often"}, wantErr: "SHOP_RECONCILE_EVERY"},
		{name: "interval too short", env: map[string]string{"SHOP_RECONCILE_EVERY": "1ms"}, wantErr: "SHOP_RECONCILE_EVERY"},
		{name: "bad address", env: map[string]string{"SHOP_ADDR": "8080"}, wantErr: "SHOP_ADDR"},
		{name: "bad time zone", env: map[string]string{"SHOP_TIMEZONE": "Mars/Olympus"}, wantErr: "SHOP_TIMEZONE"},
		{name: "bad proxy", env: map[string]string{"SHOP_TRUSTED_PROXIES": "proxy.internal"}, wantErr: "SHOP_TRUSTED_PROXIES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readSettings(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), secret, "the API secret never reaches an error")
				return
			}
			require.NoError(t, err)
			if tt.want.Location == nil {
				tt.want.Location = time.Local
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want.Env == envSandbox, got.Sandbox())
		})
	}
}

func TestReadCheckout(t *testing.T) {
	valid := func() url.Values {
		return url.Values{
			"first_name": {"Test"}, "last_name": {"User"}, "email": {"test@example.com"},
			"address": {"1 Sheikh Zayed Road"}, "city": {"Dubai"}, "country": {"AE"}, "method": {"card"},
		}
	}
	tests := []struct {
		name      string
		change    func(url.Values)
		wantField string
	}{
		{name: "valid", change: func(url.Values) {}},
		{name: "cash on delivery", change: func(v url.Values) { v.Set("method", "cod") }},
		{name: "missing first name", change: func(v url.Values) { v.Set("first_name", "  ") }, wantField: "first_name"},
		{name: "multi-line address", change: func(v url.Values) { v.Set("address", "a\r\nb") }, wantField: "address"},
		{name: "bad email", change: func(v url.Values) { v.Set("email", "not an email") }, wantField: "email"},
		{name: "email with a display name", change: func(v url.Values) { v.Set("email", "Eve <eve@example.com>") }, wantField: "email"},
		{name: "unknown country", change: func(v url.Values) { v.Set("country", "XX") }, wantField: "country"},
		{name: "unknown method", change: func(v url.Values) { v.Set("method", "crypto") }, wantField: "method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := valid()
			tt.change(form)
			c, _, errs := readCheckout(form)
			if tt.wantField == "" {
				assert.Empty(t, errs)
				assert.Equal(t, "Test", c.FirstName)
				return
			}
			assert.Contains(t, errs, tt.wantField)
			assert.Len(t, errs, 1)
		})
	}
}

func TestCookieKeys(t *testing.T) {
	k1, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	k2, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	keys, err := cookieKeys(k1.Encode()+","+k2.Encode(), log)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	// Key material is comparable only through its encoding.
	assert.Equal(t, []string{k1.Encode(), k2.Encode()}, []string{keys[0].Encode(), keys[1].Encode()})
	assert.Empty(t, logs.String())

	keys, err = cookieKeys("", log)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Contains(t, logs.String(), "level=WARN")
	assert.Contains(t, logs.String(), "POINTCHECKOUT_COOKIE_KEYS is not set")
	assert.Contains(t, logs.String(), "go run ./cmd/pointcheckout-keys", "the log says how to make keys")

	secret := "c2hvcnQ:c2hvcnQ"
	_, err = cookieKeys(secret, log)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret, "a key never reaches an error string")
}
