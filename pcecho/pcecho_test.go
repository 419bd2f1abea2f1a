package pcecho_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/internal/shoptest"
	"github.com/pointcheckout-go/pointcheckout/pcecho"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// methods are the methods Echo's Any routes, each of which must reach the
// library.
var methods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace,
	echo.PROPFIND, echo.REPORT,
}

func TestMountRoutesEveryMethodUnderThePrefix(t *testing.T) {
	for _, prefix := range []string{"/pay", "/shop/checkout"} {
		t.Run(prefix, func(t *testing.T) {
			s := shoptest.NewRouterShop(t, prefix)
			e := echo.New()
			var middlewareRuns int
			pcecho.Mount(e, s.Handler, func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error { middlewareRuns++; return next(c) }
			})

			paths := []string{prefix, prefix + "/notify", prefix + "/return"}
			listed := map[string][]string{}
			for _, rt := range e.Routes() {
				listed[rt.Path] = append(listed[rt.Path], rt.Method)
			}
			require.Len(t, listed, len(paths), "Echo lists %v", listed)
			for _, p := range paths {
				assert.ElementsMatch(t, methods, listed[p], "methods of %s", p)
			}

			for _, p := range paths {
				for _, method := range methods {
					want, got := httptest.NewRecorder(), httptest.NewRecorder()
					s.Handler.ServeHTTP(want, httptest.NewRequest(method, p, nil))
					before := middlewareRuns
					e.ServeHTTP(got, httptest.NewRequest(method, p, nil))
					require.NotEqual(t, http.StatusNotFound, want.Code, "the library does not serve %s %s", method, p)
					assert.Equal(t, want.Code, got.Code, "%s %s", method, p)
					assert.Equal(t, want.Header().Get("Allow"), got.Header().Get("Allow"), "%s %s: Allow", method, p)
					assert.Equal(t, before+1, middlewareRuns, "%s %s runs behind the route middleware", method, p)
				}
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, prefix, nil))
			assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
			assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
			for _, other := range []string{"/", prefix + "/other", prefix + "x"} {
				w := httptest.NewRecorder()
				e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, other, nil))
				assert.Equal(t, http.StatusNotFound, w.Code, "%s is not a payment route", other)
			}
		})
	}
}

// seen is what a page handler behind Middleware found.
type seen struct {
	ran             bool
	result, fromCtx pointcheckout.Result
	resultOK, ctxOK bool
}

// thanksRouter is the shop's Echo: s's routes mounted, a /thanks page
// recording what it finds, and Middleware installed when withMiddleware.
func thanksRouter(_ *testing.T, s *shoptest.RouterShop, withMiddleware bool, got *seen) *echo.Echo {
	e := echo.New()
	if withMiddleware {
		e.Use(pcecho.Middleware(s.Handler))
	}
	pcecho.Mount(e, s.Handler)
	e.GET("/thanks", func(c echo.Context) error {
		got.ran = true
		got.result, got.resultOK = pcecho.Result(c)
		got.fromCtx, got.ctxOK = pointcheckout.ResultFromContext(c.Request().Context())
		return c.NoContent(http.StatusNoContent)
	})
	return e
}

