package pointcheckout

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// ledgerStatuses are the known statuses, in the order of the tables below.
var ledgerStatuses = []Status{
	StatusPending, StatusPendingConfirmation, StatusAuthorized, StatusPaid, StatusPartiallyRefunded,
	StatusRefunded, StatusChargeback, StatusFailed, StatusCancelled, StatusExpired,
}

// ledgerAttempt builds attempt n of order "O-1" (100.00 AED).
func ledgerAttempt(n int) Ref {
	return Ref{
		CheckoutID: fmt.Sprintf("co-%d", n),
		OrderID:    "O-1",
		RequestID:  fmt.Sprintf("req-%d", n),
		Amount:     ledgerMoney(10000, "AED"),
		CreatedAt:  time.Date(2026, 1, 2, 3, 4, n, 0, time.UTC),
	}
}

func ledgerMoney(minor int64, currency string) Money {
	m, err := NewMoney(minor, currency)
	if err != nil {
		panic(err)
	}
	return m
}

// payUpdate is the SourcePay update /pay sends for ref.
func ledgerPay(ref Ref) Update {
	return Update{OrderID: ref.OrderID, CheckoutID: ref.CheckoutID, RequestID: ref.RequestID, Status: StatusPending, Amount: ref.Amount, Ref: ref, Source: SourcePay}
}

// statusUpdate is a verified update of ref's checkout to st.
func ledgerStatus(ref Ref, st Status, src Source) Update {
	return Update{OrderID: ref.OrderID, CheckoutID: ref.CheckoutID, RequestID: ref.RequestID, Status: st, Amount: ref.Amount, Ref: ref, Source: src}
}

// applyAll applies us in turn, failing t on any refusal.
func ledgerApplyAll(t *testing.T, attempts []Attempt, us ...Update) []Attempt {
	t.Helper()
	for _, u := range us {
		o := ApplyUpdate(attempts, u)
		if o.Err != nil {
			t.Fatalf("%s %s of %s: %v", u.Source, u.Status, u.CheckoutID, o.Err)
		}
		attempts = o.Attempts
	}
	return attempts
}

// TestPaymentStateOfTwoAttempts checks the order's state for every pair of
// statuses of an older attempt (rows) and a newer one (columns), reached by
// updating either attempt last.
func TestPaymentStateOfTwoAttempts(t *testing.T) {
	// pen conf auth paid part ref chb fail canc exp; "two" is PaidTwice.
	table := []string{
		//         PEN   CONF  AUTH  PAID  PART  REF   CHB   FAIL  CANC  EXP
		/* PEN  */ "pen  conf auth paid part ref  chb  fail canc exp",
		/* CONF */ "conf conf auth paid part ref  chb  conf conf conf",
		/* AUTH */ "auth auth two  two  two  auth auth auth auth auth",
		/* PAID */ "paid paid two  two  two  paid paid paid paid paid",
		/* PART */ "part part two  two  two  part part part part part",
		/* REF  */ "ref  ref  auth paid part ref  chb  ref  ref  ref",
		/* CHB  */ "chb  chb  auth paid part chb  chb  chb  chb  chb",
		/* FAIL */ "pen  conf auth paid part ref  chb  fail canc exp",
		/* CANC */ "pen  conf auth paid part ref  chb  fail canc exp",
		/* EXP  */ "pen  conf auth paid part ref  chb  fail canc exp",
	}
	names := map[string]PaymentState{
		"pen": PaymentPending, "conf": PaymentConfirming, "auth": PaymentAuthorized, "paid": PaymentPaid,
		"part": PaymentPartiallyRefunded, "ref": PaymentRefunded, "chb": PaymentChargeback, "two": PaymentPaidTwice,
		"fail": PaymentFailed, "canc": PaymentCancelled, "exp": PaymentExpired,
	}
	older, newer := ledgerAttempt(1), ledgerAttempt(2)
	for i, so := range ledgerStatuses {
		row := strings.Fields(table[i])
		for j, sn := range ledgerStatuses {
			want, ok := names[row[j]]
			if !ok {
				t.Fatalf("table[%d][%d] = %q", i, j, row[j])
			}
			for _, newerLast := range []bool{false, true} {
				name := fmt.Sprintf("older %s, newer %s, newer updated last %v", so, sn, newerLast)
				attempts := ledgerApplyAll(t, nil, ledgerPay(older), ledgerPay(newer))
				steps := []Update{ledgerStatus(older, so, SourceReturn), ledgerStatus(newer, sn, SourceNotify)}
				if !newerLast {
					steps[0], steps[1] = steps[1], steps[0]
				}
				for _, u := range steps {
					if u.Status == StatusPending {
						continue // already PENDING from /pay
					}
					before := ApplyUpdate(attempts, Update{}).After
					o := ApplyUpdate(attempts, u)
					if o.Err != nil || !o.AttemptChanged || o.Attempt.Status != u.Status {
						t.Fatalf("%s: %s of %s: %+v", name, u.Status, u.CheckoutID, o)
					}
					if o.Before != before || o.OrderChanged != (o.Before != o.After) {
						t.Errorf("%s: Before %s (want %s), After %s, OrderChanged %v", name, o.Before, before, o.After, o.OrderChanged)
					}
					attempts = o.Attempts
				}
				got := ApplyUpdate(attempts, ledgerStatus(older, so, SourceReconcile))
				if got.After != want {
					t.Errorf("%s: state %s, want %s", name, got.After, want)
				}
				if got.AttemptChanged || got.OrderChanged {
					t.Errorf("%s: a repeat changed something: %+v", name, got)
				}
				// Cancel: the PENDING attempts, once the order took money.
				// Refund: the newer attempt when both hold money.
				var wantCancel, wantRefund []Ref
				if want.TookMoney() {
					for _, a := range []struct {
						ref Ref
						st  Status
					}{{older, so}, {newer, sn}} {
						if a.st == StatusPending {
							wantCancel = append(wantCancel, a.ref)
						}
					}
				}
				if want == PaymentPaidTwice {
					wantRefund = []Ref{newer}
				}
				if !slices.Equal(got.Cancel, wantCancel) || !slices.Equal(got.Refund, wantRefund) {
					t.Errorf("%s: Cancel %v Refund %v, want %v and %v", name, ledgerIDs(got.Cancel), ledgerIDs(got.Refund), ledgerIDs(wantCancel), ledgerIDs(wantRefund))
				}
			}
		}
	}
}

