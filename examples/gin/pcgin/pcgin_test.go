package pcgin_test

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/examples/gin/pcgin"
	"github.com/pointcheckout-go/pointcheckout/examples/minishop/minishoptest"
)

func TestMountRegistersTheRoutesUnderThePrefix(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	h := minishoptest.NewHandler(t, "/shop/checkout")
	pcgin.Mount(r.Group("/shop"), "/checkout", h)

	var routes []string
	for _, rt := range r.Routes() {
		routes = append(routes, rt.Method+" "+rt.Path)
	}
	minishoptest.CheckMount(t, h, r, routes, "/shop/checkout", "Gin")
}

func TestResult(t *testing.T) {
	gin.SetMode(gin.TestMode)
	h := minishoptest.NewHandler(t, "")
	minishoptest.CheckResultMiddleware(t, h, "Gin", func(useMiddleware bool, seen *minishoptest.Seen) http.Handler {
		r := gin.New()
		if useMiddleware {
			r.Use(pcgin.Middleware(h))
		}
		r.GET("/thanks", func(c *gin.Context) {
			seen.Ran = true
			seen.Result, seen.OK = pcgin.Result(c)
			seen.FromContext, seen.FromContextOK = pointcheckout.ResultFromContext(c.Request.Context())
			c.Status(http.StatusNoContent)
		})
		return r
	})
}
