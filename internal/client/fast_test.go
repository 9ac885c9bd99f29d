package client

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

func TestFastPathBodies(t *testing.T) {
	tests := []struct {
		name       string
		resp       string
		closeAfter bool // the server closes after one response
		status     int
		reuse      bool // the second request rides the first one's connection
	}{
		{
			name:   "content-length",
			resp:   "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
			status: 200, reuse: true,
		},
		{
			name:   "chunked with trailer",
			resp:   "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
			status: 201, reuse: true,
		},
		{
			name:       "close-delimited",
			resp:       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end",
			closeAfter: true, status: 200,
		},
		{
			name:       "HTTP/1.0 without keep-alive",
			resp:       "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
			closeAfter: true, status: 200,
		},
		{
			name:   "HTTP/1.0 with keep-alive",
			resp:   "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
			status: 200, reuse: true,
		},
		{
			name:   "informational responses skipped",
			resp:   "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
			status: 200, reuse: true,
		},
		{
			name:       "server asks to close",
			resp:       "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
			closeAfter: true, status: 200,
		},
		{
			name:   "not modified has no body",
			resp:   "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n",
			status: 304, reuse: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, canned(tt.resp, tt.closeAfter))
			c := newTestClient(t, get(srv.url()))
			conn := c.NewConn()
			defer conn.Close()
			for i := range 2 {
				out := do(conn, 0)
				checkOK(t, out, tt.status)
				if got, want := out.BytesIn, int64(len(tt.resp)); got != want {
					t.Errorf("request %d: got BytesIn %d, want %d", i, got, want)
				}
				if got, want := out.NewConn, i == 0 || !tt.reuse; got != want {
					t.Errorf("request %d: got NewConn %v, want %v", i, got, want)
				}
				if out.BytesOut == 0 || out.FirstByte < out.Sent || out.Done < out.FirstByte {
					t.Errorf("request %d: got BytesOut %d, Sent %v, FirstByte %v, Done %v: want bytes out and ordered times",
						i, out.BytesOut, out.Sent, out.FirstByte, out.Done)
				}
			}
			wantConns := int64(1)
			if !tt.reuse {
				wantConns = 2
			}
			if got := srv.conns.Load(); got != wantConns {
				t.Errorf("got %d connections, want %d", got, wantConns)
			}
		})
	}
}

func TestKeepAliveReuse(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello")
	})
	c := newTestClient(t, get(srv.URL))
	conn := c.NewConn()
	defer conn.Close()
	const n = 5
	for i := range n {
		out := do(conn, 0)
		checkOK(t, out, 200)
		if got, want := out.NewConn, i == 0; got != want {
			t.Errorf("request %d: got NewConn %v, want %v", i, got, want)
		}
		if i == 0 && (out.Connect <= 0 || out.DNS != 0 || out.TLS != 0) {
			t.Errorf("first request: got Connect %v, DNS %v, TLS %v, want Connect > 0 and no DNS or TLS for an IP literal",
				out.Connect, out.DNS, out.TLS)
		}
		if i > 0 && (out.Connect != 0 || out.Sent != out.Start) {
			t.Errorf("request %d: got Connect %v, Sent-Start %v, want 0 on a reused connection", i, out.Connect, out.Sent-out.Start)
		}
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("got %d connections for %d requests, want 1", got, n)
	}
}

func TestNoKeepAlive(t *testing.T) {
	var sawClose sync.Map
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		sawClose.Store(r.Close, true)
		fmt.Fprint(w, "hello")
	})
	cfg := get(srv.URL)
	cfg.NoKeepAlive = true
	c := newTestClient(t, cfg)
	conn := c.NewConn()
	defer conn.Close()
	const n = 4
	for i := range n {
		out := do(conn, 0)
		checkOK(t, out, 200)
		if !out.NewConn {
			t.Errorf("request %d: got NewConn false, want true", i)
		}
	}
	if got := conns.Load(); got != n {
		t.Errorf("got %d connections, want %d", got, n)
	}
	if _, ok := sawClose.Load(false); ok {
		t.Errorf("got a request without Connection: close, want all with it")
	}
}

