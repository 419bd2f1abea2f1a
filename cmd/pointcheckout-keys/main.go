// Command pointcheckout-keys prints a new random cookie key pair, in the
// form pointcheckout.ParseKeyPairs reads, for the POINTCHECKOUT_COOKIE_KEYS
// variable:
//
//	export POINTCHECKOUT_COOKIE_KEYS=$(go run ./cmd/pointcheckout-keys)
//
// The value is a secret: keep it where the shop's other secrets live and
// give every instance of the shop the same one. To rotate, put a new pair
// first and keep the old one after a comma until the cookies it sealed
// have expired:
//
//	POINTCHECKOUT_COOKIE_KEYS=NEW,OLD
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pointcheckout-go/pointcheckout"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pointcheckout-keys:", err)
		os.Exit(2)
	}
}

// run writes one new key pair, and a newline, to out.
func run(args []string, out io.Writer) error {
	if len(args) > 0 {
		return errors.New("takes no arguments; it prints one new key pair for POINTCHECKOUT_COOKIE_KEYS")
	}
	k, err := pointcheckout.GenerateKeyPair()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, k.Encode())
	return err
}
