package minishop

import (
	"strings"
	"testing"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPages(t *testing.T) {
	amount := aed(t, 9800)
	cases := []struct {
		name    string
		page    string
		data    any
		want    []string
		notWant []string
	}{
		{
			name: "product",
			page: ProductPage,
			data: Product{SKU: "MUG-1", Name: "Mug <b>", Price: aed(t, 4900)},
			want: []string{`<h1>Mug &lt;b&gt;</h1>`, `<span id="price">49.00 AED</span>`, `action="` + PayPrefix + `"`, `max="10"`},
		},
		{
			name: "result",
			page: ResultPage,
			data: ResultView{Title: SuccessTitle, Result: &pointcheckout.Result{
				OrderID: `order-"1"`, Status: pointcheckout.StatusPaid, Amount: amount,
			}},
			want:    []string{`<h1>` + SuccessTitle + `</h1>`, `id="order">order-&#34;1&#34;<`, `id="status">PAID<`, `id="amount">98.00 AED<`},
			notWant: []string{`id="no-result"`},
		},
		{
			name:    "no result",
			page:    ResultPage,
			data:    ResultView{Title: FailureTitle},
			want:    []string{`<h1>` + FailureTitle + `</h1>`, `id="no-result"`},
			notWant: []string{`id="status"`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			require.NoError(t, Pages().ExecuteTemplate(&b, tc.page, tc.data))
			for _, w := range tc.want {
				assert.Contains(t, b.String(), w)
			}
			for _, w := range tc.notWant {
				assert.NotContains(t, b.String(), w)
			}
		})
	}
}

func TestPagesAreIndependent(t *testing.T) {
	a := Pages()
	_, err := a.New("product").Parse("replaced")
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, Pages().ExecuteTemplate(&b, ProductPage, Product{Name: "Mug", Price: aed(t, 4900)}))
	assert.Contains(t, b.String(), "<h1>Mug</h1>")
}
