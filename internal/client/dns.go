package client

import (
	"context"
	"errors"
	"net"
	"net/http/httptrace"
	"strconv"
	"sync"
	"time"
)

// Resolver looks up the addresses of a host name. *net.Resolver
// (net.DefaultResolver) satisfies it.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// DNSForever as Config.DNSTTL keeps each host's first answer for the life
// of the Client.
const DNSForever time.Duration = -1

// dnsCache resolves host names for new connections as Config.DNSTTL says
// and hands out each answer's addresses in turn, so that new connections
// spread over every address a name has (a load balancer's, say) instead of
// all going to the first. Only dials consult it: a request on a kept-alive
// connection resolves nothing, so keep-alive pins the address it dialed
// whatever the TTL.
type dnsCache struct {
	resolver Resolver
	ttl      time.Duration // 0: look up on every dial; DNSForever; else how long an answer serves
	timeout  time.Duration // bounds a lookup shared by several dials
	// clock is the cache's time; tests replace it to step past a TTL
	// without waiting.
	clock func() time.Duration

	mu    sync.Mutex
	hosts map[string]*dnsHost
}

type dnsHost struct {
	addrs   []net.IPAddr  // the cached answer; nil until a lookup succeeds
	expires time.Duration // on clock; unused with DNSForever
	next    uint64        // the turn of the next dial: its first address
	lookup  *dnsLookup    // the lookup in flight, which every dial needing it waits for
}

type dnsLookup struct {
	done  chan struct{} // closed once addrs and err are set
	addrs []net.IPAddr
	err   error
}

func newDNSCache(r Resolver, ttl, timeout time.Duration, base time.Time) *dnsCache {
	return &dnsCache{
		resolver: r,
		ttl:      ttl,
		timeout:  timeout,
		clock:    func() time.Duration { return time.Since(base) },
		hosts:    make(map[string]*dnsHost),
	}
}

// resolve returns the addresses of host and the index of the one this dial
// should try first. looked is false when the answer came from the cache
// without waiting for a lookup. onLookup, when not nil, is called before
// the dial waits for a lookup.
func (r *dnsCache) resolve(ctx context.Context, host string, onLookup func()) (addrs []net.IPAddr, first int, looked bool, err error) {
	if r.ttl == 0 {
		if onLookup != nil {
			onLookup()
		}
		// Concurrent lookups of one name are already merged by
		// net.Resolver; each dial asking afresh is the point of TTL 0.
		addrs, err = r.resolver.LookupIPAddr(ctx, host)
		if err == nil && len(addrs) == 0 {
			err = noAddresses(host)
		}
		if err != nil {
			return nil, 0, true, err
		}
		r.mu.Lock()
		first = r.host(host).turn(len(addrs))
		r.mu.Unlock()
		return addrs, first, true, nil
	}

	r.mu.Lock()
	h := r.host(host)
	if h.addrs != nil && (r.ttl == DNSForever || r.clock() < h.expires) {
		addrs, first = h.addrs, h.turn(len(h.addrs))
		r.mu.Unlock()
		return addrs, first, false, nil
	}
	l := h.lookup
	if l == nil {
		l = &dnsLookup{done: make(chan struct{})}
		h.lookup = l
		go r.run(ctx, host, h, l)
	}
	r.mu.Unlock()
	if onLookup != nil {
		onLookup()
	}
	select {
	case <-l.done:
	case <-ctx.Done():
		return nil, 0, true, ctx.Err()
	}
	if l.err != nil {
		return nil, 0, true, l.err
	}
	r.mu.Lock()
	first = h.turn(len(l.addrs))
	r.mu.Unlock()
	return l.addrs, first, true, nil
}

// run performs a lookup that several dials may wait for. It outlives the
// dial that started it (which may be canceled, or time out, while others
// still wait), bounded by the client's timeout.
func (r *dnsCache) run(ctx context.Context, host string, h *dnsHost, l *dnsLookup) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	addrs, err := r.resolver.LookupIPAddr(ctx, host)
	if err == nil && len(addrs) == 0 {
		err = noAddresses(host)
	}
	r.mu.Lock()
	h.lookup = nil
	if err == nil {
		// A failed lookup is not cached: the next dial asks again.
		h.addrs, h.expires = addrs, r.clock()+r.ttl
	}
	r.mu.Unlock()
	l.addrs, l.err = addrs, err
	close(l.done)
}

// host returns the entry for name, creating it. r.mu must be held.
func (r *dnsCache) host(name string) *dnsHost {
	h := r.hosts[name]
	if h == nil {
		h = &dnsHost{}
		r.hosts[name] = h
	}
	return h
}

// turn returns the index this dial starts from among n addresses and
// moves the rotation on. The cache's lock must be held.
func (h *dnsHost) turn(n int) int {
	i := int(h.next % uint64(n))
	h.next++
	return i
}

func noAddresses(host string) error {
	return &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
}

// dialAny tries the addresses in turn, starting at first, and returns the
// first connection, or the first error when none connects.
func dialAny(ctx context.Context, d *net.Dialer, addrs []net.IPAddr, first, port int) (net.Conn, error) {
	var firstErr error
	for i := range addrs {
		addr := net.JoinHostPort(addrs[(first+i)%len(addrs)].String(), strconv.Itoa(port))
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if firstErr == nil {
		firstErr = errors.New("dial: no addresses")
	}
	return nil, firstErr
}

// dialContext is net/http's dialer: it resolves through the same cache as
// the fast path, and reports the lookup to the request's trace as
// net.Dialer would (net.Dialer itself sees only addresses, so its trace
// hooks report the connects alone).
func (c *Client) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if net.ParseIP(host) != nil {
		return c.dialer.DialContext(ctx, network, addr)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, &net.AddrError{Err: "invalid port", Addr: addr}
	}
	trace := httptrace.ContextClientTrace(ctx)
	var onLookup func()
	if trace != nil && trace.DNSStart != nil {
		onLookup = func() { trace.DNSStart(httptrace.DNSStartInfo{Host: host}) }
	}
	addrs, first, looked, err := c.dns.resolve(ctx, host, onLookup)
	if looked && trace != nil && trace.DNSDone != nil {
		trace.DNSDone(httptrace.DNSDoneInfo{Addrs: addrs, Err: err})
	}
	if err != nil {
		return nil, err
	}
	return dialAny(ctx, &c.dialer, addrs, first, port)
}
