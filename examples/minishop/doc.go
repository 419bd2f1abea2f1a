// Package minishop is the framework-free part of the one-product example
// shops: the order store in a SQLite database, with the attempt ledger of
// package sqlledger as the payment handler's updater, the settings a shop
// command reads from its environment (starting the in-process sandbox when
// no API credentials are set), and the HTML pages.
//
// A shop built on a web framework (see examples/gin and examples/echo) adds
// only what is framework-specific: routing, mounting the payment handler and
// the handlers that render the pages. Each of those shops stays its own
// module, so this package depends on nothing but the standard library,
// package pointcheckout and its ledger, and a pure-Go SQLite driver.
//
//	func newShop(ctx context.Context, cfg minishop.Config) (http.Handler, *minishop.Shop, error) {
//		s, err := minishop.New(ctx, cfg)
//		...
//		router.Mount(minishop.PayPrefix, s.Payments)
//		router.GET("/", ...render minishop.ProductPage with s.Store.Product())
//	}
//
//	func main() { minishop.Main("127.0.0.1:8081", newShop) }
package minishop
