package pointcheckout

import (
	"context"
	"errors"
	"strconv"
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
// value; the call is detached from its first caller's cancellation, so a
// shopper who gives up does not cancel it for the others.
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
	var joined atomic.Int32
	got := make([]string, 20)
	for i := range got {
		wg.Go(func() {
			joined.Add(1)
			v, err := g.do(context.Background(), "k", 0, fn)
			if assert.NoError(t, err) {
				got[i] = v.co.ID
			}
		})
	}
	for joined.Load() < int32(len(got)) {
		time.Sleep(time.Millisecond)
	}
	cancel() // the first shopper gives up: the call goes on
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	assert.NoError(t, <-firstDone, "the call was not cancelled with its first caller")
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

	// A call is bounded by its first caller's deadline.
	hung := func(ctx context.Context, _ *Status) (flightValue, error) {
		<-ctx.Done()
		return flightValue{}, ctx.Err()
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err = g.do(short, "h", 0, hung)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	_, err = g.do(ctx, "h", 0, pending)
	assert.NoError(t, err, "a call cut short is not reused")
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

// TestFlightsForget: finished entries older than retain are dropped once
// the map has grown, so it stays within twice what is live.
func TestFlightsForget(t *testing.T) {
	now := time.Unix(1000, 0)
	g := &flights{timeout: time.Minute, retain: time.Second, join: time.Minute, now: func() time.Time { return now }}
	call := func(context.Context, *Status) (flightValue, error) { return flightValue{co: &Checkout{}}, nil }
	for i := range minSweep {
		_, err := g.do(context.Background(), strconv.Itoa(i), 0, call)
		require.NoError(t, err)
	}
	assert.Len(t, g.m, minSweep, "all still within retain")
	now = now.Add(2 * time.Second)
	_, err := g.do(context.Background(), "new", 0, call)
	require.NoError(t, err)
	assert.Len(t, g.m, 1, "the old ones are gone")
}

// TestFlightsJoinerAsksAgain: a joiner whose time is not up when the first
// caller's deadline cuts the call short makes its own call.
func TestFlightsJoinerAsksAgain(t *testing.T) {
	g := newFlights()
	started := make(chan struct{})
	var calls atomic.Int32
	fn := func(ctx context.Context, _ *Status) (flightValue, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-ctx.Done()
			return flightValue{}, ctx.Err()
		}
		return flightValue{co: &Checkout{ID: "2"}, final: true, fresh: time.Minute}, nil
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	go func() { _, _ = g.do(short, "k", 0, fn) }()
	<-started
	v, err := g.do(context.Background(), "k", 0, fn)
	require.NoError(t, err)
	assert.Equal(t, "2", v.co.ID)
	assert.Equal(t, int32(2), calls.Load())
}

// TestFlightsPanicReleasesJoiners: a call that panics (an OrderUpdater's
// bug, say) still ends its flight, so callers waiting on it get an error
// instead of waiting for ever, and the next caller makes a new call. The
// panic goes on to the first caller.
func TestFlightsPanicReleasesJoiners(t *testing.T) {
	g := newFlights()
	var calls atomic.Int32
	release := make(chan struct{})
	panicking := func(context.Context, *Status) (flightValue, error) {
		calls.Add(1)
		<-release
		panic("updater bug")
	}
	firstDone := make(chan any, 1)
	go func() {
		defer func() { firstDone <- recover() }()
		_, _ = g.do(context.Background(), "k", 0, panicking)
	}()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// The joiner has no deadline, like a notification; the test's end
	// releases it if the flight never ends.
	cctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	jctx := &waitSpy{Context: cctx}
	joinerDone := make(chan error, 1)
	go func() {
		_, err := g.do(jctx, "k", 0, func(context.Context, *Status) (flightValue, error) {
			calls.Add(1) // only if it did not join
			return flightValue{}, errors.New("own call")
		})
		joinerDone <- err
	}()
	for !jctx.waiting.Load() {
		time.Sleep(time.Millisecond)
	}
	close(release)
	assert.Equal(t, "updater bug", <-firstDone, "the panic reaches the first caller")

	g.mu.Lock()
	finished := g.m["k"].finished()
	g.mu.Unlock()
	require.True(t, finished, "a panicked call must end its flight")
	err := <-joinerDone
	require.Error(t, err)
	assert.NotErrorIs(t, err, context.Canceled, "the joiner was released by the flight, not by the test")
	assert.Equal(t, int32(1), calls.Load(), "the joiner shared the call")

	v, err := g.do(context.Background(), "k", 0, func(context.Context, *Status) (flightValue, error) {
		calls.Add(1)
		return flightValue{co: &Checkout{ID: "1"}}, nil
	})
	require.NoError(t, err)
	assert.Equal(t, "1", v.co.ID)
	assert.Equal(t, int32(2), calls.Load(), "a failed call is not reused")
}

// waitSpy is a context that says when a caller first waits on it: a
// joiner asks for Done only to wait on the flight it joined.
type waitSpy struct {
	context.Context
	waiting atomic.Bool
}

func (c *waitSpy) Done() <-chan struct{} {
	c.waiting.Store(true)
	return c.Context.Done()
}
