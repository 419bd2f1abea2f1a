// Command shop is a small web shop that takes card payments through
// PointCheckout's hosted payment page with the pointcheckout package.
//
// Run it with no configuration and it starts the package's sandbox on a
// loopback port and pays there with the documented test card:
//
//	cd examples/shop && go run .
//
// To use the real API set POINTCHECKOUT_ENV (test, live, paymennt-test or
// paymennt-live), POINTCHECKOUT_API_KEY and POINTCHECKOUT_API_SECRET;
// POINTCHECKOUT_ENV=custom with POINTCHECKOUT_BASE_URL pays on another
// gateway, such as a shared pointcheckout-sandbox; POINTCHECKOUT_ENV=sandbox,
// or none of the three, is the built-in sandbox, and anything else stops
// the shop with the reason. The other variables:
// POINTCHECKOUT_COOKIE_KEYS (payment cookie keys; `go run
// ./cmd/pointcheckout-keys` in the repository root prints a value),
// SHOP_ADDR (default 127.0.0.1:8080), SHOP_BASE_URL (the public URL;
// required off loopback), SHOP_DB (default ./shop.db; the sandbox keeps
// its checkouts beside it), SHOP_DATABASE_URL (a postgres:// URL: orders
// and the payment ledger in PostgreSQL instead, shared by any number of
// instances), SHOP_INSTANCE (names the instance in the X-Shop-Instance
// header and the logs), SHOP_ADMIN_PASSWORD (guards /admin; required
// unless the shop is reachable from this machine only and pays on the
// sandbox), SHOP_TRUSTED_PROXIES (reverse proxies whose X-Forwarded-For is
// believed), SHOP_RATE_LIMIT_SCALE (multiplies the shop-wide request
// limits, default 1), SHOP_TIMEZONE (default the machine's) and
// SHOP_RECONCILE_EVERY (default 1m).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // SHOP_TIMEZONE works on machines without a zone database

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

func main() {
	newKeys := flag.Bool("new-cookie-keys", false, "print a new value for POINTCHECKOUT_COOKIE_KEYS and exit")
	flag.Parse()
	if *newKeys {
		k, err := pointcheckout.GenerateKeyPair()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(k.Encode())
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Getenv, os.Stdout, log); err != nil {
		log.Error("shop stopped", "error", err)
		os.Exit(1)
	}
}

