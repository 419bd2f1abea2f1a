package minishoptest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/pointcheckout-go/pointcheckout/examples/minishop"
	"github.com/pointcheckout-go/pointcheckout/examples/minishop/minishoptest"
)

// newMuxShop routes the shop with net/http alone, so the flows are known to
// hold for minishop itself before any framework adds its routing.
func newMuxShop(ctx context.Context, cfg minishop.Config) (http.Handler, *minishop.Shop, error) {
	s, err := minishop.New(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	pages := minishop.Pages()
	mux := http.NewServeMux()
	mux.Handle("POST "+minishop.PayPrefix, s.Payments.PayHandler())
	mux.Handle(minishop.PayPrefix+"/return", s.Payments.ReturnHandler())
	mux.Handle("POST "+minishop.PayPrefix+"/notify", s.Payments.NotifyHandler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		_ = pages.ExecuteTemplate(w, minishop.ProductPage, s.Store.Product())
	})
	result := func(title string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			view := minishop.ResultView{Title: title}
			if res, ok := s.Payments.ResultFromRequest(r); ok {
				view.Result = &res
			}
			w.Header().Set("Cache-Control", "no-store")
			_ = pages.ExecuteTemplate(w, minishop.ResultPage, view)
		}
	}
	mux.Handle("GET "+minishop.SuccessPath, result(minishop.SuccessTitle))
	mux.Handle("GET "+minishop.FailurePath, result(minishop.FailureTitle))
	return mux, s, nil
}

func TestFlows(t *testing.T) { minishoptest.RunFlows(t, newMuxShop, "net/http") }
