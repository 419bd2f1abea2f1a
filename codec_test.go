package pointcheckout

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testKey returns a deterministic, valid key pair: hash key bytes start at
// seed, block key bytes at seed+100, so pairs with different seeds differ.
func testKey(seed byte) KeyPair {
	k := KeyPair{HashKey: make([]byte, 32), BlockKey: make([]byte, 32)}
	for i := range 32 {
		k.HashKey[i] = seed + byte(i)
		k.BlockKey[i] = seed + 100 + byte(i)
	}
	return k
}

func mustCodec(t testing.TB, maxAge time.Duration, keys ...KeyPair) *codec {
	t.Helper()
	c, err := newCodec(keys, maxAge)
	require.NoError(t, err)
	return c
}

func money(t testing.TB, minor int64, cur string) Money {
	t.Helper()
	m, err := NewMoney(minor, cur)
	require.NoError(t, err)
	return m
}

// sealAt seals payload exactly as securecookie v1.1.2 does, but with a
// chosen timestamp: base64(ts "|" base64(iv ciphertext) "|" mac), the MAC
// over name "|" ts "|" base64(iv ciphertext). It lets tests craft expired
// values and values whose MAC is right but whose payload is not a record.
func sealAt(t testing.TB, k KeyPair, name string, payload []byte, ts int64) string {
	t.Helper()
	block, err := aes.NewCipher(k.BlockKey)
	require.NoError(t, err)
	iv := make([]byte, aes.BlockSize)
	_, err = rand.Read(iv)
	require.NoError(t, err)
	ct := make([]byte, len(payload))
	cipher.NewCTR(block, iv).XORKeyStream(ct, payload)
	body := fmt.Sprintf("%d|%s", ts, base64.URLEncoding.EncodeToString(append(iv, ct...)))
	mac := hmac.New(sha256.New, k.HashKey)
	mac.Write([]byte(name + "|" + body))
	return base64.URLEncoding.EncodeToString(append([]byte(body+"|"), mac.Sum(nil)...))
}

func serialize(t testing.TB, rec record) []byte {
	t.Helper()
	b, err := appendRecord(nil, &rec)
	require.NoError(t, err)
	return b
}

func TestGenerateKeyPair(t *testing.T) {
	a, err := GenerateKeyPair()
	require.NoError(t, err)
	b, err := GenerateKeyPair()
	require.NoError(t, err)
	assert.Len(t, a.HashKey, MinHashKeyLen)
	assert.Len(t, a.BlockKey, BlockKeyLen)
	assert.NoError(t, a.Validate())
	assert.NotEqual(t, a.HashKey, b.HashKey)
	assert.NotEqual(t, a.BlockKey, b.BlockKey)
}

func TestParseKeyPairsRoundTrip(t *testing.T) {
	k1, k2 := testKey(1), testKey(2)
	long := KeyPair{HashKey: bytes.Repeat([]byte{7, 9}, 32), BlockKey: testKey(3).BlockKey}
	tests := []struct {
		name string
		text string
		want []KeyPair
	}{
		{"one", k1.Encode(), []KeyPair{k1}},
		{"rotation order kept", k2.Encode() + "," + k1.Encode(), []KeyPair{k2, k1}},
		{"spaces and newline", " " + k1.Encode() + " ,\n" + k2.Encode() + "\n", []KeyPair{k1, k2}},
		{"64-byte hash key", long.Encode(), []KeyPair{long}},
		{"raw url base64", base64.RawURLEncoding.EncodeToString(k1.HashKey) + ":" + base64.RawURLEncoding.EncodeToString(k1.BlockKey), []KeyPair{k1}},
		{"url base64 padded", base64.URLEncoding.EncodeToString(k2.HashKey) + ":" + base64.URLEncoding.EncodeToString(k2.BlockKey), []KeyPair{k2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKeyPairs(tt.text)
			require.NoError(t, err)
			require.Len(t, got, len(tt.want))
			for i := range got {
				assert.Equal(t, tt.want[i].HashKey, got[i].HashKey)
				assert.Equal(t, tt.want[i].BlockKey, got[i].BlockKey)
			}
		})
	}
}