// run starts the shop and serves until ctx ends, then shuts down cleanly.
func run(ctx context.Context, getenv func(string) string, out io.Writer, log *slog.Logger) error {
	st, err := readSettings(getenv)
	if err != nil {
		return err
	}
	for _, w := range st.Warnings {
		log.Warn(w)
	}
	if st.DatabaseURL == "" || st.Sandbox() {
		// SQLite's file, or the built-in sandbox's state beside it.
		if err := checkDBPath(st.DBPath); err != nil {
			return err
		}
	}
	ln, err := listen(ctx, st.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	keys, err := cookieKeys(st.CookieKeys, log)
	if err != nil {
		return err
	}
	base := st.BaseURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}

	var client *pointcheckout.Client
	var sandbox *pointcheckouttest.Server
	if st.Sandbox() {
		host, _, _ := net.SplitHostPort(ln.Addr().String())
		if !isLoopback(host) {
			return errors.New("SHOP_ADDR: the built-in sandbox is reachable from this machine only; listen on loopback, or set POINTCHECKOUT_ENV and the API credentials")
		}
		state := sandboxStateFile(st.DBPath)
		sandbox, err = pointcheckouttest.Start("127.0.0.1:0",
			pointcheckouttest.WithNotifyURL(base+payPath+"/notify"),
			pointcheckouttest.WithStateFile(state),
			pointcheckouttest.WithLogger(log.With("component", "sandbox")))
		if err != nil {
			return fmt.Errorf("start the sandbox with its state in %s (beside SHOP_DB): %w", state, err)
		}
		defer sandbox.Close()
		client = sandbox.Client()
	} else {
		env, err := st.gateway()
		if err != nil {
			return fmt.Errorf("POINTCHECKOUT_ENV: %w", err)
		}
		client, err = pointcheckout.NewClient(pointcheckout.ClientConfig{
			Key: st.APIKey, Secret: pointcheckout.NewSecret(st.APISecret), Environment: env, Logger: log,
		})
		if err != nil {
			return err
		}
		if env.Live {
			log.Warn("LIVE environment: payments move real money", "environment", env.Name)
		}
	}
	defer client.CloseIdleConnections()

	shop, err := New(ctx, Config{
		DBPath: st.DBPath, DatabaseURL: st.DatabaseURL, Instance: st.Instance,
		Client: client, Keys: keys, BaseURL: base,
		AdminPassword: st.AdminPassword, TrustedProxies: st.TrustedProxies,
		Location: st.Location, Logger: log, SweepEvery: st.ReconcileEvery,
		Limits: defaultLimits().scaleTotals(st.RateScale),
	})
	var dbErr *dbError
	if errors.As(err, &dbErr) {
		if st.DatabaseURL != "" {
			return fmt.Errorf("SHOP_DATABASE_URL: %s", dbErr.Cause())
		}
		return fmt.Errorf("SHOP_DB=%s: %s", st.DBPath, dbErr.Cause())
	}
	if err != nil {
		return err
	}
	defer shop.Close()

	srv := &http.Server{
		Handler:           shop,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// The sweep stops, and is waited for, before the database closes.
	var sweeper sync.WaitGroup
	sweepCtx, stopSweeps := context.WithCancel(ctx)
	sweeper.Go(func() { shop.RunReconciler(sweepCtx) })
	defer sweeper.Wait()
	defer stopSweeps()
	banner(out, base, sandbox, sandboxStateFile(st.DBPath), client.Environment())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(stopCtx)
}

// sandboxStateFile is where the built-in sandbox keeps its checkouts:
// beside the shop's database, so that a restarted shop and its sandbox
// still agree on every payment in flight ("shop.db" keeps
// "shop.sandbox.json").
func sandboxStateFile(dbPath string) string {
	return strings.TrimSuffix(dbPath, filepath.Ext(dbPath)) + ".sandbox.json"
}

// cookieKeys parses POINTCHECKOUT_COOKIE_KEYS, or makes a random pair for
// this run.
func cookieKeys(s string, log *slog.Logger) ([]pointcheckout.KeyPair, error) {
	if s != "" {
		keys, err := pointcheckout.ParseKeyPairs(s)
		if err != nil {
			return nil, fmt.Errorf("POINTCHECKOUT_COOKIE_KEYS: %w", err)
		}
		return keys, nil
	}
	k, err := pointcheckout.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	log.Warn("POINTCHECKOUT_COOKIE_KEYS is not set: using random cookie keys for this run only. " +
		"A restart loses payments in flight and several instances cannot share them; " +
		"set POINTCHECKOUT_COOKIE_KEYS in production (go run ./cmd/pointcheckout-keys in the repository root prints a value).")
	return []pointcheckout.KeyPair{k}, nil
}

// banner tells the person who started the shop where to go.
func banner(out io.Writer, base string, sandbox *pointcheckouttest.Server, state string, env pointcheckout.Environment) {
	fmt.Fprintf(out, "\nSouk Demo shop\n\n  Open the shop:  %s/\n  Orders (admin): %s/admin\n", base, base)
	if sandbox == nil {
		fmt.Fprintf(out, "\n  Payments go to the PointCheckout %s environment at %s.\n", env.Name, env.BaseURL)
	} else {
		fmt.Fprintf(out, "\n  Payments go to the built-in PointCheckout sandbox at %s.\n", sandbox.URL)
		fmt.Fprintf(out, "  Test card:      4242 4242 4242 4242, expiry %s, CVV %s, name %s\n",
			pointcheckouttest.TestExpiry, pointcheckouttest.TestCVV, pointcheckouttest.TestName)
		fmt.Fprintf(out, "  Declined card:  4000 0000 0000 0002\n")
		fmt.Fprintf(out, "  The sandbox keeps its checkouts in %s, beside the shop's database.\n", state)
	}
	fmt.Fprintf(out, "\nPress Ctrl+C to stop.\n\n")
}
