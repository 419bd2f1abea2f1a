package minishop

import (
	"log/slog"
	"net/http"

	"github.com/pointcheckout-go/pointcheckout"
)

// PayPrefix is where the payment routes live; the handler builds the return
// URL from it, so a shop must mount the payment routes under it.
const PayPrefix = "/pay"

// The pages the return step sends the shopper to once the payment is final,
// and their titles.
const (
	SuccessPath  = "/thanks"
	FailurePath  = "/sorry"
	SuccessTitle = "Thank you for your order"
	FailureTitle = "Your payment did not go through"
)

// Config is what a shop needs from its surroundings.
type Config struct {
	// Client talks to PointCheckout or to the sandbox.
	Client *pointcheckout.Client
	// Keys sign and encrypt the payment cookies.
	Keys []pointcheckout.KeyPair
	// BaseURL is where shoppers reach the shop, such as
	// "http://127.0.0.1:8080"; the gateway sends them back under it.
	BaseURL string
	// Logger receives the payment handler's logs.
	Logger *slog.Logger
}

// Builder builds a complete shop on some web framework. It returns the order
// store too, so its owner (a test, say) can look at the orders.
type Builder func(Config) (http.Handler, *Store, error)

// Shop is what every example shop shares, whatever routes it: the order
// store and the payment handler that charges for its orders.
type Shop struct {
	Store *Store
	// Payments serves PayPrefix, PayPrefix+"/return" and
	// PayPrefix+"/notify", and sends the shopper to SuccessPath or
	// FailurePath once the payment is final.
	Payments *pointcheckout.Handler
}

// New builds the store, selling one mug at 49.00 AED, and the payment
// handler that uses it as Orders, OrderUpdater and RefFinder.
func New(cfg Config) (*Shop, error) {
	price, err := pointcheckout.NewMoney(4900, "AED")
	if err != nil {
		return nil, err
	}
	store := NewStore(Product{SKU: "MUG-1", Name: "PointCheckout mug", Price: price})

	h, err := pointcheckout.New(pointcheckout.Config{
		Client:        cfg.Client,
		Orders:        store,
		Updater:       store,
		Keys:          cfg.Keys,
		ReturnBaseURL: cfg.BaseURL,
		Prefix:        PayPrefix,
		SuccessURL:    SuccessPath,
		FailureURL:    FailurePath,
		Logger:        cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	return &Shop{Store: store, Payments: h}, nil
}
