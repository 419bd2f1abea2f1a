package pointcheckouttest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

const (
	apiPrefix  = "/mer/v2.0/"
	pagePrefix = "/checkout/"
	// maxBody bounds what the API reads from a request.
	maxBody = 1 << 20
)

// Error messages of the API. The first two are the API's own words.
const (
	msgNotFound     = "Checkout not found for API merchant"
	msgPageSize     = "page size parameter must be a positive integer"
	msgUnauthorized = "Unauthorized: invalid API key or secret"
)

// answer is an API answer before it is written, so faults can spoil it.
type answer struct {
	code   int
	err    string
	result any // *wireCheckout or *wirePage
}

func fail(code int, msg string) answer { return answer{code: code, err: msg} }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST "+apiPrefix+"checkout/web", s.api(EndpointCreate, s.create))
	mux.Handle("GET "+apiPrefix+"checkout", s.api(EndpointFind, s.find))
	mux.Handle("GET "+apiPrefix+"checkout/{id}", s.api(EndpointGet, s.get))
	mux.Handle("POST "+apiPrefix+"checkout/{id}/cancel", s.api(EndpointCancel, s.cancel))
	mux.Handle("POST "+apiPrefix+"checkout/{id}/refund", s.api(EndpointRefund, s.refund))
	mux.Handle(apiPrefix, s.api(EndpointOther, func(*http.Request, []byte) answer {
		return fail(http.StatusNotFound, "No such API operation")
	}))
	mux.HandleFunc("GET "+pagePrefix+"{key}", s.page)
	mux.HandleFunc("POST "+pagePrefix+"{key}", s.page)
	return mux
}

// api wraps one operation: it reads and logs the request, applies a
// pending fault, checks the credentials and writes the envelope.
func (s *Server) api(ep Endpoint, op func(r *http.Request, body []byte) answer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		s.mu.Lock()
		s.logRequest(ep, r, body)
		f, faulty := s.takeFault(ep)
		s.mu.Unlock()

		if faulty {
			switch f.kind {
			case faultDelay:
				s.wait(r.Context(), f.delay)
			case faultStatus:
				writeProxyError(w, f.code)
				return
			case faultStatusEnvelope:
				s.write(w, fail(f.code, http.StatusText(f.code)), start)
				return
			case faultRedirect:
				w.Header().Set("Location", f.location)
				w.WriteHeader(f.code)
				return
			case faultDrop:
				drop(w)
				return
			}
		}

		var a answer
		switch {
		case readErr != nil:
			a = fail(http.StatusBadRequest, "request body too large")
		case !s.authorized(r):
			a = fail(http.StatusUnauthorized, msgUnauthorized)
		default:
			a = op(r, body)
		}

		if faulty {
			switch f.kind {
			case faultDropAfterCommit:
				drop(w)
				return
			case faultMalformed:
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(w, `{"success":true,"elapsed":1,"result":{"id":"`)
				return
			default:
				spoil(&a, f)
			}
		}
		s.write(w, a, start)
	})
}

// authorized checks the credentials in constant time. By default only the
// PointCheckout pair counts (paymennt headers are ignored). In paymennt
// mode either pair is accepted, since the official SDK sends the
// PointCheckout names to every host, but each pair that is sent must be
// right: a client sending a wrong secret under one name is refused even if
// the other pair is right.
func (s *Server) authorized(r *http.Request) bool {
	pc, pcSent := s.pair(r, PointCheckoutKeyHeader, PointCheckoutSecretHeader)
	if s.cfg.keyHeader == PointCheckoutKeyHeader {
		return pc
	}
	pm, pmSent := s.pair(r, PaymenntKeyHeader, PaymenntSecretHeader)
	return (pcSent || pmSent) && (pc || !pcSent) && (pm || !pmSent)
}

