package main

import "errors"

// Errors the shop's pages turn into answers for the shopper.
var (
	errUnknownProduct = errors.New("no such product")
	errBadQuantity    = errors.New("quantity must be between 0 and 10")
	errEmptyCart      = errors.New("the cart is empty")
	errUnknownOrder   = errors.New("no such order")
	errNotYourOrder   = errors.New("the order belongs to another session")
	errNotPayable     = errors.New("the order cannot be paid online")
	errAlreadyPaid    = errors.New("the order is already paid")
)
