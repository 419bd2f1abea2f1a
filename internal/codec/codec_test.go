package codec

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testKeys returns deterministic, valid keys: hash key bytes start at seed,
// block key bytes at seed+100.
func testKeys(seed byte) (hash, block []byte) {
	hash, block = make([]byte, 32), make([]byte, 32)
	for i := range 32 {
		hash[i] = seed + byte(i)
		block[i] = seed + 100 + byte(i)
	}
	return hash, block
}

// mustCodec builds a codec over the pairs of the given seeds, in order.
func mustCodec(t testing.TB, maxAge time.Duration, encrypt bool, seeds ...byte) *Codec {
	t.Helper()
	var hashes, blocks [][]byte
	for _, s := range seeds {
		h, b := testKeys(s)
		hashes, blocks = append(hashes, h), append(blocks, b)
	}
	c, err := New(maxAge, encrypt, hashes, blocks)
	require.NoError(t, err)
	return c
}

// typicalRecord is a Ref as /pay makes it: UUID-sized ids, a short order id.
func typicalRecord() Record {
	return Record{
		CheckoutID: "1653241101733169556",
		OrderID:    "ORD-2024-000123",
		RequestID:  "0195f4c2-6e5f-7a3b-9c2d-1e0f6a5b4c3d",
		Currency:   "AED", Minor: 12345,
		Created: time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC).Unix(),
	}
}

// sealAt seals payload exactly as securecookie v1.1.2 does, but with a
// chosen timestamp: base64(ts "|" base64(iv ciphertext) "|" mac), the MAC
// over name "|" ts "|" base64(iv ciphertext); without a block key the
// payload is not encrypted. It lets tests craft expired values and values
// whose MAC is right but whose payload is not a record.
func sealAt(t testing.TB, seed byte, encrypt bool, name string, payload []byte, ts int64) string {
	t.Helper()
	hash, blockKey := testKeys(seed)
	body := payload
	if encrypt {
		block, err := aes.NewCipher(blockKey)
		require.NoError(t, err)
		iv := make([]byte, aes.BlockSize)
		_, err = rand.Read(iv)
		require.NoError(t, err)
		ct := make([]byte, len(payload))
		cipher.NewCTR(block, iv).XORKeyStream(ct, payload)
		body = append(iv, ct...)
	}
	msg := fmt.Sprintf("%d|%s", ts, base64.URLEncoding.EncodeToString(body))
	mac := hmac.New(sha256.New, hash)
	mac.Write([]byte(name + "|" + msg))
	return base64.URLEncoding.EncodeToString(append([]byte(msg+"|"), mac.Sum(nil)...))
}

func serialize(t testing.TB, r Record) []byte {
	t.Helper()
	b, err := serializer{}.Serialize(&r)
	require.NoError(t, err)
	return b
}

func TestNewRefuses(t *testing.T) {
	h, b := testKeys(1)
	for name, keys := range map[string][2][][]byte{
		"no keys":               {nil, nil},
		"fewer block keys":      {{h, h}, {b}},
		"an AES-128 block key":  {{h}, {b[:16]}},
		"an empty block key":    {{h}, {nil}},
		"an empty hash key":     {{nil}, {b}},
		"a bad second pair":     {{h, h}, {b, b[:31]}},
		"no pairs, block given": {{}, {b}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(time.Hour, true, keys[0], keys[1])
			assert.Error(t, err)
		})
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		rec  Record
	}{
		{"typical ref", typicalRecord()},
		{"token ref without checkout id", Record{OrderID: "o1", RequestID: "r1", Currency: "AED", Minor: 100, Created: 1}},
		{"result", Record{CheckoutID: "c", OrderID: "o", Currency: "SAR", Minor: 5, Status: "PAID", Source: "return"}},
		{"largest amount", Record{OrderID: "o", Currency: "USD", Minor: math.MaxInt64, Created: math.MaxInt64}},
		{"negative numbers", Record{OrderID: "o", Minor: -1, Created: math.MinInt64}},
		{"unicode ids", Record{CheckoutID: "чек", OrderID: "طلب-١٢٣", RequestID: "🧾", Currency: "OMR", Minor: 1}},
		{"empty", Record{}},
		{"upper-case UUID request id, kept as written", Record{RequestID: "0195F4C2-6E5F-7A3B-9C2D-1E0F6A5B4C3D"}},
		{"UUID in braces, kept as written", Record{RequestID: "{0195f4c2-6e5f-7a3b-9c2d-1e0f6a5b4c3d}"}},
		{"long fields", Record{CheckoutID: strings.Repeat("c", 256), OrderID: strings.Repeat("o", 256), RequestID: strings.Repeat("r", 256)}},
	}
	for _, encrypt := range []bool{true, false} {
		c := mustCodec(t, time.Hour, encrypt, 1)
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s encrypt=%v", tt.name, encrypt), func(t *testing.T) {
				v, err := c.Encode("pc_checkout", &tt.rec)
				require.NoError(t, err)
				var got Record
				require.NoError(t, c.Decode("pc_checkout", v, &got))
				assert.Equal(t, tt.rec, got)
			})
		}
	}
}

