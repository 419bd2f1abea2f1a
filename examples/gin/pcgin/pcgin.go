// Package pcgin mounts a pointcheckout.Handler in a Gin engine.
//
// The payment routes stay plain net/http handlers wrapped with gin.WrapH, so
// they behave exactly as they do in a net/http shop. Middleware reads the
// payment Result that the return step hands to the success or failure page,
// verified by the library, and offers it to Gin handlers through Result.
//
//	h, err := pointcheckout.New(cfg) // cfg.Prefix "" means "/pay"
//	r := gin.New()
//	r.Use(pcgin.Middleware(h))
//	pcgin.Mount(r, "/pay", h)
//	r.GET("/thanks", func(c *gin.Context) {
//		res, ok := pcgin.Result(c)
//		...
//	})
package pcgin

import (
	"github.com/gin-gonic/gin"
	"github.com/pointcheckout-go/pointcheckout"
)

// contextKey is the gin.Context key the Result is kept under. It is
// namespaced so it cannot collide with the shop's own c.Set keys; Result is
// the way to read it.
const contextKey = "github.com/pointcheckout-go/pointcheckout/examples/gin/pcgin.Result"

// Mount registers the handler's routes on r under prefix, which must be the
// Config.Prefix the handler was built with ("/pay" by default), because the
// return URL the gateway sends the shopper back to is built from it:
//
//	POST          prefix          create the checkout and redirect to the payment page
//	GET/HEAD/POST prefix/return   verify the payment and update the order
//	POST          prefix/notify   resolve a checkout the gateway says has changed
//
// Every method is routed to the library, which answers a wrong one with
// 405 and an Allow header (and serves HEAD on the return) exactly as in a
// net/http shop; Gin alone would answer 404. r may be the engine or any
// group.
func Mount(r gin.IRoutes, prefix string, h *pointcheckout.Handler) {
	r.Any(prefix, gin.WrapH(h.PayHandler()))
	r.Any(prefix+"/return", gin.WrapH(h.ReturnHandler()))
	r.Any(prefix+"/notify", gin.WrapH(h.NotifyHandler()))
}

// Middleware reads the payment Result the return step left for this browser
// (the library's short-lived signed result cookie) and keeps it where Result
// finds it. It also puts it into the request context, so net/http code
// further down reads it with pointcheckout.ResultFromContext.
//
// It does not serve the payment routes, as h.Middleware would: Mount
// registers those as Gin routes, so Gin's routing, group middleware and
// route listing see them like any other.
func Middleware(h *pointcheckout.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if res, ok := h.ResultFromRequest(c.Request); ok {
			c.Request = c.Request.WithContext(pointcheckout.ContextWithResult(c.Request.Context(), res))
			c.Set(contextKey, res)
		}
		c.Next()
	}
}

// Result returns the payment Result of the request, if Middleware found one:
// on the page the return step redirected the shopper to, and on the pages
// that shopper opens in the few minutes the result cookie lives.
func Result(c *gin.Context) (pointcheckout.Result, bool) {
	if v, ok := c.Get(contextKey); ok {
		res, ok := v.(pointcheckout.Result)
		return res, ok
	}
	return pointcheckout.ResultFromContext(c.Request.Context())
}
