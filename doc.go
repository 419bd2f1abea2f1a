// Package pointcheckout takes card payments through PointCheckout's hosted
// payment page from any Go web shop.
//
// The flow: the shop's form posts to /pay; the Handler asks the shop's
// [Config.Orders] function what to charge (from the shop's own records),
// creates a web checkout through the Merchant API v2.0 with a fresh request
// id, confirms it with a get, tells the shop's [OrderUpdater] that the order
// has a PENDING checkout, stores a signed and encrypted reference ([Ref]) in
// a cookie and redirects the shopper to the payment page. When the shopper
// comes back on /pay/return, the Handler asks the API for the checkout,
// checks it against the Ref (id, order, request, currency and exact amount)
// and hands the verified status to the OrderUpdater. Query parameters such as
// status=PAID are never believed: only the API decides.
//
// Mount it in front of an existing site:
//
//	h, err := pointcheckout.New(pointcheckout.Config{
//		Client:        client,            // pointcheckout.NewClient(...)
//		Orders:        store.CheckoutFor, // what to charge for a /pay request
//		Updater:       ledger,            // a *sqlledger.Ledger or your own OrderUpdater
//		Keys:          keys,              // cookie keys, shared by every instance
//		ReturnBaseURL: "https://shop.example.com",
//	})
//	if err != nil { ... }
//	http.ListenAndServe(addr, h.Middleware(shop))
//
// or mount the Handler itself, one [http.Handler] for /pay, /pay/return and
// /pay/notify, on any router under [Handler.Prefix]. [Handler.Reconcile]
// resolves checkouts whose shopper never came back; package sqlledger
// records every attempt, is an OrderUpdater and sweeps them for you.
//
// The [Client] covers the Merchant API calls a web shop needs (create, get,
// search, cancel, refund) with retries for reads, exact amounts ([Money]) and
// typed errors. Package pointcheckouttest is an in-process PointCheckout,
// payment page included, for tests and demos.
package pointcheckout
