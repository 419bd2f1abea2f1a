package main

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limit is a token bucket: a client may send Burst requests at once, then
// one more every Every. The zero Limit allows everything.
type Limit struct {
	Every time.Duration
	Burst int
}

// RouteLimit bounds one route: per client, and for all clients together,
// which caps what a flood from many addresses costs.
type RouteLimit struct {
	PerClient, Total Limit
}

// Limits are the shop's request limits. Each route limited here costs
// something a shopper cannot be allowed to spend freely.
type Limits struct {
	// Pay is POST /pay: each request creates a checkout at the gateway.
	Pay RouteLimit
	// Return is /pay/return: a pending return asks the gateway, and the
	// confirming page reloads itself every few seconds.
	Return RouteLimit
	// Notify is /pay/notify: each notification for a known checkout asks
	// the gateway. The gateway sends them from few addresses.
	Notify RouteLimit
	// Order is POST /checkout: each places an order in the database.
	Order RouteLimit
	// AdminFailures are wrong admin passwords per client; once spent,
	// every admin request of that client is refused until one returns.
	AdminFailures Limit
}

// defaultLimits are generous for a shopper and a gateway, and stop a
// script. A shop with more traffic raises Total, not PerClient.
func defaultLimits() Limits {
	return Limits{
		Pay:           RouteLimit{PerClient: Limit{Every: 10 * time.Second, Burst: 6}, Total: Limit{Every: 100 * time.Millisecond, Burst: 50}},
		Return:        RouteLimit{PerClient: Limit{Every: time.Second, Burst: 20}, Total: Limit{Every: 20 * time.Millisecond, Burst: 200}},
		Notify:        RouteLimit{PerClient: Limit{Every: 50 * time.Millisecond, Burst: 100}, Total: Limit{Every: 20 * time.Millisecond, Burst: 200}},
		Order:         RouteLimit{PerClient: Limit{Every: 10 * time.Second, Burst: 10}, Total: Limit{Every: 100 * time.Millisecond, Burst: 50}},
		AdminFailures: Limit{Every: time.Minute, Burst: 5},
	}
}

// scaleTotals returns l with every shop-wide (Total) limit n times as
// generous: n times the rate and the burst.
func (l Limits) scaleTotals(n int) Limits {
	if n <= 1 {
		return l
	}
	scale := func(r *RouteLimit) {
		if r.Total != (Limit{}) {
			r.Total.Every /= time.Duration(n)
			r.Total.Burst *= n
		}
	}
	scale(&l.Pay)
	scale(&l.Return)
	scale(&l.Notify)
	scale(&l.Order)
	return l
}

// maxClients bounds the memory the per-client buckets take. Past it,
// clients idle long enough to have a full bucket are forgotten, and new
// clients beyond that share one bucket.
const maxClients = 10000

// bucket is one token bucket.
type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// clientLimiter keeps one bucket per client address (an IPv6 client is its
// /64, which one host usually holds whole) and an overflow bucket.
type clientLimiter struct {
	limit    Limit
	now      func() time.Time
	mu       sync.Mutex
	clients  map[netip.Prefix]*bucket
	overflow *rate.Limiter
}

func newClientLimiter(l Limit, now func() time.Time) *clientLimiter {
	return &clientLimiter{limit: l, now: now, clients: map[netip.Prefix]*bucket{}, overflow: newLimiter(l)}
}

// newLimiter makes a full bucket for l.
func newLimiter(l Limit) *rate.Limiter { return rate.NewLimiter(rate.Every(l.Every), l.Burst) }

// clientKey is the bucket key of an address.
func clientKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, err := a.Prefix(bits)
	if err != nil { // an invalid address: every such client shares a key
		return netip.Prefix{}
	}
	return p
}

