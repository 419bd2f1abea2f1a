// Package ledgertest runs the sqlledger package against real databases:
// SQLite (modernc.org/sqlite, pure Go) and a throwaway PostgreSQL server
// (internal/pgtest, through pgx's database/sql driver). It is its own module
// so that the drivers never reach the library's go.mod.
package ledgertest
