package main

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/examples/gin/pcgin"
)

// payPrefix is where the payment routes live; the handler builds the return
// URL from it, so Config.Prefix and the Gin routes must agree.
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

	r := gin.New()
	r.SetHTMLTemplate(pages)
	r.Use(gin.Recovery(), pcgin.Middleware(h))
	pcgin.Mount(r, payPrefix, h)
	r.GET("/", func(c *gin.Context) { c.HTML(http.StatusOK, "product", store.product) })
	r.GET(successPath, showResult("Thank you for your order"))
	r.GET(failurePath, showResult("Your payment did not go through"))
	return r, store, nil
}

// showResult renders the outcome the return step verified, as the library
// handed it to the page through pcgin.Middleware.
func showResult(title string) gin.HandlerFunc {
	return func(c *gin.Context) {
		page := resultPage{Title: title}
		if res, ok := pcgin.Result(c); ok {
			page.Result = &res
		}
		// The outcome belongs to one shopper and one moment.
		c.Header("Cache-Control", "no-store")
		c.HTML(http.StatusOK, "result", page)
	}
}
