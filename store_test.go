package pointcheckout

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout/internal/codec"
)

func testRef(t testing.TB) Ref {
	t.Helper()
	return Ref{
		CheckoutID: "6f1c2d4e-9a8b-4c7d-8e6f-5a4b3c2d1e0f",
		OrderID:    "ORD-1",
		RequestID:  "0b9a8c7d-6e5f-4a3b-9c2d-1e0f6a5b4c3d",
		Amount:     money(t, 10050, "AED"),
		CreatedAt:  time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC),
	}
}

func mustStore(t testing.TB, opts CookieOptions, keys ...KeyPair) *cookieStore {
	t.Helper()
	if len(keys) == 0 {
		keys = []KeyPair{testKey(1)}
	}
	s, err := newCookieStore(keys, opts)
	require.NoError(t, err)
	return s
}

// saved runs Save on a request to target and returns the one cookie set.
func saved(t testing.TB, s *cookieStore, req *http.Request, ref Ref) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	require.NoError(t, s.Save(rec, req, ref))
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	return cookies[0]
}

func withCookies(cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://shop.example/pay/return", nil)
	for _, c := range cookies {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return r
}

func TestRefValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Ref)
		ok     bool
	}{
		{"complete", func(*Ref) {}, true},
		{"no checkout id yet", func(r *Ref) { r.CheckoutID = "" }, true},
		{"no order id", func(r *Ref) { r.OrderID = "" }, false},
		{"no request id", func(r *Ref) { r.RequestID = "" }, false},
		{"no amount", func(r *Ref) { r.Amount = Money{} }, false},
		{"no creation time", func(r *Ref) { r.CreatedAt = time.Time{} }, false},
		{"order id too long", func(r *Ref) { r.OrderID = strings.Repeat("x", 257) }, false},
		{"order id of 256 bytes", func(r *Ref) { r.OrderID = strings.Repeat("x", 256) }, true},
		{"checkout id not UTF-8", func(r *Ref) { r.CheckoutID = "\xc3\x28" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := testRef(t)
			tt.change(&ref)
			err := ref.Validate()
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrInvalidRef)
			}
		})
	}
}

func TestRefMatches(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Ref)
		want   bool
	}{
		{"same", func(*Ref) {}, true},
		{"token ref without checkout id", func(r *Ref) { r.CheckoutID = "" }, true},
		{"other creation time", func(r *Ref) { r.CreatedAt = r.CreatedAt.Add(time.Second) }, true},
		{"other checkout", func(r *Ref) { r.CheckoutID = "other" }, false},
		{"other order", func(r *Ref) { r.OrderID = "ORD-2" }, false},
		{"other attempt", func(r *Ref) { r.RequestID = "other" }, false},
		{"other amount", func(r *Ref) { r.Amount = money(t, 10051, "AED") }, false},
		{"other currency", func(r *Ref) { r.Amount = money(t, 10050, "SAR") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := testRef(t), testRef(t)
			tt.change(&b)
			assert.Equal(t, tt.want, a.matches(b))
			assert.Equal(t, tt.want, b.matches(a), "symmetric")
		})
	}
}

func TestCookieStoreRoundTrip(t *testing.T) {
	s := mustStore(t, CookieOptions{})
	ref := testRef(t)
	ck := saved(t, s, httptest.NewRequest(http.MethodPost, "https://shop.example/pay", nil), ref)
	got, err := s.Load(withCookies(ck))
	require.NoError(t, err)
	assert.Equal(t, ref, got)
	assert.NotContains(t, ck.Value, ref.OrderID, "the cookie is encrypted")
	assert.NotContains(t, ck.Value, ref.RequestID)
}

