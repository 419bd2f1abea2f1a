package main

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// assets holds the page templates and the stylesheet, so the shop is one
// binary with nothing to install beside it.
//
//go:embed templates/*.html static/*
var assets embed.FS

// pages holds one parsed template set per page, each with the layout.
type pages struct {
	byName map[string]*template.Template
}

// newPages parses every page with the shared layout and partials.
func newPages() (*pages, error) {
	funcs := template.FuncMap{
		"when":        func(t time.Time) string { return t.Format("2006-01-02 15:04:05") },
		"statusClass": statusClass,
		"statusText":  statusText,
	}
	pageNames := []string{"home", "cart", "checkout", "redirect", "order", "orders", "result", "admin", "error"}
	p := &pages{byName: make(map[string]*template.Template, len(pageNames))}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// view is what every page template receives.
type view struct {
	Title     string
	CartCount int64
	Body      any
}

// render writes a page. It renders into a buffer first so a template error
// becomes a clean 500, not half a page.
func (p *pages) render(w http.ResponseWriter, r *http.Request, log *slog.Logger, status int, name string, v view) {
	t, ok := p.byName[name]
	if !ok {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		log.ErrorContext(r.Context(), "render", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// statusClass picks the badge colour of an order status.
func statusClass(s pointcheckout.Status) string {
	switch {
	case s == "":
		return "none"
	case s.IsPaid():
		return "paid"
	case s.IsFailed():
		return "failed"
	case s == pointcheckout.StatusPending || s == pointcheckout.StatusPendingConfirmation:
		return "pending"
	}
	return "other"
}

// statusText is the badge text of an order status.
func statusText(s pointcheckout.Status) string {
	if s == "" {
		return "NOT PAID ONLINE"
	}
	return s.String()
}