func TestMiddlewareHandsOnTheResultOfARealReturn(t *testing.T) {
	s := shoptest.NewRouterShop(t, "")
	var got seen
	srv := httptest.NewServer(thanksRouter(t, s, true, &got))
	t.Cleanup(srv.Close)

	b := shoptest.NewBrowser(t)
	want, genuine := s.PayAndReturn(b, srv.URL)
	require.Equal(t, http.StatusNoContent, b.Get(srv.URL+"/thanks").Status)
	require.True(t, got.resultOK, "the Echo handler saw no Result after a real return")
	assert.Equal(t, want, got.result)
	assert.Equal(t, pointcheckout.StatusPaid, got.result.Status)
	assert.Equal(t, pointcheckout.SourceReturn, got.result.Source)

	// A result cookie made by another shop's real return (other keys).
	other := shoptest.NewRouterShop(t, "")
	otherSrv := httptest.NewServer(thanksRouter(t, other, true, &seen{}))
	t.Cleanup(otherSrv.Close)
	_, foreign := other.PayAndReturn(shoptest.NewBrowser(t), otherSrv.URL)
	require.Equal(t, genuine.Name, foreign.Name)
	require.NotEqual(t, genuine.Value, foreign.Value)

	tampered := *genuine
	i, swap := len(tampered.Value)/2, "A"
	if tampered.Value[i] == 'A' {
		swap = "B"
	}
	tampered.Value = tampered.Value[:i] + swap + tampered.Value[i+1:]

	cases := []struct {
		name       string
		middleware bool
		cookie     *http.Cookie
		wantOK     bool
	}{
		{"the cookie of the real return", true, genuine, true},
		{"no cookie", true, nil, false},
		{"a cookie of another shop", true, foreign, false},
		{"a tampered cookie", true, &tampered, false},
		{"a forged value", true, &http.Cookie{Name: genuine.Name, Value: "forged"}, false},
		{"the real cookie without Middleware", false, genuine, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got seen
			e := thanksRouter(t, s, tc.middleware, &got)
			req := httptest.NewRequest(http.MethodGet, "/thanks", nil)
			if tc.cookie != nil {
				req.AddCookie(tc.cookie)
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, req)
			require.True(t, got.ran, "the page did not run")
			assert.Equal(t, http.StatusNoContent, w.Code)
			assert.Equal(t, tc.wantOK, got.resultOK, "pcecho.Result")
			assert.Equal(t, tc.wantOK, got.ctxOK, "pointcheckout.ResultFromContext")
			if tc.wantOK {
				assert.Equal(t, want, got.result)
				assert.Equal(t, want, got.fromCtx)
			} else {
				assert.Zero(t, got.result)
			}
		})
	}
}

func TestMiddlewareLeavesThePaymentRoutesToMount(t *testing.T) {
	s := shoptest.NewRouterShop(t, "/shop/pay")
	e := echo.New()
	e.Use(pcecho.Middleware(s.Handler))
	var routeRuns, pageRuns int
	pcecho.Mount(e, s.Handler, func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { routeRuns++; return next(c) }
	})
	e.GET("/shop/page", func(c echo.Context) error { pageRuns++; return c.NoContent(http.StatusNoContent) })

	// Creating a checkout twice would show: two checkouts, two PENDING
	// updates, a doubled body.
	form := url.Values{"order": {"order-1"}}
	req := httptest.NewRequest(http.MethodPost, "/shop/pay", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	assert.Equal(t, 1, len(s.Gateway.Checkouts()), "checkouts created")
	assert.Equal(t, 1, len(s.Updates.List()), "updates")
	assert.Equal(t, 1, routeRuns, "the route middleware runs for the mounted route")

	for _, p := range []string{"/shop/pay", "/shop/pay/return", "/shop/pay/notify"} {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		s.Handler.ServeHTTP(want, httptest.NewRequest(http.MethodPut, p, nil))
		e.ServeHTTP(got, httptest.NewRequest(http.MethodPut, p, nil))
		assert.Equal(t, want.Code, got.Code, p)
		assert.Equal(t, want.Body.String(), got.Body.String(), "%s is answered once", p)
	}
	assert.Equal(t, 4, routeRuns)

	w = httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/shop/page", nil))
	assert.Equal(t, http.StatusNoContent, w.Code)
	assert.Equal(t, 1, pageRuns, "other routes run once")
}

func TestMiddlewarePassesOnTheHandlersError(t *testing.T) {
	s := shoptest.NewRouterShop(t, "")
	e := echo.New()
	e.Use(pcecho.Middleware(s.Handler))
	e.GET("/teapot", func(echo.Context) error { return echo.NewHTTPError(http.StatusTeapot, "short and stout") })
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/teapot", nil))
	assert.Equal(t, http.StatusTeapot, w.Code)
	assert.Contains(t, w.Body.String(), "short and stout")
}
