package pointcheckout

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ReconcileReport counts what a Reconcile sweep did.
type ReconcileReport struct {
	// Checked is how many Refs were looked up.
	Checked int
	// Final is how many reached a final status (and were handed to the
	// OrderUpdater).
	Final int
	// Pending is how many are still waiting for the shopper.
	Pending int
	// Errors is how many could not be resolved this time.
	Errors int
}

// reconcileWorkers bounds the API calls one sweep makes at once.
const reconcileWorkers = 4

// Reconcile resolves every Ref (typically every attempt whose final status
// the shop has not heard a few minutes after /pay, including attempts a
// newer one replaced, since a tab left open can still pay them): a shopper
// who closed the tab never comes back, so the shop asks. Each Ref is
// resolved as by a return, with SourceReconcile. The error joins the failures
// (nil when every Ref was resolved or is still pending); the report counts
// them.
func (h *Handler) Reconcile(ctx context.Context, refs []Ref) (ReconcileReport, error) {
	var (
		mu   sync.Mutex
		rep  ReconcileReport
		errs []error
		wg   sync.WaitGroup
		next = make(chan Ref)
	)
	for range min(reconcileWorkers, len(refs)) {
		wg.Go(func() {
			for ref := range next {
				res, err := h.resolveOnce(ctx, ref, SourceReconcile)
				mu.Lock()
				rep.Checked++
				switch {
				case err != nil:
					rep.Errors++
					errs = append(errs, fmt.Errorf("order %q: %w", clip(ref.OrderID), err))
				case res.Status.IsFinal():
					rep.Final++
				default:
					rep.Pending++
				}
				mu.Unlock()
			}
		})
	}
	for _, ref := range refs {
		select {
		case next <- ref:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	return rep, errors.Join(errs...)
}
