package main

import (
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pointcheckout-go/pointcheckout"
)

// maxFormBytes bounds every form the shop reads.
const maxFormBytes = 16 << 10

// page renders a page with the shopper's cart count in the header.
func (s *Shop) page(w http.ResponseWriter, r *http.Request, status int, name, title string, body any) {
	ct, err := s.carts.load(r.Context(), s.db.db, s.sessions.lookup(r))
	if err != nil {
		s.log.ErrorContext(r.Context(), "load cart", "error", err)
	}
	s.pages.render(w, r, s.log, status, name, view{Title: title, CartCount: ct.Count(), Body: body})
}

// errorView is the error page: a message for the shopper and, when
// trying again can help, where to.
type errorView struct {
	Message  string
	RetryURL string
}

// fail shows an error page; the message is for the shopper, the error for
// the log.
func (s *Shop) fail(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	if err != nil && status >= 500 {
		s.log.ErrorContext(r.Context(), msg, "path", r.URL.Path, "error", err)
	}
	s.page(w, r, status, "error", "Something went wrong", errorView{Message: msg})
}

// confirmingView is the page the payment handler shows while a payment is
// being confirmed. Order is set only for the session that placed it.
type confirmingView struct {
	Order      *order
	RefreshURL string
	Seconds    int
}

// renderPaymentPage draws the payment handler's pages (confirming, error)
// in the shop's layout. It is the handler's Config.RenderPage.
func (s *Shop) renderPaymentPage(w http.ResponseWriter, r *http.Request, p pointcheckout.Page) {
	if !p.Confirming {
		s.page(w, r, p.Status, "error", "Payment problem", errorView{Message: p.Message, RetryURL: p.RefreshURL})
		return
	}
	v := confirmingView{RefreshURL: p.RefreshURL, Seconds: max(1, int(p.RefreshAfter/time.Second))}
	if o, err := s.orders.getFor(r.Context(), p.Result.OrderID, s.sessions.lookup(r)); err == nil {
		v.Order = &o
	}
	s.page(w, r, p.Status, "confirming", "Confirming your payment", v)
}

// parseForm reads a bounded urlencoded form.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	return r.ParseForm() == nil
}

func (s *Shop) home(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, http.StatusOK, "home", "Products", s.catalog.list)
}

func (s *Shop) addToCart(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		s.fail(w, r, http.StatusBadRequest, "The form could not be read.", nil)
		return
	}
	qty := int64(1)
	if v := r.PostForm.Get("qty"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.fail(w, r, http.StatusBadRequest, "That quantity is not a number.", nil)
			return
		}
		qty = n
	}
	session := s.sessions.ensure(w, r)
	s.cartChanged(w, r, s.carts.add(r.Context(), session, r.PostForm.Get("product"), qty))
}

func (s *Shop) updateCart(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		s.fail(w, r, http.StatusBadRequest, "The form could not be read.", nil)
		return
	}
	qty, err := strconv.ParseInt(r.PostForm.Get("qty"), 10, 64)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "That quantity is not a number.", nil)
		return
	}
	session := s.sessions.ensure(w, r)
	s.cartChanged(w, r, s.carts.set(r.Context(), session, r.PostForm.Get("product"), qty))
}

// cartChanged answers a cart change: back to the cart, or why not.
func (s *Shop) cartChanged(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errUnknownProduct), errors.Is(err, errBadQuantity):
		s.fail(w, r, http.StatusBadRequest, "That product or quantity is not available.", nil)
	case err != nil:
		s.fail(w, r, http.StatusInternalServerError, "The cart could not be updated.", err)
	default:
		http.Redirect(w, r, "/cart", http.StatusSeeOther)
	}
}

func (s *Shop) showCart(w http.ResponseWriter, r *http.Request) {
	ct, err := s.carts.load(r.Context(), s.db.db, s.sessions.lookup(r))
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The cart could not be loaded.", err)
		return
	}
	s.page(w, r, http.StatusOK, "cart", "Your cart", ct)
}

// country is one choice of the checkout form's country list.
type country struct{ Code, Name string }

// countries are the billing countries the form offers (ISO 3166-1 alpha-2).
func countries() []country {
	return []country{
		{"AE", "United Arab Emirates"}, {"SA", "Saudi Arabia"}, {"BH", "Bahrain"}, {"KW", "Kuwait"},
		{"OM", "Oman"}, {"QA", "Qatar"}, {"JO", "Jordan"}, {"EG", "Egypt"},
		{"GB", "United Kingdom"}, {"US", "United States"},
	}
}

// checkoutView is the checkout form, filled in or not, with its errors.
type checkoutView struct {
	Cart      cart
	Customer  customer
	Method    paymentMethod
	Countries []country
	Errors    map[string]string
}

func (s *Shop) checkoutForm(w http.ResponseWriter, r *http.Request) {
	ct, err := s.carts.load(r.Context(), s.db.db, s.sessions.lookup(r))
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "The cart could not be loaded.", err)
		return
	}
	if len(ct.Lines) == 0 {
		http.Redirect(w, r, "/cart", http.StatusSeeOther)
		return
	}
	s.page(w, r, http.StatusOK, "checkout", "Checkout", checkoutView{
		Cart: ct, Customer: customer{Country: "AE"}, Method: methodCard, Countries: countries(),
	})
}

