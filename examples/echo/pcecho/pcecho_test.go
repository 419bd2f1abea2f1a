package pcecho_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/examples/echo/pcecho"
	"github.com/pointcheckout-go/pointcheckout/examples/minishop/minishoptest"
)

func TestMountRegistersTheRoutesUnderThePrefix(t *testing.T) {
	e := echo.New()
	h := minishoptest.NewHandler(t, "/shop/checkout")
	pcecho.Mount(e.Group("/shop"), "/checkout", h)

	var routes []string
	for _, rt := range e.Routes() {
		routes = append(routes, rt.Method+" "+rt.Path)
	}
	minishoptest.CheckMount(t, h, e, routes, "/shop/checkout", "Echo")
}

func TestResult(t *testing.T) {
	h := minishoptest.NewHandler(t, "")
	minishoptest.CheckResultMiddleware(t, h, "Echo", func(useMiddleware bool, seen *minishoptest.Seen) http.Handler {
		e := echo.New()
		if useMiddleware {
			e.Use(pcecho.Middleware(h))
		}
		e.GET("/thanks", func(c echo.Context) error {
			seen.Ran = true
			seen.Result, seen.OK = pcecho.Result(c)
			seen.FromContext, seen.FromContextOK = pointcheckout.ResultFromContext(c.Request().Context())
			return c.NoContent(http.StatusNoContent)
		})
		return e
	})
}
