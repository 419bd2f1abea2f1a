package pointcheckout

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Config configures a Handler. Client, Orders, Updater and Keys are required.
type Config struct {
	// Client talks to the Merchant API.
	Client *Client
	// Orders builds the checkout for a /pay request.
	Orders OrdersFunc
	// Updater receives every verified update.
	Updater OrderUpdater
	// Refs finds recorded Refs for /pay/notify and for returns without the
	// cookie. If nil and Updater implements RefFinder, Updater is used; with
	// neither, /pay/notify answers 501.
	Refs RefFinder
	// Keys sign and encrypt the checkout cookie, the return token and the
	// result cookie. The first pair encodes; all pairs decode, so a new pair
	// can be put first without logging anyone out. Every instance behind a
	// load balancer needs the same keys.
	Keys []KeyPair
	// Store keeps the shopper's Ref between /pay and /pay/return. The
	// default keeps it in a signed, encrypted cookie (see Cookie).
	Store Store
	// Cookie tunes the default Store's cookie; its Path defaults to Prefix.
	Cookie CookieOptions
	// ReturnBaseURL is the shop's public origin, such as
	// "https://shop.example.com", used to build the return URL. It is
	// required (and must be https for a live environment) unless the
	// gateway is on loopback, as the sandbox is; then it defaults to the
	// origin of each /pay request.
	ReturnBaseURL string
	// Prefix is where the routes live: Prefix, Prefix+"/return" and
	// Prefix+"/notify". Default "/pay".
	Prefix string
	// SuccessURL and FailureURL are where the default OnResult sends the
	// shopper (paths on this site). Default "/".
	SuccessURL, FailureURL string
	// OnResult answers the shopper once a final status is recorded and the
	// Result stored in a short-lived signed cookie (see ResultFromContext).
	// The default redirects (303) to SuccessURL when Result.Succeeded, else
	// to FailureURL.
	OnResult func(w http.ResponseWriter, r *http.Request, res Result)
	// OnError is told of failures worth an alert: verification mismatches
	// (ErrVerification), tampered references (ErrInvalidRef), refused
	// redirects and updater errors. It must not write to the response.
	OnError func(r *http.Request, err error)
	// RenderPage replaces the default HTML pages (confirming, error). It
	// must write the status code it is given.
	RenderPage func(w http.ResponseWriter, r *http.Request, p Page)
	// Logger receives structured logs; nil means slog.Default(). Logs never
	// hold credentials, cookie values or tokens.
	Logger *slog.Logger
	// PollTimeout is how long /pay/return waits for a PENDING checkout to
	// settle before showing the confirming page (default 3s; negative: no
	// waiting). PollInterval is the pause between polls (default 500ms).
	PollTimeout, PollInterval time.Duration
	// ReturnTimeout bounds the time /pay/return spends asking the gateway,
	// the client's retries and the polling included. When it passes, the
	// shopper sees the self-refreshing confirming page and the order is
	// left as it is: a hung gateway never keeps the shopper staring at a
	// blank tab until a proxy in front of the shop gives up. Default 10s;
	// never shorter than PollTimeout.
	ReturnTimeout time.Duration
	// RefreshAfter is how soon the confirming page reloads itself
	// (default 3s).
	RefreshAfter time.Duration
	// AllowedRedirectHosts are the hosts a checkout's redirectUrl may point
	// to. Default: the Client environment's PaymentHosts.
	AllowedRedirectHosts []string
}

// Defaults of Config.
const (
	defaultPrefix        = "/pay"
	defaultPollTimeout   = 3 * time.Second
	defaultPollInterval  = 500 * time.Millisecond
	defaultReturnTimeout = 10 * time.Second
	defaultRefreshAfter  = 3 * time.Second
)

// setDefaults fills in what c leaves out.
func (c *Config) setDefaults() {
	if c.Refs == nil {
		c.Refs, _ = c.Updater.(RefFinder)
	}
	if c.Prefix == "" {
		c.Prefix = defaultPrefix
	}
	if c.SuccessURL == "" {
		c.SuccessURL = "/"
	}
	if c.FailureURL == "" {
		c.FailureURL = "/"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.PollTimeout == 0 {
		c.PollTimeout = defaultPollTimeout
	}
	if c.PollInterval <= 0 {
		c.PollInterval = defaultPollInterval
	}
	if c.ReturnTimeout <= 0 {
		c.ReturnTimeout = defaultReturnTimeout
	}
	c.ReturnTimeout = max(c.ReturnTimeout, c.PollTimeout)
	if c.RefreshAfter <= 0 {
		c.RefreshAfter = defaultRefreshAfter
	}
	if c.RenderPage == nil {
		c.RenderPage = renderDefaultPage
	}
}

// validate reports what makes c unusable, everything at once where it can.
func (c *Config) validate() error {
	var problems []string
	if c.Client == nil {
		problems = append(problems, "Client is required")
	}
	if c.Orders == nil {
		problems = append(problems, "Orders is required")
	}
	if c.Updater == nil {
		problems = append(problems, "Updater is required")
	}
	if len(c.Keys) == 0 {
		problems = append(problems, "Keys is required (see GenerateKeyPair)")
	}
	// A prefix such as "//host" or "/\host" would be read by browsers as
	// another site wherever it is used as a link (the confirming page's
	// refresh, the cookie path), so only a plain path is accepted.
	if !isSitePath(c.Prefix) || strings.HasSuffix(c.Prefix, "/") || strings.ContainsAny(c.Prefix, "?#") {
		problems = append(problems, fmt.Sprintf("Prefix %q must be a path on this site: start with a single /, not end with /", clip(c.Prefix)))
	}
	for _, u := range []string{c.SuccessURL, c.FailureURL} {
		if !isSitePath(u) {
			problems = append(problems, fmt.Sprintf("SuccessURL and FailureURL must be canonical paths on this site (no backslash, no dot segments), got %q", clip(u)))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("pointcheckout: config: %s", strings.Join(problems, "; "))
	}
	return nil
}
