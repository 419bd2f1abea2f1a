package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// listen opens the shop's listener. A failure names SHOP_ADDR and its
// likely cause rather than the bare system error.
func listen(ctx context.Context, addr string) (net.Listener, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err == nil {
		return ln, nil
	}
	var why string
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		why = "the address is already in use, most likely by another copy of the shop still running; stop it or choose another port, such as SHOP_ADDR=127.0.0.1:8081"
	case errors.Is(err, syscall.EACCES), errors.Is(err, fs.ErrPermission):
		why = "this user may not listen there (ports below 1024 need privileges); choose a port above 1024, such as 8080"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		why = "no network interface of this machine has that address; use 127.0.0.1, or 0.0.0.0 for every interface"
	default:
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			why = "the host name does not resolve; use an IP address such as 127.0.0.1"
		} else {
			why = "cannot listen: " + err.Error()
		}
	}
	return nil, fmt.Errorf("SHOP_ADDR=%s: %s", clip(addr), why)
}

// dbError is a database the shop could not open or set up.
type dbError struct {
	path string
	err  error
}

func (e *dbError) Error() string { return fmt.Sprintf("database %s: %v", e.path, e.err) }

func (e *dbError) Unwrap() error { return e.err }

// checkDBPath reports a database path that cannot work whatever the file
// holds (its directory is missing, or it is a directory), before anything
// else, such as the sandbox's state beside it, trips over it.
func checkDBPath(path string) error {
	if cause := pathProblem(path); cause != "" {
		return fmt.Errorf("SHOP_DB=%s: %s", path, cause)
	}
	return nil
}

// pathProblem says what is wrong with a database path as a path, or "".
func pathProblem(path string) string {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil {
		return fmt.Sprintf("the directory %s does not exist; create it, or name a file in an existing directory", dir)
	} else if !fi.IsDir() {
		return fmt.Sprintf("%s is a file, not a directory", dir)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return "that is a directory; SHOP_DB names the database file, such as " + filepath.Join(path, "shop.db")
	}
	return ""
}

// Cause says what is most likely wrong with the database file and what to
// do about it.
func (e *dbError) Cause() string {
	if e.path == "SHOP_DATABASE_URL" {
		return "the PostgreSQL database cannot be used (is the server running, and may this user create tables?): " + e.err.Error()
	}
	dir := filepath.Dir(e.path)
	if cause := pathProblem(e.path); cause != "" {
		return cause
	}
	var se *sqlite.Error
	if errors.As(e.err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return "the file is not a SQLite database (another program's file?); name a new file and the shop creates it"
		case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_AUTH:
			return fmt.Sprintf("the shop may not write the file or its directory %s; run it as a user that may, or name a file elsewhere", dir)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return "the database is locked by another process, such as another copy of the shop; stop it, or give this one its own SHOP_DB"
		case sqlite3.SQLITE_FULL:
			return "the disk is full"
		case sqlite3.SQLITE_CORRUPT:
			return "the database file is damaged; restore it from a backup, or name a new file"
		}
	}
	if errors.Is(e.err, fs.ErrPermission) {
		return fmt.Sprintf("the shop may not write the file or its directory %s; run it as a user that may, or name a file elsewhere", dir)
	}
	return "cannot be opened: " + e.err.Error()
}
