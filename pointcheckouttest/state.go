package pointcheckouttest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// The state file (WithStateFile) lets a standalone sandbox be restarted
// without forgetting the checkouts a demo shop's database refers to. It is
// JSON, written to a temporary file beside it and renamed over it, so a
// crash leaves either the old or the new state, never half of one.

// stateVersion is the state file's format; a file of another version is
// refused rather than misread.
const stateVersion = 1

type stateFile struct {
	Version int    `json:"version"`
	Key     string `json:"key"`
	Secret  string `json:"secret"`
	// Checkouts are oldest first, as Server.Checkouts lists them.
	Checkouts []stateCheckout `json:"checkouts"`
}

type stateCheckout struct {
	ID          string        `json:"id"`
	DisplayID   string        `json:"displayId"`
	CheckoutKey string        `json:"checkoutKey"`
	RequestID   string        `json:"requestId"`
	OrderID     string        `json:"orderId"`
	Currency    string        `json:"currency"`
	Amount      string        `json:"amount"`
	Refunded    string        `json:"totalRefunded"`
	Status      string        `json:"status"`
	ReturnURL   string        `json:"returnUrl"`
	Customer    wireCustomer  `json:"customer"`
	Billing     wireAddress   `json:"billingAddress"`
	Delivery    *wireAddress  `json:"deliveryAddress"`
	BranchID    string        `json:"branchId,omitempty"`
	Created     time.Time     `json:"created"`
	Updated     time.Time     `json:"updated"`
	SettleAt    time.Time     `json:"settleAt"`
	SettleTo    string        `json:"settleTo,omitempty"`
	Submitted   bool          `json:"submitted,omitempty"`
	Method      string        `json:"paymentMethod,omitempty"`
	Refunds     []stateRefund `json:"refunds,omitempty"`
	// Body is the create request as received ([]byte, so base64: its
	// bytes are kept exactly).
	Body []byte `json:"requestBody"`
}

type stateRefund struct {
	Amount      string    `json:"amount"`
	Note        string    `json:"note"`
	ReferenceID string    `json:"referenceId,omitempty"`
	At          time.Time `json:"at"`
}

// loadState reads the state file into s, if it exists. Credentials set
// with WithCredentials win over the file's. A file that exists but cannot
// be read is an error: silently starting empty would lose a demo's
// checkouts at the next save.
func (s *Server) loadState() error {
	path := s.cfg.stateFile
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pointcheckouttest: state file: %w", err)
	}
	var st stateFile
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("pointcheckouttest: state file %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("pointcheckouttest: state file %s: version %d, want %d", path, st.Version, stateVersion)
	}
	if s.cfg.key == "" && st.Key != "" && st.Secret != "" {
		s.Key, s.Secret = st.Key, st.Secret
	}
	for i, sc := range st.Checkouts {
		c, err := sc.checkout()
		if err != nil {
			return fmt.Errorf("pointcheckouttest: state file %s: checkout %d: %w", path, i, err)
		}
		if s.byID[c.id] != nil || s.byKey[c.key] != nil || s.byRequest[c.requestID] != nil {
			return fmt.Errorf("pointcheckouttest: state file %s: checkout %d repeats an id, key or requestId", path, i)
		}
		s.byID[c.id], s.byKey[c.key], s.byRequest[c.requestID] = c, c, c
		s.all = append(s.all, c)
	}
	return nil
}

// checkout rebuilds a server record from its saved form.
func (sc stateCheckout) checkout() (*checkout, error) {
	if sc.ID == "" || sc.CheckoutKey == "" || sc.RequestID == "" {
		return nil, errors.New("missing id, checkoutKey or requestId")
	}
	amount, err := pointcheckout.ParseMoney(sc.Amount, sc.Currency)
	if err != nil {
		return nil, fmt.Errorf("amount: %w", err)
	}
	refunded, err := pointcheckout.ParseMoney(sc.Refunded, sc.Currency)
	if err != nil {
		return nil, fmt.Errorf("totalRefunded: %w", err)
	}
	status := pointcheckout.Status(sc.Status)
	if !status.Known() {
		return nil, fmt.Errorf("unknown status %q", sc.Status)
	}
	settleTo := pointcheckout.Status(sc.SettleTo)
	if sc.SettleTo != "" && !settleTo.Known() {
		return nil, fmt.Errorf("unknown settle status %q", sc.SettleTo)
	}
	c := &checkout{
		id: sc.ID, displayID: sc.DisplayID, key: sc.CheckoutKey,
		requestID: sc.RequestID, orderID: sc.OrderID,
		amount: amount, refunded: refunded, status: status,
		returnURL: sc.ReturnURL,
		customer:  sc.Customer, billing: sc.Billing, delivery: sc.Delivery,
		branchID: sc.BranchID,
		created:  sc.Created, updated: sc.Updated,
		settleAt: sc.SettleAt, settleTo: settleTo,
		submitted: sc.Submitted, method: sc.Method,
		body: sc.Body,
	}
	for _, r := range sc.Refunds {
		m, err := pointcheckout.ParseMoney(r.Amount, sc.Currency)
		if err != nil {
			return nil, fmt.Errorf("refund amount: %w", err)
		}
		c.refunds = append(c.refunds, Refund{Amount: m, Note: r.Note, ReferenceID: r.ReferenceID, At: r.At})
	}
	return c, nil
}

// saveState writes every checkout to the state file if something changed
// since the last save. The caller holds s.mu, so saves happen in the order
// of the changes. A failed save is logged and retried after the next
// change: the sandbox keeps serving.
func (s *Server) saveState() {
	if s.cfg.stateFile == "" || !s.dirty {
		return
	}
	st := stateFile{Version: stateVersion, Key: s.Key, Secret: s.Secret, Checkouts: make([]stateCheckout, 0, len(s.all))}
	for _, c := range s.all {
		sc := stateCheckout{
			ID: c.id, DisplayID: c.displayID, CheckoutKey: c.key,
			RequestID: c.requestID, OrderID: c.orderID,
			Currency: c.amount.Currency(), Amount: c.amount.Decimal(), Refunded: c.refunded.Decimal(),
			Status: string(c.status), ReturnURL: c.returnURL,
			Customer: c.customer, Billing: c.billing, Delivery: c.delivery,
			BranchID: c.branchID, Created: c.created, Updated: c.updated,
			SettleAt: c.settleAt, SettleTo: string(c.settleTo),
			Submitted: c.submitted, Method: c.method, Body: c.body,
		}
		for _, r := range c.refunds {
			sc.Refunds = append(sc.Refunds, stateRefund{Amount: r.Amount.Decimal(), Note: r.Note, ReferenceID: r.ReferenceID, At: r.At})
		}
		st.Checkouts = append(st.Checkouts, sc)
	}
	b, err := json.MarshalIndent(st, "", "\t")
	if err == nil {
		err = writeFileAtomic(s.cfg.stateFile, append(b, '\n'))
	}
	if err != nil {
		s.logf("pointcheckouttest: saving the state file failed", "err", err)
		return
	}
	s.dirty = false
}

// writeFileAtomic writes b to a temporary file in path's directory, with
// mode 0600, flushes it, and renames it over path.
func writeFileAtomic(path string, b []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = tmp.Write(b); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
