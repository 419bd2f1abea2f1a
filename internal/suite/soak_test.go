package suite

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/internal/shoptest"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// The soak runs many shoppers at once through the mounted handlers against
// the sandbox, with gateway faults, updater failures, double returns and
// the gateway's notifications racing the shoppers' returns, then compares
// every order the shop recorded with the gateway's own truth.
//
//	go test -race -run TestSoak ./internal/suite                                   (CI size)
//	go test -run TestSoak ./internal/suite -soak.flows=5000 -soak.concurrency=200   (large)
var (
	soakFlows       = flag.Int("soak.flows", 200, "shopper flows the soak runs")
	soakConcurrency = flag.Int("soak.concurrency", 50, "shoppers the soak runs at once")
	soakSeed        = flag.Uint64("soak.seed", 0, "seed of the soak's choices (0: a fresh one, logged)")
)

// ledger is the soak's OrderUpdater: each order's attempts under
// pointcheckout.ApplyUpdate's rule, kept in memory as package sqlledger
// keeps them in a database, with the Ref of every attempt for
// notifications and sweeps. An update whose amount is not the order's is
// refused. It fails now and then, as a database does, and it counts what
// the rule did with each update.
type ledger struct {
	mu       sync.Mutex
	rng      *rand.Rand
	failRate float64
	orders   map[string]*ledgerOrder
	byID     map[string]string // checkout id → order id

	failures, repeats, refused, amountMismatch, unknown, verification int
}

// ledgerOrder is one order: its price, its attempts and payment state,
// every status each attempt took, and how often the order's state changed
// to one that took money.
type ledgerOrder struct {
	amount   pointcheckout.Money
	attempts []pointcheckout.Attempt
	state    pointcheckout.PaymentState
	applied  map[string][]pointcheckout.Status // checkout id → its statuses, in order
	paid     int
}

var errLedgerDown = errors.New("ledger: database is locked")

func newLedger(seed uint64, failRate float64) *ledger {
	return &ledger{
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), failRate: failRate,
		orders: map[string]*ledgerOrder{}, byID: map[string]string{},
	}
}

func (l *ledger) addOrder(id string, amount pointcheckout.Money) {
	l.mu.Lock()
	l.orders[id] = &ledgerOrder{amount: amount, state: pointcheckout.PaymentNone, applied: map[string][]pointcheckout.Status{}}
	l.mu.Unlock()
}

func (l *ledger) amount(id string) (pointcheckout.Money, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o, ok := l.orders[id]
	if !ok {
		return pointcheckout.Money{}, false
	}
	return o.amount, true
}

func (l *ledger) UpdateOrder(_ context.Context, u pointcheckout.Update) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rng.Float64() < l.failRate {
		l.failures++
		return errLedgerDown
	}
	o, ok := l.orders[u.OrderID]
	if !ok {
		l.unknown++
		return fmt.Errorf("ledger: unknown order %q", u.OrderID)
	}
	if u.Amount != o.amount || u.Ref.Amount != o.amount {
		l.amountMismatch++
		return fmt.Errorf("ledger: order %s: amount %s is not the order's %s", u.OrderID, u.Amount, o.amount)
	}
	out := pointcheckout.ApplyUpdate(o.attempts, u)
	switch {
	case errors.Is(out.Err, pointcheckout.ErrVerification):
		l.verification++
		return out.Err
	case errors.Is(out.Err, pointcheckout.ErrUnknownAttempt):
		// Only /pay introduces an attempt; anything else naming an
		// unknown one did not come from this shop's own flow.
		l.unknown++
		return out.Err
	case out.Err != nil:
		l.refused++
		return out.Err
	case out.AttemptChanged:
		l.byID[u.CheckoutID] = u.OrderID
		o.applied[u.CheckoutID] = append(o.applied[u.CheckoutID], u.Status)
	case out.Attempt.Status == u.Status:
		l.repeats++
	default:
		// A move back (PAID to PENDING, FAILED to PAID...) changes
		// nothing; the update is done as far as the handler cares.
		l.refused++
	}
	o.attempts, o.state = out.Attempts, out.After
	if out.OrderChanged && !out.Before.TookMoney() && out.After.TookMoney() {
		o.paid++
	}
	return nil
}

