package ledgertest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
