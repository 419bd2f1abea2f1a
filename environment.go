package pointcheckout

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Environment says where the Merchant API is and where its payment page
// may send the shopper.
type Environment struct {
	// Name: "paymennt-test", "paymennt-live", "test", "live" or "custom".
	Name string
	// BaseURL ends in "/mer/v2.0/" (or any path with a trailing slash).
	BaseURL string
	// PaymentHosts are the hosts (host or host:port) a checkout's
	// redirectUrl may point to.
	PaymentHosts []string
	// Live is true for environments that move real money.
	Live bool
}

// The payment page hosts of both brands: after the rebrand a checkout
// created on either API host may send the shopper to either page host.
var (
	testPaymentHosts = []string{"pay.test.paymennt.com", "pay.test.pointcheckout.com"}
	livePaymentHosts = []string{"pay.paymennt.com", "pay.pointcheckout.com"}
)

// PaymenntTestEnvironment is the test system at api.test.paymennt.com, the
// API's current home: no real money moves.
func PaymenntTestEnvironment() Environment {
	return Environment{
		Name:         "paymennt-test",
		BaseURL:      "https://api.test.paymennt.com/mer/v2.0/",
		PaymentHosts: slices.Clone(testPaymentHosts),
	}
}

// PaymenntLiveEnvironment is the production system at api.paymennt.com.
func PaymenntLiveEnvironment() Environment {
	return Environment{
		Name:         "paymennt-live",
		BaseURL:      "https://api.paymennt.com/mer/v2.0/",
		PaymentHosts: slices.Clone(livePaymentHosts),
		Live:         true,
	}
}

// TestEnvironment is the test system under its PointCheckout name
// (api.test.pointcheckout.com), for accounts configured with it.
func TestEnvironment() Environment {
	return Environment{
		Name:         "test",
		BaseURL:      "https://api.test.pointcheckout.com/mer/v2.0/",
		PaymentHosts: slices.Clone(testPaymentHosts),
	}
}

// LiveEnvironment is the production system under its PointCheckout name
// (api.pointcheckout.com).
func LiveEnvironment() Environment {
	return Environment{
		Name:         "live",
		BaseURL:      "https://api.pointcheckout.com/mer/v2.0/",
		PaymentHosts: slices.Clone(livePaymentHosts),
		Live:         true,
	}
}

// presetForHost names the preset whose API lives on host, for the advice an
// API redirect gets.
func presetForHost(host string) string {
	for _, env := range []Environment{PaymenntTestEnvironment(), PaymenntLiveEnvironment(), TestEnvironment(), LiveEnvironment()} {
		if u, err := url.Parse(env.BaseURL); err == nil && strings.EqualFold(u.Host, host) {
			return env.Name
		}
	}
	return ""
}

// CustomEnvironment points the client at any Merchant API double, such as
// pointcheckouttest.Server or a recording proxy. baseURL must be an
// absolute http or https URL without user info, query or fragment; a
// trailing slash is added to its path if missing. The base URL's host is
// the only payment host.
func CustomEnvironment(baseURL string) (Environment, error) {
	u, err := parseBaseURL(baseURL)
	if err != nil {
		return Environment{}, err
	}
	return Environment{
		Name:         "custom",
		BaseURL:      u.String(),
		PaymentHosts: []string{u.Host},
	}, nil
}

// EnvironmentNamed returns the preset called name ("paymennt-test",
// "paymennt-live", "test" or "live"), for configuration read from a file or
// the process environment.
func EnvironmentNamed(name string) (Environment, error) {
	switch name {
	case "paymennt-test":
		return PaymenntTestEnvironment(), nil
	case "paymennt-live":
		return PaymenntLiveEnvironment(), nil
	case "test":
		return TestEnvironment(), nil
	case "live":
		return LiveEnvironment(), nil
	}
	return Environment{}, fmt.Errorf("pointcheckout: unknown environment %q (want paymennt-test, paymennt-live, test or live)", clip(name))
}

// parseBaseURL checks a base URL and gives its path a trailing slash, so
// that operation paths can be appended to it.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("pointcheckout: base URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("pointcheckout: base URL must be an absolute http or https URL")
	case u.Host == "":
		return nil, errors.New("pointcheckout: base URL has no host")
	case u.User != nil:
		// Credentials travel in headers only; a URL ends up in logs.
		return nil, errors.New("pointcheckout: base URL must not carry user info")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, errors.New("pointcheckout: base URL must not have a query or fragment")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}