func ledgerIDs(refs []Ref) []string {
	var s []string
	for _, r := range refs {
		s = append(s, r.CheckoutID)
	}
	return s
}

// TestApplyUpdateFollowsCanBecome checks every move of one attempt, from
// each status to each status (and to UNKNOWN): applied exactly when
// Status.CanBecome allows it, never an error.
func TestApplyUpdateFollowsCanBecome(t *testing.T) {
	ref := ledgerAttempt(1)
	targets := append(slices.Clone(ledgerStatuses), StatusUnknown)
	for _, cur := range ledgerStatuses {
		for _, next := range targets {
			attempts := ledgerApplyAll(t, nil, ledgerPay(ref))
			if cur != StatusPending {
				attempts = ledgerApplyAll(t, attempts, ledgerStatus(ref, cur, SourceReturn))
			}
			o := ApplyUpdate(attempts, ledgerStatus(ref, next, SourceNotify))
			want := cur
			if cur.CanBecome(next) {
				want = next
			}
			if o.Err != nil || o.Attempt.Status != want || o.AttemptChanged != (want != cur) || len(o.Attempts) != 1 {
				t.Errorf("%s → %s: status %s changed %v err %v, want %s", cur, next, o.Attempt.Status, o.AttemptChanged, o.Err, want)
			}
		}
	}
}

