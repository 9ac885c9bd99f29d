package loadgen

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/faultserver"
	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/results"
)

// The tests in this file are rows of the fault matrix in
// shared/research/reliability.md (c), "Target misbehaviour"; TESTING.md maps
// every row to its test.

// faultPlan is a short run against url: 2 VUs for 300 ms, a 2 s timeout
// (generous: rows about timeouts set their own, and the others must not
// time out on a loaded 2-core machine under the race detector), and a
// graceful stop 200 ms longer than the timeout, so a request started just
// before the end times out rather than being cut off; p overrides each.
func faultPlan(url string, p plan.Plan) *plan.Plan {
	if p.VUs == 0 && p.Rate == 0 {
		p.VUs = 2
	}
	if p.Duration == 0 {
		p.Duration = 300 * time.Millisecond
	}
	if p.Timeout == 0 {
		p.Timeout = 2 * time.Second
	}
	if p.GracefulStop == 0 {
		p.GracefulStop = p.Timeout + 200*time.Millisecond
	}
	p.Endpoints = append([]plan.Endpoint{{URL: url}}, p.Endpoints...)
	return &p
}

// hdrFloor is the lowest value a histogram may report for a recorded d:
// HDR keeps three significant digits, so a value reads back up to 0.1%
// low.
func hdrFloor(d time.Duration) time.Duration { return d - d/1000 }

// faultSettle waits up to a second for the server to see every connection
// closed, and fails the test if one stays open: perfkit must not leave
// connections behind at the target.
func faultSettle(t *testing.T, srv *faultserver.Server) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for srv.Active() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.Active(); n > 0 {
		t.Errorf("the target still has %d connections open after the run", n)
	}
}

// Row 1: every request is refused; the run is on time and says so.
func TestFaultRefused(t *testing.T) {
	faultLeakCheck(t)
	run := faultRun(t, faultPlan(faultserver.Refused(t), plan.Plan{}), Options{})
	faultWantKinds(t, run, "connection_refused")
	if got := run.Totals.Errors; got != run.Totals.Requests {
		t.Errorf("errors: got %d, want all %d requests", got, run.Totals.Requests)
	}
	faultAttemptRate(t, "refused port", run.Totals.Requests, run.WindowSeconds(), plan.Plan{}, 2)
	if !slices.ContainsFunc(run.Warnings, func(w string) bool { return strings.Contains(w, "paused") }) {
		t.Errorf("warnings %q: want one saying the VUs paused after failed connections", run.Warnings)
	}
}

// faultMaxAttemptsPerVU bounds how many requests a VU may start per second
// against a dead target. A closed-model VU backs off after a failed
// connection (minBackoff doubling to maxBackoff): about 16 attempts in the
// first second, then 10 a second. Without the backoff it spun at the dial's
// speed, ~17,000 a second on loopback.
const faultMaxAttemptsPerVU = 50

// faultAttemptRate logs the request rate against a dead target and fails
// the test when it passes what the model allows: the arrival rate in the
// open model (perhaps 20 % more while the scheduler catches up), and
// faultMaxAttemptsPerVU per VU in the closed model.
func faultAttemptRate(t *testing.T, what string, attempts int64, seconds float64, p plan.Plan, vus int) {
	t.Helper()
	rate := float64(attempts) / seconds
	t.Logf("%s: %d attempts in %.2fs = %.0f/s (%.0f/s per VU)", what, attempts, seconds, rate, rate/float64(vus))
	perSecond := float64(faultMaxAttemptsPerVU * vus)
	if p.Rate > 0 {
		perSecond = 1.2*p.Rate + 10
	}
	if limit := perSecond * seconds; float64(attempts) > limit {
		t.Errorf("%s: %d attempts in %.2fs by %d VUs, want at most %.0f: a busy loop", what, attempts, seconds, vus, limit)
	}
}

