package pointcheckout

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// maxNotifyBody bounds a notification body; a hint needs a few hundred bytes.
const maxNotifyBody = 16 << 10

// errBadNotification reports a notification that names no usable checkout.
var errBadNotification = errors.New("pointcheckout: notification names no checkout")

// parseNotification extracts the checkout id from a notification. The
// gateway's webhook format is not published, so it accepts the shapes a
// sender can reasonably use: JSON {"checkoutId": "..."} or {"id": "..."}
// (also nested under "result" or "checkout"), and form-encoded checkoutId or
// id. Nothing else in the body is trusted or used.
func parseNotification(body io.Reader, contentType string) (string, error) {
	raw, err := io.ReadAll(body)
	if err != nil {
		return "", errBadNotification
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	var id string
	if mt == "application/x-www-form-urlencoded" {
		v, err := url.ParseQuery(string(raw))
		if err != nil {
			return "", errBadNotification
		}
		id = v.Get("checkoutId")
		if id == "" {
			id = v.Get("id")
		}
	} else {
		var n struct {
			CheckoutID json.RawMessage `json:"checkoutId"`
			ID         json.RawMessage `json:"id"`
			Result     *idOnly         `json:"result"`
			Checkout   *idOnly         `json:"checkout"`
		}
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", errBadNotification
		}
		for _, c := range []json.RawMessage{n.CheckoutID, n.ID, nested(n.Result), nested(n.Checkout)} {
			if id = scalarText(c); id != "" {
				break
			}
		}
	}
	if !validCheckoutID(id) {
		return "", errBadNotification
	}
	return id, nil
}

// idOnly is a nested object of which only the id is read.
type idOnly struct {
	ID json.RawMessage `json:"id"`
}

func nested(p *idOnly) json.RawMessage {
	if p == nil {
		return nil
	}
	return p.ID
}

// validCheckoutID accepts the ids the API issues (digits, letters, - and _),
// bounded, so nothing else reaches a lookup or a log line.
func validCheckoutID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// serveNotify resolves the checkout a notification names. The body is only
// a hint: the status always comes from the API.
func (h *Handler) serveNotify(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if h.cfg.Refs == nil {
		http.Error(w, "notifications are not configured", http.StatusNotImplemented)
		return
	}
	id, err := parseNotification(http.MaxBytesReader(w, r.Body, maxNotifyBody), r.Header.Get("Content-Type"))
	if err != nil {
		http.Error(w, "bad notification", http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	ref, err := h.cfg.Refs.FindRef(ctx, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			http.Error(w, "unknown checkout", http.StatusNotFound)
			return
		}
		h.fail(r, "pointcheckout: finding the reference of a notification failed", err, "checkout_id", id)
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	if ref.CheckoutID != id {
		h.security(r, "reference found for a notification names another checkout", fmt.Errorf("%w: want %q", ErrInvalidRef, clip(id)))
		http.Error(w, "unknown checkout", http.StatusNotFound)
		return
	}
	res, err := h.resolveOnce(ctx, ref, SourceNotify)
	switch {
	case err == nil && res.Status.IsFinal():
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ok\n"))
	case err == nil:
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("pending\n"))
	case errors.Is(err, ErrVerification):
		h.security(r, "notified checkout does not match its reference", err)
		http.Error(w, "verification failed", http.StatusConflict)
	default:
		h.fail(r, "pointcheckout: notification could not be resolved", err, "checkout_id", id)
		http.Error(w, "try again later", http.StatusServiceUnavailable)
	}
}
