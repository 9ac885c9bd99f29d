package client

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout = 30 * time.Second
	DefaultMaxBody = 10 << 20
)

// Endpoint is one request target, prepared once.
type Endpoint struct {
	Method string      // "" means GET
	URL    string      // absolute http:// or https:// URL
	Header http.Header // sent as-is (may contain secrets: never put header values in errors or logs)
	Body   []byte
}

// Config describes the requests a Client sends and how it sends them.
type Config struct {
	Endpoints []Endpoint
	// Timeout bounds the whole exchange of one request: dial (if needed)
	// through the last body byte. DefaultTimeout when 0.
	Timeout time.Duration
	// MaxBody caps the response body bytes read per response. A larger body
	// ends the request with KindBodyTooLarge and its connection is closed,
	// not drained. DefaultMaxBody when 0.
	MaxBody int64
	// NoKeepAlive dials a new connection for every request.
	NoKeepAlive bool
	// HTTP2 sends every request through net/http with HTTP/2 only: h2 over
	// TLS, and prior-knowledge h2c for http:// URLs. A server without HTTP/2
	// fails the request instead of falling back to HTTP/1.1.
	HTTP2 bool
	// Insecure skips TLS certificate verification.
	Insecure bool
	// Base is the origin of every Outcome timestamp. It must carry a
	// monotonic clock reading (come from time.Now). time.Now() in New when zero.
	Base time.Time
	// Proxy picks the proxy for a request, as http.Transport.Proxy does.
	// Its answer for each endpoint, asked in New, picks the endpoint's path
	// for good, so it must not change: endpoints it returns a proxy for are
	// sent through net/http. http.ProxyFromEnvironment when nil
	// (HTTP_PROXY, HTTPS_PROXY and NO_PROXY, read once per process);
	// ProxySetting builds it from a --proxy value. An endpoint's
	// Proxy-Authorization header goes to its proxy only: on the CONNECT
	// request for https, on the request itself for http, and nowhere when
	// the endpoint goes direct.
	Proxy func(*http.Request) (*url.URL, error)
	// Resolver looks up host names, for endpoints and proxies alike.
	// net.DefaultResolver when nil.
	Resolver Resolver
	// DNSTTL is how long a lookup's answer serves new connections: 0 looks
	// the name up again for every new connection, DNSForever keeps the
	// first answer. Either way a kept-alive connection stays on the
	// address it dialed, and new connections take the answer's addresses
	// in turn.
	DNSTTL time.Duration
}

// Outcome is what one request measured. Do fills it in place.
type Outcome struct {
	Status int             // 0 when no response status was read
	Kind   results.ErrKind // KindNone when the exchange completed (any status)
	// Err is the failure behind Kind, for diagnostics; nil when Kind is
	// KindNone. It never contains header values.
	Err error

	// Timestamps are durations since Config.Base.
	Start     time.Duration // Do began (before any dial)
	Sent      time.Duration // the request write began (after a dial); Start when nothing was written
	FirstByte time.Duration // the first response byte arrived; 0 if none
	Done      time.Duration // the last body byte was read, or the request failed

	NewConn           bool          // a connection was dialed for this request
	DNS, Connect, TLS time.Duration // phase durations when NewConn (DNS 0 for an IP literal or a cached answer)
	BytesIn, BytesOut int64         // wire bytes: response (status line + headers + body) and request
}

// Conn sends requests for one virtual user. It is not safe for concurrent
// Do calls.
type Conn interface {
	// Do sends request ep (an index into Config.Endpoints), waits for the
	// whole response and fills *out, which it resets first.
	Do(ep int, out *Outcome)
	// Close releases the connections. It may be called from another
	// goroutine to abort an in-flight Do, which then ends with KindCanceled;
	// every later Do returns KindCanceled at once without dialing.
	Close() error
}

// Client holds the prepared requests. It is safe for concurrent use; each
// virtual user takes its own Conn from NewConn.
type Client struct {
	base        time.Time
	timeout     time.Duration
	maxBody     int64
	noKeepAlive bool
	insecure    bool
	proxy       func(*http.Request) (*url.URL, error)
	// dialer opens every TCP connection. TCP keep-alive probes are off: a
	// load test keeps its connections busy, and setting them up costs
	// syscalls on every dial.
	dialer  net.Dialer
	dns     *dnsCache
	proxies []string // the proxies endpoints use, as Proxy reports them

	eps     []endpoint
	origins []origin
	nStd    int // endpoints sent through net/http

	// h2 is the transport shared by every Conn in HTTP2 mode: HTTP/2
	// multiplexes, so a connection per virtual user means nothing there.
	h2 *http.Transport
}

// New validates every endpoint, encodes the requests and picks the path
// for each endpoint: the fast HTTP/1.1 path unless HTTP2 is set or a proxy
// applies to it.
func New(cfg Config) (*Client, error) {
	return newClient(cfg, false)
}

