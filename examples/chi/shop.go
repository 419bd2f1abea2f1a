package main

import (
	"bytes"
	"context"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/examples/minishop"
)

// newShop routes the shop with chi: one product page, the payment routes
// at the handler's Prefix (minishop.PayPrefix), and the pages that show the
// payment's outcome. It returns the minishop.Shop too, so its owner can
// sweep its payments and look at its orders.
func newShop(ctx context.Context, cfg minishop.Config) (http.Handler, *minishop.Shop, error) {
	s, err := minishop.New(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	v := views{pages: minishop.Pages(), logger: logger}
	r := chi.NewRouter()
	// The Handler's Middleware is a chi middleware: it serves the payment
	// routes at s.Payments.Prefix() and puts the shopper's last payment
	// Result into the context of every other request. (Without it, mount
	// the Handler itself: r.Handle(p, s.Payments) for p in Prefix,
	// Prefix+"/return" and Prefix+"/notify".)
	r.Use(middleware.Recoverer, s.Payments.Middleware)
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		v.render(w, r, minishop.ProductPage, s.Store.Product())
	})
	r.Get(minishop.SuccessPath, v.result(minishop.SuccessTitle))
	r.Get(minishop.FailurePath, v.result(minishop.FailureTitle))
	return r, s, nil
}

// views renders the shop's pages.
type views struct {
	pages  *template.Template
	logger *slog.Logger
}

// result renders the outcome the return step verified, as the Middleware
// put it into the request context.
func (v views) result(title string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		view := minishop.ResultView{Title: title}
		if res, ok := pointcheckout.ResultFromContext(r.Context()); ok {
			view.Result = &res
		}
		// The outcome belongs to one shopper and one moment.
		w.Header().Set("Cache-Control", "no-store")
		v.render(w, r, minishop.ResultPage, view)
	}
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func (v views) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var buf bytes.Buffer
	if err := v.pages.ExecuteTemplate(&buf, name, data); err != nil {
		v.logger.ErrorContext(r.Context(), "shop: render page", "page", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}
