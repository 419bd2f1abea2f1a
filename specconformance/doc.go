// Package specconformance holds tests, and only tests, that keep the
// pointcheckouttest sandbox faithful to the published Merchant API: they
// drive the sandbox through every operation it serves, and every error it
// answers, and validate each request it accepts and each answer it sends
// against the PointCheckout and paymennt OpenAPI documents with
// kin-openapi. It is a module of its own so the library never depends on
// an OpenAPI toolkit.
//
// The documents are read from testdata: pointcheckout-openapi.yaml and
// paymennt-openapi.yaml are generated from the official documents by
// internal/specgen, which keeps their facts (paths, operations,
// parameters, request bodies, responses, schemas, types, formats, enums,
// bounds, required lists) and drops their prose (descriptions, summaries,
// examples, tags, extensions). Each starts with a comment naming the
// document it was derived from; the .LICENSE file beside it is the
// original's MIT license, which travels with every copy. A missing
// document fails the tests. To regenerate them from a checkout of the
// official documents, run go generate in this directory (the directive
// below expects them in the shared reference directory beside the
// repository; run internal/specgen with another -src otherwise).
//
// Where the sandbox departs from the documents, on purpose:
//   - Statuses are answered in upper case (PAID) as the live API does; the
//     enums spell them as words (Paid). The tests widen each enum by that
//     one spelling.
//   - Optional fields without a value (branchId, branchName,
//     usedPaymentMethod, deliveryAddress, customer id, reference and phone,
//     address2, state, zip) are answered as null, as the official PHP SDK
//     reads them; the documents mark nothing nullable. The tests allow null
//     for exactly those fields, and only in answers.
//   - The sandbox also accepts what the SDK and plugins send beyond the
//     documents: amounts as strings, null for unset fields, the
//     PointCheckout header names on the paymennt host, a refund's amount
//     and currency in a JSON body. TestTolerancesBeyondTheDocument checks
//     that each is accepted, that the document refuses it, and that the
//     answer still validates.
package specconformance

//go:generate go run ./internal/specgen -src ../../shared/reference -out testdata pointcheckout-openapi.yaml paymennt-openapi.yaml