func TestApplyUpdateRefuses(t *testing.T) {
	a, b := ledgerAttempt(1), ledgerAttempt(2)
	other := a
	other.OrderID = "O-2"
	aed5 := ledgerMoney(500, "AED")
	sar := ledgerMoney(10000, "SAR")
	paid := []Update{ledgerPay(a), ledgerStatus(a, StatusPaid, SourceReturn)}
	with := func(u Update, f func(*Update)) Update { f(&u); return u }
	for _, tc := range []struct {
		name   string
		before []Update
		u      Update
		want   error
		fields string // the VerificationError's fields
	}{
		{"unknown checkout", []Update{ledgerPay(a)}, ledgerStatus(b, StatusPaid, SourceNotify), ErrUnknownAttempt, ""},
		{"nothing recorded", nil, ledgerStatus(a, StatusPaid, SourceReturn), ErrUnknownAttempt, ""},
		{"recorded request, other checkout", []Update{ledgerPay(a)},
			with(ledgerStatus(a, StatusPaid, SourceReturn), func(u *Update) { u.CheckoutID = "co-forged" }), ErrVerification, "id"},
		{"recorded checkout, other request", []Update{ledgerPay(a)},
			with(ledgerStatus(a, StatusPaid, SourceReturn), func(u *Update) { u.RequestID = "req-forged" }), ErrVerification, "requestId"},
		{"checkout of one attempt, request of another", []Update{ledgerPay(a), ledgerPay(b)},
			with(ledgerStatus(a, StatusPaid, SourceReturn), func(u *Update) { u.RequestID = b.RequestID }), ErrVerification, "requestId"},
		{"another amount", []Update{ledgerPay(a)},
			with(ledgerStatus(a, StatusPaid, SourceReturn), func(u *Update) { u.Amount = aed5 }), ErrVerification, "amount"},
		{"another currency", []Update{ledgerPay(a)},
			with(ledgerStatus(a, StatusPaid, SourceReturn), func(u *Update) { u.Amount = sar }), ErrVerification, "currency"},
		{"no amount", []Update{ledgerPay(a)},
			with(ledgerStatus(a, StatusPaid, SourceReturn), func(u *Update) { u.Amount = Money{} }), ErrVerification, "currency"},
		{"another order", []Update{ledgerPay(a)}, ledgerStatus(other, StatusPaid, SourceReturn), ErrVerification, "orderId"},
		{"pay with a recorded request id", []Update{ledgerPay(a)},
			with(ledgerPay(b), func(u *Update) { u.RequestID, u.Ref.RequestID = a.RequestID, a.RequestID }), ErrVerification, "id"},
		{"new attempt on a paid order", paid, ledgerPay(b), ErrAttemptRefused, ""},
		{"new attempt on a refunded order", append(paid, ledgerStatus(a, StatusRefunded, SourceReconcile)), ledgerPay(b), ErrAttemptRefused, ""},
		{"new attempt on an authorized order", []Update{ledgerPay(a), ledgerStatus(a, StatusAuthorized, SourceReturn)}, ledgerPay(b), ErrAttemptRefused, ""},
		{"pay whose Ref names another checkout", nil, with(ledgerPay(a), func(u *Update) { u.Ref.CheckoutID = "co-9" }), ErrInvalidRef, ""},
		{"pay whose Ref names another order", nil, with(ledgerPay(a), func(u *Update) { u.Ref.OrderID = "O-9" }), ErrInvalidRef, ""},
		{"pay whose Ref has another amount", nil, with(ledgerPay(a), func(u *Update) { u.Amount = aed5 }), ErrVerification, "amount"},
		{"pay with an incomplete Ref", nil, with(ledgerPay(a), func(u *Update) { u.Ref.CreatedAt = time.Time{} }), ErrInvalidRef, ""},
		{"pay with an unknown status", nil, with(ledgerPay(a), func(u *Update) { u.Status = StatusUnknown }), ErrInvalidRef, ""},
		{"no checkout id", nil, with(ledgerPay(a), func(u *Update) { u.CheckoutID = "" }), ErrInvalidRef, ""},
		{"no request id", []Update{ledgerPay(a)}, with(ledgerStatus(a, StatusPaid, SourceReturn), func(u *Update) { u.RequestID = "" }), ErrInvalidRef, ""},
		{"no order id", []Update{ledgerPay(a)}, with(ledgerStatus(a, StatusPaid, SourceReturn), func(u *Update) { u.OrderID = "" }), ErrInvalidRef, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attempts := ledgerApplyAll(t, nil, tc.before...)
			kept := slices.Clone(attempts)
			o := ApplyUpdate(attempts, tc.u)
			if !errors.Is(o.Err, tc.want) {
				t.Fatalf("err %v, want %v", o.Err, tc.want)
			}
			var ve *VerificationError
			if errors.As(o.Err, &ve) != (tc.fields != "") || (ve != nil && strings.Join(ve.Fields, ",") != tc.fields) {
				t.Errorf("err %#v, want a VerificationError on %q", o.Err, tc.fields)
			}
			if o.AttemptChanged || o.OrderChanged || o.Before != o.After || !slices.Equal(o.Attempts, kept) || !slices.Equal(attempts, kept) {
				t.Errorf("a refused update changed something: %+v", o)
			}
			if errors.Is(tc.want, ErrAttemptRefused) && !errors.Is(o.Err, ErrInvalidRequest) {
				t.Errorf("ErrAttemptRefused does not match ErrInvalidRequest: %v", o.Err)
			}
		})
	}
}

