//go:build linux

// Command cluster runs the demo shop as several instances behind a load
// balancer, on this machine only: a throwaway PostgreSQL cluster (Debian's
// postgresql package), pointcheckout-sandbox as the gateway they share
// (its notifications go through the load balancer), three shop instances
// with the same cookie keys and admin password, and HAProxy (Debian's
// haproxy package) doing round robin without stickiness. Run it from the
// demo shop's directory:
//
//	cd examples/shop && go run ./cmd/cluster
//
// It prints the shop's URL and the admin password, and stops everything
// it started, by process id, on Ctrl+C. Each instance names itself in the
// X-Shop-Instance header of its answers; the logs are in the directory it
// prints (-dir keeps them after the run).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
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
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

// run starts the cluster as args say, prints how to reach it, and stops it
// when ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "loopback `address` of the load balancer")
	fs.IntVar(&o.Instances, "instances", 3, "how many shop instances")
	fs.StringVar(&o.Dir, "dir", "", "keep binaries, database and logs in this `directory` (default: a temporary one, removed at the end)")
	fs.Float64Var(&o.FaultRate, "fault-rate", 0, "share of gateway API requests that fail transiently")
	fs.DurationVar(&o.SweepEvery, "sweep", 10*time.Second, "how often the instances sweep open payments")
	fs.IntVar(&o.RateScale, "rate-limit-scale", 1, "multiply the shops' shop-wide request limits (SHOP_RATE_LIMIT_SCALE), for load tests")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o755); err != nil {
			return err
		}
	}
	o.Progress = func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	c, err := Start(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nSouk Demo shop, %d instances behind HAProxy\n\n", len(c.Instances))
	fmt.Fprintf(stdout, "  Open the shop:  %s/\n", c.URL)
	fmt.Fprintf(stdout, "  Orders (admin): %s/admin  (user admin, password %s)\n", c.URL, c.AdminPassword)
	for _, in := range c.Instances {
		fmt.Fprintf(stdout, "  Instance %s:   http://%s, log %s\n", in.Name, in.Addr, in.Log)
	}
	fmt.Fprintf(stdout, "  Gateway:        pointcheckout-sandbox at %s (inspect %s/checkouts)\n", c.GatewayURL, c.InspectURL)
	fmt.Fprintf(stdout, "  Database:       %s\n", c.DatabaseURL)
	fmt.Fprintf(stdout, "  Test card:      4242 4242 4242 4242, expiry %s, CVV %s, name %s\n",
		pointcheckouttest.TestExpiry, pointcheckouttest.TestCVV, pointcheckouttest.TestName)
	fmt.Fprintf(stdout, "\nPress Ctrl+C to stop.\n\n")
	<-ctx.Done()
	fmt.Fprintln(stderr, "stopping")
	return c.Stop()
}
