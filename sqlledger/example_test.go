package sqlledger_test

import (
	"context"
	"database/sql"
	"log"
	"net/http"
	"os"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
)

// A shop on the ledger: the ledger is the Handler's updater and reference
// finder, tells the shop's own orders table of each change in its
// transaction, refuses a new attempt the order may not start, and sweeps
// the attempts nobody came back for. The database is opened with a driver
// such as modernc.org/sqlite (imported for its side effect).
func Example() {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:shop.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		log.Fatal(err)
	}
	client, err := pointcheckout.NewClient(pointcheckout.ClientConfig{Key: os.Getenv("POINTCHECKOUT_API_KEY"),
		Secret: pointcheckout.NewSecret(os.Getenv("POINTCHECKOUT_API_SECRET")), Environment: pointcheckout.TestEnvironment()})
	if err != nil {
		log.Fatal(err)
	}
	ledger, err := sqlledger.New(sqlledger.Config{DB: db, Dialect: sqlledger.SQLite, Client: client,
		OrderChanged: func(ctx context.Context, tx *sql.Tx, orderID string, o pointcheckout.Outcome) error {
			_, err := tx.ExecContext(ctx, `UPDATE orders SET payment = ? WHERE id = ?`, string(o.After), orderID)
			return err
		}})
	if err != nil {
		log.Fatal(err)
	}
	if err := ledger.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	keys, err := pointcheckout.ParseKeyPairs(os.Getenv("PAY_COOKIE_KEYS"))
	if err != nil {
		log.Fatal(err)
	}
	pay, err := pointcheckout.New(pointcheckout.Config{Client: client, Orders: orders{db, ledger}.CheckoutFor, Updater: ledger,
		Keys: keys, ReturnBaseURL: "https://shop.example.com"})
	if err != nil {
		log.Fatal(err)
	}
	go ledger.NewSweeper(pay, sqlledger.SweeperConfig{}).Run(ctx)
	log.Fatal(http.ListenAndServe(":8080", pay.Middleware(http.NotFoundHandler())))
}

// orders builds checkouts from the shop's orders table.
type orders struct {
	db     *sql.DB
	ledger *sqlledger.Ledger
}

func (o orders) CheckoutFor(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
	id := r.PostFormValue("order")
	// No second attempt for a paid order, nor while one awaits confirmation.
	if err := o.ledger.CanStartAttempt(r.Context(), id); err != nil {
		return nil, err
	}
	var minor int64
	var currency string
	if err := o.db.QueryRowContext(r.Context(), `SELECT total_minor, currency FROM orders WHERE id = ?`, id).Scan(&minor, &currency); err != nil {
		return nil, pointcheckout.ErrNotFound
	}
	amount, err := pointcheckout.NewMoney(minor, currency)
	if err != nil {
		return nil, err
	}
	return &pointcheckout.CheckoutRequest{OrderID: id, Amount: amount /* items, customer, address */}, nil
}
