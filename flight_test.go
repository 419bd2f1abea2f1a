package pointcheckout

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newFlights() *flights {
	return &flights{timeout: time.Minute, retain: time.Minute, join: time.Minute, now: time.Now}
}

// TestFlightsShareOneCall: callers asking at once share one call and its
// value; the call runs detached, so the first caller giving up does not
// cancel it for the others.
func TestFlightsShareOneCall(t *testing.T) {
	g := newFlights()
	var calls atomic.Int32
	release := make(chan struct{})
	fn := func(ctx context.Context, _ *Status) (flightValue, error) {
		calls.Add(1)
		<-release
		if ctx.Err() != nil {
			return flightValue{}, ctx.Err()
		}
		return flightValue{co: &Checkout{ID: "1", Status: StatusPaid}, final: true, fresh: time.Minute}, nil
	}
	first, cancel := context.WithCancel(context.Background())
	firstDone := make(chan error, 1)
	go func() {
		_, err := g.do(first, "k", 0, fn)
		firstDone <- err
	}()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	got := make([]string, 20)
	for i := range got {
		wg.Go(func() {
			v, err := g.do(context.Background(), "k", 0, fn)
			if assert.NoError(t, err) {
				got[i] = v.co.ID
			}
		})
	}
	cancel()
	assert.ErrorIs(t, <-firstDone, context.Canceled, "the first caller stops waiting")
	// Let the joiners reach the wait before the call ends.
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	for _, id := range got {
		assert.Equal(t, "1", id)
	}
	assert.Equal(t, int32(1), calls.Load(), "one call for everyone")

	// A final value answers the next caller without a call.
	v, err := g.do(context.Background(), "k", 0, fn)
	require.NoError(t, err)
	assert.Equal(t, "1", v.co.ID)
	assert.Equal(t, int32(1), calls.Load())
}

// TestFlightsReuse: a value that is not final answers only callers that
// accept one that old; errors are never reused; another key has its own
// call; a call in flight longer than join is replaced, not joined.
func TestFlightsReuse(t *testing.T) {
	now := time.Unix(1000, 0)
	g := &flights{timeout: time.Minute, retain: time.Minute, join: time.Second, now: func() time.Time { return now }}
	var calls atomic.Int32
	pending := func(context.Context, *Status) (flightValue, error) {
		calls.Add(1)
		return flightValue{co: &Checkout{Status: StatusPending}, fresh: 500 * time.Millisecond}, nil
	}
	ctx := context.Background()
	_, err := g.do(ctx, "k", 0, pending)
	require.NoError(t, err)
	_, _ = g.do(ctx, "k", 0, pending)
	assert.Equal(t, int32(2), calls.Load(), "a fresh question is asked again")
	_, _ = g.do(ctx, "k", 400*time.Millisecond, pending)
	assert.Equal(t, int32(2), calls.Load(), "a poll takes the answer of a moment ago")
	now = now.Add(time.Second)
	_, _ = g.do(ctx, "k", 400*time.Millisecond, pending)
	assert.Equal(t, int32(3), calls.Load(), "past its freshness it is asked again")
	_, _ = g.do(ctx, "other", 400*time.Millisecond, pending)
	assert.Equal(t, int32(4), calls.Load(), "each key its own")

	boom := errors.New("gateway down")
	failing := func(context.Context, *Status) (flightValue, error) {
		calls.Add(1)
		return flightValue{final: true, fresh: time.Minute}, boom
	}
	_, err = g.do(ctx, "e", 0, failing)
	assert.ErrorIs(t, err, boom)
	_, err = g.do(ctx, "e", time.Minute, failing)
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, int32(6), calls.Load(), "an error is never reused")

	hang := make(chan struct{})
	defer close(hang)
	hung := func(context.Context, *Status) (flightValue, error) {
		<-hang
		return flightValue{}, nil
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err = g.do(short, "h", 0, hung)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	now = now.Add(2 * time.Second)
	_, err = g.do(ctx, "h", 0, pending)
	assert.NoError(t, err, "a call hung past join is replaced")
}

// TestFlightsRememberWhatWasReported: the status a call reported carries
// over to the key's next call.
func TestFlightsRememberWhatWasReported(t *testing.T) {
	g := newFlights()
	var seen []Status
	fn := func(_ context.Context, reported *Status) (flightValue, error) {
		seen = append(seen, *reported)
		*reported = StatusPendingConfirmation
		return flightValue{co: &Checkout{}}, nil
	}
	for range 3 {
		_, err := g.do(context.Background(), "k", 0, fn)
		require.NoError(t, err)
	}
	assert.Equal(t, []Status{"", StatusPendingConfirmation, StatusPendingConfirmation}, seen)
}

// TestFlightsForget: a finished entry is dropped after retain.
func TestFlightsForget(t *testing.T) {
	g := &flights{timeout: time.Minute, retain: 10 * time.Millisecond, join: time.Minute, now: time.Now}
	_, err := g.do(context.Background(), "k", 0, func(context.Context, *Status) (flightValue, error) {
		return flightValue{co: &Checkout{}}, nil
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return len(g.m) == 0
	}, 5*time.Second, 5*time.Millisecond)
}
