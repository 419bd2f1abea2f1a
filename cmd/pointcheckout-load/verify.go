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

// verify compares every started order's state in the shop's order book
// with the gateway's: the same single checkout, in the same status. Each
// flow makes one attempt, so a second checkout for an order is a mismatch
// too. An order that never reached the gateway must be unknown to both.
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
		shop, known := e.book.get(order)
		switch {
		case len(gw) > 1:
			r.mismatch("%s: the gateway has %d checkouts for one attempt", order, len(gw))
		case len(gw) == 0 && known:
			r.mismatch("%s: the shop records checkout %s, unknown to the gateway", order, shop.checkoutID)
		case len(gw) == 0:
			// Never created: consistent (and already counted as an error).
		case !known:
			r.mismatch("%s: checkout %s is %s at the gateway, unknown to the shop", order, gw[0].id, gw[0].status)
		case shop.checkoutID != gw[0].id || shop.status != gw[0].status:
			r.mismatch("%s: the shop records checkout %s as %s, the gateway has %s as %s",
				order, shop.checkoutID, shop.status, gw[0].id, gw[0].status)
		}
	}
}

func (r *report) mismatch(format string, args ...any) {
	r.Mismatches++
	if len(r.MismatchSamples) < maxErrorSamples {
		r.MismatchSamples = append(r.MismatchSamples, fmt.Sprintf(format, args...))
	}
}
