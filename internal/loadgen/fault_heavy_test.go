//go:build heavy

package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/faultserver"
	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/results"
)

// The heavy rows of the fault matrix: gigabyte bodies, 10,000 VUs, a
// 10-million-request soak, 5-second stalls and a real resolver. Run them
// without the race detector:
//
//	go test -tags heavy -run Heavy -v -timeout 30m ./internal/loadgen

// Row 7, full size: 2 GiB bodies streamed from a generator. perfkit reads
// up to the largest cap a plan may set (plan.MaxBodyCap, 1 GiB), discards
// it as it goes, and stops; memory stays where it was.
func TestHeavyBody2GiB(t *testing.T) {
	tests := []struct {
		name    string
		size    int64
		framing faultserver.Framing
		want    string
		// minPer and maxPer bound the body bytes read per request.
		minPer, maxPer int64
	}{
		{"2 GiB chunked over the cap", 2 << 30, faultserver.Chunked, "body_too_large", plan.MaxBodyCap, plan.MaxBodyCap + 1<<20},
		{"2 GiB until close over the cap", 2 << 30, faultserver.UntilClose, "body_too_large", plan.MaxBodyCap, plan.MaxBodyCap + 1<<20},
		{"2 GiB declared over the cap", 2 << 30, faultserver.ContentLength, "body_too_large", 0, 1 << 10},
		{"1 GiB chunked at the cap", plan.MaxBodyCap, faultserver.Chunked, faultOK, plan.MaxBodyCap, plan.MaxBodyCap + 1<<20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			faultLeakCheck(t)
			srv := faultserver.New(t, faultserver.Stream(tt.size, tt.framing))
			// Two VUs, one request each: the first request outlasts the
			// 100 ms duration.
			p := faultPlan(srv.URL, plan.Plan{VUs: 2, Duration: 100 * time.Millisecond, Timeout: time.Minute,
				GracefulStop: time.Minute, MaxBodyBytes: plan.MaxBodyCap})
			runtime.GC()
			rss0 := faultserver.ProcStatus("VmRSS")
			peakOK := faultserver.ResetPeakRSS()
			var run *results.Run
			allocated, heap := faultAllocated(func() { run = faultRun(t, p, Options{}) })
			peak := faultserver.ProcStatus("VmHWM")
			tot := run.Totals
			t.Logf("%d requests, %d bytes in (%.2f GiB); allocated %s; heap after %s; RSS before %s, peak %s (reset %v)",
				tot.Requests, tot.BytesIn, float64(tot.BytesIn)/(1<<30), faultMiB(allocated), faultMiB(heap),
				faultMiB(rss0), faultMiB(peak), peakOK)
			faultWantKinds(t, run, tt.want)
			if per := tot.BytesIn / tot.Requests; per < tt.minPer || per > tt.maxPer {
				t.Errorf("bytes in per request: got %d, want %d..%d", per, tt.minPer, tt.maxPer)
			}
			if allocated > 64<<20 {
				t.Errorf("allocated %s while reading %d bytes, want under 64 MiB", faultMiB(allocated), tot.BytesIn)
			}
			if peakOK && peak > rss0+64<<20 {
				t.Errorf("peak RSS %s, want within 64 MiB of the %s before", faultMiB(peak), faultMiB(rss0))
			}
		})
	}
}

// helperEnv makes the test binary serve as TestHeavyHelperServer's
// out-of-process target.
const helperEnv = "PERFKIT_FAULT_HELPER_SERVER"

// TestHeavyHelperServer is not a test: run by heavyTarget in a child
// process, it serves 200 on a loopback port, prints the URL, and stops
// (printing how many connections it accepted) when its stdin closes.
func TestHeavyHelperServer(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for TestHeavy10kVUs")
	}
	srv := faultserver.New(t, faultserver.Respond(200, "ok"))
	fmt.Println(srv.URL)
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
	fmt.Println(srv.Accepted())
}

// heavyTarget starts TestHeavyHelperServer in a child process, so the
// target's 10,000 connections use its descriptors, not this process's.
// stop closes it and returns the connections it accepted.
func heavyTarget(t *testing.T) (url string, stop func() int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHeavyHelperServer$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("helper server: %v", err)
	}
	var once atomic.Bool
	stop = func() int64 {
		if once.Swap(true) {
			return 0
		}
		stdin.Close()
		accepted, _ := out.ReadString('\n')
		io.Copy(io.Discard, out)
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper server: %v", err)
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(accepted), 10, 64)
		return n
	}
	t.Cleanup(func() { stop() })
	return strings.TrimSpace(line), stop
}

