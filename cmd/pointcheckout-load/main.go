// Command pointcheckout-load drives concurrent shoppers through the
// pointcheckout handlers and reports what a busy shop would see: flows per
// second, flow latency percentiles, allocations per flow, peak memory, the
// TCP connections opened to the gateway and to the shop, and errors. At the
// end it checks every order in the shop's OrderUpdater against the gateway:
// each checkout recorded in the same status, the order paid exactly when
// one of its checkouts took money, and that change told to the shop once.
// It exits non-zero on any error or mismatch.
//
//	pointcheckout-load -c 16 -n 5000 -duration 30s
//	pointcheckout-load -c 16 -page -gateway http://127.0.0.1:8089 -key demo -secret demo-secret
//
// The shop (a pointcheckout.Handler behind its Middleware, with an order
// catalog, and an order book on pointcheckout.ApplyUpdate as OrderUpdater)
// runs in this process on a loopback listener. The gateway is a
// pointcheckouttest sandbox started in this process, or with -gateway an
// already running pointcheckout-sandbox on loopback. Each flow is one new
// shopper (a fresh cookie jar; each of the -c shoppers keeps its own
// keep-alive connections, as a browser does):
//
//  1. POST /pay for a new order: the shop creates the checkout and answers
//     303 to the payment page;
//  2. the checkout is paid: by the sandbox's Complete hook, or with -page by
//     loading the hosted page and posting its form with a test card, which
//     answers 303 to the shop's return URL;
//  3. GET the return URL: the shop fetches and verifies the checkout,
//     records it and answers 303 to the success (or failure) page;
//  4. GET that page, which must show the order's result.
//
// Every -fail-every'th payment is declined, so the final states differ.
// No flow starts after -n flows or -duration, whichever comes first (flows
// in progress finish, each within 30 seconds); -duration is capped at 10
// minutes. Only loopback addresses are accepted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

// maxDuration is the hard cap on -duration: the tool must never run away.
const maxDuration = 10 * time.Minute

// maxConcurrency bounds -c, well below the file descriptor limits of a
// development machine (each shopper holds up to two connections).
const maxConcurrency = 4096

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case errors.Is(err, errFailed):
		fmt.Fprintln(os.Stderr, "pointcheckout-load:", err)
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "pointcheckout-load:", err)
		os.Exit(2)
	}
}

// options is the parsed command line.
type options struct {
	concurrency int
	flows       int
	duration    time.Duration
	gateway     string
	key, secret string
	page        bool
	failEvery   int
	addr        string
	json        bool
	cpuprofile  string
	// The -shop mode.
	shop, adminPassword, inspect string
	settle                       time.Duration
	progress                     bool
	abandonEvery                 int
}

