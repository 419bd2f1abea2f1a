package pointcheckout_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// orderBook is the examples' shop, just big enough for them: what an order
// costs comes from here, never from the shopper's form, and each order's
// payment attempts are kept as pointcheckout.ApplyUpdate wants them, in
// memory (package sqlledger keeps them in the shop's database).
type orderBook struct {
	mu       sync.Mutex
	attempts map[string][]pointcheckout.Attempt // order id → its attempts, oldest first
}

func newOrderBook() *orderBook { return &orderBook{attempts: map[string][]pointcheckout.Attempt{}} }

// CheckoutFor builds the checkout of the order named in the /pay form.
func (b *orderBook) CheckoutFor(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
	if r.FormValue("order") != "ORD-1001" {
		return nil, pointcheckout.ErrNotFound
	}
	amount, err := pointcheckout.ParseMoney("149.50", "AED")
	if err != nil {
		return nil, err
	}
	return &pointcheckout.CheckoutRequest{
		OrderID:        "ORD-1001",
		Amount:         amount,
		Items:          []pointcheckout.Item{{Name: "Saffron, 10 g", Quantity: 1, LineTotal: amount}},
		Customer:       pointcheckout.Customer{FirstName: "Layla", LastName: "Haddad", Email: "layla@example.com"},
		BillingAddress: pointcheckout.Address{Name: "Layla Haddad", Address1: "12 Creek Rd", City: "Dubai", Country: "AE"},
	}, nil
}

// UpdateOrder applies u under ApplyUpdate's rule (forward-only per attempt;
// a newer attempt replaces one that took no money; an older attempt that
// took money wins), and says what changed.
func (b *orderBook) UpdateOrder(_ context.Context, u pointcheckout.Update) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	o := pointcheckout.ApplyUpdate(b.attempts[u.OrderID], u)
	if o.Err != nil {
		return o.Err // refused: nothing changed
	}
	b.attempts[u.OrderID] = o.Attempts // in a real shop: in the order's transaction
	if o.AttemptChanged {
		n := slices.IndexFunc(o.Attempts, func(a pointcheckout.Attempt) bool { return a.Ref.CheckoutID == u.CheckoutID }) + 1
		fmt.Printf("order %s: attempt %d %s (%s, from %s), payment %s\n", u.OrderID, n, u.Status, u.Amount, u.Source, o.After)
	}
	return nil
}

// FindRef returns the Ref recorded for a checkout, for /pay/notify.
func (b *orderBook) FindRef(_ context.Context, checkoutID string) (pointcheckout.Ref, error) {
	return b.find(func(r pointcheckout.Ref) bool { return r.CheckoutID == checkoutID })
}

// FindRefByRequestID returns the Ref recorded for an attempt, for a return
// without the cookie.
func (b *orderBook) FindRefByRequestID(_ context.Context, requestID string) (pointcheckout.Ref, error) {
	return b.find(func(r pointcheckout.Ref) bool { return r.RequestID == requestID })
}

func (b *orderBook) find(match func(pointcheckout.Ref) bool) (pointcheckout.Ref, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, attempts := range b.attempts {
		for _, a := range attempts {
			if match(a.Ref) {
				return a.Ref, nil
			}
		}
	}
	return pointcheckout.Ref{}, pointcheckout.ErrNotFound
}

// Mount the payment routes on an http.ServeMux beside the shop's own pages:
// the Handler serves Prefix, Prefix+"/return" and Prefix+"/notify". The
// return route must stay Prefix+"/return" because that is the URL given to
// the gateway.
func ExampleHandler_ServeHTTP() {
	gateway := pointcheckouttest.NewServer() // in production: pointcheckout.NewClient
	defer gateway.Close()
	keys, _ := pointcheckout.GenerateKeyPair() // in production: ParseKeyPairs from your secrets
	book := newOrderBook()                     // in production: package sqlledger keeps the attempts
	h, err := pointcheckout.New(pointcheckout.Config{
		Client:  gateway.Client(),
		Orders:  book.CheckoutFor,
		Updater: book,
		Keys:    []pointcheckout.KeyPair{keys},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(h.Prefix(), h)
	mux.Handle(h.Prefix()+"/", h)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if res, ok := h.ResultFromRequest(r); ok {
			fmt.Fprintf(w, "order %s is %s", res.OrderID, res.Status)
		}
	})
	fmt.Println("routes mounted")
	// Output: routes mounted
}

