package minishop

import (
	"html/template"

	"github.com/pointcheckout-go/pointcheckout"
)

// The names of the templates Pages defines.
const (
	// ProductPage shows a Product and the form that posts to PayPrefix.
	ProductPage = "product"
	// ResultPage shows a ResultView.
	ResultPage = "result"
)

// pagesText is the shop's HTML. The result page marks the values a test or
// a script reads with ids.
const pagesText = `
{{define "product"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Name}}</title></head>
<body>
<h1>{{.Name}}</h1>
<p>Price: <span id="price">{{.Price}}</span></p>
<form method="post" action="/pay">
  <label>Quantity <input type="number" name="quantity" value="1" min="1" max="10"></label>
  <button type="submit">Pay using Cards / PointCheckout</button>
</form>
</body></html>
{{end}}

{{define "result"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body>
<h1>{{.Title}}</h1>
{{with .Result}}<dl>
  <dt>Order</dt><dd id="order">{{.OrderID}}</dd>
  <dt>Status</dt><dd id="status">{{.Status}}</dd>
  <dt>Amount</dt><dd id="amount">{{.Amount}}</dd>
</dl>{{else}}<p id="no-result">No recent payment to show.</p>{{end}}
<p><a href="/">Back to the shop</a></p>
</body></html>
{{end}}
`

// Pages returns the shop's HTML templates, ProductPage and ResultPage. Each
// call parses them afresh, so no shop can change another's.
func Pages() *template.Template {
	// The text is a constant: a parse error is a bug caught by any test.
	return template.Must(template.New("").Parse(pagesText))
}

// ResultView is what ResultPage shows; Result is nil when the request
// carries no payment outcome (a bookmarked or reloaded page).
type ResultView struct {
	Title  string
	Result *pointcheckout.Result
}