// errFailed marks a run that completed but found errors or mismatches.
var errFailed = errors.New("load run failed")

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("pointcheckout-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.concurrency, "c", 16, "concurrent shoppers")
	fs.IntVar(&o.flows, "n", 10000, "flows to run at most")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "time to run at most (capped at "+maxDuration.String()+")")
	fs.StringVar(&o.gateway, "gateway", "", "loopback `URL` of a running pointcheckout-sandbox (default: start one in this process)")
	fs.StringVar(&o.key, "key", "", "API key of the -gateway sandbox")
	fs.StringVar(&o.secret, "secret", "", "API secret of the -gateway sandbox")
	fs.BoolVar(&o.page, "page", false, "pay through the hosted page form instead of the sandbox's Complete hook (implied by -gateway)")
	fs.IntVar(&o.failEvery, "fail-every", 10, "decline every `k`th payment (0: none)")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:0", "loopback `address` for the shop to listen on")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the flows to `file`")
	fs.StringVar(&o.shop, "shop", "", "loopback `URL` of a running demo shop (examples/shop) to drive through its pages, paying on the -gateway sandbox")
	fs.StringVar(&o.adminPassword, "admin-password", "", "the -shop's admin password, to read its orders")
	fs.StringVar(&o.inspect, "gateway-inspect", "", "loopback `URL` of the -gateway sandbox's -inspect listing")
	fs.DurationVar(&o.settle, "settle", time.Minute, "with -shop, how long to wait for the shop and the gateway to agree")
	fs.BoolVar(&o.progress, "progress", false, "print the flows done so far to stderr every second")
	fs.IntVar(&o.abandonEvery, "abandon-every", 0, "with -shop, every `k`th shopper leaves the payment page without paying, for the shop's sweep to find (0: none)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	switch {
	case o.concurrency < 1 || o.concurrency > maxConcurrency:
		return o, fmt.Errorf("-c must be between 1 and %d", maxConcurrency)
	case o.flows < 1:
		return o, errors.New("-n must be at least 1")
	case o.duration <= 0 || o.duration > maxDuration:
		return o, fmt.Errorf("-duration must be positive and at most %s", maxDuration)
	case o.failEvery < 0:
		return o, errors.New("-fail-every must not be negative")
	}
	if err := checkLoopbackAddr(o.addr); err != nil {
		return o, fmt.Errorf("-addr: %w", err)
	}
	if o.shop != "" {
		return o, o.checkShopMode()
	}
	if o.inspect != "" || o.adminPassword != "" || o.abandonEvery != 0 {
		return o, errors.New("-gateway-inspect, -admin-password and -abandon-every go with -shop")
	}
	if o.gateway != "" {
		u, err := url.Parse(o.gateway)
		if err != nil || u.Scheme != "http" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return o, errors.New("-gateway must be a URL like http://127.0.0.1:8089")
		}
		if !isLoopbackHost(u.Hostname()) {
			return o, fmt.Errorf("-gateway %q is not on a loopback address", u.Host)
		}
		if o.key == "" || o.secret == "" {
			return o, errors.New("-gateway needs -key and -secret (pointcheckout-sandbox prints them)")
		}
		o.gateway = u.Scheme + "://" + u.Host
		// Another process's sandbox has no Complete hook for this one.
		o.page = true
	} else if o.key != "" || o.secret != "" {
		return o, errors.New("-key and -secret go with -gateway")
	}
	return o, nil
}

func checkLoopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if !isLoopbackHost(host) {
		return fmt.Errorf("%q is not a loopback address", addr)
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// run parses args, runs the load and prints the report to stdout. The
// report is returned even when the run failed (errFailed).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (*report, error) {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return nil, err
	}
	env, err := newEnvironment(o, stderr)
	if err != nil {
		return nil, err
	}
	defer env.close()
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	rep := env.drive(ctx, o)
	if o.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if env.ext != nil {
		rep.verifyExternal(ctx, env)
	} else {
		rep.verify(ctx, env, o)
	}
	if o.json {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeText(stdout)
	}
	if err != nil {
		return rep, err
	}
	if rep.Errors > 0 || rep.Mismatches > 0 || rep.OK == 0 {
		return rep, fmt.Errorf("%w: %d errors, %d mismatches, %d flows ok", errFailed, rep.Errors, rep.Mismatches, rep.OK)
	}
	return rep, nil
}

// checkShopMode checks the options of the -shop mode: every URL on
// loopback, the gateway's listing and the shop's admin password given, and
// the payment on the hosted page.
func (o *options) checkShopMode() error {
	for _, f := range []struct{ name, v string }{{"-shop", o.shop}, {"-gateway", o.gateway}, {"-gateway-inspect", o.inspect}} {
		u, err := url.Parse(f.v)
		if err != nil || u.Scheme != "http" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return fmt.Errorf("%s must be a URL like http://127.0.0.1:8080 (with -shop, -gateway and -gateway-inspect are all needed)", f.name)
		}
		if !isLoopbackHost(u.Hostname()) {
			return fmt.Errorf("%s %q is not on a loopback address", f.name, u.Host)
		}
	}
	switch {
	case o.adminPassword == "":
		return errors.New("-shop needs -admin-password, to read the shop's orders")
	case o.key != "" || o.secret != "":
		return errors.New("-key and -secret are the shop's business with -shop")
	case o.abandonEvery < 0:
		return errors.New("-abandon-every must not be negative")
	case o.settle <= 0 || o.settle > maxDuration:
		return fmt.Errorf("-settle must be positive and at most %s", maxDuration)
	}
	o.shop = strings.TrimSuffix(o.shop, "/")
	o.gateway = strings.TrimSuffix(o.gateway, "/")
	o.inspect = strings.TrimSuffix(o.inspect, "/")
	o.page = true
	return nil
}