// TestSignedOnlyIsReadableAndShorter: without encryption the payload is
// plain (a Ref is no secret) and the value much shorter, which is what the
// return URL wants; it is still signed.
func TestSignedOnlyIsReadableAndShorter(t *testing.T) {
	rec := typicalRecord()
	sealed, err := mustCodec(t, time.Hour, true, 1).Encode("t", &rec)
	require.NoError(t, err)
	signed, err := mustCodec(t, time.Hour, false, 1).Encode("t", &rec)
	require.NoError(t, err)
	assert.Less(t, len(signed), len(sealed))
	raw, err := base64.URLEncoding.DecodeString(signed)
	require.NoError(t, err)
	parts := bytes.SplitN(raw, []byte("|"), 3)
	require.Len(t, parts, 3)
	payload, err := base64.URLEncoding.DecodeString(string(parts[1]))
	require.NoError(t, err)
	assert.Contains(t, string(payload), rec.OrderID, "signed, not encrypted")

	var got Record
	err = mustCodec(t, time.Hour, false, 2).Decode("t", signed, &got)
	assert.EqualError(t, err, "signature mismatch", "another key does not open it")
	t.Logf("typical Ref: %d characters sealed and encrypted, %d signed", len(sealed), len(signed))
}

func TestRotation(t *testing.T) {
	before := mustCodec(t, time.Hour, true, 1)    // before rotation
	during := mustCodec(t, time.Hour, true, 2, 1) // new key seals, old still opens
	after := mustCodec(t, time.Hour, true, 2)     // old key retired
	rec := typicalRecord()
	oldValue, err := before.Encode("n", &rec)
	require.NoError(t, err)
	newValue, err := during.Encode("n", &rec)
	require.NoError(t, err)

	tests := []struct {
		name  string
		c     *Codec
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
			var got Record
			err := tt.c.Decode("n", tt.value, &got)
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, rec, got)
				return
			}
			assert.EqualError(t, err, "signature mismatch")
			assert.Equal(t, Record{}, got)
		})
	}
}

func TestKeysAreCopied(t *testing.T) {
	h, b := testKeys(1)
	c, err := New(time.Hour, true, [][]byte{h}, [][]byte{b})
	require.NoError(t, err)
	rec := typicalRecord()
	v, err := c.Encode("n", &rec)
	require.NoError(t, err)
	h[0] ^= 0xff
	b[0] ^= 0xff
	assert.NoError(t, c.Decode("n", v, &rec), "changing the caller's slices must not change the codec's keys")
}

// TestNamesAreBound: a value sealed for one purpose never opens for
// another: the cookie, the return token and the result.
func TestNamesAreBound(t *testing.T) {
	c := mustCodec(t, time.Hour, true, 1)
	names := []string{"pc_checkout", "pc_return", "pc_result", "pc_checkou", "pc_checkoutx", ""}
	rec := typicalRecord()
	for _, sealed := range names[:3] {
		v, err := c.Encode(sealed, &rec)
		require.NoError(t, err)
		for _, opened := range names {
			t.Run(sealed+" as "+opened, func(t *testing.T) {
				var got Record
				err := c.Decode(opened, v, &got)
				if opened == sealed {
					require.NoError(t, err)
					assert.Equal(t, rec, got)
					return
				}
				assert.EqualError(t, err, "signature mismatch")
			})
		}
	}
}