// Row 2: the target resets mid-body, or while a large request body is
// still being written.
func TestFaultReset(t *testing.T) {
	t.Run("mid-response", func(t *testing.T) {
		faultLeakCheck(t)
		const sent = 4096
		srv := faultserver.New(t, faultserver.Reset(sent))
		run := faultRun(t, faultPlan(srv.URL, plan.Plan{}), Options{})
		faultWantKinds(t, run, "connection_reset")
		tot := run.Totals
		if tot.StatusCodes["200"] != tot.Requests {
			t.Errorf("status 200 recorded for %d of %d requests, want all (the head arrived before the reset)", tot.StatusCodes["200"], tot.Requests)
		}
		if tot.BytesIn < tot.Requests*sent/2 {
			t.Errorf("bytes in: got %d for %d requests, want the partial bodies counted (~%d each)", tot.BytesIn, tot.Requests, sent)
		}
		// A reset connection is never reused: one request per connection.
		if srv.Accepted() != srv.Requests() || run.Phases.Connect.Count() != tot.Requests {
			t.Errorf("connections: %d accepted for %d requests, %d dials recorded for %d; want one each",
				srv.Accepted(), srv.Requests(), run.Phases.Connect.Count(), tot.Requests)
		}
		if got := run.Totals.Latency.Count(); got != tot.Requests {
			t.Errorf("latencies: got %d, want one per reset request (%d)", got, tot.Requests)
		}
		faultSettle(t, srv)
	})
	t.Run("during the request body", func(t *testing.T) {
		faultLeakCheck(t)
		srv := faultserver.New(t, faultserver.ResetOnRequest())
		body := bytes.Repeat([]byte("b"), 8<<20)
		p := faultPlan(srv.URL, plan.Plan{Timeout: time.Second})
		p.Endpoints[0].Method, p.Endpoints[0].Body = "POST", body
		run := faultRun(t, p, Options{})
		faultWantKinds(t, run, "connection_reset")
		faultSettle(t, srv)
	})
}

// Row 3: the target accepts and never answers; every request ends at the
// timeout, with its latency, and the run ends on time.
func TestFaultHang(t *testing.T) {
	tests := []struct {
		name string
		p    plan.Plan
		want int64 // exact request count; 0 when the model does not fix it
	}{
		{"closed model", plan.Plan{VUs: 2, Duration: 600 * time.Millisecond, Timeout: 300 * time.Millisecond, GracefulStop: 500 * time.Millisecond}, 0},
		// 20 req/s for 500 ms: 10 requests, the last due at 450 ms and
		// timed out at 750 ms, inside the graceful stop.
		{"open model", plan.Plan{Rate: 20, Duration: 500 * time.Millisecond, Timeout: 300 * time.Millisecond, GracefulStop: 500 * time.Millisecond}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			faultLeakCheck(t)
			srv := faultserver.New(t, faultserver.Hang())
			p := faultPlan(srv.URL, tt.p)
			run := faultRun(t, p, Options{})
			faultWantKinds(t, run, "timeout")
			tot := run.Totals
			if tt.want > 0 && (tot.Requests != tt.want || srv.Requests() != tt.want) {
				t.Errorf("requests: perfkit %d, server %d, want %d", tot.Requests, srv.Requests(), tt.want)
			}
			if lo := tot.Latency.Min(); lo < hdrFloor(p.Timeout) {
				t.Errorf("latency min %v: a timed-out request must record at least the %v timeout", lo, p.Timeout)
			}
			if hi := tot.Latency.Max(); hi > p.Timeout+faultMargin {
				t.Errorf("latency max %v: the %v timeout was not enforced", hi, p.Timeout)
			}
			faultSettle(t, srv)
		})
	}
}

