// Package pgtest starts throwaway PostgreSQL servers for tests and local
// clusters: initdb into a directory, postgres on a free loopback port and a
// socket in that directory, and everything removed again on Stop. It uses the
// server binaries installed on the machine (Debian: apt-get install
// postgresql), found in PATH or else in /usr/lib/postgresql/*/bin.
//
// When the environment variable named by EnvURL holds a URL, [New] uses that
// server instead of starting one.
//
// The server trusts every local connection and runs without fsync: it is for
// data nobody needs after the run.
package pgtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvURL names the environment variable that may hold the URL of a
// PostgreSQL server to use instead of a throwaway one, for example
// postgres://user:password@127.0.0.1:5432/postgres?sslmode=disable.
const EnvURL = "POINTCHECKOUT_TEST_POSTGRES"

// ErrNotInstalled reports that no PostgreSQL server binaries were found.
var ErrNotInstalled = errors.New("pgtest: PostgreSQL server binaries (initdb, postgres) not found in PATH or /usr/lib/postgresql/*/bin; " +
	"install them (Debian: apt-get install postgresql) or set " + EnvURL + " to the URL of a server")

// Server is a PostgreSQL server for a test: one Start launched, or the one
// EnvURL names.
type Server struct {
	// URL connects to the postgres database as the superuser postgres,
	// over TCP on 127.0.0.1.
	URL string
	// Dir holds the cluster: data/, the socket and postgres.log. It is
	// empty for a server named by EnvURL.
	Dir string
	// Port is the loopback TCP port; 0 for a server named by EnvURL.
	Port int

	cmd  *exec.Cmd
	done chan struct{} // closed when the postgres process has exited
}

// startTimeout bounds initdb plus the server's start.
const startTimeout = 2 * time.Minute

// New returns a server for tb: the one EnvURL names, else a throwaway
// cluster in a new temporary directory, stopped and removed when tb ends.
// A missing PostgreSQL fails tb with a message saying how to install it.
func New(tb testing.TB) *Server {
	tb.Helper()
	s, err := open()
	if err != nil {
		tb.Fatalf("%v", err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("%v", err)
		}
	})
	return s
}

// open returns the server EnvURL names, else a throwaway cluster started in
// a new temporary directory (removed again if the start fails).
func open() (*Server, error) {
	if u := os.Getenv(EnvURL); u != "" {
		return &Server{URL: u}, nil
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	s, err := Start(ctx, dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// Shared is one server for every test of a package's run, started on the
// first URL call; TestMain stops it after m.Run. The zero value is ready to
// use.
type Shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// URL returns the shared server's URL: the one EnvURL names, else a
// throwaway cluster started on first use. A missing PostgreSQL fails tb
// (never skips it) with a message saying how to install it.
func (sh *Shared) URL(tb testing.TB) string {
	tb.Helper()
	sh.once.Do(func() { sh.srv, sh.err = open() })
	if sh.err != nil {
		tb.Fatalf("PostgreSQL is needed for these tests: %v", sh.err)
	}
	return sh.srv.URL
}

// Database returns the URL of database name on the shared server (see
// Server.Database), starting the server as URL does.
func (sh *Shared) Database(tb testing.TB, name string) string {
	tb.Helper()
	sh.URL(tb)
	return sh.srv.Database(name)
}

// Stop stops the server if URL started one.
func (sh *Shared) Stop() error {
	if sh.srv == nil {
		return nil
	}
	return sh.srv.Stop()
}

// Start creates a cluster in dir (which must exist and be empty, or hold
// nothing the cluster needs) and starts postgres on a free port of
// 127.0.0.1 and on a Unix socket in dir. It returns when the server accepts
// connections. ctx bounds the start only; the server runs until Stop.
//
// postgres refuses to run as root: when the caller is root, initdb and
// postgres run as the OS user postgres, which then owns dir, and every
// directory above dir must let that user through (a directory made by
// os.MkdirTemp("", ...) does).
func Start(ctx context.Context, dir string) (*Server, error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	cred, err := runAs(dir)
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Env = pgEnv()
	cred.apply(initdb)
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgtest: initdb in %s: %w\n%s", data, err, tail(out))
	}
	// The port is chosen free and then handed to postgres, so another
	// process may take it in between: try a few.
	var lastErr error
	for range 3 {
		s, err := launch(ctx, bin, dir, cred)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	return nil, lastErr
}

// errPortTaken reports that postgres could not bind the chosen port.
var errPortTaken = errors.New("pgtest: port taken")

// launch starts postgres on the cluster in dir and waits until it is ready.
func launch(ctx context.Context, bin, dir string, cred credential) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"),
		"-D", filepath.Join(dir, "data"),
		"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-k", dir,
		// A throwaway cluster: nothing needs to survive a crash.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200")
	cmd.Env = pgEnv()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cred.apply(cmd)
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("pgtest: start postgres: %w", err)
	}
	s := &Server{
		URL:  (&url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Path: "/postgres", RawQuery: "sslmode=disable"}).String(),
		Dir:  dir,
		Port: port,
		cmd:  cmd,
		done: make(chan struct{}),
	}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx, logPath); err != nil {
		s.kill()
		return nil, err
	}
	return s, nil
}

