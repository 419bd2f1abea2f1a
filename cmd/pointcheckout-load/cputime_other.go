//go:build !unix

package main

import "time"

// processCPU returns -1: the platform does not report CPU time cheaply.
func processCPU() time.Duration { return -1 }
