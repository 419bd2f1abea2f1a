package minishop

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
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
	// DB is the shop's SQLite database (see OpenDB): its orders, and the
	// ledger of their payments.
	DB *sql.DB
	// Logger receives the payment handler's and the ledger's logs.
	Logger *slog.Logger
}

// Builder builds a complete shop on some web framework, ready to serve. It
// returns the Shop too, so its owner can sweep its payments (Run does) or
// look at its orders (a test, say).
type Builder func(context.Context, Config) (http.Handler, *Shop, error)

// Shop is what every example shop shares, whatever routes it: the order
// store, the payment handler that charges for its orders, and the sweeper
// that settles the payments whose shopper never came back.
type Shop struct {
	Store *Store
	// Payments serves PayPrefix, PayPrefix+"/return" and
	// PayPrefix+"/notify", and sends the shopper to SuccessPath or
	// FailurePath once the payment is final.
	Payments *pointcheckout.Handler
	// Sweeper resolves, until the context given to its Run ends, the
	// payments nobody came back for.
	Sweeper *sqlledger.Sweeper
}

// New builds the store in cfg.DB, selling one mug at 49.00 AED, and the
// payment handler that uses it as Orders and its ledger as OrderUpdater and
// RefFinder.
func New(ctx context.Context, cfg Config) (*Shop, error) {
	price, err := pointcheckout.NewMoney(4900, "AED")
	if err != nil {
		return nil, err
	}
	if cfg.DB == nil {
		return nil, errors.New("shop: no database")
	}
	store, err := NewStore(ctx, cfg.DB, Product{SKU: "MUG-1", Name: "PointCheckout mug", Price: price}, cfg.Client, cfg.Logger)
	if err != nil {
		return nil, err
	}
	h, err := pointcheckout.New(pointcheckout.Config{
		Client:        cfg.Client,
		Orders:        store.CheckoutFor,
		Updater:       store.Ledger(),
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
	return &Shop{Store: store, Payments: h, Sweeper: store.Ledger().NewSweeper(h, sqlledger.SweeperConfig{})}, nil
}
