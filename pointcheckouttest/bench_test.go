package pointcheckouttest_test

import (
	"net/http"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// BenchmarkNewServer measures starting and closing a server, what a test
// that makes one per case pays.
func BenchmarkNewServer(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		pointcheckouttest.NewServer().Close()
	}
}

// BenchmarkCreate measures one create over loopback HTTP.
func BenchmarkCreate(b *testing.B) { benchmarkCreate(b) }

// BenchmarkCreateWithStateFile measures the same create when every change
// rewrites the state file: the cost grows with the checkouts kept (after
// b.N creates the file holds b.N checkouts).
func BenchmarkCreateWithStateFile(b *testing.B) {
	benchmarkCreate(b, pointcheckouttest.WithStateFile(filepath.Join(b.TempDir(), "state.json")))
}

func benchmarkCreate(b *testing.B, opts ...pointcheckouttest.Option) {
	s := pointcheckouttest.NewServer(opts...)
	defer s.Close()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r, err := doRaw(b, s, http.MethodPost, "checkout/web", jsonBody(b, request("R-"+strconv.Itoa(i))), nil)
		if err != nil || r.code != http.StatusOK {
			b.Fatalf("create: %v %d %s", err, r.code, r.body)
		}
	}
}

// BenchmarkPageRender measures the hosted page for one checkout.
func BenchmarkPageRender(b *testing.B) {
	s := pointcheckouttest.NewServer()
	defer s.Close()
	r, err := doRaw(b, s, http.MethodPost, "checkout/web", jsonBody(b, request("R")), nil)
	if err != nil || r.code != http.StatusOK {
		b.Fatal(err)
	}
	snap := s.Checkouts()[0]
	b.ReportAllocs()
	for b.Loop() {
		res, err := http.Get(snap.RedirectURL)
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatal(err)
		}
		res.Body.Close()
	}
}
