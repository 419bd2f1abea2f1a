package sqlledger

import (
	"context"
	"fmt"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// Entry is one update the ledger received, applied or not: a line of the
// order's history for an admin page.
type Entry struct {
	// ID orders the entries: per order, the order they were applied in.
	ID int64
	// At is when the update was applied.
	At time.Time
	// Source, CheckoutID, RequestID, Status and Amount are the update's.
	Source     pointcheckout.Source
	CheckoutID string
	RequestID  string
	Status     pointcheckout.Status
	// Amount is the update's amount; zero if it carried none.
	Amount pointcheckout.Money
	// Outcome is Applied, Repeat, Ignored or Refused.
	Outcome string
	// Detail says what changed, or why not.
	Detail string
	// Before and After are the order's payment state around the update.
	Before, After pointcheckout.PaymentState
}

// History returns every update the order received, oldest first. An update
// whose transaction was rolled back (a failed OrderChanged, a cancelled
// context) is not in it: it was not received, as far as the order goes.
func (l *Ledger) History(ctx context.Context, orderID string) ([]Entry, error) {
	rows, err := l.db.QueryContext(ctx, l.q.history, orderID)
	if err != nil {
		return nil, fmt.Errorf("sqlledger: history of order %q: %w", orderID, err)
	}
	defer rows.Close()
	var entries []Entry
	for rows.Next() {
		var (
			e                   Entry
			at, minor           int64
			source, status, cur string
			before, after       string
		)
		if err := rows.Scan(&e.ID, &at, &source, &e.CheckoutID, &e.RequestID, &status, &minor, &cur, &e.Outcome, &e.Detail, &before, &after); err != nil {
			return nil, fmt.Errorf("sqlledger: history of order %q: %w", orderID, err)
		}
		e.At, e.Source, e.Status = time.Unix(0, at).UTC(), pointcheckout.Source(source), pointcheckout.Status(status)
		e.Before, e.After = pointcheckout.PaymentState(before), pointcheckout.PaymentState(after)
		if m, err := pointcheckout.NewMoney(minor, cur); err == nil {
			e.Amount = m
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlledger: history of order %q: %w", orderID, err)
	}
	return entries, nil
}
