package pointcheckout

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateAcceptsCompleteRequests(t *testing.T) {
	for name, r := range map[string]CheckoutRequest{
		"every field":  fullRequest(t),
		"minimal":      minimalRequest(t, "AED", 10000, 10000),
		"three digits": minimalRequest(t, "KWD", 12345, 12345),
		"zero digits":  minimalRequest(t, "JPY", 500, 500),
	} {
		t.Run(name, func(t *testing.T) {
			assert.NoError(t, r.Validate())
		})
	}
}

func TestValidateNamesTheField(t *testing.T) {
	sar := func(minor int64) Money { return mustMoney(t, minor, "SAR") }
	tests := []struct {
		field  string
		modify func(r *CheckoutRequest)
	}{
		{"requestId", func(r *CheckoutRequest) { r.RequestID = "" }},
		{"requestId", func(r *CheckoutRequest) { r.RequestID = "   " }},
		{"requestId", func(r *CheckoutRequest) { r.RequestID = "R-1\r\nX-Injected: 1" }},
		{"orderId", func(r *CheckoutRequest) { r.OrderID = "" }},
		{"orderId", func(r *CheckoutRequest) { r.OrderID = "O\x7f1" }},
		{"orderId", func(r *CheckoutRequest) { r.OrderID = strings.Repeat("9", 257) }},
		{"items[0].sku", func(r *CheckoutRequest) { r.Items[0].SKU = "S\n1" }},
		{"customer.id", func(r *CheckoutRequest) { r.Customer.ID = "C\r1" }},
		{"customer.phone", func(r *CheckoutRequest) { r.Customer.Phone = "971\n5" }},
		{"customer.firstName", func(r *CheckoutRequest) { r.Customer.FirstName = strings.Repeat("L", 10000) }},
		{"billingAddress.address2", func(r *CheckoutRequest) { r.BillingAddress.Address2 = "x\ty" }},
		{"billingAddress.state", func(r *CheckoutRequest) { r.BillingAddress.State = strings.Repeat("s", 257) }},
		{"billingAddress.zip", func(r *CheckoutRequest) { r.BillingAddress.Zip = "1\x002" }},
		{"returnUrl", func(r *CheckoutRequest) { r.ReturnURL = "https://shop.example/r?t=" + strings.Repeat("a", 2100) }},
		{"amount", func(r *CheckoutRequest) { r.Amount = Money{} }},
		{"amount", func(r *CheckoutRequest) { r.Amount = mustMoney(t, 0, "AED") }},
		{"items", func(r *CheckoutRequest) { r.Items = nil }},
		{"items[0].name", func(r *CheckoutRequest) { r.Items[0].Name = "" }},
		{"items[0].quantity", func(r *CheckoutRequest) { r.Items[0].Quantity = 0 }},
		{"items[0].quantity", func(r *CheckoutRequest) { r.Items[0].Quantity = -2 }},
		{"items[0].linetotal", func(r *CheckoutRequest) { r.Items[0].LineTotal = Money{} }},
		{"items[0].linetotal", func(r *CheckoutRequest) { r.Items[0].LineTotal = sar(10000) }},
		{"items[0].unitprice", func(r *CheckoutRequest) { r.Items[0].UnitPrice = sar(5000) }},
		{"items[1].name", func(r *CheckoutRequest) { r.Items = append(r.Items, Item{Quantity: 1, LineTotal: r.Amount}) }},
		{"totals.subtotal", func(r *CheckoutRequest) { r.Totals.Subtotal = Money{} }},
		{"totals.tax", func(r *CheckoutRequest) { r.Totals.Tax = Money{} }},
		{"totals.shipping", func(r *CheckoutRequest) { r.Totals.Shipping = sar(1) }},
		{"totals.handling", func(r *CheckoutRequest) { r.Totals.Handling = sar(1) }},
		{"totals.discount", func(r *CheckoutRequest) { r.Totals.Discount = sar(1) }},
		{"customer.firstName", func(r *CheckoutRequest) { r.Customer.FirstName = "" }},
		{"customer.lastName", func(r *CheckoutRequest) { r.Customer.LastName = "" }},
		{"customer.email", func(r *CheckoutRequest) { r.Customer.Email = "" }},
		{"customer.email", func(r *CheckoutRequest) { r.Customer.Email = "layla.example.com" }},
		{"billingAddress.name", func(r *CheckoutRequest) { r.BillingAddress.Name = "" }},
		{"billingAddress.address1", func(r *CheckoutRequest) { r.BillingAddress.Address1 = "" }},
		{"billingAddress.city", func(r *CheckoutRequest) { r.BillingAddress.City = "" }},
		{"billingAddress.country", func(r *CheckoutRequest) { r.BillingAddress.Country = "" }},
		{"billingAddress.country", func(r *CheckoutRequest) { r.BillingAddress.Country = "United Arab Emirates" }},
		{"billingAddress.country", func(r *CheckoutRequest) { r.BillingAddress.Country = "A" }},
		{"deliveryAddress.city", func(r *CheckoutRequest) { r.DeliveryAddress.City = "" }},
		{"returnUrl", func(r *CheckoutRequest) { r.ReturnURL = "" }},
		{"returnUrl", func(r *CheckoutRequest) { r.ReturnURL = "/pay/return" }},
		{"returnUrl", func(r *CheckoutRequest) { r.ReturnURL = "ftp://shop.example.com/return" }},
		{"returnUrl", func(r *CheckoutRequest) { r.ReturnURL = "https:///return" }},
		{"returnUrl", func(r *CheckoutRequest) { r.ReturnURL = "javascript:alert(1)" }},
		{"returnUrl", func(r *CheckoutRequest) { r.ReturnURL = "https://shop.example.com/%zz" }},
		{"branchId", func(r *CheckoutRequest) { r.BranchID = -1 }},
		{"language", func(r *CheckoutRequest) { r.Language = "E" }},
		{"language", func(r *CheckoutRequest) { r.Language = "ENGL" }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			r := fullRequest(t)
			tt.modify(&r)
			err := r.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidRequest)
			assert.NotErrorIs(t, err, ErrBadRequest, "refused locally, not by the API")
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve.Fields, 1, "only the broken field is reported: %v", ve.Fields)
			assert.Equal(t, tt.field, ve.Fields[0].Field)
			assert.NotEmpty(t, ve.Fields[0].Problem)
			assert.Contains(t, err.Error(), tt.field)
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	err := (&CheckoutRequest{}).Validate()
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	var fields []string
	for _, f := range ve.Fields {
		fields = append(fields, f.Field)
	}
	assert.Equal(t, []string{
		"requestId", "orderId", "amount", "items",
		"customer.firstName", "customer.lastName", "customer.email",
		"billingAddress.name", "billingAddress.address1", "billingAddress.city", "billingAddress.country",
		"returnUrl",
	}, fields)

	wrapped := errors.Join(errors.New("create web checkout"), err)
	assert.ErrorIs(t, wrapped, ErrInvalidRequest)
	require.ErrorAs(t, wrapped, &ve)
}

func TestValidateGoodRequestAllocatesAlmostNothing(t *testing.T) {
	// Every /pay validates; the field paths of problems are built only when
	// there is a problem. The one allocation is url.Parse of the return URL.
	r := fullRequest(t)
	allocs := testing.AllocsPerRun(100, func() {
		if err := r.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	assert.LessOrEqual(t, allocs, 1.0)
}
