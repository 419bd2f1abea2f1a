package pointcheckouttest

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"
)

// Header names the two API specifications use for the credentials.
const (
	// PointCheckoutKeyHeader and PointCheckoutSecretHeader are the PointCheckout
	// Merchant API's credential headers, which the server expects by default.
	PointCheckoutKeyHeader    = "X-PointCheckout-Api-Key"
	PointCheckoutSecretHeader = "X-PointCheckout-Api-Secret"
	// PaymenntKeyHeader and PaymenntSecretHeader are the same API's headers
	// after the rebrand; see [WithPaymenntHeaders].
	PaymenntKeyHeader    = "X-Paymennt-Api-Key"
	PaymenntSecretHeader = "X-Paymennt-Api-Secret"
)

// DefaultTTL is how long a checkout stays payable unless [WithTTL] says
// otherwise.
const DefaultTTL = 30 * time.Minute

// DefaultSettleDelay is how long a checkout paid with [CardPaidLater] stays
// PENDING before it settles to PAID, unless [WithSettleDelay] says otherwise.
const DefaultSettleDelay = 5 * time.Second

// Option configures a [Server].
type Option func(*config)

type config struct {
	key, secret  string
	keyHeader    string
	secretHeader string
	ttl          time.Duration
	settleDelay  time.Duration
	now          func() time.Time
	enumSpelling bool
	postBack     bool
	notifyURL    string
	logger       *slog.Logger
	pageURL      string
	noReturn     bool
	stateFile    string
	faultRate    float64
	faultDelay   time.Duration
	err          error
}

func newConfig(opts []Option) config {
	c := config{
		keyHeader:    PointCheckoutKeyHeader,
		secretHeader: PointCheckoutSecretHeader,
		ttl:          DefaultTTL,
		settleDelay:  DefaultSettleDelay,
		faultDelay:   DefaultFaultDelay,
		now:          time.Now,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

func (c *config) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// WithCredentials fixes the API key and secret instead of generating random
// ones, for a standalone sandbox whose credentials live in a shop's
// configuration. Both must be non-empty.
func WithCredentials(key, secret string) Option {
	return func(c *config) {
		if key == "" || secret == "" {
			c.fail(errors.New("pointcheckouttest: WithCredentials needs a key and a secret"))
			return
		}
		c.key, c.secret = key, secret
	}
}

// WithPaymenntHeaders makes the server accept the credentials in the
// paymennt headers (X-Paymennt-Api-Key, X-Paymennt-Api-Secret) as the
// rebranded API names them, and still in the PointCheckout ones, which the
// official PHP SDK sends to every host. Without it only the PointCheckout
// pair counts and paymennt headers are ignored.
func WithPaymenntHeaders() Option {
	return func(c *config) {
		c.keyHeader, c.secretHeader = PaymenntKeyHeader, PaymenntSecretHeader
	}
}

// WithTTL sets how long after creation an unpaid checkout expires.
func WithTTL(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail(fmt.Errorf("pointcheckouttest: TTL must be positive, got %v", d))
			return
		}
		c.ttl = d
	}
}

// WithSettleDelay sets how long a checkout paid with [CardPaidLater] stays
// PENDING before it reads as PAID.
func WithSettleDelay(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.fail(fmt.Errorf("pointcheckouttest: settle delay must not be negative, got %v", d))
			return
		}
		c.settleDelay = d
	}
}

// WithClock replaces the wall clock used for timestamps, expiry and
// settlement; pass a [Clock]'s Now method.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithEnumStatusSpelling makes the API answer statuses as the OpenAPI enum
// spells them ("Paid", "Partially refunded") instead of the upper-case form
// the live API and the guides use ("PAID", "PARTIALLY_REFUNDED"), so a
// client can be tested against both.
func WithEnumStatusSpelling() Option {
	return func(c *config) { c.enumSpelling = true }
}

// WithPostBack makes the hosted page send the shopper back with an
// auto-submitted POST form to the return URL, unchanged, carrying
// checkoutId and status fields, and checkout and reference fields unless
// [WithoutReturnParams], instead of a 303 redirect, as some gateways do.
func WithPostBack() Option {
	return func(c *config) { c.postBack = true }
}

// WithPaymentPageURL makes the API answer redirectUrl as base +
// "/checkout/" + checkoutKey instead of on [Server.URL], for example
// "https://pay.test.paymennt.com", so a shop configured for a real
// environment can be tested for accepting that host. The page itself is
// still served on Server.URL (see [Checkout].PageURL). base must be an
// absolute http or https URL without query or fragment; a trailing slash is
// dropped.
func WithPaymentPageURL(base string) Option {
	return func(c *config) {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
			c.fail(errors.New("pointcheckouttest: payment page URL must be an absolute http or https URL without query or fragment"))
			return
		}
		c.pageURL = strings.TrimRight(base, "/")
	}
}

// WithoutReturnParams makes the hosted page send the shopper back to the
// returnUrl exactly as created, without the checkout and reference
// parameters the real page appends, as a gateway that appends nothing
// would.
func WithoutReturnParams() Option {
	return func(c *config) { c.noReturn = true }
}

// WithStateFile keeps the server's checkouts in the JSON file at path, so a
// restarted sandbox still knows them: it loads the file when it starts (if
// the file exists) and saves it atomically after every change. The file
// also keeps generated credentials, so they survive a restart unless
// [WithCredentials] sets others. It holds the API secret and shoppers'
// names and addresses (never card data) and is written with mode 0600.
// One file serves one server at a time.
func WithStateFile(path string) Option {
	return func(c *config) {
		if path == "" {
			c.fail(errors.New("pointcheckouttest: WithStateFile needs a path"))
			return
		}
		c.stateFile = path
	}
}

// WithNotifyURL makes the server POST {"checkoutId": "...", "status": "..."}
// to rawURL after every status change, asynchronously and best effort. The
// URL must be http on a loopback host; a redirect it answers is not
// followed (it is logged as a refusal).
func WithNotifyURL(rawURL string) Option {
	return func(c *config) {
		u, err := url.Parse(rawURL)
		if err != nil || u.Scheme != "http" || !isLoopbackHost(u.Hostname()) {
			c.fail(errors.New("pointcheckouttest: notify URL must be an http URL on a loopback host"))
			return
		}
		c.notifyURL = rawURL
	}
}

// DefaultFaultDelay is how long a random Delay fault of [WithFaultRate]
// holds an answer back, unless [WithFaultDelay] says otherwise.
const DefaultFaultDelay = 250 * time.Millisecond

// WithFaultRate makes each API request (create, get, find, cancel,
// refund; not the payment page) fail transiently with probability rate,
// between 0 and 1, as a gateway having a bad day would: a 500, 502 or 503
// from a proxy, a 429, a connection dropped before anything runs, or an
// answer held back for the fault delay (the request then runs normally),
// each as likely. A fault queued with [Server.InjectFault] comes first.
// [Server.InjectedFaults] counts what was served.
func WithFaultRate(rate float64) Option {
	return func(c *config) {
		if !(rate >= 0 && rate <= 1) {
			c.fail(fmt.Errorf("pointcheckouttest: fault rate %v is not between 0 and 1", rate))
			return
		}
		c.faultRate = rate
	}
}

// WithFaultDelay sets how long the Delay faults of [WithFaultRate] hold an
// answer back (default [DefaultFaultDelay]).
func WithFaultDelay(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.fail(fmt.Errorf("pointcheckouttest: negative fault delay %s", d))
			return
		}
		c.faultDelay = d
	}
}

// WithLogger sets where the server logs what it does (nothing by default).
// Credentials and card data are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
