package minishop

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// Main runs a shop command: it serves the shop build makes, with the
// settings Run reads from the process environment, until SIGINT or SIGTERM.
// It logs to stderr and exits with status 1 when the shop cannot start or
// stops on an error.
func Main(defaultAddr string, build Builder) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, logger, os.Getenv, defaultAddr, build)
	stop()
	if err != nil {
		logger.Error("shop stopped", "err", err)
		os.Exit(1)
	}
}

// Run serves the shop build makes until ctx ends. getenv (os.Getenv in a
// command) gives the settings:
//
//	SHOP_ADDR                  address to listen on (default defaultAddr)
//	SHOP_BASE_URL              where shoppers reach the shop (default http://SHOP_ADDR;
//	                           required when SHOP_ADDR is not loopback)
//	POINTCHECKOUT_API_KEY      Merchant API key; empty: use the sandbox
//	POINTCHECKOUT_API_SECRET   Merchant API secret
//	POINTCHECKOUT_ENV          test (default), live, paymennt-test or paymennt-live
//	POINTCHECKOUT_COOKIE_KEYS           cookie key pairs (see pointcheckout.ParseKeyPairs);
//	                           empty: random keys, valid until the shop stops
//	SHOP_DB                    the SQLite database file of the orders and their payments;
//	                           empty: one in a temporary directory, removed when the shop stops
//
// With no API key it starts the in-process sandbox on a loopback port, so a
// shop can be tried with no account. While it serves, the shop's Sweeper
// settles the payments whose shopper never came back.
func Run(ctx context.Context, logger *slog.Logger, getenv func(string) string, defaultAddr string, build Builder) error {
	ln, base, err := listen(getenv, defaultAddr)
	if err != nil {
		return err
	}
	defer ln.Close()

	client, closeClient, err := paymentClient(getenv, logger)
	if err != nil {
		return err
	}
	defer closeClient()
	keys, err := cookieKeys(getenv, logger)
	if err != nil {
		return err
	}
	db, closeDB, err := database(ctx, getenv, logger)
	if err != nil {
		return err
	}
	defer closeDB()
	shop, s, err := build(ctx, Config{Client: client, Keys: keys, BaseURL: base, DB: db, Logger: logger})
	if err != nil {
		return err
	}
	if s != nil && s.Sweeper != nil {
		sweepCtx, stopSweeping := context.WithCancel(ctx)
		var sweeping sync.WaitGroup
		sweeping.Go(func() { s.Sweeper.Run(sweepCtx) })
		// Stopped before the database closes.
		defer sweeping.Wait()
		defer stopSweeping()
	}

	srv := &http.Server{Handler: shop, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	logger.Info("shop ready: open it in a browser", "url", base+"/")

	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// listen opens SHOP_ADDR and returns the base URL shoppers reach it under.
func listen(getenv func(string) string, defaultAddr string) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", envOr(getenv, "SHOP_ADDR", defaultAddr))
	if err != nil {
		return nil, "", err
	}
	base := getenv("SHOP_BASE_URL")
	if base == "" {
		if ip, ok := ln.Addr().(*net.TCPAddr); !ok || !ip.IP.IsLoopback() {
			ln.Close()
			// The gateway sends shoppers back to this URL: guessing it from
			// a wildcard listen address would send them nowhere.
			return nil, "", errors.New("SHOP_BASE_URL is required when SHOP_ADDR is not a loopback address")
		}
		base = "http://" + ln.Addr().String()
	}
	return ln, base, nil
}

// paymentClient talks to PointCheckout when credentials are set, and to a
// sandbox started on loopback otherwise. The returned function releases it.
func paymentClient(getenv func(string) string, logger *slog.Logger) (*pointcheckout.Client, func(), error) {
	key := getenv("POINTCHECKOUT_API_KEY")
	if key == "" {
		sandbox, err := pointcheckouttest.Start("127.0.0.1:0", pointcheckouttest.WithLogger(logger))
		if err != nil {
			return nil, nil, err
		}
		logger.Warn("no POINTCHECKOUT_API_KEY: paying on the local sandbox; no real money moves",
			"sandbox", sandbox.URL, "card", pointcheckouttest.CardPaid,
			"expiry", pointcheckouttest.TestExpiry, "cvv", pointcheckouttest.TestCVV)
		return sandbox.Client(), sandbox.Close, nil
	}
	env, err := pointcheckout.EnvironmentNamed(envOr(getenv, "POINTCHECKOUT_ENV", "test"))
	if err != nil {
		return nil, nil, err
	}
	client, err := pointcheckout.NewClient(pointcheckout.ClientConfig{
		Key:         key,
		Secret:      pointcheckout.NewSecret(getenv("POINTCHECKOUT_API_SECRET")),
		Environment: env,
		Logger:      logger,
	})
	if err != nil {
		return nil, nil, err
	}
	return client, client.CloseIdleConnections, nil
}

// cookieKeys reads the cookie keys, or makes random ones for a demo run.
func cookieKeys(getenv func(string) string, logger *slog.Logger) ([]pointcheckout.KeyPair, error) {
	if s := getenv("POINTCHECKOUT_COOKIE_KEYS"); s != "" {
		keys, err := pointcheckout.ParseKeyPairs(s)
		if err != nil {
			// The error may quote the variable; keep the keys out of it.
			return nil, errors.New("POINTCHECKOUT_COOKIE_KEYS is not a valid list of key pairs")
		}
		return keys, nil
	}
	k, err := pointcheckout.GenerateKeyPair()
	if err != nil {
		return nil, fmt.Errorf("cookie keys: %w", err)
	}
	logger.Warn("no POINTCHECKOUT_COOKIE_KEYS: using random cookie keys; payments in flight are lost on restart and other instances cannot read them")
	return []pointcheckout.KeyPair{k}, nil
}

// database opens SHOP_DB, or a database in a new temporary directory. The
// returned function closes it, and removes the temporary one.
func database(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*sql.DB, func(), error) {
	path, remove := getenv("SHOP_DB"), func() {}
	if path == "" {
		dir, err := os.MkdirTemp("", "minishop-")
		if err != nil {
			return nil, nil, err
		}
		path, remove = filepath.Join(dir, "shop.db"), func() { _ = os.RemoveAll(dir) }
		logger.Warn("no SHOP_DB: keeping the orders in a temporary database, removed when the shop stops", "db", path)
	}
	db, err := OpenDB(ctx, path)
	if err != nil {
		remove()
		return nil, nil, err
	}
	return db, func() { _ = db.Close(); remove() }, nil
}

// envOr returns the variable's value, or def when it is unset or empty.
func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}
