#!/usr/bin/env bash
# Runs the adversarial, fault and soak suites (package internal/suite) and
# every fuzz target of the library's module, and prints the evidence table
# of SECURITY.md.
#
#   scripts/security-report.sh        print the table
#   scripts/security-report.sh -w     also write it into SECURITY.md
#
#   FUZZTIME=30s       how long each fuzz target runs (0 skips fuzzing)
#   FUZZ_GO=go1.27.3   the Go release that fuzzes (see test.sh; "" = default)
#   SOAK_LARGE=5000    flows of the large soak run, 200 at once (0 skips it)
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-30s}
FUZZ_GO=${FUZZ_GO-go1.27.3}
SOAK_LARGE=${SOAK_LARGE:-5000}
write=false
[ "${1:-}" = "-w" ] && write=true

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# sum FILE KEY: the total of one counter over every test that reported it,
# "-" when no test of that run counts it.
sum() { awk -v k="$2" '$1 == k { s += $2; n++ } END { if (n) print s; else print "-" }' "$1"; }

echo "== suites, CI size, with -race" >&2
: >"$work/ci"
SECURITY_REPORT="$work/ci" go test -race -count=1 \
	-run '^(TestAttack.*|TestReturnURLSchemeBehindProxies|TestFaults|TestSoak)$' ./internal/suite >&2

large=false
if [ "$SOAK_LARGE" != 0 ]; then
	echo "== soak, $SOAK_LARGE flows" >&2
	: >"$work/large"
	# The package comes before the soak's flags: go test passes the first
	# flag it does not know, and everything after it, to the test binary.
	SECURITY_REPORT="$work/large" go test -count=1 -run '^TestSoak$' ./internal/suite \
		-soak.flows="$SOAK_LARGE" -soak.concurrency=200 >&2
	large=true
fi

row() { # label key
	local ci l="-"
	ci=$(sum "$work/ci" "$2")
	$large && l=$(sum "$work/large" "$2")
	printf '| %s | %s | %s |\n' "$1" "$ci" "$l"
}

fuzzrows() {
	# Each package of the library's module (go test -fuzz takes exactly one
	# target and one package).
	for dir in $(go list -f '{{.Dir}}' ./...); do
		pkg=${dir#"$PWD"} && pkg=.${pkg}
		for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | cut -c6- | sort -u); do
			file=$(grep -l "^func $target(" "$dir"/*_test.go | head -1)
			file=${file#"$PWD"/}
			if [ "$FUZZTIME" = 0 ]; then
				execs="not run"
			else
				echo "== fuzz $pkg $target for $FUZZTIME" >&2
				# On Go 1.27 and with a short minimization, as test.sh (see
				# there why).
				if ! out=$(GOTOOLCHAIN=${FUZZ_GO:-local} go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 2s "$pkg" 2>&1); then
					echo "$out" >&2
					echo "fuzz target $target failed" >&2
					exit 1
				fi
				execs=$(echo "$out" | grep -o 'execs: [0-9]*' | tail -1 | cut -d' ' -f2 || true)
				[ -n "$execs" ] || execs="0 (still gathering baseline coverage)"
			fi
			printf '| `%s` | `%s` | %s |\n' "$target" "$file" "$execs"
		done
	done
	# Targets of the other modules: their seeds run in go test, and test.sh
	# fuzzes them when FUZZ_MODULES names their module.
	grep -rn --include='*_test.go' '^func Fuzz' examples specconformance internal/ledgertest 2>/dev/null |
		sed -E 's/^([^:]*):[0-9]+:func (Fuzz[A-Za-z0-9_]*).*/| `\2` | `\1` | seeds run in `go test`; `./test.sh` fuzzes it when `FUZZ_MODULES` names its module |/' || true
}

table() {
	echo "Measured $(date -u +%Y-%m-%d) with $(go version | cut -d' ' -f3) on $(nproc) cores; fuzzing $FUZZTIME per target on ${FUZZ_GO:-the same release}."
	echo
	echo "| measure | CI run (\`-race\`, 200 flows) | large soak ($SOAK_LARGE flows, 200 at once) |"
	echo "| --- | --- | --- |"
	row "attacks tried" attacks_tried
	row "faults injected (gateway faults served + updater failures)" faults_injected
	row "concurrent flows run" concurrent_flows
	row "orders checked against the gateway's truth" orders_checked
	row "wrong updates" wrong_updates
	row "lost updates" lost_updates
	row "regressions accepted by the forward-only updater" regressions_accepted
	echo
	echo "| fuzz target | file | executions |"
	echo "| --- | --- | --- |"
	fuzzrows
}

table >"$work/table"
cat "$work/table"

if $write; then
	begin='<!-- security-report:begin -->'
	end='<!-- security-report:end -->'
	grep -q "$begin" SECURITY.md || { echo "SECURITY.md has no $begin marker" >&2; exit 1; }
	awk -v b="$begin" -v e="$end" -v f="$work/table" '
		$0 == b { print; while ((getline line < f) > 0) print line; skip = 1; next }
		$0 == e { skip = 0 }
		!skip { print }
	' SECURITY.md >"$work/sec" && cp "$work/sec" SECURITY.md
	echo "SECURITY.md updated" >&2
fi