func TestServerConnectionClose(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		fmt.Fprint(w, "bye")
	})
	c := newTestClient(t, get(srv.URL))
	conn := c.NewConn()
	defer conn.Close()
	for i := range 3 {
		out := do(conn, 0)
		checkOK(t, out, 200)
		if !out.NewConn {
			t.Errorf("request %d: got NewConn false, want true after the server's Connection: close", i)
		}
	}
	if got := conns.Load(); got != 3 {
		t.Errorf("got %d connections, want 3", got)
	}
}

func TestNoBodyResponses(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/empty" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Length", "11")
		fmt.Fprint(w, "hello world")
	})
	c := newTestClient(t, Config{Endpoints: []Endpoint{
		{URL: srv.URL + "/empty"},
		{Method: http.MethodHead, URL: srv.URL + "/doc"},
		{URL: srv.URL + "/doc"},
	}})
	conn := c.NewConn()
	defer conn.Close()
	for _, tt := range []struct {
		ep, status int
	}{{0, 204}, {1, 200}, {2, 200}, {1, 200}, {0, 204}} {
		out := do(conn, tt.ep)
		checkOK(t, out, tt.status)
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("got %d connections, want 1: a bodiless response must leave the connection in sync", got)
	}
}

func TestTimeout(t *testing.T) {
	srv := newRawServer(t, hang(nil))
	cfg := get(srv.url())
	cfg.Timeout = 150 * time.Millisecond
	c := newTestClient(t, cfg)
	conn := c.NewConn()
	defer conn.Close()
	out := do(conn, 0)
	if out.Kind != results.KindTimeout {
		t.Fatalf("got kind %v (err %v), want timeout", out.Kind, out.Err)
	}
	if took := out.Done - out.Start; took < cfg.Timeout || took > cfg.Timeout+5*time.Second {
		t.Errorf("got a timeout after %v, want about %v", took, cfg.Timeout)
	}
	if out.Status != 0 || out.FirstByte != 0 {
		t.Errorf("got status %d, first byte %v, want none", out.Status, out.FirstByte)
	}
}

func TestConnectionErrors(t *testing.T) {
	closedPort := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}
	reset := func(t *testing.T) string {
		return newRawServer(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
			s.readRequest(br)
			c.(*net.TCPConn).SetLinger(0)
		}).url()
	}
	hangUp := func(t *testing.T) string {
		return newRawServer(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
			s.readRequest(br)
		}).url()
	}
	respond := func(resp string) func(t *testing.T) string {
		return func(t *testing.T) string { return newRawServer(t, canned(resp, true)).url() }
	}
	tests := []struct {
		name   string
		url    func(t *testing.T) string
		kind   results.ErrKind
		status int
	}{
		{"refused", closedPort, results.KindConnRefused, 0},
		{"reset", reset, results.KindConnReset, 0},
		{"closed before response", hangUp, results.KindConnClosed, 0},
		{"truncated body", respond("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"), results.KindConnClosed, 200},
		{"truncated headers", respond("HTTP/1.1 200 OK\r\nContent-Len"), results.KindConnClosed, 200},
		{"garbage status line", respond("SSH-2.0-OpenSSH_9.6\r\n\r\n"), results.KindProtocol, 0},
		{"bad content length", respond("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), results.KindProtocol, 200},
		{"bad chunk size", respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), results.KindProtocol, 200},
		{"header section too large", respond("HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 70<<10) + "\r\n\r\n"), results.KindProtocol, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, get(tt.url(t)))
			conn := c.NewConn()
			defer conn.Close()
			out := do(conn, 0)
			if out.Kind != tt.kind || out.Status != tt.status {
				t.Errorf("got kind %v status %d (err %v), want kind %v status %d", out.Kind, out.Status, out.Err, tt.kind, tt.status)
			}
			if out.Done < out.Start {
				t.Errorf("got Done %v before Start %v", out.Done, out.Start)
			}
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	big := strings.Repeat("x", 200)
	tests := []struct {
		name string
		resp string
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n" + big},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + big[:100] + "\r\n64\r\n" + big[:100] + "\r\n0\r\n\r\n"},
		{"close-delimited", "HTTP/1.1 200 OK\r\n\r\n" + big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, canned(tt.resp, false))
			cfg := get(srv.url())
			cfg.MaxBody = 150
			c := newTestClient(t, cfg)
			conn := c.NewConn()
			defer conn.Close()
			for i := range 2 {
				out := do(conn, 0)
				if out.Kind != results.KindBodyTooLarge || out.Status != 200 {
					t.Fatalf("request %d: got kind %v status %d (err %v), want body_too_large status 200", i, out.Kind, out.Status, out.Err)
				}
				if !out.NewConn {
					t.Errorf("request %d: got NewConn false, want a new connection after an oversized body", i)
				}
			}
		})
	}
}

// TestNoSilentRetry checks that a request on a reused connection the server
// has given up on fails, and only the next request dials again.
func TestNoSilentRetry(t *testing.T) {
	tests := []struct {
		name string
		// handle serves one connection; closed is signalled once the
		// server dropped it.
		handle func(closed chan<- struct{}) func(*rawServer, net.Conn, *bufio.Reader)
		kinds  []results.ErrKind
	}{
		{
			name: "closed between requests",
			handle: func(closed chan<- struct{}) func(*rawServer, net.Conn, *bufio.Reader) {
				return func(s *rawServer, c net.Conn, br *bufio.Reader) {
					if s.readRequest(br) {
						io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
					}
					c.Close()
					closed <- struct{}{}
				}
			},
			kinds: []results.ErrKind{results.KindEOFReusedConn},
		},
		{
			name: "closed after reading the next request",
			handle: func(closed chan<- struct{}) func(*rawServer, net.Conn, *bufio.Reader) {
				return func(s *rawServer, c net.Conn, br *bufio.Reader) {
					if s.readRequest(br) {
						io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
					}
					s.readRequest(br)
					c.Close()
					closed <- struct{}{}
				}
			},
			kinds: []results.ErrKind{results.KindEOFReusedConn},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			closed := make(chan struct{}, 4)
			srv := newRawServer(t, tt.handle(closed))
			c := newTestClient(t, get(srv.url()))
			conn := c.NewConn()
			defer conn.Close()

			checkOK(t, do(conn, 0), 200)
			if tt.name == "closed between requests" {
				<-closed
			}
			out := do(conn, 0)
			if !slices.Contains(tt.kinds, out.Kind) || out.NewConn {
				t.Fatalf("got kind %v (err %v) NewConn %v, want one of %v on the reused connection", out.Kind, out.Err, out.NewConn, tt.kinds)
			}
			out = do(conn, 0)
			checkOK(t, out, 200)
			if !out.NewConn {
				t.Errorf("got NewConn false after a failed connection, want true")
			}
			if got := srv.conns.Load(); got != 2 {
				t.Errorf("got %d connections, want 2 (no retry)", got)
			}
		})
	}
}

