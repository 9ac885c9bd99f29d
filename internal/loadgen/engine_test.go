package loadgen

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfkit/perfkit/internal/client"
	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/results"
)

// fakeFactory makes in-process connections whose response time a test
// controls; inside a synctest bubble their sleeps take no real time.
type fakeFactory struct {
	base  time.Time
	delay func(n int64) time.Duration // response time of the n-th request
	n     atomic.Int64
	conns atomic.Int64
}

func (f *fakeFactory) NewConn() client.Conn {
	f.conns.Add(1)
	return &fakeConn{f: f, closed: make(chan struct{})}
}

type fakeConn struct {
	f         *fakeFactory
	closeOnce sync.Once
	closed    chan struct{}
}

func (c *fakeConn) Do(ep int, out *client.Outcome) {
	*out = client.Outcome{}
	out.Sent = time.Since(c.f.base)
	d := c.f.delay(c.f.n.Add(1) - 1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		out.Status = 200
		out.FirstByte = time.Since(c.f.base)
		out.BytesIn, out.BytesOut = 100, 40
	case <-c.closed:
		out.Kind = results.KindCanceled
	}
	out.Done = time.Since(c.f.base)
}

func (c *fakeConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

func fakeOpts(f *fakeFactory) Options {
	return Options{NewFactory: func(base time.Time) (ConnFactory, error) {
		f.base = base
		return f, nil
	}}
}

func testPlan(t *testing.T, p *plan.Plan) *plan.Plan {
	t.Helper()
	if len(p.Endpoints) == 0 {
		p.Endpoints = []plan.Endpoint{{URL: "http://127.0.0.1:1/"}}
	}
	p.SetDefaults()
	if err := p.Validate(); err != nil {
		t.Fatalf("test plan: %v", err)
	}
	return p
}

func onlyRun(t *testing.T, res *results.Result) *results.Run {
	t.Helper()
	if len(res.Runs) != 1 {
		t.Fatalf("runs: got %v, want 1", len(res.Runs))
	}
	if err := results.Validate(res); err != nil {
		t.Fatalf("engine produced an invalid result: %v", err)
	}
	return res.Runs[0]
}

func TestOpenModelSendsExactlyTheRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeFactory{delay: func(int64) time.Duration { return 2 * time.Millisecond }}
		p := testPlan(t, &plan.Plan{Rate: 1000, Duration: 5 * time.Second, MaxVUs: 50})
		res, err := Run(context.Background(), p, fakeOpts(f))
		if err != nil {
			t.Fatal(err)
		}
		run := onlyRun(t, res)
		if got := run.Totals.Requests; got != 5000 {
			t.Fatalf("requests: got %v, want 5000", got)
		}
		if run.Generator.Dropped != 0 {
			t.Errorf("dropped: got %v, want 0", run.Generator.Dropped)
		}
		if got := run.WindowSeconds(); got != 5 {
			t.Errorf("window: got %vs, want 5s", got)
		}
	})
}

func TestOpenModelCountsDropsWhenPoolIsFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 100 req/s of 1 s requests needs ~100 VUs; 10 can serve 10 req/s.
		f := &fakeFactory{delay: func(int64) time.Duration { return time.Second }}
		p := testPlan(t, &plan.Plan{Rate: 100, Duration: 3 * time.Second, MaxVUs: 10})
		res, err := Run(context.Background(), p, fakeOpts(f))
		if err != nil {
			t.Fatal(err)
		}
		run := onlyRun(t, res)
		if got, want := run.Totals.Requests+run.Generator.Dropped, int64(300); got != want {
			t.Fatalf("sent + dropped: got %v, want %v", got, want)
		}
		if run.Totals.Requests != 30 {
			t.Errorf("sent: got %v, want 30 (10 VUs × 3 s)", run.Totals.Requests)
		}
		if got := f.conns.Load(); got != 10 {
			t.Errorf("connections: got %v, want 10 (the pool bound)", got)
		}
	})
}

// A target that stalls for 1 s: the open model must show the stall in
// latency (measured from the intended send), while service time, measured
// from the actual send, hides most of it.
func TestOpenModelCorrectsCoordinatedOmission(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeFactory{}
		var stallUntil time.Duration
		f.delay = func(int64) time.Duration {
			now := time.Since(f.base)
			if now >= 2*time.Second && now < 3*time.Second {
				stallUntil = 3 * time.Second
				return stallUntil - now
			}
			return time.Millisecond
		}
		// One VU: a closed-loop tool would send nothing during the stall.
		p := testPlan(t, &plan.Plan{Rate: 200, Duration: 5 * time.Second, MaxVUs: 1})
		res, err := Run(context.Background(), p, fakeOpts(f))
		if err != nil {
			t.Fatal(err)
		}
		run := onlyRun(t, res)
		if run.Generator.Dropped < 190 {
			t.Errorf("dropped during the stall: got %v, want ~200", run.Generator.Dropped)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		f := &fakeFactory{}
		f.delay = func(int64) time.Duration {
			now := time.Since(f.base)
			if now >= 2*time.Second && now < 3*time.Second {
				return 3*time.Second - now
			}
			return time.Millisecond
		}
		p := testPlan(t, &plan.Plan{Rate: 200, Duration: 5 * time.Second, MaxVUs: 1000})
		res, err := Run(context.Background(), p, fakeOpts(f))
		if err != nil {
			t.Fatal(err)
		}
		run := onlyRun(t, res)
		if run.Totals.Requests != 1000 {
			t.Fatalf("requests: got %v, want 1000", run.Totals.Requests)
		}
		// 200 requests were due during the stall; half of them waited > 500ms.
		slow := countAbove(run.Totals.Latency.Quantile, 500*time.Millisecond, run.Totals.Requests)
		if slow < 95 || slow > 105 {
			t.Errorf("requests with latency >= 500ms: got %v, want ~100", slow)
		}
	})
}

