package main

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

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

// newPages parses every page with the shared layout and partials. Times
// are shown in loc, with its zone.
func newPages(loc *time.Location) (*pages, error) {
	funcs := template.FuncMap{
		"when":        func(t time.Time) string { return when(t, loc) },
		"isoTime":     func(t time.Time) string { return t.In(loc).Format(time.RFC3339) },
		"statusClass": statusClass,
		"statusText":  statusText,
		"adminText":   adminText,
	}
	pageNames := []string{"home", "cart", "checkout", "redirect", "order", "orders", "result", "elsewhere", "confirming", "admin", "error"}
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

// when formats a time for a page, in loc and with its zone, such as
// "1 Dec 2026, 18:08 UTC+4" or "1 Dec 2026, 14:08 UTC".
func when(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return t.Format("2 Jan 2006, 15:04") + " " + zoneName(t)
}

// zoneName is a time's zone abbreviation when it has letters (UTC, CET),
// else its offset from UTC (many zones, such as Asia/Dubai, abbreviate as
// a bare "+04").
func zoneName(t time.Time) string {
	name, offset := t.Zone()
	if name != "" && strings.IndexFunc(name, func(r rune) bool { return !unicode.IsLetter(r) }) < 0 {
		return name
	}
	if offset == 0 {
		return "UTC"
	}
	sign := "+"
	if offset < 0 {
		sign, offset = "-", -offset
	}
	z := "UTC" + sign + strconv.Itoa(offset/3600)
	if m := offset % 3600 / 60; m != 0 {
		z += fmt.Sprintf(":%02d", m)
	}
	return z
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

// statusClass picks the badge colour of an order's payment state.
func statusClass(s pointcheckout.PaymentState) string {
	switch s {
	case pointcheckout.PaymentNone, "":
		return "none"
	case pointcheckout.PaymentPaid, pointcheckout.PaymentAuthorized:
		return "paid"
	case pointcheckout.PaymentFailed, pointcheckout.PaymentCancelled, pointcheckout.PaymentExpired, pointcheckout.PaymentPaidTwice:
		return "failed"
	case pointcheckout.PaymentPending, pointcheckout.PaymentConfirming:
		return "pending"
	}
	return "other"
}
