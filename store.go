package pointcheckout

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

var (
	// ErrNoRef: the request carries no checkout reference (no cookie).
	ErrNoRef = errors.New("pointcheckout: no checkout reference")
	// ErrInvalidRef: a checkout reference is present but cannot be trusted
	// or used: tampered, expired, sealed with a key no longer configured,
	// sealed under another name, or not a complete Ref. The wrapped
	// message says which, never the value itself.
	ErrInvalidRef = errors.New("pointcheckout: invalid checkout reference")
)

// Ref is what the shop must remember about one checkout attempt, from /pay
// until the attempt is resolved. It is not secret, but it is trusted only
// when it comes back signed (the cookie, the return token) or from the
// shop's own records, and a checkout fetched from the API is accepted only
// when it agrees with it.
type Ref struct {
	// CheckoutID is the gateway's id of the checkout. It is empty in the
	// Ref signed into the return URL, which is made before the gateway
	// has answered.
	CheckoutID string
	// OrderID is the shop's order.
	OrderID string
	// RequestID identifies this attempt; it is unique per attempt, while
	// an order may see several.
	RequestID string
	// Amount is what the shop asked for, in its currency.
	Amount Money
	// CreatedAt is when /pay created the attempt.
	CreatedAt time.Time
}

// Validate reports a Ref that cannot identify an attempt: no order id, no
// request id, no valid amount, no creation time, or a string field longer
// than 256 bytes or not UTF-8 (the bounds that keep the cookie small). The
// error wraps ErrInvalidRef.
func (r Ref) Validate() error {
	if err := checkFields(&r); err != nil {
		return err
	}
	switch {
	case r.OrderID == "":
		return fmt.Errorf("%w: no order id", ErrInvalidRef)
	case r.RequestID == "":
		return fmt.Errorf("%w: no request id", ErrInvalidRef)
	case !r.Amount.IsValid():
		return fmt.Errorf("%w: amount has no currency", ErrInvalidRef)
	case r.CreatedAt.IsZero():
		return fmt.Errorf("%w: no creation time", ErrInvalidRef)
	}
	return nil
}

// Matches reports whether r and o describe the same attempt: the same order
// id, request id and exact amount in the same currency, and the same
// checkout id when both know it (the return token's Ref does not). The
// creation time is not compared: the request id already names the attempt.
// Use it to refuse a return whose cookie and token disagree.
func (r Ref) Matches(o Ref) bool {
	if r.CheckoutID != "" && o.CheckoutID != "" && r.CheckoutID != o.CheckoutID {
		return false
	}
	return r.OrderID == o.OrderID && r.RequestID == o.RequestID && r.Amount == o.Amount
}

// Store keeps the shopper's current Ref between /pay and /pay/return. The
// Handler keeps no other per-shopper state, so any number of instances
// work behind a load balancer once they share the Store's keys.
type Store interface {
	// Save remembers ref for the shopper of r, replacing any earlier one.
	Save(w http.ResponseWriter, r *http.Request, ref Ref) error
	// Load returns the shopper's Ref: ErrNoRef when there is none, an
	// error wrapping ErrInvalidRef when one is present but untrusted.
	Load(r *http.Request) (Ref, error)
	// Clear forgets the shopper's Ref.
	Clear(w http.ResponseWriter, r *http.Request)
}

// Cookie defaults.
const (
	// DefaultCookieName is the cookie CookieStore uses when
	// CookieOptions.Name is empty.
	DefaultCookieName = "pc_checkout"
	// DefaultCookieMaxAge is the cookie lifetime when CookieOptions.MaxAge
	// is zero: long enough to pay, short enough that a stale attempt does
	// not linger.
	DefaultCookieMaxAge = time.Hour
	// MaxCookieMaxAge is the longest CookieOptions.MaxAge accepted.
	MaxCookieMaxAge = maxMaxAge
)

// CookieOptions tunes the cookie. The zero value is the safe default.
type CookieOptions struct {
	// Name of the cookie; default DefaultCookieName. It is part of the
	// signature, so values sealed under other names never load.
	Name string
	// Path of the cookie; default "/".
	Path string
	// Domain of the cookie; default none (the exact host).
	Domain string
	// MaxAge bounds the cookie's life in the browser and, through the
	// signed timestamp, on the server; whole seconds, default
	// DefaultCookieMaxAge, at most MaxCookieMaxAge.
	MaxAge time.Duration
	// AllowInsecure drops the Secure attribute on plain-http requests to
	// any host, for development hosts that are not loopback (a LAN
	// address, a container name). Loopback hosts (127.0.0.0/8, ::1,
	// localhost) need no option. Requests over https always get Secure.
	AllowInsecure bool
}

