package main

import (
	"os"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/pointcheckout-go/pointcheckout/examples/minishop/minishoptest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// TestFlows pays, cancels, is declined, never comes back and is posted back
// through the Gin routes, over real HTTP against the sandbox.
func TestFlows(t *testing.T) { minishoptest.RunFlows(t, newShop, "Gin") }
