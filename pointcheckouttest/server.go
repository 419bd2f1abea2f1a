package pointcheckouttest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pointcheckout-go/pointcheckout"
)

// Server is an in-process PointCheckout: the Merchant API v2.0 under
// /mer/v2.0/ and the hosted payment page under /checkout/, on a loopback
// listener. Create one with [NewServer] (a random port, for tests) or
// [Start] (a fixed port). A Server is safe for concurrent use; it keeps all
// its state in memory and shares nothing with other servers.
type Server struct {
	// URL is the server's root, "http://127.0.0.1:port", with no trailing
	// slash. The API lives under URL+"/mer/v2.0/" ([Server.BaseURL]), the
	// payment page under URL+"/checkout/".
	URL string
	// Key and Secret are the credentials the API accepts: random per server
	// unless set with [WithCredentials].
	Key, Secret string

	cfg        config
	handler    http.Handler
	hs         *http.Server
	conns      atomic.Int64
	closed     chan struct{}
	once       sync.Once
	bg         sync.WaitGroup // notifications in flight
	sendMu     sync.Mutex
	sendClosed bool
	csrfKey    []byte
	cop        *http.CrossOriginProtection
	notify     *http.Client

	tmplOnce sync.Once
	tmpl     *template.Template

	mu        sync.Mutex
	byID      map[string]*checkout
	byKey     map[string]*checkout
	byRequest map[string]*checkout
	all       []*checkout
	requests  []Request
	faults    [numEndpoints][]faultSlot
	injected  map[string]int // faults served, by Fault.String
	notes     []note
	// dirty is set by every change the state file must keep.
	dirty bool
}

// NewServer starts a server on a random loopback port, like
// httptest.NewServer. It panics if it cannot listen or an option is
// invalid, which is a bug in the test that calls it. Close it when done.
func NewServer(opts ...Option) *Server {
	s, err := Start("127.0.0.1:0", opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Start starts a server listening on addr, which must be a loopback
// address such as "127.0.0.1:8089" or "localhost:0": the sandbox is never
// reachable from another machine.
func Start(addr string, opts ...Option) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("pointcheckouttest: address %q: %w", addr, err)
	}
	if !isLoopbackHost(host) {
		return nil, fmt.Errorf("pointcheckouttest: address %q is not a loopback address", addr)
	}
	s, err := newServer(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pointcheckouttest: listen: %w", err)
	}
	s.URL = "http://" + ln.Addr().String()
	s.hs = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.conns.Add(1)
			}
		},
	}
	go func() { _ = s.hs.Serve(ln) }()
	return s, nil
}

func newServer(opts []Option) (*Server, error) {
	cfg := newConfig(opts)
	if cfg.err != nil {
		return nil, cfg.err
	}
	s := &Server{
		cfg:       cfg,
		closed:    make(chan struct{}),
		byID:      make(map[string]*checkout),
		byKey:     make(map[string]*checkout),
		byRequest: make(map[string]*checkout),
		cop:       http.NewCrossOriginProtection(),
	}
	var r [48]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, err
	}
	s.Key, s.Secret = cfg.key, cfg.secret
	if s.Key == "" {
		s.Key = "sandbox_" + hex.EncodeToString(r[:8])
		s.Secret = "sandbox_secret_" + hex.EncodeToString(r[8:24])
	}
	s.csrfKey = r[24:]
	if cfg.stateFile != "" {
		if err := s.loadState(); err != nil {
			return nil, err
		}
		// Saved at once: generated credentials survive a restart, and an
		// unwritable path is found now rather than at the first change.
		s.dirty = true
		s.saveState()
		if s.dirty {
			return nil, fmt.Errorf("pointcheckouttest: cannot write the state file %s", cfg.stateFile)
		}
	}
	if cfg.notifyURL != "" {
		// Notifications go to the configured loopback URL only: no proxy
		// may intervene and no redirect may send them elsewhere.
		s.notify = &http.Client{
			Timeout:       5 * time.Second,
			Transport:     &http.Transport{Proxy: nil, MaxIdleConns: 4},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	s.handler = s.routes()
	return s, nil
}

// Close shuts the server down: it stops listening, closes every
// connection, ends pending Delay faults and waits for notifications in
// flight. Close is idempotent.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closed)
		s.sendMu.Lock()
		s.sendClosed = true
		s.sendMu.Unlock()
		if s.hs != nil {
			_ = s.hs.Close()
		}
		s.bg.Wait()
		if s.notify != nil {
			s.notify.CloseIdleConnections()
		}
	})
}

// Handler returns the server's HTTP handler, to mount it elsewhere or call
// it with httptest.NewRecorder. Links it builds (redirectUrl) still point at
// [Server.URL]. The DropConnection and DropAfterCommit faults need a
// connection to close; without one (a recorder, HTTP/2) they abort the
// handler with http.ErrAbortHandler.
func (s *Server) Handler() http.Handler { return s.handler }

// BaseURL returns the API's base URL, URL+"/mer/v2.0/".
func (s *Server) BaseURL() string { return s.URL + apiPrefix }

// ConnectionsOpened counts the TCP connections the server has accepted, so
// a load test can prove its client reuses connections.
func (s *Server) ConnectionsOpened() int64 { return s.conns.Load() }

// Environment describes the server as a pointcheckout.Environment: its base
// URL and the host of the redirectUrl it answers (its own, or the one
// [WithPaymentPageURL] set) as the only payment host.
func (s *Server) Environment() pointcheckout.Environment {
	host := strings.TrimPrefix(s.URL, "http://")
	if s.cfg.pageURL != "" {
		if u, err := url.Parse(s.cfg.pageURL); err == nil {
			host = u.Host
		}
	}
	return pointcheckout.Environment{
		Name:         "custom",
		BaseURL:      s.BaseURL(),
		PaymentHosts: []string{host},
	}
}

// Client returns a pointcheckout.Client configured for this server (its
// environment, key and secret). Each configure function may adjust the
// configuration first (timeouts, retries, an HTTP client). Client panics if
// pointcheckout.NewClient refuses the configuration, which can only be a
// bug in a configure function.
func (s *Server) Client(configure ...func(*pointcheckout.ClientConfig)) *pointcheckout.Client {
	cfg := pointcheckout.ClientConfig{
		Key:         s.Key,
		Secret:      pointcheckout.NewSecret(s.Secret),
		Environment: s.Environment(),
	}
	for _, f := range configure {
		f(&cfg)
	}
	c, err := pointcheckout.NewClient(cfg)
	if err != nil {
		panic(fmt.Errorf("pointcheckouttest: client for %s: %w", s.URL, err))
	}
	return c
}

// now reads the server's clock.
func (s *Server) now() time.Time { return s.cfg.now() }

// wait sleeps d of real time, or less if ctx ends or the server closes.
func (s *Server) wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-s.closed:
	}
}

// unlock saves the state file if something changed, releases s.mu and
// sends the notifications queued while it was held, so no network call
// ever happens under the lock.
func (s *Server) unlock() {
	s.saveState()
	notes := s.notes
	s.notes = nil
	s.mu.Unlock()
	for _, n := range notes {
		s.send(n)
	}
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails: crypto/rand aborts the program instead
	return hex.EncodeToString(b)
}