// pair reports whether the named key and secret headers hold the server's
// credentials, and whether either header was sent at all.
func (s *Server) pair(r *http.Request, keyName, secretName string) (ok, sent bool) {
	key, hasKey := r.Header[http.CanonicalHeaderKey(keyName)]
	secret, hasSecret := r.Header[http.CanonicalHeaderKey(secretName)]
	k := subtle.ConstantTimeCompare([]byte(first(key)), []byte(s.Key))
	c := subtle.ConstantTimeCompare([]byte(first(secret)), []byte(s.Secret))
	return k&c == 1, hasKey || hasSecret
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (s *Server) write(w http.ResponseWriter, a answer, start time.Time) {
	env := envelope{Success: a.err == "", Error: a.err, Result: a.result, Elapsed: elapsedMS(start)}
	if a.code == 0 {
		a.code = http.StatusOK
	}
	b, err := json.Marshal(env)
	if err != nil {
		// Only a bug can get here: every field is a string or json.Number
		// the server built itself.
		a.code, b = http.StatusInternalServerError, []byte(`{"success":false,"elapsed":0,"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(a.code)
	_, _ = w.Write(b)
}

// writeProxyError answers as a proxy in front of the API would: an HTML
// body, not the API's JSON.
func writeProxyError(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, "<html><head><title>"+strconv.Itoa(code)+" "+http.StatusText(code)+
		"</title></head><body><h1>"+strconv.Itoa(code)+" "+http.StatusText(code)+"</h1></body></html>\n")
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2, a recorder): abort the response, which
		// net/http turns into a reset stream or a closed connection.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// spoil applies a fault that rewrites a successful answer.
func spoil(a *answer, f Fault) {
	switch res := a.result.(type) {
	case *wireCheckout:
		spoilCheckout(res, f)
	case *wirePage:
		for i := range res.Content {
			spoilCheckout(&res.Content[i], f)
		}
	}
}

func spoilCheckout(c *wireCheckout, f Fault) {
	switch f.kind {
	case faultWrongAmount:
		if m, err := pointcheckout.ParseMoney(c.Amount.String(), c.Currency); err == nil {
			one, _ := pointcheckout.NewMoney(1, c.Currency)
			if m, err = m.Add(one); err == nil {
				c.Amount = json.Number(m.Decimal())
			}
		}
	case faultWrongOrderID:
		c.OrderID += "-X"
	case faultWrongRequestID:
		c.RequestID += "-X"
	case faultWrongCheckoutID:
		c.ID.text = otherID(c.ID.text)
	case faultWrongCurrency:
		if c.Currency == "USD" {
			c.Currency = "EUR"
		} else {
			c.Currency = "USD"
		}
	case faultNumericID:
		c.ID.numeric = true
	case faultAmountDigits:
		for _, n := range []*json.Number{&c.Amount, &c.CashAmount, &c.TotalRefunded} {
			*n = json.Number(withDigits(n.String(), f.digits))
		}
	case faultRoundedAmount:
		for _, n := range []*json.Number{&c.Amount, &c.CashAmount, &c.TotalRefunded} {
			*n = json.Number(roundTwo(n.String()))
		}
	}
}

// withDigits writes the decimal d with exactly n fraction digits, adding
// zeros or dropping zeros; d is returned unchanged when dropping would
// drop a non-zero digit.
func withDigits(d string, n int) string {
	whole, frac, _ := strings.Cut(d, ".")
	if len(frac) > n {
		if strings.Trim(frac[n:], "0") != "" {
			return d
		}
		frac = frac[:n]
	}
	frac += strings.Repeat("0", n-len(frac))
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}

// roundTwo rounds the non-negative decimal d half up to two fraction
// digits; d is returned unchanged when it has two or fewer.
func roundTwo(d string) string {
	whole, frac, _ := strings.Cut(d, ".")
	if len(frac) <= 2 {
		return d
	}
	cents, err := strconv.ParseInt(whole+frac[:2], 10, 64)
	if err != nil {
		return d
	}
	if frac[2] >= '5' {
		cents++
	}
	out := strconv.FormatInt(cents, 10)
	if len(out) < 3 {
		out = strings.Repeat("0", 3-len(out)) + out
	}
	return out[:len(out)-2] + "." + out[len(out)-2:]
}

// otherID returns a different id of the same shape.
func otherID(id string) string {
	if id == "" {
		return "1"
	}
	last := id[len(id)-1]
	if last == '9' {
		return id[:len(id)-1] + "0"
	}
	return id[:len(id)-1] + string(last+1)
}

// create is POST checkout/web.
func (s *Server) create(r *http.Request, body []byte) answer {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return fail(http.StatusBadRequest, "Content-Type must be application/json")
	}
	req, probs := parseCreate(body)
	if len(probs) > 0 {
		return fail(http.StatusBadRequest, probs.message())
	}
	s.mu.Lock()
	defer s.unlock()
	if _, dup := s.byRequest[req.requestID]; dup {
		return fail(http.StatusBadRequest, "Duplicate requestId: a checkout with this requestId already exists")
	}
	now := s.now()
	zero, _ := pointcheckout.NewMoney(0, req.amount.Currency())
	c := &checkout{
		id:        s.newID(),
		displayID: newDisplayID(),
		key:       randomHex(24),
		requestID: req.requestID, orderID: req.orderID,
		amount: req.amount, refunded: zero,
		status:    pointcheckout.StatusPending,
		returnURL: req.returnURL,
		customer:  req.customer, billing: req.billing, delivery: req.delivery,
		branchID: req.branchID,
		created:  now, updated: now,
		body: slices.Clone(body),
	}
	s.byID[c.id] = c
	s.byKey[c.key] = c
	s.byRequest[c.requestID] = c
	s.all = append(s.all, c)
	s.dirty = true
	if s.cfg.logger != nil {
		s.cfg.logger.Info("pointcheckouttest: checkout created", "checkout", c.id, "order", c.orderID, "amount", c.amount)
	}
	w := s.wire(c)
	return answer{result: &w}
}

// newID returns a fresh 19-digit checkout id. The caller holds s.mu.
func (s *Server) newID() string {
	for {
		id := strconv.FormatInt(1_000_000_000_000_000_000+rand.Int64N(8_000_000_000_000_000_000), 10)
		if _, taken := s.byID[id]; !taken {
			return id
		}
	}
}

// newDisplayID returns a short human-readable reference like "QS3IM5".
func newDisplayID() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 6)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

// lookup finds a checkout by id with time applied. The caller holds s.mu.
func (s *Server) lookup(id string) (*checkout, bool) {
	c, ok := s.byID[id]
	if ok {
		s.refresh(c, s.now())
	}
	return c, ok
}

// get is GET checkout/{id}.
func (s *Server) get(r *http.Request, _ []byte) answer {
	s.mu.Lock()
	defer s.unlock()
	c, ok := s.lookup(r.PathValue("id"))
	if !ok {
		return fail(http.StatusBadRequest, msgNotFound)
	}
	w := s.wire(c)
	return answer{result: &w}
}

// find is GET checkout: search by requestId, orderId, status and type,
// newest first, paged (page from 0, size 20 by default).
func (s *Server) find(r *http.Request, _ []byte) answer {
	q := r.URL.Query()
	page, size := 0, 20
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fail(http.StatusBadRequest, "page parameter must be a non-negative integer")
		}
		page = n
	}
	if v := q.Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fail(http.StatusBadRequest, msgPageSize)
		}
		size = min(n, 1000)
	}
	var statuses []pointcheckout.Status
	// The description says "comma separated", the parameter's schema says
	// an array, which a query spells by repeating the name: both are read.
	for _, v := range q["status"] {
		for _, part := range strings.Split(v, ",") {
			if part == "" {
				continue
			}
			st := pointcheckout.ParseStatus(part)
			if st == pointcheckout.StatusUnknown {
				return fail(http.StatusBadRequest, "unknown checkout status in status parameter")
			}
			statuses = append(statuses, st)
		}
	}
	typ := q.Get("type")
	switch typ {
	case "", "WEB", "QR", "MOBILE", "LINK", "TERMINAL":
	default:
		return fail(http.StatusBadRequest, "unknown checkout type")
	}
	reqID, orderID := q.Get("requestId"), q.Get("orderId")

	s.mu.Lock()
	defer s.unlock()
	now := s.now()
	var match []*checkout
	if typ == "" || typ == "WEB" {
		for i := len(s.all) - 1; i >= 0; i-- {
			c := s.all[i]
			if (reqID != "" && c.requestID != reqID) || (orderID != "" && c.orderID != orderID) {
				continue
			}
			s.refresh(c, now)
			if len(statuses) > 0 && !slices.Contains(statuses, c.status) {
				continue
			}
			match = append(match, c)
		}
	}
	res := &wirePage{Page: page, Size: size, TotalElements: int64(len(match)), Content: []wireCheckout{}}
	res.TotalPages = (len(match) + size - 1) / size
	if from := page * size; page < res.TotalPages && from >= 0 {
		for _, c := range match[from:min(from+size, len(match))] {
			res.Content = append(res.Content, s.wire(c))
		}
	}
	return answer{result: res}
}

// cancel is POST checkout/{id}/cancel: a PENDING or AUTHORIZED checkout
// becomes CANCELLED.
func (s *Server) cancel(r *http.Request, _ []byte) answer {
	s.mu.Lock()
	defer s.unlock()
	c, ok := s.lookup(r.PathValue("id"))
	if !ok {
		return fail(http.StatusBadRequest, msgNotFound)
	}
	if c.status != pointcheckout.StatusPending && c.status != pointcheckout.StatusAuthorized {
		return fail(http.StatusBadRequest, "Checkout cannot be cancelled in status "+s.spell(c.status))
	}
	s.setStatus(c, pointcheckout.StatusCancelled, s.now())
	w := s.wire(c)
	return answer{result: &w}
}

// refund is POST checkout/{id}/refund: a PAID or PARTIALLY_REFUNDED
// checkout gives back part or all of what is left. The documents put
// amount, currency, note and referenceId in the query; the official PHP
// SDK puts note in the query and the rest in a JSON body. Both are read.
func (s *Server) refund(r *http.Request, body []byte) answer {
	q, probs := refundParams(r.URL.Query(), body)
	if len(probs) > 0 {
		return fail(http.StatusBadRequest, probs.message())
	}
	amountText, cur, note := q.amount, q.currency, q.note

	s.mu.Lock()
	defer s.unlock()
	c, ok := s.lookup(r.PathValue("id"))
	if !ok {
		return fail(http.StatusBadRequest, msgNotFound)
	}
	if cur != c.amount.Currency() {
		return fail(http.StatusBadRequest, "currency does not match the checkout currency "+c.amount.Currency())
	}
	amt, err := pointcheckout.ParseMoney(amountText, cur)
	if err == nil && q.bodyAmount != "" && q.bodyAmount != amountText {
		// Both places carry an amount: they must be the same amount.
		if other, err2 := pointcheckout.ParseMoney(q.bodyAmount, cur); err2 != nil || other != amt {
			return fail(http.StatusBadRequest, "amount in the query and amount in the body disagree")
		}
	}
	if err != nil || amt.Minor() == 0 {
		exp, _ := pointcheckout.CurrencyExponent(cur)
		return fail(http.StatusBadRequest, "amount must be a positive amount with at most "+strconv.Itoa(exp)+" decimals in "+cur)
	}
	if c.status != pointcheckout.StatusPaid && c.status != pointcheckout.StatusPartiallyRefunded {
		return fail(http.StatusBadRequest, "Checkout cannot be refunded in status "+s.spell(c.status))
	}
	total, err := c.refunded.Add(amt)
	if err != nil || total.Minor() > c.amount.Minor() {
		return fail(http.StatusBadRequest, "Refund amount exceeds the amount left to refund")
	}
	now := s.now()
	s.dirty = true
	c.refunded = total
	c.refunds = append(c.refunds, Refund{Amount: amt, Note: note, ReferenceID: q.referenceID, At: now})
	if total == c.amount {
		s.setStatus(c, pointcheckout.StatusRefunded, now)
	} else {
		s.setStatus(c, pointcheckout.StatusPartiallyRefunded, now)
	}
	w := s.wire(c)
	return answer{result: &w}
}

// refundQuery is what a refund request asks for, from its query or body.
type refundQuery struct {
	amount, currency, note, referenceID string
	// bodyAmount is the body's amount when the query has one too; the
	// two must be the same amount in the checkout's currency.
	bodyAmount string
}

// refundParams reads a refund's parameters from the query and from an
// optional JSON body (amount as a number or a string, currency, note,
// referenceId; other members, such as the SDK's checkoutId and nulls, are
// ignored). The query's note wins over the body's: the SDK writes the same
// note in both, but without URL-encoding it in the query, so the two
// differ for a note holding "+" or "&". Every other value present in both
// places must agree.
func refundParams(query url.Values, body []byte) (refundQuery, problems) {
	var p problems
	q := refundQuery{
		amount: query.Get("amount"), currency: query.Get("currency"),
		note: query.Get("note"), referenceID: query.Get("referenceId"),
	}
	if len(bytes.TrimSpace(body)) > 0 {
		o, ok := decodeObject(body)
		if !ok {
			p = append(p, "request body must be a JSON object")
			return q, p
		}
		if raw, present := field(o, "amount"); present {
			n, ok := number(raw)
			switch {
			case !ok:
				p.add("amount", "must be a number")
			case q.amount == "":
				q.amount = n.String()
			default:
				q.bodyAmount = n.String()
			}
		}
		for _, f := range []struct {
			key   string
			value *string
			agree bool
		}{{"currency", &q.currency, true}, {"note", &q.note, false}, {"referenceId", &q.referenceID, true}} {
			v := p.text(o, "", f.key, false)
			switch {
			case v == "":
			case *f.value == "":
				*f.value = v
			case f.agree && v != *f.value:
				p.add(f.key, "in the query and "+f.key+" in the body disagree")
			}
		}
	}
	if q.amount == "" {
		p.add("amount", "is required")
	}
	if q.currency == "" {
		p.add("currency", "is required")
	} else if _, ok := pointcheckout.CurrencyExponent(q.currency); !ok {
		p.add("currency", "must be an ISO 4217 currency code")
	}
	if strings.TrimSpace(q.note) == "" {
		p.add("note", "is required")
	}
	return q, p
}
