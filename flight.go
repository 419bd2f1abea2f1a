package pointcheckout

import (
	"context"
	"errors"
	"sync"
	"time"
)

// flights shares gateway work between concurrent callers on one instance:
// every caller that asks about the same key while a call is in flight waits
// for that call instead of making its own, and a successful result stays
// fresh for a short while, so a burst of returns, notifications and sweeps
// of one checkout costs one gateway call and one updater call.
//
// The first caller makes the call in its own goroutine (no hand-off in the
// common case of one caller), detached from its cancellation: a shopper who
// closes the tab does not cancel the call the others are waiting for, and
// an update the gateway confirmed is still recorded. The call keeps the
// first caller's deadline (its ReturnTimeout), else the group's timeout; a
// joiner whose own time is not up when that deadline cuts the call short
// asks again.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
	// timeout bounds a call whose first caller has no deadline; retain is
	// how long a finished entry is kept for its fresh result and its
	// reported status. A call that started more than join ago is not
	// joined but replaced: a connection that hangs must not hold every
	// later caller.
	timeout, retain, join time.Duration
	now                   func() time.Time
	// sweepAt is the map size at which finished entries older than retain
	// are dropped: cleanup costs nothing per call and the map stays within
	// twice what is live.
	sweepAt int
}

// flight is one key's latest call.
type flight struct {
	done    chan struct{}
	val     flightValue
	err     error
	started time.Time
	at      time.Time // when it finished
	// reported is the last status this instance handed to the updater for
	// the key, so a status that stays (PENDING_CONFIRMATION over several
	// polls) is reported once.
	reported Status
}

// flightValue is what a call found.
type flightValue struct {
	co *Checkout
	// final values answer any caller for fresh after the call; others
	// answer only callers that accept a value that old (polls).
	final bool
	fresh time.Duration
}

// minSweep is the smallest map size that triggers a sweep.
const minSweep = 64

// do returns key's fresh value, the value of the call in flight, or the
// value of a new call of fn. A value that is not final is reused only by a
// caller that accepts one up to maxAge old. fn gets a context detached from
// ctx's cancellation and the status last reported for key, which it
// updates. A joiner whose ctx ends stops waiting with ctx's error; the call
// goes on for the others.
func (g *flights) do(ctx context.Context, key string, maxAge time.Duration, fn func(ctx context.Context, reported *Status) (flightValue, error)) (flightValue, error) {
	for {
		g.mu.Lock()
		now := g.now()
		f := g.m[key]
		switch {
		case f != nil && !f.finished() && now.Sub(f.started) < g.join:
			g.mu.Unlock()
			select {
			case <-f.done:
				if errors.Is(f.err, context.DeadlineExceeded) && ctx.Err() == nil {
					continue // the first caller's time ran out, not ours
				}
				return f.val, f.err
			case <-ctx.Done():
				return flightValue{}, ctx.Err()
			}
		case f != nil && f.finished() && f.err == nil && now.Sub(f.at) < f.val.fresh && (f.val.final || now.Sub(f.at) < maxAge):
			g.mu.Unlock()
			return f.val, nil
		}
		next := &flight{done: make(chan struct{}), started: now}
		if f != nil {
			next.reported = f.reported
		}
		g.put(key, next, now)
		g.mu.Unlock()
		g.run(ctx, next, fn)
		return next.val, next.err
	}
}

// put stores f under key, first dropping finished entries older than retain
// when the map has grown. The caller holds g.mu.
func (g *flights) put(key string, f *flight, now time.Time) {
	if g.m == nil {
		g.m = make(map[string]*flight)
	}
	if len(g.m) >= max(g.sweepAt, minSweep) {
		for k, old := range g.m {
			if old.finished() && now.Sub(old.at) >= g.retain {
				delete(g.m, k)
			}
		}
		g.sweepAt = 2 * len(g.m)
	}
	g.m[key] = f
}

// run makes f's call under a context detached from ctx's cancellation,
// within ctx's deadline or else the group's timeout.
func (g *flights) run(ctx context.Context, f *flight, fn func(context.Context, *Status) (flightValue, error)) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(g.timeout)
	}
	cctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	reported := f.reported
	val, err := flightValue{}, errFlightPanicked
	// Deferred, so a panic in fn (an OrderUpdater's bug) still ends the
	// flight: its waiters get an error instead of waiting for ever, and
	// the panic goes on to the first caller.
	defer func() {
		g.mu.Lock()
		f.val, f.err, f.reported, f.at = val, err, reported, g.now()
		close(f.done)
		g.mu.Unlock()
	}()
	val, err = fn(cctx, &reported)
}

// errFlightPanicked is what the waiters of a call that panicked get.
var errFlightPanicked = errors.New("pointcheckout: the shared gateway call panicked")

// finished reports whether f's call is over. The caller holds g.mu.
func (f *flight) finished() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}
