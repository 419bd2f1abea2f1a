package pointcheckout_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// Fuzz targets for the outside input the handlers and the client parse:
// notification bodies, the return's query and cookies, and API answers.
// Seed corpora live in testdata/fuzz/<FuzzName>/; the seeds added here are
// the ones that need this run's keys or checkouts.

// fuzzShop is a shop with one checkout pending at the gateway, one failed,
// and none paid: so no input whatever may produce a PAID update.
type fuzzShop struct {
	s                           *shopHarness
	handler                     http.Handler
	pendingID, failedID         string
	pendingTok, failedTok       string
	pendingCookie, failedCookie string
}

func newFuzzShop(f *testing.F) *fuzzShop {
	s := newShop(f, harnessOpts{})
	fs := &fuzzShop{s: s, handler: s.h.Middleware(landingPage())}
	b := s.browser()
	p := s.pay(b, "ORD-2")
	fs.pendingID = s.checkoutIDFor(p.location)
	fs.pendingCookie = s.cookie(b, "pc_checkout").Value
	fs.pendingTok = tokenOf(f, s.returnURL(fs.pendingID))
	b2 := s.browser()
	p = s.pay(b2, "ORD-1")
	fs.failedID = s.checkoutIDFor(p.location)
	fs.failedCookie = s.cookie(b2, "pc_checkout").Value
	fs.failedTok = tokenOf(f, s.returnURL(fs.failedID))
	if err := s.gw.Complete(fs.failedID, pointcheckout.StatusFailed); err != nil {
		f.Fatal(err)
	}
	return fs
}

// noMoneyTaken fails t if any update claims money: the gateway holds none.
func (fs *fuzzShop) noMoneyTaken(t *testing.T, from int) {
	t.Helper()
	ups := fs.s.updates.list()
	for _, u := range ups[from:] {
		if moneyTaken(u.Status) {
			t.Fatalf("update claims money the gateway did not take: %+v", u)
		}
		if c, ok := fs.s.gw.Checkout(u.CheckoutID); !ok || c.Status != u.Status || c.OrderID != u.OrderID || c.Amount != u.Amount {
			t.Fatalf("update disagrees with the gateway: %+v", u)
		}
	}
}

// FuzzNotifyHandler posts arbitrary bodies and content types to
// /pay/notify: the handler answers one of its documented statuses, never
// echoes the body, and never turns a body's claim into an update.
func FuzzNotifyHandler(f *testing.F) {
	fs := newFuzzShop(f)
	for _, seed := range []struct{ body, ctype string }{
		{`{"checkoutId":"` + fs.pendingID + `","status":"PAID"}`, "application/json"},
		{`{"id":` + fs.pendingID + `}`, "application/json"},
		{`{"result":{"id":"` + fs.failedID + `"},"status":"PAID"}`, "application/json; charset=utf-8"},
		{"checkoutId=" + fs.pendingID + "&status=PAID", "application/x-www-form-urlencoded"},
		{"id=" + fs.failedID, "application/x-www-form-urlencoded"},
	} {
		f.Add([]byte(seed.body), seed.ctype)
	}
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		before := len(fs.s.updates.list())
		req := httptest.NewRequest(http.MethodPost, "/pay/notify", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", ctype)
		got := serve(fs.handler, req)
		switch got.status {
		case http.StatusOK, http.StatusAccepted, http.StatusBadRequest, http.StatusNotFound:
		default:
			t.Fatalf("notify answered %d: %s", got.status, got.body)
		}
		if len(body) >= 16 && strings.Contains(got.body, string(body)) {
			t.Fatalf("notify echoes its body")
		}
		fs.noMoneyTaken(t, before)
	})
}

// FuzzReturnHandler sends arbitrary tokens, cookies and extra query
// parameters to /pay/return: never a PAID update, never a 5xx (the
// gateway and the updater are healthy here), and a redirect only to the
// failure page of the one failed checkout.
func FuzzReturnHandler(f *testing.F) {
	fs := newFuzzShop(f)
	f.Add(fs.pendingTok, "pc_checkout="+fs.pendingCookie, "status=PAID", false)
	f.Add(fs.failedTok, "", "amount=1.00&status=PAID", true)
	f.Add(fs.pendingTok, "pc_checkout="+fs.failedCookie, "", false)
	f.Add(fs.failedTok, "pc_checkout="+fs.pendingCookie+"; pc_checkout="+fs.failedCookie, "t="+fs.pendingTok, false)
	f.Add("", "pc_result="+fs.pendingCookie, "", false)
	f.Fuzz(func(t *testing.T, token, cookie, extra string, post bool) {
		before := len(fs.s.updates.list())
		target := "/pay/return?" + url.Values{"t": {token}}.Encode()
		if extra != "" {
			target += "&" + extra
		}
		method := http.MethodGet
		if post {
			method = http.MethodPost
		}
		req, err := http.NewRequest(method, target, nil)
		if err != nil {
			return // not a request a server could receive
		}
		req.RequestURI = target
		req.Header.Set("Cookie", cookie)
		got := serve(fs.handler, req)
		switch got.status {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
		case http.StatusSeeOther:
			if loc := got.header.Get("Location"); loc != "/sorry" {
				t.Fatalf("return redirected to %q", loc)
			}
		default:
			t.Fatalf("return answered %d: %s", got.status, got.body)
		}
		for _, c := range got.header.Values("Set-Cookie") {
			if len(cookie) >= 16 && strings.Contains(c, cookie) {
				t.Fatalf("return reflects the cookie it was sent")
			}
		}
		fs.noMoneyTaken(t, before)
	})
}

