package pointcheckout

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/securecookie"
)

// ErrInvalidKeys reports cookie keys that are missing, too short, or not in
// the text form [ParseKeyPairs] reads. Its messages name the problem and the
// position of the pair, never the key material.
var ErrInvalidKeys = errors.New("pointcheckout: invalid cookie keys")

// Key sizes. The block key selects AES-256; the hash key feeds HMAC-SHA256,
// for which anything shorter than the digest weakens the signature.
const (
	// MinHashKeyLen is the shortest accepted [KeyPair.HashKey], in bytes.
	MinHashKeyLen = 32
	// BlockKeyLen is the exact length of a [KeyPair.BlockKey], in bytes.
	BlockKeyLen = 32
)

// Bounds of what the codec seals. They keep a sealed value far below the
// 4096 bytes browsers allow a cookie, and keep decoding of hostile input
// cheap: nothing longer is ever base64-decoded or allocated.
const (
	// maxValueLen is the longest sealed value accepted for decoding.
	maxValueLen = 4096
	// maxFieldLen bounds each string of a record, in bytes.
	maxFieldLen = 256
	// maxMaxAge bounds how long a sealed value stays valid.
	maxMaxAge = 24 * time.Hour
)

// KeyPair is one hash/encryption key pair for the signed cookie and the
// signed return token: HashKey signs (HMAC-SHA256), BlockKey encrypts
// (AES-256-CTR). Both are secrets.
//
// Keys rotate by listing several pairs: the first seals new values, every
// pair opens old ones, so a new pair can go first while the previous one
// keeps the shoppers who are on the payment page right now. Remove a pair
// once the longest MaxAge has passed since it stopped being first.
//
// A KeyPair never prints its keys: String, Format (every fmt verb, also
// inside slices and structs), LogValue and MarshalJSON all redact. Use
// [KeyPair.Encode] to get the text form on purpose.
type KeyPair struct {
	// HashKey signs values; at least MinHashKeyLen bytes.
	HashKey []byte
	// BlockKey encrypts values; exactly BlockKeyLen bytes (AES-256).
	BlockKey []byte
}

// redactedKeyPair is what every printed form of a KeyPair shows.
const redactedKeyPair = "KeyPair(redacted)"

// GenerateKeyPair returns a new random key pair from crypto/rand. Store it
// with [KeyPair.Encode] and share it between every instance of the shop;
// pairs generated at start-up log every shopper out on restart and do not
// work behind a load balancer.
func GenerateKeyPair() (KeyPair, error) {
	k := KeyPair{HashKey: make([]byte, MinHashKeyLen), BlockKey: make([]byte, BlockKeyLen)}
	if _, err := io.ReadFull(rand.Reader, k.HashKey); err != nil {
		return KeyPair{}, fmt.Errorf("pointcheckout: generating a hash key: %w", err)
	}
	if _, err := io.ReadFull(rand.Reader, k.BlockKey); err != nil {
		return KeyPair{}, fmt.Errorf("pointcheckout: generating a block key: %w", err)
	}
	return k, nil
}

// ParseKeyPairs reads key pairs in the text form [KeyPair.Encode] writes,
// as kept in an environment variable: comma-separated pairs of
// base64(hash key) ":" base64(block key), the pair that seals first.
// Standard and URL-safe base64, padded or not, are accepted; spaces around
// pairs are ignored. Every pair must pass [KeyPair.Validate].
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
		var k KeyPair
		var err error
		if k.HashKey, err = decodeKey(hash); err != nil {
			return nil, fmt.Errorf("%w: pair %d: hash key is not base64", ErrInvalidKeys, i+1)
		}
		if k.BlockKey, err = decodeKey(block); err != nil {
			return nil, fmt.Errorf("%w: pair %d: block key is not base64", ErrInvalidKeys, i+1)
		}
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
	return base64.StdEncoding.EncodeToString(k.HashKey) + ":" + base64.StdEncoding.EncodeToString(k.BlockKey)
}

// Validate reports a pair the codec refuses: a hash key shorter than
// MinHashKeyLen, a block key that is not BlockKeyLen bytes, an all-zero key
// (an unset secret), or the same bytes used for both keys.
func (k KeyPair) Validate() error { return k.validate(0) }

// validate is Validate naming the pair's position (1-based, 0 for none).
func (k KeyPair) validate(pos int) error {
	where := ""
	if pos > 0 {
		where = fmt.Sprintf("pair %d: ", pos)
	}
	switch {
	case len(k.HashKey) < MinHashKeyLen:
		return fmt.Errorf("%w: %shash key has %d bytes, need at least %d", ErrInvalidKeys, where, len(k.HashKey), MinHashKeyLen)
	case len(k.BlockKey) != BlockKeyLen:
		return fmt.Errorf("%w: %sblock key has %d bytes, need exactly %d (AES-256)", ErrInvalidKeys, where, len(k.BlockKey), BlockKeyLen)
	case allZero(k.HashKey) || allZero(k.BlockKey):
		return fmt.Errorf("%w: %skey is all zero bytes", ErrInvalidKeys, where)
	case string(k.HashKey) == string(k.BlockKey):
		return fmt.Errorf("%w: %shash key and block key are the same", ErrInvalidKeys, where)
	}
	return nil
}

func allZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return acc == 0
}

// String redacts the keys.
func (k KeyPair) String() string { return redactedKeyPair }

// GoString redacts the keys for %#v.
func (k KeyPair) GoString() string { return redactedKeyPair }

// Format redacts the keys for every fmt verb (%v, %+v, %#v, %x, %s, ...),
// also when the pair is printed inside a slice or a struct.
func (k KeyPair) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redactedKeyPair) }

// LogValue redacts the keys in log/slog output.
func (k KeyPair) LogValue() slog.Value { return slog.StringValue(redactedKeyPair) }

// MarshalJSON redacts the keys, so a configuration dumped as JSON does not
// leak them.
func (k KeyPair) MarshalJSON() ([]byte, error) { return []byte(`"` + redactedKeyPair + `"`), nil }

// codec seals records with gorilla/securecookie: HMAC-SHA256 over the
// value's name, a timestamp and the AES-256-CTR ciphertext of the record in
// a compact binary form. One SecureCookie per key pair; the first seals,
// all open. The name is part of the MAC, so a value sealed under one name
// (the cookie) never opens under another (the return token, the flash).
type codec struct {
	cookies []*securecookie.SecureCookie
	// buffers recycles serialization buffers: securecookie copies the
	// plaintext into its own output, so a buffer is free again as soon
	// as Encode returns.
	buffers sync.Pool
}

// newCodec builds a codec from validated keys. maxAge (whole seconds, 1s to
// 24h) is enforced by securecookie's signed timestamp on every decode.
func newCodec(keys []KeyPair, maxAge time.Duration) (*codec, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no key pairs given", ErrInvalidKeys)
	}
	if maxAge < time.Second || maxAge > maxMaxAge {
		return nil, fmt.Errorf("pointcheckout: max age %s out of range (1s to %s)", maxAge, maxMaxAge)
	}
	c := &codec{cookies: make([]*securecookie.SecureCookie, 0, len(keys))}
	for i, k := range keys {
		if err := k.validate(i + 1); err != nil {
			return nil, err
		}
		// Copies, so a caller reusing its slices cannot change the keys
		// of a running codec.
		sc := securecookie.New(append([]byte(nil), k.HashKey...), append([]byte(nil), k.BlockKey...)).
			MaxAge(int(maxAge / time.Second)).
			MaxLength(maxValueLen).
			SetSerializer(recordSerializer{})
		c.cookies = append(c.cookies, sc)
	}
	c.buffers.New = func() any { b := make([]byte, 0, 128); return &b }
	return c, nil
}

// encode seals rec under name with the first key pair. A record that would
// not decode (see unmarshalRecord) is refused with ErrInvalidRef.
func (c *codec) encode(name string, rec *record) (string, error) {
	buf := c.buffers.Get().(*[]byte)
	defer c.buffers.Put(buf)
	b, err := appendRecord((*buf)[:0], rec)
	*buf = b
	if err != nil {
		return "", err
	}
	// A pointer to the slice goes through securecookie's interface{}
	// parameter without an allocation.
	v, err := c.cookies[0].Encode(name, buf)
	if err != nil {
		return "", fmt.Errorf("%w: sealing failed", ErrInvalidRef)
	}
	return v, nil
}

// decode opens a value sealed under name by any of the key pairs. It is
// total: every input gives a valid record or an error wrapping
// ErrInvalidRef, never a panic. The error says why (expired, bad
// signature, ...) but never quotes the value.
func (c *codec) decode(name, value string) (record, error) {
	if value == "" {
		return record{}, fmt.Errorf("%w: empty value", ErrInvalidRef)
	}
	if len(value) > maxValueLen {
		return record{}, fmt.Errorf("%w: value too long", ErrInvalidRef)
	}
	var rec record
	reason := "malformed value"
	for _, sc := range c.cookies {
		err := sc.Decode(name, value, &rec)
		if err == nil {
			return rec, nil
		}
		if r, rank := decodeFailure(err); rank > failureRank(reason) {
			reason = r
		}
	}
	return record{}, fmt.Errorf("%w: %s", ErrInvalidRef, reason)
}