// waitReady waits until postmaster.pid says "ready" (PostgreSQL 10 and
// later write the state on its eighth line) and the port answers.
func (s *Server) waitReady(ctx context.Context, logPath string) error {
	pidFile := filepath.Join(s.Dir, "data", "postmaster.pid")
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if b, err := os.ReadFile(pidFile); err == nil {
			lines := strings.Split(string(b), "\n")
			if len(lines) > 7 && strings.TrimSpace(lines[7]) == "ready" {
				if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)), time.Second); err == nil {
					c.Close()
					return nil
				}
			}
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(logPath)
			if bytes.Contains(log, []byte("could not bind")) || bytes.Contains(log, []byte("already in use")) {
				return fmt.Errorf("%w: %d", errPortTaken, s.Port)
			}
			return fmt.Errorf("pgtest: postgres exited during start:\n%s", tail(log))
		case <-ctx.Done():
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("pgtest: postgres not ready: %w\n%s", ctx.Err(), tail(log))
		case <-t.C:
		}
	}
}

// Stop shuts a started server down (by its process id: SIGINT, PostgreSQL's
// fast shutdown, then SIGKILL if it takes more than 10 seconds) and removes
// its directory. It does nothing to a server named by EnvURL.
func (s *Server) Stop() error {
	if s.cmd == nil {
		return nil
	}
	s.kill()
	if err := os.RemoveAll(s.Dir); err != nil {
		return fmt.Errorf("pgtest: remove %s: %w", s.Dir, err)
	}
	return nil
}

// kill stops the postgres process and waits for it.
func (s *Server) kill() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
		return
	case <-time.After(10 * time.Second):
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// Database returns URL with another database name, for a database made with
// CREATE DATABASE.
func (s *Server) Database(name string) string {
	u, err := url.Parse(s.URL)
	if err != nil {
		return s.URL
	}
	u.Path = "/" + name
	return u.String()
}

// findBinDir returns the directory holding initdb and postgres: initdb's in
// PATH (symbolic links resolved, so postgres comes from the same release),
// else the newest /usr/lib/postgresql/<version>/bin.
func findBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if isExecutable(filepath.Join(filepath.Dir(p), "postgres")) {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", ErrNotInstalled
}

// version reads the major version from /usr/lib/postgresql/<version>/bin.
func version(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// freePort returns a loopback TCP port nobody listened on a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// pgEnv is the environment for initdb and postgres: the caller's, without
// the libpq variables that could point them elsewhere, in the C locale.
func pgEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_") && !strings.HasPrefix(kv, "LANG=") {
			env = append(env, kv)
		}
	}
	return append(env, "LC_ALL=C", "LANG=C")
}

// tail returns the last lines of a log, enough to see why a start failed.
func tail(b []byte) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