// CookieStore keeps the Ref in a signed, encrypted cookie: HMAC-SHA256 and
// AES-256-CTR through gorilla/securecookie, with key rotation. The cookie
// is HttpOnly, SameSite=Lax (it must survive the top-level return from the
// payment page), Secure unless the site is plain http on a loopback host,
// bounded in age, and under 300 bytes for a typical Ref. A CookieStore is
// safe for concurrent use.
type CookieStore struct {
	c             *codec
	name          string
	path          string
	domain        string
	maxAge        int
	allowInsecure bool
	// alwaysSecure is set by a Handler whose ReturnBaseURL is https: behind
	// a proxy that forwards neither TLS nor X-Forwarded-Proto, the request
	// alone cannot tell that the site is https.
	alwaysSecure bool
}

// NewCookieStore returns a CookieStore sealing with keys[0] and opening with
// every pair in keys. It fails on missing or short keys (an error wrapping
// ErrInvalidKeys), on a Name, Path or Domain that makes an invalid cookie,
// and on a MaxAge outside 1s to MaxCookieMaxAge.
func NewCookieStore(keys []KeyPair, opts CookieOptions) (*CookieStore, error) {
	if opts.Name == "" {
		opts.Name = DefaultCookieName
	}
	if opts.Path == "" {
		opts.Path = "/"
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = DefaultCookieMaxAge
	}
	if opts.MaxAge < time.Second || opts.MaxAge > MaxCookieMaxAge {
		return nil, fmt.Errorf("pointcheckout: cookie max age %s out of range (1s to %s)", opts.MaxAge, MaxCookieMaxAge)
	}
	probe := &http.Cookie{Name: opts.Name, Value: "x", Path: opts.Path, Domain: opts.Domain}
	if err := probe.Valid(); err != nil {
		return nil, fmt.Errorf("pointcheckout: cookie options: %w", err)
	}
	c, err := newCodec(keys, opts.MaxAge)
	if err != nil {
		return nil, err
	}
	return &CookieStore{
		c:             c,
		name:          opts.Name,
		path:          opts.Path,
		domain:        opts.Domain,
		maxAge:        int(opts.MaxAge / time.Second),
		allowInsecure: opts.AllowInsecure,
	}, nil
}

// Save seals ref into the cookie. It refuses a Ref that fails
// [Ref.Validate].
func (s *CookieStore) Save(w http.ResponseWriter, r *http.Request, ref Ref) error {
	if err := ref.Validate(); err != nil {
		return err
	}
	v, err := s.c.encode(s.name, &record{Ref: ref})
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(r, v, s.maxAge))
	return nil
}

// Load opens the cookie. It returns ErrNoRef when the request has no such
// cookie (or an emptied one) and an error wrapping ErrInvalidRef when the
// cookie is tampered, expired, foreign or oversized; an oversized value is
// refused before any decoding. When a browser sends several cookies of the
// name (another Path or Domain), the first that opens wins.
func (s *CookieStore) Load(r *http.Request) (Ref, error) {
	err := ErrNoRef
	for _, ck := range r.CookiesNamed(s.name) {
		if ck.Value == "" {
			continue
		}
		rec, derr := s.c.decode(s.name, ck.Value)
		if derr == nil {
			derr = rec.Ref.Validate()
		}
		if derr == nil {
			return rec.Ref, nil
		}
		if err == ErrNoRef {
			err = derr
		}
	}
	return Ref{}, err
}

// Clear expires the cookie, with the attributes Save used so the browser
// replaces rather than adds.
func (s *CookieStore) Clear(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, s.cookie(r, "", -1))
}

func (s *CookieStore) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     s.name,
		Value:    value,
		Path:     s.path,
		Domain:   s.domain,
		MaxAge:   maxAge,
		Secure:   s.alwaysSecure || secureCookie(r, s.allowInsecure),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}

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

// record is what the codec seals: a Ref, plus a status and source for the
// result flash. Both are empty in the Ref cookie and the return token.
type record struct {
	Ref    Ref
	Status Status
	Source Source
}
