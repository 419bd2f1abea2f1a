package minishoptest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// NewHandler returns a payment handler under prefix, on a sandbox that lives
// as long as the test, for testing how a framework adapter mounts it. It
// takes no orders and ignores updates: a test of the wiring needs neither.
func NewHandler(t testing.TB, prefix string) *pointcheckout.Handler {
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

// resultCase is one request a framework adapter's result middleware must
// judge: with the middleware installed (or not) and cookies sent, the page
// handler finds the sealed Result exactly when wantOK.
type resultCase struct {
	name       string
	middleware bool
	cookies    []*http.Cookie
	wantOK     bool
}

// resultCases returns the Result h seals into its result cookie and the
// cases an adapter's middleware must get right for h: the genuine cookie,
// none, one sealed with other keys (a forgery here), a garbage value, and
// the genuine cookie with no middleware installed.
func resultCases(t testing.TB, h *pointcheckout.Handler) (pointcheckout.Result, []resultCase) {
	t.Helper()
	other := NewHandler(t, "") // other keys: its cookie is a forgery here
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
	return want, []resultCase{
		{"result cookie", true, cookieFrom(h), true},
		{"no cookie", true, nil, false},
		{"cookie sealed with other keys", true, cookieFrom(other), false},
		{"garbage cookie", true, []*http.Cookie{{Name: cookieFrom(h)[0].Name, Value: "forged"}}, false},
		{"without the middleware", false, cookieFrom(h), false},
	}
}

// Seen is what a page handler behind a framework adapter's result
// middleware found.
type Seen struct {
	// Ran is set when the page handler ran at all.
	Ran bool
	// Result and OK are what the adapter's own accessor returned.
	Result pointcheckout.Result
	OK     bool
	// FromContext and FromContextOK are what pointcheckout.ResultFromContext
	// returned for the request the page handler got, as net/http code
	// under the framework would see it.
	FromContext   pointcheckout.Result
	FromContextOK bool
}

// CheckResultMiddleware checks a framework adapter's result middleware for
// h, one subtest a case: a genuine result cookie, none, one sealed with
// other keys, a garbage value, and the genuine cookie without the
// middleware. For each, serve must return a router that installs the
// adapter's middleware for h when useMiddleware, and routes GET /thanks to a
// page handler that records what it finds in seen and answers 204.
// framework names the router in failure messages.
func CheckResultMiddleware(t *testing.T, h *pointcheckout.Handler, framework string, serve func(useMiddleware bool, seen *Seen) http.Handler) {
	want, cases := resultCases(t, h)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var seen Seen
			router := serve(tc.middleware, &seen)
			req := httptest.NewRequest(http.MethodGet, "/thanks", nil)
			for _, c := range tc.cookies {
				req.AddCookie(c)
			}
			w := httptest.NewRecorder()
			router.ServeHTTP(w, req)

			require.True(t, seen.Ran, "the %s handler did not run", framework)
			assert.Equal(t, http.StatusNoContent, w.Code)
			assert.Equal(t, tc.wantOK, seen.OK)
			assert.Equal(t, tc.wantOK, seen.FromContextOK, "net/http code under %s sees the same", framework)
			if tc.wantOK {
				assert.Equal(t, want, seen.Result)
				assert.Equal(t, want, seen.FromContext)
			} else {
				assert.Equal(t, pointcheckout.Result{}, seen.Result)
			}
		})
	}
}

// CheckMount checks what a framework adapter mounted under prefix: the
// paths the router lists (routes, "METHOD path" pairs in any order) must be
// exactly the handler's three, and for every method on each of them the
// router must answer as the library's own routing (h.Middleware) does: the
// library, not the router's 404 or 405, decides what a wrong method or a
// return with no checkout reference gets. framework names the router in
// failure messages.
func CheckMount(t testing.TB, h *pointcheckout.Handler, router http.Handler, routes []string, prefix, framework string) {
	t.Helper()
	paths := []string{prefix, prefix + "/notify", prefix + "/return"}
	var listed []string
	for _, rt := range routes {
		if _, path, ok := strings.Cut(rt, " "); ok && !slices.Contains(listed, path) {
			listed = append(listed, path)
		}
	}
	slices.Sort(listed)
	assert.Equal(t, paths, listed, "%s lists other paths", framework)

	library := h.Middleware(http.NotFoundHandler())
	for _, path := range paths {
		for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
			want, got := httptest.NewRecorder(), httptest.NewRecorder()
			library.ServeHTTP(want, httptest.NewRequest(method, path, nil))
			router.ServeHTTP(got, httptest.NewRequest(method, path, nil))
			assert.Equal(t, want.Code, got.Code, "%s %s %s", framework, method, path)
			assert.Equal(t, want.Header().Get("Allow"), got.Header().Get("Allow"), "%s %s %s: Allow", framework, method, path)
		}
	}
}
