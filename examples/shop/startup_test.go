package main

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListenNamesTheCause(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()

	tests := []struct {
		name, addr, want string
	}{
		{"address in use", busy.Addr().String(), "SHOP_ADDR=" + busy.Addr().String() + ": the address is already in use, most likely by another copy of the shop"},
		// 192.0.2.1 is TEST-NET-1: no interface of this machine has it, and
		// binding fails locally without sending anything.
		{"address of another machine", "192.0.2.1:8080", "SHOP_ADDR=192.0.2.1:8080: no network interface of this machine has that address"},
		{"port out of range", "127.0.0.1:70000", "SHOP_ADDR=127.0.0.1:70000: cannot listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := listen(context.Background(), tt.addr)
			if ln != nil {
				ln.Close()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}

	ln, err := listen(context.Background(), "127.0.0.1:0")
	require.NoError(t, err, "a free address listens")
	ln.Close()
}

func TestOpenDBNamesTheCause(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(notDB, []byte("these are not the pages of a SQLite database, "+string(make([]byte, 200))), 0o600))
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))

	tests := []struct {
		name, path, want string
	}{
		{"missing directory", filepath.Join(dir, "no", "such", "shop.db"), "the directory " + filepath.Join(dir, "no", "such") + " does not exist"},
		{"a directory", dir, "that is a directory; SHOP_DB names the database file"},
		{"another program's file", notDB, "the file is not a SQLite database"},
		{"below a file", filepath.Join(file, "shop.db"), file + " is a file, not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := openSQLite(tt.path)
			if err == nil {
				err = d.migrate(context.Background())
				d.db.Close()
			}
			require.Error(t, err)
			de := &dbError{path: tt.path, err: err}
			assert.Contains(t, de.Cause(), tt.want)
			assert.True(t, errors.Is(de, err), "the cause stays reachable")
		})
	}
}