func TestTamper(t *testing.T) {
	for _, encrypt := range []bool{true, false} {
		t.Run(fmt.Sprintf("encrypt=%v", encrypt), func(t *testing.T) {
			c := mustCodec(t, time.Hour, encrypt, 1, 2)
			rec := typicalRecord()
			v, err := c.Encode("n", &rec)
			require.NoError(t, err)
			raw, err := base64.URLEncoding.DecodeString(v)
			require.NoError(t, err)
			var got Record
			// Every bit flip of every byte of "timestamp|payload|mac".
			for i := range raw {
				for _, bit := range []byte{0x01, 0x80} {
					b := bytes.Clone(raw)
					b[i] ^= bit
					require.Error(t, c.Decode("n", base64.URLEncoding.EncodeToString(b), &got), "byte %d bit %#x", i, bit)
				}
			}
			for n := range len(v) {
				require.Error(t, c.Decode("n", v[:n], &got), "length %d", n)
			}
			for _, tail := range []string{"A", "=", "AAAA", "|", "%3D", v} {
				require.Error(t, c.Decode("n", v+tail, &got), "tail %q", tail)
			}
			for i := 0; i < len(v); i += 7 {
				require.Error(t, c.Decode("n", v[:i]+"*"+v[i+1:], &got), "position %d", i)
			}
			err = c.Decode("n", v[:len(v)-4], &got)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), v[:16], "errors do not quote the value")
		})
	}
}

func TestExpiry(t *testing.T) {
	const maxAge = 10 * time.Minute
	payload := serialize(t, typicalRecord())
	now := time.Now().Unix()
	tests := []struct {
		name string
		ts   int64
		ok   bool
	}{
		{"fresh", now, true},
		{"a minute old", now - 60, true},
		{"just inside max age", now - int64(maxAge/time.Second) + 5, true},
		{"just past max age", now - int64(maxAge/time.Second) - 5, false},
		{"a day old", now - 86400, false},
		{"timestamp zero", 0, false},
	}
	for _, encrypt := range []bool{true, false} {
		c := mustCodec(t, maxAge, encrypt, 9, 1) // 1 is the second, decoding-only pair
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s encrypt=%v", tt.name, encrypt), func(t *testing.T) {
				var got Record
				err := c.Decode("n", sealAt(t, 1, encrypt, "n", payload, tt.ts), &got)
				if tt.ok {
					require.NoError(t, err)
					assert.Equal(t, typicalRecord(), got)
					return
				}
				assert.EqualError(t, err, "expired or malformed")
			})
		}
	}
}

// TestBadPayload covers values whose MAC is right (only a key holder can
// make one) but whose payload is not a record.
func TestBadPayload(t *testing.T) {
	good := serialize(t, typicalRecord())
	now := time.Now().Unix()
	for name, payload := range map[string][]byte{
		"version 1":      append([]byte{1}, good[1:]...),
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(bytes.Clone(good), 0),
		"gob":            []byte("\x0f\xff\x81\x03\x01\x01\x06gobRef"),
	} {
		for _, encrypt := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s encrypt=%v", name, encrypt), func(t *testing.T) {
				var got Record
				err := mustCodec(t, time.Hour, encrypt, 1).Decode("n", sealAt(t, 1, encrypt, "n", payload, now), &got)
				assert.EqualError(t, err, "bad payload")
			})
		}
	}
}

func TestSize(t *testing.T) {
	typical := typicalRecord()
	longest := Record{
		CheckoutID: strings.Repeat("\U0010FFFF", 64), OrderID: strings.Repeat("o", 256), RequestID: strings.Repeat("r", 256),
		Currency: "AED", Minor: math.MaxInt64, Created: math.MaxInt64, Status: "PENDING_CONFIRMATION", Source: "reconcile",
	}
	for _, encrypt := range []bool{true, false} {
		c := mustCodec(t, time.Hour, encrypt, 1)
		v, err := c.Encode("pc_checkout", &typical)
		require.NoError(t, err)
		assert.Less(t, len(v), 300, "a typical Ref")
		typicalLen := len(v)
		v, err = c.Encode("pc_checkout", &longest)
		require.NoError(t, err)
		assert.Less(t, len(v), 2048, "the largest record stays far below 4 KB")
		t.Logf("encrypt=%v: typical %d bytes (%d serialized), largest %d", encrypt, typicalLen, len(serialize(t, typical)), len(v))
	}
}

func TestOversizedValueRefused(t *testing.T) {
	c := mustCodec(t, time.Hour, true, 1)
	var got Record
	assert.EqualError(t, c.Decode("n", strings.Repeat("A", MaxValueLen+1), &got), "value too long")
	assert.Error(t, c.Decode("n", "", &got))
}

