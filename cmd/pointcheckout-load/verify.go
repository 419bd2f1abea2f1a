package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// gatewayView is the gateway's record of one checkout.
type gatewayView struct {
	id     string
	status pointcheckout.Status
}

// verifyTimeout bounds the final check against an external gateway.
const verifyTimeout = 5 * time.Minute

// verify compares every started order in the shop's order book with the
// gateway's checkouts for it (see checkOrder). An order that never reached
// the gateway must be unknown to both.
func (r *report) verify(ctx context.Context, e *environment, o options) {
	ctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	var byOrder map[string][]gatewayView
	if e.sandbox != nil {
		byOrder = map[string][]gatewayView{}
		for _, c := range e.sandbox.Checkouts() {
			if strings.HasPrefix(c.OrderID, e.runID+"-") {
				byOrder[c.OrderID] = append(byOrder[c.OrderID], gatewayView{c.ID, c.Status})
			}
		}
	}
	for i := range r.Flows {
		order := fmt.Sprintf("%s-%07d", e.runID, i)
		var gw []gatewayView
		if byOrder != nil {
			gw = byOrder[order]
		} else {
			cos, err := e.client.FindByOrderID(ctx, order)
			if err != nil {
				r.mismatch("%s: the gateway could not be asked: %v", order, err)
				continue
			}
			for _, c := range cos {
				gw = append(gw, gatewayView{c.ID, c.Status})
			}
		}
		r.Checked++
		shop, _ := e.book.get(order)
		r.checkOrder(order, gw, shop)
	}
}

// checkOrder compares one order's record in the shop with the gateway's
// checkouts for it: each checkout is an attempt the shop recorded, in the
// same status, and the other way round; the order took money at the
// gateway (in any attempt, the newest or an older one) exactly when the
// shop's payment state says so; and the shop was told of that change once.
func (r *report) checkOrder(order string, gw []gatewayView, shop bookOrder) {
	recorded := make(map[string]pointcheckout.Status, len(shop.attempts))
	for _, a := range shop.attempts {
		recorded[a.Ref.CheckoutID] = a.Status
	}
	paid := false
	for _, c := range gw {
		paid = paid || tookMoney(c.status)
		st, ok := recorded[c.id]
		switch {
		case !ok && r.orphansAllowed && !tookMoney(c.status):
			r.Orphans++
		case !ok:
			r.mismatch("%s: checkout %s is %s at the gateway, unknown to the shop", order, c.id, c.status)
		case st != c.status:
			r.mismatch("%s: the shop records checkout %s as %s, the gateway as %s", order, c.id, st, c.status)
		}
		delete(recorded, c.id)
	}
	for _, a := range shop.attempts {
		if _, left := recorded[a.Ref.CheckoutID]; left {
			r.mismatch("%s: the shop records checkout %s, unknown to the gateway", order, a.Ref.CheckoutID)
		}
	}
	want := 0
	if paid {
		want = 1
		r.Paid++
	}
	r.PaidChanges += shop.paid
	switch {
	case paid != shop.state.TookMoney():
		r.mismatch("%s: the shop's order is %s, the gateway took money: %v", order, shop.state, paid)
	case shop.paid != want:
		r.mismatch("%s: the shop was told %d times that the order took money, want %d", order, shop.paid, want)
	}
}

// tookMoney reports whether a checkout in status s took the shopper's money
// (it may since have been refunded or disputed).
func tookMoney(s pointcheckout.Status) bool {
	switch s {
	case pointcheckout.StatusAuthorized, pointcheckout.StatusPaid, pointcheckout.StatusPartiallyRefunded,
		pointcheckout.StatusRefunded, pointcheckout.StatusChargeback:
		return true
	}
	return false
}

func (r *report) mismatch(format string, args ...any) {
	r.Mismatches++
	if len(r.MismatchSamples) < maxErrorSamples {
		r.MismatchSamples = append(r.MismatchSamples, fmt.Sprintf(format, args...))
	}
}
