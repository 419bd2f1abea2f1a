// Package suite holds the library's black-box suites, all on the shared
// shop harness of internal/shoptest: the adversarial suite (TestAttack*),
// the fault suite (TestFaults), the soak (TestSoak), the fuzz targets that
// go through HTTP (FuzzNotifyHandler, FuzzReturnHandler,
// FuzzClientOverLoopback) and the flow benchmark against a hand-written
// integration (BenchmarkFlow). The package has no code of its own.
//
// With SECURITY_REPORT=file, the adversarial, fault and soak suites append
// their evidence counters to file (scripts/security-report.sh sums them
// into SECURITY.md). The soak's size is set with -soak.flows,
// -soak.concurrency and -soak.seed:
//
//	go test -race -run TestSoak ./internal/suite
//	go test -run TestSoak ./internal/suite -soak.flows=5000 -soak.concurrency=200
package suite
