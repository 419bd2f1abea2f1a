//go:build !unix

package pgtest

import "os/exec"

// credential is the OS user the server runs as: always the caller here.
type credential struct{}

func runAs(string) (credential, error) { return credential{}, nil }

func (credential) apply(*exec.Cmd) {}
