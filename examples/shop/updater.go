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
)

// UpdateOrder applies a verified checkout update to its order. It is the
// shop's pointcheckout.OrderUpdater.
//
// The same update may arrive several times and in any order (the shopper's
// return, a notification and a reconciliation sweep can race), so the whole
// read-decide-write runs in one IMMEDIATE transaction and follows
// Status.CanBecome: a repeat changes nothing and an order never moves back.
// Every update is written to the order's history, applied or not.
func (s *orderStore) UpdateOrder(ctx context.Context, u pointcheckout.Update) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update order %s: %w", u.OrderID, err)
	}
	defer tx.Rollback()
	o, err := scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = ?`, u.OrderID))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("update order %q: %w", u.OrderID, errUnknownOrder)
	}
	if err != nil {
		return fmt.Errorf("update order %s: %w", u.OrderID, err)
	}
	now := s.now()
	refCreated := u.Ref.CreatedAt
	if refCreated.IsZero() {
		refCreated = now
	}
	d := decide(o, u)
	if u.Source == sourceAdmin {
		d.outcome = "closed by the admin, the gateway no longer knows this checkout: " + d.outcome
	}
	if d.apply {
		_, err = tx.ExecContext(ctx, `
			UPDATE orders SET status = ?, checkout_id = ?, request_id = ?, ref_created_at = ?, updated_at = ?
			WHERE id = ?`,
			string(u.Status), u.CheckoutID, u.RequestID, d.refCreated(o, refCreated).UnixNano(), now.UnixNano(), o.ID)
		if err != nil {
			return fmt.Errorf("update order %s: %w", o.ID, err)
		}
	}
	amount := updateAmount(u)
	_, err = tx.ExecContext(ctx, `
		INSERT INTO order_updates (order_id, at, source, checkout_id, request_id, status, amount_minor, currency, ref_created, outcome)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, now.UnixNano(), string(u.Source), u.CheckoutID, u.RequestID, u.Status.String(),
		amount.Minor(), amount.Currency(), refCreated.UnixNano(), d.outcome)
	if err != nil {
		return fmt.Errorf("record update of order %s: %w", o.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update order %s: %w", o.ID, err)
	}
	level := slog.LevelInfo
	switch {
	case d.alert:
		level = slog.LevelError
	case d.err != nil:
		level = slog.LevelWarn
	}
	s.log.LogAttrs(ctx, level, "order update",
		slog.String("order", o.ID), slog.String("checkout", u.CheckoutID),
		slog.String("status", u.Status.String()), slog.String("source", string(u.Source)),
		slog.String("outcome", d.outcome))
	return d.err
}

// updateAmount is the amount an update carries, falling back to its Ref's.
func updateAmount(u pointcheckout.Update) pointcheckout.Money {
	if u.Amount.IsValid() {
		return u.Amount
	}
	return u.Ref.Amount
}

// decision is what UpdateOrder does with one update.
type decision struct {
	apply   bool   // write the update's checkout and status to the order
	same    bool   // the update is for the order's current checkout
	outcome string // one line for the history
	err     error  // returned to the handler after the history is saved
	alert   bool   // someone must act (a second payment to refund)
}

// refCreated keeps the current attempt's creation time when only its
// status moves, and takes the update's when the checkout is replaced.
func (d decision) refCreated(o order, updated time.Time) time.Time {
	if d.same {
		return o.RefCreatedAt
	}
	return updated
}

