package sqlledger_test

import (
	"context"
	"database/sql"
	"errors"
	"log"
	"net/http"
	"os"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
)

// A shop on the ledger, as the README's Quick start shows it: the ledger is
// the Handler's updater and reference finder, marks the shop's own order row
// in the same transaction as each change (markOrder), refuses a new attempt
// the order may not start (orders.CheckoutFor) and sweeps the attempts
// nobody came back for. The database is opened with a driver imported for
// its side effect, such as modernc.org/sqlite or github.com/jackc/pgx/v5/stdlib.
func Example() {
	ctx := context.Background()
	client, err := pointcheckout.NewClient(pointcheckout.ClientConfig{
		Key:         os.Getenv("POINTCHECKOUT_API_KEY"),
		Secret:      pointcheckout.NewSecret(os.Getenv("POINTCHECKOUT_API_SECRET")),
		Environment: pointcheckout.PaymenntTestEnvironment(), // PaymenntLiveEnvironment() to go live
	})
	check(err)
	keys, err := pointcheckout.ParseKeyPairs(os.Getenv("POINTCHECKOUT_COOKIE_KEYS")) // made by cmd/pointcheckout-keys
	check(err)
	db, err := sql.Open("sqlite", "shop.db?_pragma=busy_timeout(10000)") // or "pgx" and sqlledger.PostgreSQL
	check(err)
	ledger, err := sqlledger.New(sqlledger.Config{DB: db, Dialect: sqlledger.SQLite, Client: client, OrderChanged: markOrder})
	check(err)
	check(ledger.Migrate(ctx))
	pay, err := pointcheckout.New(pointcheckout.Config{
		Client: client, Orders: orders{db, ledger}.CheckoutFor, Updater: ledger, Keys: keys,
		ReturnBaseURL: "https://shop.example.com", SuccessURL: "/thanks", FailureURL: "/payment-failed",
	})
	check(err)
	go ledger.NewSweeper(pay, sqlledger.SweeperConfig{}).Run(ctx)
	log.Fatal(http.ListenAndServe(":8080", pay.Middleware(yourSite)))
}

// check stops the program on an error at start-up.
func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// yourSite is the shop's existing site; its checkout form posts order=<id>
// to /pay, and its /thanks page reads pointcheckout.ResultFromContext.
var yourSite http.Handler = http.NotFoundHandler()

// markOrder keeps the shop's own order row in step with the ledger, inside
// the ledger's transaction.
func markOrder(ctx context.Context, tx *sql.Tx, orderID string, o pointcheckout.Outcome) error {
	_, err := tx.ExecContext(ctx, `UPDATE orders SET payment = ? WHERE id = ?`, string(o.After), orderID)
	return err
}

// orders builds checkouts from the shop's orders table.
type orders struct {
	db     *sql.DB
	ledger *sqlledger.Ledger
}

// CheckoutFor reads the order named in the /pay form: the amount, the
// customer and the billing address the API requires, and at least one line.
func (o orders) CheckoutFor(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
	id := r.PostFormValue("order")
	// No second attempt for a paid order, nor while one awaits confirmation.
	if err := o.ledger.CanStartAttempt(r.Context(), id); err != nil {
		return nil, err
	}
	req := &pointcheckout.CheckoutRequest{OrderID: id}
	c, a := &req.Customer, &req.BillingAddress
	var minor int64
	var currency string
	err := o.db.QueryRowContext(r.Context(), `SELECT total_minor, currency, first_name, last_name, email, address, city, country
		FROM orders WHERE id = ?`, id).Scan(&minor, &currency, &c.FirstName, &c.LastName, &c.Email, &a.Address1, &a.City, &a.Country)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pointcheckout.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if req.Amount, err = pointcheckout.NewMoney(minor, currency); err != nil {
		return nil, err
	}
	a.Name = c.FirstName + " " + c.LastName
	req.Items = []pointcheckout.Item{{Name: "Order " + id, Quantity: 1, LineTotal: req.Amount}} // or one Item per order line
	return req, nil
}
