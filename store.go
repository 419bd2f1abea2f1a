package pointcheckout

import (
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/pointcheckout-go/pointcheckout/internal/codec"
)

// maxFieldLen bounds each id of a Ref, in bytes: it keeps the sealed cookie
// and the return URL short.
const maxFieldLen = 256

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
	for _, f := range [...]struct{ name, v string }{
		{"checkout id", r.CheckoutID}, {"order id", r.OrderID}, {"request id", r.RequestID},
	} {
		if len(f.v) > maxFieldLen {
			return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalidRef, f.name, maxFieldLen)
		}
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: %s is not UTF-8", ErrInvalidRef, f.name)
		}
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

// matches reports whether r and o describe the same attempt: the same order
// id, request id and exact amount in the same currency, and the same
// checkout id when both know it (the return token's Ref does not). The
// creation time is not compared: the request id already names the attempt.
func (r Ref) matches(o Ref) bool {
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
	// DefaultCookieName is the default Store's cookie name when
	// CookieOptions.Name is empty.
	DefaultCookieName = "pc_checkout"
	// DefaultCookieMaxAge is the cookie lifetime when CookieOptions.MaxAge
	// is zero: long enough to pay, short enough that a stale attempt does
	// not linger.
	DefaultCookieMaxAge = time.Hour
	// MaxCookieMaxAge is the longest CookieOptions.MaxAge accepted.
	MaxCookieMaxAge = 24 * time.Hour
)

// CookieOptions tunes the cookie. The zero value is the safe default.
type CookieOptions struct {
	// Name of the cookie, part of its signature; default DefaultCookieName.
	Name string
	// Path of the cookie; default Config.Prefix ("/pay").
	Path string
	// Domain of the cookie; default none (the exact host).
	Domain string
	// MaxAge bounds the cookie's life, in the browser and by its signed
	// timestamp; default DefaultCookieMaxAge, at most MaxCookieMaxAge.
	MaxAge time.Duration
	// Secure sets the Secure attribute on every request; without it only
	// plain http to a loopback host goes without.
	Secure bool
	// AllowInsecure drops Secure on plain http to any host (a development
	// host on the LAN); Secure wins over it.
	AllowInsecure bool
}

// cookieStore keeps the Ref in a signed, encrypted cookie: HMAC-SHA256 and
// AES-256 through gorilla/securecookie, with key rotation. The cookie is
// HttpOnly, SameSite=Lax (it must survive the top-level return from the
// payment page), Secure unless the site is plain http on a loopback host,
// bounded in age, and under 200 bytes for a typical Ref. A cookieStore is
// safe for concurrent use.
type cookieStore struct {
	sc sealedCookie
}

// newCookieStore returns a cookieStore sealing with keys[0] and opening with
// every pair in keys. It fails on missing or short keys (an error wrapping
// ErrInvalidKeys), on a Name, Path or Domain that makes an invalid cookie,
// and on a MaxAge outside 1s to MaxCookieMaxAge.
func newCookieStore(keys []KeyPair, opts CookieOptions) (*cookieStore, error) {
	if opts.Name == "" {
		opts.Name = DefaultCookieName
	}
	if opts.Path == "" {
		opts.Path = "/"
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = DefaultCookieMaxAge
	}
	sc, err := newSealedCookie(keys, opts, true)
	if err != nil {
		return nil, err
	}
	return &cookieStore{sc: sc}, nil
}

// Save seals ref into the cookie. It refuses a Ref that fails
// [Ref.Validate]. CreatedAt is kept to the second.
func (s *cookieStore) Save(w http.ResponseWriter, r *http.Request, ref Ref) error {
	if err := ref.Validate(); err != nil {
		return err
	}
	rec := refRecord(ref)
	return s.sc.save(w, r, &rec)
}

// Load opens the cookie. It returns ErrNoRef when the request has no such
// cookie (or an emptied one) and an error wrapping ErrInvalidRef when the
// cookie is tampered, expired, foreign or oversized; an oversized value is
// refused before any decoding. When a browser sends several cookies of the
// name (another Path or Domain), the first that opens wins.
func (s *cookieStore) Load(r *http.Request) (Ref, error) {
	var ref Ref
	err := s.sc.load(r, func(rec *codec.Record) (err error) {
		ref, err = recordRef(rec)
		return err
	})
	if err != nil {
		return Ref{}, err
	}
	return ref, nil
}

// Clear expires the cookie, with the attributes Save used so the browser
// replaces rather than adds.
func (s *cookieStore) Clear(w http.ResponseWriter, r *http.Request) { s.sc.clear(w, r) }

