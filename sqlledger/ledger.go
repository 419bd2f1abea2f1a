// Package sqlledger is a payment-attempt ledger on database/sql, for SQLite
// and PostgreSQL: the order bookkeeping a shop on pointcheckout needs, ready
// made.
//
// A [Ledger] is the shop's [pointcheckout.OrderUpdater] and
// [pointcheckout.RefFinder]. It records every attempt (checkout) of an order
// with its Ref and every update received, applies [pointcheckout.ApplyUpdate]
// in one transaction per update with the order's row locked, so returns,
// notifications and sweeps racing on any number of instances give the result
// of one at a time, and calls the shop's OrderChanged once per change of the
// order's payment state, inside that transaction. A [Sweeper] resolves the
// attempts nobody came back for.
//
// The package imports no driver: open the *sql.DB with one (for example
// modernc.org/sqlite, or github.com/jackc/pgx/v5/stdlib) and name its
// Dialect. SQLite needs a busy timeout (for modernc.org/sqlite, the DSN
// parameter _pragma=busy_timeout(10000)) so that writers wait for each other
// rather than fail; WAL mode (_pragma=journal_mode(WAL)) lets reads go on
// meanwhile.
package sqlledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// Defaults of Config.
const (
	// DefaultMaxOpenAttempts is Config.MaxOpenAttempts when it is zero.
	DefaultMaxOpenAttempts = 5
	// DefaultCheckoutLifetime is Config.CheckoutLifetime when it is zero.
	DefaultCheckoutLifetime = 24 * time.Hour
	// cancelTimeout bounds each cancel at the gateway.
	cancelTimeout = 5 * time.Second
)

