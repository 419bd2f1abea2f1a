package specconformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"

	"github.com/pointcheckout-go/pointcheckout/pointcheckouttest"
)

// specFile locates one of the OpenAPI documents in the module's testdata
// (generated from the official ones by go generate; see doc.go). A missing
// document fails the test: the suite never passes by checking nothing.
func specFile(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join("testdata", name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("OpenAPI document %s is missing (run go generate in specconformance): %v", path, err)
	}
	return path
}

// spec is a loaded OpenAPI document, routed to one sandbox, twice: as
// published for requests, and with the nulls the sandbox writes allowed
// for answers (see nullInAnswers).
type spec struct {
	name    string
	doc     *openapi3.T
	router  routers.Router
	answers routers.Router
}

// loadSpec loads an OpenAPI document for validating traffic to srv.
//
// Adjustments, all to the loaded copies only:
//   - Example validation is off (the generated documents carry no
//     examples anyway; the originals' examples break their own enums).
//   - The status and usedPaymentMethod enums are widened with the upper
//     case spellings (PAID, PARTIALLY_REFUNDED, CARD). The enums spell
//     statuses as words ("Paid", "Partially refunded"), but the live API,
//     the integration guides, the official SDKs and the documents' own
//     examples use upper case, which is what the sandbox answers by
//     default. Each enum value gains exactly one alternative spelling, so a
//     status the document does not know (CHARGEBACK against the older
//     document) is still refused.
//   - In the copy that checks answers only, the optional fields the
//     sandbox writes as null (nullInAnswers) are nullable.
//
// The document's servers are replaced by the sandbox's base URL so the
// router matches its requests.
func loadSpec(t *testing.T, file string, srv *pointcheckouttest.Server) *spec {
	t.Helper()
	load := func(nullable bool) (*openapi3.T, routers.Router) {
		doc, err := openapi3.NewLoader().LoadFromFile(specFile(t, file))
		require.NoError(t, err)
		widened := widenEnums(doc)
		require.Positive(t, widened, "no status enum found to widen in %s", file)
		if nullable {
			require.Positive(t, allowNulls(doc), "no optional field found to make nullable in %s", file)
		}
		require.NoError(t, doc.Validate(context.Background(), openapi3.DisableExamplesValidation()))
		doc.Servers = openapi3.Servers{{URL: strings.TrimSuffix(srv.BaseURL(), "/")}}
		router, err := gorillamux.NewRouter(doc)
		require.NoError(t, err)
		return doc, router
	}
	doc, router := load(false)
	_, answers := load(true)
	return &spec{name: file, doc: doc, router: router, answers: answers}
}

// nullInAnswers lists, per schema, the optional fields the sandbox answers
// as JSON null when it has no value for them, as the official PHP SDK
// expects them (it reads them as always present). The documents mark no
// field nullable, so this is the sandbox's one departure in the shape of
// its answers: exactly these fields, and only in answers. Any other null
// (an id, an amount, a status) is still refused.
var nullInAnswers = map[string][]string{
	"CheckoutResponse":          {"branchId", "branchName", "usedPaymentMethod", "deliveryAddress"},
	"ECommerceCheckoutResponse": {"branchId", "branchName", "usedPaymentMethod", "deliveryAddress"},
	"CheckoutCustomerResponse":  {"id", "reference", "phone"},
	"CheckoutAddress":           {"address2", "state", "zip"},
}

