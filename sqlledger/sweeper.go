package sqlledger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// Defaults of SweeperConfig.
const (
	// DefaultSweepInterval is SweeperConfig.Interval when it is zero.
	DefaultSweepInterval = time.Minute
	// DefaultSweepMinAge is SweeperConfig.MinAge when it is zero.
	DefaultSweepMinAge = time.Minute
	// DefaultSweepBatch is SweeperConfig.Batch when it is zero.
	DefaultSweepBatch = 100
)

// SweeperConfig tunes a Sweeper. The zero value is the default.
type SweeperConfig struct {
	// Interval is the time between rounds, and between two checks of one
	// attempt by all instances together; default DefaultSweepInterval.
	// Every instance must use the same.
	Interval time.Duration
	// MinAge leaves attempts younger than this to their shopper; default
	// DefaultSweepMinAge.
	MinAge time.Duration
	// Batch is how many attempts one claim takes (and one Reconcile
	// call resolves); default DefaultSweepBatch.
	Batch int
	// OnClaim, if set, is called with each batch this instance claimed
	// and the round's time it was stamped with, before the batch is
	// resolved: for logs and metrics of who checked what. Two claims of
	// one attempt are at least an Interval apart in round time.
	OnClaim func(ctx context.Context, round time.Time, claimed []pointcheckout.Attempt)
}

// Sweeper resolves the open attempts of a Ledger through a Handler's
// Reconcile, round after round: the way a payment whose shopper never came
// back, and no notification reported, still reaches the order.
//
// Instances share the work. Each round claims attempts in batches: an
// attempt is claimable when no instance has checked it for an Interval, and
// a claim stamps it with the round's time in the same statement (PostgreSQL
// skips the rows another instance is claiming, FOR UPDATE SKIP LOCKED;
// SQLite has one writer), so each open attempt is checked by exactly one
// instance per Interval, least recently checked first.
//
// Before asking the gateway, a round cancels the claimed PENDING attempts
// of orders that took money (unless Config.KeepOtherAttempts): cancels that
// failed after the update are tried again.
type Sweeper struct {
	ledger  *Ledger
	handler *pointcheckout.Handler
	cfg     SweeperConfig

	mu    sync.Mutex
	stats Stats
}

// SweepReport counts what one round did.
type SweepReport struct {
	// Claimed is how many attempts this instance claimed and checked.
	Claimed int
	// Cancelled is how many of them it cancelled first, their order having
	// taken money.
	Cancelled int
	// ReconcileReport adds up the Reconcile calls of the round.
	pointcheckout.ReconcileReport
}

// Stats counts what a Sweeper did since it was made.
type Stats struct {
	// Rounds is how many rounds ran.
	Rounds int
	// SweepReport adds up the rounds.
	SweepReport
}

// NewSweeper returns a Sweeper of l's open attempts through h, which must
// use l as its Updater.
func (l *Ledger) NewSweeper(h *pointcheckout.Handler, cfg SweeperConfig) *Sweeper {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultSweepInterval
	}
	if cfg.MinAge <= 0 {
		cfg.MinAge = DefaultSweepMinAge
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultSweepBatch
	}
	return &Sweeper{ledger: l, handler: h, cfg: cfg}
}

