package pointcheckout

import (
	"fmt"
	"io"
	"log/slog"
)

// redacted is what a Secret shows in place of its value.
const redacted = "[REDACTED]"

// Secret is a credential, such as the Merchant API secret. It never shows
// its value, however it is printed, logged or encoded: it holds the value
// behind a pointer, which fmt prints as an address even where it cannot call
// the redacting methods (a Secret in an unexported field of a struct that
// is logged with %+v). Make one with [NewSecret].
type Secret struct {
	v *string
}

// NewSecret wraps a credential.
func NewSecret(value string) Secret { return Secret{&value} }

// reveal returns the value, for the one place that sends it.
func (s Secret) reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// String returns a placeholder, never the value.
func (Secret) String() string { return redacted }

// GoString returns a placeholder for %#v, never the value.
func (Secret) GoString() string { return redacted }

// Format writes a placeholder for every verb (%v, %+v, %#v, %s, %q, %x,
// %d, ...).
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalJSON encodes a placeholder, so a config marshalled for debugging
// carries no credential.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes a placeholder, for text encoders and map keys.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue makes log/slog print a placeholder.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