func TestConcurrent(t *testing.T) {
	c := mustCodec(t, time.Hour, true, 1, 2)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				rec := typicalRecord()
				rec.OrderID = fmt.Sprintf("order-%d-%d", g, i)
				v, err := c.Encode("n", &rec)
				if !assert.NoError(t, err) {
					return
				}
				var got Record
				if !assert.NoError(t, c.Decode("n", v, &got)) || !assert.Equal(t, rec, got) {
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestSerializerBytes(t *testing.T) {
	rec := Record{CheckoutID: "c", OrderID: "o", RequestID: "r", Currency: "AED", Minor: 150, Created: -1, Status: "PAID", Source: "pay"}
	want := []byte("\x02\x01c\x01o\x01r\x03AED\x04PAID\x03pay\xac\x02\x01")
	assert.Equal(t, want, serialize(t, rec))
	var got Record
	require.NoError(t, serializer{}.Deserialize(want, &got))
	assert.Equal(t, rec, got)
}

// TestSerializerPacksUUIDs: a canonical UUID request id takes 16 bytes.
func TestSerializerPacksUUIDs(t *testing.T) {
	rec := Record{OrderID: "o", RequestID: "0195f4c2-6e5f-7a3b-9c2d-1e0f6a5b4c3d"}
	b := serialize(t, rec)
	assert.Equal(t, byte(versionPacked), b[0])
	assert.Equal(t, []byte{0x01, 0x95, 0xf4, 0xc2}, b[1:5])
	plain := serialize(t, Record{OrderID: "o", RequestID: "not-a-uuid"})
	assert.Equal(t, byte(version), plain[0])
	assert.Less(t, len(b), len(serialize(t, Record{OrderID: "o", RequestID: strings.ToUpper(rec.RequestID)})))
	var got Record
	require.NoError(t, serializer{}.Deserialize(b, &got))
	assert.Equal(t, rec, got)
	assert.Error(t, serializer{}.Deserialize(b[:10], &got), "packed id cut short")
}

func TestSerializerRejects(t *testing.T) {
	good := serialize(t, Record{CheckoutID: "c", OrderID: "o", RequestID: "r", Currency: "AED", Minor: 150, Created: -1, Status: "PAID", Source: "pay"})
	tests := map[string][]byte{
		"nil":                 nil,
		"version 0":           append([]byte{0}, good[1:]...),
		"trailing byte":       append(bytes.Clone(good), 0),
		"length past the end": append([]byte{2, 0x7f}, good[2:]...),
		"huge length":         append([]byte{2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, good[2:]...),
		"varint overflow":     append(bytes.Clone(good[:len(good)-3]), "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"...),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			rec := Record{Status: "untouched"}
			assert.Error(t, serializer{}.Deserialize(b, &rec))
			assert.Equal(t, Record{Status: "untouched"}, rec, "the destination changes only on success")
		})
	}
	for n := range len(good) {
		var rec Record
		assert.Error(t, serializer{}.Deserialize(good[:n], &rec), "prefix %d", n)
	}
	_, err := serializer{}.Serialize("not a record")
	assert.Error(t, err)
	assert.Error(t, serializer{}.Deserialize(good, new(string)))
}

// FuzzSerializer feeds arbitrary bytes to the deserializer: it must never
// panic, and whatever it accepts must serialize to bytes that decode to the
// same record.
func FuzzSerializer(f *testing.F) {
	for _, rec := range []Record{typicalRecord(), {Status: "PAID", Source: "return"}, {Minor: math.MaxInt64, Created: -1}} {
		b, err := serializer{}.Serialize(&rec)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec Record
		if err := (serializer{}).Deserialize(data, &rec); err != nil {
			return
		}
		again, err := serializer{}.Serialize(&rec)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		var rec2 Record
		if err := (serializer{}).Deserialize(again, &rec2); err != nil || rec2 != rec {
			t.Fatalf("round trip changed the record: %v", err)
		}
	})
}

// FuzzCodecDecode feeds arbitrary strings to the codec: it must never
// panic, and either opens a value or names one of its reasons.
func FuzzCodecDecode(f *testing.F) {
	sealed := mustCodec(f, 24*time.Hour, true, 1, 2)
	signed := mustCodec(f, 24*time.Hour, false, 1, 2)
	rec := typicalRecord()
	for _, c := range []*Codec{sealed, signed} {
		v, err := c.Encode("pc_checkout", &rec)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v)
	}
	reasons := map[string]bool{"signature mismatch": true, "expired or malformed": true, "bad payload": true, "value too long": true}
	f.Fuzz(func(t *testing.T, value string) {
		for _, c := range []*Codec{sealed, signed} {
			var got Record
			err := c.Decode("pc_checkout", value, &got)
			if err != nil && !reasons[err.Error()] {
				t.Fatalf("unexpected reason %q", err)
			}
			if err != nil && got != (Record{}) {
				t.Fatal("a failed decode changed the record")
			}
		}
	})
}
