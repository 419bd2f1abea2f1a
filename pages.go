package pointcheckout

import (
	"html/template"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Page is what Config.RenderPage receives: everything a custom template
// needs. Message is safe, fixed text written for the shopper; it never
// holds error details.
type Page struct {
	// Confirming is set on the page shown while the checkout is still
	// pending (or the gateway could not answer): it reloads itself. Unset,
	// the page is an error page.
	Confirming bool
	// Status is the HTTP status to answer with.
	Status int
	// Message is the text for the shopper on an error page.
	Message string
	// Result is set on the confirming page.
	Result Result
	// RefreshURL is a path on this site to reload (confirming page) or to
	// retry (error page); empty when retrying makes no sense.
	RefreshURL string
	// RefreshAfter is how soon the confirming page reloads.
	RefreshAfter time.Duration
}

// pageTemplate is parsed on first use, not at import; once parsed it never
// changes, so sharing it is not mutable state.
var pageTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{{if .Refresh}}<meta http-equiv="refresh" content="{{.Seconds}};url={{.Page.RefreshURL}}">{{end}}
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.5}
h1{font-size:1.4rem}.box{border:1px solid #ccc;border-radius:8px;padding:1.5rem}
a{color:#0b57d0}
</style>
</head>
<body>
<main class="box">
<h1>{{.Title}}</h1>
{{if .Page.Confirming}}<p role="status" aria-live="polite">We are confirming your payment{{with .Page.Result.OrderID}} for order <strong>{{.}}</strong>{{end}}. This page updates itself in a few seconds; please do not pay again.</p>
{{if .Page.RefreshURL}}<p><a href="{{.Page.RefreshURL}}">Check now</a></p>{{end}}
{{else}}<p role="alert">{{.Page.Message}}</p>
{{if .Page.RefreshURL}}<p><a href="{{.Page.RefreshURL}}">Try again</a></p>{{end}}
<p><a href="/">Back to the shop</a></p>{{end}}
</main>
</body>
</html>
`))
})

// renderDefaultPage writes the package's own small, accessible page.
func renderDefaultPage(w http.ResponseWriter, _ *http.Request, p Page) {
	title := "Payment problem"
	if p.Confirming {
		title = "Confirming your payment"
	}
	secs := int(p.RefreshAfter / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.WriteHeader(p.Status)
	_ = pageTemplate().Execute(w, struct {
		Page    Page
		Title   string
		Refresh bool
		Seconds string
	}{p, title, p.Confirming && p.RefreshURL != "", strconv.Itoa(secs)})
}
