#!/usr/bin/env bash
# Reproduces the figures of BENCHMARKS.md: the flow and codec benchmarks in
# one go test run, the one-core flow ratio, benchstat's comparisons, then the
# load generator at 1, 16 and 256 concurrent shoppers.
#
#   COUNT=6      runs of each benchmark (benchstat wants at least 6)
#   FLOWS=5000   flows per load level (each level also stops after 30s)
#   LEVELS="1 16 256"
#   OUT=dir      where the raw results go (default: a new temporary directory)
#
# Everything (shoppers, shop, sandbox) runs on this machine: close other
# work first, or the figures measure the neighbours.
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-6}
FLOWS=${FLOWS:-5000}
LEVELS=${LEVELS:-"1 16 256"}
OUT=${OUT:-$(mktemp -d -t pointcheckout-bench.XXXXXX)}
BENCHSTAT=(go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da)
mkdir -p "$OUT"

{
	echo "nproc: $(nproc)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	go version
	echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt"

# BenchmarkFlow lives with the suites, BenchmarkCodec with the codec; go
# test runs the benchmarks of several packages one package at a time.
echo "== go test -bench 'Flow|Codec' -count $COUNT"
go test -run '^$' -bench 'Flow|Codec' -benchmem -count "$COUNT" ./internal/suite ./internal/codec | tee "$OUT/bench.txt"

# The headline ratio: the two flows alternate in rounds on one core, so
# both see the same machine; the fastest round of each is compared.
echo "== go test -bench FlowRatio -cpu 1 -count $COUNT"
go test -run '^$' -bench FlowRatio -benchtime 600x -count "$COUNT" -cpu 1 ./internal/suite | tee "$OUT/ratio.txt"

# benchstat compares columns by a key=value part of the benchmark name, so
# name the implementation: BenchmarkFlow/package-2 -> BenchmarkFlow/impl=package-2.
sed -E 's#^Benchmark(Flow|Codec)/([a-z-]+)-([0-9]+)([[:space:]])#Benchmark\1/impl=\2-\3\4#' \
	"$OUT/bench.txt" >"$OUT/bench-impl.txt"
{
	echo "== flow: package against the hand-written integration (base)"
	"${BENCHSTAT[@]}" -filter '.name:Flow' -col '/impl@(handwritten package)' "$OUT/bench-impl.txt"
	echo "== codec: package against securecookie-gob (base)"
	"${BENCHSTAT[@]}" -filter '.name:Codec' -col '/impl@(securecookie-gob package)' "$OUT/bench-impl.txt"
	echo "== codec: package against the bare standard library floor (base)"
	"${BENCHSTAT[@]}" -filter '.name:Codec' -col '/impl@(floor package)' "$OUT/bench-impl.txt"
} | tee "$OUT/benchstat.txt"

go build -o "$OUT/pointcheckout-load" ./cmd/pointcheckout-load
{
	printf '%-8s %8s %9s %9s %9s %6s %9s %7s %8s %6s %6s\n' shoppers flows/s p50 p95 p99 cores cpu/flow allocs gw-conns shop errors
	for c in $LEVELS; do
		"$OUT/pointcheckout-load" -c "$c" -n "$FLOWS" -duration 30s -json >"$OUT/load-c$c.json" || true
		jq -r 'def ms: (./1e4|floor)/100|tostring+"ms";
			[.concurrency, (.flows_per_second|floor), (.p50_ns|ms), (.p95_ns|ms), (.p99_ns|ms),
			((.cores_busy*100|floor)/100), (.cpu_per_flow_ns|ms), .allocs_per_flow, .gateway_conns, .shop_conns,
			(.errors+.mismatches)] | @tsv' "$OUT/load-c$c.json" |
			awk -F'\t' '{printf "%-8s %8s %9s %9s %9s %6s %9s %7s %8s %6s %6s\n", $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11}'
	done
} | tee "$OUT/load.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt"
echo "raw results in $OUT"
