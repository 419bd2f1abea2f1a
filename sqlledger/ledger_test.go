package sqlledger

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

func TestNewRefusesBadConfig(t *testing.T) {
	db := &sql.DB{}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no DB", Config{Dialect: SQLite, KeepOtherAttempts: true}, "no DB"},
		{"no dialect", Config{DB: db, KeepOtherAttempts: true}, "Dialect(0)"},
		{"no client", Config{DB: db, Dialect: SQLite}, "Client"},
		{"bad prefix", Config{DB: db, Dialect: PostgreSQL, Prefix: "pay-", KeepOtherAttempts: true}, "Prefix"},
		{"negative lifetime", Config{DB: db, Dialect: SQLite, KeepOtherAttempts: true, CheckoutLifetime: -time.Second}, "CheckoutLifetime"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %s", tc.name, err, tc.want)
		}
	}
	l, err := New(Config{DB: db, Dialect: SQLite, KeepOtherAttempts: true})
	if err != nil {
		t.Fatal(err)
	}
	if l.prefix != DefaultPrefix || l.maxOpen != DefaultMaxOpenAttempts || l.lifetime != DefaultCheckoutLifetime || l.log == nil || l.now == nil {
		t.Errorf("defaults not applied: %+v", l)
	}
}

func TestDescribe(t *testing.T) {
	ref := pointcheckout.Ref{CheckoutID: "c", OrderID: "o", RequestID: "r"}
	u := pointcheckout.Update{OrderID: "o", CheckoutID: "c", RequestID: "r", Status: pointcheckout.StatusPaid}
	for _, tc := range []struct {
		o             pointcheckout.Outcome
		prev          pointcheckout.Status
		verdict, want string
	}{
		{pointcheckout.Outcome{Err: errors.New("no")}, pointcheckout.StatusPending, Refused, "no"},
		{pointcheckout.Outcome{AttemptChanged: true}, "", Applied, "new attempt, PAID"},
		{pointcheckout.Outcome{AttemptChanged: true}, pointcheckout.StatusPending, Applied, "PENDING → PAID"},
		{pointcheckout.Outcome{Attempt: pointcheckout.Attempt{Ref: ref, Status: pointcheckout.StatusPaid}}, pointcheckout.StatusPaid, Repeat, "already PAID"},
		{pointcheckout.Outcome{Attempt: pointcheckout.Attempt{Ref: ref, Status: pointcheckout.StatusRefunded}}, pointcheckout.StatusRefunded, Ignored, "REFUNDED may not become PAID"},
	} {
		verdict, detail := describe(u, tc.o, tc.prev)
		if verdict != tc.verdict || detail != tc.want {
			t.Errorf("%+v from %s: %s %q, want %s %q", tc.o, tc.prev, verdict, detail, tc.verdict, tc.want)
		}
	}
}

func TestFirstErrors(t *testing.T) {
	var errs []error
	for range 5 {
		errs = append(errs, errors.New("gateway down"))
	}
	got := firstErrors(errors.Join(errs...), 3).Error()
	if strings.Count(got, "gateway down") != 3 || !strings.Contains(got, "and 2 more") {
		t.Errorf("firstErrors: %q", got)
	}
	one := errors.New("one")
	if firstErrors(one, 3) != one {
		t.Error("a single error changed")
	}
}
