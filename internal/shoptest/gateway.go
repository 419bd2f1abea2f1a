package shoptest

import (
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// Start is the time a shop's test clock starts at.
var Start = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// NewClock returns a test clock at Start.
func NewClock() *pointcheckouttest.Clock { return pointcheckouttest.NewClock(Start) }

// NewGateway starts a sandbox gateway with opts, closed when the test ends.
func NewGateway(t testing.TB, opts ...pointcheckouttest.Option) *pointcheckouttest.Server {
	t.Helper()
	gw := pointcheckouttest.NewServer(opts...)
	t.Cleanup(gw.Close)
	return gw
}

// Client is a client for gw that retries after a millisecond, gives each
// attempt two seconds and sends three-decimal amounts (12.345 KWD is a
// test order on purpose), changed by configure.
func Client(t testing.TB, gw *pointcheckouttest.Server, configure ...func(*pointcheckout.ClientConfig)) *pointcheckout.Client {
	t.Helper()
	c := gw.Client(append([]func(*pointcheckout.ClientConfig){func(c *pointcheckout.ClientConfig) {
		c.RetryBaseDelay = time.Millisecond
		c.Timeout = 2 * time.Second
		c.ThreeDecimalAmounts = true
	}}, configure...)...)
	t.Cleanup(c.CloseIdleConnections)
	return c
}
