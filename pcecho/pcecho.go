// Package pcecho mounts a pointcheckout.Handler in an Echo (v4) server.
//
// Mount registers the Handler's three routes at its Prefix, so Echo's
// routing, middleware and route listing see them like any other route, and
// the library answers them exactly as it does in a net/http shop.
// Middleware makes the Result of the shopper's last payment (verified by the
// library, carried in its short-lived signed result cookie) available to
// Echo handlers through Result, and to net/http code through
// pointcheckout.ResultFromContext.
//
//	h, err := pointcheckout.New(cfg) // cfg.Prefix "" means "/pay"
//	e := echo.New()
//	e.Use(pcecho.Middleware(h))
//	pcecho.Mount(e, h)
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

// Mount registers h's routes at h.Prefix() on e, for every method Echo's Any
// knows, with the route middleware m:
//
//	POST          Prefix          create the checkout and redirect to the payment page
//	GET/HEAD/POST Prefix/return   verify the payment and update the order
//	POST          Prefix/notify   resolve a checkout the gateway says has changed
//
// The library answers a wrong method with 405 and its own Allow header (and
// serves HEAD on the return) as in a net/http shop. The paths come from the
// Handler because the return URL given to the gateway is built from its
// Prefix. Mount takes the Echo itself rather than a Group: an echo.Group
// does not tell its prefix, so Mount could not check that the routes land
// at the Prefix. To run the routes behind a group's middleware, pass that
// middleware as m.
func Mount(e *echo.Echo, h *pointcheckout.Handler, m ...echo.MiddlewareFunc) {
	handler := echo.WrapHandler(h)
	prefix := h.Prefix()
	for _, p := range []string{prefix, prefix + "/return", prefix + "/notify"} {
		e.Any(p, handler, m...)
	}
}

// Middleware puts the Result of the shopper's last payment, if the library's
// result cookie holds a genuine one, into the request context, where Result
// and pointcheckout.ResultFromContext find it, then runs the rest of the
// chain. It does not serve the payment routes: Mount does, so they run
// behind their route middleware, and only once.
func Middleware(h *pointcheckout.Handler) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			// h.Middleware would serve a payment route itself, and the
			// route Mount registered would then serve it again.
			if isRoute(h, c.Request().URL.Path) {
				return next(c)
			}
			var err error
			h.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				c.SetRequest(r) // with the Result in its context
				err = next(c)
			})).ServeHTTP(c.Response(), c.Request())
			return err
		}
	}
}

// isRoute reports whether p is one of h's routes, as the Handler matches
// them.
func isRoute(h *pointcheckout.Handler, p string) bool {
	prefix := h.Prefix()
	return p == prefix || p == prefix+"/return" || p == prefix+"/notify"
}

// Result returns the Result of the shopper's last payment, if Middleware
// found a genuine one: on the page the return step redirected the shopper
// to, and on the pages that shopper opens while the result cookie lives (a
// few minutes).
func Result(c echo.Context) (pointcheckout.Result, bool) {
	return pointcheckout.ResultFromContext(c.Request().Context())
}
