package main

import (
	"bytes"
	"context"
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/pointcheckout-go/pointcheckout/examples/echo/pcecho"
	"github.com/pointcheckout-go/pointcheckout/examples/minishop"
)

// newShop routes the shop with Echo: one product page, the payment routes
// under minishop.PayPrefix (where the handler builds its return URL), and
// the pages that show the payment's outcome. It returns the minishop.Shop
// too, so its owner can sweep its payments and look at its orders.
func newShop(ctx context.Context, cfg minishop.Config) (http.Handler, *minishop.Shop, error) {
	s, err := minishop.New(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	pages := minishop.Pages()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.Recover(), pcecho.Middleware(s.Payments))
	pcecho.Mount(e, minishop.PayPrefix, s.Payments)
	e.GET("/", func(c echo.Context) error { return render(c, pages, minishop.ProductPage, s.Store.Product()) })
	e.GET(minishop.SuccessPath, showResult(pages, minishop.SuccessTitle))
	e.GET(minishop.FailurePath, showResult(pages, minishop.FailureTitle))
	return e, s, nil
}

// showResult renders the outcome the return step verified, as the library
// handed it to the page through pcecho.Middleware.
func showResult(pages *template.Template, title string) echo.HandlerFunc {
	return func(c echo.Context) error {
		view := minishop.ResultView{Title: title}
		if res, ok := pcecho.Result(c); ok {
			view.Result = &res
		}
		// The outcome belongs to one shopper and one moment.
		c.Response().Header().Set("Cache-Control", "no-store")
		return render(c, pages, minishop.ResultPage, view)
	}
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func render(c echo.Context, pages *template.Template, name string, data any) error {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