// decodeFailure names a securecookie decode error. Only a key whose MAC
// matched can say "expired" or "bad payload", so those outrank the
// signature failures the other keys of a rotation report.
func decodeFailure(err error) (string, int) {
	switch {
	case errors.Is(err, securecookie.ErrMacInvalid):
		return "signature mismatch", 1
	case strings.Contains(err.Error(), "expired timestamp"):
		// securecookie keeps this error unexported; the text is
		// pinned by the module version and covered by tests.
		return "expired", 3
	}
	if e, ok := err.(securecookie.Error); ok && e.Cause() != nil && errors.Is(e.Cause(), errBadPayload) {
		return "bad payload", 2
	}
	return "malformed value", 0
}

func failureRank(reason string) int {
	switch reason {
	case "signature mismatch":
		return 1
	case "bad payload":
		return 2
	case "expired":
		return 3
	}
	return 0
}

// recordSerializer plugs the compact record form into securecookie. The
// codec serializes into a pooled buffer itself and hands securecookie a
// *[]byte; decoding parses straight into a *record.
type recordSerializer struct{}

// Serialize passes pre-serialized bytes through.
func (recordSerializer) Serialize(src any) ([]byte, error) {
	if b, ok := src.(*[]byte); ok {
		return *b, nil
	}
	return nil, errors.New("pointcheckout: codec serializes only records")
}

// Deserialize parses a record.
func (recordSerializer) Deserialize(src []byte, dst any) error {
	rec, ok := dst.(*record)
	if !ok {
		return errors.New("pointcheckout: codec deserializes only records")
	}
	return unmarshalRecord(src, rec)
}

// errBadPayload marks a payload that passed the MAC but is not a record:
// only a holder of the keys can produce one (or a newer format version).
var errBadPayload = errors.New("bad payload")

// recordVersion is the first byte of the serialized form; a new layout gets
// a new number so values sealed by an older release fail cleanly.
const recordVersion = 1

// Serialized record, version 1 (varints are encoding/binary's, unsigned
// unless noted; strings are a length varint then UTF-8 bytes, each at most
// maxFieldLen bytes):
//
//	version     1 byte (recordVersion)
//	CheckoutID  string
//	OrderID     string
//	RequestID   string
//	currency    3 bytes, ISO 4217
//	minor       varint, 0 to MaxInt64
//	seconds     signed (zig-zag) varint, Unix time of CreatedAt, years 1-9999
//	nanos       varint, below 1e9
//	Status      string, "" or a canonical Status
//	Source      string, "" or a Source constant
//
// The form is canonical: minimal varints and no trailing bytes, so exactly
// one byte string stands for each record.

// Unix seconds of 0001-01-01 and 9999-12-31T23:59:59 UTC, the range of
// CreatedAt (the zero time included).
const (
	minUnixSeconds = -62135596800
	maxUnixSeconds = 253402300799
)

// appendRecord appends the serialized rec to dst. It refuses, with an
// error wrapping ErrInvalidRef, any record unmarshalRecord would refuse.
func appendRecord(dst []byte, rec *record) ([]byte, error) {
	r := &rec.Ref
	if err := checkFields(r); err != nil {
		return dst, err
	}
	if _, err := NewMoney(r.Amount.Minor(), r.Amount.Currency()); err != nil {
		return dst, fmt.Errorf("%w: amount has no valid currency", ErrInvalidRef)
	}
	if _, ok := canonicalStatus(string(rec.Status)); !ok {
		return dst, fmt.Errorf("%w: unknown status", ErrInvalidRef)
	}
	if _, ok := canonicalSource(string(rec.Source)); !ok {
		return dst, fmt.Errorf("%w: unknown source", ErrInvalidRef)
	}
	sec, nsec := r.CreatedAt.Unix(), r.CreatedAt.Nanosecond()
	if sec < minUnixSeconds || sec > maxUnixSeconds {
		return dst, fmt.Errorf("%w: creation time out of range", ErrInvalidRef)
	}
	dst = append(dst, recordVersion)
	dst = appendString(dst, r.CheckoutID)
	dst = appendString(dst, r.OrderID)
	dst = appendString(dst, r.RequestID)
	dst = append(dst, r.Amount.Currency()...)
	dst = appendUvarint(dst, uint64(r.Amount.Minor()))
	dst = appendUvarint(dst, uint64(sec<<1)^uint64(sec>>63))
	dst = appendUvarint(dst, uint64(nsec))
	dst = appendString(dst, string(rec.Status))
	dst = appendString(dst, string(rec.Source))
	return dst, nil
}

// checkFields bounds the strings of a Ref.
func checkFields(r *Ref) error {
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
	return nil
}

func appendString(dst []byte, s string) []byte {
	return append(appendUvarint(dst, uint64(len(s))), s...)
}

