//go:build heavy

package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/client"
	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/results"
)

// instantFactory answers every request at once, in process: the soak
// measures perfkit's own bookkeeping, not a network.
type instantFactory struct{ base time.Time }

func (f *instantFactory) NewConn() client.Conn { return &instantConn{f: f} }

type instantConn struct {
	f      *instantFactory
	closed atomic.Bool
}

func (c *instantConn) Do(ep int, out *client.Outcome) {
	*out = client.Outcome{}
	now := time.Since(c.f.base)
	out.Start, out.Sent, out.FirstByte, out.Done = now, now, now, now
	if c.closed.Load() {
		out.Kind = results.KindCanceled
		return
	}
	out.Status, out.BytesIn, out.BytesOut = 200, 100, 40
}

func (c *instantConn) Close() error { c.closed.Store(true); return nil }

// rssKiB reads this process's resident set, or 0 when it cannot (no
// /proc, or no file descriptor left).
func rssKiB() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			n, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return n
		}
	}
	return 0
}

// TestSoakTenMillionRequestsFlatMemory drives at least 10,000,000
// requests (and 30 s) through the engine and an in-process transport and
// checks that memory stays flat: once the heap has reached its GC target
// (15 s), the peak RSS stays within 20 % of it for the rest of the run.
func TestSoakTenMillionRequestsFlatMemory(t *testing.T) {
	f := &instantFactory{}
	p := testPlan(t, &plan.Plan{VUs: 8, Duration: 10 * time.Minute, Endpoints: []plan.Endpoint{{Name: "a", URL: "http://127.0.0.1:1/"}, {Name: "b", URL: "http://127.0.0.1:1/b"}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rssAt1M, rssWarm, peak int64
	var liveWarm, livePeak uint64
	opts := Options{
		NewFactory: func(base time.Time) (ConnFactory, error) { f.base = base; return f, nil },
		OnTick: func(s results.Snapshot) {
			rss := rssKiB()
			// Live heap after a collection: what the run holds on to, as
			// opposed to garbage waiting for the GC's next cycle.
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if rssAt1M == 0 && s.TotalRequests >= 1_000_000 {
				rssAt1M = rss
			}
			// The Go heap settles at its GC target in the first seconds;
			// flat means no growth after that.
			if rssWarm == 0 && s.Elapsed >= 15*time.Second {
				rssWarm, liveWarm = rss, ms.HeapAlloc
			}
			if rssWarm > 0 {
				peak = max(peak, rss)
				livePeak = max(livePeak, ms.HeapAlloc)
			}
			t.Logf("%v: %d requests, RSS %d MiB, live heap %d MiB, goroutines %d", s.Elapsed.Round(time.Second), s.TotalRequests, rss>>10, ms.HeapAlloc>>20, runtime.NumGoroutine())
			// At least 10M requests and 30 s, so the timeline grows too.
			if s.TotalRequests >= 10_000_000 && s.Elapsed >= 45*time.Second {
				cancel()
			}
		},
	}
	res, err := Run(ctx, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	run := onlyRun(t, res)
	end := rssKiB()
	t.Logf("requests %d, RSS at 1M %d MiB, at 15 s %d MiB, peak after 15 s %d MiB, after the result was built %d MiB, timeline %d intervals of %d ms",
		run.Totals.Requests, rssAt1M>>10, rssWarm>>10, peak>>10, end>>10, len(run.Timeline.Intervals), run.Timeline.IntervalMs)
	if run.Totals.Requests < 10_000_000 {
		t.Fatalf("requests: got %d, want >= 10M", run.Totals.Requests)
	}
	t.Logf("live heap at 15 s %d MiB, peak after %d MiB", liveWarm>>20, livePeak>>20)
	if float64(peak) > 1.2*float64(rssWarm) {
		t.Errorf("RSS grew from %d MiB at 15 s to a peak of %d MiB", rssWarm>>10, peak>>10)
	}
	if float64(livePeak) > 1.2*float64(liveWarm) {
		t.Errorf("live heap grew from %d MiB at 15 s to a peak of %d MiB", liveWarm>>20, livePeak>>20)
	}
}

// TestTenThousandVUs runs 10,000 virtual users, each with its own
// connection, against a loopback server and checks every request is
// classified and nothing is left behind.
func TestTenThousandVUs(t *testing.T) {
	// The target runs in its own process, as a real service would: one
	// process holding both ends of 10,000 connections would need twice
	// the file descriptors.
	cmd := exec.Command(os.Args[0], "-test.run=^TestCannedServerProcess$")
	cmd.Env = append(os.Environ(), cannedEnv+"=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr = strings.TrimSpace(addr)
	before := runtime.NumGoroutine()
	p := testPlan(t, &plan.Plan{VUs: 10_000, Duration: 5 * time.Second, Timeout: 5 * time.Second, Endpoints: []plan.Endpoint{{URL: "http://" + addr + "/"}}})
	var peakRSS, peakG int64
	res, err := Run(context.Background(), p, Options{OnTick: func(s results.Snapshot) {
		peakRSS = max(peakRSS, rssKiB())
		peakG = max(peakG, int64(runtime.NumGoroutine()))
	}})
	if err != nil {
		t.Fatal(err)
	}
	run := onlyRun(t, res)
	var kinds int64
	for _, n := range run.Totals.ErrorKinds {
		kinds += n
	}
	t.Logf("requests %d (%.0f/s), errors %d %v, connections %d, peak RSS %d MiB, peak goroutines %d (test server included), after %d (before %d)",
		run.Totals.Requests, float64(run.Totals.Requests)/run.WindowSeconds(), run.Totals.Errors, run.Totals.ErrorKinds,
		run.Phases.Connect.Count(), peakRSS>>10, peakG, runtime.NumGoroutine(), before)
	if run.Totals.Requests == 0 || kinds != run.Totals.Errors {
		t.Fatalf("requests %d, errors %d, kinds %v", run.Totals.Requests, run.Totals.Errors, run.Totals.ErrorKinds)
	}
	if got := run.Generator.MaxVUs; got < 9_000 {
		t.Errorf("max active VUs: got %d, want ~10,000", got)
	}
}

const cannedEnv = "PERFKIT_CANNED_SERVER"

// TestCannedServerProcess is the target process of TestTenThousandVUs: it
// serves canned responses on a loopback port it prints, until its stdin
// closes.
func TestCannedServerProcess(t *testing.T) {
	if os.Getenv(cannedEnv) != "1" {
		t.Skip("runs only as TestTenThousandVUs's target process")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go serveCanned(ln)
	fmt.Println(ln.Addr().String())
	io.Copy(io.Discard, os.Stdin)
	ln.Close()
	os.Exit(0)
}
