package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
)

// paymentMethod is how the shopper chose to pay for an order.
type paymentMethod string

// The payment methods the checkout form offers.
const (
	methodCard paymentMethod = "card" // Pay using Cards / PointCheckout
	methodCOD  paymentMethod = "cod"  // Cash on delivery
)

// customer is the shopper's contact and billing details.
type customer struct {
	FirstName, LastName, Email, Address, City, Country string
}

// orderLine is one product in a placed order, priced when it was placed.
type orderLine struct {
	ProductID string
	Name      string
	Unit      pointcheckout.Money
	Qty       int64
	LineTotal pointcheckout.Money
}

// order is a placed order and its payment state.
type order struct {
	ID        string
	session   string
	CreatedAt time.Time
	UpdatedAt time.Time
	Customer  customer
	Method    paymentMethod
	Amount    pointcheckout.Money
	// Payment is the order's payment state, derived by the ledger from its
	// attempts and written through OrderChanged; PaymentNone before the
	// first attempt.
	Payment pointcheckout.PaymentState
	Lines   []orderLine
	// Attempts and History are the ledger's record of the order's
	// checkouts and of every update they received, for the admin page.
	Attempts []pointcheckout.Attempt
	History  []sqlledger.Entry
}

// TookMoney reports whether the shopper's money was taken for the order
// (it may since have been refunded or disputed): such an order is never
// offered for payment again.
func (o order) TookMoney() bool { return o.Payment.TookMoney() }

// Payable reports whether the shopper may start a (new) card payment. A
// pending attempt does not stop a new one: the shopper may have closed the
// payment page. An attempt awaiting confirmation does: the shopper has
// already submitted the money. The ledger's CanStartAttempt has the last
// word (it also caps the open attempts).
func (o order) Payable() bool {
	return o.Method == methodCard && !o.TookMoney() && o.Payment != pointcheckout.PaymentConfirming
}

// Attempted reports whether a card payment was started for the order.
func (o order) Attempted() bool {
	return o.Payment != pointcheckout.PaymentNone && o.Payment != ""
}

// OpenAttempts counts the order's attempts with no final status yet.
func (o order) OpenAttempts() int {
	n := 0
	for _, a := range o.Attempts {
		if !a.Status.IsFinal() {
			n++
		}
	}
	return n
}

// orderStore keeps orders in the shop's database, beside the attempt
// ledger that records their payments.
type orderStore struct {
	database
	ledger *sqlledger.Ledger
	now    func() time.Time
}

// newOrderID returns an unguessable order id: the confirmation page of an
// order is also guarded by the session, but an id should reveal nothing
// about how many orders the shop has.
func newOrderID() string { return "SO-" + rand.Text()[:12] }

// place turns the session's cart into an order, in one transaction, and
// empties the cart. Prices come from the catalog through the cart.
func (s *orderStore) place(ctx context.Context, carts carts, session string, c customer, m paymentMethod) (order, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return order{}, err
	}
	defer tx.Rollback()
	ct, err := carts.load(ctx, tx, session)
	if err != nil {
		return order{}, err
	}
	if len(ct.Lines) == 0 {
		return order{}, errEmptyCart
	}
	now := s.now()
	o := order{ID: newOrderID(), session: session, CreatedAt: now, UpdatedAt: now, Customer: c, Method: m, Amount: ct.Total, Payment: pointcheckout.PaymentNone}
	_, err = tx.ExecContext(ctx, s.sql(`
		INSERT INTO orders (id, session, created_at, updated_at, first_name, last_name, email,
			address, city, country, payment_method, amount_minor, currency, payment_state)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		o.ID, session, now.UnixNano(), now.UnixNano(), c.FirstName, c.LastName, c.Email,
		c.Address, c.City, c.Country, string(m), o.Amount.Minor(), o.Amount.Currency(), string(o.Payment))
	if err != nil {
		return order{}, fmt.Errorf("insert order: %w", err)
	}
	for i, l := range ct.Lines {
		_, err = tx.ExecContext(ctx, s.sql(`
			INSERT INTO order_lines (order_id, line, product_id, name, unit_minor, qty, line_minor)
			VALUES (?, ?, ?, ?, ?, ?, ?)`),
			o.ID, i+1, l.Product.ID, l.Product.Name, l.Product.Price.Minor(), l.Qty, l.LineTotal.Minor())
		if err != nil {
			return order{}, fmt.Errorf("insert order line: %w", err)
		}
		o.Lines = append(o.Lines, orderLine{ProductID: l.Product.ID, Name: l.Product.Name, Unit: l.Product.Price, Qty: l.Qty, LineTotal: l.LineTotal})
	}
	if _, err = tx.ExecContext(ctx, s.sql(`DELETE FROM carts WHERE session = ?`), session); err != nil {
		return order{}, fmt.Errorf("empty cart: %w", err)
	}
	return o, tx.Commit()
}

// orderColumns is the column list scanOrder reads, in its order.
const orderColumns = `id, session, created_at, updated_at, first_name, last_name, email, address, city,
	country, payment_method, amount_minor, currency, payment_state`

// scanOrder reads one row of orderColumns.
func scanOrder(row interface{ Scan(...any) error }) (order, error) {
	var o order
	var created, updated, minor int64
	var currency, method, state string
	err := row.Scan(&o.ID, &o.session, &created, &updated, &o.Customer.FirstName, &o.Customer.LastName,
		&o.Customer.Email, &o.Customer.Address, &o.Customer.City, &o.Customer.Country, &method,
		&minor, &currency, &state)
	if err != nil {
		return order{}, err
	}
	if o.Amount, err = pointcheckout.NewMoney(minor, currency); err != nil {
		return order{}, fmt.Errorf("order %s: %w", o.ID, err)
	}
	o.CreatedAt, o.UpdatedAt = time.Unix(0, created), time.Unix(0, updated)
	o.Method, o.Payment = paymentMethod(method), pointcheckout.PaymentState(state)
	return o, nil
}

// get returns an order with its lines, and the ledger's attempts and
// history of it.
func (s *orderStore) get(ctx context.Context, id string) (order, error) {
	o, err := scanOrder(s.db.QueryRowContext(ctx, s.sql(`SELECT `+orderColumns+` FROM orders WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return order{}, errUnknownOrder
	}
	if err != nil {
		return order{}, err
	}
	return o, s.complete(ctx, &o)
}

