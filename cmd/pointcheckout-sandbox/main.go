// Command pointcheckout-sandbox runs the pointcheckouttest sandbox on a
// loopback port: the PointCheckout Merchant API v2.0 and its hosted payment
// page, for the demo shop, manual testing and load tests. It prints the base
// URL and the credentials to configure a shop with, and runs until
// interrupted.
//
//	pointcheckout-sandbox -addr 127.0.0.1:8089 -key demo -secret demo-secret -ttl 30m -state sandbox.json
//
// Without -key and -secret it makes up random credentials. These are
// sandbox credentials, good for nothing but this process, which is why
// they are printed. With -state the checkouts (and made-up credentials)
// are kept in a JSON file, so a restarted sandbox still knows the
// checkouts a demo shop's database refers to.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "pointcheckout-sandbox:", err)
		}
		os.Exit(2)
	}
}

// run starts the sandbox as args say, prints how to reach it to stdout,
// and serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pointcheckout-sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8089", "loopback `address` to listen on")
	key := fs.String("key", "", "API key to accept (random if empty)")
	secret := fs.String("secret", "", "API secret to accept (random if empty)")
	ttl := fs.Duration("ttl", pointcheckouttest.DefaultTTL, "how long an unpaid checkout stays payable")
	settle := fs.Duration("settle", pointcheckouttest.DefaultSettleDelay, "how long a \"paid later\" test card stays pending")
	paymennt := fs.Bool("paymennt-headers", false, "expect the X-Paymennt-Api-* credential headers")
	enum := fs.Bool("enum-status", false, "spell statuses as the OpenAPI enum does (Paid) instead of PAID")
	postBack := fs.Bool("postback", false, "return shoppers with a POST form instead of a redirect")
	notify := fs.String("notify", "", "loopback `URL` to POST status change hints to")
	pageURL := fs.String("payment-page-url", "", "answer redirectUrl on this `base` URL instead of the sandbox's own (the page is still served here)")
	state := fs.String("state", "", "keep checkouts and credentials in this JSON `file` across restarts")
	noReturn := fs.Bool("no-return-params", false, "return shoppers to the returnUrl without the checkout and reference parameters")
	verbose := fs.Bool("v", false, "log every checkout change to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if (*key == "") != (*secret == "") {
		return errors.New("give both -key and -secret, or neither")
	}

	opts := []pointcheckouttest.Option{pointcheckouttest.WithTTL(*ttl), pointcheckouttest.WithSettleDelay(*settle)}
	if *key != "" {
		opts = append(opts, pointcheckouttest.WithCredentials(*key, *secret))
	}
	if *paymennt {
		opts = append(opts, pointcheckouttest.WithPaymenntHeaders())
	}
	if *enum {
		opts = append(opts, pointcheckouttest.WithEnumStatusSpelling())
	}
	if *postBack {
		opts = append(opts, pointcheckouttest.WithPostBack())
	}
	if *notify != "" {
		opts = append(opts, pointcheckouttest.WithNotifyURL(*notify))
	}
	if *pageURL != "" {
		opts = append(opts, pointcheckouttest.WithPaymentPageURL(*pageURL))
	}
	if *state != "" {
		opts = append(opts, pointcheckouttest.WithStateFile(*state))
	}
	if *noReturn {
		opts = append(opts, pointcheckouttest.WithoutReturnParams())
	}
	if *verbose {
		opts = append(opts, pointcheckouttest.WithLogger(slog.New(slog.NewTextHandler(stderr, nil))))
	}
	srv, err := pointcheckouttest.Start(*addr, opts...)
	if err != nil {
		return err
	}
	defer srv.Close()

	env := srv.Environment()
	fmt.Fprintf(stdout, "PointCheckout sandbox listening on %s\n", srv.URL)
	fmt.Fprintf(stdout, "  base URL:      %s\n", srv.BaseURL())
	headers := env.KeyHeader + ", " + env.SecretHeader
	if *paymennt {
		headers += ", or " + pointcheckouttest.PointCheckoutKeyHeader + ", " + pointcheckouttest.PointCheckoutSecretHeader
	}
	fmt.Fprintf(stdout, "  API key:       %s\n", srv.Key)
	fmt.Fprintf(stdout, "  API secret:    %s\n", srv.Secret)
	fmt.Fprintf(stdout, "  headers:       %s\n", headers)
	if *pageURL != "" {
		fmt.Fprintf(stdout, "  payment page:  answered on %s, served on %s\n", *pageURL, srv.URL)
	}
	if *state != "" {
		fmt.Fprintf(stdout, "  state file:    %s (checkouts kept: %d)\n", *state, len(srv.Checkouts()))
	}
	fmt.Fprintf(stdout, "  checkouts expire after %s\n", ttl.String())
	fmt.Fprintln(stdout, "  test cards (any MM/YY expiry, any 3 digit CVV, e.g. 12/25, 100, TEST USER):")
	for _, c := range pointcheckouttest.TestCards() {
		fmt.Fprintf(stdout, "    %s  %s\n", c.Number, c.Description)
	}

	<-ctx.Done()
	fmt.Fprintln(stdout, "shutting down")
	return nil
}
