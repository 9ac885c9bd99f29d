package client

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

// The benchmarks send keep-alive GETs to an httptest server in a child
// process, so the allocations and the CPU time they report are the
// client's alone. cpu-ns/op is this process's user+system CPU per request:
// the figure the fast path exists to shrink.
//
// benchURLEnv names another server to send them to instead (its /length
// and /chunked paths), e.g. an nginx that wrk is measured against too.
const benchURLEnv = "PERFKIT_CLIENT_BENCH_URL"

func BenchmarkFastPathKeepAlive(b *testing.B) {
	benchmarkKeepAlive(b, false)
}

// BenchmarkNetHTTPKeepAlive sends the same requests through the net/http
// path, for the ratio.
func BenchmarkNetHTTPKeepAlive(b *testing.B) {
	benchmarkKeepAlive(b, true)
}

func benchmarkKeepAlive(b *testing.B, viaNetHTTP bool) {
	url := os.Getenv(benchURLEnv)
	if url == "" {
		url = externalServer(b)
	}
	for _, path := range []string{"/length", "/chunked"} {
		b.Run(path[1:]+"/1vu", func(b *testing.B) {
			c, err := newClient(Config{Endpoints: []Endpoint{{URL: url + path}}, Proxy: noProxy}, viaNetHTTP)
			if err != nil {
				b.Fatalf("newClient: %v", err)
			}
			conn := c.NewConn()
			defer conn.Close()
			var out Outcome
			conn.Do(0, &out) // dial outside the measurement
			b.ReportAllocs()
			cpu0, haveCPU := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				conn.Do(0, &out)
				if out.Kind != results.KindNone {
					b.Fatalf("got kind %v (err %v), want a completed request", out.Kind, out.Err)
				}
			}
			b.StopTimer()
			if cpu1, ok := cpuTime(); ok && haveCPU {
				b.ReportMetric(float64((cpu1-cpu0)/time.Nanosecond)/float64(b.N), "cpu-ns/op")
			}
		})
		// 50 virtual users keep both processes busy, so per-request cost is
		// not dominated by waking a sleeping process for every response.
		b.Run(path[1:]+"/50vu", func(b *testing.B) {
			c, err := newClient(Config{Endpoints: []Endpoint{{URL: url + path}}, Proxy: noProxy}, viaNetHTTP)
			if err != nil {
				b.Fatalf("newClient: %v", err)
			}
			b.SetParallelism(max(1, 50/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			cpu0, haveCPU := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				conn := c.NewConn()
				defer conn.Close()
				var out Outcome
				for pb.Next() {
					conn.Do(0, &out)
					if out.Kind != results.KindNone {
						b.Errorf("got kind %v (err %v), want a completed request", out.Kind, out.Err)
						return
					}
				}
			})
			if cpu1, ok := cpuTime(); ok && haveCPU {
				b.ReportMetric(float64((cpu1-cpu0)/time.Nanosecond)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