func TestParseKeyPairsRejects(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	good := testKey(1)
	tests := []struct {
		name string
		text string
	}{
		{"empty", ""},
		{"blank", "  \n"},
		{"no colon", b64(good.HashKey)},
		{"empty pair", good.Encode() + ","},
		{"bad base64 hash", "!!!!:" + b64(good.BlockKey)},
		{"bad base64 block", b64(good.HashKey) + ":%%%"},
		{"short hash key", b64(good.HashKey[:31]) + ":" + b64(good.BlockKey)},
		{"16-byte block key", b64(good.HashKey) + ":" + b64(good.BlockKey[:16])},
		{"24-byte block key", b64(good.HashKey) + ":" + b64(good.BlockKey[:24])},
		{"48-byte block key", b64(good.HashKey) + ":" + b64(append(good.BlockKey, good.BlockKey[:16]...))},
		{"zero hash key", b64(make([]byte, 32)) + ":" + b64(good.BlockKey)},
		{"zero block key", b64(good.HashKey) + ":" + b64(make([]byte, 32))},
		{"same keys", b64(good.BlockKey) + ":" + b64(good.BlockKey)},
		{"second pair bad", good.Encode() + "," + b64(good.HashKey) + ":" + b64(good.BlockKey[:8])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKeyPairs(tt.text)
			require.ErrorIs(t, err, ErrInvalidKeys)
			assert.Nil(t, got)
			// The message names the problem, never the key text.
			assert.NotContains(t, err.Error(), b64(good.HashKey)[:12])
			assert.NotContains(t, err.Error(), b64(good.BlockKey)[:12])
		})
	}
}

func TestNewCodecRejects(t *testing.T) {
	good := testKey(1)
	tests := []struct {
		name   string
		keys   []KeyPair
		maxAge time.Duration
	}{
		{"no keys", nil, time.Hour},
		{"short hash key", []KeyPair{{HashKey: good.HashKey[:16], BlockKey: good.BlockKey}}, time.Hour},
		{"nil block key", []KeyPair{{HashKey: good.HashKey}}, time.Hour},
		{"AES-128 block key", []KeyPair{{HashKey: good.HashKey, BlockKey: good.BlockKey[:16]}}, time.Hour},
		{"bad second pair", []KeyPair{good, {HashKey: good.HashKey, BlockKey: good.BlockKey[:31]}}, time.Hour},
		{"zero max age", []KeyPair{good}, 0},
		{"sub-second max age", []KeyPair{good}, 500 * time.Millisecond},
		{"max age over a day", []KeyPair{good}, 24*time.Hour + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newCodec(tt.keys, tt.maxAge)
			require.Error(t, err)
			assert.Nil(t, c)
		})
	}
	_, err := newCodec([]KeyPair{{HashKey: good.HashKey[:16], BlockKey: good.BlockKey}}, time.Hour)
	assert.ErrorIs(t, err, ErrInvalidKeys)
}