// sealedCookie writes and reads one cookie sealed by a codec: the checkout
// cookie of a cookieStore and the Handler's result cookie.
type sealedCookie struct {
	c                     *codec.Codec
	name, path, domain    string
	maxAge                int
	secure, allowInsecure bool
}

// newSealedCookie checks opts (all set) and keys and builds the cookie's
// codec.
func newSealedCookie(keys []KeyPair, opts CookieOptions, encrypt bool) (sealedCookie, error) {
	if opts.MaxAge < time.Second || opts.MaxAge > MaxCookieMaxAge {
		return sealedCookie{}, fmt.Errorf("pointcheckout: cookie max age %s out of range (1s to %s)", opts.MaxAge, MaxCookieMaxAge)
	}
	probe := &http.Cookie{Name: opts.Name, Value: "x", Path: opts.Path, Domain: opts.Domain}
	if err := probe.Valid(); err != nil {
		return sealedCookie{}, fmt.Errorf("pointcheckout: cookie options: %w", err)
	}
	c, err := newCodec(keys, opts.MaxAge, encrypt)
	if err != nil {
		return sealedCookie{}, err
	}
	return sealedCookie{
		c: c, name: opts.Name, path: opts.Path, domain: opts.Domain,
		maxAge: int(opts.MaxAge / time.Second), secure: opts.Secure, allowInsecure: opts.AllowInsecure,
	}, nil
}

// newCodec builds a codec over validated keys. maxAge (1s to
// MaxCookieMaxAge) is enforced by the signed timestamp on every decode;
// encrypt false only signs, for values that travel in a URL.
func newCodec(keys []KeyPair, maxAge time.Duration, encrypt bool) (*codec.Codec, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no key pairs given", ErrInvalidKeys)
	}
	if maxAge < time.Second || maxAge > MaxCookieMaxAge {
		return nil, fmt.Errorf("pointcheckout: max age %s out of range (1s to %s)", maxAge, MaxCookieMaxAge)
	}
	hash, block := make([][]byte, len(keys)), make([][]byte, len(keys))
	for i, k := range keys {
		if err := k.validate(i + 1); err != nil {
			return nil, err
		}
		m := k.material()
		hash[i], block[i] = m.hash, m.block
	}
	return codec.New(maxAge, encrypt, hash, block)
}

func (s *sealedCookie) save(w http.ResponseWriter, r *http.Request, rec *codec.Record) error {
	v, err := s.c.Encode(s.name, rec)
	if err != nil {
		return fmt.Errorf("%w: sealing failed", ErrInvalidRef)
	}
	http.SetCookie(w, s.cookie(r, v, s.maxAge))
	return nil
}

// load opens the first cookie of the name that opens and that use accepts.
func (s *sealedCookie) load(r *http.Request, use func(*codec.Record) error) error {
	err := ErrNoRef
	for _, ck := range r.CookiesNamed(s.name) {
		if ck.Value == "" {
			continue
		}
		var rec codec.Record
		derr := s.c.Decode(s.name, ck.Value, &rec)
		if derr != nil {
			derr = fmt.Errorf("%w: %w", ErrInvalidRef, derr)
		} else {
			derr = use(&rec)
		}
		if derr == nil {
			return nil
		}
		if err == ErrNoRef {
			err = derr
		}
	}
	return err
}

func (s *sealedCookie) clear(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, s.cookie(r, "", -1))
}

func (s *sealedCookie) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     s.name,
		Value:    value,
		Path:     s.path,
		Domain:   s.domain,
		MaxAge:   maxAge,
		Secure:   s.secure || secureCookie(r, s.allowInsecure),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}

// refRecord is what the codec seals for a Ref.
func refRecord(ref Ref) codec.Record {
	return codec.Record{
		CheckoutID: ref.CheckoutID, OrderID: ref.OrderID, RequestID: ref.RequestID,
		Currency: ref.Amount.Currency(), Minor: ref.Amount.Minor(), Created: ref.CreatedAt.Unix(),
	}
}

// recordRef is the Ref a sealed record holds, if it is a valid one.
func recordRef(rec *codec.Record) (Ref, error) {
	amount, err := NewMoney(rec.Minor, rec.Currency)
	if err != nil {
		return Ref{}, fmt.Errorf("%w: amount: %w", ErrInvalidRef, err)
	}
	ref := Ref{
		CheckoutID: rec.CheckoutID, OrderID: rec.OrderID, RequestID: rec.RequestID,
		Amount: amount, CreatedAt: time.Unix(rec.Created, 0).UTC(),
	}
	return ref, ref.Validate()
}
