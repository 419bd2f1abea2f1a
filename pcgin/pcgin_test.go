package pcgin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/internal/shoptest"
	"github.com/pointcheckout-go/pointcheckout/pcgin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// methods are the methods Gin's Any routes, each of which must reach the
// library.
var methods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace,
}

func TestMountRoutesEveryMethodUnderThePrefix(t *testing.T) {
	cases := []struct {
		name   string
		prefix string
		router func(*gin.Engine) pcgin.Router
	}{
		{"engine", "/pay", func(e *gin.Engine) pcgin.Router { return e }},
		{"engine, deep prefix", "/shop/checkout", func(e *gin.Engine) pcgin.Router { return e }},
		{"group", "/shop/checkout", func(e *gin.Engine) pcgin.Router { return e.Group("/shop") }},
		{"group with a trailing slash", "/shop/checkout", func(e *gin.Engine) pcgin.Router { return e.Group("/shop/") }},
		{"group at the prefix", "/pay", func(e *gin.Engine) pcgin.Router { return e.Group("/pay") }},
		{"nested group", "/a/b/pay", func(e *gin.Engine) pcgin.Router { return e.Group("/a").Group("/b") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := shoptest.NewRouterShop(t, tc.prefix)
			e := gin.New()
			require.NoError(t, pcgin.Mount(tc.router(e), s.Handler))

			paths := []string{tc.prefix, tc.prefix + "/notify", tc.prefix + "/return"}
			listed := map[string][]string{}
			for _, rt := range e.Routes() {
				listed[rt.Path] = append(listed[rt.Path], rt.Method)
			}
			require.Len(t, listed, len(paths), "Gin lists %v", listed)
			for _, p := range paths {
				assert.ElementsMatch(t, methods, listed[p], "methods of %s", p)
			}

			for _, p := range paths {
				for _, method := range methods {
					want, got := httptest.NewRecorder(), httptest.NewRecorder()
					s.Handler.ServeHTTP(want, httptest.NewRequest(method, p, nil))
					e.ServeHTTP(got, httptest.NewRequest(method, p, nil))
					require.NotEqual(t, http.StatusNotFound, want.Code, "the library does not serve %s %s", method, p)
					assert.Equal(t, want.Code, got.Code, "%s %s", method, p)
					assert.Equal(t, want.Header().Get("Allow"), got.Header().Get("Allow"), "%s %s: Allow", method, p)
				}
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.prefix, nil))
			assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
			assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
			for _, other := range []string{"/", tc.prefix + "/other", tc.prefix + "x"} {
				w := httptest.NewRecorder()
				e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, other, nil))
				assert.Equal(t, http.StatusNotFound, w.Code, "%s is not a payment route", other)
			}
		})
	}
}

func TestMountRefusesAPrefixOutsideTheGroup(t *testing.T) {
	cases := []struct {
		name, group, prefix string
	}{
		{"another path", "/shop", "/pay"},
		{"a longer segment", "/shop", "/shopping/pay"},
		{"a sibling", "/shop/a", "/shop/pay"},
		{"a group with a trailing slash at the prefix", "/pay/", "/pay"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := shoptest.NewRouterShop(t, tc.prefix)
			e := gin.New()
			var err error
			require.NotPanics(t, func() { err = pcgin.Mount(e.Group(tc.group), s.Handler) })
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.prefix)
			assert.Empty(t, e.Routes(), "nothing is registered")
		})
	}
	t.Run("no Handler", func(t *testing.T) {
		require.NotPanics(t, func() { require.Error(t, pcgin.Mount(gin.New(), nil)) })
	})
}

// seen is what a page handler behind Middleware found.
type seen struct {
	ran             bool
	result, fromCtx pointcheckout.Result
	resultOK, ctxOK bool
}

// thanksRouter is the shop's Gin engine: s's routes mounted, a /thanks page
// recording what it finds, and Middleware installed when withMiddleware.
func thanksRouter(t *testing.T, s *shoptest.RouterShop, withMiddleware bool, got *seen) *gin.Engine {
	e := gin.New()
	if withMiddleware {
		e.Use(pcgin.Middleware(s.Handler))
	}
	require.NoError(t, pcgin.Mount(e, s.Handler))
	e.GET("/thanks", func(c *gin.Context) {
		got.ran = true
		got.result, got.resultOK = pcgin.Result(c)
		got.fromCtx, got.ctxOK = pointcheckout.ResultFromContext(c.Request.Context())
		c.Status(http.StatusNoContent)
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
	require.True(t, got.resultOK, "the Gin handler saw no Result after a real return")
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
			assert.Equal(t, tc.wantOK, got.resultOK, "pcgin.Result")
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
	e := gin.New()
	e.Use(pcgin.Middleware(s.Handler))
	var groupRuns, pageRuns int
	g := e.Group("/shop", func(c *gin.Context) { groupRuns++; c.Next() })
	require.NoError(t, pcgin.Mount(g, s.Handler))
	g.GET("/page", func(c *gin.Context) { pageRuns++; c.Status(http.StatusNoContent) })

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
	assert.Equal(t, 1, groupRuns, "the group's middleware runs for the mounted route")

	for _, p := range []string{"/shop/pay", "/shop/pay/return", "/shop/pay/notify"} {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		s.Handler.ServeHTTP(want, httptest.NewRequest(http.MethodPut, p, nil))
		e.ServeHTTP(got, httptest.NewRequest(http.MethodPut, p, nil))
		assert.Equal(t, want.Code, got.Code, p)
		assert.Equal(t, want.Body.String(), got.Body.String(), "%s is answered once", p)
	}
	assert.Equal(t, 4, groupRuns)

	w = httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/shop/page", nil))
	assert.Equal(t, http.StatusNoContent, w.Code)
	assert.Equal(t, 1, pageRuns, "other routes run once")
}