// allowNulls makes the fields of nullInAnswers nullable and returns how
// many it changed. A field given by reference ($ref) gets a nullable copy
// of its schema, since OpenAPI 3.0 ignores keywords beside a $ref.
func allowNulls(doc *openapi3.T) int {
	n := 0
	for name, fields := range nullInAnswers {
		ref := doc.Components.Schemas[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		for _, f := range fields {
			p := ref.Value.Properties[f]
			if p == nil || p.Value == nil {
				continue
			}
			cp := *p.Value
			cp.Nullable = true
			ref.Value.Properties[f] = &openapi3.SchemaRef{Value: &cp}
			n++
		}
	}
	return n
}

// widenEnums adds the upper-case spelling of every value of the status and
// usedPaymentMethod enums, and returns how many enums it changed.
func widenEnums(doc *openapi3.T) int {
	n := 0
	for _, ref := range doc.Components.Schemas {
		if ref.Value == nil {
			continue
		}
		for _, prop := range []string{"status", "usedPaymentMethod"} {
			p := ref.Value.Properties[prop]
			if p == nil || p.Value == nil || len(p.Value.Enum) == 0 {
				continue
			}
			enum := slices.Clone(p.Value.Enum)
			for _, v := range p.Value.Enum {
				if s, ok := v.(string); ok {
					up := strings.ToUpper(strings.ReplaceAll(s, " ", "_"))
					if !slices.Contains(enum, any(up)) {
						enum = append(enum, up)
					}
				}
			}
			p.Value.Enum = enum
			n++
		}
	}
	return n
}

// exchange is one validated request and answer.
type exchange struct {
	op     string
	status int
}

// validator is an http.RoundTripper that checks every exchange with the
// sandbox against the document: requests the sandbox accepted (2xx) must be
// valid requests, and every answer must match the response the document
// describes for its status. Statuses the document does not list (401 for
// bad credentials, 5xx from faults) must still carry the API's error
// envelope (GetCheckoutErrorResponse).
type validator struct {
	// errorf reports a mismatch; t.Errorf unless a test wants to see the
	// mismatches itself.
	errorf func(format string, args ...any)
	spec   *spec
	next   http.RoundTripper

	mu   sync.Mutex
	seen []exchange
	// requestErr records, per request, whether the document itself
	// considers the request valid, for tests that cross-check refusals.
	requestErr map[*http.Request]error
}

func newValidator(t *testing.T, sp *spec) *validator {
	return &validator{errorf: t.Errorf, spec: sp, next: http.DefaultTransport, requestErr: map[*http.Request]error{}}
}

func (v *validator) client() *http.Client { return &http.Client{Transport: v} }

func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme == nil || in.SecurityScheme.In != "header" {
		return errors.New("unexpected security scheme")
	}
	if in.RequestValidationInput.Request.Header.Get(in.SecurityScheme.Name) == "" {
		return fmt.Errorf("header %s missing", in.SecurityScheme.Name)
	}
	return nil
}

func (v *validator) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	res, err := v.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resBody, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	v.check(req, reqBody, res, resBody)
	return res, nil
}

func (v *validator) check(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) {
	ctx := context.Background()
	probe := req.Clone(ctx)
	probe.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := v.spec.router.FindRoute(probe)
	if err != nil {
		v.errorf("%s: %s %s is not an operation of the document: %v", v.spec.name, req.Method, req.URL.Path, err)
		return
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc: authenticate,
		MultiError:         true,
		// Check formats too: timestamp is a date-time.
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation()},
	}
	in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	v.mu.Lock()
	v.requestErr[req] = reqErr
	v.seen = append(v.seen, exchange{op: route.Operation.OperationID, status: res.StatusCode})
	v.mu.Unlock()
	if res.StatusCode/100 == 2 && reqErr != nil {
		v.errorf("%s: the sandbox accepted a request the document refuses: %s %s: %v\nbody: %s",
			v.spec.name, req.Method, req.URL.RequestURI(), reqErr, reqBody)
	}

	if route.Operation.Responses.Status(res.StatusCode) != nil {
		if err := v.spec.validateAnswer(req, reqBody, res.StatusCode, res.Header, resBody); err != nil {
			v.errorf("%s: answer to %s %s does not match the document: %v\nbody: %s",
				v.spec.name, req.Method, req.URL.RequestURI(), err, resBody)
		}
		return
	}
	// An undocumented status must still be the API's error envelope.
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		v.errorf("%s: HTTP %d answer to %s %s is %q, not JSON", v.spec.name, res.StatusCode, req.Method, req.URL.Path, ct)
		return
	}
	schema := v.spec.doc.Components.Schemas["GetCheckoutErrorResponse"].Value
	var body any
	if err := json.Unmarshal(resBody, &body); err != nil {
		v.errorf("%s: HTTP %d answer is not JSON: %v", v.spec.name, res.StatusCode, err)
		return
	}
	if err := schema.VisitJSON(body, openapi3.EnableFormatValidation()); err != nil {
		v.errorf("%s: HTTP %d answer is not the error envelope: %v\nbody: %s", v.spec.name, res.StatusCode, err, resBody)
	}
	m, _ := body.(map[string]any)
	if m["success"] != false || m["error"] == nil || m["error"] == "" {
		v.errorf("%s: HTTP %d answer lacks success:false and an error: %s", v.spec.name, res.StatusCode, resBody)
	}
}

// validateAnswer checks an answer with a documented status against the
// document's copy for answers.
func (sp *spec) validateAnswer(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	return validateResponse(sp.answers, req, reqBody, status, header, body)
}

// validateResponse checks an answer against the operation router finds
// for req.
func validateResponse(router routers.Router, req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	ctx := context.Background()
	probe := req.Clone(ctx)
	probe.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(probe)
	if err != nil {
		return err
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:      authenticate,
		MultiError:              true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation()},
	}
	in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route, Options: opts}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Options: opts}
	out.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(ctx, out)
}

// specRefuses reports whether the document itself considers req invalid.
func (v *validator) specRefuses(req *http.Request) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	err, ok := v.requestErr[req]
	return ok && err != nil
}

// covered returns the operation/status pairs seen so far.
func (v *validator) covered() map[exchange]bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := map[exchange]bool{}
	for _, e := range v.seen {
		out[e] = true
	}
	return out
}