// Run sweeps at once and then every Interval until ctx ends; each round
// gets at most an Interval. Errors are logged through the ledger's Logger.
func (s *Sweeper) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, s.cfg.Interval)
		rep, err := s.Sweep(rctx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			s.ledger.log.ErrorContext(ctx, "sqlledger: sweep", "err", err, "claimed", rep.Claimed, "errors", rep.Errors)
		case rep.Claimed > 0:
			s.ledger.log.InfoContext(ctx, "sqlledger: sweep", "claimed", rep.Claimed, "cancelled", rep.Cancelled,
				"final", rep.Final, "pending", rep.Pending, "errors", rep.Errors)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep runs one round: it claims the open attempts no instance checked
// within the last Interval, a batch at a time, and resolves them, until
// none is left or ctx ends. The error joins what went wrong (at most a few
// errors per batch); attempts that failed are retried next round.
func (s *Sweeper) Sweep(ctx context.Context) (SweepReport, error) {
	var (
		rep   SweepReport
		errs  []error
		round = s.ledger.now()
	)
	for ctx.Err() == nil {
		claimed, err := s.ledger.claim(ctx, round, s.cfg)
		if err != nil {
			errs = append(errs, err)
			break
		}
		if len(claimed) == 0 {
			break
		}
		rep.Claimed += len(claimed)
		if s.cfg.OnClaim != nil {
			s.cfg.OnClaim(ctx, round, claimed)
		}
		if !s.ledger.keepOthers {
			n, err := s.cancelPaidOrders(ctx, claimed)
			rep.Cancelled += n
			if err != nil {
				errs = append(errs, err)
			}
		}
		refs := make([]pointcheckout.Ref, len(claimed))
		for i, a := range claimed {
			refs[i] = a.Ref
		}
		r, err := s.handler.Reconcile(ctx, refs)
		rep.Checked += r.Checked
		rep.Final += r.Final
		rep.Pending += r.Pending
		rep.Errors += r.Errors
		if err != nil {
			errs = append(errs, firstErrors(err, 3))
		}
	}
	s.mu.Lock()
	s.stats.Rounds++
	s.stats.Claimed += rep.Claimed
	s.stats.Cancelled += rep.Cancelled
	s.stats.Checked += rep.Checked
	s.stats.Final += rep.Final
	s.stats.Pending += rep.Pending
	s.stats.Errors += rep.Errors
	s.mu.Unlock()
	return rep, errors.Join(errs...)
}

// Stats returns what the Sweeper did since it was made.
func (s *Sweeper) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// cancelPaidOrders cancels the claimed PENDING attempts whose order took
// money.
func (s *Sweeper) cancelPaidOrders(ctx context.Context, claimed []pointcheckout.Attempt) (int, error) {
	var refs []pointcheckout.Ref
	paid := map[string]bool{}
	for _, a := range claimed {
		if a.Status != pointcheckout.StatusPending {
			continue
		}
		took, seen := paid[a.Ref.OrderID]
		if !seen {
			state, err := s.ledger.State(ctx, a.Ref.OrderID)
			if err != nil {
				return 0, err
			}
			took = state.TookMoney()
			paid[a.Ref.OrderID] = took
		}
		if took {
			refs = append(refs, a.Ref)
		}
	}
	if len(refs) == 0 {
		return 0, nil
	}
	return s.ledger.cancelAttempts(ctx, refs), nil
}

// claim takes up to cfg.Batch open attempts for this round: created
// between the checkout lifetime and MinAge ago, not checked since an
// Interval before round, least recently checked first, and stamps them
// with round in the same statement.
func (l *Ledger) claim(ctx context.Context, round time.Time, cfg SweeperConfig) ([]pointcheckout.Attempt, error) {
	rows, err := l.db.QueryContext(ctx, l.q.claim, round.UnixNano(), round.Add(-cfg.Interval).UnixNano(),
		round.Add(-cfg.MinAge).UnixNano(), round.Add(-l.lifetime).UnixNano(), cfg.Batch)
	if err != nil {
		return nil, fmt.Errorf("sqlledger: claim open attempts: %w", err)
	}
	attempts, err := scanAttempts(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlledger: claim open attempts: %w", err)
	}
	return attempts, nil
}

// firstErrors keeps the first n errors of a joined error, so one round
// against a gateway that is down does not make an error of every attempt.
func firstErrors(err error, n int) error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok || len(j.Unwrap()) <= n {
		return err
	}
	all := j.Unwrap()
	return errors.Join(append(all[:n:n], fmt.Errorf("and %d more", len(all)-n))...)
}
