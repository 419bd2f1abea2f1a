//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL through database/sql, registered as "pgx"
	"github.com/pointcheckout-go/pointcheckout"
	"github.com/pointcheckout-go/pointcheckout/internal/pgtest"
)

// Options configure a cluster. The zero value is three instances, no
// faults, and a new temporary directory.
type Options struct {
	// Dir holds the binaries, the HAProxy configuration and every
	// process's log; a new temporary directory (removed by Stop) if empty.
	// PostgreSQL keeps its cluster in a temporary directory of its own.
	Dir string
	// Instances is how many shop instances run; default 3.
	Instances int
	// Addr is the load balancer's loopback address; default a free port
	// of 127.0.0.1.
	Addr string
	// FaultRate is the share of gateway API requests the sandbox fails
	// transiently (pointcheckout-sandbox -fault-rate).
	FaultRate float64
	// SweepEvery is the shops' sweep interval (SHOP_RECONCILE_EVERY);
	// default 10s.
	SweepEvery time.Duration
	// RateScale raises the shops' shop-wide request limits
	// (SHOP_RATE_LIMIT_SCALE); default 1.
	RateScale int
	// ShopBin and SandboxBin are prebuilt binaries of the shop and of
	// pointcheckout-sandbox; built into Dir if empty.
	ShopBin, SandboxBin string
	// Progress, if set, is told what the cluster is doing.
	Progress func(format string, args ...any)
}

// Cluster is a running cluster: PostgreSQL, the sandbox gateway, the shop
// instances and HAProxy in front of them, all on loopback.
type Cluster struct {
	// URL is the load balancer: the shop as shoppers see it.
	URL string
	// AdminPassword guards /admin on every instance (user "admin").
	AdminPassword string
	// GatewayURL is the sandbox's root; InspectURL serves its /checkouts
	// and /stats.
	GatewayURL, InspectURL string
	// DatabaseURL is the shops' PostgreSQL database.
	DatabaseURL string
	// Dir is the working directory (see Options.Dir).
	Dir string
	// Instances are the shop instances, in the load balancer's order.
	Instances []*Instance

	opts     Options
	tempDir  bool
	pg       *pgtest.Server
	sandbox  *process
	lb       *process
	lbSocket string   // HAProxy's admin socket
	env      []string // what every instance shares
}

// Instance is one shop instance.
type Instance struct {
	// Name is its SHOP_INSTANCE, shown in the X-Shop-Instance header.
	Name string
	// Addr is where it listens; Log is its log file (all its runs).
	Addr, Log string

	mu   sync.Mutex
	proc *process
}

