package pprofcollect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	httppprof "net/http/pprof"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

const checksumFunc = "github.com/perfkit/perfkit/internal/pprofcollect.expensiveChecksum"

// captureBuild profiles a target doing rounds checksum rounds per request
// over a window of the given length, under a bounded two-worker load.
func captureBuild(t *testing.T, rounds int, window time.Duration, kinds []string) []results.Profile {
	t.Helper()
	srv := newTarget(t, rounds)
	l := startLoad(t, srv.URL+"/work", 2, window+10*time.Second)
	f, err := NewFetcher(srv.URL+"/debug/pprof", Endpoint{}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(200 * time.Millisecond)
	items := Capture(context.Background(), CaptureConfig{
		Fetcher: f, Start: start, End: start.Add(window), ChunkSeconds: 1, Completed: l.Completed, Kinds: kinds,
	})
	l.Stop()
	return items
}

func byKind(items []results.Profile) map[string][]results.Profile {
	m := map[string][]results.Profile{}
	for _, it := range items {
		m[it.Kind] = append(m[it.Kind], it)
	}
	return m
}

// summary shows items without their data, for failure messages.
func summary(items []results.Profile) string {
	var parts []string
	for _, it := range items {
		parts = append(parts, fmt.Sprintf("{%s %s delta=%v attempts=%d requests=%d %q}", it.Kind, it.Status, it.Delta, it.Attempts, it.Requests, it.Error))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestCaptureRealTarget(t *testing.T) {
	items := captureBuild(t, 2, 2*time.Second, nil)
	kinds := byKind(items)

	cpu := kinds["cpu"]
	if len(cpu) == 0 {
		t.Fatal("got no CPU chunks")
	}
	var chunkRequests int64
	for i, c := range cpu {
		if c.Status != results.ProfileOK || c.Requests <= 0 {
			t.Errorf("chunk %d: got status %s (%s) with %d requests, want ok with requests", i, c.Status, c.Error, c.Requests)
		}
		if i > 0 && c.WindowStart.Before(cpu[i-1].WindowEnd) {
			t.Errorf("chunk %d starts at %v, before chunk %d ended at %v", i, c.WindowStart, i-1, cpu[i-1].WindowEnd)
		}
		if c.SampleRate != 100 {
			t.Errorf("chunk %d: got sample rate %d, want 100 Hz", i, c.SampleRate)
		}
		chunkRequests += c.Requests
	}
	for _, it := range items {
		sum := sha256.Sum256(it.Data)
		if it.Data != nil && (it.SHA256 != hex.EncodeToString(sum[:]) || it.SizeBytes != int64(len(it.Data))) {
			t.Errorf("%s: got sha256 %s size %d for %d bytes of data", it.Kind, it.SHA256, it.SizeBytes, len(it.Data))
		}
	}
	for _, want := range []struct {
		kind, status string
		delta        bool
	}{
		{"allocs", results.ProfileOK, true},
		{"heap", results.ProfileOK, false},
		{"goroutine", results.ProfileOK, false},
		// This test process never turns mutex or block profiling on.
		{"mutex", results.ProfileEmpty, true},
		{"block", results.ProfileEmpty, true},
	} {
		got := kinds[want.kind]
		if len(got) != 1 || got[0].Status != want.status || got[0].Delta != want.delta {
			t.Errorf("%s: got %s, want one item %s delta=%v", want.kind, summary(got), want.status, want.delta)
			continue
		}
		if want.delta && got[0].Requests < chunkRequests/2 {
			t.Errorf("%s: got %d requests, want about the %d of the CPU chunks", want.kind, got[0].Requests, chunkRequests)
		}
	}
	if e := kinds["mutex"]; len(e) == 1 && !strings.Contains(e[0].Error, "SetMutexProfileFraction") {
		t.Errorf("mutex: got error %q, want the hint to turn it on", e[0].Error)
	}

	tab, err := Normalize(items, "cpu", Limits{})
	if err != nil {
		t.Fatalf("Normalize cpu: %v", err)
	}
	if c := costs(tab)[checksumFunc]; c[0] <= 0 || c[1] < c[0] {
		t.Errorf("got %s flat %v cum %v ns/request, want flat > 0 and cum ≥ flat", checksumFunc, c[0], c[1])
	}
	alloc, err := Normalize(items, "alloc_space", Limits{})
	if err != nil {
		t.Fatalf("Normalize alloc_space: %v", err)
	}
	// The truth: two rounds of checksumBytes per request.
	got, want := costs(alloc)[checksumFunc][0], 2.0*checksumBytes
	t.Logf("%d CPU chunks, %d requests; %s: %.0f ns/request CPU, %.0f bytes/request (truth %.0f)",
		len(cpu), chunkRequests, checksumFunc, costs(tab)[checksumFunc][0], got, want)
	if math.Abs(got-want) > 0.25*want {
		t.Errorf("got %.0f bytes/request allocated in %s, want %.0f ± 25%%", got, checksumFunc, want)
	}

	srv := newTarget(t, 1)
	f, err := NewFetcher(srv.URL+"/debug/pprof", Endpoint{}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if it := CaptureAfterDrain(context.Background(), f); it.Kind != KindAfterDrain || it.Status != results.ProfileOK {
		t.Errorf("after drain: got kind %s status %s (%s), want %s ok", it.Kind, it.Status, it.Error, KindAfterDrain)
	}
}

// TestCaptureBusyProfiler holds the process's CPU profiler for the whole
// window, as an in-process continuous profiler might: the capture retries
// with backoff, gives up when the window ends, and says so.
func TestCaptureBusyProfiler(t *testing.T) {
	srv := newTarget(t, 1)
	f, err := NewFetcher(srv.URL+"/debug/pprof", Endpoint{}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(io.Discard); err != nil {
		t.Fatalf("start CPU profile: %v", err)
	}
	defer pprof.StopCPUProfile()
	// The lead leaves the preflight its time, so the window holds the
	// first attempt and one retry.
	start := time.Now().Add(500 * time.Millisecond)
	items := Capture(context.Background(), CaptureConfig{Fetcher: f, Start: start, End: start.Add(1500 * time.Millisecond), ChunkSeconds: 1, Kinds: []string{"cpu"}})
	if len(items) != 1 || items[0].Status != results.ProfileBusy || items[0].Attempts < 2 || !strings.Contains(items[0].Error, "gave up after") {
		t.Fatalf("got %s, want one busy item after retries", summary(items))
	}
}

func TestCapturePreflightStops(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	noPprof := httptest.NewServer(http.NotFoundHandler())
	defer noPprof.Close()

	for _, tt := range []struct {
		name, base, want string
	}{
		{"unreachable", "http://" + closed + "/debug/pprof", results.ProfileUnreachable},
		{"not mounted", noPprof.URL + "/debug/pprof", results.ProfileNotMounted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewFetcher(tt.base, Endpoint{}, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			// A capture that waited for its window would be canceled
			// and record "canceled" instead.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now().Add(time.Minute)
			items := Capture(ctx, CaptureConfig{Fetcher: f, Start: start, End: start.Add(time.Minute)})
			if len(items) != len(DefaultKinds()) {
				t.Fatalf("got %d items, want one per kind", len(items))
			}
			for i, it := range items {
				if it.Kind != DefaultKinds()[i] || it.Status != tt.want || !strings.HasPrefix(it.Error, "preflight: ") {
					t.Errorf("got %s %s %q, want %s %s from the preflight", it.Kind, it.Status, it.Error, DefaultKinds()[i], tt.want)
				}
			}
		})
	}
}

// TestCaptureStallsWithinBudget points the capture at a target that
// answers the preflight and then stalls every profile: each fetch times
// out, and the budget stops the rest.
func TestCaptureStallsWithinBudget(t *testing.T) {
	var answered atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if answered.CompareAndSwap(false, true) {
			httppprof.Handler("goroutine").ServeHTTP(w, r)
			return
		}
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	f, err := NewFetcher(srv.URL+"/debug/pprof", Endpoint{}, Limits{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	items := Capture(context.Background(), CaptureConfig{Fetcher: f, Start: start, End: start.Add(300 * time.Millisecond),
		Kinds: []string{"allocs", "heap", "goroutine"}, Budget: 500 * time.Millisecond})
	budget := 0
	for _, it := range items {
		if it.Status != results.ProfileTimeout {
			t.Errorf("%s: got status %s (%s), want timeout", it.Kind, it.Status, it.Error)
		}
		if strings.Contains(it.Error, "budget of 500ms used up") {
			budget++
		}
	}
	if len(items) != 3 || budget == 0 {
		t.Errorf("got %d items, %d naming the budget; want 3 items, the last ones stopped by the budget", len(items), budget)
	}
}

// TestCapturePreflightTimeoutStopsEarly: a target whose pprof never
// answers is given up after the preflight's timeout, not after every
// snapshot's, so the run is not held far past its load.
func TestCapturePreflightTimeoutStopsEarly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	f, err := NewFetcher(srv.URL+"/debug/pprof", Endpoint{}, Limits{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	items := Capture(context.Background(), CaptureConfig{Fetcher: f, Start: start.Add(time.Second), End: start.Add(3 * time.Second),
		Kinds: []string{"cpu", "allocs", "heap"}, Budget: 10 * time.Second})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("capture took %v; want it to stop after the preflight timed out", took)
	}
	for _, it := range items {
		if it.Status != results.ProfileTimeout || !strings.Contains(it.Error, "preflight") {
			t.Errorf("%s: got %s (%s), want timeout from the preflight", it.Kind, it.Status, it.Error)
		}
	}
}

// TestCapturePacesBrokenTarget serves garbage at once to every CPU
// request: the capture must not turn that into a flood of requests.
func TestCapturePacesBrokenTarget(t *testing.T) {
	f, requests := cpuTarget(t, Limits{}, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("garbage")) })
	items := captureCPU(f, 1200*time.Millisecond)
	if n := requests.Load(); len(items) != 1 || items[0].Status != results.ProfileInvalid || n != 1 {
		t.Errorf("got %s from %d requests, want one invalid chunk from one request", summary(items), n)
	}

	// A window too short for a whole second is said, not skipped.
	items = captureCPU(f, 500*time.Millisecond)
	if len(items) != 1 || items[0].Status != results.ProfileError || !strings.Contains(items[0].Error, "no room for a CPU profile") {
		t.Errorf("short window: got %s, want one error item explaining it", summary(items))
	}
}

// TestCaptureStopsAfterWriteTimeout: a target whose WriteTimeout refuses
// the chunk's length would refuse every later chunk too; the capture asks
// once and says why, instead of keeping the target's profiler busy.
func TestCaptureStopsAfterWriteTimeout(t *testing.T) {
	f, requests := cpuTarget(t, Limits{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Go-Pprof", "1")
		http.Error(w, "profile duration exceeds server's WriteTimeout", http.StatusBadRequest)
	})
	items := captureCPU(f, 2200*time.Millisecond)
	if n := requests.Load(); len(items) != 1 || !strings.Contains(items[0].Error, "WriteTimeout") || n != 1 {
		t.Errorf("got %s from %d requests, want one chunk naming WriteTimeout from one request", summary(items), n)
	}
}

// TestCaptureStopsAfterOversize: a CPU endpoint that streams past the
// download cap is asked once, not once per chunk.
func TestCaptureStopsAfterOversize(t *testing.T) {
	f, requests := cpuTarget(t, Limits{MaxDownload: 1 << 20}, func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 64<<10)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	items := captureCPU(f, 2200*time.Millisecond)
	if n := requests.Load(); len(items) != 1 || items[0].Status != results.ProfileOversize || n != 1 {
		t.Errorf("got %s from %d requests, want one oversize chunk from one request", summary(items), n)
	}
}

// cpuTarget serves profile as the target's CPU profile endpoint, counting
// its requests, and a small goroutine profile for the preflight.
func cpuTarget(t *testing.T, lim Limits, profile http.HandlerFunc) (*Fetcher, *atomic.Int32) {
	t.Helper()
	requests := new(atomic.Int32)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/goroutine", func(w http.ResponseWriter, r *http.Request) { w.Write(smallProfile()) })
	mux.HandleFunc("/debug/pprof/profile", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		profile(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f, err := NewFetcher(srv.URL+"/debug/pprof", Endpoint{}, lim)
	if err != nil {
		t.Fatal(err)
	}
	return f, requests
}

// captureCPU captures CPU chunks of 1 s over a window starting shortly.
func captureCPU(f *Fetcher, window time.Duration) []results.Profile {
	start := time.Now().Add(100 * time.Millisecond)
	return Capture(context.Background(), CaptureConfig{Fetcher: f, Start: start, End: start.Add(window), ChunkSeconds: 1, Kinds: []string{"cpu"}})
}

func TestChunkSeconds(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, tt := range []struct {
		left  time.Duration
		chunk int
		want  int
	}{
		{25 * time.Second, 10, 10},
		{7 * time.Second, 10, 7},
		{1900 * time.Millisecond, 10, 2}, // within the slack of 2 s
		{1700 * time.Millisecond, 10, 1},
		{700 * time.Millisecond, 10, 0},
		{-time.Second, 10, 0},
	} {
		c := &capture{cfg: CaptureConfig{End: now.Add(tt.left), ChunkSeconds: tt.chunk, Now: func() time.Time { return now }}}
		if got := c.chunkSeconds(); got != tt.want {
			t.Errorf("%v left, chunk %d: got %d, want %d", tt.left, tt.chunk, got, tt.want)
		}
	}
}

// TestCaptureCanceled stops a capture mid-window, as Ctrl-C would: every
// item is recorded as canceled, and the target's CPU profiler is free
// again for the next capture (the closed connection stopped the profile).
func TestCaptureCanceled(t *testing.T) {
	srv := newTarget(t, 1)
	f, err := NewFetcher(srv.URL+"/debug/pprof", Endpoint{}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	time.AfterFunc(300*time.Millisecond, cancel)
	items := Capture(ctx, CaptureConfig{Fetcher: f, Start: start, End: start.Add(time.Minute), ChunkSeconds: 10, Kinds: []string{"cpu", "allocs", "heap"}})
	if len(items) != 3 {
		t.Fatalf("got %s, want cpu, allocs and heap", summary(items))
	}
	for _, it := range items {
		if it.Status != results.ProfileError || !strings.Contains(it.Error, "canceled") {
			t.Errorf("%s: got %s %q, want error canceled", it.Kind, it.Status, it.Error)
		}
	}
	// The server notices the closed connection a moment later; until
	// then the profiler still reads as busy.
	var (
		status string
		ferr   error
	)
	for range 100 {
		if _, status, ferr = f.Fetch(context.Background(), "cpu", 1); status != results.ProfileBusy {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Without load the profile may hold no samples; it ran either way.
	if status != results.ProfileOK && status != results.ProfileEmpty {
		t.Errorf("CPU profile after the cancel: got %s (%v), want ok or empty", status, ferr)
	}
}