// Config configures a Ledger. DB and Dialect are required, and Client
// unless KeepOtherAttempts is set. The zero value of every other field is
// the safe default.
type Config struct {
	// DB is the database; the ledger never closes it.
	DB *sql.DB
	// Dialect is the database's SQL: SQLite or PostgreSQL.
	Dialect Dialect
	// Prefix starts the name of every table and index; default
	// DefaultPrefix. Letters, digits and underscores, at most 40 bytes.
	Prefix string
	// OrderChanged, if set, is called once per change of an order's payment
	// state, inside the update's transaction: write the shop's own order
	// row through tx. An error rolls the whole update back.
	OrderChanged func(ctx context.Context, tx *sql.Tx, orderID string, o pointcheckout.Outcome) error
	// Client cancels an order's other attempts at the gateway once one took
	// money, each only while the gateway says PENDING, so the shopper
	// cannot pay twice.
	Client *pointcheckout.Client
	// KeepOtherAttempts leaves those attempts open instead (no Client
	// needed); a second payment is still flagged for refund.
	KeepOtherAttempts bool
	// MaxOpenAttempts caps the attempts of one order still open (PENDING
	// or PENDING_CONFIRMATION, within CheckoutLifetime); default
	// DefaultMaxOpenAttempts, negative for no cap.
	MaxOpenAttempts int
	// AllowAttemptWhileConfirming lets a new attempt start while another
	// awaits confirmation (PENDING_CONFIRMATION); by default it may not.
	AllowAttemptWhileConfirming bool
	// CheckoutLifetime is how long after /pay an open attempt is swept,
	// and counts toward MaxOpenAttempts; default DefaultCheckoutLifetime.
	CheckoutLifetime time.Duration
	// Logger receives the ledger's events; default none. Refusals that may
	// be attacks and second payments are logged at Error.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Ledger records an order's payment attempts and the updates they receive
// in the shop's database. It is safe for concurrent use, by any number of
// instances sharing the database.
type Ledger struct {
	db              *sql.DB
	dialect         Dialect
	prefix          string
	onChange        func(context.Context, *sql.Tx, string, pointcheckout.Outcome) error
	client          *pointcheckout.Client
	keepOthers      bool
	maxOpen         int
	allowConfirming bool
	lifetime        time.Duration
	log             *slog.Logger
	now             func() time.Time
	q               queries
}

// The ledger is the Handler's updater and reference finder.
var (
	_ pointcheckout.OrderUpdater = (*Ledger)(nil)
	_ pointcheckout.RefFinder    = (*Ledger)(nil)
)

// New returns a Ledger for cfg. It touches no database: call Migrate
// before the first update.
func New(cfg Config) (*Ledger, error) {
	l := &Ledger{
		db: cfg.DB, dialect: cfg.Dialect, prefix: cfg.Prefix, onChange: cfg.OrderChanged,
		client: cfg.Client, keepOthers: cfg.KeepOtherAttempts, maxOpen: cfg.MaxOpenAttempts,
		allowConfirming: cfg.AllowAttemptWhileConfirming, lifetime: cfg.CheckoutLifetime,
		log: cfg.Logger, now: cfg.Now,
	}
	switch {
	case l.db == nil:
		return nil, errors.New("sqlledger: config: no DB")
	case l.dialect != SQLite && l.dialect != PostgreSQL:
		return nil, fmt.Errorf("sqlledger: config: unknown %s", l.dialect)
	case l.client == nil && !l.keepOthers:
		return nil, errors.New("sqlledger: config: a Client is needed to cancel a paid order's other attempts (or set KeepOtherAttempts)")
	case l.lifetime < 0:
		return nil, errors.New("sqlledger: config: negative CheckoutLifetime")
	}
	if l.prefix == "" {
		l.prefix = DefaultPrefix
	}
	if !validPrefix(l.prefix) {
		return nil, fmt.Errorf("sqlledger: config: Prefix %q: use letters, digits and underscores (at most 40)", l.prefix)
	}
	if l.maxOpen == 0 {
		l.maxOpen = DefaultMaxOpenAttempts
	}
	if l.lifetime == 0 {
		l.lifetime = DefaultCheckoutLifetime
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.now == nil {
		l.now = time.Now
	}
	l.prepareQueries()
	return l, nil
}

// UpdateOrder applies u to its order in one transaction (see the package
// documentation) and, once that is committed, cancels the order's other
// PENDING attempts at the gateway if u made it take money. It is the
// shop's pointcheckout.OrderUpdater.
//
// A refused update (see pointcheckout.ApplyUpdate, and the policies of
// Config) is recorded in the history and its reason returned. Any other
// error means nothing was stored, so the next delivery applies the update.
func (l *Ledger) UpdateOrder(ctx context.Context, u pointcheckout.Update) error {
	if u.OrderID == "" {
		return fmt.Errorf("sqlledger: %w: update without an order id", pointcheckout.ErrInvalidRef)
	}
	var (
		o    pointcheckout.Outcome
		prev pointcheckout.Status
	)
	err := l.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		o, prev, err = l.apply(ctx, tx, u)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlledger: update of order %q: %w", u.OrderID, err)
	}
	l.logOutcome(ctx, u, o, prev)
	if o.AttemptChanged && len(o.Cancel) > 0 && !l.keepOthers {
		// Not bounded by the shopper's request: a cancel cut short would
		// leave an attempt of a paid order payable. One that fails is
		// tried again by the Sweeper.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelTimeout*time.Duration(len(o.Cancel)))
		defer cancel()
		l.cancelAttempts(cctx, o.Cancel)
	}
	return o.Err
}

// inTx runs f in a transaction, committed if f returns nil.
func (l *Ledger) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	err = f(tx)
	if err != nil {
		_ = tx.Rollback()
	} else {
		err = tx.Commit()
	}
	// A context that ends midway makes database/sql roll back on its own,
	// and the next statement or the commit answers ErrTxDone; the cause is
	// the context.
	if errors.Is(err, sql.ErrTxDone) && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// apply is the update's transaction: lock the order, read its attempts,
// apply the rule and the policies, write the attempt, the order's state and
// the history, and tell the shop. prev is the attempt's status before the
// update ("" for none).
func (l *Ledger) apply(ctx context.Context, tx *sql.Tx, u pointcheckout.Update) (o pointcheckout.Outcome, prev pointcheckout.Status, err error) {
	now := l.now()
	if _, err := tx.ExecContext(ctx, l.q.lockOrder, u.OrderID, string(pointcheckout.PaymentNone), now.UnixNano()); err != nil {
		return pointcheckout.Outcome{}, "", err
	}
	attempts, err := l.attemptsOf(ctx, tx, u.OrderID)
	if err != nil {
		return pointcheckout.Outcome{}, "", err
	}
	for _, a := range attempts {
		if a.Ref.CheckoutID == u.CheckoutID {
			prev = a.Status
		}
	}
	o = pointcheckout.ApplyUpdate(attempts, u)
	isNew := o.AttemptChanged && len(o.Attempts) > len(attempts)
	if isNew {
		if err := l.mayStart(o.Before, attempts, now); err != nil {
			o = refused(o, attempts, err)
		} else if other, err := l.recordedElsewhere(ctx, tx, u); err != nil {
			return pointcheckout.Outcome{}, "", err
		} else if other != "" {
			// The ids belong to another order's attempt.
			o = refused(o, attempts, &pointcheckout.VerificationError{OrderID: u.OrderID, CheckoutID: u.CheckoutID, Fields: []string{"orderId"}})
		}
	}
	if o.AttemptChanged {
		a := o.Attempt
		open := boolInt(!a.Status.IsFinal())
		if isNew {
			_, err = tx.ExecContext(ctx, l.q.insertAttempt, a.Ref.OrderID, a.Ref.CheckoutID, a.Ref.RequestID,
				a.Ref.Amount.Minor(), a.Ref.Amount.Currency(), a.Ref.CreatedAt.UnixNano(), string(a.Status),
				open, now.UnixNano(), now.UnixNano())
		} else {
			_, err = tx.ExecContext(ctx, l.q.updateAttempt, string(a.Status), open, now.UnixNano(), a.Ref.CheckoutID)
		}
		if err != nil {
			return pointcheckout.Outcome{}, "", err
		}
	}
	if o.OrderChanged {
		if _, err := tx.ExecContext(ctx, l.q.setState, string(o.After), now.UnixNano(), u.OrderID); err != nil {
			return pointcheckout.Outcome{}, "", err
		}
	}
	verdict, detail := describe(u, o, prev)
	_, err = tx.ExecContext(ctx, l.q.insertUpdate, u.OrderID, now.UnixNano(), string(u.Source), u.CheckoutID, u.RequestID,
		u.Status.String(), u.Amount.Minor(), u.Amount.Currency(), verdict, detail, string(o.Before), string(o.After))
	if err != nil {
		return pointcheckout.Outcome{}, "", err
	}
	if o.OrderChanged && l.onChange != nil {
		if err := l.onChange(ctx, tx, u.OrderID, o); err != nil {
			return pointcheckout.Outcome{}, "", fmt.Errorf("OrderChanged: %w", err)
		}
	}
	return o, prev, nil
}

// refused turns o into the refusal of its update, with why.
func refused(o pointcheckout.Outcome, attempts []pointcheckout.Attempt, why error) pointcheckout.Outcome {
	return pointcheckout.Outcome{Attempts: attempts, Before: o.Before, After: o.Before, Err: why}
}

// mayStart applies the ledger's policies to a new attempt of an order in
// state with these attempts: none once the order took money, none while an
// attempt awaits confirmation (unless allowed), and at most maxOpen open.
func (l *Ledger) mayStart(state pointcheckout.PaymentState, attempts []pointcheckout.Attempt, now time.Time) error {
	if state.TookMoney() {
		return fmt.Errorf("%w: the order is %s", pointcheckout.ErrAttemptRefused, state)
	}
	open := 0
	since := now.Add(-l.lifetime)
	for _, a := range attempts {
		if a.Status.IsFinal() || a.Ref.CreatedAt.Before(since) {
			continue
		}
		open++
		if a.Status == pointcheckout.StatusPendingConfirmation && !l.allowConfirming {
			return fmt.Errorf("%w: attempt %s awaits confirmation", pointcheckout.ErrAttemptRefused, a.Ref.CheckoutID)
		}
	}
	if l.maxOpen > 0 && open >= l.maxOpen {
		return fmt.Errorf("%w: %d attempts are open", pointcheckout.ErrAttemptRefused, open)
	}
	return nil
}

// CanStartAttempt reports whether the order may start a new attempt now,
// under the rules the ledger enforces when the attempt's SourcePay update
// arrives: nil, or an error wrapping pointcheckout.ErrAttemptRefused (which
// matches ErrInvalidRequest). Call it from the Handler's Config.Orders
// function, so a refused attempt is never created at the gateway.
func (l *Ledger) CanStartAttempt(ctx context.Context, orderID string) error {
	state, err := l.State(ctx, orderID)
	if err != nil {
		return err
	}
	attempts, err := l.Attempts(ctx, orderID)
	if err != nil {
		return err
	}
	return l.mayStart(state, attempts, l.now())
}

// recordedElsewhere returns the order that holds an attempt with u's
// checkout or request id, if any: ids are unique across orders.
func (l *Ledger) recordedElsewhere(ctx context.Context, tx *sql.Tx, u pointcheckout.Update) (string, error) {
	var order string
	err := tx.QueryRowContext(ctx, l.q.otherAttempt, u.CheckoutID, u.RequestID).Scan(&order)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return order, err
}

// The outcomes an Entry records.
const (
	// Applied: a new attempt, or the attempt's status moved.
	Applied = "applied"
	// Repeat: the attempt already had this status.
	Repeat = "repeat"
	// Ignored: the status is one the attempt may not move to (a move
	// back, or an unknown status).
	Ignored = "ignored"
	// Refused: the update was refused; Detail says why.
	Refused = "refused"
)

// describe is the history's verdict on an update and one line about it;
// prev is the attempt's status before it ("" for a new attempt).
func describe(u pointcheckout.Update, o pointcheckout.Outcome, prev pointcheckout.Status) (verdict, detail string) {
	switch {
	case o.Err != nil:
		return Refused, o.Err.Error()
	case o.AttemptChanged && prev == "":
		return Applied, "new attempt, " + u.Status.String()
	case o.AttemptChanged:
		return Applied, prev.String() + " → " + u.Status.String()
	case prev == u.Status:
		return Repeat, "already " + u.Status.String()
	}
	return Ignored, prev.String() + " may not become " + u.Status.String()
}

// logOutcome logs what an update did: refusals that may be attacks and
// second payments at Error (once, when the attempt starts holding money),
// other refusals at Warn.
func (l *Ledger) logOutcome(ctx context.Context, u pointcheckout.Update, o pointcheckout.Outcome, prev pointcheckout.Status) {
	attrs := []slog.Attr{
		slog.String("order_id", u.OrderID), slog.String("checkout_id", u.CheckoutID),
		slog.String("status", u.Status.String()), slog.String("source", string(u.Source)),
		slog.String("before", string(o.Before)), slog.String("after", string(o.After)),
	}
	switch {
	case errors.Is(o.Err, pointcheckout.ErrVerification):
		l.log.LogAttrs(ctx, slog.LevelError, "sqlledger: security: update does not match the recorded attempt", append(attrs, slog.Any("err", o.Err))...)
	case o.Err != nil:
		l.log.LogAttrs(ctx, slog.LevelWarn, "sqlledger: update refused", append(attrs, slog.Any("err", o.Err))...)
	case o.AttemptChanged && len(o.Refund) > 0 && holdsMoney(o.Attempt.Status) && !holdsMoney(prev):
		var ids []string
		for _, r := range o.Refund {
			ids = append(ids, r.CheckoutID)
		}
		l.log.LogAttrs(ctx, slog.LevelError, "sqlledger: order paid more than once: refund the extra payment", append(attrs, slog.Any("refund", ids))...)
	case o.OrderChanged:
		l.log.LogAttrs(ctx, slog.LevelInfo, "sqlledger: order payment state changed", attrs...)
	default:
		l.log.LogAttrs(ctx, slog.LevelDebug, "sqlledger: update recorded", attrs...)
	}
}

// cancelAttempts cancels attempts of a paid order at the gateway, each only
// if the gateway still says PENDING (an AUTHORIZED or PAID one is left for
// the Sweeper to record), and returns how many it cancelled. A failure is
// only logged: the attempt stays open, and the Sweeper tries again.
func (l *Ledger) cancelAttempts(ctx context.Context, refs []pointcheckout.Ref) int {
	n := 0
	for _, ref := range refs {
		if ctx.Err() != nil {
			break
		}
		cctx, cancel := context.WithTimeout(ctx, cancelTimeout)
		co, err := l.client.GetCheckout(cctx, ref.CheckoutID)
		if err == nil && co.Status == pointcheckout.StatusPending {
			_, err = l.client.CancelCheckout(cctx, ref.CheckoutID)
		}
		cancel()
		switch {
		case err != nil:
			l.log.WarnContext(ctx, "sqlledger: cancel of another attempt of a paid order failed", "order_id", ref.OrderID, "checkout_id", ref.CheckoutID, "err", err)
		case co.Status != pointcheckout.StatusPending:
			l.log.InfoContext(ctx, "sqlledger: other attempt of a paid order not cancelled", "order_id", ref.OrderID, "checkout_id", ref.CheckoutID, "status", co.Status)
		default:
			n++
			l.log.InfoContext(ctx, "sqlledger: other attempt of a paid order cancelled", "order_id", ref.OrderID, "checkout_id", ref.CheckoutID)
		}
	}
	return n
}

// holdsMoney reports whether a checkout in status s holds the shopper's
// money.
func holdsMoney(s pointcheckout.Status) bool {
	return s == pointcheckout.StatusAuthorized || s == pointcheckout.StatusPaid || s == pointcheckout.StatusPartiallyRefunded
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