// process is a child process, stopped by its process id.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start builds what it needs and starts the cluster. On error, everything
// started so far is stopped again.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	if opts.Instances <= 0 {
		opts.Instances = 3
	}
	if opts.SweepEvery <= 0 {
		opts.SweepEvery = 10 * time.Second
	}
	if opts.RateScale <= 0 {
		opts.RateScale = 1
	}
	if opts.Progress == nil {
		opts.Progress = func(string, ...any) {}
	}
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		return nil, errors.New("cluster: haproxy is not installed (Debian: apt-get install haproxy)")
	}
	c = &Cluster{opts: opts, Dir: opts.Dir}
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "shop-cluster-"); err != nil {
			return nil, err
		}
		c.tempDir = true
	}
	defer func() {
		if err != nil {
			_ = c.Stop()
			c = nil
		}
	}()
	if err := c.build(ctx); err != nil {
		return c, err
	}
	opts = c.opts

	opts.Progress("starting PostgreSQL")
	// A directory of its own, made by os.MkdirTemp, lets PostgreSQL's
	// user through when this runs as root (see pgtest.Start); Stop
	// removes it.
	pgDir, err := os.MkdirTemp("", "shop-cluster-postgres-")
	if err != nil {
		return c, err
	}
	if c.pg, err = pgtest.Start(ctx, pgDir); err != nil {
		return c, err
	}
	if c.DatabaseURL, err = createDatabase(ctx, c.pg, "shop"); err != nil {
		return c, err
	}

	lbAddr := opts.Addr
	if lbAddr == "" {
		if lbAddr, err = freeAddr(); err != nil {
			return c, err
		}
	}
	if host, _, err := net.SplitHostPort(lbAddr); err != nil || !isLoopback(host) {
		return c, fmt.Errorf("cluster: %q is not a loopback address", lbAddr)
	}
	c.URL = "http://" + lbAddr

	opts.Progress("starting the sandbox gateway")
	key, secret := "cluster", rand.Text()
	gwAddr, err := freeAddr()
	if err != nil {
		return c, err
	}
	inspectAddr, err := freeAddr()
	if err != nil {
		return c, err
	}
	c.GatewayURL, c.InspectURL = "http://"+gwAddr, "http://"+inspectAddr
	args := []string{"-addr", gwAddr, "-key", key, "-secret", secret,
		"-notify", c.URL + "/pay/notify", "-inspect", inspectAddr}
	if opts.FaultRate > 0 {
		args = append(args, "-fault-rate", strconv.FormatFloat(opts.FaultRate, 'f', -1, 64))
	}
	if c.sandbox, err = c.spawn("sandbox", opts.SandboxBin, args, nil, filepath.Join(c.Dir, "sandbox.log")); err != nil {
		return c, err
	}
	if err := waitHTTP(ctx, c.InspectURL+"/stats", "", c.sandbox); err != nil {
		return c, err
	}

	keys, err := pointcheckout.GenerateKeyPair()
	if err != nil {
		return c, err
	}
	c.AdminPassword = rand.Text()
	c.env = []string{
		"SHOP_BASE_URL=" + c.URL,
		"SHOP_DATABASE_URL=" + c.DatabaseURL,
		"SHOP_ADMIN_PASSWORD=" + c.AdminPassword,
		"POINTCHECKOUT_COOKIE_KEYS=" + keys.Encode(),
		"POINTCHECKOUT_ENV=custom",
		"POINTCHECKOUT_BASE_URL=" + c.GatewayURL + "/mer/v2.0/",
		"POINTCHECKOUT_API_KEY=" + key,
		"POINTCHECKOUT_API_SECRET=" + secret,
		// HAProxy on loopback names the client in X-Forwarded-For.
		"SHOP_TRUSTED_PROXIES=127.0.0.1",
		"SHOP_RECONCILE_EVERY=" + opts.SweepEvery.String(),
		"SHOP_RATE_LIMIT_SCALE=" + strconv.Itoa(opts.RateScale),
		"SHOP_TIMEZONE=UTC",
	}
	for i := range opts.Instances {
		addr, err := freeAddr()
		if err != nil {
			return c, err
		}
		name := fmt.Sprintf("shop-%d", i+1)
		c.Instances = append(c.Instances, &Instance{Name: name, Addr: addr, Log: filepath.Join(c.Dir, name+".log")})
	}
	opts.Progress("starting %d shop instances", len(c.Instances))
	for i := range c.Instances {
		if err := c.startInstance(i); err != nil {
			return c, err
		}
	}
	for _, in := range c.Instances {
		if err := waitHTTP(ctx, "http://"+in.Addr+"/static/shop.css", c.URL, in.process()); err != nil {
			return c, fmt.Errorf("%s: %w", in.Name, err)
		}
	}

	opts.Progress("starting HAProxy")
	cfg := filepath.Join(c.Dir, "haproxy.cfg")
	c.lbSocket = filepath.Join(c.Dir, "haproxy.sock")
	if err := os.WriteFile(cfg, []byte(haproxyConfig(lbAddr, c.lbSocket, c.Instances)), 0o644); err != nil {
		return c, err
	}
	if c.lb, err = c.spawn("haproxy", haproxy, []string{"-f", cfg, "-db"}, nil, filepath.Join(c.Dir, "haproxy.log")); err != nil {
		return c, err
	}
	if err := waitHTTP(ctx, c.URL+"/static/shop.css", c.URL, c.lb); err != nil {
		return c, fmt.Errorf("haproxy: %w", err)
	}
	return c, nil
}

// build builds the binaries Options does not name, into Dir.
func (c *Cluster) build(ctx context.Context) error {
	if c.opts.ShopBin != "" && c.opts.SandboxBin != "" {
		return nil
	}
	shopDir, err := shopModuleDir(ctx)
	if err != nil {
		return err
	}
	build := func(name, dir, pkg string) (string, error) {
		c.opts.Progress("building %s", name)
		out := filepath.Join(c.Dir, name)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("cluster: build %s: %w\n%s", name, err, b)
		}
		return out, nil
	}
	if c.opts.ShopBin == "" {
		if c.opts.ShopBin, err = build("shop", shopDir, "."); err != nil {
			return err
		}
	}
	if c.opts.SandboxBin == "" {
		if c.opts.SandboxBin, err = build("pointcheckout-sandbox", filepath.Join(shopDir, "..", ".."), "./cmd/pointcheckout-sandbox"); err != nil {
			return err
		}
	}
	return nil
}

// shopModuleDir finds the demo shop's module directory from the current
// one (the shop's directory or any below it).
func shopModuleDir(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("cluster: go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	b, err := os.ReadFile(mod)
	if err != nil || !strings.Contains(string(b), "module github.com/pointcheckout-go/pointcheckout/examples/shop\n") {
		return "", errors.New("cluster: run this from the demo shop's directory, examples/shop")
	}
	return filepath.Dir(mod), nil
}

// createDatabase creates a database on the server and returns its URL.
func createDatabase(ctx context.Context, s *pgtest.Server, name string) (string, error) {
	db, err := sql.Open("pgx", s.URL)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("cluster: create database: %w", err)
	}
	return s.Database(name), nil
}

