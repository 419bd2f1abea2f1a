package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
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
	// DatabaseURL is a postgres:// URL (SHOP_DATABASE_URL): the shop keeps
	// its data in PostgreSQL instead of DBPath.
	DatabaseURL string
	// Instance names this instance in the X-Shop-Instance header and the
	// logs (SHOP_INSTANCE), when several run behind a load balancer.
	Instance string
	// ReconcileEvery is the reconciliation sweep interval
	// (SHOP_RECONCILE_EVERY, a Go duration, default 1m).
	ReconcileEvery time.Duration
	// CookieKeys are the payment cookie keys in pointcheckout.ParseKeyPairs
	// form (POINTCHECKOUT_COOKIE_KEYS); empty means random keys for this run.
	CookieKeys string
	// AdminPassword guards /admin (SHOP_ADMIN_PASSWORD); see adminReasons
	// for when it is required.
	AdminPassword string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (SHOP_TRUSTED_PROXIES, addresses or CIDR prefixes).
	TrustedProxies []netip.Prefix
	// Location is the time zone pages show times in (SHOP_TIMEZONE, an
	// IANA name; default the machine's).
	Location *time.Location
	// RateScale multiplies the shop-wide request limits, for a shop with
	// more traffic (SHOP_RATE_LIMIT_SCALE, default 1); per-client limits
	// stay as they are.
	RateScale int
	// APIKey, APISecret and Env select the gateway (POINTCHECKOUT_API_KEY,
	// POINTCHECKOUT_API_SECRET, POINTCHECKOUT_ENV). Env is "sandbox" for
	// the built-in sandbox, the default when neither key nor secret is set.
	APIKey, APISecret, Env string
	// GatewayURL is the Merchant API base URL of POINTCHECKOUT_ENV=custom
	// (POINTCHECKOUT_BASE_URL), such as a pointcheckout-sandbox.
	GatewayURL string
	// Warnings are settings that work but deserve a word in the log.
	Warnings []string
}

// envSandbox is the POINTCHECKOUT_ENV value of the built-in sandbox, and
// envCustom the one of a gateway at POINTCHECKOUT_BASE_URL.
const (
	envSandbox = "sandbox"
	envCustom  = "custom"
)

// gatewayEnvs and realEnvs list the POINTCHECKOUT_ENV values, for error
// messages.
const (
	gatewayEnvs = "sandbox, custom, " + realEnvs
	realEnvs    = "test, live, paymennt-test or paymennt-live"
)

// Sandbox reports whether the shop runs on the built-in sandbox.
func (s settings) Sandbox() bool { return s.Env == envSandbox }

// readSettings reads and checks the environment through getenv. Anything
// that cannot be used is an error naming the variable; nothing falls back
// silently to the sandbox or to an open admin page.
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
		DatabaseURL:   strings.TrimSpace(getenv("SHOP_DATABASE_URL")),
		Instance:      strings.TrimSpace(getenv("SHOP_INSTANCE")),
		GatewayURL:    strings.TrimSpace(getenv("POINTCHECKOUT_BASE_URL")),
		CookieKeys:    strings.TrimSpace(getenv("POINTCHECKOUT_COOKIE_KEYS")),
		AdminPassword: getenv("SHOP_ADMIN_PASSWORD"),
		APIKey:        strings.TrimSpace(getenv("POINTCHECKOUT_API_KEY")),
		APISecret:     strings.TrimSpace(getenv("POINTCHECKOUT_API_SECRET")),
		Env:           or("POINTCHECKOUT_ENV", ""),
	}
	if old := strings.TrimSpace(getenv("SHOP_COOKIE_KEYS")); old != "" {
		if s.CookieKeys == "" {
			s.CookieKeys = old
			s.Warnings = append(s.Warnings, "SHOP_COOKIE_KEYS is deprecated: rename it POINTCHECKOUT_COOKIE_KEYS")
		} else {
			s.Warnings = append(s.Warnings, "SHOP_COOKIE_KEYS is ignored: POINTCHECKOUT_COOKIE_KEYS is set")
		}
	}
	if s.DatabaseURL != "" && !isPostgresURL(s.DatabaseURL) {
		// Not echoed: the URL may hold a password.
		return settings{}, errors.New("SHOP_DATABASE_URL: want a PostgreSQL URL such as postgres://shop@127.0.0.1:5432/shop (leave it unset for SQLite in SHOP_DB)")
	}
	if !validInstance(s.Instance) {
		return settings{}, fmt.Errorf("SHOP_INSTANCE %q: use letters, digits, '-', '_' and '.' (at most 64)", clip(s.Instance))
	}
	scale, err := strconv.Atoi(or("SHOP_RATE_LIMIT_SCALE", "1"))
	if err != nil || scale < 1 || scale > 1000 {
		return settings{}, errors.New("SHOP_RATE_LIMIT_SCALE: want a whole number from 1 to 1000")
	}
	s.RateScale = scale
	every, err := time.ParseDuration(or("SHOP_RECONCILE_EVERY", "1m"))
	if err != nil || every < time.Second {
		return settings{}, fmt.Errorf("SHOP_RECONCILE_EVERY: want a Go duration of at least 1s, such as 30s or 5m")
	}
	s.ReconcileEvery = every
	if s.Location, err = time.LoadLocation(or("SHOP_TIMEZONE", "Local")); err != nil {
		return settings{}, fmt.Errorf("SHOP_TIMEZONE %q: not a time zone; want an IANA name such as Asia/Dubai or UTC", clip(getenv("SHOP_TIMEZONE")))
	}
	if err := s.readGateway(); err != nil {
		return settings{}, err
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return settings{}, fmt.Errorf("SHOP_ADDR %q: want host:port, such as 127.0.0.1:8080", clip(s.Addr))
	}
	loopback := isLoopback(host)
	if s.BaseURL == "" && !loopback {
		return settings{}, errors.New("SHOP_BASE_URL is required when SHOP_ADDR is not a loopback address: the shop must know the URL shoppers reach it at")
	}
	publicBase := false
	if s.BaseURL != "" {
		u, err := url.Parse(s.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return settings{}, fmt.Errorf("SHOP_BASE_URL %q: want an absolute http(s) URL such as https://shop.example.com", clip(s.BaseURL))
		}
		publicBase = !isLoopback(u.Hostname())
	}
	if s.BaseURL == "" && !s.Sandbox() {
		// A real gateway needs an explicit return origin; on loopback the
		// listening address is it.
		s.BaseURL = "http://" + s.Addr
	}
	if s.AdminPassword == "" {
		if why := adminReasons(!loopback, publicBase, !s.Sandbox()); why != "" {
			return settings{}, fmt.Errorf("SHOP_ADMIN_PASSWORD is required: %s, and /admin shows every customer's details", why)
		}
	}
	if s.TrustedProxies, err = parseProxies(getenv("SHOP_TRUSTED_PROXIES")); err != nil {
		return settings{}, err
	}
	if publicBase && loopback && len(s.TrustedProxies) == 0 {
		s.Warnings = append(s.Warnings, "the shop listens on loopback behind "+s.BaseURL+
			": if a reverse proxy forwards to it, set SHOP_TRUSTED_PROXIES=127.0.0.1 so that rate limits apply to each client rather than to the proxy")
	}
	return s, nil
}

