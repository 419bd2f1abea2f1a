package pointcheckouttest

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
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

// authorized checks the key and secret headers in constant time.
func (s *Server) authorized(r *http.Request) bool {
	key := r.Header.Get(s.cfg.keyHeader)
	secret := r.Header.Get(s.cfg.secretHeader)
	k := subtle.ConstantTimeCompare([]byte(key), []byte(s.Key))
	c := subtle.ConstantTimeCompare([]byte(secret), []byte(s.Secret))
	return k&c == 1
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

// spoil applies a Wrong* fault to a successful answer.
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
		c.ID = otherID(c.ID)
	case faultWrongCurrency:
		if c.Currency == "USD" {
			c.Currency = "EUR"
		} else {
			c.Currency = "USD"
		}
	}
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

// refund is POST checkout/{id}/refund?amount=&currency=&note=: a PAID or
// PARTIALLY_REFUNDED checkout gives back part or all of what is left.
func (s *Server) refund(r *http.Request, _ []byte) answer {
	q := r.URL.Query()
	var probs problems
	amountText, cur, note := q.Get("amount"), q.Get("currency"), q.Get("note")
	if amountText == "" {
		probs.add("amount", "is required")
	}
	if cur == "" {
		probs.add("currency", "is required")
	} else if _, ok := pointcheckout.CurrencyExponent(cur); !ok {
		probs.add("currency", "must be an ISO 4217 currency code")
	}
	if strings.TrimSpace(note) == "" {
		probs.add("note", "is required")
	}
	if len(probs) > 0 {
		return fail(http.StatusBadRequest, probs.message())
	}

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
	if err != nil || amt.IsZero() {
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
	c.refunded = total
	c.refunds = append(c.refunds, Refund{Amount: amt, Note: note, ReferenceID: q.Get("referenceId"), At: now})
	if total == c.amount {
		s.setStatus(c, pointcheckout.StatusRefunded, now)
	} else {
		s.setStatus(c, pointcheckout.StatusPartiallyRefunded, now)
	}
	w := s.wire(c)
	return answer{result: &w}
}