// apiDouble answers every request with whatever the current fuzz input
// says: a status code and a body.
type apiDouble struct {
	mu     sync.Mutex
	status int
	body   []byte
}

func (d *apiDouble) set(status int, body []byte) {
	d.mu.Lock()
	d.status, d.body = status, body
	d.mu.Unlock()
}

func (d *apiDouble) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	d.mu.Lock()
	status, body := d.status, d.body
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// FuzzClientOverLoopback serves arbitrary API answers over a real loopback
// connection (so net/http's own handling of odd statuses and bodies is in
// play, unlike FuzzClientAnswer's in-memory transport) to the Client's get,
// search and create calls, the last with its lookup after an unknown
// outcome: no panic; a checkout returned without an error has a valid exact
// amount; every failure is an *APIError (or wraps one) and quotes no
// credential.
func FuzzClientOverLoopback(f *testing.F) {
	double := &apiDouble{}
	srv := httptest.NewServer(double)
	f.Cleanup(srv.Close)
	env, err := pointcheckout.CustomEnvironment(srv.URL + "/mer/v2.0/")
	if err != nil {
		f.Fatal(err)
	}
	const secret = "fuzz-secret-0f1e2d3c4b5a"
	client, err := pointcheckout.NewClient(pointcheckout.ClientConfig{
		Key: "fuzz-key", Secret: pointcheckout.NewSecret(secret), Environment: env, MaxRetries: -1, Timeout: 5 * time.Second,
	})
	if err != nil {
		f.Fatal(err)
	}
	amount, _ := pointcheckout.NewMoney(10000, "AED")
	createReq := soakOrder("ORD-F", amount)
	createReq.RequestID = "req-f"
	createReq.ReturnURL = "https://shop.example/pay/return"

	checkout := `{"id":"1000000000000000001","requestId":"req-f","orderId":"ORD-F","currency":"AED","amount":100.00,"status":"PAID","redirectUrl":"https://pay.example/checkout/k"}`
	for _, seed := range []struct {
		status uint16
		body   string
	}{
		{200, `{"success":true,"elapsed":3,"result":` + checkout + `}`},
		{200, `{"success":true,"result":{"page":0,"size":20,"totalPages":1,"totalElements":1,"content":[` + checkout + `]}}`},
		{200, `{"success":true,"result":{"id":"1","currency":"KWD","amount":1.2345,"status":"Paid"}}`},
		{200, `{"success":true,"result":{"id":"1","currency":"AED","amount":"100.00","status":"PAID"}}`},
		{200, `{"success":true,"result":{"id":"1","currency":"AED","amount":1e2,"status":"PAID"}}`},
		{200, `{"success":true,"result":null}`},
		{200, `{"success":false,"error":"Checkout not found for API merchant"}`},
		{400, `{"success":false,"elapsed":1,"error":"Checkout not found for API merchant"}`},
		{401, `{"success":false,"error":"Unauthorized"}`},
		{502, `<html><body>Bad Gateway</body></html>`},
		{200, `{"success":true,"elapsed":1,"result":{"id":"`},
	} {
		f.Add(seed.status, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, status uint16, body []byte) {
		double.set(200+int(status%400), body)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		check := func(op string, err error, cos ...*pointcheckout.Checkout) {
			t.Helper()
			if err != nil {
				var apiErr *pointcheckout.APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("%s: error is not an *APIError: %v", op, err)
				}
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("%s: error quotes the secret", op)
				}
				if len(err.Error()) > 2048 {
					t.Fatalf("%s: error of %d bytes", op, len(err.Error()))
				}
				return
			}
			for _, co := range cos {
				if co == nil || co.ID == "" {
					t.Fatalf("%s: checkout without an id: %+v", op, co)
				}
				if !co.Amount.IsValid() {
					continue // read tolerantly; verification refuses it
				}
				if _, err := pointcheckout.NewMoney(co.Amount.Minor(), co.Amount.Currency()); err != nil {
					t.Fatalf("%s: amount %v does not rebuild: %v", op, co.Amount, err)
				}
			}
		}
		co, err := client.GetCheckout(ctx, "1000000000000000001")
		check("get", err, co)
		found, err := client.FindByOrderID(ctx, "ORD-F")
		if err == nil {
			cos := make([]*pointcheckout.Checkout, len(found))
			for i := range found {
				cos[i] = &found[i]
			}
			check("find", nil, cos...)
		} else {
			check("find", err)
		}
		co, err = client.CreateWebCheckout(ctx, &createReq)
		check("create", err, co)
	})
}
