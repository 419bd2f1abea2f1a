package pointcheckout

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testKey returns a deterministic, valid key pair: hash key bytes start at
// seed, block key bytes at seed+100, so pairs with different seeds differ.
func testKey(seed byte) KeyPair {
	m := keyMaterial{hash: make([]byte, 32), block: make([]byte, 32)}
	for i := range 32 {
		m.hash[i] = seed + byte(i)
		m.block[i] = seed + 100 + byte(i)
	}
	return pairOf(m)
}

// pair builds a KeyPair from raw bytes without validating them.
func pair(hash, block []byte) KeyPair { return pairOf(keyMaterial{hash: hash, block: block}) }

func money(t testing.TB, minor int64, cur string) Money {
	t.Helper()
	m, err := NewMoney(minor, cur)
	require.NoError(t, err)
	return m
}

func TestGenerateKeyPair(t *testing.T) {
	a, err := GenerateKeyPair()
	require.NoError(t, err)
	b, err := GenerateKeyPair()
	require.NoError(t, err)
	assert.Len(t, a.material().hash, MinHashKeyLen)
	assert.Len(t, a.material().block, BlockKeyLen)
	assert.NoError(t, a.validate(0))
	assert.NotEqual(t, a.material().hash, b.material().hash)
	assert.NotEqual(t, a.material().block, b.material().block)
}

func TestParseKeyPairsRoundTrip(t *testing.T) {
	k1, k2 := testKey(1), testKey(2)
	long := pair(bytes.Repeat([]byte{7, 9}, 32), testKey(3).material().block)
	tests := []struct {
		name string
		text string
		want []KeyPair
	}{
		{"one", k1.Encode(), []KeyPair{k1}},
		{"rotation order kept", k2.Encode() + "," + k1.Encode(), []KeyPair{k2, k1}},
		{"spaces and newline", " " + k1.Encode() + " ,\n" + k2.Encode() + "\n", []KeyPair{k1, k2}},
		{"64-byte hash key", long.Encode(), []KeyPair{long}},
		{"raw url base64", base64.RawURLEncoding.EncodeToString(k1.material().hash) + ":" + base64.RawURLEncoding.EncodeToString(k1.material().block), []KeyPair{k1}},
		{"url base64 padded", base64.URLEncoding.EncodeToString(k2.material().hash) + ":" + base64.URLEncoding.EncodeToString(k2.material().block), []KeyPair{k2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKeyPairs(tt.text)
			require.NoError(t, err)
			require.Len(t, got, len(tt.want))
			for i := range got {
				assert.Equal(t, tt.want[i].material(), got[i].material())
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
		{"no colon", b64(good.material().hash)},
		{"empty pair", good.Encode() + ","},
		{"bad base64 hash", "!!!!:" + b64(good.material().block)},
		{"bad base64 block", b64(good.material().hash) + ":%%%"},
		{"short hash key", b64(good.material().hash[:31]) + ":" + b64(good.material().block)},
		{"16-byte block key", b64(good.material().hash) + ":" + b64(good.material().block[:16])},
		{"24-byte block key", b64(good.material().hash) + ":" + b64(good.material().block[:24])},
		{"48-byte block key", b64(good.material().hash) + ":" + b64(append(good.material().block, good.material().block[:16]...))},
		{"zero hash key", b64(make([]byte, 32)) + ":" + b64(good.material().block)},
		{"zero block key", b64(good.material().hash) + ":" + b64(make([]byte, 32))},
		{"same keys", b64(good.material().block) + ":" + b64(good.material().block)},
		{"second pair bad", good.Encode() + "," + b64(good.material().hash) + ":" + b64(good.material().block[:8])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKeyPairs(tt.text)
			require.ErrorIs(t, err, ErrInvalidKeys)
			assert.Nil(t, got)
			// The message names the problem, never the key text.
			assert.NotContains(t, err.Error(), b64(good.material().hash)[:12])
			assert.NotContains(t, err.Error(), b64(good.material().block)[:12])
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
		{"zero key pair", []KeyPair{{}}, time.Hour},
		{"short hash key", []KeyPair{pair(good.material().hash[:16], good.material().block)}, time.Hour},
		{"nil block key", []KeyPair{pair(good.material().hash, nil)}, time.Hour},
		{"AES-128 block key", []KeyPair{pair(good.material().hash, good.material().block[:16])}, time.Hour},
		{"bad second pair", []KeyPair{good, pair(good.material().hash, good.material().block[:31])}, time.Hour},
		{"zero max age", []KeyPair{good}, 0},
		{"sub-second max age", []KeyPair{good}, 500 * time.Millisecond},
		{"max age over a day", []KeyPair{good}, 24*time.Hour + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, encrypt := range []bool{true, false} {
				c, err := newCodec(tt.keys, tt.maxAge, encrypt)
				require.Error(t, err)
				assert.Nil(t, c)
			}
		})
	}
	_, err := newCodec([]KeyPair{pair(good.material().hash[:16], good.material().block)}, time.Hour, true)
	assert.ErrorIs(t, err, ErrInvalidKeys)
}

func TestKeyPairRedaction(t *testing.T) {
	k := testKey(0x41) // printable bytes, so a leak in %s would show
	type config struct {
		Name string
		Keys []KeyPair
		Key  KeyPair
		Ptr  *KeyPair
		// Unexported fields: fmt cannot call the redacting methods there.
		keys []KeyPair
		key  KeyPair
	}
	cfg := config{Name: "shop", Keys: []KeyPair{k, testKey(0x61)}, Key: k, Ptr: &k, keys: []KeyPair{k}, key: k}
	type server struct{ cfg config }
	leaks := []string{
		string(k.material().hash[:8]), string(k.material().block[:8]),
		hex.EncodeToString(k.material().hash[:8]), hex.EncodeToString(k.material().block[:8]),
		base64.StdEncoding.EncodeToString(k.material().hash)[:12], base64.StdEncoding.EncodeToString(k.material().block)[:12],
		fmt.Sprint(k.material().hash[:4])[1:10], // "65 66 67 ..."
		"HashKey", "BlockKey",
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "key", k, "keys", cfg.Keys)
	js, err := json.Marshal(cfg)
	require.NoError(t, err)
	outputs := map[string]string{"slog": logged.String(), "json": string(js)}
	// Every verb on every shape; the verbs come from a list, so vet and
	// staticcheck let the wrong ones be tried too.
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		for shape, v := range map[string]any{
			"pair": k, "ptr": &k, "slice": cfg.Keys, "struct": cfg, "nested unexported": server{cfg},
		} {
			outputs[shape+" "+verb] = fmt.Sprintf(verb, v)
		}
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			for _, leak := range leaks {
				assert.NotContains(t, out, leak)
			}
		})
	}
	// Encode is the one deliberate way out, and it does carry the keys.
	assert.Contains(t, k.Encode(), base64.StdEncoding.EncodeToString(k.material().hash))
}

func TestParseKeyPairsCopies(t *testing.T) {
	good := testKey(1)
	keys, err := ParseKeyPairs(good.Encode())
	require.NoError(t, err)
	assert.Equal(t, good.material(), keys[0].material())
	assert.ErrorIs(t, KeyPair{}.validate(0), ErrInvalidKeys, "the zero pair has no keys")
}
