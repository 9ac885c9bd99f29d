// Command gatetarget is the service bench/gates.sh compares against
// itself: every request sleeps a fixed time and allocates a fixed number
// of bytes, so a candidate can be made exactly 10 % slower or 20 % more
// allocating than its baseline. It serves net/http/pprof for --profile.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

var sink []byte

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	sleep := flag.Duration("sleep", 10*time.Millisecond, "time each request sleeps")
	alloc := flag.Int("alloc", 64<<10, "bytes each request allocates")
	flag.Parse()

	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(*sleep)
		sink = allocate(*alloc)
		fmt.Fprintf(w, "%d\n", len(sink))
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.SetOutput(os.Stderr)
	log.Fatal(srv.ListenAndServe())
}

// allocate is the function an allocation profile charges the bytes to.
//
//go:noinline
func allocate(n int) []byte {
	b := make([]byte, n)
	b[n-1] = 1
	return b
}
