package pointcheckout

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Config configures a Handler. Client, Orders, Updater and Keys are
// required; README.md's Configuration table gives every default.
type Config struct {
	// Client talks to the Merchant API.
	Client *Client
	// Orders builds the checkout for a /pay request.
	Orders OrdersFunc
	// Updater receives every verified update.
	Updater OrderUpdater
	// Refs finds recorded Refs for notifications and cookieless returns;
	// default the Updater if it is one (else /pay/notify answers 501).
	Refs RefFinder
	// Keys seal the cookies and the return token; the first pair seals,
	// all open. Every instance needs the same keys.
	Keys []KeyPair
	// Store keeps the shopper's Ref between /pay and the return; default
	// a signed, encrypted cookie.
	Store Store
	// Cookie tunes the default Store's cookie; its Path defaults to Prefix.
	Cookie CookieOptions
	// ReturnBaseURL is the shop's public origin ("https://shop.example.com");
	// required unless the gateway is on loopback, https in live.
	ReturnBaseURL string
	// Prefix is where the routes live: Prefix, Prefix+"/return" and
	// Prefix+"/notify". Default "/pay".
	Prefix string
	// SuccessURL and FailureURL are where the default OnResult sends the
	// shopper: canonical paths on this site. Default "/".
	SuccessURL, FailureURL string
	// OnResult answers the shopper once a final status is recorded (the
	// Result is in the result cookie); default a 303 to SuccessURL or FailureURL.
	OnResult func(w http.ResponseWriter, r *http.Request, res Result)
	// OnError is told of failures worth an alert (ErrVerification,
	// ErrInvalidRef, updater errors); it must not write to the response.
	OnError func(r *http.Request, err error)
	// RenderPage draws the confirming and error pages; it must write the
	// status code it is given. Default: built-in pages.
	RenderPage func(w http.ResponseWriter, r *http.Request, p Page)
	// Logger receives structured logs, never credentials, cookies or
	// tokens; default slog.Default().
	Logger *slog.Logger
	// PollTimeout is how long a return waits for a pending checkout (3s;
	// negative: no waiting), PollInterval the pause between polls (500ms).
	PollTimeout, PollInterval time.Duration
	// ReturnTimeout bounds a return's time on the gateway, after which the
	// shopper sees the confirming page (10s, at least PollTimeout).
	ReturnTimeout time.Duration
	// RefreshAfter is how soon the confirming page reloads itself (3s).
	RefreshAfter time.Duration
	// AllowedRedirectHosts are the hosts a redirectUrl may point to;
	// default the Client environment's PaymentHosts.
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
