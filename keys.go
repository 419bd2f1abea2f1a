package pointcheckout

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrInvalidKeys reports cookie keys that are missing, too short, or not in
// the text form [ParseKeyPairs] reads. Its messages name the problem and the
// position of the pair, never the key material.
var ErrInvalidKeys = errors.New("pointcheckout: invalid cookie keys")

// Key sizes. The block key selects AES-256; the hash key feeds HMAC-SHA256,
// for which anything shorter than the digest weakens the signature.
const (
	// MinHashKeyLen is the shortest accepted hash key, in bytes.
	MinHashKeyLen = 32
	// BlockKeyLen is the exact length of a block key, in bytes.
	BlockKeyLen = 32
)

// KeyPair is one hash/encryption key pair for the signed cookie and the
// signed return token: the hash key signs (HMAC-SHA256), the block key
// encrypts (AES-256). Both are secrets. Make one with [GenerateKeyPair] or
// [ParseKeyPairs].
//
// Keys rotate by listing several pairs: the first seals new values, every
// pair opens old ones, so a new pair can go first while the previous one
// keeps the shoppers who are on the payment page right now. Remove a pair
// once the longest MaxAge has passed since it stopped being first.
//
// A KeyPair never prints its keys, however it is printed or encoded: it
// holds them in a closure, which fmt shows as an address whatever the verb
// and depth, and encoding/json not at all. Use [KeyPair.Encode] to get the
// text form on purpose.
type KeyPair struct {
	k func() keyMaterial
}

// keyMaterial is a pair's bytes.
type keyMaterial struct {
	hash, block []byte
}

// GenerateKeyPair returns a new random key pair from crypto/rand. Store it
// with [KeyPair.Encode] and share it between every instance of the shop;
// pairs generated at start-up log every shopper out on restart and do not
// work behind a load balancer.
func GenerateKeyPair() (KeyPair, error) {
	m := keyMaterial{hash: make([]byte, MinHashKeyLen), block: make([]byte, BlockKeyLen)}
	if _, err := io.ReadFull(rand.Reader, m.hash); err != nil {
		return KeyPair{}, fmt.Errorf("pointcheckout: generating a hash key: %w", err)
	}
	if _, err := io.ReadFull(rand.Reader, m.block); err != nil {
		return KeyPair{}, fmt.Errorf("pointcheckout: generating a block key: %w", err)
	}
	return pairOf(m), nil
}

// pairOf wraps m in a KeyPair.
func pairOf(m keyMaterial) KeyPair { return KeyPair{func() keyMaterial { return m }} }

// ParseKeyPairs reads key pairs in the text form [KeyPair.Encode] writes,
// as kept in an environment variable: comma-separated pairs of
// base64(hash key) ":" base64(block key), the pair that seals first.
// Standard and URL-safe base64, padded or not, are accepted; spaces around
// pairs are ignored. A hash key shorter than MinHashKeyLen, a block key that
// is not BlockKeyLen bytes, an all-zero key (an unset secret) or the same
// bytes for both keys is refused with ErrInvalidKeys.
func ParseKeyPairs(s string) ([]KeyPair, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%w: no key pairs given", ErrInvalidKeys)
	}
	parts := strings.Split(s, ",")
	keys := make([]KeyPair, 0, len(parts))
	for i, part := range parts {
		hash, block, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("%w: pair %d: want base64(hash key):base64(block key)", ErrInvalidKeys, i+1)
		}
		var m keyMaterial
		var err error
		if m.hash, err = decodeKey(hash); err != nil {
			return nil, fmt.Errorf("%w: pair %d: hash key is not base64", ErrInvalidKeys, i+1)
		}
		if m.block, err = decodeKey(block); err != nil {
			return nil, fmt.Errorf("%w: pair %d: block key is not base64", ErrInvalidKeys, i+1)
		}
		k := pairOf(m)
		if err := k.validate(i + 1); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// decodeKey accepts any of the four common base64 alphabets, since keys are
// pasted from many tools. The error carries no input.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// Encode returns the pair in the text form [ParseKeyPairs] reads:
// base64(hash key) ":" base64(block key). The result is a SECRET: keep it
// in a secret store or environment variable, never in a log, a repository
// or a page. Join several pairs with commas, the sealing pair first.
func (k KeyPair) Encode() string {
	m := k.material()
	return base64.StdEncoding.EncodeToString(m.hash) + ":" + base64.StdEncoding.EncodeToString(m.block)
}

// validate reports a pair the codec refuses (see ParseKeyPairs), naming its
// position (1-based, 0 for none).
func (k KeyPair) validate(pos int) error {
	where := ""
	if pos > 0 {
		where = fmt.Sprintf("pair %d: ", pos)
	}
	m := k.material()
	switch {
	case len(m.hash) < MinHashKeyLen:
		return fmt.Errorf("%w: %shash key has %d bytes, need at least %d", ErrInvalidKeys, where, len(m.hash), MinHashKeyLen)
	case len(m.block) != BlockKeyLen:
		return fmt.Errorf("%w: %sblock key has %d bytes, need exactly %d (AES-256)", ErrInvalidKeys, where, len(m.block), BlockKeyLen)
	case allZero(m.hash) || allZero(m.block):
		return fmt.Errorf("%w: %skey is all zero bytes", ErrInvalidKeys, where)
	case string(m.hash) == string(m.block):
		return fmt.Errorf("%w: %shash key and block key are the same", ErrInvalidKeys, where)
	}
	return nil
}

// material is the pair's bytes; the zero KeyPair has none.
func (k KeyPair) material() keyMaterial {
	if k.k == nil {
		return keyMaterial{}
	}
	return k.k()
}

func allZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return acc == 0
}
