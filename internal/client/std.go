package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

// errRetried replaces the result of a request that net/http tried to send
// a second time.
var errRetried = errors.New("net/http retried the request after its connection failed; counted as that failure, not retried")

// stdConn sends one virtual user's requests through net/http: HTTP/2, or
// HTTP/1.1 through a proxy. It allocates per request; that is accepted
// for these paths.
type stdConn struct {
	cl *Client
	hc *http.Client
	// own is set when the transport belongs to this Conn (proxied
	// HTTP/1.1), so its connections are this virtual user's alone.
	own *http.Transport

	// ctx is canceled by Close; every request's context derives from it.
	ctx    context.Context
	cancel context.CancelFunc
}

func (c *Client) newStdConn() *stdConn {
	tr := c.h2
	var own *http.Transport
	if tr == nil {
		var p http.Protocols
		p.SetHTTP1(true)
		own = c.transport(&p)
		tr = own
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &stdConn{
		cl: c,
		hc: &http.Client{
			Transport: tr,
			// A redirect is recorded as its 3xx response, never followed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		own:    own,
		ctx:    ctx,
		cancel: cancel,
	}
}

// transport builds a net/http transport for the given protocols.
func (c *Client) transport(p *http.Protocols) *http.Transport {
	return &http.Transport{
		Proxy:                  c.proxy,
		GetProxyConnectHeader:  connectHeader,
		OnProxyConnectResponse: refusedTunnel,
		DialContext:            c.dialContext,
		TLSClientConfig: &tls.Config{
			InsecureSkipVerify: c.insecure,
		},
		Protocols:         p,
		DisableKeepAlives: c.noKeepAlive,
		// Wire bytes are what we measure; transparent gzip would hide them.
		DisableCompression: true,
		// One virtual user keeps one connection per host, as on the fast
		// path. In HTTP2 mode the connections are multiplexed and shared.
		MaxIdleConnsPerHost: 1,
	}
}

// Do sends one request through net/http and discards the body.
//
// net/http retries a request on a new connection when a reused one fails
// before the response starts (for bodiless and idempotent requests). That
// would hide the failure, so the trace fails the request as soon as the
// transport takes a second connection for it: a connection private to this
// Conn is closed before the retry writes anything; on a shared HTTP/2
// connection only the request is canceled, and the retried request may
// already be on the wire.
func (s *stdConn) Do(ep int, out *Outcome) {
	cl := s.cl
	e := &cl.eps[ep]
	start := time.Since(cl.base)
	*out = Outcome{Start: start, Sent: start}
	if s.ctx.Err() != nil {
		out.Kind, out.Err, out.Done = results.KindCanceled, errCanceled, start
		return
	}
	ctx, cancel := context.WithDeadline(s.ctx, cl.base.Add(start+cl.timeout))
	defer cancel()
	tr := &stdTrace{base: cl.base, abort: cancel, closeRetried: s.own != nil}
	ctx = httptrace.WithClientTrace(ctx, tr.clientTrace())
	if len(e.proxyAuth) > 0 && e.url.Scheme == "https" {
		ctx = context.WithValue(ctx, proxyAuthKey{}, e.proxyAuth)
	}

	u := *e.url
	req := (&http.Request{
		Method:     e.method,
		URL:        &u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     e.header,
		Host:       e.host,
	}).WithContext(ctx)
	if len(e.body) > 0 {
		// No GetBody: a body net/http cannot rewind is one more reason for
		// it not to resend the request.
		req.Body = io.NopCloser(bytes.NewReader(e.body))
		req.ContentLength = int64(len(e.body))
	}

	resp, err := s.hc.Do(req)
	if err != nil {
		out.Done = time.Since(cl.base)
		tr.copyTo(out, len(e.req))
		s.classify(out, tr, err)
		return
	}
	out.Status = resp.StatusCode
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, cl.maxBody+1))
	if err == nil && n > cl.maxBody {
		n, err = cl.maxBody, errBodyTooLarge
	}
	// Closing an unfinished body closes its connection instead of draining
	// it, which is what MaxBody asks for. The close error adds nothing to
	// the read error that caused it.
	_ = resp.Body.Close()
	out.Done = time.Since(cl.base)
	tr.copyTo(out, len(e.req))
	// An estimate: net/http does not expose the header bytes it read, and
	// HTTP/2 sends them compressed.
	out.BytesIn = headerSize(resp) + n
	if err != nil {
		s.classify(out, tr, err)
	}
}

