package pointcheckouttest

import "testing"

// BenchmarkNewServerState measures what a server costs beyond its
// listener: its state, credentials and routes.
func BenchmarkNewServerState(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := newServer(nil); err != nil {
			b.Fatal(err)
		}
	}
}
