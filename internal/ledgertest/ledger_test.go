package ledgertest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shop is the shop side of the OrderChanged callback: its own order table,
// written in the ledger's transaction, counting the changes it was told.
type shop struct {
	table      string
	sqlDialect sqlledger.Dialect
	calls      sync.Map // order id → *int (calls, committed or not)
	mu         sync.Mutex
	mismatch   []string // changes whose Before was not the shop's state
	fail       func(orderID string, o pointcheckout.Outcome) error
}

func newShop(t testing.TB, d *db, h *sql.DB) *shop {
	t.Helper()
	s := &shop{table: d.prefix + "shop_orders", sqlDialect: d.dialect}
	_, err := h.Exec(`CREATE TABLE IF NOT EXISTS ` + s.table + ` (id TEXT PRIMARY KEY, state TEXT NOT NULL, changes INTEGER NOT NULL)`)
	require.NoError(t, err)
	return s
}

// q writes a statement in the dialect's parameters.
func (s *shop) q(query string) string {
	if s.sqlDialect != sqlledger.PostgreSQL {
		return query
	}
	for n := 1; strings.Contains(query, "?"); n++ {
		query = strings.Replace(query, "?", fmt.Sprintf("$%d", n), 1)
	}
	return query
}

// OrderChanged records the order's new state in the shop's table, checking
// that the change starts where the shop's row is.
func (s *shop) OrderChanged(ctx context.Context, tx *sql.Tx, orderID string, o pointcheckout.Outcome) error {
	n, _ := s.calls.LoadOrStore(orderID, new(int))
	s.mu.Lock()
	*n.(*int)++
	s.mu.Unlock()
	var cur string
	err := tx.QueryRowContext(ctx, s.q(`SELECT state FROM `+s.table+` WHERE id = ?`), orderID).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		cur = string(pointcheckout.PaymentNone)
	} else if err != nil {
		return err
	}
	if cur != string(o.Before) || o.Before == o.After {
		s.mu.Lock()
		s.mismatch = append(s.mismatch, fmt.Sprintf("%s: shop has %s, change %s → %s", orderID, cur, o.Before, o.After))
		s.mu.Unlock()
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO `+s.table+` (id, state, changes) VALUES (?, ?, 1)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, changes = `+s.table+`.changes + 1`), orderID, string(o.After))
	if err != nil {
		return err
	}
	if s.fail != nil {
		return s.fail(orderID, o)
	}
	return nil
}

// row returns the shop's record of an order: its state and how many
// changes were committed.
func (s *shop) row(t testing.TB, h *sql.DB, orderID string) (string, int) {
	t.Helper()
	var state string
	var changes int
	err := h.QueryRow(s.q(`SELECT state, changes FROM `+s.table+` WHERE id = ?`), orderID).Scan(&state, &changes)
	if errors.Is(err, sql.ErrNoRows) {
		return string(pointcheckout.PaymentNone), 0
	}
	require.NoError(t, err)
	return state, changes
}

func TestMigrate(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *db) {
		ctx := context.Background()
		// Several instances start at once, and again later.
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 4 {
			h := d.open(t)
			l, err := sqlledger.New(sqlledger.Config{DB: h, Dialect: d.dialect, Prefix: d.prefix, KeepOtherAttempts: true})
			require.NoError(t, err)
			wg.Go(func() { errs <- l.Migrate(ctx) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		l, h := d.ledger(t, sqlledger.Config{})
		require.NoError(t, l.Migrate(ctx))
		for _, table := range []string{"orders", "attempts", "updates", "schema"} {
			var n int
			require.NoError(t, h.QueryRow(`SELECT COUNT(*) FROM `+d.prefix+table).Scan(&n), table)
		}
		var version int
		require.NoError(t, h.QueryRow(`SELECT version FROM `+d.prefix+`schema`).Scan(&version))
		assert.Equal(t, 1, version)

		// A second ledger under another prefix keeps its own tables.
		other, err := sqlledger.New(sqlledger.Config{DB: h, Dialect: d.dialect, Prefix: d.prefix + "b_", KeepOtherAttempts: true})
		require.NoError(t, err)
		require.NoError(t, other.Migrate(ctx))
		ref := attemptRef("O-1", 1, money(t, 1000), time.Now())
		require.NoError(t, other.UpdateOrder(ctx, pay(ref)))
		_, err = l.FindRef(ctx, ref.CheckoutID)
		assert.ErrorIs(t, err, pointcheckout.ErrNotFound, "the first ledger has no such attempt")
		_, err = other.FindRef(ctx, ref.CheckoutID)
		assert.NoError(t, err)
	})
}

func TestUpdateOrderRecordsAttemptsAndHistory(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *db) {
		ctx := context.Background()
		clk := newClock()
		h := d.open(t)
		s := newShop(t, d, h)
		l, _ := d.ledger(t, sqlledger.Config{Now: clk.Now, OrderChanged: s.OrderChanged})

		amount := money(t, 14950)
		a := attemptRef("ORD-1", 1, amount, clk.Now())
		b := attemptRef("ORD-1", 2, amount, clk.Now().Add(time.Minute))
		steps := []struct {
			u       pointcheckout.Update
			outcome string
			state   pointcheckout.PaymentState
		}{
			{pay(a), sqlledger.Applied, pointcheckout.PaymentPending},
			{pay(a), sqlledger.Repeat, pointcheckout.PaymentPending},
			{update(a, pointcheckout.StatusFailed, pointcheckout.SourceReturn), sqlledger.Applied, pointcheckout.PaymentFailed},
			{update(a, pointcheckout.StatusFailed, pointcheckout.SourceNotify), sqlledger.Repeat, pointcheckout.PaymentFailed},
			{pay(b), sqlledger.Applied, pointcheckout.PaymentPending},
			{update(b, pointcheckout.StatusPaid, pointcheckout.SourceReturn), sqlledger.Applied, pointcheckout.PaymentPaid},
			{update(b, pointcheckout.StatusPending, pointcheckout.SourceReconcile), sqlledger.Ignored, pointcheckout.PaymentPaid},
			{update(a, pointcheckout.StatusPaid, pointcheckout.SourceNotify), sqlledger.Ignored, pointcheckout.PaymentPaid},
		}
		for i, st := range steps {
			clk.Add(time.Second)
			require.NoError(t, l.UpdateOrder(ctx, st.u), "step %d", i)
			state, err := l.State(ctx, "ORD-1")
			require.NoError(t, err)
			require.Equal(t, st.state, state, "step %d", i)
		}

		hist, err := l.History(ctx, "ORD-1")
		require.NoError(t, err)
		require.Len(t, hist, len(steps))
		for i, e := range hist {
			st := steps[i]
			assert.Equal(t, st.outcome, e.Outcome, "entry %d: %s", i, e.Detail)
			assert.Equal(t, st.u.Source, e.Source)
			assert.Equal(t, st.u.CheckoutID, e.CheckoutID)
			assert.Equal(t, st.u.RequestID, e.RequestID)
			assert.Equal(t, st.u.Status, e.Status)
			assert.Equal(t, amount, e.Amount)
			assert.Equal(t, st.state, e.After)
			assert.True(t, e.At.Equal(newClock().Now().Add(time.Duration(i+1)*time.Second)), "entry %d at %s", i, e.At)
			if i > 0 {
				assert.Greater(t, e.ID, hist[i-1].ID)
				assert.Equal(t, hist[i-1].After, e.Before)
			}
		}
		assert.Equal(t, "PENDING → PAID", hist[5].Detail)

		attempts, err := l.Attempts(ctx, "ORD-1")
		require.NoError(t, err)
		require.Equal(t, []pointcheckout.Attempt{{Ref: a, Status: pointcheckout.StatusFailed}, {Ref: b, Status: pointcheckout.StatusPaid}}, attempts)
		for _, ref := range []pointcheckout.Ref{a, b} {
			got, err := l.FindRef(ctx, ref.CheckoutID)
			require.NoError(t, err)
			assert.Equal(t, ref, got, "the whole Ref reads back")
			got, err = l.FindRefByRequestID(ctx, ref.RequestID)
			require.NoError(t, err)
			assert.Equal(t, ref, got)
		}
		_, err = l.FindRef(ctx, "nope")
		assert.ErrorIs(t, err, pointcheckout.ErrNotFound)
		_, err = l.FindRefByRequestID(ctx, "")
		assert.ErrorIs(t, err, pointcheckout.ErrNotFound)

		// pending, failed, pending, paid: four changes, each told once.
		state, changes := s.row(t, h, "ORD-1")
		assert.Equal(t, string(pointcheckout.PaymentPaid), state)
		assert.Equal(t, 4, changes)
		assert.Empty(t, s.mismatch)

		state2, err := l.State(ctx, "never-seen")
		require.NoError(t, err)
		assert.Equal(t, pointcheckout.PaymentNone, state2)
	})
}

// logBuffer collects log records for assertions.
type logBuffer struct {
	mu      sync.Mutex
	records []string
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slogHandler{b})
}

// errors returns the messages logged at Error.
func (b *logBuffer) errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, r := range b.records {
		if strings.HasPrefix(r, "ERROR ") {
			out = append(out, r)
		}
	}
	return out
}

type slogHandler struct{ b *logBuffer }

func (h slogHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h slogHandler) Handle(_ context.Context, r slog.Record) error {
	var sb strings.Builder
	sb.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		sb.WriteString(" " + a.String())
		return true
	})
	h.b.mu.Lock()
	h.b.records = append(h.b.records, sb.String())
	h.b.mu.Unlock()
	return nil
}
func (h slogHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h slogHandler) WithGroup(string) slog.Handler      { return h }

func TestUpdateOrderRefusals(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *db) {
		ctx := context.Background()
		logs := &logBuffer{}
		h := d.open(t)
		s := newShop(t, d, h)
		l, _ := d.ledger(t, sqlledger.Config{OrderChanged: s.OrderChanged, Logger: logs.logger()})
		amount := money(t, 5000)
		a := attemptRef("O-1", 1, amount, time.Now())
		b := attemptRef("O-1", 2, amount, time.Now())

		// An update before its /pay is not recorded anywhere.
		err := l.UpdateOrder(ctx, update(a, pointcheckout.StatusPaid, pointcheckout.SourceReturn))
		require.ErrorIs(t, err, pointcheckout.ErrUnknownAttempt)
		require.NoError(t, l.UpdateOrder(ctx, pay(a)))

		// The recorded request with another checkout: a security event.
		forged := update(a, pointcheckout.StatusPaid, pointcheckout.SourceReturn)
		forged.CheckoutID = "co-forged"
		err = l.UpdateOrder(ctx, forged)
		require.ErrorIs(t, err, pointcheckout.ErrVerification)
		require.Len(t, logs.errors(), 1)
		assert.Contains(t, logs.errors()[0], "security")

		// Another order's ids at /pay.
		other := a
		other.OrderID = "O-2"
		err = l.UpdateOrder(ctx, pay(other))
		require.ErrorIs(t, err, pointcheckout.ErrVerification)
		attempts, err := l.Attempts(ctx, "O-2")
		require.NoError(t, err)
		assert.Empty(t, attempts)

		// Paid: no new attempt, before or at /pay.
		require.NoError(t, l.UpdateOrder(ctx, update(a, pointcheckout.StatusPaid, pointcheckout.SourceReturn)))
		err = l.CanStartAttempt(ctx, "O-1")
		require.ErrorIs(t, err, pointcheckout.ErrAttemptRefused)
		require.ErrorIs(t, err, pointcheckout.ErrInvalidRequest)
		require.ErrorIs(t, l.UpdateOrder(ctx, pay(b)), pointcheckout.ErrAttemptRefused)

		hist, err := l.History(ctx, "O-1")
		require.NoError(t, err)
		var outcomes []string
		for _, e := range hist {
			outcomes = append(outcomes, e.Outcome)
		}
		assert.Equal(t, []string{sqlledger.Refused, sqlledger.Applied, sqlledger.Refused, sqlledger.Applied, sqlledger.Refused}, outcomes)
		assert.Contains(t, hist[0].Detail, "not recorded")
		state, changes := s.row(t, h, "O-1")
		assert.Equal(t, "paid", state)
		assert.Equal(t, 2, changes, "pending, then paid; refusals change nothing")
		assert.Empty(t, s.mismatch)
	})
}

func TestNewAttemptPolicies(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *db) {
		ctx := context.Background()
		clk := newClock()
		amount := money(t, 5000)
		ref := func(order string, n int) pointcheckout.Ref { return attemptRef(order, n, amount, clk.Now()) }
		refused := func(t *testing.T, l *sqlledger.Ledger, order string, n int) {
			t.Helper()
			assert.ErrorIs(t, l.CanStartAttempt(ctx, order), pointcheckout.ErrAttemptRefused)
			assert.ErrorIs(t, l.UpdateOrder(ctx, pay(ref(order, n))), pointcheckout.ErrAttemptRefused)
		}
		allowed := func(t *testing.T, l *sqlledger.Ledger, order string, n int) {
			t.Helper()
			assert.NoError(t, l.CanStartAttempt(ctx, order))
			assert.NoError(t, l.UpdateOrder(ctx, pay(ref(order, n))))
		}

		t.Run("awaiting confirmation", func(t *testing.T) {
			l, _ := d.ledger(t, sqlledger.Config{Now: clk.Now})
			allowed(t, l, "C-1", 1)
			require.NoError(t, l.UpdateOrder(ctx, update(ref("C-1", 1), pointcheckout.StatusPendingConfirmation, pointcheckout.SourceReturn)))
			refused(t, l, "C-1", 2)
			require.NoError(t, l.UpdateOrder(ctx, update(ref("C-1", 1), pointcheckout.StatusFailed, pointcheckout.SourceNotify)))
			allowed(t, l, "C-1", 3)

			lenient, _ := d.ledger(t, sqlledger.Config{Now: clk.Now, AllowAttemptWhileConfirming: true})
			allowed(t, lenient, "C-2", 1)
			require.NoError(t, lenient.UpdateOrder(ctx, update(ref("C-2", 1), pointcheckout.StatusPendingConfirmation, pointcheckout.SourceReturn)))
			allowed(t, lenient, "C-2", 2)
		})
		t.Run("open attempts cap", func(t *testing.T) {
			l, _ := d.ledger(t, sqlledger.Config{Now: clk.Now, MaxOpenAttempts: 2})
			allowed(t, l, "M-1", 1)
			allowed(t, l, "M-1", 2)
			refused(t, l, "M-1", 3)
			require.NoError(t, l.UpdateOrder(ctx, update(ref("M-1", 1), pointcheckout.StatusCancelled, pointcheckout.SourceReturn)))
			allowed(t, l, "M-1", 4)
			refused(t, l, "M-1", 5)
			// Attempts past the checkout lifetime no longer count.
			clk.Add(sqlledger.DefaultCheckoutLifetime + time.Minute)
			allowed(t, l, "M-1", 6)
			attempts, err := l.Attempts(ctx, "M-1")
			require.NoError(t, err)
			assert.Len(t, attempts, 4, "refused attempts are not recorded")

			uncapped, _ := d.ledger(t, sqlledger.Config{Now: clk.Now, MaxOpenAttempts: -1})
			for n := range 8 {
				allowed(t, uncapped, "M-2", n)
			}
		})
		t.Run("unknown order", func(t *testing.T) {
			l, _ := d.ledger(t, sqlledger.Config{Now: clk.Now})
			assert.NoError(t, l.CanStartAttempt(ctx, "never-seen"))
		})
	})
}

func TestFailingCallbackRollsBack(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *db) {
		ctx := context.Background()
		h := d.open(t)
		s := newShop(t, d, h)
		l, _ := d.ledger(t, sqlledger.Config{OrderChanged: s.OrderChanged})
		boom := errors.New("shop database down")
		a := attemptRef("O-1", 1, money(t, 700), time.Now())

		for _, u := range []pointcheckout.Update{pay(a), update(a, pointcheckout.StatusPaid, pointcheckout.SourceReturn)} {
			before, err := l.History(ctx, "O-1")
			require.NoError(t, err)
			wantState, _ := s.row(t, h, "O-1")
			beforeAttempts, err := l.Attempts(ctx, "O-1")
			require.NoError(t, err)

			s.fail = func(string, pointcheckout.Outcome) error { return boom }
			err = l.UpdateOrder(ctx, u)
			require.ErrorIs(t, err, boom)
			// Nothing of the update stays: not the attempt, not the
			// history, not the order's state, not the shop's write.
			after, err := l.History(ctx, "O-1")
			require.NoError(t, err)
			assert.Equal(t, before, after)
			attempts, err := l.Attempts(ctx, "O-1")
			require.NoError(t, err)
			assert.Equal(t, beforeAttempts, attempts)
			state, err := l.State(ctx, "O-1")
			require.NoError(t, err)
			assert.Equal(t, wantState, string(state))
			shopState, _ := s.row(t, h, "O-1")
			assert.Equal(t, wantState, shopState)

			// The next delivery applies it.
			s.fail = nil
			require.NoError(t, l.UpdateOrder(ctx, u))
		}
		state, changes := s.row(t, h, "O-1")
		assert.Equal(t, "paid", state)
		assert.Equal(t, 2, changes, "each change committed once")
		n, _ := s.calls.Load("O-1")
		assert.Equal(t, 4, *n.(*int), "two calls rolled back, two committed")
		hist, err := l.History(ctx, "O-1")
		require.NoError(t, err)
		assert.Len(t, hist, 2)
		assert.Empty(t, s.mismatch)
	})
}

// TestCancelledMidway cancels an update's context at each of its
// statements in turn, and once more after the last (in the callback, before
// the commit): every time, nothing of the update stays, and the next
// delivery applies it once. It also counts what one update costs.
func TestCancelledMidway(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *db) {
		ctx := context.Background()
		h := d.open(t)
		s := newShop(t, d, h)
		l, _ := d.ledger(t, sqlledger.Config{OrderChanged: s.OrderChanged})
		amount := money(t, 4200)

		// What one update costs: a paid update with a change to tell.
		probe := attemptRef("probe", 1, amount, time.Now())
		require.NoError(t, l.UpdateOrder(ctx, pay(probe)))
		b0, c0, s0 := d.counts.begins.Load(), d.counts.commits.Load(), d.counts.statements.Load()
		require.NoError(t, l.UpdateOrder(ctx, update(probe, pointcheckout.StatusPaid, pointcheckout.SourceReturn)))
		begins, commits, statements := d.counts.begins.Load()-b0, d.counts.commits.Load()-c0, int(d.counts.statements.Load()-s0)
		assert.Equal(t, int64(1), begins, "one transaction per update")
		assert.Equal(t, int64(1), commits)
		b0, s0 = d.counts.begins.Load(), d.counts.statements.Load()
		require.NoError(t, l.UpdateOrder(ctx, update(probe, pointcheckout.StatusPaid, pointcheckout.SourceNotify)))
		t.Logf("%s: an update that changes the order: %d transaction, %d statements (2 of them the shop's callback); a repeat: %d transaction, %d statements",
			d.name, begins, statements, d.counts.begins.Load()-b0, d.counts.statements.Load()-s0)

		for k := 1; k <= statements+1; k++ {
			order := fmt.Sprintf("O-%d", k)
			a := attemptRef(order, 1, amount, time.Now())
			require.NoError(t, l.UpdateOrder(ctx, pay(a)))
			cctx, cancel := context.WithCancel(ctx)
			if k <= statements {
				n := 0
				hook := func(string) {
					if n++; n == k {
						cancel()
					}
				}
				d.counts.hook.Store(&hook)
			} else {
				s.fail = func(string, pointcheckout.Outcome) error { cancel(); return nil }
			}
			err := l.UpdateOrder(cctx, update(a, pointcheckout.StatusPaid, pointcheckout.SourceReturn))
			d.counts.hook.Store(nil)
			s.fail = nil
			cancel()
			require.ErrorIs(t, err, context.Canceled, "cancelled at statement %d", k)

			attempts, err := l.Attempts(ctx, order)
			require.NoError(t, err)
			require.Equal(t, []pointcheckout.Attempt{{Ref: a, Status: pointcheckout.StatusPending}}, attempts, "cancelled at statement %d", k)
			hist, err := l.History(ctx, order)
			require.NoError(t, err)
			require.Len(t, hist, 1, "cancelled at statement %d", k)
			state, changes := s.row(t, h, order)
			require.Equal(t, "pending", state, "cancelled at statement %d", k)
			require.Equal(t, 1, changes)

			require.NoError(t, l.UpdateOrder(ctx, update(a, pointcheckout.StatusPaid, pointcheckout.SourceReturn)))
			state, changes = s.row(t, h, order)
			require.Equal(t, "paid", state)
			require.Equal(t, 2, changes)
		}
		assert.Empty(t, s.mismatch)
	})
}
