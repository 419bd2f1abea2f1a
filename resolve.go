package pointcheckout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// resolveOnce fetches the checkout of ref from the API, verifies it against ref
// and hands a final (or newly confirming) status to the OrderUpdater. A
// checkout still PENDING yields a Result with that status and no update. An
// unreachable gateway yields an error matching ErrUnavailable, a mismatch
// ErrVerification; neither changes the order. Concurrent calls for the same
// checkout on one Handler share one gateway call and one update.
func (h *Handler) resolveOnce(ctx context.Context, ref Ref, src Source) (Result, error) {
	return h.resolve(ctx, ref, src, "", 0, 0)
}

// resolve is resolveOnce with polling: while the checkout is PENDING it asks
// again every pollInterval until wait has passed. A positive budget bounds
// the time this caller waits on the gateway (fetches and polling): when it
// runs out the result is still pending, or the fetch's error. hint is a
// checkout id to ask about when ref has none.
func (h *Handler) resolve(ctx context.Context, ref Ref, src Source, hint string, wait, budget time.Duration) (Result, error) {
	res := Result{OrderID: ref.OrderID, CheckoutID: ref.CheckoutID, Status: StatusPending, Amount: ref.Amount, Source: src}
	deadline := h.now().Add(wait)
	gctx := ctx
	if budget > 0 {
		var cancel context.CancelFunc
		gctx, cancel = context.WithTimeout(ctx, budget)
		defer cancel()
	}
	if ref.CheckoutID == "" {
		id, err := h.checkoutIDOf(gctx, ref, hint)
		if err != nil {
			return res, err
		}
		// Not yet confirmed: check verifies the answer for this id
		// against every other field of the Ref.
		ref.CheckoutID = id
	}
	// The first answer is fresh (or in flight); a poll may take the
	// answer another waiter got less than a poll interval ago.
	var reuse time.Duration
	for {
		co, err := h.check(gctx, ref, src, reuse)
		if err != nil {
			return res, err
		}
		reuse = h.cfg.PollInterval
		res.CheckoutID, res.Status = co.ID, co.Status
		if co.Status.IsFinal() {
			return res, nil
		}
		if co.Status == StatusUnknown {
			res.Status = StatusPending
		}
		if !h.now().Add(h.cfg.PollInterval).Before(deadline) {
			return res, nil
		}
		t := time.NewTimer(h.cfg.PollInterval)
		select {
		case <-gctx.Done():
			t.Stop()
			return res, nil
		case <-t.C:
		}
	}
}

// check asks the gateway about ref's checkout once, verifies the answer
// against ref and hands a final or newly confirming status to the
// OrderUpdater. Callers asking about the same attempt at once share one
// call (see flights); a final status answers later callers for finalFresh,
// a pending one only callers that accept an answer up to reuse old.
func (h *Handler) check(ctx context.Context, ref Ref, src Source, reuse time.Duration) (*Checkout, error) {
	key := ref.CheckoutID + "\x00" + ref.RequestID + "\x00" + ref.OrderID + "\x00" + ref.Amount.String()
	v, err := h.flights.do(ctx, key, reuse, func(ctx context.Context, reported *Status) (flightValue, error) {
		co, err := h.cfg.Client.GetCheckout(ctx, ref.CheckoutID)
		if err != nil {
			return flightValue{}, err
		}
		if err := verify(ref, co); err != nil {
			return flightValue{}, err
		}
		fresh := h.cfg.PollInterval
		if co.Status.IsFinal() {
			fresh = finalFresh
		}
		if co.Status == StatusUnknown {
			h.cfg.Logger.WarnContext(ctx, "pointcheckout: unknown checkout status, treated as pending", "checkout_id", co.ID, "status", clip(co.RawStatus))
		}
		// A final status goes to the updater once per call; a status that
		// only says "still confirming" once per instance.
		if co.Status.IsFinal() || (co.Status == StatusPendingConfirmation && co.Status != *reported) {
			u := Update{OrderID: ref.OrderID, CheckoutID: co.ID, RequestID: ref.RequestID, Status: co.Status, Amount: co.Amount, Ref: ref, Checkout: co, Source: src}
			// The gateway has spoken: recording it is not bound by the
			// time a return may spend on the gateway.
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flightTimeout)
			err := h.cfg.Updater.UpdateOrder(uctx, u)
			cancel()
			if err != nil {
				return flightValue{}, fmt.Errorf("%w: %w", ErrUpdateFailed, err)
			}
			*reported = co.Status
			if h.cfg.Logger.Enabled(ctx, slog.LevelInfo) {
				h.cfg.Logger.InfoContext(ctx, "pointcheckout: order updated", "order_id", ref.OrderID, "checkout_id", co.ID, "status", co.Status, "source", src)
			}
		}
		return flightValue{co: co, final: co.Status.IsFinal(), fresh: fresh}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.co, nil
}

// checkoutIDOf finds which checkout to ask about for a Ref that has no id
// (the return token's): the one the shop recorded for the request id at
// /pay, else the one the hosted page appended to the return URL, else the
// one a search by request id finds. None of them is trusted before a get of
// that id answers a checkout that matches the Ref.
func (h *Handler) checkoutIDOf(ctx context.Context, ref Ref, hint string) (string, error) {
	if h.cfg.Refs != nil {
		rec, err := h.cfg.Refs.FindRefByRequestID(ctx, ref.RequestID)
		switch {
		case err == nil && rec.CheckoutID != "" && rec.OrderID == ref.OrderID && rec.RequestID == ref.RequestID && rec.Amount == ref.Amount:
			return rec.CheckoutID, nil
		case err == nil:
			h.cfg.Logger.ErrorContext(ctx, "pointcheckout: security: the Ref recorded for a request id does not match the return token", "order_id", ref.OrderID, "request_id", ref.RequestID)
		case !errors.Is(err, ErrNotFound):
			h.cfg.Logger.WarnContext(ctx, "pointcheckout: finding the recorded Ref of a return failed", "request_id", ref.RequestID, "err", err)
		}
	}
	if hint != "" {
		return hint, nil
	}
	v, err := h.flights.do(ctx, "find\x00"+ref.RequestID, 0, func(ctx context.Context, _ *Status) (flightValue, error) {
		co, err := h.cfg.Client.FindByRequestID(ctx, ref.RequestID)
		if err != nil {
			return flightValue{}, err
		}
		// Shared while in flight only: what a search names is confirmed
		// by the get that follows, and a wrong answer must not stick.
		return flightValue{co: co}, nil
	})
	if err != nil {
		return "", err
	}
	return v.co.ID, nil
}

// verify compares what the API says with what the shop asked for. The Ref
// always names the checkout asked about, so no answer for another checkout
// ever passes.
func verify(ref Ref, co *Checkout) error {
	var bad []string
	if co.ID != ref.CheckoutID {
		bad = append(bad, "id")
	}
	if co.OrderID != ref.OrderID {
		bad = append(bad, "orderId")
	}
	if co.RequestID != ref.RequestID {
		bad = append(bad, "requestId")
	}
	// An amount that cannot be read in the currency the answer names is a
	// mismatch like any other, never an outage to retry.
	if co.answerCurrency() != ref.Amount.Currency() {
		bad = append(bad, "currency")
	} else if !co.Amount.IsValid() || co.Amount.Minor() != ref.Amount.Minor() {
		bad = append(bad, "amount")
	}
	if len(bad) == 0 {
		return nil
	}
	return &VerificationError{OrderID: ref.OrderID, CheckoutID: co.ID, Fields: bad}
}
