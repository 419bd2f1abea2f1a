package pointcheckout_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pointcheckout-go/pointcheckout/internal/shoptest"
)

func TestMiddlewarePassesOtherRoutes(t *testing.T) {
	s := shoptest.New(t, shoptest.Options{})
	got := s.Browser().Get(s.URL + "/products/1")
	assert.Equal(t, http.StatusOK, got.Status)
	assert.Equal(t, "/products/1 no result\n", got.Body)

	rec := s.Browser().Get(s.URL + "/payments")
	assert.Equal(t, "/payments no result\n", rec.Body, "a path that only starts with the prefix is the shop's")
}
