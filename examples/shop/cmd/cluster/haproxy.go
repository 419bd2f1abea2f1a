//go:build linux

package main

import (
	"fmt"
	"strings"
)

// haproxyConfig is the load balancer: round robin over the instances,
// request by request, with no stickiness of any kind. An instance that
// stops answering its health check (every 500ms) is taken out after two
// failures and put back after one success; a request whose connection to
// an instance cannot be made is sent to another, but a request an instance
// received is never sent twice.
func haproxyConfig(addr string, instances []*Instance) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
	maxconn 4096

defaults
	mode http
	timeout connect 2s
	timeout client 60s
	timeout server 60s
	timeout http-keep-alive 10s
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
	default-server check inter 500ms fall 2 rise 1
`, addr, addr)
	for _, in := range instances {
		fmt.Fprintf(&b, "\tserver %s %s\n", in.Name, in.Addr)
	}
	return b.String()
}
