package pcecho_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pcecho"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// Mount the payment routes and show the outcome on the page the
// return step sends the shopper to.
func Example() {
	gateway := pointcheckouttest.NewServer() // in production: pointcheckout.NewClient
	defer gateway.Close()
	keys, _ := pointcheckout.GenerateKeyPair() // in production: ParseKeyPairs from your secrets
	h, err := pointcheckout.New(pointcheckout.Config{
		Client:     gateway.Client(),
		Orders:     checkoutFor, // what to charge, from the shop's own records
		Updater:    pointcheckout.OrderUpdaterFunc(updateOrder),
		Keys:       []pointcheckout.KeyPair{keys},
		Prefix:     "/shop/pay",
		SuccessURL: "/shop/thanks",
		FailureURL: "/shop/sorry",
	})
	if err != nil {
		log.Fatal(err)
	}

	e := echo.New()
	e.Use(middleware.Recover(), pcecho.Middleware(h))
	pcecho.Mount(e, h) // POST /shop/pay, /shop/pay/return, /shop/pay/notify
	e.GET("/shop/thanks", func(c echo.Context) error {
		res, ok := pcecho.Result(c)
		if !ok {
			return c.String(http.StatusOK, "Thank you!")
		}
		return c.String(http.StatusOK, fmt.Sprintf("Order %s is %s.", res.OrderID, res.Status))
	})

	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/shop/pay", nil))
	fmt.Println(w.Code, w.Header().Get("Allow"))
	// Output: 405 POST
}

// checkoutFor prices the order named in the /pay form.
func checkoutFor(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
	price, err := pointcheckout.ParseMoney("49.00", "AED")
	if err != nil {
		return nil, err
	}
	return &pointcheckout.CheckoutRequest{
		OrderID:        r.PostFormValue("order"),
		Amount:         price,
		Items:          []pointcheckout.Item{{Name: "Mug", Quantity: 1, LineTotal: price}},
		Customer:       pointcheckout.Customer{FirstName: "Layla", LastName: "Haddad", Email: "layla@example.com"},
		BillingAddress: pointcheckout.Address{Name: "Layla Haddad", Address1: "12 Creek Rd", City: "Dubai", Country: "AE"},
	}, nil
}

// updateOrder records a verified payment update; package sqlledger is a
// ready one.
func updateOrder(context.Context, pointcheckout.Update) error { return nil }
