package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
)

// cookieName is what the benchmarks seal under.
const cookieName = "pc_checkout"

// BenchmarkCodec compares one seal and one open of a typical Ref three ways:
// the package codec (securecookie with the compact serializer), securecookie
// with its default gob serializer on an equivalent struct, and the floor: the
// same serialized bytes sealed with nothing but the standard library.
func BenchmarkCodec(b *testing.B) {
	hash, block := benchKeys(b)
	rec := typicalRecord()

	b.Run("package", func(b *testing.B) {
		c, err := New(time.Hour, true, [][]byte{hash}, [][]byte{block})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			v, err := c.Encode(cookieName, &rec)
			if err != nil {
				b.Fatal(err)
			}
			var out Record
			if err := c.Decode(cookieName, v, &out); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("securecookie-gob", func(b *testing.B) {
		sc := securecookie.New(hash, block).MaxAge(3600)
		src := gobRefFrom(&rec)
		b.ReportAllocs()
		for b.Loop() {
			v, err := sc.Encode(cookieName, &src)
			if err != nil {
				b.Fatal(err)
			}
			var dst gobRef
			if err := sc.Decode(cookieName, v, &dst); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("floor", func(b *testing.B) {
		f, err := newFloorCodec(hash, block, 3600)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			v, err := f.encode(cookieName, &rec)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.decode(cookieName, v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSerializer isolates the compact binary form.
func BenchmarkSerializer(b *testing.B) {
	rec := typicalRecord()
	b.ReportAllocs()
	for b.Loop() {
		buf, err := serializer{}.Serialize(&rec)
		if err != nil {
			b.Fatal(err)
		}
		var out Record
		if err := (serializer{}).Deserialize(buf, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func benchKeys(tb testing.TB) (hash, block []byte) {
	tb.Helper()
	hash, block = make([]byte, 32), make([]byte, 32)
	if _, err := rand.Read(hash); err != nil {
		tb.Fatal(err)
	}
	if _, err := rand.Read(block); err != nil {
		tb.Fatal(err)
	}
	return hash, block
}

// gobRef is the struct a hand-written securecookie integration would seal
// with gob: the same information as a Record.
type gobRef struct {
	CheckoutID, OrderID, RequestID string
	Minor                          int64
	Currency                       string
	CreatedAt                      time.Time
	Status, Source                 string
}

func gobRefFrom(rec *Record) gobRef {
	return gobRef{
		CheckoutID: rec.CheckoutID, OrderID: rec.OrderID, RequestID: rec.RequestID,
		Minor: rec.Minor, Currency: rec.Currency, CreatedAt: time.Unix(rec.Created, 0),
		Status: rec.Status, Source: rec.Source,
	}
}

// floorCodec is the least a correct sealer does with the standard library
// alone: serialize, AES-256-CTR under a random IV, HMAC-SHA256 over the name,
// a timestamp and the ciphertext, one URL-safe base64; and the reverse with
// a constant-time MAC check and the age check. Layout before base64:
// timestamp(8) | iv(16) | ciphertext | mac(32).
type floorCodec struct {
	hashKey []byte
	block   cipher.Block
	maxAge  int64
}

func newFloorCodec(hashKey, blockKey []byte, maxAge int64) (*floorCodec, error) {
	block, err := aes.NewCipher(blockKey)
	if err != nil {
		return nil, err
	}
	return &floorCodec{hashKey: hashKey, block: block, maxAge: maxAge}, nil
}

const floorHead = 8 + aes.BlockSize

func (f *floorCodec) encode(name string, rec *Record) (string, error) {
	plain, err := serializer{}.Serialize(rec)
	if err != nil {
		return "", err
	}
	buf := make([]byte, floorHead+len(plain), floorHead+len(plain)+sha256.Size)
	binary.BigEndian.PutUint64(buf, uint64(time.Now().Unix()))
	if _, err := rand.Read(buf[8:floorHead]); err != nil {
		return "", err
	}
	cipher.NewCTR(f.block, buf[8:floorHead]).XORKeyStream(buf[floorHead:], plain)
	buf = f.mac(name, buf, buf)
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// mac appends the MAC of name and msg to out.
func (f *floorCodec) mac(name string, msg, out []byte) []byte {
	h := hmac.New(sha256.New, f.hashKey)
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(msg)
	return h.Sum(out)
}

var errFloor = errors.New("floor: invalid value")

func (f *floorCodec) decode(name, value string) (Record, error) {
	if len(value) > MaxValueLen {
		return Record{}, errFloor
	}
	buf, err := base64.RawURLEncoding.DecodeString(value)
	n := len(buf)
	if err != nil || n < floorHead+sha256.Size {
		return Record{}, errFloor
	}
	msg, sum := buf[:n-sha256.Size], buf[n-sha256.Size:]
	var want [sha256.Size]byte
	if !hmac.Equal(sum, f.mac(name, msg, want[:0])) {
		return Record{}, errFloor
	}
	if ts := int64(binary.BigEndian.Uint64(msg)); ts < time.Now().Unix()-f.maxAge {
		return Record{}, errFloor
	}
	ct := msg[floorHead:]
	cipher.NewCTR(f.block, msg[8:floorHead]).XORKeyStream(ct, ct)
	var rec Record
	if err := (serializer{}).Deserialize(ct, &rec); err != nil {
		return Record{}, errFloor
	}
	return rec, nil
}

// BenchmarkCodecRatio runs the three codecs of BenchmarkCodec in alternating
// short rounds and compares the fastest round of each, so that load from
// other processes (which drifts over seconds and preempts at random) does
// not decide the comparison. The metrics are package/floor and gob/package,
// time per seal+open.
func BenchmarkCodecRatio(b *testing.B) {
	hash, block := benchKeys(b)
	rec := typicalRecord()
	c, err := New(time.Hour, true, [][]byte{hash}, [][]byte{block})
	if err != nil {
		b.Fatal(err)
	}
	sc := securecookie.New(hash, block).MaxAge(3600)
	src := gobRefFrom(&rec)
	f, err := newFloorCodec(hash, block, 3600)
	if err != nil {
		b.Fatal(err)
	}
	const round = 32
	timed := func(op func() error) time.Duration {
		start := time.Now()
		for range round {
			if err := op(); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	pkgOp := func() error {
		v, err := c.Encode(cookieName, &rec)
		if err == nil {
			var out Record
			err = c.Decode(cookieName, v, &out)
		}
		return err
	}
	gobOp := func() error {
		v, err := sc.Encode(cookieName, &src)
		if err == nil {
			var dst gobRef
			err = sc.Decode(cookieName, v, &dst)
		}
		return err
	}
	floorOp := func() error {
		v, err := f.encode(cookieName, &rec)
		if err == nil {
			_, err = f.decode(cookieName, v)
		}
		return err
	}
	pkg, gob, floor := time.Duration(1<<62), time.Duration(1<<62), time.Duration(1<<62)
	for b.Loop() {
		pkg = min(pkg, timed(pkgOp))
		floor = min(floor, timed(floorOp))
		gob = min(gob, timed(gobOp))
	}
	b.ReportMetric(float64(pkg)/float64(floor), "package/floor")
	b.ReportMetric(float64(gob)/float64(pkg), "gob/package")
	b.ReportMetric(0, "ns/op")
}
