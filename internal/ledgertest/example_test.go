package ledgertest

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
)

// A shop on the ledger, run for real: SQLite, the sandbox gateway, a
// declined card and a retry that pays. The ledger tells the shop's orders
// table of each change of the order's payment state.
func Example_shopOnTheLedger() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "shop-")
	defer os.RemoveAll(dir)
	db, _ := sql.Open("sqlite", "file:"+filepath.Join(dir, "shop.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	defer db.Close()
	_, _ = db.Exec(`CREATE TABLE orders (id TEXT PRIMARY KEY, payment TEXT NOT NULL)`)
	_, _ = db.Exec(`INSERT INTO orders VALUES ('ORD-1001', 'none')`)
	gateway := pointcheckouttest.NewServer()
	defer gateway.Close()

	ledger, err := sqlledger.New(sqlledger.Config{DB: db, Dialect: sqlledger.SQLite, Client: gateway.Client(),
		OrderChanged: func(ctx context.Context, tx *sql.Tx, orderID string, o pointcheckout.Outcome) error {
			fmt.Printf("order %s: %s → %s\n", orderID, o.Before, o.After)
			_, err := tx.ExecContext(ctx, `UPDATE orders SET payment = ? WHERE id = ?`, string(o.After), orderID)
			return err
		}})
	if err != nil {
		log.Fatal(err)
	}
	if err := ledger.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	keys, _ := pointcheckout.GenerateKeyPair()
	amount, _ := pointcheckout.ParseMoney("149.50", "AED")
	pay, err := pointcheckout.New(pointcheckout.Config{Client: gateway.Client(), Updater: ledger, Keys: []pointcheckout.KeyPair{keys},
		Orders: pointcheckout.OrdersFunc(func(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
			if err := ledger.CanStartAttempt(r.Context(), "ORD-1001"); err != nil {
				return nil, err
			}
			return &pointcheckout.CheckoutRequest{OrderID: "ORD-1001", Amount: amount,
				Items:          []pointcheckout.Item{{Name: "Saffron, 10 g", Quantity: 1, LineTotal: amount}},
				Customer:       pointcheckout.Customer{FirstName: "Layla", LastName: "Haddad", Email: "layla@example.com"},
				BillingAddress: pointcheckout.Address{Name: "Layla Haddad", Address1: "12 Creek Rd", City: "Dubai", Country: "AE"}}, nil
		})})
	if err != nil {
		log.Fatal(err)
	}
	shop := httptest.NewServer(pay.Middleware(http.NotFoundHandler()))
	defer shop.Close()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, outcome := range []pointcheckout.Status{pointcheckout.StatusFailed, pointcheckout.StatusPaid} {
		resp, err := browser.PostForm(shop.URL+"/pay", url.Values{"order": {"ORD-1001"}})
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		checkout := gateway.Checkouts()[i]
		_ = gateway.Complete(checkout.ID, outcome)
		if resp, err = browser.Get(checkout.ReturnURL); err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}
	var payment string
	_ = db.QueryRow(`SELECT payment FROM orders WHERE id = 'ORD-1001'`).Scan(&payment)
	fmt.Println("the shop's order:", payment)
	fmt.Println("another attempt:", ledger.CanStartAttempt(ctx, "ORD-1001"))
	// Output:
	// order ORD-1001: none → pending
	// order ORD-1001: pending → failed
	// order ORD-1001: failed → pending
	// order ORD-1001: pending → paid
	// the shop's order: paid
	// another attempt: pointcheckout: invalid request: no new payment attempt for this order: the order is paid
}
