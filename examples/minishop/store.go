package minishop

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
)

// ErrUnknownOrder is what the store answers for an order id it never issued.
var ErrUnknownOrder = errors.New("shop: unknown order")

// MaxQuantity bounds what one order may ask for, so a hand-made form cannot
// overflow the amount.
const MaxQuantity = 10

// Product is the one thing the shop sells. Its price lives here, on the
// server: the shopper only chooses a quantity.
type Product struct {
	SKU   string
	Name  string
	Price pointcheckout.Money
}

// Order is the shop's record of one purchase.
type Order struct {
	ID       string
	Quantity int64
	Amount   pointcheckout.Money
	// Payment is the order's payment state, as the ledger set it.
	Payment pointcheckout.PaymentState
	// Status and CheckoutID are those of the order's newest payment
	// attempt (here an order has one: every /pay makes a new order).
	Status     pointcheckout.Status
	CheckoutID string
	// History is every update the ledger received for the order, oldest
	// first, applied or not.
	History []sqlledger.Entry
}

// ordersTable is the shop's own table; the ledger keeps the payments in
// its tables beside it, and sets payment in the update's transaction.
const ordersTable = `CREATE TABLE IF NOT EXISTS minishop_orders (
	id           TEXT    PRIMARY KEY,
	quantity     INTEGER NOT NULL,
	amount_minor INTEGER NOT NULL,
	currency     TEXT    NOT NULL,
	payment      TEXT    NOT NULL
)`

// Store keeps the shop's orders in its database and is the library's
// Orders: what to charge, from the shop's records. Their payments are the
// Ledger's, which is the library's OrderUpdater and RefFinder.
type Store struct {
	product Product
	db      *sql.DB
	ledger  *sqlledger.Ledger
}

// The store is the library's Orders.
var _ pointcheckout.Orders = (*Store)(nil)

// NewStore creates the shop's tables in db (a SQLite database, see OpenDB)
// if need be, and returns the store selling p, with the ledger of its
// payments. The ledger cancels an order's other attempts through client
// once one took money, and logs to logger.
func NewStore(ctx context.Context, db *sql.DB, p Product, client *pointcheckout.Client, logger *slog.Logger) (*Store, error) {
	s := &Store{product: p, db: db}
	ledger, err := sqlledger.New(sqlledger.Config{DB: db, Dialect: sqlledger.SQLite, Client: client,
		OrderChanged: s.paymentChanged, Logger: logger})
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, ordersTable); err != nil {
		return nil, fmt.Errorf("shop: create orders table: %w", err)
	}
	if err := ledger.Migrate(ctx); err != nil {
		return nil, err
	}
	s.ledger = ledger
	return s, nil
}

// Ledger returns the ledger of the orders' payments.
func (s *Store) Ledger() *sqlledger.Ledger { return s.ledger }

// Product returns what the store sells, for the product page.
func (s *Store) Product() Product { return s.product }

// CheckoutFor records a new order for the quantity the shopper chose and
// returns the checkout to create for it, priced from the catalogue.
func (s *Store) CheckoutFor(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
	qty := int64(1)
	if v := r.PostFormValue("quantity"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > MaxQuantity {
			return nil, fmt.Errorf("shop: quantity must be 1 to %d", MaxQuantity)
		}
		qty = n
	}
	amount, err := s.product.Price.Mul(qty)
	if err != nil {
		return nil, err
	}
	id := "order-" + rand.Text()[:12]
	_, err = s.db.ExecContext(r.Context(), `INSERT INTO minishop_orders (id, quantity, amount_minor, currency, payment) VALUES (?, ?, ?, ?, ?)`,
		id, qty, amount.Minor(), amount.Currency(), string(pointcheckout.PaymentNone))
	if err != nil {
		return nil, fmt.Errorf("shop: record order: %w", err)
	}
	return &pointcheckout.CheckoutRequest{
		OrderID: id,
		Amount:  amount,
		Items: []pointcheckout.Item{{
			Name:      s.product.Name,
			SKU:       s.product.SKU,
			UnitPrice: s.product.Price,
			Quantity:  qty,
			LineTotal: amount,
		}},
		Customer: pointcheckout.Customer{
			FirstName: "Test",
			LastName:  "Shopper",
			Email:     "shopper@example.com",
		},
		BillingAddress: pointcheckout.Address{
			Name:     "Test Shopper",
			Address1: "1 Sheikh Zayed Road",
			City:     "Dubai",
			Country:  "AE",
		},
	}, nil
}

// paymentChanged is the ledger's OrderChanged: it marks the order's row in
// the update's transaction, and refuses (rolls back) an update for an
// order the shop never issued.
func (s *Store) paymentChanged(ctx context.Context, tx *sql.Tx, orderID string, o pointcheckout.Outcome) error {
	res, err := tx.ExecContext(ctx, `UPDATE minishop_orders SET payment = ? WHERE id = ?`, string(o.After), orderID)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n != 1 {
		err = fmt.Errorf("%w %q", ErrUnknownOrder, orderID)
	}
	return err
}

// Order returns an order with its payment; an error wrapping
// ErrUnknownOrder for an id the store never issued.
func (s *Store) Order(ctx context.Context, id string) (Order, error) {
	o := Order{ID: id}
	var (
		minor             int64
		currency, payment string
	)
	err := s.db.QueryRowContext(ctx, `SELECT quantity, amount_minor, currency, payment FROM minishop_orders WHERE id = ?`, id).
		Scan(&o.Quantity, &minor, &currency, &payment)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, fmt.Errorf("%w %q", ErrUnknownOrder, id)
	}
	if err != nil {
		return Order{}, fmt.Errorf("shop: order %q: %w", id, err)
	}
	if o.Amount, err = pointcheckout.NewMoney(minor, currency); err != nil {
		return Order{}, fmt.Errorf("shop: order %q: %w", id, err)
	}
	o.Payment = pointcheckout.PaymentState(payment)
	attempts, err := s.ledger.Attempts(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if n := len(attempts); n > 0 {
		o.Status, o.CheckoutID = attempts[n-1].Status, attempts[n-1].Ref.CheckoutID
	}
	if o.History, err = s.ledger.History(ctx, id); err != nil {
		return Order{}, err
	}
	return o, nil
}