func TestKeyPairRedaction(t *testing.T) {
	k := testKey(0x41) // printable bytes, so a leak in %s would show
	type config struct {
		Name string
		Keys []KeyPair
		Key  KeyPair
		Ptr  *KeyPair
	}
	cfg := config{Name: "shop", Keys: []KeyPair{k, testKey(0x61)}, Key: k, Ptr: &k}
	leaks := []string{
		string(k.HashKey[:8]), string(k.BlockKey[:8]),
		hex.EncodeToString(k.HashKey[:8]), hex.EncodeToString(k.BlockKey[:8]),
		base64.StdEncoding.EncodeToString(k.HashKey)[:12], base64.StdEncoding.EncodeToString(k.BlockKey)[:12],
		fmt.Sprint(k.HashKey[:4])[1:10], // "65 66 67 ..."
		"HashKey", "BlockKey",
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "key", k, "keys", cfg.Keys)
	js, err := json.Marshal(cfg)
	require.NoError(t, err)
	outputs := map[string]string{
		"String":     k.String(),
		"%v":         fmt.Sprintf("%v", k),
		"%+v":        fmt.Sprintf("%+v", k),
		"%#v":        fmt.Sprintf("%#v", k),
		"%s":         fmt.Sprintf("%s", k),
		"%x":         fmt.Sprintf("%x", k),
		"%q":         fmt.Sprintf("%q", k),
		"%d":         fmt.Sprintf("%d", k),
		"ptr %v":     fmt.Sprintf("%v", &k),
		"ptr %+v":    fmt.Sprintf("%+v", &k),
		"slice %v":   fmt.Sprintf("%v", cfg.Keys),
		"slice %#v":  fmt.Sprintf("%#v", cfg.Keys),
		"struct %+v": fmt.Sprintf("%+v", cfg),
		"struct %#v": fmt.Sprintf("%#v", cfg),
		"slog":       logged.String(),
		"json":       string(js),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			assert.Contains(t, out, "redacted")
			for _, leak := range leaks {
				assert.NotContains(t, out, leak)
			}
		})
	}
	// Encode is the one deliberate way out, and it does carry the keys.
	assert.Contains(t, k.Encode(), base64.StdEncoding.EncodeToString(k.HashKey))
}

func TestCodecRoundTrip(t *testing.T) {
	c := mustCodec(t, time.Hour, testKey(1))
	created := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	tests := []struct {
		name string
		rec  record
	}{
		{"typical ref", typicalRecord()},
		{"token ref without checkout id", record{Ref: Ref{OrderID: "o1", RequestID: "r1", Amount: money(t, 100, "AED"), CreatedAt: created}}},
		{"3-digit currency", record{Ref: Ref{CheckoutID: "c", OrderID: "o", RequestID: "r", Amount: money(t, 12345, "KWD"), CreatedAt: created}}},
		{"0-digit currency, zero amount", record{Ref: Ref{OrderID: "o", RequestID: "r", Amount: money(t, 0, "JPY"), CreatedAt: created}}},
		{"largest amount", record{Ref: Ref{OrderID: "o", RequestID: "r", Amount: money(t, math.MaxInt64, "USD"), CreatedAt: created}}},
		{"result flash", record{Ref: Ref{CheckoutID: "c", OrderID: "o", Amount: money(t, 5, "SAR"), CreatedAt: created}, Status: StatusPaid, Source: SourceReturn}},
		{"unicode ids", record{Ref: Ref{CheckoutID: "чек", OrderID: "طلب-١٢٣", RequestID: "🧾", Amount: money(t, 1, "OMR"), CreatedAt: created}}},
		{"zero time", record{Ref: Ref{OrderID: "o", Amount: money(t, 1, "BHD")}, Status: StatusFailed, Source: SourceReconcile}},
		{"before 1970", record{Ref: Ref{OrderID: "o", Amount: money(t, 1, "EUR"), CreatedAt: time.Date(1969, 7, 20, 20, 17, 40, 999999999, time.UTC)}}},
		{"longest fields", record{Ref: Ref{
			CheckoutID: strings.Repeat("c", maxFieldLen), OrderID: strings.Repeat("o", maxFieldLen),
			RequestID: strings.Repeat("r", maxFieldLen), Amount: money(t, 1, "AED"), CreatedAt: created,
		}, Status: StatusPartiallyRefunded, Source: SourceNotify}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := c.encode("pc_checkout", &tt.rec)
			require.NoError(t, err)
			got, err := c.decode("pc_checkout", v)
			require.NoError(t, err)
			assert.Equal(t, tt.rec, got)
		})
	}
}

func TestCodecTimeIsUTC(t *testing.T) {
	c := mustCodec(t, time.Hour, testKey(1))
	now := time.Now() // local zone, monotonic reading
	rec := record{Ref: Ref{OrderID: "o", RequestID: "r", Amount: money(t, 1, "AED"), CreatedAt: now}}
	v, err := c.encode("n", &rec)
	require.NoError(t, err)
	got, err := c.decode("n", v)
	require.NoError(t, err)
	assert.True(t, got.Ref.CreatedAt.Equal(now), "same instant")
	assert.Equal(t, time.UTC, got.Ref.CreatedAt.Location())
}

