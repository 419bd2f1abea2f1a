package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/internal/shoptest"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// BenchmarkFlow measures one complete, successful payment as the shop sees
// it, twice over the same setup:
//
//   - package: POST /pay through the package's Handler (behind Middleware),
//     which creates the checkout, confirms it with a get and answers 303 to
//     the payment page; the sandbox marks the checkout PAID
//     (Server.Complete, no page rendered); GET /pay/return with the
//     checkout cookie and the signed token, which fetches, verifies and
//     records the checkout and answers 303 to the success page.
//   - handwritten: the least a shop could write by hand for the same
//     payment: its POST /pay marshals the request with encoding/json,
//     POSTs checkout/web, stores the checkout id under the order and
//     answers 303 to the redirectUrl; its GET /return?order= looks the id
//     up, GETs checkout/{id}, records the status and answers 303. No
//     verification, no cookie, no signed token.
//
// The handwritten side makes four loopback HTTP requests per flow (shopper
// to shop, shop to sandbox, twice), the package five (the confirming get),
// over keep-alive connections, against the same sandbox, through the same
// net/http server and shopper client; both do the same test bookkeeping
// between the two shop requests (find the checkout id, Complete it, read
// its return URL). Each flow is a new
// shopper with an empty cookie jar on both sides; only the package's side
// sets cookies, so storing and sending them is counted as its cost. Neither
// shop logs. The difference between the two is what the package adds.
func BenchmarkFlow(b *testing.B) {
	b.Run("package", func(b *testing.B) {
		shop := newPackageShop(b)
		runFlows(b, shop.Gateway, shop.URL, shop.ids)
	})
	b.Run("handwritten", func(b *testing.B) {
		// The same sandbox as the package's shop: on a test clock.
		gw := shoptest.NewGateway(b, pointcheckouttest.WithClock(shoptest.NewClock().Now))
		shop := newHandwrittenShop(gw)
		defer shop.close()
		runFlows(b, gw, shop.srv.URL, shop.ids)
	})
}

// runFlows drives b.N flows, one new shopper (cookie jar) each, over one
// keep-alive transport, and checks each ends in the 303 to /thanks.
func runFlows(b *testing.B, gw *pointcheckouttest.Server, shopURL string, ids *orderIndex) {
	f := newFlows(b, gw, shopURL, ids)
	defer f.close()
	b.ReportAllocs()
	for b.Loop() {
		f.one()
	}
}

// BenchmarkFlowRatio runs the two sides of BenchmarkFlow in alternating
// rounds of flowRound flows and compares the fastest round of each, so that
// load from other processes, which drifts over seconds, does not decide the
// comparison. Metrics: package/handwritten (time per flow), and each side's
// microseconds per flow in its fastest round.
func BenchmarkFlowRatio(b *testing.B) {
	pkg := newPackageShop(b)
	gw := shoptest.NewGateway(b, pointcheckouttest.WithClock(shoptest.NewClock().Now))
	hw := newHandwrittenShop(gw)
	defer hw.close()
	sides := [2]*flows{newFlows(b, pkg.Gateway, pkg.URL, pkg.ids), newFlows(b, gw, hw.srv.URL, hw.ids)}
	defer sides[0].close()
	defer sides[1].close()
	best := [2]time.Duration{1 << 62, 1 << 62}
	for b.Loop() {
		for i, f := range sides {
			start := time.Now()
			for range flowRound {
				f.one()
			}
			best[i] = min(best[i], time.Since(start))
		}
	}
	b.ReportMetric(float64(best[0])/float64(best[1]), "package/handwritten")
	b.ReportMetric(float64(best[0].Microseconds())/flowRound, "µs/package")
	b.ReportMetric(float64(best[1].Microseconds())/flowRound, "µs/handwritten")
	b.ReportMetric(0, "ns/op")
}

// flowRound is how many flows one timed round of BenchmarkFlowRatio runs.
const flowRound = 16

// flows runs complete payments against one shop.
type flows struct {
	b       *testing.B
	gw      *pointcheckouttest.Server
	shopURL string
	ids     *orderIndex
	tr      *http.Transport
	dials   atomic.Int64
	n       int
}

