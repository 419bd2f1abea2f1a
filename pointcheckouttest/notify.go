package pointcheckouttest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// note is the notification body: a hint to fetch the checkout, never the
// truth about it (the API publishes no notification format or signature).
type note struct {
	CheckoutID string `json:"checkoutId"`
	Status     string `json:"status"`
}

// send posts n to the notify URL in the background. Failures are logged
// and forgotten: notifications are best effort.
func (s *Server) send(n note) {
	s.sendMu.Lock()
	if s.sendClosed {
		s.sendMu.Unlock()
		return
	}
	s.bg.Add(1)
	s.sendMu.Unlock()
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		go func() {
			select {
			case <-s.closed:
				cancel()
			case <-ctx.Done():
			}
		}()
		body, _ := json.Marshal(n)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.notifyURL, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.notify.Do(req)
		if err != nil {
			s.logf("pointcheckouttest: notification failed", "checkout", n.CheckoutID, "err", err)
			return
		}
		_ = resp.Body.Close()
		if resp.StatusCode >= 300 {
			s.logf("pointcheckouttest: notification refused", "checkout", n.CheckoutID, "http_status", resp.StatusCode)
		}
	}()
}

func (s *Server) logf(msg string, args ...any) {
	if s.cfg.logger != nil {
		s.cfg.logger.Warn(msg, args...)
	}
}
