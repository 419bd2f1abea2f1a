// Package pointcheckouttest is an in-process PointCheckout for tests and
// demos, the way net/http/httptest is a server: the Merchant API v2.0, the
// hosted payment page, time, and faults on demand, all on a loopback port.
//
//	srv := pointcheckouttest.NewServer()
//	defer srv.Close()
//	client := srv.Client() // a *pointcheckout.Client for srv
//
// The server follows the published API (the PointCheckout and paymennt
// OpenAPI documents and the web integration guides), and accepts what the
// official PHP SDK and plugins evidently send to the live service beyond
// them (amounts as strings, null for unset fields, customer.reference, the
// SDK's refund body). A separate module, specconformance, checks every
// answer it gives against those documents, and that it accepts every
// request they describe.
//
// # The API
//
// Under [Server.BaseURL] (URL + "/mer/v2.0/"):
//
//	POST checkout/web              create a web checkout (CheckoutWebPaymentRequest)
//	GET  checkout/{id}             get a checkout
//	GET  checkout?requestId=&orderId=&status=&type=&page=&size=
//	                               search, newest first (PageResponse, page from 0, size 20)
//	POST checkout/{id}/cancel      PENDING or AUTHORIZED becomes CANCELLED
//	POST checkout/{id}/refund?amount=&currency=&note=[&referenceId=]
//	                               PAID or PARTIALLY_REFUNDED gives money back;
//	                               amount, currency (and note, referenceId) may
//	                               also come in a JSON body, as the PHP SDK sends
//	                               them
//
// Every answer is the API's envelope: {"success":true,"elapsed":ms,
// "result":{...}} or {"success":false,"elapsed":ms,"error":"..."}. Answers:
//
//   - 400 with "Checkout not found for API merchant" for an unknown checkout
//     id (get, cancel, refund), as the API does.
//   - 400 with a message naming every bad field for a create request that
//     misses a required field or has a bad value: requestId, orderId,
//     currency (ISO 4217, upper case), amount (> 0), items (at least one;
//     each name, quantity > 0, linetotal), customer (firstName, lastName,
//     email), billingAddress (name, address1, city, country as ISO 3166
//     alpha-2 or alpha-3), returnUrl (absolute http or https). Field names
//     match exactly, as the API's JSON binding does: "requestID" or
//     "lineTotal" count as missing. Amounts and quantities are JSON numbers
//     or strings holding one ("100.00", as the official SDK and plugins
//     send them), and amounts are exact: more fraction digits than the
//     currency has (100.001 AED, even 100.000 AED) is refused, never
//     rounded. JSON null counts as absent for every field, as the SDK sends
//     null for whatever is unset; customer.reference is kept and answered,
//     and branchId may be a string of digits. When totals are
//     sent, subtotal must equal the sum of the line totals and amount must
//     equal subtotal + tax + shipping + handling - discount, unless
//     skipTotalsValidation is true. The body must be sent as
//     application/json.
//   - 400 for a second create with a requestId already used (whatever that
//     checkout's status); the orderId may repeat.
//   - 400 for a cancel or refund the checkout's status does not allow, a
//     refund in another currency, with more decimals than the currency
//     has, or beyond what is left to refund, and for a refund whose query
//     and body disagree on amount, currency or referenceId (the query's
//     note wins over the body's: the SDK writes it in both, unencoded in
//     the query).
//   - 401 with {"success":false,"error":"..."} for a missing or wrong key
//     or secret. The credentials go in X-PointCheckout-Api-Key and
//     X-PointCheckout-Api-Secret (the spec's names; any letter case);
//     X-Paymennt-Api-* headers sent beside them are ignored. With
//     [WithPaymenntHeaders] X-Paymennt-Api-Key and X-Paymennt-Api-Secret
//     are accepted as well as the PointCheckout pair (which the official
//     SDK sends to every host), and every pair sent must be right. The
//     build guide's X-POINTCHECKOUT-KEY words are refused: a client must
//     follow the spec.
//   - 404 with the envelope for any other path under /mer/v2.0/.
//
// A checkout's id is a 19-digit number written as a JSON string, its
// displayId six characters, its checkoutKey 48 hex digits, and its
// redirectUrl URL + "/checkout/" + checkoutKey, or on another host with
// [WithPaymentPageURL] (for example https://pay.test.paymennt.com, the
// host the rebranded API answers). Amounts are written with exactly the
// currency's digits (100.00, 12.345); timestamps are ISO 8601 with
// milliseconds in UTC. Optional fields without a value are written as
// null, never left out (branchId, branchName, usedPaymentMethod,
// deliveryAddress, customer id, reference and phone, address2, state,
// zip): the official PHP SDK reads them as always present.
// Statuses are spelled in upper case (PENDING, PAID, PARTIALLY_REFUNDED)
// as the live API does; [WithEnumStatusSpelling] answers the OpenAPI enum's
// spelling (Pending, Paid, Partially refunded) instead, and usedPaymentMethod
// as Card rather than CARD.
//
// # The hosted payment page
//
// GET URL/checkout/{checkoutKey} shows the order id, the amount and its
// currency, and a form: card number, expiry (MM/YY), CVV, name on card, a
// terms checkbox, and Pay and Cancel buttons. The form posts back to the
// same URL; a post is accepted only with the token the page put in the
// form, bound to a cookie of the same browser and to the checkout, and
// never from another site (Origin and Sec-Fetch-Site are checked). A post
// with a missing or wrong token answers 403 with the form and a fresh
// token; a cross-site post answers 403 without it. Neither changes
// anything.
//
// Test cards (see [TestCards]); any expiry in MM/YY form is accepted,
// including the documented 12/25 that is now in the past, and any 3 or 4
// digit CVV:
//
//	4242 4242 4242 4242  12/25  100  TEST USER  PAID (the documented test card)
//	5555 5555 5555 4444                         PAID
//	4000 0000 0000 0002                         FAILED (declined)
//	4000 0000 0000 0010                         AUTHORIZED (not captured)
//	4000 0000 0000 0077                         PENDING, then PAID after the settle delay
//	4000 0000 0000 0036                         PENDING, then FAILED after the settle delay
//
// A card number that fails the Luhn check, any card not in the table, a
// missing terms checkbox, an expiry not in MM/YY form, a CVV that is not 3
// or 4 digits or a blank name re-shows the form with the errors (HTTP 422,
// role="alert"), keeps the expiry and name, never echoes the card number or
// CVV, and changes nothing. Cancel makes the checkout CANCELLED. After Pay
// or Cancel the shopper is sent to the checkout's returnUrl with a 303
// redirect, with checkout=<id>&reference=<requestId> appended as the real
// page does (the returnUrl's own query is kept, a fragment stays last);
// [WithoutReturnParams] sends it back unchanged. With [WithPostBack] the
// page instead answers a form that POSTs checkoutId, status, checkout and
// reference to the unchanged returnUrl and submits itself. Both are hints:
// a status or id in a return proves nothing until the API confirms it. The
// "Return to the shop" link carries the same parameters. A page for a checkout
// that can no longer be paid shows its state instead of the form; a post to
// it answers 409. A checkout paid with a "later" card shows "Confirming
// your payment" until it settles.
//
// # Time
//
// An unpaid (PENDING) checkout turns EXPIRED [DefaultTTL] after it was
// created ([WithTTL]); a checkout paid with a "later" card settles
// [DefaultSettleDelay] after Pay ([WithSettleDelay]), unless it expired
// first. Both are measured on the server's clock ([WithClock], for example
// a [Clock]) and applied lazily, on every read: a GET, a search, a cancel,
// a refund, the page, [Server.Checkout] or [Server.Checkouts]. So a status
// changed by time alone is also notified only when something reads it.
// AUTHORIZED checkouts do not expire.
//
// # Test hooks
//
// [Server.Complete] sets a checkout's status without a browser.
// [Server.Checkout] and [Server.Checkouts] return snapshots.
// [Server.Requests] returns every API request received (hosted page
// requests are not logged since they carry card data), with the secret
// header redacted. [Server.Reset] and [Server.ResetRequests] start over.
// [Server.ConnectionsOpened] counts accepted TCP connections, to prove a
// client keeps connections alive.
//
// [Server.InjectFault] makes the next n requests to an [Endpoint] faulty:
//
//	Delay(d)              wait d of real time, then serve normally; if the client
//	                      hangs up first the operation still runs (a create creates)
//	StatusCode(code)      answer code (500, 502, 503, 429...) with an HTML body, as a
//	                      proxy would; nothing runs
//	StatusCodeEnvelope(c) answer c with the API's error envelope; nothing runs
//	MalformedJSON()       run, then answer 200 with truncated JSON
//	WrongAmount()         run, then answer the amount one minor unit higher
//	WrongOrderID(), WrongRequestID(), WrongCheckoutID(), WrongCurrency()
//	                      run, then answer that field changed (success answers only)
//	DropConnection()      close the connection without answering; nothing runs
//	DropAfterCommit()     run, then close the connection without answering: the
//	                      checkout exists and a lookup by requestId finds it
//	Redirect(code, loc)   answer code (301, 302, 307, 308) with Location: loc and no
//	                      body, as a moved API host would; nothing runs
//	NumericID()           run, then answer the id as a JSON number
//	AmountDigits(n)       run, then write every amount with n fraction digits where
//	                      exact (100.000 or 100 for 100.00 AED)
//	RoundedAmount()       run, then write every amount rounded half up to two
//	                      decimals (12.345 KWD as 12.35)
//
// The faults that rewrite an answer (Wrong*, NumericID, AmountDigits,
// RoundedAmount) apply to successful answers of create, get, cancel and
// refund, and to every checkout of a search's page.
//
// Faults act before the credentials are checked. On the hosted page
// ([EndpointPage]) Delay, StatusCode, StatusCodeEnvelope (as an HTML page),
// DropConnection and DropAfterCommit (the payment goes through, the
// shopper never sees the way back) apply; the other kinds are consumed
// and ignored.
//
// # Notifications
//
// With [WithNotifyURL] the server POSTs {"checkoutId":"...","status":"..."}
// as JSON to a loopback URL after every status change, in the background
// and best effort (one attempt, 5 second timeout). The real API publishes no
// notification format or signature, so a receiver must treat it as a hint
// and fetch the checkout.
//
// # Cost and safety
//
// A Server keeps its state in memory behind one mutex and shares nothing
// with other servers, so tests may run in parallel, each with its own.
// [WithStateFile] also keeps the checkouts (and generated credentials) in
// a JSON file, saved atomically after every change and loaded at start, so
// a standalone demo sandbox can be restarted; it never holds card data.
// Starting one costs a listener and a few random bytes; the page template
// is parsed on first use. It only ever listens on loopback addresses.
//
// The pointcheckout-sandbox command runs one standalone.
package pointcheckouttest
