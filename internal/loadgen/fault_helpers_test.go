package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/perfkit/perfkit/internal/client"
	"github.com/perfkit/perfkit/internal/faultserver"
	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/results"
)

// faultMargin is what a run may take beyond its duration and graceful
// stop: closing connections and assembling the result. Generous, because
// the race detector and a 2-core machine slow everything.
const faultMargin = 2 * time.Second

// faultOK is the pseudo-kind for requests that completed without error
// (any status below 400) in kind checks.
const faultOK = "ok"

// faultRun runs p (defaults filled, validated) against a misbehaving target
// and checks what every row of the fault matrix requires of a run: it ends
// within duration + graceful stop + faultMargin (a watchdog panics with
// every goroutine's stack if it does not end at all), it is not cut short,
// the result validates, every request is classified and in the timeline,
// and neither the result nor its summary holds NaN or Inf.
func faultRun(t *testing.T, p *plan.Plan, opts Options) *results.Run {
	t.Helper()
	p = testPlan(t, p)
	bound := p.TotalDuration() + p.GracefulStop + faultMargin
	// The deadline interrupts a run that overstays; status "interrupted"
	// then fails the test below. The hard watchdog catches a run that
	// ignores even that.
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	type outcome struct {
		res *results.Result
		err error
	}
	done := make(chan outcome, 1)
	start := time.Now()
	go func() {
		res, err := Run(ctx, p, opts)
		done <- outcome{res, err}
	}()
	var o outcome
	watchdog := time.NewTimer(bound + faultMargin)
	defer watchdog.Stop()
	select {
	case o = <-done:
	case <-watchdog.C:
		panic(fmt.Sprintf("watchdog: loadgen.Run still running after %v (bound %v)", time.Since(start), bound))
	}
	took := time.Since(start)
	t.Logf("run took %v (bound %v)", took.Round(time.Millisecond), bound)
	if o.err != nil {
		t.Fatalf("run: %v", o.err)
	}
	run := onlyRun(t, o.res)
	if run.Status != results.StatusComplete {
		t.Errorf("status: got %q, want %q (the run overstayed %v)", run.Status, results.StatusComplete, bound)
	}
	faultClassified(t, run)
	faultNoNaN(t, o.res)
	return run
}

// faultClassified checks that every request is accounted for exactly
// once: as a success with a status, or under one error kind.
func faultClassified(t *testing.T, run *results.Run) {
	t.Helper()
	tot := run.Totals
	var kinds int64
	for k, n := range tot.ErrorKinds {
		if _, ok := results.ParseErrKind(k); !ok {
			t.Errorf("unknown error kind %q", k)
		}
		kinds += n
	}
	if kinds != tot.Errors {
		t.Errorf("error kinds add up to %d, errors %d", kinds, tot.Errors)
	}
	var good int64
	for code, n := range tot.StatusCodes {
		if c, err := strconv.Atoi(code); err == nil && c < 400 {
			good += n
		}
	}
	if ok := tot.Requests - tot.Errors; good < ok {
		t.Errorf("%d successes but only %d responses with a status below 400 (%v)", ok, good, tot.StatusCodes)
	}
	if run.Warmup == 0 {
		var inTimeline int64
		for _, iv := range run.Timeline.Intervals {
			inTimeline += iv.Requests
		}
		if inTimeline != tot.Requests {
			t.Errorf("timeline holds %d requests, totals %d", inTimeline, tot.Requests)
		}
	}
}