// Row 4: the target stalls before its headers, between headers and body,
// or trickles the body; past the timeout each is a timeout, within it a
// success whose latency shows the stall.
func TestFaultStall(t *testing.T) {
	const stall = 150 * time.Millisecond
	tests := []struct {
		name    string
		handler faultserver.Handler
		timeout time.Duration
		want    string
		// check looks at phase timings; nil skips.
		check func(t *testing.T, tot results.Stats)
	}{
		{"before headers past the timeout", faultserver.StallHeaders(600*time.Millisecond, "late"), 200 * time.Millisecond, "timeout",
			func(t *testing.T, tot results.Stats) {
				if n := tot.TTFB.Count(); n != 0 {
					t.Errorf("TTFB recorded for %d requests, want none (no byte arrived)", n)
				}
			}},
		{"after headers past the timeout", faultserver.StallBody(600*time.Millisecond, "late"), 200 * time.Millisecond, "timeout",
			func(t *testing.T, tot results.Stats) {
				if n := tot.TTFB.Count(); n != tot.Requests {
					t.Errorf("TTFB recorded for %d of %d requests, want all (the headers arrived)", n, tot.Requests)
				}
			}},
		{"trickle past the timeout", faultserver.Trickle(100, 20*time.Millisecond), 200 * time.Millisecond, "timeout", nil},
		{"before headers within the timeout", faultserver.StallHeaders(stall, "late"), time.Second, faultOK,
			func(t *testing.T, tot results.Stats) {
				if lo := tot.TTFB.Min(); lo < hdrFloor(stall) {
					t.Errorf("TTFB min %v, want at least the %v stall", lo, stall)
				}
			}},
		{"after headers within the timeout", faultserver.StallBody(stall, "late"), time.Second, faultOK,
			func(t *testing.T, tot results.Stats) {
				if ttfb, lat := tot.TTFB.Quantile(0.5), tot.Latency.Quantile(0.5); ttfb >= stall || lat < stall {
					t.Errorf("TTFB p50 %v, latency p50 %v: want the stall in latency only", ttfb, lat)
				}
			}},
		{"trickle within the timeout", faultserver.Trickle(5, 30*time.Millisecond), time.Second, faultOK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			faultLeakCheck(t)
			srv := faultserver.New(t, tt.handler)
			p := faultPlan(srv.URL, plan.Plan{Duration: 200 * time.Millisecond, Timeout: tt.timeout, GracefulStop: tt.timeout + 300*time.Millisecond})
			run := faultRun(t, p, Options{})
			faultWantKinds(t, run, tt.want)
			tot := run.Totals
			if tt.want == faultOK {
				if lo := tot.Latency.Min(); lo < hdrFloor(stall) {
					t.Errorf("latency min %v, want at least the %v stall", lo, stall)
				}
			} else if lo := tot.Latency.Min(); lo < hdrFloor(tt.timeout) {
				t.Errorf("latency min %v, want at least the %v timeout", lo, tt.timeout)
			}
			if tt.check != nil {
				tt.check(t, tot)
			}
			faultSettle(t, srv)
		})
	}
}

// Row 6: the server closes idle connections after 50 ms and the VUs think
// for 60 ms, so every kept-alive connection is dead when reused. The
// client sees the close before sending (its idle probe) and dials afresh:
// the requests succeed, nothing is sent twice, and each dial is counted.
// A request already sent when the close arrives is an error, never
// retried; the client's own tests (TestNoSilentRetry) pin that down.
func TestFaultKeepAliveRace(t *testing.T) {
	faultLeakCheck(t)
	srv := faultserver.New(t, faultserver.IdleClose(50*time.Millisecond, "ok"))
	p := faultPlan(srv.URL, plan.Plan{Duration: 500 * time.Millisecond, ThinkTime: 60 * time.Millisecond})
	run := faultRun(t, p, Options{})
	got := faultKinds(run)
	t.Logf("outcomes: %v; %d connections for %d requests", got, run.Phases.Connect.Count(), run.Totals.Requests)
	for k := range got {
		if k != faultOK && k != "eof_reused_conn" {
			t.Errorf("%d requests of kind %s, want ok or eof_reused_conn", got[k], k)
		}
	}
	if run.Totals.Errors != 0 {
		t.Errorf("%d requests failed on connections the server had closed while idle (%v); the idle probe should redial", run.Totals.Errors, got)
	}
	if run.Phases.Connect.Count() != run.Totals.Requests {
		t.Errorf("%d dials for %d requests: every reuse after 60 ms of thinking should have found the connection closed", run.Phases.Connect.Count(), run.Totals.Requests)
	}
	// No silent retry: a failed request never reached the server, so the
	// server answered exactly the successes.
	if srv.Requests() != got[faultOK] {
		t.Errorf("server answered %d requests, perfkit counted %d successes", srv.Requests(), got[faultOK])
	}
	if run.Phases.Connect.Count() != srv.Accepted() {
		t.Errorf("perfkit recorded %d dials, the server accepted %d", run.Phases.Connect.Count(), srv.Accepted())
	}
	faultSettle(t, srv)
}

