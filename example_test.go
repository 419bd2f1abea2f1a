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
	mu     sync.Mutex
	status map[string]pointcheckout.Status
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

// UpdateOrder applies an update only if it moves the order forward, so a
// repeated or late update changes nothing.
func (b *orderBook) UpdateOrder(_ context.Context, u pointcheckout.Update) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.status[u.OrderID].CanBecome(u.Status) {
		b.status[u.OrderID] = u.Status
		fmt.Printf("order %s: %s (%s, from %s)\n", u.OrderID, u.Status, u.Amount, u.Source)
	}
	return nil
}

// Mount the payment routes on an http.ServeMux beside the shop's own pages.
// Every route of the package is an http.Handler; the return route must be
// Prefix+"/return" because that is the URL given to the gateway.
func ExampleHandler_PayHandler() {
	gateway := pointcheckouttest.NewServer() // in production: pointcheckout.NewClient
	defer gateway.Close()
	keys, _ := pointcheckout.GenerateKeyPair() // in production: ParseKeyPairs from your secrets

	h, err := pointcheckout.New(pointcheckout.Config{
		Client:  gateway.Client(),
		Orders:  &orderBook{status: map[string]pointcheckout.Status{}},
		Updater: &orderBook{status: map[string]pointcheckout.Status{}},
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
	book := &orderBook{status: map[string]pointcheckout.Status{}}
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

// A minimal OrderUpdater: forward-only, so it is safe to call twice.
func ExampleOrderUpdaterFunc() {
	var mu sync.Mutex
	status := map[string]pointcheckout.Status{}
	updater := pointcheckout.OrderUpdaterFunc(func(ctx context.Context, u pointcheckout.Update) error {
		mu.Lock()
		defer mu.Unlock()
		if !status[u.OrderID].CanBecome(u.Status) {
			return nil // a repeat or a stale update: nothing to do
		}
		status[u.OrderID] = u.Status // in a real shop: an UPDATE in a transaction
		return nil
	})
	ctx := context.Background()
	for _, s := range []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusPaid, pointcheckout.StatusPending, pointcheckout.StatusPaid} {
		_ = updater.UpdateOrder(ctx, pointcheckout.Update{OrderID: "ORD-7", Status: s})
	}
	fmt.Println(status["ORD-7"])
	// Output: PAID
}

// Test a shop end to end with httptest and the sandbox: post the checkout
// form, pay on the sandbox's hosted page like a shopper, come back, and see
// the verified result.
func Example_testingWithTheSandbox() {
	gateway := pointcheckouttest.NewServer()
	defer gateway.Close()
	keys, _ := pointcheckout.GenerateKeyPair()
	book := &orderBook{status: map[string]pointcheckout.Status{}}
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
