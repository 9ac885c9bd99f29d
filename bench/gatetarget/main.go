// Command gatetarget is the service bench/gates.sh compares against
// itself. Every request allocates a fixed number of bytes and sleeps; a
// fixed share of requests (-tail-pct, every Nth by a counter, not at
// random) sleeps -tail instead of -sleep. With a tail share above 1 %, the
// p99 lies inside the tail class, so a candidate whose -tail is 10 %
// longer has a p99 about 10 % higher, whatever the scheduler's jitter at
// the boundary. It serves net/http/pprof for --profile.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"sync/atomic"
	"time"
)

var sink [][]byte

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	sleep := flag.Duration("sleep", 5*time.Millisecond, "time most requests sleep")
	tail := flag.Duration("tail", 50*time.Millisecond, "time the tail requests sleep")
	tailPct := flag.Int("tail-pct", 3, "percent of requests in the tail")
	alloc := flag.Int("alloc", 64<<10, "bytes each request allocates")
	flag.Parse()

	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	var n atomic.Int64
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%100 < int64(*tailPct) {
			time.Sleep(*tail)
		} else {
			time.Sleep(*sleep)
		}
		sink = allocate(*alloc)
		fmt.Fprintf(w, "%d\n", len(sink))
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.SetOutput(os.Stderr)
	log.Fatal(srv.ListenAndServe())
}

// allocate is the function an allocation profile charges the bytes to.
// It allocates n bytes as 1 KiB objects: an exact size class, so the
// bytes allocated are the bytes asked for (one large object would be
// rounded up to whole pages).
//
//go:noinline
func allocate(n int) [][]byte {
	out := make([][]byte, 0, n/1024)
	for range n / 1024 {
		b := make([]byte, 1024)
		b[0] = 1
		out = append(out, b)
	}
	return out
}
