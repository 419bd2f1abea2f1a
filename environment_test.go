package pointcheckout_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/pointcheckout-go/pointcheckout"
)

func TestEnvironmentPresets(t *testing.T) {
	testHosts := []string{"pay.test.paymennt.com", "pay.test.pointcheckout.com"}
	liveHosts := []string{"pay.paymennt.com", "pay.pointcheckout.com"}
	tests := []struct {
		name, base string
		hosts      []string
		env        func() pc.Environment
		live       bool
	}{
		{"paymennt-test", "https://api.test.paymennt.com/mer/v2.0/", testHosts, pc.PaymenntTestEnvironment, false},
		{"paymennt-live", "https://api.paymennt.com/mer/v2.0/", liveHosts, pc.PaymenntLiveEnvironment, true},
		{"test", "https://api.test.pointcheckout.com/mer/v2.0/", testHosts, pc.TestEnvironment, false},
		{"live", "https://api.pointcheckout.com/mer/v2.0/", liveHosts, pc.LiveEnvironment, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := pc.Environment{Name: tt.name, BaseURL: tt.base, PaymentHosts: tt.hosts, Live: tt.live}
			got := tt.env()
			assert.Equal(t, want, got)
			named, err := pc.EnvironmentNamed(tt.name)
			require.NoError(t, err)
			assert.Equal(t, want, named)

			// Each call returns a fresh value: changing one changes no other.
			got.PaymentHosts[0] = "evil.example"
			assert.Equal(t, want, tt.env())
		})
	}
	for _, name := range []string{"", "custom", "TEST", "prod", "sandbox"} {
		_, err := pc.EnvironmentNamed(name)
		assert.Error(t, err, "EnvironmentNamed(%q)", name)
	}
}

func TestCustomEnvironment(t *testing.T) {
	tests := []struct {
		in, base, host string
		wantErr        bool
	}{
		{in: "http://127.0.0.1:8080/mer/v2.0", base: "http://127.0.0.1:8080/mer/v2.0/", host: "127.0.0.1:8080"},
		{in: "http://127.0.0.1:8080/mer/v2.0/", base: "http://127.0.0.1:8080/mer/v2.0/", host: "127.0.0.1:8080"},
		{in: "https://localhost", base: "https://localhost/", host: "localhost"},
		{in: "", wantErr: true},
		{in: "/mer/v2.0/", wantErr: true},
		{in: "localhost:8080/mer", wantErr: true},
		{in: "ftp://localhost/", wantErr: true},
		{in: "http:///path", wantErr: true},
		{in: "http://user:pw@localhost/", wantErr: true},
		{in: "http://localhost/mer?x=1", wantErr: true},
		{in: "http://localhost/mer#frag", wantErr: true},
		{in: "http://local host/", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			env, err := pc.CustomEnvironment(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, pc.Environment{Name: "custom", BaseURL: tt.base, PaymentHosts: []string{tt.host}}, env)
		})
	}
}

func TestNewClientFillsEnvironmentDefaults(t *testing.T) {
	c := newTestClient(t, pc.Environment{BaseURL: "http://127.0.0.1:9/api"}, nil)
	env := c.Environment()
	assert.Equal(t, pc.Environment{Name: "custom", BaseURL: "http://127.0.0.1:9/api/", PaymentHosts: []string{"127.0.0.1:9"}}, env)
	env.PaymentHosts[0] = "evil.example"
	assert.Equal(t, []string{"127.0.0.1:9"}, c.Environment().PaymentHosts)
}