// newClient is New with forceStd sending every endpoint through net/http,
// so tests and benchmarks can measure both paths on the same requests.
func newClient(cfg Config, forceStd bool) (*Client, error) {
	var errs []error
	if len(cfg.Endpoints) == 0 {
		errs = append(errs, errors.New("no endpoints"))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %v is negative", cfg.Timeout))
	}
	if cfg.MaxBody < 0 {
		errs = append(errs, fmt.Errorf("max body %d is negative", cfg.MaxBody))
	}
	if cfg.DNSTTL < 0 && cfg.DNSTTL != DNSForever {
		errs = append(errs, fmt.Errorf("DNS TTL %v is negative (DNSForever keeps the first answer)", cfg.DNSTTL))
	}
	c := &Client{
		base:        cfg.Base,
		timeout:     cfg.Timeout,
		maxBody:     cfg.MaxBody,
		noKeepAlive: cfg.NoKeepAlive,
		insecure:    cfg.Insecure,
		proxy:       cfg.Proxy,
		dialer:      net.Dialer{KeepAlive: -1},
	}
	if c.base.IsZero() {
		c.base = time.Now()
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxBody
	}
	if c.proxy == nil {
		c.proxy = http.ProxyFromEnvironment
	}
	var resolver Resolver = net.DefaultResolver
	if cfg.Resolver != nil {
		resolver = cfg.Resolver
	}
	c.dns = newDNSCache(resolver, cfg.DNSTTL, c.timeout, c.base)

	ua := defaultUserAgent()
	originIndex := make(map[string]int)
	c.eps = make([]endpoint, len(cfg.Endpoints))
	for i, ep := range cfg.Endpoints {
		e, err := prepare(ep, ua, cfg.NoKeepAlive)
		if err != nil {
			errs = append(errs, fmt.Errorf("endpoint %d: %w", i, err))
			continue
		}
		proxy, err := c.proxyFor(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("endpoint %d: %w", i, err))
			continue
		}
		if proxy != nil {
			if name := proxyName(proxy); !slices.Contains(c.proxies, name) {
				c.proxies = append(c.proxies, name)
			}
			if e.url.Scheme == "http" && len(e.proxyAuth) > 0 {
				// Sent to the proxy with the request itself; a proxy
				// consumes it rather than forwarding it.
				e.header = e.header.Clone()
				e.header["Proxy-Authorization"] = e.proxyAuth
			}
		} else {
			e.proxyAuth = nil // no proxy to give it to
		}
		e.std = cfg.HTTP2 || forceStd || proxy != nil
		if e.std {
			c.nStd++
		} else {
			o := newOrigin(e.url, cfg.Insecure)
			idx, ok := originIndex[o.key]
			if !ok {
				idx = len(c.origins)
				originIndex[o.key] = idx
				c.origins = append(c.origins, o)
			}
			e.origin = idx
		}
		c.eps[i] = e
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.HTTP2 {
		var p http.Protocols
		p.SetHTTP2(true)
		p.SetUnencryptedHTTP2(true)
		c.h2 = c.transport(&p)
	}
	return c, nil
}

// proxyFor returns the proxy that e goes through, nil when none.
func (c *Client) proxyFor(e endpoint) (*url.URL, error) {
	u := *e.url
	req := &http.Request{Method: e.method, URL: &u, Header: http.Header{}, Host: u.Host}
	p, err := c.proxy(req)
	if err != nil {
		return nil, fmt.Errorf("choose proxy: %w", err)
	}
	return p, nil
}

// NewConn returns the connection state of one virtual user.
func (c *Client) NewConn() Conn {
	switch {
	case c.nStd == 0:
		return c.newFastConn()
	case c.nStd == len(c.eps):
		return c.newStdConn()
	default:
		return &mixedConn{eps: c.eps, fast: c.newFastConn(), std: c.newStdConn()}
	}
}

// CloseIdleConnections closes the idle HTTP/2 connections that Conns share
// in HTTP2 mode. Every other connection belongs to one Conn and is closed
// by its Close.
func (c *Client) CloseIdleConnections() {
	if c.h2 != nil {
		c.h2.CloseIdleConnections()
	}
}

// mixedConn serves a Client whose endpoints take both paths.
type mixedConn struct {
	eps  []endpoint
	fast *fastConn
	std  *stdConn
}

func (m *mixedConn) Do(ep int, out *Outcome) {
	if m.eps[ep].std {
		m.std.Do(ep, out)
		return
	}
	m.fast.Do(ep, out)
}

func (m *mixedConn) Close() error {
	return errors.Join(m.fast.Close(), m.std.Close())
}

// origin is a scheme, host and port the fast path keeps a connection to.
type origin struct {
	key  string // scheme://host:port, the dedup key
	host string // the name to resolve; "" when ip is set
	ip   net.IP // the host when it is an IP literal
	zone string // the IPv6 zone of ip
	port int
	tls  *tls.Config // nil for http://
}

func newOrigin(u *url.URL, insecure bool) origin {
	host := u.Hostname()
	port := defaultPort(u)
	o := origin{
		key:  u.Scheme + "://" + net.JoinHostPort(strings.ToLower(host), fmt.Sprint(port)),
		port: port,
	}
	name, zone, _ := strings.Cut(host, "%")
	if ip := net.ParseIP(name); ip != nil {
		o.ip, o.zone = ip, zone
	} else {
		o.host = host
	}
	if u.Scheme == "https" {
		o.tls = &tls.Config{
			ServerName: name,
			// Only HTTP/1.1 is spoken here; offering h2 would let the
			// server pick a protocol this path cannot read.
			NextProtos:         []string{"http/1.1"},
			InsecureSkipVerify: insecure,
		}
	}
	return o
}

// defaultUserAgent names this build, so a target's logs can tell load
// traffic from real users.
func defaultUserAgent() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "perfkit/" + v
}
