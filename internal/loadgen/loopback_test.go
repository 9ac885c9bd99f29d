package loadgen

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/results"
)

// delayClass maps the server's n-th request to a sleep. The mix puts each
// percentile perfkit reports well inside one class: p50 and p90 in the
// 8 ms class (40%..95%), p99 in the 15 ms class (95%..99.5%), p99.9 in the
// 30 ms class (99.5%..99.95%).
func delayClass(n int64) time.Duration {
	switch m := n % 2000; {
	case m < 800:
		return 2 * time.Millisecond
	case m < 1900:
		return 8 * time.Millisecond
	case m < 1990:
		return 15 * time.Millisecond
	case m < 1999:
		return 30 * time.Millisecond
	default:
		return 50 * time.Millisecond
	}
}

// timedServer serves requests with delayClass sleeps and records its own
// service time for each one.
type timedServer struct {
	*httptest.Server
	n     atomic.Int64
	mu    sync.Mutex
	times []time.Duration
}

func newTimedServer(t *testing.T) *timedServer {
	s := &timedServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		time.Sleep(delayClass(s.n.Add(1) - 1))
		w.Write([]byte("ok"))
		d := time.Since(start)
		s.mu.Lock()
		s.times = append(s.times, d)
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

// quantile is the exact nearest-rank quantile of sorted values.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func TestLoopbackPercentilesMatchTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("loopback load test")
	}
	if raceEnabled {
		t.Skip("timing precision is meaningless under the race detector; test.sh runs this test without -race")
	}
	srv := newTimedServer(t)
	p := testPlan(t, &plan.Plan{VUs: 8, Duration: 4 * time.Second, Endpoints: []plan.Endpoint{{URL: srv.URL}}})
	res, err := Run(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := onlyRun(t, res)
	srv.mu.Lock()
	server := slices.Clone(srv.times)
	srv.mu.Unlock()
	slices.Sort(server)
	if got, want := run.Totals.Requests, int64(len(server)); got != want {
		t.Fatalf("requests: perfkit counted %v, the server %v", got, want)
	}
	if run.Totals.Errors != 0 {
		t.Fatalf("errors: got %v (%v), want 0", run.Totals.Errors, run.Totals.ErrorKinds)
	}
	if len(server) < 2000 {
		t.Fatalf("only %d requests: too few for p99.9", len(server))
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		got := run.Totals.Latency.Quantile(q)
		want := quantile(server, q)
		// HDR keeps 3 significant digits; the client adds loopback and
		// parsing time on top of the server's own measurement.
		tol := want/1000 + time.Millisecond
		if got < want-want/1000 || got > want+tol {
			t.Errorf("p%v: perfkit %v, server %v (allowed %v..%v)", q*100, got, want, want-want/1000, want+tol)
		}
	}
}

// A server that freezes for 1 s during an open-model run at 200 req/s: the
// ~200 requests due in the freeze must show latency from their intended
// send time, while service time shows the uncorrected view.
func TestLoopbackFreezeShowsInLatencyNotServiceTime(t *testing.T) {
	if testing.Short() {
		t.Skip("loopback load test")
	}
	if raceEnabled {
		t.Skip("timing precision is meaningless under the race detector; test.sh runs this test without -race")
	}
	var start atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		since := time.Duration(time.Now().UnixNano() - start.Load())
		if since >= time.Second && since < 2*time.Second {
			time.Sleep(2*time.Second - since)
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	p := testPlan(t, &plan.Plan{Rate: 200, Duration: 3 * time.Second, MaxVUs: 400, Endpoints: []plan.Endpoint{{URL: srv.URL}}})
	start.Store(time.Now().UnixNano())
	res, err := Run(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := onlyRun(t, res)
	if got := run.Totals.Requests + run.Generator.Dropped; got < 594 || got > 600 {
		t.Fatalf("requests due: got %v, want 600", got)
	}
	slowLatency := countAbove(run.Totals.Latency.Quantile, 500*time.Millisecond, run.Totals.Requests)
	if slowLatency < 80 || slowLatency > 120 {
		t.Errorf("latency >= 500ms: got %v requests, want ~100 (half of the ~200 due in the freeze)", slowLatency)
	}
	// Every due request was sent on time (the pool had room), so the
	// server-side wait is real service time too: both views agree here and
	// service time can never exceed latency. They part when perfkit sends
	// late (send lag), which TestOpenModelCorrectsCoordinatedOmission and
	// the self-check cover.
	for _, q := range []float64{0.5, 0.9, 0.99} {
		if s, l := run.Totals.Service.Quantile(q), run.Totals.Latency.Quantile(q); s > l {
			t.Errorf("p%v: service time %v exceeds latency %v", q*100, s, l)
		}
	}
	if run.Totals.Errors != 0 {
		t.Errorf("errors: got %v, want 0", run.Totals.ErrorKinds)
	}
}

func TestLoopbackRateAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("loopback load test")
	}
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
	}))
	defer srv.Close()
	p := testPlan(t, &plan.Plan{Rate: 1000, Duration: 2 * time.Second, Endpoints: []plan.Endpoint{{URL: srv.URL}}})
	res, err := Run(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := onlyRun(t, res)
	if got := run.Totals.Requests; got < 1980 || got > 2020 {
		t.Errorf("requests: got %v, want 2000 ±1%%", got)
	}
	if got := served.Load(); got != run.Totals.Requests {
		t.Errorf("server counted %v, perfkit %v", got, run.Totals.Requests)
	}
}

func TestLoopbackUnreachableTargetIsMeasured(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	p := testPlan(t, &plan.Plan{VUs: 2, Duration: 300 * time.Millisecond, Endpoints: []plan.Endpoint{{URL: "http://" + addr + "/"}}})
	res, err := Run(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := onlyRun(t, res)
	if run.Totals.Requests == 0 {
		t.Fatal("no requests recorded")
	}
	if got := run.Totals.ErrorKinds["connection_refused"]; got != run.Totals.Requests {
		t.Errorf("connection_refused: got %v of %v requests (%v)", got, run.Totals.Requests, run.Totals.ErrorKinds)
	}
	s, err := results.Summarize(res)
	if err != nil {
		t.Fatal(err)
	}
	if s.ErrorRate != 1 {
		t.Errorf("error rate: got %v, want 1", s.ErrorRate)
	}
}
