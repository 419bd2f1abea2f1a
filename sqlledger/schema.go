package sqlledger

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Dialect is the SQL spoken by the database behind a Ledger's *sql.DB.
type Dialect int

// The supported databases.
const (
	// SQLite, for example through modernc.org/sqlite.
	SQLite Dialect = iota + 1
	// PostgreSQL, for example through github.com/jackc/pgx/v5/stdlib.
	PostgreSQL
)

// String names the dialect.
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "SQLite"
	case PostgreSQL:
		return "PostgreSQL"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// Rebind writes query's ? parameters as the dialect's: PostgreSQL's $1,
// $2, ...; unchanged for SQLite. The query must hold no other question
// mark. A shop that keeps its own tables beside the ledger's can write its
// statements once for both databases.
func (d Dialect) Rebind(query string) string {
	if d != PostgreSQL {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// DefaultPrefix is the table name prefix when Config.Prefix is empty.
const DefaultPrefix = "pointcheckout_"

// validPrefix accepts what needs no quoting in SQLite and PostgreSQL:
// letters, digits and underscores, not starting with a digit, and short
// enough that every table and index name stays under PostgreSQL's 63 bytes.
func validPrefix(p string) bool {
	if p == "" || len(p) > 40 || ('0' <= p[0] && p[0] <= '9') {
		return false
	}
	for _, c := range []byte(p) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// migrations are the schema's versions, in order; Migrate applies those a
// database has not seen. {p} is the table prefix and {id} an
// auto-incrementing primary key. Times are Unix nanoseconds and amounts
// integer minor units beside their currency, so a Ref reads back exactly as
// it was written, in both dialects.
var migrations = [][]string{{
	// One row per order: the row every update of the order locks first,
	// and its payment state as derived from its attempts by the same
	// transaction that changed them.
	`CREATE TABLE IF NOT EXISTS {p}orders (
		order_id   TEXT   PRIMARY KEY,
		state      TEXT   NOT NULL,
		received   BIGINT NOT NULL,
		changed_at BIGINT NOT NULL
	)`,
	// One row per attempt (checkout), with its whole Ref from /pay.
	`CREATE TABLE IF NOT EXISTS {p}attempts (
		id           {id},
		order_id     TEXT     NOT NULL,
		checkout_id  TEXT     NOT NULL UNIQUE,
		request_id   TEXT     NOT NULL UNIQUE,
		amount_minor BIGINT   NOT NULL,
		currency     TEXT     NOT NULL,
		created_at   BIGINT   NOT NULL,
		status       TEXT     NOT NULL,
		open         SMALLINT NOT NULL,
		recorded_at  BIGINT   NOT NULL,
		updated_at   BIGINT   NOT NULL,
		checked_at   BIGINT   NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS {p}attempts_order ON {p}attempts (order_id, id)`,
	`CREATE INDEX IF NOT EXISTS {p}attempts_open ON {p}attempts (checked_at, id) WHERE open = 1`,
	// Every update received, applied or not.
	`CREATE TABLE IF NOT EXISTS {p}updates (
		id           {id},
		order_id     TEXT   NOT NULL,
		at           BIGINT NOT NULL,
		source       TEXT   NOT NULL,
		checkout_id  TEXT   NOT NULL,
		request_id   TEXT   NOT NULL,
		status       TEXT   NOT NULL,
		amount_minor BIGINT NOT NULL,
		currency     TEXT   NOT NULL,
		outcome      TEXT   NOT NULL,
		detail       TEXT   NOT NULL,
		state_before TEXT   NOT NULL,
		state_after  TEXT   NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS {p}updates_order ON {p}updates (order_id, id)`,
}}

// Migrate creates the ledger's tables, or brings them to this version of
// the package. It is idempotent, and safe to run from several instances at
// once: PostgreSQL serializes it with an advisory lock, SQLite with its
// write lock. Run it at start, before serving.
//
// The tables, each named with Config.Prefix in front: orders (one row per
// order: its derived payment state), attempts (one row per checkout, with
// its Ref and status), updates (every update received: the audit trail) and
// schema (the version applied).
func (l *Ledger) Migrate(ctx context.Context) error {
	if err := l.migrate(ctx); err != nil {
		return fmt.Errorf("sqlledger: migrate: %w", err)
	}
	return nil
}

func (l *Ledger) migrate(ctx context.Context) error {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// SQLite: BEGIN IMMEDIATE takes the write lock before the version is
	// read, so two instances cannot both decide to apply a step.
	begin, lock := "BEGIN IMMEDIATE", ""
	if l.dialect == PostgreSQL {
		h := fnv.New64a()
		h.Write([]byte(l.prefix + "schema"))
		begin, lock = "BEGIN", "SELECT pg_advisory_xact_lock("+strconv.FormatInt(int64(h.Sum64()), 10)+")"
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	stmts := []string{lock, l.sql(`CREATE TABLE IF NOT EXISTS {p}schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)`),
		l.sql(`INSERT INTO {p}schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`)}
	for _, s := range stmts {
		if s == "" {
			continue
		}
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	var version int
	if err := conn.QueryRowContext(ctx, l.sql(`SELECT version FROM {p}schema WHERE id = 1`)).Scan(&version); err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("the tables are at version %d, newer than this package's %d", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		for _, s := range migrations[v] {
			if _, err := conn.ExecContext(ctx, l.sql(s)); err != nil {
				return fmt.Errorf("step %d: %w", v+1, err)
			}
		}
	}
	if _, err := conn.ExecContext(ctx, l.sql(`UPDATE {p}schema SET version = ? WHERE id = 1`), len(migrations)); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	done = true
	return nil
}

// sql writes a statement for the ledger's database: the table prefix in
// place of {p}, the dialect's key column in place of {id}, and
// PostgreSQL's numbered parameters in place of ? (the statements hold no
// other question mark).
func (l *Ledger) sql(s string) string {
	id := "INTEGER PRIMARY KEY AUTOINCREMENT"
	if l.dialect == PostgreSQL {
		id = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
	}
	return l.dialect.Rebind(strings.NewReplacer("{p}", l.prefix, "{id}", id).Replace(s))
}

// queries are the ledger's statements, written once for its dialect.
type queries struct {
	lockOrder, orderState, setState               string
	attempts, attemptByCheckout, attemptByRequest string
	otherAttempt, insertAttempt, updateAttempt    string
	insertUpdate, history, open, claim            string
}

// attemptColumns are the columns scanAttempt reads.
const attemptColumns = `order_id, checkout_id, request_id, amount_minor, currency, created_at, status`

func (l *Ledger) prepareQueries() {
	claim := `UPDATE {p}attempts SET checked_at = ? WHERE id IN (
		SELECT id FROM {p}attempts
		WHERE open = 1 AND checked_at <= ? AND created_at <= ? AND created_at >= ?
		ORDER BY checked_at, id LIMIT ? %s)
		RETURNING ` + attemptColumns
	lock := ""
	if l.dialect == PostgreSQL {
		// Attempts another instance is claiming are skipped, not waited
		// for: each goes to exactly one sweeper.
		lock = "FOR UPDATE SKIP LOCKED"
	}
	l.q = queries{
		// The first statement of every update: it takes SQLite's write
		// lock and PostgreSQL's lock on the order's row, so updates of one
		// order run one at a time on any number of instances.
		lockOrder: l.sql(`INSERT INTO {p}orders (order_id, state, received, changed_at) VALUES (?, ?, 1, ?)
			ON CONFLICT (order_id) DO UPDATE SET received = {p}orders.received + 1`),
		orderState:        l.sql(`SELECT state FROM {p}orders WHERE order_id = ?`),
		setState:          l.sql(`UPDATE {p}orders SET state = ?, changed_at = ? WHERE order_id = ?`),
		attempts:          l.sql(`SELECT ` + attemptColumns + ` FROM {p}attempts WHERE order_id = ? ORDER BY id`),
		attemptByCheckout: l.sql(`SELECT ` + attemptColumns + ` FROM {p}attempts WHERE checkout_id = ?`),
		attemptByRequest:  l.sql(`SELECT ` + attemptColumns + ` FROM {p}attempts WHERE request_id = ?`),
		otherAttempt:      l.sql(`SELECT order_id FROM {p}attempts WHERE checkout_id = ? OR request_id = ? LIMIT 1`),
		insertAttempt:     l.sql(`INSERT INTO {p}attempts (` + attemptColumns + `, open, recorded_at, updated_at, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`),
		updateAttempt:     l.sql(`UPDATE {p}attempts SET status = ?, open = ?, updated_at = ? WHERE checkout_id = ?`),
		insertUpdate: l.sql(`INSERT INTO {p}updates (order_id, at, source, checkout_id, request_id, status, amount_minor, currency, outcome, detail, state_before, state_after)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		history: l.sql(`SELECT id, at, source, checkout_id, request_id, status, amount_minor, currency, outcome, detail, state_before, state_after
			FROM {p}updates WHERE order_id = ? ORDER BY id`),
		open: l.sql(`SELECT ` + attemptColumns + ` FROM {p}attempts
			WHERE open = 1 AND created_at >= ? ORDER BY checked_at, id LIMIT ?`),
		claim: l.sql(fmt.Sprintf(claim, lock)),
	}
}