func TestCookieStoreAttributes(t *testing.T) {
	tests := []struct {
		name   string
		url    string
		tls    bool
		header string // X-Forwarded-Proto
		opts   CookieOptions
		secure bool
	}{
		{"https", "https://shop.example/pay", true, "", CookieOptions{}, true},
		{"plain http on a public host", "http://shop.example/pay", false, "", CookieOptions{}, true},
		{"localhost", "http://localhost:8080/pay", false, "", CookieOptions{}, false},
		{"LOCALHOST", "http://LOCALHOST/pay", false, "", CookieOptions{}, false},
		{"127.0.0.1", "http://127.0.0.1:8080/pay", false, "", CookieOptions{}, false},
		{"127.1.2.3", "http://127.1.2.3/pay", false, "", CookieOptions{}, false},
		{"::1", "http://[::1]:8080/pay", false, "", CookieOptions{}, false},
		{"localhost lookalike", "http://localhost.evil.example/pay", false, "", CookieOptions{}, true},
		{"loopback-looking name", "http://127.0.0.1.nip.io/pay", false, "", CookieOptions{}, true},
		{"LAN address", "http://192.168.1.5:8080/pay", false, "", CookieOptions{}, true},
		{"LAN address, AllowInsecure", "http://192.168.1.5:8080/pay", false, "", CookieOptions{AllowInsecure: true}, false},
		{"https with AllowInsecure", "https://shop.example/pay", true, "", CookieOptions{AllowInsecure: true}, true},
		{"behind a TLS proxy", "http://shop.example/pay", false, "https", CookieOptions{}, true},
		{"behind a TLS proxy, AllowInsecure", "http://shop.internal/pay", false, "https", CookieOptions{AllowInsecure: true}, true},
		{"proxy on localhost", "http://localhost/pay", false, "HTTPS", CookieOptions{}, true},
		{"proxy chain", "http://localhost/pay", false, "https, http", CookieOptions{}, true},
		{"proxy says http", "http://localhost/pay", false, "http", CookieOptions{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustStore(t, tt.opts)
			req := httptest.NewRequest(http.MethodPost, tt.url, nil)
			if !tt.tls {
				req.TLS = nil
			} else if req.TLS == nil {
				req.TLS = &tls.ConnectionState{}
			}
			if tt.header != "" {
				req.Header.Set("X-Forwarded-Proto", tt.header)
			}
			ck := saved(t, s, req, testRef(t))
			assert.Equal(t, tt.secure, ck.Secure, "Secure")
			assert.True(t, ck.HttpOnly, "HttpOnly")
			assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
			assert.Equal(t, DefaultCookieName, ck.Name)
			assert.Equal(t, "/", ck.Path)
			assert.Equal(t, 3600, ck.MaxAge)
			assert.Empty(t, ck.Domain)

			// Clear writes the same attributes with an expiry.
			rec := httptest.NewRecorder()
			s.Clear(rec, req)
			cleared := rec.Result().Cookies()
			require.Len(t, cleared, 1)
			c := cleared[0]
			assert.Equal(t, -1, c.MaxAge)
			assert.Empty(t, c.Value)
			assert.Equal(t, ck.Secure, c.Secure)
			assert.Equal(t, ck.HttpOnly, c.HttpOnly)
			assert.Equal(t, ck.SameSite, c.SameSite)
			assert.Equal(t, ck.Path, c.Path)
			assert.Equal(t, ck.Name, c.Name)
			assert.Contains(t, rec.Header().Get("Set-Cookie"), "Max-Age=0")
		})
	}
}

func TestCookieStoreOptions(t *testing.T) {
	s := mustStore(t, CookieOptions{Name: "shop_pay", Path: "/checkout", Domain: "shop.example", MaxAge: 15 * time.Minute})
	req := httptest.NewRequest(http.MethodPost, "https://shop.example/checkout", nil)
	ck := saved(t, s, req, testRef(t))
	assert.Equal(t, "shop_pay", ck.Name)
	assert.Equal(t, "/checkout", ck.Path)
	assert.Equal(t, "shop.example", ck.Domain)
	assert.Equal(t, 900, ck.MaxAge)

	rec := httptest.NewRecorder()
	s.Clear(rec, req)
	header := rec.Header().Get("Set-Cookie")
	assert.Contains(t, header, "Path=/checkout")
	assert.Contains(t, header, "Domain=shop.example")
}