func TestCodecRefusesInvalidRecords(t *testing.T) {
	c := mustCodec(t, time.Hour, testKey(1))
	ok := typicalRecord()
	tests := []struct {
		name   string
		change func(*record)
	}{
		{"no currency", func(r *record) { r.Ref.Amount = Money{} }},
		{"field too long", func(r *record) { r.Ref.OrderID = strings.Repeat("x", maxFieldLen+1) }},
		{"not UTF-8", func(r *record) { r.Ref.RequestID = "\xff\xfe" }},
		{"non-canonical status", func(r *record) { r.Status = "paid" }},
		{"unknown status", func(r *record) { r.Status = "SHIPPED" }},
		{"unknown source", func(r *record) { r.Source = "webhook" }},
		{"year 10000", func(r *record) { r.Ref.CreatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ok
			tt.change(&rec)
			v, err := c.encode("n", &rec)
			assert.ErrorIs(t, err, ErrInvalidRef)
			assert.Empty(t, v)
		})
	}
}

func TestCodecRotation(t *testing.T) {
	oldKey, newKey := testKey(1), testKey(2)
	before := mustCodec(t, time.Hour, oldKey)         // before rotation
	during := mustCodec(t, time.Hour, newKey, oldKey) // new key seals, old still opens
	after := mustCodec(t, time.Hour, newKey)          // old key retired
	rec := typicalRecord()

	oldValue, err := before.encode("n", &rec)
	require.NoError(t, err)
	newValue, err := during.encode("n", &rec)
	require.NoError(t, err)

	tests := []struct {
		name  string
		c     *codec
		value string
		ok    bool
	}{
		{"old value, old keys", before, oldValue, true},
		{"old value opens during rotation", during, oldValue, true},
		{"new value opens during rotation", during, newValue, true},
		{"new value sealed with the new key", after, newValue, true},
		{"new value does not open with the old key alone", before, newValue, false},
		{"old value fails once the key is retired", after, oldValue, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.decode("n", tt.value)
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, rec, got)
				return
			}
			require.ErrorIs(t, err, ErrInvalidRef)
			assert.Contains(t, err.Error(), "signature mismatch")
			assert.Equal(t, record{}, got)
		})
	}
}

func TestCodecKeysAreCopied(t *testing.T) {
	k := testKey(1)
	c := mustCodec(t, time.Hour, k)
	rec := typicalRecord()
	v, err := c.encode("n", &rec)
	require.NoError(t, err)
	k.HashKey[0] ^= 0xff
	k.BlockKey[0] ^= 0xff
	_, err = c.decode("n", v)
	assert.NoError(t, err, "changing the caller's slices must not change the codec's keys")
}

// TestCodecNamesAreBound proves a value sealed for one purpose never opens
// for another: the cookie, the return token and the result flash.
func TestCodecNamesAreBound(t *testing.T) {
	c := mustCodec(t, time.Hour, testKey(1))
	names := []string{"pc_checkout", "pc_return", "pc_result", "pc_checkou", "pc_checkoutx", ""}
	rec := typicalRecord()
	for _, sealed := range names[:3] {
		v, err := c.encode(sealed, &rec)
		require.NoError(t, err)
		for _, opened := range names {
			t.Run(sealed+" as "+opened, func(t *testing.T) {
				got, err := c.decode(opened, v)
				if opened == sealed {
					require.NoError(t, err)
					assert.Equal(t, rec, got)
					return
				}
				require.ErrorIs(t, err, ErrInvalidRef)
				assert.Contains(t, err.Error(), "signature mismatch")
			})
		}
	}
}

