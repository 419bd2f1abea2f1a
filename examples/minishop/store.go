package minishop

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/pointcheckout-go/pointcheckout"
)

// ErrUnknownOrder is what the store answers for an order id it never issued.
var ErrUnknownOrder = errors.New("shop: unknown order")

// MaxQuantity bounds what one order may ask for, so a hand-made form cannot
// overflow the amount.
const MaxQuantity = 10

// MaxOrders bounds how many orders the in-memory store keeps: every POST
// /pay makes one, so without a bound anyone could grow it without end.
// When it is full, the oldest order that holds no money makes room (an
// update for it then fails as an unknown order). A real shop keeps its
// orders in its database, as the demo shop does.
const MaxOrders = 10_000

// Product is the one thing the shop sells. Its price lives here, on the
// server: the shopper only chooses a quantity.
type Product struct {
	SKU   string
	Name  string
	Price pointcheckout.Money
}

// Change is one update the store applied to an order, kept so the order's
// history can be shown and checked.
type Change struct {
	Status     pointcheckout.Status
	Amount     pointcheckout.Money
	CheckoutID string
	Source     pointcheckout.Source
}

// Order is the shop's record of one purchase.
type Order struct {
	ID         string
	Quantity   int64
	Amount     pointcheckout.Money
	Status     pointcheckout.Status
	CheckoutID string
	History    []Change
}

// Store keeps orders in memory. It is the library's Orders (what to charge,
// from the shop's records), its OrderUpdater (what happened) and its
// RefFinder (what /pay/notify resolves). It applies updates only along the
// forward rule of Status.CanBecome, so repeated or out-of-order updates never
// move an order back. That rule is about one checkout, and here it may be
// applied to the order: every /pay creates a new order, so an order has
// exactly one checkout (a shop that lets an order be retried keeps the rule
// per checkout, as the demo shop does).
type Store struct {
	product Product

	mu     sync.Mutex
	orders map[string]*Order
	placed []string                     // order ids, oldest first
	refs   map[string]pointcheckout.Ref // by checkout id
	limit  int                          // MaxOrders; smaller in tests
}

// The store is all three of the library's order interfaces.
var (
	_ pointcheckout.Orders       = (*Store)(nil)
	_ pointcheckout.OrderUpdater = (*Store)(nil)
	_ pointcheckout.RefFinder    = (*Store)(nil)
)

// NewStore returns an empty store selling p.
func NewStore(p Product) *Store {
	return &Store{product: p, orders: make(map[string]*Order), refs: make(map[string]pointcheckout.Ref), limit: MaxOrders}
}

// Product returns what the store sells, for the product page.
func (s *Store) Product() Product { return s.product }

// CheckoutFor records a new order for the quantity the shopper chose and
// returns the checkout to create for it, priced from the catalogue.
func (s *Store) CheckoutFor(r *http.Request) (*pointcheckout.CheckoutRequest, error) {
	qty := int64(1)
	if v := r.PostFormValue("quantity"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > MaxQuantity {
			return nil, fmt.Errorf("shop: quantity must be 1 to %d", MaxQuantity)
		}
		qty = n
	}
	amount, err := s.product.Price.Mul(qty)
	if err != nil {
		return nil, err
	}
	o := &Order{ID: "order-" + rand.Text()[:12], Quantity: qty, Amount: amount}

	s.mu.Lock()
	if len(s.orders) >= s.limit {
		s.evictLocked()
	}
	s.orders[o.ID] = o
	s.placed = append(s.placed, o.ID)
	s.mu.Unlock()

	return &pointcheckout.CheckoutRequest{
		OrderID: o.ID,
		Amount:  amount,
		Items: []pointcheckout.Item{{
			Name:      s.product.Name,
			SKU:       s.product.SKU,
			UnitPrice: s.product.Price,
			Quantity:  qty,
			LineTotal: amount,
		}},
		Customer: pointcheckout.Customer{
			FirstName: "Test",
			LastName:  "Shopper",
			Email:     "shopper@example.com",
		},
		BillingAddress: pointcheckout.Address{
			Name:     "Test Shopper",
			Address1: "1 Sheikh Zayed Road",
			City:     "Dubai",
			Country:  "AE",
		},
	}, nil
}

// UpdateOrder applies a verified update. A repeat, or a status the order has
// already moved past, changes nothing and is not an error: the library may
// deliver the same outcome from the return, a notification and a sweep.
func (s *Store) UpdateOrder(_ context.Context, u pointcheckout.Update) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[u.OrderID]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownOrder, u.OrderID)
	}
	if u.Amount != o.Amount {
		return fmt.Errorf("shop: order %s costs %s, update says %s", o.ID, o.Amount, u.Amount)
	}
	if u.Source == pointcheckout.SourcePay && u.Ref.CheckoutID != "" {
		// Kept so a notification can be resolved for a shopper who never
		// comes back.
		s.refs[u.Ref.CheckoutID] = u.Ref
	}
	if !o.Status.CanBecome(u.Status) {
		return nil
	}
	o.Status = u.Status
	o.CheckoutID = u.CheckoutID
	o.History = append(o.History, Change{Status: u.Status, Amount: u.Amount, CheckoutID: u.CheckoutID, Source: u.Source})
	return nil
}

// evictLocked forgets the oldest order that holds no money (not yet final,
// or failed), with its Refs. If there is none, the oldest order goes: the
// store is full of paid orders, which a real shop would long have moved to
// its database.
func (s *Store) evictLocked() {
	victim := 0
	for i, id := range s.placed {
		if st := s.orders[id].Status; !st.IsFinal() || st.IsFailed() {
			victim = i
			break
		}
	}
	id := s.placed[victim]
	s.placed = append(s.placed[:victim], s.placed[victim+1:]...)
	delete(s.orders, id)
	for cid, ref := range s.refs {
		if ref.OrderID == id {
			delete(s.refs, cid)
		}
	}
}

// FindRef returns the Ref recorded when /pay created the checkout.
func (s *Store) FindRef(_ context.Context, checkoutID string) (pointcheckout.Ref, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.refs[checkoutID]
	if !ok {
		return pointcheckout.Ref{}, fmt.Errorf("shop: checkout %q: %w", checkoutID, pointcheckout.ErrNotFound)
	}
	return ref, nil
}

// Order returns a copy of an order, safe to read while updates go on.
func (s *Store) Order(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, false
	}
	c := *o
	c.History = append([]Change(nil), o.History...)
	return c, true
}
