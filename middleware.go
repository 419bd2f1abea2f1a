package pointcheckout

import (
	"context"
	"net/http"
)

// resultKey is the context key of the Result; unexported so only this
// package can set it.
type resultKey struct{}

// Middleware serves the payment routes (Prefix, Prefix+"/return",
// Prefix+"/notify") and passes every other request to next, with the Result
// of the shopper's last payment in its context (if the return handler left
// one in the last 10 minutes): see ResultFromContext.
func (h *Handler) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.route(w, r) {
			return
		}
		if res, ok := h.ResultFromRequest(r); ok {
			r = r.WithContext(context.WithValue(r.Context(), resultKey{}, res))
		}
		next.ServeHTTP(w, r)
	})
}

// ResultFromContext returns the Result of the shopper's last payment, as put
// into the request context by Middleware.
func ResultFromContext(ctx context.Context) (Result, bool) {
	res, ok := ctx.Value(resultKey{}).(Result)
	return res, ok
}
