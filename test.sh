#!/usr/bin/env bash
# Every check of every module: go vet, staticcheck, the race-enabled tests,
# each fuzz target for a short bounded time, and the library's tests on the
# newer supported Go release. This is the one command the README gives and
# CI runs.
#
#   FUZZTIME=5s         how long each fuzz target runs (0 skips fuzzing;
#                       scripts/security-report.sh fuzzes 30s each)
#   SECOND_GO=go1.27.3  the other supported Go release ("" skips it)
#   FUZZ_GO=go1.27.3    the Go release that runs the fuzz targets ("" uses
#                       the default one)
#   FUZZJOBS=2          how many fuzz targets run at once (default: the cores)
#   FUZZ_MODULES=.      the modules whose fuzz targets are fuzzed (the
#                       examples' targets are fuzzed with
#                       FUZZ_MODULES=". examples/shop"; go test runs their
#                       seeds either way)
set -euo pipefail
cd "$(dirname "$0")"
# Each module is checked with its own go.mod, as a user gets it; go.work is
# for working on several modules at once.
export GOWORK=off

FUZZTIME=${FUZZTIME:-5s}
SECOND_GO=${SECOND_GO-go1.27.3}
# Fuzzing runs on Go 1.27: before it, a -fuzztime that expires can fail a
# healthy target with a bare "context deadline exceeded" (go.dev/issue/75804,
# a race in the fuzzing coordinator, fixed in 1.27.0 and not in 1.26).
FUZZ_GO=${FUZZ_GO-go1.27.3}
# Each new interesting input is minimized for at most this long (go test's
# default is 60s). Minimizing the inputs of the targets that go through
# loopback HTTP otherwise takes most of the fuzzing time: FuzzNotifyHandler
# ran 17k inputs in 30s with the default and 298k with 2s.
FUZZMINIMIZE=2s
# How many fuzz targets run at once, each with one worker.
FUZZJOBS=${FUZZJOBS:-$(nproc)}
# The demo shop's fuzz build alone (it compiles the pure-Go SQLite driver
# with coverage instrumentation) takes about 2.5 minutes on two cores, more
# than its four targets are worth in every CI run.
read -r -a fuzz_modules <<<"${FUZZ_MODULES:-.}"

modules=(. specconformance internal/ledgertest pcgin pcecho examples/shop examples/minishop examples/gin examples/echo examples/chi)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Built once rather than go run in every module.
GOBIN=$work/bin go install honnef.co/go/tools/cmd/staticcheck@v0.8.2

# check MODULE: vet, staticcheck and the race-enabled tests of one module;
# a line says how it went and how long it took. Every step runs even after
# one fails, and every module even after one fails, so that one run shows
# everything that is wrong; the script fails at the end.
check() {
	local m=$1 start=$SECONDS ok=1
	echo "== $m: vet, staticcheck, tests"
	# vet with -race: it then builds the dependencies the way the tests do.
	(cd "$m" && go vet -race ./...) || ok=
	# staticcheck beside the tests, whose waits (browsers, servers) leave
	# a core free; its findings are printed after them.
	(cd "$m" && "$work/bin/staticcheck" ./...) >"$work/staticcheck.log" 2>&1 &
	local sc=$!
	(cd "$m" && go test -race -count=1 -timeout 20m ./...) || ok=
	wait "$sc" || ok=
	cat "$work/staticcheck.log"
	local result=FAILED
	[ -z "$ok" ] || result=ok
	echo "== $m: $((SECONDS - start)) s, $result"
	[ -n "$ok" ]
}

failed=()
for m in "${modules[@]}"; do
	check "$m" || failed+=("$m")
done

