package pointcheckout

// CONTRACT STUB: the client helper replaces the bodies; signatures are fixed.

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Environment says where the Merchant API is and how it is addressed.
type Environment struct {
	// Name: "test", "live", "paymennt-test", "paymennt-live" or "custom".
	Name string
	// BaseURL ends in "/mer/v2.0/" (or any path with a trailing slash).
	BaseURL string
	// KeyHeader and SecretHeader carry the credentials.
	KeyHeader, SecretHeader string
	// PaymentHosts are the hosts (host or host:port) a checkout's
	// redirectUrl may point to.
	PaymentHosts []string
	// Live is true for environments that move real money.
	Live bool
}

func TestEnvironment() Environment         { return Environment{} }
func LiveEnvironment() Environment         { return Environment{} }
func PaymenntTestEnvironment() Environment { return Environment{} }
func PaymenntLiveEnvironment() Environment { return Environment{} }
func CustomEnvironment(baseURL string) (Environment, error) {
	return Environment{}, errors.New("stub")
}
func EnvironmentNamed(name string) (Environment, error) { return Environment{}, errors.New("stub") }

// Secret is a credential that redacts itself.
type Secret string

// ClientConfig configures a Client.
type ClientConfig struct {
	Key            string
	Secret         Secret
	Environment    Environment
	HTTPClient     *http.Client
	Timeout        time.Duration
	MaxRetries     int
	RetryBaseDelay time.Duration
	Logger         *slog.Logger
}

// CheckoutQuery filters a checkout search.
type CheckoutQuery struct {
	RequestID string
	OrderID   string
	Page      int
	Size      int
}

// Client talks to the Merchant API.
type Client struct{ env Environment }

func NewClient(cfg ClientConfig) (*Client, error) { return &Client{env: cfg.Environment}, nil }
func (c *Client) Environment() Environment        { return c.env }
func (c *Client) CreateWebCheckout(ctx context.Context, req *CheckoutRequest) (*Checkout, error) {
	return nil, errors.New("stub")
}
func (c *Client) GetCheckout(ctx context.Context, checkoutID string) (*Checkout, error) {
	return nil, errors.New("stub")
}
func (c *Client) FindCheckouts(ctx context.Context, q CheckoutQuery) (*CheckoutPage, error) {
	return nil, errors.New("stub")
}
func (c *Client) FindByRequestID(ctx context.Context, requestID string) (*Checkout, error) {
	return nil, errors.New("stub")
}
func (c *Client) FindByOrderID(ctx context.Context, orderID string) ([]Checkout, error) {
	return nil, errors.New("stub")
}
func (c *Client) CancelCheckout(ctx context.Context, checkoutID string) (*Checkout, error) {
	return nil, errors.New("stub")
}
func (c *Client) RefundCheckout(ctx context.Context, checkoutID string, r RefundRequest) (*Checkout, error) {
	return nil, errors.New("stub")
}
func (c *Client) CloseIdleConnections() {}
