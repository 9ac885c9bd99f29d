package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/perfkit/perfkit/internal/client"
	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/results"
)

// DefaultInterval is the timeline resolution and the progress cadence.
const DefaultInterval = time.Second

// ConnFactory makes one connection per virtual user. *client.Client is the
// production factory; tests and soak benchmarks inject in-process ones.
type ConnFactory interface {
	NewConn() client.Conn
}

// Options tune an engine run. The zero value is ready to use.
type Options struct {
	// Version is recorded in the result file.
	Version string
	// OnTick receives a snapshot of each closed interval, on the engine's
	// ticker goroutine; it must return quickly.
	OnTick func(results.Snapshot)
	// Interval is the timeline resolution; DefaultInterval when 0.
	Interval time.Duration
	// OnStart, when set, is called once as the load starts, with the run's
	// base time and a function counting the requests completed so far;
	// profile capture uses it to put costs per request.
	OnStart func(base time.Time, completed func() int64)
	// NewFactory replaces the HTTP client when non-nil. Its connections must
	// report times relative to the base passed to it by NewFactory.
	NewFactory func(base time.Time) (ConnFactory, error)
}

func (o *Options) setDefaults() {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Version == "" {
		o.Version = "dev"
	}
}

// Run executes p until its duration ends or ctx is cancelled, then gives
// in-flight requests the plan's graceful-stop period, cuts off the rest and
// returns everything measured. A cancelled ctx yields a result with status
// "interrupted", not an error: what was measured is never lost. Errors are
// only for a plan the engine cannot start.
func Run(ctx context.Context, p *plan.Plan, opts Options) (*results.Result, error) {
	opts.setDefaults()
	if opts.NewFactory == nil {
		if err := checkFDs(maxConns(p)); err != nil {
			return nil, err
		}
	}
	echo, err := json.Marshal(p.Redacted())
	if err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	names := make([]string, len(p.Endpoints))
	weights := make([]int, len(p.Endpoints))
	for i, ep := range p.Endpoints {
		names[i] = ep.Name
		weights[i] = ep.Weight
	}

	base := time.Now()
	var factory ConnFactory
	if opts.NewFactory != nil {
		factory, err = opts.NewFactory(base)
	} else {
		factory, err = newClient(p, base)
	}
	if err != nil {
		return nil, err
	}

	e := &engine{
		plan:    p,
		opts:    opts,
		base:    base,
		factory: factory,
		picker:  newPicker(weights),
		total:   p.TotalDuration(),
		stopNew: make(chan struct{}),
		coll: results.NewCollector(results.CollectorConfig{
			Endpoints: names, Open: p.Open(), Warmup: p.Warmup, Interval: opts.Interval,
		}, base),
	}
	if opts.OnStart != nil {
		opts.OnStart(base, e.coll.Completed)
	}
	ru0 := rusage()
	e.run(ctx)
	ru1 := rusage()

	gen := results.Generator{
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Worker:     results.ThisWorker(),
		CPUUserS:   (ru1.user - ru0.user).Seconds(),
		CPUSysS:    (ru1.sys - ru0.sys).Seconds(),
	}
	status := results.StatusComplete
	if e.interrupted.Load() {
		status = results.StatusInterrupted
	}
	var warnings []string
	if e.cutOff.Load() > 0 {
		warnings = append(warnings, fmt.Sprintf("%d requests were still in flight when the graceful stop (%s) ended and were cut off (counted as errors of kind %q)",
			e.cutOff.Load(), p.GracefulStop, results.KindCanceled))
	}
	if n := e.backoffs.Load(); n > 0 {
		warnings = append(warnings, fmt.Sprintf("virtual users paused %d times after a request got no connection (%s, %s, %s or %s): %s doubling to %s, so a target that is down costs at most ~%d attempts/s per VU",
			n, results.KindConnRefused, results.KindDNS, results.KindTLS, results.KindProxy, minBackoff, maxBackoff, time.Second/maxBackoff))
	}
	end := time.Since(base)
	stoppedAt := time.Duration(e.stoppedAt.Load())
	windowStart := min(p.Warmup, stoppedAt)
	run := e.coll.Finish(end, 0, results.FinishInfo{
		Status: status, Model: p.Model(),
		Start: base, End: base.Add(end),
		WindowStart: base.Add(windowStart), WindowEnd: base.Add(stoppedAt),
		Warmup: p.Warmup, Insecure: p.Insecure,
		Generator: gen, Warnings: warnings,
	})
	if c, ok := e.factory.(*client.Client); ok {
		run.Proxy = c.Proxy()
	}
	return &results.Result{
		Schema:         results.Schema,
		PerfkitVersion: opts.Version,
		Plan:           echo,
		Runs:           []*results.Run{run},
	}, nil
}

// fdReserve leaves room beside the VUs' connections for the process's own
// files: stdio, the result file, profile and metrics clients, the runtime.
const fdReserve = 64

// maxConns is the most connections a plan can hold open at once: one per
// VU (HTTP/1.1 keeps one per VU; HTTP/2 fewer).
func maxConns(p *plan.Plan) int {
	if p.Open() {
		return p.MaxVUs
	}
	return int(math.Ceil(newRamp(float64(p.VUs), p.Stages, p.TotalDuration()).Peak()))
}