// Row 7: bodies far larger than anything perfkit should hold. The body is
// read and discarded up to the cap, never kept; past the cap the request is
// body_too_large and its connection dropped; a short body is a premature
// close.
func TestFaultBigBodies(t *testing.T) {
	const (
		big     = 256 << 20
		bodyCap = 1 << 20
	)
	tests := []struct {
		name    string
		handler faultserver.Handler
		maxBody int64
		want    string
		// bytesPerRequest bounds BytesIn / requests from above and below.
		minBytes, maxBytes int64
	}{
		{"256 MiB chunked under the cap", faultserver.Stream(big, faultserver.Chunked), plan.MaxBodyCap, faultOK, big, big + big/100},
		{"endless chunked", faultserver.Stream(-1, faultserver.Chunked), bodyCap, "body_too_large", 0, bodyCap + 64<<10},
		{"endless until close", faultserver.Stream(-1, faultserver.UntilClose), bodyCap, "body_too_large", bodyCap, bodyCap + 64<<10},
		{"2 GiB declared", faultserver.Stream(2<<30, faultserver.ContentLength), bodyCap, "body_too_large", 0, 64 << 10},
		{"lying Content-Length", faultserver.LyingLength(100, 10), bodyCap, "connection_closed", 10, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			faultLeakCheck(t)
			srv := faultserver.New(t, tt.handler)
			p := faultPlan(srv.URL, plan.Plan{VUs: 1, Duration: 100 * time.Millisecond, Timeout: 20 * time.Second,
				GracefulStop: 20 * time.Second, MaxBodyBytes: tt.maxBody})
			var run *results.Run
			extra, heap := faultExtraAlloc(t, func() { run = faultRun(t, p, Options{}) })
			tot := run.Totals
			t.Logf("%d requests, %d bytes in; allocated %s beyond a normal run, heap %s after",
				tot.Requests, tot.BytesIn, faultMiB(extra), faultMiB(heap))
			faultWantKinds(t, run, tt.want)
			if per := tot.BytesIn / max(tot.Requests, 1); per < tt.minBytes || per > tt.maxBytes {
				t.Errorf("bytes in per request: got %d, want %d..%d", per, tt.minBytes, tt.maxBytes)
			}
			faultMemBound(t, extra, tot.Requests)
			faultSettle(t, srv)
		})
	}
}

// faultMemBound fails the test when a run allocated more than a fixed
// allowance plus a per-request one beyond a normal run: dialing a fresh
// connection and building an error cost a few KiB, and the server's
// goroutine and buffers for it a few tens; a body or header section
// held in memory would cost megabytes.
func faultMemBound(t *testing.T, extra uint64, requests int64) {
	t.Helper()
	if bound := uint64(8<<20 + requests*128<<10); extra > bound {
		t.Errorf("allocated %s beyond a normal run for %d requests, want at most %s", faultMiB(extra), requests, faultMiB(bound))
	}
}

// Row 8: a gzip bomb served as an ordinary response. perfkit measures wire
// bytes and never inflates, so the bomb costs what it weighs compressed.
func TestFaultGzipBomb(t *testing.T) {
	const inflated = 1 << 30
	bomb, err := faultserver.GzipBomb(inflated)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		maxBody int64
		want    string
	}{
		{"under the cap", 0, faultOK},
		{"over the cap", int64(len(bomb) / 2), "body_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			faultLeakCheck(t)
			srv := faultserver.New(t, faultserver.Gzip(bomb))
			p := faultPlan(srv.URL, plan.Plan{Duration: 300 * time.Millisecond, Timeout: 5 * time.Second, GracefulStop: 5 * time.Second, MaxBodyBytes: tt.maxBody})
			var run *results.Run
			extra, _ := faultExtraAlloc(t, func() { run = faultRun(t, p, Options{}) })
			faultWantKinds(t, run, tt.want)
			tot := run.Totals
			t.Logf("%d requests of a %d-byte bomb (%s inflated); allocated %s beyond a normal run",
				tot.Requests, len(bomb), faultMiB(inflated), faultMiB(extra))
			if per := tot.BytesIn / tot.Requests; per > int64(len(bomb))+4096 {
				t.Errorf("bytes in per request: got %d, want at most the %d compressed bytes", per, len(bomb))
			}
			faultMemBound(t, extra, tot.Requests)
			faultSettle(t, srv)
		})
	}
}

