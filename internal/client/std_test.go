package client

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/perfkit/perfkit/internal/results"
)

// proxyTo sends every request to the server at raw, as an HTTP proxy.
// Test servers accept the absolute-form request target a proxy gets, so
// the origin can play its own proxy.
func proxyTo(t *testing.T, raw string) func(*http.Request) (*url.URL, error) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse proxy URL: %v", err)
	}
	return func(*http.Request) (*url.URL, error) { return u, nil }
}

func TestHTTP2(t *testing.T) {
	tests := []struct {
		name  string
		start func(*httptest.Server)
	}{
		{"h2 over TLS", func(s *httptest.Server) {
			s.EnableHTTP2 = true
			s.StartTLS()
		}},
		{"h2c prior knowledge", func(s *httptest.Server) {
			var p http.Protocols
			p.SetHTTP1(true)
			p.SetUnencryptedHTTP2(true)
			s.Config.Protocols = &p
			s.Start()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			protos := map[int]int{}
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				protos[r.ProtoMajor]++
				mu.Unlock()
				fmt.Fprint(w, "h2")
			}))
			srv.Config.ErrorLog = discardLog()
			tt.start(srv)
			defer srv.Close()

			cfg := get(srv.URL)
			cfg.HTTP2, cfg.Insecure = true, true
			c := newTestClient(t, cfg)
			defer c.CloseIdleConnections()
			// Two virtual users at once share the transport.
			var wg sync.WaitGroup
			outs := make([][3]Outcome, 2)
			for v := range outs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					conn := c.NewConn()
					defer conn.Close()
					for i := range outs[v] {
						conn.Do(0, &outs[v][i])
					}
				}()
			}
			wg.Wait()
			for v := range outs {
				for i, out := range outs[v] {
					checkOK(t, out, 200)
					if out.BytesIn < 2 || out.BytesOut == 0 || out.FirstByte < out.Sent || out.Done < out.FirstByte {
						t.Errorf("VU %d request %d: got BytesIn %d BytesOut %d Sent %v FirstByte %v Done %v, want bytes and ordered times",
							v, i, out.BytesIn, out.BytesOut, out.Sent, out.FirstByte, out.Done)
					}
				}
			}
			if got := protos[2]; got != 6 || len(protos) != 1 {
				t.Errorf("got requests by HTTP major version %v, want all 6 on HTTP/2", protos)
			}
		})
	}
}

func TestProxyPath(t *testing.T) {
	var mu sync.Mutex
	var targets []string
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		targets = append(targets, r.RequestURI)
		mu.Unlock()
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		fmt.Fprint(w, strings.Repeat("b", 100))
	})
	direct, directConns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	target := "http://origin.test"
	c := newTestClient(t, Config{
		Endpoints: []Endpoint{{URL: target + "/page"}, {URL: target + "/moved"}, {URL: direct.URL}},
		Proxy: func(r *http.Request) (*url.URL, error) {
			if r.URL.Host == "origin.test" {
				return url.Parse(srv.URL)
			}
			return nil, nil
		},
	})
	conn := c.NewConn()
	defer conn.Close()
	for i := range 3 {
		out := do(conn, 0)
		checkOK(t, out, 200)
		if got, want := out.NewConn, i == 0; got != want {
			t.Errorf("request %d: got NewConn %v, want %v", i, got, want)
		}
		if out.BytesIn < 100 {
			t.Errorf("request %d: got BytesIn %d, want at least the body's 100", i, out.BytesIn)
		}
	}
	checkOK(t, do(conn, 1), http.StatusFound)
	checkOK(t, do(conn, 2), 200)
	if got := conns.Load(); got != 1 {
		t.Errorf("got %d proxy connections, want 1 kept by the virtual user", got)
	}
	if got := directConns.Load(); got != 1 {
		t.Errorf("got %d direct connections, want 1", got)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{target + "/page", target + "/page", target + "/page", target + "/moved"}
	if strings.Join(targets, " ") != strings.Join(want, " ") {
		t.Errorf("got request targets %q, want %q (absolute form, redirect not followed)", targets, want)
	}
}

// TestStdNoRetry makes net/http want to retry: the server reads the second
// request on a connection and hangs up without answering. The request must
// fail, and no retried request may reach the server.
func TestStdNoRetry(t *testing.T) {
	srv := newRawServer(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
		if s.readRequest(br) {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
		s.readRequest(br)
	})
	for _, path := range []struct {
		name     string
		forceStd bool
	}{{"net/http", true}, {"fast", false}} {
		t.Run(path.name, func(t *testing.T) {
			before := srv.requests.Load()
			c, err := newClient(Config{Endpoints: []Endpoint{{URL: srv.url()}}, Proxy: noProxy}, path.forceStd)
			if err != nil {
				t.Fatalf("newClient: %v", err)
			}
			conn := c.NewConn()
			defer conn.Close()
			checkOK(t, do(conn, 0), 200)
			out := do(conn, 0)
			if out.Kind != results.KindEOFReusedConn {
				t.Fatalf("got kind %v (err %v), want eof_reused_conn", out.Kind, out.Err)
			}
			if got := srv.requests.Load() - before; got != 2 {
				t.Errorf("got %d requests at the server after 2 Do, want 2 (no retry)", got)
			}
			out = do(conn, 0)
			checkOK(t, out, 200)
			if !out.NewConn {
				t.Errorf("got NewConn false after the failure, want true")
			}
		})
	}
}

func TestStdFailures(t *testing.T) {
	big := "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + strings.Repeat("x", 500)
	tests := []struct {
		name   string
		handle func(*rawServer, net.Conn, *bufio.Reader)
		kind   results.ErrKind
		status int
	}{
		{"body too large", canned(big, false), results.KindBodyTooLarge, 200},
		{"garbage status line", canned("SSH-2.0-OpenSSH_9.6\r\n\r\n", true), results.KindProtocol, 0},
		{"reset", func(s *rawServer, c net.Conn, br *bufio.Reader) {
			s.readRequest(br)
			c.(*net.TCPConn).SetLinger(0)
		}, results.KindConnReset, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, tt.handle)
			cfg := get(srv.url())
			cfg.MaxBody = 100
			cfg.Proxy = noProxy
			c, err := newClient(cfg, true)
			if err != nil {
				t.Fatalf("newClient: %v", err)
			}
			conn := c.NewConn()
			defer conn.Close()
			out := do(conn, 0)
			if out.Kind != tt.kind || out.Status != tt.status {
				t.Errorf("got kind %v status %d (err %v), want kind %v status %d", out.Kind, out.Status, out.Err, tt.kind, tt.status)
			}
		})
	}
}

func TestStdCloseAbortsDo(t *testing.T) {
	got := make(chan struct{}, 1)
	srv := newRawServer(t, hang(got))
	c, err := newClient(Config{Endpoints: []Endpoint{{URL: srv.url()}}, Proxy: noProxy}, true)
	if err != nil {
		t.Fatalf("newClient: %v", err)
	}
	conn := c.NewConn()
	done := make(chan Outcome)
	go func() { done <- do(conn, 0) }()
	<-got
	if err := conn.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if out := <-done; out.Kind != results.KindCanceled {
		t.Errorf("got kind %v (err %v), want canceled", out.Kind, out.Err)
	}
	if out := do(conn, 0); out.Kind != results.KindCanceled {
		t.Errorf("after Close: got kind %v, want canceled", out.Kind)
	}
	if n := srv.conns.Load(); n != 1 {
		t.Errorf("got %d connections, want 1", n)
	}
}
