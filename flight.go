package pointcheckout

import (
	"context"
	"sync"
	"time"
)

// flights shares gateway work between concurrent callers on one instance:
// every caller that asks about the same key while a call is in flight waits
// for that call instead of making its own, and a successful result stays
// fresh for a short while, so a burst of returns, notifications and sweeps
// of one checkout costs one gateway call and one updater call.
//
// A call runs detached from the caller that started it: one shopper who
// gives up does not cancel the call the others are waiting for, and an
// update the gateway confirmed is still recorded.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
	// timeout bounds a detached call; retain is how long a finished entry
	// is kept for its fresh result and its reported status. A call that
	// started more than join ago is not joined but replaced: a connection
	// that hangs must not hold every later caller.
	timeout, retain, join time.Duration
	now                   func() time.Time
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

// do returns key's fresh value, the value of the call in flight, or the
// value of a new call of fn. A value that is not final is reused only by a
// caller that accepts one up to maxAge old. fn gets a context detached from
// ctx (bounded by the group's timeout) and the status last reported for
// key, which it updates. A caller whose ctx ends stops waiting with ctx's
// error; the call goes on for the others.
func (g *flights) do(ctx context.Context, key string, maxAge time.Duration, fn func(ctx context.Context, reported *Status) (flightValue, error)) (flightValue, error) {
	g.mu.Lock()
	now := g.now()
	f := g.m[key]
	switch {
	case f != nil && !f.finished() && now.Sub(f.started) < g.join:
		// In flight: wait below.
	case f != nil && f.finished() && f.err == nil && now.Sub(f.at) < f.val.fresh && (f.val.final || now.Sub(f.at) < maxAge):
		g.mu.Unlock()
		return f.val, nil
	default:
		next := &flight{done: make(chan struct{}), started: now}
		if f != nil {
			next.reported = f.reported
		}
		if g.m == nil {
			g.m = make(map[string]*flight)
		}
		g.m[key] = next
		f = next
		go g.run(context.WithoutCancel(ctx), key, f, fn)
	}
	g.mu.Unlock()
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		return flightValue{}, ctx.Err()
	}
}

// run makes f's call and keeps its result for retain.
func (g *flights) run(ctx context.Context, key string, f *flight, fn func(context.Context, *Status) (flightValue, error)) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	reported := f.reported
	val, err := fn(ctx, &reported)
	g.mu.Lock()
	f.val, f.err, f.reported, f.at = val, err, reported, g.now()
	close(f.done)
	g.mu.Unlock()
	time.AfterFunc(g.retain, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.m[key] == f {
			delete(g.m, key)
		}
	})
}

// finished reports whether f's call is over. The caller holds g.mu.
func (f *flight) finished() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}