func TestNewCookieStoreRejects(t *testing.T) {
	good := []KeyPair{testKey(1)}
	short := []KeyPair{pair(testKey(1).material().hash[:20], testKey(1).material().block)}
	tests := []struct {
		name     string
		keys     []KeyPair
		opts     CookieOptions
		keyError bool
	}{
		{"no keys", nil, CookieOptions{}, true},
		{"short hash key", short, CookieOptions{}, true},
		{"AES-128 block key", []KeyPair{pair(testKey(1).material().hash, testKey(1).material().block[:16])}, CookieOptions{}, true},
		{"max age over a day", good, CookieOptions{MaxAge: 25 * time.Hour}, false},
		{"negative max age", good, CookieOptions{MaxAge: -time.Second}, false},
		{"sub-second max age", good, CookieOptions{MaxAge: time.Millisecond}, false},
		{"name with a space", good, CookieOptions{Name: "bad name"}, false},
		{"name with a semicolon", good, CookieOptions{Name: "a;b"}, false},
		{"path with a semicolon", good, CookieOptions{Path: "/a;b"}, false},
		{"bad domain", good, CookieOptions{Domain: "shop..example;"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := newCookieStore(tt.keys, tt.opts)
			require.Error(t, err)
			assert.Nil(t, s)
			if tt.keyError {
				assert.ErrorIs(t, err, ErrInvalidKeys)
			}
		})
	}
	s, err := newCookieStore(good, CookieOptions{MaxAge: 24 * time.Hour})
	require.NoError(t, err, "24h is the bound, inclusive")
	assert.NotNil(t, s)
}

func TestCookieStoreLoadErrors(t *testing.T) {
	keys := []KeyPair{testKey(1)}
	s := mustStore(t, CookieOptions{}, keys...)
	req := httptest.NewRequest(http.MethodPost, "https://shop.example/pay", nil)
	good := saved(t, s, req, testRef(t))

	foreign := saved(t, mustStore(t, CookieOptions{}, testKey(7)), req, testRef(t))
	c, err := newCodec(keys, time.Hour, true)
	require.NoError(t, err)
	rec := refRecord(testRef(t))
	asToken, err := c.Encode("pc_return", &rec)
	require.NoError(t, err)
	incomplete := refRecord(testRef(t))
	incomplete.RequestID = ""
	noRequestID, err := c.Encode(DefaultCookieName, &incomplete)
	require.NoError(t, err)
	expired := sealAt(t, keys[0], DefaultCookieName, refRecord(testRef(t)), time.Now().Add(-2*time.Hour).Unix())
	stillValid := sealAt(t, keys[0], DefaultCookieName, refRecord(testRef(t)), time.Now().Add(-50*time.Minute).Unix())

	tests := []struct {
		name    string
		cookies []*http.Cookie
		want    error  // nil: loads
		reason  string // part of the message
	}{
		{"no cookie", nil, ErrNoRef, ""},
		{"other cookies only", []*http.Cookie{{Name: "session", Value: good.Value}}, ErrNoRef, ""},
		{"emptied cookie", []*http.Cookie{{Name: DefaultCookieName, Value: ""}}, ErrNoRef, ""},
		{"garbage", []*http.Cookie{{Name: DefaultCookieName, Value: "not-a-cookie"}}, ErrInvalidRef, ""},
		{"foreign keys", []*http.Cookie{{Name: DefaultCookieName, Value: foreign.Value}}, ErrInvalidRef, "signature mismatch"},
		{"return token replayed as cookie", []*http.Cookie{{Name: DefaultCookieName, Value: asToken}}, ErrInvalidRef, "signature mismatch"},
		{"sealed but incomplete", []*http.Cookie{{Name: DefaultCookieName, Value: noRequestID}}, ErrInvalidRef, "no request id"},
		{"expired", []*http.Cookie{{Name: DefaultCookieName, Value: expired}}, ErrInvalidRef, "expired"},
		{"oversized", []*http.Cookie{{Name: DefaultCookieName, Value: strings.Repeat("A", 4097)}}, ErrInvalidRef, "too long"},
		{"50 minutes old", []*http.Cookie{{Name: DefaultCookieName, Value: stillValid}}, nil, ""},
		{"stale duplicate first", []*http.Cookie{{Name: DefaultCookieName, Value: foreign.Value}, good}, nil, ""},
		{"good first", []*http.Cookie{good, {Name: DefaultCookieName, Value: "junk"}}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Load(withCookies(tt.cookies...))
			if tt.want == nil {
				require.NoError(t, err)
				assert.Equal(t, testRef(t), got)
				return
			}
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, Ref{}, got)
			assert.Contains(t, err.Error(), tt.reason)
			for _, c := range tt.cookies {
				if len(c.Value) > 8 {
					assert.NotContains(t, err.Error(), c.Value[:8], "errors never quote cookie values")
				}
			}
		})
	}
}