// Row 15: 10,000 VUs, each with its own keep-alive connection, against a
// target in another process. Every VU starts, no request fails, and
// goroutines and descriptors return to where they were.
func TestHeavy10kVUs(t *testing.T) {
	const vus = 10_000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < vus+2000 {
		t.Skipf("open-file limit %d (hard %d) is too low for %d VUs plus the process's own", lim.Cur, lim.Max, vus)
	}
	faultLeakCheck(t)
	url, stop := heavyTarget(t)
	g0, fd0 := runtime.NumGoroutine(), mustFDs(t)
	runtime.GC()
	rss0 := faultserver.ProcStatus("VmRSS")
	peakOK := faultserver.ResetPeakRSS()
	var maxGoroutines, maxActive atomic.Int64
	opts := Options{OnTick: func(s results.Snapshot) {
		if g := int64(runtime.NumGoroutine()); g > maxGoroutines.Load() {
			maxGoroutines.Store(g)
		}
		if s.ActiveVUs > maxActive.Load() {
			maxActive.Store(s.ActiveVUs)
		}
	}}
	// A 3 s think time keeps 10,000 VUs at ~3,300 req/s, which two cores
	// can serve with the target beside them.
	p := faultPlan(url+"/", plan.Plan{VUs: vus, Duration: 10 * time.Second, ThinkTime: 3 * time.Second,
		Timeout: 10 * time.Second, GracefulStop: 10 * time.Second})
	start := time.Now()
	run := faultRun(t, p, opts)
	took := time.Since(start)
	peak := faultserver.ProcStatus("VmHWM")
	fdPeakGone := faultFDsSettle(fd0)
	accepted := stop()
	g1 := runtime.NumGoroutine()
	t.Logf("%d VUs: %d requests in %v (%.0f/s), %v; connections dialed %d, accepted by the target %d",
		vus, run.Totals.Requests, took.Round(time.Millisecond), float64(run.Totals.Requests)/run.WindowSeconds(),
		faultKinds(run), run.Phases.Connect.Count(), accepted)
	t.Logf("goroutines: %d before, %d peak, %d after; fds: %d before, %d after; RSS %s before, peak %s (reset %v) = %.1f KiB per VU",
		g0, maxGoroutines.Load(), g1, fd0, fdPeakGone, faultMiB(rss0), faultMiB(peak), peakOK,
		float64(peak-min(peak, rss0))/1024/vus)
	faultWantKinds(t, run, faultOK)
	if run.Totals.Errors > 0 {
		t.Errorf("errors: %v, want none", run.Totals.ErrorKinds)
	}
	if got := run.Phases.Connect.Count(); got != vus {
		t.Errorf("connections dialed: got %d, want one per VU (%d)", got, vus)
	}
	if run.Totals.Requests < 2*vus {
		t.Errorf("requests: got %d, want every VU to have sent at least 2", run.Totals.Requests)
	}
	if peakOK && peak > rss0+1<<30 {
		t.Errorf("peak RSS %s, want within 1 GiB of the %s before", faultMiB(peak), faultMiB(rss0))
	}
}

func mustFDs(t *testing.T) int {
	t.Helper()
	n, ok := openFDs()
	if !ok {
		t.Skip("no /proc/self/fd")
	}
	return n
}

