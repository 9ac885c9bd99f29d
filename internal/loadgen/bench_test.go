package loadgen

import (
	"net"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/client"
	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/results"
)

// BenchmarkRequestLoop measures one VU's full loop — pick an endpoint, send
// over the fast HTTP/1.1 path, record into its shard — against a loopback
// server. allocs/op must stay 0.
func BenchmarkRequestLoop(b *testing.B) {
	url := cannedServer(b)
	p := &plan.Plan{VUs: 1, Duration: time.Second, Endpoints: []plan.Endpoint{{Name: "a", URL: url}, {Name: "b", URL: url + "b"}}}
	p.SetDefaults()
	if err := p.Validate(); err != nil {
		b.Fatal(err)
	}
	base := time.Now()
	f, err := newClient(p, base)
	if err != nil {
		b.Fatal(err)
	}
	e := &engine{
		plan: p, base: base, factory: f, picker: newPicker([]int{1, 1}),
		coll: results.NewCollector(results.CollectorConfig{Endpoints: []string{"a", "b"}}, base),
	}
	conn := e.newConn()
	defer conn.Close()
	shard := e.coll.Shard(0)
	state := seed(0)
	var out client.Outcome
	var s results.Sample
	e.do(conn, shard, 0, -1, &out, &s) // dial and allocate histograms once
	e.do(conn, shard, 1, -1, &out, &s)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.do(conn, shard, e.picker.pick(&state), -1, &out, &s)
	}
	b.StopTimer()
	if out.Kind != results.KindNone || out.Status != 200 {
		b.Fatalf("last request: kind %v status %d", out.Kind, out.Status)
	}
}

// cannedServer answers every GET with one fixed response and allocates
// nothing per request, so allocs/op measure the client side alone.
func cannedServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go serveCanned(ln)
	return "http://" + ln.Addr().String() + "/"
}

// serveCanned answers every request on every connection with a fixed
// response until the listener closes. It finds request ends by scanning for
// the blank line, so it allocates nothing per request.
func serveCanned(ln net.Listener) {
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 15\r\nContent-Type: text/plain\r\n\r\nhello, perfkit\n")
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			buf := make([]byte, 4096)
			matched := 0 // bytes of "\r\n\r\n" seen so far
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				for _, ch := range buf[:n] {
					switch {
					case ch == "\r\n\r\n"[matched]:
						matched++
					case ch == '\r':
						matched = 1
					default:
						matched = 0
					}
					if matched == 4 {
						matched = 0
						if _, err := c.Write(resp); err != nil {
							return
						}
					}
				}
			}
		}()
	}
}