// readGateway checks the gateway settings: the sandbox (no key, no
// secret, POINTCHECKOUT_ENV empty or "sandbox") or a named environment
// with both a key and a secret. Errors never hold the secret.
func (s *settings) readGateway() error {
	creds := s.APIKey != "" || s.APISecret != ""
	switch {
	case s.Env == "" && !creds:
		s.Env = envSandbox
		return nil
	case s.Env == envSandbox && creds:
		return errors.New("POINTCHECKOUT_ENV=sandbox uses the built-in sandbox, which takes no POINTCHECKOUT_API_KEY or POINTCHECKOUT_API_SECRET: unset them, or choose test or live")
	case s.Env == envSandbox:
		return nil
	case s.Env == "":
		return fmt.Errorf("POINTCHECKOUT_ENV is required with POINTCHECKOUT_API_KEY or POINTCHECKOUT_API_SECRET: one of %s (or unset both for the built-in sandbox)", realEnvs)
	}
	if s.Env == envCustom {
		if _, err := pointcheckout.CustomEnvironment(s.GatewayURL); err != nil {
			return fmt.Errorf("POINTCHECKOUT_ENV=custom needs POINTCHECKOUT_BASE_URL, the gateway's Merchant API base URL, such as http://127.0.0.1:8089/mer/v2.0/ for pointcheckout-sandbox: %q is not one", clip(s.GatewayURL))
		}
	} else if _, err := pointcheckout.EnvironmentNamed(s.Env); err != nil {
		return fmt.Errorf("POINTCHECKOUT_ENV=%q is not an environment: want one of %s", clip(s.Env), gatewayEnvs)
	}
	var missing []string
	if s.APIKey == "" {
		missing = append(missing, "POINTCHECKOUT_API_KEY")
	}
	if s.APISecret == "" {
		missing = append(missing, "POINTCHECKOUT_API_SECRET")
	}
	if len(missing) > 0 {
		return fmt.Errorf("POINTCHECKOUT_ENV=%s needs %s: the gateway's %s environment accepts no payment without them (leave POINTCHECKOUT_ENV unset for the built-in sandbox)",
			s.Env, strings.Join(missing, " and "), s.Env)
	}
	return nil
}

// validInstance accepts an instance name fit for a header and a log line.
func validInstance(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// gateway returns the environment of a gateway that is not the built-in
// sandbox.
func (s settings) gateway() (pointcheckout.Environment, error) {
	if s.Env == envCustom {
		return pointcheckout.CustomEnvironment(s.GatewayURL)
	}
	return pointcheckout.EnvironmentNamed(s.Env)
}

// adminReasons says why /admin needs a password, or "" when it is only
// reachable from this machine and pays on the sandbox.
func adminReasons(publicAddr, publicBase, realGateway bool) string {
	var why []string
	if publicAddr {
		why = append(why, "SHOP_ADDR is not a loopback address")
	}
	if publicBase {
		why = append(why, "the shop is reachable through SHOP_BASE_URL")
	}
	if realGateway {
		why = append(why, "the shop takes payments through a real gateway (POINTCHECKOUT_ENV)")
	}
	return strings.Join(why, "; ")
}

// parseProxies reads SHOP_TRUSTED_PROXIES: comma-separated addresses or
// CIDR prefixes.
func parseProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("SHOP_TRUSTED_PROXIES: %q is neither an IP address nor a CIDR prefix such as 10.0.0.0/8", clip(f))
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// clip bounds a setting echoed in an error.
func clip(s string) string {
	if len(s) > 64 {
		return strings.ToValidUTF8(s[:64], "") + "…"
	}
	return s
}

// isLoopback reports whether host names this machine only.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
