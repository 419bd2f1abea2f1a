package pointcheckout

import (
	"fmt"
	"io"
	"log/slog"
)

// redacted is what a Secret shows in place of its value.
const redacted = "[REDACTED]"

// Secret is a credential, such as the Merchant API secret. It redacts
// itself wherever it is printed, logged or encoded, so that a config or a
// client dumped into a log line or an error page does not leak it. Convert
// it with string(s) only where the value must really be sent.
type Secret string

// String returns a placeholder, never the value.
func (Secret) String() string { return redacted }

// GoString returns a placeholder for %#v, never the value.
func (Secret) GoString() string { return redacted }

// Format writes a placeholder for every verb (%v, %+v, %#v, %s, %q, %x,
// %d, ...): without it %x and %q would print the raw bytes.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalJSON encodes a placeholder, so a config marshalled for debugging
// carries no credential.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes a placeholder, for text encoders and map keys.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue makes log/slog print a placeholder.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
