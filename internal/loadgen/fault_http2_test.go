package loadgen

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/plan"
)

// h2cServer is an httptest server speaking HTTP/2 with prior knowledge
// (h2c) that counts the connections still open on its side. The raw
// servers of faultserver speak HTTP/1.1 only; net/http is the only HTTP/2
// server at hand, and its handlers can still reach the TCP connection.
type h2cServer struct {
	*httptest.Server
	open atomic.Int64
}

type tcpConnKey struct{}

func newH2CServer(t *testing.T, h http.HandlerFunc) *h2cServer {
	t.Helper()
	s := &h2cServer{}
	srv := httptest.NewUnstartedServer(h)
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	srv.Config.Protocols = &p
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		return context.WithValue(ctx, tcpConnKey{}, c.(*countedConn).Conn)
	}
	srv.Listener = &countingListener{Listener: srv.Listener, open: &s.open}
	srv.Start()
	s.Server = srv
	t.Cleanup(srv.Close)
	return s
}

// settle waits up to a second for every connection to close on the
// server's side, which happens when the client closes its end.
func (s *h2cServer) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for s.open.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := s.open.Load(); n > 0 {
		t.Errorf("the target still has %d HTTP/2 connections open after the run", n)
	}
}

type countingListener struct {
	net.Listener
	open *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.open.Add(1)
	return &countedConn{Conn: c, open: l.open}, nil
}

type countedConn struct {
	net.Conn
	once sync.Once
	open *atomic.Int64
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

// Rows 2 and 3 over HTTP/2 (--http2, through net/http): a hanging stream
// times out and a connection reset mid-body is a reset.
func TestFaultHTTP2(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration // 0 for faultPlan's
		want    string
		allowed []string
	}{
		{"ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "h2") }, 0, faultOK, nil},
		{"hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, 300 * time.Millisecond, "timeout", nil},
		{"reset mid-response", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "8192")
			w.Write(make([]byte, 4096))
			w.(http.Flusher).Flush()
			tcp := r.Context().Value(tcpConnKey{}).(*net.TCPConn)
			time.Sleep(20 * time.Millisecond)
			tcp.SetLinger(0)
			tcp.Close()
		}, 0, "connection_reset", []string{"connection_closed", "protocol"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			faultLeakCheck(t)
			srv := newH2CServer(t, tt.handler)
			p := faultPlan(srv.URL+"/", plan.Plan{Duration: 300 * time.Millisecond, Timeout: tt.timeout, HTTP2: true})
			run := faultRun(t, p, Options{})
			faultWantKinds(t, run, tt.want, tt.allowed...)
		})
	}
}

// The HTTP/2 connection that the VUs share must be closed when the run
// ends, as the HTTP/1.1 path closes each VU's: a library caller, perfkit
// run --count or perfkit ab would otherwise keep one connection and its
// read goroutine per run until the target hangs up.
func TestFaultHTTP2ClosesConnections(t *testing.T) {
	faultLeakCheck(t)
	srv := newH2CServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "h2") })
	run := faultRun(t, faultPlan(srv.URL+"/", plan.Plan{Duration: 300 * time.Millisecond, HTTP2: true}), Options{})
	faultWantKinds(t, run, faultOK)
	srv.settle(t)
}
