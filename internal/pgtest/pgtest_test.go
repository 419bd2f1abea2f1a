package pgtest

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestStartStop(t *testing.T) {
	if os.Getenv(EnvURL) != "" {
		t.Setenv(EnvURL, "") // this test is about the throwaway cluster
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	s, err := Start(ctx, dir)
	if err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname() != "127.0.0.1" || u.Port() != strconv.Itoa(s.Port) || u.User.Username() != "postgres" {
		t.Errorf("URL %s: want postgres@127.0.0.1:%d", s.URL, s.Port)
	}
	c, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err != nil {
		t.Fatalf("server not listening: %v", err)
	}
	c.Close()
	if _, err := os.Stat(filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(s.Port))); err != nil {
		t.Errorf("no socket in the cluster's directory: %v", err)
	}
	if got := s.Database("shop"); got != "postgres://postgres@"+u.Host+"/shop?sslmode=disable" {
		t.Errorf("Database: %s", got)
	}

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	default:
		t.Error("postgres still running after Stop")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("directory left behind: %v", err)
	}
	if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		c.Close()
		t.Error("port still answers after Stop")
	}
}

func TestNewUsesEnvURL(t *testing.T) {
	const external = "postgres://u:p@127.0.0.1:1/db?sslmode=disable"
	t.Setenv(EnvURL, external)
	s := New(t)
	if s.URL != external || s.Dir != "" {
		t.Errorf("New = %+v, want the server of %s", s, EnvURL)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("Stop of an external server: %v", err)
	}
}

func TestStartRefusesUnreachableDirAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Log("not root: the directory check applies only to root")
		if _, err := runAs(t.TempDir()); err != nil {
			t.Fatal(err)
		}
		return
	}
	// t.TempDir's parent is private to root, so user postgres cannot reach it.
	_, err := Start(context.Background(), t.TempDir())
	if err == nil {
		t.Fatal("Start in a directory user postgres cannot reach: no error")
	}
	t.Log(err)
}

func TestVersionOrder(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want float64
	}{
		{"/usr/lib/postgresql/15/bin", 15},
		{"/usr/lib/postgresql/9.6/bin", 9.6},
		{"/usr/lib/postgresql/x/bin", 0},
	} {
		if got := version(tc.dir); got != tc.want {
			t.Errorf("version(%s) = %v, want %v", tc.dir, got, tc.want)
		}
	}
}

func TestSharedStartsOnceAndStops(t *testing.T) {
	if os.Getenv(EnvURL) != "" {
		t.Setenv(EnvURL, "") // this test is about the throwaway cluster
	}
	var sh Shared
	if err := sh.Stop(); err != nil {
		t.Fatalf("Stop before any URL: %v", err)
	}
	first := sh.URL(t)
	if again := sh.URL(t); again != first {
		t.Errorf("second URL %s, want the first server's %s", again, first)
	}
	u, err := url.Parse(first)
	if err != nil {
		t.Fatal(err)
	}
	if got := sh.Database(t, "shop"); got != "postgres://postgres@"+u.Host+"/shop?sslmode=disable" {
		t.Errorf("Database: %s", got)
	}
	c, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err != nil {
		t.Fatalf("server not listening: %v", err)
	}
	c.Close()
	dir := sh.srv.Dir
	if err := sh.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("directory left behind: %v", err)
	}
}

func TestSharedUsesEnvURL(t *testing.T) {
	const external = "postgres://u:p@127.0.0.1:1/db?sslmode=disable"
	t.Setenv(EnvURL, external)
	var sh Shared
	if got := sh.URL(t); got != external {
		t.Errorf("URL = %s, want %s", got, external)
	}
	if err := sh.Stop(); err != nil {
		t.Errorf("Stop of an external server: %v", err)
	}
}
