package pcgin_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/examples/gin/pcgin"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newHandler(t *testing.T, prefix string) *pointcheckout.Handler {
	t.Helper()
	sandbox := pointcheckouttest.NewServer()
	t.Cleanup(sandbox.Close)
	keys, err := pointcheckout.GenerateKeyPair()
	require.NoError(t, err)
	h, err := pointcheckout.New(pointcheckout.Config{
		Client: sandbox.Client(),
		Orders: pointcheckout.OrdersFunc(func(*http.Request) (*pointcheckout.CheckoutRequest, error) {
			return nil, errors.New("no orders here")
		}),
		Updater: pointcheckout.OrderUpdaterFunc(func(context.Context, pointcheckout.Update) error { return nil }),
		Keys:    []pointcheckout.KeyPair{keys},
		Prefix:  prefix,
	})
	require.NoError(t, err)
	return h
}

func TestMountRegistersTheRoutesUnderThePrefix(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	pcgin.Mount(r.Group("/shop"), "/checkout", newHandler(t, "/shop/checkout"))

	var got []string
	for _, rt := range r.Routes() {
		got = append(got, rt.Method+" "+rt.Path)
	}
	sort.Strings(got)
	assert.Equal(t, []string{
		"GET /shop/checkout/return",
		"POST /shop/checkout",
		"POST /shop/checkout/notify",
		"POST /shop/checkout/return",
	}, got)

	// The routes reach the library: a return with no checkout reference is
	// refused by it, not by Gin's 404.
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/shop/checkout/return", nil))
	assert.NotEqual(t, http.StatusNotFound, w.Code)
	assert.NotEqual(t, http.StatusOK, w.Code)
}

func TestResult(t *testing.T) {
	gin.SetMode(gin.TestMode)
	h := newHandler(t, "")
	other := newHandler(t, "") // other keys: its cookie is a forgery here
	amount, err := pointcheckout.NewMoney(12345, "KWD")
	require.NoError(t, err)
	want := pointcheckout.Result{
		OrderID: "order-1", CheckoutID: "chk-1", Status: pointcheckout.StatusPaid,
		Amount: amount, Source: pointcheckout.SourceReturn,
	}
	cookieFrom := func(h *pointcheckout.Handler) []*http.Cookie {
		w := httptest.NewRecorder()
		require.NoError(t, h.SetResultCookie(w, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/pay/return", nil), want))
		return w.Result().Cookies()
	}

	cases := []struct {
		name       string
		middleware bool
		cookies    []*http.Cookie
		wantOK     bool
	}{
		{"result cookie", true, cookieFrom(h), true},
		{"no cookie", true, nil, false},
		{"cookie sealed with other keys", true, cookieFrom(other), false},
		{"garbage cookie", true, []*http.Cookie{{Name: cookieFrom(h)[0].Name, Value: "forged"}}, false},
		{"without the middleware", false, cookieFrom(h), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := gin.New()
			if tc.middleware {
				r.Use(pcgin.Middleware(h))
			}
			var (
				got, fromCtx     pointcheckout.Result
				gotOK, fromCtxOK bool
				ran              bool
			)
			r.GET("/thanks", func(c *gin.Context) {
				ran = true
				got, gotOK = pcgin.Result(c)
				fromCtx, fromCtxOK = pointcheckout.ResultFromContext(c.Request.Context())
				c.Status(http.StatusNoContent)
			})
			req := httptest.NewRequest(http.MethodGet, "/thanks", nil)
			for _, c := range tc.cookies {
				req.AddCookie(c)
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)

			require.True(t, ran, "the Gin handler did not run")
			assert.Equal(t, http.StatusNoContent, w.Code)
			assert.Equal(t, tc.wantOK, gotOK)
			assert.Equal(t, tc.wantOK, fromCtxOK, "net/http code under Gin sees the same")
			if tc.wantOK {
				assert.Equal(t, want, got)
				assert.Equal(t, want, fromCtx)
			} else {
				assert.Equal(t, pointcheckout.Result{}, got)
			}
		})
	}
}
