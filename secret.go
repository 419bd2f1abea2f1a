package pointcheckout

// redacted is what a Secret shows in place of its value.
const redacted = "[REDACTED]"

// Secret is a credential, such as the Merchant API secret. It never shows
// its value, however it is printed, logged or encoded: it prints as
// [REDACTED], and it holds the value in a closure, which fmt shows as an
// address where it cannot call String (a Secret in an unexported field,
// any verb) and encoding/json not at all. Make one with [NewSecret].
type Secret struct {
	v func() string
}

// NewSecret wraps a credential.
func NewSecret(value string) Secret { return Secret{func() string { return value }} }

// reveal returns the value, for the one place that sends it.
func (s Secret) reveal() string {
	if s.v == nil {
		return ""
	}
	return s.v()
}

// String returns a placeholder, never the value.
func (Secret) String() string { return redacted }
