package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

// fakeResolver answers every name with the addresses it is set to, counts
// lookups, and can hold them until released.
type fakeResolver struct {
	lookups atomic.Int64
	started chan string   // when not nil, each lookup announces its host
	release chan struct{} // when not nil, each lookup waits for it

	mu    sync.Mutex
	addrs []net.IPAddr
	err   error
}

func newFakeResolver(ips ...string) *fakeResolver {
	r := &fakeResolver{}
	r.set(ips...)
	return r
}

// set switches the answer, as a DNS change mid-run would.
func (r *fakeResolver) set(ips ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs = nil
	for _, ip := range ips {
		r.addrs = append(r.addrs, net.IPAddr{IP: net.ParseIP(ip)})
	}
}

func (r *fakeResolver) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

func (r *fakeResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	r.lookups.Add(1)
	if r.started != nil {
		select {
		case r.started <- host:
		default: // nobody is waiting for this one
		}
	}
	if r.release != nil {
		select {
		case <-r.release:
		case <-ctx.Done():
			return nil, &net.DNSError{Err: ctx.Err().Error(), Name: host, IsTimeout: true}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	return append([]net.IPAddr(nil), r.addrs...), nil
}

var _ Resolver = net.DefaultResolver

// loopbackPair serves on 127.0.0.1 and 127.0.0.2 at one port, so that one
// URL reaches either server depending on what its name resolves to. It
// skips the test where the second loopback address cannot be bound.
func loopbackPair(t *testing.T) (port int, conns [2]*atomic.Int64) {
	t.Helper()
	first, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	port = first.Addr().(*net.TCPAddr).Port
	second, err := net.Listen("tcp", net.JoinHostPort("127.0.0.2", strconv.Itoa(port)))
	if err != nil {
		first.Close()
		t.Skipf("127.0.0.2 is not usable here (%v): needs Linux-style loopback", err)
	}
	for i, ln := range []net.Listener{first, second} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "hi")
		}))
		srv.Listener.Close()
		srv.Listener = ln
		var n atomic.Int64
		srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				n.Add(1)
			}
		}
		srv.Config.ErrorLog = discardLog()
		srv.Start()
		t.Cleanup(srv.Close)
		conns[i] = &n
	}
	return port, conns
}

// fakeClock steps the DNS cache's time by hand.
type fakeClock struct{ now atomic.Int64 }

func (f *fakeClock) read() time.Duration  { return time.Duration(f.now.Load()) }
func (f *fakeClock) step(d time.Duration) { f.now.Add(int64(d)) }

// TestDNSTTL sends 35 requests on new connections, one every 100 ms of
// the cache's clock, and moves the name from 127.0.0.1 to 127.0.0.2 after
// the 17th: the TTL decides how often the name is looked up and when new
// connections follow the move.
func TestDNSTTL(t *testing.T) {
	tests := []struct {
		name    string
		ttl     time.Duration
		lookups int64
		onFirst int64 // connections to 127.0.0.1; the rest go to 127.0.0.2
	}{
		{"every connection", 0, 35, 17},
		{"1s", time.Second, 4, 20}, // at 0, 1, 2 and 3 s; the move is seen at 2 s
		{"forever", DNSForever, 1, 35},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, conns := loopbackPair(t)
			r := newFakeResolver("127.0.0.1")
			cfg := get(fmt.Sprintf("http://target.test:%d/", port))
			cfg.NoKeepAlive, cfg.Resolver, cfg.DNSTTL = true, r, tt.ttl
			c := newTestClient(t, cfg)
			var clock fakeClock
			c.dns.clock = clock.read
			conn := c.NewConn()
			defer conn.Close()
			for i := range 35 {
				if i == 17 {
					r.set("127.0.0.2")
				}
				out := do(conn, 0)
				checkOK(t, out, 200)
				if tt.ttl == DNSForever && i > 0 && out.DNS != 0 {
					t.Errorf("request %d: got DNS %v, want 0 for a cached answer", i, out.DNS)
				}
				clock.step(100 * time.Millisecond)
			}
			if got := r.lookups.Load(); got != tt.lookups {
				t.Errorf("got %d lookups, want %d", got, tt.lookups)
			}
			if got := conns[0].Load(); got != tt.onFirst {
				t.Errorf("got %d connections to 127.0.0.1, want %d", got, tt.onFirst)
			}
			if got := conns[1].Load(); got != 35-tt.onFirst {
				t.Errorf("got %d connections to 127.0.0.2, want %d", got, 35-tt.onFirst)
			}
		})
	}
}

// TestKeepAlivePinsTheAddress: with TTL 0 a kept-alive connection still
// resolves nothing and stays where it was dialed after the name moves.
func TestKeepAlivePinsTheAddress(t *testing.T) {
	port, conns := loopbackPair(t)
	r := newFakeResolver("127.0.0.1")
	cfg := get(fmt.Sprintf("http://target.test:%d/", port))
	cfg.Resolver = r
	c := newTestClient(t, cfg)
	conn := c.NewConn()
	defer conn.Close()
	for i := range 5 {
		if i == 2 {
			r.set("127.0.0.2")
		}
		checkOK(t, do(conn, 0), 200)
	}
	if got := r.lookups.Load(); got != 1 {
		t.Errorf("got %d lookups, want 1 for one connection", got)
	}
	if conns[0].Load() != 1 || conns[1].Load() != 0 {
		t.Errorf("got %d and %d connections to 127.0.0.1 and .2, want 1 and 0", conns[0].Load(), conns[1].Load())
	}
}

