// Package shoptest is the shared harness of the library's black-box tests:
// a shop on the sandbox gateway behind the Handler, browsers with cookie
// jars that follow no redirect, an OrderUpdater that records every update,
// the error hook's record, one log buffer safe for concurrent handlers, and
// the request helpers the tests share.
//
// Only tests import it (the library's own black-box tests, the suites in
// internal/suite, and the router adapters' tests through RouterShop); its
// helpers take a testing.TB and fail the test on anything that is not the
// test's subject.
//
//	s := shoptest.New(t, shoptest.Options{})
//	b := s.Browser()
//	back, id := s.CheckoutAndPay(b, "ORD-1", pointcheckouttest.CardPaid, "pay")
//	done := b.Get(back.Location) // 303 to /thanks
package shoptest
