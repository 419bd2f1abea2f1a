package main

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"net/url"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL through database/sql, registered as "pgx"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// database is the shop's database: SQLite (the default) or PostgreSQL,
// with the same statements on both. Statements are written with ?
// parameters; sql rewrites them for PostgreSQL.
type database struct {
	db      *sql.DB
	dialect sqlledger.Dialect
}

// sql writes a statement for the database: PostgreSQL's numbered
// parameters in place of ? (the shop's statements hold no other question
// mark).
func (d database) sql(s string) string { return d.dialect.Rebind(s) }

// migrations are the versions of the shop's own tables (the ledger keeps
// its own, see sqlledger.Ledger.Migrate); migrate applies those a database
// has not seen. Amounts are integer minor units next to their currency,
// never REAL, and times Unix nanoseconds, so both come back exactly.
var migrations = [][]string{
	// 1: carts and orders, as the shop had them before the attempt ledger
	// (the payment columns are dropped by step 2).
	{
		`CREATE TABLE IF NOT EXISTS carts (
			session    TEXT   NOT NULL,
			product_id TEXT   NOT NULL,
			qty        BIGINT NOT NULL CHECK (qty > 0),
			PRIMARY KEY (session, product_id)
		)`,
		`CREATE TABLE IF NOT EXISTS orders (
			id             TEXT   PRIMARY KEY,
			session        TEXT   NOT NULL,
			created_at     BIGINT NOT NULL,
			updated_at     BIGINT NOT NULL,
			first_name     TEXT   NOT NULL,
			last_name      TEXT   NOT NULL,
			email          TEXT   NOT NULL,
			address        TEXT   NOT NULL,
			city           TEXT   NOT NULL,
			country        TEXT   NOT NULL,
			payment_method TEXT   NOT NULL,
			amount_minor   BIGINT NOT NULL,
			currency       TEXT   NOT NULL,
			status         TEXT   NOT NULL DEFAULT '',
			checkout_id    TEXT   NOT NULL DEFAULT '',
			request_id     TEXT   NOT NULL DEFAULT '',
			ref_created_at BIGINT NOT NULL DEFAULT 0
		)`,
		`CREATE INDEX IF NOT EXISTS orders_checkout ON orders (checkout_id)`,
		`CREATE TABLE IF NOT EXISTS order_lines (
			order_id   TEXT   NOT NULL REFERENCES orders (id),
			line       BIGINT NOT NULL,
			product_id TEXT   NOT NULL,
			name       TEXT   NOT NULL,
			unit_minor BIGINT NOT NULL,
			qty        BIGINT NOT NULL,
			line_minor BIGINT NOT NULL,
			PRIMARY KEY (order_id, line)
		)`,
	},
	// 2: the attempt ledger keeps the attempts and every update; an order
	// keeps only its payment state, written by the ledger's OrderChanged.
	// Orders from before keep their last status as a payment state (their
	// old history stays in order_updates, if the database has one).
	{
		`ALTER TABLE orders ADD COLUMN payment_state TEXT NOT NULL DEFAULT 'none'`,
		`UPDATE orders SET payment_state = CASE status
			WHEN 'PENDING' THEN 'pending' WHEN 'PENDING_CONFIRMATION' THEN 'confirming'
			WHEN 'AUTHORIZED' THEN 'authorized' WHEN 'PAID' THEN 'paid'
			WHEN 'PARTIALLY_REFUNDED' THEN 'partially_refunded' WHEN 'REFUNDED' THEN 'refunded'
			WHEN 'CHARGEBACK' THEN 'chargeback' WHEN 'FAILED' THEN 'failed'
			WHEN 'CANCELLED' THEN 'cancelled' WHEN 'EXPIRED' THEN 'expired' ELSE 'none' END`,
		`DROP INDEX IF EXISTS orders_checkout`,
		`ALTER TABLE orders DROP COLUMN status`,
		`ALTER TABLE orders DROP COLUMN checkout_id`,
		`ALTER TABLE orders DROP COLUMN request_id`,
		`ALTER TABLE orders DROP COLUMN ref_created_at`,
		`CREATE INDEX IF NOT EXISTS orders_created ON orders (created_at)`,
		`CREATE INDEX IF NOT EXISTS orders_session ON orders (session, created_at)`,
		// Every change of an order's payment state, as OrderChanged
		// delivered it, and the instance it reached.
		`CREATE TABLE IF NOT EXISTS payment_changes (
			order_id     TEXT   NOT NULL REFERENCES orders (id),
			at           BIGINT NOT NULL,
			state_before TEXT   NOT NULL,
			state_after  TEXT   NOT NULL,
			instance     TEXT   NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS payment_changes_order ON payment_changes (order_id, at)`,
	},
}

// migrate brings the shop's tables to the latest version, in one
// transaction. It is idempotent and safe from several instances starting at
// once: PostgreSQL serializes it with an advisory lock, SQLite with its
// write lock (every transaction of the shop's SQLite begins IMMEDIATE).
func (d database) migrate(ctx context.Context) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if d.dialect == sqlledger.PostgreSQL {
		h := fnv.New64a()
		h.Write([]byte("shop schema"))
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
			return err
		}
	}
	for _, s := range []string{
		`CREATE TABLE IF NOT EXISTS shop_schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)`,
		`INSERT INTO shop_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`,
	} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	var version int
	if err := tx.QueryRowContext(ctx, `SELECT version FROM shop_schema WHERE id = 1`).Scan(&version); err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("the shop's tables are at version %d, newer than this shop's %d", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		for _, s := range migrations[v] {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("schema step %d: %w", v+1, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, d.sql(`UPDATE shop_schema SET version = ? WHERE id = 1`), len(migrations)); err != nil {
		return err
	}
	return tx.Commit()
}

// openSQLite opens (creating if needed) the SQLite file at path.
//
// Every transaction begins IMMEDIATE, taking the write lock up front, so
// two writers serialize instead of one failing at commit. busy_timeout
// makes the second writer wait for the lock rather than fail; WAL lets the
// pages keep reading meanwhile.
func openSQLite(path string) (database, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return database{}, fmt.Errorf("open %s: %w", path, err)
	}
	return database{db: db, dialect: sqlledger.SQLite}, nil
}

// openPostgres opens the PostgreSQL database at a postgres:// URL through
// pgx's database/sql driver.
func openPostgres(rawURL string) (database, error) {
	db, err := sql.Open("pgx", rawURL)
	if err != nil {
		return database{}, err
	}
	// A handful of connections per instance: several instances share one
	// server, whose default allows 100.
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	return database{db: db, dialect: sqlledger.PostgreSQL}, nil
}

// isPostgresURL reports whether s names a PostgreSQL database.
func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}
