// Package minishoptest drives a minishop-based shop over real HTTP in tests:
// it starts the shop on a loopback port paying on the in-process sandbox,
// plays the shopper (a cookie-keeping browser that pays on the sandbox's
// payment page and sees every redirect), and holds the pay / return /
// notify flows every such shop must pass, whatever framework routes it.
//
//	func TestFlows(t *testing.T) { minishoptest.RunFlows(t, newShop, "Gin") }
package minishoptest
