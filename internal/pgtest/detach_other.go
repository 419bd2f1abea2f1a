//go:build !linux

package pgtest

import "os/exec"

// detach does nothing outside Linux: Stop is the only way the server ends.
func detach(*exec.Cmd) {}