// TestApplyUpdateOrderStory walks the cases the README names.
func TestApplyUpdateOrderStory(t *testing.T) {
	a, b, c := ledgerAttempt(1), ledgerAttempt(2), ledgerAttempt(3)
	steps := []struct {
		u            Update
		state        PaymentState
		orderChanged bool
		cancel       []Ref
		refund       []Ref
	}{
		{ledgerPay(a), PaymentPending, true, nil, nil},
		{ledgerPay(a), PaymentPending, false, nil, nil},                              // a repeat
		{ledgerStatus(a, StatusFailed, SourceReturn), PaymentFailed, true, nil, nil}, // declined
		{ledgerPay(b), PaymentPending, true, nil, nil},                               // a retry replaces it
		{ledgerStatus(a, StatusPending, SourceNotify), PaymentPending, false, nil, nil},
		{ledgerPay(c), PaymentPending, false, nil, nil}, // a third tab
		{ledgerStatus(c, StatusFailed, SourceReturn), PaymentFailed, true, nil, nil},
		{ledgerStatus(b, StatusPaid, SourceReconcile), PaymentPaid, true, nil, nil}, // the older tab paid: it wins
		{ledgerStatus(c, StatusFailed, SourceNotify), PaymentPaid, false, nil, nil},
		{ledgerStatus(b, StatusPending, SourceReturn), PaymentPaid, false, nil, nil}, // never back
		{ledgerStatus(b, StatusRefunded, SourceNotify), PaymentRefunded, true, nil, nil},
		{ledgerStatus(b, StatusPaid, SourceReturn), PaymentRefunded, false, nil, nil},
	}
	var attempts []Attempt
	for i, s := range steps {
		o := ApplyUpdate(attempts, s.u)
		if o.Err != nil || o.After != s.state || o.OrderChanged != s.orderChanged ||
			!slices.Equal(o.Cancel, s.cancel) || !slices.Equal(o.Refund, s.refund) {
			t.Fatalf("step %d (%s %s of %s): %+v, want state %s changed %v", i, s.u.Source, s.u.Status, s.u.CheckoutID, o, s.state, s.orderChanged)
		}
		attempts = o.Attempts
	}

	// Paid twice: two open attempts both paid; the newer one is flagged.
	attempts = ledgerApplyAll(t, nil, ledgerPay(a), ledgerPay(b), ledgerPay(c))
	o := ApplyUpdate(attempts, ledgerStatus(b, StatusPaid, SourceReturn))
	if o.After != PaymentPaid || !slices.Equal(o.Cancel, []Ref{a, c}) || o.Refund != nil {
		t.Fatalf("first payment: %+v", o)
	}
	o = ApplyUpdate(o.Attempts, ledgerStatus(a, StatusPaid, SourceReconcile))
	if o.After != PaymentPaidTwice || !o.OrderChanged || !slices.Equal(o.Cancel, []Ref{c}) || !slices.Equal(o.Refund, []Ref{b}) {
		t.Fatalf("second payment: %+v", o)
	}
	o = ApplyUpdate(o.Attempts, ledgerStatus(b, StatusRefunded, SourceNotify))
	if o.After != PaymentPaid || !o.OrderChanged || o.Refund != nil {
		t.Fatalf("the second payment refunded: %+v", o)
	}
}

