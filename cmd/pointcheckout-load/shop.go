package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// environment is what the shoppers talk to: the gateway (a sandbox in this
// process, or another process's) and the shop, served in this process.
type environment struct {
	sandbox    *pointcheckouttest.Server // nil with -gateway
	gatewayURL string
	client     *pointcheckout.Client
	book       *orderBook
	catalog    *catalog
	shopURL    string
	shop       *http.Server
	shopConns  atomic.Int64
	runID      string
	ext        *externalShop // the -shop mode; nil otherwise
	stderr     io.Writer     // where -progress goes
}

// newEnvironment starts the gateway (unless -gateway) and the shop, whose
// warnings and errors go to stderr: its Info line per checkout would cost
// more than the flow it describes.
func newEnvironment(o options, stderr io.Writer) (*environment, error) {
	var id [4]byte
	_, _ = rand.Read(id[:]) // never fails: crypto/rand aborts the program instead
	e := &environment{book: newOrderBook(), catalog: &catalog{}, runID: "LOAD-" + hex.EncodeToString(id[:]), stderr: stderr}
	if o.shop != "" {
		e.shopURL, e.gatewayURL = o.shop, o.gateway
		e.ext = &externalShop{adminPassword: o.adminPassword, inspectURL: o.inspect, settle: o.settle, abandonEvery: o.abandonEvery,
			hc: &http.Client{Timeout: time.Minute}, orders: map[int]string{}}
		return e, nil
	}
	if o.gateway == "" {
		srv, err := pointcheckouttest.Start("127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		e.sandbox, e.gatewayURL, e.client = srv, srv.URL, srv.Client()
	} else {
		env, err := pointcheckout.CustomEnvironment(o.gateway + "/mer/v2.0/")
		if err != nil {
			return nil, err
		}
		c, err := pointcheckout.NewClient(pointcheckout.ClientConfig{Key: o.key, Secret: pointcheckout.NewSecret(o.secret), Environment: env})
		if err != nil {
			return nil, err
		}
		e.gatewayURL, e.client = o.gateway, c
	}
	key, err := pointcheckout.GenerateKeyPair()
	if err != nil {
		e.close()
		return nil, err
	}
	h, err := pointcheckout.New(pointcheckout.Config{
		Client:     e.client,
		Orders:     e.catalog.CheckoutFor,
		Updater:    e.book,
		Keys:       []pointcheckout.KeyPair{key},
		SuccessURL: "/thanks",
		FailureURL: "/sorry",
		Logger:     slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		e.close()
		return nil, err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		e.close()
		return nil, err
	}
	e.shopURL = "http://" + ln.Addr().String()
	e.shop = &http.Server{
		Handler:           h.Middleware(http.HandlerFunc(landing)),
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				e.shopConns.Add(1)
			}
		},
	}
	go func() { _ = e.shop.Serve(ln) }()
	return e, nil
}

func (e *environment) close() {
	if e.shop != nil {
		_ = e.shop.Close()
	}
	if e.client != nil {
		e.client.CloseIdleConnections()
	}
	if e.sandbox != nil {
		e.sandbox.Close()
	}
}

// gatewayConns counts the TCP connections the gateway accepted, when it
// runs in this process; -1 otherwise.
func (e *environment) gatewayConns() int64 {
	if e.sandbox == nil {
		return -1
	}
	return e.sandbox.ConnectionsOpened()
}

// landing is the shop's success and failure page: it shows the Result the
// Middleware found in the result cookie.
func landing(w http.ResponseWriter, r *http.Request) {
	res, ok := pointcheckout.ResultFromContext(r.Context())
	if !ok {
		http.Error(w, "no result", http.StatusNotFound)
		return
	}
	fmt.Fprintf(w, "%s order=%s status=%s\n", r.URL.Path, res.OrderID, res.Status)
}

// catalog is the shop's orders, created by the shoppers before they pay.
// The amount always comes from here, never from the form.
type catalog struct{ orders sync.Map }

func (c *catalog) add(order string, amount pointcheckout.Money) { c.orders.Store(order, amount) }

// CheckoutFor reads the order named by the form from the catalog.
func (c *catalog) CheckoutFor(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
	id := r.PostFormValue("order")
	v, ok := c.orders.Load(id)
	if !ok {
		return nil, fmt.Errorf("order %q: %w", id, pointcheckout.ErrNotFound)
	}
	amount := v.(pointcheckout.Money)
	return &pointcheckout.CheckoutRequest{
		OrderID:        id,
		Amount:         amount,
		Items:          []pointcheckout.Item{{Name: "Dates, 1 kg", Quantity: 1, LineTotal: amount}},
		Customer:       pointcheckout.Customer{FirstName: "Load", LastName: "Shopper", Email: "shopper@example.com"},
		BillingAddress: pointcheckout.Address{Name: "Load Shopper", Address1: "1 Palm St", City: "Dubai", Country: "AE"},
	}, nil
}

// orderBook is the shop's OrderUpdater: each order's payment attempts, kept
// in memory under pointcheckout.ApplyUpdate's rule (package sqlledger keeps
// them in a database under the same rule; this tool imports no driver). It
// leaves the other attempts of a paid order open, as a ledger with
// KeepOtherAttempts does, and counts for each order how often its payment
// state changed to one that took money: the check against the gateway
// wants that once for every paid order and never for another.
type orderBook struct {
	mu     sync.Mutex
	orders map[string]*bookOrder
}

// bookOrder is what the shop's database holds about one order's payment.
type bookOrder struct {
	attempts []pointcheckout.Attempt // oldest first
	state    pointcheckout.PaymentState
	paid     int // changes of state from one that took no money to one that did
}

func newOrderBook() *orderBook { return &orderBook{orders: map[string]*bookOrder{}} }

// UpdateOrder applies u, or returns why the rule refuses it (nothing
// changed).
func (b *orderBook) UpdateOrder(_ context.Context, u pointcheckout.Update) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	o := b.orders[u.OrderID]
	if o == nil {
		o = &bookOrder{state: pointcheckout.PaymentNone}
	}
	out := pointcheckout.ApplyUpdate(o.attempts, u)
	if out.Err != nil {
		return out.Err
	}
	o.attempts, o.state = out.Attempts, out.After
	if out.OrderChanged && !out.Before.TookMoney() && out.After.TookMoney() {
		o.paid++
	}
	b.orders[u.OrderID] = o
	return nil
}

// get returns a copy of the order's record.
func (b *orderBook) get(order string) (bookOrder, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.orders[order]
	if !ok {
		return bookOrder{}, false
	}
	c := *o
	c.attempts = slices.Clone(o.attempts)
	return c, true
}
