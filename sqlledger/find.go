package sqlledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// FindRef returns the Ref recorded for a checkout id, of any attempt, for
// /pay/notify: the ledger is the shop's pointcheckout.RefFinder. An unknown
// id is an error wrapping pointcheckout.ErrNotFound.
func (l *Ledger) FindRef(ctx context.Context, checkoutID string) (pointcheckout.Ref, error) {
	return l.findRef(ctx, l.q.attemptByCheckout, checkoutID)
}

// FindRefByRequestID returns the Ref recorded for a request id, for a
// return that carries only the signed token. An unknown id is an error
// wrapping pointcheckout.ErrNotFound.
func (l *Ledger) FindRefByRequestID(ctx context.Context, requestID string) (pointcheckout.Ref, error) {
	return l.findRef(ctx, l.q.attemptByRequest, requestID)
}

func (l *Ledger) findRef(ctx context.Context, query, id string) (pointcheckout.Ref, error) {
	if id == "" {
		return pointcheckout.Ref{}, fmt.Errorf("sqlledger: %w: empty id", pointcheckout.ErrNotFound)
	}
	a, err := scanAttempt(l.db.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return pointcheckout.Ref{}, fmt.Errorf("sqlledger: no attempt %q: %w", id, pointcheckout.ErrNotFound)
	}
	if err != nil {
		return pointcheckout.Ref{}, fmt.Errorf("sqlledger: find attempt: %w", err)
	}
	return a.Ref, nil
}

// Attempts returns the order's attempts, oldest first; none for an order
// the ledger has not seen.
func (l *Ledger) Attempts(ctx context.Context, orderID string) ([]pointcheckout.Attempt, error) {
	attempts, err := l.attemptsOf(ctx, l.db, orderID)
	if err != nil {
		return nil, fmt.Errorf("sqlledger: attempts of order %q: %w", orderID, err)
	}
	return attempts, nil
}

func (l *Ledger) attemptsOf(ctx context.Context, q querier, orderID string) ([]pointcheckout.Attempt, error) {
	rows, err := q.QueryContext(ctx, l.q.attempts, orderID)
	if err != nil {
		return nil, err
	}
	return scanAttempts(rows)
}

// State returns the order's payment state: PaymentNone for an order the
// ledger has not seen.
func (l *Ledger) State(ctx context.Context, orderID string) (pointcheckout.PaymentState, error) {
	var s string
	err := l.db.QueryRowContext(ctx, l.q.orderState, orderID).Scan(&s)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return pointcheckout.PaymentNone, nil
	case err != nil:
		return "", fmt.Errorf("sqlledger: state of order %q: %w", orderID, err)
	}
	return pointcheckout.PaymentState(s), nil
}

// OpenAttempts returns up to limit Refs of attempts with no final status,
// of any order, replaced attempts included (a tab left open can still pay
// one), created within Config.CheckoutLifetime, least recently checked by a
// Sweeper first: what Handler.Reconcile needs. A Sweeper claims them
// instead, so that instances share the work.
func (l *Ledger) OpenAttempts(ctx context.Context, limit int) ([]pointcheckout.Ref, error) {
	rows, err := l.db.QueryContext(ctx, l.q.open, l.now().Add(-l.lifetime).UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlledger: open attempts: %w", err)
	}
	attempts, err := scanAttempts(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlledger: open attempts: %w", err)
	}
	refs := make([]pointcheckout.Ref, len(attempts))
	for i, a := range attempts {
		refs[i] = a.Ref
	}
	return refs, nil
}

// scanAttempts reads every row of attemptColumns and closes rows.
func scanAttempts(rows *sql.Rows) ([]pointcheckout.Attempt, error) {
	defer rows.Close()
	var attempts []pointcheckout.Attempt
	for rows.Next() {
		a, err := scanAttempt(rows)
		if err != nil {
			return nil, err
		}
		attempts = append(attempts, a)
	}
	return attempts, rows.Err()
}

// scanAttempt reads attemptColumns.
func scanAttempt(row interface{ Scan(...any) error }) (pointcheckout.Attempt, error) {
	var (
		a               pointcheckout.Attempt
		minor, created  int64
		currency, state string
	)
	if err := row.Scan(&a.Ref.OrderID, &a.Ref.CheckoutID, &a.Ref.RequestID, &minor, &currency, &created, &state); err != nil {
		return a, err
	}
	m, err := pointcheckout.NewMoney(minor, currency)
	if err != nil {
		return a, err
	}
	a.Ref.Amount, a.Ref.CreatedAt, a.Status = m, time.Unix(0, created).UTC(), pointcheckout.Status(state)
	return a, nil
}
