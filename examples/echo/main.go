// Command echo is a one-product shop built with Echo that takes card payments
// through PointCheckout's hosted payment page, mounted with the small pcecho
// adapter. Everything but the Echo wiring (the order store and its payment
// ledger in SQLite, the pages, the settings) is package minishop, shared
// with the other framework examples.
//
// With no API credentials in the environment it starts the in-process
// sandbox (package pointcheckouttest) on a loopback port and pays there, so
//
//	go run .
//
// is enough to try it: open the URL it prints and pay with the test card
// 4242 4242 4242 4242, expiry 12/25, CVV 100, name TEST USER.
//
// It listens on 127.0.0.1:8082 unless SHOP_ADDR says otherwise; minishop.Run
// lists the other environment variables (API credentials, cookie keys, the
// database).
package main

import "github.com/pointcheckout-go/pointcheckout/examples/minishop"

func main() { minishop.Main("127.0.0.1:8082", newShop) }
