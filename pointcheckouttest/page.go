package pointcheckouttest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/pointcheckout-go/pointcheckout"
)

// The hosted payment page. It is a plain HTML form (no script, except the
// optional post-back form that submits itself), protected against
// cross-site posts by Go's CrossOriginProtection and a token bound to a
// per-browser cookie and to the checkout.

const csrfCookie = "pcsandbox_csrf"

// pageView is what the page template shows.
type pageView struct {
	OrderID, Amount, Action, CSRF string
	// Form is true while the checkout can still be paid.
	Form         bool
	Errors       []string
	Expiry, Name string
	Heading      string
	Message      string
	ReturnURL    string
	Cards        []TestCard
}

// postBackView is the self-submitting form that returns the shopper with
// a POST (see WithPostBack).
type postBackView struct {
	ReturnURL, CheckoutID, Status, Nonce string
	// Checkout and Reference are the checkout's id and request id, sent
	// as the checkout and reference fields unless WithoutReturnParams.
	Checkout, Reference string
}

// page serves GET and POST /checkout/{key}.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f, faulty := s.takeFault(EndpointPage)
	s.mu.Unlock()
	if faulty {
		switch f.kind {
		case faultDelay:
			s.wait(r.Context(), f.delay)
		case faultStatus, faultStatusEnvelope:
			writeProxyError(w, f.code)
			return
		case faultDrop:
			drop(w)
			return
		}
	}
	out := s.servePage(w, r)
	if faulty && f.kind == faultDropAfterCommit {
		drop(w)
		return
	}
	out.write(w)
}

// pageOut is a rendered page answer, held back so a fault can withhold it.
type pageOut struct {
	code     int
	body     []byte
	location string
	csp      string
}

func (o pageOut) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	if o.location != "" {
		h.Set("Location", o.location)
		w.WriteHeader(o.code)
		return
	}
	h.Set("Content-Security-Policy", o.csp)
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(o.code)
	_, _ = w.Write(o.body)
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) pageOut {
	key := r.PathValue("key")
	token, fresh := s.csrfCookie(r)
	if fresh {
		http.SetCookie(w, &http.Cookie{
			Name: csrfCookie, Value: token, Path: pagePrefix,
			HttpOnly: true, SameSite: http.SameSiteLaxMode,
		})
	}

	var formErrs []string
	var action, expiry, name string
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		switch {
		case s.cop.Check(r) != nil:
			return s.message(http.StatusForbidden, "Request refused", "This form was sent from another site.")
		case r.ParseForm() != nil:
			return s.message(http.StatusBadRequest, "Bad request", "The form could not be read.")
		case fresh || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(s.csrfToken(token, key))):
			formErrs = []string{"Your session expired. Check the details and press Pay again."}
		default:
			action = r.PostForm.Get("action")
		}
		expiry = strings.TrimSpace(r.PostForm.Get("expiry"))
		name = strings.TrimSpace(r.PostForm.Get("card_name"))
	}

	s.mu.Lock()
	c, ok := s.byKey[key]
	if !ok {
		s.mu.Unlock()
		return s.message(http.StatusNotFound, "Checkout not found", "This payment link is not valid.")
	}
	now := s.now()
	s.refresh(c, now)
	payable := c.status == pointcheckout.StatusPending && !c.submitted
	var back bool
	code := http.StatusOK
	switch {
	case r.Method == http.MethodGet || len(formErrs) > 0:
		if len(formErrs) > 0 {
			code = http.StatusForbidden
		}
	case !payable:
		code = http.StatusConflict
	case action == "cancel":
		s.setStatus(c, pointcheckout.StatusCancelled, now)
		back = true
	case action == "pay":
		var card TestCard
		card, formErrs = checkCard(r.PostForm)
		if len(formErrs) > 0 {
			code = http.StatusUnprocessableEntity
			break
		}
		c.method = "CARD"
		s.dirty = true
		if card.SettlesTo != "" {
			c.submitted = true
			c.settleAt, c.settleTo = now.Add(s.cfg.settleDelay), card.SettlesTo
		} else {
			s.setStatus(c, card.Outcome, now)
		}
		back = true
	default:
		code = http.StatusUnprocessableEntity
		formErrs = []string{"Choose Pay or Cancel."}
	}
	view := pageView{
		OrderID: c.orderID, Amount: c.amount.String(), Action: pagePrefix + c.key,
		CSRF: s.csrfToken(token, key), Form: c.status == pointcheckout.StatusPending && !c.submitted,
		Errors: formErrs, Expiry: expiry, Name: name, ReturnURL: s.returnTo(c), Cards: TestCards(),
	}
	view.Heading, view.Message = stateText(c)
	pb := postBackView{ReturnURL: c.returnURL, CheckoutID: c.id, Status: s.spell(c.status)}
	if !s.cfg.noReturn {
		pb.Checkout, pb.Reference = c.id, c.requestID
	}
	back303 := view.ReturnURL
	s.unlock()

	if back {
		if !s.cfg.postBack {
			return pageOut{code: http.StatusSeeOther, location: back303}
		}
		pb.Nonce = randomHex(16)
		return s.render(http.StatusOK, "postback", pb,
			"default-src 'none'; script-src 'nonce-"+pb.Nonce+"'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"+formAction(pb.ReturnURL))
	}
	return s.render(code, "page", view,
		"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"+formAction(view.ReturnURL))
}

