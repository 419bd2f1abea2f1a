package pointcheckout

import (
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// secureCookie decides the Secure attribute: on for https (direct, or
// behind a TLS-terminating proxy that says X-Forwarded-Proto: https), off
// only for plain http to a loopback host, or to any host when
// allowInsecure is set. Trusting the proxy header is safe here: it can
// only turn Secure on.
func secureCookie(r *http.Request, allowInsecure bool) bool {
	return requestIsHTTPS(r) || !(allowInsecure || isLoopbackHost(r.Host))
}

// requestIsHTTPS reports whether the shopper's browser used https, directly
// or through a TLS-terminating proxy. Behind a chain of proxies the header
// is a list whose first entry is the browser's side ("https, http").
func requestIsHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// isLoopbackHost reports whether host (with or without a port) is
// localhost, in 127.0.0.0/8, or ::1.
func isLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(host, "]"), "["), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isLocalPath accepts "/x" but not "//host" or "/\host", which browsers read
// as another site.
func isLocalPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\") &&
		!strings.ContainsAny(p, "\r\n\t")
}

// isSitePath accepts only a canonical path on this site, with an optional
// query: no backslash and no dot segment, also once percent-decoded, since a
// browser resolves "/./\evil.example" or "/%2e%2e/" to another place than
// the text suggests. A trailing slash is allowed.
func isSitePath(p string) bool {
	if !isLocalPath(p) || strings.ContainsAny(p, `\#`) {
		return false
	}
	pth, _, _ := strings.Cut(p, "?")
	dec, err := url.PathUnescape(pth)
	if err != nil {
		return false
	}
	for _, s := range []string{pth, dec} {
		if !isLocalPath(s) || strings.Contains(s, `\`) {
			return false
		}
		if c := path.Clean(s); c != s && c+"/" != s {
			return false
		}
	}
	return true
}

// noStore keeps payment pages out of shared and browser caches.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0
}

// clip bounds untrusted text quoted in error messages.
func clip(s string) string {
	const max = 32
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