// complete reads an order's lines, attempts and history.
func (s *orderStore) complete(ctx context.Context, o *order) error {
	var err error
	if o.Lines, err = s.lines(ctx, *o); err != nil {
		return err
	}
	if o.Attempts, err = s.ledger.Attempts(ctx, o.ID); err != nil {
		return err
	}
	o.History, err = s.ledger.History(ctx, o.ID)
	return err
}

// getFor returns an order only to the session that placed it.
func (s *orderStore) getFor(ctx context.Context, id, session string) (order, error) {
	o, err := s.get(ctx, id)
	if err != nil {
		return order{}, err
	}
	if session == "" || o.session != session {
		return order{}, errNotYourOrder
	}
	return o, nil
}

// recent returns the newest orders with their attempts and history, for
// the admin page.
func (s *orderStore) recent(ctx context.Context, limit int) ([]order, error) {
	out, err := s.list(ctx, `SELECT `+orderColumns+` FROM orders ORDER BY created_at DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.complete(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// list reads the orders a query of orderColumns returns.
func (s *orderStore) list(ctx context.Context, query string, args ...any) ([]order, error) {
	rows, err := s.db.QueryContext(ctx, s.sql(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// lines reads an order's lines.
func (s *orderStore) lines(ctx context.Context, o order) ([]orderLine, error) {
	rows, err := s.db.QueryContext(ctx, s.sql(`
		SELECT product_id, name, unit_minor, qty, line_minor FROM order_lines WHERE order_id = ? ORDER BY line`), o.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []orderLine
	for rows.Next() {
		var l orderLine
		var unit, total int64
		if err := rows.Scan(&l.ProductID, &l.Name, &unit, &l.Qty, &total); err != nil {
			return nil, err
		}
		if l.Unit, err = pointcheckout.NewMoney(unit, o.Amount.Currency()); err != nil {
			return nil, err
		}
		if l.LineTotal, err = pointcheckout.NewMoney(total, o.Amount.Currency()); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// forSession returns the orders a session placed, newest first, without
// their lines and history.
func (s *orderStore) forSession(ctx context.Context, session string, limit int) ([]order, error) {
	if session == "" {
		return nil, nil
	}
	return s.list(ctx, `SELECT `+orderColumns+` FROM orders WHERE session = ? ORDER BY created_at DESC LIMIT ?`, session, limit)
}

// setPayment writes an order's payment state, in the ledger's transaction
// tx (see Shop.orderChanged). An order the shop does not have is
// errUnknownOrder, which rolls the update back.
func (s *orderStore) setPayment(ctx context.Context, tx *sql.Tx, orderID string, state pointcheckout.PaymentState) error {
	res, err := tx.ExecContext(ctx, s.sql(`UPDATE orders SET payment_state = ?, updated_at = ? WHERE id = ?`),
		string(state), s.now().UnixNano(), orderID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("order %q: %w", orderID, errUnknownOrder)
	}
	return nil
}

// changes reads every payment change OrderChanged recorded, by order, in
// the order they were made.
func (s *orderStore) changes(ctx context.Context) (map[string][]exportChange, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT order_id, state_before, state_after, instance FROM payment_changes ORDER BY at`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]exportChange{}
	for rows.Next() {
		var id string
		var c exportChange
		if err := rows.Scan(&id, &c.Before, &c.After, &c.Instance); err != nil {
			return nil, err
		}
		out[id] = append(out[id], c)
	}
	return out, rows.Err()
}
