package faultserver

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// ProxyRequest is what a Proxy was asked: the method and request URI
// ("CONNECT target.test:443", "GET http://via-proxy.test/x") and the
// Proxy-Authorization header sent with it.
type ProxyRequest struct {
	Line string
	Auth string
}

// Proxy is an HTTP proxy on 127.0.0.1 for tests. A CONNECT to any name
// opens a tunnel to 127.0.0.1 at the requested port (Go never proxies
// loopback targets, so tests name theirs, e.g. target.test), or is refused
// with the status given to NewProxy when it is not 0. A plain proxied
// request is answered by the proxy itself: 200, body "from proxy".
type Proxy struct {
	ln     net.Listener
	refuse int

	mu    sync.Mutex
	seen  []ProxyRequest
	conns []net.Conn
	wg    sync.WaitGroup
}

// NewProxy starts a Proxy; t.Cleanup closes it and its tunnels and waits
// for every goroutine it started.
func NewProxy(t testing.TB, refuse int) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("faultserver: listen: %v", err)
	}
	p := &Proxy{ln: ln, refuse: refuse}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.track(c)
			p.wg.Go(func() { p.serve(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL is the proxy's http URL, with userinfo ("user:password") when not
// empty.
func (p *Proxy) URL(userinfo string) *url.URL {
	u := &url.URL{Scheme: "http", Host: p.Addr()}
	if user, pw, ok := strings.Cut(userinfo, ":"); ok {
		u.User = url.UserPassword(user, pw)
	}
	return u
}

// Requests returns what the proxy was asked so far, in order.
func (p *Proxy) Requests() []ProxyRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ProxyRequest(nil), p.seen...)
}

func (p *Proxy) track(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = append(p.conns, c)
}

func (p *Proxy) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
		p.mu.Lock()
		p.seen = append(p.seen, ProxyRequest{Line: req.Method + " " + req.RequestURI, Auth: req.Header.Get("Proxy-Authorization")})
		p.mu.Unlock()
		switch {
		case req.Method != http.MethodConnect:
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfrom proxy"); err != nil {
				return
			}
			continue
		case p.refuse != 0:
			fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", p.refuse, http.StatusText(p.refuse))
			return
		}
		p.tunnel(c, br, req.RequestURI)
		return
	}
}

// tunnel connects c to 127.0.0.1 at the port of authority and copies both
// ways until either side closes.
func (p *Proxy) tunnel(c net.Conn, br *bufio.Reader, authority string) {
	_, port, err := net.SplitHostPort(authority)
	if err != nil {
		return
	}
	up, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	p.track(up)
	defer up.Close()
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	// Both copies go through plain readers and writers: TCP to TCP
	// (bufio.Reader hands its source on) would splice, with pipes from a
	// pool that only the GC empties, which a leak check would count.
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(struct{ io.Writer }{c}, struct{ io.Reader }{up})
		c.Close()
	}()
	io.Copy(struct{ io.Writer }{up}, struct{ io.Reader }{br})
	up.Close()
	<-done
}
