package ledgertest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// demoShop is a shop on the ledger: its orders table (with the payment
// state the ledger tells it), Orders that prices from it and asks the
// ledger before a new attempt, and the Handler.
type demoShop struct {
	db     *sql.DB
	table  string
	pg     bool
	ledger *sqlledger.Ledger
	pay    *pointcheckout.Handler
	server *httptest.Server
}

func newDemoShop(t testing.TB, gw *pointcheckouttest.Server, d *db) *demoShop {
	t.Helper()
	s := &demoShop{db: d.open(t), table: d.prefix + "shop", pg: d.dialect == sqlledger.PostgreSQL}
	_, err := s.db.Exec(`CREATE TABLE ` + s.table + ` (id TEXT PRIMARY KEY, total_minor BIGINT NOT NULL, currency TEXT NOT NULL, payment TEXT NOT NULL)`)
	require.NoError(t, err)
	s.ledger, _ = d.ledger(t, sqlledger.Config{Client: gw.Client(), OrderChanged: s.orderChanged})
	keys, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	s.pay, err = pointcheckout.New(pointcheckout.Config{
		Client: gw.Client(), Orders: pointcheckout.OrdersFunc(s.checkoutFor), Updater: s.ledger,
		Keys: []pointcheckout.KeyPair{keys}, SuccessURL: "/thanks", FailureURL: "/sorry",
	})
	require.NoError(t, err)
	s.server = httptest.NewServer(s.pay.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, _ := pointcheckout.ResultFromContext(r.Context())
		fmt.Fprintf(w, "%s: %s", r.URL.Path, res.Status)
	})))
	t.Cleanup(s.server.Close)
	return s
}

func (s *demoShop) q(query string) string {
	if !s.pg {
		return query
	}
	for n := 1; strings.Contains(query, "?"); n++ {
		query = strings.Replace(query, "?", fmt.Sprintf("$%d", n), 1)
	}
	return query
}

func (s *demoShop) place(t testing.TB, id string, minor int64) {
	t.Helper()
	_, err := s.db.Exec(s.q(`INSERT INTO `+s.table+` (id, total_minor, currency, payment) VALUES (?, ?, 'AED', 'none')`), id, minor)
	require.NoError(t, err)
}

