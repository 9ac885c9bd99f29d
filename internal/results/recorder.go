package results

import (
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/perfkit/perfkit/internal/hdr"
)

// Sample is what the engine knows about one finished request. Offsets are
// durations since the run's monotonic base.
type Sample struct {
	Endpoint int
	Status   int
	Kind     ErrKind
	// Intended is when the request should have started: the scheduled
	// time in the open model, Start itself in the closed model.
	Intended time.Duration
	// Start is when perfkit began the request (before any dial); Sent when
	// the request's first byte was written.
	Start     time.Duration
	Sent      time.Duration
	FirstByte time.Duration // 0 when no byte arrived
	Done      time.Duration
	NewConn   bool
	DNS       time.Duration
	Connect   time.Duration
	TLS       time.Duration
	BytesIn   int64
	BytesOut  int64
}

// CollectorConfig sets up a Collector.
type CollectorConfig struct {
	Endpoints []string
	Open      bool          // record send lag and dropped requests
	Warmup    time.Duration // samples intended before this offset stay out of totals
	// Shards bounds lock contention on the request path; DefaultShards
	// when 0.
	Shards int
	// MaxIntervals bounds the timeline; DefaultMaxIntervals when 0.
	MaxIntervals int
	// Interval is the timeline's starting resolution, the engine's tick;
	// one second when 0.
	Interval time.Duration
}

// DefaultMaxIntervals keeps a timeline of at most this many intervals:
// ten minutes at full 1 s resolution, coarser beyond.
const DefaultMaxIntervals = 600

// DefaultShards returns four shards per usable CPU: at most GOMAXPROCS
// goroutines record at any instant, so with four times as many shards two
// of them rarely meet on one lock.
func DefaultShards() int { return 4 * runtime.GOMAXPROCS(0) }

// maxStatus bounds the per-status counter array; codes outside 100..599
// count under "other".
const maxStatus = 600

type epCounters struct {
	requests, errors, bytesIn, bytesOut int64
	status                              [maxStatus]int64
	kinds                               [NumKinds]int64
	latency, service, ttfb              *hdr.Histogram
}

type intervalAcc struct {
	requests, errors, dropped, bytesIn int64
	latency, service, ttfb             *hdr.Histogram
}

func newIntervalAcc() intervalAcc {
	return intervalAcc{latency: hdr.NewCoarse(), service: hdr.NewCoarse(), ttfb: hdr.NewCoarse()}
}

func (a *intervalAcc) reset() {
	a.requests, a.errors, a.dropped, a.bytesIn = 0, 0, 0, 0
	a.latency.Reset()
	a.service.Reset()
	a.ttfb.Reset()
}

func (a *intervalAcc) mergeFrom(b *intervalAcc) {
	a.requests += b.requests
	a.errors += b.errors
	a.dropped += b.dropped
	a.bytesIn += b.bytesIn
	a.latency.Merge(b.latency)
	a.service.Merge(b.service)
	a.ttfb.Merge(b.ttfb)
}

// Shard is one recorder on the request path. Several VUs share a shard; the
// collector reads it only at interval ticks and at the end.
type Shard struct {
	mu        sync.Mutex
	open      bool
	warmup    time.Duration
	endpoints []*epCounters
	phases    Phases
	sendLag   *hdr.Histogram
	dropped   int64
	completed int64 // every request recorded, warm-up included
	interval  intervalAcc
}

// Record adds one finished request. It allocates nothing once the
// endpoint's histograms exist.
func (s *Shard) Record(x *Sample) {
	kind := x.Kind
	if kind == KindNone {
		switch {
		case x.Status >= 500:
			kind = KindHTTP5xx
		case x.Status >= 400:
			kind = KindHTTP4xx
		}
	}
	latency := x.Done - x.Intended
	service := x.Done - x.Start
	var ttfb time.Duration
	if x.FirstByte > 0 && x.Sent > 0 {
		ttfb = x.FirstByte - x.Sent
	}

	s.mu.Lock()
	s.completed++
	iv := &s.interval
	iv.requests++
	iv.bytesIn += x.BytesIn
	if kind != KindNone {
		iv.errors++
	}
	iv.latency.Record(latency)
	iv.service.Record(service)
	if ttfb > 0 {
		iv.ttfb.Record(ttfb)
	}
	if s.open {
		s.sendLag.Record(x.Start - x.Intended)
	}
	if x.NewConn {
		if x.DNS > 0 {
			s.phases.DNS.Record(x.DNS)
		}
		s.phases.Connect.Record(x.Connect)
		if x.TLS > 0 {
			s.phases.TLS.Record(x.TLS)
		}
	}
	if x.Intended >= s.warmup {
		e := s.endpoints[x.Endpoint]
		if e.latency == nil {
			e.latency, e.service, e.ttfb = hdr.New(), hdr.New(), hdr.New()
		}
		e.requests++
		e.bytesIn += x.BytesIn
		e.bytesOut += x.BytesOut
		if kind != KindNone {
			e.errors++
			e.kinds[kind]++
		}
		if x.Status > 0 {
			if x.Status >= 100 && x.Status < maxStatus {
				e.status[x.Status]++
			} else {
				e.status[0]++
			}
		}
		e.latency.Record(latency)
		e.service.Record(service)
		if ttfb > 0 {
			e.ttfb.Record(ttfb)
		}
	}
	s.mu.Unlock()
}