func newClient(p *plan.Plan, base time.Time) (ConnFactory, error) {
	eps := make([]client.Endpoint, len(p.Endpoints))
	for i, ep := range p.Endpoints {
		h := make(map[string][]string, len(ep.Headers))
		for _, hd := range ep.Headers {
			h[hd.Name] = append(h[hd.Name], hd.Value)
		}
		eps[i] = client.Endpoint{Method: ep.Method, URL: ep.URL, Header: h, Body: ep.Body}
	}
	c, err := client.New(client.Config{
		Endpoints:   eps,
		Timeout:     p.Timeout,
		MaxBody:     p.MaxBodyBytes,
		NoKeepAlive: p.NoKeepAlive,
		HTTP2:       p.HTTP2,
		Insecure:    p.Insecure,
		Base:        base,
		DNSTTL:      p.DNSTTL,
		Proxy:       client.ProxySetting(p.Proxy),
	})
	if err != nil {
		return nil, fmt.Errorf("prepare requests: %w", err)
	}
	return c, nil
}

type engine struct {
	plan    *plan.Plan
	opts    Options
	base    time.Time
	factory ConnFactory
	picker  picker
	coll    *results.Collector
	total   time.Duration

	stopNew     chan struct{} // closed when no new request may start
	stopOnce    sync.Once
	stopping    atomic.Bool
	stoppedAt   atomic.Int64 // offset at which new requests stopped
	interrupted atomic.Bool
	active      atomic.Int64 // VUs currently running a request
	cutOff      atomic.Int64
	backoffs    atomic.Int64 // closed-model pauses after connection failures

	connsMu sync.Mutex
	conns   []client.Conn
	closed  bool
}

// stop ends the start of new requests, once.
func (e *engine) stop() {
	e.stopOnce.Do(func() {
		e.stoppedAt.Store(int64(min(time.Since(e.base), e.total)))
		e.stopping.Store(true)
		close(e.stopNew)
	})
}

// newConn registers a VU's connection so the hard stop can abort it.
func (e *engine) newConn() client.Conn {
	c := e.factory.NewConn()
	e.connsMu.Lock()
	defer e.connsMu.Unlock()
	if e.closed {
		c.Close()
	}
	e.conns = append(e.conns, c)
	return c
}

func (e *engine) closeConns() {
	e.connsMu.Lock()
	defer e.connsMu.Unlock()
	e.closed = true
	for _, c := range e.conns {
		c.Close()
	}
}

func (e *engine) run(ctx context.Context) {
	done := make(chan struct{}) // closed when every VU has returned
	go func() {
		if e.plan.Open() {
			e.runOpen()
		} else {
			e.runClosed()
		}
		close(done)
	}()

	deadline := time.NewTimer(e.total)
	defer deadline.Stop()
	ticker := time.NewTicker(e.opts.Interval)
	defer ticker.Stop()
	var grace <-chan time.Time
	ctxDone := ctx.Done()
	for {
		select {
		case <-done:
			e.stop()
			e.closeConns()
			// Connections shared between VUs (HTTP/2) belong to the
			// client, not to a VU; close them too, or every run leaks one.
			if c, ok := e.factory.(interface{ CloseIdleConnections() }); ok {
				c.CloseIdleConnections()
			}
			return
		case <-ticker.C:
			snap := e.coll.Tick(time.Since(e.base), e.active.Load())
			if e.opts.OnTick != nil {
				e.opts.OnTick(snap)
			}
		case <-deadline.C:
			if !e.stopping.Load() {
				e.stop()
				grace = e.graceTimer()
			}
		case <-ctxDone:
			ctxDone = nil
			if !e.stopping.Load() {
				e.interrupted.Store(true)
				e.stop()
				grace = e.graceTimer()
			}
		case <-grace:
			// Requests still in flight are aborted; their Do returns
			// KindCanceled and is recorded, so nothing is lost.
			e.cutOff.Store(e.active.Load())
			e.closeConns()
			grace = nil
		}
	}
}

func (e *engine) graceTimer() <-chan time.Time {
	return time.After(e.plan.GracefulStop)
}

// do sends one request on conn and records it. intended < 0 means "now"
// (closed model).
func (e *engine) do(conn client.Conn, shard *results.Shard, ep int, intended time.Duration, out *client.Outcome, s *results.Sample) {
	start := time.Since(e.base)
	if intended < 0 {
		intended = start
	}
	e.active.Add(1)
	conn.Do(ep, out)
	e.active.Add(-1)
	*s = results.Sample{
		Endpoint: ep, Status: out.Status, Kind: out.Kind,
		Intended: intended, Start: start, Sent: out.Sent,
		FirstByte: out.FirstByte, Done: out.Done,
		NewConn: out.NewConn, DNS: out.DNS, Connect: out.Connect, TLS: out.TLS,
		BytesIn: out.BytesIn, BytesOut: out.BytesOut,
	}
	if s.Done < start {
		s.Done = time.Since(e.base)
	}
	shard.Record(s)
}

type cpuTimes struct{ user, sys time.Duration }

func rusage() cpuTimes {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuTimes{}
	}
	return cpuTimes{
		user: time.Duration(ru.Utime.Nano()),
		sys:  time.Duration(ru.Stime.Nano()),
	}
}
