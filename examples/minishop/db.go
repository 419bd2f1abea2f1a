package minishop

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, in pure Go
)

// OpenDB opens the SQLite database at path, creating the file if need be.
// Writers wait for each other (a busy timeout) rather than fail, and reads
// go on while one writes (WAL).
func OpenDB(ctx context.Context, path string) (*sql.DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("shop: database path %q: name a file, without ? or #", path)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("shop: database %s: %w", path, err)
	}
	return db, nil
}
