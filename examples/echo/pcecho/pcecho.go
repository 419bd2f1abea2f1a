// Package pcecho mounts a pointcheckout.Handler in an Echo server.
//
// The payment routes stay plain net/http handlers wrapped with
// echo.WrapHandler, so they behave exactly as they do in a net/http shop.
// Middleware reads the payment Result that the return step hands to the
// success or failure page, verified by the library, and offers it to Echo
// handlers through Result.
//
//	h, err := pointcheckout.New(cfg) // cfg.Prefix "" means "/pay"
//	e := echo.New()
//	e.Use(pcecho.Middleware(h))
//	pcecho.Mount(e, "/pay", h)
//	e.GET("/thanks", func(c echo.Context) error {
//		res, ok := pcecho.Result(c)
//		...
//	})
package pcecho

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/pointcheckout-go/pointcheckout"
)

// contextKey is the echo.Context key the Result is kept under. It is
// namespaced so it cannot collide with the shop's own c.Set keys; Result is
// the way to read it.
const contextKey = "github.com/pointcheckout-go/pointcheckout/examples/echo/pcecho.Result"

// Router is what Mount registers routes on: *echo.Echo and *echo.Group both
// satisfy it.
type Router interface {
	Add(method, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
}

// Mount registers the handler's routes on r under prefix, which must be the
// Config.Prefix the handler was built with ("/pay" by default), because the
// return URL the gateway sends the shopper back to is built from it:
//
//	POST          prefix          create the checkout and redirect to the payment page
//	GET/HEAD/POST prefix/return   verify the payment and update the order
//	POST          prefix/notify   resolve a checkout the gateway says has changed
//
// Every method is routed to the library, which answers a wrong one with
// 405 and its own Allow header (and serves HEAD on the return) exactly as in
// a net/http shop.
func Mount(r Router, prefix string, h *pointcheckout.Handler) {
	methods := []string{
		http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace,
	}
	for path, handler := range map[string]http.Handler{
		prefix:             h.PayHandler(),
		prefix + "/return": h.ReturnHandler(),
		prefix + "/notify": h.NotifyHandler(),
	} {
		for _, method := range methods {
			r.Add(method, path, echo.WrapHandler(handler))
		}
	}
}

// Middleware reads the payment Result the return step left for this browser
// (the library's short-lived signed result cookie) and keeps it where Result
// finds it. It also puts it into the request context, so net/http code
// further down reads it with pointcheckout.ResultFromContext.
//
// It does not serve the payment routes, as h.Middleware would (through
// echo.WrapMiddleware, in e.Pre): Mount registers those as Echo routes, so
// Echo's routing, group middleware and route listing see them like any
// other.
func Middleware(h *pointcheckout.Handler) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if res, ok := h.ResultFromRequest(c.Request()); ok {
				r := c.Request()
				c.SetRequest(r.WithContext(pointcheckout.ContextWithResult(r.Context(), res)))
				c.Set(contextKey, res)
			}
			return next(c)
		}
	}
}

// Result returns the payment Result of the request, if Middleware found one:
// on the page the return step redirected the shopper to, and on the pages
// that shopper opens in the few minutes the result cookie lives.
func Result(c echo.Context) (pointcheckout.Result, bool) {
	if res, ok := c.Get(contextKey).(pointcheckout.Result); ok {
		return res, true
	}
	return pointcheckout.ResultFromContext(c.Request().Context())
}