func (l *ledger) FindRef(_ context.Context, id string) (pointcheckout.Ref, error) {
	if a, ok := l.attempt(id); ok {
		return a.Ref, nil
	}
	return pointcheckout.Ref{}, fmt.Errorf("ledger: checkout %q: %w", id, pointcheckout.ErrNotFound)
}

func (l *ledger) FindRefByRequestID(_ context.Context, requestID string) (pointcheckout.Ref, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, o := range l.orders {
		for _, a := range o.attempts {
			if a.Ref.RequestID == requestID {
				return a.Ref, nil
			}
		}
	}
	return pointcheckout.Ref{}, fmt.Errorf("ledger: request %q: %w", requestID, pointcheckout.ErrNotFound)
}

// attempt returns the attempt with checkout id, of any order.
func (l *ledger) attempt(id string) (pointcheckout.Attempt, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o, ok := l.orders[l.byID[id]]
	if !ok {
		return pointcheckout.Attempt{}, false
	}
	for _, a := range o.attempts {
		if a.Ref.CheckoutID == id {
			return a, true
		}
	}
	return pointcheckout.Attempt{}, false
}

// unsettled returns the Refs of attempts still waiting, for a sweep.
func (l *ledger) unsettled() []pointcheckout.Ref {
	l.mu.Lock()
	defer l.mu.Unlock()
	var refs []pointcheckout.Ref
	for _, o := range l.orders {
		for _, a := range o.attempts {
			if !a.Status.IsFinal() {
				refs = append(refs, a.Ref)
			}
		}
	}
	return refs
}

// regressionsAccepted counts applied moves the forward rule forbids; the
// rule never applies one, and this proves it from the history.
func (l *ledger) regressionsAccepted() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, o := range l.orders {
		for _, applied := range o.applied {
			prev := pointcheckout.Status("")
			for _, st := range applied {
				if !prev.CanBecome(st) {
					n++
				}
				prev = st
			}
		}
	}
	return n
}

// flowKind is what one shopper does.
type flowKind int

const (
	flowPaid flowKind = iota
	flowDeclined
	flowAuthorized
	flowCancelled
	flowPaidNoReturn     // pays, closes the tab: notify or the sweep
	flowAbandoned        // never pays: expires, found by the sweep
	flowDoubleReturn     // two returns at once plus a second device
	flowDeclinedThenPaid // a second attempt on the same order
	flowPaidLater        // pending at the gateway until it settles
	numFlowKinds
)

func (k flowKind) card() (string, string) {
	switch k {
	case flowDeclined, flowDeclinedThenPaid:
		return pointcheckouttest.CardDeclined, "pay"
	case flowAuthorized:
		return pointcheckouttest.CardAuthorizeOnly, "pay"
	case flowCancelled:
		return "", "cancel"
	case flowPaidLater:
		return pointcheckouttest.CardPaidLater, "pay"
	}
	return pointcheckouttest.CardPaid, "pay"
}

// landing is where a shopper was finally sent for one checkout (the
// payment page URL names it).
type landing struct{ pageURL, location string }

type soakRig struct {
	s       *shoptest.Shop
	ledger  *ledger
	mu      sync.Mutex
	landed  []landing
	payFail atomic.Int64
}

func newSoakRig(t *testing.T, seed uint64) *soakRig {
	r := &soakRig{ledger: newLedger(seed, 0.05)}
	r.s = shoptest.New(t, shoptest.Options{Notify: true, Configure: func(s *shoptest.Shop, c *pointcheckout.Config) {
		c.Client = shoptest.Client(t, s.Gateway, func(c *pointcheckout.ClientConfig) {
			// Many shoppers at once under -race: give each attempt time.
			c.Timeout = 5 * time.Second
		})
		c.Orders = pointcheckout.OrdersFunc(func(req *http.Request) (*pointcheckout.CheckoutRequest, error) {
			id := req.FormValue("order")
			amount, ok := r.ledger.amount(id)
			if !ok {
				return nil, pointcheckout.ErrNotFound
			}
			o := shoptest.Order(id, amount)
			return &o, nil
		})
		c.Updater = r.ledger
	}})
	return r
}