// Drop counts an open-model request that was due while every VU was busy.
func (s *Shard) Drop() { s.DropN(1) }

// DropN counts n open-model requests that were due but never sent.
func (s *Shard) DropN(n int64) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	s.dropped += n
	s.interval.dropped += n
	s.mu.Unlock()
}

// Collector owns the shards, closes intervals on the engine's ticker and
// assembles the Run at the end.
type Collector struct {
	cfg      CollectorConfig
	base     time.Time
	shards   []*Shard
	lastTick time.Duration
	acc      intervalAcc // the tick being closed
	timeline Timeline
	// slot accumulates the ticks that fall in the timeline's current,
	// not yet closed interval: after the timeline coarsens, an interval
	// spans several ticks.
	slot       intervalAcc
	slotOpen   bool
	slotStart  time.Duration
	slotWarmup bool
	slotVUs    int64
	totalReq   int64
	totalErr   int64
	totalDrp   int64
	maxVUs     int64
}

// NewCollector prepares shards for a run whose monotonic base is base.
func NewCollector(cfg CollectorConfig, base time.Time) *Collector {
	if cfg.Shards <= 0 {
		cfg.Shards = DefaultShards()
	}
	if cfg.MaxIntervals <= 1 {
		cfg.MaxIntervals = DefaultMaxIntervals
	}
	if cfg.Interval < time.Millisecond {
		cfg.Interval = time.Second
	}
	c := &Collector{cfg: cfg, base: base, acc: newIntervalAcc(), slot: newIntervalAcc(),
		timeline: Timeline{IntervalMs: cfg.Interval.Milliseconds()}}
	for range cfg.Shards {
		s := &Shard{open: cfg.Open, warmup: cfg.Warmup, phases: newPhases(), sendLag: hdr.New(), interval: newIntervalAcc()}
		for range cfg.Endpoints {
			s.endpoints = append(s.endpoints, &epCounters{})
		}
		c.shards = append(c.shards, s)
	}
	return c
}

// Completed counts every request recorded so far, warm-up included. It
// takes each shard's lock once, so it is for occasional readers (profile
// windows), not for the request path.
func (c *Collector) Completed() int64 {
	var n int64
	for _, s := range c.shards {
		s.mu.Lock()
		n += s.completed
		s.mu.Unlock()
	}
	return n
}

// Shard returns the shard VU number i records into.
func (c *Collector) Shard(i int) *Shard { return c.shards[i%len(c.shards)] }

// Snapshot describes the interval a Tick just closed, for live progress.
type Snapshot struct {
	Elapsed       time.Duration
	Interval      time.Duration
	Requests      int64
	Errors        int64
	Dropped       int64
	P50, P99      time.Duration
	TotalRequests int64 // since the start, warm-up included
	TotalErrors   int64
	TotalDropped  int64
	ActiveVUs     int64
}

// RPS is the request rate of the closed interval.
func (s Snapshot) RPS() float64 {
	if s.Interval <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Interval.Seconds()
}

// Tick closes the interval that ends at now (an offset from base), appends
// it to the timeline and returns its snapshot. Only the engine's ticker
// goroutine calls Tick and Finish.
func (c *Collector) Tick(now time.Duration, activeVUs int64) Snapshot {
	c.acc.reset()
	for _, s := range c.shards {
		s.mu.Lock()
		c.acc.mergeFrom(&s.interval)
		s.interval.reset()
		s.mu.Unlock()
	}
	a := &c.acc
	c.totalReq += a.requests
	c.totalErr += a.errors
	c.totalDrp += a.dropped
	if activeVUs > c.maxVUs {
		c.maxVUs = activeVUs
	}
	width := now - c.lastTick
	snap := Snapshot{
		Elapsed: now, Interval: width,
		Requests: a.requests, Errors: a.errors, Dropped: a.dropped,
		P50: a.latency.Quantile(0.5), P99: a.latency.Quantile(0.99),
		TotalRequests: c.totalReq, TotalErrors: c.totalErr, TotalDropped: c.totalDrp,
		ActiveVUs: activeVUs,
	}
	if width > 0 || a.requests > 0 || a.dropped > 0 {
		if !c.slotOpen {
			c.slotOpen, c.slotStart, c.slotWarmup, c.slotVUs = true, c.lastTick, true, 0
		}
		c.slot.mergeFrom(a)
		c.slotWarmup = c.slotWarmup && now <= c.cfg.Warmup
		c.slotVUs = max(c.slotVUs, activeVUs)
		if w := time.Duration(c.timeline.IntervalMs) * time.Millisecond; now >= (c.slotStart/w+1)*w {
			c.closeSlot(now)
		}
	}
	c.lastTick = now
	return snap
}