// TestApplyUpdateAgainstModel applies random updates (new attempts, every
// status, repeats, moves back, forged ids and amounts) to random orders
// and compares every outcome with ledgerModel, a simple sequential
// bookkeeping written apart from the rule.
func TestApplyUpdateAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 2026))
	statuses := append(slices.Clone(ledgerStatuses), StatusUnknown)
	for seq := range 3000 {
		var attempts []Attempt
		m := newLedgerModel()
		refs := []Ref{ledgerAttempt(1), ledgerAttempt(2), ledgerAttempt(3), ledgerAttempt(4)}
		for step := range 25 {
			ref := refs[rng.IntN(len(refs))]
			var u Update
			if rng.IntN(4) == 0 {
				u = ledgerPay(ref)
			} else {
				u = ledgerStatus(ref, statuses[rng.IntN(len(statuses))], []Source{SourceReturn, SourceNotify, SourceReconcile}[rng.IntN(3)])
			}
			switch rng.IntN(20) {
			case 0:
				u.CheckoutID = "co-forged"
			case 1:
				u.RequestID = refs[rng.IntN(len(refs))].RequestID
			case 2:
				u.Amount = ledgerMoney(9999, "AED")
			case 3:
				u.OrderID = "O-2"
			}
			want := m.apply(u)
			o := ApplyUpdate(attempts, u)
			where := fmt.Sprintf("sequence %d step %d (%s %s of %s/%s)", seq, step, u.Source, u.Status, u.CheckoutID, u.RequestID)
			if got := ledgerErrKind(o.Err); got != want.err {
				t.Fatalf("%s: error %v (%s), model says %s", where, o.Err, got, want.err)
			}
			if o.Before != want.before || o.After != want.after || o.OrderChanged != want.orderChanged || o.AttemptChanged != want.attemptChanged {
				t.Fatalf("%s: %s→%s changed %v/%v; model %s→%s changed %v/%v", where,
					o.Before, o.After, o.AttemptChanged, o.OrderChanged, want.before, want.after, want.attemptChanged, want.orderChanged)
			}
			if got := fmt.Sprint(ledgerIDs(o.Cancel), ledgerIDs(o.Refund)); got != fmt.Sprint(want.cancel, want.refund) {
				t.Fatalf("%s: cancel/refund %s, model %v %v", where, got, want.cancel, want.refund)
			}
			if len(o.Attempts) != len(m.order) {
				t.Fatalf("%s: %d attempts, model %d", where, len(o.Attempts), len(m.order))
			}
			for i, a := range o.Attempts {
				if a.Ref.CheckoutID != m.order[i] || a.Status != m.status[m.order[i]] {
					t.Fatalf("%s: attempt %d is %s %s, model %s %s", where, i, a.Ref.CheckoutID, a.Status, m.order[i], m.status[m.order[i]])
				}
			}
			attempts = o.Attempts

			// Idempotent: the same update again changes nothing.
			again := ApplyUpdate(attempts, u)
			if again.AttemptChanged || again.OrderChanged || !slices.Equal(again.Attempts, attempts) {
				t.Fatalf("%s: applied twice: %+v", where, again)
			}
		}
	}
}

// errorKind names the class of a refusal.
func ledgerErrKind(err error) string {
	switch {
	case err == nil:
		return "none"
	case errors.Is(err, ErrVerification):
		return "verification"
	case errors.Is(err, ErrUnknownAttempt):
		return "unknown"
	case errors.Is(err, ErrAttemptRefused):
		return "refused"
	case errors.Is(err, ErrInvalidRef):
		return "invalid"
	}
	return "other: " + err.Error()
}

// ledgerModel is the bookkeeping of one order ("O-1", 100.00 AED), kept
// the plain way: a list of checkout ids in the order they were recorded,
// maps by id, and the state worked out afresh after every update.
type ledgerModel struct {
	order    []string          // checkout ids, oldest first
	request  map[string]string // checkout id → request id
	checkout map[string]string // request id → checkout id
	status   map[string]Status // checkout id → status
}

type ledgerModelResult struct {
	err                          string
	before, after                PaymentState
	attemptChanged, orderChanged bool
	cancel, refund               []string
}

func newLedgerModel() *ledgerModel {
	return &ledgerModel{request: map[string]string{}, checkout: map[string]string{}, status: map[string]Status{}}
}

func (m *ledgerModel) apply(u Update) ledgerModelResult {
	r := ledgerModelResult{before: m.state()}
	r.err = m.step(u, &r)
	r.after = m.state()
	r.orderChanged = r.before != r.after
	if r.after.TookMoney() {
		seenHolder := false
		for _, id := range m.order {
			st := m.status[id]
			if st == StatusPending {
				r.cancel = append(r.cancel, id)
			}
			if st == StatusAuthorized || st == StatusPaid || st == StatusPartiallyRefunded {
				if seenHolder {
					r.refund = append(r.refund, id)
				}
				seenHolder = true
			}
		}
	}
	return r
}