// Row 9: malformed responses are protocol errors.
func TestFaultMalformedResponses(t *testing.T) {
	tests := []struct {
		name    string
		handler faultserver.Handler
	}{
		{"20 MiB of headers", faultserver.HugeHeaders(20 << 20)},
		{"garbage status line", faultserver.Raw("SPDY/9 banana\r\n\r\n")},
		{"status code out of range", faultserver.Raw("HTTP/1.1 042 Meaning\r\nContent-Length: 0\r\n\r\n")},
		{"bad Content-Length", faultserver.Raw("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n")},
		{"bad chunk size", faultserver.Raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			faultLeakCheck(t)
			srv := faultserver.New(t, tt.handler)
			var run *results.Run
			p := faultPlan(srv.URL, plan.Plan{Duration: 200 * time.Millisecond})
			extra, _ := faultExtraAlloc(t, func() { run = faultRun(t, p, Options{}) })
			t.Logf("%d requests; allocated %s beyond a normal run", run.Totals.Requests, faultMiB(extra))
			faultWantKinds(t, run, "protocol")
			faultMemBound(t, extra, run.Totals.Requests)
			faultSettle(t, srv)
		})
	}
}

// Row 10: a name that cannot resolve is a dns error. A label longer than
// 63 bytes is no domain name at all, so Go's resolver fails it without
// asking a server and the row runs the same on any machine; the heavy
// suite's TestFaultDNSNXDOMAIN asks a real resolver about .invalid.
func TestFaultDNSUnresolvable(t *testing.T) {
	faultLeakCheck(t)
	host := strings.Repeat("x", 64) + ".invalid"
	run := faultRun(t, faultPlan("http://"+host+":8080/", plan.Plan{}), Options{})
	faultWantKinds(t, run, "dns")
}

// Row 16: the rate cannot be reached with the VUs allowed. Every due
// request is sent or counted as dropped, and the summary says perfkit fell
// behind.
func TestFaultRateUnattainable(t *testing.T) {
	faultLeakCheck(t)
	srv := faultserver.New(t, faultserver.StallHeaders(50*time.Millisecond, "slow"))
	// 200 req/s of 50 ms requests needs 10 VUs; 2 serve ~40 req/s.
	p := faultPlan(srv.URL, plan.Plan{Rate: 200, MaxVUs: 2, Duration: 500 * time.Millisecond, Timeout: time.Second})
	run := faultRun(t, p, Options{})
	faultWantKinds(t, run, faultOK)
	due := run.Totals.Requests + run.Generator.Dropped
	if due < 95 || due > 100 {
		t.Errorf("sent %d + dropped %d = %d, want the ~100 due in 500 ms at 200/s", run.Totals.Requests, run.Generator.Dropped, due)
	}
	if run.Generator.Dropped < due/2 {
		t.Errorf("dropped %d of %d, want most (2 VUs serve a fifth of the rate)", run.Generator.Dropped, due)
	}
	sum, err := results.Summarize(&results.Result{Schema: results.Schema, Plan: []byte(`{}`), Runs: []*results.Run{run}})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Generator.Behind || len(sum.Warnings) == 0 {
		t.Errorf("summary: behind %v, warnings %q; want the self-check to say perfkit fell behind", sum.Generator.Behind, sum.Warnings)
	}
	faultSettle(t, srv)
}

// Row 16, the generator's side: when perfkit's own scheduler cannot keep
// up with the rate, every request due before the end must still be sent
// or counted as dropped. 1,000,000 req/s through an in-process transport
// is more than one scheduler goroutine dispatches under the race detector.
func TestFaultOpenModelAccountsEveryDueRequest(t *testing.T) {
	const rate, d = 1_000_000, 200 * time.Millisecond
	p := testPlan(t, &plan.Plan{Rate: rate, Duration: d, MaxVUs: 100})
	res, err := Run(context.Background(), p, Options{NewFactory: func(base time.Time) (ConnFactory, error) {
		return &cannedFactory{base: base}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	run := onlyRun(t, res)
	due := int64(rate * d.Seconds())
	if got := run.Totals.Requests + run.Generator.Dropped; got != due {
		t.Errorf("sent %d + dropped %d = %d, want the %d due (send lag p99 %v)",
			run.Totals.Requests, run.Generator.Dropped, got, due, run.Generator.SendLag.Quantile(0.99))
	}
}
