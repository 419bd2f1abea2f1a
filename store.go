package pointcheckout

// CONTRACT STUB: the store helper replaces the bodies; signatures are fixed.

import (
	"errors"
	"net/http"
	"time"
)

var (
	ErrNoRef      = errors.New("pointcheckout: no checkout reference")
	ErrInvalidRef = errors.New("pointcheckout: invalid checkout reference")
)

// Ref is what the shop must remember about one checkout attempt.
type Ref struct {
	CheckoutID string
	OrderID    string
	RequestID  string
	Amount     Money
	CreatedAt  time.Time
}

// Store keeps the shopper's current Ref between /pay and /pay/return.
type Store interface {
	Save(w http.ResponseWriter, r *http.Request, ref Ref) error
	Load(r *http.Request) (Ref, error)
	Clear(w http.ResponseWriter, r *http.Request)
}

// KeyPair is one hash/encryption key pair.
type KeyPair struct {
	HashKey  []byte
	BlockKey []byte
}

func GenerateKeyPair() (KeyPair, error)         { return KeyPair{}, errors.New("stub") }
func ParseKeyPairs(s string) ([]KeyPair, error) { return nil, errors.New("stub") }
func (k KeyPair) String() string                { return "stub" }

// CookieOptions tunes the cookie.
type CookieOptions struct {
	Name          string
	Path          string
	Domain        string
	MaxAge        time.Duration
	AllowInsecure bool
}

// CookieStore keeps the Ref in a signed, encrypted cookie.
type CookieStore struct{ c *codec }

func NewCookieStore(keys []KeyPair, opts CookieOptions) (*CookieStore, error) {
	return nil, errors.New("stub")
}
func (s *CookieStore) Save(w http.ResponseWriter, r *http.Request, ref Ref) error { return nil }
func (s *CookieStore) Load(r *http.Request) (Ref, error)                          { return Ref{}, ErrNoRef }
func (s *CookieStore) Clear(w http.ResponseWriter, r *http.Request)               {}

// record is what the codec seals: a Ref, plus a status and source for the
// result flash.
type record struct {
	Ref    Ref
	Status Status
	Source Source
}

// codec seals records with securecookie (HMAC-SHA256 + AES, compact binary
// serializer, key rotation, max age).
type codec struct{}

func newCodec(keys []KeyPair, maxAge time.Duration) (*codec, error) { return nil, errors.New("stub") }
func (c *codec) encode(name string, rec *record) (string, error)    { return "", errors.New("stub") }
func (c *codec) decode(name, value string) (record, error)          { return record{}, errors.New("stub") }
