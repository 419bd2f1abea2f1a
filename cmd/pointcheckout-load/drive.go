package main

import (
	"context"
	"fmt"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxErrorSamples is how many error messages the report keeps.
const maxErrorSamples = 5

// memSampleEvery is how often peak memory is sampled. ReadMemStats stops
// the world briefly; 20 samples a second cost nothing measurable.
const memSampleEvery = 50 * time.Millisecond

// drive runs the shoppers until -n flows have started or -duration has
// passed, and measures them. Flows already running at the deadline finish.
func (e *environment) drive(ctx context.Context, o options) *report {
	gw, _ := url.Parse(e.gatewayURL)
	dials := &dialCounter{gatewayHost: gw.Host}
	rep := &report{Concurrency: o.concurrency, Page: o.page, Gateway: e.gatewayURL}

	stopSampling := make(chan struct{})
	var sampled sync.WaitGroup
	sampled.Go(func() { rep.sampleMemory(stopSampling) })

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	gwBefore, shopBefore := e.gatewayConns(), e.shopConns.Load()
	cpuBefore := processCPU()

	deadline, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var (
		next      atomic.Int64
		finished  atomic.Int64
		mu        sync.Mutex
		latencies []time.Duration
		wg        sync.WaitGroup
	)
	start := time.Now()
	if o.progress {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					fmt.Fprintf(e.stderr, "progress %d/%d\n", finished.Load(), o.flows)
				}
			}
		}()
	}
	for range o.concurrency {
		s := newShopper(e, dials, o.page, o.failEvery)
		wg.Go(func() {
			defer s.transport.CloseIdleConnections()
			var mine []time.Duration
			var errs []string
			for deadline.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= o.flows {
					break
				}
				// A flow is not cut short by the run's deadline, only by
				// its own timeout or an interrupt.
				t0 := time.Now()
				err := s.flow(ctx, i)
				finished.Add(1)
				if err != nil {
					errs = append(errs, err.Error())
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			rep.Errors += len(errs)
			for _, msg := range errs {
				if len(rep.ErrorSamples) < maxErrorSamples {
					rep.ErrorSamples = append(rep.ErrorSamples, msg)
				}
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpuAfter := processCPU()
	runtime.ReadMemStats(&after)
	close(stopSampling)
	sampled.Wait()

	rep.Flows = min(int(next.Load()), o.flows)
	rep.OK = len(latencies)
	rep.Elapsed = elapsed
	if elapsed > 0 {
		rep.FlowsPerSecond = float64(rep.OK) / elapsed.Seconds()
	}
	slices.Sort(latencies)
	rep.P50, rep.P95, rep.P99 = percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99)
	if len(latencies) > 0 {
		rep.Max = latencies[len(latencies)-1]
	}
	if rep.Flows > 0 {
		rep.AllocsPerFlow = (after.Mallocs - before.Mallocs) / uint64(rep.Flows)
		rep.BytesPerFlow = (after.TotalAlloc - before.TotalAlloc) / uint64(rep.Flows)
	}
	rep.GCCycles = after.NumGC - before.NumGC
	if cpuBefore >= 0 && cpuAfter >= 0 && elapsed > 0 && rep.Flows > 0 {
		cpu := cpuAfter - cpuBefore
		rep.CoresBusy = cpu.Seconds() / elapsed.Seconds()
		rep.CPUPerFlow = cpu / time.Duration(rep.Flows)
	}
	rep.ShopConns = e.shopConns.Load() - shopBefore
	rep.GatewayConns = -1
	if gwBefore >= 0 {
		// The sandbox also accepts the browsers' connections to its
		// payment page; what is left is the shop's API client.
		rep.GatewayConns = e.gatewayConns() - gwBefore - dials.gateway.Load()
	}
	rep.BrowserGatewayConns = dials.gateway.Load()
	return rep
}

// percentile returns the p-th percentile (nearest rank) of sorted.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[max(rank, 1)-1]
}

// sampleMemory records the peak heap in use and memory obtained from the
// OS until stop is closed.
func (r *report) sampleMemory(stop <-chan struct{}) {
	t := time.NewTicker(memSampleEvery)
	defer t.Stop()
	var m runtime.MemStats
	for {
		runtime.ReadMemStats(&m)
		r.PeakHeapInuse = max(r.PeakHeapInuse, m.HeapInuse)
		r.PeakSys = max(r.PeakSys, m.Sys)
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}
