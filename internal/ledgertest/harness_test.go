package ledgertest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/internal/pgtest"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
	"github.com/stretchr/testify/require"
	"modernc.org/sqlite"
)

// The PostgreSQL server every test of the run shares (each test gets its
// own table prefix), started on first use and stopped by TestMain.
var (
	pg       pgtest.Shared
	pgTables atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// db is one database under test: SQLite in a file of the test's own, or
// the shared PostgreSQL server under a table prefix of the test's own.
type db struct {
	name    string
	dialect sqlledger.Dialect
	prefix  string
	dsn     string
	drv     driver.Driver
	counts  *counts
}

// forEachDB runs f once on SQLite and once on PostgreSQL.
func forEachDB(t *testing.T, f func(t *testing.T, d *db)) {
	for _, name := range []string{"SQLite", "PostgreSQL"} {
		t.Run(name, func(t *testing.T) {
			f(t, newDB(t, name))
		})
	}
}

func newDB(t testing.TB, name string) *db {
	d := &db{name: name, counts: &counts{}}
	if name == "SQLite" {
		q := url.Values{}
		// Writers wait for each other rather than fail; WAL lets reads
		// go on meanwhile.
		q.Add("_pragma", "busy_timeout(60000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		d.dialect, d.drv, d.prefix = sqlledger.SQLite, &sqlite.Driver{}, sqlledger.DefaultPrefix
		d.dsn = "file:" + filepath.Join(t.TempDir(), "ledger.db") + "?" + q.Encode()
		return d
	}
	d.dialect, d.drv, d.dsn = sqlledger.PostgreSQL, stdlib.GetDefaultDriver(), pg.URL(t)
	d.prefix = fmt.Sprintf("t%d_", pgTables.Add(1))
	return d
}

// open returns a new handle on the database, as another instance of the
// shop would have, counting its transactions and statements. It is closed
// when t ends.
func (d *db) open(t testing.TB) *sql.DB {
	t.Helper()
	h := sql.OpenDB(&countingConnector{drv: d.drv, dsn: d.dsn, counts: d.counts})
	t.Cleanup(func() { h.Close() })
	require.NoError(t, h.Ping())
	return h
}

// ledger opens a handle and returns a migrated Ledger on it, with cfg's
// other fields.
func (d *db) ledger(t testing.TB, cfg sqlledger.Config) (*sqlledger.Ledger, *sql.DB) {
	t.Helper()
	h := d.open(t)
	cfg.DB, cfg.Dialect, cfg.Prefix = h, d.dialect, d.prefix
	if cfg.Client == nil {
		cfg.KeepOtherAttempts = true
	}
	l, err := sqlledger.New(cfg)
	require.NoError(t, err)
	require.NoError(t, l.Migrate(context.Background()))
	return l, h
}

// counts are what the database handles of a test did.
type counts struct {
	begins, commits, rollbacks, statements atomic.Int64
	// hook, if set, sees each statement before it runs.
	hook atomic.Pointer[func(query string)]
}

func (c *counts) statement(q string) {
	c.statements.Add(1)
	if h := c.hook.Load(); h != nil {
		(*h)(q)
	}
}

// countingConnector opens connections of drv that count into counts.
type countingConnector struct {
	drv    driver.Driver
	dsn    string
	counts *counts
}

func (c *countingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, counts: c.counts}, nil
}

func (c *countingConnector) Driver() driver.Driver { return c.drv }

// countingConn passes everything to the driver's connection, counting.
type countingConn struct {
	driver.Conn
	counts *counts
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	b, ok := c.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, errors.New("the driver does not support BeginTx")
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.counts.begins.Add(1)
	return &countingTx{Tx: tx, counts: c.counts}, nil
}

func (c *countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	c.counts.statement(q)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return e.ExecContext(ctx, q, args)
}

func (c *countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	e, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	c.counts.statement(q)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return e.QueryContext(ctx, q, args)
}

func (c *countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, q)
	}
	return c.Conn.Prepare(q)
}

func (c *countingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type countingTx struct {
	driver.Tx
	counts *counts
}

func (t *countingTx) Commit() error {
	err := t.Tx.Commit()
	if err == nil {
		t.counts.commits.Add(1)
	}
	return err
}

func (t *countingTx) Rollback() error {
	t.counts.rollbacks.Add(1)
	return t.Tx.Rollback()
}

// clock is a settable clock for the ledger.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// attemptRef is attempt n of an order: its Ref as /pay records it.
func attemptRef(order string, n int, amount pointcheckout.Money, created time.Time) pointcheckout.Ref {
	return pointcheckout.Ref{
		CheckoutID: fmt.Sprintf("%s-co-%d", order, n),
		OrderID:    order,
		RequestID:  fmt.Sprintf("%s-req-%d", order, n),
		Amount:     amount,
		CreatedAt:  created.UTC().Truncate(time.Second),
	}
}

// pay is the SourcePay update of ref.
func pay(ref pointcheckout.Ref) pointcheckout.Update {
	return pointcheckout.Update{OrderID: ref.OrderID, CheckoutID: ref.CheckoutID, RequestID: ref.RequestID,
		Status: pointcheckout.StatusPending, Amount: ref.Amount, Ref: ref, Source: pointcheckout.SourcePay}
}

// update is a verified update of ref's checkout.
func update(ref pointcheckout.Ref, st pointcheckout.Status, src pointcheckout.Source) pointcheckout.Update {
	return pointcheckout.Update{OrderID: ref.OrderID, CheckoutID: ref.CheckoutID, RequestID: ref.RequestID,
		Status: st, Amount: ref.Amount, Ref: ref, Source: src}
}

func money(t testing.TB, minor int64) pointcheckout.Money {
	t.Helper()
	m, err := pointcheckout.NewMoney(minor, "AED")
	require.NoError(t, err)
	return m
}

// gatewayAttempt creates a checkout on the sandbox for order and returns
// its Ref, as /pay would record it.
func gatewayAttempt(t testing.TB, gw *pointcheckouttest.Server, order string, n int, amount pointcheckout.Money, created time.Time) pointcheckout.Ref {
	t.Helper()
	ref := attemptRef(order, n, amount, created)
	co, err := gw.Client().CreateWebCheckout(context.Background(), &pointcheckout.CheckoutRequest{
		RequestID:      ref.RequestID,
		OrderID:        order,
		Amount:         amount,
		Items:          []pointcheckout.Item{{Name: "Saffron", Quantity: 1, LineTotal: amount}},
		Customer:       pointcheckout.Customer{FirstName: "Layla", LastName: "Haddad", Email: "layla@example.com"},
		BillingAddress: pointcheckout.Address{Name: "Layla Haddad", Address1: "12 Creek Rd", City: "Dubai", Country: "AE"},
		ReturnURL:      "http://127.0.0.1/pay/return",
	})
	require.NoError(t, err)
	ref.CheckoutID = co.ID
	return ref
}

// handler is a pointcheckout.Handler on the sandbox whose updater is l.
func handler(t testing.TB, gw *pointcheckouttest.Server, l *sqlledger.Ledger) *pointcheckout.Handler {
	t.Helper()
	keys, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	h, err := pointcheckout.New(pointcheckout.Config{
		Client:  gw.Client(),
		Orders:  pointcheckout.OrdersFunc(func(*http.Request) (*pointcheckout.CheckoutRequest, error) { return nil, pointcheckout.ErrNotFound }),
		Updater: l,
		Keys:    []pointcheckout.KeyPair{keys},
	})
	require.NoError(t, err)
	return h
}
