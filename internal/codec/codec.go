// Package codec seals the package's small records (the checkout Ref in the
// cookie and the return URL, the last payment's result) with
// gorilla/securecookie: its HMAC-SHA256, AES-256 encryption, signed
// timestamps, MaxAge, MaxLength, key rotation (CodecsFromPairs, EncodeMulti,
// DecodeMulti) and error classes. Only the serializer is this package's:
// a compact binary form, several times faster than securecookie's gob.
package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/securecookie"
)

// MaxValueLen is the longest sealed value accepted for decoding; it keeps a
// value far below the 4096 bytes browsers allow a cookie.
const MaxValueLen = 4096

// Record is what a Codec seals. The owner converts it to and from its own
// types and validates the fields it needs.
type Record struct {
	CheckoutID, OrderID, RequestID string
	// Currency and Minor are an amount; Created is in Unix seconds.
	Currency string
	Minor    int64
	Created  int64
	Status   string
	Source   string
}

// Codec seals Records under a name with one or more key pairs: the first
// seals, every pair opens.
type Codec struct {
	codecs []securecookie.Codec
}

// New returns a Codec for the given hash and block keys (block keys are
// ignored when encrypt is false: the value is signed, not encrypted, and
// shorter). Block keys select AES-256. maxAge is enforced through securecookie's signed timestamp.
func New(maxAge time.Duration, encrypt bool, hashKeys, blockKeys [][]byte) (*Codec, error) {
	if len(hashKeys) == 0 || len(hashKeys) != len(blockKeys) {
		return nil, errors.New("codec: one block key per hash key is required")
	}
	pairs := make([][]byte, 0, 2*len(hashKeys))
	for i := range hashKeys {
		if len(hashKeys[i]) == 0 || encrypt && len(blockKeys[i]) != 32 {
			return nil, fmt.Errorf("codec: pair %d: a hash key and a 32-byte block key are required", i+1)
		}
		// Copies, so a caller reusing its slices cannot change the keys
		// of a running codec.
		block := []byte(nil)
		if encrypt {
			block = append(block, blockKeys[i]...)
		}
		pairs = append(pairs, append([]byte(nil), hashKeys[i]...), block)
	}
	c := &Codec{codecs: securecookie.CodecsFromPairs(pairs...)}
	for _, sc := range c.codecs {
		sc.(*securecookie.SecureCookie).
			MaxAge(int(maxAge / time.Second)).
			MaxLength(MaxValueLen).
			SetSerializer(serializer{})
	}
	return c, nil
}

// Encode seals r under name with the first key pair.
func (c *Codec) Encode(name string, r *Record) (string, error) {
	return securecookie.EncodeMulti(name, r, c.codecs...)
}

// Decode opens a value sealed under name by any of the key pairs into r.
// The error says why (a signature that matches no key, an expired or
// malformed value, a payload that is no record) and never quotes the value.
func (c *Codec) Decode(name, value string, r *Record) error {
	if len(value) > MaxValueLen {
		return errors.New("value too long")
	}
	err := securecookie.DecodeMulti(name, value, r, c.codecs...)
	if err == nil {
		return nil
	}
	// The most telling reason wins: only a key whose MAC matched can say
	// "expired" or "bad payload".
	reason := "signature mismatch"
	for _, e := range err.(securecookie.MultiError) {
		var se securecookie.Error
		switch {
		case errors.Is(e, securecookie.ErrMacInvalid):
		case errors.As(e, &se) && se.Cause() != nil:
			return errors.New("bad payload")
		default:
			reason = "expired or malformed"
		}
	}
	return errors.New(reason)
}

// serializer writes a Record as a version byte, then each field in order:
// strings as a length and the bytes, numbers as varints. In the packed
// version the request id, a canonical UUID (as the Handler makes them), is
// written as its 16 bytes: the return URL is shorter by 26 characters.
type serializer struct{}

const (
	version       = 2
	versionPacked = 3
)

// Serialize implements securecookie.Serializer.
func (serializer) Serialize(src any) ([]byte, error) {
	r, ok := src.(*Record)
	if !ok {
		return nil, errors.New("codec: not a *Record")
	}
	b := make([]byte, 0, 16+len(r.CheckoutID)+len(r.OrderID)+len(r.RequestID)+len(r.Currency)+len(r.Status)+len(r.Source))
	fields := [...]string{r.CheckoutID, r.OrderID, r.RequestID, r.Currency, r.Status, r.Source}
	if id, err := uuid.Parse(r.RequestID); err == nil && id.String() == r.RequestID {
		b = append(append(b, versionPacked), id[:]...)
		fields[2] = ""
	} else {
		b = append(b, version)
	}
	for _, s := range fields {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendVarint(b, r.Minor)
	return binary.AppendVarint(b, r.Created), nil
}

// Deserialize implements securecookie.Serializer. Its input passed the MAC,
// so only a holder of the keys can shape it; it is still read with every
// bound checked.
func (serializer) Deserialize(b []byte, dst any) error {
	r, ok := dst.(*Record)
	if !ok {
		return errors.New("codec: not a *Record")
	}
	var out Record
	i := 1
	switch {
	case len(b) > 0 && b[0] == version:
	case len(b) > 16 && b[0] == versionPacked:
		out.RequestID = uuid.UUID(b[1:17]).String()
		i = 17
	default:
		return errors.New("unknown version")
	}
	s := string(b)
	for _, f := range [...]*string{&out.CheckoutID, &out.OrderID, &out.RequestID, &out.Currency, &out.Status, &out.Source} {
		n, k := binary.Uvarint(b[i:])
		if k <= 0 || n > uint64(len(b)-i-k) {
			return fmt.Errorf("truncated field")
		}
		i += k
		if n > 0 || *f == "" {
			*f = s[i : i+int(n)]
		}
		i += int(n)
	}
	for _, f := range [...]*int64{&out.Minor, &out.Created} {
		v, k := binary.Varint(b[i:])
		if k <= 0 {
			return fmt.Errorf("truncated number")
		}
		*f = v
		i += k
	}
	if i != len(b) {
		return fmt.Errorf("trailing bytes")
	}
	*r = out
	return nil
}
