package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRun starts the program as `go run .` would, on the sandbox, fetches
// the shop page it announces, and stops it the way Ctrl+C does.
func TestRun(t *testing.T) {
	env := map[string]string{"SHOP_ADDR": "127.0.0.1:0", "SHOP_DB": filepath.Join(t.TempDir(), "shop.db")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) string { return env[k] }, w, slog.New(slog.DiscardHandler))
		w.Close()
	}()

	var shopURL string
	var banner strings.Builder
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		banner.WriteString(lines.Text() + "\n")
		if u, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), "Open the shop:"); ok {
			shopURL = strings.TrimSpace(u)
		}
		if strings.HasPrefix(lines.Text(), "Press Ctrl+C") {
			break
		}
	}
	go io.Copy(io.Discard, out)
	require.NotEmpty(t, shopURL, banner.String())
	assert.Contains(t, banner.String(), "4242 4242 4242 4242, expiry 12/25, CVV 100, name TEST USER")

	resp, err := http.Get(shopURL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	cancel()
	require.NoError(t, <-done, "a clean shutdown")
	_, err = http.Get(shopURL)
	assert.Error(t, err, "the server is gone")
}