// countAbove estimates how many of n values exceed d from a quantile
// function, to 1% steps of resolution.
func countAbove(q func(float64) time.Duration, d time.Duration, n int64) int64 {
	lo, hi := 0.0, 1.0
	for range 40 {
		mid := (lo + hi) / 2
		if q(mid) >= d {
			hi = mid
		} else {
			lo = mid
		}
	}
	return int64(float64(n) * (1 - hi))
}

func TestClosedModelRampsVUs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeFactory{delay: func(int64) time.Duration { return 10 * time.Millisecond }}
		p := testPlan(t, &plan.Plan{Stages: []plan.Stage{
			{Duration: 2 * time.Second, Target: 20},
			{Duration: 2 * time.Second, Target: 20},
			{Duration: 2 * time.Second, Target: 0},
		}})
		var peak atomic.Int64
		opts := fakeOpts(f)
		opts.OnTick = func(s results.Snapshot) {
			if s.ActiveVUs > peak.Load() {
				peak.Store(s.ActiveVUs)
			}
		}
		res, err := Run(context.Background(), p, opts)
		if err != nil {
			t.Fatal(err)
		}
		run := onlyRun(t, res)
		// Average VUs over the run = (10·2 + 20·2 + 10·2)/6 ≈ 13.3; at
		// 100 req/s each that is ~8000 requests.
		if got := run.Totals.Requests; got < 7600 || got > 8400 {
			t.Errorf("requests: got %v, want ~8000", got)
		}
		if got := f.conns.Load(); got != 20 {
			t.Errorf("VUs started: got %v, want 20", got)
		}
	})
}

func TestGracefulStopCutsOffAndRecords(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Every request hangs for a minute; the grace period is 2 s.
		f := &fakeFactory{delay: func(int64) time.Duration { return time.Minute }}
		p := testPlan(t, &plan.Plan{VUs: 5, Duration: time.Second, GracefulStop: 2 * time.Second})
		start := time.Now()
		res, err := Run(context.Background(), p, fakeOpts(f))
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 3*time.Second+100*time.Millisecond {
			t.Errorf("run took %v, want duration + grace = 3s", took)
		}
		run := onlyRun(t, res)
		if got := run.Totals.ErrorKinds["canceled"]; got != 5 {
			t.Errorf("canceled requests: got %v, want 5", got)
		}
		if len(run.Warnings) == 0 {
			t.Errorf("want a warning about requests cut off")
		}
	})
}

func TestCancelInterruptsAndKeepsMeasurements(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeFactory{delay: func(int64) time.Duration { return 100 * time.Millisecond }}
		p := testPlan(t, &plan.Plan{VUs: 2, Duration: time.Minute})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(3*time.Second+50*time.Millisecond, cancel)
		res, err := Run(ctx, p, fakeOpts(f))
		if err != nil {
			t.Fatal(err)
		}
		run := onlyRun(t, res)
		if run.Status != results.StatusInterrupted {
			t.Errorf("status: got %q, want %q", run.Status, results.StatusInterrupted)
		}
		// 2 VUs × 10 req/s × 3 s, plus the two in flight finishing.
		if got := run.Totals.Requests; got != 62 {
			t.Errorf("requests: got %v, want 62", got)
		}
		if got := run.WindowSeconds(); got < 3 || got > 3.1 {
			t.Errorf("window: got %vs, want ~3.05s", got)
		}
	})
}

func TestWarmupStaysOutOfTotals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeFactory{delay: func(int64) time.Duration { return 10 * time.Millisecond }}
		p := testPlan(t, &plan.Plan{Rate: 100, Duration: 4 * time.Second, Warmup: time.Second})
		res, err := Run(context.Background(), p, fakeOpts(f))
		if err != nil {
			t.Fatal(err)
		}
		run := onlyRun(t, res)
		if got := run.Totals.Requests; got != 300 {
			t.Errorf("requests after warm-up: got %v, want 300", got)
		}
		var all int64
		for _, iv := range run.Timeline.Intervals {
			all += iv.Requests
		}
		if all != 400 {
			t.Errorf("timeline requests: got %v, want 400", all)
		}
		if got := run.WindowSeconds(); got != 3 {
			t.Errorf("window: got %vs, want 3s", got)
		}
	})
}
