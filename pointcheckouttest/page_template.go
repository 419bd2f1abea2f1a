package pointcheckouttest

// pageTemplates holds the hosted page ("page") and the post-back form
// ("postback"). Parsed once per server, on first use, so starting a server
// costs nothing.
const pageTemplates = `
{{define "head"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.}} - PointCheckout sandbox</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1f24}
main{max-width:28rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem}.sandbox{background:#fff3cd;padding:.5rem;border-radius:4px}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}
label{display:block;margin-top:.75rem;font-weight:600}
input[type=text]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border:1px solid #888;border-radius:4px}
.terms label{display:inline;font-weight:400}
.errors{border:2px solid #b00020;color:#b00020;padding:.5rem 1rem;border-radius:4px}
.buttons{display:flex;gap:1rem;margin-top:1.25rem}
button{font-size:1rem;padding:.6rem 1.2rem;border-radius:4px;border:1px solid #333;cursor:pointer}
button.pay{background:#0b5fff;color:#fff;border-color:#0b5fff}
:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
table{border-collapse:collapse;font-size:.9rem}td,th{padding:.2rem .5rem;text-align:left;border-bottom:1px solid #ddd}
</style>
</head>
<body>
<main>
{{end}}

{{define "page"}}{{template "head" (or .Heading "Pay")}}
<h1>{{if .Heading}}{{.Heading}}{{else}}Pay with card{{end}}</h1>
<p class="sandbox">PointCheckout sandbox: no real money moves. Pay with one of the test cards below.</p>
{{if .OrderID}}
<dl>
<dt>Order</dt><dd id="order-id">{{.OrderID}}</dd>
<dt>Amount</dt><dd id="amount">{{.Amount}}</dd>
</dl>
{{end}}
{{if .Form}}
{{if .Errors}}
<div class="errors" role="alert" id="form-errors">
<p><strong>Please correct the following:</strong></p>
<ul>{{range .Errors}}<li>{{.}}</li>{{end}}</ul>
</div>
{{end}}
<form method="post" action="{{.Action}}" autocomplete="on">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="card-number">Card number</label>
<input type="text" id="card-number" name="card_number" inputmode="numeric" autocomplete="cc-number" maxlength="23" required{{if .Errors}} aria-describedby="form-errors"{{end}}>
<label for="expiry">Expiry date (MM/YY)</label>
<input type="text" id="expiry" name="expiry" inputmode="numeric" autocomplete="cc-exp" placeholder="MM/YY" maxlength="7" value="{{.Expiry}}" required>
<label for="cvv">Security code (CVV)</label>
<input type="text" id="cvv" name="cvv" inputmode="numeric" autocomplete="cc-csc" maxlength="4" required>
<label for="card-name">Name on card</label>
<input type="text" id="card-name" name="card_name" autocomplete="cc-name" maxlength="100" value="{{.Name}}" required>
<p class="terms"><input type="checkbox" id="terms" name="terms" value="accepted" required> <label for="terms">I accept the terms and conditions</label></p>
<div class="buttons">
<button type="submit" class="pay" name="action" value="pay">Pay {{.Amount}}</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</div>
</form>
<details>
<summary>Test cards</summary>
<table>
<thead><tr><th scope="col">Number</th><th scope="col">Result</th></tr></thead>
<tbody>{{range .Cards}}<tr><td>{{spaced .Number}}</td><td>{{.Description}}</td></tr>{{end}}</tbody>
</table>
<p>Any expiry date in MM/YY form (for example {{with index .Cards 0}}{{.Expiry}}{{end}}), any 3 digit CVV (100), any name (TEST USER).</p>
</details>
{{else}}
<p id="state" role="status">{{.Message}}</p>
{{if .ReturnURL}}<p><a href="{{.ReturnURL}}">Return to the shop</a></p>{{end}}
{{end}}
</main>
</body>
</html>
{{end}}

{{define "postback"}}{{template "head" "Returning to the shop"}}
<h1>Returning to the shop</h1>
<form method="post" action="{{.ReturnURL}}" id="postback">
<input type="hidden" name="checkoutId" value="{{.CheckoutID}}">
<input type="hidden" name="status" value="{{.Status}}">
{{if .Checkout}}<input type="hidden" name="checkout" value="{{.Checkout}}">
<input type="hidden" name="reference" value="{{.Reference}}">
{{end}}<noscript><p>Press Continue to return to the shop.</p></noscript>
<button type="submit">Continue</button>
</form>
<script nonce="{{.Nonce}}">document.getElementById("postback").submit();</script>
</main>
</body>
</html>
{{end}}
`
