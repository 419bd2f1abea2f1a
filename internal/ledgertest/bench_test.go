package ledgertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/sqlledger"
)

// BenchmarkUpdateOrder measures one update on each database: half of them
// a new attempt (/pay), half its payment, each with a change to tell the
// shop. It reports the transactions and statements per update.
func BenchmarkUpdateOrder(b *testing.B) {
	for _, name := range []string{"SQLite", "PostgreSQL"} {
		b.Run(name, func(b *testing.B) {
			d := newDB(b, name)
			h := d.open(b)
			s := newShop(b, d, h)
			l, _ := d.ledger(b, sqlledger.Config{OrderChanged: s.OrderChanged})
			ctx := context.Background()
			amount := money(b, 14950)
			now := time.Now()
			b0, s0 := d.counts.begins.Load(), d.counts.statements.Load()
			n := 0
			for b.Loop() {
				ref := attemptRef(fmt.Sprintf("B-%d", n/2), 0, amount, now)
				u := pay(ref)
				if n%2 == 1 {
					u = update(ref, pointcheckout.StatusPaid, pointcheckout.SourceReturn)
				}
				if err := l.UpdateOrder(ctx, u); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(d.counts.begins.Load()-b0)/float64(n), "tx/update")
			b.ReportMetric(float64(d.counts.statements.Load()-s0)/float64(n), "stmts/update")
		})
	}
}