func TestCodecTamper(t *testing.T) {
	c := mustCodec(t, time.Hour, testKey(1), testKey(2))
	rec := typicalRecord()
	v, err := c.encode("n", &rec)
	require.NoError(t, err)
	raw, err := base64.URLEncoding.DecodeString(v)
	require.NoError(t, err)
	// raw is "timestamp|base64(iv ciphertext)|mac": every byte of every
	// region is flipped in turn.
	first := bytes.IndexByte(raw, '|')
	second := first + 1 + bytes.IndexByte(raw[first+1:], '|')
	require.Positive(t, first)
	require.Greater(t, second, first)
	regions := map[string][2]int{
		"timestamp":  {0, first},
		"separators": {first, first + 1},
		"ciphertext": {first + 1, second},
		"mac":        {second + 1, len(raw)},
	}
	for name, r := range regions {
		t.Run("flip "+name, func(t *testing.T) {
			for i := r[0]; i < r[1]; i++ {
				for _, bit := range []byte{0x01, 0x80} {
					b := bytes.Clone(raw)
					b[i] ^= bit
					_, err := c.decode("n", base64.URLEncoding.EncodeToString(b))
					require.ErrorIs(t, err, ErrInvalidRef, "byte %d bit %#x", i, bit)
				}
			}
		})
	}
	t.Run("truncate", func(t *testing.T) {
		for n := range len(v) {
			_, err := c.decode("n", v[:n])
			require.ErrorIs(t, err, ErrInvalidRef, "length %d", n)
		}
		for n := range len(raw) {
			_, err := c.decode("n", base64.URLEncoding.EncodeToString(raw[:n]))
			require.ErrorIs(t, err, ErrInvalidRef, "raw length %d", n)
		}
	})
	t.Run("extend", func(t *testing.T) {
		for _, tail := range []string{"A", "=", "AAAA", "|", "%3D", v} {
			_, err := c.decode("n", v+tail)
			require.ErrorIs(t, err, ErrInvalidRef, "tail %q", tail)
		}
		for _, tail := range []string{"\x00", "|", "x", string(raw)} {
			_, err := c.decode("n", base64.URLEncoding.EncodeToString(append(bytes.Clone(raw), tail...)))
			require.ErrorIs(t, err, ErrInvalidRef, "raw tail %q", tail)
		}
	})
	t.Run("characters outside base64", func(t *testing.T) {
		for i := 0; i < len(v); i += 7 {
			_, err := c.decode("n", v[:i]+"*"+v[i+1:])
			require.ErrorIs(t, err, ErrInvalidRef, "position %d", i)
		}
	})
	t.Run("errors do not quote the value", func(t *testing.T) {
		_, err := c.decode("n", v[:len(v)-4])
		require.Error(t, err)
		assert.NotContains(t, err.Error(), v[:16])
	})
}

func TestCodecExpiry(t *testing.T) {
	k := testKey(1)
	const maxAge = 10 * time.Minute
	c := mustCodec(t, maxAge, testKey(9), k) // k is the second, decoding-only pair
	payload := serialize(t, typicalRecord())
	now := time.Now().Unix()
	tests := []struct {
		name   string
		ts     int64
		reason string // "" means it opens
	}{
		{"fresh", now, ""},
		{"a minute old", now - 60, ""},
		{"just inside max age", now - int64(maxAge/time.Second) + 5, ""},
		{"just past max age", now - int64(maxAge/time.Second) - 5, "expired"},
		{"a day old", now - 86400, "expired"},
		{"timestamp zero", 0, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.decode("n", sealAt(t, k, "n", payload, tt.ts))
			if tt.reason == "" {
				require.NoError(t, err)
				assert.Equal(t, typicalRecord(), got)
				return
			}
			require.ErrorIs(t, err, ErrInvalidRef)
			assert.Contains(t, err.Error(), tt.reason)
		})
	}
}

// TestCodecBadPayload covers values whose MAC is right (only a key holder
// can make one) but whose plaintext is not a record.
func TestCodecBadPayload(t *testing.T) {
	k := testKey(1)
	c := mustCodec(t, time.Hour, k)
	good := serialize(t, typicalRecord())
	now := time.Now().Unix()
	for name, payload := range map[string][]byte{
		"version 2":      append([]byte{2}, good[1:]...),
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(bytes.Clone(good), 0),
		"gob":            []byte("\x0f\xff\x81\x03\x01\x01\x06gobRef"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.decode("n", sealAt(t, k, "n", payload, now))
			require.ErrorIs(t, err, ErrInvalidRef)
			assert.Contains(t, err.Error(), "bad payload")
		})
	}
	t.Run("empty", func(t *testing.T) {
		// securecookie refuses an IV without ciphertext before the
		// serializer sees it.
		_, err := c.decode("n", sealAt(t, k, "n", nil, now))
		require.ErrorIs(t, err, ErrInvalidRef)
	})
}

