package faultserver

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// maxRequestHead bounds the request line and headers a server reads, so a
// broken client cannot make a test server buffer without end.
const maxRequestHead = 64 << 10

// Handler answers one request on c. Returning nil reads the next request
// on the same connection (what is left of this one's body is discarded
// first); returning an error closes the connection. A handler that waits
// must return once c.Stopped is closed or I/O on c fails, which Stop and
// Close arrange by closing the connection.
type Handler func(c *Conn, r *Request) error

// Request is the head of one request, as read off the wire.
type Request struct {
	Method string
	Target string // the request target as sent, e.g. "/x?y=1"
	// Header maps lower-cased field names to their values, in order.
	Header map[string][]string
	// ContentLength is the declared body length; 0 when absent.
	ContentLength int64
	// Body reads the request body (ContentLength bytes). What the handler
	// leaves unread is discarded before the next request.
	Body io.Reader
}

// Get returns the first value of the named header field, or "".
func (r *Request) Get(name string) string {
	if v := r.Header[strings.ToLower(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Conn is one accepted connection.
type Conn struct {
	net.Conn               // the connection requests arrive on: TLS for a TLS server
	Raw      *net.TCPConn  // the TCP connection beneath
	R        *bufio.Reader // buffered reads from Conn
	// Stopped is closed when the server stops; a handler that sleeps
	// selects on it.
	Stopped <-chan struct{}
}

// Sleep waits for d, or until the server stops; it reports whether the
// whole of d passed.
func (c *Conn) Sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.Stopped:
		return false
	}
}

// Reset aborts the connection with a TCP RST instead of a FIN: with
// SO_LINGER set to 0, close discards unsent data and resets.
func (c *Conn) Reset() error {
	if err := c.Raw.SetLinger(0); err != nil {
		return fmt.Errorf("set linger: %w", err)
	}
	return c.Raw.Close()
}

// errHangUp ends a connection after a handler said everything it meant to.
var errHangUp = errors.New("faultserver: handler closed the connection")

// Server is a loopback TCP server that hands every connection to a
// Handler. It can be stopped and restarted on the same port.
type Server struct {
	// URL is the base URL, "http://127.0.0.1:PORT" or https for TLS.
	URL string
	// Addr is "127.0.0.1:PORT"; it stays the same across Restart.
	Addr string

	handler Handler
	tls     *tls.Config

	mu      sync.Mutex
	ln      net.Listener
	conns   map[net.Conn]struct{}
	stopped chan struct{} // closed by Stop; replaced by Restart
	closed  bool
	wg      sync.WaitGroup // the accept loop and every connection

	accepted atomic.Int64
	requests atomic.Int64
	active   atomic.Int64
}

// New starts a plain-HTTP server that answers with h. tb.Cleanup closes
// it.
func New(tb testing.TB, h Handler) *Server {
	tb.Helper()
	return start(tb, h, nil)
}

// NewTLS starts an HTTPS server presenting cert that answers with h.
// tb.Cleanup closes it.
func NewTLS(tb testing.TB, cert tls.Certificate, h Handler) *Server {
	tb.Helper()
	return start(tb, h, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
}

func start(tb testing.TB, h Handler, cfg *tls.Config) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("faultserver: listen: %v", err)
	}
	scheme := "http"
	if cfg != nil {
		scheme = "https"
	}
	s := &Server{
		Addr:    ln.Addr().String(),
		handler: h,
		tls:     cfg,
		conns:   map[net.Conn]struct{}{},
	}
	s.URL = scheme + "://" + s.Addr
	s.serve(ln)
	tb.Cleanup(s.Close)
	return s
}

// serve starts accepting on ln; s.mu must not be held.
func (s *Server) serve(ln net.Listener) {
	stopped := make(chan struct{})
	s.mu.Lock()
	s.ln = ln
	s.stopped = stopped
	s.mu.Unlock()
	s.wg.Go(func() { s.accept(ln, stopped) })
}