func newFlows(b *testing.B, gw *pointcheckouttest.Server, shopURL string, ids *orderIndex) *flows {
	f := &flows{b: b, gw: gw, shopURL: shopURL, ids: ids}
	dialer := &net.Dialer{}
	f.tr = &http.Transport{
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     time.Minute,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			f.dials.Add(1)
			return dialer.DialContext(ctx, network, addr)
		},
	}
	return f
}

// one runs one flow: a new shopper pays and comes back.
func (f *flows) one() {
	b := f.b
	f.n++
	order := "BENCH-" + strconv.Itoa(f.n)
	jar, _ := cookiejar.New(nil)
	shopper := &http.Client{
		Transport:     f.tr,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	// The shopper posts the shop's checkout form.
	req, _ := http.NewRequest(http.MethodPost, f.shopURL+"/pay", strings.NewReader("order="+order))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if loc := expect303(b, shopper, req); !strings.HasPrefix(loc, f.gw.URL+"/checkout/") {
		b.Fatalf("pay sent the shopper to %q", loc)
	}
	// The shopper pays on the gateway's page (simulated), which sends
	// them back to the return URL the shop gave it.
	id := f.ids.get(order)
	if err := f.gw.Complete(id, pointcheckout.StatusPaid); err != nil {
		b.Fatal(err)
	}
	co, _ := f.gw.Checkout(id)
	req, _ = http.NewRequest(http.MethodGet, co.ReturnURL, nil)
	if loc := expect303(b, shopper, req); loc != "/thanks" {
		b.Fatalf("return sent the shopper to %q", loc)
	}
	// Keep the live heap flat: the sandbox remembers every checkout
	// and request, and a heap that grows with b.N makes every GC
	// cycle dearer, charging the side that allocates more twice.
	f.ids.forget(order)
	if f.n%resetEvery == 0 {
		f.gw.Reset()
	}
}

// close checks that both sides kept their connections alive (or the
// comparison would measure TCP handshakes) and closes them.
func (f *flows) close() {
	defer f.tr.CloseIdleConnections()
	if d, g := f.dials.Load(), f.gw.ConnectionsOpened(); d > 2 || g > 4 {
		f.b.Fatalf("keep-alive broken: %d connections to the shop, %d to the sandbox in %d flows", d, g, f.n)
	}
}

// resetEvery is how many flows the sandbox keeps before it forgets them.
const resetEvery = 256

// expect303 sends req and returns the Location of the 303 it must get.
func expect303(b *testing.B, c *http.Client, req *http.Request) string {
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	// Read the whole (small) body so the connection is reused.
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// orderIndex is the shop's record of which checkout belongs to which order,
// the one piece of state both shops keep.
type orderIndex struct {
	mu       sync.Mutex
	checkout map[string]string
	status   map[string]string
}

func newOrderIndex() *orderIndex {
	return &orderIndex{checkout: map[string]string{}, status: map[string]string{}}
}

func (x *orderIndex) put(order, id, status string) {
	x.mu.Lock()
	x.checkout[order] = id
	x.status[order] = status
	x.mu.Unlock()
}

func (x *orderIndex) forget(order string) {
	x.mu.Lock()
	delete(x.checkout, order)
	delete(x.status, order)
	x.mu.Unlock()
}

func (x *orderIndex) get(order string) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.checkout[order]
}

// benchAmount is every benchmark order's total, 123.45 AED.
const benchMinor, benchCurrency = 12345, "AED"

// packageShop is the harness's shop with the configuration a shop would
// write for the same flow, logging nothing (as the hand-written shop), and
// the order index as its updater.
type packageShop struct {
	*shoptest.Shop
	ids *orderIndex
}

func newPackageShop(b *testing.B) *packageShop {
	ids := newOrderIndex()
	amount := shoptest.Money(b, benchMinor, benchCurrency)
	s := shoptest.New(b, shoptest.Options{Configure: func(s *shoptest.Shop, c *pointcheckout.Config) {
		*c = pointcheckout.Config{
			Client: s.Gateway.Client(),
			Orders: pointcheckout.OrdersFunc(func(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
				o := shoptest.Order(r.PostFormValue("order"), amount)
				return &o, nil
			}),
			Updater: pointcheckout.OrderUpdaterFunc(func(_ context.Context, u pointcheckout.Update) error {
				ids.put(u.OrderID, u.CheckoutID, u.Status.String())
				return nil
			}),
			Keys:        s.Keys,
			SuccessURL:  "/thanks",
			FailureURL:  "/sorry",
			PollTimeout: -1,
			Logger:      slog.New(slog.DiscardHandler),
		}
	}})
	return &packageShop{Shop: s, ids: ids}
}

// handwrittenShop is a minimal hand-written integration: net/http and
// encoding/json only, no verification, no cookies.
type handwrittenShop struct {
	srv    *httptest.Server
	ids    *orderIndex
	api    *http.Client
	base   string
	key    string
	secret string
}

func newHandwrittenShop(gw *pointcheckouttest.Server) *handwrittenShop {
	// The same keep-alive pool sizing the package's own transport uses, so
	// connection reuse is not what differs.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 64
	s := &handwrittenShop{
		ids:    newOrderIndex(),
		api:    &http.Client{Transport: tr, Timeout: 15 * time.Second},
		base:   gw.BaseURL(),
		key:    gw.Key,
		secret: gw.Secret,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /pay", s.pay)
	mux.HandleFunc("GET /return", s.back)
	s.srv = httptest.NewServer(mux)
	return s
}

func (s *handwrittenShop) close() {
	s.srv.Close()
	s.api.CloseIdleConnections()
}

// hwMoney writes minor units of a two-decimal currency as a JSON number.
func hwMoney(minor int64) json.Number {
	return json.Number(fmt.Sprintf("%d.%02d", minor/100, minor%100))
}

type hwItem struct {
	Name      string      `json:"name"`
	Quantity  int         `json:"quantity"`
	LineTotal json.Number `json:"linetotal"`
}

type hwCustomer struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Email     string `json:"email"`
}

type hwAddress struct {
	Name     string `json:"name"`
	Address1 string `json:"address1"`
	City     string `json:"city"`
	Country  string `json:"country"`
}

type hwCreate struct {
	RequestID      string      `json:"requestId"`
	OrderID        string      `json:"orderId"`
	Currency       string      `json:"currency"`
	Amount         json.Number `json:"amount"`
	Items          []hwItem    `json:"items"`
	Customer       hwCustomer  `json:"customer"`
	BillingAddress hwAddress   `json:"billingAddress"`
	ReturnURL      string      `json:"returnUrl"`
}

type hwAnswer struct {
	Success bool   `json:"success"`
	Error   string `json:"error"`
	Result  struct {
		ID          string `json:"id"`
		Status      string `json:"status"`
		RedirectURL string `json:"redirectUrl"`
	} `json:"result"`
}

// call sends one API request and decodes the envelope.
func (s *handwrittenShop) call(r *http.Request, method, path string, body []byte) (*hwAnswer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(r.Context(), method, s.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-PointCheckout-Api-Key", s.key)
	req.Header.Set("X-PointCheckout-Api-Secret", s.secret)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.api.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var a hwAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return nil, err
	}
	if !a.Success {
		return nil, errors.New(a.Error)
	}
	return &a, nil
}

// pay creates the checkout and sends the shopper to its page.
func (s *handwrittenShop) pay(w http.ResponseWriter, r *http.Request) {
	order := r.PostFormValue("order")
	amount := hwMoney(benchMinor)
	body, err := json.Marshal(hwCreate{
		RequestID: uuid.NewString(), OrderID: order, Currency: benchCurrency, Amount: amount,
		Items:          []hwItem{{Name: "Dates, 1 kg", Quantity: 1, LineTotal: amount}},
		Customer:       hwCustomer{FirstName: "Test", LastName: "Shopper", Email: "shopper@example.com"},
		BillingAddress: hwAddress{Name: "Test Shopper", Address1: "1 Palm St", City: "Dubai", Country: "AE"},
		ReturnURL:      "http://" + r.Host + "/return?order=" + url.QueryEscape(order),
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	a, err := s.call(r, http.MethodPost, "checkout/web", body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	s.ids.put(order, a.Result.ID, a.Result.Status)
	http.Redirect(w, r, a.Result.RedirectURL, http.StatusSeeOther)
}

// back asks the API for the order's checkout and records its status.
func (s *handwrittenShop) back(w http.ResponseWriter, r *http.Request) {
	order := r.URL.Query().Get("order")
	id := s.ids.get(order)
	a, err := s.call(r, http.MethodGet, "checkout/"+id, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	s.ids.put(order, id, a.Result.Status)
	target := "/sorry"
	if a.Result.Status == "PAID" {
		target = "/thanks"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