func appendUvarint(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

// unmarshalRecord parses the serialized form into *rec, which it changes
// only on success. Any input gives a valid record or errBadPayload: every
// length is checked against the remaining bytes before use, strings are
// bounded, and the amount is rebuilt through NewMoney. The strings share one
// copy of the payload, one allocation in all.
func unmarshalRecord(b []byte, rec *record) error {
	if len(b) < 1 || b[0] != recordVersion {
		return fmt.Errorf("%w: unknown version", errBadPayload)
	}
	// One string holds the payload; fields are substrings of it, so they
	// do not alias the caller's buffer.
	p := parser{s: string(b), i: 1}
	var r Ref
	r.CheckoutID = p.str()
	r.OrderID = p.str()
	r.RequestID = p.str()
	cur := p.fixed(3)
	minor := p.uvarint()
	zsec := p.uvarint()
	nsec := p.uvarint()
	status, source := p.str(), p.str()
	if p.err != nil {
		return p.err
	}
	if p.i != len(p.s) {
		return fmt.Errorf("%w: trailing bytes", errBadPayload)
	}
	if minor > 1<<63-1 {
		return fmt.Errorf("%w: amount out of range", errBadPayload)
	}
	m, err := NewMoney(int64(minor), cur)
	if err != nil {
		return fmt.Errorf("%w: invalid amount", errBadPayload)
	}
	r.Amount = m
	sec := int64(zsec>>1) ^ -int64(zsec&1)
	if sec < minUnixSeconds || sec > maxUnixSeconds || nsec >= 1e9 {
		return fmt.Errorf("%w: creation time out of range", errBadPayload)
	}
	r.CreatedAt = time.Unix(sec, int64(nsec)).UTC()
	if checkFields(&r) != nil {
		return fmt.Errorf("%w: invalid field", errBadPayload)
	}
	st, ok := canonicalStatus(status)
	if !ok {
		return fmt.Errorf("%w: unknown status", errBadPayload)
	}
	src, ok := canonicalSource(source)
	if !ok {
		return fmt.Errorf("%w: unknown source", errBadPayload)
	}
	*rec = record{Ref: r, Status: st, Source: src}
	return nil
}

// parser reads the serialized form; the first error sticks and every later
// read returns zero values.
type parser struct {
	s   string
	i   int
	err error
}

func (p *parser) fail(what string) {
	if p.err == nil {
		p.err = fmt.Errorf("%w: %s", errBadPayload, what)
	}
	p.i = len(p.s)
}

// uvarint reads a minimal unsigned varint of at most 10 bytes.
func (p *parser) uvarint() uint64 {
	var v uint64
	for n := 0; ; n++ {
		if p.err != nil {
			return 0
		}
		if p.i >= len(p.s) || n == 10 {
			p.fail("truncated varint")
			return 0
		}
		c := p.s[p.i]
		p.i++
		if n == 9 && c > 1 {
			p.fail("varint overflow")
			return 0
		}
		v |= uint64(c&0x7f) << (7 * n)
		if c < 0x80 {
			if c == 0 && n > 0 {
				p.fail("non-minimal varint")
				return 0
			}
			return v
		}
	}
}

func (p *parser) fixed(n int) string {
	if p.err != nil {
		return ""
	}
	if len(p.s)-p.i < n {
		p.fail("truncated")
		return ""
	}
	s := p.s[p.i : p.i+n]
	p.i += n
	return s
}

func (p *parser) str() string {
	n := p.uvarint()
	if p.err != nil {
		return ""
	}
	if n > maxFieldLen {
		p.fail("string too long")
		return ""
	}
	return p.fixed(int(n))
}

// canonicalStatus returns the constant for "" or a canonical status
// spelling, so decoded statuses share the constants' memory and compare
// cheaply; any other spelling is refused (the encoder writes canonical
// ones only).
func canonicalStatus(s string) (Status, bool) {
	switch Status(s) {
	case "":
		return "", true
	case StatusUnknown:
		return StatusUnknown, true
	case StatusPending:
		return StatusPending, true
	case StatusPendingConfirmation:
		return StatusPendingConfirmation, true
	case StatusAuthorized:
		return StatusAuthorized, true
	case StatusPaid:
		return StatusPaid, true
	case StatusFailed:
		return StatusFailed, true
	case StatusCancelled:
		return StatusCancelled, true
	case StatusExpired:
		return StatusExpired, true
	case StatusRefunded:
		return StatusRefunded, true
	case StatusPartiallyRefunded:
		return StatusPartiallyRefunded, true
	case StatusChargeback:
		return StatusChargeback, true
	}
	// A status added to status.go later still round-trips.
	if st := Status(s); st.Known() {
		return st, true
	}
	return "", false
}

// canonicalSource returns the constant for "" or a known Source.
func canonicalSource(s string) (Source, bool) {
	switch Source(s) {
	case "":
		return "", true
	case SourcePay:
		return SourcePay, true
	case SourceReturn:
		return SourceReturn, true
	case SourceNotify:
		return SourceNotify, true
	case SourceReconcile:
		return SourceReconcile, true
	}
	return "", false
}
