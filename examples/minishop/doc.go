// Package minishop is the framework-free part of the one-product example
// shops: the in-memory order store the payment handler reads and updates,
// the settings a shop command reads from its environment (starting the
// in-process sandbox when no API credentials are set), and the HTML pages.
//
// A shop built on a web framework (see examples/gin and examples/echo) adds
// only what is framework-specific: routing, mounting the payment handler and
// the handlers that render the pages. Each of those shops stays its own
// module, so this package depends on nothing but the standard library and
// package pointcheckout.
//
//	func newShop(cfg minishop.Config) (http.Handler, *minishop.Store, error) {
//		s, err := minishop.New(cfg)
//		...
//		router.Mount(minishop.PayPrefix, s.Payments)
//		router.GET("/", ...render minishop.ProductPage with s.Store.Product())
//	}
//
//	func main() { minishop.Main("127.0.0.1:8081", newShop) }
package minishop
