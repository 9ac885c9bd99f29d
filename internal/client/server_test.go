package client

import (
	"bufio"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

// rawServer is a TCP server on 127.0.0.1 whose handler writes whatever
// bytes a test needs, malformed ones included.
type rawServer struct {
	t        *testing.T
	ln       net.Listener
	conns    atomic.Int64 // connections accepted
	requests atomic.Int64 // requests read by readRequest

	mu   sync.Mutex
	open []net.Conn
	wg   sync.WaitGroup
}

// newRawServer serves each connection with handle, in its own goroutine.
// Cleanup closes the listener and every connection and waits for the
// handlers.
func newRawServer(t *testing.T, handle func(s *rawServer, c net.Conn, br *bufio.Reader)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &rawServer{t: t, ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			s.mu.Lock()
			s.open = append(s.open, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				handle(s, c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.open {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) url() string { return "http://" + s.ln.Addr().String() }

// readRequest reads one request with its body; false when the client is
// gone.
func (s *rawServer) readRequest(br *bufio.Reader) bool {
	req, err := http.ReadRequest(br)
	if err != nil {
		return false
	}
	if _, err := io.Copy(io.Discard, req.Body); err != nil {
		return false
	}
	s.requests.Add(1)
	return true
}

// canned answers every request on a connection with resp; with closeAfter
// it closes the connection after the first answer.
func canned(resp string, closeAfter bool) func(*rawServer, net.Conn, *bufio.Reader) {
	return func(s *rawServer, c net.Conn, br *bufio.Reader) {
		for s.readRequest(br) {
			if _, err := io.WriteString(c, resp); err != nil || closeAfter {
				return
			}
		}
	}
}

// hang reads requests and never answers; each read request is announced
// on got when got is not nil.
func hang(got chan<- struct{}) func(*rawServer, net.Conn, *bufio.Reader) {
	return func(s *rawServer, c net.Conn, br *bufio.Reader) {
		for s.readRequest(br) {
			if got != nil {
				got <- struct{}{}
			}
		}
	}
}

// countingServer is an httptest server that counts the connections it
// accepted.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			n.Add(1)
		}
	}
	srv.Config.ErrorLog = discardLog()
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &n
}

// newTestClient builds a Client for tests; it fails the test on error.
func newTestClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	if cfg.Proxy == nil {
		cfg.Proxy = noProxy
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// noProxy keeps tests independent of the environment's proxy settings.
func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

// get returns a one-endpoint GET config for url.
func get(url string) Config {
	return Config{Endpoints: []Endpoint{{URL: url}}, Timeout: 5 * time.Second}
}

// do runs one request and returns the outcome.
func do(c Conn, ep int) Outcome {
	var out Outcome
	c.Do(ep, &out)
	return out
}

// checkOK fails the test unless out completed with status want.
func checkOK(t *testing.T, out Outcome, want int) {
	t.Helper()
	if out.Kind != results.KindNone || out.Status != want {
		t.Fatalf("got status %d kind %v (err %v), want status %d kind none", out.Status, out.Kind, out.Err, want)
	}
}

// discardLog silences a test server's complaints about the clients that
// tests make misbehave.
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