// TestDNSRoundRobin: new connections take a name's addresses in turn,
// across virtual users dialing at once.
func TestDNSRoundRobin(t *testing.T) {
	for _, tt := range []struct {
		name string
		ttl  time.Duration
	}{{"every connection", 0}, {"forever", DNSForever}} {
		t.Run(tt.name, func(t *testing.T) {
			port, conns := loopbackPair(t)
			r := newFakeResolver("127.0.0.1", "127.0.0.2")
			cfg := get(fmt.Sprintf("http://target.test:%d/", port))
			cfg.NoKeepAlive, cfg.Resolver, cfg.DNSTTL = true, r, tt.ttl
			c := newTestClient(t, cfg)
			const vus, each = 4, 10
			var wg sync.WaitGroup
			for range vus {
				wg.Go(func() {
					conn := c.NewConn()
					defer conn.Close()
					for range each {
						if out := do(conn, 0); out.Kind != results.KindNone {
							t.Errorf("got kind %v (err %v), want none", out.Kind, out.Err)
						}
					}
				})
			}
			wg.Wait()
			if a, b := conns[0].Load(), conns[1].Load(); a != vus*each/2 || b != vus*each/2 {
				t.Errorf("got %d and %d connections to 127.0.0.1 and .2, want %d each", a, b, vus*each/2)
			}
		})
	}
}

// TestDNSSharedLookup: dials needing one cached name share its lookup,
// and the dial that started it can be canceled without failing the others.
func TestDNSSharedLookup(t *testing.T) {
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	r := newFakeResolver("127.0.0.1")
	r.started, r.release = make(chan string, 1), make(chan struct{})
	cfg := get(fmt.Sprintf("http://target.test:%d/", port))
	cfg.Resolver, cfg.DNSTTL = r, DNSForever
	c := newTestClient(t, cfg)

	first, second := c.NewConn(), c.NewConn()
	defer second.Close()
	firstDone, secondDone := make(chan Outcome), make(chan Outcome)
	go func() { firstDone <- do(first, 0) }()
	<-r.started
	go func() { secondDone <- do(second, 0) }()
	first.Close()
	if out := <-firstDone; out.Kind != results.KindCanceled {
		t.Errorf("first: got kind %v (err %v), want canceled", out.Kind, out.Err)
	}
	close(r.release)
	checkOK(t, <-secondDone, 200)
	// Whether the second dial waited for the lookup or came after it,
	// one lookup means it outlived the dial that started it.
	if got := r.lookups.Load(); got != 1 {
		t.Errorf("got %d lookups, want 1 shared", got)
	}
}

// TestDNSFailureIsNotCached: a failed lookup fails its request as dns and
// the next dial asks again, whatever the TTL.
func TestDNSFailureIsNotCached(t *testing.T) {
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	for _, tt := range []struct {
		name string
		ttl  time.Duration
	}{{"every connection", 0}, {"1h", time.Hour}, {"forever", DNSForever}} {
		t.Run(tt.name, func(t *testing.T) {
			r := newFakeResolver()
			r.fail(&net.DNSError{Err: "no such host", Name: "target.test", IsNotFound: true})
			cfg := get(fmt.Sprintf("http://target.test:%d/", port))
			cfg.Resolver, cfg.DNSTTL = r, tt.ttl
			c := newTestClient(t, cfg)
			conn := c.NewConn()
			defer conn.Close()
			if out := do(conn, 0); out.Kind != results.KindDNS {
				t.Errorf("got kind %v (err %v), want dns", out.Kind, out.Err)
			}
			r.fail(nil)
			r.set("127.0.0.1")
			checkOK(t, do(conn, 0), 200)
			if got := r.lookups.Load(); got != 2 {
				t.Errorf("got %d lookups, want 2", got)
			}
		})
	}
	t.Run("empty answer", func(t *testing.T) {
		cfg := get(fmt.Sprintf("http://target.test:%d/", port))
		cfg.Resolver = newFakeResolver()
		conn := newTestClient(t, cfg).NewConn()
		defer conn.Close()
		out := do(conn, 0)
		var dnsErr *net.DNSError
		if out.Kind != results.KindDNS || !errors.As(out.Err, &dnsErr) {
			t.Errorf("got kind %v (err %v), want dns", out.Kind, out.Err)
		}
	})
}

// TestDNSOnNetHTTPPath: the net/http path resolves through the same
// resolver and cache, and reports the lookup as its DNS phase.
func TestDNSOnNetHTTPPath(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	r := newFakeResolver("127.0.0.1")
	cfg := get(fmt.Sprintf("http://target.test:%d/", port))
	cfg.Resolver, cfg.NoKeepAlive, cfg.DNSTTL, cfg.Proxy = r, true, DNSForever, noProxy
	c, err := newClient(cfg, true)
	if err != nil {
		t.Fatalf("newClient: %v", err)
	}
	conn := c.NewConn()
	defer conn.Close()
	for i := range 3 {
		out := do(conn, 0)
		checkOK(t, out, 200)
		if looked := out.DNS > 0; looked != (i == 0) {
			t.Errorf("request %d: got DNS %v, want a lookup on the first only", i, out.DNS)
		}
	}
	if got := r.lookups.Load(); got != 1 {
		t.Errorf("got %d lookups, want 1", got)
	}
	if got := conns.Load(); got != 3 {
		t.Errorf("got %d connections, want 3", got)
	}
}

func TestDNSTTLRejectsNegative(t *testing.T) {
	cfg := get("http://127.0.0.1:1/")
	cfg.DNSTTL = -time.Second
	if _, err := New(cfg); err == nil {
		t.Errorf("New accepted DNS TTL -1s, want an error")
	}
}
