package browsertest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

// TestTabsReadPagesAndKeepCookiesApart: a tab reads a loopback page's text
// and URL; a stranger's tab does not see the cookie another tab was given.
func TestTabsReadPagesAndKeepCookiesApart(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/set" {
			http.SetCookie(w, &http.Cookie{Name: "who", Value: "first", Path: "/"})
		}
		who := "nobody"
		if c, err := r.Cookie("who"); err == nil {
			who = c.Value
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<h1 id="who"> ` + who + ` </h1>`))
	}))
	defer srv.Close()

	browser := New(t)
	tab := NewTab(t, browser)
	Do(t, tab, "open /set", chromedp.Navigate(srv.URL+"/set"), chromedp.WaitVisible(chromedp.CSS("#who")))
	assert.Equal(t, srv.URL+"/set", Location(t, tab))
	Do(t, tab, "open /", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#who")))
	assert.Equal(t, "first", Text(t, tab, "#who"), "the cookie is sent back, the text trimmed")

	stranger := NewStranger(t, browser)
	Do(t, stranger, "open / elsewhere", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#who")))
	assert.Equal(t, "nobody", Text(t, stranger, "#who"))
}

// TestFailedStepSaysWhere: a step that fails names the page the tab is on
// and its text.
func TestFailedStepSaysWhere(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<p>503 Service Unavailable</p>`))
	}))
	defer srv.Close()
	tab := New(t)
	Do(t, tab, "open", chromedp.Navigate(srv.URL+"/shop"))
	got := describe(tab)
	assert.Contains(t, got, srv.URL+"/shop")
	assert.Contains(t, got, "503 Service Unavailable")
}