// Wrap an existing site: the Middleware serves /pay, /pay/return and
// /pay/notify and passes every other request on, with the shopper's last
// payment Result in the request context.
func ExampleHandler_Middleware() {
	gateway := pointcheckouttest.NewServer()
	defer gateway.Close()
	keys, _ := pointcheckout.GenerateKeyPair()
	book := newOrderBook()
	h, err := pointcheckout.New(pointcheckout.Config{
		Client: gateway.Client(), Orders: book.CheckoutFor, Updater: book,
		Keys: []pointcheckout.KeyPair{keys}, SuccessURL: "/thanks",
	})
	if err != nil {
		log.Fatal(err)
	}
	site := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if res, ok := pointcheckout.ResultFromContext(r.Context()); ok && res.Status.IsPaid() {
			fmt.Fprintf(w, "Thank you! Order %s is paid (%s).", res.OrderID, res.Amount)
			return
		}
		fmt.Fprint(w, "Welcome to the shop.")
	})
	shop := httptest.NewServer(h.Middleware(site))
	defer shop.Close()

	resp, err := http.Get(shop.URL + "/")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))
	// Output: Welcome to the shop.
}

// An OrderUpdater in a few lines: ApplyUpdate holds the rule, the shop
// keeps each order's attempts (here in a map; package sqlledger keeps them
// in the shop's database, one transaction per update). A declined attempt,
// a retry, a second tab: the attempt that pays decides the order, the other
// tab is cancelled, and repeated or stale updates change nothing.
func ExampleOrderUpdaterFunc() {
	var mu sync.Mutex
	orders := map[string][]pointcheckout.Attempt{} // order id → its attempts, oldest first
	updater := pointcheckout.OrderUpdaterFunc(func(ctx context.Context, u pointcheckout.Update) error {
		mu.Lock()
		defer mu.Unlock()
		o := pointcheckout.ApplyUpdate(orders[u.OrderID], u)
		if o.Err != nil {
			return o.Err // refused: nothing changed
		}
		orders[u.OrderID] = o.Attempts
		if o.OrderChanged {
			fmt.Printf("%s %s: order %s → %s", u.CheckoutID, u.Status, o.Before, o.After)
			for _, ref := range o.Cancel {
				fmt.Print("; cancel ", ref.CheckoutID) // at the gateway, so it cannot be paid too
			}
			fmt.Println()
		}
		return nil
	})

	// The updates the Handler would deliver for three attempts of ORD-7.
	amount, _ := pointcheckout.ParseMoney("49.00", "AED")
	attempt := func(n string) pointcheckout.Ref {
		return pointcheckout.Ref{OrderID: "ORD-7", CheckoutID: "C" + n, RequestID: "R" + n, Amount: amount, CreatedAt: time.Now()}
	}
	update := func(ref pointcheckout.Ref, st pointcheckout.Status, src pointcheckout.Source) pointcheckout.Update {
		return pointcheckout.Update{OrderID: ref.OrderID, CheckoutID: ref.CheckoutID, RequestID: ref.RequestID,
			Status: st, Amount: ref.Amount, Ref: ref, Source: src}
	}
	c1, c2, c3 := attempt("1"), attempt("2"), attempt("3")
	for _, u := range []pointcheckout.Update{
		update(c1, pointcheckout.StatusPending, pointcheckout.SourcePay),
		update(c1, pointcheckout.StatusFailed, pointcheckout.SourceReturn), // declined
		update(c2, pointcheckout.StatusPending, pointcheckout.SourcePay),   // the shopper tries again
		update(c3, pointcheckout.StatusPending, pointcheckout.SourcePay),   // and again, in another tab
		update(c2, pointcheckout.StatusPaid, pointcheckout.SourceReturn),
		update(c2, pointcheckout.StatusPaid, pointcheckout.SourceNotify),         // a repeat
		update(c2, pointcheckout.StatusPending, pointcheckout.SourceReconcile),   // stale
		update(c3, pointcheckout.StatusCancelled, pointcheckout.SourceReconcile), // the order stays paid
	} {
		if err := updater.UpdateOrder(context.Background(), u); err != nil {
			fmt.Println(err)
		}
	}
	for _, a := range orders["ORD-7"] {
		fmt.Print(a.Ref.CheckoutID, " ", a.Status, "; ")
	}
	fmt.Println()
	// Output:
	// C1 PENDING: order none → pending
	// C1 FAILED: order pending → failed
	// C2 PENDING: order failed → pending
	// C2 PAID: order pending → paid; cancel C3
	// C1 FAILED; C2 PAID; C3 CANCELLED;
}