// startInstance starts (or restarts) instance i; its log file grows.
func (c *Cluster) startInstance(i int) error {
	in := c.Instances[i]
	env := append([]string{"SHOP_ADDR=" + in.Addr, "SHOP_INSTANCE=" + in.Name}, c.env...)
	p, err := c.spawn(in.Name, c.opts.ShopBin, nil, env, in.Log)
	if err != nil {
		return err
	}
	in.mu.Lock()
	in.proc = p
	in.mu.Unlock()
	return nil
}

// Kill kills instance i with SIGKILL, as a crash would, and waits for it
// to be gone.
func (c *Cluster) Kill(i int) error {
	p := c.Instances[i].process()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-p.done
	return nil
}

// Restart starts instance i again and waits until it serves.
func (c *Cluster) Restart(ctx context.Context, i int) error {
	if err := c.startInstance(i); err != nil {
		return err
	}
	in := c.Instances[i]
	return waitHTTP(ctx, "http://"+in.Addr+"/static/shop.css", c.URL, in.process())
}

// Route keeps only the named instances in the load balancer's rotation
// and takes the others out (HAProxy maintenance), as a rolling deploy
// would; with no name every instance is back in.
func (c *Cluster) Route(names ...string) error {
	var routed []string
	for _, in := range c.Instances {
		state := "ready"
		if len(names) > 0 && !slices.Contains(names, in.Name) {
			state = "maint"
		} else {
			routed = append(routed, in.Name)
		}
		out, err := haproxyCommand(c.lbSocket, "set server shops/"+in.Name+" state "+state)
		if err != nil {
			return fmt.Errorf("cluster: haproxy: %w", err)
		}
		if out != "" {
			return fmt.Errorf("cluster: haproxy: set %s %s: %s", in.Name, state, out)
		}
	}
	return c.waitUp(routed, routeTimeout)
}

// routeTimeout bounds how long Route waits for HAProxy to see the routed
// instances answer their health check.
const routeTimeout = 30 * time.Second

// waitUp waits until HAProxy reports every named instance UP: an instance
// back from maintenance, or one a busy machine kept from answering a
// check, takes requests only then.
func (c *Cluster) waitUp(names []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		states, err := c.serverStates()
		if err != nil {
			return err
		}
		down := []string{}
		for _, name := range names {
			if !strings.HasPrefix(states[name], "UP") {
				down = append(down, name+" "+states[name])
			}
		}
		if len(down) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster: haproxy: not up after %s: %s", timeout, strings.Join(down, ", "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serverStates reads each instance's status (UP, DOWN, MAINT, ...) from
// HAProxy's statistics.
func (c *Cluster) serverStates() (map[string]string, error) {
	out, err := haproxyCommand(c.lbSocket, "show stat")
	if err != nil {
		return nil, fmt.Errorf("cluster: haproxy: %w", err)
	}
	states := map[string]string{}
	status := -1
	for line := range strings.Lines(out) {
		fields := strings.Split(strings.TrimSpace(line), ",")
		if strings.HasPrefix(line, "# ") {
			status = slices.Index(fields, "status")
			continue
		}
		if status > 0 && len(fields) > status && fields[0] == "shops" && fields[1] != "BACKEND" {
			states[fields[1]] = fields[status]
		}
	}
	if status < 0 {
		return nil, fmt.Errorf("cluster: haproxy: no status column in show stat: %.200q", out)
	}
	return states, nil
}

func (in *Instance) process() *process {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.proc
}

// Stop stops everything the cluster started, by process id: HAProxy, the
// instances, the sandbox (SIGTERM, then SIGKILL after 10s), PostgreSQL;
// and removes the directory it made.
func (c *Cluster) Stop() error {
	var errs []error
	procs := []*process{c.lb}
	for _, in := range c.Instances {
		procs = append(procs, in.process())
	}
	procs = append(procs, c.sandbox)
	for _, p := range procs {
		if p != nil {
			p.stop()
		}
	}
	if c.pg != nil {
		if err := c.pg.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.tempDir {
		errs = append(errs, os.RemoveAll(c.Dir))
	}
	return errors.Join(errs...)
}

// spawn starts a child process with its output appended to logPath. The
// child gets its own process group, so a terminal's Ctrl-C reaches only
// this program, which then stops it; and the kernel kills it if this
// program dies without stopping it.
func (c *Cluster) spawn(name, bin string, args, env []string, logPath string) (*process, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cluster: start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop ends the process: SIGTERM, then SIGKILL if it is still there after
// 10 seconds.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// waitHTTP waits until url answers 200, or p exits, or 60s pass. host,
// if set, is sent as the Host header.
func waitHTTP(ctx context.Context, url, host string, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if host != "" {
			req.Host = strings.TrimPrefix(host, "http://")
		}
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("cluster: %s exited (%v) before it served; see its log", p.name, p.err)
		case <-ctx.Done():
			return fmt.Errorf("cluster: %s did not answer %s in time", p.name, url)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// freeAddr returns a loopback address nobody listened on a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
