package pointcheckout

// Source says which step of the flow resolved a checkout.
type Source string

// The steps that hand updates to the OrderUpdater.
const (
	// SourcePay: /pay created the checkout (status PENDING).
	SourcePay Source = "pay"
	// SourceReturn: the shopper came back on the return URL.
	SourceReturn Source = "return"
	// SourceNotify: the gateway (or anyone) sent a notification; the
	// checkout was fetched from the API.
	SourceNotify Source = "notify"
	// SourceReconcile: a periodic sweep resolved the checkout.
	SourceReconcile Source = "reconcile"
)
