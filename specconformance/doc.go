// Package specconformance holds tests, and only tests, that keep the
// pointcheckouttest sandbox faithful to the published Merchant API: they
// drive the sandbox through every operation it serves, and every error it
// answers, and validate each request it accepts and each answer it sends
// against the PointCheckout and paymennt OpenAPI documents with
// kin-openapi. It is a module of its own so the library never depends on
// an OpenAPI toolkit.
//
// The documents are read from the shared reference directory next to the
// repository (../../shared/reference from this directory) and never copied
// into it. Without them the tests skip, unless the CI environment variable
// is set, in which case they fail.
package specconformance
