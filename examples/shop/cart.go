package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// sessionCookie names the cookie that keys a shopper's cart and orders.
const sessionCookie = "shop_session"

// maxQty bounds one cart line, so no quantity can overflow a total.
const maxQty = 10

// sessions hands out the random session ids that key carts and orders.
//
// The cookie holds 32 random bytes; the database holds only their SHA-256,
// so a copy of the database does not let anyone act as a shopper.
type sessions struct {
	secure bool // set the Secure attribute (the shop is served over https)
}

// lookup returns the hashed session of r, or "" if r has no valid session
// cookie. It never sets a cookie, so read-only pages create no sessions.
func (s sessions) lookup(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(raw) != 32 {
		return ""
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// ensure returns the hashed session of r, first giving the shopper a new
// session cookie if r has none.
func (s sessions) ensure(w http.ResponseWriter, r *http.Request) string {
	if h := s.lookup(r); h != "" {
		return h
	}
	raw := make([]byte, 32)
	rand.Read(raw) // never fails (crypto/rand panics rather than return short)
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    base64.RawURLEncoding.EncodeToString(raw),
		Path:     "/",
		MaxAge:   int((30 * 24 * time.Hour).Seconds()),
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	})
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// cartLine is one product in a cart, priced from the catalog.
type cartLine struct {
	Product   Product
	Qty       int64
	LineTotal pointcheckout.Money
}

// cart is a priced cart.
type cart struct {
	Lines []cartLine
	Total pointcheckout.Money
}

// Count is the number of items in the cart.
func (c cart) Count() int64 {
	var n int64
	for _, l := range c.Lines {
		n += l.Qty
	}
	return n
}

// carts keeps carts in the database, keyed by hashed session.
type carts struct {
	database
	catalog *catalog
}

// add puts qty more of a product in the session's cart, up to maxQty.
func (c carts) add(ctx context.Context, session, productID string, qty int64) error {
	if _, ok := c.catalog.product(productID); !ok {
		return errUnknownProduct
	}
	if qty < 1 || qty > maxQty {
		return errBadQuantity
	}
	_, err := c.db.ExecContext(ctx, c.sql(`
		INSERT INTO carts (session, product_id, qty) VALUES (?, ?, ?)
		ON CONFLICT (session, product_id) DO UPDATE
		SET qty = CASE WHEN carts.qty + excluded.qty > ? THEN ? ELSE carts.qty + excluded.qty END`),
		session, productID, qty, maxQty, maxQty)
	return err
}

// set sets the quantity of a product in the cart; 0 removes it.
func (c carts) set(ctx context.Context, session, productID string, qty int64) error {
	if _, ok := c.catalog.product(productID); !ok {
		return errUnknownProduct
	}
	if qty < 0 || qty > maxQty {
		return errBadQuantity
	}
	if qty == 0 {
		_, err := c.db.ExecContext(ctx, c.sql(`DELETE FROM carts WHERE session = ? AND product_id = ?`), session, productID)
		return err
	}
	_, err := c.db.ExecContext(ctx, c.sql(`
		INSERT INTO carts (session, product_id, qty) VALUES (?, ?, ?)
		ON CONFLICT (session, product_id) DO UPDATE SET qty = excluded.qty`),
		session, productID, qty)
	return err
}

// load returns the session's cart priced from the catalog. Products the
// shop no longer sells are dropped.
func (c carts) load(ctx context.Context, q querier, session string) (cart, error) {
	total, err := pointcheckout.NewMoney(0, shopCurrency)
	if err != nil {
		return cart{}, err
	}
	out := cart{Total: total}
	if session == "" {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, c.sql(`SELECT product_id, qty FROM carts WHERE session = ? ORDER BY product_id`), session)
	if err != nil {
		return cart{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var qty int64
		if err := rows.Scan(&id, &qty); err != nil {
			return cart{}, err
		}
		p, ok := c.catalog.product(id)
		if !ok || qty < 1 || qty > maxQty {
			continue
		}
		line, err := p.Price.Mul(qty)
		if err != nil {
			return cart{}, fmt.Errorf("line %s: %w", id, err)
		}
		if out.Total, err = out.Total.Add(line); err != nil {
			return cart{}, fmt.Errorf("cart total: %w", err)
		}
		out.Lines = append(out.Lines, cartLine{Product: p, Qty: qty, LineTotal: line})
	}
	return out, rows.Err()
}

// querier is what both *sql.DB and *sql.Tx offer for reads.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
