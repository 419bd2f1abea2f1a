package main

import (
	"bytes"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/examples/echo/pcecho"
)

// payPrefix is where the payment routes live; the handler builds the return
// URL from it, so Config.Prefix and the Echo routes must agree.
const payPrefix = "/pay"

// The pages the return step sends the shopper to once the payment is final.
const (
	successPath = "/thanks"
	failurePath = "/sorry"
)

// shopConfig is what the shop needs from its surroundings.
type shopConfig struct {
	// Client talks to PointCheckout or to the sandbox.
	Client *pointcheckout.Client
	// Keys sign and encrypt the payment cookies.
	Keys []pointcheckout.KeyPair
	// BaseURL is where shoppers reach the shop, such as
	// "http://127.0.0.1:8080"; the gateway sends them back under it.
	BaseURL string
	Logger  *slog.Logger
}

// newShop builds the shop: one product page, the payment routes, and the
// pages that show the payment's outcome. It returns the order store too, so
// its owner can look at the orders.
func newShop(cfg shopConfig) (http.Handler, *orderStore, error) {
	price, err := pointcheckout.NewMoney(4900, "AED")
	if err != nil {
		return nil, nil, err
	}
	store := newOrderStore(product{SKU: "MUG-1", Name: "PointCheckout mug", Price: price})

	h, err := pointcheckout.New(pointcheckout.Config{
		Client:        cfg.Client,
		Orders:        store,
		Updater:       store,
		Keys:          cfg.Keys,
		ReturnBaseURL: cfg.BaseURL,
		Prefix:        payPrefix,
		SuccessURL:    successPath,
		FailureURL:    failurePath,
		Logger:        cfg.Logger,
	})
	if err != nil {
		return nil, nil, err
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.Recover(), pcecho.Middleware(h))
	pcecho.Mount(e, payPrefix, h)
	e.GET("/", func(c echo.Context) error { return render(c, "product", store.product) })
	e.GET(successPath, showResult("Thank you for your order"))
	e.GET(failurePath, showResult("Your payment did not go through"))
	return e, store, nil
}

// showResult renders the outcome the return step verified, as the library
// handed it to the page through pcecho.Middleware.
func showResult(title string) echo.HandlerFunc {
	return func(c echo.Context) error {
		page := resultPage{Title: title}
		if res, ok := pcecho.Result(c); ok {
			page.Result = &res
		}
		// The outcome belongs to one shopper and one moment.
		c.Response().Header().Set("Cache-Control", "no-store")
		return render(c, "result", page)
	}
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func render(c echo.Context, name string, data any) error {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
