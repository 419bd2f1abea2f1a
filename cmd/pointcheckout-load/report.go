package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// report is what a run measured. Allocations and memory are the whole
// process's: shoppers, shop and (unless -gateway) sandbox together.
type report struct {
	Concurrency int    `json:"concurrency"`
	Page        bool   `json:"page"`
	Gateway     string `json:"gateway"`

	// Flows were started, OK ended on the expected landing page, Errors
	// did not.
	Flows          int           `json:"flows"`
	OK             int           `json:"ok"`
	Errors         int           `json:"errors"`
	ErrorSamples   []string      `json:"error_samples,omitempty"`
	Elapsed        time.Duration `json:"elapsed_ns"`
	FlowsPerSecond float64       `json:"flows_per_second"`

	// Latency of successful flows, nearest rank.
	P50 time.Duration `json:"p50_ns"`
	P95 time.Duration `json:"p95_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`

	// CoresBusy is the process's CPU time over the run's wall time (0:
	// unknown on this platform); CPUPerFlow the CPU time per flow.
	CoresBusy  float64       `json:"cores_busy"`
	CPUPerFlow time.Duration `json:"cpu_per_flow_ns"`

	AllocsPerFlow uint64 `json:"allocs_per_flow"`
	BytesPerFlow  uint64 `json:"bytes_per_flow"`
	GCCycles      uint32 `json:"gc_cycles"`
	PeakHeapInuse uint64 `json:"peak_heap_inuse_bytes"`
	PeakSys       uint64 `json:"peak_sys_bytes"`

	// GatewayConns counts TCP connections the shop's API client opened to
	// the gateway (-1: unknown, the gateway is another process);
	// BrowserGatewayConns those the shoppers opened to the payment page;
	// ShopConns those the shoppers opened to the shop.
	GatewayConns        int64 `json:"gateway_conns"`
	BrowserGatewayConns int64 `json:"browser_gateway_conns"`
	ShopConns           int64 `json:"shop_conns"`

	// Checked orders were compared with the gateway; Mismatches differ.
	Checked         int      `json:"checked"`
	Mismatches      int      `json:"mismatches"`
	MismatchSamples []string `json:"mismatch_samples,omitempty"`

	// Paid of the checked orders took money at the gateway, in any of
	// their attempts; PaidChanges counts the changes to a paid state the
	// shop was told of, which must be one for each of them.
	Paid        int `json:"paid"`
	PaidChanges int `json:"paid_changes"`

	// Orphans (-shop mode) are checkouts the gateway created that no shop
	// recorded: the instance handling /pay died in between, or /pay could
	// not confirm the created checkout. The shopper never reached their
	// payment page, and none took money.
	Orphans int `json:"orphans"`
	// Settled is how long after the last flow the shop and the gateway
	// agreed (-shop mode).
	Settled time.Duration `json:"settled_ns"`

	orphansAllowed bool
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *report) writeText(w io.Writer) error {
	var b strings.Builder
	mode := "sandbox Complete hook"
	if r.Page {
		mode = "hosted payment page"
	}
	fmt.Fprintf(&b, "pointcheckout-load: %d concurrent shoppers, gateway %s, paying through the %s\n", r.Concurrency, r.Gateway, mode)
	fmt.Fprintf(&b, "flows       %d started, %d ok, %d errors in %s\n", r.Flows, r.OK, r.Errors, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "throughput  %.1f flows/s\n", r.FlowsPerSecond)
	fmt.Fprintf(&b, "latency     p50 %s  p95 %s  p99 %s  max %s\n", ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max))
	if r.CoresBusy > 0 {
		fmt.Fprintf(&b, "cpu         %.2f cores busy, %s CPU per flow (whole process)\n", r.CoresBusy, ms(r.CPUPerFlow))
	}
	fmt.Fprintf(&b, "allocs      %d allocs/flow, %d B/flow, %d GC cycles (whole process)\n", r.AllocsPerFlow, r.BytesPerFlow, r.GCCycles)
	fmt.Fprintf(&b, "memory      peak heap in use %.1f MiB, peak from the OS %.1f MiB\n", mib(r.PeakHeapInuse), mib(r.PeakSys))
	gw := "unknown (gateway in another process)"
	if r.GatewayConns >= 0 {
		gw = fmt.Sprint(r.GatewayConns)
	}
	fmt.Fprintf(&b, "tcp conns   to the gateway API %s, to the payment page %d, to the shop %d\n", gw, r.BrowserGatewayConns, r.ShopConns)
	fmt.Fprintf(&b, "orders      %d checked against the gateway, %d mismatches\n", r.Checked, r.Mismatches)
	fmt.Fprintf(&b, "paid        %d orders paid at the gateway, %d changes to paid delivered to the shop\n", r.Paid, r.PaidChanges)
	if r.orphansAllowed || r.Orphans > 0 || r.Settled > 0 {
		fmt.Fprintf(&b, "settled     after %s; %d checkouts created and never recorded by /pay (no money taken)\n", r.Settled.Round(time.Millisecond), r.Orphans)
	}
	for _, s := range r.ErrorSamples {
		fmt.Fprintf(&b, "  error: %s\n", s)
	}
	for _, s := range r.MismatchSamples {
		fmt.Fprintf(&b, "  mismatch: %s\n", s)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func mib(n uint64) float64 { return float64(n) / (1 << 20) }