func (s *stdConn) classify(out *Outcome, tr *stdTrace, err error) {
	out.Err = err
	reused, retried := tr.connection()
	switch {
	case s.ctx.Err() != nil:
		out.Kind = results.KindCanceled
	case retried && reused:
		// net/http resends only what failed on a reused connection before
		// the response began.
		out.Kind, out.Err = results.KindEOFReusedConn, errRetried
	case retried:
		// An HTTP/2 connection out of streams: no reuse failed.
		out.Kind, out.Err = results.KindConnClosed, errRetried
	default:
		out.Kind = classifyOnConn(err, reused, out.FirstByte != 0)
	}
}

// Close aborts any in-flight request and closes this Conn's idle
// connections (shared HTTP/2 ones are the Client's).
func (s *stdConn) Close() error {
	s.cancel()
	if s.own != nil {
		s.own.CloseIdleConnections()
	}
	return nil
}

// headerSize estimates the HTTP/1.1 encoding of resp's status line and
// header section.
func headerSize(resp *http.Response) int64 {
	n := len(resp.Proto) + 1 + len(resp.Status) + 2 + 2
	for k, vs := range resp.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return int64(n)
}

// stdTrace collects one request's phase times. net/http may call its hooks
// from its own goroutines, even after RoundTrip returned (a dial it keeps
// for its pool), hence the lock.
type stdTrace struct {
	base         time.Time
	abort        context.CancelFunc
	closeRetried bool

	mu                           sync.Mutex
	dnsStart, dnsDone            time.Duration
	connectStart, connectDone    time.Duration
	tlsStart, tlsDone            time.Duration
	gotConn, firstByte           time.Duration
	conns                        int
	reused, dialed, retried, got bool
}

func (t *stdTrace) now() time.Duration { return time.Since(t.base) }

func (t *stdTrace) clientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.dnsStart = t.now()
		},
		DNSDone: func(httptrace.DNSDoneInfo) {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.dnsDone = t.now()
		},
		ConnectStart: func(string, string) {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.dialed = true
			if t.connectStart == 0 {
				t.connectStart = t.now()
			}
		},
		ConnectDone: func(string, string, error) {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.connectDone = t.now()
		},
		TLSHandshakeStart: func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.tlsStart = t.now()
		},
		TLSHandshakeDone: func(tls.ConnectionState, error) {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.tlsDone = t.now()
		},
		GotConn: t.gotConnHook,
		GotFirstResponseByte: func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			if t.firstByte == 0 {
				t.firstByte = t.now()
			}
		},
	}
}

// gotConnHook notes the connection, and stops a retry: a second GotConn
// for one request is net/http resending it.
func (t *stdTrace) gotConnHook(info httptrace.GotConnInfo) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.conns++
	if t.conns == 1 {
		t.got, t.gotConn, t.reused = true, t.now(), info.Reused
		return
	}
	t.retried = true
	if t.closeRetried {
		// Closed before the transport writes on it, so the retry fails
		// without reaching the server.
		_ = info.Conn.Close()
	}
	t.abort()
}

// connection reports whether the request's first connection was a reused
// one, and whether net/http took a second.
func (t *stdTrace) connection() (reused, retried bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.got && t.reused, t.retried
}

// copyTo fills the outcome's timing from the trace. reqBytes is the
// request's size as the fast path encodes it, counted once the request had
// a connection to go out on.
func (t *stdTrace) copyTo(out *Outcome, reqBytes int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out.NewConn = t.dialed || (t.got && !t.reused)
	if t.dnsDone > t.dnsStart && t.dnsStart > 0 {
		out.DNS = t.dnsDone - t.dnsStart
	}
	if t.connectDone > t.connectStart && t.connectStart > 0 {
		out.Connect = t.connectDone - t.connectStart
	}
	if t.tlsDone > t.tlsStart && t.tlsStart > 0 {
		out.TLS = t.tlsDone - t.tlsStart
	}
	if t.got {
		out.Sent = t.gotConn
		out.BytesOut = int64(reqBytes)
	}
	out.FirstByte = t.firstByte
}

// Compile-time checks that both paths satisfy Conn.
var (
	_ Conn = (*fastConn)(nil)
	_ Conn = (*stdConn)(nil)
	_ Conn = (*mixedConn)(nil)
)