// Test a shop end to end with httptest and the sandbox: post the checkout
// form, settle the payment on the sandbox (Server.Complete, where a shopper
// would pay on its hosted page), come back, and see the verified result.
func Example_testingWithTheSandbox() {
	gateway := pointcheckouttest.NewServer()
	defer gateway.Close()
	keys, _ := pointcheckout.GenerateKeyPair()
	book := newOrderBook()
	h, err := pointcheckout.New(pointcheckout.Config{
		Client: gateway.Client(), Orders: book.CheckoutFor, Updater: book,
		Keys: []pointcheckout.KeyPair{keys}, SuccessURL: "/thanks",
	})
	if err != nil {
		log.Fatal(err)
	}
	shop := httptest.NewServer(h.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, _ := pointcheckout.ResultFromContext(r.Context())
		fmt.Fprintf(w, "%s: %s", r.URL.Path, res.Status)
	})))
	defer shop.Close()

	jar, _ := cookiejar.New(nil)
	shopper := &http.Client{Jar: jar} // follows redirects like a browser

	// 1. The checkout form posts to /pay; the shopper lands on the payment page.
	resp, err := shopper.PostForm(shop.URL+"/pay", url.Values{"order": {"ORD-1001"}})
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	// 2. The shopper pays with the test card (here through the sandbox's
	//    hook; tests can also post the page's form), then comes back.
	checkout := gateway.Checkouts()[0]
	if err := gateway.Complete(checkout.ID, pointcheckout.StatusPaid); err != nil {
		log.Fatal(err)
	}
	resp, err = shopper.Get(checkout.ReturnURL)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))
	// Output:
	// order ORD-1001: attempt 1 PENDING (149.50 AED, from pay), payment pending
	// order ORD-1001: attempt 1 PAID (149.50 AED, from return), payment paid
	// /thanks: PAID
}

// A declined payment, then a retry: each attempt is a new checkout, and the
// order follows the newest one until an attempt takes the money.
func ExampleOrderUpdater_retryAfterDecline() {
	gateway := pointcheckouttest.NewServer()
	defer gateway.Close()
	keys, _ := pointcheckout.GenerateKeyPair()
	book := newOrderBook()
	h, err := pointcheckout.New(pointcheckout.Config{
		Client: gateway.Client(), Orders: book.CheckoutFor, Updater: book,
		Keys: []pointcheckout.KeyPair{keys}, SuccessURL: "/thanks", FailureURL: "/sorry",
	})
	if err != nil {
		log.Fatal(err)
	}
	shop := httptest.NewServer(h.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, _ := pointcheckout.ResultFromContext(r.Context())
		fmt.Fprintf(w, "%s: %s", r.URL.Path, res.Status)
	})))
	defer shop.Close()
	jar, _ := cookiejar.New(nil)
	shopper := &http.Client{Jar: jar}

	for i, outcome := range []pointcheckout.Status{pointcheckout.StatusFailed, pointcheckout.StatusPaid} {
		resp, err := shopper.PostForm(shop.URL+"/pay", url.Values{"order": {"ORD-1001"}})
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		checkout := gateway.Checkouts()[i]
		if err := gateway.Complete(checkout.ID, outcome); err != nil {
			log.Fatal(err)
		}
		resp, err = shopper.Get(checkout.ReturnURL)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(body))
	}
	// Output:
	// order ORD-1001: attempt 1 PENDING (149.50 AED, from pay), payment pending
	// order ORD-1001: attempt 1 FAILED (149.50 AED, from return), payment failed
	// /sorry: FAILED
	// order ORD-1001: attempt 2 PENDING (149.50 AED, from pay), payment pending
	// order ORD-1001: attempt 2 PAID (149.50 AED, from return), payment paid
	// /thanks: PAID
}
