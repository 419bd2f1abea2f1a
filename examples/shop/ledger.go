package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
)

// The shop keeps no payment rule of its own: the attempt ledger
// (sqlledger) records every checkout and every update, decides the order's
// payment state with pointcheckout.ApplyUpdate, cancels the other attempts
// of a paid order at the gateway (never an AUTHORIZED or PAID one), refuses
// an update whose ids it did not record at /pay, and flags a second
// payment for refund. The shop writes the state to its own orders row in
// the ledger's transaction (orderChanged) and asks the ledger before it
// starts an attempt (checkoutFor).

// orderChanged is the ledger's OrderChanged: it writes the order's new
// payment state to the orders row and records the change, in the ledger's
// transaction, so the order, the attempts and the history never disagree.
// An order the shop does not have rolls the update back.
func (s *Shop) orderChanged(ctx context.Context, tx *sql.Tx, orderID string, o pointcheckout.Outcome) error {
	if err := s.orders.setPayment(ctx, tx, orderID, o.After); err != nil {
		return err
	}
	// One row per change: what a shop would act on once (an email, a
	// shipment), and what proves each change arrived exactly once.
	_, err := tx.ExecContext(ctx, s.db.sql(`
		INSERT INTO payment_changes (order_id, at, state_before, state_after, instance) VALUES (?, ?, ?, ?, ?)`),
		orderID, s.cfg.Now().UnixNano(), string(o.Before), string(o.After), s.cfg.Instance)
	// A second payment is logged at Error by the ledger itself (its Logger
	// is the shop's), and shown on the admin page.
	return err
}

// Sweep runs one round of the ledger's Sweeper: it claims the open
// attempts (replaced ones included: a tab left open can still pay one) no
// instance checked within the last sweep interval, cancels those of orders
// that took money, and asks the gateway about the rest. It is how a payment
// whose shopper never came back gets settled.
func (s *Shop) Sweep(ctx context.Context) (sqlledger.SweepReport, error) {
	return s.sweeper.Sweep(ctx)
}

// ReconcileNow asks the gateway at once about every open attempt of the
// ledger, however recently a sweep checked it: the admin's button.
func (s *Shop) ReconcileNow(ctx context.Context) (pointcheckout.ReconcileReport, error) {
	refs, err := s.ledger.OpenAttempts(ctx, reconcileNowLimit)
	if err != nil || len(refs) == 0 {
		return pointcheckout.ReconcileReport{}, err
	}
	return s.pay.Reconcile(ctx, refs)
}

// reconcileNowLimit bounds the attempts one "Reconcile now" asks about.
const reconcileNowLimit = 500

// logClaims logs the attempts this instance's sweeper claimed in a round,
// so the logs of all instances together show who checked which attempt in
// which round.
func (s *Shop) logClaims(ctx context.Context, round time.Time, claimed []pointcheckout.Attempt) {
	ids := make([]string, len(claimed))
	for i, a := range claimed {
		ids[i] = a.Ref.CheckoutID
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "sweep claimed", slog.Int64("round", round.UnixNano()),
		slog.Int("attempts", len(ids)), slog.String("checkouts", strings.Join(ids, ",")))
}

// RunReconciler sweeps at once and then every sweep interval until ctx
// ends.
func (s *Shop) RunReconciler(ctx context.Context) {
	t := time.NewTicker(s.cfg.SweepEvery)
	defer t.Stop()
	for {
		sweepCtx, cancel := context.WithTimeout(ctx, s.cfg.SweepEvery)
		rep, err := s.Sweep(sweepCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, pointcheckout.ErrNotFound):
			// Not an outage: the gateway has forgotten a checkout (a
			// sandbox whose state was lost, say). Only the admin can
			// close such an order.
			s.log.Warn("reconcile: the gateway no longer knows some checkouts; close their orders on the admin page", "error", err)
		case err != nil:
			s.log.Error("reconcile", "error", err)
		}
		if rep.Claimed > 0 {
			s.log.Info("reconcile", "claimed", rep.Claimed, "cancelled", rep.Cancelled, "final", rep.Final,
				"pending", rep.Pending, "errors", rep.Errors)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CloseForgotten closes the open attempts of an order that the gateway no
// longer knows: each becomes EXPIRED through the ledger, recorded in the
// order's history with the admin as its source, and no sweep asks about it
// again. It asks the gateway first and closes nothing unless every open
// attempt is unknown there (errGatewayKnows otherwise); gateway trouble
// closes nothing either.
func (s *Shop) CloseForgotten(ctx context.Context, orderID string) error {
	o, err := s.orders.get(ctx, orderID)
	if err != nil {
		return err
	}
	var open []pointcheckout.Ref
	for _, a := range o.Attempts {
		if !a.Status.IsFinal() {
			open = append(open, a.Ref)
		}
	}
	if len(open) == 0 {
		return errNothingOpen
	}
	for _, ref := range open {
		_, err := s.cfg.Client.GetCheckout(ctx, ref.CheckoutID)
		switch {
		case err == nil:
			return fmt.Errorf("checkout %s: %w", ref.CheckoutID, errGatewayKnows)
		case !errors.Is(err, pointcheckout.ErrNotFound):
			return fmt.Errorf("checkout %s: %w", ref.CheckoutID, err)
		}
	}
	for _, ref := range open {
		err := s.ledger.UpdateOrder(ctx, pointcheckout.Update{
			OrderID: ref.OrderID, CheckoutID: ref.CheckoutID, RequestID: ref.RequestID,
			Status: pointcheckout.StatusExpired, Amount: ref.Amount, Ref: ref, Source: sourceAdmin,
		})
		if err != nil {
			return err
		}
	}
	s.log.InfoContext(ctx, "order closed by the admin: the gateway no longer knows its checkouts", "order", orderID, "attempts", len(open))
	return nil
}
