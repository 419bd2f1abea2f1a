package main

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/pointcheckout-go/pointcheckout/examples/gin/pcgin"
	"github.com/pointcheckout-go/pointcheckout/examples/minishop"
)

// newShop routes the shop with Gin: one product page, the payment routes
// under minishop.PayPrefix (where the handler builds its return URL), and
// the pages that show the payment's outcome. It returns the minishop.Shop
// too, so its owner can sweep its payments and look at its orders.
func newShop(ctx context.Context, cfg minishop.Config) (http.Handler, *minishop.Shop, error) {
	s, err := minishop.New(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	r := gin.New()
	r.SetHTMLTemplate(minishop.Pages())
	r.Use(gin.Recovery(), pcgin.Middleware(s.Payments))
	pcgin.Mount(r, minishop.PayPrefix, s.Payments)
	r.GET("/", func(c *gin.Context) { c.HTML(http.StatusOK, minishop.ProductPage, s.Store.Product()) })
	r.GET(minishop.SuccessPath, showResult(minishop.SuccessTitle))
	r.GET(minishop.FailurePath, showResult(minishop.FailureTitle))
	return r, s, nil
}

// showResult renders the outcome the return step verified, as the library
// handed it to the page through pcgin.Middleware.
func showResult(title string) gin.HandlerFunc {
	return func(c *gin.Context) {
		view := minishop.ResultView{Title: title}
		if res, ok := pcgin.Result(c); ok {
			view.Result = &res
		}
		// The outcome belongs to one shopper and one moment.
		c.Header("Cache-Control", "no-store")
		c.HTML(http.StatusOK, minishop.ResultPage, view)
	}
}
