package main

import (
	"bytes"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadSettings(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    settings
		wantErr string
	}{
		{
			name: "defaults run on the sandbox",
			env:  map[string]string{},
			want: settings{Addr: "127.0.0.1:8080", DBPath: "shop.db", ReconcileEvery: time.Minute},
		},
		{
			name: "real API",
			env: map[string]string{
				"POINTCHECKOUT_API_KEY": "k", "POINTCHECKOUT_API_SECRET": "s", "POINTCHECKOUT_ENV": "test",
				"SHOP_RECONCILE_EVERY": "30s", "SHOP_DB": "/var/lib/shop.db",
			},
			want: settings{Addr: "127.0.0.1:8080", BaseURL: "http://127.0.0.1:8080", DBPath: "/var/lib/shop.db", ReconcileEvery: 30 * time.Second, APIKey: "k", APISecret: "s", Env: "test"},
		},
		{
			name: "public address with base URL and admin password",
			env:  map[string]string{"SHOP_ADDR": "0.0.0.0:80", "SHOP_BASE_URL": "https://shop.example.com/", "SHOP_ADMIN_PASSWORD": "pw"},
			want: settings{Addr: "0.0.0.0:80", BaseURL: "https://shop.example.com", DBPath: "shop.db", ReconcileEvery: time.Minute, AdminPassword: "pw"},
		},
		{name: "public address needs a base URL", env: map[string]string{"SHOP_ADDR": ":8080", "SHOP_ADMIN_PASSWORD": "pw"}, wantErr: "SHOP_BASE_URL is required"},
		{name: "public address needs an admin password", env: map[string]string{"SHOP_ADDR": "0.0.0.0:80", "SHOP_BASE_URL": "https://shop.example.com"}, wantErr: "SHOP_ADMIN_PASSWORD is required"},
		{name: "base URL must be absolute", env: map[string]string{"SHOP_BASE_URL": "shop.example.com"}, wantErr: "SHOP_BASE_URL"},
		{name: "key without secret", env: map[string]string{"POINTCHECKOUT_API_KEY": "k", "POINTCHECKOUT_ENV": "test"}, wantErr: "POINTCHECKOUT_API_SECRET"},
		{name: "key without environment", env: map[string]string{"POINTCHECKOUT_API_KEY": "k", "POINTCHECKOUT_API_SECRET": "s"}, wantErr: "POINTCHECKOUT_ENV"},
		{name: "bad interval", env: map[string]string{"SHOP_RECONCILE_EVERY": "often"}, wantErr: "SHOP_RECONCILE_EVERY"},
		{name: "interval too short", env: map[string]string{"SHOP_RECONCILE_EVERY": "1ms"}, wantErr: "SHOP_RECONCILE_EVERY"},
		{name: "bad address", env: map[string]string{"SHOP_ADDR": "8080"}, wantErr: "SHOP_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readSettings(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.env["POINTCHECKOUT_API_KEY"] == "", got.Sandbox())
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
	assert.Equal(t, []pointcheckout.KeyPair{k1, k2}, keys)
	assert.Empty(t, logs.String())

	keys, err = cookieKeys("", log)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Contains(t, logs.String(), "level=WARN")
	assert.Contains(t, logs.String(), "SHOP_COOKIE_KEYS is not set")

	secret := "c2hvcnQ:c2hvcnQ"
	_, err = cookieKeys(secret, log)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret, "a key never reaches an error string")
}