// readCheckout validates the checkout form. Only details are read; what
// the order costs comes from the cart.
func readCheckout(form url.Values) (customer, paymentMethod, map[string]string) {
	field := func(name string) string { return strings.TrimSpace(form.Get(name)) }
	c := customer{
		FirstName: field("first_name"), LastName: field("last_name"), Email: field("email"),
		Address: field("address"), City: field("city"), Country: field("country"),
	}
	errs := map[string]string{}
	for name, v := range map[string]string{
		"first_name": c.FirstName, "last_name": c.LastName, "address": c.Address, "city": c.City,
	} {
		switch {
		case v == "":
			errs[name] = "Required."
		case utf8.RuneCountInString(v) > 100 || strings.ContainsAny(v, "\r\n\x00"):
			errs[name] = "Too long or not a single line."
		}
	}
	if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || len(c.Email) > 254 {
		errs["email"] = "Enter an email address such as name@example.com."
	}
	known := false
	for _, k := range countries() {
		known = known || k.Code == c.Country
	}
	if !known {
		errs["country"] = "Choose a country."
	}
	m := paymentMethod(form.Get("method"))
	if m != methodCard && m != methodCOD {
		errs["method"] = "Choose how to pay."
	}
	return c, m, errs
}

func (s *Shop) placeOrder(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		s.fail(w, r, http.StatusBadRequest, "The form could not be read.", nil)
		return
	}
	session := s.sessions.lookup(r)
	c, m, errs := readCheckout(r.PostForm)
	if len(errs) > 0 {
		ct, err := s.carts.load(r.Context(), s.db.db, session)
		if err != nil {
			s.fail(w, r, http.StatusInternalServerError, "The cart could not be loaded.", err)
			return
		}
		s.page(w, r, http.StatusBadRequest, "checkout", "Checkout", checkoutView{
			Cart: ct, Customer: c, Method: m, Countries: countries(), Errors: errs,
		})
		return
	}
	o, err := s.orders.place(r.Context(), s.carts, session, c, m)
	switch {
	case errors.Is(err, errEmptyCart):
		http.Redirect(w, r, "/cart", http.StatusSeeOther)
		return
	case err != nil:
		s.fail(w, r, http.StatusInternalServerError, "The order could not be placed.", err)
		return
	}
	s.log.InfoContext(r.Context(), "order placed", "order", o.ID, "amount", o.Amount, "method", string(m))
	if m == methodCard {
		http.Redirect(w, r, "/orders/"+o.ID+"/pay", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/orders/"+o.ID, http.StatusSeeOther)
}

// sessionOrder loads the order named in the path for its own session, or
// answers the request itself and returns false.
func (s *Shop) sessionOrder(w http.ResponseWriter, r *http.Request) (order, bool) {
	o, err := s.orders.getFor(r.Context(), r.PathValue("id"), s.sessions.lookup(r))
	switch {
	case errors.Is(err, errUnknownOrder), errors.Is(err, errNotYourOrder):
		s.fail(w, r, http.StatusNotFound, "There is no such order in this browser.", nil)
		return order{}, false
	case err != nil:
		s.fail(w, r, http.StatusInternalServerError, "The order could not be loaded.", err)
		return order{}, false
	}
	return o, true
}

// payOrder is the step between placing an order and the payment page: a
// form that POSTs the order id to /pay, submitted by a small script (or by
// the shopper, without scripts).
func (s *Shop) payOrder(w http.ResponseWriter, r *http.Request) {
	o, ok := s.sessionOrder(w, r)
	if !ok {
		return
	}
	if !o.Payable() {
		http.Redirect(w, r, "/orders/"+o.ID, http.StatusSeeOther)
		return
	}
	s.page(w, r, http.StatusOK, "redirect", "Redirecting to payment", struct {
		Order  order
		Action string
	}{o, payPath})
}

// orderView is an order page: the order as the database has it, and where
// its pay button posts to.
type orderView struct {
	Order  order
	Action string
}

func (s *Shop) showOrder(w http.ResponseWriter, r *http.Request) {
	o, ok := s.sessionOrder(w, r)
	if !ok {
		return
	}
	s.page(w, r, http.StatusOK, "order", "Order "+o.ID, orderView{Order: o, Action: payPath})
}

func (s *Shop) myOrders(w http.ResponseWriter, r *http.Request) {
	list, err := s.orders.forSession(r.Context(), s.sessions.lookup(r), 50)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "Your orders could not be loaded.", err)
		return
	}
	s.page(w, r, http.StatusOK, "orders", "Your orders", list)
}

// result is where the payment handler sends the shopper once a payment is
// resolved. The Result in the context is verified against the API and
// signed by the handler; the order itself is read from the database, and
// shown only to the session that placed it: the signed return URL may
// have been opened in another browser, by the shopper or by someone who
// copied it.
func (s *Shop) result(w http.ResponseWriter, r *http.Request) {
	res, ok := pointcheckout.ResultFromContext(r.Context())
	if !ok {
		http.Redirect(w, r, "/orders", http.StatusSeeOther)
		return
	}
	o, err := s.orders.getFor(r.Context(), res.OrderID, s.sessions.lookup(r))
	switch {
	case errors.Is(err, errUnknownOrder), errors.Is(err, errNotYourOrder):
		s.page(w, r, http.StatusNotFound, "elsewhere", "Order not in this browser", nil)
		return
	case err != nil:
		s.fail(w, r, http.StatusInternalServerError, "The order could not be loaded.", err)
		return
	}
	s.page(w, r, http.StatusOK, "result", resultTitle(o.Payment), orderView{Order: o, Action: payPath})
}
