package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// settings is the shop's configuration, read from the environment.
type settings struct {
	// Addr is where the shop listens (SHOP_ADDR, default 127.0.0.1:8080).
	Addr string
	// BaseURL is the shop's public URL (SHOP_BASE_URL); required unless
	// the shop listens on loopback, where http://Addr is used.
	BaseURL string
	// DBPath is the SQLite file (SHOP_DB, default ./shop.db).
	DBPath string
	// ReconcileEvery is the reconciliation sweep interval
	// (SHOP_RECONCILE_EVERY, a Go duration, default 1m).
	ReconcileEvery time.Duration
	// CookieKeys are the payment cookie keys in pointcheckout.ParseKeyPairs
	// form (SHOP_COOKIE_KEYS); empty means random keys for this run.
	CookieKeys string
	// AdminPassword guards /admin (SHOP_ADMIN_PASSWORD); required unless
	// the shop listens on loopback.
	AdminPassword string
	// APIKey, APISecret and Env select the real PointCheckout API
	// (POINTCHECKOUT_API_KEY, POINTCHECKOUT_API_SECRET, POINTCHECKOUT_ENV:
	// test, live, paymennt-test or paymennt-live). Without a key the shop
	// runs on the built-in sandbox.
	APIKey, APISecret, Env string
}

// Sandbox reports whether the shop runs on the built-in sandbox.
func (s settings) Sandbox() bool { return s.APIKey == "" }

// readSettings reads and checks the environment through getenv.
func readSettings(getenv func(string) string) (settings, error) {
	or := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	s := settings{
		Addr:          or("SHOP_ADDR", "127.0.0.1:8080"),
		BaseURL:       strings.TrimSuffix(or("SHOP_BASE_URL", ""), "/"),
		DBPath:        or("SHOP_DB", "shop.db"),
		CookieKeys:    getenv("SHOP_COOKIE_KEYS"),
		AdminPassword: getenv("SHOP_ADMIN_PASSWORD"),
		APIKey:        strings.TrimSpace(getenv("POINTCHECKOUT_API_KEY")),
		APISecret:     strings.TrimSpace(getenv("POINTCHECKOUT_API_SECRET")),
		Env:           or("POINTCHECKOUT_ENV", ""),
	}
	every, err := time.ParseDuration(or("SHOP_RECONCILE_EVERY", "1m"))
	if err != nil || every < time.Second {
		return settings{}, fmt.Errorf("SHOP_RECONCILE_EVERY: want a Go duration of at least 1s, such as 30s or 5m")
	}
	s.ReconcileEvery = every
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return settings{}, fmt.Errorf("SHOP_ADDR %q: want host:port", s.Addr)
	}
	loopback := isLoopback(host)
	if s.BaseURL == "" && !loopback {
		return settings{}, errors.New("SHOP_BASE_URL is required when SHOP_ADDR is not a loopback address")
	}
	if s.BaseURL != "" {
		u, err := url.Parse(s.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return settings{}, fmt.Errorf("SHOP_BASE_URL %q: want an absolute http(s) URL such as https://shop.example.com", s.BaseURL)
		}
	}
	if s.BaseURL == "" && !s.Sandbox() {
		// A real gateway needs an explicit return origin; on loopback the
		// listening address is it.
		s.BaseURL = "http://" + s.Addr
	}
	if s.AdminPassword == "" && !loopback {
		return settings{}, errors.New("SHOP_ADMIN_PASSWORD is required when SHOP_ADDR is not a loopback address")
	}
	if !s.Sandbox() && (s.APISecret == "" || s.Env == "") {
		return settings{}, errors.New("POINTCHECKOUT_API_KEY needs POINTCHECKOUT_API_SECRET and POINTCHECKOUT_ENV (test, live, paymennt-test or paymennt-live)")
	}
	return s, nil
}

// isLoopback reports whether host names this machine only.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
