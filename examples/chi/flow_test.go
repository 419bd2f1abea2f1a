package main

import (
	"testing"

	"github.com/pointcheckout-go/pointcheckout/examples/minishop/minishoptest"
)

// TestFlows pays, cancels, is declined, never comes back and is posted back
// through the chi router, over real HTTP against the sandbox.
func TestFlows(t *testing.T) { minishoptest.RunFlows(t, newShop, "chi") }