// returnTo is where the page sends the shopper back: the returnUrl with
// checkout=<id>&reference=<requestId> appended, as the real page does,
// unless WithoutReturnParams. The caller holds s.mu.
func (s *Server) returnTo(c *checkout) string {
	if s.cfg.noReturn {
		return c.returnURL
	}
	return appendReturnParams(c.returnURL, c.id, c.requestID)
}

// appendReturnParams adds checkout and reference to rawURL's query,
// keeping the query as it is (a parameter of the same name stays too) and
// the fragment after the new query, where a browser looks for it.
func appendReturnParams(rawURL, checkoutID, requestID string) string {
	base, frag, hasFrag := strings.Cut(rawURL, "#")
	params := "checkout=" + url.QueryEscape(checkoutID) + "&reference=" + url.QueryEscape(requestID)
	switch {
	case !strings.Contains(base, "?"):
		base += "?" + params
	case strings.HasSuffix(base, "?"), strings.HasSuffix(base, "&"):
		base += params
	default:
		base += "&" + params
	}
	if hasFrag {
		base += "#" + frag
	}
	return base
}

// formAction allows the page's own form and the redirect that follows it
// to the shop (browsers apply form-action to redirects as well).
func formAction(returnURL string) string {
	u, err := url.Parse(returnURL)
	if err != nil || !safeOrigin.MatchString(u.Host) {
		return "; form-action 'self'"
	}
	return "; form-action 'self' " + u.Scheme + "://" + u.Host
}

var safeOrigin = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$`)

// stateText describes a checkout that is no longer payable.
func stateText(c *checkout) (heading, msg string) {
	switch c.status {
	case pointcheckout.StatusPending, pointcheckout.StatusPendingConfirmation:
		if c.submitted || c.status == pointcheckout.StatusPendingConfirmation {
			return "Confirming your payment", "Your payment is being confirmed. You can return to the shop."
		}
		return "", ""
	case pointcheckout.StatusPaid:
		return "Payment received", "This checkout has been paid."
	case pointcheckout.StatusAuthorized:
		return "Payment authorized", "This checkout has been authorized."
	case pointcheckout.StatusFailed:
		return "Payment failed", "The payment for this checkout failed."
	case pointcheckout.StatusCancelled:
		return "Checkout cancelled", "This checkout was cancelled."
	case pointcheckout.StatusExpired:
		return "Checkout expired", "This checkout has expired. Return to the shop to try again."
	case pointcheckout.StatusRefunded, pointcheckout.StatusPartiallyRefunded:
		return "Payment refunded", "This checkout has been " + strings.ToLower(strings.ReplaceAll(string(c.status), "_", " ")) + "."
	}
	return "Checkout closed", "This checkout can no longer be paid."
}

var (
	expiryPattern = regexp.MustCompile(`^(0[1-9]|1[0-2])\s*/\s*([0-9]{2})$`)
	cvvPattern    = regexp.MustCompile(`^[0-9]{3,4}$`)
)

// checkCard validates the card fields and finds the test card. Any expiry
// date in MM/YY form is accepted: the documented test card's 12/25 is in
// the past.
func checkCard(form url.Values) (TestCard, []string) {
	var errs []string
	number, ok := normalizeCardNumber(form.Get("card_number"))
	if !ok {
		errs = append(errs, "Enter a valid card number.")
	}
	if !expiryPattern.MatchString(strings.TrimSpace(form.Get("expiry"))) {
		errs = append(errs, "Enter the expiry date as MM/YY.")
	}
	if !cvvPattern.MatchString(strings.TrimSpace(form.Get("cvv"))) {
		errs = append(errs, "Enter the 3 or 4 digit security code (CVV).")
	}
	if n := strings.TrimSpace(form.Get("card_name")); n == "" || len(n) > 100 {
		errs = append(errs, "Enter the name on the card.")
	}
	if form.Get("terms") == "" {
		errs = append(errs, "Accept the terms and conditions to pay.")
	}
	if len(errs) > 0 {
		return TestCard{}, errs
	}
	card, known := lookupCard(number)
	if !known {
		return TestCard{}, []string{"This card is not accepted in the sandbox. Use one of the test cards."}
	}
	return card, nil
}

// csrfCookie returns the browser's token cookie, or a new one (fresh).
func (s *Server) csrfCookie(r *http.Request) (token string, fresh bool) {
	if ck, err := r.Cookie(csrfCookie); err == nil && len(ck.Value) == 32 {
		if _, err := hex.DecodeString(ck.Value); err == nil {
			return ck.Value, false
		}
	}
	return randomHex(16), true
}

// csrfToken binds the form to the browser's cookie and to the checkout.
func (s *Server) csrfToken(cookie, key string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(cookie))
	m.Write([]byte{0})
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Server) message(code int, heading, msg string) pageOut {
	return s.render(code, "page", pageView{Heading: heading, Message: msg},
		"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
}

func (s *Server) render(code int, name string, data any, csp string) pageOut {
	s.tmplOnce.Do(func() { s.tmpl = template.Must(template.New("").Funcs(pageFuncs).Parse(pageTemplates)) })
	var b bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		return pageOut{code: http.StatusInternalServerError, body: []byte("template error\n"), csp: "default-src 'none'"}
	}
	return pageOut{code: code, body: b.Bytes(), csp: csp}
}

var pageFuncs = template.FuncMap{
	"spaced": func(n string) string {
		var b strings.Builder
		for i := 0; i < len(n); i++ {
			if i > 0 && i%4 == 0 {
				b.WriteByte(' ')
			}
			b.WriteByte(n[i])
		}
		return b.String()
	},
}