// decide applies the shop's rules to one update of order o.
func decide(o order, u pointcheckout.Update) decision {
	cur, next := o.Status, u.Status
	switch {
	case updateAmount(u) != o.Amount:
		// The handlers verify every checkout against its Ref, and the Ref
		// was built from this order: a different amount means the order
		// changed or something is forged. Never apply it.
		return decision{outcome: fmt.Sprintf("rejected: amount %s is not the order total %s", updateAmount(u), o.Amount), err: errAmountMismatch}
	case !next.Known():
		return decision{outcome: "ignored: unknown status"}
	case o.CheckoutID == "":
		return decision{apply: true, outcome: fmt.Sprintf("applied: first checkout, %s", next)}
	case u.CheckoutID == o.CheckoutID:
		switch {
		case cur.CanBecome(next):
			return decision{apply: true, same: true, outcome: fmt.Sprintf("applied: %s → %s", cur, next)}
		case cur == next:
			return decision{outcome: "repeat: no change"}
		}
		return decision{outcome: fmt.Sprintf("ignored: %s may not become %s", cur, next)}
	case o.Settled():
		switch {
		case u.Source == pointcheckout.SourcePay:
			return decision{outcome: fmt.Sprintf("refused: order already settled by checkout %s", o.CheckoutID), err: errAlreadyPaid}
		case settled(next):
			return decision{alert: true, outcome: fmt.Sprintf("ignored: order already settled by checkout %s; this checkout took money too and needs a refund", o.CheckoutID)}
		}
		return decision{outcome: fmt.Sprintf("ignored: not the current checkout (%s)", o.CheckoutID)}
	case u.Source == pointcheckout.SourcePay:
		if u.Ref.CreatedAt.Before(o.RefCreatedAt) {
			return decision{outcome: fmt.Sprintf("ignored: older than the current attempt %s", o.CheckoutID)}
		}
		return decision{apply: true, outcome: fmt.Sprintf("applied: new attempt replaces %s (%s)", o.CheckoutID, cur)}
	case settled(next):
		// The shopper paid on an earlier attempt (say, in another tab):
		// the money was taken, so that attempt becomes the order's.
		return decision{apply: true, outcome: fmt.Sprintf("applied: earlier attempt took the money; replaces %s (%s)", o.CheckoutID, cur)}
	}
	return decision{outcome: fmt.Sprintf("ignored: not the current checkout (%s)", o.CheckoutID)}
}

