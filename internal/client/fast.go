package client

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

// errCanceled ends a Do that Conn.Close cut off, and every Do after it.
var errCanceled = errors.New("connection closed by Conn.Close")

// fastConn is one virtual user's HTTP/1.1 connections, one slot per origin.
//
// Only the goroutine calling Do writes the slots; it does so under mu so
// that Close, from any goroutine, can read them and close what is open.
// Do reads its own slots without the lock.
type fastConn struct {
	cl    *Client
	slots []slot

	mu         sync.Mutex
	closed     atomic.Bool        // set under mu; read without it on the hot path
	cancelDial context.CancelFunc // the dial in progress, for Close to abort
}

type slot struct {
	raw   net.Conn // the TCP connection; closing it aborts any read or write
	conn  net.Conn // raw, or the TLS connection over it
	br    *bufio.Reader
	idle  time.Duration // since base: when the last response ended
	probe [1]byte
}

// idleProbeAfter is how long a keep-alive connection may sit unused before
// Do checks that the server has not closed it. A server that restarted or
// timed the connection out has sent its FIN while the VU was idle; sending
// on such a connection would count an error against a healthy target. The
// check costs a syscall, so busy connections skip it.
const idleProbeAfter = 50 * time.Millisecond

func (c *Client) newFastConn() *fastConn {
	return &fastConn{cl: c, slots: make([]slot, len(c.origins))}
}

// Do sends one request: dial if needed, one deadline for the whole
// exchange, write, read the response and discard its body. On a live
// keep-alive connection it makes no allocation.
func (c *fastConn) Do(ep int, out *Outcome) {
	cl := c.cl
	e := &cl.eps[ep]
	start := time.Since(cl.base)
	*out = Outcome{Start: start, Sent: start}
	if c.closed.Load() {
		out.Kind, out.Err, out.Done = results.KindCanceled, errCanceled, start
		return
	}
	s := &c.slots[e.origin]
	if s.conn != nil && s.br.Buffered() > 0 {
		// Bytes nobody asked for: the server broke framing on the last
		// response, so nothing read from this connection can be trusted.
		c.drop(s)
	}
	if s.conn != nil && start-s.idle > idleProbeAfter && !s.alive() {
		// Closed while idle: not this request's failure, and not a retry
		// either, since nothing was sent. Dial a fresh connection.
		c.drop(s)
	}
	deadline := cl.base.Add(start + cl.timeout)
	if s.conn == nil {
		out.NewConn = true
		if err := c.dial(s, e, deadline, out); err != nil {
			c.fail(s, out, err)
			return
		}
	}
	if err := s.conn.SetDeadline(deadline); err != nil {
		c.fail(s, out, err)
		return
	}
	n, err := s.conn.Write(e.req)
	out.BytesOut = int64(n)
	if err != nil {
		c.fail(s, out, err)
		return
	}
	if _, err := s.br.Peek(1); err != nil {
		c.fail(s, out, err)
		return
	}
	out.FirstByte = time.Since(cl.base)
	var r response
	err = readResponse(s.br, e.head, cl.maxBody, &r)
	out.Status, out.BytesIn = r.status, r.bytes
	if err != nil {
		c.fail(s, out, err)
		return
	}
	out.Done = time.Since(cl.base)
	s.idle = out.Done
	if !r.keepAlive || e.close {
		c.drop(s)
	}
}

// fail records err as the outcome and drops the connection: after a
// failure its state is unknown, and the next Do dials afresh rather than
// retrying this one.
func (c *fastConn) fail(s *slot, out *Outcome, err error) {
	out.Done = time.Since(c.cl.base)
	out.Err = err
	if c.closed.Load() {
		out.Kind = results.KindCanceled
	} else {
		out.Kind = classifyOnConn(err, !out.NewConn, out.FirstByte != 0)
	}
	c.drop(s)
}

// drop closes the slot's connection.
func (c *fastConn) drop(s *slot) {
	c.mu.Lock()
	raw := s.raw
	s.raw, s.conn = nil, nil
	c.mu.Unlock()
	if raw != nil {
		// The connection is abandoned either way; a close error says
		// nothing about the request.
		_ = raw.Close()
	}
}

// dial connects the slot for e, timing each phase into out, and publishes
// the connection so Close can reach it.
func (c *fastConn) dial(s *slot, e *endpoint, deadline time.Time, out *Outcome) error {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		return errCanceled
	}
	c.cancelDial = cancel
	c.mu.Unlock()

	raw, conn, err := c.connect(ctx, &c.cl.origins[e.origin], out)

	c.mu.Lock()
	c.cancelDial = nil
	closed := c.closed.Load()
	if err == nil && !closed {
		s.raw, s.conn = raw, conn
	}
	c.mu.Unlock()
	switch {
	case err != nil:
		return err
	case closed:
		_ = raw.Close() // never used: Close came first
		return errCanceled
	}
	if s.br == nil {
		s.br = bufio.NewReaderSize(conn, readBufSize)
	} else {
		s.br.Reset(conn)
	}
	return nil
}

// connect resolves, dials and (for https) handshakes, recording the phase
// durations and the time the connection became ready as out.Sent.
func (c *fastConn) connect(ctx context.Context, o *origin, out *Outcome) (raw, conn net.Conn, err error) {
	base := c.cl.base
	t := out.Start
	var addrs []net.IPAddr
	first := 0
	if o.ip != nil {
		addrs = []net.IPAddr{{IP: o.ip, Zone: o.zone}}
	} else {
		var looked bool
		addrs, first, looked, err = c.cl.dns.resolve(ctx, o.host, nil)
		now := time.Since(base)
		if looked {
			out.DNS = now - t
		}
		t = now
		if err != nil {
			return nil, nil, err
		}
	}
	raw, err = dialAny(ctx, &c.cl.dialer, addrs, first, o.port)
	now := time.Since(base)
	out.Connect, t = now-t, now
	if err != nil {
		return nil, nil, err
	}
	if o.tls == nil {
		out.Sent = t
		return raw, raw, nil
	}
	tc := tls.Client(raw, o.tls)
	err = tc.HandshakeContext(ctx)
	now = time.Since(base)
	out.TLS = now - t
	if err != nil {
		_ = raw.Close() // the handshake failed; the error says why
		return nil, nil, &handshakeError{err}
	}
	out.Sent = now
	return raw, tc, nil
}

// Close aborts any in-flight Do and closes every connection.
func (c *fastConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Swap(true) {
		return nil
	}
	if c.cancelDial != nil {
		c.cancelDial()
	}
	var errs []error
	for i := range c.slots {
		// The slots stay as they are: Do owns them and finds the
		// connection dead on its next read or write.
		if raw := c.slots[i].raw; raw != nil {
			if err := raw.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