// shopper is one browser. Unlike shoptest's Browser it reports errors
// instead of failing the test, since it runs on its own goroutine.
type shopper struct{ c *http.Client }

func newShopper() *shopper { return &shopper{c: shoptest.BrowserClient(20 * time.Second)} }

func (sh *shopper) do(method, rawURL string, form url.Values, header http.Header) (shoptest.Page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		return shoptest.Page{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := sh.c.Do(req)
	if err != nil {
		return shoptest.Page{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return shoptest.Page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(b)}, err
}

// start posts /pay until the shopper is sent to the payment page; a shopper
// whose attempts all fail gives up (the order stays unpaid, as it should).
func (r *soakRig) start(sh *shopper, order string) (string, bool, error) {
	for range 5 {
		p, err := sh.do(http.MethodPost, r.s.URL+"/pay", url.Values{"order": {order}}, http.Header{"Sec-Fetch-Site": {"same-origin"}})
		if err != nil {
			return "", false, err
		}
		switch p.Status {
		case http.StatusSeeOther:
			if !strings.HasPrefix(p.Location, r.s.Gateway.URL+"/checkout/") {
				return "", false, fmt.Errorf("pay sent the shopper to %q", p.Location)
			}
			return p.Location, true, nil
		case http.StatusBadGateway, http.StatusInternalServerError:
			r.payFail.Add(1)
		default:
			return "", false, fmt.Errorf("pay answered %d", p.Status)
		}
	}
	return "", false, nil
}

// submit fills in the payment page and returns the way back to the shop.
func (r *soakRig) submit(sh *shopper, pageURL, card, action string) (string, error) {
	form, err := sh.do(http.MethodGet, pageURL, nil, nil)
	if err != nil {
		return "", err
	}
	csrf, ok := shoptest.CSRFToken(form.Body)
	if form.Status != http.StatusOK || !ok {
		return "", fmt.Errorf("payment page answered %d", form.Status)
	}
	back, err := sh.do(http.MethodPost, pageURL, shoptest.CardForm(csrf, card, action), http.Header{"Origin": {r.s.Gateway.URL}})
	if err != nil {
		return "", err
	}
	if back.Status != http.StatusSeeOther || !strings.HasPrefix(back.Location, r.s.URL+"/pay/return?") {
		return "", fmt.Errorf("payment page sent the shopper to %d %q", back.Status, back.Location)
	}
	return back.Location, nil
}

// comeBack loads the return page, refreshing as the confirming and error
// pages ask, until it redirects or the shopper gives up.
func (r *soakRig) comeBack(sh *shopper, pageURL, returnURL string, tries int) error {
	for range tries {
		p, err := sh.do(http.MethodGet, returnURL, nil, nil)
		if err != nil {
			return err
		}
		switch p.Status {
		case http.StatusSeeOther:
			r.mu.Lock()
			r.landed = append(r.landed, landing{pageURL: pageURL, location: p.Location})
			r.mu.Unlock()
			return nil
		case http.StatusOK, http.StatusInternalServerError, http.StatusBadGateway:
			// Confirming, the updater failed, or the gateway answered
			// something unverifiable: the page asks for a reload.
		default:
			return fmt.Errorf("return answered %d: %s", p.Status, p.Body)
		}
	}
	return nil
}

func (r *soakRig) flow(i int, kind flowKind) error {
	order := fmt.Sprintf("SOAK-%06d", i)
	sh := newShopper()
	pageURL, ok, err := r.start(sh, order)
	if err != nil || !ok || kind == flowAbandoned {
		return err
	}
	card, action := kind.card()
	back, err := r.submit(sh, pageURL, card, action)
	if err != nil {
		return err
	}
	switch kind {
	case flowPaidNoReturn:
		return nil
	case flowPaidLater:
		return r.comeBack(sh, pageURL, back, 2)
	case flowDoubleReturn:
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for j := range errs {
			wg.Go(func() {
				who := sh
				if j == 2 {
					who = newShopper() // a second device: the token only
				}
				errs[j] = r.comeBack(who, pageURL, back, 6)
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	case flowDeclinedThenPaid:
		if err := r.comeBack(sh, pageURL, back, 6); err != nil {
			return err
		}
		pageURL, ok, err = r.start(sh, order)
		if err != nil || !ok {
			return err
		}
		if back, err = r.submit(sh, pageURL, pointcheckouttest.CardPaid, "pay"); err != nil {
			return err
		}
	}
	return r.comeBack(sh, pageURL, back, 6)
}

// injectSome queues a fault now and then; with many shoppers in flight it
// hits whichever request comes next.
func (r *soakRig) injectSome(rng *rand.Rand, injected map[pointcheckouttest.Endpoint]int) {
	x := rng.Float64()
	var ep pointcheckouttest.Endpoint
	var f pointcheckouttest.Fault
	switch {
	case x < 0.08:
		ep, f = pointcheckouttest.EndpointGet, pointcheckouttest.StatusCode(http.StatusServiceUnavailable)
	case x < 0.12:
		ep, f = pointcheckouttest.EndpointGet, pointcheckouttest.DropConnection()
	case x < 0.14:
		ep, f = pointcheckouttest.EndpointGet, pointcheckouttest.WrongAmount()
	case x < 0.16:
		ep, f = pointcheckouttest.EndpointGet, pointcheckouttest.MalformedJSON()
	case x < 0.19:
		ep, f = pointcheckouttest.EndpointCreate, pointcheckouttest.DropAfterCommit()
	case x < 0.21:
		ep, f = pointcheckouttest.EndpointCreate, pointcheckouttest.StatusCode(http.StatusBadGateway)
	case x < 0.23:
		ep, f = pointcheckouttest.EndpointFind, pointcheckouttest.StatusCode(http.StatusTooManyRequests)
	default:
		return
	}
	r.s.Gateway.InjectFault(ep, 1, f)
	injected[ep]++
}

func TestSoak(t *testing.T) {
	ev := newTally(t)
	flows, conc := *soakFlows, *soakConcurrency
	if testing.Short() {
		flows = min(flows, 40)
	}
	require.Positive(t, flows)
	require.Positive(t, conc)
	seed := *soakSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("soak: %d flows, %d at once, seed %d (-soak.seed to repeat)", flows, conc, seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	r := newSoakRig(t, seed)

	amounts := []struct {
		minor int64
		cur   string
	}{{10000, "AED"}, {25050, "AED"}, {100, "AED"}, {12345, "KWD"}, {999, "USD"}, {1, "BHD"}}
	kinds := make([]flowKind, flows)
	for i := range flows {
		a := amounts[rng.IntN(len(amounts))]
		m, err := pointcheckout.NewMoney(a.minor, a.cur)
		require.NoError(t, err)
		r.ledger.addOrder(fmt.Sprintf("SOAK-%06d", i), m)
		kinds[i] = flowKind(rng.IntN(int(numFlowKinds)))
	}

	// The shoppers, conc at a time, bounded in time as a whole.
	deadline := time.Now().Add(3 * time.Minute)
	injected := map[pointcheckouttest.Endpoint]int{}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	var flowErrs atomic.Int64
	for i := range flows {
		if time.Now().After(deadline) {
			t.Fatalf("soak ran out of time after %d flows", i)
		}
		r.injectSome(rng, injected)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := r.flow(i, kinds[i]); err != nil {
				flowErrs.Add(1)
				t.Errorf("flow %d (kind %d): %v", i, kinds[i], err)
			}
		})
	}
	wg.Wait()
	served := 0
	for ep, n := range injected {
		served += n - r.s.Gateway.PendingFaults(ep)
	}
	r.s.Gateway.ClearFaults()

	// Time passes: unpaid checkouts expire, late payments settle. Then the
	// shop's periodic sweep runs until nothing is left to ask about (the
	// ledger still fails now and then, so it may take a few rounds).
	r.s.Clock.Advance(pointcheckouttest.DefaultTTL + time.Minute)
	rounds := 0
	for refs := r.ledger.unsettled(); len(refs) > 0; refs = r.ledger.unsettled() {
		rounds++
		require.LessOrEqual(t, rounds, 20, "the sweep does not converge: %d checkouts left", len(refs))
		_, _ = r.s.Handler.Reconcile(t.Context(), refs)
	}

	// Compare every checkout and every order with the gateway's truth.
	truth := r.s.Gateway.Checkouts()
	byPage := map[string]pointcheckouttest.Checkout{}
	orderPaidAtGateway := map[string]bool{}
	wrong, lost := 0, 0
	for _, c := range truth {
		byPage[c.RedirectURL] = c
		if moneyTaken(c.Status) {
			orderPaidAtGateway[c.OrderID] = true
		}
		a, known := r.ledger.attempt(c.ID)
		got := a.Status
		switch {
		case !known && moneyTaken(c.Status):
			lost++
			t.Errorf("checkout %s of %s is %s at the gateway, unknown to the shop", c.ID, c.OrderID, c.Status)
		case !known:
			// Created but never shown to a shopper (the create's answer
			// was lost, or the updater refused /pay and it was
			// cancelled): it can never take money.
			assert.Contains(t, []pointcheckout.Status{pointcheckout.StatusPending, pointcheckout.StatusExpired, pointcheckout.StatusCancelled}, c.Status)
		case got == c.Status:
		case !got.IsFinal() && c.Status.IsFinal():
			lost++
			t.Errorf("checkout %s of %s: gateway %s, shop still %s", c.ID, c.OrderID, c.Status, got)
		default:
			wrong++
			t.Errorf("checkout %s of %s: gateway %s, shop %s", c.ID, c.OrderID, c.Status, got)
		}
	}
	// Each order is paid in the shop exactly when it is at the gateway, in
	// whichever attempt, and the shop was told so once.
	r.ledger.mu.Lock()
	for id, o := range r.ledger.orders {
		paid := o.state.TookMoney()
		if paid != orderPaidAtGateway[id] {
			wrong++
			t.Errorf("order %s: shop says %s, gateway paid=%v", id, o.state, orderPaidAtGateway[id])
		}
		if want := boolCount(paid); o.paid != want {
			wrong++
			t.Errorf("order %s: the shop was told %d times that it took money, want %d", id, o.paid, want)
		}
	}
	ledgerStats := fmt.Sprintf("updater: %d failures, %d repeats, %d refused or ignored, %d unknown, %d amount mismatches, %d verification failures",
		r.ledger.failures, r.ledger.repeats, r.ledger.refused, r.ledger.unknown, r.ledger.amountMismatch, r.ledger.verification)
	assert.Zero(t, r.ledger.unknown, "updates for checkouts the shop never created")
	assert.Zero(t, r.ledger.amountMismatch, "updates with another amount")
	assert.Zero(t, r.ledger.verification, "updates that do not match the recorded attempt")
	updaterFailures, orders := r.ledger.failures, len(r.ledger.orders)
	r.ledger.mu.Unlock()
	r.mu.Lock()
	for _, l := range r.landed {
		c, ok := byPage[l.pageURL]
		require.True(t, ok)
		if (l.location == "/thanks") != moneyTaken(c.Status) {
			wrong++
			t.Errorf("shopper of %s sent to %s, gateway says %s", c.OrderID, l.location, c.Status)
		}
	}
	landed := len(r.landed)
	r.mu.Unlock()
	regressions := r.ledger.regressionsAccepted()
	assert.Zero(t, regressions)
	assert.Zero(t, wrong, "wrong updates")
	assert.Zero(t, lost, "lost updates")
	assert.Zero(t, flowErrs.Load())
	t.Logf("soak: %d checkouts, %d shoppers landed, %d /pay failures retried, %d faults served, %d sweep rounds; %s",
		len(truth), landed, r.payFail.Load(), served, rounds, ledgerStats)

	ev.add(evFlows, flows)
	ev.add(evOrders, orders)
	ev.add(evFaults, served+updaterFailures)
	ev.add(evWrong, wrong)
	ev.add(evLost, lost)
	ev.add(evRegressions, regressions)
}

// boolCount is 1 for true, 0 for false.
func boolCount(b bool) int {
	if b {
		return 1
	}
	return 0
}
