package shoptest

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/pointcheckout-go/pointcheckout"
)

// Updates is an OrderUpdater and RefFinder that records every update,
// applies the forward rule per order (an update from /pay always applies),
// keeps the Ref of each attempt for notifications, and can be told to
// fail. It is safe for concurrent use.
type Updates struct {
	mu       sync.Mutex
	all      []pointcheckout.Update
	status   map[string]pointcheckout.Status
	refs     map[string]pointcheckout.Ref
	failNext int
	failWith error
}

// ErrUpdaterDown is what a failing Updates returns unless told otherwise.
var ErrUpdaterDown = errors.New("database is locked")

// UpdateOrder records u, unless it was told to fail.
func (l *Updates) UpdateOrder(_ context.Context, u pointcheckout.Update) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failNext > 0 {
		l.failNext--
		return l.failWith
	}
	if l.status == nil {
		l.status, l.refs = map[string]pointcheckout.Status{}, map[string]pointcheckout.Ref{}
	}
	l.all = append(l.all, u)
	if cur := l.status[u.OrderID]; cur.CanBecome(u.Status) || u.Source == pointcheckout.SourcePay {
		l.status[u.OrderID] = u.Status
	}
	if u.Source == pointcheckout.SourcePay {
		l.refs[u.CheckoutID] = u.Ref
	}
	return nil
}

// FindRef returns the Ref recorded at /pay for checkout id.
func (l *Updates) FindRef(_ context.Context, id string) (pointcheckout.Ref, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ref, ok := l.refs[id]
	if !ok {
		return ref, pointcheckout.ErrNotFound
	}
	return ref, nil
}

// FindRefByRequestID returns the Ref recorded at /pay for an attempt.
func (l *Updates) FindRefByRequestID(_ context.Context, requestID string) (pointcheckout.Ref, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ref := range l.refs {
		if ref.RequestID == requestID {
			return ref, nil
		}
	}
	return pointcheckout.Ref{}, pointcheckout.ErrNotFound
}

// ForgetfulRefs finds Refs by checkout id only, as a shop that did not
// record the request id would: a return without the cookie must then go by
// what the return URL carries (the appended id, else a search).
type ForgetfulRefs struct{ *Updates }

// FindRefByRequestID finds nothing.
func (ForgetfulRefs) FindRefByRequestID(context.Context, string) (pointcheckout.Ref, error) {
	return pointcheckout.Ref{}, pointcheckout.ErrNotFound
}

// Fail makes the next n updates fail with err (ErrUpdaterDown if nil), as
// a locked or unreachable database would.
func (l *Updates) Fail(n int, err error) {
	if err == nil {
		err = ErrUpdaterDown
	}
	l.mu.Lock()
	l.failNext, l.failWith = n, err
	l.mu.Unlock()
}

// List returns every update recorded, oldest first.
func (l *Updates) List() []pointcheckout.Update {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]pointcheckout.Update(nil), l.all...)
}

// Statuses returns the statuses of order's updates, oldest first.
func (l *Updates) Statuses(order string) []pointcheckout.Status {
	var out []pointcheckout.Status
	for _, u := range l.List() {
		if u.OrderID == order {
			out = append(out, u.Status)
		}
	}
	return out
}

// OrderStatus is order's status under the forward rule.
func (l *Updates) OrderStatus(order string) pointcheckout.Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status[order]
}

// RefFor returns the Ref recorded at /pay for checkoutID.
func (l *Updates) RefFor(checkoutID string) pointcheckout.Ref {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refs[checkoutID]
}

// Errors records what the handler reported to OnError. It is safe for
// concurrent use.
type Errors struct {
	mu   sync.Mutex
	errs []error
}

// Report is the OnError hook.
func (e *Errors) Report(_ *http.Request, err error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

// All returns the errors reported, oldest first.
func (e *Errors) All() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.errs...)
}

// Has reports whether an error reported matches target (errors.Is).
func (e *Errors) Has(target error) bool {
	for _, err := range e.All() {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
