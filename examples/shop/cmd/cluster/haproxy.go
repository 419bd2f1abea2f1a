//go:build linux

package main

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"time"
)

// haproxyConfig is the load balancer: round robin over the instances,
// request by request, with no stickiness of any kind. An instance that
// stops answering its health check (every 500ms, 2s to answer) is taken
// out after three failures and put back after one success; a request whose connection to
// an instance cannot be made is sent to another, but a request an instance
// received is never sent twice. The admin socket lets Cluster.Route take
// instances out of the rotation.
func haproxyConfig(addr, socket string, instances []*Instance) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
	maxconn 4096
	stats socket %s mode 600 level admin

defaults
	mode http
	timeout connect 2s
	timeout client 60s
	timeout server 60s
	timeout http-keep-alive 10s
	timeout check 2s
	option forwardfor
	option redispatch 1
	retries 3
	retry-on conn-failure

frontend shop
	bind %s
	default_backend shops

backend shops
	balance roundrobin
	option httpchk
	http-check send meth GET uri /static/shop.css ver HTTP/1.1 hdr Host %s
	http-check expect status 200
	default-server check inter 500ms fall 3 rise 1
`, socket, addr, addr)
	for _, in := range instances {
		fmt.Fprintf(&b, "\tserver %s %s\n", in.Name, in.Addr)
	}
	return b.String()
}

// haproxyCommand sends one command to HAProxy's admin socket and returns
// its answer.
func haproxyCommand(socket, command string) (string, error) {
	conn, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(conn, "%s\n", command); err != nil {
		return "", err
	}
	var out strings.Builder
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
	}
	return strings.TrimSpace(out.String()), sc.Err()
}
