package pprofcollect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfkit/perfkit/internal/results"
)

func TestMain(m *testing.M) {
	// Sample allocations every 16 KiB rather than 512 KiB, so a two
	// second window holds thousands of samples and the bytes-per-request
	// checks are not at the mercy of sampling noise. It must be set
	// before the allocations it should see.
	runtime.MemProfileRate = 16 << 10
	os.Exit(m.Run())
}

// frame is one location of a hand-built stack: its function names,
// innermost inlined first ("leaf+caller" is leaf inlined into caller).
// fakeSample stacks list frames leaf first, as pprof does.
type fakeSample struct {
	stack  []string
	values []int64
}

// fakeProfile builds a symbolized profile with the given sample types
// ("cpu/nanoseconds"), one mapping, and a location per distinct frame.
func fakeProfile(types []string, samples ...fakeSample) *profile.Profile {
	p := &profile.Profile{
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     10_000_000,
		TimeNanos:  1_700_000_000_000_000_000,
		Mapping:    []*profile.Mapping{{ID: 1, Start: 0x1000, Limit: 0x100000, File: "/bin/app", HasFunctions: true}},
	}
	for _, t := range types {
		typ, unit, _ := strings.Cut(t, "/")
		p.SampleType = append(p.SampleType, &profile.ValueType{Type: typ, Unit: unit})
	}
	funcs := map[string]*profile.Function{}
	locs := map[string]*profile.Location{}
	for _, s := range samples {
		ps := &profile.Sample{Value: s.values}
		for _, frame := range s.stack {
			loc, ok := locs[frame]
			if !ok {
				loc = &profile.Location{ID: uint64(len(p.Location) + 1), Mapping: p.Mapping[0], Address: 0x2000 + uint64(len(p.Location))*0x10}
				if frame != "" {
					for _, name := range strings.Split(frame, "+") {
						fn, ok := funcs[name]
						if !ok {
							fn = &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, SystemName: name, Filename: "app.go"}
							funcs[name] = fn
							p.Function = append(p.Function, fn)
						}
						loc.Line = append(loc.Line, profile.Line{Function: fn, Line: 10})
					}
				}
				locs[frame] = loc
				p.Location = append(p.Location, loc)
			}
			ps.Location = append(ps.Location, loc)
		}
		p.Sample = append(p.Sample, ps)
	}
	return p
}

func gz(t testing.TB, p *profile.Profile) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatalf("write profile: %v", err)
	}
	return buf.Bytes()
}

func okItem(t testing.TB, kind string, requests int64, p *profile.Profile) results.Profile {
	return results.Profile{Kind: kind, Status: results.ProfileOK, Requests: requests, Data: gz(t, p)}
}

// mountPprof puts net/http/pprof on mux under /debug/pprof, as a target
// with its own mux (not http.DefaultServeMux) does.
func mountPprof(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	for _, k := range []string{"allocs", "heap", "goroutine", "mutex", "block"} {
		mux.Handle("/debug/pprof/"+k, pprof.Handler(k))
	}
}

// newTarget serves /work with the given number of checksum rounds per
// request, next to pprof.
func newTarget(t *testing.T, rounds int) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mountPprof(mux)
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d\n", expensiveChecksum(rounds, checksumBytes))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// checksumBytes is the buffer expensiveChecksum allocates per round, so a
// request allocates rounds × checksumBytes there: the truth the
// bytes-per-request checks compare against.
const checksumBytes = 32 << 10

// expensiveChecksum is the named function whose cost per request the two
// builds of the test target differ in. Its loop works in registers only:
// under -race, memory accesses would call into the race detector and the
// CPU would land on __tsan_read instead of here.
//
//go:noinline
func expensiveChecksum(rounds, size int) uint64 {
	var h uint64
	for r := 0; r < rounds; r++ {
		buf := make([]byte, size) // size is not constant: heap allocated
		buf[r%size] = byte(r)
		h += uint64(buf[size/2])
		for i := 0; i < size; i++ {
			h = h*31 + uint64(i) ^ h>>7
		}
	}
	return h
}

// load drives requests at a URL from a few workers, like perfkit would,
// and counts completions. It stops when its context ends or at Stop.
type load struct {
	done   atomic.Int64
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startLoad(t *testing.T, url string, workers int, limit time.Duration) *load {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	l := &load{cancel: cancel}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	for range workers {
		l.wg.Go(func() {
			for ctx.Err() == nil {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				if err != nil {
					return
				}
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				l.done.Add(1)
			}
		})
	}
	t.Cleanup(l.Stop)
	return l
}

func (l *load) Stop() {
	l.cancel()
	l.wg.Wait()
}

func (l *load) Completed() int64 { return l.done.Load() }

// memUse runs f and reports how many bytes it allocated in all (an upper
// bound on how far the heap grew) and the heap in use after it.
func memUse(f func()) (allocated, heapAfter uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, after.HeapAlloc
}

func mib(n uint64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 2, 64) + " MiB" }