func TestCodecSize(t *testing.T) {
	c := mustCodec(t, time.Hour, testKey(1))
	typical := typicalRecord()
	v, err := c.encode(DefaultCookieName, &typical)
	require.NoError(t, err)
	assert.Less(t, len(v), 400, "a typical Ref")
	typicalLen := len(v)

	longest := record{Ref: Ref{
		CheckoutID: strings.Repeat("\U0010FFFF", maxFieldLen/4), OrderID: strings.Repeat("o", maxFieldLen),
		RequestID: strings.Repeat("r", maxFieldLen), Amount: money(t, math.MaxInt64, "AED"),
		CreatedAt: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	}, Status: StatusPendingConfirmation, Source: SourceReconcile}
	v, err = c.encode(DefaultCookieName, &longest)
	require.NoError(t, err)
	assert.Less(t, len(v)+len(DefaultCookieName)+1, 2048, "the largest record stays far below 4 KB")
	t.Logf("sealed value: typical %d bytes (%d serialized), largest %d bytes", typicalLen, len(serialize(t, typical)), len(v))
}

func TestCodecOversizedValueRefused(t *testing.T) {
	c := mustCodec(t, time.Hour, testKey(1))
	_, err := c.decode("n", strings.Repeat("A", maxValueLen+1))
	require.ErrorIs(t, err, ErrInvalidRef)
	assert.Contains(t, err.Error(), "too long")
	_, err = c.decode("n", "")
	require.ErrorIs(t, err, ErrInvalidRef)
}

