// Command specgen writes the OpenAPI documents the conformance tests read:
// for each official document named on the command line it reads
// -src/NAME, removes its prose (see reduce) and writes -out/NAME, and
// copies the license beside it (-src/BASE.LICENSE to -out/BASE.LICENSE;
// the documents are MIT licensed, which requires the notice to travel
// with them). It is run by go generate in the specconformance module:
//
//	go run ./internal/specgen -src DIR -out testdata pointcheckout-openapi.yaml paymennt-openapi.yaml
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// errNoLicense reports a document without its license file beside it.
var errNoLicense = errors.New("license file missing")

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "specgen:", err)
		}
		os.Exit(2)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("specgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	src := fs.String("src", "", "`directory` holding the official documents and their .LICENSE files")
	out := fs.String("out", "testdata", "`directory` to write the reduced documents to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *src == "" || fs.NArg() == 0 {
		return errors.New("usage: specgen -src DIR [-out DIR] NAME.yaml ...; see -h")
	}
	for _, name := range fs.Args() {
		if name != filepath.Base(name) || !strings.HasSuffix(name, ".yaml") {
			return fmt.Errorf("%q: give a file name ending in .yaml", name)
		}
		if err := generate(*src, *out, name); err != nil {
			return err
		}
	}
	return nil
}

// generate writes the reduced document and its license for one name.
func generate(src, out, name string) error {
	doc, err := os.ReadFile(filepath.Join(src, name))
	if err != nil {
		return err
	}
	license := strings.TrimSuffix(name, ".yaml") + ".LICENSE"
	notice, err := os.ReadFile(filepath.Join(src, license))
	if err != nil {
		return fmt.Errorf("%s: %w: %w", name, errNoLicense, err)
	}
	reduced, err := reduce(doc, name)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, name), reduced, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, license), notice, 0o644)
}
