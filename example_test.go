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
	"sync"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// A shop's order book, just big enough for the examples: what each order
// costs comes from here, never from the shopper's form.
type orderBook struct {
	mu      sync.Mutex
	current map[string]string               // order id → the checkout it follows
	status  map[string]pointcheckout.Status // checkout id → its status
}

func newOrderBook() *orderBook {
	return &orderBook{current: map[string]string{}, status: map[string]pointcheckout.Status{}}
}

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

// UpdateOrder keeps each checkout's status forward-only, so a repeated or
// late update changes nothing, and decides which attempt the order follows:
// a new attempt replaces one that took no money, and an attempt that took
// money (say, paid in a tab left open) wins over one that did not.
func (b *orderBook) UpdateOrder(_ context.Context, u pointcheckout.Update) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.status[u.CheckoutID].CanBecome(u.Status) {
		return nil
	}
	b.status[u.CheckoutID] = u.Status
	cur, ok := b.current[u.OrderID]
	if !ok || cur == u.CheckoutID || !tookMoney(b.status[cur]) && (u.Source == pointcheckout.SourcePay || tookMoney(u.Status)) {
		b.current[u.OrderID] = u.CheckoutID
		fmt.Printf("order %s: %s (%s, from %s)\n", u.OrderID, u.Status, u.Amount, u.Source)
	}
	return nil
}

// tookMoney reports whether a checkout in status s holds (or held) the
// shopper's money: AUTHORIZED, PAID, or refunded or disputed after that.
func tookMoney(s pointcheckout.Status) bool { return s.IsFinal() && !s.IsFailed() }

// Mount the payment routes on an http.ServeMux beside the shop's own pages.
// Every route of the package is an http.Handler; the return route must be
// Prefix+"/return" because that is the URL given to the gateway.
func ExampleHandler_PayHandler() {
	gateway := pointcheckouttest.NewServer() // in production: pointcheckout.NewClient
	defer gateway.Close()
	keys, _ := pointcheckout.GenerateKeyPair() // in production: ParseKeyPairs from your secrets

	h, err := pointcheckout.New(pointcheckout.Config{
		Client:  gateway.Client(),
		Orders:  newOrderBook(),
		Updater: newOrderBook(),
		Keys:    []pointcheckout.KeyPair{keys},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /pay", h.PayHandler())
	mux.Handle("/pay/return", h.ReturnHandler())
	mux.Handle("POST /pay/notify", h.NotifyHandler())
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
		Client: gateway.Client(), Orders: book, Updater: book,
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

// A minimal OrderUpdater: forward-only, so it is safe to call twice. The
// rule is kept per checkout: an order retried after a decline has a new
// checkout, whose PENDING and PAID must not be judged by the decline.
func ExampleOrderUpdaterFunc() {
	var mu sync.Mutex
	status := map[string]pointcheckout.Status{} // checkout id → its status
	updater := pointcheckout.OrderUpdaterFunc(func(ctx context.Context, u pointcheckout.Update) error {
		mu.Lock()
		defer mu.Unlock()
		if !status[u.CheckoutID].CanBecome(u.Status) {
			return nil // a repeat or a stale update: nothing to do
		}
		status[u.CheckoutID] = u.Status // in a real shop: an UPDATE in a transaction
		return nil
	})
	ctx := context.Background()
	for _, u := range []pointcheckout.Update{
		{OrderID: "ORD-7", CheckoutID: "C1", Status: pointcheckout.StatusPending},
		{OrderID: "ORD-7", CheckoutID: "C1", Status: pointcheckout.StatusFailed},  // declined
		{OrderID: "ORD-7", CheckoutID: "C2", Status: pointcheckout.StatusPending}, // the shopper tries again
		{OrderID: "ORD-7", CheckoutID: "C2", Status: pointcheckout.StatusPaid},
		{OrderID: "ORD-7", CheckoutID: "C2", Status: pointcheckout.StatusPending}, // late: ignored
		{OrderID: "ORD-7", CheckoutID: "C2", Status: pointcheckout.StatusPaid},    // repeat: ignored
	} {
		_ = updater.UpdateOrder(ctx, u)
	}
	fmt.Println(status["C1"], status["C2"])
	// Output: FAILED PAID
}

// Test a shop end to end with httptest and the sandbox: post the checkout
// form, pay on the sandbox's hosted page like a shopper, come back, and see
// the verified result.
func Example_testingWithTheSandbox() {
	gateway := pointcheckouttest.NewServer()
	defer gateway.Close()
	keys, _ := pointcheckout.GenerateKeyPair()
	book := newOrderBook()
	h, err := pointcheckout.New(pointcheckout.Config{
		Client: gateway.Client(), Orders: book, Updater: book,
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
	// order ORD-1001: PENDING (149.50 AED, from pay)
	// order ORD-1001: PAID (149.50 AED, from return)
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
		Client: gateway.Client(), Orders: book, Updater: book,
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
	// order ORD-1001: PENDING (149.50 AED, from pay)
	// order ORD-1001: FAILED (149.50 AED, from return)
	// /sorry: FAILED
	// order ORD-1001: PENDING (149.50 AED, from pay)
	// order ORD-1001: PAID (149.50 AED, from return)
	// /thanks: PAID
}
