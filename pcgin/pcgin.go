// Package pcgin mounts a pointcheckout.Handler in a Gin engine.
//
// Mount registers the Handler's three routes at its Prefix, on the engine
// or on a group whose base path the Prefix is under, so Gin's routing,
// group middleware and route listing see them like any other route, and
// the library answers them exactly as it does in a net/http shop.
// Middleware makes the Result of the shopper's last payment (verified by the
// library, carried in its short-lived signed result cookie) available to
// Gin handlers through Result, and to net/http code through
// pointcheckout.ResultFromContext.
//
//	h, err := pointcheckout.New(cfg) // cfg.Prefix "" means "/pay"
//	r := gin.New()
//	r.Use(pcgin.Middleware(h))
//	if err := pcgin.Mount(r, h); err != nil {
//		return err
//	}
//	r.GET("/thanks", func(c *gin.Context) {
//		res, ok := pcgin.Result(c)
//		...
//	})
package pcgin

import (
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/pointcheckout-go/pointcheckout"
)

// Router is what Mount registers routes on: *gin.Engine and
// *gin.RouterGroup both satisfy it.
type Router interface {
	gin.IRoutes
	BasePath() string
}

// Mount registers h's routes at h.Prefix() on r, for every method Gin's Any
// knows:
//
//	POST          Prefix          create the checkout and redirect to the payment page
//	GET/HEAD/POST Prefix/return   verify the payment and update the order
//	POST          Prefix/notify   resolve a checkout the gateway says has changed
//
// The library answers a wrong method with 405 and an Allow header (and
// serves HEAD on the return) as in a net/http shop, where Gin alone would
// answer 404. The paths come from the Handler because the return URL given
// to the gateway is built from its Prefix; on a group they are registered
// relative to its BasePath, and Mount returns an error, registering
// nothing, when the Prefix is not under it.
func Mount(r Router, h *pointcheckout.Handler) error {
	if r == nil || h == nil {
		return errors.New("pcgin: Mount needs a router and a Handler")
	}
	prefix, base := h.Prefix(), r.BasePath()
	parent := strings.TrimSuffix(base, "/")
	if prefix != parent && !strings.HasPrefix(prefix, parent+"/") {
		return fmt.Errorf("pcgin: the Handler's Prefix %q is not under the group's base path %q", prefix, base)
	}
	rel := strings.TrimPrefix(prefix, parent)
	// Gin joins a group's base path and a route's path as path.Join does,
	// and keeps the base as it is for an empty path: a base of "/pay/"
	// cannot hold the route "/pay".
	abs := base
	if rel != "" {
		abs = path.Join(base, rel)
	}
	if abs != prefix {
		return fmt.Errorf("pcgin: the Handler's Prefix %q is not under the group's base path %q", prefix, base)
	}
	handler := gin.WrapH(h)
	for _, p := range []string{rel, rel + "/return", rel + "/notify"} {
		r.Any(p, handler)
	}
	return nil
}

// Middleware puts the Result of the shopper's last payment, if the library's
// result cookie holds a genuine one, into the request context, where Result
// and pointcheckout.ResultFromContext find it, then runs the rest of the
// chain. It does not serve the payment routes: Mount does, so they run
// behind their group's middleware, and only once.
func Middleware(h *pointcheckout.Handler) gin.HandlerFunc {
	next := func(c *gin.Context) http.Handler {
		return http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			c.Request = r // with the Result in its context
			c.Next()
		})
	}
	return func(c *gin.Context) {
		// h.Middleware would serve a payment route itself, and the route
		// Mount registered would then serve it again.
		if isRoute(h, c.Request.URL.Path) {
			c.Next()
			return
		}
		h.Middleware(next(c)).ServeHTTP(c.Writer, c.Request)
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
func Result(c *gin.Context) (pointcheckout.Result, bool) {
	return pointcheckout.ResultFromContext(c.Request.Context())
}