# fuzztargets DIR: the fuzz targets of one package directory.
fuzztargets() {
	grep -ho '^func Fuzz[A-Za-z0-9_]*' "$1"/*_test.go 2>/dev/null | cut -c6- | sort -u || true
}

# The library's tests on the other release. When it is also the fuzzing
# release, each package's tests run in a fuzzing build (-fuzz with its
# first target, or none, for one input): the tests are the same, and the
# instrumented build the fuzz targets need is then made once, not twice.
prebuilt=
if [ -n "$SECOND_GO" ]; then
	echo "== library tests on $SECOND_GO"
	start=$SECONDS
	if [ "$FUZZTIME" != 0 ] && [ "$FUZZ_GO" = "$SECOND_GO" ]; then
		prebuilt=.
		# The root package first (it builds what the others share), then
		# the others two at a time.
		i=0
		while read -r pkg dir; do
			[ "$i" -gt 1 ] && while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n || true; done
			i=$((i + 1))
			target=$(fuzztargets "$dir" | sed -n 1p)
			(GOTOOLCHAIN=$SECOND_GO go test -count=1 -fuzz "^${target:-NoFuzzTarget}\$" -fuzztime 1x "$pkg" ||
				echo "$SECOND_GO $pkg" >"$work/second.$i.failed") </dev/null >"$work/second.$i.log" 2>&1 &
			[ "$i" -eq 1 ] && wait
		done < <(go list -f '{{.ImportPath}} {{.Dir}}' ./...)
		wait
		for j in $(seq 1 "$i"); do
			cat "$work/second.$j.log"
			[ -e "$work/second.$j.failed" ] && failed+=("$(cat "$work/second.$j.failed")")
		done
	else
		GOTOOLCHAIN=$SECOND_GO go test -count=1 ./... || failed+=("$SECOND_GO")
	fi
	echo "== $SECOND_GO: $((SECONDS - start)) s"
fi

if [ "$FUZZTIME" != 0 ]; then
	# Each target of each package of each module (go test -fuzz takes exactly
	# one target and one package), FUZZJOBS at a time with one worker each:
	# the cores are shared out instead of every target waiting its turn.
	start=$SECONDS
	fuzzlog=$work/fuzz
	mkdir "$fuzzlog"
	fuzzdirs=()
	for m in "${fuzz_modules[@]}"; do
		dirs=()
		for dir in $(cd "$m" && go list -f '{{.Dir}}' ./...); do
			[ -n "$(fuzztargets "$dir")" ] && dirs+=("$dir")
		done
		fuzzdirs+=("${dirs[@]}")
		[ "$m" = "$prebuilt" ] && continue
		# One package at a time first, running its first target once: the
		# instrumented build is then made once, not by two jobs at once.
		for dir in "${dirs[@]}"; do
			(cd "$dir" && GOTOOLCHAIN=${FUZZ_GO:-local} go test -run '^$' -fuzz "^$(fuzztargets "$dir" | sed -n 1p)\$" -fuzztime 1x -parallel 1 . >/dev/null 2>&1) || true
		done
	done
	n=0
	for dir in "${fuzzdirs[@]}"; do
		for target in $(fuzztargets "$dir"); do
			while [ "$(jobs -rp | wc -l)" -ge "$FUZZJOBS" ]; do wait -n || true; done
			n=$((n + 1))
			rel=${dir#"$PWD"} && rel=${rel#/}
			(
				echo "== fuzz $target in ${rel:-.} for $FUZZTIME"
				cd "$dir" && GOTOOLCHAIN=${FUZZ_GO:-local} go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZE" -parallel 1 . 2>&1 ||
					echo "fuzz $target" >"$fuzzlog/$n.failed"
			) >"$fuzzlog/$n.log" &
		done
	done
	wait
	echo "== fuzzing: $((SECONDS - start)) s"
	for i in $(seq 1 "$n"); do
		cat "$fuzzlog/$i.log"
		[ -e "$fuzzlog/$i.failed" ] && failed+=("$(cat "$fuzzlog/$i.failed")")
	done
fi

if [ ${#failed[@]} -gt 0 ]; then
	echo "== FAILED: ${failed[*]}"
	exit 1
fi
echo "== all checks passed"
