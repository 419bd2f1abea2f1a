// Command gin is a one-product shop built with Gin that takes card payments
// through PointCheckout's hosted payment page, mounted with the small pcgin
// adapter.
//
// With no API credentials in the environment it starts the in-process
// sandbox (package pointcheckouttest) on a loopback port and pays there, so
//
//	go run .
//
// is enough to try it: open the URL it prints and pay with the test card
// 4242 4242 4242 4242, expiry 12/25, CVV 100, name TEST USER.
//
// Environment:
//
//	SHOP_ADDR                  address to listen on (default 127.0.0.1:8081)
//	SHOP_BASE_URL              where shoppers reach the shop (default http://SHOP_ADDR;
//	                           required when SHOP_ADDR is not loopback)
//	POINTCHECKOUT_API_KEY      Merchant API key; empty: use the sandbox
//	POINTCHECKOUT_API_SECRET   Merchant API secret
//	POINTCHECKOUT_ENV          test (default), live, paymennt-test or paymennt-live
//	SHOP_COOKIE_KEYS           cookie key pairs (see pointcheckout.ParseKeyPairs);
//	                           empty: random keys, valid until the shop stops
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, logger); err != nil {
		logger.Error("shop stopped", "err", err)
		os.Exit(1)
	}
}

// run serves the shop until ctx ends.
func run(ctx context.Context, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", envOr("SHOP_ADDR", "127.0.0.1:8081"))
	if err != nil {
		return err
	}
	defer ln.Close()
	base := os.Getenv("SHOP_BASE_URL")
	if base == "" {
		if ip, ok := ln.Addr().(*net.TCPAddr); !ok || !ip.IP.IsLoopback() {
			// The gateway sends shoppers back to this URL: guessing it from
			// a wildcard listen address would send them nowhere.
			return errors.New("SHOP_BASE_URL is required when SHOP_ADDR is not a loopback address")
		}
		base = "http://" + ln.Addr().String()
	}

	client, closeClient, err := paymentClient(logger)
	if err != nil {
		return err
	}
	defer closeClient()
	keys, err := cookieKeys(logger)
	if err != nil {
		return err
	}
	shop, _, err := newShop(shopConfig{Client: client, Keys: keys, BaseURL: base, Logger: logger})
	if err != nil {
		return err
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

// paymentClient talks to PointCheckout when credentials are set, and to a
// sandbox started on loopback otherwise. The returned function releases it.
func paymentClient(logger *slog.Logger) (*pointcheckout.Client, func(), error) {
	key := os.Getenv("POINTCHECKOUT_API_KEY")
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
	env, err := pointcheckout.EnvironmentNamed(envOr("POINTCHECKOUT_ENV", "test"))
	if err != nil {
		return nil, nil, err
	}
	client, err := pointcheckout.NewClient(pointcheckout.ClientConfig{
		Key:         key,
		Secret:      pointcheckout.Secret(os.Getenv("POINTCHECKOUT_API_SECRET")),
		Environment: env,
		Logger:      logger,
	})
	if err != nil {
		return nil, nil, err
	}
	return client, client.CloseIdleConnections, nil
}

// cookieKeys reads the cookie keys, or makes random ones for a demo run.
func cookieKeys(logger *slog.Logger) ([]pointcheckout.KeyPair, error) {
	if s := os.Getenv("SHOP_COOKIE_KEYS"); s != "" {
		keys, err := pointcheckout.ParseKeyPairs(s)
		if err != nil {
			// The error may quote the variable; keep the keys out of it.
			return nil, errors.New("SHOP_COOKIE_KEYS is not a valid list of key pairs")
		}
		return keys, nil
	}
	k, err := pointcheckout.GenerateKeyPair()
	if err != nil {
		return nil, fmt.Errorf("cookie keys: %w", err)
	}
	logger.Warn("no SHOP_COOKIE_KEYS: using random cookie keys; payments in flight are lost on restart and other instances cannot read them")
	return []pointcheckout.KeyPair{k}, nil
}

// envOr returns the variable's value, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