func TestCloseAbortsDo(t *testing.T) {
	tests := []struct {
		name   string
		scheme string
		handle func(got chan<- struct{}) func(*rawServer, net.Conn, *bufio.Reader)
	}{
		{"waiting for the response", "http", hang},
		{"during the TLS handshake", "https", func(got chan<- struct{}) func(*rawServer, net.Conn, *bufio.Reader) {
			return func(s *rawServer, c net.Conn, br *bufio.Reader) {
				got <- struct{}{}
				io.Copy(io.Discard, br) // swallow the ClientHello, never answer
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan struct{}, 1)
			srv := newRawServer(t, tt.handle(got))
			c := newTestClient(t, get(strings.Replace(srv.url(), "http", tt.scheme, 1)))
			conn := c.NewConn()

			done := make(chan Outcome)
			go func() { done <- do(conn, 0) }()
			<-got
			if err := conn.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			out := <-done
			if out.Kind != results.KindCanceled {
				t.Fatalf("got kind %v (err %v), want canceled", out.Kind, out.Err)
			}
			out = do(conn, 0)
			if out.Kind != results.KindCanceled || out.NewConn {
				t.Errorf("after Close: got kind %v NewConn %v, want canceled without a dial", out.Kind, out.NewConn)
			}
			if n := srv.conns.Load(); n != 1 {
				t.Errorf("got %d connections, want 1", n)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "secure")
	}))
	srv.Config.ErrorLog = discardLog()
	srv.StartTLS()
	defer srv.Close()

	c := newTestClient(t, get(srv.URL))
	conn := c.NewConn()
	out := do(conn, 0)
	conn.Close()
	if out.Kind != results.KindTLS {
		t.Errorf("verified: got kind %v (err %v), want tls (unknown authority)", out.Kind, out.Err)
	}

	cfg := get(srv.URL)
	cfg.Insecure = true
	c = newTestClient(t, cfg)
	conn = c.NewConn()
	defer conn.Close()
	out = do(conn, 0)
	checkOK(t, out, 200)
	if !out.NewConn || out.TLS <= 0 || out.Connect <= 0 {
		t.Errorf("first request: got NewConn %v TLS %v Connect %v, want a timed new connection", out.NewConn, out.TLS, out.Connect)
	}
	out = do(conn, 0)
	checkOK(t, out, 200)
	if out.NewConn {
		t.Errorf("second request: got NewConn true, want the TLS connection reused")
	}
}