// step changes the model for u, or says why it may not.
func (m *ledgerModel) step(u Update, r *ledgerModelResult) string {
	if u.OrderID == "" || u.CheckoutID == "" || u.RequestID == "" {
		return "invalid"
	}
	req, haveCheckout := m.request[u.CheckoutID]
	co, haveRequest := m.checkout[u.RequestID]
	if haveCheckout || haveRequest {
		// Both ids must name the same recorded attempt, of this order and
		// amount.
		if req != u.RequestID || co != u.CheckoutID || u.OrderID != "O-1" || u.Amount != ledgerMoney(10000, "AED") {
			return "verification"
		}
		if m.status[u.CheckoutID].CanBecome(u.Status) {
			m.status[u.CheckoutID] = u.Status
			r.attemptChanged = true
		}
		return "none"
	}
	if u.Source != SourcePay {
		return "unknown"
	}
	if u.Ref.OrderID != u.OrderID || u.Ref.CheckoutID != u.CheckoutID || u.Ref.RequestID != u.RequestID {
		return "invalid" // a forged id in the update, not in its Ref
	}
	if u.Amount != ledgerMoney(10000, "AED") {
		return "verification"
	}
	if r.before.TookMoney() {
		return "refused"
	}
	m.order = append(m.order, u.CheckoutID)
	m.request[u.CheckoutID], m.checkout[u.RequestID], m.status[u.CheckoutID] = u.RequestID, u.CheckoutID, u.Status
	r.attemptChanged = true
	return "none"
}

// state works the order's payment state out from scratch.
func (m *ledgerModel) state() PaymentState {
	if len(m.order) == 0 {
		return PaymentNone
	}
	count := map[Status]int{}
	var firstHolder Status
	for _, id := range m.order {
		st := m.status[id]
		count[st]++
		if firstHolder == "" && (st == StatusAuthorized || st == StatusPaid || st == StatusPartiallyRefunded) {
			firstHolder = st
		}
	}
	if count[StatusAuthorized]+count[StatusPaid]+count[StatusPartiallyRefunded] >= 2 {
		return PaymentPaidTwice
	}
	switch firstHolder {
	case StatusAuthorized:
		return PaymentAuthorized
	case StatusPaid:
		return PaymentPaid
	case StatusPartiallyRefunded:
		return PaymentPartiallyRefunded
	}
	if count[StatusChargeback] > 0 {
		return PaymentChargeback
	}
	if count[StatusRefunded] > 0 {
		return PaymentRefunded
	}
	if count[StatusPendingConfirmation] > 0 {
		return PaymentConfirming
	}
	return map[Status]PaymentState{
		StatusPending: PaymentPending, StatusFailed: PaymentFailed,
		StatusCancelled: PaymentCancelled, StatusExpired: PaymentExpired,
	}[m.status[m.order[len(m.order)-1]]]
}

func TestPaymentStateTookMoney(t *testing.T) {
	took := map[PaymentState]bool{
		PaymentNone: false, PaymentPending: false, PaymentConfirming: false, PaymentFailed: false,
		PaymentCancelled: false, PaymentExpired: false, PaymentAuthorized: true, PaymentPaid: true,
		PaymentPartiallyRefunded: true, PaymentRefunded: true, PaymentChargeback: true, PaymentPaidTwice: true,
	}
	for s, want := range took {
		if s.TookMoney() != want {
			t.Errorf("%s.TookMoney() = %v, want %v", s, !want, want)
		}
	}
}

// TestAuthorizedCapturedBetweenLooks checks an authorized attempt whose
// capture (PAID) the shop never saw: the next look already finds it
// refunded, partially refunded or disputed, and the order must say so
// rather than stay authorized.
func TestAuthorizedCapturedBetweenLooks(t *testing.T) {
	tests := []struct {
		next Status
		want PaymentState
	}{
		{StatusRefunded, PaymentRefunded},
		{StatusPartiallyRefunded, PaymentPartiallyRefunded},
		{StatusChargeback, PaymentChargeback},
	}
	for _, tt := range tests {
		t.Run(string(tt.next), func(t *testing.T) {
			a := ledgerAttempt(1)
			attempts := ledgerApplyAll(t, nil, ledgerPay(a), ledgerStatus(a, StatusAuthorized, SourceReturn))
			o := ApplyUpdate(attempts, ledgerStatus(a, tt.next, SourceNotify))
			if o.Err != nil || !o.AttemptChanged || o.Attempt.Status != tt.next {
				t.Fatalf("AUTHORIZED → %s: status %s changed %v err %v", tt.next, o.Attempt.Status, o.AttemptChanged, o.Err)
			}
			if o.Before != PaymentAuthorized || o.After != tt.want || !o.OrderChanged {
				t.Errorf("order %s → %s (changed %v), want %s → %s", o.Before, o.After, o.OrderChanged, PaymentAuthorized, tt.want)
			}
		})
	}
}
