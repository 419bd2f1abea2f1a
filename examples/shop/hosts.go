package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// hostCheck answers only requests addressed to the shop: the host of its
// base URL, or a loopback name (localhost, 127.0.0.1, [::1]) on any port.
//
// It stops DNS rebinding: a page on evil.example whose name is made to
// resolve to 127.0.0.1 can make the browser send requests to a shop on this
// machine, and read the answers, since to the browser they are
// evil.example's own; but they carry "Host: evil.example". A loopback name
// is safe to accept, because a page can only reach it under that name,
// which is not its own origin.
type hostCheck struct {
	host, port string // the base URL's, lower case; port never empty
	scheme     string
	base       string
	log        *slog.Logger
	now        func() time.Time
	mu         sync.Mutex
	lastLog    time.Time
}

// newHostCheck accepts base's host.
func newHostCheck(base *url.URL, log *slog.Logger, now func() time.Time) *hostCheck {
	host, port := splitHost(base.Host, base.Scheme)
	return &hostCheck{host: host, port: port, scheme: base.Scheme, base: base.Scheme + "://" + base.Host, log: log, now: now}
}

// splitHost returns the lower-case host name of a Host value without its
// brackets or a final dot, and its port, the scheme's default if none.
func splitHost(hostport, scheme string) (host, port string) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	return host, port
}

// allows reports whether a request's Host value names the shop.
func (h *hostCheck) allows(hostport string) bool {
	host, port := splitHost(hostport, h.scheme)
	return isLoopback(host) || (host == h.host && port == h.port)
}

// wrap refuses requests for other hosts with 421 Misdirected Request.
func (h *hostCheck) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.allows(r.Host) {
			next.ServeHTTP(w, r)
			return
		}
		h.logRefusal(r)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusMisdirectedRequest)
		_, _ = w.Write([]byte("This shop answers at " + h.base + " only.\n"))
	})
}

// logRefusal logs a refused host at most once a minute: a proxy that
// rewrites Host would otherwise fill the log, and so would an attacker.
func (h *hostCheck) logRefusal(r *http.Request) {
	h.mu.Lock()
	now := h.now()
	quiet := now.Sub(h.lastLog) < time.Minute
	if !quiet {
		h.lastLog = now
	}
	h.mu.Unlock()
	if quiet {
		return
	}
	h.log.WarnContext(r.Context(), "request for another host refused (421); a reverse proxy must pass the Host header, such as nginx's proxy_set_header Host $host",
		"host", clip(r.Host), "want", h.base)
}