func TestCodecConcurrent(t *testing.T) {
	c := mustCodec(t, time.Hour, testKey(1), testKey(2))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				rec := typicalRecord()
				rec.Ref.OrderID = fmt.Sprintf("order-%d-%d", g, i)
				v, err := c.encode("n", &rec)
				if !assert.NoError(t, err) {
					return
				}
				got, err := c.decode("n", v)
				if !assert.NoError(t, err) || !assert.Equal(t, rec, got) {
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestSerializerRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		rec  record
		want []byte // nil: only check the round trip
	}{
		{
			name: "exact bytes",
			rec: record{Ref: Ref{CheckoutID: "c", OrderID: "o", RequestID: "r", Amount: money(t, 300, "AED"),
				CreatedAt: time.Unix(1, 2).UTC()}, Status: StatusPaid, Source: SourcePay},
			want: []byte("\x01\x01c\x01o\x01rAED\xac\x02\x02\x02\x04PAID\x03pay"),
		},
		{
			name: "empty strings, zero amount, negative seconds",
			rec:  record{Ref: Ref{Amount: money(t, 0, "KWD"), CreatedAt: time.Unix(-1, 0).UTC()}},
			want: []byte("\x01\x00\x00\x00KWD\x00\x01\x00\x00\x00"),
		},
		{"zero time", record{Ref: Ref{OrderID: "o", Amount: money(t, 1, "USD")}}, nil},
		{"largest", record{Ref: Ref{OrderID: "o", Amount: money(t, math.MaxInt64, "USD"),
			CreatedAt: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := serialize(t, tt.rec)
			if tt.want != nil {
				assert.Equal(t, tt.want, b)
			}
			var got record
			require.NoError(t, unmarshalRecord(b, &got))
			assert.Equal(t, tt.rec, got)
		})
	}
}

func TestSerializerRejects(t *testing.T) {
	good := serialize(t, record{Ref: Ref{CheckoutID: "c", OrderID: "o", RequestID: "r",
		Amount: money(t, 300, "AED"), CreatedAt: time.Unix(1, 2).UTC()}, Status: StatusPaid, Source: SourcePay})
	// good = 01 | 01 'c' | 01 'o' | 01 'r' | "AED" | ac 02 | 02 | 02 | 04 "PAID" | 03 "pay"
	replace := func(at int, old int, with string) []byte {
		return append(append(bytes.Clone(good[:at]), with...), good[at+old:]...)
	}
	tests := map[string][]byte{
		"nil":                   nil,
		"version 0":             replace(0, 1, "\x00"),
		"version 2":             replace(0, 1, "\x02"),
		"trailing byte":         append(bytes.Clone(good), 0),
		"non-minimal length":    replace(1, 1, "\x81\x00"),
		"length past the end":   replace(1, 1, "\x7f"),
		"string over 256 bytes": append([]byte{1, 0x81, 0x02}, bytes.Repeat([]byte("x"), 257)...),
		"lower-case currency":   replace(7, 3, "aed"),
		"unknown currency":      replace(7, 3, "XXX"),
		"minor over MaxInt64":   replace(10, 2, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"),
		"varint overflow":       replace(10, 2, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"),
		"varint 11 bytes":       replace(10, 2, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"),
		"seconds past 9999":     replace(12, 1, "\x80\x80\x80\x80\x80\x80\x80\x80\x01"),
		"nanos of a second":     replace(13, 1, "\x80\x94\xeb\xdc\x03"),
		"non-canonical status":  replace(15, 4, "Paid"),
		"unknown status":        replace(15, 4, "SHIP"),
		"unknown source":        replace(20, 3, "web"),
		"invalid UTF-8":         replace(2, 1, "\xff"),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			rec := record{Status: "untouched"}
			err := unmarshalRecord(b, &rec)
			require.ErrorIs(t, err, errBadPayload)
			assert.Equal(t, record{Status: "untouched"}, rec, "the destination changes only on success")
		})
	}
	t.Run("every proper prefix", func(t *testing.T) {
		for n := range len(good) {
			var rec record
			require.ErrorIs(t, unmarshalRecord(good[:n], &rec), errBadPayload, "prefix %d", n)
		}
	})
}

// FuzzSerializer feeds arbitrary bytes to the deserializer: it must never
// panic, and whatever it accepts must serialize back to the same bytes (the
// form is canonical) and decode to the same record.
func FuzzSerializer(f *testing.F) {
	for _, rec := range []record{
		typicalRecord(),
		{Ref: Ref{OrderID: "o", Amount: Money{minor: 1, currency: "KWD"}}, Status: StatusPaid, Source: SourceReturn},
		{Ref: Ref{Amount: Money{minor: math.MaxInt64, currency: "JPY"}, CreatedAt: time.Unix(-1, 999).UTC()}},
	} {
		b, err := appendRecord(nil, &rec)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec record
		if err := unmarshalRecord(data, &rec); err != nil {
			if !errors.Is(err, errBadPayload) {
				t.Fatalf("error %v does not wrap errBadPayload", err)
			}
			return
		}
		again, err := appendRecord(nil, &rec)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("not canonical:\n in %x\nout %x", data, again)
		}
		var rec2 record
		if err := unmarshalRecord(again, &rec2); err != nil || rec2 != rec {
			t.Fatalf("round trip changed the record: %v", err)
		}
	})
}

// FuzzCodecDecode feeds arbitrary strings to the codec: it must never panic,
// and gives either a record that serializes again or an error wrapping
// ErrInvalidRef.
func FuzzCodecDecode(f *testing.F) {
	c, err := newCodec([]KeyPair{testKey(1), testKey(2)}, 24*time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	rec := typicalRecord()
	fresh, err := c.encode("pc_checkout", &rec)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fresh)
	f.Fuzz(func(t *testing.T, value string) {
		got, err := c.decode("pc_checkout", value)
		if err != nil {
			if !errors.Is(err, ErrInvalidRef) {
				t.Fatalf("error %v does not wrap ErrInvalidRef", err)
			}
			if got != (record{}) {
				t.Fatal("a failed decode returned a record")
			}
			return
		}
		if _, err := appendRecord(nil, &got); err != nil {
			t.Fatalf("decoded an invalid record: %v", err)
		}
	})
}
