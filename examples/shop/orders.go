package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
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

// orderUpdate is one update the shop received for an order, kept whether or
// not it changed anything, so the admin page can tell the whole story.
type orderUpdate struct {
	At         time.Time
	Source     pointcheckout.Source
	CheckoutID string
	RequestID  string
	Status     pointcheckout.Status
	Amount     pointcheckout.Money
	Outcome    string
}

// order is a placed order and the state of its current checkout attempt.
type order struct {
	ID        string
	session   string
	CreatedAt time.Time
	UpdatedAt time.Time
	Customer  customer
	Method    paymentMethod
	Amount    pointcheckout.Money
	// Status is the status of the current checkout; "" before the first.
	Status       pointcheckout.Status
	CheckoutID   string
	RequestID    string
	RefCreatedAt time.Time
	Lines        []orderLine
	Updates      []orderUpdate
}

// Settled reports whether the shopper's money was taken for the order (it
// may since have been refunded or disputed): such an order is never offered
// for payment again.
func (o order) Settled() bool { return settled(o.Status) }

// Payable reports whether the shopper may start a (new) card payment. A
// pending attempt does not stop a new one: the shopper may have closed the
// payment page, and the new attempt replaces the old. An attempt awaiting
// confirmation does: the shopper has already submitted the money.
func (o order) Payable() bool {
	return o.Method == methodCard && !o.Settled() && o.Status != pointcheckout.StatusPendingConfirmation
}

// ref rebuilds the checkout reference of the order's current attempt.
func (o order) ref() pointcheckout.Ref {
	return pointcheckout.Ref{
		CheckoutID: o.CheckoutID,
		OrderID:    o.ID,
		RequestID:  o.RequestID,
		Amount:     o.Amount,
		CreatedAt:  o.RefCreatedAt,
	}
}

// settled reports whether a checkout in status s took the shopper's money.
func settled(s pointcheckout.Status) bool {
	switch s {
	case pointcheckout.StatusPaid, pointcheckout.StatusAuthorized,
		pointcheckout.StatusPartiallyRefunded, pointcheckout.StatusRefunded,
		pointcheckout.StatusChargeback:
		return true
	}
	return false
}

// orderStore keeps orders in SQLite. It is the shop's OrderUpdater and
// RefFinder.
type orderStore struct {
	db  *sql.DB
	log *slog.Logger
	now func() time.Time
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
	o := order{ID: newOrderID(), session: session, CreatedAt: now, UpdatedAt: now, Customer: c, Method: m, Amount: ct.Total}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO orders (id, session, created_at, updated_at, first_name, last_name, email,
			address, city, country, payment_method, amount_minor, currency)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, session, now.UnixNano(), now.UnixNano(), c.FirstName, c.LastName, c.Email,
		c.Address, c.City, c.Country, string(m), o.Amount.Minor(), o.Amount.Currency())
	if err != nil {
		return order{}, fmt.Errorf("insert order: %w", err)
	}
	for i, l := range ct.Lines {
		_, err = tx.ExecContext(ctx, `
			INSERT INTO order_lines (order_id, line, product_id, name, unit_minor, qty, line_minor)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			o.ID, i+1, l.Product.ID, l.Product.Name, l.Product.Price.Minor(), l.Qty, l.LineTotal.Minor())
		if err != nil {
			return order{}, fmt.Errorf("insert order line: %w", err)
		}
		o.Lines = append(o.Lines, orderLine{ProductID: l.Product.ID, Name: l.Product.Name, Unit: l.Product.Price, Qty: l.Qty, LineTotal: l.LineTotal})
	}
	if _, err = tx.ExecContext(ctx, `DELETE FROM carts WHERE session = ?`, session); err != nil {
		return order{}, fmt.Errorf("empty cart: %w", err)
	}
	return o, tx.Commit()
}

// orderColumns is the column list scanOrder reads, in its order.
const orderColumns = `id, session, created_at, updated_at, first_name, last_name, email, address, city,
	country, payment_method, amount_minor, currency, status, checkout_id, request_id, ref_created_at`

// scanOrder reads one row of orderColumns.
func scanOrder(row interface{ Scan(...any) error }) (order, error) {
	var o order
	var created, updated, refCreated, minor int64
	var currency, method, status string
	err := row.Scan(&o.ID, &o.session, &created, &updated, &o.Customer.FirstName, &o.Customer.LastName,
		&o.Customer.Email, &o.Customer.Address, &o.Customer.City, &o.Customer.Country, &method,
		&minor, &currency, &status, &o.CheckoutID, &o.RequestID, &refCreated)
	if err != nil {
		return order{}, err
	}
	if o.Amount, err = pointcheckout.NewMoney(minor, currency); err != nil {
		return order{}, fmt.Errorf("order %s: %w", o.ID, err)
	}
	o.CreatedAt, o.UpdatedAt = time.Unix(0, created), time.Unix(0, updated)
	if refCreated != 0 {
		o.RefCreatedAt = time.Unix(0, refCreated)
	}
	o.Method, o.Status = paymentMethod(method), pointcheckout.Status(status)
	return o, nil
}

// get returns an order with its lines and update history.
func (s *orderStore) get(ctx context.Context, id string) (order, error) {
	o, err := scanOrder(s.db.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return order{}, errUnknownOrder
	}
	if err != nil {
		return order{}, err
	}
	if o.Lines, err = s.lines(ctx, o); err != nil {
		return order{}, err
	}
	if o.Updates, err = s.history(ctx, o.ID); err != nil {
		return order{}, err
	}
	return o, nil
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

// recent returns the newest orders with their history, for the admin page.
func (s *orderStore) recent(ctx context.Context, limit int) ([]order, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+orderColumns+` FROM orders ORDER BY created_at DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	var out []order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Lines, err = s.lines(ctx, out[i]); err != nil {
			return nil, err
		}
		if out[i].Updates, err = s.history(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lines reads an order's lines.
func (s *orderStore) lines(ctx context.Context, o order) ([]orderLine, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT product_id, name, unit_minor, qty, line_minor FROM order_lines WHERE order_id = ? ORDER BY line`, o.ID)
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

// history reads every update recorded for an order, oldest first.
func (s *orderStore) history(ctx context.Context, orderID string) ([]orderUpdate, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT at, source, checkout_id, request_id, status, amount_minor, currency, outcome
		FROM order_updates WHERE order_id = ? ORDER BY id`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []orderUpdate
	for rows.Next() {
		var u orderUpdate
		var at, minor int64
		var source, status, currency string
		if err := rows.Scan(&at, &source, &u.CheckoutID, &u.RequestID, &status, &minor, &currency, &u.Outcome); err != nil {
			return nil, err
		}
		u.At, u.Source, u.Status = time.Unix(0, at), pointcheckout.Source(source), pointcheckout.Status(status)
		// An update's amount is shown as received; a currency the shop
		// cannot read is shown as missing rather than hiding the row.
		u.Amount, _ = pointcheckout.NewMoney(minor, currency)
		out = append(out, u)
	}
	return out, rows.Err()
}

// forSession returns the orders a session placed, newest first, without
// their history.
func (s *orderStore) forSession(ctx context.Context, session string, limit int) ([]order, error) {
	if session == "" {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE session = ? ORDER BY created_at DESC LIMIT ?`, session, limit)
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