// faultNoNaN checks the result file and the summary JSON for values JSON
// cannot carry: encoding/json refuses NaN and ±Inf, and no string may
// spell them either. (onlyRun already validated the result; decoding it
// back is the results package's round-trip test.)
func faultNoNaN(t *testing.T, res *results.Result) {
	t.Helper()
	var file bytes.Buffer
	if err := results.Encode(&file, res); err != nil {
		t.Fatalf("encode result: %v", err)
	}
	sum, err := results.Summarize(res)
	if err != nil {
		t.Fatalf("summarize: %v", err)
	}
	js, err := json.Marshal(sum)
	if err != nil {
		t.Fatalf("summary JSON: %v", err)
	}
	for name, doc := range map[string][]byte{"result file": file.Bytes(), "summary": js} {
		for _, bad := range []string{"NaN", "Inf"} {
			if bytes.Contains(doc, []byte(bad)) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
}

// faultKinds counts the run's requests by outcome: faultOK, or the error
// kind.
func faultKinds(run *results.Run) map[string]int64 {
	m := map[string]int64{}
	if ok := run.Totals.Requests - run.Totals.Errors; ok > 0 {
		m[faultOK] = ok
	}
	for k, n := range run.Totals.ErrorKinds {
		if n > 0 {
			m[k] = n
		}
	}
	return m
}

// faultWantKinds checks that the run has requests, that want accounts for
// most of them and that every other request falls under allowed.
func faultWantKinds(t *testing.T, run *results.Run, want string, allowed ...string) {
	t.Helper()
	got := faultKinds(run)
	n := run.Totals.Requests
	if n == 0 {
		t.Fatalf("no requests recorded")
	}
	if got[want]*2 <= n {
		t.Errorf("%s: got %d of %d requests, want most (%v)", want, got[want], n, got)
	}
	for k, c := range got {
		if k != want && !slices.Contains(allowed, k) {
			t.Errorf("%d requests of kind %s, want only %s %v (%v)", c, k, want, allowed, got)
		}
	}
}

// faultLeakCheck records the goroutines and open file descriptors now and
// registers a cleanup, run after every cleanup registered later (the
// servers' Close among them), that fails the test if goroutines were left
// behind or descriptors did not return to the baseline.
func faultLeakCheck(t *testing.T, opts ...goleak.Option) {
	t.Helper()
	// The first socket of the process creates the netpoller's own
	// descriptors; make sure they exist before counting.
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
	}
	opts = append(opts, goleak.IgnoreCurrent())
	before, ok := openFDs()
	t.Cleanup(func() {
		if err := goleak.Find(opts...); err != nil {
			t.Errorf("goroutines left behind: %v", err)
		}
		if !ok {
			return
		}
		after := faultFDsSettle(before)
		t.Logf("fds: %d before, %d after; goroutines now %d", before, after, runtime.NumGoroutine())
		if after > before+2 {
			t.Errorf("open file descriptors: %d before, %d after (%s)", before, after, fdTargets())
		}
	})
}

// faultFDsSettle waits up to a second for the descriptor count to fall to
// want and returns the last count: sockets are closed by goroutines that
// may still be finishing.
func faultFDsSettle(want int) int {
	deadline := time.Now().Add(time.Second)
	for {
		n, _ := openFDs()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openFDs counts this process's open file descriptors (Linux only).
func openFDs() (int, bool) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, false
	}
	return len(ents), true
}

// fdTargets describes the open descriptors, for a failure message.
func fdTargets() string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err.Error()
	}
	counts := map[string]int{}
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue
		}
		if i := strings.Index(target, ":["); i > 0 {
			target = target[:i]
		}
		counts[target]++
	}
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// faultBaseline is what a short run allocates against a well-behaved
// target: the collector's histograms dominate it and every run shorter than
// one interval pays it once. Memory checks subtract it.
var faultBaseline struct {
	once  sync.Once
	bytes uint64
}

// faultExtraAlloc returns the bytes the whole process allocated during f
// beyond faultBaseline, and the heap in use after it. f must run a plan
// shorter than DefaultInterval with at most 2 VUs.
func faultExtraAlloc(t *testing.T, f func()) (extra, heap uint64) {
	t.Helper()
	faultBaseline.once.Do(func() {
		srv := faultserver.New(t, faultserver.Respond(200, "ok"))
		p := faultPlan(srv.URL, plan.Plan{Duration: 200 * time.Millisecond})
		faultBaseline.bytes, _ = faultAllocated(func() { faultRun(t, p, Options{}) })
		srv.Close()
		t.Logf("baseline: a short run allocates %s", faultMiB(faultBaseline.bytes))
	})
	allocated, heap := faultAllocated(f)
	t.Logf("allocated %s during the run (a normal short run: %s), heap in use after %s",
		faultMiB(allocated), faultMiB(faultBaseline.bytes), faultMiB(heap))
	if allocated < faultBaseline.bytes {
		return 0, heap
	}
	return allocated - faultBaseline.bytes, heap
}

// faultAllocated runs f and returns the bytes the whole process allocated
// meanwhile (runtime.MemStats.TotalAlloc) and the heap in use after it,
// after a GC.
func faultAllocated(f func()) (allocated, heap uint64) {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	f()
	runtime.GC()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc, m1.HeapInuse
}

func faultMiB(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// cannedFactory is an in-process transport: every request succeeds at
// once, so the soak measures perfkit's own bookkeeping and nothing else.
type cannedFactory struct{ base time.Time }

func (f *cannedFactory) NewConn() client.Conn { return &cannedConn{base: f.base} }

type cannedConn struct{ base time.Time }

func (c *cannedConn) Do(ep int, out *client.Outcome) {
	now := time.Since(c.base)
	*out = client.Outcome{Status: 200, Start: now, Sent: now, FirstByte: now, Done: now, BytesIn: 120, BytesOut: 60}
}

func (c *cannedConn) Close() error { return nil }