func (s *Server) accept(ln net.Listener, stopped chan struct{}) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			return // Stop closed the listener
		}
		s.mu.Lock()
		select {
		case <-stopped:
			// Stop ran between Accept and here and did not see nc.
			s.mu.Unlock()
			nc.Close()
			return
		default:
		}
		s.conns[nc] = struct{}{}
		s.accepted.Add(1)
		s.active.Add(1)
		s.mu.Unlock()
		s.wg.Go(func() { s.handle(nc, stopped) })
	}
}

func (s *Server) handle(nc net.Conn, stopped <-chan struct{}) {
	defer func() {
		nc.Close()
		s.mu.Lock()
		delete(s.conns, nc)
		s.mu.Unlock()
		s.active.Add(-1)
	}()
	c := &Conn{Conn: nc, Raw: nc.(*net.TCPConn), Stopped: stopped}
	if s.tls != nil {
		tc := tls.Server(nc, s.tls)
		if err := tc.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
			return
		}
		if err := tc.Handshake(); err != nil {
			return // the client rejected the certificate, as it should
		}
		if err := tc.SetDeadline(time.Time{}); err != nil {
			return
		}
		c.Conn = tc
	}
	c.R = bufio.NewReader(c.Conn)
	for {
		r, err := readRequest(c.R)
		if err != nil {
			return
		}
		s.requests.Add(1)
		if err := s.handler(c, r); err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
	}
}

// Accepted is the number of connections accepted so far.
func (s *Server) Accepted() int64 { return s.accepted.Load() }

// Requests is the number of request heads read so far.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Active is the number of connections still open on the server's side.
func (s *Server) Active() int64 { return s.active.Load() }

// Stop closes the listener and every connection, as a process that dies
// would, and waits for the handlers to return. Connections to the port
// are refused until Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	if s.ln == nil {
		s.mu.Unlock()
		return
	}
	s.ln.Close()
	s.ln = nil
	close(s.stopped)
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Restart listens on the same address again after Stop. The kernel lets a
// listener rebind a port whose old connections sit in TIME_WAIT
// (SO_REUSEADDR, which Go sets), so this works at once.
func (s *Server) Restart() error {
	s.mu.Lock()
	running, closed := s.ln != nil, s.closed
	s.mu.Unlock()
	switch {
	case closed:
		return errors.New("faultserver: restart after close")
	case running:
		return errors.New("faultserver: restart while running")
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("faultserver: listen again on %s: %w", s.Addr, err)
	}
	s.serve(ln)
	return nil
}

// Close stops the server for good and waits for every goroutine it
// started. It is safe to call more than once.
func (s *Server) Close() {
	s.Stop()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

// readRequest reads one request head. The body is left on br behind
// Request.Body.
func readRequest(br *bufio.Reader) (*Request, error) {
	budget := maxRequestHead
	line := func() (string, error) {
		b, err := br.ReadSlice('\n')
		budget -= len(b)
		switch {
		case budget < 0, err == bufio.ErrBufferFull:
			return "", errors.New("request head too large")
		case err != nil:
			return "", err
		}
		return string(bytes.TrimRight(b, "\r\n")), nil
	}
	first, err := line()
	if err != nil {
		return nil, err
	}
	method, rest, ok1 := strings.Cut(first, " ")
	target, _, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("bad request line %q", first)
	}
	r := &Request{Method: method, Target: target, Header: map[string][]string{}}
	for {
		l, err := line()
		if err != nil {
			return nil, err
		}
		if l == "" {
			break
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("bad header line %q", l)
		}
		name = strings.ToLower(strings.TrimSpace(name))
		r.Header[name] = append(r.Header[name], strings.TrimSpace(value))
	}
	if v := r.Get("Content-Length"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad Content-Length %q", v)
		}
		r.ContentLength = n
	}
	r.Body = io.LimitReader(br, r.ContentLength)
	return r, nil
}

// Refused returns the URL of a loopback port nothing listens on: it was
// bound and closed again, so connecting is refused at once.
func Refused(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("faultserver: listen: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		tb.Fatalf("faultserver: close: %v", err)
	}
	return "http://" + addr
}