func TestLocalhostDNS(t *testing.T) {
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	c := newTestClient(t, get(fmt.Sprintf("http://localhost:%d/", port)))
	conn := c.NewConn()
	defer conn.Close()
	out := do(conn, 0)
	checkOK(t, out, 200)
	if !out.NewConn || out.DNS <= 0 || out.Connect <= 0 {
		t.Errorf("got NewConn %v DNS %v Connect %v, want all measured", out.NewConn, out.DNS, out.Connect)
	}
}

func TestRequestSent(t *testing.T) {
	type seen struct {
		method, uri, host, ua, auth, custom, body string
		length                                    int64
	}
	got := make(chan seen, 1)
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		user, pw, _ := r.BasicAuth()
		got <- seen{r.Method, r.RequestURI, r.Host, r.UserAgent(), user + ":" + pw, r.Header.Get("X-Custom"), string(b), r.ContentLength}
	})
	u := strings.Replace(srv.URL, "http://", "http://alice:s3cret@", 1) + "/p/a?q=1#frag"
	c := newTestClient(t, Config{Endpoints: []Endpoint{{
		Method: http.MethodPost,
		URL:    u,
		Header: http.Header{"X-Custom": {"v"}, "Host": {"example.test"}},
		Body:   []byte(`{"a":1}`),
	}}})
	conn := c.NewConn()
	defer conn.Close()
	out := do(conn, 0)
	checkOK(t, out, 200)
	s := <-got
	want := seen{"POST", "/p/a?q=1", "example.test", "perfkit/", "alice:s3cret", "v", `{"a":1}`, 7}
	if !strings.HasPrefix(s.ua, want.ua) {
		t.Errorf("got User-Agent %q, want prefix %q", s.ua, want.ua)
	}
	s.ua = want.ua
	if s != want {
		t.Errorf("got %+v, want %+v", s, want)
	}
	if out.BytesOut != int64(len(c.eps[0].req)) {
		t.Errorf("got BytesOut %d, want %d", out.BytesOut, len(c.eps[0].req))
	}
}

func TestSeveralOrigins(t *testing.T) {
	a, aConns := countingServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "a") })
	b, bConns := countingServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "bb") })
	c := newTestClient(t, Config{Endpoints: []Endpoint{{URL: a.URL + "/x"}, {URL: b.URL}, {URL: a.URL + "/y"}}})
	conn := c.NewConn()
	defer conn.Close()
	for i := range 6 {
		checkOK(t, do(conn, i%3), 200)
	}
	if aConns.Load() != 1 || bConns.Load() != 1 {
		t.Errorf("got %d and %d connections, want 1 per origin", aConns.Load(), bConns.Load())
	}
}

// TestFastPathZeroAlloc holds the fast path's central promise: a
// keep-alive request allocates nothing. The httptest server runs in a child
// process, since AllocsPerRun counts every allocation in this one.
func TestFastPathZeroAlloc(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	url := externalServer(t)
	c := newTestClient(t, Config{Endpoints: []Endpoint{
		{URL: url + "/length"},
		{URL: url + "/chunked"},
		{Method: http.MethodPost, URL: url + "/post", Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"k":"v"}`)},
	}})
	conn := c.NewConn()
	defer conn.Close()
	for ep, name := range []string{"content-length", "chunked", "post"} {
		t.Run(name, func(t *testing.T) {
			var out Outcome
			conn.Do(ep, &out) // warm: dial and buffers
			checkOK(t, out, 200)
			allocs := testing.AllocsPerRun(200, func() {
				conn.Do(ep, &out)
				if out.Kind != results.KindNone || out.NewConn {
					t.Fatalf("got kind %v (err %v) NewConn %v, want a completed keep-alive request", out.Kind, out.Err, out.NewConn)
				}
			})
			if allocs != 0 {
				t.Errorf("got %v allocations per request, want 0", allocs)
			}
		})
	}
}