// closeSlot appends the open interval, ending at now, to the timeline and
// coarsens the timeline when it passes its cap. Ticks stay on the engine's
// cadence while intervals widen, so an interval closes only when a tick
// reaches the end of its slot on the current grid.
func (c *Collector) closeSlot(now time.Duration) {
	a := &c.slot
	iv := Interval{
		StartUnixMs: c.base.Add(c.slotStart).UnixMilli(),
		DurationMs:  (now - c.slotStart).Milliseconds(),
		Warmup:      c.slotWarmup,
		Requests:    a.requests,
		Errors:      a.errors,
		Dropped:     a.dropped,
		BytesIn:     a.bytesIn,
		ActiveVUs:   c.slotVUs,
		Latency:     a.latency.Encode(),
		Service:     a.service.Encode(),
		TTFB:        a.ttfb.Encode(),
	}
	a.reset()
	c.slotOpen = false
	t := &c.timeline
	origin := c.base.UnixMilli()
	// A slot opened before the grid doubled can share its new, wider
	// slot with the interval before it.
	if n := len(t.Intervals); n > 0 && (t.Intervals[n-1].StartUnixMs-origin)/t.IntervalMs == (iv.StartUnixMs-origin)/t.IntervalMs {
		t.Intervals[n-1] = mergeIntervals(t.Intervals[n-1], iv)
		return
	}
	t.Intervals = append(t.Intervals, iv)
	if len(t.Intervals) > c.cfg.MaxIntervals {
		*t = regrid(t.Intervals, 2*t.IntervalMs, origin)
	}
}

// FinishInfo is what the engine knows about the run as a whole.
type FinishInfo struct {
	Status      string
	Model       string
	Start       time.Time
	End         time.Time
	WindowStart time.Time
	WindowEnd   time.Time
	Warmup      time.Duration
	Insecure    bool
	Generator   Generator // CPU figures and GOMAXPROCS; counts are filled in here
	Warnings    []string
}

// Finish closes the last interval and assembles the Run. Every VU must have
// stopped recording.
func (c *Collector) Finish(now time.Duration, activeVUs int64, info FinishInfo) *Run {
	c.Tick(now, activeVUs)
	if c.slotOpen {
		c.closeSlot(now)
	}
	r := &Run{
		Status: info.Status, Model: info.Model,
		Start: info.Start, End: info.End,
		WindowStart: info.WindowStart, WindowEnd: info.WindowEnd,
		Warmup: Duration(info.Warmup), Insecure: info.Insecure, Segments: 1,
		Totals: newStats(), Phases: newPhases(), Timeline: c.timeline,
		Generator: info.Generator, Warnings: info.Warnings,
	}
	r.Generator.SendLag = hdr.New()
	r.Generator.MaxVUs = c.maxVUs
	for i, name := range c.cfg.Endpoints {
		ep := EndpointStats{Name: name, Stats: newStats()}
		for _, s := range c.shards {
			s.mu.Lock()
			addCounters(&ep.Stats, s.endpoints[i])
			s.mu.Unlock()
		}
		r.Totals.add(&ep.Stats)
		r.Endpoints = append(r.Endpoints, ep)
	}
	for _, s := range c.shards {
		s.mu.Lock()
		r.Phases.DNS.Merge(s.phases.DNS)
		r.Phases.Connect.Merge(s.phases.Connect)
		r.Phases.TLS.Merge(s.phases.TLS)
		r.Generator.SendLag.Merge(s.sendLag)
		r.Generator.Dropped += s.dropped
		s.mu.Unlock()
	}
	return r
}

func addCounters(st *Stats, e *epCounters) {
	st.Requests += e.requests
	st.Errors += e.errors
	st.BytesIn += e.bytesIn
	st.BytesOut += e.bytesOut
	for code, n := range e.status {
		if n == 0 {
			continue
		}
		key := "other"
		if code > 0 {
			key = strconv.Itoa(code)
		}
		st.StatusCodes[key] += n
	}
	for k, n := range e.kinds {
		if n > 0 {
			st.ErrorKinds[ErrKind(k).String()] += n
		}
	}
	st.Latency.Merge(e.latency)
	st.Service.Merge(e.service)
	st.TTFB.Merge(e.ttfb)
}

// add merges o into st.
func (st *Stats) add(o *Stats) {
	st.Requests += o.Requests
	st.Errors += o.Errors
	st.BytesIn += o.BytesIn
	st.BytesOut += o.BytesOut
	for k, n := range o.StatusCodes {
		st.StatusCodes[k] += n
	}
	for k, n := range o.ErrorKinds {
		st.ErrorKinds[k] += n
	}
	st.Latency.Merge(o.Latency)
	st.Service.Merge(o.Service)
	st.TTFB.Merge(o.TTFB)
}