// Row 18 (a): 10,000,000 requests through the engine with an in-process
// transport. Heap after GC, goroutines and descriptors stay flat from the
// first million to the last. (Timeline coarsening, the other thing a long
// run depends on, is results' TestTimelineCoarsens.)
func TestHeavySoak10M(t *testing.T) {
	const total = 10_000_000
	faultLeakCheck(t)
	checkpoints := []int64{1_000_000, 5_000_000, total}
	heapAt := make([]uint64, len(checkpoints))
	goroutinesAt := make([]int, len(checkpoints))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	opts := Options{
		NewFactory: func(base time.Time) (ConnFactory, error) { return &cannedFactory{base: base}, nil },
		OnStart: func(base time.Time, completed func() int64) {
			go func() {
				defer close(done)
				for i, at := range checkpoints {
					for completed() < at {
						time.Sleep(5 * time.Millisecond)
					}
					var m runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&m)
					heapAt[i], goroutinesAt[i] = m.HeapInuse, runtime.NumGoroutine()
				}
				cancel()
			}()
		},
	}
	runtime.GC()
	rss0 := faultserver.ProcStatus("VmRSS")
	peakOK := faultserver.ResetPeakRSS()
	p := testPlan(t, &plan.Plan{VUs: 4, Duration: 10 * time.Minute, GracefulStop: time.Second,
		Endpoints: []plan.Endpoint{{URL: "http://127.0.0.1:1/"}}})
	start := time.Now()
	res, err := Run(ctx, p, opts)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	run := onlyRun(t, res)
	faultClassified(t, run)
	faultNoNaN(t, res)
	var file bytes.Buffer
	if err := results.Encode(&file, res); err != nil {
		t.Fatal(err)
	}
	peak := faultserver.ProcStatus("VmHWM")
	t.Logf("%d requests in %v (%.0f/s); result file %d bytes, %d intervals; RSS %s before, peak %s (reset %v)",
		run.Totals.Requests, took.Round(time.Millisecond), float64(run.Totals.Requests)/took.Seconds(),
		file.Len(), len(run.Timeline.Intervals), faultMiB(rss0), faultMiB(peak), peakOK)
	for i, at := range checkpoints {
		t.Logf("at %d requests: heap in use %s, %d goroutines", at, faultMiB(heapAt[i]), goroutinesAt[i])
	}
	if run.Totals.Requests < total {
		t.Errorf("requests: got %d, want at least %d", run.Totals.Requests, total)
	}
	if run.Totals.Errors != 0 {
		t.Errorf("errors: %v", run.Totals.ErrorKinds)
	}
	if first, last := heapAt[0], heapAt[len(heapAt)-1]; last > first+first/10+4<<20 {
		t.Errorf("heap grew from %s at 1M requests to %s at 10M, want flat (±10%% + 4 MiB)", faultMiB(first), faultMiB(last))
	}
	if n := len(run.Timeline.Intervals); n == 0 || n > results.DefaultMaxIntervals {
		t.Errorf("timeline: %d intervals, want 1..%d", n, results.DefaultMaxIntervals)
	}
	if goroutinesAt[0] != goroutinesAt[len(goroutinesAt)-1] {
		t.Errorf("goroutines: %v at the checkpoints, want constant", goroutinesAt)
	}
}

// Row 4 at full length: 5-second stalls before the headers and between
// headers and body, with a 2 s timeout (a timeout) and a 10 s one (a
// success whose latency holds the stall).
func TestHeavyStall5s(t *testing.T) {
	const stall = 5 * time.Second
	tests := []struct {
		name    string
		handler faultserver.Handler
		timeout time.Duration
		want    string
	}{
		{"before headers, 2s timeout", faultserver.StallHeaders(stall, "late"), 2 * time.Second, "timeout"},
		{"after headers, 2s timeout", faultserver.StallBody(stall, "late"), 2 * time.Second, "timeout"},
		{"before headers, 10s timeout", faultserver.StallHeaders(stall, "late"), 10 * time.Second, faultOK},
		{"after headers, 10s timeout", faultserver.StallBody(stall, "late"), 10 * time.Second, faultOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			faultLeakCheck(t)
			srv := faultserver.New(t, tt.handler)
			p := faultPlan(srv.URL, plan.Plan{VUs: 2, Duration: time.Second, Timeout: tt.timeout})
			run := faultRun(t, p, Options{})
			faultWantKinds(t, run, tt.want)
			floor := tt.timeout
			if tt.want == faultOK {
				floor = stall
			}
			if lo := run.Totals.Latency.Min(); lo < hdrFloor(floor) {
				t.Errorf("latency min %v, want at least %v", lo, floor)
			}
		})
	}
}

// Row 10 against a real resolver: .invalid never resolves (RFC 6761). A
// resolver that drops a query makes Go retry after its timeout (5 s by
// default), so this row's time depends on the machine's DNS.
func TestHeavyDNSNXDOMAIN(t *testing.T) {
	const host = "perfkit-fault.invalid"
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	_, err := net.DefaultResolver.LookupHost(ctx, host)
	if dnsErr := (*net.DNSError)(nil); !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Skipf("no resolver answers NXDOMAIN here: %v", err)
	}
	faultLeakCheck(t)
	// Go's resolver finishes a lookup in the background after the request
	// that wanted it timed out, until its own timeout: net's goroutine and
	// socket, not perfkit's. Wait for them before the leak check, which
	// runs after this cleanup.
	t.Cleanup(func() {
		deadline := time.Now().Add(15 * time.Second)
		for resolving() && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
	})
	p := faultPlan("http://"+host+":8080/", plan.Plan{Duration: 300 * time.Millisecond, Timeout: time.Second})
	run := faultRun(t, p, Options{})
	faultWantKinds(t, run, "dns", "timeout")
}

// resolving reports whether a goroutine of Go's DNS resolver is running.
func resolving() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return bytes.Contains(buf, []byte("net.(*Resolver)"))
}

// Row 18 for a full day of virtual time: 86,400 interval ticks and 172,800
// requests (~15 s on 2 cores without the race detector).
func TestHeavySoak24hVirtual(t *testing.T) {
	soakVirtual(t, 24*time.Hour)
}