// FindRef returns the Ref recorded for a checkout id, current or earlier
// attempt. It is the shop's pointcheckout.RefFinder, used when a
// notification names only the checkout; an unknown id is ErrNotFound.
func (s *orderStore) FindRef(ctx context.Context, checkoutID string) (pointcheckout.Ref, error) {
	if checkoutID == "" {
		return pointcheckout.Ref{}, pointcheckout.ErrNotFound
	}
	o, err := scanOrder(s.db.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE checkout_id = ?`, checkoutID))
	if err == nil {
		return o.ref(), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return pointcheckout.Ref{}, err
	}
	// An earlier attempt: its /pay update recorded the whole Ref.
	ref, err := scanAttempt(s.db.QueryRowContext(ctx, `
		SELECT `+attemptColumns+` FROM order_updates
		WHERE checkout_id = ? AND source = ? ORDER BY id LIMIT 1`, checkoutID, string(pointcheckout.SourcePay)))
	if errors.Is(err, sql.ErrNoRows) {
		return pointcheckout.Ref{}, fmt.Errorf("%w: no order has checkout %q", pointcheckout.ErrNotFound, checkoutID)
	}
	return ref, err
}

// attemptColumns are the columns of an attempt's /pay row in order_updates
// that scanAttempt reads.
const attemptColumns = `order_id, checkout_id, request_id, amount_minor, currency, ref_created`

// scanAttempt reads the Ref an attempt's /pay row recorded (attemptColumns).
func scanAttempt(row interface{ Scan(...any) error }) (pointcheckout.Ref, error) {
	var ref pointcheckout.Ref
	var minor, created int64
	var currency string
	if err := row.Scan(&ref.OrderID, &ref.CheckoutID, &ref.RequestID, &minor, &currency, &created); err != nil {
		return pointcheckout.Ref{}, err
	}
	amount, err := pointcheckout.NewMoney(minor, currency)
	if err != nil {
		return pointcheckout.Ref{}, err
	}
	ref.Amount, ref.CreatedAt = amount, time.Unix(0, created)
	return ref, nil
}

// openAttempts returns up to limit Refs of the attempts (checkouts created
// by /pay) created between attemptMaxAge ago and cutoff whose final status
// the shop has not heard yet: each order's current checkout, and also the
// ones a newer attempt replaced, since a shopper can pay an older attempt in
// a tab left open and never come back. The attempts checked least recently
// come first (see markChecked), so attempts the gateway cannot resolve never
// starve the others.
func (s *orderStore) openAttempts(ctx context.Context, cutoff time.Time, limit int) ([]pointcheckout.Ref, error) {
	return s.queryOpenAttempts(ctx, `p.ref_created <= ? AND p.ref_created >= ?`,
		[]any{cutoff.UnixNano(), s.now().Add(-attemptMaxAge).UnixNano()}, limit)
}

// openAttemptsOf returns the open attempts of one order, as openAttempts.
func (s *orderStore) openAttemptsOf(ctx context.Context, orderID string) ([]pointcheckout.Ref, error) {
	return s.queryOpenAttempts(ctx, `p.order_id = ?`, []any{orderID}, -1)
}

// attemptMaxAge is how long an attempt is swept at the most. The gateway
// expires a checkout long before; an attempt it cannot answer for (a
// sandbox restarted under a kept database, say) stops costing API calls.
const attemptMaxAge = 7 * 24 * time.Hour

// queryOpenAttempts runs the open-attempts query with one more condition on
// the /pay row p; a negative limit means all.
func (s *orderStore) queryOpenAttempts(ctx context.Context, cond string, condArgs []any, limit int) ([]pointcheckout.Ref, error) {
	final := finalStatusArgs()
	args := append([]any{string(pointcheckout.SourcePay)}, condArgs...)
	args = append(append(args, final...), limit)
	rows, err := s.db.QueryContext(ctx, `
		SELECT p.order_id, p.checkout_id, p.request_id, p.amount_minor, p.currency, p.ref_created -- attemptColumns
		FROM order_updates p LEFT JOIN attempt_checks c ON c.checkout_id = p.checkout_id
		WHERE p.source = ? AND `+cond+`
		  AND p.id = (SELECT MIN(q.id) FROM order_updates q WHERE q.checkout_id = p.checkout_id AND q.source = p.source)
		  AND NOT EXISTS (SELECT 1 FROM order_updates f
		                  WHERE f.checkout_id = p.checkout_id AND f.status IN (`+placeholders(len(final))+`))
		ORDER BY COALESCE(c.checked_at, 0), p.ref_created LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var refs []pointcheckout.Ref
	for rows.Next() {
		ref, err := scanAttempt(rows)
		if err != nil {
			return nil, err
		}
		refs = append(refs, ref)
	}
	return refs, rows.Err()
}

// markChecked records that a sweep asked the gateway about these attempts
// now, which sends them to the back of the next sweep's queue, and forgets
// the attempts no sweep will look at again (final, or too old).
func (s *orderStore) markChecked(ctx context.Context, refs []pointcheckout.Ref) error {
	now := s.now()
	for _, ref := range refs {
		if _, err := s.db.ExecContext(ctx, `
			INSERT INTO attempt_checks (checkout_id, checked_at) VALUES (?, ?)
			ON CONFLICT (checkout_id) DO UPDATE SET checked_at = excluded.checked_at`, ref.CheckoutID, now.UnixNano()); err != nil {
			return err
		}
	}
	final := finalStatusArgs()
	args := append([]any{now.Add(-attemptMaxAge).UnixNano()}, final...)
	_, err := s.db.ExecContext(ctx, `
		DELETE FROM attempt_checks WHERE checked_at < ?
		   OR EXISTS (SELECT 1 FROM order_updates f
		              WHERE f.checkout_id = attempt_checks.checkout_id AND f.status IN (`+placeholders(len(final))+`))`, args...)
	return err
}

// finalStatuses are the statuses after which an attempt needs no more
// sweeping: those whose Status.IsFinal is true.
func finalStatuses() []pointcheckout.Status {
	return []pointcheckout.Status{
		pointcheckout.StatusAuthorized, pointcheckout.StatusPaid, pointcheckout.StatusFailed,
		pointcheckout.StatusCancelled, pointcheckout.StatusExpired, pointcheckout.StatusRefunded,
		pointcheckout.StatusPartiallyRefunded, pointcheckout.StatusChargeback,
	}
}

// finalStatusArgs are finalStatuses as SQL arguments.
func finalStatusArgs() []any {
	var args []any
	for _, st := range finalStatuses() {
		args = append(args, string(st))
	}
	return args
}

// placeholders is n comma-separated SQL parameters.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
