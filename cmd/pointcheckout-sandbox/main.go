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
//
// For load tests, -fault-rate makes that share of API requests fail
// transiently (5xx, 429, dropped connections, delays), and -inspect serves
// on a second loopback address what the sandbox knows, as JSON: GET
// /checkouts (every checkout: id, request and order id, status, amount) and
// GET /stats (API requests and injected faults by kind).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

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
	faultRate := fs.Float64("fault-rate", 0, "share of API requests, 0 to 1, that fail transiently (5xx, 429, dropped connection, delay)")
	faultDelay := fs.Duration("fault-delay", pointcheckouttest.DefaultFaultDelay, "how long a delay fault of -fault-rate holds an answer back")
	inspect := fs.String("inspect", "", "loopback `address` serving GET /checkouts and GET /stats as JSON")
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
	if *faultRate != 0 {
		opts = append(opts, pointcheckouttest.WithFaultRate(*faultRate), pointcheckouttest.WithFaultDelay(*faultDelay))
	}
	if *verbose {
		opts = append(opts, pointcheckouttest.WithLogger(slog.New(slog.NewTextHandler(stderr, nil))))
	}
	srv, err := pointcheckouttest.Start(*addr, opts...)
	if err != nil {
		return err
	}
	defer srv.Close()
	var inspectURL string
	if *inspect != "" {
		stopInspect, u, err := serveInspect(*inspect, srv)
		if err != nil {
			return err
		}
		defer stopInspect()
		inspectURL = u
	}

	fmt.Fprintf(stdout, "PointCheckout sandbox listening on %s\n", srv.URL)
	fmt.Fprintf(stdout, "  base URL:      %s\n", srv.BaseURL())
	headers := pointcheckouttest.PointCheckoutKeyHeader + ", " + pointcheckouttest.PointCheckoutSecretHeader
	if *paymennt {
		headers = pointcheckouttest.PaymenntKeyHeader + ", " + pointcheckouttest.PaymenntSecretHeader + ", or " + headers
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
	if *faultRate != 0 {
		fmt.Fprintf(stdout, "  faults:        %.0f%% of API requests fail transiently\n", *faultRate*100)
	}
	if inspectURL != "" {
		fmt.Fprintf(stdout, "  inspect:       %s/checkouts, %s/stats\n", inspectURL, inspectURL)
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

// inspectCheckout is one checkout in GET /checkouts.
type inspectCheckout struct {
	ID        string `json:"id"`
	RequestID string `json:"requestId"`
	OrderID   string `json:"orderId"`
	Status    string `json:"status"`
	Amount    string `json:"amount"`
}

// inspectStats is GET /stats.
type inspectStats struct {
	// Requests counts the API requests by endpoint (create, get, ...).
	Requests map[string]int `json:"requests"`
	// Faults counts the injected faults by kind.
	Faults map[string]int `json:"faults"`
}

// serveInspect serves what srv knows on a loopback address: the load
// generator's view of the gateway's truth. It returns how to stop it and
// its URL.
func serveInspect(addr string, srv *pointcheckouttest.Server) (func(), string, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return nil, "", fmt.Errorf("-inspect %q: want a loopback address such as 127.0.0.1:8090", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("-inspect: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /checkouts", func(w http.ResponseWriter, _ *http.Request) {
		all := srv.Checkouts()
		out := make([]inspectCheckout, len(all))
		for i, c := range all {
			out[i] = inspectCheckout{ID: c.ID, RequestID: c.RequestID, OrderID: c.OrderID, Status: c.Status.String(), Amount: c.Amount.String()}
		}
		writeJSON(w, out)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		st := inspectStats{Requests: map[string]int{}, Faults: srv.InjectedFaults()}
		for _, r := range srv.Requests() {
			st.Requests[r.Endpoint.String()]++
		}
		if st.Faults == nil {
			st.Faults = map[string]int{}
		}
		writeJSON(w, st)
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return func() { _ = hs.Close() }, "http://" + ln.Addr().String(), nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
