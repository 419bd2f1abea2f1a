package pointcheckout

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAPIErrorIs(t *testing.T) {
	tests := []struct {
		code                                     int
		msg                                      string
		notFound, unauthorized, bad, unavailable bool
	}{
		{400, "Checkout not found for API merchant", true, false, true, false},
		{400, "CHECKOUT NOT FOUND", true, false, true, false},
		{400, "Invalid currency", false, false, true, false},
		{400, "", false, false, true, false},
		{404, "", true, false, true, false},
		{422, "amount must be positive", false, false, true, false},
		{401, "Invalid API key", false, true, false, false},
		{403, "", false, true, false, false},
		{409, "duplicate requestId", false, false, true, false},
		{429, "", false, false, false, true},
		{500, "", false, false, false, true},
		{502, "<html>Bad Gateway</html>", false, false, false, true},
		{503, "", false, false, false, true},
		{504, "", false, false, false, true},
		{0, "connection refused", false, false, false, true},
		{200, "success false without an error", false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.code)+" "+tt.msg, func(t *testing.T) {
			e := &APIError{Op: "get checkout", StatusCode: tt.code, Message: tt.msg}
			// Through one and two layers of wrapping, as a caller sees it.
			for _, err := range []error{e, fmt.Errorf("order 7: %w", e), fmt.Errorf("reconcile: %w", fmt.Errorf("get: %w", e))} {
				assert.Equal(t, tt.notFound, errors.Is(err, ErrNotFound), "ErrNotFound")
				assert.Equal(t, tt.unauthorized, errors.Is(err, ErrUnauthorized), "ErrUnauthorized")
				assert.Equal(t, tt.bad, errors.Is(err, ErrBadRequest), "ErrBadRequest")
				assert.Equal(t, tt.unavailable, errors.Is(err, ErrUnavailable), "ErrUnavailable")
				assert.False(t, errors.Is(err, ErrInvalidRequest), "ErrInvalidRequest is for local refusals")
				assert.False(t, errors.Is(err, ErrInvalidAmount))
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				assert.Same(t, e, ae)
			}
			assert.Equal(t, tt.unavailable, errors.Is(e, ErrUnavailable))
		})
	}
}

func TestAPIErrorMessage(t *testing.T) {
	tests := []struct {
		e    APIError
		want string
	}{
		{APIError{Op: "get checkout", StatusCode: 400, Message: "Checkout not found for API merchant"},
			"pointcheckout: get checkout: HTTP 400: Checkout not found for API merchant"},
		{APIError{Op: "create web checkout", StatusCode: 503},
			"pointcheckout: create web checkout: HTTP 503: Service Unavailable"},
		{APIError{Op: "get checkout", StatusCode: 0},
			"pointcheckout: get checkout: HTTP 0: no answer"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.e.Error())
	}
}

func TestValidationErrorMessage(t *testing.T) {
	e := &ValidationError{Fields: []FieldError{
		{Field: "amount", Problem: "must be greater than zero"},
		{Field: "items[0].name", Problem: "required"},
	}}
	assert.Equal(t, "pointcheckout: invalid request: amount: must be greater than zero; items[0].name: required", e.Error())
	assert.ErrorIs(t, fmt.Errorf("create: %w", e), ErrInvalidRequest)
	for _, other := range []error{ErrBadRequest, ErrNotFound, ErrUnavailable, ErrUnauthorized} {
		assert.NotErrorIs(t, e, other)
	}
}