func TestCookieStoreRotation(t *testing.T) {
	oldKey, newKey := testKey(1), testKey(2)
	req := httptest.NewRequest(http.MethodPost, "https://shop.example/pay", nil)
	ref := testRef(t)
	oldCookie := saved(t, mustStore(t, CookieOptions{}, oldKey), req, ref)

	rotated := mustStore(t, CookieOptions{}, newKey, oldKey)
	got, err := rotated.Load(withCookies(oldCookie))
	require.NoError(t, err, "a shopper mid-payment keeps the old cookie across the rotation")
	assert.Equal(t, ref, got)

	newCookie := saved(t, rotated, req, ref)
	_, err = mustStore(t, CookieOptions{}, newKey).Load(withCookies(newCookie))
	assert.NoError(t, err, "the new key seals")

	_, err = mustStore(t, CookieOptions{}, newKey).Load(withCookies(oldCookie))
	assert.ErrorIs(t, err, ErrInvalidRef, "a retired key opens nothing")
}

func TestCookieStoreSaveRefusesInvalidRef(t *testing.T) {
	s := mustStore(t, CookieOptions{})
	ref := testRef(t)
	ref.OrderID = ""
	rec := httptest.NewRecorder()
	err := s.Save(rec, httptest.NewRequest(http.MethodPost, "https://shop.example/pay", nil), ref)
	require.ErrorIs(t, err, ErrInvalidRef)
	assert.Empty(t, rec.Header().Values("Set-Cookie"))
}

func TestCookieStoreIsAStore(t *testing.T) {
	var s Store = mustStore(t, CookieOptions{})
	assert.NotNil(t, s)
}

func TestCookieStoreConcurrent(t *testing.T) {
	s := mustStore(t, CookieOptions{}, testKey(1), testKey(2))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				ref := testRef(t)
				rec := httptest.NewRecorder()
				if !assert.NoError(t, s.Save(rec, httptest.NewRequest(http.MethodPost, "https://shop.example/pay", nil), ref)) {
					return
				}
				got, err := s.Load(withCookies(rec.Result().Cookies()...))
				if !assert.NoError(t, err) || !assert.Equal(t, ref, got) {
					return
				}
			}
		})
	}
	wg.Wait()
}

// sealAt seals rec as a cookieStore does, but with a chosen timestamp, in
// securecookie v1.1.2's format: base64(ts "|" base64(iv ciphertext) "|"
// mac), the MAC over name "|" ts "|" base64(iv ciphertext). The plaintext
// comes from a real seal, opened with the same keys.
func sealAt(t testing.TB, k KeyPair, name string, rec codec.Record, ts int64) string {
	t.Helper()
	c, err := newCodec([]KeyPair{k}, time.Hour, false)
	require.NoError(t, err)
	signed, err := c.Encode(name, &rec)
	require.NoError(t, err)
	raw, err := base64.URLEncoding.DecodeString(signed)
	require.NoError(t, err)
	parts := bytes.SplitN(raw, []byte("|"), 3)
	payload, err := base64.URLEncoding.DecodeString(string(parts[1]))
	require.NoError(t, err)

	block, err := aes.NewCipher(k.material().block)
	require.NoError(t, err)
	iv := make([]byte, aes.BlockSize)
	_, err = rand.Read(iv)
	require.NoError(t, err)
	ct := make([]byte, len(payload))
	cipher.NewCTR(block, iv).XORKeyStream(ct, payload)
	msg := fmt.Sprintf("%d|%s", ts, base64.URLEncoding.EncodeToString(append(iv, ct...)))
	mac := hmac.New(sha256.New, k.material().hash)
	mac.Write([]byte(name + "|" + msg))
	return base64.URLEncoding.EncodeToString(append([]byte(msg+"|"), mac.Sum(nil)...))
}
