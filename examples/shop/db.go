package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// schema is applied on every start; every statement is idempotent.
//
// Amounts are stored as integer minor units next to their currency, never as
// REAL, so they come back exactly as they went in. Times are Unix
// nanoseconds so a Ref read back equals the Ref that was written.
const schema = `
CREATE TABLE IF NOT EXISTS carts (
	session    TEXT    NOT NULL,
	product_id TEXT    NOT NULL,
	qty        INTEGER NOT NULL CHECK (qty > 0),
	PRIMARY KEY (session, product_id)
);
CREATE TABLE IF NOT EXISTS orders (
	id             TEXT    PRIMARY KEY,
	session        TEXT    NOT NULL,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	first_name     TEXT    NOT NULL,
	last_name      TEXT    NOT NULL,
	email          TEXT    NOT NULL,
	address        TEXT    NOT NULL,
	city           TEXT    NOT NULL,
	country        TEXT    NOT NULL,
	payment_method TEXT    NOT NULL,
	amount_minor   INTEGER NOT NULL,
	currency       TEXT    NOT NULL,
	status         TEXT    NOT NULL DEFAULT '',
	checkout_id    TEXT    NOT NULL DEFAULT '',
	request_id     TEXT    NOT NULL DEFAULT '',
	ref_created_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS orders_checkout ON orders (checkout_id);
CREATE TABLE IF NOT EXISTS order_lines (
	order_id   TEXT    NOT NULL REFERENCES orders (id),
	line       INTEGER NOT NULL,
	product_id TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	unit_minor INTEGER NOT NULL,
	qty        INTEGER NOT NULL,
	line_minor INTEGER NOT NULL,
	PRIMARY KEY (order_id, line)
);
CREATE TABLE IF NOT EXISTS order_updates (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	order_id     TEXT    NOT NULL,
	at           INTEGER NOT NULL,
	source       TEXT    NOT NULL,
	checkout_id  TEXT    NOT NULL,
	request_id   TEXT    NOT NULL,
	status       TEXT    NOT NULL,
	amount_minor INTEGER NOT NULL,
	currency     TEXT    NOT NULL,
	ref_created  INTEGER NOT NULL,
	outcome      TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS order_updates_checkout ON order_updates (checkout_id);
CREATE INDEX IF NOT EXISTS order_updates_order ON order_updates (order_id, id);
CREATE INDEX IF NOT EXISTS order_updates_attempts ON order_updates (source, ref_created);
CREATE TABLE IF NOT EXISTS attempt_checks (
	checkout_id TEXT    PRIMARY KEY,
	checked_at  INTEGER NOT NULL
);
`

// openDB opens (creating if needed) the SQLite file at path and applies the
// schema.
//
// Every transaction begins IMMEDIATE, taking the write lock up front, so two
// updates for one order serialize instead of both reading the old status and
// one of them failing at commit. busy_timeout makes the second writer wait
// for the lock rather than fail; WAL lets the pages keep reading meanwhile.
func openDB(ctx context.Context, path string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create schema in %s: %w", path, err)
	}
	return db, nil
}