func (s *demoShop) orderChanged(ctx context.Context, tx *sql.Tx, orderID string, o pointcheckout.Outcome) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE `+s.table+` SET payment = ? WHERE id = ?`), string(o.After), orderID)
	return err
}

func (s *demoShop) checkoutFor(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
	id := r.PostFormValue("order")
	if err := s.ledger.CanStartAttempt(r.Context(), id); err != nil {
		return nil, err
	}
	var minor int64
	var currency string
	err := s.db.QueryRowContext(r.Context(), s.q(`SELECT total_minor, currency FROM `+s.table+` WHERE id = ?`), id).Scan(&minor, &currency)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pointcheckout.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	amount, err := pointcheckout.NewMoney(minor, currency)
	if err != nil {
		return nil, err
	}
	return &pointcheckout.CheckoutRequest{
		OrderID: id, Amount: amount,
		Items:          []pointcheckout.Item{{Name: "Saffron, 10 g", Quantity: 1, LineTotal: amount}},
		Customer:       pointcheckout.Customer{FirstName: "Layla", LastName: "Haddad", Email: "layla@example.com"},
		BillingAddress: pointcheckout.Address{Name: "Layla Haddad", Address1: "12 Creek Rd", City: "Dubai", Country: "AE"},
	}, nil
}

func (s *demoShop) payment(t testing.TB, id string) string {
	t.Helper()
	var p string
	require.NoError(t, s.db.QueryRow(s.q(`SELECT payment FROM `+s.table+` WHERE id = ?`), id).Scan(&p))
	return p
}

// shopper is a browser: a cookie jar, redirects followed only within the
// shop.
func shopper() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !strings.HasPrefix(req.URL.Path, "/thanks") && !strings.HasPrefix(req.URL.Path, "/sorry") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// startPayment posts the order to /pay and returns the checkout created.
func startPayment(t testing.TB, c *http.Client, s *demoShop, gw *pointcheckouttest.Server, order string) (pointcheckouttest.Checkout, int) {
	t.Helper()
	before := len(gw.Checkouts())
	resp, err := c.PostForm(s.server.URL+"/pay", url.Values{"order": {order}})
	require.NoError(t, err)
	resp.Body.Close()
	all := gw.Checkouts()
	if len(all) == before {
		return pointcheckouttest.Checkout{}, resp.StatusCode
	}
	for _, co := range all {
		if co.OrderID == order && co.Status == pointcheckout.StatusPending {
			return co, resp.StatusCode
		}
	}
	t.Fatalf("no new checkout for %s", order)
	return pointcheckouttest.Checkout{}, 0
}

func get(t testing.TB, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestShopOnTheLedger drives a shop on the ledger through the Handler: a
// decline and a retry, a second attempt refused once paid, a notification
// for a shopper who never returns, and a return without the cookie.
func TestShopOnTheLedger(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *db) {
		ctx := context.Background()
		gw := pointcheckouttest.NewServer()
		defer gw.Close()
		s := newDemoShop(t, gw, d)
		for _, id := range []string{"ORD-1", "ORD-2", "ORD-3"} {
			s.place(t, id, 14950)
		}

		b := shopper()
		co, code := startPayment(t, b, s, gw, "ORD-1")
		require.Equal(t, http.StatusSeeOther, code)
		assert.Equal(t, "pending", s.payment(t, "ORD-1"))
		require.NoError(t, gw.Complete(co.ID, pointcheckout.StatusFailed))
		assert.Equal(t, "/sorry: FAILED", get(t, b, co.ReturnURL))
		assert.Equal(t, "failed", s.payment(t, "ORD-1"))
		co, _ = startPayment(t, b, s, gw, "ORD-1")
		require.NoError(t, gw.Complete(co.ID, pointcheckout.StatusPaid))
		assert.Equal(t, "/thanks: PAID", get(t, b, co.ReturnURL))
		assert.Equal(t, "paid", s.payment(t, "ORD-1"))
		_, code = startPayment(t, b, s, gw, "ORD-1")
		assert.Equal(t, http.StatusBadRequest, code, "a paid order starts no attempt")

		// The shopper of ORD-2 never comes back; the gateway notifies.
		co, _ = startPayment(t, shopper(), s, gw, "ORD-2")
		require.NoError(t, gw.Complete(co.ID, pointcheckout.StatusPaid))
		resp, err := http.Post(s.server.URL+"/pay/notify", "application/json", strings.NewReader(`{"checkoutId":"`+co.ID+`"}`))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "paid", s.payment(t, "ORD-2"))

		// The shopper of ORD-3 returns in another browser: only the signed
		// token names the attempt.
		co, _ = startPayment(t, shopper(), s, gw, "ORD-3")
		require.NoError(t, gw.Complete(co.ID, pointcheckout.StatusPaid))
		assert.Equal(t, "/thanks: PAID", get(t, shopper(), co.ReturnURL))
		assert.Equal(t, "paid", s.payment(t, "ORD-3"))
		ref, err := s.ledger.FindRefByRequestID(ctx, co.RequestID)
		require.NoError(t, err)
		assert.Equal(t, co.ID, ref.CheckoutID)

		hist, err := s.ledger.History(ctx, "ORD-1")
		require.NoError(t, err)
		var lines []string
		for _, e := range hist {
			lines = append(lines, fmt.Sprintf("%s %s %s", e.Source, e.Status, e.Outcome))
		}
		assert.Equal(t, []string{"pay PENDING applied", "return FAILED applied", "pay PENDING applied", "return PAID applied"}, lines)
	})
}
