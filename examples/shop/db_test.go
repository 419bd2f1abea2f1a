package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pointcheckout-go/pointcheckout/sqlledger"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSQLPlaceholders(t *testing.T) {
	const q = `UPDATE orders SET payment_state = ? WHERE id = ? AND session = ?`
	assert.Equal(t, q, database{dialect: sqlledger.SQLite}.sql(q))
	assert.Equal(t, `UPDATE orders SET payment_state = $1 WHERE id = $2 AND session = $3`, database{dialect: sqlledger.PostgreSQL}.sql(q))
}

// openTestDB opens the database onDB selects, without migrating it.
func openTestDB(t *testing.T, onDB func(*Config)) database {
	t.Helper()
	cfg := Config{DBPath: filepath.Join(t.TempDir(), "shop.db")}
	onDB(&cfg)
	var (
		d   database
		err error
	)
	if cfg.DatabaseURL != "" {
		d, err = openPostgres(cfg.DatabaseURL)
	} else {
		d, err = openSQLite(cfg.DBPath)
	}
	require.NoError(t, err)
	t.Cleanup(func() { d.db.Close() })
	return d
}

// TestMigrateIdempotent: instances starting together all migrate, none
// fails, and the tables end at the latest version; again changes nothing.
func TestMigrateIdempotent(t *testing.T) {
	forEachDB(t, func(t *testing.T, onDB func(*Config)) {
		d := openTestDB(t, onDB)
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Go(func() { errs[i] = d.migrate(ctx) })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		require.NoError(t, d.migrate(ctx))
		var version int
		require.NoError(t, d.db.QueryRow(`SELECT version FROM shop_schema WHERE id = 1`).Scan(&version))
		assert.Equal(t, len(migrations), version)
		for _, table := range []string{"carts", "orders", "order_lines", "payment_changes"} {
			var n int
			require.NoError(t, d.db.QueryRow(`SELECT COUNT(*) FROM `+table).Scan(&n), table)
			assert.Zero(t, n, table)
		}
	})
}

// TestMigrateFromBeforeTheLedger: a database of the shop from before the
// attempt ledger keeps its orders, each with its last status as a payment
// state, and loses no table.
func TestMigrateFromBeforeTheLedger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	old, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	for _, s := range []string{
		`CREATE TABLE carts (session TEXT NOT NULL, product_id TEXT NOT NULL, qty INTEGER NOT NULL CHECK (qty > 0), PRIMARY KEY (session, product_id))`,
		`CREATE TABLE orders (id TEXT PRIMARY KEY, session TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
			first_name TEXT NOT NULL, last_name TEXT NOT NULL, email TEXT NOT NULL, address TEXT NOT NULL, city TEXT NOT NULL,
			country TEXT NOT NULL, payment_method TEXT NOT NULL, amount_minor INTEGER NOT NULL, currency TEXT NOT NULL,
			status TEXT NOT NULL DEFAULT '', checkout_id TEXT NOT NULL DEFAULT '', request_id TEXT NOT NULL DEFAULT '',
			ref_created_at INTEGER NOT NULL DEFAULT 0)`,
		`CREATE INDEX orders_checkout ON orders (checkout_id)`,
		`CREATE TABLE order_lines (order_id TEXT NOT NULL REFERENCES orders (id), line INTEGER NOT NULL, product_id TEXT NOT NULL,
			name TEXT NOT NULL, unit_minor INTEGER NOT NULL, qty INTEGER NOT NULL, line_minor INTEGER NOT NULL, PRIMARY KEY (order_id, line))`,
		`CREATE TABLE order_updates (id INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, outcome TEXT NOT NULL)`,
		`INSERT INTO orders VALUES ('SO-PAID', 's', 1, 1, 'A', 'B', 'a@example.com', 'x', 'y', 'AE', 'card', 12000, 'AED', 'PAID', 'c1', 'r1', 1)`,
		`INSERT INTO orders VALUES ('SO-COD', 's', 2, 2, 'A', 'B', 'a@example.com', 'x', 'y', 'AE', 'cod', 9000, 'AED', '', '', '', 0)`,
		`INSERT INTO order_updates (order_id, outcome) VALUES ('SO-PAID', 'applied')`,
	} {
		_, err := old.Exec(s)
		require.NoError(t, err, s)
	}
	require.NoError(t, old.Close())

	d, err := openSQLite(path)
	require.NoError(t, err)
	defer d.db.Close()
	require.NoError(t, d.migrate(context.Background()))
	store := &orderStore{database: d}
	got, err := store.list(context.Background(), `SELECT `+orderColumns+` FROM orders ORDER BY created_at`)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "paid", string(got[0].Payment))
	assert.Equal(t, "120.00 AED", got[0].Amount.String())
	assert.Equal(t, "none", string(got[1].Payment))
	var kept int
	require.NoError(t, d.db.QueryRow(`SELECT COUNT(*) FROM order_updates`).Scan(&kept))
	assert.Equal(t, 1, kept, "the old history is kept")
}