// limiter returns the bucket of a client, creating it if needed. c.mu is
// held.
func (c *clientLimiter) limiter(a netip.Addr, now time.Time) *rate.Limiter {
	key := clientKey(a)
	if b, ok := c.clients[key]; ok {
		b.seen = now
		return b.lim
	}
	if len(c.clients) >= maxClients {
		// A bucket idle for the time it takes to refill is full again:
		// forgetting it changes nothing.
		refill := c.limit.Every * time.Duration(c.limit.Burst)
		for k, b := range c.clients {
			if now.Sub(b.seen) > refill {
				delete(c.clients, k)
			}
		}
		if len(c.clients) >= maxClients {
			return c.overflow
		}
	}
	b := &bucket{lim: newLimiter(c.limit), seen: now}
	c.clients[key] = b
	return b.lim
}

// allow takes a token of client a's bucket; if there is none it reports
// how long until there is.
func (c *clientLimiter) allow(a netip.Addr) (bool, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	l := c.limiter(a, now)
	if l.AllowN(now, 1) {
		return true, 0
	}
	return false, untilToken(l, now)
}

// wait reports how long until client a has a token, taking none.
func (c *clientLimiter) wait(a netip.Addr) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	return untilToken(c.limiter(a, now), now)
}

// untilToken is how long until l holds a whole token.
func untilToken(l *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - l.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(missing / float64(l.Limit()) * float64(time.Second)))
}

// routeLimit is a RouteLimit in force.
type routeLimit struct {
	clients *clientLimiter
	total   *rate.Limiter
	now     func() time.Time
}

// allow takes a token from the client's bucket, then from the total.
func (l *routeLimit) allow(a netip.Addr) (bool, time.Duration) {
	if ok, wait := l.clients.allow(a); !ok {
		return false, wait
	}
	now := l.now()
	if l.total.AllowN(now, 1) {
		return true, 0
	}
	return false, untilToken(l.total, now)
}

// routeLimits are the limits of the shop's routes.
type routeLimits struct {
	pay, ret, notify, order *routeLimit
	adminFailures           *clientLimiter
}

func newRouteLimits(l Limits, now func() time.Time) *routeLimits {
	route := func(r RouteLimit) *routeLimit {
		return &routeLimit{clients: newClientLimiter(r.PerClient, now), total: newLimiter(r.Total), now: now}
	}
	return &routeLimits{
		pay: route(l.Pay), ret: route(l.Return), notify: route(l.Notify), order: route(l.Order),
		adminFailures: newClientLimiter(l.AdminFailures, now),
	}
}

// of returns the limit of a request's route, or nil.
func (l *routeLimits) of(r *http.Request) *routeLimit {
	switch r.URL.Path {
	case payPath:
		return l.pay
	case payPath + "/return":
		return l.ret
	case payPath + "/notify":
		return l.notify
	case "/checkout":
		if r.Method == http.MethodPost {
			return l.order
		}
	}
	return nil
}

// limitRequests refuses a request over its route's limit with 429 and a
// Retry-After, before it costs anything.
func (s *Shop) limitRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l := s.limits.of(r); l != nil {
			if ok, wait := l.allow(s.clients.addr(r)); !ok {
				s.tooMany(w, r, wait)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// tooMany answers 429 with the shop's page.
func (s *Shop) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.page(w, r, http.StatusTooManyRequests, "error", "Please wait a moment", errorView{
		Message: "Too many requests came from your connection in a short time. Please wait a minute and try again.",
	})
}

// clientAddrs tells who sent a request: the connection's peer, or, when
// the peer is a trusted reverse proxy, the nearest address in
// X-Forwarded-For that is not one of them. Addresses further left were
// written by the client itself and prove nothing.
type clientAddrs struct {
	trusted []netip.Prefix
}

// addr returns the client address of r; the zero Addr if none can be
// read.
func (c clientAddrs) addr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	a := ap.Addr().Unmap()
	if !c.isTrusted(a) {
		return a
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return a // a hop nobody trusted wrote: stop at the last known one
		}
		a = h.Unmap()
		if !c.isTrusted(a) {
			return a
		}
	}
	return a
}

func (c clientAddrs) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
